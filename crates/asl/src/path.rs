//! JSONPath as ASL uses it: reference paths (definite, writable) and queries (indefinite), rooted at `$`, `$$` or a
//! workflow variable.
//!
//! AWS evaluates JSONPath with Jayway, so this module follows Jayway where it differs from RFC 9535: a path made of
//! names and indexes only is *definite* and yields the bare value (or Jayway's "No results" / "Missing property"
//! error), anything else (`*`, `..`, filters, slices, unions) is a query that yields the array of all matches,
//! possibly empty. Definite paths are walked directly by our own parser; queries go to `serde_json_path` after
//! dot-names that RFC 9535 forbids (`$.my-key`, `$.a.1`) are rewritten into bracket form.
//!
//! The messages AWS records (`Missing property in path …`, `Multi properties can only be used as path leafs: …`) are
//! those of Jayway 2.1–2.2, and so are these quirks, all of which AWS accepts in a definition:
//! - Blanks around a path are ignored (`"$$.Execution.Name "`): Jayway trims the path before compiling it.
//! - A dot before a bracket is skipped (`$.[0]`, `$.[*]`, `$.['a','b']`).
//! - A bracket of several quoted names (`$['a','b']`) picks those members of an object into one new object (the ones
//!   the object has, in the order written), not a list of values as in RFC 9535. It must end the path; after a
//!   definite path the result is that object, after a query the array of one object per object selected. Jayway
//!   allows it nowhere else, and AWS fails the state when it meets one (`$['a','b'].v`).
//! - A filter compares with quoted strings, numbers, `true`, `false`, `null`, JSON, regexes and paths; an unquoted
//!   word (`[?(@.Name==Receipt)]`) is none of these, and Jayway's filter compiler fails on it. Jayway before 2.1
//!   compared such a word as a string, but AWS's Jayway is later (see above), so a definition with one is accepted
//!   and the path fails whenever it is evaluated.
//!
//! This module knows nothing about states or fields: callers wrap the messages into the `Failure` they need.

#[cfg(test)]
#[rustfmt::skip] // One-line tests, as data.
mod tests;

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use crate::Env;

/// Where a path starts: `$` (the state's input), `$$` (the Context object) or `$name` (a workflow variable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    Input,
    Context,
    Variable(String),
}

/// One step of a definite path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `['name']`.
    Name(String),
    /// `[n]`; negative counts from the end (Jayway accepts `[-1]` as definite).
    Index(i64),
}

/// A parsed path. Parse once at definition load time, evaluate many times.
#[derive(Debug, Clone)]
pub struct Path {
    text: String,
    root: Root,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// Names and indexes only, walked directly.
    Definite(Vec<Segment>),
    /// Anything else, evaluated by `serde_json_path` against the root value.
    Query(Box<JsonPath>),
    /// A path ending in Jayway's multi-property step, `…['a','b']`.
    Merge(Prefix, Vec<String>),
    /// Syntax AWS accepts in a definition but Jayway cannot evaluate: every evaluation fails with this message.
    Invalid(String),
}

/// What comes before a multi-property step.
#[derive(Debug, Clone)]
enum Prefix {
    Definite(Vec<Segment>),
    Query(Box<JsonPath>),
}

/// A path's text split at a bracket of several quoted names: `prefix['a','b']after`.
struct Multi<'a> {
    prefix: &'a str,
    names: Vec<String>,
    after: &'a str,
}

impl Path {
    /// Parses any path AWS accepts in InputPath, OutputPath, ItemsPath, `.$` template fields and intrinsic arguments.
    pub fn parse(text: &str) -> Result<Path, String> {
        let trimmed = text.trim();
        let (root, rest) = split_root(trimmed)?;
        let kind = match split_multi(rest) {
            None => kind(rest, text)?,
            Some(Multi { prefix, names, after }) => {
                let step = format!("[{}]", quoted(&names, ", "));
                match kind(prefix, text)? {
                    Kind::Invalid(message) => Kind::Invalid(message),
                    prefix_kind if !after.trim().is_empty() => {
                        let at = match &prefix_kind {
                            Kind::Definite(segments) => render(segments),
                            _ => format!("{}{prefix}", trimmed.get(..trimmed.len() - rest.len()).unwrap_or("$")),
                        };
                        Kind::Invalid(format!("Multi properties can only be used as path leafs: {at}{step}"))
                    }
                    Kind::Definite(segments) => Kind::Merge(Prefix::Definite(segments), names),
                    Kind::Query(query) => Kind::Merge(Prefix::Query(query), names),
                    // `split_multi` splits at the first multi-property step, so a prefix holds none.
                    Kind::Merge(..) => Kind::Invalid(format!("Multi properties can only be used as path leafs: {trimmed}")),
                }
            }
        };
        Ok(Path { text: text.to_owned(), root, kind })
    }

    /// Parses a reference path: a definite path (names and non-negative indexes only), as ResultPath, Choice
    /// `Variable` and the `…Path` fields require.
    pub fn parse_reference(text: &str) -> Result<Path, String> {
        let (root, rest) = split_root(text.trim())?;
        match parse_segments(rest) {
            Ok(segments) => {
                if segments.iter().any(|s| matches!(s, Segment::Index(i) if *i < 0)) {
                    return Err(format!(
                        "invalid reference path '{text}': negative indexes are not allowed"
                    ));
                }
                Ok(Path {
                    text: text.to_owned(),
                    root,
                    kind: Kind::Definite(segments),
                })
            }
            Err(Stop::Indefinite) => Err(format!(
                "invalid reference path '{text}': a reference path must identify a single node \
                 (no '*', '..', filters, slices or unions)"
            )),
            Err(Stop::Invalid(why)) => Err(format!("invalid reference path '{text}': {why}")),
        }
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the path is definite (yields one value) rather than a query (yields an array of matches).
    pub fn is_definite(&self) -> bool {
        matches!(self.kind, Kind::Definite(_) | Kind::Merge(Prefix::Definite(_), _))
    }

    /// Where the path starts.
    pub fn root(&self) -> Root {
        self.root.clone()
    }

    /// Where the path starts, borrowed.
    pub fn root_ref(&self) -> &Root {
        &self.root
    }

    /// The steps of a definite path after its root; `None` for a query.
    pub fn segments(&self) -> Option<&[Segment]> {
        match &self.kind {
            Kind::Definite(segments) => Some(segments),
            Kind::Query(_) | Kind::Merge(..) | Kind::Invalid(_) => None,
        }
    }

    /// Whether the path is exactly its root (`$`, `$$` or `$name`).
    pub fn is_root(&self) -> bool {
        matches!(&self.kind, Kind::Definite(segments) if segments.is_empty())
    }

    /// Jayway's normalized form of a definite path relative to its root, `$['a'][0]`; a query renders as written.
    pub fn normalized(&self) -> String {
        match &self.kind {
            Kind::Definite(segments) => render(segments),
            Kind::Query(_) | Kind::Merge(..) | Kind::Invalid(_) => self.text.trim().to_owned(),
        }
    }

    /// Evaluates the path. `Err` carries Jayway's message for a definite path that does not resolve.
    pub fn select(&self, env: &Env) -> Result<Value, String> {
        self.select_ref(env).map(Cow::into_owned)
    }

    /// Evaluates the path, borrowing the result when the path is definite.
    pub fn select_ref<'a>(&self, env: &Env<'a>) -> Result<Cow<'a, Value>, String> {
        let root: &'a Value = match &self.root {
            Root::Input => env.input,
            Root::Context => env.context,
            Root::Variable(name) => match env.vars.get(name) {
                Some(value) => value,
                None => return Err(format!("The variable '${name}' is not defined")),
            },
        };
        match &self.kind {
            Kind::Definite(segments) => walk(root, segments, true).map(Cow::Borrowed),
            Kind::Query(query) => {
                let nodes = query.query(root);
                Ok(Cow::Owned(Value::Array(nodes.iter().map(|v| (*v).clone()).collect())))
            }
            Kind::Merge(Prefix::Definite(segments), names) => {
                let node = walk(root, segments, false)?;
                match node {
                    Value::Object(object) => Ok(Cow::Owned(merge(object, names))),
                    other => Err(not_an_object(&format!("[{}]", quoted(names, ",")), &render(segments), other)),
                }
            }
            Kind::Merge(Prefix::Query(query), names) => {
                let nodes = query.query(root);
                let merged = nodes.iter().filter_map(|node| node.as_object()).map(|object| merge(object, names));
                Ok(Cow::Owned(Value::Array(merged.collect())))
            }
            Kind::Invalid(message) => Err(message.clone()),
        }
    }

    /// Writes `value` at this (reference, `$`-rooted) path inside `target`, creating missing objects, as ResultPath
    /// does.
    ///
    /// `$` replaces the whole document. A missing name is created (as an empty object when more steps follow). An
    /// existing value that is not an object (including `null`) is never replaced to make room: writing through it is
    /// an `Err`, as is an index that is negative, out of bounds, or applied to a non-array. This matches Jayway's
    /// `set` with missing objects created, which is what AWS reports as `States.ResultPathMatchFailure`.
    pub fn write(&self, target: Value, value: Value) -> Result<Value, String> {
        let Kind::Definite(segments) = &self.kind else {
            return Err(format!("cannot write to '{}': not a reference path", self.text));
        };
        if self.root != Root::Input {
            return Err(format!(
                "cannot write to '{}': a ResultPath must start with '$.'",
                self.text
            ));
        }
        let mut target = target;
        let mut at = String::from("$");
        let mut node = &mut target;
        let Some((last, init)) = segments.split_last() else {
            return Ok(value);
        };
        for segment in init {
            node = step_mut(node, segment, &at)?;
            push_segment(&mut at, segment);
        }
        match (last, node) {
            (Segment::Name(name), Value::Object(map)) => {
                map.insert(name.clone(), value);
            }
            (Segment::Index(i), Value::Array(items)) => {
                let slot = usize::try_from(*i).ok().and_then(|i| items.get_mut(i));
                match slot {
                    Some(slot) => *slot = value,
                    None => {
                        return Err(format!(
                            "cannot write {}: index {i} is out of bounds",
                            self.normalized()
                        ));
                    }
                }
            }
            (segment, other) => return Err(not_container(segment, &at, other)),
        }
        Ok(target)
    }

    /// `write` done in place, when it cannot fail or create objects: every step but the last exists, and the last
    /// names a member of an object or an index inside an array. Returns what the value replaced (`None`: the member
    /// is new, added last), which `unwrite` puts back; otherwise `Err` gives `value` back and `target` is unchanged.
    pub fn write_in_place(&self, target: &mut Value, value: Value) -> Result<Option<Value>, Value> {
        let Kind::Definite(segments) = &self.kind else { return Err(value) };
        let Some((last, init)) = segments.split_last() else { return Err(value) };
        if self.root != Root::Input {
            return Err(value);
        }
        let Some(node) = walk_mut(target, init) else { return Err(value) };
        match (last, node) {
            (Segment::Name(name), Value::Object(map)) => Ok(map.insert(name.clone(), value)),
            (Segment::Index(i), Value::Array(items)) => match usize::try_from(*i).ok().and_then(|i| items.get_mut(i)) {
                Some(slot) => Ok(Some(std::mem::replace(slot, value))),
                None => Err(value),
            },
            _ => Err(value),
        }
    }

    /// Undoes `write_in_place`, which returned `old`: `target` is as it was before, member order included.
    pub fn unwrite(&self, target: &mut Value, old: Option<Value>) {
        let Kind::Definite(segments) = &self.kind else { return };
        let Some((last, init)) = segments.split_last() else { return };
        match (last, walk_mut(target, init), old) {
            (Segment::Name(name), Some(Value::Object(map)), Some(old)) => {
                map.insert(name.clone(), old);
            }
            (Segment::Name(name), Some(Value::Object(map)), None) => {
                map.shift_remove(name);
            }
            (Segment::Index(i), Some(Value::Array(items)), Some(old)) => {
                if let Some(slot) = usize::try_from(*i).ok().and_then(|i| items.get_mut(i)) {
                    *slot = old;
                }
            }
            _ => {}
        }
    }
}

/// The value at `segments` inside `node`, if each exists (a name in an object, an index inside an array).
fn walk_mut<'v>(node: &'v mut Value, segments: &[Segment]) -> Option<&'v mut Value> {
    segments.iter().try_fold(node, |node, segment| match (segment, node) {
        (Segment::Name(name), Value::Object(map)) => map.get_mut(name),
        (Segment::Index(i), Value::Array(items)) => usize::try_from(*i).ok().and_then(|i| items.get_mut(i)),
        _ => None,
    })
}

/// Why `parse_segments` stopped.
enum Stop {
    /// The path uses query syntax; hand it to `serde_json_path`.
    Indefinite,
    /// The path is malformed.
    Invalid(String),
}

/// Splits `$`, `$$` or `$name` off the front of `text`.
fn split_root(text: &str) -> Result<(Root, &str), String> {
    let Some(rest) = text.strip_prefix('$') else {
        return Err(format!("invalid JSONPath '{text}': a path must start with '$'"));
    };
    if let Some(rest) = rest.strip_prefix('$') {
        return Ok((Root::Context, rest));
    }
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    if end == 0 {
        return Ok((Root::Input, rest));
    }
    let (name, rest) = rest.split_at(end);
    if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!(
            "invalid JSONPath '{text}': '{name}' is not a valid variable name"
        ));
    }
    Ok((Root::Variable(name.to_owned()), rest))
}

/// How the part of a path after its root is evaluated; `text` (the whole path) is for messages.
fn kind(rest: &str, text: &str) -> Result<Kind, String> {
    match parse_segments(rest) {
        Ok(segments) => Ok(Kind::Definite(segments)),
        Err(Stop::Indefinite) => {
            let rfc = rewrite_for_rfc(rest);
            match JsonPath::parse(&rfc) {
                Ok(query) => Ok(Kind::Query(Box::new(query))),
                Err(e) => match unquoted_words(&rfc) {
                    // A path that only Jayway's filter literals spoil is AWS's to accept and Jayway's to fail.
                    Some((message, quoted)) if JsonPath::parse(&quoted).is_ok() => Ok(Kind::Invalid(message)),
                    _ => Err(format!("invalid JSONPath '{text}': {e}")),
                },
            }
        }
        Err(Stop::Invalid(why)) => Err(format!("invalid JSONPath '{text}': {why}")),
    }
}

/// Splits `rest` at its first top-level bracket of two or more quoted names (Jayway's multi-property step), if any.
/// A dot just before the bracket goes with it. After `..` the bracket is left to RFC 9535 (a union of each
/// descendant's members), as Baton does not model Jayway's scan there.
fn split_multi(rest: &str) -> Option<Multi<'_>> {
    let mut at = 0;
    while let Some(offset) = rest.get(at..).and_then(|tail| tail.find('[')) {
        let open = at + offset;
        let end = bracket_end(rest, open);
        let inside = rest.get(open + 1..end.saturating_sub(1)).unwrap_or("");
        if let Some(names) = multi_names(inside) {
            let before = rest.get(..open).unwrap_or("");
            if before.ends_with("..") {
                return None;
            }
            let prefix = before.strip_suffix('.').unwrap_or(before);
            return Some(Multi { prefix, names, after: rest.get(end..).unwrap_or("") });
        }
        at = end.max(open + 1);
    }
    None
}

/// Where the name that follows an opening `quote` ends in `body` (the text after that quote): the byte index of its
/// closing quote. A backslash protects the next character, as in Jayway.
fn closing_quote(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return Some(i);
        }
    }
    None
}

/// The names of a bracket's inside that holds two or more quoted names (`'a', "b"`), kept verbatim as in
/// `parse_bracket`; `None` for anything else.
fn multi_names(inside: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = inside.trim_start();
    loop {
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let body = rest.get(1..)?;
        let close = closing_quote(body, quote)?;
        names.push(body.get(..close)?.to_owned());
        rest = body.get(close + 1..)?.trim_start();
        match rest.strip_prefix(',') {
            Some(next) => rest = next.trim_start(),
            None if rest.is_empty() && names.len() > 1 => return Some(names),
            None => return None,
        }
    }
}

/// Jayway's compiler rejects an unquoted word as a filter's operand (`[?(@.Name==Receipt)]`): it reads anything
/// unquoted that is not `true`, `false`, `null`, JSON, a regex or a path as a number. Returns the message for the
/// first such word in `rfc` and the text with every such word quoted, or `None` when there is none.
///
/// The message follows Jayway 2.2's filter compiler ("Failed to parse filter: …, error on position: N, char: C",
/// the position counted from the filter's `[`); its exact words on AWS are a guess.
fn unquoted_words(rfc: &str) -> Option<(String, String)> {
    let mut message = None;
    let mut quoted = String::with_capacity(rfc.len() + 8);
    let mut copied = 0;
    let mut at = 0;
    while let Some(offset) = rfc.get(at..).and_then(|tail| tail.find('[')) {
        let open = at + offset;
        let end = bracket_end(rfc, open);
        let group = rfc.get(open..end).unwrap_or("");
        if group.get(1..).is_some_and(|inside| inside.trim_start().starts_with('?')) {
            for (start, word_end) in filter_words(group) {
                if message.is_none() {
                    let position = group.get(..start).map_or(0, |before| before.chars().count());
                    let first = group.get(start..).and_then(|word| word.chars().next()).unwrap_or(' ');
                    message = Some(format!("Failed to parse filter: {group}, error on position: {position}, char: {first}"));
                }
                quoted.push_str(rfc.get(copied..open + start).unwrap_or(""));
                quoted.push('\'');
                quoted.push_str(group.get(start..word_end).unwrap_or(""));
                quoted.push('\'');
                copied = open + word_end;
            }
        }
        at = end.max(open + 1);
    }
    quoted.push_str(rfc.get(copied..).unwrap_or(""));
    message.map(|message| (message, quoted))
}

/// The byte ranges in a filter `group` of the unquoted words that follow a comparison operator.
fn filter_words(group: &str) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let bytes = group.as_bytes();
    let mut quote = None;
    let mut escaped = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match b {
            b'\'' | b'"' => quote = Some(b),
            b'=' | b'<' | b'>' | b'!' => {
                // The operator's remaining characters, then blanks, then the operand.
                let mut j = i + 1;
                while matches!(bytes.get(j), Some(b'=' | b'<' | b'>' | b'~')) {
                    j += 1;
                }
                while bytes.get(j) == Some(&b' ') {
                    j += 1;
                }
                if bytes.get(j).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') {
                    let mut k = j;
                    while bytes.get(k).is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-')) {
                        k += 1;
                    }
                    let word = group.get(j..k).unwrap_or("");
                    if !matches!(word, "true" | "false" | "null") {
                        words.push((j, k));
                    }
                    i = k;
                    continue;
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    words
}

/// Parses the part after the root as names and indexes only.
fn parse_segments(mut rest: &str) -> Result<Vec<Segment>, Stop> {
    let mut segments = Vec::new();
    while let Some(c) = rest.chars().next() {
        match c {
            '.' => {
                let after = rest.get(1..).unwrap_or("");
                if after.starts_with('.') {
                    return Err(Stop::Indefinite);
                }
                if after.starts_with('[') {
                    // Jayway accepts `$.[0]` and `$.['a']`.
                    rest = after;
                    continue;
                }
                let end = after.find(['.', '[']).unwrap_or(after.len());
                let name = after.get(..end).unwrap_or("");
                if name.is_empty() {
                    return Err(Stop::Invalid("empty property name".to_owned()));
                }
                if name == "*" {
                    return Err(Stop::Indefinite);
                }
                if name.contains(['(', ')', ' ', '\'', '"', '*', ',', '?', '@']) {
                    return Err(Stop::Invalid(format!(
                        "unexpected characters in property name '{name}'"
                    )));
                }
                segments.push(Segment::Name(name.to_owned()));
                rest = after.get(end..).unwrap_or("");
            }
            '[' => {
                let (segment, after) = parse_bracket(rest.get(1..).unwrap_or(""))?;
                segments.push(segment);
                rest = after;
            }
            _ => return Err(Stop::Invalid(format!("unexpected '{c}'"))),
        }
    }
    Ok(segments)
}

/// Parses the inside of a `[…]` that holds one quoted name or one integer; returns what follows the `]`.
fn parse_bracket(inside: &str) -> Result<(Segment, &str), Stop> {
    let trimmed = inside.trim_start();
    let Some(first) = trimmed.chars().next() else {
        return Err(Stop::Invalid("unclosed '['".to_owned()));
    };
    if first == '\'' || first == '"' {
        // Jayway: a backslash protects the next character from ending the name; the text is kept verbatim, which is
        // what AWS shows for `$['Test\""Name"']`.
        let body = trimmed.get(1..).unwrap_or("");
        let Some(close) = closing_quote(body, first) else {
            return Err(Stop::Invalid("unclosed quote".to_owned()));
        };
        let name = body.get(..close).unwrap_or("");
        let after = body.get(close + 1..).unwrap_or("").trim_start();
        return match after.strip_prefix(']') {
            Some(after) => Ok((Segment::Name(name.to_owned()), after)),
            None if after.starts_with(',') => Err(Stop::Indefinite),
            None => Err(Stop::Invalid("expected ']'".to_owned())),
        };
    }
    let Some(close) = trimmed.find(']') else {
        return Err(Stop::Invalid("unclosed '['".to_owned()));
    };
    let body = trimmed.get(..close).unwrap_or("").trim();
    let after = trimmed.get(close + 1..).unwrap_or("");
    let digits = body.strip_prefix('-').unwrap_or(body);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match body.parse::<i64>() {
            Ok(i) => Ok((Segment::Index(i), after)),
            Err(_) => Err(Stop::Invalid(format!("index out of range: {body}"))),
        };
    }
    // `*`, slices, unions, filters, or something serde_json_path will reject with its own message.
    Err(Stop::Indefinite)
}

/// Rewrites Jayway dot-names that RFC 9535 forbids (`.my-key`, `.1`) into `['…']` and drops a dot before a
/// bracket, outside brackets only, and prefixes the `$` that `split_root` removed.
fn rewrite_for_rfc(rest: &str) -> String {
    let mut out = String::with_capacity(rest.len() + 8);
    out.push('$');
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < rest.len() {
        let b = bytes.get(i).copied().unwrap_or(b'\0');
        match b {
            b'[' => {
                let end = bracket_end(rest, i);
                out.push_str(rest.get(i..end).unwrap_or(""));
                i = end;
            }
            b'.' if bytes.get(i + 1) == Some(&b'[') => {
                // Jayway skips a dot before a bracket: `$.[*]` is `$[*]`.
                i += 1;
            }
            b'.' => {
                let dots = if bytes.get(i + 1) == Some(&b'.') { 2 } else { 1 };
                let start = i + dots;
                let end = rest
                    .get(start..)
                    .and_then(|s| s.find(['.', '[']))
                    .map_or(rest.len(), |e| start + e);
                let name = rest.get(start..end).unwrap_or("");
                if name.is_empty() || name == "*" || is_rfc_name(name) {
                    out.push_str(rest.get(i..end).unwrap_or(""));
                } else {
                    if dots == 2 {
                        out.push_str("..");
                    }
                    out.push_str("['");
                    for c in name.chars() {
                        if c == '\'' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push_str("']");
                }
                i = end;
            }
            _ => {
                let end = rest
                    .get(i + 1..)
                    .and_then(|s| s.find(['.', '[']))
                    .map_or(rest.len(), |e| i + 1 + e);
                out.push_str(rest.get(i..end).unwrap_or(""));
                i = end;
            }
        }
    }
    out
}

/// The index just past the `]` that closes the `[` at `start`, skipping quoted text and nested brackets.
fn bracket_end(text: &str, start: usize) -> usize {
    let mut depth = 0usize;
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip_while(|(i, _)| *i < start) {
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
            '\'' | '"' => quote = Some(c),
            '[' => depth += 1,
            ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// RFC 9535 `member-name-shorthand`.
fn is_rfc_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii());
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii())
}

/// Appends Jayway's rendering of one segment: `['name']` or `[0]`.
fn push_segment(out: &mut String, segment: &Segment) {
    match segment {
        Segment::Name(name) => {
            out.push_str("['");
            out.push_str(name);
            out.push_str("']");
        }
        Segment::Index(i) => {
            let _ = write!(out, "[{i}]");
        }
    }
}

/// Walks a definite path, with Jayway's error messages (default options, as AWS runs it). `ends_path` says whether
/// the last segment is the path's last step (a missing name there is "No results", elsewhere "Missing property").
fn walk<'a>(root: &'a Value, segments: &[Segment], ends_path: bool) -> Result<&'a Value, String> {
    let mut node = root;
    for (k, segment) in segments.iter().enumerate() {
        let is_leaf = ends_path && k + 1 == segments.len();
        let next = match (segment, node) {
            (Segment::Name(name), Value::Object(map)) => match map.get(name) {
                Some(next) => next,
                None if is_leaf => return Err(no_results(segments)),
                None => {
                    return Err(format!(
                        "Missing property in path {}",
                        render(segments.get(..=k).unwrap_or(&[]))
                    ));
                }
            },
            (Segment::Name(name), other) => {
                return Err(not_an_object(&format!("['{name}']"), &render(segments.get(..k).unwrap_or(&[])), other));
            }
            (Segment::Index(i), Value::Array(items)) => {
                let index = if *i < 0 {
                    i64::try_from(items.len()).unwrap_or(i64::MAX) + i
                } else {
                    *i
                };
                match usize::try_from(index).ok().and_then(|index| items.get(index)) {
                    Some(next) => next,
                    None => return Err(no_results(segments)),
                }
            }
            (Segment::Index(_), Value::Null) => {
                return Err(format!("The path {} is null", render(segments.get(..k).unwrap_or(&[]))));
            }
            (Segment::Index(i), other) => {
                return Err(format!(
                    "Filter: [{i}] can only be applied to arrays. Current context is: {}",
                    serde_json::to_string(other).unwrap_or_default()
                ));
            }
        };
        node = next;
    }
    Ok(node)
}

/// Jayway's message for a property step (`fragment`, e.g. `['a']`) applied at `at` to something not an object.
fn not_an_object(fragment: &str, at: &str, found: &Value) -> String {
    format!(
        "Expected to find an object with property {fragment} in path {at} but found '{}'. This is not a json object \
         according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.",
        java_class(found)
    )
}

/// Jayway's multi-property step on one object: a new object of the `names` it has, in the order written.
fn merge(object: &Map<String, Value>, names: &[String]) -> Value {
    let mut merged = Map::new();
    for name in names {
        if let Some(value) = object.get(name) {
            merged.insert(name.clone(), value.clone());
        }
    }
    Value::Object(merged)
}

/// `'a'<separator>'b'`.
fn quoted(names: &[String], separator: &str) -> String {
    names.iter().map(|name| format!("'{name}'")).collect::<Vec<_>>().join(separator)
}

fn no_results(segments: &[Segment]) -> String {
    format!("No results for path: {}", render(segments))
}

fn render(segments: &[Segment]) -> String {
    let mut out = String::from("$");
    for segment in segments {
        push_segment(&mut out, segment);
    }
    out
}

/// The Java class Jayway names in its "not a json object" message.
fn java_class(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Number(n) if n.is_f64() => "java.lang.Double",
        Value::Number(n) if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) => "java.lang.Integer",
        Value::Number(_) => "java.lang.Long",
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "net.minidev.json.JSONArray",
        Value::Object(_) => "net.minidev.json.JSONObject",
    }
}

/// One step down for `write`, creating a missing object.
fn step_mut<'v>(node: &'v mut Value, segment: &Segment, at: &str) -> Result<&'v mut Value, String> {
    match (segment, node) {
        (Segment::Name(name), Value::Object(map)) => {
            if !map.contains_key(name) {
                map.insert(name.clone(), Value::Object(Map::new()));
            }
            map.get_mut(name)
                .ok_or_else(|| format!("cannot write: {at}['{name}'] does not exist"))
        }
        (Segment::Index(i), Value::Array(items)) => usize::try_from(*i)
            .ok()
            .and_then(|i| items.get_mut(i))
            .ok_or_else(|| format!("cannot write: {at}[{i}] is out of bounds")),
        (segment, other) => Err(not_container(segment, at, other)),
    }
}

fn not_container(segment: &Segment, at: &str, found: &Value) -> String {
    let (step, wanted) = match segment {
        Segment::Name(name) => (format!("['{name}']"), "an object"),
        Segment::Index(i) => (format!("[{i}]"), "an array"),
    };
    format!("cannot write {at}{step}: {at} is {}, not {wanted}", kind_name(found))
}

fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
