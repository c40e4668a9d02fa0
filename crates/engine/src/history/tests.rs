//! An event's stored text and `to_json` against a reference: the wire form built as a `Value`, member by member, the
//! way the engine built it up to the direct serializer. Stored histories are digested and kept, so the text must stay
//! the same bytes for every event, whatever writes it.

use serde_json::{Map as Object, Value, json};

use crate::history::{ErrorDetails, EventDetails, HistoryEvent, TaskScheduled};

/// Timestamps around the seconds' boundaries, before the epoch and far from it.
const TIMESTAMPS: [i64; 14] = [
    i64::MIN,
    -1_700_000_000_123,
    -1001,
    -1,
    0,
    1,
    10,
    999,
    1000,
    1001,
    1_700_000_000_123,
    9_007_199_254_740_993,
    i64::MAX - 1,
    i64::MAX,
];

/// Texts with escapes, control characters, non-ASCII and JSON in them.
const TEXTS: [&str; 5] = [
    "",
    "Pass",
    "ünï \u{1F389} \u{2028}\u{2029} 中文",
    "quote \" backslash \\ slash / newline \n tab \t nul \u{0} unit \u{1f} del \u{7f}",
    r#"{"a":[1,2.5,"x\"y"],"b":null}"#,
];

#[test]
fn the_text_is_the_bytes_the_value_gave() {
    let events = samples();
    let variants: std::collections::HashSet<_> = events.iter().map(|e| std::mem::discriminant(&e.details)).collect();
    assert_eq!(variants.len(), VARIANTS, "a sample of every EventDetails variant");
    for event in &events {
        let expected = serde_json::to_string(&reference(event)).expect("a Value serializes");
        assert_eq!(event.to_json_text(), expected, "{event:?}");
        assert_eq!(serde_json::to_string(&event.to_json()).expect("a Value serializes"), expected, "{event:?}");
    }
}

#[test]
fn assigned_variables_keep_the_first_place_and_the_last_value_of_a_name() {
    let details = EventDetails::StateExited {
        state_type: "Pass",
        name: "P".into(),
        output: "{}".into(),
        assigned: Some(vec![("x".into(), "1".into()), ("y".into(), "2".into()), ("x".into(), "3".into())]),
    };
    let event = HistoryEvent { id: 2, previous_event_id: 1, timestamp: 1001, details };
    let expected = concat!(
        r#"{"timestamp":1.001,"type":"PassStateExited","id":2,"previousEventId":1,"stateExitedEventDetails":"#,
        r#"{"name":"P","output":"{}","outputDetails":{"truncated":false},"assignedVariables":{"x":"3","y":"2"},"#,
        r#""assignedVariablesDetails":{"truncated":false}}}"#
    );
    assert_eq!(event.to_json_text(), expected);
}

/// How many variants `EventDetails` has: `samples` must hold each.
const VARIANTS: usize = 43;

/// Every variant, with each optional member set and unset and each text in `TEXTS`, at each timestamp.
fn samples() -> Vec<HistoryEvent> {
    let mut details = Vec::new();
    for (i, text) in TEXTS.iter().enumerate() {
        let s = || text.to_string();
        let other = TEXTS[(i + 1) % TEXTS.len()].to_string();
        for set in [false, true] {
            let opt = |value: String| set.then_some(value);
            let number = |value: u64| set.then_some(value);
            let errors = [
                ErrorDetails { error: opt(s()), cause: opt(other.clone()) },
                ErrorDetails { error: opt(s()), cause: None },
                ErrorDetails { error: None, cause: opt(other.clone()) },
            ];
            details.extend([
                EventDetails::ExecutionStarted {
                    input: s(),
                    role_arn: other.clone(),
                    state_machine_arn: s(),
                    version_arn: opt(other.clone()),
                    alias_arn: opt(s()),
                },
                EventDetails::ExecutionStarted {
                    input: s(),
                    role_arn: s(),
                    state_machine_arn: s(),
                    version_arn: opt(s()),
                    alias_arn: None,
                },
                EventDetails::ExecutionSucceeded { output: s() },
                EventDetails::ExecutionRedriven { redrive_count: if set { u32::MAX } else { 0 } },
                EventDetails::StateEntered { state_type: "Pass", name: s(), input: other.clone() },
                EventDetails::StateAborted { state_type: "Map", name: s() },
                EventDetails::TaskScheduled(TaskScheduled {
                    resource_type: s(),
                    resource: other.clone(),
                    region: s(),
                    parameters: other.clone(),
                    timeout_in_seconds: number(u64::MAX),
                    heartbeat_in_seconds: number(0),
                    role_arn: opt(s()),
                }),
                EventDetails::TaskScheduled(TaskScheduled {
                    resource_type: s(),
                    resource: s(),
                    region: s(),
                    parameters: s(),
                    timeout_in_seconds: None,
                    heartbeat_in_seconds: number(7),
                    role_arn: None,
                }),
                EventDetails::TaskStarted { resource_type: s(), resource: other.clone() },
                EventDetails::TaskSucceeded { resource_type: s(), resource: other.clone(), output: s() },
                EventDetails::TaskSubmitted { resource_type: other.clone(), resource: s(), output: other.clone() },
                EventDetails::ActivityScheduled {
                    resource: s(),
                    input: other.clone(),
                    timeout_in_seconds: number(60),
                    heartbeat_in_seconds: number(5),
                },
                EventDetails::ActivityScheduled {
                    resource: s(),
                    input: s(),
                    timeout_in_seconds: None,
                    heartbeat_in_seconds: number(1),
                },
                EventDetails::ActivityStarted { worker_name: s() },
                EventDetails::ActivitySucceeded { output: s() },
                EventDetails::LambdaFunctionScheduled {
                    resource: s(),
                    input: other.clone(),
                    timeout_in_seconds: number(3),
                    role_arn: opt(other.clone()),
                },
                EventDetails::LambdaFunctionScheduled {
                    resource: s(),
                    input: s(),
                    timeout_in_seconds: None,
                    role_arn: opt(s()),
                },
                EventDetails::LambdaFunctionStarted,
                EventDetails::LambdaFunctionSucceeded { output: s() },
                EventDetails::ParallelStateStarted,
                EventDetails::ParallelStateSucceeded,
                EventDetails::ParallelStateFailed,
                EventDetails::ParallelStateAborted,
                EventDetails::MapStateStarted { length: if set { usize::MAX } else { 0 } },
                EventDetails::MapStateSucceeded,
                EventDetails::MapStateFailed,
                EventDetails::MapStateAborted,
                EventDetails::MapIterationStarted { name: s(), index: 0 },
                EventDetails::MapIterationSucceeded { name: s(), index: 1 },
                EventDetails::MapIterationFailed { name: other.clone(), index: 40_000 },
                EventDetails::MapIterationAborted { name: s(), index: usize::MAX },
                EventDetails::MapRunStarted { map_run_arn: s() },
                EventDetails::MapRunSucceeded,
                EventDetails::MapRunAborted,
                EventDetails::MapRunRedriven { map_run_arn: s(), redrive_count: 3 },
            ]);
            for variables in assigned(text, &other) {
                let assigned = if set { Some(variables) } else { None };
                let output = other.clone();
                details.push(EventDetails::StateExited { state_type: "Choice", name: s(), output, assigned });
            }
            for error in errors {
                details.extend([
                    EventDetails::ExecutionFailed(error.clone()),
                    EventDetails::ExecutionTimedOut(error.clone()),
                    EventDetails::ExecutionAborted(error.clone()),
                    EventDetails::TaskFailed { resource_type: s(), resource: other.clone(), error: error.clone() },
                    EventDetails::TaskTimedOut { resource_type: other.clone(), resource: s(), error: error.clone() },
                    EventDetails::ActivityFailed(error.clone()),
                    EventDetails::ActivityTimedOut(error.clone()),
                    EventDetails::LambdaFunctionFailed(error.clone()),
                    EventDetails::LambdaFunctionTimedOut(error.clone()),
                    EventDetails::MapRunFailed(error.clone()),
                    EventDetails::EvaluationFailed { error: error.clone(), location: opt(other.clone()), state: s() },
                ]);
            }
            let error = ErrorDetails::default();
            details.push(EventDetails::EvaluationFailed { error, location: opt(s()), state: s() });
        }
    }
    let mut events = Vec::new();
    for (i, details) in details.into_iter().enumerate() {
        for (j, timestamp) in TIMESTAMPS.into_iter().enumerate() {
            let id = (i * TIMESTAMPS.len() + j) as u64;
            let previous_event_id = id.saturating_sub(1);
            events.push(HistoryEvent { id, previous_event_id, timestamp, details: details.clone() });
        }
    }
    let details = EventDetails::MapRunSucceeded;
    events.push(HistoryEvent { id: u64::MAX, previous_event_id: u64::MAX, timestamp: 0, details });
    events
}

/// Assigned variables: none, one, several, a name assigned twice and a name assigned three times among others.
fn assigned(text: &str, other: &str) -> Vec<Vec<(String, String)>> {
    let pair = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    vec![
        vec![],
        vec![pair(text, other)],
        vec![pair("a", "1"), pair(text, "\"s\""), pair("b", other)],
        vec![pair("x", "1"), pair("y", text), pair("x", other)],
        vec![pair(text, "1"), pair("z", "2"), pair(text, "3"), pair("z", "4"), pair(text, other), pair("w", "[]")],
    ]
}

/// The wire form as a `Value`, member by member, optional ones appended where set: the reference the text is held
/// to.
fn reference(event: &HistoryEvent) -> Value {
    let event_type = match &event.details {
        EventDetails::StateEntered { state_type, .. } => format!("{state_type}StateEntered"),
        EventDetails::StateExited { state_type, .. } => format!("{state_type}StateExited"),
        EventDetails::StateAborted { state_type, .. } => format!("{state_type}StateAborted"),
        other => other.fixed_type().to_owned(),
    };
    let mut object = json!({
        "timestamp": event.timestamp as f64 / 1000.0,
        "type": event_type,
        "id": event.id,
        "previousEventId": event.previous_event_id,
    });
    if let Some((key, details)) = reference_details(&event.details) {
        object[key] = details;
    }
    object
}

/// The `…EventDetails` member name and value, if any.
fn reference_details(details: &EventDetails) -> Option<(&'static str, Value)> {
    let whole = json!({"truncated": false});
    let role = |role: &Option<String>| role.as_ref().map(|role| json!({"roleArn": role}));
    let (key, mut value, optional) = match details {
        EventDetails::ExecutionStarted { input, role_arn, state_machine_arn: _, version_arn, alias_arn } => (
            "executionStartedEventDetails",
            json!({"input": input, "inputDetails": whole, "roleArn": role_arn}),
            vec![
                ("stateMachineAliasArn", alias_arn.clone().map(Value::from)),
                ("stateMachineVersionArn", version_arn.clone().map(Value::from)),
            ],
        ),
        EventDetails::ExecutionSucceeded { output } => {
            ("executionSucceededEventDetails", json!({"output": output, "outputDetails": whole}), vec![])
        }
        EventDetails::ExecutionFailed(e) => ("executionFailedEventDetails", reference_error(e), vec![]),
        EventDetails::ExecutionTimedOut(e) => ("executionTimedOutEventDetails", reference_error(e), vec![]),
        EventDetails::ExecutionAborted(e) => ("executionAbortedEventDetails", reference_error(e), vec![]),
        EventDetails::ExecutionRedriven { redrive_count } => {
            ("executionRedrivenEventDetails", json!({"redriveCount": redrive_count}), vec![])
        }
        EventDetails::StateEntered { name, input, .. } => {
            ("stateEnteredEventDetails", json!({"name": name, "input": input, "inputDetails": whole}), vec![])
        }
        EventDetails::StateExited { name, output, assigned, .. } => {
            // Collected into an object: a name assigned twice keeps its first place and takes its last value.
            let variables = assigned.as_ref().map(|assigned| {
                let variables: Object<String, Value> =
                    assigned.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect();
                Value::Object(variables)
            });
            let details = assigned.as_ref().map(|_| whole.clone());
            (
                "stateExitedEventDetails",
                json!({"name": name, "output": output, "outputDetails": whole}),
                vec![("assignedVariables", variables), ("assignedVariablesDetails", details)],
            )
        }
        EventDetails::TaskScheduled(t) => (
            "taskScheduledEventDetails",
            json!({"resourceType": t.resource_type, "resource": t.resource, "region": t.region,
                   "parameters": t.parameters}),
            vec![
                ("timeoutInSeconds", t.timeout_in_seconds.map(Value::from)),
                ("heartbeatInSeconds", t.heartbeat_in_seconds.map(Value::from)),
                ("taskCredentials", role(&t.role_arn)),
            ],
        ),
        EventDetails::TaskStarted { resource_type, resource } => {
            ("taskStartedEventDetails", json!({"resourceType": resource_type, "resource": resource}), vec![])
        }
        EventDetails::TaskSucceeded { resource_type, resource, output } => (
            "taskSucceededEventDetails",
            json!({"resourceType": resource_type, "resource": resource, "output": output, "outputDetails": whole}),
            vec![],
        ),
        EventDetails::TaskFailed { resource_type, resource, error } => {
            ("taskFailedEventDetails", reference_task_error(resource_type, resource, error), vec![])
        }
        EventDetails::TaskTimedOut { resource_type, resource, error } => {
            ("taskTimedOutEventDetails", reference_task_error(resource_type, resource, error), vec![])
        }
        EventDetails::TaskSubmitted { resource_type, resource, output } => (
            "taskSubmittedEventDetails",
            json!({"resourceType": resource_type, "resource": resource, "output": output, "outputDetails": whole}),
            vec![],
        ),
        EventDetails::ActivityScheduled { resource, input, timeout_in_seconds, heartbeat_in_seconds } => (
            "activityScheduledEventDetails",
            json!({"resource": resource, "input": input, "inputDetails": whole}),
            vec![
                ("timeoutInSeconds", timeout_in_seconds.map(Value::from)),
                ("heartbeatInSeconds", heartbeat_in_seconds.map(Value::from)),
            ],
        ),
        EventDetails::ActivityStarted { worker_name } => {
            ("activityStartedEventDetails", json!({"workerName": worker_name}), vec![])
        }
        EventDetails::ActivitySucceeded { output } => {
            ("activitySucceededEventDetails", json!({"output": output, "outputDetails": whole}), vec![])
        }
        EventDetails::ActivityFailed(e) => ("activityFailedEventDetails", reference_error(e), vec![]),
        EventDetails::ActivityTimedOut(e) => ("activityTimedOutEventDetails", reference_error(e), vec![]),
        EventDetails::LambdaFunctionScheduled { resource, input, timeout_in_seconds, role_arn } => (
            "lambdaFunctionScheduledEventDetails",
            json!({"resource": resource, "input": input, "inputDetails": whole}),
            vec![("timeoutInSeconds", timeout_in_seconds.map(Value::from)), ("taskCredentials", role(role_arn))],
        ),
        EventDetails::LambdaFunctionSucceeded { output } => {
            ("lambdaFunctionSucceededEventDetails", json!({"output": output, "outputDetails": whole}), vec![])
        }
        EventDetails::LambdaFunctionFailed(e) => ("lambdaFunctionFailedEventDetails", reference_error(e), vec![]),
        EventDetails::LambdaFunctionTimedOut(e) => ("lambdaFunctionTimedOutEventDetails", reference_error(e), vec![]),
        EventDetails::MapStateStarted { length } => ("mapStateStartedEventDetails", json!({"length": length}), vec![]),
        EventDetails::MapIterationStarted { name, index } => {
            ("mapIterationStartedEventDetails", json!({"name": name, "index": index}), vec![])
        }
        EventDetails::MapIterationSucceeded { name, index } => {
            ("mapIterationSucceededEventDetails", json!({"name": name, "index": index}), vec![])
        }
        EventDetails::MapIterationFailed { name, index } => {
            ("mapIterationFailedEventDetails", json!({"name": name, "index": index}), vec![])
        }
        EventDetails::MapIterationAborted { name, index } => {
            ("mapIterationAbortedEventDetails", json!({"name": name, "index": index}), vec![])
        }
        EventDetails::MapRunStarted { map_run_arn } => {
            ("mapRunStartedEventDetails", json!({"mapRunArn": map_run_arn}), vec![])
        }
        EventDetails::MapRunFailed(e) => ("mapRunFailedEventDetails", reference_error(e), vec![]),
        EventDetails::MapRunRedriven { map_run_arn, redrive_count } => (
            "mapRunRedrivenEventDetails",
            json!({"mapRunArn": map_run_arn, "redriveCount": redrive_count}),
            vec![],
        ),
        EventDetails::EvaluationFailed { error, location, state } => (
            "evaluationFailedEventDetails",
            reference_error(error),
            vec![("location", location.clone().map(Value::from)), ("state", Some(state.clone().into()))],
        ),
        _ => return None,
    };
    for (member, optional) in optional {
        if let Some(optional) = optional {
            value[member] = optional;
        }
    }
    Some((key, value))
}

/// An error's members, each where set.
fn reference_error(e: &ErrorDetails) -> Value {
    let mut object = Object::new();
    for (key, text) in [("error", &e.error), ("cause", &e.cause)] {
        if let Some(text) = text {
            object.insert(key.into(), text.clone().into());
        }
    }
    Value::Object(object)
}

fn reference_task_error(resource_type: &str, resource: &str, error: &ErrorDetails) -> Value {
    let mut value = reference_error(error);
    value["resourceType"] = resource_type.into();
    value["resource"] = resource.into();
    value
}
