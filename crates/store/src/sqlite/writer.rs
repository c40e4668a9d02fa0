//! The writer thread: owns the one write connection and commits queued requests in groups.
//!
//! Each turn it blocks for one request, drains whatever else is queued (up to `MAX_BATCH_STEPS` steps), runs
//! `BEGIN IMMEDIATE`, applies each request (checked in full before it writes, so a refused request leaves
//! nothing behind), commits once, and only then answers every request through its oneshot. If SQLite itself
//! fails mid-request, the whole batch rolls back and every request in it gets `Error::Backend`. A full disk (or a full
//! database) is not a failure of that kind: SQLite writes nothing of the transaction it refuses, so the batch gets
//! `Error::Full` and the next one is tried as usual, and writes succeed again once there is room. Any other failed
//! COMMIT poisons the writer: that batch and every later request get `Error::Backend`, because what reached the disk
//! is unknown (an fsync that failed may have lost pages the kernel reported written).
//!
//! When no request has come for a while after writes, the writer checkpoints the WAL (passively: it never waits for
//! readers), so the WAL is folded into the database regularly instead of only when it passes SQLite's threshold.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Error::ToSqlConversionFailure;
use rusqlite::{CachedStatement, Connection, ErrorCode, OptionalExtension, params};
use tokio::sync::oneshot;

use crate::sqlite::rows::{self, kind_str, routing_from_json, routing_json, status_str, tags_json};
pub(crate) use crate::op::Op;
use crate::sqlite::machines::Machines;
use crate::sqlite::{MAX_BATCH_STEPS, Stats, backend};
use crate::{Alias, Append, CommitRecorder, Ending, Error, Execution, Publish, StateMachine, Status};


/// The statements every appended step runs; `tests` checks that SQLite never re-prepares them.
#[cfg(test)]
pub(crate) const HOT_STATEMENTS: [&str; 8] = [
    SELECT_EXECUTION,
    LAST_EVENT,
    LAST_TRIGGER,
    INSERT_EVENT,
    INSERT_TRIGGER,
    END_EXECUTION,
    PARK,
    WAKE,
];
/// An execution's `seq`, status, and whether it is parked.
const SELECT_EXECUTION: &str =
    "SELECT e.seq, e.status, EXISTS (SELECT 1 FROM parked WHERE execution = e.seq) FROM executions e WHERE e.arn = ?1";
const LAST_EVENT: &str = "SELECT id FROM events WHERE execution = ?1 ORDER BY id DESC LIMIT 1";
const INSERT_EVENT: &str = "INSERT INTO events (execution, id, json) VALUES (?1, ?2, ?3)";
const LAST_TRIGGER: &str = "SELECT seq FROM triggers WHERE execution = ?1 ORDER BY seq DESC LIMIT 1";
const INSERT_TRIGGER: &str = "INSERT INTO triggers (execution, seq, json, last_event, digest) VALUES (?1, ?2, ?3, ?4, ?5)";
const END_EXECUTION: &str =
    "UPDATE executions SET status = ?2, stop = ?3, output = ?4, error = ?5, cause = ?6 WHERE seq = ?1";
const PARK: &str = "INSERT INTO parked (execution, wake_at) VALUES (?1, ?2) \
     ON CONFLICT (execution) DO UPDATE SET wake_at = excluded.wake_at";
const WAKE: &str = "DELETE FROM parked WHERE execution = ?1";
/// A message of a step for the outbox, due at once.
const INSERT_OUTBOX: &str = "INSERT INTO outbox (next_try, destination, execution_arn, body) VALUES (0, ?1, ?2, ?3)";

struct Request {
    op: Op,
    /// What the request did: how many executions `DeleteClosed` deleted, 0 for the others.
    reply: oneshot::Sender<Result<u64, Error>>,
}

/// How long the writer waits for a request before it checkpoints the WAL, after writes.
const IDLE: Duration = Duration::from_millis(500);

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    requests: AtomicU64,
    times: CommitRecorder,
}

/// The async side's end of the writer: sends requests, waits for answers; dropping it stops the thread.
pub(crate) struct Handle {
    sender: Option<mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Handle {
    pub(crate) fn spawn(conn: Connection, machines: Arc<Machines>) -> Result<Handle, Error> {
        let (sender, receiver) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let thread = std::thread::Builder::new()
            .name("baton-store-writer".to_owned())
            .spawn({
                let counters = Arc::clone(&counters);
                move || run(conn, &receiver, &counters, &machines)
            })
            .map_err(|e| backend(format!("cannot start the store writer thread: {e}")))?;
        Ok(Handle {
            sender: Some(sender),
            thread: Some(thread),
            counters,
        })
    }

    /// Queues `op` and waits until it is committed (or refused).
    pub(crate) async fn call(&self, op: Op) -> Result<(), Error> {
        self.count(op).await.map(|_| ())
    }

    /// Queues `op` and waits until it is committed (or refused); returns what `Request::reply` says it did.
    pub(crate) async fn count(&self, op: Op) -> Result<u64, Error> {
        let (reply, answer) = oneshot::channel();
        let sent = match &self.sender {
            Some(sender) => sender.send(Request { op, reply }).is_ok(),
            None => false,
        };
        if !sent {
            return Err(stopped());
        }
        answer.await.map_err(|_| stopped())?
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            commits: self.counters.commits.load(Ordering::Relaxed),
            requests: self.counters.requests.load(Ordering::Relaxed),
            commit_times: self.counters.times.read(),
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // Closing the channel ends the writer's loop once the queued requests are done.
        drop(self.sender.take());
        if let Some(thread) = self.thread.take() {
            // A panicked writer has already dropped every reply; nothing is left to report.
            let _ = thread.join();
        }
    }
}

fn stopped() -> Error {
    backend("the store writer has stopped")
}

fn run(mut conn: Connection, receiver: &mpsc::Receiver<Request>, counters: &Counters, machines: &Machines) {
    let mut poisoned: Option<String> = None;
    let mut known = Known::default();
    let mut batch = Vec::new();
    let mut dirty = false;
    loop {
        let first = match receiver.recv_timeout(IDLE) {
            Ok(first) => first,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if dirty && poisoned.is_none() {
                    // Folds the WAL into the database as far as no reader needs it; never blocks. A failure here
                    // costs nothing: the next checkpoint (or SQLite's own) does the work.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    dirty = false;
                }
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        dirty = true;
        let mut steps = first.op.steps();
        batch.push(first);
        while steps < MAX_BATCH_STEPS {
            let Ok(next) = receiver.try_recv() else { break };
            steps += next.op.steps();
            batch.push(next);
        }
        let results = match &poisoned {
            Some(why) => batch.iter().map(|_| Err(poison_error(why))).collect(),
            None => commit(&mut conn, &batch, counters, &mut known).unwrap_or_else(|why| {
                let results = batch.iter().map(|_| Err(poison_error(&why))).collect();
                poisoned = Some(why);
                results
            }),
        };
        counters.requests.fetch_add(batch.len() as u64, Ordering::Relaxed);
        if batch.iter().any(|request| request.op.changes_machines()) {
            // Before anyone hears of the change, so that no read after it is answered from the cache.
            machines.changed();
        }
        for (request, result) in batch.drain(..).zip(results) {
            // The caller may have given up waiting; its write stands either way.
            let _ = request.reply.send(result);
        }
    }
}

fn poison_error(why: &str) -> Error {
    backend(format!(
        "a commit failed, the store accepts no more writes until reopened: {why}"
    ))
}

/// Applies and commits `batch`, returning each request's result. `Err` means the commit failed: poison.
fn commit(
    conn: &mut Connection,
    batch: &[Request],
    counters: &Counters,
    known: &mut Known,
) -> Result<Vec<Result<u64, Error>>, String> {
    let begun = std::time::Instant::now();
    let results = match apply_all(conn, batch, known) {
        Ok(results) => results,
        Err(e) => {
            // Nothing was committed: fail this batch, keep going.
            rollback(conn);
            known.clear();
            let failed = |e: &rusqlite::Error| if is_full(e) { Error::Full(e.to_string()) } else { backend(e.to_string()) };
            return Ok(batch.iter().map(|_| Err(failed(&e))).collect());
        }
    };
    if let Err(e) = conn.execute_batch("COMMIT") {
        rollback(conn);
        known.clear();
        if is_full(&e) {
            // SQLite refused the whole transaction: nothing of it is in the database, which stays usable.
            return Ok(batch.iter().map(|_| Err(Error::Full(e.to_string()))).collect());
        }
        return Err(e.to_string());
    }
    counters.commits.fetch_add(1, Ordering::Relaxed);
    counters.times.record(begun.elapsed());
    Ok(results)
}

/// Whether SQLite failed for want of room (`SQLITE_FULL`: the disk, or the database's page limit).
fn is_full(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::SqliteFailure(e, _) if e.code == ErrorCode::DiskFull)
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        // If even this fails the next BEGIN fails too, and that batch reports it.
        let _ = conn.execute_batch("ROLLBACK");
    }
}

/// Why a request did not apply.
pub(crate) enum Failure {
    /// The store's answer (conflict, duplicate, missing); the request wrote nothing.
    Refused(Error),
    /// SQLite failed part-way: the transaction is in an unknown state and the whole batch must roll back.
    Broken(rusqlite::Error),
}

/// Where the running executions the writer appended to stand, between batches: their `seq` and the numbers their
/// next event and trigger take. A step of one of them is checked and written from this instead of two reads of the
/// table and a third of its triggers (under callgrind those reads were a third of the writer's work for steps of
/// `Wait 0` chains). Entries are only what this connection committed: an execution that ends or parks leaves (a
/// parked one may not come back for a day, and memory is for those that run), any batch that rolls back empties it,
/// and it holds at most `KNOWN_MOST` (past that, executions are read as before).
#[derive(Default)]
pub(crate) struct Known(HashMap<String, Position>);

/// How many running executions `Known` holds at most: about 150 bytes each.
const KNOWN_MOST: usize = 65_536;

/// Where one running, unparked execution stands.
#[derive(Clone, Copy)]
struct Position {
    seq: i64,
    /// The id of its next event.
    next: u64,
    /// The `seq` of its next trigger.
    trigger: i64,
}

impl Known {
    /// After a step (or the steps of one request) of `arn`: it runs on, unparked, from `position`; or (`None`) it
    /// ended or parked.
    fn set(&mut self, arn: &str, position: Option<Position>) {
        match position {
            Some(position) => {
                if let Some(known) = self.0.get_mut(arn) {
                    *known = position;
                } else if self.0.len() < KNOWN_MOST {
                    self.0.insert(arn.to_owned(), position);
                }
            }
            None => {
                self.0.remove(arn);
            }
        }
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

/// What one batch writes with: `Known`, and the statements every step runs, prepared once per batch rather than
/// taken from rusqlite's statement cache per step (a hash of the SQL text to find each, another to put it back: about
/// 1,400 instructions a step under callgrind).
struct Writing<'c, 'k> {
    known: &'k mut Known,
    insert_event: CachedStatement<'c>,
    insert_trigger: CachedStatement<'c>,
}

impl<'c, 'k> Writing<'c, 'k> {
    fn new(conn: &'c Connection, known: &'k mut Known) -> rusqlite::Result<Writing<'c, 'k>> {
        Ok(Writing { known, insert_event: conn.prepare_cached(INSERT_EVENT)?, insert_trigger: conn.prepare_cached(INSERT_TRIGGER)? })
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Failure {
        Failure::Broken(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Refused(e)
    }
}

/// Applies every request in one transaction. Each request is checked completely before it writes, so a refused
/// request leaves nothing behind and needs no savepoint (savepoints copied every page touched into a
/// sub-journal). `Err` means the transaction must roll back.
fn apply_all(conn: &Connection, batch: &[Request], known: &mut Known) -> rusqlite::Result<Vec<Result<u64, Error>>> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let mut writing = Writing::new(conn, known)?;
    let mut results = Vec::with_capacity(batch.len());
    for request in batch {
        let applied = match &request.op {
            Op::DeleteClosed { before, limit } => delete_closed(conn, *before, *limit),
            op => apply_known(conn, op, &mut writing).map(|()| 0),
        };
        match applied {
            Ok(count) => results.push(Ok(count)),
            Err(Failure::Refused(e)) => results.push(Err(e)),
            Err(Failure::Broken(e)) => return Err(e),
        }
    }
    Ok(results)
}

/// Applies `op` alone, knowing nothing of where executions stand (`Known`).
#[cfg(test)]
pub(crate) fn apply(conn: &Connection, op: &Op) -> Result<(), Failure> {
    apply_known(conn, op, &mut Writing::new(conn, &mut Known::default())?)
}

/// Applies `op`, reading where running executions stand from `known` and keeping it up to date. A refused request
/// changes `known` only by what it read; a broken one is followed by a rollback that empties it.
fn apply_known(conn: &Connection, op: &Op, writing: &mut Writing<'_, '_>) -> Result<(), Failure> {
    match op {
        Op::CreateStateMachine(machine) => create_state_machine(conn, machine),
        Op::UpdateStateMachine(machine) => update_state_machine(conn, machine),
        Op::DeleteStateMachine(arn) => {
            let deleted = conn
                .prepare_cached("DELETE FROM state_machines WHERE arn = ?1")?
                .execute([arn])?;
            if deleted == 0 {
                return Err(Error::NotFound(arn.clone()).into());
            }
            conn.prepare_cached("DELETE FROM versions WHERE state_machine_arn = ?1")?
                .execute([arn])?;
            conn.prepare_cached("DELETE FROM aliases WHERE state_machine_arn = ?1")?
                .execute([arn])?;
            Ok(())
        }
        Op::SetStateMachineTags(arn, tags) => {
            let tags = tags_json(tags)?;
            let updated = conn
                .prepare_cached("UPDATE state_machines SET tags = ?2 WHERE arn = ?1")?
                .execute(params![arn, tags])?;
            if updated == 0 {
                Err(Error::NotFound(arn.clone()).into())
            } else {
                Ok(())
            }
        }
        Op::CreateExecution(execution, first) => {
            let new = New {
                arn: &execution.arn,
                running: execution.status == Status::Running,
            };
            let targets = check(conn, std::slice::from_ref(first), Some(new), writing.known)?;
            let children = check_children(conn, std::slice::from_ref(first))?;
            // An execution its first step ends (a chain of Pass states, a failure at once) is inserted as it ended:
            // one insert into the table and its indexes instead of an insert and then an update of both. The
            // insert is the request's first write, so a duplicate name leaves nothing behind.
            let ending = first.ending.as_ref().filter(|_| first.execution_arn == execution.arn);
            let seq = unique(create_execution(conn, execution, ending), &execution.arn)?;
            write_steps(conn, std::slice::from_ref(first), &targets, Some(seq), writing)?;
            write_children(conn, std::slice::from_ref(first), &children, writing)
        }
        Op::Append(steps) => {
            let targets = check(conn, steps, None, writing.known)?;
            let children = check_children(conn, steps)?;
            write_steps(conn, steps, &targets, None, writing)?;
            write_children(conn, steps, &children, writing)
        }
        Op::RedriveExecution(arn, date, first) => {
            let status: Option<String> = conn
                .prepare_cached("SELECT status FROM executions WHERE arn = ?1")?
                .query_row([arn], |row| row.get(0))
                .optional()?;
            match status.as_deref() {
                None => return Err(Error::NotFound(arn.clone()).into()),
                Some("RUNNING" | "SUCCEEDED") => return Err(Error::NotRedrivable(arn.clone()).into()),
                Some(_) => {}
            }
            // Check the step before writing, so that a refused redrive leaves the execution as it was.
            let next = load(conn, arn)?.next;
            for (event, expected) in first.events.iter().zip(next..) {
                if event.id != expected {
                    let conflict = Error::Conflict { execution: arn.clone(), expected, found: event.id };
                    return Err(conflict.into());
                }
            }
            conn.prepare_cached(
                "UPDATE executions SET status = 'RUNNING', stop = NULL, output = NULL, error = NULL, cause = NULL, \
                 redrive_count = redrive_count + 1, redrive_date = ?2 WHERE arn = ?1",
            )?
            .execute(params![arn, date])?;
            let targets = check(conn, std::slice::from_ref(first), None, writing.known)?;
            let children = check_children(conn, std::slice::from_ref(first))?;
            write_steps(conn, std::slice::from_ref(first), &targets, None, writing)?;
            write_children(conn, std::slice::from_ref(first), &children, writing)
        }
        Op::Park(arn, wake_at) => {
            let target = load(conn, arn)?;
            writing.known.set(arn, None);
            if !target.running {
                return Err(Error::Ended(arn.clone()).into());
            }
            let seq = target.seq.expect("invariant: a loaded execution has its seq");
            conn.prepare_cached(PARK)?.execute(params![seq, wake_at])?;
            Ok(())
        }
        Op::PublishVersion(publish) => publish_version(conn, publish),
        Op::Reset => {
            writing.known.clear();
            conn.execute_batch(
                "DELETE FROM events; DELETE FROM triggers; DELETE FROM executions; DELETE FROM aliases; \
                 DELETE FROM versions; DELETE FROM state_machines; DELETE FROM activities; DELETE FROM parked; \
                 DELETE FROM outbox;",
            )?;
            Ok(())
        }
        Op::DeleteVersion(machine, number) => delete_version(conn, machine, *number),
        Op::CreateAlias(alias) => {
            check_routes(conn, alias)?;
            let routing = routing_json(&alias.routing)?;
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO aliases (arn, state_machine_arn, name, created, updated, description, routing) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    alias.arn,
                    alias.state_machine_arn,
                    alias.name,
                    alias.created,
                    alias.updated,
                    alias.description,
                    routing
                ]);
            unique(inserted, &alias.arn).map(drop)
        }
        Op::UpdateAlias(alias) => {
            let exists = conn
                .prepare_cached("SELECT 1 FROM aliases WHERE arn = ?1")?
                .exists([&alias.arn])?;
            if !exists {
                return Err(Error::NotFound(alias.arn.clone()).into());
            }
            check_routes(conn, alias)?;
            let routing = routing_json(&alias.routing)?;
            conn.prepare_cached("UPDATE aliases SET description = ?2, routing = ?3, updated = ?4 WHERE arn = ?1")?
                .execute(params![alias.arn, alias.description, routing, alias.updated])?;
            Ok(())
        }
        Op::DeleteAlias(arn) => {
            let deleted = conn
                .prepare_cached("DELETE FROM aliases WHERE arn = ?1")?
                .execute([arn])?;
            if deleted == 0 {
                Err(Error::NotFound(arn.clone()).into())
            } else {
                Ok(())
            }
        }
        Op::CreateActivity(activity) => {
            let tags = tags_json(&activity.tags)?;
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO activities (arn, name, created, tags, encryption_configuration) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![activity.arn, activity.name, activity.created, tags, activity.encryption_configuration]);
            unique(inserted, &activity.arn).map(drop)
        }
        Op::DeleteActivity(arn) => {
            let deleted = conn
                .prepare_cached("DELETE FROM activities WHERE arn = ?1")?
                .execute([arn])?;
            if deleted == 0 {
                Err(Error::NotFound(arn.clone()).into())
            } else {
                Ok(())
            }
        }
        Op::SetActivityTags(arn, tags) => {
            let tags = tags_json(tags)?;
            let updated = conn
                .prepare_cached("UPDATE activities SET tags = ?2 WHERE arn = ?1")?
                .execute(params![arn, tags])?;
            if updated == 0 {
                Err(Error::NotFound(arn.clone()).into())
            } else {
                Ok(())
            }
        }
        Op::SettleOutbox(delivered, failed) => {
            let mut delete = conn.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
            for id in delivered {
                delete.execute([id])?;
            }
            let mut retry = conn.prepare_cached("UPDATE outbox SET attempts = attempts + 1, next_try = ?2 WHERE id = ?1")?;
            for (id, next_try) in failed {
                retry.execute(params![id, next_try])?;
            }
            Ok(())
        }
        // Counted, so `apply_all` runs it.
        Op::DeleteClosed { before, limit } => delete_closed(conn, *before, *limit).map(|_| ()),
        #[cfg(test)]
        Op::LimitPages(extra) => {
            let pages: i64 = conn.query_row("PRAGMA page_count", [], |row| row.get(0))?;
            conn.execute_batch(&format!("PRAGMA max_page_count = {}", pages + extra))?;
            Ok(())
        }
    }
}

/// Deletes at most `limit` executions that ended before `before`, oldest first, with their events and triggers.
fn delete_closed(conn: &Connection, before: i64, limit: usize) -> Result<u64, Failure> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut select =
        conn.prepare_cached("SELECT seq FROM executions WHERE stop IS NOT NULL AND stop < ?1 AND status != 'RUNNING' ORDER BY stop LIMIT ?2")?;
    let doomed = select.query_map(params![before, limit], |row| row.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
    for seq in &doomed {
        conn.prepare_cached("DELETE FROM events WHERE execution = ?1")?.execute([seq])?;
        conn.prepare_cached("DELETE FROM triggers WHERE execution = ?1")?.execute([seq])?;
        conn.prepare_cached("DELETE FROM executions WHERE seq = ?1")?.execute([seq])?;
    }
    Ok(doomed.len() as u64)
}

/// Snapshots the machine at the expected revision as its next version, unless that revision has one already.
fn publish_version(conn: &Connection, publish: &Publish) -> Result<(), Failure> {
    let machine = &publish.state_machine_arn;
    let found: Option<(String, String, String, i64)> = conn
        .prepare_cached("SELECT definition, role_arn, revision_id, last_version FROM state_machines WHERE arn = ?1")?
        .query_row([machine], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
        .optional()?;
    let Some((definition, role_arn, revision_id, last)) = found else {
        return Err(Error::NotFound(machine.clone()).into());
    };
    if revision_id != publish.revision_id {
        let changed = Error::RevisionChanged {
            arn: machine.clone(),
            expected: publish.revision_id.clone(),
            found: revision_id,
        };
        return Err(changed.into());
    }
    let published = conn
        .prepare_cached("SELECT 1 FROM versions WHERE state_machine_arn = ?1 AND revision_id = ?2")?
        .exists(params![machine, revision_id])?;
    if published {
        return Ok(());
    }
    let number = last + 1;
    conn.prepare_cached(
        "INSERT INTO versions (state_machine_arn, number, revision_id, role_arn, created, description, definition) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        machine,
        number,
        revision_id,
        role_arn,
        publish.created,
        publish.description,
        definition
    ])?;
    conn.prepare_cached("UPDATE state_machines SET last_version = ?2 WHERE arn = ?1")?
        .execute(params![machine, number])?;
    Ok(())
}

/// Deletes a version no alias routes to.
fn delete_version(conn: &Connection, machine: &str, number: u64) -> Result<(), Failure> {
    let sql_number = rows::sql_id(number)?;
    let exists = conn
        .prepare_cached("SELECT 1 FROM versions WHERE state_machine_arn = ?1 AND number = ?2")?
        .exists(params![machine, sql_number])?;
    let arn = format!("{machine}:{number}");
    if !exists {
        return Err(Error::NotFound(arn).into());
    }
    let mut statement =
        conn.prepare_cached("SELECT name, routing FROM aliases WHERE state_machine_arn = ?1 ORDER BY seq")?;
    let aliases = statement
        .query_map([machine], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut using = Vec::new();
    for (name, routing) in aliases {
        let routes = routing_from_json(&routing).map_err(backend)?;
        if routes.iter().any(|route| route.version_arn == arn) {
            using.push(name);
        }
    }
    if !using.is_empty() {
        return Err(Error::VersionInUse { version: arn, aliases: using }.into());
    }
    conn.prepare_cached("DELETE FROM versions WHERE state_machine_arn = ?1 AND number = ?2")?
        .execute(params![machine, sql_number])?;
    Ok(())
}

/// Every version an alias routes to is a version of its machine: `NotFound(<version ARN>)` names the first that is not.
fn check_routes(conn: &Connection, alias: &Alias) -> Result<(), Failure> {
    let mut statement = conn.prepare_cached("SELECT 1 FROM versions WHERE state_machine_arn = ?1 AND number = ?2")?;
    for route in &alias.routing {
        let number = route
            .version_arn
            .strip_prefix(alias.state_machine_arn.as_str())
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|n| n.parse::<i64>().ok());
        let found = match number {
            Some(number) => statement.exists(params![alias.state_machine_arn, number])?,
            None => false,
        };
        if !found {
            return Err(Error::NotFound(route.version_arn.clone()).into());
        }
    }
    Ok(())
}

/// An execution being created in the same request, not yet in the table.
#[derive(Clone, Copy)]
struct New<'a> {
    arn: &'a str,
    running: bool,
}

/// What `check` learned about one execution a request appends to.
struct Target<'a> {
    arn: &'a str,
    /// `None` for the execution the request creates.
    seq: Option<i64>,
    /// The id the execution's next event takes, before the request.
    first: u64,
    next: u64,
    running: bool,
    /// Whether it is parked, before the request.
    parked: bool,
    /// The `seq` its next trigger takes, before the request.
    trigger: i64,
}

/// Checks every step of a request against the stored executions and the request's earlier steps, returning
/// the executions it touches. Writes nothing.
fn check<'a>(conn: &Connection, steps: &'a [Append], new: Option<New<'a>>, known: &Known) -> Result<Vec<Target<'a>>, Failure> {
    let mut targets: Vec<Target<'a>> = Vec::new();
    if let Some(new) = new {
        targets.push(Target {
            arn: new.arn,
            seq: None,
            first: 1,
            next: 1,
            running: new.running,
            parked: false,
            trigger: 1,
        });
    }
    for step in steps {
        let arn = step.execution_arn.as_str();
        let index = match targets.iter().position(|t| t.arn == arn) {
            Some(index) => index,
            None => {
                let target = match known.0.get(arn) {
                    Some(&Position { seq, next, trigger }) => {
                        Target { arn, seq: Some(seq), first: next, next, running: true, parked: false, trigger }
                    }
                    None => load(conn, arn)?,
                };
                targets.push(target);
                targets.len() - 1
            }
        };
        let target = targets
            .get_mut(index)
            .expect("invariant: index was just found or pushed");
        if !target.running {
            return Err(Error::Ended(arn.to_owned()).into());
        }
        for event in &step.events {
            if event.id != target.next {
                let conflict = Error::Conflict {
                    execution: arn.to_owned(),
                    expected: target.next,
                    found: event.id,
                };
                return Err(conflict.into());
            }
            target.next += 1;
        }
        if step.ending.is_some() {
            target.running = false;
        }
    }
    Ok(targets)
}

fn load<'a>(conn: &Connection, arn: &'a str) -> Result<Target<'a>, Failure> {
    let found: Option<(i64, String, bool)> = conn
        .prepare_cached(SELECT_EXECUTION)?
        .query_row([arn], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    let Some((seq, status, parked)) = found else {
        return Err(Error::NotFound(arn.to_owned()).into());
    };
    let last: Option<i64> = conn
        .prepare_cached(LAST_EVENT)?
        .query_row([seq], |row| row.get(0))
        .optional()?;
    let last =
        u64::try_from(last.unwrap_or(0)).map_err(|_| backend(format!("stored event id out of range: {last:?}")))?;
    let trigger: Option<i64> = conn.prepare_cached(LAST_TRIGGER)?.query_row([seq], |row| row.get(0)).optional()?;
    Ok(Target {
        arn,
        seq: Some(seq),
        first: last + 1,
        next: last + 1,
        running: status == status_str(Status::Running),
        parked,
        trigger: trigger.unwrap_or(0) + 1,
    })
}

/// What `check_children` learned about one child execution: its `seq` if it is stored, and the id its next event
/// takes before the request.
struct ChildTarget<'a> {
    arn: &'a str,
    seq: Option<i64>,
    first: u64,
}

/// Checks the child executions of a request's steps, as `check` checks executions: a child is created once, and
/// its event ids continue its stored ones; one that ended takes events only after a redrive. Writes nothing.
fn check_children<'a>(conn: &Connection, steps: &'a [Append]) -> Result<Vec<ChildTarget<'a>>, Failure> {
    let mut targets: Vec<(ChildTarget<'a>, u64, bool)> = Vec::new();
    for child in steps.iter().flat_map(|step| &step.children) {
        let arn = child.execution_arn.as_str();
        let index = match targets.iter().position(|(t, ..)| t.arn == arn) {
            Some(index) => {
                if child.created.is_some() {
                    return Err(Error::AlreadyExists(arn.to_owned()).into());
                }
                index
            }
            None if child.created.is_some() => {
                if conn.prepare_cached(SELECT_EXECUTION)?.exists([arn])? {
                    return Err(Error::AlreadyExists(arn.to_owned()).into());
                }
                targets.push((ChildTarget { arn, seq: None, first: 1 }, 1, true));
                targets.len() - 1
            }
            None => {
                let stored = load(conn, arn)?;
                targets.push((ChildTarget { arn, seq: stored.seq, first: stored.first }, stored.next, stored.running));
                targets.len() - 1
            }
        };
        let (_, next, running) = targets.get_mut(index).expect("invariant: index was just found or pushed");
        if child.redriven.is_some() {
            *running = true;
        }
        if !*running && !child.events.is_empty() {
            return Err(Error::Ended(arn.to_owned()).into());
        }
        for event in &child.events {
            if event.id != *next {
                return Err(Error::Conflict { execution: arn.to_owned(), expected: *next, found: event.id }.into());
            }
            *next += 1;
        }
        if child.ending.is_some() {
            *running = false;
        }
    }
    Ok(targets.into_iter().map(|(target, ..)| target).collect())
}

/// Writes the checked child executions of a request's steps: new records, redrives, events, endings.
fn write_children(conn: &Connection, steps: &[Append], targets: &[ChildTarget<'_>], writing: &mut Writing<'_, '_>) -> Result<(), Failure> {
    let mut seqs: Vec<Option<i64>> = targets.iter().map(|t| t.seq).collect();
    let mut next: Vec<u64> = targets.iter().map(|t| t.first).collect();
    let sql_id = |id: u64| rows::sql_id(id).map_err(|e| Failure::Broken(ToSqlConversionFailure(Box::new(e))));
    for child in steps.iter().flat_map(|step| &step.children) {
        // A child's events are written here, never by steps of its own: it is read from the table, not `known`.
        writing.known.set(&child.execution_arn, None);
        let index = targets.iter().position(|t| t.arn == child.execution_arn);
        let index = index.expect("invariant: `check_children` returns a target for every child");
        let seq = seqs.get_mut(index).expect("invariant: one entry per target");
        // A child that ends in the step that starts it is inserted as it ended, as `Op::CreateExecution` inserts
        // its execution.
        let inserted_ended = child.created.is_some() && child.redriven.is_none();
        if let Some(record) = &child.created {
            *seq = Some(create_execution(conn, record, child.ending.as_ref().filter(|_| inserted_ended))?);
        }
        let seq = seq.expect("invariant: a child is stored or created before its events");
        if let Some(date) = child.redriven {
            conn.prepare_cached(
                "UPDATE executions SET status = 'RUNNING', stop = NULL, output = NULL, error = NULL, cause = NULL, \
                 redrive_count = redrive_count + 1, redrive_date = ?2 WHERE seq = ?1",
            )?
            .execute(params![seq, date])?;
        }
        let next = next.get_mut(index).expect("invariant: one entry per target");
        // `check_children` saw that the child's events carry the ids `next`, `next + 1`, …
        for (last, text) in rows::event_rows(&child.events) {
            writing.insert_event.execute(params![seq, sql_id(last)?, text])?;
        }
        *next += child.events.len() as u64;
        if let Some(end) = &child.ending
            && !inserted_ended
        {
            write_ending(conn, seq, end)?;
        }
    }
    Ok(())
}

/// Ends execution `seq` as `end` says.
fn write_ending(conn: &Connection, seq: i64, end: &Ending) -> Result<(), Failure> {
    conn.prepare_cached(END_EXECUTION)?.execute(params![seq, status_str(end.status), end.stop, end.output, end.error, end.cause])?;
    Ok(())
}

/// Writes checked steps: events, triggers, endings, outbox messages, park times, and where each execution then
/// stands into `known`. `created` is the `seq` of the execution the request created.
fn write_steps(
    conn: &Connection,
    steps: &[Append],
    targets: &[Target<'_>],
    created: Option<i64>,
    writing: &mut Writing<'_, '_>,
) -> Result<(), Failure> {
    // Each target as the steps go: its next event id (to record each step's last event), its next trigger, whether
    // it is parked (only a change is written) and whether it runs.
    let mut states: Vec<Position> = targets
        .iter()
        .map(|t| Position { seq: t.seq.or(created).unwrap_or_default(), next: t.first, trigger: t.trigger })
        .collect();
    let mut parked: Vec<bool> = targets.iter().map(|t| t.parked).collect();
    let mut running: Vec<bool> = targets.iter().map(|t| t.running).collect();
    for step in steps {
        let index = targets.iter().position(|t| t.arn == step.execution_arn);
        let index = index.expect("invariant: `check` returns a target for every step's execution");
        let target = targets.get(index).expect("invariant: the index was just found");
        let seq = target
            .seq
            .or(created)
            .expect("invariant: only the created execution has no stored seq");
        let sql_id = |id: u64| rows::sql_id(id).map_err(|e| Failure::Broken(ToSqlConversionFailure(Box::new(e))));
        for (last, text) in rows::event_rows(&step.events) {
            writing.insert_event.execute(params![seq, sql_id(last)?, text])?;
        }
        let state = states.get_mut(index).expect("invariant: one entry per target");
        state.next += step.events.len() as u64;
        // The digest is stored as its bits.
        writing.insert_trigger.execute(params![seq, state.trigger, step.trigger, sql_id(state.next - 1)?, step.digest as i64])?;
        state.trigger += 1;
        if let Some(end) = &step.ending {
            // The created execution (the only one without a stored seq) was inserted as its step ended it.
            if target.seq.is_some() {
                write_ending(conn, seq, end)?;
            }
            *running.get_mut(index).expect("invariant: one entry per target") = false;
        }
        if !step.outbox.is_empty() {
            let mut insert = conn.prepare_cached(INSERT_OUTBOX)?;
            for message in &step.outbox {
                insert.execute(params![message.destination, message.execution_arn, message.body])?;
            }
        }
        let parked = parked.get_mut(index).expect("invariant: one entry per target");
        match step.park.filter(|_| step.ending.is_none()) {
            Some(wake_at) => {
                conn.prepare_cached(PARK)?.execute(params![seq, wake_at])?;
                *parked = true;
            }
            None if *parked => {
                conn.prepare_cached(WAKE)?.execute([seq])?;
                *parked = false;
            }
            None => {}
        }
    }
    for (((target, state), parked), running) in targets.iter().zip(states).zip(parked).zip(running) {
        writing.known.set(target.arn, (running && !parked).then_some(state));
    }
    Ok(())
}

fn create_state_machine(conn: &Connection, m: &StateMachine) -> Result<(), Failure> {
    let tags = tags_json(&m.tags)?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO state_machines (arn, name, kind, role_arn, revision_id, created, updated, description, \
             logging_configuration, tracing_configuration, tags, definition, encryption_configuration) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            m.arn,
            m.name,
            kind_str(m.kind),
            m.role_arn,
            m.revision_id,
            m.created,
            m.updated,
            m.description,
            m.logging_configuration,
            m.tracing_configuration,
            tags,
            m.definition,
            m.encryption_configuration,
        ]);
    unique(inserted, &m.arn).map(drop)
}

fn update_state_machine(conn: &Connection, m: &StateMachine) -> Result<(), Failure> {
    let updated = conn
        .prepare_cached(
            "UPDATE state_machines SET definition = ?2, role_arn = ?3, logging_configuration = ?4, \
             tracing_configuration = ?5, description = ?6, revision_id = ?7, updated = ?8, \
             encryption_configuration = ?9 WHERE arn = ?1",
        )?
        .execute(params![
            m.arn,
            m.definition,
            m.role_arn,
            m.logging_configuration,
            m.tracing_configuration,
            m.description,
            m.revision_id,
            m.updated,
            m.encryption_configuration,
        ])?;
    if updated == 0 {
        Err(Error::NotFound(m.arn.clone()).into())
    } else {
        Ok(())
    }
}

/// Inserts the execution, as `ending` leaves it if it ended already, and returns its `seq`. An execution of the same
/// ARN is a constraint violation (`unique` tells it apart).
fn create_execution(conn: &Connection, e: &Execution, ending: Option<&Ending>) -> rusqlite::Result<i64> {
    let (status, stop, output, error, cause) = match ending {
        Some(end) => (end.status, Some(end.stop), &end.output, &end.error, &end.cause),
        None => (e.status, e.stop, &e.output, &e.error, &e.cause),
    };
    conn.prepare_cached(
        "INSERT INTO executions (arn, status, kind, start, stop, name, state_machine_arn, role_arn, \
         trace_header, error, cause, output, input, definition, version_arn, alias_arn, engine_version, map_run_arn) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        e.arn,
        status_str(status),
        kind_str(e.kind),
        e.start,
        stop,
        e.name,
        e.state_machine_arn,
        e.role_arn,
        e.trace_header,
        error,
        cause,
        output,
        e.input,
        e.definition,
        e.version_arn,
        e.alias_arn,
        e.engine_version,
        e.map_run_arn,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Maps a constraint violation of a one-statement insert (which SQLite undoes by itself) to `AlreadyExists(key)`.
fn unique<T>(inserted: rusqlite::Result<T>, key: &str) -> Result<T, Failure> {
    match inserted {
        Ok(value) => Ok(value),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::ConstraintViolation => {
            Err(Error::AlreadyExists(key.to_owned()).into())
        }
        Err(e) => Err(e.into()),
    }
}
