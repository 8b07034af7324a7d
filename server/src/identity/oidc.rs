//! OpenID Connect sign-in (the `openidconnect` crate): the provider found by discovery, the
//! authorization code flow with PKCE, `state` and `nonce` (kept server-side, used once, the
//! state also in a cookie of the browser that started), and the ID token checked against the
//! provider's keys, fetched again when a token names a key not known yet (rotation). Expiry is
//! enforced with a minute of clock skew either way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, JsonWebKeySet, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, SignatureVerificationError,
    TokenResponse,
};
use sqlx::PgPool;
use tokio::sync::Mutex;
use tollgate_app::admin_dto::OidcSettings;
use tollgate_app::AppError;

use crate::identity::digest;

/// How far the provider's clock may be from ours.
pub const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(60);
/// Discovery is read again after this long.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// The cookie binding a sign-in under way to the browser that started it.
pub const STATE_COOKIE: &str = "tollgate_oidc";

struct Cached {
    issuer: String,
    meta: CoreProviderMetadata,
    fetched: Instant,
}

/// This instance's OpenID Connect client: one HTTP client (our TLS roots, no redirects
/// followed) and the provider's metadata and keys.
pub struct Oidc {
    http: reqwest::Client,
    cache: Mutex<Option<Cached>>,
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct Claims {
    pub issuer: String,
    pub subject: String,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub groups: Vec<String>,
    /// How the provider says the person signed in (the `amr` claim: `pwd`, `otp`, `mfa`, …).
    pub amr: Vec<String>,
}

fn refused(code: &str, message: impl Into<String>) -> AppError {
    AppError::new(400, code, message)
}

fn unreachable_provider(e: impl std::fmt::Display) -> AppError {
    tracing::warn!(error = %e, "the OpenID provider cannot be reached");
    AppError::new(
        503,
        "sso_unavailable",
        format!(
            "The identity provider cannot be reached: {}",
            crate::tls::with_explanation(e.to_string())
        ),
    )
}

/// An `https://` issuer, or `http://` on a loopback address (a provider on the same machine).
pub fn issuer_problem(issuer: &str) -> Option<&'static str> {
    let Ok(u) = url::Url::parse(issuer) else {
        return Some("not a URL");
    };
    match u.scheme() {
        "https" => None,
        "http" => {
            let loopback = match u.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            (!loopback).then_some("use https:// (http:// only for a provider on this machine)")
        }
        _ => Some("use https://"),
    }
}

impl Oidc {
    pub fn new(roots: &crate::tls::Roots) -> Oidc {
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(roots.client_config())
            // Following redirects would let a provider's answer send us anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a reqwest client with a rustls config builds");
        Oidc {
            http,
            cache: Mutex::new(None),
        }
    }

    /// The provider's metadata with its keys; `refresh_keys` fetches the keys again. ID tokens
    /// only ever come from the provider's token endpoint (never from the browser), so a token
    /// naming an unknown key costs one fetch of the keys per sign-in, not a flood.
    async fn metadata(
        &self,
        s: &OidcSettings,
        refresh_keys: bool,
    ) -> Result<CoreProviderMetadata, AppError> {
        let mut cache = self.cache.lock().await;
        let fresh = cache
            .as_ref()
            .is_some_and(|c| c.issuer == s.issuer && c.fetched.elapsed() < METADATA_TTL);
        if !fresh {
            let issuer = IssuerUrl::new(s.issuer.clone())
                .map_err(|e| refused("sso_misconfigured", format!("issuer: {e}")))?;
            let meta = CoreProviderMetadata::discover_async(issuer, &self.http)
                .await
                .map_err(unreachable_provider)?;
            *cache = Some(Cached {
                issuer: s.issuer.clone(),
                meta,
                fetched: Instant::now(),
            });
        } else if refresh_keys {
            let c = cache.as_mut().expect("checked fresh");
            let keys = JsonWebKeySet::fetch_async(c.meta.jwks_uri(), &self.http)
                .await
                .map_err(unreachable_provider)?;
            c.meta = c.meta.clone().set_jwks(keys);
            tracing::info!(issuer = %s.issuer, "fetched the OpenID provider's keys again");
        }
        Ok(cache.as_ref().expect("filled above").meta.clone())
    }

    /// Starts a sign-in: keeps its state, nonce and PKCE verifier, and answers the provider's
    /// authorization URL and the state (for the browser's cookie).
    pub async fn start(
        &self,
        pool: &PgPool,
        s: &OidcSettings,
        redirect_uri: &str,
        next: &str,
    ) -> Result<(String, String), AppError> {
        let meta = self.metadata(s, false).await?;
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(s.client_id.clone()),
            s.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_string())
                .map_err(|e| refused("sso_misconfigured", format!("redirect URI: {e}")))?,
        );
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in s.scopes.iter().filter(|x| x.as_str() != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        crate::store::sso::start_oidc(
            pool,
            &digest::of(state.secret()),
            nonce.secret(),
            verifier.secret(),
            next,
        )
        .await?;
        Ok((url.to_string(), state.secret().clone()))
    }

    /// Finishes a sign-in at the callback: the state must be one this browser started (its
    /// cookie), unused and recent; the code is exchanged (with the PKCE verifier) and the ID
    /// token checked. Answers who signed in and where they were going.
    pub async fn finish(
        &self,
        pool: &PgPool,
        s: &OidcSettings,
        redirect_uri: &str,
        state: &str,
        browser_state: Option<&str>,
        code: &str,
    ) -> Result<(Claims, String), AppError> {
        let unknown = || {
            refused(
                "sso_state_unknown",
                "This sign-in is unknown, was used already, was started in another browser, or is \
                 older than ten minutes. Start again from the sign-in page.",
            )
        };
        if browser_state != Some(state) {
            return Err(unknown());
        }
        let (nonce, verifier, next) = crate::store::sso::take_oidc(pool, &digest::of(state))
            .await?
            .ok_or_else(unknown)?;
        let meta = self.metadata(s, false).await?;
        let client = CoreClient::from_provider_metadata(
            meta,
            ClientId::new(s.client_id.clone()),
            s.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_string())
                .map_err(|e| refused("sso_misconfigured", format!("redirect URI: {e}")))?,
        );
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| refused("sso_misconfigured", e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => refused(
                    "sso_code_refused",
                    format!(
                        "The identity provider refused this sign-in's code ({}{}): it was used \
                         already, has expired, or was made for another application. Start \
                         again from the sign-in page.",
                        r.error(),
                        r.error_description()
                            .map(|d| format!(": {d}"))
                            .unwrap_or_default()
                    ),
                ),
                other => unreachable_provider(other),
            })?;
        let _ = token.access_token();
        let id_token = token.id_token().ok_or_else(|| {
            refused(
                "sso_token_invalid",
                "The identity provider answered without an ID token.",
            )
        })?;
        let nonce = Nonce::new(nonce);
        let verify = |meta: CoreProviderMetadata| {
            let client = CoreClient::from_provider_metadata(
                meta,
                ClientId::new(s.client_id.clone()),
                s.client_secret.clone().map(ClientSecret::new),
            );
            let verifier = client
                .id_token_verifier()
                .set_time_fn(|| chrono::Utc::now() - CLOCK_SKEW)
                .set_issue_time_verifier_fn(|iat| {
                    if iat > chrono::Utc::now() + CLOCK_SKEW {
                        Err(format!("issued in the future ({iat})"))
                    } else {
                        Ok(())
                    }
                });
            id_token
                .claims(&verifier, &nonce)
                .map(|c| (c.issuer().to_string(), c.subject().to_string()))
        };
        let checked = match verify(self.metadata(s, false).await?) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => verify(self.metadata(s, true).await?),
            other => other,
        };
        let (issuer, subject) = checked.map_err(|e| {
            let why = match &e {
                ClaimsVerificationError::Expired(_) => "it has expired".to_string(),
                ClaimsVerificationError::InvalidNonce(_) => {
                    "it was not made for this sign-in (nonce)".to_string()
                }
                ClaimsVerificationError::InvalidAudience(_) => {
                    "it was made for another application (audience)".to_string()
                }
                ClaimsVerificationError::InvalidIssuer(_) => {
                    "another provider issued it".to_string()
                }
                ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                ) => "it is signed with a key the provider does not publish".to_string(),
                ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoSignature,
                ) => "it is not signed".to_string(),
                ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::DisallowedAlg(a),
                ) => format!("its signature algorithm is not allowed ({a})"),
                ClaimsVerificationError::SignatureVerification(_) => {
                    "its signature does not check out".to_string()
                }
                other => other.to_string(),
            };
            tracing::warn!(error = %e, "an ID token was refused");
            refused(
                "sso_token_invalid",
                format!("The identity provider's ID token was refused: {why}."),
            )
        })?;
        let payload = payload_of(&id_token.to_string()).unwrap_or_default();
        let text = |k: &str| {
            payload
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .filter(|v| !v.trim().is_empty())
        };
        let groups = match payload.get(&s.groups_claim) {
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(serde_json::Value::String(g)) => vec![g.clone()],
            _ => Vec::new(),
        };
        let amr = match payload.get("amr") {
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        Ok((
            Claims {
                issuer,
                subject,
                preferred_username: text("preferred_username"),
                name: text("name"),
                email: text("email"),
                groups,
                amr,
            },
            next,
        ))
    }
}

/// The claims of a JWT whose signature was checked already (its middle part).
fn payload_of(jwt: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    use base64::Engine;
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The `Set-Cookie` value binding a sign-in under way to this browser, for ten minutes, sent
/// back only to the callback (SameSite=Lax: a top-level return from the provider carries it).
pub fn state_cookie(state: &str, secure: bool) -> String {
    format!(
        "{STATE_COOKIE}={state}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=600{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that forgets it.
pub fn clear_state_cookie(secure: bool) -> String {
    format!(
        "{STATE_COOKIE}=; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

pub type SharedOidc = Arc<Oidc>;
