//! A definition that validation refuses, drawn as far as its JSON value can be read.
//!
//! `sketch` reads the value the way `build` reads a `StateMachine`, but leniently: a state of an unknown `Type` is
//! drawn as a Pass, a transition to a state that does not exist is left out, a field of the wrong shape is ignored.
//! Each `Diagnostic` goes to the innermost state its JSON Pointer is inside (`/States/Fan/Branches/0/States/Work/…`
//! is `Work`'s), as the text of one of the state's `problems` (the field it is about, the message and the code: `Retry:
//! expected an array, found a string [SCHEMA_VALIDATION_FAILED]`); a problem of the definition as a whole (`/StartAt`)
//! belongs to no state. Not here: validation (`asl::parse`, whose diagnostics these are).

use asl::Diagnostic;
use asl::source::Value;

use crate::build::{CATCH_CHARS, EdgeKind, Graph, NodeId, NodeKind, RULE_CHARS, StateType, calls_text, state_type_named};
use crate::text::truncate;

/// How deep workflows may nest (Parallel branches, Map processors) before the rest is left out: far more than any
/// definition needs, and few enough that reading a hostile one cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// The graph of the definition `value` as far as it can be read, each state carrying the problems of `diagnostics`
/// that are about it (their messages with their codes).
pub fn sketch(value: &Value, diagnostics: &[Diagnostic]) -> Graph {
    let mut graph = Graph::new();
    let start = graph.push(NodeKind::Start, None);
    let mut pointers = Vec::new();
    let (states, first) = workflow(&mut graph, value, "", None, 0, &mut pointers);
    let end = graph.push(NodeKind::End, None);
    if let Some(first) = first {
        graph.edge(start, first, EdgeKind::Next, None);
    }
    for (state, id) in states {
        let terminal = state.get("End").and_then(Value::as_bool) == Some(true)
            || matches!(state.get("Type").and_then(Value::as_str), Some("Succeed" | "Fail"));
        if terminal {
            graph.edge(id, end, EdgeKind::Next, None);
        }
    }
    for diagnostic in diagnostics {
        // The innermost state whose pointer the problem's is at or under.
        let owner = pointers
            .iter()
            .filter(|(pointer, _)| {
                diagnostic.pointer == *pointer
                    || diagnostic.pointer.strip_prefix(pointer.as_str()).is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|(pointer, _)| pointer.len());
        let Some(&(ref pointer, id)) = owner else { continue };
        // Where in the state, when not the state itself: `Retry: expected an array…`.
        let field = diagnostic.pointer.get(pointer.len() + 1..).unwrap_or_default();
        let at = if field.is_empty() { String::new() } else { format!("{field}: ") };
        if let Some(node) = graph.node_mut(id) {
            node.problems.push(format!("{at}{} [{}]", diagnostic.message, diagnostic.code));
        }
    }
    graph
}

/// Adds the states of the workflow object `flow` (at JSON Pointer `at`) inside `parent`; returns each state's value
/// with its node, and the node of the state `StartAt` names. Records each state's pointer in `pointers`.
fn workflow<'v>(
    graph: &mut Graph,
    flow: &'v Value,
    at: &str,
    parent: Option<NodeId>,
    depth: usize,
    pointers: &mut Vec<(String, NodeId)>,
) -> (Vec<(&'v Value, NodeId)>, Option<NodeId>) {
    let Some(states) = flow.get("States").and_then(Value::as_object) else { return (Vec::new(), None) };
    if depth > MAX_DEPTH {
        return (Vec::new(), None);
    }
    let mut drawn: Vec<(&str, &Value, NodeId)> = Vec::with_capacity(states.len());
    for (name, state) in states {
        let kind = state.get("Type").and_then(Value::as_str).and_then(state_type_named).unwrap_or(StateType::Pass);
        let id = graph.push(NodeKind::State { name: name.clone(), kind }, parent);
        let pointer = format!("{at}/States/{}", asl::diagnostic::escape(name));
        if kind == StateType::Task
            && let Some(node) = graph.node_mut(id)
        {
            let arguments = state.get("Arguments").or_else(|| state.get("Parameters"));
            let literal = |key: &str| arguments.and_then(|arguments| arguments.get(key)).and_then(Value::as_str);
            node.calls = state.get("Resource").and_then(Value::as_str).map(|resource| calls_text(resource, literal));
        }
        match kind {
            StateType::Parallel => {
                let branches = state.get("Branches").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                let mut first = None;
                for (index, branch) in branches.iter().enumerate() {
                    let node = graph.push(NodeKind::Branch { index }, Some(id));
                    first = first.or(Some(node));
                    let inner = format!("{pointer}/Branches/{index}");
                    let (_, start) = workflow(graph, branch, &inner, Some(node), depth + 1, pointers);
                    graph.set_start(node, start);
                }
                graph.set_start(id, first);
            }
            StateType::Map => {
                let (field, processor) = match (state.get("ItemProcessor"), state.get("Iterator")) {
                    (Some(processor), _) => ("ItemProcessor", Some(processor)),
                    (None, iterator) => ("Iterator", iterator),
                };
                if let Some(processor) = processor {
                    let inner = format!("{pointer}/{field}");
                    let (_, start) = workflow(graph, processor, &inner, Some(id), depth + 1, pointers);
                    graph.set_start(id, start);
                }
            }
            _ => {}
        }
        pointers.push((pointer, id));
        drawn.push((name, state, id));
    }
    let target = |name: Option<&Value>| {
        let name = name?.as_str()?;
        drawn.iter().find(|(state, _, _)| *state == name).map(|&(_, _, id)| id)
    };
    for &(_, state, from) in &drawn {
        if state.get("Type").and_then(Value::as_str) == Some("Choice") {
            for rule in state.get("Choices").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
                if let Some(to) = target(rule.get("Next")) {
                    graph.edge(from, to, EdgeKind::Choice, Some(rule_label(rule)));
                }
            }
            if let Some(to) = target(state.get("Default")) {
                graph.edge(from, to, EdgeKind::Default, Some("Default".to_owned()));
            }
        } else if let Some(to) = target(state.get("Next")) {
            graph.edge(from, to, EdgeKind::Next, None);
        }
        for catcher in state.get("Catch").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
            if let Some(to) = target(catcher.get("Next")) {
                let errors = catcher.get("ErrorEquals").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                let errors: Vec<&str> = errors.iter().filter_map(Value::as_str).collect();
                graph.edge(from, to, EdgeKind::Catch, Some(truncate(&errors.join(", "), CATCH_CHARS)));
            }
        }
    }
    let start = target(flow.get("StartAt"));
    (drawn.into_iter().map(|(_, state, id)| (state, id)).collect(), start)
}

/// A Choice rule in short, read leniently: a JSONata `Condition` as written, `$.x NumericGreaterThan 3` for a
/// comparison, `And (2 rules)` for a group; `Condition` when nothing can be read.
fn rule_label(rule: &Value) -> String {
    let text = if let Some(condition) = rule.get("Condition").and_then(Value::as_str) {
        condition.to_owned()
    } else if let Some(group) = ["And", "Or", "Not"].into_iter().find(|key| rule.get(*key).is_some()) {
        let count = rule.get(group).and_then(Value::as_array).map_or(1, Vec::len);
        format!("{group} ({count} rule{})", if count == 1 { "" } else { "s" })
    } else {
        let variable = rule.get("Variable").and_then(Value::as_str).unwrap_or("?");
        let skip = ["Variable", "Next", "Comment", "Assign", "Output"];
        match rule.as_object().and_then(|object| object.iter().find(|(key, _)| !skip.contains(&key.as_str()))) {
            Some((operator, operand)) => format!("{variable} {operator} {operand}"),
            None => String::new(),
        }
    };
    if text.trim().is_empty() { "Condition".to_owned() } else { truncate(&text, RULE_CHARS) }
}
