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

/// `smtp://host:port` → (host, port).
pub fn parse_smtp_url(url: &str) -> Result<(String, u16), String> {
    let rest = url
        .strip_prefix("smtp://")
        .ok_or_else(|| format!("{url:?}: only smtp://host:port is supported"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (
            h.to_string(),
            p.parse::<u16>().map_err(|_| format!("{url:?}: bad port"))?,
        ),
        None => (rest.to_string(), 25),
    };
    if host.is_empty() {
        return Err(format!("{url:?}: no host"));
    }
    Ok((host, port))
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
        smtp_url: &str,
        from: &str,
        public_url: &str,
    ) -> Result<Mailer, String> {
        let (host, port) = parse_smtp_url(smtp_url)?;
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("TOLLGATE_MAIL_FROM {from:?}: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(cfg.timeout))
            .build();
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
        self.transport
            .send(m)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
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

    async fn handle(&self, d: &Due) -> Result<(), String> {
        self.send(d).await
    }
}
