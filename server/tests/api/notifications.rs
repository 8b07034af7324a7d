//! In-app notifications (who is told what, unread count, mark read) and the expiry sweep.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::TestApp;

fn kinds(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn assignees_applicant_and_levels_are_told_and_can_mark_read(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let id = app.open_simple(&alice, "Need web-01").await;

    // Opened: level 1 (bob) is told; the applicant is not told of her own act; carol (level 2) not yet.
    let (s, b) = app.get(&bob, "/api/v1/notifications").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(kinds(&b), ["awaiting"]);
    assert_eq!(b["unread"], 1);
    assert_eq!(b["items"][0]["link"], format!("/tickets/{id}"));
    assert!(b["items"][0]["title"].as_str().unwrap().contains("alice"));
    assert_eq!(app.get(&alice, "/api/v1/notifications").await.1["total"], 0);
    assert_eq!(app.get(&carol, "/api/v1/notifications").await.1["total"], 0);

    // bob approves level 1: carol's turn; alice hears the ticket moved on.
    let (s, _) = app
        .post(&bob, &format!("/api/v1/tickets/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        kinds(&app.get(&carol, "/api/v1/notifications").await.1),
        ["awaiting"]
    );
    assert_eq!(
        kinds(&app.get(&alice, "/api/v1/notifications").await.1),
        ["level_advanced"]
    );
    assert_eq!(app.get(&bob, "/api/v1/notifications").await.1["total"], 1);

    // carol comments, then approves: alice is told of both, bob of the comment? No: bob's level
    // is done, only the current level's assignees hear of comments.
    let (s, _) = app
        .post(
            &carol,
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"body": "ok for a day"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = app
        .post(&carol, &format!("/api/v1/tickets/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 200);
    let (_, a) = app.get(&alice, "/api/v1/notifications").await;
    assert_eq!(kinds(&a), ["approved", "commented", "level_advanced"]);
    assert_eq!(a["unread"], 3);
    assert_eq!(
        app.get(&alice, "/api/v1/notifications/unread-count")
            .await
            .1["unread"],
        3
    );

    // Mark one read, then the rest.
    let first = a["items"][0]["id"].as_str().unwrap().to_string();
    let (s, n) = app
        .post(
            &alice,
            &format!("/api/v1/notifications/{first}/read"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(n["read_at"].is_string());
    let (_, a) = app.get(&alice, "/api/v1/notifications?unread=true").await;
    assert_eq!(
        (a["total"].as_i64(), a["unread"].as_i64()),
        (Some(2), Some(2))
    );
    // Someone else's notification does not exist for bob.
    let (s, _) = app
        .post(
            &bob,
            &format!("/api/v1/notifications/{first}/read"),
            json!({}),
        )
        .await;
    assert_eq!(s, 404);
    let r = alice
        .post(format!("{}/api/v1/notifications/read", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["marked"], 2);
    assert_eq!(
        app.get(&alice, "/api/v1/notifications/unread-count")
            .await
            .1["unread"],
        0
    );

    // Bad input is a 4xx, never a 500.
    assert_eq!(app.get(&alice, "/api/v1/notifications?page=0").await.0, 422);
    assert_eq!(
        app.get(&alice, "/api/v1/notifications?per_page=1000")
            .await
            .0,
        422
    );
    assert_eq!(app.get(&alice, "/api/v1/notifications?page=x").await.0, 400);
    assert_eq!(
        app.post(&alice, "/api/v1/notifications/nope/read", json!({}))
            .await
            .0,
        400
    );
    assert_eq!(app.get(&app.client(), "/api/v1/notifications").await.0, 401);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_sweep_expires_overdue_tickets_once_and_tells_everyone(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let due = app.open_simple(&alice, "Old").await;
    let fresh = app.open_simple(&alice, "New").await;
    app.set_deadline(&due, "now() - interval '1 second'").await;

    // Another instance holds the sweep: this one skips the round.
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(tollgate_server::jobs::expiry::LOCK)
        .execute(&mut *holder)
        .await
        .unwrap();
    assert_eq!(
        tollgate_server::jobs::expiry::sweep(&pool).await.unwrap(),
        None
    );
    holder.rollback().await.unwrap();

    let mut events = bob
        .get(format!("{}/api/v1/events", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tollgate_server::jobs::expiry::sweep(&pool).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        tollgate_server::jobs::expiry::sweep(&pool).await.unwrap(),
        Some(0)
    );

    let (_, t) = app.get(&alice, &format!("/api/v1/tickets/{due}")).await;
    assert_eq!(t["state"], "expired");
    assert_eq!(t["allowed_actions"], json!(["view"]));
    let (_, t) = app.get(&alice, &format!("/api/v1/tickets/{fresh}")).await;
    assert_eq!(t["state"], "pending");
    let (_, h) = app
        .get(&alice, &format!("/api/v1/tickets/{due}/events"))
        .await;
    let last = h.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "expired");
    // Everyone concerned is told: the applicant and the waiting assignee.
    assert_eq!(
        kinds(&app.get(&alice, "/api/v1/notifications").await.1),
        ["expired"]
    );
    assert_eq!(
        kinds(&app.get(&bob, "/api/v1/notifications").await.1),
        ["expired", "awaiting", "awaiting"]
    );
    // The inbox no longer counts it, and the live stream said so.
    assert_eq!(
        app.get(&bob, "/api/v1/tickets/inbox-count").await.1,
        json!({"count": 1})
    );
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(2), events.chunk())
        .await
        .expect("an SSE event within 2 s")
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&chunk);
    assert!(text.contains("expired") && text.contains(&due), "{text}");
}

/// A ticket decided before its deadline is never expired: its decision takes it off the
/// sweep's list (`pending_expiry`, migration 0011), and a stale entry is cleared, not retried.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn decided_tickets_leave_the_sweep_and_never_expire(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let alice = app.signed_in("alice").await;
    let closed = app.open_simple(&alice, "Closed early").await;
    let waiting = app.open_simple(&alice, "Still waiting").await;
    let listed = |id: String| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM pending_expiry WHERE ticket_id = $1::uuid",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(listed(closed.clone()).await, 1);
    let (s, t) = app
        .post(
            &alice,
            &format!("/api/v1/tickets/{closed}/close"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(listed(closed.clone()).await, 0);
    assert_eq!(listed(waiting.clone()).await, 1);

    // Both past their deadline; and a stale entry for the closed one.
    for id in [&closed, &waiting] {
        app.set_deadline(id, "now() - interval '1 second'").await;
    }
    sqlx::query(
        "INSERT INTO pending_expiry (ticket_id, expires_at) VALUES ($1::uuid, now() - interval '1 hour')",
    )
    .bind(&closed)
    .execute(&pool)
    .await
    .unwrap();

    assert_eq!(
        tollgate_server::jobs::expiry::sweep(&pool).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        listed(closed.clone()).await,
        0,
        "the stale entry is cleared"
    );
    assert_eq!(listed(waiting.clone()).await, 0);
    let (_, t) = app.get(&alice, &format!("/api/v1/tickets/{closed}")).await;
    assert_eq!(t["state"], "closed");
    let (_, t) = app.get(&alice, &format!("/api/v1/tickets/{waiting}")).await;
    assert_eq!(t["state"], "expired");
    assert_eq!(
        tollgate_server::jobs::expiry::sweep(&pool).await.unwrap(),
        Some(0)
    );
}
