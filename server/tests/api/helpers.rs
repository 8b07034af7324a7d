//! Spawning a server for a test, and clients that act as the demo people.

use reqwest::Client;
use serde_json::Value;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tollgate_server::{router, AppState, Config};

pub const PASSWORD: &str = "tollgate-demo";

pub struct TestApp {
    pub url: String,
    pub pool: PgPool,
    /// This instance's live listener (to wait until a long poll or stream is listening).
    pub live: tollgate_server::store::live::Live,
    /// This instance's metrics (to run a job that counts in them).
    pub metrics: tollgate_server::metrics::SharedMetrics,
    handle: JoinHandle<()>,
}

impl TestApp {
    /// Starts a server on a random port over `pool` (with the demo data loaded if `demo`).
    pub async fn spawn(pool: PgPool, demo: bool) -> TestApp {
        tollgate_server::prepare(&pool).await.expect("prepare");
        if demo {
            tollgate_server::usecases::demo::load(&pool)
                .await
                .expect("demo");
        }
        Self::spawn_again(pool).await
    }

    /// Another instance over the same database (as after a restart, or a second node).
    pub async fn spawn_again(pool: PgPool) -> TestApp {
        Self::spawn_with(pool, Config::for_tests("postgres://unused")).await
    }

    /// An instance with its own configuration (the database must be prepared). Its queries run
    /// as the application's role, as in production: owning nothing, with only its grants.
    pub async fn spawn_with(pool: PgPool, config: Config) -> TestApp {
        let served = app_role_pool(&pool).await;
        Self::spawn_on(served, pool, config).await
    }

    /// An instance whose queries go through `served` (made by [`app_role_pool_with`]); `pool`
    /// stays the test's own (the owner's).
    pub async fn spawn_on(served: PgPool, pool: PgPool, config: Config) -> TestApp {
        let state = AppState::new(served, config);
        let live = state.live.clone();
        let metrics = state.metrics.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let handle = tokio::spawn(async move {
            axum::serve(
                listener,
                router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("serve");
        });
        TestApp {
            url,
            pool,
            live,
            metrics,
            handle,
        }
    }

    /// Another instance over the same (prepared) database serving HTTPS with `tls` through the
    /// production listener, its configuration saying so (Secure cookies); its `https://` URL.
    pub async fn spawn_https(
        &self,
        tls: tollgate_server::http::serve::Tls,
        cert: &std::path::Path,
    ) -> String {
        let mut config = Config::for_tests("postgres://unused");
        config.tls_cert = Some(cert.to_path_buf());
        config.tls_key = Some(cert.with_extension("key"));
        let state = AppState::new(app_role_pool(&self.pool).await, config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(tollgate_server::http::serve::serve(
            listener,
            router(state),
            Default::default(),
            Some(tls),
            std::future::pending::<()>(),
        ));
        format!("https://localhost:{port}")
    }

    /// Waits until more than `before` long polls or event streams listen on this instance: the
    /// readiness signal a test waits for before deciding what a waiter should hear.
    pub async fn until_listening(&self, before: usize) {
        for _ in 0..1000 {
            if self.live.listeners() > before {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("nobody started listening (still {before})");
    }

    pub fn stop(self) {
        self.handle.abort();
    }

    /// A client with its own cookie jar.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A client signed in as `username` (demo password).
    pub async fn signed_in(&self, username: &str) -> Client {
        let c = self.client();
        let r = c
            .post(format!("{}/api/v1/auth/login", self.url))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 200, "sign-in of {username}");
        c
    }

    pub async fn get(&self, c: &Client, path: &str) -> (u16, Value) {
        self.request(c, reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, c: &Client, path: &str, body: Value) -> (u16, Value) {
        self.request(c, reqwest::Method::POST, path, Some(body))
            .await
    }

    pub async fn put(&self, c: &Client, path: &str, body: Value) -> (u16, Value) {
        self.request(c, reqwest::Method::PUT, path, Some(body))
            .await
    }

    pub async fn patch(&self, c: &Client, path: &str, body: Value) -> (u16, Value) {
        self.request(c, reqwest::Method::PATCH, path, Some(body))
            .await
    }

    pub async fn delete_json(&self, c: &Client, path: &str) -> (u16, Value) {
        self.request(c, reqwest::Method::DELETE, path, None).await
    }

    /// A table of requests, each with the status it must get: (who, method, path, JSON body,
    /// status). They are sent in order; every answer that differs is reported at once.
    pub async fn statuses(&self, rows: &[(&Client, &str, String, Option<Value>, u16)]) {
        let mut wrong = Vec::new();
        for (who, method, path, body, want) in rows {
            let m: reqwest::Method = method.parse().expect("a method");
            let (got, answer) = self.request(who, m, path, body.clone()).await;
            if got != *want {
                wrong.push(format!("{method} {path}: {got}, expected {want}: {answer}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// Sends a request (with a JSON body if given) and checks the answer against the OpenAPI
    /// document (`conformance.rs`): (status, JSON body or null).
    async fn request(
        &self,
        c: &Client,
        m: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = c.request(m.clone(), format!("{}{}", self.url, path));
        if let Some(body) = &body {
            req = req.json(body);
        }
        let r = req.send().await.expect("send");
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = r.bytes().await.expect("body");
        let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        crate::conformance::check(m.as_str(), path, status, &content_type, &json);
        (status, json)
    }
}

/// Lookups of demo data by name, and ticket shortcuts shared by the ticket tests.
impl TestApp {
    async fn id_by_name(&self, sql: &'static str, name: &str) -> uuid::Uuid {
        sqlx::query_scalar(sql)
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("no {name:?}: {e}"))
    }

    pub async fn user_id(&self, username: &str) -> uuid::Uuid {
        self.id_by_name("SELECT id FROM users WHERE username = $1", username)
            .await
    }

    pub async fn org_id(&self, name: &str) -> uuid::Uuid {
        self.id_by_name("SELECT id FROM orgs WHERE name = $1", name)
            .await
    }

    pub async fn asset_id(&self, name: &str) -> uuid::Uuid {
        self.id_by_name("SELECT id FROM assets WHERE name = $1", name)
            .await
    }

    /// A node by its name (demo node names are unique across orgs).
    pub async fn node_id(&self, name: &str) -> uuid::Uuid {
        self.id_by_name("SELECT id FROM nodes WHERE name = $1", name)
            .await
    }

    /// `SELECT count(*) …` (or any single bigint).
    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }

    /// The body of an `apply_asset` open for `org`: accounts root and deploy, actions
    /// connect and upload, from now for one day.
    pub fn apply_body(org: uuid::Uuid, title: &str, assets: &[uuid::Uuid]) -> Value {
        let now = chrono::Utc::now();
        serde_json::json!({
            "type": "apply_asset", "org_id": org, "title": title, "comment": "for the release",
            "request": {
                "permission_name": "release access", "nodes": [], "assets": assets,
                "accounts": ["root", "deploy"], "actions": ["connect", "upload"],
                "start": now, "expiry": now + chrono::Duration::days(1),
            }
        })
    }

    /// Opens a small Default ticket titled `title` as `c` (web-01, root,
    /// connect, for a day); panics unless 201. Returns its id.
    pub async fn open_simple(&self, c: &Client, title: &str) -> String {
        let org = self.org_id("Default").await;
        let asset = self.asset_id("web-01").await;
        let now = chrono::Utc::now();
        let (s, t) = self
            .post(
                c,
                "/api/v1/tickets",
                serde_json::json!({"type": "apply_asset", "org_id": org, "title": title, "request": {
                    "permission_name": "p", "assets": [asset], "accounts": ["root"],
                    "actions": ["connect"], "start": now, "expiry": now + chrono::Duration::days(1)}}),
            )
            .await;
        assert_eq!(s, 201, "{t}");
        t["id"].as_str().expect("id").to_string()
    }

    /// Opens a Default ticket as `c` for `assets`; panics unless 201.
    pub async fn open_default(&self, c: &Client, assets: &[uuid::Uuid]) -> Value {
        let org = self.org_id("Default").await;
        let (s, t) = self
            .post(
                c,
                "/api/v1/tickets",
                Self::apply_body(org, "Deploy the release", assets),
            )
            .await;
        assert_eq!(s, 201, "{t}");
        t
    }

    /// POST `/api/v1/tickets/{id}/{action}` with `body`.
    pub async fn act(&self, c: &Client, id: &Value, action: &str, body: Value) -> (u16, Value) {
        let id = id.as_str().expect("ticket id");
        self.post(c, &format!("/api/v1/tickets/{id}/{action}"), body)
            .await
    }

    /// The event kinds of a ticket, oldest first (as `viewer` sees them).
    pub async fn event_kinds(&self, viewer: &Client, id: &Value) -> Vec<String> {
        let id = id.as_str().expect("ticket id");
        let (s, ev) = self
            .get(viewer, &format!("/api/v1/tickets/{id}/events"))
            .await;
        assert_eq!(s, 200, "{ev}");
        ev.as_array()
            .expect("events")
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// The usernames of a ticket's assignees at `level` (1-based).
pub fn assignees(t: &Value, level: usize) -> Vec<String> {
    t["steps"][level - 1]["assignees"]
        .as_array()
        .unwrap_or_else(|| panic!("no level {level}: {t}"))
        .iter()
        .map(|a| a["username"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A list of strings out of a JSON array (e.g. `allowed_actions`).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}

impl TestApp {
    /// POST a raw body as JSON (for malformed bodies); `None` sends no body at all.
    pub async fn post_raw(&self, c: &Client, path: &str, body: Option<&str>) -> (u16, Value) {
        let mut r = c.post(format!("{}{}", self.url, path));
        if let Some(b) = body {
            r = r
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let r = r.send().await.expect("post");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Moves a ticket's deadline to `deadline` (SQL, may use the old `expires_at`), where the
    /// ticket shows it and where the expiry sweep reads it (`pending_expiry`, only while the
    /// ticket is pending).
    pub async fn set_deadline(&self, ticket: &str, deadline: &str) {
        for (table, key) in [("tickets", "id"), ("pending_expiry", "ticket_id")] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET expires_at = {deadline} WHERE {key} = $1::uuid"
            )))
            .bind(ticket)
            .execute(&self.pool)
            .await
            .expect("deadline");
        }
    }

    /// Moves the demo `Default` org's apply_asset flow to `flow` (JSON as stored).
    pub async fn set_default_flow(&self, flow: Value) {
        let org = self.org_id("Default").await;
        let n = sqlx::query(
            "UPDATE flows SET definition = $2 WHERE org_id = $1 AND ticket_type = 'apply_asset'",
        )
        .bind(org)
        .bind(flow)
        .execute(&self.pool)
        .await
        .expect("flow")
        .rows_affected();
        assert_eq!(n, 1, "the demo has a Default flow");
    }

    /// Makes `n` more users (`{prefix}1`..) with the demo password, members of Default.
    pub async fn make_users(&self, prefix: &str, n: usize) -> Vec<uuid::Uuid> {
        let org = self.org_id("Default").await;
        let mut out = Vec::new();
        for i in 1..=n {
            let id = uuid::Uuid::new_v4();
            sqlx::query(
                "INSERT INTO users (id, username, display_name, email, password_hash, system_role)
                 SELECT $1, $2, $2, '', password_hash, 'user' FROM users WHERE username = 'alice'",
            )
            .bind(id)
            .bind(format!("{prefix}{i}"))
            .execute(&self.pool)
            .await
            .expect("user");
            sqlx::query(
                "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'org_user')",
            )
            .bind(org)
            .bind(id)
            .execute(&self.pool)
            .await
            .expect("membership");
            out.push(id);
        }
        out
    }
}

/// A pool on the test database as the application's role (made and granted like the private
/// Postgres does at start), for the server under test.
pub async fn app_role_pool(owner: &PgPool) -> PgPool {
    app_role_pool_with(
        owner,
        sqlx::postgres::PgPoolOptions::new().max_connections(16),
    )
    .await
}

/// [`app_role_pool`] with these pool options (a smaller pool, a shorter wait).
pub async fn app_role_pool_with(owner: &PgPool, pool: sqlx::postgres::PgPoolOptions) -> PgPool {
    use tollgate_server::store::roles;
    roles::ensure_login_role(owner, roles::PRIVATE_APP_ROLE)
        .await
        .expect("app role");
    roles::grant_app(owner, roles::PRIVATE_APP_ROLE)
        .await
        .expect("grants");
    let options = (*owner.connect_options())
        .clone()
        .username(roles::PRIVATE_APP_ROLE);
    pool.connect_with(options)
        .await
        .expect("connect as the app role")
}
