//! A distributed Map's `ResultWriter`. With only a `WriterConfig`, the Map's result is shaped by its
//! `Transformation` (`COMPACT`: the children's outputs, as without a writer; `FLATTEN`: outputs that are arrays
//! spread into one; `NONE`: each child's record). With a `Resource` (S3 putObject) and its `Bucket` and `Prefix`, the
//! results are written to S3 as AWS writes them, under `<Prefix>/<Map Run id>/`: `SUCCEEDED_0.json`,
//! `FAILED_0.json` and `PENDING_0.json` (each written only when it has results; `.json` even for JSON Lines) and last
//! `manifest.json`, which lists them with their sizes; the Map's result is then
//! `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`, the key of the manifest. Results are written when the
//! Map Run ends, succeeded or failed (the failed one's `PENDING` file lists the items it never started); each file is
//! one putObject call, a task of the Map's frame without task events, like the reader's. A call that fails fails the
//! Map with `States.ResultWriterFailed`.
//!
//! A child's record (`Transformation: NONE`, and failed children always) holds `ExecutionArn`, `Input` (JSON text),
//! `InputDetails`, `Name`, `Output` (JSON text) and `OutputDetails` or `Error` and `Cause`, `RedriveCount`,
//! `RedriveStatus`, `RedriveStatusReason`, `StartDate`, `StateMachineArn`, `Status` and `StopDate`, dates as ISO 8601
//! text. Not confirmed against AWS: the shape of a `PENDING` record (`Input`, `InputDetails`, `Status`), and
//! `OutputType: JSONL` without S3 (the result stays an array).

use std::collections::VecDeque;

use serde_json::{Map as Object, Value, json};

use asl::model::{ResultWriter, State};
use asl::{Failure, errors};

use crate::execution::children::{Ended, Report, child_execution_arn};
use crate::execution::items::MapItems;
use crate::execution::redrive::Kept;
use crate::execution::{Command, Execution, Flow, Phase, TaskId, TaskRequest};
use crate::history::{ErrorDetails, EventDetails};
use crate::map_run::MapRunStatus;
use crate::time::format_timestamp;

/// The writing of a Map's results in progress: the Map waits for each putObject in turn.
pub(super) struct Writing {
    pub(super) task: TaskId,
    /// The Map Run whose results these are (its index in `Execution::map_runs`).
    map_run: Option<usize>,
    bucket: String,
    /// The files still to write, the manifest last, as (key, body).
    files: VecDeque<(String, String)>,
    /// The Map's result once everything is written.
    result: Value,
    /// The Map Run's failure, which fails the Map once its results are written.
    failure: Option<(ErrorDetails, Box<Kept>)>,
}

/// What the Map's children came to, for the writer.
pub(super) struct Outcomes {
    pub(super) map_run: Option<usize>,
    /// Each iteration's output (or error output), by index.
    pub(super) results: Vec<Value>,
    /// The iterations' inputs, by index: those not started are still there.
    pub(super) items: MapItems,
}

impl Execution {
    /// The Map's result without S3: its children's outputs as `Transformation` says.
    pub(super) fn transformed(&self, writer: Option<&ResultWriter>, outcomes: Outcomes) -> Value {
        let Some(writer) = writer else { return Value::Array(outcomes.results) };
        match writer.transformation.as_deref() {
            Some("NONE") => Value::Array(self.records(&outcomes)),
            Some("FLATTEN") => Value::Array(flatten(outcomes.results)),
            _ => Value::Array(outcomes.results),
        }
    }

    /// Starts writing the Map's results to S3; `failure` is the Map Run's, which fails the Map afterwards.
    pub(super) fn write_results(
        &mut self,
        fid: usize,
        state: &State,
        writer: &ResultWriter,
        effective: &Value,
        outcomes: Outcomes,
        failure: Option<(ErrorDetails, Box<Kept>)>,
    ) -> Flow {
        let frame = self.frame(fid);
        let target = match self.arguments(frame, state, writer.arguments.as_ref(), effective, None, "Arguments") {
            Ok(target) => target,
            Err(failure) => return self.fail_unstarted_map(fid, failure),
        };
        let Some(bucket) = target.get("Bucket").and_then(Value::as_str).map(str::to_owned) else {
            let cause = self.prefix_text(frame, state, "the ResultWriter's Bucket is not a string");
            return self.fail_unstarted_map(fid, Failure::new(errors::RESULT_WRITER_FAILED, cause));
        };
        let mut prefix = target.get("Prefix").and_then(Value::as_str).unwrap_or_default().to_owned();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let map_run = outcomes.map_run;
        let map_run_arn = map_run.and_then(|i| self.child_runs.get(i)).map(|run| run.map_run_arn.to_string()).unwrap_or_default();
        let id = map_run_arn.rsplit_once(':').map_or(map_run_arn.as_str(), |(_, id)| id);
        let lines = writer.output_type.as_deref() == Some("JSONL");
        let compact = writer.transformation.as_deref().is_some_and(|t| t != "NONE");
        let flatten = writer.transformation.as_deref() == Some("FLATTEN");
        let (mut succeeded, mut failed, mut pending) = (Vec::new(), Vec::new(), Vec::new());
        let records = self.records(&outcomes);
        for (record, output) in records.into_iter().zip(outcomes.results) {
            match record.get("Status").and_then(Value::as_str) {
                Some("SUCCEEDED") if flatten => match output {
                    Value::Array(values) => succeeded.extend(values),
                    other => succeeded.push(other),
                },
                Some("SUCCEEDED") if compact => succeeded.push(output),
                Some("SUCCEEDED") => succeeded.push(record),
                Some("PENDING") => pending.push(record),
                _ => failed.push(record),
            }
        }
        let mut files = VecDeque::new();
        let mut listed = Object::new();
        for (status, records) in [("FAILED", failed), ("PENDING", pending), ("SUCCEEDED", succeeded)] {
            let mut entries = Vec::new();
            if !records.is_empty() {
                let key = format!("{prefix}{id}/{status}_0.json");
                let body = if lines {
                    records.iter().map(|record| format!("{record}\n")).collect::<String>()
                } else {
                    Value::Array(records).to_string()
                };
                entries.push(json!({"Key": key, "Size": body.len()}));
                files.push_back((key, body));
            }
            listed.insert(status.to_owned(), Value::Array(entries));
        }
        let manifest_key = format!("{prefix}{id}/manifest.json");
        let manifest = json!({"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": listed});
        files.push_back((manifest_key.clone(), manifest.to_string()));
        let result = json!({"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}});
        let writing = Writing { task: TaskId(0), map_run, bucket, files, result, failure };
        self.write_next(fid, state, writer, writing)
    }

    /// Asks for the next file's putObject, or, when all are written, ends the Map.
    fn write_next(&mut self, fid: usize, state: &State, writer: &ResultWriter, mut writing: Writing) -> Flow {
        let Some((key, body)) = writing.files.pop_front() else {
            // Every item's result is written: the Map Run counts them.
            if let Some(run) = writing.map_run.and_then(|index| self.map_runs.get_mut(index)) {
                run.items.results_written = run.items.total;
                run.executions.results_written = run.executions.total;
            }
            return match writing.failure {
                Some((failure, kept)) => self.map_failed(fid, true, failure, kept),
                None => self.map_succeeded(fid, true, writing.result),
            };
        };
        let task = TaskId(self.handle());
        self.tasks.insert(task, fid);
        self.commands.push(Command::InvokeTask(TaskRequest {
            task,
            state_name: state.name.clone(),
            resource: writer.resource.clone().unwrap_or_default(),
            parameters: json!({"Bucket": writing.bucket, "Key": key, "Body": body}),
            timeout_seconds: None,
            heartbeat_seconds: None,
            token: None,
            role_arn: None,
            scheduled_event: None,
        }));
        writing.task = task;
        self.frame_mut(fid).phase = Phase::Writing(Box::new(writing));
        Flow::Stop
    }

    /// A putObject answered: the next file, or `States.ResultWriterFailed`.
    pub(super) fn results_written(&mut self, fid: usize, writing: Writing, outcome: Result<Value, Failure>) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        let asl::model::StateKind::Map(map) = &state.kind else { return Flow::Stop };
        let Some(writer) = &map.result_writer else { return Flow::Stop };
        if let Err(failure) = outcome {
            let cause = match failure.cause {
                Some(cause) => format!("{}: {cause}", failure.error),
                None => failure.error,
            };
            let failure = Failure::new(errors::RESULT_WRITER_FAILED, self.prefix_text(frame, state, &cause));
            // The Map Run fails with its writer; a redrive runs the whole Map again.
            if let Some((_, kept)) = writing.failure {
                self.forsake(&kept);
            }
            if let Some(run) = writing.map_run.and_then(|index| self.map_runs.get_mut(index)) {
                run.status = MapRunStatus::Failed;
                run.not_redrivable();
            }
            self.emit(fid, EventDetails::MapRunFailed(ErrorDetails { error: Some(failure.error.clone()), cause: failure.cause.clone() }));
            if !self.will_retry(fid, &failure) {
                self.emit(fid, EventDetails::MapStateFailed);
            }
            return self.fail_state(fid, failure);
        }
        self.write_next(fid, state, writer, writing)
    }

    /// Each iteration's record, by index: a child's (`Transformation: NONE`), or the item's when it never started.
    fn records(&self, outcomes: &Outcomes) -> Vec<Value> {
        let run = outcomes.map_run.and_then(|i| self.child_runs.get(i));
        let reports = run.and_then(|run| run.reports.as_ref());
        let (map_run_arn, state_machine_arn) = run.map_or((String::new(), String::new()), |run| {
            (run.map_run_arn.to_string(), run.state_machine_arn.to_string())
        });
        let parent = self.info.execution_arn.as_str();
        let mut records = Vec::with_capacity(outcomes.results.len());
        for (index, output) in outcomes.results.iter().enumerate() {
            let record = match reports.and_then(|reports| reports.get(&index)) {
                Some(report) => {
                    let arn = child_execution_arn(&map_run_arn, parent, index);
                    child_record(&arn, &state_machine_arn, report, output)
                }
                None => {
                    let input = outcomes.items.get(index).to_string();
                    json!({"Input": input, "InputDetails": {"Included": true}, "Status": "PENDING"})
                }
            };
            records.push(record);
        }
        records
    }
}

/// A child's record as the ResultWriter writes it.
fn child_record(arn: &str, state_machine_arn: &str, report: &Report, output: &Value) -> Value {
    let name = arn.rsplit_once(':').map_or(arn, |(_, name)| name);
    let mut record = Object::new();
    record.insert("ExecutionArn".into(), arn.into());
    record.insert("Input".into(), report.input.clone().into());
    record.insert("InputDetails".into(), json!({"Included": true}));
    record.insert("Name".into(), name.into());
    let (status, redrive) = match &report.ended {
        Ended::Succeeded => {
            record.insert("Output".into(), output.to_string().into());
            record.insert("OutputDetails".into(), json!({"Included": true}));
            ("SUCCEEDED", None)
        }
        Ended::Failed(error) => {
            if let Some(name) = &error.error {
                record.insert("Error".into(), name.clone().into());
            }
            if let Some(cause) = &error.cause {
                record.insert("Cause".into(), cause.clone().into());
            }
            ("FAILED", Some("REDRIVABLE_BY_MAP_RUN"))
        }
        Ended::Aborted => ("ABORTED", Some("REDRIVABLE_BY_MAP_RUN")),
        Ended::Running => ("RUNNING", None),
    };
    record.insert("RedriveCount".into(), report.redrive_count.into());
    match redrive {
        Some(redrivable) => {
            record.insert("RedriveStatus".into(), redrivable.into());
        }
        None => {
            record.insert("RedriveStatus".into(), "NOT_REDRIVABLE".into());
            record.insert("RedriveStatusReason".into(), format!("Execution is {status} and cannot be redriven").into());
        }
    }
    record.insert("StartDate".into(), format_timestamp(report.start).into());
    record.insert("StateMachineArn".into(), state_machine_arn.into());
    record.insert("Status".into(), status.into());
    if let Some(stop) = report.stop {
        record.insert("StopDate".into(), format_timestamp(stop).into());
    }
    Value::Object(record)
}

/// Outputs that are arrays spread into one array; others stay as they are.
fn flatten(results: Vec<Value>) -> Vec<Value> {
    let mut flat = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Value::Array(values) => flat.extend(values),
            other => flat.push(other),
        }
    }
    flat
}
