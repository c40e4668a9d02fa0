//! Express executions' records and histories, kept in memory for a while after they end.
//!
//! AWS keeps no history of Express executions outside CloudWatch Logs; Baton keeps it in memory so that a person can
//! look at it, for `express_retention_seconds` after the execution ends. Nothing here is durable: Express
//! executions run at most once (synchronous) or at least once (asynchronous) on AWS too, and a restart forgets them.

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

    /// Remembers a new execution and its first step.
    pub(crate) fn insert(&self, record: Execution, first: Append) {
        let mut entries = self.lock();
        let now = record.start;
        entries.retain(|_, entry| entry.record.stop.is_none_or(|stop| now - stop < self.retention_ms));
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

    pub(crate) fn execution(&self, arn: &str) -> Option<Execution> {
        self.lock().get(arn).map(|entry| entry.record.clone())
    }

    /// The history events, as wire JSON text.
    pub(crate) fn events(&self, arn: &str) -> Option<Vec<String>> {
        self.lock().get(arn).map(|entry| entry.events.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding this lock leaves plain data behind, which stays usable.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
