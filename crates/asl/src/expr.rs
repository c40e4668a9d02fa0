//! JSONata in a definition: `{% … %}` expressions, and values that hold them anywhere inside.
//!
//! An `Expr` is one expression, compiled once when the definition is parsed. A `Dynamic` is a JSON value in which
//! any string of the form `{% … %}` (in an object member or array element, at any depth) is an expression; the
//! rest is literal. Evaluation sees `$states` and the workflow variables the expression names; failures are
//! `States.QueryEvaluationError` with AWS's cause texts, which name the field (`Output/result`).

use serde_json::{Map as Object, Value};

use crate::guard::{Cut, Guard};
use crate::{Failure, Variables, errors};

/// One JSONata expression, the text between `{%` and `%}`.
#[derive(Debug, Clone)]
pub struct Expr {
    text: String,
    compiled: jsonata::Expression,
}

/// A value with JSONata expressions inside.
#[derive(Debug, Clone)]
pub enum Dynamic {
    Literal(Value),
    Expr(Expr),
    Object(Vec<(String, Dynamic)>),
    Array(Vec<Dynamic>),
}

/// What a JSONata expression can see: `$states` (input, result, errorOutput, context), the workflow variables, the
/// current time and a source of random numbers; and the `Guard` that numbers evaluations and cuts them off.
pub struct Scope<'a> {
    pub states: &'a States<'a>,
    pub vars: &'a dyn Variables,
    pub now_ms: i64,
    pub random: &'a dyn Fn() -> u64,
    pub guard: &'a Guard,
}

/// `$states`: the state's input, and its result, error output and Context object when the state has them. The
/// members are bound where they are, never gathered into one object: an evaluation converts only the members its
/// expression reads.
pub struct States<'a> {
    pub input: &'a Value,
    pub result: Option<&'a Value>,
    pub error_output: Option<&'a Value>,
    pub context: Option<Value>,
}

/// The delimiters of an expression.
const OPEN: &str = "{%";
const CLOSE: &str = "%}";

/// Whether `text` is an expression: `{%` … `%}` as the whole string.
pub fn is_expression(text: &str) -> bool {
    text.starts_with(OPEN) && text.ends_with(CLOSE) && text.len() >= OPEN.len() + CLOSE.len()
}

impl Expr {
    /// Compiles `{% … %}` text (the delimiters included).
    pub fn compile(text: &str) -> Result<Expr, String> {
        let inner = text
            .strip_prefix(OPEN)
            .and_then(|t| t.strip_suffix(CLOSE))
            .ok_or_else(|| format!("a JSONata expression must be written as {{% … %}}, not {text:?}"))?
            .trim();
        if inner.is_empty() {
            return Err("the JSONata expression is empty".to_owned());
        }
        let compiled = jsonata::Expression::compile(inner).map_err(|e| format!("invalid JSONata expression '{inner}': {e}"))?;
        Ok(Expr { text: inner.to_owned(), compiled })
    }

    /// The expression's text, without delimiters.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Evaluates the expression for `field` (named in failures); undefined is a failure.
    pub fn evaluate(&self, scope: &Scope, field: &str) -> Result<Value, Failure> {
        match self.evaluate_optional(scope, field)? {
            Some(value) => Ok(value),
            None => Err(self.failure(field, "returned nothing (undefined).")),
        }
    }

    /// Evaluates the expression; `None` is JSONata's undefined.
    pub fn evaluate_optional(&self, scope: &Scope, field: &str) -> Result<Option<Value>, Failure> {
        let mut bindings = jsonata::Bindings::new();
        bindings.insert_object("states", scope.states.members());
        for name in self.compiled.variables() {
            if name != "states"
                && let Some(value) = scope.vars.get(name)
            {
                bindings.insert(name, value);
            }
        }
        let host = jsonata::Host { now_ms: scope.now_ms, random: scope.random };
        let entered = scope.guard.enter().map_err(|cut| self.cut_off(field, cut))?;
        let result = self.compiled.evaluate_cancellable(&Value::Null, &bindings, &host, entered.cancel());
        let cancelled = matches!(&result, Err(error) if error.is_cancelled());
        if let Some(cut) = scope.guard.leave(entered, cancelled) {
            return Err(self.cut_off(field, cut));
        }
        result.map_err(|error| {
            if error.is_unsupported_result() {
                self.failure(field, "returned an unsupported result type.")
            } else {
                self.failure(field, &format!("threw an error during evaluation. {error}"))
            }
        })
    }

    /// The failure of an evaluation the guard cut off.
    fn cut_off(&self, field: &str, cut: Cut) -> Failure {
        match cut {
            Cut::TimeLimit => self.failure(field, "threw an error during evaluation. The evaluation exceeded its time limit."),
            Cut::Stopped => self.failure(field, "was interrupted because the execution is stopping."),
        }
    }

    fn failure(&self, field: &str, what: &str) -> Failure {
        Failure::new(
            errors::QUERY_EVALUATION_ERROR,
            format!("The JSONata expression '{}' specified for the field '{field}' {what}", self.text),
        )
    }
}

impl States<'_> {
    /// The members of `$states`, in AWS's order.
    fn members(&self) -> Vec<(&str, &Value)> {
        let members = [
            ("input", Some(self.input)),
            ("result", self.result),
            ("errorOutput", self.error_output),
            ("context", self.context.as_ref()),
        ];
        members.into_iter().filter_map(|(key, value)| Some((key, value?))).collect()
    }
}

impl Dynamic {
    /// The top-level member `key` when it holds no expression (`Literal`).
    pub fn literal_member(&self, key: &str) -> Option<&Value> {
        match self {
            Dynamic::Literal(Value::Object(map)) => map.get(key),
            Dynamic::Object(members) => members.iter().find(|(name, _)| name == key).and_then(|(_, value)| match value {
                Dynamic::Literal(value) => Some(value),
                _ => None,
            }),
            _ => None,
        }
    }

    /// Compiles a value: every `{% … %}` string inside becomes an expression. `Err` lists each bad expression as
    /// (JSON pointer relative to the value, message).
    pub fn compile(value: &Value) -> Result<Dynamic, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let dynamic = compile_at(value, "", &mut problems);
        if problems.is_empty() { Ok(dynamic) } else { Err(problems) }
    }

    /// Whether the value holds no expression.
    pub fn is_literal(&self) -> bool {
        matches!(self, Dynamic::Literal(_))
    }

    /// Evaluates every expression inside for `field` (failures name `field/key/…`).
    pub fn evaluate(&self, scope: &Scope, field: &str) -> Result<Value, Failure> {
        match self {
            Dynamic::Literal(value) => Ok(value.clone()),
            Dynamic::Expr(expr) => expr.evaluate(scope, field),
            Dynamic::Object(members) => {
                let mut object = Object::new();
                for (key, member) in members {
                    object.insert(key.clone(), member.evaluate(scope, &format!("{field}/{key}"))?);
                }
                Ok(Value::Object(object))
            }
            Dynamic::Array(items) => {
                let mut array = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    array.push(item.evaluate(scope, &format!("{field}/{i}"))?);
                }
                Ok(Value::Array(array))
            }
        }
    }
}

fn compile_at(value: &Value, pointer: &str, problems: &mut Vec<(String, String)>) -> Dynamic {
    match value {
        Value::String(text) if is_expression(text) => match Expr::compile(text) {
            Ok(expr) => Dynamic::Expr(expr),
            Err(message) => {
                problems.push((pointer.to_owned(), message));
                Dynamic::Literal(value.clone())
            }
        },
        Value::Object(object) => {
            let members: Vec<(String, Dynamic)> = object
                .iter()
                .map(|(k, v)| (k.clone(), compile_at(v, &format!("{pointer}/{}", crate::diagnostic::escape(k)), problems)))
                .collect();
            if members.iter().all(|(_, m)| m.is_literal()) {
                Dynamic::Literal(value.clone())
            } else {
                Dynamic::Object(members)
            }
        }
        Value::Array(items) => {
            let items: Vec<Dynamic> =
                items.iter().enumerate().map(|(i, v)| compile_at(v, &format!("{pointer}/{i}"), problems)).collect();
            if items.iter().all(Dynamic::is_literal) { Dynamic::Literal(value.clone()) } else { Dynamic::Array(items) }
        }
        other => Dynamic::Literal(other.clone()),
    }
}
