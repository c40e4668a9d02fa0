//! The wire protocols of AWS services, both ways: Step Functions' parameters (JSON, members in PascalCase) to the
//! HTTP request a service reads (`build`), and the service's HTTP response to the JSON Step Functions shows or to the
//! error it names (`parse`). botocore's semantics for awsJson 1.0/1.1, restJson, restXml, awsQuery and ec2Query,
//! read from each service's model. Signing and sending are not here: `integrations::aws` does them.
//!
//! S3 is addressed path-style (`/{Bucket}/{Key+}` on the service's host), which also works with custom endpoints
//! (LocalStack, MinIO); virtual-hosted buckets would need the sender to move the bucket into the host.

mod checksum;
mod error;
mod input;
mod json;
mod member;
pub mod mock;
mod names;
mod percent;
mod query;
mod rest;
mod time;
mod xml;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::Service;
use crate::model::{Model, Operation, Protocol};

pub use error::{CLIENT_ERROR, ServiceError};

use input::Typed;

/// An HTTP request for a service, before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `PUT`, `POST`, `DELETE`, `HEAD`, `PATCH`.
    pub method: String,
    /// Percent-encoded; starts with `/`.
    pub path_and_query: String,
    /// The operation's `endpoint.hostPrefix` with its labels filled (`123456789012.`), to put before the host.
    pub host_prefix: Option<String>,
    /// The protocol's own headers (`Content-Type`, `X-Amz-Target`, checksums) and the members bound to headers;
    /// not `Host`, `Content-Length` or the signature's.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An HTTP response of a service.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    pub status: u16,
    /// Names are matched without regard to case.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Parameters the operation does not take as given: `message` names the parameter and says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    /// `the value of 'Item.id.N' must be a string, not a number`.
    pub message: String,
}

impl InputError {
    fn new(message: String) -> InputError {
        InputError { message }
    }
}

/// The protocol Baton speaks to the service: awsJson when the service offers it (botocore lists it beside Smithy's
/// RPC v2 CBOR for some), else the first protocol it lists, else its `protocol`.
pub fn choose(model: &Model) -> Protocol {
    let metadata = &model.metadata;
    if metadata.protocols.contains(&Protocol::Json) {
        return Protocol::Json;
    }
    metadata.protocols.iter().copied().find(|protocol| is_spoken(*protocol)).unwrap_or(metadata.protocol)
}

/// Whether Baton speaks `protocol`.
fn is_spoken(protocol: Protocol) -> bool {
    matches!(protocol, Protocol::Json | Protocol::RestJson | Protocol::RestXml | Protocol::Query | Protocol::Ec2)
}

/// The HTTP request that calls `operation` with `input`, Step Functions' parameters. Absent idempotency-token
/// members get `idempotency_token`.
pub fn build(service: &Service, operation: &Operation, input: &Value, idempotency_token: &str) -> Result<Request, InputError> {
    let model = &service.model;
    let protocol = choose(model);
    if !is_spoken(protocol) {
        return Err(unspoken(service));
    }
    let typed = input::normalize(model, operation, input, idempotency_token)?;
    let mut request = match protocol {
        Protocol::Json => json::build(model, operation, typed.as_ref()),
        Protocol::RestJson | Protocol::RestXml => rest::build(model, operation, typed.as_ref(), protocol)?,
        Protocol::Query | Protocol::Ec2 => query::build(model, operation, typed.as_ref(), protocol),
        Protocol::RpcV2Cbor | Protocol::Other => return Err(unspoken(service)),
    };
    request.host_prefix = host_prefix(operation, typed.as_ref())?;
    Ok(request)
}

/// The JSON Step Functions shows for `response` to `operation`, or the error the response names (boxed: it is
/// large, and rare next to the output).
pub fn parse(service: &Service, operation: &Operation, response: &Response<'_>) -> Result<Value, Box<ServiceError>> {
    let model = &service.model;
    match choose(model) {
        Protocol::Json => json::parse(model, operation, response),
        protocol @ (Protocol::RestJson | Protocol::RestXml) => rest::parse(model, operation, response, protocol),
        protocol @ (Protocol::Query | Protocol::Ec2) => query::parse(model, operation, response, protocol),
        Protocol::RpcV2Cbor | Protocol::Other => Err(Box::new(ServiceError::client(unspoken(service).message, response.status, None))),
    }
}

/// The service speaks no protocol Baton does.
fn unspoken(service: &Service) -> InputError {
    InputError::new(format!(
        "the service '{}' speaks only protocols Baton does not ({:?})",
        service.name, service.model.metadata.protocols
    ))
}

/// Whether a response's status says it is an error.
fn is_error(status: u16) -> bool {
    !(200..300).contains(&status)
}

/// The value of the header `name` (case-insensitive).
fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

/// The request id a response carries in its headers.
fn request_id(headers: &[(String, String)]) -> Option<String> {
    ["x-amzn-RequestId", "x-amz-request-id", "x-amzn-request-id"]
        .iter()
        .find_map(|name| header(headers, name))
        .map(str::to_owned)
}

/// `endpoint.hostPrefix` with its `{Label}`s filled from the input's members: each must be a non-empty host label
/// (letters, digits, `-`).
fn host_prefix(operation: &Operation, input: Option<&Typed<'_>>) -> Result<Option<String>, InputError> {
    let Some(endpoint) = &operation.endpoint else { return Ok(None) };
    let mut out = String::new();
    let mut rest = endpoint.host_prefix.as_str();
    while let Some(open) = rest.find('{') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        let close = after.find('}').ok_or_else(|| InputError::new(format!("the host prefix '{}' is malformed", endpoint.host_prefix)))?;
        let label = after.get(1..close).unwrap_or_default();
        let value = match input.and_then(|typed| typed.field(label)).map(|typed| &typed.value) {
            Some(input::Value::String(text)) => text.as_str(),
            _ => return Err(InputError::new(format!("the field '{}' is required: it is part of the host", names::shown(label)))),
        };
        if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-') {
            return Err(InputError::new(format!(
                "the value of '{}' must be a host label (letters, digits and '-'), not '{value}'",
                names::shown(label)
            )));
        }
        out.push_str(value);
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(Some(out))
}
