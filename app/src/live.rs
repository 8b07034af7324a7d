//! Live updates in the browser: one `EventSource` on `/api/v1/events` per page load (opened by
//! the layout), reconnecting after a drop. Every event bumps [`LiveTick`]; the badge, the
//! bell, the lists and the open ticket use it as a resource source, so they refresh themselves.

use leptos::prelude::*;
use uuid::Uuid;

/// Counts what this browser heard; `last` is the ticket of the latest event (`None` after a
/// reconnect or a `resync`: anything may have changed).
#[derive(Clone, Copy)]
pub struct LiveTick {
    pub tick: RwSignal<u64>,
    pub last: RwSignal<Option<Uuid>>,
}

impl LiveTick {
    pub fn new() -> Self {
        LiveTick {
            tick: RwSignal::new(0),
            last: RwSignal::new(None),
        }
    }

    /// The tick, tracked (0 on the server, and when no layout provided one).
    pub fn get() -> u64 {
        use_context::<LiveTick>().map(|l| l.tick.get()).unwrap_or(0)
    }
}

impl Default for LiveTick {
    fn default() -> Self {
        Self::new()
    }
}

/// Opens the stream and keeps it open (browser only).
#[cfg(feature = "hydrate")]
pub fn connect(live: LiveTick) {
    use futures::StreamExt;
    use gloo_net::eventsource::futures::EventSource;
    use gloo_net::eventsource::State;

    leptos::task::spawn_local(async move {
        let opened = EventSource::new("/api/v1/events").ok().and_then(|mut es| {
            let ticket = es.subscribe("ticket").ok()?;
            let resync = es.subscribe("resync").ok()?;
            Some((es, futures::stream::select(ticket, resync)))
        });
        if let Some((es, mut events)) = opened {
            while let Some(item) = events.next().await {
                match item {
                    Ok((kind, msg)) => {
                        let ticket = (kind == "ticket")
                            .then(|| msg.data().as_string())
                            .flatten()
                            .and_then(|d| serde_json::from_str::<crate::dto::TicketNews>(&d).ok())
                            .map(|news| news.ticket_id);
                        live.last.set(ticket);
                        live.tick.update(|n| *n += 1);
                    }
                    // The browser reconnects by itself unless the stream is closed for good.
                    Err(_) if es.state() != State::Closed => {}
                    Err(_) => break,
                }
            }
            drop(events);
            es.close();
        }
        // Closed (server restarted, network gone, signed out): try again, and refresh what
        // the page shows, since events may have been missed meanwhile.
        set_timeout(
            move || {
                live.last.set(None);
                live.tick.update(|n| *n += 1);
                connect(live);
            },
            std::time::Duration::from_secs(3),
        );
    });
}
