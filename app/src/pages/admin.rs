//! Administration: orgs, people and memberships, the estate (node tree, assets, accounts),
//! bulk import, settings and personal API tokens. The tabs call the same REST endpoints as
//! scripts do (`crate::rest`), after hydration; the server enforces who may do what.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::admin_dto::*;
use crate::components::*;
use crate::dto::{AccountDto, AssetDto, NodeDto, Page};
use crate::error::AppError;
use crate::rest;

const TABS: &[(&str, &str)] = &[
    ("orgs", "Orgs"),
    ("people", "People"),
    ("assets", "Assets"),
    ("import", "Import"),
    ("settings", "Settings"),
    ("tokens", "Tokens"),
];

const PLATFORMS: &[&str] = &[
    "linux",
    "unix",
    "windows",
    "macos",
    "mysql",
    "mariadb",
    "postgresql",
    "oracle",
    "sqlserver",
    "mongodb",
    "redis",
    "clickhouse",
    "kubernetes",
    "website",
    "other",
];

const ORG_ROLES: &[(&str, &str)] = &[
    ("org_user", "Member"),
    ("org_auditor", "Auditor"),
    ("org_admin", "Admin"),
];

/// What a write left to say: done, or the error.
#[derive(Clone, Copy)]
struct Outcome {
    ok: RwSignal<Option<String>>,
    err: RwSignal<Option<AppError>>,
    version: RwSignal<u32>,
}

impl Outcome {
    fn new() -> Self {
        Outcome {
            ok: RwSignal::new(None),
            err: RwSignal::new(None),
            version: RwSignal::new(0),
        }
    }
    /// Runs a write; on success says `done` and refreshes the lists.
    fn run<T: 'static>(
        self,
        done: String,
        fut: impl std::future::Future<Output = Result<T, AppError>> + 'static,
        after: impl FnOnce(T) + 'static,
    ) {
        self.ok.set(None);
        self.err.set(None);
        spawn_local(async move {
            match fut.await {
                Ok(v) => {
                    self.ok.set(Some(done));
                    self.version.update(|n| *n += 1);
                    after(v);
                }
                Err(e) => self.err.set(Some(e)),
            }
        });
    }
    fn view(self) -> impl IntoView {
        view! {
            {move || self.ok.get().map(|m| view! { <div class="form-ok" role="status">{m}</div> })}
            {move || self.err.get().map(|e| view! { <ErrorBox error=e /> })}
        }
    }
}

fn role_label(r: &str) -> &'static str {
    ORG_ROLES
        .iter()
        .find(|(k, _)| *k == r)
        .map(|(_, l)| *l)
        .unwrap_or("Member")
}

fn loading() -> impl IntoView {
    view! { <p class="loading">"Loading"</p> }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let query = use_query_map();
    let tab = move || {
        query
            .read()
            .get("tab")
            .unwrap_or_else(|| "orgs".to_string())
    };
    view! {
        <Title text="Administration" />
        <div class="page-head">
            <div>
                <h1>"Administration"</h1>
                <p class="sub">"Orgs, people, the asset estate, imports, settings and your API tokens."</p>
            </div>
        </div>
        <div class="tabs" role="tablist">
            {TABS.iter().map(|(k, label)| {
                let k = *k;
                view! {
                    <a href=format!("/admin?tab={k}") class="tab" class:active=move || tab() == k role="tab">{*label}</a>
                }
            }).collect_view()}
        </div>
        {move || match tab().as_str() {
            "people" => view! { <PeopleTab /> }.into_any(),
            "assets" => view! { <AssetsTab /> }.into_any(),
            "import" => view! { <ImportTab /> }.into_any(),
            "settings" => view! { <SettingsTab /> }.into_any(),
            "tokens" => view! { <TokensTab /> }.into_any(),
            _ => view! { <OrgsTab /> }.into_any(),
        }}
    }
}

fn orgs_resource(version: RwSignal<u32>) -> LocalResource<Result<Page<OrgDetail>, AppError>> {
    LocalResource::new(move || {
        version.get();
        async move { rest::get::<Page<OrgDetail>>("/api/v1/admin/orgs").await }
    })
}

// ---------- Orgs ----------

#[component]
fn OrgsTab() -> impl IntoView {
    let out = Outcome::new();
    let orgs = orgs_resource(out.version);
    let name = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked();
        out.run(
            format!("Org {n} created."),
            async move {
                rest::send_json::<OrgDetail>("POST", "/api/v1/orgs", &json!({"name": n})).await
            },
            move |_| name.set(String::new()),
        );
    };
    let members_of = RwSignal::new(None::<Uuid>);
    view! {
        {out.view()}
        <div class="grid-2">
            <div class="card">
                <div class="card-head"><h2>"Orgs"</h2></div>
                {move || match orgs.get() {
                    None => loading().into_any(),
                    Some(Err(e)) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    Some(Ok(p)) => view! {
                        <table class="table" data-testid="orgs">
                            <thead><tr><th>"Name"</th><th class="num">"Members"</th><th class="num">"Assets"</th><th></th></tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|o| {
                                    let id = o.id;
                                    let oname = o.name.clone();
                                    let rename = move |_| {
                                        #[cfg(not(feature = "hydrate"))]
                                        let _ = &oname;
                                        #[cfg(feature = "hydrate")]
                                        {
                                            let Some(w) = web_sys::window() else { return };
                                            let Ok(Some(n)) = w.prompt_with_message_and_default("New name of the org", &oname) else { return };
                                            out.run(format!("Renamed to {n}."), async move {
                                                rest::send_json::<OrgDetail>("PATCH", &format!("/api/v1/orgs/{id}"), &json!({"name": n})).await
                                            }, |_| {});
                                        }
                                    };
                                    let oname2 = o.name.clone();
                                    view! {
                                        <tr data-org=o.name.clone()>
                                            <td class="row-title">{o.name.clone()}</td>
                                            <td class="num">{o.members}</td>
                                            <td class="num">{o.assets}</td>
                                            <td class="actions">
                                                <button class="btn btn-sm" on:click=move |_| members_of.set(Some(id))>"Members"</button>
                                                <button class="btn btn-sm" on:click=rename>"Rename"</button>
                                                <button class="btn btn-danger btn-sm" on:click=move |_| {
                                                    let n = oname2.clone();
                                                    out.run(format!("Org {n} deleted."), async move {
                                                        rest::call::<Value>("DELETE", &format!("/api/v1/orgs/{id}"), None).await
                                                    }, |_| {});
                                                }>"Delete"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }}
            </div>
            <form class="card" on:submit=create>
                <div class="card-head"><h3>"New org"</h3></div>
                <div class="card-body">
                    <div class="field">
                        <label for="org-name">"Name"</label>
                        <input id="org-name" type="text" bind:value=name required maxlength="128" />
                        <span class="hint">"Its root node gets the same name. Super admins only."</span>
                    </div>
                    <button class="btn btn-primary" type="submit">"Create org"</button>
                </div>
            </form>
        </div>
        {move || members_of.get().map(|org| view! { <Members org=org out=out /> })}
    }
}

#[component]
fn Members(org: Uuid, out: Outcome) -> impl IntoView {
    let members = LocalResource::new(move || {
        out.version.get();
        async move { rest::get::<Page<MemberDto>>(&format!("/api/v1/orgs/{org}/members")).await }
    });
    let people = LocalResource::new(move || async move {
        rest::get::<Page<UserDetail>>("/api/v1/admin/users").await
    });
    let user = RwSignal::new(String::new());
    let role = RwSignal::new("org_user".to_string());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (u, r) = (user.get_untracked(), role.get_untracked());
        out.run(
            "Membership saved.".into(),
            async move {
                rest::send_json::<Page<MemberDto>>(
                    "PUT",
                    &format!("/api/v1/orgs/{org}/members"),
                    &json!({"user_id": u, "role": r}),
                )
                .await
            },
            |_| {},
        );
    };
    view! {
        <div class="card" data-testid="members">
            <div class="card-head"><h3>"Members"</h3></div>
            {move || match members.get() {
                None => loading().into_any(),
                Some(Err(e)) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                Some(Ok(p)) => view! {
                    <table class="table">
                        <thead><tr><th>"User"</th><th>"Role"</th><th></th></tr></thead>
                        <tbody>{p.items.into_iter().map(|m| {
                            let uid = m.user.id;
                            view! {
                                <tr>
                                    <td>{m.user.display_name.clone()}" "<span class="muted small mono">{m.user.username.clone()}</span>
                                        {(!m.active).then(|| view! { <span class="badge">" inactive"</span> })}
                                        {m.invited.then(|| view! { <span class="badge" data-testid="invited">"invited"</span> })}</td>
                                    <td>{role_label(m.role.as_str())}</td>
                                    <td><button class="btn btn-danger btn-sm" on:click=move |_| {
                                        out.run("Removed from the org.".into(), async move {
                                            rest::call::<Value>("DELETE", &format!("/api/v1/orgs/{org}/members/{uid}"), None).await
                                        }, |_| {});
                                    }>"Remove"</button></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
            <form class="card-body row" on:submit=add>
                <div class="field">
                    <label for="member-user">"Person"</label>
                    <select id="member-user" bind:value=user required>
                        <option value="">"Choose…"</option>
                        {move || people.get().and_then(|r| r.ok()).map(|p| p.items.into_iter().map(|u| view! {
                            <option value=u.id.to_string()>{format!("{} ({})", u.display_name, u.username)}</option>
                        }).collect_view())}
                    </select>
                </div>
                <div class="field">
                    <label for="member-role">"Role in the org"</label>
                    <select id="member-role" bind:value=role>
                        {ORG_ROLES.iter().map(|(k, l)| view! { <option value=*k>{*l}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field"><label>" "</label><button class="btn btn-primary" type="submit">"Add or change"</button></div>
            </form>
        </div>
    }
}

// ---------- People ----------

#[component]
fn PeopleTab() -> impl IntoView {
    let out = Outcome::new();
    let q = RwSignal::new(String::new());
    let people = LocalResource::new(move || {
        out.version.get();
        let q = q.get();
        async move { rest::get::<Page<UserDetail>>(&format!("/api/v1/admin/users?q={}", enc(&q))).await }
    });
    let orgs = orgs_resource(out.version);
    let (username, display, email, password) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let system_role = RwSignal::new("user".to_string());
    let org = RwSignal::new(String::new());
    let org_role = RwSignal::new("org_user".to_string());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let u = username.get_untracked();
        let mut body = json!({"username": u, "display_name": display.get_untracked(), "email": email.get_untracked(),
            "password": password.get_untracked(), "system_role": system_role.get_untracked()});
        let o = org.get_untracked();
        if !o.is_empty() {
            body["orgs"] = json!([{"org_id": o, "role": org_role.get_untracked()}]);
        }
        out.run(
            format!("User {u} created."),
            async move { rest::send_json::<UserDetail>("POST", "/api/v1/users", &body).await },
            move |_| {
                username.set(String::new());
                display.set(String::new());
                email.set(String::new());
                password.set(String::new());
            },
        );
    };
    view! {
        {out.view()}
        <div class="grid-2">
            <div class="card">
                <div class="card-head">
                    <h2>"People"</h2>
                    <div class="filters"><input type="search" placeholder="Search people" bind:value=q aria-label="Search people" /></div>
                </div>
                {move || match people.get() {
                    None => loading().into_any(),
                    Some(Err(e)) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    Some(Ok(p)) => view! {
                        <table class="table" data-testid="people">
                            <thead><tr><th>"User"</th><th>"Role"</th><th>"Orgs"</th><th>"Status"</th><th></th></tr></thead>
                            <tbody>{p.items.into_iter().map(|u| {
                                let id = u.id;
                                let active = u.active;
                                let uname = u.username.clone();
                                let super_admin = u.system_role == tollgate_core::SystemRole::SuperAdmin;
                                let reset = move |_| {
                                    #[cfg(feature = "hydrate")]
                                    {
                                        let Some(w) = web_sys::window() else { return };
                                        let Ok(Some(pw)) = w.prompt_with_message("New password (8 characters or more)") else { return };
                                        out.run("Password reset; their sessions ended.".into(), async move {
                                            rest::send_json::<UserDetail>("PATCH", &format!("/api/v1/users/{id}"), &json!({"password": pw})).await
                                        }, |_| {});
                                    }
                                };
                                view! {
                                    <tr data-user=u.username.clone()>
                                        <td><span class="row-title">{u.display_name.clone()}</span>
                                            <div class="muted small mono">{u.username.clone()}" "{u.email.clone()}</div></td>
                                        <td class="small">{if super_admin { "Super admin" } else { "User" }}</td>
                                        <td class="small">{u.orgs.iter().map(|m| format!("{} ({})", m.org_name, role_label(m.role.as_str()))).collect::<Vec<_>>().join(", ")}</td>
                                        <td>{if active { view! { <span class="badge grant-active">"active"</span> }.into_any() } else { view! { <span class="badge grant-revoked">"inactive"</span> }.into_any() }}</td>
                                        <td class="actions">
                                            <button class="btn btn-sm" on:click=reset>"Reset password"</button>
                                            <button class="btn btn-sm" on:click=move |_| {
                                                let r = if super_admin { "user" } else { "super_admin" };
                                                out.run("System role changed.".into(), async move {
                                                    rest::send_json::<UserDetail>("PATCH", &format!("/api/v1/users/{id}"), &json!({"system_role": r})).await
                                                }, |_| {});
                                            }>{if super_admin { "Make user" } else { "Make super admin" }}</button>
                                            <button class=if active { "btn btn-danger btn-sm" } else { "btn btn-sm" } on:click=move |_| {
                                                let n = uname.clone();
                                                out.run(if active { format!("{n} deactivated; their sessions ended.") } else { format!("{n} activated.") }, async move {
                                                    rest::send_json::<UserDetail>("PATCH", &format!("/api/v1/users/{id}"), &json!({"active": !active})).await
                                                }, |_| {});
                                            }>{if active { "Deactivate" } else { "Activate" }}</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }}
            </div>
            <form class="card" on:submit=create>
                <div class="card-head"><h3>"New person"</h3></div>
                <div class="card-body">
                    <div class="field"><label for="u-name">"Username"</label><input id="u-name" type="text" bind:value=username required /></div>
                    <div class="field"><label for="u-display">"Display name"</label><input id="u-display" type="text" bind:value=display /></div>
                    <div class="field"><label for="u-email">"Email"</label><input id="u-email" type="email" bind:value=email /></div>
                    <div class="field"><label for="u-pw">"Password"</label><input id="u-pw" type="password" bind:value=password minlength="8" autocomplete="new-password" aria-describedby="u-pw-hint" />
                        <p class="hint" id="u-pw-hint">"Only super admins set a password. Left empty, the person gets a one-time link by email to choose their own (an email is then needed)."</p></div>
                    <div class="field"><label for="u-role">"System role"</label>
                        <select id="u-role" bind:value=system_role>
                            <option value="user">"User"</option>
                            <option value="super_admin">"Super admin"</option>
                        </select></div>
                    <div class="row">
                        <div class="field"><label for="u-org">"Org"</label>
                            <select id="u-org" bind:value=org>
                                <option value="">"None"</option>
                                {move || orgs.get().and_then(|r| r.ok()).map(|p| p.items.into_iter().map(|o| view! {
                                    <option value=o.id.to_string()>{o.name}</option>
                                }).collect_view())}
                            </select></div>
                        <div class="field"><label for="u-org-role">"Role there"</label>
                            <select id="u-org-role" bind:value=org_role>
                                {ORG_ROLES.iter().map(|(k, l)| view! { <option value=*k>{*l}</option> }).collect_view()}
                            </select></div>
                    </div>
                    <button class="btn btn-primary" type="submit">"Create person"</button>
                </div>
            </form>
        </div>
    }
}

// ---------- Assets: the tree, assets, accounts ----------

#[component]
fn AssetsTab() -> impl IntoView {
    let out = Outcome::new();
    let orgs = orgs_resource(RwSignal::new(0));
    let org = RwSignal::new(String::new());
    // The first org is chosen once the list arrives.
    Effect::new(move |_| {
        if org.get().is_empty() {
            if let Some(Ok(p)) = orgs.get() {
                if let Some(o) = p.items.first() {
                    org.set(o.id.to_string());
                }
            }
        }
    });
    let nodes = LocalResource::new(move || {
        out.version.get();
        let o = org.get();
        async move {
            if o.is_empty() {
                return Ok(Page {
                    items: vec![],
                    total: 0,
                    total_capped: false,
                    page: 1,
                    per_page: 1,
                });
            }
            rest::get::<Page<NodeDto>>(&format!("/api/v1/nodes?org={o}")).await
        }
    });
    let (q, node_filter, platform_filter) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let assets = LocalResource::new(move || {
        out.version.get();
        let (o, q, n, p) = (org.get(), q.get(), node_filter.get(), platform_filter.get());
        async move {
            if o.is_empty() {
                return Ok(Page {
                    items: vec![],
                    total: 0,
                    total_capped: false,
                    page: 1,
                    per_page: 1,
                });
            }
            let mut url = format!("/api/v1/assets?org={o}&q={}", enc(&q));
            if !n.is_empty() {
                url.push_str(&format!("&node={n}"));
            }
            if !p.is_empty() {
                url.push_str(&format!("&platform={p}"));
            }
            rest::get::<Page<AssetDto>>(&url).await
        }
    });
    let node_options = move || {
        nodes
            .get()
            .and_then(|r| r.ok())
            .map(|p| p.items)
            .unwrap_or_default()
    };
    // New node / move node.
    let (node_name, node_parent) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let add_node = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (o, n, p) = (
            org.get_untracked(),
            node_name.get_untracked(),
            node_parent.get_untracked(),
        );
        let mut body = json!({"org_id": o, "name": n});
        if !p.is_empty() {
            body["parent_id"] = json!(p);
        }
        out.run(
            format!("Node {n} created."),
            async move { rest::send_json::<NodeDto>("POST", "/api/v1/nodes", &body).await },
            move |_| node_name.set(String::new()),
        );
    };
    let (edit_node, edit_name, edit_parent) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let save_node = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, n, p) = (
            edit_node.get_untracked(),
            edit_name.get_untracked(),
            edit_parent.get_untracked(),
        );
        let mut body = json!({});
        if !n.trim().is_empty() {
            body["name"] = json!(n);
        }
        if !p.is_empty() {
            body["parent_id"] = json!(p);
        }
        out.run(
            "Node saved.".into(),
            async move {
                rest::send_json::<NodeDto>("PATCH", &format!("/api/v1/nodes/{id}"), &body).await
            },
            move |_| edit_name.set(String::new()),
        );
    };
    // New asset.
    let (a_name, a_addr, a_plat, a_node) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("linux".to_string()),
        RwSignal::new(String::new()),
    );
    let add_asset = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = a_name.get_untracked();
        let nodes: Vec<String> = Some(a_node.get_untracked())
            .filter(|s| !s.is_empty())
            .into_iter()
            .collect();
        let body = json!({"org_id": org.get_untracked(), "name": n, "address": a_addr.get_untracked(),
            "platform": a_plat.get_untracked(), "nodes": nodes});
        out.run(
            format!("Asset {n} created."),
            async move { rest::send_json::<AssetDto>("POST", "/api/v1/assets", &body).await },
            move |_| {
                a_name.set(String::new());
                a_addr.set(String::new());
            },
        );
    };
    let open_asset = RwSignal::new(None::<AssetDto>);
    view! {
        {out.view()}
        <div class="filters admin-org">
            <label for="estate-org" class="label">"Org"</label>
            <select id="estate-org" bind:value=org>
                {move || orgs.get().and_then(|r| r.ok()).map(|p| p.items.into_iter().map(|o| view! {
                    <option value=o.id.to_string()>{o.name}</option>
                }).collect_view())}
            </select>
        </div>
        <div class="grid-2">
            <div>
                <div class="card">
                    <div class="card-head">
                        <h2>"Assets"</h2>
                        <div class="filters">
                            <input type="search" placeholder="Search by name or address" bind:value=q aria-label="Search assets" />
                            <select bind:value=node_filter aria-label="Under node">
                                <option value="">"Any node"</option>
                                {move || node_options().into_iter().map(|n| view! { <option value=n.id.to_string()>{n.path}</option> }).collect_view()}
                            </select>
                            <select bind:value=platform_filter aria-label="Platform">
                                <option value="">"Any platform"</option>
                                {PLATFORMS.iter().map(|p| view! { <option value=*p>{*p}</option> }).collect_view()}
                            </select>
                        </div>
                    </div>
                    {move || match assets.get() {
                        None => loading().into_any(),
                        Some(Err(e)) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                        Some(Ok(p)) if p.items.is_empty() => view! { <Empty title="No assets" hint="Add one, or import a file." /> }.into_any(),
                        Some(Ok(p)) => {
                            let tree = node_options();
                            view! {
                                <table class="table" data-testid="assets">
                                    <thead><tr><th>"Name"</th><th>"Address"</th><th>"Platform"</th><th>"Nodes"</th><th></th></tr></thead>
                                    <tbody>{p.items.into_iter().map(|a| {
                                        let id = a.id;
                                        let n = a.name.clone();
                                        let paths = a.nodes.iter().filter_map(|nid| tree.iter().find(|t| t.id == *nid).map(|t| t.path.clone())).collect::<Vec<_>>().join(", ");
                                        let a2 = a.clone();
                                        view! {
                                            <tr data-asset=a.name.clone()>
                                                <td class="row-title">{a.name.clone()}</td>
                                                <td class="mono small">{a.address.clone()}</td>
                                                <td class="small">{a.platform.clone()}</td>
                                                <td class="small">{paths}</td>
                                                <td class="actions">
                                                    <button class="btn btn-sm" on:click=move |_| open_asset.set(Some(a2.clone()))>"Accounts"</button>
                                                    <button class="btn btn-danger btn-sm" on:click=move |_| {
                                                        let n = n.clone();
                                                        out.run(format!("Asset {n} deleted."), async move {
                                                            rest::call::<Value>("DELETE", &format!("/api/v1/assets/{id}"), None).await
                                                        }, move |_| open_asset.set(None));
                                                    }>"Delete"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}</tbody>
                                </table>
                            }.into_any()
                        }
                    }}
                </div>
                {move || open_asset.get().map(|a| view! { <Accounts asset=a out=out /> })}
            </div>
            <div>
                <div class="card">
                    <div class="card-head"><h3>"Node tree"</h3></div>
                    <div class="card-body">
                        <ul class="admin-tree" data-testid="node-tree">
                            {move || node_options().into_iter().map(|n| {
                                let depth = n.path.matches('/').count().saturating_sub(1);
                                let id = n.id;
                                let root = n.parent_id.is_none();
                                let name = n.name.clone();
                                view! {
                                    <li style=format!("padding-left: {}rem", depth as f32 * 1.1) data-node=n.path.clone()>
                                        <span class="tree-name">{n.name.clone()}</span>
                                        <span class="muted small">{format!(" {} assets", n.asset_count)}</span>
                                        {(!root).then(|| view! {
                                            <button class="btn-link small" on:click=move |_| {
                                                edit_node.set(id.to_string());
                                                edit_name.set(name.clone());
                                            }>" edit"</button>
                                            <button class="btn-link small danger" on:click=move |_| {
                                                out.run("Node deleted.".into(), async move {
                                                    rest::call::<Value>("DELETE", &format!("/api/v1/nodes/{id}"), None).await
                                                }, |_| {});
                                            }>" delete"</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </div>
                    <form class="card-body" on:submit=add_node>
                        <div class="row">
                            <div class="field"><label for="node-name">"New node"</label><input id="node-name" type="text" bind:value=node_name required /></div>
                            <div class="field"><label for="node-parent">"Under"</label>
                                <select id="node-parent" bind:value=node_parent>
                                    <option value="">"The root"</option>
                                    {move || node_options().into_iter().map(|n| view! { <option value=n.id.to_string()>{n.path}</option> }).collect_view()}
                                </select></div>
                        </div>
                        <button class="btn btn-primary btn-sm" type="submit">"Add node"</button>
                    </form>
                    {move || (!edit_node.get().is_empty()).then(|| view! {
                        <form class="card-body" on:submit=save_node data-testid="edit-node">
                            <div class="row">
                                <div class="field"><label for="edit-node-name">"Rename"</label><input id="edit-node-name" type="text" bind:value=edit_name /></div>
                                <div class="field"><label for="edit-node-parent">"Move under"</label>
                                    <select id="edit-node-parent" bind:value=edit_parent>
                                        <option value="">"(stay)"</option>
                                        {move || node_options().into_iter().map(|n| view! { <option value=n.id.to_string()>{n.path}</option> }).collect_view()}
                                    </select></div>
                            </div>
                            <button class="btn btn-primary btn-sm" type="submit">"Save node"</button>
                            " "
                            <button class="btn btn-sm" type="button" on:click=move |_| edit_node.set(String::new())>"Cancel"</button>
                        </form>
                    })}
                </div>
                <form class="card" on:submit=add_asset>
                    <div class="card-head"><h3>"New asset"</h3></div>
                    <div class="card-body">
                        <div class="field"><label for="asset-name">"Name"</label><input id="asset-name" type="text" bind:value=a_name required /></div>
                        <div class="field"><label for="asset-address">"Address"</label><input id="asset-address" type="text" bind:value=a_addr required placeholder="10.0.0.5 or db.example.com" /></div>
                        <div class="row">
                            <div class="field"><label for="asset-platform">"Platform"</label>
                                <select id="asset-platform" bind:value=a_plat>
                                    {PLATFORMS.iter().map(|p| view! { <option value=*p>{*p}</option> }).collect_view()}
                                </select></div>
                            <div class="field"><label for="asset-node">"Under node"</label>
                                <select id="asset-node" bind:value=a_node>
                                    <option value="">"The root"</option>
                                    {move || node_options().into_iter().map(|n| view! { <option value=n.id.to_string()>{n.path}</option> }).collect_view()}
                                </select></div>
                        </div>
                        <button class="btn btn-primary" type="submit">"Create asset"</button>
                    </div>
                </form>
            </div>
        </div>
    }
}

#[component]
fn Accounts(asset: AssetDto, out: Outcome) -> impl IntoView {
    let id = asset.id;
    let accounts = LocalResource::new(move || {
        out.version.get();
        async move { rest::get::<Page<AccountDto>>(&format!("/api/v1/accounts?assets={id}")).await }
    });
    let (name, username) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let add =
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let n = name.get_untracked();
            let body = json!({"asset_id": id, "name": n, "username": username.get_untracked()});
            out.run(format!("Account {n} added."), async move {
            rest::send_json::<AccountDto>("POST", "/api/v1/accounts", &body).await
        }, move |_| {
            name.set(String::new());
            username.set(String::new());
        });
        };
    view! {
        <div class="card" data-testid="accounts">
            <div class="card-head"><h3>{format!("Accounts of {}", asset.name)}</h3></div>
            {move || match accounts.get() {
                None => loading().into_any(),
                Some(Err(e)) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                Some(Ok(p)) => view! {
                    <table class="table">
                        <thead><tr><th>"Name"</th><th>"Logs in as"</th><th></th></tr></thead>
                        <tbody>{p.items.into_iter().map(|a| {
                            let aid = a.id;
                            view! {
                                <tr data-account=a.name.clone()>
                                    <td>{a.name.clone()}</td>
                                    <td class="mono small">{a.username.clone()}</td>
                                    <td><button class="btn btn-danger btn-sm" on:click=move |_| {
                                        out.run("Account deleted.".into(), async move {
                                            rest::call::<Value>("DELETE", &format!("/api/v1/accounts/{aid}"), None).await
                                        }, |_| {});
                                    }>"Delete"</button></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            }}
            <form class="card-body row" on:submit=add>
                <div class="field"><label for="acc-name">"Account name"</label><input id="acc-name" type="text" bind:value=name required /></div>
                <div class="field"><label for="acc-user">"Username"</label><input id="acc-user" type="text" bind:value=username placeholder="same as the name" /></div>
                <div class="field"><label>" "</label><button class="btn btn-primary" type="submit">"Add account"</button></div>
            </form>
        </div>
    }
}

// ---------- Import ----------

#[component]
fn ImportTab() -> impl IntoView {
    let out = Outcome::new();
    let orgs = orgs_resource(RwSignal::new(0));
    let org = RwSignal::new(String::new());
    Effect::new(move |_| {
        if org.get().is_empty() {
            if let Some(Ok(p)) = orgs.get() {
                if let Some(o) = p.items.first() {
                    org.set(o.id.to_string());
                }
            }
        }
    });
    let text = RwSignal::new(
        "path,asset,address,platform,account,username\n/Default/prod/web,web-10,10.0.1.10,linux,root,root\n".to_string(),
    );
    let report = RwSignal::new(None::<ImportReport>);
    let submit = move |dry: bool| {
        let body = text.get_untracked();
        let o = org.get_untracked();
        let ct = if body.trim_start().starts_with(['{', '[']) {
            "application/json"
        } else {
            "text/csv"
        };
        report.set(None);
        out.run(
            if dry {
                "Checked: nothing was written.".into()
            } else {
                "Imported.".into()
            },
            async move {
                rest::call::<ImportReport>(
                    "POST",
                    &format!("/api/v1/import?org={o}&dry_run={dry}"),
                    Some((body, ct)),
                )
                .await
            },
            move |r| report.set(Some(r)),
        );
    };
    let refused = move || {
        out.err
            .get()
            .and_then(|e| e.details)
            .and_then(|d| serde_json::from_value::<ImportReport>(d).ok())
    };
    view! {
        {out.view()}
        <div class="grid-2">
            <div class="card">
                <div class="card-head"><h2>"Import nodes, assets and accounts"</h2></div>
                <div class="card-body">
                    <div class="field">
                        <label for="import-org">"Into org"</label>
                        <select id="import-org" bind:value=org>
                            {move || orgs.get().and_then(|r| r.ok()).map(|p| p.items.into_iter().map(|o| view! {
                                <option value=o.id.to_string()>{o.name}</option>
                            }).collect_view())}
                        </select>
                    </div>
                    <div class="field">
                        <label for="import-text">"CSV (with a header row) or JSON rows"</label>
                        <textarea id="import-text" class="mono import-text" bind:value=text rows="10"></textarea>
                        <span class="hint">"Columns: path, asset, address, platform, account, username. All or nothing: one refused row and nothing is imported."</span>
                    </div>
                    <button class="btn" type="button" on:click=move |_| submit(true)>"Check only"</button>
                    " "
                    <button class="btn btn-primary" type="button" on:click=move |_| submit(false)>"Import"</button>
                </div>
            </div>
            <div class="card" data-testid="import-report">
                <div class="card-head"><h3>"Report"</h3></div>
                <div class="card-body">
                    {move || report.get().map(|r| view! {
                        <dl class="facts">
                            <dt>"Rows"</dt><dd>{r.rows}</dd>
                            <dt>"Nodes created"</dt><dd>{counted(r.created_nodes, &r.sample.nodes)}</dd>
                            <dt>"Assets created"</dt><dd>{counted(r.created_assets, &r.sample.assets)}</dd>
                            <dt>"Accounts created"</dt><dd>{counted(r.created_accounts, &r.sample.accounts)}</dd>
                            <dt>"Already there"</dt><dd>{counted(r.existing, &r.sample.existing)}</dd>
                        </dl>
                    })}
                    {move || refused().filter(|r| r.refused_rows > r.refused.len()).map(|r| view! {
                        <p class="muted">{format!("The first {} of {} refused rows:", r.refused.len(), r.refused_rows)}</p>
                    })}
                    {move || refused().map(|r| view! {
                        <table class="table" data-testid="refused">
                            <thead><tr><th>"Row"</th><th>"Field"</th><th>"Why refused"</th></tr></thead>
                            <tbody>{r.refused.into_iter().map(|x| view! {
                                <tr><td class="num">{x.row}</td><td class="mono small">{x.field}</td><td>{x.reason}</td></tr>
                            }).collect_view()}</tbody>
                        </table>
                    })}
                    {move || (report.get().is_none() && refused().is_none()).then(|| view! { <p class="muted">"Check or import a file to see what it does."</p> })}
                </div>
            </div>
        </div>
    }
}

/// A count of an import report and the first names it gives: "3: a, b, c", "120: a, b, … (70
/// more)", or "none".
fn counted(n: usize, names: &[String]) -> String {
    if n == 0 {
        return "none".into();
    }
    let more = n.saturating_sub(names.len());
    if more == 0 {
        format!("{n}: {}", names.join(", "))
    } else {
        format!("{n}: {}, … ({more} more)", names.join(", "))
    }
}

// ---------- Settings ----------

#[component]
fn SettingsTab() -> impl IntoView {
    let out = Outcome::new();
    let current =
        LocalResource::new(
            move || async move { rest::get::<SettingsDto>("/api/v1/settings").await },
        );
    let period = RwSignal::new(String::new());
    let ttl: [RwSignal<String>; 4] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let direct = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(s)) = current.get() {
            period.set(s.default_period_days.to_string());
            ttl[0].set(s.ttl_minutes.apply_asset.to_string());
            ttl[1].set(s.ttl_minutes.login_confirm.to_string());
            ttl[2].set(s.ttl_minutes.login_asset_confirm.to_string());
            ttl[3].set(s.ttl_minutes.command_confirm.to_string());
            direct.set(s.direct_email_approval);
        }
    });
    let save =
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let num = |s: RwSignal<String>| s.get_untracked().trim().parse::<i64>().unwrap_or(0);
            let body = json!({
                "default_period_days": num(period),
                "ttl_minutes": {"apply_asset": num(ttl[0]), "login_confirm": num(ttl[1]),
                                "login_asset_confirm": num(ttl[2]), "command_confirm": num(ttl[3])},
                "direct_email_approval": direct.get_untracked(),
            });
            out.run("Settings saved.".into(), async move {
            rest::send_json::<SettingsDto>("PATCH", "/api/v1/settings", &body).await
        }, |_| {});
        };
    let labels = [
        ("ttl-apply", "Asset requests"),
        ("ttl-login", "Sign-in reviews"),
        ("ttl-login-asset", "Connection reviews"),
        ("ttl-command", "Command reviews"),
    ];
    view! {
        {out.view()}
        <form class="card form-card" on:submit=save data-testid="settings">
            <div class="card-head"><h2>"Settings"</h2><span class="muted small">"Super admins change these."</span></div>
            <div class="card-body">
                <div class="field">
                    <label for="period">"Default request period (days)"</label>
                    <input id="period" type="number" min="1" max="3650" bind:value=period />
                    <span class="hint">"A new request runs from now to now + this, unless the applicant picks dates."</span>
                </div>
                <h3>"Time to live of a pending ticket (minutes)"</h3>
                <div class="row">
                    {labels.into_iter().enumerate().map(|(i, (id, l))| view! {
                        <div class="field"><label for=id>{l}</label><input id=id type="number" min="1" bind:value=ttl[i] /></div>
                    }).collect_view()}
                </div>
                <div class="checks">
                    <label><input type="checkbox" bind:checked=direct />"Approve and reject links in emails work without signing in"</label>
                </div>
            </div>
            <div class="card-foot"><button class="btn btn-primary" type="submit">"Save settings"</button></div>
        </form>
        <AuditExport />
    }
}

/// Download of tickets and their events as CSV for a date range (super admins, org admins
/// and auditors; the server narrows to what the caller oversees).
#[component]
fn AuditExport() -> impl IntoView {
    let today = chrono::Utc::now().date_naive();
    let from = RwSignal::new((today - chrono::Duration::days(30)).to_string());
    let to = RwSignal::new(today.to_string());
    view! {
        <div class="card form-card" data-testid="audit">
            <div class="card-head"><h2>"Audit export"</h2><span class="muted small">"Tickets opened in the range, one line per event."</span></div>
            <div class="card-body row">
                <div class="field"><label for="audit-from">"From"</label><input id="audit-from" type="date" bind:value=from /></div>
                <div class="field"><label for="audit-to">"To (included)"</label><input id="audit-to" type="date" bind:value=to /></div>
                <div class="field"><label>" "</label>
                    <a class="btn" download="tollgate-tickets.csv"
                        href=move || format!("/api/v1/audit/tickets.csv?from={}&to={}", from.get(), to.get())>"Download CSV"</a></div>
            </div>
        </div>
    }
}

// ---------- Tokens ----------

#[component]
fn TokensTab() -> impl IntoView {
    let out = Outcome::new();
    let tokens = LocalResource::new(move || {
        out.version.get();
        async move { rest::get::<Vec<Value>>("/api/v1/tokens").await }
    });
    let name = RwSignal::new(String::new());
    let fresh = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked();
        fresh.set(None);
        out.run(format!("Token {n} made."), async move {
            rest::send_json::<Value>("POST", "/api/v1/tokens", &json!({"name": n})).await
        }, move |v| {
            fresh.set(v["token"].as_str().map(str::to_string));
            name.set(String::new());
        });
    };
    view! {
        {out.view()}
        {move || fresh.get().map(|t| view! {
            <div class="card token-once" data-testid="new-token">
                <div class="card-body">
                    <strong>"Copy your new token now: it is shown only once."</strong>
                    <pre class="mono">{t}</pre>
                    <span class="hint">"Send it as Authorization: Bearer <token>."</span>
                </div>
            </div>
        })}
        <div class="grid-2">
            <div class="card">
                <div class="card-head"><h2>"Personal API tokens"</h2></div>
                {move || match tokens.get() {
                    None => loading().into_any(),
                    Some(Err(e)) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! { <Empty title="No tokens" hint="Scripts use a token instead of your password." /> }.into_any(),
                    Some(Ok(list)) => view! {
                        <table class="table" data-testid="tokens">
                            <thead><tr><th>"Name"</th><th>"Made"</th><th>"Last used"</th><th></th></tr></thead>
                            <tbody>{list.into_iter().map(|t| {
                                let id = t["id"].as_str().unwrap_or_default().to_string();
                                let when = |k: &str| t[k].as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).map(|d| fmt_time(d.with_timezone(&chrono::Utc))).unwrap_or_else(|| "never".into());
                                view! {
                                    <tr>
                                        <td class="row-title">{t["name"].as_str().unwrap_or_default().to_string()}</td>
                                        <td class="small">{when("created_at")}</td>
                                        <td class="small">{when("last_used_at")}</td>
                                        <td><button class="btn btn-danger btn-sm" on:click=move |_| {
                                            let id = id.clone();
                                            out.run("Token revoked.".into(), async move {
                                                rest::call::<Value>("DELETE", &format!("/api/v1/tokens/{id}"), None).await
                                            }, |_| {});
                                        }>"Revoke"</button></td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }}
            </div>
            <form class="card" on:submit=create>
                <div class="card-head"><h3>"New token"</h3></div>
                <div class="card-body">
                    <div class="field"><label for="token-name">"Name"</label><input id="token-name" type="text" bind:value=name required maxlength="64" placeholder="nightly report" /></div>
                    <button class="btn btn-primary" type="submit">"Make token"</button>
                </div>
            </form>
        </div>
    }
}
