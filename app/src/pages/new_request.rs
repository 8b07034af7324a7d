//! New asset request.

use chrono::{Duration, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use tollgate_core::{ApplyAssetForm, TicketType};
use uuid::Uuid;

use crate::api::{default_period_days, load_ticket, my_orgs, open_request};
use crate::components::use_first_org;
use crate::dto::{OpenTicket, TemplateDto};
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
        sel.fill(
            r.nodes.clone(),
            r.assets.clone(),
            &t.assets,
            r.accounts.iter().map(|a| a.as_str().to_string()).collect(),
            r.actions.names(),
        );
    });
    let navigate = use_navigate();
    let hint = RwSignal::new(None::<String>);
    let templates_version = RwSignal::new(0u32);
    let templates = LocalResource::new(move || {
        templates_version.get();
        let o = org.get();
        async move {
            match o {
                Some(o) => crate::client::templates::list(o).await,
                None => Ok(vec![]),
            }
        }
    });
    // A template fills in what to reach, how, and for how long from now; its hint says what
    // the reason should tell.
    let apply_template = move |t: &TemplateDto| {
        let now = Utc::now();
        sel.fill(
            t.nodes.clone(),
            t.assets.iter().map(|a| a.id).collect(),
            &t.assets,
            t.accounts.clone(),
            t.actions.clone(),
        );
        sel.start.set(crate::picker::to_input(now));
        sel.expiry.set(crate::picker::to_input(
            now + Duration::days(i64::from(t.period_days)),
        ));
        hint.set(Some(t.reason_hint.clone()).filter(|h| !h.is_empty()));
    };
    let me = use_context::<crate::layout::ViewerResource>();
    let may_save = move || {
        let (Some(v), Some(o)) = (
            me.and_then(|m| m.get()).and_then(|r| r.ok().flatten()),
            org.get(),
        ) else {
            return false;
        };
        v.is_super_admin()
            || v.orgs
                .iter()
                .any(|m| m.org_id == o && m.role == tollgate_core::OrgRole::OrgAdmin)
    };

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
                <Templates templates=templates on_pick=Callback::new(move |t: TemplateDto| apply_template(&t)) />
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
                    <textarea id="comment"
                        placeholder=move || hint.get().unwrap_or_else(|| "A reason helps approvers decide quickly".into())
                        prop:value=move || comment.get()
                        on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                    {err_of("comment")}
                </div>
                <Transition fallback=|| ()>
                    {move || may_save().then(|| view! {
                        <SaveTemplate org=org sel=sel comment=comment
                            on_saved=Callback::new(move |_| templates_version.update(|v| *v += 1)) />
                    })}
                </Transition>
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

/// "Start from a template": the org's templates, when it has some.
#[component]
fn Templates(
    templates: LocalResource<Result<Vec<TemplateDto>, AppError>>,
    on_pick: Callback<TemplateDto>,
) -> impl IntoView {
    move || {
        templates
            .get()
            .and_then(Result::ok)
            .filter(|l| !l.is_empty())
            .map(|list| {
                let pick = list.clone();
                view! {
                    <div class="field template-pick">
                        <label for="template">"Start from a template"</label>
                        <select id="template" data-testid="template" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some(t) = pick.iter().find(|t| t.id.to_string() == v) {
                                on_pick.run(t.clone());
                            }
                        }>
                            <option value="">"None: start from scratch"</option>
                            {list.into_iter().map(|t| view! { <option value=t.id.to_string()>{t.name}</option> }).collect_view()}
                        </select>
                    </div>
                }
            })
    }
}

/// For the org's admins: saves what the form asks for as a template of the org (the reason
/// written becomes its hint; the period, its length in whole days).
#[component]
fn SaveTemplate(
    org: RwSignal<Option<Uuid>>,
    sel: Selection,
    comment: RwSignal<String>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let w = crate::components::Writes::new();
    let (error, done) = (w.error, RwSignal::new(None::<String>));
    let save = move |_| {
        let Some(o) = org.get_untracked() else { return };
        let (start, expiry) = (
            from_input(&sel.start.get_untracked()),
            from_input(&sel.expiry.get_untracked()),
        );
        let days = match (start, expiry) {
            (Some(s), Some(e)) => ((e - s).num_hours() + 23) / 24,
            _ => 0,
        };
        let form = tollgate_core::template::TemplateForm {
            name: name.get_untracked(),
            nodes: sel.nodes.get_untracked(),
            assets: sel.assets.get_untracked(),
            accounts: sel.accounts.get_untracked(),
            actions: sel.actions.get_untracked(),
            period_days: u16::try_from(days.max(0)).unwrap_or(u16::MAX),
            reason_hint: comment.get_untracked(),
        };
        done.set(None);
        w.run(async move {
            let t = crate::client::templates::create(o, &form).await?;
            done.set(Some(format!("Saved as the template {:?}.", t.name)));
            name.set(String::new());
            on_saved.run(());
            Ok(())
        });
    };
    view! {
        <details class="save-template" data-testid="save-template">
            <summary>"Save as a template of this org"</summary>
            <p class="muted small">"What the form asks for, for as many days; the reason written above becomes the template's hint."</p>
            <div class="row">
                <div class="field">
                    <label for="template-name">"Template name"</label>
                    <input id="template-name" maxlength="100" bind:value=name />
                </div>
                <div class="field"><label>" "</label>
                    <button type="button" class="btn" on:click=save disabled=move || w.busy.get()>"Save template"</button></div>
            </div>
            {move || error.get().map(|e| view! { <crate::components::ErrorBox error=e /> })}
            {move || done.get().map(|m| view! { <div class="form-ok" role="status">{m}</div> })}
        </details>
    }
}
