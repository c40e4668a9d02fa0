//! The definition fuzzer: valid definitions (the engine's golden cases and the README's example), mutated, through
//! `asl::parse`; each one it accepts runs briefly in the engine, with its tasks answered and its timers fired, until
//! it ends or a budget of triggers runs out.
//!
//! Nothing may panic (parsing, running, rendering a history event) and no case may take more than `HANG`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use serde_json::{Value, json};

use asl::Failure;
use engine::{Command, Execution, ExecutionInfo, Limits, Status, Trigger};

use crate::fuzz::mutate::{self, mutate};
use crate::fuzz::{Budget, Rng};

/// How long one case may take.
const HANG: Duration = Duration::from_secs(20);
/// Triggers applied to one execution before it is stopped.
const MAX_TRIGGERS: usize = 60;
/// When executions start: 2023-11-14T22:13:20Z.
const T0: i64 = 1_700_000_000_000;

#[test]
fn mutated_definitions_parse_or_are_refused_and_run_without_panicking() {
    let budget = Budget::from_env(1500);
    let corpus = corpus();
    assert!(corpus.len() > 30, "the seed definitions are missing: {}", corpus.len());
    let mut rng = Rng::new(budget.seed);
    let mut accepted = 0;
    for n in 0..budget.cases {
        let (name, definition, input) = rng.pick(corpus);
        let (text, input) = mutated(&mut rng, definition, input);
        let what = format!("case {n} of seed {} (from {name}): {}", budget.seed, &text[..floor(&text, 2000)]);
        let seed = rng.next();
        let (sender, receiver) = mpsc::channel();
        // A thread per case: a panic is caught as that thread's end, and a case that never ends is seen as one.
        let worker = std::thread::Builder::new()
            .stack_size(8 * 1024 * 1024)
            .spawn(move || {
                let ran = std::panic::catch_unwind(|| try_definition(&text, input, seed));
                let _ = sender.send(ran.map_err(|panic| panic_message(&*panic)));
            })
            .expect("a thread");
        match receiver.recv_timeout(HANG) {
            Ok(Ok(ran)) => accepted += usize::from(ran),
            Ok(Err(message)) => panic!("panicked ({message}) on {what}"),
            Err(_) => panic!("no end within {HANG:?} for {what}"),
        }
        let _ = worker.join();
    }
    // Mutations must leave many definitions valid, or the engine would go untested.
    assert!(budget.cases < 50 || accepted * 8 >= budget.cases, "only {accepted} of {} mutants parsed", budget.cases);
}

/// Parses `text` and, if it is valid, runs it briefly on `input`; returns whether it was valid.
fn try_definition(text: &str, input: Value, seed: u64) -> bool {
    let Ok(machine) = asl::parse(text) else { return false };
    run_briefly(Arc::new(machine), input, seed);
    true
}

/// Runs an execution for at most `MAX_TRIGGERS` triggers: tasks answered (success or failure), timers fired in time
/// order, and a stop at the end if it still runs. Every event must render.
fn run_briefly(machine: Arc<asl::model::StateMachine>, input: Value, seed: u64) {
    let mut rng = Rng::new(seed);
    let info = ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:Fuzz:run".to_owned(),
        name: "run".to_owned(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:Fuzz".to_owned(),
        state_machine_name: "Fuzz".to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/fuzz".to_owned(),
        region: "us-east-1".to_owned(),
        express: rng.one_in(4),
        version_arn: None,
        alias_arn: None,
    };
    let limits = Limits { max_history_events: 200, ..Limits::default() };
    let mut execution = Execution::new(machine, info, limits);
    // Express histories have no limit, so a slice of steps is what bounds a loop that never waits.
    execution.set_slice(100);
    let mut now = T0;
    let mut tasks = Vec::new();
    let mut timers = BTreeMap::new();
    let mut commands = execution.apply(Trigger::Start { input, now });
    for _ in 0..MAX_TRIGGERS {
        for command in commands {
            match command {
                Command::InvokeTask(request) => tasks.push(request.task),
                Command::StartTimer { timer, at } => {
                    timers.insert((at, timer.0), timer);
                }
                Command::CancelTimer { timer } => timers.retain(|_, pending| *pending != timer),
                Command::CancelTask { task } => tasks.retain(|pending| *pending != task),
            }
        }
        if !matches!(execution.status(), Status::Running) {
            break;
        }
        let trigger = if execution.has_work() {
            Trigger::Resume { now }
        } else if !tasks.is_empty() && (timers.is_empty() || !rng.one_in(4)) {
            let task = tasks.remove(rng.below(tasks.len()));
            let outcome = match rng.below(4) {
                0 => Err(Failure::new("Fuzz.Error", "a failing task")),
                1 => Ok(mutate::nested(rng.below(140))),
                _ => Ok(json!({"ok": true, "items": [1, 2, 3]})),
            };
            Trigger::TaskCompleted { task, outcome, now }
        } else if let Some(((at, _), timer)) = timers.pop_first() {
            now = now.max(at);
            Trigger::TimerFired { timer, now }
        } else {
            break;
        };
        commands = execution.apply(trigger);
    }
    if matches!(execution.status(), Status::Running) {
        execution.apply(Trigger::Stop { error: Some("Fuzz".to_owned()), cause: None, now });
    }
    for event in execution.history() {
        let _ = event.to_json().to_string();
    }
}

/// A definition of the corpus, mutated, with its input (mutated sometimes too), for the request fuzzer's
/// CreateStateMachine and UpdateStateMachine: there, executions of it run in the server.
pub(crate) fn mutant(rng: &mut Rng) -> (String, Value) {
    let (_, definition, input) = rng.pick(corpus());
    mutated(rng, definition, input)
}

/// A seed definition and input, mutated: as JSON most often, sometimes as text; the input sometimes too.
fn mutated(rng: &mut Rng, definition: &Value, input: &Value) -> (String, Value) {
    let mut definition = definition.clone();
    let mut input = input.clone();
    let names = state_names(&definition);
    let states = state_pointers(&definition);
    for _ in 0..1 + usize::from(rng.one_in(3)) {
        // Mostly mutations inside one state that keep its shape (so that many mutants parse and run), sometimes any.
        let pointer = rng.pick(&states).clone();
        match definition.pointer_mut(&pointer) {
            Some(state) if !rng.one_in(6) => mutate_asl(rng, state, &names),
            _ => mutate(rng, &mut definition),
        }
    }
    if rng.one_in(4) {
        mutate(rng, &mut input);
    }
    let mut text = definition.to_string();
    if rng.one_in(6) {
        mutate::mutate_text(rng, &mut text);
    }
    (text, input)
}

/// Fields of states, the state types that take them, and plausible (often odd) values.
fn asl_field(rng: &mut Rng, state_type: &str) -> (&'static str, Value) {
    const IO: &str = "Pass Task Parallel Map Wait Choice Succeed";
    const RESULT: &str = "Pass Task Parallel Map";
    const CATCHING: &str = "Task Parallel Map";
    let fields: [(&str, &str, Value); 24] = [
        ("ResultPath", RESULT, Value::Null),
        ("ResultPath", RESULT, json!("$.r.s")),
        ("OutputPath", IO, json!("$.nope")),
        ("InputPath", IO, json!("$$.Execution.Input")),
        ("Parameters", RESULT, json!({"a.$": "$", "b.$": "States.Array($, $$.State.Name)", "c": [1]})),
        ("ResultSelector", CATCHING, json!({"x.$": "$..a", "n.$": "States.MathAdd(1, 2)"})),
        ("Assign", IO, json!({"v.$": "$", "w": 1})),
        ("Output", IO, json!("{% $states.input %}")),
        ("Arguments", "Task Parallel", json!({"a": "{% $count($states.input) %}"})),
        ("QueryLanguage", IO, json!("JSONata")),
        ("QueryLanguage", IO, json!("JSONPath")),
        ("Retry", CATCHING, json!([{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1, "BackoffRate": 3.5, "JitterStrategy": "FULL"}])),
        ("Catch", CATCHING, json!([{"ErrorEquals": ["States.ALL"], "Next": "Missing", "ResultPath": "$.error"}])),
        ("TimeoutSeconds", "Task", json!(1)),
        ("HeartbeatSeconds", "Task", json!(1)),
        ("Seconds", "Wait", json!(0)),
        ("SecondsPath", "Wait", json!("$.n")),
        ("TimestampPath", "Wait", json!("$.t")),
        ("ItemsPath", "Map", json!("$.items")),
        ("Items", "Map", json!("{% [1, 2, 3] %}")),
        ("MaxConcurrency", "Map", json!(0)),
        ("ToleratedFailurePercentage", "Map", json!(150)),
        ("ItemBatcher", "Map", json!({"MaxItemsPerBatch": 2, "BatchInput": {"b": 1}})),
        ("Comment", IO, json!("\u{0}")),
    ];
    let fitting: Vec<&(&str, &str, Value)> =
        fields.iter().filter(|(_, types, _)| types.split(' ').any(|t| t == state_type) || rng.one_in(8)).collect();
    let (name, _, value) = if fitting.is_empty() { &fields[0] } else { *rng.pick(&fitting) };
    (name, value.clone())
}

/// Strings that make sense somewhere in a definition, and may be wrong where they land.
const ASL_STRINGS: &[&str] = &[
    "$", "$$", "$.a", "$.a[0]", "$.a[*].b", "$..b", "$[1:]", "$$.Map.Item.Value", "$$.Task.Token", "$$.Execution.Input",
    "$v", "$v.x", "States.Format('{} {}', $.a, $$.State.Name)", "States.StringToJson($.s)", "States.JsonToString($)",
    "States.ArrayRange(1, 1000, 1)", "States.Hash($.a, 'SHA-256')", "States.UUID()", "States.MathRandom(1, 9)",
    "{% $states.input %}", "{% $states.context.Execution.Id %}", "{% $sum($states.input.a) %}", "{% $x %}",
    "{% $states.result.a ? 1 : 0 %}", "{% $parse('[1,2') %}", "{% $range(0, 100000) %}", "{% $states.input.a.b.c %}",
    "2016-03-14T01:59:00Z", "not a timestamp", "arn:aws:states:::lambda:invoke", "arn:aws:states:::http:invoke.none",
    "arn:aws:lambda:us-east-1:123456789012:function:f", "arn:aws:states:::states:startExecution.sync:2",
    "States.ALL", "States.Timeout", "States.TaskFailed", "Pass", "Task", "Choice", "Wait", "Map", "Parallel", "Succeed", "Fail",
];

/// A mutation that keeps a definition mostly well formed: a value swapped for one of its kind, a state name or path
/// moved elsewhere, a field added or removed.
fn mutate_asl(rng: &mut Rng, value: &mut Value, names: &[String]) {
    if !rng.one_in(3) {
        match value {
            Value::Object(members) if !members.is_empty() => {
                let index = rng.below(members.len());
                if let Some(child) = members.values_mut().nth(index) {
                    mutate_asl(rng, child, names);
                    return;
                }
            }
            Value::Array(items) if !items.is_empty() => {
                let index = rng.below(items.len());
                if let Some(child) = items.get_mut(index) {
                    mutate_asl(rng, child, names);
                    return;
                }
            }
            _ => {}
        }
    }
    match value {
        Value::String(text) => {
            // Mostly a string of the same kind: a state name for a state name, a path for a path, JSONata for
            // JSONata, a resource for a resource; sometimes anything.
            let kind = |candidate: &&str| match text.as_str() {
                t if t.starts_with('$') || t.starts_with("States.") => candidate.starts_with('$') || candidate.starts_with("States."),
                t if t.starts_with("{%") => candidate.starts_with("{%"),
                t if t.starts_with("arn:") => candidate.starts_with("arn:"),
                _ => true,
            };
            let same: Vec<&str> = ASL_STRINGS.iter().copied().filter(kind).collect();
            *text = if names.contains(text) && !rng.one_in(4) {
                rng.pick(names).clone()
            } else if rng.one_in(5) {
                (*rng.pick(ASL_STRINGS)).to_owned()
            } else {
                (*rng.pick(&same)).to_owned()
            };
        }
        Value::Number(_) => *value = rng.pick(&[json!(0), json!(1), json!(-1), json!(0.5), json!(99_999_999), json!(1e300)]).clone(),
        Value::Bool(flag) => *flag = !*flag,
        Value::Object(members) if !members.is_empty() && rng.one_in(3) => {
            let index = rng.below(members.len());
            if let Some(key) = members.keys().nth(index).cloned() {
                members.remove(&key);
            }
        }
        Value::Object(members) => {
            let state_type = members.get("Type").and_then(Value::as_str).unwrap_or("").to_owned();
            let (field, field_value) = asl_field(rng, &state_type);
            members.insert(field.to_owned(), field_value);
        }
        Value::Array(items) if !items.is_empty() && rng.one_in(2) => {
            let copy = items[rng.below(items.len())].clone();
            items.push(copy);
        }
        Value::Array(items) => {
            items.pop();
        }
        Value::Null => *value = json!("$"),
    }
}

/// The JSON Pointer of every state in a definition, at any depth (Parallel branches, Map processors).
fn state_pointers(definition: &Value) -> Vec<String> {
    let mut pointers = Vec::new();
    let mut stack = vec![(String::new(), definition)];
    while let Some((at, value)) = stack.pop() {
        match value {
            Value::Object(members) => {
                for (key, member) in members {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    let path = format!("{at}/{escaped}");
                    if at.ends_with("/States") && member.is_object() {
                        pointers.push(path.clone());
                    }
                    stack.push((path, member));
                }
            }
            Value::Array(items) => stack.extend(items.iter().enumerate().map(|(i, item)| (format!("{at}/{i}"), item))),
            _ => {}
        }
    }
    if pointers.is_empty() {
        pointers.push(String::new());
    }
    pointers
}

/// Every state name in a definition, at any depth.
fn state_names(definition: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![definition];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(members) => {
                if let Some(Value::Object(states)) = members.get("States") {
                    names.extend(states.keys().cloned());
                }
                stack.extend(members.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    names
}

/// The seed definitions and their inputs: every case of the engine's golden histories and the README's example.
fn corpus() -> &'static [(String, Value, Value)] {
    static CORPUS: OnceLock<Vec<(String, Value, Value)>> = OnceLock::new();
    CORPUS.get_or_init(load_corpus)
}

fn load_corpus() -> Vec<(String, Value, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut corpus = Vec::new();
    let cases = std::fs::read_dir(root.join("crates/engine/test_data/executions")).expect("the engine's cases");
    let mut files: Vec<_> = cases.filter_map(Result::ok).map(|entry| entry.path()).collect();
    files.sort();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let Ok(case) = serde_json::from_str::<Value>(&text) else { continue };
        let name = file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        corpus.push((name, case["definition"].clone(), case.get("input").cloned().unwrap_or(json!({}))));
    }
    let example = root.join("examples/orders");
    let definition = std::fs::read_to_string(example.join("workflow.asl.yaml")).ok().and_then(|text| asl_value(&text));
    let input = std::fs::read_to_string(example.join("input.json")).ok().and_then(|text| serde_json::from_str(&text).ok());
    if let (Some(definition), Some(input)) = (definition, input) {
        corpus.push(("examples/orders".to_owned(), definition, input));
    }
    corpus
}

/// A YAML definition as JSON: through the parser's own loader, so the seed is the value it would check.
fn asl_value(text: &str) -> Option<Value> {
    asl::source::load(text).ok().map(|(value, _)| value)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(message), _) => (*message).to_owned(),
        (_, Some(message)) => message.clone(),
        _ => "a panic".to_owned(),
    }
}

/// The largest character boundary of `text` at or before `at`.
fn floor(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}
