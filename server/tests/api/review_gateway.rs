//! Review findings on the gateway API: service tokens bound to the orgs they serve (18), shell
//! forms of a command reaching the command filter (15), costly regexes refused (7).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::acls::{ask, org};
use crate::helpers::TestApp;

/// A service token made by admin, serving `orgs`.
pub async fn service_token_for(app: &TestApp, name: &str, orgs: &[Uuid]) -> String {
    let admin = app.signed_in("admin").await;
    let (s, t) = app
        .post(
            &admin,
            "/api/v1/service-tokens",
            json!({"name": name, "org_ids": orgs}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let token = t["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("tgs_"));
    token
}

/// A service token made by admin, serving every org there is.
pub async fn service_token(app: &TestApp) -> String {
    let orgs: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM orgs")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    service_token_for(app, "bastion-1", &orgs).await
}

/// A command-filter rule made by admin; its id.
async fn command_rule(app: &TestApp, body: Value) -> String {
    let admin = app.signed_in("admin").await;
    let (s, r) = app.post(&admin, "/api/v1/acls/command-filter", body).await;
    assert_eq!(s, 201, "{r}");
    r["id"].as_str().unwrap().to_string()
}

/// An asset made by admin through the API; its id.
async fn new_asset(app: &TestApp, org_id: Uuid, name: &str, address: &str) -> String {
    let admin = app.signed_in("admin").await;
    let (s, a) = app
        .post(
            &admin,
            "/api/v1/assets",
            json!({"org_id": org_id, "name": name, "address": address, "platform": "linux"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    a["id"].as_str().unwrap().to_string()
}

/// Finding 18: Default and Research each have an asset `db-01`. Default refuses `rm`,
/// Research has no rule, so the decision tells which org's asset was meant.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_token_resolves_asset_names_only_within_its_orgs(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (default, research) = (org(&pool, "Default").await, org(&pool, "Research").await);
    let no_rm = command_rule(
        &app,
        json!({"name": "no rm", "org_id": default,
               "command_groups": [{"patterns": ["rm"], "kind": "command"}], "action": "reject"}),
    )
    .await;
    let a_db = new_asset(&app, default, "db-01", "10.0.9.1").await;
    let token_a = service_token_for(&app, "bastion-default", &[default]).await;
    let token_b = service_token_for(&app, "bastion-research", &[research]).await;
    let token_ab = service_token_for(&app, "bastion-both", &[default, research]).await;
    let cmd = |org: Option<&str>, asset: &str| {
        let mut q =
            json!({"user": "dave", "asset": asset, "account": "deploy", "command": "rm -rf /srv"});
        if let Some(o) = org {
            q["org"] = json!(o);
        }
        q
    };
    let (s, d) = ask(
        &app,
        &token_a,
        "/api/v1/gateway/command",
        cmd(None, "db-01"),
    )
    .await;
    assert_eq!((s, d["decision"].as_str()), (200, Some("reject")), "{d}");

    // Research makes an asset of the same name: A's gateway still gets A's asset.
    new_asset(&app, research, "db-01", "10.1.9.1").await;
    let (s, d) = ask(
        &app,
        &token_a,
        "/api/v1/gateway/command",
        cmd(None, "db-01"),
    )
    .await;
    assert_eq!((s, d["decision"].as_str()), (200, Some("reject")), "{d}");
    assert_eq!(d["acl_id"].as_str(), Some(no_rm.as_str()), "{d}");
    let (s, d) = ask(
        &app,
        &token_a,
        "/api/v1/gateway/login-asset",
        json!({"user": "dave", "asset": "db-01", "account": "deploy"}),
    )
    .await;
    assert_eq!((s, d["decision"].as_str()), (200, Some("accept")), "{d}");

    // B's gateway gets B's asset (no rule there) and cannot reach A's in any spelling.
    let (s, d) = ask(
        &app,
        &token_b,
        "/api/v1/gateway/command",
        cmd(None, "db-01"),
    )
    .await;
    assert_eq!((s, d["decision"].as_str()), (200, Some("accept")), "{d}");
    assert!(d["acl_id"].is_null(), "{d}");
    for (q, field) in [
        (cmd(None, &a_db), "asset"),
        (cmd(Some("Default"), "db-01"), "org"),
        (cmd(Some(&default.to_string()), "db-01"), "org"),
        (cmd(Some("Default"), &a_db), "org"),
        (cmd(Some("Research"), &a_db), "asset"),
        (cmd(None, "web-01"), "asset"),
    ] {
        for path in ["/api/v1/gateway/command", "/api/v1/gateway/login-asset"] {
            let (s, e) = ask(&app, &token_b, path, q.clone()).await;
            assert_eq!(
                (s, e["error"]["field"].as_str()),
                (422, Some(field)),
                "{path} {q} → {e}"
            );
        }
    }
    // An org it does not serve reads exactly like one that does not exist.
    let (_, served_elsewhere) = ask(
        &app,
        &token_b,
        "/api/v1/gateway/command",
        cmd(Some("Default"), "db-01"),
    )
    .await;
    assert_eq!(
        served_elsewhere["error"]["message"],
        "there is no org \"Default\""
    );
    assert!(served_elsewhere["error"].get("details").is_none());

    // A gateway serving both must name the org: a clear error listing the two.
    let (s, e) = ask(
        &app,
        &token_ab,
        "/api/v1/gateway/command",
        cmd(None, "db-01"),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str(), e["error"]["field"].as_str()),
        (422, Some("ambiguous_asset"), Some("org")),
        "{e}"
    );
    assert_eq!(
        e["error"]["details"]["orgs"],
        json!(["Default", "Research"])
    );
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("name the org"));
    let (s, d) = ask(
        &app,
        &token_ab,
        "/api/v1/gateway/command",
        cmd(Some("Default"), "db-01"),
    )
    .await;
    assert_eq!((s, d["decision"].as_str()), (200, Some("reject")), "{d}");
    let (s, d) = ask(
        &app,
        &token_ab,
        "/api/v1/gateway/command",
        cmd(Some("research"), "db-01"),
    )
    .await;
    assert_eq!((s, d["decision"].as_str()), (200, Some("accept")), "{d}");
    // By id, no org needed.
    let (s, d) = ask(&app, &token_ab, "/api/v1/gateway/command", cmd(None, &a_db)).await;
    assert_eq!((s, d["decision"].as_str()), (200, Some("reject")), "{d}");

    // The list shows what each token serves.
    let admin = app.signed_in("admin").await;
    let (_, list) = app.get(&admin, "/api/v1/service-tokens").await;
    let orgs_of = |name: &str| -> Vec<String> {
        let t = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {list}"));
        t["orgs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(orgs_of("bastion-default"), ["Default"]);
    assert_eq!(orgs_of("bastion-both"), ["Default", "Research"]);
}

/// Finding 18: a token must name the orgs it serves, each an existing org; nothing is made
/// otherwise, and only super admins make tokens.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_service_token_needs_the_orgs_it_serves(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let default = org(&pool, "Default").await;
    for (body, field) in [
        (json!({"name": "bastion"}), "org_ids"),
        (json!({"name": "bastion", "org_ids": []}), "org_ids"),
        (
            json!({"name": "bastion", "org_ids": [default, Uuid::new_v4()]}),
            "org_ids[1]",
        ),
    ] {
        let (s, e) = app
            .post(&admin, "/api/v1/service-tokens", body.clone())
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some(field)),
            "{body} → {e}"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM service_tokens").await, 0);
    // bob administers Default, but service tokens are for super admins only.
    let bob = app.signed_in("bob").await;
    let (s, _) = app
        .post(
            &bob,
            "/api/v1/service-tokens",
            json!({"name": "bastion", "org_ids": [default]}),
        )
        .await;
    assert_eq!(s, 403);
    // Twice the same org is once.
    let (s, t) = app
        .post(
            &admin,
            "/api/v1/service-tokens",
            json!({"name": "bastion", "org_ids": [default, default]}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["orgs"], json!([{"id": default, "name": "Default"}]));
}

/// Finding 18, the migration: a token made before it keeps serving every org that existed
/// then (so a deployed gateway keeps working), and no org made afterwards.
#[sqlx::test(migrations = false)]
async fn the_migration_binds_existing_tokens_to_every_org(pool: PgPool) {
    let (before, after): (Vec<_>, Vec<_>) = tollgate_server::MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .partition(|m| m.version < 16);
    assert!(after.iter().any(|m| m.version == 16));
    for m in before {
        sqlx::raw_sql(m.sql.clone()).execute(&pool).await.unwrap();
    }
    let (a, b, t) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    for (id, name) in [(a, "A"), (b, "B")] {
        sqlx::query("INSERT INTO orgs (id, name) VALUES ($1, $2)")
            .bind(id)
            .bind(name)
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO service_tokens (id, name, token_hash) VALUES ($1, 'old', '\\x00')")
        .bind(t)
        .execute(&pool)
        .await
        .unwrap();
    for m in after {
        sqlx::raw_sql(m.sql.clone()).execute(&pool).await.unwrap();
    }
    let mut served: Vec<Uuid> =
        sqlx::query_scalar("SELECT org_id FROM service_token_orgs WHERE service_token_id = $1")
            .bind(t)
            .fetch_all(&pool)
            .await
            .unwrap();
    served.sort();
    let mut both = vec![a, b];
    both.sort();
    assert_eq!(served, both);
}

/// Finding 15: disguised forms of `rm` reach the command filter through the gateway.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn shell_forms_of_a_refused_command_are_refused_by_the_gateway(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let default = org(&pool, "Default").await;
    let no_rm = command_rule(
        &app,
        json!({"name": "no rm", "org_id": default,
               "command_groups": [{"patterns": ["rm"], "kind": "command"}], "action": "reject"}),
    )
    .await;
    let token = service_token_for(&app, "bastion", &[default]).await;
    let decide = |command: &str| {
        let (app, token) = (&app, &token);
        let q =
            json!({"user": "alice", "asset": "web-01", "account": "deploy", "command": command});
        async move {
            let (s, d) = ask(app, token, "/api/v1/gateway/command", q).await;
            assert_eq!(s, 200, "{d}");
            d
        }
    };
    for command in [
        r"\rm x",
        "env rm x",
        "command rm x",
        "exec rm x",
        "time rm x",
        "{ rm x; }",
        "if true; then rm x; fi",
        "! rm x",
        "x=1 rm y",
        "bash -c 'rm x'",
    ] {
        let d = decide(command).await;
        assert_eq!(
            (d["decision"].as_str(), d["acl_id"].as_str()),
            (Some("reject"), Some(no_rm.as_str())),
            "{command}: {d}"
        );
    }
    let d = decide("ls -la").await;
    assert_eq!(d["decision"], "accept", "{d}");
}

/// Finding 7: a command filter whose regexes would compile to tens of MB is refused at once,
/// on the entry, and nothing is stored; ordinary regexes still decide through the gateway.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn costly_command_regexes_are_refused_and_ordinary_ones_work(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let default = org(&pool, "Default").await;
    let costly = json!({"name": "costly", "org_id": default,
        "command_groups": [{"patterns": vec![r"\w{20}"; 40], "kind": "regex"}], "action": "reject"});
    let started = Instant::now();
    let (s, e) = app
        .post(&admin, "/api/v1/acls/command-filter", costly)
        .await;
    let took = started.elapsed();
    assert_eq!(s, 422, "{e}");
    let field = e["error"]["field"].as_str().unwrap_or_default();
    assert!(
        field.starts_with("command_groups[0].patterns["),
        "{field}: {e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{e}"
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(app.count("SELECT count(*) FROM acls").await, 0);

    // Ordinary regexes: stored, and they decide.
    let rule = command_rule(
        &app,
        json!({"name": "no wipes", "org_id": default, "command_groups": [{
                   "patterns": [r"rm\s+-rf\s+/", r"drop\s+(table|database)", r"^mkfs(\.\w+)?\b"],
                   "kind": "regex", "ignore_case": true}],
               "action": "reject"}),
    )
    .await;
    let token = service_token_for(&app, "bastion", &[default]).await;
    for (command, decision) in [
        ("rm  -rf /var", "reject"),
        ("psql -c 'DROP TABLE users'", "reject"),
        ("mkfs.ext4 /dev/sdb", "reject"),
        ("rm -r ./build", "accept"),
        ("ls -la", "accept"),
    ] {
        let (s, d) = ask(
            &app,
            &token,
            "/api/v1/gateway/command",
            json!({"user": "alice", "asset": "web-01", "account": "deploy", "command": command}),
        )
        .await;
        assert_eq!(
            (s, d["decision"].as_str()),
            (200, Some(decision)),
            "{command}: {d}"
        );
        if decision == "reject" {
            assert_eq!(d["acl_id"].as_str(), Some(rule.as_str()), "{d}");
        }
    }
}

/// Finding 18: `grants/check` with a service token answers only for the orgs it serves.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_token_checks_grants_only_in_its_orgs(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (default, research) = (org(&pool, "Default").await, org(&pool, "Research").await);
    let web1 = app.asset_id("web-01").await;
    let alice = app.user_id("alice").await;
    let check = |token: String| {
        let url = format!(
            "{}/api/v1/grants/check?user={alice}&asset={web1}&account=root&action=connect",
            app.url
        );
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let serves_default = service_token_for(&app, "in-default", &[default]).await;
    let serves_research = service_token_for(&app, "in-research", &[research]).await;
    assert_eq!(check(serves_default).await, 200);
    assert_eq!(check(serves_research).await, 404, "web-01 is Default's");
}
