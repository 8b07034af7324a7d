//! Faults, with the real `tollgate` binary: the server killed with SIGKILL in the middle of a
//! burst of approvals, and Postgres stopped and started again under the server's feet.

use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::Client;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::helpers::TestApp;

/// A `tollgate` server process.
pub(crate) struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    /// Starts `target/debug/tollgate` over `database_url` on a free port.
    pub(crate) async fn start(database_url: &str, demo: bool) -> Server {
        Self::start_with(database_url, demo, &[]).await
    }

    /// [`Server::start`] with more environment variables.
    pub(crate) async fn start_with(database_url: &str, demo: bool, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .envs(env.iter().copied())
            .env("DATABASE_URL", database_url)
            .env("TOLLGATE_ADDR", "127.0.0.1:0")
            .env("TOLLGATE_DEMO", demo.to_string())
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn tollgate");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(url) = line.strip_prefix("Tollgate is running at ") {
                    return url.trim().to_string();
                }
            }
            panic!("tollgate ended before it listened");
        })
        .await
        .expect("tollgate listens within 60 s");
        // Keep draining its output so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Server { child, url }
    }

    async fn kill(&mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("wait");
    }
}

/// The test database's URL (`#[sqlx::test]` made it on the server of `DATABASE_URL`).
pub(crate) async fn url_of(pool: &PgPool) -> String {
    let db: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let (server, _) = base.rsplit_once('/').expect("a database in DATABASE_URL");
    format!("{server}/{db}")
}

/// An API token of `username`, made through `app`.
async fn token(app: &TestApp, username: &str) -> String {
    let c = app.signed_in(username).await;
    let (s, t) = app
        .post(&c, "/api/v1/tokens", json!({"name": "faults"}))
        .await;
    assert_eq!(s, 201, "{t}");
    t["token"].as_str().unwrap().to_string()
}

async fn approve(url: &str, token: &str, id: Uuid) -> Result<u16, reqwest::Error> {
    let r = Client::new()
        .post(format!("{url}/api/v1/tickets/{id}/approve"))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await?;
    let s = r.status().as_u16();
    // Acknowledged means the whole answer arrived.
    r.bytes().await?;
    Ok(s)
}

/// (state, grants, approved events, approved assignee rows) of a ticket.
async fn ticket_facts(pool: &PgPool, id: Uuid) -> (String, i64, i64, i64) {
    sqlx::query_as(
        "SELECT state,
                (SELECT count(*) FROM grants WHERE id = t.id),
                (SELECT count(*) FROM ticket_events WHERE ticket_id = t.id AND kind = 'approved'),
                (SELECT count(*) FROM ticket_assignees WHERE ticket_id = t.id AND decision = 'approved')
         FROM tickets t WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn sigkill_during_a_burst_of_approvals_loses_no_acknowledged_one(pool: PgPool) {
    const TICKETS: usize = 40;
    const KILL_AFTER: usize = 8;
    let app = TestApp::spawn(pool.clone(), true).await;
    // One level, bob (Default's admin): an approval decides the ticket and makes its grant.
    app.set_default_flow(json!({
        "levels": [{"selector": {"users": [], "super_admins": false, "org_admins": true}, "rule": "any"}],
        "cc": [],
    }))
    .await;
    let alice = app.signed_in("alice").await;
    let web1 = app.asset_id("web-01").await;
    let mut ids = Vec::new();
    for _ in 0..TICKETS {
        let t = app.open_default(&alice, &[web1]).await;
        ids.push(t["id"].as_str().unwrap().parse::<Uuid>().unwrap());
    }
    let bob = token(&app, "bob").await;
    let db = url_of(&pool).await;

    let mut server = Server::start(&db, false).await;
    let (acks_tx, mut acks_rx) = tokio::sync::mpsc::unbounded_channel();
    let calls: Vec<_> = ids
        .iter()
        .map(|&id| {
            let (url, bob, acks) = (server.url.clone(), bob.clone(), acks_tx.clone());
            tokio::spawn(async move {
                let r = approve(&url, &bob, id).await;
                if matches!(r, Ok(200)) {
                    let _ = acks.send(id);
                }
                (id, r)
            })
        })
        .collect();
    for _ in 0..KILL_AFTER {
        acks_rx.recv().await.expect("an approval is acknowledged");
    }
    server.kill().await;
    let results: Vec<(Uuid, Result<u16, reqwest::Error>)> = join_all(calls)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let acked: Vec<Uuid> = results
        .iter()
        .filter(|(_, r)| matches!(r, Ok(200)))
        .map(|(id, _)| *id)
        .collect();
    let cut_off = results.iter().filter(|(_, r)| r.is_err()).count();
    for (id, r) in &results {
        if let Ok(s) = r {
            assert_eq!(*s, 200, "{id}: an approval that was answered succeeded");
        }
    }
    assert!(acked.len() >= KILL_AFTER);
    assert!(cut_off > 0, "the kill came in the middle of the burst");

    // Every acknowledged approval is there; every ticket is wholly approved or wholly pending.
    for &id in &ids {
        let facts = ticket_facts(&pool, id).await;
        match facts.0.as_str() {
            "approved" => assert_eq!(facts, ("approved".into(), 1, 1, 1), "{id}"),
            "pending" => assert_eq!(facts, ("pending".into(), 0, 0, 0), "{id}"),
            other => panic!("{id}: {other}"),
        }
        if acked.contains(&id) {
            assert_eq!(facts.0, "approved", "{id} was acknowledged");
        }
    }
    let orphans = app
        .count(
            "SELECT count(*) FROM grants g JOIN tickets t ON t.id = g.id WHERE t.state <> 'approved'",
        )
        .await;
    assert_eq!(orphans, 0, "no grant without its approved ticket");

    let committed = ids.len()
        - app
            .count("SELECT count(*) FROM tickets WHERE state = 'pending'")
            .await as usize;
    // A restarted server finishes the rest; what was done is refused as already decided.
    let server = Server::start(&db, false).await;
    for &id in &ids {
        let s = approve(&server.url, &bob, id).await.expect("answered");
        if acked.contains(&id) {
            assert_eq!(s, 409, "{id} is approved already");
        } else {
            assert!(s == 200 || s == 409, "{id}: {s}");
        }
    }
    let approved = app
        .count("SELECT count(*) FROM tickets WHERE state = 'approved'")
        .await;
    assert_eq!(approved, TICKETS as i64);
    let unanswered = committed - acked.len();
    assert_eq!(
        app.count("SELECT count(*) FROM grants").await,
        TICKETS as i64
    );
    println!(
        "{} acknowledged before the kill, {cut_off} cut off ({unanswered} of them committed)",
        acked.len()
    );
}

/// Stops the private Postgres of the test (and removes its folder) however the test ends.
struct PrivatePg {
    pg: tollgate_server::store::local_pg::LocalPg,
    dir: std::path::PathBuf,
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = self.pg.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn get(c: &Client, url: &str, token: &str) -> (u16, Value) {
    match c.get(url).bearer_auth(token).send().await {
        Ok(r) => {
            let s = r.status().as_u16();
            (s, r.json().await.unwrap_or(Value::Null))
        }
        Err(e) => panic!("{url}: no answer at all: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_load_gives_503s_then_recovers_by_itself() {
    // A Postgres of its own: stopping the shared test cluster would break the other tests.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = std::env::temp_dir().join(format!("tollgate-pg-restart-{}", Uuid::new_v4()));
    let pg = PrivatePg {
        pg: tollgate_server::store::local_pg::LocalPg::new(&dir, port, true).unwrap(),
        dir,
    };
    let db = tokio::task::block_in_place(|| pg.pg.ensure_started("tollgate")).unwrap();
    let server = Server::start(&db, true).await;
    let c = Client::new();
    let r = c
        .post(format!("{}/api/v1/auth/login", server.url))
        .json(&json!({"username": "alice", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let t: Value = c
        .post(format!("{}/api/v1/tokens", server.url))
        .header("cookie", &cookie)
        .json(&json!({"name": "load"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = t["token"].as_str().unwrap().to_string();
    let tickets = format!("{}/api/v1/tickets", server.url);
    assert_eq!(get(&c, &tickets, &token).await.0, 200);

    // Load: a steady stream of reads, from before the stop until after the start.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let (c, tickets, token, stop) = (c.clone(), tickets.clone(), token.clone(), stop.clone());
        tokio::spawn(async move {
            let mut seen = std::collections::BTreeMap::<u16, usize>::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (s, body) = get(&c, &tickets, &token).await;
                assert!(s == 200 || s == 503, "{s}: {body}");
                if s == 503 {
                    assert_eq!(body["error"]["code"], "unavailable", "{body}");
                }
                *seen.entry(s).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            seen
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    tokio::task::block_in_place(|| pg.pg.stop()).unwrap();
    let asked = Instant::now();
    let (s, e) = get(&c, &tickets, &token).await;
    let refused_in = asked.elapsed();
    assert_eq!(s, 503, "{e}");
    assert_eq!(e["error"]["code"], "unavailable");
    let h = c
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status(), 503);
    tokio::time::sleep(Duration::from_secs(1)).await;

    tokio::task::block_in_place(|| pg.pg.ensure_started("tollgate")).unwrap();
    let started = Instant::now();
    loop {
        let (s, _) = get(&c, &tickets, &token).await;
        if s == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not back 20 s after Postgres"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let back_after = started.elapsed();
    // Writes work again too.
    let r = c
        .post(format!("{}/api/v1/notifications/read", server.url))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = load.await.unwrap();
    assert!(seen.get(&503).copied().unwrap_or(0) > 0, "{seen:?}");
    assert!(seen.get(&200).copied().unwrap_or(0) > 0, "{seen:?}");
    println!(
        "answers under load: {seen:?}; a 503 took {refused_in:?}; back {back_after:?} after Postgres"
    );
    drop(server);
}
