//! Administration through the API (issue 8): permissions per role for orgs, people,
//! memberships, nodes, assets, accounts, import, settings and the audit export; bad input is a
//! 4xx naming the field; an import with one bad row imports nothing and names the row; a
//! deactivated user's sessions end at once and they drop out of assignee resolution.

use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::TestApp;

async fn id_of(pool: &PgPool, sql: &'static str, name: &str) -> Uuid {
    sqlx::query_scalar(sql)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn org(pool: &PgPool, name: &str) -> Uuid {
    id_of(pool, "SELECT id FROM orgs WHERE name = $1", name).await
}

async fn user(pool: &PgPool, name: &str) -> Uuid {
    id_of(pool, "SELECT id FROM users WHERE username = $1", name).await
}

async fn csv(app: &TestApp, c: &reqwest::Client, path: &str, text: &str) -> (u16, Value) {
    let r = c
        .post(format!("{}{}", app.url, path))
        .header("content-type", "text/csv")
        .body(text.to_string())
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn field(v: &Value) -> &str {
    v["error"]["field"].as_str().unwrap_or("")
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn orgs_and_memberships_per_role(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (admin, alice, bob, carol) = (
        app.signed_in("admin").await,
        app.signed_in("alice").await,
        app.signed_in("bob").await,
        app.signed_in("carol").await,
    );
    let default = org(&pool, "Default").await;

    // Create: super admins only; bad and duplicate names are refused with the field.
    for c in [&alice, &bob] {
        let (s, _) = app.post(c, "/api/v1/orgs", json!({"name": "Ops"})).await;
        assert_eq!(s, 403);
    }
    let (s, e) = app
        .post(&admin, "/api/v1/orgs", json!({"name": "  "}))
        .await;
    assert_eq!((s, field(&e)), (422, "name"), "{e}");
    let (s, e) = app
        .post(&admin, "/api/v1/orgs", json!({"name": "a/b"}))
        .await;
    assert_eq!((s, field(&e)), (422, "name"), "{e}");
    let (s, e) = app.post(&admin, "/api/v1/orgs", json!({"nme": "x"})).await;
    assert_eq!(s, 422, "{e}");
    let (s, e) = app
        .post(&admin, "/api/v1/orgs", json!({"name": "default"}))
        .await;
    assert_eq!((s, field(&e)), (409, "name"), "{e}");
    let (s, ops) = app
        .post(&admin, "/api/v1/orgs", json!({"name": "Ops"}))
        .await;
    assert_eq!(s, 201, "{ops}");
    let ops_id = ops["id"].as_str().unwrap().to_string();
    assert!(
        ops["root_node_id"].is_string(),
        "a root node comes with the org"
    );

    // Read: members and super admins; others do not see it.
    app.statuses(&[
        (&admin, "GET", format!("/api/v1/orgs/{ops_id}"), None, 200),
        (&alice, "GET", format!("/api/v1/orgs/{ops_id}"), None, 404),
        (
            &alice,
            "GET",
            "/api/v1/orgs/not-a-uuid".to_string(),
            None,
            400,
        ),
    ])
    .await;
    let (s, list) = app.get(&alice, "/api/v1/admin/orgs").await;
    assert_eq!(s, 200);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "alice: Default only"
    );

    // Rename: super admins and the org's admins; members 403; outsiders 404.
    app.statuses(&[
        (
            &alice,
            "PATCH",
            format!("/api/v1/orgs/{default}"),
            Some(json!({"name": "D2"})),
            403,
        ),
        (
            &carol,
            "PATCH",
            format!("/api/v1/orgs/{default}"),
            Some(json!({"name": "D2"})),
            404,
        ),
    ])
    .await;
    let (s, o) = app
        .patch(
            &bob,
            &format!("/api/v1/orgs/{default}"),
            json!({"name": "Default HQ"}),
        )
        .await;
    assert_eq!((s, o["name"].as_str()), (200, Some("Default HQ")), "{o}");
    let (_, nodes) = app.get(&bob, &format!("/api/v1/nodes?org={default}")).await;
    assert!(nodes["items"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("/Default HQ"));

    // Members: admins and auditors read; admins change; plain members may not.
    let dave = user(&pool, "dave").await;
    app.statuses(&[(
        &alice,
        "GET",
        format!("/api/v1/orgs/{default}/members"),
        None,
        403,
    )])
    .await;
    let (s, m) = app
        .get(&bob, &format!("/api/v1/orgs/{default}/members"))
        .await;
    assert_eq!(s, 200, "{m}");
    app.statuses(&[(
        &alice,
        "PUT",
        format!("/api/v1/orgs/{default}/members"),
        Some(json!({"user_id": dave, "role": "org_auditor"})),
        403,
    )])
    .await;
    let (s, e) = app
        .put(
            &bob,
            &format!("/api/v1/orgs/{default}/members"),
            json!({"user_id": dave, "role": "boss"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, e) = app
        .put(
            &bob,
            &format!("/api/v1/orgs/{default}/members"),
            json!({"user_id": Uuid::new_v4(), "role": "org_user"}),
        )
        .await;
    assert_eq!((s, field(&e)), (422, "user_id"), "{e}");
    let (s, m) = app
        .put(
            &bob,
            &format!("/api/v1/orgs/{default}/members"),
            json!({"user_id": dave, "role": "org_auditor"}),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    // dave, now an auditor of Default, reads its members and the audit but changes nothing.
    let dave_c = app.signed_in("dave").await;
    app.statuses(&[
        (
            &dave_c,
            "GET",
            format!("/api/v1/orgs/{default}/members"),
            None,
            200,
        ),
        (
            &dave_c,
            "POST",
            "/api/v1/nodes".to_string(),
            Some(json!({"org_id": default, "name": "x"})),
            403,
        ),
        (
            &bob,
            "DELETE",
            format!("/api/v1/orgs/{default}/members/{dave}"),
            None,
            204,
        ),
        (
            &bob,
            "DELETE",
            format!("/api/v1/orgs/{default}/members/{dave}"),
            None,
            404,
        ),
    ])
    .await;

    // Delete: super admins only, and only an empty org.
    app.statuses(&[(&bob, "DELETE", format!("/api/v1/orgs/{default}"), None, 403)])
        .await;
    let (s, e) = app
        .delete_json(&admin, &format!("/api/v1/orgs/{default}"))
        .await;
    assert_eq!(s, 409, "{e}");
    app.statuses(&[
        (
            &admin,
            "POST",
            "/api/v1/nodes".to_string(),
            Some(json!({"org_id": ops_id, "name": "prod"})),
            201,
        ),
        (
            &admin,
            "DELETE",
            format!("/api/v1/orgs/{ops_id}"),
            None,
            204,
        ),
        (&admin, "GET", format!("/api/v1/orgs/{ops_id}"), None, 404),
    ])
    .await;
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn people_per_role_and_deactivation(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (admin, alice, bob) = (
        app.signed_in("admin").await,
        app.signed_in("alice").await,
        app.signed_in("bob").await,
    );
    let (default, research) = (org(&pool, "Default").await, org(&pool, "Research").await);
    let new = |name: &str, org: Uuid| {
        json!({"username": name, "display_name": "New Person", "email": format!("{name}@example.com"),
               "password": "long enough pw", "orgs": [{"org_id": org, "role": "org_user"}]})
    };

    // Create: super admins; org admins for members of their orgs; nobody else.
    let (s, _) = app.post(&alice, "/api/v1/users", new("x1", default)).await;
    assert_eq!(s, 403);
    let (s, _) = app.post(&bob, "/api/v1/users", new("x2", research)).await;
    assert_eq!(s, 403);
    let mut su = new("x3", default);
    su["system_role"] = json!("super_admin");
    let (s, _) = app.post(&bob, "/api/v1/users", su).await;
    assert_eq!(s, 403, "an org admin cannot make a super admin");
    for (body, f) in [
        (
            json!({"username": "bad name", "password": "long enough pw"}),
            "username",
        ),
        (json!({"username": "ok", "password": "short"}), "password"),
        (
            json!({"username": "ok", "password": "long enough pw", "email": "nope"}),
            "email",
        ),
        (
            json!({"username": "alice", "password": "long enough pw"}),
            "username",
        ),
    ] {
        let (s, e) = app.post(&admin, "/api/v1/users", body).await;
        assert!(s == 422 || s == 409, "{s} {e}");
        assert_eq!(field(&e), f, "{e}");
    }
    // An org admin never chooses the password: the person gets a link by email.
    let (s, e) = app.post(&bob, "/api/v1/users", new("erin", default)).await;
    assert_eq!(s, 403, "{e}");
    let mut invite = new("erin", default);
    invite.as_object_mut().unwrap().remove("password");
    let (s, erin) = app.post(&bob, "/api/v1/users", invite).await;
    assert_eq!(s, 201, "{erin}");
    let erin_id = erin["id"].as_str().unwrap().to_string();
    assert_eq!(erin["orgs"][0]["role"], "org_user");

    // Read: oneself, super admins, overseers of their orgs.
    let carol = app.signed_in("carol").await;
    app.statuses(&[
        (&carol, "GET", format!("/api/v1/users/{erin_id}"), None, 404),
        (&bob, "GET", format!("/api/v1/users/{erin_id}"), None, 200),
    ])
    .await;
    let (s, list) = app.get(&alice, "/api/v1/admin/users").await;
    assert_eq!(s, 200);
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "alice sees only herself"
    );
    let (_, list) = app.get(&admin, "/api/v1/admin/users?q=ERI").await;
    assert_eq!(list["items"][0]["username"], "erin");

    // Change: oneself (name, email, password), super admins everything.
    let alice_id = user(&pool, "alice").await;
    let (s, a) = app
        .patch(
            &alice,
            &format!("/api/v1/users/{alice_id}"),
            json!({"display_name": "Alice A."}),
        )
        .await;
    assert_eq!((s, a["display_name"].as_str()), (200, Some("Alice A.")));
    app.statuses(&[
        (
            &alice,
            "PATCH",
            format!("/api/v1/users/{alice_id}"),
            Some(json!({"system_role": "super_admin"})),
            403,
        ),
        (
            &bob,
            "PATCH",
            format!("/api/v1/users/{erin_id}"),
            Some(json!({"display_name": "E"})),
            403,
        ),
    ])
    .await;
    let (s, e) = app
        .patch(
            &admin,
            &format!("/api/v1/users/{erin_id}"),
            json!({"display_name": ""}),
        )
        .await;
    assert_eq!((s, field(&e)), (422, "display_name"));
    let admin_id = user(&pool, "admin").await;
    let (s, e) = app
        .patch(
            &admin,
            &format!("/api/v1/users/{admin_id}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(
        (s, field(&e)),
        (422, "active"),
        "no one deactivates themselves"
    );
    app.statuses(&[(
        &admin,
        "PATCH",
        format!("/api/v1/users/{erin_id}"),
        Some(json!({"password": "a new password"})),
        200,
    )])
    .await;
    let c = app.client();
    let (s, _) = app
        .post(
            &c,
            "/api/v1/auth/login",
            json!({"username": "erin", "password": "a new password"}),
        )
        .await;
    assert_eq!(s, 200, "the reset password works");
    app.statuses(&[(&c, "GET", "/api/v1/me".to_string(), None, 200)])
        .await;

    // Deactivate: their session ends at once.
    let (s, _) = app
        .delete_json(&bob, &format!("/api/v1/users/{erin_id}"))
        .await;
    assert_eq!(s, 403, "only super admins deactivate");
    let (s, u) = app
        .delete_json(&admin, &format!("/api/v1/users/{erin_id}"))
        .await;
    assert_eq!((s, u["active"].as_bool()), (200, Some(false)), "{u}");
    let (s, _) = app.get(&c, "/api/v1/me").await;
    assert_eq!(s, 401, "a deactivated user's session ends at once");
    app.statuses(&[(
        &c,
        "POST",
        "/api/v1/auth/login".to_string(),
        Some(json!({"username": "erin", "password": "a new password"})),
        401,
    )])
    .await;
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_deactivated_approver_drops_out_of_assignee_resolution(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let dave = app.signed_in("dave").await;
    let default = org(&pool, "Default").await;
    let asset = id_of(&pool, "SELECT id FROM assets WHERE name = $1", "web-01").await;
    let open = || {
        let now = chrono::Utc::now();
        json!({"type": "apply_asset", "org_id": default, "title": "t", "request": {
            "permission_name": "p", "assets": [asset], "accounts": ["root"], "actions": ["connect"],
            "start": now, "expiry": now + chrono::Duration::days(1)}})
    };
    let names = |t: &Value| -> Vec<String> {
        t["steps"][0]["assignees"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["username"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, t) = app.post(&dave, "/api/v1/tickets", open()).await;
    assert_eq!(s, 201, "{t}");
    assert!(names(&t).contains(&"bob".to_string()), "{t}");
    let bob_id = user(&pool, "bob").await;
    app.statuses(&[(
        &admin,
        "DELETE",
        format!("/api/v1/users/{bob_id}"),
        None,
        200,
    )])
    .await;
    let (s, t) = app.post(&dave, "/api/v1/tickets", open()).await;
    assert_eq!(s, 201, "{t}");
    assert!(!names(&t).contains(&"bob".to_string()), "{t}");
    assert!(!names(&t).is_empty());
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_estate_per_role_with_validation(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (alice, bob, carol) = (
        app.signed_in("alice").await,
        app.signed_in("bob").await,
        app.signed_in("carol").await,
    );
    let default = org(&pool, "Default").await;

    // Nodes.
    app.statuses(&[
        (
            &alice,
            "POST",
            "/api/v1/nodes".to_string(),
            Some(json!({"org_id": default, "name": "ops"})),
            403,
        ),
        (
            &carol,
            "POST",
            "/api/v1/nodes".to_string(),
            Some(json!({"org_id": default, "name": "ops"})),
            404,
        ),
    ])
    .await;
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/nodes",
            json!({"org_id": default, "name": "a/b"}),
        )
        .await;
    assert_eq!((s, field(&e)), (422, "name"));
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/nodes",
            json!({"org_id": default, "name": "x", "parent_id": Uuid::new_v4()}),
        )
        .await;
    assert_eq!((s, field(&e)), (422, "parent_id"));
    let (s, ops) = app
        .post(
            &bob,
            "/api/v1/nodes",
            json!({"org_id": default, "name": "ops"}),
        )
        .await;
    assert_eq!(
        (s, ops["path"].as_str()),
        (201, Some("/Default/ops")),
        "{ops}"
    );
    let ops_id = ops["id"].as_str().unwrap();
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/nodes",
            json!({"org_id": default, "name": "OPS"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    let (s, sub) = app
        .post(
            &bob,
            "/api/v1/nodes",
            json!({"org_id": default, "parent_id": ops_id, "name": "sub"}),
        )
        .await;
    assert_eq!(s, 201);
    let sub_id = sub["id"].as_str().unwrap();
    let (s, e) = app
        .patch(
            &bob,
            &format!("/api/v1/nodes/{ops_id}"),
            json!({"parent_id": sub_id}),
        )
        .await;
    assert_eq!((s, field(&e)), (422, "parent_id"), "no cycles: {e}");
    let prod = id_of(&pool, "SELECT id FROM nodes WHERE name = $1", "prod").await;
    let (s, n) = app
        .patch(
            &bob,
            &format!("/api/v1/nodes/{sub_id}"),
            json!({"parent_id": prod, "name": "moved"}),
        )
        .await;
    assert_eq!(
        (s, n["path"].as_str()),
        (200, Some("/Default/prod/moved")),
        "{n}"
    );
    app.statuses(&[(
        &alice,
        "PATCH",
        format!("/api/v1/nodes/{sub_id}"),
        Some(json!({"name": "z"})),
        403,
    )])
    .await;

    // Assets, with two accounts.
    let new_asset = json!({"org_id": default, "name": "app-01", "address": "10.9.0.1", "platform": "linux", "nodes": [ops_id]});
    let (s, _) = app.post(&alice, "/api/v1/assets", new_asset.clone()).await;
    assert_eq!(s, 403);
    for (k, v) in [
        ("platform", json!("beos")),
        ("address", json!("a b")),
        ("name", json!("")),
        ("nodes", json!([Uuid::new_v4()])),
    ] {
        let mut b = new_asset.clone();
        b[k] = v;
        let (s, e) = app.post(&bob, "/api/v1/assets", b).await;
        assert_eq!((s, field(&e)), (422, k), "{e}");
    }
    let (s, a) = app.post(&bob, "/api/v1/assets", new_asset.clone()).await;
    assert_eq!(s, 201, "{a}");
    let asset_id = a["id"].as_str().unwrap().to_string();
    let (s, _) = app.post(&bob, "/api/v1/assets", new_asset.clone()).await;
    assert_eq!(s, 409);
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/accounts",
            json!({"asset_id": asset_id, "name": "@ALL"}),
        )
        .await;
    assert_eq!((s, field(&e)), (422, "name"));
    app.statuses(&[(
        &alice,
        "POST",
        "/api/v1/accounts".to_string(),
        Some(json!({"asset_id": asset_id, "name": "root"})),
        403,
    )])
    .await;
    let (s, root) = app
        .post(
            &bob,
            "/api/v1/accounts",
            json!({"asset_id": asset_id, "name": "root"}),
        )
        .await;
    assert_eq!(
        (s, root["username"].as_str()),
        (201, Some("root")),
        "{root}"
    );
    app.statuses(&[(
        &bob,
        "POST",
        "/api/v1/accounts".to_string(),
        Some(json!({"asset_id": asset_id, "name": "deploy", "username": "deployer"})),
        201,
    )])
    .await;
    let (_, accs) = app
        .get(&alice, &format!("/api/v1/accounts?assets={asset_id}"))
        .await;
    assert_eq!(accs["items"].as_array().unwrap().len(), 2);
    let root_id = root["id"].as_str().unwrap();
    let (s, r) = app
        .patch(
            &bob,
            &format!("/api/v1/accounts/{root_id}"),
            json!({"username": "toor"}),
        )
        .await;
    assert_eq!((s, r["username"].as_str()), (200, Some("toor")));
    app.statuses(&[(
        &carol,
        "GET",
        format!("/api/v1/accounts/{root_id}"),
        None,
        404,
    )])
    .await;

    // Search and filters: by name, node and platform.
    let (_, found) = app
        .get(&alice, &format!("/api/v1/assets?org={default}&q=app"))
        .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let (_, found) = app
        .get(
            &alice,
            &format!("/api/v1/assets?org={default}&node={ops_id}"),
        )
        .await;
    assert_eq!(found["items"][0]["name"], "app-01");
    let (_, found) = app
        .get(
            &alice,
            &format!("/api/v1/assets?org={default}&platform=mysql"),
        )
        .await;
    assert!(found["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["platform"] == "mysql"));
    assert!(!found["items"].as_array().unwrap().is_empty());

    // Edit and place; delete only empty nodes.
    let (s, a) = app
        .patch(
            &bob,
            &format!("/api/v1/assets/{asset_id}"),
            json!({"address": "10.9.0.2", "nodes": [prod]}),
        )
        .await;
    assert_eq!((s, a["address"].as_str()), (200, Some("10.9.0.2")), "{a}");
    let (s, e) = app
        .delete_json(&bob, &format!("/api/v1/nodes/{prod}"))
        .await;
    assert_eq!(s, 409, "{e}");
    app.statuses(&[
        (
            &alice,
            "DELETE",
            format!("/api/v1/assets/{asset_id}"),
            None,
            403,
        ),
        (
            &bob,
            "DELETE",
            format!("/api/v1/accounts/{root_id}"),
            None,
            204,
        ),
        (
            &bob,
            "DELETE",
            format!("/api/v1/assets/{asset_id}"),
            None,
            204,
        ),
        (&bob, "GET", format!("/api/v1/assets/{asset_id}"), None, 404),
        (&bob, "DELETE", format!("/api/v1/nodes/{ops_id}"), None, 204),
    ])
    .await;
    let root_node = id_of(
        &pool,
        "SELECT id FROM nodes WHERE name = $1 AND parent_id IS NULL",
        "Default",
    )
    .await;
    let (s, _) = app
        .delete_json(&bob, &format!("/api/v1/nodes/{root_node}"))
        .await;
    assert_eq!(s, 409, "the root stays");
}

async fn counts(pool: &PgPool) -> (i64, i64, i64) {
    sqlx::query_as("SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM assets), (SELECT count(*) FROM accounts)")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_import_with_one_bad_row_imports_nothing_and_names_the_row(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (alice, bob) = (app.signed_in("alice").await, app.signed_in("bob").await);
    let default = org(&pool, "Default").await;
    let url = format!("/api/v1/import?org={default}");
    let before = counts(&pool).await;

    let bad = "path,asset,address,platform,account,username\n\
               /Default/dc1/web,imp-web-1,10.5.0.1,linux,root,\n\
               /Default/dc1/web,imp-web-1,10.5.0.1,linux,deploy,deployer\n\
               /Default/dc1/db,imp-db-1,10.5.0.9,beos,postgres,postgres\n";
    let (s, e) = csv(&app, &bob, &url, bad).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["code"], "import_refused");
    assert_eq!(field(&e), "rows[3].platform", "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("Row 3"),
        "{e}"
    );
    assert_eq!(e["error"]["details"]["refused"][0]["row"], 3);
    assert_eq!(counts(&pool).await, before, "nothing half-imported");

    // Plain members may not import; the good file imports and reports.
    let good = bad.replace("beos", "postgresql");
    let (s, _) = csv(&app, &alice, &url, &good).await;
    assert_eq!(s, 403);
    let (s, r) = csv(&app, &bob, &url, &good).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["created_nodes"], 3);
    assert_eq!(
        r["sample"]["nodes"],
        json!(["/Default/dc1", "/Default/dc1/web", "/Default/dc1/db"])
    );
    assert_eq!(r["created_assets"], 2);
    assert_eq!(r["sample"]["assets"], json!(["imp-web-1", "imp-db-1"]));
    assert_eq!(r["created_accounts"], 3);
    let after = counts(&pool).await;
    assert_eq!(after, (before.0 + 3, before.1 + 2, before.2 + 3));

    // Again as JSON: all there already, nothing new; a clash is refused with its row.
    let rows = json!({"rows": [
        {"path": "/Default/dc1/web", "asset": "imp-web-1", "account": "root"},
        {"path": "dc1/web", "asset": "imp-web-1", "account": "deploy", "username": "someone-else"}
    ]});
    let (s, e) = app.post(&bob, &url, rows).await;
    assert_eq!((s, field(&e)), (422, "rows[2].username"), "{e}");
    let (s, r) = app
        .post(
            &bob,
            &url,
            json!([{"path": "/Default/dc1/web", "asset": "imp-web-1", "account": "root"}]),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["created_assets"], 0);
    assert_eq!(r["existing"], 2);
    assert_eq!(
        r["sample"]["existing"],
        json!(["imp-web-1", "imp-web-1/root"])
    );
    assert_eq!(counts(&pool).await, after);

    // Shapes: an unknown column, a wrong JSON field, an empty file, another content type.
    let (s, e) = csv(&app, &bob, &url, "path,colour\n/x,red\n").await;
    assert_eq!((s, field(&e)), (422, "body"), "{e}");
    let (s, e) = app
        .post(&bob, &url, json!({"rows": [{"path": "/a"}, {"pth": "/b"}]}))
        .await;
    assert_eq!((s, field(&e)), (422, "rows[2]"), "{e}");
    app.statuses(&[(
        &bob,
        "POST",
        url.to_string(),
        Some(json!({"rows": []})),
        422,
    )])
    .await;
    let r = bob
        .post(format!("{}{}", app.url, url))
        .header("content-type", "application/xml")
        .body("<x/>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let (s, _) = csv(&app, &bob, "/api/v1/import", good.as_str()).await;
    assert_eq!(s, 400, "the org is required");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn settings_are_read_by_all_changed_by_super_admins_and_used(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (admin, bob, dave) = (
        app.signed_in("admin").await,
        app.signed_in("bob").await,
        app.signed_in("dave").await,
    );
    let (s, st) = app.get(&dave, "/api/v1/settings").await;
    assert_eq!(s, 200);
    assert_eq!(
        st,
        json!({"default_period_days": 7, "direct_email_approval": false, "grant_ending_notice_hours": 24,
        "ttl_minutes": {"apply_asset": 10080, "login_confirm": 10, "login_asset_confirm": 10080, "command_confirm": 10080}})
    );
    let (s, _) = app
        .patch(&bob, "/api/v1/settings", json!({"default_period_days": 3}))
        .await;
    assert_eq!(s, 403);
    let (s, e) = app
        .patch(
            &admin,
            "/api/v1/settings",
            json!({"default_period_days": 0}),
        )
        .await;
    assert_eq!((s, field(&e)), (422, "default_period_days"));
    let (s, e) = app.patch(&admin, "/api/v1/settings", json!({"ttl_minutes": {"apply_asset": 60, "login_confirm": 0, "login_asset_confirm": 5, "command_confirm": 5}})).await;
    assert_eq!((s, field(&e)), (422, "ttl_minutes.login_confirm"));
    let (s, e) = app
        .patch(
            &admin,
            "/api/v1/settings",
            json!({"grant_ending_notice_hours": 721}),
        )
        .await;
    assert_eq!((s, field(&e)), (422, "grant_ending_notice_hours"));
    let (s, st) = app.patch(&admin, "/api/v1/settings", json!({"default_period_days": 3, "direct_email_approval": true,
        "ttl_minutes": {"apply_asset": 60, "login_confirm": 5, "login_asset_confirm": 5, "command_confirm": 5}})).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["default_period_days"], 3);

    // A ticket opened now lives an hour.
    let default = org(&pool, "Default").await;
    let asset = id_of(&pool, "SELECT id FROM assets WHERE name = $1", "web-01").await;
    let now = chrono::Utc::now();
    let (s, t) = app
        .post(
            &dave,
            "/api/v1/tickets",
            json!({"type": "apply_asset", "org_id": default, "title": "t", "request": {
        "permission_name": "p", "assets": [asset], "accounts": ["root"], "actions": ["connect"],
        "start": now, "expiry": now + chrono::Duration::days(1)}}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let id: Uuid = t["id"].as_str().unwrap().parse().unwrap();
    let ttl: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - created_at)::float8 FROM tickets WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!((ttl - 3600.0).abs() < 5.0, "{ttl}");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_audit_export_per_role(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (admin, alice, bob, dave) = (
        app.signed_in("admin").await,
        app.signed_in("alice").await,
        app.signed_in("bob").await,
        app.signed_in("dave").await,
    );
    let research = org(&pool, "Research").await;
    let gpu = id_of(&pool, "SELECT id FROM assets WHERE name = $1", "gpu-01").await;
    let now = chrono::Utc::now();
    let (s, t) = app.post(&dave, "/api/v1/tickets", json!({"type": "apply_asset", "org_id": research, "title": "=cmd|calc, \"quoted\"", "request": {
        "permission_name": "p", "assets": [gpu], "accounts": ["root"], "actions": ["connect"],
        "start": now, "expiry": now + chrono::Duration::days(1)}})).await;
    assert_eq!(s, 201, "{t}");
    let serial = t["serial"].as_str().unwrap().to_string();

    let get_text = |c: reqwest::Client, path: String| {
        let url = format!("{}{}", app.url, path);
        async move {
            let r = c.get(url).send().await.unwrap();
            let s = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .map(|h| h.to_str().unwrap().to_string())
                .unwrap_or_default();
            (s, ct, r.text().await.unwrap())
        }
    };
    let today = now.date_naive();
    let range = format!(
        "/api/v1/audit/tickets.csv?from={}&to={}",
        today - chrono::Duration::days(1),
        today
    );
    let (s, ct, body) = get_text(admin.clone(), range.clone()).await;
    assert_eq!(s, 200, "{body}");
    assert!(ct.starts_with("text/csv"));
    assert!(body.starts_with("serial,ticket_id,type,title,org,applicant,state,created_at,event_at,event,actor,level,comment,diff"));
    assert!(body.contains(&serial), "{body}");
    assert!(
        body.contains("\"'=cmd|calc, \"\"quoted\"\"\""),
        "quoted and defused: {body}"
    );
    // bob administers Default only: Research's ticket is not his to export.
    let (s, _, body) = get_text(bob.clone(), range.clone()).await;
    assert_eq!(s, 200);
    assert!(!body.contains(&serial));
    let (s, _, _) = get_text(bob.clone(), format!("{range}&org={research}")).await;
    assert_eq!(s, 404);
    let (s, _, _) = get_text(alice.clone(), range.clone()).await;
    assert_eq!(s, 403, "plain members do not export");
    let (s, _, body) = get_text(
        admin.clone(),
        "/api/v1/audit/tickets.csv?from=yesterday".into(),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("\"from\""));
    let (s, _, _) = get_text(
        admin.clone(),
        format!(
            "/api/v1/audit/tickets.csv?from={today}&to={}",
            today - chrono::Duration::days(2)
        ),
    )
    .await;
    assert_eq!(s, 422);
}
