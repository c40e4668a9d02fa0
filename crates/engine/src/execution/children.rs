//! A distributed Map's child executions. AWS runs each iteration of a distributed Map (one item, or one batch) as a
//! child execution of the Map Run, with its own ARN and its own history, and the parent's history shows only the
//! Map Run's events. Baton runs the iteration as frames of the parent (one fold, one durable record, deterministic),
//! and writes the events of those frames to the child's history instead (`Record::Child`): `ExecutionStarted` when
//! the iteration starts, the states' events, and `ExecutionSucceeded`, `ExecutionFailed` or `ExecutionAborted`
//! when it ends; a redrive that runs the iteration again writes `ExecutionRedriven` to the same child.
//!
//! The events go out through `Execution::take_child_events`, each with the child's ARN, its Map Run's ARN and its
//! state machine's ARN, for the runtime to store as executions of their own. The engine keeps only each child's
//! event count and redrive count. A child's name is a UUID derived from the parent's ARN, the Map Run and the item
//! index, so the same child has the same ARN in a replay and in a redrive.
//!
//! Keeping child histories is off by default (`Execution::keep_child_histories`): `baton run` has nowhere to show
//! them, and writing them costs about as much as the iterations themselves.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::execution::{Execution, Outcome};
use crate::history::{ErrorDetails, EventDetails, HistoryEvent, json_text};

/// Where a frame's events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Record {
    /// The execution's own history.
    Parent,
    /// A child execution's history (nowhere when child histories are not kept); `root` for the frame that runs the
    /// child's top level, whose start and end are the child's.
    Child { key: ChildKey, root: bool },
    /// Nowhere.
    Off,
}

impl Record {
    /// Whether two frames write the same history.
    pub(super) fn same_history(self, other: Record) -> bool {
        match (self, other) {
            (Record::Parent, Record::Parent) => true,
            (Record::Child { key: a, .. }, Record::Child { key: b, .. }) => a == b,
            _ => false,
        }
    }

    /// What the frames a frame starts (Parallel branches, inline Map iterations) record to: the same history.
    pub(super) fn inherited(self) -> Record {
        match self {
            Record::Child { key, .. } => Record::Child { key, root: false },
            other => other,
        }
    }
}

/// Which child: the iteration `index` of the Map Run `map_run` (its index in `Execution::map_runs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct ChildKey {
    map_run: usize,
    index: usize,
}

/// The child executions of one Map Run.
pub(super) struct ChildRun {
    pub(super) map_run_arn: Arc<str>,
    pub(super) state_machine_arn: Arc<str>,
    children: HashMap<usize, Child>,
    /// What became of each child, by index, for a ResultWriter that writes their records; `None` when the Map has
    /// none (nothing is kept).
    pub(super) reports: Option<HashMap<usize, Report>>,
}

/// What a ResultWriter writes of one child, besides its output.
pub(super) struct Report {
    pub(super) input: String,
    pub(super) start: i64,
    pub(super) stop: Option<i64>,
    pub(super) ended: Ended,
    pub(super) redrive_count: u32,
}

/// How a child ended.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Ended {
    Running,
    Succeeded,
    Failed(ErrorDetails),
    Aborted,
}

struct Child {
    arn: Arc<str>,
    /// Its last event's id.
    events: u64,
    redrive_count: u32,
}

/// An event of a child execution, for the runtime to store in the child's history.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildEvent {
    pub execution_arn: Arc<str>,
    /// The Map Run that runs the child.
    pub map_run_arn: Arc<str>,
    /// The child's state machine: the parent's and the Map's label, `…:stateMachine:<machine>/<label>`.
    pub state_machine_arn: Arc<str>,
    pub event: HistoryEvent,
}

impl ChildRun {
    /// The children of Map Run `map_run_arn`; `reports` to keep what a ResultWriter writes of them.
    pub(super) fn new(map_run_arn: &str, reports: bool) -> ChildRun {
        ChildRun {
            map_run_arn: Arc::from(map_run_arn),
            state_machine_arn: Arc::from(child_state_machine_arn(map_run_arn).as_str()),
            children: HashMap::new(),
            reports: reports.then(HashMap::new),
        }
    }
}

impl Execution {
    /// Whether the iterations of distributed Maps write their events to child histories (`take_child_events`), or
    /// nowhere (the default).
    pub fn keep_child_histories(&mut self, keep: bool) {
        self.keep_children = keep;
    }

    /// Hands over the child executions' events not taken yet, in the order they happened.
    pub fn take_child_events(&mut self) -> Vec<ChildEvent> {
        std::mem::take(&mut self.child_events)
    }

    /// Starts the child that runs iteration `index` of Map Run `map_run` with `input`: its `ExecutionStarted` (or,
    /// when a redrive runs it again, its `ExecutionRedriven`). Returns where its frames record and the event its
    /// top-level frame continues from.
    pub(super) fn start_child(&mut self, map_run: Option<usize>, index: usize, input: &Value, redriven: bool) -> (Record, u64) {
        let Some(map_run) = map_run else { return (Record::Off, 0) };
        let key = ChildKey { map_run, index };
        let now = self.now;
        if let Some(reports) = self.child_runs.get_mut(map_run).and_then(|run| run.reports.as_mut()) {
            let report = reports.entry(index).or_insert_with(|| Report {
                input: json_text(input),
                start: now,
                stop: None,
                ended: Ended::Running,
                redrive_count: 0,
            });
            if redriven && report.ended != Ended::Running {
                report.redrive_count += 1;
            }
            (report.stop, report.ended) = (None, Ended::Running);
        }
        if !self.keep_children {
            return (Record::Child { key, root: true }, 0);
        }
        let details = if redriven && self.child(key).is_some() {
            let child = self.child(key).expect("invariant: checked just above");
            child.redrive_count += 1;
            EventDetails::ExecutionRedriven { redrive_count: child.redrive_count }
        } else {
            EventDetails::ExecutionStarted {
                input: json_text(input),
                role_arn: self.info.role_arn.clone(),
                state_machine_arn: self.child_runs.get(map_run).map(|run| run.state_machine_arn.to_string()).unwrap_or_default(),
                version_arn: None,
                alias_arn: None,
            }
        };
        let root = Record::Child { key, root: true };
        let last = self.child(key).map_or(0, |child| child.events);
        let id = self.emit_child(key, last, details);
        (root, id)
    }

    /// Ends the child whose top-level frame recorded to `record`: succeeded or failed with `outcome`, or aborted
    /// (`None`). Like the parent's, the event follows the child's last event.
    pub(super) fn end_child(&mut self, record: Record, outcome: Option<&Outcome>) {
        let Record::Child { key, root: true } = record else { return };
        let now = self.now;
        if let Some(report) = self.child_runs.get_mut(key.map_run).and_then(|run| run.reports.as_mut()?.get_mut(&key.index)) {
            report.stop = Some(now);
            report.ended = match outcome {
                Some(Ok(_)) => Ended::Succeeded,
                Some(Err(error)) => Ended::Failed(error.clone()),
                None => Ended::Aborted,
            };
        }
        if !self.keep_children {
            return;
        }
        let details = match outcome {
            Some(Ok(output)) => EventDetails::ExecutionSucceeded { output: json_text(output) },
            Some(Err(error)) => EventDetails::ExecutionFailed(error.clone()),
            None => EventDetails::ExecutionAborted(ErrorDetails::default()),
        };
        let last = self.child(key).map_or(0, |child| child.events);
        self.emit_child(key, last, details);
    }

    /// Appends an event to child `key`'s history after event `previous`; returns its id.
    pub(super) fn emit_child(&mut self, key: ChildKey, previous: u64, details: EventDetails) -> u64 {
        if !self.keep_children {
            return previous;
        }
        let now = self.now;
        let Some(run) = self.child_runs.get_mut(key.map_run) else { return previous };
        let execution_arn = self.info.execution_arn.as_str();
        let child = run.children.entry(key.index).or_insert_with(|| Child {
            arn: Arc::from(child_execution_arn(&run.map_run_arn, execution_arn, key.index).as_str()),
            events: 0,
            redrive_count: 0,
        });
        child.events += 1;
        let id = child.events;
        self.fold_bytes = self.fold_bytes.saturating_add(details.payload_len());
        self.child_events.push(ChildEvent {
            execution_arn: child.arn.clone(),
            map_run_arn: run.map_run_arn.clone(),
            state_machine_arn: run.state_machine_arn.clone(),
            event: HistoryEvent { id, previous_event_id: previous, timestamp: now, details },
        });
        id
    }

    fn child(&mut self, key: ChildKey) -> Option<&mut Child> {
        self.child_runs.get_mut(key.map_run)?.children.get_mut(&key.index)
    }
}

/// `…:stateMachine:<machine>/<label>` for the Map Run `…:mapRun:<machine>/<label>:<id>`.
fn child_state_machine_arn(map_run_arn: &str) -> String {
    let head = map_run_arn.rsplit_once(':').map_or(map_run_arn, |(head, _)| head);
    head.replacen(":mapRun:", ":stateMachine:", 1)
}

/// `…:execution:<machine>/<label>:<uuid>`: the child that runs iteration `index` of the Map Run `map_run_arn` of
/// execution `parent_arn`.
pub(super) fn child_execution_arn(map_run_arn: &str, parent_arn: &str, index: usize) -> String {
    let head = map_run_arn.rsplit_once(':').map_or(map_run_arn, |(head, _)| head);
    let name = child_name(map_run_arn, parent_arn, index);
    format!("{}:{name}", head.replacen(":mapRun:", ":execution:", 1))
}

/// A version 4 UUID made from the parent, the Map Run and the index: the same child always has the same name.
fn child_name(map_run_arn: &str, parent_arn: &str, index: usize) -> String {
    let hash = |seed: u64| {
        let bytes = parent_arn.bytes().chain([0]).chain(map_run_arn.bytes()).chain((index as u64).to_le_bytes());
        let h = bytes.fold(seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        // SplitMix64's finaliser spreads the FNV hash over every bit.
        let z = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let (high, low) = (hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4));
    let high = (high & 0xffff_ffff_ffff_0fff) | 0x4000;
    let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::{child_execution_arn, child_state_machine_arn};

    #[test]
    fn children_are_named_after_their_map_run() {
        let map_run = "arn:aws:states:us-east-1:123456789012:mapRun:Machine/Each:run-1-1";
        let parent = "arn:aws:states:us-east-1:123456789012:execution:Machine:run-1";
        assert_eq!(child_state_machine_arn(map_run), "arn:aws:states:us-east-1:123456789012:stateMachine:Machine/Each");
        let arn = child_execution_arn(map_run, parent, 7);
        let (head, name) = arn.rsplit_once(':').expect("an ARN");
        assert_eq!(head, "arn:aws:states:us-east-1:123456789012:execution:Machine/Each");
        assert_eq!(name.len(), 36);
        assert_eq!(name.as_bytes()[14], b'4', "a version 4 UUID: {name}");
        assert_eq!(arn, child_execution_arn(map_run, parent, 7), "the same child has the same name");
        assert_ne!(arn, child_execution_arn(map_run, parent, 8));
        assert_ne!(arn, child_execution_arn(map_run, "arn:aws:states:us-east-1:123456789012:execution:Machine:run-2", 7));
    }
}
