//! Where a service's calls go: the endpoint the standard AWS configuration names for it (`AWS_ENDPOINT_URL_<SERVICE>`,
//! `AWS_ENDPOINT_URL`, or `endpoint_url` in the shared config file's profile and `services` section, read by
//! `aws-config` exactly as the AWS SDKs read them), else the service's public endpoint in the region.

use aws_config::SdkConfig;
use aws_types::service_config::ServiceConfigKey;

/// A resolved endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `scheme://host[:port]`, without a trailing slash; a configured URL's path is kept as a prefix.
    pub(crate) base: String,
    /// The region requests are signed for.
    pub(crate) signing_region: String,
    /// The endpoint came from configuration (LocalStack, moto, MinIO): no host prefixes are added to it.
    pub(crate) configured: bool,
}

/// The region calls use when the configuration names none: local stand-ins for AWS accept any, and AWS's own
/// default-region services live there.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";

/// The endpoint of the service with model metadata `service_id`, `endpoint_prefix` and `global_endpoint`.
pub(crate) fn resolve(config: &SdkConfig, service_id: &str, endpoint_prefix: &str, global_endpoint: Option<&str>) -> Endpoint {
    let region = config.region().map_or(DEFAULT_REGION, |r| r.as_ref()).to_owned();
    let configured = config.service_config().and_then(|loader| {
        let key = ServiceConfigKey::builder().service_id(service_id).env("AWS_ENDPOINT_URL").profile("endpoint_url").build().ok()?;
        loader.load_config(key)
    });
    if let Some(url) = configured.filter(|url| !url.trim().is_empty()) {
        return Endpoint { base: url.trim().trim_end_matches('/').to_owned(), signing_region: region, configured: true };
    }
    public(&region, endpoint_prefix, global_endpoint)
}

/// The public endpoint of a service in `region`.
fn public(region: &str, endpoint_prefix: &str, global_endpoint: Option<&str>) -> Endpoint {
    let suffix = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    match global_endpoint {
        Some(host) if !region.starts_with("cn-") && !region.starts_with("us-gov-") => {
            Endpoint { base: format!("https://{host}"), signing_region: DEFAULT_REGION.to_owned(), configured: false }
        }
        _ => Endpoint {
            base: format!("https://{endpoint_prefix}.{region}.{suffix}"),
            signing_region: region.to_owned(),
            configured: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::public;

    #[test]
    fn public_endpoints_follow_the_region() {
        assert_eq!(public("eu-west-1", "dynamodb", None).base, "https://dynamodb.eu-west-1.amazonaws.com");
        assert_eq!(public("cn-north-1", "s3", None).base, "https://s3.cn-north-1.amazonaws.com.cn");
        let iam = public("eu-west-1", "iam", Some("iam.amazonaws.com"));
        assert_eq!((iam.base.as_str(), iam.signing_region.as_str()), ("https://iam.amazonaws.com", "us-east-1"));
    }
}
