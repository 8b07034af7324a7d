//! Out of office: naming a delegate who is asked in one's place while one is away (the card on
//! the Security page), and what it means for the Approvals page (a line above the list).

use chrono::{Duration, Utc};
use leptos::prelude::*;
use uuid::Uuid;

use crate::client;
use crate::components::{count_of, fmt_time, ErrorBox, Writes};
use crate::dto::{DelegationDto, Delegations, NewDelegation, Person};
use crate::error::AppError;
use crate::pages::flows::PeoplePicker;
use crate::picker::{from_input, to_input};

/// "Out of office" for `person`: their delegations not yet over (ending one), where they stand
/// in for others, and a form to name a delegate for a period. `name` when an admin does it for
/// someone else (the card then speaks of them, not of "you").
#[component]
pub fn AwayCard(person: Uuid, #[prop(optional)] name: Option<String>) -> impl IntoView {
    let who = Who(name);
    let w = Writes::new();
    let version = w.version;
    let list = LocalResource::new(move || {
        version.get();
        client::delegations::list(person)
    });
    let delegate = RwSignal::new(Vec::<Person>::new());
    let now = Utc::now();
    let starts = RwSignal::new(to_input(now));
    let ends = RwSignal::new(to_input(now + Duration::days(7)));
    let (error, busy) = (w.error, w.busy);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(d) = delegate.get_untracked().first().map(|p| p.id) else {
            error.set(Some(AppError::invalid(
                "delegate_id",
                "choose who stands in",
            )));
            return;
        };
        let (Some(starts_at), Some(ends_at)) = (
            from_input(&starts.get_untracked()),
            from_input(&ends.get_untracked()),
        ) else {
            error.set(Some(AppError::invalid(
                "ends_at",
                "give a start and an end",
            )));
            return;
        };
        let body = NewDelegation {
            delegate_id: d,
            starts_at,
            ends_at,
        };
        w.run(async move {
            client::delegations::create(person, &body).await?;
            delegate.set(vec![]);
            Ok(())
        })
    };
    let end = move |id: Uuid| w.run(client::delegations::end(person, id));
    view! {
        <div class="card form-card security-card" id="away" data-testid="away">
            <div class="card-head"><h2>{who.title()}</h2></div>
            <div class="card-body">
                <p class="muted">{who.intro()}</p>
                {move || error.get().map(|e| view! { <ErrorBox error=e /> })}
                {
                    let who = who.clone();
                    move || list.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e /> }.into_any(),
                    Ok(d) => view! { <DelegationList d=d person=person who=who.clone() on_end=Callback::new(end) /> }.into_any(),
                    })
                }
                <form class="away-form" on:submit=submit>
                    <div class="field">
                        <span class="label">"Who stands in"</span>
                        <PeoplePicker chosen=delegate.into()
                            on_add=Callback::new(move |p: Person| delegate.set(vec![p]))
                            on_remove=Callback::new(move |_| delegate.set(vec![]))
                            label=who.picker_label() />
                    </div>
                    <div class="row">
                        <div class="field">
                            <label for="away-from">"Away from (UTC)"</label>
                            <input id="away-from" type="datetime-local" bind:value=starts />
                        </div>
                        <div class="field">
                            <label for="away-until">"Until (UTC)"</label>
                            <input id="away-until" type="datetime-local" bind:value=ends />
                        </div>
                    </div>
                    <button class="btn btn-primary" type="submit" disabled=move || busy.get()>"Name a delegate"</button>
                </form>
            </div>
        </div>
    }
}

/// Whom the card speaks of: the viewer ("you"), or someone an admin acts for.
#[derive(Clone)]
struct Who(Option<String>);

impl Who {
    fn title(&self) -> String {
        match &self.0 {
            None => "Out of office".into(),
            Some(n) => format!("Out of office: {n}"),
        }
    }
    fn intro(&self) -> String {
        let (away, them) = match &self.0 {
            None => ("you are".to_string(), "you"),
            Some(n) => (format!("{n} is"), "them"),
        };
        format!("While {away} away, someone named here is asked in their place on the requests waiting for {them}, and decides for {them}. A flow may keep a level to its own approvers.")
    }
    fn picker_label(&self) -> String {
        match &self.0 {
            None => "Who stands in for you".into(),
            Some(n) => format!("Who stands in for {n}"),
        }
    }
    fn none(&self) -> String {
        match &self.0 {
            None => "You are not away, and nobody has asked you to stand in.".into(),
            Some(n) => format!("{n} is not away, and nobody has asked them to stand in."),
        }
    }
    fn place(&self) -> &'static str {
        if self.0.is_none() {
            "your place"
        } else {
            "their place"
        }
    }
    fn stands_in(&self) -> String {
        match &self.0 {
            None => "You stand in for ".into(),
            Some(n) => format!("{n} stands in for "),
        }
    }
}

#[component]
fn DelegationList(d: Delegations, person: Uuid, who: Who, on_end: Callback<Uuid>) -> impl IntoView {
    if d.delegations.is_empty() {
        return view! { <p data-testid="away-none">{who.none()}</p> }.into_any();
    }
    view! {
        <ul class="away-list">
            {d.delegations.into_iter().map(|x| view! { <DelegationRow x=x person=person who=who.clone() on_end=on_end /> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn DelegationRow(
    x: DelegationDto,
    person: Uuid,
    who: Who,
    on_end: Callback<Uuid>,
) -> impl IntoView {
    let when = if x.running {
        format!("now, until {}", fmt_time(x.ends_at))
    } else {
        format!(
            "from {} until {}",
            fmt_time(x.starts_at),
            fmt_time(x.ends_at)
        )
    };
    let id = x.id;
    if x.person.id == person {
        view! {
            <li data-testid="away-row">
                <span>"Away "{when}": "<strong>{x.delegate.label()}</strong>" is asked in "{who.place()}</span>
                <button class="btn btn-sm" type="button" on:click=move |_| on_end.run(id)>
                    {if x.running { "End now" } else { "Cancel" }}
                </button>
            </li>
        }
        .into_any()
    } else {
        view! {
            <li data-testid="standing-in-row">
                <span>{who.stands_in()}<strong>{x.person.label()}</strong>" "{when}</span>
            </li>
        }
        .into_any()
    }
}

/// The line above the Approvals list while the viewer is away or stands in for someone: how
/// many of the requests waiting are asked of a delegate too, or asked of them for someone.
#[component]
pub fn AwayLine(person: Uuid) -> impl IntoView {
    let list = LocalResource::new(move || client::delegations::list(person));
    move || {
        list.get().and_then(Result::ok).and_then(|d| {
            let away = d
                .delegations
                .iter()
                .find(|x| x.running && x.person.id == person);
            let mut parts = Vec::new();
            if let Some(a) = away {
                let here = if d.handed_over > 0 {
                    format!(
                        " on {} here",
                        count_of(d.handed_over, "request", "requests")
                    )
                } else {
                    String::new()
                };
                parts.push(format!(
                    "You are away until {}: {} is asked in your place{here}.",
                    fmt_time(a.ends_at),
                    a.delegate.label(),
                ));
            }
            if d.standing_in > 0 {
                parts.push(format!(
                    "You stand in for someone away on {} here: you decide for them.",
                    count_of(d.standing_in, "request", "requests"),
                ));
            }
            (!parts.is_empty()).then(|| {
                view! {
                    <div class="away-line" role="status" data-testid="away-line">
                        {parts.join(" ")}" "<a href="/security#away">"Out of office"</a>
                    </div>
                }
            })
        })
    }
}
