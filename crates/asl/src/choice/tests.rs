//! Choice rules as data: each test is a rule, an input, and what comes out (the answer, the failure, or the
//! diagnostics). Cases marked `corpus` are taken from the AWS-recorded conformance corpus; `corpus_choice_operators`
//! replays all of it when it is present.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use crate::choice::{operator_names, parse_rule};
use crate::{Diagnostic, Env};

/// Parses `rule` (JSON text) as top-level rule `/Choices/0` and evaluates it against `input` (JSON text), with
/// `$$.Execution.Id` = `"arn"` and variables `$answer` = `"42"`, `$guess` = `"41"`. Renders `true`/`false`,
/// `error <name>: <cause>`, or the diagnostics one per line as `<pointer>: <message>`. In `expect`, `…` stands for
/// any text.
#[track_caller]
fn check(rule: &str, input: &str, expect: &str) {
    let rule: Value = serde_json::from_str(rule).expect("test rule is JSON");
    let input: Value = serde_json::from_str(input).expect("test input is JSON");
    let actual = run(&rule, &input);
    assert!(like(&actual, expect), "\n  rule:     {rule}\n  input:    {input}\n  expected: {expect}\n  actual:   {actual}");
}

fn run(rule: &Value, input: &Value) -> String {
    let mut diagnostics = Vec::new();
    let parsed = parse_rule(rule, "/Choices/0", true, &mut diagnostics);
    match parsed {
        Some(rule) if diagnostics.is_empty() => {
            let context = json!({"Execution": {"Id": "arn"}});
            let mut vars = Map::new();
            vars.insert("answer".to_owned(), json!("42"));
            vars.insert("guess".to_owned(), json!("41"));
            let env = Env { input, context: &context, vars: &vars, random: &|| 0 };
            match rule.evaluate(&env) {
                Ok(answer) => answer.to_string(),
                Err(failure) => format!("error {failure}"),
            }
        }
        Some(_) => format!("BUG: a rule with diagnostics: {}", render(&diagnostics)),
        None if diagnostics.is_empty() => "BUG: no rule and no diagnostics".to_owned(),
        None => render(&diagnostics),
    }
}

fn render(diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<String> = diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.code, "SCHEMA_VALIDATION_FAILED");
            format!("{}: {}", d.pointer, d.message)
        })
        .collect();
    lines.join("\n")
}

/// Whether `actual` matches `expect`, where `…` in `expect` matches any text.
fn like(actual: &str, expect: &str) -> bool {
    let mut parts = expect.split('…');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = actual.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

// Type tests. `corpus`: is_operators.*.

#[test] fn is_null_on_null() { check(r#"{"Variable":"$.v","IsNull":true}"#, r#"{"v":null}"#, "true") }
#[test] fn is_null_on_zero() { check(r#"{"Variable":"$.v","IsNull":true}"#, r#"{"v":0}"#, "false") }
#[test] fn is_null_false_on_empty_object() { check(r#"{"Variable":"$.v","IsNull":false}"#, r#"{"v":{}}"#, "true") }
#[test] fn is_present_on_null() { check(r#"{"Variable":"$.v","IsPresent":true}"#, r#"{"v":null}"#, "true") }
#[test] fn is_present_false_on_value() { check(r#"{"Variable":"$.v","IsPresent":false}"#, r#"{"v":1.1}"#, "false") }
#[test] fn is_present_on_missing() { check(r#"{"Variable":"$.v","IsPresent":true}"#, "{}", "false") }
#[test] fn is_present_false_on_missing() { check(r#"{"Variable":"$.v","IsPresent":false}"#, "{}", "true") }
#[test] fn is_present_on_missing_index() { check(r#"{"Variable":"$.a[3]","IsPresent":true}"#, r#"{"a":[1]}"#, "false") }
#[test] fn is_present_on_missing_variable() { check(r#"{"Variable":"$nope","IsPresent":false}"#, "{}", "true") }
#[test] fn is_numeric_on_int() { check(r#"{"Variable":"$","IsNumeric":true}"#, "1", "true") }
#[test] fn is_numeric_on_float() { check(r#"{"Variable":"$","IsNumeric":true}"#, "1.1", "true") }
#[test] fn is_numeric_on_numeric_string() { check(r#"{"Variable":"$","IsNumeric":true}"#, r#""1""#, "false") }
#[test] fn is_numeric_false_on_bool() { check(r#"{"Variable":"$","IsNumeric":false}"#, "false", "true") }
#[test] fn is_string_on_empty() { check(r#"{"Variable":"$","IsString":true}"#, r#""""#, "true") }
#[test] fn is_string_on_array() { check(r#"{"Variable":"$","IsString":true}"#, r#"[""]"#, "false") }
#[test] fn is_boolean_on_false() { check(r#"{"Variable":"$","IsBoolean":true}"#, "false", "true") }
#[test] fn is_boolean_on_zero() { check(r#"{"Variable":"$","IsBoolean":false}"#, "0", "true") }
#[test] fn is_timestamp_utc() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-03-14T01:59:00Z""#, "true") }
#[test] fn is_timestamp_offset() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2012-10-09T19:00:55+01:00""#, "true") }
#[test] fn is_timestamp_offset_seconds() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2012-10-09T19:00:55+01:00:30""#, "true") }
#[test] fn is_timestamp_nanos() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-03-05T21:29:29.243167252Z""#, "true") }
#[test] fn is_timestamp_ten_fraction_digits() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-03-05T21:29:29.2431672521Z""#, "false") }
#[test] fn is_timestamp_empty_fraction() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-03-05T21:29:29.Z""#, "false") }
#[test] fn is_timestamp_no_seconds() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-03-05T21:29Z""#, "true") }
#[test] fn is_timestamp_no_offset() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-12-05T21:29:29""#, "false") }
#[test] fn is_timestamp_space() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-12-05 21:29:29Z""#, "false") }
#[test] fn is_timestamp_lowercase() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-12-05t21:29:29z""#, "false") }
#[test] fn is_timestamp_month_13() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-13-05T21:29:29Z""#, "false") }
#[test] fn is_timestamp_hour_25() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-12-05T25:29:29Z""#, "false") }
#[test] fn is_timestamp_february_30() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-02-30T21:29:29Z""#, "false") }
#[test] fn is_timestamp_leap_day() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-02-29T21:29:29Z""#, "true") }
#[test] fn is_timestamp_day_first() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""05-12-2016T21:29:29Z""#, "false") }
#[test] fn is_timestamp_date_only() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2023-02-24""#, "false") }
#[test] fn is_timestamp_python_format() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2023-02-24 12:15:56.832957""#, "false") }
#[test] fn is_timestamp_trailing_text() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-03-14T01:59:00Zx""#, "false") }
#[test] fn is_timestamp_offset_hour_19() { check(r#"{"Variable":"$","IsTimestamp":true}"#, r#""2016-03-14T01:59:00+19:00""#, "false") }
#[test] fn is_timestamp_number() { check(r#"{"Variable":"$","IsTimestamp":false}"#, "20160314", "true") }

// BooleanEquals. `corpus`: boolean_equals.*.

#[test] fn boolean_equals_true() { check(r#"{"Variable":"$","BooleanEquals":true}"#, "true", "true") }
#[test] fn boolean_equals_false() { check(r#"{"Variable":"$","BooleanEquals":false}"#, "false", "true") }
#[test] fn boolean_equals_mismatch() { check(r#"{"Variable":"$","BooleanEquals":true}"#, "false", "false") }
#[test] fn boolean_equals_null() { check(r#"{"Variable":"$","BooleanEquals":false}"#, "null", "false") }
#[test] fn boolean_equals_zero() { check(r#"{"Variable":"$","BooleanEquals":false}"#, "0", "false") }
#[test] fn boolean_equals_string() { check(r#"{"Variable":"$","BooleanEquals":true}"#, r#""true""#, "false") }
#[test] fn boolean_equals_path() { check(r#"{"Variable":"$.a","BooleanEqualsPath":"$.b"}"#, r#"{"a":false,"b":false}"#, "true") }
#[test] fn boolean_equals_path_not_bool() { check(r#"{"Variable":"$.a","BooleanEqualsPath":"$.b"}"#, r#"{"a":true,"b":1}"#, "false") }

// Numeric. `corpus`: numeric.*.

#[test] fn numeric_equals_int() { check(r#"{"Variable":"$","NumericEquals":1}"#, "1", "true") }
#[test] fn numeric_equals_int_float() { check(r#"{"Variable":"$","NumericEquals":1.0}"#, "1", "true") }
#[test] fn numeric_equals_float_int() { check(r#"{"Variable":"$","NumericEquals":0}"#, "0.0", "true") }
#[test] fn numeric_equals_float() { check(r#"{"Variable":"$","NumericEquals":2.22}"#, "2.22", "true") }
#[test] fn numeric_equals_fraction() { check(r#"{"Variable":"$","NumericEquals":1}"#, "1.1", "false") }
#[test] fn numeric_equals_negative_zero() { check(r#"{"Variable":"$","NumericEquals":0}"#, "-0.0", "true") }
#[test] fn numeric_equals_string() { check(r#"{"Variable":"$","NumericEquals":1}"#, r#""1""#, "false") }
#[test] fn numeric_equals_bool() { check(r#"{"Variable":"$","NumericEquals":1}"#, "true", "false") }
#[test] fn numeric_equals_null() { check(r#"{"Variable":"$","NumericEquals":0}"#, "null", "false") }
#[test] fn numeric_equals_array() { check(r#"{"Variable":"$","NumericEquals":0}"#, "[0]", "false") }
#[test] fn numeric_equals_large_ints() { check(r#"{"Variable":"$","NumericEquals":9007199254740993}"#, "9007199254740992", "false") }
#[test] fn numeric_equals_large_int_float() { check(r#"{"Variable":"$","NumericEquals":9007199254740992.0}"#, "9007199254740993", "false") }
#[test] fn numeric_greater_large_int_float() { check(r#"{"Variable":"$","NumericGreaterThan":9007199254740992.0}"#, "9007199254740993", "true") }
#[test] fn numeric_equals_u64_max() { check(r#"{"Variable":"$","NumericEquals":18446744073709551615}"#, "18446744073709551615", "true") }
#[test] fn numeric_less_i64_min_u64_max() { check(r#"{"Variable":"$","NumericLessThan":18446744073709551615}"#, "-9223372036854775808", "true") }
#[test] fn numeric_less_int_huge_float() { check(r#"{"Variable":"$","NumericLessThan":1e300}"#, "18446744073709551615", "true") }
#[test] fn numeric_greater_int_tiny_float() { check(r#"{"Variable":"$","NumericGreaterThan":-1e300}"#, "-9223372036854775808", "true") }
#[test] fn numeric_greater_int_fraction() { check(r#"{"Variable":"$","NumericGreaterThan":-1.5}"#, "-1", "true") }
#[test] fn numeric_less_negative_int_fraction() { check(r#"{"Variable":"$","NumericLessThan":-1.5}"#, "-2", "true") }
#[test] fn numeric_greater_than() { check(r#"{"Variable":"$","NumericGreaterThan":0}"#, "1", "true") }
#[test] fn numeric_greater_than_equal() { check(r#"{"Variable":"$","NumericGreaterThan":1}"#, "1", "false") }
#[test] fn numeric_greater_than_equals() { check(r#"{"Variable":"$","NumericGreaterThanEquals":0}"#, "0.0", "true") }
#[test] fn numeric_greater_than_equals_less() { check(r#"{"Variable":"$","NumericGreaterThanEquals":1}"#, "0", "false") }
#[test] fn numeric_less_than() { check(r#"{"Variable":"$","NumericLessThan":1}"#, "0", "true") }
#[test] fn numeric_less_than_equal() { check(r#"{"Variable":"$","NumericLessThan":0}"#, "0", "false") }
#[test] fn numeric_less_than_equals() { check(r#"{"Variable":"$","NumericLessThanEquals":1}"#, "1", "true") }
#[test] fn numeric_less_than_equals_greater() { check(r#"{"Variable":"$","NumericLessThanEquals":0}"#, "1", "false") }
#[test] fn numeric_equals_path() { check(r#"{"Variable":"$.a","NumericEqualsPath":"$.b"}"#, r#"{"a":1,"b":1.0}"#, "true") }
#[test] fn numeric_greater_than_path() { check(r#"{"Variable":"$.a","NumericGreaterThanPath":"$.b"}"#, r#"{"a":1,"b":0}"#, "true") }
#[test] fn numeric_greater_than_equals_path() { check(r#"{"Variable":"$.a","NumericGreaterThanEqualsPath":"$.b"}"#, r#"{"a":0,"b":1}"#, "false") }
#[test] fn numeric_less_than_path() { check(r#"{"Variable":"$.a","NumericLessThanPath":"$.b"}"#, r#"{"a":0,"b":1}"#, "true") }
#[test] fn numeric_less_than_equals_path() { check(r#"{"Variable":"$.a","NumericLessThanEqualsPath":"$.b"}"#, r#"{"a":1,"b":0}"#, "false") }
#[test] fn numeric_path_operand_not_number() { check(r#"{"Variable":"$.a","NumericEqualsPath":"$.b"}"#, r#"{"a":1,"b":"1"}"#, "false") }
#[test] fn numeric_path_variable_not_number() { check(r#"{"Variable":"$.a","NumericEqualsPath":"$.b"}"#, r#"{"a":"1","b":1}"#, "false") }

// Strings. `corpus`: string_operators.*.

#[test] fn string_equals() { check(r#"{"Variable":"$","StringEquals":"Hello"}"#, r#""Hello""#, "true") }
#[test] fn string_equals_whitespace() { check(r#"{"Variable":"$","StringEquals":"\t\r\n"}"#, r#""\t\n""#, "false") }
#[test] fn string_equals_case() { check(r#"{"Variable":"$","StringEquals":"hello"}"#, r#""Hello""#, "false") }
#[test] fn string_equals_number() { check(r#"{"Variable":"$","StringEquals":"1"}"#, "1", "false") }
#[test] fn string_equals_null() { check(r#"{"Variable":"$","StringEquals":"null"}"#, "null", "false") }
#[test] fn string_greater_than() { check(r#"{"Variable":"$","StringGreaterThan":"A"}"#, r#""AB""#, "true") }
#[test] fn string_greater_than_prefix() { check(r#"{"Variable":"$","StringGreaterThan":"ABC"}"#, r#""AB""#, "false") }
#[test] fn string_greater_than_empty() { check(r#"{"Variable":"$","StringGreaterThan":""}"#, r#""""#, "false") }
#[test] fn string_greater_than_case() { check(r#"{"Variable":"$","StringGreaterThan":"Z"}"#, r#""a""#, "true") }
#[test] fn string_greater_than_equals() { check(r#"{"Variable":"$","StringGreaterThanEquals":""}"#, r#""""#, "true") }
#[test] fn string_less_than() { check(r#"{"Variable":"$","StringLessThan":"AB"}"#, r#""A""#, "true") }
#[test] fn string_less_than_tab() { check(r#"{"Variable":"$","StringLessThan":"A\t"}"#, r#""A""#, "true") }
#[test] fn string_less_than_equals() { check(r#"{"Variable":"$","StringLessThanEquals":"A"}"#, r#""AB""#, "false") }
#[test] fn string_utf16_order() { check(r#"{"Variable":"$","StringGreaterThan":"😀"}"#, r#""｡""#, "true") }
#[test] fn string_utf16_order_reverse() { check(r#"{"Variable":"$","StringLessThan":"｡"}"#, r#""😀""#, "true") }
#[test] fn string_utf16_same_lead_surrogate() { check(r#"{"Variable":"$","StringLessThan":"😁"}"#, r#""😀""#, "true") }
#[test] fn string_equals_path() { check(r#"{"Variable":"$.a","StringEqualsPath":"$.b"}"#, r#"{"a":"Hello","b":"Hello"}"#, "true") }
#[test] fn string_greater_than_path() { check(r#"{"Variable":"$.a","StringGreaterThanPath":"$.b"}"#, r#"{"a":"AB","b":"A"}"#, "true") }
#[test] fn string_greater_than_equals_path() { check(r#"{"Variable":"$.a","StringGreaterThanEqualsPath":"$.b"}"#, r#"{"a":"A","b":"AB"}"#, "false") }
#[test] fn string_less_than_path() { check(r#"{"Variable":"$.a","StringLessThanPath":"$.b"}"#, r#"{"a":"A","b":"AB"}"#, "true") }
#[test] fn string_less_than_equals_path() { check(r#"{"Variable":"$.a","StringLessThanEqualsPath":"$.b"}"#, r#"{"a":"","b":""}"#, "true") }
#[test] fn string_path_operand_not_string() { check(r#"{"Variable":"$.a","StringEqualsPath":"$.b"}"#, r#"{"a":"1","b":1}"#, "false") }

// StringMatches.

#[test] fn matches_suffix() { check(r#"{"Variable":"$","StringMatches":"*.log"}"#, r#""a.log""#, "true") }
#[test] fn matches_suffix_no() { check(r#"{"Variable":"$","StringMatches":"*.log"}"#, r#""a.log.gz""#, "false") }
#[test] fn matches_prefix() { check(r#"{"Variable":"$","StringMatches":"log-*"}"#, r#""log-2024""#, "true") }
#[test] fn matches_middle() { check(r#"{"Variable":"$","StringMatches":"a*b*c"}"#, r#""axxbyyc""#, "true") }
#[test] fn matches_middle_order() { check(r#"{"Variable":"$","StringMatches":"a*b*c"}"#, r#""acb""#, "false") }
#[test] fn matches_backtrack() { check(r#"{"Variable":"$","StringMatches":"a*aab"}"#, r#""aaaab""#, "true") }
#[test] fn matches_star_only() { check(r#"{"Variable":"$","StringMatches":"*"}"#, r#""""#, "true") }
#[test] fn matches_stars() { check(r#"{"Variable":"$","StringMatches":"**x**"}"#, r#""x""#, "true") }
#[test] fn matches_empty() { check(r#"{"Variable":"$","StringMatches":""}"#, r#""""#, "true") }
#[test] fn matches_empty_no() { check(r#"{"Variable":"$","StringMatches":""}"#, r#""a""#, "false") }
#[test] fn matches_exact() { check(r#"{"Variable":"$","StringMatches":"abc"}"#, r#""abc""#, "true") }
#[test] fn matches_exact_longer() { check(r#"{"Variable":"$","StringMatches":"abc"}"#, r#""abcd""#, "false") }
#[test] fn matches_escaped_star() { check(r#"{"Variable":"$","StringMatches":"a\\*"}"#, r#""a*""#, "true") }
#[test] fn matches_escaped_star_literal() { check(r#"{"Variable":"$","StringMatches":"a\\*"}"#, r#""ab""#, "false") }
#[test] fn matches_escaped_backslash() { check(r#"{"Variable":"$","StringMatches":"a\\\\*"}"#, r#""a\\bc""#, "true") }
#[test] fn matches_unicode() { check(r#"{"Variable":"$","StringMatches":"é*ü"}"#, r#""é😀ü""#, "true") }
#[test] fn matches_case() { check(r#"{"Variable":"$","StringMatches":"A*"}"#, r#""abc""#, "false") }
#[test] fn matches_number() { check(r#"{"Variable":"$","StringMatches":"*"}"#, "1", "false") }

// Timestamps. `corpus`: timestamp_operators.*.

#[test] fn timestamp_equals() { check(r#"{"Variable":"$","TimestampEquals":"2012-10-09T19:00:55Z"}"#, r#""2012-10-09T19:00:55Z""#, "true") }
#[test] fn timestamp_equals_other_offset() { check(r#"{"Variable":"$","TimestampEquals":"2012-10-09T19:00:55Z"}"#, r#""2012-10-09T21:00:55+02:00""#, "true") }
#[test] fn timestamp_equals_fraction() { check(r#"{"Variable":"$","TimestampEquals":"2012-10-09T19:00:55Z"}"#, r#""2012-10-09T19:00:55.000Z""#, "true") }
#[test] fn timestamp_equals_later() { check(r#"{"Variable":"$","TimestampEquals":"2012-10-09T19:00:55Z"}"#, r#""2012-10-09T19:00:56Z""#, "false") }
#[test] fn timestamp_equals_not_timestamp() { check(r#"{"Variable":"$","TimestampEquals":"2012-10-09T19:00:55Z"}"#, r#""2023-02-24 12:15:56.832957""#, "false") }
#[test] fn timestamp_equals_number() { check(r#"{"Variable":"$","TimestampEquals":"2012-10-09T19:00:55Z"}"#, "1", "false") }
#[test] fn timestamp_greater_than() { check(r#"{"Variable":"$","TimestampGreaterThan":"2012-10-09T19:00:55Z"}"#, r#""2012-10-09T19:00:56Z""#, "true") }
#[test] fn timestamp_greater_than_nanos() { check(r#"{"Variable":"$","TimestampGreaterThan":"2012-10-09T19:00:55Z"}"#, r#""2012-10-09T19:00:55.000000001Z""#, "true") }
#[test] fn timestamp_greater_than_equals() { check(r#"{"Variable":"$","TimestampGreaterThanEquals":"2012-10-09T19:00:55Z"}"#, r#""2012-10-09T19:00:55Z""#, "true") }
#[test] fn timestamp_less_than() { check(r#"{"Variable":"$","TimestampLessThan":"2012-10-09T19:00:56Z"}"#, r#""2012-10-09T19:00:55Z""#, "true") }
#[test] fn timestamp_less_than_offset() { check(r#"{"Variable":"$","TimestampLessThan":"2012-10-09T19:00:55Z"}"#, r#""2012-10-09T19:00:55-00:01""#, "false") }
#[test] fn timestamp_less_than_equals() { check(r#"{"Variable":"$","TimestampLessThanEquals":"2012-10-09T19:00:55Z"}"#, r#""2012-10-09T19:00:56Z""#, "false") }
#[test] fn timestamp_equals_path() { check(r#"{"Variable":"$.a","TimestampEqualsPath":"$.b"}"#, r#"{"a":"2012-10-09T19:00:55Z","b":"2012-10-09T19:00:55Z"}"#, "true") }
#[test] fn timestamp_greater_than_path() { check(r#"{"Variable":"$.a","TimestampGreaterThanPath":"$.b"}"#, r#"{"a":"2012-10-09T19:00:55Z","b":"2012-10-09T19:00:56Z"}"#, "false") }
#[test] fn timestamp_greater_than_equals_path() { check(r#"{"Variable":"$.a","TimestampGreaterThanEqualsPath":"$.b"}"#, r#"{"a":"2012-10-09T19:00:56Z","b":"2012-10-09T19:00:55Z"}"#, "true") }
#[test] fn timestamp_less_than_path() { check(r#"{"Variable":"$.a","TimestampLessThanPath":"$.b"}"#, r#"{"a":"2012-10-09T19:00:56Z","b":"2012-10-09T19:00:55Z"}"#, "false") }
#[test] fn timestamp_less_than_equals_path() { check(r#"{"Variable":"$.a","TimestampLessThanEqualsPath":"$.b"}"#, r#"{"a":"2012-10-09T19:00:55Z","b":"2012-10-09T19:00:55Z"}"#, "true") }
#[test] fn timestamp_path_operand_not_timestamp() { check(r#"{"Variable":"$.a","TimestampEqualsPath":"$.b"}"#, r#"{"a":"2012-10-09T19:00:55Z","b":"later"}"#, "false") }

// Combinators. `corpus`: scenarios CHOICE_STATE_AWS_SCENARIO, test_map_state_break_condition.

#[test] fn and_true() { check(r#"{"And":[{"Variable":"$","IsNumeric":true},{"Variable":"$","NumericEquals":3}]}"#, "3", "true") }
#[test] fn and_false() { check(r#"{"And":[{"Variable":"$","NumericGreaterThanEquals":20},{"Variable":"$","NumericLessThan":30}]}"#, "30", "false") }
#[test] fn and_single() { check(r#"{"And":[{"Variable":"$.type","StringEquals":"Public"}]}"#, r#"{"type":"Public"}"#, "true") }
#[test] fn and_nested() { check(r#"{"And":[{"Variable":"$","IsPresent":true},{"And":[{"Variable":"$","IsNumeric":true},{"Variable":"$","NumericEquals":3}]}]}"#, "3", "true") }
#[test] fn and_short_circuits() { check(r#"{"And":[{"Variable":"$.a","IsPresent":true},{"Variable":"$.a","NumericEquals":1}]}"#, "{}", "false") }
#[test] fn or_true() { check(r#"{"Or":[{"Variable":"$","NumericEquals":1},{"Variable":"$","NumericEquals":2}]}"#, "2", "true") }
#[test] fn or_false() { check(r#"{"Or":[{"Variable":"$","NumericEquals":1},{"Variable":"$","NumericEquals":2}]}"#, "3", "false") }
#[test] fn or_short_circuits() { check(r#"{"Or":[{"Variable":"$.a","IsPresent":false},{"Variable":"$.a","NumericEquals":1}]}"#, "{}", "true") }
#[test] fn or_reaches_error() { check(r#"{"Or":[{"Variable":"$.a","IsPresent":true},{"Variable":"$.a","NumericEquals":1}]}"#, "{}", "error States.Runtime: …") }
#[test] fn not_true() { check(r#"{"Not":{"Variable":"$.type","StringEquals":"Private"}}"#, r#"{"type":"Public"}"#, "true") }
#[test] fn not_false() { check(r#"{"Not":{"Variable":"$.type","StringEquals":"Private"}}"#, r#"{"type":"Private"}"#, "false") }
#[test] fn not_not() { check(r#"{"Not":{"Not":{"Variable":"$","BooleanEquals":true}}}"#, "true", "true") }
#[test] fn not_is_present() { check(r#"{"Not":{"Variable":"$.a","IsPresent":true}}"#, "{}", "true") }
#[test] fn not_error_propagates() { check(r#"{"Not":{"Variable":"$.a","IsNull":true}}"#, "{}", "error States.Runtime: …") }

// Roots and runtime failures.

#[test] fn context_object() { check(r#"{"Variable":"$$.Execution.Id","StringEquals":"arn"}"#, "{}", "true") }
#[test] fn variable_root() { check(r#"{"Variable":"$guess","StringEqualsPath":"$answer"}"#, "{}", "false") }
#[test] fn variable_root_less() { check(r#"{"Variable":"$guess","StringLessThanPath":"$answer"}"#, "{}", "true") }
#[test] fn nested_field() { check(r#"{"Variable":"$.a.b[1]","NumericEquals":2}"#, r#"{"a":{"b":[1,2]}}"#, "true") }
#[test] fn hyphen_field() { check(r#"{"Variable":"$$.Execution.Input.input-value","NumericLessThanEquals":0}"#, "{}", "error States.Runtime: Invalid path '$$.Execution.Input.input-value': …") }
#[test] fn missing_variable() { check(r#"{"Variable":"$.a","NumericEquals":1}"#, "{}", "error States.Runtime: Invalid path '$.a': The choice state's condition path references an invalid value.") }
#[test] fn missing_variable_is_null() { check(r#"{"Variable":"$.a","IsNull":true}"#, "{}", "error States.Runtime: Invalid path '$.a': …") }
#[test] fn missing_variable_is_timestamp() { check(r#"{"Variable":"$.a","IsTimestamp":false}"#, "{}", "error States.Runtime: Invalid path '$.a': …") }
#[test] fn missing_variable_string_matches() { check(r#"{"Variable":"$.a","StringMatches":"*"}"#, "{}", "error States.Runtime: Invalid path '$.a': …") }
#[test] fn missing_variable_through_null() { check(r#"{"Variable":"$.a.b","IsNull":true}"#, r#"{"a":null}"#, "error States.Runtime: Invalid path '$.a.b': …") }
#[test] fn missing_workflow_variable() { check(r#"{"Variable":"$nope","IsNull":true}"#, "{}", "error States.Runtime: Invalid path '$nope': …") }
#[test] fn missing_operand_path() { check(r#"{"Variable":"$.a","NumericEqualsPath":"$.b"}"#, r#"{"a":1}"#, "error States.Runtime: Invalid path '$.b': The choice state's condition path references an invalid value.") }
#[test] fn missing_operand_path_type_mismatch() { check(r#"{"Variable":"$.a","StringEqualsPath":"$.b"}"#, r#"{"a":1}"#, "error States.Runtime: Invalid path '$.b': …") }
#[test] fn missing_operand_boolean() { check(r#"{"Variable":"$.a","BooleanEqualsPath":"$.b"}"#, r#"{"a":true}"#, "error States.Runtime: Invalid path '$.b': …") }
#[test] fn missing_operand_timestamp() { check(r#"{"Variable":"$.a","TimestampLessThanPath":"$.b"}"#, r#"{"a":"x"}"#, "error States.Runtime: Invalid path '$.b': …") }

// Accepted extra fields.

#[test] fn top_level_extras() { check(r#"{"Variable":"$","IsNull":true,"Next":"A","Comment":"c","Assign":{"x":1},"Output":{}}"#, "null", "true") }
#[test] fn nested_comment() { check(r#"{"And":[{"Variable":"$","IsNull":true,"Comment":"c"}],"Comment":"d"}"#, "null", "true") }
#[test] fn key_order_free() { check(r#"{"BooleanEquals":true,"Next":"FinishTrue","Variable":"$.result.done"}"#, r#"{"result":{"done":true}}"#, "true") }

// Diagnostics: every problem, each at its own pointer.

#[test] fn not_an_object() { check("[]", "null", "/Choices/0: a choice rule must be an object, found array") }
#[test] fn empty_rule() { check("{}", "null", "/Choices/0: a choice rule needs 'Variable' and a comparison operator, or one of And, Or, Not") }
#[test] fn missing_variable_field() { check(r#"{"IsNull":true}"#, "null", "/Choices/0: missing required field 'Variable' for 'IsNull'") }
#[test] fn missing_operator() { check(r#"{"Variable":"$"}"#, "null", "/Choices/0: missing comparison operator for 'Variable' (one of StringEquals, NumericLessThan, IsPresent, …)") }
#[test] fn two_operators() { check(r#"{"Variable":"$","IsNull":true,"IsString":false}"#, "null", "/Choices/0/IsString: a choice rule takes one comparison operator; found 'IsNull' and 'IsString'") }
#[test] fn unknown_field() { check(r#"{"Variable":"$","IsNull":true,"Nxt":"A"}"#, "null", "/Choices/0/Nxt: field 'Nxt' is not supported in a choice rule; did you mean 'Next'?") }
#[test] fn misspelt_operator() { check(r#"{"Variable":"$","IsPresnt":true}"#, "null", "/Choices/0/IsPresnt: field 'IsPresnt' is not supported in a choice rule; did you mean 'IsPresent'?\n/Choices/0: missing comparison operator …") }
#[test] fn unknown_field_escaped() { check(r#"{"Variable":"$","IsNull":true,"a/b~c":1}"#, "null", "/Choices/0/a~1b~0c: field 'a/b~c' is not supported in a choice rule") }
#[test] fn lowercase_operator() { check(r#"{"Variable":"$","stringEquals":"a"}"#, "null", "/Choices/0/stringEquals: field 'stringEquals' is not supported in a choice rule; did you mean 'StringEquals'?\n/Choices/0: missing comparison operator …") }
#[test] fn comment_not_string() { check(r#"{"Variable":"$","IsNull":true,"Comment":1}"#, "null", "/Choices/0/Comment: 'Comment' must be a string, found number") }
#[test] fn nested_next() { check(r#"{"Not":{"Variable":"$","IsNull":true,"Next":"A"}}"#, "null", "/Choices/0/Not/Next: field 'Next' is not allowed in a nested choice rule (inside And, Or, Not)") }
#[test] fn nested_assign() { check(r#"{"Or":[{"Variable":"$","IsNull":true,"Assign":{}}]}"#, "null", "/Choices/0/Or/0/Assign: field 'Assign' is not allowed in a nested choice rule (inside And, Or, Not)") }
#[test] fn nested_condition() { check(r#"{"Not":{"Condition":"{% true %}"}}"#, "null", "/Choices/0/Not/Condition: field 'Condition' is only allowed in JSONata mode\n/Choices/0/Not: a choice rule needs …") }
#[test] fn variable_not_string() { check(r#"{"Variable":1,"IsNull":true}"#, "null", "/Choices/0/Variable: 'Variable' must be a reference path string, found number") }
#[test] fn variable_not_a_path() { check(r#"{"Variable":"foo","IsNull":true}"#, "null", "/Choices/0/Variable: 'Variable' is not a valid reference path: 'foo': …") }
#[test] fn variable_a_query() { check(r#"{"Variable":"$.a[*]","IsNull":true}"#, "null", "/Choices/0/Variable: 'Variable' is not a valid reference path: '$.a[*]': …") }
#[test] fn operand_path_not_a_path() { check(r#"{"Variable":"$","StringEqualsPath":"b"}"#, "null", "/Choices/0/StringEqualsPath: 'StringEqualsPath' is not a valid reference path: 'b': …") }
#[test] fn operand_path_not_string() { check(r#"{"Variable":"$","NumericLessThanPath":1}"#, "null", "/Choices/0/NumericLessThanPath: 'NumericLessThanPath' must be a reference path string, found number") }
#[test] fn is_null_not_bool() { check(r#"{"Variable":"$","IsNull":"true"}"#, "null", "/Choices/0/IsNull: 'IsNull' must be true or false, found string") }
#[test] fn is_timestamp_not_bool() { check(r#"{"Variable":"$","IsTimestamp":1}"#, "null", "/Choices/0/IsTimestamp: 'IsTimestamp' must be true or false, found number") }
#[test] fn boolean_not_bool() { check(r#"{"Variable":"$","BooleanEquals":"true"}"#, "null", "/Choices/0/BooleanEquals: 'BooleanEquals' must be true or false, found string") }
#[test] fn numeric_not_number() { check(r#"{"Variable":"$","NumericEquals":"1"}"#, "null", "/Choices/0/NumericEquals: 'NumericEquals' must be a number, found string") }
#[test] fn string_not_string() { check(r#"{"Variable":"$","StringLessThan":null}"#, "null", "/Choices/0/StringLessThan: 'StringLessThan' must be a string, found null") }
#[test] fn matches_not_string() { check(r#"{"Variable":"$","StringMatches":["*"]}"#, "null", "/Choices/0/StringMatches: 'StringMatches' must be a string pattern, found array") }
#[test] fn matches_bad_escape() { check(r#"{"Variable":"$","StringMatches":"a\\d"}"#, "null", r"/Choices/0/StringMatches: 'StringMatches': invalid escape '\d' in pattern 'a\d': only '\*' and '\\' are allowed") }
#[test] fn matches_lone_backslash() { check(r#"{"Variable":"$","StringMatches":"a\\"}"#, "null", r"/Choices/0/StringMatches: 'StringMatches': pattern 'a\' ends with a lone '\'") }
#[test] fn timestamp_not_string() { check(r#"{"Variable":"$","TimestampEquals":0}"#, "null", "/Choices/0/TimestampEquals: 'TimestampEquals' must be a timestamp string, found number") }
#[test] fn timestamp_invalid() { check(r#"{"Variable":"$","TimestampLessThan":"2016-12-05T21:29:29"}"#, "null", "/Choices/0/TimestampLessThan: 'TimestampLessThan' is not a valid timestamp: '2016-12-05T21:29:29' (expected RFC 3339, e.g. 2016-03-14T01:59:00Z)") }
#[test] fn and_empty() { check(r#"{"And":[]}"#, "null", "/Choices/0/And: 'And' must contain at least one choice rule") }
#[test] fn or_not_array() { check(r#"{"Or":{"Variable":"$","IsNull":true}}"#, "null", "/Choices/0/Or: 'Or' must be an array of choice rules, found object") }
#[test] fn not_array() { check(r#"{"Not":[{"Variable":"$","IsNull":true}]}"#, "null", "/Choices/0/Not: 'Not' must be a choice rule object, found array") }
#[test] fn and_element_not_object() { check(r#"{"And":[1]}"#, "null", "/Choices/0/And/0: a choice rule must be an object, found number") }
#[test] fn two_combinators() { check(r#"{"And":[{"Variable":"$","IsNull":true}],"Or":[{"Variable":"$","IsNull":true}]}"#, "null", "/Choices/0/Or: a choice rule takes only one of And, Or, Not; found 'And' and 'Or'") }
#[test] fn combinator_with_comparison() { check(r#"{"Variable":"$","IsNull":true,"Not":{"Variable":"$","IsNull":true}}"#, "null", "/Choices/0/Variable: field 'Variable' is not allowed with 'Not'\n/Choices/0/IsNull: field 'IsNull' is not allowed with 'Not'") }
#[test] fn nested_pointer() { check(r#"{"And":[{"Variable":"$","IsNull":true},{"Variable":"$","NumericEquals":"x"}]}"#, "null", "/Choices/0/And/1/NumericEquals: 'NumericEquals' must be a number, found string") }
#[test] fn every_problem_reported() {
    check(
        r#"{"Or":[{"Variable":1,"NumericEquals":"x"},{"Not":{"IsNull":2}},{"And":[]}],"Foo":1,"Comment":false}"#,
        "null",
        "/Choices/0/Foo: field 'Foo' is not supported in a choice rule\n\
         /Choices/0/Comment: 'Comment' must be a string, found boolean\n\
         /Choices/0/Or/0/Variable: 'Variable' must be a reference path string, found number\n\
         /Choices/0/Or/0/NumericEquals: 'NumericEquals' must be a number, found string\n\
         /Choices/0/Or/1/Not: missing required field 'Variable' for 'IsNull'\n\
         /Choices/0/Or/2/And: 'And' must contain at least one choice rule",
    )
}
#[test] fn nested_rule_ok_parent_bad() { check(r#"{"Not":{"Variable":"$","IsNull":true},"X":1}"#, "null", "/Choices/0/X: field 'X' is not supported in a choice rule") }

#[test]
fn every_operator_recognised() {
    assert_eq!(operator_names().count(), 39);
    for name in operator_names() {
        let rule = json!({"Variable": "$", name: true});
        let mut diagnostics = Vec::new();
        parse_rule(&rule, "", true, &mut diagnostics);
        // Every operator is recognised: at worst its value has the wrong type, never "not supported".
        assert!(diagnostics.iter().all(|d| !d.message.contains("not supported")), "{name}: {diagnostics:?}");
    }
}

/// Replays every `choice_operators` case of the AWS-recorded corpus: the branch taken must be the recorded one.
#[test]
fn corpus_choice_operators() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/cases/choice_operators");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("note: {} is absent; skipping the corpus replay", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("corpus file is readable");
        let case: Value = serde_json::from_str(&text).expect("corpus file is JSON");
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let actual = corpus_branch(&case);
        let expected = case["expected"]["output"]["TestResult.$"].as_str().map(str::to_owned);
        if actual != expected {
            failures.push(format!("{name}: expected {expected:?}, got {actual:?}"));
        }
    }
    assert!(files.len() >= 491, "expected the 491 recorded cases, found {}", files.len());
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), files.len(), failures.join("\n"));
}

/// The state a corpus case's Choice state leads to, or a description of what went wrong.
fn corpus_branch(case: &Value) -> Option<String> {
    let states = case["definition"]["States"].as_object()?;
    let choice = states.values().find(|s| s["Type"] == "Choice")?;
    let context = json!({});
    let env = Env { input: &case["input"], context: &context, vars: &crate::NoVariables, random: &|| 0 };
    for (i, rule) in choice["Choices"].as_array()?.iter().enumerate() {
        let mut diagnostics = Vec::new();
        let Some(parsed) = parse_rule(rule, &format!("/Choices/{i}"), true, &mut diagnostics) else {
            return Some(format!("diagnostics: {}", render(&diagnostics)));
        };
        match parsed.evaluate(&env) {
            Ok(true) => return rule["Next"].as_str().map(str::to_owned),
            Ok(false) => {}
            Err(failure) => return Some(format!("failure: {failure}")),
        }
    }
    choice["Default"].as_str().map(str::to_owned)
}

/// The obvious recursive definition of a wildcard match, to check the fast one against.
fn naive_match(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => (0..=text.len()).any(|skip| naive_match(rest, &text[skip..])),
        Some((c, rest)) => text.split_first().is_some_and(|(t, more)| t == c && naive_match(rest, more)),
    }
}

proptest::proptest! {
    #[test]
    fn pattern_agrees_with_naive(pattern in "[ab*é]{0,8}", text in "[abé]{0,10}") {
        let compiled = crate::choice::pattern::Pattern::parse(&pattern).expect("no backslashes, no errors");
        let pattern: Vec<char> = pattern.chars().collect();
        let text_chars: Vec<char> = text.chars().collect();
        proptest::prop_assert_eq!(compiled.matches(&text), naive_match(&pattern, &text_chars));
    }

    #[test]
    fn parse_and_evaluate_never_panic(rule in arb_rule(), input in arb_rule()) {
        let mut diagnostics = Vec::new();
        if let Some(rule) = parse_rule(&rule, "", true, &mut diagnostics) {
            let context = json!({});
            let env = Env { input: &input, context: &context, vars: &crate::NoVariables, random: &|| 0 };
            let _ = rule.evaluate(&env);
        }
    }

    #[test]
    fn timestamp_parse_never_panics(text in "[0-9T:Z.+-]{0,40}") {
        let _ = crate::choice::timestamp::parse(&text);
    }
}

/// Rule-shaped JSON: objects whose keys are mostly rule fields, with values of every type.
fn arb_rule() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        prop_oneof![Just("$"), Just("$.a"), Just("$.a[0]"), Just("$$.x"), Just("$v"), Just("a\\*"), Just("*"),
            Just("2016-03-14T01:59:00Z"), Just("x")].prop_map(Value::from),
    ];
    let keys = prop_oneof![
        Just("Variable"), Just("And"), Just("Or"), Just("Not"), Just("NumericEquals"), Just("NumericLessThanPath"),
        Just("StringMatches"), Just("StringEqualsPath"), Just("IsPresent"), Just("IsTimestamp"),
        Just("TimestampEquals"), Just("BooleanEquals"), Just("Next"), Just("Comment"), Just("X"), Just("a"),
    ];
    leaf.prop_recursive(4, 40, 4, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            proptest::collection::btree_map(keys.clone(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}
