//! State machine records kept in memory: StartExecution reads its machine on every call, and the record changes
//! only through this process's writer (one process owns a data directory).
//!
//! The writer empties the cache after every batch that may have changed a machine, before it answers anyone
//! (`Machines::changed`). A reader that read the database keeps what it read only if no such batch finished while
//! it read (`Machines::keep` compares the generation it saw before reading), so a record read before a change can
//! never be kept after it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::StateMachine;

/// Machines kept at most, and the most definition text kept (a definition may be 1 MiB); past either the cache
/// starts afresh (a server has few machines, and a miss costs one read).
const MAX_KEPT: usize = 4096;
const MAX_KEPT_BYTES: usize = 64 << 20;

#[derive(Default)]
pub(crate) struct Machines {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    /// `None`: no machine has that ARN.
    kept: HashMap<String, Option<StateMachine>>,
    /// The definitions' bytes in `kept`.
    bytes: usize,
}

impl Machines {
    /// The kept record of `arn` (`Some(None)`: known not to exist), or the generation to pass to `keep` after
    /// reading it.
    pub(crate) fn get(&self, arn: &str) -> Result<Option<StateMachine>, u64> {
        let inner = self.lock();
        match inner.kept.get(arn) {
            Some(machine) => Ok(machine.clone()),
            None => Err(inner.generation),
        }
    }

    /// Keeps what a read found, unless a batch that may have changed machines finished since `generation`.
    pub(crate) fn keep(&self, arn: &str, generation: u64, machine: &Option<StateMachine>) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        let size = machine.as_ref().map_or(0, |machine| machine.definition.len());
        if inner.kept.len() >= MAX_KEPT || inner.bytes + size > MAX_KEPT_BYTES {
            inner.kept.clear();
            inner.bytes = 0;
        }
        if let Some(replaced) = inner.kept.insert(arn.to_owned(), machine.clone()) {
            inner.bytes = inner.bytes.saturating_sub(replaced.map_or(0, |machine| machine.definition.len()));
        }
        inner.bytes += size;
    }

    /// Forgets every record: a batch that may have changed one has committed (or failed).
    pub(crate) fn changed(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.kept.clear();
        inner.bytes = 0;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(definition: &str) -> StateMachine {
        StateMachine {
            arn: "arn:m".to_owned(),
            name: "m".to_owned(),
            kind: crate::Kind::Standard,
            definition: definition.to_owned(),
            role_arn: String::new(),
            logging_configuration: None,
            tracing_configuration: None,
            description: None,
            revision_id: String::new(),
            created: 0,
            updated: 0,
            tags: Vec::new(),
            encryption_configuration: None,
        }
    }

    #[test]
    fn a_read_that_raced_a_change_is_not_kept() {
        let machines = Machines::default();
        let Err(generation) = machines.get("arn:m") else { panic!("nothing is kept yet") };
        // The read saw the old record, then a change committed before the reader could keep it.
        machines.changed();
        machines.keep("arn:m", generation, &Some(machine("old")));
        assert!(machines.get("arn:m").is_err());

        let Err(generation) = machines.get("arn:m") else { panic!("nothing is kept yet") };
        machines.keep("arn:m", generation, &Some(machine("new")));
        assert_eq!(machines.get("arn:m").ok().flatten().map(|m| m.definition), Some("new".to_owned()));
        machines.changed();
        assert!(machines.get("arn:m").is_err());
    }

    #[test]
    fn definitions_past_the_byte_bound_start_the_cache_afresh() {
        let machines = Machines::default();
        let big = machine(&"x".repeat(MAX_KEPT_BYTES / 2 + 1));
        machines.keep("arn:a", 0, &Some(big.clone()));
        assert!(machines.get("arn:a").is_ok());
        machines.keep("arn:b", 0, &Some(big));
        assert!(machines.get("arn:a").is_err(), "the first was let go to make room");
        assert!(machines.get("arn:b").is_ok());
        assert_eq!(machines.lock().bytes, MAX_KEPT_BYTES / 2 + 1);
    }

    #[test]
    fn a_missing_machine_is_remembered_as_missing() {
        let machines = Machines::default();
        let Err(generation) = machines.get("arn:none") else { panic!("nothing is kept yet") };
        machines.keep("arn:none", generation, &None);
        assert_eq!(machines.get("arn:none").ok(), Some(None));
    }
}
