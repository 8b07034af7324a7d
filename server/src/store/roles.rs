//! The two database roles. The schema belongs to the role that runs the migrations (the
//! private Postgres's `postgres`, or `TOLLGATE_MIGRATION_DATABASE_URL`'s user); the server's
//! queries run as a role that owns nothing and holds only the grants below. Without ownership
//! it cannot alter tables, drop or disable their triggers, or truncate them, so the history's
//! append-only triggers (migration 0008) bind it, and it is not even granted UPDATE or DELETE
//! on the history tables.

use sqlx::PgPool;

/// The tables only ever appended to.
pub const HISTORY: [&str; 3] = ["ticket_events", "ticket_comments", "security_events"];

/// The role the private Postgres's server connects as.
pub const PRIVATE_APP_ROLE: &str = "tollgate_app";

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The role `pool` connects as.
pub async fn current(pool: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(pool)
        .await
}

/// Makes the login role `name` unless it exists (the private Postgres trusts local logins).
pub async fn ensure_login_role(owner: &PgPool, name: &str) -> Result<(), sqlx::Error> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(name)
            .fetch_one(owner)
            .await?;
    if !exists {
        // Two starts at once may both try: the loser's "already exists" is fine.
        match // The name is quoted as an identifier (`ident`); DDL takes no bind parameters.
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE ROLE {} LOGIN", ident(name))))
            .execute(owner)
            .await
        {
            Err(sqlx::Error::Database(e))
                if matches!(e.code().as_deref(), Some("42710") | Some("23505")) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}

/// Grants `app` what the server needs on the current schema, run as its owner after the
/// migrations: read and write the tables, append to the history, use the sequences. It gets no
/// TRUNCATE, no UPDATE or DELETE on the history, and nothing on the migrations' own table
/// but reading it. Idempotent; run at every start so new tables are covered.
pub async fn grant_app(owner: &PgPool, app: &str) -> Result<(), sqlx::Error> {
    let app = ident(app);
    let history = HISTORY.join(", ");
    // Names quoted as identifiers (`ident`); GRANT takes no bind parameters.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "GRANT USAGE ON SCHEMA public TO {app};
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};
         REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {app};
         REVOKE UPDATE, DELETE ON {history} FROM {app};
         REVOKE INSERT, UPDATE, DELETE ON _sqlx_migrations FROM {app};
         GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app};"
    )))
    .execute(owner)
    .await?;
    Ok(())
}

/// Whether `pool`'s role owns a history table (then it could drop the append-only triggers:
/// the server says so at start).
pub async fn owns_history(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = ANY($1)
                          AND (tableowner = current_user
                               OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)))",
    )
    .bind(HISTORY.to_vec())
    .fetch_one(pool)
    .await
}
