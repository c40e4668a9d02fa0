//! Reads: the queries a pooled connection runs. A read of several queries runs them in one read-only
//! `REPEATABLE READ` transaction, so it sees one snapshot.

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::postgres::rows::{
    self, ACTIVITY_COLUMNS, ALIAS_COLUMNS, EXECUTION_COLUMNS, List, MACHINE_COLUMNS, VERSION_COLUMNS, fetch, paginate,
};
use crate::postgres::{Conn, backend, db};
use crate::{
    Activity, Alias, Error, Event, Execution, ExecutionFilter, Gauges, Page, PageRequest, Parked, Recovered, Search,
    StateMachine, Version,
};

/// The executions start-up resumes: running, not a Map Run's child (those run with their parents), not parked.
const AWAKE: &str = "e.status = 'RUNNING' AND e.map_run_arn IS NULL \
     AND NOT EXISTS (SELECT 1 FROM parked p WHERE p.execution = e.seq)";

pub(crate) async fn state_machine(conn: &mut Conn, arn: &str) -> Result<Option<StateMachine>, Error> {
    let sql = format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE arn = $1");
    one(conn, &sql, &[&arn], rows::machine).await.map(|found| found.map(|(_, record)| record))
}

pub(crate) async fn list_state_machines(conn: &mut Conn, page: &PageRequest) -> Result<Page<StateMachine>, Error> {
    let after = rows::decode_token(List::StateMachines, page)?.unwrap_or(0);
    let limit = rows::limit(page);
    let sql = format!("SELECT {MACHINE_COLUMNS} FROM state_machines WHERE seq > $1 ORDER BY seq LIMIT $2");
    let items = collect(conn, &sql, &[&after, &fetch(limit)], rows::machine).await?;
    Ok(paginate(items, limit, List::StateMachines))
}

pub(crate) async fn execution(conn: &mut Conn, arn: &str) -> Result<Option<Execution>, Error> {
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = $1");
    one(conn, &sql, &[&arn], rows::execution).await.map(|found| found.map(|(_, record)| record))
}

/// Executions whose `column` (`state_machine_arn` or `map_run_arn`, never caller text) is `value`, newest first.
pub(crate) async fn list_by(
    conn: &mut Conn,
    column: &'static str,
    value: &str,
    filter: &ExecutionFilter,
    page: &PageRequest,
) -> Result<Page<Execution>, Error> {
    let before = rows::decode_token(List::Executions, page)?.unwrap_or(i64::MAX);
    let limit = rows::limit(page);
    let fetched = fetch(limit);
    let status = filter.status.map(rows::status_str);
    // $1 the machine or Map Run, $2 the page's end, $3 its size; the optional filters follow. A version ARN never
    // equals an alias ARN, so one test serves both.
    let mut sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE {column} = $1 AND seq < $2");
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&value, &before, &fetched];
    if let Some(status) = &status {
        params.push(status);
        sql.push_str(&format!(" AND status = ${}", params.len()));
    }
    if let Some(arn) = &filter.started_with {
        params.push(arn);
        sql.push_str(&format!(" AND (version_arn = ${n} OR alias_arn = ${n})", n = params.len()));
    }
    match filter.redriven {
        Some(true) => sql.push_str(" AND redrive_count > 0"),
        Some(false) => sql.push_str(" AND redrive_count = 0"),
        None => {}
    }
    sql.push_str(" ORDER BY seq DESC LIMIT $3");
    let items = collect(conn, &sql, &params, rows::execution).await?;
    Ok(paginate(items, limit, List::Executions))
}

/// Executions of any state machine that pass `search`, newest first, Map Run children aside; `executions_search`
/// (schema version 6) holds what the filters read, as the SQLite store's index does, so the page's rows are found from
/// the index alone and only they are read from the table.
pub(crate) async fn search_executions(conn: &mut Conn, search: &Search, page: &PageRequest) -> Result<Page<Execution>, Error> {
    let before = rows::decode_token(List::Search, page)?.unwrap_or(i64::MAX);
    let limit = rows::limit(page);
    let fetched = fetch(limit);
    let prefix_length = search.machine_prefix.as_ref().map(|prefix| i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX));
    let status = search.status.map(rows::status_str);
    // $1 the page's end, $2 its size; the filters given follow.
    let mut sql = "SELECT seq FROM executions WHERE map_run_arn IS NULL AND seq < $1".to_owned();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&before, &fetched];
    if let (Some(prefix), Some(length)) = (&search.machine_prefix, &prefix_length) {
        params.push(length);
        params.push(prefix);
        sql.push_str(&format!(" AND substr(state_machine_arn, 1, ${}) = ${}", params.len() - 1, params.len()));
    }
    if let Some(machine) = &search.state_machine_arn {
        params.push(machine);
        sql.push_str(&format!(" AND state_machine_arn = ${}", params.len()));
    }
    if let Some(text) = &search.name_contains {
        params.push(text);
        sql.push_str(&format!(" AND strpos(name, ${}) > 0", params.len()));
    }
    if let Some(status) = &status {
        params.push(status);
        sql.push_str(&format!(" AND status = ${}", params.len()));
    }
    if let Some(from) = &search.started_from {
        params.push(from);
        sql.push_str(&format!(" AND start >= ${}", params.len()));
    }
    if let Some(before) = &search.started_before {
        params.push(before);
        sql.push_str(&format!(" AND start < ${}", params.len()));
    }
    // Which rows, from the index alone (an index-only scan), then those rows.
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE seq IN ({sql} ORDER BY seq DESC LIMIT $2) ORDER BY seq DESC");
    let items = collect(conn, &sql, &params, rows::execution).await?;
    Ok(paginate(items, limit, List::Search))
}

pub(crate) async fn history(conn: &mut Conn, arn: &str, reverse: bool, page: &PageRequest) -> Result<Page<Event>, Error> {
    let (list, sql, start) = if reverse {
        let sql = "SELECT id, json FROM events WHERE execution = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
        (List::HistoryReverse, sql, i64::MAX)
    } else {
        let sql = "SELECT id, json FROM events WHERE execution = $1 AND id > $2 ORDER BY id LIMIT $3";
        (List::HistoryForward, sql, 0)
    };
    let after = rows::decode_token(list, page)?.unwrap_or(start);
    let limit = rows::limit(page);
    snapshot(conn).await?;
    let read = async {
        let Some(seq) = one(conn, "SELECT seq FROM executions WHERE arn = $1", &[&arn], |row| {
            row.try_get::<_, i64>(0).map_err(db)
        })
        .await?
        else {
            return Err(Error::NotFound(arn.to_owned()));
        };
        collect(conn, sql, &[&seq, &after, &fetch(limit)], |row| {
            let id: i64 = row.try_get(0).map_err(db)?;
            Ok((id, Event { id: rows::unsigned(row, 0)?, json: row.try_get(1).map_err(db)? }))
        })
        .await
    }
    .await;
    end(conn, read).await.map(|items| paginate(items, limit, list))
}

/// Every running execution that is not parked (children aside: they run with their parents) and its triggers.
pub(crate) async fn running(conn: &mut Conn) -> Result<Vec<Recovered>, Error> {
    snapshot(conn).await?;
    let read = async {
        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions e WHERE {AWAKE} ORDER BY e.seq");
        let executions = collect(conn, &sql, &[], rows::execution).await?;
        let sql = format!(
            "SELECT t.execution, t.json, t.last_event, t.digest FROM executions e JOIN triggers t ON t.execution = e.seq \
             WHERE {AWAKE} ORDER BY e.seq, t.seq"
        );
        let triggers = collect(
            conn,
            &sql,
            &[],
            |row| Ok((row.try_get::<_, i64>(0).map_err(db)?, trigger(row, 1)?)),
        )
        .await?;
        let mut triggers = triggers.into_iter().peekable();
        let mut recovered = Vec::with_capacity(executions.len());
        for (seq, execution) in executions {
            let mut mine = Vec::new();
            while let Some((_, trigger)) = triggers.next_if(|(owner, _)| *owner <= seq) {
                mine.push(trigger);
            }
            recovered.push(recover(conn, seq, execution, mine, None).await?);
        }
        Ok(recovered)
    }
    .await;
    end(conn, read).await
}

/// The ARNs of the running executions that are not parked, oldest first.
pub(crate) async fn running_arns(conn: &mut Conn) -> Result<Vec<String>, Error> {
    let sql = format!("SELECT e.arn FROM executions e WHERE {AWAKE} ORDER BY e.seq");
    collect(conn, &sql, &[], |row| row.try_get::<_, String>(0).map_err(db)).await
}

/// At most `limit` parked executions due at `before`, by wake time and then `seq`, after `after`.
pub(crate) async fn due(conn: &mut Conn, before: i64, after: Option<Parked>, limit: usize) -> Result<Vec<Parked>, Error> {
    let (wake_at, seq) = after.map_or((i64::MIN, i64::MIN), |p| (p.wake_at, p.position));
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    collect(
        conn,
        "SELECT e.arn, p.wake_at, p.execution FROM parked p JOIN executions e ON e.seq = p.execution \
         WHERE p.wake_at <= $1 AND (p.wake_at, p.execution) > ($2, $3) ORDER BY p.wake_at, p.execution LIMIT $4",
        &[&before, &wake_at, &seq, &limit],
        |row| {
            Ok(Parked {
                execution_arn: row.try_get(0).map_err(db)?,
                wake_at: row.try_get(1).map_err(db)?,
                position: row.try_get(2).map_err(db)?,
            })
        },
    )
    .await
}

/// How many executions are parked and how many inbox messages wait for their answer.
pub(crate) async fn gauges(conn: &mut Conn) -> Result<Gauges, Error> {
    let sql = "SELECT (SELECT count(*) FROM parked), (SELECT count(*) FROM baton_inbox WHERE answer IS NULL), \
               pg_database_size(current_database())";
    let counts = one(conn, sql, &[], |row| {
        let parked: i64 = row.try_get(0).map_err(db)?;
        let inbox: i64 = row.try_get(1).map_err(db)?;
        let bytes: i64 = row.try_get(2).map_err(db)?;
        Ok((u64::try_from(parked).unwrap_or(0), u64::try_from(inbox).unwrap_or(0), u64::try_from(bytes).unwrap_or(0)))
    })
    .await?;
    let (parked, inbox, bytes) = counts.unwrap_or_default();
    let sql = "SELECT activity_arn, count(*) FROM baton_activity_tasks WHERE NOT taken GROUP BY activity_arn";
    let activity_tasks = collect(conn, sql, &[], |row| {
        let waiting: i64 = row.try_get(1).map_err(db)?;
        Ok((row.try_get(0).map_err(db)?, u64::try_from(waiting).unwrap_or(0)))
    })
    .await?;
    Ok(Gauges { parked, inbox, activity_tasks, bytes })
}

/// One execution with all its triggers in order, whatever its status.
pub(crate) async fn recovered(conn: &mut Conn, arn: &str) -> Result<Option<Recovered>, Error> {
    snapshot(conn).await?;
    let read = async {
        let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE arn = $1");
        let Some((seq, execution)) = one(conn, &sql, &[&arn], rows::execution).await? else { return Ok(None) };
        let triggers = collect(
            conn,
            "SELECT json, last_event, digest FROM triggers WHERE execution = $1 ORDER BY seq",
            &[&seq],
            |row| trigger(row, 0),
        )
        .await?;
        let parked = one(conn, "SELECT wake_at FROM parked WHERE execution = $1", &[&seq], |row| {
            row.try_get::<_, i64>(0).map_err(db)
        })
        .await?;
        recover(conn, seq, execution, triggers, parked).await.map(Some)
    }
    .await;
    end(conn, read).await
}

/// A stored trigger row.
struct Trigger {
    json: String,
    last_event: Option<i64>,
    digest: Option<i64>,
}

/// The trigger whose columns (json, last_event, digest) start at `from`.
fn trigger(row: &Row, from: usize) -> Result<Trigger, Error> {
    Ok(Trigger {
        json: row.try_get(from).map_err(db)?,
        last_event: row.try_get(from + 1).map_err(db)?,
        digest: row.try_get(from + 2).map_err(db)?,
    })
}

/// An execution with its trigger rows as recovery needs it: the last event id and digest come from the last trigger
/// row (this store always records them), or from the events when it has none.
async fn recover(
    conn: &mut Conn,
    seq: i64,
    execution: Execution,
    triggers: Vec<Trigger>,
    parked: Option<i64>,
) -> Result<Recovered, Error> {
    let (last_event, digest) = match triggers.last() {
        Some(Trigger { last_event: Some(last), digest, .. }) => (*last, *digest),
        _ => {
            let last = one(conn, "SELECT coalesce(max(id), 0) FROM events WHERE execution = $1", &[&seq], |row| {
                row.try_get::<_, i64>(0).map_err(db)
            })
            .await?;
            (last.unwrap_or(0), None)
        }
    };
    let last_event =
        u64::try_from(last_event).map_err(|_| backend(format!("stored event id out of range: {last_event}")))?;
    let held = one(conn, "SELECT owner, epoch FROM executions WHERE seq = $1", &[&seq], |row| {
        Ok((row.try_get::<_, Option<String>>(0).map_err(db)?, row.try_get::<_, i64>(1).map_err(db)?))
    })
    .await?;
    let (owner, epoch) = held.unwrap_or((None, 0));
    Ok(Recovered {
        execution,
        triggers: triggers.into_iter().map(|trigger| trigger.json).collect(),
        last_event,
        // The digest is stored as its bits.
        digest: digest.map(|bits| bits as u64),
        owner,
        epoch: u64::try_from(epoch).unwrap_or(0),
        parked,
    })
}

pub(crate) async fn version(conn: &mut Conn, machine: &str, number: u64) -> Result<Option<Version>, Error> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE state_machine_arn = $1 AND number = $2");
    let number = rows::sql_id(number)?;
    one(conn, &sql, &[&machine, &number], rows::version).await.map(|found| found.map(|(_, record)| record))
}

/// The version published for a revision of a machine, if any.
pub(crate) async fn version_of_revision(conn: &mut Conn, machine: &str, revision: &str) -> Result<Option<Version>, Error> {
    let sql = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE state_machine_arn = $1 AND revision_id = $2");
    one(conn, &sql, &[&machine, &revision], rows::version).await.map(|found| found.map(|(_, record)| record))
}

pub(crate) async fn list_versions(conn: &mut Conn, machine: &str, page: &PageRequest) -> Result<Page<Version>, Error> {
    let before = rows::decode_token(List::Versions, page)?.unwrap_or(i64::MAX);
    let limit = rows::limit(page);
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM versions WHERE state_machine_arn = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
    );
    let items = collect(conn, &sql, &[&machine, &before, &fetch(limit)], rows::version).await?;
    Ok(paginate(items, limit, List::Versions))
}

pub(crate) async fn alias(conn: &mut Conn, arn: &str) -> Result<Option<Alias>, Error> {
    let sql = format!("SELECT {ALIAS_COLUMNS} FROM aliases WHERE arn = $1");
    one(conn, &sql, &[&arn], rows::alias).await.map(|found| found.map(|(_, record)| record))
}

pub(crate) async fn list_aliases(conn: &mut Conn, machine: &str, page: &PageRequest) -> Result<Page<Alias>, Error> {
    let after = rows::decode_token(List::Aliases, page)?.unwrap_or(0);
    let limit = rows::limit(page);
    let sql =
        format!("SELECT {ALIAS_COLUMNS} FROM aliases WHERE state_machine_arn = $1 AND seq > $2 ORDER BY seq LIMIT $3");
    let items = collect(conn, &sql, &[&machine, &after, &fetch(limit)], rows::alias).await?;
    Ok(paginate(items, limit, List::Aliases))
}

pub(crate) async fn activity(conn: &mut Conn, arn: &str) -> Result<Option<Activity>, Error> {
    let sql = format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE arn = $1");
    one(conn, &sql, &[&arn], rows::activity).await.map(|found| found.map(|(_, record)| record))
}

pub(crate) async fn list_activities(conn: &mut Conn, page: &PageRequest) -> Result<Page<Activity>, Error> {
    let after = rows::decode_token(List::Activities, page)?.unwrap_or(0);
    let limit = rows::limit(page);
    let sql = format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE seq > $1 ORDER BY seq LIMIT $2");
    let items = collect(conn, &sql, &[&after, &fetch(limit)], rows::activity).await?;
    Ok(paginate(items, limit, List::Activities))
}

/// Begins a read-only transaction that sees one snapshot.
async fn snapshot(conn: &mut Conn) -> Result<(), Error> {
    conn.begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(db)
}

/// Ends the transaction `snapshot` began, passing on what was read. A connection whose `COMMIT` failed is left
/// marked as in a transaction, so the pool drops it.
async fn end<T>(conn: &mut Conn, read: Result<T, Error>) -> Result<T, Error> {
    let ended = if read.is_ok() { conn.commit().await } else { conn.rollback().await };
    read.and_then(|value| ended.map(|()| value).map_err(db))
}

async fn one<T>(
    conn: &mut Conn,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    map: impl FnOnce(&Row) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    conn.query_opt(sql, params).await.map_err(db)?.as_ref().map(map).transpose()
}

async fn collect<T>(
    conn: &mut Conn,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    map: impl FnMut(&Row) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    conn.query(sql, params).await.map_err(db)?.iter().map(map).collect()
}

