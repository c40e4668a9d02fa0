//! Random state machine definitions: a raw shape of nested workflows that `build` turns into ASL JSON.
//!
//! A `Workflow` is a list of states whose transitions are numbers (`Pick`s) that `build` resolves to state names.
//! With `Transitions::Forward` every transition goes to a later state, so that every run ends; with
//! `Transitions::Any` a transition may go anywhere, cycles included. Every workflow gets a final `Succeed` state, so
//! a forward transition always has a target, and states that no transition reaches are dropped, so that most built
//! definitions are valid. `Mutation` then breaks a definition in one random place, for the parser's sake.

use proptest::collection::vec;
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use serde_json::{Map, Value, json};

use crate::arb;

/// A transition target before resolution: any number, taken modulo the number of allowed targets.
type Pick = u16;

/// The whole machine: the top-level workflow and the top-level fields besides `StartAt` and `States`.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    top: Workflow,
    fields: Vec<(String, Value)>,
}

/// A top-level workflow, a Parallel branch or a Map processor.
#[derive(Debug, Clone)]
pub(crate) struct Workflow {
    states: Vec<State>,
    start: Pick,
}

#[derive(Debug, Clone)]
struct State {
    /// The fields that do not name states (everything but `Next`, `Choices`, `Default`, `Catch`, nested workflows).
    fields: Vec<(String, Value)>,
    body: Body,
    /// `Next` of the state types that have one; `None` is `End: true`.
    next: Option<Pick>,
}

#[derive(Debug, Clone)]
enum Body {
    Pass,
    Task {
        catch: Vec<Catcher>,
    },
    Choice {
        choices: Vec<(Value, Pick)>,
        default: Option<Pick>,
    },
    Wait,
    Succeed,
    Fail,
    Parallel {
        branches: Vec<Workflow>,
        catch: Vec<Catcher>,
    },
    Map {
        processor: Box<Workflow>,
        distributed: bool,
        catch: Vec<Catcher>,
    },
}

#[derive(Debug, Clone)]
struct Catcher {
    error_equals: Vec<String>,
    result_path: Option<Value>,
    next: Pick,
}

/// Where transitions may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transitions {
    /// Only to later states of the same workflow: every run ends.
    Forward,
    /// Anywhere in the same workflow, cycles included.
    Any,
}

/// A built definition and the names of its Task states (for mock configs).
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub(crate) definition: Value,
    pub(crate) tasks: Vec<String>,
}

/// What a task answers: the raw result or a failure.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Return(Value),
    Throw { error: String, cause: Option<String> },
}

/// Breaks a definition in one place: the `at`-th node (in depth-first order, modulo the node count).
#[derive(Debug, Clone)]
pub(crate) struct Mutation {
    at: usize,
    kind: MutationKind,
}

#[derive(Debug, Clone)]
enum MutationKind {
    /// Replace the node with another value.
    Replace(Value),
    /// Remove one member of an object (the `n`-th, modulo its size).
    Remove(usize),
    /// Add a member to an object.
    Insert(String, Value),
}

/// Task resources; the last two are invalid.
const RESOURCES: &[&str] = &[
    "arn:aws:lambda:us-east-1:123456789012:function:f",
    "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
    "arn:aws:states:::lambda:invoke",
    "arn:aws:states:::lambda:invoke.waitForTaskToken",
    "arn:aws:states:::dynamodb:putItem",
    "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "arn:aws:states:::states:startExecution.sync:2",
    "arn:aws:states:::http:invoke",
    "arn:aws:states:us-east-1:123456789012:activity:a",
    "arn:aws:states:::aws-sdk:s3:listObjectsV2",
    "not-an-arn",
    "",
];

/// Field names that mutations insert: real ones (in the wrong place, or twice over) and unknown ones.
const FIELDS: &[&str] = &[
    "Type",
    "Next",
    "End",
    "StartAt",
    "States",
    "Catch",
    "Retry",
    "Parameters",
    "Result",
    "ResultPath",
    "InputPath",
    "OutputPath",
    "Seconds",
    "TimestampPath",
    "Choices",
    "Default",
    "Branches",
    "ItemProcessor",
    "Iterator",
    "ItemsPath",
    "ErrorEquals",
    "Variable",
    "And",
    "Not",
    "Assign",
    "Output",
    "Arguments",
    "QueryLanguage",
    "ProcessorConfig",
    "MaxConcurrency",
    "ToleratedFailurePercentage",
    "Cause",
    "ErrorPath",
    "Resource",
    "TimeoutSeconds",
    "HeartbeatSecondsPath",
    "ItemBatcher",
    "Label",
    "Comment",
    "Credentials",
    "Nope",
    "x.$",
];

/// A machine; `Transitions` is chosen at build time.
pub(crate) fn machine() -> BoxedStrategy<Machine> {
    let fields = (
        weighted(0.1, (1u64..100).prop_map(|n| ("TimeoutSeconds".to_owned(), json!(n)))),
        weighted(0.1, Just(("Comment".to_owned(), json!("a comment")))),
        weighted(0.1, Just(("Version".to_owned(), json!("1.0")))),
    )
        .prop_map(|(a, b, c)| [a, b, c].into_iter().flatten().collect());
    (workflow(), fields)
        .prop_map(|(top, fields)| Machine { top, fields })
        .boxed()
}

/// A workflow, with Parallel and Map states nesting further workflows up to three levels deep.
///
/// The levels are built once, not with `prop_recursive`, which would build its layers again for every value.
pub(crate) fn workflow() -> BoxedStrategy<Workflow> {
    let mut workflow = workflow_of(None);
    for _ in 0..3 {
        workflow = workflow_of(Some(workflow));
    }
    workflow
}

fn workflow_of(inner: Option<BoxedStrategy<Workflow>>) -> BoxedStrategy<Workflow> {
    (vec(state(inner), 1..5), any::<Pick>())
        .prop_map(|(states, start)| Workflow { states, start })
        .boxed()
}

fn state(inner: Option<BoxedStrategy<Workflow>>) -> BoxedStrategy<State> {
    let mut kinds = vec![
        (3, pass()),
        (4, task()),
        (2, choice()),
        (2, wait()),
        (1, simple(Body::Succeed, io())),
        (1, simple(Body::Fail, fail_fields())),
    ];
    if let Some(inner) = inner {
        kinds.push((2, parallel(inner.clone())));
        kinds.push((2, map(inner)));
    }
    Union::new_weighted(kinds).boxed()
}

fn next() -> BoxedStrategy<Option<Pick>> {
    weighted(0.85, any::<Pick>()).boxed()
}

/// A field that is there with probability `p`.
fn field(
    p: f64,
    key: &'static str,
    value: impl Strategy<Value = Value> + 'static,
) -> BoxedStrategy<Vec<(String, Value)>> {
    weighted(p, value.prop_map(move |v| (key.to_owned(), v)))
        .prop_map(|f| f.into_iter().collect())
        .boxed()
}

/// One of several alternative fields (`X` or `XPath`), there with probability `p`.
fn one_of(p: f64, alternatives: Vec<BoxedStrategy<(String, Value)>>) -> BoxedStrategy<Vec<(String, Value)>> {
    weighted(p, Union::new(alternatives))
        .prop_map(|f| f.into_iter().collect())
        .boxed()
}

fn keyed(key: &'static str, value: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<(String, Value)> {
    value.prop_map(move |v| (key.to_owned(), v)).boxed()
}

/// Joins groups of fields into one list.
fn fields(groups: Vec<BoxedStrategy<Vec<(String, Value)>>>) -> BoxedStrategy<Vec<(String, Value)>> {
    groups.prop_map(|groups| groups.concat()).boxed()
}

fn path_or_null() -> BoxedStrategy<Value> {
    prop_oneof![8 => arb::path().prop_map(Value::from), 1 => Just(Value::Null), 1 => Just(json!("$"))].boxed()
}

fn io() -> BoxedStrategy<Vec<(String, Value)>> {
    fields(vec![
        field(0.15, "InputPath", path_or_null()),
        field(0.15, "OutputPath", path_or_null()),
    ])
}

fn result_path() -> BoxedStrategy<Vec<(String, Value)>> {
    field(
        0.25,
        "ResultPath",
        prop_oneof![6 => arb::reference_path().prop_map(Value::from), 1 => Just(Value::Null)],
    )
}

fn template(p: f64, key: &'static str) -> BoxedStrategy<Vec<(String, Value)>> {
    field(p, key, arb::template())
}

fn ref_path() -> BoxedStrategy<Value> {
    arb::reference_path().prop_map(Value::from).boxed()
}

fn simple(body: Body, fields: BoxedStrategy<Vec<(String, Value)>>) -> BoxedStrategy<State> {
    let takes_next = matches!(body, Body::Pass | Body::Wait);
    (fields, next())
        .prop_map(move |(fields, next)| State {
            fields,
            body: body.clone(),
            next: if takes_next { next } else { None },
        })
        .boxed()
}

fn pass() -> BoxedStrategy<State> {
    let fields = fields(vec![
        io(),
        one_of(
            0.5,
            vec![keyed("Result", arb::json()), keyed("Parameters", arb::template())],
        ),
        result_path(),
    ]);
    simple(Body::Pass, fields)
}

fn wait() -> BoxedStrategy<State> {
    let seconds = prop_oneof![8 => (0u64..3).prop_map(Value::from), 1 => Just(json!(99_999_999)), 1 => arb::leaf()];
    let until = Union::new(vec![
        keyed("Seconds", seconds),
        keyed("SecondsPath", prop_oneof![2 => Just(json!("$.n")), 1 => ref_path()]),
        keyed("Timestamp", arb::timestamp().prop_map(Value::from)),
        keyed("TimestampPath", prop_oneof![2 => Just(json!("$.ts")), 1 => ref_path()]),
    ]);
    let fields = (io(), until).prop_map(|(mut io, until)| {
        io.push(until);
        io
    });
    simple(Body::Wait, fields.boxed())
}

fn fail_fields() -> BoxedStrategy<Vec<(String, Value)>> {
    let text = |key: &'static str, path_key: &'static str| {
        one_of(
            0.6,
            vec![
                keyed(key, arb::string().prop_map(Value::from)),
                keyed(path_key, ref_path()),
                keyed(path_key, arb::call().prop_map(Value::from)),
            ],
        )
    };
    fields(vec![text("Error", "ErrorPath"), text("Cause", "CausePath")])
}

fn retry() -> BoxedStrategy<Vec<(String, Value)>> {
    let retrier = (
        arb::error_equals(),
        field(
            0.5,
            "IntervalSeconds",
            prop_oneof![8 => (1u64..3).prop_map(Value::from), 1 => Just(json!(99_999_999))],
        ),
        field(0.7, "MaxAttempts", (0u64..4).prop_map(Value::from)),
        field(
            0.4,
            "BackoffRate",
            select(&[1.0, 1.5, 2.0, 100.0][..]).prop_map(|r| json!(r)),
        ),
        field(
            0.2,
            "MaxDelaySeconds",
            select(&[1u64, 5, 31_622_400][..]).prop_map(Value::from),
        ),
        field(
            0.3,
            "JitterStrategy",
            select(&["FULL", "NONE"][..]).prop_map(Value::from),
        ),
    )
        .prop_map(|(error_equals, a, b, c, d, e)| {
            let mut retrier = Map::new();
            retrier.insert("ErrorEquals".to_owned(), json!(error_equals));
            retrier.extend([a, b, c, d, e].concat());
            Value::Object(retrier)
        });
    field(0.4, "Retry", vec(retrier, 1..3).prop_map(Value::Array))
}

fn catch() -> BoxedStrategy<Vec<Catcher>> {
    let catcher = (arb::error_equals(), weighted(0.4, ref_path()), any::<Pick>()).prop_map(
        |(error_equals, result_path, next)| Catcher {
            error_equals,
            result_path,
            next,
        },
    );
    prop_oneof![2 => Just(Vec::new()), 1 => vec(catcher, 1..3)].boxed()
}

fn task() -> BoxedStrategy<State> {
    let timeout = one_of(
        0.2,
        vec![
            keyed(
                "TimeoutSeconds",
                prop_oneof![6 => (1u64..5).prop_map(Value::from), 1 => Just(json!(99_999_999)), 1 => Just(json!(0))],
            ),
            keyed("TimeoutSecondsPath", ref_path()),
        ],
    );
    let heartbeat = one_of(
        0.1,
        vec![
            keyed("HeartbeatSeconds", (1u64..5).prop_map(Value::from)),
            keyed("HeartbeatSecondsPath", ref_path()),
        ],
    );
    let fields = fields(vec![
        io(),
        prop_oneof![12 => select(&RESOURCES[..RESOURCES.len() - 2]), 1 => select(RESOURCES)]
            .prop_map(|resource| vec![("Resource".to_owned(), Value::from(resource))])
            .boxed(),
        template(0.4, "Parameters"),
        template(0.2, "ResultSelector"),
        result_path(),
        timeout,
        heartbeat,
        retry(),
    ]);
    (fields, catch(), next())
        .prop_map(|(fields, catch, next)| State {
            fields,
            body: Body::Task { catch },
            next,
        })
        .boxed()
}

fn choice() -> BoxedStrategy<State> {
    (
        io(),
        vec((arb::rule(), any::<Pick>()), 1..4),
        weighted(0.6, any::<Pick>()),
    )
        .prop_map(|(fields, choices, default)| State {
            fields,
            body: Body::Choice { choices, default },
            next: None,
        })
        .boxed()
}

fn parallel(inner: BoxedStrategy<Workflow>) -> BoxedStrategy<State> {
    let fields = fields(vec![
        io(),
        template(0.2, "Parameters"),
        template(0.2, "ResultSelector"),
        result_path(),
        retry(),
    ]);
    (fields, vec(inner, 1..3), catch(), next())
        .prop_map(|(fields, branches, catch, next)| State {
            fields,
            body: Body::Parallel { branches, catch },
            next,
        })
        .boxed()
}

fn map(inner: BoxedStrategy<Workflow>) -> BoxedStrategy<State> {
    let count = |key: &'static str, path_key: &'static str, p: f64| {
        one_of(
            p,
            vec![
                keyed(key, prop_oneof![6 => (0u64..4).prop_map(Value::from), 1 => arb::leaf()]),
                keyed(path_key, ref_path()),
            ],
        )
    };
    let percentage = one_of(
        0.15,
        vec![
            keyed(
                "ToleratedFailurePercentage",
                select(&[0.0, 50.0, 100.0, 150.0][..]).prop_map(|p| json!(p)),
            ),
            keyed("ToleratedFailurePercentagePath", ref_path()),
        ],
    );
    let batcher = (
        count("MaxItemsPerBatch", "MaxItemsPerBatchPath", 0.6),
        count("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", 0.3),
        template(0.3, "BatchInput"),
    )
        .prop_map(|(a, b, c)| Value::Object([a, b, c].concat().into_iter().collect()));
    let fields = fields(vec![
        io(),
        field(
            0.5,
            "ItemsPath",
            prop_oneof![3 => Just(json!("$.items")), 2 => ref_path()],
        ),
        template(0.3, "ItemSelector"),
        count("MaxConcurrency", "MaxConcurrencyPath", 0.3),
        count("ToleratedFailureCount", "ToleratedFailureCountPath", 0.15),
        percentage,
        field(0.15, "ItemBatcher", batcher),
        field(0.1, "Label", select(&["label", "bad label:"][..]).prop_map(Value::from)),
        template(0.15, "ResultSelector"),
        result_path(),
        retry(),
    ]);
    (fields, inner, any::<bool>(), catch(), next())
        .prop_map(|(fields, processor, distributed, catch, next)| State {
            fields,
            body: Body::Map {
                processor: Box::new(processor),
                distributed,
                catch,
            },
            next,
        })
        .boxed()
}

/// A task outcome: a random result, or a failure with a random error name.
pub(crate) fn outcome() -> BoxedStrategy<Outcome> {
    prop_oneof![
        3 => arb::json().prop_map(Outcome::Return),
        2 => (select(arb::ERRORS), weighted(0.7, arb::string()))
            .prop_map(|(error, cause)| Outcome::Throw { error: error.to_owned(), cause }),
    ]
    .boxed()
}

/// A mutation that breaks some node of a definition.
pub(crate) fn mutation() -> BoxedStrategy<Mutation> {
    let kind = prop_oneof![
        3 => prop_oneof![
            arb::json(),
            select(&["Nowhere", "", "States.ALL", "$.a", "DISTRIBUTED", "JSONata", "JSONPath"][..]).prop_map(Value::from),
            Just(Value::String("x".repeat(81))),
        ]
        .prop_map(MutationKind::Replace),
        2 => any::<usize>().prop_map(MutationKind::Remove),
        3 => (select(FIELDS), arb::json()).prop_map(|(key, value)| MutationKind::Insert(key.to_owned(), value)),
    ];
    (any::<usize>(), kind)
        .prop_map(|(at, kind)| Mutation { at, kind })
        .boxed()
}

/// Builds a machine's definition with its transitions resolved as `transitions` says.
pub(crate) fn build(machine: &Machine, transitions: Transitions) -> Built {
    let mut builder = Builder {
        transitions,
        workflows: 0,
        tasks: Vec::new(),
    };
    let mut definition = builder.workflow(&machine.top);
    if let Value::Object(object) = &mut definition {
        object.extend(machine.fields.iter().cloned());
    }
    Built {
        definition,
        tasks: builder.tasks,
    }
}

/// A Step Functions Local mock config whose test case `case` of machine `machine` answers the `i`-th Task state
/// with `mocks[i % mocks.len()]` (a `None` there leaves the state unmocked).
pub(crate) fn mock_config(machine: &str, case: &str, tasks: &[String], mocks: &[Option<Vec<(u8, Outcome)>>]) -> Value {
    let mut states = Map::new();
    let mut responses = Map::new();
    for (i, task) in tasks.iter().enumerate() {
        let Some(Some(entries)) = mocks.get(i % mocks.len().max(1)) else {
            continue;
        };
        let name = format!("R{}", i % mocks.len());
        states.insert(task.clone(), Value::String(name.clone()));
        let mut response = Map::new();
        let mut first = 0u32;
        for (count, outcome) in entries {
            let last = first + u32::from(*count);
            let key = if last == first {
                first.to_string()
            } else {
                format!("{first}-{last}")
            };
            let value = match outcome {
                Outcome::Return(value) => json!({"Return": value}),
                Outcome::Throw {
                    error,
                    cause: Some(cause),
                } => json!({"Throw": {"Error": error, "Cause": cause}}),
                Outcome::Throw { error, cause: None } => json!({"Throw": {"Error": error}}),
            };
            response.insert(key, value);
            first = last + 1;
        }
        responses.insert(name, Value::Object(response));
    }
    json!({"StateMachines": {machine: {"TestCases": {case: states}}}, "MockedResponses": responses})
}

/// Applies a mutation to `value`.
pub(crate) fn mutate(value: &mut Value, mutation: &Mutation) {
    let count = count_nodes(value);
    let mut at = mutation.at % count;
    if let Some(node) = nth_node(value, &mut at) {
        match (&mutation.kind, node) {
            (MutationKind::Replace(with), node) => *node = with.clone(),
            (MutationKind::Remove(n), Value::Object(object)) if !object.is_empty() => {
                let key = object.keys().nth(n % object.len()).cloned().unwrap_or_default();
                object.shift_remove(&key);
            }
            (MutationKind::Insert(key, with), Value::Object(object)) => {
                object.insert(key.clone(), with.clone());
            }
            (MutationKind::Remove(_) | MutationKind::Insert(..), node) => *node = Value::Null,
        }
    }
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(object) => object.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn nth_node<'v>(value: &'v mut Value, at: &mut usize) -> Option<&'v mut Value> {
    if *at == 0 {
        return Some(value);
    }
    *at -= 1;
    match value {
        Value::Array(items) => items.iter_mut().find_map(|item| nth_node(item, at)),
        Value::Object(object) => object.values_mut().find_map(|item| nth_node(item, at)),
        _ => None,
    }
}

struct Builder {
    transitions: Transitions,
    workflows: usize,
    tasks: Vec<String>,
}

impl Builder {
    fn workflow(&mut self, workflow: &Workflow) -> Value {
        let prefix = if self.workflows == 0 {
            "S".to_owned()
        } else {
            format!("W{}.", self.workflows)
        };
        self.workflows += 1;
        // The states plus a final Succeed state.
        let n = workflow.states.len() + 1;
        let names: Vec<String> = (0..n)
            .map(|i| {
                if i + 1 == n {
                    format!("{prefix}End")
                } else {
                    format!("{prefix}{i}")
                }
            })
            .collect();
        let mut objects = Vec::with_capacity(n);
        let mut edges = Vec::with_capacity(n);
        let transitions = self.transitions;
        for (i, state) in workflow.states.iter().enumerate() {
            let mut successors = Vec::new();
            let target = |pick: Pick| match transitions {
                Transitions::Forward => i + 1 + usize::from(pick) % (n - i - 1),
                Transitions::Any => usize::from(pick) % n,
            };
            let object = self.state(state, &names, target, &mut successors);
            if matches!(state.body, Body::Task { .. }) {
                self.tasks.push(names.get(i).cloned().unwrap_or_default());
            }
            objects.push(object);
            edges.push(successors);
        }
        objects.push(json!({"Type": "Succeed"}));
        edges.push(Vec::new());
        let start = match self.transitions {
            Transitions::Forward => 0,
            Transitions::Any => usize::from(workflow.start) % n,
        };
        let mut reached = vec![false; n];
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            if let Some(flag) = reached.get_mut(i)
                && !std::mem::replace(flag, true)
            {
                stack.extend(edges.get(i).into_iter().flatten());
            }
        }
        let states: Map<String, Value> = names
            .iter()
            .zip(objects)
            .zip(reached)
            .filter(|(_, reached)| *reached)
            .map(|((name, object), _)| (name.clone(), object))
            .collect();
        json!({"StartAt": names.get(start), "States": states})
    }

    fn state(
        &mut self,
        state: &State,
        names: &[String],
        target: impl Fn(Pick) -> usize,
        successors: &mut Vec<usize>,
    ) -> Value {
        let mut go = |pick: Pick| {
            let index = target(pick);
            successors.push(index);
            Value::from(names.get(index).cloned().unwrap_or_default())
        };
        let type_name = match &state.body {
            Body::Pass => "Pass",
            Body::Task { .. } => "Task",
            Body::Choice { .. } => "Choice",
            Body::Wait => "Wait",
            Body::Succeed => "Succeed",
            Body::Fail => "Fail",
            Body::Parallel { .. } => "Parallel",
            Body::Map { .. } => "Map",
        };
        let mut object = Map::new();
        object.insert("Type".to_owned(), type_name.into());
        object.extend(state.fields.iter().cloned());
        if let Some(Value::Array(retriers)) = object.get_mut("Retry") {
            let count = retriers.len();
            for (i, retrier) in retriers.iter_mut().enumerate() {
                if let Some(list) = retrier.get_mut("ErrorEquals") {
                    *list = fix_error_equals(list, i + 1 == count);
                }
            }
        }
        let catchers = match &state.body {
            Body::Task { catch } | Body::Parallel { catch, .. } | Body::Map { catch, .. } => catch.as_slice(),
            _ => &[],
        };
        if !catchers.is_empty() {
            let count = catchers.len();
            let catch: Vec<Value> = catchers
                .iter()
                .enumerate()
                .map(|(i, catcher)| {
                    let mut object = Map::new();
                    object.insert(
                        "ErrorEquals".to_owned(),
                        fix_error_equals(&json!(catcher.error_equals), i + 1 == count),
                    );
                    object.insert("Next".to_owned(), go(catcher.next));
                    if let Some(path) = &catcher.result_path {
                        object.insert("ResultPath".to_owned(), path.clone());
                    }
                    Value::Object(object)
                })
                .collect();
            object.insert("Catch".to_owned(), Value::Array(catch));
        }
        match &state.body {
            Body::Choice { choices, default } => {
                let rules: Vec<Value> = choices
                    .iter()
                    .map(|(rule, pick)| {
                        let mut rule = rule.clone();
                        if let Value::Object(rule) = &mut rule {
                            rule.insert("Next".to_owned(), go(*pick));
                        }
                        rule
                    })
                    .collect();
                object.insert("Choices".to_owned(), Value::Array(rules));
                if let Some(pick) = default {
                    object.insert("Default".to_owned(), go(*pick));
                }
            }
            Body::Parallel { branches, .. } => {
                let branches: Vec<Value> = branches.iter().map(|branch| self.workflow(branch)).collect();
                object.insert("Branches".to_owned(), Value::Array(branches));
            }
            Body::Map {
                processor, distributed, ..
            } => {
                let mut processor = self.workflow(processor);
                if *distributed && let Value::Object(processor) = &mut processor {
                    processor.insert(
                        "ProcessorConfig".to_owned(),
                        json!({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}),
                    );
                }
                object.insert("ItemProcessor".to_owned(), processor);
            }
            _ => {}
        }
        match (&state.body, state.next) {
            (Body::Pass | Body::Task { .. } | Body::Wait | Body::Parallel { .. } | Body::Map { .. }, Some(pick)) => {
                object.insert("Next".to_owned(), go(pick));
            }
            (Body::Pass | Body::Task { .. } | Body::Wait | Body::Parallel { .. } | Body::Map { .. }, None) => {
                object.insert("End".to_owned(), true.into());
            }
            _ => {}
        }
        Value::Object(object)
    }
}

/// `States.ALL` may only stand alone, in the last retrier or catcher.
fn fix_error_equals(list: &Value, last: bool) -> Value {
    let names: Vec<&str> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if names.contains(&"States.ALL") {
        if last {
            return json!(["States.ALL"]);
        }
        let rest: Vec<&str> = names.into_iter().filter(|name| *name != "States.ALL").collect();
        return if rest.is_empty() {
            json!(["States.TaskFailed"])
        } else {
            json!(rest)
        };
    }
    list.clone()
}
