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
//! A visit given up with a failure pending ended at that failure (the `TaskFailed`, or the Fail state's entry): the
//! timeline of a failed Parallel branch stops where the branch failed, not where its Parallel or the execution did.
//! Other visits given up end with the event that gave them up. `fold` lists the first `rows` visits in the order
//! they were entered (`Visit`), for the console's timeline, so the graph and the timeline are one reading of the
//! history and agree on every state (a state whose error a Catch took is caught in both).
//!
//! A state visited several times (a loop, Map iterations) shows its most telling visit: running, then failed, then
//! caught, then succeeded; its `tally` counts how each visit ended (a state inside a Map that failed in some
//! iterations and succeeded in others is drawn so). `ExecutionRedriven` forgets the failures before it, since the
//! redrive runs those states again. Input, output, variables, error and cause are the last visit's.
//!
//! A Map state's `Items` are its latest visit's (the last `MapStateEntered`; a Map inside a Map has several visits
//! at once, and shows the one entered last), from its latest attempt: `MapStateStarted` gives the number of items
//! and the `MapIteration…` events of an inline Map what became of them; iterations still running when the visit ends
//! were aborted (Baton, unlike AWS, writes no `MapIterationAborted` for them). A distributed Map's iterations are
//! child executions, not events of this history: it has its Map Run's ARN and status, and the console asks the
//! Map Run for the counts (`Items::with_map_run`).

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use graph::{Graph, NodeKind, Status, Tally};
use runtime::service::{MapRunInfo, MapRunStatus};

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
    /// A Map state's items, once its latest visit has started them.
    pub(crate) items: Option<Items>,
    /// How its visits ended (running ones counted as running).
    pub(crate) tally: Tally,
}

/// One visit of a state, as the timeline draws it. Times are the events' timestamps (seconds since the epoch).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Visit {
    pub(crate) name: String,
    pub(crate) start: f64,
    /// `None` while it runs.
    pub(crate) end: Option<f64>,
    pub(crate) status: Status,
}

/// Everything `fold` reads from a history.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Folded {
    /// Every state of the graph, and any other the history names.
    pub(crate) states: BTreeMap<String, StateRun>,
    /// The first visits, in the order they were entered.
    pub(crate) visits: Vec<Visit>,
    /// How many visits there were in all.
    pub(crate) visit_count: usize,
}

impl Visit {
    /// `{"name", "start", "end", "status"}`.
    pub(crate) fn to_json(&self) -> Value {
        json!({"name": self.name, "start": self.start, "end": self.end, "status": self.status.as_str()})
    }
}

/// What became of the items of a Map state's latest visit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Items {
    /// `MapStateStarted`'s `length`.
    pub(crate) total: u64,
    /// `None` for a distributed Map until `with_map_run` gives its Map Run's counts.
    pub(crate) counts: Option<ItemCounts>,
    /// A distributed Map's run.
    pub(crate) map_run: Option<MapRun>,
    /// Whether the visit still runs its items (else the ones not started never will be).
    pub(crate) open: bool,
}

/// Items by outcome; they add up to the total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ItemCounts {
    /// Not started yet (waiting for MaxConcurrency), or never (the Map ended first).
    pub(crate) pending: u64,
    pub(crate) running: u64,
    pub(crate) succeeded: u64,
    pub(crate) failed: u64,
    pub(crate) aborted: u64,
}

/// A distributed Map's Map Run, as the history names it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MapRun {
    pub(crate) arn: String,
    pub(crate) status: MapRunStatus,
}

/// Every state of `graph` with what the execution whose history is `events` (oldest first) did with it.
#[cfg(test)]
pub(crate) fn states(graph: &Graph, events: &[Value]) -> BTreeMap<String, StateRun> {
    fold(graph, events, 0).states
}

/// Each state of `graph` with what the execution whose history is `events` (oldest first) did with it, and its first
/// `rows` visits.
pub(crate) fn fold(graph: &Graph, events: &[Value], rows: usize) -> Folded {
    fold_with(graph, events, rows, true)
}

/// `fold`, with `owner`'s path compression on or off (the tests check that both give the same answer).
fn fold_with(graph: &Graph, events: &[Value], rows: usize, compress: bool) -> Folded {
    let enclosing = enclosing(graph);
    let mut fold = Fold {
        enclosing: &enclosing,
        compress,
        up: HashMap::new(),
        open: BTreeMap::new(),
        latest: BTreeMap::new(),
        runs: BTreeMap::new(),
        rows,
        visits: Vec::new(),
        visit_count: 0,
        now: 0.0,
    };
    for name in enclosing.keys() {
        fold.runs.insert(name.clone(), StateRun::not_run());
    }
    for event in events {
        fold.event(event);
    }
    // What is still open when the history ends is running.
    for visit in std::mem::take(&mut fold.open).into_values() {
        fold.end(visit, Status::Running);
    }
    Folded { states: fold.runs, visits: fold.visits, visit_count: fold.visit_count }
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
            items: None,
            tally: Tally::default(),
        }
    }
}

impl Items {
    /// The ARN of the Map Run whose counts these items lack (a distributed Map's).
    pub(crate) fn map_run_lacking_counts(&self) -> Option<&str> {
        self.map_run.as_ref().filter(|_| self.counts.is_none()).map(|run| run.arn.as_str())
    }

    /// Takes the counts and status of the Map Run these items are from, as `DescribeMapRun` reads them.
    pub(crate) fn with_map_run(&mut self, info: &MapRunInfo) {
        let items = &info.items;
        self.total = items.total;
        self.counts = Some(ItemCounts {
            pending: items.pending,
            running: items.running,
            succeeded: items.succeeded,
            failed: items.failed,
            aborted: items.aborted,
        });
        if let Some(run) = &mut self.map_run {
            run.status = info.status;
        }
        self.open = info.status == MapRunStatus::Running;
    }

    /// `{"total", "pending", "running", "succeeded", "failed", "aborted", "mapRun": {"arn", "status"} | null}`, the
    /// counts null when they are not known.
    pub(crate) fn to_json(&self) -> Value {
        let count = |pick: fn(&ItemCounts) -> u64| self.counts.as_ref().map(pick);
        json!({
            "total": self.total,
            "pending": count(|c| c.pending),
            "running": count(|c| c.running),
            "succeeded": count(|c| c.succeeded),
            "failed": count(|c| c.failed),
            "aborted": count(|c| c.aborted),
            "mapRun": self.map_run.as_ref().map(|run| json!({"arn": run.arn, "status": map_run_status(run.status)})),
        })
    }

    /// One line for the graph: "12 items · 10 succeeded · 1 failed · 1 running", the counts that are not zero.
    pub(crate) fn note(&self) -> String {
        let mut note = format!("{} item{}", self.total, if self.total == 1 { "" } else { "s" });
        match &self.counts {
            Some(c) => {
                let waiting = if self.open { "pending" } else { "not started" };
                let parts = [
                    (c.succeeded, "succeeded"),
                    (c.failed, "failed"),
                    (c.aborted, "aborted"),
                    (c.running, "running"),
                    (c.pending, waiting),
                ];
                for (n, what) in parts.into_iter().filter(|(n, _)| *n > 0) {
                    note.push_str(&format!(" · {n} {what}"));
                }
            }
            None => {
                if let Some(run) = &self.map_run {
                    note.push_str(&format!(" · Map Run {}", map_run_status(run.status).to_ascii_lowercase()));
                }
            }
        }
        note
    }
}

/// As `DescribeMapRun` spells it.
fn map_run_status(status: MapRunStatus) -> &'static str {
    match status {
        MapRunStatus::Running => "RUNNING",
        MapRunStatus::Succeeded => "SUCCEEDED",
        MapRunStatus::Failed => "FAILED",
        MapRunStatus::Aborted => "ABORTED",
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
struct Open {
    name: String,
    /// The state type as the event types spell it: `Task`, `Parallel`, `Map`, …
    kind: String,
    /// When a failure no retry has cleared yet happened, if one did.
    failed: Option<f64>,
    /// Its row in `Fold::visits`, if it is one of the first.
    row: Option<usize>,
}

struct Fold<'a> {
    enclosing: &'a BTreeMap<String, Option<String>>,
    /// For every event seen, by id, an earlier event on its chain of `previousEventId`s: at first its previous event;
    /// `owner` then points it further back, past events that can never be an open visit again (see there).
    up: HashMap<u64, u64>,
    compress: bool,
    open: BTreeMap<u64, Open>,
    /// The id of each state's latest `…StateEntered`.
    latest: BTreeMap<String, u64>,
    runs: BTreeMap<String, StateRun>,
    /// How many visits to list, the first ones listed, and how many there were.
    rows: usize,
    visits: Vec<Visit>,
    visit_count: usize,
    /// The time of the event being folded.
    now: f64,
}

impl Fold<'_> {
    fn event(&mut self, event: &Value) {
        let id = event.get("id").and_then(Value::as_u64).unwrap_or(0);
        let previous = event.get("previousEventId").and_then(Value::as_u64).unwrap_or(0);
        self.up.insert(id, previous);
        if let Some(time) = event.get("timestamp").and_then(Value::as_f64) {
            self.now = time;
        }
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        let details = details(event);
        let text = |key: &str| details.and_then(|d| d.get(key)).and_then(Value::as_str).map(str::to_owned);

        if let Some(state_type) = kind.strip_suffix("StateEntered") {
            let Some(name) = text("name") else { return };
            // A Fail state fails where it is entered.
            let failed = (state_type == "Fail").then_some(self.now);
            let row = (self.visits.len() < self.rows).then_some(self.visits.len());
            if row.is_some() {
                self.visits.push(Visit { name: name.clone(), start: self.now, end: None, status: Status::Running });
            }
            self.visit_count += 1;
            self.open.insert(id, Open { name: name.clone(), kind: state_type.to_owned(), failed, row });
            self.latest.insert(name.clone(), id);
            let run = self.run(&name);
            run.entered += 1;
            run.input = text("input");
            run.output = None;
            run.assigned_variables = None;
            run.error = None;
            run.cause = None;
            run.items = None;
        } else if kind.ends_with("StateExited") {
            let Some(name) = text("name") else { return };
            let Some(visit_id) = self.owner(previous, |visit| visit.name == name) else { return };
            self.close_inside(&name, false);
            if let Some(visit) = self.open.remove(&visit_id) {
                let status = if visit.failed.is_some() { Status::Caught } else { Status::Succeeded };
                self.end(visit, status);
                self.items_ended(visit_id, &name);
            }
            let run = self.run(&name);
            run.output = text("output");
            run.assigned_variables = details.and_then(|d| d.get("assignedVariables")).cloned();
        } else if kind == "ParallelStateFailed" || kind == "MapStateFailed" {
            let want = kind.trim_end_matches("StateFailed");
            let Some(visit_id) = self.owner(previous, |visit| visit.kind == want) else { return };
            let now = self.now;
            if let Some(visit) = self.open.get_mut(&visit_id) {
                visit.failed = visit.failed.or(Some(now));
                let name = visit.name.clone();
                self.close_inside(&name, true);
                self.failure(&name, text("error"), text("cause"));
                self.items_ended(visit_id, &name);
            }
        } else if matches!(kind, "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted") {
            for (visit_id, visit) in std::mem::take(&mut self.open) {
                let name = visit.name.clone();
                self.failure(&name, text("error"), text("cause"));
                self.end(visit, Status::Failed);
                self.items_ended(visit_id, &name);
            }
        } else if kind == "ExecutionSucceeded" {
            for (visit_id, visit) in std::mem::take(&mut self.open) {
                let name = visit.name.clone();
                let status = if visit.failed.is_some() { Status::Failed } else { Status::Succeeded };
                self.end(visit, status);
                self.items_ended(visit_id, &name);
            }
        } else if kind == "ExecutionRedriven" {
            for run in self.runs.values_mut() {
                if run.status == Status::Failed {
                    run.status = Status::NotRun;
                }
                run.tally.failed = 0;
            }
        } else if kind.ends_with("Scheduled") || matches!(kind, "ParallelStateStarted" | "MapStateStarted") {
            // A (re)try: whatever failed before it was retried, not caught.
            let Some(visit_id) = self.owner(previous, |_| true) else { return };
            let Some(visit) = self.open.get_mut(&visit_id) else { return };
            visit.failed = None;
            let name = visit.name.clone();
            if kind.ends_with("Scheduled") {
                self.run(&name).attempts += 1;
            }
            if kind == "MapStateStarted" {
                let total = details.and_then(|d| d.get("length")).and_then(Value::as_u64).unwrap_or(0);
                let counts = ItemCounts { pending: total, ..ItemCounts::default() };
                if let Some(items) = self.items(visit_id, &name) {
                    *items = Some(Items { total, counts: Some(counts), map_run: None, open: true });
                }
            }
        } else if let Some(outcome) = kind.strip_prefix("MapIteration") {
            // An inline Map's iteration, named by its Map state: the chain of previous events may pass through
            // other Maps (one inside its iterations).
            let Some(name) = text("name") else { return };
            let Some(visit_id) = self.owner(previous, |visit| visit.kind == "Map" && visit.name == name) else { return };
            let Some(Some(Items { counts: Some(c), .. })) = self.items(visit_id, &name) else { return };
            let slot = match outcome {
                "Started" => {
                    c.pending = c.pending.saturating_sub(1);
                    &mut c.running
                }
                "Succeeded" => &mut c.succeeded,
                "Failed" => &mut c.failed,
                "Aborted" => &mut c.aborted,
                _ => return,
            };
            *slot += 1;
            if outcome != "Started" {
                c.running = c.running.saturating_sub(1);
            }
        } else if let Some(outcome) = kind.strip_prefix("MapRun") {
            let Some(visit_id) = self.owner(previous, |visit| visit.kind == "Map") else { return };
            let Some(name) = self.open.get(&visit_id).map(|visit| visit.name.clone()) else { return };
            let Some(Some(items)) = self.items(visit_id, &name) else { return };
            let status = match outcome {
                // A redriven Map Run runs again under its ARN, its counts read from it as when it started.
                "Started" | "Redriven" => {
                    let arn = text("mapRunArn").unwrap_or_default();
                    items.counts = None;
                    items.map_run = Some(MapRun { arn, status: MapRunStatus::Running });
                    return;
                }
                "Succeeded" => MapRunStatus::Succeeded,
                "Failed" => MapRunStatus::Failed,
                "Aborted" => MapRunStatus::Aborted,
                _ => return,
            };
            if let Some(run) = &mut items.map_run {
                run.status = status;
            }
        } else if kind == "MapStateAborted" {
            let Some(visit_id) = self.owner(previous, |visit| visit.kind == "Map") else { return };
            if let Some(name) = self.open.get(&visit_id).map(|visit| visit.name.clone()) {
                self.items_ended(visit_id, &name);
            }
        } else if is_state_failure(kind) {
            let Some(visit_id) = self.owner(previous, |_| true) else { return };
            let now = self.now;
            let Some(visit) = self.open.get_mut(&visit_id) else { return };
            visit.failed = Some(now);
            let name = visit.name.clone();
            self.failure(&name, text("error"), text("cause"));
        }
    }

    /// The open visit an event whose `previousEventId` is `previous` belongs to: the first open visit that `wanted`
    /// accepts on the chain of previous events, else the latest open visit it accepts.
    ///
    /// An event that is not an open visit now never becomes one (visits open only as their own event arrives, and a
    /// closed visit stays closed), so the walk points every such event it passes at the next open visit or the
    /// chain's end (path compression). Without it, a Map's iterations chained one after another made every walk
    /// as long as the history: 18,000 events took a quarter of a second to fold.
    fn owner(&mut self, previous: u64, wanted: impl Fn(&Open) -> bool) -> Option<u64> {
        let mut current = previous;
        let mut passed = Vec::new();
        let mut found = None;
        // Ids only go back, so the walk ends; the bound keeps it so for any input.
        for _ in 0..=self.up.len() {
            if current == 0 {
                break;
            }
            if let Some(visit) = self.open.get(&current) {
                for event in passed.drain(..).filter(|_| self.compress) {
                    self.up.insert(event, current);
                }
                if wanted(visit) {
                    found = Some(current);
                    break;
                }
            } else {
                passed.push(current);
            }
            match self.up.get(&current) {
                Some(&before) if before < current => current = before,
                _ => break,
            }
        }
        for event in passed.into_iter().filter(|_| self.compress) {
            // The chain ends beyond these: nothing open is left on it.
            self.up.insert(event, 0);
        }
        found.or_else(|| self.open.iter().rev().find(|(_, visit)| wanted(visit)).map(|(&id, _)| id))
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
                let name = visit.name.clone();
                let status = if visit.failed.is_some() || outer_failed { Status::Failed } else { Status::Succeeded };
                self.end(visit, status);
                self.items_ended(id, &name);
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

    /// Ends `visit` now as `status` (still running, at the end of the history): its row's end is its pending
    /// failure's time if it failed with one, else now; its state's tally counts it, and its status is the most telling
    /// of its visits'.
    fn end(&mut self, visit: Open, status: Status) {
        let end = match (status, visit.failed) {
            (Status::Running, _) => None,
            (Status::Failed, Some(failed)) => Some(failed),
            _ => Some(self.now),
        };
        if let Some(row) = visit.row.and_then(|row| self.visits.get_mut(row)) {
            row.end = end;
            row.status = status;
        }
        let run = self.run(&visit.name);
        run.tally.add(status);
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

    /// The items of the visit `visit_id` of state `name`, if it is the state's latest visit (`None` inside until the
    /// Map starts them); `None` for an earlier visit, whose items are not shown.
    fn items(&mut self, visit_id: u64, name: &str) -> Option<&mut Option<Items>> {
        if self.latest.get(name) != Some(&visit_id) {
            return None;
        }
        Some(&mut self.run(name).items)
    }

    /// The visit `visit_id` of `name` stopped running items: what still ran was aborted.
    fn items_ended(&mut self, visit_id: u64, name: &str) {
        let Some(Some(items)) = self.items(visit_id, name) else { return };
        if !items.open {
            return;
        }
        items.open = false;
        if let Some(c) = &mut items.counts {
            c.aborted += c.running;
            c.running = 0;
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
