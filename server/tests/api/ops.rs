//! Operations, with the real binary: JSON logs, `/healthz` and `/readyz`, metrics on their own
//! address, and a stop on SIGTERM that ends event streams with a `reconnect` hint, answers long
//! polls, finishes a request in flight and exits promptly; `/readyz` while a migration is missing.

use std::process::Stdio;
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// Waits (90 s at most) until the binary started as `child`, its standard output piped, says it
/// serves; that line (what it prints later is read and dropped). Panics when it ends before.
pub async fn until_serving(child: &mut tokio::process::Child) -> String {
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let said = tokio::time::timeout(Duration::from_secs(90), async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            if line.contains("Tollgate is running at") {
                return line;
            }
        }
        panic!("the server ended before serving");
    })
    .await
    .expect("serving within 90 s");
    // The rest is read too: a closed pipe would fail the server's next line.
    tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
    said
}

/// The URL of the database `pool` is connected to (a test's own), from DATABASE_URL's server.
pub fn url_of(pool: &PgPool) -> String {
    let mut url = url::Url::parse(&std::env::var("DATABASE_URL").unwrap()).unwrap();
    url.set_path(pool.connect_options().get_database().unwrap());
    url.to_string()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_binary_logs_json_is_ready_and_stops_cleanly_on_sigterm(pool: PgPool) {
    let port = crate::tls::free_port();
    let metrics_port = crate::tls::free_port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url_of(&pool))
        .env("TOLLGATE_ADDR", format!("127.0.0.1:{port}"))
        .env("TOLLGATE_DEMO", "true")
        .env("TOLLGATE_LOG_FORMAT", "json")
        .env("TOLLGATE_METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
        .env("TOLLGATE_ADMIN_USERNAME", "ops")
        .env("TOLLGATE_ADMIN_PASSWORD", "a-long-ops-password-1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    until_serving(&mut child).await;
    let base = format!("http://127.0.0.1:{port}");
    // The probes answer whoever asks (a load balancer signs in nowhere), not a sign-in page.
    for (probe, says) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let r = reqwest::get(format!("{base}{probe}")).await.unwrap();
        assert_eq!(r.status(), 200, "{probe}");
        assert_eq!(r.url().path(), probe, "{probe} was redirected");
        assert_eq!(r.text().await.unwrap(), says, "{probe}");
    }
    // Metrics on their own address without a token; the public one has none to give.
    let r = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("tollgate_http_requests_total"));
    let r = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(r.status(), 404);

    // A browser's event stream is open when the stop is asked for.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = browser
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "ops", "password": "a-long-ops-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let stream = browser
        .get(format!("{base}/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut body = stream.bytes_stream();
    // A person waits on their pending ticket's decision (a long poll of up to a minute).
    let alice = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = alice
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": tollgate_server::usecases::demo::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let org: uuid::Uuid = sqlx::query_scalar("SELECT id FROM orgs WHERE name = 'Default'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let asset: uuid::Uuid = sqlx::query_scalar("SELECT id FROM assets WHERE name = 'web-01'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let r = alice
        .post(format!("{base}/api/v1/tickets"))
        .json(&crate::helpers::TestApp::apply_body(
            org,
            "Waiting",
            &[asset],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let ticket: serde_json::Value = r.json().await.unwrap();
    let poll = tokio::spawn(
        alice
            .get(format!(
                "{base}/api/v1/tickets/{}/decision?wait=60",
                ticket["id"].as_str().unwrap()
            ))
            .send(),
    );
    // A request in flight: its head sent, half its body still to come.
    let login = r#"{"username": "alice", "password": "not hers"}"#;
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (first, rest) = login.split_at(10);
    slow.write_all(
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
            login.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // Their requests are in: the server holds them open.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !poll.is_finished(),
        "the long poll answered before any decision"
    );

    let pid = child.id().unwrap() as i32;
    // SAFETY: kill has no memory preconditions; pid is our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else { break };
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("the stream ends within 10 s of SIGTERM");
    assert!(seen.contains("event: reconnect"), "{seen}");
    assert!(seen.contains("retry: 1000"), "{seen}");
    // The long poll answers what is known now (undecided), well before its minute is up.
    let r = tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("the long poll answers within 10 s of SIGTERM")
        .unwrap()
        .unwrap();
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["decided"], false, "{answer}");
    assert_eq!(answer["state"], "pending", "{answer}");
    // The request in flight gets the rest of its body and is answered (a wrong password).
    slow.write_all(rest.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(5), slow.read_exact(&mut head))
        .await
        .expect("the request in flight is answered")
        .unwrap();
    assert_eq!(&head, b"HTTP/1.1 401", "{}", String::from_utf8_lossy(&head));
    let status = tokio::time::timeout(Duration::from_secs(12), child.wait())
        .await
        .expect("the process exits within 10 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");

    // Every log line is one JSON object.
    let mut logs = String::new();
    stderr.read_to_string(&mut logs).await.unwrap();
    assert!(logs.contains("shutting down"), "{logs}");
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            v["level"].is_string() && v["timestamp"].is_string(),
            "{line}"
        );
    }
}

/// `/readyz` answers 503 naming the cause while the database lacks one of this binary's
/// migrations (a newer binary started before its migrations ran), and 200 again once it has it.
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn readyz_is_not_ready_while_a_migration_is_missing(pool: PgPool) {
    let app = crate::helpers::TestApp::spawn(pool.clone(), false).await;
    let readyz = || async {
        let r = reqwest::get(format!("{}/readyz", app.url)).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(readyz().await, (200, "ready".to_string()));
    let newest: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    let applied = |done: bool| {
        let pool = pool.clone();
        async move {
            sqlx::query("UPDATE _sqlx_migrations SET success = $1 WHERE version = $2")
                .bind(done)
                .bind(newest)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    applied(false).await;
    assert_eq!(
        readyz().await,
        (503, "migrations not applied yet".to_string())
    );
    // /healthz says only that it is alive and reaches the database.
    let r = reqwest::get(format!("{}/healthz", app.url)).await.unwrap();
    assert_eq!(r.status(), 200);
    applied(true).await;
    assert_eq!(readyz().await, (200, "ready".to_string()));
}
