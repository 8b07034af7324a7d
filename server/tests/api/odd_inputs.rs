//! Whatever a client sends, the answer is a 4xx with a JSON error, never a 500.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::TestApp;

fn assert_client_error(what: &str, status: u16, body: &Value, expected: u16) {
    assert_eq!(status, expected, "{what}: {body}");
    assert!(
        body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        "{what}: a JSON error, got {body}"
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn odd_paths_and_queries_get_400s_and_404s(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let default = app.org_id("Default").await;
    let web1 = app.asset_id("web-01").await;
    let alice_id = app.user_id("alice").await;

    let (s, e) = app.get(&app.client(), "/api/v1/tickets").await;
    assert_client_error("not signed in", s, &e, 401);

    for (path, expected) in [
        ("/api/v1/tickets/not-a-uuid".to_string(), 400),
        ("/api/v1/tickets/not-a-uuid/events".to_string(), 400),
        ("/api/v1/grants/123".to_string(), 400),
        ("/api/v1/tickets?page=-1".to_string(), 400),
        ("/api/v1/tickets?page=abc".to_string(), 400),
        ("/api/v1/tickets?page=99999999999".to_string(), 400),
        ("/api/v1/tickets?scope=everything".to_string(), 400),
        ("/api/v1/tickets?state=open".to_string(), 400),
        ("/api/v1/tickets?org=nope".to_string(), 400),
        ("/api/v1/nodes".to_string(), 400),
        ("/api/v1/accounts?assets=web-01".to_string(), 400),
        ("/api/v1/grants/check?user=x".to_string(), 400),
        (
            format!("/api/v1/grants/check?user={alice_id}&asset={web1}&account=root&action=fly"),
            422,
        ),
        (
            format!("/api/v1/grants/check?user={alice_id}&asset={web1}&account=root&action=all"),
            422,
        ),
        (
            format!(
                "/api/v1/grants/check?user={alice_id}&asset={}&account=root&action=connect",
                uuid::Uuid::new_v4()
            ),
            404,
        ),
        (format!("/api/v1/nodes?org={}", uuid::Uuid::new_v4()), 404),
        ("/api/v1/no-such-thing".to_string(), 404),
    ] {
        let (s, e) = app.get(&alice, &path).await;
        assert_client_error(&path, s, &e, expected);
    }

    // Far pages are empty, not errors.
    for path in [
        "/api/v1/tickets?page=4294967295&per_page=4294967295",
        "/api/v1/grants?page=4294967295",
    ] {
        let (s, list) = app.get(&alice, path).await;
        assert_eq!(s, 200, "{path}: {list}");
        assert_eq!(list["items"], json!([]), "{path}");
    }

    // Postgres keeps no NUL character: a query holding one is refused, not a 500.
    for path in [
        "/api/v1/tickets?q=a%00b".to_string(),
        "/api/v1/users?q=a%00b".to_string(),
        format!("/api/v1/assets?org={default}&q=a%00b"),
        format!("/api/v1/grants/check?user={alice_id}&asset={web1}&account=ro%00ot&action=connect"),
    ] {
        let (s, e) = app.get(&alice, &path).await;
        assert_client_error(&path, s, &e, 400);
    }
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn odd_bodies_get_400s_and_422s(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let default = app.org_id("Default").await;
    let web1 = app.asset_id("web-01").await;
    let t = app.open_default(&alice, &[web1]).await;
    let id = t["id"].as_str().unwrap();
    let approve = format!("/api/v1/tickets/{id}/approve");
    let approve_bad_id = "/api/v1/tickets/xyz/approve";

    for (path, body, expected) in [
        (approve.as_str(), "{", 400),
        (approve.as_str(), "[1, 2]", 422),
        (
            approve.as_str(),
            r#"{"edits": {"assets": ["web-01"]}}"#,
            422,
        ),
        (approve.as_str(), r#"{"comment": 5}"#, 422),
        (approve.as_str(), "{} trailing", 400),
        (approve_bad_id, "{}", 400),
        ("/api/v1/tickets", "", 400),
        ("/api/v1/tickets", "null", 422),
        ("/api/v1/tickets/bulk", r#"{"action": "approve"}"#, 422),
        // Well-formed JSON that serde reports as a syntax error (an enum given `{}`): a
        // shape error all the same (found by schemathesis).
        (
            "/api/v1/acls/login-asset",
            r#"{"name": "x", "accounts": {}}"#,
            422,
        ),
        ("/api/v1/tickets/bulk", r#"{"action": {}, "ids": []}"#, 422),
    ] {
        let (s, e) = app.post_raw(&bob, path, Some(body)).await;
        assert_client_error(&format!("{path} {body:?}"), s, &e, expected);
    }

    // A body that is JSON but not an object is refused, not read as a struct's fields in a row
    // (an array `[null, null]` was a settings patch that changed nothing and answered 200;
    // found by schemathesis's negative-data check).
    let admin = app.signed_in("admin").await;
    let (_, before) = app.get(&admin, "/api/v1/settings").await;
    for body in ["[null, null]", "[7]", "\"x\"", "7"] {
        let r = admin
            .patch(format!("{}/api/v1/settings", app.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        let e: Value = r.json().await.unwrap_or(Value::Null);
        assert_client_error(&format!("PATCH /api/v1/settings {body}"), s, &e, 422);
    }
    assert_eq!(app.get(&admin, "/api/v1/settings").await.1, before);

    // Bad edits are refused with their field, and leave the ticket as it was.
    for (edits, field) in [
        (json!({"accounts": [""]}), "accounts"),
        (json!({"actions": ["all", "fly"]}), "actions"),
        (json!({"nodes": [uuid::Uuid::new_v4()]}), "nodes"),
        (json!({"assets": [uuid::Uuid::new_v4()]}), "assets"),
        (json!({"accounts": ["nobody"]}), "accounts"),
    ] {
        let (s, e) = app.post(&bob, &approve, json!({"edits": edits})).await;
        assert_eq!(s, 422, "{edits}: {e}");
        assert_eq!(e["error"]["field"], field, "{edits}: {e}");
    }
    let (s, e) = app
        .post(&bob, &approve, json!({"comment": "x".repeat(10_001)}))
        .await;
    assert_eq!((s, e["error"]["field"].clone()), (422, json!("comment")));
    assert_eq!(app.event_kinds(&alice, &t["id"]).await, ["opened"]);

    // NUL characters (Postgres keeps none): refused with a 422, never a 500.
    let mut nul_bodies = Vec::new();
    let mut body = TestApp::apply_body(default, "a\u{0}b", &[web1]);
    nul_bodies.push(("title", "/api/v1/tickets".to_string(), body.clone()));
    body["title"] = json!("fine");
    body["request"]["permission_name"] = json!("p\u{0}");
    nul_bodies.push(("permission", "/api/v1/tickets".to_string(), body.clone()));
    body["request"]["permission_name"] = json!("p");
    body["request"]["accounts"] = json!(["ro\u{0}ot"]);
    nul_bodies.push(("account", "/api/v1/tickets".to_string(), body));
    nul_bodies.push((
        "comment",
        format!("/api/v1/tickets/{id}/comments"),
        json!({"body": "a\u{0}b"}),
    ));
    nul_bodies.push((
        "approval comment",
        approve.clone(),
        json!({"comment": "ok\u{0}"}),
    ));
    nul_bodies.push((
        "sign-in",
        "/api/v1/auth/login".to_string(),
        json!({"username": "al\u{0}ice", "password": "x"}),
    ));
    for (what, path, body) in nul_bodies {
        let (s, e) = app.post(&bob, &path, body).await;
        assert_client_error(what, s, &e, 422);
    }
    // A backslash followed by "u0000" is ordinary text.
    let (s, c) = app
        .post(
            &alice,
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"body": "see C:\\u0000"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    assert_eq!(c["body"], "see C:\\u0000");
    assert_eq!(app.count("SELECT count(*) FROM tickets").await, 1);
    assert_eq!(
        app.event_kinds(&alice, &t["id"]).await,
        ["opened", "commented"]
    );
}
