//! State machine actions: CreateStateMachine, DescribeStateMachine, UpdateStateMachine, DeleteStateMachine,
//! ListStateMachines, DescribeStateMachineForExecution.

use axum::extract::State;

use runtime::service::Service;

use crate::convert;
use crate::error::ApiError;
use crate::extract::AwsJson;
use crate::shape::{Length, Shape, Violations, limits, paging};

/// `loggingConfiguration.level`.
const LOG_LEVELS: &[&str] = &["ALL", "ERROR", "FATAL", "OFF"];

pub(crate) async fn create(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::CreateStateMachineInput>,
) -> Result<AwsJson<api::CreateStateMachineOutput>, ApiError> {
    let options = convert::publish_options(input.publish, input.version_description.clone());
    let (machine, version) = service
        .create_state_machine_published(convert::create_request(input)?, options)
        .await?;
    Ok(AwsJson(convert::created(&machine, version)))
}

pub(crate) async fn describe(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::DescribeStateMachineInput>,
) -> Result<AwsJson<api::DescribeStateMachineOutput>, ApiError> {
    let machine = service.describe_state_machine_or_version(&input.state_machine_arn).await?;
    Ok(AwsJson(convert::described_state_machine(machine)))
}

pub(crate) async fn update(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::UpdateStateMachineInput>,
) -> Result<AwsJson<api::UpdateStateMachineOutput>, ApiError> {
    let options = convert::publish_options(input.publish, input.version_description.clone());
    let (machine, version) = service
        .update_state_machine_published(convert::update_request(input)?, options)
        .await?;
    Ok(AwsJson(convert::updated(&machine, version)))
}

pub(crate) async fn delete(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::DeleteStateMachineInput>,
) -> Result<AwsJson<api::DeleteStateMachineOutput>, ApiError> {
    service.delete_state_machine(&input.state_machine_arn).await?;
    Ok(AwsJson(api::DeleteStateMachineOutput {}))
}

pub(crate) async fn list(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::ListStateMachinesInput>,
) -> Result<AwsJson<api::ListStateMachinesOutput>, ApiError> {
    let page = service
        .list_state_machines(convert::page_request(input.max_results, input.next_token))
        .await?;
    Ok(AwsJson(convert::state_machines(page)))
}

pub(crate) async fn describe_for_execution(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::DescribeStateMachineForExecutionInput>,
) -> Result<AwsJson<api::DescribeStateMachineForExecutionOutput>, ApiError> {
    let described = service.describe_state_machine_for_execution(&input.execution_arn).await?;
    Ok(AwsJson(convert::described_state_machine_for_execution(described)))
}

impl Shape for api::CreateStateMachineInput {
    const REQUIRED: &'static [&'static str] = &["name", "definition", "roleArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("name", Some(&self.name), 1, limits::NAME, Length::Chars);
        v.length(
            "definition",
            Some(&self.definition),
            1,
            limits::DEFINITION,
            Length::SensitiveChars,
        );
        v.length("roleArn", Some(&self.role_arn), 1, limits::ARN, Length::Chars);
        v.one_of("type", self.kind.as_deref(), convert::TYPES);
        logging(&mut v, self.logging_configuration.as_ref());
        tags(&mut v, self.tags.as_deref());
        versions(&mut v, self.version_description.as_deref());
        encryption(&mut v, self.encryption_configuration.as_ref());
        v.finish()
    }
}

impl Shape for api::DescribeStateMachineInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length(
            "stateMachineArn",
            Some(&self.state_machine_arn),
            1,
            limits::ARN,
            Length::Chars,
        );
        v.one_of("includedData", self.included_data.as_deref(), limits::INCLUDED_DATA);
        v.finish()
    }
}

impl Shape for api::UpdateStateMachineInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length(
            "stateMachineArn",
            Some(&self.state_machine_arn),
            1,
            limits::ARN,
            Length::Chars,
        );
        v.length(
            "definition",
            self.definition.as_deref(),
            1,
            limits::DEFINITION,
            Length::SensitiveChars,
        );
        v.length("roleArn", self.role_arn.as_deref(), 1, limits::ARN, Length::Chars);
        logging(&mut v, self.logging_configuration.as_ref());
        versions(&mut v, self.version_description.as_deref());
        encryption(&mut v, self.encryption_configuration.as_ref());
        v.finish()?;
        if self.definition.is_none()
            && self.role_arn.is_none()
            && self.logging_configuration.is_none()
            && self.tracing_configuration.is_none()
            && self.encryption_configuration.is_none()
        {
            return Err(ApiError::Client {
                code: "MissingRequiredParameter",
                message: "Either the definition, the role ARN, the LoggingConfiguration, the EncryptionConfiguration \
                          or the TracingConfiguration must be specified"
                    .to_owned(),
            });
        }
        Ok(())
    }
}

impl Shape for api::DeleteStateMachineInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length(
            "stateMachineArn",
            Some(&self.state_machine_arn),
            1,
            limits::ARN,
            Length::Chars,
        );
        v.finish()
    }
}

impl Shape for api::ListStateMachinesInput {
    const REQUIRED: &'static [&'static str] = &[];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        paging(&mut v, self.max_results, self.next_token.as_deref());
        v.finish()
    }
}

impl Shape for api::DescribeStateMachineForExecutionInput {
    const REQUIRED: &'static [&'static str] = &["executionArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("executionArn", Some(&self.execution_arn), 1, limits::ARN, Length::Chars);
        v.one_of("includedData", self.included_data.as_deref(), limits::INCLUDED_DATA);
        v.finish()
    }
}

fn logging(v: &mut Violations, logging: Option<&api::LoggingConfiguration>) {
    let Some(logging) = logging else { return };
    v.one_of("loggingConfiguration.level", logging.level.as_deref(), LOG_LEVELS);
    for (i, destination) in logging.destinations.iter().flatten().enumerate() {
        let arn = destination
            .cloud_watch_logs_log_group
            .as_ref()
            .and_then(|group| group.log_group_arn.as_deref());
        let member = format!(
            "loggingConfiguration.destinations.{}.member.cloudWatchLogsLogGroup.logGroupArn",
            i + 1
        );
        v.length(&member, arn, 1, limits::ARN, Length::Chars);
    }
}

fn versions(v: &mut Violations, description: Option<&str>) {
    v.length(
        "versionDescription",
        description,
        0,
        limits::SHORT_TEXT,
        Length::SensitiveChars,
    );
}

/// The model's constraints on the `tags` of a create (CreateStateMachine, CreateActivity).
pub(crate) fn tags(v: &mut Violations, tags: Option<&[api::Tag]>) {
    for (i, tag) in tags.into_iter().flatten().enumerate() {
        let n = i + 1;
        v.length(&format!("tags.{n}.member.key"), tag.key.as_deref(), 1, 128, Length::Chars);
        v.length(&format!("tags.{n}.member.value"), tag.value.as_deref(), 0, 256, Length::Chars);
    }
}

/// The model's constraints on an `encryptionConfiguration` (also CreateActivity's).
pub(crate) fn encryption(v: &mut Violations, encryption: Option<&api::EncryptionConfiguration>) {
    let Some(encryption) = encryption else { return };
    if encryption.kind.is_none() {
        v.null("encryptionConfiguration.type");
    }
    v.one_of(
        "encryptionConfiguration.type",
        encryption.kind.as_deref(),
        convert::ENCRYPTION_TYPES,
    );
    v.length(
        "encryptionConfiguration.kmsKeyId",
        encryption.kms_key_id.as_deref(),
        1,
        2048,
        Length::Chars,
    );
    v.range(
        "encryptionConfiguration.kmsDataKeyReusePeriodSeconds",
        encryption.kms_data_key_reuse_period_seconds,
        60,
        900,
    );
}
