//! ValidateStateMachineDefinition.

use axum::extract::State;

use runtime::service::{MAX_DIAGNOSTICS, Service};

use crate::convert;
use crate::error::ApiError;
use crate::extract::AwsJson;
use crate::shape::{Length, Shape, Violations, limits};

pub(crate) async fn validate(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::ValidateStateMachineDefinitionInput>,
) -> Result<AwsJson<api::ValidateStateMachineDefinitionOutput>, ApiError> {
    let validation = service.validate_state_machine_definition(&convert::validate_request(input)?);
    Ok(AwsJson(convert::validation(validation)))
}

impl Shape for api::ValidateStateMachineDefinitionInput {
    const REQUIRED: &'static [&'static str] = &["definition"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length(
            "definition",
            Some(&self.definition),
            1,
            limits::DEFINITION,
            Length::SensitiveChars,
        );
        v.one_of("type", self.kind.as_deref(), convert::TYPES);
        v.one_of("severity", self.severity.as_deref(), convert::SEVERITIES);
        let max = i64::try_from(MAX_DIAGNOSTICS).unwrap_or(i64::MAX);
        v.range("maxResults", self.max_results, 0, max);
        v.finish()
    }
}
