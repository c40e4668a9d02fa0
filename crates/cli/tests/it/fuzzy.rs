//! Comparing Baton's results with results recorded against AWS, where recordings hold placeholders.
//!
//! The corpus README's rules: in fuzzy cases, `<…>` tokens, the account `111111111111`, the bare words `date` and
//! `timestamp`, and the names listed in a case's `normalized_fields` stand for any text; a string that is nothing but
//! a placeholder stands for any value. Numbers compare by value, object key order does not matter, and strings that
//! hold JSON compare as JSON (recordings re-serialised some of them with other spacing).

use serde_json::Value;

/// How to compare: exactly, or with these placeholder words as wildcards.
pub(crate) struct Rules {
    pub fuzzy: bool,
    pub words: Vec<String>,
}

impl Rules {
    pub(crate) fn exact() -> Rules {
        Rules { fuzzy: false, words: Vec::new() }
    }

    /// The rules of a case: fuzzy with the words of its `normalized_fields`, or exact.
    pub(crate) fn of_case(case: &Value) -> Rules {
        if case.get("fuzzy") != Some(&Value::Bool(true)) {
            return Rules::exact();
        }
        // `snf_role_arn`, `sfn_role_arn`, `start-time` and `entered-time` are the recorder's own stand-ins for the role ARN and start time; they are
        // not always listed in `normalized_fields`.
        let mut words = vec![
            "111111111111".to_owned(),
            "arn:<partition>:".to_owned(),
            "snf_role_arn".to_owned(),
            "sfn_role_arn".to_owned(),
            "start-time".to_owned(),
            "entered-time".to_owned(),
        ];
        for field in case.get("normalized_fields").and_then(Value::as_array).into_iter().flatten() {
            let Some((_, tokens)) = field.as_str().and_then(|f| f.split_once(" ~ ")) else { continue };
            for token in tokens.split(", ") {
                let token = token.trim();
                if !token.is_empty() && !token.starts_with('<') && token != "date" && token != "timestamp" {
                    words.push(token.to_owned());
                }
            }
        }
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        Rules { fuzzy: true, words }
    }
}

/// Whether `actual` matches `expected` under `rules`; `Err` says where and how they differ.
pub(crate) fn compare(expected: &Value, actual: &Value, rules: &Rules, key: &str, at: &str) -> Result<(), String> {
    if let Value::String(e) = expected
        && rules.fuzzy && is_whole_placeholder(e, key, rules) {
            return Ok(());
        }
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => {
            let same = match (e.as_i64(), a.as_i64()) {
                (Some(x), Some(y)) => x == y,
                _ => e.as_f64() == a.as_f64(),
            };
            if same { Ok(()) } else { Err(format!("{at}: expected {e}, got {a}")) }
        }
        (Value::String(e), Value::String(a)) => {
            if e == a || (rules.fuzzy && glob_match(&pattern(e, rules), a)) {
                return Ok(());
            }
            if let (Ok(ej), Ok(aj)) = (serde_json::from_str::<Value>(e), serde_json::from_str::<Value>(a))
                && (ej.is_object() || ej.is_array()) {
                    return compare(&ej, &aj, rules, key, &format!("{at}(json)"));
                }
            Err(format!("{at}: expected {e:?}, got {a:?}"))
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!("{at}: expected {} items, got {}: {}", e.len(), a.len(), short(actual)));
            }
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                compare(x, y, rules, key, &format!("{at}/{i}"))?;
            }
            Ok(())
        }
        (Value::Object(e), Value::Object(a)) => {
            for k in e.keys() {
                if !a.contains_key(k) {
                    return Err(format!("{at}: missing key {k:?} in {}", short(actual)));
                }
            }
            for k in a.keys() {
                if !e.contains_key(k) {
                    return Err(format!("{at}: unexpected key {k:?} in {}", short(actual)));
                }
            }
            for (k, x) in e {
                if let Some(y) = a.get(k) {
                    compare(x, y, rules, k, &format!("{at}/{k}"))?;
                }
            }
            Ok(())
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{at}: expected {}, got {}", short(e), short(a))),
    }
}

fn is_whole_placeholder(s: &str, key: &str, rules: &Rules) -> bool {
    if s == "date" || (s == "timestamp" && key.to_lowercase().contains("timestamp")) {
        return true;
    }
    if s.starts_with('<') && s.ends_with('>') && !s[1..s.len() - 1].contains(['<', '>']) {
        return true;
    }
    rules.words.iter().any(|w| w == s)
}

/// Pieces of a pattern: literal text, or a wildcard.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Any,
}

fn pattern(expected: &str, rules: &Rules) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = expected;
    'outer: while !rest.is_empty() {
        if rest.starts_with('<')
            && let Some(end) = rest.find('>') {
                let inner = &rest[1..end];
                if !inner.is_empty() && !inner.contains(['<', ' ', '"']) {
                    push_any(&mut pieces, &mut text);
                    rest = &rest[end + 1..];
                    continue;
                }
            }
        for word in &rules.words {
            if rest.starts_with(word.as_str()) {
                push_any(&mut pieces, &mut text);
                rest = &rest[word.len()..];
                continue 'outer;
            }
        }
        for word in ["date", "timestamp"] {
            if rest.starts_with(word) && (text.is_empty() || !text.ends_with(|c: char| c.is_alphanumeric())) {
                let after = &rest[word.len()..];
                if !after.starts_with(|c: char| c.is_alphanumeric()) {
                    push_any(&mut pieces, &mut text);
                    rest = after;
                    continue 'outer;
                }
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    pieces
}

fn push_any(pieces: &mut Vec<Piece>, text: &mut String) {
    if !text.is_empty() {
        pieces.push(Piece::Text(std::mem::take(text)));
    }
    if pieces.last() != Some(&Piece::Any) {
        pieces.push(Piece::Any);
    }
}

/// Glob matching with backtracking over `Any` pieces.
fn glob_match(pieces: &[Piece], s: &str) -> bool {
    match pieces.split_first() {
        None => s.is_empty(),
        Some((Piece::Text(t), rest)) => s.strip_prefix(t.as_str()).is_some_and(|s| glob_match(rest, s)),
        Some((Piece::Any, rest)) => (0..=s.len()).filter(|i| s.is_char_boundary(*i)).any(|i| glob_match(rest, &s[i..])),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 300 { format!("{}…", &text[..text.floor_char_boundary(300)]) } else { text }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Rules, compare};

    #[track_caller]
    fn check(expected: serde_json::Value, actual: serde_json::Value, matches: bool) {
        let rules = Rules { fuzzy: true, words: vec!["111111111111".into(), "table-name".into()] };
        assert_eq!(compare(&expected, &actual, &rules, "", "").is_ok(), matches);
    }

    #[test]
    fn placeholders() {
        check(json!("arn:aws:states:<region>:111111111111:x"), json!("arn:aws:states:us-east-1:123:x"), true);
        check(json!("arn:aws:states:<region>:111111111111:x"), json!("arn:aws:states:us-east-1:123:y"), false);
        check(json!({"Date": "date"}), json!({"Date": 5}), true);
        check(json!("table-name"), json!("t1"), true);
        check(json!(1.0), json!(1), true);
        check(json!("{\"a\": 1}"), json!("{\"a\":1}"), true);
        check(json!({"a": 1}), json!({"a": 1, "b": 2}), false);
    }
}
