//! How far an execution got with each state, read from its history: what the console colours and shows on a click.
//!
//! `states` folds the wire history events (as `GetExecutionHistory` returns them) of one execution into one
//! `StateRun` per state of its graph. It is pure: no I/O, no clock; the same events always give the same answer.
//! Not here: fetching the history (the `Service`) and drawing (`graph::to_svg`).
//!
//! A *visit* is one `…StateEntered` event until its `…StateExited` (or until the state is given up). The events in
//! between are attributed to their visit by following `previousEventId` back to the `…StateEntered` it came from,
//! which keeps concurrent Parallel branches and Map iterations apart. A visit ends as:
//! - succeeded: exited with no failure pending;
//! - caught: exited after a failure (`TaskFailed`, `ParallelStateFailed`, …) that no retry cleared, so a `Catch`
//!   handled it;
//! - failed: a Fail state; or given up with a failure pending or while the execution failed, timed out or was
//!   aborted; or left unfinished when its Parallel or Map failed (a branch cancelled by its sibling's failure is
//!   drawn failed too: there is no "cancelled" colour);
//! - running: still open at the end of the history.
//!
//! A state visited several times (a loop, Map iterations) shows its most telling visit: running, then failed, then
//! caught, then succeeded. `ExecutionRedriven` forgets the failures before it, since the redrive runs those states
//! again. Input, output, variables, error and cause are the last visit's.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::Value;

use graph::{Graph, NodeKind, Status};

/// What one state did in an execution.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StateRun {
    pub(crate) status: Status,
    /// Times the state was entered.
    pub(crate) entered: u32,
    /// `TaskScheduled`, `LambdaFunctionScheduled` and `ActivityScheduled` events: attempts, so retries plus one.
    pub(crate) attempts: u32,
    /// JSON text, as the events carry it.
    pub(crate) input: Option<String>,
    pub(crate) output: Option<String>,
    /// `assignedVariables` of the last exit: variable name → JSON text.
    pub(crate) assigned_variables: Option<Value>,
    pub(crate) error: Option<String>,
    pub(crate) cause: Option<String>,
}

/// Every state of `graph` with what the execution whose history is `events` (oldest first) did with it.
pub(crate) fn states(graph: &Graph, events: &[Value]) -> BTreeMap<String, StateRun> {
    let enclosing = enclosing(graph);
    let mut fold = Fold { enclosing: &enclosing, by_id: BTreeMap::new(), open: BTreeMap::new(), runs: BTreeMap::new() };
    for name in enclosing.keys() {
        fold.runs.insert(name.clone(), StateRun::not_run());
    }
    for event in events {
        fold.event(event);
    }
    // What is still open when the history ends is running.
    for visit in std::mem::take(&mut fold.open).into_values() {
        fold.settle(&visit.name, Status::Running);
    }
    fold.runs
}

impl StateRun {
    fn not_run() -> StateRun {
        StateRun {
            status: Status::NotRun,
            entered: 0,
            attempts: 0,
            input: None,
            output: None,
            assigned_variables: None,
            error: None,
            cause: None,
        }
    }
}

/// Each state's name with the name of the Parallel or Map state it is drawn inside (`None` at the top level).
fn enclosing(graph: &Graph) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    for id in graph.ids() {
        let Some(name) = graph.state_name(id) else { continue };
        let mut parent = graph.node(id).and_then(|node| node.parent);
        let mut owner = None;
        // Parents come before children in a `Graph`, so the walk ends; the bound keeps it so regardless.
        for _ in 0..graph.nodes().len() {
            let Some(current) = parent else { break };
            if let Some(name) = graph.state_name(current) {
                owner = Some(name.to_owned());
                break;
            }
            parent = graph.node(current).and_then(|node| node.parent);
        }
        if matches!(graph.node(id).map(|node| &node.kind), Some(NodeKind::State { .. })) {
            out.insert(name.to_owned(), owner);
        }
    }
    out
}

/// One open visit, keyed in `Fold::open` by the id of its `…StateEntered` event.
struct Visit {
    name: String,
    /// The state type as the event types spell it: `Task`, `Parallel`, `Map`, …
    kind: String,
    /// A failure no retry has cleared yet.
    failed: bool,
}

struct Fold<'a> {
    enclosing: &'a BTreeMap<String, Option<String>>,
    /// `previousEventId` of every event seen, by id.
    by_id: BTreeMap<u64, u64>,
    open: BTreeMap<u64, Visit>,
    runs: BTreeMap<String, StateRun>,
}

impl Fold<'_> {
    fn event(&mut self, event: &Value) {
        let id = event.get("id").and_then(Value::as_u64).unwrap_or(0);
        let previous = event.get("previousEventId").and_then(Value::as_u64).unwrap_or(0);
        self.by_id.insert(id, previous);
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        let details = details(event);
        let text = |key: &str| details.and_then(|d| d.get(key)).and_then(Value::as_str).map(str::to_owned);

        if let Some(state_type) = kind.strip_suffix("StateEntered") {
            let Some(name) = text("name") else { return };
            let fail = state_type == "Fail";
            self.open.insert(id, Visit { name: name.clone(), kind: state_type.to_owned(), failed: fail });
            let run = self.run(&name);
            run.entered += 1;
            run.input = text("input");
            run.output = None;
            run.assigned_variables = None;
            run.error = None;
            run.cause = None;
        } else if kind.ends_with("StateExited") {
            let Some(name) = text("name") else { return };
            let Some(visit_id) = self.owner(previous, |visit| visit.name == name) else { return };
            self.close_inside(&name, false);
            if let Some(visit) = self.open.remove(&visit_id) {
                let status = if visit.failed { Status::Caught } else { Status::Succeeded };
                self.settle(&name, status);
            }
            let run = self.run(&name);
            run.output = text("output");
            run.assigned_variables = details.and_then(|d| d.get("assignedVariables")).cloned();
        } else if kind == "ParallelStateFailed" || kind == "MapStateFailed" {
            let want = kind.trim_end_matches("StateFailed");
            let Some(visit_id) = self.owner(previous, |visit| visit.kind == want) else { return };
            if let Some(visit) = self.open.get_mut(&visit_id) {
                visit.failed = true;
                let name = visit.name.clone();
                self.close_inside(&name, true);
                self.failure(&name, text("error"), text("cause"));
            }
        } else if matches!(kind, "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted") {
            for visit in std::mem::take(&mut self.open).into_values() {
                self.failure(&visit.name, text("error"), text("cause"));
                self.settle(&visit.name, Status::Failed);
            }
        } else if kind == "ExecutionSucceeded" {
            for visit in std::mem::take(&mut self.open).into_values() {
                self.settle(&visit.name, if visit.failed { Status::Failed } else { Status::Succeeded });
            }
        } else if kind == "ExecutionRedriven" {
            for run in self.runs.values_mut().filter(|run| run.status == Status::Failed) {
                run.status = Status::NotRun;
            }
        } else if kind.ends_with("Scheduled") || matches!(kind, "ParallelStateStarted" | "MapStateStarted") {
            // A (re)try: whatever failed before it was retried, not caught.
            let Some(visit_id) = self.owner(previous, |_| true) else { return };
            let Some(visit) = self.open.get_mut(&visit_id) else { return };
            visit.failed = false;
            let name = visit.name.clone();
            if kind.ends_with("Scheduled") {
                self.run(&name).attempts += 1;
            }
        } else if is_state_failure(kind) {
            let Some(visit_id) = self.owner(previous, |_| true) else { return };
            let Some(visit) = self.open.get_mut(&visit_id) else { return };
            visit.failed = true;
            let name = visit.name.clone();
            self.failure(&name, text("error"), text("cause"));
        }
    }

    /// The open visit an event whose `previousEventId` is `previous` belongs to: the first open visit that `wanted`
    /// accepts on the chain of previous events, else the latest open visit it accepts.
    fn owner(&self, previous: u64, wanted: impl Fn(&Visit) -> bool) -> Option<u64> {
        let mut current = previous;
        // Ids only go back, so the walk ends; the bound keeps it so for any input.
        for _ in 0..=self.by_id.len() {
            if current == 0 {
                break;
            }
            if self.open.get(&current).is_some_and(&wanted) {
                return Some(current);
            }
            match self.by_id.get(&current) {
                Some(&before) if before < current => current = before,
                _ => break,
            }
        }
        self.open.iter().rev().find(|(_, visit)| wanted(visit)).map(|(&id, _)| id)
    }

    /// Gives up every open visit of a state inside `outer` (its Parallel or Map ended or failed): failed.
    fn close_inside(&mut self, outer: &str, outer_failed: bool) {
        let inside: Vec<u64> = self
            .open
            .iter()
            .filter(|(_, visit)| visit.name != outer && self.is_inside(&visit.name, outer))
            .map(|(&id, _)| id)
            .collect();
        for id in inside {
            if let Some(visit) = self.open.remove(&id) {
                let status = if visit.failed || outer_failed { Status::Failed } else { Status::Succeeded };
                self.settle(&visit.name, status);
            }
        }
    }

    fn is_inside(&self, name: &str, outer: &str) -> bool {
        let mut current = self.enclosing.get(name).cloned().flatten();
        for _ in 0..=self.enclosing.len() {
            match current {
                Some(parent) if parent == outer => return true,
                Some(parent) => current = self.enclosing.get(&parent).cloned().flatten(),
                None => return false,
            }
        }
        false
    }

    /// Folds one visit's outcome into the state's status: the most telling one wins.
    fn settle(&mut self, name: &str, status: Status) {
        let run = self.run(name);
        if rank(status) > rank(run.status) {
            run.status = status;
        }
    }

    fn failure(&mut self, name: &str, error: Option<String>, cause: Option<String>) {
        let run = self.run(name);
        if error.is_some() || cause.is_some() {
            run.error = error;
            run.cause = cause;
        }
    }

    /// The run of `name`; a name the graph does not know (a history of another definition) gets one too.
    fn run(&mut self, name: &str) -> &mut StateRun {
        self.runs.entry(name.to_owned()).or_insert_with(StateRun::not_run)
    }
}

/// A failure of the state the event belongs to: `TaskFailed`, `LambdaFunctionTimedOut`, `ActivityScheduleFailed`, …
/// Not the execution's own, and not a Map iteration's or Map Run's (their Map state reports its own failure).
fn is_state_failure(kind: &str) -> bool {
    (kind.ends_with("Failed") || kind.ends_with("TimedOut"))
        && !kind.starts_with("Execution")
        && !kind.starts_with("MapIteration")
        && !kind.starts_with("MapRun")
}

fn rank(status: Status) -> u8 {
    match status {
        Status::NotRun => 0,
        Status::Succeeded => 1,
        Status::Caught => 2,
        Status::Failed => 3,
        Status::Running => 4,
    }
}

/// The `…EventDetails` member of an event, if it has one.
fn details(event: &Value) -> Option<&Value> {
    event.as_object()?.iter().find(|(key, _)| key.ends_with("EventDetails")).map(|(_, value)| value)
}
