//! New asset request.

use chrono::{Duration, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use tollgate_core::{ApplyAssetForm, TicketType};
use uuid::Uuid;

use crate::api::{default_period_days, load_ticket, my_orgs, open_request};
use crate::components::use_first_org;
use crate::dto::OpenTicket;
use crate::error::AppError;
use crate::picker::{from_input, AccessPicker, Selection};

#[component]
pub fn NewRequest() -> impl IntoView {
    let orgs = Resource::new(|| (), |_| my_orgs());
    let period = Resource::new(|| (), |_| default_period_days());
    let org = RwSignal::new(None::<Uuid>);
    let now = Utc::now();
    let sel = Selection::new(
        vec![],
        vec![],
        vec![],
        vec!["connect".into()],
        now,
        now + Duration::days(7),
    );
    // The default period is a setting: once known, it sets the expiry (unless already changed).
    Effect::new(move |_| {
        if let Some(Ok(days)) = period.get() {
            sel.expiry
                .set(crate::picker::to_input(now + Duration::days(days)));
        }
    });
    use_first_org(org, move || {
        orgs.get()
            .and_then(|r| r.ok())
            .and_then(|list| list.first().map(|o| o.id))
    });
    let title = RwSignal::new(String::new());
    let permission = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    // "Request again" (`?again=<ticket>`, the link of a grant's ending notice): the form starts
    // from what that ticket finally asked for, the dates from now for the default period.
    let query = use_query_map();
    let again = Resource::new(
        move || {
            query
                .read()
                .get("again")
                .and_then(|v| v.parse::<Uuid>().ok())
        },
        |id| async move {
            match id {
                Some(id) => load_ticket(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    Effect::new(move |_| {
        let Some(Ok(Some(d))) = again.get() else {
            return;
        };
        let t = d.ticket;
        let Some(r) = t.request.as_apply_asset() else {
            return;
        };
        org.set(t.org_id);
        title.set(t.title.clone());
        permission.set(r.permission_name.as_str().to_string());
        sel.nodes.set(r.nodes.clone());
        sel.asset_names
            .update(|m| m.extend(t.assets.iter().map(|a| (a.id, a.name.clone()))));
        sel.assets.set(r.assets.clone());
        sel.accounts
            .set(r.accounts.iter().map(|a| a.as_str().to_string()).collect());
        sel.actions.set(r.actions.names());
    });
    let navigate = use_navigate();

    let submit = Action::new(move |body: &OpenTicket| {
        let body = body.clone();
        async move { open_request(body).await }
    });
    Effect::new(move |_| match submit.value().get() {
        Some(Ok(t)) => navigate(&format!("/tickets/{}", t.id), Default::default()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Some(org_id) = org.get() else {
            error.set(Some(AppError::invalid("org_id", "Choose an org.")));
            return;
        };
        let (Some(start), Some(expiry)) =
            (from_input(&sel.start.get()), from_input(&sel.expiry.get()))
        else {
            error.set(Some(AppError::invalid(
                "expiry",
                "Give a start and an expiry.",
            )));
            return;
        };
        let t = title.get();
        let p = permission.get();
        submit.dispatch(OpenTicket {
            ticket_type: TicketType::ApplyAsset,
            org_id,
            title: t.clone(),
            comment: comment.get(),
            request: ApplyAssetForm {
                permission_name: if p.trim().is_empty() { t } else { p },
                nodes: sel.nodes.get(),
                assets: sel.assets.get(),
                accounts: sel.accounts.get(),
                actions: sel.actions.get(),
                start,
                expiry,
            },
        });
    };
    let err_of = move |field: &'static str| {
        move || {
            error
                .get()
                .filter(|e| e.field.as_deref() == Some(field))
                .map(|e| view! { <p class="field-error" data-field=field>{e.message}</p> })
        }
    };
    let general_error = move || {
        error
            .get()
            .filter(|e| {
                !matches!(
                    e.field.as_deref(),
                    Some(
                        "title"
                            | "permission_name"
                            | "nodes"
                            | "assets"
                            | "accounts"
                            | "actions"
                            | "start"
                            | "expiry"
                            | "org_id"
                            | "comment"
                    )
                )
            })
            .map(|e| view! { <div class="form-error" role="alert">{e.message}</div> })
    };

    view! {
        <Title text="New request" />
        <div class="page-head">
            <div>
                <h1>"New access request"</h1>
                <p class="sub">"Ask for time-bound access. Each approval level of your org reviews it."</p>
            </div>
        </div>
        <form class="card form-card" on:submit=on_submit novalidate>
            <div class="card-body">
                {general_error}
                <div class="row">
                    <div class="field">
                        <label for="org">"Org"</label>
                        <select
                            id="org"
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                org.set(v.parse().ok());
                                sel.nodes.set(vec![]);
                                sel.assets.set(vec![]);
                                sel.accounts.set(vec![]);
                            }
                        >
                            <Transition fallback=|| ()>
                                {move || orgs.get().map(|r| r.unwrap_or_default().into_iter().map(|o| {
                                    let id = o.id;
                                    view! { <option value=o.id.to_string() selected=move || org.get() == Some(id)>{o.name}</option> }
                                }).collect_view())}
                            </Transition>
                        </select>
                        {err_of("org_id")}
                    </div>
                    <div class="field" class:has-error=move || error.get().is_some_and(|e| e.field.as_deref() == Some("title"))>
                        <label for="title">"Title"</label>
                        <input id="title" placeholder="e.g. Debug the checkout outage on web-01"
                            prop:value=move || title.get()
                            on:input=move |ev| title.set(event_target_value(&ev)) />
                        {err_of("title")}
                    </div>
                </div>
                <div class="field" class:has-error=move || error.get().is_some_and(|e| e.field.as_deref() == Some("permission_name"))>
                    <label for="permission">"Permission name"</label>
                    <input id="permission" placeholder="Defaults to the title"
                        prop:value=move || permission.get()
                        on:input=move |ev| permission.set(event_target_value(&ev)) />
                    <span class="hint">"The name the grant will carry once approved."</span>
                    {err_of("permission_name")}
                </div>
                <AccessPicker org=org sel=sel error=error />
                <div class="field">
                    <label for="comment">"Why do you need it?"</label>
                    <textarea id="comment" placeholder="A reason helps approvers decide quickly"
                        prop:value=move || comment.get()
                        on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                    {err_of("comment")}
                </div>
            </div>
            <div class="card-foot">
                <a class="btn btn-ghost" href="/tickets">"Cancel"</a>
                <button type="submit" class="btn btn-primary" disabled=move || submit.pending().get()>
                    {move || if submit.pending().get() { "Submitting…" } else { "Submit request" }}
                </button>
            </div>
        </form>
    }
}
