//! An error a service answered, and how Step Functions names it (`S3.NoSuchKeyException`) and describes it
//! (`The specified key does not exist. (Service: S3, Status Code: 404, Request ID: …)`).
//!
//! Step Functions reports errors as the AWS SDK for Java names its exception classes: a code the model knows as an
//! exception shape becomes that shape's name with `Exception` appended when absent (S3's `NoSuchKey` is
//! `S3.NoSuchKeyException`, STS's code `MalformedPolicyDocument` is the shape `MalformedPolicyDocumentException`); a
//! code the model does not know becomes the service's own exception (`S3.S3Exception`: AWS reports S3's unmodelled
//! 503 `SlowDown` so). A response Baton cannot read is `<Service>.SdkClientException`.

use crate::Service;
use crate::model::{Model, Operation, Shape};

/// The code of an error Baton raises itself because the response cannot be read (not JSON, not XML): the AWS SDK
/// for Java's name for client-side failures.
pub const CLIENT_ERROR: &str = "SdkClientException";

/// An error response of a service (or a response that cannot be read, with `code` [`CLIENT_ERROR`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The error code on the wire (`NoSuchKey`, `ConditionalCheckFailedException`); for a response without one, the
    /// status's reason without spaces (`NotFound`).
    pub code: String,
    /// The service's message, when it sent one (a HEAD response has none).
    pub message: Option<String>,
    /// The HTTP status (200 for S3's error documents sent with it).
    pub status: u16,
    /// `x-amzn-RequestId`, `x-amz-request-id`, or the `RequestId` of an XML error.
    pub request_id: Option<String>,
    /// S3's `x-amz-id-2` (`HostId`).
    pub extended_request_id: Option<String>,
    /// The model's exception shape the response names, which gives Step Functions' error name; `None` for a code
    /// the model does not know.
    pub shape: Option<String>,
}

impl ServiceError {
    /// Step Functions' error name: `<error_prefix>.<Shape>` with `Exception` appended when absent for a modelled
    /// error (S3 `NoSuchKey` -> `S3.NoSuchKeyException`, DynamoDB `ConditionalCheckFailedException` unchanged),
    /// `<error_prefix>.<error_prefix>Exception` for any other (`S3.S3Exception`), `<error_prefix>.SdkClientException`
    /// for a response that cannot be read.
    pub fn error_name(&self, service: &Service) -> String {
        let prefix = service.error_prefix;
        if self.code == CLIENT_ERROR {
            return format!("{prefix}.{CLIENT_ERROR}");
        }
        match &self.shape {
            Some(shape) if shape.ends_with("Exception") => format!("{prefix}.{shape}"),
            Some(shape) => format!("{prefix}.{shape}Exception"),
            None => format!("{prefix}.{prefix}Exception"),
        }
    }

    /// Step Functions' cause: `<message> (Service: <error_prefix>, Status Code: <status>, Request ID: <id>)`, with
    /// `, Extended Request ID: <id2>` before the `)` when there is one. An absent message or request id reads `null`,
    /// as the AWS SDK for Java writes it. A response that cannot be read has its message alone.
    pub fn cause(&self, service: &Service) -> String {
        let message = self.message.as_deref().unwrap_or("null");
        if self.code == CLIENT_ERROR {
            return message.to_owned();
        }
        let extended = match &self.extended_request_id {
            Some(id) => format!(", Extended Request ID: {id}"),
            None => String::new(),
        };
        format!(
            "{message} (Service: {}, Status Code: {}, Request ID: {}{extended})",
            service.error_prefix,
            self.status,
            self.request_id.as_deref().unwrap_or("null")
        )
    }

    /// A response Baton cannot read.
    pub(crate) fn client(message: String, status: u16, request_id: Option<String>) -> ServiceError {
        ServiceError {
            code: CLIENT_ERROR.to_owned(),
            message: Some(message),
            status,
            request_id,
            extended_request_id: None,
            shape: None,
        }
    }

    /// An error with no code in its response (a HEAD request's, an empty or unreadable body): the code is the status's
    /// reason (`NotFound`).
    pub(crate) fn from_status(status: u16) -> ServiceError {
        ServiceError {
            code: status_code_name(status),
            message: None,
            status,
            request_id: None,
            extended_request_id: None,
            shape: None,
        }
    }
}

/// The exception shape of `model` that `code` names: one whose `error.code` is `code`, else one named `code`. The
/// operation's own errors are searched first. A code made from the status alone (no body) names the operation's one
/// modelled error with that status, if there is exactly one (S3 `HeadObject`'s 404 is `NoSuchKey`).
pub(crate) fn modelled_shape(model: &Model, operation: &Operation, code: &str, from_status: Option<u16>) -> Option<String> {
    if let Some(status) = from_status {
        let mut with_status = operation.errors.iter().filter(|reference| {
            model.shape(&reference.shape).and_then(|shape| shape.error.as_ref()).and_then(|error| error.http_status_code) == Some(status)
        });
        if let (Some(only), None) = (with_status.next(), with_status.next()) {
            return Some(only.shape.clone());
        }
    }
    let own = operation.errors.iter().map(|reference| reference.shape.as_str());
    let names_code = |name: &str, shape: &Shape| shape.exception && error_code(name, shape) == code;
    if let Some(name) = own.clone().find(|name| model.shape(name).is_some_and(|shape| names_code(name, shape))) {
        return Some(name.to_owned());
    }
    model.shapes.iter().find(|(name, shape)| names_code(name, shape)).map(|(name, _)| name.clone())
}

/// The code an exception shape has on the wire.
fn error_code<'a>(name: &'a str, shape: &'a Shape) -> &'a str {
    shape.error.as_ref().and_then(|error| error.code.as_deref()).unwrap_or(name)
}

/// The reason of an HTTP status without spaces (`404` -> `NotFound`), or its number when it has no common reason.
pub(crate) fn status_code_name(status: u16) -> String {
    let reason = match status {
        300 => "MultipleChoices",
        301 => "MovedPermanently",
        302 => "Found",
        303 => "SeeOther",
        304 => "NotModified",
        307 => "TemporaryRedirect",
        308 => "PermanentRedirect",
        400 => "BadRequest",
        401 => "Unauthorized",
        402 => "PaymentRequired",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        408 => "RequestTimeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "LengthRequired",
        412 => "PreconditionFailed",
        413 => "ContentTooLarge",
        414 => "URITooLong",
        415 => "UnsupportedMediaType",
        416 => "RangeNotSatisfiable",
        417 => "ExpectationFailed",
        422 => "UnprocessableContent",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => return status.to_string(),
    };
    reason.to_owned()
}
