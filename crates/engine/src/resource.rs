//! What kind of thing a Task's `Resource` names, which decides the history events AWS writes for it.

/// The family of a Task resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// `arn:aws:lambda:…:function:NAME`: `LambdaFunction…` events.
    LambdaFunction,
    /// `arn:aws:states:::SERVICE:ACTION[.pattern]` or `arn:aws:states:::aws-sdk:SERVICE:ACTION`: `Task…` events with
    /// `resourceType` and `resource` split as AWS splits them.
    Service { resource_type: String, resource: String },
    /// `arn:aws:states:REGION:ACCOUNT:activity:NAME`.
    Activity,
}

impl ResourceKind {
    /// Classifies a resource ARN.
    pub fn of(resource: &str) -> ResourceKind {
        if resource.starts_with("arn:aws:lambda:") || resource.starts_with("arn:aws-") && resource.contains(":lambda:") {
            return ResourceKind::LambdaFunction;
        }
        let parts: Vec<&str> = resource.splitn(6, ':').collect();
        if let [_, _, "states", _, _, rest] = parts.as_slice() {
            if rest.starts_with("activity:") {
                return ResourceKind::Activity;
            }
            if let Some(sdk) = rest.strip_prefix("aws-sdk:")
                && let Some((service, action)) = sdk.split_once(':')
            {
                return ResourceKind::Service { resource_type: format!("aws-sdk:{service}"), resource: action.to_owned() };
            }
            if let Some((service, action)) = rest.split_once(':') {
                return ResourceKind::Service { resource_type: service.to_owned(), resource: action.to_owned() };
            }
        }
        ResourceKind::Service { resource_type: "unknown".to_owned(), resource: resource.to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::ResourceKind;

    #[track_caller]
    fn check(resource: &str, expected: ResourceKind) {
        assert_eq!(ResourceKind::of(resource), expected);
    }

    fn service(t: &str, r: &str) -> ResourceKind {
        ResourceKind::Service { resource_type: t.to_owned(), resource: r.to_owned() }
    }

    #[test]
    fn classifies() {
        check("arn:aws:lambda:us-east-1:111111111111:function:f", ResourceKind::LambdaFunction);
        check("arn:aws:states:::lambda:invoke", service("lambda", "invoke"));
        check("arn:aws:states:::lambda:invoke.waitForTaskToken", service("lambda", "invoke.waitForTaskToken"));
        check("arn:aws:states:::aws-sdk:s3:listBuckets", service("aws-sdk:s3", "listBuckets"));
        check("arn:aws:states:::dynamodb:putItem", service("dynamodb", "putItem"));
        check("arn:aws:states:us-east-1:123456789012:activity:a", ResourceKind::Activity);
    }
}
