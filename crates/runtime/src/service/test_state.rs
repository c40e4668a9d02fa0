//! TestState: runs one state once, through the engine, and reports what it did.
//!
//! The state (the whole `definition`, or the state `stateName` names in a whole state machine) is wrapped into a
//! one-state machine whose transition targets are placeholder `Succeed` states, so it validates and its `Next` keeps
//! its name. The engine runs it with the request's input and variables; its task is answered by the `mock`, else by
//! the service's resources (local functions, HTTP Tasks). A Wait state's timer fires at once. Only the tested state
//! runs: the report stops at the state it would go to (`nextState`).
//!
//! `check_request` refuses what AWS refuses before anything runs, and checks a mocked result against the output shape
//! of the call it stands for (`fieldValidationMode`, with botocore's models through `integrations::aws::check_mock`).
//!
//! Retry and Catch are decided here, not by the engine, because a test starts `retrierRetryCount` attempts in: the
//! state first runs with neither, and a failure is then `RETRIABLE` when the first retrier that matches it has
//! attempts left (`errorDetails.retryIndex`, and `retryBackoffIntervalSeconds` from `Retrier::delay_ms`, without
//! jitter), else `CAUGHT_ERROR` when a catcher matches it (the state runs once more with its catchers and the same
//! failure as its task's answer, so the engine computes the catcher's output, assignments and `Next`), else `FAILED`.
//!
//! A Parallel or Map state needs a mock and runs as a task answered by it: its branches or iterations do not run.
//! Before that, a Map's items, iteration inputs and batches are worked out by the engine (`map`), reading
//! `mapItemReaderData` where it has an `ItemReader`; `mapIterationFailureCount` failed iterations beyond its
//! tolerated thresholds fail it with `States.ExceedToleratedFailureThreshold`. `errorCausedByState` is checked (a
//! state inside the tested one, with a mocked error) and changes nothing else: the mocked error is the state's.
//!
//! `inspectionData` (DEBUG and TRACE) is computed from the engine's task request and result with `asl`'s public
//! paths and templates; TRACE adds an HTTP Task's request as `integrations::http` builds it (what its connection adds
//! only with `revealSecrets`) and its response, rebuilt from its result. `errorDetails` comes at every level. Of
//! `context`, honoured are `Execution.Id`, `Name`, `RoleArn`, `StartTime`, `StateMachine.Id`, `Name` and
//! `State.EnteredTime`; the engine builds the rest itself (`Execution.Input`, `State.RetryCount`, `Task`, `Map`).

mod map;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde_json::{Map as Object, Value, json};

use asl::model::{PathOrNull, QueryLanguage, ResultPath, State, StateKind, StateMachine, Task};
use asl::{Env, Failure};
use engine::{Command, EventDetails, ExecutionInfo, HistoryEvent, TaskRequest, Trigger};
use integrations::{http, lambda};

use crate::integration::{Kind, Routes};
use crate::service::{Error, Service, invalid_definition, names, now};

/// `TestState`.
#[derive(Debug, Clone, Default)]
pub struct TestStateRequest {
    /// A single state, or (with `state_name`) a whole state machine; JSON or YAML text.
    pub definition: String,
    pub state_name: Option<String>,
    /// Needed to test a Task state without a mock, as on AWS (Baton assumes no role).
    pub role_arn: Option<String>,
    /// JSON text; `None` is `{}`.
    pub input: Option<String>,
    pub inspection_level: InspectionLevel,
    /// Shows what a connection adds to an HTTP Task's request at TRACE; refused with a mock.
    pub reveal_secrets: bool,
    /// A JSON object of workflow variables the state sees.
    pub variables: Option<String>,
    /// A JSON Context object; only with a mock.
    pub context: Option<String>,
    pub mock: Option<Mock>,
    /// How a mocked result is checked against the output shape of the call it stands for.
    pub field_validation: FieldValidation,
    pub configuration: StateConfiguration,
}

/// `mock.fieldValidationMode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FieldValidation {
    /// Required members present, present members well typed.
    #[default]
    Strict,
    /// Present members well typed.
    Present,
    /// No check.
    None,
}

/// `stateConfiguration`: where the tested state stands in a run that the test does not make.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateConfiguration {
    /// Attempts already made by the retrier that matches the failure.
    pub retrier_retry_count: u32,
    /// The state inside a tested Map or Parallel state that the mocked error comes from.
    pub error_caused_by_state: Option<String>,
    /// How many of a tested Map's iterations failed: measured against its tolerated failure thresholds.
    pub map_iteration_failure_count: Option<u32>,
    /// What a tested Map's `ItemReader` reads, as its source holds it (an object's text, a listing as JSON).
    pub map_item_reader_data: Option<String>,
}

/// How much a test reports beyond its outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InspectionLevel {
    #[default]
    Info,
    Debug,
    Trace,
}

/// The answer a mock gives the state's task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mock {
    /// The task's result, as JSON text.
    Result(String),
    /// The task's failure.
    Error { error: String, cause: Option<String> },
}

/// What a test found.
#[derive(Debug, Clone, PartialEq)]
pub struct TestStateResult {
    pub status: TestStatus,
    /// The state's output (JSON text): when it succeeded, or a catcher's output.
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// Where the state goes next; `None` when it ends the workflow or fails.
    pub next_state: Option<String>,
    pub inspection: Option<Inspection>,
}

/// `TestExecutionStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    Succeeded,
    Failed,
    /// A retrier would retry the failure.
    Retriable,
    /// A catcher handled the failure.
    CaughtError,
}

/// `InspectionData`: each value JSON text, present when the state got that far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inspection {
    pub input: Option<String>,
    pub after_input_path: Option<String>,
    pub after_parameters: Option<String>,
    pub after_arguments: Option<String>,
    pub result: Option<String>,
    pub after_result_selector: Option<String>,
    pub after_result_path: Option<String>,
    /// The variables after the state: the request's, then the state's assignments.
    pub variables: Option<String>,
    pub request: Option<HttpRequest>,
    pub response: Option<HttpResponse>,
    pub error_details: Option<ErrorDetails>,
    /// A Map's items (JSON array text): after `ItemsPath`, or as its `ItemReader` read them (`after_items_pointer`
    /// when the reader has an `ItemsPointer`).
    pub after_items_path: Option<String>,
    pub after_items_pointer: Option<String>,
    /// A Map's iteration inputs after `ItemSelector`, when it has one.
    pub after_item_selector: Option<String>,
    /// A Map's batches, when it has an `ItemBatcher`.
    pub after_item_batcher: Option<String>,
    pub tolerated_failure_count: Option<u64>,
    pub tolerated_failure_percentage: Option<f64>,
    pub max_concurrency: Option<u64>,
}

/// An HTTP Task's request, as TRACE shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Option<String>,
    pub url: Option<String>,
    pub headers: Option<String>,
    pub body: Option<String>,
}

/// An HTTP Task's response, as TRACE shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status_code: Option<String>,
    pub status_message: Option<String>,
    pub headers: Option<String>,
    pub body: Option<String>,
}

/// `InspectionErrorDetails`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    pub catch_index: Option<u32>,
    pub retry_index: Option<u32>,
    pub retry_backoff_interval_seconds: Option<u64>,
}

/// The name a single-state definition runs under (another when one of its targets has it).
const DEFAULT_NAME: &str = "TestState";

/// The resource a mocked Parallel or Map state runs as.
const MOCKED: &str = "baton:test-state:mock";

/// Everything one engine run needs.
pub(super) struct Setup {
    pub(super) input: Value,
    pub(super) variables: Object<String, Value>,
    info: ExecutionInfo,
    now: i64,
    wait: bool,
}

/// What one engine run did.
pub(super) struct Run {
    pub(super) history: Vec<HistoryEvent>,
    request: Option<TaskRequest>,
    outcome: Option<Result<Value, Failure>>,
    /// The Map Runs it started (a distributed Map's).
    pub(super) map_runs: Vec<engine::MapRunInfo>,
}

/// How the tested state completed: its output, the state it goes to, and the variables it assigned.
pub(super) struct Exit {
    pub(super) output: String,
    next: Option<String>,
    assigned: Vec<(String, Value)>,
}

/// How the tested state's task is answered.
pub(super) enum Answerer<'a> {
    /// The mock's result (parsed) or error.
    Mock(&'a Result<Value, Failure>),
    Resources,
    Fail(Failure),
    /// Every call a Map's `ItemReader` makes, with `stateConfiguration.mapItemReaderData`.
    Reader(&'a str),
}

impl Service {
    /// Runs one state once and reports its outcome.
    pub async fn test_state(&self, request: TestStateRequest) -> Result<TestStateResult, Error> {
        let (name, state_value, language) = state_of(&request.definition, request.state_name.as_deref())?;
        let wrapper = wrap(&name, &state_value, language.as_deref());
        let machine = asl::parse::parse_value(&wrapper).map_err(invalid_definition)?;
        let state = machine.top().states.iter().find(|s| s.name == name).cloned().ok_or_else(|| {
            Error::Internal(format!("the wrapped state '{name}' is missing from its machine"))
        })?;
        let mocked = check_request(&state, &state_value, &request)?;
        let input = self.test_input(request.input.as_deref())?;
        let variables = match request.variables.as_deref() {
            None => Object::new(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(variables)) => variables,
                _ => return Err(Error::ValidationException("variables must be a JSON object".to_owned())),
            },
        };
        let context = match request.context.as_deref() {
            None => Object::new(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(context)) => context,
                _ => return Err(Error::ValidationException("context must be a JSON object".to_owned())),
            },
        };
        let setup = self.setup(&request, input, variables, &context, matches!(state.kind, StateKind::Wait(_)));
        let configuration = &request.configuration;
        // A Map's items and iteration inputs, worked out by the engine; the threshold its failed iterations cross.
        let mut early = None;
        let preview = match &state.kind {
            StateKind::Map(map) => {
                let data = configuration.map_item_reader_data.as_deref();
                let source = map::Source { name: &name, value: &state_value, language: language.as_deref() };
                let preview = self.preview_map(&source, &state, map, &setup, data).await?;
                early = preview.failure.clone();
                if let (None, Some(failed), Some(iterations)) = (&early, configuration.map_iteration_failure_count, preview.iterations) {
                    if usize::try_from(failed).unwrap_or(usize::MAX) > iterations {
                        return Err(Error::ValidationException(format!(
                            "mapIterationFailureCount ({failed}) exceeds the number of the Map's iterations ({iterations})"
                        )));
                    }
                    if map::exceeds(failed, iterations, preview.tolerated_count, preview.tolerated_percentage) {
                        early = Some(Failure::new(
                            asl::errors::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                            "The specified tolerated failure threshold was exceeded",
                        ));
                    }
                }
                if early.is_none() && preview.iterations.is_none() && configuration.map_iteration_failure_count.is_some() {
                    return Err(Error::ValidationException(
                        "stateConfiguration.mapIterationFailureCount needs the Map's items: give \
                         stateConfiguration.mapItemReaderData for its ItemReader"
                            .to_owned(),
                    ));
                }
                Some(preview)
            }
            _ => None,
        };
        let (retriers, catchers) = handlers(&state);
        let bare = Arc::new(with_handlers(&machine, &name, false));
        let answerer = match &mocked {
            Some(answer) => Answerer::Mock(answer),
            None => Answerer::Resources,
        };
        let http = integrations::http::Options {
            connections: self.inner.config.resources.http.connections.clone(),
            ..integrations::http::Options::default()
        };
        let first = match early {
            // The Map failed before its iterations: nothing was asked of the mock.
            Some(_) => Run { history: Vec::new(), request: None, outcome: None, map_runs: Vec::new() },
            None => self.run(bare, &setup, &answerer).await,
        };
        let secrets = Secrets { reveal: request.reveal_secrets, http };
        let mut report = Report::new(&setup, &state, &first, request.inspection_level, secrets);
        if let Some(preview) = &preview {
            report.map(&state, preview);
        }
        let failure = match early {
            Some(failure) => failure,
            None => {
                if let Some(exit) = exited(&first.history, &name) {
                    report.succeed(exit);
                    return Ok(report.finish());
                }
                failed(&first.history)
                    .ok_or_else(|| Error::Internal(format!("the state '{name}' neither completed nor failed")))?
            }
        };
        let retry_count = configuration.retrier_retry_count;
        if let Some((index, retrier)) = retriers.iter().enumerate().find(|(_, r)| r.error_equals.iter().any(|e| failure.matches(e)))
            && retry_count < retrier.max_attempts
        {
            let backoff = retrier.delay_ms(retry_count.saturating_add(1)) / 1000;
            report.retriable(&failure, index, backoff);
            return Ok(report.finish());
        }
        if let Some(index) = catchers.iter().position(|c| c.error_equals.iter().any(|e| failure.matches(e))) {
            let catching = Arc::new(with_handlers(&machine, &name, true));
            let second = self.run(catching, &setup, &Answerer::Fail(failure.clone())).await;
            if let Some(exit) = exited(&second.history, &name) {
                report.caught(&failure, index, exit);
                return Ok(report.finish());
            }
            // The catcher itself failed (its ResultPath, Output or Assign): that failure is the state's.
            let failure = failed(&second.history).unwrap_or(failure);
            report.fail(&failure);
            return Ok(report.finish());
        }
        report.fail(&failure);
        Ok(report.finish())
    }

    fn test_input(&self, text: Option<&str>) -> Result<Value, Error> {
        let text = text.unwrap_or("{}");
        let limit = self.inner.config.limits.max_payload_bytes;
        if text.len() > limit {
            return Err(Error::InvalidExecutionInput(format!("Input exceeds the maximum size of {limit} bytes")));
        }
        crate::service::check_nesting(text)?;
        serde_json::from_str(text).map_err(|e| Error::InvalidExecutionInput(format!("Invalid State Input: '{e}'")))
    }

    /// Who the test execution is: a fresh identity, with what the request's Context object says instead.
    fn setup(
        &self,
        request: &TestStateRequest,
        input: Value,
        variables: Object<String, Value>,
        context: &Object<String, Value>,
        wait: bool,
    ) -> Setup {
        let field = |object: &str, key: &str| {
            context.get(object).and_then(|o| o.get(key)).and_then(Value::as_str).map(str::to_owned)
        };
        let machine_name = field("StateMachine", "Name").unwrap_or_else(|| DEFAULT_NAME.to_owned());
        let execution_name = field("Execution", "Name").unwrap_or_else(names::uuid);
        let region = self.region();
        let info = ExecutionInfo {
            execution_arn: field("Execution", "Id")
                .unwrap_or_else(|| self.arn(&format!("execution:{machine_name}:{execution_name}"))),
            name: execution_name,
            state_machine_arn: field("StateMachine", "Id")
                .unwrap_or_else(|| self.arn(&format!("stateMachine:{machine_name}"))),
            state_machine_name: machine_name,
            role_arn: field("Execution", "RoleArn").or_else(|| request.role_arn.clone()).unwrap_or_default(),
            region: region.to_owned(),
            express: false,
            version_arn: None,
            alias_arn: None,
        };
        let time = |object: &str, key: &str| field(object, key).as_deref().and_then(asl::parse::parse_timestamp);
        let now = time("State", "EnteredTime").or_else(|| time("Execution", "StartTime")).unwrap_or_else(now);
        Setup { input, variables, info, now, wait }
    }

    /// Runs the wrapped machine until the tested state is done: its task answered once, a Wait's timer fired.
    async fn run(&self, machine: Arc<StateMachine>, setup: &Setup, answerer: &Answerer<'_>) -> Run {
        let limits = self.inner.config.limits.clone();
        let mut execution =
            engine::Execution::new(machine, setup.info.clone(), limits).with_variables(setup.variables.clone());
        let mut commands = execution.apply(Trigger::Start { input: setup.input.clone(), now: setup.now });
        let (mut request, mut outcome) = (None, None);
        let mut fired = false;
        loop {
            let mut next = None;
            for command in commands {
                match command {
                    Command::InvokeTask(task) if request.is_none() || matches!(answerer, Answerer::Reader(_)) => {
                        let answer = self.answer(&setup.info.execution_arn, &task, answerer).await;
                        next = Some(Trigger::TaskCompleted { task: task.task, outcome: answer.clone(), now: setup.now });
                        outcome = Some(answer);
                        request = Some(task);
                    }
                    Command::StartTimer { timer, at } if setup.wait && !fired && next.is_none() => {
                        fired = true;
                        next = Some(Trigger::TimerFired { timer, now: at });
                    }
                    _ => {}
                }
            }
            match next {
                Some(trigger) => commands = execution.apply(trigger),
                None => break,
            }
        }
        Run { history: execution.history().to_vec(), request, outcome, map_runs: execution.map_runs().to_vec() }
    }

    /// The tested state's task answer.
    async fn answer(&self, execution_arn: &str, task: &TaskRequest, answerer: &Answerer<'_>) -> Result<Value, Failure> {
        match answerer {
            Answerer::Mock(answer) => (*answer).clone(),
            Answerer::Fail(failure) => Err(failure.clone()),
            Answerer::Reader(data) => read_answer(&task.resource, data, &task.parameters),
            Answerer::Resources => {
                let resources = self.inner.config.resources.clone();
                let integration = Routes::default().get(&task.resource);
                let (arn, task) = (execution_arn.to_owned(), task.clone());
                match integration.kind() {
                    Kind::Activity | Kind::Child => Err(Failure::new(
                        asl::errors::TASK_FAILED,
                        format!("TestState does not run the task of state '{}' ({}): give it a mock", task.state_name, task.resource),
                    )),
                    Kind::Job => match integration.invoke(resources.clone(), arn.clone(), task.clone(), None).await {
                        Ok(started) => integration.wait(resources, arn, task, started, None).await,
                        Err(failure) => Err(failure),
                    },
                    Kind::Request | Kind::Unknown => integration.invoke(resources, arn, task, None).await,
                }
            }
        }
    }
}

/// How TRACE shows an HTTP Task's request: with the connections the service knows, and whether their secrets show.
struct Secrets {
    reveal: bool,
    http: integrations::http::Options,
}

/// Builds the response as the test learns its outcome.
struct Report {
    result: TestStateResult,
    inspection: Inspection,
    level: InspectionLevel,
    variables: Object<String, Value>,
    state: State,
    input: Value,
    context: Value,
    trace_http: bool,
    secrets: Secrets,
}

impl Report {
    fn new(setup: &Setup, state: &State, run: &Run, level: InspectionLevel, secrets: Secrets) -> Report {
        let context = context(setup, state);
        let mut report = Report {
            result: TestStateResult {
                status: TestStatus::Failed,
                output: None,
                error: None,
                cause: None,
                next_state: None,
                inspection: None,
            },
            inspection: Inspection::default(),
            level,
            variables: setup.variables.clone(),
            state: state.clone(),
            input: setup.input.clone(),
            context,
            trace_http: false,
            secrets,
        };
        report.data_flow(run);
        report
    }

    /// The intermediate values of the state's data flow, as far as the run got.
    fn data_flow(&mut self, run: &Run) {
        let i = &mut self.inspection;
        i.input = Some(self.input.to_string());
        let vars = &self.variables;
        let random = || 0;
        let jsonata = self.state.query_language == QueryLanguage::Jsonata;
        let effective = if jsonata {
            None
        } else {
            match &self.state.input_path {
                None => Some(self.input.clone()),
                Some(PathOrNull::Null) => Some(json!({})),
                Some(PathOrNull::Path(path)) => {
                    path.select(&Env { input: &self.input, context: &self.context, vars, random: &random }).ok()
                }
            }
        };
        i.after_input_path = effective.as_ref().map(Value::to_string);
        let (selector, result_path): (Option<&asl::template::Template>, Option<&ResultPath>) = match &self.state.kind {
            StateKind::Task(task) => (task.result_selector.as_ref(), Some(&task.result_path)),
            StateKind::Pass(pass) => (None, Some(&pass.result_path)),
            StateKind::Parallel(parallel) => (parallel.result_selector.as_ref(), Some(&parallel.result_path)),
            StateKind::Map(map) => (map.result_selector.as_ref(), Some(&map.result_path)),
            _ => (None, None),
        };
        // The state's work: its task's request and answer, or a Pass state's result.
        let result: Option<Value> = match (&self.state.kind, &run.request) {
            (StateKind::Task(_), Some(request)) => {
                let parameters = request.parameters.to_string();
                if jsonata {
                    i.after_arguments = Some(parameters);
                } else {
                    i.after_parameters = Some(parameters);
                }
                self.trace_http = http::is_http(&request.resource);
                run.outcome.as_ref().and_then(|outcome| outcome.as_ref().ok().cloned())
            }
            // A Parallel or Map state's mocked result stands for its branches' or iterations' results.
            (StateKind::Parallel(_) | StateKind::Map(_), Some(request)) => {
                if let StateKind::Parallel(parallel) = &self.state.kind
                    && parallel.arguments.is_some()
                {
                    let parameters = request.parameters.to_string();
                    if jsonata {
                        i.after_arguments = Some(parameters);
                    } else {
                        i.after_parameters = Some(parameters);
                    }
                }
                run.outcome.as_ref().and_then(|outcome| outcome.as_ref().ok().cloned())
            }
            (StateKind::Pass(pass), _) if !jsonata => {
                let parameters = match (&pass.parameters, &effective) {
                    (Some(template), Some(effective)) => template
                        .evaluate(&Env { input: effective, context: &self.context, vars, random: &random })
                        .ok(),
                    (None, effective) => effective.clone(),
                    (Some(_), None) => None,
                };
                i.after_parameters = parameters.as_ref().map(Value::to_string);
                pass.result.clone().or(parameters)
            }
            _ => None,
        };
        i.result = result.as_ref().map(Value::to_string);
        if jsonata {
            return;
        }
        let Some(result) = result else { return };
        let Some(result_path) = result_path else { return };
        let selected = match selector {
            Some(template) => template.evaluate(&Env { input: &result, context: &self.context, vars, random: &random }).ok(),
            None => Some(result),
        };
        if matches!(self.state.kind, StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)) {
            i.after_result_selector = selected.as_ref().map(Value::to_string);
        }
        let merged = selected.and_then(|selected| match result_path {
            ResultPath::Replace => Some(selected),
            ResultPath::Discard => Some(self.input.clone()),
            ResultPath::At(path) => path.write(self.input.clone(), selected).ok(),
        });
        i.after_result_path = merged.as_ref().map(Value::to_string);
    }

    /// A Map's stages before its iterations.
    fn map(&mut self, state: &State, preview: &map::Preview) {
        let i = &mut self.inspection;
        let text = |value: &Option<Value>| value.as_ref().map(Value::to_string);
        let reads = matches!(&state.kind, StateKind::Map(m) if m.item_reader.is_some());
        // AWS documents afterItemsPath as JSONPath's; JSONata's `Items` has no stage of its own.
        if reads || state.query_language != QueryLanguage::Jsonata {
            i.after_items_path = text(&preview.items);
        }
        i.after_item_selector = text(&preview.selected);
        i.after_item_batcher = text(&preview.batches);
        i.max_concurrency = preview.max_concurrency;
        i.tolerated_failure_count = preview.tolerated_count;
        i.tolerated_failure_percentage = preview.tolerated_percentage;
    }

    fn succeed(&mut self, exit: Exit) {
        self.result.status = TestStatus::Succeeded;
        self.exit(exit);
    }

    fn retriable(&mut self, failure: &Failure, index: usize, backoff_seconds: u64) {
        self.result.status = TestStatus::Retriable;
        self.set_failure(failure);
        self.inspection.error_details = Some(ErrorDetails {
            retry_index: u32::try_from(index).ok(),
            retry_backoff_interval_seconds: Some(backoff_seconds),
            ..ErrorDetails::default()
        });
    }

    fn caught(&mut self, failure: &Failure, index: usize, exit: Exit) {
        self.result.status = TestStatus::CaughtError;
        self.set_failure(failure);
        self.exit(exit);
        // What a caught state passes on is the catcher's output; the data flow stopped at the failure.
        self.inspection.after_result_selector = None;
        self.inspection.after_result_path = None;
        self.inspection.error_details = Some(ErrorDetails { catch_index: u32::try_from(index).ok(), ..ErrorDetails::default() });
    }

    fn fail(&mut self, failure: &Failure) {
        self.result.status = TestStatus::Failed;
        self.set_failure(failure);
    }

    fn set_failure(&mut self, failure: &Failure) {
        self.result.error = (!failure.error.is_empty()).then(|| failure.error.clone());
        self.result.cause = failure.cause.clone();
        if self.result.status != TestStatus::Succeeded {
            self.inspection.after_result_selector = None;
            self.inspection.after_result_path = None;
        }
    }

    fn exit(&mut self, exit: Exit) {
        self.result.output = Some(exit.output);
        self.result.next_state = exit.next;
        for (name, value) in exit.assigned {
            self.variables.insert(name, value);
        }
    }

    fn finish(mut self) -> TestStateResult {
        let mut inspection = match self.level {
            InspectionLevel::Info => Inspection { error_details: self.inspection.error_details.take(), ..Inspection::default() },
            InspectionLevel::Debug | InspectionLevel::Trace => {
                let mut inspection = std::mem::take(&mut self.inspection);
                if !self.variables.is_empty() {
                    inspection.variables = Some(Value::Object(self.variables.clone()).to_string());
                }
                inspection
            }
        };
        if self.level == InspectionLevel::Trace && self.trace_http {
            let parameters = inspection.after_parameters.clone().or_else(|| inspection.after_arguments.clone());
            let parameters: Option<Value> = parameters.and_then(|text| serde_json::from_str(&text).ok());
            // A connection's credentials and parameters are secrets: shown only with `revealSecrets`.
            let connections = if self.secrets.reveal { self.secrets.http.connections.clone() } else { Default::default() };
            inspection.request = parameters.as_ref().map(|parameters| http_request(parameters, &connections));
            // A 2xx answer is the result; any other is the failure's cause, as JSON text.
            let answer: Option<Value> = match (&inspection.result, &self.result.cause) {
                (Some(result), _) => serde_json::from_str(result).ok(),
                (None, Some(cause)) if self.result.error.as_deref().is_some_and(|e| e.starts_with("States.Http.StatusCode.")) => {
                    serde_json::from_str(cause).ok()
                }
                _ => None,
            };
            inspection.response = answer.as_ref().map(http_response);
        }
        if inspection != Inspection::default() {
            self.result.inspection = Some(inspection);
        }
        self.result
    }
}

/// Finds the state to test: the definition itself, or the state `state_name` names in it. Returns its name, its
/// JSON and the machine's `QueryLanguage`, if it says one.
fn state_of(definition: &str, state_name: Option<&str>) -> Result<(String, Value, Option<String>), Error> {
    let (value, _) = asl::source::load(definition)
        .map_err(|d| Error::InvalidDefinition(format!("Invalid State Machine Definition: '{}: {}'", d.code, d.message)))?;
    let Some(state_name) = state_name else {
        if value.get("Type").and_then(Value::as_str).is_none() {
            return Err(Error::InvalidDefinition(
                "Invalid State Machine Definition: 'the definition must be a state with a Type, or a state machine \
                 with a stateName to test'"
                    .to_owned(),
            ));
        }
        let targets = targets(&value);
        let mut name = DEFAULT_NAME.to_owned();
        let mut n = 1;
        while targets.contains(&name) {
            name = format!("{DEFAULT_NAME}-{n}");
            n += 1;
        }
        return Ok((name, value, None));
    };
    asl::parse::parse_value(&value).map_err(invalid_definition)?;
    let language = value.get("QueryLanguage").and_then(Value::as_str).map(str::to_owned);
    let state = find_state(&value, state_name).ok_or_else(|| {
        Error::ValidationException(format!("the state machine has no state named '{state_name}'"))
    })?;
    Ok((state_name.to_owned(), state.clone(), language))
}

/// The state `name` anywhere in a machine: its top level, Parallel branches and Map processors.
fn find_state<'a>(workflow: &'a Value, name: &str) -> Option<&'a Value> {
    let states = workflow.get("States")?.as_object()?;
    if let Some(state) = states.get(name) {
        return Some(state);
    }
    states.values().find_map(|state| {
        let branches = state.get("Branches").and_then(Value::as_array).into_iter().flatten();
        let processors = ["ItemProcessor", "Iterator"].into_iter().filter_map(|key| state.get(key));
        branches.chain(processors).find_map(|inner| find_state(inner, name))
    })
}

/// The names a state transitions to: `Next`, `Default`, its Choice rules' and its catchers' `Next`.
fn targets(state: &Value) -> Vec<String> {
    let mut names = Vec::new();
    let mut add = |value: Option<&Value>| {
        if let Some(name) = value.and_then(Value::as_str)
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_owned());
        }
    };
    add(state.get("Next"));
    add(state.get("Default"));
    for key in ["Choices", "Catch"] {
        for rule in state.get(key).and_then(Value::as_array).into_iter().flatten() {
            add(rule.get("Next"));
        }
    }
    names
}

/// A machine of the state `name` and a placeholder `Succeed` state for each of its targets.
fn wrap(name: &str, state: &Value, language: Option<&str>) -> Value {
    let mut states = Object::new();
    states.insert(name.to_owned(), state.clone());
    for target in targets(state) {
        if target != name {
            states.insert(target, json!({"Type": "Succeed"}));
        }
    }
    let mut machine = Object::new();
    if let Some(language) = language {
        machine.insert("QueryLanguage".into(), language.into());
    }
    machine.insert("StartAt".into(), name.into());
    machine.insert("States".into(), Value::Object(states));
    Value::Object(machine)
}

/// The machine with the tested state's retriers removed, and its catchers too unless `catch`. A Parallel or Map
/// state becomes a task (answered by its mock) with the same input and output processing.
fn with_handlers(machine: &StateMachine, name: &str, catch: bool) -> StateMachine {
    let mut machine = machine.clone();
    let Some(state) = machine.workflows.first_mut().and_then(|top| top.states.iter_mut().find(|s| s.name == name)) else {
        return machine;
    };
    let task = match &state.kind {
        StateKind::Parallel(p) => Some(Task {
            resource: MOCKED.to_owned(),
            arguments: p.arguments.clone(),
            result_selector: p.result_selector.clone(),
            result_path: p.result_path.clone(),
            timeout: None,
            heartbeat: None,
            credentials: None,
            retry: p.retry.clone(),
            catch: p.catch.clone(),
            transition: p.transition,
        }),
        StateKind::Map(m) => Some(Task {
            resource: MOCKED.to_owned(),
            arguments: None,
            result_selector: m.result_selector.clone(),
            result_path: m.result_path.clone(),
            timeout: None,
            heartbeat: None,
            credentials: None,
            retry: m.retry.clone(),
            catch: m.catch.clone(),
            transition: m.transition,
        }),
        _ => None,
    };
    if let Some(task) = task {
        state.kind = StateKind::Task(task);
    }
    if let StateKind::Task(task) = &mut state.kind {
        task.retry.clear();
        if !catch {
            task.catch.clear();
        }
    }
    machine
}

/// The state's retriers and catchers.
fn handlers(state: &State) -> (Vec<asl::model::Retrier>, Vec<asl::model::Catcher>) {
    match &state.kind {
        StateKind::Task(s) => (s.retry.clone(), s.catch.clone()),
        StateKind::Parallel(s) => (s.retry.clone(), s.catch.clone()),
        StateKind::Map(s) => (s.retry.clone(), s.catch.clone()),
        _ => (Vec::new(), Vec::new()),
    }
}

/// Refuses what TestState refuses, and returns the mock's answer: its result (parsed, and checked against the
/// output shape of the call it stands for) or its error.
///
/// AWS's messages where they are known (a mock for a state without a task, a Map or Parallel state without a mock, a
/// Task state without a role or a mock, `revealSecrets` with a mock, a result that is not JSON or not the array a Map
/// or Parallel state returns, a result of the wrong shape); the others say what is wrong in Baton's words.
fn check_request(state: &State, state_value: &Value, request: &TestStateRequest) -> Result<Option<Result<Value, Failure>>, Error> {
    let refuse = |message: String| Err(Error::ValidationException(message));
    let configuration = &request.configuration;
    let is_map = matches!(state.kind, StateKind::Map(_));
    if !is_map && configuration.map_iteration_failure_count.is_some() {
        return refuse("stateConfiguration.mapIterationFailureCount can only be given to test a Map state".to_owned());
    }
    if !is_map && configuration.map_item_reader_data.is_some() {
        return refuse("stateConfiguration.mapItemReaderData can only be given to test a Map state".to_owned());
    }
    if let StateKind::Map(map) = &state.kind
        && configuration.map_item_reader_data.is_some()
        && map.item_reader.is_none()
    {
        return refuse("stateConfiguration.mapItemReaderData can only be given for a Map state with an ItemReader".to_owned());
    }
    if let Some(inner) = &configuration.error_caused_by_state {
        let fanout = matches!(state.kind, StateKind::Map(_) | StateKind::Parallel(_));
        if !fanout || !matches!(request.mock, Some(Mock::Error { .. })) {
            return refuse(
                "stateConfiguration.errorCausedByState can only be given with a mocked error (mock.errorOutput) for a \
                 Map or Parallel state"
                    .to_owned(),
            );
        }
        if !inside(state_value, inner) {
            return refuse(format!("stateConfiguration.errorCausedByState names no state inside '{}': '{inner}'", state.name));
        }
    }
    let Some(mock) = &request.mock else {
        if request.context.is_some() {
            return refuse("context can only be given with a mock".to_owned());
        }
        return match &state.kind {
            StateKind::Parallel(_) | StateKind::Map(_) => Err(Error::InvalidDefinition(
                "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, \
                 Pass, Succeed, Fail, Choice]"
                    .to_owned(),
            )),
            StateKind::Task(_) if request.role_arn.is_none() => refuse("RoleArn must be specified when testing a Task state".to_owned()),
            StateKind::Task(task) => {
                let resource = task.resource.as_str();
                let callable = (lambda::is_lambda(resource) || http::is_http(resource))
                    && !resource.ends_with(".waitForTaskToken")
                    && !resource.ends_with(".sync")
                    && !crate::integration::is_start_execution(resource);
                if callable {
                    Ok(None)
                } else {
                    refuse(format!(
                        "Baton cannot call the resource '{resource}' in a test: give a mock (mock.result or \
                         mock.errorOutput), or use a local function or an HTTP Task"
                    ))
                }
            }
            _ => Ok(None),
        };
    };
    if !matches!(state.kind, StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)) {
        return refuse(format!("State type '{}' is not supported when a mock is specified", state.kind.type_name()));
    }
    if request.reveal_secrets {
        return refuse("TestState does not support RevealSecrets when a mock is specified.".to_owned());
    }
    let text = match mock {
        Mock::Error { error, cause } => return Ok(Some(Err(Failure { error: error.clone(), cause: cause.clone() }))),
        Mock::Result(text) => text,
    };
    let Ok(result) = serde_json::from_str::<Value>(text) else {
        return refuse("Mocked result must be valid JSON".to_owned());
    };
    match &state.kind {
        StateKind::Map(map) if map.result_writer.is_some() && !result.is_object() => {
            return refuse("Mocked result must be a JSON object.".to_owned());
        }
        StateKind::Map(map) if map.result_writer.is_none() && !result.is_array() => {
            return refuse("Mocked result must be an array.".to_owned());
        }
        StateKind::Parallel(_) if !result.is_array() => return refuse("Mocked result must be an array.".to_owned()),
        StateKind::Task(task) => {
            let strictness = match request.field_validation {
                FieldValidation::Strict => Some(integrations::Strictness::Required),
                FieldValidation::Present => Some(integrations::Strictness::Present),
                FieldValidation::None => None,
            };
            if let Some(strictness) = strictness
                && let Err(problem) = integrations::aws::check_mock(&task.resource, &result, strictness)
            {
                return refuse(problem);
            }
        }
        _ => {}
    }
    Ok(Some(Ok(result)))
}

/// Whether a state named `name` is inside the Map or Parallel state `state` (its JSON), at any depth.
fn inside(state: &Value, name: &str) -> bool {
    let branches = state.get("Branches").and_then(Value::as_array).into_iter().flatten();
    let processors = ["ItemProcessor", "Iterator"].into_iter().filter_map(|key| state.get(key));
    branches.chain(processors).any(|workflow| find_state(workflow, name).is_some())
}

/// The answer to a Map's `ItemReader` call, made of `data` as its source holds it: an object's content (the whole of
/// it, whatever `Range` asks: it is at most 256 KiB), or a listing (a JSON array of objects, or a whole
/// `ListObjectsV2` page).
fn read_answer(resource: &str, data: &str, parameters: &Value) -> Result<Value, Failure> {
    if resource.ends_with(":listObjectsV2") {
        return match serde_json::from_str::<Value>(data) {
            Ok(Value::Array(contents)) => Ok(json!({"Contents": contents})),
            Ok(Value::Object(page)) => Ok(Value::Object(page)),
            _ => Err(Failure::new(
                asl::errors::ITEM_READER_FAILED,
                "stateConfiguration.mapItemReaderData must be a JSON array of objects (or a ListObjectsV2 page) for a \
                 listObjectsV2 reader",
            )),
        };
    }
    let total = data.len();
    let mut answer = json!({"ContentLength": total});
    if total > 0 {
        answer["Body"] = json!(data);
    }
    if parameters.get("Range").is_some() && total > 0 {
        answer["ContentRange"] = json!(format!("bytes 0-{}/{total}", total - 1));
    }
    Ok(answer)
}

/// The output, next state and assignments of the state `name`, if it completed.
fn exited(history: &[HistoryEvent], name: &str) -> Option<Exit> {
    let at = history.iter().position(|e| matches!(&e.details, EventDetails::StateExited { name: n, .. } if n == name))?;
    let EventDetails::StateExited { output, assigned, .. } = &history.get(at)?.details else { return None };
    let next = history.iter().skip(at + 1).find_map(|e| match &e.details {
        EventDetails::StateEntered { name, .. } => Some(name.clone()),
        _ => None,
    });
    let assigned = assigned
        .iter()
        .flatten()
        .map(|(name, text)| (name.clone(), serde_json::from_str(text).unwrap_or(Value::Null)))
        .collect();
    Some(Exit { output: output.clone(), next, assigned })
}

/// The failure that ended the run, if it failed.
fn failed(history: &[HistoryEvent]) -> Option<Failure> {
    history.iter().rev().find_map(|e| match &e.details {
        EventDetails::ExecutionFailed(details) => {
            Some(Failure { error: details.error.clone().unwrap_or_default(), cause: details.cause.clone() })
        }
        _ => None,
    })
}

/// The Context object the state sees, for recomputing its data flow (the engine builds its own, the same way).
fn context(setup: &Setup, state: &State) -> Value {
    let time = engine::format_timestamp(setup.now);
    let mut state_object = json!({"EnteredTime": time, "Name": state.name});
    if matches!(state.kind, StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)) {
        state_object["RetryCount"] = 0.into();
    }
    json!({
        "Execution": {
            "Id": setup.info.execution_arn,
            "Input": setup.input,
            "Name": setup.info.name,
            "RoleArn": setup.info.role_arn,
            "StartTime": time,
            "RedriveCount": 0,
        },
        "State": state_object,
        "StateMachine": {"Id": setup.info.state_machine_arn, "Name": setup.info.state_machine_name},
    })
}

/// An HTTP Task's request from its effective parameters, as it is sent: with what `connections` add to it, and the
/// content type its body gets. Parameters it would refuse are shown as given.
fn http_request(parameters: &Value, connections: &integrations::connections::Connections) -> HttpRequest {
    if let Ok(prepared) = http::prepare(parameters, connections) {
        let headers: Object<String, Value> = prepared.headers.into_iter().map(|(name, value)| (name, Value::String(value))).collect();
        return HttpRequest {
            method: Some(prepared.method),
            url: Some(prepared.url),
            headers: (!headers.is_empty()).then(|| Value::Object(headers).to_string()),
            body: prepared.body,
        };
    }
    let text = |key: &str| parameters.get(key).and_then(Value::as_str).map(str::to_owned);
    HttpRequest {
        method: text("Method"),
        url: text("ApiEndpoint"),
        headers: parameters.get("Headers").map(Value::to_string),
        body: parameters.get("RequestBody").map(|body| match body {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }),
    }
}

/// An HTTP Task's response from its result (`{Headers, ResponseBody, StatusCode, StatusText}`).
fn http_response(result: &Value) -> HttpResponse {
    HttpResponse {
        status_code: result.get("StatusCode").map(|code| match code {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }),
        status_message: result.get("StatusText").and_then(Value::as_str).map(str::to_owned),
        headers: result.get("Headers").map(Value::to_string),
        body: result.get("ResponseBody").map(|body| match body {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }),
    }
}

