//! A case's expectations against what its execution did: every expectation that does not hold, with the JSON path
//! of the first difference, the expected value and the actual one.

use serde_json::Value;

use crate::test::file::{Expect, Match, Text};
use crate::test::observe::Observed;

/// How an execution ended.
pub(crate) struct Actual {
    pub(crate) status: &'static str,
    pub(crate) error: Option<String>,
    pub(crate) cause: Option<String>,
    pub(crate) output: Option<Value>,
}

/// One expectation that does not hold.
pub(crate) struct Mismatch {
    /// The expectation: `status`, `output`, `states.Price.retries`, …
    pub(crate) field: String,
    /// Where in the value the first difference is (`$.priced[1].amount`), for JSON values.
    pub(crate) at: Option<String>,
    pub(crate) expected: String,
    pub(crate) actual: String,
}

/// Every expectation of `expect` that `actual` and `observed` do not meet, in the order the format lists them
/// (`expect.output` left out with `skip_output`).
pub(crate) fn check(expect: &Expect, actual: &Actual, observed: &Observed<'_>, skip_output: bool) -> Vec<Mismatch> {
    let mut found = Vec::new();
    if expect.status != actual.status {
        found.push(plain("status", &expect.status, actual.status));
    }
    if let Some(error) = &expect.error
        && actual.error.as_deref() != Some(error.as_str())
    {
        found.push(plain("error", error, actual.error.as_deref().unwrap_or("(none)")));
    }
    let cause = actual.cause.as_deref().unwrap_or("");
    match &expect.cause {
        Some(Text::Exact(text)) if text != cause => found.push(plain("cause", text, shown(&actual.cause))),
        Some(Text::Contains(text)) if !cause.contains(text.as_str()) => {
            found.push(plain("causeContains", &format!("a cause containing {}", quote(text)), shown(&actual.cause)));
        }
        _ => {}
    }
    if let Some(expected) = expect.output.as_ref().filter(|_| !skip_output) {
        json("output", expected, actual.output.as_ref(), &mut found);
    }
    if let Some(path) = &expect.path {
        let differs = path.iter().map(String::as_str).ne(observed.path.iter().copied());
        if differs {
            let at = path.iter().zip(&observed.path).position(|(e, a)| e != a).unwrap_or(path.len().min(observed.path.len()));
            let expected = path.get(at).map_or("(end of path)".to_owned(), |s| quote(s));
            let actual = observed.path.get(at).map_or("(end of path)".to_owned(), |s| quote(s));
            let actual = format!("{actual} (the path: {})", observed.path.join(", "));
            found.push(Mismatch { field: "path".to_owned(), at: Some(format!("$[{at}]")), expected, actual });
        }
    }
    for (address, state) in &expect.states {
        let field = |name: &str| format!("states.{address}.{name}");
        let Some(seen) = observed.states.get(address) else {
            match state.entered {
                Some(0) => {}
                Some(entered) => found.push(plain(&field("entered"), &entered.to_string(), "0")),
                None => found.push(plain(&format!("states.{address}"), "entered", "never entered")),
            }
            continue;
        };
        if let Some(entered) = state.entered
            && entered != seen.entered
        {
            found.push(plain(&field("entered"), &entered.to_string(), &seen.entered.to_string()));
        }
        if let Some(retries) = state.retries
            && retries != seen.retries
        {
            found.push(plain(&field("retries"), &retries.to_string(), &seen.retries.to_string()));
        }
        if let Some(expected) = &state.output {
            json(&field("output"), expected, observed.output(seen).as_ref(), &mut found);
        }
        if let Some(expected) = &state.variables {
            let actual = Value::Object(observed.variables(seen));
            json(&field("variables"), &Match::Contains(Value::Object(expected.clone())), Some(&actual), &mut found);
        }
    }
    found
}

fn json(field: &str, expected: &Match, actual: Option<&Value>, found: &mut Vec<Mismatch>) {
    let (value, subset) = match expected {
        Match::Exact(value) => (value, false),
        Match::Contains(value) => (value, true),
    };
    let Some(actual) = actual else {
        found.push(Mismatch { field: field.to_owned(), at: None, expected: render(value), actual: "(no output)".to_owned() });
        return;
    };
    if let Some((at, expected, actual)) = difference(value, actual, subset, "$".to_owned()) {
        found.push(Mismatch { field: field.to_owned(), at: Some(at), expected, actual });
    }
}

/// The first place where `actual` differs from `expected` (or, with `subset`, lacks something of it): its JSON
/// path, the expected value there and the actual one. Numbers compare by value (`1` equals `1.0`).
pub(crate) fn difference(expected: &Value, actual: &Value, subset: bool, at: String) -> Option<(String, String, String)> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                let here = member(&at, key);
                match a.get(key) {
                    None => return Some((here, render(value), "(absent)".to_owned())),
                    Some(actual) => {
                        if let Some(found) = difference(value, actual, subset, here) {
                            return Some(found);
                        }
                    }
                }
            }
            if subset {
                return None;
            }
            let (key, value) = a.iter().find(|(key, _)| !e.contains_key(*key))?;
            Some((member(&at, key), "(absent)".to_owned(), render(value)))
        }
        (Value::Array(e), Value::Array(a)) => {
            for i in 0..e.len().max(a.len()) {
                let here = format!("{at}[{i}]");
                match (e.get(i), a.get(i)) {
                    (Some(e), Some(a)) => {
                        if let Some(found) = difference(e, a, subset, here) {
                            return Some(found);
                        }
                    }
                    (Some(e), None) => return Some((here, render(e), "(absent)".to_owned())),
                    (None, Some(a)) => return Some((here, "(absent)".to_owned(), render(a))),
                    (None, None) => {}
                }
            }
            None
        }
        (Value::Number(e), Value::Number(a)) if e == a || e.as_f64() == a.as_f64() => None,
        _ if expected == actual => None,
        _ => Some((at, render(expected), render(actual))),
    }
}

fn member(at: &str, key: &str) -> String {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { format!("{at}.{key}") } else { format!("{at}[{}]", quote(key)) }
}

/// A value in one line, cut to a readable length.
pub(crate) fn render(value: &Value) -> String {
    const MAX: usize = 200;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        return text;
    }
    let cut: String = text.chars().take(MAX).collect();
    format!("{cut}… ({} bytes)", text.len())
}

fn plain(field: &str, expected: &str, actual: &str) -> Mismatch {
    Mismatch { field: field.to_owned(), at: None, expected: expected.to_owned(), actual: actual.to_owned() }
}

fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn shown(text: &Option<String>) -> &str {
    text.as_deref().unwrap_or("(none)")
}
