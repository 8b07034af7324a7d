//! The ticket history is append-only at the database level: the application's own role
//! (the pool the server uses) cannot rewrite or remove it, whatever SQL it sends.

use serde_json::json;
use sqlx::PgPool;

use crate::helpers::TestApp;

type Events = Vec<(i64, String, Option<String>, chrono::DateTime<chrono::Utc>)>;

async fn events(pool: &PgPool) -> Events {
    sqlx::query_as("SELECT id, kind, comment, at FROM ticket_events ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("events")
}

async fn comments(pool: &PgPool) -> Vec<(uuid::Uuid, String)> {
    sqlx::query_as("SELECT id, body FROM ticket_comments ORDER BY created_at")
        .fetch_all(pool)
        .await
        .expect("comments")
}

/// The statement fails with the guard's message (SQLSTATE 42501), not by luck.
async fn refused(pool: &PgPool, sql: &'static str, ticket: uuid::Uuid) {
    let e = sqlx::query(sql)
        .bind(ticket)
        .execute(pool)
        .await
        .expect_err(sql);
    let db = e
        .as_database_error()
        .unwrap_or_else(|| panic!("{sql}: {e}"));
    assert_eq!(db.code().as_deref(), Some("42501"), "{sql}: {e}");
    assert!(db.message().contains("append-only"), "{sql}: {e}");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn events_and_comments_cannot_be_changed_or_deleted_by_the_app_role(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let t = app
        .open_default(&alice, &[app.asset_id("web-01").await])
        .await;
    let id: uuid::Uuid = t["id"].as_str().unwrap().parse().unwrap();
    let (s, c) = app
        .post(
            &alice,
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"body": "please"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let (s, _) = app.act(&bob, &t["id"], "approve", json!({})).await;
    assert_eq!(s, 200);

    let events_before = events(&pool).await;
    let comments_before = comments(&pool).await;
    assert!(events_before.len() >= 3, "{events_before:?}");
    assert_eq!(comments_before.len(), 1);

    for sql in [
        "UPDATE ticket_events SET comment = 'rewritten', kind = 'approved' WHERE ticket_id = $1",
        "UPDATE ticket_events SET actor_id = NULL WHERE ticket_id = $1",
        "DELETE FROM ticket_events WHERE ticket_id = $1",
        "UPDATE ticket_comments SET body = 'rewritten' WHERE ticket_id = $1",
        "DELETE FROM ticket_comments WHERE ticket_id = $1",
        // The cascade from the ticket is refused too: a ticket with history stays.
        "DELETE FROM tickets WHERE id = $1",
        // …and so is the SET NULL from deleting a user who acted.
        "DELETE FROM users WHERE id = (SELECT applicant_id FROM tickets WHERE id = $1)",
    ] {
        refused(&pool, sql, id).await;
    }
    for sql in ["TRUNCATE ticket_events CASCADE", "TRUNCATE ticket_comments"] {
        let e = sqlx::query(sql).execute(&pool).await.expect_err(sql);
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }

    assert_eq!(events(&pool).await, events_before, "events unchanged");
    assert_eq!(comments(&pool).await, comments_before, "comments unchanged");
    // The API still shows the same history, and new events are still appended.
    let (s, ev) = app
        .get(&alice, &format!("/api/v1/tickets/{id}/events"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(ev.as_array().map(Vec::len), Some(events_before.len()));
    let (s, _) = app
        .post(
            &alice,
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"body": "thanks"}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(events(&pool).await.len(), events_before.len() + 1);
}
