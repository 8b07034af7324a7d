//! The attacks of the adversarial review (docs/security.md), each performed against a real
//! server; each attack worked before its fix.

use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::{TestApp, PASSWORD};

/// A token of `c`'s person: its secret.
async fn token(app: &TestApp, c: &Client, name: &str) -> String {
    let (s, t) = app.post(c, "/api/v1/tokens", json!({"name": name})).await;
    assert_eq!(s, 201, "{t}");
    t["token"].as_str().unwrap().to_string()
}

/// A client that sends only `Authorization: Bearer <token>` (no cookie jar).
fn bearer(token: &str) -> Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    Client::builder()
        .default_headers(h)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(app: &TestApp, username: &str, password: &str) -> u16 {
    app.client()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

// ---- 2. A leaked API token or session takes the account over for good ----

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_leaked_token_cannot_change_its_persons_password_or_email(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let alice_id = app.user_id("alice").await;
    let leaked = bearer(&token(&app, &alice, "ci").await);
    let path = format!("/api/v1/users/{alice_id}");

    // With the token alone, even knowing the password: refused, nothing changed.
    for body in [
        json!({"password": "taken-over-123", "email": "mallory@evil.example"}),
        json!({"password": "taken-over-123", "current_password": PASSWORD}),
        json!({"email": "mallory@evil.example", "current_password": PASSWORD}),
    ] {
        let (s, e) = app.patch(&leaked, &path, body).await;
        assert_eq!(s, 403, "{e}");
        assert_eq!(e["error"]["code"], "session_required", "{e}");
    }
    assert_eq!(sign_in(&app, "alice", "taken-over-123").await, 401);
    assert_eq!(sign_in(&app, "alice", PASSWORD).await, 200);
    let (_, me) = app.get(&alice, &path).await;
    assert_eq!(me["email"], "alice@tollgate.example", "{me}");
    // A display name needs no password, from a token too.
    let (s, me) = app
        .patch(&leaked, &path, json!({"display_name": "Alice A."}))
        .await;
    assert_eq!(s, 200, "{me}");

    // In a browser session: without, or with a wrong, current password → refused.
    let (s, e) = app
        .patch(&alice, &path, json!({"password": "new-secret-1"}))
        .await;
    assert_eq!(
        (s, &e["error"]["field"]),
        (422, &json!("current_password")),
        "{e}"
    );
    let (s, e) = app
        .patch(
            &alice,
            &path,
            json!({"password": "new-secret-1", "current_password": "wrong-guess"}),
        )
        .await;
    assert_eq!(
        (s, &e["error"]["field"]),
        (422, &json!("current_password")),
        "{e}"
    );
    assert_eq!(sign_in(&app, "alice", PASSWORD).await, 200, "unchanged");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn changing_ones_own_password_ends_every_other_session_and_every_token(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let here = app.signed_in("alice").await;
    let elsewhere = app.signed_in("alice").await;
    let alice_id = app.user_id("alice").await;
    let leaked = bearer(&token(&app, &here, "ci").await);
    assert_eq!(app.get(&leaked, "/api/v1/me").await.0, 200);

    let (s, me) = app
        .patch(
            &here,
            &format!("/api/v1/users/{alice_id}"),
            json!({"password": "new-secret-1", "current_password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(
        app.get(&here, "/api/v1/me").await.0,
        200,
        "this session stays"
    );
    assert_eq!(
        app.get(&elsewhere, "/api/v1/me").await.0,
        401,
        "the other ends"
    );
    assert_eq!(app.get(&leaked, "/api/v1/me").await.0, 401, "tokens end");
    assert_eq!(sign_in(&app, "alice", PASSWORD).await, 401);
    assert_eq!(sign_in(&app, "alice", "new-secret-1").await, 200);
}

// ---- 4. A deactivated person's grants stay usable ----

/// alice's approved grant on web-01 (bob approves level 1, carol level 2).
async fn alice_grant(app: &TestApp) -> (Uuid, Uuid, String) {
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let web1 = app.asset_id("web-01").await;
    let t = app.open_default(&alice, &[web1]).await;
    assert_eq!(app.act(&bob, &t["id"], "approve", json!({})).await.0, 200);
    let (s, done) = app.act(&carol, &t["id"], "approve", json!({})).await;
    assert_eq!((s, &done["state"]), (200, &json!("approved")), "{done}");
    (
        app.user_id("alice").await,
        web1,
        t["id"].as_str().unwrap().to_string(),
    )
}

async fn allowed(app: &TestApp, admin: &Client, user: Uuid, asset: Uuid) -> bool {
    let (s, v) = app
        .get(
            admin,
            &format!("/api/v1/grants/check?user={user}&asset={asset}&account=root&action=connect"),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["allowed"].as_bool().unwrap()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn deactivating_a_person_revokes_their_grants_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let (alice, web1, grant) = alice_grant(&app).await;
    assert!(allowed(&app, &admin, alice, web1).await);

    let (s, u) = app
        .delete_json(&admin, &format!("/api/v1/users/{alice}"))
        .await;
    assert_eq!(s, 200, "{u}");
    assert!(!allowed(&app, &admin, alice, web1).await);
    let (_, g) = app.get(&admin, &format!("/api/v1/grants/{grant}")).await;
    assert_eq!(g["status"], "revoked", "{g}");
    let (_, ev) = app
        .get(&admin, &format!("/api/v1/tickets/{grant}/events"))
        .await;
    let last = ev.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "grant_revoked", "{ev}");
    assert_eq!(last["actor"]["username"], "admin");
    assert_eq!(last["comment"], "the person was deactivated");

    // Even a grant the revocation missed (written by hand here) is refused for the inactive.
    sqlx::query("UPDATE grants SET revoked_at = NULL, revoked_by = NULL")
        .execute(&pool)
        .await
        .unwrap();
    assert!(!allowed(&app, &admin, alice, web1).await);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn leaving_the_org_revokes_the_grants_there(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let admin = app.signed_in("admin").await;
    let (alice, web1, grant) = alice_grant(&app).await;
    let org = app.org_id("Default").await;
    let (s, e) = app
        .delete_json(&admin, &format!("/api/v1/orgs/{org}/members/{alice}"))
        .await;
    assert!(s == 204 || s == 200, "{s} {e}");
    assert!(!allowed(&app, &admin, alice, web1).await);
    let (_, g) = app.get(&admin, &format!("/api/v1/grants/{grant}")).await;
    assert_eq!(g["status"], "revoked", "{g}");
    let kinds = app.event_kinds(&admin, &json!(grant)).await;
    assert_eq!(kinds.last().map(String::as_str), Some("grant_revoked"));
}

// ---- 5. Open redirect after sign-in ----

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn next_after_sign_in_never_leaves_the_site(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    for next in [
        "/%09/127.0.0.1:9050/x",
        "/%0A/evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "https://evil.example",
        "/%01",
        "/%7F",
    ] {
        let r = alice
            .get(format!("{}/login?next={next}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next}");
        assert_eq!(r.headers()["location"], "/", "{next}");
    }
    let r = alice
        .get(format!("{}/login?next=%2Ftickets%3Fq%3Dx", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/tickets?q=x");
}

// ---- 17. A parallel burst of wrong passwords ----

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_parallel_burst_of_guesses_is_held_to_the_limit(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let tries = (0..30).map(|i| {
        let app_url = app.url.clone();
        async move {
            Client::new()
                .post(format!("{app_url}/api/v1/auth/login"))
                .json(&json!({"username": "alice", "password": format!("guess-{i}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(tries).await;
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((wrong, limited), (10, 20), "{statuses:?}");
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_in_failures")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recorded, 10);
    // A right password is not counted as a failure.
    let bob = sign_in(&app, "bob", PASSWORD).await;
    assert_eq!(bob, 200);
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM sign_in_failures")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recorded, 10);
}

// ---- 10. The live stream leaks and outlives its viewer ----

/// Reads `stream` until it ends or `limit` passes: (ended, text seen).
async fn drain(stream: &mut reqwest::Response, limit: std::time::Duration) -> (bool, String) {
    let mut seen = String::new();
    let ended = tokio::time::timeout(limit, async {
        while let Ok(Some(chunk)) = stream.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .is_ok();
    (ended, seen)
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_live_stream_ends_at_sign_out_and_deactivation(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let admin = app.signed_in("admin").await;
    let web1 = app.asset_id("web-01").await;

    // A session's stream: alice signs out, then her ticket is approved.
    let t = app.open_default(&alice, &[web1]).await;
    let mut stream = alice
        .get(format!("{}/api/v1/events", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(
        app.post(&alice, "/api/v1/auth/logout", json!({})).await.0 / 100,
        2
    );
    assert_eq!(app.act(&bob, &t["id"], "approve", json!({})).await.0, 200);
    let (ended, seen) = drain(&mut stream, std::time::Duration::from_secs(15)).await;
    assert!(ended, "the stream outlived the session: {seen:?}");
    assert!(
        !seen.contains("event: ticket"),
        "told after sign-out: {seen}"
    );

    // A token's stream: dave is deactivated.
    let dave = app.signed_in("dave").await;
    let dave_token = bearer(&token(&app, &dave, "watch").await);
    let mut stream = dave_token
        .get(format!("{}/api/v1/events", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let dave_id = app.user_id("dave").await;
    assert_eq!(
        app.delete_json(&admin, &format!("/api/v1/users/{dave_id}"))
            .await
            .0,
        200
    );
    let (ended, _) = drain(&mut stream, std::time::Duration::from_secs(15)).await;
    assert!(ended, "the stream outlived its person");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_ticket_with_many_people_to_tell_reaches_only_those_who_may_see_it(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let bob_id = app.user_id("bob").await;
    let watchers = app.make_users("watcher", 160).await;
    app.set_default_flow(json!({
        "levels": [{"selector": {"users": [bob_id], "super_admins": false, "org_admins": false}, "rule": "any"}],
        "cc": watchers,
    }))
    .await;
    let alice = app.signed_in("alice").await;
    let dave = app.signed_in("dave").await;
    let watcher = app.signed_in("watcher7").await;
    let listen = |c: &Client| c.get(format!("{}/api/v1/events", app.url)).send();
    let listening = app.live.listeners();
    let dave_hears = listen(&dave).await.unwrap();
    let watcher_hears = listen(&watcher).await.unwrap();
    app.until_listening(listening + 1).await;
    let t = app
        .open_default(&alice, &[app.asset_id("web-01").await])
        .await;
    let id = t["id"].as_str().unwrap().to_string();

    let heard = |mut r: reqwest::Response, id: String| async move {
        tokio::time::timeout(std::time::Duration::from_secs(3), async move {
            let mut seen = String::new();
            while let Ok(Some(c)) = r.chunk().await {
                seen.push_str(&String::from_utf8_lossy(&c));
                if seen.contains(&id) {
                    return;
                }
            }
            std::future::pending::<()>().await
        })
        .await
        .is_ok()
    };
    assert!(
        heard(watcher_hears, id.clone()).await,
        "a CC'd watcher hears"
    );
    assert_eq!(
        app.get(&dave, &format!("/api/v1/tickets/{id}")).await.0,
        404
    );
    assert!(
        !heard(dave_hears, id).await,
        "dave cannot see it, and hears nothing"
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn one_person_cannot_hold_a_thousand_streams(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let alice = app.signed_in("alice").await;
    let mut open = Vec::new();
    for _ in 0..8 {
        let r = alice
            .get(format!("{}/api/v1/events", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        open.push(r);
    }
    let (s, e) = app.get(&alice, "/api/v1/events").await;
    assert_eq!(
        (s, &e["error"]["code"]),
        (429, &json!("too_many_streams")),
        "{e}"
    );
    // Closing one gives its place back (the server notices at its next keep-alive).
    drop(open.pop());
    let mut ok = false;
    for _ in 0..250 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let r = alice
            .get(format!("{}/api/v1/events", app.url))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            ok = true;
            break;
        }
    }
    assert!(ok, "a closed stream's place came back");
}

// ---- 3. Login rules apply only at the password form ----

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_reject_login_rule_refuses_open_sessions_and_tokens_on_every_instance(pool: PgPool) {
    let a = TestApp::spawn(pool.clone(), true).await;
    let b = TestApp::spawn_again(pool).await;
    let alice = a.signed_in("alice").await;
    let alice_token = bearer(&token(&a, &alice, "script").await);
    let bob = a.signed_in("bob").await;
    // Both instances have cached the (empty) rules by now.
    for app in [&a, &b] {
        assert_eq!(app.get(&alice, "/api/v1/me").await.0, 200);
        assert_eq!(app.get(&alice_token, "/api/v1/me").await.0, 200);
    }

    // A super admin on instance B: alice may not use Tollgate from anywhere.
    let admin = b.signed_in("admin").await;
    let (s, rule) = b
        .post(
            &admin,
            "/api/v1/acls/login",
            json!({"name": "alice is away", "priority": 1, "users": {"names": ["alice"]},
                   "ips": ["*"], "action": "reject"}),
        )
        .await;
    assert_eq!(s, 201, "{rule}");
    // Instance A hears of the change (NOTIFY) and refuses at once.
    let mut refused = false;
    for _ in 0..50 {
        let (s, e) = a.get(&alice, "/api/v1/me").await;
        if s == 403 {
            assert_eq!(e["error"]["code"], "login_refused", "{e}");
            assert!(e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("alice is away"));
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(refused, "instance A still lets alice's session through");
    let (s, e) = a.get(&alice_token, "/api/v1/me").await;
    assert_eq!(
        (s, &e["error"]["code"]),
        (403, &json!("login_refused")),
        "{e}"
    );
    // She cannot open tickets with either.
    let org = a.org_id("Default").await;
    let body = TestApp::apply_body(org, "still here?", &[a.asset_id("web-01").await]);
    assert_eq!(a.post(&alice, "/api/v1/tickets", body.clone()).await.0, 403);
    assert_eq!(a.post(&alice_token, "/api/v1/tickets", body).await.0, 403);
    // A page sends her to the sign-in form.
    let r = alice
        .get(format!("{}/tickets", a.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // Others are not touched.
    assert_eq!(a.get(&bob, "/api/v1/me").await.0, 200);

    // The rule switched off: her session works again, on both instances.
    let id = rule["id"].as_str().unwrap();
    let r = admin
        .patch(format!("{}/api/v1/acls/login/{id}", b.url))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut back = false;
    for _ in 0..50 {
        if a.get(&alice, "/api/v1/me").await.0 == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(back);
}

// ---- 8. No HTTP timeouts (with the real binary) ----

/// Waits until the server closes `conn` (EOF or reset); false if it is still open at `limit`.
async fn closed_by_server(conn: &mut tokio::net::TcpStream, limit: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await
    .is_ok()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn half_sent_requests_silent_and_idle_connections_are_closed(pool: PgPool) {
    use tokio::io::AsyncWriteExt;
    let db = crate::faults::url_of(&pool).await;
    let server = crate::faults::Server::start_with(
        &db,
        false,
        &[
            ("TOLLGATE_HEADER_TIMEOUT_SECONDS", "2"),
            ("TOLLGATE_MAX_CONNECTIONS", "40"),
        ],
    )
    .await;
    let addr = server.url.trim_start_matches("http://").to_string();

    // 60 half-sent requests and 60 silent connections: more than the limit of 40.
    let mut conns = Vec::new();
    for i in 0..120 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        if i % 2 == 0 {
            c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await
                .unwrap();
        }
        conns.push(c);
    }
    // The limit holds: while 40 are taken, a real request waits for a place.
    let started = std::time::Instant::now();
    let r = reqwest::get(format!("{}/healthz", server.url))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1500),
        "answered past a full house after {:?}",
        started.elapsed()
    );
    // Every one of them is closed by the server (three rounds of 40, 2 s each).
    for (i, c) in conns.iter_mut().enumerate() {
        assert!(
            closed_by_server(c, std::time::Duration::from_secs(20)).await,
            "connection {i} is still open"
        );
    }

    // A keep-alive connection left idle after a request is closed too.
    let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = tokio::io::AsyncReadExt::read(&mut c, &mut buf)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let idle = std::time::Instant::now();
    assert!(closed_by_server(&mut c, std::time::Duration::from_secs(10)).await);
    assert!(idle.elapsed() >= std::time::Duration::from_millis(1500));
}

// ---- 11. An approval is not tied to what the approver saw ----

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_approval_carries_the_version_seen_and_approvers_only_narrow(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let (bob_id, carol_id) = (app.user_id("bob").await, app.user_id("carol").await);
    app.set_default_flow(json!({
        "levels": [{"selector": {"users": [bob_id, carol_id], "super_admins": false, "org_admins": false}, "rule": "all"}],
        "cc": [],
    }))
    .await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let t = app
        .open_default(&alice, &[app.asset_id("web-01").await])
        .await;
    let v0 = t["request_version"].as_str().unwrap().to_string();

    // Widening is refused, field by field, and changes nothing.
    for (edits, field) in [
        (json!({"accounts": ["@ALL"]}), "accounts"),
        (json!({"actions": ["all"]}), "actions"),
        (
            json!({"assets": [app.asset_id("web-01").await, app.asset_id("web-02").await]}),
            "assets",
        ),
        (
            json!({"expiry": chrono::Utc::now() + chrono::Duration::days(365)}),
            "expiry",
        ),
    ] {
        let (s, e) = app
            .act(&carol, &t["id"], "approve", json!({"edits": edits}))
            .await;
        assert_eq!((s, e["error"]["field"].as_str()), (422, Some(field)), "{e}");
    }

    // bob approves what he saw; carol narrows it: bob is asked again.
    let (s, t1) = app
        .act(&bob, &t["id"], "approve", json!({"seen_version": v0}))
        .await;
    assert_eq!((s, &t1["state"]), (200, &json!("pending")), "{t1}");
    let (s, t2) = app
        .act(
            &carol,
            &t["id"],
            "approve",
            json!({"seen_version": v0, "edits": {"accounts": ["deploy"]}}),
        )
        .await;
    assert_eq!((s, &t2["state"]), (200, &json!("pending")), "{t2}");
    let bob_row = t2["steps"][0]["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "bob")
        .unwrap()
        .clone();
    assert_eq!(bob_row["decision"], "pending", "{t2}");
    let v1 = t2["request_version"].as_str().unwrap().to_string();
    assert_ne!(v0, v1);

    // An approval of the old version is refused; of the new one it goes through.
    let (s, e) = app
        .act(&bob, &t["id"], "approve", json!({"seen_version": v0}))
        .await;
    assert_eq!((s, &e["error"]["code"]), (409, &json!("changed")), "{e}");
    let (s, done) = app
        .act(&bob, &t["id"], "approve", json!({"seen_version": v1}))
        .await;
    assert_eq!((s, &done["state"]), (200, &json!("approved")), "{done}");
    assert_eq!(done["request"]["accounts"], json!(["deploy"]));
}

// ---- 16. Display names can impersonate ----

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn display_names_refuse_direction_and_invisible_characters(pool: PgPool) {
    let app = TestApp::spawn(pool, true).await;
    let admin = app.signed_in("admin").await;
    let alice = app.signed_in("alice").await;
    let alice_id = app.user_id("alice").await;
    for bad in [
        "Ada \u{202E}nimdA",
        "Ada\u{200B}Admin",
        "Ada\u{2066}Admin",
        "Ada\u{7}",
    ] {
        let (s, e) = app
            .patch(
                &alice,
                &format!("/api/v1/users/{alice_id}"),
                json!({"display_name": bad}),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("display_name")),
            "{e}"
        );
        let (s, e) = app
            .post(
                &admin,
                "/api/v1/users",
                json!({"username": "ada", "display_name": bad, "password": "long-enough-1"}),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (422, Some("display_name")),
            "{e}"
        );
    }
    let (_, me) = app.get(&alice, "/api/v1/me").await;
    assert_eq!(me["display_name"], "Alice Liddell", "{me}");
}

// ---- 1. An org admin approves their own request through a puppet account ----

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_org_admin_cannot_make_a_puppet_approve_their_requests(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let bob = app.signed_in("bob").await;
    let default = app.org_id("Default").await;

    // The puppet: bob may not choose its password…
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/users",
            json!({"username": "puppet", "password": "bobs-secret-1", "email": "bob@tollgate.example",
                   "orgs": [{"org_id": default, "role": "org_user"}]}),
        )
        .await;
    assert_eq!(s, 403, "{e}");
    // …only make it, and the person behind the email chooses it with a one-time link.
    let (s, u) = app
        .post(
            &bob,
            "/api/v1/users",
            json!({"username": "puppet", "email": "bob@tollgate.example",
                   "orgs": [{"org_id": default, "role": "org_user"}]}),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    let puppet = u["id"].as_str().unwrap().parse::<Uuid>().unwrap();
    assert_eq!(sign_in(&app, "puppet", "").await, 401);
    // Nor may bob make it an org admin (the demo's level 1 asks Default's org admins), at
    // creation or later.
    let (s, e) = app
        .put(
            &bob,
            &format!("/api/v1/orgs/{default}/members"),
            json!({"user_id": puppet, "role": "org_admin"}),
        )
        .await;
    assert_eq!(s, 403, "{e}");
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/users",
            json!({"username": "puppet2", "email": "bob@tollgate.example",
                   "orgs": [{"org_id": default, "role": "org_admin"}]}),
        )
        .await;
    assert_eq!(s, 403, "{e}");

    // bob names the puppet as the only approver of Default: nothing changes yet.
    let (s, f) = app.put(&bob,
        &format!("/api/v1/flows/{default}/apply_asset"),
        json!({"levels": [{"selector": {"users": [puppet], "super_admins": false, "org_admins": false}, "rule": "any"}], "cc": []}),
    )
    .await;
    assert_eq!(s, 200, "{f}");
    let change = f["pending_change"]["ticket_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(
        f["flow"]["levels"][0]["selector"]["users"],
        json!([puppet]),
        "the flow is not changed until a super admin approves: {f}"
    );
    // bob's own request still goes to the flow as it was, never to the puppet.
    let t = app
        .open_default(&bob, &[app.asset_id("web-01").await])
        .await;
    let asked: Vec<String> = crate::helpers::assignees(&t, 1);
    assert!(!asked.contains(&"puppet".to_string()), "{t}");
    // The change is a ticket of its own type, with the policy before and after, that bob
    // cannot approve himself.
    let (s, c) = app.get(&bob, &format!("/api/v1/tickets/{change}")).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["type"], "policy_change");
    assert_eq!(
        c["request"]["after"]["levels"][0]["selector"]["users"],
        json!([puppet])
    );
    assert_eq!(crate::helpers::assignees(&c, 1), ["admin"]);
    let (s, _) = app
        .post(
            &bob,
            &format!("/api/v1/tickets/{change}/approve"),
            json!({}),
        )
        .await;
    assert!(s == 404 || s == 403, "{s}");
    // A second change while one waits is refused.
    let (s, e) = app.put(&bob,
        &format!("/api/v1/flows/{default}/apply_asset"),
        json!({"levels": [{"selector": {"users": [puppet], "super_admins": false, "org_admins": false}, "rule": "all"}], "cc": []}),
    )
    .await;
    assert_eq!(
        (s, &e["error"]["code"]),
        (409, &json!("change_pending")),
        "{e}"
    );

    // The super admin rejects it: the flow stays as it was.
    let admin = app.signed_in("admin").await;
    let (s, _) = app
        .post(
            &admin,
            &format!("/api/v1/tickets/{change}/reject"),
            json!({"comment": "no puppets"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, f) = app
        .get(&bob, &format!("/api/v1/flows/{default}/apply_asset"))
        .await;
    assert_eq!(f["pending_change"], Value::Null);
    assert_ne!(f["flow"]["levels"][0]["selector"]["users"], json!([puppet]));

    // A super admin's own change applies at once.
    let (s, f) = app.put(&admin,
        &format!("/api/v1/flows/{default}/apply_asset"),
        json!({"levels": [{"selector": {"users": [app.user_id("carol").await], "super_admins": false, "org_admins": false}, "rule": "any"}], "cc": []}),
    )
    .await;
    assert_eq!((s, &f["pending_change"]), (200, &Value::Null), "{f}");
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_set_up_link_lets_only_its_person_choose_a_password_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let bob = app.signed_in("bob").await;
    let default = app.org_id("Default").await;
    let (s, e) = app
        .post(
            &bob,
            "/api/v1/users",
            json!({"username": "erin", "orgs": [{"org_id": default, "role": "org_user"}]}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (422, Some("email")),
        "{e}"
    );
    let (s, u) = app
        .post(
            &bob,
            "/api/v1/users",
            json!({"username": "erin", "email": "erin@tollgate.example",
                   "orgs": [{"org_id": default, "role": "org_user"}]}),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    // The link goes to erin's address only (her notification, mailed).
    let (link, to): (String, Option<String>) = sqlx::query_as(
        "SELECT link, mail_to FROM notifications n JOIN users u ON u.id = n.user_id
         WHERE u.username = 'erin' AND n.kind = 'welcome'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(to.as_deref(), Some("erin@tollgate.example"));
    assert!(link.starts_with("/welcome/"), "{link}");
    let (_, bobs) = app.get(&bob, "/api/v1/notifications").await;
    assert!(
        !bobs.to_string().contains(&link),
        "bob never sees erin's link"
    );

    let c = app.client();
    let page = c.get(format!("{}{link}", app.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("erin"));
    let r = c
        .post(format!("{}{link}", app.url))
        .form(&[("password", "erins-own-1"), ("again", "different-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = c
        .post(format!("{}{link}", app.url))
        .form(&[("password", "erins-own-1"), ("again", "erins-own-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sign_in(&app, "erin", "erins-own-1").await, 200);
    // Once only.
    let r = c
        .post(format!("{}{link}", app.url))
        .form(&[("password", "taken-over-1"), ("again", "taken-over-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    assert_eq!(sign_in(&app, "erin", "taken-over-1").await, 401);
    assert_eq!(
        c.get(format!("{}/welcome/not-a-token", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        410
    );
}

// ---- 12. An org admin can read a stranger's details by adding them ----

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn adding_a_stranger_is_an_invitation_and_shows_only_overseen_orgs(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let bob = app.signed_in("bob").await;
    let carol = app.signed_in("carol").await;
    let default = app.org_id("Default").await;
    let carol_id = app.user_id("carol").await;
    let (s, members) = app
        .put(
            &bob,
            &format!("/api/v1/orgs/{default}/members"),
            json!({"user_id": carol_id, "role": "org_user"}),
        )
        .await;
    assert_eq!(s, 200, "{members}");
    let row = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"]["username"] == "carol")
        .cloned()
        .unwrap();
    assert_eq!(row["invited"], true, "{row}");
    assert_eq!(
        app.get(&bob, &format!("/api/v1/users/{carol_id}")).await.0,
        404
    );

    // carol sees the invitation and accepts it.
    let (_, inv) = app.get(&carol, "/api/v1/me/invitations").await;
    assert_eq!(inv[0]["org_name"], "Default", "{inv}");
    assert_eq!(inv[0]["invited_by"]["username"], "bob");
    let (s, _) = app
        .post(
            &carol,
            &format!("/api/v1/me/invitations/{default}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(s, 204);
    // Now bob sees her, with Default only: not that she is in Research.
    let (s, u) = app.get(&bob, &format!("/api/v1/users/{carol_id}")).await;
    assert_eq!(s, 200, "{u}");
    let orgs: Vec<&str> = u["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["org_name"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, ["Default"], "{u}");
    // She herself sees both.
    let (_, me) = app.get(&carol, &format!("/api/v1/users/{carol_id}")).await;
    assert_eq!(me["orgs"].as_array().unwrap().len(), 2, "{me}");
    // Nothing to accept where nobody invited her.
    let research = app.org_id("Research").await;
    let (s, _) = app
        .post(
            &carol,
            &format!("/api/v1/me/invitations/{research}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(s, 404, "no such invitation");
}
