//! The service's Prometheus metrics (`GET /metrics`, OpenMetrics text): AWS's CloudWatch metrics for Step Functions
//! executions, named `baton_` and in snake case, labelled by the state machine's name only (never an execution's,
//! so the number of series stays bounded by the number of machines), and what Baton itself holds.
//!
//! Counted from the history events of each committed batch of steps (`observe`): `ExecutionStarted`, `StateEntered`,
//! `ExecutionRedriven` and the events that end an execution.

use std::collections::HashMap;

use asl::errors::HEARTBEAT_TIMEOUT;
use engine::{EventDetails, HistoryEvent};

use super::dashboard::Ended;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The one label: which state machine (its name, without version or alias).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Machine {
    state_machine: String,
}

type Counters = Family<Machine, Counter>;

/// An API request's labels: its action (one of the API's, or `unknown`: a bounded set) and HTTP status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    action: &'static str,
    status: u16,
}

/// An API request's action, for its latency.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Action {
    action: &'static str,
}

/// The labels of AWS's per-resource metrics, one dimension each: `ActivityArn`, `LambdaFunctionArn` (a Task whose
/// resource is a function ARN) and `ServiceIntegrationResourceArn` (`arn:aws:states:::lambda:invoke`, …). Resources
/// are named by definitions, not by executions, so the series stay bounded.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActivityLabel {
    activity_arn: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LambdaLabel {
    lambda_function_arn: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabel {
    service_integration_resource_arn: String,
}

/// Which of the three families a task belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Activity,
    Lambda,
    Service,
}

/// A task scheduled and not closed yet: its family, its resource, when it was scheduled and started. Kept by
/// execution and by the id of its last event (the next one of the task names it as its previous event).
#[derive(Debug, Clone)]
struct Open {
    kind: Kind,
    resource: String,
    scheduled: i64,
    started: Option<i64>,
}

/// How many open tasks are followed at most: past it, the oldest executions' are forgotten (their latencies are
/// not observed; the counters still are).
const MAX_OPEN_TASKS: usize = 100_000;

/// The counters and latency histograms AWS publishes for one family of resources (`Activities…`,
/// `LambdaFunctions…`, `ServiceIntegrations…`).
struct Family3<L> {
    scheduled: Family<L, Counter>,
    started: Family<L, Counter>,
    succeeded: Family<L, Counter>,
    failed: Family<L, Counter>,
    timed_out: Family<L, Counter>,
    heartbeat_timed_out: Family<L, Counter>,
    /// From scheduled to started, from started to closed, from scheduled to closed.
    schedule_time: Family<L, Histogram, fn() -> Histogram>,
    run_time: Family<L, Histogram, fn() -> Histogram>,
    time: Family<L, Histogram, fn() -> Histogram>,
}

impl<L> Family3<L>
where
    L: EncodeLabelSet + Clone + std::hash::Hash + Eq + std::fmt::Debug + Send + Sync + 'static,
{
    /// Registers the family's metrics: `plural` names the counters (`activities`), `singular` the times
    /// (`activity`), as AWS's `ActivitiesStarted` and `ActivityRunTime`.
    fn register(registry: &mut Registry, plural: &str, singular: &str, what: &str) -> Family3<L> {
        let mut counter = |suffix: &str, help: &str| {
            let family = Family::<L, Counter>::default();
            registry.register(format!("baton_{plural}_{suffix}"), format!("{what} {help}"), family.clone());
            family
        };
        let scheduled = counter("scheduled", "scheduled");
        let started = counter("started", "started");
        let succeeded = counter("succeeded", "that succeeded");
        let failed = counter("failed", "that failed");
        let timed_out = counter("timed_out", "that timed out");
        let heartbeat_timed_out = counter("heartbeat_timed_out", "whose heartbeat timed out");
        let mut histogram = |suffix: &str, help: &str| {
            let family: Family<L, Histogram, fn() -> Histogram> = Family::new_with_constructor(task_histogram);
            registry.register(format!("baton_{singular}_{suffix}_seconds"), format!("{what}: {help}"), family.clone());
            family
        };
        let schedule_time = histogram("schedule_time", "from scheduled to started");
        let run_time = histogram("run_time", "from started to closed");
        let time = histogram("time", "from scheduled to closed");
        Family3 { scheduled, started, succeeded, failed, timed_out, heartbeat_timed_out, schedule_time, run_time, time }
    }

    fn count(&self, label: &L, counted: Counted) {
        let family = match counted {
            Counted::Scheduled => &self.scheduled,
            Counted::Started => &self.started,
            Counted::Succeeded => &self.succeeded,
            Counted::Failed => &self.failed,
            Counted::TimedOut => &self.timed_out,
            Counted::HeartbeatTimedOut => &self.heartbeat_timed_out,
        };
        family.get_or_create(label).inc();
    }

    fn time(&self, label: &L, timed: Timed, seconds: f64) {
        let family = match timed {
            Timed::Schedule => &self.schedule_time,
            Timed::Run => &self.run_time,
            Timed::Total => &self.time,
        };
        family.get_or_create(label).observe(seconds);
    }
}

/// What happened to a task, for its counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counted {
    Scheduled,
    Started,
    Succeeded,
    Failed,
    TimedOut,
    HeartbeatTimedOut,
}

/// Which of a task's times: from scheduled to started, from started to closed, from scheduled to closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timed {
    Schedule,
    Run,
    Total,
}

pub(crate) struct Metrics {
    registry: Registry,
    started: Counters,
    succeeded: Counters,
    failed: Counters,
    aborted: Counters,
    timed_out: Counters,
    redriven: Counters,
    transitions: Counters,
    duration: Family<Machine, Histogram, fn() -> Histogram>,
    running: Gauge,
    parked: Gauge,
    inbox: Gauge,
    store_bytes: Gauge,
    activity_tasks: Family<ActivityLabel, Gauge>,
    /// The store's writer: transactions committed and write requests they answered (`store::Stats`), counted up to
    /// the figures `seen` at the last scrape; and how long the runtime waited for its steps to commit.
    transactions: Counter,
    writes: Counter,
    seen: std::sync::Mutex<store::Stats>,
    commit: Histogram,
    requests: Family<Request, Counter>,
    latency: Family<Action, Histogram, fn() -> Histogram>,
    activities: Family3<ActivityLabel>,
    lambdas: Family3<LambdaLabel>,
    services: Family3<ServiceLabel>,
    /// Executions by minute, for the console's dashboard.
    pub(crate) series: super::dashboard::Series,
    /// The open tasks of each execution (`Open`), to time them when they close.
    open: std::sync::Mutex<HashMap<String, HashMap<u64, Open>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// API request times from 100 µs to about 6.5 s, doubling.
fn request_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 17))
}

/// Task times from 1 ms to about 9 hours, doubling.
fn task_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 25))
}

/// Execution durations from 10 ms to about 2 days, doubling.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.01, 2.0, 25))
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::default();
        let counters = |registry: &mut Registry, name: &str, help: &str| {
            let family = Counters::default();
            registry.register(name, help, family.clone());
            family
        };
        let started = counters(&mut registry, "baton_executions_started", "Executions started (ExecutionsStarted)");
        let succeeded = counters(&mut registry, "baton_executions_succeeded", "Executions that succeeded (ExecutionsSucceeded)");
        let failed = counters(&mut registry, "baton_executions_failed", "Executions that failed (ExecutionsFailed)");
        let aborted = counters(&mut registry, "baton_executions_aborted", "Executions stopped (ExecutionsAborted)");
        let timed_out = counters(&mut registry, "baton_executions_timed_out", "Executions that timed out (ExecutionsTimedOut)");
        let redriven = counters(&mut registry, "baton_executions_redriven", "Executions redriven (ExecutionsRedriven)");
        let transitions = counters(&mut registry, "baton_state_transitions", "States entered (state transitions)");
        let duration: Family<Machine, Histogram, fn() -> Histogram> = Family::new_with_constructor(duration_histogram);
        registry.register("baton_execution_duration_seconds", "How long ended executions ran (ExecutionTime)", duration.clone());
        let running = Gauge::default();
        registry.register("baton_executions_running", "Executions running in this server's memory", running.clone());
        let parked = Gauge::default();
        registry.register("baton_executions_parked", "Executions parked in the store until their timer is due", parked.clone());
        let inbox = Gauge::default();
        registry.register("baton_inbox_messages", "Messages for executions other nodes hold, not answered yet", inbox.clone());
        let store_bytes = Gauge::default();
        registry.register("baton_store_bytes", "Bytes the store's data takes (SQLite's pages in use, PostgreSQL's database)", store_bytes.clone());
        let activity_tasks = Family::<ActivityLabel, Gauge>::default();
        registry.register("baton_activity_tasks_waiting", "Activity tasks waiting for a worker", activity_tasks.clone());
        let transactions = Counter::default();
        registry.register("baton_store_transactions", "Transactions the store's writer committed", transactions.clone());
        let writes = Counter::default();
        registry.register(
            "baton_store_writes",
            "Write requests the store's writer answered (writes per transaction: the group commit's batch size)",
            writes.clone(),
        );
        let commit = Histogram::new(exponential_buckets(0.0001, 2.0, 17));
        registry.register(
            "baton_store_commit_seconds",
            "How long an execution's steps waited to be durable (queue, transaction and sync)",
            commit.clone(),
        );
        let requests = Family::<Request, Counter>::default();
        registry.register("baton_http_requests", "API requests by action and HTTP status", requests.clone());
        let latency: Family<Action, Histogram, fn() -> Histogram> = Family::new_with_constructor(request_histogram);
        registry.register("baton_http_request_duration_seconds", "How long API requests took to answer, by action", latency.clone());
        let activities = Family3::register(&mut registry, "activities", "activity", "Activity tasks");
        let lambdas = Family3::register(&mut registry, "lambda_functions", "lambda_function", "Lambda function tasks");
        let services = Family3::register(&mut registry, "service_integrations", "service_integration", "Service integration tasks");
        let open = std::sync::Mutex::default();
        Metrics {
            registry,
            started,
            succeeded,
            failed,
            aborted,
            timed_out,
            redriven,
            transitions,
            duration,
            running,
            parked,
            inbox,
            store_bytes,
            activity_tasks,
            transactions,
            writes,
            seen: std::sync::Mutex::default(),
            commit,
            requests,
            latency,
            activities,
            lambdas,
            services,
            series: super::dashboard::Series::default(),
            open,
        }
    }
}

impl Metrics {
    /// Counts what a committed batch of an execution's steps did.
    pub(crate) fn observe(&self, batch: &super::observe::Committed<'_>) {
        let execution = batch.execution;
        let label = label(&execution.state_machine_arn);
        // Only a start or an end is counted by machine ARN (the console's series).
        let machine = || machine_arn(&execution.state_machine_arn);
        let mut entered = 0;
        let mut tasks: Option<std::sync::MutexGuard<'_, HashMap<String, HashMap<u64, Open>>>> = None;
        for event in batch.events {
            if is_task_event(&event.details) {
                let open = tasks.get_or_insert_with(|| self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
                self.task(open, &execution.arn, event);
                continue;
            }
            let outcome = match &event.details {
                EventDetails::StateEntered { .. } => {
                    entered += 1;
                    continue;
                }
                EventDetails::ExecutionStarted { .. } => {
                    self.started.get_or_create(&label).inc();
                    self.series.started(machine(), event.timestamp);
                    continue;
                }
                EventDetails::ExecutionRedriven { .. } => {
                    self.redriven.get_or_create(&label).inc();
                    continue;
                }
                EventDetails::ExecutionSucceeded { .. } => (&self.succeeded, Ended::Succeeded),
                EventDetails::ExecutionFailed(_) => (&self.failed, Ended::Failed),
                EventDetails::ExecutionAborted(_) => (&self.aborted, Ended::Aborted),
                EventDetails::ExecutionTimedOut(_) => (&self.timed_out, Ended::TimedOut),
                _ => continue,
            };
            outcome.0.get_or_create(&label).inc();
            let seconds = (event.timestamp - execution.start).max(0) as f64 / 1000.0;
            self.duration.get_or_create(&label).observe(seconds);
            self.series.ended(machine(), event.timestamp, outcome.1, seconds);
            // Its tasks closed with it (aborted, or cut off): nothing more to time.
            tasks.get_or_insert_with(|| self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)).remove(&execution.arn);
        }
        if entered > 0 {
            self.transitions.get_or_create(&label).inc_by(entered);
        }
    }

    /// Counts one event of a task and times it when it starts or closes.
    fn task(&self, open: &mut HashMap<String, HashMap<u64, Open>>, execution: &str, event: &HistoryEvent) {
        let scheduled = match &event.details {
            EventDetails::TaskScheduled(task) => {
                Some((Kind::Service, format!("arn:aws:states:::{}:{}", task.resource_type, task.resource)))
            }
            EventDetails::ActivityScheduled { resource, .. } => Some((Kind::Activity, resource.clone())),
            EventDetails::LambdaFunctionScheduled { resource, .. } => Some((Kind::Lambda, resource.clone())),
            _ => None,
        };
        if let Some((kind, resource)) = scheduled {
            self.count(kind, &resource, Counted::Scheduled);
            if open.len() >= MAX_OPEN_TASKS && !open.contains_key(execution) {
                open.clear();
            }
            let task = Open { kind, resource, scheduled: event.timestamp, started: None };
            open.entry(execution.to_owned()).or_default().insert(event.id, task);
            return;
        }
        let Some(tasks) = open.get_mut(execution) else { return };
        let Some(mut task) = tasks.remove(&event.previous_event_id) else { return };
        let closed = match &event.details {
            EventDetails::TaskStarted { .. } | EventDetails::ActivityStarted { .. } | EventDetails::LambdaFunctionStarted => {
                task.started = Some(event.timestamp);
                self.count(task.kind, &task.resource, Counted::Started);
                self.time(task.kind, &task.resource, Timed::Schedule, event.timestamp - task.scheduled);
                tasks.insert(event.id, task);
                return;
            }
            EventDetails::TaskSubmitted { .. } => {
                tasks.insert(event.id, task);
                return;
            }
            EventDetails::TaskSucceeded { .. } | EventDetails::ActivitySucceeded { .. } | EventDetails::LambdaFunctionSucceeded { .. } => {
                Counted::Succeeded
            }
            EventDetails::TaskFailed { .. } | EventDetails::ActivityFailed(_) | EventDetails::LambdaFunctionFailed(_) => Counted::Failed,
            EventDetails::TaskTimedOut { error, .. } | EventDetails::ActivityTimedOut(error) | EventDetails::LambdaFunctionTimedOut(error) => {
                if error.error.as_deref() == Some(HEARTBEAT_TIMEOUT) { Counted::HeartbeatTimedOut } else { Counted::TimedOut }
            }
            _ => return,
        };
        if tasks.is_empty() {
            open.remove(execution);
        }
        self.count(task.kind, &task.resource, closed);
        if let Some(started) = task.started {
            self.time(task.kind, &task.resource, Timed::Run, event.timestamp - started);
        }
        self.time(task.kind, &task.resource, Timed::Total, event.timestamp - task.scheduled);
    }

    fn count(&self, kind: Kind, resource: &str, counted: Counted) {
        let resource = resource.to_owned();
        match kind {
            Kind::Activity => self.activities.count(&ActivityLabel { activity_arn: resource }, counted),
            Kind::Lambda => self.lambdas.count(&LambdaLabel { lambda_function_arn: resource }, counted),
            Kind::Service => self.services.count(&ServiceLabel { service_integration_resource_arn: resource }, counted),
        }
    }

    /// Observes a time of `milliseconds` (negative ones as 0).
    fn time(&self, kind: Kind, resource: &str, timed: Timed, milliseconds: i64) {
        let seconds = milliseconds.max(0) as f64 / 1000.0;
        let resource = resource.to_owned();
        match kind {
            Kind::Activity => self.activities.time(&ActivityLabel { activity_arn: resource }, timed, seconds),
            Kind::Lambda => self.lambdas.time(&LambdaLabel { lambda_function_arn: resource }, timed, seconds),
            Kind::Service => self.services.time(&ServiceLabel { service_integration_resource_arn: resource }, timed, seconds),
        }
    }

    /// An API request of `action` (a name from the API's list, or `unknown`) was answered with `status` in `seconds`.
    pub(crate) fn request(&self, action: &'static str, status: u16, seconds: f64) {
        self.requests.get_or_create(&Request { action, status }).inc();
        self.latency.get_or_create(&Action { action }).observe(seconds);
    }

    /// An execution's steps took `seconds` to commit durably.
    pub(crate) fn committed_in(&self, seconds: f64) {
        self.commit.observe(seconds);
    }

    /// The OpenMetrics text of every metric, with the gauges set from `now`.
    pub(crate) fn render(&self, now: &Snapshot) -> String {
        let gauge = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        self.running.set(gauge(now.running as u64));
        if let Some(gauges) = &now.gauges {
            self.parked.set(gauge(gauges.parked));
            self.inbox.set(gauge(gauges.inbox));
            self.store_bytes.set(gauge(gauges.bytes));
        }
        self.activity_tasks.clear();
        for (activity_arn, waiting) in &now.activity_tasks {
            self.activity_tasks.get_or_create(&ActivityLabel { activity_arn: activity_arn.clone() }).set(gauge(*waiting));
        }
        {
            let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            self.transactions.inc_by(now.store.commits.saturating_sub(seen.commits));
            self.writes.inc_by(now.store.requests.saturating_sub(seen.requests));
            *seen = now.store.clone();
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// What `/metrics` reads when it is scraped, besides what it counts.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// Executions live in this server's memory.
    pub(crate) running: usize,
    /// Parked executions and open inbox messages, from the store (`None` if it could not be read: they keep their
    /// last values).
    pub(crate) gauges: Option<store::Gauges>,
    /// Activity tasks waiting for a worker, by activity ARN.
    pub(crate) activity_tasks: Vec<(String, u64)>,
    /// The store writer's counters.
    pub(crate) store: store::Stats,
}

/// Whether an event is one of a task's (scheduled, started, submitted, closed).
fn is_task_event(details: &EventDetails) -> bool {
    matches!(
        details,
        EventDetails::TaskScheduled(_)
            | EventDetails::TaskStarted { .. }
            | EventDetails::TaskSubmitted { .. }
            | EventDetails::TaskSucceeded { .. }
            | EventDetails::TaskFailed { .. }
            | EventDetails::TaskTimedOut { .. }
            | EventDetails::ActivityScheduled { .. }
            | EventDetails::ActivityStarted { .. }
            | EventDetails::ActivitySucceeded { .. }
            | EventDetails::ActivityFailed(_)
            | EventDetails::ActivityTimedOut(_)
            | EventDetails::LambdaFunctionScheduled { .. }
            | EventDetails::LambdaFunctionStarted
            | EventDetails::LambdaFunctionSucceeded { .. }
            | EventDetails::LambdaFunctionFailed(_)
            | EventDetails::LambdaFunctionTimedOut(_)
    )
}

/// The ARN of the state machine a state machine, version or alias ARN names (without `:<version>` or `:<alias>`).
fn machine_arn(arn: &str) -> &str {
    let Some(at) = state_machine_at(arn) else { return arn };
    let name = at + ":stateMachine:".len();
    match arn.get(name..).and_then(|rest| rest.find(':')) {
        Some(end) => arn.get(..name + end).unwrap_or(arn),
        None => arn,
    }
}

/// Where `:stateMachine:` begins in `arn`, found among its colons: searching for the whole text set up a substring
/// searcher on every call, and the label is taken for every step committed.
fn state_machine_at(arn: &str) -> Option<usize> {
    let bytes = arn.as_bytes();
    (0..bytes.len()).find(|&at| bytes.get(at) == Some(&b':') && bytes.get(at..).is_some_and(|rest| rest.starts_with(b":stateMachine:")))
}

/// The label of a state machine, version or alias ARN: the machine's name.
fn label(machine_arn: &str) -> Machine {
    let name = state_machine_at(machine_arn).and_then(|at| machine_arn.get(at + ":stateMachine:".len()..)).unwrap_or(machine_arn);
    let name = name.split(':').next().unwrap_or(name);
    Machine { state_machine: name.to_owned() }
}

#[cfg(test)]
mod tests {
    use engine::{ErrorDetails, EventDetails, HistoryEvent};

    use super::{Metrics, Snapshot, label};
    use crate::service::observe::Committed;

    fn event(id: u64, timestamp: i64, details: EventDetails) -> HistoryEvent {
        HistoryEvent { id, previous_event_id: id.saturating_sub(1), timestamp, details }
    }

    fn execution() -> store::Execution {
        store::Execution {
            arn: "arn:aws:states:us-east-1:123456789012:execution:orders:one".to_owned(),
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:orders".to_owned(),
            start: 1_000,
            ..crate::service::testing::execution()
        }
    }

    #[test]
    fn machines_are_labelled_by_name_and_counted() {
        assert_eq!(label("arn:aws:states:us-east-1:123456789012:stateMachine:orders:3").state_machine, "orders");
        assert_eq!(label("arn:aws:states:us-east-1:123456789012:stateMachine:orders").state_machine, "orders");
        let machine = "arn:aws:states:us-east-1:123456789012:stateMachine:orders";
        assert_eq!(super::machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:orders:prod"), machine);
        assert_eq!(super::machine_arn(machine), machine);
        // Not an ARN: itself; a machine named like the resource type: the first `:stateMachine:` counts.
        assert_eq!((label("orders").state_machine.as_str(), super::machine_arn("orders")), ("orders", "orders"));
        let odd = "arn:aws:states:us-east-1:123456789012:stateMachine:stateMachine:2";
        assert_eq!(label(odd).state_machine, "stateMachine");
        assert_eq!(super::machine_arn(odd), "arn:aws:states:us-east-1:123456789012:stateMachine:stateMachine");
        let metrics = Metrics::default();
        let execution = execution();
        let entered = |id| event(id, 1_000, EventDetails::StateEntered { state_type: "Pass", name: "P".to_owned(), input: "{}".to_owned() });
        let started = event(1, 1_000, EventDetails::ExecutionStarted {
            input: "{}".to_owned(),
            role_arn: String::new(),
            state_machine_arn: execution.state_machine_arn.clone(),
            version_arn: None,
            alias_arn: None,
        });
        let failed = event(4, 2_500, EventDetails::ExecutionFailed(ErrorDetails::default()));
        metrics.observe(&Committed { execution: &execution, events: &[started.clone(), entered(2)] });
        metrics.observe(&Committed { execution: &execution, events: &[started, entered(2), entered(3), failed] });
        metrics.request("StartExecution", 200, 0.002);
        metrics.request("StartExecution", 200, 0.004);
        let text = metrics.render(&Snapshot { running: 1, ..Snapshot::default() });
        assert!(text.contains("baton_executions_started_total{state_machine=\"orders\"} 2"), "{text}");
        assert!(text.contains("baton_executions_failed_total{state_machine=\"orders\"} 1"), "{text}");
        assert!(text.contains("baton_state_transitions_total{state_machine=\"orders\"} 3"), "{text}");
        assert!(text.contains("baton_execution_duration_seconds_count{state_machine=\"orders\"} 1"), "{text}");
        assert!(text.contains("baton_execution_duration_seconds_sum{state_machine=\"orders\"} 1.5"), "{text}");
        assert!(text.contains("baton_executions_running 1"), "{text}");
        assert!(text.contains("baton_http_requests_total{action=\"StartExecution\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("baton_http_request_duration_seconds_count{action=\"StartExecution\"} 2"), "{text}");
        assert!(text.trim_end().ends_with("# EOF"), "{text}");
    }

    #[test]
    fn tasks_are_counted_and_timed_by_resource() {
        let metrics = Metrics::default();
        let execution = execution();
        let task = |resource: &str| {
            EventDetails::TaskScheduled(engine::TaskScheduled {
                resource_type: "lambda".to_owned(),
                resource: resource.to_owned(),
                region: "us-east-1".to_owned(),
                parameters: "{}".to_owned(),
                timeout_in_seconds: None,
                heartbeat_in_seconds: None,
                role_arn: None,
            })
        };
        let activity = "arn:aws:states:us-east-1:123456789012:activity:approve".to_owned();
        let lambda = |resource: &str| (resource.to_owned(), "lambda".to_owned());
        let started = |(resource, resource_type): (String, String)| EventDetails::TaskStarted { resource_type, resource };
        let heartbeat = ErrorDetails { error: Some("States.HeartbeatTimeout".to_owned()), cause: None };
        // Two threads interleaved (as Parallel branches are): each task's events chain by previous event id.
        let events = [
            HistoryEvent { id: 3, previous_event_id: 2, timestamp: 1_000, details: task("invoke") },
            HistoryEvent { id: 4, previous_event_id: 2, timestamp: 1_000, details: EventDetails::ActivityScheduled {
                resource: activity.clone(), input: "{}".to_owned(), timeout_in_seconds: None, heartbeat_in_seconds: Some(5) } },
            HistoryEvent { id: 5, previous_event_id: 3, timestamp: 1_010, details: started(lambda("invoke")) },
            HistoryEvent { id: 6, previous_event_id: 4, timestamp: 1_500, details: EventDetails::ActivityStarted { worker_name: "w".to_owned() } },
            HistoryEvent { id: 7, previous_event_id: 5, timestamp: 1_260, details: EventDetails::TaskSucceeded {
                resource_type: "lambda".to_owned(), resource: "invoke".to_owned(), output: "{}".to_owned() } },
        ];
        metrics.observe(&Committed { execution: &execution, events: &events });
        // The activity closes in a later batch.
        let closed = [HistoryEvent { id: 8, previous_event_id: 6, timestamp: 6_500, details: EventDetails::ActivityTimedOut(heartbeat) }];
        metrics.observe(&Committed { execution: &execution, events: &closed });
        let text = metrics.render(&Snapshot::default());
        let service = "service_integration_resource_arn=\"arn:aws:states:::lambda:invoke\"";
        for line in [
            format!("baton_service_integrations_scheduled_total{{{service}}} 1"),
            format!("baton_service_integrations_started_total{{{service}}} 1"),
            format!("baton_service_integrations_succeeded_total{{{service}}} 1"),
            format!("baton_service_integration_schedule_time_seconds_sum{{{service}}} 0.01"),
            format!("baton_service_integration_run_time_seconds_sum{{{service}}} 0.25"),
            format!("baton_service_integration_time_seconds_sum{{{service}}} 0.26"),
            format!("baton_activities_heartbeat_timed_out_total{{activity_arn=\"{activity}\"}} 1"),
            format!("baton_activity_run_time_seconds_sum{{activity_arn=\"{activity}\"}} 5.0"),
            format!("baton_activity_schedule_time_seconds_sum{{activity_arn=\"{activity}\"}} 0.5"),
        ] {
            assert!(text.contains(&line), "{line} in\n{text}");
        }
        assert!(!text.contains("baton_activities_timed_out_total{"), "{text}");
        assert!(metrics.open.lock().expect("lock").is_empty(), "every task closed");
    }
}
