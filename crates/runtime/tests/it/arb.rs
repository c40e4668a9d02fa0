//! Strategies for the leaves of a definition: JSON values, paths, intrinsic calls, payload templates, Choice rules.
//!
//! Everything here is text or JSON as a user would write it; `definition` assembles states from these pieces. The
//! generators lean towards well-typed, valid pieces (so that runs get past parsing and exercise evaluation) and mix
//! in a little of everything else: invalid paths, wrong argument types, huge numbers, non-ASCII text.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;

use proptest::collection::vec;
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

/// Keys that generated inputs use, so that generated paths often find something.
pub(crate) const KEYS: &[&str] = &["a", "b", "c", "n", "s", "ts", "items", "obj", "ü", "k y", "Payload"];

/// Error names: AWS's, custom ones, and odd ones.
pub(crate) const ERRORS: &[&str] = &[
    "States.ALL",
    "States.TaskFailed",
    "States.Timeout",
    "States.Runtime",
    "States.Permissions",
    "States.HeartbeatTimeout",
    "States.DataLimitExceeded",
    "States.IntrinsicFailure",
    "States.NoChoiceMatched",
    "States.ResultPathMatchFailure",
    "States.BranchFailed",
    "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed",
    "Lambda.ServiceException",
    "Custom.Error",
    "é🙂",
    "",
];

const VALID_TIMESTAMPS: usize = 7;

/// Timestamps, the valid ones first (`VALID_TIMESTAMPS` of them).
const TIMESTAMPS: &[&str] = &[
    "2016-03-14T01:59:00Z",
    "2016-03-14T01:59:00.123+01:00",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59-00:30",
    "2999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2016-03-14T01:59:00.123456789Z",
    "9999-12-31T23:59:59.999Z",
    "2016-03-14 01:59:00Z",
    "2016-03-14T01:59:00",
    "2016-02-30T00:00:00Z",
    "not a timestamp",
];

/// A JSON leaf: small and extreme numbers, strings that mean something to some intrinsic, non-ASCII text.
pub(crate) fn leaf() -> BoxedStrategy<Value> {
    cached("leaf", || {
        prop_oneof![
            1 => Just(Value::Null),
            2 => any::<bool>().prop_map(Value::from),
            10 => number(),
            8 => string().prop_map(Value::from),
        ]
        .boxed()
    })
}

/// A number: mostly small integers, sometimes extreme integers or floats.
pub(crate) fn number() -> BoxedStrategy<Value> {
    cached("number", || {
        prop_oneof![
            6 => (-3i64..12).prop_map(Value::from),
            2 => select(&[i64::MIN, i64::MAX, -1, 1000, 9_007_199_254_740_993][..]).prop_map(Value::from),
            1 => Just(json!(u64::MAX)),
            2 => select(&[0.5, -0.0, 1.5, 2.5, -2.5, 1e300, -1e-300, 12.000_001, 99.9][..]).prop_map(|f| json!(f)),
        ]
        .boxed()
    })
}

/// A string value: plain, a timestamp, JSON text, base64, a hash algorithm name, or arbitrary Unicode.
pub(crate) fn string() -> BoxedStrategy<String> {
    cached("string", || {
        prop_oneof![
            4 => "[a-c ,.{}'\"\\\\]{0,8}",
            2 => timestamp(),
            2 => select(&["{\"a\": 1}", "[1,2,[3]]", "1", "\"x\"", "{", "null", "{\"b\":{\"c\":[]}}"][..]).prop_map(str::to_owned),
            1 => select(&["aGVsbG8=", "/w==", "%%", "", "YQ"][..]).prop_map(str::to_owned),
            1 => select(&["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512", "sha1"][..]).prop_map(str::to_owned),
            2 => "\\PC{0,6}",
        ]
        .boxed()
    })
}

/// Any JSON value, nested a few levels.
pub(crate) fn json() -> BoxedStrategy<Value> {
    cached("json", || {
        leaf()
            .prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    vec(inner.clone(), 0..4).prop_map(Value::Array),
                    vec((key(), inner), 0..4).prop_map(|members| Value::Object(members.into_iter().collect())),
                ]
            })
            .boxed()
    })
}

/// An object key: mostly one of `KEYS`, sometimes anything.
pub(crate) fn key() -> BoxedStrategy<String> {
    cached("key", || {
        prop_oneof![6 => select(KEYS).prop_map(str::to_owned), 1 => "\\PC{0,4}"].boxed()
    })
}

/// An execution input: usually an object over `KEYS`, sometimes any value.
pub(crate) fn input() -> BoxedStrategy<Value> {
    cached("input", || {
        prop_oneof![
            8 => (
                weighted(0.9, json()),
                weighted(0.9, string().prop_map(Value::from)),
                weighted(0.9, number()),
                weighted(0.9, timestamp().prop_map(Value::from)),
                weighted(0.9, vec(json(), 0..5).prop_map(Value::Array)),
                weighted(0.9, vec((key(), json()), 0..4).prop_map(|members| Value::Object(members.into_iter().collect()))),
                vec((select(KEYS), json()), 0..3),
            )
                .prop_map(|(a, s, n, ts, items, obj, extra)| {
                    let typed = [("a", a), ("s", s), ("n", n), ("ts", ts), ("items", items), ("obj", obj)];
                    let mut object: Map<String, Value> =
                        typed.into_iter().filter_map(|(k, v)| Some((k.to_owned(), v?))).collect();
                    object.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
                    Value::Object(object)
                }),
            1 => json(),
        ]
        .boxed()
    })
}

fn name() -> BoxedStrategy<String> {
    select(&["a", "b", "c", "n", "s", "ts", "items", "obj", "ü", "Payload", "x"][..])
        .prop_map(str::to_owned)
        .boxed()
}

/// One path segment after the root, definite ones first.
fn segment() -> BoxedStrategy<String> {
    prop_oneof![
        8 => name().prop_map(|n| format!(".{n}")),
        3 => (0u8..4).prop_map(|i| format!("[{i}]")),
        1 => Just("['k y']".to_owned()),
        2 => select(
            &[
                "[-1]", "[\"a\"]", "[*]", ".*", "[1:3]", "[:2]", "[-2:]", "[0,1]", "['a','b']", "[?(@.n > 1)]",
                "[?(@ == 'x')]", "[?(@.a)]", "..a", "..*", "[99999999999]",
            ][..]
        )
        .prop_map(str::to_owned),
    ]
    .boxed()
}

const CONTEXT_PATHS: &[&str] = &[
    "$$",
    "$$.Execution.Input",
    "$$.Execution.Input.a",
    "$$.Execution.Id",
    "$$.Execution.Name",
    "$$.Execution.StartTime",
    "$$.State.Name",
    "$$.State.EnteredTime",
    "$$.State.RetryCount",
    "$$.StateMachine.Name",
    "$$.Map.Item.Value",
    "$$.Map.Item.Index",
    "$$.Task.Token",
    "$$.Execution.*",
];

/// A JSONPath: on the input (mostly), the Context object, a variable, or malformed text.
pub(crate) fn path() -> BoxedStrategy<String> {
    cached("path", || {
        prop_oneof![
            12 => vec(segment(), 0..4).prop_map(|segments| format!("${}", segments.concat())),
            2 => select(CONTEXT_PATHS).prop_map(str::to_owned),
            1 => vec(segment(), 0..2).prop_map(|segments| format!("$v{}", segments.concat())),
            1 => select(&["$.", "$[", "a.b", "$..", "", "$.a b", "$['a", "$[0", "$.a[?(", "$ x"][..]).prop_map(str::to_owned),
        ]
        .boxed()
    })
}

/// A reference path (definite, on the input) as ResultPath, ItemsPath and the `…Path` fields need; rarely not one.
pub(crate) fn reference_path() -> BoxedStrategy<String> {
    cached("reference_path", || {
        let definite = prop_oneof![
            4 => name().prop_map(|n| format!(".{n}")),
            1 => (0u8..3).prop_map(|i| format!("[{i}]")),
            1 => Just("['k y']".to_owned()),
        ];
        prop_oneof![
            40 => vec(definite, 0..3).prop_map(|segments| format!("${}", segments.concat())),
            1 => select(&["$$.Execution.Input", "$$.Map.Item.Index", "$$.State.RetryCount"][..]).prop_map(str::to_owned),
            1 => path(),
        ]
        .boxed()
    })
}

/// The text of a string literal inside an intrinsic call, escapes and all.
fn string_literal() -> BoxedStrategy<String> {
    cached("string_literal", || {
        let piece = select(
            &[
                "a", "b", " ", ",", "\\'", "\\{", "\\}", "\\\\", "{}", "ü", "\"", "(", ")", "$", "\\n",
            ][..],
        );
        prop_oneof![
            4 => vec(piece, 0..5).prop_map(|pieces| format!("'{}'", pieces.concat())),
            1 => select(&["'{\"a\": 1}'", "'[1,2]'", "'{'", "'SHA-256'", "'MD5'", "'aGk='", "'2016-03-14T01:59:00Z'"][..])
                .prop_map(str::to_owned),
        ]
        .boxed()
    })
}

fn number_literal() -> BoxedStrategy<String> {
    cached("number_literal", || {
        prop_oneof![
            4 => (-3i32..12).prop_map(|n| n.to_string()),
            1 => select(
                &["1.5", "-2.5", "1e3", "9223372036854775807", "-9223372036854775808", "18446744073709551615", "1e400", "0.0"][..]
            )
            .prop_map(str::to_owned),
        ]
        .boxed()
    })
}

/// A literal or a path argument.
fn simple_arg() -> BoxedStrategy<String> {
    cached("simple_arg", || {
        prop_oneof![
            3 => string_literal(),
            3 => number_literal(),
            1 => select(&["true", "false", "null"][..]).prop_map(str::to_owned),
            4 => path(),
        ]
        .boxed()
    })
}

/// An argument that usually has the type `kind` asks for; `arg` is any argument.
fn typed(kind: &'static str, arg: &BoxedStrategy<String>) -> BoxedStrategy<String> {
    let literal = match kind {
        "int" => number_literal(),
        "str" => string_literal(),
        "bool" => select(&["false", "true"][..]).prop_map(str::to_owned).boxed(),
        "array" => select(
            &[
                "States.Array(1, 2, 2)",
                "States.StringToJson('[1,[2],{}]')",
                "States.ArrayRange(0, 5, 2)",
                "$.items",
            ][..],
        )
        .prop_map(str::to_owned)
        .boxed(),
        "object" => select(
            &[
                "$.obj",
                "$",
                "States.StringToJson('{\"a\": {\"b\": 1}}')",
                "$$.Execution",
            ][..],
        )
        .prop_map(str::to_owned)
        .boxed(),
        _ => arg.clone(),
    };
    prop_oneof![6 => literal, 2 => path(), 1 => arg.clone()].boxed()
}

/// An intrinsic function call, nested at most three deep; arguments mostly of the right types and counts.
pub(crate) fn call() -> BoxedStrategy<String> {
    cached("call", || {
        let mut call = calls_with(simple_arg());
        for _ in 0..2 {
            call = calls_with(prop_oneof![4 => simple_arg(), 1 => call].boxed());
        }
        call
    })
}

/// Calls whose arguments are `arg`, or typed literals.
fn calls_with(arg: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let args = |kinds: &'static [&'static str]| kinds.iter().map(|kind| typed(kind, &arg)).collect::<Vec<_>>();
    let format_arg = arg.clone();
    let format = (0usize..4).prop_flat_map(move |holes| {
        let template = vec(select(&["x", " ", "{}", "\\{", "é"][..]), 0..4)
            .prop_map(move |pieces| format!("'{}{}'", pieces.concat(), "{} ".repeat(holes)));
        (template, vec(format_arg.clone(), holes..=holes)).prop_map(|(template, mut rest)| {
            rest.insert(0, template);
            ("States.Format", rest)
        })
    });
    let typed_call = prop_oneof![
        args(&["str"]).prop_map(|a| ("States.StringToJson", a)),
        args(&["any"]).prop_map(|a| ("States.JsonToString", a)),
        vec(arg.clone(), 0..4).prop_map(|a| ("States.Array", a)),
        args(&["array", "int"]).prop_map(|a| ("States.ArrayPartition", a)),
        args(&["array", "any"]).prop_map(|a| ("States.ArrayContains", a)),
        args(&["int", "int", "int"]).prop_map(|a| ("States.ArrayRange", a)),
        args(&["array", "int"]).prop_map(|a| ("States.ArrayGetItem", a)),
        args(&["array"]).prop_map(|a| ("States.ArrayLength", a)),
        args(&["array"]).prop_map(|a| ("States.ArrayUnique", a)),
        args(&["str"]).prop_map(|a| ("States.Base64Encode", a)),
        args(&["str"]).prop_map(|a| ("States.Base64Decode", a)),
        args(&["str", "str"]).prop_map(|a| ("States.Hash", a)),
        args(&["object", "object", "bool"]).prop_map(|a| ("States.JsonMerge", a)),
        args(&["int", "int"]).prop_map(|a| ("States.MathRandom", a)),
        args(&["int", "int", "int"]).prop_map(|a| ("States.MathRandom", a)),
        args(&["int", "int"]).prop_map(|a| ("States.MathAdd", a)),
        args(&["str", "str"]).prop_map(|a| ("States.StringSplit", a)),
        Just(("States.UUID", Vec::new())),
    ];
    // Now and then a wrong arity or an unknown function, which parsing must reject.
    let odd = (
        select(
            &[
                "States.UUID",
                "States.ArrayLength",
                "States.Nope",
                "States.Format",
                "Foo.Bar",
            ][..],
        ),
        vec(simple_arg(), 0..3),
    );
    prop_oneof![2 => format, 12 => typed_call, 1 => odd]
        .prop_map(|(function, args)| format!("{function}({})", args.join(", ")))
        .boxed()
}

/// A payload template (Parameters, ResultSelector, ItemSelector, BatchInput): `.$` keys hold paths and calls.
pub(crate) fn template() -> BoxedStrategy<Value> {
    cached("template", || {
        let dynamic = prop_oneof![3 => path(), 2 => call()].prop_map(Value::String);
        let member = prop_oneof![
            40 => (select(&["x", "y", "k y", "ü", "Payload", ""][..]), dynamic).prop_map(|(k, v)| (format!("{k}.$"), v)),
            16 => (select(&["x", "y", "const"][..]), json()).prop_map(|(k, v)| (k.to_owned(), v)),
            // Rarely a `.$` key without a path or call, which parsing must reject.
            1 => (Just("bad.$"), select(vec![json!(1), json!("no path"), json!(null)])).prop_map(|(k, v)| (k.to_owned(), v)),
        ];
        let flat = vec(member, 0..4).prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>()));
        flat.prop_recursive(2, 12, 3, |inner| {
            prop_oneof![
                vec((select(&["in", "deep"][..]), inner.clone()), 1..3)
                    .prop_map(|members| Value::Object(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
                vec(inner, 1..3).prop_map(|items| json!({"list": items})),
            ]
        })
        .boxed()
    })
}

/// A Choice rule without `Next`: a comparison, or `And`/`Or`/`Not` over rules.
pub(crate) fn rule() -> BoxedStrategy<Value> {
    cached("rule", || {
        comparison()
            .prop_recursive(3, 10, 3, |inner| {
                prop_oneof![
                    vec(inner.clone(), 1..3).prop_map(|rules| json!({"And": rules})),
                    vec(inner.clone(), 1..3).prop_map(|rules| json!({"Or": rules})),
                    inner.prop_map(|rule| json!({"Not": rule})),
                ]
            })
            .boxed()
    })
}

fn comparison() -> BoxedStrategy<Value> {
    let operand = prop_oneof![
        (
            select(
                &[
                    "NumericEquals",
                    "NumericGreaterThan",
                    "NumericLessThanEquals",
                    "NumericLessThan",
                    "NumericGreaterThanEquals"
                ][..]
            ),
            typed_leaf(number()),
        ),
        (
            select(
                &[
                    "StringEquals",
                    "StringLessThan",
                    "StringGreaterThanEquals",
                    "StringLessThanEquals",
                    "StringGreaterThan"
                ][..]
            ),
            typed_leaf(string().prop_map(Value::from)),
        ),
        (
            select(
                &[
                    "TimestampEquals",
                    "TimestampLessThan",
                    "TimestampGreaterThan",
                    "TimestampLessThanEquals",
                    "TimestampGreaterThanEquals"
                ][..]
            ),
            timestamp().prop_map(Value::from),
        ),
        (
            Just("StringMatches"),
            select(&["*", "a*", "*.b", "\\*", "x\\\\*", "", "ü*é", "*,*", "2016*"][..]).prop_map(Value::from)
        ),
        (
            select(
                &[
                    "BooleanEquals",
                    "IsNull",
                    "IsPresent",
                    "IsNumeric",
                    "IsString",
                    "IsBoolean",
                    "IsTimestamp"
                ][..]
            ),
            typed_leaf(any::<bool>().prop_map(Value::from)),
        ),
        (
            select(
                &[
                    "NumericEqualsPath",
                    "NumericLessThanPath",
                    "StringEqualsPath",
                    "StringGreaterThanPath",
                    "TimestampEqualsPath",
                    "TimestampLessThanEqualsPath",
                    "BooleanEqualsPath",
                ][..]
            ),
            reference_path().prop_map(Value::from),
        ),
    ];
    (prop_oneof![8 => reference_path(), 1 => path()], operand)
        .prop_map(|(variable, (operator, value))| {
            let mut rule = Map::new();
            rule.insert("Variable".to_owned(), Value::String(variable));
            rule.insert(operator.to_owned(), value);
            Value::Object(rule)
        })
        .boxed()
}

/// The strategy `name`, made once per thread: strategies are cheap to clone and some are costly to make.
fn cached<T: std::fmt::Debug + 'static>(
    name: &'static str,
    make: impl FnOnce() -> BoxedStrategy<T>,
) -> BoxedStrategy<T> {
    thread_local! {
        static CACHE: RefCell<HashMap<&'static str, Box<dyn Any>>> = RefCell::new(HashMap::new());
    }
    if let Some(strategy) = CACHE.with(|cache| {
        cache
            .borrow()
            .get(name)
            .and_then(|s| s.downcast_ref::<BoxedStrategy<T>>())
            .cloned()
    }) {
        return strategy;
    }
    let strategy = make();
    CACHE.with(|cache| cache.borrow_mut().insert(name, Box::new(strategy.clone())));
    strategy
}

/// Mostly a value from `typed`, sometimes any leaf (which the operator may not accept).
fn typed_leaf(typed: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    prop_oneof![12 => typed, 1 => leaf()].boxed()
}

/// A list of error names for `ErrorEquals`.
pub(crate) fn error_equals() -> BoxedStrategy<Vec<String>> {
    cached("error_equals", || {
        vec(select(ERRORS).prop_map(str::to_owned), 1..3).boxed()
    })
}

/// A timestamp text, usually valid.
pub(crate) fn timestamp() -> BoxedStrategy<String> {
    cached("timestamp", || {
        let valid = TIMESTAMPS.get(..VALID_TIMESTAMPS).unwrap_or(TIMESTAMPS);
        prop_oneof![8 => select(valid), 1 => select(TIMESTAMPS)]
            .prop_map(str::to_owned)
            .boxed()
    })
}
