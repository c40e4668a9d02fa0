//! The AWS services that Task states call through AWS SDK integrations (`arn:aws:states:::aws-sdk:SERVICE:ACTION`)
//! and the optimized integrations: each service's API model (botocore's JSON, embedded and compressed), and its wire
//! protocol (awsJson, restJson, restXml, awsQuery, ec2Query) both ways: Step Functions' PascalCase parameters to an
//! HTTP request, and an HTTP response to the JSON Step Functions shows or to the error it names.
//!
//! Pure: no I/O, no clock, no environment. `integrations::aws` signs and sends what this crate builds.

mod index;
pub mod model;
pub mod protocol;

use model::Model;

/// A service of AWS SDK integrations with its model.
#[derive(Debug, Clone)]
pub struct Service {
    /// The name in resource ARNs (`dynamodb`, `s3`, `sfn`).
    pub name: &'static str,
    /// The PascalCase prefix of its error names (`DynamoDb`, `S3`, `Sfn`).
    pub error_prefix: &'static str,
    /// botocore's name for it (`stepfunctions` for `sfn`).
    pub botocore: &'static str,
    /// Whether AWS's guide lists the integration as deprecated.
    pub deprecated: bool,
    pub model: Model,
}

/// Why a service's model cannot be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Baton has no model for the service: AWS's list of AWS SDK integrations does not name it, or names a retired
    /// service that botocore no longer describes.
    #[error("Baton knows no AWS SDK integration for the service '{0}' (scripts/aws-sdk-services.tsv lists those it has)")]
    UnknownService(String),
    /// The embedded model does not decompress or parse: a build problem, not a user's.
    #[error("the embedded model of '{service}' is damaged: {reason}")]
    Damaged { service: String, reason: String },
}

/// The names of every service of AWS SDK integrations, sorted.
pub fn service_names() -> impl Iterator<Item = &'static str> {
    index::SERVICES.iter().map(|entry| entry.name)
}

/// Loads the model of the service Step Functions calls `name` (decompresses and parses it: a few milliseconds for a
/// large service, so callers keep the result).
pub fn load(name: &str) -> Result<Service, Error> {
    let entry = index::SERVICES
        .binary_search_by(|entry| entry.name.cmp(name))
        .ok()
        .and_then(|i| index::SERVICES.get(i))
        .ok_or_else(|| Error::UnknownService(name.to_owned()))?;
    let damaged = |reason: String| Error::Damaged { service: name.to_owned(), reason };
    let json = miniz_oxide::inflate::decompress_to_vec_zlib(entry.model).map_err(|e| damaged(format!("{e:?}")))?;
    let model = Model::from_json(&json).map_err(|e| damaged(e.to_string()))?;
    Ok(Service {
        name: entry.name,
        error_prefix: entry.error_prefix,
        botocore: entry.botocore,
        deprecated: entry.deprecated,
        model,
    })
}

/// Whether AWS's guide lists `service`'s `action` (as written in the resource) among those Step Functions does not
/// support.
pub fn is_unsupported(service: &str, action: &str) -> bool {
    index::UNSUPPORTED.binary_search(&(service, action)).is_ok()
}
