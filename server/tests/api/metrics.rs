//! `GET /metrics`: behind its token, and its counters move by exactly what happened.

use serde_json::json;
use sqlx::PgPool;

use crate::helpers::TestApp;

/// The value of the sample `name{labels}` (labels as written, in order), or 0 when absent.
fn sample(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name_and_labels)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp) -> String {
    let r = reqwest::Client::new()
        .get(format!("{}/metrics", app.url))
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    r.text().await.unwrap()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn metrics_need_their_token_and_count_a_lifecycle_exactly(pool: PgPool) {
    // Off unless configured.
    let plain = TestApp::spawn(pool.clone(), true).await;
    let r = reqwest::get(format!("{}/metrics", plain.url))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let mut config = tollgate_server::Config::for_tests("postgres://unused");
    config.metrics_token = Some("scrape-me".into());
    let app = TestApp::spawn_with(pool.clone(), config).await;
    for auth in [None, Some("Bearer wrong"), Some("scrape-me")] {
        let mut req = reqwest::Client::new().get(format!("{}/metrics", app.url));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        assert_eq!(req.send().await.unwrap().status(), 401, "{auth:?}");
    }

    let (bob, carol) = (app.user_id("bob").await, app.user_id("carol").await);
    app.set_default_flow(json!({
        "levels": [
            {"selector": {"users": [bob], "super_admins": false, "org_admins": false}, "rule": "any"},
            {"selector": {"users": [carol], "super_admins": false, "org_admins": false}, "rule": "any"},
        ],
    }))
    .await;
    let before = scrape(&app).await;
    let approve = r#"tollgate_http_requests_total{route="/api/v1/tickets/{id}/approve",method="POST",status="200"}"#;
    let opened = r#"tollgate_tickets_opened_total{type="apply_asset"}"#;
    let approved = r#"tollgate_tickets_decided_total{type="apply_asset",outcome="approved"}"#;
    let rejected = r#"tollgate_tickets_decided_total{type="apply_asset",outcome="rejected"}"#;
    let decisions = r#"tollgate_ticket_decision_seconds_count{type="apply_asset"}"#;
    let failures = "tollgate_sign_in_failures_total";

    // Two tickets: one approved at both levels, one rejected at the first; one wrong password.
    let alice = app.signed_in("alice").await;
    let (bob_c, carol_c) = (app.signed_in("bob").await, app.signed_in("carol").await);
    let first = app.open_simple(&alice, "Approved in two steps").await;
    let second = app.open_simple(&alice, "Rejected").await;
    for (who, id, action) in [
        (&bob_c, &first, "approve"),
        (&carol_c, &first, "approve"),
        (&bob_c, &second, "reject"),
    ] {
        let (s, t) = app
            .post(who, &format!("/api/v1/tickets/{id}/{action}"), json!({}))
            .await;
        assert_eq!(s, 200, "{t}");
    }
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "alice", "password": "not hers"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The instance without a token saw none of this (each instance counts its own).
    drop(plain);

    let after = scrape(&app).await;
    let moved = |name: &str| sample(&after, name) - sample(&before, name);
    assert_eq!(moved(opened), 2.0, "{after}");
    assert_eq!(moved(approve), 2.0);
    assert_eq!(moved(approved), 1.0);
    assert_eq!(moved(rejected), 1.0);
    assert_eq!(moved(decisions), 2.0);
    assert_eq!(moved(failures), 1.0);
    // Read at the scrape: two webhook-less tickets leave no outbox backlog; the pool is there.
    assert!(
        after.contains(r#"tollgate_queue_backlog{queue="Outbox"}"#),
        "{after}"
    );
    assert!(after.contains(r#"tollgate_db_pool_connections{state="in_use"}"#));
}
