//! Waiting for news: the long poll on a ticket's decision (for gateways and the held
//! sign-in page) and the server-sent-event stream of the signed-in user.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;
use tollgate_app::backend::Backend;
use tollgate_app::AppError;
use tollgate_core::TicketState;
use uuid::Uuid;

use super::extract::{ApiQuery, Caller, Id};
use super::openapi::ApiErrorBody;
use crate::AppState;

/// The longest a decision may be waited for in one request.
pub const MAX_WAIT_SECONDS: u64 = 60;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct WaitQuery {
    /// Seconds to wait for a decision (0–60; default 0 = answer at once).
    #[serde(default)]
    wait: Option<u64>,
}

/// Where a ticket's decision stands.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Decision {
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
        (status = 200, description = "The decision, or `pending` at the timeout", body = Decision),
        (status = 400, description = "A bad id or wait", body = ApiErrorBody),
        (status = 422, description = "A wait of more than 60 seconds", body = ApiErrorBody),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
        (status = 404, description = "Unknown ticket, or not visible", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn decision(
    State(s): State<AppState>,
    p: super::gateway::Principal,
    Id(id): Id,
    ApiQuery(q): ApiQuery<WaitQuery>,
) -> Result<Json<Decision>, AppError> {
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
                crate::gateway::ticket_state(&s.pool, g, id).await?
            }
        };
        let answer = Decision {
            id,
            serial,
            state,
            decided: !state.is_open(),
            current_level,
        };
        if answer.decided || tokio::time::Instant::now() >= deadline {
            return Ok(Json(answer));
        }
        if !crate::live::wait_for_ticket(&mut rx, id, deadline).await {
            return Ok(Json(answer));
        }
    }
}

/// Server-sent events for the signed-in user: one `ticket` event (JSON: ticket_id, kind,
/// state, at) for every change to a ticket that concerns them, from any instance.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "live_events",
    tag = "tickets",
    responses(
        (status = 200, description = "text/event-stream of `ticket` events", content_type = "text/event-stream"),
        (status = 401, description = "Not signed in", body = ApiErrorBody),
    ),
    security(("cookie" = []), ("bearer" = []))
)]
pub async fn events(
    State(s): State<AppState>,
    Caller(v): Caller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let me = v.id;
    let stream = BroadcastStream::new(s.live.subscribe()).filter_map(move |item| match item {
        Ok(e) if e.concerns(me) => Some(Ok(Event::default()
            .event("ticket")
            .json_data(serde_json::json!({
                "ticket_id": e.ticket_id,
                "kind": e.kind,
                "state": e.state,
                "at": e.at,
            }))
            .unwrap_or_else(|_| Event::default().event("ticket")))),
        Ok(_) => None,
        // The client missed some: tell it to refresh what it shows.
        Err(_) => Some(Ok(Event::default().event("resync").data("{}"))),
    });
    // Ends when the server shuts down (browsers reconnect to another instance or the new one).
    let stream = futures::StreamExt::take_until(stream, crate::live::shutdown_started());
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
