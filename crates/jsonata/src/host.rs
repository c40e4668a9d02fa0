//! `Host`: what an evaluation may know of the world, supplied by the caller.
//!
//! A leaf module, so that `expression` (which takes a `Host`) and `functions` (whose `$now`, `$millis`, `$random`
//! and `$uuid` read it) share it without importing each other.

/// What an evaluation may know of the world: the current time and a source of randomness, both supplied by the
/// caller so that evaluation stays deterministic.
#[derive(Clone, Copy)]
pub struct Host<'a> {
    /// What `$now()` and `$millis()` return, in milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// Uniform random bits, for `$random()` (without a seed) and `$uuid()`. It is called at most once per
    /// evaluation, to seed a stream, and only when the expression's text mentions `random` or `uuid`.
    pub random: &'a dyn Fn() -> u64,
}
