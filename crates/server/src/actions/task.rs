//! Task token and activity actions: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, CreateActivity,
//! DescribeActivity, DeleteActivity, ListActivities, GetActivityTask.

use std::time::Duration;

use axum::extract::State;

use runtime::service::{Activity, Service};

use crate::actions::state_machine::{self, tags};
use crate::convert;
use crate::error::ApiError;
use crate::extract::AwsJson;
use crate::shape::{Length, Shape, Violations, limits, paging};

/// `TaskToken` length limit.
const TOKEN: usize = 2048;
/// How long GetActivityTask waits for a task, as AWS's long poll (about 60 s).
const LONG_POLL: Duration = Duration::from_secs(60);

pub(crate) async fn send_success(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::SendTaskSuccessInput>,
) -> Result<AwsJson<api::EmptyOutput>, ApiError> {
    service.send_task_success(&input.task_token, &input.output).await?;
    Ok(AwsJson(api::EmptyOutput {}))
}

pub(crate) async fn send_failure(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::SendTaskFailureInput>,
) -> Result<AwsJson<api::EmptyOutput>, ApiError> {
    service.send_task_failure(&input.task_token, input.error, input.cause).await?;
    Ok(AwsJson(api::EmptyOutput {}))
}

pub(crate) async fn send_heartbeat(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::SendTaskHeartbeatInput>,
) -> Result<AwsJson<api::EmptyOutput>, ApiError> {
    service.send_task_heartbeat(&input.task_token).await?;
    Ok(AwsJson(api::EmptyOutput {}))
}

pub(crate) async fn create_activity(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::CreateActivityInput>,
) -> Result<AwsJson<api::CreateActivityOutput>, ApiError> {
    let tags = input.tags.unwrap_or_default().into_iter().filter_map(|t| Some((t.key?, t.value.unwrap_or_default()))).collect();
    let encryption = convert::encryption_request(input.encryption_configuration.as_ref())?;
    let activity = service.create_activity(&input.name, tags, encryption.as_ref()).await?;
    Ok(AwsJson(api::CreateActivityOutput { activity_arn: activity.arn, creation_date: convert::seconds(activity.created) }))
}

pub(crate) async fn describe_activity(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::ActivityArnInput>,
) -> Result<AwsJson<api::DescribeActivityOutput>, ApiError> {
    Ok(AwsJson(convert::described_activity(service.describe_activity(&input.activity_arn).await?)))
}

pub(crate) async fn delete_activity(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::ActivityArnInput>,
) -> Result<AwsJson<api::EmptyOutput>, ApiError> {
    service.delete_activity(&input.activity_arn).await?;
    Ok(AwsJson(api::EmptyOutput {}))
}

pub(crate) async fn list_activities(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::ListActivitiesInput>,
) -> Result<AwsJson<api::ListActivitiesOutput>, ApiError> {
    let page = service.list_activities(convert::page_request(input.max_results, input.next_token)).await?;
    Ok(AwsJson(api::ListActivitiesOutput { activities: page.items.into_iter().map(item).collect(), next_token: page.next_token }))
}

pub(crate) async fn get_activity_task(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::GetActivityTaskInput>,
) -> Result<AwsJson<api::GetActivityTaskOutput>, ApiError> {
    let task = service.get_activity_task(&input.activity_arn, input.worker_name, LONG_POLL).await?;
    Ok(AwsJson(match task {
        Some(task) => api::GetActivityTaskOutput { task_token: Some(task.token), input: Some(task.input) },
        None => api::GetActivityTaskOutput::default(),
    }))
}

fn item(activity: Activity) -> api::ActivityListItem {
    api::ActivityListItem { activity_arn: activity.arn, name: activity.name, creation_date: convert::seconds(activity.created) }
}

impl Shape for api::SendTaskSuccessInput {
    const REQUIRED: &'static [&'static str] = &["taskToken", "output"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("taskToken", Some(&self.task_token), 1, TOKEN, Length::Chars);
        v.length("output", Some(&self.output), 0, limits::INPUT, Length::SensitiveBytes);
        v.finish()?;
        // A task result may nest as deeply as an execution input, and no deeper (`runtime::MAX_NESTING_DEPTH`).
        let depth = runtime::nesting_depth(&self.output);
        if depth > runtime::MAX_NESTING_DEPTH {
            return Err(ApiError::Client {
                code: "InvalidOutput",
                message: format!(
                    "Invalid Task Output: 'nested {depth} levels deep, more than the maximum of {} levels'",
                    runtime::MAX_NESTING_DEPTH
                ),
            });
        }
        Ok(())
    }
}

impl Shape for api::SendTaskFailureInput {
    const REQUIRED: &'static [&'static str] = &["taskToken"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("taskToken", Some(&self.task_token), 1, TOKEN, Length::Chars);
        v.length("error", self.error.as_deref(), 0, limits::SHORT_TEXT, Length::SensitiveChars);
        v.length("cause", self.cause.as_deref(), 0, limits::CAUSE, Length::SensitiveChars);
        v.finish()
    }
}

impl Shape for api::SendTaskHeartbeatInput {
    const REQUIRED: &'static [&'static str] = &["taskToken"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("taskToken", Some(&self.task_token), 1, TOKEN, Length::Chars);
        v.finish()
    }
}

impl Shape for api::CreateActivityInput {
    const REQUIRED: &'static [&'static str] = &["name"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("name", Some(&self.name), 1, limits::NAME, Length::Chars);
        tags(&mut v, self.tags.as_deref());
        state_machine::encryption(&mut v, self.encryption_configuration.as_ref());
        v.finish()
    }
}

impl Shape for api::ActivityArnInput {
    const REQUIRED: &'static [&'static str] = &["activityArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("activityArn", Some(&self.activity_arn), 1, limits::ARN, Length::Chars);
        v.finish()
    }
}

impl Shape for api::ListActivitiesInput {
    const REQUIRED: &'static [&'static str] = &[];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        paging(&mut v, self.max_results, self.next_token.as_deref());
        v.finish()
    }
}

impl Shape for api::GetActivityTaskInput {
    const REQUIRED: &'static [&'static str] = &["activityArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("activityArn", Some(&self.activity_arn), 1, limits::ARN, Length::Chars);
        v.length("workerName", self.worker_name.as_deref(), 1, limits::NAME, Length::Chars);
        v.finish()
    }
}
