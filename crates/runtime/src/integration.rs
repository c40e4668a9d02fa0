//! The one seam between Task states and what answers them. An `Integration` is chosen once per resource when an
//! execution's machine is loaded (`Routes::of`), and the runtime drives every kind the same way: `invoke` makes the
//! request (the answer, or for `.waitForTaskToken` the request's own answer), a job's `wait` watches it to its end and
//! `stop` stops it. Local functions and HTTP endpoints (blocking calls, made off the executor), AWS services (async,
//! through `integrations::aws`), Lambda (a local function of that name, else AWS Lambda), activities and child
//! executions (driven by the service, which owns their queues and records) are integrations; a mock answers before
//! any of them, per state and invocation.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

use asl::Failure;
use asl::model::{StateKind, StateMachine};
use engine::TaskRequest;
use integrations::aws::target::{Pattern, Target};
use integrations::{Trace, http, lambda};

use crate::resources::Resources;

/// A request in flight: its outcome when it completes.
pub(crate) type Pending = Pin<Box<dyn Future<Output = Result<Value, Failure>> + Send + 'static>>;

/// How the runtime drives an integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `invoke` gives the task's result (or, for a callback, the request's answer).
    Request,
    /// `invoke` starts a job (`.sync`): its answer is recorded (`TaskSubmitted`), then `wait` gives the result.
    Job,
    /// An activity task: queued for a worker, answered by its token (`baton serve` only).
    Activity,
    /// A child execution (`states:startExecution`), started by the service.
    Child,
    /// Nothing Baton can call: a callback's token is its whole interface; otherwise `invoke` fails, saying so.
    Unknown,
}

/// A kind of task resource.
pub(crate) trait Integration: Send + Sync + fmt::Debug {
    fn kind(&self) -> Kind {
        Kind::Request
    }

    /// Makes the request of `task`, a task of execution `execution_arn`, with `resources`; the request continues
    /// `trace` when given. Runs on the async runtime.
    fn invoke(&self, resources: Arc<Resources>, execution_arn: String, task: TaskRequest, trace: Option<Trace>) -> Pending;

    /// Watches the job `invoke` started (`started` is its answer) until it ends. Only for `Kind::Job`.
    fn wait(&self, resources: Arc<Resources>, execution_arn: String, task: TaskRequest, started: Value, trace: Option<Trace>) -> Pending {
        let _ = (resources, execution_arn, task, trace);
        Box::pin(async move { Ok(started) })
    }

    /// Stops the job `invoke` started, because its task was cancelled. Only for `Kind::Job`.
    fn stop(&self, resources: Arc<Resources>, execution_arn: String, task: TaskRequest, started: Value, trace: Option<Trace>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let _ = (resources, execution_arn, task, started, trace);
        Box::pin(async {})
    }
}

/// The integration of every Task resource of a machine, chosen when the machine is loaded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Routes {
    by_resource: HashMap<String, Arc<dyn Integration>>,
}

impl Routes {
    /// The integrations of `machine`'s Task states.
    pub(crate) fn of(machine: &StateMachine) -> Routes {
        let mut by_resource = HashMap::new();
        for state in machine.workflows.iter().flat_map(|workflow| &workflow.states) {
            if let StateKind::Task(task) = &state.kind {
                by_resource.entry(task.resource.clone()).or_insert_with(|| choose(&task.resource));
            }
        }
        Routes { by_resource }
    }

    /// The integration of `resource` (chosen now if the machine did not name it, which only a test does).
    pub(crate) fn get(&self, resource: &str) -> Arc<dyn Integration> {
        self.by_resource.get(resource).cloned().unwrap_or_else(|| choose(resource))
    }
}

/// The resource prefix of a child execution task.
pub(crate) const CHILD_RESOURCE: &str = "arn:aws:states:::states:startExecution";

/// Whether a Task resource starts a child execution.
pub(crate) fn is_start_execution(resource: &str) -> bool {
    resource == CHILD_RESOURCE || resource.strip_prefix(CHILD_RESOURCE).is_some_and(|suffix| suffix.starts_with('.'))
}

/// The integration of `resource`.
fn choose(resource: &str) -> Arc<dyn Integration> {
    if engine::ResourceKind::of(resource) == engine::ResourceKind::Activity {
        return Arc::new(Served(Kind::Activity));
    }
    if is_start_execution(resource) {
        return Arc::new(Served(Kind::Child));
    }
    if http::is_http(resource) {
        return Arc::new(Blocking);
    }
    if lambda::is_lambda(resource) {
        let arn = resource.starts_with("arn:") && resource.split(':').nth(2) == Some("lambda");
        let pattern = if resource.ends_with(".waitForTaskToken") { Pattern::Callback } else { Pattern::RequestResponse };
        return Arc::new(Lambda { aws: Target::lambda(arn.then_some(resource), pattern) });
    }
    match Target::of(resource) {
        Some(target) => Arc::new(Aws { target }),
        None => Arc::new(Unknown),
    }
}

/// A local function or an HTTP endpoint: a blocking call, made on a blocking thread.
#[derive(Debug)]
struct Blocking;

impl Integration for Blocking {
    fn invoke(&self, resources: Arc<Resources>, execution_arn: String, task: TaskRequest, trace: Option<Trace>) -> Pending {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || resources.invoke(&execution_arn, &task, trace))
                .await
                .unwrap_or_else(|e| Err(Failure::new(asl::errors::TASK_FAILED, format!("the task's call panicked: {e}"))))
        })
    }
}

/// A Lambda resource: the local function of that name when the functions file has one (the name may come from the
/// parameters, and the file may be reloaded), else AWS Lambda.
#[derive(Debug)]
struct Lambda {
    aws: Target,
}

impl Integration for Lambda {
    fn invoke(&self, resources: Arc<Resources>, execution_arn: String, task: TaskRequest, trace: Option<Trace>) -> Pending {
        let local = lambda::function_name(&task.resource, &task.parameters).is_none_or(|name| resources.functions.contains(&name));
        if local {
            return Blocking.invoke(resources, execution_arn, task, trace);
        }
        let target = self.aws.clone();
        Box::pin(async move { resources.call(&execution_arn, &task, &target, trace).await })
    }
}

/// An AWS service: an AWS SDK integration or an optimized one.
#[derive(Debug)]
struct Aws {
    target: Target,
}

impl Integration for Aws {
    fn kind(&self) -> Kind {
        if self.target.pattern == Pattern::Sync { Kind::Job } else { Kind::Request }
    }

    fn invoke(&self, resources: Arc<Resources>, execution_arn: String, task: TaskRequest, trace: Option<Trace>) -> Pending {
        let target = self.target.clone();
        Box::pin(async move { resources.call(&execution_arn, &task, &target, trace).await })
    }

    fn wait(&self, resources: Arc<Resources>, execution_arn: String, task: TaskRequest, started: Value, trace: Option<Trace>) -> Pending {
        let target = self.target.clone();
        Box::pin(async move { resources.wait(&execution_arn, &task, &target, &started, trace).await })
    }

    fn stop(&self, resources: Arc<Resources>, execution_arn: String, task: TaskRequest, started: Value, trace: Option<Trace>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let target = self.target.clone();
        Box::pin(async move { resources.stop(&execution_arn, &task, &target, &started, trace).await })
    }
}

/// What the service drives itself (`Kind::Activity`: it queues the tasks for workers; `Kind::Child`: it starts the
/// child execution); in process there is no service, and `invoke` fails saying so.
#[derive(Debug)]
struct Served(Kind);

impl Integration for Served {
    fn kind(&self) -> Kind {
        self.0
    }

    fn invoke(&self, _: Arc<Resources>, _: String, task: TaskRequest, _: Option<Trace>) -> Pending {
        Box::pin(async move { Err(only_served(&task)) })
    }
}

/// A resource Baton does not know.
#[derive(Debug)]
struct Unknown;

impl Integration for Unknown {
    fn kind(&self) -> Kind {
        Kind::Unknown
    }

    fn invoke(&self, _: Arc<Resources>, _: String, task: TaskRequest, _: Option<Trace>) -> Pending {
        let message = format!(
            "Baton cannot call the resource '{}' of state '{}': give a mocked response for it (--mock-config with \
             --test-case) or use a local function",
            task.resource, task.state_name
        );
        Box::pin(async move { Err(Failure::new(asl::errors::TASK_FAILED, message)) })
    }
}

/// The failure of a task only `baton serve` can run (activities, child executions) when run in process.
fn only_served(task: &TaskRequest) -> Failure {
    Failure::new(
        asl::errors::TASK_FAILED,
        format!(
            "the task of state '{}' ({}) needs `baton serve`; give it a mocked response to run it here",
            task.state_name, task.resource
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::{Kind, Routes, is_start_execution};

    #[test]
    fn recognises_the_resource() {
        assert!(is_start_execution("arn:aws:states:::states:startExecution"));
        assert!(is_start_execution("arn:aws:states:::states:startExecution.sync:2"));
        assert!(is_start_execution("arn:aws:states:::states:startExecution.waitForTaskToken"));
        assert!(!is_start_execution("arn:aws:states:::states:startExecutionX"));
    }

    #[test]
    fn each_resource_gets_its_integration_when_the_machine_loads() {
        let definition = serde_json::json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "Next": "C"},
            "C": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:work", "Next": "D"},
            "D": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "Next": "E"},
            "E": {"Type": "Task", "Resource": "arn:aws:states:::nosuch:thing", "Next": "F"},
            "F": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}
        }});
        let machine = asl::parse::parse_value(&definition).expect("a valid machine");
        let routes = Routes::of(&machine);
        let kind = |resource: &str| routes.get(resource).kind();
        assert_eq!(kind("arn:aws:states:::aws-sdk:s3:getObject"), Kind::Request);
        assert_eq!(kind("arn:aws:states:::glue:startJobRun.sync"), Kind::Job);
        assert_eq!(kind("arn:aws:states:us-east-1:123456789012:activity:work"), Kind::Activity);
        assert_eq!(kind("arn:aws:states:::states:startExecution.sync:2"), Kind::Child);
        assert_eq!(kind("arn:aws:states:::nosuch:thing"), Kind::Unknown);
        assert_eq!(kind("arn:aws:states:::lambda:invoke"), Kind::Request);
        assert_eq!(routes.by_resource.len(), 6);
    }
}
