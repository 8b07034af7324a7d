//! The last step of every sign-in, whatever proved who the person is (a password, an OpenID
//! provider, the directory): the login rules decide, then a session opens or the sign-in is
//! held for a reviewer.

use tollgate_app::backend::{ClientInfo, SignInOutcome, SignedIn};
use tollgate_app::AppError;
use uuid::Uuid;

use crate::http::backend::Services;
use crate::identity::session;

/// Who proved who they are, and how: `password`, `oidc` or `ldap`.
pub struct Proven<'a> {
    pub user_id: Uuid,
    pub username: &'a str,
    pub method: &'a str,
    /// The identity provider says it asked for a second factor, and the settings trust it.
    pub provider_second_factor: bool,
}

/// Asks for the second factor of `who` when they have one; else opens the session, or holds
/// the sign-in when a login rule says review.
pub async fn open(
    s: &Services,
    who: Proven<'_>,
    client: ClientInfo,
) -> Result<SignInOutcome, AppError> {
    use crate::identity::second_factor as factor;
    if who.provider_second_factor {
        return finish(s, who, client, true).await;
    }
    let has_factor = factor::required(&s.pool, who.user_id).await?;
    let must_set_up = !has_factor && {
        let policy = crate::usecases::sso::settings(&s.pool).await?.second_factor;
        use tollgate_app::admin_dto::SecondFactorPolicy;
        let approver = policy == SecondFactorPolicy::Approvers
            && crate::store::directory::named_in_a_flow(&s.pool, who.user_id).await?;
        policy != SecondFactorPolicy::Optional
            && crate::store::users::viewer(&s.pool, who.user_id)
                .await?
                .is_some_and(|v| policy.covers(&v, approver))
    };
    if has_factor || must_set_up {
        let cookie =
            factor::challenge(&s.pool, who.user_id, who.method, s.config.secure_cookies()).await?;
        return Ok(if has_factor {
            SignInOutcome::SecondFactor(cookie)
        } else {
            SignInOutcome::SetUpSecondFactor(cookie)
        });
    }
    finish(s, who, client, false).await
}

/// A waiting sign-in whose second factor was just given (or set up): as [`finish`], noting it.
pub async fn finish_after_second_factor(
    s: &Services,
    user_id: Uuid,
    username: &str,
    method: &str,
    client: ClientInfo,
) -> Result<SignInOutcome, AppError> {
    let who = Proven {
        user_id,
        username,
        method,
        provider_second_factor: false,
    };
    finish(s, who, client, true).await
}

/// Once every factor is given: the login rules, then the session (noting a second factor) or
/// the hold.
pub async fn finish(
    s: &Services,
    who: Proven<'_>,
    client: ClientInfo,
    second_factor: bool,
) -> Result<SignInOutcome, AppError> {
    let secure = s.config.secure_cookies();
    if let crate::usecases::acls::LoginCheck::Review {
        rule,
        reviewers,
        step_up,
    } = crate::usecases::acls::check_login(
        &s.pool,
        s.live.acls(),
        who.user_id,
        who.username,
        client.ip,
    )
    .await?
    {
        let hold = crate::identity::held::Hold {
            user_id: who.user_id,
            username: who.username,
            client: &client,
            rule_name: &rule,
            reviewers: &reviewers,
            step_up,
            method: who.method,
        };
        return match crate::identity::held::hold(&s.pool, hold, secure).await? {
            Some(held) => Ok(SignInOutcome::Held(held)),
            None => Err(AppError::new(
                403,
                "login_review_unavailable",
                format!(
                    "This sign-in needs a reviewer's approval (rule {rule:?}), but none of \
                     its reviewers is active. Ask an administrator."
                ),
            )),
        };
    }
    let token = session::create(
        &s.pool,
        who.user_id,
        s.config.session_hours,
        &client,
        who.method,
    )
    .await?;
    if second_factor {
        crate::identity::second_factor::mark(&s.pool, &token).await?;
    }
    let viewer = crate::store::users::viewer(&s.pool, who.user_id)
        .await?
        .ok_or_else(|| AppError::new(401, "invalid_credentials", "Wrong username or password."))?;
    tracing::info!(user = %viewer.username, method = who.method, "signed in");
    Ok(SignInOutcome::SignedIn(SignedIn {
        viewer,
        set_cookie: session::cookie(&token, s.config.session_hours, secure),
    }))
}
