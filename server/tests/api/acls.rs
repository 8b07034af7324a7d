//! ACLs through the API: who may edit which, validation, priority and matching.

use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::TestApp;

pub async fn id_of(pool: &PgPool, sql: &'static str, name: &str) -> Uuid {
    sqlx::query_scalar(sql)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

pub async fn user(pool: &PgPool, name: &str) -> Uuid {
    id_of(pool, "SELECT id FROM users WHERE username = $1", name).await
}

pub async fn org(pool: &PgPool, name: &str) -> Uuid {
    id_of(pool, "SELECT id FROM orgs WHERE name = $1", name).await
}

pub async fn asset(pool: &PgPool, name: &str) -> Uuid {
    id_of(pool, "SELECT id FROM assets WHERE name = $1", name).await
}

/// A service token made by admin, serving every org.
pub async fn service_token(app: &TestApp) -> String {
    crate::review_gateway::service_token(app).await
}

pub async fn ask(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", app.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn who_edits_which_acls(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let bob = app.signed_in("bob").await; // org admin of Default
    let alice = app.signed_in("alice").await;
    let default = org(&pool, "Default").await;
    let research = org(&pool, "Research").await;
    let login =
        json!({"name": "office only", "users": "all", "ips": ["10.0.0.0/8"], "action": "reject"});

    // Login ACLs: super admins only.
    let (s, _) = app.post(&bob, "/api/v1/acls/login", login.clone()).await;
    assert_eq!(s, 403);
    let (s, _) = app.get(&bob, "/api/v1/acls/login").await;
    assert_eq!(s, 403);
    let (s, l) = app.post(&admin, "/api/v1/acls/login", login).await;
    assert_eq!(s, 201, "{l}");
    assert_eq!(l["ips"], json!(["10.0.0.0/8"]));
    assert_eq!(l["priority"], 50);

    // Org ACLs: bob for Default, not for Research; alice for none. An org admin's change
    // waits for a super admin (a policy_change ticket) and takes effect when approved.
    let approve = |w: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            let ticket = w["pending_change"]["ticket_id"]
                .as_str()
                .unwrap()
                .to_string();
            let (s, t) = app
                .post(
                    admin,
                    &format!("/api/v1/tickets/{ticket}/approve"),
                    json!({}),
                )
                .await;
            assert_eq!((s, &t["state"]), (200, &json!("approved")), "{t}");
            t["request"]["target"].as_str().unwrap().to_string()
        }
    };
    let rule = |org: Uuid| json!({"name": "no rm", "org_id": org, "command_groups": [{"patterns": ["rm"], "kind": "command"}], "action": "reject"});
    let (s, w) = app
        .post(&bob, "/api/v1/acls/command-filter", rule(default))
        .await;
    assert_eq!(s, 202, "{w}");
    let (_, list) = app.get(&bob, "/api/v1/acls/command-filter").await;
    assert_eq!(list["total"], 0, "not applied before approval");
    let id = approve(w).await;
    let (s, c) = app
        .get(&bob, &format!("/api/v1/acls/command-filter/{id}"))
        .await;
    assert_eq!(s, 200, "{c}");
    let (s, _) = app
        .post(&bob, "/api/v1/acls/command-filter", rule(research))
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .post(&alice, "/api/v1/acls/command-filter", rule(default))
        .await;
    assert_eq!(s, 403);
    let (s, _) = app.get(&alice, "/api/v1/acls/command-filter").await;
    assert_eq!(s, 403);
    let (s, r) = app
        .post(&admin, "/api/v1/acls/command-filter", rule(research))
        .await;
    assert_eq!(s, 201);
    let research_rule = r["id"].as_str().unwrap().to_string();

    // bob lists only Default's; admin both.
    let (_, list) = app.get(&bob, "/api/v1/acls/command-filter").await;
    assert_eq!(list["total"], 1);
    let (_, list) = app.get(&admin, "/api/v1/acls/command-filter").await;
    assert_eq!(list["total"], 2);
    // Research's rule does not exist for bob.
    let (s, _) = app
        .get(
            &bob,
            &format!("/api/v1/acls/command-filter/{research_rule}"),
        )
        .await;
    assert_eq!(s, 404);

    // PATCH changes some fields, keeps the rest; bob cannot move a rule to Research.
    let r = bob
        .patch(format!("{}/api/v1/acls/command-filter/{id}", app.url))
        .json(&json!({"priority": 5, "action": "warning"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    approve(r.json().await.unwrap()).await;
    let (_, v) = app
        .get(&bob, &format!("/api/v1/acls/command-filter/{id}"))
        .await;
    assert_eq!(
        (v["priority"].as_i64(), v["action"].as_str()),
        (Some(5), Some("warning"))
    );
    assert_eq!(v["command_groups"][0]["patterns"], json!(["rm"]));
    let r = bob
        .patch(format!("{}/api/v1/acls/command-filter/{id}", app.url))
        .json(&json!({"org_id": research}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (s, w) = app
        .delete_json(&bob, &format!("/api/v1/acls/command-filter/{id}"))
        .await;
    assert_eq!(s, 202, "{w}");
    approve(w).await;
    let (s, _) = app
        .delete_json(&bob, &format!("/api/v1/acls/command-filter/{id}"))
        .await;
    assert_eq!(s, 404);
    // A super admin's own change applies at once.
    let (s, _) = app
        .delete_json(
            &admin,
            &format!("/api/v1/acls/command-filter/{research_rule}"),
        )
        .await;
    assert_eq!(s, 204);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn bad_rules_are_clear_4xx(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let default = org(&pool, "Default").await;
    let cases = [
        (
            "/api/v1/acls/login",
            json!({"name": "x", "ips": ["10.0.0.300"], "action": "reject"}),
            "ips[0]",
        ),
        (
            "/api/v1/acls/login",
            json!({"name": "x", "ips": [], "action": "reject"}),
            "ips",
        ),
        (
            "/api/v1/acls/login",
            json!({"name": "x", "action": "review"}),
            "reviewers",
        ),
        (
            "/api/v1/acls/login",
            json!({"name": "x", "action": "warning"}),
            "action",
        ),
        (
            "/api/v1/acls/login",
            json!({"name": " ", "action": "accept"}),
            "name",
        ),
        (
            "/api/v1/acls/login",
            json!({"name": "x", "priority": 0, "action": "accept"}),
            "priority",
        ),
        (
            "/api/v1/acls/login-asset",
            json!({"name": "x", "action": "accept"}),
            "org_id",
        ),
        (
            "/api/v1/acls/login-asset",
            json!({"name": "x", "org_id": default, "assets": {"ids": [Uuid::new_v4()]}, "action": "accept"}),
            "assets",
        ),
        (
            "/api/v1/acls/command-filter",
            json!({"name": "x", "org_id": default, "action": "reject"}),
            "command_groups",
        ),
        (
            "/api/v1/acls/command-filter",
            json!({"name": "x", "org_id": default, "command_groups": [{"patterns": ["(unclosed"], "kind": "regex"}], "action": "reject"}),
            "command_groups[0].patterns[0]",
        ),
    ];
    for (path, body, field) in cases {
        let (s, e) = app.post(&admin, path, body.clone()).await;
        assert_eq!(s, 422, "{body} → {e}");
        assert_eq!(e["error"]["field"].as_str(), Some(field), "{body} → {e}");
    }
    // Malformed shapes: 4xx, never 500.
    for body in [
        json!({"name": "x", "action": "maybe"}),
        json!({"name": "x", "users": "everyone", "action": "accept"}),
        json!({"name": "x", "time": {"timezone": "Mars/Olympus"}, "action": "accept"}),
    ] {
        let (s, e) = app.post(&admin, "/api/v1/acls/login", body.clone()).await;
        assert!((400..500).contains(&s), "{body} → {s} {e}");
    }
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn priority_and_matching_decide_through_the_gateway(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let token = service_token(&app).await;
    let default = org(&pool, "Default").await;
    let web01 = asset(&pool, "web-01").await;
    let carol = user(&pool, "carol").await;

    // 10: review rm on web-* as root; 20: reject rm anywhere; 30: warn on reboot (any case).
    for body in [
        json!({"name": "review rm on web", "priority": 10, "org_id": default, "assets": {"names": ["web-*"]},
               "accounts": {"names": ["root"]}, "command_groups": [{"patterns": ["rm"], "kind": "command"}],
               "action": "review", "reviewers": [carol]}),
        json!({"name": "no rm", "priority": 20, "org_id": default,
               "command_groups": [{"patterns": ["rm"], "kind": "command"}], "action": "reject"}),
        json!({"name": "warn reboot", "priority": 30, "org_id": default,
               "command_groups": [{"patterns": ["^reboot"], "kind": "regex", "ignore_case": true}], "action": "warning"}),
    ] {
        let (s, r) = app.post(&admin, "/api/v1/acls/command-filter", body).await;
        assert_eq!(s, 201, "{r}");
    }
    let cmd = |asset: &str, account: &str, command: &str| json!({"user": "alice", "asset": asset, "org": "Default", "account": account, "command": command});
    let decide = |b: Value| {
        let (app, token) = (&app, &token);
        async move {
            let (s, d) = ask(app, token, "/api/v1/gateway/command", b).await;
            assert_eq!(s, 200, "{d}");
            d
        }
    };
    let d = decide(cmd("web-01", "root", "sudo rm -rf /tmp/x")).await;
    assert_eq!(d["decision"], "review", "{d}");
    assert!(d["ticket_id"].is_string() && d["ticket_url"].as_str().unwrap().contains("/tickets/"));
    let d = decide(cmd("web-01", "deploy", "rm x")).await;
    assert_eq!(
        (d["decision"].as_str(), d["ticket_id"].is_null()),
        (Some("reject"), true)
    );
    assert!(d["reason"].as_str().unwrap().contains("no rm"), "{d}");
    let d = decide(cmd("db-pg-01", "postgres", "ls; rm y")).await;
    assert_eq!(d["decision"], "reject");
    let d = decide(cmd(&web01.to_string(), "root", "REBOOT now")).await;
    assert_eq!(d["decision"], "warning");
    let d = decide(cmd("web-01", "root", "rmdir x")).await;
    assert_eq!(
        (d["decision"].as_str(), d["acl_id"].is_null()),
        (Some("accept"), true)
    );

    // Lowering the reject rule's number puts it first.
    let (_, list) = app.get(&admin, "/api/v1/acls/command-filter").await;
    let no_rm = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "no rm")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = admin
        .patch(format!("{}/api/v1/acls/command-filter/{no_rm}", app.url))
        .json(&json!({"priority": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let d = decide(cmd("web-01", "root", "rm -rf /tmp/x")).await;
    assert_eq!(d["decision"], "reject");

    // Login-asset ACLs decide connections: ids, names, accounts.
    let (s, r) = app
        .post(
            &admin,
            "/api/v1/acls/login-asset",
            json!({"name": "no root on db", "org_id": default, "assets": {"names": ["db-*"]},
                   "accounts": {"names": ["root", "postgres"]}, "action": "reject"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let conn =
        |asset: &str, account: &str| json!({"user": "alice", "asset": asset, "account": account});
    let (_, d) = ask(
        &app,
        &token,
        "/api/v1/gateway/login-asset",
        conn("db-pg-01", "postgres"),
    )
    .await;
    assert_eq!(d["decision"], "reject");
    let (_, d) = ask(
        &app,
        &token,
        "/api/v1/gateway/login-asset",
        conn("db-pg-01", "readonly"),
    )
    .await;
    assert_eq!(d["decision"], "accept");

    // Unknown things are 422; a user's session is not a gateway (403); no token 401.
    let (s, e) = ask(
        &app,
        &token,
        "/api/v1/gateway/login-asset",
        conn("nope", "root"),
    )
    .await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("asset")));
    let (s, _) = ask(
        &app,
        &token,
        "/api/v1/gateway/login-asset",
        json!({"user": "nobody", "asset": "web-01", "account": "root"}),
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = ask(
        &app,
        &token,
        "/api/v1/gateway/command",
        json!({"user": "alice", "asset": "web-01", "account": "root", "command": " "}),
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = app
        .post(
            &admin,
            "/api/v1/gateway/command",
            cmd("web-01", "root", "ls"),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = ask(
        &app,
        "tgs_wrong",
        "/api/v1/gateway/command",
        cmd("web-01", "root", "ls"),
    )
    .await;
    assert_eq!(s, 401);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn login_acls_refuse_sign_ins_but_not_their_reviewers(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let carol = user(&pool, "carol").await;
    let (s, r) = app
        .post(
            &admin,
            "/api/v1/acls/login",
            json!({"name": "dave not from here", "priority": 1, "users": {"names": ["dave"]},
                   "ips": ["127.0.0.0/8"], "action": "reject"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let (s, r) = app
        .post(
            &admin,
            "/api/v1/acls/login",
            json!({"name": "review everyone", "priority": 2, "ips": ["*"], "action": "review",
                   "reviewers": [carol]}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let login = |name: &str| {
        let c = app.client();
        let url = format!("{}/api/v1/auth/login", app.url);
        let body = json!({"username": name, "password": crate::helpers::PASSWORD});
        async move {
            let r = c.post(url).json(&body).send().await.unwrap();
            let s = r.status().as_u16();
            let has_cookie = r.headers().get("set-cookie").is_some();
            (
                s,
                has_cookie,
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (s, cookie, e) = login("dave").await;
    assert_eq!((s, cookie), (403, false), "{e}");
    assert_eq!(e["error"]["code"], "login_refused");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("dave not from here"));
    // A review rule does not hold its own reviewer.
    let (s, _, _) = login("carol").await;
    assert_eq!(s, 200);
    // Everyone else is held for carol: 202, a pending sign-in (tests/api/held.rs), no session.
    let (s, cookie, e) = login("alice").await;
    assert_eq!(
        (s, cookie, e["state"].as_str()),
        (202, true, Some("pending")),
        "{e}"
    );
    assert_eq!(e["reviewers"], json!(["Carol Danvers"]));
    // Switching the rules off lets them in.
    let (_, list) = app.get(&admin, "/api/v1/acls/login").await;
    for r in list["items"].as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        let (s, _) = app
            .delete_json(&admin, &format!("/api/v1/acls/login/{id}"))
            .await;
        assert_eq!(s, 204);
    }
    assert_eq!(login("dave").await.0, 200);
}
