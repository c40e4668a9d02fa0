//! GetExecutionHistory. The service renders the events in wire form; they pass through untouched.

use axum::extract::State;

use runtime::service::{HistoryRequest, Service};

use crate::convert;
use crate::error::ApiError;
use crate::extract::AwsJson;
use crate::shape::{Length, Shape, Violations, limits, paging};

pub(crate) async fn get(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::GetExecutionHistoryInput>,
) -> Result<AwsJson<api::GetExecutionHistoryOutput>, ApiError> {
    let request = HistoryRequest {
        reverse: input.reverse_order.unwrap_or(false),
        include_data: input.include_execution_data.unwrap_or(true),
        page: convert::page_request(input.max_results, input.next_token),
        execution_arn: input.execution_arn,
    };
    let page = service.get_execution_history(request).await?;
    Ok(AwsJson(api::GetExecutionHistoryOutput {
        events: page.items,
        next_token: page.next_token,
    }))
}

impl Shape for api::GetExecutionHistoryInput {
    const REQUIRED: &'static [&'static str] = &["executionArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("executionArn", Some(&self.execution_arn), 1, limits::ARN, Length::Chars);
        paging(&mut v, self.max_results, self.next_token.as_deref());
        v.finish()
    }
}
