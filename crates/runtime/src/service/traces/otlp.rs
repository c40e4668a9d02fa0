//! The OTLP/HTTP exporter: ended spans wait in a bounded queue, and a task of the service sends them in batches
//! (at most `Batch::max_batch` a request, at least every `Batch::delay_ms`) as `opentelemetry-otlp`'s `SpanData`,
//! protobuf or JSON, over reqwest. A full queue drops spans (and says so in the log) rather than hold up executions;
//! a failed request is logged and its spans dropped.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter, SpanLinks};
use tokio::sync::{Notify, mpsc, oneshot};

use super::spans::{Attribute, Finished, Kind};
use super::{Otlp, OtlpProtocol, Sink};

/// The queue the service's threads fill and the export task empties.
struct Queue {
    waiting: Mutex<Waiting>,
    /// Told when a batch is full.
    full: Notify,
    max_queue: usize,
    max_batch: usize,
}

#[derive(Default)]
struct Waiting {
    spans: Vec<Finished>,
    /// Spans dropped since the last report.
    dropped: u64,
}

/// The handle the service keeps.
pub(super) struct Exporter {
    queue: Arc<Queue>,
    flushes: mpsc::UnboundedSender<oneshot::Sender<()>>,
}

impl Exporter {
    /// Builds the OTLP exporter and starts the task that sends what is queued.
    pub(super) fn start(config: &Otlp, node: &str) -> Result<Exporter, String> {
        let timeout = Duration::from_millis(config.batch.timeout_ms.max(1));
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|error| format!("cannot make the OTLP HTTP client: {error}"))?;
        let protocol = match config.protocol {
            OtlpProtocol::Protobuf => Protocol::HttpBinary,
            OtlpProtocol::Json => Protocol::HttpJson,
        };
        let mut exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(client)
            .with_endpoint(config.endpoint.clone())
            .with_protocol(protocol)
            .with_timeout(timeout)
            .build()
            .map_err(|error| format!("cannot export traces to {}: {error}", config.endpoint))?;
        let resource = Resource::builder()
            .with_service_name(config.service_name.clone())
            .with_attribute(KeyValue::new("service.instance.id", node.to_owned()))
            .build();
        exporter.set_resource(&resource);
        let queue = Arc::new(Queue {
            waiting: Mutex::new(Waiting::default()),
            full: Notify::new(),
            max_queue: config.batch.max_queue.max(1),
            max_batch: config.batch.max_batch.max(1),
        });
        let (flushes, requests) = mpsc::unbounded_channel();
        let delay = Duration::from_millis(config.batch.delay_ms.max(1));
        tokio::spawn(run(exporter, queue.clone(), requests, delay, config.endpoint.clone()));
        Ok(Exporter { queue, flushes })
    }
}

impl Sink for Exporter {
    fn send(&self, spans: Vec<Finished>) {
        let full = {
            let mut waiting = super::super::lock(&self.queue.waiting);
            let room = self.queue.max_queue.saturating_sub(waiting.spans.len());
            let dropped = spans.len().saturating_sub(room);
            waiting.dropped += dropped as u64;
            waiting.spans.extend(spans.into_iter().take(room));
            waiting.spans.len() >= self.queue.max_batch
        };
        if full {
            self.queue.full.notify_one();
        }
    }

    fn flush(&self) -> Option<oneshot::Receiver<()>> {
        let (done, receiver) = oneshot::channel();
        self.flushes.send(done).ok()?;
        Some(receiver)
    }
}

/// Sends what is queued whenever a batch is full, the delay has passed, or a flush asks; ends when the service's
/// handle is dropped.
async fn run(
    exporter: opentelemetry_otlp::SpanExporter,
    queue: Arc<Queue>,
    mut flushes: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
    delay: Duration,
    endpoint: String,
) {
    let scope = InstrumentationScope::builder("baton").build();
    let mut failing = false;
    loop {
        let mut asked = Vec::new();
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = queue.full.notified() => {}
            flush = flushes.recv() => match flush {
                Some(flush) => asked.push(flush),
                None => return,
            },
        }
        loop {
            let (batch, dropped) = {
                let mut waiting = super::super::lock(&queue.waiting);
                let take = waiting.spans.len().min(queue.max_batch);
                let batch: Vec<Finished> = waiting.spans.drain(..take).collect();
                (batch, std::mem::take(&mut waiting.dropped))
            };
            if dropped > 0 {
                tracing::warn!(dropped, "trace spans dropped: more ended than the export queue holds (OTEL_BSP_MAX_QUEUE_SIZE)");
            }
            if batch.is_empty() {
                break;
            }
            let spans: Vec<SpanData> = batch.into_iter().map(|span| span_data(span, &scope)).collect();
            let count = spans.len();
            match exporter.export(spans).await {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!(%endpoint, "trace spans are exported again");
                }
                Ok(()) => {}
                Err(error) => {
                    failing = true;
                    tracing::warn!(%endpoint, %error, count, "cannot export trace spans; they are dropped");
                }
            }
        }
        for flush in asked {
            let _ = flush.send(());
        }
    }
}

/// A finished span as the exporter takes it.
fn span_data(span: Finished, scope: &InstrumentationScope) -> SpanData {
    let trace_id = TraceId::from_bytes(span.trace_id);
    let context = |span_id: [u8; 8]| SpanContext::new(trace_id, SpanId::from_bytes(span_id), TraceFlags::SAMPLED, false, TraceState::default());
    let mut links = SpanLinks::default();
    links.links = span.links.iter().map(|linked| Link::with_context(context(*linked))).collect();
    SpanData {
        span_context: context(span.span_id),
        parent_span_id: span.parent.map_or(SpanId::INVALID, SpanId::from_bytes),
        parent_span_is_remote: span.parent_remote,
        span_kind: match span.kind {
            Kind::Internal => SpanKind::Internal,
            Kind::Client => SpanKind::Client,
        },
        name: span.name.into(),
        start_time: time(span.start),
        end_time: time(span.end),
        attributes: span
            .attributes
            .into_iter()
            .map(|(key, value)| match value {
                Attribute::Text(text) => KeyValue::new(key, text),
                Attribute::Int(number) => KeyValue::new(key, number),
            })
            .collect(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links,
        status: span.error.map_or(Status::Unset, Status::error),
        instrumentation_scope: scope.clone(),
    }
}

/// Milliseconds since the epoch as a time (before the epoch is the epoch).
fn time(milliseconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(milliseconds).unwrap_or(0))
}
