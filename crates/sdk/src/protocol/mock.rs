//! TestState's check of a mocked result against an operation's output shape (`mock.fieldValidationMode`): members
//! are spelled as Step Functions shows them (PascalCase), every present member must have its shape's JSON type, and
//! in the strict mode every required member must be present. A member the model does not know is accepted, as AWS
//! accepts one (forward compatibility). The embedded models carry no enums, lengths or ranges, so those are not
//! checked.

use serde_json::Value;

use crate::model::{Model, Operation, ShapeRef, Type};

use crate::protocol::names::shown;

/// How strictly a mocked result is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// `STRICT`: required members must be present, and present ones well typed.
    Required,
    /// `PRESENT`: present members must be well typed.
    Present,
}

/// How a check treats a blob member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blobs {
    /// As the model says: a (base64) string.
    Text,
    /// Any JSON value: an optimized integration shows a blob it decoded, such as Lambda's `Payload`, as JSON.
    Decoded,
}

/// Checks `value`, a mocked result, against `operation`'s output. `Err` is the first problem, in AWS's words.
pub fn check_output(model: &Model, operation: &Operation, value: &Value, strictness: Strictness, blobs: Blobs) -> Result<(), String> {
    let Some(output) = &operation.output else { return Ok(()) };
    if !value.is_object() {
        return Err(format!("Mock result must be a valid JSON object, but got '{}' instead", kind(value)));
    }
    Checker { model, strictness, blobs }.check(output, value, "")
}

struct Checker<'m> {
    model: &'m Model,
    strictness: Strictness,
    blobs: Blobs,
}

impl Checker<'_> {
    fn check(&self, reference: &ShapeRef, value: &Value, field: &str) -> Result<(), String> {
        let Some(shape) = self.model.shape(&reference.shape) else { return Ok(()) };
        if shape.document {
            return Ok(());
        }
        let wrong = |expected: &str| Err(format!("Mock result schema validation error: Field '{field}' must be {expected}"));
        match shape.kind {
            Type::Structure => {
                let Value::Object(fields) = value else { return wrong("an object") };
                if self.strictness == Strictness::Required {
                    for required in &shape.required {
                        let name = shown(required);
                        if !fields.contains_key(&name) {
                            return Err(format!("Mock result schema validation error: Required field '{name}' is missing"));
                        }
                    }
                }
                for (name, member) in shape.members.iter() {
                    if let Some(value) = fields.get(&shown(name)) {
                        self.check(member, value, &shown(name))?;
                    }
                }
                Ok(())
            }
            Type::List => {
                let Value::Array(items) = value else { return wrong("an array") };
                match &shape.member {
                    Some(member) => items.iter().try_for_each(|item| self.check(member, item, field)),
                    None => Ok(()),
                }
            }
            Type::Map => {
                let Value::Object(entries) = value else { return wrong("an object") };
                match &shape.value {
                    Some(member) => entries.values().try_for_each(|item| self.check(member, item, field)),
                    None => Ok(()),
                }
            }
            Type::String => if value.is_string() { Ok(()) } else { wrong("a string") },
            // Step Functions shows a timestamp as text or as a number, depending on the integration.
            Type::Timestamp => if value.is_string() || value.is_number() { Ok(()) } else { wrong("a string") },
            Type::Integer | Type::Long | Type::Short | Type::Byte | Type::BigInteger => {
                if value.is_i64() || value.is_u64() { Ok(()) } else { wrong("a number") }
            }
            Type::Float | Type::Double | Type::BigDecimal => if value.is_number() { Ok(()) } else { wrong("a number") },
            Type::Boolean => if value.is_boolean() { Ok(()) } else { wrong("a boolean") },
            Type::Blob => match self.blobs {
                Blobs::Decoded => Ok(()),
                Blobs::Text => if value.is_string() { Ok(()) } else { wrong("a string") },
            },
        }
    }
}

/// A JSON value's kind, as AWS's message names it.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
