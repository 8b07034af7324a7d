//! Every answer the API tests receive through [`crate::helpers::TestApp`]'s request methods is
//! checked against `/api/openapi.json`: its status must be documented for the operation, and a
//! JSON body must match the documented schema. Schemathesis mostly sees refusals (random data
//! rarely opens a ticket); the API tests walk real lifecycles, every ticket type and state, so
//! this is where a client generated from the document would meet the real answers.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{json, Value};

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(&tollgate_server::http::api::openapi::DOCUMENT).expect("the document")
});

static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
    LazyLock::new(Default::default);

/// The document's path template for a concrete path (`/api/v1/tickets/{id}` for
/// `/api/v1/tickets/3f…`): the one with the most literal segments matching.
fn template(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &String)> = None;
    for t in DOCUMENT["paths"].as_object()?.keys() {
        let ts: Vec<&str> = t.split('/').collect();
        if ts.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let fits = ts.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') && t.ends_with('}') {
                !s.is_empty()
            } else if t == s {
                literal += 1;
                true
            } else {
                false
            }
        });
        if fits && best.is_none_or(|(n, _)| literal > n) {
            best = Some((literal, t));
        }
    }
    best.map(|(_, t)| t.clone())
}

fn validator(key: &str, schema: &Value) -> Arc<jsonschema::Validator> {
    let mut cache = VALIDATORS.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(key.to_string())
        .or_insert_with(|| {
            // The response's schema with the document's components beside it, so its
            // `#/components/schemas/…` references resolve.
            let root = json!({
                "allOf": [schema],
                "components": DOCUMENT["components"],
            });
            Arc::new(
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("the schema of {key} compiles: {e}")),
            )
        })
        .clone()
}

/// Panics when an answer of `method path` is not what the document says. Paths outside
/// `/api/v1`, paths and methods the document does not have (tests that probe for 404 and 405)
/// are not checked here.
pub fn check(method: &str, path: &str, status: u16, content_type: &str, body: &Value) {
    let path = path.split('?').next().unwrap_or_default();
    if !path.starts_with("/api/v1/") {
        return;
    }
    let Some(t) = template(path) else {
        return;
    };
    let method = method.to_ascii_lowercase();
    let Some(op) = DOCUMENT["paths"][&t].get(&method) else {
        return;
    };
    let responses = &op["responses"];
    let Some(response) = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
    else {
        panic!(
            "{} {t} answered {status}, which the document does not list (it lists {:?}); body: {body}",
            method.to_uppercase(),
            responses
                .as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>())
        );
    };
    let Some(schema) = response["content"]["application/json"].get("schema") else {
        return;
    };
    if !content_type.starts_with("application/json") {
        panic!(
            "{} {t} answered {status} with {content_type:?}; the document says JSON",
            method.to_uppercase()
        );
    }
    let key = format!("{method} {t} {status}");
    let v = validator(&key, schema);
    let errors: Vec<String> = v
        .iter_errors(body)
        .take(5)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} {t} answered {status} with a body the document does not allow: {errors:?}\nbody: {body}",
        method.to_uppercase()
    );
}
