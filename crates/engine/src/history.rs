//! History events: the durable record of an execution, in AWS's event types and detail shapes.
//!
//! `HistoryEvent::to_json` renders an event exactly as `GetExecutionHistory` returns it on the wire (epoch-second
//! timestamps, `…EventDetails` members); the stored form is this type and stays readable by later versions.

#[cfg(test)]
mod tests;

use serde_json::{Map as Object, Value, json};

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
        match self {
            EventDetails::StateEntered { state_type, .. } => format!("{state_type}StateEntered"),
            EventDetails::StateExited { state_type, .. } => format!("{state_type}StateExited"),
            EventDetails::StateAborted { state_type, .. } => format!("{state_type}StateAborted"),
            other => other.fixed_type().to_owned(),
        }
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

    /// The `…EventDetails` member name and value AWS sends with this event, if any.
    fn wire_details(&self) -> Option<(&'static str, Value)> {
        let details = match self {
            EventDetails::ExecutionStarted { input, role_arn, state_machine_arn: _, version_arn, alias_arn } => {
                let mut details = json!({"input": input, "inputDetails": {"truncated": false}, "roleArn": role_arn});
                if let Some(alias) = alias_arn {
                    details["stateMachineAliasArn"] = Value::String(alias.clone());
                }
                if let Some(version) = version_arn {
                    details["stateMachineVersionArn"] = Value::String(version.clone());
                }
                ("executionStartedEventDetails", details)
            }
            EventDetails::ExecutionSucceeded { output } => {
                ("executionSucceededEventDetails", json!({"output": output, "outputDetails": {"truncated": false}}))
            }
            EventDetails::ExecutionFailed(e) => ("executionFailedEventDetails", e.to_json()),
            EventDetails::ExecutionTimedOut(e) => ("executionTimedOutEventDetails", e.to_json()),
            EventDetails::ExecutionAborted(e) => ("executionAbortedEventDetails", e.to_json()),
            EventDetails::ExecutionRedriven { redrive_count } => {
                ("executionRedrivenEventDetails", json!({"redriveCount": redrive_count}))
            }
            EventDetails::StateEntered { name, input, .. } => (
                "stateEnteredEventDetails",
                json!({"name": name, "input": input, "inputDetails": {"truncated": false}}),
            ),
            EventDetails::StateExited { name, output, assigned, .. } => {
                let mut details = json!({"name": name, "output": output, "outputDetails": {"truncated": false}});
                if let Some(assigned) = assigned {
                    let variables: Object<String, Value> =
                        assigned.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect();
                    details["assignedVariables"] = Value::Object(variables);
                    details["assignedVariablesDetails"] = json!({"truncated": false});
                }
                ("stateExitedEventDetails", details)
            }
            EventDetails::StateAborted { .. } => return None,
            EventDetails::TaskScheduled(t) => {
                let mut object = Object::new();
                object.insert("resourceType".into(), t.resource_type.clone().into());
                object.insert("resource".into(), t.resource.clone().into());
                object.insert("region".into(), t.region.clone().into());
                object.insert("parameters".into(), t.parameters.clone().into());
                if let Some(timeout) = t.timeout_in_seconds {
                    object.insert("timeoutInSeconds".into(), timeout.into());
                }
                if let Some(heartbeat) = t.heartbeat_in_seconds {
                    object.insert("heartbeatInSeconds".into(), heartbeat.into());
                }
                if let Some(role) = &t.role_arn {
                    object.insert("taskCredentials".into(), json!({"roleArn": role}));
                }
                ("taskScheduledEventDetails", Value::Object(object))
            }
            EventDetails::TaskStarted { resource_type, resource } => {
                ("taskStartedEventDetails", json!({"resourceType": resource_type, "resource": resource}))
            }
            EventDetails::TaskSucceeded { resource_type, resource, output } => (
                "taskSucceededEventDetails",
                json!({"resourceType": resource_type, "resource": resource, "output": output,
                       "outputDetails": {"truncated": false}}),
            ),
            EventDetails::TaskFailed { resource_type, resource, error } => {
                ("taskFailedEventDetails", task_error(resource_type, resource, error))
            }
            EventDetails::TaskTimedOut { resource_type, resource, error } => {
                ("taskTimedOutEventDetails", task_error(resource_type, resource, error))
            }
            EventDetails::TaskSubmitted { resource_type, resource, output } => (
                "taskSubmittedEventDetails",
                json!({"resourceType": resource_type, "resource": resource, "output": output,
                       "outputDetails": {"truncated": false}}),
            ),
            EventDetails::ActivityScheduled { resource, input, timeout_in_seconds, heartbeat_in_seconds } => {
                let mut object = Object::new();
                object.insert("resource".into(), resource.clone().into());
                object.insert("input".into(), input.clone().into());
                object.insert("inputDetails".into(), json!({"truncated": false}));
                if let Some(timeout) = timeout_in_seconds {
                    object.insert("timeoutInSeconds".into(), (*timeout).into());
                }
                if let Some(heartbeat) = heartbeat_in_seconds {
                    object.insert("heartbeatInSeconds".into(), (*heartbeat).into());
                }
                ("activityScheduledEventDetails", Value::Object(object))
            }
            EventDetails::ActivityStarted { worker_name } => {
                ("activityStartedEventDetails", json!({"workerName": worker_name}))
            }
            EventDetails::ActivitySucceeded { output } => (
                "activitySucceededEventDetails",
                json!({"output": output, "outputDetails": {"truncated": false}}),
            ),
            EventDetails::ActivityFailed(e) => ("activityFailedEventDetails", e.to_json()),
            EventDetails::ActivityTimedOut(e) => ("activityTimedOutEventDetails", e.to_json()),
            EventDetails::LambdaFunctionScheduled { resource, input, timeout_in_seconds, role_arn } => {
                let mut object = Object::new();
                object.insert("resource".into(), resource.clone().into());
                object.insert("input".into(), input.clone().into());
                object.insert("inputDetails".into(), json!({"truncated": false}));
                if let Some(timeout) = timeout_in_seconds {
                    object.insert("timeoutInSeconds".into(), (*timeout).into());
                }
                if let Some(role) = role_arn {
                    object.insert("taskCredentials".into(), json!({"roleArn": role}));
                }
                ("lambdaFunctionScheduledEventDetails", Value::Object(object))
            }
            EventDetails::LambdaFunctionSucceeded { output } => (
                "lambdaFunctionSucceededEventDetails",
                json!({"output": output, "outputDetails": {"truncated": false}}),
            ),
            EventDetails::LambdaFunctionFailed(e) => ("lambdaFunctionFailedEventDetails", e.to_json()),
            EventDetails::LambdaFunctionTimedOut(e) => ("lambdaFunctionTimedOutEventDetails", e.to_json()),
            EventDetails::MapStateStarted { length } => ("mapStateStartedEventDetails", json!({"length": length})),
            EventDetails::MapIterationStarted { name, index } => {
                ("mapIterationStartedEventDetails", json!({"name": name, "index": index}))
            }
            EventDetails::MapIterationSucceeded { name, index } => {
                ("mapIterationSucceededEventDetails", json!({"name": name, "index": index}))
            }
            EventDetails::MapIterationFailed { name, index } => {
                ("mapIterationFailedEventDetails", json!({"name": name, "index": index}))
            }
            EventDetails::MapIterationAborted { name, index } => {
                ("mapIterationAbortedEventDetails", json!({"name": name, "index": index}))
            }
            EventDetails::MapRunStarted { map_run_arn } => {
                ("mapRunStartedEventDetails", json!({"mapRunArn": map_run_arn}))
            }
            EventDetails::MapRunFailed(e) => ("mapRunFailedEventDetails", e.to_json()),
            EventDetails::MapRunRedriven { map_run_arn, redrive_count } => {
                ("mapRunRedrivenEventDetails", json!({"mapRunArn": map_run_arn, "redriveCount": redrive_count}))
            }
            EventDetails::EvaluationFailed { error, location, state } => {
                let mut details = error.to_json();
                if let Some(location) = location {
                    details["location"] = location.clone().into();
                }
                details["state"] = state.clone().into();
                ("evaluationFailedEventDetails", details)
            }
            EventDetails::LambdaFunctionStarted
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
        Some(details)
    }
}

impl ErrorDetails {
    fn to_json(&self) -> Value {
        let mut object = Object::new();
        if let Some(error) = &self.error {
            object.insert("error".into(), error.clone().into());
        }
        if let Some(cause) = &self.cause {
            object.insert("cause".into(), cause.clone().into());
        }
        Value::Object(object)
    }
}

fn task_error(resource_type: &str, resource: &str, error: &ErrorDetails) -> Value {
    let mut value = error.to_json();
    if let Value::Object(object) = &mut value {
        object.insert("resourceType".into(), resource_type.into());
        object.insert("resource".into(), resource.into());
    }
    value
}

impl HistoryEvent {
    /// The event as `GetExecutionHistory` sends it.
    pub fn to_json(&self) -> Value {
        let mut object = Object::new();
        object.insert("timestamp".into(), json!(self.timestamp as f64 / 1000.0));
        object.insert("type".into(), self.details.event_type().into());
        object.insert("id".into(), self.id.into());
        object.insert("previousEventId".into(), self.previous_event_id.into());
        if let Some((key, details)) = self.details.wire_details() {
            object.insert(key.into(), details);
        }
        Value::Object(object)
    }

    /// The event's wire form as compact JSON text: what the store keeps and what an execution's digest is made of.
    pub fn to_json_text(&self) -> String {
        json_text(&self.to_json())
    }
}

/// A value as compact JSON text: what `Value`'s `Display` writes, without going through `fmt`.
pub(crate) fn json_text(value: &Value) -> String {
    serde_json::to_string(value).expect("invariant: a Value always serializes (its keys are strings)")
}
