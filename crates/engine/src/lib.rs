//! Deterministic Step Functions interpreter.
//!
//! An `Execution` folds one `Trigger` at a time (start, task result, timer fired, stop) into its state and returns
//! the `Command`s the runtime must perform (invoke a task, start or cancel a timer); every step appends AWS history
//! events. This crate does no I/O and never reads the clock: time arrives with each trigger, and randomness (retry
//! jitter, `States.UUID`) comes from a generator seeded by the execution's identity, so replaying the same triggers
//! gives the same history.

/// The replay format of this engine: what an execution's stored triggers mean when folded again. It changes when a
/// stored trigger would fold differently (another history) than before; recovery refuses to resume an execution
/// written with a newer one, and reports one whose replay does not give the stored history.
///
/// 2: one nesting limit of 126 levels (a state output nested 127 to 256 levels deep now fails its state, and a task
/// result nested past it fails its task), and Express executions time out after five minutes.
///
/// 3: a Task's `Credentials` are evaluated (a `RoleArn` that is not a string fails the state) and shown as
/// `taskCredentials` in `TaskScheduled` and `LambdaFunctionScheduled`; an execution of format 2 whose Tasks have
/// `Credentials` replays to other events, and is reported as such.
///
/// 4: a Map's `ItemReader` reads its items (a task of the Map's frame) where it used to fail the Map at once.
///
/// 5: a distributed Map's iterations write the histories of their child executions (`Execution::take_child_events`);
/// the parent's history is as before, and an execution of an older format is resumed without child histories (its
/// children have no records to continue). An `ItemReader` reads manifests (an S3 inventory, an Athena manifest: more
/// calls after the first, where `InputType: MANIFEST` failed the Map and `ManifestType` was ignored) and the objects a
/// listing names (`Transformation: LOAD_AND_FLATTEN`, which was ignored), inflates gzip and decodes marked base64
/// bodies, and reads CSV by the developer guide's rules (short rows padded, long rows cut, backslash escapes, `""`
/// outside quotes) where a row of another length failed the Map.
pub const REPLAY_VERSION: u32 = 5;

mod execution;
mod history;
mod map_run;
mod nesting;
mod resource;
mod time;
mod trigger;
mod variables;

pub use execution::{ChildEvent, Command, Execution, ExecutionInfo, FoldNote, Limits, Status, TaskId, TaskRequest, TimerId, Trigger};
pub use history::{ErrorDetails, EventDetails, HistoryEvent, TaskScheduled};
pub use map_run::{MapRunCounts, MapRunInfo, MapRunStatus, map_run_execution};
pub use nesting::{MAX_NESTING_DEPTH, nesting_depth};
pub use resource::ResourceKind;
pub use time::format_timestamp;
