//! Request templates: saved by an org's admins, read by its members, checked as a request is.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_org_admin_saves_templates_its_members_read_and_bad_ones_name_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let (alice, bob, carol) = (
        app.signed_in("alice").await,
        app.signed_in("bob").await,
        app.signed_in("carol").await,
    );
    let default = app.org_id("Default").await;
    let web1 = app.asset_id("web-01").await;
    let path = format!("/api/v1/orgs/{default}/templates");
    let good = json!({"name": "Web, read only", "assets": [web1], "accounts": ["root"],
                      "actions": ["connect"], "period_days": 3, "reason_hint": "Which incident?"});

    // Bob administers Default: he saves one. Alice (a member) may not; carol (Research) sees nothing.
    let (s, t) = app.post(&bob, &path, good.clone()).await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["assets"][0]["name"], "web-01");
    assert_eq!(app.post(&alice, &path, good.clone()).await.0, 403);
    assert_eq!(app.get(&carol, &path).await.0, 404);
    let (s, list) = app.get(&alice, &path).await;
    assert_eq!(s, 200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        (list[0]["name"].as_str(), list[0]["period_days"].as_u64()),
        (Some("Web, read only"), Some(3))
    );

    // Refusals name the field and save nothing.
    let bad = |patch: Value| {
        let mut b = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let research_asset = app.asset_id("gpu-01").await;
    for (patch, field) in [
        (json!({"name": "web, READ only"}), "name"),
        (json!({"name": "  "}), "name"),
        (json!({"name": "x", "period_days": 0}), "period_days"),
        (json!({"name": "x", "actions": ["fly"]}), "actions"),
        (json!({"name": "x", "assets": [research_asset]}), "assets"),
        (
            json!({"name": "x", "accounts": ["nobody-has-this"]}),
            "accounts",
        ),
        (
            json!({"name": "x", "reason_hint": "h".repeat(501)}),
            "reason_hint",
        ),
    ] {
        let (s, e) = app.post(&bob, &path, bad(patch.clone())).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some(field)),
            "{patch}: {e}"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM request_templates").await, 1);

    // Removing: not by alice; by bob; then it is gone.
    let id = t["id"].as_str().unwrap();
    assert_eq!(
        app.delete_json(&alice, &format!("{path}/{id}")).await.0,
        403
    );
    assert_eq!(app.delete_json(&bob, &format!("{path}/{id}")).await.0, 204);
    assert_eq!(app.delete_json(&bob, &format!("{path}/{id}")).await.0, 404);
    assert_eq!(app.get(&alice, &path).await.1, json!([]));
}
