//! History events: the durable record of an execution, in AWS's event types and detail shapes.
//!
//! `HistoryEvent`'s `Serialize` writes an event exactly as `GetExecutionHistory` returns it on the wire (epoch-second
//! timestamps, `…EventDetails` members), straight from the event's fields; `to_json` and `to_json_text` are that
//! form as a `Value` and as the text the store keeps. The stored form is this type and stays readable by later
//! versions, so the text must stay the same bytes (`history/tests.rs` holds it to the `Value` built before).

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use serde_json::ser::{CompactFormatter, Formatter};

/// One history event. `id` is 1-based and dense; `previous_event_id` is the event before it in the same thread of
/// execution (a Parallel branch or Map iteration has its own thread), 0 for the first.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    pub details: EventDetails,
}

/// What happened, with AWS's details for it.
#[derive(Debug, Clone, PartialEq)]
pub enum EventDetails {
    ExecutionStarted {
        input: String,
        role_arn: String,
        state_machine_arn: String,
        version_arn: Option<String>,
        alias_arn: Option<String>,
    },
    ExecutionSucceeded { output: String },
    ExecutionFailed(ErrorDetails),
    ExecutionTimedOut(ErrorDetails),
    ExecutionAborted(ErrorDetails),
    ExecutionRedriven { redrive_count: u32 },
    StateEntered { state_type: &'static str, name: String, input: String },
    /// `assigned` holds each variable the state assigned, as JSON text, in assignment order.
    StateExited { state_type: &'static str, name: String, output: String, assigned: Option<Vec<(String, String)>> },
    StateAborted { state_type: &'static str, name: String },
    TaskScheduled(TaskScheduled),
    TaskStarted { resource_type: String, resource: String },
    TaskSucceeded { resource_type: String, resource: String, output: String },
    TaskFailed { resource_type: String, resource: String, error: ErrorDetails },
    TaskTimedOut { resource_type: String, resource: String, error: ErrorDetails },
    /// A callback task's request was made; it now waits for its token.
    TaskSubmitted { resource_type: String, resource: String, output: String },
    ActivityScheduled { resource: String, input: String, timeout_in_seconds: Option<u64>, heartbeat_in_seconds: Option<u64> },
    ActivityStarted { worker_name: String },
    ActivitySucceeded { output: String },
    ActivityFailed(ErrorDetails),
    ActivityTimedOut(ErrorDetails),
    LambdaFunctionScheduled { resource: String, input: String, timeout_in_seconds: Option<u64>, role_arn: Option<String> },
    LambdaFunctionStarted,
    LambdaFunctionSucceeded { output: String },
    LambdaFunctionFailed(ErrorDetails),
    LambdaFunctionTimedOut(ErrorDetails),
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    MapStateStarted { length: usize },
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapIterationStarted { name: String, index: usize },
    MapIterationSucceeded { name: String, index: usize },
    MapIterationFailed { name: String, index: usize },
    MapIterationAborted { name: String, index: usize },
    MapRunStarted { map_run_arn: String },
    MapRunSucceeded,
    MapRunFailed(ErrorDetails),
    MapRunAborted,
    /// A redrive of the execution redrove the Map Run `map_run_arn` (the same run, not a new one); `redrive_count`
    /// counts the redrives of that Map Run, this one included.
    MapRunRedriven { map_run_arn: String, redrive_count: u32 },
    /// A JSONata expression failed: `location` is the field, `state` the state's name.
    /// `location` is the field whose evaluation failed, when the failure names one.
    EvaluationFailed { error: ErrorDetails, location: Option<String>, state: String },
}

/// An error name and cause, either of which AWS may leave out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorDetails {
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// `TaskScheduled` details.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskScheduled {
    pub resource_type: String,
    pub resource: String,
    pub region: String,
    pub parameters: String,
    pub timeout_in_seconds: Option<u64>,
    pub heartbeat_in_seconds: Option<u64>,
    /// `Credentials.RoleArn`, shown as `taskCredentials`.
    pub role_arn: Option<String>,
}

impl EventDetails {
    /// About how many bytes the event's payloads (inputs, outputs, parameters, causes) take: what bounds the memory
    /// one fold may use.
    pub fn payload_len(&self) -> usize {
        let error = |e: &ErrorDetails| e.cause.as_ref().map_or(0, String::len);
        match self {
            EventDetails::ExecutionStarted { input, .. }
            | EventDetails::StateEntered { input, .. }
            | EventDetails::ActivityScheduled { input, .. }
            | EventDetails::LambdaFunctionScheduled { input, .. } => input.len(),
            EventDetails::ExecutionSucceeded { output }
            | EventDetails::TaskSucceeded { output, .. }
            | EventDetails::TaskSubmitted { output, .. }
            | EventDetails::ActivitySucceeded { output }
            | EventDetails::LambdaFunctionSucceeded { output } => output.len(),
            EventDetails::StateExited { output, assigned, .. } => {
                output.len() + assigned.as_ref().map_or(0, |vars| vars.iter().map(|(n, v)| n.len() + v.len()).sum())
            }
            EventDetails::TaskScheduled(t) => t.parameters.len(),
            EventDetails::ExecutionFailed(e)
            | EventDetails::ExecutionTimedOut(e)
            | EventDetails::ExecutionAborted(e)
            | EventDetails::ActivityFailed(e)
            | EventDetails::ActivityTimedOut(e)
            | EventDetails::LambdaFunctionFailed(e)
            | EventDetails::LambdaFunctionTimedOut(e)
            | EventDetails::MapRunFailed(e)
            | EventDetails::TaskFailed { error: e, .. }
            | EventDetails::TaskTimedOut { error: e, .. }
            | EventDetails::EvaluationFailed { error: e, .. } => error(e),
            _ => 0,
        }
    }

    /// The event's `type`, as AWS names it.
    pub fn event_type(&self) -> String {
        EventType(self).to_string()
    }

    fn fixed_type(&self) -> &'static str {
        match self {
            EventDetails::ExecutionStarted { .. } => "ExecutionStarted",
            EventDetails::ExecutionSucceeded { .. } => "ExecutionSucceeded",
            EventDetails::ExecutionFailed(_) => "ExecutionFailed",
            EventDetails::ExecutionTimedOut(_) => "ExecutionTimedOut",
            EventDetails::ExecutionAborted(_) => "ExecutionAborted",
            EventDetails::ExecutionRedriven { .. } => "ExecutionRedriven",
            EventDetails::StateEntered { .. } | EventDetails::StateExited { .. } | EventDetails::StateAborted { .. } => {
                "State"
            }
            EventDetails::TaskScheduled(_) => "TaskScheduled",
            EventDetails::TaskStarted { .. } => "TaskStarted",
            EventDetails::TaskSucceeded { .. } => "TaskSucceeded",
            EventDetails::TaskFailed { .. } => "TaskFailed",
            EventDetails::TaskTimedOut { .. } => "TaskTimedOut",
            EventDetails::TaskSubmitted { .. } => "TaskSubmitted",
            EventDetails::ActivityScheduled { .. } => "ActivityScheduled",
            EventDetails::ActivityStarted { .. } => "ActivityStarted",
            EventDetails::ActivitySucceeded { .. } => "ActivitySucceeded",
            EventDetails::ActivityFailed(_) => "ActivityFailed",
            EventDetails::ActivityTimedOut(_) => "ActivityTimedOut",
            EventDetails::LambdaFunctionScheduled { .. } => "LambdaFunctionScheduled",
            EventDetails::LambdaFunctionStarted => "LambdaFunctionStarted",
            EventDetails::LambdaFunctionSucceeded { .. } => "LambdaFunctionSucceeded",
            EventDetails::LambdaFunctionFailed(_) => "LambdaFunctionFailed",
            EventDetails::LambdaFunctionTimedOut(_) => "LambdaFunctionTimedOut",
            EventDetails::ParallelStateStarted => "ParallelStateStarted",
            EventDetails::ParallelStateSucceeded => "ParallelStateSucceeded",
            EventDetails::ParallelStateFailed => "ParallelStateFailed",
            EventDetails::ParallelStateAborted => "ParallelStateAborted",
            EventDetails::MapStateStarted { .. } => "MapStateStarted",
            EventDetails::MapStateSucceeded => "MapStateSucceeded",
            EventDetails::MapStateFailed => "MapStateFailed",
            EventDetails::MapStateAborted => "MapStateAborted",
            EventDetails::MapIterationStarted { .. } => "MapIterationStarted",
            EventDetails::MapIterationSucceeded { .. } => "MapIterationSucceeded",
            EventDetails::MapIterationFailed { .. } => "MapIterationFailed",
            EventDetails::MapIterationAborted { .. } => "MapIterationAborted",
            EventDetails::MapRunStarted { .. } => "MapRunStarted",
            EventDetails::MapRunSucceeded => "MapRunSucceeded",
            EventDetails::MapRunFailed(_) => "MapRunFailed",
            EventDetails::MapRunAborted => "MapRunAborted",
            EventDetails::MapRunRedriven { .. } => "MapRunRedriven",
            EventDetails::EvaluationFailed { .. } => "EvaluationFailed",
        }
    }
}

impl HistoryEvent {
    /// The event as `GetExecutionHistory` sends it.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("invariant: an event always serializes (its keys are strings)")
    }

    /// The event's wire form as compact JSON text: what the store keeps and what an execution's digest is made of.
    ///
    /// The same bytes as serializing the event (`tests` holds every variant to that), written straight from its
    /// fields: keys are constants written as they are, and only numbers and texts go through serde_json's own
    /// formatting and escaping. Through `serde_json::to_string` each member cost a map entry's state machine and the
    /// escaping of its key, about 3,800 instructions for a small event under callgrind.
    pub fn to_json_text(&self) -> String {
        let mut out = Text::with_capacity(128 + self.details.payload_len());
        out.raw("{\"timestamp\":");
        out.float(self.timestamp as f64 / 1000.0);
        out.raw(",\"type\":\"");
        match &self.details {
            EventDetails::StateEntered { state_type, .. } => {
                out.raw(state_type);
                out.raw("StateEntered");
            }
            EventDetails::StateExited { state_type, .. } => {
                out.raw(state_type);
                out.raw("StateExited");
            }
            EventDetails::StateAborted { state_type, .. } => {
                out.raw(state_type);
                out.raw("StateAborted");
            }
            other => out.raw(other.fixed_type()),
        }
        out.raw("\",\"id\":");
        out.number(self.id);
        out.raw(",\"previousEventId\":");
        out.number(self.previous_event_id);
        with_details(&self.details, |key, members| {
            out.raw(",\"");
            out.raw(key);
            out.raw("\":");
            out.members(members);
        });
        out.raw("}");
        out.into_string()
    }
}

/// JSON text being written: constants as they are, numbers and texts as serde_json formats and escapes them. The
/// stored texts of events (`HistoryEvent::to_json_text`) and of triggers (`Trigger::to_json_text`) are written with it.
pub(crate) struct Text(Vec<u8>);

impl Text {
    pub(crate) fn with_capacity(capacity: usize) -> Text {
        Text(Vec::with_capacity(capacity))
    }

    /// A constant piece: a key, punctuation, a type name (none of them needs escaping).
    pub(crate) fn raw(&mut self, piece: &str) {
        self.0.extend_from_slice(piece.as_bytes());
    }

    pub(crate) fn number(&mut self, number: u64) {
        CompactFormatter.write_u64(&mut self.0, number).expect("invariant: writing to a Vec cannot fail");
    }

    pub(crate) fn integer(&mut self, number: i64) {
        CompactFormatter.write_i64(&mut self.0, number).expect("invariant: writing to a Vec cannot fail");
    }

    /// A value as JSON, as serde_json writes it.
    pub(crate) fn value(&mut self, value: &Value) {
        serde_json::to_writer(&mut self.0, value).expect("invariant: a Value always serializes (its keys are strings)");
    }

    pub(crate) fn into_string(self) -> String {
        String::from_utf8(self.0).expect("invariant: JSON written from UTF-8 texts is UTF-8")
    }

    fn float(&mut self, number: f64) {
        CompactFormatter.write_f64(&mut self.0, number).expect("invariant: writing to a Vec cannot fail");
    }

    /// A text as a JSON string, quoted and escaped.
    fn string(&mut self, text: &str) {
        serde_json::Serializer::new(&mut self.0).serialize_str(text).expect("invariant: writing to a Vec cannot fail");
    }

    /// An object of `members`, the absent ones left out.
    fn members(&mut self, members: &[(&str, Member<'_>)]) {
        self.raw("{");
        let mut first = true;
        for (key, member) in members {
            if matches!(member, Member::Absent) {
                continue;
            }
            if !first {
                self.raw(",");
            }
            first = false;
            self.raw("\"");
            self.raw(key);
            self.raw("\":");
            self.member(member);
        }
        self.raw("}");
    }

    fn member(&mut self, member: &Member<'_>) {
        match member {
            // `members` leaves an absent member out before it gets here.
            Member::Absent => self.raw("null"),
            Member::Text(text) => self.string(text),
            Member::Number(number) => self.number(*number),
            Member::NotTruncated => self.raw("{\"truncated\":false}"),
            Member::Credentials(role) => {
                self.raw("{\"roleArn\":");
                self.string(role);
                self.raw("}");
            }
            Member::Variables(assigned) => {
                self.raw("{");
                for (i, (name, value)) in last_values(assigned).into_iter().enumerate() {
                    if i > 0 {
                        self.raw(",");
                    }
                    self.string(name);
                    self.raw(":");
                    self.string(value);
                }
                self.raw("}");
            }
        }
    }
}

/// Assigned variables as `assignedVariables` shows them: each name once, where it was first assigned, with the last
/// value assigned to it (what collecting the pairs into a JSON object gives).
fn last_values(assigned: &[(String, String)]) -> Vec<(&str, &str)> {
    // The last value of each name, taken out where the name first stands: one pass, however many.
    let mut last = BTreeMap::new();
    for (name, value) in assigned {
        last.insert(name.as_str(), value.as_str());
    }
    let mut values = Vec::with_capacity(last.len());
    for (name, _) in assigned {
        if let Some(value) = last.remove(name.as_str()) {
            values.push((name.as_str(), value));
        }
    }
    values
}

impl Serialize for HistoryEvent {
    /// The event as `GetExecutionHistory` sends it: `to_json` and `to_json_text` are this, as a `Value` and as text.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut event = serializer.serialize_map(None)?;
        event.serialize_entry("timestamp", &(self.timestamp as f64 / 1000.0))?;
        event.serialize_entry("type", &EventType(&self.details))?;
        event.serialize_entry("id", &self.id)?;
        event.serialize_entry("previousEventId", &self.previous_event_id)?;
        with_details(&self.details, |key, members| event.serialize_entry(key, &Members(members))).transpose()?;
        event.end()
    }
}

/// A value as compact JSON text: what `Value`'s `Display` writes, without going through `fmt`.
pub(crate) fn json_text(value: &Value) -> String {
    serde_json::to_string(value).expect("invariant: a Value always serializes (its keys are strings)")
}

/// An event's `type`, written without building a `String` first.
struct EventType<'a>(&'a EventDetails);

impl fmt::Display for EventType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            EventDetails::StateEntered { state_type, .. } => write!(f, "{state_type}StateEntered"),
            EventDetails::StateExited { state_type, .. } => write!(f, "{state_type}StateExited"),
            EventDetails::StateAborted { state_type, .. } => write!(f, "{state_type}StateAborted"),
            other => f.write_str(other.fixed_type()),
        }
    }
}

impl Serialize for EventType<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One member of an event's `…EventDetails`, borrowed from the event: the wire form without a `Value` in between.
enum Member<'a> {
    /// An optional member that is not set: left out.
    Absent,
    Text(&'a str),
    Number(u64),
    /// `{"truncated": false}`: AWS's note that the payload before it is whole.
    NotTruncated,
    /// `taskCredentials`: `{"roleArn": …}`.
    Credentials(&'a str),
    /// `assignedVariables`: each name once, where it was first assigned, with the last value assigned to it (what
    /// collecting the pairs into a JSON object gives).
    Variables(&'a [(String, String)]),
}

/// The members of one `…EventDetails` object, in order; `Absent` ones are left out.
struct Members<'a>(&'a [(&'static str, Member<'a>)]);

/// Calls `write` with the `…EventDetails` member AWS sends with this event, if any: its key and its members.
fn with_details<R>(details: &EventDetails, write: impl FnOnce(&'static str, &[(&'static str, Member<'_>)]) -> R) -> Option<R> {
    use Member::{Absent, NotTruncated, Number, Text, Variables};
    let (key, members): (&str, &[(&str, Member)]) = match details {
        EventDetails::ExecutionStarted { input, role_arn, state_machine_arn: _, version_arn, alias_arn } => (
            "executionStartedEventDetails",
            &[
                ("input", Text(input)),
                ("inputDetails", NotTruncated),
                ("roleArn", Text(role_arn)),
                ("stateMachineAliasArn", text(alias_arn)),
                ("stateMachineVersionArn", text(version_arn)),
            ],
        ),
        EventDetails::ExecutionSucceeded { output } => ("executionSucceededEventDetails", &output_members(output)),
        EventDetails::ExecutionFailed(e) => ("executionFailedEventDetails", &error_members(e)),
        EventDetails::ExecutionTimedOut(e) => ("executionTimedOutEventDetails", &error_members(e)),
        EventDetails::ExecutionAborted(e) => ("executionAbortedEventDetails", &error_members(e)),
        EventDetails::ExecutionRedriven { redrive_count } => {
            ("executionRedrivenEventDetails", &[("redriveCount", Number((*redrive_count).into()))])
        }
        EventDetails::StateEntered { name, input, .. } => (
            "stateEnteredEventDetails",
            &[("name", Text(name)), ("input", Text(input)), ("inputDetails", NotTruncated)],
        ),
        EventDetails::StateExited { name, output, assigned, .. } => (
            "stateExitedEventDetails",
            &[
                ("name", Text(name)),
                ("output", Text(output)),
                ("outputDetails", NotTruncated),
                ("assignedVariables", assigned.as_deref().map_or(Absent, Variables)),
                ("assignedVariablesDetails", if assigned.is_some() { NotTruncated } else { Absent }),
            ],
        ),
        EventDetails::TaskScheduled(t) => (
            "taskScheduledEventDetails",
            &[
                ("resourceType", Text(&t.resource_type)),
                ("resource", Text(&t.resource)),
                ("region", Text(&t.region)),
                ("parameters", Text(&t.parameters)),
                ("timeoutInSeconds", number(t.timeout_in_seconds)),
                ("heartbeatInSeconds", number(t.heartbeat_in_seconds)),
                ("taskCredentials", credentials(&t.role_arn)),
            ],
        ),
        EventDetails::TaskStarted { resource_type, resource } => {
            ("taskStartedEventDetails", &[("resourceType", Text(resource_type)), ("resource", Text(resource))])
        }
        EventDetails::TaskSucceeded { resource_type, resource, output } => {
            ("taskSucceededEventDetails", &task_output(resource_type, resource, output))
        }
        EventDetails::TaskFailed { resource_type, resource, error } => {
            ("taskFailedEventDetails", &task_error(resource_type, resource, error))
        }
        EventDetails::TaskTimedOut { resource_type, resource, error } => {
            ("taskTimedOutEventDetails", &task_error(resource_type, resource, error))
        }
        EventDetails::TaskSubmitted { resource_type, resource, output } => {
            ("taskSubmittedEventDetails", &task_output(resource_type, resource, output))
        }
        EventDetails::ActivityScheduled { resource, input, timeout_in_seconds, heartbeat_in_seconds } => (
            "activityScheduledEventDetails",
            &scheduled(resource, input, *timeout_in_seconds, ("heartbeatInSeconds", number(*heartbeat_in_seconds))),
        ),
        EventDetails::ActivityStarted { worker_name } => {
            ("activityStartedEventDetails", &[("workerName", Text(worker_name))])
        }
        EventDetails::ActivitySucceeded { output } => ("activitySucceededEventDetails", &output_members(output)),
        EventDetails::ActivityFailed(e) => ("activityFailedEventDetails", &error_members(e)),
        EventDetails::ActivityTimedOut(e) => ("activityTimedOutEventDetails", &error_members(e)),
        EventDetails::LambdaFunctionScheduled { resource, input, timeout_in_seconds, role_arn } => (
            "lambdaFunctionScheduledEventDetails",
            &scheduled(resource, input, *timeout_in_seconds, ("taskCredentials", credentials(role_arn))),
        ),
        EventDetails::LambdaFunctionSucceeded { output } => {
            ("lambdaFunctionSucceededEventDetails", &output_members(output))
        }
        EventDetails::LambdaFunctionFailed(e) => ("lambdaFunctionFailedEventDetails", &error_members(e)),
        EventDetails::LambdaFunctionTimedOut(e) => ("lambdaFunctionTimedOutEventDetails", &error_members(e)),
        EventDetails::MapStateStarted { length } => ("mapStateStartedEventDetails", &[("length", count(*length))]),
        EventDetails::MapIterationStarted { name, index } => {
            ("mapIterationStartedEventDetails", &iteration(name, *index))
        }
        EventDetails::MapIterationSucceeded { name, index } => {
            ("mapIterationSucceededEventDetails", &iteration(name, *index))
        }
        EventDetails::MapIterationFailed { name, index } => {
            ("mapIterationFailedEventDetails", &iteration(name, *index))
        }
        EventDetails::MapIterationAborted { name, index } => {
            ("mapIterationAbortedEventDetails", &iteration(name, *index))
        }
        EventDetails::MapRunStarted { map_run_arn } => {
            ("mapRunStartedEventDetails", &[("mapRunArn", Text(map_run_arn))])
        }
        EventDetails::MapRunFailed(e) => ("mapRunFailedEventDetails", &error_members(e)),
        EventDetails::MapRunRedriven { map_run_arn, redrive_count } => (
            "mapRunRedrivenEventDetails",
            &[("mapRunArn", Text(map_run_arn)), ("redriveCount", Number((*redrive_count).into()))],
        ),
        EventDetails::EvaluationFailed { error, location, state } => (
            "evaluationFailedEventDetails",
            &[
                ("error", text(&error.error)),
                ("cause", text(&error.cause)),
                ("location", text(location)),
                ("state", Text(state)),
            ],
        ),
        EventDetails::StateAborted { .. }
        | EventDetails::LambdaFunctionStarted
        | EventDetails::ParallelStateStarted
        | EventDetails::ParallelStateSucceeded
        | EventDetails::ParallelStateFailed
        | EventDetails::ParallelStateAborted
        | EventDetails::MapStateSucceeded
        | EventDetails::MapStateFailed
        | EventDetails::MapStateAborted
        | EventDetails::MapRunSucceeded
        | EventDetails::MapRunAborted => return None,
    };
    Some(write(key, members))
}

/// An optional text member.
fn text(text: &Option<String>) -> Member<'_> {
    text.as_deref().map_or(Member::Absent, Member::Text)
}

/// An optional number member.
fn number(number: Option<u64>) -> Member<'static> {
    number.map_or(Member::Absent, Member::Number)
}

/// An optional `taskCredentials`.
fn credentials(role: &Option<String>) -> Member<'_> {
    role.as_deref().map_or(Member::Absent, Member::Credentials)
}

/// An output and its details: `{"output": …, "outputDetails": {"truncated": false}}`.
fn output_members(output: &str) -> [(&'static str, Member<'_>); 2] {
    [("output", Member::Text(output)), ("outputDetails", Member::NotTruncated)]
}

/// An error's members: `error` and `cause`, either of which may be left out.
fn error_members(error: &ErrorDetails) -> [(&'static str, Member<'_>); 2] {
    [("error", text(&error.error)), ("cause", text(&error.cause))]
}

/// A task's output, after its resource.
fn task_output<'a>(resource_type: &'a str, resource: &'a str, output: &'a str) -> [(&'static str, Member<'a>); 4] {
    let [output, details] = output_members(output);
    [("resourceType", Member::Text(resource_type)), ("resource", Member::Text(resource)), output, details]
}

/// An activity's or a Lambda function's scheduling: its resource, input and timeout, then `last`.
fn scheduled<'a>(
    resource: &'a str,
    input: &'a str,
    timeout: Option<u64>,
    last: (&'static str, Member<'a>),
) -> [(&'static str, Member<'a>); 5] {
    [
        ("resource", Member::Text(resource)),
        ("input", Member::Text(input)),
        ("inputDetails", Member::NotTruncated),
        ("timeoutInSeconds", number(timeout)),
        last,
    ]
}

/// A task's error, before its resource.
fn task_error<'a>(
    resource_type: &'a str,
    resource: &'a str,
    error: &'a ErrorDetails,
) -> [(&'static str, Member<'a>); 4] {
    let [error, cause] = error_members(error);
    [error, cause, ("resourceType", Member::Text(resource_type)), ("resource", Member::Text(resource))]
}

/// A Map iteration's members.
fn iteration(name: &str, index: usize) -> [(&'static str, Member<'_>); 2] {
    [("name", Member::Text(name)), ("index", count(index))]
}

/// A length or an index as a JSON number.
fn count(count: usize) -> Member<'static> {
    Member::Number(u64::try_from(count).expect("invariant: a usize fits in a u64"))
}

impl Serialize for Members<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut object = serializer.serialize_map(None)?;
        for (key, member) in self.0 {
            if !matches!(member, Member::Absent) {
                object.serialize_entry(key, member)?;
            }
        }
        object.end()
    }
}

impl Serialize for Member<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // `Members` leaves an absent member out before it gets here.
            Member::Absent => serializer.serialize_none(),
            Member::Text(text) => serializer.serialize_str(text),
            Member::Number(number) => serializer.serialize_u64(*number),
            Member::NotTruncated => {
                let mut object = serializer.serialize_map(Some(1))?;
                object.serialize_entry("truncated", &false)?;
                object.end()
            }
            Member::Credentials(role) => {
                let mut object = serializer.serialize_map(Some(1))?;
                object.serialize_entry("roleArn", role)?;
                object.end()
            }
            Member::Variables(assigned) => {
                let values = last_values(assigned);
                let mut object = serializer.serialize_map(Some(values.len()))?;
                for (name, value) in values {
                    object.serialize_entry(name, value)?;
                }
                object.end()
            }
        }
    }
}
