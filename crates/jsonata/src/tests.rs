//! Unit tests, as data: an expression, its input and the rendered outcome.
//!
//! The Step Functions cases come from the conformance corpus (`$partition`, `$range`, `$parse`, the undefined and
//! non-function errors) and from Floci's measurements of AWS (`$hash`, `$random(42)`, `$eval`).

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::mentions::Mentions;
use crate::{Bindings, Error, Expression, Host};

const NOW_MS: i64 = 1_700_000_000_123;

fn random() -> u64 {
    0x0123_4567_89ab_cdef
}

/// Evaluates `text` with `$states` bound, as Step Functions binds it, to `{"input": input, "context": …}` and
/// renders the outcome: the result's JSON, `undefined`, `unsupported` or `error: <message>`.
fn render(text: &str, input: Value) -> String {
    let context = json!({ "Execution": { "Id": "exec-1" } });
    let mut bindings = Bindings::new();
    bindings.insert_object("states", vec![("input", &input), ("context", &context)]);
    let host = Host {
        now_ms: NOW_MS,
        random: &random,
    };
    let outcome = Expression::compile(text).and_then(|e| e.evaluate(&Value::Null, &bindings, &host));
    match outcome {
        Ok(Some(value)) => value.to_string(),
        Ok(None) => "undefined".to_owned(),
        Err(Error::UnsupportedResult) => "unsupported".to_owned(),
        Err(error) => format!("error: {error}"),
    }
}

#[track_caller]
fn check(text: &str, input: Value, expected: &str) {
    assert_eq!(render(text, input), expected, "{text}");
}

#[test]
fn basics() {
    check("$states.input.a + 1", json!({"a": 2}), "3");
    check("$states.input.a / 4", json!({"a": 2}), "0.5");
    check("$states.input.missing", json!({}), "undefined");
    check("$states.context.Execution.Id", json!({}), "\"exec-1\"");
    check(
        "{'step': 1, 'prev': $states.input.acc.step}",
        json!({"acc": {"step": 0}}),
        r#"{"step":1,"prev":0}"#,
    );
    check("[1, 2][0]", json!({}), "1");
    check("$states.input.items.n", json!({"items": [{"n": 3}, {"n": 9}]}), "[3,9]");
    check("$states.input.items.n", json!({"items": [{"n": 3}]}), "3");
    check("0.1 + 0.2", json!({}), "0.30000000000000004");
    // AWS answers JavaScript's name for a non-finite number (measured by Floci: `1/0` is "Infinity").
    check("1e300 * 1e10", json!({}), "\"Infinity\"");
    check("$fn := function($x){$x}", json!({}), "unsupported");
    check("/ab/", json!({}), "unsupported");
    check("{'f': $uppercase}", json!({}), "unsupported");
    check("{'a': $states.input.missing, 'b': 1}", json!({}), r#"{"b":1}"#);
    check("$doesNotExist", json!({}), "undefined");
    check(
        "$randomSeeded($states.input.x)",
        json!({"x": "fst"}),
        "error: T1006: Attempted to invoke a non-function",
    );
    check("$contains('hello$world', /^hello\\$/)", json!({}), "true");
    check("$exists($status) ? 'completed' : 'running'", json!({}), "\"running\"");
}

#[test]
fn compile_errors_carry_their_code() {
    let error = Expression::compile("a[1,2)").map(|_| ()).unwrap_err();
    assert_eq!(error.to_string(), "S0202: Expected \"]\", got \",\"");
    assert_eq!(error.code(), Some("S0202"));
    check("1 +", json!({}), "error: S0207: Unexpected end of expression");
    check(
        "\"unterminated",
        json!({}),
        "error: S0101: String literal must be terminated by a matching quote",
    );
    check(
        "{\"a\":}",
        json!({}),
        "error: S0211: The symbol \"}\" cannot be used as a unary operator",
    );
    check("$x :=", json!({}), "error: S0207: Unexpected end of expression");
    // FIXME: jsonata-js (and AWS) say `S0302: No terminating / in regular expression`.
    check(
        "$match(\"a\", /abc",
        json!({}),
        "error: S0101: String literal must be terminated by a matching quote",
    );
    check("(1", json!({}), "error: S0203: Expected \")\" before end of expression");
}

#[test]
fn partition() {
    check(
        "$partition($states.input.a, $states.input.n)",
        json!({"a": [0], "n": 1}),
        "[[0]]",
    );
    check(
        "$partition($states.input.a, $states.input.n)",
        json!({"a": [0, 1, 2], "n": 2}),
        "[[0,1],[2]]",
    );
    check(
        "$partition($states.input.a, $states.input.n)",
        json!({"a": [0, 1, 2, 3], "n": 5}),
        "[[0,1,2,3]]",
    );
    check(
        "$partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)",
        json!({}),
        "[[1,2,3],[4,5,6],[7,8,9]]",
    );
    check("$partition([1, 2, 3], 2.9)", json!({}), "[[1,2],[3]]");
    check("$partition([1, 2, 3])", json!({}), "[[1,2,3]]");
    check("$partition([], 2)", json!({}), "undefined");
    check("$partition([1], 0)", json!({}), "undefined");
    check(
        "$partition([1], -2)",
        json!({}),
        "error: D3137: Second argument must be zero or greater",
    );
    check(
        "$partition('a', 1)",
        json!({}),
        "error: T0412: Argument 1 of function \"partition\" must be an array of undefined",
    );
    check(
        "$partition([1], 'a')",
        json!({}),
        "error: T0410: Argument 2 of function \"partition\" does not match function signature",
    );
    check(
        "$partition([1], 1, 1)",
        json!({}),
        "error: T0410: Argument 3 of function \"partition\" does not match function signature",
    );
}

#[test]
fn range() {
    check(
        "$range($states.input.a, $states.input.b, $states.input.c)",
        json!({"a": 0, "b": 9, "c": 3}),
        "[0,3,6,9]",
    );
    check(
        "$range($states.input.a, $states.input.b, $states.input.c)",
        json!({"a": 0, "b": 10, "c": 3}),
        "[0,3,6,9]",
    );
    check(
        "$range($states.input.a, $states.input.b, $states.input.c)",
        json!({"a": 1, "b": 9, "c": 9}),
        "1",
    );
    check(
        "$range($states.input.a, $states.input.b, $states.input.c)",
        json!({"a": 1, "b": 9, "c": 2}),
        "[1,3,5,7,9]",
    );
    check("$range(0, 10, 2)", json!({}), "[0,2,4,6,8,10]");
    check("$range(10, 0, -5)", json!({}), "[10,5,0]");
    check("$range(0, 10, -1)", json!({}), "undefined");
    check("$range(0, 10, 0)", json!({}), "undefined");
    check("$range(0, 10)", json!({}), "undefined");
    check("$range(3, 3, 1)", json!({}), "3");
    check(
        "$range('a', 3, 1)",
        json!({}),
        "error: T0410: Argument 1 of function \"range\" does not match function signature",
    );
    check(
        "$range(0, 1e7, 1)",
        json!({}),
        "error: D2015: The maximum sequence length of 873782 was exceeded.",
    );
    check("$count($range(1, 873782, 1))", json!({}), "873782");
}

#[test]
fn hash() {
    check(
        "$hash('input', 'SHA-1')",
        json!({}),
        "\"140f86aae51ab9e1cda9b4254fe98a74eb54c1a1\"",
    );
    check("$hash('', 'MD5')", json!({}), "\"d41d8cd98f00b204e9800998ecf8427e\"");
    check(
        "$hash('abc', 'SHA-256')",
        json!({}),
        "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"",
    );
    check("$length($hash('abc', 'SHA-384'))", json!({}), "96");
    check("$length($hash('abc', 'SHA-512'))", json!({}), "128");
    check(
        "$hash('abc', 'sha-256')",
        json!({}),
        "error: D3137: Hash algorithm 'sha-256' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5",
    );
    check(
        "$hash(1, 'MD5')",
        json!({}),
        "error: T0410: Argument 1 of function \"hash\" does not match function signature",
    );
    check("$hash('a')", json!({}), "undefined");
}

#[test]
fn parse() {
    check("$parse($states.input.s)", json!({"s": "-0"}), "0");
    check("$parse($states.input.s)", json!({"s": "1.1"}), "1.1");
    check("$parse($states.input.s)", json!({"s": "true"}), "true");
    check(
        "$parse($states.input.s)",
        json!({"s": "\"HelloWorld\""}),
        "\"HelloWorld\"",
    );
    check(
        "$parse($states.input.s)",
        json!({"s": "[1, 2, \"HelloWorld\"]"}),
        r#"[1,2,"HelloWorld"]"#,
    );
    check(
        "$parse($states.input.s)",
        json!({"s": "{\"Arg1\": 1, \"Arg2\": []}"}),
        r#"{"Arg1":1,"Arg2":[]}"#,
    );
    check("$parse('{\"a\":1}').a", json!({}), "1");
    check("$parse('')", json!({}), "error: D3137: Invalid JSON");
    check("$parse('1 2')", json!({}), "error: D3137: Invalid JSON");
    check("$parse('{\"a\":1,\"a\":2}')", json!({}), "error: D3137: Invalid JSON");
    check(
        "$parse(1)",
        json!({}),
        "error: T0410: Argument 1 of function \"parse\" does not match function signature",
    );
    check("$parse($states.input.missing)", json!({}), "undefined");
}

#[test]
fn random_uuid_and_time() {
    check("$random(42)", json!({}), "0.7275636800328681");
    check("$random(42.9) = $random(42)", json!({}), "true");
    check(
        "$random('a')",
        json!({}),
        "error: T0410: Argument 1 of function \"random\" does not match function signature",
    );
    check("$random() >= 0 and $random() < 1", json!({}), "true");
    check("$random() = $random()", json!({}), "false");
    check("$random()", json!({}), &render("$random()", json!({})));
    check(
        "$uuid() ~> $match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) ~> $exists()",
        json!({}),
        "true",
    );
    check("$uuid() = $uuid()", json!({}), "false");
    check(
        "$uuid(1)",
        json!({}),
        "error: T0410: Argument 1 of function \"uuid\" does not match function signature",
    );
    check("$millis()", json!({}), "1700000000123");
    check("$now()", json!({}), "\"2023-11-14T22:13:20.123Z\"");
    check("$now('[Y0001]-[M01]-[D01]')", json!({}), "\"2023-11-14\"");
    check("$now('[H01]:[m01]', '+0100')", json!({}), "\"23:13\"");
}

#[test]
fn eval_is_not_available() {
    check(
        "$eval('1+1')",
        json!({}),
        "error: T1006: Attempted to invoke a non-function",
    );
    check("$eval", json!({}), "undefined");
}

#[test]
fn guardrails() {
    let chain = vec!["1"; 200].join("+");
    check(
        &chain,
        json!({}),
        "error: U1001: Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.",
    );
    let chain = vec!["1"; 50].join("+");
    check(&chain, json!({}), "50");
    check("[1..873782] ~> $count()", json!({}), "873782");
    check(
        "[1..873783] ~> $count()",
        json!({}),
        "error: D2015: The maximum sequence length of 873782 was exceeded.",
    );
    check(
        "($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(20))",
        json!({}),
        "20",
    );
    check(
        "($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(1000))",
        json!({}),
        "error: U1001: Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.",
    );
    check(
        "$reduce([1..300], function($a, $x){{'a': $a}}, {})",
        json!({}),
        "error: The result is nested more than 128 levels deep",
    );
}

#[test]
fn bindings_are_variables() {
    let states = json!({"input": {"x": 1}});
    let var = json!([1, 2, 3]);
    let mut bindings = Bindings::new();
    bindings.insert("states", &states).insert("items", &var);
    let host = Host {
        now_ms: 0,
        random: &random,
    };
    let sum =
        Expression::compile("$sum($items) + $states.input.x").and_then(|e| e.evaluate(&Value::Null, &bindings, &host));
    assert_eq!(sum, Ok(Some(json!(7))));
    let context = Expression::compile("$").and_then(|e| e.evaluate(&json!({"a": 1}), &bindings, &host));
    assert_eq!(context, Ok(Some(json!({"a": 1}))));
}

#[test]
fn states_is_whole_wherever_an_expression_can_see_all_of_it() {
    // `$states` is bound member by member and converted without the members the text never reads; every way of
    // reading the object itself still sees them all.
    let id = "\"exec-1\"";
    check("$keys($states)", json!({}), r#"["input","context"]"#);
    check("$states.*.Execution.Id", json!({}), id);
    check("$states.$.context.Execution.Id", json!({}), id);
    check("$states.input.%.context.Execution.Id", json!({}), id);
    check("($s := $states; $s.context.Execution.Id)", json!({}), id);
    check("$states.function(){$.context.Execution.Id}()", json!({}), id);
    check("$states.λ(){$.context.Execution.Id}()", json!({}), id);
    check("$states.`context`.Execution.Id", json!({}), id);
    check("$states\n . context.Execution.Id", json!({}), id);
    check("$lookup($states, 'context').Execution.Id", json!({}), id);
    check("$count($keys($states.input)) + $count($states.*)", json!({"a": 1}), "3");
    check("$states.input.a", json!({"a": 1}), "1");
}

#[test]
fn variables_are_the_names_the_text_mentions() {
    let variables = |text: &str| Expression::compile(text).map(|e| e.variables().map(str::to_owned).collect::<Vec<_>>());
    let names = |names: &[&str]| Ok(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>());
    assert_eq!(variables("$sum($states.input.x) + $a_1 + $a_1"), names(&["sum", "states", "a_1"]));
    // jsonata-core reads `$a$b` as the variable `a$b`; `b` is an over-approximation, `a` is no variable.
    assert_eq!(variables("$a$b"), names(&["a$b", "b"]));
    assert_eq!(variables("$ + 1"), names(&[]));
    assert_eq!(variables("function($x){$x + $y}"), names(&["x", "y"]));
}

#[test]
fn mentions_record_the_members_read() {
    let mentions = Mentions::of("$states.input.x + $states . context.Execution.Id & $vars.a & $vars");
    let states = mentions.get("states").expect("$states is mentioned");
    assert!(states.reads("input") && states.reads("context"));
    assert!(!states.reads("result") && !states.reads("errorOutput"));
    let vars = mentions.get("vars").expect("$vars is mentioned");
    assert!(vars.reads("a") && vars.reads("b"), "$vars alone reads every member");
    assert!(mentions.get("state").is_none());
    let modulo = Mentions::of("$states.input.n % 2");
    assert!(modulo.get("states").is_some_and(|m| m.reads("context")), "% may be the parent operator");
}

#[test]
fn a_variable_mentioned_only_inside_a_function_is_bound() {
    let y = json!(2);
    let states = json!({"a": 40});
    let mut bindings = Bindings::new();
    bindings.insert("y", &y).insert_object("states", vec![("input", &states)]);
    let host = Host {
        now_ms: 0,
        random: &random,
    };
    let text = "($f := function($x){$x + $y + $states.input.a}; $f(1))";
    let sum = Expression::compile(text).and_then(|e| e.evaluate(&Value::Null, &bindings, &host));
    assert_eq!(sum, Ok(Some(json!(43))));
}

#[test]
fn expression_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Expression>();
    let expression = Expression::compile("$states.input").map(|e| e.source().to_owned());
    assert_eq!(expression, Ok("$states.input".to_owned()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// No text, however malformed, makes compiling or evaluating panic.
    #[test]
    fn arbitrary_text_never_panics(text in "[-$a-z0-9 .,:;?!=<>&|*/%+~^#@\\[\\](){}'\"`\\\\]{0,40}") {
        let _ = render(&text, json!({"a": [1, {"b": "c"}], "n": 3}));
    }

    /// Nor does text assembled from JSONata's own tokens.
    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..24)) {
        let _ = render(&tokens.concat(), json!({"a": [1, {"b": "c"}], "n": 3}));
    }
}

const TOKENS: &[&str] = &[
    "$",
    "$$",
    "$states",
    ".input",
    ".a",
    "a",
    "b",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    ",",
    ":",
    ";",
    "?",
    "+",
    "-",
    "*",
    "/",
    "%",
    "=",
    "!=",
    "<",
    ">",
    "&",
    "..",
    ":=",
    "~>",
    "and",
    "or",
    "in",
    "#$i",
    "@$x",
    "^(",
    "**",
    "'s'",
    "1",
    "0",
    "-1",
    "1e309",
    "null",
    "true",
    "function($x){$x}",
    "$map",
    "$reduce",
    "$sort",
    "$partition",
    "$range",
    "$hash",
    "$random",
    "$uuid",
    "$parse",
    "$eval",
    "$now",
    "$millis",
    "$string",
    "$keys",
    "$lookup",
    "$spread",
    "$formatNumber",
    "$fromMillis",
    "/a+/",
    " ",
];

mod deterministic;
