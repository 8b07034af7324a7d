//! Small pieces every page uses: state badges, times, errors, empty states, paging, tabs,
//! the first org.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use tollgate_core::{TicketState, TicketType};
use uuid::Uuid;

use crate::error::AppError;

/// A ticket state as a coloured badge.
#[component]
pub fn StateBadge(state: TicketState) -> impl IntoView {
    let (class, label) = match state {
        TicketState::Pending => ("badge pending", "Pending"),
        TicketState::Approved => ("badge approved", "Approved"),
        TicketState::Rejected => ("badge rejected", "Rejected"),
        TicketState::Closed => ("badge closed", "Closed"),
        TicketState::Expired => ("badge expired", "Expired"),
    };
    view! { <span class=class data-state=state.as_str()>{label}</span> }
}

/// A ticket type in words.
pub fn type_label(t: TicketType) -> &'static str {
    match t {
        TicketType::ApplyAsset => "Asset access",
        TicketType::LoginConfirm => "Sign-in review",
        TicketType::LoginAssetConfirm => "Connection review",
        TicketType::CommandConfirm => "Command review",
        TicketType::PolicyChange => "Policy change",
    }
}

/// `2026-11-27 14:05 UTC`.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    // Written out rather than with chrono's `format`, whose pattern parser would otherwise be
    // part of every first load.
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// "3 min ago", "in 2 days" — relative to now, for lists.
pub fn relative(t: DateTime<Utc>) -> String {
    let secs = (Utc::now() - t).num_seconds();
    let (n, future) = if secs >= 0 {
        (secs, false)
    } else {
        (-secs, true)
    };
    let text = match n {
        0..=59 => return "just now".to_string(),
        60..=3599 => format!("{} min", n / 60),
        3600..=86_399 => format!("{} h", n / 3600),
        _ => format!("{} days", n / 86_400),
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// An error in a page, in words.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    view! {
        <div class="form-error" role="alert">
            {error.message}
        </div>
    }
}

/// Nothing to show.
#[component]
pub fn Empty(title: &'static str, #[prop(optional)] hint: &'static str) -> impl IntoView {
    view! {
        <div class="empty">
            <svg width="44" height="44" viewBox="0 0 24 24" fill="none" stroke="#9aa4b8" stroke-width="1.5" aria-hidden="true">
                <rect x="3" y="4" width="18" height="16" rx="2" />
                <path d="M3 9h18M8 14h8" />
            </svg>
            <h3>{title}</h3>
            <p>{hint}</p>
        </div>
    }
}

/// "Previous · page 2 of 5 · Next" links built by `href(page)`.
#[component]
pub fn Pager(
    page: u32,
    per_page: u32,
    total: i64,
    /// More match than were counted (`total` is the cap + 1).
    #[prop(optional)]
    capped: bool,
    href: impl Fn(u32) -> String + Send + Sync + 'static,
) -> impl IntoView {
    let pages = ((total.max(0) as u32).div_ceil(per_page.max(1))).max(1);
    let summary = if capped {
        format!(
            "more than {} · page {page}",
            thousands(total.saturating_sub(1))
        )
    } else {
        format!("{total} in all · page {page} of {pages}")
    };
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="muted small">{summary}</span>
            <span class="pager-links">
                {(page > 1).then(|| view! { <a class="btn btn-sm" href=href(page - 1)>"← Previous"</a> })}
                {(capped || page < pages).then(|| view! { <a class="btn btn-sm" href=href(page + 1)>"Next →"</a> })}
            </span>
        </nav>
    }
}

/// The page's tab: its `?tab=` query, or `default`.
pub fn use_tab(default: &'static str) -> Signal<String> {
    let query = use_query_map();
    Signal::derive(move || {
        query
            .read()
            .get("tab")
            .unwrap_or_else(|| default.to_string())
    })
}

/// A row of tabs `(key, label)`, each a link to `{base}?tab={key}`; the `active` one is marked.
#[component]
pub fn TabBar(
    base: &'static str,
    #[prop(into)] tabs: Signal<Vec<(&'static str, &'static str)>>,
    active: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="tabs" role="tablist">
            {move || tabs.get().into_iter().map(|(k, label)| {
                view! {
                    <a href=format!("{base}?tab={k}") class="tab" class:active=move || active.with(|t| t == k) role="tab">{label}</a>
                }
            }).collect_view()}
        </div>
    }
}

/// Chooses the first org for `chosen` once the list of orgs arrives (`first` reads its id),
/// unless an org is chosen already.
pub fn use_first_org(chosen: RwSignal<Option<Uuid>>, first: impl Fn() -> Option<Uuid> + 'static) {
    Effect::new(move |_| {
        if chosen.get().is_none() {
            if let Some(id) = first() {
                chosen.set(Some(id));
            }
        }
    });
}

/// A count with its noun: "1 asset", "5 assets" (`plural` is the noun for many).
pub fn count_of(n: i64, one: &str, plural: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { plural })
}

/// 10000 → "10,000".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// While `dirty` holds, leaving the page asks first: the browser's own prompt when the tab is
/// closed, reloaded or sent to another address, and a confirm() before an in-app link is
/// followed. Both listeners are removed with the component that called this (a listener left
/// behind would read the component's signals after they are gone).
pub fn guard_unsaved(dirty: RwSignal<bool>) {
    let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if dirty.try_get_untracked().unwrap_or(false) {
            ev.prevent_default();
        }
    });
    on_cleanup(move || unload.remove());
    #[cfg(feature = "hydrate")]
    guard_links(dirty);
}

/// The in-app half of [`guard_unsaved`]: a click on a link, seen before the router's own
/// handler (capture phase), is stopped unless the person confirms.
#[cfg(feature = "hydrate")]
fn guard_links(dirty: RwSignal<bool>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let on_click = move |ev: web_sys::MouseEvent| {
        if !dirty.try_get_untracked().unwrap_or(false)
            || ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        let link = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten());
        // No link, or one that opens elsewhere (a new tab): this page stays.
        if link.is_none_or(|l| l.get_attribute("target").is_some()) {
            return;
        }
        let leave = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message("Leave without saving your changes?")
                    .ok()
            })
            .unwrap_or(true);
        if !leave {
            ev.prevent_default();
            ev.stop_immediate_propagation();
        }
    };
    let Some(window) = web_sys::window() else {
        return;
    };
    let callback = Closure::<dyn FnMut(web_sys::MouseEvent)>::new(on_click).into_js_value();
    let options = web_sys::AddEventListenerOptions::new();
    options.set_capture(true);
    let _ = window.add_event_listener_with_callback_and_add_event_listener_options(
        "click",
        callback.unchecked_ref(),
        &options,
    );
    let callback = send_wrapper::SendWrapper::new(callback);
    on_cleanup(move || {
        if let Some(w) = web_sys::window() {
            let _ = w.remove_event_listener_with_callback_and_bool(
                "click",
                callback.unchecked_ref(),
                true,
            );
        }
    });
}

/// A card's writes: each clears `error`, marks `busy` while it runs, keeps its error, and bumps
/// `version` so that what the card shows reloads.
#[derive(Clone, Copy)]
pub struct Writes {
    pub error: RwSignal<Option<AppError>>,
    pub busy: RwSignal<bool>,
    pub version: RwSignal<u32>,
}

impl Writes {
    pub fn new() -> Self {
        Self {
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
            version: RwSignal::new(0),
        }
    }

    /// Runs `f` in the background.
    pub fn run(self, f: impl std::future::Future<Output = Result<(), AppError>> + 'static) {
        self.error.set(None);
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            if let Err(e) = f.await {
                self.error.set(Some(e));
            }
            self.busy.set(false);
            self.version.update(|n| *n += 1);
        });
    }
}

impl Default for Writes {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn thousands_are_grouped_by_commas() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1_000), "-1,000");
    }

    #[test]
    fn times_read_as_utc_minutes_with_leading_zeros() {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 59).unwrap();
        assert_eq!(fmt_time(t), "2026-01-02 03:04 UTC");
        let t = Utc.with_ymd_and_hms(987, 12, 31, 23, 59, 0).unwrap();
        assert_eq!(fmt_time(t), "0987-12-31 23:59 UTC");
    }
}
