//! Which task resource answers a task: a mock, a local function, or nothing (a clear failure).

use serde_json::Value;

use asl::Failure;
use integrations::functions::Functions;
use integrations::mock::TestCase;
use integrations::{TaskError, lambda};

/// The task resources available to an execution.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    /// The mock test case in force, if any: its responses win over everything else.
    pub mocks: Option<TestCase>,
    pub functions: Functions,
}

/// How a task will be answered.
pub(crate) enum Answer {
    /// Known now, without doing anything (a mock, or a failure to find a resource).
    Now(Result<Value, Failure>),
    /// Needs a local function to run.
    Function,
}

impl Resources {
    /// Decides how to answer the `invocation`-th call of `state`'s task `resource`.
    pub(crate) fn answer(&self, state: &str, resource: &str, invocation: u32) -> Answer {
        if let Some(outcome) = self.mocks.as_ref().and_then(|mocks| mocks.response(state, invocation)) {
            return Answer::Now(outcome.map_err(failure));
        }
        if lambda::is_lambda(resource) {
            return Answer::Function;
        }
        Answer::Now(Err(Failure::new(
            asl::errors::TASK_FAILED,
            format!(
                "Baton cannot call the resource '{resource}' of state '{state}': give a mocked response for it \
                 (--mock-config with --test-case) or use a local function"
            ),
        )))
    }

    /// Runs a Lambda resource through the local functions. Blocking.
    pub(crate) fn invoke(&self, resource: &str, parameters: &Value) -> Result<Value, Failure> {
        lambda::invoke(&self.functions, resource, parameters).map_err(failure)
    }
}

fn failure(error: TaskError) -> Failure {
    Failure { error: error.error, cause: error.cause }
}
