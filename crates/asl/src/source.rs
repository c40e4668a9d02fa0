//! Loading definition text (JSON or YAML) into a JSON value, and finding a JSON Pointer's line and column in it.
//!
//! `load` picks the syntax from the first non-blank character: `{` means JSON (parsed by `serde_json`, as strict as
//! AWS), anything else YAML (parsed by `serde-saphyr` straight into `serde_json::Value`). YAML is read with the
//! YAML 1.2 core schema for booleans (`yes`/`on` stay strings), duplicate keys are an error, anchors, aliases and
//! `<<` merge keys are expanded, and tags are dropped (`!Ref x` is the string `x`: CloudFormation intrinsics are not
//! evaluated). In both syntaxes integers within `i64`/`u64` stay integers; beyond that they become floats, as
//! `serde_json` without `arbitrary_precision` has no other choice. A repeated key in a JSON object is an error too,
//! as in YAML, reported at the repeated key's JSON Pointer.
//!
//! `locate` maps a JSON Pointer back to a 1-based line and column (counted in characters) so diagnostics can say
//! `file:line:col`. It points at the key of an object member and at the first character of an array element or of
//! the root. JSON is scanned by a small tolerant scanner; YAML by walking `granit-parser`'s events (the parser
//! `serde-saphyr` uses), so block and flow styles, quoting and comments all work. Limits, YAML only: a pointer
//! into a collection reached through an alias (`*name`) finds the alias itself; a key brought in by a `<<` merge is
//! not found; only the first document is searched.
//!
//! `to_yaml` and `to_yaml_keeping` (module `write`) go the other way: a value as block-style YAML for a person to
//! edit, the second keeping the comments of the text the value replaces (the console's design view rewrites the code
//! view with it). What they write always loads back as the same value.
//!
//! This module does no I/O: the caller reads the file.

#[cfg(test)]
#[rustfmt::skip] // One-line tests, as data.
mod tests;
mod write;

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
/// The JSON value `load` gives (`serde_json`'s), for callers that read a definition that validation refused.
pub use serde_json::Value;
use serde_saphyr::MessageFormatter as _;
use serde_saphyr::granit_parser::{Event, Parser};

use crate::Diagnostic;
use crate::diagnostic::{SYNTAX, escape};

pub use write::{to_yaml, to_yaml_keeping};

/// AWS's code for a definition that is empty.
pub const EMPTY: &str = "MISSING_DESCRIPTION";

/// The syntax a definition was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

/// Parses `text` as JSON when its first non-blank character is `{`, as YAML otherwise.
///
/// A syntax error is a `Diagnostic` at the root pointer with code `INVALID_JSON_DESCRIPTION` (AWS's code, used for
/// YAML too) and the error's position; empty text is `MISSING_DESCRIPTION`. A leading byte-order mark is ignored.
pub fn load(text: &str) -> Result<(Value, Format), Diagnostic> {
    let text = strip_bom(text);
    match text.trim_start().chars().next() {
        None => Err(Diagnostic::new("", EMPTY, "the definition is empty")),
        Some('{') => load_json(text).map(|value| (value, Format::Json)),
        Some(_) => load_yaml(text).map(|value| (value, Format::Yaml)),
    }
}

/// The 1-based (line, column) where the value at `pointer` starts in `text`, if it can be found: the key's position
/// for an object member, the value's for an array element or the root (`""`). Columns count characters.
pub fn locate(text: &str, format: Format, pointer: &str) -> Option<(usize, usize)> {
    let text = strip_bom(text);
    let tokens = pointer_tokens(pointer)?;
    match format {
        Format::Json => locate_json(text, &tokens).map(|offset| line_column(text, offset)),
        Format::Yaml => locate_yaml(text, &tokens),
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn load_json(text: &str) -> Result<Value, Diagnostic> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let loaded = Checked { duplicate: &duplicate }.deserialize(&mut deserializer).and_then(|value| {
        deserializer.end()?;
        Ok(value)
    });
    loaded.map_err(|e| {
        let (line, byte_column) = (e.line(), e.column());
        let full = e.to_string();
        let message = full.strip_suffix(&format!(" at line {line} column {byte_column}")).unwrap_or(&full);
        // `serde_json` counts bytes; diagnostics count characters.
        let column = text
            .lines()
            .nth(line.saturating_sub(1))
            .map(|content| char_column(content, byte_column))
            .unwrap_or(byte_column);
        let pointer = match duplicate.into_inner() {
            Some(mut trail) => {
                trail.reverse();
                trail.iter().fold(String::new(), |pointer, token| format!("{pointer}/{}", escape(token)))
            }
            None => String::new(),
        };
        let position = match locate(text, Format::Json, &pointer) {
            Some(position) if !pointer.is_empty() => position,
            _ => (line.max(1), column.max(1)),
        };
        let mut diagnostic = Diagnostic::new(pointer, SYNTAX, format!("invalid JSON: {message}"));
        diagnostic.position = Some(position);
        diagnostic
    })
}

/// Builds a `Value` as `serde_json` does, but refuses a key that an object already has. On a duplicate, `duplicate`
/// receives the path to it, innermost token first: the duplicate key records itself, and each enclosing object or
/// array adds its own key or index as the error passes through it.
struct Checked<'a> {
    duplicate: &'a RefCell<Option<Vec<String>>>,
}

impl Checked<'_> {
    /// Adds `token` to the path of a duplicate found inside the value at `token`.
    fn enclose<'a, E>(&'a self, token: impl FnOnce() -> String + 'a) -> impl FnOnce(E) -> E + 'a {
        move |error| {
            if let Some(trail) = self.duplicate.borrow_mut().as_mut() {
                trail.push(token());
            }
            error
        }
    }
}

impl<'de> DeserializeSeed<'de> for Checked<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let index = items.len();
            let item = Checked { duplicate: self.duplicate };
            match seq.next_element_seed(item).map_err(self.enclose(|| index.to_string()))? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let message = format!("duplicate key `{key}`");
                *self.duplicate.borrow_mut() = Some(vec![key]);
                return Err(de::Error::custom(message));
            }
            let value = Checked { duplicate: self.duplicate };
            let value = map.next_value_seed(value).map_err(self.enclose(|| key.clone()))?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

fn load_yaml(text: &str) -> Result<Value, Diagnostic> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let inner = e.without_snippet();
        let message: String = serde_saphyr::UserMessageFormatter
            .format_message(inner)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut diagnostic = Diagnostic::new("", SYNTAX, format!("invalid YAML: {message}"));
        diagnostic.position = e
            .location()
            .and_then(|at| Some((usize::try_from(at.line()).ok()?, usize::try_from(at.column()).ok()?)))
            .filter(|&(line, column)| line > 0 && column > 0);
        diagnostic
    })
}

/// The 1-based character column of the byte column `byte_column` (1-based, as `serde_json` reports it) in `line`.
fn char_column(line: &str, byte_column: usize) -> usize {
    let mut end = byte_column.min(line.len());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    line.get(..end).map_or(byte_column, |before| before.chars().count())
}

/// The reference tokens of an RFC 6901 JSON Pointer, unescaped; `None` when it does not start with `/`.
fn pointer_tokens(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(rest.split('/').map(|token| token.replace("~1", "/").replace("~0", "~")).collect())
}

/// An array index token: `0` or a decimal without leading zeros.
fn array_index(token: &str) -> Option<usize> {
    if token.is_empty() || (token.len() > 1 && token.starts_with('0')) || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// 1-based line and character column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

// JSON: a tolerant scanner. It only needs to find where things start, so it skips values without checking them and
// gives up (`None`) where the text stops making sense.

fn locate_json(text: &str, tokens: &[String]) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = skip_whitespace(bytes, 0);
    bytes.get(at)?;
    let mut found = at;
    for token in tokens {
        match bytes.get(at)? {
            b'{' => {
                let (key, value) = find_member(text, at, token)?;
                found = key;
                at = value;
            }
            b'[' => {
                at = find_element(bytes, at, array_index(token)?)?;
                found = at;
            }
            _ => return None,
        }
    }
    Some(found)
}

/// The byte offsets of the key and the value of the member `name` of the object opening at `open`. With repeated
/// keys, the last one (the one `serde_json` keeps).
fn find_member(text: &str, open: usize, name: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut at = open + 1;
    let mut found = None;
    loop {
        at = skip_whitespace(bytes, at);
        if bytes.get(at) != Some(&b'"') {
            return found; // `}` or something broken: what was found so far is the answer.
        }
        let key_at = at;
        let Some((key, after_key)) = read_string(text, at) else { return found };
        at = skip_whitespace(bytes, after_key);
        if bytes.get(at) != Some(&b':') {
            return found;
        }
        at = skip_whitespace(bytes, at + 1);
        if key == name {
            found = Some((key_at, at));
        }
        let Some(after_value) = skip_value(bytes, at) else { return found };
        at = skip_whitespace(bytes, after_value);
        if bytes.get(at) != Some(&b',') {
            return found;
        }
        at += 1;
    }
}

/// The byte offset of element `index` of the array opening at `open`.
fn find_element(bytes: &[u8], open: usize, index: usize) -> Option<usize> {
    let mut at = open + 1;
    let mut current = 0;
    loop {
        at = skip_whitespace(bytes, at);
        if matches!(bytes.get(at), None | Some(b']')) {
            return None;
        }
        if current == index {
            return Some(at);
        }
        at = skip_whitespace(bytes, skip_value(bytes, at)?);
        if bytes.get(at) != Some(&b',') {
            return None;
        }
        at += 1;
        current += 1;
    }
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The offset just past the value starting at `at`.
fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    match bytes.get(at)? {
        b'"' => skip_string(bytes, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i = skip_string(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = at;
            while bytes.get(i).is_some_and(|b| !matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')) {
                i += 1;
            }
            (i > at).then_some(i)
        }
    }
}

/// The offset just past the string starting (at its opening quote) at `at`.
fn skip_string(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The decoded string starting (at its opening quote) at `at`, and the offset just past it.
fn read_string(text: &str, at: usize) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = at + 1;
    let mut run = i; // start of the current run of unescaped text
    loop {
        match bytes.get(i)? {
            b'"' => {
                out.push_str(text.get(run..i)?);
                return Some((out, i + 1));
            }
            b'\\' => {
                out.push_str(text.get(run..i)?);
                let escape = *bytes.get(i + 1)?;
                i += 2;
                match escape {
                    b'u' => {
                        let (c, next) = read_unicode_escape(text, i)?;
                        out.push(c);
                        i = next;
                    }
                    b'b' => out.push('\u{8}'),
                    b'f' => out.push('\u{c}'),
                    b'n' => out.push('\n'),
                    b'r' => out.push('\r'),
                    b't' => out.push('\t'),
                    other => out.push(char::from(other)), // `\"`, `\\`, `\/`, and tolerated nonsense
                }
                run = i;
            }
            _ => i += 1,
        }
    }
}

/// The character of the `\u` escape whose four hex digits start at `at` (joining a surrogate pair), and the offset
/// past it. A lone surrogate becomes U+FFFD.
fn read_unicode_escape(text: &str, at: usize) -> Option<(char, usize)> {
    let hex = |from: usize| text.get(from..from + 4).and_then(|digits| u32::from_str_radix(digits, 16).ok());
    let unit = hex(at)?;
    let mut next = at + 4;
    if (0xD800..0xDC00).contains(&unit)
        && text.get(next..next + 2) == Some("\\u")
        && let Some(low) = hex(next + 2).filter(|low| (0xDC00..0xE000).contains(low))
    {
        next += 6;
        let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
        return Some((char::from_u32(c).unwrap_or('\u{fffd}'), next));
    }
    Some((char::from_u32(unit).unwrap_or('\u{fffd}'), next))
}

// YAML: walk the parser's events, tracking the path to each node.

/// A collection being walked.
struct Frame {
    mapping: bool,
    /// In a mapping: whether the next node is a key.
    expecting_key: bool,
    /// In a mapping: the key of the value about to come (`None` for a key that is not a scalar).
    key: Option<String>,
    /// In a sequence: the index of the next element.
    index: usize,
    /// Whether entering this collection pushed a segment onto the path (everything but the root).
    pushed: bool,
}

/// Where a node sits relative to its parent.
enum Role {
    Root,
    Key,
    /// A mapping value or sequence element, with its path segment (`None` when unmatchable).
    Child(Option<String>),
}

fn locate_yaml(text: &str, tokens: &[String]) -> Option<(usize, usize)> {
    let mut frames: Vec<Frame> = Vec::new();
    // Path to the innermost collection that pushed a segment; `None` segments never match.
    let mut path: Vec<Option<String>> = Vec::new();
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        let position = (span.start.line(), span.start.col() + 1);
        let (collection, scalar) = match &event {
            Event::MappingStart(..) => (Some(true), None),
            Event::SequenceStart(..) => (Some(false), None),
            Event::Scalar(value, ..) => (None, Some(value.as_ref())),
            Event::Alias(_) => (None, None),
            Event::MappingEnd | Event::SequenceEnd => {
                if frames.pop().is_some_and(|frame| frame.pushed) {
                    path.pop();
                }
                continue;
            }
            Event::DocumentEnd | Event::StreamEnd => return None,
            _ => continue, // stream and document starts, comments, anchors
        };
        let role = match frames.last_mut() {
            None => Role::Root,
            Some(frame) if frame.mapping && frame.expecting_key => {
                frame.expecting_key = false;
                frame.key = scalar.map(str::to_owned);
                Role::Key
            }
            Some(frame) if frame.mapping => {
                frame.expecting_key = true;
                Role::Child(frame.key.take())
            }
            Some(frame) => {
                frame.index += 1;
                Role::Child(Some((frame.index - 1).to_string()))
            }
        };
        // The segment entering this node adds to the path if it is a collection: `None` (never matches) for a
        // collection used as a key, nothing for the root.
        let segment = match role {
            Role::Root => {
                if tokens.is_empty() {
                    return Some(position);
                }
                None
            }
            Role::Key => {
                if scalar.is_some_and(|key| is_path(&path, Some(key), tokens)) {
                    return Some(position);
                }
                Some(None)
            }
            Role::Child(segment) => {
                // Mapping values were already found at their key; this finds sequence elements.
                if is_path(&path, segment.as_deref(), tokens) {
                    return Some(position);
                }
                if matches!(event, Event::Alias(_)) && is_prefix(&path, segment.as_deref(), tokens) {
                    return Some(position); // The value lives at the anchor; the alias is the best answer here.
                }
                Some(segment)
            }
        };
        if let Some(mapping) = collection {
            let pushed = segment.is_some();
            if let Some(segment) = segment {
                path.push(segment);
            }
            frames.push(Frame { mapping, expecting_key: mapping, key: None, index: 0, pushed });
        }
    }
    None
}

/// Whether `path` followed by `last` is exactly `tokens`.
fn is_path(path: &[Option<String>], last: Option<&str>, tokens: &[String]) -> bool {
    tokens.len() == path.len() + 1 && is_prefix(path, last, tokens)
}

/// Whether `path` followed by `last` is a prefix of `tokens`.
fn is_prefix(path: &[Option<String>], last: Option<&str>, tokens: &[String]) -> bool {
    tokens.len() > path.len()
        && path.iter().zip(tokens).all(|(segment, token)| segment.as_deref() == Some(token.as_str()))
        && tokens.get(path.len()).map(String::as_str) == last
}
