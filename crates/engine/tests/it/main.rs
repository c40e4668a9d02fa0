//! The engine's integration tests: every `test_data/executions/*.json` case driven through an `Execution` by a
//! scripted fake runtime on virtual time, checked against its expected history snapshot, and replayed for
//! determinism.
//!
//! `driver` is the fake runtime, `snapshot` the reviewable rendering of a result and the blessing of case files
//! (`UPDATE_EXPECT=1`), `executions` the tests themselves, `map_runs` a Map Run's counters followed through a redrive,
//! `reader` an ItemReader's calls through a manifest and its files.

mod driver;
mod executions;
mod express;
mod folds;
mod map_runs;
mod nesting;
mod reader;
mod snapshot;
