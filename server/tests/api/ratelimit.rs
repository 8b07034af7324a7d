//! Sign-in rate limiting (10 failures per username, 50 per IP, within 15 minutes), kept in
//! Postgres so that it holds across instances.

use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{TestApp, PASSWORD};

/// Signs in as `username` with `password` on `app`: status, Retry-After, body.
async fn login(app: &TestApp, username: &str, password: &str) -> (u16, Option<u64>, Value) {
    let r = Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().expect("seconds"));
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

fn assert_limited((status, retry, body): &(u16, Option<u64>, Value)) {
    assert_eq!(*status, 429, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts", "{body}");
    let secs = retry.expect("Retry-After");
    assert!((1..=900).contains(&secs), "Retry-After {secs}");
    assert_eq!(body["error"]["details"]["retry_after_seconds"], secs);
}

/// Records `n` failures of `username` from 127.0.0.1 straight in the table
/// (each real one costs a password hash, slow in a debug build).
async fn seed(pool: &PgPool, username: &str, n: i32) {
    sqlx::query(
        "INSERT INTO sign_in_failures (username, ip, at)
         SELECT $1, '127.0.0.1', now() FROM generate_series(1, $2)",
    )
    .bind(username)
    .bind(n)
    .execute(pool)
    .await
    .expect("seed");
}

/// Moves every recorded failure `minutes` into the past.
async fn age(pool: &PgPool, minutes: i32) {
    sqlx::query("UPDATE sign_in_failures SET at = at - make_interval(mins => $1)")
        .bind(minutes)
        .execute(pool)
        .await
        .expect("age");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn ten_failures_lock_the_username_on_every_instance_until_the_window_passes(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let other = TestApp::spawn_again(pool.clone()).await;
    // Ten failures: six recorded earlier, four now, spread over two instances and over the
    // spelling of the name.
    seed(&pool, "alice", 6).await;
    for i in 6..10 {
        let (app, name) = if i % 2 == 0 {
            (&app, "alice")
        } else {
            (&other, "ALICE")
        };
        let (s, _, b) = login(app, name, "wrong").await;
        assert_eq!(s, 401, "attempt {}: {b}", i + 1);
    }
    // The 11th is refused even with the right password, on either instance.
    assert_limited(&login(&app, "alice", PASSWORD).await);
    assert_limited(&login(&other, "Alice", PASSWORD).await);
    // Refusals are not failures: still exactly ten rows.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_in_failures")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 10);

    // Another user from the same address is not affected.
    let (s, _, b) = login(&app, "bob", PASSWORD).await;
    assert_eq!(s, 200, "{b}");

    // Fourteen minutes later, still locked; after fifteen, in again.
    age(&pool, 14).await;
    assert_limited(&login(&app, "alice", PASSWORD).await);
    age(&pool, 1).await;
    let (s, _, b) = login(&app, "alice", PASSWORD).await;
    assert_eq!(s, 200, "{b}");
    // The sweep forgets what is outside the window at the next failure.
    let (s, _, _) = login(&app, "alice", "wrong").await;
    assert_eq!(s, 401);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_in_failures")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    other.stop();
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn successful_sign_ins_do_not_count(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    seed(&pool, "alice", 8).await;
    assert_eq!(
        login(&app, "alice", "wrong").await.0,
        401,
        "the ninth failure"
    );
    for _ in 0..3 {
        let (s, _, b) = login(&app, "alice", PASSWORD).await;
        assert_eq!(s, 200, "a success after nine failures: {b}");
    }
    assert_eq!(
        login(&app, "alice", "wrong").await.0,
        401,
        "the tenth failure"
    );
    assert_limited(&login(&app, "alice", PASSWORD).await);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn fifty_failures_from_one_address_lock_every_username_from_it(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    // Unknown usernames count like known ones (the answer must not tell them apart); 45
    // failures were recorded already.
    seed(&pool, "ghost", 45).await;
    for i in 46..=50 {
        let (s, _, b) = login(&app, &format!("ghost{i}"), "guess").await;
        assert_eq!(s, 401, "failure {i}: {b}");
        // bob is fine until the address reaches its limit.
        if i < 50 {
            assert_eq!(login(&app, "bob", PASSWORD).await.0, 200);
        }
    }
    // Now every username from this address is refused before its password is looked at.
    let limited = login(&app, "bob", PASSWORD).await;
    assert_limited(&limited);
    assert!(
        limited.1.unwrap() > 800,
        "the 50th newest failure, seconds ago, sets the wait"
    );
    assert_limited(&login(&app, "carol", PASSWORD).await);
    // Once the window has passed: fine again.
    age(&pool, 15).await;
    let (s, _, b) = login(&app, "bob", PASSWORD).await;
    assert_eq!(s, 200, "{b}");
}
