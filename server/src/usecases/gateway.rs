//! The gateway use-cases (SPEC §6): a bastion or SSH proxy, holding a service token, asks
//! whether a connection or a command may go through. The org's ACLs decide (core's matching);
//! `review` opens a confirm ticket for the rule's reviewers (minus the user) that only this
//! gateway may wait on and withdraw. A gateway sees only the orgs its token serves.

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use tollgate_app::AppError;
use tollgate_core::{
    AclAction, AclDecision, AssetAccess, CommandConfirmRequest, CommandText,
    LoginAssetConfirmRequest, NewTicket, RuleError, Ticket, TicketRequest, TicketState, Transition,
    UserRef,
};
use uuid::Uuid;

use crate::identity::service_tokens::Gateway;
use crate::store::{directory as dir, gateway as store, tickets as repo, users};
use crate::usecases::acls::{self, AclKind};

/// "Which connection": the question a gateway asks before connecting.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct LoginAssetQuestion {
    /// The user: an id or a username.
    pub user: String,
    /// The asset: an id, or a name. Either is looked up only within the orgs the service
    /// token serves; an asset of another org is unknown (422 on `asset`).
    pub asset: String,
    /// The asset's org, by id or name (one the token serves): needed when several of the
    /// token's orgs have an asset of that name (422 `ambiguous_asset` on `org` otherwise).
    #[serde(default)]
    pub org: Option<String>,
    /// The account name used on the asset.
    pub account: String,
}

/// "Which command": the question a gateway asks before running a command.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CommandQuestion {
    /// The user: an id or a username.
    pub user: String,
    /// The asset: an id, or a name. Either is looked up only within the orgs the service
    /// token serves; an asset of another org is unknown (422 on `asset`).
    pub asset: String,
    /// The asset's org, by id or name (one the token serves): needed when several of the
    /// token's orgs have an asset of that name (422 `ambiguous_asset` on `org` otherwise).
    #[serde(default)]
    pub org: Option<String>,
    /// The account name used on the asset.
    pub account: String,
    /// The command line (1–4096 characters).
    pub command: String,
    /// The gateway's session id (a UUID; made up when left out).
    #[serde(default)]
    pub session_id: Option<Uuid>,
}

/// The answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GatewayDecision {
    /// `accept`, `reject`, `warning` (go on, noted) or `review` (wait for the ticket).
    #[schema(value_type = String)]
    pub decision: AclAction,
    /// For `review`: the ticket to wait on (`GET /api/v1/tickets/{id}/decision?wait=S`). For
    /// an `accept` that reuses an earlier approval (the rule's `reuse_minutes`): that ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<Uuid>,
    /// For `review`: its serial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_serial: Option<String>,
    /// For `review`: where a reviewer (or the user) sees it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_url: Option<String>,
    /// The rule that decided, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acl_id: Option<Uuid>,
    /// Why, in words a person can read.
    pub reason: String,
}

struct Subject {
    user_id: Uuid,
    username: String,
    user_active: bool,
    asset_id: Uuid,
    asset_name: String,
    org_id: Uuid,
    account: String,
}

/// Finds the user, the asset and its org. The asset and the org are looked up only within
/// the orgs the gateway's token serves: anything else is unknown to it, with the same answer
/// as a name nobody uses, so a token learns nothing of other orgs.
async fn resolve(
    db: &mut PgConnection,
    gw: &Gateway,
    user: &str,
    asset: &str,
    org: Option<&str>,
    account: &str,
) -> Result<Subject, AppError> {
    let user = user.trim();
    if user.is_empty() {
        return Err(AppError::invalid("user", "Give the user's id or username."));
    }
    let u: Option<(Uuid, String, bool)> = match user.parse::<Uuid>() {
        Ok(id) => users::status_by_id(&mut *db, id).await?,
        Err(_) => users::status_by_username(&mut *db, user).await?,
    };
    let Some((user_id, username, user_active)) = u else {
        return Err(AppError::invalid(
            "user",
            format!("there is no user {user:?}"),
        ));
    };

    let asset = asset.trim();
    if asset.is_empty() {
        return Err(AppError::invalid("asset", "Give the asset's id or name."));
    }
    let org_id: Option<Uuid> = match org.map(str::trim).filter(|o| !o.is_empty()) {
        None => None,
        Some(o) => {
            let found = match o.parse::<Uuid>() {
                Ok(id) => Some(id),
                Err(_) => dir::org_by_name(&mut *db, o).await?,
            };
            // An org this token does not serve is as unknown as one that does not exist.
            Some(
                found
                    .filter(|id| gw.serves(*id))
                    .ok_or_else(|| AppError::invalid("org", format!("there is no org {o:?}")))?,
            )
        }
    };
    let rows = match asset.parse::<Uuid>() {
        Ok(id) => store::asset_by_id(&mut *db, id, &gw.org_ids, org_id).await?,
        Err(_) => store::assets_by_name(&mut *db, asset, &gw.org_ids, org_id).await?,
    };
    let (asset_id, asset_name, asset_org) = match rows.as_slice() {
        [(id, name, org, _)] => (*id, name.clone(), *org),
        [] if org_id.is_some() => {
            return Err(AppError::invalid(
                "asset",
                format!("there is no asset {asset:?} in that org"),
            ))
        }
        [] => {
            return Err(AppError::invalid(
                "asset",
                format!("there is no asset {asset:?}"),
            ))
        }
        // Only orgs this token serves are named, so nothing leaks.
        several => {
            let orgs: Vec<&str> = several.iter().map(|(.., o)| o.as_str()).collect();
            let message = format!(
                "the orgs this gateway serves have several assets named {asset:?} (in {}): \
                 name the org",
                orgs.join(", ")
            );
            return Err(AppError {
                field: Some("org".to_string()),
                ..AppError::new(422, "ambiguous_asset", message)
            }
            .with_details(serde_json::json!({ "orgs": orgs })));
        }
    };
    let account = tollgate_core::AccountName::parse(account)
        .map_err(|e| AppError::invalid("account", e.reason))?;
    Ok(Subject {
        user_id,
        username,
        user_active,
        asset_id,
        asset_name,
        org_id: asset_org,
        account: account.as_str().to_string(),
    })
}

fn access(s: &Subject) -> AssetAccess {
    AssetAccess {
        user_id: s.user_id,
        username: s.username.clone(),
        asset_id: s.asset_id,
        asset_name: s.asset_name.clone(),
        account: s.account.clone(),
    }
}

fn plain(decision: AclAction, acl_id: Option<Uuid>, reason: String) -> GatewayDecision {
    GatewayDecision {
        decision,
        ticket_id: None,
        ticket_serial: None,
        ticket_url: None,
        acl_id,
        reason,
    }
}

/// Turns core's decision into the answer, opening the confirm ticket for `review`.
#[allow(clippy::too_many_arguments)]
async fn answer(
    pool: &PgPool,
    public_url: &str,
    gw: &Gateway,
    s: &Subject,
    d: AclDecision,
    what: &str,
    title: String,
    request: impl FnOnce(Uuid) -> TicketRequest,
) -> Result<GatewayDecision, AppError> {
    let mut db = pool.acquire().await?;
    let rule = match d.rule_id {
        Some(id) => acls::name_of(&mut db, id).await?,
        None => String::new(),
    };
    drop(db);
    let request = request(d.rule_id.unwrap_or_default());
    if d.action == AclAction::Review {
        if let Some((id, serial, minutes)) = reusable(pool, s, &d, &request).await? {
            return Ok(GatewayDecision {
                decision: AclAction::Accept,
                ticket_id: Some(id),
                ticket_serial: Some(serial.clone()),
                ticket_url: Some(format!(
                    "{}/tickets/{id}",
                    public_url.trim_end_matches('/')
                )),
                acl_id: d.rule_id,
                reason: format!(
                    "Allowed: ticket {serial} approved the same {what} within the last {minutes} minutes, which the rule {rule:?} lets answer again."
                ),
            });
        }
    }
    let out = match d.action {
        AclAction::Accept if d.rule_id.is_none() => plain(
            AclAction::Accept,
            None,
            format!("No rule holds this {what}."),
        ),
        AclAction::Accept => plain(
            AclAction::Accept,
            d.rule_id,
            format!("Allowed by the rule {rule:?}."),
        ),
        AclAction::Warning => plain(
            AclAction::Warning,
            d.rule_id,
            format!("Allowed with a warning by the rule {rule:?}."),
        ),
        AclAction::Reject => plain(
            AclAction::Reject,
            d.rule_id,
            format!("Refused by the rule {rule:?}."),
        ),
        AclAction::Review => {
            let mut tx = pool.begin().await?;
            let mut named = d.reviewers.clone();
            named.push(s.user_id);
            let directory = dir::directory_for(&mut tx, Some(s.org_id), &named).await?;
            let now = Utc::now();
            let serial = repo::next_serial(&mut tx, now.date_naive()).await?;
            let id = Uuid::new_v4();
            let opened = tollgate_core::open_with_reviewers(
                NewTicket {
                    id,
                    serial,
                    title,
                    org_id: Some(s.org_id),
                    applicant: UserRef::new(s.user_id, s.username.clone()),
                    request,
                },
                &d.reviewers,
                d.step_up,
                &directory,
                now,
            );
            let Transition { ticket, events } = match opened {
                Ok(t) => t,
                // Fail closed: a review nobody can do is a refusal, said plainly.
                Err(RuleError::NoApprovers { .. }) => {
                    return Ok(plain(
                        AclAction::Reject,
                        d.rule_id,
                        format!(
                            "The rule {rule:?} asks for a review, but none of its reviewers \
                             other than the user is active."
                        ),
                    ))
                }
                Err(e) => return Err(AppError::from(e)),
            };
            let expires_at = now + tollgate_core::default_ttl(ticket.ticket_type);
            let inbox = repo::insert(&mut tx, &ticket, "", expires_at).await?;
            store::insert_ticket(&mut *tx, ticket.id, gw.token_id).await?;
            // The reviewers are told (in-app, email, webhooks) like for any ticket.
            crate::usecases::outbox::record(&mut tx, &ticket, &events, "opened", inbox).await?;
            tx.commit().await?;
            tracing::info!(serial = %ticket.serial, gateway = %gw.name, user = %s.username, "confirm ticket opened");
            GatewayDecision {
                decision: AclAction::Review,
                ticket_id: Some(ticket.id),
                ticket_serial: Some(ticket.serial.clone()),
                ticket_url: Some(format!(
                    "{}/tickets/{}",
                    public_url.trim_end_matches('/'),
                    ticket.id
                )),
                acl_id: d.rule_id,
                reason: format!(
                    "Held for review by the rule {rule:?}: ticket {}.",
                    ticket.serial
                ),
            }
        }
    };
    Ok(out)
}

/// An approval that answers this question again (the rule's `reuse_minutes`): the person's
/// latest approved confirm ticket of the same kind, asking the same (the request's fields but
/// the gateway's session and the rule), approved within the window. Its id, serial and the
/// window.
async fn reusable(
    pool: &PgPool,
    s: &Subject,
    d: &AclDecision,
    request: &TicketRequest,
) -> Result<Option<(Uuid, String, u16)>, AppError> {
    let Some(minutes) = d.reuse_minutes else {
        return Ok(None);
    };
    let mut same = serde_json::to_value(request).map_err(|_| AppError::internal())?;
    if let Some(o) = same.as_object_mut() {
        o.remove("session_id");
        o.remove("acl_id");
    }
    let since = Utc::now() - chrono::Duration::minutes(i64::from(minutes));
    let found = store::recent_approval(
        pool,
        s.user_id,
        request.ticket_type().as_str(),
        &same,
        since,
    )
    .await?;
    Ok(found.map(|(id, serial)| (id, serial, minutes)))
}

fn inactive(s: &Subject) -> GatewayDecision {
    plain(
        AclAction::Reject,
        None,
        format!("The user {} is deactivated.", s.username),
    )
}

/// Decides a connection to an asset.
pub async fn ask_login_asset(
    pool: &PgPool,
    cache: &crate::usecases::acl_cache::AclCache,
    public_url: &str,
    gw: &Gateway,
    q: LoginAssetQuestion,
) -> Result<GatewayDecision, AppError> {
    let mut db = pool.acquire().await?;
    let s = resolve(&mut db, gw, &q.user, &q.asset, q.org.as_deref(), &q.account).await?;
    if !s.user_active {
        return Ok(inactive(&s));
    }
    drop(db);
    let rules = cache
        .rules::<tollgate_core::LoginAssetAcl>(pool, AclKind::LoginAsset, Some(s.org_id))
        .await?;
    let d = tollgate_core::decide_login_asset(&rules, &access(&s));
    let title = format!("Connect to {} as {}", s.asset_name, s.account);
    let account = tollgate_core::AccountName::parse(&s.account)
        .map_err(|e| AppError::invalid(&e.field, e.reason))?;
    let (user_id, asset_id) = (s.user_id, s.asset_id);
    answer(
        pool,
        public_url,
        gw,
        &s,
        d,
        "connection",
        title,
        move |_| {
            TicketRequest::LoginAssetConfirm(LoginAssetConfirmRequest {
                user_id,
                asset_id,
                account,
            })
        },
    )
    .await
}

/// Decides a command.
pub async fn ask_command(
    pool: &PgPool,
    cache: &crate::usecases::acl_cache::AclCache,
    public_url: &str,
    gw: &Gateway,
    q: CommandQuestion,
) -> Result<GatewayDecision, AppError> {
    let command =
        CommandText::parse(&q.command).map_err(|e| AppError::invalid(&e.field, e.reason))?;
    let mut db = pool.acquire().await?;
    let s = resolve(&mut db, gw, &q.user, &q.asset, q.org.as_deref(), &q.account).await?;
    if !s.user_active {
        return Ok(inactive(&s));
    }
    drop(db);
    let rules = cache
        .rules::<tollgate_core::CommandFilterAcl>(pool, AclKind::CommandFilter, Some(s.org_id))
        .await?;
    let d = tollgate_core::decide_command(&rules, &access(&s), command.as_str());
    let short: String = command.as_str().chars().take(80).collect();
    let ellipsis = if command.as_str().chars().count() > 80 {
        "…"
    } else {
        ""
    };
    let title = format!(
        "Run `{short}{ellipsis}` on {} as {}",
        s.asset_name, s.account
    )
    .replace(['\n', '\r'], " ");
    let account = tollgate_core::AccountName::parse(&s.account)
        .map_err(|e| AppError::invalid(&e.field, e.reason))?;
    let (user_id, asset_id) = (s.user_id, s.asset_id);
    let session_id = q.session_id.unwrap_or_else(Uuid::new_v4);
    answer(
        pool,
        public_url,
        gw,
        &s,
        d,
        "command",
        title,
        move |acl_id| {
            TicketRequest::CommandConfirm(CommandConfirmRequest {
                user_id,
                asset_id,
                account,
                command,
                session_id,
                acl_id,
            })
        },
    )
    .await
}

/// A ticket this gateway opened, locked or not; 404 for any other.
async fn own_ticket(
    db: &mut PgConnection,
    gw: &Gateway,
    id: Uuid,
    lock: bool,
) -> Result<(repo::TicketRow, Ticket), AppError> {
    let mine = store::opened_by(&mut *db, id, gw.token_id).await?;
    if !mine {
        return Err(AppError::not_found("Ticket"));
    }
    let row = if lock {
        repo::get_for_update(&mut *db, id).await?
    } else {
        repo::get(&mut *db, id).await?
    }
    .ok_or_else(|| AppError::not_found("Ticket"))?;
    let t = row.to_core()?;
    Ok((row, t))
}

/// The state of a ticket this gateway opened.
pub async fn ticket_state(
    pool: &PgPool,
    gw: &Gateway,
    id: Uuid,
) -> Result<(String, TicketState, u8), AppError> {
    let mut db = pool.acquire().await?;
    let (_, t) = own_ticket(&mut db, gw, id, false).await?;
    Ok((t.serial, t.state, t.current_level))
}

/// Withdraws a pending ticket this gateway opened, on behalf of its user (the user gave up:
/// the session ended, Ctrl-C). The event names the user as the one who withdrew.
pub async fn withdraw(
    pool: &PgPool,
    gw: &Gateway,
    id: Uuid,
    comment: String,
) -> Result<tollgate_app::dto::TicketDto, AppError> {
    let mut tx = pool.begin().await?;
    let (row, t) = own_ticket(&mut tx, gw, id, true).await?;
    let applicant = crate::store::users::viewer(pool, t.applicant.id)
        .await?
        .ok_or_else(|| AppError::conflict("user_inactive", "The ticket's user is deactivated."))?;
    let comment = if comment.trim().is_empty() {
        format!("Withdrawn by the gateway {}.", gw.name)
    } else {
        comment
    };
    let Transition {
        ticket: after,
        events,
    } = tollgate_core::close(&t, &applicant.actor(), Some(comment), Utc::now()).map_err(|e| {
        let status = e.http_status();
        let err = AppError::from(e);
        if status == 409 {
            err.with_details(
                serde_json::json!({"state": t.state, "current_level": t.current_level}),
            )
        } else {
            err
        }
    })?;
    let inbox = repo::update(&mut tx, &t, &after).await?;
    let out =
        crate::usecases::tickets::dto(&mut tx, &after, &applicant, &row.comment, row.expires_at)
            .await?;
    crate::usecases::outbox::record(&mut tx, &after, &events, "closed", inbox).await?;
    tx.commit().await?;
    Ok(out)
}
