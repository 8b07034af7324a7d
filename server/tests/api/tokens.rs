//! Personal API tokens: made with a session, used as `Authorization: Bearer`, revoked.

use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::TestApp;

/// A client with no cookie jar: only the bearer header authenticates it.
fn bare() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn bearer_get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = bare()
        .get(format!("{}{}", app.url, path))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Makes a token named `name` for the signed-in client `c`; returns (id, secret).
async fn make_token(app: &TestApp, c: &Client, name: &str) -> (String, String) {
    let (status, body) = app.post(c, "/api/v1/tokens", json!({"name": name})).await;
    assert_eq!(status, 201, "{body}");
    (
        body["id"].as_str().expect("id").to_string(),
        body["token"].as_str().expect("token").to_string(),
    )
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn create_use_list_and_revoke(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let alice = app.signed_in("alice").await;

    let (status, body) = app
        .post(
            &alice,
            "/api/v1/tokens",
            json!({"name": "  deploy script "}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], "deploy script");
    assert!(body["created_at"].is_string());
    let id = body["id"].as_str().unwrap().to_string();
    let token = body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("tgp_") && token.len() > 40, "{token}");

    // Only the digest is stored.
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), 32);
    assert_ne!(stored, token.as_bytes());

    // The token acts as alice, with no cookie.
    let (status, me) = bearer_get(&app, &token, "/api/v1/me").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "alice");
    let (status, page) = bearer_get(&app, &token, "/api/v1/tickets?scope=mine").await;
    assert_eq!(status, 200, "{page}");
    assert!(page["items"].is_array());
    let used: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_used_at FROM api_tokens WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(used.is_some(), "last_used_at is noted");

    // A page asked with a bearer token is served, not sent to sign in.
    let r = bare()
        .get(format!("{}/tickets", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The list shows it without the secret, to its owner only.
    let (status, list) = app.get(&alice, "/api/v1/tokens").await;
    assert_eq!(status, 200);
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["name"], "deploy script");
    assert!(items[0]["last_used_at"].is_string());
    assert!(items[0].get("token").is_none());
    assert!(items[0].get("token_hash").is_none());
    assert!(!list.to_string().contains(&token));
    let bob = app.signed_in("bob").await;
    let (_, bobs) = app.get(&bob, "/api/v1/tokens").await;
    assert_eq!(bobs, json!([]));

    // Revoked: it stops at once, and even the cookie of the same client does not rescue it.
    let r = alice
        .delete(format!("{}/api/v1/tokens/{id}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, body) = bearer_get(&app, &token, "/api/v1/me").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_token");
    let r = alice
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "a bad bearer token does not fall back to the cookie"
    );
    assert!(r.headers().contains_key("www-authenticate"));
    let (status, list) = app.get(&alice, "/api/v1/tokens").await;
    assert_eq!(status, 200);
    assert_eq!(list, json!([]));
    // Revoking again: there is no such live token any more.
    let r = alice
        .delete(format!("{}/api/v1/tokens/{id}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_deactivated_users_token_stops_working(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let dave = app.signed_in("dave").await;
    let (_, token) = make_token(&app, &dave, "cron").await;
    assert_eq!(bearer_get(&app, &token, "/api/v1/me").await.0, 200);

    sqlx::query("UPDATE users SET active = false WHERE username = 'dave'")
        .execute(&pool)
        .await
        .unwrap();
    let (status, body) = bearer_get(&app, &token, "/api/v1/me").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_token");

    sqlx::query("UPDATE users SET active = true WHERE username = 'dave'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(bearer_get(&app, &token, "/api/v1/me").await.0, 200);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn garbage_tokens_get_401_everywhere(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    for token in [
        "garbage",
        "tgp_",
        "tgp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "",
    ] {
        let (status, body) = bearer_get(&app, token, "/api/v1/me").await;
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(body["error"]["code"], "invalid_token");
        // Pages too: a JSON 401, not a redirect to the sign-in page.
        let r = bare()
            .get(format!("{}/tickets", app.url))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{token:?}");
    }
    // Another scheme is not ours: the request is simply not signed in.
    let r = bare()
        .get(format!("{}/api/v1/me", app.url))
        .header("authorization", "Basic YWxpY2U6eA==")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn only_the_owner_revokes_and_tokens_do_not_make_tokens(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let (alice_id, alice_token) = make_token(&app, &alice, "laptop").await;
    let (_, bob_token) = make_token(&app, &bob, "ci").await;

    // Bob cannot revoke alice's token, with his session or his token; it still works.
    let r = bob
        .delete(format!("{}/api/v1/tokens/{alice_id}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = bare()
        .delete(format!("{}/api/v1/tokens/{alice_id}", app.url))
        .bearer_auth(&bob_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(bearer_get(&app, &alice_token, "/api/v1/me").await.0, 200);
    let r = bob
        .delete(format!("{}/api/v1/tokens/not-a-uuid", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // A token may not make another token.
    let r = bare()
        .post(format!("{}/api/v1/tokens", app.url))
        .bearer_auth(&alice_token)
        .json(&json!({"name": "child"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // But it may list and revoke its owner's tokens (itself included).
    let (status, list) = bearer_get(&app, &alice_token, "/api/v1/tokens").await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let r = bare()
        .delete(format!("{}/api/v1/tokens/{alice_id}", app.url))
        .bearer_auth(&alice_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(bearer_get(&app, &alice_token, "/api/v1/me").await.0, 401);

    // Names are checked; not signed in at all is 401.
    let (status, body) = app
        .post(&alice, "/api/v1/tokens", json!({"name": " "}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "name");
    let (status, _) = app
        .post(&alice, "/api/v1/tokens", json!({"name": "x".repeat(65)}))
        .await;
    assert_eq!(status, 422);
    let (status, _) = app
        .post(&app.client(), "/api/v1/tokens", json!({"name": "x"}))
        .await;
    assert_eq!(status, 401);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_person_holds_at_most_fifty_live_tokens_even_when_asking_in_parallel(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let alice = app.signed_in("alice").await;
    // 60 requests at once: the cap holds (creation is serialised per person).
    let asks = (0..60).map(|i| {
        let (app, alice) = (&app, alice.clone());
        async move {
            app.post(&alice, "/api/v1/tokens", json!({"name": format!("t{i}")}))
                .await
        }
    });
    let answers = futures::future::join_all(asks).await;
    let made = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(made, 50, "{answers:?}");
    for (s, body) in answers.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(
            (*s, body["error"]["code"].as_str()),
            (409, Some("too_many_tokens")),
            "{body}"
        );
    }
    let (s, list) = app.get(&alice, "/api/v1/tokens").await;
    assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(50)));
    // The 51st is refused until one is revoked; revoked ones do not count.
    let (s, body) = app
        .post(&alice, "/api/v1/tokens", json!({"name": "one more"}))
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (409, Some("too_many_tokens"))
    );
    let first = list[0]["id"].as_str().unwrap();
    let (s, _) = app
        .delete_json(&alice, &format!("/api/v1/tokens/{first}"))
        .await;
    assert!(s == 204 || s == 200, "revoke: {s}");
    make_token(&app, &alice, "one more").await;
    // The cap is per person: bob is not affected by alice's fifty.
    let bob = app.signed_in("bob").await;
    make_token(&app, &bob, "bob's first").await;
}
