//! Conversions between `serde_json::Value` and jsonata-core's `JValue`.
//!
//! Going in, every JSON value has a `JValue`. Coming out, JSONata's undefined becomes `None`, functions and regular
//! expressions are [`Error::UnsupportedResult`], whole numbers that fit an `i64` become JSON integers (AWS prints
//! `3`, not `3.0`), and non-finite numbers become the strings JavaScript names them by (`"Infinity"`, `"NaN"`), as
//! AWS answers for `1/0`.

use jsonata_core::value::{JValue, with_stack};
use serde_json::{Map, Number, Value};

use crate::Error;

/// How deeply a result may nest. `serde_json` refuses to parse JSON nested deeper than 128 levels, so a deeper
/// result could be stored but never read back; dropping a deep `serde_json::Value` also recurses once per level.
pub(crate) const MAX_RESULT_DEPTH: usize = 128;

/// 2^63: the first `f64` above `i64::MAX`.
const I64_END: f64 = 9_223_372_036_854_775_808.0;

/// The `JValue` of a JSON value.
pub(crate) fn to_jvalue(value: &Value) -> JValue {
    match value {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => JValue::string(s.as_str()),
        Value::Array(items) => with_stack(|| JValue::array(items.iter().map(to_jvalue).collect())),
        Value::Object(members) => to_jvalue_object(members.iter().map(|(key, member)| (key.as_str(), member))),
    }
}

/// The `JValue` of the object of `members`, keys and values in order.
pub(crate) fn to_jvalue_object<'a>(members: impl Iterator<Item = (&'a str, &'a Value)>) -> JValue {
    with_stack(|| JValue::object(members.map(|(key, member)| (key.to_owned(), to_jvalue(member))).collect()))
}

/// The JSON value of an evaluation result; `None` is undefined.
pub(crate) fn from_jvalue(value: &JValue) -> Result<Option<Value>, Error> {
    match value {
        JValue::Undefined => Ok(None),
        // A sequence of one item is that item; an empty one is undefined (jsonata-js does this for every result).
        JValue::Array(items) if items.sequence && !items.keep_singleton && items.len() <= 1 => match items.first() {
            Some(item) => from_jvalue(item),
            None => Ok(None),
        },
        other => to_json(other, 0).map(Some),
    }
}

fn to_json(value: &JValue, depth: usize) -> Result<Value, Error> {
    Ok(match value {
        JValue::Null | JValue::Undefined => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => {
            let depth = deeper(depth)?;
            let mut array = Vec::with_capacity(items.len());
            for item in items.iter() {
                // An undefined item cannot be in a JSON array; jsonata-js's JSON.stringify would write null, but
                // evaluation never leaves one there.
                if !item.is_undefined() {
                    array.push(with_stack(|| to_json(item, depth))?);
                }
            }
            Value::Array(array)
        }
        JValue::Object(members) => {
            let depth = deeper(depth)?;
            let mut object = Map::with_capacity(members.len());
            for (key, member) in members.iter() {
                // jsonata-js drops members whose value is undefined (JSON.stringify does).
                if !member.is_undefined() {
                    object.insert(key.clone(), with_stack(|| to_json(member, depth))?);
                }
            }
            Value::Object(object)
        }
        JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. } => return Err(Error::UnsupportedResult),
    })
}

fn deeper(depth: usize) -> Result<usize, Error> {
    if depth >= MAX_RESULT_DEPTH {
        return Err(Error::Evaluate(format!(
            "The result is nested more than {MAX_RESULT_DEPTH} levels deep"
        )));
    }
    Ok(depth + 1)
}

/// A JSONata number as JSON: whole numbers that fit an `i64` are integers.
pub(crate) fn number(n: f64) -> Value {
    if n.is_nan() {
        return Value::String("NaN".to_owned());
    }
    if n.is_infinite() {
        return Value::String(if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned());
    }
    if n.fract() == 0.0 && (-I64_END..I64_END).contains(&n) {
        // The range check makes the cast exact.
        return Value::Number(Number::from(n as i64));
    }
    Number::from_f64(n).map_or(Value::Null, Value::Number)
}
