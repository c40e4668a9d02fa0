//! Evaluation reads time and randomness only from its `Host`: the same host gives the same value whatever the wall
//! clock says and however the thread's random generator was seeded, which is what replaying an execution needs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonata_core::evaluator::Evaluator;
use serde_json::{Value, json};

use crate::{Bindings, Expression, Host};

/// A call of every JSONata built-in (jsonata-js 2.0's list) and of every function Step Functions adds.
const EVERY_FUNCTION: &[&str] = &[
    "$sum([1, 2.5])",
    "$count([1, 2])",
    "$max([1, 3])",
    "$min([1, 3])",
    "$average([1, 3])",
    "$string({'a': [1, 2]})",
    "$length('héllo')",
    "$substring('hello', 1, 3)",
    "$substringBefore('a-b', '-')",
    "$substringAfter('a-b', '-')",
    "$uppercase('a')",
    "$lowercase('A')",
    "$trim('  a  b ')",
    "$pad('x', -5, '#')",
    "$contains('abc', /b/)",
    "$split('a,b,c', ',', 2)",
    "$join(['a', 'b'], '-')",
    "$match('ab12cd34', /\\d+/)",
    "$replace('abc', 'b', 'x')",
    "$base64encode('hi')",
    "$base64decode('aGk=')",
    "$encodeUrlComponent('a b?')",
    "$encodeUrl('http://x/a b')",
    "$decodeUrlComponent('a%20b')",
    "$decodeUrl('http://x/a%20b')",
    "$number('0x1A')",
    "$abs(-2)",
    "$floor(1.5)",
    "$ceil(1.5)",
    "$round(2.345, 2)",
    "$power(2, 10)",
    "$sqrt(16)",
    "$random()",
    "$random(7)",
    "$formatNumber(1234.5, '#,##0.00')",
    "$formatBase(255, 16)",
    "$formatInteger(1234, 'w')",
    "$parseInteger('one hundred', 'w')",
    "$boolean([])",
    "$not(true)",
    "$exists($states.input)",
    "$type(1)",
    "$append([1], [2])",
    "$sort([3, 1, 2])",
    "$reverse([1, 2, 3])",
    "$shuffle([1..40])",
    "$shuffle('one')",
    "$distinct([1, 1, 2])",
    "$zip([1, 2], [3, 4])",
    "$keys({'a': 1, 'b': 2})",
    "$lookup({'a': 1}, 'a')",
    "$spread({'a': 1, 'b': 2})",
    "$merge([{'a': 1}, {'b': 2}])",
    "$sift({'a': 1, 'b': 2}, function($v) { $v > 1 })",
    "$each({'a': 1}, function($v, $k) { $k & $v })",
    "$error('boom')",
    "$assert(false, 'no')",
    "$single([1, 2], function($v) { $v > 1 })",
    "$map([1, 2], function($v) { $v * 2 })",
    "$filter([1, 2], function($v) { $v > 1 })",
    "$reduce([1, 2, 3], function($a, $b) { $a + $b })",
    "$now()",
    "$now('[Y0001]-[M01]-[D01] [H01]:[m01]', '+0100')",
    "$millis()",
    "$fromMillis(1700000000000, '[Y0001]-[M01]-[D01]')",
    "$toMillis('2024-01-02T03:04:05.678Z')",
    "$toMillis('10:30', '[H01]:[m01]')",
    "$toMillis('07', '[f01]')",
    "$toMillis('+0200', '[Z]')",
    "$toMillis('Tuesday', '[FNn]')",
    "$toMillis('3 pm', '[h] [P]')",
    "$partition([1, 2, 3], 2)",
    "$range(0, 10, 3)",
    "$hash('a', 'SHA-256')",
    "$uuid()",
    "$parse('{\"a\": 1}')",
    "$eval('1 + 1')",
];

/// The outcome of `text`, rendered, for a host at `now_ms` whose entropy is `seed`.
fn outcome(text: &str, now_ms: i64, seed: u64) -> String {
    let random = move || seed;
    let host = Host { now_ms, random: &random };
    let states = json!({"input": {"a": 1}});
    let mut bindings = Bindings::new();
    bindings.insert("states", &states);
    match Expression::compile(text).and_then(|e| e.evaluate(&Value::Null, &bindings, &host)) {
        Ok(Some(value)) => value.to_string(),
        Ok(None) => "undefined".to_owned(),
        Err(error) => format!("error: {error}"),
    }
}

fn every_outcome(now_ms: i64, seed: u64) -> Vec<String> {
    EVERY_FUNCTION.iter().map(|text| outcome(text, now_ms, seed)).collect()
}

#[test]
fn every_function_gives_the_same_value_for_the_same_host_whatever_the_clock_and_the_thread() {
    const NOW_MS: i64 = 1_600_000_000_000;
    let first = every_outcome(NOW_MS, 42);
    // A second later by the wall clock, on another thread (another seed of its random generator).
    std::thread::sleep(Duration::from_millis(1100));
    let second = std::thread::spawn(|| every_outcome(NOW_MS, 42)).join().expect("the thread ends");
    for ((text, a), b) in EVERY_FUNCTION.iter().zip(&first).zip(&second) {
        assert_eq!(a, b, "{text}");
    }
    // What reads the host follows it.
    assert_ne!(outcome("$shuffle([1..40])", NOW_MS, 42), outcome("$shuffle([1..40])", NOW_MS, 43));
    assert_ne!(outcome("$toMillis('07', '[f01]')", NOW_MS, 42), outcome("$toMillis('07', '[f01]')", NOW_MS + 5000, 42));
}

#[test]
fn shuffle_keeps_every_item_and_its_edges() {
    let shuffled: Vec<i64> = serde_json::from_str(&outcome("$shuffle([1..40])", 0, 9)).expect("an array");
    let mut sorted = shuffled.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=40).collect::<Vec<_>>());
    assert_ne!(shuffled, sorted);
    assert_eq!(outcome("$shuffle([])", 0, 9), "[]");
    assert_eq!(outcome("$shuffle($nothing)", 0, 9), "undefined");
    assert_eq!(outcome("$shuffle(5)", 0, 9), "[5]");
    assert_eq!(
        outcome("$shuffle([1], 2)", 0, 9),
        "error: T0410: Argument 2 of function \"shuffle\" does not match function signature"
    );
}

#[test]
fn to_millis_fills_the_fields_a_picture_lacks_from_the_host() {
    // 2023-11-14T22:13:20.123Z.
    const NOW_MS: i64 = 1_700_000_000_123;
    let check = |text: &str, expected: &str| assert_eq!(outcome(text, NOW_MS, 1), expected, "{text}");
    check("$toMillis('10:30', '[H01]:[m01]')", "1699957800000");
    check("$toMillis('456', '[f001]')", "1700000000456");
    check("$toMillis('2024-02-03', '[Y0001]-[M01]-[D01]')", "1706918400000");
    check("$toMillis('nope', '[H01]:[m01]')", "undefined");
    check("$toMillis('no markers', 'no markers')", "undefined");
    // 2023's day 200 at the host's time of day.
    check("$toMillis('200', '[d]')", "1689804800123");
    check(
        "$toMillis('200 10', '[d] [H01]')",
        "error: D3136: A day of the year without a year cannot be combined with a time of day in a $toMillis picture; \
         add a year ([Y0001])",
    );
}

/// Each picture gives what jsonata-core's own `$toMillis` gives when the host's time is the wall clock's.
#[test]
fn to_millis_with_a_picture_agrees_with_jsonata_core_at_the_wall_clock() {
    let cases = [
        ("10:30", "[H01]:[m01]"),
        ("30:15", "[m01]:[s01]"),
        ("15", "[s01]"),
        ("250", "[f001]"),
        ("14", "[D01]"),
        ("02-14", "[M01]-[D01]"),
        ("200", "[d]"),
        ("200+0100", "[d][Z]"),
        ("2020-200 10", "[Y0001]-[d] [H01]"),
        ("3:15 pm", "[h]:[m01] [P]"),
        ("11", "[h]"),
        ("am", "[P]"),
        ("+0100", "[Z]"),
        ("1999", "[Y0001]"),
        ("14/02/2021 09:05", "[D01]/[M01]/[Y0001] [H01]:[m01]"),
        ("March 3", "[MNn] [D]"),
        ("Monday", "[FNn]"),
        ("10:30+0200", "[H01]:[m01][Z]"),
        ("2021-13-01", "[Y0001]-[M01]-[D01]"),
        ("x", "[Y0001]-[M01]"),
        ("[10]", "[[[H01]]]"),
    ];
    for (timestamp, picture) in cases {
        let text = format!("$toMillis('{timestamp}', '{picture}')");
        let ast = jsonata_core::parser::parse(&text).expect("parses");
        // The two can straddle a change of millisecond; they agree on one of a few tries.
        let agreed = (0..50).any(|_| {
            let wall = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_millis() as i64;
            let core = match Evaluator::new().evaluate(&ast, &jsonata_core::value::JValue::Undefined) {
                Ok(value) => crate::convert::from_jvalue(&value).map_or_else(
                    |_| "unsupported".to_owned(),
                    |value| value.map_or_else(|| "undefined".to_owned(), |v| v.to_string()),
                ),
                Err(error) => format!("error: {}", crate::error::from_code(error.message())),
            };
            let ours = outcome(&text, wall, 1);
            ours == core || ours.strip_prefix("error: ") == Some(core.trim_start_matches("error: "))
        });
        assert!(agreed, "{text}: ours {} (at the wall clock)", outcome(&text, 0, 1));
    }
}
