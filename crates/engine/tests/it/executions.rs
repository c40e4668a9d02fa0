//! The data-driven execution suite (`test_data/executions/*.json`) and the determinism check over the same cases.
//!
//! A case file holds `definition`, `input`, `script` (task answers in invocation order), optionally `stop`,
//! `update_map_run` (UpdateMapRun calls) and `limits`, an optional `fixme` saying where today's snapshot differs from AWS, and `expected`: status, output or
//! error and cause, and the history snapshot. `UPDATE_EXPECT=1 cargo test -p engine --test it` rewrites `expected`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use asl::model::StateMachine;
use engine::HistoryEvent;

use crate::driver::{self, Setup};
use crate::snapshot;

#[test]
fn executions() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let failures: Vec<String> = for_each_case(|file, case, machine, setup| check(file, case, machine, setup, update));
    assert!(
        failures.is_empty(),
        "{} case(s) differ from their snapshot:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Folding the recorded triggers of every case into a fresh execution gives the same history, byte for byte, and the
/// same commands; so does running the case one step per trigger with `Resume`s in between.
#[test]
fn replay_is_deterministic() {
    let failures = for_each_case(|file, _, machine, setup| {
        let run = driver::drive(machine, setup, None);
        let original = wire(run.execution.history());
        let replayed = driver::replay(machine, setup, &run.triggers);
        if wire(replayed.execution.history()) != original {
            return Err(format!(
                "{file}: replaying {} triggers gave another history",
                run.triggers.len()
            ));
        }
        if replayed.commands != run.commands {
            return Err(format!("{file}: replaying gave other commands"));
        }
        if replayed.execution.status() != run.execution.status() {
            return Err(format!("{file}: replaying gave another status"));
        }
        if replayed.execution.map_runs() != run.execution.map_runs() {
            return Err(format!("{file}: replaying gave other Map runs"));
        }
        let sliced = driver::drive(machine, setup, Some(1));
        if wire(sliced.execution.history()) != original {
            return Err(format!("{file}: running one step per trigger gave another history"));
        }
        Ok(())
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs `f` on every case file, collecting failures (panics included) so that one run reports every broken case.
fn for_each_case(mut f: impl FnMut(&str, &Value, &Arc<StateMachine>, &Setup) -> Result<(), String>) -> Vec<String> {
    let files = case_files();
    assert!(!files.is_empty(), "no case files in test_data/executions");
    let mut failures = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).expect("case files are readable");
        let case: Value = match serde_json::from_str(&text) {
            Ok(case) => case,
            Err(e) => {
                failures.push(format!("{file}: not JSON: {e}"));
                continue;
            }
        };
        let definition = case.get("definition").expect("a case has a definition");
        let machine = match asl::parse::parse_value(definition) {
            Ok(machine) => Arc::new(machine),
            Err(diagnostics) => {
                let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
                failures.push(format!("{file}: invalid definition: {}", messages.join("; ")));
                continue;
            }
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            let setup = snapshot::setup(&case);
            f(&file, &case, &machine, &setup)
        }));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(message)) => failures.push(message),
            Err(_) => failures.push(format!("{file}: panicked (message above)")),
        }
    }
    failures
}

fn check(file: &str, case: &Value, machine: &Arc<StateMachine>, setup: &Setup, update: bool) -> Result<(), String> {
    let run = driver::drive(machine, setup, None);
    let actual = snapshot::expected(run.execution.status(), run.execution.history(), run.execution.map_runs());
    if update {
        // Blessing also brings a hand-edited file back to the canonical layout.
        let mut blessed = case.clone();
        blessed["expected"] = actual;
        let path = case_dir().join(file);
        let text = snapshot::render_case(&blessed);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).expect("case files are writable");
        }
        return Ok(());
    }
    if case.get("expected") == Some(&actual) {
        return Ok(());
    }
    let mut shown = case.clone();
    let expected = snapshot::render_case(&shown);
    shown["expected"] = actual;
    let actual = snapshot::render_case(&shown);
    Err(format!("{file}:\n{}", diff(&expected, &actual)))
}

/// The lines that differ, `-` expected and `+` actual, after the common beginning.
fn diff(expected: &str, actual: &str) -> String {
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<&str> = actual.lines().collect();
    let common = expected.iter().zip(&actual).take_while(|(a, b)| a == b).count();
    let mut out = format!("(first difference at line {})\n", common + 1);
    for line in expected.iter().skip(common) {
        out.push_str(&format!("-{line}\n"));
    }
    for line in actual.iter().skip(common) {
        out.push_str(&format!("+{line}\n"));
    }
    out
}

fn wire(history: &[HistoryEvent]) -> String {
    let events: Vec<Value> = history.iter().map(HistoryEvent::to_json).collect();
    serde_json::to_string(&events).expect("JSON values serialize")
}

fn case_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/executions")
}

fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(case_dir())
        .expect("test_data/executions exists")
        .map(|entry| entry.expect("directory entries are readable").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}
