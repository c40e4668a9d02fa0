//! The deterministic guardrails of an evaluation: how deep it may nest and how long a sequence may grow.
//!
//! A leaf module, so that `expression` (which passes them to jsonata-core) and `functions` (whose `$range` checks
//! the sequence length itself) share them without importing each other.

/// How deeply evaluation may nest, in jsonata-core's levels. AWS refuses an evaluation nested deeper than 100 levels
/// (measured by Floci: a 200-term `1+1+…+1` fails with a stack overflow, a non-tail-recursive `$f(n)` nests `3n+5`).
/// With this value jsonata-core accepts a 101-term chain and 32 recursive calls (`examples/timing.rs` prints both),
/// within one of AWS's bounds.
pub const MAX_STACK_DEPTH: usize = 100;

/// The most items a sequence may hold. AWS accepts `[1..873782]` and refuses one item more (its memory limit).
pub const MAX_SEQUENCE_LENGTH: usize = 873_782;
