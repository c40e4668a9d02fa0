//! The official JSONata test suite (jsonata-js `test/test-suite`), run through jsonata-core as this crate uses it.
//!
//! Each case is data: an expression (`expr` or `expr-file`), an input (`data`, or a `dataset` name, `null` meaning
//! undefined), `bindings`, and the expected `result` (compared as a multiset when `unordered`), `undefinedResult`,
//! or error `code`. `timelimit` and `depth` become jsonata-core's timeout and stack-depth guardrails, whose errors
//! count as the suite's `U1001`. The suite runs with standard JSONata semantics (`$eval`, the real `$now`), not
//! Step Functions' dialect: it checks the interpreter, and the dialect is unit-tested in `src/tests.rs`.
//!
//! The test fails when the pass rate drops below 99% or when a case fails that `known_failures.txt` does not list
//! (with its reason). The suite lives outside the repository: `BATON_JSONATA_SUITE_DIR`, or `../shared/jsonata-suite`
//! next to the workspace; without it the test prints a note and passes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::value::JValue;
use serde_json::Value;

const KNOWN_FAILURES: &str = include_str!("known_failures.txt");
const MIN_PASS_RATE: f64 = 0.99;

#[test]
fn jsonata_suite() {
    let Some(root) = suite_dir() else {
        eprintln!("note: the JSONata suite was not found (set BATON_JSONATA_SUITE_DIR); skipping");
        return;
    };
    let cases = load_cases(&root);
    assert!(
        cases.len() > 1000,
        "expected the whole suite under {}, found {} cases",
        root.display(),
        cases.len()
    );

    let outcomes = Mutex::new(Vec::with_capacity(cases.len()));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let outcome = run(case, &root);
                    outcomes
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((case.id.clone(), outcome));
                }
            });
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap_or_else(|e| e.into_inner());
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));

    let known: BTreeMap<&str, &str> = KNOWN_FAILURES
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            line.split_once(char::is_whitespace)
                .map_or((line, ""), |(id, why)| (id, why.trim()))
        })
        .collect();
    for (id, why) in &known {
        assert!(!why.is_empty(), "known_failures.txt: {id} needs a reason");
    }

    let mut by_group: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    for (id, outcome) in &outcomes {
        let group = id.split('/').next().unwrap_or(id);
        let entry = by_group.entry(group).or_default();
        entry.1 += 1;
        match outcome {
            Ok(()) => {
                entry.0 += 1;
                if known.contains_key(id.as_str()) {
                    fixed.push(id.as_str());
                }
            }
            Err(why) if !known.contains_key(id.as_str()) => unexpected.push(format!("{id}: {why}")),
            Err(_) => {}
        }
    }
    let passed: usize = by_group.values().map(|(p, _)| p).sum();
    let total = outcomes.len();
    for (group, (p, n)) in &by_group {
        if p != n {
            println!("{group:<40} {p:>4}/{n:<4}");
        }
    }
    let rate = passed as f64 / total as f64;
    println!(
        "JSONata suite: {passed}/{total} passed ({:.2}%), {} groups all passing",
        rate * 100.0,
        by_group.values().filter(|(p, n)| p == n).count()
    );
    for id in &fixed {
        println!("note: {id} is listed in known_failures.txt but passes now");
    }
    assert!(
        unexpected.is_empty(),
        "{} unexpected failures:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(rate >= MIN_PASS_RATE, "pass rate {rate:.4} is below {MIN_PASS_RATE}");
}

struct Case {
    /// `group/caseNNN`, with `#i` for the i-th case of a file that holds several.
    id: String,
    dir: PathBuf,
    spec: Value,
}

fn suite_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("BATON_JSONATA_SUITE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/jsonata-suite"),
    };
    dir.join("groups").is_dir().then_some(dir)
}

fn load_cases(root: &Path) -> Vec<Case> {
    let mut files = BTreeSet::new();
    for group in std::fs::read_dir(root.join("groups")).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(group.path()).into_iter().flatten().flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "json") {
                files.insert(path);
            }
        }
    }
    let mut cases = Vec::new();
    for path in files {
        let group = path
            .parent()
            .and_then(Path::file_name)
            .map(|g| g.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let id = format!("{group}/{stem}");
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let spec = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| read_json(&text))
        {
            Ok(spec) => spec,
            Err(why) => {
                // Kept as a case so that it is reported (and must be listed) rather than silently skipped.
                cases.push(Case {
                    id,
                    dir,
                    spec: Value::String(format!("unreadable: {why}")),
                });
                continue;
            }
        };
        match spec {
            Value::Array(items) => {
                for (i, spec) in items.into_iter().enumerate() {
                    cases.push(Case {
                        id: format!("{id}#{i}"),
                        dir: dir.clone(),
                        spec,
                    });
                }
            }
            spec => cases.push(Case { id, dir, spec }),
        }
    }
    cases
}

fn read_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Runs one case: `Ok` when it behaves as specified, else what happened instead.
fn run(case: &Case, root: &Path) -> Result<(), String> {
    let spec = case.spec.as_object().ok_or_else(|| format!("{}", case.spec))?;
    let expr = match (spec.get("expr"), spec.get("expr-file")) {
        (Some(Value::String(expr)), _) => expr.clone(),
        (_, Some(Value::String(file))) => std::fs::read_to_string(case.dir.join(file)).map_err(|e| e.to_string())?,
        _ => return Err("no expression".to_owned()),
    };
    let input = match (spec.get("data"), spec.get("dataset")) {
        (Some(data), _) => JValue::from(data.clone()),
        (None, Some(Value::String(name))) => {
            let text = std::fs::read_to_string(root.join("datasets").join(format!("{name}.json")))
                .map_err(|e| e.to_string())?;
            JValue::from_json_str(&text).map_err(|e| e.to_string())?
        }
        _ => JValue::Undefined,
    };
    let expected_code = spec
        .get("code")
        .or_else(|| spec.get("error").and_then(|e| e.get("code")))
        .and_then(Value::as_str);

    let outcome = evaluate(&expr, &input, spec);
    match (outcome, expected_code) {
        (Err(code), Some(expected)) if code == expected => Ok(()),
        (Err(code), _) => Err(format!("threw {code}")),
        (Ok(actual), Some(expected)) => Err(format!("expected error {expected}, got {}", render(&actual))),
        (Ok(actual), None) => {
            if spec.get("undefinedResult").and_then(Value::as_bool) == Some(true) {
                return if actual.is_undefined() {
                    Ok(())
                } else {
                    Err(format!("expected undefined, got {}", render(&actual)))
                };
            }
            let expected = spec.get("result").ok_or("no expected result")?;
            let unordered = spec.get("unordered").and_then(Value::as_bool) == Some(true);
            if equal(expected, &actual, unordered) {
                Ok(())
            } else {
                Err(format!("expected {expected}, got {}", render(&actual)))
            }
        }
    }
}

/// Evaluates `expr`; an error is its JSONata code (or its message, when it has none).
fn evaluate(expr: &str, input: &JValue, spec: &serde_json::Map<String, Value>) -> Result<JValue, String> {
    let ast = jsonata_core::parser::parse(expr).map_err(|e| code_of(&e.to_string()))?;
    let mut context = Context::new();
    if let Some(Value::Object(bindings)) = spec.get("bindings") {
        for (name, value) in bindings {
            context.bind(name.clone(), JValue::from(value.clone()));
        }
    }
    let limit = |key: &str| spec.get(key).and_then(Value::as_u64);
    let options = match (limit("timelimit"), limit("depth")) {
        (Some(timelimit), Some(depth)) => EvaluatorOptions {
            timeout_ms: Some(timelimit),
            max_stack_depth: usize::try_from(depth).ok(),
            ..EvaluatorOptions::default()
        },
        _ => EvaluatorOptions::default(),
    };
    let mut evaluator = Evaluator::with_options(context, options);
    evaluator
        .evaluate(&ast, input)
        .map(unwrap_singleton)
        .map_err(|e: EvaluatorError| match code_of(e.message()) {
            // The suite's harness reports its depth and time limits as U1001; jsonata-core's own are D1011/D1012.
            code if code == "D1011" || code == "D1012" => "U1001".to_owned(),
            code => code,
        })
}

/// The first JSONata code in `message` (some follow a prefix of jsonata-core's own, `Invalid syntax: S0209: …`),
/// or the whole message when it has none.
fn code_of(message: &str) -> String {
    let starts = std::iter::once(0).chain(message.match_indices(' ').map(|(i, _)| i + 1));
    let code = starts
        .filter_map(|i| message.get(i..))
        .find_map(jsonata_core::evaluator::error_code_prefix);
    code.unwrap_or(message).to_owned()
}

fn unwrap_singleton(value: JValue) -> JValue {
    match &value {
        JValue::Array(items) if items.sequence && !items.keep_singleton && items.len() <= 1 => {
            items.first().cloned().unwrap_or(JValue::Undefined)
        }
        _ => value,
    }
}

fn render(value: &JValue) -> String {
    if value.is_undefined() {
        "undefined".to_owned()
    } else {
        Value::from(value).to_string()
    }
}

/// Deep equality of an expected JSON value and a result; numbers compare as `f64`.
fn equal(expected: &Value, actual: &JValue, unordered: bool) -> bool {
    match (expected, actual) {
        (Value::Null, JValue::Null) => true,
        (Value::Bool(a), JValue::Bool(b)) => a == b,
        (Value::Number(a), JValue::Number(b)) => a.as_f64() == Some(*b),
        (Value::String(a), JValue::String(b)) => a.as_str() == &**b,
        (Value::Array(a), JValue::Array(b)) => {
            if a.len() != b.len() {
                return false;
            }
            if !unordered {
                return a.iter().zip(b.iter()).all(|(x, y)| equal(x, y, false));
            }
            let mut used = vec![false; b.len()];
            a.iter().all(|x| {
                let found = b
                    .iter()
                    .enumerate()
                    .find(|(i, y)| !used[*i] && equal(x, y, false))
                    .map(|(i, _)| i);
                found.map(|i| used[i] = true).is_some()
            })
        }
        (Value::Object(a), JValue::Object(b)) => {
            let defined = b.iter().filter(|(_, v)| !v.is_undefined()).count();
            a.len() == defined && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| equal(x, y, unordered)))
        }
        _ => false,
    }
}
