//! The whole way from a request to access: level 1 edits and approves, level 2 approves, the
//! grant carries the edited request, and the access check follows it through revoke and expiry.

use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::TestApp;

async fn check(
    app: &TestApp,
    c: &reqwest::Client,
    user: Uuid,
    asset: Uuid,
    account: &str,
    action: &str,
) -> Value {
    let (s, v) = app
        .get(
            c,
            &format!(
                "/api/v1/grants/check?user={user}&asset={asset}&account={account}&action={action}"
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_edited_two_level_approval_grants_exactly_the_edited_access(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let dave = app.signed_in("dave").await;
    let web1 = app.asset_id("web-01").await;
    let web2 = app.asset_id("web-02").await;
    let alice_id = app.user_id("alice").await;

    let t = app.open_default(&alice, &[web1, web2]).await;
    let id = t["id"].as_str().unwrap().to_string();

    // bob keeps web-01 only and connect only.
    let (s, t1) = app
        .act(
            &bob,
            &t["id"],
            "approve",
            json!({"comment": "web-01 is enough", "edits": {"assets": [web1], "actions": ["connect"]}}),
        )
        .await;
    assert_eq!(s, 200, "{t1}");
    assert_eq!(t1["state"], "pending");
    assert_eq!(t1["current_level"], 2);
    assert_eq!(t1["request"]["assets"], json!([web1]));
    assert_eq!(t1["request"]["actions"], json!(["connect"]));
    assert_eq!(
        t1["request"]["accounts"],
        json!(["root", "deploy"]),
        "untouched"
    );

    // Everyone who sees the ticket sees the change, as a diff.
    let (s, ev) = app
        .get(&alice, &format!("/api/v1/tickets/{id}/events"))
        .await;
    assert_eq!(s, 200);
    let kinds: Vec<&str> = ev
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "edited", "approved", "level_advanced"]);
    let edited = &ev[1];
    assert_eq!(edited["actor"]["username"], "bob");
    assert_eq!(edited["level"], 1);
    let changes = edited["diff"]["changes"].as_array().unwrap();
    let fields: Vec<&str> = changes
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["assets", "actions"], "{edited}");
    assert_eq!(changes[0]["before"], json!([web1, web2]));
    assert_eq!(changes[0]["after"], json!([web1]));
    assert_eq!(changes[1]["before"], json!(["connect", "upload"]));
    assert_eq!(changes[1]["after"], json!(["connect"]));
    assert_eq!(ev[2]["comment"], "web-01 is enough");

    // carol is not in Default, and approves the last level.
    let (s, done) = app.act(&carol, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["state"], "approved");
    assert_eq!(done["steps"][1]["state"], "done");
    let (s, e) = app.act(&carol, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 409);
    assert_eq!(e["error"]["details"]["state"], "approved");

    // The grant: same id as the ticket, the edited request.
    let (s, g) = app.get(&alice, &format!("/api/v1/grants/{id}")).await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["id"], t["id"]);
    assert_eq!(g["ticket_serial"], t["serial"]);
    assert_eq!(g["user"]["username"], "alice");
    assert_eq!(g["permission_name"], "release access");
    assert_eq!(g["assets"], json!([{"id": web1, "name": "web-01"}]));
    assert_eq!(g["accounts"], json!(["root", "deploy"]));
    assert_eq!(g["actions"], json!(["connect"]));
    assert_eq!(g["status"], "active");
    let ts = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let drift = ts(&g["valid_until"]) - ts(&t["request"]["expiry"]);
    assert!(
        drift.num_milliseconds().abs() < 1,
        "the asked expiry: {drift}"
    );
    assert_eq!(app.count("SELECT count(*) FROM grants").await, 1);
    let (_, mine) = app.get(&alice, "/api/v1/grants?mine=true").await;
    assert_eq!(mine["total"], 1, "{mine}");
    let (_, theirs) = app.get(&bob, "/api/v1/grants").await;
    assert_eq!(theirs["total"], 1, "bob oversees Default: {theirs}");
    let (_, past) = app.get(&alice, "/api/v1/grants?mine=true&page=2").await;
    assert_eq!(
        (&past["items"], &past["total"]),
        (&json!([]), &json!(1)),
        "{past}"
    );
    let (_, none) = app.get(&bob, "/api/v1/grants?mine=true").await;
    assert_eq!(none["total"], 0);
    let (s, _) = app.get(&dave, &format!("/api/v1/grants/{id}")).await;
    assert_eq!(s, 404, "someone else's grant");

    // The check.
    let yes = check(&app, &alice, alice_id, web1, "root", "connect").await;
    assert_eq!(yes["allowed"], true, "{yes}");
    assert_eq!(yes["grant_id"], t["id"]);
    assert_eq!(yes["valid_until"], g["valid_until"]);
    assert_eq!(
        check(&app, &alice, alice_id, web1, "DEPLOY", "connect").await["allowed"],
        true,
        "account names are case-insensitive"
    );
    for (asset, account, action, why) in [
        (web1, "root", "upload", "bob removed upload"),
        (web2, "root", "connect", "bob removed web-02"),
        (web1, "readonly", "connect", "never asked for"),
    ] {
        let no = check(&app, &alice, alice_id, asset, account, action).await;
        assert_eq!(no["allowed"], false, "{why}: {no}");
        assert_eq!(no["grant_id"], Value::Null);
    }
    let dave_id = app.user_id("dave").await;
    let (s, _) = app
        .get(
            &dave,
            &format!(
                "/api/v1/grants/check?user={alice_id}&asset={web1}&account=root&action=connect"
            ),
        )
        .await;
    assert_eq!(s, 403, "dave may not ask about alice");
    assert_eq!(
        check(&app, &dave, dave_id, web1, "root", "connect").await["allowed"],
        false
    );

    // Revoke: not by the grantee, yes by the org admin; the check follows.
    let (s, _) = app
        .delete_json(&alice, &format!("/api/v1/grants/{id}"))
        .await;
    assert_eq!(s, 403);
    let (s, r) = app.delete_json(&bob, &format!("/api/v1/grants/{id}")).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["status"], "revoked");
    assert!(r["revoked_at"].is_string());
    assert_eq!(
        check(&app, &alice, alice_id, web1, "root", "connect").await["allowed"],
        false,
        "revoked"
    );

    // Expiry: give it back, then let its time run out.
    sqlx::query("UPDATE grants SET revoked_at = NULL WHERE id = $1")
        .bind(Uuid::parse_str(&id).unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        check(&app, &alice, alice_id, web1, "root", "connect").await["allowed"],
        true
    );
    sqlx::query(
        "UPDATE grants SET valid_from = now() - interval '2 days', valid_until = now() - interval '1 minute' WHERE id = $1",
    )
    .bind(Uuid::parse_str(&id).unwrap())
    .execute(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        check(&app, &alice, alice_id, web1, "root", "connect").await["allowed"],
        false,
        "expired"
    );
    let (_, g) = app.get(&alice, &format!("/api/v1/grants/{id}")).await;
    assert_eq!(g["status"], "expired");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_grant_that_starts_later_is_not_yet_usable(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let web1 = app.asset_id("web-01").await;
    let alice_id = app.user_id("alice").await;
    let t = app.open_default(&alice, &[web1]).await;
    // bob narrows the day asked for to its second half.
    let later = chrono::Utc::now() + chrono::Duration::hours(12);
    let (s, e) = app
        .act(
            &bob,
            &t["id"],
            "approve",
            json!({"edits": {"start": later, "expiry": later + chrono::Duration::hours(6)}}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    // An approver cannot turn the window around.
    let (s, e) = app
        .act(
            &carol,
            &t["id"],
            "approve",
            json!({"edits": {"expiry": later - chrono::Duration::hours(1)}}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["field"], "expiry");
    let (s, _) = app.act(&carol, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 200);
    let id = t["id"].as_str().unwrap();
    let (_, g) = app.get(&alice, &format!("/api/v1/grants/{id}")).await;
    assert_eq!(g["status"], "scheduled", "{g}");
    assert_eq!(
        check(&app, &alice, alice_id, web1, "root", "connect").await["allowed"],
        false
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_last_levels_approver_revokes_with_a_reason_and_every_instance_refuses_at_once(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let other = TestApp::spawn_again(pool).await;
    let (carol_id, alice_id) = (app.user_id("carol").await, app.user_id("alice").await);
    app.set_default_flow(
        json!({"levels": [{"selector": {"users": [carol_id]}, "rule": "any"}], "cc": []}),
    )
    .await;
    let (alice, carol, dave) = (
        app.signed_in("alice").await,
        app.signed_in("carol").await,
        app.signed_in("dave").await,
    );
    let id = app.open_simple(&alice, "Revoke me").await;
    let (s, t) = app.act(&carol, &json!(id), "approve", json!({})).await;
    assert_eq!((s, t["state"].as_str()), (200, Some("approved")), "{t}");
    let web1 = app.asset_id("web-01").await;
    let admin = other.signed_in("admin").await;
    assert_eq!(
        check(&other, &admin, alice_id, web1, "root", "connect").await["allowed"],
        true
    );
    let path = format!("/api/v1/grants/{id}/revoke");
    let why = json!({"reason": "She left the project"});
    // Who may not: dave cannot see it (404), alice holds it (403); without a reason, 422.
    assert_eq!(app.post(&dave, &path, why.clone()).await.0, 404);
    assert_eq!(app.post(&alice, &path, why.clone()).await.0, 403);
    let (s, e) = app.post(&carol, &path, json!({"reason": "   "})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("reason")),
        "{e}"
    );
    assert_eq!(
        check(&other, &admin, alice_id, web1, "root", "connect").await["allowed"],
        true,
        "unchanged"
    );

    let (s, g) = app.post(&carol, &path, why.clone()).await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(
        (g["status"].as_str(), g["can_revoke"].as_bool()),
        (Some("revoked"), Some(false))
    );
    // The other instance refuses at once.
    assert_eq!(
        check(&other, &admin, alice_id, web1, "root", "connect").await["allowed"],
        false
    );
    let (s, e) = app.post(&carol, &path, why).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("grant_ended")),
        "{e}"
    );

    // The history says who and why; the holder is told, carol (who did it) is not.
    let (_, ev) = app
        .get(&alice, &format!("/api/v1/tickets/{id}/events"))
        .await;
    let last = ev.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["kind"].as_str(),
            last["actor"]["username"].as_str(),
            last["comment"].as_str()
        ),
        (
            Some("grant_revoked"),
            Some("carol"),
            Some("She left the project")
        )
    );
    let (_, n) = app.get(&alice, "/api/v1/notifications").await;
    let first = &n["items"][0];
    assert!(
        first["title"].as_str().unwrap().ends_with("was revoked"),
        "{n}"
    );
    assert_eq!(first["body"], "She left the project");
    let (_, n) = app.get(&carol, "/api/v1/notifications").await;
    assert!(
        !n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["title"].as_str().unwrap().contains("revoked")),
        "{n}"
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_ticket_page_offers_revoke_to_who_may_and_tells_the_approvers(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let (carol_id, dave_id) = (app.user_id("carol").await, app.user_id("dave").await);
    // Level 1: dave; level 2: carol. Bob is the org's admin.
    app.set_default_flow(json!({"levels": [
        {"selector": {"users": [dave_id]}, "rule": "any"},
        {"selector": {"users": [carol_id]}, "rule": "any"}], "cc": []}))
        .await;
    let (alice, bob, carol, dave) = (
        app.signed_in("alice").await,
        app.signed_in("bob").await,
        app.signed_in("carol").await,
        app.signed_in("dave").await,
    );
    let id = app.open_simple(&alice, "Two levels").await;
    app.act(&dave, &json!(id), "approve", json!({})).await;
    app.act(&carol, &json!(id), "approve", json!({})).await;
    // The ticket page (its server function) offers Revoke to carol, who approved the last
    // level, and to bob, the org's admin; not to dave (an earlier level) nor to alice.
    for (who, c, may) in [
        ("alice", &alice, false),
        ("dave", &dave, false),
        ("carol", &carol, true),
        ("bob", &bob, true),
    ] {
        let body = json!({ "id": id }).to_string();
        let (s, d, _) =
            crate::review_inputs::sfn(&app, c, "tickets/detail", "application/json", body).await;
        assert_eq!(s, 200, "{d}");
        assert_eq!(d["grant"]["can_revoke"].as_bool(), Some(may), "{who}: {d}");
    }
    // Bob (the org's admin) revokes; dave and carol (the approvers) and alice are told.
    let (s, g) = app
        .post(
            &bob,
            &format!("/api/v1/grants/{id}/revoke"),
            json!({"reason": "Audit"}),
        )
        .await;
    assert_eq!(s, 200, "{g}");
    for c in [&alice, &dave, &carol] {
        let (_, n) = app.get(c, "/api/v1/notifications").await;
        assert_eq!(n["items"][0]["kind"], "grant_revoked", "{n}");
        assert_eq!(n["items"][0]["body"], "Audit");
    }
}
