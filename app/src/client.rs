//! The typed client of the REST API, for the pages that use it (administration, access rules,
//! invitations): one function per call, with the request and answer types the server's
//! handlers use ([`crate::dto`], [`crate::admin_dto`]). These are the endpoints scripts call
//! too. On the server this never runs: those pages load their data after hydration.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

#[derive(Clone, Copy)]
enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

/// What is sent: nothing, a JSON body, or text of a content type (an import file).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Body {
    None,
    Json(String),
    Text(String, &'static str),
}

impl Body {
    fn json(value: &impl Serialize) -> Body {
        Body::Json(serde_json::to_string(value).unwrap_or_default())
    }
}

/// A successful answer: its status and its text.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Answer {
    status: u16,
    text: String,
}

impl Answer {
    fn decode<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        serde_json::from_str(&self.text).map_err(|e| AppError::bad_request(e.to_string()))
    }
}

/// An error answer: `{"error": {"code", "message", "field", "details"}}`.
#[derive(Default, Deserialize)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct ErrorBody {
    #[serde(default)]
    error: ErrorFields,
}

#[derive(Default, Deserialize)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct ErrorFields {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    details: Option<serde_json::Value>,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl ErrorBody {
    /// The API's error, or a plain one for an answer that is not (a proxy's page).
    fn into_error(self, status: u16) -> AppError {
        let e = self.error;
        let mut err = AppError::new(
            status,
            e.code.as_deref().unwrap_or("error"),
            e.message
                .unwrap_or_else(|| "The request failed.".to_string()),
        );
        err.field = e.field;
        err.details = e.details;
        err
    }
}

/// `method` `url` with `body`: the answer when its status is 2xx, else the API's error.
async fn send(method: Method, url: &str, body: Body) -> Result<Answer, AppError> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_net::http::{Method as M, RequestBuilder};
        let m = match method {
            Method::Get => M::GET,
            Method::Post => M::POST,
            Method::Put => M::PUT,
            Method::Patch => M::PATCH,
            Method::Delete => M::DELETE,
        };
        let net = |_| {
            AppError::new(
                0,
                "network",
                "Tollgate could not be reached. Check your connection and try again.",
            )
        };
        let rb = RequestBuilder::new(url).method(m);
        let (text, content_type) = match body {
            Body::None => (None, ""),
            Body::Json(t) => (Some(t), "application/json"),
            Body::Text(t, ct) => (Some(t), ct),
        };
        let resp = match text {
            Some(t) => rb
                .header("content-type", content_type)
                .body(t)
                .map_err(|_| AppError::bad_request("The request could not be built."))?
                .send()
                .await
                .map_err(net)?,
            None => rb.send().await.map_err(net)?,
        };
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            let body: ErrorBody = serde_json::from_str(&text).unwrap_or_default();
            return Err(body.into_error(status));
        }
        Ok(Answer { status, text })
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (method, url, body);
        Err(AppError::new(
            0,
            "not_in_browser",
            "This part of the page loads in the browser.",
        ))
    }
}

async fn get<T: DeserializeOwned>(url: &str) -> Result<T, AppError> {
    send(Method::Get, url, Body::None).await?.decode()
}

async fn with_json<T: DeserializeOwned>(
    method: Method,
    url: &str,
    body: &impl Serialize,
) -> Result<T, AppError> {
    send(method, url, Body::json(body)).await?.decode()
}

/// A call whose success answers no content (204).
async fn no_content(method: Method, url: &str) -> Result<(), AppError> {
    send(method, url, Body::None).await.map(|_| ())
}

/// A call with a JSON body whose success answers no content (204).
async fn json_no_content(method: Method, url: &str, body: &impl Serialize) -> Result<(), AppError> {
    send(method, url, Body::json(body)).await.map(|_| ())
}

/// The orgs: those the caller may apply in, and (administration) with their counts and
/// members.
pub mod orgs {
    use super::*;
    use crate::admin_dto::{MemberDto, NewOrg, OrgDetail, OrgPatch, PutMember};
    use crate::dto::{OrgDto, Page};

    /// `GET /api/v1/orgs`: the orgs the caller may apply in.
    pub async fn list() -> Result<Page<OrgDto>, AppError> {
        get("/api/v1/orgs").await
    }

    /// `GET /api/v1/admin/orgs`: every org for super admins, else the caller's, with counts.
    pub async fn admin_list() -> Result<Page<OrgDetail>, AppError> {
        get("/api/v1/admin/orgs").await
    }

    /// `POST /api/v1/orgs`.
    pub async fn create(body: &NewOrg) -> Result<OrgDetail, AppError> {
        with_json(Method::Post, "/api/v1/orgs", body).await
    }

    /// `PATCH /api/v1/orgs/{id}`.
    pub async fn update(id: Uuid, body: &OrgPatch) -> Result<OrgDetail, AppError> {
        with_json(Method::Patch, &format!("/api/v1/orgs/{id}"), body).await
    }

    /// `DELETE /api/v1/orgs/{id}`.
    pub async fn delete(id: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/orgs/{id}")).await
    }

    /// `GET /api/v1/orgs/{org}/members`.
    pub async fn members(org: Uuid) -> Result<Page<MemberDto>, AppError> {
        get(&format!("/api/v1/orgs/{org}/members")).await
    }

    /// `PUT /api/v1/orgs/{org}/members`: add someone (or invite them) or change their role.
    pub async fn put_member(org: Uuid, body: &PutMember) -> Result<Page<MemberDto>, AppError> {
        with_json(Method::Put, &format!("/api/v1/orgs/{org}/members"), body).await
    }

    /// `DELETE /api/v1/orgs/{org}/members/{user}`.
    pub async fn remove_member(org: Uuid, user: Uuid) -> Result<(), AppError> {
        no_content(
            Method::Delete,
            &format!("/api/v1/orgs/{org}/members/{user}"),
        )
        .await
    }
}

/// People, as administrators see them.
pub mod users {
    use super::*;
    use crate::admin_dto::{NewUser, UserDetail, UserPatch};
    use crate::components::enc;
    use crate::dto::Page;

    /// `GET /api/v1/admin/users`, searched by `q` when given.
    pub async fn admin_list(q: Option<&str>) -> Result<Page<UserDetail>, AppError> {
        match q {
            Some(q) => get(&format!("/api/v1/admin/users?q={}", enc(q))).await,
            None => get("/api/v1/admin/users").await,
        }
    }

    /// `POST /api/v1/users`.
    pub async fn create(body: &NewUser) -> Result<UserDetail, AppError> {
        with_json(Method::Post, "/api/v1/users", body).await
    }

    /// `PATCH /api/v1/users/{id}`.
    pub async fn update(id: Uuid, body: &UserPatch) -> Result<UserDetail, AppError> {
        with_json(Method::Patch, &format!("/api/v1/users/{id}"), body).await
    }

    /// `DELETE /api/v1/users/{id}/second-factor` (super admins): their sessions end too.
    pub async fn reset_second_factor(id: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/users/{id}/second-factor")).await
    }
}

/// The node tree of an org.
pub mod nodes {
    use super::*;
    use crate::admin_dto::{NewNode, NodePatch};
    use crate::dto::{NodeDto, Page};

    /// `GET /api/v1/nodes?org=`.
    pub async fn list(org: Uuid) -> Result<Page<NodeDto>, AppError> {
        get(&format!("/api/v1/nodes?org={org}")).await
    }

    /// `POST /api/v1/nodes`.
    pub async fn create(body: &NewNode) -> Result<NodeDto, AppError> {
        with_json(Method::Post, "/api/v1/nodes", body).await
    }

    /// `PATCH /api/v1/nodes/{id}`: rename and/or move.
    pub async fn update(id: Uuid, body: &NodePatch) -> Result<NodeDto, AppError> {
        with_json(Method::Patch, &format!("/api/v1/nodes/{id}"), body).await
    }

    /// `DELETE /api/v1/nodes/{id}`.
    pub async fn delete(id: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/nodes/{id}")).await
    }
}

/// Assets of an org.
pub mod assets {
    use super::*;
    use crate::admin_dto::NewAsset;
    use crate::components::enc;
    use crate::dto::{AssetDto, Page};
    use tollgate_core::Platform;

    /// Which assets a list shows.
    #[derive(Debug, Clone, PartialEq)]
    pub struct AssetQuery {
        pub org: Uuid,
        /// Part of a name or address.
        pub q: String,
        /// Only under this node.
        pub node: Option<Uuid>,
        pub platform: Option<Platform>,
    }

    /// `GET /api/v1/assets?org=&q=[&node=][&platform=]`.
    pub async fn list(query: &AssetQuery) -> Result<Page<AssetDto>, AppError> {
        let mut url = format!("/api/v1/assets?org={}&q={}", query.org, enc(&query.q));
        if let Some(n) = query.node {
            url.push_str(&format!("&node={n}"));
        }
        if let Some(p) = query.platform {
            url.push_str(&format!("&platform={p}"));
        }
        get(&url).await
    }

    /// `POST /api/v1/assets`.
    pub async fn create(body: &NewAsset) -> Result<AssetDto, AppError> {
        with_json(Method::Post, "/api/v1/assets", body).await
    }

    /// `DELETE /api/v1/assets/{id}`.
    pub async fn delete(id: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/assets/{id}")).await
    }
}

/// Accounts of an asset.
pub mod accounts {
    use super::*;
    use crate::admin_dto::NewAccount;
    use crate::dto::{AccountDto, Page};

    /// `GET /api/v1/accounts?assets=`: the accounts of one asset.
    pub async fn list(asset: Uuid) -> Result<Page<AccountDto>, AppError> {
        get(&format!("/api/v1/accounts?assets={asset}")).await
    }

    /// `POST /api/v1/accounts`.
    pub async fn create(body: &NewAccount) -> Result<AccountDto, AppError> {
        with_json(Method::Post, "/api/v1/accounts", body).await
    }

    /// `DELETE /api/v1/accounts/{id}`.
    pub async fn delete(id: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/accounts/{id}")).await
    }
}

/// Bulk import of nodes, assets and accounts.
pub mod import {
    use super::*;
    use crate::admin_dto::ImportReport;

    /// `POST /api/v1/import?org=&dry_run=` with the file as written: JSON rows when it starts
    /// with `{` or `[`, else CSV (the server reads and checks either).
    pub async fn run(org: Uuid, dry_run: bool, file: String) -> Result<ImportReport, AppError> {
        let content_type = if file.trim_start().starts_with(['{', '[']) {
            "application/json"
        } else {
            "text/csv"
        };
        send(
            Method::Post,
            &format!("/api/v1/import?org={org}&dry_run={dry_run}"),
            Body::Text(file, content_type),
        )
        .await?
        .decode()
    }

    /// The report of a refused import (a 422 carries it in its details).
    pub fn refused(error: &AppError) -> Option<ImportReport> {
        ImportReport::deserialize(error.details.as_ref()?).ok()
    }
}

/// The settings administrators change at run time.
pub mod settings {
    use super::*;
    use crate::admin_dto::{SettingsDto, SettingsPatch};

    /// `GET /api/v1/settings`.
    pub async fn get() -> Result<SettingsDto, AppError> {
        super::get("/api/v1/settings").await
    }

    /// `PATCH /api/v1/settings`.
    pub async fn update(body: &SettingsPatch) -> Result<SettingsDto, AppError> {
        with_json(Method::Patch, "/api/v1/settings", body).await
    }
}

/// The caller's personal API tokens.
pub mod tokens {
    use super::*;
    use crate::admin_dto::{CreatedToken, NewToken, TokenInfo};

    /// `GET /api/v1/tokens`: newest first.
    pub async fn list() -> Result<Vec<TokenInfo>, AppError> {
        get("/api/v1/tokens").await
    }

    /// `POST /api/v1/tokens`: the answer holds the secret, shown this once.
    pub async fn create(body: &NewToken) -> Result<CreatedToken, AppError> {
        with_json(Method::Post, "/api/v1/tokens", body).await
    }

    /// `DELETE /api/v1/tokens/{id}`.
    pub async fn revoke(id: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/tokens/{id}")).await
    }
}

/// The tokens gateways use (super admins).
pub mod service_tokens {
    use super::*;
    use crate::admin_dto::{CreatedServiceToken, NewServiceToken, ServiceTokenList};

    /// `GET /api/v1/service-tokens`.
    pub async fn list() -> Result<ServiceTokenList, AppError> {
        get("/api/v1/service-tokens").await
    }

    /// `POST /api/v1/service-tokens`: the answer holds the secret, shown this once.
    pub async fn create(body: &NewServiceToken) -> Result<CreatedServiceToken, AppError> {
        with_json(Method::Post, "/api/v1/service-tokens", body).await
    }

    /// `DELETE /api/v1/service-tokens/{id}`.
    pub async fn revoke(id: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/service-tokens/{id}")).await
    }
}

/// The caller's second factor.
pub mod second_factor {
    use super::*;
    use crate::admin_dto::{RecoveryCodes, SecondFactorCode, SecondFactorStatus, TotpEnrolment};

    /// `GET /api/v1/me/second-factor`.
    pub async fn status() -> Result<SecondFactorStatus, AppError> {
        get("/api/v1/me/second-factor").await
    }

    /// `POST /api/v1/me/second-factor/totp`.
    pub async fn begin() -> Result<TotpEnrolment, AppError> {
        with_json(
            Method::Post,
            "/api/v1/me/second-factor/totp",
            &serde_json::json!({}),
        )
        .await
    }

    /// `POST /api/v1/me/second-factor/totp/confirm`.
    pub async fn confirm(body: &SecondFactorCode) -> Result<RecoveryCodes, AppError> {
        with_json(Method::Post, "/api/v1/me/second-factor/totp/confirm", body).await
    }

    /// `POST /api/v1/me/second-factor/remove`.
    pub async fn remove(body: &SecondFactorCode) -> Result<(), AppError> {
        json_no_content(Method::Post, "/api/v1/me/second-factor/remove", body).await
    }

    /// `POST /api/v1/me/second-factor/verify`: a code or a passkey's assertion makes this
    /// session fresh for the step-up window.
    pub async fn verify(body: &SecondFactorCode) -> Result<(), AppError> {
        json_no_content(Method::Post, "/api/v1/me/second-factor/verify", body).await
    }

    /// `POST /api/v1/me/second-factor/passkey-challenge`.
    pub async fn passkey_challenge() -> Result<serde_json::Value, AppError> {
        with_json(
            Method::Post,
            "/api/v1/me/second-factor/passkey-challenge",
            &serde_json::json!({}),
        )
        .await
    }

    /// `POST /api/v1/auth/passkey-challenge`: for the sign-in waiting in this browser.
    pub async fn sign_in_passkey_challenge() -> Result<serde_json::Value, AppError> {
        with_json(
            Method::Post,
            "/api/v1/auth/passkey-challenge",
            &serde_json::json!({}),
        )
        .await
    }
}

/// The caller's passkeys.
pub mod passkeys {
    use super::*;
    use crate::admin_dto::{NewPasskey, PasskeyDto, PasskeyName};

    /// `POST /api/v1/me/passkeys/options`.
    pub async fn options() -> Result<serde_json::Value, AppError> {
        with_json(
            Method::Post,
            "/api/v1/me/passkeys/options",
            &serde_json::json!({}),
        )
        .await
    }

    /// `POST /api/v1/me/passkeys`.
    pub async fn register(body: &NewPasskey) -> Result<PasskeyDto, AppError> {
        with_json(Method::Post, "/api/v1/me/passkeys", body).await
    }

    /// `PATCH /api/v1/me/passkeys/{id}`.
    pub async fn rename(id: Uuid, body: &PasskeyName) -> Result<PasskeyDto, AppError> {
        with_json(Method::Patch, &format!("/api/v1/me/passkeys/{id}"), body).await
    }

    /// `DELETE /api/v1/me/passkeys/{id}`.
    pub async fn remove(id: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/me/passkeys/{id}")).await
    }
}

/// Sign-in: single sign-on settings and group mappings (super admins).
pub mod sign_in {
    use super::*;
    use crate::admin_dto::{GroupMappingDto, NewGroupMapping, SignInSettings};

    /// `GET /api/v1/sign-in/settings`.
    pub async fn settings() -> Result<SignInSettings, AppError> {
        get("/api/v1/sign-in/settings").await
    }

    /// `PUT /api/v1/sign-in/settings`.
    pub async fn update(body: &SignInSettings) -> Result<SignInSettings, AppError> {
        with_json(Method::Put, "/api/v1/sign-in/settings", body).await
    }

    /// `GET /api/v1/sign-in/mappings`.
    pub async fn mappings() -> Result<Vec<GroupMappingDto>, AppError> {
        get("/api/v1/sign-in/mappings").await
    }

    /// `POST /api/v1/sign-in/mappings`.
    pub async fn add_mapping(body: &NewGroupMapping) -> Result<GroupMappingDto, AppError> {
        with_json(Method::Post, "/api/v1/sign-in/mappings", body).await
    }

    /// `DELETE /api/v1/sign-in/mappings/{id}`.
    pub async fn delete_mapping(id: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/sign-in/mappings/{id}")).await
    }
}

/// Webhooks and their deliveries (super admins).
pub mod webhooks {
    use super::*;
    use crate::admin_dto::{CreatedWebhook, DeliveryDto, WebhookBody, WebhookDto};

    /// `GET /api/v1/webhooks`.
    pub async fn list() -> Result<Vec<WebhookDto>, AppError> {
        get("/api/v1/webhooks").await
    }

    /// `POST /api/v1/webhooks`: the answer holds the secret, shown this once.
    pub async fn create(body: &WebhookBody) -> Result<CreatedWebhook, AppError> {
        with_json(Method::Post, "/api/v1/webhooks", body).await
    }

    /// `PATCH /api/v1/webhooks/{id}` (switching it on or off, say).
    pub async fn update(id: Uuid, body: &WebhookBody) -> Result<WebhookDto, AppError> {
        with_json(Method::Patch, &format!("/api/v1/webhooks/{id}"), body).await
    }

    /// `DELETE /api/v1/webhooks/{id}`.
    pub async fn delete(id: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/webhooks/{id}")).await
    }

    /// `GET /api/v1/webhooks/{id}/deliveries`: the latest, newest first.
    pub async fn deliveries(id: Uuid) -> Result<Vec<DeliveryDto>, AppError> {
        get(&format!("/api/v1/webhooks/{id}/deliveries")).await
    }

    /// `POST /api/v1/webhooks/{id}/deliveries/{delivery}/send-again`.
    pub async fn send_again(id: Uuid, delivery: Uuid) -> Result<DeliveryDto, AppError> {
        with_json(
            Method::Post,
            &format!("/api/v1/webhooks/{id}/deliveries/{delivery}/send-again"),
            &serde_json::json!({}),
        )
        .await
    }
}

/// A rule change: made, or (an org admin's) waiting for a super admin's approval.
#[derive(Debug, Clone, PartialEq)]
pub enum Written<T> {
    Done(T),
    Proposed(crate::dto::PendingChange),
}

/// Access rules: sign-ins, connections, commands.
pub mod acls {
    use super::*;
    use crate::admin_dto::{AclDto, AclInput, AclKind, AclList, Proposed};
    use crate::dto::PendingChange;

    /// 202 carries the waiting ticket; any other success the rule.
    fn written(a: Answer) -> Result<Written<AclDto>, AppError> {
        if a.status == 202 {
            a.decode::<Proposed>()
                .map(|p| Written::Proposed(p.pending_change))
        } else {
            a.decode().map(Written::Done)
        }
    }

    /// `GET /api/v1/acls/{kind}`: the rules the caller may edit, in decision order.
    pub async fn list(kind: AclKind) -> Result<AclList, AppError> {
        get(&format!("/api/v1/acls/{}", kind.path())).await
    }

    /// `POST /api/v1/acls/{kind}`.
    pub async fn create(kind: AclKind, body: &AclInput) -> Result<Written<AclDto>, AppError> {
        written(
            send(
                Method::Post,
                &format!("/api/v1/acls/{}", kind.path()),
                Body::json(body),
            )
            .await?,
        )
    }

    /// `PUT /api/v1/acls/{kind}/{id}`: replace the rule.
    pub async fn replace(
        kind: AclKind,
        id: Uuid,
        body: &AclInput,
    ) -> Result<Written<AclDto>, AppError> {
        written(
            send(
                Method::Put,
                &format!("/api/v1/acls/{}/{id}", kind.path()),
                Body::json(body),
            )
            .await?,
        )
    }

    /// `DELETE /api/v1/acls/{kind}/{id}`: `None` when deleted (204), else the ticket that
    /// waits for a super admin (202).
    pub async fn delete(kind: AclKind, id: Uuid) -> Result<Option<PendingChange>, AppError> {
        let a = send(
            Method::Delete,
            &format!("/api/v1/acls/{}/{id}", kind.path()),
            Body::None,
        )
        .await?;
        if a.status == 202 {
            a.decode::<Proposed>().map(|p| Some(p.pending_change))
        } else {
            Ok(None)
        }
    }
}

/// Invitations to orgs waiting for the caller.
pub mod invitations {
    use super::*;
    use crate::admin_dto::InvitationDto;

    /// `GET /api/v1/me/invitations`: newest first.
    pub async fn list() -> Result<Vec<InvitationDto>, AppError> {
        get("/api/v1/me/invitations").await
    }

    /// `POST /api/v1/me/invitations/{org}/accept`.
    pub async fn accept(org: Uuid) -> Result<(), AppError> {
        no_content(
            Method::Post,
            &format!("/api/v1/me/invitations/{org}/accept"),
        )
        .await
    }

    /// `DELETE /api/v1/me/invitations/{org}`.
    pub async fn decline(org: Uuid) -> Result<(), AppError> {
        no_content(Method::Delete, &format!("/api/v1/me/invitations/{org}")).await
    }
}

/// Out of office: a person's delegates.
pub mod delegations {
    use super::*;
    use crate::dto::{DelegationDto, Delegations, NewDelegation};

    /// `GET /api/v1/users/{person}/delegations`.
    pub async fn list(person: Uuid) -> Result<Delegations, AppError> {
        get(&format!("/api/v1/users/{person}/delegations")).await
    }

    /// `POST /api/v1/users/{person}/delegations`.
    pub async fn create(person: Uuid, body: &NewDelegation) -> Result<DelegationDto, AppError> {
        with_json(
            Method::Post,
            &format!("/api/v1/users/{person}/delegations"),
            body,
        )
        .await
    }

    /// `DELETE /api/v1/users/{person}/delegations/{id}`.
    pub async fn end(person: Uuid, id: Uuid) -> Result<(), AppError> {
        no_content(
            Method::Delete,
            &format!("/api/v1/users/{person}/delegations/{id}"),
        )
        .await
    }
}

/// An org's request templates.
pub mod templates {
    use super::*;
    use crate::dto::TemplateDto;
    use tollgate_core::template::TemplateForm;

    /// `GET /api/v1/orgs/{org}/templates`.
    pub async fn list(org: Uuid) -> Result<Vec<TemplateDto>, AppError> {
        get(&format!("/api/v1/orgs/{org}/templates")).await
    }

    /// `POST /api/v1/orgs/{org}/templates`.
    pub async fn create(org: Uuid, body: &TemplateForm) -> Result<TemplateDto, AppError> {
        with_json(Method::Post, &format!("/api/v1/orgs/{org}/templates"), body).await
    }

    /// `DELETE /api/v1/orgs/{org}/templates/{id}`.
    pub async fn delete(org: Uuid, id: Uuid) -> Result<(), AppError> {
        no_content(
            Method::Delete,
            &format!("/api/v1/orgs/{org}/templates/{id}"),
        )
        .await
    }
}
