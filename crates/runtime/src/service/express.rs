//! Express executions' records and histories, kept in memory for a while after they end.
//!
//! AWS keeps no history of Express executions outside CloudWatch Logs; Baton keeps it in memory so that a person can
//! look at it (DescribeExecution, GetExecutionHistory, the console's state machine page, which lists them), for
//! `Config::express_retention_seconds` (`baton serve --express-retention-seconds`) after the execution ends: an
//! execution past it is no longer found, and is dropped when the next one starts or when `background` sweeps, once a
//! minute. Nothing here is durable: Express executions run at most once (synchronous) or at least once (asynchronous)
//! on AWS too, and a restart forgets them.

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Mutex;

use store::{Append, Execution};

/// The Express executions of this server.
#[derive(Default)]
pub(crate) struct Express {
    entries: Mutex<HashMap<String, Entry>>,
    retention_ms: i64,
}

struct Entry {
    record: Execution,
    events: Vec<String>,
}

impl Express {
    /// Forgets every Express execution (`Service::reset`).
    pub(crate) fn clear(&self) {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    pub(crate) fn new(retention_seconds: u64) -> Express {
        let retention_ms = i64::try_from(retention_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        Express { entries: Mutex::new(HashMap::new()), retention_ms }
    }

    /// How long an ended execution is kept, in milliseconds.
    pub(crate) fn retention_ms(&self) -> i64 {
        self.retention_ms
    }

    /// Drops the executions that ended `retention_ms` or longer before `now`; returns how many.
    pub(crate) fn sweep(&self, now: i64) -> usize {
        let mut entries = self.lock();
        let before = entries.len();
        entries.retain(|_, entry| self.kept(entry, now));
        before - entries.len()
    }

    /// Whether `entry` is still kept at `now`: it runs, or ended less than `retention_ms` ago.
    fn kept(&self, entry: &Entry, now: i64) -> bool {
        entry.record.stop.is_none_or(|stop| now.saturating_sub(stop) < self.retention_ms)
    }

    /// Remembers a new execution and its first step.
    pub(crate) fn insert(&self, record: Execution, first: Append) {
        self.sweep(record.start);
        let mut entries = self.lock();
        let arn = record.arn.clone();
        entries.insert(arn.clone(), Entry { record, events: Vec::new() });
        drop(entries);
        self.record_steps(&arn, vec![first]);
    }

    /// Adds steps' events, and the ending if a step has one.
    pub(crate) fn record_steps(&self, arn: &str, steps: Vec<Append>) {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(arn) else { return };
        for step in steps {
            entry.events.extend(step.events.into_iter().map(|e| e.json));
            if let Some(ending) = step.ending {
                entry.record.end(ending);
            }
        }
    }

    /// The execution `arn`, unless it is past its retention at `now`.
    pub(crate) fn execution(&self, arn: &str, now: i64) -> Option<Execution> {
        self.lock().get(arn).filter(|entry| self.kept(entry, now)).map(|entry| entry.record.clone())
    }

    /// The history events, as wire JSON text, unless the execution is past its retention at `now`.
    pub(crate) fn events(&self, arn: &str, now: i64) -> Option<Vec<String>> {
        self.lock().get(arn).filter(|entry| self.kept(entry, now)).map(|entry| entry.events.clone())
    }

    /// The executions of the state machine `machine_arn` kept at `now`, newest first.
    pub(crate) fn of_machine(&self, machine_arn: &str, now: i64) -> Vec<Execution> {
        let mut found: Vec<Execution> = self
            .lock()
            .values()
            .filter(|entry| entry.record.state_machine_arn == machine_arn && self.kept(entry, now))
            .map(|entry| entry.record.clone())
            .collect();
        found.sort_by(|a, b| (b.start, &b.arn).cmp(&(a.start, &a.arn)));
        found
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding this lock leaves plain data behind, which stays usable.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
