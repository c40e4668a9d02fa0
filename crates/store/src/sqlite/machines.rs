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

/// Machines kept at most; past this the cache starts afresh (a server has few machines, and misses cost one read).
const MAX_KEPT: usize = 4096;

#[derive(Default)]
pub(crate) struct Machines {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    generation: u64,
    /// `None`: no machine has that ARN.
    kept: HashMap<String, Option<StateMachine>>,
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
        if inner.kept.len() >= MAX_KEPT {
            inner.kept.clear();
        }
        inner.kept.insert(arn.to_owned(), machine.clone());
    }

    /// Forgets every record: a batch that may have changed one has committed (or failed).
    pub(crate) fn changed(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.kept.clear();
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
    fn a_missing_machine_is_remembered_as_missing() {
        let machines = Machines::default();
        let Err(generation) = machines.get("arn:none") else { panic!("nothing is kept yet") };
        machines.keep("arn:none", generation, &None);
        assert_eq!(machines.get("arn:none").ok(), Some(None));
    }
}
