//! What `/metrics` reports (Prometheus / OpenMetrics text), per instance: requests by route and
//! status with latency histograms, tickets opened and decided by type and outcome, the time
//! from open to decision, queue backlogs and delivery failures, the database pool, expiry sweep
//! rounds, sign-in failures and rate-limit refusals.
//!
//! The time to get a database connection (waits for a free one included) comes from sqlx's own
//! `sqlx::pool::acquire` events, which the binary's log set-up hands to [`acquire_times`]: one
//! histogram for the process. Beside it: the pool at the scrape (in use, idle, the most it
//! opens) and the waits that ended in the acquire timeout (counted where the error is made).
//!
//! Counters and histograms are this instance's (sum them over instances); the queue backlogs
//! and the pool are read when scraped. Each [`AppState`](crate::AppState) has its own registry,
//! so two instances in one process (the tests) do not mix their numbers.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sqlx::PgPool;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route's pattern (`/api/v1/tickets/{id}/approve`), or `unmatched`.
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TypeLabels {
    pub r#type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    pub r#type: String,
    /// `approved`, `rejected`, `closed` (by its applicant) or `expired`.
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabels {
    /// `webhooks` (the outbox of webhook messages) or `mail`.
    pub queue: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// `in_use` or `idle`.
    pub state: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// The target of sqlx's events for each connection taken from a pool (with the field
/// `acquired_after_secs`), emitted at the level the pool options set (store::connect_with).
pub const ACQUIRE_TARGET: &str = "sqlx::pool::acquire";

/// Time to get a database connection from the pool, for the whole process.
static ACQUIRE_SECONDS: std::sync::LazyLock<Histogram> = std::sync::LazyLock::new(|| {
    Histogram::new([
        0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0,
    ])
});

/// A tracing layer that records sqlx's connection acquisitions in
/// `tollgate_db_pool_acquire_seconds` (only the acquire events reach it).
pub fn acquire_times<S>() -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    use tracing_subscriber::Layer;
    AcquireTimes.with_filter(
        tracing_subscriber::filter::Targets::new()
            .with_target(ACQUIRE_TARGET, tracing::Level::TRACE),
    )
}

struct AcquireTimes;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for AcquireTimes {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Seconds(Option<f64>);
        impl tracing::field::Visit for Seconds {
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                if field.name() == "acquired_after_secs" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut seconds = Seconds(None);
        event.record(&mut seconds);
        if let Some(s) = seconds.0 {
            ACQUIRE_SECONDS.observe(s);
        }
    }
}

/// This instance's metrics.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Family<RouteLabels, Histogram>,
    pub tickets_opened: Family<TypeLabels, Counter>,
    pub tickets_decided: Family<DecisionLabels, Counter>,
    pub decision_seconds: Family<TypeLabels, Histogram>,
    pub deliveries: Family<QueueLabels, Counter>,
    pub delivery_failures: Family<QueueLabels, Counter>,
    backlog: Family<QueueLabels, Gauge>,
    backlog_oldest_seconds: Family<QueueLabels, FloatGauge>,
    pool_connections: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    /// The process's pool timeouts counted so far (moved on at each scrape).
    pool_timeouts: std::sync::Mutex<Counter>,
    pub expiry_rounds: Counter,
    pub sign_in_failures: Counter,
    pub rate_limited: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn seconds_buckets() -> impl Iterator<Item = f64> {
    [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    ]
    .into_iter()
}

/// Open to decision: a minute to a week.
fn decision_buckets() -> impl Iterator<Item = f64> {
    [
        60.0,
        300.0,
        900.0,
        3600.0,
        4.0 * 3600.0,
        12.0 * 3600.0,
        86400.0,
        3.0 * 86400.0,
        7.0 * 86400.0,
    ]
    .into_iter()
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tollgate");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        let request_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(seconds_buckets())
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (until the head of the answer)",
            request_seconds.clone(),
        );
        let tickets_opened = Family::<TypeLabels, Counter>::default();
        registry.register(
            "tickets_opened",
            "Tickets opened, by type",
            tickets_opened.clone(),
        );
        let tickets_decided = Family::<DecisionLabels, Counter>::default();
        registry.register(
            "tickets_decided",
            "Tickets that reached a final state, by type and outcome",
            tickets_decided.clone(),
        );
        let decision_seconds = Family::<TypeLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(decision_buckets())
        });
        registry.register(
            "ticket_decision_seconds",
            "Time from a ticket's opening to its final state",
            decision_seconds.clone(),
        );
        let deliveries = Family::<QueueLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Webhook messages delivered and mails sent",
            deliveries.clone(),
        );
        let delivery_failures = Family::<QueueLabels, Counter>::default();
        registry.register(
            "delivery_failures",
            "Failed delivery attempts (each is retried with backoff, or given up after the last)",
            delivery_failures.clone(),
        );
        let backlog = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "queue_backlog",
            "Messages waiting to be delivered (all instances)",
            backlog.clone(),
        );
        let backlog_oldest_seconds = Family::<QueueLabels, FloatGauge>::default();
        registry.register(
            "queue_oldest_age_seconds",
            "Age of the oldest message waiting (0 when none)",
            backlog_oldest_seconds.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections of this instance, in use or idle",
            pool_connections.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most database connections this instance opens (in_use at this number: requests wait)",
            pool_max.clone(),
        );
        registry.register(
            "db_pool_acquire_seconds",
            "Time to get a database connection from the pool, waits for a free one included \
             (this process)",
            ACQUIRE_SECONDS.clone(),
        );
        let pool_timeouts = Counter::default();
        registry.register(
            "db_pool_timeouts",
            "Requests and jobs of this process that waited for a database connection until the \
             acquire timeout (5 s) and got none (answered 503)",
            pool_timeouts.clone(),
        );
        let expiry_rounds = Counter::default();
        registry.register(
            "expiry_sweep_rounds",
            "Expiry sweeps this instance ran",
            expiry_rounds.clone(),
        );
        let sign_in_failures = Counter::default();
        registry.register(
            "sign_in_failures",
            "Sign-ins refused for a wrong username or password",
            sign_in_failures.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "sign_in_rate_limited",
            "Sign-ins refused because their username or address failed too often",
            rate_limited.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            tickets_opened,
            tickets_decided,
            decision_seconds,
            deliveries,
            delivery_failures,
            backlog,
            backlog_oldest_seconds,
            pool_connections,
            pool_max,
            pool_timeouts: std::sync::Mutex::new(pool_timeouts),
            expiry_rounds,
            sign_in_failures,
            rate_limited,
        }
    }

    /// A ticket was opened.
    pub fn opened(&self, ticket_type: &str) {
        self.tickets_opened
            .get_or_create(&TypeLabels {
                r#type: ticket_type.to_string(),
            })
            .inc();
    }

    /// A ticket reached its final state `outcome` `seconds` after it was opened.
    pub fn decided(&self, ticket_type: &str, outcome: &str, seconds: f64) {
        self.tickets_decided
            .get_or_create(&DecisionLabels {
                r#type: ticket_type.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
        self.decision_seconds
            .get_or_create(&TypeLabels {
                r#type: ticket_type.to_string(),
            })
            .observe(seconds.max(0.0));
    }

    /// A ticket after a change: counted when the change made it final.
    pub fn changed(&self, t: &tollgate_app::dto::TicketDto) {
        if !t.state.is_open() {
            let seconds = (chrono::Utc::now() - t.created_at).num_milliseconds() as f64 / 1000.0;
            self.decided(t.ticket_type.as_str(), t.state.as_str(), seconds);
        }
    }

    /// The text Prometheus scrapes, with the gauges read now from `pool`.
    pub async fn render(&self, pool: &PgPool) -> Result<String, tollgate_app::AppError> {
        for (queue, count, oldest) in crate::store::queue::backlog(pool).await? {
            let queue = if queue == "mail" { "mail" } else { "webhooks" };
            let labels = QueueLabels { queue };
            self.backlog.get_or_create(&labels).set(count);
            self.backlog_oldest_seconds
                .get_or_create(&labels)
                .set(oldest);
        }
        let idle = pool.num_idle() as i64;
        let size = pool.size() as i64;
        for (state, n) in [("in_use", size - idle), ("idle", idle)] {
            self.pool_connections
                .get_or_create(&PoolLabels {
                    state: state.to_string(),
                })
                .set(n);
        }
        self.pool_max
            .set(i64::from(pool.options().get_max_connections()));
        {
            let counted = self.pool_timeouts.lock().unwrap_or_else(|e| e.into_inner());
            let total =
                tollgate_app::error::POOL_TIMEOUTS.load(std::sync::atomic::Ordering::Relaxed);
            counted.inc_by(total.saturating_sub(counted.get()));
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .map_err(|_| tollgate_app::AppError::internal())?;
        Ok(out)
    }
}

/// Shared by the handlers, the jobs and the use-cases' entry point.
pub type SharedMetrics = Arc<Metrics>;
