//! Map Run actions: DescribeMapRun, ListMapRuns, UpdateMapRun.

use axum::extract::State;

use runtime::service::{Service, UpdateMapRun};

use crate::convert;
use crate::error::ApiError;
use crate::extract::AwsJson;
use crate::shape::{Length, Shape, Violations, limits, paging};

/// `LongArn`: a Map Run ARN may be this long.
const LONG_ARN: usize = 2000;

pub(crate) async fn describe(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::DescribeMapRunInput>,
) -> Result<AwsJson<api::DescribeMapRunOutput>, ApiError> {
    let run = service.describe_map_run(&input.map_run_arn).await?;
    Ok(AwsJson(convert::described_map_run(run)))
}

pub(crate) async fn list(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::ListMapRunsInput>,
) -> Result<AwsJson<api::ListMapRunsOutput>, ApiError> {
    let page = convert::page_request(input.max_results, input.next_token);
    let page = service.list_map_runs(&input.execution_arn, page).await?;
    Ok(AwsJson(convert::map_runs(page)))
}

pub(crate) async fn update(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::UpdateMapRunInput>,
) -> Result<AwsJson<api::EmptyOutput>, ApiError> {
    let request = UpdateMapRun {
        map_run_arn: input.map_run_arn,
        max_concurrency: input.max_concurrency.and_then(|n| u64::try_from(n).ok()),
        tolerated_failure_count: input.tolerated_failure_count.and_then(|n| u64::try_from(n).ok()),
        tolerated_failure_percentage: input.tolerated_failure_percentage,
    };
    service.update_map_run(request).await?;
    Ok(AwsJson(api::EmptyOutput {}))
}

impl Shape for api::DescribeMapRunInput {
    const REQUIRED: &'static [&'static str] = &["mapRunArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("mapRunArn", Some(&self.map_run_arn), 1, LONG_ARN, Length::Chars);
        v.finish()
    }
}

impl Shape for api::ListMapRunsInput {
    const REQUIRED: &'static [&'static str] = &["executionArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("executionArn", Some(&self.execution_arn), 1, limits::ARN, Length::Chars);
        paging(&mut v, self.max_results, self.next_token.as_deref());
        v.finish()
    }
}

impl Shape for api::UpdateMapRunInput {
    const REQUIRED: &'static [&'static str] = &["mapRunArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("mapRunArn", Some(&self.map_run_arn), 1, LONG_ARN, Length::Chars);
        v.range("maxConcurrency", self.max_concurrency, 0, i64::MAX);
        v.range("toleratedFailureCount", self.tolerated_failure_count, 0, i64::MAX);
        match self.tolerated_failure_percentage {
            Some(p) if p < 0.0 => v.problem(format!(
                "Value '{p}' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value greater than or equal to 0"
            )),
            Some(p) if p > 100.0 => v.problem(format!(
                "Value '{p}' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100"
            )),
            _ => {}
        }
        v.finish()
    }
}
