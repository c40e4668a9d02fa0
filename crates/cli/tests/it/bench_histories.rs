//! The benchmark workloads' histories stay byte for byte the same while their speed changes.
//!
//! `baton bench --histories DIR` writes each workload's history (one event a line, the text the store keeps); this
//! test digests each (SHA-256 of the lines with their `timestamp` member removed, since the virtual clock starts at
//! the wall clock's time) and compares it with `bench_histories.txt`. The workloads of `../shared/bench/workloads`
//! are checked when that folder exists (`BATON_BENCH_WORKLOADS` names another), the built-in JSONata chain always.
//! `UPDATE_BENCH_HISTORIES=1` rewrites the file: only do that for a change meant to alter a history, and say so.
//!
//! The digests were first taken from 6ed722a's build (before issue 17's engine changes) and compared with the
//! histories of the build after them: the same for every workload.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

const DIGESTS: &str = "tests/it/bench_histories.txt";

#[test]
fn bench_workloads_keep_their_histories() {
    let workloads = workloads();
    if workloads.is_none() {
        println!("note: ../shared/bench/workloads not found (set BATON_BENCH_WORKLOADS); only the built-in workloads checked");
    }
    let out = tempfile::tempdir().expect("temp dir");
    let absent = out.path().join("absent");
    let folder = workloads.as_deref().unwrap_or(&absent);
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["bench", "--seconds", "0", "--map-items", "0", "--json", "--workloads"])
        .arg(folder)
        .arg("--histories")
        .arg(out.path())
        .output()
        .expect("run baton bench");
    assert!(output.status.success(), "baton bench failed: {}", String::from_utf8_lossy(&output.stderr));

    let mut digests = BTreeMap::new();
    for entry in std::fs::read_dir(out.path()).expect("histories folder").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(workload) = name.strip_suffix(".history.jsonl") else { continue };
        let text = std::fs::read_to_string(entry.path()).expect("history file");
        digests.insert(workload.to_owned(), digest(&text));
    }
    assert!(digests.contains_key("pass_chain_100_jsonata"), "the built-in workload wrote no history: {digests:?}");

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DIGESTS);
    let mut expected = read_digests(&path);
    if std::env::var_os("UPDATE_BENCH_HISTORIES").is_some() {
        expected.extend(digests.clone());
        write_digests(&path, &expected);
    }
    let mut differ = Vec::new();
    for (workload, (events, sha)) in &digests {
        match expected.get(workload) {
            Some(known) if known == &(*events, sha.clone()) => {}
            Some((known_events, known_sha)) => differ.push(format!(
                "{workload}: {events} events, {sha}; expected {known_events} events, {known_sha} \
                 (compare `baton bench --only {workload} --histories DIR` of this build and the last one)"
            )),
            None => differ.push(format!("{workload}: no digest in {DIGESTS} (UPDATE_BENCH_HISTORIES=1 adds it)")),
        }
    }
    assert!(differ.is_empty(), "benchmark histories changed:\n{}", differ.join("\n"));
    println!("bench histories: {} workloads, each the same as before", digests.len());
}

/// A history's event count and the SHA-256 of its events without their timestamps, one a line.
fn digest(text: &str) -> (usize, String) {
    let mut hasher = Sha256::new();
    let mut events = 0;
    for line in text.lines() {
        let mut event: Value = serde_json::from_str(line).expect("an event is JSON");
        let object = event.as_object_mut().expect("an event is an object");
        assert!(object.shift_remove("timestamp").is_some(), "an event has a timestamp: {line}");
        hasher.update(serde_json::to_string(&event).expect("event text"));
        hasher.update(b"\n");
        events += 1;
    }
    let sha: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    (events, sha)
}

/// `bench_histories.txt`: one workload a line: its name, its event count, its digest.
fn read_digests(path: &Path) -> BTreeMap<String, (usize, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with("//"))
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [name, events, sha] = fields[..] else { panic!("{DIGESTS}: not `name events sha256`: {line}") };
            (name.to_owned(), (events.parse().expect("an event count"), sha.to_owned()))
        })
        .collect()
}

fn write_digests(path: &Path, digests: &BTreeMap<String, (usize, String)>) {
    let mut text = String::from("// The benchmark workloads' histories: name, events, SHA-256 without timestamps (bench_histories.rs).\n");
    for (name, (events, sha)) in digests {
        text.push_str(&format!("{name} {events} {sha}\n"));
    }
    std::fs::write(path, text).expect("write digests");
}

fn workloads() -> Option<PathBuf> {
    let dir = match std::env::var_os("BATON_BENCH_WORKLOADS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/workloads"),
    };
    dir.is_dir().then_some(dir)
}
