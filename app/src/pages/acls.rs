//! Access rules (SPEC §6): login ACLs (who may sign in to Tollgate from where and when),
//! connection ACLs (login-asset: who may connect to which assets as which accounts), command
//! filters, and the gateways' service tokens. The tabs call the REST API after hydration; the
//! server decides who may edit what (super admins everything, org admins their org's rules).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::components::*;
use crate::dto::Person;
use crate::error::AppError;
use crate::pages::flows::PeoplePicker;
use crate::rest;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Login,
    LoginAsset,
    Command,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::LoginAsset => "login-asset",
            Kind::Command => "command-filter",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Kind::Login => "sign-in rule",
            Kind::LoginAsset => "connection rule",
            Kind::Command => "command rule",
        }
    }
    fn actions(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Command => &[
                ("reject", "Refuse"),
                ("review", "Hold for review"),
                ("warning", "Allow with a warning"),
                ("accept", "Allow"),
            ],
            _ => &[
                ("reject", "Refuse"),
                ("review", "Hold for review"),
                ("accept", "Allow"),
            ],
        }
    }
}

const TABS: &[(&str, &str)] = &[
    ("login", "Sign-in"),
    ("login-asset", "Connections"),
    ("command-filter", "Commands"),
    ("gateways", "Gateways"),
];

const DAYS: &[(&str, &str)] = &[
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
];

#[component]
pub fn AclsPage() -> impl IntoView {
    let query = use_query_map();
    let tab = move || {
        query
            .read()
            .get("tab")
            .unwrap_or_else(|| "login".to_string())
    };
    view! {
        <Title text="Access rules" />
        <div class="page-head">
            <div>
                <h1>"Access rules"</h1>
                <p class="sub">"Who may sign in, connect to assets and run commands — and what is held for a reviewer. The first matching rule (lowest priority number) decides; no match allows."</p>
            </div>
        </div>
        <div class="tabs" role="tablist">
            {TABS.iter().map(|(k, label)| {
                let k = *k;
                view! {
                    <a href=format!("/acls?tab={k}") class="tab" class:active=move || tab() == k role="tab">{*label}</a>
                }
            }).collect_view()}
        </div>
        {move || match tab().as_str() {
            "login-asset" => view! { <RulesTab kind=Kind::LoginAsset /> }.into_any(),
            "command-filter" => view! { <RulesTab kind=Kind::Command /> }.into_any(),
            "gateways" => view! { <GatewaysTab /> }.into_any(),
            _ => view! { <RulesTab kind=Kind::Login /> }.into_any(),
        }}
    }
}

/// A selector (`"all"`, `{"names": [...]}`, `{"ids": [...]}`) in words.
fn selector_text(v: &Value, everyone: &str) -> String {
    if v.is_null() || v == "all" {
        return everyone.to_string();
    }
    if let Some(names) = v["names"].as_array() {
        return names
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ");
    }
    if let Some(ids) = v["ids"].as_array() {
        return ids
            .iter()
            .filter_map(Value::as_str)
            .map(|s| format!("id:{s}"))
            .collect::<Vec<_>>()
            .join(", ");
    }
    v.to_string()
}

/// Text as a selector: empty, `*` or `all` → all; `id:…` entries → ids; else name patterns.
fn selector_json(text: &str, field: &str) -> Result<Value, AppError> {
    let items: Vec<&str> = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() || items == ["*"] || items == ["all"] {
        return Ok(json!("all"));
    }
    let ids: Vec<&str> = items.iter().filter_map(|s| s.strip_prefix("id:")).collect();
    if ids.is_empty() {
        Ok(json!({ "names": items }))
    } else if ids.len() == items.len() {
        Ok(json!({ "ids": ids }))
    } else {
        let mut e = AppError::bad_request("Write either names or id:… entries, not both.");
        e.field = Some(field.to_string());
        Err(e)
    }
}

fn action_badge(a: &str) -> impl IntoView {
    let (class, label) = match a {
        "reject" => ("badge rejected", "Refuse"),
        "review" => ("badge pending", "Review"),
        "warning" => ("badge expired", "Warn"),
        _ => ("badge approved", "Allow"),
    };
    view! { <span class=class>{label}</span> }
}

/// What a rule covers, in words, for the list.
fn scope_text(kind: Kind, r: &Value) -> String {
    let users = selector_text(&r["users"], "everyone");
    match kind {
        Kind::Login => {
            let ips = r["ips"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let when = if !has_windows(&r["time"]) {
                String::new()
            } else {
                let tz = r["time"]["timezone"].as_str().unwrap_or("UTC");
                let days: Vec<String> = DAYS
                    .iter()
                    .filter_map(|(k, label)| {
                        let ranges = r["time"]["days"][*k].as_array()?;
                        (!ranges.is_empty()).then(|| {
                            format!(
                                "{label} {}",
                                ranges
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join("+")
                            )
                        })
                    })
                    .collect();
                format!(" · {} ({tz})", days.join(", "))
            };
            format!("{users} · from {ips}{when}")
        }
        Kind::LoginAsset | Kind::Command => {
            let mut s = format!(
                "{users} → {} as {}",
                selector_text(&r["assets"], "every asset"),
                selector_text(&r["accounts"], "any account")
            );
            if kind == Kind::Command {
                let cmds: Vec<String> = r["command_groups"]
                    .as_array()
                    .map(|gs| {
                        gs.iter()
                            .flat_map(|g| {
                                let re = g["kind"] == "regex";
                                g["patterns"]
                                    .as_array()
                                    .cloned()
                                    .unwrap_or_default()
                                    .into_iter()
                                    .filter_map(move |p| {
                                        p.as_str().map(|p| {
                                            if re {
                                                format!("/{p}/")
                                            } else {
                                                p.to_string()
                                            }
                                        })
                                    })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                s.push_str(&format!(" · {}", cmds.join(", ")));
            }
            s
        }
    }
}

#[component]
fn RulesTab(kind: Kind) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let rules = LocalResource::new(move || {
        version.track();
        async move { rest::get::<Value>(&format!("/api/v1/acls/{}", kind.path())).await }
    });
    let orgs = LocalResource::new(move || async move {
        if kind == Kind::Login {
            Ok(vec![])
        } else {
            org_choices().await
        }
    });
    // None: no form open; Some(None): a new rule; Some(Some(rule)): editing that rule.
    let editing = RwSignal::new(None::<Option<Value>>);
    let done = RwSignal::new(None::<String>);
    let list_error = RwSignal::new(None::<AppError>);
    let delete = move |id: String, name: String| {
        list_error.set(None);
        spawn_local(async move {
            match rest::call::<Value>(
                "DELETE",
                &format!("/api/v1/acls/{}/{id}", kind.path()),
                None,
            )
            .await
            {
                Ok(v) => {
                    done.set(Some(match pending_serial(&v) {
                        Some(serial) => format!(
                            "Removing {name} waits for a super admin's approval (ticket {serial})."
                        ),
                        None => format!("Deleted {name}."),
                    }));
                    version.update(|n| *n += 1);
                }
                Err(e) => list_error.set(Some(e)),
            }
        });
    };
    let explain = match kind {
        Kind::Login => "Applied when someone signs in to Tollgate with the right password. A review rule holds the sign-in until a reviewer approves; the person waits on a page that goes on by itself.",
        Kind::LoginAsset => "Asked by gateways (bastions, SSH proxies) before a connection to an asset. A review rule opens a connection review for its reviewers.",
        Kind::Command => "Asked by gateways before a command runs. Patterns match whole command words (rm does not match rmdir) or, as /regex/, the whole line.",
    };
    view! {
        <div class="card">
            <div class="card-head">
                <p class="muted small" style="margin:0">{explain}</p>
                <button class="btn btn-primary btn-sm" data-testid="new-rule"
                    on:click=move |_| { done.set(None); editing.set(Some(None)); }>
                    {format!("New {}", kind.noun())}
                </button>
            </div>
            {move || done.get().map(|m| view! { <div class="card-body"><div class="form-ok" role="status">{m}</div></div> })}
            {move || list_error.get().map(|e| view! { <div class="card-body"><ErrorBox error=e /></div> })}
            {move || editing.get().map(|rule| view! {
                <RuleForm kind rule orgs=Signal::derive(move || orgs.get().and_then(|r| r.ok()).unwrap_or_default())
                    on_done=Callback::new(move |msg: Option<String>| {
                        editing.set(None);
                        if let Some(m) = msg {
                            done.set(Some(m));
                            version.update(|n| *n += 1);
                        }
                    }) />
            })}
            <Suspense fallback=|| view! { <p class="loading">"Loading"</p> }>
                {move || rules.get().map(|r| match r {
                    Err(e) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    Ok(v) => {
                        let items = v["items"].as_array().cloned().unwrap_or_default();
                        if items.is_empty() {
                            return view! { <Empty title="No rules yet" hint="Everything is allowed until a rule says otherwise." /> }.into_any();
                        }
                        view! {
                            <table class="table" data-testid="rules">
                                <thead><tr>
                                    <th>"Priority"</th><th>"Name"</th>
                                    {(kind != Kind::Login).then(|| view! { <th>"Org"</th> })}
                                    <th>"Applies to"</th><th>"Then"</th><th>"Reviewers"</th><th></th>
                                </tr></thead>
                                <tbody>
                                    {items.into_iter().map(|r| {
                                        let id = r["id"].as_str().unwrap_or_default().to_string();
                                        let name = r["name"].as_str().unwrap_or_default().to_string();
                                        let reviewers = r["reviewer_people"].as_array().map(|a| a.iter()
                                            .filter_map(|p| p["display_name"].as_str().or(p["username"].as_str()))
                                            .collect::<Vec<_>>().join(", ")).unwrap_or_default();
                                        let active = r["active"].as_bool().unwrap_or(true);
                                        let edit_rule = r.clone();
                                        let (del_id, del_name) = (id.clone(), name.clone());
                                        let confirm = RwSignal::new(false);
                                        view! {
                                            <tr class:inactive=!active data-testid="rule-row">
                                                <td class="mono">{r["priority"].as_i64().unwrap_or(50)}</td>
                                                <td><strong>{name.clone()}</strong>{(!active).then(|| view! { <span class="muted small">" (off)"</span> })}</td>
                                                {(kind != Kind::Login).then(|| view! { <td>{r["org_name"].as_str().unwrap_or("—").to_string()}</td> })}
                                                <td class="small">{scope_text(kind, &r)}</td>
                                                <td>{action_badge(r["action"].as_str().unwrap_or("accept"))}</td>
                                                <td class="small">{if reviewers.is_empty() { "—".to_string() } else { reviewers }}</td>
                                                <td class="row-actions">
                                                    <button class="btn btn-sm" on:click=move |_| { done.set(None); editing.set(Some(Some(edit_rule.clone()))); }>"Edit"</button>
                                                    {move || if confirm.get() {
                                                        let (i, n) = (del_id.clone(), del_name.clone());
                                                        view! { <button class="btn btn-sm btn-danger" on:click=move |_| delete(i.clone(), n.clone())>"Really delete"</button> }.into_any()
                                                    } else {
                                                        view! { <button class="btn btn-sm" on:click=move |_| confirm.set(true)>"Delete"</button> }.into_any()
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                })}
            </Suspense>
        </div>
    }
}

/// True when time windows restrict anything (no ranges on any day means always).
fn has_windows(time: &Value) -> bool {
    DAYS.iter()
        .any(|(k, _)| time["days"][*k].as_array().is_some_and(|a| !a.is_empty()))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[component]
fn RuleForm(
    kind: Kind,
    rule: Option<Value>,
    orgs: Signal<Vec<(String, String)>>,
    on_done: Callback<Option<String>>,
) -> impl IntoView {
    let r = rule.clone().unwrap_or(Value::Null);
    let id = r["id"].as_str().map(str::to_string);
    let name = RwSignal::new(r["name"].as_str().unwrap_or_default().to_string());
    let priority = RwSignal::new(r["priority"].as_i64().unwrap_or(50).to_string());
    let active = RwSignal::new(r["active"].as_bool().unwrap_or(true));
    let org = RwSignal::new(r["org_id"].as_str().unwrap_or_default().to_string());
    let users = RwSignal::new(if r.is_null() {
        String::new()
    } else {
        selector_text(&r["users"], "")
    });
    let ips = RwSignal::new(if r["ips"].is_null() {
        "*".to_string()
    } else {
        strings(&r["ips"]).join("\n")
    });
    let timed = RwSignal::new(has_windows(&r["time"]));
    let timezone = RwSignal::new(r["time"]["timezone"].as_str().unwrap_or("UTC").to_string());
    let days: Vec<(&'static str, &'static str, RwSignal<String>)> = DAYS
        .iter()
        .map(|(k, label)| {
            let initial = if !has_windows(&r["time"]) {
                if matches!(*k, "sat" | "sun") {
                    String::new()
                } else {
                    "09:00-18:00".to_string()
                }
            } else {
                strings(&r["time"]["days"][*k]).join(", ")
            };
            (*k, *label, RwSignal::new(initial))
        })
        .collect();
    let assets = RwSignal::new(if r.is_null() {
        String::new()
    } else {
        selector_text(&r["assets"], "")
    });
    let accounts = RwSignal::new(if r.is_null() {
        String::new()
    } else {
        selector_text(&r["accounts"], "")
    });
    let group = &r["command_groups"][0];
    let patterns = RwSignal::new(strings(&group["patterns"]).join("\n"));
    let regex = RwSignal::new(group["kind"] == "regex");
    let ignore_case = RwSignal::new(group["ignore_case"].as_bool().unwrap_or(false));
    let action = RwSignal::new(r["action"].as_str().unwrap_or("reject").to_string());
    let reviewers = RwSignal::new(
        r["reviewer_people"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| serde_json::from_value::<Person>(p.clone()).ok())
                    .collect::<Vec<Person>>()
            })
            .unwrap_or_default(),
    );
    let error = RwSignal::new(None::<AppError>);
    let saving = RwSignal::new(false);
    let field_error = move |f: &'static str| {
        move || {
            error
                .get()
                .filter(|e| {
                    e.field.as_deref().is_some_and(|x| {
                        x == f || x.starts_with(&format!("{f}[")) || x.starts_with(&format!("{f}."))
                    })
                })
                .map(|e| view! { <p class="field-error" role="alert">{e.message}</p> })
        }
    };
    let days_for_save = days.clone();
    let save = move |_| {
        error.set(None);
        let body = (|| -> Result<Value, AppError> {
            let prio: i64 = priority.get_untracked().trim().parse().map_err(|_| {
                let mut e = AppError::bad_request("Write a whole number from 1 to 100.");
                e.field = Some("priority".into());
                e
            })?;
            let mut b = json!({
                "name": name.get_untracked().trim(),
                "priority": prio,
                "active": active.get_untracked(),
                "users": selector_json(&users.get_untracked(), "users")?,
                "action": action.get_untracked(),
                "reviewers": reviewers.get_untracked().iter().map(|p| p.id).collect::<Vec<Uuid>>(),
            });
            match kind {
                Kind::Login => {
                    b["ips"] = json!(ips
                        .get_untracked()
                        .split([',', '\n'])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>());
                    if timed.get_untracked() {
                        let mut d = json!({});
                        for (k, _, s) in &days_for_save {
                            d[*k] = json!(s
                                .get_untracked()
                                .split(',')
                                .map(str::trim)
                                .filter(|s| !s.is_empty())
                                .collect::<Vec<_>>());
                        }
                        b["time"] = json!({"timezone": timezone.get_untracked().trim(), "days": d});
                    }
                }
                Kind::LoginAsset | Kind::Command => {
                    let o = org.get_untracked();
                    if !o.is_empty() {
                        b["org_id"] = json!(o);
                    }
                    b["assets"] = selector_json(&assets.get_untracked(), "assets")?;
                    b["accounts"] = selector_json(&accounts.get_untracked(), "accounts")?;
                    if kind == Kind::Command {
                        let lines: Vec<String> = patterns
                            .get_untracked()
                            .lines()
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect();
                        b["command_groups"] = json!([{
                            "patterns": lines,
                            "kind": if regex.get_untracked() { "regex" } else { "command" },
                            "ignore_case": ignore_case.get_untracked(),
                        }]);
                    }
                }
            }
            Ok(b)
        })();
        let body = match body {
            Ok(b) => b,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        let (method, url) = match &id {
            Some(id) => ("PUT", format!("/api/v1/acls/{}/{id}", kind.path())),
            None => ("POST", format!("/api/v1/acls/{}", kind.path())),
        };
        let saved_name = name.get_untracked();
        let verb = if id.is_some() { "Saved" } else { "Created" };
        saving.set(true);
        spawn_local(async move {
            let r = rest::call::<Value>(method, &url, Some((body.to_string(), "application/json")))
                .await;
            saving.set(false);
            match r {
                Ok(v) => on_done.run(Some(match pending_serial(&v) {
                    Some(serial) => format!(
                        "{} waits for a super admin's approval (ticket {serial}).",
                        saved_name.trim()
                    ),
                    None => format!("{verb} {}.", saved_name.trim()),
                })),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let title = if rule.is_some() {
        format!("Edit {}", kind.noun())
    } else {
        format!("New {}", kind.noun())
    };
    view! {
        <div class="card-body rule-form" data-testid="rule-form">
            <h3>{title}</h3>
            <div class="row">
                <div class="field">
                    <label for="rule-name">"Name"</label>
                    <input id="rule-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    {field_error("name")}
                </div>
                <div class="field" style="max-width:140px">
                    <label for="rule-priority">"Priority"</label>
                    <input id="rule-priority" type="number" min="1" max="100" prop:value=move || priority.get() on:input=move |ev| priority.set(event_target_value(&ev)) />
                    {field_error("priority")}
                </div>
                {(kind != Kind::Login).then(|| view! {
                    <div class="field">
                        <label for="rule-org">"Org"</label>
                        <select id="rule-org" prop:value=move || org.get() on:change=move |ev| org.set(event_target_value(&ev))>
                            <option value="">"Choose an org"</option>
                            {move || orgs.get().into_iter().map(|(id, n)| {
                                let sel = id.clone();
                                view! { <option value=id.clone() selected=move || org.get() == sel>{n}</option> }
                            }).collect_view()}
                        </select>
                        {field_error("org_id")}
                    </div>
                })}
            </div>
            <div class="field">
                <label for="rule-users">"People"</label>
                <input id="rule-users" placeholder="everyone — or usernames and patterns: dave, ops-*" prop:value=move || users.get() on:input=move |ev| users.set(event_target_value(&ev)) />
                {field_error("users")}
            </div>
            {(kind == Kind::Login).then(|| view! {
                <div class="field">
                    <label for="rule-ips">"From addresses"</label>
                    <textarea id="rule-ips" rows="2" placeholder="* — or 10.0.0.1, 10.0.0.0/8, 10.0.0.1-10.0.0.99" prop:value=move || ips.get() on:input=move |ev| ips.set(event_target_value(&ev))></textarea>
                    {field_error("ips")}
                </div>
                <label class="check"><input type="checkbox" prop:checked=move || timed.get() on:change=move |ev| timed.set(event_target_checked(&ev)) />" Only at certain times"</label>
                <Show when=move || timed.get()>
                    <div class="time-grid">
                        <div class="field">
                            <label for="rule-tz">"Time zone"</label>
                            <input id="rule-tz" placeholder="Europe/Paris" prop:value=move || timezone.get() on:input=move |ev| timezone.set(event_target_value(&ev)) />
                        </div>
                        {days.clone().into_iter().map(|(k, label, s)| view! {
                            <div class="field">
                                <label for=format!("rule-day-{k}")>{label}</label>
                                <input id=format!("rule-day-{k}") placeholder="closed" prop:value=move || s.get() on:input=move |ev| s.set(event_target_value(&ev)) />
                            </div>
                        }).collect_view()}
                    </div>
                    {field_error("time")}
                </Show>
            })}
            {(kind != Kind::Login).then(|| view! {
                <div class="row">
                    <div class="field">
                        <label for="rule-assets">"Assets"</label>
                        <input id="rule-assets" placeholder="every asset — or names and patterns: db-*" prop:value=move || assets.get() on:input=move |ev| assets.set(event_target_value(&ev)) />
                        {field_error("assets")}
                    </div>
                    <div class="field">
                        <label for="rule-accounts">"Accounts"</label>
                        <input id="rule-accounts" placeholder="any account — or root, admin*" prop:value=move || accounts.get() on:input=move |ev| accounts.set(event_target_value(&ev)) />
                        {field_error("accounts")}
                    </div>
                </div>
            })}
            {(kind == Kind::Command).then(|| view! {
                <div class="field">
                    <label for="rule-commands">"Commands (one per line)"</label>
                    <textarea id="rule-commands" rows="4" class="mono" placeholder="rm\nshutdown\nreboot" prop:value=move || patterns.get() on:input=move |ev| patterns.set(event_target_value(&ev))></textarea>
                    {field_error("command_groups")}
                </div>
                <div class="checks">
                    <label><input type="checkbox" prop:checked=move || regex.get() on:change=move |ev| regex.set(event_target_checked(&ev)) />" Lines are regular expressions"</label>
                    <label><input type="checkbox" prop:checked=move || ignore_case.get() on:change=move |ev| ignore_case.set(event_target_checked(&ev)) />" Ignore case"</label>
                </div>
            })}
            <div class="row">
                <div class="field">
                    <label for="rule-action">"Then"</label>
                    <select id="rule-action" on:change=move |ev| action.set(event_target_value(&ev))>
                        {kind.actions().iter().map(|(v, l)| {
                            let v = *v;
                            view! { <option value=v selected=move || action.get() == v>{*l}</option> }
                        }).collect_view()}
                    </select>
                    {field_error("action")}
                </div>
                <div class="field">
                    <label>"Active"</label>
                    <label class="check"><input type="checkbox" prop:checked=move || active.get() on:change=move |ev| active.set(event_target_checked(&ev)) />" This rule is on"</label>
                </div>
            </div>
            <Show when=move || action.get() == "review">
                <div class="field">
                    <label>"Reviewers"</label>
                    <PeoplePicker
                        chosen=Signal::derive(move || reviewers.get())
                        on_add=Callback::new(move |p: Person| reviewers.update(|l| if !l.iter().any(|x| x.id == p.id) { l.push(p) }))
                        on_remove=Callback::new(move |id: Uuid| reviewers.update(|l| l.retain(|x| x.id != id)))
                        label="Add a reviewer".to_string() />
                    <p class="muted small">"Nobody reviews their own request: a reviewer this rule names is not held by it."</p>
                    {field_error("reviewers")}
                </div>
            </Show>
            {move || error.get().filter(|e| !matches!(e.field.as_deref(), Some(f) if ["name", "priority", "org_id", "users", "ips", "time", "assets", "accounts", "command_groups", "action", "reviewers"].iter().any(|x| f == *x || f.starts_with(&format!("{x}[")) || f.starts_with(&format!("{x}.")))))
                .map(|e| view! { <ErrorBox error=e /> })}
            <div class="form-actions">
                <button class="btn btn-primary" data-testid="save-rule" disabled=move || saving.get() on:click=save>
                    {move || if saving.get() { "Saving…" } else { "Save rule" }}
                </button>
                <button class="btn" on:click=move |_| on_done.run(None)>"Cancel"</button>
            </div>
        </div>
    }
}

#[component]
fn GatewaysTab() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let tokens = LocalResource::new(move || {
        version.track();
        async move { rest::get::<Value>("/api/v1/service-tokens").await }
    });
    // The orgs a new token may serve: every org (only super admins make tokens).
    let orgs = LocalResource::new(org_choices);
    let name = RwSignal::new(String::new());
    // The ids of the orgs ticked for the new token.
    let chosen = RwSignal::new(Vec::<String>::new());
    let created = RwSignal::new(None::<(String, String)>);
    let error = RwSignal::new(None::<AppError>);
    let create = move |_| {
        error.set(None);
        let n = name.get_untracked();
        let org_ids = chosen.get_untracked();
        spawn_local(async move {
            match rest::call::<Value>(
                "POST",
                "/api/v1/service-tokens",
                Some((
                    json!({"name": n.trim(), "org_ids": org_ids}).to_string(),
                    "application/json",
                )),
            )
            .await
            {
                Ok(v) => {
                    created.set(Some((
                        v["name"].as_str().unwrap_or_default().to_string(),
                        v["token"].as_str().unwrap_or_default().to_string(),
                    )));
                    name.set(String::new());
                    chosen.set(Vec::new());
                    version.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let revoke = move |id: String| {
        error.set(None);
        spawn_local(async move {
            match rest::call::<Value>("DELETE", &format!("/api/v1/service-tokens/{id}"), None).await
            {
                Ok(_) => version.update(|n| *n += 1),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <div class="card">
            <div class="card-head"><h3>"Gateway tokens"</h3></div>
            <div class="card-body">
                <p class="muted small">"A bastion or SSH gateway (for example tollgate-gate) authenticates with a service token to ask about connections and commands. A token serves the orgs chosen here: the assets it asks about are looked up in those orgs only. Only super admins manage them."</p>
                <div class="inline-form">
                    <input aria-label="Gateway name" placeholder="bastion-eu-1" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    <button class="btn btn-primary" data-testid="create-gateway-token" on:click=create>"Create token"</button>
                </div>
                <fieldset class="checks" data-testid="gateway-token-orgs">
                    <legend class="small">"Orgs it serves"</legend>
                    {move || orgs.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().map(|(id, n)| {
                        let (on, flip) = (id.clone(), id.clone());
                        view! {
                            <label><input type="checkbox"
                                prop:checked=move || chosen.with(|c| c.contains(&on))
                                on:change=move |ev| {
                                    let ticked = event_target_checked(&ev);
                                    chosen.update(|c| {
                                        c.retain(|x| *x != flip);
                                        if ticked { c.push(flip.clone()) }
                                    })
                                } />" " {n}</label>
                        }
                    }).collect_view()}
                </fieldset>
                {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
                {move || created.get().map(|(n, t)| view! {
                    <div class="form-ok" role="status" data-testid="new-gateway-token">
                        <p>"Token for " <strong>{n}</strong> " — copy it now, it is not shown again:"</p>
                        <pre class="command">{t}</pre>
                    </div>
                })}
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading"</p> }>
                {move || tokens.get().map(|r| match r {
                    Err(e) => view! { <div class="card-body"><ErrorBox error=e /></div> }.into_any(),
                    Ok(v) => {
                        let items = v["items"].as_array().cloned().unwrap_or_default();
                        if items.is_empty() {
                            return view! { <Empty title="No gateway tokens" hint="Create one for each gateway." /> }.into_any();
                        }
                        view! {
                            <table class="table">
                                <thead><tr><th>"Gateway"</th><th>"Orgs"</th><th>"Created"</th><th>"Last used"</th><th>"State"</th><th></th></tr></thead>
                                <tbody>
                                    {items.into_iter().map(|t| {
                                        let id = t["id"].as_str().unwrap_or_default().to_string();
                                        let time = |k: &str| t[k].as_str().and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok()).map(fmt_time);
                                        let revoked = !t["revoked_at"].is_null();
                                        view! {
                                            <tr class:inactive=revoked>
                                                <td><strong>{t["name"].as_str().unwrap_or_default().to_string()}</strong></td>
                                                <td>{t["orgs"].as_array().map(|o| o.iter().filter_map(|o| o["name"].as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default()}</td>
                                                <td>{time("created_at").unwrap_or_default()}</td>
                                                <td>{time("last_used_at").unwrap_or_else(|| "never".into())}</td>
                                                <td>{if revoked { "revoked" } else { "active" }}</td>
                                                <td class="row-actions">{(!revoked).then(|| {
                                                    let id = id.clone();
                                                    view! { <button class="btn btn-sm btn-danger" on:click=move |_| revoke(id.clone())>"Revoke"</button> }
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The serial of the policy-change ticket an org admin's rule change became, if it did.
fn pending_serial(v: &Value) -> Option<String> {
    v.get("pending_change")?
        .get("serial")?
        .as_str()
        .map(str::to_string)
}

/// The orgs the viewer may pick from: (id, name).
async fn org_choices() -> Result<Vec<(String, String)>, AppError> {
    rest::get::<Value>("/api/v1/orgs").await.map(|v| {
        v["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|o| {
                Some((
                    o["id"].as_str()?.to_string(),
                    o["name"].as_str()?.to_string(),
                ))
            })
            .collect()
    })
}
