//! Delegations (out of office; core/src/delegation.rs): who is away, who stands in, when.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use tollgate_app::dto::{DelegationDto, Person};
use tollgate_app::AppError;
use tollgate_core::delegation::{Known, Period, Running};
use tollgate_core::UserRef;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    user_id: Uuid,
    user_name: String,
    user_display: String,
    delegate_id: Uuid,
    delegate_name: String,
    delegate_display: String,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

impl Row {
    fn dto(self, now: DateTime<Utc>) -> DelegationDto {
        DelegationDto {
            id: self.id,
            person: Person {
                id: self.user_id,
                username: self.user_name,
                display_name: self.user_display,
            },
            delegate: Person {
                id: self.delegate_id,
                username: self.delegate_name,
                display_name: self.delegate_display,
            },
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            running: self.starts_at <= now && now < self.ends_at,
        }
    }

    fn running(self) -> Running {
        Running {
            person: UserRef::new(self.user_id, self.user_name),
            delegate: UserRef::new(self.delegate_id, self.delegate_name),
            until: self.ends_at,
        }
    }
}

const SELECT: &str =
    "SELECT d.id, d.user_id, p.username AS user_name, p.display_name AS user_display,
        d.delegate_id, s.username AS delegate_name, s.display_name AS delegate_display,
        d.starts_at, d.ends_at
 FROM delegations d JOIN users p ON p.id = d.user_id JOIN users s ON s.id = d.delegate_id";

/// The delegations not yet over where `user` is away or stands in, soonest first.
pub async fn of_user(
    db: impl PgExecutor<'_>,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<DelegationDto>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE (d.user_id = $1 OR d.delegate_id = $1) AND d.ends_at > $2
         ORDER BY d.starts_at, d.id"
    )))
    .bind(user)
    .bind(now)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| r.dto(now)).collect())
}

/// The delegations running at `now` (as many as people away).
pub async fn running(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Running>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE d.starts_at <= $1 AND d.ends_at > $1 ORDER BY d.starts_at, d.id"
    )))
    .bind(now)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Row::running).collect())
}

/// What a new delegation of `person` to `delegate` is checked against, with `person`'s row
/// locked until the transaction ends (two new delegations of one person are checked in turn).
pub async fn known_locked(
    db: &mut PgConnection,
    person: Uuid,
    delegate: Uuid,
    now: DateTime<Utc>,
) -> Result<Known, AppError> {
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(person)
        .execute(&mut *db)
        .await?;
    let own: Vec<(DateTime<Utc>, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT d.starts_at, d.ends_at, u.username FROM delegations d
         JOIN users u ON u.id = d.delegate_id WHERE d.user_id = $1 AND d.ends_at > $2",
    )
    .bind(person)
    .bind(now)
    .fetch_all(&mut *db)
    .await?;
    let away: Vec<(DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT starts_at, ends_at FROM delegations WHERE user_id = $1 AND ends_at > $2",
    )
    .bind(delegate)
    .bind(now)
    .fetch_all(&mut *db)
    .await?;
    let period = |(starts_at, ends_at)| Period { starts_at, ends_at };
    Ok(Known {
        own: own
            .into_iter()
            .map(|(s, e, name)| (period((s, e)), name))
            .collect(),
        delegate_away: away.into_iter().map(period).collect(),
    })
}

/// Records a delegation.
pub async fn insert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    person: Uuid,
    delegate: Uuid,
    period: Period,
    by: Uuid,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO delegations (id, user_id, delegate_id, starts_at, ends_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(person)
    .bind(delegate)
    .bind(period.starts_at)
    .bind(period.ends_at)
    .bind(by)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends `person`'s delegation `id` at `now`: one that has not started is removed, a running
/// one ends now. False when there is no such delegation not yet over.
pub async fn end(
    db: impl PgExecutor<'_>,
    person: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "WITH gone AS (DELETE FROM delegations
                       WHERE id = $1 AND user_id = $2 AND starts_at > $3 RETURNING id),
              cut AS (UPDATE delegations SET ends_at = $3
                      WHERE id = $1 AND user_id = $2 AND starts_at <= $3 AND ends_at > $3
                      RETURNING id)
         SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM cut)",
    )
    .bind(id)
    .bind(person)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}

/// Delegations that have started and not yet been handed the tickets already waiting (only
/// delegation `only`, when given).
pub async fn to_apply(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    limit: i64,
    only: Option<Uuid>,
) -> Result<Vec<(Uuid, Running)>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE d.applied_at IS NULL AND d.starts_at <= $1 AND d.ends_at > $1
           AND ($3::uuid IS NULL OR d.id = $3)
         ORDER BY d.starts_at LIMIT $2"
    )))
    .bind(now)
    .bind(limit)
    .bind(only)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.running())).collect())
}

/// Notes that delegation `id` was handed the tickets waiting when it started.
pub async fn applied(
    db: impl PgExecutor<'_>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query("UPDATE delegations SET applied_at = $2 WHERE id = $1 AND applied_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// The pending tickets on which `person` is asked in their own right and has not answered.
pub async fn waiting_on(db: impl PgExecutor<'_>, person: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT a.ticket_id FROM ticket_assignees a JOIN tickets t ON t.id = a.ticket_id
         WHERE a.user_id = $1 AND a.decision = 'pending' AND t.state = 'pending'",
    )
    .bind(person)
    .fetch_all(db)
    .await?)
}

/// How many tickets waiting for `user` are asked of a delegate for them (`for_me`), and how
/// many are asked of `user` for someone away (`by_me`).
pub async fn handed(db: impl PgExecutor<'_>, user: Uuid) -> Result<(i64, i64), AppError> {
    let for_me = serde_json::json!([{ "assignees": [{ "on_behalf_of": { "id": user } }] }]);
    Ok(sqlx::query_as(
        "SELECT count(*) FILTER (WHERE t.steps @> $2),
                count(*) FILTER (WHERE EXISTS (
                  SELECT 1 FROM jsonb_array_elements(t.steps) s,
                                jsonb_array_elements(s -> 'assignees') x
                  WHERE x ->> 'user_id' = $1::text AND x ? 'on_behalf_of'))
         FROM ticket_assignees a JOIN tickets t ON t.id = a.ticket_id
         WHERE a.user_id = $1 AND a.awaiting",
    )
    .bind(user)
    .bind(for_me)
    .fetch_one(db)
    .await?)
}
