//! Ticket lists: my applications, and the approver's inbox with bulk decisions.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use tollgate_core::{TicketState, TicketType};
use uuid::Uuid;

use crate::api::{bulk_tickets, list_tickets};
use crate::components::*;
use crate::dto::*;

fn query_from(q: &ParamsMap, scope: Scope) -> TicketQuery {
    TicketQuery {
        scope,
        state: q.get("state").and_then(|s| s.parse().ok()),
        ticket_type: q.get("type").and_then(|s| s.parse().ok()),
        org: None,
        q: q.get("q").filter(|s| !s.trim().is_empty()),
        page: q.get("page").and_then(|s| s.parse().ok()),
        per_page: Some(20),
    }
}

/// `base?state=…&type=…&q=…&page=N`, keeping the current filters.
fn page_href(
    base: &'static str,
    q: &TicketQuery,
    extra: &str,
) -> impl Fn(u32) -> String + Send + Sync + 'static {
    let mut keep = String::from(extra);
    if let Some(s) = q.state {
        keep.push_str(&format!("&state={}", s.as_str()));
    }
    if let Some(t) = q.ticket_type {
        keep.push_str(&format!("&type={}", t.as_str()));
    }
    if let Some(s) = &q.q {
        keep.push_str(&format!("&q={}", enc(s)));
    }
    move |p| format!("{base}?page={p}{keep}")
}

/// The filter bar: state, type, search. A GET form, so filters live in the URL.
#[component]
fn Filters() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    view! {
        <Form method="GET" action="" attr:class="filters">
            <input type="hidden" name="tab" prop:value=move || get("tab") />
            <select name="state" aria-label="State" prop:value=move || get("state")>
                <option value="">"Any state"</option>
                {TicketState::ALL
                    .iter()
                    .map(|s| view! { <option value=s.as_str()>{capitalize(s.as_str())}</option> })
                    .collect_view()}
            </select>
            <select name="type" aria-label="Type" prop:value=move || get("type")>
                <option value="">"Any type"</option>
                {TicketType::ALL
                    .iter()
                    .map(|t| view! { <option value=t.as_str()>{type_label(*t)}</option> })
                    .collect_view()}
            </select>
            <input
                type="search"
                name="q"
                placeholder="Search title or serial"
                aria-label="Search"
                prop:value=move || get("q")
            />
            <button type="submit" class="btn">"Filter"</button>
        </Form>
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// A table of tickets; with `selected`, each row gets a checkbox.
#[component]
fn TicketTable(
    items: Vec<TicketSummary>,
    #[prop(optional)] show_applicant: bool,
    #[prop(default = None)] selected: Option<RwSignal<HashSet<Uuid>>>,
) -> impl IntoView {
    let ids: Vec<Uuid> = items.iter().map(|t| t.id).collect();
    let all_ids = ids.clone();
    view! {
        <table class="table" data-testid="ticket-table">
            <thead>
                <tr>
                    {selected.map(|sel| {
                        let all_ids = all_ids.clone();
                        view! {
                            <th class="check">
                                <input
                                    type="checkbox"
                                    aria-label="Select all"
                                    prop:checked=move || !all_ids.is_empty() && sel.with(|s| all_ids.iter().all(|i| s.contains(i)))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        sel.update(|s| {
                                            for i in &ids {
                                                if on { s.insert(*i); } else { s.remove(i); }
                                            }
                                        });
                                    }
                                />
                            </th>
                        }
                    })}
                    <th>"Serial"</th>
                    <th>"Title"</th>
                    <th>"Type"</th>
                    <th>"Org"</th>
                    {show_applicant.then(|| view! { <th>"Applicant"</th> })}
                    <th>"Level"</th>
                    <th>"State"</th>
                    <th>"Opened"</th>
                </tr>
            </thead>
            <tbody>
                {items
                    .into_iter()
                    .map(|t| {
                        let id = t.id;
                        let href = format!("/tickets/{}", t.id);
                        view! {
                            <tr data-serial=t.serial.clone()>
                                {selected.map(|sel| view! {
                                    <td class="check">
                                        <input
                                            type="checkbox"
                                            aria-label=format!("Select {}", t.serial)
                                            prop:checked=move || sel.with(|s| s.contains(&id))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                sel.update(|s| { if on { s.insert(id); } else { s.remove(&id); } });
                                            }
                                        />
                                    </td>
                                })}
                                <td class="mono small">{t.serial.clone()}</td>
                                <td><a href=href class="row-title">{t.title.clone()}</a></td>
                                <td class="small">{type_label(t.ticket_type)}</td>
                                <td class="small">{t.org_name.clone().unwrap_or_else(|| "—".into())}</td>
                                {show_applicant.then(|| view! { <td>{t.applicant.display_name.clone()}</td> })}
                                <td class="num small">{format!("{} / {}", t.current_level, t.levels)}</td>
                                <td><StateBadge state=t.state /></td>
                                <td class="small muted" title=fmt_time(t.created_at)>{relative(t.created_at)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// My applications.
#[component]
pub fn MyApplications() -> impl IntoView {
    let query = use_query_map();
    let params = move || query_from(&query.read(), Scope::Mine);
    let tickets = Resource::new(
        move || (params(), crate::live::LiveTick::get()),
        |(q, _)| list_tickets(q),
    );
    view! {
        <Title text="My applications" />
        <div class="page-head">
            <div>
                <h1>"My applications"</h1>
                <p class="sub">"Access you asked for, and where each request stands."</p>
            </div>
            <a class="btn btn-primary" href="/tickets/new">"+ New request"</a>
        </div>
        <div class="card">
            <div class="card-head">
                <Filters />
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading"</p> }>
                {move || Suspend::new(async move {
                    match tickets.await {
                        Ok(page) if page.items.is_empty() => view! {
                            <Empty title="No applications yet" hint="Ask for access to a server or database with “New request”." />
                        }.into_any(),
                        Ok(page) => {
                            let href = page_href("/tickets", &params(), "");
                            view! {
                                <TicketTable items=page.items.clone() />
                                <Pager page=page.page per_page=page.per_page total=page.total capped=page.total_capped href=href />
                            }.into_any()
                        }
                        Err(e) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// Waiting for my approval, and what I already processed.
#[component]
pub fn Inbox() -> impl IntoView {
    let query = use_query_map();
    let processed = move || query.read().get("tab").as_deref() == Some("processed");
    let params = move || {
        let scope = if processed() {
            Scope::Processed
        } else {
            Scope::Assigned
        };
        query_from(&query.read(), scope)
    };
    let selected = RwSignal::new(HashSet::<Uuid>::new());
    let bulk = Action::new(move |input: &BulkBody| {
        let input = input.clone();
        async move { bulk_tickets(input).await }
    });
    let tickets = Resource::new(
        move || (params(), bulk.version().get(), crate::live::LiveTick::get()),
        |(q, _, _)| list_tickets(q),
    );
    let counter = use_context::<crate::layout::InboxCount>();
    let me = use_context::<crate::layout::ViewerResource>();
    // Tickets whose level asks for a fresh second factor stay selected, and a code is asked.
    let code = RwSignal::new(String::new());
    let needs_code = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(results)) = bulk.value().get() {
            let asked: HashSet<Uuid> = results
                .iter()
                .filter(|r| {
                    r.error
                        .as_ref()
                        .is_some_and(|e| e.code == "step_up_required")
                })
                .map(|r| r.id)
                .collect();
            needs_code.set(!asked.is_empty());
            code.set(String::new());
            selected.set(asked);
            if let Some(c) = counter {
                c.0.refetch();
            }
        }
    });
    let run = move |action: BulkAction| {
        let ids: Vec<Uuid> = selected.get().into_iter().collect();
        if !ids.is_empty() {
            let second_factor_code = Some(code.get()).filter(|c| !c.trim().is_empty());
            bulk.dispatch(BulkBody {
                action,
                ids,
                second_factor_code,
            });
        }
    };

    view! {
        <Title text="Waiting for me" />
        <div class="page-head">
            <div>
                <h1>"Approvals"</h1>
                <p class="sub">"Requests waiting for your decision, and the ones you already decided."</p>
            </div>
        </div>
        <Transition fallback=|| ()>
            {move || me.and_then(|m| m.get()).and_then(|r| r.ok().flatten()).map(|v| view! { <crate::pages::away::AwayLine person=v.id /> })}
        </Transition>
        <div class="tabs" role="tablist">
            <a href="/inbox" class="tab" class:active=move || !processed() role="tab">"Waiting for me"</a>
            <a href="/inbox?tab=processed" class="tab" class:active=processed role="tab">"Processed by me"</a>
        </div>
        <div class="card">
            <div class="card-head">
                <Filters />
                <Show when=move || !processed()>
                    <div class="bulk-bar">
                        <span class="muted small">{move || format!("{} selected", selected.with(|s| s.len()))}</span>
                        <Show when=move || needs_code.get()>
                            <input class="bulk-code" aria-label="Code from your authenticator app" placeholder="Code"
                                inputmode="numeric" autocomplete="one-time-code"
                                prop:value=move || if crate::passkey::is_assertion(&code.get()) { String::new() } else { code.get() }
                                on:input=move |ev| code.set(event_target_value(&ev)) />
                            <crate::passkey::PasskeyButton code=code />
                        </Show>
                        <button
                            class="btn btn-ok btn-sm"
                            disabled=move || selected.with(|s| s.is_empty()) || bulk.pending().get()
                            on:click=move |_| run(BulkAction::Approve)
                        >
                            "Approve selected"
                        </button>
                        <button
                            class="btn btn-danger btn-sm"
                            disabled=move || selected.with(|s| s.is_empty()) || bulk.pending().get()
                            on:click=move |_| run(BulkAction::Reject)
                        >
                            "Reject selected"
                        </button>
                    </div>
                </Show>
            </div>
            {move || bulk.value().get().map(|r| match r {
                Ok(results) => {
                    let ok = results.iter().filter(|r| r.ok).count();
                    // Each failure names its ticket (by serial, from the list shown).
                    let serials: HashMap<Uuid, String> = tickets
                        .get_untracked()
                        .and_then(Result::ok)
                        .map(|p| p.items.into_iter().map(|t| (t.id, t.serial)).collect())
                        .unwrap_or_default();
                    let failed: Vec<String> = results
                        .iter()
                        .filter_map(|r| {
                            let e = r.error.as_ref()?;
                            Some(match serials.get(&r.id) {
                                Some(serial) => format!("{serial}: {}", e.message),
                                None => e.message.clone(),
                            })
                        })
                        .collect();
                    view! {
                        <div class="card-body" data-testid="bulk-result">
                            <p class="form-ok">{format!("{ok} of {} done.", results.len())}</p>
                            {(!failed.is_empty()).then(|| view! {
                                <ul class="form-error">{failed.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                            })}
                        </div>
                    }.into_any()
                }
                Err(e) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
            })}
            <Transition fallback=|| view! { <p class="loading">"Loading"</p> }>
                {move || Suspend::new(async move {
                    let is_processed = processed();
                    match tickets.await {
                        Ok(page) if page.items.is_empty() => if is_processed {
                            view! { <Empty title="Nothing processed yet" hint="Tickets you approve or reject stay listed here." /> }.into_any()
                        } else {
                            view! { <Empty title="Nothing waits for you" hint="New requests for your approval appear here." /> }.into_any()
                        },
                        Ok(page) => {
                            let extra = if is_processed { "&tab=processed" } else { "" };
                            let href = page_href("/inbox", &params(), extra);
                            let sel = (!is_processed).then_some(selected);
                            view! {
                                <TicketTable items=page.items.clone() show_applicant=true selected=sel />
                                <Pager page=page.page per_page=page.per_page total=page.total capped=page.total_capped href=href />
                            }.into_any()
                        }
                        Err(e) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
