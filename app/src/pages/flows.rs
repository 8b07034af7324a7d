//! Approval flows: the list, and the editor where levels are cards that are dragged (or moved
//! with buttons) into order, each with its approvers and rule, with a live preview of who
//! would be asked.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use tollgate_core::{
    ApproverSelector, Escalation, Flow, Level, Limits, Rule, TimedEnd, TimedOutcome, Timers,
};
use uuid::Uuid;

use crate::api::{delete_flow, get_flow, list_flows, preview_flow, save_flow, search_users};
use crate::components::*;
use crate::dto::{FlowDto, Person};
use crate::error::AppError;

/// The most levels a flow may have.
const MAX_LEVELS: usize = 5;

fn describe(level: &Level, people: &[Person]) -> String {
    let mut parts = Vec::new();
    if level.selector.super_admins {
        parts.push("super admins".to_string());
    }
    if level.selector.org_admins {
        parts.push("org admins".to_string());
    }
    for id in &level.selector.users {
        parts.push(
            people
                .iter()
                .find(|p| p.id == *id)
                .map(|p| p.display_name.clone())
                .unwrap_or_else(|| "unknown".into()),
        );
    }
    let rule = match level.rule {
        Rule::Any => String::new(),
        Rule::All => " (all)".into(),
        Rule::AtLeast(n) => format!(" (at least {n})"),
    };
    let step_up = if level.step_up {
        " · second factor"
    } else {
        ""
    };
    format!("{}{rule}{step_up}", parts.join(" + "))
}

#[component]
pub fn FlowsPage() -> impl IntoView {
    let flows = Resource::new(|| (), |_| list_flows());
    view! {
        <Title text="Approval flows" />
        <div class="page-head">
            <div>
                <h1>"Approval flows"</h1>
                <p class="sub">"Who approves asset requests, level by level. An org without its own flow uses the global one."</p>
            </div>
        </div>
        <div class="card">
            <Transition fallback=|| view! { <p class="loading">"Loading"</p> }>
                {move || Suspend::new(async move {
                    match flows.await {
                        Ok(list) => view! {
                            <table class="table" data-testid="flows">
                                <thead><tr><th>"Applies to"</th><th>"Ticket type"</th><th>"Levels"</th><th>"Source"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|f| {
                                        let href = format!("/flows/{}/{}", f.scope, f.ticket_type.as_str());
                                        let name = f.org_name.clone().unwrap_or_else(|| "Global (every org)".into());
                                        let summary = f.flow.levels.iter().enumerate()
                                            .map(|(i, l)| format!("{}. {}", i + 1, describe(l, &f.people)))
                                            .collect::<Vec<_>>().join("  →  ");
                                        view! {
                                            <tr>
                                                <td><strong>{name.clone()}</strong></td>
                                                <td>{type_label(f.ticket_type)}</td>
                                                <td class="small">{summary}</td>
                                                <td>{if f.scope == "global" { view! { <span class="chip">"global"</span> }.into_any() }
                                                     else if f.own { view! { <span class="chip">"own flow"</span> }.into_any() }
                                                     else { view! { <span class="chip muted">"uses global"</span> }.into_any() }}</td>
                                                <td><a class="btn btn-sm" href=href aria-label=format!("Edit the flow of {name}")>"Edit"</a></td>
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

/// One level being edited.
#[derive(Clone, Debug, PartialEq)]
struct Draft {
    key: u32,
    users: Vec<Person>,
    super_admins: bool,
    org_admins: bool,
    rule: Rule,
    step_up: bool,
    no_delegation: bool,
    remind: Option<u16>,
    escalate_after: Option<u16>,
    escalate_super_admins: bool,
    escalate_org_admins: bool,
    escalate_users: Vec<Person>,
    end_after: Option<u16>,
    end_outcome: TimedOutcome,
}

/// The person of `id` among `people` (the flow's), or a stand-in.
fn person_of(people: &[Person], id: &Uuid) -> Person {
    people
        .iter()
        .find(|p| p.id == *id)
        .cloned()
        .unwrap_or(Person {
            id: *id,
            username: id.to_string(),
            display_name: "unknown user".into(),
        })
}

impl Draft {
    fn empty(key: u32) -> Self {
        Draft {
            key,
            users: vec![],
            super_admins: false,
            org_admins: false,
            rule: Rule::Any,
            step_up: false,
            no_delegation: false,
            remind: None,
            escalate_after: None,
            escalate_super_admins: false,
            escalate_org_admins: false,
            escalate_users: vec![],
            end_after: None,
            end_outcome: TimedOutcome::Reject,
        }
    }

    /// A stored level as a card, its people named from `people`.
    fn of(key: u32, l: &Level, people: &[Person]) -> Self {
        let t = &l.timers;
        let esc = t.escalate.as_ref();
        Draft {
            key,
            users: l
                .selector
                .users
                .iter()
                .map(|id| person_of(people, id))
                .collect(),
            super_admins: l.selector.super_admins,
            org_admins: l.selector.org_admins,
            rule: l.rule,
            step_up: l.step_up,
            no_delegation: l.no_delegation,
            remind: t.remind_every_hours,
            escalate_after: esc.map(|e| e.after_hours),
            escalate_super_admins: esc.is_some_and(|e| e.selector.super_admins),
            escalate_org_admins: esc.is_some_and(|e| e.selector.org_admins),
            escalate_users: esc
                .map(|e| {
                    e.selector
                        .users
                        .iter()
                        .map(|id| person_of(people, id))
                        .collect()
                })
                .unwrap_or_default(),
            end_after: t.end.map(|e| e.after_hours),
            end_outcome: t.end.map_or(TimedOutcome::Reject, |e| e.outcome),
        }
    }

    fn level(&self) -> Level {
        Level {
            selector: ApproverSelector {
                users: self.users.iter().map(|u| u.id).collect(),
                super_admins: self.super_admins,
                org_admins: self.org_admins,
            },
            rule: self.rule,
            step_up: self.step_up,
            no_delegation: self.no_delegation,
            timers: Timers {
                remind_every_hours: self.remind,
                escalate: self.escalate_after.map(|h| Escalation {
                    after_hours: h,
                    selector: ApproverSelector {
                        users: self.escalate_users.iter().map(|u| u.id).collect(),
                        super_admins: self.escalate_super_admins,
                        org_admins: self.escalate_org_admins,
                    },
                }),
                end: self.end_after.map(|h| TimedEnd {
                    after_hours: h,
                    outcome: self.end_outcome,
                }),
            },
        }
    }

    /// The timers in a few words, for the card's fold: "remind every 4 h · escalate after
    /// 24 h".
    fn timers_summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(h) = self.remind {
            parts.push(format!("remind every {h} h"));
        }
        if let Some(h) = self.escalate_after {
            parts.push(format!("escalate after {h} h"));
        }
        if let Some(h) = self.end_after {
            let how = match self.end_outcome {
                TimedOutcome::Reject => "reject",
                TimedOutcome::Expire => "expire",
            };
            parts.push(format!("{how} after {h} h"));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(" · ")
        }
    }
}

fn to_flow(levels: &[Draft], cc: &[Person], limits: Limits) -> Flow {
    Flow {
        levels: levels.iter().map(Draft::level).collect(),
        cc: cc.iter().map(|u| u.id).collect(),
        limits,
    }
}

/// A number typed in a limit's field: empty is `None`; too large is kept as the largest value,
/// so that the server's refusal names the field.
fn typed_number(ev: &leptos::ev::Event) -> Option<u16> {
    let v = event_target_value(ev);
    let v = v.trim();
    (!v.is_empty()).then(|| {
        v.parse::<u64>()
            .map_or(u16::MAX, |n| n.min(u16::MAX as u64) as u16)
    })
}

/// A level card's timers: reminders, escalation and a timed end, folded unless one is set.
#[component]
fn LevelTimers(
    i: usize,
    d: Draft,
    levels: RwSignal<Vec<Draft>>,
    dirty: RwSignal<bool>,
    saved: RwSignal<bool>,
    can_edit: bool,
) -> impl IntoView {
    let set = move |f: &dyn Fn(&mut Draft)| {
        levels.update(|l| {
            if let Some(d) = l.get_mut(i) {
                f(d)
            }
        });
        dirty.set(true);
        saved.set(false);
    };
    let escalate_users = Signal::derive(move || {
        levels.with(|l| {
            l.get(i)
                .map(|d| d.escalate_users.clone())
                .unwrap_or_default()
        })
    });
    let add = Callback::new(move |p: Person| {
        set(&|d| {
            if !d.escalate_users.iter().any(|u| u.id == p.id) {
                d.escalate_users.push(p.clone());
            }
        })
    });
    let remove = Callback::new(move |id: Uuid| set(&|d| d.escalate_users.retain(|u| u.id != id)));
    let any_set = d.remind.is_some() || d.escalate_after.is_some() || d.end_after.is_some();
    view! {
        <details class="timers" open=any_set data-testid="timers">
            <summary>"When nobody decides: "<span class="muted">{d.timers_summary()}</span></summary>
            <HoursRow id=format!("remind-{i}") label="Remind who has not answered every" unit="hours"
                value=d.remind disabled=!can_edit on_set=Callback::new(move |v| set(&|d| d.remind = v)) />
            <HoursRow id=format!("escalate-{i}") label="Escalate after" unit="hours, adding:"
                value=d.escalate_after disabled=!can_edit on_set=Callback::new(move |v| set(&|d| d.escalate_after = v)) />
            {d.escalate_after.is_some().then(|| view! {
                <div class="escalate-to">
                    <div class="checks">
                        <label><input type="checkbox" prop:checked=d.escalate_super_admins disabled=!can_edit
                            on:change=move |ev| { let on = event_target_checked(&ev); set(&|d| d.escalate_super_admins = on) } />
                            "Super admins"</label>
                        <label><input type="checkbox" prop:checked=d.escalate_org_admins disabled=!can_edit
                            on:change=move |ev| { let on = event_target_checked(&ev); set(&|d| d.escalate_org_admins = on) } />
                            "Org admins of the ticket's org"</label>
                    </div>
                    <PeoplePicker chosen=escalate_users on_add=add on_remove=remove label=format!("Escalate level {} to", i + 1) disabled=!can_edit />
                </div>
            })}
            <HoursRow id=format!("end-{i}") label="End the request after" unit="hours:"
                value=d.end_after disabled=!can_edit on_set=Callback::new(move |v| set(&|d| d.end_after = v))>
                <select aria-label=format!("How level {} ends", i + 1) disabled=!can_edit
                    on:change=move |ev| {
                        let o = if event_target_value(&ev) == "expire" { TimedOutcome::Expire } else { TimedOutcome::Reject };
                        set(&|d| d.end_outcome = o)
                    }>
                    <option value="reject" selected=d.end_outcome == TimedOutcome::Reject>"rejected"</option>
                    <option value="expire" selected=d.end_outcome == TimedOutcome::Expire>"expired"</option>
                </select>
            </HoursRow>
        </details>
    }
}

/// One "… N hours" field of a level's timers (empty: no such timer), and what follows it.
#[component]
fn HoursRow(
    id: String,
    label: &'static str,
    unit: &'static str,
    value: Option<u16>,
    disabled: bool,
    on_set: Callback<Option<u16>>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="timer-row">
            <label for=id.clone()>{label}</label>
            <input id=id type="number" min="1" max="720" inputmode="numeric" disabled=disabled
                prop:value=value.map(|h| h.to_string()).unwrap_or_default()
                on:change=move |ev| on_set.run(typed_number(&ev)) />
            <span class="muted small">{unit}</span>
            {children.map(|c| c())}
        </div>
    }
}

/// The flow's reasons and limits, under its levels.
#[component]
fn LimitsCard(
    limits: RwSignal<Limits>,
    dirty: RwSignal<bool>,
    can_edit: bool,
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let set = move |f: &dyn Fn(&mut Limits)| {
        limits.update(|l| f(l));
        dirty.set(true);
    };
    let field_error = move |field: &'static str| {
        error
            .get()
            .filter(|e| e.field.as_deref() == Some(field))
            .map(|e| view! { <p class="field-error" data-testid="limit-error">{e.message_at_field()}</p> })
    };
    // Each limit: its field, label, bounds, and how it reads and writes (empty: no limit; the
    // reasons' "none" is 0).
    type Get = fn(&Limits) -> Option<u16>;
    type Set = fn(&mut Limits, Option<u16>);
    let fields: [(&'static str, &'static str, &'static str, Get, Set); 4] = [
        (
            "limits.apply_reason_min",
            "A reason to apply, at least (characters)",
            "1000",
            |l| Some(l.apply_reason_min).filter(|v| *v > 0),
            |l, v| l.apply_reason_min = v.unwrap_or(0),
        ),
        (
            "limits.reject_reason_min",
            "A reason to reject, at least (characters)",
            "1000",
            |l| Some(l.reject_reason_min).filter(|v| *v > 0),
            |l, v| l.reject_reason_min = v.unwrap_or(0),
        ),
        (
            "limits.max_days",
            "Longest access (days)",
            "3650",
            |l| l.max_days,
            |l, v| l.max_days = v,
        ),
        (
            "limits.start_within_days",
            "Access starts within (days from the request)",
            "365",
            |l| l.start_within_days,
            |l, v| l.start_within_days = v,
        ),
    ];
    view! {
        <div class="card limits-card" data-testid="limits">
            <div class="card-head"><h3>"Reasons and limits"</h3><span class="muted small">"Empty: no limit"</span></div>
            <div class="card-body limits">
                {fields.into_iter().map(|(field, label, max, get, put)| {
                    let id = field.trim_start_matches("limits.").replace('_', "-");
                    view! {
                        <div class="field">
                            <label for=id.clone()>{label}</label>
                            <input id=id type="number" min="0" max=max inputmode="numeric" disabled=!can_edit
                                prop:value=move || get(&limits.get()).map(|v| v.to_string()).unwrap_or_default()
                                on:change=move |ev| { let v = typed_number(&ev); set(&|l| put(l, v)) } />
                            {move || field_error(field)}
                        </div>
                    }
                }).collect_view()}
            </div>
        </div>
    }
}

#[component]
pub fn FlowEditorPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (
            p.get("scope").unwrap_or_default(),
            p.get("type").unwrap_or_default(),
        )
    };
    let flow = Resource::new(key, |(s, t)| get_flow(s, t));
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the flow"</p> }>
            {move || Suspend::new(async move {
                match flow.await {
                    Ok(f) => view! { <FlowEditor flow=f /> }.into_any(),
                    Err(e) => view! {
                        <Title text="Approval flow" />
                        <div class="empty-page">
                            <h1>{if e.status == 403 { "Not yours to edit" } else { "Flow not found" }}</h1>
                            <p class="muted" data-testid="flow-error">{e.message}</p>
                            <a class="btn" href="/flows">"All flows"</a>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Adds people by searching for them; shows the chosen ones as chips.
#[component]
pub(crate) fn PeoplePicker(
    chosen: Signal<Vec<Person>>,
    on_add: Callback<Person>,
    on_remove: Callback<Uuid>,
    label: String,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let q = RwSignal::new(String::new());
    let results = Resource::new(
        move || q.get(),
        |q| async move {
            if q.trim().is_empty() {
                Ok(vec![])
            } else {
                search_users(Some(q)).await
            }
        },
    );
    view! {
        <div class="people-picker">
            <div class="chips">
                {move || chosen.get().into_iter().map(|p| {
                    let id = p.id;
                    view! {
                        <span class="chip">
                            {p.display_name.clone()}<span class="muted small">{format!(" @{}", p.username)}</span>
                            {(!disabled).then(|| view! {
                                <button type="button" class="chip-x" aria-label=format!("Remove {}", p.username)
                                    on:click=move |_| on_remove.run(id)>"×"</button>
                            })}
                        </span>
                    }
                }).collect_view()}
            </div>
            {(!disabled).then(|| view! {
                <input type="search" placeholder="Search people by name" aria-label=label.clone()
                    prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev)) />
                <Transition fallback=|| ()>
                    {move || results.get().and_then(|r| r.ok()).filter(|l| !l.is_empty()).map(|list| view! {
                        <ul class="suggest">
                            {list.into_iter().map(|p| {
                                let pick = p.clone();
                                view! {
                                    <li><button type="button" class="suggest-item" on:click=move |_| { on_add.run(pick.clone()); q.set(String::new()); }>
                                        <strong>{p.display_name.clone()}</strong>" "<span class="muted small">{format!("@{}", p.username)}</span>
                                    </button></li>
                                }
                            }).collect_view()}
                        </ul>
                    })}
                </Transition>
            })}
        </div>
    }
}

#[component]
fn FlowEditor(flow: FlowDto) -> impl IntoView {
    let scope = flow.scope.clone();
    let ticket_type = flow.ticket_type.as_str().to_string();
    let can_edit = flow.can_edit;
    let person = {
        let people = flow.people.clone();
        move |id: &Uuid| person_of(&people, id)
    };
    let mut next_key = 0u32;
    let initial: Vec<Draft> = flow
        .flow
        .levels
        .iter()
        .map(|l| {
            next_key += 1;
            Draft::of(next_key, l, &flow.people)
        })
        .collect();
    let next_key = StoredValue::new(next_key);
    let levels = RwSignal::new(initial);
    let cc = RwSignal::new(flow.flow.cc.iter().map(&person).collect::<Vec<_>>());
    let limits = RwSignal::new(flow.flow.limits);
    let dirty = RwSignal::new(false);
    let dragging = RwSignal::new(None::<usize>);
    let error = RwSignal::new(None::<AppError>);
    let saved = RwSignal::new(false);
    let own = RwSignal::new(flow.own);
    // An org admin's change waits for a super admin (four eyes on policy).
    let pending = RwSignal::new(flow.pending_change.clone());

    let change = move |f: &mut dyn FnMut(&mut Vec<Draft>)| {
        levels.update(|l| f(l));
        dirty.set(true);
        saved.set(false);
    };
    let move_level = move |from: usize, to: usize| {
        change(&mut |l: &mut Vec<Draft>| {
            if from < l.len() && to < l.len() && from != to {
                let d = l.remove(from);
                l.insert(to, d);
            }
        })
    };

    // Leaving with unsaved changes asks first (in-app links too); the listeners go with the page.
    guard_unsaved(dirty);

    let save = Action::new(move |f: &(String, String, Flow)| {
        let (s, t, f) = f.clone();
        async move { save_flow(s, t, f).await }
    });
    let remove_own = Action::new(move |f: &(String, String)| {
        let (s, t) = f.clone();
        async move { delete_flow(s, t).await }
    });
    let reset_to = move |f: FlowDto| {
        let mut k = next_key.get_value();
        let people = f.people.clone();
        let person = |id: &Uuid| person_of(&people, id);
        levels.set(
            f.flow
                .levels
                .iter()
                .map(|l| {
                    k += 1;
                    Draft::of(k, l, &people)
                })
                .collect(),
        );
        next_key.set_value(k);
        cc.set(f.flow.cc.iter().map(person).collect());
        limits.set(f.flow.limits);
        own.set(f.own);
        dirty.set(false);
    };
    Effect::new(move |_| match save.value().get() {
        Some(Ok(f)) => {
            pending.set(f.pending_change.clone());
            if f.pending_change.is_some()
                && f.flow
                    != to_flow(
                        &levels.get_untracked(),
                        &cc.get_untracked(),
                        limits.get_untracked(),
                    )
            {
                // Not applied yet: the draft stays on screen as what was proposed.
                dirty.set(false);
            } else {
                reset_to(f);
            }
            error.set(None);
            saved.set(true);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match remove_own.value().get() {
        Some(Ok(f)) => {
            reset_to(f);
            error.set(None);
            saved.set(true);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });

    // The preview: who would be asked if this person applied now, under the draft.
    let applicant = RwSignal::new(None::<Person>);
    let (scope_p, type_p) = (scope.clone(), ticket_type.clone());
    let preview = Resource::new(
        move || {
            (
                applicant.get().map(|a| a.id),
                to_flow(&levels.get(), &cc.get(), limits.get()),
            )
        },
        move |(who, draft)| {
            let (s, t) = (scope_p.clone(), type_p.clone());
            async move {
                match who {
                    Some(who) => preview_flow(s, t, draft, who).await.map(Some),
                    None => Ok(None),
                }
            }
        },
    );

    let level_error = move |i: usize| {
        error.get().filter(|e| {
            e.field
                .as_deref()
                .is_some_and(|f| f.starts_with(&format!("levels[{i}]")))
        })
    };
    let title = match &flow.org_name {
        Some(o) => format!("{o} · {}", type_label(flow.ticket_type)),
        None => format!("Global · {}", type_label(flow.ticket_type)),
    };
    let (scope_s, type_s) = (scope.clone(), ticket_type.clone());
    let (scope_d, type_d) = (scope.clone(), ticket_type.clone());
    let is_org = flow.org_id.is_some();

    view! {
        <Title text=format!("Flow · {title}") />
        <div class="page-head">
            <div>
                <div class="crumbs small muted"><a href="/flows">"Approval flows"</a>" / "{title.clone()}</div>
                <h1>{title.clone()}</h1>
                <p class="sub">
                    {move || if own.get() || !is_org { "Levels are asked in order; drag the cards to reorder." }
                             else { "This org uses the global flow. Saving here gives it a flow of its own." }}
                </p>
            </div>
            <div class="head-actions">
                <Show when=move || dirty.get()>
                    <span class="unsaved" data-testid="unsaved">"Unsaved changes"</span>
                </Show>
                <Show when=move || saved.get() && !dirty.get() && pending.get().is_none()>
                    <span class="saved" data-testid="saved">"Saved"</span>
                </Show>
                {move || pending.get().map(|p| view! {
                    <span class="unsaved" data-testid="awaiting-approval">
                        "Awaiting approval by a super admin: "
                        <a href=format!("/tickets/{}", p.ticket_id)>{p.serial.clone()}</a>
                    </span>
                })}
                {(can_edit && is_org).then(|| view! {
                    <Show when=move || own.get()>
                        <button class="btn" on:click={
                            let (s, t) = (scope_d.clone(), type_d.clone());
                            move |_| { remove_own.dispatch((s.clone(), t.clone())); }
                        }>"Use the global flow"</button>
                    </Show>
                })}
                {can_edit.then(|| view! {
                    <button class="btn btn-primary" disabled=move || save.pending().get() on:click={
                        let (s, t) = (scope_s.clone(), type_s.clone());
                        move |_| { save.dispatch((s.clone(), t.clone(), to_flow(&levels.get_untracked(), &cc.get_untracked(), limits.get_untracked()))); }
                    }>{move || if save.pending().get() { "Saving…" } else { "Save flow" }}</button>
                })}
            </div>
        </div>
        {move || error.get().filter(|e| !e.field.as_deref().is_some_and(|f| f.starts_with("levels[") || f.starts_with("limits."))).map(|e| view! {
            <div class="form-error" role="alert" data-testid="flow-error">{e.message}</div>
        })}
        <div class="grid-2">
            <div>
                <ol class="level-cards" data-testid="levels">
                    {move || {
                        let list = levels.get();
                        let n = list.len();
                        list.into_iter().enumerate().map(|(i, d)| {
                            let users = Signal::derive(move || levels.with(|l| l.get(i).map(|d| d.users.clone()).unwrap_or_default()));
                            let add = Callback::new(move |p: Person| change(&mut |l: &mut Vec<Draft>| {
                                if let Some(d) = l.get_mut(i) { if !d.users.iter().any(|u| u.id == p.id) { d.users.push(p.clone()); } }
                            }));
                            let remove = Callback::new(move |id: Uuid| change(&mut |l: &mut Vec<Draft>| {
                                if let Some(d) = l.get_mut(i) { d.users.retain(|u| u.id != id); }
                            }));
                            view! {
                                <li
                                    class="level-card card"
                                    class:dragging=move || dragging.get() == Some(i)
                                    draggable=if can_edit { "true" } else { "false" }
                                    data-level=i + 1
                                    on:dragstart=move |_| dragging.set(Some(i))
                                    on:dragend=move |_| dragging.set(None)
                                    on:dragover=move |ev| ev.prevent_default()
                                    on:drop=move |ev| {
                                        ev.prevent_default();
                                        if let Some(from) = dragging.get_untracked() { move_level(from, i); }
                                        dragging.set(None);
                                    }
                                >
                                    <div class="card-head">
                                        <div class="level-title">
                                            <span class="grip" aria-hidden="true">"⠿"</span>
                                            <h3>{format!("Level {}", i + 1)}</h3>
                                        </div>
                                        {can_edit.then(|| view! {
                                            <div class="level-tools">
                                                <button type="button" class="btn btn-sm btn-ghost" aria-label=format!("Move level {} up", i + 1)
                                                    disabled=i == 0 on:click=move |_| move_level(i, i - 1)>"↑"</button>
                                                <button type="button" class="btn btn-sm btn-ghost" aria-label=format!("Move level {} down", i + 1)
                                                    disabled=i + 1 == n on:click=move |_| move_level(i, i + 1)>"↓"</button>
                                                <button type="button" class="btn btn-sm btn-danger" aria-label=format!("Remove level {}", i + 1)
                                                    disabled=n == 1 on:click=move |_| change(&mut |l: &mut Vec<Draft>| { l.remove(i); })>"Remove"</button>
                                            </div>
                                        })}
                                    </div>
                                    <div class="card-body">
                                        <span class="label">"Approvers"</span>
                                        <div class="checks">
                                            <label><input type="checkbox" prop:checked=d.super_admins disabled=!can_edit
                                                on:change=move |ev| { let on = event_target_checked(&ev); change(&mut |l: &mut Vec<Draft>| { if let Some(d) = l.get_mut(i) { d.super_admins = on; } }) } />
                                                "Super admins"</label>
                                            <label><input type="checkbox" prop:checked=d.org_admins disabled=!can_edit
                                                on:change=move |ev| { let on = event_target_checked(&ev); change(&mut |l: &mut Vec<Draft>| { if let Some(d) = l.get_mut(i) { d.org_admins = on; } }) } />
                                                "Org admins of the ticket's org"</label>
                                        </div>
                                        <PeoplePicker chosen=users on_add=add on_remove=remove label=format!("Add an approver to level {}", i + 1) disabled=!can_edit />
                                        <div class="field rule">
                                            <label for=format!("rule-{i}")>"Rule"</label>
                                            <select id=format!("rule-{i}") disabled=!can_edit
                                                on:change=move |ev| {
                                                    let rule = match event_target_value(&ev).as_str() {
                                                        "all" => Rule::All,
                                                        "at_least" => Rule::AtLeast(2),
                                                        _ => Rule::Any,
                                                    };
                                                    change(&mut |l: &mut Vec<Draft>| { if let Some(d) = l.get_mut(i) { d.rule = rule; } })
                                                }>
                                                <option value="any" selected=d.rule == Rule::Any>"Any one approver is enough"</option>
                                                <option value="all" selected=d.rule == Rule::All>"Every approver must approve"</option>
                                                <option value="at_least" selected=matches!(d.rule, Rule::AtLeast(_))>"A number of approvers must approve"</option>
                                            </select>
                                            {match d.rule {
                                                Rule::AtLeast(n) => Some(view! {
                                                    <div class="quorum">
                                                        <label for=format!("quorum-{i}")>"How many"</label>
                                                        <input id=format!("quorum-{i}") type="number" min="1" max="100" inputmode="numeric"
                                                            prop:value=n.to_string() disabled=!can_edit
                                                            on:change=move |ev| {
                                                                let n = event_target_value(&ev).trim().parse::<u8>().unwrap_or(0);
                                                                change(&mut |l: &mut Vec<Draft>| { if let Some(d) = l.get_mut(i) { d.rule = Rule::AtLeast(n); } })
                                                            } />
                                                        <span class="muted small">"of the approvers asked"</span>
                                                    </div>
                                                }),
                                                _ => None,
                                            }}
                                        </div>
                                        <label class="step-up-check">
                                            <input type="checkbox" prop:checked=d.step_up disabled=!can_edit
                                                on:change=move |ev| { let on = event_target_checked(&ev); change(&mut |l: &mut Vec<Draft>| { if let Some(d) = l.get_mut(i) { d.step_up = on; } }) } />
                                            " Approving or rejecting here asks for a fresh second factor"
                                        </label>
                                        <label class="step-up-check">
                                            <input type="checkbox" prop:checked=d.no_delegation disabled=!can_edit data-testid="no-delegation"
                                                on:change=move |ev| { let on = event_target_checked(&ev); change(&mut |l: &mut Vec<Draft>| { if let Some(d) = l.get_mut(i) { d.no_delegation = on; } }) } />
                                            " Nobody stands in for these approvers while they are away"
                                        </label>
                                        <LevelTimers i=i d=d.clone() levels=levels dirty=dirty saved=saved can_edit=can_edit />
                                        {move || level_error(i).map(|e| view! { <p class="field-error" data-testid="level-error">{e.message_at_field()}</p> })}
                                    </div>
                                </li>
                            }
                        }).collect_view()
                    }}
                </ol>
                {can_edit.then(|| view! {
                    <button type="button" class="btn add-level" disabled=move || levels.with(|l| l.len() >= MAX_LEVELS)
                        on:click=move |_| {
                            let k = next_key.get_value() + 1;
                            next_key.set_value(k);
                            change(&mut |l: &mut Vec<Draft>| l.push(Draft::empty(k)));
                        }>
                        {move || if levels.with(|l| l.len() >= MAX_LEVELS) { "Five levels at most".to_string() } else { "+ Add a level".to_string() }}
                    </button>
                })}
                <div class="card cc-card">
                    <div class="card-head"><h3>"CC"</h3><span class="muted small">"Told of every change; cannot act"</span></div>
                    <div class="card-body">
                        <PeoplePicker
                            chosen=Signal::derive(move || cc.get())
                            on_add=Callback::new(move |p: Person| { cc.update(|c| if !c.iter().any(|u| u.id == p.id) { c.push(p) }); dirty.set(true); })
                            on_remove=Callback::new(move |id: Uuid| { cc.update(|c| c.retain(|u| u.id != id)); dirty.set(true); })
                            label="Add a CC user".to_string()
                            disabled=!can_edit
                        />
                    </div>
                </div>
                <LimitsCard limits=limits dirty=dirty can_edit=can_edit error=error />
            </div>
            <div>
                <div class="card preview" data-testid="preview">
                    <div class="card-head"><h3>"Who would be asked"</h3></div>
                    <div class="card-body">
                        <p class="muted small">"Pick someone who might apply: the levels below are resolved as they would be for them, now."</p>
                        <PeoplePicker
                            chosen=Signal::derive(move || applicant.get().into_iter().collect())
                            on_add=Callback::new(move |p: Person| applicant.set(Some(p)))
                            on_remove=Callback::new(move |_| applicant.set(None))
                            label="Preview for applicant".to_string()
                        />
                        <Transition fallback=|| view! { <p class="loading small">"Resolving"</p> }>
                            {move || preview.get().map(|r| match r {
                                Ok(None) => ().into_any(),
                                Ok(Some(levels)) => view! {
                                    <ol class="preview-levels">
                                        {levels.into_iter().map(|l| view! {
                                            <li data-level=l.level>
                                                <strong>{format!("Level {}", l.level)}</strong>": "
                                                <span class="preview-users">{l.users.iter().map(|u| u.display_name.clone()).collect::<Vec<_>>().join(", ")}</span>
                                                {(!l.escalation.is_empty()).then(|| view! {
                                                    <div class="muted small" data-testid="preview-escalation">{format!("escalation adds {}", l.escalation.iter().map(|u| u.display_name.clone()).collect::<Vec<_>>().join(", "))}</div>
                                                })}
                                            </li>
                                        }).collect_view()}
                                    </ol>
                                }.into_any(),
                                Err(e) => view! { <p class="field-error" data-testid="preview-error">{e.message}</p> }.into_any(),
                            })}
                        </Transition>
                    </div>
                </div>
            </div>
        </div>
    }
}
