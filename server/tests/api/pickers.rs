//! What the request form's pickers offer: orgs, the node tree, assets, accounts, people — and
//! that other orgs' estates stay hidden.

use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::TestApp;

fn names(list: &Value, key: &str) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|i| i[key].as_str().unwrap().to_string())
        .collect()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn pickers_offer_the_callers_orgs_and_their_estate(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let admin = app.signed_in("admin").await;
    let default = app.org_id("Default").await;
    let research = app.org_id("Research").await;

    let (s, orgs) = app.get(&alice, "/api/v1/orgs").await;
    assert_eq!(s, 200);
    assert_eq!(names(&orgs, "name"), ["Default"]);
    let (_, orgs) = app.get(&admin, "/api/v1/orgs").await;
    assert_eq!(names(&orgs, "name"), ["Default", "Research"]);

    let (s, nodes) = app
        .get(&alice, &format!("/api/v1/nodes?org={default}"))
        .await;
    assert_eq!(s, 200, "{nodes}");
    assert_eq!(
        names(&nodes, "path"),
        [
            "/Default",
            "/Default/prod",
            "/Default/prod/db",
            "/Default/prod/web",
            "/Default/staging"
        ]
    );
    let count = |path: &str| {
        nodes["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["path"] == path)
            .unwrap()["asset_count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        (
            count("/Default"),
            count("/Default/prod"),
            count("/Default/staging")
        ),
        (5, 4, 1)
    );

    let (_, assets) = app
        .get(&alice, &format!("/api/v1/assets?org={default}&q=WEB"))
        .await;
    assert_eq!(names(&assets, "name"), ["web-01", "web-02"]);
    let (_, assets) = app
        .get(&alice, &format!("/api/v1/assets?org={default}&q=10.0.2."))
        .await;
    assert_eq!(
        names(&assets, "name"),
        ["db-mysql-01", "db-pg-01"],
        "by address"
    );
    let prod = app.node_id("prod").await;
    let (_, assets) = app
        .get(&alice, &format!("/api/v1/assets?org={default}&node={prod}"))
        .await;
    assert_eq!(
        names(&assets, "name"),
        ["db-mysql-01", "db-pg-01", "web-01", "web-02"],
        "under prod, at any depth"
    );
    let (_, assets) = app
        .get(&alice, &format!("/api/v1/assets?org={default}&q=_"))
        .await;
    assert_eq!(names(&assets, "name").len(), 0, "_ is not a wildcard");

    let web1 = app.asset_id("web-01").await;
    let pg = app.asset_id("db-pg-01").await;
    let (s, acc) = app
        .get(&alice, &format!("/api/v1/accounts?assets={web1},{pg}"))
        .await;
    assert_eq!(s, 200, "{acc}");
    let mut got = names(&acc, "name");
    got.sort();
    assert_eq!(got, ["deploy", "postgres", "readonly", "readonly", "root"]);

    let (s, people) = app.get(&alice, "/api/v1/users?q=ali").await;
    assert_eq!(s, 200);
    assert_eq!(names(&people, "username"), ["alice"]);
    assert!(
        people["items"][0].get("email").is_none(),
        "only names: {people}"
    );

    // Research is not alice's.
    let gpu1 = app.asset_id("gpu-01").await;
    for path in [
        format!("/api/v1/nodes?org={research}"),
        format!("/api/v1/assets?org={research}"),
        format!("/api/v1/accounts?assets={gpu1}"),
        format!("/api/v1/accounts?assets={web1},{gpu1}"),
    ] {
        let (s, e) = app.get(&alice, &path).await;
        assert_eq!(s, 404, "{path}: {e}");
    }
    let (s, _) = app
        .get(&admin, &format!("/api/v1/assets?org={research}"))
        .await;
    assert_eq!(s, 200);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_approver_from_another_org_browses_it_only_while_asked(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let default = app.org_id("Default").await;
    let path = format!("/api/v1/assets?org={default}");

    let (s, _) = app.get(&carol, &path).await;
    assert_eq!(s, 404, "carol is not in Default");
    let t = app
        .open_default(&alice, &[app.asset_id("web-01").await])
        .await;
    let (s, _) = app
        .act(&bob, &t["id"], "approve", serde_json::json!({}))
        .await;
    assert_eq!(s, 200);
    let (s, assets) = app.get(&carol, &path).await;
    assert_eq!(s, 200, "{assets}");
    assert_eq!(names(&assets, "name").len(), 5);
    let (s, _) = app
        .act(&carol, &t["id"], "reject", serde_json::json!({}))
        .await;
    assert_eq!(s, 200);
    let (s, _) = app.get(&carol, &path).await;
    assert_eq!(s, 404, "no longer asked");
}
