//! Tickets: load one (locked for a change), write one back after a transition, lists; their
//! history and comment threads.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use tollgate_app::dto::{Page, Person, Scope, TicketQuery, TicketSummary};
use tollgate_app::model::Viewer;
use tollgate_app::AppError;
use tollgate_core::{
    Decision, OrgRole, Step, Ticket, TicketRequest, TicketState, TicketType, UserRef,
};
use uuid::Uuid;

/// A ticket row as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct TicketRow {
    pub id: Uuid,
    pub serial: String,
    pub ticket_type: String,
    pub title: String,
    pub org_id: Option<Uuid>,
    pub applicant_id: Uuid,
    pub applicant_username: String,
    pub state: String,
    pub current_level: i16,
    pub request: Value,
    pub steps: Value,
    pub cc: Value,
    pub comment: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(what, error = %e, "a stored ticket does not parse");
    AppError::internal()
}

impl TicketRow {
    /// The rulebook's ticket.
    pub fn to_core(&self) -> Result<Ticket, AppError> {
        Ok(Ticket {
            id: self.id,
            serial: self.serial.clone(),
            ticket_type: self
                .ticket_type
                .parse::<TicketType>()
                .map_err(|e| corrupt("type", e))?,
            title: self.title.clone(),
            org_id: self.org_id,
            applicant: UserRef::new(self.applicant_id, self.applicant_username.clone()),
            state: self
                .state
                .parse::<TicketState>()
                .map_err(|e| corrupt("state", e))?,
            current_level: u8::try_from(self.current_level).map_err(|e| corrupt("level", e))?,
            steps: serde_json::from_value::<Vec<Step>>(self.steps.clone())
                .map_err(|e| corrupt("steps", e))?,
            cc: serde_json::from_value::<Vec<UserRef>>(self.cc.clone())
                .map_err(|e| corrupt("cc", e))?,
            request: serde_json::from_value::<TicketRequest>(self.request.clone())
                .map_err(|e| corrupt("request", e))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const SELECT: &str = "SELECT t.id, t.serial, t.ticket_type, t.title, t.org_id, t.applicant_id,
    u.username AS applicant_username, t.state, t.current_level, t.request, t.steps, t.cc,
    t.comment, t.created_at, t.updated_at, t.expires_at
    FROM tickets t JOIN users u ON u.id = t.applicant_id";

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<TicketRow>, AppError> {
    one(db, id, "").await
}

/// The ticket `id`, read with `lock` (a row-locking clause, or none).
async fn one(
    db: impl PgExecutor<'_>,
    id: Uuid,
    lock: &'static str,
) -> Result<Option<TicketRow>, AppError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE t.id = $1 {lock}"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Loads a ticket and locks its row until the transaction ends: every change goes through here,
/// so two approvers acting at once are served one after the other.
pub async fn get_for_update(
    db: &mut PgConnection,
    id: Uuid,
) -> Result<Option<TicketRow>, AppError> {
    one(db, id, "FOR UPDATE OF t").await
}

/// [`get_for_update`], or `None` at once when another transaction holds the row (the timer
/// sweep leaves it to its next round).
pub async fn get_for_update_skip_locked(
    db: &mut PgConnection,
    id: Uuid,
) -> Result<Option<TicketRow>, AppError> {
    one(db, id, "FOR UPDATE OF t SKIP LOCKED").await
}

/// The next serial number of `day`: an upsert on the day's counter, safe under concurrency.
pub async fn next_serial(db: &mut PgConnection, day: NaiveDate) -> Result<String, AppError> {
    let n: i32 = sqlx::query_scalar(
        "INSERT INTO ticket_serials (day, last) VALUES ($1, 1)
         ON CONFLICT (day) DO UPDATE SET last = ticket_serials.last + 1 RETURNING last",
    )
    .bind(day)
    .fetch_one(db)
    .await?;
    Ok(tollgate_core::serial(day, n as u32))
}

/// A value as JSON for a jsonb column.
pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<Value, AppError> {
    serde_json::to_value(v).map_err(|e| corrupt("serialize", e))
}

/// Writes a newly opened ticket: the ticket, the expiry sweep's row (migration 0011), its CC
/// list and its assignee mirror in one statement (one round trip; the rows reference the
/// ticket, whose foreign keys Postgres checks at the statement's end).
pub async fn insert(
    db: &mut PgConnection,
    t: &Ticket,
    comment: &str,
    expires_at: DateTime<Utc>,
) -> Result<InboxDelta, AppError> {
    let rows = mirror(t);
    let mut delta = InboxDelta::default();
    delta.count_waiting(&rows, 1);
    let (levels, users, decisions, decided, awaiting) = columns(rows.iter());
    let cc: Vec<Uuid> = t.cc.iter().map(|c| c.id).collect();
    sqlx::query(
        "WITH t AS (
           INSERT INTO tickets (id, serial, ticket_type, title, org_id, applicant_id, state,
             current_level, request, steps, cc, comment, created_at, updated_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
           RETURNING id, state, expires_at, created_at),
         due AS (
           INSERT INTO pending_expiry (ticket_id, expires_at)
           SELECT id, expires_at FROM t WHERE state = 'pending'),
         copied AS (
           INSERT INTO ticket_cc (ticket_id, user_id) SELECT t.id, c FROM t, unnest($16::uuid[]) c
           ON CONFLICT DO NOTHING)
         INSERT INTO ticket_assignees (ticket_id, created_at, level, user_id, decision, decided_at,
           awaiting)
         SELECT t.id, t.created_at, a.level, a.user_id, a.decision, a.decided_at, a.awaiting
         FROM t, unnest($17::smallint[], $18::uuid[], $19::text[], $20::timestamptz[], $21::bool[])
              AS a(level, user_id, decision, decided_at, awaiting)",
    )
    .bind(t.id)
    .bind(&t.serial)
    .bind(t.ticket_type.as_str())
    .bind(&t.title)
    .bind(t.org_id)
    .bind(t.applicant.id)
    .bind(t.state.as_str())
    .bind(t.current_level as i16)
    .bind(json(&t.request)?)
    .bind(json(&t.steps)?)
    .bind(json(&t.cc)?)
    .bind(comment)
    .bind(t.created_at)
    .bind(t.updated_at)
    .bind(expires_at)
    .bind(cc)
    .bind(levels)
    .bind(users)
    .bind(decisions)
    .bind(decided)
    .bind(awaiting)
    .execute(&mut *db)
    .await?;
    if let Some(due) = tollgate_core::timers::next_due(t) {
        set_timer(db, t.id, Some(due)).await?;
    }
    Ok(delta)
}

/// Keeps the timer sweep's row of ticket `id`: when its next level timer is due, or none.
pub async fn set_timer(
    db: &mut PgConnection,
    id: Uuid,
    due: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    match due {
        Some(at) => sqlx::query(
            "INSERT INTO ticket_timers (ticket_id, due_at) VALUES ($1, $2)
             ON CONFLICT (ticket_id) DO UPDATE SET due_at = EXCLUDED.due_at",
        )
        .bind(id)
        .bind(at),
        None => sqlx::query("DELETE FROM ticket_timers WHERE ticket_id = $1").bind(id),
    }
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Up to `limit` tickets whose next level timer is due at `now`, earliest first.
pub async fn timers_due(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT ticket_id FROM ticket_timers WHERE due_at <= $1 ORDER BY due_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Writes a ticket back after a transition from `before` (as loaded, under its row lock).
/// The assignee mirror is updated where it changed: the assignees of a ticket are fixed when
/// it opens, so a decision touches one or two rows, not all of them — in the same statement
/// as the ticket.
pub async fn update(
    db: &mut PgConnection,
    before: &Ticket,
    t: &Ticket,
) -> Result<InboxDelta, AppError> {
    // A level timer (none on most tickets: no extra round trip then).
    let due = tollgate_core::timers::next_due(t);
    if due != tollgate_core::timers::next_due(before) {
        set_timer(db, t.id, due).await?;
    }
    let (old, new) = (mirror(before), mirror(t));
    if old.len() != new.len() || old.iter().zip(&new).any(|(o, n)| (o.0, o.1) != (n.0, n.1)) {
        // Not the same people (an escalation added some): the ticket, then the mirror afresh.
        write_back(db, before, t, MirrorColumns::default()).await?;
        return replace_assignees(db, t).await;
    }
    let mut delta = InboxDelta::default();
    delta.count_waiting(&old, -1);
    delta.count_waiting(&new, 1);
    let changed = columns(new.iter().zip(&old).filter(|(n, o)| n != o).map(|(n, _)| n));
    write_back(db, before, t, changed).await?;
    Ok(delta)
}

/// The ticket's new state and, in the same statement, the mirror rows that `changed` (none
/// when empty); a ticket that stops pending leaves the expiry sweep's table.
async fn write_back(
    db: &mut PgConnection,
    before: &Ticket,
    t: &Ticket,
    changed: MirrorColumns,
) -> Result<(), AppError> {
    sqlx::query(
        "WITH ended AS (DELETE FROM pending_expiry WHERE ticket_id = $1 AND $7),
         mirror AS (
           UPDATE ticket_assignees a
           SET decision = c.decision, decided_at = c.decided_at, awaiting = c.awaiting
           FROM unnest($8::smallint[], $9::uuid[], $10::text[], $11::timestamptz[], $12::bool[])
                AS c(level, user_id, decision, decided_at, awaiting)
           WHERE a.ticket_id = $1 AND a.level = c.level AND a.user_id = c.user_id)
         UPDATE tickets SET state = $2, current_level = $3, request = $4, steps = $5, updated_at = $6
         WHERE id = $1",
    )
    .bind(t.id)
    .bind(t.state.as_str())
    .bind(t.current_level as i16)
    .bind(json(&t.request)?)
    .bind(json(&t.steps)?)
    .bind(t.updated_at)
    .bind(before.state == TicketState::Pending && t.state != TicketState::Pending)
    .bind(changed.0)
    .bind(changed.1)
    .bind(changed.2)
    .bind(changed.3)
    .bind(changed.4)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// One row of the assignee mirror: level, user, decision, decided at, awaiting.
type MirrorRow = (i16, Uuid, &'static str, Option<DateTime<Utc>>, bool);

/// Mirror rows as the column arrays the `unnest(…)` statements bind.
type MirrorColumns = (
    Vec<i16>,
    Vec<Uuid>,
    Vec<&'static str>,
    Vec<Option<DateTime<Utc>>>,
    Vec<bool>,
);

fn columns<'a>(rows: impl Iterator<Item = &'a MirrorRow>) -> MirrorColumns {
    let mut c = MirrorColumns::default();
    for r in rows {
        c.0.push(r.0);
        c.1.push(r.1);
        c.2.push(r.2);
        c.3.push(r.3);
        c.4.push(r.4);
    }
    c
}

/// The mirror rows of `t`, in step and assignee order; `awaiting` is set exactly for the
/// undecided assignees of the current level of a pending ticket.
fn mirror(t: &Ticket) -> Vec<MirrorRow> {
    t.steps
        .iter()
        .flat_map(|step| {
            step.assignees.iter().map(move |a| {
                (
                    step.level as i16,
                    a.user_id,
                    a.decision.as_str(),
                    a.decided_at,
                    t.state == TicketState::Pending
                        && step.level == t.current_level
                        && a.decision == Decision::Pending,
                )
            })
        })
        .collect()
}

/// How a change moves the people's "waiting for me" counters (`inbox_counts`): +1 for each
/// ticket that now waits for someone, −1 for each that no longer does.
///
/// The counters are rows every ticket of an approver shares, so they are written once per
/// transaction, in its last statement ([`crate::usecases::outbox::record`]): one upsert in user order, so
/// concurrent changes take them in the same order (no deadlock) and hold them only for the
/// commit.
#[derive(Debug, Default)]
#[must_use = "pass the inbox counters to outbox::record, the last statement before the commit"]
pub struct InboxDelta(std::collections::BTreeMap<Uuid, i32>);

impl InboxDelta {
    fn add(&mut self, user: Uuid, by: i32) {
        *self.0.entry(user).or_default() += by;
    }

    /// Moves the counter of each person `rows` wait for by `by`.
    fn count_waiting(&mut self, rows: &[MirrorRow], by: i32) {
        for r in rows.iter().filter(|r| r.4) {
            self.add(r.1, by);
        }
    }

    /// Writes the counters: the last statement before the commit ([`crate::usecases::outbox::record`]
    /// calls it).
    pub async fn apply(self, db: &mut PgConnection) -> Result<(), AppError> {
        let (users, by): (Vec<Uuid>, Vec<i32>) =
            self.0.into_iter().filter(|(_, d)| *d != 0).unzip();
        if users.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO inbox_counts (user_id, waiting)
             SELECT * FROM unnest($1::uuid[], $2::int[]) AS d(user_id, waiting) ORDER BY user_id
             ON CONFLICT (user_id) DO UPDATE SET waiting = inbox_counts.waiting + EXCLUDED.waiting",
        )
        .bind(users)
        .bind(by)
        .execute(db)
        .await?;
        Ok(())
    }
}

/// Writes the assignee mirror afresh (the ticket's rows deleted, then its steps inserted), with
/// `awaiting` set exactly for the undecided assignees of the current level of a pending ticket,
/// and tells how the inbox counters move.
async fn replace_assignees(db: &mut PgConnection, t: &Ticket) -> Result<InboxDelta, AppError> {
    let mut delta = InboxDelta::default();
    let before: Vec<Uuid> = sqlx::query_scalar(
        "WITH gone AS (DELETE FROM ticket_assignees WHERE ticket_id = $1 RETURNING user_id, awaiting)
         SELECT user_id FROM gone WHERE awaiting",
    )
    .bind(t.id)
    .fetch_all(&mut *db)
    .await?;
    for u in before {
        delta.add(u, -1);
    }
    let rows = mirror(t);
    delta.count_waiting(&rows, 1);
    let (levels, users, decisions, decided, awaiting) = columns(rows.iter());
    sqlx::query(
        "INSERT INTO ticket_assignees (ticket_id, created_at, level, user_id, decision, decided_at, awaiting)
         SELECT $1, $7, * FROM unnest($2::smallint[], $3::uuid[], $4::text[], $5::timestamptz[], $6::bool[])",
    )
    .bind(t.id)
    .bind(levels)
    .bind(users)
    .bind(decisions)
    .bind(decided)
    .bind(awaiting)
    .bind(t.created_at)
    .execute(&mut *db)
    .await?;
    Ok(delta)
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: Uuid,
    serial: String,
    ticket_type: String,
    title: String,
    org_name: Option<String>,
    applicant_id: Uuid,
    username: String,
    display_name: String,
    state: String,
    current_level: i16,
    levels: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    total: i64,
}

/// How a list's search text is matched (besides an exact serial).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    None,
    /// Every word of the text is a word of the title, the last one as a prefix (so a search
    /// typed letter by letter finds as it goes); read off a word index. For text made of ASCII
    /// letters and digits split by anything else: `host-42` finds "Debug host-4242".
    Words,
    /// The text anywhere in the title, for text in other scripts (which has no spaces to split
    /// at): read off the trigram index, which holds only the titles that are not all ASCII
    /// (the others are found by their words; migration 0012).
    Substring,
    /// The text anywhere in the title, for ASCII punctuation alone (`%`): no index helps with
    /// one or two characters, so the titles are read. (Also the rare text that is ASCII only
    /// once lower-cased.)
    Punctuation,
}

impl Search {
    /// The mode for `text`, and what binds to `$7`: a tsquery of the words, or a LIKE pattern.
    pub fn of(text: Option<&str>) -> (Search, Option<String>) {
        let Some(text) = text else {
            return (Search::None, None);
        };
        let words: Vec<String> = text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if text.is_ascii() && !words.is_empty() {
            // Only [a-z0-9] reach the tsquery: no operator can be smuggled in.
            let mut q = words.join(" & ");
            q.push_str(":*");
            (Search::Words, Some(q))
        } else if text.to_lowercase().is_ascii() {
            // (Lower-cased, as the pattern is: the Kelvin sign K becomes an ASCII k.)
            (Search::Punctuation, Some(super::contains_pattern(text)))
        } else {
            (Search::Substring, Some(super::contains_pattern(text)))
        }
    }
}

/// The words of a title as the word index holds them (migration 0010).
const TITLE_WORDS: &str =
    "to_tsvector('simple', lower(regexp_replace(t.title, '[^a-zA-Z0-9]+', ' ', 'g')))";

/// Titles with a character beyond ASCII (UTF-8 takes more than one byte for each of those).
const NOT_ASCII: &str = "octet_length(t.title) <> char_length(t.title)";

/// Lists count their matches up to this many; past it the total reads "more than 10,000" and
/// the page is found by walking the tickets newest first (see [`list_sql`]).
pub const LIST_COUNT_CAP: i64 = 10_000;

/// Which tickets of a list match (the WHERE clause of [`list_sql`] and [`walk_sql`]).
fn filters_sql(scope: Scope, super_admin: bool, search: Search) -> String {
    let scope_sql = match scope {
        Scope::Mine => "t.applicant_id = $1",
        Scope::Assigned => "t.id IN (SELECT ticket_id FROM ticket_assignees WHERE user_id = $1 AND awaiting)",
        Scope::Processed => {
            "t.id IN (SELECT ticket_id FROM ticket_assignees WHERE user_id = $1 AND decided_at IS NOT NULL)"
        }
        Scope::Cc => "t.id IN (SELECT ticket_id FROM ticket_cc WHERE user_id = $1)",
        Scope::All if super_admin => "true",
        Scope::All => {
            "(t.applicant_id = $1
              OR t.id IN (SELECT ticket_id FROM ticket_assignees WHERE user_id = $1)
              OR t.id IN (SELECT ticket_id FROM ticket_cc WHERE user_id = $1)
              OR t.org_id = ANY($2))"
        }
    };
    let search_sql = match search {
        Search::None => "($6::text IS NULL AND $7::text IS NULL)".to_string(),
        Search::Words => {
            format!("(t.serial = $6 OR {TITLE_WORDS} @@ to_tsquery('simple', $7))")
        }
        // Text with a character beyond ASCII is only in such titles: the condition of the
        // trigram index (migration 0012), written as there so that Postgres uses it.
        Search::Substring => format!("(t.serial = $6 OR ({NOT_ASCII} AND lower(t.title) LIKE $7))"),
        Search::Punctuation => "(t.serial = $6 OR lower(t.title) LIKE $7)".to_string(),
    };
    format!(
        "{scope_sql}
         AND ($3::text IS NULL OR t.state = $3)
         AND ($4::text IS NULL OR t.ticket_type = $4)
         AND ($5::uuid IS NULL OR t.org_id = $5)
         AND {search_sql}"
    )
}

/// A page of ticket ids (`hits`: id, created_at, total) joined to the columns and names a list
/// shows.
fn page_of(hits: &str) -> String {
    format!(
        "WITH hits AS ({hits})
         SELECT t.id, t.serial, t.ticket_type, t.title, o.name AS org_name, t.applicant_id,
                u.username, u.display_name, t.state, t.current_level,
                jsonb_array_length(t.steps) AS levels, t.created_at, t.updated_at, h.total
         FROM hits h JOIN tickets t ON t.id = h.id
         JOIN users u ON u.id = t.applicant_id LEFT JOIN orgs o ON o.id = t.org_id
         ORDER BY h.created_at DESC, h.id"
    )
}

/// The SQL of a ticket list. Binds: $1 viewer, $2 orgs they oversee, $3 state, $4 type,
/// $5 org, $6 search text, $7 its tsquery or LIKE pattern (see [`Search::of`]), $8 limit,
/// $9 offset. The matches are found first — at most [`LIST_COUNT_CAP`] + 1 of them — and
/// counted, then ordered for the page, whose rows alone are joined to their names. (Public for
/// the bench, which prints its plans.)
///
/// Finding the matches first: left to itself the planner may instead walk every ticket newest
/// first and test each title (a word's last-as-prefix match has no statistics and is estimated
/// at 2 % of the tickets): a freshly seeded million tickets took 5 s per search instead of
/// 3 ms. The cap: counting every match of a common word or of a super admin's whole "All"
/// list read 200,000 to 1,000,000 rows (1.5–2.7 s at a million tickets). When the cap is
/// reached the rows found are not the newest, and the page comes from [`walk_sql`] instead.
pub fn list_sql(scope: Scope, super_admin: bool, search: Search) -> String {
    let filters = filters_sql(scope, super_admin, search);
    let found = LIST_COUNT_CAP + 1;
    page_of(&format!(
        "WITH matches AS MATERIALIZED (
            SELECT t.id, t.created_at FROM tickets t WHERE {filters} LIMIT {found})
         SELECT m.id, m.created_at, (SELECT count(*) FROM matches) AS total
         FROM matches m
         ORDER BY m.created_at DESC, m.id
         LIMIT $8 OFFSET $9"
    ))
}

/// The page of a list with more than [`LIST_COUNT_CAP`] matches: the newest tickets are walked
/// and tested until the page is full, which is quick when so many match. Same binds as
/// [`list_sql`]; its total is the cap + 1 ("more than").
pub fn walk_sql(scope: Scope, super_admin: bool, search: Search) -> String {
    let filters = filters_sql(scope, super_admin, search);
    let found = LIST_COUNT_CAP + 1;
    page_of(&format!(
        "SELECT t.id, t.created_at, {found}::bigint AS total FROM tickets t WHERE {filters}
         ORDER BY t.created_at DESC, t.id
         LIMIT $8 OFFSET $9"
    ))
}

/// The first pages of "waiting for me" without filters: read off the inbox index, counted by
/// the per-user counter (migration 0006), so a busy approver's inbox stays fast.
pub const INBOX_SQL: &str =
    "SELECT t.id, t.serial, t.ticket_type, t.title, o.name AS org_name, t.applicant_id,
        u.username, u.display_name, t.state, t.current_level,
        jsonb_array_length(t.steps) AS levels, t.created_at, t.updated_at,
        COALESCE((SELECT waiting FROM inbox_counts WHERE user_id = $1), 0)::bigint AS total
    FROM (SELECT ticket_id, created_at FROM ticket_assignees
          WHERE user_id = $1 AND awaiting
          ORDER BY created_at DESC, ticket_id LIMIT $2 OFFSET $3) a
    JOIN tickets t ON t.id = a.ticket_id
    JOIN users u ON u.id = t.applicant_id LEFT JOIN orgs o ON o.id = t.org_id
    ORDER BY a.created_at DESC, a.ticket_id";

/// How many tickets wait for `user`.
pub async fn inbox_count(db: impl PgExecutor<'_>, user: Uuid) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar::<_, i32>("SELECT waiting FROM inbox_counts WHERE user_id = $1")
            .bind(user)
            .fetch_optional(db)
            .await?
            .unwrap_or(0) as i64,
    )
}

/// Tickets of a list, newest first. Only tickets the viewer may see are ever returned.
pub async fn list(
    db: impl PgExecutor<'_> + Copy,
    viewer: &Viewer,
    q: &TicketQuery,
) -> Result<Page<TicketSummary>, AppError> {
    let per_page = q.per_page.unwrap_or(20).clamp(1, 100);
    let page = q.page.unwrap_or(1).max(1);
    let overseen: Vec<Uuid> = viewer
        .orgs
        .iter()
        .filter(|m| matches!(m.role, OrgRole::OrgAdmin | OrgRole::OrgAuditor))
        .map(|m| m.org_id)
        .collect();
    let search =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(200).collect::<String>());
    let (mode, pattern) = Search::of(search.as_deref());
    let sql = list_sql(q.scope, viewer.is_super_admin(), mode);
    let bound = |sql: &String, limit: i64, offset: i64| {
        sqlx::query_as::<_, SummaryRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(viewer.id)
            .bind(&overseen)
            .bind(q.state.map(|s| s.as_str()))
            .bind(q.ticket_type.map(|t| t.as_str()))
            .bind(q.org)
            .bind(&search)
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
    };
    let query = |limit: i64, offset: i64| bound(&sql, limit, offset);
    let offset = ((page - 1) as i64) * per_page as i64;
    let plain_inbox = q.scope == Scope::Assigned
        && search.is_none()
        && q.ticket_type.is_none()
        && q.org.is_none()
        && q.state
            .is_none_or(|s| s == tollgate_core::TicketState::Pending);
    let rows: Vec<SummaryRow> = if plain_inbox {
        sqlx::query_as::<_, SummaryRow>(INBOX_SQL)
            .bind(viewer.id)
            .bind(per_page as i64)
            .bind(offset)
            .fetch_all(db)
            .await?
    } else {
        query(per_page as i64, offset).fetch_all(db).await?
    };
    let total = match rows.first() {
        Some(r) if plain_inbox => r.total,
        None if plain_inbox => inbox_count(db, viewer.id).await?,
        Some(r) => r.total,
        // Past the last page the page is empty, but the total is still the total.
        None if page > 1 => query(1, 0)
            .fetch_optional(db)
            .await?
            .map(|r| r.total)
            .unwrap_or(0),
        None => 0,
    };
    // More matches than are counted: the rows found are some of them, not the newest.
    let total_capped = !plain_inbox && total > LIST_COUNT_CAP;
    let rows = if total_capped {
        let walk = walk_sql(q.scope, viewer.is_super_admin(), mode);
        bound(&walk, per_page as i64, offset).fetch_all(db).await?
    } else {
        rows
    };
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(TicketSummary {
            id: r.id,
            serial: r.serial,
            ticket_type: r.ticket_type.parse().map_err(|e| corrupt("type", e))?,
            title: r.title,
            org_name: r.org_name,
            applicant: Person {
                id: r.applicant_id,
                username: r.username,
                display_name: r.display_name,
            },
            state: r.state.parse().map_err(|e| corrupt("state", e))?,
            current_level: r.current_level as u8,
            levels: r.levels as u8,
            created_at: r.created_at,
            updated_at: r.updated_at,
        });
    }
    Ok(Page {
        items,
        total,
        total_capped,
        page,
        per_page,
    })
}

/// The pending `policy_change` ticket of one policy, if any (policy.rs allows one at a time).
pub async fn pending_policy_change(
    db: &mut sqlx::PgConnection,
    org: Option<Uuid>,
    policy: &str,
    target: &str,
) -> Result<Option<tollgate_app::dto::PendingChange>, AppError> {
    let row: Option<(Uuid, String)> = sqlx::query_as(
        "SELECT id, serial FROM tickets
         WHERE ticket_type = 'policy_change' AND state = 'pending'
           AND org_id IS NOT DISTINCT FROM $1
           AND request->>'policy' = $2 AND request->>'target' = $3
         ORDER BY created_at DESC LIMIT 1",
    )
    .bind(org)
    .bind(policy)
    .bind(target)
    .fetch_optional(&mut *db)
    .await?;
    Ok(row.map(|(ticket_id, serial)| tollgate_app::dto::PendingChange { ticket_id, serial }))
}

/// Adds a comment to the ticket's thread.
pub async fn insert_comment(
    db: impl PgExecutor<'_>,
    id: Uuid,
    ticket: Uuid,
    author: Uuid,
    body: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query("INSERT INTO ticket_comments (id, ticket_id, author_id, body, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(ticket)
        .bind(author)
        .bind(body)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    kind: String,
    actor_id: Option<Uuid>,
    username: Option<String>,
    display_name: Option<String>,
    for_id: Option<Uuid>,
    for_username: Option<String>,
    for_display_name: Option<String>,
    level: Option<i16>,
    comment: Option<String>,
    diff: Option<serde_json::Value>,
    step_up: Option<String>,
    at: DateTime<Utc>,
}

/// A ticket's history, oldest first, with who did each thing.
pub async fn events(
    db: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<tollgate_app::dto::EventDto>, AppError> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT e.id, e.kind, e.actor_id, u.username, u.display_name, e.on_behalf_of AS for_id,
                f.username AS for_username, f.display_name AS for_display_name, e.level,
                e.comment, e.diff, e.step_up, e.at
         FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
              LEFT JOIN users f ON f.id = e.on_behalf_of
         WHERE e.ticket_id = $1 ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(&mut *db)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(tollgate_app::dto::EventDto {
            id: r.id,
            kind: r.kind.parse().map_err(|_| AppError::internal())?,
            actor: r.actor_id.map(|id| Person {
                id,
                username: r.username.clone().unwrap_or_default(),
                display_name: r.display_name.clone().unwrap_or_default(),
            }),
            level: r.level.map(|l| l as u8),
            comment: r.comment,
            diff: r.diff.and_then(|d| serde_json::from_value(d).ok()),
            step_up: r.step_up.and_then(|s| s.parse().ok()),
            on_behalf_of: r.for_id.map(|id| Person {
                id,
                username: r.for_username.clone().unwrap_or_default(),
                display_name: r.for_display_name.clone().unwrap_or_default(),
            }),
            at: r.at,
        });
    }
    Ok(out)
}

/// A ticket's thread, oldest first.
pub async fn comments(
    db: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<tollgate_app::dto::CommentDto>, AppError> {
    let rows: Vec<(Uuid, Uuid, String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT c.id, c.author_id, u.username, u.display_name, c.body, c.created_at
         FROM ticket_comments c JOIN users u ON u.id = c.author_id
         WHERE c.ticket_id = $1 ORDER BY c.created_at, c.id",
    )
    .bind(id)
    .fetch_all(&mut *db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, author, username, display_name, body, created_at)| {
            tollgate_app::dto::CommentDto {
                id,
                author: Person {
                    id: author,
                    username,
                    display_name,
                },
                body,
                created_at,
            }
        })
        .collect())
}
