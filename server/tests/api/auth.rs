use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, PASSWORD};

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn sign_in_me_and_sign_out(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let c = app.client();

    let (status, body) = app.get(&c, "/api/v1/me").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");

    let r = c
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["user"]["username"], "alice");

    let (status, me) = app.get(&c, "/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["display_name"], "Alice Liddell");
    assert_eq!(me["system_role"], "user");
    assert_eq!(me["orgs"][0]["org_name"], "Default");

    let r = c
        .post(format!("{}/api/v1/auth/logout", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, _) = app.get(&c, "/api/v1/me").await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn wrong_password_and_unknown_user_get_the_same_answer(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let c = app.client();
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&pool)
        .await
        .unwrap();

    let (s1, b1) = app
        .post(
            &c,
            "/api/v1/auth/login",
            json!({"username": "alice", "password": "wrong"}),
        )
        .await;
    let (s2, b2) = app
        .post(
            &c,
            "/api/v1/auth/login",
            json!({"username": "nobody", "password": "wrong"}),
        )
        .await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1, b2);
    assert_eq!(b1["error"]["message"], "Wrong username or password.");

    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, after, "a failed sign-in creates no session");
    let (status, _) = app.get(&c, "/api/v1/me").await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn malformed_and_invalid_bodies_are_4xx(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let c = app.client();
    let r = c
        .post(format!("{}/api/v1/auth/login", app.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");

    let (status, body) = app
        .post(&c, "/api/v1/auth/login", json!({"username": 3}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "invalid");

    let r = c
        .post(format!("{}/api/v1/auth/login", app.url))
        .body("username=alice")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    let (status, _) = app.get(&c, "/api/v1/no-such-thing").await;
    assert_eq!(status, 404);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_session_survives_a_restart_and_is_seen_by_another_instance(pool: PgPool) {
    let first = TestApp::spawn(pool.clone(), true).await;
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", first.url))
        .json(&json!({"username": "bob", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let pair = set_cookie.split(';').next().unwrap().to_string();
    first.stop();

    let second = TestApp::spawn_again(pool).await;
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/me", second.url))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["username"], "bob");

    // Signing out on the second instance ends it for every instance.
    let third = TestApp::spawn_again(second.pool.clone()).await;
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/logout", second.url))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/me", third.url))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_deactivated_user_is_signed_out_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let c = app.signed_in("dave").await;
    assert_eq!(app.get(&c, "/api/v1/me").await.0, 200);
    sqlx::query("UPDATE users SET active = false WHERE username = 'dave'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(app.get(&c, "/api/v1/me").await.0, 401);
    let (status, _) = app
        .post(
            &c,
            "/api/v1/auth/login",
            json!({"username": "dave", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn pages_need_sign_in_and_come_back(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let c = app.client();
    let r = c
        .get(format!("{}/tickets?state=pending", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/login?next=%2Ftickets%3Fstate%3Dpending"
    );

    let signed = app.signed_in("alice").await;
    let r = signed
        .get(format!("{}/login?next=%2Ftickets", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "a signed-in visitor of /login goes on");
    assert_eq!(r.headers()["location"], "/tickets");
    let r = signed
        .get(format!("{}/login?next=%2F%2Fevil.example", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/", "never off-site");

    let r = signed.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Alice Liddell"),
        "the layout shows who is signed in"
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn healthz_answers(pool: PgPool) {
    let app = TestApp::spawn(pool, false).await;
    let r = reqwest::get(format!("{}/healthz", app.url)).await.unwrap();
    assert_eq!(r.status(), 200);
}
