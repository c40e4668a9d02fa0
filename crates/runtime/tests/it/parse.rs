//! `asl::parse` never panics: on generated definitions (valid, and broken by mutations), on random JSON values, on
//! random text, and on a few hostile inputs (deep nesting, huge numbers, alias bombs).
//!
//! Besides not panicking, parsing must agree with itself: a definition parses from its JSON value, its JSON text and
//! its YAML text alike, and every diagnostic points at a place that exists in the definition.

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

use crate::arb;
use crate::definition::{self, Transitions};

proptest! {
    #![proptest_config(crate::config(48))]

    /// Generated definitions, some broken in a few places: parsing the value, the JSON text and the YAML text gives
    /// the same verdict, and diagnostics point into the definition.
    #[test]
    fn generated_definitions(
        machine in definition::machine(),
        any_transitions in any::<bool>(),
        mutations in prop_oneof![1 => Just(Vec::new()), 2 => vec(definition::mutation(), 1..4)],
    ) {
        let transitions = if any_transitions { Transitions::Any } else { Transitions::Forward };
        let mut value = definition::build(&machine, transitions).definition;
        for mutation in &mutations {
            definition::mutate(&mut value, mutation);
        }
        check_agrees(&value)?;
    }

    /// Any JSON value at all, and any JSON object with the top-level fields of a definition.
    #[test]
    fn random_values(value in prop_oneof![
        arb::json(),
        (arb::json(), arb::json(), arb::json()).prop_map(|(start, states, other)| {
            serde_json::json!({"StartAt": start, "States": states, "TimeoutSeconds": other})
        }),
    ]) {
        check_agrees(&value)?;
    }

    /// Random text: arbitrary Unicode, JSON-ish and YAML-ish character soups.
    #[test]
    fn random_text(text in prop_oneof![
        "\\PC{0,64}",
        "[{}\\[\\]:,\"a-zA-Z0-9 \n.$\\\\-]{0,64}",
        "\\{[{}\\[\\]:,\"a-zA-Z0-9 \n.$\\\\-]{0,64}",
        "[a-zA-Z:\\- \n\t'\"{}\\[\\]#&*!|>%@`,?~=]{0,64}",
        "(StartAt: [a-z]{0,3}\nStates:\n  [a-z]{1,3}:\n    Type: (Pass|Task|Wait|Choice)\n    (End: true|Next: [a-z]{1,3}|&a x|<<: \\*a)\n){1,3}",
    ]) {
        let _ = asl::parse(&text);
    }
}

/// Parses `value` three ways and checks that the verdicts agree and that diagnostics point into `value`.
fn check_agrees(value: &Value) -> Result<(), TestCaseError> {
    let from_value = asl::parse::parse_value(value);
    let json = serde_json::to_string_pretty(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let from_json = asl::parse(&json);
    let yaml = to_yaml(value);
    let from_yaml = asl::parse(&yaml);
    if let Err(diagnostics) = &from_value {
        prop_assert!(!diagnostics.is_empty(), "an invalid definition without diagnostics");
        for diagnostic in diagnostics {
            prop_assert!(
                value.pointer(&diagnostic.pointer).is_some(),
                "diagnostic points nowhere: {diagnostic}"
            );
        }
    }
    // A JSON text must start with `{` to be read as JSON; anything else is read as YAML, of which JSON is a subset.
    prop_assert_eq!(from_value.is_ok(), from_json.is_ok(), "JSON text {}", json);
    if let (Ok(_), Err(diagnostics)) = (&from_value, &from_yaml) {
        prop_assert!(false, "valid as JSON but not as YAML: {diagnostics:?}\n{yaml}");
    }
    Ok(())
}

/// Renders a value as block-style YAML, every scalar and key JSON-quoted (JSON's quoted strings are YAML's too).
fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_yaml(value, 0, &mut out);
    out
}

fn write_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(object) if !object.is_empty() => {
            for (key, member) in object {
                out.push_str(&pad);
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_nested(member, indent, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                write_nested(item, indent, out);
            }
        }
        scalar => {
            out.push_str(&pad);
            out.push_str(&scalar.to_string());
            out.push('\n');
        }
    }
}

/// A member or item after `key:` or `-`: a scalar (or empty collection) on the same line, a collection below.
fn write_nested(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(o) if !o.is_empty() => {
            out.push('\n');
            write_yaml(value, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_yaml(value, indent + 2, out);
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar.to_string());
            out.push('\n');
        }
    }
}

/// Hostile texts: deep nesting, huge and odd numbers, non-ASCII keys, an alias bomb. Each must give a verdict.
#[test]
fn hostile_texts() {
    let deep_json = format!("{{\"StartAt\": {}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    let deep_flow_yaml = format!("StartAt: {}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_block_yaml: String = (0..5_000).map(|depth| format!("{}- \n", " ".repeat(depth))).collect();
    let mut bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_owned();
    for level in 1..12 {
        let previous = level - 1;
        bomb.push_str(&format!("a{level}: &a{level} [*a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}]\n"));
    }
    let texts = [
        deep_json,
        deep_object,
        deep_flow_yaml,
        deep_block_yaml,
        bomb,
        r#"{"StartAt": "a", "States": {"a": {"Type": "Wait", "Seconds": 1e999999, "End": true}}}"#.to_owned(),
        r#"{"StartAt": "a", "States": {"a": {"Type": "Wait", "Seconds": 123456789012345678901234567890, "End": true}}}"#.to_owned(),
        r#"{"StartAt": "a", "States": {"a": {"Type": "Wait", "Seconds": -0, "End": true}}}"#.to_owned(),
        r#"{"StartAt": "a", "TimeoutSeconds": 18446744073709551616, "States": {"a": {"Type": "Pass", "End": true}}}"#.to_owned(),
        "StartAt: a\nStates:\n  a:\n    Type: Wait\n    Seconds: .inf\n    End: true\n".to_owned(),
        "StartAt: a\nStates:\n  a:\n    Type: Wait\n    Seconds: 0x7fffffffffffffffff\n    End: true\n".to_owned(),
        "StartAt: ü\nStates:\n  ü:\n    Type: Pass\n    Parameters:\n      \"ключ.$\": $.ключ\n      \"🙂\": 1\n    End: true\n".to_owned(),
        "StartAt: a\nStates:\n  a: &s\n    Type: Pass\n    Next: a\n  b: *s\n".to_owned(),
        "\u{feff}{\"StartAt\": \"a\"}".to_owned(),
        "\u{feff}".to_owned(),
        "---\n---\n".to_owned(),
        "? [a, b]\n: c\n".to_owned(),
        "!!binary aGk=".to_owned(),
        "{\"StartAt\": \"a\", \"StartAt\": \"b\"}".to_owned(),
        "a: 1\na: 2\n".to_owned(),
    ];
    for text in &texts {
        let _ = asl::parse(text);
    }
}
