//! ASL failures as values: an error name and a cause, and how `ErrorEquals` matches them.

use std::fmt;

/// A failure in the language's sense: it flows through `Retry` and `Catch` as data. Not a Rust error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: String,
    pub cause: Option<String>,
}

/// The predefined error names.
pub mod errors {
    pub const ALL: &str = "States.ALL";
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    pub const PERMISSIONS: &str = "States.Permissions";
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
    pub const RUNTIME: &str = "States.Runtime";
    pub const TASK_FAILED: &str = "States.TaskFailed";
    pub const TIMEOUT: &str = "States.Timeout";
}

impl Failure {
    /// A failure with a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Failure {
        Failure { error: error.into(), cause: Some(cause.into()) }
    }

    /// `States.Runtime` with `cause`.
    pub fn runtime(cause: impl Into<String>) -> Failure {
        Failure::new(errors::RUNTIME, cause)
    }

    /// `States.IntrinsicFailure` with `cause`.
    pub fn intrinsic(cause: impl Into<String>) -> Failure {
        Failure::new(errors::INTRINSIC_FAILURE, cause)
    }

    /// Whether a `Retry` or `Catch` whose `ErrorEquals` names `pattern` handles this failure.
    ///
    /// `States.Runtime` is never caught, not even by name. `States.ALL` matches every other error (AWS's record shows
    /// it catching `States.DataLimitExceeded` from a task); `States.TaskFailed` matches those except
    /// `States.Timeout`; any other name matches only itself.
    pub fn matches(&self, pattern: &str) -> bool {
        if self.error == errors::RUNTIME {
            return false;
        }
        if pattern == self.error {
            return true;
        }
        match pattern {
            errors::ALL => true,
            errors::TASK_FAILED => self.error != errors::TIMEOUT,
            _ => false,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause}", self.error),
            None => f.write_str(&self.error),
        }
    }
}
