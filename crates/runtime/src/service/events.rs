//! Status-change events: each change of a Standard execution's status (RUNNING when it starts and again when it is
//! redriven, then SUCCEEDED, FAILED, TIMED_OUT or ABORTED) as the "Step Functions Execution Status Change" event AWS
//! sends to EventBridge, delivered at least once to the destinations the server was started with (`Config::events`,
//! `baton serve --events-url`).
//!
//! **The outbox.** The events are written to the store's outbox in the same transaction as the step that changes the
//! status (`Outbox::stage` fills `Append::outbox` before the step goes to the store: StartExecution's first step, the
//! actor's step with an ending, a redrive's first step, recovery's failing of an execution it cannot resume), so an
//! event exists exactly when its change does, whatever crashes after. `deliver`, a background task, takes the due
//! messages (`Store::outbox_due`), POSTs each to its destination, deletes it on a 2xx answer and otherwise tries it
//! again later, 1 s after the first failure and twice as long after each next one, up to `Events::max_backoff_ms`
//! (`Store::outbox_settle`). One execution's events to one destination go out one at a time, in order; on a shared
//! store each node claims what it sends, and what a dead node claimed is sent once its claim ends.
//!
//! An event's `id` is derived from the execution, its redrive count and the status, so a delivery repeated after a
//! crash carries the id of the first, for consumers to drop. Without destinations there is no outbox: nothing is
//! staged, written or delivered, and a step costs what it did.
//!
//! Not sent, as on AWS: events of Express executions. Not sent yet: events of a distributed Map's child executions
//! (AWS sends them for Standard children; their records are written with the parent's steps, `ChildStep`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::json;
use store::{Append, Store};

use super::{Inner, now};

/// The event's `detail-type`.
pub const DETAIL_TYPE: &str = "Step Functions Execution Status Change";
/// Most bytes of escaped input and output an event carries, as EventBridge's quota makes AWS keep them under: an
/// output past it is left out, and so is the input when both together are past it (`inputDetails`/`outputDetails`
/// then say `"included": false`).
const PAYLOAD_LIMIT: usize = 248 * 1024;
/// Most messages one round of delivery hands out.
const ROUND: usize = 256;
/// How long one try may take, connecting and answering.
const TRY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a round's claim lasts on a shared store: past every try of the round.
const CLAIM_MS: i64 = 60_000;
/// How often the outbox is looked at when no step woke the delivery: failed messages come due, other nodes write some.
const POLL: Duration = Duration::from_millis(500);
/// The wait after a first failed try; each next failure doubles it, up to `Events::max_backoff_ms`.
const FIRST_BACKOFF_MS: u64 = 1_000;

/// Where status-change events go (`Config::events`).
#[derive(Debug, Clone, Default)]
pub struct Events {
    /// Webhook URLs: each gets every event, POSTed as JSON (`Content-Type: application/json`). They are the
    /// operator's, so the egress policy of HTTP Tasks does not apply to them.
    pub urls: Vec<String>,
    /// EventBridge event buses (names or ARNs): each gets every event through `events:PutEvents` with the AWS
    /// configuration Tasks use, its `detail-type` and `detail` as AWS's, its source `source`.
    pub buses: Vec<String>,
    /// The `Source` of the events put on `buses`. EventBridge keeps sources that begin with `aws.` for AWS's own
    /// services (PutEvents refuses them), so `DEFAULT_SOURCE` by default; `aws.states` for an emulator.
    pub source: String,
    /// The longest wait between two tries of an event, in milliseconds (`DEFAULT_MAX_BACKOFF_MS` by default).
    pub max_backoff_ms: u64,
}

/// The `Source` of the events put on EventBridge buses by default (`Events::source`).
pub const DEFAULT_SOURCE: &str = "baton.states";

/// How a destination that is an EventBridge bus is written in the outbox: this prefix, then the bus.
const BUS: &str = "eventbridge:";

/// The longest wait between two tries of an event by default, in milliseconds.
pub const DEFAULT_MAX_BACKOFF_MS: u64 = 60_000;

/// The events a server sends: its destinations, and what wakes its delivery. `None` in `Inner` without destinations.
pub(crate) struct Outbox {
    destinations: Vec<String>,
    max_backoff_ms: u64,
    /// The `Source` of the events put on EventBridge buses.
    source: String,
    /// Poked once a step that wrote events is committed.
    wake: tokio::sync::Notify,
}

impl Outbox {
    /// The outbox of `events`, or `None` when they name no destination.
    pub(crate) fn new(events: &Events) -> Option<Arc<Outbox>> {
        if events.urls.is_empty() && events.buses.is_empty() {
            return None;
        }
        let mut destinations = events.urls.clone();
        destinations.extend(events.buses.iter().map(|bus| format!("{BUS}{bus}")));
        destinations.sort();
        destinations.dedup();
        let source = if events.source.is_empty() { DEFAULT_SOURCE.to_owned() } else { events.source.clone() };
        let wake = tokio::sync::Notify::new();
        Some(Arc::new(Outbox { destinations, max_backoff_ms: events.max_backoff_ms, source, wake }))
    }

    /// Adds to `append` the events of the status changes it commits for `record`, the execution as it runs (status
    /// RUNNING, its latest redrive counted): RUNNING when `started` (the step starts or redrives it), and its ending
    /// if the step has one.
    pub(crate) fn stage(&self, record: &store::Execution, append: &mut Append, started: bool) {
        if started {
            let body = event(record, &Change { status: store::Status::Running, stop: None, output: None, error: None, cause: None });
            self.push(record, append, &body);
        }
        if let Some(ending) = &append.ending {
            let change = Change {
                status: ending.status,
                stop: Some(ending.stop),
                output: ending.output.as_deref(),
                error: ending.error.as_deref(),
                cause: ending.cause.as_deref(),
            };
            let body = event(record, &change);
            self.push(record, append, &body);
        }
    }

    fn push(&self, record: &store::Execution, append: &mut Append, body: &str) {
        for destination in &self.destinations {
            append.outbox.push(store::Outgoing {
                destination: destination.clone(),
                execution_arn: record.arn.clone(),
                body: body.to_owned(),
            });
        }
    }

    /// The observer's part (`observe::committed`): once a batch that changed a Standard execution's status is
    /// committed, its events are in the outbox, and the delivery is woken.
    pub(crate) fn committed(&self, batch: &super::observe::Committed<'_>) {
        if batch.execution.kind == store::Kind::Standard && batch.events.iter().any(|event| changes_status(&event.details)) {
            self.wake.notify_one();
        }
    }

    /// How long to wait before trying a message again whose tries failed `attempts` times.
    fn backoff_ms(&self, attempts: u32) -> i64 {
        let doubled = FIRST_BACKOFF_MS.saturating_mul(1u64.checked_shl(attempts.saturating_sub(1)).unwrap_or(u64::MAX));
        i64::try_from(doubled.min(self.max_backoff_ms)).unwrap_or(i64::MAX)
    }
}


fn changes_status(details: &engine::EventDetails) -> bool {
    use engine::EventDetails::{
        ExecutionAborted, ExecutionFailed, ExecutionRedriven, ExecutionStarted, ExecutionSucceeded, ExecutionTimedOut,
    };
    matches!(
        details,
        ExecutionStarted { .. }
            | ExecutionSucceeded { .. }
            | ExecutionFailed(_)
            | ExecutionTimedOut(_)
            | ExecutionAborted(_)
            | ExecutionRedriven { .. }
    )
}

/// What a status change leaves of the execution: its new status, and when it ended and how.
struct Change<'a> {
    status: store::Status,
    stop: Option<i64>,
    output: Option<&'a str>,
    error: Option<&'a str>,
    cause: Option<&'a str>,
}

/// The EventBridge event (JSON text) of `change` to `record`.
fn event(record: &store::Execution, change: &Change<'_>) -> String {
    let status = status_name(change.status);
    let mut parts = record.arn.split(':');
    let (region, account) = (parts.nth(3).unwrap_or_default(), parts.next().unwrap_or_default());
    // When the status changed: the start (or the last redrive) for RUNNING, the stop for an ending.
    let time = change.stop.unwrap_or_else(|| record.redrive_date.unwrap_or(record.start));
    let (redrive_status, redrive_status_reason) = match change.status {
        store::Status::Running => ("NOT_REDRIVABLE", Some("Execution is RUNNING and cannot be redriven")),
        store::Status::Succeeded => ("NOT_REDRIVABLE", Some("Execution is SUCCEEDED and cannot be redriven")),
        store::Status::Failed | store::Status::TimedOut | store::Status::Aborted => ("REDRIVABLE", None),
    };
    let (input, output) = payloads(&record.input, change.output);
    let detail = json!({
        "executionArn": record.arn,
        "stateMachineArn": record.state_machine_arn,
        "name": record.name,
        "status": status,
        "startDate": record.start,
        "stopDate": change.stop,
        "input": input,
        "inputDetails": {"included": input.is_some()},
        "output": output,
        "outputDetails": change.output.map(|_| json!({"included": output.is_some()})),
        "redriveCount": record.redrive_count,
        "redriveDate": record.redrive_date,
        "redriveStatus": redrive_status,
        "redriveStatusReason": redrive_status_reason,
        "error": change.error,
        "cause": change.cause,
    });
    json!({
        "version": "0",
        "id": event_id(&record.arn, record.redrive_count, status),
        "detail-type": DETAIL_TYPE,
        "source": "aws.states",
        "account": account,
        "time": iso_seconds(time),
        "region": region,
        "resources": [record.arn],
        "detail": detail,
    })
    .to_string()
}

/// The input and output an event carries: the output unless it is too large escaped, and the input unless it is too
/// large together with the output carried (`PAYLOAD_LIMIT`).
fn payloads<'a>(input: &'a str, output: Option<&'a str>) -> (Option<&'a str>, Option<&'a str>) {
    let escaped = |text: &str| serde_json::to_string(text).map_or(usize::MAX, |quoted| quoted.len().saturating_sub(2));
    let output = output.filter(|output| escaped(output) <= PAYLOAD_LIMIT);
    let output_size = output.map_or(0, escaped);
    let input = Some(input).filter(|input| escaped(input).saturating_add(output_size) <= PAYLOAD_LIMIT);
    (input, output)
}

/// `RUNNING`, `SUCCEEDED`, … as the API names them.
fn status_name(status: store::Status) -> &'static str {
    match status {
        store::Status::Running => "RUNNING",
        store::Status::Succeeded => "SUCCEEDED",
        store::Status::Failed => "FAILED",
        store::Status::TimedOut => "TIMED_OUT",
        store::Status::Aborted => "ABORTED",
    }
}

/// The event id of status `status` of execution `arn` after `redrive_count` redrives, in UUID form: the same for
/// every delivery of the event, different for every other event.
fn event_id(arn: &str, redrive_count: u32, status: &str) -> String {
    let key = format!("{arn}\n{redrive_count}\n{status}");
    let fnv = |basis: u64| {
        key.bytes().fold(basis, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3))
    };
    super::names::uuid_from(fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142))
}

/// Milliseconds since the epoch as ISO 8601 in UTC, to the second (`2019-02-26T19:42:21Z`).
fn iso_seconds(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    jiff::Timestamp::from_second(seconds).map_or_else(|_| String::new(), |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The `events:PutEvents` entry of an event (the JSON of `event`) for `bus`: AWS's `detail-type`, `detail` and
/// `resources`, from `source`. Its time is when EventBridge receives it.
fn put_events_request(bus: &str, source: &str, body: &str) -> Result<serde_json::Value, String> {
    let event: serde_json::Value = serde_json::from_str(body).map_err(|error| format!("the stored event is not JSON: {error}"))?;
    let entry = json!({
        "EventBusName": bus,
        "Source": source,
        "DetailType": event["detail-type"],
        "Detail": event["detail"].to_string(),
        "Resources": event["resources"],
    });
    Ok(json!({"Entries": [entry]}))
}

/// Puts one event on an EventBridge bus; `Ok(200)` when EventBridge took it (as a webhook's 2xx), else why not.
async fn put_event(aws: &integrations::aws::Aws, bus: &str, source: &str, body: &str) -> Result<u16, String> {
    const RESOURCE: &str = "arn:aws:states:::aws-sdk:eventbridge:putEvents";
    let request = put_events_request(bus, source, body)?;
    let target = integrations::aws::target::Target::of(RESOURCE).ok_or_else(|| format!("no call named {RESOURCE}"))?;
    let caller = integrations::Caller { execution_arn: "", state: "status-change events", role_arn: None, trace: None };
    let call = aws.call(RESOURCE, &target, &request, "", caller);
    let answer = tokio::time::timeout(TRY_TIMEOUT, call).await.map_err(|_| format!("PutEvents took more than {TRY_TIMEOUT:?}"))?;
    let answer = answer.map_err(|error| format!("{}: {}", error.error, error.cause.unwrap_or_default()))?;
    match answer["FailedEntryCount"].as_u64() {
        Some(0) | None => Ok(200),
        Some(_) => {
            let entry = &answer["Entries"][0];
            Err(format!("EventBridge refused the event: {} {}", entry["ErrorCode"].as_str().unwrap_or_default(), entry["ErrorMessage"].as_str().unwrap_or_default()))
        }
    }
}

/// Delivers the outbox's messages until the service is dropped (or `Service::shutdown` aborts it): takes what is due,
/// POSTs each message, deletes the delivered ones and schedules the others' next try, then does it again, waiting
/// for a step to write more (or `POLL`) when nothing was due.
pub(crate) async fn deliver(inner: Weak<Inner>, outbox: Arc<Outbox>) {
    // The destinations whose last try failed: a warning when one fails, not at every try while it stays down.
    let mut down: BTreeSet<String> = BTreeSet::new();
    loop {
        let Some(strong) = inner.upgrade() else { return };
        let asked = now();
        let due = strong.store.outbox_due(&outbox.destinations, asked, asked + CLAIM_MS, ROUND).await;
        let aws = strong.config.resources.aws.clone();
        drop(strong);
        let due = match due {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "cannot read the outbox of status-change events now");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        if due.is_empty() {
            tokio::select! {
                () = outbox.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
            continue;
        }
        let mut tries = tokio::task::JoinSet::new();
        for message in due {
            let aws = aws.clone();
            let source = outbox.source.clone();
            tries.spawn(async move {
                let answer = match message.destination.strip_prefix(BUS) {
                    Some(bus) => put_event(&aws, bus, &source, &message.body).await,
                    None => aws.post_json(&message.destination, message.body.clone(), TRY_TIMEOUT).await,
                };
                (message, answer)
            });
        }
        let (mut delivered, mut failed) = (Vec::new(), Vec::new());
        // Per destination: how many tries failed this round, and why the last did.
        let mut failures: BTreeMap<String, (usize, String)> = BTreeMap::new();
        while let Some(joined) = tries.join_next().await {
            let Ok((message, answer)) = joined else { continue };
            let why = match answer {
                Ok(status) if (200..300).contains(&status) => {
                    delivered.push(message.id);
                    if !failures.contains_key(&message.destination) && down.remove(&message.destination) {
                        tracing::info!(destination = %message.destination, "delivering status-change events again");
                    }
                    continue;
                }
                Ok(status) => format!("it answered HTTP {status}"),
                Err(error) => error,
            };
            let attempts = message.attempts.saturating_add(1);
            failed.push((message.id, now().saturating_add(outbox.backoff_ms(attempts))));
            let entry = failures.entry(message.destination).or_default();
            entry.0 += 1;
            entry.1 = why;
        }
        for (destination, (count, why)) in failures {
            if down.insert(destination.clone()) {
                tracing::warn!(%destination, count, "cannot deliver status-change events ({why}); they are kept and tried again later");
            } else {
                tracing::debug!(%destination, count, "cannot deliver status-change events yet ({why})");
            }
        }
        let Some(strong) = inner.upgrade() else { return };
        if let Err(error) = strong.store.outbox_settle(delivered, failed).await {
            // What was delivered stays in the outbox and goes out again: at least once.
            tracing::warn!(%error, "cannot record which status-change events were delivered; they may be sent again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Change, Events, Outbox, event, event_id, iso_seconds, payloads};
    use serde_json::{Value, json};

    fn record() -> store::Execution {
        crate::service::testing::execution()
    }

    fn parsed(record: &store::Execution, change: &Change<'_>) -> Value {
        serde_json::from_str(&event(record, change)).expect("an event is JSON")
    }

    #[test]
    fn a_start_and_a_failure_in_eventbridges_shape() {
        let running = parsed(&record(), &Change { status: store::Status::Running, stop: None, output: None, error: None, cause: None });
        let arn = "arn:aws:states:eu-west-1:111122223333:execution:Orders:o-1";
        assert_eq!(
            running,
            json!({
                "version": "0",
                "id": event_id(arn, 0, "RUNNING"),
                "detail-type": "Step Functions Execution Status Change",
                "source": "aws.states",
                "account": "111122223333",
                "time": "2019-02-26T23:54:31Z",
                "region": "eu-west-1",
                "resources": [arn],
                "detail": {
                    "executionArn": arn,
                    "stateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:Orders",
                    "name": "o-1",
                    "status": "RUNNING",
                    "startDate": 1_551_225_271_984_i64,
                    "stopDate": null,
                    "input": "{\"order\":7}",
                    "inputDetails": {"included": true},
                    "output": null,
                    "outputDetails": null,
                    "redriveCount": 0,
                    "redriveDate": null,
                    "redriveStatus": "NOT_REDRIVABLE",
                    "redriveStatusReason": "Execution is RUNNING and cannot be redriven",
                    "error": null,
                    "cause": null
                }
            })
        );
        let failed = Change { status: store::Status::Failed, stop: Some(1_551_225_272_500), output: None, error: Some("E"), cause: Some("why") };
        let failed = parsed(&record(), &failed);
        assert_eq!(failed["time"], "2019-02-26T23:54:32Z");
        assert_eq!(failed["detail"]["status"], "FAILED");
        assert_eq!(failed["detail"]["stopDate"], 1_551_225_272_500_i64);
        assert_eq!((&failed["detail"]["error"], &failed["detail"]["cause"]), (&json!("E"), &json!("why")));
        assert_eq!((&failed["detail"]["redriveStatus"], &failed["detail"]["redriveStatusReason"]), (&json!("REDRIVABLE"), &Value::Null));
        assert_eq!((&failed["detail"]["output"], &failed["detail"]["outputDetails"]), (&Value::Null, &Value::Null));
    }

    #[test]
    fn a_success_carries_its_output_and_a_redrive_its_count() {
        let mut redriven = record();
        redriven.redrive_count = 2;
        redriven.redrive_date = Some(1_551_225_300_000);
        let started = parsed(&redriven, &Change { status: store::Status::Running, stop: None, output: None, error: None, cause: None });
        assert_eq!(started["time"], "2019-02-26T23:55:00Z", "a redrive's RUNNING is dated by the redrive");
        assert_eq!((&started["detail"]["redriveCount"], &started["detail"]["redriveDate"]), (&json!(2), &json!(1_551_225_300_000_i64)));
        let done = Change { status: store::Status::Succeeded, stop: Some(1_551_225_301_000), output: Some("\"ok\""), error: None, cause: None };
        let done = parsed(&redriven, &done);
        assert_eq!(done["detail"]["output"], "\"ok\"");
        assert_eq!(done["detail"]["outputDetails"], json!({"included": true}));
        assert_eq!(done["detail"]["redriveStatusReason"], "Execution is SUCCEEDED and cannot be redriven");
        assert_ne!(started["id"], done["id"]);
    }

    #[test]
    fn ids_are_stable_per_change_and_differ_between_changes() {
        let arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
        assert_eq!(event_id(arn, 0, "RUNNING"), event_id(arn, 0, "RUNNING"));
        let all = [event_id(arn, 0, "RUNNING"), event_id(arn, 0, "FAILED"), event_id(arn, 1, "RUNNING"), event_id(arn, 1, "FAILED"), event_id("other", 0, "RUNNING")];
        for (i, a) in all.iter().enumerate() {
            assert_eq!(a.len(), 36, "{a}");
            assert!(all.iter().skip(i + 1).all(|b| a != b), "{all:?}");
        }
    }

    #[test]
    fn large_payloads_are_left_out_as_aws_leaves_them_out() {
        let big = "x".repeat(200 * 1024);
        assert_eq!(payloads("{}", Some("1")), (Some("{}"), Some("1")));
        // Together past the limit: the input goes.
        assert_eq!(payloads(&big, Some(&big)), (None, Some(big.as_str())));
        // The output alone past it: both go (the input alone would fit).
        let huge = "y".repeat(249 * 1024);
        assert_eq!(payloads(&big, Some(&huge)), (Some(big.as_str()), None));
        // Escaping counts: 130 Ki quotes are 260 KiB escaped.
        let quotes = "\"".repeat(130 * 1024);
        assert_eq!(payloads(&quotes, None), (None, None));
    }

    #[test]
    fn tries_back_off_from_a_second_to_the_cap() {
        let events = Events { urls: vec!["http://a/".to_owned()], max_backoff_ms: 60_000, ..Events::default() };
        let outbox = Outbox::new(&events).expect("a destination");
        let waits: Vec<i64> = (1..=9).map(|attempts| outbox.backoff_ms(attempts)).collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
        assert_eq!(outbox.backoff_ms(u32::MAX), 60_000);
        assert!(Outbox::new(&Events::default()).is_none(), "no destination, no outbox");
    }

    #[test]
    fn times_are_iso_8601_seconds_in_utc() {
        assert_eq!(iso_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_seconds(1_551_210_141_999), "2019-02-26T19:42:21Z");
    }

    #[test]
    fn an_eventbridge_bus_gets_awss_detail_type_and_detail_from_batons_source() {
        let record = record();
        let body = event(&record, &Change { status: store::Status::Running, stop: None, output: None, error: None, cause: None });
        let request = super::put_events_request("orders-bus", super::DEFAULT_SOURCE, &body).expect("a request");
        let entry = &request["Entries"][0];
        assert_eq!(entry["EventBusName"], "orders-bus");
        assert_eq!(entry["Source"], "baton.states");
        assert_eq!(entry["DetailType"], super::DETAIL_TYPE);
        assert_eq!(entry["Resources"], json!([record.arn]));
        let detail: Value = serde_json::from_str(entry["Detail"].as_str().expect("detail as text")).expect("detail is JSON");
        assert_eq!(detail, parsed(&record, &Change { status: store::Status::Running, stop: None, output: None, error: None, cause: None })["detail"]);
        // Buses are destinations beside the URLs, each named once.
        let events = Events { buses: vec!["orders-bus".to_owned(), "orders-bus".to_owned()], ..Events::default() };
        let outbox = Outbox::new(&events).expect("a destination");
        assert_eq!(outbox.destinations, ["eventbridge:orders-bus"]);
        assert_eq!(outbox.source, super::DEFAULT_SOURCE);
    }
}
