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
    handle: JoinHandle<()>,
}

impl TestApp {
    /// Starts a server on a random port over `pool` (with the demo data loaded if `demo`).
    pub async fn spawn(pool: PgPool, demo: bool) -> TestApp {
        tollgate_server::prepare(&pool).await.expect("prepare");
        if demo {
            tollgate_server::demo::load(&pool).await.expect("demo");
        }
        Self::spawn_again(pool).await
    }

    /// Another instance over the same database (as after a restart, or a second node).
    pub async fn spawn_again(pool: PgPool) -> TestApp {
        let state = AppState::new(pool.clone(), Config::for_tests("postgres://unused"));
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
        TestApp { url, pool, handle }
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
        let r = c
            .get(format!("{}{}", self.url, path))
            .send()
            .await
            .expect("get");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, c: &Client, path: &str, body: Value) -> (u16, Value) {
        let r = c
            .post(format!("{}{}", self.url, path))
            .json(&body)
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete_json(&self, c: &Client, path: &str) -> (u16, Value) {
        let r = c
            .delete(format!("{}{}", self.url, path))
            .send()
            .await
            .expect("delete");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}
