//! Waiting for news: the long poll on a ticket's decision (for gateways and the held
//! sign-in page) and the server-sent-event stream of the signed-in user.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use axum::Json;
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;
use tollgate_app::backend::{Backend, SessionToken};
use tollgate_app::dto::TicketNews;
use tollgate_app::AppError;
use tollgate_core::TicketState;
use uuid::Uuid;

use super::extract::{ApiQuery, Caller, Id};
use super::openapi::ApiErrorBody;
use crate::store::live::LiveEvent;
use crate::AppState;

/// The longest a decision may be waited for in one request.
pub const MAX_WAIT_SECONDS: u64 = 60;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Seconds to wait for a decision (0–60; default 0 = answer at once).
    #[serde(default)]
    wait: Option<u64>,
}

/// Where a ticket's decision stands.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DecisionStatus {
    pub id: Uuid,
    pub serial: String,
    pub state: TicketState,
    /// True once the ticket is no longer pending.
    pub decided: bool,
    pub current_level: u8,
}

/// Answers at once when the ticket is decided, else waits up to `wait` seconds and answers
/// the moment any instance commits a change to it.
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{id}/decision",
    operation_id = "wait_for_decision",
    tag = "tickets",
    params(("id" = uuid::Uuid, Path, description = "The ticket's id"), WaitQuery),
    responses(
        (status = 200, description = "The decision, or `pending` at the timeout", body = DecisionStatus),
        (status = 422, description = "A wait of more than 60 seconds", body = ApiErrorBody),
        (status = 404, description = "Unknown ticket, or not visible", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn decision(
    State(s): State<AppState>,
    p: super::gateway::Principal,
    Id(id): Id,
    ApiQuery(q): ApiQuery<WaitQuery>,
) -> Result<Json<DecisionStatus>, AppError> {
    let wait = q.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECONDS {
        return Err(AppError::invalid(
            "wait",
            format!("wait at most {MAX_WAIT_SECONDS} seconds"),
        ));
    }
    // Subscribe before reading, so a decision between the read and the wait is not missed.
    let mut rx = s.live.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    loop {
        // A gateway waits on the tickets it opened; a user on those they may see.
        let (serial, state, current_level) = match &p {
            super::gateway::Principal::User(v) => {
                let t = s.services.ticket_detail(v, id).await?.ticket;
                (t.serial, t.state, t.current_level)
            }
            super::gateway::Principal::Gateway(g) => {
                crate::usecases::gateway::ticket_state(&s.pool, g, id).await?
            }
        };
        let answer = DecisionStatus {
            id,
            serial,
            state,
            decided: !state.is_open(),
            current_level,
        };
        if answer.decided || tokio::time::Instant::now() >= deadline {
            return Ok(Json(answer));
        }
        // A stopping server answers what it knows now; the caller asks again (elsewhere).
        let heard = tokio::select! {
            heard = crate::store::live::wait_for_ticket(&mut rx, id, deadline) => heard,
            _ = crate::store::live::shutdown_started() => false,
        };
        if !heard {
            return Ok(Json(answer));
        }
    }
}

/// The most event streams one person may hold open on one instance (browser tabs).
pub const MAX_STREAMS_PER_PERSON: usize = 8;

/// How often an idle stream checks that its session or token still holds.
const RECHECK: Duration = Duration::from_secs(5);

/// Server-sent events for the signed-in user: one `ticket` event (JSON: ticket_id, kind,
/// state, at) for every change to a ticket that concerns them, from any instance.
///
/// A stream lives only as long as what opened it: before each event, and every few seconds
/// when idle, it checks that the session (or API token) is still live and its person active,
/// and ends otherwise (sign-out, expiry, deactivation, a revoked token). An event whose list
/// of people was too long to send along is delivered only if the person may see the ticket.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "live_events",
    tag = "tickets",
    responses(
        (status = 200, description = "text/event-stream of `ticket` events (each `data` a TicketNews) and `resync` (events were missed: refresh)", body = TicketNews, content_type = "text/event-stream"),
        (status = 429, description = "Too many open streams of this person", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn events(
    State(s): State<AppState>,
    Caller(v): Caller,
    session: Option<Extension<SessionToken>>,
    bearer: Option<Extension<crate::identity::tokens::BearerAuth>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let credential = match (bearer, session) {
        (Some(Extension(b)), _) => Credential::Token(b.0),
        (None, Some(Extension(t))) => Credential::Session(t.0),
        (None, None) => return Err(AppError::unauthorized()),
    };
    let slot =
        crate::store::live::StreamSlot::take(v.id, MAX_STREAMS_PER_PERSON).ok_or_else(|| {
            AppError::new(
                429,
                "too_many_streams",
                format!(
                    "At most {MAX_STREAMS_PER_PERSON} live streams per person; close another tab."
                ),
            )
        })?;
    enum In {
        Live(Result<LiveEvent, BroadcastStreamRecvError>),
        Recheck,
    }
    enum Out {
        Send(Event),
        Quiet,
        End,
    }
    let heard = BroadcastStream::new(s.live.subscribe()).map(In::Live);
    let ticks = tokio_stream::wrappers::IntervalStream::new(tokio::time::interval_at(
        tokio::time::Instant::now() + RECHECK,
        RECHECK,
    ))
    .map(|_| In::Recheck);
    let merged = futures::stream::select(heard, ticks);
    let stream = futures::StreamExt::then(merged, move |item| {
        let s = s.clone();
        let v = v.clone();
        let credential = credential.clone();
        async move {
            let out = match item {
                In::Recheck => None,
                In::Live(Ok(e)) => {
                    let concerns = if e.users.is_empty() {
                        // Too many people to name: only those who may see it hear of it.
                        s.services.ticket_detail(&v, e.ticket_id).await.is_ok()
                    } else {
                        e.users.contains(&v.id)
                    };
                    if !concerns {
                        // Another person's news: nothing is sent, so nothing to check.
                        return Out::Quiet;
                    }
                    Some(
                        Event::default()
                            .event("ticket")
                            .json_data(TicketNews {
                                ticket_id: e.ticket_id,
                                kind: e.kind,
                                state: e.state,
                                at: e.at,
                            })
                            .unwrap_or_else(|_| Event::default().event("ticket")),
                    )
                }
                // The client missed some: tell it to refresh what it shows.
                In::Live(Err(_)) => Some(Event::default().event("resync").data("{}")),
            };
            // Before anything is sent, and on every idle tick: is the viewer still there?
            if !credential.still_holds(&s.pool, v.id).await {
                return Out::End;
            }
            out.map_or(Out::Quiet, Out::Send)
        }
    });
    let stream =
        futures::StreamExt::take_while(stream, |o| futures::future::ready(!matches!(o, Out::End)));
    let slot_keeper = slot;
    let stream = futures::StreamExt::filter_map(stream, move |o| {
        // The slot is given back when the stream (and with it this closure) is dropped.
        let _held = &slot_keeper;
        futures::future::ready(match o {
            Out::Send(e) => Some(Ok(e)),
            _ => None,
        })
    });
    // Ends when the server shuts down, with a `reconnect` event whose `retry` tells the browser
    // to come back in a second (to another instance, or this one restarted).
    let stream = futures::StreamExt::take_until(stream, crate::store::live::shutdown_started());
    let goodbye = futures::stream::once(async {
        crate::store::live::is_shutting_down().then(|| {
            Ok(Event::default()
                .event("reconnect")
                .retry(Duration::from_secs(1))
                .data("{}"))
        })
    });
    let stream = futures::StreamExt::chain(
        stream,
        futures::StreamExt::filter_map(goodbye, futures::future::ready),
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// What a stream was opened with, checked again while it runs.
#[derive(Clone)]
enum Credential {
    Session(String),
    Token(Uuid),
}

impl Credential {
    async fn still_holds(&self, pool: &sqlx::PgPool, user: Uuid) -> bool {
        // A database that cannot answer does not end the stream (it may be back soon).
        match self {
            Credential::Session(t) => crate::identity::session::viewer(pool, t)
                .await
                .map(|v| v.is_some_and(|v| v.id == user))
                .unwrap_or(true),
            Credential::Token(id) => crate::identity::tokens::is_live(pool, *id, user)
                .await
                .unwrap_or(true),
        }
    }
}
