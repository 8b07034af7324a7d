//! The access picker: nodes from the org's tree, assets by search, the accounts of the chosen
//! assets (plus `@ALL`), actions and the validity window. The new-request page and the
//! approver's inline editor both use it.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use leptos::prelude::*;
use uuid::Uuid;

use crate::api::{asset_accounts, org_assets, org_nodes};
use crate::dto::Named;
use crate::error::AppError;

/// Every action a grant can carry, in display order.
pub const ACTIONS: [(&str, &str); 7] = [
    ("connect", "Connect"),
    ("upload", "Upload"),
    ("download", "Download"),
    ("copy", "Copy"),
    ("paste", "Paste"),
    ("delete", "Delete"),
    ("share", "Share"),
];

/// What is being picked; each part a signal the page reads when it submits.
#[derive(Clone, Copy)]
pub struct Selection {
    pub nodes: RwSignal<Vec<Uuid>>,
    pub assets: RwSignal<Vec<Uuid>>,
    pub accounts: RwSignal<Vec<String>>,
    pub actions: RwSignal<Vec<String>>,
    /// `YYYY-MM-DDTHH:MM`, UTC (the value of a datetime-local input).
    pub start: RwSignal<String>,
    pub expiry: RwSignal<String>,
    /// Names of assets seen so far, so chosen ones keep a name when the search moves on.
    pub asset_names: RwSignal<HashMap<Uuid, String>>,
}

impl Selection {
    /// Fills the selection with what an earlier request or a template asks for (`names`: the
    /// assets' names, so the chosen ones show them at once).
    pub fn fill(
        &self,
        nodes: Vec<Uuid>,
        assets: Vec<Uuid>,
        names: &[Named],
        accounts: Vec<String>,
        actions: Vec<String>,
    ) {
        self.nodes.set(nodes);
        self.asset_names
            .update(|m| m.extend(names.iter().map(|a| (a.id, a.name.clone()))));
        self.assets.set(assets);
        self.accounts.set(accounts);
        self.actions.set(actions);
    }

    pub fn new(
        nodes: Vec<Uuid>,
        assets: Vec<Named>,
        accounts: Vec<String>,
        actions: Vec<String>,
        start: DateTime<Utc>,
        expiry: DateTime<Utc>,
    ) -> Self {
        Selection {
            nodes: RwSignal::new(nodes),
            asset_names: RwSignal::new(assets.iter().map(|a| (a.id, a.name.clone())).collect()),
            assets: RwSignal::new(assets.into_iter().map(|a| a.id).collect()),
            accounts: RwSignal::new(accounts),
            actions: RwSignal::new(actions),
            start: RwSignal::new(to_input(start)),
            expiry: RwSignal::new(to_input(expiry)),
        }
    }
}

/// A time as a datetime-local value (UTC).
pub fn to_input(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

/// A datetime-local value (UTC) as a time.
pub fn from_input(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .map(|n| n.and_utc())
}

fn toggle<T: PartialEq + Clone + Send + Sync + 'static>(list: RwSignal<Vec<T>>, item: T, on: bool) {
    list.update(|l| {
        l.retain(|x| *x != item);
        if on {
            l.push(item);
        }
    });
}

/// The error of `field`, if the last answer was about it.
fn field_error(
    error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl Fn() -> Option<AnyView> {
    move || {
        error
            .get()
            .filter(|e| e.field.as_deref() == Some(field))
            .map(|e| view! { <p class="field-error" data-field=field>{e.message}</p> }.into_any())
    }
}

#[component]
pub fn AccessPicker(
    #[prop(into)] org: Signal<Option<Uuid>>,
    sel: Selection,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let nodes = Resource::new(
        move || org.get(),
        |org| async move {
            match org {
                Some(o) => org_nodes(o).await,
                None => Ok(vec![]),
            }
        },
    );
    let search = RwSignal::new(String::new());
    let assets = Resource::new(
        move || (org.get(), search.get()),
        |(org, q)| async move {
            match org {
                Some(o) => org_assets(o, Some(q).filter(|q| !q.trim().is_empty())).await,
                None => Ok(vec![]),
            }
        },
    );
    // Remember names of every asset seen, for the chips of chosen assets.
    Effect::new(move |_| {
        if let Some(Ok(list)) = assets.get() {
            sel.asset_names.update(|m| {
                for a in &list {
                    m.insert(a.id, a.name.clone());
                }
            });
        }
    });
    let accounts = Resource::new(
        move || sel.assets.get(),
        |ids| async move {
            if ids.is_empty() {
                Ok(vec![])
            } else {
                asset_accounts(ids).await
            }
        },
    );
    let account_names = move || {
        let mut names: BTreeSet<String> = BTreeSet::new();
        if let Some(Ok(list)) = accounts.get() {
            names.extend(list.into_iter().map(|a| a.name));
        }
        names.extend(sel.accounts.get().into_iter().filter(|a| a != "@ALL"));
        names.into_iter().collect::<Vec<_>>()
    };
    let all_actions = move || sel.actions.with(|a| a.iter().any(|x| x == "all"));

    view! {
        <div class="picker">
            <div class="field" class:has-error=move || error.get().is_some_and(|e| e.field.as_deref() == Some("nodes"))>
                <span class="label">"Nodes"</span>
                <span class="hint">"Whole groups of assets: everything under a node."</span>
                <div class="tree" data-testid="node-tree">
                    <Transition fallback=|| view! { <p class="loading small">"Loading nodes"</p> }>
                        {move || nodes.get().map(|r| match r {
                            Ok(list) if list.is_empty() => view! { <p class="muted small">"No nodes."</p> }.into_any(),
                            Ok(list) => list.into_iter().map(|n| {
                                let id = n.id;
                                let depth = n.path.matches('/').count().saturating_sub(1);
                                view! {
                                    <label class="tree-row" style=format!("padding-left: {}rem", depth as f32 * 1.1)>
                                        <input
                                            type="checkbox"
                                            prop:checked=move || sel.nodes.with(|s| s.contains(&id))
                                            on:change=move |ev| toggle(sel.nodes, id, event_target_checked(&ev))
                                        />
                                        <span class="tree-name">{n.name.clone()}</span>
                                        <span class="muted small">{crate::components::count_of(n.asset_count, "asset", "assets")}</span>
                                    </label>
                                }
                            }).collect_view().into_any(),
                            Err(e) => view! { <p class="field-error">{e.message}</p> }.into_any(),
                        })}
                    </Transition>
                </div>
                {field_error(error, "nodes")}
            </div>

            <div class="field" class:has-error=move || error.get().is_some_and(|e| e.field.as_deref() == Some("assets"))>
                <span class="label">"Assets"</span>
                <div class="chips" data-testid="chosen-assets">
                    {move || sel.assets.get().into_iter().map(|id| {
                        let name = sel.asset_names.with(|m| m.get(&id).cloned()).unwrap_or_else(|| id.to_string());
                        view! {
                            <span class="chip">
                                {name.clone()}
                                <button type="button" class="chip-x" aria-label=format!("Remove {name}")
                                    on:click=move |_| toggle(sel.assets, id, false)>"×"</button>
                            </span>
                        }
                    }).collect_view()}
                </div>
                <input
                    type="search"
                    placeholder="Search assets by name or address"
                    aria-label="Search assets"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
                <div class="asset-list" data-testid="asset-list">
                    <Transition fallback=|| view! { <p class="loading small">"Searching"</p> }>
                        {move || assets.get().map(|r| match r {
                            Ok(list) if list.is_empty() => view! { <p class="muted small">"No asset matches."</p> }.into_any(),
                            Ok(list) => list.into_iter().map(|a| {
                                let id = a.id;
                                view! {
                                    <label class="asset-row">
                                        <input
                                            type="checkbox"
                                            aria-label=a.name.clone()
                                            prop:checked=move || sel.assets.with(|s| s.contains(&id))
                                            on:change=move |ev| toggle(sel.assets, id, event_target_checked(&ev))
                                        />
                                        <span class="asset-name">{a.name.clone()}</span>
                                        <span class="mono small muted">{a.address.clone()}</span>
                                        <span class="chip small">{a.platform.clone()}</span>
                                    </label>
                                }
                            }).collect_view().into_any(),
                            Err(e) => view! { <p class="field-error">{e.message}</p> }.into_any(),
                        })}
                    </Transition>
                </div>
                {field_error(error, "assets")}
            </div>

            <div class="field" class:has-error=move || error.get().is_some_and(|e| e.field.as_deref() == Some("accounts"))>
                <span class="label">"Accounts"</span>
                <div class="checks" data-testid="accounts">
                    <label>
                        <input
                            type="checkbox"
                            prop:checked=move || sel.accounts.with(|s| s.iter().any(|a| a == "@ALL"))
                            on:change=move |ev| toggle(sel.accounts, "@ALL".to_string(), event_target_checked(&ev))
                        />
                        <span>"@ALL"</span>
                        <span class="muted small">"(every account)"</span>
                    </label>
                    // Inside a Transition: the accounts are a resource (read on the server and
                    // again while hydrating), and the list stays shown while new ones load.
                    <Transition fallback=|| ()>
                        {move || account_names().into_iter().map(|name| {
                            let n = name.clone();
                            let n2 = name.clone();
                            view! {
                                <label>
                                    <input
                                        type="checkbox"
                                        prop:checked=move || sel.accounts.with(|s| s.contains(&n))
                                        on:change=move |ev| toggle(sel.accounts, n2.clone(), event_target_checked(&ev))
                                    />
                                    <span class="mono">{name}</span>
                                </label>
                            }
                        }).collect_view()}
                    </Transition>
                </div>
                <Show when=move || sel.assets.with(|a| a.is_empty())>
                    <span class="hint">"Choose assets to see their accounts."</span>
                </Show>
                {field_error(error, "accounts")}
            </div>

            <div class="field" class:has-error=move || error.get().is_some_and(|e| e.field.as_deref() == Some("actions"))>
                <span class="label">"Actions"</span>
                <div class="checks" data-testid="actions">
                    <label>
                        <input
                            type="checkbox"
                            prop:checked=all_actions
                            on:change=move |ev| {
                                if event_target_checked(&ev) {
                                    sel.actions.set(vec!["all".into()]);
                                } else {
                                    sel.actions.set(vec!["connect".into()]);
                                }
                            }
                        />
                        <span>"All"</span>
                    </label>
                    {ACTIONS.iter().map(|(key, label)| {
                        let key = key.to_string();
                        let k2 = key.clone();
                        view! {
                            <label>
                                <input
                                    type="checkbox"
                                    prop:checked=move || all_actions() || sel.actions.with(|s| s.contains(&key))
                                    prop:disabled=all_actions
                                    on:change=move |ev| toggle(sel.actions, k2.clone(), event_target_checked(&ev))
                                />
                                <span>{*label}</span>
                            </label>
                        }
                    }).collect_view()}
                </div>
                {field_error(error, "actions")}
            </div>

            <div class="row">
                <div class="field" class:has-error=move || error.get().is_some_and(|e| e.field.as_deref() == Some("start"))>
                    <label for="start">"Start (UTC)"</label>
                    <input id="start" type="datetime-local"
                        prop:value=move || sel.start.get()
                        on:input=move |ev| sel.start.set(event_target_value(&ev)) />
                    {field_error(error, "start")}
                </div>
                <div class="field" class:has-error=move || error.get().is_some_and(|e| e.field.as_deref() == Some("expiry"))>
                    <label for="expiry">"Expiry (UTC)"</label>
                    <input id="expiry" type="datetime-local"
                        prop:value=move || sel.expiry.get()
                        on:input=move |ev| sel.expiry.set(event_target_value(&ev)) />
                    {field_error(error, "expiry")}
                </div>
            </div>
        </div>
    }
}
