//! Payload templates: `Parameters`, `ResultSelector`, `ItemSelector` and friends in JSONPath mode.
//!
//! `Template::compile` walks the JSON once: a key ending in `.$` holds a path (`$…`, `$$…`, `$var…`) or an
//! intrinsic function call (`States.…(…)`), parsed here; the output key drops the `.$`. Nested objects and arrays are
//! templates too; any subtree without a `.$` key is kept as a constant. `Template::evaluate` then only walks the
//! precompiled tree, so it never parses anything.

#[cfg(test)]
#[rustfmt::skip] // One-line tests, as data.
mod tests;

use serde_json::{Map, Value};

use crate::intrinsics::Call;
use crate::path::Path;
use crate::{Env, Failure};

/// A compiled payload template.
#[derive(Debug, Clone)]
pub struct Template {
    root: Node,
}

#[derive(Debug, Clone)]
enum Node {
    /// A subtree with no `.$` keys, copied as is.
    Const(Value),
    /// An object with at least one dynamic member somewhere below.
    Object(Vec<(String, Node)>),
    /// An array with at least one dynamic element somewhere below.
    Array(Vec<Node>),
    /// `"key.$": "$…"`; `field` is the key as written, for the error message.
    Path { path: Path, field: String },
    /// `"key.$": "States.…(…)"`.
    Call(Box<Call>),
}

impl Template {
    /// Compiles a template. `Err` lists each problem as (JSON pointer relative to the template, message).
    pub fn compile(value: &Value) -> Result<Template, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let mut pointer = String::new();
        let root = compile(value, &mut pointer, &mut errors);
        if errors.is_empty() {
            Ok(Template { root })
        } else {
            Err(errors)
        }
    }

    /// The top-level member `key` when it is written as a constant (not `key.$`), as the graph names what a Task
    /// calls.
    pub fn constant_member(&self, key: &str) -> Option<&Value> {
        match &self.root {
            Node::Const(Value::Object(map)) => map.get(key),
            Node::Object(members) => members.iter().find(|(name, _)| name == key).and_then(|(_, node)| match node {
                Node::Const(value) => Some(value),
                _ => None,
            }),
            _ => None,
        }
    }

    /// Whether the template has no `.$` field anywhere, so that evaluating it always gives the same value.
    pub fn is_constant(&self) -> bool {
        matches!(self.root, Node::Const(_))
    }

    /// Evaluates the template against `env`.
    ///
    /// A definite path that does not resolve fails with `States.Runtime` and AWS's cause, `The JSONPath '$.x'
    /// specified for the field 'x.$' could not be found in the input '<state input as compact JSON>'`; intrinsic
    /// function failures pass through unchanged.
    pub fn evaluate(&self, env: &Env) -> Result<Value, Failure> {
        evaluate(&self.root, env)
    }
}

fn compile(value: &Value, pointer: &mut String, errors: &mut Vec<(String, String)>) -> Node {
    match value {
        Value::Object(map) => {
            let mut members = Vec::with_capacity(map.len());
            let mut dynamic = false;
            for (key, member) in map {
                let len = pointer.len();
                push_pointer_token(pointer, key);
                let node = match key.strip_suffix(".$") {
                    Some(name) => {
                        dynamic = true;
                        let node = compile_dynamic(key, member, pointer, errors);
                        (name.to_owned(), node)
                    }
                    None => {
                        let node = compile(member, pointer, errors);
                        dynamic |= !matches!(node, Node::Const(_));
                        (key.clone(), node)
                    }
                };
                members.push(node);
                pointer.truncate(len);
            }
            if dynamic {
                Node::Object(members)
            } else {
                Node::Const(value.clone())
            }
        }
        Value::Array(items) => {
            let mut nodes = Vec::with_capacity(items.len());
            let mut dynamic = false;
            for (k, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&k.to_string());
                let node = compile(item, pointer, errors);
                dynamic |= !matches!(node, Node::Const(_));
                nodes.push(node);
                pointer.truncate(len);
            }
            if dynamic {
                Node::Array(nodes)
            } else {
                Node::Const(value.clone())
            }
        }
        other => Node::Const(other.clone()),
    }
}

fn compile_dynamic(key: &str, value: &Value, pointer: &str, errors: &mut Vec<(String, String)>) -> Node {
    let Value::String(text) = value else {
        errors.push((
            pointer.to_owned(),
            format!("the value of field '{key}' must be a string holding a path or an intrinsic function call"),
        ));
        return Node::Const(Value::Null);
    };
    // Jayway trims a path before compiling it; Baton reads blanks around one as AWS accepts them (a guess for
    // leading ones, which no recorded definition has).
    let result = if text.trim_start().starts_with('$') {
        Path::parse(text).map(|path| Node::Path {
            path,
            field: key.to_owned(),
        })
    } else if Call::looks_like_call(text) {
        Call::parse(text).map(|call| Node::Call(Box::new(call)))
    } else {
        Err(format!(
            "the value of field '{key}' must be a path (starting with '$') or an intrinsic function call, got '{text}'"
        ))
    };
    result.unwrap_or_else(|message| {
        errors.push((pointer.to_owned(), message));
        Node::Const(Value::Null)
    })
}

/// Appends `/token` with JSON Pointer escaping (`~` → `~0`, `/` → `~1`).
fn push_pointer_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            _ => pointer.push(c),
        }
    }
}

fn evaluate(node: &Node, env: &Env) -> Result<Value, Failure> {
    match node {
        Node::Const(value) => Ok(value.clone()),
        Node::Object(members) => {
            let mut map = Map::with_capacity(members.len());
            for (key, member) in members {
                map.insert(key.clone(), evaluate(member, env)?);
            }
            Ok(Value::Object(map))
        }
        Node::Array(items) => items
            .iter()
            .map(|item| evaluate(item, env))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Node::Path { path, field } => match path.select_ref(env) {
            Ok(value) => Ok(value.into_owned()),
            Err(_) => Err(Failure::runtime(format!(
                "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                path.as_str(),
                serde_json::to_string(env.input).unwrap_or_default()
            ))),
        },
        Node::Call(call) => call.evaluate(env),
    }
}
