//! The mutator: breaks a valid JSON value in one place, or its text.

use serde_json::{Number, Value, json};

use crate::fuzz::Rng;

/// Members whose string holds JSON text (a definition, an input, a task's output, a mock's result): mutating that
/// text as JSON reaches past the request's shape, into the parsers behind it.
const JSON_STRINGS: &[&str] = &["definition", "input", "output", "result", "variables", "context"];

/// Names of members some action knows, to add where they do not belong.
const MEMBERS: &[&str] = &[
    "stateMachineArn",
    "executionArn",
    "activityArn",
    "mapRunArn",
    "stateMachineAliasArn",
    "stateMachineVersionArn",
    "name",
    "definition",
    "roleArn",
    "type",
    "input",
    "output",
    "taskToken",
    "maxResults",
    "nextToken",
    "statusFilter",
    "redriveFilter",
    "includeExecutionData",
    "reverseOrder",
    "tags",
    "tagKeys",
    "publish",
    "versionDescription",
    "routingConfiguration",
    "encryptionConfiguration",
    "loggingConfiguration",
    "maxConcurrency",
    "toleratedFailureCount",
    "toleratedFailurePercentage",
    "revisionId",
    "inspectionLevel",
    "stateName",
    "mock",
    "__type",
    "",
];

/// Strings that have broken parsers, validators and renderers before, or could.
fn odd_string(rng: &mut Rng) -> String {
    let long = |c: &str, n: usize| c.repeat(n);
    match rng.below(24) {
        0 => String::new(),
        1 => " ".to_owned(),
        2 => "\u{0}".to_owned(),
        3 => "\u{202e}evil\u{200b}".to_owned(),
        4 => "名前🚀ü".to_owned(),
        5 => long("a", 81),
        6 => long("x", 100_000),
        7 => long("é", 40_000),
        8 => "arn:aws:states:::".to_owned(),
        9 => "arn:aws:states:us-east-1:123456789012:stateMachine:".to_owned(),
        10 => "arn:aws-cn:states:cn-north-1:123456789012:execution:m:e:extra:more".to_owned(),
        11 => "{% $states.input %}".to_owned(),
        12 => "{% $$ %}".to_owned(),
        13 => "$$.Execution.Id".to_owned(),
        14 => "States.Format('{}', $.a)".to_owned(),
        15 => "../../etc/passwd".to_owned(),
        16 => "a#b%c\\d^e|f~g`h$i&j,k;l:m/n".to_owned(),
        17 => "\r\n\t\u{7f}\u{9f}\u{fffe}".to_owned(),
        18 => "-1".to_owned(),
        19 => "99999999999999999999999".to_owned(),
        20 => "ex.1".to_owned(),
        21 => "sm.99999999999999999999".to_owned(),
        22 => format!("{}{}", "[".repeat(300), "]".repeat(300)),
        _ => "null".to_owned(),
    }
}

/// A value of any type that is unlikely to be what the member wants.
fn odd_value(rng: &mut Rng) -> Value {
    match rng.below(16) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(1.5),
        5 => json!(i64::MIN),
        6 => json!(u64::MAX),
        7 => json!(1e308),
        8 => json!([]),
        9 => json!({}),
        10 => Value::Array(vec![json!("a"); rng.below(300)]),
        11 => nested(rng.below(400)),
        12 => json!({"key": odd_string(rng), "value": odd_string(rng)}),
        13 => Value::Number(Number::from(rng.next())),
        _ => Value::String(odd_string(rng)),
    }
}

/// Arrays inside arrays, `levels` deep.
pub(crate) fn nested(levels: usize) -> Value {
    (0..levels).fold(json!(1), |inner, _| json!([inner]))
}

/// An ARN broken in one of the ways clients break them.
fn odd_arn(rng: &mut Rng, arn: &str) -> String {
    let parts: Vec<&str> = arn.split(':').collect();
    match rng.below(10) {
        0 => arn.replacen("arn:aws:", "arn:aws-us-gov:", 1),
        1 => arn.replacen(":us-east-1:", ":eu-west-9:", 1),
        2 => format!("{arn}:1"),
        3 => format!("{arn}:live"),
        4 => format!("{arn}#NoSuchTestCase"),
        5 => arn.get(..rng.below(arn.len() + 1)).unwrap_or(arn).to_owned(),
        6 => parts.iter().rev().copied().collect::<Vec<_>>().join(":"),
        7 => arn.replace(":stateMachine:", ":execution:").replace(":activity:", ":stateMachine:"),
        8 => format!("{arn}{}", odd_string(rng)),
        _ => arn.to_uppercase(),
    }
}

/// Mutates `value` in one place: a random node, reached by stepping into members and items with some chance.
pub(crate) fn mutate(rng: &mut Rng, value: &mut Value) {
    if !rng.one_in(3) {
        match value {
            Value::Object(members) if !members.is_empty() => {
                let index = rng.below(members.len());
                let key = members.keys().nth(index).cloned().unwrap_or_default();
                let json_text = JSON_STRINGS.contains(&key.as_str()) && rng.one_in(2);
                match members.get_mut(&key) {
                    Some(Value::String(text)) if json_text => mutate_json_text(rng, text),
                    Some(child) => mutate(rng, child),
                    None => mutate_here(rng, value),
                }
                return;
            }
            Value::Array(items) if !items.is_empty() => {
                let index = rng.below(items.len());
                if let Some(child) = items.get_mut(index) {
                    mutate(rng, child);
                    return;
                }
            }
            _ => {}
        }
    }
    mutate_here(rng, value);
}

/// One mutation of the node itself: mostly a value of the same type (so that the request gets past its shape to
/// the checks behind it), sometimes a value of any type.
fn mutate_here(rng: &mut Rng, node: &mut Value) {
    if rng.one_in(5) {
        *node = odd_value(rng);
        return;
    }
    match node {
        Value::Object(members) if !members.is_empty() && rng.one_in(2) => {
            let index = rng.below(members.len());
            if let Some(key) = members.keys().nth(index).cloned() {
                members.remove(&key);
            }
        }
        Value::Object(members) => {
            let key = rng.pick(MEMBERS).to_string();
            members.insert(key, odd_value(rng));
        }
        Value::Array(items) if items.is_empty() || rng.one_in(3) => items.push(odd_value(rng)),
        Value::Array(items) if rng.one_in(2) => {
            let copy = items[rng.below(items.len())].clone();
            items.extend(std::iter::repeat_n(copy, rng.below(60)));
        }
        Value::Array(items) => items.truncate(rng.below(items.len())),
        Value::String(text) if text.starts_with("arn:") && !rng.one_in(4) => *text = odd_arn(rng, text),
        Value::String(text) if rng.one_in(3) => mutate_text(rng, text),
        Value::String(text) => *text = odd_string(rng),
        Value::Number(_) => {
            *node = rng.pick(&[json!(0), json!(-1), json!(1001), json!(2_147_483_648_i64), json!(1e20), json!(0.5), json!(u64::MAX)]).clone();
        }
        Value::Bool(flag) => *flag = !*flag,
        Value::Null => *node = odd_value(rng),
    }
}

/// Mutates JSON text held in a string: as JSON when it parses (so the result is still mostly valid), else as text.
pub(crate) fn mutate_json_text(rng: &mut Rng, text: &mut String) {
    if !rng.one_in(4)
        && let Ok(mut value) = serde_json::from_str::<Value>(text)
    {
        mutate(rng, &mut value);
        *text = value.to_string();
        return;
    }
    mutate_text(rng, text);
}

/// Breaks text: truncates it, splices odd text in, deepens it, or replaces it with broken JSON.
pub(crate) fn mutate_text(rng: &mut Rng, text: &mut String) {
    let at = floor_boundary(text, rng.below(text.len() + 1));
    match rng.below(8) {
        0 => text.truncate(at),
        1 => text.insert_str(at, &odd_string(rng)),
        // Nested around the limits (Baton's 126 levels, serde_json's 128) and far past them.
        2 => {
            let levels = *rng.pick(&[120, 125, 126, 127, 128, 129, 200, 5000]);
            *text = format!("{}{text}{}", "[".repeat(levels), "]".repeat(levels));
        }
        3 => *text = rng.pick(&["{", "}", "[1,]", "{\"a\":1,}", "1e999999", "-0", "\"\\ud800\"", "tru", "{\"a\" 1}", "\u{feff}{}"]).to_string(),
        4 => *text = rng.pick(&["a: [1, 2]", "- x\n- &a [*a, *a]", "--- !!binary AAAA", "key: {% x %}"]).to_string(),
        5 => text.replace_range(at.., &text[at..].replacen('"', "'", 1)),
        6 => *text = text.repeat(1 + rng.below(4)),
        _ => text.insert(at, *rng.pick(&['\u{0}', '\\', '"', '\u{2028}', '{', '$'])),
    }
}

/// Mutates a serialized body as bytes: invalid UTF-8, a cut, or something that is not an object at all.
pub(crate) fn mutate_bytes(rng: &mut Rng, body: &mut Vec<u8>) {
    match rng.below(6) {
        0 => {
            let at = rng.below(body.len() + 1);
            body.insert(at, *rng.pick(&[0xff, 0xfe, 0xc3, 0x80, 0xed]));
        }
        1 => body.truncate(rng.below(body.len() + 1)),
        2 => *body = rng.pick(&[&b""[..], b"null", b"[]", b"42", b"\"text\"", b"{}{}"]).to_vec(),
        3 => {
            // Invalid UTF-8 inside a string value, where a lenient reader would let it through.
            if let Some(at) = body.iter().position(|&b| b == b'"').map(|at| at + 1) {
                body.splice(at..at, [0xf0, 0x28, 0x8c, 0x28]);
            }
        }
        4 => body.extend(std::iter::repeat_n(b' ', rng.below(10_000))),
        _ => {
            let noise: Vec<u8> = (0..rng.below(200)).map(|_| (rng.next() & 0xff) as u8).collect();
            *body = noise;
        }
    }
}

/// `at`, moved back to a character boundary of `text`.
fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}
