//! Ticket detail: what is asked, the levels and who acted, the history with every edit's
//! diff, the thread, and only the buttons this viewer may use. The current level's assignee
//! can change the request inline before approving.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use tollgate_core::{
    ApplyAssetEdits, ApplyAssetRequest, Decision, EventKind, FieldChange, StepState, StepUp,
    TicketAction, TicketRequest, TicketState, TicketType,
};
use uuid::Uuid;

use crate::api::{approve_ticket, close_ticket, comment_ticket, load_ticket, reject_ticket};
use crate::components::*;
use crate::dto::*;
use crate::error::AppError;
use crate::picker::{from_input, AccessPicker, Selection};

#[derive(Clone, Copy, PartialEq)]
enum Decide {
    Approve,
    Reject,
    Close,
}

#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<Uuid>().ok());
    let version = RwSignal::new(0u32);
    // Looking at a ticket reads what the bell said about it (once per ticket shown).
    let bell = use_context::<crate::layout::UnreadNotifications>();
    Effect::new(move |seen: Option<Option<Uuid>>| {
        let now = id();
        if seen.flatten() != now {
            if let Some(t) = now {
                leptos::task::spawn_local(async move {
                    if let Ok(n) = crate::api::mark_ticket_notifications_read(t).await {
                        if n > 0 {
                            if let Some(b) = bell {
                                b.0.refetch();
                            }
                        }
                    }
                });
            }
        }
        now
    });
    // Reload when a live event concerns this ticket (or after a reconnect: anything may have changed).
    if let Some(live) = use_context::<crate::live::LiveTick>() {
        Effect::new(move |seen: Option<u64>| {
            let now = live.tick.get();
            if seen.is_some_and(|s| s != now) {
                let last = live.last.get_untracked();
                if last.is_none() || last == id() {
                    version.update(|v| *v += 1);
                }
            }
            now
        });
    }
    let detail = Resource::new(
        move || (id(), version.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_ticket(id).await,
                None => Err(AppError::not_found("Ticket")),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the ticket"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <TicketView detail=d version=version /> }.into_any(),
                    Err(e) if e.status == 404 => view! {
                        <Title text="Not found" />
                        <div class="empty-page">
                            <h1>"Ticket not found"</h1>
                            <p class="muted">"It does not exist, or you may not see it."</p>
                            <a class="btn" href="/tickets">"My applications"</a>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TicketView(detail: TicketDetail, version: RwSignal<u32>) -> impl IntoView {
    let t = detail.ticket.clone();
    let labels: HashMap<Uuid, String> = detail
        .labels
        .iter()
        .chain(t.nodes.iter())
        .chain(t.assets.iter())
        .map(|n| (n.id, n.name.clone()))
        .collect();
    let can = |a: TicketAction| t.allowed_actions.contains(&a);
    let may_decide =
        can(TicketAction::Approve) || can(TicketAction::Reject) || can(TicketAction::Close);
    let is_applicant_close =
        can(TicketAction::Close) && !can(TicketAction::Approve) && !can(TicketAction::Reject);
    let title = format!("{} · {}", t.serial, t.title);
    // Closed by its own applicant: withdrawn, and said so.
    let withdrawn = t.state == TicketState::Closed
        && detail.events.iter().any(|e| e.kind == EventKind::Withdrawn);
    // An ended access request: its applicant may ask for it again, from the form filled in.
    let again_link = t.ticket_type == TicketType::ApplyAsset && !t.state.is_open();
    let (applicant, ticket_id) = (t.applicant.id, t.id);
    // The menu follows the viewer's side of this ticket: theirs, or one they decide or watch.
    if let Some(side) = use_context::<crate::layout::TicketSide>() {
        let me = use_context::<crate::layout::ViewerResource>();
        Effect::new(move |_| {
            let v = me.and_then(|m| m.get()).and_then(|r| r.ok().flatten());
            side.0.set(v.map(|v| v.id == applicant));
        });
        on_cleanup(move || side.0.set(None));
    }

    view! {
        <Title text=title />
        <div class="page-head ticket-head">
            <div>
                <div class="crumbs small muted">
                    <a href="/tickets">"Tickets"</a>" / "<span class="mono">{t.serial.clone()}</span>
                </div>
                <h1 data-testid="ticket-title">{t.title.clone()}</h1>
                <div class="meta">
                    {if withdrawn {
                        view! { <span class="badge closed" data-state="closed">"Withdrawn"</span> }.into_any()
                    } else {
                        view! { <StateBadge state=t.state /> }.into_any()
                    }}
                    <span>{type_label(t.ticket_type)}</span>
                    {t.org_name.clone().map(|o| view! { <span>"Org "<strong>{o}</strong></span> })}
                    <span>"Asked by "<strong>{t.applicant.label()}</strong></span>
                    <span title=fmt_time(t.created_at)>"opened "{relative(t.created_at)}</span>
                </div>
            </div>
            {move || again_link.then(|| {
                let mine = use_context::<crate::layout::ViewerResource>()
                    .and_then(|me| me.get())
                    .and_then(|r| r.ok().flatten())
                    .is_some_and(|v| v.id == applicant);
                mine.then(|| view! {
                    <a class="btn" href=format!("/tickets/new?again={ticket_id}") data-testid="request-again">"Request again"</a>
                })
            })}
        </div>
        <div class="grid-2">
            <div>
                {detail.grant.clone().map(|g| view! { <GrantedCard grant=g version=version /> })}
                <RequestCard ticket=t.clone() />
                {(!t.comment.is_empty()).then(|| view! {
                    <div class="card"><div class="card-head"><h3>"Reason"</h3></div>
                    <div class="card-body"><p class="prewrap">{t.comment.clone()}</p></div></div>
                })}
                <HistoryCard events=detail.events.clone() labels=labels />
                <CommentsCard
                    ticket_id=t.id
                    comments=detail.comments.clone()
                    can_comment=can(TicketAction::Comment)
                    open=t.state.is_open()
                    version=version
                />
            </div>
            // On a narrow screen the columns stack; an assignee's decision then comes first.
            <div class="ticket-side" class:deciding=may_decide && !is_applicant_close>
                {may_decide.then(|| view! {
                    <DecisionCard ticket=t.clone() version=version applicant_only=is_applicant_close />
                })}
                <StepsCard ticket=t.clone() />
            </div>
        </div>
    }
}

fn apply_asset(t: &TicketDto) -> Option<&ApplyAssetRequest> {
    match &t.request {
        TicketRequest::ApplyAsset(r) => Some(r),
        _ => None,
    }
}

#[component]
fn RequestCard(ticket: TicketDto) -> impl IntoView {
    let body = match &ticket.request {
        TicketRequest::ApplyAsset(r) => view! {
            <dl class="facts" data-testid="request">
                <dt>"Permission"</dt>
                <dd>{r.permission_name.as_str().to_string()}</dd>
                <dt>"Nodes"</dt>
                <dd class="chips">
                    {if ticket.nodes.is_empty() { view! { <span class="muted">"none"</span> }.into_any() }
                     else { ticket.nodes.iter().map(|n| view! { <span class="chip">{n.name.clone()}</span> }).collect_view().into_any() }}
                </dd>
                <dt>"Assets"</dt>
                <dd class="chips" data-testid="request-assets">
                    {if ticket.assets.is_empty() { view! { <span class="muted">"none yet"</span> }.into_any() }
                     else { ticket.assets.iter().map(|a| view! { <span class="chip">{a.name.clone()}</span> }).collect_view().into_any() }}
                </dd>
                <dt>"Accounts"</dt>
                <dd class="chips">
                    {if r.accounts.is_empty() { view! { <span class="muted">"none yet"</span> }.into_any() }
                     else { r.accounts.iter().map(|a| view! { <span class="chip mono">{a.as_str().to_string()}</span> }).collect_view().into_any() }}
                </dd>
                <dt>"Actions"</dt>
                <dd class="chips" data-testid="request-actions">
                    {r.actions.names().into_iter().map(|a| view! { <span class="chip">{a}</span> }).collect_view()}
                </dd>
                <dt>"Valid"</dt>
                <dd>{fmt_time(r.window.start())}" → "{fmt_time(r.window.expiry())}</dd>
            </dl>
        }.into_any(),
        TicketRequest::LoginConfirm(r) => view! {
            <dl class="facts" data-testid="login-request">
                <dt>"Who"</dt>
                <dd>{person_label(&ticket.applicant)}</dd>
                <dt>"Signing in to"</dt>
                <dd>"Tollgate"</dd>
                <dt>"From"</dt>
                <dd class="mono">{r.ip.to_string()}{r.city.clone().map(|c| format!(" ({c})"))}</dd>
                <dt>"Browser"</dt>
                <dd class="small">{if r.user_agent.is_empty() { "unknown".to_string() } else { r.user_agent.clone() }}</dd>
                <dt>"When"</dt>
                <dd>{fmt_time(r.at)}</dd>
            </dl>
        }.into_any(),
        TicketRequest::LoginAssetConfirm(r) => view! {
            <dl class="facts" data-testid="connection-request">
                <dt>"Who"</dt>
                <dd>{person_label(&ticket.applicant)}</dd>
                <dt>"Asset"</dt>
                <dd>{asset_label(&ticket, r.asset_id)}</dd>
                <dt>"Account"</dt>
                <dd class="mono">{r.account.as_str().to_string()}</dd>
                <dt>"Asked"</dt>
                <dd>{fmt_time(ticket.created_at)}</dd>
            </dl>
        }.into_any(),
        TicketRequest::CommandConfirm(r) => view! {
            <dl class="facts" data-testid="command-request">
                <dt>"Who"</dt>
                <dd>{person_label(&ticket.applicant)}</dd>
                <dt>"Asset"</dt>
                <dd>{asset_label(&ticket, r.asset_id)}</dd>
                <dt>"Account"</dt>
                <dd class="mono">{r.account.as_str().to_string()}</dd>
                <dt>"Command"</dt>
                <dd><pre class="command" data-testid="request-command">{r.command.as_str().to_string()}</pre></dd>
                <dt>"Asked"</dt>
                <dd>{fmt_time(ticket.created_at)}</dd>
            </dl>
        }.into_any(),
        TicketRequest::PolicyChange(r) => {
            let pretty = |v: &Option<serde_json::Value>| match v {
                Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
                None => "(none)".to_string(),
            };
            let what = match r.policy.as_str() {
                "flow" => "Approval flow",
                "login_asset_acl" => "Connection rule",
                "command_filter_acl" => "Command rule",
                other => other,
            }
            .to_string();
            view! {
                <dl class="facts" data-testid="policy-change">
                    <dt>"Who"</dt>
                    <dd>{person_label(&ticket.applicant)}</dd>
                    <dt>"Changes"</dt>
                    <dd>{what}{ticket.org_name.clone().map(|o| format!(" of {o}"))}</dd>
                    <dt>"Takes effect"</dt>
                    <dd>"only when a super admin other than its author approves it"</dd>
                </dl>
                <div class="grid-2">
                    <div><h4>"Before"</h4><pre class="policy-json" data-testid="policy-before">{pretty(&r.before)}</pre></div>
                    <div><h4>"After"</h4><pre class="policy-json" data-testid="policy-after">{pretty(&r.after)}</pre></div>
                </div>
            }.into_any()
        }
    };
    view! {
        <div class="card">
            <div class="card-head"><h3>"What is asked"</h3></div>
            <div class="card-body">{body}</div>
        </div>
    }
}

/// "Dave Lister (dave)".
fn person_label(p: &Person) -> String {
    p.label()
}

/// The name of an asset the ticket names (the server resolved it), else its short id.
fn asset_label(t: &TicketDto, id: Uuid) -> String {
    t.assets
        .iter()
        .find(|a| a.id == id)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| format!("asset {}", &id.to_string()[..8]))
}

/// A JSON value in words.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        serde_json::Value::Array(a) => a.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A diff value in words, with ids replaced by names where known.
fn diff_value(field: &str, v: &serde_json::Value, labels: &HashMap<Uuid, String>) -> String {
    match v {
        serde_json::Value::Array(a) if a.is_empty() => "none".into(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| match x.as_str().and_then(|s| s.parse::<Uuid>().ok()) {
                Some(id) => labels
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| id.to_string()[..8].to_string()),
                None => plain(x),
            })
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::String(s) if field == "start" || field == "expiry" => s
            .parse::<chrono::DateTime<chrono::Utc>>()
            .map(fmt_time)
            .unwrap_or_else(|_| s.clone()),
        other => plain(other),
    }
}

#[component]
fn DiffTable(changes: Vec<FieldChange>, labels: HashMap<Uuid, String>) -> impl IntoView {
    view! {
        <table class="diff" data-testid="diff">
            <thead><tr><th>"Field"</th><th>"Before"</th><th>"After"</th></tr></thead>
            <tbody>
                {changes.into_iter().map(|c| view! {
                    <tr>
                        <td class="diff-field">{c.field.clone()}</td>
                        <td class="diff-before">{diff_value(&c.field, &c.before, &labels)}</td>
                        <td class="diff-after">{diff_value(&c.field, &c.after, &labels)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn event_text(kind: EventKind, level: Option<u8>) -> String {
    match kind {
        EventKind::Opened => "opened the request".into(),
        EventKind::Approved => format!("approved level {}", level.unwrap_or(0)),
        EventKind::LevelAdvanced => format!("Level {} is now deciding", level.unwrap_or(0)),
        EventKind::Rejected => "rejected the request".into(),
        EventKind::Closed => "closed the request".into(),
        EventKind::Withdrawn => "withdrew the request".into(),
        EventKind::Expired => "The request expired".into(),
        EventKind::Commented => "commented".into(),
        EventKind::Edited => "changed the request".into(),
        EventKind::GrantRevoked => "revoked the access granted".into(),
        EventKind::Reminded => format!("reminded level {}", level.unwrap_or(0)),
        EventKind::Escalated => format!("escalated level {}", level.unwrap_or(0)),
        EventKind::Delegated => "is away".into(),
    }
}

fn step_up_text(how: StepUp) -> &'static str {
    match how {
        StepUp::Totp => " with a code",
        StepUp::RecoveryCode => " with a recovery code",
        StepUp::Session => " with a code given minutes before",
        StepUp::Token => " with a token made for approvals",
        StepUp::Passkey => " with a passkey",
    }
}

#[component]
fn HistoryCard(events: Vec<EventDto>, labels: HashMap<Uuid, String>) -> impl IntoView {
    let events: Vec<EventDto> = events
        .into_iter()
        .filter(|e| e.kind != EventKind::Commented)
        .collect();
    view! {
        <div class="card">
            <div class="card-head"><h3>"History"</h3></div>
            <ol class="history" data-testid="history">
                {events.into_iter().map(|e| {
                    // A level that starts is not anyone's act: it has no name in front.
                    let who = match e.kind {
                        EventKind::LevelAdvanced | EventKind::Expired => String::new(),
                        _ => e.actor.as_ref().map(|a| a.label()).unwrap_or_else(|| "Tollgate".into()),
                    };
                    let labels = labels.clone();
                    view! {
                        <li class=format!("ev ev-{}", e.kind.as_str())>
                            <div class="ev-line">
                                <strong>{who}</strong>" "{event_text(e.kind, e.level)}
                                {e.on_behalf_of.as_ref().map(|p| view! { <span class="for-whom" data-testid="for-whom">" for "{p.label()}</span> })}
                                {e.step_up.map(|s| view! { <span class="muted small step-up-how">{step_up_text(s)}</span> })}
                                <span class="muted small" title=fmt_time(e.at)>" · "{relative(e.at)}</span>
                            </div>
                            {e.comment.clone().map(|c| view! { <div class="ev-comment">{c}</div> })}
                            {e.diff.clone().filter(|d| !d.changes.is_empty()).map(|d| view! { <DiffTable changes=d.changes labels=labels /> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </div>
    }
}

/// What an approved request became: until when access holds (or that it ended), with the way
/// to the Grants page.
#[component]
fn GrantedCard(grant: GrantDto, version: RwSignal<u32>) -> impl IntoView {
    let (class, text) = match grant.status.as_str() {
        "scheduled" => (
            "granted",
            format!(
                "Access granted from {} until {}",
                fmt_time(grant.valid_from),
                fmt_time(grant.valid_until)
            ),
        ),
        "expired" => (
            "granted-ended",
            format!("Access ended {}", fmt_time(grant.valid_until)),
        ),
        "revoked" => (
            "granted-ended",
            format!(
                "Access revoked {}",
                grant.revoked_at.map(fmt_time).unwrap_or_default()
            ),
        ),
        _ => (
            "granted",
            format!("Access granted until {}", fmt_time(grant.valid_until)),
        ),
    };
    view! {
        <div class=format!("card outcome {class}") data-testid="granted">
            <div class="card-body">
                <strong>{text}</strong>
                <span class="muted small">" · "{grant.user.display_name.clone()}" · "
                    <a href="/grants">"see it under Grants"</a></span>
                {grant.can_revoke.then(|| view! {
                    <div class="revoke-here">
                        <crate::pages::grants::RevokeGrant id=grant.id on_done=Callback::new(move |_| version.update(|v| *v += 1)) />
                    </div>
                })}
            </div>
        </div>
    }
}

#[component]
fn StepsCard(ticket: TicketDto) -> impl IntoView {
    // Once the ticket has ended, nobody is waited for any more.
    let open = ticket.state.is_open();
    view! {
        <div class="card">
            <div class="card-head"><h3>"Approval levels"</h3></div>
            <ol class="steps" data-testid="steps">
                {ticket.steps.into_iter().map(|s| {
                    let state = match s.state {
                        StepState::Pending if !open => "not reached",
                        StepState::Pending => "waiting",
                        StepState::Active => "deciding now",
                        StepState::Done => "approved",
                        StepState::Rejected => "rejected",
                        StepState::Closed => "closed",
                    };
                    let rule = s.rule.describe();
                    let (approvals, needed) = (s.approvals, s.needed);
                    // How far a level of more than one approval is: "1 of 2 approvals".
                    let count = (needed > 1 && s.state != StepState::Pending)
                        .then(|| view! { <span class="quorum-count" data-testid="quorum">{format!("{approvals} of {needed} approvals")}</span> });
                    view! {
                        <li class=format!("step step-{}", format!("{:?}", s.state).to_lowercase())>
                            <div class="step-dot">{s.level}</div>
                            <div class="step-body">
                                <div class="step-title">
                                    <strong>{format!("Level {}", s.level)}</strong>
                                    <span class="muted small">{format!(" · {rule} · {state}")}</span>
                                    {count}
                                    {s.step_up.then(|| view! { <span class="badge step-up-badge" title="Approving or rejecting here asks for a fresh second factor">"second factor"</span> })}
                                </div>
                                <ul class="assignees">
                                    {s.assignees.into_iter().map(|a| {
                                        let (cls, txt) = match a.decision {
                                            Decision::Pending if open => ("dec pending", "waiting"),
                                            Decision::Pending => ("dec none", "no answer"),
                                            Decision::Approved => ("dec approved", "approved"),
                                            Decision::Rejected => ("dec rejected", "rejected"),
                                        };
                                        view! {
                                            <li>
                                                <span>{a.label()}</span>
                                                {a.on_behalf_of.as_ref().map(|p| view! { <span class="muted small for-whom">{format!("for {}", p.label())}</span> })}
                                                <span class=cls>{txt}</span>
                                                {a.decided_at.map(|d| view! { <span class="muted small" title=fmt_time(d)>{relative(d)}</span> })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ol>
            {(!ticket.cc.is_empty()).then(|| view! {
                <div class="card-body small muted">"CC: "{ticket.cc.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")}</div>
            })}
        </div>
    }
}

/// What changed between the request and the approver's selection; `None` for untouched fields.
fn edits_of(original: &ApplyAssetRequest, sel: &Selection) -> Result<ApplyAssetEdits, AppError> {
    let mut e = ApplyAssetEdits::default();
    let nodes = sel.nodes.get_untracked();
    if nodes != original.nodes {
        e.nodes = Some(nodes);
    }
    let assets = sel.assets.get_untracked();
    if assets != original.assets {
        e.assets = Some(assets);
    }
    let accounts = sel.accounts.get_untracked();
    let before: Vec<String> = original
        .accounts
        .iter()
        .map(|a| a.as_str().to_string())
        .collect();
    if accounts != before {
        e.accounts = Some(accounts);
    }
    let actions = sel.actions.get_untracked();
    if actions != original.actions.names() {
        e.actions = Some(actions);
    }
    let start = from_input(&sel.start.get_untracked())
        .ok_or_else(|| AppError::invalid("start", "Give a start."))?;
    if crate::picker::to_input(start) != crate::picker::to_input(original.window.start()) {
        e.start = Some(start);
    }
    let expiry = from_input(&sel.expiry.get_untracked())
        .ok_or_else(|| AppError::invalid("expiry", "Give an expiry."))?;
    if crate::picker::to_input(expiry) != crate::picker::to_input(original.window.expiry()) {
        e.expiry = Some(expiry);
    }
    Ok(e)
}

#[component]
fn DecisionCard(ticket: TicketDto, version: RwSignal<u32>, applicant_only: bool) -> impl IntoView {
    let id = ticket.id;
    let can = |a: TicketAction| ticket.allowed_actions.contains(&a);
    let (may_approve, may_reject, may_close, may_edit) = (
        can(TicketAction::Approve),
        can(TicketAction::Reject),
        can(TicketAction::Close),
        can(TicketAction::Edit),
    );
    let original = apply_asset(&ticket).cloned();
    let sel = original.as_ref().map(|r| {
        Selection::new(
            r.nodes.clone(),
            ticket.assets.clone(),
            r.accounts.iter().map(|a| a.as_str().to_string()).collect(),
            r.actions.names(),
            r.window.start(),
            r.window.expiry(),
        )
    });
    let editing = RwSignal::new(false);
    let comment = RwSignal::new(String::new());
    // The current level asks for a fresh second factor (unless one was given a moment ago).
    let step_up = ticket
        .steps
        .iter()
        .any(|s| s.level == ticket.current_level && s.step_up)
        && (may_approve || may_reject);
    // The flow asks for a reason to reject here (characters; 0: none).
    let reject_reason_min = ticket
        .steps
        .iter()
        .find(|s| s.level == ticket.current_level)
        .map_or(0, |s| s.reject_reason_min);
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let counter = use_context::<crate::layout::InboxCount>();
    // What this page shows: an approval is refused if the request changed since.
    let seen_version = ticket.request_version.clone();
    let decide = Action::new(move |(what, edits): &(Decide, Option<ApplyAssetEdits>)| {
        let (what, edits) = (*what, edits.clone());
        let c = Some(comment.get_untracked()).filter(|c| !c.trim().is_empty());
        let second_factor_code = Some(code.get_untracked()).filter(|c| !c.trim().is_empty());
        let seen_version = Some(seen_version.clone());
        async move {
            match what {
                Decide::Approve => {
                    approve_ticket(
                        id,
                        ApproveBody {
                            comment: c,
                            edits,
                            seen_version,
                            second_factor_code,
                        },
                    )
                    .await
                }
                Decide::Reject => reject_ticket(id, c, second_factor_code).await,
                Decide::Close => close_ticket(id, c).await,
            }
        }
    });
    Effect::new(move |_| match decide.value().get() {
        Some(Ok(_)) => {
            version.update(|v| *v += 1);
            if let Some(c) = counter {
                c.0.refetch();
            }
        }
        Some(Err(e)) => {
            // A code is good once: a refused decision needs a new one.
            code.set(String::new());
            error.set(Some(e));
        }
        None => {}
    });
    let org_id = ticket.org_id;
    let org = Signal::derive(move || org_id);
    let original_store = StoredValue::new(original.clone());
    let run = move |what: Decide| {
        error.set(None);
        let orig = original_store.get_value();
        let edits = match (what, editing.get_untracked(), &orig, sel) {
            (Decide::Approve, true, Some(orig), Some(sel)) => match edits_of(orig, &sel) {
                Ok(e) => Some(e).filter(|e| !e.is_empty()),
                Err(e) => {
                    error.set(Some(e));
                    return;
                }
            },
            _ => None,
        };
        decide.dispatch((what, edits));
    };
    let error_signal = Signal::derive(move || error.get());

    view! {
        <div class="card decision" data-testid="decision">
            <div class="card-head">
                <h3>{if applicant_only { "Your request" } else { "Your decision" }}</h3>
                {(may_edit && sel.is_some()).then(|| view! {
                    <button type="button" class="btn btn-sm" on:click=move |_| editing.update(|e| *e = !*e)>
                        {move || if editing.get() { "Cancel changes" } else { "Edit request" }}
                    </button>
                })}
            </div>
            <div class="card-body">
                {sel.map(|sel| view! {
                    <Show when=move || editing.get()>
                        <div class="inline-editor" data-testid="inline-editor">
                            <p class="muted small">"Your changes are recorded and shown to everyone who sees this ticket."</p>
                            <AccessPicker org=org sel=sel error=error_signal />
                        </div>
                    </Show>
                })}
                {move || error.get().filter(|e| !matches!(e.field.as_deref(), Some("nodes" | "assets" | "accounts" | "actions" | "start" | "expiry")) || !editing.get())
                    .map(|e| view! { <div class="form-error" role="alert">{if e.field.as_deref() == Some("comment") { e.message_at_field() } else { e.message }}</div> })}
                <div class="field">
                    <label for="decision-comment">{if may_reject && reject_reason_min > 0 { "Comment (a reason, to reject)" } else { "Comment (optional)" }}</label>
                    <textarea id="decision-comment" prop:value=move || comment.get()
                        on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                    {(may_reject && reject_reason_min > 0).then(|| view! {
                        <p class="muted small" data-testid="reject-reason-hint">{format!("Rejecting here needs a reason of at least {reject_reason_min} characters.")}</p>
                    })}
                </div>
                {step_up.then(|| view! {
                    <div class="field step-up" data-testid="step-up">
                        <label for="decision-code">"Code from your authenticator app"</label>
                        <div class="row code-row">
                            <input id="decision-code" inputmode="numeric" autocomplete="one-time-code"
                                placeholder="123456" prop:value=move || if crate::passkey::is_assertion(&code.get()) { String::new() } else { code.get() }
                                on:input=move |ev| code.set(event_target_value(&ev)) />
                            <crate::passkey::PasskeyButton code=code />
                        </div>
                        <p class="muted small">"This level asks for a fresh second factor: a code (or a recovery code) or one of your passkeys, unless you gave one a few minutes ago. "
                            <a href="/security">"Set one up"</a>" if you have none."</p>
                    </div>
                })}
                <div class="decision-buttons">
                    {may_approve.then(|| view! {
                        <button class="btn btn-ok" disabled=move || decide.pending().get() on:click=move |_| run(Decide::Approve)>
                            {move || if editing.get() { "Approve with changes" } else { "Approve" }}
                        </button>
                    })}
                    {may_reject.then(|| view! {
                        <button class="btn btn-danger" disabled=move || decide.pending().get() on:click=move |_| run(Decide::Reject)>"Reject"</button>
                    })}
                    {may_close.then(|| view! {
                        <button class="btn" disabled=move || decide.pending().get() on:click=move |_| run(Decide::Close)>
                            {if applicant_only { "Withdraw request" } else { "Close" }}
                        </button>
                    })}
                </div>
            </div>
        </div>
    }
}

#[component]
fn CommentsCard(
    ticket_id: Uuid,
    comments: Vec<CommentDto>,
    can_comment: bool,
    open: bool,
    version: RwSignal<u32>,
) -> impl IntoView {
    let body = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let send = Action::new(move |text: &String| {
        let text = text.clone();
        async move { comment_ticket(ticket_id, text).await }
    });
    Effect::new(move |_| match send.value().get() {
        Some(Ok(_)) => {
            body.set(String::new());
            version.update(|v| *v += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let count = comments.len();
    view! {
        <div class="card">
            <div class="card-head"><h3>{format!("Comments ({count})")}</h3></div>
            <div class="card-body">
                {if comments.is_empty() {
                    view! { <p class="muted small">"No comments yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="thread" data-testid="thread">
                            {comments.into_iter().map(|c| view! {
                                <li class="msg">
                                    <span class="avatar sm" aria-hidden="true">{crate::layout::initials(&c.author.display_name)}</span>
                                    <div class="msg-body">
                                        <div class="msg-head"><strong>{c.author.label()}</strong>
                                            <span class="muted small" title=fmt_time(c.created_at)>{relative(c.created_at)}</span></div>
                                        <p class="prewrap">{c.body.clone()}</p>
                                    </div>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                {if can_comment {
                    view! {
                        <form class="comment-form" on:submit=move |ev| {
                            ev.prevent_default();
                            error.set(None);
                            send.dispatch(body.get());
                        }>
                            {move || error.get().map(|e| view! { <div class="form-error" role="alert">{e.message}</div> })}
                            <textarea aria-label="Comment" placeholder="Write a comment"
                                prop:value=move || body.get()
                                on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                            <button type="submit" class="btn" disabled=move || send.pending().get() || body.with(|b| b.trim().is_empty())>"Comment"</button>
                        </form>
                    }.into_any()
                } else if !open {
                    view! { <p class="muted small">"The ticket is closed; the thread is read only."</p> }.into_any()
                } else {
                    ().into_any()
                }}
            </div>
        </div>
    }
}
