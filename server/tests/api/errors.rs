//! Errors by meaning: a duplicate name is a 409 that says what exists (whichever statement
//! broke which unique constraint), a missing org a 422 on its field, and a database that goes
//! away in the middle of a request a 503 — never a "no such org" or "not found".
//!
//! Losing the database is made precise here: stopping the whole Postgres (as faults.rs does)
//! fails the sign-in and the first query of every request, before the statements under test
//! run, so old and new code would both answer 503. Instead the one connection running the
//! statement under test is terminated (`pg_terminate_backend`) while that statement runs;
//! its error is exactly what a Postgres going away under a running query gives (57P01).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::TestApp;

fn error(v: &Value) -> (&str, &str, &str) {
    let e = &v["error"];
    (
        e["code"].as_str().unwrap_or(""),
        e["field"].as_str().unwrap_or(""),
        e["message"].as_str().unwrap_or(""),
    )
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn duplicate_names_keep_their_409_and_a_missing_org_its_422(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let default = app.org_id("Default").await;

    // Orgs: created or renamed onto a name in use, in any case.
    let (s, e) = app
        .post(&admin, "/api/v1/orgs", json!({"name": "default"}))
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(
        error(&e),
        ("already_exists", "name", "Org \"default\" already exists.")
    );
    let (s, e) = app
        .patch(
            &admin,
            &format!("/api/v1/orgs/{default}"),
            json!({"name": "RESEARCH"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(
        error(&e),
        ("already_exists", "name", "Org \"RESEARCH\" already exists.")
    );

    // Users: the username is taken, whatever its case.
    let (s, e) = app
        .post(
            &admin,
            "/api/v1/users",
            json!({"username": "ALICE", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(
        error(&e),
        (
            "already_exists",
            "username",
            "User \"ALICE\" already exists."
        )
    );

    // The estate: a sibling node, an asset of the org, an account of the asset.
    let (s, e) = app
        .post(
            &admin,
            "/api/v1/nodes",
            json!({"org_id": default, "name": "PROD"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(
        error(&e),
        (
            "already_exists",
            "name",
            "A node named \"PROD\" already exists."
        )
    );
    let (s, e) = app
        .post(
            &admin,
            "/api/v1/assets",
            json!({"org_id": default, "name": "Web-01", "address": "10.9.9.9", "platform": "linux"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(
        error(&e),
        ("already_exists", "name", "Asset \"Web-01\" already exists.")
    );
    let web1 = app.asset_id("web-01").await;
    let (s, e) = app
        .post(
            &admin,
            "/api/v1/accounts",
            json!({"asset_id": web1, "name": "ROOT"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(
        error(&e),
        ("already_exists", "name", "Account \"ROOT\" already exists.")
    );

    // A new user in an org that does not exist: the org's field, not a conflict.
    let (s, e) = app
        .post(
            &admin,
            "/api/v1/users",
            json!({"username": "nobody", "password": "long enough pw",
                   "orgs": [{"org_id": default, "role": "org_user"},
                            {"org_id": uuid::Uuid::new_v4(), "role": "org_user"}]}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(error(&e), ("invalid", "orgs[1].org_id", "No such org."));
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username = 'nobody'")
            .await,
        0,
        "nothing was written"
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_database_lost_during_the_membership_insert_is_a_503(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let default = app.org_id("Default").await;
    // The connection that writes a membership dies while it does.
    sqlx::raw_sql(
        "CREATE FUNCTION die() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); RETURN NEW; END $$;
         CREATE TRIGGER die BEFORE INSERT ON memberships FOR EACH ROW EXECUTE FUNCTION die();",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (s, e) = app
        .post(
            &admin,
            "/api/v1/users",
            json!({"username": "erin", "password": "long enough pw",
                   "orgs": [{"org_id": default, "role": "org_user"}]}),
        )
        .await;
    assert_eq!(s, 503, "not a \"No such org\": {e}");
    assert_eq!(error(&e).0, "unavailable", "{e}");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username = 'erin'")
            .await,
        0,
        "nothing was written"
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_database_lost_during_the_estate_browse_check_is_a_503(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    // Carol is not a member of Default: whether she may look at its nodes is asked of the
    // database (is she deciding one of its pending tickets?).
    let carol = app.signed_in("carol").await;
    let prod = app.node_id("prod").await;
    let (s, _) = app.get(&carol, &format!("/api/v1/nodes/{prod}")).await;
    assert_eq!(s, 404, "she may not see it");

    // Hold that question until its connection is terminated.
    let mut lock = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE ticket_assignees IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let ask = {
        let (app_url, carol) = (app.url.clone(), carol.clone());
        tokio::spawn(async move {
            let r = carol
                .get(format!("{app_url}/api/v1/nodes/{prod}"))
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        })
    };
    let started = Instant::now();
    loop {
        let waiting: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_locks WHERE NOT granted AND relation = 'ticket_assignees'::regclass",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        if let [pid] = waiting[..] {
            let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
                .bind(pid)
                .fetch_one(&pool)
                .await
                .unwrap();
            assert!(ended);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the browse check never waited on the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (s, e) = ask.await.unwrap();
    lock.rollback().await.unwrap();
    assert_eq!(s, 503, "not a \"Node not found\": {e}");
    assert_eq!(error(&e).0, "unavailable", "{e}");
}
