//! Tests for `crate::intrinsics`: every function and error branch; expected values come from the conformance corpus
//! (`intrinsic_functions/*`) where it has them.

use serde_json::{Map, Value, json};

use crate::intrinsics::{Call, Function, java_double};
use crate::{Env, Failure};

/// Parses and evaluates `call` against `input`, with a small Context object, variables `name` and `obj`, and a
/// random source that always returns `0x0123_4567_89ab_cdef`.
#[track_caller]
fn check(input: Value, call: &str, expect: &str) {
    let context = json!({"StateMachine": {"Id": "arn:sm", "Name": "my-machine-name"}, "Execution": {"Name": "run"}});
    let mut vars = Map::new();
    vars.insert("name".to_owned(), json!("Ada"));
    vars.insert("obj".to_owned(), json!({"a": 1}));
    let random = || 0x0123_4567_89ab_cdef_u64;
    let env = Env {
        input: &input,
        context: &context,
        vars: &vars,
        random: &random,
    };
    let actual = match Call::parse(call) {
        Err(message) => format!("parse error: {message}"),
        Ok(parsed) => match parsed.evaluate(&env) {
            Ok(value) => value.to_string(),
            Err(Failure { error, cause }) => format!("{error}: {}", cause.unwrap_or_default()),
        },
    };
    assert_eq!(actual, expect, "call {call}");
}

/// `check` with input `{"FunctionInput": input}`, as the corpus cases have it.
#[track_caller]
fn check_fi(input: Value, call: &str, expect: &str) {
    check(json!({"FunctionInput": input}), call, expect)
}

const TWO: &str = "$.FunctionInput.fst, $.FunctionInput.snd";

// States.Format
#[test] fn format_empty() { check_fi(json!(""), "States.Format('Formatting argument {}.', $.FunctionInput)", r#""Formatting argument .""#) }
#[test] fn format_space() { check_fi(json!(" "), "States.Format('Formatting argument {}.', $.FunctionInput)", r#""Formatting argument  .""#) }
#[test] fn format_string() { check_fi(json!("HelloWorld"), "States.Format('Formatting argument {}.', $.FunctionInput)", r#""Formatting argument HelloWorld.""#) }
#[test] fn format_null() { check_fi(json!(null), "States.Format('Formatting argument {}.', $.FunctionInput)", r#""Formatting argument null.""#) }
#[test] fn format_int() { check_fi(json!(1), "States.Format('Formatting argument {}.', $.FunctionInput)", r#""Formatting argument 1.""#) }
#[test] fn format_float() { check_fi(json!(1.1), "States.Format('Formatting argument {}.', $.FunctionInput)", r#""Formatting argument 1.1.""#) }
#[test] fn format_json_text() { check_fi(json!("{\"Arg1\": 1, \"Arg2\": []}"), "States.Format('Formatting argument {}.', $.FunctionInput)", r#""Formatting argument {\"Arg1\": 1, \"Arg2\": []}.""#) }
#[test] fn format_two() { check_fi(json!({"fst": "a", "snd": 2}), "States.Format('fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)", r#""fst=a and snd=2.""#) }
#[test] fn format_object_java_style() { check_fi(json!({"fst": {"Arg1": 1, "Arg2": []}, "snd": {"Arg1": 1, "Arg2": []}}), "States.Format('fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)", r#""fst={Arg1=1, Arg2=[]} and snd={Arg1=1, Arg2=[]}.""#) }
#[test] fn format_context_object() { check(json!({}), "States.Format('fst={} and snd={}.', $$.Execution.Name, $$.StateMachine)", r#""fst=run and snd={Id=arn:sm, Name=my-machine-name}.""#) }
#[test] fn format_array_java_style() { check(json!({"a": [1, "x", null, true, [2.5]]}), "States.Format('{}', $.a)", r#""[1, x, null, true, [2.5]]""#) }
#[test] fn format_literals() { check(json!({}), "States.Format('{} {} {} {}', 'x', 42, -1.5, false)", r#""x 42 -1.5 false""#) }
#[test] fn format_big_double() { check(json!({"a": 1e20}), "States.Format('{}', $.a)", r#""1.0E20""#) }
#[test] fn format_escaped_braces() { check(json!({}), r"States.Format('\{\} {}', 'x')", r#""{} x""#) }
#[test] fn format_escaped_quote_and_backslash() { check(json!({}), r"States.Format('it\'s \\ {}', 'x')", r#""it's \\ x""#) }
#[test] fn format_template_from_path() { check(json!({"t": "Hello {}, welcome to {}!", "p": "Baton"}), "States.Format($.t, $name, $.p)", r#""Hello Ada, welcome to Baton!""#) }
#[test] fn format_no_placeholders() { check(json!({}), "States.Format('plain')", r#""plain""#) }
#[test] fn format_too_few_values() { check(json!({}), "States.Format('{} {}', 'x')", "States.IntrinsicFailure: Invalid arguments in States.Format: the template has 2 placeholder(s) but 1 value(s) were given") }
#[test] fn format_too_many_values() { check(json!({}), "States.Format('{}', 'x', 'y')", "States.IntrinsicFailure: Invalid arguments in States.Format: the template has 1 placeholder(s) but 2 value(s) were given") }
#[test] fn format_template_not_string() { check(json!({"t": 1}), "States.Format($.t)", "States.IntrinsicFailure: Invalid arguments in States.Format: argument 1 must be a string, got 1") }

// States.StringToJson
#[test] fn string_to_json_empty() { check_fi(json!(""), "States.StringToJson($.FunctionInput)", "null") }
#[test] fn string_to_json_blank() { check_fi(json!(" "), "States.StringToJson($.FunctionInput)", "null") }
#[test] fn string_to_json_null() { check_fi(json!("null"), "States.StringToJson($.FunctionInput)", "null") }
#[test] fn string_to_json_negative_zero() { check_fi(json!("-0"), "States.StringToJson($.FunctionInput)", "0") }
#[test] fn string_to_json_int() { check_fi(json!("1"), "States.StringToJson($.FunctionInput)", "1") }
#[test] fn string_to_json_float() { check_fi(json!("1.1"), "States.StringToJson($.FunctionInput)", "1.1") }
#[test] fn string_to_json_bool() { check_fi(json!("true"), "States.StringToJson($.FunctionInput)", "true") }
#[test] fn string_to_json_string() { check_fi(json!("\"HelloWorld\""), "States.StringToJson($.FunctionInput)", r#""HelloWorld""#) }
#[test] fn string_to_json_array() { check_fi(json!("[1, 2, \"HelloWorld\"]"), "States.StringToJson($.FunctionInput)", r#"[1,2,"HelloWorld"]"#) }
#[test] fn string_to_json_object() { check_fi(json!("{\"Arg1\": 1, \"Arg2\": []}"), "States.StringToJson($.FunctionInput)", r#"{"Arg1":1,"Arg2":[]}"#) }
#[test] fn string_to_json_literal_keeps_other_escapes() { check(json!({}), r#"States.StringToJson('{"text":"An \"escaped\" here"}')"#, r#"{"text":"An \"escaped\" here"}"#) }
#[test] fn string_literal_escaped_quote() { check(json!({}), r"States.Array('\'a\'', '\{\}', 'b\\s', 'n\n')", r#"["'a'","{}","b\\s","n\\n"]"#) }
#[test] fn string_to_json_negative_zero_float() { check_fi(json!("-0.0"), "States.StringToJson($.FunctionInput)", "-0.0") }
#[test] fn string_to_json_invalid() { check_fi(json!("{"), "States.StringToJson($.FunctionInput)", "States.IntrinsicFailure: Invalid arguments in States.StringToJson: the argument is not valid JSON text: EOF while parsing an object at line 1 column 1") }
#[test] fn string_to_json_not_string() { check_fi(json!(1), "States.StringToJson($.FunctionInput)", "States.IntrinsicFailure: Invalid arguments in States.StringToJson: argument 1 must be a string, got 1") }

// States.JsonToString
#[test] fn json_to_string_null() { check_fi(json!(null), "States.JsonToString($.FunctionInput)", r#""null""#) }
#[test] fn json_to_string_zero() { check_fi(json!(0), "States.JsonToString($.FunctionInput)", r#""0""#) }
#[test] fn json_to_string_float() { check_fi(json!(1.1), "States.JsonToString($.FunctionInput)", r#""1.1""#) }
#[test] fn json_to_string_bool() { check_fi(json!(true), "States.JsonToString($.FunctionInput)", r#""true""#) }
#[test] fn json_to_string_string() { check_fi(json!("HelloWorld"), "States.JsonToString($.FunctionInput)", r#""\"HelloWorld\"""#) }
#[test] fn json_to_string_array() { check_fi(json!([1, 2, "HelloWorld"]), "States.JsonToString($.FunctionInput)", r#""[1,2,\"HelloWorld\"]""#) }
#[test] fn json_to_string_object() { check_fi(json!({"Arg1": 1, "Arg2": []}), "States.JsonToString($.FunctionInput)", r#""{\"Arg1\":1,\"Arg2\":[]}""#) }
#[test] fn json_to_string_variable() { check(json!({}), "States.JsonToString($obj)", r#""{\"a\":1}""#) }

// States.Array
#[test] fn array_empty() { check_fi(json!("HelloWorld"), "States.Array()", "[]") }
#[test] fn array_paths() { check_fi(json!({"fst": {"Arg1": 1, "Arg2": []}, "snd": null}), &format!("States.Array({TWO})"), r#"[{"Arg1":1,"Arg2":[]},null]"#) }
#[test] fn array_literals() { check(json!({}), "States.Array('a', 1, 2.5, true, false, null)", r#"["a",1,2.5,true,false,null]"#) }
#[test] fn array_nested_call() { check(json!({}), "States.Array(States.Array(1), States.ArrayLength(States.Array(1, 2)))", "[[1],2]") }

// States.ArrayPartition
#[test] fn partition_empty() { check_fi(json!({"fst": [], "snd": 1}), &format!("States.ArrayPartition({TWO})"), "[]") }
#[test] fn partition_exact() { check_fi(json!({"fst": [0, 1, 2, 3], "snd": 2}), &format!("States.ArrayPartition({TWO})"), "[[0,1],[2,3]]") }
#[test] fn partition_remainder() { check_fi(json!({"fst": [0, 1, 2, 3], "snd": 3}), &format!("States.ArrayPartition({TWO})"), "[[0,1,2],[3]]") }
#[test] fn partition_larger_than_array() { check_fi(json!({"fst": [0, 1], "snd": 5}), &format!("States.ArrayPartition({TWO})"), "[[0,1]]") }
#[test] fn partition_ones() { check_fi(json!({"fst": [0, 1, 2], "snd": 1}), &format!("States.ArrayPartition({TWO})"), "[[0],[1],[2]]") }
#[test] fn partition_zero() { check(json!({}), "States.ArrayPartition(States.Array(1), 0)", "States.IntrinsicFailure: Invalid arguments in States.ArrayPartition: the chunk size must be a positive integer, got 0") }
#[test] fn partition_negative() { check(json!({}), "States.ArrayPartition(States.Array(1), -2)", "States.IntrinsicFailure: Invalid arguments in States.ArrayPartition: the chunk size must be a positive integer, got -2") }
#[test] fn partition_fraction() { check(json!({}), "States.ArrayPartition(States.Array(1), 1.5)", "States.IntrinsicFailure: Invalid arguments in States.ArrayPartition: argument 2 must be an integer, got 1.5") }
#[test] fn partition_integral_float() { check(json!({}), "States.ArrayPartition(States.Array(1, 2), 1.0)", "[[1],[2]]") }
#[test] fn partition_not_array() { check(json!({}), "States.ArrayPartition('x', 1)", r#"States.IntrinsicFailure: Invalid arguments in States.ArrayPartition: argument 1 must be an array, got "x""#) }

// States.ArrayContains
#[test] fn contains_empty() { check_fi(json!({"fst": [], "snd": null}), &format!("States.ArrayContains({TWO})"), "false") }
#[test] fn contains_array_element() { check_fi(json!({"fst": [[1, 2, 3], 2], "snd": [1, 2, 3]}), &format!("States.ArrayContains({TWO})"), "true") }
#[test] fn contains_not_null() { check_fi(json!({"fst": [[1, 2, 3], 2], "snd": null}), &format!("States.ArrayContains({TWO})"), "false") }
#[test] fn contains_object() { check_fi(json!({"fst": [{"1": 2, "2": []}], "snd": {"1": 2, "2": []}}), &format!("States.ArrayContains({TWO})"), "true") }
#[test] fn contains_object_not_array() { check_fi(json!({"fst": [{"1": 2, "2": []}], "snd": []}), &format!("States.ArrayContains({TWO})"), "false") }
#[test] fn contains_false() { check_fi(json!({"fst": [true, false], "snd": false}), &format!("States.ArrayContains({TWO})"), "true") }
#[test] fn contains_literal() { check(json!({"a": [1, 5]}), "States.ArrayContains($.a, 5)", "true") }
#[test] fn contains_not_array() { check(json!({}), "States.ArrayContains(1, 1)", "States.IntrinsicFailure: Invalid arguments in States.ArrayContains: argument 1 must be an array, got 1") }

// States.ArrayRange
#[test] fn range_step_three() { check_fi(json!({"fst": 0, "snd": 9, "trd": 3}), "States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)", "[0,3,6,9]") }
#[test] fn range_end_not_on_step() { check_fi(json!({"fst": 0, "snd": 10, "trd": 3}), "States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)", "[0,3,6,9]") }
#[test] fn range_single() { check_fi(json!({"fst": 1, "snd": 9, "trd": 9}), "States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)", "[1]") }
#[test] fn range_odd() { check(json!({}), "States.ArrayRange(1, 9, 2)", "[1,3,5,7,9]") }
#[test] fn range_descending() { check(json!({}), "States.ArrayRange(5, 1, -2)", "[5,3,1]") }
#[test] fn range_wrong_direction() { check(json!({}), "States.ArrayRange(5, 1, 2)", "[]") }
#[test] fn range_max() { check(json!({}), "States.ArrayLength(States.ArrayRange(1, 1000, 1))", "1000") }
#[test] fn range_too_long() { check(json!({}), "States.ArrayRange(0, 1000, 1)", "States.IntrinsicFailure: Invalid arguments in States.ArrayRange: the range would have 1001 elements; at most 1000 are allowed") }
#[test] fn range_zero_step() { check(json!({}), "States.ArrayRange(0, 10, 0)", "States.IntrinsicFailure: Invalid arguments in States.ArrayRange: the step must not be 0") }
#[test] fn range_not_integer() { check(json!({}), "States.ArrayRange(0, 'a', 1)", r#"States.IntrinsicFailure: Invalid arguments in States.ArrayRange: argument 2 must be an integer, got "a""#) }

// States.ArrayGetItem
#[test] fn get_item() { check_fi(json!({"fst": [1, 2, 3, 4, 5, 6, 7, 8, 9], "snd": 5}), &format!("States.ArrayGetItem({TWO})"), "6") }
#[test] fn get_item_nested() { check(json!({}), "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)", r#""my""#) }
#[test] fn get_item_last_nested() { check(json!({}), "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))", r#""name""#) }
#[test] fn get_item_out_of_bounds() { check(json!({}), "States.ArrayGetItem(States.Array(1), 1)", "States.IntrinsicFailure: Invalid arguments in States.ArrayGetItem: index 1 is out of bounds for an array of length 1") }
#[test] fn get_item_negative() { check(json!({}), "States.ArrayGetItem(States.Array(1), -1)", "States.IntrinsicFailure: Invalid arguments in States.ArrayGetItem: index -1 is out of bounds for an array of length 1") }

// States.ArrayLength
#[test] fn length() { check_fi(json!([1, 2, 3, 4, 5, 6, 7, 8, 9]), "States.ArrayLength($.FunctionInput)", "9") }
#[test] fn length_with_duplicates() { check_fi(json!([null, null, true, true, 1, 1, 1.1, "a", "a", [], [], {"a": 1}, {"a": 1}]), "States.ArrayLength($.FunctionInput)", "13") }
#[test] fn length_not_array() { check(json!({}), "States.ArrayLength('abc')", r#"States.IntrinsicFailure: Invalid arguments in States.ArrayLength: argument 1 must be an array, got "abc""#) }

// States.ArrayUnique
#[test] fn unique() { check_fi(json!([null, null, true, true, false, false, 1, 1, 1.1, 0, 0, "HelloWorld", "HelloWorld", [], [], [null], [null], {"a": 1, "b": 2}, {"a": 1, "b": 2}, {"a": 1, "b": 1}]), "States.ArrayUnique($.FunctionInput)", r#"[null,true,false,1,1.1,0,"HelloWorld",[],[null],{"a":1,"b":2},{"a":1,"b":1}]"#) }
#[test] fn unique_not_array() { check(json!({}), "States.ArrayUnique(null)", "States.IntrinsicFailure: Invalid arguments in States.ArrayUnique: argument 1 must be an array, got null") }

// States.Base64Encode / Base64Decode
#[test] fn base64_encode() { check_fi(json!("Data to encode"), "States.Base64Encode($.FunctionInput)", r#""RGF0YSB0byBlbmNvZGU=""#) }
#[test] fn base64_encode_empty() { check_fi(json!(""), "States.Base64Encode($.FunctionInput)", r#""""#) }
#[test] fn base64_decode() { check_fi(json!("RGF0YSB0byBlbmNvZGU="), "States.Base64Decode($.FunctionInput)", r#""Data to encode""#) }
#[test] fn base64_decode_empty() { check_fi(json!(""), "States.Base64Decode($.FunctionInput)", r#""""#) }
#[test] fn base64_decode_invalid() { check(json!({}), "States.Base64Decode('%%%')", "States.IntrinsicFailure: Invalid arguments in States.Base64Decode: the input is not valid base64: Invalid symbol 37, offset 0.") }
#[test] fn base64_decode_not_utf8() { check(json!({}), "States.Base64Decode('/w==')", "States.IntrinsicFailure: Invalid arguments in States.Base64Decode: the decoded data is not valid UTF-8") }
#[test] fn base64_encode_not_string() { check(json!({}), "States.Base64Encode(1)", "States.IntrinsicFailure: Invalid arguments in States.Base64Encode: argument 1 must be a string, got 1") }
#[test] fn base64_encode_too_long() { check(json!({"s": "x".repeat(10_001)}), "States.Base64Encode($.s)", "States.IntrinsicFailure: Invalid arguments in States.Base64Encode: the input has 10001 characters; at most 10000 are allowed") }
#[test] fn base64_encode_at_limit() { check(json!({"s": "é".repeat(10_000)}), "States.ArrayLength(States.Array(States.Base64Encode($.s)))", "1") }

// States.Hash
#[test] fn hash_md5() { check_fi(json!({"fst": "input data", "snd": "MD5"}), &format!("States.Hash({TWO})"), r#""812f45842bc6d66ee14572ce20db8e86""#) }
#[test] fn hash_sha1() { check_fi(json!({"fst": "input data", "snd": "SHA-1"}), &format!("States.Hash({TWO})"), r#""aaff4a450a104cd177d28d18d74485e8cae074b7""#) }
#[test] fn hash_sha256() { check_fi(json!({"fst": "input data", "snd": "SHA-256"}), &format!("States.Hash({TWO})"), r#""b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3""#) }
#[test] fn hash_sha384() { check_fi(json!({"fst": "input data", "snd": "SHA-384"}), &format!("States.Hash({TWO})"), r#""d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562""#) }
#[test] fn hash_sha512() { check_fi(json!({"fst": "input data", "snd": "SHA-512"}), &format!("States.Hash({TWO})"), r#""6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4""#) }
#[test] fn hash_unknown_algorithm() { check(json!({}), "States.Hash('x', 'SHA-3')", "States.IntrinsicFailure: Invalid arguments in States.Hash: unsupported hash algorithm 'SHA-3'; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512") }
#[test] fn hash_not_string() { check(json!({}), "States.Hash(1, 'MD5')", "States.IntrinsicFailure: Invalid arguments in States.Hash: argument 1 must be a string, got 1") }
#[test] fn hash_too_long() { check(json!({"s": "x".repeat(10_001)}), "States.Hash($.s, 'MD5')", "States.IntrinsicFailure: Invalid arguments in States.Hash: the input has 10001 characters; at most 10000 are allowed") }

// States.JsonMerge (AWS's key order is not significant: the corpus compares values, and shows `a, b, c, d`).
#[test] fn merge() { check_fi(json!({"fst": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}, "snd": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}}), &format!("States.JsonMerge({TWO}, false)"), r#"{"a":{"a3":1,"a4":2},"b":2,"d":4,"c":3}"#) }
#[test] fn merge_escaped_literal() { check(json!({"input_field": {"constant_input_field": "constant_value"}}), r#"States.JsonMerge(States.StringToJson('{"constant_in_literal": "false"}'), $.input_field, false)"#, r#"{"constant_in_literal":"false","constant_input_field":"constant_value"}"#) }
#[test] fn merge_deep_rejected() { check(json!({}), "States.JsonMerge($obj, $obj, true)", "States.IntrinsicFailure: Invalid arguments in States.JsonMerge: deep merge is not supported; the third argument must be false") }
#[test] fn merge_flag_not_bool() { check(json!({}), "States.JsonMerge($obj, $obj, 'false')", r#"States.IntrinsicFailure: Invalid arguments in States.JsonMerge: argument 3 must be a boolean, got "false""#) }
#[test] fn merge_not_object() { check(json!({}), "States.JsonMerge($obj, States.Array(), false)", "States.IntrinsicFailure: Invalid arguments in States.JsonMerge: argument 2 must be an object, got []") }

// States.MathRandom
#[test] fn random_unseeded() { check(json!({}), "States.MathRandom(0, 1000)", &(0x0123_4567_89ab_cdef_u64 % 1000).to_string()) }
#[test] fn random_negative_range() { check(json!({}), "States.MathRandom(-99999, -9999)", &(-99999 + (0x0123_4567_89ab_cdef_u64 % 90000) as i64).to_string()) }
#[test] fn random_rounds_floats() { check(json!({"a": 12.5, "b": 14.5}), "States.MathRandom($.a, $.b)", "14") }
// A JVM gives `new java.util.Random(3).nextInt(999) == 239` and `new java.util.Random(42).nextInt(8) == 5`.
#[test] fn random_seeded_like_java() { check(json!({}), "States.MathRandom(0, 999, 3)", "239") }
#[test] fn random_seeded_power_of_two() { check(json!({}), "States.MathRandom(10, 18, 42)", "15") }
#[test] fn random_empty_range() { check(json!({}), "States.MathRandom(5, 5)", "States.IntrinsicFailure: Invalid arguments in States.MathRandom: the start 5 must be less than the end 5") }
#[test] fn random_not_number() { check(json!({}), "States.MathRandom('a', 5)", r#"States.IntrinsicFailure: Invalid arguments in States.MathRandom: argument 1 must be a number, got "a""#) }
#[test] fn random_seeded_range_too_large() { check(json!({}), "States.MathRandom(0, 9999999999, 1)", "States.IntrinsicFailure: Invalid arguments in States.MathRandom: the range is too large for a seeded call") }

// States.MathAdd: each argument is rounded half up first (corpus: 1.49 + 1.5 = 3, 1.5 + 1.51 = 4, -0.5 + 0.5 = 1).
#[test] fn add_ints() { check_fi(json!({"fst": -9, "snd": 3}), &format!("States.MathAdd({TWO})"), "-6") }
#[test] fn add_rounds_each() { check_fi(json!({"fst": 1.49, "snd": 1.5}), &format!("States.MathAdd({TWO})"), "3") }
#[test] fn add_rounds_each_up() { check_fi(json!({"fst": 1.5, "snd": 1.51}), &format!("States.MathAdd({TWO})"), "4") }
#[test] fn add_negative_halves() { check_fi(json!({"fst": -1.49, "snd": -1.5}), &format!("States.MathAdd({TWO})"), "-2") }
#[test] fn add_negative_halves_2() { check_fi(json!({"fst": -1.5, "snd": -1.51}), &format!("States.MathAdd({TWO})"), "-3") }
#[test] fn add_opposite_halves() { check_fi(json!({"fst": -0.5, "snd": 0.5}), &format!("States.MathAdd({TWO})"), "1") }
#[test] fn add_minus_half() { check_fi(json!({"fst": -0.5, "snd": 0}), &format!("States.MathAdd({TWO})"), "0") }
#[test] fn add_minus_two_and_half() { check_fi(json!({"fst": -2.5, "snd": 0}), &format!("States.MathAdd({TWO})"), "-2") }
#[test] fn add_two_and_half() { check_fi(json!({"fst": 2.5, "snd": 0}), &format!("States.MathAdd({TWO})"), "3") }
#[test] fn add_literal() { check(json!({"Iterations": 3}), "States.MathAdd($.Iterations, -1)", "2") }
#[test] fn add_nested() { check(json!({}), "States.MathAdd(States.MathAdd(1, 2), 3)", "6") }
#[test] fn add_overflow() { check(json!({}), "States.MathAdd(9223372036854775807, 1)", "States.IntrinsicFailure: Invalid arguments in States.MathAdd: the sum overflows") }
#[test] fn add_not_number() { check(json!({}), "States.MathAdd('1', 1)", r#"States.IntrinsicFailure: Invalid arguments in States.MathAdd: argument 1 must be a number, got "1""#) }

// States.StringSplit: every delimiter character separates and empty pieces vanish (Java's StringTokenizer).
#[test] fn split_no_delimiter() { check_fi(json!({"fst": " ", "snd": ","}), &format!("States.StringSplit({TWO})"), r#"[" "]"#) }
#[test] fn split_spaces() { check_fi(json!({"fst": ", , ,", "snd": ","}), &format!("States.StringSplit({TWO})"), r#"[" "," "]"#) }
#[test] fn split_only_delimiters() { check_fi(json!({"fst": ",,,,", "snd": ","}), &format!("States.StringSplit({TWO})"), "[]") }
#[test] fn split_many() { check_fi(json!({"fst": "1,2,3,4,5", "snd": ","}), &format!("States.StringSplit({TWO})"), r#"["1","2","3","4","5"]"#) }
#[test] fn split_several_delimiters() { check_fi(json!({"fst": "This.is+a,test=string", "snd": ".+,="}), &format!("States.StringSplit({TWO})"), r#"["This","is","a","test","string"]"#) }
#[test] fn split_newline_delimiter() { check_fi(json!({"fst": "split on T and \nnew line", "snd": "T\n"}), &format!("States.StringSplit({TWO})"), r#"["split on "," and ","new line"]"#) }
#[test] fn split_literal_newline() { check(json!({}), "States.StringSplit('Hello\nWorld', '\n')", r#"["Hello","World"]"#) }
#[test] fn split_context() { check(json!({}), "States.StringSplit($$.StateMachine.Name, '-')", r#"["my","machine","name"]"#) }
#[test] fn split_empty_delimiters() { check(json!({}), "States.StringSplit('a,b', '')", r#"["a,b"]"#) }
#[test] fn split_not_string() { check(json!({}), "States.StringSplit(1, ',')", "States.IntrinsicFailure: Invalid arguments in States.StringSplit: argument 1 must be a string, got 1") }

// States.UUID
#[test] fn uuid() { check(json!({}), "States.UUID()", r#""01234567-89ab-4def-8123-456789abcdef""#) }

// Arguments and paths.
#[test] fn whitespace_everywhere() { check(json!({"a": 1}), "  States.Array(  $.a ,  'x'  )  ", r#"[1,"x"]"#) }
#[test] fn path_with_filter_arg() { check(json!({"a": [{"b": 1}, {"b": 2}]}), "States.Array($.a[?(@.b > 1)], $.a[0,1])", r#"[[{"b":2}],[{"b":1},{"b":2}]]"#) }
#[test] fn path_with_bracket_name() { check(json!({"a,b": 1}), "States.Array($['a,b'])", "[1]") }
#[test] fn exponent_literal() { check(json!({}), "States.Array(1e3, -2.5E-1)", "[1000.0,-0.25]") }
#[test] fn missing_path_arg() { check(json!({}), "States.Array($.nope)", "States.Runtime: Invalid path '$.nope' : No results for path: $['nope']") }
#[test] fn missing_variable_arg() { check(json!({}), "States.Array($nope)", "States.Runtime: Invalid path '$nope' : The variable '$nope' is not defined") }
#[test] fn nested_failure_propagates() { check(json!({}), "States.Array(States.ArrayLength(1))", "States.IntrinsicFailure: Invalid arguments in States.ArrayLength: argument 1 must be an array, got 1") }
#[test] fn depth_ten() { check(json!({}), "States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array())))))))))", "[[[[[[[[[[]]]]]]]]]]") }

// Parse errors.
#[test] fn depth_eleven() { check(json!({}), "States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array(States.Array()))))))))))", "parse error: intrinsic functions can be nested at most 10 deep") }
#[test] fn unknown_function() { check(json!({}), "States.Nope(1)", "parse error: unknown intrinsic function 'States.Nope'") }
#[test] fn not_states() { check(json!({}), "Foo.Bar()", "parse error: unknown intrinsic function 'Foo.Bar'") }
#[test] fn missing_paren() { check(json!({}), "States.UUID", "parse error: expected '(' at position 11 but the text ended") }
#[test] fn wrong_paren() { check(json!({}), "States.UUID[", "parse error: expected '(' at position 11 but found '['") }
#[test] fn unclosed_args() { check(json!({}), "States.Array(1", "parse error: unclosed argument list of States.Array") }
#[test] fn bad_separator() { check(json!({}), "States.Array(1 2)", "parse error: expected ',' or ')' at position 15 but found '2'") }
#[test] fn trailing_text() { check(json!({}), "States.UUID() x", "parse error: unexpected text after the intrinsic function call at position 14") }
#[test] fn unclosed_string() { check(json!({}), "States.Array('abc)", "parse error: unclosed string literal starting at position 13") }
#[test] fn bad_word() { check(json!({}), "States.Array(yes)", "parse error: invalid argument at position 13: 'yes)'") }
#[test] fn bad_number() { check(json!({}), "States.Array(1-2)", "parse error: invalid number '1-2'") }
#[test] fn empty_argument() { check(json!({}), "States.Array(1,)", "parse error: invalid argument at position 15: ')'") }
#[test] fn text_ends_in_args() { check(json!({}), "States.Array(1,", "parse error: expected an argument but the text ended") }
#[test] fn bad_path_arg() { check(json!({}), "States.Array($.a b)", "parse error: invalid JSONPath '$.a b': unexpected characters in property name 'a b'") }
#[test] fn arity_exact() { check(json!({}), "States.ArrayLength()", "parse error: States.ArrayLength takes 1 argument(s) but was given 0") }
#[test] fn arity_range() { check(json!({}), "States.MathRandom(1)", "parse error: States.MathRandom takes 2 to 3 argument(s) but was given 1") }
#[test] fn arity_at_least() { check(json!({}), "States.Format()", "parse error: States.Format takes at least 1 argument(s) but was given 0") }
#[test] fn arity_none() { check(json!({}), "States.UUID(1)", "parse error: States.UUID takes 0 argument(s) but was given 1") }

#[test]
fn function_names_round_trip() {
    let all = [
        "States.Format",
        "States.StringToJson",
        "States.JsonToString",
        "States.Array",
        "States.ArrayPartition",
        "States.ArrayContains",
        "States.ArrayRange",
        "States.ArrayGetItem",
        "States.ArrayLength",
        "States.ArrayUnique",
        "States.Base64Encode",
        "States.Base64Decode",
        "States.Hash",
        "States.JsonMerge",
        "States.MathRandom",
        "States.MathAdd",
        "States.StringSplit",
        "States.UUID",
    ];
    for name in all {
        assert_eq!(Function::from_name(name).map(Function::name), Some(name));
    }
    assert_eq!(
        Call::parse("States.UUID()").map(|c| c.function()).ok(),
        Some(Function::Uuid)
    );
    assert!(Call::looks_like_call(" States.UUID()") && !Call::looks_like_call("$.a"));
}

#[test]
fn java_doubles() {
    let cases = [
        (1.1, "1.1"),
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1e7, "1.0E7"),
        (9_999_999.0, "9999999.0"),
        (1.5e20, "1.5E20"),
        (-2.5, "-2.5"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (123.456, "123.456"),
        (1.234e-5, "1.234E-5"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1.0E21"),
        (2e-3, "0.002"),
    ];
    for (x, want) in cases {
        assert_eq!(java_double(x), want, "{x}");
    }
}

proptest::proptest! {
    /// Parsing and evaluating never panic, whatever the text.
    #[test]
    fn never_panics(text in r"States\.(Array|Format|MathRandom|ArrayRange|StringSplit|Hash)\([$a-c0-9.\[\]'{}\\, ()-]{0,24}") {
        let input = json!({"a": [1, 2], "b": "x,y", "c": 2});
        let vars = Map::new();
        let random = || u64::MAX;
        let env = Env { input: &input, context: &input, vars: &vars, random: &random };
        if let Ok(call) = Call::parse(&text) {
            let _ = call.evaluate(&env);
        }
    }
}

/// Random JSON: extreme numbers, arbitrary Unicode, JSON and base64 text, nested a few levels.
fn arb_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-4i64..12).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
        proptest::sample::select(&["{\"a\":[1]}", "[1,2]", "-0", " ", "aGk=", "/w==", "SHA-256", "MD5", "a,b,,c"][..]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| prop_oneof![
        proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
        proptest::collection::btree_map("[a-c]", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
    ])
}

/// An argument as written in a call: a path into the input, a literal of any type, or (at `depth > 0`) a call.
fn arb_arg(depth: u32) -> proptest::strategy::BoxedStrategy<String> {
    use proptest::prelude::*;
    let simple = prop_oneof![
        4 => proptest::sample::select(&["$.a", "$.b", "$.c", "$.a[0]", "$.b.a", "$", "$$", "$.c[*]", "$..a", "$v"][..]).prop_map(str::to_owned),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        2 => (-3i64..8).prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:?}")),
        3 => "\\PC{0,8}".prop_map(|s| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'").replace('{', "\\{").replace('}', "\\}"))),
        1 => proptest::sample::select(&["'{}'", "'{} {}'", "'MD5'", "'SHA-512'", "'[1,2,3]'", "'{\"a\":1}'", "true", "false", "null"][..]).prop_map(str::to_owned),
    ];
    if depth == 0 { simple.boxed() } else { prop_oneof![4 => simple, 1 => arb_call(depth - 1)].boxed() }
}

/// A well-formed call (a known function with an argument count it accepts) over random arguments.
fn arb_call(depth: u32) -> proptest::strategy::BoxedStrategy<String> {
    use proptest::prelude::*;
    let functions: Vec<(&str, usize, usize)> = vec![
        ("States.Format", 1, 4), ("States.StringToJson", 1, 1), ("States.JsonToString", 1, 1), ("States.Array", 0, 4),
        ("States.ArrayPartition", 2, 2), ("States.ArrayContains", 2, 2), ("States.ArrayRange", 3, 3), ("States.ArrayGetItem", 2, 2),
        ("States.ArrayLength", 1, 1), ("States.ArrayUnique", 1, 1), ("States.Base64Encode", 1, 1), ("States.Base64Decode", 1, 1),
        ("States.Hash", 2, 2), ("States.JsonMerge", 3, 3), ("States.MathRandom", 2, 3), ("States.MathAdd", 2, 2),
        ("States.StringSplit", 2, 2), ("States.UUID", 0, 0),
    ];
    proptest::sample::select(functions)
        .prop_flat_map(move |(name, min, max)| (Just(name), proptest::collection::vec(arb_arg(depth), min..=max)))
        .prop_map(|(name, args)| format!("{name}({})", args.join(", ")))
        .boxed()
}

/// Evaluates `call` against `input` with a fixed random source.
fn evaluate(call: &Call, input: &Value) -> Result<Value, Failure> {
    let context = json!({"Execution": {"Id": "x"}});
    let vars = Map::new();
    let random = || 0x0123_4567_89ab_cdef_u64;
    let env = Env { input, context: &context, vars: &vars, random: &random };
    call.evaluate(&env)
}

proptest::proptest! {
    /// Every well-formed call parses, and evaluating it on random input gives a value or an intrinsic or runtime
    /// failure, the same one twice over.
    #[test]
    fn random_calls_evaluate(call in arb_call(2), a in arb_value(), b in arb_value(), c in arb_value()) {
        let parsed = Call::parse(&call);
        proptest::prop_assert!(parsed.is_ok(), "{call}: {parsed:?}");
        let parsed = parsed.expect("checked above");
        let input = json!({"a": a, "b": b, "c": c});
        let first = evaluate(&parsed, &input);
        if let Err(failure) = &first {
            proptest::prop_assert!(
                failure.error == "States.IntrinsicFailure" || failure.error == "States.Runtime",
                "{call}: {failure:?}"
            );
        }
        proptest::prop_assert_eq!(format!("{first:?}"), format!("{:?}", evaluate(&parsed, &input)));
    }

    /// `States.StringToJson(States.JsonToString(x))` is `x`.
    #[test]
    fn json_text_round_trips(x in arb_value()) {
        let call = Call::parse("States.StringToJson(States.JsonToString($.x))").expect("valid call");
        let input = json!({"x": x});
        let back = evaluate(&call, &input).ok();
        proptest::prop_assert_eq!(back.as_ref(), input.get("x"));
    }

    /// `States.Base64Decode(States.Base64Encode(s))` is `s`.
    #[test]
    fn base64_round_trips(s in "\\PC{0,40}") {
        let call = Call::parse("States.Base64Decode(States.Base64Encode($.s))").expect("valid call");
        proptest::prop_assert_eq!(evaluate(&call, &json!({"s": s})).ok(), Some(Value::String(s)));
    }

    /// `States.ArrayRange` gives at most 1000 elements, from the start towards the end in steps.
    #[test]
    fn ranges_are_bounded(start in proptest::num::i64::ANY, end in proptest::num::i64::ANY, step in proptest::num::i64::ANY) {
        let call = Call::parse("States.ArrayRange($.s, $.e, $.k)").expect("valid call");
        if let Ok(Value::Array(items)) = evaluate(&call, &json!({"s": start, "e": end, "k": step})) {
            proptest::prop_assert!(items.len() <= 1000);
            proptest::prop_assert!(items.iter().all(|n| n.as_i64().is_some_and(|n| (start.min(end)..=start.max(end)).contains(&n))));
        }
    }
}
