//! What answers tasks: the mock test case in force, the local functions, how HTTP Tasks and AWS calls are made. The
//! `integration` of a resource decides which of them makes a task's request.

use serde_json::Value;

use asl::Failure;
use engine::TaskRequest;
use integrations::functions::Functions;
use integrations::mock::TestCase;
use integrations::aws::Aws;
use integrations::aws::target::Target;
use integrations::{Caller, TaskError, Trace, http, lambda};

/// The task resources available to an execution.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    /// The mock test case in force, if any: its responses win over everything else.
    pub mocks: Option<TestCase>,
    pub functions: Functions,
    /// How HTTP Tasks (`arn:aws:states:::http:invoke`) call their endpoints; its `egress` policy also decides which
    /// hosts functions given as URLs may be called at.
    pub http: http::Options,
    /// How AWS calls are made (shared by every execution of the process).
    pub aws: Aws,
}

impl Resources {
    /// The mock test case's answer to the `invocation`-th call of `state`'s task, if it has one.
    pub(crate) fn mocked(&self, state: &str, invocation: u32) -> Option<Result<Value, Failure>> {
        self.mocks.as_ref().and_then(|mocks| mocks.response(state, invocation)).map(|outcome| outcome.map_err(failure))
    }

    /// Makes the AWS call `target` of a task of the execution `execution_arn`, continuing `trace`.
    pub(crate) async fn call(&self, execution_arn: &str, task: &TaskRequest, target: &Target, trace: Option<Trace>) -> Result<Value, Failure> {
        let caller = caller(execution_arn, task, trace);
        let token = integrations::aws::idempotency_token(execution_arn, task.task.0);
        self.aws.call(&task.resource, target, &task.parameters, &token, caller).await.map_err(failure)
    }

    /// Watches the `.sync` job a `call` started (`started` is its answer) until it ends.
    pub(crate) async fn wait(&self, execution_arn: &str, task: &TaskRequest, target: &Target, started: &Value, trace: Option<Trace>) -> Result<Value, Failure> {
        let caller = caller(execution_arn, task, trace);
        self.aws.wait(&task.resource, target, &task.parameters, started, caller).await.map_err(failure)
    }

    /// Stops the `.sync` job a `call` started, because its task was cancelled.
    pub(crate) async fn stop(&self, execution_arn: &str, task: &TaskRequest, target: &Target, started: &Value, trace: Option<Trace>) {
        let caller = caller(execution_arn, task, trace);
        self.aws.stop(target, &task.parameters, started, caller).await;
    }

    /// Makes a blocking call: an HTTP Task's endpoint, or a Lambda resource through the local functions, which log
    /// under `execution_arn` and the task's state; the request continues `trace`.
    pub(crate) fn invoke(&self, execution_arn: &str, task: &TaskRequest, trace: Option<Trace>) -> Result<Value, Failure> {
        let (resource, parameters) = (task.resource.as_str(), &task.parameters);
        let outcome = if http::is_http(resource) {
            http::invoke_traced(parameters, &self.http, trace)
        } else {
            let caller = caller(execution_arn, task, trace);
            let options = lambda::Options { egress: self.http.egress.clone(), ..lambda::Options::default() };
            lambda::invoke_with(&self.functions, resource, parameters, &options, caller)
        };
        outcome.map_err(failure)
    }
}

/// Who makes a task's call: its execution, its state, the role it assumes, and the trace it continues.
fn caller<'a>(execution_arn: &'a str, task: &'a TaskRequest, trace: Option<Trace>) -> Caller<'a> {
    Caller { execution_arn, state: &task.state_name, role_arn: task.role_arn.as_deref(), trace }
}

fn failure(error: TaskError) -> Failure {
    Failure { error: error.error, cause: error.cause }
}
