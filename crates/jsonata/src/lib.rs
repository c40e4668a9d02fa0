//! JSONata for Baton: the `{% … %}` expressions of Step Functions' JSONata mode.
//!
//! A thin, safe layer over the `jsonata-core` interpreter. [`Expression::compile`] parses once;
//! [`Expression::evaluate`] runs against a JSON context value, [`Bindings`] (Step Functions binds `$states` and the
//! workflow variables) and a [`Host`] that supplies the time and randomness. Step Functions' added functions
//! (`$partition`, `$range`, `$hash`, `$random(seed)`, `$uuid`, `$parse`) are always available and `$eval` is not.
//!
//! This crate knows nothing about ASL (field names, `States.QueryEvaluationError` causes are the caller's), and does
//! no I/O: it reads no clock, environment or OS randomness. Evaluation is deterministic given its arguments.

mod convert;
mod error;
mod expression;
mod functions;
mod host;
mod limits;
mod mentions;

#[cfg(test)]
mod tests;

pub use crate::error::Error;
pub use crate::expression::{Bindings, Cancel, Expression};
pub use crate::host::Host;
pub use crate::limits::{MAX_SEQUENCE_LENGTH, MAX_STACK_DEPTH};
