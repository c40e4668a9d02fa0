//! Which parts of a state machine a test suite exercised, read from its executions' histories: the states entered,
//! the Choice rules and Defaults taken, the Catch edges followed, the retriers that retried, and each Parallel branch
//! and Map processor run. Pure: a machine and histories in, a report out (text, or the machine's SVG with the states
//! never entered marked `not-run`).
//!
//! How a history shows each: a state's `StateEntered`; a transition is the next state's `StateEntered` whose previous
//! event (`previousEventId`, the thread's last) is the state's `StateExited`; a Catch is such a transition where the
//! `StateExited` follows a failure (the error says which catcher took it); a retry is an attempt (`TaskScheduled`, `LambdaFunctionScheduled`, `ActivityScheduled`,
//! `ParallelStateStarted`, `MapStateStarted`) right after a failure. State names are unique in a machine, so a name
//! finds its state at any depth. When two Choice rules (or a rule and the Default) lead to the same state, taking
//! that state covers all of them: the history does not say which rule matched.

use std::collections::{BTreeSet, HashMap};

use asl::Failure;
use asl::model::{StateKind, StateMachine};
use engine::{EventDetails, HistoryEvent};

/// One part of the machine a suite may exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    State(String),
    /// Rule `index` (from 0) of a Choice, leading to `next`.
    ChoiceRule { state: String, index: usize, next: String },
    ChoiceDefault { state: String, next: String },
    /// Catcher `index` of a state, leading to `next`.
    Catch { state: String, index: usize, next: String },
    /// Retrier `index` of a state.
    Retry { state: String, index: usize },
    /// Branch `index` of a Parallel.
    Branch { state: String, index: usize },
    /// A Map's item processor.
    Processor { state: String },
}

/// Which parts a line of the summary counts.
type Kind = fn(&Part) -> bool;

/// What a suite covered of one machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Coverage {
    /// Every part of the machine, with whether the suite exercised it.
    pub(crate) parts: Vec<(Part, bool)>,
}

/// What the histories showed.
#[derive(Default)]
struct Seen {
    entered: BTreeSet<String>,
    /// (from, to) transitions.
    edges: BTreeSet<(String, String)>,
    /// (state, catcher index).
    catches: BTreeSet<(String, usize)>,
    /// (state, retrier index).
    retries: BTreeSet<(String, usize)>,
}

impl Coverage {
    /// The coverage of `machine` by `histories` (one per execution, or per child execution of a distributed Map).
    pub(crate) fn of(machine: &StateMachine, histories: &[&[HistoryEvent]]) -> Coverage {
        let mut seen = Seen::default();
        for history in histories {
            observe(machine, history, &mut seen);
        }
        let mut parts = Vec::new();
        for workflow in &machine.workflows {
            for state in &workflow.states {
                let name = state.name.clone();
                parts.push((Part::State(name.clone()), seen.entered.contains(&name)));
                let target = |id| workflow.state(id).name.clone();
                let (retriers, catchers) = match &state.kind {
                    StateKind::Task(task) => (task.retry.len(), &task.catch[..]),
                    StateKind::Parallel(parallel) => (parallel.retry.len(), &parallel.catch[..]),
                    StateKind::Map(map) => (map.retry.len(), &map.catch[..]),
                    _ => (0, &[][..]),
                };
                if let StateKind::Choice(choice) = &state.kind {
                    for (index, rule) in choice.choices.iter().enumerate() {
                        let next = target(rule.next);
                        let taken = seen.edges.contains(&(name.clone(), next.clone()));
                        parts.push((Part::ChoiceRule { state: name.clone(), index, next }, taken));
                    }
                    if let Some(default) = choice.default {
                        let next = target(default);
                        let taken = seen.edges.contains(&(name.clone(), next.clone()));
                        parts.push((Part::ChoiceDefault { state: name.clone(), next }, taken));
                    }
                }
                for (index, catcher) in catchers.iter().enumerate() {
                    let taken = seen.catches.contains(&(name.clone(), index));
                    parts.push((Part::Catch { state: name.clone(), index, next: target(catcher.next) }, taken));
                }
                for index in 0..retriers {
                    parts.push((Part::Retry { state: name.clone(), index }, seen.retries.contains(&(name.clone(), index))));
                }
                match &state.kind {
                    StateKind::Parallel(parallel) => {
                        for (index, branch) in parallel.branches.iter().enumerate() {
                            let branch = machine.workflow(*branch);
                            let ran = seen.entered.contains(&branch.state(branch.start_at).name);
                            parts.push((Part::Branch { state: name.clone(), index }, ran));
                        }
                    }
                    StateKind::Map(map) => {
                        let processor = machine.workflow(map.processor);
                        let ran = seen.entered.contains(&processor.state(processor.start_at).name);
                        parts.push((Part::Processor { state: name.clone() }, ran));
                    }
                    _ => {}
                }
            }
        }
        Coverage { parts }
    }

    /// The states never entered.
    #[cfg(test)]
    pub(crate) fn not_entered(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|(part, covered)| match part {
                Part::State(name) if !covered => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }

    /// `name: 12/14 states, …` and a line for each part not covered.
    pub(crate) fn text(&self, name: &str) -> String {
        let count = |kind: Kind| {
            let of_kind: Vec<bool> = self.parts.iter().filter(|(part, _)| kind(part)).map(|(_, covered)| *covered).collect();
            (of_kind.iter().filter(|covered| **covered).count(), of_kind.len())
        };
        let kinds: [(&str, Kind); 5] = [
            ("states", |p| matches!(p, Part::State(_))),
            ("Choice rules", |p| matches!(p, Part::ChoiceRule { .. } | Part::ChoiceDefault { .. })),
            ("Catch edges", |p| matches!(p, Part::Catch { .. })),
            ("retriers", |p| matches!(p, Part::Retry { .. })),
            ("branches and processors", |p| matches!(p, Part::Branch { .. } | Part::Processor { .. })),
        ];
        let summary: Vec<String> = kinds
            .iter()
            .map(|(_, kind)| count(*kind))
            .zip(kinds.iter())
            .filter(|((_, total), _)| *total > 0)
            .map(|((covered, total), (label, _))| format!("{covered}/{total} {label}"))
            .collect();
        let mut text = format!("{name}: {}\n", summary.join(", "));
        for (part, covered) in &self.parts {
            if *covered {
                continue;
            }
            let line = match part {
                Part::State(state) => format!("state not entered: {state}"),
                Part::ChoiceRule { state, index, next } => format!("Choice rule not taken: {state} rule {} -> {next}", index + 1),
                Part::ChoiceDefault { state, next } => format!("Choice Default not taken: {state} -> {next}"),
                Part::Catch { state, index, next } => format!("Catch not taken: {state} catcher {} -> {next}", index + 1),
                Part::Retry { state, index } => format!("retrier never retried: {state} retrier {}", index + 1),
                Part::Branch { state, index } => format!("branch never run: {state} branch {}", index + 1),
                Part::Processor { state } => format!("Map processor never run: {state}"),
            };
            text.push_str("  ");
            text.push_str(&line);
            text.push('\n');
        }
        text
    }

    /// The machine's picture, each state `succeeded` if entered and `not-run` if not (the console's colours), and
    /// each Choice rule, Default and Catch never taken drawn dashed red (`data-coverage="not-taken"` on its edge).
    pub(crate) fn svg(&self, machine: &StateMachine) -> String {
        let statuses: graph::Statuses = self
            .parts
            .iter()
            .filter_map(|(part, covered)| match part {
                Part::State(name) => Some((name.clone(), if *covered { graph::Status::Succeeded } else { graph::Status::NotRun })),
                _ => None,
            })
            .collect();
        let drawn = graph::build(machine);
        let mut svg = graph::to_svg(&drawn, &graph::layout(&drawn), &statuses);
        for (part, covered) in &self.parts {
            let (from, to, kind) = match part {
                Part::ChoiceRule { state, next, .. } => (state, next, "choice"),
                Part::ChoiceDefault { state, next } => (state, next, "default"),
                Part::Catch { state, next, .. } => (state, next, "catch"),
                _ => continue,
            };
            if *covered {
                continue;
            }
            // The edge as `graph`'s SVG writes it: `<g class="edge KIND" data-from="FROM" data-to="TO">`.
            let edge = format!(r#"<g class="edge {kind}" data-from="{}" data-to="{}""#, graph::xml(from), graph::xml(to));
            svg = svg.replace(&edge, &format!(r#"{edge} data-coverage="not-taken""#));
        }
        let style = r#"<style>[data-coverage="not-taken"] > .line { stroke: #d42f2f; stroke-dasharray: 5 4; }</style>"#;
        match svg.rfind("</svg>") {
            Some(end) => svg.insert_str(end, style),
            None => svg.push_str(style),
        }
        svg
    }
}

/// Adds what one history shows to `seen`.
fn observe(machine: &StateMachine, history: &[HistoryEvent], seen: &mut Seen) {
    let states: HashMap<&str, &asl::model::State> =
        machine.workflows.iter().flat_map(|workflow| &workflow.states).map(|state| (state.name.as_str(), state)).collect();
    let by_id: HashMap<u64, &HistoryEvent> = history.iter().map(|event| (event.id, event)).collect();
    // The events of a thread, from `id` back: the thread's events and, past a Parallel's or Map's end, its branches'.
    let back = |id: u64| std::iter::successors(by_id.get(&id).copied(), |event| by_id.get(&event.previous_event_id).copied());
    for event in history {
        match &event.details {
            EventDetails::StateEntered { name, .. } => {
                seen.entered.insert(name.clone());
                let Some(previous) = by_id.get(&event.previous_event_id) else { continue };
                let EventDetails::StateExited { name: from, .. } = &previous.details else { continue };
                seen.edges.insert((from.clone(), name.clone()));
                // A state that exits right after a failure caught it: its catcher leads here.
                let error = by_id.get(&previous.previous_event_id).and_then(|failed| failure(&failed.details));
                if let (Some(error), Some(state)) = (error, states.get(from.as_str()))
                    && let Some(index) = catcher(state, &error, name, machine)
                {
                    seen.catches.insert((from.clone(), index));
                }
            }
            details if is_attempt(details) => {
                let Some(previous) = by_id.get(&event.previous_event_id) else { continue };
                let Some(error) = failure(&previous.details) else { continue };
                for earlier in back(previous.id) {
                    let EventDetails::StateEntered { name: from, .. } = &earlier.details else { continue };
                    let Some(state) = states.get(from.as_str()) else { continue };
                    if let Some(index) = retrier(state, &error) {
                        seen.retries.insert((from.clone(), index));
                        break;
                    }
                }
            }
            _ => {}
        }
    }
}

/// The error of a failure event.
fn failure(details: &EventDetails) -> Option<Failure> {
    let (error, timed_out): (Option<&engine::ErrorDetails>, bool) = match details {
        EventDetails::TaskFailed { error, .. } | EventDetails::LambdaFunctionFailed(error) | EventDetails::ActivityFailed(error) => {
            (Some(error), false)
        }
        EventDetails::TaskTimedOut { error, .. } | EventDetails::LambdaFunctionTimedOut(error) | EventDetails::ActivityTimedOut(error) => {
            (Some(error), true)
        }
        EventDetails::EvaluationFailed { error, .. } | EventDetails::MapRunFailed(error) => (Some(error), false),
        EventDetails::MapStateFailed | EventDetails::ParallelStateFailed => (None, false),
        _ => return None,
    };
    let name = error.and_then(|e| e.error.clone()).unwrap_or_else(|| if timed_out { "States.Timeout".to_owned() } else { String::new() });
    Some(Failure { error: name, cause: error.and_then(|e| e.cause.clone()) })
}

/// An attempt of a state: a task scheduled, or a Parallel's or Map's branches started.
fn is_attempt(details: &EventDetails) -> bool {
    matches!(
        details,
        EventDetails::TaskScheduled(_)
            | EventDetails::LambdaFunctionScheduled { .. }
            | EventDetails::ActivityScheduled { .. }
            | EventDetails::ParallelStateStarted
            | EventDetails::MapStateStarted { .. }
    )
}

/// The index of `state`'s catcher that takes `error` to `next`: the first whose errors match (`None` if that one
/// leads elsewhere).
fn catcher(state: &asl::model::State, error: &Failure, next: &str, machine: &StateMachine) -> Option<usize> {
    let catchers = match &state.kind {
        StateKind::Task(task) => &task.catch,
        StateKind::Parallel(parallel) => &parallel.catch,
        StateKind::Map(map) => &map.catch,
        _ => return None,
    };
    let workflow = machine.workflows.iter().find(|workflow| workflow.states.iter().any(|s| s.name == state.name))?;
    let (index, catcher) = catchers.iter().enumerate().find(|(_, c)| c.error_equals.iter().any(|e| matches(error, e)))?;
    (workflow.state(catcher.next).name == next).then_some(index)
}

/// The index of `state`'s retrier that retries `error`: the first whose errors match.
fn retrier(state: &asl::model::State, error: &Failure) -> Option<usize> {
    let retriers = match &state.kind {
        StateKind::Task(task) => &task.retry,
        StateKind::Parallel(parallel) => &parallel.retry,
        StateKind::Map(map) => &map.retry,
        _ => return None,
    };
    retriers.iter().position(|r| r.error_equals.iter().any(|e| matches(error, e)))
}

/// Whether `error` matches an `ErrorEquals` name. A Parallel's or Map's own failure event names no error: any name
/// matches it, as the history cannot say more.
fn matches(error: &Failure, name: &str) -> bool {
    error.error.is_empty() || error.matches(name)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::Coverage;

    fn run(definition: &serde_json::Value, input: serde_json::Value, answers: Vec<Result<serde_json::Value, asl::Failure>>) -> Vec<engine::HistoryEvent> {
        let machine = Arc::new(asl::parse::parse_value(definition).expect("a valid definition"));
        let info = engine::ExecutionInfo {
            execution_arn: "arn:aws:states:us-east-1:123456789012:execution:M:e".to_owned(),
            name: "e".to_owned(),
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:M".to_owned(),
            state_machine_name: "M".to_owned(),
            role_arn: String::new(),
            region: "us-east-1".to_owned(),
            express: false,
            version_arn: None,
            alias_arn: None,
        };
        let mut execution = engine::Execution::new(machine, info, engine::Limits::default());
        let mut now = 1_700_000_000_000;
        let mut commands = execution.apply(engine::Trigger::Start { input, now });
        let mut answers = answers.into_iter();
        while execution.status() == &engine::Status::Running {
            now += 1000;
            let Some(command) = commands.pop() else { break };
            commands = match command {
                engine::Command::InvokeTask(request) => {
                    let outcome = answers.next().expect("an answer for every task");
                    execution.apply(engine::Trigger::TaskCompleted { task: request.task, outcome, now })
                }
                engine::Command::StartTimer { timer, at } => execution.apply(engine::Trigger::TimerFired { timer, now: at }),
                _ => commands,
            };
        }
        execution.history().to_vec()
    }

    #[test]
    fn rules_catches_retries_and_branches_are_read_from_histories() {
        let definition = json!({"StartAt": "Route", "States": {
            "Route": {"Type": "Choice", "Choices": [
                {"Variable": "$.kind", "StringEquals": "task", "Next": "Call"},
                {"Variable": "$.kind", "StringEquals": "both", "Next": "Both"}], "Default": "Done"},
            "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1}, {"ErrorEquals": ["Other"]}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}], "Next": "Done"},
            "Recover": {"Type": "Pass", "Next": "Done"},
            "Both": {"Type": "Parallel", "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": true}}},
                {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": true}}}], "Next": "Done"},
            "Done": {"Type": "Succeed"}}});
        let busy = asl::Failure::new("Busy", "try again");
        let broken = asl::Failure::new("Broken", "no");
        let first = run(&definition, json!({"kind": "task"}), vec![Err(busy), Err(broken)]);
        let machine = asl::parse::parse_value(&definition).expect("valid");
        let coverage = Coverage::of(&machine, &[&first]);
        assert_eq!(coverage.not_entered(), ["Both", "Left", "Right"]);
        let text = coverage.text("order.asl.json");
        assert!(text.starts_with("order.asl.json: 4/7 states, 1/3 Choice rules, 1/1 Catch edges, 1/2 retriers, 0/2 branches and processors\n"), "{text}");
        assert!(text.contains("Choice rule not taken: Route rule 2 -> Both"), "{text}");
        assert!(text.contains("Choice Default not taken: Route -> Done"), "{text}");
        assert!(text.contains("retrier never retried: Call retrier 2"), "{text}");

        let second = run(&definition, json!({"kind": "both"}), vec![]);
        let third = run(&definition, json!({"kind": "none"}), vec![]);
        let coverage = Coverage::of(&machine, &[&first, &second, &third]);
        assert!(coverage.not_entered().is_empty());
        assert!(coverage.text("m").contains("3/3 Choice rules, 1/1 Catch edges, 1/2 retriers, 2/2 branches"), "{}", coverage.text("m"));
        let svg = coverage.svg(&machine);
        assert!(svg.contains("data-status=\"succeeded\""), "covered states are marked");
        assert!(!svg.contains(r#"data-coverage="not-taken">"#), "every rule and catch was taken");
        let svg = Coverage::of(&machine, &[&first]).svg(&machine);
        assert!(svg.contains(r#"<g class="edge choice" data-from="Route" data-to="Both" data-coverage="not-taken">"#), "{svg}");
        assert!(svg.contains(r#"<g class="edge default" data-from="Route" data-to="Done" data-coverage="not-taken">"#));
    }
}
