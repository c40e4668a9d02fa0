//! TagResource, UntagResource and ListTagsForResource: the tags of any taggable resource, named by its ARN.
//!
//! AWS tags state machines and activities. Tagging sets the value of a key (replacing the value of a key already
//! there); untagging a key that is not there does nothing; a resource holds at most `MAX_TAGS` tags, and a request
//! that would leave more is refused whole with `TooManyTags`. Tags keep the order in which their keys were first set.
//! The lengths of keys and values are the request's shape, checked by the server.
//! Both kinds keep their tags in the store.

use store::Store;

use crate::service::{Error, Service, internal};

/// The most tags one resource may carry.
pub const MAX_TAGS: usize = 50;

/// `current` with `tags` set (a key already there takes the new value, the last of a repeated key wins), or
/// `TooManyTags` if that is more than `MAX_TAGS` tags; CreateStateMachine and CreateActivity merge into none.
pub(crate) fn merged(mut current: Vec<(String, String)>, tags: Vec<(String, String)>) -> Result<Vec<(String, String)>, Error> {
    for (key, value) in tags {
        match current.iter_mut().find(|(existing, _)| *existing == key) {
            Some(entry) => entry.1 = value,
            None => current.push((key, value)),
        }
    }
    if current.len() > MAX_TAGS {
        return Err(Error::TooManyTags(
            "You've exceeded the number of tags allowed for a resource. See the Limits Topic in the AWS Step \
             Functions Developer Guide."
                .to_owned(),
        ));
    }
    Ok(current)
}

/// A resource that can carry tags, as its ARN names it.
enum Taggable {
    StateMachine,
    Activity,
}

impl Service {
    /// Adds `tags` to the resource `arn`, replacing the values of keys it already has (the last of a repeated key
    /// wins).
    pub async fn tag_resource(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), Error> {
        let current = self.list_tags_for_resource(arn).await?;
        let merged = merged(current, tags)?;
        self.set_tags(arn, merged).await
    }

    /// Removes the tags with `keys` from the resource `arn`; keys it does not have are ignored.
    pub async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), Error> {
        let mut current = self.list_tags_for_resource(arn).await?;
        let before = current.len();
        current.retain(|(key, _)| !keys.contains(key));
        if current.len() == before {
            return Ok(());
        }
        self.set_tags(arn, current).await
    }

    /// The tags of the resource `arn`, as (key, value) in the order their keys were first set.
    pub async fn list_tags_for_resource(&self, arn: &str) -> Result<Vec<(String, String)>, Error> {
        match taggable(arn)? {
            Taggable::StateMachine => {
                let machine = self.inner.store.state_machine(arn).await.map_err(internal)?;
                machine.map(|machine| machine.tags).ok_or_else(|| not_found(arn))
            }
            Taggable::Activity => {
                let activity = self.inner.store.activity(arn).await.map_err(internal)?;
                activity.map(|activity| activity.tags).ok_or_else(|| not_found(arn))
            }
        }
    }

    async fn set_tags(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), Error> {
        let set = match taggable(arn)? {
            Taggable::StateMachine => self.inner.store.set_state_machine_tags(arn, tags).await,
            Taggable::Activity => self.inner.store.set_activity_tags(arn, tags).await,
        };
        match set {
            Ok(()) => Ok(()),
            // Deleted between the read and the write.
            Err(store::Error::NotFound(_)) => Err(not_found(arn)),
            Err(error) => Err(internal(error)),
        }
    }
}

/// Reads a taggable resource's ARN: `arn:<partition>:states:<region>:<account>:stateMachine|activity:<name>`.
/// A well-formed ARN of another kind (an execution, a version) is `InvalidArn`, as is anything malformed.
fn taggable(arn: &str) -> Result<Taggable, Error> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "states", region, account, kind, name]
            if partition.starts_with("aws") && !region.is_empty() && !account.is_empty() && !name.is_empty() =>
        {
            match *kind {
                "stateMachine" => Ok(Taggable::StateMachine),
                "activity" => Ok(Taggable::Activity),
                other => Err(Error::InvalidArn(format!(
                    "Invalid Arn: 'Resource type not valid in this context: {other}'"
                ))),
            }
        }
        ["arn", _, "states", _, _, kind, ..] if *kind != "stateMachine" && *kind != "activity" => {
            Err(Error::InvalidArn(format!(
                "Invalid Arn: 'Resource type not valid in this context: {kind}'"
            )))
        }
        _ => Err(Error::InvalidArn(format!("Invalid Arn: '{arn}'"))),
    }
}

fn not_found(arn: &str) -> Error {
    Error::ResourceNotFound(format!("Resource not found: '{arn}'"))
}

#[cfg(test)]
mod tests {
    use super::{Taggable, taggable};
    use crate::service::Error;

    #[test]
    fn arns() {
        let machine = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
        assert!(matches!(taggable(machine), Ok(Taggable::StateMachine)));
        let activity = "arn:aws-cn:states:cn-north-1:123456789012:activity:a";
        assert!(matches!(taggable(activity), Ok(Taggable::Activity)));
        for bad in [
            "",
            "nonsense",
            "arn:aws:states:us-east-1:123456789012:stateMachine:",
            "arn:aws:states:us-east-1:123456789012:stateMachine:m:1",
            "arn:aws:states:us-east-1:123456789012:execution:m:e",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
        ] {
            assert!(matches!(taggable(bad), Err(Error::InvalidArn(_))), "{bad:?}");
        }
    }
}
