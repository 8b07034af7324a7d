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
    // One wrong password and the name is refused (to see a refusal counted).
    config.sign_in_max_per_user = 1;
    // Webhook messages may go to the loopback (nothing delivers them here: they wait).
    config.webhook_allow = Some(crate::webhooks::loopback());
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
    let admin = app.signed_in("admin").await;
    let (s, w) = app
        .post(
            &admin,
            "/api/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hook", "description": "nobody listens"}),
        )
        .await;
    assert_eq!(s, 201, "{w}");
    let before = scrape(&app).await;
    let approve = r#"tollgate_http_requests_total{route="/api/v1/tickets/{id}/approve",method="POST",status="200"}"#;
    let opened = r#"tollgate_tickets_opened_total{type="apply_asset"}"#;
    let approved = r#"tollgate_tickets_decided_total{type="apply_asset",outcome="approved"}"#;
    let rejected = r#"tollgate_tickets_decided_total{type="apply_asset",outcome="rejected"}"#;
    let expired = r#"tollgate_tickets_decided_total{type="apply_asset",outcome="expired"}"#;
    let decisions = r#"tollgate_ticket_decision_seconds_count{type="apply_asset"}"#;
    let approve_seconds = r#"tollgate_http_request_duration_seconds_count{route="/api/v1/tickets/{id}/approve",method="POST"}"#;
    let failures = "tollgate_sign_in_failures_total";
    let limited = "tollgate_sign_in_rate_limited_total";
    let rounds = "tollgate_expiry_sweep_rounds_total";

    // Two tickets: one approved at both levels, one rejected at the first; one wrong password.
    let alice = app.signed_in("alice").await;
    let (bob_c, carol_c) = (app.signed_in("bob").await, app.signed_in("carol").await);
    let first = app.open_simple(&alice, "Approved in two steps").await;
    let second = app.open_simple(&alice, "Rejected").await;
    let third = app.open_simple(&alice, "Left to expire").await;
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
    // The name has reached its limit: the next try is refused before any password is read.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "alice", "password": "still not hers"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // The third ticket's deadline passes and one sweep of this instance expires it.
    app.set_deadline(&third, "now() - interval '1 minute'")
        .await;
    let swept = tollgate_server::jobs::expiry::sweep_counted(&app.pool, &app.metrics)
        .await
        .unwrap();
    assert_eq!(swept, Some(1));
    // The instance without a token saw none of this (each instance counts its own).
    drop(plain);

    let after = scrape(&app).await;
    let moved = |name: &str| sample(&after, name) - sample(&before, name);
    assert_eq!(moved(opened), 3.0, "{after}");
    assert_eq!(moved(approve), 2.0);
    assert_eq!(moved(approve_seconds), 2.0);
    assert_eq!(moved(approved), 1.0);
    assert_eq!(moved(rejected), 1.0);
    assert_eq!(moved(expired), 1.0);
    assert_eq!(moved(decisions), 3.0);
    assert_eq!(moved(failures), 1.0);
    assert_eq!(moved(limited), 1.0);
    assert_eq!(moved(rounds), 1.0);
    // Read at the scrape: every message for the webhook waits (nothing delivers them here),
    // the oldest since the first ticket opened.
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(waiting >= 3, "{waiting}");
    assert_eq!(
        sample(&after, r#"tollgate_queue_backlog{queue="webhooks"}"#),
        waiting as f64,
        "{after}"
    );
    assert!(
        sample(
            &after,
            r#"tollgate_queue_oldest_age_seconds{queue="webhooks"}"#
        ) > 0.0
    );
    assert!(after.contains(r#"tollgate_db_pool_connections{state="in_use"}"#));
    assert_eq!(sample(&after, "tollgate_db_pool_max_connections"), 16.0);
}

/// A request that finds every database connection of its instance taken waits for the acquire
/// timeout, is answered 503, and the wait is counted; one that gets a connection given back
/// while it waits has its wait timed.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_request_that_gets_no_database_connection_is_counted(pool: PgPool) {
    use tracing_subscriber::layer::SubscriberExt;
    tollgate_server::prepare(&pool).await.unwrap();
    tollgate_server::usecases::demo::load(&pool).await.unwrap();
    let served = crate::helpers::app_role_pool_with(
        &pool,
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(1))
            .acquire_time_level(log::LevelFilter::Trace),
    )
    .await;
    // sqlx's acquire events on this test's thread (the server runs on it too) are timed, as the
    // binary's log set-up does for the process.
    let _timing = tracing::subscriber::set_default(
        tracing_subscriber::registry().with(tollgate_server::metrics::acquire_times()),
    );
    let mut config = tollgate_server::Config::for_tests("postgres://unused");
    config.metrics_token = Some("scrape-me".into());
    let app = TestApp::spawn_on(served.clone(), pool.clone(), config).await;
    let alice = app.signed_in("alice").await;
    let timeouts = "tollgate_db_pool_timeouts_total";
    let before = scrape(&app).await;
    assert_eq!(sample(&before, "tollgate_db_pool_max_connections"), 2.0);

    // Every connection the instance does not hold itself (its live listener keeps one).
    let mut taken = vec![served.acquire().await.unwrap()];
    while let Some(c) = served.try_acquire() {
        taken.push(c);
    }
    let (s, e) = app.get(&alice, "/api/v1/me").await;
    assert_eq!(s, 503, "{e}");
    assert_eq!(e["error"]["code"], "unavailable", "{e}");
    // Given back while the next request waits: that one is served, and its wait timed.
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        drop(taken);
    });
    let (s, _) = app.get(&alice, "/api/v1/me").await;
    assert_eq!(s, 200);
    release.await.unwrap();

    let after = scrape(&app).await;
    // Counted for the whole process: tests running beside this one may add theirs.
    assert!(
        sample(&after, timeouts) - sample(&before, timeouts) >= 1.0,
        "{after}"
    );
    let waited = sample(&after, "tollgate_db_pool_acquire_seconds_sum")
        - sample(&before, "tollgate_db_pool_acquire_seconds_sum");
    assert!(waited >= 0.3, "a wait of at least 300 ms is timed: {after}");
}
