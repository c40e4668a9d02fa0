//! Execution actions: StartExecution, StartSyncExecution, StopExecution, DescribeExecution, ListExecutions.

use axum::extract::State;

use runtime::service::Service;

use crate::convert;
use crate::error::ApiError;
use crate::extract::AwsJson;
use crate::shape::{Length, Shape, Violations, limits, paging};

/// `redriveFilter`.
const REDRIVE_FILTERS: &[&str] = &["REDRIVEN", "NOT_REDRIVEN"];
/// `LongArn` (a Map Run ARN).
const LONG_ARN: usize = 2000;

pub(crate) async fn start(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::StartExecutionInput>,
) -> Result<AwsJson<api::StartExecutionOutput>, ApiError> {
    let started = service.start_execution(convert::start_request(input)).await?;
    Ok(AwsJson(convert::started(started)))
}

pub(crate) async fn start_sync(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::StartSyncExecutionInput>,
) -> Result<AwsJson<api::StartSyncExecutionOutput>, ApiError> {
    let included = convert::included_data(input.included_data.as_deref());
    let execution = service.start_sync_execution(convert::start_sync_request(input)).await?;
    Ok(AwsJson(convert::sync_execution(execution, included)))
}

pub(crate) async fn stop(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::StopExecutionInput>,
) -> Result<AwsJson<api::StopExecutionOutput>, ApiError> {
    let stop = service
        .stop_execution(&input.execution_arn, input.error, input.cause)
        .await?;
    Ok(AwsJson(api::StopExecutionOutput {
        stop_date: convert::seconds(stop),
    }))
}

pub(crate) async fn describe(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::DescribeExecutionInput>,
) -> Result<AwsJson<api::DescribeExecutionOutput>, ApiError> {
    let included = convert::included_data(input.included_data.as_deref());
    let execution = service.describe_execution(&input.execution_arn).await?;
    Ok(AwsJson(convert::described_execution(execution, included)))
}

pub(crate) async fn list(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::ListExecutionsInput>,
) -> Result<AwsJson<api::ListExecutionsOutput>, ApiError> {
    let filter = convert::status_filter(input.status_filter.as_deref())?;
    let page = convert::page_request(input.max_results, input.next_token);
    let redriven = match input.redrive_filter.as_deref() {
        Some("REDRIVEN") => Some(true),
        Some("NOT_REDRIVEN") => Some(false),
        _ => None,
    };
    let page = match (&input.state_machine_arn, &input.map_run_arn) {
        (Some(arn), None) => service.list_executions(arn, filter.status(), redriven, page).await?,
        (None, Some(arn)) => service.list_map_run_executions(arn, filter.status(), redriven, page).await?,
        (Some(_), Some(_)) => return Err(ApiError::validation("Specify either stateMachineArn or mapRunArn, not both")),
        (None, None) => return Err(ApiError::validation("Must specify either stateMachineArn or mapRunArn")),
    };
    Ok(AwsJson(convert::executions(page, filter)))
}

impl Shape for api::StartExecutionInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        start_members(
            &mut v,
            &self.state_machine_arn,
            self.name.as_deref(),
            self.input.as_deref(),
            self.trace_header.as_deref(),
        );
        v.finish()?;
        input_is_json(self.input.as_deref())
    }
}

impl Shape for api::StartSyncExecutionInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        start_members(
            &mut v,
            &self.state_machine_arn,
            self.name.as_deref(),
            self.input.as_deref(),
            self.trace_header.as_deref(),
        );
        v.one_of("includedData", self.included_data.as_deref(), limits::INCLUDED_DATA);
        v.finish()?;
        input_is_json(self.input.as_deref())
    }
}

impl Shape for api::StopExecutionInput {
    const REQUIRED: &'static [&'static str] = &["executionArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("executionArn", Some(&self.execution_arn), 1, limits::ARN, Length::Chars);
        v.length(
            "error",
            self.error.as_deref(),
            0,
            limits::SHORT_TEXT,
            Length::SensitiveChars,
        );
        v.length("cause", self.cause.as_deref(), 0, limits::CAUSE, Length::SensitiveChars);
        v.finish()
    }
}

impl Shape for api::DescribeExecutionInput {
    const REQUIRED: &'static [&'static str] = &["executionArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("executionArn", Some(&self.execution_arn), 1, limits::ARN, Length::Chars);
        v.one_of("includedData", self.included_data.as_deref(), limits::INCLUDED_DATA);
        v.finish()
    }
}

impl Shape for api::ListExecutionsInput {
    const REQUIRED: &'static [&'static str] = &[];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length(
            "stateMachineArn",
            self.state_machine_arn.as_deref(),
            1,
            limits::ARN,
            Length::Chars,
        );
        v.one_of("statusFilter", self.status_filter.as_deref(), convert::STATUSES);
        paging(&mut v, self.max_results, self.next_token.as_deref());
        v.length("mapRunArn", self.map_run_arn.as_deref(), 1, LONG_ARN, Length::Chars);
        v.one_of("redriveFilter", self.redrive_filter.as_deref(), REDRIVE_FILTERS);
        v.finish()
    }
}

/// The members StartExecution and StartSyncExecution share.
fn start_members(v: &mut Violations, arn: &str, name: Option<&str>, input: Option<&str>, trace_header: Option<&str>) {
    v.length("stateMachineArn", Some(arn), 1, limits::ARN, Length::Chars);
    v.length("name", name, 1, limits::NAME, Length::Chars);
    v.length("input", input, 0, limits::INPUT, Length::SensitiveBytes);
    v.length("traceHeader", trace_header, 0, limits::SHORT_TEXT, Length::Chars);
}

/// Execution input must be JSON text, as AWS requires (`InvalidExecutionInput`).
fn input_is_json(input: Option<&str>) -> Result<(), ApiError> {
    let Some(input) = input else { return Ok(()) };
    match serde_json::from_str::<serde::de::IgnoredAny>(input) {
        Ok(_) => Ok(()),
        Err(error) => Err(ApiError::Client {
            code: "InvalidExecutionInput",
            message: format!("Invalid State Machine Execution Input: '{error}'"),
        }),
    }
}
