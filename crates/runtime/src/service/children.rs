//! Child executions: `arn:aws:states:::states:startExecution` in this same server, with `.sync` (the child's
//! output as text), `.sync:2` (as JSON) and `.waitForTaskToken` (the child answers the parent's token).
//!
//! A child started without a `Name` gets one derived from the parent execution and the task, so that a task invoked
//! again after a restart finds the child it started before instead of starting a second one.

use serde_json::{Map as Object, Value, json};

use asl::Failure;
use engine::TaskRequest;

use integrations::Trace;
use integrations::aws::target::Target;

use crate::service::{Error, Execution, Service, StartExecution, Status, names};

use crate::integration::CHILD_RESOURCE as RESOURCE;

/// The child a task starts on another server.
struct Call<'a> {
    machine: &'a str,
    name: &'a str,
    input: &'a str,
    pattern: Pattern,
    trace: Option<Trace>,
}

/// How the parent waits for the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// The task ends when the child has started.
    Start,
    /// The task ends with the child: its output as JSON text (`.sync`) or as JSON (`.sync:2`).
    Sync { json: bool },
}

/// Starts the child of `request` (a task of execution `parent`) and, for `.sync`, waits for it to end. With `trace`
/// (the parent's task span), the child continues the parent's trace: its `traceHeader` is that `traceparent`.
pub(crate) async fn run(service: &Service, parent: &str, request: &TaskRequest, trace: Option<Trace>) -> Result<Value, Failure> {
    // The child is the parent's account's: a machine of that account is on this server, any other elsewhere.
    let scoped = names::account_of(parent).map(|account| service.for_account(account));
    let service = scoped.as_ref().unwrap_or(service);
    let pattern = match request.resource.strip_prefix(RESOURCE).unwrap_or("") {
        ".sync" => Pattern::Sync { json: false },
        ".sync:2" => Pattern::Sync { json: true },
        _ => Pattern::Start,
    };
    let parameters = &request.parameters;
    let Some(machine) = parameters.get("StateMachineArn").and_then(Value::as_str) else {
        return Err(Failure::runtime("The field 'StateMachineArn' is required but was missing"));
    };
    let input = match parameters.get("Input") {
        None => "{}".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(value) => value.to_string(),
    };
    let name = match parameters.get("Name").and_then(Value::as_str) {
        Some(name) => name.to_owned(),
        None => child_name(parent, request.task.0),
    };
    if let Some(elsewhere) = remote(service, machine) {
        tracing::debug!(execution_arn = parent, state_machine_arn = machine, elsewhere, "starting a child on another server");
        return remote_run(service, parent, request, Call { machine, name: &name, input: &input, pattern, trace }).await;
    }
    let start = StartExecution {
        state_machine_arn: machine.to_owned(),
        name: Some(name.clone()),
        input: Some(input),
        trace_header: trace.map(|trace| trace.traceparent()),
    };
    let arn = match service.start_execution(start).await {
        Ok(started) => started.execution_arn,
        // Invoked again after a restart: the child exists already.
        Err(Error::ExecutionAlreadyExists(_)) => {
            format!("{}:{name}", machine.replacen(":stateMachine:", ":execution:", 1))
        }
        Err(error) => return Err(service_failure(&error)),
    };
    let execution = service.wait(&arn, pattern != Pattern::Start).await.map_err(|error| service_failure(&error))?;
    let Pattern::Sync { json } = pattern else {
        return Ok(json!({"ExecutionArn": execution.arn, "StartDate": execution.start}));
    };
    let described = described(&execution, json);
    if execution.status == Status::Succeeded {
        Ok(described)
    } else {
        Err(Failure::new(asl::errors::TASK_FAILED, described.to_string()))
    }
}

/// Where a state machine lives when it is not on this server: its ARN names another region or account (another
/// Step Functions, reached as the AWS configuration says: AWS itself, or `AWS_ENDPOINT_URL_SFN`).
fn remote<'a>(service: &Service, machine: &'a str) -> Option<&'a str> {
    let mut parts = machine.split(':');
    let (region, account) = (parts.nth(3)?, parts.next()?);
    (region != service.region() || account != service.account_id()).then_some(region)
}

/// A child on another server: `StartExecution` there (the same name on a repeat after a restart, so the other server
/// recognises it), and for `.sync` its `DescribeExecution` until it ends, shaped as for a child here.
async fn remote_run(service: &Service, parent: &str, request: &TaskRequest, child: Call<'_>) -> Result<Value, Failure> {
    let Call { machine, name, input, pattern, trace } = child;
    let resources = service.inner.config.resources.clone();
    let call = |action: &str, parameters: Value| {
        let target = Target::of(&format!("arn:aws:states:::aws-sdk:sfn:{action}")).expect("an AWS SDK resource");
        let task = TaskRequest { parameters, ..request.clone() };
        let resources = resources.clone();
        async move { resources.call(parent, &task, &target, trace).await.map_err(step_functions_failure) }
    };
    let mut start = json!({"StateMachineArn": machine, "Name": name, "Input": input});
    if let Some(trace) = trace {
        start["TraceHeader"] = Value::String(trace.xray());
    }
    let started = call("startExecution", start).await?;
    let Pattern::Sync { json } = pattern else { return Ok(started) };
    let arn = started.get("ExecutionArn").cloned().unwrap_or(Value::Null);
    let mut pause = std::time::Duration::from_millis(250);
    loop {
        let mut described = call("describeExecution", json!({"ExecutionArn": arn})).await?;
        let status = described.get("Status").and_then(Value::as_str).unwrap_or("RUNNING").to_owned();
        if status != "RUNNING" && status != "PENDING_REDRIVE" {
            if json {
                for key in ["Input", "Output"] {
                    if let Some(Value::String(text)) = described.get(key) {
                        let parsed = serde_json::from_str(text).unwrap_or(Value::Null);
                        described[key] = parsed;
                    }
                }
            }
            return if status == "SUCCEEDED" { Ok(described) } else { Err(Failure::new(asl::errors::TASK_FAILED, described.to_string())) };
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(5));
    }
}

/// An AWS SDK failure of Step Functions (`Sfn.…`) as the optimized integration names it (`StepFunctions.…`).
fn step_functions_failure(failure: Failure) -> Failure {
    match failure.error.strip_prefix("Sfn.") {
        Some(rest) => Failure { error: format!("StepFunctions.{rest}"), cause: failure.cause },
        None => failure,
    }
}

/// The child as `DescribeExecution` reports it to a `.sync` parent (`.sync:2`: input and output as JSON).
fn described(execution: &Execution, json: bool) -> Value {
    let data = |text: &str| if json { serde_json::from_str(text).unwrap_or(Value::Null) } else { Value::String(text.to_owned()) };
    let status = match execution.status {
        Status::Running => "RUNNING",
        Status::Succeeded => "SUCCEEDED",
        Status::Failed => "FAILED",
        Status::TimedOut => "TIMED_OUT",
        Status::Aborted => "ABORTED",
    };
    let mut object = Object::new();
    object.insert("ExecutionArn".into(), execution.arn.clone().into());
    object.insert("Input".into(), data(&execution.input));
    object.insert("InputDetails".into(), json!({"Included": true}));
    object.insert("Name".into(), execution.name.clone().into());
    if let Some(output) = &execution.output {
        object.insert("Output".into(), data(output));
        object.insert("OutputDetails".into(), json!({"Included": true}));
    }
    if let Some(error) = &execution.error {
        object.insert("Error".into(), error.clone().into());
    }
    if let Some(cause) = &execution.cause {
        object.insert("Cause".into(), cause.clone().into());
    }
    object.insert("StartDate".into(), execution.start.into());
    object.insert("StateMachineArn".into(), execution.state_machine_arn.clone().into());
    object.insert("Status".into(), status.into());
    if let Some(stop) = execution.stop {
        object.insert("StopDate".into(), stop.into());
    }
    Value::Object(object)
}

/// A service error as the task failure AWS's Step Functions integration reports (`StepFunctions.<Code>Exception`).
fn service_failure(error: &Error) -> Failure {
    let code = error.code();
    let name = if code.ends_with("Exception") { code.to_owned() } else { format!("{code}Exception") };
    Failure::new(format!("StepFunctions.{name}"), error.to_string())
}

/// A name for a child started without one: the same for the same parent and task, in UUID form.
fn child_name(parent: &str, task: u64) -> String {
    let hash = |seed: u64| {
        let mut h = seed;
        for byte in parent.bytes().chain(task.to_le_bytes()) {
            h = (h ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
        }
        h
    };
    names::uuid_from(hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4))
}

#[cfg(test)]
mod tests {
    use super::child_name;

    #[test]
    fn child_names_are_stable_per_parent_and_task() {
        assert_eq!(child_name("p", 1), child_name("p", 1));
        assert_ne!(child_name("p", 1), child_name("p", 2));
        assert_eq!(child_name("p", 1).len(), 36);
    }
}
