//! Operations, with the real binary: JSON logs, `/healthz` and `/readyz`, metrics on their own
//! address, and a stop on SIGTERM
//! that ends event streams with a `reconnect` hint and exits promptly.

use std::process::Stdio;
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// The URL of the database `pool` is connected to (a test's own), from DATABASE_URL's server.
fn url_of(pool: &PgPool) -> String {
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
        .env("TOLLGATE_DEMO", "false")
        .env("TOLLGATE_LOG_FORMAT", "json")
        .env("TOLLGATE_METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
        .env("TOLLGATE_ADMIN_USERNAME", "ops")
        .env("TOLLGATE_ADMIN_PASSWORD", "a-long-ops-password-1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = child.stderr.take().unwrap();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            if line.contains("Tollgate is running at") {
                return;
            }
        }
        panic!("the server ended before serving");
    })
    .await
    .expect("serving within 60 s");
    let base = format!("http://127.0.0.1:{port}");
    for probe in ["/healthz", "/readyz"] {
        let r = reqwest::get(format!("{base}{probe}")).await.unwrap();
        assert_eq!(r.status(), 200, "{probe}");
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
