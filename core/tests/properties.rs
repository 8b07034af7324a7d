//! Property tests: the invariants of tickets, diffs and ACLs hold for any flow, directory,
//! request and sequence of actions proptest can think of.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use std::net::IpAddr;
use tollgate_core::*;
use uuid::Uuid;

const ORG: Uuid = Uuid::from_u128(0xA);
const N: usize = 8;

fn uid(i: usize) -> Uuid {
    Uuid::from_u128(0x100 + i as u128)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()
}

fn arb_directory() -> impl Strategy<Value = Directory> {
    prop::collection::vec(
        (
            prop::bool::weighted(0.85),
            prop::bool::weighted(0.3),
            0u8..4,
        ),
        N,
    )
    .prop_map(|specs| {
        Directory::new(
            specs
                .into_iter()
                .enumerate()
                .map(|(i, (active, sa, org))| DirUser {
                    id: uid(i),
                    username: format!("u{i}"),
                    active,
                    system_role: if sa {
                        SystemRole::SuperAdmin
                    } else {
                        SystemRole::User
                    },
                    org_roles: match org {
                        0 => vec![(ORG, OrgRole::OrgAdmin)],
                        1 => vec![(ORG, OrgRole::OrgAuditor)],
                        2 => vec![(ORG, OrgRole::OrgUser)],
                        _ => vec![],
                    },
                })
                .collect(),
        )
    })
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    prop_oneof![
        Just(Rule::Any),
        Just(Rule::All),
        (1u8..=4).prop_map(Rule::AtLeast)
    ]
}

fn arb_selector() -> impl Strategy<Value = ApproverSelector> {
    (any::<u8>(), any::<bool>(), any::<bool>()).prop_map(|(mask, sa, oa)| ApproverSelector {
        users: (0..N).filter(|i| mask & (1 << i) != 0).map(uid).collect(),
        super_admins: sa,
        org_admins: oa,
    })
}

fn arb_timers() -> impl Strategy<Value = Timers> {
    (
        prop::option::of(1u16..48),
        prop::option::of((1u16..72, arb_selector())),
        prop::option::of((1u16..200, any::<bool>())),
    )
        .prop_map(|(remind, escalate, end)| Timers {
            remind_every_hours: remind,
            escalate: escalate.map(|(after_hours, selector)| Escalation {
                after_hours,
                selector,
            }),
            end: end.map(|(after_hours, reject)| TimedEnd {
                after_hours,
                outcome: if reject {
                    TimedOutcome::Reject
                } else {
                    TimedOutcome::Expire
                },
            }),
        })
}

fn arb_flow() -> impl Strategy<Value = Flow> {
    let level = (
        arb_selector(),
        arb_rule(),
        arb_timers(),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(selector, rule, timers, no_delegation)| Level {
            selector,
            rule,
            step_up: false,
            timers,
            no_delegation,
        });
    (prop::collection::vec(level, 1..=5), any::<u8>()).prop_map(|(levels, cc)| Flow {
        levels,
        cc: (0..N).filter(|i| cc & (1 << i) != 0).map(uid).collect(),
        limits: Default::default(),
    })
}

fn arb_form() -> impl Strategy<Value = ApplyAssetForm> {
    (
        prop::collection::vec(0u128..4, 0..3),
        prop::collection::vec(0u128..4, 0..3),
        prop::collection::vec(
            prop::sample::select(vec!["root", "admin", "@ALL", "app"]),
            0..3,
        ),
        prop::collection::vec(
            prop::sample::select(vec![
                "connect", "upload", "download", "copy", "paste", "delete", "share", "all",
            ]),
            1..4,
        ),
        0i64..10_000,
        1i64..10_000,
    )
        .prop_map(
            |(nodes, assets, accounts, actions, start, len)| ApplyAssetForm {
                permission_name: "perm".into(),
                nodes: nodes
                    .into_iter()
                    .map(|n| Uuid::from_u128(0x600 + n))
                    .collect(),
                assets: assets
                    .into_iter()
                    .map(|n| Uuid::from_u128(0x500 + n))
                    .collect(),
                accounts: accounts.into_iter().map(String::from).collect(),
                actions: actions.into_iter().map(String::from).collect(),
                start: t0() + Duration::minutes(start),
                expiry: t0() + Duration::minutes(start + len),
            },
        )
}

#[derive(Debug, Clone)]
enum Op {
    Approve(usize, Option<ApplyAssetEdits>),
    Reject(usize),
    Close(usize),
    Comment(usize),
    Expire(i64),
    /// The level timers' round.
    Timers,
    /// The first is away; the second stands in for them.
    Delegate(usize, usize),
}

fn arb_op() -> impl Strategy<Value = Op> {
    let who = 0..N;
    prop_oneof![
        6 => (who.clone(), prop::option::of(arb_form())).prop_map(|(w, f)| Op::Approve(
            w,
            f.map(|f| ApplyAssetEdits {
                nodes: Some(f.nodes),
                assets: Some(f.assets),
                accounts: Some(f.accounts),
                ..Default::default()
            })
        )),
        1 => who.clone().prop_map(Op::Reject),
        1 => who.clone().prop_map(Op::Close),
        1 => who.prop_map(Op::Comment),
        1 => (0i64..20).prop_map(Op::Expire),
        2 => Just(Op::Timers),
        2 => (0..N, 0..N).prop_map(|(p, d)| Op::Delegate(p, d)),
    ]
}

fn actor(dir: &Directory, i: usize) -> Actor {
    Actor::from_user(dir.get(uid(i)).expect("every index is in the directory"))
}

fn ticket_action(op: &Op) -> Option<TicketAction> {
    match op {
        Op::Approve(..) => Some(TicketAction::Approve),
        Op::Reject(_) => Some(TicketAction::Reject),
        Op::Close(_) => Some(TicketAction::Close),
        Op::Comment(_) => Some(TicketAction::Comment),
        Op::Expire(_) | Op::Timers | Op::Delegate(..) => None,
    }
}

fn run(t: &Ticket, dir: &Directory, op: &Op, now: DateTime<Utc>) -> Result<Transition, RuleError> {
    match op {
        Op::Approve(w, e) => approve(t, &actor(dir, *w), e.clone(), None, now),
        Op::Reject(w) => reject(t, &actor(dir, *w), None, now),
        Op::Close(w) => close(t, &actor(dir, *w), None, now),
        Op::Comment(w) => comment(t, &actor(dir, *w), "note", now),
        Op::Expire(days) => expire(t, now, Duration::days(*days)),
        Op::Timers => timers::run(t, dir, now),
        Op::Delegate(p, d) => delegation::apply(t, &[running(*p, *d, now)], dir, now),
    }
}

fn running(person: usize, delegate: usize, now: DateTime<Utc>) -> delegation::Running {
    delegation::Running {
        person: UserRef::new(uid(person), format!("u{person}")),
        delegate: UserRef::new(uid(delegate), format!("u{delegate}")),
        until: now + Duration::days(3),
    }
}

fn check_invariants(t: &Ticket, dir: &Directory) {
    // The applicant is never an assignee; no step is empty; assignees were active.
    assert!(!t.is_assignee(t.applicant.id));
    assert!(!t.is_cc(t.applicant.id));
    for s in &t.steps {
        assert!(!s.assignees.is_empty());
        for a in &s.assignees {
            assert!(dir.active(a.user_id).is_some());
        }
        // A quorum never exceeds the people asked in their own right.
        let principals = s.principals().count();
        assert!(s.needed() <= principals);
        // A delegate stands in for someone asked here in their own right (one hop), answers
        // with them, and is asked once.
        for a in &s.assignees {
            assert_eq!(
                s.assignees
                    .iter()
                    .filter(|b| b.user_id == a.user_id)
                    .count(),
                1
            );
            if let Some(p) = &a.on_behalf_of {
                let person = s.principals().find(|b| b.user_id == p.id).expect("one hop");
                assert_eq!(person.decision, a.decision);
            }
        }
        // A level with rule `all` is done only when every assignee approved; `at_least` N when
        // N did.
        if s.state == StepState::Done {
            assert!(s.rule_satisfied());
            let approvals = s
                .principals()
                .filter(|a| a.decision == Decision::Approved)
                .count();
            match s.rule {
                Rule::All => assert_eq!(approvals, principals),
                Rule::Any => assert!(approvals >= 1),
                Rule::AtLeast(n) => assert!(approvals >= usize::from(n)),
            }
        }
    }
    // Approved ⇒ every level done under its rule.
    if t.state == TicketState::Approved {
        assert!(t
            .steps
            .iter()
            .all(|s| s.state == StepState::Done && s.rule_satisfied()));
        if let Some(r) = t.request.as_apply_asset() {
            assert!(r.check_grantable().is_ok());
        }
    }
    // Pending ⇒ exactly the current level is active, earlier ones done, later ones pending.
    if t.state == TicketState::Pending {
        for s in &t.steps {
            let want = match s.level.cmp(&t.current_level) {
                std::cmp::Ordering::Less => StepState::Done,
                std::cmp::Ordering::Equal => StepState::Active,
                std::cmp::Ordering::Greater => StepState::Pending,
            };
            assert_eq!(s.state, want);
        }
    } else {
        assert!(t
            .steps
            .iter()
            .all(|s| !matches!(s.state, StepState::Active | StepState::Pending)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn tickets_keep_their_invariants(
        dir in arb_directory(),
        flow in arb_flow(),
        applicant in 0..N,
        form in arb_form(),
        ops in prop::collection::vec(arb_op(), 0..25),
    ) {
        let request = TicketRequest::ApplyAsset(form.parse().unwrap());
        let new = NewTicket {
            id: Uuid::from_u128(0x7000),
            serial: serial(t0().date_naive(), 1),
            title: "t".into(),
            org_id: Some(ORG),
            applicant: UserRef::new(uid(applicant), format!("u{applicant}")),
            request,
        };
        let opened = open(new, &flow, &dir, t0());
        let mut t = match opened {
            Ok(tr) => tr.ticket,
            Err(RuleError::NoApprovers { level }) => {
                // Only when the level's selector and the super admins leave nobody but the applicant.
                let lv = &flow.levels[(level - 1) as usize];
                let others = |sel: &ApproverSelector| sel.active_users(&dir, Some(ORG)).into_iter().any(|u| u.id != uid(applicant));
                prop_assert!(!others(&lv.selector));
                prop_assert!(!others(&ApproverSelector::super_admins()));
                return Ok(());
            }
            Err(RuleError::QuorumUnreachable { level, needed, available }) => {
                // Only when fewer people than the level's N are left once the applicant is out.
                let lv = &flow.levels[(level - 1) as usize];
                prop_assert_eq!(lv.rule, Rule::AtLeast(needed as u8));
                prop_assert!(available < needed);
                return Ok(());
            }
            Err(e) => return Err(TestCaseError::fail(format!("unexpected {e:?}"))),
        };
        check_invariants(&t, &dir);
        for (k, op) in ops.iter().enumerate() {
            let now = t0() + Duration::days(k as i64);
            let was_open = t.state.is_open();
            let res = run(&t, &dir, op, now);
            if !was_open {
                // No action changes a closed ticket.
                prop_assert!(res.is_err(), "{op:?} changed an ended ticket");
                continue;
            }
            if let (Some(action), Op::Approve(w, _) | Op::Reject(w) | Op::Close(w) | Op::Comment(w)) = (ticket_action(op), op) {
                // What allowed_actions promises is what the transition does (up to field errors).
                let allowed = allowed_actions(&actor(&dir, *w), &t).contains(&action);
                match &res {
                    Ok(_) => prop_assert!(allowed),
                    Err(RuleError::Invalid { .. }) => prop_assert!(allowed),
                    Err(_) => prop_assert!(!allowed),
                }
            }
            if let Ok(tr) = &res {
                // Independently of `allowed_actions`: who actually got through.
                let step = t.current_step().expect("a pending ticket has a current step");
                let pending_here = |w: usize| step.assignee(uid(w)).is_some_and(|a| a.decision == Decision::Pending);
                match op {
                    Op::Approve(w, _) | Op::Reject(w) => prop_assert!(pending_here(*w)),
                    Op::Close(w) => prop_assert!(*w == applicant || step.assignee(uid(*w)).is_some()),
                    Op::Comment(w) => prop_assert!(
                        *w == applicant || t.is_assignee(uid(*w)) || actor(&dir, *w).is_super_admin()
                    ),
                    Op::Expire(days) => prop_assert!(t.created_at + Duration::days(*days) <= now),
                    Op::Timers => {
                        // Due, and nobody asked before is lost; a second round at the same
                        // moment does nothing more.
                        prop_assert!(timers::next_due(&t).is_some_and(|d| d <= now));
                        for (before, after) in t.steps.iter().zip(&tr.ticket.steps) {
                            for a in &before.assignees {
                                prop_assert!(after.assignee(a.user_id).is_some());
                            }
                        }
                        prop_assert!(timers::run(&tr.ticket, &dir, now).is_err());
                    }
                    Op::Delegate(p, d) => {
                        // Someone was added for the person, never the applicant, at a level
                        // that allows it; nobody is lost; applying it again does nothing more.
                        prop_assert!(*d != applicant && p != d);
                        for (before, after) in t.steps.iter().zip(&tr.ticket.steps) {
                            for a in &before.assignees {
                                prop_assert_eq!(after.assignee(a.user_id), Some(a));
                            }
                            let added = after.assignees.len() - before.assignees.len();
                            prop_assert!(added <= 1);
                            if added == 1 {
                                let new = after.assignees.last().expect("added");
                                prop_assert_eq!(new.user_id, uid(*d));
                                prop_assert_eq!(new.on_behalf_of.as_ref().map(|u| u.id), Some(uid(*p)));
                                prop_assert!(!before.no_delegation);
                            }
                        }
                        prop_assert!(delegation::apply(&tr.ticket, &[running(*p, *d, now)], &dir, now).is_err());
                    }
                }
                prop_assert!(!tr.events.is_empty());
            }
            if let Ok(tr) = res {
                check_invariants(&tr.ticket, &dir);
                prop_assert!(!tr.events.is_empty());
                t = tr.ticket;
            }
        }
        // Once ended, nobody can do anything.
        if !t.state.is_open() {
            let frozen = t.clone();
            for w in 0..N {
                for op in [Op::Approve(w, None), Op::Reject(w), Op::Close(w), Op::Comment(w), Op::Expire(0), Op::Timers, Op::Delegate(w, (w + 1) % N)] {
                    prop_assert!(run(&t, &dir, &op, t0() + Duration::days(100)).is_err());
                }
                prop_assert_eq!(allowed_actions(&actor(&dir, w), &t).iter().filter(|a| **a != TicketAction::View).count(), 0);
            }
            prop_assert_eq!(frozen, t);
        }
    }

    /// `any` is `at least 1` and `all` is `at least M` (M: the people the level resolved to):
    /// the same actions give the same outcomes, step by step.
    #[test]
    fn any_is_at_least_one_and_all_is_at_least_everyone(
        dir in arb_directory(),
        flow in arb_flow(),
        applicant in 0..N,
        form in arb_form(),
        ops in prop::collection::vec(arb_op(), 0..25),
    ) {
        let mut plain = flow.clone();
        for l in &mut plain.levels {
            if matches!(l.rule, Rule::AtLeast(_)) {
                l.rule = Rule::Any;
            }
            // An escalation grows a level: `all` follows it, a fixed N does not.
            l.timers = Timers::default();
        }
        let new = NewTicket {
            id: Uuid::from_u128(0x7001),
            serial: serial(t0().date_naive(), 1),
            title: "t".into(),
            org_id: Some(ORG),
            applicant: UserRef::new(uid(applicant), format!("u{applicant}")),
            request: TicketRequest::ApplyAsset(form.parse().unwrap()),
        };
        let Ok(opened) = open(new, &plain, &dir, t0()) else { return Ok(()) };
        let mut a = opened.ticket;
        let mut b = a.clone();
        for s in &mut b.steps {
            s.rule = Rule::AtLeast(s.needed() as u8);
        }
        let outcome = |t: &Ticket| {
            (t.state, t.current_level, t.steps.iter().map(|s| (s.state, s.approvals())).collect::<Vec<_>>())
        };
        for (k, op) in ops.iter().enumerate() {
            let now = t0() + Duration::days(k as i64);
            let (ra, rb) = (run(&a, &dir, op, now), run(&b, &dir, op, now));
            prop_assert_eq!(ra.is_ok(), rb.is_ok(), "{:?}", op);
            if let (Ok(ta), Ok(tb)) = (ra, rb) {
                a = ta.ticket;
                b = tb.ticket;
            }
            prop_assert_eq!(outcome(&a), outcome(&b));
        }
    }

    #[test]
    fn applying_a_diff_to_before_gives_after(a in arb_form(), b in arb_form()) {
        let (before, after) = (a.parse().unwrap(), b.parse().unwrap());
        let d = RequestDiff::between(&before, &after);
        prop_assert_eq!(d.apply(&before).unwrap(), after.clone());
        prop_assert_eq!(d.is_empty(), before == after);
        // JSON of the diff is enough to replay it.
        let replayed: RequestDiff = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        prop_assert_eq!(replayed.apply(&before).unwrap(), after);
    }

    #[test]
    fn action_sets_round_trip(bits in 0u8..128) {
        let s = ActionSet::from_bits_truncate(bits);
        let back: ActionSet = serde_json::from_value(serde_json::to_value(s).unwrap()).unwrap();
        prop_assert_eq!(back, s);
    }

    #[test]
    fn serials_round_trip(days in 0i64..40_000, counter in 0u32..2_000_000) {
        let date = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Duration::days(days);
        let s = serial(date, counter);
        prop_assert!(s.len() >= 12);
        prop_assert_eq!(parse_serial(&s), Some((date, counter)));
    }

    #[test]
    fn the_first_matching_login_rule_decides(
        rules in prop::collection::vec(arb_login_rule(), 0..8),
        user in 0..4usize,
        ip in prop::sample::select(vec!["10.0.0.5", "10.1.2.3", "192.168.1.1", "::1", "2001:db8::7"]),
    ) {
        let attempt = LoginAttempt {
            user_id: uid(user),
            username: format!("u{user}"),
            ip: ip.parse::<IpAddr>().unwrap(),
            at: t0(),
        };
        // Naive reference: among every active matching rule, the smallest (priority, id).
        let naive = rules
            .iter()
            .filter(|r| r.active)
            .filter(|r| !(r.action == AclAction::Review && r.reviewers.contains(&attempt.user_id)))
            .filter(|r| match &r.users {
                Selector::All => true,
                Selector::Ids(ids) => ids.contains(&attempt.user_id),
                Selector::Names(n) => n.contains(&attempt.username),
            })
            .filter(|r| r.ips.0.iter().any(|p| p.matches(attempt.ip)))
            .min_by_key(|r| (r.priority, r.id));
        let got = decide_login(&rules, &attempt);
        match naive {
            None => prop_assert_eq!(got, AclDecision::no_match()),
            Some(r) => {
                prop_assert_eq!(got.rule_id, Some(r.id));
                prop_assert_eq!(got.action, r.action);
                prop_assert!(!got.reviewers.contains(&attempt.user_id));
            }
        }
    }
}

fn arb_login_rule() -> impl Strategy<Value = LoginAcl> {
    (
        0u128..6,
        0i32..3,
        prop::bool::weighted(0.8),
        prop_oneof![
            Just(Selector::All),
            prop::collection::vec(0..4usize, 0..3)
                .prop_map(|v| Selector::Ids(v.into_iter().map(uid).collect())),
            prop::collection::vec(0..4usize, 0..3)
                .prop_map(|v| Selector::Names(v.into_iter().map(|i| format!("u{i}")).collect())),
        ],
        prop::collection::vec(
            prop::sample::select(vec![
                "*",
                "10.0.0.0/8",
                "10.0.0.1-10.0.0.9",
                "192.168.1.1",
                "::1",
                "2001:db8::/32",
            ]),
            0..3,
        ),
        prop_oneof![
            Just(AclAction::Accept),
            Just(AclAction::Reject),
            Just(AclAction::Review)
        ],
        prop::collection::vec(0..4usize, 0..3),
    )
        .prop_map(
            |(id, priority, active, users, ips, action, reviewers)| LoginAcl {
                id: Uuid::from_u128(id),
                name: format!("r{id}"),
                priority,
                active,
                users,
                ips: IpList::parse(&ips).unwrap(),
                time: TimeWindows::always(),
                action,
                reviewers: reviewers.into_iter().map(uid).collect(),
                step_up: false,
            },
        )
}
