//! The HTTP Task, `arn:aws:states:::http:invoke`: builds the request AWS would send from the state's parameters,
//! sends it, and shapes the answer as AWS's task result.
//!
//! Parameters (`Parameters` or `Arguments`, already evaluated): `ApiEndpoint` and `Method` (GET, POST, PUT, DELETE,
//! PATCH, HEAD, OPTIONS) are required; `Headers`, `QueryParameters`, `RequestBody` and `Transform` are optional.
//! `Authentication.ConnectionArn` (or `InvocationConfig.ConnectionArn`) names an EventBridge connection, which AWS
//! requires: the connection of that name or ARN in `Options::connections` adds its credentials and parameters to the
//! request (`crate::connections`); a connection Baton does not know adds nothing, and the request carries only what
//! the definition itself gives.
//!
//! - `RequestBody`: a string is sent as is; any other value is sent as JSON (`Content-Type: application/json` unless
//!   `Headers` names a content type). With `Transform.RequestBodyEncoding: URL_ENCODED` an object body is sent as a
//!   form (`application/x-www-form-urlencoded` unless `Headers` says otherwise), arrays encoded per
//!   `Transform.RequestEncodingOptions.ArrayFormat` (`INDICES` by default, `REPEAT`, `COMMAS`, `BRACKETS`) and nested
//!   objects as `key[field]`.
//! - `QueryParameters`: an object appended to `ApiEndpoint`'s query; arrays use the `ArrayFormat` if the definition
//!   gives one, else repeat the key.
//! - `Headers`: an object of strings (numbers and booleans are sent as their text, an array repeats the header);
//!   the headers AWS does not let a definition set are refused before anything is sent.
//! - The result is `{"Headers", "ResponseBody", "StatusCode", "StatusText"}`: headers map to arrays of values;
//!   the body is parsed when the response says it is JSON and is a string otherwise.
//! - Failures: a non-2xx answer is `States.Http.StatusCode.<code>` with the result object (as JSON text) as cause;
//!   a connection failure or no answer within the timeout (60 s, as AWS) is `States.Http.Socket`, and so is a call
//!   that `Options::egress` refuses (its host, or a redirect's, is one the server does not call: the cause says
//!   which address and why, `crate::egress`); a request that cannot be built is `States.Runtime`. AWS rejects some of these (literal values) when the definition is created;
//!   Baton fails them when the task runs.
//!
//! `http://` and `https://` endpoints both work. TLS is rustls with Mozilla's root certificates (`webpki-roots`,
//! built in, so the answer does not depend on the machine); a certificate those roots do not vouch for fails the
//! handshake, and that, like any other TLS failure, is `States.Http.Socket`.

#[cfg(test)]
mod tests;

use std::time::Duration;

use serde_json::{Map, Value};
use ureq::http::{Method, Request, Response};

use crate::connections::{Connection, Connections};
use crate::egress::{self, Policy};
use crate::{TaskError, TaskOutcome, Trace};

/// How HTTP Tasks call their endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// How long a request may take, from connecting to reading the whole answer; AWS's is 60 seconds.
    pub timeout: Duration,
    /// The EventBridge connections Baton knows, by name or ARN.
    pub connections: Connections,
    /// Which hosts the calls that definitions direct may reach: HTTP Tasks' endpoints (and their redirects), and
    /// functions given as URLs (`crate::lambda::Options::egress` takes it from here). Open by default.
    pub egress: Policy,
}

/// How a form (a URL-encoded body or a query) writes an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayFormat {
    /// `a[0]=x&a[1]=y`, the default for bodies.
    Indices,
    /// `a=x&a=y`, the default for query parameters.
    Repeat,
    /// `a=x,y`.
    Commas,
    /// `a[]=x&a[]=y`.
    Brackets,
}

/// A request ready to send: everything the parameters said, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

/// How `Transform` asks for the body to be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyEncoding {
    None,
    UrlEncoded,
}

const RUNTIME: &str = "States.Runtime";
const SOCKET: &str = "States.Http.Socket";
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// Headers a definition may not set, compared case-insensitively: AWS's list for the HTTP Task, plus `Content-Length`,
/// which Baton computes.
const FORBIDDEN_HEADERS: [&str; 33] = [
    "a-im",
    "accept-charset",
    "accept-datetime",
    "accept-encoding",
    "authorization",
    "cache-control",
    "connection",
    "content-encoding",
    "content-length",
    "content-md5",
    "date",
    "expect",
    "forwarded",
    "from",
    "host",
    "http2-settings",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "origin",
    "pragma",
    "proxy-authorization",
    "referer",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "warning",
];

/// Header name prefixes a definition may not use.
const FORBIDDEN_PREFIXES: [&str; 3] = ["x-forwarded-", "x-amz-", "x-amzn-"];

impl Default for Options {
    fn default() -> Options {
        Options { timeout: Duration::from_secs(60), connections: Connections::default(), egress: Policy::default() }
    }
}

/// Whether `resource` is the HTTP Task, `arn:PARTITION:states:::http:invoke` (with or without `.waitForTaskToken`).
pub fn is_http(resource: &str) -> bool {
    let Some(rest) = resource.strip_prefix("arn:") else {
        return false;
    };
    let Some((partition, service)) = rest.split_once(':') else {
        return false;
    };
    !partition.is_empty()
        && matches!(
            service,
            "states:::http:invoke" | "states:::http:invoke.waitForTaskToken"
        )
}

/// Calls the endpoint the HTTP Task's effective `parameters` describe and returns AWS's task result, or the failure.
/// Blocking: it waits for the answer (at most `options.timeout`).
pub fn invoke(parameters: &Value, options: &Options) -> TaskOutcome {
    invoke_traced(parameters, options, None)
}

/// `invoke`, continuing `trace`: the request carries its W3C `traceparent` header, unless `Headers` gives one.
pub fn invoke_traced(parameters: &Value, options: &Options, trace: Option<Trace>) -> TaskOutcome {
    let mut call = call(parameters, &options.connections)?;
    if let Some(trace) = trace {
        trace.add_to(&mut call.headers, false);
    }
    send(call, options)
}

/// The request an HTTP Task's effective `parameters` describe, as it would be sent (TestState's TRACE shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub method: String,
    /// With the query string.
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// As text (lossy for a body that is not UTF-8).
    pub body: Option<String>,
}

/// Builds the request the parameters describe without sending it, with what the connection they name adds from
/// `connections` (give `Connections::default()` to leave a connection's secrets out).
pub fn prepare(parameters: &Value, connections: &Connections) -> Result<Prepared, TaskError> {
    let call = call(parameters, connections)?;
    Ok(Prepared {
        method: call.method.to_string(),
        url: call.url,
        headers: call.headers,
        body: call.body.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    })
}

/// Writes `fields` as an `application/x-www-form-urlencoded` string, arrays in `format`.
pub fn form(fields: &Map<String, Value>, format: ArrayFormat) -> String {
    let mut pairs = Vec::new();
    for (key, value) in fields {
        push_pairs(&percent(key), value, format, &mut pairs);
    }
    pairs.join("&")
}

/// Checks the parameters and builds the request, with what the connection they name adds, without sending anything.
fn call(parameters: &Value, connections: &Connections) -> Result<Call, TaskError> {
    let Some(fields) = parameters.as_object() else {
        return Err(runtime(format!(
            "The parameters of an HTTP Task must be an object, found {parameters}"
        )));
    };
    let endpoint = required_string(fields, "ApiEndpoint")?;
    let method = required_string(fields, "Method")?;
    if !METHODS.contains(&method) {
        return Err(runtime(format!(
            "The field 'Method' must be one of {}, found '{method}'",
            METHODS.join(", ")
        )));
    }
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|_| runtime(format!("The field 'Method' is not a valid HTTP method: '{method}'")))?;
    let host = endpoint.strip_prefix("http://").or_else(|| endpoint.strip_prefix("https://"));
    if host.is_none_or(str::is_empty) {
        return Err(runtime(format!(
            "The field 'ApiEndpoint' must be an http or https URL, found '{endpoint}'"
        )));
    }
    let connection = connection_arn(fields).and_then(|arn| connections.get(arn));
    let (encoding, format) = transform(fields.get("Transform"))?;
    let mut headers = headers(fields.get("Headers"))?;
    let mut query = match fields.get("QueryParameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(query)) => query.clone(),
        Some(other) => {
            return Err(runtime(format!(
                "The field 'QueryParameters' must be an object, found {other}"
            )));
        }
    };
    let mut request_body = fields.get("RequestBody").cloned();
    if let Some(connection) = connection {
        add_connection(connection, &mut headers, &mut query, &mut request_body);
    }
    let url = with_query(endpoint, &form(&query, format.unwrap_or(ArrayFormat::Repeat)));
    let body = match (request_body.as_ref(), encoding) {
        (None | Some(Value::Null), _) => None,
        (Some(Value::String(text)), _) => Some((text.clone().into_bytes(), "application/json")),
        (Some(Value::Object(body)), BodyEncoding::UrlEncoded) => Some((
            form(body, format.unwrap_or(ArrayFormat::Indices)).into_bytes(),
            "application/x-www-form-urlencoded",
        )),
        (Some(other), BodyEncoding::UrlEncoded) => {
            return Err(runtime(format!(
                "The field 'RequestBody' must be an object or a string to be URL-encoded, found {other}"
            )));
        }
        (Some(body), BodyEncoding::None) => Some((body.to_string().into_bytes(), "application/json")),
    };
    let body = body.map(|(bytes, content_type)| {
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
            headers.push(("Content-Type".to_owned(), content_type.to_owned()));
        }
        bytes
    });
    // A HEAD request cannot carry a body; AWS's behaviour here is unknown, so Baton leaves it out.
    let body = if method == Method::HEAD { None } else { body };
    Ok(Call { method, url, headers, body })
}

/// The `ConnectionArn` the parameters name, in `Authentication` or `InvocationConfig`.
fn connection_arn(fields: &Map<String, Value>) -> Option<&str> {
    ["Authentication", "InvocationConfig"]
        .iter()
        .find_map(|field| fields.get(*field)?.get("ConnectionArn")?.as_str())
}

/// Adds a connection's parameters to the task's: its headers, query string and body parameters replace the task's
/// of the same names, and body parameters go into a JSON object body (making one when the task sends none).
fn add_connection(
    connection: &Connection,
    headers: &mut Vec<(String, String)>,
    query: &mut Map<String, Value>,
    body: &mut Option<Value>,
) {
    headers.retain(|(name, _)| !connection.headers.iter().any(|(own, _)| own.eq_ignore_ascii_case(name)));
    headers.extend(connection.headers.iter().cloned());
    for (key, value) in &connection.query {
        query.insert(key.clone(), value.clone());
    }
    if connection.body.is_empty() {
        return;
    }
    match body {
        None | Some(Value::Null) => *body = Some(Value::Object(connection.body.clone())),
        Some(Value::Object(fields)) => {
            for (key, value) in &connection.body {
                fields.insert(key.clone(), value.clone());
            }
        }
        // A string body is sent as written; AWS's rule for merging into one is unknown.
        Some(_) => {}
    }
}

/// Sends `call` and shapes the answer.
fn send(call: Call, options: &Options) -> TaskOutcome {
    let config = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(options.timeout));
    let agent = options.egress.agent(config);
    let mut builder = Request::builder().method(call.method.clone()).uri(call.url.as_str());
    for (name, value) in &call.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let sent = match call.body {
        Some(body) => builder.body(body).map(|request| agent.run(request)),
        None => builder.body(()).map(|request| agent.run(request)),
    };
    let mut response = match sent {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => return Err(transport_error(&call.url, error, options.timeout)),
        Err(error) => return Err(runtime(format!("Cannot build the HTTP request to '{}': {error}", call.url))),
    };
    let bytes = match response.body_mut().read_to_vec() {
        Ok(bytes) => bytes,
        Err(error) => return Err(transport_error(&call.url, error, options.timeout)),
    };
    outcome(&response, &bytes)
}

/// The task outcome for an answer: the result for 2xx, `States.Http.StatusCode.<code>` otherwise.
fn outcome<B>(response: &Response<B>, body: &[u8]) -> TaskOutcome {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let text = String::from_utf8_lossy(body).into_owned();
    let is_json = media == "application/json" || media.ends_with("+json");
    let response_body = if is_json {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    } else {
        Value::String(text)
    };
    let mut headers = Map::new();
    for name in response.headers().keys() {
        let values = response
            .headers()
            .get_all(name)
            .iter()
            .map(|value| Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        headers.insert(name.as_str().to_owned(), Value::Array(values));
    }
    let mut result = Map::new();
    result.insert("Headers".to_owned(), Value::Object(headers));
    result.insert("ResponseBody".to_owned(), response_body);
    result.insert("StatusCode".to_owned(), Value::from(status.as_u16()));
    result.insert(
        "StatusText".to_owned(),
        Value::String(status.canonical_reason().unwrap_or("").to_owned()),
    );
    let result = Value::Object(result);
    if !status.is_success() {
        return Err(TaskError::new(
            format!("States.Http.StatusCode.{}", status.as_u16()),
            result.to_string(),
        ));
    }
    let unsupported = media == "application/octet-stream"
        || ["image/", "audio/", "video/"].iter().any(|prefix| media.starts_with(prefix));
    if unsupported {
        return Err(runtime(format!(
            "The HTTP Task does not support responses of content type '{media}'"
        )));
    }
    Ok(result)
}

/// A failure to talk to the endpoint at all.
fn transport_error(url: &str, error: ureq::Error, timeout: Duration) -> TaskError {
    if let Some(refusal) = egress::refusal(&error) {
        let redirect = if host(url).eq_ignore_ascii_case(refusal.host()) { "" } else { " after a redirect" };
        return TaskError::new(SOCKET, format!("The HTTP request to '{url}' was refused{redirect}: {refusal}"));
    }
    match error {
        ureq::Error::Timeout(_) => TaskError::new(
            SOCKET,
            format!(
                "The HTTP request to '{url}' timed out: no complete answer within {}",
                duration(timeout)
            ),
        ),
        ureq::Error::Io(error) if error.kind() == std::io::ErrorKind::TimedOut => TaskError::new(
            SOCKET,
            format!(
                "The HTTP request to '{url}' timed out: no complete answer within {}",
                duration(timeout)
            ),
        ),
        ureq::Error::Io(error) => TaskError::new(SOCKET, format!("The HTTP request to '{url}' failed: {error}")),
        ureq::Error::HostNotFound => TaskError::new(
            SOCKET,
            format!("The HTTP request to '{url}' failed: the host was not found"),
        ),
        ureq::Error::ConnectionFailed => TaskError::new(
            SOCKET,
            format!("The HTTP request to '{url}' failed: cannot connect"),
        ),
        ureq::Error::Protocol(error) => TaskError::new(
            SOCKET,
            format!("The HTTP request to '{url}' failed: the answer is not valid HTTP: {error}"),
        ),
        ureq::Error::Tls(error) => TaskError::new(SOCKET, format!("The HTTP request to '{url}' failed: TLS: {error}")),
        ureq::Error::Rustls(error) => {
            TaskError::new(SOCKET, format!("The HTTP request to '{url}' failed: TLS: {error}"))
        }
        error => runtime(format!("The HTTP request to '{url}' failed: {error}")),
    }
}

/// The host of an `http[s]://` URL, without the brackets of an IPv6 address.
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or(bracketed),
        None => authority.split(':').next().unwrap_or(authority),
    }
}

/// `60 seconds`, or `250 milliseconds` for a duration that is not whole seconds.
fn duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} seconds", duration.as_secs())
    } else {
        format!("{} milliseconds", duration.as_millis())
    }
}

/// Reads `Transform`: the body encoding, and the array format if the definition gives one.
fn transform(value: Option<&Value>) -> Result<(BodyEncoding, Option<ArrayFormat>), TaskError> {
    let fields = match value {
        None | Some(Value::Null) => return Ok((BodyEncoding::None, None)),
        Some(Value::Object(fields)) => fields,
        Some(other) => {
            return Err(runtime(format!("The field 'Transform' must be an object, found {other}")));
        }
    };
    let encoding = match fields.get("RequestBodyEncoding") {
        None | Some(Value::Null) => BodyEncoding::None,
        Some(Value::String(name)) if name == "NONE" => BodyEncoding::None,
        Some(Value::String(name)) if name == "URL_ENCODED" => BodyEncoding::UrlEncoded,
        Some(other) => {
            return Err(runtime(format!(
                "The field 'Transform.RequestBodyEncoding' must be NONE or URL_ENCODED, found {other}"
            )));
        }
    };
    let format = match fields.get("RequestEncodingOptions") {
        None | Some(Value::Null) => None,
        Some(Value::Object(options)) => match options.get("ArrayFormat") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(match name.as_str() {
                "INDICES" => ArrayFormat::Indices,
                "REPEAT" => ArrayFormat::Repeat,
                "COMMAS" => ArrayFormat::Commas,
                "BRACKETS" => ArrayFormat::Brackets,
                _ => return Err(array_format_error(&Value::String(name.clone()))),
            }),
            Some(other) => return Err(array_format_error(other)),
        },
        Some(other) => {
            return Err(runtime(format!(
                "The field 'Transform.RequestEncodingOptions' must be an object, found {other}"
            )));
        }
    };
    Ok((encoding, format))
}

fn array_format_error(found: &Value) -> TaskError {
    runtime(format!(
        "The field 'Transform.RequestEncodingOptions.ArrayFormat' must be INDICES, REPEAT, COMMAS or BRACKETS, \
         found {found}"
    ))
}

/// Reads `Headers` into name/value pairs, refusing the headers AWS does not allow.
fn headers(value: Option<&Value>) -> Result<Vec<(String, String)>, TaskError> {
    let fields = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(fields)) => fields,
        Some(other) => return Err(runtime(format!("The field 'Headers' must be an object, found {other}"))),
    };
    let mut headers = Vec::new();
    for (name, value) in fields {
        let lower = name.to_ascii_lowercase();
        let forbidden = FORBIDDEN_HEADERS.contains(&lower.as_str())
            || FORBIDDEN_PREFIXES.iter().any(|prefix| lower.starts_with(prefix));
        if forbidden {
            return Err(runtime(format!("The header '{name}' is not allowed in an HTTP Task")));
        }
        let values = match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        for value in values {
            let text = match value {
                Value::Null => continue,
                Value::String(text) => text.clone(),
                Value::Bool(_) | Value::Number(_) => value.to_string(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(runtime(format!(
                        "The header '{name}' must be a string, a number, a boolean or an array of them, found {value}"
                    )));
                }
            };
            headers.push((name.clone(), text));
        }
    }
    Ok(headers)
}

/// The string field `name`, which must be present.
fn required_string<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<&'a str, TaskError> {
    match fields.get(name) {
        None | Some(Value::Null) => Err(runtime(format!("The field '{name}' is required but was missing"))),
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(runtime(format!("The field '{name}' must be a string, found {other}"))),
    }
}

/// `endpoint` with `query` (already encoded) added to whatever query it has.
fn with_query(endpoint: &str, query: &str) -> String {
    if query.is_empty() {
        return endpoint.to_owned();
    }
    let (base, fragment) = match endpoint.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (endpoint, None),
    };
    let separator = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    match fragment {
        Some(fragment) => format!("{base}{separator}{query}#{fragment}"),
        None => format!("{base}{separator}{query}"),
    }
}

/// Adds the `key=value` pairs (encoded) for `value` under `key` (already encoded).
fn push_pairs(key: &str, value: &Value, format: ArrayFormat, pairs: &mut Vec<String>) {
    match value {
        Value::Array(items) => {
            let scalars = items.iter().all(|item| !item.is_array() && !item.is_object());
            match format {
                ArrayFormat::Commas if scalars => {
                    if !items.is_empty() {
                        let joined: Vec<String> = items.iter().map(|item| percent(&scalar(item))).collect();
                        pairs.push(format!("{key}={}", joined.join(",")));
                    }
                }
                ArrayFormat::Repeat => {
                    for item in items {
                        push_pairs(key, item, format, pairs);
                    }
                }
                ArrayFormat::Brackets => {
                    for item in items {
                        push_pairs(&format!("{key}%5B%5D"), item, format, pairs);
                    }
                }
                // Nested arrays or objects cannot be joined with commas; they are indexed.
                ArrayFormat::Indices | ArrayFormat::Commas => {
                    for (index, item) in items.iter().enumerate() {
                        push_pairs(&format!("{key}%5B{index}%5D"), item, format, pairs);
                    }
                }
            }
        }
        Value::Object(fields) => {
            for (field, item) in fields {
                push_pairs(&format!("{key}%5B{}%5D", percent(field)), item, format, pairs);
            }
        }
        scalar_value => pairs.push(format!("{key}={}", percent(&scalar(scalar_value)))),
    }
}

/// The text of a scalar in a form: strings as they are, `null` as nothing.
fn scalar(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn runtime(cause: String) -> TaskError {
    TaskError::new(RUNTIME, cause)
}
