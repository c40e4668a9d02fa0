//! Tagging actions: TagResource, UntagResource, ListTagsForResource.

use axum::extract::State;

use runtime::service::Service;

use crate::convert;
use crate::error::ApiError;
use crate::extract::AwsJson;
use crate::shape::{Length, Shape, Violations, limits};

/// `TagKey`: 1 to 128 characters.
const KEY: usize = 128;
/// `TagValue`: 0 to 256 characters.
const VALUE: usize = 256;

pub(crate) async fn tag(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::TagResourceInput>,
) -> Result<AwsJson<api::TagResourceOutput>, ApiError> {
    service
        .tag_resource(&input.resource_arn, convert::tags_from_wire(input.tags))
        .await?;
    Ok(AwsJson(api::TagResourceOutput {}))
}

pub(crate) async fn untag(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::UntagResourceInput>,
) -> Result<AwsJson<api::UntagResourceOutput>, ApiError> {
    service.untag_resource(&input.resource_arn, &input.tag_keys).await?;
    Ok(AwsJson(api::UntagResourceOutput {}))
}

pub(crate) async fn list(
    State(service): State<Service>,
    AwsJson(input): AwsJson<api::ListTagsForResourceInput>,
) -> Result<AwsJson<api::ListTagsForResourceOutput>, ApiError> {
    let tags = service.list_tags_for_resource(&input.resource_arn).await?;
    Ok(AwsJson(convert::tags_to_wire(tags)))
}

impl Shape for api::TagResourceInput {
    const REQUIRED: &'static [&'static str] = &["resourceArn", "tags"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("resourceArn", Some(&self.resource_arn), 1, limits::ARN, Length::Chars);
        for (i, tag) in self.tags.iter().enumerate() {
            let n = i + 1;
            let key = format!("tags.{n}.member.key");
            // The model leaves both members optional, but a tag without a key names nothing.
            if tag.key.is_none() {
                v.null(&key);
            }
            v.length(&key, tag.key.as_deref(), 1, KEY, Length::Chars);
            v.length(
                &format!("tags.{n}.member.value"),
                tag.value.as_deref(),
                0,
                VALUE,
                Length::Chars,
            );
        }
        v.finish()
    }
}

impl Shape for api::UntagResourceInput {
    const REQUIRED: &'static [&'static str] = &["resourceArn", "tagKeys"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("resourceArn", Some(&self.resource_arn), 1, limits::ARN, Length::Chars);
        for (i, key) in self.tag_keys.iter().enumerate() {
            v.length(&format!("tagKeys.{}.member", i + 1), Some(key), 1, KEY, Length::Chars);
        }
        v.finish()
    }
}

impl Shape for api::ListTagsForResourceInput {
    const REQUIRED: &'static [&'static str] = &["resourceArn"];

    fn validate(&self) -> Result<(), ApiError> {
        let mut v = Violations::default();
        v.length("resourceArn", Some(&self.resource_arn), 1, limits::ARN, Length::Chars);
        v.finish()
    }
}
