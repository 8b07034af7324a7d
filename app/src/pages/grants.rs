//! Grants: what access someone holds, and where it came from.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_grants, revoke_grant};
use crate::components::*;

/// "Revoke": asks why, then takes the access back (`on_done` once it is).
#[component]
pub fn RevokeGrant(id: uuid::Uuid, on_done: Callback<()>) -> impl IntoView {
    let asking = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let revoke = Action::new(move |why: &String| {
        let why = why.clone();
        async move { revoke_grant(id, why).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = revoke.value().get() {
            asking.set(false);
            on_done.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        revoke.dispatch(reason.get_untracked());
    };
    view! {
        <Show when=move || asking.get() fallback=move || view! {
            <button class="btn btn-danger btn-sm" type="button" on:click=move |_| asking.set(true)>"Revoke"</button>
        }>
            <form class="revoke-form" on:submit=submit data-testid="revoke-form">
                <input type="text" required maxlength="1000" placeholder="Why is it taken back?"
                    aria-label="Reason to revoke" bind:value=reason />
                <button class="btn btn-danger btn-sm" type="submit" disabled=move || revoke.pending().get()>"Revoke access"</button>
                <button class="btn btn-sm" type="button" on:click=move |_| asking.set(false)>"Cancel"</button>
                {move || revoke.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
            </form>
        </Show>
    }
}

#[component]
pub fn GrantsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let grants = Resource::new(move || version.get(), |_| list_grants(false, 1));
    // Filters over the loaded grants: status, org, and a search of person, permission,
    // assets and accounts.
    let status = RwSignal::new(String::new());
    let org_filter = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let keep = move |g: &crate::dto::GrantDto, s: &str, o: &str, q: &str| {
        (s.is_empty() || g.status == s)
            && (o.is_empty() || g.org_name == o)
            && (q.is_empty()
                || [
                    g.user.username.as_str(),
                    g.user.display_name.as_str(),
                    g.permission_name.as_str(),
                    g.ticket_serial.as_str(),
                ]
                .iter()
                .any(|x| x.to_lowercase().contains(q))
                || g.assets.iter().any(|a| a.name.to_lowercase().contains(q))
                || g.accounts.iter().any(|a| a.to_lowercase().contains(q)))
    };
    view! {
        <Title text="Grants" />
        <div class="page-head">
            <div>
                <h1>"Grants"</h1>
                <p class="sub">"Access made from approved requests. Each one ends by itself at its expiry."</p>
            </div>
        </div>
        <div class="card">
            <div class="card-head">
                <div class="filters" data-testid="grant-filters">
                    <input type="search" placeholder="Person, permission, asset, account or serial" bind:value=q aria-label="Search grants" />
                    <select bind:value=status aria-label="Status">
                        <option value="">"Any status"</option>
                        <option value="active">"Active"</option>
                        <option value="scheduled">"Scheduled"</option>
                        <option value="expired">"Expired"</option>
                        <option value="revoked">"Revoked"</option>
                    </select>
                    <select bind:value=org_filter aria-label="Org">
                        <option value="">"Any org"</option>
                        <Transition fallback=|| ()>
                        {move || grants.get().and_then(|r| r.ok()).map(|p| {
                                let mut names: Vec<String> = p.items.iter().map(|g| g.org_name.clone()).collect();
                                names.sort();
                                names.dedup();
                                names.into_iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()
                            })}
                        </Transition>
                    </select>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading"</p> }>
                {move || {
                    // Read the filters here, outside the async block, so a change re-renders.
                    let (s, o, qq) = (status.get(), org_filter.get(), q.get().to_lowercase());
                    Suspend::new(async move {
                    match grants.await {
                        Ok(page) if page.items.is_empty() => view! {
                            <Empty title="No grants" hint="An approved request becomes a grant here." />
                        }.into_any(),
                        Ok(page) => view! {
                            <table class="table" data-testid="grants">
                                <thead><tr>
                                    <th>"Permission"</th><th>"Who"</th><th>"Org"</th><th>"Assets / nodes"</th>
                                    <th>"Accounts"</th><th>"Actions"</th><th>"Valid until"</th><th>"Status"</th><th></th>
                                </tr></thead>
                                <tbody>
                                    {page.items.into_iter().filter(|g| keep(g, &s, &o, &qq)).map(|g| {
                                        let id = g.id;
                                        let targets = g.assets.iter().chain(g.nodes.iter()).map(|n| n.name.clone()).collect::<Vec<_>>().join(", ");
                                        view! {
                                            <tr data-grant=g.id.to_string()>
                                                <td><a href=format!("/tickets/{}", g.ticket_id)>{g.permission_name.clone()}</a>
                                                    <div class="mono small muted">{g.ticket_serial.clone()}</div></td>
                                                <td>{g.user.label()}</td>
                                                <td>{g.org_name.clone()}</td>
                                                <td class="small">{targets}</td>
                                                <td class="mono small">{g.accounts.join(", ")}</td>
                                                <td class="small">{g.actions.join(", ")}</td>
                                                <td class="small" title=fmt_time(g.valid_until)>{fmt_time(g.valid_until)}</td>
                                                <td><span class=format!("badge grant-{}", g.status)>{g.status.clone()}</span></td>
                                                <td>{g.can_revoke.then(|| view! {
                                                    <RevokeGrant id=id on_done=Callback::new(move |_| version.update(|v| *v += 1)) />
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    }
                })}}
            </Transition>
        </div>
    }
}
