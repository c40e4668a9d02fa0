//! Reads: a small pool of read-only connections and the queries they run (blocking; callers use `spawn_blocking`).
//!
//! A read that runs several queries does so in one read transaction, so it sees one snapshot.

use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use crate::sqlite::rows::{self, ACTIVITY_COLUMNS, ALIAS_COLUMNS, EXECUTION_COLUMNS, List, MACHINE_COLUMNS, VERSION_COLUMNS, fetch, paginate};
use crate::sqlite::{Location, db, schema};
use crate::{
    Activity, Alias, Error, Event, Execution, ExecutionFilter, Gauges, Outbound, Page, PageRequest, Parked, Recovered,
    Search, StateMachine, Version,
};

/// The executions start-up resumes: running, not a Map Run's child (those run with their parents), not parked.
const AWAKE: &str =
    "e.status = 'RUNNING' AND e.map_run_arn IS NULL AND NOT EXISTS (SELECT 1 FROM parked p WHERE p.execution = e.seq)";

/// Idle connections kept for reuse; more are opened when reads overlap, and closed after.
const MAX_IDLE: usize = 8;

pub(crate) struct Pool {
    location: Location,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    pub(crate) fn new(location: Location) -> Pool {
        Pool {
            location,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` with a pooled connection, returning it to the pool afterwards.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, Error>) -> Result<T, Error> {
        let pooled = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => schema::open_reader(&self.location)?,
        };
        let result = f(&mut conn);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        result
    }
}

pub(crate) fn state_machine(conn: &mut Connection, arn: &str) -> Result<Option<StateMachine>, Error> {
    let sql = format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE arn = ?1");
    let row = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row([arn], rows::machine).optional());
    Ok(row.map_err(db)?.map(|(_, machine)| machine))
}

pub(crate) fn list_state_machines(conn: &mut Connection, page: &PageRequest) -> Result<Page<StateMachine>, Error> {
    let after = rows::decode_token(List::StateMachines, page)?.unwrap_or(0);
    let limit = rows::limit(page);
    let sql = format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    let items = collect(conn, &sql, params![after, fetch(limit)], rows::machine)?;
    Ok(paginate(items, limit, List::StateMachines))
}

pub(crate) fn execution(conn: &mut Connection, arn: &str) -> Result<Option<Execution>, Error> {
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1");
    let row = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row([arn], rows::execution).optional());
    Ok(row.map_err(db)?.map(|(_, execution)| execution))
}

pub(crate) fn list_executions(
    conn: &mut Connection,
    machine: &str,
    filter: &ExecutionFilter,
    page: &PageRequest,
) -> Result<Page<Execution>, Error> {
    list_by(conn, "state_machine_arn", machine, filter, page)
}

pub(crate) fn list_map_run_executions(
    conn: &mut Connection,
    map_run: &str,
    filter: &ExecutionFilter,
    page: &PageRequest,
) -> Result<Page<Execution>, Error> {
    list_by(conn, "map_run_arn", map_run, filter, page)
}

/// Executions whose `column` (the state machine's or the Map Run's ARN) is `value`, newest first.
fn list_by(
    conn: &mut Connection,
    column: &str,
    value: &str,
    filter: &ExecutionFilter,
    page: &PageRequest,
) -> Result<Page<Execution>, Error> {
    let before = rows::decode_token(List::Executions, page)?.unwrap_or(i64::MAX);
    let limit = rows::limit(page);
    // ?1 the machine, ?2 the page's end, ?3 its size; the optional filters follow. A version ARN never equals an alias
    // ARN, so one test serves both.
    let mut sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE {column} = ?1 AND seq < ?2");
    let mut values: Vec<Box<dyn rusqlite::ToSql>> =
        vec![Box::new(value.to_owned()), Box::new(before), Box::new(fetch(limit))];
    if let Some(status) = filter.status {
        values.push(Box::new(rows::status_str(status)));
        sql.push_str(&format!(" AND status = ?{}", values.len()));
    }
    if let Some(arn) = &filter.started_with {
        values.push(Box::new(arn.clone()));
        sql.push_str(&format!(" AND (version_arn = ?{n} OR alias_arn = ?{n})", n = values.len()));
    }
    match filter.redriven {
        Some(true) => sql.push_str(" AND redrive_count > 0"),
        Some(false) => sql.push_str(" AND redrive_count = 0"),
        None => {}
    }
    sql.push_str(" ORDER BY seq DESC LIMIT ?3");
    let items = collect(conn, &sql, rusqlite::params_from_iter(values), rows::execution)?;
    Ok(paginate(items, limit, List::Executions))
}

/// Executions of any state machine that pass `search`, newest first, Map Run children aside.
///
/// `map_run_arn IS NULL` lets the planner use `executions_search` (schema version 10), which holds every column the
/// filters read in `seq` order: the inner query walks that index alone from the page's end, and the outer one reads
/// from the table only the rows of the page. A state machine's own indexes may serve a search of one machine.
pub(crate) fn search_executions(conn: &mut Connection, search: &Search, page: &PageRequest) -> Result<Page<Execution>, Error> {
    let before = rows::decode_token(List::Search, page)?.unwrap_or(i64::MAX);
    let limit = rows::limit(page);
    // ?1 the page's end, ?2 its size; the filters given follow.
    let mut sql = "SELECT seq FROM executions WHERE map_run_arn IS NULL AND seq < ?1".to_owned();
    let mut values: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(before), Box::new(fetch(limit))];
    let mut bind = |value: Box<dyn rusqlite::ToSql>| {
        values.push(value);
        values.len()
    };
    if let Some(prefix) = &search.machine_prefix {
        let length = i64::try_from(prefix.chars().count()).unwrap_or(i64::MAX);
        let (n, p) = (bind(Box::new(length)), bind(Box::new(prefix.clone())));
        sql.push_str(&format!(" AND substr(state_machine_arn, 1, ?{n}) = ?{p}"));
    }
    if let Some(machine) = &search.state_machine_arn {
        sql.push_str(&format!(" AND state_machine_arn = ?{}", bind(Box::new(machine.clone()))));
    }
    if let Some(text) = &search.name_contains {
        sql.push_str(&format!(" AND instr(name, ?{}) > 0", bind(Box::new(text.clone()))));
    }
    if let Some(status) = search.status {
        sql.push_str(&format!(" AND status = ?{}", bind(Box::new(rows::status_str(status)))));
    }
    if let Some(from) = search.started_from {
        sql.push_str(&format!(" AND start >= ?{}", bind(Box::new(from))));
    }
    if let Some(before) = search.started_before {
        sql.push_str(&format!(" AND start < ?{}", bind(Box::new(before))));
    }
    // Which rows, from the index alone, then those rows.
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE seq IN ({sql} ORDER BY seq DESC LIMIT ?2) ORDER BY seq DESC");
    let items = collect(conn, &sql, rusqlite::params_from_iter(values), rows::execution)?;
    Ok(paginate(items, limit, List::Search))
}

pub(crate) fn history(
    conn: &mut Connection,
    arn: &str,
    reverse: bool,
    page: &PageRequest,
) -> Result<Page<Event>, Error> {
    let list = if reverse { List::HistoryReverse } else { List::HistoryForward };
    let after = rows::decode_token(list, page)?;
    let limit = rows::limit(page);
    let tx = conn.transaction().map_err(db)?;
    let seq: Option<i64> = tx
        .prepare_cached("SELECT seq FROM executions WHERE arn = ?1")
        .and_then(|mut s| s.query_row([arn], |row| row.get(0)).optional())
        .map_err(db)?;
    let Some(seq) = seq else {
        return Err(Error::NotFound(arn.to_owned()));
    };
    // A row holds one or more events and is keyed by its last one's id (`rows::event_rows`); every row holds an
    // event, so `limit + 1` rows hold the `limit + 1` events a page needs.
    let row = |row: &rusqlite::Row<'_>| -> rusqlite::Result<(u64, String)> {
        let last: i64 = row.get(0)?;
        let last = u64::try_from(last).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, last))?;
        Ok((last, row.get(1)?))
    };
    let mut events = Vec::new();
    if reverse {
        let before = after.unwrap_or(i64::MAX);
        // The row holding the event just before `before` may end after it.
        let straddling = tx
            .prepare_cached("SELECT id, json FROM events WHERE execution = ?1 AND id >= ?2 ORDER BY id LIMIT 1")
            .and_then(|mut s| s.query_row(params![seq, before], row).optional())
            .map_err(db)?;
        let sql = "SELECT id, json FROM events WHERE execution = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3";
        let older = collect(&tx, sql, params![seq, before, fetch(limit)], row)?;
        let bound = u64::try_from(before).unwrap_or(0);
        for (last, text) in straddling.into_iter().chain(older) {
            events.extend(rows::row_events(last, text)?.into_iter().rev().filter(|e| e.id < bound));
            if events.len() > limit {
                break;
            }
        }
    } else {
        let after = after.unwrap_or(0);
        let bound = u64::try_from(after).unwrap_or(0);
        let sql = "SELECT id, json FROM events WHERE execution = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
        for (last, text) in collect(&tx, sql, params![seq, after, fetch(limit)], row)? {
            events.extend(rows::row_events(last, text)?.into_iter().filter(|e| e.id > bound));
            if events.len() > limit {
                break;
            }
        }
    }
    let items = events.into_iter().map(|event| (i64::try_from(event.id).unwrap_or(i64::MAX), event)).collect();
    Ok(paginate(items, limit, list))
}

/// Every running execution that is not parked, and its triggers: one query per table, merged by `seq`.
pub(crate) fn running(conn: &mut Connection) -> Result<Vec<Recovered>, Error> {
    let tx = conn.transaction().map_err(db)?;
    // Child executions run with their parents, which recovery resumes.
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions e WHERE {AWAKE} ORDER BY e.seq");
    let executions = collect(&tx, &sql, [], rows::execution)?;
    let sql = format!(
        "SELECT t.execution, t.json, t.last_event, t.digest FROM executions e JOIN triggers t ON t.execution = e.seq \
         WHERE {AWAKE} ORDER BY e.seq, t.seq"
    );
    let triggers = collect(
        &tx,
        &sql,
        [],
        |row| Ok((row.get::<_, i64>(0)?, Trigger { json: row.get(1)?, last_event: row.get(2)?, digest: row.get(3)? })),
    )?;
    let mut triggers = triggers.into_iter().peekable();
    let mut recovered = Vec::with_capacity(executions.len());
    for (seq, execution) in executions {
        let mut mine = Vec::new();
        while let Some((_, trigger)) = triggers.next_if(|(owner, _)| *owner <= seq) {
            mine.push(trigger);
        }
        recovered.push(recover(&tx, seq, execution, mine, None)?);
    }
    Ok(recovered)
}

/// The ARNs of the running executions that are not parked, oldest first.
pub(crate) fn running_arns(conn: &mut Connection) -> Result<Vec<String>, Error> {
    let sql = format!("SELECT e.arn FROM executions e WHERE {AWAKE} ORDER BY e.seq");
    collect(conn, &sql, [], |row| row.get::<_, String>(0))
}

/// At most `limit` parked executions due at `before`, by wake time and then `seq`, after `after`.
pub(crate) fn due(conn: &mut Connection, before: i64, after: Option<Parked>, limit: usize) -> Result<Vec<Parked>, Error> {
    let (wake_at, seq) = after.map_or((i64::MIN, i64::MIN), |p| (p.wake_at, p.position));
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    collect(
        conn,
        "SELECT e.arn, p.wake_at, p.execution FROM parked p JOIN executions e ON e.seq = p.execution \
         WHERE p.wake_at <= ?1 AND (p.wake_at, p.execution) > (?2, ?3) ORDER BY p.wake_at, p.execution LIMIT ?4",
        params![before, wake_at, seq, limit],
        |row| Ok(Parked { execution_arn: row.get(0)?, wake_at: row.get(1)?, position: row.get(2)? }),
    )
}

/// How many executions are parked (SQLite has no inbox), and the bytes of the pages in use: the database as this
/// connection sees it (the write-ahead log's frames included) less its free pages.
pub(crate) fn gauges(conn: &mut Connection) -> Result<Gauges, Error> {
    let parked: i64 = conn.prepare_cached("SELECT count(*) FROM parked").and_then(|mut s| s.query_row([], |row| row.get(0))).map_err(db)?;
    let pragma = |conn: &mut Connection, name: &str| -> Result<i64, Error> {
        conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0)).map_err(db)
    };
    let pages = pragma(conn, "page_count")? - pragma(conn, "freelist_count")?;
    let bytes = pages.saturating_mul(pragma(conn, "page_size")?);
    Ok(Gauges { parked: u64::try_from(parked).unwrap_or(0), inbox: 0, activity_tasks: Vec::new(), bytes: u64::try_from(bytes).unwrap_or(0) })
}

/// At most `limit` outbox messages for `destinations` due at `now`, each the first left of its execution's to its
/// destination, oldest due first.
pub(crate) fn outbox_due(conn: &mut Connection, destinations: &str, now: i64, limit: usize) -> Result<Vec<Outbound>, Error> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    collect(
        conn,
        "SELECT o.id, o.destination, o.execution_arn, o.body, o.attempts FROM outbox o \
         WHERE o.next_try <= ?2 AND o.destination IN (SELECT value FROM json_each(?1)) \
         AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.destination = o.destination \
         AND p.execution_arn = o.execution_arn AND p.id < o.id) \
         ORDER BY o.next_try, o.id LIMIT ?3",
        params![destinations, now, limit],
        |row| {
            Ok(Outbound {
                id: row.get(0)?,
                destination: row.get(1)?,
                execution_arn: row.get(2)?,
                body: row.get(3)?,
                attempts: row.get(4)?,
            })
        },
    )
}

/// One execution with all its triggers in order, whatever its status.
pub(crate) fn recovered(conn: &mut Connection, arn: &str) -> Result<Option<Recovered>, Error> {
    let tx = conn.transaction().map_err(db)?;
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = ?1");
    let Some((seq, execution)) = collect(&tx, &sql, [arn], rows::execution)?.into_iter().next() else { return Ok(None) };
    let triggers = collect(
        &tx,
        "SELECT json, last_event, digest FROM triggers WHERE execution = ?1 ORDER BY seq",
        [seq],
        |row| Ok(Trigger { json: row.get(0)?, last_event: row.get(1)?, digest: row.get(2)? }),
    )?;
    let parked: Option<i64> = tx
        .prepare_cached("SELECT wake_at FROM parked WHERE execution = ?1")
        .and_then(|mut s| s.query_row([seq], |row| row.get(0)).optional())
        .map_err(db)?;
    recover(&tx, seq, execution, triggers, parked).map(Some)
}

/// A stored trigger row.
struct Trigger {
    json: String,
    last_event: Option<i64>,
    digest: Option<i64>,
}

/// An execution with its trigger rows as recovery needs it: the last event id and digest come from the last trigger
/// row, or (for rows written before they were recorded) from the events themselves, without a digest.
fn recover(
    conn: &Connection,
    seq: i64,
    execution: Execution,
    triggers: Vec<Trigger>,
    parked: Option<i64>,
) -> Result<Recovered, Error> {
    let (last_event, digest) = match triggers.last() {
        Some(Trigger { last_event: Some(last), digest, .. }) => (*last, *digest),
        _ => {
            let last: Option<i64> = conn
                .prepare_cached("SELECT id FROM events WHERE execution = ?1 ORDER BY id DESC LIMIT 1")
                .and_then(|mut s| s.query_row([seq], |row| row.get(0)).optional())
                .map_err(db)?;
            (last.unwrap_or(0), None)
        }
    };
    let last_event = u64::try_from(last_event).map_err(|_| Error::Backend(format!("stored event id out of range: {last_event}").into()))?;
    Ok(Recovered {
        execution,
        triggers: triggers.into_iter().map(|trigger| trigger.json).collect(),
        last_event,
        // The digest is stored as its bits.
        digest: digest.map(|bits| bits as u64),
        // One process owns a SQLite store: nobody claims its executions.
        owner: None,
        epoch: 0,
        parked,
    })
}

pub(crate) fn version(conn: &mut Connection, machine: &str, number: u64) -> Result<Option<Version>, Error> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE state_machine_arn = ?1 AND number = ?2");
    let number = rows::sql_id(number)?;
    let row = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row(params![machine, number], rows::version).optional());
    Ok(row.map_err(db)?.map(|(_, version)| version))
}

/// The version published for a revision of a machine, if any.
pub(crate) fn version_of_revision(conn: &mut Connection, machine: &str, revision: &str) -> Result<Option<Version>, Error> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE state_machine_arn = ?1 AND revision_id = ?2");
    let row = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row(params![machine, revision], rows::version).optional());
    Ok(row.map_err(db)?.map(|(_, version)| version))
}

pub(crate) fn list_versions(conn: &mut Connection, machine: &str, page: &PageRequest) -> Result<Page<Version>, Error> {
    let before = rows::decode_token(List::Versions, page)?.unwrap_or(i64::MAX);
    let limit = rows::limit(page);
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM versions WHERE state_machine_arn = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3"
    );
    let items = collect(conn, &sql, params![machine, before, fetch(limit)], rows::version)?;
    Ok(paginate(items, limit, List::Versions))
}

pub(crate) fn alias(conn: &mut Connection, arn: &str) -> Result<Option<Alias>, Error> {
    let sql = format!("SELECT {ALIAS_COLUMNS} FROM aliases WHERE arn = ?1");
    let row = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row([arn], rows::alias).optional());
    Ok(row.map_err(db)?.map(|(_, alias)| alias))
}

pub(crate) fn list_aliases(conn: &mut Connection, machine: &str, page: &PageRequest) -> Result<Page<Alias>, Error> {
    let after = rows::decode_token(List::Aliases, page)?.unwrap_or(0);
    let limit = rows::limit(page);
    let sql = format!(
        "SELECT {ALIAS_COLUMNS} FROM aliases WHERE state_machine_arn = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
    );
    let items = collect(conn, &sql, params![machine, after, fetch(limit)], rows::alias)?;
    Ok(paginate(items, limit, List::Aliases))
}

pub(crate) fn activity(conn: &mut Connection, arn: &str) -> Result<Option<Activity>, Error> {
    let sql = format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE arn = ?1");
    let row = conn
        .prepare_cached(&sql)
        .and_then(|mut s| s.query_row([arn], rows::activity).optional());
    Ok(row.map_err(db)?.map(|(_, activity)| activity))
}

pub(crate) fn list_activities(conn: &mut Connection, page: &PageRequest) -> Result<Page<Activity>, Error> {
    let after = rows::decode_token(List::Activities, page)?.unwrap_or(0);
    let limit = rows::limit(page);
    let sql = format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    let items = collect(conn, &sql, params![after, fetch(limit)], rows::activity)?;
    Ok(paginate(items, limit, List::Activities))
}

fn collect<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, Error> {
    let mut statement = conn.prepare_cached(sql).map_err(db)?;
    let rows = statement.query_map(params, map).map_err(db)?;
    rows.collect::<rusqlite::Result<Vec<T>>>().map_err(db)
}

