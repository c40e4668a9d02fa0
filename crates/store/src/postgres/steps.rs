//! Executions' steps within one writer batch: created executions, appended steps, redrives, and their child
//! executions, checked and written with few round trips.
//!
//! Commit latency and round trips dominate, so a batch does not ask the server about each step. `Steps::prefetch`
//! locks every execution the batch names in one statement (in `seq` order, so two processes' batches do not deadlock
//! on them) and reads their last event and trigger in a second one (after the locks: under READ COMMITTED a statement
//! that waited for a lock would read the events as of its start). Requests are then checked against what the batch
//! knows (`known`, updated as requests are written), and their events and triggers are queued and inserted by
//! `flush` in one statement each, before the batch commits or before a request that deletes executions.
//!
//! As in `writer`, each request is checked completely before it writes anything (queued rows count as written): a
//! refused request leaves `known` and the queues as they were.

use std::collections::{HashMap, HashSet};

use crate::postgres::{Conn, Failure};
use crate::postgres::rows::{kind_str, sql_id, status_str};
use crate::{Append, Ending, Error, Execution, Status};

const LOCK_EXECUTIONS: &str = "SELECT e.seq, e.arn, e.status, EXISTS (SELECT 1 FROM parked p WHERE p.execution = e.seq), \
     e.epoch FROM executions e WHERE e.arn = ANY($1) ORDER BY e.seq FOR UPDATE OF e";
const LAST_ROWS: &str = "SELECT s.seq, \
     coalesce((SELECT max(id) FROM events WHERE execution = s.seq), 0), \
     coalesce((SELECT max(seq) FROM triggers WHERE execution = s.seq), 0) \
     FROM unnest($1::BIGINT[]) AS s (seq)";
const INSERT_EVENTS: &str =
    "INSERT INTO events (execution, id, json) SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[])";
const INSERT_TRIGGERS: &str = "INSERT INTO triggers (execution, seq, json, last_event, digest) \
     SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[])";
const END_EXECUTION: &str =
    "UPDATE executions SET status = $2, stop = $3, output = $4, error = $5, cause = $6 WHERE seq = $1";
const PARK: &str = "INSERT INTO parked (execution, wake_at) SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[]) \
     ON CONFLICT (execution) DO UPDATE SET wake_at = excluded.wake_at";
const WAKE: &str = "DELETE FROM parked WHERE execution = ANY($1)";
const REDRIVE: &str = "UPDATE executions SET status = 'RUNNING', stop = NULL, output = NULL, error = NULL, \
     cause = NULL, redrive_count = redrive_count + 1, redrive_date = $2 WHERE seq = $1";
const HOLD: &str = "UPDATE executions SET owner = $2, epoch = $3 WHERE seq = $1";
const INSERT_TOKEN: &str = "INSERT INTO baton_tokens (token, execution_arn, task) VALUES ($1, $2, $3) \
     ON CONFLICT (token) DO NOTHING";
const INSERT_ACTIVITY_TASK: &str = "INSERT INTO baton_activity_tasks (activity_arn, token, execution_arn, input) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (token) DO NOTHING";
const ANSWER: &str = "UPDATE baton_inbox SET answer = '{\"ok\":true}' WHERE id = $1 AND answer IS NULL";
const NOTIFY: &str = "SELECT pg_notify($1, $2)";
const FORGET_TOKENS: &str = "DELETE FROM baton_tokens WHERE execution_arn = $1";
const FORGET_ACTIVITY_TASKS: &str = "DELETE FROM baton_activity_tasks WHERE execution_arn = $1";
/// Messages for the outbox, due at once, their ids in the order given.
const INSERT_OUTBOX: &str = "INSERT INTO baton_outbox (next_try, destination, execution_arn, body) \
     SELECT 0, d, e, b FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[]) WITH ORDINALITY AS m (d, e, b, n) ORDER BY n";

/// What the batch knows of the executions it touches, and the rows it has yet to insert.
#[derive(Default)]
pub(crate) struct Steps<'a> {
    /// Locked executions by ARN, as the batch has left them so far.
    known: HashMap<String, Known>,
    /// ARNs the prefetch found no execution of (nothing can insert one before this batch ends but a unique
    /// violation, which runs the batch again).
    absent: HashSet<String>,
    events: Rows<'a>,
    triggers: TriggerRows<'a>,
    /// Park times to write by execution `seq`: `Some` parks it, `None` wakes it.
    parks: HashMap<i64, Option<i64>>,
    outbox: OutboxRows<'a>,
}

/// Outbox messages to insert, column by column.
#[derive(Default)]
struct OutboxRows<'a> {
    destination: Vec<&'a str>,
    execution_arn: Vec<&'a str>,
    body: Vec<&'a str>,
}

/// One locked execution.
#[derive(Clone)]
struct Known {
    seq: i64,
    status: String,
    /// The last event's id (0 for none) and the last trigger's number.
    last_event: u64,
    last_trigger: i64,
    /// The epoch of the last claim (`Lease`).
    epoch: u64,
    /// Whether it is parked, as the batch has left it so far.
    parked: bool,
}

impl Known {
    fn running(&self) -> bool {
        self.status == status_str(Status::Running)
    }
}

/// Event rows to insert, column by column.
#[derive(Default)]
struct Rows<'a> {
    execution: Vec<i64>,
    id: Vec<i64>,
    json: Vec<&'a str>,
}

/// Trigger rows to insert, column by column.
#[derive(Default)]
struct TriggerRows<'a> {
    execution: Vec<i64>,
    seq: Vec<i64>,
    json: Vec<&'a str>,
    last_event: Vec<i64>,
    digest: Vec<i64>,
}

/// An execution a request appends to, as its check goes.
struct Target<'a> {
    arn: &'a str,
    /// The id the execution's next event takes, as the request's steps go.
    next: u64,
    running: bool,
}

/// A child execution a request writes, as its check goes.
struct ChildTarget<'a> {
    arn: &'a str,
    next: u64,
    running: bool,
}

impl<'a> Steps<'a> {
    /// Locks the executions of `arns` that exist and learns their last event and trigger.
    pub(crate) async fn prefetch(&mut self, conn: &mut Conn, arns: Vec<&str>) -> Result<(), tokio_postgres::Error> {
        if arns.is_empty() {
            return Ok(());
        }
        let locked = conn.query(LOCK_EXECUTIONS, &[&arns]).await?;
        let mut found = Vec::with_capacity(locked.len());
        for row in &locked {
            let (seq, arn, status): (i64, String, String) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let parked: bool = row.try_get(3)?;
            let epoch = u64::try_from(row.try_get::<_, i64>(4)?).unwrap_or(0);
            found.push(seq);
            self.known.insert(arn, Known { seq, status, last_event: 0, last_trigger: 0, epoch, parked });
        }
        let by_seq: HashMap<i64, String> = self.known.iter().map(|(arn, k)| (k.seq, arn.clone())).collect();
        for row in conn.query(LAST_ROWS, &[&found]).await? {
            let (seq, last_event, last_trigger): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            if let Some(known) = by_seq.get(&seq).and_then(|arn| self.known.get_mut(arn)) {
                // Ids are written from 1 and checked, so a negative one cannot be stored.
                known.last_event = u64::try_from(last_event).unwrap_or(0);
                known.last_trigger = last_trigger;
            }
        }
        self.absent = arns.into_iter().filter(|arn| !self.known.contains_key(*arn)).map(str::to_owned).collect();
        Ok(())
    }

    /// Inserts the queued events, triggers and outbox messages, and writes the queued park times.
    pub(crate) async fn flush(&mut self, conn: &mut Conn) -> Result<(), tokio_postgres::Error> {
        let outbox = std::mem::take(&mut self.outbox);
        if !outbox.body.is_empty() {
            conn.execute(INSERT_OUTBOX, &[&outbox.destination, &outbox.execution_arn, &outbox.body]).await?;
        }
        let events = std::mem::take(&mut self.events);
        if !events.id.is_empty() {
            conn.execute(INSERT_EVENTS, &[&events.execution, &events.id, &events.json]).await?;
        }
        let t = std::mem::take(&mut self.triggers);
        if !t.seq.is_empty() {
            conn.execute(INSERT_TRIGGERS, &[&t.execution, &t.seq, &t.json, &t.last_event, &t.digest]).await?;
        }
        let (mut parked, mut wake_at, mut woken) = (Vec::new(), Vec::new(), Vec::new());
        for (seq, park) in std::mem::take(&mut self.parks) {
            match park {
                Some(at) => {
                    parked.push(seq);
                    wake_at.push(at);
                }
                None => woken.push(seq),
            }
        }
        if !parked.is_empty() {
            conn.execute(PARK, &[&parked, &wake_at]).await?;
        }
        if !woken.is_empty() {
            conn.execute(WAKE, &[&woken]).await?;
        }
        Ok(())
    }

    /// Parks a running execution until `wake_at`.
    pub(crate) async fn park(&mut self, conn: &mut Conn, arn: &str, wake_at: i64) -> Result<(), Failure> {
        let Some(known) = self.load(conn, arn).await? else {
            return Err(Error::NotFound(arn.to_owned()).into());
        };
        if !known.running() {
            return Err(Error::Ended(arn.to_owned()).into());
        }
        self.set_park(arn, Some(wake_at))?;
        Ok(())
    }

    /// Queues a known execution's park time (`None` wakes it), when it changes anything.
    fn set_park(&mut self, arn: &str, park: Option<i64>) -> Result<(), Error> {
        let known = self.known_mut(arn)?;
        if park.is_none() && !known.parked {
            return Ok(());
        }
        known.parked = park.is_some();
        let seq = known.seq;
        self.parks.insert(seq, park);
        Ok(())
    }

    /// Flushes, and forgets what the batch knew: for a request that deletes executions.
    pub(crate) async fn forget(&mut self, conn: &mut Conn) -> Result<(), tokio_postgres::Error> {
        self.flush(conn).await?;
        self.known.clear();
        self.absent.clear();
        Ok(())
    }

    /// Creates `execution` with its first step. `AlreadyExists` if an execution of that ARN exists.
    pub(crate) async fn create(&mut self, conn: &mut Conn, execution: &'a Execution, first: &'a Append) -> Result<(), Failure> {
        if !self.is_absent(conn, &execution.arn).await? {
            return Err(Error::AlreadyExists(execution.arn.clone()).into());
        }
        let steps = std::slice::from_ref(first);
        let new = Target { arn: &execution.arn, next: 1, running: execution.status == Status::Running };
        let targets = self.check(conn, steps, vec![new]).await?;
        let children = self.check_children(conn, steps).await?;
        self.insert_execution(conn, execution).await?;
        self.hold(conn, &execution.arn, first).await?;
        self.write_steps(conn, steps, &targets).await?;
        self.write_children(conn, steps, &children).await
    }

    /// Appends steps to running executions.
    pub(crate) async fn append(&mut self, conn: &mut Conn, steps: &'a [Append]) -> Result<(), Failure> {
        let targets = self.check(conn, steps, Vec::new()).await?;
        let children = self.check_children(conn, steps).await?;
        self.write_steps(conn, steps, &targets).await?;
        self.write_children(conn, steps, &children).await
    }

    /// Sets a failed, timed-out or aborted execution running again with `first`, its redrive counted at `date`.
    pub(crate) async fn redrive(&mut self, conn: &mut Conn, arn: &'a str, date: i64, first: &'a Append) -> Result<(), Failure> {
        let Some(known) = self.load(conn, arn).await? else {
            return Err(Error::NotFound(arn.to_owned()).into());
        };
        if known.running() || known.status == status_str(Status::Succeeded) {
            return Err(Error::NotRedrivable(arn.to_owned()).into());
        }
        // Check the step before writing, so that a refused redrive leaves the execution as it was.
        let steps = std::slice::from_ref(first);
        let target = Target { arn, next: known.last_event + 1, running: true };
        let targets = self.check(conn, steps, vec![target]).await?;
        let children = self.check_children(conn, steps).await?;
        self.redrive_known(conn, arn, date).await?;
        self.hold(conn, arn, first).await?;
        self.write_steps(conn, steps, &targets).await?;
        self.write_children(conn, steps, &children).await
    }

    /// What the batch knows of `arn`, locking and reading it first if it knows nothing; `None` if it does not exist.
    async fn load(&mut self, conn: &mut Conn, arn: &str) -> Result<Option<Known>, Failure> {
        if let Some(known) = self.known.get(arn) {
            return Ok(Some(known.clone()));
        }
        if self.absent.contains(arn) {
            return Ok(None);
        }
        self.prefetch_one(conn, arn).await?;
        Ok(self.known.get(arn).cloned())
    }

    async fn prefetch_one(&mut self, conn: &mut Conn, arn: &str) -> Result<(), tokio_postgres::Error> {
        let mut one = Steps::default();
        one.prefetch(conn, vec![arn]).await?;
        self.known.extend(one.known);
        self.absent.extend(one.absent);
        Ok(())
    }

    /// Whether no execution of `arn` exists (nor was created by this batch).
    async fn is_absent(&mut self, conn: &mut Conn, arn: &str) -> Result<bool, Failure> {
        Ok(self.load(conn, arn).await?.is_none())
    }

    /// Checks every step of a request against what the batch knows and the request's earlier steps (`targets` holds
    /// the executions the request creates or redrives). Writes nothing.
    async fn check(
        &mut self,
        conn: &mut Conn,
        steps: &'a [Append],
        mut targets: Vec<Target<'a>>,
    ) -> Result<Vec<Target<'a>>, Failure> {
        for step in steps {
            let arn = step.execution_arn.as_str();
            let index = match targets.iter().position(|t| t.arn == arn) {
                Some(index) => index,
                None => {
                    let Some(known) = self.load(conn, arn).await? else {
                        return Err(Error::NotFound(arn.to_owned()).into());
                    };
                    if step.lease.as_ref().is_some_and(|lease| lease.epoch != known.epoch) {
                        return Err(Error::Fenced(arn.to_owned()).into());
                    }
                    let next = known.last_event + 1;
                    targets.push(Target { arn, next, running: known.running() });
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

    /// Checks the child executions of a request's steps, as `check` checks executions: a child is created once, and
    /// its event ids continue its stored ones; one that ended takes events only after a redrive. Writes nothing.
    async fn check_children(&mut self, conn: &mut Conn, steps: &'a [Append]) -> Result<Vec<ChildTarget<'a>>, Failure> {
        let mut targets: Vec<ChildTarget<'a>> = Vec::new();
        for child in steps.iter().flat_map(|step| &step.children) {
            let arn = child.execution_arn.as_str();
            let index = match targets.iter().position(|t| t.arn == arn) {
                Some(_) if child.created.is_some() => return Err(Error::AlreadyExists(arn.to_owned()).into()),
                Some(index) => index,
                None => {
                    let target = match self.load(conn, arn).await? {
                        Some(_) if child.created.is_some() => return Err(Error::AlreadyExists(arn.to_owned()).into()),
                        None if child.created.is_some() => ChildTarget { arn, next: 1, running: true },
                        None => return Err(Error::NotFound(arn.to_owned()).into()),
                        Some(known) => {
                            let next = known.last_event + 1;
                            ChildTarget { arn, next, running: known.running() }
                        }
                    };
                    targets.push(target);
                    targets.len() - 1
                }
            };
            let target = targets.get_mut(index).expect("invariant: index was just found or pushed");
            if child.redriven.is_some() {
                target.running = true;
            }
            if !target.running && !child.events.is_empty() {
                return Err(Error::Ended(arn.to_owned()).into());
            }
            for event in &child.events {
                if event.id != target.next {
                    return Err(Error::Conflict { execution: arn.to_owned(), expected: target.next, found: event.id }.into());
                }
                target.next += 1;
            }
            if child.ending.is_some() {
                target.running = false;
            }
        }
        Ok(targets)
    }

    /// Writes checked steps: events, triggers and outbox messages queued, endings applied.
    async fn write_steps(&mut self, conn: &mut Conn, steps: &'a [Append], targets: &[Target<'a>]) -> Result<(), Failure> {
        for step in steps {
            debug_assert!(targets.iter().any(|t| t.arn == step.execution_arn), "`check` returns every step's target");
            let known = self.known_mut(&step.execution_arn)?;
            let seq = known.seq;
            for event in &step.events {
                self.events.execution.push(seq);
                self.events.id.push(sql_id(event.id)?);
                self.events.json.push(&event.json);
            }
            let known = self.known_mut(&step.execution_arn)?;
            known.last_event += step.events.len() as u64;
            known.last_trigger += 1;
            let (last_event, trigger) = (sql_id(known.last_event)?, known.last_trigger);
            self.triggers.execution.push(seq);
            self.triggers.seq.push(trigger);
            self.triggers.json.push(&step.trigger);
            self.triggers.last_event.push(last_event);
            // The digest is stored as its bits.
            self.triggers.digest.push(step.digest as i64);
            for message in &step.outbox {
                self.outbox.destination.push(&message.destination);
                self.outbox.execution_arn.push(&message.execution_arn);
                self.outbox.body.push(&message.body);
            }
            route(conn, step).await?;
            if let Some(end) = &step.ending {
                self.end(conn, &step.execution_arn, end).await?;
                conn.execute(FORGET_TOKENS, &[&step.execution_arn]).await?;
                conn.execute(FORGET_ACTIVITY_TASKS, &[&step.execution_arn]).await?;
            }
            self.set_park(&step.execution_arn, step.park.filter(|_| step.ending.is_none()))?;
        }
        Ok(())
    }

    /// Writes the checked child executions of a request's steps: new records, redrives, events, endings.
    async fn write_children(
        &mut self,
        conn: &mut Conn,
        steps: &'a [Append],
        targets: &[ChildTarget<'a>],
    ) -> Result<(), Failure> {
        for child in steps.iter().flat_map(|step| &step.children) {
            debug_assert!(targets.iter().any(|t| t.arn == child.execution_arn), "`check_children` returns every child");
            if let Some(record) = &child.created {
                self.insert_execution(conn, record).await?;
            }
            if let Some(date) = child.redriven {
                self.redrive_known(conn, &child.execution_arn, date).await?;
            }
            let known = self.known_mut(&child.execution_arn)?;
            let seq = known.seq;
            let first = known.last_event + 1;
            known.last_event += child.events.len() as u64;
            for (event, id) in child.events.iter().zip(first..) {
                self.events.execution.push(seq);
                self.events.id.push(sql_id(id)?);
                self.events.json.push(&event.json);
            }
            if let Some(end) = &child.ending {
                self.end(conn, &child.execution_arn, end).await?;
            }
        }
        Ok(())
    }

    /// Inserts an execution checked not to exist. If another process inserted it since the check, the unique
    /// violation fails the batch, which runs again and refuses the request then.
    async fn insert_execution(&mut self, conn: &mut Conn, e: &Execution) -> Result<(), Failure> {
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
        let seq: i64 = row.try_get(0)?;
        self.absent.remove(&e.arn);
        let status = status_str(e.status).to_owned();
        self.known.insert(e.arn.clone(), Known { seq, status, last_event: 0, last_trigger: 0, epoch: 0, parked: false });
        Ok(())
    }

    /// Holds a known execution under the lease of the step that creates or redrives it, if it has one.
    async fn hold(&mut self, conn: &mut Conn, arn: &str, first: &Append) -> Result<(), Failure> {
        let Some(lease) = &first.lease else { return Ok(()) };
        let known = self.known_mut(arn)?;
        let seq = known.seq;
        known.epoch = lease.epoch;
        conn.execute(HOLD, &[&seq, &&*lease.node, &sql_id(lease.epoch)?]).await?;
        Ok(())
    }

    /// Sets a known execution running again, its redrive counted.
    async fn redrive_known(&mut self, conn: &mut Conn, arn: &str, date: i64) -> Result<(), Failure> {
        let known = self.known_mut(arn)?;
        let seq = known.seq;
        known.status = status_str(Status::Running).to_owned();
        conn.execute(REDRIVE, &[&seq, &date]).await?;
        Ok(())
    }

    /// Ends a known execution as `end` says.
    async fn end(&mut self, conn: &mut Conn, arn: &str, end: &Ending) -> Result<(), Failure> {
        let known = self.known_mut(arn)?;
        let seq = known.seq;
        known.status = status_str(end.status).to_owned();
        conn.execute(END_EXECUTION, &[&seq, &status_str(end.status), &end.stop, &end.output, &end.error, &end.cause])
            .await?;
        Ok(())
    }

    /// A checked execution, which the batch knows (checks load it; creates add it).
    fn known_mut(&mut self, arn: &str) -> Result<&mut Known, Error> {
        self.known
            .get_mut(arn)
            .ok_or_else(|| crate::postgres::backend(format!("invariant broken: {arn} was checked but is not known")))
    }
}

/// Writes what a step leaves for the other nodes (`Routing`): its tokens, its activity tasks (waking the workers'
/// long polls on every node: `pg_notify` is delivered when the batch commits), and the answers of the inbox messages
/// it commits (waking their senders).
async fn route(conn: &mut Conn, step: &Append) -> Result<(), Failure> {
    let routing = &step.routing;
    for row in &routing.tokens {
        conn.execute(INSERT_TOKEN, &[&row.token, &step.execution_arn, &sql_id(row.task)?]).await?;
    }
    for row in &routing.activity_tasks {
        conn.execute(INSERT_ACTIVITY_TASK, &[&row.activity_arn, &row.token, &step.execution_arn, &row.input]).await?;
        conn.execute(NOTIFY, &[&crate::postgres::inbox::ACTIVITY_CHANNEL, &row.activity_arn]).await?;
    }
    for id in &routing.answered {
        conn.execute(ANSWER, &[id]).await?;
        conn.execute(NOTIFY, &[&crate::postgres::inbox::ANSWER_CHANNEL, &id.to_string()]).await?;
    }
    Ok(())
}
