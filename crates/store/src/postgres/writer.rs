//! The writer task: owns the one write connection and commits queued requests in groups.
//!
//! Each turn it waits for one request, drains whatever else is queued (up to `MAX_BATCH_STEPS` steps), runs `BEGIN`,
//! applies each request (checked in full before it writes, so a refused request leaves nothing behind; PostgreSQL
//! aborts a transaction at its first failed statement, so a refusal must never be a failed statement), commits once,
//! and only then answers every request. The executions a request appends to are locked (`FOR UPDATE`) when it checks
//! them, so another process's writer cannot slip events in between the check and the write.
//!
//! A batch that fails because it raced another process (a deadlock between two writers, or a row that another
//! process inserted after this one checked it was absent: a unique violation) is rolled back and run again; its
//! checks then see the other process's rows and refuse what they must. Other failures fail the batch with
//! `Error::Backend` (`Error::Full` when the server's disk is full), and the next batch is tried as usual, on a new
//! connection if this one broke.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};
use tokio_postgres::error::SqlState;

use crate::postgres::rows::{kind_str, routing_json, sql_id, status_str, tags_json};
use crate::postgres::{Conn, MAX_BATCH_STEPS, backend};
use crate::sqlite::rows::routing_from_json;
use crate::{Activity, Alias, Append, Ending, Error, Execution, Publish, StateMachine, Stats, Status};

/// A write the store was asked to do.
pub(crate) enum Op {
    CreateStateMachine(StateMachine),
    UpdateStateMachine(StateMachine),
    DeleteStateMachine(String),
    SetStateMachineTags(String, Vec<(String, String)>),
    CreateExecution(Box<Execution>, Append),
    Append(Vec<Append>),
    /// Delete every row of every table (`Store::reset`).
    Reset,
    RedriveExecution(String, i64, Append),
    PublishVersion(Publish),
    DeleteVersion(String, u64),
    CreateAlias(Alias),
    UpdateAlias(Alias),
    DeleteAlias(String),
    CreateActivity(Activity),
    DeleteActivity(String),
    SetActivityTags(String, Vec<(String, String)>),
    /// Retention: at most this many executions that ended before this time, with their events and triggers.
    DeleteClosed { before: i64, limit: usize },
}

impl Op {
    /// How much of a batch this request uses.
    fn steps(&self) -> usize {
        match self {
            Op::Append(steps) => steps.len().max(1),
            _ => 1,
        }
    }
}

/// How many times a batch runs when it keeps losing races with other processes.
const ATTEMPTS: usize = 3;

/// Locks the execution's row; the statement after it reads its last event. One statement cannot do both: under
/// READ COMMITTED it would read the events as of its start, before the commit of a writer it waited for.
const LOCK_EXECUTION: &str = "SELECT seq, status FROM executions WHERE arn = $1 FOR UPDATE";
const LAST_EVENT: &str = "SELECT coalesce(max(id), 0) FROM events WHERE execution = $1";
const INSERT_EVENTS: &str =
    "INSERT INTO events (execution, id, json) SELECT $1, id, json FROM unnest($2::BIGINT[], $3::TEXT[]) AS e (id, json)";
const INSERT_TRIGGER: &str = "INSERT INTO triggers (execution, seq, json, last_event, digest) VALUES ($1, \
     coalesce((SELECT seq FROM triggers WHERE execution = $1 ORDER BY seq DESC LIMIT 1), 0) + 1, $2, $3, $4)";
const END_EXECUTION: &str =
    "UPDATE executions SET status = $2, stop = $3, output = $4, error = $5, cause = $6 WHERE seq = $1";
const REDRIVE: &str = "UPDATE executions SET status = 'RUNNING', stop = NULL, output = NULL, error = NULL, \
     cause = NULL, redrive_count = redrive_count + 1, redrive_date = $2 WHERE seq = $1";

struct Request {
    op: Op,
    /// What the request did: how many executions `DeleteClosed` deleted, 0 for the others.
    reply: oneshot::Sender<Result<u64, Error>>,
}

/// The callers' end of the writer: sends requests, waits for answers; dropping it ends the task after the queue.
pub(crate) struct Handle {
    sender: mpsc::UnboundedSender<Request>,
    counters: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    requests: AtomicU64,
}

impl Handle {
    /// Starts the writer task on the current tokio runtime with `conn`; it reconnects with `config`.
    pub(crate) fn spawn(config: tokio_postgres::Config, conn: Conn) -> Handle {
        let (sender, receiver) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        tokio::spawn(run(config, conn, receiver, Arc::clone(&counters)));
        Handle { sender, counters }
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            commits: self.counters.commits.load(Ordering::Relaxed),
            requests: self.counters.requests.load(Ordering::Relaxed),
        }
    }

    /// Queues `op` and waits until it is committed (or refused).
    pub(crate) async fn call(&self, op: Op) -> Result<(), Error> {
        self.count(op).await.map(|_| ())
    }

    /// Queues `op` and waits until it is committed (or refused); returns what `Request::reply` says it did.
    pub(crate) async fn count(&self, op: Op) -> Result<u64, Error> {
        let (reply, answer) = oneshot::channel();
        self.sender.send(Request { op, reply }).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> Error {
    backend("the store writer has stopped")
}

async fn run(
    config: tokio_postgres::Config,
    conn: Conn,
    mut receiver: mpsc::UnboundedReceiver<Request>,
    counters: Arc<Counters>,
) {
    let mut conn = Some(conn);
    let mut batch = Vec::new();
    while let Some(first) = receiver.recv().await {
        let mut steps = first.op.steps();
        batch.push(first);
        while steps < MAX_BATCH_STEPS {
            let Ok(next) = receiver.try_recv() else { break };
            steps += next.op.steps();
            batch.push(next);
        }
        let results = commit(&config, &mut conn, &batch, &counters).await;
        counters.requests.fetch_add(batch.len() as u64, Ordering::Relaxed);
        for (request, result) in batch.drain(..).zip(results) {
            // The caller may have given up waiting; its write stands either way.
            let _ = request.reply.send(result);
        }
    }
}

/// Applies and commits `batch`, returning each request's result; runs it again after a lost race.
async fn commit(
    config: &tokio_postgres::Config,
    slot: &mut Option<Conn>,
    batch: &[Request],
    counters: &Counters,
) -> Vec<Result<u64, Error>> {
    let fail_all = |e: &dyn Fn() -> Error| batch.iter().map(|_| Err(e())).collect::<Vec<_>>();
    let mut attempt = 0;
    loop {
        attempt += 1;
        if slot.as_ref().is_none_or(Conn::is_closed) {
            *slot = None;
            match Conn::open(config).await {
                Ok(conn) => *slot = Some(conn),
                Err(e) => {
                    let message = e.to_string();
                    return fail_all(&|| backend(message.clone()));
                }
            }
        }
        let Some(conn) = slot.as_mut() else { return fail_all(&stopped) };
        let failed = match apply_all(conn, batch).await {
            Ok(results) => match conn.commit().await {
                Ok(()) => {
                    counters.commits.fetch_add(1, Ordering::Relaxed);
                    return results;
                }
                Err(e) => e,
            },
            Err(e) => e,
        };
        rollback(conn).await;
        if attempt < ATTEMPTS && lost_race(&failed) {
            continue;
        }
        let full = failed.code() == Some(&SqlState::DISK_FULL);
        let message = failed.to_string();
        return fail_all(&|| if full { Error::Full(message.clone()) } else { backend(message.clone()) });
    }
}

/// Whether a batch failed only because another process wrote at the same time: running it again decides anew.
fn lost_race(error: &tokio_postgres::Error) -> bool {
    let code = error.code();
    code == Some(&SqlState::T_R_DEADLOCK_DETECTED)
        || code == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
        || code == Some(&SqlState::UNIQUE_VIOLATION)
}

async fn rollback(conn: &mut Conn) {
    if conn.in_transaction {
        // If even this fails the connection is broken or in a state the next BEGIN reports; a broken one is replaced.
        let _ = conn.rollback().await;
    }
}

/// Why a request did not apply.
enum Failure {
    /// The store's answer (conflict, duplicate, missing); the request wrote nothing.
    Refused(Error),
    /// PostgreSQL failed part-way: the transaction is aborted and the whole batch must roll back.
    Broken(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Failure {
        Failure::Broken(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Refused(e)
    }
}

/// Applies every request in one transaction. `Err` means the transaction must roll back.
async fn apply_all(conn: &mut Conn, batch: &[Request]) -> Result<Vec<Result<u64, Error>>, tokio_postgres::Error> {
    conn.begin("BEGIN").await?;
    let mut results = Vec::with_capacity(batch.len());
    for request in batch {
        match apply(conn, &request.op).await {
            Ok(count) => results.push(Ok(count)),
            Err(Failure::Refused(e)) => results.push(Err(e)),
            Err(Failure::Broken(e)) => return Err(e),
        }
    }
    Ok(results)
}

/// `NotFound(key)` unless a statement changed a row.
fn found(changed: u64, key: &str) -> Result<u64, Failure> {
    if changed == 0 { Err(Error::NotFound(key.to_owned()).into()) } else { Ok(0) }
}

/// `AlreadyExists(key)` unless an `INSERT … ON CONFLICT DO NOTHING` inserted its row.
fn inserted(count: u64, key: &str) -> Result<u64, Failure> {
    if count == 0 { Err(Error::AlreadyExists(key.to_owned()).into()) } else { Ok(0) }
}

async fn apply(conn: &mut Conn, op: &Op) -> Result<u64, Failure> {
    match op {
        Op::CreateStateMachine(m) => {
            let tags = tags_json(&m.tags)?;
            let count = conn
                .execute(
                    "INSERT INTO state_machines (arn, name, kind, role_arn, revision_id, created, updated, description, \
                     logging_configuration, tracing_configuration, tags, definition, encryption_configuration) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (arn) DO NOTHING",
                    &[
                        &m.arn,
                        &m.name,
                        &kind_str(m.kind),
                        &m.role_arn,
                        &m.revision_id,
                        &m.created,
                        &m.updated,
                        &m.description,
                        &m.logging_configuration,
                        &m.tracing_configuration,
                        &tags,
                        &m.definition,
                        &m.encryption_configuration,
                    ],
                )
                .await?;
            inserted(count, &m.arn)
        }
        Op::UpdateStateMachine(m) => {
            let count = conn
                .execute(
                    "UPDATE state_machines SET definition = $2, role_arn = $3, logging_configuration = $4, \
                     tracing_configuration = $5, description = $6, revision_id = $7, updated = $8, \
                     encryption_configuration = $9 WHERE arn = $1",
                    &[
                        &m.arn,
                        &m.definition,
                        &m.role_arn,
                        &m.logging_configuration,
                        &m.tracing_configuration,
                        &m.description,
                        &m.revision_id,
                        &m.updated,
                        &m.encryption_configuration,
                    ],
                )
                .await?;
            found(count, &m.arn)
        }
        Op::DeleteStateMachine(arn) => {
            let count = conn.execute("DELETE FROM state_machines WHERE arn = $1", &[arn]).await?;
            found(count, arn)?;
            conn.execute("DELETE FROM versions WHERE state_machine_arn = $1", &[arn]).await?;
            conn.execute("DELETE FROM aliases WHERE state_machine_arn = $1", &[arn]).await?;
            Ok(0)
        }
        Op::SetStateMachineTags(arn, tags) => {
            let tags = tags_json(tags)?;
            let count = conn.execute("UPDATE state_machines SET tags = $2 WHERE arn = $1", &[arn, &tags]).await?;
            found(count, arn)
        }
        Op::CreateExecution(execution, first) => {
            if conn.query_opt("SELECT 1 FROM executions WHERE arn = $1", &[&execution.arn]).await?.is_some() {
                return Err(Error::AlreadyExists(execution.arn.clone()).into());
            }
            let steps = std::slice::from_ref(first);
            let new = New { arn: &execution.arn, running: execution.status == Status::Running };
            let targets = check(conn, steps, Some(new)).await?;
            let children = check_children(conn, steps).await?;
            let seq = create_execution(conn, execution).await?;
            write_steps(conn, steps, &targets, Some(seq)).await?;
            write_children(conn, steps, &children).await?;
            Ok(0)
        }
        Op::Append(steps) => {
            let targets = check(conn, steps, None).await?;
            let children = check_children(conn, steps).await?;
            write_steps(conn, steps, &targets, None).await?;
            write_children(conn, steps, &children).await?;
            Ok(0)
        }
        Op::RedriveExecution(arn, date, first) => {
            let steps = std::slice::from_ref(first);
            let Some(mut target) = load(conn, arn).await? else {
                return Err(Error::NotFound(arn.clone()).into());
            };
            if matches!(target.status.as_str(), "RUNNING" | "SUCCEEDED") {
                return Err(Error::NotRedrivable(arn.clone()).into());
            }
            // Check the step before writing, so that a refused redrive leaves the execution as it was.
            target.running = true;
            let targets = check_from(conn, steps, vec![target]).await?;
            let children = check_children(conn, steps).await?;
            let seq = targets.first().and_then(|t| t.seq).ok_or_else(|| backend("redriven execution not loaded"))?;
            conn.execute(REDRIVE, &[&seq, date]).await?;
            write_steps(conn, steps, &targets, None).await?;
            write_children(conn, steps, &children).await?;
            Ok(0)
        }
        Op::PublishVersion(publish) => publish_version(conn, publish).await,
        Op::Reset => {
            conn.batch(
                "DELETE FROM events; DELETE FROM triggers; DELETE FROM executions; DELETE FROM aliases; \
                 DELETE FROM versions; DELETE FROM state_machines; DELETE FROM activities;",
            )
            .await?;
            Ok(0)
        }
        Op::DeleteVersion(machine, number) => delete_version(conn, machine, *number).await,
        Op::CreateAlias(alias) => {
            check_routes(conn, alias).await?;
            let routing = routing_json(&alias.routing)?;
            let count = conn
                .execute(
                    "INSERT INTO aliases (arn, state_machine_arn, name, created, updated, description, routing) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (arn) DO NOTHING",
                    &[
                        &alias.arn,
                        &alias.state_machine_arn,
                        &alias.name,
                        &alias.created,
                        &alias.updated,
                        &alias.description,
                        &routing,
                    ],
                )
                .await?;
            inserted(count, &alias.arn)
        }
        Op::UpdateAlias(alias) => {
            if conn.query_opt("SELECT 1 FROM aliases WHERE arn = $1 FOR UPDATE", &[&alias.arn]).await?.is_none() {
                return Err(Error::NotFound(alias.arn.clone()).into());
            }
            check_routes(conn, alias).await?;
            let routing = routing_json(&alias.routing)?;
            conn.execute(
                "UPDATE aliases SET description = $2, routing = $3, updated = $4 WHERE arn = $1",
                &[&alias.arn, &alias.description, &routing, &alias.updated],
            )
            .await?;
            Ok(0)
        }
        Op::DeleteAlias(arn) => {
            let count = conn.execute("DELETE FROM aliases WHERE arn = $1", &[arn]).await?;
            found(count, arn)
        }
        Op::CreateActivity(activity) => {
            let tags = tags_json(&activity.tags)?;
            let count = conn
                .execute(
                    "INSERT INTO activities (arn, name, created, tags, encryption_configuration) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (arn) DO NOTHING",
                    &[&activity.arn, &activity.name, &activity.created, &tags, &activity.encryption_configuration],
                )
                .await?;
            inserted(count, &activity.arn)
        }
        Op::DeleteActivity(arn) => {
            let count = conn.execute("DELETE FROM activities WHERE arn = $1", &[arn]).await?;
            found(count, arn)
        }
        Op::SetActivityTags(arn, tags) => {
            let tags = tags_json(tags)?;
            let count = conn.execute("UPDATE activities SET tags = $2 WHERE arn = $1", &[arn, &tags]).await?;
            found(count, arn)
        }
        Op::DeleteClosed { before, limit } => delete_closed(conn, *before, *limit).await,
    }
}

/// Deletes at most `limit` executions that ended before `before`, oldest first, with their events and triggers.
/// Executions another process is writing are skipped, not waited for.
async fn delete_closed(conn: &mut Conn, before: i64, limit: usize) -> Result<u64, Failure> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = conn
        .query(
            "DELETE FROM executions WHERE seq IN (SELECT seq FROM executions WHERE stop IS NOT NULL AND stop < $1 \
             AND status <> 'RUNNING' ORDER BY stop LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING seq",
            &[&before, &limit],
        )
        .await?;
    let doomed = rows.iter().map(|row| row.try_get::<_, i64>(0)).collect::<Result<Vec<i64>, _>>()?;
    conn.execute("DELETE FROM events WHERE execution = ANY($1)", &[&doomed]).await?;
    conn.execute("DELETE FROM triggers WHERE execution = ANY($1)", &[&doomed]).await?;
    Ok(doomed.len() as u64)
}

/// Snapshots the machine at the expected revision as its next version, unless that revision has one already.
async fn publish_version(conn: &mut Conn, publish: &Publish) -> Result<u64, Failure> {
    let machine = &publish.state_machine_arn;
    let row = conn
        .query_opt(
            "SELECT definition, role_arn, revision_id, last_version FROM state_machines WHERE arn = $1 FOR UPDATE",
            &[machine],
        )
        .await?;
    let Some(row) = row else {
        return Err(Error::NotFound(machine.clone()).into());
    };
    let (definition, role_arn, revision_id, last): (String, String, String, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
    if revision_id != publish.revision_id {
        let changed = Error::RevisionChanged { arn: machine.clone(), expected: publish.revision_id.clone(), found: revision_id };
        return Err(changed.into());
    }
    let published = conn
        .query_opt("SELECT 1 FROM versions WHERE state_machine_arn = $1 AND revision_id = $2", &[machine, &revision_id])
        .await?;
    if published.is_some() {
        return Ok(0);
    }
    let number = last + 1;
    conn.execute(
        "INSERT INTO versions (state_machine_arn, number, revision_id, role_arn, created, description, definition) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[machine, &number, &revision_id, &role_arn, &publish.created, &publish.description, &definition],
    )
    .await?;
    conn.execute("UPDATE state_machines SET last_version = $2 WHERE arn = $1", &[machine, &number]).await?;
    Ok(0)
}

/// Deletes a version no alias routes to.
async fn delete_version(conn: &mut Conn, machine: &str, number: u64) -> Result<u64, Failure> {
    let sql_number = sql_id(number)?;
    let arn = format!("{machine}:{number}");
    let exists = conn
        .query_opt(
            "SELECT 1 FROM versions WHERE state_machine_arn = $1 AND number = $2 FOR UPDATE",
            &[&machine, &sql_number],
        )
        .await?;
    if exists.is_none() {
        return Err(Error::NotFound(arn).into());
    }
    let aliases = conn
        .query("SELECT name, routing FROM aliases WHERE state_machine_arn = $1 ORDER BY seq", &[&machine])
        .await?;
    let mut using = Vec::new();
    for row in aliases {
        let (name, routing): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        let routes = routing_from_json(&routing).map_err(backend)?;
        if routes.iter().any(|route| route.version_arn == arn) {
            using.push(name);
        }
    }
    if !using.is_empty() {
        return Err(Error::VersionInUse { version: arn, aliases: using }.into());
    }
    conn.execute("DELETE FROM versions WHERE state_machine_arn = $1 AND number = $2", &[&machine, &sql_number])
        .await?;
    Ok(0)
}

/// Every version an alias routes to is a version of its machine: `NotFound(<version ARN>)` names the first that is
/// not. The versions are locked (`FOR SHARE`) so that no other process deletes one before this commits.
async fn check_routes(conn: &mut Conn, alias: &Alias) -> Result<(), Failure> {
    for route in &alias.routing {
        let number = route
            .version_arn
            .strip_prefix(alias.state_machine_arn.as_str())
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|n| n.parse::<i64>().ok());
        let found = match number {
            Some(number) => conn
                .query_opt(
                    "SELECT 1 FROM versions WHERE state_machine_arn = $1 AND number = $2 FOR SHARE",
                    &[&alias.state_machine_arn, &number],
                )
                .await?
                .is_some(),
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
    status: String,
    /// The id the execution's next event takes, before the request.
    first: u64,
    next: u64,
    running: bool,
}

/// Locks and reads an execution: `None` if it does not exist.
async fn load<'a>(conn: &mut Conn, arn: &'a str) -> Result<Option<Target<'a>>, Failure> {
    let Some(row) = conn.query_opt(LOCK_EXECUTION, &[&arn]).await? else { return Ok(None) };
    let (seq, status): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
    let last: i64 = conn.query_one(LAST_EVENT, &[&seq]).await?.try_get(0)?;
    let last = u64::try_from(last).map_err(|_| backend(format!("stored event id out of range: {last}")))?;
    Ok(Some(Target {
        arn,
        seq: Some(seq),
        running: status == status_str(Status::Running),
        status,
        first: last + 1,
        next: last + 1,
    }))
}

/// Checks every step of a request against the stored executions and the request's earlier steps, returning
/// the executions it touches (locked). Writes nothing.
async fn check<'a>(conn: &mut Conn, steps: &'a [Append], new: Option<New<'a>>) -> Result<Vec<Target<'a>>, Failure> {
    let targets = new
        .map(|new| Target {
            arn: new.arn,
            seq: None,
            status: String::new(),
            first: 1,
            next: 1,
            running: new.running,
        })
        .into_iter()
        .collect();
    check_from(conn, steps, targets).await
}

/// `check`, with some targets already known.
async fn check_from<'a>(
    conn: &mut Conn,
    steps: &'a [Append],
    mut targets: Vec<Target<'a>>,
) -> Result<Vec<Target<'a>>, Failure> {
    for step in steps {
        let arn = step.execution_arn.as_str();
        let index = match targets.iter().position(|t| t.arn == arn) {
            Some(index) => index,
            None => {
                let Some(target) = load(conn, arn).await? else {
                    return Err(Error::NotFound(arn.to_owned()).into());
                };
                targets.push(target);
                targets.len() - 1
            }
        };
        let target = targets.get_mut(index).expect("invariant: index was just found or pushed");
        if !target.running {
            return Err(Error::Ended(arn.to_owned()).into());
        }
        for event in &step.events {
            if event.id != target.next {
                let conflict = Error::Conflict { execution: arn.to_owned(), expected: target.next, found: event.id };
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

/// What `check_children` learned about one child execution: its `seq` if it is stored, and the id its next event
/// takes before the request.
struct ChildTarget<'a> {
    arn: &'a str,
    seq: Option<i64>,
    first: u64,
}

/// Checks the child executions of a request's steps, as `check` checks executions: a child is created once, and
/// its event ids continue its stored ones; one that ended takes events only after a redrive. Writes nothing.
async fn check_children<'a>(conn: &mut Conn, steps: &'a [Append]) -> Result<Vec<ChildTarget<'a>>, Failure> {
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
                if conn.query_opt("SELECT 1 FROM executions WHERE arn = $1", &[&arn]).await?.is_some() {
                    return Err(Error::AlreadyExists(arn.to_owned()).into());
                }
                targets.push((ChildTarget { arn, seq: None, first: 1 }, 1, true));
                targets.len() - 1
            }
            None => {
                let Some(stored) = load(conn, arn).await? else {
                    return Err(Error::NotFound(arn.to_owned()).into());
                };
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
async fn write_children(conn: &mut Conn, steps: &[Append], targets: &[ChildTarget<'_>]) -> Result<(), Failure> {
    let mut seqs: Vec<Option<i64>> = targets.iter().map(|t| t.seq).collect();
    let mut next: Vec<u64> = targets.iter().map(|t| t.first).collect();
    for child in steps.iter().flat_map(|step| &step.children) {
        let index = targets.iter().position(|t| t.arn == child.execution_arn);
        let index = index.expect("invariant: `check_children` returns a target for every child");
        let seq = seqs.get_mut(index).expect("invariant: one entry per target");
        if let Some(record) = &child.created {
            *seq = Some(create_execution(conn, record).await?);
        }
        let seq = seq.expect("invariant: a child is stored or created before its events");
        if let Some(date) = child.redriven {
            conn.execute(REDRIVE, &[&seq, &date]).await?;
        }
        let next = next.get_mut(index).expect("invariant: one entry per target");
        let ids = (*next..).take(child.events.len()).map(sql_id).collect::<Result<Vec<i64>, Error>>()?;
        *next += child.events.len() as u64;
        insert_events(conn, seq, ids, child.events.iter().map(|e| e.json.as_str()).collect()).await?;
        if let Some(end) = &child.ending {
            write_ending(conn, seq, end).await?;
        }
    }
    Ok(())
}

async fn insert_events(conn: &mut Conn, seq: i64, ids: Vec<i64>, json: Vec<&str>) -> Result<(), Failure> {
    if !ids.is_empty() {
        conn.execute(INSERT_EVENTS, &[&seq, &ids, &json]).await?;
    }
    Ok(())
}

/// Ends execution `seq` as `end` says.
async fn write_ending(conn: &mut Conn, seq: i64, end: &Ending) -> Result<(), Failure> {
    conn.execute(END_EXECUTION, &[&seq, &status_str(end.status), &end.stop, &end.output, &end.error, &end.cause])
        .await?;
    Ok(())
}

/// Writes checked steps: events, triggers, endings. `created` is the `seq` of the execution the request created.
async fn write_steps(
    conn: &mut Conn,
    steps: &[Append],
    targets: &[Target<'_>],
    created: Option<i64>,
) -> Result<(), Failure> {
    // The next event id of each target as the steps go, to record each step's last event.
    let mut next: Vec<u64> = targets.iter().map(|t| t.first).collect();
    for step in steps {
        let index = targets.iter().position(|t| t.arn == step.execution_arn);
        let index = index.expect("invariant: `check` returns a target for every step's execution");
        let target = targets.get(index).expect("invariant: the index was just found");
        let seq = target.seq.or(created).expect("invariant: only the created execution has no stored seq");
        let ids = step.events.iter().map(|e| sql_id(e.id)).collect::<Result<Vec<i64>, Error>>()?;
        insert_events(conn, seq, ids, step.events.iter().map(|e| e.json.as_str()).collect()).await?;
        let next = next.get_mut(index).expect("invariant: one entry per target");
        *next += step.events.len() as u64;
        let last = sql_id(*next - 1)?;
        // The digest is stored as its bits.
        let digest = step.digest as i64;
        conn.execute(INSERT_TRIGGER, &[&seq, &step.trigger, &last, &digest]).await?;
        if let Some(end) = &step.ending {
            write_ending(conn, seq, end).await?;
        }
    }
    Ok(())
}

/// Inserts an execution checked not to exist and returns its `seq`. If another process inserted it since the check,
/// the unique violation fails the batch, which runs again and refuses the request then.
async fn create_execution(conn: &mut Conn, e: &Execution) -> Result<i64, Failure> {
    let row = conn
        .query_one(
            "INSERT INTO executions (arn, status, kind, start, stop, name, state_machine_arn, role_arn, \
             trace_header, error, cause, output, input, definition, version_arn, alias_arn, engine_version, \
             map_run_arn, redrive_count, redrive_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
             RETURNING seq",
            &[
                &e.arn,
                &status_str(e.status),
                &kind_str(e.kind),
                &e.start,
                &e.stop,
                &e.name,
                &e.state_machine_arn,
                &e.role_arn,
                &e.trace_header,
                &e.error,
                &e.cause,
                &e.output,
                &e.input,
                &e.definition,
                &e.version_arn,
                &e.alias_arn,
                &i64::from(e.engine_version),
                &e.map_run_arn,
                &i64::from(e.redrive_count),
                &e.redrive_date,
            ],
        )
        .await?;
    Ok(row.try_get::<_, i64>(0)?)
}
