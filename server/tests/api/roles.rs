//! The server's database role: it owns nothing and holds only the grants it needs, so the
//! ticket history is append-only for it (every other API test runs the server as this role).

use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{app_role_pool, TestApp};

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_application_role_cannot_rewrite_or_unprotect_the_history(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    // Some history: bob opens a ticket and comments on it.
    let bob = app.signed_in("bob").await;
    let t = app
        .open_default(&bob, &[app.asset_id("web-01").await])
        .await;
    let id = t["id"].as_str().unwrap().to_string();
    let (s, r) = app
        .post(
            &bob,
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"body": "for the migration"}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    let before = app.count("SELECT count(*) FROM ticket_events").await;

    let as_app = app_role_pool(&pool).await;
    for sql in [
        "UPDATE ticket_events SET comment = 'rewritten'",
        "DELETE FROM ticket_events",
        "TRUNCATE ticket_events",
        "UPDATE ticket_comments SET body = 'rewritten'",
        "DELETE FROM ticket_comments",
        "TRUNCATE ticket_comments",
        "UPDATE security_events SET actor_id = NULL",
        "DELETE FROM security_events",
        "TRUNCATE security_events",
        "ALTER TABLE ticket_events DISABLE TRIGGER ticket_events_append_only",
        "ALTER TABLE ticket_comments DISABLE TRIGGER ALL",
        "DROP TRIGGER ticket_events_append_only ON ticket_events",
        "ALTER TABLE ticket_events ADD COLUMN note text",
        "DROP TABLE ticket_comments",
        "DELETE FROM _sqlx_migrations",
    ] {
        let e = sqlx::raw_sql(sql)
            .execute(&as_app)
            .await
            .expect_err(&format!("the application role may not: {sql}"));
        let code = e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.to_string());
        // 42501 insufficient_privilege: missing grant, or not the owner.
        assert_eq!(code.as_deref(), Some("42501"), "{sql}: {e}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM ticket_events").await,
        before
    );
    let (s, c) = app
        .get(&bob, &format!("/api/v1/tickets/{id}/comments"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(c[0]["body"], "for the migration", "{c}");
}
