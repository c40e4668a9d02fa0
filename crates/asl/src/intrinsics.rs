//! The 18 intrinsic functions (`States.Format`, `States.StringToJson`, …) of JSONPath mode.
//!
//! `Call::parse` turns `States.Name(arg, …)` into a tree once (arguments are single-quoted string literals, numbers,
//! `true`/`false`/`null`, paths rooted at `$`, `$$` or `$var`, and nested calls, at most 10 deep) and checks the
//! function name and arity. `Call::evaluate` checks argument types and values at run time and reports every
//! problem as `States.IntrinsicFailure`. Randomness (`States.UUID`, unseeded `States.MathRandom`) comes from
//! `Env::random`; this module never reads real entropy.

#[cfg(test)]
#[rustfmt::skip] // One-line tests, as data.
mod tests;

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::Md5;
use serde_json::{Map, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::path::Path;
use crate::{Env, Failure};

/// How deeply calls may nest, counting the outermost one.
pub const MAX_DEPTH: usize = 10;

/// The longest string `States.Base64Encode`, `States.Base64Decode` and `States.Hash` accept, in characters.
pub const MAX_STRING_CHARS: usize = 10_000;

/// The most elements `States.ArrayRange` may produce.
pub const MAX_RANGE_ELEMENTS: usize = 1_000;

/// A parsed intrinsic function call, possibly nested.
#[derive(Debug, Clone)]
pub struct Call {
    function: Function,
    args: Vec<Arg>,
    /// `States.Format` with a literal template: the template split at its `{}` placeholders, escapes resolved.
    format: Option<Vec<String>>,
}

/// The intrinsic functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

#[derive(Debug, Clone)]
enum Arg {
    /// A string literal: its value and its text between the quotes as written (for `States.Format` escapes).
    Str {
        value: Value,
        raw: String,
    },
    /// A number, `true`, `false` or `null`.
    Literal(Value),
    Path(Path),
    Call(Box<Call>),
}

impl Function {
    /// The function named `States.<name>`.
    pub fn from_name(name: &str) -> Option<Function> {
        Some(match name {
            "States.Format" => Function::Format,
            "States.StringToJson" => Function::StringToJson,
            "States.JsonToString" => Function::JsonToString,
            "States.Array" => Function::Array,
            "States.ArrayPartition" => Function::ArrayPartition,
            "States.ArrayContains" => Function::ArrayContains,
            "States.ArrayRange" => Function::ArrayRange,
            "States.ArrayGetItem" => Function::ArrayGetItem,
            "States.ArrayLength" => Function::ArrayLength,
            "States.ArrayUnique" => Function::ArrayUnique,
            "States.Base64Encode" => Function::Base64Encode,
            "States.Base64Decode" => Function::Base64Decode,
            "States.Hash" => Function::Hash,
            "States.JsonMerge" => Function::JsonMerge,
            "States.MathRandom" => Function::MathRandom,
            "States.MathAdd" => Function::MathAdd,
            "States.StringSplit" => Function::StringSplit,
            "States.UUID" => Function::Uuid,
            _ => return None,
        })
    }

    /// The name as written, `States.Format`.
    pub fn name(self) -> &'static str {
        match self {
            Function::Format => "States.Format",
            Function::StringToJson => "States.StringToJson",
            Function::JsonToString => "States.JsonToString",
            Function::Array => "States.Array",
            Function::ArrayPartition => "States.ArrayPartition",
            Function::ArrayContains => "States.ArrayContains",
            Function::ArrayRange => "States.ArrayRange",
            Function::ArrayGetItem => "States.ArrayGetItem",
            Function::ArrayLength => "States.ArrayLength",
            Function::ArrayUnique => "States.ArrayUnique",
            Function::Base64Encode => "States.Base64Encode",
            Function::Base64Decode => "States.Base64Decode",
            Function::Hash => "States.Hash",
            Function::JsonMerge => "States.JsonMerge",
            Function::MathRandom => "States.MathRandom",
            Function::MathAdd => "States.MathAdd",
            Function::StringSplit => "States.StringSplit",
            Function::Uuid => "States.UUID",
        }
    }

    /// The least and most number of arguments.
    fn arity(self) -> (usize, usize) {
        match self {
            Function::Format => (1, usize::MAX),
            Function::Array => (0, usize::MAX),
            Function::Uuid => (0, 0),
            Function::StringToJson
            | Function::JsonToString
            | Function::ArrayLength
            | Function::ArrayUnique
            | Function::Base64Encode
            | Function::Base64Decode => (1, 1),
            Function::ArrayPartition
            | Function::ArrayContains
            | Function::ArrayGetItem
            | Function::Hash
            | Function::MathAdd
            | Function::StringSplit => (2, 2),
            Function::ArrayRange | Function::JsonMerge => (3, 3),
            Function::MathRandom => (2, 3),
        }
    }
}

impl Call {
    /// Parses `States.Name(arg, …)`.
    pub fn parse(text: &str) -> Result<Call, String> {
        let mut parser = Parser { text, pos: 0 };
        parser.skip_ws();
        let call = parser.call(1)?;
        parser.skip_ws();
        if parser.pos < text.len() {
            return Err(format!(
                "unexpected text after the intrinsic function call at position {}",
                parser.pos
            ));
        }
        Ok(call)
    }

    /// Whether `text` looks like an intrinsic function call rather than a path (it starts with `States.`).
    pub fn looks_like_call(text: &str) -> bool {
        text.trim_start().starts_with("States.")
    }

    /// The function called at the top.
    pub fn function(&self) -> Function {
        self.function
    }

    /// Evaluates the call against `env`.
    pub fn evaluate(&self, env: &Env) -> Result<Value, Failure> {
        let mut args = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            args.push(match arg {
                Arg::Str { value, .. } | Arg::Literal(value) => value.clone(),
                Arg::Path(path) => path
                    .select(env)
                    .map_err(|e| Failure::runtime(format!("Invalid path '{}' : {e}", path.as_str())))?,
                Arg::Call(call) => call.evaluate(env)?,
            });
        }
        let f = self.function;
        match f {
            Function::Format => format(self.format.as_deref(), &args),
            Function::StringToJson => string_to_json(&args),
            Function::JsonToString => {
                let value = arg(f, &args, 0)?;
                serde_json::to_string(value)
                    .map(Value::String)
                    .map_err(|e| fail(f, e.to_string()))
            }
            Function::Array => Ok(Value::Array(args)),
            Function::ArrayPartition => array_partition(&args),
            Function::ArrayContains => {
                let items = array_arg(f, &args, 0)?;
                let needle = arg(f, &args, 1)?;
                Ok(Value::Bool(items.contains(needle)))
            }
            Function::ArrayRange => array_range(&args),
            Function::ArrayGetItem => array_get_item(&args),
            Function::ArrayLength => Ok(Value::from(array_arg(f, &args, 0)?.len())),
            Function::ArrayUnique => {
                let items = array_arg(f, &args, 0)?;
                let mut unique: Vec<Value> = Vec::with_capacity(items.len());
                for item in items {
                    if !unique.contains(item) {
                        unique.push(item.clone());
                    }
                }
                Ok(Value::Array(unique))
            }
            Function::Base64Encode => {
                let s = bounded_string_arg(f, &args, 0)?;
                Ok(Value::String(BASE64.encode(s)))
            }
            Function::Base64Decode => {
                let s = bounded_string_arg(f, &args, 0)?;
                let bytes = BASE64
                    .decode(s)
                    .map_err(|e| fail(f, format!("the input is not valid base64: {e}")))?;
                String::from_utf8(bytes)
                    .map(Value::String)
                    .map_err(|_| fail(f, "the decoded data is not valid UTF-8".to_owned()))
            }
            Function::Hash => hash(&args),
            Function::JsonMerge => json_merge(&args),
            Function::MathRandom => math_random(&args, env),
            Function::MathAdd => {
                let a = rounded_int_arg(f, &args, 0)?;
                let b = rounded_int_arg(f, &args, 1)?;
                a.checked_add(b)
                    .map(Value::from)
                    .ok_or_else(|| fail(f, "the sum overflows".to_owned()))
            }
            Function::StringSplit => {
                let s = string_arg(f, &args, 0)?;
                let delimiters = string_arg(f, &args, 1)?;
                // Java's StringTokenizer: every character of the second argument separates; empty tokens vanish.
                let parts = s
                    .split(|c| delimiters.contains(c))
                    .filter(|part| !part.is_empty())
                    .map(|part| Value::String(part.to_owned()))
                    .collect();
                Ok(Value::Array(parts))
            }
            Function::Uuid => Ok(Value::String(uuid((env.random)(), (env.random)()))),
        }
    }
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
}

impl<'t> Parser<'t> {
    fn rest(&self) -> &'t str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            match self.peek() {
                Some(found) => Err(format!("expected '{c}' at position {} but found '{found}'", self.pos)),
                None => Err(format!("expected '{c}' at position {} but the text ended", self.pos)),
            }
        }
    }

    /// `States.Name(args)` at nesting depth `depth` (the outermost call is 1).
    fn call(&mut self, depth: usize) -> Result<Call, String> {
        if depth > MAX_DEPTH {
            return Err(format!("intrinsic functions can be nested at most {MAX_DEPTH} deep"));
        }
        let rest = self.rest();
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .unwrap_or(rest.len());
        let name = rest.get(..end).unwrap_or("");
        let Some(function) = Function::from_name(name) else {
            return Err(format!("unknown intrinsic function '{name}'"));
        };
        self.pos += end;
        self.skip_ws();
        self.expect('(')?;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                args.push(self.arg(depth)?);
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    Some(c) => return Err(format!("expected ',' or ')' at position {} but found '{c}'", self.pos)),
                    None => return Err(format!("unclosed argument list of {}", function.name())),
                }
            }
        }
        let (min, max) = function.arity();
        if args.len() < min || args.len() > max {
            let wanted = match (min, max) {
                (min, usize::MAX) => format!("at least {min}"),
                (min, max) if min == max => format!("{min}"),
                (min, max) => format!("{min} to {max}"),
            };
            return Err(format!(
                "{} takes {wanted} argument(s) but was given {}",
                function.name(),
                args.len()
            ));
        }
        let format = match (function, args.first()) {
            (Function::Format, Some(Arg::Str { raw, .. })) => Some(split_format_literal(raw)),
            _ => None,
        };
        Ok(Call { function, args, format })
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, String> {
        let rest = self.rest();
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => {
                let len = path_len(rest);
                let text = rest.get(..len).unwrap_or("").trim_end();
                self.pos += len;
                Path::parse(text).map(Arg::Path)
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let len = rest
                    .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
                    .unwrap_or(rest.len());
                let text = rest.get(..len).unwrap_or("");
                self.pos += len;
                match serde_json::from_str::<serde_json::Number>(text) {
                    Ok(n) => Ok(Arg::Literal(Value::Number(n))),
                    Err(_) => Err(format!("invalid number '{text}'")),
                }
            }
            Some(_) if rest.starts_with("States.") => Ok(Arg::Call(Box::new(self.call(depth + 1)?))),
            Some(_) => {
                let len = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
                let word = rest.get(..len).unwrap_or("");
                let value = match word {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => {
                        let shown: String = rest.chars().take(20).collect();
                        return Err(format!("invalid argument at position {}: '{shown}'", self.pos));
                    }
                };
                self.pos += len;
                Ok(Arg::Literal(value))
            }
            None => Err("expected an argument but the text ended".to_owned()),
        }
    }

    /// A single-quoted string literal; `\'`, `\{`, `\}` and `\\` stand for the character after the backslash, and
    /// any other backslash is kept, so that `'{"a":"\"q\""}'` stays valid JSON text.
    fn string(&mut self) -> Result<Arg, String> {
        let start = self.pos;
        self.pos += 1;
        let body = self.rest();
        let mut value = String::new();
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            if escaped {
                if !is_escapable(c) {
                    value.push('\\');
                }
                value.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '\'' {
                let raw = body.get(..i).unwrap_or("").to_owned();
                self.pos += i + 1;
                return Ok(Arg::Str {
                    value: Value::String(value),
                    raw,
                });
            } else {
                value.push(c);
            }
        }
        Err(format!("unclosed string literal starting at position {start}"))
    }
}

/// The length of the path at the start of `text`: up to a `,` or `)` outside brackets and quotes.
fn path_len(text: &str) -> usize {
    let mut depth = 0usize;
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' if depth > 0 => quote = Some(c),
            '[' | '(' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ')' if depth == 0 => return i,
            ')' => depth -= 1,
            ',' if depth == 0 => return i,
            _ => {}
        }
    }
    text.len()
}

/// Whether `\c` in a string literal stands for `c`.
fn is_escapable(c: char) -> bool {
    matches!(c, '\'' | '{' | '}' | '\\')
}

/// Splits a literal `States.Format` template (as written between the quotes) at its `{}` placeholders, resolving
/// escapes as string literals do; an escaped brace is never a placeholder.
fn split_format_literal(raw: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && let Some(piece) = pieces.last_mut()
                {
                    if !is_escapable(next) {
                        piece.push('\\');
                    }
                    piece.push(next);
                }
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                pieces.push(String::new());
            }
            _ => {
                if let Some(piece) = pieces.last_mut() {
                    piece.push(c);
                }
            }
        }
    }
    pieces
}

/// Splits a template that came from a path at its `{}` placeholders; no escapes.
fn split_format_value(template: &str) -> Vec<String> {
    template.split("{}").map(str::to_owned).collect()
}

fn format(literal: Option<&[String]>, args: &[Value]) -> Result<Value, Failure> {
    let f = Function::Format;
    let computed;
    let pieces = match literal {
        Some(pieces) => pieces,
        None => {
            computed = split_format_value(string_arg(f, args, 0)?);
            &computed
        }
    };
    let values = args.get(1..).unwrap_or(&[]);
    let holes = pieces.len().saturating_sub(1);
    if holes != values.len() {
        return Err(fail(
            f,
            format!(
                "the template has {holes} placeholder(s) but {} value(s) were given",
                values.len()
            ),
        ));
    }
    let mut out = String::new();
    for (k, piece) in pieces.iter().enumerate() {
        out.push_str(piece);
        if let Some(value) = values.get(k) {
            push_java_string(&mut out, value);
        }
    }
    Ok(Value::String(out))
}

/// Appends `value` as Java's `toString` renders the parsed JSON: strings bare, `{k=v, …}`, `[a, …]`.
fn push_java_string(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                let _ = write!(out, "{i}");
            }
            (None, Some(u), _) => {
                let _ = write!(out, "{u}");
            }
            (None, None, Some(f)) => out.push_str(&java_double(f)),
            (None, None, None) => out.push_str(&n.to_string()),
        },
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                push_java_string(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (k, (key, item)) in map.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                push_java_string(out, item);
            }
            out.push('}');
        }
    }
}

/// Java's `Double.toString`: plain notation with at least one fractional digit for 1e-3 <= |x| < 1e7, otherwise
/// `d.dddE±n`; the digits are the shortest that round-trip.
pub fn java_double(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".to_owned()
        } else {
            "0.0".to_owned()
        };
    }
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".to_owned()
        } else if x > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    // `{:e}` gives the shortest round-trip digits: `-1.234e-5`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    let abs = x.abs();
    if (1e-3..1e7).contains(&abs) {
        let point = exponent + 1; // digits before the decimal point
        let (int_part, frac_part) = if point <= 0 {
            let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
            ("0".to_owned(), format!("{zeros}{digits}"))
        } else {
            let point = usize::try_from(point).unwrap_or(0);
            if digits.len() <= point {
                (format!("{digits}{}", "0".repeat(point - digits.len())), String::new())
            } else {
                (
                    digits.get(..point).unwrap_or("").to_owned(),
                    digits.get(point..).unwrap_or("").to_owned(),
                )
            }
        };
        let frac_part = if frac_part.is_empty() {
            "0".to_owned()
        } else {
            frac_part
        };
        format!("{sign}{int_part}.{frac_part}")
    } else {
        let first = digits.get(..1).unwrap_or("0");
        let rest = digits.get(1..).unwrap_or("");
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{exponent}")
    }
}

fn string_to_json(args: &[Value]) -> Result<Value, Failure> {
    let f = Function::StringToJson;
    let s = string_arg(f, args, 0)?;
    if s.trim().is_empty() {
        return Ok(Value::Null);
    }
    let value: Value =
        serde_json::from_str(s).map_err(|e| fail(f, format!("the argument is not valid JSON text: {e}")))?;
    // Jackson reads `-0` as the integer 0; serde_json reads it as the float -0.0.
    Ok(if s.trim() == "-0" { Value::from(0) } else { value })
}

fn array_partition(args: &[Value]) -> Result<Value, Failure> {
    let f = Function::ArrayPartition;
    let items = array_arg(f, args, 0)?;
    let size = int_arg(f, args, 1)?;
    let size = usize::try_from(size)
        .ok()
        .filter(|size| *size > 0)
        .ok_or_else(|| fail(f, format!("the chunk size must be a positive integer, got {size}")))?;
    Ok(Value::Array(
        items.chunks(size).map(|chunk| Value::Array(chunk.to_vec())).collect(),
    ))
}

fn array_range(args: &[Value]) -> Result<Value, Failure> {
    let f = Function::ArrayRange;
    let start = int_arg(f, args, 0)?;
    let end = int_arg(f, args, 1)?;
    let step = int_arg(f, args, 2)?;
    if step == 0 {
        return Err(fail(f, "the step must not be 0".to_owned()));
    }
    let span = i128::from(end) - i128::from(start);
    let count = if (span >= 0) == (step > 0) {
        span / i128::from(step) + 1
    } else {
        0
    };
    if count > MAX_RANGE_ELEMENTS as i128 {
        return Err(fail(
            f,
            format!("the range would have {count} elements; at most {MAX_RANGE_ELEMENTS} are allowed"),
        ));
    }
    let mut out = Vec::new();
    let mut k = i128::from(start);
    for _ in 0..count {
        out.push(Value::from(i64::try_from(k).unwrap_or(i64::MAX)));
        k += i128::from(step);
    }
    Ok(Value::Array(out))
}

fn array_get_item(args: &[Value]) -> Result<Value, Failure> {
    let f = Function::ArrayGetItem;
    let items = array_arg(f, args, 0)?;
    let index = int_arg(f, args, 1)?;
    usize::try_from(index)
        .ok()
        .and_then(|i| items.get(i))
        .cloned()
        .ok_or_else(|| {
            fail(
                f,
                format!("index {index} is out of bounds for an array of length {}", items.len()),
            )
        })
}

fn hash(args: &[Value]) -> Result<Value, Failure> {
    let f = Function::Hash;
    let data = bounded_string_arg(f, args, 0)?.as_bytes();
    let algorithm = string_arg(f, args, 1)?;
    let digest: Vec<u8> = match algorithm {
        "MD5" => Md5::digest(data).to_vec(),
        "SHA-1" => Sha1::digest(data).to_vec(),
        "SHA-256" => Sha256::digest(data).to_vec(),
        "SHA-384" => Sha384::digest(data).to_vec(),
        "SHA-512" => Sha512::digest(data).to_vec(),
        other => {
            return Err(fail(
                f,
                format!("unsupported hash algorithm '{other}'; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"),
            ));
        }
    };
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    Ok(Value::String(hex))
}

fn json_merge(args: &[Value]) -> Result<Value, Failure> {
    let f = Function::JsonMerge;
    let first = object_arg(f, args, 0)?;
    let second = object_arg(f, args, 1)?;
    match arg(f, args, 2)? {
        Value::Bool(false) => {}
        Value::Bool(true) => {
            return Err(fail(
                f,
                "deep merge is not supported; the third argument must be false".to_owned(),
            ));
        }
        other => return Err(type_error(f, 2, "a boolean", other)),
    }
    let mut merged: Map<String, Value> = first.clone();
    for (key, value) in second {
        merged.insert(key.clone(), value.clone());
    }
    Ok(Value::Object(merged))
}

fn math_random(args: &[Value], env: &Env) -> Result<Value, Failure> {
    let f = Function::MathRandom;
    let start = rounded_int_arg(f, args, 0)?;
    let end = rounded_int_arg(f, args, 1)?;
    if start >= end {
        return Err(fail(f, format!("the start {start} must be less than the end {end}")));
    }
    let span = u64::try_from(i128::from(end) - i128::from(start)).unwrap_or(u64::MAX);
    let offset = match args.get(2) {
        Some(_) => {
            let seed = rounded_int_arg(f, args, 2)?;
            let bound =
                i32::try_from(span).map_err(|_| fail(f, "the range is too large for a seeded call".to_owned()))?;
            u64::try_from(JavaRandom::new(seed).next_int(bound)).unwrap_or(0)
        }
        None => (env.random)() % span,
    };
    let value = i128::from(start) + i128::from(offset);
    Ok(Value::from(i64::try_from(value).unwrap_or(end)))
}

/// `java.util.Random`, so that a seeded `States.MathRandom` gives what a JVM would.
struct JavaRandom {
    seed: i64,
}

impl JavaRandom {
    const MULTIPLIER: i64 = 0x5DEE_CE66D;
    const MASK: i64 = (1 << 48) - 1;

    fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            seed: (seed ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        // Truncation to 32 bits is Java's `(int)` cast.
        (self.seed >> (48 - bits)) as i32
    }

    /// `nextInt(bound)` for `bound > 0`.
    fn next_int(&mut self, bound: i32) -> i32 {
        let mut r = self.next(31);
        let m = bound.wrapping_sub(1);
        if bound & m == 0 {
            return ((i64::from(bound) * i64::from(r)) >> 31) as i32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r;
            }
            u = self.next(31);
        }
    }
}

/// A version 4 UUID from 128 random bits.
fn uuid(high: u64, low: u64) -> String {
    let high = (high & !0xF000) | 0x4000; // version 4
    let low = (low & !(0b11 << 62)) | (0b10 << 62); // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xFFFF,
        high & 0xFFFF,
        low >> 48,
        low & 0xFFFF_FFFF_FFFF
    )
}

fn fail(f: Function, message: String) -> Failure {
    Failure::intrinsic(format!("Invalid arguments in {}: {message}", f.name()))
}

fn type_error(f: Function, index: usize, wanted: &str, found: &Value) -> Failure {
    let shown = serde_json::to_string(found).unwrap_or_default();
    fail(f, format!("argument {} must be {wanted}, got {shown}", index + 1))
}

fn arg(f: Function, args: &[Value], index: usize) -> Result<&Value, Failure> {
    args.get(index)
        .ok_or_else(|| fail(f, format!("argument {} is missing", index + 1)))
}

fn string_arg(f: Function, args: &[Value], index: usize) -> Result<&str, Failure> {
    match arg(f, args, index)? {
        Value::String(s) => Ok(s),
        other => Err(type_error(f, index, "a string", other)),
    }
}

fn bounded_string_arg(f: Function, args: &[Value], index: usize) -> Result<&str, Failure> {
    let s = string_arg(f, args, index)?;
    let chars = s.chars().count();
    if chars > MAX_STRING_CHARS {
        return Err(fail(
            f,
            format!("the input has {chars} characters; at most {MAX_STRING_CHARS} are allowed"),
        ));
    }
    Ok(s)
}

fn array_arg(f: Function, args: &[Value], index: usize) -> Result<&Vec<Value>, Failure> {
    match arg(f, args, index)? {
        Value::Array(items) => Ok(items),
        other => Err(type_error(f, index, "an array", other)),
    }
}

fn object_arg(f: Function, args: &[Value], index: usize) -> Result<&Map<String, Value>, Failure> {
    match arg(f, args, index)? {
        Value::Object(map) => Ok(map),
        other => Err(type_error(f, index, "an object", other)),
    }
}

/// An integer argument; a float with no fractional part counts.
fn int_arg(f: Function, args: &[Value], index: usize) -> Result<i64, Failure> {
    let value = arg(f, args, index)?;
    let int = match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|x| x.fract() == 0.0 && x.abs() < 9.2e18)
                .map(|x| x as i64)
        }),
        _ => None,
    };
    int.ok_or_else(|| type_error(f, index, "an integer", value))
}

/// A number argument rounded half up, as Java's `Math.round` does (`-0.5` → `0`, `1.5` → `2`).
fn rounded_int_arg(f: Function, args: &[Value], index: usize) -> Result<i64, Failure> {
    let value = arg(f, args, index)?;
    let int = match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(i),
            None => n
                .as_f64()
                .map(|x| (x + 0.5).floor())
                .filter(|x| x.abs() < 9.2e18)
                .map(|x| x as i64),
        },
        _ => None,
    };
    int.ok_or_else(|| type_error(f, index, "a number", value))
}
