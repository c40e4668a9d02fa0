//! The execution service behind `baton serve`: state machines and durable executions on a `Store`.
//!
//! Every API action the server exposes is one method here; the server only converts wire types. The methods take and
//! return the service's own records (`records`), never the store's rows. Standard executions are durable: each
//! step's trigger and events are committed (group commit) before its effects run, and an API call that changes an
//! execution answers only once its change is committed. On start-up every running execution is
//! rebuilt by re-folding its triggers (`recovery`), checked against what was stored, then its timers are re-armed and
//! its in-flight tasks invoked again (at least once); a task that already waits for its token is not invoked again.
//! Express executions run in memory. An execution that waits only for a timer far ahead is parked (`park`): out of
//! memory, its wake time in the store, it is rebuilt the same way when the timer is nearly due or a message comes.
//!
//! Beside the API, `background` runs the watchdog that cuts off long JSONata evaluations, the adoption of executions
//! whose actor stopped on a storage error, the waking of parked executions, and the retention that deletes old closed
//! executions.

mod activities;
mod actor;
mod background;
mod cluster;
mod inbox;
pub(crate) mod callbacks;
mod children;
mod encryption;
mod execution_log;
mod events;
mod express;
mod map_runs;
mod dashboard;
mod metrics;
mod observe;
mod names;
mod records;
mod park;
mod recovery;
mod traces;

pub use activities::{ActivityQueue, ActivityTask, Poller, QueuedTask, SHOWN_TASKS};
mod tags;
mod versions;
mod test_state;
mod validate;
mod waiting;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use engine::{Command, ExecutionInfo, TaskId, Trigger};
use store::{Database, Location, Store};

use crate::Resources;
use activities::Activities;
use actor::{Ack, Actor, Live, Message};
use callbacks::{Callbacks, Closed, Token};
use express::Express;
use recovery::Rebuilt;

pub use dashboard::{Bar, Counts, Dashboard};
pub use encryption::{Encryption, EncryptionType};
pub use execution_log::ExecutionLogSink;
pub use events::{DEFAULT_MAX_BACKOFF_MS, DEFAULT_SOURCE, DETAIL_TYPE, Events};
pub use names::account_of;
pub use records::{Activity, Alias, Execution, Kind, Page, PageRequest, Route, StateMachine, Status, Version, WaitingTask};
pub use map_runs::{MapRun, MapRunCounts, MapRunInfo, MapRunStatus, UpdateMapRun, map_run_parent};
pub use tags::MAX_TAGS;
pub use versions::{CreateAlias, PublishOptions, UpdateAlias};
pub use test_state::{
    ErrorDetails, FieldValidation, HttpRequest, HttpResponse, Inspection, InspectionLevel, Mock, StateConfiguration, TestStateRequest,
    TestStateResult, TestStatus,
};
pub use validate::{MAX_DIAGNOSTICS, Severity, ValidateDefinition, Validation, ValidationDiagnostic};
pub use traces::{Batch as OtlpBatch, Otlp, OtlpProtocol};

/// What the service needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    pub region: String,
    pub account_id: String,
    /// Where SQLite keeps the state, when `database_url` is `None`.
    pub data_dir: std::path::PathBuf,
    /// A PostgreSQL database (`postgres://…`) shared with other servers, instead of SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// On a shared store: how long this node's lease lasts without renewal (others take its executions over once it
    /// ran out), in milliseconds, and where its API listens (shown by `baton nodes`).
    pub lease_ms: i64,
    pub address: String,
    pub limits: engine::Limits,
    /// Local functions and the mock config, as `baton run` takes them.
    pub resources: std::sync::Arc<crate::Resources>,
    pub mock_config: Option<integrations::mock::MockConfig>,
    /// How long finished Express executions stay listed and readable, in seconds.
    pub express_retention_seconds: u64,
    /// How long one JSONata evaluation may run before it fails with `States.QueryEvaluationError`, in milliseconds.
    pub max_evaluation_ms: u64,
    /// How long closed Standard executions are kept, in milliseconds; `None` keeps them for ever.
    pub retention_ms: Option<i64>,
    /// Each execution runs on its own clock, which skips ahead to its next timer whenever it waits only on time
    /// (Wait states, retry intervals, timeouts): test suites need not wait (`actor::Actor::skip_ahead`).
    pub virtual_time: bool,
    /// Serve the admin calls (`reset`), for test suites; off, they are refused.
    pub admin: bool,
    /// An execution that waits only for timers, the first due further ahead than this (in milliseconds), is parked:
    /// dropped from memory, its wake time in the store, and brought back when the timer is nearly due or a message
    /// comes (`park`). 0 never parks; nor does virtual time.
    pub park_after_ms: u64,
    /// Where the execution log records of machines whose `loggingConfiguration` logs go (`execution_log`); `None`
    /// writes none.
    pub execution_log: Option<ExecutionLogSink>,
    /// Where each status change of a Standard execution is sent as EventBridge's event (`events`); none by default.
    pub events: Events,
    /// Export OpenTelemetry traces of every execution there (`traces`); `None` exports nothing and costs nothing.
    pub traces: Option<Otlp>,
}

/// `CreateStateMachine`.
#[derive(Debug, Clone, Default)]
pub struct CreateStateMachine {
    pub name: String,
    pub definition: String,
    pub role_arn: String,
    /// `None` is STANDARD.
    pub kind: Option<Kind>,
    pub logging_configuration: Option<String>,
    pub tracing_configuration: Option<String>,
    pub tags: Vec<(String, String)>,
    pub encryption: Option<Encryption>,
}

/// `UpdateStateMachine`: what is `Some` changes.
#[derive(Debug, Clone, Default)]
pub struct UpdateStateMachine {
    pub arn: String,
    pub definition: Option<String>,
    pub role_arn: Option<String>,
    pub logging_configuration: Option<String>,
    pub tracing_configuration: Option<String>,
    pub encryption: Option<Encryption>,
}

/// `StartExecution` and `StartSyncExecution`. `state_machine_arn` may end in `#TestCase` to pick mocks.
#[derive(Debug, Clone, Default)]
pub struct StartExecution {
    pub state_machine_arn: String,
    pub name: Option<String>,
    /// JSON text; `None` is `{}`.
    pub input: Option<String>,
    pub trace_header: Option<String>,
}

/// `GetExecutionHistory`.
#[derive(Debug, Clone, Default)]
pub struct HistoryRequest {
    pub execution_arn: String,
    pub reverse: bool,
    /// `false` leaves inputs and outputs out of the events, as `includeExecutionData: false` asks.
    pub include_data: bool,
    pub page: PageRequest,
}

/// Which executions `search_executions` finds, across the state machines the service sees: each field given narrows
/// the search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionSearch {
    /// Only the executions of this state machine.
    pub state_machine_arn: Option<String>,
    /// Only those whose name contains this text, as written (case matters).
    pub name_contains: Option<String>,
    pub status: Option<Status>,
    /// Only those started at or after this time, and before that one (milliseconds since the epoch).
    pub started_from: Option<i64>,
    pub started_before: Option<i64>,
}

/// A started execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    pub execution_arn: String,
    pub start_date: i64,
}

/// Errors, each an AWS error code with its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{0}")]
    StateMachineDoesNotExist(String),
    #[error("{0}")]
    StateMachineAlreadyExists(String),
    #[error("{0}")]
    StateMachineDeleting(String),
    #[error("{0}")]
    StateMachineTypeNotSupported(String),
    #[error("{0}")]
    ExecutionDoesNotExist(String),
    #[error("{0}")]
    ExecutionAlreadyExists(String),
    #[error("{0}")]
    InvalidArn(String),
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidDefinition(String),
    #[error("{0}")]
    InvalidExecutionInput(String),
    #[error("{0}")]
    InvalidToken(String),
    #[error("{0}")]
    ValidationException(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    TooManyTags(String),
    #[error("{0}")]
    TaskDoesNotExist(String),
    #[error("{0}")]
    TaskTimedOut(String),
    #[error("{0}")]
    InvalidOutput(String),
    #[error("{0}")]
    ActivityDoesNotExist(String),
    #[error("{0}")]
    ExecutionNotRedrivable(String),
    #[error("{0}")]
    ConflictException(String),
    #[error("{0}")]
    InvalidEncryptionConfiguration(String),
    #[error("{0}")]
    InvalidLoggingConfiguration(String),
    #[error("{0}")]
    ActivityAlreadyExists(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The error of AWS error code `code` (as `code` gives it) with `message`; an unknown code is `Internal`.
    pub(crate) fn from_code(code: &str, message: String) -> Error {
        match code {
            "StateMachineDoesNotExist" => Error::StateMachineDoesNotExist(message),
            "ExecutionDoesNotExist" => Error::ExecutionDoesNotExist(message),
            "InvalidArn" => Error::InvalidArn(message),
            "InvalidToken" => Error::InvalidToken(message),
            "ValidationException" => Error::ValidationException(message),
            "ResourceNotFound" => Error::ResourceNotFound(message),
            "TaskDoesNotExist" => Error::TaskDoesNotExist(message),
            "TaskTimedOut" => Error::TaskTimedOut(message),
            "InvalidOutput" => Error::InvalidOutput(message),
            "ExecutionNotRedrivable" => Error::ExecutionNotRedrivable(message),
            "ConflictException" => Error::ConflictException(message),
            _ => Error::Internal(message),
        }
    }

    /// The AWS error code (`__type`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            Error::StateMachineAlreadyExists(_) => "StateMachineAlreadyExists",
            Error::StateMachineDeleting(_) => "StateMachineDeleting",
            Error::StateMachineTypeNotSupported(_) => "StateMachineTypeNotSupported",
            Error::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            Error::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            Error::InvalidArn(_) => "InvalidArn",
            Error::InvalidName(_) => "InvalidName",
            Error::InvalidDefinition(_) => "InvalidDefinition",
            Error::InvalidExecutionInput(_) => "InvalidExecutionInput",
            Error::InvalidToken(_) => "InvalidToken",
            Error::ValidationException(_) => "ValidationException",
            Error::TaskDoesNotExist(_) => "TaskDoesNotExist",
            Error::TaskTimedOut(_) => "TaskTimedOut",
            Error::InvalidOutput(_) => "InvalidOutput",
            Error::ActivityDoesNotExist(_) => "ActivityDoesNotExist",
            Error::ExecutionNotRedrivable(_) => "ExecutionNotRedrivable",
            Error::ResourceNotFound(_) => "ResourceNotFound",
            Error::TooManyTags(_) => "TooManyTags",
            Error::ConflictException(_) => "ConflictException",
            Error::InvalidEncryptionConfiguration(_) => "InvalidEncryptionConfiguration",
            Error::InvalidLoggingConfiguration(_) => "InvalidLoggingConfiguration",
            Error::ActivityAlreadyExists(_) => "ActivityAlreadyExists",
            Error::Internal(_) => "InternalFailure",
        }
    }
}

/// An API request being answered (`Service::time_request`).
pub struct RequestTimer {
    inner: Arc<Inner>,
    started: std::time::Instant,
}

impl RequestTimer {
    /// Counts the request of `action` (one of the API's names, or `unknown`) answered with HTTP `status`, and how
    /// long it took.
    pub fn finish(self, action: &'static str, status: u16) {
        self.inner.metrics.request(action, status, self.started.elapsed().as_secs_f64());
    }
}

/// The service: cheap to clone, shared by all request handlers.
///
/// A service may be scoped to an account (`for_account`, the account of the key that signed a request): what it
/// creates carries that account in its ARN, its lists show only that account's resources, and task tokens of other
/// accounts' executions do not exist for it. Unscoped, it is the server's own account (`Config::account_id`) and
/// sees everything.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
    account: Option<Arc<str>>,
}

pub(crate) struct Inner {
    config: Config,
    pub(crate) store: Database,
    pub(crate) express: Express,
    pub(crate) callbacks: Callbacks,
    pub(crate) activities: Activities,
    live: Mutex<HashMap<String, Live>>,
    /// The evaluations of live executions whose definitions have JSONata, for the watchdog.
    watched: Mutex<HashMap<String, Arc<asl::Watch>>>,
    /// Parsed definitions by their text, so executions of one machine share one parse.
    machines: Mutex<HashMap<String, Arc<asl::model::StateMachine>>>,
    /// Set when an execution's actor stopped because the store refused its step: it runs in the store but not here,
    /// and `background` adopts it again.
    orphans: AtomicBool,
    /// Running executions this server leaves alone, with why (written by a newer Baton).
    quarantined: Mutex<HashMap<String, String>>,
    shutting_down: AtomicBool,
    background: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// This server's id among the nodes sharing the store, new at each start.
    pub(crate) node: Arc<str>,
    /// The shared store's notifications, and the inbox messages being handled.
    pub(crate) notices: Arc<inbox::Notices>,
    /// What `GET /metrics` shows.
    pub(crate) metrics: metrics::Metrics,
    /// The execution log (`Config::execution_log`), when the server writes one.
    pub(crate) execution_log: Option<execution_log::ExecutionLog>,
    /// Where status-change events go, when they go anywhere (`Config::events`).
    pub(crate) outbox: Option<Arc<events::Outbox>>,
    /// The spans of running executions and their export, when traces are configured.
    pub(crate) traces: Option<traces::Traces>,
}

impl Inner {
    /// Drops an ended (or abandoned) execution from the live set.
    pub(crate) fn forget(&self, arn: &str) {
        lock(&self.live).remove(arn);
        lock(&self.watched).remove(arn);
        if let Some(traces) = &self.traces {
            traces.forget(arn);
        }
    }

    /// An execution runs in the store but no longer here: adopt it again when the store allows.
    pub(crate) fn note_orphan(&self) {
        self.orphans.store(true, Ordering::SeqCst);
    }

    pub(crate) fn shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}

impl Service {
    /// Opens the store (PostgreSQL at `config.database_url`, else SQLite in `config.data_dir`), recovers running
    /// executions, and starts the background work.
    pub async fn open(config: Config) -> Result<Service, Error> {
        let location = match &config.database_url {
            Some(url) => Location::Url(url),
            None => Location::Directory(&config.data_dir),
        };
        let store = Database::open(location).await.map_err(|error| match error {
            store::Error::Locked(message) | store::Error::Damaged(message) => Error::Internal(message),
            other => internal(other),
        })?;
        let express = Express::new(config.express_retention_seconds);
        let node: Arc<str> = names::uuid().into();
        let traces = match &config.traces {
            Some(otlp) => Some(traces::Traces::start(otlp, &node).map_err(Error::Internal)?),
            None => None,
        };
        let execution_log = config.execution_log.as_ref().map(|sink| execution_log::ExecutionLog::start(sink, &config.resources.aws)).transpose()?;
        let outbox = events::Outbox::new(&config.events);
        let inner = Arc::new(Inner {
            config,
            store,
            express,
            callbacks: Callbacks::default(),
            activities: Activities::default(),
            live: Mutex::new(HashMap::new()),
            watched: Mutex::new(HashMap::new()),
            machines: Mutex::new(HashMap::new()),
            orphans: AtomicBool::new(false),
            quarantined: Mutex::new(HashMap::new()),
            shutting_down: AtomicBool::new(false),
            background: Mutex::new(Vec::new()),
            node,
            notices: Arc::default(),
            metrics: metrics::Metrics::default(),
            execution_log,
            outbox,
            traces,
        });
        if let Some(log) = &inner.execution_log {
            log.attach(Arc::downgrade(&inner));
        }
        let service = Service { inner, account: None };
        service.recover().await?;
        background::start(&service);
        Ok(service)
    }

    /// Stops taking work: running evaluations are interrupted and the background work ends. Every acknowledged step is
    /// already durable; executions resume on the next start.
    pub async fn shutdown(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
        for task in lock(&self.inner.background).drain(..) {
            task.abort();
        }
        let live: Vec<Live> = lock(&self.inner.live).drain().map(|(_, live)| live).collect();
        for live in &live {
            live.watch.stop();
            let _ = live.sender.send(Message::Shutdown);
        }
        lock(&self.inner.watched).clear();
        self.inner.activities.shut_down();
        self.leave_cluster(&live).await;
        if let Some(log) = &self.inner.execution_log {
            log.flush(std::time::Duration::from_secs(2)).await;
        }
        if let Some(traces) = &self.inner.traces {
            // The spans that ended go out before the process does.
            traces.flush(std::time::Duration::from_secs(3)).await;
        }
    }

    /// Forgets everything, as a test suite wants between its tests (`baton serve --admin`): the running executions
    /// stop where they are (each commits what it folded, then ends without another step), then every state machine,
    /// version, alias, activity and execution is deleted from the store in one transaction, and the Express
    /// executions, task tokens and activity queues kept in memory are dropped. The server goes on serving.
    pub async fn reset(&self) -> Result<(), Error> {
        let live: Vec<Live> = lock(&self.inner.live).drain().map(|(_, live)| live).collect();
        for live in &live {
            live.watch.stop();
            let _ = live.sender.send(Message::Shutdown);
        }
        for live in &live {
            // The actor drops its receiver when it ends.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), live.sender.closed()).await;
        }
        lock(&self.inner.watched).clear();
        lock(&self.inner.quarantined).clear();
        self.inner.store.reset().await.map_err(internal)?;
        self.inner.express.clear();
        self.inner.callbacks.clear();
        self.inner.activities.clear();
        self.inner.metrics.series.clear();
        if let Some(traces) = &self.inner.traces {
            traces.clear();
        }
        Ok(())
    }

    /// Why the service cannot take work now (`/readyz`): it is shutting down, or its store does not answer a read.
    pub async fn not_ready(&self) -> Option<String> {
        if self.inner.shutting_down() {
            return Some("shutting down".to_owned());
        }
        let probe = store::PageRequest { token: None, limit: 1 };
        self.inner.store.list_state_machines(probe).await.err().map(|error| format!("the store does not answer: {error}"))
    }

    /// Whether the admin calls are served (`Config::admin`).
    pub fn admin(&self) -> bool {
        self.inner.config.admin
    }

    /// Running executions this server does not run, with why.
    pub fn quarantined(&self) -> Vec<(String, String)> {
        let mut list: Vec<(String, String)> = lock(&self.inner.quarantined).iter().map(|(a, w)| (a.clone(), w.clone())).collect();
        list.sort();
        list
    }

    pub fn region(&self) -> &str {
        &self.inner.config.region
    }

    /// The account this service acts for: its scope's, or the server's own.
    pub fn account_id(&self) -> &str {
        self.account.as_deref().unwrap_or(&self.inner.config.account_id)
    }

    /// This service acting for `account` (a key's account): see `Service`.
    pub fn for_account(&self, account: &str) -> Service {
        Service { inner: self.inner.clone(), account: Some(account.into()) }
    }

    /// Whether the resource `arn` belongs to the account this service is scoped to (always, when unscoped).
    pub fn sees(&self, arn: &str) -> bool {
        self.account.is_none() || names::account_of(arn) == Some(self.account_id())
    }

    /// The ARN of a Step Functions resource of this server: `arn:<partition>:states:<region>:<account>:<resource>`.
    pub(crate) fn arn(&self, resource: &str) -> String {
        format!("arn:{}:states:{}:{}:{resource}", crate::partition(self.region()), self.region(), self.account_id())
    }

    /// Starts timing an API request, for `/metrics`: `RequestTimer::finish` counts it once it is answered.
    pub fn time_request(&self) -> RequestTimer {
        RequestTimer { inner: Arc::clone(&self.inner), started: std::time::Instant::now() }
    }

    /// The console's dashboard of a state machine (`dashboard`): its executions by status in bars of `step_minutes`
    /// over the last `window_minutes`, and the percentiles of their durations. `StateMachineDoesNotExist` unless the
    /// machine exists in the caller's account.
    pub async fn dashboard(&self, arn: &str, window_minutes: i64, step_minutes: i64) -> Result<Dashboard, Error> {
        let machine = self.describe_state_machine(arn).await?;
        Ok(self.inner.metrics.series.dashboard(&machine.arn, now(), window_minutes, step_minutes))
    }

    /// The OpenMetrics text of `GET /metrics` (`metrics`).
    pub async fn metrics_text(&self) -> String {
        let gauges = match self.inner.store.gauges().await {
            Ok(gauges) => Some(gauges),
            Err(error) => {
                tracing::warn!(%error, "cannot read the parked executions and queues for /metrics");
                None
            }
        };
        // A shared store queues activity tasks in the database; SQLite's are in this process's memory.
        let activity_tasks = match &gauges {
            Some(gauges) if self.inner.store.shared() => gauges.activity_tasks.clone(),
            _ => self.inner.activities.depths(),
        };
        let snapshot = metrics::Snapshot { running: self.running_count(), gauges, activity_tasks, store: self.inner.store.stats() };
        self.inner.metrics.render(&snapshot)
    }

    /// The store writer's counters since it opened (`store::Stats`: transactions committed, write requests answered),
    /// for `baton bench`'s events per commit.
    pub fn store_stats(&self) -> store::Stats {
        self.inner.store.stats()
    }

    /// The bytes the store's data takes now (`store::Gauges::bytes`), for `baton bench`'s figures per event and per
    /// execution.
    pub async fn store_bytes(&self) -> Result<u64, Error> {
        Ok(self.inner.store.gauges().await.map_err(internal)?.bytes)
    }

    /// How many executions are running in this process, in memory (parked ones are not counted).
    pub fn running_count(&self) -> usize {
        lock(&self.inner.live).len()
    }

    pub async fn create_state_machine(&self, request: CreateStateMachine) -> Result<StateMachine, Error> {
        names::check_name(&request.name)?;
        names::check_role_arn(&request.role_arn)?;
        self.machine(&request.definition)?;
        let encryption = encryption::kept(request.encryption.as_ref())?;
        execution_log::check(request.logging_configuration.as_deref())?;
        let tags = tags::merged(Vec::new(), request.tags)?;
        let arn = self.arn(&format!("stateMachine:{}", request.name));
        let kind = request.kind.unwrap_or(Kind::Standard);
        if let Some(existing) = self.inner.store.state_machine(&arn).await.map_err(internal)?.map(StateMachine::from) {
            // CreateStateMachine is idempotent for an identical request.
            if existing.definition == request.definition
                && existing.role_arn == request.role_arn
                && existing.kind == kind
                && existing.encryption_configuration == encryption
            {
                return Ok(existing);
            }
            return Err(Error::StateMachineAlreadyExists(format!("State Machine Already Exists: '{arn}'")));
        }
        let now = now();
        let machine = StateMachine {
            arn,
            name: request.name,
            kind,
            definition: request.definition,
            role_arn: request.role_arn,
            logging_configuration: request.logging_configuration,
            tracing_configuration: request.tracing_configuration,
            description: None,
            revision_id: names::uuid(),
            created: now,
            updated: now,
            tags,
            encryption_configuration: encryption,
        };
        match self.inner.store.create_state_machine(machine.clone().into()).await {
            Ok(()) => {
                self.logging_changed(&machine);
                Ok(machine)
            }
            Err(store::Error::AlreadyExists(_)) => {
                Err(Error::StateMachineAlreadyExists(format!("State Machine Already Exists: '{}'", machine.arn)))
            }
            Err(error) => Err(internal(error)),
        }
    }

    pub async fn describe_state_machine(&self, arn: &str) -> Result<StateMachine, Error> {
        names::state_machine_name(arn)?;
        self.inner
            .store
            .state_machine(arn)
            .await
            .map_err(internal)?
            .map(StateMachine::from)
            .ok_or_else(|| Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{arn}'")))
    }

    pub async fn update_state_machine(&self, request: UpdateStateMachine) -> Result<StateMachine, Error> {
        self.update(request, Revision::IfChanged).await
    }

    /// UpdateStateMachine; `revision` says whether an update that changes nothing makes a new revision.
    pub(crate) async fn update(&self, request: UpdateStateMachine, revision: Revision) -> Result<StateMachine, Error> {
        let mut machine = self.describe_state_machine(&request.arn).await?;
        if request.definition.is_none()
            && request.role_arn.is_none()
            && request.logging_configuration.is_none()
            && request.tracing_configuration.is_none()
            && request.encryption.is_none()
        {
            return Err(Error::ValidationException(
                "Either the definition, the roleArn, the loggingConfiguration, the encryptionConfiguration or the \
                 tracingConfiguration must be specified"
                    .to_owned(),
            ));
        }
        let unchanged = machine.clone();
        if request.encryption.is_some() {
            machine.encryption_configuration = encryption::kept(request.encryption.as_ref())?;
        }
        if let Some(definition) = request.definition {
            self.machine(&definition)?;
            machine.definition = definition;
        }
        if let Some(role_arn) = request.role_arn {
            names::check_role_arn(&role_arn)?;
            machine.role_arn = role_arn;
        }
        if request.logging_configuration.is_some() {
            execution_log::check(request.logging_configuration.as_deref())?;
            machine.logging_configuration = request.logging_configuration;
        }
        if request.tracing_configuration.is_some() {
            machine.tracing_configuration = request.tracing_configuration;
        }
        // AWS keeps the revision when an update changes nothing, unless it publishes (`Revision::Always`).
        if machine == unchanged && revision == Revision::IfChanged {
            return Ok(machine);
        }
        machine.revision_id = names::uuid();
        machine.updated = now();
        match self.inner.store.update_state_machine(machine.clone().into()).await {
            Ok(()) => {}
            Err(store::Error::NotFound(_)) => {
                return Err(Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{}'", machine.arn)));
            }
            Err(error) => return Err(internal(error)),
        }
        self.logging_changed(&machine);
        Ok(machine)
    }

    /// Tells the execution log (when there is one) the machine's configuration as it now is.
    fn logging_changed(&self, machine: &StateMachine) {
        if let Some(log) = &self.inner.execution_log {
            log.configure(&machine.arn, machine.logging_configuration.as_deref());
        }
    }

    pub async fn delete_state_machine(&self, arn: &str) -> Result<(), Error> {
        names::state_machine_name(arn)?;
        // Deleting what does not exist succeeds, as on AWS. Running executions keep their definition and finish.
        match self.inner.store.delete_state_machine(arn).await {
            Ok(()) | Err(store::Error::NotFound(_)) => Ok(()),
            Err(error) => Err(internal(error)),
        }
    }

    pub async fn list_state_machines(&self, page: PageRequest) -> Result<Page<StateMachine>, Error> {
        let mut page: Page<StateMachine> = self.inner.store.list_state_machines(page.into()).await.map(Page::from).map_err(paging)?;
        page.items.retain(|machine| self.sees(&machine.arn));
        Ok(page)
    }

    pub async fn start_execution(&self, request: StartExecution) -> Result<Started, Error> {
        let (execution, _) = self.start(request, false).await?;
        Ok(Started { execution_arn: execution.arn, start_date: execution.start })
    }

    /// Runs an Express execution to its end and returns it.
    pub async fn start_sync_execution(&self, request: StartExecution) -> Result<Execution, Error> {
        let (execution, done) = self.start(request, true).await?;
        let Some(mut done) = done else { return Ok(execution.into()) };
        loop {
            if let Some(record) = done.borrow().clone() {
                return Ok(record.into());
            }
            if done.changed().await.is_err() {
                return self.describe_execution(&execution.arn).await;
            }
        }
    }

    /// Stops a running execution; returns the stop date once the stop is committed.
    pub async fn stop_execution(&self, arn: &str, error: Option<String>, cause: Option<String>) -> Result<i64, Error> {
        self.stop(arn, error, cause, None).await
    }

    /// `stop_execution`; `inbox` is the message it answers when another node asked. An execution another node holds
    /// is stopped through the inbox.
    pub(crate) async fn stop(&self, arn: &str, error: Option<String>, cause: Option<String>, inbox: Option<i64>) -> Result<i64, Error> {
        let execution = self.describe_execution(arn).await?;
        if execution.status != Status::Running {
            return Ok(execution.stop.unwrap_or(execution.start));
        }
        if let Some(map_run) = &execution.map_run_arn {
            return Err(Error::ValidationException(format!(
                "Baton does not stop a child execution of a Map Run on its own: '{arn}' runs in Map Run '{map_run}'; stop its parent execution"
            )));
        }
        let live = lock(&self.inner.live).get(arn).cloned();
        if live.is_none() && inbox.is_none() && self.inner.store.shared() {
            let message = serde_json::json!({"kind": "stop", "error": error, "cause": cause});
            // Answered once committed by the node that holds it; one that ended meanwhile is stopped already.
            if let inbox::Delivery::Answered(result) = self.remote(arn, &message).await? {
                result?;
            }
            let record = self.describe_execution(arn).await?;
            return Ok(record.stop.unwrap_or_else(now));
        }
        // A parked execution, or one running in the store but not here (its actor stopped on a storage error), is
        // taken up again to be stopped.
        let (ack, acked) = Ack::channel(inbox);
        let live = match self.deliver(arn, Message::Stop { error, cause, ack }).await? {
            park::Handed::Sent(live) => live,
            park::Handed::NotHere => {
                if let Some(why) = lock(&self.inner.quarantined).get(arn).cloned() {
                    return Err(Error::Internal(format!("execution {arn} is not run by this server: {why}")));
                }
                // It ended while being taken up.
                let record = self.describe_execution(arn).await?;
                return Ok(record.stop.unwrap_or(record.start));
            }
        };
        if live.watch.running().is_some() {
            // An evaluation is running: cut it short rather than wait for it.
            live.watch.stop();
        }
        acknowledged(acked).await?;
        let record = self.describe_execution(arn).await?;
        Ok(record.stop.unwrap_or_else(now))
    }

    pub async fn describe_execution(&self, arn: &str) -> Result<Execution, Error> {
        self.record(arn).await.map(Execution::from)
    }

    /// The execution `arn` as the store keeps it (an Express one, as memory does).
    pub(crate) async fn record(&self, arn: &str) -> Result<store::Execution, Error> {
        names::check_execution_arn(arn)?;
        if let Some(record) = self.inner.express.execution(arn, now()) {
            return Ok(record);
        }
        self.inner
            .store
            .execution(arn)
            .await
            .map_err(internal)?
            .ok_or_else(|| Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'")))
    }

    /// `ListExecutions` of a state machine, or of one of its versions or aliases (the executions started with it);
    /// only those with `status` if given, and only those redriven (`Some(true)`) or never redriven (`Some(false)`)
    /// if `redriven` is given (`redriveFilter`).
    pub async fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<Status>,
        redriven: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<Execution>, Error> {
        let (machine_arn, started_with) = self.executions_target(state_machine_arn).await?;
        let machine = self.describe_state_machine(&machine_arn).await?;
        if machine.kind == Kind::Express {
            return Err(Error::StateMachineTypeNotSupported("This operation is not supported by this type of state machine".to_owned()));
        }
        let filter = store::ExecutionFilter { started_with, status: status.map(store::Status::from), redriven };
        self.inner.store.list_executions(&machine_arn, filter, page.into()).await.map(Page::from).map_err(paging)
    }

    /// Executions of every state machine this service sees that pass `search`, newest first, a page at a time, read by
    /// one store query (`Store::search_executions`). A Map Run's children are left out (their Map Run lists them), and
    /// so are Express executions, which the store does not keep (`list_express_executions`).
    pub async fn search_executions(&self, search: ExecutionSearch, page: PageRequest) -> Result<Page<Execution>, Error> {
        if let Some(machine) = &search.state_machine_arn {
            names::state_machine_name(machine)?;
        }
        let search = store::Search {
            // An execution is in its state machine's account, whose ARNs all begin so.
            machine_prefix: self.account.is_some().then(|| self.arn("")),
            state_machine_arn: search.state_machine_arn,
            name_contains: search.name_contains,
            status: search.status.map(store::Status::from),
            started_from: search.started_from,
            started_before: search.started_before,
        };
        self.inner.store.search_executions(search, page.into()).await.map(Page::from).map_err(paging)
    }

    /// The Express executions of a state machine that this server keeps (in memory, for `express_retention_seconds`
    /// after they end; AWS lists none), newest first, only those with `status` if given, a page at a time.
    /// `StateMachineDoesNotExist` unless the machine exists in the caller's account.
    pub async fn list_express_executions(
        &self,
        state_machine_arn: &str,
        status: Option<Status>,
        page: PageRequest,
    ) -> Result<Page<Execution>, Error> {
        let machine = self.describe_state_machine(state_machine_arn).await?;
        let mut kept = self.inner.express.of_machine(&machine.arn, now());
        if let Some(status) = status {
            kept.retain(|execution| Status::from(execution.status) == status);
        }
        let page = page_of(kept, &page)?;
        Ok(Page { items: page.items.into_iter().map(Execution::from).collect(), next_token: page.next_token })
    }

    /// How long this server keeps an Express execution after it ends, in seconds (`Config::express_retention_seconds`).
    pub fn express_retention_seconds(&self) -> u64 {
        u64::try_from(self.inner.express.retention_ms() / 1000).unwrap_or(0)
    }

    /// History events as `GetExecutionHistory` returns them (wire JSON values).
    pub async fn get_execution_history(&self, request: HistoryRequest) -> Result<Page<Value>, Error> {
        let arn = request.execution_arn.as_str();
        names::check_execution_arn(arn)?;
        let texts: Page<String> = match self.inner.express.events(arn, now()) {
            Some(mut events) => {
                if request.reverse {
                    events.reverse();
                }
                page_of(events, &request.page)?
            }
            None => {
                if self.inner.store.execution(arn).await.map_err(internal)?.is_none() {
                    return Err(Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'")));
                }
                let page = self.inner.store.history(arn, request.reverse, request.page.into()).await.map_err(paging)?;
                Page { items: page.items.into_iter().map(|event| event.json).collect(), next_token: page.next_token }
            }
        };
        let items = texts
            .items
            .iter()
            .filter_map(|text| serde_json::from_str::<Value>(text).ok())
            .map(|mut event| {
                if !request.include_data {
                    strip_data(&mut event);
                }
                event
            })
            .collect();
        Ok(Page { items, next_token: texts.next_token })
    }

    /// The state machine as the execution ran it; for a Map Run's child, its Map's item processor as a state machine,
    /// with the Map Run and the Map's label.
    pub async fn describe_state_machine_for_execution(&self, arn: &str) -> Result<ExecutionMachine, Error> {
        let mut execution = self.describe_execution(arn).await?;
        let mut child = None;
        if let Some(map_run) = execution.map_run_arn.clone() {
            let label = execution.state_machine_arn.rsplit_once('/').map(|(_, label)| label.to_owned()).unwrap_or_default();
            let parent = match engine::map_run_execution(&map_run) {
                Some(parent) => self.inner.store.execution(&parent).await.map_err(internal)?,
                None => None,
            };
            let processor = parent.and_then(|parent| map_processor(&parent.definition, &label));
            execution.definition = processor.map(|processor| processor.to_string()).unwrap_or_default();
            child = Some((map_run, label));
        }
        let mut machine = match self.inner.store.state_machine(&execution.state_machine_arn).await.map_err(internal)? {
            Some(machine) => StateMachine::from(machine),
            None => StateMachine {
                arn: execution.state_machine_arn.clone(),
                name: names::state_machine_name(&execution.state_machine_arn).unwrap_or_default().to_owned(),
                kind: execution.kind,
                definition: String::new(),
                role_arn: execution.role_arn.clone(),
                logging_configuration: None,
                tracing_configuration: None,
                description: None,
                revision_id: String::new(),
                created: execution.start,
                updated: execution.start,
                tags: Vec::new(),
                encryption_configuration: None,
            },
        };
        machine.definition = execution.definition;
        machine.role_arn = execution.role_arn;
        let (map_run_arn, label) = child.unzip();
        Ok(ExecutionMachine { machine, map_run_arn, label })
    }

    /// `SendTaskSuccess`: completes the task of `token` with `output` (JSON text), once that is committed.
    pub async fn send_task_success(&self, token: &str, output: &str) -> Result<(), Error> {
        if output.len() > self.inner.config.limits.max_payload_bytes {
            return Err(Error::InvalidOutput(format!(
                "Output exceeds the maximum size of {} bytes",
                self.inner.config.limits.max_payload_bytes
            )));
        }
        let output: Value =
            serde_json::from_str(output).map_err(|e| Error::InvalidOutput(format!("Invalid Task Output: '{e}'")))?;
        self.complete(token, Ok(output), None).await
    }

    /// `SendTaskFailure`: fails the task of `token`, once that is committed.
    pub async fn send_task_failure(&self, token: &str, error: Option<String>, cause: Option<String>) -> Result<(), Error> {
        let failure = asl::Failure { error: error.unwrap_or_default(), cause };
        self.complete(token, Err(failure), None).await
    }

    /// `SendTaskHeartbeat`: the task of `token` is still being worked on; answers once that is committed.
    pub async fn send_task_heartbeat(&self, token: &str) -> Result<(), Error> {
        self.heartbeat(token, None).await
    }

    /// Completes the task of `token` once that is committed; `inbox` is the message it answers when another node
    /// asked. The task of an execution another node holds is completed through the inbox.
    pub(crate) async fn complete(&self, token: &str, outcome: Result<Value, asl::Failure>, inbox: Option<i64>) -> Result<(), Error> {
        let (live, task) = match self.token_task(token) {
            Ok(found) => found,
            Err(error) if inbox.is_none() && self.inner.store.shared() => {
                let message = match &outcome {
                    Ok(output) => serde_json::json!({"kind": "success", "token": token, "output": output}),
                    Err(failure) => {
                        serde_json::json!({"kind": "failure", "token": token, "error": failure.error, "cause": failure.cause})
                    }
                };
                return self.remote_token(token, &message, error).await;
            }
            Err(error) => return Err(error),
        };
        let (ack, acked) = Ack::channel(inbox);
        let _ = live.sender.send(Message::Callback(task, outcome, ack));
        acknowledged(acked).await
    }

    /// Records a heartbeat of the task of `token`, as `complete` completes it.
    pub(crate) async fn heartbeat(&self, token: &str, inbox: Option<i64>) -> Result<(), Error> {
        let (live, task) = match self.token_task(token) {
            Ok(found) => found,
            Err(error) if inbox.is_none() && self.inner.store.shared() => {
                let message = serde_json::json!({"kind": "heartbeat", "token": token});
                return self.remote_token(token, &message, error).await;
            }
            Err(error) => return Err(error),
        };
        let (ack, acked) = Ack::channel(inbox);
        let _ = live.sender.send(Message::Heartbeat(task, ack));
        acknowledged(acked).await
    }

    /// The execution `arn`; when `until_end`, once it has ended. An execution that runs in the store but not here
    /// (not adopted yet) is waited for through the store.
    pub(crate) async fn wait(&self, arn: &str, until_end: bool) -> Result<Execution, Error> {
        loop {
            if until_end {
                let live = lock(&self.inner.live).get(arn).cloned();
                if let Some(mut live) = live {
                    loop {
                        if let Some(record) = live.done.borrow().clone() {
                            return Ok(record.into());
                        }
                        if live.done.changed().await.is_err() {
                            break;
                        }
                    }
                }
            }
            let record = self.describe_execution(arn).await?;
            if self.inner.shutting_down() {
                return Err(Error::Internal("the server is shutting down".to_owned()));
            }
            if !until_end || record.status != Status::Running {
                return Ok(record);
            }
            // Live again (adopted): the next turn waits on it; otherwise look at the store again shortly.
            if !lock(&self.inner.live).contains_key(arn) {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    }

    /// The live execution and task a token completes, or AWS's error for the token.
    fn token_task(&self, token: &str) -> Result<(Live, TaskId), Error> {
        match self.inner.callbacks.get(token) {
            // Another account's token does not exist for this one.
            Some(Token::Open { execution, .. }) if !self.sees(&execution) => {
                Err(Error::TaskDoesNotExist(format!("Task Does Not Exist: '{token}'")))
            }
            Some(Token::Open { execution, task }) => match lock(&self.inner.live).get(&execution) {
                Some(live) => Ok((live.clone(), task)),
                None => Err(Error::TaskDoesNotExist(format!("Task Does Not Exist: '{token}'"))),
            },
            Some(Token::Closed(Closed::TimedOut)) => Err(Error::TaskTimedOut(format!("Task Timed Out: '{token}'"))),
            Some(Token::Closed(Closed::Completed)) => {
                Err(Error::InvalidToken(format!("Invalid Token: the task of '{token}' is already complete")))
            }
            Some(Token::Closed(Closed::Ended)) => Err(Error::TaskDoesNotExist(format!("Task Does Not Exist: '{token}'"))),
            None if token.is_empty() || token.len() > 2048 => Err(Error::InvalidToken(format!("Invalid Token: '{token}'"))),
            None => Err(Error::TaskDoesNotExist(format!("Task Does Not Exist: '{token}'"))),
        }
    }

    /// Starts an execution (Express ones in memory). Returns its record and, for Express, a way to wait for its end.
    async fn start(
        &self,
        request: StartExecution,
        sync: bool,
    ) -> Result<(store::Execution, Option<watch::Receiver<Option<store::Execution>>>), Error> {
        let (machine_arn, test_case) = match request.state_machine_arn.split_once('#') {
            Some((arn, case)) => (arn.to_owned(), Some(case.to_owned())),
            None => (request.state_machine_arn.clone(), None),
        };
        // A version or alias ARN runs the version's definition and role (`versions::resolve_target`).
        let target = self.resolve_target(&machine_arn, request.name.as_deref()).await?;
        let machine = target.machine;
        let express = machine.kind == Kind::Express;
        if sync && !express {
            return Err(Error::StateMachineTypeNotSupported(
                "This operation is not supported by this type of state machine".to_owned(),
            ));
        }
        let name = match request.name {
            Some(name) => {
                names::check_name(&name)?;
                name
            }
            None => names::uuid(),
        };
        let input_text = request.input.unwrap_or_else(|| "{}".to_owned());
        if input_text.len() > self.inner.config.limits.max_payload_bytes {
            return Err(Error::InvalidExecutionInput(format!(
                "Input exceeds the maximum size of {} bytes",
                self.inner.config.limits.max_payload_bytes
            )));
        }
        check_nesting(&input_text)?;
        let input: Value = serde_json::from_str(&input_text)
            .map_err(|e| Error::InvalidExecutionInput(format!("Invalid State Machine Execution Input: '{e}'")))?;
        // In the machine's account (a child started by a running execution is in its parent's).
        let prefix = machine.arn.split_once(":stateMachine:").map_or_else(|| self.arn(""), |(prefix, _)| format!("{prefix}:"));
        let arn = if express {
            format!("{prefix}express:{}:{name}:{}", machine.name, names::uuid())
        } else {
            format!("{prefix}execution:{}:{name}", machine.name)
        };
        let resources = self.resources(&machine.name, test_case.as_deref())?;
        if let Some(log) = &self.inner.execution_log {
            log.meet(&machine.arn, machine.logging_configuration.as_deref());
        }
        let parsed = self.machine(&machine.definition)?;
        let info = ExecutionInfo {
            execution_arn: arn.clone(),
            name: name.clone(),
            state_machine_arn: machine.arn.clone(),
            state_machine_name: machine.name.clone(),
            role_arn: machine.role_arn.clone(),
            region: self.region().to_owned(),
            express,
            version_arn: target.version_arn.clone(),
            alias_arn: target.alias_arn.clone(),
        };
        let mut execution = self.engine(parsed, info, engine::REPLAY_VERSION);
        let now = now();
        let trigger = Trigger::Start { input, now };
        let mut stored = trigger.to_json_text();
        let mut digest = 0;
        // A JSONata machine's first step stops after entering its first state, before any evaluation: StartExecution
        // answers at once, and the evaluations run in the execution's actor, off the async workers and watched.
        let jsonata = execution.uses_jsonata();
        if jsonata {
            execution.set_slice(1);
        }
        let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execution.apply(trigger)));
        if jsonata {
            execution.set_slice(actor::SLICE_STEPS);
        }
        let (mut first, commands, events) = match applied {
            Ok(commands) => {
                execution.fold_note().write_text(&mut stored);
                let events = execution.take_events();
                (actor::step(&arn, stored, &events, &mut execution, &mut digest), commands, events)
            }
            Err(panic) => {
                // A bug in the engine: the execution exists, failed, and says why.
                let message = actor::panic_message(&panic);
                tracing::error!(execution_arn = %arn, panic = %message, "the engine panicked starting an execution");
                let cause = format!("Baton internal error: {message}");
                let (append, event) = actor::fail_step(&arn, 0, now, &cause, &mut digest);
                (append, Vec::new(), vec![event])
            }
        };
        first.lease = self.lease(1);
        if first.lease.is_some() {
            let routes = crate::integration::Routes::of(execution.machine());
            first.routing = actor::routing(&routes, resources.mocks.is_some(), &commands);
        }
        let mut record = store::Execution {
            arn: arn.clone(),
            name,
            state_machine_arn: machine.arn.clone(),
            definition: machine.definition.clone(),
            role_arn: machine.role_arn.clone(),
            kind: machine.kind.into(),
            input: input_text.clone(),
            trace_header: request.trace_header,
            status: store::Status::Running,
            start: now,
            stop: None,
            output: None,
            error: None,
            cause: None,
            version_arn: target.version_arn,
            alias_arn: target.alias_arn,
            redrive_count: 0,
            redrive_date: None,
            engine_version: engine::REPLAY_VERSION,
            map_run_arn: None,
        };
        // An execution that enters a long Wait at once is parked by its first step: no actor until it is due.
        first.park = park::wake_time(&self.inner.config, !express, &resources, &execution, park::first_timer([], &commands), now);
        let parked = first.park.is_some();
        if !express && let Some(outbox) = &self.inner.outbox {
            outbox.stage(&record, &mut first, true);
        }
        let ended = first.ending.clone();
        if express {
            self.inner.express.insert(record.clone(), first);
        } else {
            let started = std::time::Instant::now();
            let created = self.inner.store.create_execution(record.clone(), first).await;
            self.inner.metrics.committed_in(started.elapsed().as_secs_f64());
            match created {
                Ok(()) => {}
                Err(store::Error::AlreadyExists(_)) => {
                    // StartExecution is idempotent for the same name and input while the execution runs. Found
                    // here rather than read before every start: the store refuses the duplicate in its batch.
                    let existing = self.inner.store.execution(&arn).await.map_err(internal)?;
                    if let Some(existing) = existing.filter(|e| e.status == store::Status::Running && e.input == input_text) {
                        return Ok((existing, None));
                    }
                    return Err(Error::ExecutionAlreadyExists(format!("Execution Already Exists: '{arn}'")));
                }
                Err(error) => return Err(internal(error)),
            }
        }
        let ended = ended.is_some_and(|ending| {
            record.end(ending);
            true
        });
        observe::committed(&self.inner, &observe::Committed { execution: &record, events: &events });
        if ended {
            // Ended in its first step (or failed at once): nothing to run, no task to start.
            let (_, done) = watch::channel(Some(record.clone()));
            return Ok((record, Some(done)));
        }
        if parked {
            return Ok((record, None));
        }
        let rebuilt = Rebuilt { execution, commands, awaiting: Vec::new(), invocations: HashMap::new(), digest, parked: None };
        match self.prepare(rebuilt, record.clone(), !express, resources, self.lease(1)) {
            Some((launch, done)) => {
                launch.spawn();
                Ok((record, Some(done)))
            }
            // Taken up from the store already (an adoption raced this start): that actor runs it.
            None => Ok((record, lock(&self.inner.live).get(&arn).map(|live| live.done.clone()))),
        }
    }

    /// A fresh engine as the service runs them: its folds bounded by `actor::SLICE_STEPS` and `actor::SLICE_BYTES`,
    /// writing the histories of its distributed Maps' child executions unless it resumes an execution started before
    /// Baton kept them (`engine_version` below 5), whose children have no records to continue.
    fn engine(&self, machine: Arc<asl::model::StateMachine>, info: ExecutionInfo, engine_version: u32) -> engine::Execution {
        let mut execution = engine::Execution::new(machine, info, self.inner.config.limits.clone());
        execution.set_slice(actor::SLICE_STEPS);
        execution.set_slice_bytes(actor::SLICE_BYTES);
        execution.keep_child_histories(engine_version >= 5);
        execution
    }

    /// Makes a rebuilt (or just started) execution live, and returns the actor that will run it once spawned
    /// (`Launch::spawn`); until then messages queue. `None` if the execution is live already (taken up by another
    /// path, which runs it).
    pub(crate) fn prepare(
        &self,
        rebuilt: Rebuilt,
        record: store::Execution,
        durable: bool,
        resources: Arc<Resources>,
        lease: Option<store::Lease>,
    ) -> Option<(Launch, watch::Receiver<Option<store::Execution>>)> {
        let Rebuilt { execution, commands, awaiting, invocations, digest, parked } = rebuilt;
        let last_event_time = execution.last_event_time();
        let (sender, receiver) = mpsc::unbounded_channel();
        let (done_sender, done) = watch::channel(None);
        let watch = execution.guard().watch();
        let offload = execution.uses_jsonata();
        let lease_epoch = lease.as_ref().map(|lease| lease.epoch);
        let live = Live { sender: sender.clone(), done: done.clone(), watch: watch.clone(), lease_epoch };
        {
            let mut lives = lock(&self.inner.live);
            if lives.contains_key(&record.arn) {
                return None;
            }
            lives.insert(record.arn.clone(), live);
        }
        if offload {
            lock(&self.inner.watched).insert(record.arn.clone(), watch);
        }
        let routes = crate::integration::Routes::of(execution.machine());
        let actor = Actor {
            observed: Vec::new(),
            inner: self.inner.clone(),
            execution,
            record,
            durable,
            resources,
            invocations,
            sender,
            receiver,
            done: done_sender,
            timers: HashMap::new(),
            broken: false,
            task_tokens: HashMap::new(),
            jobs: HashMap::new(),
            routes,
            digest,
            offload,
            // On virtual time an execution's clock may be ahead of the wall clock: it never goes back.
            offset: if self.inner.config.virtual_time { (last_event_time - now()).max(0) } else { 0 },
            lease,
            parked,
        };
        Some((Launch { actor, commands, awaiting }, done))
    }

    /// `RedriveExecution`: runs a failed, timed-out or aborted Standard execution again from the state where it
    /// stopped. Returns the redrive date.
    pub async fn redrive_execution(&self, arn: &str) -> Result<i64, Error> {
        names::check_execution_arn(arn)?;
        if self.inner.express.execution(arn, now()).is_some() {
            return Err(Error::ExecutionNotRedrivable(format!("Execution cannot be redriven: '{arn}' is an Express execution")));
        }
        let Some(recovered) = self.inner.store.recovered(arn).await.map_err(internal)? else {
            return Err(Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'")));
        };
        let mut record = recovered.execution;
        if let Some(map_run) = &record.map_run_arn {
            return Err(Error::ExecutionNotRedrivable(format!(
                "Execution cannot be redriven: '{arn}' is a child execution of Map Run '{map_run}'; redrive its parent execution"
            )));
        }
        if matches!(record.status, store::Status::Running | store::Status::Succeeded) {
            return Err(Error::ExecutionNotRedrivable(format!(
                "Execution cannot be redriven: '{arn}' is {}",
                if record.status == store::Status::Running { "RUNNING" } else { "SUCCEEDED" }
            )));
        }
        let mut rebuilt = self.rebuild_blocking(&record, recovered.triggers, false).await?;
        if !rebuilt.execution.redrivable() {
            return Err(Error::ExecutionNotRedrivable(format!(
                "Execution cannot be redriven: '{arn}' did not stop in a state it can restart from"
            )));
        }
        let now = now();
        let trigger = Trigger::Redrive { now };
        let mut stored = trigger.to_json_text();
        // Off the async workers and under the watchdog: the redrive's first step may evaluate JSONata.
        lock(&self.inner.watched).insert(arn.to_owned(), rebuilt.execution.guard().watch());
        let folded = tokio::task::spawn_blocking(move || {
            let mut execution = rebuilt.execution;
            let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execution.apply(trigger)));
            rebuilt.execution = execution;
            (rebuilt, applied.map_err(|panic| actor::panic_message(&panic)))
        })
        .await;
        lock(&self.inner.watched).remove(arn);
        let (mut rebuilt, applied) = folded.map_err(|error| Error::Internal(format!("redriving {arn} failed: {error}")))?;
        let commands = match applied {
            Ok(commands) => commands,
            Err(message) => {
                tracing::error!(execution_arn = %arn, panic = %message, "the engine panicked redriving an execution");
                return Err(Error::Internal(format!("Baton internal error redriving {arn}: {message}")));
            }
        };
        rebuilt.execution.fold_note().write_text(&mut stored);
        let events = rebuilt.execution.take_events();
        let mut first = actor::step(arn, stored, &events, &mut rebuilt.execution, &mut rebuilt.digest);
        // A redrive is a claim: whoever redrives holds the execution, at the epoch after the last claim.
        let lease = self.lease(recovered.epoch + 1);
        first.lease = lease.clone();
        let machine_name = names::state_machine_name(&record.state_machine_arn).unwrap_or_default().to_owned();
        let resources = self.resources(&machine_name, None)?;
        if lease.is_some() {
            let routes = crate::integration::Routes::of(rebuilt.execution.machine());
            first.routing = actor::routing(&routes, resources.mocks.is_some(), &commands);
        }
        // The execution as the redrive leaves it (once committed).
        record.status = store::Status::Running;
        record.redrive_count += 1;
        record.redrive_date = Some(now);
        record.stop = None;
        record.output = None;
        record.error = None;
        record.cause = None;
        if let Some(outbox) = &self.inner.outbox {
            outbox.stage(&record, &mut first, true);
        }
        match self.inner.store.redrive_execution(arn, now, first).await {
            Ok(()) => {}
            Err(store::Error::NotRedrivable(_)) => {
                return Err(Error::ExecutionNotRedrivable(format!("Execution cannot be redriven: '{arn}'")));
            }
            Err(error) => return Err(internal(error)),
        }
        observe::committed(&self.inner, &observe::Committed { execution: &record, events: &events });
        rebuilt.commands = commands;
        if let Some((launch, _)) = self.prepare(rebuilt, record, true, resources, lease) {
            launch.spawn();
        }
        Ok(now)
    }

    /// The parsed definition, shared by every execution of the same text.
    fn machine(&self, definition: &str) -> Result<Arc<asl::model::StateMachine>, Error> {
        if let Some(machine) = lock(&self.inner.machines).get(definition) {
            return Ok(machine.clone());
        }
        let machine = asl::parse(definition).map(Arc::new).map_err(invalid_definition)?;
        lock(&self.inner.machines).insert(definition.to_owned(), machine.clone());
        Ok(machine)
    }

    /// The task resources of an execution: the shared ones, with a mock test case when one is named.
    fn resources(&self, machine_name: &str, test_case: Option<&str>) -> Result<Arc<Resources>, Error> {
        let Some(case) = test_case else { return Ok(self.inner.config.resources.clone()) };
        let mocks = self
            .inner
            .config
            .mock_config
            .as_ref()
            .and_then(|config| config.test_case(machine_name, case))
            .ok_or_else(|| {
                Error::ValidationException(format!("no mock test case '{case}' for state machine '{machine_name}'"))
            })?;
        let mut resources = (*self.inner.config.resources).clone();
        resources.mocks = Some(mocks);
        Ok(Arc::new(resources))
    }
}

/// Whether an UpdateStateMachine that changes nothing makes a new revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Revision {
    /// Only an update that changes something is a new revision.
    IfChanged,
    /// Every update is (one with `publish`: AWS publishes a new version for it even when nothing changed, and a
    /// version snapshots a revision).
    Always,
}

/// An actor ready to run, with what it must do first.
pub(crate) struct Launch {
    actor: Actor,
    commands: Vec<Command>,
    awaiting: Vec<actor::Awaiting>,
}

impl Launch {
    fn spawn(self) {
        // Boxed: the actor's future is several KiB, and tokio moves a task's future into its cell and its output
        // over it when done; a box moves as a pointer (under callgrind the copies were about 80,000 instructions
        // per execution).
        tokio::spawn(Box::pin(self.actor.run(self.commands, self.awaiting)));
    }
}

/// Waits for an actor's ack: the change is committed, or why not.
pub(crate) async fn acknowledged(acked: oneshot::Receiver<Result<(), Error>>) -> Result<(), Error> {
    match acked.await {
        Ok(result) => result,
        // The actor ended without answering: it stopped on a storage error, or the server is shutting down.
        Err(_) => Err(Error::Internal("the execution stopped before the change was committed".to_owned())),
    }
}

/// Leaves inputs and outputs out of history events, as `includeExecutionData: false` asks ("input or output of a
/// history event", the model says). Their `inputDetails` and `outputDetails` stay as the model has them
/// (`HistoryEventExecutionDataDetails`: only `truncated`). A task's `parameters` stay: the model requires them in
/// `TaskScheduledEventDetails`.
fn strip_data(event: &mut Value) {
    let Some(object) = event.as_object_mut() else { return };
    for (key, details) in object.iter_mut() {
        if !key.ends_with("EventDetails") {
            continue;
        }
        if let Some(details) = details.as_object_mut() {
            for field in ["input", "output"] {
                if details.remove(field).is_some() {
                    details.entry(format!("{field}Details")).or_insert_with(|| serde_json::json!({"truncated": false}));
                }
            }
        }
    }
}

/// Pages an in-memory list with the store's token convention (the index of the next item).
fn page_of<T: Clone>(items: Vec<T>, page: &PageRequest) -> Result<Page<T>, Error> {
    let start = match &page.token {
        Some(token) => token.parse::<usize>().map_err(|_| Error::InvalidToken(format!("Invalid Token: '{token}'")))?,
        None => 0,
    };
    let limit = if page.limit == 0 { 100 } else { page.limit.min(1000) };
    let end = start.saturating_add(limit).min(items.len());
    let next_token = (end < items.len()).then(|| end.to_string());
    Ok(Page { items: items.get(start..end).unwrap_or_default().to_vec(), next_token })
}

/// Milliseconds since the Unix epoch, from the wall clock.
pub(crate) fn now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded maps stay consistent across a panic elsewhere; keep using them.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An execution input nested deeper than the engine's one limit (`engine::MAX_NESTING_DEPTH`) is refused.
pub(crate) fn check_nesting(input: &str) -> Result<(), Error> {
    let depth = engine::nesting_depth(input);
    if depth > engine::MAX_NESTING_DEPTH {
        return Err(Error::InvalidExecutionInput(format!(
            "Invalid State Machine Execution Input: 'nested {depth} levels deep, more than the maximum of {} levels'",
            engine::MAX_NESTING_DEPTH
        )));
    }
    Ok(())
}

/// `InvalidDefinition` listing every problem of a definition with its location.
pub(crate) fn invalid_definition(diagnostics: Vec<asl::Diagnostic>) -> Error {
    let problems: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            let at = if d.pointer.is_empty() { "/".to_owned() } else { d.pointer.clone() };
            format!("{}: {} at {at}", d.code, d.message)
        })
        .collect();
    Error::InvalidDefinition(format!("Invalid State Machine Definition: '{}'", problems.join(", ")))
}

fn internal(error: impl std::fmt::Display) -> Error {
    Error::Internal(error.to_string())
}

fn paging(error: store::Error) -> Error {
    match error {
        store::Error::InvalidToken(token) => Error::InvalidToken(format!("Invalid Token: '{token}'")),
        other => internal(other),
    }
}

/// DescribeStateMachineForExecution's answer: the machine, and for a Map Run's child its Map Run and label.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionMachine {
    pub machine: StateMachine,
    pub map_run_arn: Option<String>,
    pub label: Option<String>,
}

/// The item processor of the Map labelled `label` (its `Label`, else its name) in `definition`, at any depth, as a
/// state machine of its own: `StartAt` and `States` (and whatever else it has) without its `ProcessorConfig`.
fn map_processor(definition: &str, label: &str) -> Option<Value> {
    fn find(workflow: &Value, label: &str) -> Option<Value> {
        for (name, state) in workflow.get("States")?.as_object()? {
            let processor = state.get("ItemProcessor").or_else(|| state.get("Iterator"));
            if state.get("Type").and_then(Value::as_str) == Some("Map") {
                let named = state.get("Label").and_then(Value::as_str).unwrap_or(name);
                if let Some(Value::Object(processor)) = processor.filter(|_| named == label) {
                    let mut processor = processor.clone();
                    processor.remove("ProcessorConfig");
                    return Some(Value::Object(processor));
                }
            }
            let inner = state.get("Branches").and_then(Value::as_array).into_iter().flatten().chain(processor);
            if let Some(found) = inner.into_iter().find_map(|workflow| find(workflow, label)) {
                return Some(found);
            }
        }
        None
    }
    let definition: Value = serde_json::from_str(definition).ok()?;
    find(&definition, label)
}

/// What the service's unit tests share.
#[cfg(test)]
pub(crate) mod testing {
    /// A running Standard execution's record, started with `{"order":7}`, for tests to change what they need.
    pub(crate) fn execution() -> store::Execution {
        store::Execution {
            arn: "arn:aws:states:eu-west-1:111122223333:execution:Orders:o-1".to_owned(),
            name: "o-1".to_owned(),
            state_machine_arn: "arn:aws:states:eu-west-1:111122223333:stateMachine:Orders".to_owned(),
            definition: String::new(),
            role_arn: String::new(),
            kind: store::Kind::Standard,
            input: r#"{"order":7}"#.to_owned(),
            trace_header: None,
            status: store::Status::Running,
            start: 1_551_225_271_984,
            stop: None,
            output: None,
            error: None,
            cause: None,
            version_arn: None,
            alias_arn: None,
            redrive_count: 0,
            redrive_date: None,
            engine_version: 0,
            map_run_arn: None,
        }
    }
}
