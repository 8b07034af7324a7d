//! Step-up at the moment of decision: a flow level that asks for a fresh second factor refuses
//! an approval or a rejection without one (on the API, in bulk, through an email link, with a
//! bearer token), takes a code or a recovery code given with it, trusts a code given in the
//! same session within the window, and records how it was given.

use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::second_factor::{code, confirm_with_code, enrol};

/// The Default flow: level 1 bob, asking for a fresh second factor; level 2 carol, not.
async fn step_up_flow(app: &TestApp) {
    let (bob, carol) = (app.user_id("bob").await, app.user_id("carol").await);
    app.set_default_flow(json!({"levels": [
        {"selector": {"users": [bob]}, "rule": "any", "step_up": true},
        {"selector": {"users": [carol]}, "rule": "any"},
    ], "cc": []}))
        .await;
}

/// The window in which a code given in a session counts, in minutes.
pub async fn window(app: &TestApp, minutes: u32) {
    let admin = app.signed_in("admin").await;
    let (s, e) = app
        .put(
            &admin,
            "/api/v1/sign-in/settings",
            json!({"step_up_minutes": minutes}),
        )
        .await;
    assert_eq!(
        (s, e["step_up_minutes"].as_u64()),
        (200, Some(minutes as u64)),
        "{e}"
    );
}

async fn ticket(app: &TestApp, c: &Client, id: &str) -> Value {
    app.get(c, &format!("/api/v1/tickets/{id}")).await.1
}

/// How the decisions (approved, rejected) of a ticket were stepped up, oldest first.
async fn step_ups(app: &TestApp, c: &Client, id: &str) -> Vec<Value> {
    let (s, ev) = app.get(c, &format!("/api/v1/tickets/{id}/events")).await;
    assert_eq!(s, 200, "{ev}");
    ev.as_array()
        .unwrap()
        .iter()
        .filter(|e| matches!(e["kind"].as_str(), Some("approved" | "rejected")))
        .map(|e| e["step_up"].clone())
        .collect()
}

fn error_code(v: &Value) -> Option<&str> {
    v["error"]["code"].as_str()
}

#[sqlx::test]
async fn a_step_up_level_asks_for_a_code_and_records_how_it_was_given(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    step_up_flow(&app).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let one = app.open_simple(&alice, "Step-up one").await;
    // Someone with no authenticator is told to set one up.
    let (s, e) = app
        .post(
            &bob,
            &format!("/api/v1/tickets/{one}/approve"),
            json!({"second_factor_code": "123456"}),
        )
        .await;
    assert_eq!((s, error_code(&e)), (403, Some("wrong_code")), "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Security page"),
        "{e}"
    );
    let (secret, recovery) = enrol(&app, &bob).await;

    let t = ticket(&app, &bob, &one).await;
    assert_eq!(
        (
            t["steps"][0]["step_up"].as_bool(),
            t["steps"][1]["step_up"].as_bool()
        ),
        (Some(true), Some(false)),
        "each level says whether it asks"
    );
    let approve = format!("/api/v1/tickets/{one}/approve");

    // Without a code (bob's session gave none): refused, and nothing changed.
    let (s, e) = app.post(&bob, &approve, json!({})).await;
    assert_eq!((s, error_code(&e)), (403, Some("step_up_required")), "{e}");
    let reject = format!("/api/v1/tickets/{one}/reject");
    let (s, e) = app.post(&bob, &reject, json!({})).await;
    assert_eq!((s, error_code(&e)), (403, Some("step_up_required")), "{e}");
    // A wrong code: refused too.
    let (s, e) = app
        .post(&bob, &approve, json!({"second_factor_code": "000000"}))
        .await;
    assert_eq!((s, error_code(&e)), (403, Some("wrong_code")), "{e}");
    let t = ticket(&app, &bob, &one).await;
    assert_eq!(
        (t["state"].as_str(), t["current_level"].as_i64()),
        (Some("pending"), Some(1))
    );

    // A right code (the next one: enrolling took the current one): approved, and the
    // history says how.
    let now = code(&secret, 30);
    let (s, t) = app
        .post(&bob, &approve, json!({"second_factor_code": now}))
        .await;
    assert_eq!((s, t["current_level"].as_i64()), (200, Some(2)), "{t}");
    assert_eq!(step_ups(&app, &bob, &one).await, vec![json!("totp")]);
    // Level 2 does not ask: carol approves without one, and nothing is recorded.
    let (s, t) = app
        .post(&carol, &format!("/api/v1/tickets/{one}/approve"), json!({}))
        .await;
    assert_eq!((s, t["state"].as_str()), (200, Some("approved")), "{t}");
    assert_eq!(
        step_ups(&app, &bob, &one).await,
        vec![json!("totp"), Value::Null]
    );

    // Within the window (5 minutes by default) bob's session counts as fresh.
    let two = app.open_simple(&alice, "Step-up two").await;
    let (s, t) = app
        .post(&bob, &format!("/api/v1/tickets/{two}/approve"), json!({}))
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(step_ups(&app, &bob, &two).await, vec![json!("session")]);

    // With the window at 0 every decision asks; the code used already is refused.
    window(&app, 0).await;
    let three = app.open_simple(&alice, "Step-up three").await;
    let approve = format!("/api/v1/tickets/{three}/approve");
    let (s, e) = app.post(&bob, &approve, json!({})).await;
    assert_eq!((s, error_code(&e)), (403, Some("step_up_required")), "{e}");
    let (s, e) = app
        .post(&bob, &approve, json!({"second_factor_code": now}))
        .await;
    assert_eq!(
        (s, error_code(&e)),
        (403, Some("wrong_code")),
        "a code works once: {e}"
    );
    // A recovery code works, once.
    let (s, t) = app
        .post(&bob, &approve, json!({"second_factor_code": recovery[0]}))
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        step_ups(&app, &bob, &three).await,
        vec![json!("recovery_code")]
    );
    let four = app.open_simple(&alice, "Step-up four").await;
    let reject = format!("/api/v1/tickets/{four}/reject");
    let (s, e) = app
        .post(&bob, &reject, json!({"second_factor_code": recovery[0]}))
        .await;
    assert_eq!((s, error_code(&e)), (403, Some("wrong_code")), "{e}");
    // Rejecting asks as approving does.
    let (s, t) = app
        .post(
            &bob,
            &reject,
            json!({"comment": "no", "second_factor_code": recovery[1]}),
        )
        .await;
    assert_eq!((s, t["state"].as_str()), (200, Some("rejected")), "{t}");
    assert_eq!(
        step_ups(&app, &bob, &four).await,
        vec![json!("recovery_code")]
    );
}

#[sqlx::test]
async fn bulk_decisions_ask_once_for_every_ticket_that_needs_it(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    step_up_flow(&app).await;
    window(&app, 0).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let (secret, _) = enrol(&app, &bob).await;
    let a = app.open_simple(&alice, "Bulk a").await;
    let b = app.open_simple(&alice, "Bulk b").await;

    let (s, r) = app
        .post(
            &bob,
            "/api/v1/tickets/bulk",
            json!({"action": "approve", "ids": [a, b]}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let codes: Vec<Option<&str>> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["error"]["code"].as_str())
        .collect();
    assert_eq!(codes, vec![Some("step_up_required"); 2], "{r}");
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/tickets/bulk",
            json!({"action": "approve", "ids": [a, b], "second_factor_code": "000000"}),
        )
        .await;
    assert_eq!((s, error_code(&e)), (403, Some("wrong_code")), "{e}");
    let (s, r) = app
        .post(
            &bob,
            "/api/v1/tickets/bulk",
            json!({"action": "approve", "ids": [a, b], "second_factor_code": code(&secret, 30)}),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert!(
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["ok"] == true),
        "{r}"
    );
    for id in [&a, &b] {
        assert_eq!(ticket(&app, &bob, id).await["current_level"], 2);
        assert_eq!(step_ups(&app, &bob, id).await, vec![json!("totp")]);
    }
}

#[sqlx::test]
async fn a_bearer_token_decides_at_a_step_up_level_only_when_made_for_approvals(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    step_up_flow(&app).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let (secret, _) = enrol(&app, &bob).await;
    let with = |token: &str| {
        let token = token.to_string();
        let app_url = app.url.clone();
        move |id: &str| {
            let c = Client::new();
            let req = c
                .post(format!("{app_url}/api/v1/tickets/{id}/approve"))
                .bearer_auth(token.clone())
                .json(&json!({}));
            async move {
                let r = req.send().await.unwrap();
                let s = r.status().as_u16();
                (s, r.json::<Value>().await.unwrap())
            }
        }
    };

    let (s, plain) = app
        .post(&bob, "/api/v1/tokens", json!({"name": "script"}))
        .await;
    assert_eq!(
        (s, plain["for_approvals"].as_bool()),
        (201, Some(false)),
        "{plain}"
    );
    let one = app.open_simple(&alice, "Token one").await;
    let (s, e) = with(plain["token"].as_str().unwrap())(&one).await;
    assert_eq!((s, error_code(&e)), (403, Some("step_up_required")), "{e}");

    // For approvals: only with a right code.
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/tokens",
            json!({"name": "approver", "for_approvals": true}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("second_factor_code")),
        "{e}"
    );
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/tokens",
            json!({"name": "approver", "for_approvals": true, "second_factor_code": "000000"}),
        )
        .await;
    assert_eq!((s, error_code(&e)), (403, Some("wrong_code")), "{e}");
    let (s, made) = app
        .post(
            &bob,
            "/api/v1/tokens",
            json!({"name": "approver", "for_approvals": true, "second_factor_code": code(&secret, 30)}),
        )
        .await;
    assert_eq!(
        (s, made["for_approvals"].as_bool()),
        (201, Some(true)),
        "{made}"
    );
    let (s, t) = with(made["token"].as_str().unwrap())(&one).await;
    assert_eq!((s, t["current_level"].as_i64()), (200, Some(2)), "{t}");
    assert_eq!(step_ups(&app, &bob, &one).await, vec![json!("token")]);
    let (_, list) = app.get(&bob, "/api/v1/tokens").await;
    let flags: Vec<bool> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["for_approvals"].as_bool().unwrap())
        .collect();
    assert_eq!(flags.iter().filter(|f| **f).count(), 1, "{list}");
}

#[sqlx::test]
async fn an_email_link_for_a_step_up_level_asks_for_the_code_before_it_is_spent(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    step_up_flow(&app).await;
    window(&app, 0).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let (secret, _) = enrol(&app, &bob).await;
    let one = app.open_simple(&alice, "Link one").await;
    let token = tollgate_server::usecases::mail_links::mint(
        &pool,
        one.parse().unwrap(),
        1,
        app.user_id("bob").await,
        "approve",
    )
    .await
    .unwrap();
    let url = format!("{}/mail/{token}", app.url);

    let page = bob.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Code from your authenticator app"), "{page}");
    let post = |body: &'static str| {
        bob.post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    // No code, then a wrong one: asked again, and the link is not spent.
    let r = post("").await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Enter a code"));
    let r = post("code=000000").await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("not right"));
    assert_eq!(ticket(&app, &bob, &one).await["current_level"], 1);
    // The right code: approved through the link, recorded as given with a code.
    let right: &'static str = Box::leak(format!("code={}", code(&secret, 30)).into_boxed_str());
    let r = post(right).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(ticket(&app, &bob, &one).await["current_level"], 2);
    assert_eq!(step_ups(&app, &bob, &one).await, vec![json!("totp")]);
}

/// The email link's page runs no script, so a passkey is used in the app: the page says so to
/// someone who has one, and a factor given in Tollgate within the window stands in for the code.
#[sqlx::test]
async fn an_email_link_takes_a_factor_given_in_tollgate_and_shows_a_passkey_holder_the_way(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool.clone(), true).await;
    step_up_flow(&app).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let (secret, _) = enrol(&app, &bob).await;
    let bob_id = app.user_id("bob").await;
    let one = app.open_simple(&alice, "Link two").await;
    let token = tollgate_server::usecases::mail_links::mint(
        &pool,
        one.parse().unwrap(),
        1,
        bob_id,
        "approve",
    )
    .await
    .unwrap();
    let url = format!("{}/mail/{token}", app.url);
    let page = || async { bob.get(&url).send().await.unwrap().text().await.unwrap() };
    assert!(!page().await.contains("use-passkey-in-app"));
    sqlx::query(
        "INSERT INTO passkeys (id, user_id, name, credential_id, passkey)
         VALUES (gen_random_uuid(), $1, 'Laptop', '\\x01', '{}')",
    )
    .bind(bob_id)
    .execute(&pool)
    .await
    .unwrap();
    let shown = page().await;
    assert!(shown.contains("use-passkey-in-app"), "{shown}");
    assert!(
        shown.contains(&format!("href=\"/tickets/{one}\"")),
        "{shown}"
    );

    let post = || {
        bob.post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("code=")
            .send()
    };
    // Nothing given yet: asked again, the link not spent.
    let r = post().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Enter a code"));
    assert_eq!(ticket(&app, &bob, &one).await["current_level"], 1);
    // A factor given in Tollgate (here a code; a passkey goes the same way) stands in for it.
    confirm_with_code(&app, &bob, &secret).await;
    let r = post().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(ticket(&app, &bob, &one).await["current_level"], 2);
    assert_eq!(step_ups(&app, &bob, &one).await, vec![json!("session")]);
}

/// A connection rule may ask for a fresh second factor: the review it opens refuses a decision
/// without one, takes a code, records how, and the rule says so when read back.
#[sqlx::test]
async fn a_review_rule_that_asks_makes_its_reviews_need_a_second_factor(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let carol = app.signed_in("carol").await;
    let default = crate::acls::org(&pool, "Default").await;
    let carol_id = app.user_id("carol").await;
    let (s, rule) = app
        .post(
            &admin,
            "/api/v1/acls/login-asset",
            json!({"name": "root with a second factor", "org_id": default, "users": "all",
                   "assets": "all", "accounts": {"names": ["root"]}, "action": "review",
                   "reviewers": [carol_id], "step_up": true}),
        )
        .await;
    assert_eq!(s, 201, "{rule}");
    assert_eq!(rule["step_up"], true, "{rule}");
    // A refusal has nothing to decide: the flag is not kept there.
    let (s, other) = app
        .post(
            &admin,
            "/api/v1/acls/login-asset",
            json!({"name": "no deploy", "org_id": default, "priority": 90, "users": "all",
                   "assets": "all", "accounts": {"names": ["deploy"]}, "action": "reject",
                   "step_up": true}),
        )
        .await;
    assert_eq!(
        (s, other["step_up"].as_bool()),
        (201, Some(false)),
        "{other}"
    );

    let token = crate::acls::service_token(&app).await;
    let (s, d) = crate::acls::ask(
        &app,
        &token,
        "/api/v1/gateway/login-asset",
        json!({"user": "dave", "asset": "web-01", "account": "root"}),
    )
    .await;
    assert_eq!((s, d["decision"].as_str()), (200, Some("review")), "{d}");
    let id = d["ticket_id"].as_str().unwrap().to_string();
    let t = ticket(&app, &carol, &id).await;
    assert_eq!(t["steps"][0]["step_up"], true, "{t}");

    let (secret, _) = enrol(&app, &carol).await;
    window(&app, 0).await;
    let approve = format!("/api/v1/tickets/{id}/approve");
    let (s, e) = app.post(&carol, &approve, json!({})).await;
    assert_eq!((s, error_code(&e)), (403, Some("step_up_required")), "{e}");
    let (s, t) = app
        .post(
            &carol,
            &approve,
            json!({"second_factor_code": code(&secret, 30)}),
        )
        .await;
    assert_eq!((s, t["state"].as_str()), (200, Some("approved")), "{t}");
    assert_eq!(step_ups(&app, &carol, &id).await, vec![json!("totp")]);
}
