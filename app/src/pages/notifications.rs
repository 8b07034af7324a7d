//! Notifications: what Tollgate told the viewer, newest first; unread ones stand out.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{list_notifications, mark_all_notifications_read, mark_notification_read};
use crate::client::invitations;
use crate::components::*;
use crate::layout::UnreadNotifications;
use crate::notifications::NotificationDto;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let query = use_query_map();
    let unread_only = move || query.read().get("filter").as_deref() == Some("unread");
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let read_one = Action::new(|id: &uuid::Uuid| {
        let id = *id;
        async move { mark_notification_read(id).await }
    });
    let read_all = Action::new(|_: &()| mark_all_notifications_read());
    let list = Resource::new(
        move || {
            (
                unread_only(),
                page(),
                read_one.version().get(),
                read_all.version().get(),
                crate::live::LiveTick::get(),
            )
        },
        |(u, p, _, _, _)| list_notifications(u, p),
    );
    let bell = use_context::<UnreadNotifications>();
    Effect::new(move |_| {
        read_one.version().get();
        read_all.version().get();
        if let Some(b) = bell {
            b.0.refetch();
        }
    });
    let tab = move |unread: bool| {
        if unread == unread_only() {
            "tab active"
        } else {
            "tab"
        }
    };
    view! {
        <Title text="Notifications" />
        <div class="page-head">
            <div>
                <h1>"Notifications"</h1>
                <p class="sub">"What waits for you, and what happened to the requests you follow."</p>
            </div>
            <button
                class="btn"
                data-testid="read-all"
                on:click=move |_| {
                    read_all.dispatch(());
                }
            >
                "Mark all as read"
            </button>
        </div>
        <Invitations />
        <nav class="tabs">
            <a class=move || tab(false) href="/notifications">"All"</a>
            <a class=move || tab(true) href="/notifications?filter=unread">"Unread"</a>
        </nav>
        {move || read_all.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        <div class="card">
            <Transition fallback=|| view! { <p class="loading">"Loading"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.items.is_empty() => view! {
                            <Empty title="Nothing here" hint="You are told here when a request waits for you or one of yours is decided." />
                        }.into_any(),
                        Ok(l) => {
                            let filter = if unread_only() { "filter=unread&" } else { "" };
                            view! {
                                <ul class="notif-list">
                                    {l.items.into_iter().map(|n| view! { <NotificationRow n=n read=read_one /> }).collect_view()}
                                </ul>
                                <Pager page=l.page per_page=l.per_page total=l.total href=move |p| format!("/notifications?{filter}page={p}") />
                            }.into_any()
                        }
                        Err(e) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn NotificationRow(
    n: NotificationDto,
    read: Action<uuid::Uuid, Result<NotificationDto, crate::AppError>>,
) -> impl IntoView {
    let id = n.id;
    let unread = n.read_at.is_none();
    let class = if unread { "notif unread" } else { "notif" };
    // Plain glyphs every font has (emoji are missing on many servers' browsers).
    let icon = match n.kind.as_str() {
        "awaiting" => "!",
        "approved" | "level_advanced" => "✓",
        "rejected" => "✕",
        "commented" => "…",
        _ => "•",
    };
    view! {
        <li class=class data-testid="notification" data-kind=n.kind.clone()>
            <span class=format!("notif-icon {}", n.kind) aria-hidden="true">{icon}</span>
            <div class="notif-main">
                <a
                    class="notif-title"
                    href=n.link.clone()
                    on:click=move |_| {
                        if unread {
                            read.dispatch(id);
                        }
                    }
                >
                    {n.title.clone()}
                </a>
                {(!n.body.is_empty()).then(|| view! { <div class="notif-body muted small">{n.body.clone()}</div> })}
            </div>
            <span class="notif-time muted small" title=fmt_time(n.created_at)>{relative(n.created_at)}</span>
            {unread.then(|| view! {
                <button class="btn btn-sm btn-ghost" title="Mark as read" on:click=move |_| { read.dispatch(id); }>
                    "Mark read"
                </button>
            })}
        </li>
    }
}

/// Invitations to orgs waiting for the viewer: an org admin who adds someone not in their org
/// only invites them; they join when they accept here.
#[component]
fn Invitations() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let error = RwSignal::new(None::<crate::error::AppError>);
    let list = LocalResource::new(move || {
        version.get();
        invitations::list()
    });
    let answer = move |org: uuid::Uuid, accept: bool| {
        leptos::task::spawn_local(async move {
            let r = if accept {
                invitations::accept(org).await
            } else {
                invitations::decline(org).await
            };
            match r {
                Ok(()) => version.update(|v| *v += 1),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        {move || match list.get() {
            Some(Ok(items)) if !items.is_empty() => view! {
                <div class="card" data-testid="invitations">
                    <div class="card-head"><h2>"Invitations"</h2></div>
                    <ul class="card-body invite-list">
                        {items.into_iter().map(|i| {
                            let org = i.org_id;
                            let by = i.invited_by.as_ref().map(|p| p.label()).unwrap_or_else(|| "An administrator".into());
                            view! {
                                <li class="invite-row">
                                    <span>{format!("{by} invites you to {} ({})", i.org_name, role_name(i.role))}</span>
                                    <button class="btn btn-primary btn-sm" on:click=move |_| answer(org, true)>"Accept"</button>
                                    <button class="btn btn-sm" on:click=move |_| answer(org, false)>"Decline"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
                </div>
            }.into_any(),
            _ => ().into_any(),
        }}
    }
}

fn role_name(r: tollgate_core::OrgRole) -> &'static str {
    match r {
        tollgate_core::OrgRole::OrgAdmin => "org admin",
        tollgate_core::OrgRole::OrgAuditor => "auditor",
        tollgate_core::OrgRole::OrgUser => "member",
    }
}
