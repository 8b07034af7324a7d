//! The Sign-in tab (super admins): who may use a password, the OpenID Connect provider, the
//! LDAP directory, and the group mappings both apply at every sign-in.

use leptos::prelude::*;
use tollgate_core::OrgRole;
use uuid::Uuid;

use super::{loading, org_select, org_value, orgs_resource, role_label, Outcome, ORG_ROLES};
use crate::admin_dto::*;
use crate::client;
use crate::components::*;

type Read<T> = fn(&SignInSettings) -> T;
type Write<T> = fn(&mut SignInSettings, T);

/// A text field bound to one setting.
fn text(
    form: RwSignal<SignInSettings>,
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
    get: Read<String>,
    set: Write<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type="text" placeholder=placeholder autocomplete="off"
                prop:value=move || form.with(get)
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev))) />
        </div>
    }
}

/// A check box bound to one setting.
fn check(
    form: RwSignal<SignInSettings>,
    id: &'static str,
    label: &'static str,
    get: Read<bool>,
    set: Write<bool>,
) -> impl IntoView {
    view! {
        <label class="check" for=id>
            <input id=id type="checkbox" prop:checked=move || form.with(get)
                on:change=move |ev| form.update(|f| set(f, event_target_checked(&ev))) />
            {label}
        </label>
    }
}

/// A secret: written when typed, else the one kept stays.
fn secret(
    form: RwSignal<SignInSettings>,
    id: &'static str,
    label: &'static str,
    is_set: Read<bool>,
    set: Write<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type="password" autocomplete="new-password"
                placeholder=move || if form.with(is_set) { "kept (type to replace)" } else { "not set" }
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    form.update(|f| set(f, (!v.is_empty()).then_some(v)));
                } />
        </div>
    }
}

#[component]
pub fn SignInTab() -> impl IntoView {
    let out = Outcome::new();
    let loaded = LocalResource::new(client::sign_in::settings);
    let form = RwSignal::new(SignInSettings::default());
    let ready = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(s)) = loaded.get() {
            form.set(s);
            ready.set(true);
        }
    });
    let callback = move || {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .map(|o| format!("{o}/auth/oidc/callback"))
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        String::new()
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = form.get_untracked();
        out.run(
            "Sign-in settings saved.".into(),
            async move { client::sign_in::update(&body).await },
            move |s| form.set(s),
        );
    };
    view! {
        {out.view()}
        {move || match loaded.get() {
            None => loading().into_any(),
            Some(Err(e)) => view! { <ErrorBox error=e /> }.into_any(),
            Some(Ok(_)) => view! {
                <form class="sign-in-settings" data-testid="sign-in-settings" on:submit=save>
                    <div class="grid-halves">
                        <div class="card">
                            <div class="card-head"><h2>"OpenID Connect"</h2><span class="muted small">"Keycloak, Okta, Entra ID, Google, Authentik…"</span></div>
                            <div class="card-body">
                                {check(form, "oidc-enabled", "Offer “Sign in with …” on the sign-in page", |f| f.oidc.enabled, |f, v| f.oidc.enabled = v)}
                                {text(form, "oidc-issuer", "Issuer URL", "https://id.example.com/realms/acme", |f| f.oidc.issuer.clone(), |f, v| f.oidc.issuer = v)}
                                {text(form, "oidc-client", "Client ID", "tollgate", |f| f.oidc.client_id.clone(), |f, v| f.oidc.client_id = v)}
                                {secret(form, "oidc-secret", "Client secret", |f| f.oidc.client_secret_set, |f, v| f.oidc.client_secret = v)}
                                {text(form, "oidc-scopes", "Scopes besides openid", "email profile groups", |f| f.oidc.scopes.join(" "), |f, v| f.oidc.scopes = v.split_whitespace().map(str::to_string).collect())}
                                {text(form, "oidc-label", "Button text", "Sign in with Acme ID", |f| f.oidc.button_label.clone(), |f, v| f.oidc.button_label = v)}
                                {text(form, "oidc-groups", "Groups claim", "groups", |f| f.oidc.groups_claim.clone(), |f, v| f.oidc.groups_claim = v)}
                                {check(form, "oidc-create", "Create people at their first sign-in", |f| f.oidc.create_users, |f, v| f.oidc.create_users = v)}
                                {check(form, "oidc-amr", "Trust the provider's second factor (its amr claim): no Tollgate code then", |f| f.oidc.trust_amr, |f, v| f.oidc.trust_amr = v)}
                                <p class="hint">"Register this redirect URI at the provider: "<code data-testid="redirect-uri">{callback}</code></p>
                            </div>
                        </div>
                        <div class="card">
                            <div class="card-head"><h2>"LDAP or Active Directory"</h2><span class="muted small">"Search, then bind as the person."</span></div>
                            <div class="card-body">
                                {check(form, "ldap-enabled", "Check passwords against the directory", |f| f.ldap.enabled, |f, v| f.ldap.enabled = v)}
                                {text(form, "ldap-url", "URL", "ldaps://dc1.example.com:636", |f| f.ldap.url.clone(), |f, v| f.ldap.url = v)}
                                {check(form, "ldap-starttls", "StartTLS (for an ldap:// URL)", |f| f.ldap.starttls, |f, v| f.ldap.starttls = v)}
                                {text(form, "ldap-bind-dn", "Service account DN", "cn=tollgate,ou=services,dc=example,dc=com", |f| f.ldap.bind_dn.clone(), |f, v| f.ldap.bind_dn = v)}
                                {secret(form, "ldap-bind-pw", "Service account password", |f| f.ldap.bind_password_set, |f, v| f.ldap.bind_password = v)}
                                {text(form, "ldap-user-base", "People under", "ou=people,dc=example,dc=com", |f| f.ldap.user_base.clone(), |f, v| f.ldap.user_base = v)}
                                {text(form, "ldap-user-filter", "People filter ({username})", "(&(objectClass=person)(sAMAccountName={username}))", |f| f.ldap.user_filter.clone(), |f, v| f.ldap.user_filter = v)}
                                {text(form, "ldap-group-base", "Groups under (empty: memberOf)", "ou=groups,dc=example,dc=com", |f| f.ldap.group_base.clone(), |f, v| f.ldap.group_base = v)}
                                {text(form, "ldap-group-filter", "Groups filter ({dn})", "(&(objectClass=groupOfNames)(member={dn}))", |f| f.ldap.group_filter.clone(), |f, v| f.ldap.group_filter = v)}
                                <div class="grid-thirds">
                                    {text(form, "ldap-uid", "Username attribute", "uid", |f| f.ldap.username_attribute.clone(), |f, v| f.ldap.username_attribute = v)}
                                    {text(form, "ldap-cn", "Name attribute", "cn", |f| f.ldap.name_attribute.clone(), |f, v| f.ldap.name_attribute = v)}
                                    {text(form, "ldap-mail", "Email attribute", "mail", |f| f.ldap.email_attribute.clone(), |f, v| f.ldap.email_attribute = v)}
                                </div>
                                {check(form, "ldap-create", "Create people at their first sign-in", |f| f.ldap.create_users, |f, v| f.ldap.create_users = v)}
                                <div class="field">
                                    <label for="ldap-sync">"Deactivate who left the directory, every (minutes; 0: never)"</label>
                                    <input id="ldap-sync" type="number" min="0" max="10080"
                                        prop:value=move || form.with(|f| f.ldap.sync_minutes.to_string())
                                        on:input=move |ev| form.update(|f| f.ldap.sync_minutes = event_target_value(&ev).parse().unwrap_or(0)) />
                                </div>
                            </div>
                        </div>
                    </div>
                    <div class="card">
                        <div class="card-body save-bar">
                            <div class="field">
                                <label for="password-sign-in">"Who may sign in with a Tollgate password"</label>
                                <select id="password-sign-in"
                                    prop:value=move || form.with(|f| if f.password_sign_in == PasswordSignIn::SuperAdminsOnly { "super_admins_only" } else { "everyone" })
                                    on:change=move |ev| form.update(|f| f.password_sign_in = if event_target_value(&ev) == "super_admins_only" { PasswordSignIn::SuperAdminsOnly } else { PasswordSignIn::Everyone })>
                                    <option value="everyone">"Everyone with a password"</option>
                                    <option value="super_admins_only">"Only super admins (break-glass)"</option>
                                </select>
                            </div>
                            <div class="field">
                                <label for="second-factor-policy">"Who must have a second factor"</label>
                                <select id="second-factor-policy"
                                    prop:value=move || form.with(|f| policy_value(f.second_factor))
                                    on:change=move |ev| form.update(|f| f.second_factor = policy_from(&event_target_value(&ev)))>
                                    <option value="optional">"Nobody: everyone chooses"</option>
                                    <option value="super_admins">"Super admins"</option>
                                    <option value="admins">"Super admins and org admins"</option>
                                    <option value="approvers">"Super admins and everyone who approves in a flow"</option>
                                    <option value="everyone">"Everyone"</option>
                                </select>
                            </div>
                            <div class="field">
                                <label for="step-up-minutes">"A code counts as fresh for approvals (minutes)"</label>
                                <input id="step-up-minutes" type="number" min="0" max="60"
                                    prop:value=move || form.with(|f| f.step_up_minutes.to_string())
                                    on:change=move |ev| form.update(|f| f.step_up_minutes = event_target_value(&ev).trim().parse().unwrap_or(f.step_up_minutes)) />
                            </div>
                            <button class="btn btn-primary" type="submit" disabled=move || !ready.get()>"Save sign-in settings"</button>
                        </div>
                    </div>
                </form>
            }.into_any(),
        }}
        <Mappings />
    }
}

fn policy_value(p: SecondFactorPolicy) -> &'static str {
    match p {
        SecondFactorPolicy::Optional => "optional",
        SecondFactorPolicy::SuperAdmins => "super_admins",
        SecondFactorPolicy::Admins => "admins",
        SecondFactorPolicy::Approvers => "approvers",
        SecondFactorPolicy::Everyone => "everyone",
    }
}

fn policy_from(v: &str) -> SecondFactorPolicy {
    match v {
        "super_admins" => SecondFactorPolicy::SuperAdmins,
        "admins" => SecondFactorPolicy::Admins,
        "approvers" => SecondFactorPolicy::Approvers,
        "everyone" => SecondFactorPolicy::Everyone,
        _ => SecondFactorPolicy::Optional,
    }
}

/// What a mapping gives, in words.
fn gives(m: &GroupMappingDto) -> String {
    let mut parts = Vec::new();
    if let (Some(org), Some(role)) = (&m.org_name, m.role) {
        parts.push(format!("{} of {org}", role_label(role)));
    }
    if m.super_admin {
        parts.push("super admin".into());
    }
    parts.join(" and ")
}

#[component]
fn Mappings() -> impl IntoView {
    let out = Outcome::new();
    let list = LocalResource::new(move || {
        out.version.get();
        client::sign_in::mappings()
    });
    let orgs = orgs_resource(out.version);
    let provider = RwSignal::new("oidc".to_string());
    let group = RwSignal::new(String::new());
    let org = RwSignal::new(None::<Uuid>);
    let role = RwSignal::new(OrgRole::OrgUser);
    let super_admin = RwSignal::new(false);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let o = org.get_untracked();
        let body = NewGroupMapping {
            provider: provider.get_untracked(),
            group: group.get_untracked(),
            org_id: o,
            role: o.map(|_| role.get_untracked()),
            super_admin: super_admin.get_untracked(),
        };
        out.run(
            format!("Group {} mapped.", body.group),
            async move { client::sign_in::add_mapping(&body).await },
            move |_| group.set(String::new()),
        );
    };
    view! {
        {out.view()}
        <div class="grid-2">
            <div class="card">
                <div class="card-head"><h2>"Groups to orgs"</h2><span class="muted small">"Applied at every sign-in: leaving a group ends what it gave."</span></div>
                {move || match list.get() {
                    None => loading().into_any(),
                    Some(Err(e)) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    Some(Ok(items)) if items.is_empty() => view! { <Empty title="No mappings" hint="People who sign in through a provider get no org until a group gives one." /> }.into_any(),
                    Some(Ok(items)) => view! {
                        <div class="table-scroll"><table class="table" data-testid="mappings">
                            <thead><tr><th>"Provider"</th><th>"Group"</th><th>"Gives"</th><th></th></tr></thead>
                            <tbody>{items.into_iter().map(|m| {
                                let id = m.id;
                                let what = gives(&m);
                                view! {
                                    <tr>
                                        <td>{if m.provider == "ldap" { "LDAP" } else { "OpenID Connect" }}</td>
                                        <td class="row-title mono wrap-anywhere">{m.group}</td>
                                        <td>{what}</td>
                                        <td class="actions"><button class="btn btn-danger btn-sm" on:click=move |_| {
                                            out.run("Mapping removed.".into(), client::sign_in::delete_mapping(id), |_| {});
                                        }>"Remove"</button></td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table></div>
                    }.into_any(),
                }}
            </div>
            <form class="card" on:submit=add data-testid="new-mapping">
                <div class="card-head"><h3>"Map a group"</h3></div>
                <div class="card-body">
                    <div class="field"><label for="map-provider">"Provider"</label>
                        <select id="map-provider" on:change=move |ev| provider.set(event_target_value(&ev))>
                            <option value="oidc">"OpenID Connect"</option>
                            <option value="ldap">"LDAP"</option>
                        </select></div>
                    <div class="field"><label for="map-group">"Group"</label>
                        <input id="map-group" type="text" required maxlength="256" bind:value=group placeholder="ops, or cn=ops,ou=groups,dc=example,dc=com" /></div>
                    <div class="field"><label for="map-org">"Org"</label>
                        <select id="map-org" prop:value=move || org_value(org) on:change=move |ev| org_select(org, &ev)>
                            <option value="">"(none)"</option>
                            {move || orgs.get().and_then(|r| r.ok()).map(|p| p.items.into_iter().map(|o| view! { <option value=o.id.to_string()>{o.name}</option> }).collect_view())}
                        </select></div>
                    <div class="field"><label for="map-role">"Role in the org"</label>
                        <select id="map-role" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            if let Some((r, _)) = ORG_ROLES.iter().find(|(r, _)| r.as_str() == v) { role.set(*r); }
                        }>
                            {ORG_ROLES.iter().map(|(r, l)| view! { <option value=r.as_str() selected=*r == OrgRole::OrgUser>{*l}</option> }).collect_view()}
                        </select></div>
                    <div><label class="check" for="map-super"><input id="map-super" type="checkbox" bind:checked=super_admin />"Also super admin"</label></div>
                    <button class="btn btn-primary" type="submit">"Add mapping"</button>
                </div>
            </form>
        </div>
    }
}
