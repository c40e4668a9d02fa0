//! Tests of the wire protocols, with the real embedded models, against requests and responses written from AWS's
//! API documentation examples. One file per protocol, plus input checking, the small helpers, and properties.

mod aws_json;
mod input;
mod mock;
mod parts;
mod properties;
mod query;
mod rest_json;
mod rest_xml;

use serde_json::Value;

use crate::Service;
use crate::protocol::{Request, Response, ServiceError, build, parse};

/// The idempotency token the tests give `build`.
pub(super) const TOKEN: &str = "token-0001";

/// The service `name`.
pub(super) fn service(name: &str) -> Service {
    crate::load(name).expect("every embedded model loads")
}

/// The request for `service`'s `action` with `input`; fails the test on an `InputError`.
#[track_caller]
fn request(service_name: &str, action: &str, input: Value) -> Request {
    let service = service(service_name);
    let operation = service.model.operation(action).expect("the operation exists");
    match build(&service, operation, &input, TOKEN) {
        Ok(request) => request,
        Err(error) => panic!("{service_name}:{action}: {error}"),
    }
}

/// The `InputError` message for `service`'s `action` with `input`; fails the test when the input is accepted.
#[track_caller]
fn input_error(service_name: &str, action: &str, input: Value) -> String {
    let service = service(service_name);
    let operation = service.model.operation(action).expect("the operation exists");
    match build(&service, operation, &input, TOKEN) {
        Ok(request) => panic!("{service_name}:{action}: accepted, giving {request:?}"),
        Err(error) => error.message,
    }
}

/// The request's body as text.
fn body(request: &Request) -> &str {
    std::str::from_utf8(&request.body).expect("a UTF-8 body")
}

/// The request's body as JSON.
fn body_json(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}

/// The value of the request's header `name` (case-insensitive).
fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    crate::protocol::header(&request.headers, name)
}

/// `headers` as owned pairs.
fn owned(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
}

/// What `parse` makes of a response to `service`'s `action`.
fn respond(service_name: &str, action: &str, status: u16, headers: &[(&str, &str)], body: &[u8]) -> Result<Value, Box<ServiceError>> {
    let service = service(service_name);
    let operation = service.model.operation(action).expect("the operation exists");
    let headers = owned(headers);
    parse(&service, operation, &Response { status, headers: &headers, body })
}

/// The output of a successful response; fails the test on an error.
#[track_caller]
fn output(service_name: &str, action: &str, headers: &[(&str, &str)], body: &str) -> Value {
    match respond(service_name, action, 200, headers, body.as_bytes()) {
        Ok(output) => output,
        Err(error) => panic!("{service_name}:{action}: {error:?}"),
    }
}

/// An error response as Step Functions reports it: the error, its name and its cause.
#[track_caller]
fn failure(service_name: &str, action: &str, status: u16, headers: &[(&str, &str)], body: &str) -> (ServiceError, String, String) {
    match respond(service_name, action, status, headers, body.as_bytes()) {
        Ok(output) => panic!("{service_name}:{action}: no error, output {output}"),
        Err(error) => {
            let service = service(service_name);
            let name = error.error_name(&service);
            let cause = error.cause(&service);
            (*error, name, cause)
        }
    }
}

/// The keys of a JSON object, in order.
fn keys(value: &Value) -> Vec<&str> {
    value.as_object().map(|object| object.keys().map(String::as_str).collect()).unwrap_or_default()
}
