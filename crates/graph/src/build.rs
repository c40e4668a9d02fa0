//! The graph of a state machine: its states as nodes, its transitions as labelled edges.
//!
//! Parallel and Map states are compound nodes: a Parallel holds one `Branch` node per branch, a Branch and a Map hold
//! the states of their workflow. Edges only join siblings (nodes with the same parent), because ASL transitions never
//! leave their workflow. Not here: positions (`layout`) and drawing (`svg`, `dot`, `mermaid`).

use asl::choice::{Cmp, Operand, Rule, Test, TypeTest};
use asl::model::{Catcher, Condition, StateKind, StateMachine, Transition, WorkflowId};

use crate::text::truncate;

/// Index of a node in `Graph::nodes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// A state machine as nodes and edges. Invariant: every `NodeId` in it indexes `nodes`, parents come before their
/// children, and every edge joins two nodes with the same parent.
#[derive(Debug, Clone)]
pub struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

/// One drawn thing: a state, a Parallel branch, or a Start or End marker.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// The compound node (Parallel, Map or Branch) this one is drawn inside; `None` at the top level.
    pub parent: Option<NodeId>,
    /// For a compound node, the child where its flow starts (a Parallel's first branch).
    pub start: Option<NodeId>,
    /// What a Task calls, as its box names it under the state's name (`calls`): a function, an activity, a URL or a
    /// service action.
    pub calls: Option<String>,
    /// What is wrong with the state, one problem a line: only a definition that validation refuses has any (`sketch`).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// Where the execution starts (top level only).
    Start,
    /// Where the execution ends (top level only).
    End,
    State { name: String, kind: StateType },
    /// Branch `index` (0-based) of its parent Parallel.
    Branch { index: usize },
}

/// A state's `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateType {
    Pass,
    Task,
    Choice,
    Wait,
    Succeed,
    Fail,
    Parallel,
    Map,
}

/// A transition.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: EdgeKind,
    /// A Choice rule in short, `Default`, or a Catch's `ErrorEquals`.
    pub label: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// `Next`, and the edges from Start and to End.
    Next,
    /// A Choice rule's `Next`.
    Choice,
    /// A Choice's `Default`.
    Default,
    /// A Catcher's `Next`: drawn dashed.
    Catch,
}

/// The longest label of a Choice rule, in characters.
pub(crate) const RULE_CHARS: usize = 36;
/// The longest label of a Catch edge, in characters.
pub(crate) const CATCH_CHARS: usize = 40;

/// The graph of `machine`.
pub fn build(machine: &StateMachine) -> Graph {
    let mut graph = Graph::new();
    let start = graph.push(NodeKind::Start, None);
    let mut seen = vec![false; machine.workflows.len()];
    let (states, first) = add_workflow(&mut graph, machine, WorkflowId(0), None, &mut seen);
    let end = graph.push(NodeKind::End, None);
    if let Some(first) = first {
        graph.edge(start, first, EdgeKind::Next, None);
    }
    if let Some(top) = machine.workflows.first() {
        for (state, &id) in top.states.iter().zip(&states) {
            let terminal = match &state.kind {
                StateKind::Succeed | StateKind::Fail(_) => true,
                kind => transition(kind) == Some(Transition::End),
            };
            if terminal {
                graph.edge(id, end, EdgeKind::Next, None);
            }
        }
    }
    graph
}

impl Graph {
    /// Every node, indexed by `NodeId`.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every edge, in a stable order.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The node `id`, if it is one of this graph's.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0 as usize)
    }

    /// The nodes drawn directly inside `parent` (`None`: the top level), in order.
    pub fn children(&self, parent: Option<NodeId>) -> Vec<NodeId> {
        self.ids().filter(|&id| self.node(id).is_some_and(|node| node.parent == parent)).collect()
    }

    /// Whether `id` is drawn as a box holding other nodes.
    pub fn is_compound(&self, id: NodeId) -> bool {
        self.node(id).is_some_and(|node| {
            matches!(node.kind, NodeKind::Branch { .. } | NodeKind::State { kind: StateType::Parallel | StateType::Map, .. })
        })
    }

    /// The name of the state `id`, if it is a state.
    pub fn state_name(&self, id: NodeId) -> Option<&str> {
        match &self.node(id)?.kind {
            NodeKind::State { name, .. } => Some(name),
            _ => None,
        }
    }

    /// How many compound nodes hold `id`.
    pub fn depth(&self, id: NodeId) -> usize {
        let mut depth = 0;
        let mut current = self.node(id).and_then(|node| node.parent);
        while let Some(parent) = current {
            depth += 1;
            // Parents come before children, so this walk ends; the bound keeps it so for any graph.
            if depth > self.nodes.len() {
                break;
            }
            current = self.node(parent).and_then(|node| node.parent);
        }
        depth
    }

    /// Every node id, in order.
    pub fn ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.nodes.len()).map(|index| NodeId(index as u32))
    }

    /// An empty graph.
    pub(crate) fn new() -> Graph {
        Graph { nodes: Vec::new(), edges: Vec::new() }
    }

    pub(crate) fn push(&mut self, kind: NodeKind, parent: Option<NodeId>) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node { kind, parent, start: None, calls: None, problems: Vec::new() });
        id
    }

    pub(crate) fn edge(&mut self, from: NodeId, to: NodeId, kind: EdgeKind, label: Option<String>) {
        self.edges.push(Edge { from, to, kind, label });
    }

    pub(crate) fn set_start(&mut self, id: NodeId, start: Option<NodeId>) {
        if let Some(node) = self.nodes.get_mut(id.0 as usize) {
            node.start = start;
        }
    }

    /// The node `id`, to change.
    pub(crate) fn node_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.nodes.get_mut(id.0 as usize)
    }
}

/// Adds the states of `workflow` inside `parent`; returns their node ids (by `StateId`) and the start state's.
/// A workflow already drawn (which a valid machine never asks for) is skipped, so nesting always ends.
fn add_workflow(
    graph: &mut Graph,
    machine: &StateMachine,
    workflow: WorkflowId,
    parent: Option<NodeId>,
    seen: &mut [bool],
) -> (Vec<NodeId>, Option<NodeId>) {
    let Some(flow) = machine.workflows.get(workflow.0 as usize) else { return (Vec::new(), None) };
    match seen.get_mut(workflow.0 as usize) {
        Some(seen) if !*seen => *seen = true,
        _ => return (Vec::new(), None),
    }
    let mut ids = Vec::with_capacity(flow.states.len());
    for state in &flow.states {
        let kind = state_type(&state.kind);
        let id = graph.push(NodeKind::State { name: state.name.clone(), kind }, parent);
        if let StateKind::Task(task) = &state.kind
            && let Some(node) = graph.nodes.get_mut(id.0 as usize)
        {
            node.calls = Some(calls(task));
        }
        ids.push(id);
        match &state.kind {
            StateKind::Parallel(parallel) => {
                let mut first = None;
                for (index, &branch) in parallel.branches.iter().enumerate() {
                    let node = graph.push(NodeKind::Branch { index }, Some(id));
                    first = first.or(Some(node));
                    let (_, start) = add_workflow(graph, machine, branch, Some(node), seen);
                    graph.set_start(node, start);
                }
                graph.set_start(id, first);
            }
            StateKind::Map(map) => {
                let (_, start) = add_workflow(graph, machine, map.processor, Some(id), seen);
                graph.set_start(id, start);
            }
            _ => {}
        }
    }
    let target = |state: asl::model::StateId| ids.get(state.0 as usize).copied();
    for (state, &from) in flow.states.iter().zip(&ids) {
        if let StateKind::Choice(choice) = &state.kind {
            for branch in &choice.choices {
                if let Some(to) = target(branch.next) {
                    graph.edge(from, to, EdgeKind::Choice, Some(condition_label(&branch.condition)));
                }
            }
            if let Some(to) = choice.default.and_then(target) {
                graph.edge(from, to, EdgeKind::Default, Some("Default".to_owned()));
            }
        }
        if let Some(Transition::Next(next)) = transition(&state.kind)
            && let Some(to) = target(next)
        {
            graph.edge(from, to, EdgeKind::Next, None);
        }
        for catcher in catchers(&state.kind) {
            if let Some(to) = target(catcher.next) {
                let label = truncate(&catcher.error_equals.join(", "), CATCH_CHARS);
                graph.edge(from, to, EdgeKind::Catch, Some(label));
            }
        }
    }
    (ids.clone(), target(flow.start_at))
}

/// The longest text a Task's box gives what it calls.
const CALLS_MAX: usize = 36;

/// What a Task calls, in a few words: `function NAME` (a Lambda ARN), `lambda:invoke NAME` (its `FunctionName` when
/// the definition gives it plainly), `GET https://…` (an HTTP Task's method and endpoint), `activity NAME`, a service
/// action (`sqs:sendMessage.waitForTaskToken`, `s3:listBuckets` for an AWS SDK call), or the resource as written.
pub(crate) fn calls(task: &asl::model::Task) -> String {
    let literal = |key: &str| task.arguments.as_ref().and_then(|arguments| arguments.literal(key)).and_then(|value| value.as_str());
    calls_text(&task.resource, literal)
}

/// `calls` of a Task with `resource`, whose arguments give `literal(key)` plainly (as text) or not.
pub(crate) fn calls_text<'a>(resource: &str, literal: impl Fn(&str) -> Option<&'a str>) -> String {
    let last = |arn: &str| arn.rsplit(':').next().unwrap_or(arn).to_owned();
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let text = match parts.as_slice() {
        ["arn", _, "states", "", "", integration] => match *integration {
            lambda if lambda.starts_with("lambda:invoke") => match literal("FunctionName") {
                Some(function) => format!("{lambda} {}", function_name(function)),
                None => lambda.to_owned(),
            },
            http if http.starts_with("http:invoke") => match (literal("Method"), literal("ApiEndpoint")) {
                (Some(method), Some(endpoint)) => format!("{method} {endpoint}"),
                _ => http.to_owned(),
            },
            other => other.strip_prefix("aws-sdk:").unwrap_or(other).to_owned(),
        },
        ["arn", _, "states", _, _, activity] if activity.starts_with("activity:") => format!("activity {}", last(activity)),
        ["arn", _, "lambda", _, _, function] if function.starts_with("function:") => format!("function {}", function_name(function)),
        _ => resource.to_owned(),
    };
    truncate(&text, CALLS_MAX)
}

/// A function's name from its name, ARN or partial ARN (`function:NAME[:QUALIFIER]`), with its qualifier.
fn function_name(function: &str) -> String {
    match function.split_once("function:") {
        Some((_, rest)) => rest.to_owned(),
        None => function.to_owned(),
    }
}

/// The `StateType` that a definition's `Type` names, if it names one.
pub(crate) fn state_type_named(name: &str) -> Option<StateType> {
    Some(match name {
        "Pass" => StateType::Pass,
        "Task" => StateType::Task,
        "Choice" => StateType::Choice,
        "Wait" => StateType::Wait,
        "Succeed" => StateType::Succeed,
        "Fail" => StateType::Fail,
        "Parallel" => StateType::Parallel,
        "Map" => StateType::Map,
        _ => return None,
    })
}

fn state_type(kind: &StateKind) -> StateType {
    match kind {
        StateKind::Pass(_) => StateType::Pass,
        StateKind::Task(_) => StateType::Task,
        StateKind::Choice(_) => StateType::Choice,
        StateKind::Wait(_) => StateType::Wait,
        StateKind::Succeed => StateType::Succeed,
        StateKind::Fail(_) => StateType::Fail,
        StateKind::Parallel(_) => StateType::Parallel,
        StateKind::Map(_) => StateType::Map,
    }
}

fn transition(kind: &StateKind) -> Option<Transition> {
    match kind {
        StateKind::Pass(state) => Some(state.transition),
        StateKind::Task(state) => Some(state.transition),
        StateKind::Wait(state) => Some(state.transition),
        StateKind::Parallel(state) => Some(state.transition),
        StateKind::Map(state) => Some(state.transition),
        StateKind::Choice(_) | StateKind::Succeed | StateKind::Fail(_) => None,
    }
}

fn catchers(kind: &StateKind) -> &[Catcher] {
    match kind {
        StateKind::Task(state) => &state.catch,
        StateKind::Parallel(state) => &state.catch,
        StateKind::Map(state) => &state.catch,
        _ => &[],
    }
}

/// A Choice rule in short: `$.x > 3`, `$.a is present and $.b == "x"`; a JSONata condition as its text.
fn condition_label(condition: &Condition) -> String {
    let text = match condition {
        Condition::Rule(rule) => rule_text(rule, 0),
        Condition::Jsonata(expr) => expr.as_str().to_owned(),
    };
    if text.trim().is_empty() { "Condition".to_owned() } else { truncate(&text, RULE_CHARS) }
}

fn rule_text(rule: &Rule, depth: usize) -> String {
    // Labels are short anyway; deeper rules are elided rather than recursed into without bound.
    if depth > 3 {
        return "…".to_owned();
    }
    let group = |rules: &[Rule], word: &str| {
        let parts: Vec<String> = rules.iter().map(|rule| nested(rule, depth)).collect();
        parts.join(word)
    };
    match rule {
        Rule::And(rules) => group(rules, " and "),
        Rule::Or(rules) => group(rules, " or "),
        Rule::Not(rule) => format!("not {}", nested(rule, depth)),
        Rule::Compare(comparison) => {
            let variable = comparison.variable().as_str();
            match comparison.test() {
                Test::Type(test, expected) => {
                    let what = match test {
                        TypeTest::Null => "null",
                        TypeTest::Present => "present",
                        TypeTest::Numeric => "numeric",
                        TypeTest::String => "a string",
                        TypeTest::Boolean => "a boolean",
                        TypeTest::Timestamp => "a timestamp",
                    };
                    format!("{variable} is {}{what}", if *expected { "" } else { "not " })
                }
                Test::BooleanEquals(operand) => format!("{variable} == {}", operand_text(operand, |b| b.to_string())),
                Test::Numeric(cmp, operand) => {
                    format!("{variable} {} {}", cmp_text(*cmp), operand_text(operand, |n| n.to_string()))
                }
                Test::String(cmp, operand) => {
                    format!("{variable} {} {}", cmp_text(*cmp), operand_text(operand, |s| format!("{s:?}")))
                }
                Test::StringMatches(pattern) => format!("{variable} matches {:?}", pattern.as_str()),
                Test::Timestamp(cmp, operand) => format!(
                    "{variable} {} {}",
                    cmp_text(*cmp),
                    operand_text(operand, |t| t.to_string())
                ),
            }
        }
    }
}

fn nested(rule: &Rule, depth: usize) -> String {
    match rule {
        Rule::Compare(_) => rule_text(rule, depth + 1),
        _ => format!("({})", rule_text(rule, depth + 1)),
    }
}

fn operand_text<T>(operand: &Operand<T>, literal: impl Fn(&T) -> String) -> String {
    match operand {
        Operand::Literal(value) => literal(value),
        Operand::Path(path) => path.as_str().to_owned(),
    }
}

fn cmp_text(cmp: Cmp) -> &'static str {
    match cmp {
        Cmp::Equals => "==",
        Cmp::GreaterThan => ">",
        Cmp::GreaterThanEquals => ">=",
        Cmp::LessThan => "<",
        Cmp::LessThanEquals => "<=",
    }
}
