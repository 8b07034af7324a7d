//! Level timers (core/src/timers.rs) through the sweep, with the clock moved in the database
//! as the expiry tests move deadlines: reminders, an escalation, a timed end, who is told, and
//! an escalation racing an approval.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::flows::assignees;
use crate::helpers::TestApp;

/// Moves ticket `id` `hours` into its past: the clocks of its levels and its timer's due time.
async fn age(app: &TestApp, id: &str, hours: i32) {
    let mut db = app.pool.acquire().await.expect("a connection");
    sqlx::raw_sql(include_str!("../sql/age_ticket.sql"))
        .execute(&mut *db)
        .await
        .expect("define age_ticket");
    sqlx::query("SELECT pg_temp.age_ticket($1::uuid, $2)")
        .bind(id)
        .bind(hours)
        .execute(&mut *db)
        .await
        .expect("age the ticket");
}

async fn sweep(app: &TestApp) -> Option<usize> {
    tollgate_server::jobs::timers::sweep(&app.pool)
        .await
        .expect("sweep")
}

fn titles(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_string())
        .collect()
}

/// Level 1: bob, reminded every 4 hours, escalated to dave after 24; level 2: carol.
async fn timed_flow(app: &TestApp, end: Option<Value>) {
    let (bob, carol, dave) = (
        app.user_id("bob").await,
        app.user_id("carol").await,
        app.user_id("dave").await,
    );
    let mut timers = json!({"remind_every_hours": 4,
        "escalate": {"after_hours": 24, "selector": {"users": [dave]}}});
    if let Some(end) = end {
        timers["end"] = end;
    }
    app.set_default_flow(json!({"levels": [
        {"selector": {"users": [bob]}, "rule": "any", "timers": timers},
        {"selector": {"users": [carol]}, "rule": "any"},
    ], "cc": []}))
        .await;
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn reminders_and_an_escalation_run_as_time_passes_and_tell_who_is_asked(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    timed_flow(&app, None).await;
    let alice = app.signed_in("alice").await;
    let id = app.open_simple(&alice, "Timed").await;
    let (bob, dave) = (app.signed_in("bob").await, app.signed_in("dave").await);
    assert_eq!(sweep(&app).await, Some(0), "nothing due yet");

    // Five hours on: bob is reminded, once however often the sweep runs.
    age(&app, &id, 5).await;
    assert_eq!(sweep(&app).await, Some(1));
    assert_eq!(sweep(&app).await, Some(0));
    assert_eq!(
        app.event_kinds(&alice, &json!(id)).await,
        ["opened", "reminded"]
    );
    let (_, n) = app.get(&bob, "/api/v1/notifications").await;
    assert!(
        titles(&n)
            .iter()
            .any(|t| t.starts_with("Reminder: alice waits")),
        "{n}"
    );
    assert_eq!(
        app.get(&dave, "/api/v1/tickets/inbox-count").await.1["count"],
        0
    );

    // A day on: dave is added to level 1 and told; bob is reminded again.
    age(&app, &id, 20).await;
    assert_eq!(sweep(&app).await, Some(1));
    assert_eq!(
        app.event_kinds(&alice, &json!(id)).await,
        ["opened", "reminded", "escalated", "reminded"]
    );
    let (_, t) = app.get(&alice, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(assignees(&t, 0), ["bob", "dave"], "{t}");
    let (_, ev) = app
        .get(&alice, &format!("/api/v1/tickets/{id}/events"))
        .await;
    let escalated = ev
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "escalated")
        .unwrap();
    assert_eq!(escalated["actor"], Value::Null);
    assert_eq!(
        escalated["comment"],
        "No decision within 24 hours; added dave."
    );
    assert_eq!(
        app.get(&dave, "/api/v1/tickets/inbox-count").await.1["count"],
        1
    );
    let (_, n) = app.get(&dave, "/api/v1/notifications").await;
    assert!(
        titles(&n).iter().any(|t| t.starts_with("Escalated:")),
        "{n}"
    );
    let (_, n) = app.get(&alice, "/api/v1/notifications").await;
    assert!(
        titles(&n).iter().any(|t| t.ends_with("was escalated")),
        "{n}"
    );

    // The escalation happens once; dave decides like anyone asked.
    age(&app, &id, 48).await;
    sweep(&app).await;
    let escalations = app
        .event_kinds(&alice, &json!(id))
        .await
        .iter()
        .filter(|k| *k == "escalated")
        .count();
    assert_eq!(escalations, 1);
    let (s, t) = app
        .post(&dave, &format!("/api/v1/tickets/{id}/approve"), json!({}))
        .await;
    assert_eq!((s, t["current_level"].as_i64()), (200, Some(2)), "{t}");
    assert_eq!(
        app.get(&dave, "/api/v1/tickets/inbox-count").await.1["count"],
        0
    );
    assert_eq!(
        app.get(&bob, "/api/v1/tickets/inbox-count").await.1["count"],
        0
    );
    // Level 2 has no timer: nothing is left for the sweep.
    assert_eq!(app.count("SELECT count(*) FROM ticket_timers").await, 0);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_level_that_ends_after_some_hours_rejects_the_ticket_and_says_why(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    timed_flow(&app, Some(json!({"after_hours": 72, "outcome": "reject"}))).await;
    let alice = app.signed_in("alice").await;
    let id = app.open_simple(&alice, "Ends").await;
    age(&app, &id, 73).await;
    assert_eq!(sweep(&app).await, Some(1));
    let (_, t) = app.get(&alice, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(t["state"], "rejected", "{t}");
    assert_eq!(
        app.event_kinds(&alice, &json!(id)).await,
        ["opened", "rejected"],
        "the end wins over the reminder and the escalation due with it"
    );
    let (_, n) = app.get(&alice, "/api/v1/notifications").await;
    assert!(titles(&n).iter().any(|t| t.contains("rejected")), "{n}");
    assert_eq!(app.count("SELECT count(*) FROM ticket_timers").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM pending_expiry").await, 0);
    let bob = app.signed_in("bob").await;
    assert_eq!(
        app.get(&bob, "/api/v1/tickets/inbox-count").await.1["count"],
        0
    );
}

/// An escalation and an approval at the same moment, ten times: whichever goes first, the
/// ticket ends at level 2 with one approval, and nobody is left waiting at level 1.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_escalation_racing_an_approval_has_one_outcome(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    timed_flow(&app, None).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let dave = app.signed_in("dave").await;
    for round in 0..10 {
        let id = app.open_simple(&alice, &format!("Race {round}")).await;
        age(&app, &id, 25).await;
        let url = format!("{}/api/v1/tickets/{id}/approve", app.url);
        let approve = bob.post(&url).json(&json!({})).send();
        let (r, swept) = tokio::join!(approve, sweep(&app));
        assert_eq!(r.unwrap().status(), 200, "round {round}");
        assert!(swept.is_some());
        let (_, t) = app.get(&alice, &format!("/api/v1/tickets/{id}")).await;
        assert_eq!(t["current_level"], 2, "round {round}: {t}");
        let kinds = app.event_kinds(&alice, &json!(id)).await;
        assert_eq!(
            kinds.iter().filter(|k| *k == "approved").count(),
            1,
            "{kinds:?}"
        );
        assert_eq!(
            app.get(&dave, "/api/v1/tickets/inbox-count").await.1["count"],
            0
        );
    }
    // Every ticket moved on: no timer is left to run.
    assert_eq!(sweep(&app).await, Some(0));
}

/// A grant's holder is told once, within the setting's hours of its end, with a link that
/// opens a new request made from it; not before, not for a revoked grant, never with 0.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_grant_holder_is_told_once_before_it_ends(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let admin = app.signed_in("admin").await;
    let (s, st) = app
        .patch(
            &admin,
            "/api/v1/settings",
            json!({"grant_ending_notice_hours": 2}),
        )
        .await;
    assert_eq!(
        (s, st["grant_ending_notice_hours"].as_i64()),
        (200, Some(2)),
        "{st}"
    );
    let alice = app.signed_in("alice").await;
    let mut grants = Vec::new();
    for title in ["Ends soon", "Revoked"] {
        let id = app.open_simple(&alice, title).await;
        for who in ["bob", "carol"] {
            let c = app.signed_in(who).await;
            let (s, t) = app
                .post(&c, &format!("/api/v1/tickets/{id}/approve"), json!({}))
                .await;
            assert_eq!(s, 200, "{t}");
        }
        grants.push(id);
    }
    let told = |app: &TestApp| {
        let alice = alice.clone();
        let url = format!("{}/api/v1/notifications", app.url);
        async move {
            let v: Value = alice.get(url).send().await.unwrap().json().await.unwrap();
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["kind"] == "grant_ending")
                .cloned()
                .collect::<Vec<_>>()
        }
    };
    // A day left: not yet.
    assert_eq!(sweep(&app).await, Some(0));
    assert!(told(&app).await.is_empty());
    // An hour left on both; one is revoked: its holder is told of the other only, once.
    sqlx::query("UPDATE grants SET valid_until = now() + interval '1 hour'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (s, r) = app
        .delete_json(&admin, &format!("/api/v1/grants/{}", grants[1]))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(sweep(&app).await, Some(1));
    assert_eq!(sweep(&app).await, Some(0));
    let notes = told(&app).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(
        notes[0]["link"],
        format!("/tickets/new?again={}", grants[0])
    );
    assert!(
        notes[0]["title"].as_str().unwrap().ends_with("ends soon"),
        "{notes:?}"
    );
    // With the setting at 0 nobody is told.
    let (s, _) = app
        .patch(
            &admin,
            "/api/v1/settings",
            json!({"grant_ending_notice_hours": 0}),
        )
        .await;
    assert_eq!(s, 200);
    sqlx::query("UPDATE grants SET ending_told_at = NULL")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(sweep(&app).await, Some(0));
}
