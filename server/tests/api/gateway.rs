//! The gateway API with a service token, and the `tollgate-gate` client run for real.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::acls::{ask, asset, org, user};
use crate::helpers::TestApp;
// A token serving every org: these tests ask by name about Default's assets.
use crate::review_gateway::service_token;

async fn gw_get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// A review rule for `rm`/`touch`/`echo` by anyone on Default's assets, reviewed by carol
/// and alice; a reject rule for `shutdown`.
async fn rules(app: &TestApp) {
    let admin = app.signed_in("admin").await;
    let default = org(&app.pool, "Default").await;
    let carol = user(&app.pool, "carol").await;
    let alice = user(&app.pool, "alice").await;
    for body in [
        json!({"name": "review writes", "priority": 10, "org_id": default,
               "command_groups": [{"patterns": ["rm", "touch", "echo"], "kind": "command"}],
               "action": "review", "reviewers": [carol, alice]}),
        json!({"name": "never shutdown", "priority": 5, "org_id": default,
               "command_groups": [{"patterns": ["shutdown"], "kind": "command"}], "action": "reject"}),
        json!({"name": "review root logins", "priority": 10, "org_id": default,
               "accounts": {"names": ["root"]}, "action": "review", "reviewers": [carol, alice]}),
    ] {
        let path = if body.get("command_groups").is_some() {
            "/api/v1/acls/command-filter"
        } else {
            "/api/v1/acls/login-asset"
        };
        let (s, r) = app.post(&admin, path, body).await;
        assert_eq!(s, 201, "{r}");
    }
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn review_opens_a_ticket_for_the_rules_reviewers_minus_the_user(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    rules(&app).await;
    let token = service_token(&app).await;
    let (s, d) = ask(
        &app,
        &token,
        "/api/v1/gateway/command",
        json!({"user": "alice", "asset": "web-01", "account": "deploy", "command": "rm -rf /srv/old",
               "session_id": "6b0f8a36-5f44-4c7c-9a57-1b4b0a1f0d11"}),
    )
    .await;
    assert_eq!((s, d["decision"].as_str()), (200, Some("review")), "{d}");
    let id = d["ticket_id"].as_str().unwrap().to_string();

    let carol = app.signed_in("carol").await;
    let (s, t) = app.get(&carol, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(s, 200, "carol reviews, so she sees it: {t}");
    assert_eq!(t["type"], "command_confirm");
    assert_eq!(t["applicant"]["username"], "alice");
    let assignees: Vec<&str> = t["steps"][0]["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(assignees, ["carol"], "alice never reviews her own command");
    assert_eq!(t["request"]["command"], "rm -rf /srv/old");
    assert_eq!(
        t["request"]["session_id"],
        "6b0f8a36-5f44-4c7c-9a57-1b4b0a1f0d11"
    );
    // The page shows the asset by name.
    assert_eq!(t["assets"][0]["name"], "web-01", "{t}");
    // carol is told, like for any ticket waiting for her.
    let (_, n) = app.get(&carol, "/api/v1/notifications").await;
    assert!(
        n["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["ticket_id"].as_str() == Some(id.as_str())),
        "{n}"
    );

    // A connection as root is held too (login_asset_confirm).
    let (_, d) = ask(
        &app,
        &token,
        "/api/v1/gateway/login-asset",
        json!({"user": "dave", "asset": "web-02", "account": "root"}),
    )
    .await;
    assert_eq!(d["decision"], "review", "{d}");
    let (_, t) = app
        .get(
            &carol,
            &format!("/api/v1/tickets/{}", d["ticket_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(t["type"], "login_asset_confirm");
    assert_eq!(t["assets"][0]["name"], "web-02", "{t}");
    assert_eq!(t["steps"][0]["assignees"].as_array().unwrap().len(), 2);

    // Another gateway cannot see or withdraw this one's tickets.
    let other = service_token(&app).await;
    let (s, _) = gw_get(&app, &other, &format!("/api/v1/tickets/{id}/decision")).await;
    assert_eq!(s, 404);
    let (s, _) = ask(
        &app,
        &other,
        &format!("/api/v1/tickets/{id}/close"),
        json!({}),
    )
    .await;
    assert_eq!(s, 404);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_gateway_long_poll_returns_within_200ms_of_an_approval(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    rules(&app).await;
    let token = service_token(&app).await;
    let (_, d) = ask(
        &app,
        &token,
        "/api/v1/gateway/command",
        json!({"user": "alice", "asset": "web-01", "account": "deploy", "command": "touch /x"}),
    )
    .await;
    let id = d["ticket_id"].as_str().unwrap().to_string();
    let (s, p) = gw_get(&app, &token, &format!("/api/v1/tickets/{id}/decision")).await;
    assert_eq!((s, p["state"].as_str()), (200, Some("pending")));

    let listening = app.live.listeners();
    let waiter = {
        let url = format!("{}/api/v1/tickets/{id}/decision?wait=60", app.url);
        let token = token.clone();
        tokio::spawn(async move {
            let r = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        })
    };
    app.until_listening(listening).await;
    let carol = app.signed_in("carol").await;
    let (s, t) = app
        .post(&carol, &format!("/api/v1/tickets/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 200, "{t}");
    // The approval ends the minute-long wait (the bench measures how fast).
    let d = tokio::time::timeout(Duration::from_secs(45), waiter)
        .await
        .expect("the gateway heard the approval, not its deadline")
        .unwrap();
    assert_eq!(
        (d["state"].as_str(), d["decided"].as_bool()),
        (Some("approved"), Some(true))
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_gateway_withdraws_its_ticket(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    rules(&app).await;
    let token = service_token(&app).await;
    let (_, d) = ask(
        &app,
        &token,
        "/api/v1/gateway/command",
        json!({"user": "dave", "asset": "web-01", "account": "deploy", "command": "echo hi"}),
    )
    .await;
    let id = d["ticket_id"].as_str().unwrap().to_string();
    let (s, t) = ask(
        &app,
        &token,
        &format!("/api/v1/tickets/{id}/close"),
        json!({}),
    )
    .await;
    assert_eq!((s, t["state"].as_str()), (200, Some("closed")), "{t}");
    let (s, _) = ask(
        &app,
        &token,
        &format!("/api/v1/tickets/{id}/close"),
        json!({}),
    )
    .await;
    assert_eq!(s, 409, "a closed ticket stays closed");
    let (_, p) = gw_get(
        &app,
        &token,
        &format!("/api/v1/tickets/{id}/decision?wait=5"),
    )
    .await;
    assert_eq!(
        (p["state"].as_str(), p["decided"].as_bool()),
        (Some("closed"), Some(true))
    );
    // The reviewer cannot approve it any more.
    let carol = app.signed_in("carol").await;
    let (s, _) = app
        .post(&carol, &format!("/api/v1/tickets/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 409);

    // A revoked service token is refused.
    let admin = app.signed_in("admin").await;
    let (_, list) = app.get(&admin, "/api/v1/service-tokens").await;
    let tid = list["items"][0]["id"].as_str().unwrap().to_string();
    assert!(list["items"][0].get("token").is_none(), "never the secret");
    let (s, _) = app
        .delete_json(&admin, &format!("/api/v1/service-tokens/{tid}"))
        .await;
    assert_eq!(s, 204);
    let (s, _) = gw_get(&app, &token, &format!("/api/v1/tickets/{id}/decision")).await;
    assert_eq!(s, 401);
    // Only super admins manage service tokens.
    let bob = app.signed_in("bob").await;
    let (s, _) = app
        .post(&bob, "/api/v1/service-tokens", json!({"name": "x"}))
        .await;
    assert_eq!(s, 403);
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn grants_check_with_a_service_token_agrees_with_grants(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let token = service_token(&app).await;
    let alice = app.signed_in("alice").await;
    let admin = app.signed_in("admin").await;
    let default = org(&pool, "Default").await;
    let web01 = asset(&pool, "web-01").await;
    let web02 = asset(&pool, "web-02").await;
    let alice_id = user(&pool, "alice").await;
    let check = |asset: uuid::Uuid, account: &str, action: &str| {
        format!(
            "/api/v1/grants/check?user={alice_id}&asset={asset}&account={account}&action={action}"
        )
    };
    let (s, c) = gw_get(&app, &token, &check(web01, "root", "connect")).await;
    assert_eq!((s, c["allowed"].as_bool()), (200, Some(false)), "{c}");

    let now = chrono::Utc::now();
    let (s, t) = app
        .post(
            &alice,
            "/api/v1/tickets",
            json!({"type": "apply_asset", "org_id": default, "title": "web", "request": {
                "permission_name": "p", "assets": [web01], "accounts": ["root"], "actions": ["connect"],
                "start": now - chrono::Duration::minutes(1), "expiry": now + chrono::Duration::days(1)}}),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let id = t["id"].as_str().unwrap();
    // Default's flow: bob (org admin), then carol.
    for who in ["bob", "carol"] {
        let c = app.signed_in(who).await;
        let (s, t) = app
            .post(&c, &format!("/api/v1/tickets/{id}/approve"), json!({}))
            .await;
        assert_eq!(s, 200, "{who}: {t}");
    }

    let (_, c) = gw_get(&app, &token, &check(web01, "root", "connect")).await;
    assert_eq!(
        (c["allowed"].as_bool(), c["grant_id"].as_str()),
        (Some(true), Some(id))
    );
    for (a, acc, act) in [
        (web02, "root", "connect"),
        (web01, "deploy", "connect"),
        (web01, "root", "upload"),
    ] {
        let (_, c) = gw_get(&app, &token, &check(a, acc, act)).await;
        assert_eq!(c["allowed"], false, "{acc} {act}");
    }
    // Expired: refused.
    sqlx::query("UPDATE grants SET valid_until = now() - interval '1 minute' WHERE id = $1::uuid")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let (_, c) = gw_get(&app, &token, &check(web01, "root", "connect")).await;
    assert_eq!(c["allowed"], false);
    sqlx::query("UPDATE grants SET valid_until = now() + interval '1 day' WHERE id = $1::uuid")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    let (_, c) = gw_get(&app, &token, &check(web01, "root", "connect")).await;
    assert_eq!(c["allowed"], true);
    // Revoked: refused.
    let (s, _) = app
        .delete_json(&admin, &format!("/api/v1/grants/{id}"))
        .await;
    assert!(s == 200 || s == 204, "{s}");
    let (_, c) = gw_get(&app, &token, &check(web01, "root", "connect")).await;
    assert_eq!(c["allowed"], false);
    // Bad queries are 4xx for a gateway too.
    let (s, _) = gw_get(&app, &token, &check(web01, "root", "fly")).await;
    assert_eq!(s, 422);
}

fn gate(app: &TestApp, token: &str, user: &str, args: &[&str]) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_tollgate-gate"));
    c.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TOLLGATE_URL", &app.url)
        .env("TOLLGATE_SERVICE_TOKEN", token)
        .env("USER", user)
        .env("TOLLGATE_ASSET", "web-01")
        .env("TOLLGATE_ACCOUNT", "deploy")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn tollgate_gate_runs_an_approved_command_and_never_a_refused_one(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    rules(&app).await;
    let token = service_token(&app).await;
    let dir = std::env::temp_dir().join(format!("tollgate-gate-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("out");
    let cmd = format!("echo ran > {}", file.display());

    // Review: it waits, prints the ticket URL; carol approves; it runs the command.
    let mut child = gate(&app, &token, "alice", &[&cmd]).spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    while let Some(line) = err.next_line().await.unwrap() {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("waiting for a reviewer") {
            break;
        }
    }
    assert!(seen.contains("/tickets/"), "{seen}");
    assert!(!file.exists(), "nothing runs before the approval");
    let id: uuid::Uuid = sqlx::query_scalar("SELECT ticket_id FROM gateway_tickets")
        .fetch_one(&pool)
        .await
        .unwrap();
    let carol = app.signed_in("carol").await;
    let (s, _) = app
        .post(&carol, &format!("/api/v1/tickets/{id}/approve"), json!({}))
        .await;
    assert_eq!(s, 200);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the gate finishes")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "ran\n");
    std::fs::remove_file(&file).unwrap();

    // The command's own exit code passes through (no rule matches `exit`).
    let out = gate(&app, &token, "alice", &["exit 7"])
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    // SSH_ORIGINAL_COMMAND is used when no command is given.
    let out = gate(&app, &token, "alice", &[])
        .env("SSH_ORIGINAL_COMMAND", "printf ok")
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    assert_eq!(
        (out.status.code(), out.stdout.as_slice()),
        (Some(0), &b"ok"[..])
    );

    // Reject: never runs, exit 10 with the reason.
    let reject = format!("shutdown -h now; echo ran > {}", file.display());
    let out = gate(&app, &token, "alice", &[&reject])
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(10));
    assert!(String::from_utf8_lossy(&out.stderr).contains("never shutdown"));
    assert!(!file.exists());

    // A reviewer rejects: exit 10, nothing ran.
    let mut child = gate(&app, &token, "dave", &[&cmd]).spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap()).lines();
    while let Some(line) = err.next_line().await.unwrap() {
        if line.contains("waiting for a reviewer") {
            break;
        }
    }
    let id: uuid::Uuid = sqlx::query_scalar(
        "SELECT g.ticket_id FROM gateway_tickets g JOIN tickets t ON t.id = g.ticket_id
         WHERE t.state = 'pending'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let (s, _) = app
        .post(
            &carol,
            &format!("/api/v1/tickets/{id}/reject"),
            json!({"comment": "not now"}),
        )
        .await;
    assert_eq!(s, 200);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(10));
    assert!(!file.exists());

    // Given up after --timeout: the ticket is withdrawn, exit 11.
    let out = gate(&app, &token, "dave", &["--timeout", "1", &cmd])
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(11),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets WHERE state = 'pending'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(open, 0, "the timed-out request was withdrawn");
    assert!(!file.exists());

    // Usage and reachability.
    let out = gate(&app, &token, "alice", &["ls"])
        .env_remove("TOLLGATE_URL")
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(12));
    let out = gate(&app, "tgs_bogus", "alice", &["ls"])
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(12));
    let out = gate(&app, &token, "alice", &["ls"])
        .env("TOLLGATE_URL", "http://127.0.0.1:9")
        .spawn()
        .unwrap()
        .wait_with_output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(13));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A review rule for `rm` (commands) and one for root logins, both letting an approval answer
/// again for 30 minutes; carol reviews.
async fn reusing_rules(app: &TestApp) {
    let admin = app.signed_in("admin").await;
    let default = org(&app.pool, "Default").await;
    let carol = user(&app.pool, "carol").await;
    for (path, body) in [
        (
            "/api/v1/acls/command-filter",
            json!({"name": "review rm", "priority": 10, "org_id": default,
            "command_groups": [{"patterns": ["rm"], "kind": "command"}],
            "action": "review", "reviewers": [carol], "reuse_minutes": 30}),
        ),
        (
            "/api/v1/acls/login-asset",
            json!({"name": "review root", "priority": 10, "org_id": default,
            "accounts": {"names": ["root"]}, "action": "review", "reviewers": [carol], "reuse_minutes": 30}),
        ),
    ] {
        let (s, r) = app.post(&admin, path, body).await;
        assert_eq!(s, 201, "{r}");
        assert_eq!(r["reuse_minutes"], 30, "{r}");
    }
    // Out of bounds: refused by field.
    for bad in [0, 1441] {
        let (s, r) = app
            .post(
                &admin,
                "/api/v1/acls/login-asset",
                json!({"name": "bad", "priority": 11,
                "org_id": default, "action": "review", "reviewers": [carol], "reuse_minutes": bad}),
            )
            .await;
        assert_eq!(
            (s, r["error"]["field"].as_str()),
            (422, Some("reuse_minutes")),
            "{r}"
        );
    }
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_approval_answers_the_same_question_within_the_rules_window_and_no_other(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    reusing_rules(&app).await;
    let token = service_token(&app).await;
    let carol = app.signed_in("carol").await;
    let command = |user: &str, cmd: &str| json!({"user": user, "asset": "web-01", "account": "deploy", "command": cmd});
    let ask_command = |body: Value| {
        let (app, token) = (&app, &token);
        async move { ask(app, token, "/api/v1/gateway/command", body).await.1 }
    };
    let first = ask_command(command("alice", "rm -rf /srv/old")).await;
    assert_eq!(first["decision"], "review", "{first}");
    let t1 = first["ticket_id"].as_str().unwrap().to_string();
    // Waiting is not approved: the same question asks again (a second ticket).
    let waiting = ask_command(command("alice", "rm -rf /srv/old")).await;
    assert_eq!(waiting["decision"], "review", "{waiting}");
    let (s, _) = app.act(&carol, &json!(t1), "approve", json!({})).await;
    assert_eq!(s, 200);

    // Approved: the same user, asset, account and command line is accepted at once.
    let again = ask_command(command("alice", "rm -rf /srv/old")).await;
    assert_eq!(
        (again["decision"].as_str(), again["ticket_id"].as_str()),
        (Some("accept"), Some(t1.as_str())),
        "{again}"
    );
    assert!(
        again["reason"]
            .as_str()
            .unwrap()
            .contains("approved the same command"),
        "{again}"
    );
    // Not another command line, nor another person.
    assert_eq!(
        ask_command(command("alice", "rm -rf /srv/new")).await["decision"],
        "review"
    );
    assert_eq!(
        ask_command(command("dave", "rm -rf /srv/old")).await["decision"],
        "review"
    );

    // Thirty-one minutes later (the clock moved in the database) it asks again.
    sqlx::query(
        "UPDATE tickets SET updated_at = updated_at - interval '31 minutes' WHERE id = $1::uuid",
    )
    .bind(&t1)
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(
        ask_command(command("alice", "rm -rf /srv/old")).await["decision"],
        "review"
    );

    // Connections: the same, and a rejected review is never reused.
    let login = |asset: &str| json!({"user": "alice", "asset": asset, "account": "root"});
    let l1 = ask(&app, &token, "/api/v1/gateway/login-asset", login("web-02"))
        .await
        .1;
    assert_eq!(l1["decision"], "review", "{l1}");
    app.act(&carol, &l1["ticket_id"], "reject", json!({})).await;
    let l2 = ask(&app, &token, "/api/v1/gateway/login-asset", login("web-02"))
        .await
        .1;
    assert_eq!(
        l2["decision"], "review",
        "a rejection answers nothing: {l2}"
    );
    app.act(&carol, &l2["ticket_id"], "approve", json!({}))
        .await;
    let l3 = ask(&app, &token, "/api/v1/gateway/login-asset", login("web-02"))
        .await
        .1;
    assert_eq!(
        (l3["decision"].as_str(), &l3["ticket_id"]),
        (Some("accept"), &l2["ticket_id"]),
        "{l3}"
    );
    let other = ask(&app, &token, "/api/v1/gateway/login-asset", login("web-01"))
        .await
        .1;
    assert_eq!(other["decision"], "review", "another asset: {other}");
}
