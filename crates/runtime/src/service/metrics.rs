//! The service's Prometheus metrics (`GET /metrics`, OpenMetrics text): AWS's CloudWatch metrics for Step Functions
//! executions, named `baton_` and in snake case, labelled by the state machine's name only (never an execution's,
//! so the number of series stays bounded by the number of machines), and what Baton itself holds.
//!
//! Counted from the history events of each committed batch of steps (`observe`): `ExecutionStarted`, `StateEntered`,
//! `ExecutionRedriven` and the events that end an execution.

use engine::EventDetails;
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
    requests: Family<Request, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
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
        let requests = Family::<Request, Counter>::default();
        registry.register("baton_http_requests", "API requests by action and HTTP status", requests.clone());
        Metrics { registry, started, succeeded, failed, aborted, timed_out, redriven, transitions, duration, running, requests }
    }
}

impl Metrics {
    /// Counts what a committed batch of an execution's steps did.
    pub(crate) fn observe(&self, batch: &super::observe::Committed<'_>) {
        let execution = batch.execution;
        let label = label(&execution.state_machine_arn);
        let mut entered = 0;
        for event in batch.events {
            let outcome = match &event.details {
                EventDetails::StateEntered { .. } => {
                    entered += 1;
                    continue;
                }
                EventDetails::ExecutionStarted { .. } => {
                    self.started.get_or_create(&label).inc();
                    continue;
                }
                EventDetails::ExecutionRedriven { .. } => {
                    self.redriven.get_or_create(&label).inc();
                    continue;
                }
                EventDetails::ExecutionSucceeded { .. } => &self.succeeded,
                EventDetails::ExecutionFailed(_) => &self.failed,
                EventDetails::ExecutionAborted(_) => &self.aborted,
                EventDetails::ExecutionTimedOut(_) => &self.timed_out,
                _ => continue,
            };
            outcome.get_or_create(&label).inc();
            let milliseconds = (event.timestamp - execution.start).max(0);
            self.duration.get_or_create(&label).observe(milliseconds as f64 / 1000.0);
        }
        if entered > 0 {
            self.transitions.get_or_create(&label).inc_by(entered);
        }
    }

    /// An API request of `action` (a name from the API's list, or `unknown`) was answered with `status`.
    pub(crate) fn request(&self, action: &'static str, status: u16) {
        self.requests.get_or_create(&Request { action, status }).inc();
    }

    /// The OpenMetrics text of every metric, with the running gauge set to `running` now.
    pub(crate) fn render(&self, running: usize) -> String {
        self.running.set(i64::try_from(running).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// The label of a state machine, version or alias ARN: the machine's name.
fn label(machine_arn: &str) -> Machine {
    let name = machine_arn.split_once(":stateMachine:").map_or(machine_arn, |(_, rest)| rest);
    let name = name.split(':').next().unwrap_or(name);
    Machine { state_machine: name.to_owned() }
}

#[cfg(test)]
mod tests {
    use engine::{ErrorDetails, EventDetails, HistoryEvent};

    use super::{Metrics, label};
    use crate::service::observe::Committed;

    fn event(id: u64, timestamp: i64, details: EventDetails) -> HistoryEvent {
        HistoryEvent { id, previous_event_id: id.saturating_sub(1), timestamp, details }
    }

    #[test]
    fn machines_are_labelled_by_name_and_counted() {
        assert_eq!(label("arn:aws:states:us-east-1:123456789012:stateMachine:orders:3").state_machine, "orders");
        assert_eq!(label("arn:aws:states:us-east-1:123456789012:stateMachine:orders").state_machine, "orders");
        let metrics = Metrics::default();
        let execution = store::Execution {
            arn: "arn:aws:states:us-east-1:123456789012:execution:orders:one".to_owned(),
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:orders".to_owned(),
            name: "one".to_owned(),
            definition: String::new(),
            role_arn: String::new(),
            kind: store::Kind::Standard,
            input: "{}".to_owned(),
            trace_header: None,
            status: store::Status::Failed,
            start: 1_000,
            stop: Some(2_500),
            output: None,
            error: None,
            cause: None,
            version_arn: None,
            alias_arn: None,
            redrive_count: 0,
            redrive_date: None,
            engine_version: engine::REPLAY_VERSION,
            map_run_arn: None,
        };
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
        metrics.request("StartExecution", 200);
        metrics.request("StartExecution", 200);
        let text = metrics.render(1);
        assert!(text.contains("baton_executions_started_total{state_machine=\"orders\"} 2"), "{text}");
        assert!(text.contains("baton_executions_failed_total{state_machine=\"orders\"} 1"), "{text}");
        assert!(text.contains("baton_state_transitions_total{state_machine=\"orders\"} 3"), "{text}");
        assert!(text.contains("baton_execution_duration_seconds_count{state_machine=\"orders\"} 1"), "{text}");
        assert!(text.contains("baton_execution_duration_seconds_sum{state_machine=\"orders\"} 1.5"), "{text}");
        assert!(text.contains("baton_executions_running 1"), "{text}");
        assert!(text.contains("baton_http_requests_total{action=\"StartExecution\",status=\"200\"} 2"), "{text}");
        assert!(text.trim_end().ends_with("# EOF"), "{text}");
    }
}
