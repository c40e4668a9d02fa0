//! awsQuery and ec2Query: `POST /` with a form body `Action=<Operation>&Version=<apiVersion>&…`, members flattened
//! into dotted keys; the answer is XML, `<OperationResponse><OperationResult>…` (the output's `resultWrapper`) for
//! awsQuery and `<OperationResponse>…` for ec2Query.
//!
//! Keys: a structure's member is `Name.Sub`; awsQuery lists are `Name.member.N` (flattened: `Name.N`, an empty list
//! `Name=`), maps `Name.entry.N.key` / `.value` (flattened: `Name.N.key`); ec2Query lists are always `Name.N`, and its
//! names are the member's `queryName`, else its `locationName` capitalized, else its name.

use serde_json::{Map, Value as Json};

use crate::model::{Model, Operation, Protocol, TimestampFormat};
use crate::protocol::error::ServiceError;
use crate::protocol::input::{Field, Typed, Value};
use crate::protocol::{Request, Response, is_error, member, names, percent, xml};

/// The awsQuery or ec2Query request for `operation` with the checked `input`.
pub(crate) fn build(model: &Model, operation: &Operation, input: Option<&Typed<'_>>, protocol: Protocol) -> Request {
    let mut pairs = vec![
        ("Action".to_owned(), operation.name.clone()),
        ("Version".to_owned(), model.metadata.api_version.clone()),
    ];
    for field in input.map_or(&[][..], Typed::fields) {
        fields(&mut pairs, None, field, protocol);
    }
    Request {
        method: "POST".to_owned(),
        path_and_query: "/".to_owned(),
        host_prefix: None,
        headers: vec![("Content-Type".to_owned(), "application/x-www-form-urlencoded; charset=utf-8".to_owned())],
        body: percent::form(&pairs).into_bytes(),
    }
}

/// Adds a structure's member under `prefix`.
fn fields(out: &mut Vec<(String, String)>, prefix: Option<&str>, field: &Field<'_>, protocol: Protocol) {
    let name = key_name(field, protocol);
    let key = match prefix {
        Some(prefix) => format!("{prefix}.{name}"),
        None => name,
    };
    serialize(out, &key, &field.typed, protocol);
}

/// A member's name in a key.
fn key_name(field: &Field<'_>, protocol: Protocol) -> String {
    let reference = field.typed.reference;
    let location_name = reference.location_name.as_deref().or(field.typed.shape.location_name.as_deref());
    match protocol {
        Protocol::Ec2 => match (&reference.query_name, location_name) {
            (Some(query_name), _) => query_name.clone(),
            (None, Some(location_name)) => names::pascal(location_name),
            (None, None) => field.name.to_owned(),
        },
        _ => location_name.unwrap_or(field.name).to_owned(),
    }
}

/// Adds `typed` under the key `prefix`.
fn serialize(out: &mut Vec<(String, String)>, prefix: &str, typed: &Typed<'_>, protocol: Protocol) {
    match &typed.value {
        Value::Structure(members) => {
            for field in members {
                fields(out, Some(prefix), field, protocol);
            }
        }
        Value::List(items) => list(out, prefix, typed, items, protocol),
        Value::Map(entries) => map(out, prefix, typed, entries, protocol),
        _ => out.extend(typed.text(TimestampFormat::Iso8601).map(|text| (prefix.to_owned(), text))),
    }
}

/// A list's items, numbered from 1.
fn list(out: &mut Vec<(String, String)>, prefix: &str, typed: &Typed<'_>, items: &[Typed<'_>], protocol: Protocol) {
    let item_name = typed.shape.member.as_deref().and_then(|item| item.location_name.as_deref());
    let list_prefix = match protocol {
        Protocol::Ec2 => prefix.to_owned(),
        _ if items.is_empty() => {
            out.push((prefix.to_owned(), String::new()));
            return;
        }
        _ if member::flattened(typed.reference, typed.shape) => match item_name {
            // A flattened list's items take the member's name in place of the list's.
            Some(item_name) => match prefix.rsplit_once('.') {
                Some((parent, _)) => format!("{parent}.{item_name}"),
                None => item_name.to_owned(),
            },
            None => prefix.to_owned(),
        },
        _ => format!("{prefix}.{}", item_name.unwrap_or("member")),
    };
    for (i, item) in items.iter().enumerate() {
        serialize(out, &format!("{list_prefix}.{}", i + 1), item, protocol);
    }
}

/// A map's entries, numbered from 1, each a key and a value.
fn map(out: &mut Vec<(String, String)>, prefix: &str, typed: &Typed<'_>, entries: &[(String, Typed<'_>)], protocol: Protocol) {
    let shape = typed.shape;
    let key_name = shape.key.as_deref().and_then(|key| key.location_name.as_deref()).unwrap_or("key");
    let value_name = shape.value.as_deref().and_then(|item| item.location_name.as_deref()).unwrap_or("value");
    let full = if member::flattened(typed.reference, shape) { prefix.to_owned() } else { format!("{prefix}.entry") };
    for (i, (key, item)) in entries.iter().enumerate() {
        out.push((format!("{full}.{}.{key_name}", i + 1), key.clone()));
        serialize(out, &format!("{full}.{}.{value_name}", i + 1), item, protocol);
    }
}

/// The output of an awsQuery or ec2Query response, or its error.
pub(crate) fn parse(model: &Model, operation: &Operation, response: &Response<'_>, protocol: Protocol) -> Result<Json, Box<ServiceError>> {
    if is_error(response.status) {
        return Err(Box::new(xml::error(model, operation, response)));
    }
    let Some(reference) = &operation.output else { return Ok(Json::Object(Map::new())) };
    let Some(shape) = model.shape(&reference.shape) else { return Ok(Json::Object(Map::new())) };
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Json::Object(Map::new()));
    }
    let root = xml::read(response)?;
    let result = match (protocol, &reference.result_wrapper) {
        (Protocol::Query, Some(wrapper)) => root.child(wrapper),
        _ => Some(&root),
    };
    Ok(result.map_or_else(|| Json::Object(Map::new()), |element| xml::structure(model, shape, element)))
}
