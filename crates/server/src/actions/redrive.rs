//! RedriveExecution.

use axum::extract::State;

use runtime::service::Service;

use crate::convert;
use crate::error::ApiError;
use crate::extract::AwsJson;
use crate::shape::{Length, Shape, Violations, limits};

pub(crate) async fn redrive(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::RedriveExecutionInput>,
) -> Result<AwsJson<api::RedriveExecutionOutput>, ApiError> {
    let date = service.redrive_execution(&input.execution_arn).await?;
    Ok(AwsJson(api::RedriveExecutionOutput { redrive_date: convert::seconds(date) }))
}

impl Shape for api::RedriveExecutionInput {
    const REQUIRED: &'static [&'static str] = &["executionArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("executionArn", Some(&self.execution_arn), 1, limits::ARN, Length::Chars);
        v.length("clientToken", self.client_token.as_deref(), 1, 64, Length::Chars);
        v.finish()
    }
}
