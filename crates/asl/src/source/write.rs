//! Writing a JSON value as YAML for a person to edit, keeping the comments of the text it replaces.
//!
//! The design view changes a definition as a value; the code view shows text. `to_yaml_keeping` turns the new value
//! back into text and carries the comments (and blank lines) of the previous text over to it, so that editing on the
//! canvas does not throw away what the author wrote beside the definition.
//!
//! The text is block style: two spaces of indentation, a sequence's dashes indented under its key, keys in the
//! value's order, an empty map or list as `{}` or `[]`, numbers, booleans and `null` as JSON writes them. A string
//! is plain when YAML reads it back as the same string (not `yes`, `1.0`, `null`, `~`, nothing starting with an
//! indicator such as `{` or `-`, no `: ` or ` #`, no spaces at its ends), single-quoted when it is printable on one
//! line (double-quoted if that spares doubling its `'`), double-quoted with escapes otherwise; a multi-line string
//! is a literal block (`|` or `|-`) when that reads back as the same string.
//!
//! Comments are found with `granit-parser`'s events and attached to key paths (`States/Check/Next`; a list item is
//! its index, `Catch/0`), then written at the same path in the new text:
//! - a comment on its own line goes above the next key or list item, unless it is indented deeper than that one: then
//!   it closes what came before it and goes below the key it is indented under (the deepest ancestor of the key
//!   before it whose column is at most the comment's);
//! - a comment after a value on the same line stays at the end of that key's line (a comment inside a flow
//!   collection such as `[a, b] # all` belongs to the key holding the collection, which is now written in block
//!   style; two such comments join on one line);
//! - comments before the first key stay at the top (before or after the document start marker `---`, which is kept
//!   when the old text had one), and those after the last key, at the left margin, stay at the end;
//! - a blank line before a key or a comment is kept.
//!
//! A comment whose key path is gone from the new value is dropped with it: it described what was deleted. A renamed
//! state is a new key, so its comments are lost; a list item inserted before others moves their comments down by
//! one (items are known by index). `old` that is JSON or not YAML keeps nothing: the plain YAML is written.
//!
//! Whatever is written loads back (`source::load`) as exactly the value: the text is checked before it is returned,
//! and in the unforeseen case that it does not, the YAML without comments is tried, then pretty JSON (which YAML
//! includes and `load` reads as JSON).

#[cfg(test)]
#[rustfmt::skip] // One-line tests, as data.
mod tests;

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use serde_saphyr::granit_parser::{Event, Parser, StructureStyle};

use super::{load, strip_bom};

/// A key path: object keys, and list indices in decimal.
type Path = Vec<String>;

/// `value` written as block-style YAML, keeping the comments of `old`, the previous text of the same document; see
/// the module's documentation for where they go. The answer always loads back (`load`) as exactly `value`.
pub fn to_yaml_keeping(old: &str, value: &Value) -> String {
    let comments = gather(old).unwrap_or_default();
    [&comments, &Comments::default()]
        .into_iter()
        .map(|comments| write(comments, value))
        .find(|text| load(text).is_ok_and(|(loaded, _)| loaded == *value))
        .unwrap_or_else(|| serde_json::to_string_pretty(value).map(|json| json + "\n").unwrap_or_default())
}

/// `value` written as YAML (block style, keys in the value's order), for a person to edit; `load` reads it back as
/// the same value. The same text as `to_yaml_keeping` with nothing to keep.
pub fn to_yaml(value: &Value) -> String {
    to_yaml_keeping("", value)
}

/// A line of the old text that goes with a key.
#[derive(Debug, Clone, PartialEq)]
enum Line {
    Blank,
    /// A comment, `#` included.
    Comment(String),
}

/// The comments of an old text, by where they go in the new one.
#[derive(Debug, Default)]
struct Comments {
    /// Before the document start marker `---`.
    before_marker: Vec<Line>,
    marker: bool,
    /// Before the first key (after the marker, if any).
    header: Vec<Line>,
    /// On their own lines before a key or item.
    above: BTreeMap<Path, Vec<Line>>,
    /// At the end of a key's or item's line.
    trailing: BTreeMap<Path, Vec<String>>,
    /// On their own lines after a key's or item's value, indented under it.
    below: BTreeMap<Path, Vec<Line>>,
    /// After the last key.
    footer: Vec<Line>,
}

/// A place in the old text comments can be attached to.
struct Node {
    /// (line, column): 1-based line, 0-based column in characters, where the node starts.
    at: (usize, usize),
    /// The column the node's line is indented to: a key's own, a list item's dash's.
    indent: usize,
    /// `None` for what no key path reaches (inside a complex key).
    path: Option<Path>,
    /// A key or a list item, which begin a line in the new text; otherwise a mapping's scalar value.
    starts_line: bool,
}

/// A comment of the old text.
struct Found {
    at: (usize, usize),
    own_line: bool,
    text: String,
}

/// A collection being walked.
struct Frame {
    mapping: bool,
    /// Flow style, or inside a flow collection: its nodes are written in block style now, so they carry no comments.
    flow: bool,
    /// In a mapping: whether the next node is a key.
    expecting_key: bool,
    /// In a mapping: the key of the value about to come (`None` for a key that is not a scalar).
    key: Option<String>,
    /// In a sequence: the index of the next element.
    index: usize,
    path: Option<Path>,
    /// Where the collection starts: for a block sequence, the column of its dashes.
    column: usize,
}

/// Where a node sits relative to its parent.
enum Role {
    Root,
    Key,
    Value(Option<String>),
    Item(usize),
}

/// The comments of `old` by key path; `None` when it is JSON or not YAML.
fn gather(old: &str) -> Option<Comments> {
    let old = strip_bom(old);
    if old.trim_start().starts_with('{') {
        return None;
    }
    let lines = split_lines(old);
    let mut nodes: Vec<Node> = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut marker = None;
    let mut documents = 0;
    for event in Parser::new_from_str(old) {
        let (event, span) = event.ok()?;
        let at = (span.start.line(), span.start.col());
        let (collection, scalar) = match &event {
            Event::DocumentStart(explicit, _) => {
                documents += 1;
                if documents > 1 {
                    break; // Only the first document is the definition.
                }
                if *explicit {
                    marker = Some(at.0);
                }
                continue;
            }
            Event::Comment(text, _) => {
                let before = lines.get(at.0.wrapping_sub(1)).map_or("", |line| line);
                let own_line = before.chars().take(at.1).all(char::is_whitespace);
                found.push(Found { at, own_line, text: format!("#{}", text.trim_end()) });
                continue;
            }
            Event::MappingStart(style, ..) => (Some((true, *style == StructureStyle::Flow)), None),
            Event::SequenceStart(style, ..) => (Some((false, *style == StructureStyle::Flow)), None),
            Event::Scalar(text, ..) => (None, Some(text.to_string())),
            Event::Alias(_) => (None, None),
            Event::MappingEnd | Event::SequenceEnd => {
                frames.pop();
                continue;
            }
            Event::StreamEnd => break,
            _ => continue,
        };
        let in_flow = frames.last().is_some_and(|frame| frame.flow);
        let parent = frames.last().map_or(Some(Vec::new()), |frame| frame.path.clone());
        let dashes = frames.last().map_or(0, |frame| frame.column);
        let role = match frames.last_mut() {
            None => Role::Root,
            Some(frame) if frame.mapping && frame.expecting_key => {
                frame.expecting_key = false;
                frame.key.clone_from(&scalar);
                Role::Key
            }
            Some(frame) if frame.mapping => {
                frame.expecting_key = true;
                Role::Value(frame.key.take())
            }
            Some(frame) => {
                frame.index += 1;
                Role::Item(frame.index - 1)
            }
        };
        let child = |segment: Option<String>| parent.clone().zip(segment).map(|(mut path, segment)| {
            path.push(segment);
            path
        });
        let path = match role {
            Role::Root => Some(Vec::new()),
            Role::Key => None,
            Role::Value(ref key) => child(key.clone()),
            Role::Item(index) => child(Some(index.to_string())),
        };
        if !in_flow {
            match role {
                Role::Key => nodes.push(Node { at, indent: at.1, path: child(scalar), starts_line: true }),
                Role::Value(_) if collection.is_none() => nodes.push(Node { at, indent: at.1, path: path.clone(), starts_line: false }),
                Role::Item(_) => nodes.push(Node { at, indent: dashes, path: path.clone(), starts_line: true }),
                _ => {}
            }
        }
        if let Some((mapping, flow)) = collection {
            frames.push(Frame { mapping, flow: flow || in_flow, expecting_key: mapping, key: None, index: 0, path, column: at.1 });
        }
    }
    nodes.sort_by_key(|node| node.at);
    found.sort_by_key(|comment| comment.at);
    Some(attach(&nodes, &found, &lines, marker))
}

/// Puts each comment where the module's documentation says, and the blank lines before keys above them.
fn attach(nodes: &[Node], found: &[Found], lines: &[&str], marker: Option<usize>) -> Comments {
    let blank_before = |line: usize| line >= 2 && lines.get(line - 2).is_some_and(|text| text.trim().is_empty());
    let indents: BTreeMap<&Path, usize> = nodes
        .iter()
        .rev() // The first node of a path wins.
        .filter(|node| node.starts_line)
        .filter_map(|node| Some((node.path.as_ref()?, node.indent)))
        .collect();
    let margin = nodes.first().map_or(0, |node| node.indent);
    let mut comments = Comments { marker: marker.is_some(), ..Comments::default() };
    for comment in found {
        let next = nodes.partition_point(|node| node.at < comment.at);
        let before = next.checked_sub(1).and_then(|i| nodes.get(i));
        let after = nodes.get(next);
        let mut lines = Vec::new();
        if comment.own_line && blank_before(comment.at.0) {
            lines.push(Line::Blank);
        }
        lines.push(Line::Comment(comment.text.clone()));
        let column = comment.at.1;
        let Some(before) = before else {
            let top = if marker.is_some_and(|marker| comment.at.0 < marker) { &mut comments.before_marker } else { &mut comments.header };
            top.extend(lines);
            continue;
        };
        if !comment.own_line {
            if let Some(path) = &before.path {
                comments.trailing.entry(path.clone()).or_default().push(comment.text.clone());
            }
            continue;
        }
        match after {
            Some(after) if column <= after.indent => {
                if let Some(path) = &after.path {
                    comments.above.entry(path.clone()).or_default().extend(lines);
                }
            }
            None if column <= margin => comments.footer.extend(lines),
            _ => {
                let Some(path) = &before.path else { continue };
                // The deepest key holding the one before whose column is at most the comment's.
                let holder = (1..=path.len())
                    .rev()
                    .filter_map(|length| path.get(..length))
                    .find(|prefix| indents.get(&prefix.to_vec()).is_some_and(|&indent| indent <= column))
                    .unwrap_or(path);
                comments.below.entry(holder.to_vec()).or_default().extend(lines);
            }
        }
    }
    let mut previous_line = 0;
    for (i, node) in nodes.iter().enumerate() {
        let first_on_line = node.at.0 != previous_line;
        previous_line = node.at.0;
        if !(first_on_line && node.starts_line && blank_before(node.at.0)) {
            continue;
        }
        // Everything before the first key is the header's, the blank line after it too.
        match &node.path {
            _ if i == 0 => comments.header.push(Line::Blank),
            Some(path) => comments.above.entry(path.clone()).or_default().push(Line::Blank),
            None => {}
        }
    }
    comments
}

/// The lines of `text` as YAML counts them: `\r\n`, `\r` and `\n` each end one.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'\n' || byte == b'\r' {
            lines.push(text.get(start..i).unwrap_or_default());
            i += if byte == b'\r' && bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            start = i;
        } else {
            i += 1;
        }
    }
    lines.push(text.get(start..).unwrap_or_default());
    lines
}

// Writing.

/// How the first line of a collection inside a list item begins: after the item's dash, on the dash's line.
struct Lead {
    /// The line so far: indentation and dashes.
    text: String,
    /// The trailing comments of the enclosing items, which end that line.
    trailing: Vec<String>,
    /// The column of the outermost dash on the line, where comments above the first key go.
    above: usize,
}

struct Writer<'a> {
    comments: &'a Comments,
    out: String,
}

fn write(comments: &Comments, value: &Value) -> String {
    let mut writer = Writer { comments, out: String::new() };
    writer.lines(&comments.before_marker, 0);
    if comments.marker {
        writer.out.push_str("---\n");
    }
    writer.lines(&comments.header, 0);
    let mut path = Vec::new();
    match value {
        Value::Object(map) if !map.is_empty() => writer.mapping(map, &mut path, 0, None),
        Value::Array(items) if !items.is_empty() => writer.sequence(items, &mut path, 0, None),
        scalar => {
            let text = inline(scalar);
            if writer.out.is_empty() && text == "{}" {
                // Text starting with `{` is read as JSON, which has no comments: they go before it.
                writer.lines(&comments.footer, 0);
                writer.out.push_str("{}\n");
                return writer.out;
            }
            writer.out.push_str(&text);
            writer.out.push('\n');
        }
    }
    writer.lines(&comments.footer, 0);
    writer.out
}

impl Writer<'_> {
    fn mapping(&mut self, map: &Map<String, Value>, path: &mut Path, indent: usize, mut lead: Option<Lead>) {
        for (key, value) in map {
            path.push(key.clone());
            let lead = lead.take();
            self.above(path, lead.as_ref().map_or(indent, |lead| lead.above));
            let (mut line, mut trailing) = lead.map_or_else(|| (" ".repeat(indent), Vec::new()), |lead| (lead.text, lead.trailing));
            line.push_str(&format_key(key));
            line.push(':');
            trailing.extend(self.trailing(path));
            match value {
                Value::Object(inner) if !inner.is_empty() => {
                    self.end_line(line, &trailing);
                    self.mapping(inner, path, indent + 2, None);
                }
                Value::Array(items) if !items.is_empty() => {
                    self.end_line(line, &trailing);
                    self.sequence(items, path, indent + 2, None);
                }
                scalar => {
                    line.push(' ');
                    self.scalar(line, &trailing, scalar, indent + 2);
                }
            }
            self.below(path, indent);
            path.pop();
        }
    }

    fn sequence(&mut self, items: &[Value], path: &mut Path, indent: usize, mut lead: Option<Lead>) {
        for (index, item) in items.iter().enumerate() {
            path.push(index.to_string());
            let lead = lead.take();
            let above = lead.as_ref().map_or(indent, |lead| lead.above);
            self.above(path, above);
            let (mut line, mut trailing) = lead.map_or_else(|| (" ".repeat(indent), Vec::new()), |lead| (lead.text, lead.trailing));
            line.push_str("- ");
            trailing.extend(self.trailing(path));
            match item {
                Value::Object(inner) if !inner.is_empty() => {
                    self.mapping(inner, path, indent + 2, Some(Lead { text: line, trailing, above }));
                }
                Value::Array(inner) if !inner.is_empty() => {
                    self.sequence(inner, path, indent + 2, Some(Lead { text: line, trailing, above }));
                }
                scalar => self.scalar(line, &trailing, scalar, indent + 2),
            }
            self.below(path, indent);
            path.pop();
        }
    }

    /// Ends `line` with `scalar` (a block scalar's content below it, at `indent`).
    fn scalar(&mut self, mut line: String, trailing: &[String], scalar: &Value, indent: usize) {
        match format_scalar(scalar) {
            Scalar::Inline(text) => {
                line.push_str(&text);
                self.end_line(line, trailing);
            }
            Scalar::Block(header, content) => {
                line.push_str(header);
                self.end_line(line, trailing);
                for text in content.split('\n') {
                    if !text.is_empty() {
                        self.out.push_str(&" ".repeat(indent));
                        self.out.push_str(text);
                    }
                    self.out.push('\n');
                }
            }
        }
    }

    fn end_line(&mut self, line: String, trailing: &[String]) {
        self.out.push_str(&line);
        if !trailing.is_empty() {
            self.out.push(' ');
            self.out.push_str(&trailing.join(" "));
        }
        self.out.push('\n');
    }

    fn trailing(&self, path: &Path) -> Vec<String> {
        self.comments.trailing.get(path).cloned().unwrap_or_default()
    }

    fn above(&mut self, path: &Path, indent: usize) {
        if let Some(lines) = self.comments.above.get(path) {
            self.lines(lines, indent);
        }
    }

    fn below(&mut self, path: &Path, indent: usize) {
        if let Some(lines) = self.comments.below.get(path) {
            self.lines(lines, indent);
        }
    }

    /// Comment lines at `indent`; a blank line only between two others, never two in a row.
    fn lines(&mut self, lines: &[Line], indent: usize) {
        for line in lines {
            match line {
                Line::Blank => {
                    if !self.out.is_empty() && !self.out.ends_with("\n\n") {
                        self.out.push('\n');
                    }
                }
                Line::Comment(text) => {
                    self.out.push_str(&" ".repeat(indent));
                    self.out.push_str(text);
                    self.out.push('\n');
                }
            }
        }
    }
}

// Scalars.

enum Scalar {
    /// Text that fits on the line.
    Inline(String),
    /// A literal block: its header (`|` or `|-`) and its content, lines without indentation and without the final
    /// line break.
    Block(&'static str, String),
}

/// A scalar value, or an empty collection, as YAML: a multi-line string as a literal block when that reads back.
fn format_scalar(value: &Value) -> Scalar {
    match value {
        Value::String(text) if fits_block(text) => match text.strip_suffix('\n') {
            Some(content) => Scalar::Block("|", content.to_owned()),
            None => Scalar::Block("|-", text.clone()),
        },
        other => Scalar::Inline(inline(other)),
    }
}

/// A scalar value, or an empty collection, as YAML on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::String(text) => format_key(text),
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        other => other.to_string(),
    }
}

/// A string on one line: plain when YAML reads that as the same string, else quoted: in single quotes, or double
/// ones when that spares doubling single quotes or escaping what is not printable.
fn format_key(text: &str) -> String {
    let printable = text.chars().all(printable);
    if is_plain(text) {
        text.to_owned()
    } else if printable && text.contains('\'') && !text.contains(['"', '\\']) {
        format!("\"{text}\"") // `"a 'b'"` reads better than `'a ''b'''`
    } else if printable {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        double_quoted(text)
    }
}

/// Whether `text` written plain reads back as the same string: printable on one line, not starting with an
/// indicator or white space, not ending with white space or `:`, without `: ` or ` #`, and not what YAML reads as
/// another type (or what YAML 1.1 readers do: `yes`, `on`, `0x1`).
fn is_plain(text: &str) -> bool {
    let (Some(first), Some(last)) = (text.chars().next(), text.chars().last()) else { return false };
    !first.is_whitespace()
        && !last.is_whitespace()
        && !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && text.chars().all(printable)
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !looks_typed(text)
}

/// Whether a plain scalar `text` may be read as something other than a string (null, a boolean, a number, a merge
/// key), by YAML 1.2 or 1.1: errs on the side of quoting.
fn looks_typed(text: &str) -> bool {
    const WORDS: [&str; 13] = ["null", "~", "true", "false", "yes", "no", "on", "off", "<<", ".inf", "+.inf", "-.inf", ".nan"];
    let lower = text.to_ascii_lowercase();
    let mut chars = text.chars();
    let first = chars.next();
    let second = chars.next();
    WORDS.contains(&lower.as_str())
        || first.is_some_and(|c| c.is_ascii_digit())
        || (matches!(first, Some('+' | '-' | '.')) && second.is_some_and(|c| c.is_ascii_digit() || c == '.'))
}

/// Whether `text` written as a literal block reads back as the same string: more than one line, printable, no line
/// of white space only or ending with it, the first line with content not starting with a space (it sets the
/// indentation), and not ending with two line breaks (which `|` would drop).
fn fits_block(text: &str) -> bool {
    text.contains('\n')
        && !text.ends_with("\n\n")
        && text.chars().all(|c| c == '\n' || printable(c))
        && text.split('\n').all(|line| !line.ends_with(char::is_whitespace))
        && text.split('\n').find(|line| !line.is_empty()).is_some_and(|line| !line.starts_with(' '))
}

/// A character YAML can show as it is: printable, not a line break of any kind, not a tab, not a byte-order mark.
fn printable(c: char) -> bool {
    c == ' ' || c.is_ascii_graphic() || (c >= '\u{a0}' && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'))
}

/// `text` double-quoted, escaping what is not printable.
fn double_quoted(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if printable(c) => out.push(c),
            c if u32::from(c) <= 0xffff => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}
