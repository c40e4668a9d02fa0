//! restJson and restXml: the operation's `http.method` and `requestUri`, with members bound to URI labels
//! (`{Label}`, `{Label+}` keeping `/`), the query string, headers and prefixed headers, and the rest in the body: the
//! `payload` member alone (a blob or string as raw bytes, a structure serialized), or the other members as a JSON
//! object (restJson) or an XML element named by the input's `locationName` (restXml). A response fills members from
//! its headers and status, and from the payload or the body.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value as Json};

use crate::model::{Location, Model, Operation, Protocol, Shape, ShapeRef, TimestampFormat, Type};
use crate::protocol::checksum::Algorithm;
use crate::protocol::error::ServiceError;
use crate::protocol::input::{Field, Typed, Value};
use crate::protocol::{InputError, Request, Response, header, is_error, json, member, names, percent, time, xml};

/// The restJson or restXml request for `operation` with the checked `input`.
pub(crate) fn build(model: &Model, operation: &Operation, input: Option<&Typed<'_>>, protocol: Protocol) -> Result<Request, InputError> {
    let template = operation.http.request_uri.as_str();
    let (path_template, fixed_query) = template.split_once('?').map_or((template, None), |(path, query)| (path, Some(query)));
    let fields: &[Field<'_>] = input.map_or(&[], Typed::fields);
    let mut path = labels(path_template, fields, input.map(|typed| typed.shape))?;
    let mut query = Vec::new();
    let mut headers = Vec::new();
    for field in fields {
        let wire = member::wire_name(field.typed.reference, field.typed.shape, field.name);
        match field.typed.reference.location {
            Some(Location::Querystring) => query_pairs(wire, &field.typed, &mut query),
            Some(Location::Header) => headers.push((wire.to_owned(), header_text(&field.typed, field.name)?)),
            Some(Location::Headers) => prefixed_headers(wire, &field.typed, field.name, &mut headers)?,
            Some(Location::Uri | Location::StatusCode) | None => {}
        }
    }
    let body = input.map_or_else(Vec::new, |input| body(model, input, protocol, &mut headers));
    checksum(operation, input, &body, &mut headers)?;
    let mut parts: Vec<String> = fixed_query.filter(|q| !q.is_empty()).map(str::to_owned).into_iter().collect();
    if !query.is_empty() {
        parts.push(percent::form(&query));
    }
    if !parts.is_empty() {
        path.push('?');
        path.push_str(&parts.join("&"));
    }
    Ok(Request { method: operation.http.method.clone(), path_and_query: path, host_prefix: None, headers, body })
}

/// The path with each `{Label}` replaced by its member's value, percent-encoded (`{Label+}` keeps `/`).
fn labels(template: &str, fields: &[Field<'_>], shape: Option<&Shape>) -> Result<String, InputError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        let close = after.find('}').ok_or_else(|| InputError::new(format!("the request URI '{template}' is malformed")))?;
        let label = after.get(1..close).unwrap_or_default();
        let (label, greedy) = label.strip_suffix('+').map_or((label, false), |name| (name, true));
        let field = fields.iter().find(|field| {
            field.typed.reference.location == Some(Location::Uri)
                && member::wire_name(field.typed.reference, field.typed.shape, field.name) == label
        });
        let shown = field.map(|field| field.name).or_else(|| label_member(shape, label)).map_or_else(|| label.to_owned(), names::shown);
        let value = field.and_then(|field| field.typed.text(TimestampFormat::Iso8601));
        let value = value.ok_or_else(|| InputError::new(format!("the field '{shown}' is required: it is part of the request's path")))?;
        if value.is_empty() {
            return Err(InputError::new(format!("the value of '{shown}' must not be empty: it is part of the request's path")));
        }
        out.push_str(&if greedy { percent::encode_path(&value) } else { percent::encode(&value) });
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// The member of `shape` bound to the URI label `label`, for a message.
fn label_member<'m>(shape: Option<&'m Shape>, label: &str) -> Option<&'m str> {
    shape?.members.iter().find(|(name, member)| member.location_name.as_deref().unwrap_or(name) == label).map(|(name, _)| name)
}

/// A query-string member as `key=value` pairs: a list repeats its key, a map adds its own pairs (a map of lists
/// repeats each key).
fn query_pairs(key: &str, typed: &Typed<'_>, out: &mut Vec<(String, String)>) {
    match &typed.value {
        Value::List(items) => {
            out.extend(items.iter().filter_map(|item| item.text(TimestampFormat::Iso8601)).map(|text| (key.to_owned(), text)));
        }
        Value::Map(entries) => {
            for (name, item) in entries {
                query_pairs(name, item, out);
            }
        }
        _ => out.extend(typed.text(TimestampFormat::Iso8601).map(|text| (key.to_owned(), text))),
    }
}

/// A header member's value: timestamps as HTTP dates unless the model says otherwise, JSON values in base64, lists
/// joined by commas (items holding a comma or quote quoted).
fn header_text(typed: &Typed<'_>, name: &str) -> Result<String, InputError> {
    let text = match &typed.value {
        Value::String(text) if member::jsonvalue(typed.reference, typed.shape) => BASE64.encode(text),
        Value::List(items) => {
            let texts: Vec<String> = items.iter().filter_map(|item| item.text(TimestampFormat::Rfc822)).map(|text| quote(&text)).collect();
            texts.join(",")
        }
        _ => typed.text(TimestampFormat::Rfc822).ok_or_else(|| {
            InputError::new(format!("the value of '{}' cannot be sent in a header", names::shown(name)))
        })?,
    };
    if text.contains(['\r', '\n']) {
        return Err(InputError::new(format!("the value of '{}' is sent in a header and cannot hold a line break", names::shown(name))));
    }
    Ok(text)
}

/// A list item of a header, quoted when it holds a comma or a double quote.
fn quote(text: &str) -> String {
    if text.contains([',', '"']) { format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")) } else { text.to_owned() }
}

/// A `headers` map member: one header per entry, its key after `prefix` (S3's `x-amz-meta-`).
fn prefixed_headers(prefix: &str, typed: &Typed<'_>, name: &str, out: &mut Vec<(String, String)>) -> Result<(), InputError> {
    if let Value::Map(entries) = &typed.value {
        for (key, item) in entries {
            out.push((format!("{prefix}{key}"), header_text(item, name)?));
        }
    }
    Ok(())
}

/// The body: the payload member alone, or the members bound nowhere else.
fn body(model: &Model, input: &Typed<'_>, protocol: Protocol, headers: &mut Vec<(String, String)>) -> Vec<u8> {
    match &input.shape.payload {
        Some(payload) => payload_body(model, input, payload, protocol, headers),
        None => members_body(input, protocol, headers),
    }
}

/// The payload member as the body: a blob's or string's bytes, a structure serialized. An absent structure payload
/// is `{}` in restJson (as botocore sends it), nothing in restXml.
fn payload_body(model: &Model, input: &Typed<'_>, payload: &str, protocol: Protocol, headers: &mut Vec<(String, String)>) -> Vec<u8> {
    match input.field(payload).map(|typed| (typed, &typed.value)) {
        Some((_, Value::Blob(bytes))) => bytes.clone(),
        Some((_, Value::String(text))) => text.clone().into_bytes(),
        Some((typed, _)) => structure_body(payload, typed, protocol, headers),
        None if protocol == Protocol::RestJson && !has_raw_payload(model, input.shape) => {
            with_content_type(headers, "application/json");
            b"{}".to_vec()
        }
        None => Vec::new(),
    }
}

/// The members bound nowhere else as the body: a JSON object in restJson (`{}` when the input has such members but
/// none is given, as botocore sends it), an element named by the input's `locationName` in restXml (nothing when
/// none is given).
fn members_body(input: &Typed<'_>, protocol: Protocol, headers: &mut Vec<(String, String)>) -> Vec<u8> {
    let mut body_fields = input.fields().iter().filter(|field| field.typed.reference.location.is_none()).peekable();
    if protocol == Protocol::RestXml {
        if body_fields.peek().is_none() {
            return Vec::new();
        }
        let name = member::wire_name(input.reference, input.shape, &input.reference.shape);
        with_content_type(headers, "application/xml");
        return xml::write_structure(name, input.reference, input.shape, body_fields).into_bytes();
    }
    if !input.shape.members.iter().any(|(_, member)| member.location.is_none()) {
        return Vec::new();
    }
    with_content_type(headers, "application/json");
    json::object(body_fields, TimestampFormat::UnixTimestamp).to_string().into_bytes()
}

/// A structure payload: JSON for restJson, an element named by the member's `locationName` for restXml.
fn structure_body(name: &str, typed: &Typed<'_>, protocol: Protocol, headers: &mut Vec<(String, String)>) -> Vec<u8> {
    if protocol == Protocol::RestXml {
        let element = member::wire_name(typed.reference, typed.shape, name);
        with_content_type(headers, "application/xml");
        return xml::write_structure(element, typed.reference, typed.shape, typed.fields().iter()).into_bytes();
    }
    with_content_type(headers, "application/json");
    json::to_json(typed, TimestampFormat::UnixTimestamp).to_string().into_bytes()
}

/// Sets `Content-Type` unless a member set it.
fn with_content_type(headers: &mut Vec<(String, String)>, value: &str) {
    if header(headers, "Content-Type").is_none() {
        headers.push(("Content-Type".to_owned(), value.to_owned()));
    }
}

/// Adds the checksum header S3 asks for: the algorithm the caller named (its `ChecksumAlgorithm`), or CRC32 where
/// the operation requires a checksum. A checksum header the caller gave is kept as is.
fn checksum(operation: &Operation, input: Option<&Typed<'_>>, body: &[u8], headers: &mut Vec<(String, String)>) -> Result<(), InputError> {
    let Some(settings) = &operation.http_checksum else { return Ok(()) };
    if headers.iter().any(|(name, _)| name.to_ascii_lowercase().starts_with("x-amz-checksum-")) {
        return Ok(());
    }
    let requested = settings.request_algorithm_member.as_deref().and_then(|name| Some((name, input?.field(name)?)));
    let algorithm = match requested {
        Some((name, typed)) => {
            let text = typed.text(TimestampFormat::Iso8601).unwrap_or_default();
            Some(Algorithm::named(&text).ok_or_else(|| {
                InputError::new(format!("the value of '{}' must be CRC32 or CRC32C: Baton computes no other checksum, not {text}", names::shown(name)))
            })?)
        }
        None if settings.request_checksum_required || operation.http_checksum_required => Some(Algorithm::Crc32),
        None => None,
    };
    if let Some(algorithm) = algorithm {
        headers.push((algorithm.header().to_owned(), algorithm.of(body)));
    }
    Ok(())
}

/// The output of a restJson or restXml response, or its error.
pub(crate) fn parse(model: &Model, operation: &Operation, response: &Response<'_>, protocol: Protocol) -> Result<Json, Box<ServiceError>> {
    if is_error(response.status) {
        return Err(Box::new(error(model, operation, response, protocol)));
    }
    let Some(reference) = &operation.output else { return Ok(Json::Object(Map::new())) };
    let Some(shape) = model.shape(&reference.shape) else { return Ok(Json::Object(Map::new())) };
    if protocol == Protocol::RestXml && !has_raw_payload(model, shape) && xml::is_error_document(response.body) {
        // S3 answers some operations (CopyObject, CompleteMultipartUpload) with 200 and an error document.
        return Err(Box::new(xml::error(model, operation, response)));
    }
    let body = body_members(model, reference, shape, response, protocol)?;
    let mut out = Map::new();
    for (name, member) in shape.members.iter() {
        let shown = names::shown(name);
        let value = match member.location {
            Some(Location::Header) => header_member(model, name, member, response.headers),
            Some(Location::Headers) => Some(prefixed_member(member.location_name.as_deref().unwrap_or_default(), response.headers)),
            Some(Location::StatusCode) => Some(Json::from(response.status)),
            Some(Location::Uri | Location::Querystring) => None,
            None => body.get(&shown).cloned(),
        };
        if let Some(value) = value {
            out.insert(shown, value);
        }
    }
    Ok(Json::Object(out))
}

/// The error of a restJson (JSON) or restXml (XML) response.
fn error(model: &Model, operation: &Operation, response: &Response<'_>, protocol: Protocol) -> ServiceError {
    if protocol == Protocol::RestXml { xml::error(model, operation, response) } else { json::error(model, operation, response) }
}

/// Whether the output's payload is a blob or string: the body is then the value, whatever it holds.
fn has_raw_payload(model: &Model, shape: &Shape) -> bool {
    shape
        .payload
        .as_deref()
        .and_then(|payload| shape.members.get(payload))
        .and_then(|member| model.shape(&member.shape))
        .is_some_and(|payload| matches!(payload.kind, Type::Blob | Type::String))
}

/// The members the body holds, by the names Step Functions shows: the payload member alone, or the body's members.
fn body_members(model: &Model, reference: &ShapeRef, shape: &Shape, response: &Response<'_>, protocol: Protocol) -> Result<Map<String, Json>, Box<ServiceError>> {
    let empty = response.body.iter().all(u8::is_ascii_whitespace);
    let Some(payload) = &shape.payload else {
        if empty {
            return Ok(Map::new());
        }
        return match read_structure(model, reference, response, protocol)? {
            Json::Object(members) => Ok(members),
            _ => Ok(Map::new()),
        };
    };
    let Some(member) = shape.members.get(payload) else { return Ok(Map::new()) };
    let Some(payload_shape) = model.shape(&member.shape) else { return Ok(Map::new()) };
    let value = match payload_shape.kind {
        Type::Blob if !response.body.is_empty() => Some(payload_text(response.body)),
        Type::String if !response.body.is_empty() => Some(Json::String(String::from_utf8_lossy(response.body).into_owned())),
        Type::Blob | Type::String => None,
        _ if empty => None,
        _ => Some(read_structure(model, member, response, protocol)?),
    };
    let value = value.filter(|value| !value.is_null());
    Ok(value.map(|value| Map::from_iter([(names::shown(payload), value)])).unwrap_or_default())
}

/// The body read as the shape `reference` names: JSON or XML.
fn read_structure(model: &Model, reference: &ShapeRef, response: &Response<'_>, protocol: Protocol) -> Result<Json, Box<ServiceError>> {
    if protocol == Protocol::RestXml {
        let root = xml::read(response)?;
        return Ok(xml::output_root(model, reference, &root));
    }
    Ok(json::output(model, reference, &json::read(response)?))
}

/// A blob payload (S3's object body, Lambda's function result) as Step Functions shows it: its text when it is
/// UTF-8, else base64.
fn payload_text(body: &[u8]) -> Json {
    match std::str::from_utf8(body) {
        Ok(text) => Json::String(text.to_owned()),
        Err(_) => Json::String(BASE64.encode(body)),
    }
}

/// A header-bound member's value, by its shape's type. A value that does not fit its type is kept as text.
fn header_member(model: &Model, name: &str, member: &ShapeRef, headers: &[(String, String)]) -> Option<Json> {
    let shape = model.shape(&member.shape)?;
    let text = header(headers, member::wire_name(member, shape, name))?;
    Some(header_value(model, member, shape, text))
}

/// A header's text as the member's type.
fn header_value(model: &Model, member: &ShapeRef, shape: &Shape, text: &str) -> Json {
    let as_text = || Json::String(text.to_owned());
    match shape.kind {
        Type::String if member::jsonvalue(member, shape) => {
            BASE64.decode(text.trim()).ok().and_then(|bytes| String::from_utf8(bytes).ok()).map_or_else(as_text, Json::String)
        }
        Type::Integer | Type::Long | Type::Short | Type::Byte => text.trim().parse::<i64>().map_or_else(|_| as_text(), Json::from),
        Type::Float | Type::Double | Type::BigDecimal | Type::BigInteger => {
            text.trim().parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or_else(as_text, Json::Number)
        }
        Type::Boolean => match text.trim() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => as_text(),
        },
        Type::Timestamp => time::from_wire_text(text).map_or_else(as_text, |t| Json::String(time::iso8601(t))),
        Type::List => {
            let items = split_header_list(text);
            match shape.member.as_deref().and_then(|item| Some((item, model.shape(&item.shape)?))) {
                Some((item, item_shape)) => Json::Array(items.iter().map(|text| header_value(model, item, item_shape, text)).collect()),
                None => Json::Array(items.into_iter().map(Json::String).collect()),
            }
        }
        _ => as_text(),
    }
}

/// A header list's items: split on commas outside double quotes, trimmed, unquoted.
fn split_header_list(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => items.push(std::mem::take(&mut current).trim().to_owned()),
            _ => current.push(c),
        }
    }
    items.push(current.trim().to_owned());
    items
}

/// A `headers` member: every header starting with `prefix` (case-insensitive), keyed by the rest of its name.
fn prefixed_member(prefix: &str, headers: &[(String, String)]) -> Json {
    let prefix = prefix.to_ascii_lowercase();
    let mut out = Map::new();
    for (name, value) in headers {
        if name.to_ascii_lowercase().starts_with(&prefix) {
            let key = name.get(prefix.len()..).unwrap_or_default();
            out.insert(key.to_ascii_lowercase(), Json::String(value.clone()));
        }
    }
    Json::Object(out)
}
