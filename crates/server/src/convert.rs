//! Conversions between `api` wire types and the service's records and requests (`runtime::service`).
//!
//! Explicit functions, not `From` impls (both sides are foreign to this crate). Timestamps: the service's records hold
//! milliseconds since the epoch, the wire epoch seconds with a fraction. Logging and tracing configurations are
//! kept by the service as the JSON text the API received, and read back here.

#[cfg(test)]
mod tests;

use runtime::service::{self, Alias, Execution, Kind, Page, PageRequest, Route, StateMachine, Status, Version};

use crate::error::ApiError;
use crate::shape::enum_error;

/// The page size of a list action whose `maxResults` is 0 or absent, as AWS documents it.
pub(crate) const DEFAULT_PAGE_SIZE: usize = 100;

/// `STANDARD`, `EXPRESS`.
pub(crate) const TYPES: &[&str] = &["STANDARD", "EXPRESS"];
/// `encryptionConfiguration.type`.
pub(crate) const ENCRYPTION_TYPES: &[&str] = &["AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY"];
/// `ExecutionStatus` names.
pub(crate) const STATUSES: &[&str] = &[
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
];

/// What of an execution's data a response includes (`includedData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IncludedData {
    All,
    MetadataOnly,
}

/// Which executions ListExecutions wants (`statusFilter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusFilter {
    Any,
    Only(Status),
    /// `PENDING_REDRIVE`: Map Run child executions waiting for a redrive; Baton has none (its Map items are not
    /// executions), so no execution is ever in this status.
    PendingRedrive,
}

impl StatusFilter {
    /// The status to ask the service for.
    pub(crate) fn status(self) -> Option<Status> {
        match self {
            StatusFilter::Only(status) => Some(status),
            StatusFilter::Any | StatusFilter::PendingRedrive => None,
        }
    }
}

/// Milliseconds since the epoch to the wire's epoch seconds.
pub(crate) fn seconds(millis: i64) -> f64 {
    millis as f64 / 1000.0
}

pub(crate) fn included_data(value: Option<&str>) -> IncludedData {
    match value {
        Some("METADATA_ONLY") => IncludedData::MetadataOnly,
        _ => IncludedData::All,
    }
}

/// A `type` member: absent is `None` (the service's default, STANDARD).
pub(crate) fn kind_from_wire(value: Option<&str>) -> Result<Option<Kind>, ApiError> {
    match value {
        None => Ok(None),
        Some("STANDARD") => Ok(Some(Kind::Standard)),
        Some("EXPRESS") => Ok(Some(Kind::Express)),
        Some(other) => Err(enum_error("type", other, TYPES)),
    }
}

pub(crate) fn kind_to_wire(kind: Kind) -> api::StateMachineType {
    match kind {
        Kind::Standard => api::StateMachineType::Standard,
        Kind::Express => api::StateMachineType::Express,
    }
}

pub(crate) fn status_filter(value: Option<&str>) -> Result<StatusFilter, ApiError> {
    match value {
        None => Ok(StatusFilter::Any),
        Some("PENDING_REDRIVE") => Ok(StatusFilter::PendingRedrive),
        Some(name) => status_named(name).map(StatusFilter::Only).ok_or_else(|| enum_error("statusFilter", name, STATUSES)),
    }
}

/// The execution status an execution status's wire name (`RUNNING`, …) names.
pub(crate) fn status_named(name: &str) -> Option<Status> {
    match name {
        "RUNNING" => Some(Status::Running),
        "SUCCEEDED" => Some(Status::Succeeded),
        "FAILED" => Some(Status::Failed),
        "TIMED_OUT" => Some(Status::TimedOut),
        "ABORTED" => Some(Status::Aborted),
        _ => None,
    }
}

pub(crate) fn status_to_wire(status: Status) -> api::ExecutionStatus {
    match status {
        Status::Running => api::ExecutionStatus::Running,
        Status::Succeeded => api::ExecutionStatus::Succeeded,
        Status::Failed => api::ExecutionStatus::Failed,
        Status::TimedOut => api::ExecutionStatus::TimedOut,
        Status::Aborted => api::ExecutionStatus::Aborted,
    }
}

/// A StartSyncExecution ends SUCCEEDED, FAILED or TIMED_OUT; an aborted one (stopped while it ran) reads FAILED,
/// and `Running` cannot be returned by a run that has ended, so it reads FAILED too rather than lie SUCCEEDED.
pub(crate) fn sync_status_to_wire(status: Status) -> api::SyncExecutionStatus {
    match status {
        Status::Succeeded => api::SyncExecutionStatus::Succeeded,
        Status::TimedOut => api::SyncExecutionStatus::TimedOut,
        Status::Failed | Status::Aborted | Status::Running => api::SyncExecutionStatus::Failed,
    }
}

/// `maxResults` and `nextToken` to a page request; `maxResults` 0 or absent is `DEFAULT_PAGE_SIZE`.
pub(crate) fn page_request(max_results: Option<i64>, next_token: Option<String>) -> PageRequest {
    let limit = match max_results.and_then(|n| usize::try_from(n).ok()) {
        None | Some(0) => DEFAULT_PAGE_SIZE,
        Some(n) => n,
    };
    PageRequest {
        token: next_token,
        limit,
    }
}

/// A configuration as the JSON text the service keeps.
fn to_text<T: serde::Serialize>(configuration: Option<&T>) -> Result<Option<String>, ApiError> {
    configuration
        .map(serde_json::to_string)
        .transpose()
        .map_err(|error| ApiError::Internal(format!("cannot serialize a configuration: {error}")))
}

/// A configuration read back from the text the service keeps; `default` when there is none, or it does not read.
fn from_text<T: serde::de::DeserializeOwned>(text: Option<&str>, default: T) -> T {
    text.and_then(|text| serde_json::from_str(text).ok()).unwrap_or(default)
}

/// What AWS reports for a state machine created without a logging configuration.
fn default_logging() -> api::LoggingConfiguration {
    api::LoggingConfiguration {
        level: Some("OFF".to_owned()),
        include_execution_data: Some(false),
        destinations: None,
    }
}

/// What AWS reports for a state machine or activity created without an encryption configuration (a guess from
/// reports that AWS describes them as using its own key, as the console shows).
fn default_encryption() -> api::EncryptionConfiguration {
    api::EncryptionConfiguration { kind: Some("AWS_OWNED_KEY".to_owned()), kms_key_id: None, kms_data_key_reuse_period_seconds: None }
}

/// An `encryptionConfiguration` of a request (its shape already checked: `type` is there and known).
pub(crate) fn encryption_request(
    configuration: Option<&api::EncryptionConfiguration>,
) -> Result<Option<service::Encryption>, ApiError> {
    let Some(configuration) = configuration else { return Ok(None) };
    let kind = match configuration.kind.as_deref() {
        Some("AWS_OWNED_KEY") => service::EncryptionType::AwsOwnedKey,
        Some("CUSTOMER_MANAGED_KMS_KEY") => service::EncryptionType::CustomerManagedKmsKey,
        other => {
            return Err(enum_error("encryptionConfiguration.type", other.unwrap_or("null"), ENCRYPTION_TYPES));
        }
    };
    Ok(Some(service::Encryption {
        kind,
        kms_key_id: configuration.kms_key_id.clone(),
        kms_data_key_reuse_period_seconds: configuration.kms_data_key_reuse_period_seconds,
    }))
}

/// What AWS reports for a state machine created without a tracing configuration.
fn default_tracing() -> api::TracingConfiguration {
    api::TracingConfiguration { enabled: Some(false) }
}

pub(crate) fn create_request(input: api::CreateStateMachineInput) -> Result<service::CreateStateMachine, ApiError> {
    Ok(service::CreateStateMachine {
        kind: kind_from_wire(input.kind.as_deref())?,
        logging_configuration: to_text(input.logging_configuration.as_ref())?,
        tracing_configuration: to_text(input.tracing_configuration.as_ref())?,
        tags: input
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|tag| (tag.key.unwrap_or_default(), tag.value.unwrap_or_default()))
            .collect(),
        encryption: encryption_request(input.encryption_configuration.as_ref())?,
        name: input.name,
        definition: input.definition,
        role_arn: input.role_arn,
    })
}

pub(crate) fn created(machine: &StateMachine, version_arn: Option<String>) -> api::CreateStateMachineOutput {
    api::CreateStateMachineOutput {
        state_machine_arn: machine.arn.clone(),
        creation_date: seconds(machine.created),
        state_machine_version_arn: version_arn,
    }
}

/// `publish` and `versionDescription` of CreateStateMachine and UpdateStateMachine.
pub(crate) fn publish_options(publish: Option<bool>, version_description: Option<String>) -> service::PublishOptions {
    service::PublishOptions {
        publish: publish.unwrap_or(false),
        version_description,
    }
}

pub(crate) fn update_request(input: api::UpdateStateMachineInput) -> Result<service::UpdateStateMachine, ApiError> {
    Ok(service::UpdateStateMachine {
        logging_configuration: to_text(input.logging_configuration.as_ref())?,
        tracing_configuration: to_text(input.tracing_configuration.as_ref())?,
        encryption: encryption_request(input.encryption_configuration.as_ref())?,
        arn: input.state_machine_arn,
        definition: input.definition,
        role_arn: input.role_arn,
    })
}

pub(crate) fn updated(machine: &StateMachine, version_arn: Option<String>) -> api::UpdateStateMachineOutput {
    api::UpdateStateMachineOutput {
        update_date: seconds(machine.updated),
        revision_id: non_empty(&machine.revision_id),
        state_machine_version_arn: version_arn,
    }
}

pub(crate) fn described_state_machine(machine: StateMachine) -> api::DescribeStateMachineOutput {
    api::DescribeStateMachineOutput {
        status: Some(api::StateMachineStatus::Active),
        kind: kind_to_wire(machine.kind),
        creation_date: seconds(machine.created),
        logging_configuration: Some(from_text(machine.logging_configuration.as_deref(), default_logging())),
        tracing_configuration: Some(from_text(machine.tracing_configuration.as_deref(), default_tracing())),
        label: None,
        revision_id: non_empty(&machine.revision_id),
        encryption_configuration: Some(from_text(machine.encryption_configuration.as_deref(), default_encryption())),
        state_machine_arn: machine.arn,
        name: machine.name,
        definition: machine.definition,
        role_arn: machine.role_arn,
        description: machine.description,
    }
}

pub(crate) fn state_machine_list_item(machine: StateMachine) -> api::StateMachineListItem {
    api::StateMachineListItem {
        kind: kind_to_wire(machine.kind),
        creation_date: seconds(machine.created),
        state_machine_arn: machine.arn,
        name: machine.name,
    }
}

pub(crate) fn state_machines(page: Page<StateMachine>) -> api::ListStateMachinesOutput {
    api::ListStateMachinesOutput {
        state_machines: page.items.into_iter().map(state_machine_list_item).collect(),
        next_token: page.next_token,
    }
}

pub(crate) fn described_state_machine_for_execution(
    described: service::ExecutionMachine,
) -> api::DescribeStateMachineForExecutionOutput {
    let service::ExecutionMachine { machine, map_run_arn, label } = described;
    api::DescribeStateMachineForExecutionOutput {
        update_date: seconds(machine.updated),
        logging_configuration: Some(from_text(machine.logging_configuration.as_deref(), default_logging())),
        tracing_configuration: Some(from_text(machine.tracing_configuration.as_deref(), default_tracing())),
        map_run_arn,
        label,
        revision_id: non_empty(&machine.revision_id),
        encryption_configuration: Some(from_text(machine.encryption_configuration.as_deref(), default_encryption())),
        state_machine_arn: machine.arn,
        name: machine.name,
        definition: machine.definition,
        role_arn: machine.role_arn,
    }
}

pub(crate) fn described_activity(activity: service::Activity) -> api::DescribeActivityOutput {
    api::DescribeActivityOutput {
        encryption_configuration: Some(from_text(activity.encryption_configuration.as_deref(), default_encryption())),
        activity_arn: activity.arn,
        name: activity.name,
        creation_date: seconds(activity.created),
    }
}

pub(crate) fn start_request(input: api::StartExecutionInput) -> service::StartExecution {
    service::StartExecution {
        state_machine_arn: input.state_machine_arn,
        name: input.name,
        input: input.input,
        trace_header: input.trace_header,
    }
}

pub(crate) fn start_sync_request(input: api::StartSyncExecutionInput) -> service::StartExecution {
    service::StartExecution {
        state_machine_arn: input.state_machine_arn,
        name: input.name,
        input: input.input,
        trace_header: input.trace_header,
    }
}

pub(crate) fn started(started: service::Started) -> api::StartExecutionOutput {
    api::StartExecutionOutput {
        execution_arn: started.execution_arn,
        start_date: seconds(started.start_date),
    }
}

/// What AWS reports as billed for a synchronous Express execution: 64 MB and the duration rounded up to 100 ms.
pub(crate) fn billing(execution: &Execution) -> api::BillingDetails {
    let elapsed = execution
        .stop
        .unwrap_or(execution.start)
        .saturating_sub(execution.start)
        .max(1);
    let billed = elapsed.saturating_add(99) / 100 * 100;
    api::BillingDetails {
        billed_memory_used_in_mb: Some(64),
        billed_duration_in_milliseconds: Some(billed),
    }
}

pub(crate) fn sync_execution(execution: Execution, included: IncludedData) -> api::StartSyncExecutionOutput {
    let (input, input_details, output, output_details) = data(&execution, included);
    api::StartSyncExecutionOutput {
        billing_details: Some(billing(&execution)),
        start_date: seconds(execution.start),
        stop_date: seconds(execution.stop.unwrap_or(execution.start)),
        status: sync_status_to_wire(execution.status),
        input,
        input_details,
        output,
        output_details,
        execution_arn: execution.arn,
        state_machine_arn: Some(execution.state_machine_arn),
        name: Some(execution.name),
        error: execution.error,
        cause: execution.cause,
        trace_header: execution.trace_header,
    }
}

pub(crate) fn described_execution(execution: Execution, included: IncludedData) -> api::DescribeExecutionOutput {
    let (input, input_details, output, output_details) = data(&execution, included);
    let redrive_status = redrive_status(&execution).to_owned();
    api::DescribeExecutionOutput {
        status: status_to_wire(execution.status),
        start_date: seconds(execution.start),
        stop_date: execution.stop.map(seconds),
        input,
        input_details,
        output,
        output_details,
        map_run_arn: execution.map_run_arn,
        state_machine_version_arn: execution.version_arn,
        state_machine_alias_arn: execution.alias_arn,
        redrive_count: Some(i64::from(execution.redrive_count)),
        redrive_date: execution.redrive_date.map(seconds),
        redrive_status: Some(redrive_status),
        redrive_status_reason: None,
        execution_arn: execution.arn,
        state_machine_arn: execution.state_machine_arn,
        name: Some(execution.name),
        trace_header: execution.trace_header,
        error: execution.error,
        cause: execution.cause,
    }
}

/// `redriveStatus`: whether RedriveExecution can run the execution again (Express executions never).
fn redrive_status(execution: &Execution) -> &'static str {
    match (execution.kind, execution.status) {
        // A Map Run's child runs again when a redrive of its parent redrives the Map Run.
        (Kind::Standard, Status::Failed | Status::TimedOut | Status::Aborted) if execution.map_run_arn.is_some() => {
            "REDRIVABLE_BY_MAP_RUN"
        }
        (Kind::Standard, Status::Failed | Status::TimedOut | Status::Aborted) => "REDRIVABLE",
        _ => "NOT_REDRIVABLE",
    }
}

pub(crate) fn execution_list_item(execution: Execution) -> api::ExecutionListItem {
    api::ExecutionListItem {
        status: status_to_wire(execution.status),
        start_date: seconds(execution.start),
        stop_date: execution.stop.map(seconds),
        map_run_arn: execution.map_run_arn,
        item_count: None,
        state_machine_version_arn: execution.version_arn,
        state_machine_alias_arn: execution.alias_arn,
        redrive_count: Some(i64::from(execution.redrive_count)),
        redrive_date: execution.redrive_date.map(seconds),
        execution_arn: execution.arn,
        state_machine_arn: execution.state_machine_arn,
        name: execution.name,
    }
}

/// A page of executions as ListExecutions returns it; `PENDING_REDRIVE` matches none.
pub(crate) fn executions(page: Page<Execution>, filter: StatusFilter) -> api::ListExecutionsOutput {
    if filter == StatusFilter::PendingRedrive {
        return api::ListExecutionsOutput::default();
    }
    api::ListExecutionsOutput {
        executions: page.items.into_iter().map(execution_list_item).collect(),
        next_token: page.next_token,
    }
}

/// Input and output with their `{"included": true}` details, as `included` asks; an execution without output
/// (running, failed) has neither `output` nor `outputDetails`.
type Data = (
    Option<String>,
    Option<api::DataDetails>,
    Option<String>,
    Option<api::DataDetails>,
);

fn data(execution: &Execution, included: IncludedData) -> Data {
    let details = Some(api::DataDetails { included: Some(true) });
    match included {
        IncludedData::MetadataOnly => (None, None, None, None),
        IncludedData::All => (
            Some(execution.input.clone()),
            details,
            execution.output.clone(),
            execution.output.as_ref().and(details),
        ),
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Tags as the service takes them; an absent value is empty (the shape has already refused an absent key).
pub(crate) fn tags_from_wire(tags: Vec<api::Tag>) -> Vec<(String, String)> {
    tags.into_iter()
        .map(|tag| (tag.key.unwrap_or_default(), tag.value.unwrap_or_default()))
        .collect()
}

pub(crate) fn tags_to_wire(tags: Vec<(String, String)>) -> api::ListTagsForResourceOutput {
    api::ListTagsForResourceOutput {
        tags: tags
            .into_iter()
            .map(|(key, value)| api::Tag {
                key: Some(key),
                value: Some(value),
            })
            .collect(),
    }
}

/// `ValidateStateMachineDefinitionSeverity` names.
pub(crate) const SEVERITIES: &[&str] = &["ERROR", "WARNING"];

pub(crate) fn validate_request(
    input: api::ValidateStateMachineDefinitionInput,
) -> Result<service::ValidateDefinition, ApiError> {
    let severity = match input.severity.as_deref() {
        None | Some("ERROR") => service::Severity::Error,
        Some("WARNING") => service::Severity::Warning,
        Some(other) => return Err(enum_error("severity", other, SEVERITIES)),
    };
    Ok(service::ValidateDefinition {
        kind: kind_from_wire(input.kind.as_deref())?,
        severity,
        // The shape keeps it in 0..=100; 0 or absent is the service's default.
        max_results: input
            .max_results
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0),
        definition: input.definition,
    })
}

pub(crate) fn validation(validation: service::Validation) -> api::ValidateStateMachineDefinitionOutput {
    api::ValidateStateMachineDefinitionOutput {
        result: if validation.ok {
            api::ValidateStateMachineDefinitionResultCode::Ok
        } else {
            api::ValidateStateMachineDefinitionResultCode::Fail
        },
        diagnostics: validation
            .diagnostics
            .into_iter()
            .map(|d| api::ValidateStateMachineDefinitionDiagnostic {
                severity: match d.severity {
                    service::Severity::Error => api::ValidateStateMachineDefinitionSeverity::Error,
                    service::Severity::Warning => api::ValidateStateMachineDefinitionSeverity::Warning,
                },
                code: d.code.to_owned(),
                message: d.message,
                location: d.location,
            })
            .collect(),
        truncated: Some(validation.truncated),
    }
}

pub(crate) fn published(version: &Version) -> api::PublishStateMachineVersionOutput {
    api::PublishStateMachineVersionOutput {
        creation_date: seconds(version.created),
        state_machine_version_arn: version.arn(),
    }
}

pub(crate) fn versions(page: Page<Version>) -> api::ListStateMachineVersionsOutput {
    api::ListStateMachineVersionsOutput {
        state_machine_versions: page
            .items
            .iter()
            .map(|version| api::StateMachineVersionListItem {
                state_machine_version_arn: version.arn(),
                creation_date: seconds(version.created),
            })
            .collect(),
        next_token: page.next_token,
    }
}

/// Routes as the service takes them; the shape has kept each weight in 0..=100.
fn routes_from_wire(routes: Vec<api::RoutingConfigurationListItem>) -> Vec<Route> {
    routes
        .into_iter()
        .map(|route| Route {
            version_arn: route.state_machine_version_arn,
            weight: u32::try_from(route.weight).unwrap_or(0),
        })
        .collect()
}

pub(crate) fn create_alias_request(input: api::CreateStateMachineAliasInput) -> service::CreateAlias {
    service::CreateAlias {
        name: input.name,
        description: input.description,
        routing: routes_from_wire(input.routing_configuration),
    }
}

pub(crate) fn update_alias_request(input: api::UpdateStateMachineAliasInput) -> service::UpdateAlias {
    service::UpdateAlias {
        arn: input.state_machine_alias_arn,
        description: input.description,
        routing: input.routing_configuration.map(routes_from_wire),
    }
}

pub(crate) fn described_alias(alias: Alias) -> api::DescribeStateMachineAliasOutput {
    api::DescribeStateMachineAliasOutput {
        state_machine_alias_arn: alias.arn,
        name: alias.name,
        description: alias.description,
        routing_configuration: alias
            .routing
            .into_iter()
            .map(|route| api::RoutingConfigurationListItem {
                state_machine_version_arn: route.version_arn,
                weight: i64::from(route.weight),
            })
            .collect(),
        creation_date: seconds(alias.created),
        update_date: seconds(alias.updated),
    }
}

pub(crate) fn aliases(page: Page<Alias>) -> api::ListStateMachineAliasesOutput {
    api::ListStateMachineAliasesOutput {
        state_machine_aliases: page
            .items
            .into_iter()
            .map(|alias| api::StateMachineAliasListItem {
                creation_date: seconds(alias.created),
                state_machine_alias_arn: alias.arn,
            })
            .collect(),
        next_token: page.next_token,
    }
}

pub(crate) fn described_map_run(run: service::MapRun) -> api::DescribeMapRunOutput {
    let info = run.info;
    api::DescribeMapRunOutput {
        map_run_arn: info.arn,
        execution_arn: run.execution_arn,
        status: match info.status {
            service::MapRunStatus::Running => api::MapRunStatus::Running,
            service::MapRunStatus::Succeeded => api::MapRunStatus::Succeeded,
            service::MapRunStatus::Failed => api::MapRunStatus::Failed,
            service::MapRunStatus::Aborted => api::MapRunStatus::Aborted,
        },
        start_date: seconds(info.start),
        stop_date: info.stop.map(seconds),
        max_concurrency: long(info.max_concurrency),
        tolerated_failure_percentage: info.tolerated_failure_percentage,
        tolerated_failure_count: long(info.tolerated_failure_count),
        item_counts: map_run_counts(&info.items),
        execution_counts: map_run_counts(&info.executions),
        // A redrive of the execution that re-enters the Map redrives its Map Run.
        redrive_count: Some(i64::from(info.redrive_count)),
        redrive_date: info.redrive_date.map(seconds),
    }
}

/// Counters as AWS shows them: Baton has no timeouts per child execution and no ResultWriter.
fn map_run_counts(counts: &service::MapRunCounts) -> api::MapRunCounts {
    api::MapRunCounts {
        pending: long(counts.pending),
        running: long(counts.running),
        succeeded: long(counts.succeeded),
        failed: long(counts.failed),
        timed_out: 0,
        aborted: long(counts.aborted),
        total: long(counts.total),
        results_written: long(counts.results_written),
        failures_not_redrivable: Some(long(counts.failures_not_redrivable)),
        pending_redrive: Some(long(counts.pending_redrive)),
    }
}

pub(crate) fn map_runs(page: Page<service::MapRun>) -> api::ListMapRunsOutput {
    api::ListMapRunsOutput {
        map_runs: page
            .items
            .into_iter()
            .map(|run| api::MapRunListItem {
                execution_arn: run.execution_arn,
                map_run_arn: run.info.arn,
                state_machine_arn: run.state_machine_arn,
                start_date: seconds(run.info.start),
                stop_date: run.info.stop.map(seconds),
            })
            .collect(),
        next_token: page.next_token,
    }
}

fn long(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
