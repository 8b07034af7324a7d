//! Cookies are Secure behind HTTPS, and nothing secret reaches the logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use sqlx::PgPool;
use tollgate_server::Config;

use crate::helpers::{TestApp, PASSWORD};

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

async fn login(app: &TestApp, user: &str) -> (u16, Vec<String>) {
    let r = app
        .client()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), set_cookies(&r))
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn cookies_are_secure_exactly_when_served_over_https(pool: PgPool) {
    let plain = TestApp::spawn(pool.clone(), true).await;
    let (s, cookies) = login(&plain, "alice").await;
    assert_eq!(s, 200);
    assert!(cookies[0].starts_with("tollgate_session="));
    assert!(cookies[0].contains("HttpOnly") && cookies[0].contains("SameSite=Lax"));
    assert!(!cookies[0].contains("Secure"), "{cookies:?}");

    let mut config = Config::for_tests("postgres://unused");
    config.public_url = Some("https://tollgate.example.com".into());
    let https = TestApp::spawn_with(pool.clone(), config).await;
    let (s, cookies) = login(&https, "alice").await;
    assert_eq!(s, 200);
    assert!(cookies[0].contains("; Secure"), "{cookies:?}");
    // The held sign-in's cookie too.
    let admin = https.signed_in("admin").await;
    let carol = https.user_id("carol").await;
    let (s, _) = https
        .post(
            &admin,
            "/api/v1/acls/login",
            json!({"name": "hold dave", "users": {"names": ["dave"]}, "action": "review",
                   "reviewers": [carol]}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, cookies) = login(&https, "dave").await;
    assert_eq!(s, 202);
    assert!(
        cookies[0].starts_with("tollgate_pending=") && cookies[0].contains("; Secure"),
        "{cookies:?}"
    );
    // Signing out clears it the same way.
    let r = admin
        .post(format!("{}/api/v1/auth/logout", https.url))
        .send()
        .await
        .unwrap();
    assert!(set_cookies(&r)[0].contains("; Secure"));
}

/// A writer the log subscriber fills, for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn passwords_tokens_and_cookies_never_reach_the_logs(pool: PgPool) {
    let logs = Captured::default();
    let writer = logs.clone();
    // Everything down to debug, from every module (sqlx's statements included), process-wide:
    // the server's tasks do not all run where a thread-local subscriber would see them. Other
    // tests running meanwhile add their lines; they are checked for these secrets too.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber)
        .expect("no other test sets a global log subscriber");

    let app = TestApp::spawn(pool.clone(), true).await;
    // A wrong password, a right one, a personal token, a service token, a held sign-in.
    let c = app.client();
    let r = c
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "alice", "password": "wrong-horse-battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let session = set_cookies(&r)[0]
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("tollgate_session=")
        .to_string();
    let (s, t) = app
        .post(&c, "/api/v1/tokens", json!({"name": "logs check"}))
        .await;
    assert_eq!(s, 201, "{t}");
    let token = t["token"].as_str().unwrap().to_string();
    let r = app
        .client()
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let admin = app.signed_in("admin").await;
    let (s, g) = app
        .post(
            &admin,
            "/api/v1/service-tokens",
            json!({"name": "bastion", "org_ids": [app.org_id("Default").await]}),
        )
        .await;
    assert_eq!(s, 201, "{g}");
    let gateway = g["token"].as_str().unwrap().to_string();
    let (alice, web) = (app.user_id("alice").await, app.asset_id("web-01").await);
    let r = app
        .client()
        .get(format!(
            "{}/api/v1/grants/check?user={alice}&asset={web}&account=root&action=connect",
            app.url
        ))
        .bearer_auth(&gateway)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let carol = app.user_id("carol").await;
    let (s, _) = app
        .post(
            &admin,
            "/api/v1/acls/login",
            json!({"name": "hold dave", "users": {"names": ["dave"]}, "action": "review",
                   "reviewers": [carol]}),
        )
        .await;
    assert_eq!(s, 201);
    let r = app
        .client()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "dave", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let pending = set_cookies(&r)[0]
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("tollgate_pending=")
        .to_string();

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    // The logs did record these events (the check below is not vacuous)…
    assert!(text.contains("signed in"), "{text}");
    assert!(text.contains("sign-in held for review"), "{text}");
    // …but none of the secrets.
    for (what, secret) in [
        ("the demo password", PASSWORD),
        ("a wrong password", "wrong-horse-battery"),
        ("the session token", session.as_str()),
        ("the API token", token.as_str()),
        ("the service token", gateway.as_str()),
        ("the pending sign-in token", pending.as_str()),
    ] {
        assert!(secret.len() >= 8, "{what} is empty");
        assert!(!text.contains(secret), "{what} is in the logs");
    }
}
