//! Parsing and validating a definition into a `StateMachine`.
//!
//! Validation never stops at the first problem: every field of every state is checked and each problem becomes a
//! `Diagnostic` with the JSON Pointer of the offending value (and, from `parse`, its line and column).

use std::collections::HashMap;

use serde_json::{Map as Object, Value};

use crate::choice;
use crate::diagnostic::{INLINE_MAP_FIELD, ITEM_READER_CONFIG, MISSING_TARGET, SCHEMA, UNREACHABLE, escape};
use crate::expr::{Dynamic, Expr};
use crate::intrinsics::Call;
use crate::model::*;
use crate::path::Path;
use crate::source;
use crate::suggest::{closest, did_you_mean};
use crate::template::Template;
use crate::Diagnostic;

/// Parses and validates definition text (JSON or YAML). Diagnostics carry line and column.
pub fn parse(text: &str) -> Result<StateMachine, Vec<Diagnostic>> {
    let (value, format) = source::load(text).map_err(|diagnostic| vec![diagnostic])?;
    parse_loaded(text, &value, format)
}

/// Validates `value`, which `source::load` read from `text` in `format`; diagnostics carry line and column in `text`.
/// For a caller that needs the loaded value too, without reading the text twice.
pub fn parse_loaded(text: &str, value: &Value, format: source::Format) -> Result<StateMachine, Vec<Diagnostic>> {
    parse_value(value).map_err(|mut diagnostics| {
        for diagnostic in &mut diagnostics {
            diagnostic.position = source::locate(text, format, &diagnostic.pointer);
        }
        diagnostics
    })
}

/// The warnings about a definition that `source::load` read from `text` in `format`, with line and column: things
/// AWS accepts that will likely fail or do nothing when they run (a JSONata expression reading a variable no state
/// assigns, a distributed Map's field in an inline Map). They never make `parse` fail.
pub fn warnings_loaded(text: &str, value: &Value, format: source::Format) -> Vec<Diagnostic> {
    let mut warnings = warnings(value);
    for warning in &mut warnings {
        warning.position = source::locate(text, format, &warning.pointer);
    }
    warnings
}

/// The warnings about a definition already read as JSON; see `warnings_loaded`.
pub fn warnings(value: &Value) -> Vec<Diagnostic> {
    let mut warnings = crate::scope::check(value).warnings;
    if let Some(root) = value.as_object() {
        inline_map_fields(root, "", &mut warnings);
    }
    warnings
}

/// Warns of the distributed-only fields of every inline Map in the workflow `object` and the ones inside it.
///
/// AWS accepts them there: the conformance corpus records inline Maps with `ToleratedFailureCount` and
/// `ToleratedFailurePercentage` running, and real-world definitions AWS deploys have inline Maps with `Label`,
/// `ItemReader` and `ResultWriter`. What AWS then does with a reader or writer is not recorded; Baton reads the items
/// of a reader, fails a Map with a writer naming it rather than ignore it (a guess), and the other fields change
/// nothing. Every Map's `ItemReader` is checked on the way (`headerless_athena_csv`).
fn inline_map_fields(object: &Object<String, Value>, pointer: &str, warnings: &mut Vec<Diagnostic>) {
    let Some(states) = object.get("States").and_then(Value::as_object) else { return };
    for (name, state) in states {
        let Some(state) = state.as_object() else { continue };
        let state_pointer = format!("{pointer}/States/{}", escape(name));
        for (i, branch) in state.get("Branches").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(branch) = branch.as_object() {
                inline_map_fields(branch, &format!("{state_pointer}/Branches/{i}"), warnings);
            }
        }
        if state.get("Type").and_then(Value::as_str) != Some("Map") {
            continue;
        }
        headerless_athena_csv(state, &state_pointer, warnings);
        let processor = ["ItemProcessor", "Iterator"].into_iter().find_map(|key| Some((key, state.get(key)?.as_object()?)));
        let mode = processor.and_then(|(_, processor)| processor.get("ProcessorConfig")?.get("Mode")?.as_str());
        if mode != Some("DISTRIBUTED") {
            for key in state.keys().filter(|key| DISTRIBUTED_ONLY.contains(&key.as_str())) {
                let effect = match key.as_str() {
                    "ItemReader" => "Baton reads its items all the same",
                    "ResultWriter" => "Baton fails such a Map when it runs rather than ignore it",
                    _ => "it has no effect there",
                };
                warnings.push(Diagnostic::warning(
                    format!("{state_pointer}/{}", escape(key)),
                    INLINE_MAP_FIELD,
                    format!("field '{key}' is for a distributed Map, and this Map is inline; {effect}"),
                ));
            }
        }
        if let Some((key, processor)) = processor {
            inline_map_fields(processor, &format!("{state_pointer}/{key}"), warnings);
        }
    }
}

/// Warns of a Map reading an Athena manifest's CSV files with their first row as the header: Athena's `UNLOAD`
/// writes CSV without a header row (the developer guide), so the first row of every file would name the fields.
fn headerless_athena_csv(state: &Object<String, Value>, pointer: &str, warnings: &mut Vec<Diagnostic>) {
    let Some(config) = state.get("ItemReader").and_then(|reader| reader.get("ReaderConfig")).and_then(Value::as_object) else { return };
    let field = |key: &str| config.get(key).and_then(Value::as_str);
    if field("ManifestType") == Some("ATHENA_DATA") && field("InputType") == Some("CSV") && field("CSVHeaderLocation") != Some("GIVEN") {
        warnings.push(Diagnostic::warning(
            format!("{pointer}/ItemReader/ReaderConfig"),
            ITEM_READER_CONFIG,
            "Athena's UNLOAD writes CSV files without a header row, and this reader takes each file's first row as its \
             header; give the columns with CSVHeaderLocation GIVEN and CSVHeaders",
        ));
    }
}

/// Parses and validates a definition already read as JSON.
pub fn parse_value(value: &Value) -> Result<StateMachine, Vec<Diagnostic>> {
    let mut parser = Parser { diagnostics: Vec::new(), workflows: Vec::new() };
    let Some(root) = parser.object(value, "") else {
        return Err(parser.diagnostics);
    };
    parser.allow_fields(root, "", &["StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"]);
    let comment = parser.opt_string(root, "", "Comment").map(str::to_owned);
    if let Some(version) = root.get("Version")
        && version.as_str() != Some("1.0") {
            parser.error("/Version", SCHEMA, format!("unsupported Version {version}: only \"1.0\" exists"));
        }
    let timeout_seconds = parser.opt_positive(root, "", "TimeoutSeconds");
    let query_language = parser.query_language(root, "", QueryLanguage::JsonPath);
    parser.workflow(root, "", query_language);
    parser.diagnostics.extend(crate::scope::check(value).errors);
    if parser.diagnostics.is_empty() {
        Ok(StateMachine { comment, timeout_seconds, query_language, workflows: parser.workflows })
    } else {
        Err(parser.diagnostics)
    }
}

struct Parser {
    diagnostics: Vec<Diagnostic>,
    workflows: Vec<Workflow>,
}

/// How a field that may also come from a path or an expression was given.
enum Given<'v> {
    Literal(&'v Value),
    Path(Path),
    Expr(Expr),
}

/// The names of a workflow's states, for resolving transitions.
struct Names<'a> {
    ids: HashMap<&'a str, StateId>,
    /// The names in the order the definition gives them, for suggestions.
    ordered: Vec<&'a str>,
}

/// The state types.
const STATE_TYPES: &[&str] = &["Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"];

/// The Map fields that only mean something when the Map is distributed.
const DISTRIBUTED_ONLY: &[&str] = &[
    "ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailureCount", "ToleratedFailureCountPath",
    "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label",
];

/// The fields a state of `type_name` accepts in `language`; `None` for an unknown type.
fn fields(type_name: &str, language: QueryLanguage) -> Option<Vec<&'static str>> {
    const BASE: &[&str] = &["Type", "Comment", "QueryLanguage"];
    const FLOW: &[&str] = &["Next", "End"];
    const ERRORS: &[&str] = &["Retry", "Catch"];
    const JSONPATH_IO: &[&str] = &["InputPath", "OutputPath"];
    let jsonpath = language == QueryLanguage::JsonPath;
    let (own, io): (&[&str], bool) = match (type_name, jsonpath) {
        ("Pass", true) => (&["Parameters", "Result", "ResultPath", "Assign", "Next", "End"], true),
        ("Pass", false) => (&["Output", "Assign", "Next", "End"], false),
        ("Task", true) => (
            &[
                "Resource", "Parameters", "ResultSelector", "ResultPath", "TimeoutSeconds", "TimeoutSecondsPath",
                "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", "Assign",
            ],
            true,
        ),
        ("Task", false) => (&["Resource", "Arguments", "Output", "TimeoutSeconds", "HeartbeatSeconds", "Credentials", "Assign"], false),
        ("Choice", true) => (&["Choices", "Default", "Assign"], true),
        ("Choice", false) => (&["Choices", "Default", "Output", "Assign"], false),
        ("Wait", true) => (&["Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Assign"], true),
        ("Wait", false) => (&["Seconds", "Timestamp", "Output", "Assign"], false),
        ("Succeed", true) => (&[], true),
        ("Succeed", false) => (&["Output"], false),
        ("Fail", true) => (&["Error", "ErrorPath", "Cause", "CausePath"], false),
        ("Fail", false) => (&["Error", "Cause"], false),
        ("Parallel", true) => (&["Branches", "Parameters", "ResultSelector", "ResultPath", "Assign"], true),
        ("Parallel", false) => (&["Branches", "Arguments", "Output", "Assign"], false),
        ("Map", true) => (
            &[
                "Iterator", "ItemProcessor", "ItemsPath", "ItemSelector", "Parameters", "MaxConcurrency",
                "MaxConcurrencyPath", "ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailureCount",
                "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label",
                "ResultSelector", "ResultPath", "Assign",
            ],
            true,
        ),
        ("Map", false) => (
            &[
                "Iterator", "ItemProcessor", "Items", "ItemSelector", "MaxConcurrency", "ItemReader", "ItemBatcher",
                "ResultWriter", "ToleratedFailureCount", "ToleratedFailurePercentage", "Label", "Output", "Assign",
            ],
            false,
        ),
        _ => return None,
    };
    let mut fields: Vec<&'static str> = BASE.iter().chain(own).copied().collect();
    if io {
        fields.extend_from_slice(JSONPATH_IO);
    }
    if matches!(type_name, "Task" | "Parallel" | "Map") {
        fields.extend_from_slice(ERRORS);
        fields.extend_from_slice(FLOW);
    }
    if matches!(type_name, "Wait") {
        fields.extend_from_slice(FLOW);
    }
    fields.dedup();
    Some(fields)
}

fn language_name(language: QueryLanguage) -> &'static str {
    match language {
        QueryLanguage::JsonPath => "JSONPath",
        QueryLanguage::Jsonata => "JSONata",
    }
}

/// A workflow variable name: letters, digits and `_`, not starting with a digit.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

impl Parser {
    fn error(&mut self, pointer: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::new(pointer, code, message));
    }

    /// Parses a workflow (`StartAt` + `States`) at `pointer` and returns its id. The id is reserved before the
    /// states are parsed, so nested workflows get higher ids than their parent.
    fn workflow(&mut self, object: &Object<String, Value>, pointer: &str, language: QueryLanguage) -> WorkflowId {
        let id = WorkflowId(u32::try_from(self.workflows.len()).unwrap_or(u32::MAX));
        self.workflows.push(Workflow { start_at: StateId(0), states: Vec::new() });
        let states_value = object.get("States");
        let states = match states_value {
            Some(value) => self.object(value, &format!("{pointer}/States")),
            None => {
                self.error(pointer, SCHEMA, "missing required field 'States'");
                None
            }
        };
        let empty = Object::new();
        let states = states.unwrap_or(&empty);
        if states_value.is_some() && states.is_empty() {
            self.error(format!("{pointer}/States"), SCHEMA, "'States' must contain at least one state");
        }
        let names = Names {
            ids: states.keys().enumerate().map(|(i, k)| (k.as_str(), state_id(i))).collect(),
            ordered: states.keys().map(String::as_str).collect(),
        };
        for name in states.keys() {
            if name.is_empty() || name.chars().count() > 80 {
                self.error(
                    format!("{pointer}/States/{}", escape(name)),
                    SCHEMA,
                    format!("state name '{name}' must be 1 to 80 characters long"),
                );
            }
        }
        let mut start_known = false;
        let start_at = match self.opt_string(object, pointer, "StartAt") {
            Some(start) => match names.ids.get(start) {
                Some(id) => {
                    start_known = true;
                    *id
                }
                None => {
                    let suggestion = did_you_mean(start, names.ordered.iter().copied());
                    self.error(
                        format!("{pointer}/StartAt"),
                        MISSING_TARGET,
                        format!("StartAt '{start}' is not a state of this workflow{suggestion}"),
                    );
                    StateId(0)
                }
            },
            None => {
                if !object.contains_key("StartAt") {
                    self.error(pointer, SCHEMA, "missing required field 'StartAt'");
                }
                StateId(0)
            }
        };
        let mut parsed = Vec::with_capacity(states.len());
        for (name, value) in states {
            let state_pointer = format!("{pointer}/States/{}", escape(name));
            if let Some(state) = self.state(name, value, &state_pointer, &names, language) {
                parsed.push(state);
            }
        }
        // Reachability means something only from a real start, and is read from the transitions as written, so a
        // state that failed to parse or a Choice rule with a bad condition still leads where it says. A transition to
        // a state that does not exist (already reported) leaves its intended target unknown: then nothing is called
        // unreachable, as that would only repeat the first error.
        if start_known && !states.is_empty() {
            self.check_reachable(states, &names, start_at, pointer);
        }
        if let Some(workflow) = self.workflows.get_mut(id.0 as usize) {
            *workflow = Workflow { start_at, states: parsed };
        }
        id
    }

    /// Reports every state that no transition reaches from `StartAt`, as AWS does, unless a transition's target is
    /// unknown.
    fn check_reachable(&mut self, states: &Object<String, Value>, names: &Names<'_>, start: StateId, pointer: &str) {
        let values: Vec<&Value> = states.values().collect();
        let mut seen = vec![false; values.len()];
        let mut stack = vec![start];
        while let Some(id) = stack.pop() {
            let Some(flag) = seen.get_mut(id.0 as usize) else { continue };
            if std::mem::replace(flag, true) {
                continue;
            }
            let Some(state) = values.get(id.0 as usize) else { continue };
            if raw_successors(state, names, &mut stack).is_none() {
                return;
            }
        }
        for ((name, _), reached) in states.iter().zip(seen) {
            if !reached {
                self.error(format!("{pointer}/States/{}", escape(name)), UNREACHABLE, format!("state '{name}' is not reachable"));
            }
        }
    }

    fn state(
        &mut self,
        name: &str,
        value: &Value,
        pointer: &str,
        names: &Names<'_>,
        parent_language: QueryLanguage,
    ) -> Option<State> {
        let object = self.object(value, pointer)?;
        let language = self.query_language(object, pointer, parent_language);
        let Some(type_name) = self.opt_string(object, pointer, "Type") else {
            if !object.contains_key("Type") {
                self.error(pointer, SCHEMA, "missing required field 'Type'");
            }
            return None;
        };
        let type_name = type_name.to_owned();
        let Some(allowed) = fields(&type_name, language) else {
            self.error(
                format!("{pointer}/Type"),
                SCHEMA,
                match closest(&type_name, STATE_TYPES.iter().copied()) {
                    Some(meant) => format!("unknown state type '{type_name}'; did you mean '{meant}'?"),
                    None => format!("unknown state type '{type_name}': expected Task, Pass, Choice, Wait, Succeed, Fail, Parallel or Map"),
                },
            );
            return None;
        };
        self.allow(object, pointer, &allowed, &type_name, language);
        let jsonata = language == QueryLanguage::Jsonata;
        let comment = self.opt_string(object, pointer, "Comment").map(str::to_owned);
        let kind = match type_name.as_str() {
            "Pass" => StateKind::Pass(Pass {
                parameters: self.template(object, pointer, "Parameters"),
                result: object.get("Result").cloned(),
                result_path: self.result_path(object, pointer),
                transition: self.transition(object, pointer, names),
            }),
            "Task" => {
                let resource = match object.get("Resource") {
                    Some(Value::String(resource)) if !resource.is_empty() => resource.clone(),
                    Some(_) => {
                        self.error(format!("{pointer}/Resource"), SCHEMA, "'Resource' must be a non-empty string");
                        String::new()
                    }
                    None => {
                        self.error(pointer, SCHEMA, "missing required field 'Resource'");
                        String::new()
                    }
                };
                if is_http_task(&resource) {
                    self.http_task(object, pointer, language);
                }
                let timeout = self.seconds(object, pointer, "TimeoutSeconds", language);
                let heartbeat = self.seconds(object, pointer, "HeartbeatSeconds", language);
                if let (Some(Seconds::Literal(timeout)), Some(Seconds::Literal(heartbeat))) = (&timeout, &heartbeat)
                    && heartbeat >= timeout
                {
                    self.error(
                        format!("{pointer}/HeartbeatSeconds"),
                        SCHEMA,
                        format!("HeartbeatSeconds ({heartbeat}) must be smaller than TimeoutSeconds ({timeout})"),
                    );
                }
                StateKind::Task(Task {
                    resource,
                    arguments: self.arguments(object, pointer, language),
                    result_selector: self.template(object, pointer, "ResultSelector"),
                    result_path: self.result_path(object, pointer),
                    timeout,
                    heartbeat,
                    credentials: self.credentials(object, pointer, language),
                    retry: self.retriers(object, pointer),
                    catch: self.catchers(object, pointer, names, language),
                    transition: self.transition(object, pointer, names),
                })
            }
            "Choice" => StateKind::Choice(self.choice(object, pointer, names, language)),
            "Wait" => {
                let until = self.wait_until(object, pointer, language);
                StateKind::Wait(Wait {
                    until: until.unwrap_or(WaitUntil::Seconds(0)),
                    transition: self.transition(object, pointer, names),
                })
            }
            "Succeed" => StateKind::Succeed,
            "Fail" => StateKind::Fail(Fail {
                error: self.text(object, pointer, "Error", language),
                cause: self.text(object, pointer, "Cause", language),
            }),
            "Parallel" => {
                let branches = self.branches(object, pointer, language);
                StateKind::Parallel(Parallel {
                    branches,
                    arguments: self.arguments(object, pointer, language),
                    result_selector: self.template(object, pointer, "ResultSelector"),
                    result_path: self.result_path(object, pointer),
                    retry: self.retriers(object, pointer),
                    catch: self.catchers(object, pointer, names, language),
                    transition: self.transition(object, pointer, names),
                })
            }
            _ => StateKind::Map(self.map(object, pointer, names, language)),
        };
        let (input_path, output_path) = match kind {
            StateKind::Fail(_) => (None, None),
            _ => (self.path_or_null(object, pointer, "InputPath"), self.path_or_null(object, pointer, "OutputPath")),
        };
        let assign = self.assign(object.get("Assign"), &format!("{pointer}/Assign"), language);
        let output = if jsonata { self.dynamic(object.get("Output"), &format!("{pointer}/Output")) } else { None };
        let uses_context = mentions(value, if jsonata { "context" } else { "$$" });
        Some(State {
            name: name.to_owned(),
            comment,
            query_language: language,
            assign,
            output,
            input_path,
            output_path,
            uses_context,
            kind,
        })
    }

    /// What AWS requires of an HTTP Task's `Parameters` (`Arguments` in JSONata): `ApiEndpoint`, `Method`, and an
    /// EventBridge connection's `ConnectionArn` in `Authentication` (or, as AWS also deploys, `InvocationConfig`),
    /// each given literally, by a path (`….$`) or by an expression. Arguments that are one expression are checked
    /// when the task runs.
    fn http_task(&mut self, object: &Object<String, Value>, pointer: &str, language: QueryLanguage) {
        let key = match language {
            QueryLanguage::JsonPath => "Parameters",
            QueryLanguage::Jsonata => "Arguments",
        };
        let Some(arguments) = object.get(key) else {
            self.error(pointer, SCHEMA, format!("an HTTP Task needs '{key}' with ApiEndpoint, Method and Authentication.ConnectionArn"));
            return;
        };
        let Some(fields) = arguments.as_object() else { return };
        let given = |fields: &Object<String, Value>, name: &str| fields.contains_key(name) || fields.contains_key(&format!("{name}.$"));
        for required in ["ApiEndpoint", "Method"] {
            if !given(fields, required) {
                self.error(format!("{pointer}/{key}"), SCHEMA, format!("an HTTP Task needs '{required}' in its {key}"));
            }
        }
        let connected = ["Authentication", "InvocationConfig"].iter().any(|field| {
            fields.contains_key(&format!("{field}.$"))
                || match fields.get(*field) {
                    Some(Value::Object(config)) => given(config, "ConnectionArn"),
                    Some(Value::String(text)) => crate::expr::is_expression(text),
                    _ => false,
                }
        });
        if !connected {
            let at = if fields.contains_key("Authentication") { format!("{pointer}/{key}/Authentication") } else { format!("{pointer}/{key}") };
            self.error(at, SCHEMA, "an HTTP Task needs 'Authentication' with a 'ConnectionArn' (an EventBridge connection)");
        }
    }

    /// `Assign`: an object of variables, a payload template in JSONPath states, JSONata values otherwise.
    fn assign(&mut self, value: Option<&Value>, pointer: &str, language: QueryLanguage) -> Option<Assign> {
        let value = value?;
        let object = self.object(value, pointer)?;
        for name in object.keys() {
            let variable = name.strip_suffix(".$").unwrap_or(name);
            if !is_variable_name(variable) {
                self.error(
                    format!("{pointer}/{}", escape(name)),
                    SCHEMA,
                    format!("'{variable}' is not a valid variable name: use letters, digits and '_', not starting with a digit"),
                );
            }
            if variable == "states" {
                self.error(format!("{pointer}/{}", escape(name)), SCHEMA, "'states' is reserved and cannot be assigned");
            }
        }
        match language {
            QueryLanguage::JsonPath => self.compile_template(value, pointer).map(Assign::JsonPath),
            QueryLanguage::Jsonata => self.dynamic(Some(value), pointer).map(Assign::Jsonata),
        }
    }

    /// A value that may hold `{% %}` expressions.
    fn dynamic(&mut self, value: Option<&Value>, pointer: &str) -> Option<Dynamic> {
        match Dynamic::compile(value?) {
            Ok(dynamic) => Some(dynamic),
            Err(problems) => {
                for (relative, message) in problems {
                    self.error(format!("{pointer}{relative}"), SCHEMA, message);
                }
                None
            }
        }
    }

    /// One `{% %}` expression where a field takes an expression (or, when `literal` allows it, a plain value).
    fn expr(&mut self, value: &Value, pointer: &str) -> Option<Expr> {
        let text = match value {
            Value::String(text) if crate::expr::is_expression(text) => text.clone(),
            other => format!("{{% {other} %}}"),
        };
        match Expr::compile(&text) {
            Ok(expr) => Some(expr),
            Err(message) => {
                self.error(pointer, SCHEMA, message);
                None
            }
        }
    }

    /// `Parameters` (JSONPath) or `Arguments` (JSONata).
    fn arguments(&mut self, object: &Object<String, Value>, pointer: &str, language: QueryLanguage) -> Option<Arguments> {
        match language {
            QueryLanguage::JsonPath => self.template(object, pointer, "Parameters").map(Arguments::Parameters),
            QueryLanguage::Jsonata => {
                let value = object.get("Arguments")?;
                if !value.is_object() && !value.as_str().is_some_and(crate::expr::is_expression) {
                    self.error(format!("{pointer}/Arguments"), SCHEMA, "'Arguments' must be an object or a JSONata expression");
                    return None;
                }
                self.dynamic(Some(value), &format!("{pointer}/Arguments")).map(Arguments::Arguments)
            }
        }
    }

    fn choice(
        &mut self,
        object: &Object<String, Value>,
        pointer: &str,
        names: &Names<'_>,
        language: QueryLanguage,
    ) -> Choice {
        let mut choices = Vec::new();
        match object.get("Choices") {
            Some(Value::Array(rules)) if !rules.is_empty() => {
                for (i, rule) in rules.iter().enumerate() {
                    let rule_pointer = format!("{pointer}/Choices/{i}");
                    let next = match rule.get("Next") {
                        Some(Value::String(next)) => self.target(next, &format!("{rule_pointer}/Next"), names),
                        Some(_) => {
                            self.error(format!("{rule_pointer}/Next"), SCHEMA, "'Next' must be a state name");
                            None
                        }
                        None => {
                            if rule.is_object() {
                                self.error(&rule_pointer, SCHEMA, "a Choice rule needs a 'Next' field");
                            }
                            None
                        }
                    };
                    let assign = self.assign(rule.get("Assign"), &format!("{rule_pointer}/Assign"), language);
                    let condition = match language {
                        QueryLanguage::Jsonata => self.jsonata_rule(rule, &rule_pointer),
                        QueryLanguage::JsonPath => {
                            if rule.get("Output").is_some() {
                                self.error(format!("{rule_pointer}/Output"), SCHEMA, "'Output' is only allowed in JSONata states");
                            }
                            choice::parse_rule(rule, &rule_pointer, true, &mut self.diagnostics).map(Condition::Rule)
                        }
                    };
                    let output = match language {
                        QueryLanguage::Jsonata => self.dynamic(rule.get("Output"), &format!("{rule_pointer}/Output")),
                        QueryLanguage::JsonPath => None,
                    };
                    if let (Some(condition), Some(next)) = (condition, next) {
                        choices.push(ChoiceBranch { condition, next, assign, output });
                    }
                }
            }
            Some(_) => self.error(format!("{pointer}/Choices"), SCHEMA, "'Choices' must be a non-empty array of rules"),
            None => self.error(pointer, SCHEMA, "missing required field 'Choices'"),
        }
        let default = match object.get("Default") {
            Some(Value::String(default)) => self.target(default, &format!("{pointer}/Default"), names),
            Some(_) => {
                self.error(format!("{pointer}/Default"), SCHEMA, "'Default' must be a state name");
                None
            }
            None => None,
        };
        Choice { choices, default }
    }

    /// A JSONata Choice rule: `Condition`, `Next`, and optionally `Assign`, `Output`, `Comment`.
    fn jsonata_rule(&mut self, rule: &Value, pointer: &str) -> Option<Condition> {
        let object = self.object(rule, pointer)?;
        self.allow_fields(object, pointer, &["Condition", "Next", "Assign", "Output", "Comment"]);
        match object.get("Condition") {
            Some(value @ (Value::String(_) | Value::Bool(_))) => {
                self.expr(value, &format!("{pointer}/Condition")).map(Condition::Jsonata)
            }
            Some(other) => {
                self.error(format!("{pointer}/Condition"), SCHEMA, format!("'Condition' must be a JSONata expression or a boolean, not {other}"));
                None
            }
            None => {
                self.error(pointer, SCHEMA, "a JSONata Choice rule needs a 'Condition' field");
                None
            }
        }
    }

    fn wait_until(&mut self, object: &Object<String, Value>, pointer: &str, language: QueryLanguage) -> Option<WaitUntil> {
        let keys: &[&str] = match language {
            QueryLanguage::JsonPath => &["Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
            QueryLanguage::Jsonata => &["Seconds", "Timestamp"],
        };
        let present: Vec<&str> = keys.iter().copied().filter(|key| object.contains_key(*key)).collect();
        if present.len() != 1 {
            let message = if present.is_empty() {
                format!("a Wait state needs exactly one of {}", keys.join(", "))
            } else {
                format!("a Wait state needs exactly one of {}; found {}", keys.join(", "), present.join(", "))
            };
            self.error(pointer, SCHEMA, message);
            return None;
        }
        let key = present.first().copied().unwrap_or("Seconds");
        let value = object.get(key)?;
        let field = format!("{pointer}/{key}");
        let is_expression = value.as_str().is_some_and(crate::expr::is_expression);
        match key {
            "Seconds" if language == QueryLanguage::Jsonata && is_expression => self.expr(value, &field).map(WaitUntil::SecondsExpr),
            "Timestamp" if language == QueryLanguage::Jsonata && is_expression => {
                self.expr(value, &field).map(WaitUntil::TimestampExpr)
            }
            "Seconds" => match value.as_u64() {
                Some(seconds) if seconds <= 99_999_999 => Some(WaitUntil::Seconds(seconds)),
                _ => {
                    self.error(field, SCHEMA, format!("'Seconds' must be an integer from 0 to 99999999, not {value}"));
                    None
                }
            },
            "Timestamp" => match value.as_str().and_then(parse_timestamp) {
                Some(millis) => Some(WaitUntil::Timestamp(millis)),
                None => {
                    self.error(field, SCHEMA, format!("'Timestamp' must be an ISO-8601 timestamp with an offset, not {value}"));
                    None
                }
            },
            "SecondsPath" => self.reference_path(value, &field).map(WaitUntil::SecondsPath),
            _ => self.reference_path(value, &field).map(WaitUntil::TimestampPath),
        }
    }

    fn branches(&mut self, object: &Object<String, Value>, pointer: &str, language: QueryLanguage) -> Vec<WorkflowId> {
        let mut ids = Vec::new();
        match object.get("Branches") {
            Some(Value::Array(branches)) if !branches.is_empty() => {
                for (i, branch) in branches.iter().enumerate() {
                    let branch_pointer = format!("{pointer}/Branches/{i}");
                    if let Some(branch) = self.object(branch, &branch_pointer) {
                        self.allow_fields(branch, &branch_pointer, &["StartAt", "States", "Comment", "QueryLanguage"]);
                        let language = self.query_language(branch, &branch_pointer, language);
                        ids.push(self.workflow(branch, &branch_pointer, language));
                    }
                }
            }
            Some(_) => self.error(format!("{pointer}/Branches"), SCHEMA, "'Branches' must be a non-empty array"),
            None => self.error(pointer, SCHEMA, "missing required field 'Branches'"),
        }
        ids
    }

    fn map(&mut self, object: &Object<String, Value>, pointer: &str, names: &Names<'_>, language: QueryLanguage) -> Map {
        let (processor_key, processor) = match (object.get("ItemProcessor"), object.get("Iterator")) {
            (Some(processor), None) => ("ItemProcessor", Some(processor)),
            (None, Some(iterator)) => ("Iterator", Some(iterator)),
            (Some(_), Some(_)) => {
                self.error(pointer, SCHEMA, "a Map state takes either 'ItemProcessor' or 'Iterator', not both");
                ("ItemProcessor", None)
            }
            (None, None) => {
                self.error(pointer, SCHEMA, "missing required field 'ItemProcessor'");
                ("ItemProcessor", None)
            }
        };
        let processor_pointer = format!("{pointer}/{processor_key}");
        let mut mode = MapMode::Inline;
        let mut processor_id = WorkflowId(0);
        if let Some(processor) = processor.and_then(|p| self.object(p, &processor_pointer)) {
            // AWS accepts ProcessorConfig inside the legacy Iterator too.
            self.allow_fields(processor, &processor_pointer, &["StartAt", "States", "Comment", "QueryLanguage", "ProcessorConfig"]);
            if let Some(config) = processor.get("ProcessorConfig") {
                mode = self.processor_config(config, &format!("{processor_pointer}/ProcessorConfig"));
            }
            let language = self.query_language(processor, &processor_pointer, language);
            processor_id = self.workflow(processor, &processor_pointer, language);
        }
        let items_path = object.get("ItemsPath").and_then(|value| self.reference_path(value, &format!("{pointer}/ItemsPath")));
        let items = match object.get("Items") {
            Some(value) if value.is_array() || value.as_str().is_some_and(crate::expr::is_expression) => {
                self.dynamic(Some(value), &format!("{pointer}/Items"))
            }
            Some(other) => {
                self.error(format!("{pointer}/Items"), SCHEMA, format!("'Items' must be an array or a JSONata expression, not {other}"));
                None
            }
            None => None,
        };
        let item_selector = match (object.get("ItemSelector"), object.get("Parameters")) {
            (Some(_), Some(_)) => {
                self.error(pointer, SCHEMA, "a Map state takes either 'ItemSelector' or 'Parameters', not both");
                None
            }
            (Some(value), None) if language == QueryLanguage::Jsonata => {
                self.dynamic(Some(value), &format!("{pointer}/ItemSelector")).map(Arguments::Arguments)
            }
            (Some(_), None) => self.template(object, pointer, "ItemSelector").map(Arguments::Parameters),
            (None, Some(_)) => self.template(object, pointer, "Parameters").map(Arguments::Parameters),
            (None, None) => None,
        };
        let item_reader = object.get("ItemReader").and_then(|value| self.item_reader(value, &format!("{pointer}/ItemReader"), language));
        let result_writer =
            object.get("ResultWriter").and_then(|value| self.result_writer(value, &format!("{pointer}/ResultWriter"), language));
        let item_batcher =
            object.get("ItemBatcher").and_then(|value| self.item_batcher(value, &format!("{pointer}/ItemBatcher"), language));
        let label = self.opt_string(object, pointer, "Label").map(str::to_owned);
        Map {
            processor: processor_id,
            mode,
            items_path,
            items,
            item_selector,
            max_concurrency: self.count(object, pointer, "MaxConcurrency", language),
            item_batcher,
            tolerated_failure_count: self.count(object, pointer, "ToleratedFailureCount", language),
            tolerated_failure_percentage: self.percentage(object, pointer, "ToleratedFailurePercentage", language),
            label,
            item_reader,
            result_writer,
            result_selector: self.template(object, pointer, "ResultSelector"),
            result_path: self.result_path(object, pointer),
            retry: self.retriers(object, pointer),
            catch: self.catchers(object, pointer, names, language),
            transition: self.transition(object, pointer, names),
        }
    }

    fn processor_config(&mut self, value: &Value, pointer: &str) -> MapMode {
        let Some(config) = self.object(value, pointer) else { return MapMode::Inline };
        self.allow_fields(config, pointer, &["Mode", "ExecutionType"]);
        let mode = match config.get("Mode") {
            None => MapMode::Inline,
            Some(Value::String(mode)) if mode == "INLINE" => MapMode::Inline,
            Some(Value::String(mode)) if mode == "DISTRIBUTED" => MapMode::Distributed,
            Some(other) => {
                self.error(format!("{pointer}/Mode"), SCHEMA, format!("'Mode' must be INLINE or DISTRIBUTED, not {other}"));
                MapMode::Inline
            }
        };
        match (mode, config.get("ExecutionType")) {
            (MapMode::Distributed, None) => {
                self.error(pointer, SCHEMA, "'ExecutionType' is required when 'Mode' is DISTRIBUTED");
            }
            (_, Some(Value::String(kind))) if kind == "STANDARD" || kind == "EXPRESS" => {}
            (_, Some(other)) => {
                self.error(format!("{pointer}/ExecutionType"), SCHEMA, format!("'ExecutionType' must be STANDARD or EXPRESS, not {other}"));
            }
            _ => {}
        }
        mode
    }

    fn item_reader(&mut self, value: &Value, pointer: &str, language: QueryLanguage) -> Option<ItemReader> {
        let object = self.object(value, pointer)?;
        let allowed: &[&str] = match language {
            QueryLanguage::JsonPath => &["Resource", "ReaderConfig", "Parameters"],
            QueryLanguage::Jsonata => &["Resource", "ReaderConfig", "Arguments"],
        };
        self.allow_fields(object, pointer, allowed);
        let resource = match object.get("Resource").and_then(Value::as_str) {
            Some(resource) => resource.to_owned(),
            None => {
                self.error(pointer, SCHEMA, "an ItemReader needs a 'Resource' string");
                String::new()
            }
        };
        let arguments = match language {
            QueryLanguage::JsonPath => self.template(object, pointer, "Parameters").map(Arguments::Parameters),
            QueryLanguage::Jsonata => self.dynamic(object.get("Arguments"), &format!("{pointer}/Arguments")).map(Arguments::Arguments),
        };
        let mut reader = ItemReader {
            resource,
            arguments,
            input_type: None,
            manifest: None,
            flatten: false,
            csv_headers_given: false,
            csv_headers: Vec::new(),
            csv_delimiter: ',',
            max_items: None,
        };
        let config_pointer = format!("{pointer}/ReaderConfig");
        let Some(config) = object.get("ReaderConfig").and_then(|config| self.object(config, &config_pointer)) else { return Some(reader) };
        let allowed: &[&str] = match language {
            QueryLanguage::JsonPath => &["InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "MaxItems", "MaxItemsPath", "ManifestType", "Transformation"],
            QueryLanguage::Jsonata => &["InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "MaxItems", "ManifestType", "Transformation"],
        };
        self.allow_fields(config, &config_pointer, allowed);
        match config.get("InputType") {
            None => {}
            Some(Value::String(kind)) if ["JSON", "JSONL", "CSV", "MANIFEST", "PARQUET"].contains(&kind.as_str()) => {
                reader.input_type = Some(kind.clone());
            }
            Some(other) => self.error(
                format!("{config_pointer}/InputType"),
                SCHEMA,
                format!("'InputType' must be JSON, JSONL, CSV, MANIFEST or PARQUET, not {other}"),
            ),
        }
        match config.get("CSVHeaderLocation") {
            None => {}
            Some(Value::String(at)) if at == "FIRST_ROW" => {}
            Some(Value::String(at)) if at == "GIVEN" => reader.csv_headers_given = true,
            Some(other) => self.error(
                format!("{config_pointer}/CSVHeaderLocation"),
                SCHEMA,
                format!("'CSVHeaderLocation' must be FIRST_ROW or GIVEN, not {other}"),
            ),
        }
        match config.get("CSVHeaders") {
            None if reader.csv_headers_given => {
                self.error(&config_pointer, SCHEMA, "'CSVHeaders' is required when 'CSVHeaderLocation' is GIVEN");
            }
            None => {}
            Some(Value::Array(headers)) if headers.iter().all(Value::is_string) => {
                reader.csv_headers = headers.iter().filter_map(Value::as_str).map(str::to_owned).collect();
            }
            Some(other) => {
                self.error(format!("{config_pointer}/CSVHeaders"), SCHEMA, format!("'CSVHeaders' must be an array of strings, not {other}"));
            }
        }
        match config.get("CSVDelimiter").map(|d| (d, d.as_str())) {
            None => {}
            Some((_, Some("COMMA"))) => reader.csv_delimiter = ',',
            Some((_, Some("PIPE"))) => reader.csv_delimiter = '|',
            Some((_, Some("SEMICOLON"))) => reader.csv_delimiter = ';',
            Some((_, Some("SPACE"))) => reader.csv_delimiter = ' ',
            Some((_, Some("TAB"))) => reader.csv_delimiter = '\t',
            Some((other, _)) => self.error(
                format!("{config_pointer}/CSVDelimiter"),
                SCHEMA,
                format!("'CSVDelimiter' must be COMMA, PIPE, SEMICOLON, SPACE or TAB, not {other}"),
            ),
        }
        self.reader_manifest(&mut reader, config, pointer);
        self.reader_transformation(&mut reader, config, pointer);
        reader.max_items = self.count(config, &config_pointer, "MaxItems", language);
        // The developer guide: "VersionId is not supported for Parquet files" (an Athena manifest's own version is).
        if reader.input_type.as_deref() == Some("PARQUET") && reader.manifest.is_none() {
            let field = if language == QueryLanguage::Jsonata { "Arguments" } else { "Parameters" };
            let arguments = object.get(field).and_then(Value::as_object);
            for key in ["VersionId", "VersionId.$"].into_iter().filter(|key| arguments.is_some_and(|a| a.contains_key(*key))) {
                let message = format!("'{key}' cannot be given for InputType PARQUET: Step Functions reads the object's current version");
                self.error(format!("{pointer}/{field}/{key}"), SCHEMA, message);
            }
        }
        Some(reader)
    }

    /// A `ResultWriter`: a `WriterConfig`, or a `Resource` (S3 putObject) with its `Parameters`/`Arguments`, or all
    /// three, as AWS allows.
    fn result_writer(&mut self, value: &Value, pointer: &str, language: QueryLanguage) -> Option<ResultWriter> {
        let object = self.object(value, pointer)?;
        let allowed: &[&str] = match language {
            QueryLanguage::JsonPath => &["Resource", "Parameters", "WriterConfig"],
            QueryLanguage::Jsonata => &["Resource", "Arguments", "WriterConfig"],
        };
        self.allow_fields(object, pointer, allowed);
        let arguments_field = match language {
            QueryLanguage::JsonPath => "Parameters",
            QueryLanguage::Jsonata => "Arguments",
        };
        let resource = match object.get("Resource") {
            None => None,
            Some(Value::String(resource)) if resource.ends_with(":s3:putObject") && resource.starts_with("arn:aws") => {
                Some(resource.clone())
            }
            Some(other) => {
                let message = format!("a ResultWriter's 'Resource' must be arn:aws:states:::s3:putObject, not {other}");
                self.error(format!("{pointer}/Resource"), SCHEMA, message);
                None
            }
        };
        let arguments = match language {
            QueryLanguage::JsonPath => self.template(object, pointer, "Parameters").map(Arguments::Parameters),
            QueryLanguage::Jsonata => self.dynamic(object.get("Arguments"), &format!("{pointer}/Arguments")).map(Arguments::Arguments),
        };
        let has_config = object.contains_key("WriterConfig");
        match (object.contains_key("Resource"), object.contains_key(arguments_field)) {
            (true, false) => self.error(pointer, SCHEMA, format!("a ResultWriter with a 'Resource' needs '{arguments_field}' (Bucket, Prefix)")),
            (false, true) => self.error(pointer, SCHEMA, format!("a ResultWriter with '{arguments_field}' needs a 'Resource'")),
            (false, false) if !has_config => {
                self.error(pointer, SCHEMA, format!("a ResultWriter needs a 'WriterConfig', or a 'Resource' and '{arguments_field}', or all three"));
            }
            _ => {}
        }
        if let (QueryLanguage::JsonPath, Some(Value::Object(parameters))) = (language, object.get("Parameters"))
            && !parameters.contains_key("Bucket")
            && !parameters.contains_key("Bucket.$")
        {
            self.error(format!("{pointer}/Parameters"), SCHEMA, "a ResultWriter's 'Parameters' need a 'Bucket'");
        }
        let mut writer = ResultWriter { resource, arguments, transformation: None, output_type: None };
        let config_pointer = format!("{pointer}/WriterConfig");
        let Some(config) = object.get("WriterConfig").and_then(|config| self.object(config, &config_pointer)) else { return Some(writer) };
        self.allow_fields(config, &config_pointer, &["Transformation", "OutputType"]);
        match config.get("Transformation") {
            None => {}
            Some(Value::String(kind)) if ["NONE", "COMPACT", "FLATTEN"].contains(&kind.as_str()) => writer.transformation = Some(kind.clone()),
            Some(other) => self.error(
                format!("{config_pointer}/Transformation"),
                SCHEMA,
                format!("'Transformation' must be NONE, COMPACT or FLATTEN, not {other}"),
            ),
        }
        match config.get("OutputType") {
            None => {}
            Some(Value::String(kind)) if kind == "JSON" || kind == "JSONL" => writer.output_type = Some(kind.clone()),
            Some(other) => {
                self.error(format!("{config_pointer}/OutputType"), SCHEMA, format!("'OutputType' must be JSON or JSONL, not {other}"));
            }
        }
        Some(writer)
    }

    /// `Transformation`: `NONE`, or `LOAD_AND_FLATTEN`, which the developer guide gives with `listObjectsV2` and
    /// requires an `InputType` for (CSV, JSON, JSONL or PARQUET: the type of the objects listed).
    fn reader_transformation(&mut self, reader: &mut ItemReader, config: &Object<String, Value>, pointer: &str) {
        let config_pointer = format!("{pointer}/ReaderConfig");
        let transformation_pointer = format!("{config_pointer}/Transformation");
        match config.get("Transformation") {
            None => return,
            Some(Value::String(kind)) if kind == "NONE" => return,
            Some(Value::String(kind)) if kind == "LOAD_AND_FLATTEN" => reader.flatten = true,
            Some(other) => {
                self.error(transformation_pointer, SCHEMA, format!("'Transformation' must be NONE or LOAD_AND_FLATTEN, not {other}"));
                return;
            }
        }
        if s3_action(&reader.resource) != Some("listObjectsV2") {
            self.error(
                &transformation_pointer,
                SCHEMA,
                format!("LOAD_AND_FLATTEN reads the objects arn:aws:states:::s3:listObjectsV2 lists, not {}", reader.resource),
            );
        }
        match reader.input_type.as_deref() {
            None => self.error(&config_pointer, SCHEMA, "Transformation LOAD_AND_FLATTEN needs 'InputType' CSV, JSON, JSONL or PARQUET"),
            Some("MANIFEST") => self.error(
                format!("{config_pointer}/InputType"),
                SCHEMA,
                "'InputType' must be CSV, JSON, JSONL or PARQUET with Transformation LOAD_AND_FLATTEN, not MANIFEST",
            ),
            Some(_) => {}
        }
    }

    /// `ManifestType`, and the combinations with `InputType` and `Resource` the developer guide allows: an S3 inventory
    /// (`S3_INVENTORY`, or `InputType: MANIFEST`) takes no `InputType`, as its files are CSV; an Athena manifest
    /// (`ATHENA_DATA`) names the type of its files, CSV, JSONL or PARQUET; either is read with `s3:getObject`.
    fn reader_manifest(&mut self, reader: &mut ItemReader, config: &Object<String, Value>, pointer: &str) {
        let config_pointer = format!("{pointer}/ReaderConfig");
        let input_pointer = format!("{config_pointer}/InputType");
        match config.get("ManifestType") {
            None => {}
            Some(Value::String(kind)) if kind == "S3_INVENTORY" => reader.manifest = Some(Manifest::S3Inventory),
            Some(Value::String(kind)) if kind == "ATHENA_DATA" => reader.manifest = Some(Manifest::AthenaData),
            Some(other) => self.error(
                format!("{config_pointer}/ManifestType"),
                SCHEMA,
                format!("'ManifestType' must be ATHENA_DATA or S3_INVENTORY, not {other}"),
            ),
        }
        match (reader.manifest, reader.input_type.as_deref()) {
            (None, Some("MANIFEST")) => reader.manifest = Some(Manifest::S3Inventory),
            (Some(Manifest::S3Inventory), Some(kind)) => self.error(
                input_pointer,
                SCHEMA,
                format!("'InputType' must be left out with ManifestType S3_INVENTORY, whose files are CSV, not {kind}"),
            ),
            (Some(Manifest::AthenaData), None) => {
                self.error(&config_pointer, SCHEMA, "ManifestType ATHENA_DATA needs 'InputType' CSV, JSONL or PARQUET");
            }
            (Some(Manifest::AthenaData), Some(kind)) if !["CSV", "JSONL", "PARQUET"].contains(&kind) => self.error(
                input_pointer,
                SCHEMA,
                format!("'InputType' must be CSV, JSONL or PARQUET with ManifestType ATHENA_DATA, not {kind}"),
            ),
            _ => {}
        }
        if reader.manifest.is_some() && s3_action(&reader.resource) != Some("getObject") {
            self.error(
                format!("{pointer}/Resource"),
                SCHEMA,
                format!("a manifest is read with arn:aws:states:::s3:getObject, not {}", reader.resource),
            );
        }
    }

    fn item_batcher(&mut self, value: &Value, pointer: &str, language: QueryLanguage) -> Option<ItemBatcher> {
        let object = self.object(value, pointer)?;
        let allowed: &[&str] = match language {
            QueryLanguage::JsonPath => {
                &["MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput"]
            }
            QueryLanguage::Jsonata => &["MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"],
        };
        self.allow_fields(object, pointer, allowed);
        let batch_input = match language {
            QueryLanguage::JsonPath => self.template(object, pointer, "BatchInput").map(Arguments::Parameters),
            QueryLanguage::Jsonata => self.dynamic(object.get("BatchInput"), &format!("{pointer}/BatchInput")).map(Arguments::Arguments),
        };
        Some(ItemBatcher {
            max_items_per_batch: self.count(object, pointer, "MaxItemsPerBatch", language),
            max_input_bytes_per_batch: self.count(object, pointer, "MaxInputBytesPerBatch", language),
            batch_input,
        })
    }

    fn retriers(&mut self, object: &Object<String, Value>, pointer: &str) -> Vec<Retrier> {
        let Some(value) = object.get("Retry") else { return Vec::new() };
        let pointer = format!("{pointer}/Retry");
        let Some(items) = self.array(value, &pointer) else { return Vec::new() };
        let count = items.len();
        let mut retriers = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("{pointer}/{i}");
            let Some(retrier) = self.object(item, &pointer) else { continue };
            self.allow_fields(
                retrier,
                &pointer,
                &["ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"],
            );
            let error_equals = self.error_equals(retrier, &pointer, i + 1 == count);
            let interval_seconds = match retrier.get("IntervalSeconds") {
                None => 1,
                Some(value) => match value.as_u64() {
                    Some(seconds) if (1..=99_999_999).contains(&seconds) => seconds,
                    _ => {
                        self.error(format!("{pointer}/IntervalSeconds"), SCHEMA, format!("'IntervalSeconds' must be an integer from 1 to 99999999, not {value}"));
                        1
                    }
                },
            };
            let max_attempts = match retrier.get("MaxAttempts") {
                None => 3,
                Some(value) => match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
                    Some(n) if n <= 99_999_999 => n,
                    _ => {
                        self.error(format!("{pointer}/MaxAttempts"), SCHEMA, format!("'MaxAttempts' must be an integer from 0 to 99999999, not {value}"));
                        3
                    }
                },
            };
            let backoff_rate = match retrier.get("BackoffRate") {
                None => 2.0,
                Some(value) => match value.as_f64() {
                    Some(rate) if rate >= 1.0 => rate,
                    _ => {
                        self.error(format!("{pointer}/BackoffRate"), SCHEMA, format!("'BackoffRate' must be a number of at least 1.0, not {value}"));
                        2.0
                    }
                },
            };
            let max_delay_seconds = match retrier.get("MaxDelaySeconds") {
                None => None,
                Some(value) => match value.as_u64() {
                    Some(seconds) if (1..=31_622_400).contains(&seconds) => Some(seconds),
                    _ => {
                        self.error(format!("{pointer}/MaxDelaySeconds"), SCHEMA, format!("'MaxDelaySeconds' must be an integer from 1 to 31622400, not {value}"));
                        None
                    }
                },
            };
            let jitter = match retrier.get("JitterStrategy") {
                None => Jitter::None,
                Some(Value::String(s)) if s == "NONE" => Jitter::None,
                Some(Value::String(s)) if s == "FULL" => Jitter::Full,
                Some(other) => {
                    self.error(format!("{pointer}/JitterStrategy"), SCHEMA, format!("'JitterStrategy' must be FULL or NONE, not {other}"));
                    Jitter::None
                }
            };
            retriers.push(Retrier { error_equals, interval_seconds, max_attempts, backoff_rate, max_delay_seconds, jitter });
        }
        retriers
    }

    fn catchers(
        &mut self,
        object: &Object<String, Value>,
        pointer: &str,
        names: &Names<'_>,
        language: QueryLanguage,
    ) -> Vec<Catcher> {
        let Some(value) = object.get("Catch") else { return Vec::new() };
        let pointer = format!("{pointer}/Catch");
        let Some(items) = self.array(value, &pointer) else { return Vec::new() };
        let count = items.len();
        let mut catchers = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("{pointer}/{i}");
            let Some(catcher) = self.object(item, &pointer) else { continue };
            let allowed: &[&str] = match language {
                QueryLanguage::JsonPath => &["ErrorEquals", "Next", "ResultPath", "Comment", "Assign"],
                QueryLanguage::Jsonata => &["ErrorEquals", "Next", "Comment", "Assign", "Output"],
            };
            self.allow_fields(catcher, &pointer, allowed);
            let assign = self.assign(catcher.get("Assign"), &format!("{pointer}/Assign"), language);
            let output = match language {
                QueryLanguage::Jsonata => self.dynamic(catcher.get("Output"), &format!("{pointer}/Output")),
                QueryLanguage::JsonPath => None,
            };
            let error_equals = self.error_equals(catcher, &pointer, i + 1 == count);
            let next = match catcher.get("Next") {
                Some(Value::String(next)) => self.target(next, &format!("{pointer}/Next"), names),
                Some(_) => {
                    self.error(format!("{pointer}/Next"), SCHEMA, "'Next' must be a state name");
                    None
                }
                None => {
                    self.error(&pointer, SCHEMA, "missing required field 'Next'");
                    None
                }
            };
            let result_path = self.result_path(catcher, &pointer);
            if let Some(next) = next {
                catchers.push(Catcher { error_equals, next, result_path, assign, output });
            }
        }
        catchers
    }

    fn error_equals(&mut self, object: &Object<String, Value>, pointer: &str, last: bool) -> Vec<String> {
        let Some(value) = object.get("ErrorEquals") else {
            self.error(pointer, SCHEMA, "missing required field 'ErrorEquals'");
            return Vec::new();
        };
        let pointer = format!("{pointer}/ErrorEquals");
        let Some(items) = self.array(value, &pointer) else { return Vec::new() };
        if items.is_empty() {
            self.error(&pointer, SCHEMA, "'ErrorEquals' must name at least one error");
        }
        let mut names = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(name) => names.push(name.to_owned()),
                None => self.error(format!("{pointer}/{i}"), SCHEMA, format!("an error name must be a string, not {item}")),
            }
        }
        if names.iter().any(|n| n == crate::errors::ALL) {
            if names.len() > 1 {
                self.error(&pointer, SCHEMA, "'States.ALL' must appear alone in 'ErrorEquals'");
            } else if !last {
                self.error(&pointer, SCHEMA, "'States.ALL' must be in the last retrier or catcher");
            }
        }
        names
    }

    fn transition(&mut self, object: &Object<String, Value>, pointer: &str, names: &Names<'_>) -> Transition {
        match (object.get("Next"), object.get("End")) {
            (Some(Value::String(next)), None) => {
                self.target(next, &format!("{pointer}/Next"), names).map(Transition::Next).unwrap_or(Transition::End)
            }
            (Some(_), None) => {
                self.error(format!("{pointer}/Next"), SCHEMA, "'Next' must be a state name");
                Transition::End
            }
            (None, Some(Value::Bool(true))) => Transition::End,
            (None, Some(other)) => {
                self.error(format!("{pointer}/End"), SCHEMA, format!("'End' must be true, not {other}"));
                Transition::End
            }
            (Some(_), Some(_)) => {
                self.error(pointer, SCHEMA, "a state takes either 'Next' or 'End', not both");
                Transition::End
            }
            (None, None) => {
                self.error(pointer, SCHEMA, "a state needs either 'Next' or 'End': true");
                Transition::End
            }
        }
    }

    fn target(&mut self, name: &str, pointer: &str, names: &Names<'_>) -> Option<StateId> {
        let found = names.ids.get(name).copied();
        if found.is_none() {
            let suggestion = did_you_mean(name, names.ordered.iter().copied());
            self.error(pointer, MISSING_TARGET, format!("'{name}' is not a state of this workflow{suggestion}"));
        }
        found
    }

    fn result_path(&mut self, object: &Object<String, Value>, pointer: &str) -> ResultPath {
        match object.get("ResultPath") {
            None => ResultPath::Replace,
            Some(Value::Null) => ResultPath::Discard,
            Some(value) => match self.reference_path(value, &format!("{pointer}/ResultPath")) {
                Some(path) if path.as_str() == "$" => ResultPath::Replace,
                Some(path) if path.root() != crate::path::Root::Input => {
                    self.error(format!("{pointer}/ResultPath"), SCHEMA, format!("'ResultPath' must start with '$.': {}", path.as_str()));
                    ResultPath::Replace
                }
                Some(path) => ResultPath::At(path),
                None => ResultPath::Replace,
            },
        }
    }

    fn path_or_null(&mut self, object: &Object<String, Value>, pointer: &str, key: &str) -> Option<PathOrNull> {
        match object.get(key)? {
            Value::Null => Some(PathOrNull::Null),
            Value::String(text) if text == "$" => None,
            value => self.path(value, &format!("{pointer}/{key}")).map(PathOrNull::Path),
        }
    }

    fn path(&mut self, value: &Value, pointer: &str) -> Option<Path> {
        let Some(text) = value.as_str() else {
            self.error(pointer, SCHEMA, format!("expected a JSONPath string, found {value}"));
            return None;
        };
        // `Path`'s messages name the path already: "invalid JSONPath '…': why".
        match Path::parse(text) {
            Ok(path) => Some(path),
            Err(message) => {
                self.error(pointer, SCHEMA, message);
                None
            }
        }
    }

    fn reference_path(&mut self, value: &Value, pointer: &str) -> Option<Path> {
        let Some(text) = value.as_str() else {
            self.error(pointer, SCHEMA, format!("expected a reference path string, found {value}"));
            return None;
        };
        match Path::parse_reference(text) {
            Ok(path) => Some(path),
            Err(message) => {
                self.error(pointer, SCHEMA, message);
                None
            }
        }
    }

    /// `Credentials` of a Task: an object with `RoleArn` (or `RoleArn.$` in JSONPath), compiled as the language says.
    fn credentials(&mut self, object: &Object<String, Value>, pointer: &str, language: QueryLanguage) -> Option<Arguments> {
        let value = object.get("Credentials")?;
        let named = value.as_object().is_some_and(|fields| fields.contains_key("RoleArn") || fields.contains_key("RoleArn.$"));
        if value.is_object() && !named {
            self.error(format!("{pointer}/Credentials"), SCHEMA, "Credentials must have the field 'RoleArn'");
        }
        match language {
            QueryLanguage::JsonPath => self.template(object, pointer, "Credentials").map(Arguments::Parameters),
            QueryLanguage::Jsonata => self.dynamic(Some(value), &format!("{pointer}/Credentials")).map(Arguments::Arguments),
        }
    }

    fn template(&mut self, object: &Object<String, Value>, pointer: &str, key: &str) -> Option<Template> {
        let value = object.get(key)?;
        self.compile_template(value, &format!("{pointer}/{key}"))
    }

    fn compile_template(&mut self, value: &Value, pointer: &str) -> Option<Template> {
        match Template::compile(value) {
            Ok(template) => Some(template),
            Err(problems) => {
                for (relative, message) in problems {
                    self.error(format!("{pointer}{relative}"), SCHEMA, message);
                }
                None
            }
        }
    }

    /// `Error`/`ErrorPath` or `Cause`/`CausePath` of a Fail state.
    fn text(&mut self, object: &Object<String, Value>, pointer: &str, key: &str, language: QueryLanguage) -> Option<Text> {
        let path_key = format!("{key}Path");
        match (object.get(key), object.get(&path_key)) {
            (Some(_), Some(_)) => {
                self.error(pointer, SCHEMA, format!("a Fail state takes either '{key}' or '{path_key}', not both"));
                None
            }
            (Some(Value::String(text)), None) if language == QueryLanguage::Jsonata && crate::expr::is_expression(text) => {
                self.expr(&Value::String(text.clone()), &format!("{pointer}/{key}")).map(Text::Expr)
            }
            (Some(Value::String(text)), None) => Some(Text::Literal(text.clone())),
            (Some(other), None) => {
                self.error(format!("{pointer}/{key}"), SCHEMA, format!("'{key}' must be a string, not {other}"));
                None
            }
            (None, Some(Value::String(text))) => {
                let field = format!("{pointer}/{path_key}");
                if text.starts_with("States.") {
                    match Call::parse(text) {
                        Ok(call) => Some(Text::Intrinsic(call)),
                        Err(message) => {
                            self.error(field, SCHEMA, format!("invalid intrinsic function '{text}': {message}"));
                            None
                        }
                    }
                } else {
                    self.reference_path(&Value::String(text.clone()), &field).map(Text::Path)
                }
            }
            (None, Some(other)) => {
                self.error(format!("{pointer}/{path_key}"), SCHEMA, format!("'{path_key}' must be a string, not {other}"));
                None
            }
            (None, None) => None,
        }
    }

    /// A field `key` given literally, by `{key}Path` (a reference path), or, in JSONata states, by an expression.
    fn given<'v>(&mut self, object: &'v Object<String, Value>, pointer: &str, key: &str, language: QueryLanguage) -> Option<Given<'v>> {
        let path_key = format!("{key}Path");
        match (object.get(key), object.get(&path_key)) {
            (Some(_), Some(_)) => {
                self.error(pointer, SCHEMA, format!("a state takes either '{key}' or '{path_key}', not both"));
                None
            }
            (Some(value @ Value::String(_)), None) if language == QueryLanguage::Jsonata => {
                self.expr(value, &format!("{pointer}/{key}")).map(Given::Expr)
            }
            (Some(value), None) => Some(Given::Literal(value)),
            (None, Some(value)) => self.reference_path(value, &format!("{pointer}/{path_key}")).map(Given::Path),
            (None, None) => None,
        }
    }

    /// `TimeoutSeconds`/`TimeoutSecondsPath` and the like: a positive integer, a reference path or an expression.
    fn seconds(&mut self, object: &Object<String, Value>, pointer: &str, key: &str, language: QueryLanguage) -> Option<Seconds> {
        match self.given(object, pointer, key, language)? {
            Given::Literal(value) => match value.as_u64() {
                Some(seconds) if (1..=99_999_999).contains(&seconds) => Some(Seconds::Literal(seconds)),
                _ => {
                    self.error(format!("{pointer}/{key}"), SCHEMA, format!("'{key}' must be an integer from 1 to 99999999, not {value}"));
                    None
                }
            },
            Given::Path(path) => Some(Seconds::Path(path)),
            Given::Expr(expr) => Some(Seconds::Expr(expr)),
        }
    }

    fn count(&mut self, object: &Object<String, Value>, pointer: &str, key: &str, language: QueryLanguage) -> Option<Count> {
        match self.given(object, pointer, key, language)? {
            Given::Literal(value) => match value.as_u64() {
                Some(n) => Some(Count::Literal(n)),
                None => {
                    self.error(format!("{pointer}/{key}"), SCHEMA, format!("'{key}' must be a non-negative integer, not {value}"));
                    None
                }
            },
            Given::Path(path) => Some(Count::Path(path)),
            Given::Expr(expr) => Some(Count::Expr(expr)),
        }
    }

    fn percentage(&mut self, object: &Object<String, Value>, pointer: &str, key: &str, language: QueryLanguage) -> Option<Percentage> {
        match self.given(object, pointer, key, language)? {
            Given::Literal(value) => match value.as_f64() {
                Some(p) if (0.0..=100.0).contains(&p) => Some(Percentage::Literal(p)),
                _ => {
                    self.error(format!("{pointer}/{key}"), SCHEMA, format!("'{key}' must be a number from 0 to 100, not {value}"));
                    None
                }
            },
            Given::Path(path) => Some(Percentage::Path(path)),
            Given::Expr(expr) => Some(Percentage::Expr(expr)),
        }
    }

    fn query_language(&mut self, object: &Object<String, Value>, pointer: &str, inherited: QueryLanguage) -> QueryLanguage {
        match object.get("QueryLanguage") {
            None => inherited,
            Some(Value::String(language)) if language == "JSONPath" => {
                if inherited == QueryLanguage::Jsonata {
                    self.error(
                        format!("{pointer}/QueryLanguage"),
                        SCHEMA,
                        "a state cannot use JSONPath when the state machine's QueryLanguage is JSONata",
                    );
                }
                QueryLanguage::JsonPath
            }
            Some(Value::String(language)) if language == "JSONata" => QueryLanguage::Jsonata,
            Some(other) => {
                self.error(format!("{pointer}/QueryLanguage"), SCHEMA, format!("'QueryLanguage' must be JSONPath or JSONata, not {other}"));
                inherited
            }
        }
    }

    fn opt_positive(&mut self, object: &Object<String, Value>, pointer: &str, key: &str) -> Option<u64> {
        let value = object.get(key)?;
        match value.as_u64() {
            Some(n) if n >= 1 => Some(n),
            _ => {
                self.error(format!("{pointer}/{key}"), SCHEMA, format!("'{key}' must be a positive integer, not {value}"));
                None
            }
        }
    }

    fn opt_string<'v>(&mut self, object: &'v Object<String, Value>, pointer: &str, key: &str) -> Option<&'v str> {
        match object.get(key)? {
            Value::String(s) => Some(s),
            other => {
                self.error(format!("{pointer}/{key}"), SCHEMA, format!("'{key}' must be a string, not {other}"));
                None
            }
        }
    }

    fn object<'v>(&mut self, value: &'v Value, pointer: &str) -> Option<&'v Object<String, Value>> {
        match value {
            Value::Object(object) => Some(object),
            other => {
                self.error(pointer, SCHEMA, format!("expected an object, found {}", kind(other)));
                None
            }
        }
    }

    fn array<'v>(&mut self, value: &'v Value, pointer: &str) -> Option<&'v Vec<Value>> {
        match value {
            Value::Array(items) => Some(items),
            other => {
                self.error(pointer, SCHEMA, format!("expected an array, found {}", kind(other)));
                None
            }
        }
    }

    fn allow(&mut self, object: &Object<String, Value>, pointer: &str, allowed: &[&str], type_name: &str, language: QueryLanguage) {
        for key in object.keys() {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let other = match language {
                QueryLanguage::JsonPath => QueryLanguage::Jsonata,
                QueryLanguage::Jsonata => QueryLanguage::JsonPath,
            };
            let message = match fields(type_name, other) {
                Some(fields) if fields.contains(&key.as_str()) => format!(
                    "field '{key}' is only allowed in {} states, and this state's query language is {}",
                    language_name(other),
                    language_name(language)
                ),
                _ => format!(
                    "field '{key}' is not supported by a {type_name} state{}",
                    did_you_mean(key, allowed.iter().copied())
                ),
            };
            self.error(format!("{pointer}/{}", escape(key)), SCHEMA, message);
        }
    }

    fn allow_fields(&mut self, object: &Object<String, Value>, pointer: &str, allowed: &[&str]) {
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) {
                let suggestion = did_you_mean(key, allowed.iter().copied());
                self.error(format!("{pointer}/{}", escape(key)), SCHEMA, format!("field '{key}' is not supported here{suggestion}"));
            }
        }
    }
}

/// The S3 action of an `ItemReader`'s resource, `arn:<partition>:states:::s3:<action>`.
fn s3_action(resource: &str) -> Option<&str> {
    resource.strip_prefix("arn:")?.split_once(':')?.1.strip_prefix("states:::s3:")
}

/// Whether `resource` is the HTTP Task, `arn:<partition>:states:::http:invoke`, with or without `.waitForTaskToken`.
fn is_http_task(resource: &str) -> bool {
    let mut parts = resource.splitn(3, ':');
    parts.next() == Some("arn")
        && parts.next().is_some_and(|partition| !partition.is_empty())
        && matches!(parts.next(), Some("states:::http:invoke" | "states:::http:invoke.waitForTaskToken"))
}

/// Pushes the states `state` (as written) names in `Next`, `Default`, its Choice rules' and its catchers' `Next`;
/// `None` if one of them is not the name of a state of the workflow, or the state is not an object.
fn raw_successors(state: &Value, names: &Names<'_>, out: &mut Vec<StateId>) -> Option<()> {
    let state = state.as_object()?;
    let mut push = |next: &Value| -> Option<()> {
        out.push(*names.ids.get(next.as_str()?)?);
        Some(())
    };
    for key in ["Next", "Default"] {
        if let Some(next) = state.get(key) {
            push(next)?;
        }
    }
    for list in ["Choices", "Catch"] {
        for item in state.get(list).and_then(Value::as_array).into_iter().flatten() {
            if let Some(next) = item.get("Next") {
                push(next)?;
            }
        }
    }
    Some(())
}

/// Whether any string in `value` (outside nested workflows' own states, which are checked on their own) contains
/// `needle`: `$$` for the Context object in JSONPath, `context` (of `$states.context`) in JSONata. Over-approximates:
/// a false hit only costs building the Context object.
fn mentions(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(s) => s.contains(needle),
        Value::Array(items) => items.iter().any(|item| mentions(item, needle)),
        Value::Object(object) => object.iter().any(|(k, v)| k != "States" && (k.contains(needle) || mentions(v, needle))),
        _ => false,
    }
}

/// Parses an RFC 3339 timestamp (an offset is required) into milliseconds since the epoch.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    // AWS wants ISO-8601's extended form: a 'T' between date and time, which RFC 3339 parsers may let go.
    if text.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let timestamp: jiff::Timestamp = text.parse().ok()?;
    Some(timestamp.as_millisecond())
}

fn state_id(index: usize) -> StateId {
    StateId(u32::try_from(index).unwrap_or(u32::MAX))
}

/// What a JSON value is, as messages name it: `null`, `a boolean`, `a number`, `a string`, `an array`, `an object`.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;
