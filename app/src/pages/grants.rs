//! Grants: what access someone holds, and where it came from.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_grants, revoke_grant};
use crate::components::*;
use crate::layout::ViewerResource;

#[component]
pub fn GrantsPage() -> impl IntoView {
    let revoke = Action::new(|id: &uuid::Uuid| {
        let id = *id;
        async move { revoke_grant(id).await }
    });
    let grants = Resource::new(move || revoke.version().get(), |_| list_grants(false, 1));
    let me = expect_context::<ViewerResource>();
    let may_revoke = move |org: uuid::Uuid| {
        me.get().and_then(|r| r.ok().flatten()).is_some_and(|v| {
            v.is_super_admin()
                || v.orgs
                    .iter()
                    .any(|m| m.org_id == org && m.role == tollgate_core::OrgRole::OrgAdmin)
        })
    };
    view! {
        <Title text="Grants" />
        <div class="page-head">
            <div>
                <h1>"Grants"</h1>
                <p class="sub">"Access made from approved requests. Each one ends by itself at its expiry."</p>
            </div>
        </div>
        {move || revoke.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorBox error=e /> })}
        <div class="card">
            <Transition fallback=|| view! { <p class="loading">"Loading"</p> }>
                {move || Suspend::new(async move {
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
                                    {page.items.into_iter().map(|g| {
                                        let id = g.id;
                                        let org = g.org_id;
                                        let live = g.status == "active" || g.status == "scheduled";
                                        let targets = g.assets.iter().chain(g.nodes.iter()).map(|n| n.name.clone()).collect::<Vec<_>>().join(", ");
                                        view! {
                                            <tr data-grant=g.id.to_string()>
                                                <td><a href=format!("/tickets/{}", g.ticket_id)>{g.permission_name.clone()}</a>
                                                    <div class="mono small muted">{g.ticket_serial.clone()}</div></td>
                                                <td>{g.user.display_name.clone()}</td>
                                                <td>{g.org_name.clone()}</td>
                                                <td class="small">{targets}</td>
                                                <td class="mono small">{g.accounts.join(", ")}</td>
                                                <td class="small">{g.actions.join(", ")}</td>
                                                <td class="small" title=fmt_time(g.valid_until)>{fmt_time(g.valid_until)}</td>
                                                <td><span class=format!("badge grant-{}", g.status)>{g.status.clone()}</span></td>
                                                <td>{(live && may_revoke(org)).then(|| view! {
                                                    <button class="btn btn-danger btn-sm" on:click=move |_| { revoke.dispatch(id); }>"Revoke"</button>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
