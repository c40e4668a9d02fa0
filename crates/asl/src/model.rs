//! The state machine model: what a validated definition means, with names resolved to indexes.
//!
//! A definition's nested workflows (the top level, each Parallel branch, each Map processor) are flattened into
//! `StateMachine::workflows`, and every transition names its target by `StateId` within its workflow, so the
//! interpreter never looks a state up by name. Every value here was checked by `parse`: a `StateMachine` that exists
//! is valid.

use serde_json::Value;

use crate::choice::Rule;
use crate::expr::{Dynamic, Expr};
use crate::intrinsics::Call;
use crate::path::Path;
use crate::template::Template;

/// A validated state machine.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub comment: Option<String>,
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
    /// Index 0 is the top-level workflow; the others are Parallel branches and Map processors.
    pub workflows: Vec<Workflow>,
}

/// Index of a workflow in `StateMachine::workflows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkflowId(pub u32);

/// Index of a state in its `Workflow::states`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateId(pub u32);

/// `QueryLanguage` of the machine or of a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    JsonPath,
    Jsonata,
}

/// A list of states with a start: the top level, a Parallel branch, or a Map's item processor.
#[derive(Debug, Clone)]
pub struct Workflow {
    pub start_at: StateId,
    pub states: Vec<State>,
}

/// One state: what all states share, plus its type-specific part.
#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    pub comment: Option<String>,
    /// The state's query language: its own `QueryLanguage`, else the machine's.
    pub query_language: QueryLanguage,
    /// `Assign`: workflow variables to set when the state completes.
    pub assign: Option<Assign>,
    /// `Output` (JSONata states): the state's output; by default its result, or its input for states without one.
    pub output: Option<Dynamic>,
    /// `InputPath`; `None` is the default `$`.
    pub input_path: Option<PathOrNull>,
    /// `OutputPath`; `None` is the default `$`.
    pub output_path: Option<PathOrNull>,
    /// Whether any field of the state mentions the Context object (`$$`), so the interpreter builds it only then.
    pub uses_context: bool,
    pub kind: StateKind,
}

/// The part of a state that depends on its type.
// One per state of a definition, read on every step: boxing the large variants would only add a pointer chase.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum StateKind {
    Pass(Pass),
    Task(Task),
    Choice(Choice),
    Wait(Wait),
    Succeed,
    Fail(Fail),
    Parallel(Parallel),
    Map(Map),
}

/// Where a state goes after it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Next(StateId),
    End,
}

/// An `InputPath` or `OutputPath`: a path, or `null` (which makes `{}`).
#[derive(Debug, Clone)]
pub enum PathOrNull {
    Path(Path),
    Null,
}

/// `Assign`: in JSONPath states a payload template, in JSONata states a value with `{% %}` expressions.
#[derive(Debug, Clone)]
pub enum Assign {
    JsonPath(Template),
    Jsonata(Dynamic),
}

/// A state's input to its work: `Parameters` (JSONPath) or `Arguments` (JSONata).
#[derive(Debug, Clone)]
pub enum Arguments {
    Parameters(Template),
    Arguments(Dynamic),
}

impl Arguments {
    /// The top-level member `key` when the definition gives it as a plain value (no path, intrinsic or JSONata).
    pub fn literal(&self, key: &str) -> Option<&serde_json::Value> {
        match self {
            Arguments::Parameters(template) => template.constant_member(key),
            Arguments::Arguments(dynamic) => dynamic.literal_member(key),
        }
    }
}

/// Where a result goes: `ResultPath`.
#[derive(Debug, Clone)]
pub enum ResultPath {
    /// `$` (the default): the result replaces the input.
    Replace,
    /// `null`: the result is discarded and the input passes through.
    Discard,
    /// A reference path into the input.
    At(Path),
}

/// `Parameters` or `ItemSelector`: a payload template.
pub type Parameters = Template;

#[derive(Debug, Clone)]
pub struct Pass {
    pub parameters: Option<Parameters>,
    pub result: Option<Value>,
    pub result_path: ResultPath,
    pub transition: Transition,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub resource: String,
    pub arguments: Option<Arguments>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub timeout: Option<Seconds>,
    pub heartbeat: Option<Seconds>,
    /// `Credentials`: `{"RoleArn": …}` (a template in JSONPath, `{% %}` in JSONata), the role the task assumes.
    pub credentials: Option<Arguments>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub transition: Transition,
}

/// A number of seconds given literally, by a reference path, or by a JSONata expression.
#[derive(Debug, Clone)]
pub enum Seconds {
    Literal(u64),
    Path(Path),
    Expr(Expr),
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub choices: Vec<ChoiceBranch>,
    pub default: Option<StateId>,
}

/// A top-level Choice rule and where it leads.
#[derive(Debug, Clone)]
pub struct ChoiceBranch {
    pub condition: Condition,
    pub next: StateId,
    /// A matching rule's own `Assign` and `Output` replace the state's.
    pub assign: Option<Assign>,
    pub output: Option<Dynamic>,
}

/// What a Choice rule tests: a JSONPath rule or a JSONata `Condition`.
#[derive(Debug, Clone)]
pub enum Condition {
    Rule(Rule),
    Jsonata(Expr),
}

#[derive(Debug, Clone)]
pub struct Wait {
    pub until: WaitUntil,
    pub transition: Transition,
}

/// The four ways a Wait state says how long to wait.
#[derive(Debug, Clone)]
pub enum WaitUntil {
    Seconds(u64),
    SecondsPath(Path),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
    TimestampPath(Path),
    SecondsExpr(Expr),
    TimestampExpr(Expr),
}

#[derive(Debug, Clone)]
pub struct Fail {
    pub error: Option<Text>,
    pub cause: Option<Text>,
}

/// A string given literally, by a path, or by an intrinsic function (Fail `Error`/`ErrorPath`, `Cause`/`CausePath`).
#[derive(Debug, Clone)]
pub enum Text {
    Literal(String),
    Path(Path),
    Intrinsic(Call),
    Expr(Expr),
}

#[derive(Debug, Clone)]
pub struct Parallel {
    pub branches: Vec<WorkflowId>,
    pub arguments: Option<Arguments>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub transition: Transition,
}

#[derive(Debug, Clone)]
pub struct Map {
    pub processor: WorkflowId,
    pub mode: MapMode,
    pub items_path: Option<Path>,
    /// `Items` (JSONata): the items, literally or by expression.
    pub items: Option<Dynamic>,
    pub item_selector: Option<Arguments>,
    pub max_concurrency: Option<Count>,
    pub item_batcher: Option<ItemBatcher>,
    pub tolerated_failure_count: Option<Count>,
    pub tolerated_failure_percentage: Option<Percentage>,
    pub label: Option<String>,
    /// `ItemReader`: where the items come from instead of the input.
    pub item_reader: Option<ItemReader>,
    /// `ResultWriter`: where and how the child executions' results are written.
    pub result_writer: Option<ResultWriter>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub transition: Transition,
}

/// How a Map runs its items: inside the execution, or as child executions (a Map Run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMode {
    Inline,
    Distributed,
}

/// A whole number given literally or by a reference path.
#[derive(Debug, Clone)]
pub enum Count {
    Literal(u64),
    Path(Path),
    Expr(Expr),
}

/// A percentage given literally or by a reference path.
#[derive(Debug, Clone)]
pub enum Percentage {
    Literal(f64),
    Path(Path),
    Expr(Expr),
}

#[derive(Debug, Clone)]
pub struct ItemReader {
    /// `arn:aws:states:::s3:getObject` (one object, parsed per `ReaderConfig.InputType`) or
    /// `arn:aws:states:::s3:listObjectsV2` (the objects under a prefix).
    pub resource: String,
    /// `Parameters` (JSONPath) or `Arguments` (JSONata): the S3 call's `Bucket`, `Key` or `Prefix`.
    pub arguments: Option<Arguments>,
    /// `ReaderConfig.InputType`: `JSON`, `JSONL`, `CSV`, `MANIFEST`, `PARQUET`; `None` for listObjectsV2. With an
    /// Athena manifest, the type of the files it lists.
    pub input_type: Option<String>,
    /// The object is a manifest naming the files that hold the items: `ManifestType`, or `InputType: MANIFEST` (an
    /// S3 Inventory report). Validation allows it only with `s3:getObject`.
    pub manifest: Option<Manifest>,
    /// `Transformation: LOAD_AND_FLATTEN`: a `listObjectsV2` reader reads each object listed, per `InputType`,
    /// instead of making items of the listing. Validation allows it only with `listObjectsV2` and an `InputType`.
    pub flatten: bool,
    /// `CSVHeaderLocation`: `FIRST_ROW` (the default) or `GIVEN`.
    pub csv_headers_given: bool,
    /// `CSVHeaders`.
    pub csv_headers: Vec<String>,
    /// `CSVDelimiter` as a character: `,` (COMMA, the default), `|`, `;`, space or tab.
    pub csv_delimiter: char,
    /// `MaxItems` or `MaxItemsPath`.
    pub max_items: Option<Count>,
}

/// A distributed Map's `ResultWriter`.
#[derive(Debug, Clone)]
pub struct ResultWriter {
    /// `arn:aws:states:::s3:putObject`, with `arguments` naming the `Bucket` and `Prefix`: the results are written to
    /// S3 and the Map's result says where. `None` with only a `WriterConfig`: the results stay the Map's result.
    pub resource: Option<String>,
    pub arguments: Option<Arguments>,
    /// `WriterConfig.Transformation`: `NONE` (each child's record), `COMPACT` (its output) or `FLATTEN` (outputs
    /// that are arrays spread into one). Without a `WriterConfig`, NONE when writing to S3, else COMPACT.
    pub transformation: Option<String>,
    /// `WriterConfig.OutputType`: `JSON` (an array per file) or `JSONL` (one result per line).
    pub output_type: Option<String>,
}

/// What kind of manifest an `ItemReader` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manifest {
    /// An S3 Inventory report's `manifest.json` (`ManifestType: S3_INVENTORY`, or `InputType: MANIFEST`): the rows of
    /// the CSV files it lists are the items, their fields named by its `fileSchema`.
    S3Inventory,
    /// An Athena `UNLOAD` manifest (`ManifestType: ATHENA_DATA`): one S3 URI a line, each file read per `InputType`
    /// (CSV, JSONL or PARQUET).
    AthenaData,
}

#[derive(Debug, Clone)]
pub struct ItemBatcher {
    pub max_items_per_batch: Option<Count>,
    pub max_input_bytes_per_batch: Option<Count>,
    pub batch_input: Option<Arguments>,
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: u64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    pub jitter: Jitter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    None,
    Full,
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: StateId,
    pub result_path: ResultPath,
    pub assign: Option<Assign>,
    pub output: Option<Dynamic>,
}

impl StateMachine {
    /// The top-level workflow.
    pub fn top(&self) -> &Workflow {
        self.workflow(WorkflowId(0))
    }

    /// The workflow `id`.
    pub fn workflow(&self, id: WorkflowId) -> &Workflow {
        self.workflows.get(id.0 as usize).expect("invariant: workflow ids come from this machine")
    }

    /// Whether any state is in JSONata (JSONata expressions are evaluated only in JSONata states).
    pub fn uses_jsonata(&self) -> bool {
        self.workflows
            .iter()
            .flat_map(|workflow| &workflow.states)
            .any(|state| state.query_language == QueryLanguage::Jsonata)
    }
}

impl Workflow {
    /// The state `id`.
    pub fn state(&self, id: StateId) -> &State {
        self.states.get(id.0 as usize).expect("invariant: state ids come from this workflow")
    }
}

impl StateKind {
    /// The state's `Type` as written in ASL.
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

impl Retrier {
    /// The delay before retry number `attempt` (1-based), in milliseconds, before jitter.
    pub fn delay_ms(&self, attempt: u32) -> u64 {
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let seconds = self.interval_seconds as f64 * self.backoff_rate.powi(exponent);
        let capped = match self.max_delay_seconds {
            Some(max) => seconds.min(max as f64),
            None => seconds,
        };
        // Saturating float-to-int conversion: an absurd backoff waits for as long as a u64 can say.
        (capped * 1000.0) as u64
    }
}
