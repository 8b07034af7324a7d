//! Ticket use-cases. Each change is one transaction that locks the ticket, asks `core` whether
//! and how it may change, writes the new state with its events (and, for the last approval of
//! an `apply_asset` ticket, the grant), and commits.

use chrono::Utc;
use sqlx::{PgConnection, PgPool};
use tollgate_app::dto::*;
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::{
    allowed_actions, can_view, Actor, ApplyAssetEdits, EventKind, FieldErrors, NewTicket,
    RuleError, StepUp, Ticket, TicketRequest, TicketState, TicketType, Transition, UserRef,
};
use uuid::Uuid;

use crate::store::{directory as dir, grants, tickets as repo};

/// The first field error as the error, with every field's reason in `details`.
pub fn field_errors(e: FieldErrors) -> AppError {
    let details = serde_json::json!(e
        .0
        .iter()
        .map(|f| serde_json::json!({"field": f.field, "reason": f.reason}))
        .collect::<Vec<_>>());
    AppError::from(e.first()).with_details(details)
}

/// A refused transition; conflicts carry the ticket's current state, so the loser of a race
/// learns what happened.
fn refused(e: RuleError, t: &Ticket) -> AppError {
    let status = e.http_status();
    let err = AppError::from(e);
    if status == 409 {
        err.with_details(serde_json::json!({"state": t.state, "current_level": t.current_level}))
    } else {
        err
    }
}

/// The first thing a request names that its org does not have, as a field error.
fn bad_reference(c: &dir::RequestContext) -> Result<(), AppError> {
    if let Some(b) = c.foreign_nodes.first() {
        return Err(AppError::invalid(
            "nodes",
            format!("{b} is not a node of this org"),
        ));
    }
    if let Some(b) = c.foreign_assets.first() {
        return Err(AppError::invalid(
            "assets",
            format!("{b} is not an asset of this org"),
        ));
    }
    if let Some(b) = c.unknown_accounts.first() {
        return Err(AppError::invalid(
            "accounts",
            format!("no asset of this org has an account named {b:?}"),
        ));
    }
    Ok(())
}

/// Refuses nodes, assets or accounts that are not `org`'s (the field named), as a request's.
pub(crate) async fn check_references(
    db: &mut PgConnection,
    org: Uuid,
    nodes: &[Uuid],
    assets: &[Uuid],
    accounts: &[String],
) -> Result<(), AppError> {
    let c = request_context(db, org, Some(nodes), Some(assets), Some(accounts)).await?;
    if c.org_name.is_none() {
        return Err(AppError::not_found("Org"));
    }
    bad_reference(&c)
}

/// Reads what checking an apply_asset request of `org` needs (one statement).
async fn request_context(
    db: &mut PgConnection,
    org: Uuid,
    nodes: Option<&[Uuid]>,
    assets: Option<&[Uuid]>,
    accounts: Option<&[String]>,
) -> Result<dir::RequestContext, AppError> {
    let names: Vec<String> = accounts
        .unwrap_or_default()
        .iter()
        .map(|a| a.trim().to_string())
        .collect();
    dir::request_context(
        db,
        org,
        TicketType::ApplyAsset.as_str(),
        nodes.unwrap_or_default(),
        assets.unwrap_or_default(),
        &names,
    )
    .await
}

/// The ticket as `viewer` may see it.
pub async fn dto(
    db: &mut PgConnection,
    t: &Ticket,
    viewer: &Viewer,
    comment: &str,
    expires_at: chrono::DateTime<Utc>,
) -> Result<TicketDto, AppError> {
    let mut ids: Vec<Uuid> = vec![t.applicant.id];
    ids.extend(
        t.steps
            .iter()
            .flat_map(|s| s.assignees.iter().map(|a| a.user_id)),
    );
    ids.extend(t.cc.iter().map(|c| c.id));
    let (node_ids, asset_ids): (&[Uuid], &[Uuid]) = match &t.request {
        TicketRequest::ApplyAsset(r) => (&r.nodes, &r.assets),
        // A gateway's connection or command: the asset by name.
        TicketRequest::LoginAssetConfirm(tollgate_core::LoginAssetConfirmRequest {
            asset_id,
            ..
        })
        | TicketRequest::CommandConfirm(tollgate_core::CommandConfirmRequest {
            asset_id, ..
        }) => (&[], std::slice::from_ref(asset_id)),
        TicketRequest::LoginConfirm(_) | TicketRequest::PolicyChange(_) => (&[], &[]),
    };
    let dir::Names {
        people,
        org_name,
        nodes,
        assets,
    } = dir::names(&mut *db, &ids, t.org_id, node_ids, asset_ids).await?;
    let person = |r: &UserRef| {
        people.get(&r.id).cloned().unwrap_or(Person {
            id: r.id,
            username: r.username.clone(),
            display_name: r.username.clone(),
        })
    };
    Ok(TicketDto {
        id: t.id,
        serial: t.serial.clone(),
        ticket_type: t.ticket_type,
        title: t.title.clone(),
        comment: comment.to_string(),
        org_id: t.org_id,
        org_name,
        applicant: person(&t.applicant),
        state: t.state,
        current_level: t.current_level,
        steps: t
            .steps
            .iter()
            .map(|s| StepDto {
                level: s.level,
                rule: s.rule,
                step_up: s.step_up,
                reject_reason_min: s.reject_reason_min,
                state: s.state,
                assignees: s
                    .assignees
                    .iter()
                    .map(|a| {
                        let p = person(&UserRef::new(a.user_id, a.username.clone()));
                        AssigneeDto {
                            id: a.user_id,
                            username: p.username,
                            display_name: p.display_name,
                            decision: a.decision,
                            decided_at: a.decided_at,
                            on_behalf_of: a.on_behalf_of.as_ref().map(&person),
                        }
                    })
                    .collect(),
                approvals: s.approvals(),
                needed: s.needed(),
            })
            .collect(),
        cc: t.cc.iter().map(person).collect(),
        request: t.request.clone(),
        request_version: t.request.version(),
        nodes,
        assets,
        allowed_actions: allowed_actions(&viewer.actor(), t),
        created_at: t.created_at,
        updated_at: t.updated_at,
        expires_at,
    })
}

/// Opens an `apply_asset` ticket for the viewer.
pub async fn open(pool: &PgPool, viewer: &Viewer, body: OpenTicket) -> Result<TicketDto, AppError> {
    if body.ticket_type != TicketType::ApplyAsset {
        return Err(AppError::invalid(
            "type",
            "only apply_asset tickets are opened here; the others are opened by sign-ins and gateways",
        ));
    }
    // Parsed first (pure); its errors are reported after the org's, as before.
    let request = body.request.clone().parse();
    let (nodes, assets) = match &request {
        Ok(r) => (&r.nodes[..], &r.assets[..]),
        Err(_) => (&[][..], &[][..]),
    };
    let mut db = pool.acquire().await?;
    // The checks read in a transaction of their own for its generic plans (see BEGIN_GENERIC);
    // the serial below must be committed apart from the ticket.
    let mut reads = sqlx::Connection::begin_with(&mut *db, crate::store::BEGIN_GENERIC).await?;
    let context = request_context(
        &mut reads,
        body.org_id,
        Some(nodes),
        Some(assets),
        Some(&body.request.accounts),
    )
    .await?;
    if context.org_name.is_none() {
        return Err(AppError::invalid("org_id", "there is no such org"));
    }
    if !viewer.is_super_admin() && !viewer.orgs.iter().any(|m| m.org_id == body.org_id) {
        return Err(AppError::forbidden(
            "You can only apply for access in an org you belong to.",
        ));
    }
    let request = request.map_err(field_errors)?;
    bad_reference(&context)?;
    let comment = body.comment.trim().to_string();
    if comment.chars().count() > tollgate_core::transition::MAX_COMMENT_CHARS {
        return Err(AppError::invalid("comment", "the comment is too long"));
    }
    let flow =
        dir::parse_flow(context.flow)?.unwrap_or_else(tollgate_core::Flow::default_apply_asset);
    let now = Utc::now();
    // Who is away now: their delegates are asked in their place (core/src/delegation.rs).
    let away = crate::store::delegations::running(&mut *reads, now).await?;
    let mut named = flow.named_users();
    named.push(viewer.id);
    named.extend(away.iter().map(|d| d.delegate.id));
    let directory = dir::directory_for(&mut reads, Some(body.org_id), &named).await?;
    reads.commit().await?;
    flow.limits
        .check_request(&request, &comment, now)
        .map_err(field_errors)?;
    let Transition {
        mut ticket,
        mut events,
    } = tollgate_core::open(
        NewTicket {
            id: Uuid::new_v4(),
            // Numbered below, once core has accepted it.
            serial: String::new(),
            title: body.title.clone(),
            org_id: Some(body.org_id),
            applicant: UserRef::new(viewer.id, viewer.username.clone()),
            request: TicketRequest::ApplyAsset(request),
        },
        &flow,
        &directory,
        now,
    )
    .map_err(AppError::from)?;
    if let Ok(t) = tollgate_core::delegation::apply(&ticket, &away, &directory, now) {
        ticket = t.ticket;
        events.extend(t.events);
    }
    // The time to live per type is a setting (issue 8).
    let expires_at =
        now + crate::usecases::admin::settings::ttl_of(context.ttl_minutes, ticket.ticket_type);
    // The day's counter row is where every opening meets: the number is taken in a statement
    // of its own (committed at once) rather than holding the row until the ticket's
    // transaction ends, so openings do not queue behind each other. A failure after this
    // leaves a gap in the day's numbers, never a duplicate.
    ticket.serial = repo::next_serial(&mut db, now.date_naive()).await?;
    drop(db);

    let mut tx = crate::store::begin_generic(pool).await?;
    let inbox = repo::insert(&mut tx, &ticket, &comment, expires_at).await?;
    let out = dto(&mut tx, &ticket, viewer, &comment, expires_at).await?;
    crate::usecases::outbox::record(&mut tx, &ticket, &events, "opened", inbox).await?;
    tx.commit().await?;
    tracing::info!(serial = %ticket.serial, applicant = %viewer.username, "ticket opened");
    Ok(out)
}

/// Loads, checks visibility, applies `change`, writes — all under the ticket's row lock.
/// A decision (`decision` is `Some`: the second factor sent with it, if any) at a level that
/// asks for a fresh second factor is refused without one; its event records how it was given.
async fn change(
    pool: &PgPool,
    viewer: &Viewer,
    id: Uuid,
    edits: Option<&ApplyAssetEdits>,
    decision: Option<Option<StepUp>>,
    change: impl FnOnce(&Ticket, &Actor) -> Result<Transition, RuleError>,
) -> Result<TicketDto, AppError> {
    let mut tx = crate::store::begin_generic(pool).await?;
    let row = repo::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found("Ticket"))?;
    let ticket = row.to_core()?;
    let actor = viewer.actor();
    if !can_view(&actor, &ticket) {
        return Err(AppError::not_found("Ticket"));
    }
    if let (Some(e), Some(org)) = (edits, ticket.org_id) {
        if ticket.state == TicketState::Pending && ticket.is_current_assignee(viewer.id) {
            let context = request_context(
                &mut tx,
                org,
                e.nodes.as_deref(),
                e.assets.as_deref(),
                e.accounts.as_deref(),
            )
            .await?;
            bad_reference(&context)?;
        }
    }
    let Transition {
        ticket: after,
        mut events,
    } = change(&ticket, &actor).map_err(|e| refused(e, &ticket))?;
    if let Some(given) = decision {
        let given = match given {
            None if ticket.needs_step_up() => {
                crate::identity::step_up::standing(&mut tx, viewer, Utc::now()).await?
            }
            given => given,
        };
        let how = tollgate_core::check_step_up(&ticket, given).map_err(|e| refused(e, &ticket))?;
        for e in events
            .iter_mut()
            .filter(|e| matches!(e.kind, EventKind::Approved | EventKind::Rejected))
        {
            e.step_up = how;
        }
    }
    let inbox = repo::update(&mut tx, &ticket, &after).await?;
    // What the person did (approved, rejected, …), not what followed from it.
    let kind = events
        .iter()
        .find(|e| e.kind != tollgate_core::EventKind::Edited)
        .map(|e| e.kind.as_str())
        .unwrap_or("changed");
    if after.state == TicketState::Approved {
        if let (Some(req), Some(org)) = (after.request.as_apply_asset(), after.org_id) {
            grants::insert_from_ticket(&mut tx, &after, org, req).await?;
        }
        // An approved policy change takes effect now, or the approval fails with it.
        crate::usecases::policy::apply(&mut tx, &after).await?;
    }
    let out = dto(&mut tx, &after, viewer, &row.comment, row.expires_at).await?;
    crate::usecases::outbox::record(&mut tx, &after, &events, kind, inbox).await?;
    tx.commit().await?;
    Ok(out)
}

/// Approves as `viewer`; `given`: the second factor sent with it (see [`change`]).
pub async fn approve(
    pool: &PgPool,
    viewer: &Viewer,
    id: Uuid,
    body: ApproveBody,
    given: Option<StepUp>,
) -> Result<TicketDto, AppError> {
    let edits = body.edits.filter(|e| !e.is_empty());
    let now = Utc::now();
    let seen = body.seen_version;
    change(pool, viewer, id, edits.as_ref(), Some(given), |t, a| {
        if let Some(seen) = seen.filter(|v| *v != t.request.version()) {
            // Checked under the ticket's lock: nothing can change it between this and the write.
            return Err(RuleError::Changed { seen });
        }
        tollgate_core::approve(t, a, edits.clone(), body.comment.clone(), now)
    })
    .await
}

/// Rejects as `viewer`; `given`: the second factor sent with it (see [`change`]).
pub async fn reject(
    pool: &PgPool,
    viewer: &Viewer,
    id: Uuid,
    body: RejectBody,
    given: Option<StepUp>,
) -> Result<TicketDto, AppError> {
    let now = Utc::now();
    change(pool, viewer, id, None, Some(given), |t, a| {
        tollgate_core::reject(t, a, body.comment.clone(), now)
    })
    .await
}

pub async fn close(
    pool: &PgPool,
    viewer: &Viewer,
    id: Uuid,
    body: CommentOnly,
) -> Result<TicketDto, AppError> {
    let now = Utc::now();
    change(pool, viewer, id, None, None, |t, a| {
        tollgate_core::close(t, a, body.comment.clone(), now)
    })
    .await
}

pub async fn add_comment(
    pool: &PgPool,
    viewer: &Viewer,
    id: Uuid,
    body: NewComment,
) -> Result<CommentDto, AppError> {
    let mut tx = crate::store::begin_generic(pool).await?;
    let row = repo::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found("Ticket"))?;
    let ticket = row.to_core()?;
    let actor = viewer.actor();
    if !can_view(&actor, &ticket) {
        return Err(AppError::not_found("Ticket"));
    }
    let now = Utc::now();
    let Transition { events, .. } = tollgate_core::comment(&ticket, &actor, &body.body, now)
        .map_err(|e| refused(e, &ticket))?;
    let text = body.body.trim().to_string();
    let comment_id = Uuid::new_v4();
    repo::insert_comment(&mut *tx, comment_id, id, viewer.id, &text, now).await?;
    let unchanged = repo::InboxDelta::default();
    crate::usecases::outbox::record(&mut tx, &ticket, &events, "commented", unchanged).await?;
    tx.commit().await?;
    Ok(CommentDto {
        id: comment_id,
        author: Person {
            id: viewer.id,
            username: viewer.username.clone(),
            display_name: viewer.display_name.clone(),
        },
        body: text,
        created_at: now,
    })
}

pub async fn detail(pool: &PgPool, viewer: &Viewer, id: Uuid) -> Result<TicketDetail, AppError> {
    // The ticket, its history and the names read on generic plans (see BEGIN_GENERIC).
    let mut db = crate::store::begin_generic(pool).await?;
    let row = repo::get(&mut *db, id)
        .await?
        .ok_or_else(|| AppError::not_found("Ticket"))?;
    let ticket = row.to_core()?;
    if !can_view(&viewer.actor(), &ticket) {
        return Err(AppError::not_found("Ticket"));
    }
    let dto = dto(&mut db, &ticket, viewer, &row.comment, row.expires_at).await?;
    let events = repo::events(&mut db, id).await?;
    let comments = repo::comments(&mut db, id).await?;
    // Edits may name nodes and assets the request no longer holds: name them too.
    let mut node_ids = Vec::new();
    let mut asset_ids = Vec::new();
    for d in events.iter().filter_map(|e| e.diff.as_ref()) {
        for c in &d.changes {
            let ids = [&c.before, &c.after]
                .into_iter()
                .filter_map(|v| v.as_array())
                .flatten()
                .filter_map(|x| x.as_str()?.parse::<Uuid>().ok());
            match c.field.as_str() {
                "nodes" => node_ids.extend(ids),
                "assets" => asset_ids.extend(ids),
                _ => {}
            }
        }
    }
    let (mut labels, assets) = dir::labels(&mut db, ticket.org_id, &node_ids, &asset_ids).await?;
    // What an approved request became: the grant (its id is the ticket's), to say until when
    // access holds.
    let grant = if ticket.state == tollgate_core::TicketState::Approved
        && ticket.request.ticket_type() == tollgate_core::TicketType::ApplyAsset
    {
        crate::usecases::grants::of_ticket(&mut db, viewer, &ticket).await?
    } else {
        None
    };
    db.commit().await?;
    labels.extend(assets);
    Ok(TicketDetail {
        ticket: dto,
        events,
        comments,
        labels,
        grant,
    })
}

/// Approves or rejects each ticket on its own; one failure does not stop the others.
/// `given`: the second factor sent with them, for the levels that ask for one.
pub async fn bulk(
    pool: &PgPool,
    viewer: &Viewer,
    body: BulkBody,
    given: Option<StepUp>,
    on_done: impl Fn(&TicketDto),
) -> Result<Vec<BulkResult>, AppError> {
    if body.ids.is_empty() {
        return Err(AppError::invalid("ids", "choose at least one ticket"));
    }
    if body.ids.len() > 100 {
        return Err(AppError::invalid("ids", "at most 100 tickets at a time"));
    }
    let mut results = Vec::with_capacity(body.ids.len());
    let mut seen = std::collections::HashSet::new();
    for id in body.ids {
        if !seen.insert(id) {
            continue;
        }
        let r = match body.action {
            BulkAction::Approve => approve(pool, viewer, id, ApproveBody::default(), given).await,
            BulkAction::Reject => reject(pool, viewer, id, RejectBody::default(), given).await,
        };
        results.push(match r {
            Ok(t) => {
                on_done(&t);
                BulkResult {
                    id,
                    ok: true,
                    error: None,
                }
            }
            Err(e) => BulkResult {
                id,
                ok: false,
                error: Some(e),
            },
        });
    }
    Ok(results)
}

pub async fn inbox_count(pool: &PgPool, viewer: &Viewer) -> Result<i64, AppError> {
    repo::inbox_count(pool, viewer.id).await
}
