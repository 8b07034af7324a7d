//! The use-cases, called by the REST API and (through [`tollgate_app::backend::Backend`]) by
//! the pages' server functions, so each rule is written once.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::PgPool;
use tollgate_app::backend::{Backend, ClientInfo, SignedIn};
use tollgate_app::AppError;

use crate::config::Config;
use crate::{password, repo, session};

pub struct Services {
    pub pool: PgPool,
    pub config: Arc<Config>,
}

impl Services {
    pub fn new(pool: PgPool, config: Arc<Config>) -> Self {
        Services { pool, config }
    }
}

#[async_trait]
impl Backend for Services {
    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<SignedIn, AppError> {
        let wrong = || AppError::new(401, "invalid_credentials", "Wrong username or password.");
        if username.is_empty()
            || password.is_empty()
            || username.len() > 64
            || password.len() > 1024
        {
            // Still spend the hashing time: the answer must not depend on who exists.
            password::verify(password.to_string(), None).await;
            return Err(wrong());
        }
        let user = repo::users::by_username(&self.pool, username).await?;
        let stored = user
            .as_ref()
            .filter(|u| u.active)
            .and_then(|u| u.password_hash.clone());
        if !password::verify(password.to_string(), stored).await {
            return Err(wrong());
        }
        let user = user.ok_or_else(wrong)?;
        let token =
            session::create(&self.pool, user.id, self.config.session_hours, &client).await?;
        let viewer = repo::users::viewer(&self.pool, user.id)
            .await?
            .ok_or_else(wrong)?;
        tracing::info!(user = %viewer.username, "signed in");
        Ok(SignedIn {
            viewer,
            set_cookie: session::cookie(
                &token,
                self.config.session_hours,
                self.config.secure_cookies(),
            ),
        })
    }

    async fn sign_out(&self, token: Option<&str>) -> Result<String, AppError> {
        if let Some(t) = token {
            session::delete(&self.pool, t).await?;
        }
        Ok(session::clear_cookie(self.config.secure_cookies()))
    }
}
