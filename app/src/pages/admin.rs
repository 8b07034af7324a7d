//! Administration: orgs, people and memberships, the estate (node tree, assets, accounts),
//! bulk import, settings, personal API tokens, webhooks and sign-in (single sign-on). The tabs call the same REST endpoints as
//! scripts do ([`crate::client`]), after hydration; the server enforces who may do what.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use tollgate_core::{OrgRole, Platform, SystemRole};
use uuid::Uuid;

use crate::admin_dto::*;
use crate::client::{self, assets::AssetQuery};
use crate::components::*;
use crate::dto::{AssetDto, Page};
use crate::error::AppError;

const TABS: &[(&str, &str)] = &[
    ("orgs", "Orgs"),
    ("people", "People"),
    ("assets", "Assets"),
    ("import", "Import"),
    ("settings", "Settings"),
    ("tokens", "Tokens"),
    ("webhooks", "Webhooks"),
    ("sign-in", "Sign-in"),
];

mod sign_in;

const ORG_ROLES: &[(OrgRole, &str)] = &[
    (OrgRole::OrgUser, "Member"),
    (OrgRole::OrgAuditor, "Auditor"),
    (OrgRole::OrgAdmin, "Admin"),
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

fn role_label(r: OrgRole) -> &'static str {
    ORG_ROLES
        .iter()
        .find(|(k, _)| *k == r)
        .map(|(_, l)| *l)
        .unwrap_or("Member")
}

fn loading() -> impl IntoView {
    view! { <p class="loading">"Loading"</p> }
}

/// Platform options of a select: value and label are the platform's name.
fn platform_options() -> impl IntoView {
    Platform::ALL
        .map(|p| view! { <option value=p.as_str()>{p.as_str()}</option> })
        .into_iter()
        .collect_view()
}

/// The org chosen in a select of orgs (`None` while none is).
fn org_select(org: RwSignal<Option<Uuid>>, ev: &leptos::ev::Event) {
    org.set(event_target_value(ev).parse().ok());
}

/// The value of a select of orgs.
fn org_value(org: RwSignal<Option<Uuid>>) -> String {
    org.get().map(|o| o.to_string()).unwrap_or_default()
}

/// The error of a form that needs an org when none is chosen.
fn no_org() -> AppError {
    AppError::invalid("org_id", "Choose an org.")
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let tab = use_tab("orgs");
    // The tabs the viewer may use (the server stays the judge): everyone their orgs and their
    // API tokens; org admins their people, estate and imports too; super admins everything.
    let me = use_context::<crate::layout::ViewerResource>();
    let tabs = Signal::derive(move || {
        let v = me.and_then(|m| m.get()).and_then(|r| r.ok().flatten());
        let superadmin = v.as_ref().is_some_and(|v| v.is_super_admin());
        let org_admin = v
            .as_ref()
            .is_some_and(|v| v.orgs.iter().any(|m| m.role == OrgRole::OrgAdmin));
        TABS.iter()
            .copied()
            .filter(|(k, _)| match *k {
                "orgs" | "tokens" => true,
                "people" | "assets" | "import" => superadmin || org_admin,
                _ => superadmin,
            })
            .collect::<Vec<_>>()
    });
    view! {
        <Title text="Administration" />
        <div class="page-head">
            <div>
                <h1>"Administration"</h1>
                <p class="sub">"Orgs, people, the asset estate, imports, settings, your API tokens, webhooks and sign-in."</p>
            </div>
        </div>
        <Transition fallback=|| ()>
            <TabBar base="/admin" tabs=tabs active=tab />
        </Transition>
        {move || match tab.get().as_str() {
            "people" => view! { <PeopleTab /> }.into_any(),
            "assets" => view! { <AssetsTab /> }.into_any(),
            "import" => view! { <ImportTab /> }.into_any(),
            "settings" => view! { <SettingsTab /> }.into_any(),
            "tokens" => view! { <TokensTab /> }.into_any(),
            "webhooks" => view! { <WebhooksTab /> }.into_any(),
            "sign-in" => view! { <sign_in::SignInTab /> }.into_any(),
            _ => view! { <OrgsTab /> }.into_any(),
        }}
    }
}

fn orgs_resource(version: RwSignal<u32>) -> LocalResource<Result<Page<OrgDetail>, AppError>> {
    LocalResource::new(move || {
        version.get();
        client::orgs::admin_list()
    })
}

/// The id of the first org of the list, once it has arrived.
fn first_org(
    orgs: LocalResource<Result<Page<OrgDetail>, AppError>>,
) -> impl Fn() -> Option<Uuid> + 'static {
    move || {
        orgs.get()
            .and_then(|r| r.ok())
            .and_then(|p| p.items.first().map(|o| o.id))
    }
}

/// No rows (nothing to list before an org is chosen).
fn empty_page<T>() -> Page<T> {
    Page {
        items: vec![],
        total: 0,
        total_capped: false,
        page: 1,
        per_page: 1,
    }
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
            async move { client::orgs::create(&NewOrg { name: n }).await },
            move |_| name.set(String::new()),
        );
    };
    let members_of = RwSignal::new(None::<Uuid>);
    // What the viewer may do to an org (the server stays the judge): super admins create,
    // rename and delete; an org's admins rename it; its admins and auditors see its members.
    // Copied from the layout's resource once hydrated: the page's first paint (server and
    // browser alike) offers nothing, then what the viewer may use.
    let me = use_context::<crate::layout::ViewerResource>();
    let viewer = RwSignal::new(None::<crate::model::Viewer>);
    Effect::new(move |_| viewer.set(me.and_then(|m| m.get()).and_then(|r| r.ok().flatten())));
    let is_super = move || viewer.with(|v| v.as_ref().is_some_and(|v| v.is_super_admin()));
    let role_in = move |org: Uuid| {
        viewer.with(|v| {
            v.as_ref()
                .and_then(|v| v.orgs.iter().find(|m| m.org_id == org).map(|m| m.role))
        })
    };
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
                                                client::orgs::update(id, &OrgPatch { name: Some(n) }).await
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
                                                {(is_super() || matches!(role_in(id), Some(OrgRole::OrgAdmin | OrgRole::OrgAuditor))).then(|| view! {
                                                    <button class="btn btn-sm" on:click=move |_| members_of.set(Some(id))>"Members"</button>
                                                })}
                                                {(is_super() || role_in(id) == Some(OrgRole::OrgAdmin)).then(|| view! {
                                                    <button class="btn btn-sm" on:click=rename>"Rename"</button>
                                                })}
                                                {is_super().then(|| view! {
                                                    <button class="btn btn-danger btn-sm" on:click=move |_| {
                                                        let n = oname2.clone();
                                                        out.run(format!("Org {n} deleted."), client::orgs::delete(id), |_| {});
                                                    }>"Delete"</button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }}
            </div>
            {move || is_super().then(|| view! {
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
            })}
        </div>
        {move || members_of.get().map(|org| view! { <Members org=org out=out /> })}
    }
}

#[component]
fn Members(org: Uuid, out: Outcome) -> impl IntoView {
    let members = LocalResource::new(move || {
        out.version.get();
        client::orgs::members(org)
    });
    let people = LocalResource::new(move || client::users::admin_list(None));
    let user = RwSignal::new(String::new());
    let role = RwSignal::new(OrgRole::OrgUser.as_str().to_string());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(user_id) = user.get_untracked().parse::<Uuid>() else {
            out.err
                .set(Some(AppError::invalid("user_id", "Choose a person.")));
            return;
        };
        let role = role.get_untracked().parse().unwrap_or(OrgRole::OrgUser);
        out.run(
            "Membership saved.".into(),
            async move { client::orgs::put_member(org, &PutMember { user_id, role }).await },
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
                                    <td>{role_label(m.role)}</td>
                                    <td><button class="btn btn-danger btn-sm" on:click=move |_| {
                                        out.run("Removed from the org.".into(), client::orgs::remove_member(org, uid), |_| {});
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
                        {ORG_ROLES.iter().map(|(k, l)| view! { <option value=k.as_str()>{*l}</option> }).collect_view()}
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
        async move { client::users::admin_list(Some(&q)).await }
    });
    // Whose "Out of office" card is open under the list.
    let away_for = RwSignal::new(None::<(Uuid, String)>);
    let orgs = orgs_resource(out.version);
    let (username, display, email, password) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let system_role = RwSignal::new(SystemRole::User.as_str().to_string());
    let org = RwSignal::new(String::new());
    let org_role = RwSignal::new(OrgRole::OrgUser.as_str().to_string());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let u = username.get_untracked();
        let body = NewUser {
            username: u.clone(),
            display_name: display.get_untracked(),
            email: email.get_untracked(),
            password: password.get_untracked(),
            system_role: system_role.get_untracked().parse().ok(),
            // "None" chosen: no membership.
            orgs: org
                .get_untracked()
                .parse()
                .ok()
                .map(|org_id| NewMembership {
                    org_id,
                    role: org_role.get_untracked().parse().unwrap_or(OrgRole::OrgUser),
                })
                .into_iter()
                .collect(),
        };
        out.run(
            format!("User {u} created."),
            async move { client::users::create(&body).await },
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
                                let has_factor = u.second_factor;
                                let confirm_factor = RwSignal::new(false);
                                let factor_name = u.username.clone();
                                let reset = move |_| {
                                    #[cfg(feature = "hydrate")]
                                    {
                                        let Some(w) = web_sys::window() else { return };
                                        let Ok(Some(pw)) = w.prompt_with_message("New password (8 characters or more)") else { return };
                                        out.run("Password reset; their sessions ended.".into(), async move {
                                            client::users::update(id, &UserPatch { password: Some(pw), ..Default::default() }).await
                                        }, |_| {});
                                    }
                                };
                                view! {
                                    <tr data-user=u.username.clone()>
                                        <td><span class="row-title">{u.display_name.clone()}</span>
                                            <div class="muted small mono">{u.username.clone()}" "{u.email.clone()}</div></td>
                                        <td class="small">{if super_admin { "Super admin" } else { "User" }}</td>
                                        <td class="small">{u.orgs.iter().map(|m| format!("{} ({})", m.org_name, role_label(m.role))).collect::<Vec<_>>().join(", ")}</td>
                                        <td>{if active { view! { <span class="badge grant-active">"active"</span> }.into_any() } else { view! { <span class="badge grant-revoked">"inactive"</span> }.into_any() }}
                                            {has_factor.then(|| view! { " " <span class="badge step-up-badge" title="Signs in with an authenticator app">"second factor"</span> })}</td>
                                        <td class="actions">
                                            {
                                                let label = format!("{} ({})", u.display_name, u.username);
                                                view! { <button class="btn btn-sm" on:click=move |_| away_for.set(Some((id, label.clone())))>"Out of office"</button> }
                                            }
                                            <button class="btn btn-sm" on:click=reset>"Reset password"</button>
                                            {has_factor.then(|| view! {
                                                {move || if confirm_factor.get() {
                                                    let n = factor_name.clone();
                                                    view! { <button class="btn btn-sm btn-danger" on:click=move |_| {
                                                        let n = n.clone();
                                                        out.run(format!("{n}'s second factor reset; their sessions ended and they were told."), async move {
                                                            client::users::reset_second_factor(id).await
                                                        }, |_| {});
                                                    }>"Really reset"</button> }.into_any()
                                                } else {
                                                    view! { <button class="btn btn-sm" on:click=move |_| confirm_factor.set(true)>"Reset second factor"</button> }.into_any()
                                                }}
                                            })}
                                            <button class="btn btn-sm" on:click=move |_| {
                                                let r = if super_admin { SystemRole::User } else { SystemRole::SuperAdmin };
                                                out.run("System role changed.".into(), async move {
                                                    client::users::update(id, &UserPatch { system_role: Some(r), ..Default::default() }).await
                                                }, |_| {});
                                            }>{if super_admin { "Make user" } else { "Make super admin" }}</button>
                                            <button class=if active { "btn btn-danger btn-sm" } else { "btn btn-sm" } on:click=move |_| {
                                                let n = uname.clone();
                                                out.run(if active { format!("{n} deactivated; their sessions ended.") } else { format!("{n} activated.") }, async move {
                                                    client::users::update(id, &UserPatch { active: Some(!active), ..Default::default() }).await
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
            {move || away_for.get().map(|(id, name)| view! { <crate::pages::away::AwayCard person=id name=name /> })}
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
                            <option value=SystemRole::User.as_str()>"User"</option>
                            <option value=SystemRole::SuperAdmin.as_str()>"Super admin"</option>
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
                                {ORG_ROLES.iter().map(|(k, l)| view! { <option value=k.as_str()>{*l}</option> }).collect_view()}
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
    let org = RwSignal::new(None::<Uuid>);
    use_first_org(org, first_org(orgs));
    let nodes = LocalResource::new(move || {
        out.version.get();
        let o = org.get();
        async move {
            match o {
                Some(o) => client::nodes::list(o).await,
                None => Ok(empty_page()),
            }
        }
    });
    let (q, node_filter, platform_filter) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let assets = LocalResource::new(move || {
        out.version.get();
        let query = org.get().map(|org| AssetQuery {
            org,
            q: q.get(),
            node: node_filter.get().parse().ok(),
            platform: Platform::parse(&platform_filter.get()),
        });
        async move {
            match query {
                Some(query) => client::assets::list(&query).await,
                None => Ok(empty_page()),
            }
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
        let Some(org_id) = org.get_untracked() else {
            out.err.set(Some(no_org()));
            return;
        };
        let n = node_name.get_untracked();
        let body = NewNode {
            org_id,
            // "The root": left out.
            parent_id: node_parent.get_untracked().parse().ok(),
            name: n.clone(),
        };
        out.run(
            format!("Node {n} created."),
            async move { client::nodes::create(&body).await },
            move |_| node_name.set(String::new()),
        );
    };
    let (edit_node, edit_name, edit_parent) = (
        RwSignal::new(None::<Uuid>),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let save_node = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(id) = edit_node.get_untracked() else {
            return;
        };
        let n = edit_name.get_untracked();
        let body = NodePatch {
            // An empty name keeps it; "(stay)" keeps the parent.
            name: (!n.trim().is_empty()).then_some(n),
            parent_id: edit_parent.get_untracked().parse().ok(),
        };
        out.run(
            "Node saved.".into(),
            async move { client::nodes::update(id, &body).await },
            move |_| edit_name.set(String::new()),
        );
    };
    // New asset.
    let (a_name, a_addr, a_plat, a_node) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(Platform::Linux.as_str().to_string()),
        RwSignal::new(String::new()),
    );
    let add_asset = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(org_id) = org.get_untracked() else {
            out.err.set(Some(no_org()));
            return;
        };
        let n = a_name.get_untracked();
        let body = NewAsset {
            org_id,
            name: n.clone(),
            address: a_addr.get_untracked(),
            platform: a_plat.get_untracked(),
            // "The root": no node, the server places it at the root.
            nodes: a_node.get_untracked().parse().ok().into_iter().collect(),
        };
        out.run(
            format!("Asset {n} created."),
            async move { client::assets::create(&body).await },
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
            <select id="estate-org" prop:value=move || org_value(org) on:change=move |ev| org_select(org, &ev)>
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
                                {platform_options()}
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
                                                        out.run(format!("Asset {n} deleted."), client::assets::delete(id), move |_| open_asset.set(None));
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
                                        <span class="muted small">{format!(" {}", count_of(n.asset_count, "asset", "assets"))}</span>
                                        {(!root).then(|| view! {
                                            <button class="btn-link small" on:click=move |_| {
                                                edit_node.set(Some(id));
                                                edit_name.set(name.clone());
                                            }>" edit"</button>
                                            <button class="btn-link small danger" on:click=move |_| {
                                                out.run("Node deleted.".into(), client::nodes::delete(id), |_| {});
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
                    {move || edit_node.get().is_some().then(|| view! {
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
                            <button class="btn btn-sm" type="button" on:click=move |_| edit_node.set(None)>"Cancel"</button>
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
                                    {platform_options()}
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
        client::accounts::list(id)
    });
    let (name, username) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked();
        let body = NewAccount {
            asset_id: id,
            name: n.clone(),
            username: username.get_untracked(),
        };
        out.run(
            format!("Account {n} added."),
            async move { client::accounts::create(&body).await },
            move |_| {
                name.set(String::new());
                username.set(String::new());
            },
        );
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
                                        out.run("Account deleted.".into(), client::accounts::delete(aid), |_| {});
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
    let org = RwSignal::new(None::<Uuid>);
    use_first_org(org, first_org(orgs));
    let text = RwSignal::new(
        "path,asset,address,platform,account,username\n/Default/prod/web,web-10,10.0.1.10,linux,root,root\n".to_string(),
    );
    let report = RwSignal::new(None::<ImportReport>);
    let submit = move |dry: bool| {
        let Some(o) = org.get_untracked() else {
            out.err.set(Some(no_org()));
            return;
        };
        let file = text.get_untracked();
        report.set(None);
        out.run(
            if dry {
                "Checked: nothing was written.".into()
            } else {
                "Imported.".into()
            },
            client::import::run(o, dry, file),
            move |r| report.set(Some(r)),
        );
    };
    let refused = move || {
        out.err
            .with(|e| e.as_ref().and_then(client::import::refused))
    };
    view! {
        {out.view()}
        <div class="grid-2">
            <div class="card">
                <div class="card-head"><h2>"Import nodes, assets and accounts"</h2></div>
                <div class="card-body">
                    <div class="field">
                        <label for="import-org">"Into org"</label>
                        <select id="import-org" prop:value=move || org_value(org) on:change=move |ev| org_select(org, &ev)>
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
    let current = LocalResource::new(client::settings::get);
    let period = RwSignal::new(String::new());
    let ttl: [RwSignal<String>; 4] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let direct = RwSignal::new(false);
    let notice = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(s)) = current.get() {
            period.set(s.default_period_days.to_string());
            ttl[0].set(s.ttl_minutes.apply_asset.to_string());
            ttl[1].set(s.ttl_minutes.login_confirm.to_string());
            ttl[2].set(s.ttl_minutes.login_asset_confirm.to_string());
            ttl[3].set(s.ttl_minutes.command_confirm.to_string());
            direct.set(s.direct_email_approval);
            notice.set(s.grant_ending_notice_hours.to_string());
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let num = |s: RwSignal<String>| s.get_untracked().trim().parse::<i64>().unwrap_or(0);
        let body = SettingsPatch {
            default_period_days: Some(num(period)),
            ttl_minutes: Some(TtlMinutes {
                apply_asset: num(ttl[0]),
                login_confirm: num(ttl[1]),
                login_asset_confirm: num(ttl[2]),
                command_confirm: num(ttl[3]),
            }),
            direct_email_approval: Some(direct.get_untracked()),
            grant_ending_notice_hours: Some(num(notice)),
        };
        out.run(
            "Settings saved.".into(),
            async move { client::settings::update(&body).await },
            |_| {},
        );
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
                <div class="field">
                    <label for="grant-notice">"Tell a grant's holder before it ends (hours)"</label>
                    <input id="grant-notice" type="number" min="0" max="720" bind:value=notice />
                    <span class="hint">"With a link to request it again; 0: never."</span>
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

/// A secret just made, shown this once (an API token, a webhook's signing secret).
#[component]
fn SecretOnce(
    testid: &'static str,
    title: &'static str,
    secret: String,
    hint: &'static str,
) -> impl IntoView {
    view! {
        <div class="card token-once" data-testid=testid>
            <div class="card-body">
                <strong>{title}</strong>
                <pre class="mono">{secret}</pre>
                <span class="hint">{hint}</span>
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
        client::tokens::list()
    });
    let name = RwSignal::new(String::new());
    let for_approvals = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    let fresh = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked();
        let approvals = for_approvals.get_untracked();
        let second_factor_code = approvals.then(|| code.get_untracked());
        fresh.set(None);
        code.set(String::new());
        out.run(
            format!("Token {n} made."),
            async move {
                client::tokens::create(&NewToken {
                    name: n,
                    for_approvals: approvals,
                    second_factor_code,
                })
                .await
            },
            move |t| {
                fresh.set(Some(t.token));
                name.set(String::new());
                for_approvals.set(false);
            },
        );
    };
    view! {
        {out.view()}
        {move || fresh.get().map(|t| view! {
            <SecretOnce testid="new-token" title="Copy your new token now: it is shown only once."
                secret=t hint="Send it as Authorization: Bearer <token>." />
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
                                let id = t.id;
                                view! {
                                    <tr>
                                        <td class="row-title">{t.name}
                                            {t.for_approvals.then(|| view! { <span class="badge step-up-badge" title="Decisions made with it count as made with a second factor">"for approvals"</span> })}
                                        </td>
                                        <td class="small">{fmt_time(t.created_at)}</td>
                                        <td class="small">{t.last_used_at.map(fmt_time).unwrap_or_else(|| "never".into())}</td>
                                        <td><button class="btn btn-danger btn-sm" on:click=move |_| {
                                            out.run("Token revoked.".into(), client::tokens::revoke(id), |_| {});
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
                    <label class="check-line"><input type="checkbox" prop:checked=move || for_approvals.get()
                        on:change=move |ev| for_approvals.set(event_target_checked(&ev)) />
                        " For approvals at levels that ask for a second factor"</label>
                    <Show when=move || for_approvals.get()>
                        <div class="field"><label for="token-code">"Code from your authenticator app"</label>
                            <input id="token-code" inputmode="numeric" autocomplete="one-time-code" bind:value=code required /></div>
                    </Show>
                    <button class="btn btn-primary" type="submit">"Make token"</button>
                </div>
            </form>
        </div>
    }
}

// ---------- Webhooks ----------

/// What became of a delivery, as a badge: (class, text).
fn delivery_state(d: &DeliveryDto) -> (&'static str, String) {
    if let Some(at) = d.delivered_at {
        ("approved", format!("Delivered {}", fmt_time(at)))
    } else if d.failed_at.is_some() {
        ("rejected", "Given up".to_string())
    } else if d.attempts == 0 {
        ("pending", "Waiting".to_string())
    } else {
        (
            "pending",
            format!(
                "Retrying {}",
                d.next_attempt_at.map(fmt_time).unwrap_or_default()
            ),
        )
    }
}

#[component]
fn WebhooksTab() -> impl IntoView {
    let out = Outcome::new();
    let hooks = LocalResource::new(move || {
        out.version.get();
        client::webhooks::list()
    });
    let shown = RwSignal::new(None::<Uuid>);
    let (url, description) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let fresh = RwSignal::new(None::<CreatedWebhook>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = WebhookBody {
            url: Some(url.get_untracked()),
            description: Some(description.get_untracked()),
            ..Default::default()
        };
        fresh.set(None);
        out.run(
            "Webhook made.".into(),
            async move { client::webhooks::create(&body).await },
            move |w| {
                shown.set(Some(w.webhook.id));
                fresh.set(Some(w));
                url.set(String::new());
                description.set(String::new());
            },
        );
    };
    view! {
        {out.view()}
        {move || fresh.get().map(|w| view! {
            <SecretOnce testid="new-webhook" title="Copy the signing secret now: it is shown only once."
                secret=w.secret hint="Each POST carries X-Tollgate-Signature: sha256=<HMAC-SHA256 of the body under this secret>." />
        })}
        <div class="grid-2">
            <div class="card">
                <div class="card-head"><h2>"Webhooks"</h2><span class="muted small">"A signed JSON POST for every ticket event."</span></div>
                {move || match hooks.get() {
                    None => loading().into_any(),
                    Some(Err(e)) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! { <Empty title="No webhooks" hint="Chat and ticketing systems can hear of every request." /> }.into_any(),
                    Some(Ok(list)) => view! {
                        <table class="table" data-testid="webhooks">
                            <thead><tr><th>"Receiver"</th><th>"State"</th><th></th></tr></thead>
                            <tbody>{list.into_iter().map(|w| {
                                let id = w.id;
                                let active = w.active;
                                view! {
                                    <tr>
                                        <td class="row-title">
                                            <div class="mono small wrap-anywhere">{w.url}</div>
                                            <div class="muted small">{w.description}</div>
                                        </td>
                                        <td>{if active {
                                            view! { <span class="badge approved">"On"</span> }.into_any()
                                        } else {
                                            view! { <span class="badge closed">"Off"</span> }.into_any()
                                        }}</td>
                                        <td class="actions">
                                            <button class="btn btn-sm" on:click=move |_| shown.set(Some(id))>"Deliveries"</button>
                                            <button class="btn btn-sm" on:click=move |_| {
                                                let body = WebhookBody { active: Some(!active), ..Default::default() };
                                                out.run(
                                                    if active { "Webhook switched off.".into() } else { "Webhook switched on.".into() },
                                                    async move { client::webhooks::update(id, &body).await },
                                                    |_| {},
                                                );
                                            }>{if active { "Switch off" } else { "Switch on" }}</button>
                                            <button class="btn btn-danger btn-sm" on:click=move |_| {
                                                if shown.get_untracked() == Some(id) {
                                                    shown.set(None);
                                                }
                                                out.run("Webhook removed.".into(), client::webhooks::delete(id), |_| {});
                                            }>"Remove"</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                }}
            </div>
            <form class="card" on:submit=create>
                <div class="card-head"><h3>"New webhook"</h3></div>
                <div class="card-body">
                    <div class="field"><label for="hook-url">"URL"</label><input id="hook-url" type="url" bind:value=url required maxlength="2000" placeholder="https://chat.example.com/hooks/tollgate" /></div>
                    <div class="field"><label for="hook-desc">"Description"</label><input id="hook-desc" type="text" bind:value=description maxlength="500" placeholder="#access-requests" /></div>
                    <span class="hint">"https:// receivers are verified against the public CAs and TOLLGATE_CA_FILE."</span>
                    <button class="btn btn-primary" type="submit">"Make webhook"</button>
                </div>
            </form>
        </div>
        {move || shown.get().map(|id| view! { <Deliveries id=id out=out /> })}
    }
}

/// The latest deliveries of one webhook, with "Send again" for those not delivered.
#[component]
fn Deliveries(id: Uuid, out: Outcome) -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        out.version.get();
        refresh.get();
        client::webhooks::deliveries(id)
    });
    view! {
        <div class="card deliveries" data-testid="deliveries">
            <div class="card-head">
                <h2>"Latest deliveries"</h2>
                <button class="btn btn-sm" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
            </div>
            {move || match list.get() {
                None => loading().into_any(),
                Some(Err(e)) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! { <Empty title="Nothing sent yet" hint="A delivery appears with the next ticket event." /> }.into_any(),
                Some(Ok(items)) => view! {
                    <div class="table-scroll"><table class="table">
                        <thead><tr><th>"Event"</th><th>"Outcome"</th><th>"Attempts"</th><th>"Answer"</th><th></th></tr></thead>
                        <tbody>{items.into_iter().map(|d| {
                            let (class, text) = delivery_state(&d);
                            let delivery = d.id;
                            let open = d.delivered_at.is_none();
                            view! {
                                <tr data-testid="delivery">
                                    <td>
                                        <div class="row-title">{d.event}</div>
                                        <div class="muted small">{d.ticket_serial.unwrap_or_default()}" · "{fmt_time(d.created_at)}</div>
                                    </td>
                                    <td><span class=format!("badge {class}")>{text}</span></td>
                                    <td>{d.attempts}</td>
                                    {match (d.last_error, d.answer) {
                                        (Some(e), _) => view! { <td class="small wrap-anywhere error-text">{e}</td> }.into_any(),
                                        (None, a) => view! { <td class="small wrap-anywhere muted">{a.unwrap_or_default()}</td> }.into_any(),
                                    }}
                                    <td class="actions">{open.then(|| view! {
                                        <button class="btn btn-sm" on:click=move |_| {
                                            out.run("Sent again.".into(), client::webhooks::send_again(id, delivery), |_| {});
                                        }>"Send again"</button>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any(),
            }}
        </div>
    }
}
