//! TLS with the real binaries: Tollgate reaching a Postgres that serves TLS (`sslmode`,
//! `sslrootcert`, `TOLLGATE_CA_FILE`) and refusing to start, naming the cause, when the
//! certificate is not to be trusted; Tollgate serving HTTPS itself (Secure cookies, a renewed
//! certificate read again); `tollgate-gate` reaching it over HTTPS.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use crate::helpers::TestApp;
use crate::pki::Pki;

const TOLLGATE: &str = env!("CARGO_BIN_EXE_tollgate");

pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// A private Postgres serving TLS with a certificate for `localhost`; stopped when dropped.
struct TlsPostgres {
    data: PathBuf,
    port: u16,
}

impl TlsPostgres {
    fn start(pki: &Pki) -> TlsPostgres {
        let leaf = pki.leaf("postgres", &["localhost"]);
        let data = pki.dir.join("pg");
        let port = free_port();
        let out = std::process::Command::new(TOLLGATE)
            .args(["local-pg", "--fast", "--database", "tollgate"])
            .arg("--data")
            .arg(&data)
            .args(["--port", &port.to_string()])
            .arg("--tls-cert")
            .arg(&leaf.cert)
            .arg("--tls-key")
            .arg(&leaf.key)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        TlsPostgres { data, port }
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/tollgate?{query}", self.port)
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        let _ = std::process::Command::new(TOLLGATE)
            .args(["local-pg", "--stop", "--port", &self.port.to_string()])
            .arg("--data")
            .arg(&self.data)
            .output();
    }
}

/// How a start of the server ended.
enum Start {
    /// It served (and was stopped).
    Served,
    /// It exited with this on its standard error.
    Refused(String),
}

/// Starts `tollgate` with `env` and waits until it serves or exits.
async fn start_server(env: &[(&str, &str)]) -> Start {
    let mut cmd = tokio::process::Command::new(TOLLGATE);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TOLLGATE_ADDR", "127.0.0.1:0")
        .env("TOLLGATE_DEMO", "false")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = child.stderr.take().unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(90), async {
        while let Ok(Some(line)) = stdout.next_line().await {
            if line.contains("Tollgate is running at") {
                return Start::Served;
            }
        }
        let mut err = String::new();
        stderr.read_to_string(&mut err).await.unwrap();
        Start::Refused(err)
    })
    .await
    .expect("the server serves or exits within 90 s");
    let _ = child.kill().await;
    outcome
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test]
async fn the_server_uses_verified_tls_to_postgres_and_refuses_an_untrusted_one() {
    let ca = Pki::new("postgres");
    let other = Pki::new("postgres-other");
    let pg = TlsPostgres::start(&ca);

    // verify-full with the CA named in the URL, or by TOLLGATE_CA_FILE.
    let url = pg.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", path(&ca.ca_file)),
    );
    assert!(matches!(
        start_server(&[("DATABASE_URL", &url)]).await,
        Start::Served
    ));
    let url = pg.url("localhost", "sslmode=verify-full");
    assert!(matches!(
        start_server(&[
            ("DATABASE_URL", &url),
            ("TOLLGATE_CA_FILE", path(&ca.ca_file))
        ])
        .await,
        Start::Served
    ));

    // Another CA, a name the certificate does not carry, or no CA at all: it does not start,
    // and says why.
    for (url, ca_file, why) in [
        (
            pg.url(
                "localhost",
                &format!("sslmode=verify-full&sslrootcert={}", path(&other.ca_file)),
            ),
            None,
            "not signed by a trusted CA",
        ),
        (
            pg.url("127.0.0.1", "sslmode=verify-full"),
            Some(path(&ca.ca_file)),
            "not valid for the host name",
        ),
        (
            pg.url("localhost", "sslmode=verify-ca"),
            None,
            "not signed by a trusted CA",
        ),
    ] {
        let mut env = vec![("DATABASE_URL", url.as_str())];
        if let Some(f) = ca_file {
            env.push(("TOLLGATE_CA_FILE", f));
        }
        match start_server(&env).await {
            Start::Served => panic!("{url} was trusted"),
            Start::Refused(err) => {
                eprintln!("refused as expected: {err}");
                assert!(err.contains("cannot connect to the database"), "{err}");
                assert!(err.contains(why), "{why}: {err}");
            }
        }
    }

    // A CA file that is not one refuses the start too.
    let url = pg.url("localhost", "sslmode=verify-full");
    match start_server(&[("DATABASE_URL", &url), ("TOLLGATE_CA_FILE", path(&pg.data))]).await {
        Start::Served => panic!("a folder was taken for a CA file"),
        Start::Refused(err) => assert!(err.contains("TOLLGATE_CA_FILE"), "{err}"),
    }
}

/// A browser that trusts `ca` signs alice in over HTTPS at `url`; the session cookie is Secure.
async fn signs_in_with_a_secure_cookie(ca: &Pki, url: &str) {
    let r = client_trusting(ca)
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"username": "alice", "password": tollgate_server::usecases::demo::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
}

/// A client that trusts `ca` (and the Mozilla roots) only.
fn client_trusting(ca: &Pki) -> reqwest::Client {
    let roots = tollgate_server::tls::Roots::with_ca_file(&ca.ca_file).unwrap();
    reqwest::Client::builder()
        .use_preconfigured_tls(roots.client_config())
        .build()
        .unwrap()
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn tollgate_serves_https_with_secure_cookies_and_reloads_its_certificate(pool: PgPool) {
    use tollgate_server::http::serve::Tls;
    let app = TestApp::spawn(pool, true).await;
    let ca = Pki::new("https");
    let leaf = ca.leaf("tollgate", &["localhost"]);
    let tls = Tls::load(&leaf.cert, &leaf.key).unwrap();
    let url = app.spawn_https(tls.clone(), &leaf.cert).await;

    signs_in_with_a_secure_cookie(&ca, &url).await;
    // One that does not trust it is refused by its own verification.
    let e = reqwest::get(format!("{url}/healthz")).await.unwrap_err();
    let text = tollgate_server::jobs::egress::error_chain(&e);
    assert!(text.contains("UnknownIssuer"), "{text}");
    // Plain HTTP on the HTTPS port gets no answer.
    assert!(
        reqwest::get(url.replace("https://", "http://") + "/healthz")
            .await
            .is_err()
    );

    // A renewed certificate (here from another CA) is used for new connections once the files
    // are read again (on SIGHUP); a broken file is refused and the one in use stays.
    let renewed = Pki::new("https-renewed");
    let next = renewed.leaf("tollgate", &["localhost"]);
    std::fs::copy(&next.cert, &leaf.cert).unwrap();
    std::fs::copy(&next.key, &leaf.key).unwrap();
    tls.reload().unwrap();
    let fresh = |ca: &Pki| {
        let c = client_trusting(ca);
        let url = url.clone();
        async move {
            c.get(format!("{url}/healthz"))
                .send()
                .await
                .map(|r| r.status())
        }
    };
    assert_eq!(fresh(&renewed).await.unwrap(), 200);
    assert!(
        fresh(&ca).await.is_err(),
        "the old certificate is no longer served"
    );
    std::fs::write(&leaf.cert, "not a certificate").unwrap();
    let e = tls.reload().unwrap_err();
    assert!(e.contains("tollgate.crt"), "{e}");
    assert_eq!(fresh(&renewed).await.unwrap(), 200);
}

/// The real binary given `TOLLGATE_TLS_CERT`/`TOLLGATE_TLS_KEY`: it serves HTTPS with Secure
/// cookies, and a SIGHUP makes it read renewed files (new connections get the new certificate).
#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn the_binary_serves_https_and_reads_a_renewed_certificate_on_sighup(pool: PgPool) {
    let ca = Pki::new("https-binary");
    let leaf = ca.leaf("tollgate", &["localhost"]);
    let port = free_port();
    let mut child = tokio::process::Command::new(TOLLGATE)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", crate::ops::url_of(&pool))
        .env("TOLLGATE_ADDR", format!("127.0.0.1:{port}"))
        .env("TOLLGATE_DEMO", "true")
        .env("TOLLGATE_TLS_CERT", &leaf.cert)
        .env("TOLLGATE_TLS_KEY", &leaf.key)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let said = crate::ops::until_serving(&mut child).await;
    assert!(said.contains("https://"), "{said}");
    let url = format!("https://localhost:{port}");
    signs_in_with_a_secure_cookie(&ca, &url).await;

    // The certificate is renewed (here by another CA) and the process told so.
    let renewed = Pki::new("https-binary-renewed");
    let next = renewed.leaf("tollgate", &["localhost"]);
    std::fs::copy(&next.cert, &leaf.cert).unwrap();
    std::fs::copy(&next.key, &leaf.key).unwrap();
    let pid = child.id().unwrap() as i32;
    // SAFETY: kill has no memory preconditions; pid is our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    // The signal is handled by a task of its own: new connections move over once it ran.
    let served_renewed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let c = client_trusting(&renewed);
            if let Ok(r) = c.get(format!("{url}/healthz")).send().await {
                return r.status();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the renewed certificate is served within 10 s of SIGHUP");
    assert_eq!(served_renewed, 200);
    assert!(
        client_trusting(&ca)
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_err(),
        "the old certificate is no longer served"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP did not stop it"
    );
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn tollgate_gate_reaches_tollgate_over_https_with_the_ca_file(pool: PgPool) {
    use tollgate_server::http::serve::Tls;
    let app = TestApp::spawn(pool, true).await;
    let token = crate::review_gateway::service_token(&app).await;
    let ca = Pki::new("gate");
    let leaf = ca.leaf("tollgate", &["localhost"]);
    let url = app
        .spawn_https(Tls::load(&leaf.cert, &leaf.key).unwrap(), &leaf.cert)
        .await;
    let gate = |ca_file: Option<&Path>| {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_tollgate-gate"));
        c.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("TOLLGATE_URL", &url)
            .env("TOLLGATE_SERVICE_TOKEN", &token)
            .env("USER", "alice")
            .env("TOLLGATE_ASSET", "web-01")
            .env("TOLLGATE_ACCOUNT", "deploy")
            .arg("printf ran")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if let Some(f) = ca_file {
            c.env("TOLLGATE_CA_FILE", f);
        }
        c
    };
    // No rule holds `printf`: with the CA trusted, Tollgate answers and the command runs.
    let out = gate(Some(&ca.ca_file)).output().await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"ran");
    // Without it, the certificate is refused: Tollgate is unreachable (13), nothing runs.
    let out = gate(None).output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(13), "{err}");
    assert!(err.contains("not signed by a trusted CA"), "{err}");
    assert!(out.stdout.is_empty());
}
