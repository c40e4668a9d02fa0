//! The PostgreSQL schema and its forward-only migrations.
//!
//! `baton_schema.version` holds the number of migrations applied. Migrations only ever get appended to
//! `MIGRATIONS`; a database whose version is above `SCHEMA_VERSION` was written by a newer Baton and is refused.
//! Migrating runs in one transaction holding a transaction-level advisory lock (`MIGRATION_LOCK`), so when several
//! processes start at once one migrates and the others wait, then find the schema current. PostgreSQL's DDL is
//! transactional: a migration that fails leaves the database as it was.
//!
//! The tables mirror the SQLite store's schema (version 1 its version 7, version 2 its version 8; `sqlite/schema.rs`
//! explains the columns), in PostgreSQL's types: `BIGINT` ids, times and counters, `TEXT` for JSON (opaque to the
//! store), identity columns for the `seq` that orders lists and page tokens.

use crate::Error;
use crate::postgres::{Conn, backend, db};

/// The schema version this build writes: the number of migrations.
pub const SCHEMA_VERSION: u32 = 2;

const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [V1, V2];

/// The key of the advisory lock migrations hold: `baton` in ASCII, a number no other user of the database is likely
/// to pick.
const MIGRATION_LOCK: i64 = 0x0062_6174_6f6e;

const V1: &str = "
CREATE TABLE state_machines (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    last_version BIGINT NOT NULL DEFAULT 0,
    description TEXT,
    logging_configuration TEXT,
    tracing_configuration TEXT,
    encryption_configuration TEXT,
    tags TEXT NOT NULL,
    definition TEXT NOT NULL
);

CREATE TABLE executions (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    kind TEXT NOT NULL,
    start BIGINT NOT NULL,
    stop BIGINT,
    redrive_count BIGINT NOT NULL DEFAULT 0,
    redrive_date BIGINT,
    engine_version BIGINT NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL,
    map_run_arn TEXT,
    version_arn TEXT,
    alias_arn TEXT,
    role_arn TEXT NOT NULL,
    trace_header TEXT,
    error TEXT,
    cause TEXT,
    output TEXT,
    input TEXT NOT NULL,
    definition TEXT NOT NULL
);
CREATE INDEX executions_by_machine ON executions (state_machine_arn, seq);
CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status, seq);
CREATE INDEX executions_by_map_run ON executions (map_run_arn, seq) WHERE map_run_arn IS NOT NULL;
CREATE INDEX executions_by_map_run_status ON executions (map_run_arn, status, seq) WHERE map_run_arn IS NOT NULL;
CREATE INDEX executions_running ON executions (seq) WHERE status = 'RUNNING' AND map_run_arn IS NULL;
CREATE INDEX executions_by_stop ON executions (stop) WHERE stop IS NOT NULL;

CREATE TABLE events (
    execution BIGINT NOT NULL,
    id BIGINT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (execution, id)
);

CREATE TABLE triggers (
    execution BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    last_event BIGINT,
    digest BIGINT,
    json TEXT NOT NULL,
    PRIMARY KEY (execution, seq)
);

CREATE TABLE versions (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    number BIGINT NOT NULL,
    revision_id TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    created BIGINT NOT NULL,
    description TEXT,
    definition TEXT NOT NULL,
    UNIQUE (state_machine_arn, number)
);
CREATE INDEX versions_by_revision ON versions (state_machine_arn, revision_id);

CREATE TABLE aliases (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    description TEXT,
    routing TEXT NOT NULL
);
CREATE INDEX aliases_by_machine ON aliases (state_machine_arn, seq);

CREATE TABLE activities (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created BIGINT NOT NULL,
    tags TEXT NOT NULL,
    encryption_configuration TEXT
);
";

/// Parked executions and their wake times, as in the SQLite store's version 8 (`sqlite/schema.rs` says why a table of
/// their own).
const V2: &str = "
CREATE TABLE parked (
    execution BIGINT PRIMARY KEY,
    wake_at BIGINT NOT NULL
);
CREATE INDEX parked_by_wake ON parked (wake_at, execution);
";

/// Applies the migrations the database lacks, in one transaction under the migration lock.
pub(crate) async fn migrate(conn: &mut Conn) -> Result<(), Error> {
    migrate_to(conn, SCHEMA_VERSION).await
}

/// Applies the migrations up to `target`.
pub(crate) async fn migrate_to(conn: &mut Conn, target: u32) -> Result<(), Error> {
    conn.begin("BEGIN").await.map_err(db)?;
    let migrated = apply(conn, target).await;
    let ended = if migrated.is_ok() { conn.commit().await } else { conn.rollback().await };
    migrated.and(ended.map_err(db))
}

async fn apply(conn: &mut Conn, target: u32) -> Result<(), Error> {
    conn.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(db)?;
    conn.batch("CREATE TABLE IF NOT EXISTS baton_schema (version BIGINT NOT NULL)").await.map_err(db)?;
    let found = match conn.query_opt("SELECT version FROM baton_schema", &[]).await.map_err(db)? {
        Some(row) => row.try_get::<_, i64>(0).map_err(db)?,
        None => {
            conn.execute("INSERT INTO baton_schema (version) VALUES (0)", &[]).await.map_err(db)?;
            0
        }
    };
    if found > i64::from(SCHEMA_VERSION) {
        return Err(backend(format!(
            "the PostgreSQL database has schema version {found}, newer than this build supports ({SCHEMA_VERSION}); \
             use a newer baton"
        )));
    }
    let found = usize::try_from(found).map_err(|_| backend(format!("invalid schema version {found}")))?;
    for (version, sql) in (1..).zip(MIGRATIONS.iter()).skip(found).take_while(|(v, _)| *v <= target) {
        conn.batch(sql)
            .await
            .map_err(|e| backend(format!("migration {version} of the PostgreSQL database failed: {e}")))?;
        conn.execute("UPDATE baton_schema SET version = $1", &[&i64::from(version)])
            .await
            .map_err(db)?;
    }
    Ok(())
}
