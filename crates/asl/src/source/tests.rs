//! Loading and locating as data: `check_load` renders what `load` makes of a text, `check_locate` where a pointer
//! lands in it.

use crate::source::{Format, load, locate, to_yaml};

/// Renders `load(text)` as `json <value>`, `yaml <value>` or `<code> <line>:<col>: <message>`, with the pointer
/// after the position when it is not the root's.
#[track_caller]
fn check_load(text: &str, expect: &str) {
    let actual = match load(text) {
        Ok((value, Format::Json)) => format!("json {value}"),
        Ok((value, Format::Yaml)) => format!("yaml {value}"),
        Err(d) => {
            let at = match d.position {
                Some((line, column)) => format!("{line}:{column}"),
                None => "-".to_owned(),
            };
            let pointer = if d.pointer.is_empty() { String::new() } else { format!(" {}", d.pointer) };
            format!("{} {at}{pointer}: {}", d.code, d.message)
        }
    };
    assert_eq!(actual, expect, "\n  text: {text:?}");
}

/// Renders `locate(text, format, pointer)` as `line:col` or `none`, with the format `load` would pick.
#[track_caller]
fn check_locate(text: &str, pointer: &str, expect: &str) {
    let json = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}').starts_with('{');
    let format = if json { Format::Json } else { Format::Yaml };
    let actual = match locate(text, format, pointer) {
        Some((line, column)) => format!("{line}:{column}"),
        None => "none".to_owned(),
    };
    assert_eq!(actual, expect, "\n  text: {text:?}\n  pointer: {pointer:?}");
}

// load: JSON.

#[test] fn json_object() { check_load(r#"{"a": [1, 2.5, "x", null, true]}"#, r#"json {"a":[1,2.5,"x",null,true]}"#) }
#[test] fn json_leading_blank() { check_load("\n  \t{\"a\": 1}", r#"json {"a":1}"#) }
#[test] fn json_bom() { check_load("\u{feff}{\"a\": 1}", r#"json {"a":1}"#) }
#[test] fn json_keeps_order() { check_load(r#"{"b": 1, "a": 2}"#, r#"json {"b":1,"a":2}"#) }
#[test] fn json_large_ints() { check_load(r#"{"a": 18446744073709551615, "b": -9223372036854775808}"#, r#"json {"a":18446744073709551615,"b":-9223372036854775808}"#) }
#[test] fn json_huge_int_is_float() { check_load(r#"{"a": 18446744073709551616}"#, r#"json {"a":1.8446744073709552e+19}"#) }
#[test] fn json_duplicate_key() { check_load("{\"a\": 1,\n \"a\": 2}", "INVALID_JSON_DESCRIPTION 2:2 /a: invalid JSON: duplicate key `a`") }
#[test] fn json_duplicate_key_nested() { check_load(r#"{"States": {"A": {"Type": "Pass", "End": true, "Type": "Succeed"}}, "x": [{"k/~": 1, "k/~": 2}]}"#, "INVALID_JSON_DESCRIPTION 1:48 /States/A/Type: invalid JSON: duplicate key `Type`") }
#[test] fn json_duplicate_key_in_array() { check_load(r#"{"x": [1, {"k/~": 1, "k/~": 2}]}"#, "INVALID_JSON_DESCRIPTION 1:22 /x/1/k~1~0: invalid JSON: duplicate key `k/~`") }
#[test] fn json_duplicate_key_escaped() { check_load(r#"{"A": 1, "\u0041": 2}"#, "INVALID_JSON_DESCRIPTION 1:10 /A: invalid JSON: duplicate key `A`") }
#[test] fn json_same_key_in_sibling_objects() { check_load(r#"{"a": {"k": 1}, "b": {"k": 2}}"#, r#"json {"a":{"k":1},"b":{"k":2}}"#) }
#[test] fn json_missing_comma() { check_load("{\"a\": 1\n \"b\": 2}", "INVALID_JSON_DESCRIPTION 2:2: invalid JSON: expected `,` or `}`") }
#[test] fn json_trailing_comma() { check_load(r#"{"a": 1,}"#, "INVALID_JSON_DESCRIPTION 1:9: invalid JSON: trailing comma") }
#[test] fn json_unclosed() { check_load("{\"a\": [1,\n", "INVALID_JSON_DESCRIPTION 2:1: invalid JSON: EOF while parsing a value") }
#[test] fn json_trailing_text() { check_load("{}\nx", "INVALID_JSON_DESCRIPTION 2:1: invalid JSON: trailing characters") }
#[test] fn json_comment() { check_load("{// no\n}", "INVALID_JSON_DESCRIPTION 1:2: invalid JSON: key must be a string") }
#[test] fn json_column_counts_characters() { check_load(r#"{"é": 1 2}"#, "INVALID_JSON_DESCRIPTION 1:9: invalid JSON: expected `,` or `}`") }
#[test] fn json_yaml_flow_mapping() { check_load("{a: 1}", "INVALID_JSON_DESCRIPTION 1:2: invalid JSON: key must be a string") }

// load: YAML.

#[test] fn yaml_block() { check_load("StartAt: A\nStates:\n  A:\n    Type: Succeed\n", r#"yaml {"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#) }
#[test] fn yaml_comment_first() { check_load("# {not json}\na: 1", r#"yaml {"a":1}"#) }
#[test] fn yaml_array_root() { check_load("[1, 2]", "yaml [1,2]") }
#[test] fn yaml_scalar_root() { check_load("hello", r#"yaml "hello""#) }
#[test] fn yaml_ints() { check_load("a: 9223372036854775808\nb: -9223372036854775808\nc: 0x1F\nd: 1_000", r#"yaml {"a":9223372036854775808,"b":-9223372036854775808,"c":31,"d":1000}"#) }
#[test] fn yaml_huge_int_is_float() { check_load("a: 18446744073709551616", r#"yaml {"a":1.8446744073709552e+19}"#) }
#[test] fn yaml_floats() { check_load("a: 1.0\nb: 1e3", r#"yaml {"a":1.0,"b":1000.0}"#) }
// FIXME: YAML 1.2 reads `017` as the integer 17; serde-saphyr makes it a float.
#[test] fn yaml_leading_zero() { check_load("a: 017", r#"yaml {"a":17.0}"#) }
#[test] fn yaml_core_booleans() { check_load("a: true\nb: False\nc: yes\nd: on\ne: No", r#"yaml {"a":true,"b":false,"c":"yes","d":"on","e":"No"}"#) }
#[test] fn yaml_nulls() { check_load("a: ~\nb: null\nc:", r#"yaml {"a":null,"b":null,"c":null}"#) }
#[test] fn yaml_dates_stay_strings() { check_load("a: 2016-03-14T01:59:00Z\nb: 12:30", r#"yaml {"a":"2016-03-14T01:59:00Z","b":"12:30"}"#) }
#[test] fn yaml_paths_are_strings() { check_load("Variable: $.a\nX.$: $$.Execution.Id", r#"yaml {"Variable":"$.a","X.$":"$$.Execution.Id"}"#) }
#[test] fn yaml_int_key() { check_load("1: x", r#"yaml {"1":"x"}"#) }
#[test] fn yaml_standard_tag() { check_load("a: !!str 12", r#"yaml {"a":"12"}"#) }
#[test] fn yaml_custom_tag_dropped() { check_load("a: !Ref foo\nb: !Sub '${X}'", r#"yaml {"a":"foo","b":"${X}"}"#) }
#[test] fn yaml_anchor_alias() { check_load("a: &x {b: 1}\nc: *x", r#"yaml {"a":{"b":1},"c":{"b":1}}"#) }
#[test] fn yaml_merge_key() { check_load("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2", r#"yaml {"base":{"x":1},"c":{"y":2,"x":1}}"#) }
#[test] fn yaml_block_scalar() { check_load("a: |\n  x\n  y\n", r#"yaml {"a":"x\ny\n"}"#) }
#[test] fn yaml_duplicate_key() { check_load("a: 1\na: 2", "INVALID_JSON_DESCRIPTION 2:1: invalid YAML: duplicate mapping key `a` is not allowed here") }
#[test] fn yaml_unclosed_bracket() { check_load("a: [1,\n", "INVALID_JSON_DESCRIPTION 1:4: invalid YAML: unclosed bracket '['") }
#[test] fn yaml_unclosed_quote() { check_load("é: 'x", "INVALID_JSON_DESCRIPTION 1:4: invalid YAML: unclosed quote") }
#[test] fn yaml_bad_indent() { check_load("a:\n  - b\n - c", "INVALID_JSON_DESCRIPTION 3:2: invalid YAML: while parsing a block mapping, did not find expected key") }
#[test] fn yaml_nested_mapping_value() { check_load("a: b: c", "INVALID_JSON_DESCRIPTION 1:5: invalid YAML: mapping values are not allowed in this context") }
#[test] fn yaml_unknown_alias() { check_load("a: *x", "INVALID_JSON_DESCRIPTION 1:4: invalid YAML: reference to unknown value") }
#[test] fn yaml_two_documents() { check_load("a: 1\n---\nb: 2", "INVALID_JSON_DESCRIPTION 3:1: invalid YAML: only single YAML document expected but multiple found") }
#[test] fn yaml_infinity() { check_load("a: .inf", "INVALID_JSON_DESCRIPTION 1:4: invalid YAML: value `.inf` is not a finite number") }
#[test] fn empty() { check_load("", "MISSING_DESCRIPTION -: the definition is empty") }
#[test] fn blank() { check_load(" \n\t\n", "MISSING_DESCRIPTION -: the definition is empty") }

// locate: JSON.

const JSON: &str = r#"{
  "StartAt": "A",
  "States": {
    "A": {"Type": "Pass", "Next": "B"},
    "B": {
      "Type": "Choice",
      "Choices": [
        {"Variable": "$.x", "NumericEquals": 1, "Next": "A"},
        {"And": [{"Variable": "$.y", "IsNull": true}], "Next": "A"}
      ]
    },
    "a/b~c": {"Type": "Succeed"},
    "tricky \"}]\\": {"Type": "Succeed", "Comment": "{[\"]}"},
    "\u00e9\ud83d\ude00": {"Type": "Succeed"}
  }
}"#;

#[test] fn json_root() { check_locate(JSON, "", "1:1") }
#[test] fn json_member_key() { check_locate(JSON, "/StartAt", "2:3") }
#[test] fn json_nested_key() { check_locate(JSON, "/States/A/Next", "4:27") }
#[test] fn json_object_member() { check_locate(JSON, "/States/B", "5:5") }
#[test] fn json_array_element() { check_locate(JSON, "/States/B/Choices/1", "9:9") }
#[test] fn json_deep() { check_locate(JSON, "/States/B/Choices/1/And/0/IsNull", "9:38") }
#[test] fn json_escaped_pointer() { check_locate(JSON, "/States/a~1b~0c", "12:5") }
#[test] fn json_escaped_key() { check_locate(JSON, "/States/tricky \"}]\\/Comment", "13:42") }
#[test] fn json_unicode_escape_key() { check_locate(JSON, "/States/é😀/Type", "14:28") }
#[test] fn json_missing_key() { check_locate(JSON, "/States/C", "none") }
#[test] fn json_index_out_of_range() { check_locate(JSON, "/States/B/Choices/2", "none") }
#[test] fn json_index_leading_zero() { check_locate(JSON, "/States/B/Choices/01", "none") }
#[test] fn json_index_into_object() { check_locate(JSON, "/States/0", "none") }
#[test] fn json_through_scalar() { check_locate(JSON, "/StartAt/x", "none") }
#[test] fn json_bad_pointer() { check_locate(JSON, "States", "none") }
#[test] fn json_duplicate_key_last() { check_locate("{\"a\": 1,\n \"a\": 2}", "/a", "2:2") }
#[test] fn json_empty_key() { check_locate(r#"{"": {"x": 1}}"#, "/", "1:2") }
#[test] fn json_empty_key_nested() { check_locate(r#"{"": {"x": 1}}"#, "//x", "1:7") }
#[test] fn json_bom_locate() { check_locate("\u{feff}{\"a\": 1}", "/a", "1:2") }
#[test] fn json_empty_array_element() { check_locate(r#"{"a": []}"#, "/a/0", "none") }
#[test] fn json_characters_not_bytes() { check_locate(r#"{"é": "ü", "b": 1}"#, "/b", "1:12") }

// locate: YAML.

const YAML: &str = r#"# A machine.
StartAt: A
States:
  A:
    Type: Pass
    Next: B   # go on
  B:
    Type: Choice
    Choices:
      - Variable: $.x
        NumericEquals: 1
        Next: A
      - And:
          - {Variable: $.y, IsNull: true}
        Next: A
    Default: "A"
  "a/b~c": {Type: Succeed, Comment: "x: [y]"}
  'é':
    Type: Succeed
    Comment: |
      Next: not a key
      - not an element
  F: {Type: Fail, Error: [a, {b: c}]}
"#;

#[test] fn yaml_root() { check_locate(YAML, "", "2:1") }
#[test] fn yaml_member_key() { check_locate(YAML, "/StartAt", "2:1") }
#[test] fn yaml_nested_key() { check_locate(YAML, "/States/A/Next", "6:5") }
#[test] fn yaml_object_member() { check_locate(YAML, "/States/B", "7:3") }
#[test] fn yaml_sequence_element() { check_locate(YAML, "/States/B/Choices/0", "10:9") }
#[test] fn yaml_key_in_element() { check_locate(YAML, "/States/B/Choices/0/NumericEquals", "11:9") }
#[test] fn yaml_second_element() { check_locate(YAML, "/States/B/Choices/1/Next", "15:9") }
#[test] fn yaml_flow_in_block() { check_locate(YAML, "/States/B/Choices/1/And/0/IsNull", "14:29") }
#[test] fn yaml_flow_element() { check_locate(YAML, "/States/B/Choices/1/And/0", "14:13") }
#[test] fn yaml_quoted_key() { check_locate(YAML, "/States/a~1b~0c/Comment", "17:28") }
#[test] fn yaml_single_quoted_key() { check_locate(YAML, "/States/é/Type", "19:5") }
#[test] fn yaml_block_scalar_is_text() { check_locate(YAML, "/States/é/Comment/Next", "none") }
#[test] fn yaml_after_block_scalar() { check_locate(YAML, "/States/F", "23:3") }
#[test] fn yaml_flow_sequence() { check_locate(YAML, "/States/F/Error/1/b", "23:31") }
#[test] fn yaml_default() { check_locate(YAML, "/States/B/Default", "16:5") }
#[test] fn yaml_missing() { check_locate(YAML, "/States/Z", "none") }
#[test] fn yaml_index_out_of_range() { check_locate(YAML, "/States/B/Choices/2", "none") }
#[test] fn yaml_top_sequence() { check_locate("- a\n- b: 1\n", "/1/b", "2:3") }
#[test] fn yaml_alias_value() { check_locate("x: &v {a: 1}\ny: *v\n", "/y", "2:1") }
#[test] fn yaml_through_alias() { check_locate("x: &v {a: 1}\ny: *v\n", "/y/a", "2:4") }
#[test] fn yaml_collection_key_skipped() { check_locate("? [a, b]\n: 1\nc: 2\n", "/c", "3:1") }
#[test] fn yaml_collection_key_not_a_path() { check_locate("? [a, b]\n: 1\nc: 2\n", "/1", "none") }
#[test] fn yaml_merged_key_not_found() { check_locate("b: &b {x: 1}\nc:\n  <<: *b\n", "/c/x", "none") }
#[test] fn yaml_int_key_locate() { check_locate("1: x\n", "/1", "1:1") }
#[test] fn yaml_characters_not_bytes() { check_locate("é: {ü: 1, b: 2}\n", "/é/b", "1:11") }

#[test] fn json_fixture_loads() { assert!(load(JSON).is_ok()) }
#[test] fn yaml_fixture_loads() { assert!(load(YAML).is_ok()) }

// Properties: every pointer into a document is found, at its key or element, in JSON and YAML renderings; nothing
// panics on arbitrary text.

fn arb_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z~/ é\"\\\\:#{}-]{0,6}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map("[a-zA-Z~/ é\"\\\\:#.$-]{0,6}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every JSON Pointer into `value`, with the text its location must start with (`None` for array elements).
fn pointers(value: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                pointers(child, &format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

proptest::proptest! {
    #[test]
    fn every_pointer_found_in_json(doc in proptest::collection::btree_map("[a-z]{1,3}", arb_value(), 0..4)) {
        let doc = serde_json::Value::Object(doc.into_iter().collect());
        let text = serde_json::to_string_pretty(&doc).expect("serializes");
        let mut all = Vec::new();
        pointers(&doc, "", &mut all);
        for pointer in all {
            proptest::prop_assert!(locate(&text, Format::Json, &pointer).is_some(), "{pointer} in {text}");
        }
    }

    #[test]
    fn every_pointer_found_in_yaml(doc in proptest::collection::btree_map("[a-z]{1,3}", arb_value(), 1..4)) {
        let doc = serde_json::Value::Object(doc.into_iter().collect());
        let text = to_yaml(&doc);
        let (loaded, _) = load(&text).expect("round-trips");
        proptest::prop_assert_eq!(&loaded, &doc);
        let mut all = Vec::new();
        pointers(&doc, "", &mut all);
        for pointer in all {
            proptest::prop_assert!(locate(&text, Format::Yaml, &pointer).is_some(), "{pointer} in {text}");
        }
    }

    #[test]
    fn no_panic_on_any_text(text in "[{}\\[\\]\",: a-z0-9\\\\\n\t#&*!|>?-]{0,40}", pointer in "(/[a-z0-9~]{0,2}){0,3}") {
        let _ = load(&text);
        let _ = locate(&text, Format::Json, &pointer);
        let _ = locate(&text, Format::Yaml, &pointer);
    }
}
