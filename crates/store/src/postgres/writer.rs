//! The writer task: owns the one write connection and commits queued requests in groups.
//!
//! Each turn it waits for one request, drains whatever else is queued (up to `MAX_BATCH_STEPS` steps), runs `BEGIN`,
//! applies each request (checked in full before it writes, so a refused request leaves nothing behind; PostgreSQL
//! aborts a transaction at its first failed statement, so a refusal must never be a failed statement), commits once,
//! and only then answers every request. Executions' steps go through `steps`, which locks the executions the batch
//! names (`FOR UPDATE`) before checking them, so another process's writer cannot slip events in between the check
//! and the write.
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

use crate::postgres::rows::{kind_str, routing_json, sql_id, tags_json};
use crate::postgres::steps::Steps;
use crate::postgres::{Conn, Failure, MAX_BATCH_STEPS, backend};
use crate::sqlite::rows::routing_from_json;
pub(crate) use crate::op::Op;
use crate::{Alias, Append, CommitRecorder, Error, Publish, Stats};


/// How many times a batch runs when it keeps losing races with other processes.
const ATTEMPTS: usize = 3;

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
    times: CommitRecorder,
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
            commit_times: self.counters.times.read(),
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
        let begun = std::time::Instant::now();
        let failed = match apply_all(conn, batch).await {
            Ok(results) => match conn.commit().await {
                Ok(()) => {
                    counters.commits.fetch_add(1, Ordering::Relaxed);
                    counters.times.record(begun.elapsed());
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

/// Applies every request in one transaction: executions' steps through `Steps` (which locks the executions the
/// batch names up front and inserts their events and triggers together), the rest one by one. `Err` means the
/// transaction must roll back.
async fn apply_all(conn: &mut Conn, batch: &[Request]) -> Result<Vec<Result<u64, Error>>, tokio_postgres::Error> {
    conn.begin("BEGIN").await?;
    let mut steps = Steps::default();
    steps.prefetch(conn, arns(batch.iter().map(|r| &r.op))).await?;
    let mut results = Vec::with_capacity(batch.len());
    for request in batch {
        let applied = match &request.op {
            Op::CreateExecution(execution, first) => steps.create(conn, execution, first).await.map(|()| 0),
            Op::Append(list) => steps.append(conn, list).await.map(|()| 0),
            Op::RedriveExecution(arn, date, first) => steps.redrive(conn, arn, *date, first).await.map(|()| 0),
            Op::Park(arn, wake_at) => steps.park(conn, arn, *wake_at).await.map(|()| 0),
            op @ (Op::Reset | Op::DeleteClosed { .. }) => {
                steps.forget(conn).await?;
                apply(conn, op).await
            }
            op => apply(conn, op).await,
        };
        match applied {
            Ok(count) => results.push(Ok(count)),
            Err(Failure::Refused(e)) => results.push(Err(e)),
            Err(Failure::Broken(e)) => return Err(e),
        }
    }
    steps.flush(conn).await?;
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
        // `Steps` writes these.
        Op::CreateExecution(..) | Op::Append(_) | Op::RedriveExecution(..) | Op::Park(..) => {
            Err(backend("invariant broken: an execution's step reached `apply`").into())
        }
        Op::PublishVersion(publish) => publish_version(conn, publish).await,
        Op::Reset => {
            conn.batch(
                "DELETE FROM events; DELETE FROM triggers; DELETE FROM executions; DELETE FROM aliases; \
                 DELETE FROM versions; DELETE FROM state_machines; DELETE FROM activities; DELETE FROM parked; \
                 DELETE FROM baton_outbox;",
            )
            .await?;
            Ok(0)
        }
        Op::DeleteVersion(machine, number) => delete_version(conn, machine, *number).await,
        Op::SettleOutbox(delivered, failed) => {
            if !delivered.is_empty() {
                conn.execute("DELETE FROM baton_outbox WHERE id = ANY($1)", &[delivered]).await?;
            }
            if !failed.is_empty() {
                let (ids, next): (Vec<i64>, Vec<i64>) = failed.iter().copied().unzip();
                conn.execute(
                    "UPDATE baton_outbox SET attempts = attempts + 1, next_try = f.next_try \
                     FROM unnest($1::BIGINT[], $2::BIGINT[]) AS f (id, next_try) WHERE baton_outbox.id = f.id",
                    &[&ids, &next],
                )
                .await?;
            }
            Ok(0)
        }
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
        // A page limit is SQLite's way to act out a full disk (its tests); PostgreSQL has none.
        #[cfg(test)]
        Op::LimitPages(_) => Err(Error::Backend("PostgreSQL has no page limit to set".into()).into()),
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

/// Every execution ARN a batch's requests name, for `Steps::prefetch`.
pub(crate) fn arns<'b>(ops: impl Iterator<Item = &'b Op>) -> Vec<&'b str> {
    let mut arns = Vec::new();
    for op in ops {
        let (own, steps): (Option<&str>, &[Append]) = match op {
            Op::CreateExecution(execution, first) => (Some(&execution.arn), std::slice::from_ref(first)),
            Op::RedriveExecution(arn, _, first) => (Some(arn), std::slice::from_ref(first)),
            Op::Park(arn, _) => (Some(arn), &[]),
            Op::Append(steps) => (None, steps),
            _ => continue,
        };
        arns.extend(own);
        for step in steps {
            arns.push(step.execution_arn.as_str());
            arns.extend(step.children.iter().map(|c| c.execution_arn.as_str()));
        }
    }
    arns.sort_unstable();
    arns.dedup();
    arns
}
