//! The OpenAPI document: public, OpenAPI 3, and complete (every route of `api/mod.rs`).

use std::collections::BTreeSet;

use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::TestApp;

/// `(method, path)` of every route that `server/src/api/mod.rs` declares, read from its source,
/// so that a route added without `#[utoipa::path]` fails here.
fn declared_routes() -> BTreeSet<(String, String)> {
    let src = include_str!("../../src/http/api/mod.rs");
    let mut out = BTreeSet::new();
    for chunk in src.split(".route(").skip(1) {
        // The call's text: up to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let end = chunk
            .char_indices()
            .find_map(|(i, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(i)
            })
            .expect("a closed .route(");
        let call = &chunk[..end];
        let path = call.split('"').nth(1).expect("a path literal");
        let mut any = false;
        for method in ["get", "post", "put", "patch", "delete"] {
            let calls = call.match_indices(&format!("{method}(")).any(|(i, _)| {
                !call[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':')
            });
            if calls {
                out.insert((method.to_string(), format!("/api/v1{path}")));
                any = true;
            }
        }
        assert!(any, "no method found for {path}");
    }
    out
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_document_is_public_and_describes_every_route(pool: PgPool) {
    let app = TestApp::spawn(pool, false).await;
    let r = app
        .client()
        .get(format!("{}/api/openapi.json", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "no sign-in needed");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: Value = r.json().await.unwrap();

    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());

    let routes = declared_routes();
    assert!(routes.len() >= 20, "{routes:?}");
    for (method, path) in &routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{} {path} is not in the OpenAPI document",
            method.to_uppercase()
        );
    }
    assert!(doc["paths"]["/api/v1/tokens"]["post"].is_object());

    // Each operation: a unique id, a success answer, and every `$ref` resolves.
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(ids.insert(id.to_string()), "operationId {id:?} twice");
            let codes: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            assert!(
                codes.iter().any(|c| c.starts_with('2')),
                "{method} {path}: {codes:?}"
            );
            // A path parameter is a placeholder of the path; the rest are in the query (three
            // query structs were documented as path parameters, so no client could send them).
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or_default();
                let placeholder = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    p["in"] == "path",
                    placeholder,
                    "{method} {path}: parameter {name} is documented in {}",
                    p["in"]
                );
            }
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"").skip(1) {
        let target = &r[..r.find('"').unwrap()];
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {target}"));
        assert!(schemas.contains_key(name), "$ref to missing schema {name}");
    }

    // The central shapes (SPEC §8).
    let ticket = &schemas["TicketDto"];
    let props = ticket["properties"].as_object().unwrap();
    for field in [
        "id",
        "serial",
        "type",
        "state",
        "steps",
        "request",
        "allowed_actions",
        "created_at",
    ] {
        assert!(props.contains_key(field), "TicketDto lacks {field}");
    }
    assert!(ticket["required"]
        .as_array()
        .unwrap()
        .contains(&Value::from("allowed_actions")));
    assert_eq!(props["id"]["format"], "uuid");
    assert_eq!(props["created_at"]["format"], "date-time");
    // The request is shown as its form (lists of names), not the Rust types behind it.
    let form = &schemas["ApplyAssetForm"]["properties"];
    assert_eq!(form["actions"]["items"]["type"], "string");
    assert_eq!(form["accounts"]["items"]["type"], "string");
    let states: Vec<&str> = schemas["TicketState"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(states.contains(&"pending") && states.contains(&"approved"));

    // Errors and security.
    assert!(schemas["ApiErrorBody"]["properties"]["error"].is_object());
    let me = &doc["paths"]["/api/v1/me"]["get"];
    assert!(me["responses"]["401"].is_object());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["cookie"]["in"], "cookie");
    assert_eq!(
        doc["paths"]["/api/v1/auth/login"]["post"]["security"],
        serde_json::json!([{}])
    );
}
