//! Email through a real SMTP conversation (a sink on loopback, written here with tokio): the
//! right recipients, and the one-time approve/reject links: sign-in, single use, one hour,
//! refused once the level moved on, and direct approval when the setting is on.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tollgate_server::jobs::mail::{Mailer, SmtpConfig};
use tollgate_server::jobs::queue::WorkerConfig;

use crate::helpers::TestApp;

#[derive(Debug, Clone)]
struct Mail {
    to: Vec<String>,
    data: String,
}

/// A minimal SMTP server that keeps what it is sent.
async fn smtp_sink() -> (String, Arc<Mutex<Vec<Mail>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let store = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut to = Vec::new();
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if cmd.starts_with("RCPT TO:") {
                        to.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                        b"250 OK\r\n"
                    } else if cmd.starts_with("DATA") {
                        w.write_all(b"354 go on\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            line.clear();
                            r.read_line(&mut line).await.unwrap();
                            if line == ".\r\n" {
                                break;
                            }
                            data.push_str(&line);
                        }
                        store.lock().unwrap().push(Mail {
                            to: std::mem::take(&mut to),
                            data,
                        });
                        b"250 queued\r\n"
                    } else if cmd.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (url, got)
}

/// The text of a quoted-printable mail, soft line breaks undone.
fn text(m: &Mail) -> String {
    m.data.replace("=\r\n", "").replace("=3D", "=")
}

fn link(m: &Mail, label: &str) -> String {
    let t = text(m);
    let start = t.find(&format!("{label}: ")).expect("a link") + label.len() + 2;
    t[start..].split_whitespace().next().unwrap().to_string()
}

fn mail_for<'a>(mails: &'a [Mail], to: &str, subject_has: &str) -> &'a Mail {
    mails
        .iter()
        .find(|m| m.to == [to.to_string()] && text(m).contains(subject_has))
        .unwrap_or_else(|| panic!("no mail to {to} about {subject_has}: {mails:#?}"))
}

fn quick() -> WorkerConfig {
    WorkerConfig {
        lease: Duration::from_secs(5),
        backoff: Duration::from_millis(100),
        max_attempts: 3,
        batch: 50,
        poll: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
        webhook_allow: None,
        roots: tollgate_server::tls::Roots::mozilla(),
        metrics: Default::default(),
    }
}

async fn post_link(c: &reqwest::Client, url: &str) -> (u16, String) {
    let r = c.post(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn mail_reaches_the_right_people_and_its_links_work_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let (smtp, got) = smtp_sink().await;
    let mailer = Mailer::new(
        pool.clone(),
        quick(),
        &SmtpConfig::parse(&smtp, None).unwrap(),
        "Tollgate <tollgate@example.com>",
        &app.url,
    )
    .unwrap();
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let anonymous = app.client();

    let one = app.open_simple(&alice, "Mail one").await;
    assert_eq!(mailer.run_once().await.unwrap(), 1, "bob, level 1");
    assert_eq!(mailer.run_once().await.unwrap(), 0, "sent once");
    let mails = got.lock().unwrap().clone();
    let m = mail_for(&mails, "bob@tollgate.example", "Mail one");
    let t = text(m);
    assert!(t.contains("Content-Type: text/plain") && t.contains("Content-Type: text/html"));
    assert!(t.contains(&format!("{}/tickets/{one}", app.url)));
    let approve = link(m, "Approve");
    let reject = link(m, "Reject");
    assert!(approve.starts_with(&format!("{}/mail/", app.url)));

    // Without direct approval, the link asks for sign-in (and keeps where it was going).
    let r = anonymous.get(&approve).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next=%2Fmail%2F"));
    assert_eq!(post_link(&anonymous, &approve).await.0, 303);
    // Someone else signed in may not use it.
    assert_eq!(post_link(&alice, &approve).await.0, 403);
    // bob sees what it does (a GET never acts), then approves.
    let r = bob.get(&approve).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Approve"));
    let (_, t1) = app.get(&bob, &format!("/api/v1/tickets/{one}")).await;
    assert_eq!(t1["current_level"], 1);
    let (s, page) = post_link(&bob, &approve).await;
    assert_eq!(s, 200, "{page}");
    let (_, t1) = app.get(&bob, &format!("/api/v1/tickets/{one}")).await;
    assert_eq!(
        (t1["state"].as_str(), t1["current_level"].as_i64()),
        (Some("pending"), Some(2))
    );
    // Single use: again, or its sibling reject link, is refused.
    assert_eq!(post_link(&bob, &approve).await.0, 410);
    assert_eq!(post_link(&bob, &reject).await.0, 410);
    assert_eq!(
        post_link(&bob, &format!("{}/mail/nonsense", app.url))
            .await
            .0,
        404
    );

    // Level 2 (carol) and the applicant hear of it; bob hears of a second ticket.
    let two = app.open_simple(&alice, "Mail two").await;
    assert_eq!(mailer.run_once().await.unwrap(), 3);
    let mails = got.lock().unwrap().clone();
    let carol_one = mail_for(&mails, "carol@tollgate.example", "Mail one").clone();
    mail_for(&mails, "alice@tollgate.example", "Level 1 approved");
    let bob_two = mail_for(&mails, "bob@tollgate.example", "Mail two").clone();

    // A link for a level that has moved on is refused.
    let (s, _) = app
        .post(&bob, &format!("/api/v1/tickets/{two}/approve"), json!({}))
        .await;
    assert_eq!(s, 200);
    let (s, page) = post_link(&bob, &link(&bob_two, "Approve")).await;
    assert_eq!(s, 409, "{page}");

    // A link older than an hour is refused.
    sqlx::query("UPDATE email_links SET expires_at = now() - interval '1 second' WHERE ticket_id = $1::uuid")
        .bind(&one)
        .execute(&pool)
        .await
        .unwrap();
    let carol = app.signed_in("carol").await;
    assert_eq!(post_link(&carol, &link(&carol_one, "Approve")).await.0, 410);

    // With direct approval switched on, carol's link for ticket two acts without sign-in.
    assert_eq!(
        mailer.run_once().await.unwrap(),
        2,
        "carol and alice about ticket two"
    );
    let mails = got.lock().unwrap().clone();
    let carol_two = mail_for(&mails, "carol@tollgate.example", "Mail two").clone();
    sqlx::query("INSERT INTO settings (key, value) VALUES ('direct_email_approval', 'true')")
        .execute(&pool)
        .await
        .unwrap();
    let (s, page) = post_link(&anonymous, &link(&carol_two, "Reject")).await;
    assert_eq!(s, 200, "{page}");
    let (_, t2) = app.get(&alice, &format!("/api/v1/tickets/{two}")).await;
    assert_eq!(t2["state"], "rejected");
    assert_eq!(
        mailer.run_once().await.unwrap(),
        1,
        "alice hears of the rejection"
    );
    let mails = got.lock().unwrap().clone();
    let last = mails.last().unwrap();
    assert_eq!(last.to, ["alice@tollgate.example"]);
    assert!(text(last).contains("rejected"));
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn an_unreachable_smtp_server_is_recorded_and_retried_later(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    // Nobody listens here at first.
    let probe = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let mailer = Mailer::new(
        pool.clone(),
        quick(),
        &SmtpConfig::parse(&format!("smtp://{addr}"), None).unwrap(),
        "tollgate@example.com",
        &app.url,
    )
    .unwrap();
    let alice = app.signed_in("alice").await;
    app.open_simple(&alice, "Retry me").await;
    assert_eq!(mailer.run_once().await.unwrap(), 0);
    let (attempts, err): (i32, Option<String>) = sqlx::query_as(
        "SELECT mail_attempts, mail_error FROM notifications WHERE mail_to IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(err.unwrap().contains("SMTP"));
    // Scheduled again after the backoff, not given up.
    let later: bool = sqlx::query_scalar(
        "SELECT mail_visible_at > now() AND mailed_at IS NULL AND mail_failed_at IS NULL
         FROM notifications WHERE mail_to IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(later);
}

/// The Python of the test tools' venv (scripts/install-tools.sh --test), which has aiosmtpd.
fn peers_python() -> std::path::PathBuf {
    let python = std::env::var_os("TOLLGATE_TEST_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.data/venv-peers/bin/python")
        });
    assert!(
        python.exists(),
        "{} is missing: run scripts/install-tools.sh --test",
        python.display()
    );
    python
}

/// A real SMTP server (aiosmtpd, tests/peers/smtpd.py) that requires TLS (STARTTLS, or from
/// the first byte with `--implicit`) and AUTH as `tollgate` / `s3cret` (LOGIN only with
/// `--login-only`, none with `--no-auth`), with `leaf`'s certificate. Returns its port, the folder its mail lands in, and the process (stopped
/// when dropped).
async fn real_smtp_server(
    leaf: &crate::pki::Leaf,
    flags: &[&str],
) -> (u16, std::path::PathBuf, tokio::process::Child) {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let out = leaf.cert.with_extension(format!("mail-{port}"));
    std::fs::create_dir_all(&out).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smtpd.py");
    let mut cmd = tokio::process::Command::new(peers_python());
    cmd.arg(script)
        .arg(port.to_string())
        .arg(&leaf.cert)
        .arg(&leaf.key)
        .args(["tollgate", "s3cret"])
        .arg(&out)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true);
    cmd.args(flags);
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the SMTP server starts");
    assert_eq!(ready.unwrap().as_deref(), Some("ready"));
    (port, out, child)
}

/// The mail the real server accepted: (to, whether over TLS, the AUTH login).
fn accepted(out: &std::path::Path) -> Vec<(Vec<String>, bool, String)> {
    let mut got = vec![];
    for entry in std::fs::read_dir(out).unwrap() {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        got.push((
            serde_json::from_value(m["to"].clone()).unwrap(),
            m["tls"].as_bool().unwrap(),
            m["login"].as_str().unwrap_or("").to_string(),
        ));
    }
    got
}

/// Mails the first due notifications with `smtp` and `roots`; the error of the first one.
async fn mail_once(
    pool: &PgPool,
    app: &TestApp,
    smtp: &str,
    roots: tollgate_server::tls::Roots,
    metrics: &tollgate_server::metrics::SharedMetrics,
) -> (usize, Option<String>) {
    let password_file = leaf_dir_password(smtp);
    let mailer = Mailer::new(
        pool.clone(),
        WorkerConfig {
            roots,
            max_attempts: 12,
            metrics: metrics.clone(),
            ..quick()
        },
        &SmtpConfig::parse(smtp, password_file.as_deref()).unwrap(),
        "Tollgate <tollgate@example.com>",
        &app.url,
    )
    .unwrap();
    let sent = mailer.run_once().await.unwrap();
    let error: Option<String> = sqlx::query_scalar(
        "SELECT mail_error FROM notifications WHERE mail_to IS NOT NULL
         ORDER BY mail_attempts DESC, created_at LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    (sent, error)
}

/// A URL without a password takes it from a file (TOLLGATE_SMTP_PASSWORD_FILE).
fn leaf_dir_password(smtp: &str) -> Option<std::path::PathBuf> {
    let url = url::Url::parse(smtp).unwrap();
    if url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("smtp-password-{}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, "s3cret\n").unwrap();
    Some(file)
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn mail_reaches_a_real_server_over_starttls_or_implicit_tls_with_auth(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let ca = crate::pki::Pki::new("smtp");
    let leaf = ca.leaf("smtp", &["localhost"]);
    let roots = || tollgate_server::tls::Roots::with_ca_file(&ca.ca_file).unwrap();
    let alice = app.signed_in("alice").await;

    // STARTTLS with the password in the URL; TLS from the first byte (smtps://) with the
    // password from a file; a server that offers AUTH LOGIN only; STARTTLS required by the URL
    // where the server asks for no login.
    for (flags, title, url, login) in [
        (
            &[][..],
            "Over STARTTLS",
            "smtp://tollgate:s3cret@localhost:{port}",
            "tollgate",
        ),
        (
            &["--implicit"][..],
            "Over implicit TLS",
            "smtps://tollgate@localhost:{port}",
            "tollgate",
        ),
        (
            &["--login-only"][..],
            "With AUTH LOGIN",
            "smtp://tollgate:s3cret@localhost:{port}",
            "tollgate",
        ),
        (
            &["--no-auth"][..],
            "TLS required, no login",
            "smtp://localhost:{port}?tls=required",
            "",
        ),
    ] {
        let (port, out, _server) = real_smtp_server(&leaf, flags).await;
        app.open_simple(&alice, title).await;
        let (sent, error) = mail_once(
            &pool,
            &app,
            &url.replace("{port}", &port.to_string()),
            roots(),
            &Default::default(),
        )
        .await;
        assert!(sent >= 1, "{title}: {error:?}");
        let got = accepted(&out);
        assert_eq!(got.len(), sent, "{title}");
        assert!(
            got.iter().all(|(_, tls, who)| *tls && who == login),
            "{title}: {got:?}"
        );
    }
}

#[sqlx::test(migrator = "tollgate_server::MIGRATOR")]
async fn a_wrong_password_or_an_untrusted_certificate_fails_visibly_and_is_retried(pool: PgPool) {
    let app = TestApp::spawn(pool.clone(), true).await;
    let ca = crate::pki::Pki::new("smtp-bad");
    let (port, out, _server) = real_smtp_server(&ca.leaf("smtp", &["localhost"]), &[]).await;
    let alice = app.signed_in("alice").await;
    app.open_simple(&alice, "Not sent").await;
    let trusted = || tollgate_server::tls::Roots::with_ca_file(&ca.ca_file).unwrap();
    let metrics = tollgate_server::metrics::SharedMetrics::default();
    // What this test's own thread logs (the mailer runs on it: the test's runtime has one).
    let logs = Logs::default();
    let _logging = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .finish(),
    );

    for (url, roots, why) in [
        (
            format!("smtp://tollgate:wrong@localhost:{port}"),
            trusted(),
            "535",
        ),
        (
            format!("smtp://tollgate:s3cret@localhost:{port}"),
            tollgate_server::tls::Roots::mozilla(),
            "not signed by a trusted CA",
        ),
        (
            format!("smtp://tollgate:s3cret@127.0.0.1:{port}"),
            trusted(),
            "not valid for the host name",
        ),
    ] {
        // Due again at once, as after the backoff.
        sqlx::query("UPDATE notifications SET mail_visible_at = now() WHERE mail_to IS NOT NULL")
            .execute(&pool)
            .await
            .unwrap();
        let (sent, error) = mail_once(&pool, &app, &url, roots, &metrics).await;
        assert_eq!(sent, 0, "{why}");
        let error = error.expect("the failure is recorded");
        assert!(error.contains(why), "{why}: {error}");
        assert!(
            !error.contains("s3cret"),
            "no password in the record: {error}"
        );
    }
    assert!(accepted(&out).is_empty(), "nothing was accepted");
    // Kept, counted and scheduled again: the notification is never lost.
    let (attempts, kept): (i32, bool) = sqlx::query_as(
        "SELECT max(mail_attempts), bool_and(mailed_at IS NULL AND mail_failed_at IS NULL
                AND mail_visible_at > now())
         FROM notifications WHERE mail_to IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(attempts, 3);
    assert!(kept);
    // Each failed attempt is counted for /metrics.
    let text = metrics.render(&pool).await.unwrap();
    assert!(
        text.contains("tollgate_delivery_failures_total{queue=\"mail\"} 3\n"),
        "{text}"
    );
    // And logged with its reason, never with the password.
    let logged = logs.text();
    let lines: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains("attempt failed; will retry"))
        .collect();
    assert_eq!(lines.len(), 3, "{logged}");
    for (line, why) in lines.iter().zip([
        "535",
        "not signed by a trusted CA",
        "not valid for the host name",
    ]) {
        assert!(line.contains(why), "{why}: {line}");
    }
    assert!(
        !logged.contains("s3cret") && !logged.contains("tollgate:wrong"),
        "{logged}"
    );
}

/// Log lines written by a test's own subscriber.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}
