//! Cross-site request forgery and security headers.

use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, PASSWORD};

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_foreign_origin_cannot_change_anything(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let c = app.client();
    let r = c
        .post(format!("{}/api/v1/auth/login", app.url))
        .header("origin", "https://evil.example")
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(before, 0, "no session was made");

    // The same request from the site itself goes through.
    let r = c
        .post(format!("{}/api/v1/auth/login", app.url))
        .header("origin", app.url.clone())
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A signed-in browser tricked by another site into approving: refused.
    let signed = app.signed_in("bob").await;
    let r = signed
        .post(format!("{}/api/v1/tickets/bulk", app.url))
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"action": "approve", "ids": [uuid::Uuid::new_v4()]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Reading is not changing: a GET from anywhere is answered (the cookie is SameSite=Lax).
    let r = signed
        .get(format!("{}/api/v1/me", app.url))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn pages_carry_a_nonce_policy_and_everything_the_basic_headers(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let r = reqwest::get(format!("{}/login", app.url)).await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts carry the nonce"
    );

    let again = reqwest::get(format!("{}/login", app.url)).await.unwrap();
    let csp2 = again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(csp, csp2, "a fresh nonce per page");

    let api = reqwest::get(format!("{}/api/v1/me", app.url))
        .await
        .unwrap();
    assert_eq!(
        api.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
}
