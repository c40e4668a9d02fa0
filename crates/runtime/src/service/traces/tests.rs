//! Spans read from histories that the engine writes (driven here with made-up task answers and timers fired at
//! once): which spans there are, how they nest, how they end, that batching and a replay after a restart change
//! nothing, and that a task's traceparent names its span.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use asl::Failure;
use engine::{Command, ExecutionInfo, HistoryEvent, TaskRequest, Trigger};

use super::ids;
use super::spans::{Attribute, Finished, Kind};
use super::{Sink, Traces, task_trace};

const ARN: &str = "arn:aws:states:us-east-1:123456789012:execution:orders:run-1";
const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:orders";
const START: i64 = 1_700_000_000_000;

/// An execution run by the engine: its events in the batches its triggers made, and the task requests it made.
struct Run {
    execution: engine::Execution,
    batches: Vec<Vec<HistoryEvent>>,
    requests: Vec<TaskRequest>,
    now: i64,
}

impl Run {
    /// Starts and drives an execution to its end, `answer` answering each task (by its request and how many times
    /// its state's task ran before).
    fn of(definition: &Value, answer: &dyn Fn(&TaskRequest, usize) -> Result<Value, Failure>) -> Run {
        let machine = asl::parse::parse_value(definition).expect("a valid machine");
        let info = ExecutionInfo {
            execution_arn: ARN.to_owned(),
            name: "run-1".to_owned(),
            state_machine_arn: MACHINE.to_owned(),
            state_machine_name: "orders".to_owned(),
            role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
            region: "us-east-1".to_owned(),
            express: false,
            version_arn: None,
            alias_arn: None,
        };
        let execution = engine::Execution::new(Arc::new(machine), info, engine::Limits::default());
        let mut run = Run { execution, batches: Vec::new(), requests: Vec::new(), now: START };
        let commands = run.apply(Trigger::Start { input: json!({"items": [1, 2, 3]}), now: START });
        run.drive(commands, answer);
        run
    }

    fn apply(&mut self, trigger: Trigger) -> Vec<Command> {
        let commands = self.execution.apply(trigger);
        self.batches.push(self.execution.take_events());
        commands
    }

    /// Performs commands until the execution ends or waits for nothing.
    fn drive(&mut self, commands: Vec<Command>, answer: &dyn Fn(&TaskRequest, usize) -> Result<Value, Failure>) {
        let mut queue: VecDeque<Command> = commands.into();
        while let Some(command) = queue.pop_front() {
            if !matches!(self.execution.status(), engine::Status::Running) {
                break;
            }
            self.now += 10;
            let trigger = match command {
                Command::InvokeTask(request) => {
                    let before = self.requests.iter().filter(|r| r.state_name == request.state_name).count();
                    self.requests.push(request.clone());
                    Trigger::TaskCompleted { task: request.task, outcome: answer(&request, before), now: self.now }
                }
                Command::StartTimer { timer, at } => {
                    self.now = self.now.max(at);
                    Trigger::TimerFired { timer, now: self.now }
                }
                Command::CancelTimer { .. } | Command::CancelTask { .. } => continue,
            };
            queue.extend(self.apply(trigger));
        }
    }

    fn events(&self) -> Vec<HistoryEvent> {
        self.batches.concat()
    }
}

fn record(trace_header: Option<&str>) -> store::Execution {
    store::Execution {
        arn: ARN.to_owned(),
        name: "run-1".to_owned(),
        state_machine_arn: MACHINE.to_owned(),
        input: "{}".to_owned(),
        trace_header: trace_header.map(str::to_owned),
        start: START,
        engine_version: engine::REPLAY_VERSION,
        ..crate::service::testing::execution()
    }
}

/// A sink that keeps what it is sent.
#[derive(Clone, Default)]
struct Memory(Arc<Mutex<Vec<Finished>>>);

impl Sink for Memory {
    fn send(&self, spans: Vec<Finished>) {
        self.0.lock().expect("memory lock").extend(spans);
    }

    fn flush(&self) -> Option<tokio::sync::oneshot::Receiver<()>> {
        None
    }
}

impl Memory {
    fn take(&self) -> Vec<Finished> {
        std::mem::take(&mut *self.0.lock().expect("memory lock"))
    }
}

fn traces() -> (Traces, Memory) {
    let memory = Memory::default();
    (Traces::to(Box::new(memory.clone())), memory)
}

/// The spans `batches` give, observed one batch at a time.
fn spans_of(record: &store::Execution, batches: &[Vec<HistoryEvent>]) -> Vec<Finished> {
    let (traces, memory) = traces();
    for batch in batches {
        traces.observe(record, batch);
    }
    memory.take()
}

fn text<'a>(span: &'a Finished, key: &str) -> Option<&'a str> {
    span.attributes.iter().find(|(own, _)| *own == key).and_then(|(_, value)| match value {
        Attribute::Text(text) => Some(text.as_str()),
        Attribute::Int(_) => None,
    })
}

fn named<'a>(spans: &'a [Finished], name: &str) -> Vec<&'a Finished> {
    spans.iter().filter(|span| span.name == name).collect()
}

fn one<'a>(spans: &'a [Finished], name: &str) -> &'a Finished {
    let found = named(spans, name);
    assert_eq!(found.len(), 1, "one span named {name} in {:#?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>());
    found[0]
}

/// Every span is in the trace, within its parent's time, and under a span of the trace (the execution's at the root).
fn check_tree(spans: &[Finished]) {
    let by_id: BTreeMap<[u8; 8], &Finished> = spans.iter().map(|span| (span.span_id, span)).collect();
    assert_eq!(by_id.len(), spans.len(), "span ids are unique");
    let roots: Vec<&Finished> = spans.iter().filter(|span| span.parent.is_none_or(|_| span.parent_remote)).collect();
    assert_eq!(roots.len(), 1, "one execution span");
    for span in spans {
        assert_eq!(span.trace_id, spans[0].trace_id);
        assert!(span.start <= span.end, "{span:?}");
        if let Some(parent) = span.parent.filter(|_| !span.parent_remote) {
            let parent = by_id.get(&parent).unwrap_or_else(|| panic!("the parent of {} is a span of the trace", span.name));
            assert!(parent.start <= span.start && span.end <= parent.end, "{} within {}", span.name, parent.name);
        }
    }
}

#[test]
fn a_run_gives_a_span_per_execution_state_and_task() {
    let definition = json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"ok": true}, "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Next": "Check", "Parameters": {
            "ApiEndpoint": "https://example.com", "Method": "GET",
            "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/1"}}},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Done"}], "Default": "Done"},
        "Done": {"Type": "Succeed"}}});
    let run = Run::of(&definition, &|_, _| Ok(json!({"ok": true})));
    let spans = spans_of(&record(None), &run.batches);
    check_tree(&spans);
    assert_eq!(spans.len(), 6, "{spans:#?}");
    let execution = one(&spans, "orders");
    assert_eq!(execution.span_id, ids::execution_span(ARN, 0));
    assert_eq!(execution.trace_id, ids::trace_id(ARN));
    assert_eq!((execution.parent, execution.error.as_deref()), (None, None));
    assert_eq!(text(execution, "baton.execution.arn"), Some(ARN));
    assert_eq!(text(execution, "aws.step_functions.state_machine.arn"), Some(MACHINE));
    assert_eq!(text(execution, "baton.execution.status"), Some("SUCCEEDED"));
    assert_eq!(execution.start, START);
    for (name, state_type) in [("Prepare", "Pass"), ("Call", "Task"), ("Check", "Choice"), ("Done", "Succeed")] {
        let state = one(&spans, name);
        assert_eq!(state.parent, Some(execution.span_id), "{name} is a top-level state");
        assert_eq!(text(state, "baton.state.type"), Some(state_type));
        assert_eq!(text(state, "baton.state.status"), Some("succeeded"));
        assert_eq!(state.kind, Kind::Internal);
    }
    let task = one(&spans, "http:invoke");
    assert_eq!(task.parent, Some(one(&spans, "Call").span_id));
    assert_eq!(task.kind, Kind::Client);
    assert_eq!(text(task, "baton.task.resource"), Some("invoke"));
    assert_eq!(text(task, "baton.task.status"), Some("succeeded"));
    // The task's request names the task's span: what a service downstream records as its parent is in the trace.
    let [request] = run.requests.as_slice() else { panic!("one task request") };
    let (traces, _) = traces();
    let trace = task_trace(Some(&traces), &record(None), request.scheduled_event.map(u64::from)).expect("a trace with traces on");
    assert_eq!((trace.trace_id, trace.span_id, trace.sampled), (task.trace_id, task.span_id, true));
}

#[test]
fn branches_go_under_their_parallel_and_iterations_under_their_map() {
    let definition = json!({"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Next": "Each", "ResultPath": null, "Branches": [
            {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "Next": "LeftCall"},
                "LeftCall": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}}},
            {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": true}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "End": true, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "g"}, "End": true}}}}}});
    let run = Run::of(&definition, &|_, _| Ok(json!({"Payload": 1})));
    let spans = spans_of(&record(None), &run.batches);
    check_tree(&spans);
    let both = one(&spans, "Both");
    for name in ["Left", "LeftCall", "Right"] {
        assert_eq!(one(&spans, name).parent, Some(both.span_id), "{name} runs in the Parallel");
    }
    assert_eq!(named(&spans, "lambda:invoke").iter().filter(|task| task.parent == Some(one(&spans, "LeftCall").span_id)).count(), 1);
    let each = one(&spans, "Each");
    let iterations = named(&spans, "Each iteration");
    assert_eq!(iterations.len(), 3);
    let mut indexes: Vec<i64> = Vec::new();
    for iteration in &iterations {
        assert_eq!(iteration.parent, Some(each.span_id));
        let Some((_, Attribute::Int(index))) = iteration.attributes.iter().find(|(key, _)| *key == "baton.map.index") else {
            panic!("an iteration has its index")
        };
        indexes.push(*index);
        let work: Vec<&Finished> = named(&spans, "Work").into_iter().filter(|work| work.parent == Some(iteration.span_id)).collect();
        assert_eq!(work.len(), 1, "each iteration runs its Work state");
        let calls = spans.iter().filter(|span| span.parent == Some(work[0].span_id)).count();
        assert_eq!(calls, 1, "each Work state calls its task once");
    }
    indexes.sort_unstable();
    assert_eq!(indexes, [0, 1, 2]);
    assert_eq!(spans.len(), 1 + 5 + 1 + 3 * 3, "{:#?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>());
}

#[test]
fn retries_and_caught_failures_end_as_they_went() {
    let definition = json!({"StartAt": "Flaky", "States": {
        "Flaky": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
            "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 1}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fallback"}], "Next": "Fallback"},
        "Fallback": {"Type": "Pass", "End": true}}});
    let run = Run::of(&definition, &|_, _| Err(Failure::new("Boom", "it broke")));
    let spans = spans_of(&record(None), &run.batches);
    check_tree(&spans);
    let flaky = one(&spans, "Flaky");
    let calls = named(&spans, "lambda:invoke");
    assert_eq!(calls.len(), 2, "the first call and its retry");
    for call in &calls {
        assert_eq!(call.parent, Some(flaky.span_id));
        assert_eq!(call.error.as_deref(), Some("Boom: it broke"));
        assert_eq!(text(call, "error.type"), Some("Boom"));
        assert_eq!(text(call, "baton.task.status"), Some("failed"));
    }
    assert!(calls[0].end <= calls[1].start, "the retry comes after the first call");
    assert_eq!(flaky.error.as_deref(), Some("Boom: it broke"), "a caught failure ends its state in error");
    assert_eq!(text(flaky, "baton.state.status"), Some("caught"));
    let fallback = one(&spans, "Fallback");
    assert_eq!(fallback.parent, flaky.parent, "the catcher is the failed state's sibling");
    assert!(flaky.end <= fallback.start);
    assert_eq!(one(&spans, "orders").error, None, "the execution succeeded");
}

#[test]
fn a_failure_fails_the_spans_it_ends() {
    let definition = json!({"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "Fails", "States": {"Fails": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f"}, "End": true}}},
            {"StartAt": "Waits", "States": {"Waits": {"Type": "Wait", "Seconds": 60, "End": true}}}]}}});
    let run = Run::of(&definition, &|_, _| Err(Failure::new("Order.Rejected", "no stock")));
    let spans = spans_of(&record(None), &run.batches);
    check_tree(&spans);
    let execution = one(&spans, "orders");
    assert_eq!(execution.error.as_deref(), Some("Order.Rejected: no stock"));
    assert_eq!(text(execution, "baton.execution.status"), Some("FAILED"));
    assert_eq!(one(&spans, "Fails").error.as_deref(), Some("Order.Rejected: no stock"));
    assert_eq!(one(&spans, "Both").error.as_deref(), Some("Order.Rejected: no stock"), "the branch's failure is the Parallel's");
    assert_eq!(one(&spans, "Waits").error, None, "the other branch was stopped, not failed");
}

#[test]
fn batches_do_not_change_the_spans() {
    let definition = json!({"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "End": true, "ItemProcessor": {
            "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "g"}, "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1}], "End": true}}}}}});
    let run = Run::of(&definition, &|_, attempt| if attempt % 2 == 0 { Err(Failure::new("Again", "once more")) } else { Ok(json!(1)) });
    let events = run.events();
    let sorted = |mut spans: Vec<Finished>| {
        spans.sort_by_key(|span| span.span_id);
        spans
    };
    let by_trigger = sorted(spans_of(&record(None), &run.batches));
    let whole = sorted(spans_of(&record(None), std::slice::from_ref(&events)));
    let one_by_one = sorted(spans_of(&record(None), &events.iter().map(|event| vec![event.clone()]).collect::<Vec<_>>()));
    check_tree(&by_trigger);
    assert_eq!(by_trigger, whole);
    assert_eq!(by_trigger, one_by_one);
    assert_eq!(named(&by_trigger, "Each iteration").len(), 3);
}

#[test]
fn a_replay_after_a_restart_continues_the_open_spans() {
    let definition = json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Next": "Both"},
        "Both": {"Type": "Parallel", "Next": "After", "Branches": [
            {"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 3600, "End": true}}},
            {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f"}, "End": true}}}]},
        "After": {"Type": "Pass", "End": true}}});
    let run = Run::of(&definition, &|_, _| Ok(json!({})));
    let record = record(None);
    let expected = spans_of(&record, &run.batches);
    check_tree(&expected);
    for cut in 1..run.batches.len() {
        let (before, after) = run.batches.split_at(cut);
        // The first server commits and exports what the batches before the cut end, then stops.
        let (first, first_spans) = traces();
        for batch in before {
            first.observe(&record, batch);
        }
        // The next one replays the history so far (recovery), then goes on.
        let (next, next_spans) = traces();
        next.prime(&record, &before.concat());
        assert!(next_spans.take().is_empty(), "a replay exports nothing");
        for batch in after {
            next.observe(&record, batch);
        }
        let mut spans = first_spans.take();
        spans.extend(next_spans.take());
        spans.sort_by_key(|span| span.span_id);
        let mut all = expected.clone();
        all.sort_by_key(|span| span.span_id);
        assert_eq!(spans, all, "cut after batch {cut}");
    }
    // Without the replay, what ends after the restart keeps its ids and the execution's start, and what opened before
    // it is lost.
    let (late, late_spans) = traces();
    let cut = run.batches.len() - 1;
    for batch in &run.batches[cut..] {
        late.observe(&record, batch);
    }
    let spans = late_spans.take();
    let execution = one(&spans, "orders");
    assert_eq!((execution.span_id, execution.start), (ids::execution_span(ARN, 0), START));
    assert!(spans.iter().all(|span| span.parent.is_none() || span.parent == Some(execution.span_id) || spans.iter().any(|p| Some(p.span_id) == span.parent)));
}

#[test]
fn a_redrive_continues_the_trace_with_a_span_of_its_own() {
    let definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}}});
    let mut run = Run::of(&definition, &|_, attempt| if attempt == 0 { Err(Failure::new("Boom", "first")) } else { Ok(json!(1)) });
    assert!(run.execution.redrivable());
    run.now += 1000;
    let first_run = run.batches.len();
    let commands = run.apply(Trigger::Redrive { now: run.now });
    run.drive(commands, &|_, _| Ok(json!(1)));
    assert!(matches!(run.execution.status(), engine::Status::Succeeded { .. }));
    let (traces, memory) = traces();
    let mut record = record(None);
    for (n, batch) in run.batches.iter().enumerate() {
        if n == first_run {
            record.redrive_count = 1;
            record.redrive_date = Some(run.now);
        }
        traces.observe(&record, batch);
    }
    let spans = memory.take();
    let executions = named(&spans, "orders");
    assert_eq!(executions.len(), 2);
    let (first, second) = (executions[0], executions[1]);
    assert_eq!((first.span_id, second.span_id), (ids::execution_span(ARN, 0), ids::execution_span(ARN, 1)));
    assert_eq!(first.trace_id, second.trace_id, "a redrive continues the trace");
    assert_eq!(second.links, [first.span_id]);
    assert!(first.error.is_some() && second.error.is_none());
    let calls = named(&spans, "Call");
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].parent, calls[1].parent), (Some(first.span_id), Some(second.span_id)));
}

#[test]
fn a_trace_header_sets_the_trace_and_the_executions_parent() {
    let definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"}, "End": true}}});
    let run = Run::of(&definition, &|_, _| Ok(json!(1)));
    let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let context = ids::parse(header).expect("a traceparent");
    let spans = spans_of(&record(Some(header)), &run.batches);
    check_tree(&spans);
    assert!(spans.iter().all(|span| span.trace_id == context.trace_id));
    let execution = one(&spans, "orders");
    assert_eq!((execution.parent, execution.parent_remote), (context.remote_parent, true));
    let (traces, _) = traces();
    let trace = task_trace(Some(&traces), &record(Some(header)), run.requests[0].scheduled_event.map(u64::from)).expect("a trace");
    assert_eq!((trace.trace_id, trace.span_id), (context.trace_id, one(&spans, "lambda:invoke").span_id));
    // Not sampled: nothing is exported, and tasks pass the flag on.
    let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    assert!(spans_of(&record(Some(unsampled)), &run.batches).is_empty());
    assert!(task_trace(Some(&traces), &record(Some(unsampled)), Some(2)).is_some_and(|trace| !trace.sampled));
}

#[test]
fn with_traces_off_a_task_passes_on_only_the_header_it_was_given() {
    assert_eq!(task_trace(None, &record(None), Some(2)), None);
    let header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let trace = task_trace(None, &record(Some(header)), Some(2)).expect("the header passes on");
    assert_eq!(trace.xray(), header);
    let rootless = task_trace(None, &record(Some("Root=1-5759e988-bd862e3fe1be46a994272793")), Some(2)).expect("a trace");
    assert_eq!(rootless.span_id, ids::execution_span(ARN, 0));
}

#[test]
fn a_run_started_before_the_first_batch_seen_still_ends() {
    // Started, then a Wait the server restarted in without replaying: the end still closes the execution's span.
    let run = Run::of(&json!({"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 5, "End": true}}}), &|_, _| Ok(json!({})));
    assert_eq!(run.batches.len(), 2);
    let spans = spans_of(&record(None), &run.batches[1..]);
    assert_eq!(named(&spans, "orders").len(), 1);
}
