//! Choice rules of JSONPath mode: the comparison operators, their `…Path` variants, and `And`/`Or`/`Not`.
//!
//! `parse_rule` turns one rule object into a `Rule`, reporting every problem it finds; `Rule::evaluate` decides it
//! against an `Env` with AWS's semantics: a value of the wrong type makes a comparison false (never an error), numbers
//! compare by value (`1` equals `1.0`, large integers exactly), strings compare as Java's `String.compareTo` does
//! (UTF-16 code units), timestamps compare as instants. A `Variable` or `…Path` that does not resolve is a
//! `States.Runtime` failure, except under `IsPresent`. JSONata `Condition` rules and a rule's `Next`, `Assign` and
//! `Output` are the caller's business, not this module's.

pub mod pattern;
pub mod timestamp;

#[cfg(test)]
#[rustfmt::skip] // One-line tests, as data.
mod tests;

use std::borrow::Cow;
use std::cmp::Ordering;

use jiff::Timestamp;
use serde_json::{Number, Value};

use crate::choice::pattern::Pattern;
use crate::diagnostic::SCHEMA;
use crate::path::Path;
use crate::{Diagnostic, Env, Failure};

/// A Choice rule without its `Next`.
#[derive(Debug, Clone)]
pub enum Rule {
    /// True when every rule is (evaluated in order, stopping at the first false). Invariant: non-empty.
    And(Vec<Rule>),
    /// True when some rule is (evaluated in order, stopping at the first true). Invariant: non-empty.
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare(Comparison),
}

/// `Variable` and one comparison operator.
#[derive(Debug, Clone)]
pub struct Comparison {
    variable: Path,
    /// The operator's name as written, e.g. `NumericLessThanEqualsPath`.
    operator: &'static str,
    test: Test,
}

/// What a comparison checks about its `Variable`'s value.
#[derive(Debug, Clone)]
pub enum Test {
    /// `IsNull`, `IsPresent`, `IsNumeric`, `IsString`, `IsBoolean`, `IsTimestamp` with the expected answer.
    Type(TypeTest, bool),
    BooleanEquals(Operand<bool>),
    Numeric(Cmp, Operand<Number>),
    String(Cmp, Operand<String>),
    StringMatches(Pattern),
    Timestamp(Cmp, Operand<Timestamp>),
}

/// The right-hand side of a comparison: a literal, or a reference path (the `…Path` operators).
#[derive(Debug, Clone)]
pub enum Operand<T> {
    Literal(T),
    Path(Path),
}

/// How the `Variable`'s value must compare with the operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Equals,
    GreaterThan,
    GreaterThanEquals,
    LessThan,
    LessThanEquals,
}

/// The `Is…` type tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeTest {
    Null,
    Present,
    Numeric,
    String,
    Boolean,
    Timestamp,
}

/// The names of all comparison operators, as AWS spells them: 39 of them, counting `StringMatches`, `IsTimestamp` and
/// the `…Path` variants.
pub fn operator_names() -> impl Iterator<Item = &'static str> {
    OPERATOR_TABLE.iter().map(|operator| operator.name)
}

/// Parses one rule object found at `pointer`. `top_level` rules may also carry `Next`, `Comment`, `Assign` and
/// `Output` (which the caller reads); nested rules (inside `And`/`Or`/`Not`) may carry only `Comment`.
///
/// Every problem becomes a `SCHEMA_VALIDATION_FAILED` diagnostic pointing at the offending value; the result is
/// `None` exactly when this rule (or a rule inside it) had one.
pub fn parse_rule(value: &Value, pointer: &str, top_level: bool, diagnostics: &mut Vec<Diagnostic>) -> Option<Rule> {
    let before = diagnostics.len();
    let rule = parse_any(value, pointer, top_level, diagnostics);
    if diagnostics.len() > before { None } else { rule }
}

impl Rule {
    /// Evaluates the rule against `env`. Allocates nothing unless a path is a query (reference paths never are).
    pub fn evaluate(&self, env: &Env) -> Result<bool, Failure> {
        match self {
            Rule::And(rules) => {
                for rule in rules {
                    if !rule.evaluate(env)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Rule::Or(rules) => {
                for rule in rules {
                    if rule.evaluate(env)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Rule::Not(rule) => Ok(!rule.evaluate(env)?),
            Rule::Compare(comparison) => comparison.evaluate(env),
        }
    }
}

impl Comparison {
    /// The path whose value is compared.
    pub fn variable(&self) -> &Path {
        &self.variable
    }

    /// The operator's name as written, e.g. `StringEqualsPath`.
    pub fn operator(&self) -> &'static str {
        self.operator
    }

    /// What is checked.
    pub fn test(&self) -> &Test {
        &self.test
    }

    /// Evaluates the comparison against `env`.
    ///
    /// The `Variable` is read first, then a `…Path` operand; either failing to resolve is `States.Runtime` (except
    /// the `Variable` of `IsPresent`). Only then are types checked, so a mismatch is plain `false`.
    pub fn evaluate(&self, env: &Env) -> Result<bool, Failure> {
        let value = match self.variable.select_ref(env) {
            Ok(value) => value,
            Err(_) => {
                return match self.test {
                    Test::Type(TypeTest::Present, expected) => Ok(!expected),
                    _ => Err(invalid_path(&self.variable)),
                };
            }
        };
        Ok(match &self.test {
            Test::Type(test, expected) => test.holds(&value) == *expected,
            Test::BooleanEquals(operand) => {
                let expected = match operand {
                    Operand::Literal(expected) => Some(*expected),
                    Operand::Path(path) => resolve(path, env)?.as_bool(),
                };
                matches!((value.as_bool(), expected), (Some(actual), Some(expected)) if actual == expected)
            }
            Test::Numeric(cmp, operand) => {
                let order = match operand {
                    Operand::Literal(expected) => compare_numbers(&value, expected),
                    Operand::Path(path) => match &*resolve(path, env)? {
                        Value::Number(expected) => compare_numbers(&value, expected),
                        _ => None,
                    },
                };
                order.is_some_and(|order| cmp.holds(order))
            }
            Test::String(cmp, operand) => {
                let order = match operand {
                    Operand::Literal(expected) => compare_strings(&value, expected),
                    Operand::Path(path) => match &*resolve(path, env)? {
                        Value::String(expected) => compare_strings(&value, expected),
                        _ => None,
                    },
                };
                order.is_some_and(|order| cmp.holds(order))
            }
            Test::StringMatches(pattern) => value.as_str().is_some_and(|text| pattern.matches(text)),
            Test::Timestamp(cmp, operand) => {
                let expected = match operand {
                    Operand::Literal(expected) => Some(*expected),
                    Operand::Path(path) => resolve(path, env)?.as_str().and_then(timestamp::parse),
                };
                let actual = value.as_str().and_then(timestamp::parse);
                match (actual, expected) {
                    (Some(actual), Some(expected)) => cmp.holds(actual.cmp(&expected)),
                    _ => false,
                }
            }
        })
    }
}

impl Cmp {
    /// Whether `value.cmp(operand) == order` satisfies this comparison.
    pub fn holds(self, order: Ordering) -> bool {
        match self {
            Cmp::Equals => order.is_eq(),
            Cmp::GreaterThan => order.is_gt(),
            Cmp::GreaterThanEquals => order.is_ge(),
            Cmp::LessThan => order.is_lt(),
            Cmp::LessThanEquals => order.is_le(),
        }
    }
}

impl TypeTest {
    /// Whether a value that is present passes the test (`IsPresent` always does).
    pub fn holds(self, value: &Value) -> bool {
        match self {
            TypeTest::Null => value.is_null(),
            TypeTest::Present => true,
            TypeTest::Numeric => value.is_number(),
            TypeTest::String => value.is_string(),
            TypeTest::Boolean => value.is_boolean(),
            TypeTest::Timestamp => value.as_str().and_then(timestamp::parse).is_some(),
        }
    }
}

/// Orders two JSON numbers by their mathematical value: integers exactly (all of `i64` and `u64`), integers against
/// floats exactly (no rounding of the integer to `f64`), floats as IEEE doubles. `None` when `value` is not a number.
pub fn compare_numbers(value: &Value, operand: &Number) -> Option<Ordering> {
    let Value::Number(value) = value else { return None };
    match (integer(value), integer(operand)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        (Some(a), None) => compare_integer_float(a, operand.as_f64()?),
        (None, Some(b)) => compare_integer_float(b, value.as_f64()?).map(Ordering::reverse),
        (None, None) => value.as_f64()?.partial_cmp(&operand.as_f64()?),
    }
}

/// Orders two strings as Java's `String.compareTo` does: by UTF-16 code units, not by code points (they differ when
/// a character above U+FFFF meets one in U+E000..=U+FFFF). `None` when `value` is not a string.
pub fn compare_strings(value: &Value, operand: &str) -> Option<Ordering> {
    let Value::String(value) = value else { return None };
    if value == operand {
        return Some(Ordering::Equal);
    }
    Some(value.encode_utf16().cmp(operand.encode_utf16()))
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Boolean,
    Numeric(Cmp),
    String(Cmp),
    StringMatches,
    Timestamp(Cmp),
    Type(TypeTest),
}

struct Operator {
    name: &'static str,
    kind: Kind,
    /// Whether the operand is a reference path (the `…Path` variants).
    path: bool,
}

const fn op(name: &'static str, kind: Kind, path: bool) -> Operator {
    Operator { name, kind, path }
}

const OPERATOR_TABLE: [Operator; 39] = {
    use Cmp::*;
    use Kind::{Boolean, Numeric, StringMatches, Type};
    [
        op("BooleanEquals", Boolean, false),
        op("BooleanEqualsPath", Boolean, true),
        op("NumericEquals", Numeric(Equals), false),
        op("NumericEqualsPath", Numeric(Equals), true),
        op("NumericGreaterThan", Numeric(GreaterThan), false),
        op("NumericGreaterThanPath", Numeric(GreaterThan), true),
        op("NumericGreaterThanEquals", Numeric(GreaterThanEquals), false),
        op("NumericGreaterThanEqualsPath", Numeric(GreaterThanEquals), true),
        op("NumericLessThan", Numeric(LessThan), false),
        op("NumericLessThanPath", Numeric(LessThan), true),
        op("NumericLessThanEquals", Numeric(LessThanEquals), false),
        op("NumericLessThanEqualsPath", Numeric(LessThanEquals), true),
        op("StringEquals", Kind::String(Equals), false),
        op("StringEqualsPath", Kind::String(Equals), true),
        op("StringGreaterThan", Kind::String(GreaterThan), false),
        op("StringGreaterThanPath", Kind::String(GreaterThan), true),
        op("StringGreaterThanEquals", Kind::String(GreaterThanEquals), false),
        op("StringGreaterThanEqualsPath", Kind::String(GreaterThanEquals), true),
        op("StringLessThan", Kind::String(LessThan), false),
        op("StringLessThanPath", Kind::String(LessThan), true),
        op("StringLessThanEquals", Kind::String(LessThanEquals), false),
        op("StringLessThanEqualsPath", Kind::String(LessThanEquals), true),
        op("StringMatches", StringMatches, false),
        op("TimestampEquals", Kind::Timestamp(Equals), false),
        op("TimestampEqualsPath", Kind::Timestamp(Equals), true),
        op("TimestampGreaterThan", Kind::Timestamp(GreaterThan), false),
        op("TimestampGreaterThanPath", Kind::Timestamp(GreaterThan), true),
        op("TimestampGreaterThanEquals", Kind::Timestamp(GreaterThanEquals), false),
        op("TimestampGreaterThanEqualsPath", Kind::Timestamp(GreaterThanEquals), true),
        op("TimestampLessThan", Kind::Timestamp(LessThan), false),
        op("TimestampLessThanPath", Kind::Timestamp(LessThan), true),
        op("TimestampLessThanEquals", Kind::Timestamp(LessThanEquals), false),
        op("TimestampLessThanEqualsPath", Kind::Timestamp(LessThanEquals), true),
        op("IsNull", Type(TypeTest::Null), false),
        op("IsPresent", Type(TypeTest::Present), false),
        op("IsNumeric", Type(TypeTest::Numeric), false),
        op("IsString", Type(TypeTest::String), false),
        op("IsBoolean", Type(TypeTest::Boolean), false),
        op("IsTimestamp", Type(TypeTest::Timestamp), false),
    ]
};

fn operator_named(name: &str) -> Option<&'static Operator> {
    OPERATOR_TABLE.iter().find(|operator| operator.name == name)
}

/// Parses a rule, returning `None` if it or anything inside it is wrong.
fn parse_any(value: &Value, pointer: &str, top_level: bool, diagnostics: &mut Vec<Diagnostic>) -> Option<Rule> {
    let before = diagnostics.len();
    let rule = parse_object(value, pointer, top_level, diagnostics);
    if diagnostics.len() > before { None } else { rule }
}

fn parse_object(value: &Value, pointer: &str, top_level: bool, diagnostics: &mut Vec<Diagnostic>) -> Option<Rule> {
    let Value::Object(object) = value else {
        error(diagnostics, pointer, format!("a choice rule must be an object, found {}", type_name(value)));
        return None;
    };
    let mut combinator: Option<(&str, &Value)> = None;
    let mut operator: Option<(&'static Operator, &Value)> = None;
    let mut variable: Option<&Value> = None;
    for (key, field) in object {
        let at = || child(pointer, key);
        match key.as_str() {
            "And" | "Or" | "Not" => match combinator {
                Some((first, _)) => error(
                    diagnostics,
                    at(),
                    format!("a choice rule takes only one of And, Or, Not; found '{first}' and '{key}'"),
                ),
                None => combinator = Some((key, field)),
            },
            "Variable" => variable = Some(field),
            "Comment" => {
                if !field.is_string() {
                    error(diagnostics, at(), format!("'Comment' must be a string, found {}", type_name(field)));
                }
            }
            "Next" | "Assign" | "Output" if top_level => {}
            "Next" | "Assign" | "Output" => error(
                diagnostics,
                at(),
                format!("field '{key}' is not allowed in a nested choice rule (inside And, Or, Not)"),
            ),
            "Condition" => error(diagnostics, at(), "field 'Condition' is only allowed in JSONata mode"),
            _ => match (operator_named(key), operator) {
                (Some(_), Some((first, _))) => error(
                    diagnostics,
                    at(),
                    format!("a choice rule takes one comparison operator; found '{}' and '{key}'", first.name),
                ),
                (Some(found), None) => operator = Some((found, field)),
                (None, _) => {
                    let known = ["Next", "Variable", "Assign", "Output", "Comment", "And", "Or", "Not"];
                    let names = known.into_iter().chain(OPERATOR_TABLE.iter().map(|operator| operator.name));
                    let suggestion = crate::suggest::did_you_mean(key, names);
                    error(diagnostics, at(), format!("field '{key}' is not supported in a choice rule{suggestion}"));
                }
            },
        }
    }

    if let Some((name, field)) = combinator {
        if variable.is_some() {
            error(diagnostics, child(pointer, "Variable"), format!("field 'Variable' is not allowed with '{name}'"));
        }
        if let Some((operator, _)) = operator {
            error(
                diagnostics,
                child(pointer, operator.name),
                format!("field '{}' is not allowed with '{name}'", operator.name),
            );
        }
        return parse_combinator(name, field, &child(pointer, name), diagnostics);
    }

    let Some(variable) = variable else {
        let message = match operator {
            Some((operator, _)) => format!("missing required field 'Variable' for '{}'", operator.name),
            None => "a choice rule needs 'Variable' and a comparison operator, or one of And, Or, Not".to_owned(),
        };
        error(diagnostics, pointer, message);
        return None;
    };
    let variable = parse_path(variable, &child(pointer, "Variable"), "Variable", diagnostics);
    let Some((operator, field)) = operator else {
        error(
            diagnostics,
            pointer,
            "missing comparison operator for 'Variable' (one of StringEquals, NumericLessThan, IsPresent, …)",
        );
        return None;
    };
    let test = parse_test(operator, field, &child(pointer, operator.name), diagnostics)?;
    Some(Rule::Compare(Comparison { variable: variable?, operator: operator.name, test }))
}

fn parse_combinator(name: &str, field: &Value, pointer: &str, diagnostics: &mut Vec<Diagnostic>) -> Option<Rule> {
    match (name, field) {
        ("Not", Value::Object(_)) => {
            parse_any(field, pointer, false, diagnostics).map(|rule| Rule::Not(Box::new(rule)))
        }
        ("Not", other) => {
            error(diagnostics, pointer, format!("'Not' must be a choice rule object, found {}", type_name(other)));
            None
        }
        (_, Value::Array(items)) if items.is_empty() => {
            error(diagnostics, pointer, format!("'{name}' must contain at least one choice rule"));
            None
        }
        (_, Value::Array(items)) => {
            let mut rules = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                // Keep going after a bad rule: the others may have problems to report too.
                if let Some(rule) = parse_any(item, &format!("{pointer}/{i}"), false, diagnostics) {
                    rules.push(rule);
                }
            }
            if rules.len() != items.len() {
                return None;
            }
            Some(if name == "And" { Rule::And(rules) } else { Rule::Or(rules) })
        }
        (_, other) => {
            let message = format!("'{name}' must be an array of choice rules, found {}", type_name(other));
            error(diagnostics, pointer, message);
            None
        }
    }
}

fn parse_test(operator: &Operator, field: &Value, pointer: &str, diagnostics: &mut Vec<Diagnostic>) -> Option<Test> {
    let name = operator.name;
    match operator.kind {
        Kind::Type(test) => literal(field, pointer, diagnostics, |value| match value {
            Value::Bool(expected) => Ok(Test::Type(test, *expected)),
            other => Err(format!("'{name}' must be true or false, found {}", type_name(other))),
        }),
        Kind::StringMatches => literal(field, pointer, diagnostics, |value| match value {
            Value::String(pattern) => {
                Pattern::parse(pattern).map(Test::StringMatches).map_err(|e| format!("'{name}': {e}"))
            }
            other => Err(format!("'{name}' must be a string pattern, found {}", type_name(other))),
        }),
        Kind::Boolean => operand(operator, field, pointer, diagnostics, |value| match value {
            Value::Bool(expected) => Ok(*expected),
            other => Err(format!("'{name}' must be true or false, found {}", type_name(other))),
        })
        .map(Test::BooleanEquals),
        Kind::Numeric(cmp) => operand(operator, field, pointer, diagnostics, |value| match value {
            Value::Number(expected) => Ok(expected.clone()),
            other => Err(format!("'{name}' must be a number, found {}", type_name(other))),
        })
        .map(|operand| Test::Numeric(cmp, operand)),
        Kind::String(cmp) => operand(operator, field, pointer, diagnostics, |value| match value {
            Value::String(expected) => Ok(expected.clone()),
            other => Err(format!("'{name}' must be a string, found {}", type_name(other))),
        })
        .map(|operand| Test::String(cmp, operand)),
        Kind::Timestamp(cmp) => operand(operator, field, pointer, diagnostics, |value| match value {
            Value::String(text) => timestamp::parse(text).ok_or_else(|| {
                format!("'{name}' is not a valid timestamp: '{text}' (expected RFC 3339, e.g. 2016-03-14T01:59:00Z)")
            }),
            other => Err(format!("'{name}' must be a timestamp string, found {}", type_name(other))),
        })
        .map(|operand| Test::Timestamp(cmp, operand)),
    }
}

/// The operand of a comparison: a reference path for the `…Path` operators, else what `read` makes of the literal.
fn operand<T>(
    operator: &Operator,
    field: &Value,
    pointer: &str,
    diagnostics: &mut Vec<Diagnostic>,
    read: impl FnOnce(&Value) -> Result<T, String>,
) -> Option<Operand<T>> {
    if operator.path {
        parse_path(field, pointer, operator.name, diagnostics).map(Operand::Path)
    } else {
        literal(field, pointer, diagnostics, read).map(Operand::Literal)
    }
}

/// What `read` makes of `field`, or `None` after reporting why it can't.
fn literal<T>(
    field: &Value,
    pointer: &str,
    diagnostics: &mut Vec<Diagnostic>,
    read: impl FnOnce(&Value) -> Result<T, String>,
) -> Option<T> {
    read(field).map_err(|message| error(diagnostics, pointer, message)).ok()
}

fn parse_path(field: &Value, pointer: &str, name: &str, diagnostics: &mut Vec<Diagnostic>) -> Option<Path> {
    match field {
        Value::String(text) => match Path::parse_reference(text) {
            Ok(path) => Some(path),
            Err(e) => {
                error(diagnostics, pointer, format!("'{name}' is not a valid reference path: '{text}': {e}"));
                None
            }
        },
        other => {
            error(
                diagnostics,
                pointer,
                format!("'{name}' must be a reference path string, found {}", type_name(other)),
            );
            None
        }
    }
}

fn error(diagnostics: &mut Vec<Diagnostic>, pointer: impl Into<String>, message: impl Into<String>) {
    diagnostics.push(Diagnostic::new(pointer, SCHEMA, message));
}

/// `pointer` extended by the object key `key`, escaped as RFC 6901 requires.
fn child(pointer: &str, key: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + 1 + key.len());
    out.push_str(pointer);
    out.push('/');
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn resolve<'a>(path: &Path, env: &Env<'a>) -> Result<Cow<'a, Value>, Failure> {
    path.select_ref(env).map_err(|_| invalid_path(path))
}

/// AWS's cause for a Choice path that does not resolve. The engine prefixes the state's name.
fn invalid_path(path: &Path) -> Failure {
    Failure::runtime(format!(
        "Invalid path '{}': The choice state's condition path references an invalid value.",
        path.as_str()
    ))
}

fn integer(number: &Number) -> Option<i128> {
    number.as_i64().map(i128::from).or_else(|| number.as_u64().map(i128::from))
}

/// Orders an integer against a float exactly.
fn compare_integer_float(integer: i128, float: f64) -> Option<Ordering> {
    /// 2^127: every finite float below it in magnitude truncates to an `i128` without loss.
    const LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    if float.is_nan() {
        return None;
    }
    if float >= LIMIT {
        return Some(Ordering::Less);
    }
    if float < -LIMIT {
        return Some(Ordering::Greater);
    }
    let whole = float.trunc();
    match integer.cmp(&(whole as i128)) {
        Ordering::Equal => 0.0_f64.partial_cmp(&(float - whole)),
        order => Some(order),
    }
}
