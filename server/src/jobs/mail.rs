//! Email (SPEC §7): each in-app notification of a person with an email address is also mailed
//! when SMTP is configured, by a worker on any instance: the notifications' mail columns are a
//! leased queue, like the outbox (jobs/queue.rs). The notification's id is the mail's `Message-ID`, so a mail
//! sent again after an instance died mid-way is recognisable as the same message (at least once).
//!
//! Mail to an assignee whose decision is asked carries one-time approve and reject links
//! (usecases/mail_links.rs; their pages are http/mail_links.rs).

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use tollgate_app::AppError;
use uuid::Uuid;

use crate::jobs::queue::{self, Queue, QueueWorker, WorkerConfig};
use crate::store::queue::MailDue as Due;
use crate::usecases::mail_links::LINK_TTL_MINUTES;

/// Mail older than this is not sent any more (e.g. when SMTP is configured later).
const STALE_HOURS: i64 = 24;

/// Text made safe for HTML (the mail's HTML part, the card pages).
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// How to reach the SMTP server (`TOLLGATE_SMTP_URL`, `TOLLGATE_SMTP_PASSWORD_FILE`).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// User and password for AUTH (PLAIN or LOGIN, whichever the server offers).
    pub credentials: Option<(String, String)>,
}

/// When the SMTP conversation is encrypted. Certificates are always verified (tls.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtps://`: TLS from the first byte (port 465).
    Implicit,
    /// `smtp://…?tls=required`, or `smtp://` with credentials: STARTTLS or no mail.
    Required,
    /// `smtp://`: STARTTLS when the server offers it.
    Opportunistic,
    /// `smtp://…?tls=none`: plain text (a relay on the same machine).
    None,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SmtpConfig {
    /// Reads `smtp://[user[:password]@]host[:port][?tls=required|opportunistic|none]` or
    /// `smtps://[user[:password]@]host[:port]`; the password may come from `password_file`
    /// instead (its first line). Credentials are never sent in plain text: with them, `smtp://`
    /// requires STARTTLS and `?tls=none` is refused. Err: what is wrong, without the password.
    pub fn parse(url: &str, password_file: Option<&std::path::Path>) -> Result<SmtpConfig, String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
        let (default_port, implicit) = match parsed.scheme() {
            "smtp" => (25, false),
            "smtps" => (465, true),
            other => return Err(format!("the scheme is {other:?}: use smtp:// or smtps://")),
        };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err("no host".into()),
        };
        if host.is_empty() {
            return Err("no host".into());
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| "the user or password is not UTF-8".to_string())
        };
        let user = decode(parsed.username())?;
        let mut password = parsed.password().map(decode).transpose()?;
        if let Some(file) = password_file {
            if password.is_some() {
                return Err("a password both in the URL and in TOLLGATE_SMTP_PASSWORD_FILE".into());
            }
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("TOLLGATE_SMTP_PASSWORD_FILE {}: {e}", file.display()))?;
            password = Some(text.lines().next().unwrap_or("").to_string());
        }
        let credentials = match (user.is_empty(), password) {
            (true, None) => None,
            (false, Some(p)) => Some((user, p)),
            (false, None) => {
                return Err(format!(
                    "user {user:?} without a password (in the URL or TOLLGATE_SMTP_PASSWORD_FILE)"
                ))
            }
            (true, Some(_)) => return Err("a password without a user".into()),
        };
        let mut asked = None;
        for (k, v) in parsed.query_pairs() {
            match k.as_ref() {
                "tls" if asked.is_none() => asked = Some(v.into_owned()),
                other => return Err(format!("unknown or repeated parameter {other:?}")),
            }
        }
        let tls = match (implicit, asked.as_deref()) {
            (true, None) => SmtpTls::Implicit,
            (true, Some(_)) => return Err("smtps:// is always TLS: leave out ?tls=".into()),
            (false, Some("required")) => SmtpTls::Required,
            (false, Some("none")) if credentials.is_some() => {
                return Err(
                    "?tls=none with credentials would send the password in plain text".into(),
                )
            }
            (false, Some("none")) => SmtpTls::None,
            (false, None | Some("opportunistic")) if credentials.is_some() => SmtpTls::Required,
            (false, None | Some("opportunistic")) => SmtpTls::Opportunistic,
            (false, Some(other)) => {
                return Err(format!(
                    "tls={other:?}: use required, opportunistic or none"
                ))
            }
        };
        Ok(SmtpConfig {
            host,
            port: parsed.port().unwrap_or(default_port),
            tls,
            credentials,
        })
    }

    /// For logs: everything but the password.
    pub fn describe(&self) -> String {
        let user = self
            .credentials
            .as_ref()
            .map(|(u, _)| format!("{u}@"))
            .unwrap_or_default();
        format!("{user}{}:{} (TLS: {:?})", self.host, self.port, self.tls)
    }

    fn transport(
        &self,
        roots: &crate::tls::Roots,
        timeout: std::time::Duration,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        use lettre::transport::smtp::authentication::{Credentials, Mechanism};
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        let params = || {
            let mut b = TlsParameters::builder(self.host.clone());
            for cert in roots.certificates() {
                let c = Certificate::from_der(cert.to_vec()).map_err(|e| e.to_string())?;
                b = b.add_root_certificate(c);
            }
            b.build_rustls().map_err(|e| e.to_string())
        };
        let tls = match self.tls {
            SmtpTls::Implicit => Tls::Wrapper(params()?),
            SmtpTls::Required => Tls::Required(params()?),
            SmtpTls::Opportunistic => Tls::Opportunistic(params()?),
            SmtpTls::None => Tls::None,
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
            .port(self.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some((user, password)) = &self.credentials {
            b = b
                .credentials(Credentials::new(user.clone(), password.clone()))
                .authentication(vec![Mechanism::Plain, Mechanism::Login]);
        }
        Ok(b.build())
    }
}

/// Sends the mail of notifications.
#[derive(Clone)]
pub struct Mailer {
    pool: PgPool,
    cfg: WorkerConfig,
    from: Mailbox,
    public_url: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Mailer {
    pub fn new(
        pool: PgPool,
        cfg: WorkerConfig,
        smtp: &SmtpConfig,
        from: &str,
        public_url: &str,
    ) -> Result<Mailer, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("TOLLGATE_MAIL_FROM {from:?}: {e}"))?;
        let transport = smtp.transport(&cfg.roots, cfg.timeout)?;
        Ok(Mailer {
            pool,
            cfg,
            from,
            public_url: public_url.trim_end_matches('/').to_string(),
            transport,
        })
    }

    /// Makes a one-time link for `action`.
    async fn link(
        &self,
        d: &Due,
        ticket: Uuid,
        level: i16,
        action: &str,
    ) -> Result<String, AppError> {
        let token =
            crate::usecases::mail_links::mint(&self.pool, ticket, level, d.user_id, action).await?;
        Ok(format!("{}/mail/{token}", self.public_url))
    }

    async fn compose(&self, d: &Due) -> Result<Message, String> {
        let url = format!("{}{}", self.public_url, d.link);
        let mut links = None;
        if let (Some(t), Some(l), "awaiting") = (d.ticket_id, d.level, d.kind.as_str()) {
            let approve = self.link(d, t, l, "approve").await.map_err(|e| e.message)?;
            let reject = self.link(d, t, l, "reject").await.map_err(|e| e.message)?;
            links = Some((approve, reject));
        }
        let mut text = format!("{}\n\n{}\n\nOpen it: {url}\n", d.title, d.body);
        let mut html = format!(
            "<p><strong>{}</strong></p><p>{}</p><p><a href=\"{}\">Open it in Tollgate</a></p>",
            escape(&d.title),
            escape(&d.body),
            escape(&url)
        );
        if let Some((approve, reject)) = &links {
            text.push_str(&format!(
                "\nApprove: {approve}\nReject: {reject}\n(one-time links for you, valid {LINK_TTL_MINUTES} minutes)\n"
            ));
            html.push_str(&format!(
                "<p><a href=\"{}\">Approve</a> · <a href=\"{}\">Reject</a></p><p style=\"color:#666\">One-time links for you, valid {LINK_TTL_MINUTES} minutes.</p>",
                escape(approve),
                escape(reject)
            ));
        }
        let to: Mailbox = d
            .mail_to
            .parse()
            .map_err(|e| format!("bad address {:?}: {e}", d.mail_to))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(d.title.clone())
            .message_id(Some(format!("<{}@tollgate>", d.id)))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .header(ContentTransferEncoding::QuotedPrintable)
                            .body(text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .header(ContentTransferEncoding::QuotedPrintable)
                            .body(html),
                    ),
            )
            .map_err(|e| e.to_string())
    }

    async fn send(&self, d: &Due) -> Result<(), String> {
        let m = self.compose(d).await?;
        self.transport.send(m).await.map(|_| ()).map_err(|e| {
            crate::tls::with_explanation(format!("SMTP: {}", crate::jobs::egress::error_chain(&e)))
        })
    }

    /// Claims one batch and mails it. Returns how many were sent.
    pub async fn run_once(&self) -> Result<usize, AppError> {
        queue::run_once(self).await
    }

    /// Runs until the task is dropped: a batch whenever something is due.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        queue::spawn(self)
    }
}

impl QueueWorker for Mailer {
    type Item = Due;
    const QUEUE: Queue = Queue::Mail;

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn config(&self) -> &WorkerConfig {
        &self.cfg
    }

    async fn claim(&self) -> Result<Vec<Due>, AppError> {
        crate::store::queue::claim_mail(
            &self.pool,
            self.cfg.batch,
            self.cfg.lease.as_secs_f64(),
            STALE_HOURS as i32,
        )
        .await
    }

    fn id(d: &Due) -> Uuid {
        d.id
    }

    fn attempts(d: &Due) -> i32 {
        d.mail_attempts
    }

    async fn handle(&self, d: &Due) -> Result<Option<String>, String> {
        self.send(d).await.map(|()| None)
    }
}

#[cfg(test)]
mod tests {
    use super::{SmtpConfig, SmtpTls};

    fn parse(url: &str) -> Result<SmtpConfig, String> {
        SmtpConfig::parse(url, None)
    }

    #[test]
    fn smtp_urls_choose_tls_port_and_credentials() {
        let c = parse("smtp://mail.example.com").unwrap();
        assert_eq!(
            (c.port, c.tls, c.credentials),
            (25, SmtpTls::Opportunistic, None)
        );
        let c = parse("smtps://mail.example.com").unwrap();
        assert_eq!((c.port, c.tls), (465, SmtpTls::Implicit));
        let c = parse("smtp://relay:2525?tls=none").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.tls),
            ("relay", 2525, SmtpTls::None)
        );
        let c = parse("smtp://mail.example.com:587?tls=required").unwrap();
        assert_eq!((c.port, c.tls), (587, SmtpTls::Required));
        // Credentials make STARTTLS required; percent-escapes are decoded.
        let c = parse("smtp://me%40example.com:p%3Ass@mail.example.com:587").unwrap();
        assert_eq!(c.tls, SmtpTls::Required);
        assert_eq!(
            c.credentials,
            Some(("me@example.com".to_string(), "p:ss".to_string()))
        );
        assert!(!format!("{c:?}").contains("p:ss"), "no password in logs");
    }

    #[test]
    fn bad_smtp_urls_are_refused_with_the_reason() {
        for (url, why) in [
            ("http://mail.example.com", "scheme"),
            ("smtp://", "host"),
            ("smtp://me:pw@mail.example.com?tls=none", "plain text"),
            ("smtp://mail.example.com?tls=maybe", "tls="),
            ("smtps://mail.example.com?tls=required", "always TLS"),
            ("smtp://me@mail.example.com", "without a password"),
            ("smtp://mail.example.com?other=1", "unknown"),
        ] {
            let e = parse(url).unwrap_err();
            assert!(e.contains(why), "{url}: {e}");
        }
    }

    #[test]
    fn the_password_can_come_from_a_file() {
        let file = std::env::temp_dir().join(format!("smtp-pw-{}", uuid::Uuid::new_v4()));
        std::fs::write(&file, "from-file\n").unwrap();
        let c = SmtpConfig::parse("smtps://me@mail.example.com", Some(&file)).unwrap();
        assert_eq!(c.credentials, Some(("me".into(), "from-file".into())));
        let e = SmtpConfig::parse("smtps://me:pw@mail.example.com", Some(&file)).unwrap_err();
        assert!(e.contains("both"), "{e}");
        std::fs::remove_file(&file).unwrap();
        let e = SmtpConfig::parse("smtps://me@mail.example.com", Some(&file)).unwrap_err();
        assert!(e.contains("TOLLGATE_SMTP_PASSWORD_FILE"), "{e}");
    }
}
