//! TestState, and its conversions between the wire and the service's types.
//!
//! The SDKs send TestState to `sync-<host>` (the model's host prefix); the router accepts any `Host`.

use axum::extract::State;

use runtime::service::{self, Service};

use crate::error::ApiError;
use crate::extract::AwsJson;
use crate::shape::{Length, Shape, Violations, enum_error, limits};

/// `InspectionLevel`.
const INSPECTION_LEVELS: &[&str] = &["INFO", "DEBUG", "TRACE"];
/// `MockResponseValidationMode`.
const VALIDATION_MODES: &[&str] = &["STRICT", "PRESENT", "NONE"];

pub(crate) async fn test_state(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::TestStateInput>,
) -> Result<AwsJson<api::TestStateOutput>, ApiError> {
    let result = service.test_state(request(input)?).await?;
    Ok(AwsJson(output(result)))
}

impl Shape for api::TestStateInput {
    const REQUIRED: &'static [&'static str] = &["definition"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("definition", Some(&self.definition), 1, limits::DEFINITION, Length::SensitiveChars);
        v.length("roleArn", self.role_arn.as_deref(), 1, limits::ARN, Length::Chars);
        v.length("input", self.input.as_deref(), 0, limits::INPUT, Length::SensitiveBytes);
        v.one_of("inspectionLevel", self.inspection_level.as_deref(), INSPECTION_LEVELS);
        v.length("variables", self.variables.as_deref(), 0, limits::INPUT, Length::SensitiveBytes);
        v.length("stateName", self.state_name.as_deref(), 1, limits::NAME, Length::Chars);
        v.length("context", self.context.as_deref(), 0, limits::INPUT, Length::SensitiveBytes);
        if let Some(mock) = &self.mock {
            v.length("mock.result", mock.result.as_deref(), 0, limits::INPUT, Length::SensitiveBytes);
            v.one_of("mock.fieldValidationMode", mock.field_validation_mode.as_deref(), VALIDATION_MODES);
            if let Some(error) = &mock.error_output {
                v.length("mock.errorOutput.error", error.error.as_deref(), 0, limits::SHORT_TEXT, Length::SensitiveChars);
                v.length("mock.errorOutput.cause", error.cause.as_deref(), 0, limits::CAUSE, Length::SensitiveChars);
            }
        }
        if let Some(configuration) = &self.state_configuration {
            v.range("stateConfiguration.retrierRetryCount", configuration.retrier_retry_count, 0, i64::from(i32::MAX));
            v.range("stateConfiguration.mapIterationFailureCount", configuration.map_iteration_failure_count, 0, i64::from(i32::MAX));
            v.length("stateConfiguration.errorCausedByState", configuration.error_caused_by_state.as_deref(), 1, limits::NAME, Length::Chars);
            v.length("stateConfiguration.mapItemReaderData", configuration.map_item_reader_data.as_deref(), 0, limits::INPUT, Length::SensitiveBytes);
        }
        v.finish()
    }
}

fn request(input: api::TestStateInput) -> Result<service::TestStateRequest, ApiError> {
    let inspection_level = match input.inspection_level.as_deref() {
        None | Some("INFO") => service::InspectionLevel::Info,
        Some("DEBUG") => service::InspectionLevel::Debug,
        Some("TRACE") => service::InspectionLevel::Trace,
        Some(other) => return Err(enum_error("inspectionLevel", other, INSPECTION_LEVELS)),
    };
    let mock = match input.mock.clone() {
        None => None,
        Some(api::MockInput { result: Some(result), error_output: None, .. }) => Some(service::Mock::Result(result)),
        Some(api::MockInput { result: None, error_output: Some(error), .. }) => match error.error {
            Some(name) => Some(service::Mock::Error { error: name, cause: error.cause }),
            None => return Err(ApiError::validation("mock.errorOutput.error is required when mock.errorOutput is given")),
        },
        Some(api::MockInput { result: Some(_), error_output: Some(_), .. }) => {
            return Err(ApiError::validation("A test mock should have only one of the following fields: [result, errorOutput]."));
        }
        Some(_) => return Err(ApiError::validation("A test mock should have one of the following fields: [result, errorOutput].")),
    };
    let field_validation = match input.mock.as_ref().and_then(|mock| mock.field_validation_mode.as_deref()) {
        None | Some("STRICT") => service::FieldValidation::Strict,
        Some("PRESENT") => service::FieldValidation::Present,
        Some("NONE") => service::FieldValidation::None,
        Some(other) => return Err(enum_error("mock.fieldValidationMode", other, VALIDATION_MODES)),
    };
    let count = |value: Option<i64>| value.and_then(|count| u32::try_from(count).ok());
    let configuration = input.state_configuration.unwrap_or_default();
    let configuration = service::StateConfiguration {
        retrier_retry_count: count(configuration.retrier_retry_count).unwrap_or(0),
        error_caused_by_state: configuration.error_caused_by_state,
        map_iteration_failure_count: count(configuration.map_iteration_failure_count),
        map_item_reader_data: configuration.map_item_reader_data,
    };
    Ok(service::TestStateRequest {
        definition: input.definition,
        state_name: input.state_name,
        role_arn: input.role_arn,
        input: input.input,
        inspection_level,
        reveal_secrets: input.reveal_secrets.unwrap_or(false),
        variables: input.variables,
        context: input.context,
        mock,
        field_validation,
        configuration,
    })
}

fn output(result: service::TestStateResult) -> api::TestStateOutput {
    api::TestStateOutput {
        output: result.output,
        error: result.error,
        cause: result.cause,
        inspection_data: result.inspection.map(inspection),
        next_state: result.next_state,
        status: match result.status {
            service::TestStatus::Succeeded => api::TestExecutionStatus::Succeeded,
            service::TestStatus::Failed => api::TestExecutionStatus::Failed,
            service::TestStatus::Retriable => api::TestExecutionStatus::Retriable,
            service::TestStatus::CaughtError => api::TestExecutionStatus::CaughtError,
        },
    }
}

fn inspection(i: service::Inspection) -> api::InspectionData {
    api::InspectionData {
        input: i.input,
        after_arguments: i.after_arguments,
        after_input_path: i.after_input_path,
        after_parameters: i.after_parameters,
        result: i.result,
        after_result_selector: i.after_result_selector,
        after_result_path: i.after_result_path,
        request: i.request.map(|r| api::InspectionDataRequest {
            protocol: None,
            method: r.method,
            url: r.url,
            headers: r.headers,
            body: r.body,
        }),
        response: i.response.map(|r| api::InspectionDataResponse {
            protocol: None,
            status_code: r.status_code,
            status_message: r.status_message,
            headers: r.headers,
            body: r.body,
        }),
        variables: i.variables,
        error_details: i.error_details.map(|d| api::InspectionErrorDetails {
            catch_index: d.catch_index,
            retry_index: d.retry_index,
            retry_backoff_interval_seconds: d.retry_backoff_interval_seconds,
        }),
        after_items_path: i.after_items_path,
        after_item_selector: i.after_item_selector,
        after_item_batcher: i.after_item_batcher,
        after_items_pointer: i.after_items_pointer,
        tolerated_failure_count: i.tolerated_failure_count.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        tolerated_failure_percentage: i.tolerated_failure_percentage,
        max_concurrency: i.max_concurrency.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
    }
}
