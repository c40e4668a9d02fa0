//! Which task resource answers a task: a mock, a local function, an HTTP endpoint (the HTTP Task), an AWS service
//! (AWS SDK and optimized integrations), or nothing (a clear failure).

use serde_json::Value;

use asl::Failure;
use engine::TaskRequest;
use integrations::functions::Functions;
use integrations::mock::TestCase;
use integrations::aws::Aws;
use integrations::aws::target::{Pattern, Target};
use integrations::{Caller, TaskError, http, lambda};

/// The task resources available to an execution.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    /// The mock test case in force, if any: its responses win over everything else.
    pub mocks: Option<TestCase>,
    pub functions: Functions,
    /// How HTTP Tasks (`arn:aws:states:::http:invoke`) call their endpoints.
    pub http: http::Options,
    /// How AWS calls are made (shared by every execution of the process).
    pub aws: Aws,
}

/// How a task will be answered.
pub(crate) enum Answer {
    /// Known now, without doing anything (a mock, or a failure to find a resource).
    Now(Result<Value, Failure>),
    /// Needs a blocking call, made by `Resources::invoke` off the async executor: a local function or an HTTP request.
    Function,
    /// An AWS call, made by `Resources::call` (async) or `Resources::call_blocking`.
    Aws(Target),
}

impl Resources {
    /// Decides how to answer the `invocation`-th call of `state`'s task `resource`.
    /// A Lambda resource is answered by the local function of its name, or by AWS Lambda when there is none.
    pub(crate) fn answer(&self, state: &str, resource: &str, parameters: &Value, invocation: u32) -> Answer {
        if let Some(outcome) = self.mocks.as_ref().and_then(|mocks| mocks.response(state, invocation)) {
            return Answer::Now(outcome.map_err(failure));
        }
        if let Some(answer) = self.route(resource, parameters) {
            return answer;
        }
        Answer::Now(Err(Failure::new(
            asl::errors::TASK_FAILED,
            format!(
                "Baton cannot call the resource '{resource}' of state '{state}': give a mocked response for it \
                 (--mock-config with --test-case) or use a local function"
            ),
        )))
    }

    /// Who makes a task's request, mocks aside: a local function or an HTTP endpoint (`Answer::Function`), an AWS
    /// service (`Answer::Aws`), or nobody Baton knows (`None`).
    pub(crate) fn route(&self, resource: &str, parameters: &Value) -> Option<Answer> {
        if http::is_http(resource) {
            return Some(Answer::Function);
        }
        if lambda::is_lambda(resource) {
            return Some(match lambda::function_name(resource, parameters) {
                Some(name) if !self.functions.contains(&name) => {
                    let arn = resource.starts_with("arn:") && resource.split(':').nth(2) == Some("lambda");
                    let pattern = if resource.ends_with(".waitForTaskToken") { Pattern::Callback } else { Pattern::RequestResponse };
                    Answer::Aws(Target::lambda(arn.then_some(resource), pattern))
                }
                _ => Answer::Function,
            });
        }
        Target::of(resource).map(Answer::Aws)
    }

    /// Makes the AWS call of a task `answer` left to `Answer::Aws`, for the execution `execution_arn`.
    pub(crate) async fn call(&self, execution_arn: &str, task: &TaskRequest, target: &Target) -> Result<Value, Failure> {
        let caller = Caller { execution_arn, state: &task.state_name, role_arn: task.role_arn.as_deref() };
        let token = integrations::aws::idempotency_token(execution_arn, task.task.0);
        self.aws.call(&task.resource, target, &task.parameters, &token, caller).await.map_err(failure)
    }

    /// Watches the `.sync` job a `call` started (`started` is its answer) until it ends.
    pub(crate) async fn wait(&self, execution_arn: &str, task: &TaskRequest, target: &Target, started: &Value) -> Result<Value, Failure> {
        let caller = Caller { execution_arn, state: &task.state_name, role_arn: task.role_arn.as_deref() };
        self.aws.wait(&task.resource, target, &task.parameters, started, caller).await.map_err(failure)
    }

    /// Stops the `.sync` job a `call` started, because its task was cancelled.
    pub(crate) async fn stop(&self, execution_arn: &str, task: &TaskRequest, target: &Target, started: &Value) {
        let caller = Caller { execution_arn, state: &task.state_name, role_arn: task.role_arn.as_deref() };
        self.aws.stop(target, &task.parameters, started, caller).await;
    }

    /// `call`, and for `.sync` the wait for its job, for a thread outside any async runtime (`baton run`).
    pub(crate) fn call_blocking(&self, execution_arn: &str, task: &TaskRequest, target: &Target) -> Result<Value, Failure> {
        let caller = Caller { execution_arn, state: &task.state_name, role_arn: task.role_arn.as_deref() };
        let token = integrations::aws::idempotency_token(execution_arn, task.task.0);
        self.aws.call_blocking(&task.resource, target, &task.parameters, &token, caller).map_err(failure)
    }

    /// Calls the resource of a task `answer` left to `Answer::Function`: an HTTP Task's endpoint, or a Lambda resource
    /// through the local functions, which log under `execution_arn` and the task's state. Blocking.
    pub(crate) fn invoke(&self, execution_arn: &str, task: &TaskRequest) -> Result<Value, Failure> {
        let (resource, parameters) = (task.resource.as_str(), &task.parameters);
        let outcome = if http::is_http(resource) {
            http::invoke(parameters, &self.http)
        } else {
            let caller = Caller { execution_arn, state: &task.state_name, role_arn: task.role_arn.as_deref() };
            lambda::invoke(&self.functions, resource, parameters, caller)
        };
        outcome.map_err(failure)
    }
}

fn failure(error: TaskError) -> Failure {
    Failure { error: error.error, cause: error.cause }
}
