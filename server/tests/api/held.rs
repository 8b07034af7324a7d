//! The held sign-in (SPEC §6): a `review` login ACL turns a sign-in into a login_confirm
//! ticket and a waiting browser; the decision reaches it at once; only an approval signs in.

use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{strings, TestApp, PASSWORD};

/// A review rule for dave from loopback, reviewed by admin and carol.
async fn hold_dave(app: &TestApp) {
    let admin = app.signed_in("admin").await;
    let admin_id = app.user_id("admin").await;
    let carol = app.user_id("carol").await;
    let (s, r) = app
        .post(
            &admin,
            "/api/v1/acls/login",
            json!({"name": "dave needs a witness", "priority": 1, "users": {"names": ["dave"]},
                   "ips": ["127.0.0.1"], "action": "review", "reviewers": [admin_id, carol]}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
}

/// Signs dave in with a fresh cookie jar: (status, answer, the browser).
async fn dave_signs_in(app: &TestApp) -> (u16, Value, Client) {
    let c = app.client();
    let r = c
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": "dave", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let s = r.status().as_u16();
    if s == 202 {
        assert!(
            cookies.iter().all(|c| !c.starts_with("tollgate_session=")),
            "a held sign-in has no session: {cookies:?}"
        );
        assert!(cookies
            .iter()
            .any(|c| c.starts_with("tollgate_pending=") && c.contains("HttpOnly")));
    }
    (s, r.json().await.unwrap(), c)
}

/// What the waiting page sends to `/api/v1/auth/pending/{action}` (no body): its status.
async fn beacon(app: &TestApp, c: &Client, action: &str) -> u16 {
    c.post(format!("{}/api/v1/auth/pending/{action}", app.url))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn pending(app: &TestApp, c: &Client, wait: u64) -> (u16, Value) {
    app.get(c, &format!("/api/v1/auth/pending?wait={wait}"))
        .await
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_approval_signs_the_waiting_browser_in_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    hold_dave(&app).await;
    let (s, held, dave) = dave_signs_in(&app).await;
    assert_eq!(s, 202, "{held}");
    assert_eq!(held["state"], "pending");
    assert_eq!(held["username"], "dave");
    assert_eq!(held["rule"], "dave needs a witness");
    assert_eq!(held["ip"], "127.0.0.1");
    assert_eq!(
        strings(&held["reviewers"]),
        ["Ada Admin", "Carol Danvers"],
        "the rule's reviewers"
    );
    // Ten minutes to decide.
    let opened = chrono::DateTime::parse_from_rfc3339(held["opened_at"].as_str().unwrap()).unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(held["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!((expires - opened).num_minutes(), 10);
    // Not signed in meanwhile.
    assert_eq!(app.get(&dave, "/api/v1/me").await.0, 401);
    assert_eq!(pending(&app, &dave, 0).await.1["state"], "pending");

    // The ticket is a login_confirm in carol's inbox.
    let carol = app.signed_in("carol").await;
    let id = held["ticket_id"].clone();
    let (s, t) = app
        .get(&carol, &format!("/api/v1/tickets/{}", id.as_str().unwrap()))
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["type"], "login_confirm");
    assert_eq!(t["applicant"]["username"], "dave");
    assert_eq!(t["request"]["ip"], "127.0.0.1");
    let (_, inbox) = app
        .get(&carol, "/api/v1/tickets?scope=assigned&state=pending")
        .await;
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id),
        "{inbox}"
    );

    // dave's browser waits; carol approves through another request; the wait ends at once.
    let listening = app.live.listeners();
    let waiter = {
        let dave = dave.clone();
        let url = format!("{}/api/v1/auth/pending?wait=20", app.url);
        tokio::spawn(async move {
            let r = dave.get(url).send().await.unwrap();
            let s = r.status().as_u16();
            let cookies: Vec<String> = r
                .headers()
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect();
            (s, cookies, r.json::<Value>().await.unwrap())
        })
    };
    app.until_listening(listening).await;
    let (s, r) = app.act(&carol, &id, "approve", json!({})).await;
    assert_eq!(s, 200, "{r}");
    // The approval ends the wait (it asked for 20 s; the bench measures how fast).
    let (s, cookies, answer) = tokio::time::timeout(Duration::from_secs(15), waiter)
        .await
        .expect("the waiting browser heard of the approval before its wait ran out")
        .unwrap();
    assert_eq!(s, 200, "{answer}");
    assert_eq!(answer["state"], "approved");
    assert_eq!(answer["signed_in"], true);
    assert!(answer["reason"]
        .as_str()
        .unwrap()
        .contains("Approved by Carol Danvers"));
    assert!(cookies.iter().any(|c| c.starts_with("tollgate_session=")));
    assert!(cookies
        .iter()
        .any(|c| c.starts_with("tollgate_pending=;") && c.contains("Max-Age=0")));
    let (s, me) = app.get(&dave, "/api/v1/me").await;
    assert_eq!((s, me["username"].as_str()), (200, Some("dave")));

    // The token was used up in the same answer: nothing is left to wait for.
    assert_eq!(pending(&app, &dave, 0).await.0, 404);
    assert_eq!(
        app.count("SELECT count(*) FROM pending_logins WHERE consumed_at IS NOT NULL")
            .await,
        1
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_rejection_refuses_with_the_reviewers_words(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    hold_dave(&app).await;
    let (_, held, dave) = dave_signs_in(&app).await;
    let admin = app.signed_in("admin").await;
    let (s, _) = app
        .act(
            &admin,
            &held["ticket_id"],
            "reject",
            json!({"comment": "not at 3 am"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, p) = pending(&app, &dave, 10).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["state"], "rejected");
    assert_eq!(p["signed_in"], false);
    assert_eq!(
        p["reason"],
        "Refused by Ada Admin: \u{201c}not at 3 am\u{201d}."
    );
    assert_eq!(app.get(&dave, "/api/v1/me").await.0, 401);
    assert_eq!(
        app.count("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'dave'")
            .await,
        0
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn leaving_the_page_withdraws_and_a_late_approval_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    hold_dave(&app).await;
    let (_, held, dave) = dave_signs_in(&app).await;
    // Withdrawn at once (the page's Cancel, or an API client).
    assert_eq!(beacon(&app, &dave, "withdraw").await, 204);
    let carol = app.signed_in("carol").await;
    let id = held["ticket_id"].as_str().unwrap();
    let (_, t) = app.get(&carol, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(t["state"], "closed");
    let kinds = app.event_kinds(&carol, &held["ticket_id"]).await;
    assert_eq!(kinds.last().map(String::as_str), Some("withdrawn"));
    // Too late to let anyone in.
    let (s, _) = app
        .act(&carol, &held["ticket_id"], "approve", json!({}))
        .await;
    assert_eq!(s, 409);
    // The withdraw answer cleared the cookie: nothing waits in this browser any more.
    assert_eq!(pending(&app, &dave, 0).await.0, 404);
    // A second withdraw (the beacon and the button both fire) is harmless.
    assert_eq!(beacon(&app, &dave, "withdraw").await, 204);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_reloaded_waiting_page_keeps_its_request_and_a_left_one_withdraws_it(pool: PgPool) {
    use tollgate_server::identity::held::LEAVE_GRACE;
    let app = TestApp::spawn(pool.clone(), true).await;
    hold_dave(&app).await;
    let (_, held, dave) = dave_signs_in(&app).await;
    let carol = app.signed_in("carol").await;
    let url = format!("/api/v1/tickets/{}", held["ticket_id"].as_str().unwrap());
    // What the page's `pagehide` beacon sends.
    let leave = || async { assert_eq!(beacon(&app, &dave, "leave").await, 204) };
    // A reload: the beacon, then the reloaded page asks where its sign-in stands.
    leave().await;
    let (s, p) = pending(&app, &dave, 0).await;
    assert_eq!((s, p["state"].as_str()), (200, Some("pending")), "{p}");
    tokio::time::sleep(LEAVE_GRACE + Duration::from_secs(1)).await;
    assert_eq!(
        app.get(&carol, &url).await.1["state"],
        "pending",
        "a reload withdrew the request"
    );
    // Left for good: withdrawn once the grace has passed, not before.
    let left = Instant::now();
    leave().await;
    assert_eq!(app.get(&carol, &url).await.1["state"], "pending");
    loop {
        if app.get(&carol, &url).await.1["state"] == "closed" {
            break;
        }
        assert!(
            left.elapsed() < LEAVE_GRACE + Duration::from_secs(5),
            "the left page's request was not withdrawn"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(left.elapsed() >= LEAVE_GRACE, "withdrawn before the grace");
    let kinds = app.event_kinds(&carol, &held["ticket_id"]).await;
    assert_eq!(kinds.last().map(String::as_str), Some("withdrawn"));
    // Came back too late, the page is told why.
    let (s, p) = pending(&app, &dave, 0).await;
    assert_eq!((s, p["state"].as_str()), (200, Some("closed")), "{p}");
    assert!(p["reason"].as_str().unwrap().contains("withdrawn"), "{p}");
    // Nothing was waiting any more: harmless.
    leave().await;
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_undecided_sign_in_expires_after_ten_minutes(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    hold_dave(&app).await;
    let (_, held, dave) = dave_signs_in(&app).await;
    // Ten minutes pass.
    let ticket = held["ticket_id"].as_str().unwrap();
    sqlx::query(
        "UPDATE tickets SET created_at = created_at - interval '11 minutes' WHERE id = $1::uuid",
    )
    .bind(ticket)
    .execute(&pool)
    .await
    .unwrap();
    app.set_deadline(ticket, "expires_at - interval '11 minutes'")
        .await;
    let (s, p) = pending(&app, &dave, 5).await;
    assert_eq!(s, 200);
    assert_eq!(p["state"], "expired");
    assert!(p["reason"].as_str().unwrap().contains("10 minutes"));
    // The sweep makes it so for the reviewers too; approving is then refused.
    tollgate_server::jobs::expiry::sweep(&pool).await.unwrap();
    let carol = app.signed_in("carol").await;
    let (s, _) = app
        .act(&carol, &held["ticket_id"], "approve", json!({}))
        .await;
    assert_eq!(s, 409);
    // The answer that told the browser cleared its cookie.
    assert_eq!(pending(&app, &dave, 0).await.0, 404);
    assert_eq!(app.get(&dave, "/api/v1/me").await.0, 401);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn reviewers_are_not_held_and_a_rule_nobody_can_review_refuses(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let carol = app.user_id("carol").await;
    let (s, r) = app
        .post(
            &admin,
            "/api/v1/acls/login",
            json!({"name": "carol reviews dave and herself", "priority": 1,
                   "users": {"names": ["dave", "carol"]}, "ips": ["*"], "action": "review",
                   "reviewers": [carol]}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    // carol is not held by her own rule.
    app.signed_in("carol").await;
    // dave is held for carol.
    let (s, held, _) = dave_signs_in(&app).await;
    assert_eq!(s, 202);
    assert_eq!(strings(&held["reviewers"]), ["Carol Danvers"]);
    // With carol deactivated nobody could let dave in: refused plainly, nothing opened.
    sqlx::query("UPDATE users SET active = false WHERE username = 'carol'")
        .execute(&pool)
        .await
        .unwrap();
    let before = app
        .count("SELECT count(*) FROM tickets WHERE ticket_type = 'login_confirm'")
        .await;
    let (s, e, _) = dave_signs_in(&app).await;
    assert_eq!(s, 403, "{e}");
    assert_eq!(e["error"]["code"], "login_review_unavailable");
    assert_eq!(
        app.count("SELECT count(*) FROM tickets WHERE ticket_type = 'login_confirm'")
            .await,
        before
    );
    // No cookie, no pending sign-in.
    let anon = app.client();
    assert_eq!(pending(&app, &anon, 0).await.0, 404);
    let (s, e) = app.get(&anon, "/api/v1/auth/pending?wait=61").await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("wait")),
        "{e}"
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_approved_sign_in_that_fails_to_open_its_session_can_try_again(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    hold_dave(&app).await;
    let (_, held, dave) = dave_signs_in(&app).await;
    let carol = app.signed_in("carol").await;
    let (s, r) = app
        .act(&carol, &held["ticket_id"], "approve", json!({}))
        .await;
    assert_eq!(s, 200, "{r}");
    // The database fails the session's insert (a fault between using the approval and opening
    // it; the error code is the one of a server shutting down, so the answer is a 503).
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_sessions() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'no sessions today' USING ERRCODE = 'admin_shutdown'; END $$;
         CREATE TRIGGER refuse_sessions BEFORE INSERT ON sessions
           FOR EACH ROW EXECUTE FUNCTION refuse_sessions();",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (s, p) = pending(&app, &dave, 0).await;
    assert_eq!(s, 503, "the failed sign-in is an error to try again: {p}");
    assert_eq!(
        app.count("SELECT count(*) FROM pending_logins WHERE consumed_at IS NOT NULL")
            .await,
        0,
        "the approval was not used up by the failed attempt"
    );
    sqlx::raw_sql("DROP TRIGGER refuse_sessions ON sessions")
        .execute(&pool)
        .await
        .unwrap();
    // The waiting page's next request signs dave in.
    let (s, p) = pending(&app, &dave, 0).await;
    assert_eq!((s, p["signed_in"].as_bool()), (200, Some(true)), "{p}");
    let (s, me) = app.get(&dave, "/api/v1/me").await;
    assert_eq!((s, me["username"].as_str()), (200, Some("dave")), "{me}");
}
