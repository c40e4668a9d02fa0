//! When a JSONata evaluation has run too long: what the watchdogs of `baton serve` and `baton run` share.
//!
//! A watchdog looks at an execution's `asl::Watch` now and then; an evaluation is the same one while its generation
//! is, and it is cut off once it has been seen running for the limit.

use std::time::{Duration, Instant};

/// How often a watchdog with this limit looks: a tenth of it, between 5 and 100 ms.
pub(crate) fn tick(limit: Duration) -> Duration {
    (limit / 10).clamp(Duration::from_millis(5), Duration::from_millis(100))
}

/// One execution's running evaluation, as a watchdog saw it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Seen(Option<(u64, Instant)>);

impl Seen {
    /// Looks at `watch` at `now`: cuts off an evaluation seen running for `limit`; says whether one still runs
    /// (worth looking at again).
    pub(crate) fn check(&mut self, watch: &asl::Watch, now: Instant, limit: Duration) -> bool {
        let Some(generation) = watch.running() else {
            self.0 = None;
            return false;
        };
        let since = match self.0 {
            Some((seen, since)) if seen == generation => since,
            _ => now,
        };
        if now.duration_since(since) >= limit {
            watch.expire(generation);
            self.0 = None;
            return false;
        }
        self.0 = Some((generation, since));
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::Seen;

    #[test]
    fn an_evaluation_is_cut_off_once_seen_running_for_the_limit() {
        let guard = asl::Guard::default();
        guard.begin_fold(Vec::new());
        let watch = guard.watch();
        let limit = Duration::from_millis(100);
        let start = Instant::now();
        let mut seen = Seen::default();
        assert!(!seen.check(&watch, start, limit), "nothing runs");
        let entered = guard.enter().expect("runs");
        assert!(seen.check(&watch, start, limit));
        assert!(seen.check(&watch, start + Duration::from_millis(99), limit));
        assert!(!entered.cancel().is_cancelled());
        assert!(!seen.check(&watch, start + limit, limit));
        assert!(entered.cancel().is_cancelled());
        // Another evaluation is timed from when it is first seen.
        let _ = guard.leave(entered, true);
        let next = guard.enter().expect("runs");
        assert!(seen.check(&watch, start + limit * 5, limit));
        assert!(!next.cancel().is_cancelled());
    }
}
