//! How `baton test` reports: the failures as text, a JUnit XML file, or one JSON object.

use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};

use crate::test::check::{Actual, Mismatch, render};
use crate::test::file::Suite;
use crate::test::{Outcome, id};

/// The failures section after the per-case lines: each failed case's mismatches and how its execution ended.
pub(crate) fn text(out: &mut impl Write, suites: &[Suite], outcomes: &[Outcome]) -> std::io::Result<()> {
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed()).collect();
    if failed.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nfailures:")?;
    let mut names = Vec::new();
    for outcome in &failed {
        let Some((suite, case)) = suites.get(outcome.suite).and_then(|s| Some((s, s.cases.get(outcome.case)?))) else { continue };
        let name = id(suite, case);
        writeln!(out, "\n---- {name} ----")?;
        for mismatch in &outcome.mismatches {
            writeln!(out, "{}", mismatch_text(mismatch))?;
        }
        writeln!(out, "  the execution: {}", ended(&outcome.actual))?;
        names.push(name);
    }
    writeln!(out, "\nfailures:")?;
    for name in names {
        writeln!(out, "    {name}")?;
    }
    Ok(())
}

/// One mismatch, as three lines: what, expected, actual.
fn mismatch_text(mismatch: &Mismatch) -> String {
    let at = mismatch.at.as_ref().map(|at| format!(" at {at}")).unwrap_or_default();
    format!("  expect.{}{at}\n    expected: {}\n    actual:   {}", mismatch.field, mismatch.expected, mismatch.actual)
}

/// How an execution ended, in one line.
fn ended(actual: &Actual) -> String {
    match &actual.output {
        Some(output) => format!("{}, output {}", actual.status, render(output)),
        None => format!(
            "{}, error {}, cause {}",
            actual.status,
            actual.error.as_deref().unwrap_or("(none)"),
            actual.cause.as_deref().map_or("(none)".to_owned(), |c| render(&Value::String(c.to_owned())))
        ),
    }
}

/// A JUnit XML report: one `testsuite` per test file, one `testcase` per case run, a `failure` for each failed one.
pub(crate) fn junit(suites: &[Suite], outcomes: &[Outcome], elapsed: Duration) -> String {
    let failures = outcomes.iter().filter(|o| !o.passed()).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"baton test\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{:.3}\">",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
    for (s, suite) in suites.iter().enumerate() {
        let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.suite == s).collect();
        if mine.is_empty() {
            continue;
        }
        let file = escape(&suite.path.display().to_string());
        let failed = mine.iter().filter(|o| !o.passed()).count();
        let time: f64 = mine.iter().map(|o| o.elapsed.as_secs_f64()).sum();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{file}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">",
            mine.len()
        );
        for outcome in mine {
            let Some(case) = suite.cases.get(outcome.case) else { continue };
            let name = escape(&case.name);
            let time = outcome.elapsed.as_secs_f64();
            if outcome.passed() {
                let _ = writeln!(xml, "    <testcase name=\"{name}\" classname=\"{file}\" time=\"{time:.3}\"/>");
                continue;
            }
            let _ = writeln!(xml, "    <testcase name=\"{name}\" classname=\"{file}\" time=\"{time:.3}\">");
            let first = outcome.mismatches.first().map(|m| {
                let at = m.at.as_ref().map(|at| format!(" at {at}")).unwrap_or_default();
                format!("expect.{}{at}: expected {}, actual {}", m.field, m.expected, m.actual)
            });
            let body: Vec<String> = outcome.mismatches.iter().map(mismatch_text).collect();
            let _ = writeln!(
                xml,
                "      <failure message=\"{}\" type=\"AssertionError\">{}\n  the execution: {}</failure>",
                escape(&first.unwrap_or_default()),
                escape(&body.join("\n")).replace("&#10;", "\n"),
                escape(&ended(&outcome.actual)).replace("&#10;", "\n")
            );
            let _ = writeln!(xml, "    </testcase>");
        }
        let _ = writeln!(xml, "  </testsuite>");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// Every case's result as one JSON object (`--json`).
pub(crate) fn json(suites: &[Suite], outcomes: &[Outcome], filtered: usize, elapsed: Duration) -> Value {
    let cases: Vec<Value> = outcomes
        .iter()
        .filter_map(|outcome| {
            let suite = suites.get(outcome.suite)?;
            let case = suite.cases.get(outcome.case)?;
            let mismatches: Vec<Value> = outcome
                .mismatches
                .iter()
                .map(|m| json!({"field": format!("expect.{}", m.field), "at": m.at, "expected": m.expected, "actual": m.actual}))
                .collect();
            let a = &outcome.actual;
            Some(json!({
                "file": suite.path.display().to_string(),
                "name": case.name,
                "result": if outcome.passed() { "ok" } else { "failed" },
                "mismatches": mismatches,
                "execution": {"status": a.status, "error": a.error, "cause": a.cause, "output": a.output},
                "seconds": outcome.elapsed.as_secs_f64(),
            }))
        })
        .collect();
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    json!({
        "result": if failed == 0 { "ok" } else { "failed" },
        "passed": outcomes.len() - failed,
        "failed": failed,
        "filtered": filtered,
        "seconds": elapsed.as_secs_f64(),
        "cases": cases,
    })
}

/// Text as XML attribute or element content; characters XML 1.0 cannot hold become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
