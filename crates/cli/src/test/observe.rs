//! What an execution did, read from its history: the top-level path and, per state, how often it was entered, its
//! retries, its last output and the variables after it.
//!
//! The history is the only source, as it is for AWS's console: no engine hook is needed. Each event's
//! `previous_event_id` names the event before it in the same thread (a Parallel branch or Map iteration has its own
//! thread, starting after `ParallelStateStarted` or `MapIterationStarted`), which ties task events to their state's
//! entry and each entry to the Parallel or Map it runs in. A parent's own events after its children ran may follow
//! a child's last event, so they are given to the nearest open Parallel or Map above it (or, for `StateExited`, the
//! nearest open state of that name). A distributed Map's iterations have histories of their own, which `baton run`
//! does not keep: states inside it are never seen.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use engine::{EventDetails, HistoryEvent};

/// What an execution did.
pub(crate) struct Observed<'h> {
    /// The top-level states entered, in order.
    pub(crate) path: Vec<&'h str>,
    /// By address (`Name`, `Parent/Child`, and `Map/INDEX/Child` for an iteration's states).
    pub(crate) states: BTreeMap<String, Seen<'h>>,
    /// The variables each state assigned, in the order the assignments happened.
    assignments: Vec<Assignment<'h>>,
    /// Each frame's enclosing frame (the root frame 0 has none).
    frames: Vec<Option<usize>>,
}

/// The variables one state exit assigned: its event id, the frame it ran in, and each name with its JSON text.
type Assignment<'h> = (u64, usize, &'h [(String, String)]);

/// What one state (one address) did.
#[derive(Default)]
pub(crate) struct Seen<'h> {
    pub(crate) entered: u64,
    pub(crate) retries: u64,
    /// Its last exit: event id, frame and output.
    last_exit: Option<(u64, usize, &'h str)>,
}

struct Entry<'h> {
    name: &'h str,
    state_type: &'static str,
    parent: Option<usize>,
    frame: usize,
    /// The iteration index, for the states of a Map iteration.
    index: Option<usize>,
    open: bool,
    /// How many attempts at its work started (tasks scheduled, branches or iterations started).
    attempts: u64,
    exit: Option<(u64, &'h str)>,
}

impl<'h> Observed<'h> {
    /// Reads `history` (an execution's whole history, ids from 1 without gaps).
    pub(crate) fn of(history: &'h [HistoryEvent]) -> Observed<'h> {
        let mut entries: Vec<Entry<'h>> = Vec::new();
        let mut owner: Vec<Option<usize>> = vec![None; history.len() + 1];
        let mut frames: Vec<Option<usize>> = vec![None];
        let mut observed = Observed { path: Vec::new(), states: BTreeMap::new(), assignments: Vec::new(), frames: Vec::new() };
        let event_at = |id: u64| usize::try_from(id).ok().and_then(|id| id.checked_sub(1)).and_then(|i| history.get(i));
        for event in history {
            let previous = usize::try_from(event.previous_event_id).ok().and_then(|id| owner.get(id).copied().flatten());
            let mine = match &event.details {
                EventDetails::StateEntered { state_type, name, .. } => {
                    let before = event_at(event.previous_event_id).map(|e| &e.details);
                    let (parent, frame, index) = match (before, previous) {
                        (Some(EventDetails::ParallelStateStarted), Some(p)) => (Some(p), new_frame(&mut frames, &entries, p), None),
                        (Some(EventDetails::MapIterationStarted { index, .. }), Some(p)) => {
                            (Some(p), new_frame(&mut frames, &entries, p), Some(*index))
                        }
                        (_, Some(p)) => entries.get(p).map_or((None, 0, None), |e| (e.parent, e.frame, e.index)),
                        (_, None) => (None, 0, None),
                    };
                    if parent.is_none() {
                        observed.path.push(name);
                    }
                    entries.push(Entry { name, state_type, parent, frame, index, open: true, attempts: 0, exit: None });
                    Some(entries.len() - 1)
                }
                EventDetails::StateExited { name, output, assigned, .. } => {
                    let found = open_above(&entries, previous, |e| e.name == name.as_str());
                    if let Some(entry) = found.and_then(|i| entries.get_mut(i)) {
                        entry.open = false;
                        entry.exit = Some((event.id, output));
                        if let Some(assigned) = assigned {
                            observed.assignments.push((event.id, entry.frame, assigned));
                        }
                    }
                    found
                }
                EventDetails::StateAborted { name, .. } => {
                    let found = open_above(&entries, previous, |e| e.name == name.as_str());
                    if let Some(entry) = found.and_then(|i| entries.get_mut(i)) {
                        entry.open = false;
                    }
                    found
                }
                details @ (EventDetails::ParallelStateStarted
                | EventDetails::ParallelStateSucceeded
                | EventDetails::ParallelStateFailed
                | EventDetails::ParallelStateAborted) => {
                    let found = open_above(&entries, previous, |e| e.state_type == "Parallel");
                    if matches!(details, EventDetails::ParallelStateStarted) {
                        attempt(&mut entries, found);
                    }
                    found
                }
                details @ (EventDetails::MapStateStarted { .. }
                | EventDetails::MapStateSucceeded
                | EventDetails::MapStateFailed
                | EventDetails::MapStateAborted
                | EventDetails::MapIterationStarted { .. }
                | EventDetails::MapIterationSucceeded { .. }
                | EventDetails::MapIterationFailed { .. }
                | EventDetails::MapIterationAborted { .. }
                | EventDetails::MapRunStarted { .. }
                | EventDetails::MapRunSucceeded
                | EventDetails::MapRunFailed(_)
                | EventDetails::MapRunAborted
                | EventDetails::MapRunRedriven { .. }) => {
                    let found = open_above(&entries, previous, |e| e.state_type == "Map");
                    if matches!(details, EventDetails::MapStateStarted { .. }) {
                        attempt(&mut entries, found);
                    }
                    found
                }
                EventDetails::TaskScheduled(_) | EventDetails::ActivityScheduled { .. } | EventDetails::LambdaFunctionScheduled { .. } => {
                    attempt(&mut entries, previous);
                    previous
                }
                _ => previous,
            };
            if let Some(slot) = usize::try_from(event.id).ok().and_then(|id| owner.get_mut(id)) {
                *slot = mine;
            }
        }
        for (i, entry) in entries.iter().enumerate() {
            let (plain, indexed) = addresses(&entries, i);
            let retries = entry.attempts.saturating_sub(1);
            let exit = entry.exit.map(|(id, output)| (id, entry.frame, output));
            for address in std::iter::once(plain.clone()).chain((indexed != plain).then_some(indexed)) {
                let seen = observed.states.entry(address).or_default();
                seen.entered += 1;
                seen.retries += retries;
                if exit.is_some() {
                    seen.last_exit = exit;
                }
            }
        }
        observed.frames = frames;
        observed
    }

    /// The output of the state's last exit, if it exited.
    pub(crate) fn output(&self, seen: &Seen<'h>) -> Option<Value> {
        let (_, _, output) = seen.last_exit?;
        serde_json::from_str(output).ok()
    }

    /// The variables in scope after the state's last exit: what it, the states before it in its thread and the
    /// threads around it assigned up to then.
    pub(crate) fn variables(&self, seen: &Seen<'h>) -> Map<String, Value> {
        let mut variables = Map::new();
        let Some((exit, frame, _)) = seen.last_exit else { return variables };
        let mut scope = vec![frame];
        while let Some(Some(parent)) = scope.last().and_then(|f| self.frames.get(*f)) {
            scope.push(*parent);
        }
        for (id, at, assigned) in &self.assignments {
            if *id > exit {
                break;
            }
            if scope.contains(at) {
                for (name, value) in assigned.iter() {
                    variables.insert(name.clone(), serde_json::from_str(value).unwrap_or(Value::Null));
                }
            }
        }
        variables
    }
}

fn new_frame(frames: &mut Vec<Option<usize>>, entries: &[Entry<'_>], parent: usize) -> usize {
    frames.push(entries.get(parent).map(|e| e.frame));
    frames.len() - 1
}

fn attempt(entries: &mut [Entry<'_>], entry: Option<usize>) {
    if let Some(entry) = entry.and_then(|i| entries.get_mut(i)) {
        entry.attempts += 1;
    }
}

/// The nearest open entry, from `start` up through the entries it runs in, that `wanted` picks.
fn open_above(entries: &[Entry<'_>], start: Option<usize>, wanted: impl Fn(&Entry<'_>) -> bool) -> Option<usize> {
    let mut at = start;
    while let Some(i) = at {
        let entry = entries.get(i)?;
        if entry.open && wanted(entry) {
            return Some(i);
        }
        at = entry.parent;
    }
    None
}

/// An entry's address without and with iteration indexes: `Map/Child` and `Map/2/Child`.
fn addresses(entries: &[Entry<'_>], i: usize) -> (String, String) {
    let mut plain = Vec::new();
    let mut indexed = Vec::new();
    let mut at = Some(i);
    while let Some(entry) = at.and_then(|i| entries.get(i)) {
        plain.push(entry.name.to_owned());
        indexed.push(entry.name.to_owned());
        if let Some(index) = entry.index {
            indexed.push(index.to_string());
        }
        at = entry.parent;
    }
    plain.reverse();
    indexed.reverse();
    (plain.join("/"), indexed.join("/"))
}
