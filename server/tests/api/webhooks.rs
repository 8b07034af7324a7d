//! Webhooks: the admin API, signed deliveries, retries with backoff, and no message lost or
//! sent twice (by its delivery id) when a worker dies mid-batch.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use tollgate_server::jobs::queue::WorkerConfig;
use tollgate_server::jobs::webhooks::{sign, Worker};

use crate::helpers::TestApp;

#[derive(Clone, Debug)]
struct Received {
    delivery: String,
    event: String,
    signature_ok: bool,
    body: Value,
}

#[derive(Clone)]
struct Receiver {
    secret: Arc<Mutex<String>>,
    got: Arc<Mutex<Vec<Received>>>,
    /// Answer 500 to this many requests first.
    fail_first: Arc<Mutex<usize>>,
    /// Hang (after recording) on the request with this index.
    hang_on: Option<usize>,
}

/// Answers 500 "not today" while it is to fail, else 200 "thanks" (with a control character the
/// page must not show).
async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let expected = format!(
        "sha256={}",
        sign(r.secret.lock().unwrap().as_bytes(), &body)
    );
    let index = {
        let mut got = r.got.lock().unwrap();
        got.push(Received {
            delivery: h("x-tollgate-delivery"),
            event: h("x-tollgate-event"),
            signature_ok: h("x-tollgate-signature") == expected,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        got.len() - 1
    };
    if r.hang_on == Some(index) {
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
    let mut fail = r.fail_first.lock().unwrap();
    if *fail > 0 {
        *fail -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "not today");
    }
    (StatusCode::OK, "thanks\u{7}")
}

fn receiver_router(r: Receiver) -> axum::Router {
    axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(r)
}

async fn spawn_receiver(r: Receiver) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let router = receiver_router(r);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// The receiver over HTTPS with `leaf`, at `https://localhost:port/hook`.
async fn spawn_https_receiver(r: Receiver, leaf: &crate::pki::Leaf) -> String {
    let port = crate::pki::serve_https(receiver_router(r), leaf).await;
    format!("https://localhost:{port}/hook")
}

fn receiver(fail_first: usize, hang_on: Option<usize>) -> Receiver {
    Receiver {
        secret: Arc::new(Mutex::new(String::new())),
        got: Arc::new(Mutex::new(vec![])),
        fail_first: Arc::new(Mutex::new(fail_first)),
        hang_on,
    }
}

fn quick() -> WorkerConfig {
    WorkerConfig {
        lease: Duration::from_secs(1),
        backoff: Duration::from_millis(100),
        max_attempts: 5,
        batch: 20,
        poll: Duration::from_millis(50),
        timeout: Duration::from_secs(10),
        webhook_allow: Some(loopback()),
        roots: tollgate_server::tls::Roots::mozilla(),
        metrics: Default::default(),
    }
}

/// The receivers of these tests listen on the loopback, which webhooks may reach only when
/// TOLLGATE_WEBHOOK_ALLOW says so.
pub fn loopback() -> tollgate_core::IpList {
    tollgate_core::IpList::parse_text("127.0.0.0/8, ::1").unwrap()
}

/// A server (with the demo) whose webhooks may go to the loopback.
async fn spawn_app(pool: PgPool) -> TestApp {
    tollgate_server::prepare(&pool).await.unwrap();
    tollgate_server::usecases::demo::load(&pool).await.unwrap();
    let mut config = tollgate_server::Config::for_tests("postgres://unused");
    config.webhook_allow = Some(loopback());
    TestApp::spawn_with(pool, config).await
}

async fn add_webhook(app: &TestApp, r: &Receiver, url: &str) -> Value {
    let admin = app.signed_in("admin").await;
    let (s, w) = app
        .post(
            &admin,
            "/api/v1/webhooks",
            json!({"url": url, "description": "test"}),
        )
        .await;
    assert_eq!(s, 201, "{w}");
    *r.secret.lock().unwrap() = w["secret"].as_str().unwrap().to_string();
    w
}

async fn undelivered(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn webhooks_are_managed_by_super_admins_only(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let admin = app.signed_in("admin").await;
    let bob = app.signed_in("bob").await;
    assert_eq!(app.get(&bob, "/api/v1/webhooks").await.0, 403);
    assert_eq!(
        app.post(&bob, "/api/v1/webhooks", json!({"url": "http://x.test/h"}))
            .await
            .0,
        403
    );
    let (s, e) = app
        .post(&admin, "/api/v1/webhooks", json!({"url": "ftp://x"}))
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("url")));
    let (s, e) = app
        .post(
            &admin,
            "/api/v1/webhooks",
            json!({"url": "http://x.test/h", "secret": "short"}),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("secret")));
    let (s, w) = app
        .post(
            &admin,
            "/api/v1/webhooks",
            json!({"url": "https://hooks.example.com/t", "secret": "0123456789abcdef0123"}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(w["secret"], "0123456789abcdef0123");
    let id = w["id"].as_str().unwrap();
    let (s, list) = app.get(&admin, "/api/v1/webhooks").await;
    assert_eq!(s, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(
        list[0].get("secret").is_none(),
        "the secret is never listed"
    );
    let r = admin
        .patch(format!("{}/api/v1/webhooks/{id}", app.url))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["active"], false);
    assert_eq!(
        app.delete_json(&admin, &format!("/api/v1/webhooks/{id}"))
            .await
            .0,
        204
    );
    assert_eq!(
        app.delete_json(&admin, &format!("/api/v1/webhooks/{id}"))
            .await
            .0,
        404
    );
    assert_eq!(app.get(&admin, "/api/v1/webhooks/not-a-uuid").await.0, 400);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn deliveries_are_signed_and_a_failing_receiver_is_retried(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let r = receiver(2, None);
    let url = spawn_receiver(r.clone()).await;
    add_webhook(&app, &r, &url).await;
    let alice = app.signed_in("alice").await;
    let id = app.open_simple(&alice, "Hooked").await;

    let worker = Worker::new(pool.clone(), quick());
    // Attempt 1 fails (500), is scheduled 100 ms later; attempt 2 fails, 200 ms; attempt 3 succeeds.
    assert_eq!(worker.run_once().await.unwrap(), 0);
    assert_eq!(worker.run_once().await.unwrap(), 0, "not due yet: backoff");
    let started = std::time::Instant::now();
    let mut delivered = 0;
    while delivered == 0 && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        delivered = worker.run_once().await.unwrap();
    }
    assert_eq!(delivered, 1);
    assert_eq!(undelivered(&pool).await, 0);

    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "two failures and a success");
    assert!(got.iter().all(|g| g.signature_ok), "{got:?}");
    assert!(
        got.iter().all(|g| g.delivery == got[0].delivery),
        "one message, one delivery id"
    );
    assert_eq!(got[0].event, "opened");
    assert_eq!(got[0].body["ticket"]["id"], id);
    assert_eq!(got[0].body["ticket"]["state"], "pending");
    assert_eq!(got[0].body["delivery_id"], got[0].delivery);
    let (attempts, at, _): (i32, Option<chrono::DateTime<chrono::Utc>>, Option<String>) =
        tollgate_server::jobs::webhooks::status(&pool, got[0].delivery.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!((attempts, at.is_some()), (3, true));

    // A tampered body would not verify.
    let secret = r.secret.lock().unwrap().clone();
    assert_ne!(
        sign(secret.as_bytes(), b"{}"),
        sign(secret.as_bytes(), b"{ }")
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_worker_killed_mid_batch_loses_nothing_and_resends_only_what_was_in_flight(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    // The third request hangs: the worker is killed while it waits for the answer.
    let r = receiver(0, Some(2));
    let url = spawn_receiver(r.clone()).await;
    add_webhook(&app, &r, &url).await;
    let alice = app.signed_in("alice").await;
    let id = app.open_simple(&alice, "Five events").await;
    for i in 0..4 {
        let (s, _) = app
            .post(
                &alice,
                &format!("/api/v1/tickets/{id}/comments"),
                json!({"body": format!("note {i}")}),
            )
            .await;
        assert_eq!(s, 201);
    }
    let all: Vec<String> = sqlx::query_scalar("SELECT id::text FROM outbox ORDER BY created_at")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(all.len(), 5);

    // Worker A claims all five, delivers two, hangs on the third, and dies.
    let a = Worker::new(pool.clone(), quick());
    let task = tokio::spawn(async move { a.run_once().await });
    let started = std::time::Instant::now();
    while r.got.lock().unwrap().len() < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "worker A got stuck early"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort();
    let _ = task.await;
    assert_eq!(undelivered(&pool).await, 3);

    // Worker B cannot take them while A's lease lasts, then takes exactly the three.
    let b = Worker::new(pool.clone(), quick());
    assert_eq!(b.run_once().await.unwrap(), 0, "leased rows are invisible");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(b.run_once().await.unwrap(), 3);
    assert_eq!(undelivered(&pool).await, 0);

    let got = r.got.lock().unwrap().clone();
    assert!(got.iter().all(|g| g.signature_ok));
    let mut ids: Vec<String> = got.iter().map(|g| g.delivery.clone()).collect();
    // Only the in-flight one arrived twice, with the same delivery id...
    assert_eq!(got.len(), 6);
    let in_flight = got[2].delivery.clone();
    assert_eq!(
        ids.iter().filter(|d| **d == in_flight).count(),
        2,
        "{ids:?}"
    );
    // ...so, deduplicated by that key, every message arrived exactly once.
    ids.sort();
    ids.dedup();
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(ids, expected);
}

// ---- Review finding 9: webhooks must not reach internal addresses ----

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn webhooks_to_internal_addresses_are_refused_when_saved(pool: PgPool) {
    // The production default: no TOLLGATE_WEBHOOK_ALLOW.
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    for url in [
        "http://127.0.0.1:5545/x",
        "http://localhost:5545/x",
        "http://2130706433/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/x",
        "http://0.0.0.0:3000/x",
        "http://[::ffff:127.0.0.1]/x",
    ] {
        let (s, e) = app
            .post(&admin, "/api/v1/webhooks", json!({ "url": url }))
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("url")),
            "{url}: {e}"
        );
        assert!(
            e["error"]["message"].as_str().unwrap().contains("refused"),
            "{e}"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM webhooks").await, 0);
    let (s, w) = app
        .post(
            &admin,
            "/api/v1/webhooks",
            json!({"url": "https://hooks.example.com/t"}),
        )
        .await;
    assert_eq!(s, 201, "{w}");
    // Nor can an existing one be pointed inside.
    let r = admin
        .patch(format!(
            "{}/api/v1/webhooks/{}",
            app.url,
            w["id"].as_str().unwrap()
        ))
        .json(&json!({"url": "http://127.0.0.1/x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_name_that_resolves_inside_is_refused_at_delivery_and_the_refusal_recorded(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let r = receiver(0, None);
    let url = spawn_receiver(r.clone()).await;
    // Saved while its address was allowed (as a name that later resolves to 127.0.0.1 would be).
    let by_name = url.replace("127.0.0.1", "localhost");
    add_webhook(&app, &r, &by_name).await;
    let alice = app.signed_in("alice").await;
    app.open_simple(&alice, "Hooked").await;

    // A worker with the production default connects nowhere inside.
    let strict = Worker::new(
        pool.clone(),
        WorkerConfig {
            webhook_allow: None,
            ..quick()
        },
    );
    assert_eq!(strict.run_once().await.unwrap(), 0);
    assert!(
        r.got.lock().unwrap().is_empty(),
        "nothing reached the receiver"
    );
    let error: String =
        sqlx::query_scalar("SELECT last_error FROM outbox WHERE channel = 'webhook'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        error.contains("refused") && error.contains("loopback"),
        "{error}"
    );

    // With the loopback allowed, the same message goes through on its next attempt.
    let allowed = Worker::new(pool.clone(), quick());
    let started = std::time::Instant::now();
    let mut delivered = 0;
    while delivered == 0 && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        delivered = allowed.run_once().await.unwrap();
    }
    assert_eq!(delivered, 1);
    assert_eq!(r.got.lock().unwrap().len(), 1);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn redirects_are_not_followed(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    // A receiver that redirects every delivery elsewhere.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let hits = Arc::new(Mutex::new(0usize));
    let counted = hits.clone();
    let router = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(|| async {
                (StatusCode::TEMPORARY_REDIRECT, [("location", "/inside")])
            }),
        )
        .route(
            "/inside",
            axum::routing::post(move || {
                *counted.lock().unwrap() += 1;
                async { StatusCode::NO_CONTENT }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let r = receiver(0, None);
    add_webhook(&app, &r, &url).await;
    let alice = app.signed_in("alice").await;
    app.open_simple(&alice, "Hooked").await;
    let worker = Worker::new(pool.clone(), quick());
    assert_eq!(worker.run_once().await.unwrap(), 0);
    assert_eq!(*hits.lock().unwrap(), 0);
    let error: String =
        sqlx::query_scalar("SELECT last_error FROM outbox WHERE channel = 'webhook'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(error.contains("307"), "{error}");
}

/// The last error recorded for the one webhook message, after one round of `worker`.
async fn one_round(worker: &Worker, pool: &PgPool) -> (usize, Option<String>) {
    let delivered = worker.run_once().await.unwrap();
    let error: Option<String> =
        sqlx::query_scalar("SELECT last_error FROM outbox WHERE channel = 'webhook'")
            .fetch_one(pool)
            .await
            .unwrap();
    (delivered, error)
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn https_receivers_are_verified_against_the_mozilla_roots_and_the_ca_file(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let ca = crate::pki::Pki::new("webhooks");
    let r = receiver(0, None);
    let url = spawn_https_receiver(r.clone(), &ca.leaf("receiver", &["localhost"])).await;
    add_webhook(&app, &r, &url).await;
    let alice = app.signed_in("alice").await;
    app.open_simple(&alice, "Over TLS").await;

    // Without the private CA the receiver's certificate is not trusted: a failed attempt
    // whose reason says so, and nothing reached the receiver.
    let (delivered, error) = one_round(&Worker::new(pool.clone(), quick()), &pool).await;
    assert_eq!(delivered, 0);
    let error = error.expect("the failure is recorded");
    assert!(error.contains("not signed by a trusted CA"), "{error}");
    assert!(r.got.lock().unwrap().is_empty());

    // With TOLLGATE_CA_FILE naming it, the same message goes through, signed, on a later round.
    let trusting = Worker::new(
        pool.clone(),
        WorkerConfig {
            roots: tollgate_server::tls::Roots::with_ca_file(&ca.ca_file).unwrap(),
            ..quick()
        },
    );
    let started = std::time::Instant::now();
    let mut delivered = 0;
    while delivered == 0 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        delivered = trusting.run_once().await.unwrap();
    }
    assert_eq!(delivered, 1);
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(got[0].signature_ok);
    assert_eq!(got[0].event, "opened");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_expired_or_misnamed_receiver_certificate_is_a_failed_attempt(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let ca = crate::pki::Pki::new("webhooks-bad");
    let trusting = Worker::new(
        pool.clone(),
        WorkerConfig {
            roots: tollgate_server::tls::Roots::with_ca_file(&ca.ca_file).unwrap(),
            ..quick()
        },
    );
    let alice = app.signed_in("alice").await;
    for (leaf, why) in [
        (
            ca.expired_leaf("expired", &["localhost"]),
            "certificate has expired",
        ),
        (
            ca.leaf("elsewhere", &["hooks.example.com"]),
            "not valid for the host name",
        ),
    ] {
        sqlx::query("DELETE FROM outbox")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("DELETE FROM webhooks")
            .execute(&pool)
            .await
            .unwrap();
        let r = receiver(0, None);
        let url = spawn_https_receiver(r.clone(), &leaf).await;
        add_webhook(&app, &r, &url).await;
        app.open_simple(&alice, why).await;
        let (delivered, error) = one_round(&trusting, &pool).await;
        assert_eq!(delivered, 0, "{why}");
        let error = error.expect("the failure is recorded");
        assert!(error.contains(why), "{why}: {error}");
        assert!(r.got.lock().unwrap().is_empty(), "{why}");
        assert_eq!(
            undelivered(&pool).await,
            1,
            "kept for another attempt: {why}"
        );
    }
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn deliveries_are_listed_and_a_failed_one_is_sent_again(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let r = receiver(usize::MAX, None);
    let url = spawn_receiver(r.clone()).await;
    let w = add_webhook(&app, &r, &url).await;
    let hook = w["id"].as_str().unwrap();
    let admin = app.signed_in("admin").await;
    let alice = app.signed_in("alice").await;
    app.open_simple(&alice, "Delivered later").await;

    // One attempt, refused by the receiver, and it is the last one allowed: given up.
    let metrics = tollgate_server::metrics::SharedMetrics::default();
    let worker = Worker::new(
        pool.clone(),
        WorkerConfig {
            max_attempts: 1,
            metrics: metrics.clone(),
            ..quick()
        },
    );
    assert_eq!(worker.run_once().await.unwrap(), 0);
    let (s, list) = app
        .get(&admin, &format!("/api/v1/webhooks/{hook}/deliveries"))
        .await;
    assert_eq!(s, 200, "{list}");
    let d = &list[0];
    assert_eq!(d["event"], "opened");
    assert_eq!(d["attempts"], 1);
    assert!(
        d["failed_at"].is_string() && d["delivered_at"].is_null(),
        "{d}"
    );
    assert_eq!(
        d["last_error"], "the receiver answered 500 Internal Server Error: not today",
        "{d}"
    );
    assert!(d["answer"].is_null(), "{d}");
    assert!(d["next_attempt_at"].is_null());
    assert!(!d["ticket_serial"].as_str().unwrap().is_empty(), "{d}");

    // The receiver is fixed; sent again, it goes out on the next round.
    *r.fail_first.lock().unwrap() = 0;
    let again = format!(
        "/api/v1/webhooks/{hook}/deliveries/{}/send-again",
        d["id"].as_str().unwrap()
    );
    let (s, d2) = app.post(&admin, &again, json!({})).await;
    assert_eq!(s, 200, "{d2}");
    assert!(
        d2["failed_at"].is_null() && d2["next_attempt_at"].is_string(),
        "{d2}"
    );
    let worker = Worker::new(
        pool.clone(),
        WorkerConfig {
            metrics: metrics.clone(),
            ..quick()
        },
    );
    assert_eq!(worker.run_once().await.unwrap(), 1);
    // The metrics of these workers counted one failed attempt and one delivery.
    let text = metrics.render(&pool).await.unwrap();
    assert!(
        text.contains("tollgate_delivery_failures_total{queue=\"webhooks\"} 1\n")
            && text.contains("tollgate_deliveries_total{queue=\"webhooks\"} 1\n"),
        "{text}"
    );
    let (_, list) = app
        .get(&admin, &format!("/api/v1/webhooks/{hook}/deliveries"))
        .await;
    assert!(list[0]["delivered_at"].is_string(), "{list}");
    assert_eq!(list[0]["attempts"], 2);
    assert_eq!(list[0]["answer"], "200 OK: thanks", "{list}");
    assert!(list[0]["last_error"].is_null(), "{list}");

    // Delivered is final; others, unknown ids and bad ids are refused.
    let unknown = format!(
        "/api/v1/webhooks/{hook}/deliveries/{}/send-again",
        uuid::Uuid::new_v4()
    );
    let elsewhere = format!(
        "/api/v1/webhooks/{}/deliveries/{}/send-again",
        uuid::Uuid::new_v4(),
        d["id"].as_str().unwrap()
    );
    app.statuses(&[
        (&admin, "POST", again.clone(), Some(json!({})), 409),
        (&alice, "POST", again.clone(), Some(json!({})), 403),
        (
            &alice,
            "GET",
            format!("/api/v1/webhooks/{hook}/deliveries"),
            None,
            403,
        ),
        (&admin, "POST", unknown, Some(json!({})), 404),
        (&admin, "POST", elsewhere, Some(json!({})), 404),
        (
            &admin,
            "POST",
            format!("/api/v1/webhooks/{hook}/deliveries/x/send-again"),
            Some(json!({})),
            400,
        ),
    ])
    .await;
}
