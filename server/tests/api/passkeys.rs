//! Passkeys (WebAuthn): what the API offers and refuses. The ceremonies themselves need an
//! authenticator: the browser test `passkeys.spec.ts` registers one in Chromium's virtual
//! authenticator, signs in with it and approves with it. Here: the relying party comes from the
//! public URL, and every answer that does not prove a passkey is refused and changes nothing.

use serde_json::{json, Value};
use sqlx::PgPool;
use tollgate_server::config::Config;

use crate::helpers::{TestApp, PASSWORD};
use crate::second_factor::{confirm_with_code, enrol, refused_to_a_token};

/// A server reached as `http://tollgate.localhost`.
async fn with_domain(pool: PgPool) -> TestApp {
    tollgate_server::prepare(&pool).await.expect("prepare");
    tollgate_server::usecases::demo::load(&pool)
        .await
        .expect("demo");
    let mut config = Config::for_tests("postgres://unused");
    config.public_url = Some("http://tollgate.localhost".into());
    TestApp::spawn_with(pool, config).await
}

/// The shape of a browser's answer to a registration, with nothing true in it.
fn made_up_credential() -> Value {
    json!({
        "id": "AAAAAAAAAAAAAAAAAAAAAA",
        "rawId": "AAAAAAAAAAAAAAAAAAAAAA",
        "type": "public-key",
        "response": {"attestationObject": "o2NmbXRkbm9uZQ", "clientDataJSON": "e30"},
        "clientExtensionResults": {}
    })
}

fn error_code(v: &Value) -> Option<&str> {
    v["error"]["code"].as_str()
}

#[sqlx::test]
async fn passkeys_are_offered_only_where_the_server_has_a_domain_name(pool: PgPool) {
    // By an IP address (the tests' default public URL): none, and the page says why.
    let by_ip = TestApp::spawn(pool.clone(), true).await;
    let bob = by_ip.signed_in("bob").await;
    let (_, st) = by_ip.get(&bob, "/api/v1/me/second-factor").await;
    assert_eq!(
        (st["passkeys_available"].as_bool(), st["passkeys"].clone()),
        (Some(false), json!([]))
    );
    let (s, e) = by_ip
        .post(&bob, "/api/v1/me/passkeys/options", json!({}))
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (409, Some("passkeys_unavailable")),
        "{e}"
    );

    // By a domain name: the options of a registration for this person, on this domain.
    let mut config = Config::for_tests("postgres://unused");
    config.public_url = Some("http://tollgate.localhost".into());
    let app = TestApp::spawn_with(pool, config).await;
    let bob = app.signed_in("bob").await;
    let (_, st) = app.get(&bob, "/api/v1/me/second-factor").await;
    assert_eq!(st["passkeys_available"], true);
    let (s, o) = app
        .post(&bob, "/api/v1/me/passkeys/options", json!({}))
        .await;
    assert_eq!(s, 200, "{o}");
    let pk = &o["publicKey"];
    assert_eq!(pk["rp"]["id"], "tollgate.localhost");
    assert_eq!(pk["rp"]["name"], "Tollgate");
    assert_eq!(pk["user"]["name"], "bob");
    assert_eq!(pk["user"]["displayName"], "Bob Builder");
    assert!(
        pk["challenge"].as_str().is_some_and(|c| c.len() >= 40),
        "{o}"
    );
    assert!(
        !o.to_string().contains("null"),
        "a browser reads null as a value, not as absent: {o}"
    );
    // No passkey yet: nothing to prove.
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/me/second-factor/passkey-challenge",
            json!({}),
        )
        .await;
    assert_eq!((s, error_code(&e)), (404, Some("no_passkeys")), "{e}");
}

#[sqlx::test]
async fn a_registration_that_proves_nothing_is_refused_and_changes_nothing(pool: PgPool) {
    let app = with_domain(pool.clone()).await;
    let bob = app.signed_in("bob").await;
    let add = |name: &str, credential: Value| json!({"name": name, "credential": credential});

    let (s, e) = app
        .post(&bob, "/api/v1/me/passkeys", add(" ", made_up_credential()))
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("name")),
        "{e}"
    );
    let (s, e) = app
        .post(&bob, "/api/v1/me/passkeys", add("Laptop", json!({"id": 1})))
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("credential")),
        "{e}"
    );
    // Nothing begun: nothing to finish.
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/me/passkeys",
            add("Laptop", made_up_credential()),
        )
        .await;
    assert_eq!((s, error_code(&e)), (409, Some("no_ceremony")), "{e}");
    // Begun, but the answer does not match what was asked; and the challenge is spent.
    app.post(&bob, "/api/v1/me/passkeys/options", json!({}))
        .await;
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/me/passkeys",
            add("Laptop", made_up_credential()),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("credential")),
        "{e}"
    );
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/me/passkeys",
            add("Laptop", made_up_credential()),
        )
        .await;
    assert_eq!((s, error_code(&e)), (409, Some("no_ceremony")), "{e}");

    let (_, st) = app.get(&bob, "/api/v1/me/second-factor").await;
    assert_eq!(st["passkeys"], json!([]));
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM passkeys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);

    // Someone else's (or no) passkey: not found, to rename or remove.
    let nobody = uuid::Uuid::new_v4();
    let (s, _) = app
        .patch(
            &bob,
            &format!("/api/v1/me/passkeys/{nobody}"),
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .delete_json(&bob, &format!("/api/v1/me/passkeys/{nobody}"))
        .await;
    assert_eq!(s, 404);

    // An API token registers none.
    refused_to_a_token(&app, &bob, "/api/v1/me/passkeys/options").await;
}

#[sqlx::test]
async fn someone_with_a_second_factor_confirms_it_is_them_before_adding_a_passkey(pool: PgPool) {
    let app = with_domain(pool).await;
    // Decisions ask every time (a window of 0): confirming still lets the page go on.
    crate::step_up::window(&app, 0).await;
    let bob = app.signed_in("bob").await;
    let (secret, _) = enrol(&app, &bob).await;
    // This session signed in with the password alone, before the app was set up: a stolen
    // session must not add its own passkey. It is asked before the ceremony starts (the
    // authenticator is touched once, after confirming), and at the registration too.
    let options = "/api/v1/me/passkeys/options";
    let (s, e) = app.post(&bob, options, json!({})).await;
    assert_eq!((s, error_code(&e)), (403, Some("step_up_required")), "{e}");
    let body = json!({"name": "Laptop", "credential": made_up_credential()});
    let (s, e) = app.post(&bob, "/api/v1/me/passkeys", body.clone()).await;
    assert_eq!((s, error_code(&e)), (403, Some("step_up_required")), "{e}");
    // A wrong code is refused; a right one makes the session fresh: the ceremony starts, and
    // the registration goes on to its own checks.
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/me/second-factor/verify",
            json!({"code": "000000"}),
        )
        .await;
    assert_eq!((s, error_code(&e)), (403, Some("wrong_code")), "{e}");
    confirm_with_code(&app, &bob, &secret).await;
    let (s, o) = app.post(&bob, options, json!({})).await;
    assert_eq!(s, 200, "{o}");
    let (s, e) = app.post(&bob, "/api/v1/me/passkeys", body).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("credential")),
        "{e}"
    );
}

#[sqlx::test]
async fn a_waiting_sign_in_gets_a_passkey_challenge_only_for_someone_with_a_passkey(pool: PgPool) {
    let app = with_domain(pool).await;
    let anyone = app.client();
    let (s, e) = app
        .post(&anyone, "/api/v1/auth/passkey-challenge", json!({}))
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (404, Some("no_second_factor_wait")),
        "{e}"
    );

    let bob = app.signed_in("bob").await;
    enrol(&app, &bob).await;
    let browser = app.client();
    let (s, e) = app
        .post(
            &browser,
            "/api/v1/auth/login",
            json!({"username": "bob", "password": PASSWORD}),
        )
        .await;
    assert_eq!((s, error_code(&e)), (401, Some("second_factor_required")));
    let (s, e) = app
        .post(&browser, "/api/v1/auth/passkey-challenge", json!({}))
        .await;
    assert_eq!((s, error_code(&e)), (404, Some("no_passkeys")), "{e}");
    // An assertion with no challenge behind it is a wrong code, like any other.
    let (s, e) = app
        .post(
            &browser,
            "/api/v1/auth/second-factor",
            json!({"code": json!({"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                "response": {"authenticatorData": "AAAA", "clientDataJSON": "e30", "signature": "AAAA"},
                "clientExtensionResults": {}}).to_string()}),
        )
        .await;
    assert_eq!((s, error_code(&e)), (401, Some("wrong_code")), "{e}");
}
