//! The action table of SPEC §3 and the flow rules of §4, row by row.

use super::*;
use crate::directory::DirUser;
use crate::error::RuleError;
use crate::flow::{ApproverSelector, Level};
use crate::permission::{allowed_actions, can_view, TicketAction};
use crate::request::{ApplyAssetForm, LoginConfirmRequest};
use crate::role::{OrgRole, SystemRole};
use chrono::TimeZone;
use uuid::Uuid;

const ORG: Uuid = Uuid::from_u128(0x0A);
const OTHER_ORG: Uuid = Uuid::from_u128(0x0B);

fn uid(name: &str) -> Uuid {
    let n = match name {
        "sa1" => 1,
        "sa2" => 2,
        "alice" => 3,
        "bob" => 4,
        "carol" => 5,
        "dave" => 6,
        "erin" => 7,
        "frank" => 8,
        "gina" => 9,
        "ivan" => 10,
        "olga" => 11,
        "oscar" => 12,
        _ => panic!("unknown user {name}"),
    };
    Uuid::from_u128(0x100 + n)
}

fn user(name: &str, active: bool, role: SystemRole, orgs: Vec<(Uuid, OrgRole)>) -> DirUser {
    DirUser {
        id: uid(name),
        username: name.into(),
        active,
        system_role: role,
        org_roles: orgs,
    }
}

/// sa1, sa2: super admins. alice: the usual applicant. bob, carol: approvers. dave: org admin
/// of ORG. erin: org auditor of ORG. frank: plain member of ORG. gina: CC. ivan: inactive super
/// admin. olga: org admin of another org. oscar: org admin of ORG, inactive.
fn dir() -> Directory {
    use OrgRole::*;
    use SystemRole::*;
    Directory::new(vec![
        user("sa1", true, SuperAdmin, vec![]),
        user("sa2", true, SuperAdmin, vec![]),
        user("alice", true, User, vec![(ORG, OrgUser)]),
        user("bob", true, User, vec![(ORG, OrgUser)]),
        user("carol", true, User, vec![(ORG, OrgUser)]),
        user("dave", true, User, vec![(ORG, OrgAdmin)]),
        user("erin", true, User, vec![(ORG, OrgAuditor)]),
        user("frank", true, User, vec![(ORG, OrgUser)]),
        user("gina", true, User, vec![(ORG, OrgUser)]),
        user("ivan", false, SuperAdmin, vec![]),
        user("olga", true, User, vec![(OTHER_ORG, OrgAdmin)]),
        user("oscar", false, User, vec![(ORG, OrgAdmin)]),
    ])
}

fn actor(name: &str) -> Actor {
    let d = dir();
    Actor::from_user(d.get(uid(name)).expect("known user"))
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn form() -> ApplyAssetForm {
    ApplyAssetForm {
        permission_name: "prod db".into(),
        nodes: vec![],
        assets: vec![Uuid::from_u128(0x500)],
        accounts: vec!["root".into()],
        actions: vec!["connect".into()],
        start: at(0),
        expiry: at(60 * 24 * 7),
    }
}

fn new_ticket(applicant: &str, form: ApplyAssetForm) -> NewTicket {
    NewTicket {
        id: Uuid::from_u128(0x7000),
        serial: "202611270001".into(),
        title: "Access to prod db".into(),
        org_id: Some(ORG),
        applicant: UserRef::new(uid(applicant), applicant),
        request: TicketRequest::ApplyAsset(form.parse().unwrap()),
    }
}

fn level(users: &[&str], rule: Rule) -> Level {
    Level {
        selector: ApproverSelector::users(users.iter().map(|u| uid(u)).collect()),
        rule,
        step_up: false,
        timers: Default::default(),
        no_delegation: false,
    }
}

fn flow(levels: Vec<Level>) -> Flow {
    Flow {
        levels,
        cc: vec![uid("gina")],
        limits: Default::default(),
    }
}

/// Level 1: bob or carol (any). Level 2: sa1 (any). CC: gina. Applicant: alice.
fn two_level() -> Ticket {
    let f = flow(vec![
        level(&["bob", "carol"], Rule::Any),
        level(&["sa1"], Rule::Any),
    ]);
    open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket
}

fn assignees(t: &Ticket, level: u8) -> Vec<String> {
    t.step(level)
        .unwrap()
        .assignees
        .iter()
        .map(|a| a.username.clone())
        .collect()
}

fn ended(state: &str) -> Ticket {
    let t = two_level();
    match state {
        "approved" => {
            let t = approve(&t, &actor("bob"), None, None, at(1))
                .unwrap()
                .ticket;
            approve(&t, &actor("sa1"), None, None, at(2))
                .unwrap()
                .ticket
        }
        "rejected" => reject(&t, &actor("bob"), None, at(1)).unwrap().ticket,
        "closed" => close(&t, &actor("alice"), None, at(1)).unwrap().ticket,
        "expired" => {
            expire(&t, at(60 * 24 * 7), default_ttl(TicketType::ApplyAsset))
                .unwrap()
                .ticket
        }
        _ => unreachable!(),
    }
}

// ---- open -------------------------------------------------------------------------------

#[test]
fn open_makes_one_step_per_level_with_level_one_active() {
    let tr = open(
        new_ticket("alice", form()),
        &flow(vec![
            level(&["bob"], Rule::Any),
            level(&["carol"], Rule::All),
        ]),
        &dir(),
        at(0),
    )
    .unwrap();
    let t = &tr.ticket;
    assert_eq!(t.state, TicketState::Pending);
    assert_eq!(t.ticket_type, TicketType::ApplyAsset);
    assert_eq!(t.current_level, 1);
    assert_eq!(t.steps.len(), 2);
    assert_eq!((t.steps[0].level, t.steps[0].state), (1, StepState::Active));
    assert_eq!(
        (t.steps[1].level, t.steps[1].state, t.steps[1].rule),
        (2, StepState::Pending, Rule::All)
    );
    assert!(t
        .steps
        .iter()
        .flat_map(|s| &s.assignees)
        .all(|a| a.decision == Decision::Pending));
    assert_eq!(t.cc, vec![UserRef::new(uid("gina"), "gina")]);
    assert_eq!(tr.events.len(), 1);
    assert_eq!(tr.events[0].kind, EventKind::Opened);
    assert_eq!(tr.events[0].actor, Some(uid("alice")));
    assert_eq!((t.created_at, t.updated_at), (at(0), at(0)));
}

#[test]
fn two_approvers_one_applies_the_ticket_goes_to_the_other() {
    let f = flow(vec![level(&["alice", "bob"], Rule::All)]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert_eq!(assignees(&t, 1), vec!["bob"]);
}

#[test]
fn applicant_is_never_an_assignee_even_as_super_admin() {
    let f = Flow {
        levels: vec![Level {
            selector: ApproverSelector {
                users: vec![uid("sa1")],
                super_admins: true,
                org_admins: true,
            },
            rule: Rule::Any,
            step_up: false,
            timers: Default::default(),
            no_delegation: false,
        }],
        cc: vec![uid("sa1"), uid("gina")],
        limits: Default::default(),
    };
    let t = open(new_ticket("sa1", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert_eq!(assignees(&t, 1), vec!["sa2", "dave"]);
    assert!(!t.is_assignee(uid("sa1")));
    assert!(!t.is_cc(uid("sa1")), "the applicant is not CC'd either");
}

#[test]
fn empty_level_falls_back_to_super_admins_minus_applicant() {
    // Only the applicant is named: nobody left, so the super admins are asked.
    let f = flow(vec![level(&["alice"], Rule::All)]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert_eq!(assignees(&t, 1), vec!["sa1", "sa2"]);
    // A super admin applies and names only themself: the other super admin gets it.
    let f = flow(vec![level(&["sa1"], Rule::Any)]);
    let t = open(new_ticket("sa1", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert_eq!(assignees(&t, 1), vec!["sa2"]);
    // An org-admins selector for an org whose only admin is inactive falls back too.
    let f = flow(vec![Level {
        selector: ApproverSelector {
            org_admins: true,
            ..Default::default()
        },
        rule: Rule::Any,
        step_up: false,
        timers: Default::default(),
        no_delegation: false,
    }]);
    let mut nt = new_ticket("alice", form());
    nt.org_id = Some(OTHER_ORG);
    let t = open(nt, &f, &dir(), at(0)).unwrap().ticket;
    assert_eq!(assignees(&t, 1), vec!["olga"], "olga is OTHER_ORG's admin");
    let mut d = dir();
    d.users.retain(|u| u.username != "olga");
    let mut nt = new_ticket("alice", form());
    nt.org_id = Some(OTHER_ORG);
    let t = open(nt, &f, &d, at(0)).unwrap().ticket;
    assert_eq!(assignees(&t, 1), vec!["sa1", "sa2"]);
}

#[test]
fn still_empty_is_no_approvers_and_names_the_level() {
    let mut d = dir();
    d.users.retain(|u| u.username != "sa2");
    let f = flow(vec![level(&["bob"], Rule::Any), level(&["sa1"], Rule::Any)]);
    let err = open(new_ticket("sa1", form()), &f, &d, at(0)).unwrap_err();
    assert_eq!(err, RuleError::NoApprovers { level: 2 });
    assert_eq!(err.http_status(), 422);
}

#[test]
fn a_quorum_of_two_of_three_moves_on_at_the_second_approval() {
    let f = flow(vec![
        level(&["bob", "carol", "dave"], Rule::AtLeast(2)),
        level(&["sa1"], Rule::Any),
    ]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert_eq!((t.steps[0].approvals(), t.steps[0].needed()), (0, 2));
    let t = approve(&t, &actor("bob"), None, None, at(1))
        .unwrap()
        .ticket;
    assert_eq!((t.current_level, t.steps[0].approvals()), (1, 1));
    let t = approve(&t, &actor("carol"), None, None, at(2))
        .unwrap()
        .ticket;
    assert_eq!((t.current_level, t.steps[0].state), (2, StepState::Done));
    // The third is too late: the level is done.
    let e = approve(&t, &actor("dave"), None, None, at(3)).unwrap_err();
    assert_eq!((e.http_status(), e), (409, RuleError::NotYourTurn));
}

#[test]
fn a_quorum_larger_than_the_people_left_is_refused_at_open() {
    // Bob applies: carol alone is left of the two, and two approvals are needed.
    let f = flow(vec![level(&["bob", "carol"], Rule::AtLeast(2))]);
    let e = open(new_ticket("bob", form()), &f, &dir(), at(0)).unwrap_err();
    assert_eq!(
        e,
        RuleError::QuorumUnreachable {
            level: 1,
            needed: 2,
            available: 1
        }
    );
    assert_eq!((e.http_status(), e.code()), (422, "quorum_unreachable"));
}

#[test]
fn a_flow_whose_quorum_an_applicant_could_break_is_refused_at_save() {
    let d = dir();
    let two_of_three = flow(vec![level(&["bob", "carol", "dave"], Rule::AtLeast(2))]);
    assert!(two_of_three.validate(&d, Some(ORG)).is_ok());
    // Three of three: a ticket of one of them could not reach it.
    let e = flow(vec![level(&["bob", "carol", "dave"], Rule::AtLeast(3))])
        .validate(&d, Some(ORG))
        .unwrap_err();
    assert!(e.has("levels[0].rule"), "{e:?}");
    for n in [0, 101] {
        let e = flow(vec![level(&["bob"], Rule::AtLeast(n))])
            .validate(&d, Some(ORG))
            .unwrap_err();
        assert!(e.has("levels[0].rule"), "{n}: {e:?}");
    }
    // The wire form.
    let l: Level = serde_json::from_value(serde_json::json!({
        "selector": {"users": [uid("bob")]}, "rule": {"at_least": 2}
    }))
    .unwrap();
    assert_eq!(l.rule, Rule::AtLeast(2));
    assert_eq!(serde_json::to_value(Rule::Any).unwrap(), "any");
}

#[test]
fn a_flows_limits_name_each_field_a_request_breaks() {
    let limits = crate::flow::Limits {
        apply_reason_min: 10,
        reject_reason_min: 0,
        max_days: Some(3),
        start_within_days: Some(1),
    };
    let mut f = form();
    f.start = at(60 * 24 * 2);
    f.expiry = at(60 * 24 * 6);
    let r = f.parse().unwrap();
    let e = limits.check_request(&r, "  short  ", at(0)).unwrap_err();
    for field in ["comment", "expiry", "start"] {
        assert!(e.has(field), "{field} missing in {e:?}");
    }
    // Within them: a reason long enough, three days from tomorrow.
    let mut f = form();
    f.start = at(60 * 24);
    f.expiry = at(60 * 24 * 4);
    let r = f.parse().unwrap();
    assert!(limits
        .check_request(&r, "rotating the TLS keys", at(0))
        .is_ok());
    // No limits: anything goes.
    assert!(crate::flow::Limits::default()
        .check_request(&r, "", at(0))
        .is_ok());
}

#[test]
fn a_rejection_needs_the_reason_the_flow_asks_for() {
    let mut f = flow(vec![level(&["bob"], Rule::Any)]);
    f.limits.reject_reason_min = 12;
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert_eq!(t.steps[0].reject_reason_min, 12);
    for comment in [None, Some("no".to_string()), Some("   ".to_string())] {
        let e = reject(&t, &actor("bob"), comment.clone(), at(1)).unwrap_err();
        assert_eq!((e.http_status(), e.code()), (422, "invalid"), "{comment:?}");
        assert!(matches!(e, RuleError::Invalid { ref field, .. } if field == "comment"));
    }
    let t = reject(
        &t,
        &actor("bob"),
        Some("not during the freeze".into()),
        at(2),
    )
    .unwrap()
    .ticket;
    assert_eq!(t.state, TicketState::Rejected);
    // Approving needs none; closing needs none.
    let t2 = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert!(approve(&t2, &actor("bob"), None, None, at(1)).is_ok());
    assert!(close(&t2, &actor("alice"), None, at(1)).is_ok());
}

#[test]
fn a_flows_limits_are_bounded_at_save() {
    let d = dir();
    let mut f = flow(vec![level(&["bob"], Rule::Any)]);
    f.limits = crate::flow::Limits {
        apply_reason_min: 1001,
        reject_reason_min: 1001,
        max_days: Some(0),
        start_within_days: Some(366),
    };
    let e = f.validate(&d, Some(ORG)).unwrap_err();
    for field in [
        "limits.apply_reason_min",
        "limits.reject_reason_min",
        "limits.max_days",
        "limits.start_within_days",
    ] {
        assert!(e.has(field), "{field} missing in {e:?}");
    }
    f.limits = crate::flow::Limits {
        apply_reason_min: 1000,
        reject_reason_min: 20,
        max_days: Some(3650),
        start_within_days: Some(0),
    };
    assert!(f.validate(&d, Some(ORG)).is_ok());
    // Stored flows without limits read as none.
    let old: Flow = serde_json::from_value(serde_json::json!({"levels": [
        {"selector": {"super_admins": true}, "rule": "any"}
    ]}))
    .unwrap();
    assert_eq!(old.limits, crate::flow::Limits::default());
}

#[test]
fn inactive_users_are_never_assignees() {
    let f = flow(vec![Level {
        selector: ApproverSelector {
            users: vec![uid("ivan"), uid("bob")],
            super_admins: true,
            org_admins: true,
        },
        rule: Rule::All,
        step_up: false,
        timers: Default::default(),
        no_delegation: false,
    }]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert_eq!(assignees(&t, 1), vec!["bob", "sa1", "sa2", "dave"]);
}

#[test]
fn org_admins_selector_means_the_tickets_org() {
    let f = flow(vec![Level {
        selector: ApproverSelector {
            org_admins: true,
            ..Default::default()
        },
        rule: Rule::Any,
        step_up: false,
        timers: Default::default(),
        no_delegation: false,
    }]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert_eq!(assignees(&t, 1), vec!["dave"]);
}

#[test]
fn approvers_outside_the_org_can_approve() {
    let f = flow(vec![level(&["olga"], Rule::Any)]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert_eq!(assignees(&t, 1), vec!["olga"]);
    assert!(can_view(&actor("olga"), &t));
    let t = approve(&t, &actor("olga"), None, None, at(1))
        .unwrap()
        .ticket;
    assert_eq!(t.state, TicketState::Approved);
}

#[test]
fn default_flow_asks_the_super_admins() {
    let f = Flow::default_apply_asset();
    assert_eq!(f.levels.len(), 1);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert_eq!(assignees(&t, 1), vec!["sa1", "sa2"]);
    assert_eq!(t.steps[0].rule, Rule::Any);
}

#[test]
fn open_refuses_a_blank_title() {
    let mut nt = new_ticket("alice", form());
    nt.title = "  ".into();
    let e = open(nt, &Flow::default_apply_asset(), &dir(), at(0)).unwrap_err();
    assert_eq!(e, RuleError::invalid("title", "must not be empty"));
}

fn login_ticket(reviewers: &[&str], user: &str) -> Result<Transition, RuleError> {
    login_ticket_asking(reviewers, user, false)
}

/// [`login_ticket`] from a rule that asks (or not) for a fresh second factor.
fn login_ticket_asking(
    reviewers: &[&str],
    user: &str,
    step_up: bool,
) -> Result<Transition, RuleError> {
    let nt = NewTicket {
        id: Uuid::from_u128(0x7001),
        serial: "202611270002".into(),
        title: "Sign-in of alice".into(),
        org_id: None,
        applicant: UserRef::new(uid(user), user),
        request: TicketRequest::LoginConfirm(LoginConfirmRequest {
            ip: "10.0.0.1".parse().unwrap(),
            city: None,
            user_agent: "Firefox".into(),
            at: at(0),
        }),
    };
    let ids: Vec<Uuid> = reviewers.iter().map(|r| uid(r)).collect();
    open_with_reviewers(nt, &ids, step_up, &dir(), at(0))
}

#[test]
fn confirm_tickets_go_to_the_acl_reviewers_minus_the_user() {
    let t = login_ticket(&["alice", "bob", "ivan", "bob"], "alice")
        .unwrap()
        .ticket;
    assert_eq!(t.ticket_type, TicketType::LoginConfirm);
    assert_eq!(t.steps.len(), 1);
    assert_eq!(t.steps[0].rule, Rule::Any);
    assert_eq!(assignees(&t, 1), vec!["bob"]);
    assert_eq!(
        login_ticket(&["alice", "ivan"], "alice").unwrap_err(),
        RuleError::NoApprovers { level: 1 }
    );
    assert_eq!(
        login_ticket(&[], "alice").unwrap_err(),
        RuleError::NoApprovers { level: 1 }
    );
}

// ---- approve ----------------------------------------------------------------------------

#[test]
fn rule_any_level_is_done_at_the_first_approval() {
    let t = two_level();
    let tr = approve(&t, &actor("carol"), None, Some("ok".into()), at(5)).unwrap();
    let t2 = &tr.ticket;
    assert_eq!(t2.state, TicketState::Pending);
    assert_eq!(t2.current_level, 2);
    assert_eq!(t2.steps[0].state, StepState::Done);
    assert_eq!(t2.steps[1].state, StepState::Active);
    let carol = t2.steps[0].assignee(uid("carol")).unwrap();
    assert_eq!(
        (carol.decision, carol.decided_at),
        (Decision::Approved, Some(at(5)))
    );
    assert_eq!(
        t2.steps[0].assignee(uid("bob")).unwrap().decision,
        Decision::Pending
    );
    let kinds: Vec<_> = tr.events.iter().map(|e| (e.kind, e.level)).collect();
    assert_eq!(
        kinds,
        vec![
            (EventKind::Approved, Some(1)),
            (EventKind::LevelAdvanced, Some(2))
        ]
    );
    assert_eq!(tr.events[0].comment.as_deref(), Some("ok"));
    assert_eq!(t2.updated_at, at(5));
    // bob's turn is over: level 1 is done.
    assert_eq!(
        approve(t2, &actor("bob"), None, None, at(6)).unwrap_err(),
        RuleError::NotYourTurn
    );
}

#[test]
fn after_the_last_level_the_ticket_is_approved() {
    let t = approve(&two_level(), &actor("bob"), None, None, at(1))
        .unwrap()
        .ticket;
    let tr = approve(&t, &actor("sa1"), None, None, at(2)).unwrap();
    assert_eq!(tr.ticket.state, TicketState::Approved);
    assert_eq!(tr.ticket.current_level, 2);
    assert!(tr.ticket.steps.iter().all(|s| s.state == StepState::Done));
    assert_eq!(tr.events.len(), 1);
    assert_eq!(tr.events[0].kind, EventKind::Approved);
}

#[test]
fn rule_all_needs_every_assignee() {
    let f = flow(vec![level(&["bob", "carol", "dave"], Rule::All)]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    let t = approve(&t, &actor("bob"), None, None, at(1))
        .unwrap()
        .ticket;
    assert_eq!(
        (t.state, t.steps[0].state),
        (TicketState::Pending, StepState::Active)
    );
    let t = approve(&t, &actor("dave"), None, None, at(2))
        .unwrap()
        .ticket;
    assert_eq!(
        (t.state, t.steps[0].state),
        (TicketState::Pending, StepState::Active)
    );
    let t = approve(&t, &actor("carol"), None, None, at(3))
        .unwrap()
        .ticket;
    assert_eq!(
        (t.state, t.steps[0].state),
        (TicketState::Approved, StepState::Done)
    );
}

#[test]
fn approving_twice_is_a_conflict() {
    let f = flow(vec![level(&["bob", "carol"], Rule::All)]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    let t = approve(&t, &actor("bob"), None, None, at(1))
        .unwrap()
        .ticket;
    let e = approve(&t, &actor("bob"), None, None, at(2)).unwrap_err();
    assert_eq!(e, RuleError::AlreadyDecided);
    assert_eq!(e.http_status(), 409);
}

#[test]
fn another_levels_assignee_gets_not_your_turn() {
    let t = two_level();
    let sa1 = actor("sa1"); // level 2 assignee, while level 1 is current
    assert_eq!(
        approve(&t, &sa1, None, None, at(1)).unwrap_err(),
        RuleError::NotYourTurn
    );
    assert_eq!(
        reject(&t, &sa1, None, at(1)).unwrap_err(),
        RuleError::NotYourTurn
    );
    assert_eq!(
        close(&t, &sa1, None, at(1)).unwrap_err(),
        RuleError::NotYourTurn
    );
    assert_eq!(RuleError::NotYourTurn.http_status(), 409);
    // ... but may comment: assignees of any level take part in the thread.
    assert!(comment(&t, &sa1, "looking", at(1)).is_ok());
}

#[test]
fn viewers_who_are_not_current_assignees_are_forbidden() {
    let t = two_level();
    for who in ["alice", "sa2", "dave", "erin", "gina"] {
        assert!(can_view(&actor(who), &t), "{who} can view");
        assert_eq!(
            approve(&t, &actor(who), None, None, at(1)).unwrap_err(),
            RuleError::Forbidden,
            "{who}"
        );
        assert_eq!(
            reject(&t, &actor(who), None, at(1)).unwrap_err(),
            RuleError::Forbidden,
            "{who}"
        );
    }
}

#[test]
fn strangers_cannot_see_the_ticket() {
    let t = two_level();
    for who in ["frank", "olga"] {
        let a = actor(who);
        assert!(!can_view(&a, &t), "{who}");
        assert!(allowed_actions(&a, &t).is_empty());
        assert_eq!(
            approve(&t, &a, None, None, at(1)).unwrap_err(),
            RuleError::NotFound
        );
        assert_eq!(
            reject(&t, &a, None, at(1)).unwrap_err(),
            RuleError::NotFound
        );
        assert_eq!(close(&t, &a, None, at(1)).unwrap_err(), RuleError::NotFound);
        assert_eq!(
            comment(&t, &a, "hi", at(1)).unwrap_err(),
            RuleError::NotFound
        );
        assert_eq!(RuleError::NotFound.http_status(), 404);
    }
}

#[test]
fn last_level_needs_a_node_or_asset_and_an_account() {
    let mut f = form();
    f.assets = vec![];
    f.accounts = vec![];
    let tk = |form| {
        open(
            new_ticket("alice", form),
            &flow(vec![
                level(&["bob"], Rule::Any),
                level(&["carol"], Rule::Any),
            ]),
            &dir(),
            at(0),
        )
        .unwrap()
        .ticket
    };
    // The applicant may leave them empty, and level 1 may pass them on.
    let t = approve(&tk(f.clone()), &actor("bob"), None, None, at(1))
        .unwrap()
        .ticket;
    let e = approve(&t, &actor("carol"), None, None, at(2)).unwrap_err();
    assert_eq!(e.code(), "invalid");
    assert!(
        matches!(&e, RuleError::Invalid { field, .. } if field == "assets"),
        "{e:?}"
    );
    // With a node but no account.
    let edits = ApplyAssetEdits {
        nodes: Some(vec![Uuid::from_u128(0x600)]),
        ..Default::default()
    };
    let e = approve(&t, &actor("carol"), Some(edits.clone()), None, at(2)).unwrap_err();
    assert!(
        matches!(&e, RuleError::Invalid { field, .. } if field == "accounts"),
        "{e:?}"
    );
    // The approver fills both in.
    let edits = ApplyAssetEdits {
        accounts: Some(vec!["@ALL".into()]),
        ..edits
    };
    let tr = approve(&t, &actor("carol"), Some(edits), None, at(2)).unwrap();
    assert_eq!(tr.ticket.state, TicketState::Approved);
}

#[test]
fn edits_are_applied_and_produce_a_diff() {
    let mut f = form();
    f.accounts = vec!["root".into(), "readonly".into(), "deploy".into()];
    let flow2 = flow(vec![
        level(&["bob", "carol"], Rule::Any),
        level(&["sa1"], Rule::Any),
    ]);
    let t = open(new_ticket("alice", f), &flow2, &dir(), at(0))
        .unwrap()
        .ticket;
    let before = t.request.as_apply_asset().unwrap().clone();
    let edits = ApplyAssetEdits {
        accounts: Some(vec!["root".into(), "readonly".into()]),
        expiry: Some(at(60)),
        ..Default::default()
    };
    let tr = approve(
        &t,
        &actor("bob"),
        Some(edits),
        Some("one hour is enough".into()),
        at(1),
    )
    .unwrap();
    let after = tr.ticket.request.as_apply_asset().unwrap();
    assert_eq!(after.window.expiry(), at(60));
    assert_eq!(after.accounts.len(), 2);
    let kinds: Vec<_> = tr.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::Edited,
            EventKind::Approved,
            EventKind::LevelAdvanced
        ]
    );
    let diff = tr.events[0].diff.as_ref().unwrap();
    let fields: Vec<_> = diff.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, vec!["accounts", "expiry"]);
    assert_eq!(
        diff.change("accounts").unwrap().before,
        serde_json::json!(["root", "readonly", "deploy"])
    );
    assert_eq!(
        diff.change("accounts").unwrap().after,
        serde_json::json!(["root", "readonly"])
    );
    assert_eq!(&diff.apply(&before).unwrap(), after);
    assert_eq!(tr.events[1].comment.as_deref(), Some("one hour is enough"));
}

#[test]
fn edits_that_change_nothing_make_no_edited_event() {
    let t = two_level();
    let same = ApplyAssetEdits {
        accounts: Some(vec!["root".into()]),
        ..Default::default()
    };
    for edits in [Some(ApplyAssetEdits::default()), Some(same)] {
        let tr = approve(&t, &actor("bob"), edits, None, at(1)).unwrap();
        assert!(tr.events.iter().all(|e| e.kind != EventKind::Edited));
    }
}

#[test]
fn invalid_edits_are_refused_field_by_field() {
    let t = two_level();
    let edits = ApplyAssetEdits {
        expiry: Some(at(-10)),
        ..Default::default()
    };
    let e = approve(&t, &actor("bob"), Some(edits), None, at(1)).unwrap_err();
    assert!(
        matches!(&e, RuleError::Invalid { field, .. } if field == "expiry"),
        "{e:?}"
    );
    assert_eq!(e.http_status(), 422);
    let edits = ApplyAssetEdits {
        actions: Some(vec!["teleport".into()]),
        ..Default::default()
    };
    let e = approve(&t, &actor("bob"), Some(edits), None, at(1)).unwrap_err();
    assert!(
        matches!(&e, RuleError::Invalid { field, reason } if field == "actions" && reason.contains("teleport"))
    );
}

#[test]
fn only_apply_asset_requests_can_be_edited() {
    let t = login_ticket(&["bob"], "alice").unwrap().ticket;
    let edits = ApplyAssetEdits {
        nodes: Some(vec![Uuid::from_u128(1)]),
        ..Default::default()
    };
    let e = approve(&t, &actor("bob"), Some(edits), None, at(1)).unwrap_err();
    assert!(matches!(&e, RuleError::Invalid { field, .. } if field == "edits"));
    assert!(!allowed_actions(&actor("bob"), &t).contains(&TicketAction::Edit));
    assert_eq!(
        approve(&t, &actor("bob"), None, None, at(1))
            .unwrap()
            .ticket
            .state,
        TicketState::Approved
    );
}

#[test]
fn comments_are_bounded() {
    let t = two_level();
    let e = approve(&t, &actor("bob"), None, Some("x".repeat(10_001)), at(1)).unwrap_err();
    assert!(matches!(&e, RuleError::Invalid { field, .. } if field == "comment"));
    let tr = approve(&t, &actor("bob"), None, Some("   ".into()), at(1)).unwrap();
    assert_eq!(tr.events[0].comment, None);
}

// ---- reject -----------------------------------------------------------------------------

#[test]
fn a_current_assignee_rejects_at_once() {
    let f = flow(vec![
        level(&["bob", "carol"], Rule::All),
        level(&["sa1"], Rule::Any),
    ]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    let t = approve(&t, &actor("bob"), None, None, at(1))
        .unwrap()
        .ticket;
    let tr = reject(&t, &actor("carol"), Some("no".into()), at(2)).unwrap();
    let t = tr.ticket;
    assert_eq!(t.state, TicketState::Rejected);
    assert_eq!(t.steps[0].state, StepState::Rejected);
    assert_eq!(t.steps[1].state, StepState::Closed);
    assert_eq!(
        t.steps[0].assignee(uid("carol")).unwrap().decision,
        Decision::Rejected
    );
    assert_eq!(tr.events.len(), 1);
    assert_eq!(
        (tr.events[0].kind, tr.events[0].actor),
        (EventKind::Rejected, Some(uid("carol")))
    );
    assert_eq!(tr.events[0].comment.as_deref(), Some("no"));
}

#[test]
fn an_assignee_who_approved_cannot_then_reject() {
    let f = flow(vec![level(&["bob", "carol"], Rule::All)]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    let t = approve(&t, &actor("bob"), None, None, at(1))
        .unwrap()
        .ticket;
    assert_eq!(
        reject(&t, &actor("bob"), None, at(2)).unwrap_err(),
        RuleError::AlreadyDecided
    );
}

// ---- close ------------------------------------------------------------------------------

#[test]
fn the_applicant_withdraws() {
    let tr = close(&two_level(), &actor("alice"), None, at(1)).unwrap();
    assert_eq!(tr.ticket.state, TicketState::Closed);
    assert!(tr.ticket.steps.iter().all(|s| s.state == StepState::Closed));
    assert_eq!(tr.events[0].kind, EventKind::Withdrawn);
}

#[test]
fn a_current_assignee_closes() {
    let tr = close(&two_level(), &actor("carol"), Some("dup".into()), at(1)).unwrap();
    assert_eq!(tr.ticket.state, TicketState::Closed);
    assert_eq!(tr.events[0].kind, EventKind::Closed);
    assert_eq!(tr.events[0].actor, Some(uid("carol")));
}

#[test]
fn others_cannot_close() {
    let t = two_level();
    for who in ["sa2", "dave", "erin", "gina"] {
        assert_eq!(
            close(&t, &actor(who), None, at(1)).unwrap_err(),
            RuleError::Forbidden,
            "{who}"
        );
    }
}

// ---- comment ----------------------------------------------------------------------------

#[test]
fn who_may_comment() {
    let t = two_level();
    for who in ["alice", "bob", "sa1", "sa2"] {
        let tr = comment(&t, &actor(who), "  hello ", at(3)).unwrap();
        assert_eq!(tr.ticket, t, "a comment does not change the ticket");
        assert_eq!(tr.events[0].kind, EventKind::Commented);
        assert_eq!(tr.events[0].comment.as_deref(), Some("hello"));
    }
    for who in ["gina", "erin", "dave"] {
        assert_eq!(
            comment(&t, &actor(who), "hello", at(3)).unwrap_err(),
            RuleError::Forbidden,
            "{who}"
        );
    }
}

#[test]
fn comment_body_is_bounded() {
    let t = two_level();
    for bad in ["".to_string(), " \n ".to_string(), "x".repeat(10_001)] {
        let e = comment(&t, &actor("alice"), &bad, at(1)).unwrap_err();
        assert!(matches!(&e, RuleError::Invalid { field, .. } if field == "body"));
    }
    assert!(comment(&t, &actor("alice"), &"x".repeat(10_000), at(1)).is_ok());
}

// ---- expire -----------------------------------------------------------------------------

#[test]
fn expiry_after_the_time_to_live() {
    let t = two_level();
    let ttl = default_ttl(TicketType::ApplyAsset);
    assert_eq!(
        expire(&t, at(60 * 24 * 7 - 1), ttl).unwrap_err(),
        RuleError::NotDue
    );
    let tr = expire(&t, at(60 * 24 * 7), ttl).unwrap();
    assert_eq!(tr.ticket.state, TicketState::Expired);
    assert!(tr.ticket.steps.iter().all(|s| s.state == StepState::Closed));
    assert_eq!(
        (tr.events[0].kind, tr.events[0].actor),
        (EventKind::Expired, None)
    );
    assert_eq!(expires_at(&t, ttl), at(60 * 24 * 7));
}

#[test]
fn default_time_to_live() {
    assert_eq!(default_ttl(TicketType::LoginConfirm), Duration::minutes(10));
    for t in [
        TicketType::ApplyAsset,
        TicketType::LoginAssetConfirm,
        TicketType::CommandConfirm,
    ] {
        assert_eq!(default_ttl(t), Duration::days(7));
    }
}

// ---- ended tickets ----------------------------------------------------------------------

#[test]
fn an_ended_ticket_never_changes() {
    for state in ["approved", "rejected", "closed", "expired"] {
        let t = ended(state);
        assert!(!t.state.is_open());
        for who in ["alice", "bob", "carol", "sa1", "sa2"] {
            let a = actor(who);
            assert_eq!(
                approve(&t, &a, None, None, at(9)).unwrap_err(),
                RuleError::AlreadyClosed,
                "{state} {who}"
            );
            assert_eq!(
                reject(&t, &a, None, at(9)).unwrap_err(),
                RuleError::AlreadyClosed
            );
            assert_eq!(
                close(&t, &a, None, at(9)).unwrap_err(),
                RuleError::AlreadyClosed
            );
            assert_eq!(
                comment(&t, &a, "late", at(9)).unwrap_err(),
                RuleError::AlreadyClosed
            );
            assert_eq!(allowed_actions(&a, &t), vec![TicketAction::View]);
        }
        assert_eq!(
            expire(&t, at(99_999), Duration::zero()).unwrap_err(),
            RuleError::AlreadyClosed
        );
    }
}

// ---- who sees, who may --------------------------------------------------------------------

#[test]
fn who_can_view() {
    let t = two_level();
    for who in [
        "alice", "bob", "carol", "sa1", "sa2", "dave", "erin", "gina",
    ] {
        assert!(can_view(&actor(who), &t), "{who} should see it");
    }
    for who in ["frank", "olga"] {
        assert!(!can_view(&actor(who), &t), "{who} should not see it");
    }
    // An org-less ticket is seen by no org role.
    let lt = login_ticket(&["bob"], "alice").unwrap().ticket;
    assert!(!can_view(&actor("dave"), &lt));
    assert!(can_view(&actor("sa2"), &lt));
}

#[test]
fn allowed_actions_per_person() {
    use TicketAction::*;
    let t = two_level();
    let cases: Vec<(&str, Vec<TicketAction>)> = vec![
        ("alice", vec![View, Close, Comment]),
        ("bob", vec![View, Approve, Reject, Close, Comment, Edit]),
        ("sa1", vec![View, Comment]),
        ("sa2", vec![View, Comment]),
        ("dave", vec![View]),
        ("erin", vec![View]),
        ("gina", vec![View]),
        ("frank", vec![]),
    ];
    for (who, want) in cases {
        assert_eq!(allowed_actions(&actor(who), &t), want, "{who}");
    }
}

// ---- flow checks ------------------------------------------------------------------------

#[test]
fn flow_validation_paths() {
    let d = dir();
    assert!(Flow::default_apply_asset().validate(&d, None).is_ok());
    let e = flow(vec![]).validate(&d, Some(ORG)).unwrap_err();
    assert!(e.has("levels"));
    let six = flow((0..6).map(|_| level(&["bob"], Rule::Any)).collect());
    assert!(six.validate(&d, Some(ORG)).unwrap_err().has("levels"));
    let five = flow((0..5).map(|_| level(&["bob"], Rule::Any)).collect());
    assert!(five.validate(&d, Some(ORG)).is_ok());
    let bad = Flow {
        levels: vec![
            level(&["bob"], Rule::Any),
            Level {
                selector: ApproverSelector::default(),
                rule: Rule::Any,
                step_up: false,
                timers: Default::default(),
                no_delegation: false,
            },
            Level {
                selector: ApproverSelector::users(vec![Uuid::from_u128(0xdead), uid("ivan")]),
                rule: Rule::All,
                step_up: false,
                timers: Default::default(),
                no_delegation: false,
            },
        ],
        cc: vec![uid("ivan")],
        limits: Default::default(),
    };
    let e = bad.validate(&d, Some(ORG)).unwrap_err();
    for field in [
        "levels[1].selector",
        "levels[2].selector.users[0]",
        "levels[2].selector.users[1]",
        "cc[0]",
    ] {
        assert!(e.has(field), "{field} missing in {e:?}");
    }
    assert!(!e.has("levels[0].selector"));
    // Org admins of an org that has no active admin: nobody today.
    let orgless = Flow {
        levels: vec![Level {
            selector: ApproverSelector {
                org_admins: true,
                ..Default::default()
            },
            rule: Rule::Any,
            step_up: false,
            timers: Default::default(),
            no_delegation: false,
        }],
        cc: vec![],
        limits: Default::default(),
    };
    let mut d2 = d.clone();
    d2.users.retain(|u| u.username != "dave");
    assert!(orgless
        .validate(&d2, Some(ORG))
        .unwrap_err()
        .has("levels[0].selector"));
    // A global flow cannot know which org: accepted.
    assert!(orgless.validate(&d2, None).is_ok());
}

#[test]
fn ticket_json_round_trips() {
    let t = two_level();
    let json = serde_json::to_string(&t).unwrap();
    let back: Ticket = serde_json::from_str(&json).unwrap();
    assert_eq!(back, t);
    let v = serde_json::to_value(&t).unwrap();
    assert_eq!(v["state"], "pending");
    assert_eq!(v["ticket_type"], "apply_asset");
    assert_eq!(v["request"]["type"], "apply_asset");
    assert_eq!(v["steps"][0]["state"], "active");
    assert_eq!(v["steps"][0]["rule"], "any");
}

#[test]
fn flow_user_lists_are_capped() {
    use crate::flow::{MAX_CC, MAX_LEVEL_USERS};
    let d = dir();
    let many: Vec<Uuid> = std::iter::repeat_n(uid("bob"), MAX_LEVEL_USERS + 1).collect();
    let f = Flow {
        levels: vec![Level {
            selector: ApproverSelector::users(many.clone()),
            rule: Rule::Any,
            step_up: false,
            timers: Default::default(),
            no_delegation: false,
        }],
        cc: std::iter::repeat_n(uid("gina"), MAX_CC + 1).collect(),
        limits: Default::default(),
    };
    let e = f.validate(&d, Some(ORG)).unwrap_err();
    assert!(e.has("levels[0].selector.users"), "{e:?}");
    assert!(e.has("cc"), "{e:?}");
    assert!(e.to_string().contains("at most 100 items (got 101)"), "{e}");
    // Not one error per user: the list is refused before its users are looked up.
    assert_eq!(e.0.len(), 2, "{e:?}");
    let f = Flow {
        levels: vec![Level {
            selector: ApproverSelector::users(many[1..].to_vec()),
            rule: Rule::Any,
            step_up: false,
            timers: Default::default(),
            no_delegation: false,
        }],
        cc: vec![uid("gina"); MAX_CC],
        limits: Default::default(),
    };
    assert!(f.validate(&d, Some(ORG)).is_ok());
    // Repeated users are resolved once, in order.
    let users = f.levels[0].selector.active_users(&d, Some(ORG));
    assert_eq!(users.len(), 1);
}

#[test]
fn an_approver_narrows_but_never_widens() {
    let t = two_level();
    let widen = |edits: ApplyAssetEdits, field: &str| {
        let e = approve(&t, &actor("bob"), Some(edits), None, at(1)).unwrap_err();
        assert!(
            matches!(&e, RuleError::Invalid { field: f, .. } if f == field),
            "{field}: {e:?}"
        );
    };
    widen(
        ApplyAssetEdits {
            assets: Some(vec![Uuid::from_u128(0x500), Uuid::from_u128(0x501)]),
            ..Default::default()
        },
        "assets",
    );
    widen(
        ApplyAssetEdits {
            nodes: Some(vec![Uuid::from_u128(0x600)]),
            ..Default::default()
        },
        "nodes",
    );
    widen(
        ApplyAssetEdits {
            accounts: Some(vec!["@ALL".into()]),
            ..Default::default()
        },
        "accounts",
    );
    widen(
        ApplyAssetEdits {
            actions: Some(vec!["all".into()]),
            ..Default::default()
        },
        "actions",
    );
    widen(
        ApplyAssetEdits {
            expiry: Some(at(60 * 24 * 365)),
            ..Default::default()
        },
        "expiry",
    );
    // Narrower is fine: a shorter window.
    let ok = ApplyAssetEdits {
        expiry: Some(at(60)),
        ..Default::default()
    };
    assert!(approve(&t, &actor("bob"), Some(ok), None, at(1)).is_ok());
}

#[test]
fn an_edit_asks_the_levels_earlier_approvers_again_and_changes_the_version() {
    let mut f = form();
    f.accounts = vec!["root".into(), "deploy".into()];
    let t = open(
        new_ticket("alice", f),
        &flow(vec![level(&["bob", "carol"], Rule::All)]),
        &dir(),
        at(0),
    )
    .unwrap()
    .ticket;
    let seen = t.request.version();
    let t = approve(&t, &actor("bob"), None, None, at(1))
        .unwrap()
        .ticket;
    assert_eq!(
        t.request.version(),
        seen,
        "an approval alone changes nothing asked"
    );
    let edits = ApplyAssetEdits {
        accounts: Some(vec!["deploy".into()]),
        ..Default::default()
    };
    let t = approve(&t, &actor("carol"), Some(edits), None, at(2))
        .unwrap()
        .ticket;
    assert_ne!(t.request.version(), seen);
    assert_eq!(
        t.state,
        TicketState::Pending,
        "bob must approve what carol changed"
    );
    let bob = t.steps[0]
        .assignees
        .iter()
        .find(|a| a.username == "bob")
        .unwrap();
    assert_eq!(bob.decision, Decision::Pending);
    let t = approve(&t, &actor("bob"), None, None, at(3))
        .unwrap()
        .ticket;
    assert_eq!(t.state, TicketState::Approved);
}

#[test]
fn a_step_up_level_asks_for_a_second_factor_only_while_it_is_current() {
    let mut l2 = level(&["carol"], Rule::Any);
    l2.step_up = true;
    let f = flow(vec![level(&["bob"], Rule::Any), l2]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    assert!(!t.steps[0].step_up && t.steps[1].step_up, "kept per level");
    // Level 1 does not ask.
    assert!(!t.needs_step_up());
    assert_eq!(crate::check_step_up(&t, None), Ok(None));
    let t = approve(&t, &actor("bob"), None, None, at(1))
        .unwrap()
        .ticket;
    // Level 2 does: refused without one, recorded how with one.
    assert!(t.needs_step_up());
    let e = crate::check_step_up(&t, None).unwrap_err();
    assert_eq!((e.http_status(), e.code()), (403, "step_up_required"));
    assert_eq!(
        crate::check_step_up(&t, Some(crate::StepUp::Totp)),
        Ok(Some(crate::StepUp::Totp))
    );
}

#[test]
fn a_review_opened_by_a_rule_that_asks_needs_a_second_factor_to_decide() {
    let t = login_ticket_asking(&["bob"], "alice", true).unwrap().ticket;
    assert!(t.needs_step_up());
    let e = crate::check_step_up(&t, None).unwrap_err();
    assert_eq!(e.code(), "step_up_required");
    let t = login_ticket(&["bob"], "alice").unwrap().ticket;
    assert!(!t.needs_step_up());
}

#[test]
fn a_second_factor_is_fresh_within_its_window_only() {
    let given = Some(at(0));
    assert!(crate::step_up_fresh(given, at(0) + Duration::minutes(4), 5));
    assert!(!crate::step_up_fresh(
        given,
        at(0) + Duration::minutes(5),
        5
    ));
    assert!(
        !crate::step_up_fresh(given, at(0), 0),
        "0 minutes: every decision asks"
    );
    assert!(!crate::step_up_fresh(None, at(0), 5));
    assert!(
        !crate::step_up_fresh(Some(at(0) + Duration::minutes(1)), at(0), 5),
        "a time in the future is not trusted"
    );
}

// ---- level timers ------------------------------------------------------------------------

fn timed(timers: crate::timers::Timers) -> Ticket {
    let mut l1 = level(&["bob", "carol"], Rule::Any);
    l1.timers = timers;
    open(
        new_ticket("alice", form()),
        &flow(vec![l1, level(&["sa1"], Rule::Any)]),
        &dir(),
        at(0),
    )
    .unwrap()
    .ticket
}

fn hours_(h: i64) -> DateTime<Utc> {
    at(60 * h)
}

#[test]
fn a_reminder_goes_to_who_has_not_answered_every_h_hours_once_per_round() {
    use crate::timers::{next_due, run, Timers};
    let t = timed(Timers {
        remind_every_hours: Some(4),
        ..Default::default()
    });
    assert_eq!(next_due(&t), Some(hours_(4)));
    assert_eq!(run(&t, &dir(), hours_(3)).unwrap_err(), RuleError::NotDue);
    let tr = run(&t, &dir(), hours_(4)).unwrap();
    assert_eq!(tr.events.len(), 1);
    assert_eq!(tr.events[0].kind, EventKind::Reminded);
    assert_eq!(tr.events[0].actor, None);
    assert_eq!(
        tr.events[0].comment.as_deref(),
        Some("Reminded bob, carol.")
    );
    // Once per round: again at the same moment, nothing; the next one four hours on.
    assert_eq!(
        run(&tr.ticket, &dir(), hours_(4)).unwrap_err(),
        RuleError::NotDue
    );
    assert_eq!(next_due(&tr.ticket), Some(hours_(8)));
    // Level 2 starts its own clock; it has no timer.
    let t = approve(&tr.ticket, &actor("bob"), None, None, hours_(5))
        .unwrap()
        .ticket;
    assert_eq!(t.steps[1].clock.since, Some(hours_(5)));
    assert_eq!(next_due(&t), None);
}

#[test]
fn an_escalation_adds_its_people_once_never_the_applicant_nor_someone_asked() {
    use crate::timers::{next_due, run, Escalation, Timers};
    let esc = |users: &[&str]| Timers {
        escalate: Some(Escalation {
            after_hours: 24,
            selector: ApproverSelector {
                users: users.iter().map(|u| uid(u)).collect(),
                super_admins: true,
                org_admins: false,
            },
        }),
        ..Default::default()
    };
    // alice applies: she is named, and bob is asked already; sa1, sa2 and dave are added.
    let t = timed(esc(&["alice", "bob", "dave"]));
    assert_eq!(next_due(&t), Some(hours_(24)));
    let tr = run(&t, &dir(), hours_(25)).unwrap();
    assert_eq!(
        assignees(&tr.ticket, 1),
        ["bob", "carol", "dave", "sa1", "sa2"]
    );
    assert_eq!(tr.events[0].kind, EventKind::Escalated);
    assert_eq!(
        tr.events[0].comment.as_deref(),
        Some("No decision within 24 hours; added dave, sa1, sa2.")
    );
    assert!(tr.ticket.steps[0].clock.escalated);
    assert_eq!(next_due(&tr.ticket), None);
    assert_eq!(
        run(&tr.ticket, &dir(), hours_(99)).unwrap_err(),
        RuleError::NotDue
    );
    // An added approver decides like the others.
    let t = approve(&tr.ticket, &actor("dave"), None, None, hours_(26))
        .unwrap()
        .ticket;
    assert_eq!(t.current_level, 2);
}

#[test]
fn a_timed_end_rejects_or_expires_and_wins_over_the_other_timers() {
    use crate::timers::{run, Escalation, TimedEnd, TimedOutcome, Timers};
    for (outcome, state, kind) in [
        (
            TimedOutcome::Reject,
            TicketState::Rejected,
            EventKind::Rejected,
        ),
        (
            TimedOutcome::Expire,
            TicketState::Expired,
            EventKind::Expired,
        ),
    ] {
        let t = timed(Timers {
            remind_every_hours: Some(1),
            escalate: Some(Escalation {
                after_hours: 2,
                selector: ApproverSelector::super_admins(),
            }),
            end: Some(TimedEnd {
                after_hours: 72,
                outcome,
            }),
        });
        let tr = run(&t, &dir(), hours_(80)).unwrap();
        assert_eq!(tr.ticket.state, state);
        assert_eq!(tr.events.len(), 1, "{:?}", tr.events);
        assert_eq!(tr.events[0].kind, kind);
        assert_eq!(
            tr.events[0].comment.as_deref(),
            Some("No decision at level 1 within 72 hours.")
        );
        assert_eq!(assignees(&tr.ticket, 1), ["bob", "carol"]);
        assert_eq!(
            run(&tr.ticket, &dir(), hours_(90)).unwrap_err(),
            RuleError::AlreadyClosed
        );
    }
}

#[test]
fn timers_are_bounded_at_save() {
    use crate::timers::{Escalation, TimedEnd, TimedOutcome, Timers};
    let d = dir();
    let mut l = level(&["bob"], Rule::Any);
    l.timers = Timers {
        remind_every_hours: Some(0),
        escalate: Some(Escalation {
            after_hours: 721,
            selector: ApproverSelector::default(),
        }),
        end: Some(TimedEnd {
            after_hours: 0,
            outcome: TimedOutcome::Expire,
        }),
    };
    let e = flow(vec![l]).validate(&d, Some(ORG)).unwrap_err();
    for field in [
        "levels[0].timers.remind_every_hours",
        "levels[0].timers.escalate.after_hours",
        "levels[0].timers.escalate.selector",
        "levels[0].timers.end.after_hours",
    ] {
        assert!(e.has(field), "{field} missing in {e:?}");
    }
    let mut l = level(&["bob"], Rule::Any);
    l.timers.escalate = Some(Escalation {
        after_hours: 24,
        selector: ApproverSelector::users(vec![uid("ivan")]),
    });
    let e = flow(vec![l]).validate(&d, Some(ORG)).unwrap_err();
    assert!(
        e.has("levels[0].timers.escalate.selector.users[0]"),
        "{e:?}"
    );
}

fn away(person: &str, delegate: &str) -> crate::delegation::Running {
    crate::delegation::Running {
        person: UserRef::new(uid(person), person),
        delegate: UserRef::new(uid(delegate), delegate),
        until: Utc.with_ymd_and_hms(2026, 12, 12, 0, 0, 0).unwrap(),
    }
}

#[test]
fn a_delegate_decides_for_the_person_away_and_the_answer_counts_once() {
    use crate::delegation::apply;
    // Level 1: bob, carol and frank, two of them must approve.
    let f = flow(vec![level(&["bob", "carol", "frank"], Rule::AtLeast(2))]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    let tr = apply(&t, &[away("bob", "erin")], &dir(), at(1)).unwrap();
    assert_eq!(assignees(&tr.ticket, 1), ["bob", "carol", "frank", "erin"]);
    assert_eq!(tr.events[0].kind, EventKind::Delegated);
    assert_eq!(tr.events[0].actor, Some(uid("bob")));
    assert_eq!(
        tr.events[0].comment.as_deref(),
        Some("Away until 12 Dec 2026: erin is asked in their place.")
    );
    let step = tr.ticket.step(1).unwrap();
    assert_eq!(
        (step.approvals(), step.needed()),
        (0, 2),
        "erin is not a fourth vote"
    );
    // Erin approves for bob: one approval, recorded so; bob's own answer is given.
    let t = approve(&tr.ticket, &actor("erin"), None, None, at(2)).unwrap();
    assert_eq!(t.events[0].on_behalf_of, Some(uid("bob")));
    let step = t.ticket.step(1).unwrap();
    assert_eq!(step.approvals(), 1);
    assert_eq!(step.state, StepState::Active);
    assert_eq!(
        approve(&t.ticket, &actor("bob"), None, None, at(3)).unwrap_err(),
        RuleError::AlreadyDecided
    );
    // Carol's is the second approval: done.
    let done = approve(&t.ticket, &actor("carol"), None, None, at(3)).unwrap();
    assert_eq!(done.ticket.state, TicketState::Approved);
}

#[test]
fn the_person_answering_first_answers_for_their_delegate_too() {
    let t = two_level();
    let t = crate::delegation::apply(&t, &[away("bob", "erin")], &dir(), at(1))
        .unwrap()
        .ticket;
    let r = reject(&t, &actor("bob"), None, at(2)).unwrap();
    let erin = r.ticket.step(1).unwrap().assignee(uid("erin")).unwrap();
    assert_eq!(erin.decision, Decision::Rejected);
    assert_eq!(r.events[0].on_behalf_of, None);
}

#[test]
fn delegation_skips_the_applicant_someone_asked_already_a_level_that_forbids_it_and_chains() {
    use crate::delegation::apply;
    let mut f = flow(vec![
        level(&["bob", "carol"], Rule::All),
        level(&["bob"], Rule::Any),
    ]);
    f.levels[1].no_delegation = true;
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    // To the applicant, or to carol who is asked at level 1 already: nothing to do.
    assert_eq!(
        apply(&t, &[away("bob", "alice")], &dir(), at(1)).unwrap_err(),
        RuleError::NotDue
    );
    assert_eq!(
        apply(&t, &[away("bob", "carol")], &dir(), at(1)).unwrap_err(),
        RuleError::NotDue
    );
    // To an inactive person: nothing either.
    assert!(apply(&t, &[away("bob", "ivan")], &dir(), at(1)).is_err());
    // To erin: level 1 only (level 2 forbids it); erin's own delegation is not followed.
    let tr = apply(
        &t,
        &[away("bob", "erin"), away("erin", "frank")],
        &dir(),
        at(1),
    )
    .unwrap();
    assert_eq!(assignees(&tr.ticket, 1), ["bob", "carol", "erin"]);
    assert_eq!(assignees(&tr.ticket, 2), ["bob"]);
    assert_eq!(tr.events.len(), 1);
    // Rule all: bob's answer (given by erin) and carol's are all it needs.
    let t = approve(&tr.ticket, &actor("erin"), None, None, at(2)).unwrap();
    let t = approve(&t.ticket, &actor("carol"), None, None, at(3)).unwrap();
    assert_eq!(t.ticket.current_level, 2);
}

#[test]
fn a_new_delegation_is_checked_field_by_field() {
    use crate::delegation::{check_new, Known, Period};
    let p = |a: i64, b: i64| Period {
        starts_at: at(a * 60 * 24),
        ends_at: at(b * 60 * 24),
    };
    let now = at(0);
    let none = Known::default();
    let mine = Known {
        own: vec![(p(2, 5), "carol".into())],
        delegate_away: vec![],
    };
    // Erin is away then herself (so no loop, no chain can start here).
    let theirs = Known {
        own: vec![],
        delegate_away: vec![p(1, 2)],
    };
    let check = |to: &str, period: Period, known: &Known| {
        check_new(uid("bob"), uid(to), period, known, &dir(), now)
    };
    // A start in the past starts now.
    assert_eq!(
        check("erin", p(-2, 3), &none).unwrap(),
        Period {
            starts_at: now,
            ends_at: at(3 * 60 * 24)
        }
    );
    assert!(check("erin", p(5, 8), &mine).is_ok());
    // (delegate, period, what is known) → the field refused.
    let cases = [
        ("bob", p(0, 3), &none, "delegate_id"),
        ("ivan", p(0, 3), &none, "delegate_id"),
        ("erin", p(0, 3), &theirs, "delegate_id"),
        ("erin", p(3, 1), &none, "ends_at"),
        ("erin", p(-3, -1), &none, "ends_at"),
        ("erin", p(0, 400), &none, "ends_at"),
        ("erin", p(400, 401), &none, "starts_at"),
        ("erin", p(4, 8), &mine, "starts_at"),
    ];
    for (to, period, known, field) in cases {
        let e = check(to, period, known).unwrap_err();
        assert_eq!(e.0[0].field, field, "{to} {period:?}: {e:?}");
    }
    let e = check("erin", p(4, 8), &mine).unwrap_err();
    assert!(e.0[0].reason.contains("carol"), "{}", e.0[0].reason);
}

#[test]
fn the_last_levels_approvers_the_orgs_admins_and_super_admins_may_revoke_a_grant() {
    let f = flow(vec![
        level(&["bob"], Rule::Any),
        level(&["carol"], Rule::Any),
    ]);
    let t = open(new_ticket("alice", form()), &f, &dir(), at(0))
        .unwrap()
        .ticket;
    let may = |t: &Ticket, who: &str| crate::permission::may_revoke_grant_of(&actor(who), t);
    assert!(!may(&t, "sa2"), "nothing is granted while pending");
    let t = approve(&t, &actor("bob"), None, None, at(1))
        .unwrap()
        .ticket;
    let t = approve(&t, &actor("carol"), None, None, at(2))
        .unwrap()
        .ticket;
    assert_eq!(t.state, TicketState::Approved);
    // carol approved the last level; dave is the org's admin; sa2 a super admin.
    for who in ["carol", "dave", "sa2"] {
        assert!(may(&t, who), "{who}");
    }
    // bob approved an earlier level; alice holds it; frank and erin (auditor) only see it.
    for who in ["bob", "alice", "frank", "erin", "olga"] {
        assert!(!may(&t, who), "{who}");
    }
}
