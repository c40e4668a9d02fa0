//! One execution's history read as spans, event by event, as batches are committed.
//!
//! The spans nest execution > state > task: a span per execution run (from `ExecutionStarted`, or `ExecutionRedriven`
//! for a redrive, to the event that ends it), per state entered (`StateEntered` to `StateExited`, or to where its thread
//! went on without it: a caught failure, a failed branch, the execution's end), per task call (`TaskScheduled`,
//! `ActivityScheduled` or `LambdaFunctionScheduled` to the call's last event). A Parallel's branches run their states
//! under the Parallel's span; a Map's iterations are spans of their own under the Map's (`MapIterationStarted` to its
//! end), with the iteration's states under them. A distributed Map's iterations are child executions, whose events are
//! not in this history: its Map Run shows as attributes of the Map's span.
//!
//! Which span an event belongs to follows `previous_event_id`, as `baton test` reads histories: it names the event
//! before it in the same thread, and a branch's or iteration's first event follows its `ParallelStateStarted` or
//! `MapIterationStarted`. A parent's events after its children ran may follow a child's last event, so they go to the
//! nearest open state of the right type above it. Only the events that a later event may still follow are kept (each
//! is followed once, except the events that start branches and iterations), so the memory kept is about the open
//! spans, not the history.
//!
//! Span ids are derived from the events that open the spans (`ids`), so the spans of an execution rebuilt from its
//! history (after a restart, on another node) are the same spans.

use std::collections::HashMap;

use engine::{ErrorDetails, EventDetails, HistoryEvent};

use super::ids::{self, Context};

/// A span that ended, ready to export.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finished {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    /// The enclosing span, if any: for an execution's span, the caller's span that `traceHeader` named (remote).
    pub(crate) parent: Option<[u8; 8]>,
    pub(crate) parent_remote: bool,
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// Milliseconds since the epoch, on the execution's clock (the history's timestamps).
    pub(crate) start: i64,
    pub(crate) end: i64,
    pub(crate) attributes: Vec<(&'static str, Attribute)>,
    /// `Some` for a span that failed (OpenTelemetry's error status), with its description.
    pub(crate) error: Option<String>,
    /// Other spans of the same trace it relates to: a redrive's execution span links the run before.
    pub(crate) links: Vec<[u8; 8]>,
}

/// OpenTelemetry's span kinds that Baton uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Executions, states and Map iterations.
    Internal,
    /// Task calls: a request to something outside.
    Client,
}

/// An attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Attribute {
    Text(String),
    Int(i64),
}

impl From<&str> for Attribute {
    fn from(text: &str) -> Attribute {
        Attribute::Text(text.to_owned())
    }
}

impl From<String> for Attribute {
    fn from(text: String) -> Attribute {
        Attribute::Text(text)
    }
}

/// The spans of one execution run that are open, and the events later events may follow.
pub(crate) struct Tracker {
    context: Context,
    arn: String,
    /// Every span of the run so far; 0 is the execution's. A closed span keeps only its place in the tree.
    nodes: Vec<Node>,
    /// Event id → the span it belongs to, and whether it starts threads (a branch's or an iteration's).
    owner: HashMap<u64, (usize, bool)>,
}

/// Where an execution run's span starts.
pub(crate) struct Opening<'a> {
    pub(crate) record: &'a store::Execution,
    /// 0 for the first run, else which redrive.
    pub(crate) redrive_count: u32,
    /// When the run started (`ExecutionStarted` or `ExecutionRedriven`).
    pub(crate) start: i64,
}

struct Node {
    parent: Option<usize>,
    role: Role,
    span_id: [u8; 8],
    open: Option<Box<Open>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Execution,
    State,
    Iteration(usize),
    Task,
}

/// An open span.
struct Open {
    name: String,
    /// The state's type (`Task`, `Parallel`, `Map`, …); empty for other spans.
    state_type: &'static str,
    kind: Kind,
    start: i64,
    attributes: Vec<(&'static str, Attribute)>,
    links: Vec<[u8; 8]>,
    /// The last failure it or a span in it met (a task's, an evaluation's, a branch's).
    error: Option<ErrorDetails>,
    /// Whether it failed (as far as its events say) and has not started over since (a retry).
    failed: bool,
    children: Vec<usize>,
}

/// How a span ended.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// It did what it was for: a state exited (caught, if it failed), a task or an iteration succeeded.
    Done,
    /// It was aborted (`StateAborted`, `MapIterationAborted`).
    Aborted,
    /// It failed, saying so (`TaskFailed`, `TaskTimedOut`, `MapIterationFailed`): `status` names how.
    Failed { status: &'static str, error: Option<ErrorDetails> },
    /// Its thread went on without it (a caught failure, a failed branch), or what it ran in ended: failed if it
    /// met a failure it did not get over, else interrupted.
    Ended,
}

impl Tracker {
    /// A run of the execution starts: its span opens.
    pub(crate) fn new(opening: &Opening<'_>) -> Tracker {
        let record = opening.record;
        let context = Context::of(&record.arn, record.trace_header.as_deref());
        let mut attributes: Vec<(&'static str, Attribute)> = vec![
            ("baton.execution.arn", record.arn.as_str().into()),
            ("baton.execution.name", record.name.as_str().into()),
            ("aws.step_functions.state_machine.arn", record.state_machine_arn.as_str().into()),
            ("baton.execution.type", if record.kind == store::Kind::Express { "EXPRESS" } else { "STANDARD" }.into()),
        ];
        if let Some(version) = &record.version_arn {
            attributes.push(("baton.state_machine.version_arn", version.as_str().into()));
        }
        if let Some(alias) = &record.alias_arn {
            attributes.push(("baton.state_machine.alias_arn", alias.as_str().into()));
        }
        let mut links = Vec::new();
        if opening.redrive_count > 0 {
            attributes.push(("baton.execution.redrive_count", Attribute::Int(i64::from(opening.redrive_count))));
            links.push(ids::execution_span(&record.arn, opening.redrive_count - 1));
        }
        let machine = record.state_machine_arn.split_once(":stateMachine:").map_or(record.state_machine_arn.as_str(), |(_, name)| name);
        let open = Open {
            name: machine.to_owned(),
            state_type: "",
            kind: Kind::Internal,
            start: opening.start,
            attributes,
            links,
            error: None,
            failed: false,
            children: Vec::new(),
        };
        let span_id = ids::execution_span(&record.arn, opening.redrive_count);
        let root = Node { parent: None, role: Role::Execution, span_id, open: Some(Box::new(open)) };
        Tracker { context, arn: record.arn.clone(), nodes: vec![root], owner: HashMap::new() }
    }

    /// Reads the next event of the run; the spans it ends go to `out`. `true` when it ended the run.
    pub(crate) fn apply(&mut self, event: &HistoryEvent, out: &mut Vec<Finished>) -> bool {
        let at = event.timestamp;
        match &event.details {
            EventDetails::ExecutionStarted { .. } | EventDetails::ExecutionRedriven { .. } => self.own(event.id, 0, false),
            EventDetails::ExecutionSucceeded { .. } => {
                self.end(at, "SUCCEEDED", None, out);
                return true;
            }
            EventDetails::ExecutionFailed(error) => {
                self.end(at, "FAILED", Some(error), out);
                return true;
            }
            EventDetails::ExecutionTimedOut(error) => {
                self.end(at, "TIMED_OUT", Some(error), out);
                return true;
            }
            EventDetails::ExecutionAborted(error) => {
                self.end(at, "ABORTED", Some(error), out);
                return true;
            }
            EventDetails::StateEntered { state_type, name, .. } => self.entered(event, state_type, name, out),
            EventDetails::StateExited { name, .. } | EventDetails::StateAborted { name, .. } => {
                let start = self.lookup(event.previous_event_id);
                if let Some(state) = self.open_above(start, at, out, |node, open| node.role == Role::State && open.name == *name) {
                    let aborted = matches!(event.details, EventDetails::StateAborted { .. });
                    self.close(state, at, if aborted { Outcome::Aborted } else { Outcome::Done }, out);
                    self.own(event.id, state, false);
                }
            }
            EventDetails::ParallelStateStarted
            | EventDetails::ParallelStateSucceeded
            | EventDetails::ParallelStateFailed
            | EventDetails::ParallelStateAborted => {
                let start = self.lookup(event.previous_event_id);
                if let Some(parallel) = self.open_above(start, at, out, |node, open| node.role == Role::State && open.state_type == "Parallel") {
                    if matches!(event.details, EventDetails::ParallelStateFailed) {
                        self.fail(parallel, None);
                    }
                    self.own(event.id, parallel, matches!(event.details, EventDetails::ParallelStateStarted));
                }
            }
            EventDetails::MapIterationStarted { name, index } => {
                let start = self.lookup(event.previous_event_id);
                if let Some(map) = self.open_above(start, at, out, is_map) {
                    let attributes = vec![("baton.state.name", name.as_str().into()), ("baton.map.index", Attribute::Int(index_attribute(*index)))];
                    let iteration = self.open(map, Role::Iteration(*index), event, format!("{name} iteration"), "", Kind::Internal, attributes);
                    self.own(event.id, iteration, true);
                }
            }
            EventDetails::MapIterationSucceeded { index, .. }
            | EventDetails::MapIterationFailed { index, .. }
            | EventDetails::MapIterationAborted { index, .. } => {
                let start = self.lookup(event.previous_event_id);
                if let Some(map) = self.open_above(start, at, out, is_map) {
                    let outcome = match &event.details {
                        EventDetails::MapIterationSucceeded { .. } => Outcome::Done,
                        EventDetails::MapIterationFailed { .. } => Outcome::Failed { status: "failed", error: None },
                        _ => Outcome::Aborted,
                    };
                    let children = self.open_span(map).map(|open| open.children.clone()).unwrap_or_default();
                    if let Some(iteration) = children.into_iter().find(|child| self.role(*child) == Some(Role::Iteration(*index))) {
                        self.close(iteration, at, outcome, out);
                    }
                    self.own(event.id, map, false);
                }
            }
            EventDetails::MapStateStarted { .. }
            | EventDetails::MapStateSucceeded
            | EventDetails::MapStateFailed
            | EventDetails::MapStateAborted
            | EventDetails::MapRunStarted { .. }
            | EventDetails::MapRunSucceeded
            | EventDetails::MapRunFailed(_)
            | EventDetails::MapRunAborted
            | EventDetails::MapRunRedriven { .. } => {
                let start = self.lookup(event.previous_event_id);
                if let Some(map) = self.open_above(start, at, out, is_map) {
                    match &event.details {
                        EventDetails::MapStateStarted { length } => self.attribute(map, "baton.map.length", Attribute::Int(index_attribute(*length))),
                        EventDetails::MapRunStarted { map_run_arn } | EventDetails::MapRunRedriven { map_run_arn, .. } => {
                            self.attribute(map, "baton.map_run.arn", map_run_arn.as_str().into());
                        }
                        EventDetails::MapStateFailed => self.fail(map, None),
                        EventDetails::MapRunFailed(error) => self.fail(map, Some(error)),
                        _ => {}
                    }
                    self.own(event.id, map, false);
                }
            }
            EventDetails::TaskScheduled(scheduled) => {
                let name = format!("{}:{}", scheduled.resource_type, scheduled.resource);
                let attributes = vec![
                    ("baton.task.resource_type", scheduled.resource_type.as_str().into()),
                    ("baton.task.resource", scheduled.resource.as_str().into()),
                ];
                self.scheduled(event, name, attributes, out);
            }
            EventDetails::ActivityScheduled { resource, .. } => {
                let name = format!("activity:{}", last_part(resource));
                let attributes = vec![("baton.task.resource_type", "activity".into()), ("aws.step_functions.activity.arn", resource.as_str().into())];
                self.scheduled(event, name, attributes, out);
            }
            EventDetails::LambdaFunctionScheduled { resource, .. } => {
                let name = format!("lambda:{}", last_part(resource));
                let attributes = vec![("baton.task.resource_type", "lambda".into()), ("baton.task.resource", resource.as_str().into())];
                self.scheduled(event, name, attributes, out);
            }
            EventDetails::TaskStarted { .. } | EventDetails::TaskSubmitted { .. } | EventDetails::LambdaFunctionStarted => {
                self.task_event(event, None, out);
            }
            EventDetails::ActivityStarted { worker_name } => {
                if let Some(task) = self.task_event(event, None, out) {
                    self.attribute(task, "baton.activity.worker", worker_name.as_str().into());
                }
            }
            EventDetails::TaskSucceeded { .. } | EventDetails::ActivitySucceeded { .. } | EventDetails::LambdaFunctionSucceeded { .. } => {
                self.task_event(event, Some(Outcome::Done), out);
            }
            EventDetails::TaskFailed { error, .. } | EventDetails::ActivityFailed(error) | EventDetails::LambdaFunctionFailed(error) => {
                self.task_event(event, Some(Outcome::Failed { status: "failed", error: Some(error.clone()) }), out);
            }
            EventDetails::TaskTimedOut { error, .. } | EventDetails::ActivityTimedOut(error) | EventDetails::LambdaFunctionTimedOut(error) => {
                self.task_event(event, Some(Outcome::Failed { status: "timed_out", error: Some(error.clone()) }), out);
            }
            EventDetails::EvaluationFailed { error, .. } => {
                let start = self.lookup(event.previous_event_id);
                if let Some(state) = self.open_above(start, at, out, |node, _| node.role == Role::State) {
                    self.fail(state, Some(error));
                    self.own(event.id, state, false);
                }
            }
        }
        false
    }

    /// `StateEntered`: the state's span opens in the thread the event continues. A branch's or iteration's first
    /// state goes under its Parallel or iteration; any other goes beside the state before it in its thread, which
    /// ends here if it had not (its failure was caught).
    fn entered(&mut self, event: &HistoryEvent, state_type: &'static str, name: &str, out: &mut Vec<Finished>) {
        let parent = match self.lookup(event.previous_event_id) {
            Some((node, true)) => node,
            Some((node, false)) => match self.state_at_or_above(node) {
                Some(state) => {
                    if self.open_span(state).is_some() {
                        self.close(state, event.timestamp, Outcome::Ended, out);
                    }
                    self.parent(state).unwrap_or(0)
                }
                None => node,
            },
            None => 0,
        };
        let attributes = vec![("baton.state.name", name.into()), ("baton.state.type", state_type.into())];
        let state = self.open(parent, Role::State, event, name.to_owned(), state_type, Kind::Internal, attributes);
        self.own(event.id, state, false);
    }

    /// A task's scheduling event: its span opens under the state it continues, whose failure (if this is a retry)
    /// is then behind it.
    fn scheduled(&mut self, event: &HistoryEvent, name: String, attributes: Vec<(&'static str, Attribute)>, out: &mut Vec<Finished>) {
        let start = self.lookup(event.previous_event_id);
        let state = self.open_above(start, event.timestamp, out, |node, _| node.role == Role::State).unwrap_or(0);
        if let Some(open) = self.open_span_mut(state) {
            open.failed = false;
        }
        let task = self.open(state, Role::Task, event, name, "", Kind::Client, attributes);
        self.own(event.id, task, false);
    }

    /// A task's later event: it belongs to the task whose event it follows, which it ends with `outcome`, if any.
    fn task_event(&mut self, event: &HistoryEvent, outcome: Option<Outcome>, out: &mut Vec<Finished>) -> Option<usize> {
        let (task, _) = self.lookup(event.previous_event_id)?;
        if self.role(task) != Some(Role::Task) {
            return None;
        }
        if let Some(outcome) = outcome {
            if let Outcome::Failed { error: Some(error), .. } = &outcome
                && let Some(state) = self.parent(task)
            {
                self.fail(state, Some(error));
            }
            self.close(task, event.timestamp, outcome, out);
        }
        self.own(event.id, task, false);
        Some(task)
    }

    /// The run ends: every span still open ends with it, then its own.
    fn end(&mut self, at: i64, status: &'static str, error: Option<&ErrorDetails>, out: &mut Vec<Finished>) {
        let children = self.open_span(0).map(|open| open.children.clone()).unwrap_or_default();
        for child in children {
            self.close(child, at, Outcome::Ended, out);
        }
        self.attribute(0, "baton.execution.status", status.into());
        let outcome = match error {
            Some(error) => Outcome::Failed { status, error: Some(error.clone()) },
            None => Outcome::Done,
        };
        self.close(0, at, outcome, out);
        self.owner.clear();
    }

    /// Opens a span under `parent` for `event`, which names it (`ids::event_span`).
    #[allow(clippy::too_many_arguments)]
    fn open(
        &mut self,
        parent: usize,
        role: Role,
        event: &HistoryEvent,
        name: String,
        state_type: &'static str,
        kind: Kind,
        attributes: Vec<(&'static str, Attribute)>,
    ) -> usize {
        let id = self.nodes.len();
        let open = Open {
            name,
            state_type,
            kind,
            start: event.timestamp,
            attributes,
            links: Vec::new(),
            error: None,
            failed: false,
            children: Vec::new(),
        };
        let span_id = ids::event_span(&self.arn, event.id);
        self.nodes.push(Node { parent: Some(parent), role, span_id, open: Some(Box::new(open)) });
        if let Some(parent) = self.open_span_mut(parent) {
            parent.children.push(id);
        }
        id
    }

    /// Ends span `node` (and first every span still open in it) at `at`, and hands it to `out`.
    fn close(&mut self, node: usize, at: i64, outcome: Outcome, out: &mut Vec<Finished>) {
        let Some(open) = self.nodes.get_mut(node).and_then(|node| node.open.take()) else { return };
        for child in &open.children {
            self.close(*child, at, Outcome::Ended, out);
        }
        let Some((role, parent, span_id)) = self.nodes.get(node).map(|node| (node.role, node.parent, node.span_id)) else { return };
        let Open { name, kind, start, mut attributes, links, error: met, failed, .. } = *open;
        let (status, error) = match outcome {
            // A state that exits after a failure it did not retry caught it.
            Outcome::Done if failed && role == Role::State => ("caught", Some(met.unwrap_or_default())),
            Outcome::Done => ("succeeded", None),
            Outcome::Aborted => ("aborted", None),
            Outcome::Failed { status, error } => (status, Some(error.or(met).unwrap_or_default())),
            Outcome::Ended if failed => ("failed", Some(met.unwrap_or_default())),
            Outcome::Ended => ("interrupted", None),
        };
        if role != Role::Execution {
            let key = if role == Role::Task { "baton.task.status" } else { "baton.state.status" };
            attributes.push((key, status.into()));
        }
        if let Some(error) = &error {
            if let Some(name) = &error.error {
                attributes.push(("error.type", name.as_str().into()));
            }
            if let Some(cause) = &error.cause {
                attributes.push(("baton.error.cause", cause.as_str().into()));
            }
        }
        let description = error.as_ref().map(|error| match (&error.error, &error.cause) {
            (Some(name), Some(cause)) => format!("{name}: {cause}"),
            (Some(text), None) | (None, Some(text)) => text.clone(),
            (None, None) => status.to_owned(),
        });
        if let Some(parent) = parent {
            let top_level = parent == 0;
            if let Some(open) = self.open_span_mut(parent) {
                open.children.retain(|child| *child != node);
                if let Some(error) = error
                    && open.error.is_none()
                {
                    open.error = Some(error);
                }
            }
            if top_level && role == Role::State {
                // Nothing in the state can be followed any more: only the open spans' events are kept.
                let nodes = &self.nodes;
                self.owner.retain(|_, (owner, _)| nodes.get(*owner).is_some_and(|node| node.open.is_some()));
            }
        }
        let (parent_span, parent_remote) = match parent.and_then(|parent| self.span_id(parent)) {
            Some(span) => (Some(span), false),
            None if role == Role::Execution => (self.context.remote_parent, self.context.remote_parent.is_some()),
            None => (None, false),
        };
        if !self.context.sampled {
            return;
        }
        out.push(Finished {
            trace_id: self.context.trace_id,
            span_id,
            parent: parent_span,
            parent_remote,
            name,
            kind,
            start,
            end: at.max(start),
            attributes,
            error: description,
            links,
        });
    }

    /// The nearest open span from `start` up that `wanted` picks; the open states passed on the way, whose thread
    /// went on without them, end at `at`.
    fn open_above(
        &mut self,
        start: Option<(usize, bool)>,
        at: i64,
        out: &mut Vec<Finished>,
        wanted: impl Fn(&Node, &Open) -> bool,
    ) -> Option<usize> {
        let mut passed = Vec::new();
        let mut cursor = start.map(|(node, _)| node);
        let found = loop {
            let index = cursor?;
            let node = self.nodes.get(index)?;
            if let Some(open) = &node.open {
                if wanted(node, open) {
                    break index;
                }
                if node.role == Role::State {
                    passed.push(index);
                }
            }
            cursor = node.parent;
        };
        for state in passed {
            self.close(state, at, Outcome::Ended, out);
        }
        Some(found)
    }

    /// The span the event `previous` belongs to, and whether it starts threads. An event is followed once, unless it
    /// starts threads: it is forgotten once followed, or once its span has ended.
    fn lookup(&mut self, previous: u64) -> Option<(usize, bool)> {
        let (node, spawner) = *self.owner.get(&previous)?;
        let closed = self.nodes.get(node).is_none_or(|node| node.open.is_none());
        if !spawner || closed {
            self.owner.remove(&previous);
        }
        Some((node, spawner))
    }

    fn own(&mut self, event: u64, node: usize, spawner: bool) {
        self.owner.insert(event, (node, spawner));
    }

    /// The state `node` is or runs in, below any iteration or the execution.
    fn state_at_or_above(&self, node: usize) -> Option<usize> {
        let mut cursor = Some(node);
        while let Some(index) = cursor {
            let node = self.nodes.get(index)?;
            match node.role {
                Role::State => return Some(index),
                Role::Task => cursor = node.parent,
                Role::Iteration(_) | Role::Execution => return None,
            }
        }
        None
    }

    fn fail(&mut self, node: usize, error: Option<&ErrorDetails>) {
        if let Some(open) = self.open_span_mut(node) {
            open.failed = true;
            if let Some(error) = error {
                open.error = Some(error.clone());
            }
        }
    }

    fn attribute(&mut self, node: usize, key: &'static str, value: Attribute) {
        if let Some(open) = self.open_span_mut(node) {
            match open.attributes.iter_mut().find(|(own, _)| *own == key) {
                Some((_, old)) => *old = value,
                None => open.attributes.push((key, value)),
            }
        }
    }

    fn open_span(&self, node: usize) -> Option<&Open> {
        self.nodes.get(node)?.open.as_deref()
    }

    fn open_span_mut(&mut self, node: usize) -> Option<&mut Open> {
        self.nodes.get_mut(node)?.open.as_deref_mut()
    }

    fn role(&self, node: usize) -> Option<Role> {
        self.nodes.get(node).map(|node| node.role)
    }

    fn parent(&self, node: usize) -> Option<usize> {
        self.nodes.get(node)?.parent
    }

    fn span_id(&self, node: usize) -> Option<[u8; 8]> {
        self.nodes.get(node).map(|node| node.span_id)
    }
}

fn is_map(node: &Node, open: &Open) -> bool {
    node.role == Role::State && open.state_type == "Map"
}

/// An index or length as an attribute (lengths beyond `i64` cannot occur in a history).
fn index_attribute(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// What an ARN ends with: `arn:…:activity:NAME` → `NAME`, `arn:…:function:NAME` → `NAME` (a name alone as it is).
fn last_part(resource: &str) -> &str {
    let mut parts = resource.split(':');
    match parts.nth(6) {
        Some(name) if resource.starts_with("arn:") => name,
        _ => resource,
    }
}
