//! Webhooks: receivers of a signed JSON POST per ticket event (delivered by the outbox).
//! Only super admins manage them. The secret is chosen by the admin or made here, shown when
//! the webhook is made and never again.

use rand::RngCore;
use sqlx::PgPool;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use uuid::Uuid;

use crate::store::webhooks::{self as repo, WebhookChange, WebhookRow};

pub use tollgate_app::admin_dto::{CreatedWebhook, DeliveryDto, WebhookBody, WebhookDto};

impl From<WebhookRow> for WebhookDto {
    fn from(r: WebhookRow) -> Self {
        WebhookDto {
            id: r.id,
            url: r.url,
            description: r.description,
            active: r.active,
            created_at: r.created_at,
        }
    }
}

fn only_super_admin(v: &Viewer) -> Result<(), AppError> {
    if v.is_super_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden("Only super admins manage webhooks."))
    }
}

/// A webhook URL: http(s), a host, no white space, and not an internal address given
/// literally (names are checked when delivering, on the address they resolve to: egress.rs).
fn check_url(url: &str, allow: Option<&tollgate_core::IpList>) -> Result<String, AppError> {
    let url = url.trim();
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() <= 2000
        && url.split("://").nth(1).is_some_and(|rest| {
            !rest.is_empty() && !rest.starts_with('/') && !rest.chars().any(char::is_whitespace)
        });
    if !ok {
        return Err(AppError::invalid(
            "url",
            "give an http:// or https:// URL of at most 2000 characters",
        ));
    }
    crate::jobs::egress::check_url_host(url, allow).map_err(|e| AppError::invalid("url", e))?;
    Ok(url.to_string())
}

fn check_secret(secret: &str) -> Result<String, AppError> {
    let n = secret.chars().count();
    if (16..=200).contains(&n) {
        Ok(secret.to_string())
    } else {
        Err(AppError::invalid(
            "secret",
            "the secret has 16 to 200 characters",
        ))
    }
}

fn check_description(d: &str) -> Result<String, AppError> {
    if d.chars().count() > 500 {
        return Err(AppError::invalid("description", "at most 500 characters"));
    }
    Ok(d.trim().to_string())
}

pub async fn list(pool: &PgPool, v: &Viewer) -> Result<Vec<WebhookDto>, AppError> {
    only_super_admin(v)?;
    Ok(repo::list(pool)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn get(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<WebhookDto, AppError> {
    only_super_admin(v)?;
    repo::get(pool, id)
        .await?
        .map(Into::into)
        .ok_or_else(|| AppError::not_found("Webhook"))
}

pub async fn create(
    pool: &PgPool,
    v: &Viewer,
    body: WebhookBody,
    allow: Option<&tollgate_core::IpList>,
) -> Result<CreatedWebhook, AppError> {
    only_super_admin(v)?;
    let url = check_url(
        body.url
            .as_deref()
            .ok_or_else(|| AppError::invalid("url", "the URL is required"))?,
        allow,
    )?;
    let secret = match body.secret.as_deref() {
        Some(s) => check_secret(s)?,
        None => {
            let mut b = [0u8; 24];
            rand::rngs::OsRng.fill_bytes(&mut b);
            format!(
                "whsec_{}",
                b.iter().map(|x| format!("{x:02x}")).collect::<String>()
            )
        }
    };
    let description = check_description(body.description.as_deref().unwrap_or(""))?;
    let webhook: WebhookDto = repo::insert(
        pool,
        Uuid::new_v4(),
        &url,
        &secret,
        &description,
        body.active.unwrap_or(true),
        v.id,
    )
    .await?
    .into();
    tracing::info!(id = %webhook.id, by = %v.username, "webhook created");
    Ok(CreatedWebhook { webhook, secret })
}

pub async fn update(
    pool: &PgPool,
    v: &Viewer,
    id: Uuid,
    body: WebhookBody,
    allow: Option<&tollgate_core::IpList>,
) -> Result<WebhookDto, AppError> {
    only_super_admin(v)?;
    let url = body
        .url
        .as_deref()
        .map(|u| check_url(u, allow))
        .transpose()?;
    let secret = body.secret.as_deref().map(check_secret).transpose()?;
    let description = body
        .description
        .as_deref()
        .map(check_description)
        .transpose()?;
    repo::update(
        pool,
        id,
        WebhookChange {
            url,
            secret,
            description,
            active: body.active,
        },
    )
    .await?
    .map(Into::into)
    .ok_or_else(|| AppError::not_found("Webhook"))
}

/// Removes a webhook; its undelivered messages go with it.
pub async fn delete(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<(), AppError> {
    only_super_admin(v)?;
    if !repo::delete(pool, id).await? {
        return Err(AppError::not_found("Webhook"));
    }
    Ok(())
}

impl From<crate::store::outbox::DeliveryRow> for DeliveryDto {
    fn from(r: crate::store::outbox::DeliveryRow) -> Self {
        let open = r.delivered_at.is_none() && r.failed_at.is_none();
        DeliveryDto {
            id: r.id,
            event: r.event.unwrap_or_default(),
            ticket_serial: r.ticket_serial,
            created_at: r.created_at,
            attempts: r.attempts,
            delivered_at: r.delivered_at,
            failed_at: r.failed_at,
            next_attempt_at: open.then_some(r.visible_at),
            answer: r.answer,
            last_error: r.last_error,
        }
    }
}

/// How many deliveries the webhooks page shows.
const RECENT_DELIVERIES: i64 = 20;

/// The latest deliveries of webhook `id`, newest first.
pub async fn deliveries(pool: &PgPool, v: &Viewer, id: Uuid) -> Result<Vec<DeliveryDto>, AppError> {
    get(pool, v, id).await?;
    Ok(
        crate::store::outbox::deliveries(pool, id, RECENT_DELIVERIES)
            .await?
            .into_iter()
            .map(DeliveryDto::from)
            .collect(),
    )
}

/// Sends a message that was not delivered again now (after its receiver was fixed, say).
pub async fn send_again(
    pool: &PgPool,
    v: &Viewer,
    id: Uuid,
    delivery: Uuid,
) -> Result<DeliveryDto, AppError> {
    get(pool, v, id).await?;
    let mut conn = pool.acquire().await?;
    let Some(row) = crate::store::outbox::send_again(&mut conn, id, delivery).await? else {
        return Err(AppError::not_found("No such delivery of this webhook."));
    };
    if row.delivered_at.is_some() {
        return Err(AppError::conflict(
            "already_delivered",
            "This message was delivered; it is not sent again.",
        ));
    }
    Ok(row.into())
}
