//! Wire types of the AWS Step Functions API (AWS JSON 1.0), as the botocore `stepfunctions` 2016-11-23 model names
//! them.
//!
//! Every request and response member is lowerCamelCase; optional members are left out when `None`; timestamps are
//! epoch seconds with a fraction (`f64`); definitions, inputs and outputs are JSON *text* (`String`), never parsed
//! values. Request members that carry an enum (`type`, `statusFilter`, `includedData`, logging `level`) are plain
//! strings, so that the server can report an unknown value the way AWS does (`ValidationException`) instead of
//! failing deserialization. History events are passed through as `serde_json::Value`.
//!
//! This is a leaf crate: serde only. It holds no logic, no validation and no domain types; the server converts
//! between these types and the runtime's.

mod actions;
mod configuration;
mod error;
mod execution;
mod history;
mod map_run;
mod redrive;
mod state_machine;
mod task;
mod tagging;
mod test_state;
mod validation;
mod version;

pub use actions::{ACTIONS, TARGET_PREFIX};
pub use configuration::{
    CloudWatchLogsLogGroup, EncryptionConfiguration, LogDestination, LoggingConfiguration, Tag, TracingConfiguration,
};
pub use error::ErrorBody;
pub use execution::{
    BillingDetails, DataDetails, DescribeExecutionInput, DescribeExecutionOutput, ExecutionListItem, ExecutionStatus,
    ListExecutionsInput, ListExecutionsOutput, StartExecutionInput, StartExecutionOutput, StartSyncExecutionInput,
    StartSyncExecutionOutput, StopExecutionInput, StopExecutionOutput, SyncExecutionStatus,
};
pub use history::{GetExecutionHistoryInput, GetExecutionHistoryOutput};
pub use map_run::{
    DescribeMapRunInput, DescribeMapRunOutput, ListMapRunsInput, ListMapRunsOutput, MapRunCounts, MapRunListItem,
    MapRunStatus, UpdateMapRunInput,
};
pub use state_machine::{
    CreateStateMachineInput, CreateStateMachineOutput, DeleteStateMachineInput, DeleteStateMachineOutput,
    DescribeStateMachineForExecutionInput, DescribeStateMachineForExecutionOutput, DescribeStateMachineInput,
    DescribeStateMachineOutput, ListStateMachinesInput, ListStateMachinesOutput, StateMachineListItem,
    StateMachineStatus, StateMachineType, UpdateStateMachineInput, UpdateStateMachineOutput,
};
pub use tagging::{
    ListTagsForResourceInput, ListTagsForResourceOutput, TagResourceInput, TagResourceOutput, UntagResourceInput,
    UntagResourceOutput,
};
pub use validation::{
    ValidateStateMachineDefinitionDiagnostic, ValidateStateMachineDefinitionInput,
    ValidateStateMachineDefinitionOutput, ValidateStateMachineDefinitionResultCode,
    ValidateStateMachineDefinitionSeverity,
};
pub use task::{
    ActivityArnInput, ActivityListItem, CreateActivityInput, CreateActivityOutput, DescribeActivityOutput, EmptyOutput,
    GetActivityTaskInput,
    GetActivityTaskOutput, ListActivitiesInput, ListActivitiesOutput, SendTaskFailureInput, SendTaskHeartbeatInput,
    SendTaskSuccessInput,
};
pub use redrive::{RedriveExecutionInput, RedriveExecutionOutput};
pub use test_state::{
    InspectionData, InspectionDataRequest, InspectionDataResponse, InspectionErrorDetails, MockErrorOutput, MockInput,
    TestExecutionStatus, TestStateConfiguration, TestStateInput, TestStateOutput,
};
pub use version::{
    CreateStateMachineAliasInput, CreateStateMachineAliasOutput, DeleteStateMachineVersionInput,
    DescribeStateMachineAliasOutput, ListStateMachineAliasesInput, ListStateMachineAliasesOutput,
    ListStateMachineVersionsInput, ListStateMachineVersionsOutput, PublishStateMachineVersionInput,
    PublishStateMachineVersionOutput, RoutingConfigurationListItem, StateMachineAliasArnInput,
    StateMachineAliasListItem, StateMachineVersionListItem, UpdateStateMachineAliasInput,
    UpdateStateMachineAliasOutput,
};
