//! Integration tests of `runtime`: no input makes Baton panic or hang.
//!
//! Property tests generate definitions (all eight state types, nested, with random fields, payload templates, paths,
//! intrinsic calls, Choice rules and transitions), inputs and task outcomes; they require that `asl::parse` never
//! panics, that every valid definition runs to its end (through `runtime::run`, or a bounded engine driver for
//! machines that may loop) with a well-formed history, and that the graph draws every valid one. Each property runs
//! a small number of cases by default so that `cargo test` stays fast; `PROPTEST_CASES=20000 cargo test -p runtime
//! --test it` runs many more.

mod arb;
mod definition;
mod driver;
mod graph;
mod park;
mod parse;
mod run;
mod service;

/// The proptest configuration: `default_cases` cases unless `PROPTEST_CASES` says otherwise, and no regression
/// files written into the source tree (a failure prints its minimal input instead).
fn config(default_cases: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default_cases);
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}
