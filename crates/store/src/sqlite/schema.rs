//! The SQLite schema, its forward-only migrations, and how connections are configured.
//!
//! `PRAGMA user_version` holds the number of migrations applied. Migrations only ever get appended to
//! `MIGRATIONS`; a database whose version is above `SCHEMA_VERSION` was written by a newer Baton and is refused.
//!
//! Layout notes (the write path is the hot path):
//! - `executions.seq` is the rowid: events and triggers refer to it (8 bytes) instead of the ARN, and
//!   "newest first" is `ORDER BY seq DESC` on indexes, which end with the rowid implicitly.
//! - `events` and `triggers` are rowid tables in the order they were written, found by execution through a unique
//!   index on `(execution, id)` / `(execution, seq)` (V11): a group commit's rows fill consecutive pages instead of
//!   dirtying a page per execution (V1 clustered them by execution, `WITHOUT ROWID`). An `events` row holds a step's
//!   consecutive events (V12), keyed by the last one's id.
//! - There are no foreign keys on `events`/`triggers`: the single writer checks the execution in the same
//!   transaction, and a foreign key would add a lookup per event.
//! - Small columns come before large ones so status checks do not read overflow pages.

use std::time::Duration;

use rusqlite::Connection;

use crate::Error;
use crate::sqlite::{Location, backend, db};

/// The schema version this build writes: the number of migrations.
pub const SCHEMA_VERSION: u32 = 12;

const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12];

const V1: &str = "
CREATE TABLE state_machines (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    description TEXT,
    logging_configuration TEXT,
    tracing_configuration TEXT,
    tags TEXT NOT NULL,
    definition TEXT NOT NULL
) STRICT;

CREATE TABLE executions (
    seq INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    kind TEXT NOT NULL,
    start INTEGER NOT NULL,
    stop INTEGER,
    name TEXT NOT NULL,
    state_machine_arn TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    trace_header TEXT,
    error TEXT,
    cause TEXT,
    output TEXT,
    input TEXT NOT NULL,
    definition TEXT NOT NULL
) STRICT;
CREATE INDEX executions_by_machine ON executions (state_machine_arn);
CREATE INDEX executions_by_machine_status ON executions (state_machine_arn, status);
CREATE INDEX executions_running ON executions (status) WHERE status = 'RUNNING';

CREATE TABLE events (
    execution INTEGER NOT NULL,
    id INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (execution, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE triggers (
    execution INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (execution, seq)
) STRICT, WITHOUT ROWID;
";

/// Versions and aliases; executions remember the version and alias they were started through.
///
/// `state_machines.last_version` is the highest version number the machine ever had, so numbers are not reused after
/// a delete. `aliases.routing` is a JSON array of `[version ARN, weight]` pairs.
const V2: &str = "
ALTER TABLE state_machines ADD COLUMN last_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN version_arn TEXT;
ALTER TABLE executions ADD COLUMN alias_arn TEXT;

CREATE TABLE versions (
    seq INTEGER PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    number INTEGER NOT NULL,
    revision_id TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    created INTEGER NOT NULL,
    description TEXT,
    definition TEXT NOT NULL,
    UNIQUE (state_machine_arn, number)
) STRICT;
CREATE INDEX versions_by_revision ON versions (state_machine_arn, revision_id);

CREATE TABLE aliases (
    seq INTEGER PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    description TEXT,
    routing TEXT NOT NULL
) STRICT;
CREATE INDEX aliases_by_machine ON aliases (state_machine_arn);
";

/// Activities, which were kept in memory (and lost on restart) before.
///
/// `seq` is `AUTOINCREMENT`, as for state machines: activities are deleted and listed in creation order by `seq`, and a
/// reused `seq` would put a new activity behind a page token handed out before. `tags` is a JSON array of
/// `[key, value]` pairs.
const V3: &str = "
CREATE TABLE activities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    tags TEXT NOT NULL
) STRICT;
";

/// Redrives: how many, and the last one's date.
const V4: &str = "
ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN redrive_date INTEGER;
";

/// What recovery checks a replay against, and what retention deletes by.
///
/// `executions.engine_version` is the engine's replay format an execution was written with (0 before it was
/// recorded). Each trigger row records the execution's last event id and the digest of its events after that step
/// (`NULL` for rows written before). `executions_by_stop` finds closed executions past their retention.
const V5: &str = "
ALTER TABLE executions ADD COLUMN engine_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE triggers ADD COLUMN last_event INTEGER;
ALTER TABLE triggers ADD COLUMN digest INTEGER;
CREATE INDEX executions_by_stop ON executions (stop) WHERE stop IS NOT NULL;
";

/// The `encryptionConfiguration` of state machines and activities (JSON text, as the service gives it).
const V6: &str = "
ALTER TABLE state_machines ADD COLUMN encryption_configuration TEXT;
ALTER TABLE activities ADD COLUMN encryption_configuration TEXT;
";

/// Child executions of distributed Maps: the Map Run each belongs to, listed by it (`ListExecutions(mapRunArn)`).
/// Recovery reads running executions without children (`executions_running` is rebuilt to leave them out).
const V7: &str = "
ALTER TABLE executions ADD COLUMN map_run_arn TEXT;
CREATE INDEX executions_by_map_run ON executions (map_run_arn) WHERE map_run_arn IS NOT NULL;
CREATE INDEX executions_by_map_run_status ON executions (map_run_arn, status) WHERE map_run_arn IS NOT NULL;
DROP INDEX executions_running;
CREATE INDEX executions_running ON executions (status) WHERE status = 'RUNNING' AND map_run_arn IS NULL;
";

/// Parked executions: a running execution that only waits for a timer sleeps until `wake_at` (milliseconds since the
/// epoch), out of memory; a step without a park time deletes its row. A table of its own rather than a column of
/// `executions`, whose rows hold the input and definition: parking and waking write a small row, never rewrite a large
/// one. `executions_running` is rebuilt to hold `map_run_arn` too, so that start-up finds the running executions that
/// are not parked from the index and `parked` alone, without reading the rows of the parked ones.
const V8: &str = "
CREATE TABLE parked (
    execution INTEGER PRIMARY KEY,
    wake_at INTEGER NOT NULL
) STRICT;
CREATE INDEX parked_by_wake ON parked (wake_at);
DROP INDEX executions_running;
CREATE INDEX executions_running ON executions (status, map_run_arn) WHERE status = 'RUNNING' AND map_run_arn IS NULL;
";

/// The outbox: messages (status-change events) written with the step that makes them, kept until delivered. `next_try`
/// is when a message is due (0 when written: at once), `attempts` how many tries failed. `outbox_chain` finds the first
/// message of an execution's to a destination (the only one handed out), `outbox_due` the due ones.
const V9: &str = "
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    next_try INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    destination TEXT NOT NULL,
    execution_arn TEXT NOT NULL,
    body TEXT NOT NULL
) STRICT;
CREATE INDEX outbox_chain ON outbox (destination, execution_arn, id);
CREATE INDEX outbox_due ON outbox (next_try);
";

/// The search across state machines (the console's executions page, `read::search_executions`): every column its
/// filters read, in `seq` order (newest first is that order backwards), for the executions that are not a Map Run's
/// children (`map_run_arn`, always null here, is in it so that the planner finds everything in the index). A search
/// walks this index, narrow beside the table whose rows hold inputs and definitions, and reads the table only for the
/// rows it returns.
const V10: &str = "
CREATE INDEX executions_search ON executions (seq, status, start, state_machine_arn, name, map_run_arn)
    WHERE map_run_arn IS NULL;
";

/// Events and triggers in the order they were written (rowid tables), found by execution through an index.
///
/// Clustered on `(execution, id)` (`WITHOUT ROWID`, as V1 made them), every running execution's rows sat on their
/// own leaf page, so a group commit of steps of a thousand executions rewrote a thousand pages of events and as many
/// of triggers, 4 KiB each for a 300-byte event. Appended in rowid order, a batch's rows fill consecutive pages, and
/// only the small index entries land on a page per execution (many executions to a page).
const V11: &str = "
CREATE TABLE events_v11 (execution INTEGER NOT NULL, id INTEGER NOT NULL, json TEXT NOT NULL) STRICT;
INSERT INTO events_v11 (execution, id, json) SELECT execution, id, json FROM events ORDER BY execution, id;
DROP TABLE events;
ALTER TABLE events_v11 RENAME TO events;
CREATE UNIQUE INDEX events_by_execution ON events (execution, id);
CREATE TABLE triggers_v11 (
    execution INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    json TEXT NOT NULL,
    last_event INTEGER,
    digest INTEGER
) STRICT;
INSERT INTO triggers_v11 (execution, seq, json, last_event, digest)
    SELECT execution, seq, json, last_event, digest FROM triggers ORDER BY execution, seq;
DROP TABLE triggers;
ALTER TABLE triggers_v11 RENAME TO triggers;
CREATE UNIQUE INDEX triggers_by_execution ON triggers (execution, seq);
";

/// An `events` row may hold several consecutive events of one step, separated by newlines, and is keyed by its last
/// event's id (`rows::event_rows`): a step of 42 events was 42 rows and 42 index entries, the writer's largest cost
/// after its commit. A row of one event reads as before, so older rows stay as they are; the version only keeps an
/// older Baton, which would read a row of several events as one, from opening the database.
const V12: &str = "-- events rows hold one or more events";

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens the writer's connection: WAL (on disk), `synchronous=FULL`, foreign keys, a busy timeout.
pub(crate) fn open_writer(location: &Location) -> Result<Connection, Error> {
    let conn = location.connect()?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
    if let Location::File(_) = location {
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(backend(format!(
                "cannot switch {location} to WAL mode: journal mode is {mode}"
            )));
        }
    }
    // A 64 MiB page cache keeps a 1,000-step transaction from spilling to the WAL before it commits. A group
    // commit writes hundreds of pages, past SQLite's default checkpoint threshold of 1,000 pages, so nearly every
    // commit ran a checkpoint inside it, writing its pages twice with more fsyncs; checkpointing every 20,000 pages
    // (about 80 MiB of WAL) writes them mostly once. Durability is the same: the WAL is fsynced at each commit.
    // The WAL is truncated back to 64 MiB after a checkpoint that emptied it, so a burst does not leave a large file.
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; \
         PRAGMA wal_autocheckpoint = 20000; PRAGMA journal_size_limit = 67108864;",
    )
    .map_err(db)?;
    stable_plans(&conn)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// Opens a read-only connection for the pool.
pub(crate) fn open_reader(location: &Location) -> Result<Connection, Error> {
    let conn = location.connect()?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA foreign_keys = ON;")
        .map_err(db)?;
    stable_plans(&conn)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

/// Turns on the query planner stability guarantee: plans never depend on bound values.
///
/// Without it the bundled SQLite (built with STAT4) re-prepares statements such as
/// `… WHERE execution = ?1 ORDER BY id DESC LIMIT 1` whenever `?1` changes, which cost a quarter of the writer's
/// time. `tests::hot_statements_are_prepared_once` holds this.
fn stable_plans(conn: &Connection) -> Result<(), Error> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(db)?;
    Ok(())
}

/// Applies the migrations the database lacks, in one transaction, after checking the database's integrity.
pub(crate) fn migrate(conn: &mut Connection, location: &Location) -> Result<(), Error> {
    check_integrity(conn, &location.to_string())?;
    migrate_to(conn, location, SCHEMA_VERSION)
}

/// SQLite's `quick_check`: `Error::Damaged` with what it found, unless the database is sound.
pub(crate) fn check_integrity(conn: &Connection, name: &str) -> Result<(), Error> {
    let damaged = |found: String| {
        Error::Damaged(format!(
            "the database {name} is damaged ({found}); Baton will not run on it. Restore a copy made by `baton backup`, \
             or move the data directory away to start empty"
        ))
    };
    let mut statement = conn.prepare("PRAGMA quick_check(5)").map_err(|e| damaged(e.to_string()))?;
    let problems = statement
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
        .map_err(|e| damaged(e.to_string()))?;
    if problems.len() == 1 && problems.first().is_some_and(|p| p == "ok") {
        Ok(())
    } else {
        Err(damaged(problems.join("; ")))
    }
}

/// Applies the migrations up to `target`; tests use it to build a database of an older schema.
pub(crate) fn migrate_to(conn: &mut Connection, location: &Location, target: u32) -> Result<(), Error> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let found: u32 = tx.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(db)?;
    if found > SCHEMA_VERSION {
        return Err(backend(format!(
            "database {location} has schema version {found}, newer than this build supports ({SCHEMA_VERSION}); \
             use a newer baton"
        )));
    }
    for (version, sql) in (1..).zip(MIGRATIONS.iter()).skip(found as usize).take_while(|(v, _)| *v <= target) {
        tx.execute_batch(sql)
            .map_err(|e| backend(format!("migration {version} of {location} failed: {e}")))?;
        tx.pragma_update(None, "user_version", version).map_err(db)?;
    }
    tx.commit().map_err(db)
}
