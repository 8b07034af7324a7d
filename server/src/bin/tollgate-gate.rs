//! `tollgate-gate`: ask Tollgate before running a command, for an SSH ForceCommand or a shell
//! wrapper on a bastion.
//!
//! It asks `POST /api/v1/gateway/command` (or, with no command, `/gateway/login-asset` and then
//! starts the user's shell), prints the ticket's URL while a review is pending, long-polls the
//! decision, and runs the command (`sh -c`) when it is accepted. Ctrl-C (or a hang-up or
//! SIGTERM) while waiting withdraws the ticket.
//!
//! Exit codes: the command's own when it ran (the process *becomes* the command);
//! 10 refused (rejected by a rule or a reviewer); 11 closed, withdrawn or expired;
//! 12 configuration or usage error; 13 Tollgate unreachable or answering with an error.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde_json::{json, Value};

const REFUSED: u8 = 10;
const CLOSED: u8 = 11;
const USAGE: u8 = 12;
const UNREACHABLE: u8 = 13;

/// Ask Tollgate whether a command may run, wait for a reviewer if a rule says so, then run it.
#[derive(Parser, Debug)]
#[command(name = "tollgate-gate", version)]
struct Args {
    /// Tollgate's URL, e.g. https://tollgate.example.com
    #[arg(long, env = "TOLLGATE_URL")]
    url: Option<String>,

    /// The gateway's service token (tgs_…).
    #[arg(long, env = "TOLLGATE_SERVICE_TOKEN", hide_env_values = true)]
    token: Option<String>,

    /// The Tollgate user (id or username). Default: $USER.
    #[arg(long, env = "TOLLGATE_USER")]
    user: Option<String>,

    /// The asset this runs on (id or name). Default: this host's name.
    #[arg(long, env = "TOLLGATE_ASSET")]
    asset: Option<String>,

    /// The asset's org (id or name), when several of the orgs this token serves have an
    /// asset of that name.
    #[arg(long, env = "TOLLGATE_ORG")]
    org: Option<String>,

    /// The account used on the asset. Default: $USER.
    #[arg(long, env = "TOLLGATE_ACCOUNT")]
    account: Option<String>,

    /// PEM file of CA certificates trusted beyond the Mozilla roots (a private CA of Tollgate's
    /// HTTPS certificate). The certificate is always verified.
    #[arg(long, env = "TOLLGATE_CA_FILE")]
    ca_file: Option<std::path::PathBuf>,

    /// The gateway's session id (a UUID), to group the commands of one session.
    #[arg(long, env = "TOLLGATE_SESSION_ID")]
    session_id: Option<String>,

    /// Give up waiting for a reviewer after this many seconds (0: wait until the ticket is
    /// decided or expires).
    #[arg(long, default_value_t = 0)]
    timeout: u64,

    /// The command. Default: $SSH_ORIGINAL_COMMAND. With neither, the connection itself is
    /// asked about and the user's login shell is started.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

fn fail(code: u8, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("tollgate: {msg}");
    ExitCode::from(code)
}

fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

enum CallError {
    /// Could not reach Tollgate (or it failed).
    Unreachable(String),
    /// Tollgate refused the question (4xx): a configuration problem here.
    Refused(u16, String),
}

impl Client {
    async fn call(&self, req: reqwest::RequestBuilder) -> Result<Value, CallError> {
        let res = req.bearer_auth(&self.token).send().await.map_err(|e| {
            CallError::Unreachable(tollgate_server::tls::with_explanation(format!(
                "cannot reach Tollgate at {}: {}",
                self.base,
                tollgate_server::jobs::egress::error_chain(&e)
            )))
        })?;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let msg = body["error"]["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("Tollgate answered {status}"));
        if (400..500).contains(&status) {
            Err(CallError::Refused(status, msg))
        } else {
            Err(CallError::Unreachable(msg))
        }
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, CallError> {
        self.call(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }

    async fn get(&self, path: &str) -> Result<Value, CallError> {
        self.call(self.http.get(format!("{}{path}", self.base)))
            .await
    }
}

fn call_failed(e: CallError) -> ExitCode {
    match e {
        CallError::Unreachable(m) => fail(UNREACHABLE, m),
        CallError::Refused(401, m) => fail(USAGE, format!("the service token is not valid: {m}")),
        CallError::Refused(_, m) => fail(USAGE, m),
    }
}

/// Runs `command` with `sh -c` (or the login shell when `None`), replacing this process.
fn run(command: Option<&str>) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let err = match command {
        Some(c) => std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(c)
            .exec(),
        None => {
            let shell = std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into());
            std::process::Command::new(&shell).arg("-l").exec()
        }
    };
    fail(USAGE, format!("cannot start the command: {err}"))
}

/// Resolves on SIGHUP or SIGTERM (never, if they cannot be watched).
async fn hangup() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut h), Ok(mut t)) => {
            tokio::select! {
                _ = h.recv() => {}
                _ = t.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let Some(url) = args.url.filter(|u| !u.trim().is_empty()) else {
        return fail(USAGE, "set TOLLGATE_URL (or --url) to Tollgate's address");
    };
    let Some(token) = args.token.filter(|t| !t.trim().is_empty()) else {
        return fail(
            USAGE,
            "set TOLLGATE_SERVICE_TOKEN (or --token) to a service token (tgs_…)",
        );
    };
    let login_user = std::env::var("USER").ok().filter(|u| !u.is_empty());
    let Some(user) = args.user.or_else(|| login_user.clone()) else {
        return fail(USAGE, "cannot tell the user: set --user or $USER");
    };
    let Some(account) = args.account.or(login_user) else {
        return fail(USAGE, "cannot tell the account: set --account or $USER");
    };
    let Some(asset) = args.asset.or_else(hostname) else {
        return fail(
            USAGE,
            "cannot tell the asset: set --asset or TOLLGATE_ASSET",
        );
    };
    let command = if args.command.is_empty() {
        std::env::var("SSH_ORIGINAL_COMMAND")
            .ok()
            .filter(|c| !c.trim().is_empty())
    } else {
        Some(args.command.join(" "))
    };
    let session_id = match args.session_id.as_deref().map(str::parse::<uuid::Uuid>) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return fail(USAGE, "--session-id must be a UUID"),
    };
    let roots = match tollgate_server::tls::Roots::from_option(args.ca_file.as_deref()) {
        Ok(r) => r,
        Err(e) => return fail(USAGE, format!("TOLLGATE_CA_FILE {e}")),
    };
    let http = match reqwest::Client::builder()
        .use_preconfigured_tls(roots.client_config())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(90))
        .build()
    {
        Ok(h) => h,
        Err(e) => return fail(USAGE, format!("cannot make an HTTP client: {e}")),
    };
    let client = Client {
        http,
        base: url.trim().trim_end_matches('/').to_string(),
        token: token.trim().to_string(),
    };

    let mut question = json!({"user": user, "asset": asset, "account": account});
    if let Some(org) = &args.org {
        question["org"] = json!(org);
    }
    let path = match &command {
        Some(c) => {
            question["command"] = json!(c);
            if let Some(id) = session_id {
                question["session_id"] = json!(id);
            }
            "/api/v1/gateway/command"
        }
        None => "/api/v1/gateway/login-asset",
    };
    let answer = match client.post(path, question).await {
        Ok(a) => a,
        Err(e) => return call_failed(e),
    };
    let reason = answer["reason"].as_str().unwrap_or("").to_string();
    match answer["decision"].as_str() {
        Some("accept") => return run(command.as_deref()),
        Some("warning") => {
            eprintln!("tollgate: warning: {reason}");
            return run(command.as_deref());
        }
        Some("reject") => return fail(REFUSED, format!("refused: {reason}")),
        Some("review") => {}
        _ => {
            return fail(
                UNREACHABLE,
                "Tollgate gave an answer this client does not know",
            )
        }
    }
    let Some(ticket) = answer["ticket_id"].as_str().map(str::to_string) else {
        return fail(
            UNREACHABLE,
            "Tollgate asked for a review but named no ticket",
        );
    };
    let url = answer["ticket_url"].as_str().unwrap_or("");
    eprintln!("tollgate: {reason}");
    eprintln!("tollgate: waiting for a reviewer: {url}");
    eprintln!("tollgate: (Ctrl-C withdraws the request)");

    let deadline =
        (args.timeout > 0).then(|| tokio::time::Instant::now() + Duration::from_secs(args.timeout));
    let wait = async {
        let mut failures = 0u32;
        loop {
            match client
                .get(&format!("/api/v1/tickets/{ticket}/decision?wait=30"))
                .await
            {
                Ok(d) if d["decided"].as_bool() == Some(true) => {
                    return Ok(d["state"].as_str().unwrap_or("").to_string())
                }
                Ok(_) => failures = 0,
                Err(CallError::Refused(s, m)) => return Err(CallError::Refused(s, m)),
                Err(CallError::Unreachable(m)) => {
                    failures += 1;
                    if failures >= 5 {
                        return Err(CallError::Unreachable(m));
                    }
                    tokio::time::sleep(Duration::from_secs(u64::from(failures))).await;
                }
            }
        }
    };
    let timeout = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    let withdraw = |why: &'static str| {
        let client = &client;
        let ticket = ticket.clone();
        async move {
            let _ = client
                .post(
                    &format!("/api/v1/tickets/{ticket}/close"),
                    json!({"comment": why}),
                )
                .await;
        }
    };
    tokio::select! {
        r = wait => match r {
            Ok(state) => match state.as_str() {
                "approved" => run(command.as_deref()),
                "rejected" => fail(REFUSED, "refused: a reviewer rejected the request"),
                "expired" => fail(CLOSED, "the request expired before anyone reviewed it"),
                _ => fail(CLOSED, "the request was closed"),
            },
            Err(e) => call_failed(e),
        },
        _ = tokio::signal::ctrl_c() => {
            withdraw("Withdrawn: the user pressed Ctrl-C.").await;
            fail(CLOSED, "withdrawn")
        }
        // The SSH connection went away (SIGHUP) or the process is told to stop (SIGTERM).
        _ = hangup() => {
            withdraw("Withdrawn: the session ended.").await;
            fail(CLOSED, "withdrawn")
        }
        _ = timeout => {
            withdraw("Withdrawn: nobody reviewed it in time.").await;
            fail(CLOSED, format!("no decision within {} seconds; withdrawn", args.timeout))
        }
    }
}
