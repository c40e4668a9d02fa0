//! The execution service behind `baton serve`: state machines and durable executions on a `Store`.
//!
//! Every API action the server exposes is one method here; the server only converts wire types. Standard executions
//! are durable: each step's trigger and events are committed (group commit) before its effects run, and on start-up
//! every running execution is rebuilt by re-folding its triggers, then its timers are re-armed and its in-flight tasks
//! invoked again (at least once). Express executions run in memory.
//!
//! STUB: the public API below is the contract; the bodies are being written.

use store::{Execution, Kind, Page, PageRequest, StateMachine, Status};

/// What the service needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    pub region: String,
    pub account_id: String,
    pub data_dir: std::path::PathBuf,
    pub limits: engine::Limits,
    /// Local functions and the mock config, as `baton run` takes them.
    pub resources: std::sync::Arc<crate::Resources>,
    pub mock_config: Option<integrations::mock::MockConfig>,
    /// How long finished Express executions stay listed and readable, in seconds.
    pub express_retention_seconds: u64,
}

/// `CreateStateMachine`.
#[derive(Debug, Clone, Default)]
pub struct CreateStateMachine {
    pub name: String,
    pub definition: String,
    pub role_arn: String,
    /// `None` is STANDARD.
    pub kind: Option<Kind>,
    pub logging_configuration: Option<String>,
    pub tracing_configuration: Option<String>,
    pub tags: Vec<(String, String)>,
}

/// `UpdateStateMachine`: what is `Some` changes.
#[derive(Debug, Clone, Default)]
pub struct UpdateStateMachine {
    pub arn: String,
    pub definition: Option<String>,
    pub role_arn: Option<String>,
    pub logging_configuration: Option<String>,
    pub tracing_configuration: Option<String>,
}

/// `StartExecution` and `StartSyncExecution`. `state_machine_arn` may end in `#TestCase` to pick mocks.
#[derive(Debug, Clone, Default)]
pub struct StartExecution {
    pub state_machine_arn: String,
    pub name: Option<String>,
    /// JSON text; `None` is `{}`.
    pub input: Option<String>,
    pub trace_header: Option<String>,
}

/// `GetExecutionHistory`.
#[derive(Debug, Clone, Default)]
pub struct HistoryRequest {
    pub execution_arn: String,
    pub reverse: bool,
    /// `false` leaves inputs and outputs out of the events, as `includeExecutionData: false` asks.
    pub include_data: bool,
    pub page: PageRequest,
}

/// A started execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    pub execution_arn: String,
    pub start_date: i64,
}

/// Errors, each an AWS error code with its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{0}")]
    StateMachineDoesNotExist(String),
    #[error("{0}")]
    StateMachineAlreadyExists(String),
    #[error("{0}")]
    StateMachineDeleting(String),
    #[error("{0}")]
    StateMachineTypeNotSupported(String),
    #[error("{0}")]
    ExecutionDoesNotExist(String),
    #[error("{0}")]
    ExecutionAlreadyExists(String),
    #[error("{0}")]
    InvalidArn(String),
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    InvalidDefinition(String),
    #[error("{0}")]
    InvalidExecutionInput(String),
    #[error("{0}")]
    InvalidToken(String),
    #[error("{0}")]
    ValidationException(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The AWS error code (`__type`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            Error::StateMachineAlreadyExists(_) => "StateMachineAlreadyExists",
            Error::StateMachineDeleting(_) => "StateMachineDeleting",
            Error::StateMachineTypeNotSupported(_) => "StateMachineTypeNotSupported",
            Error::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            Error::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            Error::InvalidArn(_) => "InvalidArn",
            Error::InvalidName(_) => "InvalidName",
            Error::InvalidDefinition(_) => "InvalidDefinition",
            Error::InvalidExecutionInput(_) => "InvalidExecutionInput",
            Error::InvalidToken(_) => "InvalidToken",
            Error::ValidationException(_) => "ValidationException",
            Error::Internal(_) => "InternalFailure",
        }
    }
}

/// The service: cheap to clone, shared by all request handlers.
#[derive(Clone)]
pub struct Service {}

impl Service {
    /// Opens the store in `config.data_dir`, recovers running executions, and starts the background work.
    pub async fn open(config: Config) -> Result<Service, Error> {
        let _ = config;
        Ok(Service {})
    }

    /// Stops taking work, lets in-flight commits finish, and closes the store.
    pub async fn shutdown(&self) {}

    pub fn region(&self) -> &str {
        "us-east-1"
    }

    pub fn account_id(&self) -> &str {
        "123456789012"
    }

    pub async fn create_state_machine(&self, request: CreateStateMachine) -> Result<StateMachine, Error> {
        Err(Error::Internal(format!("not implemented: {}", request.name)))
    }

    pub async fn describe_state_machine(&self, arn: &str) -> Result<StateMachine, Error> {
        Err(Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{arn}'")))
    }

    pub async fn update_state_machine(&self, request: UpdateStateMachine) -> Result<StateMachine, Error> {
        Err(Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{}'", request.arn)))
    }

    pub async fn delete_state_machine(&self, arn: &str) -> Result<(), Error> {
        let _ = arn;
        Ok(())
    }

    pub async fn list_state_machines(&self, page: PageRequest) -> Result<Page<StateMachine>, Error> {
        let _ = page;
        Ok(Page { items: Vec::new(), next_token: None })
    }

    pub async fn start_execution(&self, request: StartExecution) -> Result<Started, Error> {
        Err(Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{}'", request.state_machine_arn)))
    }

    /// Runs an Express execution to its end and returns it.
    pub async fn start_sync_execution(&self, request: StartExecution) -> Result<Execution, Error> {
        Err(Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{}'", request.state_machine_arn)))
    }

    /// Stops a running execution; returns the stop date.
    pub async fn stop_execution(&self, arn: &str, error: Option<String>, cause: Option<String>) -> Result<i64, Error> {
        let _ = (error, cause);
        Err(Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'")))
    }

    pub async fn describe_execution(&self, arn: &str) -> Result<Execution, Error> {
        Err(Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'")))
    }

    pub async fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<Status>,
        page: PageRequest,
    ) -> Result<Page<Execution>, Error> {
        let _ = (status, page);
        Err(Error::StateMachineDoesNotExist(format!("State Machine Does Not Exist: '{state_machine_arn}'")))
    }

    /// History events as `GetExecutionHistory` returns them (wire JSON values).
    pub async fn get_execution_history(&self, request: HistoryRequest) -> Result<Page<serde_json::Value>, Error> {
        Err(Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{}'", request.execution_arn)))
    }

    /// The state machine as the execution ran it.
    pub async fn describe_state_machine_for_execution(&self, arn: &str) -> Result<StateMachine, Error> {
        Err(Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'")))
    }
}
