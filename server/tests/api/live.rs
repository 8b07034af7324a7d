//! Live updates: the decision long poll and the SSE stream, across two instances.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::TestApp;

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_long_poll_returns_the_moment_another_instance_decides(pool: PgPool) {
    let a = TestApp::spawn(pool.clone(), true).await;
    let b = TestApp::spawn_again(pool).await;
    let alice = a.signed_in("alice").await;
    let id = a.open_simple(&alice, "Live").await;

    // Nothing decided: the poll answers pending at its timeout.
    let started = Instant::now();
    let (s, d) = a
        .get(&alice, &format!("/api/v1/tickets/{id}/decision?wait=1"))
        .await;
    assert_eq!(
        (s, d["state"].as_str(), d["decided"].as_bool()),
        (200, Some("pending"), Some(false))
    );
    assert!(started.elapsed() >= Duration::from_millis(900));

    // alice waits on instance A (up to a minute) while bob rejects on instance B.
    let listening = a.live.listeners();
    let waiter = {
        let url = format!("{}/api/v1/tickets/{id}/decision?wait=60", a.url);
        let alice = alice.clone();
        tokio::spawn(async move { alice.get(url).send().await.unwrap().json::<Value>().await })
    };
    a.until_listening(listening).await;
    let bob = b.signed_in("bob").await;
    let (s, _) = b
        .post(&bob, &format!("/api/v1/tickets/{id}/reject"), json!({}))
        .await;
    assert_eq!(s, 200);
    // The decision ends the wait: the poll does not sit out its minute. (How fast it comes
    // back is the bench's figure 3, not a test's.)
    let d = tokio::time::timeout(Duration::from_secs(45), waiter)
        .await
        .expect("the poll came back at the decision, not at its deadline")
        .unwrap()
        .unwrap();
    assert_eq!(d["state"], "rejected");
    assert_eq!(d["decided"], true);

    // Bad waits and strangers.
    assert_eq!(
        a.get(&alice, &format!("/api/v1/tickets/{id}/decision?wait=61"))
            .await
            .0,
        422
    );
    assert_eq!(
        a.get(&alice, &format!("/api/v1/tickets/{id}/decision?wait=-1"))
            .await
            .0,
        400
    );
    let dave = a.signed_in("dave").await;
    assert_eq!(
        a.get(&dave, &format!("/api/v1/tickets/{id}/decision"))
            .await
            .0,
        404
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_sse_client_of_one_instance_hears_an_approval_made_on_another(pool: PgPool) {
    let a = TestApp::spawn(pool.clone(), true).await;
    let b = TestApp::spawn_again(pool).await;
    let alice = a.signed_in("alice").await;
    let id = a.open_simple(&alice, "Live").await;

    let mut stream = alice
        .get(format!("{}/api/v1/events", b.url))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));

    let bob = a.signed_in("bob").await;
    b.until_listening(0).await;
    let (s, _) = a
        .post(&bob, &format!("/api/v1/tickets/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 200);

    // Heard without asking again (the bound only keeps a broken stream from hanging the test;
    // how fast it comes is the bench's figure 3).
    let mut seen = String::new();
    let heard = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(&id) && seen.contains("approved") {
                return;
            }
        }
    })
    .await;
    assert!(heard.is_ok(), "no event of the approval; got {seen:?}");
    assert!(seen.contains("event: ticket"), "{seen}");

    // dave, who has nothing to do with it, hears nothing of it: his stream carries the news of
    // his own ticket, opened after alice's comment, and nothing of alice's before it.
    let dave = a.signed_in("dave").await;
    let listening = b.live.listeners();
    let mut other = dave
        .get(format!("{}/api/v1/events", b.url))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "dave's stream is open");
    b.until_listening(listening).await;
    let (s, _) = a
        .post(
            &alice,
            &format!("/api/v1/tickets/{id}/comments"),
            json!({"body": "thanks"}),
        )
        .await;
    assert_eq!(s, 201);
    let own = a.open_simple(&dave, "Live").await;
    let mut dave_saw = String::new();
    let reached_own = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match other.chunk().await {
                Ok(Some(c)) => {
                    dave_saw.push_str(&String::from_utf8_lossy(&c));
                    if dave_saw.contains(&own) {
                        return true;
                    }
                }
                // The stream was refused or ended: that is a failure, not silence.
                _ => return false,
            }
        }
    })
    .await;
    assert_eq!(
        reached_own,
        Ok(true),
        "dave's stream ended or never told him of his own ticket: {dave_saw:?}"
    );
    assert!(
        !dave_saw.contains(&id),
        "dave heard of a ticket he cannot see: {dave_saw:?}"
    );
    assert_eq!(a.get(&a.client(), "/api/v1/events").await.0, 401);
}
