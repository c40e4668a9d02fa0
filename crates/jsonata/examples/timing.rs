//! Prints what one small evaluation costs, as a Step Functions state makes it (not a timed assertion).
//!
//! `cargo run --release -p jsonata --example timing`

use std::time::Instant;

use serde_json::{Value, json};

fn main() {
    let random = || 42u64;
    let host = jsonata::Host {
        now_ms: 1_700_000_000_000,
        random: &random,
    };
    let input = json!({"acc": {"step": 7, "prev": 6, "name": "chain"}, "name": "chain"});
    let context = json!({"Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:m:e", "Name": "e",
        "StartTime": "2024-01-01T00:00:00.000Z"}, "State": {"Name": "S42", "EnteredTime": "2024-01-01T00:00:00.000Z"}});
    let var = json!({"a": [1, 2, 3]});
    for (label, text) in [
        (
            "object of 3",
            "{'step': 1, 'prev': $states.input.acc.step, 'name': $states.input.name}",
        ),
        ("path", "$states.input.acc.step"),
        ("arithmetic", "$states.input.acc.step + 1"),
        ("sum over variable", "$sum($var.a) + $states.input.acc.step"),
        ("$uuid()", "$uuid()"),
    ] {
        let expression = jsonata::Expression::compile(text).expect("the example expressions compile");
        let mut bindings = jsonata::Bindings::new();
        bindings.insert_object("states", vec![("input", &input), ("context", &context)]).insert("var", &var);
        let n = 200_000;
        let mut last = None;
        let start = Instant::now();
        for _ in 0..n {
            last = expression
                .evaluate(&Value::Null, &bindings, &host)
                .expect("the example expressions evaluate");
        }
        let per = start.elapsed() / n;
        println!(
            "{label:<20} {per:>10.2?} per evaluation  -> {}",
            last.unwrap_or(Value::Null)
        );
    }
    let start = Instant::now();
    let n = 20_000;
    for _ in 0..n {
        let _ = jsonata::Expression::compile("{'step': 1, 'prev': $states.input.acc.step, 'name': $states.input.name}");
    }
    println!("{:<20} {:>10.2?} per compile", "object of 3", start.elapsed() / n);

    // Where the depth guardrail falls, in the shapes AWS's limit was measured with.
    let ok = |text: &str| {
        let e = jsonata::Expression::compile(text).expect("compiles");
        e.evaluate(&Value::Null, &jsonata::Bindings::new(), &host).is_ok()
    };
    let chain = (1..400)
        .take_while(|n| ok(&vec!["1"; *n].join("+")))
        .last()
        .unwrap_or(0);
    let recursion = (1..400)
        .take_while(|n| ok(&format!("($f := function($n){{$n = 0 ? 0 : 1 + $f($n - 1)}}; $f({n}))")))
        .last()
        .unwrap_or(0);
    println!("longest 1+1+…+1 chain accepted: {chain} terms; deepest non-tail recursion: {recursion} calls");
}
