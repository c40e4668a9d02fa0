//! The PostgreSQL schema and its forward-only migrations, and the rule that lets two versions of Baton share a
//! database during a rolling upgrade.
//!
//! `baton_schema.version` holds the number of migrations applied. Migrations only ever get appended to
//! `MIGRATIONS`. Migrating runs in one transaction holding a transaction-level advisory lock (`MIGRATION_LOCK`), so
//! when several processes start at once one migrates and the others wait, then find the schema current.
//! PostgreSQL's DDL is transactional: a migration that fails leaves the database as it was.
//!
//! Rolling upgrades: `baton_schema.compatible_from` is the oldest schema version whose builds may still run on the
//! database. A migration that older builds can keep running beside (a new table or a new column with a default,
//! which they ignore) leaves it as it is; one they cannot (they would misread or miss something newer builds rely
//! on) raises it to its own version. A build runs on a database whose schema is newer than its own as long as
//! `compatible_from` is not above its `SCHEMA_VERSION`, and is refused otherwise. So a new release whose migrations
//! are all additive can be rolled out one node at a time: the first new node migrates, the old ones go on. Which
//! executions each node may run is the replay format's business (`nodes.rs`: a node claims only executions written
//! in a format it replays).
//!
//! The tables mirror the SQLite store's schema (version 1 its version 7, version 4 its version 8, version 5 its version
//! 9, version 6 its version 10; `sqlite/schema.rs` explains the columns), in PostgreSQL's types: `BIGINT` ids, times
//! and counters, `TEXT` for JSON (opaque to the store), identity columns for the `seq` that orders lists and page
//! tokens.

use crate::Error;
use crate::postgres::{Conn, backend, db};

/// The schema version this build writes: the number of migrations.
pub const SCHEMA_VERSION: u32 = 6;

/// One migration: its SQL, and whether builds of older schema versions may go on running beside it.
struct Migration {
    sql: &'static str,
    older_builds_may_share: bool,
}

const MIGRATIONS: [Migration; SCHEMA_VERSION as usize] = [
    Migration { sql: V1, older_builds_may_share: false },
    // Builds before leases would run every execution, whoever holds it.
    Migration { sql: V2, older_builds_may_share: false },
    // Builds before the inbox would not find tokens, activity tasks or messages of other nodes.
    Migration { sql: V3, older_builds_may_share: false },
    // Builds before parking would wake nothing parked.
    Migration { sql: V4, older_builds_may_share: false },
    // Builds before the outbox write no events and never read it: they may run beside it.
    Migration { sql: V5, older_builds_may_share: true },
    // An index: older builds keep it up to date without knowing it.
    Migration { sql: V6, older_builds_may_share: true },
];

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

/// Several servers on one database: each running execution is held by one node (`owner`) under a claim (`epoch`,
/// one more at each claim, which steps written under an older one are refused by); `baton_nodes` holds each node's
/// lease, renewed while it lives, on the database's clock (milliseconds since the epoch).
const V2: &str = "
ALTER TABLE executions ADD COLUMN owner TEXT, ADD COLUMN epoch BIGINT NOT NULL DEFAULT 0;
CREATE INDEX executions_by_owner ON executions (owner, seq) WHERE status = 'RUNNING' AND map_run_arn IS NULL;

CREATE TABLE baton_nodes (
    id TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    version TEXT NOT NULL,
    engine_version BIGINT NOT NULL,
    started BIGINT NOT NULL,
    lease_until BIGINT NOT NULL
);
";

/// Reaching an execution from any node: its open task tokens, its activity tasks waiting for a worker (`taken` once
/// a worker has it, kept until the execution ends so that a re-invoked task is not queued twice), and the inbox of
/// messages for the node that holds it, each answered (`answer`, JSON) once its change is committed.
const V3: &str = "
CREATE TABLE baton_tokens (
    token TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    task BIGINT NOT NULL
);
CREATE INDEX baton_tokens_by_execution ON baton_tokens (execution_arn);

CREATE TABLE baton_activity_tasks (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_arn TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    execution_arn TEXT NOT NULL,
    input TEXT NOT NULL,
    taken BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX baton_activity_tasks_waiting ON baton_activity_tasks (activity_arn, seq) WHERE NOT taken;
CREATE INDEX baton_activity_tasks_by_execution ON baton_activity_tasks (execution_arn);

CREATE TABLE baton_inbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    message TEXT NOT NULL,
    created BIGINT NOT NULL,
    answer TEXT
);
CREATE INDEX baton_inbox_open ON baton_inbox (execution_arn, id) WHERE answer IS NULL;
";

/// Parked executions and their wake times, as in the SQLite store's version 8 (`sqlite/schema.rs` says why a table of
/// their own).
const V4: &str = "
CREATE TABLE parked (
    execution BIGINT PRIMARY KEY,
    wake_at BIGINT NOT NULL
);
CREATE INDEX parked_by_wake ON parked (wake_at, execution);
";

/// The outbox, as in the SQLite store's version 9 (`sqlite/schema.rs`). A message handed out for delivery is claimed by
/// moving its `next_try` to the end of the claim: no node takes it before, any node after, if its claimant died.
const V5: &str = "
CREATE TABLE baton_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    next_try BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    destination TEXT NOT NULL,
    execution_arn TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX baton_outbox_chain ON baton_outbox (destination, execution_arn, id);
CREATE INDEX baton_outbox_due ON baton_outbox (next_try);
";

/// The search across state machines, as in the SQLite store's version 10 (`sqlite/schema.rs`): in `seq` order, with
/// the columns the filters read beside it, so that an index-only scan answers which rows a page holds.
const V6: &str = "
CREATE INDEX executions_search ON executions (seq) INCLUDE (status, start, state_machine_arn, name) WHERE map_run_arn IS NULL;
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
    conn.batch(
        "CREATE TABLE IF NOT EXISTS baton_schema (version BIGINT NOT NULL, compatible_from BIGINT); \
         ALTER TABLE baton_schema ADD COLUMN IF NOT EXISTS compatible_from BIGINT",
    )
    .await
    .map_err(db)?;
    let (found, compatible_from) = match conn.query_opt("SELECT version, compatible_from FROM baton_schema", &[]).await.map_err(db)? {
        Some(row) => {
            let found: i64 = row.try_get(0).map_err(db)?;
            // Not recorded (a database from before the rule): only its own version may use it.
            let compatible_from: Option<i64> = row.try_get(1).map_err(db)?;
            (found, compatible_from.unwrap_or(found))
        }
        None => {
            conn.execute("INSERT INTO baton_schema (version, compatible_from) VALUES (0, 0)", &[]).await.map_err(db)?;
            (0, 0)
        }
    };
    if found > i64::from(SCHEMA_VERSION) {
        if compatible_from <= i64::from(SCHEMA_VERSION) {
            // A newer build migrated, and said builds of this version may go on beside it (a rolling upgrade).
            return Ok(());
        }
        return Err(backend(format!(
            "the PostgreSQL database has schema version {found}, newer than this build supports ({SCHEMA_VERSION}), and \
             builds before schema version {compatible_from} may not share it; use a newer baton"
        )));
    }
    let found = usize::try_from(found).map_err(|_| backend(format!("invalid schema version {found}")))?;
    for (version, migration) in (1..).zip(MIGRATIONS.iter()).skip(found).take_while(|(v, _)| *v <= target) {
        conn.batch(migration.sql)
            .await
            .map_err(|e| backend(format!("migration {version} of the PostgreSQL database failed: {e}")))?;
        let raised = if migration.older_builds_may_share { None } else { Some(i64::from(version)) };
        conn.execute(
            "UPDATE baton_schema SET version = $1, compatible_from = coalesce($2, compatible_from, $1)",
            &[&i64::from(version), &raised],
        )
        .await
        .map_err(db)?;
    }
    Ok(())
}
