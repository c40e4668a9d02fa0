//! Durable storage of state machines, executions, their history events and the triggers that produced them.
//!
//! One `Store` trait, implemented for embedded SQLite (`sqlite`) and, with the `postgres` feature, PostgreSQL
//! (`postgres`), both held to one conformance suite (`tests/it/suite.rs`). An execution's durable record
//! is its triggers (the inputs the deterministic engine folded: start, task results, timers fired, stop) and the
//! history events they produced, committed together; on restart the runtime re-folds the triggers to rebuild each
//! running execution exactly. A running execution that only waits for a timer may be parked: its wake time is kept
//! (`Append::park`, `Store::park`), start-up leaves it alone, and `due` hands it back when its time comes. This is
//! the only crate with SQL.

use std::future::Future;

mod database;
mod op;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;

pub use database::{Database, Listening, Location};

/// The notification channels of a shared store (`Database::listen`).
pub mod channels {
    /// Tells a node (the payload: its id) that a message waits for it in the inbox.
    pub const INBOX: &str = "baton_inbox";
    /// Tells a sender (the payload: the message's id) that its message was answered.
    pub const ANSWER: &str = "baton_answer";
    /// Tells workers' long polls (the payload: the activity's ARN) that a task was queued.
    pub const ACTIVITY: &str = "baton_activity";
}

/// Workflow type of a state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Standard,
    Express,
}

/// A state machine as stored. Timestamps are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    pub arn: String,
    pub name: String,
    pub kind: Kind,
    pub definition: String,
    pub role_arn: String,
    /// `loggingConfiguration`, `tracingConfiguration` as the API received them (JSON text), kept for Describe.
    pub logging_configuration: Option<String>,
    pub tracing_configuration: Option<String>,
    pub description: Option<String>,
    /// Changes on every update.
    pub revision_id: String,
    pub created: i64,
    pub updated: i64,
    /// Tags as (key, value), in insertion order.
    pub tags: Vec<(String, String)>,
    /// `encryptionConfiguration` as the service keeps it (JSON text); `None` when none was given.
    pub encryption_configuration: Option<String>,
}

/// How an execution ended, or that it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

/// An execution as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub arn: String,
    pub name: String,
    pub state_machine_arn: String,
    /// The definition it runs (a snapshot: updating the machine does not change running executions).
    pub definition: String,
    pub role_arn: String,
    pub kind: Kind,
    pub input: String,
    pub trace_header: Option<String>,
    pub status: Status,
    pub start: i64,
    pub stop: Option<i64>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The version it runs, when started through a version or an alias (`…:stateMachine:<name>:<n>`).
    pub version_arn: Option<String>,
    /// The alias it was started through, if any.
    pub alias_arn: Option<String>,
    /// How many times the execution was redriven, and when last.
    pub redrive_count: u32,
    pub redrive_date: Option<i64>,
    /// The replay format of the engine that wrote its triggers (`engine::REPLAY_VERSION`); 0 before it was recorded.
    pub engine_version: u32,
    /// The Map Run whose child execution this is, if it is one. A child has no triggers of its own: its events are
    /// written with its parent's steps (`Append::children`), and recovery never resumes it.
    pub map_run_arn: Option<String>,
}

/// A published state machine version: an immutable snapshot of a revision. Its ARN is the machine's ARN and
/// `:<number>`; numbers start at 1 and are never reused, even after a version is deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub state_machine_arn: String,
    pub number: u64,
    pub definition: String,
    pub role_arn: String,
    /// The machine's revision it snapshots.
    pub revision_id: String,
    pub description: Option<String>,
    pub created: i64,
}

impl Version {
    /// `<state machine ARN>:<number>`.
    pub fn arn(&self) -> String {
        format!("{}:{}", self.state_machine_arn, self.number)
    }
}

/// What `publish_version` snapshots: the machine as it is at `revision_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Publish {
    pub state_machine_arn: String,
    /// The revision the caller expects the machine to be at; another is `Error::RevisionChanged`.
    pub revision_id: String,
    pub description: Option<String>,
    pub created: i64,
}

/// One route of an alias: a version ARN and its weight (0..=100).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub version_arn: String,
    pub weight: u32,
}

/// A state machine alias: a name (`…:stateMachine:<name>:<alias>`) that routes executions to one or two versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    pub arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub description: Option<String>,
    pub routing: Vec<Route>,
    pub created: i64,
    pub updated: i64,
}

/// An activity: a named task queue that workers poll. Its ARN is `…:activity:<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub arn: String,
    pub name: String,
    /// Milliseconds since the Unix epoch.
    pub created: i64,
    /// Tags as (key, value), in insertion order.
    pub tags: Vec<(String, String)>,
    /// `encryptionConfiguration` as the service keeps it (JSON text); `None` when none was given.
    pub encryption_configuration: Option<String>,
}

/// One history event as stored: its id and its wire JSON (`HistoryEvent::to_json`, as text).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: u64,
    pub json: String,
}

/// How an execution ended, written with the events that end it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    pub status: Status,
    pub stop: i64,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl Execution {
    /// The record as `ending` leaves it: its status, stop date, output, error and cause.
    pub fn end(&mut self, ending: Ending) {
        self.status = ending.status;
        self.stop = Some(ending.stop);
        self.output = ending.output;
        self.error = ending.error;
        self.cause = ending.cause;
    }
}

/// What one step of one execution appends: the trigger it folded (JSON text, opaque to the store), the events it
/// produced (ids continue the execution's sequence), its ending if it ended, and the digest of all the execution's
/// events after this step (opaque to the store, which keeps it with the trigger for recovery to compare).
#[derive(Debug, Clone, PartialEq)]
pub struct Append {
    pub execution_arn: String,
    pub trigger: String,
    pub events: Vec<Event>,
    pub ending: Option<Ending>,
    pub digest: u64,
    /// What the step writes of the child executions of its distributed Maps.
    pub children: Vec<ChildStep>,
    /// The claim the step is written under, on a store that several servers share: the store refuses the step
    /// (`Error::Fenced`) unless the execution is still held at that epoch, so a server that lost the execution writes
    /// nothing. An execution created (or redriven) with a lease is held by its node at its epoch. `None` checks
    /// nothing (one server, as on SQLite, which one process owns).
    pub lease: Option<Lease>,
    /// What the step writes for the other nodes of a shared store (nothing on SQLite).
    pub routing: Routing,
    /// After this step the execution sleeps until this time (milliseconds since the epoch): it is parked, left out of
    /// `running` and found by `due`. A step without it (or with an ending) wakes the execution for good.
    pub park: Option<i64>,
    /// Messages to deliver once the step is committed (status-change events), written to the outbox in the step's
    /// transaction, in order: they exist exactly when the step does. Empty (nothing written) when none are configured.
    pub outbox: Vec<Outgoing>,
}

/// A message for the outbox (`Append::outbox`): due at once, handed out by `Store::outbox_due` until its delivery is
/// settled (`Store::outbox_settle`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Where it goes (a webhook's URL, say); opaque to the store.
    pub destination: String,
    /// The execution it is about: one execution's messages to one destination are handed out one at a time, in the
    /// order they were written.
    pub execution_arn: String,
    /// What is sent (JSON text, opaque to the store).
    pub body: String,
}

/// An outbox message handed out for delivery (`Store::outbox_due`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// Its row; settle it by this id.
    pub id: i64,
    pub destination: String,
    pub execution_arn: String,
    pub body: String,
    /// How many tries failed so far.
    pub attempts: u32,
}

/// What a step writes so that any node can reach the execution, on a shared store: the task tokens it hands out
/// (so that SendTask* on any node finds the execution), the activity tasks it schedules (for GetActivityTask on any
/// node), and the inbox messages it answers (committed with the step, so a message is answered exactly when its
/// change is). An execution's tokens and activity tasks are deleted with the step that ends it. SQLite, which one
/// process owns, keeps none of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Routing {
    pub tokens: Vec<TokenRow>,
    pub activity_tasks: Vec<ActivityTaskRow>,
    /// Inbox messages (`post`) whose change this step commits, answered `{"ok":true}` with it.
    pub answered: Vec<i64>,
}

/// A task token and the task of the step's execution it completes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub token: String,
    pub task: u64,
}

/// An activity task scheduled for workers: the activity's ARN, the task's token, and its input (JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityTaskRow {
    pub activity_arn: String,
    pub token: String,
    pub input: String,
}

/// A message for an execution, posted by any node and waiting in the inbox for the node that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    pub id: i64,
    pub execution_arn: String,
    /// JSON text, opaque to the store.
    pub message: String,
}

/// Who holds an execution: a node (a server sharing the store) and the epoch of its claim. Every claim of an
/// execution takes the next epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub node: std::sync::Arc<str>,
    pub epoch: u64,
}

/// A server sharing the store, as `nodes` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Unique per process start.
    pub id: String,
    /// Where its API listens, for operators.
    pub address: String,
    /// The Baton version it runs, and its engine's replay format (`engine::REPLAY_VERSION`).
    pub version: String,
    pub engine_version: u32,
    /// Milliseconds since the epoch: when it joined, and until when its lease holds (on the database's clock).
    pub started: i64,
    pub lease_until: i64,
    /// Whether its lease holds now.
    pub alive: bool,
    /// How many running executions it holds.
    pub executions: u64,
}

/// An execution a node just claimed (or holds): its ARN, the epoch of the claim, and whether it is parked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub arn: String,
    pub epoch: u64,
    pub parked: bool,
}

/// What one step of a parent writes of one child execution (a distributed Map's iteration): its record when the step
/// starts it, its events (ids continue the child's), its ending, and, when a redrive runs it again, that redrive.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildStep {
    pub execution_arn: String,
    /// The child's record, when this step starts it (its `map_run_arn` set).
    pub created: Option<Execution>,
    pub events: Vec<Event>,
    pub ending: Option<Ending>,
    /// When a redrive of the parent runs the child again: the date, and the child runs again, its redrive counted.
    pub redriven: Option<i64>,
}

/// Which executions of a state machine `list_executions` lists; the default lists them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionFilter {
    /// Only those started with this version's or alias's ARN (as `Execution::version_arn` or `alias_arn` records it).
    pub started_with: Option<String>,
    /// Only those with this status.
    pub status: Option<Status>,
    /// Only those redriven at least once (`Some(true)`), or never (`Some(false)`).
    pub redriven: Option<bool>,
}

/// Which executions `search_executions` finds, across state machines: each field given narrows the search. A Map
/// Run's child executions are never found (their Map Run lists them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// Only executions of state machines whose ARN begins with this (an account's ARNs all begin
    /// `arn:<partition>:states:<region>:<account>:`, and an execution is in its state machine's account).
    pub machine_prefix: Option<String>,
    /// Only the executions of this state machine.
    pub state_machine_arn: Option<String>,
    /// Only executions whose name contains this text, as it is written (case matters).
    pub name_contains: Option<String>,
    /// Only those with this status.
    pub status: Option<Status>,
    /// Only those started at or after this time (milliseconds since the epoch).
    pub started_from: Option<i64>,
    /// Only those started before this time (milliseconds since the epoch).
    pub started_before: Option<i64>,
}

/// A page request: at most `limit` items after the position `token` names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    pub token: Option<String>,
    pub limit: usize,
}

/// A page of items and the token of the next page, if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// An execution as recovery needs it: its record, its triggers in order, its last event's id, the digest its
/// last step recorded (`None` for a step written before digests were kept), and when it wakes if it is parked.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovered {
    pub execution: Execution,
    pub triggers: Vec<String>,
    pub last_event: u64,
    pub digest: Option<u64>,
    /// The node that holds it and the epoch of its last claim (`None` and 0 when no node ever claimed it).
    pub owner: Option<String>,
    pub epoch: u64,
    pub parked: Option<i64>,
}

/// A parked execution (`Append::park`, `Store::park`): its ARN and when it wakes. `position` orders executions that
/// wake at the same time; pass the last one `due` gave to read on after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parked {
    pub execution_arn: String,
    pub wake_at: i64,
    pub position: i64,
}

/// How many executions are parked, how many inbox messages wait for an answer, and how many activity tasks wait for a
/// worker by activity ARN, for `/metrics` (`Store::gauges`). SQLite has no inbox and keeps activity tasks in the
/// runtime's memory: those are 0 and empty there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Gauges {
    pub parked: u64,
    pub inbox: u64,
    pub activity_tasks: Vec<(String, u64)>,
    /// The bytes the store's data takes: SQLite's pages in use (the write-ahead log's included, free pages not),
    /// PostgreSQL's database size.
    pub bytes: u64,
}

/// A store's writer's counters since the store was opened (`Sqlite::stats`, `Postgres::stats`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stats {
    /// Transactions the writer committed.
    pub commits: u64,
    /// Write requests (each `Store` write call is one) answered after those commits, successful or not.
    pub requests: u64,
    /// How long each committed transaction took, from its first statement until it was durable.
    pub commit_times: CommitTimes,
}

/// Durations in buckets a quarter of a power of two wide, from 1 µs up to about 16 s (`Stats::commit_times`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitTimes {
    counts: Vec<u64>,
}

/// How many buckets `CommitTimes` has: 4 per power of two over 2^0..2^24 µs.
const COMMIT_BUCKETS: usize = 96;

impl CommitTimes {
    /// The bucket of a duration of `micros`.
    fn bucket(micros: u64) -> usize {
        let micros = micros.max(1) as f64;
        ((micros.log2() * 4.0) as usize).min(COMMIT_BUCKETS - 1)
    }

    /// The counts in `recorder` now.
    fn read(recorder: &CommitRecorder) -> CommitTimes {
        CommitTimes {
            counts: recorder.counts.iter().map(|count| count.load(std::sync::atomic::Ordering::Relaxed)).collect(),
        }
    }

    /// What was recorded since `before` was read.
    pub fn since(&self, before: &CommitTimes) -> CommitTimes {
        let counts = self
            .counts
            .iter()
            .enumerate()
            .map(|(i, count)| count.saturating_sub(before.counts.get(i).copied().unwrap_or(0)))
            .collect();
        CommitTimes { counts }
    }

    /// How many durations were recorded.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The duration below which the fraction `p` (0 to 1) of them fall, to within a bucket (the bucket's upper
    /// bound, at most 19% above); `None` when none were recorded.
    pub fn percentile(&self, p: f64) -> Option<std::time::Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64 * p).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        let bucket = self.counts.iter().position(|count| {
            seen += count;
            seen >= rank
        })?;
        let upper = 2f64.powf((bucket + 1) as f64 / 4.0);
        Some(std::time::Duration::from_secs_f64(upper / 1e6))
    }
}

/// The writer's side of `CommitTimes`: counts it adds to without a lock.
pub(crate) struct CommitRecorder {
    counts: Vec<std::sync::atomic::AtomicU64>,
}

impl Default for CommitRecorder {
    fn default() -> CommitRecorder {
        CommitRecorder { counts: (0..COMMIT_BUCKETS).map(|_| std::sync::atomic::AtomicU64::new(0)).collect() }
    }
}

impl CommitRecorder {
    pub(crate) fn record(&self, took: std::time::Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        if let Some(count) = self.counts.get(CommitTimes::bucket(micros)) {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    pub(crate) fn read(&self) -> CommitTimes {
        CommitTimes::read(self)
    }
}

/// Storage errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("already exists: {0}")]
    AlreadyExists(String),
    #[error("does not exist: {0}")]
    NotFound(String),
    #[error("invalid page token: {0}")]
    InvalidToken(String),
    #[error("history of {execution} expected to continue at event {expected}, found {found}")]
    Conflict {
        execution: String,
        expected: u64,
        found: u64,
    },
    /// An append to an execution whose status is no longer `Running`: an ending is final.
    #[error("execution has ended: {0}")]
    Ended(String),
    /// A redrive of an execution that runs or succeeded.
    #[error("execution cannot be redriven: {0}")]
    NotRedrivable(String),
    /// A publish of a state machine that is no longer at the expected revision.
    #[error("state machine {arn} is at revision {found}, not {expected}")]
    RevisionChanged { arn: String, expected: String, found: String },
    /// A delete of a version that aliases (named) still route to.
    #[error("version {version} is routed to by aliases {aliases:?}")]
    VersionInUse { version: String, aliases: Vec<String> },
    /// The disk (or the database's size limit) is full: nothing of the request was written, and writes work again
    /// once there is room.
    #[error("storage is full, nothing was written: {0}")]
    Full(String),
    /// A step written under a lease the execution is no longer held at: another node claimed it.
    #[error("execution is held by another node now: {0}")]
    Fenced(String),
    /// Another process uses the data directory.
    #[error("{0}")]
    Locked(String),
    /// The database failed its integrity check.
    #[error("{0}")]
    Damaged(String),
    #[error("storage failed: {0}")]
    Backend(Box<dyn std::error::Error + Send + Sync>),
}

/// Durable storage. Every method is safe to call concurrently from many tasks; `append` commits many executions'
/// steps in one transaction (group commit) and returns only once they are durable.
pub trait Store: Send + Sync + 'static {
    fn create_state_machine(&self, machine: StateMachine) -> impl Future<Output = Result<(), Error>> + Send;
    /// Replaces the definition, role, logging, tracing, encryption and description, and sets a new revision id and
    /// update time.
    fn update_state_machine(&self, machine: StateMachine) -> impl Future<Output = Result<(), Error>> + Send;
    /// Deletes a state machine with its versions and aliases (its executions stay).
    fn delete_state_machine(&self, arn: &str) -> impl Future<Output = Result<(), Error>> + Send;
    fn state_machine(&self, arn: &str) -> impl Future<Output = Result<Option<StateMachine>, Error>> + Send;
    /// State machines ordered by creation.
    fn list_state_machines(&self, page: PageRequest) -> impl Future<Output = Result<Page<StateMachine>, Error>> + Send;
    /// Replaces a state machine's tags (nothing else changes); `NotFound` if it does not exist.
    fn set_state_machine_tags(
        &self,
        arn: &str,
        tags: Vec<(String, String)>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Creates an execution together with its first step (the start trigger and its events). `AlreadyExists` if
    /// an execution of that ARN exists.
    fn create_execution(&self, execution: Execution, first: Append) -> impl Future<Output = Result<(), Error>> + Send;
    /// Appends steps of any executions, durably, in one transaction with others waiting (group commit).
    /// All the steps of one call land or none do: `NotFound` if an execution does not exist, `Ended` if it no
    /// longer runs, `Conflict` unless each step's event ids continue the execution's stored ids (from 1, by 1).
    fn append(&self, steps: Vec<Append>) -> impl Future<Output = Result<(), Error>> + Send;
    fn execution(&self, arn: &str) -> impl Future<Output = Result<Option<Execution>, Error>> + Send;
    /// Deletes everything: state machines, versions, aliases, activities, executions with their steps and events, and
    /// the outbox.
    fn reset(&self) -> impl Future<Output = Result<(), Error>> + Send;
    /// Executions of a state machine that pass `filter`, newest first.
    fn list_executions(
        &self,
        state_machine_arn: &str,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Execution>, Error>> + Send;
    /// Executions of any state machine that pass `search`, newest first (Map Run children aside). Served by an index
    /// that holds what it filters on, so a search reads the index and only the rows of the page it answers.
    fn search_executions(
        &self,
        search: Search,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Execution>, Error>> + Send;
    /// The child executions of a Map Run that pass `filter`, newest first.
    fn list_map_run_executions(
        &self,
        map_run_arn: &str,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Execution>, Error>> + Send;
    /// History events in id order (or reverse order).
    fn history(
        &self,
        execution_arn: &str,
        reverse: bool,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Event>, Error>> + Send;
    /// Every execution still running and not parked, with its triggers, for recovery at start-up. Parked executions
    /// are not read: `due` finds them when their time comes.
    fn running(&self) -> impl Future<Output = Result<Vec<Recovered>, Error>> + Send;
    /// The ARNs of the executions still running and not parked, oldest first.
    fn running_arns(&self) -> impl Future<Output = Result<Vec<String>, Error>> + Send;
    /// Parks a running execution until `wake_at` (milliseconds since the epoch) without a step, as `Append::park`
    /// parks it with one; its next step wakes it. `NotFound` if it does not exist, `Ended` if it no longer runs.
    fn park(&self, arn: &str, wake_at: i64) -> impl Future<Output = Result<(), Error>> + Send;
    /// At most `limit` parked executions whose wake time is at or before `before`, by wake time, after `after` (the
    /// last of a previous answer).
    fn due(
        &self,
        before: i64,
        after: Option<Parked>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Parked>, Error>> + Send;
    /// How many executions are parked, how many inbox messages are open, and the bytes the data takes (`Gauges`).
    fn gauges(&self) -> impl Future<Output = Result<Gauges, Error>> + Send;
    /// Deletes at most `limit` executions that ended before `before` (milliseconds since the epoch), with their history
    /// and triggers; returns how many it deleted.
    fn delete_closed(&self, before: i64, limit: usize) -> impl Future<Output = Result<u64, Error>> + Send;
    /// Sets a failed, timed-out or aborted execution running again, counts the redrive at `date`, and appends `first`
    /// (the redrive's step) in the same transaction. `NotFound` if it does not exist, `NotRedrivable` if it runs or succeeded.
    fn redrive_execution(&self, arn: &str, date: i64, first: Append) -> impl Future<Output = Result<(), Error>> + Send;
    /// One execution, whatever its status, with its triggers in order (to rebuild it for a redrive).
    fn recovered(&self, arn: &str) -> impl Future<Output = Result<Option<Recovered>, Error>> + Send;

    /// Publishes the machine's current definition and role as a new version numbered one past the highest it ever
    /// had, or returns the version already published for that revision (publishing is idempotent). `NotFound` if the
    /// machine does not exist, `RevisionChanged` unless it is at `publish.revision_id`.
    fn publish_version(&self, publish: Publish) -> impl Future<Output = Result<Version, Error>> + Send;
    fn version(&self, state_machine_arn: &str, number: u64) -> impl Future<Output = Result<Option<Version>, Error>> + Send;
    /// Versions of a state machine, newest first.
    fn list_versions(
        &self,
        state_machine_arn: &str,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Version>, Error>> + Send;
    /// `NotFound` if there is no such version, `VersionInUse` if an alias routes to it.
    fn delete_version(&self, state_machine_arn: &str, number: u64) -> impl Future<Output = Result<(), Error>> + Send;

    /// `AlreadyExists` if an alias of that ARN exists; `NotFound(<version ARN>)` if a route names no version of the
    /// alias's machine.
    fn create_alias(&self, alias: Alias) -> impl Future<Output = Result<(), Error>> + Send;
    /// Replaces the description, routing and update time; `NotFound` for the alias, or a route as `create_alias`.
    fn update_alias(&self, alias: Alias) -> impl Future<Output = Result<(), Error>> + Send;
    fn delete_alias(&self, arn: &str) -> impl Future<Output = Result<(), Error>> + Send;
    fn alias(&self, arn: &str) -> impl Future<Output = Result<Option<Alias>, Error>> + Send;
    /// Aliases of a state machine, in creation order.
    fn list_aliases(
        &self,
        state_machine_arn: &str,
        page: PageRequest,
    ) -> impl Future<Output = Result<Page<Alias>, Error>> + Send;

    /// `AlreadyExists` if an activity of that ARN exists (the service makes CreateActivity idempotent on top).
    fn create_activity(&self, activity: Activity) -> impl Future<Output = Result<(), Error>> + Send;
    fn activity(&self, arn: &str) -> impl Future<Output = Result<Option<Activity>, Error>> + Send;
    /// `NotFound` if there is no such activity.
    fn delete_activity(&self, arn: &str) -> impl Future<Output = Result<(), Error>> + Send;
    /// Activities in creation order.
    fn list_activities(&self, page: PageRequest) -> impl Future<Output = Result<Page<Activity>, Error>> + Send;
    /// Replaces an activity's tags (nothing else changes); `NotFound` if it does not exist.
    fn set_activity_tags(
        &self,
        arn: &str,
        tags: Vec<(String, String)>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// At most `limit` outbox messages for `destinations` that are due at `now` (their next try at or before it),
    /// oldest due first, each the first left of its execution's messages to its destination (so one execution's
    /// messages go out in order, the next once this one is settled). On a shared store they are claimed until `until`:
    /// no server is handed them again before then, and after it any is, should this one die before it settles them.
    /// SQLite, which one process owns, claims nothing: its one delivery loop settles what it took before it asks again.
    fn outbox_due(
        &self,
        destinations: &[String],
        now: i64,
        until: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Outbound>, Error>> + Send;
    /// Settles deliveries: deletes the messages `delivered` names, and counts a failed try of each of `failed`, to be
    /// tried again at the time given with it (milliseconds since the epoch). Ids no longer in the outbox are skipped.
    fn outbox_settle(&self, delivered: Vec<i64>, failed: Vec<(i64, i64)>) -> impl Future<Output = Result<(), Error>> + Send;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::CommitRecorder;

    #[test]
    fn commit_times_give_percentiles_within_a_bucket() {
        let recorder = CommitRecorder::default();
        assert_eq!(recorder.read().percentile(0.5), None);
        for _ in 0..90 {
            recorder.record(Duration::from_micros(200));
        }
        let before = recorder.read();
        for _ in 0..10 {
            recorder.record(Duration::from_millis(5));
        }
        let times = recorder.read();
        assert_eq!(times.count(), 100);
        let p50 = times.percentile(0.5).unwrap();
        assert!(p50 >= Duration::from_micros(200) && p50 <= Duration::from_micros(240), "{p50:?}");
        let p99 = times.percentile(0.99).unwrap();
        assert!(p99 >= Duration::from_millis(5) && p99 <= Duration::from_micros(6000), "{p99:?}");
        assert_eq!(times.percentile(0.9), times.percentile(0.5));
        let since = times.since(&before);
        assert_eq!(since.count(), 10);
        assert_eq!(since.percentile(0.5), p99.into());
    }
}
