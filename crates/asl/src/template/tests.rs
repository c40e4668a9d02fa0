//! Tests for `crate::template`: compilation errors with pointers, evaluation, and AWS's failure causes.

use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::template::Template;
use crate::{Env, Failure};

/// Compiles `template` and evaluates it against `input` (context `{"Execution": {"Name": "run"}}`, variable `v`).
#[track_caller]
fn check(template: Value, input: Value, expect: &str) {
    let context = json!({"Execution": {"Name": "run", "Input": {"x": 1}}});
    let mut vars = Map::new();
    vars.insert("v".to_owned(), json!({"k": "var"}));
    let random = || 7;
    let env = Env {
        input: &input,
        context: &context,
        vars: &vars,
        random: &random,
    };
    let actual = match Template::compile(&template) {
        Err(errors) => {
            let lines: Vec<String> = errors
                .into_iter()
                .map(|(pointer, message)| format!("{pointer}: {message}"))
                .collect();
            format!("compile errors: {}", lines.join(" | "))
        }
        Ok(compiled) => match compiled.evaluate(&env) {
            Ok(value) => value.to_string(),
            Err(Failure { error, cause }) => format!("{error}: {}", cause.unwrap_or_default()),
        },
    };
    assert_eq!(actual, expect);
}

// Evaluation.
#[test] fn constant() { check(json!({"a": 1, "b": [1, {"c": "d"}]}), json!({}), r#"{"a":1,"b":[1,{"c":"d"}]}"#) }
#[test] fn scalar_template() { check(json!("x"), json!({}), r#""x""#) }
#[test] fn path_field() { check(json!({"value.$": "$.a"}), json!({"a": [1]}), r#"{"value":[1]}"#) }
#[test] fn root_path() { check(json!({"all.$": "$"}), json!({"a": 1}), r#"{"all":{"a":1}}"#) }
#[test] fn context_path() { check(json!({"name.$": "$$.Execution.Name"}), json!({}), r#"{"name":"run"}"#) }
#[test] fn variable_path() { check(json!({"k.$": "$v.k", "whole.$": "$v"}), json!({}), r#"{"k":"var","whole":{"k":"var"}}"#) }
#[test] fn query_path() { check(json!({"items.$": "$.items[*].v"}), json!({"items": [{"v": 1}, {"v": 2}]}), r#"{"items":[1,2]}"#) }
#[test] fn query_path_no_match() { check(json!({"item.$": "$.item.items[1:5].itemValue"}), json!({}), r#"{"item":[]}"#) }
#[test] fn filter_path() { check(json!({"FromInput.$": "$.users[?(@.status == 0)]"}), json!({"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]}), r#"{"FromInput":[{"year":1997,"status":0}]}"#) }
#[test] fn intrinsic_field() { check(json!({"FunctionResult.$": "States.Array()"}), json!({}), r#"{"FunctionResult":[]}"#) }
#[test] fn intrinsic_with_context() { check(json!({"r.$": "States.Format('{}-{}', $$.Execution.Name, $.a)"}), json!({"a": 2}), r#"{"r":"run-2"}"#) }
#[test] fn nested_objects() { check(json!({"outer": {"inner.$": "$.a", "keep": true}}), json!({"a": 5}), r#"{"outer":{"inner":5,"keep":true}}"#) }
#[test] fn arrays_of_objects() { check(json!({"list": [{"x.$": "$.a"}, 3, {"y": 1}]}), json!({"a": "A"}), r#"{"list":[{"x":"A"},3,{"y":1}]}"#) }
#[test] fn order_kept() { check(json!({"z": 1, "a.$": "$.a", "m": 2}), json!({"a": 0}), r#"{"z":1,"a":0,"m":2}"#) }
#[test] fn dollar_string_without_suffix_is_constant() { check(json!({"a": "$.a"}), json!({"a": 1}), r#"{"a":"$.a"}"#) }
#[test] fn intrinsic_string_without_suffix_is_constant() { check(json!({"not_an_intrinsic_function": "States.UUID()"}), json!({}), r#"{"not_an_intrinsic_function":"States.UUID()"}"#) }
#[test] fn dash_key_path() { check(json!({"partner.$": "$.delivery-partner"}), json!({"delivery-partner": "p"}), r#"{"partner":"p"}"#) }
#[test] fn escaped_bracket_path() { check(json!({"value.$": "$['Test\\\"\"Name\"']"}), json!({"Test\\\"\"Name\"": "Value\"\\"}), r#"{"value":"Value\"\\"}"#) }
#[test] fn array_index_path() { check(json!({"item.$": "$.items[10]"}), json!({"items": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, {"item_key": 10}]}), r#"{"item":{"item_key":10}}"#) }
#[test] fn path_with_blanks() { check(json!({"a.$": "$$.Execution.Name ", "b.$": " $.x"}), json!({"x": 1}), r#"{"a":"run","b":1}"#) }
#[test] fn path_with_multi_names() { check(json!({"r.$": "$.[*].['bucket', 'key']"}), json!([{"bucket": "b", "key": "k", "n": 1}]), r#"{"r":[{"bucket":"b","key":"k"}]}"#) }

// Failures, with AWS's causes (scenarios/base_scenarios.test_invalid_jsonpath.*).
#[test] fn missing_path() { check(json!({"value.$": "$.no_such_jsonpath"}), json!({"int-literal": 0}), r#"States.Runtime: The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"int-literal":0}'"#) }
#[test] fn missing_context_path() { check(json!({"value.$": "$$.Execution.Input.no_such_jsonpath"}), json!({"int-literal": 0}), r#"States.Runtime: The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"int-literal":0}'"#) }
#[test] fn missing_intermediate() { check(json!({"deep": {"value.$": "$.a.b.c"}}), json!({}), "States.Runtime: The JSONPath '$.a.b.c' specified for the field 'value.$' could not be found in the input '{}'") }
#[test] fn missing_variable() { check(json!({"value.$": "$nope"}), json!({}), "States.Runtime: The JSONPath '$nope' specified for the field 'value.$' could not be found in the input '{}'") }
#[test] fn intrinsic_failure() { check(json!({"r.$": "States.ArrayLength($.a)"}), json!({"a": 1}), "States.IntrinsicFailure: Invalid arguments in States.ArrayLength: argument 1 must be an array, got 1") }
#[test] fn unquoted_filter_word() { check(json!({"r.$": "$.Labels[?(@.Name==Receipt)]"}), json!({"Labels": []}), r#"States.Runtime: The JSONPath '$.Labels[?(@.Name==Receipt)]' specified for the field 'r.$' could not be found in the input '{"Labels":[]}'"#) }
#[test] fn failure_in_array() { check(json!([{"r.$": "$.nope"}]), json!({}), "States.Runtime: The JSONPath '$.nope' specified for the field 'r.$' could not be found in the input '{}'") }

// Compile errors: every one, with a pointer.
#[test] fn not_a_string() { check(json!({"a.$": 1}), json!({}), "compile errors: /a.$: the value of field 'a.$' must be a string holding a path or an intrinsic function call") }
#[test] fn neither_path_nor_call() { check(json!({"a.$": "hello"}), json!({}), "compile errors: /a.$: the value of field 'a.$' must be a path (starting with '$') or an intrinsic function call, got 'hello'") }
#[test] fn bad_path() { check(json!({"a.$": "$.a b"}), json!({}), "compile errors: /a.$: invalid JSONPath '$.a b': unexpected characters in property name 'a b'") }
#[test] fn bad_call() { check(json!({"a.$": "States.Nope()"}), json!({}), "compile errors: /a.$: unknown intrinsic function 'States.Nope'") }
#[test] fn all_errors_with_pointers() { check(json!({"x": [{"a.$": 1}, {"b/c~d.$": "?"}], "y.$": "States.UUID(1)"}), json!({}), "compile errors: /x/0/a.$: the value of field 'a.$' must be a string holding a path or an intrinsic function call | /x/1/b~1c~0d.$: the value of field 'b/c~d.$' must be a path (starting with '$') or an intrinsic function call, got '?' | /y.$: States.UUID takes 0 argument(s) but was given 1") }

#[test]
fn is_constant() {
    let constant = Template::compile(&json!({"a": [1, {"b": 2}]})).expect("template compiles");
    let dynamic = Template::compile(&json!({"a": [1, {"b.$": "$"}]})).expect("template compiles");
    assert!(constant.is_constant() && !dynamic.is_constant());
}

/// Evaluation must stay far below 1µs for a 3-field template (pass_chain_100 budget); this guards against
/// accidental re-parsing. In debug builds the bound is loose.
#[test]
fn evaluation_is_fast() {
    let template =
        Template::compile(&json!({"a.$": "$.x", "b.$": "$$.Execution.Name", "c": "const"})).expect("template compiles");
    let input = json!({"x": 1});
    let context = json!({"Execution": {"Name": "run"}});
    let vars = Map::new();
    let random = || 0;
    let env = Env {
        input: &input,
        context: &context,
        vars: &vars,
        random: &random,
    };
    let rounds = 20_000u32;
    let start = Instant::now();
    for _ in 0..rounds {
        let _ = template.evaluate(&env);
    }
    let per_call = start.elapsed() / rounds;
    assert!(per_call.as_micros() < 20, "template evaluation took {per_call:?}");
}
