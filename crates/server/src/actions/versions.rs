//! Version and alias actions: PublishStateMachineVersion, ListStateMachineVersions, DeleteStateMachineVersion,
//! CreateStateMachineAlias, DescribeStateMachineAlias, UpdateStateMachineAlias, DeleteStateMachineAlias,
//! ListStateMachineAliases.

use axum::extract::State;

use runtime::service::Service;

use crate::convert;
use crate::error::ApiError;
use crate::extract::AwsJson;
use crate::shape::{Length, Shape, Violations, limits, paging};

/// `AliasName`: 1 to 80 characters (the pattern is the service's check).
const ALIAS_NAME: usize = 80;
/// `RoutingConfigurationList`: 1 or 2 routes.
const MAX_ROUTES: usize = 2;

pub(crate) async fn publish(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::PublishStateMachineVersionInput>,
) -> Result<AwsJson<api::PublishStateMachineVersionOutput>, ApiError> {
    let version = service
        .publish_state_machine_version(&input.state_machine_arn, input.revision_id, input.description)
        .await?;
    Ok(AwsJson(convert::published(&version)))
}

pub(crate) async fn list_versions(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::ListStateMachineVersionsInput>,
) -> Result<AwsJson<api::ListStateMachineVersionsOutput>, ApiError> {
    let page = convert::page_request(input.max_results, input.next_token);
    let page = service.list_state_machine_versions(&input.state_machine_arn, page).await?;
    Ok(AwsJson(convert::versions(page)))
}

pub(crate) async fn delete_version(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::DeleteStateMachineVersionInput>,
) -> Result<AwsJson<api::DeleteStateMachineOutput>, ApiError> {
    service.delete_state_machine_version(&input.state_machine_version_arn).await?;
    Ok(AwsJson(api::DeleteStateMachineOutput {}))
}

pub(crate) async fn create_alias(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::CreateStateMachineAliasInput>,
) -> Result<AwsJson<api::CreateStateMachineAliasOutput>, ApiError> {
    let alias = service.create_state_machine_alias(convert::create_alias_request(input)).await?;
    Ok(AwsJson(api::CreateStateMachineAliasOutput {
        creation_date: convert::seconds(alias.created),
        state_machine_alias_arn: alias.arn,
    }))
}

pub(crate) async fn describe_alias(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::StateMachineAliasArnInput>,
) -> Result<AwsJson<api::DescribeStateMachineAliasOutput>, ApiError> {
    let alias = service.describe_state_machine_alias(&input.state_machine_alias_arn).await?;
    Ok(AwsJson(convert::described_alias(alias)))
}

pub(crate) async fn update_alias(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::UpdateStateMachineAliasInput>,
) -> Result<AwsJson<api::UpdateStateMachineAliasOutput>, ApiError> {
    let alias = service.update_state_machine_alias(convert::update_alias_request(input)).await?;
    Ok(AwsJson(api::UpdateStateMachineAliasOutput { update_date: convert::seconds(alias.updated) }))
}

pub(crate) async fn delete_alias(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::StateMachineAliasArnInput>,
) -> Result<AwsJson<api::DeleteStateMachineOutput>, ApiError> {
    service.delete_state_machine_alias(&input.state_machine_alias_arn).await?;
    Ok(AwsJson(api::DeleteStateMachineOutput {}))
}

pub(crate) async fn list_aliases(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::ListStateMachineAliasesInput>,
) -> Result<AwsJson<api::ListStateMachineAliasesOutput>, ApiError> {
    let page = convert::page_request(input.max_results, input.next_token);
    let page = service.list_state_machine_aliases(&input.state_machine_arn, page).await?;
    Ok(AwsJson(convert::aliases(page)))
}

impl Shape for api::PublishStateMachineVersionInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("stateMachineArn", Some(&self.state_machine_arn), 1, limits::ARN, Length::Chars);
        v.length("description", self.description.as_deref(), 0, limits::SHORT_TEXT, Length::SensitiveChars);
        v.finish()
    }
}

impl Shape for api::ListStateMachineVersionsInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("stateMachineArn", Some(&self.state_machine_arn), 1, limits::ARN, Length::Chars);
        paging(&mut v, self.max_results, self.next_token.as_deref());
        v.finish()
    }
}

impl Shape for api::DeleteStateMachineVersionInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineVersionArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("stateMachineVersionArn", Some(&self.state_machine_version_arn), 1, limits::ARN, Length::Chars);
        v.finish()
    }
}

impl Shape for api::CreateStateMachineAliasInput {
    const REQUIRED: &'static [&'static str] = &["name", "routingConfiguration"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("description", self.description.as_deref(), 0, limits::SHORT_TEXT, Length::SensitiveChars);
        v.length("name", Some(&self.name), 1, ALIAS_NAME, Length::Chars);
        routing(&mut v, &self.routing_configuration);
        v.finish()
    }
}

impl Shape for api::StateMachineAliasArnInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineAliasArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("stateMachineAliasArn", Some(&self.state_machine_alias_arn), 1, limits::ARN, Length::Chars);
        v.finish()
    }
}

impl Shape for api::UpdateStateMachineAliasInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineAliasArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("stateMachineAliasArn", Some(&self.state_machine_alias_arn), 1, limits::ARN, Length::Chars);
        v.length("description", self.description.as_deref(), 0, limits::SHORT_TEXT, Length::SensitiveChars);
        if let Some(routes) = &self.routing_configuration {
            routing(&mut v, routes);
        }
        v.finish()
    }
}

impl Shape for api::ListStateMachineAliasesInput {
    const REQUIRED: &'static [&'static str] = &["stateMachineArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("stateMachineArn", Some(&self.state_machine_arn), 1, limits::ARN, Length::Chars);
        paging(&mut v, self.max_results, self.next_token.as_deref());
        v.finish()
    }
}

/// `routingConfiguration`: 1 or 2 routes, each a version ARN and a weight in 0..=100.
fn routing(v: &mut Violations, routes: &[api::RoutingConfigurationListItem]) {
    if routes.is_empty() || routes.len() > MAX_ROUTES {
        let bound = if routes.is_empty() { "greater than or equal to 1" } else { "less than or equal to 2" };
        v.problem(format!(
            "Value at 'routingConfiguration' failed to satisfy constraint: Member must have length {bound}"
        ));
    }
    for (i, route) in routes.iter().enumerate() {
        let n = i + 1;
        v.length(
            &format!("routingConfiguration.{n}.member.stateMachineVersionArn"),
            Some(&route.state_machine_version_arn),
            1,
            limits::ARN,
            Length::Chars,
        );
        v.range(&format!("routingConfiguration.{n}.member.weight"), Some(route.weight), 0, 100);
    }
}
