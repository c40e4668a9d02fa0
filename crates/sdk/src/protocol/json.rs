//! awsJson 1.0 and 1.1: `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and the input as a JSON object;
//! the output is the JSON body. Also the JSON bodies and JSON errors of restJson, which share these rules: members by
//! `locationName` (else their name), blobs in base64, timestamps as epoch seconds unless `timestampFormat` says
//! otherwise.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value as Json};

use crate::model::{Model, Operation, ShapeRef, TimestampFormat, Type};
use crate::protocol::error::{ServiceError, modelled_shape};
use crate::protocol::input::{Field, Typed, Value};
use crate::protocol::{Request, Response, header, is_error, member, names, request_id, time};

/// The awsJson request for `operation` with the checked `input`.
pub(crate) fn build(model: &Model, operation: &Operation, input: Option<&Typed<'_>>) -> Request {
    let metadata = &model.metadata;
    let body = input.map_or_else(|| Json::Object(Map::new()), |typed| to_json(typed, TimestampFormat::UnixTimestamp));
    let version = metadata.json_version.as_deref().unwrap_or("1.0");
    let mut headers = vec![("Content-Type".to_owned(), format!("application/x-amz-json-{version}"))];
    if let Some(prefix) = &metadata.target_prefix {
        headers.push(("X-Amz-Target".to_owned(), format!("{prefix}.{}", operation.name)));
    }
    Request { method: "POST".to_owned(), path_and_query: "/".to_owned(), host_prefix: None, headers, body: body.to_string().into_bytes() }
}

/// A checked value as JSON on the wire; timestamps without a `timestampFormat` in `default_time`.
pub(crate) fn to_json(typed: &Typed<'_>, default_time: TimestampFormat) -> Json {
    match &typed.value {
        Value::Structure(fields) => object(fields.iter(), default_time),
        Value::List(items) => Json::Array(items.iter().map(|item| to_json(item, default_time)).collect()),
        Value::Map(entries) => {
            Json::Object(entries.iter().map(|(key, item)| (key.clone(), to_json(item, default_time))).collect())
        }
        Value::String(text) => Json::String(text.clone()),
        Value::Integer(number) => Json::from(*number),
        Value::Number(number) => Json::Number(number.clone()),
        Value::Special(name) => Json::String((*name).to_owned()),
        Value::Boolean(flag) => Json::Bool(*flag),
        Value::Timestamp(timestamp) => {
            time::to_wire(*timestamp, member::timestamp_format(typed.reference, typed.shape, default_time))
        }
        Value::Blob(bytes) => Json::String(BASE64.encode(bytes)),
        Value::Document(document) => document.clone(),
    }
}

/// Structure members as a JSON object, keyed by their wire names.
pub(crate) fn object<'a, 'm: 'a>(fields: impl Iterator<Item = &'a Field<'m>>, default_time: TimestampFormat) -> Json {
    let mut out = Map::new();
    for field in fields {
        let name = member::wire_name(field.typed.reference, field.typed.shape, field.name);
        out.insert(name.to_owned(), to_json(&field.typed, default_time));
    }
    Json::Object(out)
}

/// The output of an awsJson response, or its error.
pub(crate) fn parse(model: &Model, operation: &Operation, response: &Response<'_>) -> Result<Json, Box<ServiceError>> {
    if is_error(response.status) {
        return Err(Box::new(error(model, operation, response)));
    }
    let Some(reference) = &operation.output else { return Ok(Json::Object(Map::new())) };
    let body = read(response)?;
    Ok(output(model, reference, &body))
}

/// A JSON body; an empty one is `{}`.
pub(crate) fn read(response: &Response<'_>) -> Result<Json, Box<ServiceError>> {
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Json::Object(Map::new()));
    }
    serde_json::from_slice(response.body).map_err(|error| {
        Box::new(ServiceError::client(format!("Unable to parse the response as JSON: {error}"), response.status, request_id(response.headers)))
    })
}

/// A JSON value of the wire as Step Functions shows it: members renamed from their wire names to PascalCase in the
/// model's order, timestamps as ISO 8601, the rest as sent. Members bound to headers, the URI or the status are not
/// in a body and are skipped. Values that do not fit their shape are kept as they are.
pub(crate) fn output(model: &Model, reference: &ShapeRef, value: &Json) -> Json {
    let Some(shape) = model.shape(&reference.shape) else { return value.clone() };
    if shape.document {
        return value.clone();
    }
    match (shape.kind, value) {
        (Type::Structure, Json::Object(object)) => {
            let mut out = Map::new();
            for (name, member) in shape.members.iter().filter(|(_, member)| member.location.is_none()) {
                let Some(member_shape) = model.shape(&member.shape) else { continue };
                match object.get(member::wire_name(member, member_shape, name)) {
                    None | Some(Json::Null) => {}
                    Some(found) => {
                        out.insert(names::shown(name), output(model, member, found));
                    }
                }
            }
            Json::Object(out)
        }
        (Type::List, Json::Array(items)) => match &shape.member {
            Some(item) => Json::Array(items.iter().map(|value| output(model, item, value)).collect()),
            None => value.clone(),
        },
        (Type::Map, Json::Object(entries)) => match &shape.value {
            Some(item) => Json::Object(entries.iter().map(|(key, value)| (key.clone(), output(model, item, value))).collect()),
            None => value.clone(),
        },
        (Type::Timestamp, _) => time::from_wire(value).map_or_else(|| value.clone(), |t| Json::String(time::iso8601(t))),
        _ => value.clone(),
    }
}

/// The error a JSON response (awsJson or restJson) names. The code is the one in `x-amzn-query-error` for a service
/// that keeps its awsQuery codes, else `__type`, else `x-amzn-ErrorType`, else `code`; each stripped of a namespace
/// (`…#Code`) and a suffix (`Code:http://…`). No code at all makes one from the status.
pub(crate) fn error(model: &Model, operation: &Operation, response: &Response<'_>) -> ServiceError {
    let body: Json = serde_json::from_slice(response.body).unwrap_or(Json::Null);
    let text = |key: &str| body.get(key).and_then(Json::as_str).filter(|text| !text.is_empty());
    let type_code = text("__type").or_else(|| header(response.headers, "x-amzn-ErrorType")).or_else(|| text("code")).or_else(|| text("Code"));
    let type_code = type_code.map(sanitize).filter(|code| !code.is_empty());
    let query_code = model
        .metadata
        .aws_query_compatible
        .as_ref()
        .and_then(|_| header(response.headers, "x-amzn-query-error"))
        .and_then(|value| value.split(';').next())
        .filter(|code| !code.is_empty());
    let mut error = match query_code.or(type_code) {
        Some(code) => ServiceError { code: code.to_owned(), ..ServiceError::from_status(response.status) },
        None => ServiceError::from_status(response.status),
    };
    error.message = text("message").or_else(|| text("Message")).or_else(|| text("errorMessage")).map(str::to_owned);
    error.request_id = request_id(response.headers);
    error.shape = if type_code.or(query_code).is_some() {
        // `__type` names the model's shape; a former awsQuery code may not.
        type_code.into_iter().chain(query_code).find_map(|code| modelled_shape(model, operation, code, None))
    } else {
        modelled_shape(model, operation, &error.code, Some(response.status))
    };
    error
}

/// An error code without its namespace (`com.amazonaws.dynamodb.v20120810#Code`) or suffix (`Code:http://…`).
fn sanitize(code: &str) -> &str {
    let code = code.split(':').next().unwrap_or(code);
    code.rsplit('#').next().unwrap_or(code).trim()
}
