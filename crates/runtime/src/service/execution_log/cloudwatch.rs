//! Execution log records sent to CloudWatch Logs (unless `--no-execution-log-to-cloudwatch`): the log group a machine's
//! `loggingConfiguration` names, through the AWS integration layer (`integrations::aws`, so the standard AWS
//! configuration and endpoint overrides decide where the calls go and as whom), as `logs:CreateLogStream` once per
//! stream and `logs:PutLogEvents`.
//!
//! A stream per machine and server start, named as Step Functions names its streams,
//! `states/<machine>/<YYYY-MM-DD-HH-MM>/<8 hex digits>` (the server's start in UTC, and a part of its node id).
//! Records are sent in batches of what the writer handed over together, at most 10,000 events and about 1 MB a call
//! (CloudWatch Logs' limits), in time order within a call. Best effort, as AWS's own delivery: a call that fails is
//! logged as a warning and its records are lost; a stream that could not be created is tried again next time.

use std::collections::{BTreeMap, HashSet};

use integrations::Caller;
use integrations::aws::Aws;
use integrations::aws::target::Target;
use serde_json::{Value, json};

/// How many deliveries may wait for the sender before more are dropped.
const QUEUE: usize = 1024;

/// CloudWatch Logs' limits on one PutLogEvents: events, and bytes (each event counts 26 more than its message).
const MAX_EVENTS: usize = 10_000;
const MAX_BYTES: usize = 1_048_576;

/// One record for CloudWatch Logs.
pub(super) struct Delivery {
    /// The log group's ARN as the configuration gives it (`…:log-group:<name>:*`).
    pub(super) group_arn: String,
    /// The state machine's ARN.
    pub(super) machine_arn: String,
    /// The event's time, in milliseconds since the epoch.
    pub(super) timestamp: i64,
    pub(super) message: String,
}

/// Starts the task that sends deliveries; returns where to hand them.
pub(super) fn start(runtime: &tokio::runtime::Handle, aws: Aws, started: &str) -> tokio::sync::mpsc::Sender<Vec<Delivery>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(QUEUE);
    runtime.spawn(send_loop(receiver, aws, started.to_owned()));
    sender
}

/// The log group name of a log group ARN (`arn:aws:logs:<region>:<account>:log-group:<name>:*`).
pub(super) fn group_name(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":log-group:")?;
    let name = rest.strip_suffix(":*").unwrap_or(rest);
    (!name.is_empty()).then_some(name)
}

/// The stream of a machine's records: `states/<machine name>/<started>`.
pub(super) fn stream_name(machine_arn: &str, started: &str) -> String {
    let name = machine_arn.rsplit_once(":stateMachine:").map_or(machine_arn, |(_, name)| name);
    format!("states/{name}/{started}")
}

async fn send_loop(mut receiver: tokio::sync::mpsc::Receiver<Vec<Delivery>>, aws: Aws, started: String) {
    let mut created: HashSet<(String, String)> = HashSet::new();
    // The groups whose last call failed: warned about once, until a call to them works again.
    let mut failing: HashSet<String> = HashSet::new();
    while let Some(first) = receiver.recv().await {
        let mut deliveries = first;
        while let Ok(more) = receiver.try_recv() {
            deliveries.extend(more);
        }
        // By group and stream, each in time order (stable: a batch's events keep their order).
        let mut streams: BTreeMap<(String, String), Vec<Delivery>> = BTreeMap::new();
        for delivery in deliveries {
            let Some(group) = group_name(&delivery.group_arn) else { continue };
            let key = (group.to_owned(), stream_name(&delivery.machine_arn, &started));
            streams.entry(key).or_default().push(delivery);
        }
        for ((group, stream), mut records) in streams {
            records.sort_by_key(|record| record.timestamp);
            let key = (group, stream);
            if !created.contains(&key) {
                if let Err(why) = create_stream(&aws, &key.0, &key.1).await {
                    warn_once(&mut failing, &key.0, &key.1, records.len(), &why);
                    continue;
                }
                created.insert(key.clone());
            }
            for chunk in chunks(&records) {
                match put(&aws, &key.0, &key.1, chunk).await {
                    Ok(()) => {
                        if failing.remove(&key.0) {
                            tracing::info!(log_group = key.0, "sending execution log records to CloudWatch Logs again");
                        }
                    }
                    Err(why) => warn_once(&mut failing, &key.0, &key.1, chunk.len(), &why),
                }
            }
        }
    }
}

/// Splits records into calls within CloudWatch Logs' limits.
fn chunks(records: &[Delivery]) -> Vec<&[Delivery]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (at, record) in records.iter().enumerate() {
        let size = record.message.len() + 26;
        if at > start && (at - start == MAX_EVENTS || bytes + size > MAX_BYTES) {
            chunks.extend(records.get(start..at));
            (start, bytes) = (at, 0);
        }
        bytes += size;
    }
    if start < records.len() {
        chunks.extend(records.get(start..));
    }
    chunks
}

fn caller() -> Caller<'static> {
    Caller { execution_arn: "", state: "execution log", role_arn: None, trace: None }
}

async fn call(aws: &Aws, action: &str, parameters: &Value) -> Result<Value, integrations::TaskError> {
    let resource = format!("arn:aws:states:::aws-sdk:cloudwatchlogs:{action}");
    let Some(target) = Target::of(&resource) else {
        return Err(integrations::TaskError::new("States.Runtime", format!("no call named {resource}")));
    };
    aws.call(&resource, &target, parameters, "", caller()).await
}

/// Creates the stream (one that exists already is fine), or says why it could not.
async fn create_stream(aws: &Aws, group: &str, stream: &str) -> Result<(), String> {
    match call(aws, "createLogStream", &json!({"LogGroupName": group, "LogStreamName": stream})).await {
        Ok(_) => Ok(()),
        Err(error) if error.error.ends_with("ResourceAlreadyExistsException") => Ok(()),
        Err(error) => Err(format!("cannot create the stream: {}: {}", error.error, error.cause.unwrap_or_default())),
    }
}

async fn put(aws: &Aws, group: &str, stream: &str, records: &[Delivery]) -> Result<(), String> {
    let events: Vec<Value> = records.iter().map(|record| json!({"Timestamp": record.timestamp, "Message": record.message})).collect();
    let parameters = json!({"LogGroupName": group, "LogStreamName": stream, "LogEvents": events});
    call(aws, "putLogEvents", &parameters).await.map(|_| ()).map_err(|error| format!("{}: {}", error.error, error.cause.unwrap_or_default()))
}

/// Warns that `records` records for `group` were lost, the first time in a row its calls fail; later failures (a
/// server without AWS credentials fails every call) are logged at debug level.
fn warn_once(failing: &mut HashSet<String>, group: &str, stream: &str, records: usize, why: &str) {
    if failing.insert(group.to_owned()) {
        tracing::warn!(log_group = group, log_stream = stream, records, "cannot send execution log records to CloudWatch Logs ({why}); they are dropped, as best-effort delivery drops them (--no-execution-log-to-cloudwatch stops sending)");
    } else {
        tracing::debug!(log_group = group, log_stream = stream, records, "cannot send execution log records to CloudWatch Logs ({why})");
    }
}

#[cfg(test)]
mod tests {
    use super::{Delivery, MAX_EVENTS, chunks, group_name, stream_name};

    #[test]
    fn names_come_from_the_arns() {
        assert_eq!(group_name("arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/m:*"), Some("/aws/vendedlogs/states/m"));
        assert_eq!(group_name("arn:aws:logs:us-east-1:123456789012:log-group:plain"), Some("plain"));
        assert_eq!(group_name("arn:aws:logs:us-east-1:123456789012:log-group::*"), None);
        assert_eq!(group_name("not an arn"), None);
        assert_eq!(
            stream_name("arn:aws:states:us-east-1:123456789012:stateMachine:orders", "2024-04-24-11-50/0a1b2c3d"),
            "states/orders/2024-04-24-11-50/0a1b2c3d"
        );
    }

    #[test]
    fn calls_stay_within_cloudwatchs_limits() {
        let record = |size: usize| Delivery { group_arn: String::new(), machine_arn: String::new(), timestamp: 0, message: "x".repeat(size) };
        let many: Vec<Delivery> = (0..MAX_EVENTS + 1).map(|_| record(1)).collect();
        assert_eq!(chunks(&many).iter().map(|c| c.len()).collect::<Vec<_>>(), [MAX_EVENTS, 1]);
        let big: Vec<Delivery> = (0..5).map(|_| record(300_000)).collect();
        assert_eq!(chunks(&big).iter().map(|c| c.len()).collect::<Vec<_>>(), [3, 2]);
        assert!(chunks(&[]).is_empty());
    }
}
