//! Access rules (SPEC §6): login ACLs (who may sign in to Tollgate from where and when),
//! connection ACLs (login-asset: who may connect to which assets as which accounts), command
//! filters, and the gateways' service tokens. The tabs call the REST API after hydration; the
//! server decides who may edit what (super admins everything, org admins their org's rules).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use tollgate_core::{AclAction, CommandGroupSpec, CommandKind};
use uuid::Uuid;

use crate::admin_dto::{
    AclDto, AclInput, AclKind, NewServiceToken, RuleSelector, TimeWindowsText, WeekText,
};
use crate::client::{self, Written};
use crate::components::*;
use crate::dto::{OrgDto, Person};
use crate::error::AppError;
use crate::pages::flows::PeoplePicker;

/// A rule of this kind, in words.
fn noun(kind: AclKind) -> &'static str {
    match kind {
        AclKind::Login => "sign-in rule",
        AclKind::LoginAsset => "connection rule",
        AclKind::CommandFilter => "command rule",
    }
}

/// What a rule of this kind may do: the action, its value in the form, its label.
fn actions(kind: AclKind) -> &'static [(AclAction, &'static str, &'static str)] {
    match kind {
        AclKind::CommandFilter => &[
            (AclAction::Reject, "reject", "Refuse"),
            (AclAction::Review, "review", "Hold for review"),
            (AclAction::Warning, "warning", "Allow with a warning"),
            (AclAction::Accept, "accept", "Allow"),
        ],
        _ => &[
            (AclAction::Reject, "reject", "Refuse"),
            (AclAction::Review, "review", "Hold for review"),
            (AclAction::Accept, "accept", "Allow"),
        ],
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
    let tab = use_tab("login");
    view! {
        <Title text="Access rules" />
        <div class="page-head">
            <div>
                <h1>"Access rules"</h1>
                <p class="sub">"Who may sign in, connect to assets and run commands — and what is held for a reviewer. The first matching rule (lowest priority number) decides; no match allows."</p>
            </div>
        </div>
        <TabBar base="/acls" tabs=TABS.to_vec() active=tab />
        {move || match tab.get().as_str() {
            "login-asset" => view! { <RulesTab kind=AclKind::LoginAsset /> }.into_any(),
            "command-filter" => view! { <RulesTab kind=AclKind::CommandFilter /> }.into_any(),
            "gateways" => view! { <GatewaysTab /> }.into_any(),
            _ => view! { <RulesTab kind=AclKind::Login /> }.into_any(),
        }}
    }
}

/// A selector in words (`everyone` for all, or when there is none).
fn selector_text(v: Option<&RuleSelector>, everyone: &str) -> String {
    match v {
        None | Some(RuleSelector::All) => everyone.to_string(),
        Some(RuleSelector::Names(names)) => names.join(", "),
        Some(RuleSelector::Ids(ids)) => ids
            .iter()
            .map(|s| format!("id:{s}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Text as a selector: empty, `*` or `all` → all; `id:…` entries → ids; else name patterns.
fn selector_input(text: &str, field: &str) -> Result<RuleSelector, AppError> {
    let items: Vec<&str> = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() || items == ["*"] || items == ["all"] {
        return Ok(RuleSelector::All);
    }
    let ids: Vec<String> = items
        .iter()
        .filter_map(|s| s.strip_prefix("id:"))
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        Ok(RuleSelector::Names(
            items.into_iter().map(str::to_string).collect(),
        ))
    } else if ids.len() == items.len() {
        Ok(RuleSelector::Ids(ids))
    } else {
        let mut e = AppError::bad_request("Write either names or id:… entries, not both.");
        e.field = Some(field.to_string());
        Err(e)
    }
}

fn action_badge(a: AclAction) -> impl IntoView {
    let (class, label) = match a {
        AclAction::Reject => ("badge rejected", "Refuse"),
        AclAction::Review => ("badge pending", "Review"),
        AclAction::Warning => ("badge expired", "Warn"),
        AclAction::Accept => ("badge approved", "Allow"),
    };
    view! { <span class=class>{label}</span> }
}

/// What a rule covers, in words, for the list.
fn scope_text(kind: AclKind, r: &AclDto) -> String {
    let users = selector_text(Some(&r.users), "everyone");
    match kind {
        AclKind::Login => {
            let ips = r.ips.as_deref().unwrap_or_default().join(", ");
            let when = match r.time.as_ref().filter(|t| t.restricts()) {
                None => String::new(),
                Some(t) => {
                    let days: Vec<String> = DAYS
                        .iter()
                        .filter_map(|(k, label)| {
                            let ranges = t.days.day(k)?;
                            (!ranges.is_empty()).then(|| format!("{label} {}", ranges.join("+")))
                        })
                        .collect();
                    format!(" · {} ({})", days.join(", "), t.timezone)
                }
            };
            format!("{users} · from {ips}{when}")
        }
        AclKind::LoginAsset | AclKind::CommandFilter => {
            let mut s = format!(
                "{users} → {} as {}",
                selector_text(r.assets.as_ref(), "every asset"),
                selector_text(r.accounts.as_ref(), "any account")
            );
            if kind == AclKind::CommandFilter {
                let cmds: Vec<String> = r
                    .command_groups
                    .iter()
                    .flatten()
                    .flat_map(|g| {
                        let re = g.kind == CommandKind::Regex;
                        g.patterns.iter().map(
                            move |p| {
                                if re {
                                    format!("/{p}/")
                                } else {
                                    p.clone()
                                }
                            },
                        )
                    })
                    .collect();
                s.push_str(&format!(" · {}", cmds.join(", ")));
            }
            s
        }
    }
}

#[component]
fn RulesTab(kind: AclKind) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let rules = LocalResource::new(move || {
        version.track();
        client::acls::list(kind)
    });
    let orgs = LocalResource::new(move || async move {
        if kind == AclKind::Login {
            Ok(vec![])
        } else {
            org_choices().await
        }
    });
    // None: no form open; Some(None): a new rule; Some(Some(rule)): editing that rule.
    let editing = RwSignal::new(None::<Option<AclDto>>);
    let done = RwSignal::new(None::<String>);
    let list_error = RwSignal::new(None::<AppError>);
    let delete = move |id: Uuid, name: String| {
        list_error.set(None);
        spawn_local(async move {
            match client::acls::delete(kind, id).await {
                Ok(pending) => {
                    done.set(Some(match pending {
                        Some(p) => format!(
                            "Removing {name} waits for a super admin's approval (ticket {}).",
                            p.serial
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
        AclKind::Login => "Applied when someone signs in to Tollgate with the right password. A review rule holds the sign-in until a reviewer approves; the person waits on a page that goes on by itself.",
        AclKind::LoginAsset => "Asked by gateways (bastions, SSH proxies) before a connection to an asset. A review rule opens a connection review for its reviewers.",
        AclKind::CommandFilter => "Asked by gateways before a command runs. Patterns match whole command words (rm does not match rmdir) or, as /regex/, the whole line.",
    };
    view! {
        <div class="card">
            <div class="card-head">
                <p class="muted small" style="margin:0">{explain}</p>
                <button class="btn btn-primary btn-sm" data-testid="new-rule"
                    on:click=move |_| { done.set(None); editing.set(Some(None)); }>
                    {format!("New {}", noun(kind))}
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
                    Ok(list) => {
                        let items = list.items;
                        if items.is_empty() {
                            return view! { <Empty title="No rules yet" hint="Everything is allowed until a rule says otherwise." /> }.into_any();
                        }
                        view! {
                            <table class="table" data-testid="rules">
                                <thead><tr>
                                    <th>"Priority"</th><th>"Name"</th>
                                    {(kind != AclKind::Login).then(|| view! { <th>"Org"</th> })}
                                    <th>"Applies to"</th><th>"Then"</th><th>"Reviewers"</th><th></th>
                                </tr></thead>
                                <tbody>
                                    {items.into_iter().map(|r| {
                                        let name = r.name.clone();
                                        let reviewers = r.reviewer_people.iter()
                                            .map(|p| p.display_name.as_str())
                                            .collect::<Vec<_>>().join(", ");
                                        let active = r.active;
                                        let edit_rule = r.clone();
                                        let (del_id, del_name) = (r.id, name.clone());
                                        let confirm = RwSignal::new(false);
                                        view! {
                                            <tr class:inactive=!active data-testid="rule-row">
                                                <td class="mono">{r.priority}</td>
                                                <td><strong>{name.clone()}</strong>{(!active).then(|| view! { <span class="muted small">" (off)"</span> })}</td>
                                                {(kind != AclKind::Login).then(|| view! { <td>{r.org_name.clone().unwrap_or_else(|| "—".to_string())}</td> })}
                                                <td class="small">{scope_text(kind, &r)}</td>
                                                <td>{action_badge(r.action)}</td>
                                                <td class="small">
                                                    {if reviewers.is_empty() { "—".to_string() } else { reviewers }}
                                                    {r.step_up.then(|| view! { " " <span class="badge step-up-badge" title="Approving or rejecting its reviews asks for a fresh second factor">"second factor"</span> })}
                                                </td>
                                                <td class="row-actions">
                                                    <button class="btn btn-sm" on:click=move |_| { done.set(None); editing.set(Some(Some(edit_rule.clone()))); }>"Edit"</button>
                                                    {move || if confirm.get() {
                                                        let n = del_name.clone();
                                                        view! { <button class="btn btn-sm btn-danger" on:click=move |_| delete(del_id, n.clone())>"Really delete"</button> }.into_any()
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

#[component]
fn RuleForm(
    kind: AclKind,
    rule: Option<AclDto>,
    orgs: Signal<Vec<OrgDto>>,
    on_done: Callback<Option<String>>,
) -> impl IntoView {
    let r = rule.as_ref();
    let id = r.map(|r| r.id);
    let name = RwSignal::new(r.map(|r| r.name.clone()).unwrap_or_default());
    let priority = RwSignal::new(r.map_or(50, |r| r.priority).to_string());
    let active = RwSignal::new(r.is_none_or(|r| r.active));
    let org = RwSignal::new(
        r.and_then(|r| r.org_id)
            .map(|o| o.to_string())
            .unwrap_or_default(),
    );
    let users = RwSignal::new(
        r.map(|r| selector_text(Some(&r.users), ""))
            .unwrap_or_default(),
    );
    let ips = RwSignal::new(match r.and_then(|r| r.ips.as_ref()) {
        None => "*".to_string(),
        Some(ips) => ips.join("\n"),
    });
    // The rule's time windows, when they restrict anything.
    let windows = r.and_then(|r| r.time.as_ref()).filter(|t| t.restricts());
    let timed = RwSignal::new(windows.is_some());
    let timezone = RwSignal::new(
        r.and_then(|r| r.time.as_ref())
            .map_or("UTC", |t| t.timezone.as_str())
            .to_string(),
    );
    let days: Vec<(&'static str, &'static str, RwSignal<String>)> = DAYS
        .iter()
        .map(|(k, label)| {
            let initial = match windows {
                None if matches!(*k, "sat" | "sun") => String::new(),
                None => "09:00-18:00".to_string(),
                Some(t) => t.days.day(k).map(|r| r.join(", ")).unwrap_or_default(),
            };
            (*k, *label, RwSignal::new(initial))
        })
        .collect();
    let assets = RwSignal::new(
        r.map(|r| selector_text(r.assets.as_ref(), ""))
            .unwrap_or_default(),
    );
    let accounts = RwSignal::new(
        r.map(|r| selector_text(r.accounts.as_ref(), ""))
            .unwrap_or_default(),
    );
    let group = r
        .and_then(|r| r.command_groups.as_ref())
        .and_then(|g| g.first());
    let patterns = RwSignal::new(group.map(|g| g.patterns.join("\n")).unwrap_or_default());
    let regex = RwSignal::new(group.is_some_and(|g| g.kind == CommandKind::Regex));
    let ignore_case = RwSignal::new(group.is_some_and(|g| g.ignore_case));
    let action = RwSignal::new(r.map_or(AclAction::Reject, |r| r.action));
    let reviewers = RwSignal::new(r.map(|r| r.reviewer_people.clone()).unwrap_or_default());
    let step_up = RwSignal::new(r.is_some_and(|r| r.step_up));
    let reuse = RwSignal::new(
        r.and_then(|r| r.reuse_minutes)
            .map(|m| m.to_string())
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
        let body = (|| -> Result<AclInput, AppError> {
            let prio: i64 = priority.get_untracked().trim().parse().map_err(|_| {
                let mut e = AppError::bad_request("Write a whole number from 1 to 100.");
                e.field = Some("priority".into());
                e
            })?;
            let mut b = AclInput {
                name: name.get_untracked().trim().to_string(),
                priority: prio,
                active: active.get_untracked(),
                users: selector_input(&users.get_untracked(), "users")?,
                action: action.get_untracked(),
                reviewers: reviewers.get_untracked().iter().map(|p| p.id).collect(),
                step_up: step_up.get_untracked(),
                reuse_minutes: match reuse.get_untracked().trim() {
                    "" => None,
                    m => Some(m.parse().map_err(|_| {
                        let mut e = AppError::bad_request("Write a number of minutes, 1 to 1440.");
                        e.field = Some("reuse_minutes".into());
                        e
                    })?),
                },
                ips: None,
                time: None,
                org_id: None,
                assets: None,
                accounts: None,
                command_groups: None,
            };
            match kind {
                AclKind::Login => {
                    b.ips = Some(
                        ips.get_untracked()
                            .split([',', '\n'])
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect(),
                    );
                    if timed.get_untracked() {
                        let mut week = WeekText::default();
                        for (k, _, s) in &days_for_save {
                            if let Some(day) = week.day_mut(k) {
                                *day = s
                                    .get_untracked()
                                    .split(',')
                                    .map(str::trim)
                                    .filter(|s| !s.is_empty())
                                    .map(str::to_string)
                                    .collect();
                            }
                        }
                        b.time = Some(TimeWindowsText {
                            timezone: timezone.get_untracked().trim().to_string(),
                            days: week,
                        });
                    }
                }
                AclKind::LoginAsset | AclKind::CommandFilter => {
                    // "Choose an org" left: none (the server asks for one).
                    b.org_id = org.get_untracked().parse().ok();
                    b.assets = Some(selector_input(&assets.get_untracked(), "assets")?);
                    b.accounts = Some(selector_input(&accounts.get_untracked(), "accounts")?);
                    if kind == AclKind::CommandFilter {
                        let lines: Vec<String> = patterns
                            .get_untracked()
                            .lines()
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect();
                        b.command_groups = Some(vec![CommandGroupSpec {
                            patterns: lines,
                            kind: if regex.get_untracked() {
                                CommandKind::Regex
                            } else {
                                CommandKind::Command
                            },
                            ignore_case: ignore_case.get_untracked(),
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
        let saved_name = name.get_untracked();
        let verb = if id.is_some() { "Saved" } else { "Created" };
        saving.set(true);
        spawn_local(async move {
            let r = match id {
                Some(id) => client::acls::replace(kind, id, &body).await,
                None => client::acls::create(kind, &body).await,
            };
            saving.set(false);
            match r {
                Ok(Written::Proposed(p)) => on_done.run(Some(format!(
                    "{} waits for a super admin's approval (ticket {}).",
                    saved_name.trim(),
                    p.serial
                ))),
                Ok(Written::Done(_)) => on_done.run(Some(format!("{verb} {}.", saved_name.trim()))),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let title = if rule.is_some() {
        format!("Edit {}", noun(kind))
    } else {
        format!("New {}", noun(kind))
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
                {(kind != AclKind::Login).then(|| view! {
                    <div class="field">
                        <label for="rule-org">"Org"</label>
                        <select id="rule-org" prop:value=move || org.get() on:change=move |ev| org.set(event_target_value(&ev))>
                            <option value="">"Choose an org"</option>
                            {move || orgs.get().into_iter().map(|o| {
                                let id = o.id.to_string();
                                let sel = id.clone();
                                view! { <option value=id selected=move || org.get() == sel>{o.name}</option> }
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
            {(kind == AclKind::Login).then(|| view! {
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
            {(kind != AclKind::Login).then(|| view! {
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
            {(kind == AclKind::CommandFilter).then(|| view! {
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
                    <select id="rule-action" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        if let Some((a, _, _)) = actions(kind).iter().find(|(_, value, _)| *value == v) {
                            action.set(*a);
                        }
                    }>
                        {actions(kind).iter().map(|(a, v, l)| {
                            let a = *a;
                            view! { <option value=*v selected=move || action.get() == a>{*l}</option> }
                        }).collect_view()}
                    </select>
                    {field_error("action")}
                </div>
                <div class="field">
                    <label>"Active"</label>
                    <label class="check"><input type="checkbox" prop:checked=move || active.get() on:change=move |ev| active.set(event_target_checked(&ev)) />" This rule is on"</label>
                </div>
            </div>
            <Show when=move || action.get() == AclAction::Review>
                <div class="field">
                    <label>"Reviewers"</label>
                    <PeoplePicker
                        chosen=Signal::derive(move || reviewers.get())
                        on_add=Callback::new(move |p: Person| reviewers.update(|l| if !l.iter().any(|x| x.id == p.id) { l.push(p) }))
                        on_remove=Callback::new(move |id: Uuid| reviewers.update(|l| l.retain(|x| x.id != id)))
                        label="Add a reviewer".to_string() />
                    <p class="muted small">"Nobody reviews their own request: a reviewer this rule names is not held by it."</p>
                    {field_error("reviewers")}
                    <label class="check"><input type="checkbox" data-testid="rule-step-up" prop:checked=move || step_up.get() on:change=move |ev| step_up.set(event_target_checked(&ev)) />" Approving or rejecting a review asks for a fresh second factor"</label>
                </div>
                {(kind != AclKind::Login).then(|| view! {
                    <div class="field">
                        <label for="rule-reuse">"An approval also answers the same request for (minutes)"</label>
                        <input id="rule-reuse" type="number" min="1" max="1440" inputmode="numeric" placeholder="ask every time" bind:value=reuse />
                        <p class="muted small">"Same person, asset and account (and, for commands, the same command line): the gateway is answered at once with the earlier review."</p>
                        {field_error("reuse_minutes")}
                    </div>
                })}
            </Show>
            {move || error.get().filter(|e| !matches!(e.field.as_deref(), Some(f) if ["name", "priority", "org_id", "users", "ips", "time", "assets", "accounts", "command_groups", "action", "reviewers", "reuse_minutes"].iter().any(|x| f == *x || f.starts_with(&format!("{x}[")) || f.starts_with(&format!("{x}.")))))
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
        client::service_tokens::list()
    });
    // The orgs a new token may serve: every org (only super admins make tokens).
    let orgs = LocalResource::new(org_choices);
    let name = RwSignal::new(String::new());
    // The ids of the orgs ticked for the new token.
    let chosen = RwSignal::new(Vec::<Uuid>::new());
    let created = RwSignal::new(None::<(String, String)>);
    let error = RwSignal::new(None::<AppError>);
    let create = move |_| {
        error.set(None);
        let body = NewServiceToken {
            name: name.get_untracked().trim().to_string(),
            org_ids: chosen.get_untracked(),
        };
        spawn_local(async move {
            match client::service_tokens::create(&body).await {
                Ok(t) => {
                    created.set(Some((t.name, t.token)));
                    name.set(String::new());
                    chosen.set(Vec::new());
                    version.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let revoke = move |id: Uuid| {
        error.set(None);
        spawn_local(async move {
            match client::service_tokens::revoke(id).await {
                Ok(()) => version.update(|n| *n += 1),
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
                    {move || orgs.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().map(|o| {
                        let (on, flip, n) = (o.id, o.id, o.name);
                        view! {
                            <label><input type="checkbox"
                                prop:checked=move || chosen.with(|c| c.contains(&on))
                                on:change=move |ev| {
                                    let ticked = event_target_checked(&ev);
                                    chosen.update(|c| {
                                        c.retain(|x| *x != flip);
                                        if ticked { c.push(flip) }
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
                    Ok(list) => {
                        let items = list.items;
                        if items.is_empty() {
                            return view! { <Empty title="No gateway tokens" hint="Create one for each gateway." /> }.into_any();
                        }
                        view! {
                            <table class="table">
                                <thead><tr><th>"Gateway"</th><th>"Orgs"</th><th>"Created"</th><th>"Last used"</th><th>"State"</th><th></th></tr></thead>
                                <tbody>
                                    {items.into_iter().map(|t| {
                                        let id = t.id;
                                        let revoked = t.revoked_at.is_some();
                                        view! {
                                            <tr class:inactive=revoked>
                                                <td><strong>{t.name.clone()}</strong></td>
                                                <td>{t.orgs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", ")}</td>
                                                <td>{fmt_time(t.created_at)}</td>
                                                <td>{t.last_used_at.map(fmt_time).unwrap_or_else(|| "never".into())}</td>
                                                <td>{if revoked { "revoked" } else { "active" }}</td>
                                                <td class="row-actions">{(!revoked).then(|| view! {
                                                    <button class="btn btn-sm btn-danger" on:click=move |_| revoke(id)>"Revoke"</button>
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

/// The orgs the viewer may pick from.
async fn org_choices() -> Result<Vec<OrgDto>, AppError> {
    client::orgs::list().await.map(|p| p.items)
}
