//! Step Functions' parameters checked against an operation's input shape and turned into a typed tree
//! (`Typed`), which the protocols then write. Every problem is an `InputError` that names the parameter by its path
//! (`Item.id.S`, `Filters[0].Name`) and says what is wrong, as AWS's SDK validates before sending.
//!
//! Members keep the model's order (XML bodies need it). A member given as JSON `null` counts as absent.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use jiff::Timestamp;
use serde_json::{Map, Number, Value as Json};

use crate::model::{Model, Operation, Shape, ShapeRef, Type};
use crate::protocol::{InputError, member, names, time};

/// Nesting deeper than this is refused: a recursive shape (DynamoDB's `AttributeValue`) could otherwise recurse
/// as deep as the value does.
const MAX_DEPTH: usize = 64;

/// Base64 as services write it; padding optional when reading a parameter.
const BASE64: GeneralPurpose =
    GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent));

/// A checked value with the reference and shape it was checked against.
#[derive(Debug)]
pub(crate) struct Typed<'m> {
    pub(crate) reference: &'m ShapeRef,
    pub(crate) shape: &'m Shape,
    pub(crate) value: Value<'m>,
}

/// A checked value.
#[derive(Debug)]
pub(crate) enum Value<'m> {
    /// The members given, in the model's order.
    Structure(Vec<Field<'m>>),
    List(Vec<Typed<'m>>),
    Map(Vec<(String, Typed<'m>)>),
    String(String),
    /// `integer`, `long`, `short`, `byte`.
    Integer(i64),
    /// `float`, `double`, `bigInteger`, `bigDecimal`.
    Number(Number),
    /// A float JSON cannot hold as a number: `NaN`, `Infinity`, `-Infinity`.
    Special(&'static str),
    Boolean(bool),
    Timestamp(Timestamp),
    Blob(Vec<u8>),
    /// A free-form document, as given.
    Document(Json),
}

/// One member of a structure.
#[derive(Debug)]
pub(crate) struct Field<'m> {
    /// The member's name in the model.
    pub(crate) name: &'m str,
    pub(crate) typed: Typed<'m>,
}

impl<'m> Typed<'m> {
    /// The members given, when this is a structure.
    pub(crate) fn fields(&self) -> &[Field<'m>] {
        match &self.value {
            Value::Structure(fields) => fields,
            _ => &[],
        }
    }

    /// The member `name`, when this is a structure that has it.
    pub(crate) fn field(&self, name: &str) -> Option<&Typed<'m>> {
        self.fields().iter().find(|field| field.name == name).map(|field| &field.typed)
    }
}

/// Checks `input` (Step Functions' parameters) against `operation`'s input shape. Absent idempotency-token members
/// get `token`; a blob payload (S3's `Body`, Lambda's `Payload`) is the string's bytes, or the JSON text of any other
/// value, not base64. `None` when the operation takes no input.
pub(crate) fn normalize<'m>(
    model: &'m Model,
    operation: &'m Operation,
    input: &Json,
    token: &str,
) -> Result<Option<Typed<'m>>, InputError> {
    let empty = Map::new();
    let object = match input {
        Json::Null => &empty,
        Json::Object(object) => object,
        other => return Err(InputError::new(format!("the parameters must be an object, not {}", kind(other)))),
    };
    let Some(reference) = &operation.input else {
        return match object.keys().next() {
            None => Ok(None),
            Some(key) => Err(InputError::new(format!("the field '{key}' is not supported: {} takes no parameters", operation.name))),
        };
    };
    let checker = Checker { model };
    let shape = checker.shape(reference)?;
    let token = Json::String(token.to_owned());
    let mut given = checker.members(shape, object, "")?;
    for (name, member) in shape.members.iter() {
        if member.idempotency_token && !given.iter().any(|(n, _)| *n == name) {
            given.push((name, &token));
        }
    }
    checker.required(shape, &given, "")?;
    let mut fields = Vec::new();
    for (name, member) in shape.members.iter() {
        let Some((_, value)) = given.iter().find(|(n, _)| *n == name) else { continue };
        let typed = if shape.payload.as_deref() == Some(name) && checker.shape(member)?.kind == Type::Blob {
            Typed { reference: member, shape: checker.shape(member)?, value: Value::Blob(raw_bytes(value)) }
        } else {
            checker.typed(member, value, &names::shown(name), 1)?
        };
        fields.push(Field { name, typed });
    }
    Ok(Some(Typed { reference, shape, value: Value::Structure(fields) }))
}

/// A blob payload's bytes: a string's own bytes, any other value's JSON text.
fn raw_bytes(value: &Json) -> Vec<u8> {
    match value {
        Json::String(text) => text.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    }
}

/// Checks values against the shapes of one model.
struct Checker<'m> {
    model: &'m Model,
}

impl<'m> Checker<'m> {
    /// The shape `reference` names.
    fn shape(&self, reference: &ShapeRef) -> Result<&'m Shape, InputError> {
        member::resolve(self.model, reference)
            .map_err(|missing| InputError::new(format!("the service's model has no shape '{}'", missing.0)))
    }

    /// `value` checked against the shape `reference` names; `path` is where it is in the parameters.
    fn typed(&self, reference: &'m ShapeRef, value: &Json, path: &str, depth: usize) -> Result<Typed<'m>, InputError> {
        if depth > MAX_DEPTH {
            return Err(InputError::new(format!("the value of '{path}' is nested more than {MAX_DEPTH} levels deep")));
        }
        let shape = self.shape(reference)?;
        let value = if shape.document {
            Value::Document(value.clone())
        } else {
            match shape.kind {
                Type::Structure => Value::Structure(self.structure(shape, value, path, depth)?),
                Type::List => Value::List(self.list(shape, value, path, depth)?),
                Type::Map => Value::Map(self.map(shape, value, path, depth)?),
                _ => scalar(reference, shape, value, path)?,
            }
        };
        Ok(Typed { reference, shape, value })
    }

    /// The members of a structure, in the model's order.
    fn structure(&self, shape: &'m Shape, value: &Json, path: &str, depth: usize) -> Result<Vec<Field<'m>>, InputError> {
        let object = value.as_object().ok_or_else(|| wrong_type(path, "an object", value))?;
        let given = self.members(shape, object, path)?;
        self.required(shape, &given, path)?;
        let mut fields = Vec::new();
        for (name, member) in shape.members.iter() {
            if let Some((_, value)) = given.iter().find(|(n, _)| *n == name) {
                let typed = self.typed(member, value, &child(path, &names::shown(name)), depth + 1)?;
                fields.push(Field { name, typed });
            }
        }
        Ok(fields)
    }

    /// The members `object` names, each with its value; nulls left out.
    fn members<'j>(&self, shape: &'m Shape, object: &'j Map<String, Json>, path: &str) -> Result<Vec<(&'m str, &'j Json)>, InputError> {
        let mut given: Vec<(&'m str, &'j Json)> = Vec::new();
        for (key, value) in object {
            let name = names::member(shape, key).ok_or_else(|| unknown_field(shape, key, path))?;
            if given.iter().any(|(n, _)| *n == name) {
                return Err(InputError::new(format!("the field '{}' is given twice", child(path, &names::shown(name)))));
            }
            if !value.is_null() {
                given.push((name, value));
            }
        }
        Ok(given)
    }

    /// Fails on the first required member of `shape` that is not `given`.
    fn required(&self, shape: &Shape, given: &[(&str, &Json)], path: &str) -> Result<(), InputError> {
        match shape.required.iter().find(|name| !given.iter().any(|(n, _)| n == *name)) {
            Some(name) => Err(InputError::new(format!("the field '{}' is required", child(path, &names::shown(name))))),
            None => Ok(()),
        }
    }

    /// The items of a list.
    fn list(&self, shape: &'m Shape, value: &Json, path: &str, depth: usize) -> Result<Vec<Typed<'m>>, InputError> {
        let items = value.as_array().ok_or_else(|| wrong_type(path, "an array", value))?;
        let member = shape.member.as_deref().ok_or_else(|| damaged(path))?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(self.typed(member, item, &format!("{path}[{i}]"), depth + 1)?);
        }
        Ok(out)
    }

    /// The entries of a map, in the order given; keys are the caller's own and keep their spelling.
    fn map(&self, shape: &'m Shape, value: &Json, path: &str, depth: usize) -> Result<Vec<(String, Typed<'m>)>, InputError> {
        let object = value.as_object().ok_or_else(|| wrong_type(path, "an object", value))?;
        let member = shape.value.as_deref().ok_or_else(|| damaged(path))?;
        let mut out = Vec::with_capacity(object.len());
        for (key, item) in object {
            out.push((key.clone(), self.typed(member, item, &child(path, key), depth + 1)?));
        }
        Ok(out)
    }
}

/// A scalar checked against its shape.
fn scalar<'m>(reference: &ShapeRef, shape: &Shape, value: &Json, path: &str) -> Result<Value<'m>, InputError> {
    Ok(match shape.kind {
        Type::String => match value {
            Json::String(text) => Value::String(text.clone()),
            // A JSON-valued string may be given as the JSON itself; so may any string, as Step Functions serializes an
            // object or array given for a string member (an SQS MessageBody, SNS Message, Step Functions Input).
            other if member::jsonvalue(reference, shape) => Value::String(other.to_string()),
            other @ (Json::Object(_) | Json::Array(_)) => Value::String(other.to_string()),
            other => return Err(wrong_type(path, "a string", other)),
        },
        Type::Boolean => Value::Boolean(value.as_bool().ok_or_else(|| wrong_type(path, "a boolean", value))?),
        Type::Integer | Type::Long | Type::Short | Type::Byte => Value::Integer(integer(shape.kind, value, path)?),
        Type::Float | Type::Double => float(value, path)?,
        Type::BigInteger | Type::BigDecimal => Value::Number(big_number(value, path)?),
        Type::Timestamp => Value::Timestamp(time::from_input(value).ok_or_else(|| {
            wrong_type(path, "a timestamp (an ISO 8601 string such as 2026-12-02T10:00:00Z, or seconds since the epoch)", value)
        })?),
        // An object or array given for binary data is sent as its JSON text.
        Type::Blob if value.is_object() || value.is_array() => Value::Blob(value.to_string().into_bytes()),
        Type::Blob => {
            let text = value.as_str().ok_or_else(|| wrong_type(path, "a base64 string", value))?;
            Value::Blob(BASE64.decode(text).map_err(|_| InputError::new(format!("the value of '{path}' must be base64-encoded binary data")))?)
        }
        Type::Structure | Type::List | Type::Map => return Err(damaged(path)),
    })
}

/// An integer in the range of `kind`.
fn integer(kind: Type, value: &Json, path: &str) -> Result<i64, InputError> {
    let (min, max) = match kind {
        Type::Byte => (i64::from(i8::MIN), i64::from(i8::MAX)),
        Type::Short => (i64::from(i16::MIN), i64::from(i16::MAX)),
        Type::Integer => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    let number = value.as_number().ok_or_else(|| wrong_type(path, "an integer", value))?;
    let whole = number.as_i64().or_else(|| {
        let float = number.as_f64()?;
        // Whole floats within i64 only (`5.0` is 5); the bounds are exact powers of two.
        (float.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&float)).then_some(float as i64)
    });
    match whole {
        Some(whole) if (min..=max).contains(&whole) => Ok(whole),
        _ => Err(InputError::new(format!("the value of '{path}' must be an integer from {min} to {max}, not {number}"))),
    }
}

/// A float: a number, or one of the names JSON has no number for.
fn float<'m>(value: &Json, path: &str) -> Result<Value<'m>, InputError> {
    match value {
        Json::Number(number) => Ok(Value::Number(number.clone())),
        Json::String(text) => match text.as_str() {
            "NaN" => Ok(Value::Special("NaN")),
            "Infinity" => Ok(Value::Special("Infinity")),
            "-Infinity" => Ok(Value::Special("-Infinity")),
            _ => Err(wrong_type(path, "a number", value)),
        },
        other => Err(wrong_type(path, "a number", other)),
    }
}

/// A big number: a JSON number, or a string of one.
fn big_number(value: &Json, path: &str) -> Result<Number, InputError> {
    match value {
        Json::Number(number) => Ok(number.clone()),
        Json::String(text) => serde_json::from_str::<Number>(text).map_err(|_| wrong_type(path, "a number", value)),
        other => Err(wrong_type(path, "a number", other)),
    }
}

/// `path` extended by a member or key.
fn child(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

/// The parameter `key` names no member of `shape`.
fn unknown_field(shape: &Shape, key: &str, path: &str) -> InputError {
    let at = if path.is_empty() { String::new() } else { format!(" at '{path}'") };
    InputError::new(format!(
        "the field '{}' is not supported by Step Functions (valid fields{at}: {})",
        child(path, key),
        names::listing(shape)
    ))
}

/// `value` at `path` is not of the type `expected` names.
fn wrong_type(path: &str, expected: &str, value: &Json) -> InputError {
    InputError::new(format!("the value of '{path}' must be {expected}, not {}", kind(value)))
}

/// The model's shape at `path` lacks a part its type needs.
fn damaged(path: &str) -> InputError {
    InputError::new(format!("the service's model is damaged at '{path}'"))
}

/// What a JSON value is, for a message.
fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

impl Typed<'_> {
    /// A scalar as text (a URI label, a query value, a header, an XML element, an awsQuery field): booleans
    /// `true`/`false`, blobs in base64, timestamps in their `timestampFormat` or `default_time`. `None` for a
    /// structure, list, map or document.
    pub(crate) fn text(&self, default_time: crate::model::TimestampFormat) -> Option<String> {
        Some(match &self.value {
            Value::String(text) => text.clone(),
            Value::Integer(number) => number.to_string(),
            Value::Number(number) => number.to_string(),
            Value::Special(name) => (*name).to_owned(),
            Value::Boolean(flag) => flag.to_string(),
            Value::Timestamp(timestamp) => {
                time::to_wire_text(*timestamp, member::timestamp_format(self.reference, self.shape, default_time))
            }
            Value::Blob(bytes) => base64::engine::general_purpose::STANDARD.encode(bytes),
            Value::Structure(_) | Value::List(_) | Value::Map(_) | Value::Document(_) => return None,
        })
    }
}
