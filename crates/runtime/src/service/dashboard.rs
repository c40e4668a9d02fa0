//! The console's dashboard of a state machine: its executions by status, minute by minute, and the percentiles of
//! their durations, from the same observations as `/metrics` (`metrics::Metrics::observe` records both). Kept in
//! memory, like the counters: a restart starts them again. Only minutes with executions take memory, and minutes older
//! than a day are dropped.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// How long minutes are kept.
const KEPT_MINUTES: i64 = 24 * 60;

/// The upper bounds of the duration buckets, in seconds: 10 ms doubling to about 2 days, as the
/// `baton_execution_duration_seconds` histogram's; one more bucket counts the longer ones.
const BOUNDS: usize = 25;

fn bound(index: usize) -> f64 {
    0.01 * 2f64.powi(i32::try_from(index).unwrap_or(i32::MAX))
}

/// One minute of a machine's executions: how many started, and how many ended in each way, with their durations.
#[derive(Debug, Clone, Default)]
struct Minute {
    /// Minutes since the epoch.
    minute: i64,
    counts: Counts,
    durations: [u64; BOUNDS + 1],
}

/// Executions started and ended, by how they ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub started: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub timed_out: u64,
    pub aborted: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.started += other.started;
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.timed_out += other.timed_out;
        self.aborted += other.aborted;
    }
}

/// How an execution ended, for its count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

/// A dashboard: `bars` of `step_minutes` each, oldest first, the last one holding now; the counts of the whole window,
/// and its durations' percentiles (`None` when no execution ended in it), estimated from the buckets as Prometheus's
/// `histogram_quantile` does.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub step_minutes: i64,
    pub bars: Vec<Bar>,
    pub totals: Counts,
    pub ended: u64,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
}

/// One bar of a dashboard: its first minute (milliseconds since the epoch) and its counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bar {
    pub start: i64,
    pub counts: Counts,
}

/// The minutes of every machine, by machine ARN (without version or alias).
#[derive(Debug, Default)]
pub(crate) struct Series {
    machines: Mutex<HashMap<String, VecDeque<Minute>>>,
}

impl Series {
    /// Notes an execution of `machine` that started at `at` (milliseconds since the epoch).
    pub(crate) fn started(&self, machine: &str, at: i64) {
        self.with_minute(machine, at, |minute| minute.counts.started += 1);
    }

    /// Notes an execution of `machine` that ended so at `at`, having run `seconds`.
    pub(crate) fn ended(&self, machine: &str, at: i64, ended: Ended, seconds: f64) {
        self.with_minute(machine, at, |minute| {
            let counts = &mut minute.counts;
            match ended {
                Ended::Succeeded => counts.succeeded += 1,
                Ended::Failed => counts.failed += 1,
                Ended::TimedOut => counts.timed_out += 1,
                Ended::Aborted => counts.aborted += 1,
            }
            let bucket = (0..BOUNDS).find(|index| seconds <= bound(*index)).unwrap_or(BOUNDS);
            if let Some(count) = minute.durations.get_mut(bucket) {
                *count += 1;
            }
        });
    }

    fn with_minute(&self, machine: &str, at: i64, change: impl FnOnce(&mut Minute)) {
        let minute = at.div_euclid(60_000);
        let mut machines = self.machines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let minutes = match machines.get_mut(machine) {
            Some(minutes) => minutes,
            None => machines.entry(machine.to_owned()).or_default(),
        };
        // Minutes arrive nearly in order: look from the newest.
        let position = minutes.iter().rposition(|kept| kept.minute <= minute);
        let index = match position {
            Some(index) if minutes.get(index).is_some_and(|kept| kept.minute == minute) => index,
            Some(index) => {
                minutes.insert(index + 1, Minute { minute, ..Minute::default() });
                index + 1
            }
            None => {
                minutes.push_front(Minute { minute, ..Minute::default() });
                0
            }
        };
        if let Some(kept) = minutes.get_mut(index) {
            change(kept);
        }
        let newest = minutes.back().map_or(minute, |kept| kept.minute);
        while minutes.front().is_some_and(|kept| kept.minute <= newest - KEPT_MINUTES) {
            minutes.pop_front();
        }
    }

    /// The dashboard of `machine` over the `window_minutes` before `now` (milliseconds since the epoch), in bars of
    /// `step_minutes`.
    pub(crate) fn dashboard(&self, machine: &str, now: i64, window_minutes: i64, step_minutes: i64) -> Dashboard {
        let step = step_minutes.clamp(1, KEPT_MINUTES);
        let bars_wanted = (window_minutes.clamp(1, KEPT_MINUTES) + step - 1) / step;
        let last = now.div_euclid(60_000).div_euclid(step) * step;
        let first = last - (bars_wanted - 1) * step;
        let mut bars: Vec<Bar> = (0..bars_wanted).map(|index| Bar { start: (first + index * step) * 60_000, counts: Counts::default() }).collect();
        let mut totals = Counts::default();
        let mut durations = [0u64; BOUNDS + 1];
        let machines = self.machines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for minute in machines.get(machine).into_iter().flatten() {
            if minute.minute < first || minute.minute >= last + step {
                continue;
            }
            let index = usize::try_from((minute.minute - first) / step).unwrap_or(usize::MAX);
            if let Some(bar) = bars.get_mut(index) {
                bar.counts.add(&minute.counts);
            }
            totals.add(&minute.counts);
            for (sum, count) in durations.iter_mut().zip(minute.durations) {
                *sum += count;
            }
        }
        let ended = durations.iter().sum();
        Dashboard {
            step_minutes: step,
            bars,
            totals,
            ended,
            p50: quantile(&durations, 0.5),
            p90: quantile(&durations, 0.9),
            p99: quantile(&durations, 0.99),
        }
    }

    /// Forgets every machine's minutes (`Service::reset`).
    pub(crate) fn clear(&self) {
        self.machines.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }
}

/// The `q` quantile of durations counted in buckets, interpolated linearly inside its bucket (the first bucket
/// starting at 0); one in the last, unbounded bucket is given as the last bound.
fn quantile(buckets: &[u64; BOUNDS + 1], q: f64) -> Option<f64> {
    let total: u64 = buckets.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let mut below = 0u64;
    for (index, count) in buckets.iter().enumerate() {
        let through = below + count;
        if *count > 0 && through as f64 >= rank {
            if index == BOUNDS {
                return Some(bound(BOUNDS - 1));
            }
            let lower = if index == 0 { 0.0 } else { bound(index - 1) };
            let upper = bound(index);
            let within = (rank - below as f64) / *count as f64;
            return Some(lower + (upper - lower) * within);
        }
        below = through;
    }
    Some(bound(BOUNDS - 1))
}

#[cfg(test)]
mod tests {
    use super::{Counts, Ended, Series, quantile};

    const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:orders";

    #[test]
    fn minutes_add_up_to_bars_and_totals() {
        let series = Series::default();
        let now = 1_700_000_000_000 - 1_700_000_000_000 % 60_000 + 30_000;
        // Three executions ten minutes ago, two now; one an hour and a half ago, outside the hour shown.
        for ended in [Ended::Succeeded, Ended::Succeeded, Ended::Failed] {
            series.started(MACHINE, now - 600_000);
            series.ended(MACHINE, now - 600_000 + 1_000, ended, 1.0);
        }
        series.started(MACHINE, now);
        series.ended(MACHINE, now, Ended::TimedOut, 300.0);
        series.started(MACHINE, now);
        series.started(MACHINE, now - 5_400_000);
        series.started("arn:aws:states:us-east-1:123456789012:stateMachine:other", now);
        let dashboard = series.dashboard(MACHINE, now, 60, 1);
        assert_eq!(dashboard.bars.len(), 60);
        assert_eq!(dashboard.totals, Counts { started: 5, succeeded: 2, failed: 1, timed_out: 1, aborted: 0 });
        assert_eq!(dashboard.ended, 4);
        let last = dashboard.bars.last().expect("bars");
        assert_eq!(last.start, now - 30_000);
        assert_eq!(last.counts.started, 2);
        let ten_ago = dashboard.bars.get(49).expect("a bar ten minutes ago");
        assert_eq!(ten_ago.counts, Counts { started: 3, succeeded: 2, failed: 1, timed_out: 0, aborted: 0 });
        // Three of four took a second (bucket 0.64–1.28 s), one five minutes (bucket 163.84–327.68 s).
        let p50 = dashboard.p50.expect("p50");
        assert!((0.64..=1.28).contains(&p50), "{p50}");
        let p99 = dashboard.p99.expect("p99");
        assert!((163.84..=327.68).contains(&p99), "{p99}");
        // Bars of 15 minutes over a day: the old execution is in.
        let day = series.dashboard(MACHINE, now, 24 * 60, 15);
        assert_eq!(day.bars.len(), 96);
        assert_eq!(day.totals.started, 6);
        assert_eq!(series.dashboard("nothing", now, 60, 1).p50, None);
    }

    #[test]
    fn quantiles_interpolate_inside_a_bucket() {
        let mut buckets = [0u64; super::BOUNDS + 1];
        buckets[0] = 10;
        assert_eq!(quantile(&buckets, 0.5), Some(0.005));
        buckets[0] = 0;
        buckets[super::BOUNDS] = 1;
        assert_eq!(quantile(&buckets, 0.5), Some(super::bound(super::BOUNDS - 1)));
    }

    #[test]
    fn old_minutes_are_dropped() {
        let series = Series::default();
        series.started(MACHINE, 0);
        series.started(MACHINE, 2 * 24 * 3_600_000);
        let kept = series.machines.lock().expect("lock");
        assert_eq!(kept.get(MACHINE).map(std::collections::VecDeque::len), Some(1));
    }
}
