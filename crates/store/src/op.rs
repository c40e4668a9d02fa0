//! The writes a store is asked to do, the same for both stores: each store's writer applies them in its own SQL.

use crate::{Activity, Alias, Append, Execution, Publish, StateMachine};

/// A write the store was asked to do.
pub(crate) enum Op {
    CreateStateMachine(StateMachine),
    UpdateStateMachine(StateMachine),
    DeleteStateMachine(String),
    SetStateMachineTags(String, Vec<(String, String)>),
    CreateExecution(Box<Execution>, Append),
    Append(Vec<Append>),
    /// Delete every row of every table (`Store::reset`).
    Reset,
    RedriveExecution(String, i64, Append),
    /// `Store::park`: the execution and its wake time.
    Park(String, i64),
    PublishVersion(Publish),
    DeleteVersion(String, u64),
    CreateAlias(Alias),
    UpdateAlias(Alias),
    DeleteAlias(String),
    CreateActivity(Activity),
    DeleteActivity(String),
    SetActivityTags(String, Vec<(String, String)>),
    /// `Store::outbox_settle`: the messages delivered, and those that failed with their next try.
    SettleOutbox(Vec<i64>, Vec<(i64, i64)>),
    /// Retention: at most this many executions that ended before this time, with their events and triggers.
    DeleteClosed { before: i64, limit: usize },
    /// Caps the database at its current size and this many pages more, as a full disk would (tests only).
    #[cfg(test)]
    LimitPages(i64),
}

impl Op {
    /// How much of a batch this request uses.
    pub(crate) fn steps(&self) -> usize {
        match self {
            Op::Append(steps) => steps.len().max(1),
            _ => 1,
        }
    }

    /// Whether the request may change a state machine's record (what `sqlite::machines` keeps in memory).
    pub(crate) fn changes_machines(&self) -> bool {
        !matches!(
            self,
            Op::CreateExecution(..)
                | Op::Append(_)
                | Op::RedriveExecution(..)
                | Op::Park(..)
                | Op::SettleOutbox(..)
                | Op::DeleteClosed { .. }
                | Op::CreateActivity(_)
                | Op::DeleteActivity(_)
                | Op::SetActivityTags(..)
        )
    }
}
