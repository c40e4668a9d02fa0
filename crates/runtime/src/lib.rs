//! Drives executions: performs the engine's commands (tasks, timers) and feeds their results back as triggers.
//!
//! `local` runs one execution in process to completion, for `baton run`, tests and benchmarks: mocked task
//! responses, local functions, and an optional virtual clock that skips waits. This is the only crate that reads the
//! wall clock or starts threads.

mod integration;
pub mod local;
mod overrun;
mod partition;
pub mod service;
mod resources;

pub use local::{Clock, Options, Progress, run};
pub use partition::partition;
/// The one limit on how deeply values nest, which the API applies to inputs and task outputs.
pub use engine::{MAX_NESTING_DEPTH, nesting_depth};

/// How long one JSONata evaluation may run by default before it fails with `States.QueryEvaluationError`, in
/// milliseconds. AWS documents no such limit; ten seconds is far beyond any expression that does useful work on a
/// payload of 256 KiB, and short enough that a runaway one is noticed.
pub const DEFAULT_MAX_EVALUATION_MS: u64 = 10_000;
/// How far ahead an execution's next timer must be, by default, for the execution to be parked (dropped from memory
/// until the timer is due), in milliseconds (`service::Config::park_after_ms`).
pub const DEFAULT_PARK_AFTER_MS: u64 = 5_000;
pub use resources::Resources;
