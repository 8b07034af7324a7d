//! Client input that used to cost the server dearly or answer 500 (security review, findings
//! 6, 13 and 14): an import that amplifies memory, malformed and oversized server-function
//! calls, and ticket requests with tens of thousands of ids.

use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{TestApp, PASSWORD};

const HEADER: &str = "path,asset,address,platform,account,username\n";

/// Nodes, assets, accounts and asset placements: what an import may write.
async fn estate(pool: &PgPool) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM assets), \
         (SELECT count(*) FROM accounts), (SELECT count(*) FROM asset_nodes)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// POST `body` with `content_type`; the status, the raw size of the answer and its JSON.
async fn send(
    app: &TestApp,
    c: &Client,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, usize, Value) {
    let r = c
        .post(format!("{}{}", app.url, path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    let bytes = r.bytes().await.expect("body");
    (
        status,
        bytes.len(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn field(v: &Value) -> &str {
    v["error"]["field"].as_str().unwrap_or("")
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_deep_import_path_is_refused_quickly_with_a_small_answer_and_writes_nothing(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let bob = app.signed_in("bob").await;
    let url = format!("/api/v1/import?org={}", app.org_id("Default").await);
    let before = estate(&pool).await;

    // 16 KB: a good first row, then a path of 8,000 levels (each would be a new node, and
    // the answer used to list every path: 64 MB).
    let deep = format!(
        "{HEADER}/Default/ok,imp-ok,10.7.0.1,linux,root,\n/Default/{},,,,,\n",
        "a/".repeat(8000)
    );
    assert!(deep.len() < 17_000);
    let t = Instant::now();
    let (s, size, e) = send(&app, &bob, &url, "text/csv", deep).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["code"], "import_refused");
    assert_eq!(field(&e), "rows[2].path", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 32"),
        "{e}"
    );
    assert_eq!(e["error"]["details"]["refused_rows"], 1, "{e}");
    assert!(size < 4096, "a small answer, got {size} bytes");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(estate(&pool).await, before, "nothing written");

    // The same as JSON, and at exactly 33 levels; a segment over 128 characters.
    let rows = json!({"rows": [{"path": format!("/Default/{}", "b/".repeat(33))}]});
    let (s, e) = app.post(&bob, &url, rows).await;
    assert_eq!((s, field(&e)), (422, "rows[1].path"), "{e}");
    let long = format!("{HEADER}/Default/{},,,,,\n", "c".repeat(129));
    let (s, _, e) = send(&app, &bob, &url, "text/csv", long).await;
    assert_eq!((s, field(&e)), (422, "rows[1].path"), "{e}");
    assert_eq!(estate(&pool).await, before, "nothing written");

    // A refusal that quotes the value (1 MB of control characters, each quoted as `\u{1}`)
    // quotes only its start.
    let odd = format!("{HEADER}/Default/x,,,\"{}\",,\n", "\u{1}".repeat(1_000_000));
    let (s, size, e) = send(&app, &bob, &url, "text/csv", odd).await;
    assert_eq!((s, field(&e)), (422, "rows[1].platform"), "{e}");
    assert!(size < 4096, "a small answer, got {size} bytes");

    // Many refused rows: counted, only the first 50 listed.
    let bad = format!("{HEADER}{}", "/Default/x,,,beos,,\n".repeat(500));
    let (s, size, e) = send(&app, &bob, &url, "text/csv", bad).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["details"]["refused_rows"], 500, "{e}");
    assert_eq!(
        e["error"]["details"]["refused"].as_array().unwrap().len(),
        50
    );
    assert!(size < 16_384, "{size} bytes");
    assert_eq!(estate(&pool).await, before, "nothing written");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_import_over_a_cap_is_refused_naming_it_and_writes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let bob = app.signed_in("bob").await;
    let url = format!("/api/v1/import?org={}", app.org_id("Default").await);
    let before = estate(&pool).await;

    // Rows: 10,001 lines of CSV, or 10,001 JSON rows.
    let many = format!("{HEADER}{}", "/Default/many,,,,,\n".repeat(10_001));
    let (s, _, e) = send(&app, &bob, &url, "text/csv", many).await;
    assert_eq!((s, field(&e)), (422, "rows"), "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("10000"),
        "{e}"
    );
    let rows = vec![json!({"path": "/Default/many"}); 10_001];
    let (s, e) = app.post(&bob, &url, json!({ "rows": rows })).await;
    assert_eq!((s, field(&e)), (422, "rows"), "{e}");
    let (s, e) = app.post(&bob, &url, json!(rows)).await;
    assert_eq!((s, field(&e)), (422, "rows"), "{e}");
    // A bad JSON row is still named.
    let (s, e) = app
        .post(
            &bob,
            &url,
            json!({"rows": [{"path": "/Default/a"}, {"path": 7}]}),
        )
        .await;
    assert_eq!((s, field(&e)), (422, "rows[2]"), "{e}");

    // A line of more than 64 fields.
    let wide = format!("{HEADER}/Default/w{}\n", ",".repeat(100));
    let (s, _, e) = send(&app, &bob, &url, "text/csv", wide).await;
    assert_eq!((s, field(&e)), (422, "rows[1]"), "{e}");

    // More than 5,000 new nodes: 160 paths of 32 levels.
    let nodes: String = (0..160)
        .map(|i| format!("/Default/r{i}/{}x\n", "n/".repeat(30)))
        .collect();
    let (s, _, e) = send(&app, &bob, &url, "text/csv", format!("path\n{nodes}")).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(field(&e), "rows[157].path", "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("5000"),
        "{e}"
    );

    // A body over 4 MiB: 413, as JSON.
    let huge = format!("{HEADER}{}", "/Default/big,,,,,\n".repeat(300_000));
    assert!(huge.len() > 4 << 20);
    let (s, _, e) = send(&app, &bob, &url, "text/csv", huge).await;
    assert_eq!(s, 413, "{e}");
    assert_eq!(e["error"]["code"], "too_large", "{e}");

    assert_eq!(estate(&pool).await, before, "nothing written");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_normal_import_still_works_and_counts_what_it_made(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let bob = app.signed_in("bob").await;
    let url = format!("/api/v1/import?org={}", app.org_id("Default").await);
    let before = estate(&pool).await;
    let text = format!(
        "{HEADER}/Default/imp/a,imp-a,10.8.0.1,linux,root,\n\
         /Default/imp/b,imp-b,10.8.0.2,linux,deploy,deployer\n\
         /Default/imp/b,imp-b,,,root,\n"
    );

    // A dry run reports and writes nothing.
    let (s, _, r) = send(
        &app,
        &bob,
        &format!("{url}&dry_run=true"),
        "text/csv",
        text.clone(),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["dry_run"].clone(), r["created_nodes"].clone()),
        (json!(true), json!(3))
    );
    assert_eq!(estate(&pool).await, before);

    let (s, _, r) = send(&app, &bob, &url, "text/csv", text.clone()).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["rows"], 3);
    assert_eq!(r["created_nodes"], 3);
    assert_eq!(r["created_assets"], 2);
    assert_eq!(r["created_accounts"], 3);
    assert_eq!(r["existing"], 0);
    assert_eq!(r["refused_rows"], 0);
    assert_eq!(
        r["sample"]["nodes"],
        json!(["/Default/imp", "/Default/imp/a", "/Default/imp/b"])
    );
    assert_eq!(
        r["sample"]["accounts"],
        json!(["imp-a/root", "imp-b/deploy", "imp-b/root"])
    );
    let after = estate(&pool).await;
    assert_eq!(
        after,
        (before.0 + 3, before.1 + 2, before.2 + 3, before.3 + 2)
    );

    // Again: everything is there already.
    let (s, _, r) = send(&app, &bob, &url, "text/csv", text).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["created_nodes"].clone(), r["existing"].clone()),
        (json!(0), json!(5))
    );
    assert_eq!(estate(&pool).await, after);
}

/// POST to a server function (`/sfn/{name}`): the status, the JSON answer, and whether it
/// set a cookie.
pub(crate) async fn sfn(
    app: &TestApp,
    c: &Client,
    name: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value, bool) {
    let r = c
        .post(format!("{}/sfn/{name}", app.url))
        .header("content-type", content_type)
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    let cookie = r.headers().contains_key("set-cookie");
    (status, r.json().await.unwrap_or(Value::Null), cookie)
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn malformed_and_oversized_server_function_calls_are_4xx_and_change_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let alice = app.signed_in("alice").await;
    let tickets = "SELECT count(*) FROM tickets";
    let sessions = "SELECT count(*) FROM sessions";
    let (t0, s0) = (app.count(tickets).await, app.count(sessions).await);
    const JSON: &str = "application/json";
    const FORM: &str = "application/x-www-form-urlencoded";

    // Garbage, and the wrong shape: 400 (the arguments never parsed).
    let (s, e, _) = sfn(&app, &alice, "tickets/open", JSON, "{not json").await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["status"], 400, "the AppError the pages read: {e}");
    let (s, e, _) = sfn(&app, &alice, "tickets/open", JSON, r#"{"body": 5}"#).await;
    assert_eq!(s, 400, "{e}");
    let (s, e, _) = sfn(&app, &alice, "tickets/approve", JSON, "\u{1}\u{2}").await;
    assert_eq!(s, 400, "{e}");
    let (s, e, _) = sfn(&app, &alice, "sign_in", FORM, "%%%&&==").await;
    assert!((400..500).contains(&s), "{s} {e}");

    // 5 MB: 413 before anything runs.
    let big = format!(r#"{{"body": {{"title": "{}"}}}}"#, "x".repeat(5_000_000));
    let (s, e, _) = sfn(&app, &alice, "tickets/open", JSON, big).await;
    assert_eq!(s, 413, "{e}");
    assert_eq!(e["code"], "too_large", "{e}");
    // The same without a declared length (chunked): refused as it arrives.
    let chunks =
        futures::stream::iter((0..50).map(|_| Ok::<_, std::io::Error>(vec![b' '; 100_000])));
    let (s, e, _) = sfn(
        &app,
        &alice,
        "tickets/open",
        JSON,
        reqwest::Body::wrap_stream(chunks),
    )
    .await;
    assert_eq!(s, 413, "{e}");

    // sign_in without its `next`: 400, no session, no cookie.
    let anon = app.client();
    let (s, e, cookie) = sfn(
        &app,
        &anon,
        "sign_in",
        FORM,
        format!("username=alice&password={PASSWORD}"),
    )
    .await;
    assert_eq!(s, 400, "{e}");
    assert!(!cookie, "no session cookie");

    assert_eq!(app.count(tickets).await, t0, "no ticket");
    assert_eq!(app.count(sessions).await, s0, "no session");

    // What still works: a good call, and a refusal from the body keeps its status.
    let (s, e, _) = sfn(&app, &alice, "tickets/inbox_count", JSON, "{}").await;
    assert_eq!(s, 200, "{e}");
    let (s, e, _) = sfn(
        &app,
        &anon,
        "sign_in",
        FORM,
        "username=alice&password=wrong-password&next=%2F",
    )
    .await;
    assert_eq!(s, 401, "{e}");

    // A signed-in visit to the sign-in page with a control character in `next`: sent home.
    let r = alice
        .get(format!("{}/login?next=/%01", app.url))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(r.headers()["location"], "/");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_ticket_with_tens_of_thousands_of_node_ids_is_refused_naming_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let alice = app.signed_in("alice").await;
    let org = app.org_id("Default").await;
    let web = app.asset_id("web-01").await;
    let counts = "SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM ticket_events)";
    let before = app.count(counts).await;

    for n in [52_000, 1_500] {
        let mut body = TestApp::apply_body(org, "Everything", &[web]);
        body["request"]["nodes"] = json!((0..n).map(|_| uuid::Uuid::new_v4()).collect::<Vec<_>>());
        let size = serde_json::to_vec(&body).unwrap().len();
        let t = Instant::now();
        let (s, e) = app.post(&alice, "/api/v1/tickets", body).await;
        // Under the REST API's 2 MiB body limit: the list cap answers, naming the field.
        assert!(size < 2 << 20, "{size}");
        assert_eq!(s, 422, "{n} ids: {e}");
        assert_eq!(field(&e), "nodes", "{n} ids: {e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("1000"),
            "{e}"
        );
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }
    assert_eq!(app.count(counts).await, before, "nothing written");

    // A body over the limit is a 413 in the usual JSON.
    let mut body = TestApp::apply_body(org, "Everything", &[web]);
    body["request"]["nodes"] = json!((0..60_000)
        .map(|_| uuid::Uuid::new_v4())
        .collect::<Vec<_>>());
    let (s, e) = app.post(&alice, "/api/v1/tickets", body).await;
    assert_eq!(s, 413, "{e}");
    assert_eq!(e["error"]["code"], "too_large", "{e}");
    assert_eq!(app.count(counts).await, before, "nothing written");
}
