//! OpenTelemetry traces of executions (`baton serve --otlp-endpoint`, or the standard `OTEL_EXPORTER_OTLP_*`
//! variables): a span per execution run, per state and per task call, built from the committed history (`spans`) and
//! exported over OTLP/HTTP (`otlp`, the `otlp` cargo feature) when they end. Task requests carry the trace onwards
//! (`task_trace`: W3C `traceparent`, and X-Ray's `X-Amzn-Trace-Id` to AWS and Lambda).
//!
//! Nothing here runs unless traces are configured (`Config::traces`): the service has no `Traces` then, and a task's
//! request only passes on the `traceHeader` its execution was started with, if any.
//!
//! Ids are derived (`ids`), so an execution resumed after a restart or on another node continues the same trace and
//! spans. The spans open at a restart are rebuilt from the replayed history (`prime`, called by recovery), so a state
//! that began before the restart ends with its real start time. What is lost at a crash: spans that had ended but
//! were still queued for export (export is at most once).

mod ids;
#[cfg(feature = "otlp")]
mod otlp;
mod spans;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use engine::{EventDetails, HistoryEvent};
use integrations::Trace;
use tokio::sync::oneshot;

use spans::{Finished, Opening, Tracker};

/// Where and how `baton serve` exports traces: OTLP over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Otlp {
    /// The traces URL, used as it is (`http://collector:4318/v1/traces`).
    pub endpoint: String,
    pub protocol: OtlpProtocol,
    /// The `service.name` resource attribute (`OTEL_SERVICE_NAME`); other resource attributes come from
    /// `OTEL_RESOURCE_ATTRIBUTES`, and `OTEL_EXPORTER_OTLP_HEADERS` (or `…_TRACES_HEADERS`) adds request headers.
    pub service_name: String,
    pub batch: Batch,
}

/// OTLP/HTTP's encodings (`OTEL_EXPORTER_OTLP_PROTOCOL`): gRPC is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// `http/protobuf`, the default.
    Protobuf,
    /// `http/json`.
    Json,
}

/// How ended spans are batched (the `OTEL_BSP_*` variables of the batch span processor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// Longest a span waits before it is sent, in milliseconds (`OTEL_BSP_SCHEDULE_DELAY`).
    pub delay_ms: u64,
    /// Most spans waiting; more are dropped, and the drop is logged (`OTEL_BSP_MAX_QUEUE_SIZE`).
    pub max_queue: usize,
    /// Most spans in one request (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`).
    pub max_batch: usize,
    /// Longest one request may take, in milliseconds (`OTEL_EXPORTER_OTLP_TIMEOUT`).
    pub timeout_ms: u64,
}

impl Default for Batch {
    /// The specification's defaults.
    fn default() -> Batch {
        Batch { delay_ms: 5_000, max_queue: 2_048, max_batch: 512, timeout_ms: 10_000 }
    }
}

/// Where ended spans go.
pub(crate) trait Sink: Send + Sync {
    fn send(&self, spans: Vec<Finished>);

    /// Asks for what was sent to go out now; the answer comes when it went (or could not).
    fn flush(&self) -> Option<oneshot::Receiver<()>>;
}

/// Spans are kept per execution in this many maps, each behind its own lock, so executions rarely wait for each other.
const SHARDS: usize = 16;

/// The open spans of every running execution, and where ended ones go.
pub(crate) struct Traces {
    shards: Vec<Mutex<HashMap<String, Tracker>>>,
    hasher: RandomState,
    sink: Box<dyn Sink>,
}

impl Traces {
    /// Traces exported as `config` says, from node `node` (the `service.instance.id` resource attribute). Starts the
    /// exporter's task: call on the async runtime.
    pub(crate) fn start(config: &Otlp, node: &str) -> Result<Traces, String> {
        #[cfg(feature = "otlp")]
        {
            otlp::Exporter::start(config, node).map(|exporter| Traces::to(Box::new(exporter)))
        }
        #[cfg(not(feature = "otlp"))]
        {
            let _ = node;
            Err(format!("this Baton was built without the `otlp` feature: it cannot export traces to {}", config.endpoint))
        }
    }

    /// Traces whose ended spans go to `sink`.
    #[cfg(any(test, feature = "otlp"))]
    pub(crate) fn to(sink: Box<dyn Sink>) -> Traces {
        Traces { shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(), hasher: RandomState::new(), sink }
    }

    /// Reads a committed batch of an execution's events, and exports the spans they end.
    pub(crate) fn observe(&self, execution: &store::Execution, events: &[HistoryEvent]) {
        let spans = self.read(execution, events);
        if !spans.is_empty() {
            self.sink.send(spans);
        }
    }

    /// Reads events replayed while an execution is rebuilt (after a restart, or when it is taken up again), to open
    /// the spans they open, without exporting what they end: that was exported when they were committed. The first
    /// of them forgets what was kept of the execution (`forget`).
    pub(crate) fn prime(&self, execution: &store::Execution, events: &[HistoryEvent]) {
        drop(self.read(execution, events));
    }

    /// Forgets the open spans of an execution (it is no longer run here, or is about to be replayed).
    pub(crate) fn forget(&self, arn: &str) {
        super::lock(self.shard(arn)).remove(arn);
    }

    /// Forgets every execution's open spans (`Service::reset`: the executions are gone).
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            super::lock(shard).clear();
        }
    }

    /// Sends the ended spans now, and waits until they went (or for `within` at most).
    pub(crate) async fn flush(&self, within: std::time::Duration) {
        if let Some(done) = self.sink.flush() {
            let _ = tokio::time::timeout(within, done).await;
        }
    }

    fn shard(&self, arn: &str) -> &Mutex<HashMap<String, Tracker>> {
        let index = usize::try_from(self.hasher.hash_one(arn) % SHARDS as u64).unwrap_or(0);
        // `index < SHARDS`, the number of shards.
        &self.shards[index]
    }

    /// Feeds `events` to the execution's tracker (opened by a run's first event, or on the first event seen of a run
    /// that began before: a restart without the replay, which keeps the ids but not the spans open then).
    fn read(&self, record: &store::Execution, events: &[HistoryEvent]) -> Vec<Finished> {
        let mut spans = Vec::new();
        let mut shard = super::lock(self.shard(&record.arn));
        for event in events {
            let opening = match &event.details {
                EventDetails::ExecutionStarted { .. } => Some(Opening { record, redrive_count: 0, start: event.timestamp }),
                EventDetails::ExecutionRedriven { redrive_count } => Some(Opening { record, redrive_count: *redrive_count, start: event.timestamp }),
                _ => None,
            };
            let tracker = match opening {
                Some(opening) => {
                    shard.insert(record.arn.clone(), Tracker::new(&opening));
                    shard.get_mut(&record.arn)
                }
                None => Some(shard.entry(record.arn.clone()).or_insert_with(|| {
                    let start = record.redrive_date.unwrap_or(record.start);
                    Tracker::new(&Opening { record, redrive_count: record.redrive_count, start })
                })),
            };
            if tracker.is_some_and(|tracker| tracker.apply(event, &mut spans)) {
                shard.remove(&record.arn);
            }
        }
        spans
    }
}

/// The trace a task's request continues: with traces on, the execution's trace from the task's span (the span of
/// the event that scheduled it); with traces off, the `traceHeader` the execution was started with, passed on as it
/// came (its parent span, else the execution's derived one); else none.
pub(crate) fn task_trace(traces: Option<&Traces>, record: &store::Execution, scheduled_event: Option<u64>) -> Option<Trace> {
    if traces.is_some() {
        let context = ids::Context::of(&record.arn, record.trace_header.as_deref());
        return Some(ids::task_trace(&context, &record.arn, record.redrive_count, scheduled_event));
    }
    let context = ids::parse(record.trace_header.as_deref()?)?;
    let span_id = context.remote_parent.unwrap_or_else(|| ids::execution_span(&record.arn, record.redrive_count));
    Some(Trace { trace_id: context.trace_id, span_id, sampled: context.sampled })
}
