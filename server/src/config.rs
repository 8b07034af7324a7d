//! Configuration: every setting is a flag and an environment variable (README lists them).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Postgres to use. Unset: start a private one in the data folder and load the demo.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Postgres URL of the schema's owner, for the migrations; DATABASE_URL's role then gets only
    /// the grants the server needs (store/roles.rs). Unset: DATABASE_URL migrates too.
    #[arg(long, env = "TOLLGATE_MIGRATION_DATABASE_URL")]
    pub migration_database_url: Option<String>,

    /// Address to listen on.
    #[arg(long, env = "TOLLGATE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// The URL people use to reach Tollgate (links in mail; `https://` turns on Secure cookies).
    #[arg(long, env = "TOLLGATE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Folder for the private Postgres (when DATABASE_URL is unset).
    #[arg(long, env = "TOLLGATE_DATA_DIR", default_value = ".data")]
    pub data_dir: PathBuf,

    /// Port of the private Postgres.
    #[arg(long, env = "TOLLGATE_PG_PORT", default_value_t = 5544)]
    pub pg_port: u16,

    /// Folder holding the built browser files (`pkg/`), made by scripts/build.sh.
    #[arg(long, env = "TOLLGATE_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Load the demo data: `true`/`false`. Default: only with the private Postgres.
    #[arg(long, env = "TOLLGATE_DEMO")]
    pub demo: Option<bool>,

    /// Hours a session lasts.
    #[arg(long, env = "TOLLGATE_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: i64,

    /// Failed sign-ins of one username within the window before sign-in answers 429.
    #[arg(long, env = "TOLLGATE_SIGN_IN_MAX_PER_USER", default_value_t = 10)]
    pub sign_in_max_per_user: i64,

    /// Failed sign-ins from one client IP within the window before sign-in answers 429.
    #[arg(long, env = "TOLLGATE_SIGN_IN_MAX_PER_IP", default_value_t = 50)]
    pub sign_in_max_per_ip: i64,

    /// Seconds a failed sign-in counts against its username and IP.
    #[arg(long, env = "TOLLGATE_SIGN_IN_WINDOW_SECONDS", default_value_t = 900)]
    pub sign_in_window_seconds: i64,

    /// Largest number of database connections of this instance.
    #[arg(long, env = "TOLLGATE_DB_POOL", default_value_t = 16)]
    pub db_pool: u32,

    /// Create this super admin at start-up when no user of that name exists (with TOLLGATE_ADMIN_PASSWORD).
    #[arg(long, env = "TOLLGATE_ADMIN_USERNAME")]
    pub admin_username: Option<String>,

    /// Password of the bootstrap super admin.
    #[arg(long, env = "TOLLGATE_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Seconds between two expiry sweeps (one instance does each sweep).
    #[arg(long, env = "TOLLGATE_EXPIRY_SWEEP_SECONDS", default_value_t = 30)]
    pub expiry_sweep_seconds: u64,

    /// SMTP server for email notifications: `smtp://[user:password@]host[:port][?tls=required|none]`
    /// (STARTTLS when the server offers it; required with credentials) or
    /// `smtps://[user:password@]host[:port]` (TLS from the start, port 465). Unset: no email.
    #[arg(long, env = "TOLLGATE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// A file holding the SMTP password (instead of one in TOLLGATE_SMTP_URL).
    #[arg(long, env = "TOLLGATE_SMTP_PASSWORD_FILE")]
    pub smtp_password_file: Option<PathBuf>,

    /// PEM file of CA certificates trusted beyond the Mozilla roots, by every TLS client of
    /// Tollgate (Postgres, SMTP, webhooks): for a private CA.
    #[arg(long, env = "TOLLGATE_CA_FILE")]
    pub ca_file: Option<PathBuf>,

    /// PEM certificate chain: with TOLLGATE_TLS_KEY, Tollgate serves HTTPS itself (reloaded on
    /// SIGHUP) and its cookies are Secure.
    #[arg(long, env = "TOLLGATE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of TOLLGATE_TLS_CERT.
    #[arg(long, env = "TOLLGATE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Reverse proxies whose `X-Forwarded-For` is believed (comma-separated addresses, CIDRs or
    /// ranges, e.g. `127.0.0.1,10.0.0.0/8`). Unset: the client is the connection's peer.
    #[arg(long, env = "TOLLGATE_TRUSTED_PROXIES", value_parser = parse_ip_list)]
    pub trusted_proxies: Option<tollgate_core::IpList>,

    /// Internal addresses webhooks may be sent to anyway (comma-separated addresses, CIDRs or
    /// ranges). Unset: loopback, private, link-local, shared, multicast and unspecified
    /// addresses are refused (checked on the address connected to).
    #[arg(long, env = "TOLLGATE_WEBHOOK_ALLOW", value_parser = parse_ip_list)]
    pub webhook_allow: Option<tollgate_core::IpList>,

    /// Connections served at once; more wait until one closes.
    #[arg(long, env = "TOLLGATE_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Seconds a request's head may take to arrive (and a keep-alive connection may stay idle).
    #[arg(long, env = "TOLLGATE_HEADER_TIMEOUT_SECONDS", default_value_t = 30)]
    pub header_timeout_seconds: u64,

    /// Bearer token that `GET /metrics` asks for (Prometheus `authorization` /
    /// `bearer_token_file`). Unset: /metrics answers 404.
    #[arg(long, env = "TOLLGATE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// A second address that serves only `GET /metrics`, without a token (for a monitoring
    /// network the public listener does not reach).
    #[arg(long, env = "TOLLGATE_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// `text` (for people) or `json` (one object a line, for log shippers).
    #[arg(long, env = "TOLLGATE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// The From address of Tollgate's email.
    #[arg(
        long,
        env = "TOLLGATE_MAIL_FROM",
        default_value = "Tollgate <tollgate@localhost>"
    )]
    pub mail_from: String,

    /// Single sign-on at first start (the admin pages change it later).
    #[command(flatten)]
    pub sso: SsoEnv,
}

/// Single sign-on from the environment: written at start only while nothing is stored (the
/// admin page's settings win from then on).
#[derive(Debug, Clone, Default, Args)]
pub struct SsoEnv {
    /// OpenID Connect: the provider's issuer URL (turns single sign-on on).
    #[arg(long, env = "TOLLGATE_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// OpenID Connect: the client ID the provider made for Tollgate.
    #[arg(long, env = "TOLLGATE_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// OpenID Connect: the client secret.
    #[arg(long, env = "TOLLGATE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// OpenID Connect: a file holding the client secret.
    #[arg(long, env = "TOLLGATE_OIDC_CLIENT_SECRET_FILE")]
    pub oidc_client_secret_file: Option<PathBuf>,
    /// OpenID Connect: scopes besides `openid`, separated by spaces or commas.
    #[arg(long, env = "TOLLGATE_OIDC_SCOPES")]
    pub oidc_scopes: Option<String>,
    /// OpenID Connect: the sign-in button's text.
    #[arg(long, env = "TOLLGATE_OIDC_BUTTON_LABEL")]
    pub oidc_button_label: Option<String>,
    /// LDAP: `ldaps://host:636` (or `ldap://…` with TOLLGATE_LDAP_STARTTLS=true).
    #[arg(long, env = "TOLLGATE_LDAP_URL")]
    pub ldap_url: Option<String>,
    /// LDAP: use StartTLS on an `ldap://` URL.
    #[arg(long, env = "TOLLGATE_LDAP_STARTTLS", default_value_t = false)]
    pub ldap_starttls: bool,
    /// LDAP: the service account's DN.
    #[arg(long, env = "TOLLGATE_LDAP_BIND_DN")]
    pub ldap_bind_dn: Option<String>,
    /// LDAP: a file holding the service account's password.
    #[arg(long, env = "TOLLGATE_LDAP_BIND_PASSWORD_FILE")]
    pub ldap_bind_password_file: Option<PathBuf>,
    /// LDAP: where people are searched.
    #[arg(long, env = "TOLLGATE_LDAP_USER_BASE")]
    pub ldap_user_base: Option<String>,
    /// LDAP: the people filter, `{username}` standing for what was typed.
    #[arg(long, env = "TOLLGATE_LDAP_USER_FILTER")]
    pub ldap_user_filter: Option<String>,
    /// LDAP: where groups are searched (unset: the person's `memberOf`).
    #[arg(long, env = "TOLLGATE_LDAP_GROUP_BASE")]
    pub ldap_group_base: Option<String>,
}

fn read_secret(path: &std::path::Path, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim_end_matches(['\r', '\n']).to_string())
        .map_err(|e| format!("{what} {}: {e}", path.display()))
}

impl SsoEnv {
    /// The OpenID Connect settings the environment gives, if any.
    pub fn oidc(&self) -> Result<Option<tollgate_app::admin_dto::OidcSettings>, String> {
        let Some(issuer) = &self.oidc_issuer else {
            return Ok(None);
        };
        let mut o = tollgate_app::admin_dto::OidcSettings {
            enabled: true,
            issuer: issuer.trim().trim_end_matches('/').to_string(),
            client_id: self.oidc_client_id.clone().unwrap_or_default(),
            ..Default::default()
        };
        o.client_secret = match (&self.oidc_client_secret, &self.oidc_client_secret_file) {
            (Some(s), _) => Some(s.clone()),
            (None, Some(f)) => Some(read_secret(f, "TOLLGATE_OIDC_CLIENT_SECRET_FILE")?),
            (None, None) => None,
        };
        if let Some(s) = &self.oidc_scopes {
            o.scopes = s
                .split([' ', ','])
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect();
        }
        if let Some(l) = &self.oidc_button_label {
            o.button_label = l.clone();
        }
        Ok(Some(o))
    }

    /// The LDAP settings the environment gives, if any.
    pub fn ldap(&self) -> Result<Option<tollgate_app::admin_dto::LdapSettings>, String> {
        let Some(url) = &self.ldap_url else {
            return Ok(None);
        };
        let mut l = tollgate_app::admin_dto::LdapSettings {
            enabled: true,
            url: url.trim().to_string(),
            starttls: self.ldap_starttls,
            bind_dn: self.ldap_bind_dn.clone().unwrap_or_default(),
            user_base: self.ldap_user_base.clone().unwrap_or_default(),
            group_base: self.ldap_group_base.clone().unwrap_or_default(),
            ..Default::default()
        };
        if let Some(f) = &self.ldap_bind_password_file {
            l.bind_password = Some(read_secret(f, "TOLLGATE_LDAP_BIND_PASSWORD_FILE")?);
        }
        if let Some(f) = &self.ldap_user_filter {
            l.user_filter = f.clone();
        }
        Ok(Some(l))
    }
}

/// How log lines are written (to standard error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

fn parse_ip_list(text: &str) -> Result<tollgate_core::IpList, String> {
    tollgate_core::IpList::parse_text(text).map_err(|e| e.reason)
}

impl Config {
    /// Cookies are marked Secure when Tollgate is reached over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.tls_cert.is_some()
            || self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
    }

    pub fn public_url(&self) -> String {
        let scheme = if self.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{}", self.addr))
    }

    /// The roots every TLS client trusts (`TOLLGATE_CA_FILE`).
    pub fn roots(&self) -> Result<crate::tls::Roots, String> {
        crate::tls::Roots::from_option(self.ca_file.as_deref())
            .map_err(|e| format!("TOLLGATE_CA_FILE {e}"))
    }

    /// A configuration for tests: no private Postgres, no demo, a random port.
    pub fn for_tests(database_url: &str) -> Self {
        Config {
            database_url: Some(database_url.to_string()),
            migration_database_url: None,
            addr: "127.0.0.1:0".parse().expect("literal address"),
            public_url: None,
            data_dir: ".data".into(),
            pg_port: 5544,
            site_root: "target/site".into(),
            demo: Some(false),
            session_hours: 12,
            sign_in_max_per_user: 10,
            sign_in_max_per_ip: 50,
            sign_in_window_seconds: 900,
            db_pool: 8,
            admin_username: None,
            admin_password: None,
            expiry_sweep_seconds: 30,
            smtp_url: None,
            smtp_password_file: None,
            ca_file: None,
            tls_cert: None,
            tls_key: None,
            metrics_token: None,
            metrics_addr: None,
            log_format: LogFormat::Text,
            trusted_proxies: None,
            webhook_allow: None,
            max_connections: 1024,
            header_timeout_seconds: 30,
            sso: SsoEnv::default(),
            mail_from: "Tollgate <tollgate@localhost>".into(),
        }
    }
}
