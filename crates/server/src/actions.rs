//! One module per family of API actions: each holds its handlers and the `Shape` of their requests.
//!
//! A handler extracts its request with `AwsJson` (shape already checked), calls the `Service`, and converts the
//! result; it decides nothing.

pub(crate) mod execution;
pub(crate) mod history;
pub(crate) mod map_run;
pub(crate) mod redrive;
pub(crate) mod state_machine;
pub(crate) mod tagging;
pub(crate) mod test_state;
pub(crate) mod validation;
pub(crate) mod versions;
pub(crate) mod task;
