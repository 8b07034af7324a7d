//! The use-cases, called by the REST API and (through [`tollgate_app::backend::Backend`]) by
//! the pages' server functions, so each rule is written once.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::PgPool;
use tollgate_app::backend::{Backend, ClientInfo, PendingOutcome, SignInOutcome};
use tollgate_app::dto::*;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use uuid::Uuid;

use crate::config::Config;
use crate::{identity::password, identity::session, store, usecases::tickets};

pub struct Services {
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// What this instance hears of changes made on any instance (for the held sign-in).
    pub live: crate::store::live::Live,
    /// Tickets opened and decided, sign-ins refused (`/metrics`).
    pub metrics: crate::metrics::SharedMetrics,
    /// The roots every TLS client trusts (the directory's too).
    pub roots: crate::tls::Roots,
    /// The OpenID Connect client, with the provider's metadata and keys.
    pub oidc: crate::identity::oidc::Oidc,
}

impl Services {
    pub fn new(
        pool: PgPool,
        config: Arc<Config>,
        live: crate::store::live::Live,
        metrics: crate::metrics::SharedMetrics,
        roots: crate::tls::Roots,
    ) -> Self {
        Services {
            pool,
            config,
            live,
            metrics,
            oidc: crate::identity::oidc::Oidc::new(&roots),
            roots,
        }
    }

    async fn sign_in_uncounted(
        &self,
        username: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<SignInOutcome, AppError> {
        // Too many failures for this username or IP: refused before any hashing. Otherwise
        // the attempt counts as a failure until the password proves right (so parallel
        // guesses cannot all pass the count before any of them is recorded).
        let attempt =
            crate::identity::ratelimit::reserve(&self.pool, &self.config, username, client.ip)
                .await?;
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
        let user = store::users::by_username(&self.pool, username).await?;
        let sso = crate::usecases::sso::settings(&self.pool).await?;
        // The directory answers for everyone but the local accounts with a password.
        if sso.ldap.enabled && user.as_ref().is_none_or(|u| u.password_hash.is_none()) {
            let Some(person) =
                crate::identity::ldap::authenticate(&self.roots, &sso.ldap, username, password)
                    .await?
            else {
                return Err(wrong());
            };
            let issuer = crate::identity::ldap::issuer(&sso.ldap);
            let (user_id, username) = crate::usecases::sso::person(
                &self.pool,
                &crate::usecases::sso::Identity {
                    provider: "ldap",
                    issuer: &issuer,
                    subject: &person.subject,
                    username: person.username.as_deref().or(Some(username)),
                    name: person.name.as_deref(),
                    email: person.email.as_deref(),
                    groups: &person.groups,
                    login: &person.dn,
                    create_users: sso.ldap.create_users,
                },
            )
            .await?;
            attempt.succeeded(&self.pool).await?;
            return crate::identity::sign_in::open(
                self,
                crate::identity::sign_in::Proven {
                    user_id,
                    username: &username,
                    method: "ldap",
                    provider_second_factor: false,
                },
                client,
            )
            .await;
        }
        let stored = user
            .as_ref()
            .filter(|u| u.active)
            .and_then(|u| u.password_hash.clone());
        if !password::verify(password.to_string(), stored).await {
            return Err(wrong());
        }
        let user = user.ok_or_else(wrong)?;
        attempt.succeeded(&self.pool).await?;
        if sso.passwords_for_super_admins_only()
            && store::users::parse_system_role(&user.system_role)
                != tollgate_core::SystemRole::SuperAdmin
        {
            return Err(AppError::new(
                403,
                "password_sign_in_off",
                "Passwords are for break-glass use by super admins only: sign in with single \
                 sign-on.",
            ));
        }
        crate::identity::sign_in::open(
            self,
            crate::identity::sign_in::Proven {
                user_id: user.id,
                username: &user.username,
                method: "password",
                provider_second_factor: false,
            },
            client,
        )
        .await
    }

    /// Counts a ticket change that made it final.
    fn counted(&self, r: Result<TicketDto, AppError>) -> Result<TicketDto, AppError> {
        if let Ok(t) = &r {
            self.metrics.changed(t);
        }
        r
    }

    /// 404 unless the viewer may look at the org's estate (members, super admins, and
    /// approvers of its pending tickets).
    async fn browse(&self, viewer: &Viewer, org: Uuid) -> Result<(), AppError> {
        if store::directory::may_browse_org(&self.pool, viewer, org).await? {
            Ok(())
        } else {
            Err(AppError::not_found("Org"))
        }
    }
}

#[async_trait]
impl Backend for Services {
    async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client: ClientInfo,
    ) -> Result<SignInOutcome, AppError> {
        let r = self.sign_in_uncounted(username, password, client).await;
        match r.as_ref().map_err(|e| e.code.as_str()) {
            Err("invalid_credentials") => self.metrics.sign_in_failures.inc(),
            Err("too_many_attempts") => self.metrics.rate_limited.inc(),
            _ => 0,
        };
        r
    }

    async fn pending_sign_in(
        &self,
        token: &str,
        wait_secs: u64,
        client: ClientInfo,
    ) -> Result<PendingOutcome, AppError> {
        crate::identity::held::pending(
            &self.pool,
            &self.live,
            token,
            std::time::Duration::from_secs(wait_secs.min(60)),
            &client,
            self.config.session_hours,
            self.config.secure_cookies(),
        )
        .await
    }

    async fn withdraw_sign_in(&self, token: &str) -> Result<String, AppError> {
        crate::identity::held::withdraw(&self.pool, token).await?;
        Ok(crate::identity::held::clear_cookie(
            self.config.secure_cookies(),
        ))
    }

    async fn sign_out(&self, token: Option<&str>) -> Result<String, AppError> {
        if let Some(t) = token {
            session::delete(&self.pool, t).await?;
        }
        Ok(session::clear_cookie(self.config.secure_cookies()))
    }

    async fn second_factor(
        &self,
        token: &str,
        code: &str,
        client: ClientInfo,
    ) -> Result<SignInOutcome, AppError> {
        let (user_id, username, method) = crate::identity::second_factor::answer(
            &self.pool,
            &self.config,
            token,
            code,
            client.ip,
        )
        .await?;
        crate::identity::sign_in::finish_after_second_factor(
            self, user_id, &username, &method, client,
        )
        .await
    }

    async fn begin_sign_in_enrolment(
        &self,
        token: &str,
    ) -> Result<tollgate_app::admin_dto::TotpEnrolment, AppError> {
        let e = crate::identity::second_factor::begin_for_sign_in(&self.pool, token).await?;
        Ok(tollgate_app::admin_dto::TotpEnrolment {
            secret: e.secret,
            otpauth_uri: e.uri,
            qr_code: crate::identity::second_factor::data_uri(&e.qr_svg),
        })
    }

    async fn confirm_sign_in_enrolment(
        &self,
        token: &str,
        code: &str,
        client: ClientInfo,
    ) -> Result<(Vec<String>, SignInOutcome), AppError> {
        let (codes, user_id, username, method) =
            crate::identity::second_factor::confirm_for_sign_in(
                &self.pool,
                &self.config,
                token,
                code,
                client.ip,
            )
            .await?;
        let outcome = crate::identity::sign_in::finish_after_second_factor(
            self, user_id, &username, &method, client,
        )
        .await?;
        Ok((codes, outcome))
    }

    async fn sign_in_options(&self) -> Result<tollgate_app::admin_dto::SignInOptions, AppError> {
        crate::usecases::sso::options(&self.pool).await
    }

    async fn list_tickets(
        &self,
        viewer: &Viewer,
        query: TicketQuery,
    ) -> Result<Page<TicketSummary>, AppError> {
        store::tickets::list(&self.pool, viewer, &query).await
    }

    async fn ticket_detail(&self, viewer: &Viewer, id: Uuid) -> Result<TicketDetail, AppError> {
        tickets::detail(&self.pool, viewer, id).await
    }

    async fn open_ticket(&self, viewer: &Viewer, body: OpenTicket) -> Result<TicketDto, AppError> {
        let t = tickets::open(&self.pool, viewer, body).await?;
        self.metrics.opened(t.ticket_type.as_str());
        Ok(t)
    }

    async fn approve(
        &self,
        viewer: &Viewer,
        id: Uuid,
        body: ApproveBody,
    ) -> Result<TicketDto, AppError> {
        let code = body.second_factor_code.as_deref();
        let given = crate::identity::step_up::code(&self.pool, &self.config, viewer, code).await?;
        self.counted(tickets::approve(&self.pool, viewer, id, body, given).await)
    }

    async fn reject(
        &self,
        viewer: &Viewer,
        id: Uuid,
        body: RejectBody,
    ) -> Result<TicketDto, AppError> {
        let code = body.second_factor_code.as_deref();
        let given = crate::identity::step_up::code(&self.pool, &self.config, viewer, code).await?;
        self.counted(tickets::reject(&self.pool, viewer, id, body, given).await)
    }

    async fn close(
        &self,
        viewer: &Viewer,
        id: Uuid,
        body: CommentOnly,
    ) -> Result<TicketDto, AppError> {
        self.counted(tickets::close(&self.pool, viewer, id, body).await)
    }

    async fn add_comment(
        &self,
        viewer: &Viewer,
        id: Uuid,
        body: NewComment,
    ) -> Result<CommentDto, AppError> {
        tickets::add_comment(&self.pool, viewer, id, body).await
    }

    async fn bulk(&self, viewer: &Viewer, body: BulkBody) -> Result<Vec<BulkResult>, AppError> {
        let code = body.second_factor_code.as_deref();
        let given = crate::identity::step_up::code(&self.pool, &self.config, viewer, code).await?;
        tickets::bulk(&self.pool, viewer, body, given, |t| self.metrics.changed(t)).await
    }

    async fn inbox_count(&self, viewer: &Viewer) -> Result<i64, AppError> {
        tickets::inbox_count(&self.pool, viewer).await
    }

    async fn orgs_for(&self, viewer: &Viewer) -> Result<Vec<OrgDto>, AppError> {
        if viewer.is_super_admin() {
            return store::directory::all_orgs(&self.pool).await;
        }
        Ok(viewer
            .orgs
            .iter()
            .map(|m| OrgDto {
                id: m.org_id,
                name: m.org_name.clone(),
            })
            .collect())
    }

    async fn nodes(&self, viewer: &Viewer, org: Uuid) -> Result<Vec<NodeDto>, AppError> {
        self.browse(viewer, org).await?;
        store::directory::nodes(&self.pool, org).await
    }

    async fn assets(
        &self,
        viewer: &Viewer,
        org: Uuid,
        q: Option<String>,
        node: Option<Uuid>,
    ) -> Result<Vec<AssetDto>, AppError> {
        self.browse(viewer, org).await?;
        let q = q
            .map(|s| s.trim().chars().take(100).collect::<String>())
            .filter(|s| !s.is_empty());
        store::directory::assets(&self.pool, org, q.as_deref(), node, 200).await
    }

    async fn accounts(
        &self,
        viewer: &Viewer,
        assets: Vec<Uuid>,
    ) -> Result<Vec<AccountDto>, AppError> {
        if assets.len() > 500 {
            return Err(AppError::invalid("assets", "at most 500 assets at a time"));
        }
        let orgs = store::directory::orgs_of_assets(&self.pool, &assets).await?;
        for org in orgs {
            self.browse(viewer, org).await?;
        }
        store::directory::accounts_of(&self.pool, &assets).await
    }

    async fn grants(
        &self,
        viewer: &Viewer,
        mine: bool,
        page: u32,
    ) -> Result<Page<GrantDto>, AppError> {
        crate::usecases::grants::list(&self.pool, viewer, mine, page).await
    }

    async fn revoke_grant(
        &self,
        viewer: &Viewer,
        id: Uuid,
        reason: String,
    ) -> Result<GrantDto, AppError> {
        crate::usecases::grants::revoke(&self.pool, viewer, id, &reason).await
    }

    async fn default_period_days(&self) -> i64 {
        // The admin's setting (issue 8); the rulebook's default if it cannot be read.
        crate::usecases::admin::settings::get(&self.pool)
            .await
            .map(|s| s.default_period_days)
            .unwrap_or(tollgate_core::request::DEFAULT_APPLY_PERIOD_DAYS)
    }

    async fn search_users(
        &self,
        _viewer: &Viewer,
        q: Option<String>,
    ) -> Result<Vec<Person>, AppError> {
        crate::usecases::flows::search_users(&self.pool, q).await
    }

    async fn list_flows(&self, viewer: &Viewer) -> Result<Vec<FlowDto>, AppError> {
        crate::usecases::flows::list(&self.pool, viewer).await
    }

    async fn get_flow(
        &self,
        viewer: &Viewer,
        scope: &str,
        ticket_type: &str,
    ) -> Result<FlowDto, AppError> {
        crate::usecases::flows::get(&self.pool, viewer, scope, ticket_type).await
    }

    async fn put_flow(
        &self,
        viewer: &Viewer,
        scope: &str,
        ticket_type: &str,
        flow: tollgate_core::Flow,
    ) -> Result<FlowDto, AppError> {
        crate::usecases::flows::put(&self.pool, viewer, scope, ticket_type, flow).await
    }

    async fn delete_flow(
        &self,
        viewer: &Viewer,
        scope: &str,
        ticket_type: &str,
    ) -> Result<FlowDto, AppError> {
        crate::usecases::flows::delete(&self.pool, viewer, scope, ticket_type).await
    }

    async fn preview_flow(
        &self,
        viewer: &Viewer,
        scope: &str,
        ticket_type: &str,
        flow: Option<tollgate_core::Flow>,
        applicant: Uuid,
    ) -> Result<Vec<PreviewLevel>, AppError> {
        crate::usecases::flows::preview(&self.pool, viewer, scope, ticket_type, flow, applicant)
            .await
    }
}

#[async_trait]
impl tollgate_app::backend::Notifications for Services {
    async fn notifications(
        &self,
        viewer: &Viewer,
        unread_only: bool,
        page: u32,
        per_page: u32,
    ) -> Result<tollgate_app::notifications::NotificationList, AppError> {
        crate::usecases::notifications::list(&self.pool, viewer.id, unread_only, page, per_page)
            .await
    }

    async fn unread_notifications(&self, viewer: &Viewer) -> Result<i64, AppError> {
        crate::usecases::notifications::unread(&self.pool, viewer.id).await
    }

    async fn mark_notification_read(
        &self,
        viewer: &Viewer,
        id: Uuid,
    ) -> Result<tollgate_app::notifications::NotificationDto, AppError> {
        crate::usecases::notifications::mark_read(&self.pool, viewer.id, id).await
    }

    async fn mark_all_notifications_read(
        &self,
        viewer: &Viewer,
        ticket: Option<Uuid>,
    ) -> Result<i64, AppError> {
        crate::usecases::notifications::mark_all_read(&self.pool, viewer.id, ticket).await
    }
}
