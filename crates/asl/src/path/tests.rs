//! Tests for `crate::path`: parsing, selection with Jayway's messages, and ResultPath writes.

use serde_json::{Map, Value, json};

use crate::Env;
use crate::path::{Path, Root};

fn render(result: Result<Value, String>) -> String {
    match result {
        Ok(value) => value.to_string(),
        Err(message) => format!("error: {message}"),
    }
}

/// Selects `path` from `input`, with context `{"Execution": {"Id": "x", "Input": {"a": 1}}}` and variable `v`.
#[track_caller]
fn check(input: Value, path: &str, expect: &str) {
    let context = json!({"Execution": {"Id": "x", "Input": {"a": 1}}});
    let mut vars = Map::new();
    vars.insert("v".to_owned(), json!({"k": [10, 20]}));
    vars.insert("n".to_owned(), json!(null));
    let random = || 0;
    let env = Env {
        input: &input,
        context: &context,
        vars: &vars,
        random: &random,
    };
    let actual = render(Path::parse(path).and_then(|p| p.select(&env)));
    assert_eq!(actual, expect, "path {path}");
}

/// Parses `path`, which must parse (AWS accepts it in a definition), and selects from `input`, which must fail with
/// `expect`: syntax that only fails when evaluated.
#[track_caller]
fn check_fails_when_run(input: Value, path: &str, expect: &str) {
    assert!(Path::parse(path).is_ok(), "path {path} must parse");
    check(input, path, &format!("error: {expect}"));
}

/// Parses `path` as a reference path and renders its normalized form, or the error.
#[track_caller]
fn check_reference(path: &str, expect: &str) {
    let actual = match Path::parse_reference(path) {
        Ok(p) => p.normalized(),
        Err(message) => format!("error: {message}"),
    };
    assert_eq!(actual, expect, "path {path}");
}

/// Parses `path` (any path) and reports whether it is definite and its root.
#[track_caller]
fn check_shape(path: &str, definite: bool, root: Root) {
    let p = Path::parse(path).expect("test path parses");
    assert_eq!((p.is_definite(), p.root()), (definite, root), "path {path}");
}

/// Writes `value` into `target` at `path`.
#[track_caller]
fn check_write(target: Value, path: &str, value: Value, expect: &str) {
    let actual = render(Path::parse_reference(path).and_then(|p| p.write(target, value)));
    assert_eq!(actual, expect, "path {path}");
}

// Definite selection.
#[test] fn root() { check(json!({"a": 1}), "$", r#"{"a":1}"#) }
#[test] fn name() { check(json!({"a": {"b": 2}}), "$.a.b", "2") }
#[test] fn name_null_value() { check(json!({"a": null}), "$.a", "null") }
#[test] fn bracket_name() { check(json!({"a b": 1}), "$['a b']", "1") }
#[test] fn bracket_double_quoted() { check(json!({"a b": 1}), r#"$["a b"]"#, "1") }
#[test] fn bracket_then_dot() { check(json!({"a b": {"c": 3}}), "$['a b'].c", "3") }
#[test] fn bracket_verbatim_backslash() { check(json!({"Test\\\"\"Name\"": "Value\"\\"}), r#"$['Test\""Name"']"#, r#""Value\"\\""#) }
#[test] fn index() { check(json!({"items": [{"k": 0}, {"k": 10}]}), "$.items[1]", r#"{"k":10}"#) }
#[test] fn index_then_name() { check(json!({"items": [{"k": 0}, {"k": 10}]}), "$.items[1].k", "10") }
#[test] fn negative_index() { check(json!({"a": [1, 2, 3]}), "$.a[-1]", "3") }
#[test] fn root_index() { check(json!([5, 6]), "$[1]", "6") }
#[test] fn dot_before_bracket() { check(json!([5, 6]), "$.[0]", "5") }
#[test] fn jayway_dash_name() { check(json!({"delivery-partner": "x"}), "$.delivery-partner", r#""x""#) }
#[test] fn jayway_digit_name() { check(json!({"a": {"1": "one"}}), "$.a.1", r#""one""#) }
#[test] fn unicode_name() { check(json!({"ünï": 1}), "$.ünï", "1") }

// Roots.
#[test] fn context_root() { check(json!({}), "$$", r#"{"Execution":{"Id":"x","Input":{"a":1}}}"#) }
#[test] fn context_path() { check(json!({}), "$$.Execution.Id", r#""x""#) }
#[test] fn context_missing() { check(json!({}), "$$.Execution.Nope", "error: No results for path: $['Execution']['Nope']") }
#[test] fn variable() { check(json!({}), "$v", r#"{"k":[10,20]}"#) }
#[test] fn variable_path() { check(json!({}), "$v.k[1]", "20") }
#[test] fn variable_null() { check(json!({}), "$n", "null") }
#[test] fn variable_query() { check(json!({}), "$v.k[*]", "[10,20]") }
#[test] fn variable_missing() { check(json!({}), "$nope", "error: The variable '$nope' is not defined") }

// Jayway's errors, as AWS shows them.
#[test] fn missing_leaf() { check(json!({"int-literal": 0}), "$.NoSuchInputPath", "error: No results for path: $['NoSuchInputPath']") }
#[test] fn missing_nested_leaf() { check(json!({"a": {}}), "$.a.b", "error: No results for path: $['a']['b']") }
#[test] fn missing_intermediate() { check(json!({}), "$.no.such.result.path", "error: Missing property in path $['no']") }
#[test] fn missing_second_intermediate() { check(json!({"a": {}}), "$.a.b.c", "error: Missing property in path $['a']['b']") }
#[test] fn index_out_of_bounds() { check(json!({"a": [1]}), "$.a[5]", "error: No results for path: $['a'][5]") }
#[test] fn index_out_of_bounds_nested() { check(json!({"a": [1]}), "$.a[5].b", "error: No results for path: $['a'][5]['b']") }
#[test] fn negative_index_out_of_bounds() { check(json!({"a": [1]}), "$.a[-2]", "error: No results for path: $['a'][-2]") }
#[test] fn name_on_string() { check(json!({"a": "s"}), "$.a.b", "error: Expected to find an object with property ['b'] in path $['a'] but found 'java.lang.String'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.") }
#[test] fn name_on_null() { check(json!({"a": null}), "$.a.b", "error: Expected to find an object with property ['b'] in path $['a'] but found 'null'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.") }
#[test] fn name_on_root_array() { check(json!([1]), "$.a", "error: Expected to find an object with property ['a'] in path $ but found 'net.minidev.json.JSONArray'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.") }
#[test] fn name_on_integer() { check(json!({"a": 1}), "$.a.b", "error: Expected to find an object with property ['b'] in path $['a'] but found 'java.lang.Integer'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.") }
#[test] fn name_on_long() { check(json!({"a": 10_000_000_000_i64}), "$.a.b", "error: Expected to find an object with property ['b'] in path $['a'] but found 'java.lang.Long'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.") }
#[test] fn name_on_double() { check(json!({"a": 1.5}), "$.a.b", "error: Expected to find an object with property ['b'] in path $['a'] but found 'java.lang.Double'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.") }
#[test] fn name_on_bool() { check(json!({"a": true}), "$.a.b", "error: Expected to find an object with property ['b'] in path $['a'] but found 'java.lang.Boolean'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.") }
#[test] fn name_on_object_in_array() { check(json!({"a": [{}]}), "$.a[0].b.c", "error: Missing property in path $['a'][0]['b']") }
#[test] fn index_on_null() { check(json!({"a": null}), "$.a[0]", "error: The path $['a'] is null") }
#[test] fn index_on_object() { check(json!({"a": {"x": 1}}), "$.a[0]", r#"error: Filter: [0] can only be applied to arrays. Current context is: {"x":1}"#) }

// Queries give arrays of matches, possibly empty.
#[test] fn wildcard() { check(json!({"a": [{"b": 1}, {"b": 2}]}), "$.a[*].b", "[1,2]") }
#[test] fn wildcard_on_missing() { check(json!({}), "$.items[*]", "[]") }
#[test] fn wildcard_root() { check(json!({}), "$[*]", "[]") }
#[test] fn dot_wildcard() { check(json!({"a": {"x": 1, "y": 2}}), "$.a.*", "[1,2]") }
#[test] fn slice() { check(json!({"a": [0, 1, 2, 3]}), "$.a[1:3]", "[1,2]") }
#[test] fn slice_open_end() { check(json!({"a": [0, 1, 2, 3]}), "$.a[1:]", "[1,2,3]") }
#[test] fn slice_open_start() { check(json!({"a": [0, 1, 2, 3]}), "$.a[:1]", "[0]") }
#[test] fn slice_on_missing_then_name() { check(json!({}), "$.item.items[1:5].itemValue", "[]") }
#[test] fn union_indexes() { check(json!({"a": [0, 1, 2]}), "$.a[0,2]", "[0,2]") }
// Jayway's multi-property step gives an object, as AWS showed for InputPath `$['a', 'b']`.
#[test] fn union_names() { check(json!({"a": 1, "b": 2, "c": 3}), "$['a','b']", r#"{"a":1,"b":2}"#) }
#[test] fn descendant() { check(json!({"a": 1, "s": {"a": 2}}), "$..a", "[1,2]") }
#[test] fn descendant_dash_name() { check(json!({"my-key": 1, "s": {"my-key": 2}}), "$..my-key", "[1,2]") }
#[test] fn filter_jayway_parens() { check(json!({"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]}), "$.users[?(@.status == 0)]", r#"[{"year":1997,"status":0}]"#) }
#[test] fn filter_rfc() { check(json!({"a": [10, 13, 14]}), "$.a[?@ > 12]", "[13,14]") }
#[test] fn filter_string() { check(json!({"s": [{"n": "x"}, {"n": "y"}]}), "$.s[?(@.n == 'x')]", r#"[{"n":"x"}]"#) }
#[test] fn query_single_match_is_array() { check(json!({"a": [7]}), "$.a[*]", "[7]") }
#[test] fn query_then_dash_name() { check(json!({"a": [{"my-key": 1}]}), "$.a[*].my-key", "[1]") }
#[test] fn context_query() { check(json!({}), "$$.Execution.*", r#"["x",{"a":1}]"#) }

// Jayway's quirks, which AWS accepts in definitions it deploys.
#[test] fn trailing_blank() { check(json!({}), "$$.Execution.Id ", r#""x""#) }
#[test] fn surrounding_blanks() { check(json!({"a": [1]}), "  $.a[0]\t", "1") }
#[test] fn blank_query() { check(json!({"a": [1, 2]}), "$.a[*] ", "[1,2]") }
#[test] fn blank_variable() { check(json!({}), " $v.k[0] ", "10") }
#[test] fn dot_before_wildcard() { check(json!([1, 2]), "$.[*]", "[1,2]") }
#[test] fn dot_before_filter() { check(json!([{"OU": 1}, {"OU": 0}]), "$.[?(@.OU > 0)]", r#"[{"OU":1}]"#) }
#[test] fn dot_before_bracket_in_query() { check(json!({"a": [{"b": 1}]}), "$.a[*].['b']", "[1]") }
#[test] fn multi_names_keep_order_written() { check(json!({"x": {"a": 1, "b": 2}}), "$.x['b', 'a']", r#"{"b":2,"a":1}"#) }
#[test] fn multi_names_double_quotes() { check(json!({"a": 1, "b": 2}), r#"$["a","b"]"#, r#"{"a":1,"b":2}"#) }
#[test] fn multi_names_after_dot() { check(json!({"a": 1, "b": 2}), "$.['a','b']", r#"{"a":1,"b":2}"#) }
#[test] fn multi_names_missing_member() { check(json!({"a": 1}), "$['a','z']", r#"{"a":1}"#) }
#[test] fn multi_names_none_present() { check(json!({"a": 1}), "$['y','z']", "{}") }
#[test] fn multi_names_of_variable() { check(json!({}), "$v['k','j']", r#"{"k":[10,20]}"#) }
#[test] fn multi_names_after_query() { check(json!([{"bucket": "b", "key": "k", "size": 1}, {"bucket": "c", "key": "l"}, 3]), "$.[*].['bucket', 'key']", r#"[{"bucket":"b","key":"k"},{"bucket":"c","key":"l"}]"#) }
#[test] fn multi_names_after_missing_query() { check(json!({}), "$.a[*]['x','y']", "[]") }
#[test] fn multi_names_on_string() { check(json!({"a": "s"}), "$.a['x','y']", "error: Expected to find an object with property ['x','y'] in path $['a'] but found 'java.lang.String'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.") }
#[test] fn multi_names_under_missing() { check(json!({}), "$.a['x','y']", "error: Missing property in path $['a']") }
// AWS's cause for InputPath `$['a', 'b'].v` ends "Invalid path '$['a', 'b'].v' : Multi properties can only be used as path leafs: $['a', 'b']".
#[test] fn multi_names_not_last() { check_fails_when_run(json!({"a": {"v": 1}, "b": {"v": 2}}), "$['a', 'b'].v", "Multi properties can only be used as path leafs: $['a', 'b']") }
#[test] fn multi_names_not_last_after_query() { check_fails_when_run(json!({}), "$.x[*]['a','b'][0]", "Multi properties can only be used as path leafs: $.x[*]['a', 'b']") }
// FIXME: after `..` Jayway merges each descendant's members too; Baton gives RFC 9535's union there.
#[test] fn multi_names_after_descendant() { check(json!({"a": 1, "b": 2}), "$..['a','b']", "[1,2]") }
#[test] fn unquoted_filter_word() { check_fails_when_run(json!({"Labels": [{"Name": "Receipt"}]}), "$.Labels[?(@.Name==Receipt)]", "Failed to parse filter: [?(@.Name==Receipt)], error on position: 11, char: R") }
#[test] fn unquoted_filter_word_with_dots() { check_fails_when_run(json!({}), "$[?(@.name == ecs.availability-zone)].value", "Failed to parse filter: [?(@.name == ecs.availability-zone)], error on position: 13, char: e") }
#[test] fn unquoted_filter_word_second() { check_fails_when_run(json!({}), "$..Q[?(@.a == 'x' && @.s==Failure)]", "Failed to parse filter: [?(@.a == 'x' && @.s==Failure)], error on position: 22, char: F") }
#[test] fn unquoted_filter_word_after_dash_name() { check_fails_when_run(json!({}), "$.my-list[?(@.a!=b)]", "Failed to parse filter: [?(@.a!=b)], error on position: 8, char: b") }
#[test] fn filter_literals_are_not_words() { check(json!({"a": [{"b": true}, {"b": null}, {"b": 1}]}), "$.a[?(@.b == true || @.b == null)]", r#"[{"b":true},{"b":null}]"#) }
#[test] fn filter_path_operand_is_not_a_word() { check(json!({"a": [{"b": 1}, {"b": 2}], "c": 2}), "$.a[?(@.b == $.c)]", r#"[{"b":2}]"#) }
#[test] fn unquoted_word_in_a_broken_path() { check(json!({}), "$.a[?(@.b==x", "error: invalid JSONPath '$.a[?(@.b==x': unclosed '['") }

// Parse errors.
#[test] fn no_dollar() { check(json!({}), "a.b", "error: invalid JSONPath 'a.b': a path must start with '$'") }
#[test] fn empty_name() { check(json!({}), "$.a..", "error: invalid JSONPath '$.a..': at position 5, must start with lowercase alpha or '_'") }
#[test] fn trailing_dot() { check(json!({}), "$.a.", "error: invalid JSONPath '$.a.': empty property name") }
#[test] fn junk_after_root() { check(json!({}), "$ x", "error: invalid JSONPath '$ x': ' x' is not a valid variable name") }
#[test] fn bad_variable_name() { check(json!({}), "$a-b.c", "error: invalid JSONPath '$a-b.c': 'a-b' is not a valid variable name") }
#[test] fn unclosed_bracket() { check(json!({}), "$['a'", "error: invalid JSONPath '$['a'': expected ']'") }
#[test] fn unclosed_quote() { check(json!({}), "$['a", "error: invalid JSONPath '$['a': unclosed quote") }
#[test] fn unclosed_index() { check(json!({}), "$[0", "error: invalid JSONPath '$[0': unclosed '['") }
#[test] fn bad_name_chars() { check(json!({}), "$.a b", "error: invalid JSONPath '$.a b': unexpected characters in property name 'a b'") }
#[test] fn huge_index() { check(json!({}), "$[99999999999999999999]", "error: invalid JSONPath '$[99999999999999999999]': index out of range: 99999999999999999999") }

// Shapes.
#[test] fn shape_input() { check_shape("$.a[0]", true, Root::Input) }
#[test] fn shape_context() { check_shape("$$.Map.Item.Value", true, Root::Context) }
#[test] fn shape_variable() { check_shape("$x.y", true, Root::Variable("x".to_owned())) }
#[test] fn shape_query() { check_shape("$.a[*]", false, Root::Input) }
#[test] fn shape_variable_query() { check_shape("$x..y", false, Root::Variable("x".to_owned())) }

// Reference paths.
#[test] fn reference_root() { check_reference("$", "$") }
#[test] fn reference_names() { check_reference("$.a.b", "$['a']['b']") }
#[test] fn reference_brackets() { check_reference("$['a b'][0].c", "$['a b'][0]['c']") }
#[test] fn reference_context() { check_reference("$$.Execution.Input", "$['Execution']['Input']") }
#[test] fn reference_variable() { check_reference("$x.y", "$['y']") }
#[test] fn reference_rejects_wildcard() { check_reference("$.a[*]", "error: invalid reference path '$.a[*]': a reference path must identify a single node (no '*', '..', filters, slices or unions)") }
#[test] fn reference_rejects_descendant() { check_reference("$..a", "error: invalid reference path '$..a': a reference path must identify a single node (no '*', '..', filters, slices or unions)") }
#[test] fn reference_rejects_filter() { check_reference("$.a[?(@.b)]", "error: invalid reference path '$.a[?(@.b)]': a reference path must identify a single node (no '*', '..', filters, slices or unions)") }
#[test] fn reference_rejects_slice() { check_reference("$.a[1:2]", "error: invalid reference path '$.a[1:2]': a reference path must identify a single node (no '*', '..', filters, slices or unions)") }
#[test] fn reference_rejects_union() { check_reference("$['a','b']", "error: invalid reference path '$['a','b']': a reference path must identify a single node (no '*', '..', filters, slices or unions)") }
#[test] fn reference_rejects_negative_index() { check_reference("$.a[-1]", "error: invalid reference path '$.a[-1]': negative indexes are not allowed") }
#[test] fn reference_rejects_garbage() { check_reference("$.a b", "error: invalid reference path '$.a b': unexpected characters in property name 'a b'") }

// ResultPath writes.
#[test] fn write_root() { check_write(json!({"a": 1}), "$", json!("r"), r#""r""#) }
#[test] fn write_new_name() { check_write(json!({"a": 1}), "$.b", json!(2), r#"{"a":1,"b":2}"#) }
#[test] fn write_replaces_existing() { check_write(json!({"a": 1, "b": 0}), "$.a", json!(2), r#"{"a":2,"b":0}"#) }
#[test] fn write_creates_objects() { check_write(json!({}), "$.a.b.c", json!(1), r#"{"a":{"b":{"c":1}}}"#) }
#[test] fn write_into_existing_object() { check_write(json!({"a": {"x": 0}}), "$.a.b", json!(1), r#"{"a":{"x":0,"b":1}}"#) }
#[test] fn write_index() { check_write(json!({"a": [0, 1]}), "$.a[1]", json!(9), r#"{"a":[0,9]}"#) }
#[test] fn write_through_index() { check_write(json!({"a": [{}, {}]}), "$.a[1].b", json!(9), r#"{"a":[{},{"b":9}]}"#) }
#[test] fn write_index_out_of_bounds() { check_write(json!({"a": [0]}), "$.a[3]", json!(9), "error: cannot write $['a'][3]: index 3 is out of bounds") }
#[test] fn write_through_index_out_of_bounds() { check_write(json!({"a": [0]}), "$.a[3].b", json!(9), "error: cannot write: $['a'][3] is out of bounds") }
#[test] fn write_index_into_object() { check_write(json!({"a": {}}), "$.a[0]", json!(9), "error: cannot write $['a'][0]: $['a'] is an object, not an array") }
#[test] fn write_name_into_string() { check_write(json!({"a": "s"}), "$.a.b", json!(9), "error: cannot write $['a']['b']: $['a'] is a string, not an object") }
#[test] fn write_through_string() { check_write(json!({"a": "s"}), "$.a.b.c", json!(9), "error: cannot write $['a']['b']: $['a'] is a string, not an object") }
#[test] fn write_name_into_null() { check_write(json!({"a": null}), "$.a.b", json!(9), "error: cannot write $['a']['b']: $['a'] is null, not an object") }
#[test] fn write_into_non_object_root() { check_write(json!([1]), "$.a", json!(9), "error: cannot write $['a']: $ is an array, not an object") }
#[test] fn write_into_number_root() { check_write(json!(1), "$[0]", json!(9), "error: cannot write $[0]: $ is a number, not an array") }
#[test] fn write_into_bool() { check_write(json!({"a": true}), "$.a.b", json!(9), "error: cannot write $['a']['b']: $['a'] is a boolean, not an object") }
#[test] fn write_context_rejected() { check_write(json!({}), "$$.a", json!(9), "error: cannot write to '$$.a': a ResultPath must start with '$.'") }

#[test]
fn write_query_rejected() {
    let path = Path::parse("$.a[*]").expect("test path parses");
    assert_eq!(
        render(path.write(json!({}), json!(1))),
        "error: cannot write to '$.a[*]': not a reference path"
    );
}

#[test]
fn accessors() {
    let path = Path::parse("$x.a[0]").expect("test path parses");
    assert_eq!(path.as_str(), "$x.a[0]");
    assert_eq!(path.root_ref(), &Root::Variable("x".to_owned()));
    assert_eq!(path.segments().map(<[_]>::len), Some(2));
    assert!(!path.is_root());
    assert!(Path::parse("$$").expect("test path parses").is_root());
    let query = Path::parse("$..a").expect("test path parses");
    assert_eq!((query.segments(), query.normalized()), (None, "$..a".to_owned()));
}

proptest::proptest! {
    /// Parsing, selecting and writing never panic, whatever the text.
    #[test]
    fn never_panics(text in r"\$[$a-c0-9.\[\]'\x22*?@()<>=,: \\-]{0,16}") {
        let input = json!({"a": [1, {"b": null}], "b": {"c": "x"}, "c": 2});
        let vars = Map::new();
        let random = || 0;
        let env = Env { input: &input, context: &input, vars: &vars, random: &random };
        if let Ok(path) = Path::parse(&text) {
            let _ = path.select(&env);
            let _ = path.normalized();
        }
        if let Ok(path) = Path::parse_reference(&text) {
            let _ = path.write(input.clone(), json!(1));
        }
    }
}

/// Random JSON over the keys `a`, `b`, `c`, nested a few levels.
fn arb_doc() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,4}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| prop_oneof![
        proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
        proptest::collection::btree_map("[abc]", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
    ])
}

/// A definite segment: a name (plain or quoted) or an index.
fn arb_definite_segment() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        proptest::sample::select(&["a", "b", "c"][..]).prop_map(|n| format!(".{n}")),
        proptest::sample::select(&["a", "b", "c", "k y", "é'"][..]).prop_map(|n| format!("['{}']", n.replace('\'', "\\'"))),
        (0u8..4).prop_map(|i| format!("[{i}]")),
    ]
}

/// Any segment: definite ones, negative indexes, wildcards, slices, unions, filters, descendants.
fn arb_segment() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        4 => arb_definite_segment(),
        1 => (-4i8..4).prop_map(|i| format!("[{i}]")),
        1 => (proptest::option::of(-3i8..4), proptest::option::of(-3i8..4), proptest::option::of(-2i8..3)).prop_map(|(a, b, s)| {
            let show = |x: Option<i8>| x.map(|x| x.to_string()).unwrap_or_default();
            match s { Some(s) => format!("[{}:{}:{}]", show(a), show(b), s), None => format!("[{}:{}]", show(a), show(b)) }
        }),
        2 => proptest::sample::select(&[
            "[*]", ".*", "..a", "..*", "..[0]", "['a','b']", "[0,2]", "[?(@.a)]", "[?(@.a > 1)]", "[?(@ == 'x')]",
            "[?(@.b == null)]", "[?(@.a && @.b)]", "[?(!@.c)]", "[?(@.a =~ /x.*/)]", "[?(@.a in [1,2])]", "[?(@.length > 1)]",
        ][..]).prop_map(str::to_owned),
    ]
}

proptest::proptest! {
    /// Structured paths on random documents: selecting never panics, and a query (not a definite path) selects an array.
    #[test]
    fn random_paths_select(doc in arb_doc(), segments in proptest::collection::vec(arb_segment(), 0..5)) {
        let text = format!("${}", segments.concat());
        let vars = Map::new();
        let random = || 0;
        let env = Env { input: &doc, context: &doc, vars: &vars, random: &random };
        if let Ok(path) = Path::parse(&text) {
            let selected = path.select(&env);
            let fails_always = matches!(&selected, Err(message) if message.starts_with("Multi properties can only be used as path leafs"));
            if !path.is_definite() && !fails_always {
                proptest::prop_assert!(matches!(selected, Ok(Value::Array(_))), "{text}: {selected:?}");
            }
        }
    }

    /// Writing through a reference path and reading back gives the value written.
    #[test]
    fn written_values_read_back(doc in arb_doc(), segments in proptest::collection::vec(arb_definite_segment(), 1..4)) {
        let text = format!("${}", segments.concat());
        let path = Path::parse_reference(&text).expect("definite segments make a reference path");
        let marker = json!({"written": true});
        if let Ok(written) = path.write(doc, marker.clone()) {
            let vars = Map::new();
            let random = || 0;
            let env = Env { input: &written, context: &written, vars: &vars, random: &random };
            proptest::prop_assert_eq!(path.select(&env), Ok(marker), "{}", text);
        }
    }
    /// Writing in place gives what `write` gives, and `unwrite` restores the document, member order included.
    #[test]
    fn in_place_writes_match_and_undo(doc in arb_doc(), segments in proptest::collection::vec(arb_definite_segment(), 1..4)) {
        let text = format!("${}", segments.concat());
        let path = Path::parse_reference(&text).expect("definite segments make a reference path");
        let marker = json!({"written": true});
        let mut target = doc.clone();
        match path.write_in_place(&mut target, marker.clone()) {
            Ok(old) => {
                let written = path.write(doc.clone(), marker).map(|v| v.to_string());
                proptest::prop_assert_eq!(written, Ok(target.to_string()), "{}", text);
                path.unwrite(&mut target, old);
            }
            Err(value) => proptest::prop_assert_eq!(value, marker),
        }
        proptest::prop_assert_eq!(target.to_string(), doc.to_string(), "{}", text);
    }
}
