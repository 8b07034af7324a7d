//! Out of office (core/src/delegation.rs) through the API: a delegation that starts now is
//! handed the tickets already waiting, tickets opened meanwhile ask the delegate too, the
//! delegate decides "for" the person (once), one that starts later is handed over by the
//! sweep, and every refusal names its field and changes nothing.

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{assignees, TestApp};

async fn sweep(app: &TestApp) -> Option<usize> {
    tollgate_server::jobs::timers::sweep(&app.pool)
        .await
        .expect("sweep")
}

fn away(delegate: uuid::Uuid, from_hours: i64, to_hours: i64) -> Value {
    let now = Utc::now();
    json!({"delegate_id": delegate,
           "starts_at": now + Duration::hours(from_hours),
           "ends_at": now + Duration::hours(to_hours)})
}

async fn ticket(app: &TestApp, c: &reqwest::Client, id: &str) -> Value {
    let (s, t) = app.get(c, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(s, 200, "{t}");
    t
}

/// Level 1: bob and carol, both must approve; level 2: admin.
async fn two_of_two(app: &TestApp) {
    let (bob, carol, admin) = (
        app.user_id("bob").await,
        app.user_id("carol").await,
        app.user_id("admin").await,
    );
    app.set_default_flow(json!({"levels": [
        {"selector": {"users": [bob, carol]}, "rule": "all"},
        {"selector": {"users": [admin]}, "rule": "any"},
    ], "cc": []}))
        .await;
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_delegate_is_asked_before_and_after_tickets_open_and_decides_for_the_person_once(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool, true).await;
    two_of_two(&app).await;
    let (alice, bob, carol, dave) = (
        app.signed_in("alice").await,
        app.signed_in("bob").await,
        app.signed_in("carol").await,
        app.signed_in("dave").await,
    );
    let (bob_id, dave_id) = (app.user_id("bob").await, app.user_id("dave").await);
    let before = app.open_simple(&alice, "Before").await;
    assert_eq!(
        assignees(&ticket(&app, &alice, &before).await, 1),
        ["bob", "carol"]
    );

    // Bob is away from now for a week: dave is asked on the ticket already waiting.
    let (s, d) = app
        .post(
            &bob,
            &format!("/api/v1/users/{bob_id}/delegations"),
            away(dave_id, -1, 24 * 7),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["running"], true);
    assert_eq!(d["delegate"]["username"], "dave");
    let t = ticket(&app, &alice, &before).await;
    assert_eq!(assignees(&t, 1), ["bob", "carol", "dave"]);
    assert_eq!(
        t["steps"][0]["assignees"][2]["on_behalf_of"]["username"],
        "bob"
    );
    assert_eq!(assignees(&t, 2), ["admin"], "admin is not away");
    assert_eq!(
        app.event_kinds(&alice, &json!(before)).await,
        ["opened", "delegated"]
    );
    assert_eq!(
        app.get(&dave, "/api/v1/tickets/inbox-count").await.1["count"],
        1
    );
    let (_, n) = app.get(&dave, "/api/v1/notifications").await;
    assert!(
        n["items"][0]["title"]
            .as_str()
            .unwrap()
            .contains("waits for your approval, for bob"),
        "{n}"
    );

    // A ticket opened meanwhile asks dave from the start.
    let after = app.open_simple(&alice, "After").await;
    assert_eq!(
        assignees(&ticket(&app, &alice, &after).await, 1),
        ["bob", "carol", "dave"]
    );
    assert_eq!(
        app.event_kinds(&alice, &json!(after)).await,
        ["opened", "delegated"]
    );

    // Dave approves for bob: bob's answer, given once; the level still needs carol.
    let (s, t) = app.act(&dave, &json!(before), "approve", json!({})).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["current_level"], 1);
    let step = &ticket(&app, &alice, &before).await["steps"][0];
    assert_eq!(
        (step["approvals"].clone(), step["needed"].clone()),
        (json!(1), json!(2))
    );
    let (s, e) = app.act(&bob, &json!(before), "approve", json!({})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("already_decided")),
        "{e}"
    );
    let (_, ev) = app
        .get(&alice, &format!("/api/v1/tickets/{before}/events"))
        .await;
    let approved = ev
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "approved")
        .unwrap();
    assert_eq!(approved["actor"]["username"], "dave");
    assert_eq!(approved["on_behalf_of"]["username"], "bob");
    let (_, n) = app.get(&alice, "/api/v1/notifications").await;
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["title"] == "dave for bob approved level 1"),
        "{n}"
    );
    let (s, t) = app.act(&carol, &json!(before), "approve", json!({})).await;
    assert_eq!((s, t["current_level"].clone()), (200, json!(2)), "{t}");

    // Bob's inbox says what was handed over, dave's what he stands in for.
    let (_, mine) = app
        .get(&bob, &format!("/api/v1/users/{bob_id}/delegations"))
        .await;
    assert_eq!(
        (mine["handed_over"].clone(), mine["standing_in"].clone()),
        (json!(1), json!(0)),
        "{mine}"
    );
    let (_, his) = app
        .get(&dave, &format!("/api/v1/users/{dave_id}/delegations"))
        .await;
    assert_eq!(
        (his["handed_over"].clone(), his["standing_in"].clone()),
        (json!(0), json!(1)),
        "{his}"
    );
    assert_eq!(his["delegations"][0]["person"]["username"], "bob");

    // Ended: new tickets ask bob alone; dave keeps what was handed to him.
    let id = d["id"].as_str().unwrap();
    let (s, _) = app
        .delete_json(&bob, &format!("/api/v1/users/{bob_id}/delegations/{id}"))
        .await;
    assert_eq!(s, 204);
    let third = app.open_simple(&alice, "Third").await;
    assert_eq!(
        assignees(&ticket(&app, &alice, &third).await, 1),
        ["bob", "carol"]
    );
    assert_eq!(
        assignees(&ticket(&app, &alice, &after).await, 1),
        ["bob", "carol", "dave"]
    );
    let (s, _) = app
        .delete_json(&bob, &format!("/api/v1/users/{bob_id}/delegations/{id}"))
        .await;
    assert_eq!(s, 404, "ended already");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_delegation_that_starts_later_is_handed_the_waiting_tickets_by_the_sweep(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    two_of_two(&app).await;
    let (alice, carol) = (app.signed_in("alice").await, app.signed_in("carol").await);
    let (carol_id, dave_id) = (app.user_id("carol").await, app.user_id("dave").await);
    let id = app.open_simple(&alice, "Waiting").await;
    let (s, d) = app
        .post(
            &carol,
            &format!("/api/v1/users/{carol_id}/delegations"),
            away(dave_id, 2, 48),
        )
        .await;
    assert_eq!((s, d["running"].clone()), (201, json!(false)), "{d}");
    assert_eq!(sweep(&app).await, Some(0), "not started yet");
    assert_eq!(
        assignees(&ticket(&app, &alice, &id).await, 1),
        ["bob", "carol"]
    );

    // Two hours on (the clock moved in the database): the sweep hands it over, once.
    sqlx::query("UPDATE delegations SET starts_at = starts_at - interval '2 hours'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(sweep(&app).await, Some(1));
    assert_eq!(sweep(&app).await, Some(0));
    assert_eq!(
        assignees(&ticket(&app, &alice, &id).await, 1),
        ["bob", "carol", "dave"]
    );
    assert_eq!(
        app.event_kinds(&alice, &json!(id)).await,
        ["opened", "delegated"]
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn delegations_are_refused_by_field_never_reach_the_applicant_and_respect_the_flow(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool, true).await;
    let (alice, bob, carol) = (
        app.signed_in("alice").await,
        app.signed_in("bob").await,
        app.signed_in("carol").await,
    );
    let (alice_id, bob_id, carol_id, dave_id) = (
        app.user_id("alice").await,
        app.user_id("bob").await,
        app.user_id("carol").await,
        app.user_id("dave").await,
    );
    let path = |u: uuid::Uuid| format!("/api/v1/users/{u}/delegations");
    let refused = |r: (u16, Value), field: &str| {
        assert_eq!(r.0, 422, "{}", r.1);
        assert_eq!(r.1["error"]["field"], field, "{}", r.1);
    };
    refused(
        app.post(&carol, &path(carol_id), away(carol_id, 0, 5))
            .await,
        "delegate_id",
    );
    refused(
        app.post(&carol, &path(carol_id), away(uuid::Uuid::new_v4(), 0, 5))
            .await,
        "delegate_id",
    );
    refused(
        app.post(&carol, &path(carol_id), away(dave_id, -5, -1))
            .await,
        "ends_at",
    );
    refused(
        app.post(&carol, &path(carol_id), away(dave_id, 5, 1)).await,
        "ends_at",
    );
    refused(
        app.post(&carol, &path(carol_id), away(dave_id, 0, 24 * 400))
            .await,
        "ends_at",
    );
    // Someone else's delegations are nobody's business but an admin's.
    assert_eq!(
        app.post(&carol, &path(bob_id), away(dave_id, 0, 5)).await.0,
        404
    );
    assert_eq!(app.get(&carol, &path(bob_id)).await.0, 404);
    assert_eq!(app.count("SELECT count(*) FROM delegations").await, 0);

    // Bob (the Default org's admin) may not act for carol (Research), but may for dave: he
    // names alice as dave's delegate; then overlaps refuse.
    assert_eq!(
        app.post(&bob, &path(carol_id), away(alice_id, -1, 24))
            .await
            .0,
        404
    );
    let (s, d) = app.post(&bob, &path(dave_id), away(alice_id, -1, 24)).await;
    assert_eq!(s, 201, "{d}");
    refused(
        app.post(&bob, &path(dave_id), away(carol_id, 12, 36)).await,
        "starts_at",
    );
    refused(
        app.post(&alice, &path(alice_id), away(dave_id, 0, 5)).await,
        "delegate_id",
    );
    assert_eq!(app.count("SELECT count(*) FROM delegations").await, 1);

    // Alice applies: dave's delegate is alice herself, so nobody stands in for dave.
    app.set_default_flow(json!({"levels": [
        {"selector": {"users": [dave_id]}, "rule": "any"},
        {"selector": {"users": [dave_id]}, "rule": "any", "no_delegation": true},
    ], "cc": []}))
        .await;
    let id = app.open_simple(&alice, "Mine").await;
    let t = ticket(&app, &alice, &id).await;
    assert_eq!(
        (assignees(&t, 1), assignees(&t, 2)),
        (vec!["dave".to_string()], vec!["dave".to_string()])
    );
    assert_eq!(app.event_kinds(&alice, &json!(id)).await, ["opened"]);

    // With carol as the delegate: level 1 asks her too, level 2 forbids it.
    sqlx::query("UPDATE delegations SET delegate_id = $1")
        .bind(carol_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let id = app.open_simple(&alice, "Again").await;
    let t = ticket(&app, &alice, &id).await;
    assert_eq!(assignees(&t, 1), ["dave", "carol"]);
    assert_eq!(assignees(&t, 2), ["dave"]);
}
