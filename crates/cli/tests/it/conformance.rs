//! The conformance corpus (`../shared/conformance`, results recorded against AWS) run through `baton run --json`.
//!
//! Every case runs; the pass rate is printed by category and for the JSONPath-only subset. A case that fails and is
//! not in `known_failures.txt` (with its reason) fails this test, so nothing that passed can regress unnoticed. A
//! passing case that recorded its history's event types must also write the same types, or be listed in
//! `known_failures.txt` as `history:<case>` with its reason.
//! `UPDATE_KNOWN_FAILURES=1` rewrites the list from the current results, keeping reasons already written. When the
//! corpus is absent (a fresh clone without `shared/`), the test prints a note and passes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

use crate::fuzzy::{Rules, compare};

const KNOWN_FAILURES: &str = "tests/it/known_failures.txt";

#[test]
fn conformance() {
    let Some(root) = corpus() else {
        println!("note: ../shared/conformance not found (set BATON_CONFORMANCE_DIR); conformance cases skipped");
        return;
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for category in std::fs::read_dir(root.join("cases")).expect("cases directory").flatten() {
        for file in std::fs::read_dir(category.path()).expect("category directory").flatten() {
            if file.path().extension().is_some_and(|e| e == "json") {
                files.push(file.path());
            }
        }
    }
    files.sort();
    let scratch = std::env::temp_dir().join(format!("baton-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch directory");

    let results: Mutex<Vec<CaseResult>> = Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let (files, results, next, scratch) = (&files, &results, &next, &scratch);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let case: Value = serde_json::from_str(&std::fs::read_to_string(file).expect("case file")).expect("case json");
                    let id = format!("{}/{}", case["category"].as_str().unwrap_or("?"), case["name"].as_str().unwrap_or("?"));
                    let jsonpath_only = !needs(&case, "jsonata") && !needs(&case, "variables");
                    let outcome = run_case(&case, &scratch.join(format!("w{worker}")));
                    let category = case["category"].as_str().unwrap_or("?").to_owned();
                    results.lock().expect("results lock").push(CaseResult { category, id, jsonpath_only, outcome });
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&scratch);
    let mut results = results.into_inner().expect("results");
    results.sort_by(|a, b| a.id.cmp(&b.id));

    let known = read_known_failures();
    let mut by_category: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut jp_pass, mut jp_total) = (0, 0);
    let mut regressions = Vec::new();
    let mut fixed = Vec::new();
    let mut failing = BTreeMap::new();
    let (mut history_matched, mut history_recorded) = (0, 0);
    for CaseResult { category, id, jsonpath_only, outcome } in &results {
        let entry = by_category.entry(category.clone()).or_default();
        entry.1 += 1;
        if *jsonpath_only {
            jp_total += 1;
        }
        match outcome {
            Ok(history) => {
                entry.0 += 1;
                if *jsonpath_only {
                    jp_pass += 1;
                }
                if known.contains_key(id) {
                    fixed.push(id.clone());
                }
                let history_id = format!("history:{id}");
                match history {
                    History::NotRecorded => {}
                    History::Matches => {
                        history_recorded += 1;
                        history_matched += 1;
                        if known.contains_key(&history_id) {
                            fixed.push(history_id);
                        }
                    }
                    History::Differs(why) => {
                        history_recorded += 1;
                        failing.insert(history_id.clone(), why.clone());
                        if !known.contains_key(&history_id) {
                            regressions.push(format!("{history_id}: {why}"));
                        }
                    }
                }
            }
            Err(why) => {
                failing.insert(id.clone(), why.clone());
                if !known.contains_key(id) {
                    regressions.push(format!("{id}: {why}"));
                }
            }
        }
    }
    println!("conformance by category (passed/total):");
    for (category, (pass, total)) in &by_category {
        println!("  {category:<22} {pass:>4}/{total:<4} {:5.1}%", percent(*pass, *total));
    }
    let (pass, total) = by_category.values().fold((0, 0), |(p, t), (a, b)| (p + a, t + b));
    println!("  {:<22} {pass:>4}/{total:<4} {:5.1}%", "all", percent(pass, total));
    println!("  {:<22} {jp_pass:>4}/{jp_total:<4} {:5.1}%", "no JSONata/variables", percent(jp_pass, jp_total));
    println!("history event types match the record in {history_matched}/{history_recorded} passing cases that recorded them");
    for id in &fixed {
        println!("now passing (remove from {KNOWN_FAILURES}): {id}");
    }
    if std::env::var_os("UPDATE_KNOWN_FAILURES").is_some() {
        write_known_failures(&failing, &known);
        println!("rewrote {KNOWN_FAILURES} with {} cases", failing.len());
        return;
    }
    assert!(regressions.is_empty(), "{} conformance cases fail that are not known failures:\n{}", regressions.len(), regressions.join("\n"));
}

/// How one case went.
struct CaseResult {
    category: String,
    id: String,
    jsonpath_only: bool,
    /// The result matched (with how its history compares), or why not.
    outcome: Result<History, String>,
}

/// How a passing case's history event types compare with the recorded ones.
enum History {
    NotRecorded,
    Matches,
    Differs(String),
}

fn run_case(case: &Value, dir: &Path) -> Result<History, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let definition = dir.join("definition.json");
    let input = dir.join("input.json");
    std::fs::write(&definition, case["definition"].to_string()).map_err(|e| e.to_string())?;
    std::fs::write(&input, case["input"].to_string()).map_err(|e| e.to_string())?;
    let name = case["name"].as_str().unwrap_or("case");
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command.arg("run").arg(&definition).arg("--input-file").arg(&input).args(["--json", "--history", "--virtual-time", "--name", name]);
    command.args(["--region", "us-east-1", "--account-id", "111111111111"]);
    if needs(case, "express") {
        command.args(["--type", "EXPRESS"]);
    }
    if let Some(mocks) = case.get("mocks").filter(|m| m.is_object()) {
        let file = dir.join("mocks.json");
        std::fs::write(&file, mocks.to_string()).map_err(|e| e.to_string())?;
        command.arg("--mock-config").arg(&file).args(["--test-case", "Recorded"]);
    }
    let output = command.output().map_err(|e| format!("cannot run baton: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("baton exited with {}: {}", output.status, stderr.lines().take(3).collect::<Vec<_>>().join(" | ")));
    }
    let actual: Value = serde_json::from_slice(&output.stdout).map_err(|e| format!("stdout is not JSON: {e}"))?;
    check(case, &actual)?;
    let Some(expected) = case.get("history_event_types").and_then(Value::as_array) else {
        return Ok(History::NotRecorded);
    };
    Ok(match history_types_match(case, expected, &actual) {
        Ok(()) => History::Matches,
        Err(why) => History::Differs(why),
    })
}

/// Whether the history's event types are the recorded ones, in order (as a multiset where the recorder sorted
/// events inside Parallel states).
fn history_types_match(case: &Value, expected: &[Value], actual: &Value) -> Result<(), String> {
    let expected: Vec<&str> = expected.iter().filter_map(Value::as_str).collect();
    let actual: Vec<&str> =
        actual["history"].as_array().into_iter().flatten().filter_map(|e| e["type"].as_str()).collect();
    let (mut e, mut a) = (expected.clone(), actual.clone());
    if case.get("history_order_normalized") == Some(&Value::Bool(true)) {
        e.sort_unstable();
        a.sort_unstable();
    }
    if e == a {
        Ok(())
    } else {
        Err(format!("expected {} got {}", expected.join(" "), actual.join(" ")))
    }
}

/// Compares a `baton run --json` result with a case's expected result, as the corpus README says.
fn check(case: &Value, actual: &Value) -> Result<(), String> {
    let expected = &case["expected"];
    let rules = Rules::of_case(case);
    if expected["status"] != actual["status"] {
        return Err(format!(
            "status: expected {}, got {} ({})",
            expected["status"],
            actual["status"],
            brief(actual)
        ));
    }
    if expected["status"] == "SUCCEEDED" {
        return compare(&expected["output"], &actual["output"], &rules, "", "output");
    }
    compare(&expected["error"], &actual["error"], &rules, "", "error")?;
    if expected.get("cause_is_json") == Some(&Value::Bool(true)) {
        let parsed = actual["cause"].as_str().and_then(|c| serde_json::from_str::<Value>(c).ok()).unwrap_or(Value::Null);
        return compare(&expected["cause"], &parsed, &rules, "", "cause(json)");
    }
    compare(&expected["cause"], &actual["cause"], &rules, "", "cause")
}

fn brief(actual: &Value) -> String {
    let mut text = match actual["status"].as_str() {
        Some("SUCCEEDED") => actual["output"].to_string(),
        _ => format!("{}: {}", actual["error"], actual["cause"]),
    };
    if text.len() > 300 {
        text.truncate(text.floor_char_boundary(300));
    }
    text
}

fn needs(case: &Value, what: &str) -> bool {
    case["needs"].as_array().is_some_and(|needs| needs.iter().any(|n| n == what))
}

fn percent(pass: usize, total: usize) -> f64 {
    if total == 0 { 100.0 } else { pass as f64 * 100.0 / total as f64 }
}

fn corpus() -> Option<PathBuf> {
    let dir = match std::env::var_os("BATON_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    };
    dir.join("cases").is_dir().then_some(dir)
}

/// `known_failures.txt`: one case id a line, then ` # ` and why it fails.
fn read_known_failures() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(KNOWN_FAILURES);
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with("//"))
        .map(|line| match line.split_once(" # ") {
            Some((id, why)) => (id.trim().to_owned(), why.trim().to_owned()),
            None => (line.trim().to_owned(), String::new()),
        })
        .collect()
}

fn write_known_failures(failing: &BTreeMap<String, String>, known: &BTreeMap<String, String>) {
    let mut text = String::from(
        "// Conformance cases Baton fails today, each with why (`history:<case>`: its result matches, its history's event\n\
         // types do not). The conformance test fails on any other failure.\n\
         // Regenerate with UPDATE_KNOWN_FAILURES=1 cargo test -p cli --test it conformance (reasons you wrote are kept).\n",
    );
    let ids: BTreeSet<&String> = failing.keys().collect();
    for id in ids {
        let why = known.get(id).filter(|w| !w.is_empty()).cloned().unwrap_or_else(|| {
            let mut why = failing[id].replace('\n', " ");
            if why.len() > 200 {
                why.truncate(why.floor_char_boundary(200));
            }
            why
        });
        text.push_str(&format!("{id} # {why}\n"));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(KNOWN_FAILURES);
    std::fs::write(path, text).expect("write known failures");
}
