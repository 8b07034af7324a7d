//! Being told (SPEC §7): what a ticket event must reach, written in the event's own
//! transaction.
//!
//! - **In-app notifications** are a database write: [`record`] inserts them directly, in the
//!   transaction of the event, so a notification exists exactly when its event does (never
//!   lost, never doubled). Those of a person with an email address are mailed too
//!   (jobs/mail.rs).
//! - **Webhook POSTs** (and later other external deliveries) go through the `outbox` table,
//!   one row per event and active webhook, delivered by the worker in jobs/webhooks.rs (at
//!   least once).

use std::collections::BTreeMap;

use chrono::Utc;
use sqlx::PgConnection;
use tollgate_app::AppError;
use tollgate_core::{EventKind, Ticket, TicketEvent, TicketState};
use uuid::Uuid;

/// One in-app message for one person.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub user_id: Uuid,
    /// `awaiting` (your decision is wanted), or the event kind (`approved`, `rejected`, …).
    pub kind: String,
    pub title: String,
    pub body: String,
    /// For `awaiting`: the level the decision is asked for.
    pub level: Option<u8>,
}

fn name_of(t: &Ticket, user: Option<Uuid>) -> String {
    let Some(u) = user else {
        return "Tollgate".to_string();
    };
    if t.applicant.id == u {
        return t.applicant.username.clone();
    }
    t.steps
        .iter()
        .flat_map(|s| s.assignees.iter())
        .find(|a| a.user_id == u)
        .map(|a| a.username.clone())
        .or_else(|| t.cc.iter().find(|c| c.id == u).map(|c| c.username.clone()))
        .unwrap_or_else(|| "someone".to_string())
}

fn level_assignees(t: &Ticket, level: u8) -> Vec<Uuid> {
    t.steps
        .iter()
        .filter(|s| s.level == level)
        .flat_map(|s| s.assignees.iter().map(|a| a.user_id))
        .collect()
}

/// The assignees of `level` who have not answered.
fn waiting(t: &Ticket, level: u8) -> Vec<Uuid> {
    t.steps
        .iter()
        .filter(|s| s.level == level)
        .flat_map(|s| s.assignees.iter())
        .filter(|a| a.decision == tollgate_core::Decision::Pending)
        .map(|a| a.user_id)
        .collect()
}

/// Who is told what of `events` (SPEC §7): the assignees when a level becomes theirs (on open
/// and on each new level), the applicant of every decision, CC users of every change; the
/// person who acted is never told of their own act. One notice per person per change: the
/// later event says more (an approval that moved the ticket on is told as the new level).
pub fn notices(after: &Ticket, events: &[TicketEvent]) -> Vec<Notice> {
    let mut out: BTreeMap<Uuid, Notice> = BTreeMap::new();
    let head = format!("{} · {}", after.serial, after.title);
    let cc: Vec<Uuid> = after.cc.iter().map(|c| c.id).collect();
    let current = level_assignees(after, after.current_level);
    for e in events {
        let who = match e.on_behalf_of {
            Some(p) => format!(
                "{} for {}",
                name_of(after, e.actor),
                name_of(after, Some(p))
            ),
            None => name_of(after, e.actor),
        };
        let level = e.level.unwrap_or(after.current_level);
        let mut tell = |users: &[Uuid], kind: &str, title: String, body: &str| {
            for &u in users {
                if Some(u) == e.actor {
                    continue;
                }
                // An edit never hides the decision it came with, nor a reminder the
                // escalation it came with.
                if matches!(e.kind, EventKind::Edited | EventKind::Reminded) && out.contains_key(&u)
                {
                    continue;
                }
                out.insert(
                    u,
                    Notice {
                        user_id: u,
                        kind: kind.to_string(),
                        title: title.clone(),
                        body: body.to_string(),
                        level: (kind == "awaiting").then_some(level),
                    },
                );
            }
        };
        let applicant = [after.applicant.id];
        let comment = e.comment.clone().unwrap_or_default();
        match e.kind {
            EventKind::Opened => {
                tell(
                    &level_assignees(after, level),
                    "awaiting",
                    format!("{who} asks for your approval: {}", after.title),
                    &after.serial,
                );
                tell(&cc, "opened", format!("{who} opened {head}"), "");
            }
            EventKind::LevelAdvanced => {
                tell(
                    &level_assignees(after, level),
                    "awaiting",
                    format!(
                        "{} waits for your approval (level {level})",
                        after.applicant.username
                    ),
                    &head,
                );
                let msg = format!(
                    "Level {} approved; now at level {level}",
                    level.saturating_sub(1)
                );
                tell(&applicant, "level_advanced", msg.clone(), &head);
                tell(&cc, "level_advanced", msg, &head);
            }
            EventKind::Approved => {
                let title = if after.state == TicketState::Approved {
                    format!("Approved: {}", after.title)
                } else {
                    format!("{who} approved level {level}")
                };
                tell(&applicant, "approved", title.clone(), &after.serial);
                tell(&cc, "approved", title, &after.serial);
            }
            EventKind::Rejected => {
                let title = format!("{who} rejected {}", after.title);
                tell(&applicant, "rejected", title.clone(), &comment);
                tell(&cc, "rejected", title, &comment);
            }
            EventKind::Closed => {
                let title = format!("{who} closed {}", after.title);
                tell(&applicant, "closed", title.clone(), &comment);
                tell(&cc, "closed", title, &comment);
            }
            EventKind::Withdrawn => {
                let title = format!("{who} withdrew {}", after.title);
                tell(
                    &level_assignees(after, level),
                    "withdrawn",
                    title.clone(),
                    &head,
                );
                tell(&cc, "withdrawn", title, &head);
            }
            EventKind::Expired => {
                let title = format!("Expired without a decision: {}", after.title);
                tell(&applicant, "expired", title.clone(), &head);
                tell(
                    &level_assignees(after, level),
                    "expired",
                    title.clone(),
                    &head,
                );
                tell(&cc, "expired", title, &head);
            }
            EventKind::Commented => {
                let title = format!("{who} commented on {}", after.title);
                let mut users = vec![after.applicant.id];
                if after.state == TicketState::Pending {
                    users.extend(current.iter().copied());
                }
                users.extend(cc.iter().copied());
                tell(&users, "commented", title, &comment);
            }
            EventKind::Edited => {
                let title = format!("{who} changed what {} asks for", after.serial);
                tell(&applicant, "edited", title.clone(), &head);
                tell(&cc, "edited", title, &head);
            }
            EventKind::Reminded => {
                tell(
                    &waiting(after, level),
                    "awaiting",
                    format!(
                        "Reminder: {} waits for your approval (level {level})",
                        after.applicant.username
                    ),
                    &head,
                );
            }
            EventKind::Escalated => {
                tell(
                    &waiting(after, level),
                    "awaiting",
                    format!(
                        "Escalated: {}'s request waits for your approval (level {level})",
                        after.applicant.username
                    ),
                    &head,
                );
                let title = format!("{} was escalated", after.serial);
                tell(&applicant, "escalated", title.clone(), &comment);
                tell(&cc, "escalated", title, &comment);
            }
            EventKind::Delegated => {
                // The delegates this added at the current level are asked now (those of later
                // levels when theirs comes).
                let stand_ins: Vec<Uuid> = after
                    .current_step()
                    .filter(|s| s.level == level)
                    .into_iter()
                    .flat_map(|s| s.assignees.iter())
                    .filter(|a| {
                        a.decision == tollgate_core::Decision::Pending
                            && a.on_behalf_of.as_ref().map(|p| p.id) == e.actor
                    })
                    .map(|a| a.user_id)
                    .collect();
                tell(
                    &stand_ins,
                    "awaiting",
                    format!(
                        "{}'s request waits for your approval, for {who} (level {level})",
                        after.applicant.username
                    ),
                    &head,
                );
            }
            EventKind::GrantRevoked => {
                let title = format!("The access granted by {} was revoked", after.serial);
                tell(&applicant, "grant_revoked", title.clone(), &comment);
                // The people who let it through, and CC, learn it was taken back and why.
                let approvers: Vec<Uuid> = after
                    .steps
                    .iter()
                    .flat_map(|s| s.assignees.iter())
                    .filter(|a| a.decision == tollgate_core::Decision::Approved)
                    .map(|a| a.user_id)
                    .collect();
                let revoked = format!("{who} revoked the access {} granted", after.serial);
                tell(&approvers, "grant_revoked", revoked.clone(), &comment);
                tell(&cc, "grant_revoked", revoked, &comment);
            }
        }
    }
    out.into_values().collect()
}

/// The JSON a webhook receives for one event.
pub fn webhook_payload(delivery: Uuid, t: &Ticket, e: &TicketEvent) -> serde_json::Value {
    serde_json::json!({
        "delivery_id": delivery,
        "event": e.kind.as_str(),
        "at": e.at,
        "actor": e.actor.map(|a| serde_json::json!({"id": a, "username": name_of(t, Some(a))})),
        "level": e.level,
        "comment": e.comment,
        "step_up": e.step_up.map(|s| s.as_str()),
        "on_behalf_of": e.on_behalf_of.map(|p| serde_json::json!({"id": p, "username": name_of(t, Some(p))})),
        "ticket": {
            "id": t.id,
            "serial": t.serial,
            "type": t.ticket_type.as_str(),
            "title": t.title,
            "org_id": t.org_id,
            "applicant": {"id": t.applicant.id, "username": t.applicant.username},
            "state": t.state.as_str(),
            "current_level": t.current_level,
        },
    })
}

/// Writes, in the caller's transaction, everything a change leaves besides the ticket row: in
/// one statement its events in the history (in their order), the in-app messages, one outbox
/// row per event and active webhook and the live notification (Postgres sends it on commit);
/// then the assignees' inbox counters. Call it last, right before the commit: the counters are
/// rows every ticket of an approver shares, taken in user order (no deadlock) and held only for
/// the commit. Two statements where there were five: each round trip cost both sides CPU.
pub async fn record(
    db: &mut PgConnection,
    after: &Ticket,
    events: &[TicketEvent],
    live_kind: &str,
    inbox: crate::store::tickets::InboxDelta,
) -> Result<(), AppError> {
    let now = Utc::now();
    let notices = notices(after, events);
    // The webhook payloads' delivery id, also in the payload, is made by Postgres.
    let payloads: Vec<serde_json::Value> = events
        .iter()
        .map(|e| webhook_payload(Uuid::nil(), after, e))
        .collect();
    let mut diffs = Vec::with_capacity(events.len());
    for e in events {
        diffs.push(
            e.diff
                .as_ref()
                .map(crate::store::tickets::json)
                .transpose()?,
        );
    }
    let live = crate::store::live::payload(crate::store::live::LiveEvent {
        ticket_id: after.id,
        kind: live_kind.to_string(),
        state: after.state.as_str().to_string(),
        users: after.watchers(),
        at: now,
    })?;
    crate::store::outbox::record(
        db,
        crate::store::outbox::Change {
            ticket_id: after.id,
            link: format!("/tickets/{}", after.id),
            at: now,
            events,
            diffs,
            notifications: notices
                .iter()
                .map(|n| crate::store::outbox::NewNotification {
                    user_id: n.user_id,
                    kind: &n.kind,
                    title: &n.title,
                    body: &n.body,
                    level: n.level.map(i16::from),
                })
                .collect(),
            webhook_payloads: payloads,
            live,
        },
    )
    .await?;
    // The counters in a statement of their own, the last: in the one above they were held
    // while the rest of it and its foreign-key checks ran (bench: 4.8 ms waits, fewer
    // lifecycles).
    inbox.apply(db).await?;
    Ok(())
}

#[cfg(test)]
mod notice_tests {
    use super::notices;
    use chrono::Utc;
    use tollgate_core::{
        Assignee, EventKind, LoginConfirmRequest, Rule, Step, StepState, Ticket, TicketEvent,
        TicketRequest, TicketState, TicketType, UserRef,
    };
    use uuid::Uuid;

    fn ticket(applicant: Uuid, l1: Uuid, l2: Uuid, cc: Uuid) -> Ticket {
        let step = |level, user| Step {
            level,
            rule: Rule::Any,
            step_up: false,
            reject_reason_min: 0,
            timers: Default::default(),
            clock: Default::default(),
            state: StepState::Active,
            assignees: vec![Assignee::new(UserRef::new(user, format!("u{level}")))],
            no_delegation: false,
        };
        Ticket {
            id: Uuid::new_v4(),
            serial: "202611280001".into(),
            ticket_type: TicketType::LoginConfirm,
            title: "T".into(),
            org_id: None,
            applicant: UserRef::new(applicant, "alice"),
            state: TicketState::Pending,
            current_level: 1,
            steps: vec![step(1, l1), step(2, l2)],
            cc: vec![UserRef::new(cc, "cc")],
            request: TicketRequest::LoginConfirm(LoginConfirmRequest {
                ip: std::net::IpAddr::from([10, 0, 0, 1]),
                city: None,
                user_agent: "test".into(),
                at: Utc::now(),
            }),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn cc_hears_every_change_and_nobody_their_own() {
        let [a, l1, l2, cc] = [(); 4].map(|_| Uuid::new_v4());
        let t = ticket(a, l1, l2, cc);
        let now = Utc::now();
        let opened = notices(
            &t,
            &[TicketEvent::new(EventKind::Opened, Some(a), now, Some(1))],
        );
        let who: Vec<(Uuid, &str)> = opened
            .iter()
            .map(|n| (n.user_id, n.kind.as_str()))
            .collect();
        assert!(who.contains(&(l1, "awaiting")) && who.contains(&(cc, "opened")));
        assert_eq!(who.len(), 2, "not level 2 yet, not the applicant");

        let moved = notices(
            &t,
            &[
                TicketEvent::new(EventKind::Approved, Some(l1), now, Some(1)),
                TicketEvent::new(EventKind::LevelAdvanced, None, now, Some(2)),
            ],
        );
        let kind = |u| {
            moved
                .iter()
                .find(|n| n.user_id == u)
                .map(|n| n.kind.as_str())
        };
        assert_eq!(kind(l2), Some("awaiting"));
        assert_eq!(kind(a), Some("level_advanced"));
        assert_eq!(kind(cc), Some("level_advanced"));
        assert_eq!(
            kind(l1),
            None,
            "the approver is not told of their own approval"
        );
    }
}
