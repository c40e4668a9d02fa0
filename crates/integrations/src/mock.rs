//! Step Functions Local mock configuration: `StateMachines → TestCases → state → response`, `MockedResponses`.
//!
//! A mock config answers "what does the n-th call of this Task state return?" for one test case of one state
//! machine. It is read once, validated completely (every problem is reported with a JSON Pointer), and then only
//! looked up. This module does not count invocations, decide which states are mockable, or apply
//! `ResultSelector`/`ResultPath`: a `Return` value is the task's raw result and a `Throw` is the task's failure.
//!
//! The format is the one of AWS Step Functions Local (`sfn-local-mock-cfg-file`):
//!
//! ```json
//! { "StateMachines": { "MyMachine": { "TestCases": { "HappyPath": { "LambdaState": "MockedLambdaSuccess" } } } },
//!   "MockedResponses": { "MockedLambdaSuccess": {
//!       "0":   { "Throw": { "Error": "Lambda.ServiceException", "Cause": "…" } },
//!       "1-2": { "Return": { "StatusCode": 200, "Payload": { } } } } } }
//! ```
//!
//! Keys of a mocked response are 0-based invocation numbers (`"0"`) or inclusive ranges (`"1-2"`); they must cover
//! `0..=last` without gaps or overlaps. Top-level keys other than `StateMachines` and `MockedResponses` are
//! ignored (the conformance corpus adds `format` and `notes`); unknown keys anywhere else are errors.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::{Error, TaskError, TaskOutcome};

/// A whole mock configuration file, validated.
#[derive(Debug, Clone, Default)]
pub struct MockConfig {
    /// State machine name → test case name → state name → mocked response name.
    /// Invariant: every mocked response name is a key of `responses` (checked in `MockConfig::check`).
    state_machines: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>,
    responses: BTreeMap<String, MockedResponse>,
}

/// The mocks of one test case: which mocked response each state gets.
#[derive(Debug, Clone, Default)]
pub struct TestCase {
    states: BTreeMap<String, MockedResponse>,
}

/// One entry of `MockedResponses`: the outcomes of consecutive invocations.
#[derive(Debug, Clone, PartialEq)]
pub struct MockedResponse {
    name: String,
    /// Invariant: sorted, the first starts at 0, each starts right after the previous one ends, never empty.
    entries: Vec<Entry>,
}

/// The answer of a mock config for one invocation of one state.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The test case does not mock this state: the task runs for real (SFN Local calls the service).
    Unmocked,
    /// The mocked outcome of this invocation.
    Outcome(TaskOutcome),
    /// The state is mocked but its mocked response has no entry for this invocation.
    Exhausted(Exhausted),
}

/// A mocked state was called more often than its mocked response covers.
///
/// AWS documents that every invocation of a mocked Task must have a response and that otherwise "the state machine
/// execution will fail"; Step Functions Local does not reuse the last entry. `Exhausted::task_error` is that
/// failure as Baton reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exhausted {
    /// The Task state.
    pub state: String,
    /// The mocked response the test case gives it.
    pub mocked_response: String,
    /// The 0-based invocation that has no entry.
    pub invocation: u32,
    /// How many invocations the mocked response covers (`0..covered`).
    pub covered: u32,
}

/// A problem found while validating a mock config: where (JSON Pointer) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON Pointer to the offending value, e.g. `/MockedResponses/MockedLambda/1-x`.
    pub pointer: String,
    /// What is wrong, lowercase, naming the offending key or value.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    /// The key as written in the file, for messages.
    key: String,
    first: u32,
    last: u32,
    outcome: TaskOutcome,
}

impl MockConfig {
    /// Parses the JSON text of a mock config file.
    pub fn load_str(text: &str) -> Result<MockConfig, Error> {
        let value: Value = serde_json::from_str(text).map_err(|err| Error::MockConfig(format!("not JSON: {err}")))?;
        MockConfig::from_value(&value)
    }

    /// Reads a mock config from its JSON value; the error lists every problem (see `MockConfig::check`).
    pub fn from_value(value: &Value) -> Result<MockConfig, Error> {
        MockConfig::check(value).map_err(|problems| {
            let list: Vec<String> = problems.iter().map(Problem::to_string).collect();
            Error::MockConfig(list.join("; "))
        })
    }

    /// Validates a mock config value, returning it or every problem found (never stops at the first one).
    pub fn check(value: &Value) -> Result<MockConfig, Vec<Problem>> {
        let mut problems = Vec::new();
        let Some(root) = value.as_object() else {
            problems.push(Problem::new("", format!("expected an object, found {}", kind(value))));
            return Err(problems);
        };
        let responses = match root.get("MockedResponses") {
            None => {
                problems.push(Problem::new("", "missing required field \"MockedResponses\""));
                BTreeMap::new()
            }
            Some(value) => check_responses(value, &mut problems),
        };
        let state_machines = match root.get("StateMachines") {
            None => {
                problems.push(Problem::new("", "missing required field \"StateMachines\""));
                BTreeMap::new()
            }
            Some(value) => check_state_machines(value, root.get("MockedResponses"), &mut problems),
        };
        if problems.is_empty() {
            Ok(MockConfig {
                state_machines,
                responses,
            })
        } else {
            Err(problems)
        }
    }

    /// The test case `case` of state machine `state_machine` (the state machine's name, not its ARN), if the config
    /// has it.
    pub fn test_case(&self, state_machine: &str, case: &str) -> Option<TestCase> {
        let states = self.state_machines.get(state_machine)?.get(case)?;
        let states = states
            .iter()
            .filter_map(|(state, response)| Some((state.clone(), self.responses.get(response)?.clone())))
            .collect();
        Some(TestCase { states })
    }

    /// The names of the configured state machines, sorted.
    pub fn state_machines(&self) -> impl Iterator<Item = &str> {
        self.state_machines.keys().map(String::as_str)
    }

    /// The names of the test cases of `state_machine`, sorted (none if the state machine is not configured).
    pub fn test_cases(&self, state_machine: &str) -> impl Iterator<Item = &str> {
        self.state_machines
            .get(state_machine)
            .into_iter()
            .flat_map(|cases| cases.keys().map(String::as_str))
    }
}

impl TestCase {
    /// The mocked outcome of the `invocation`-th (0-based, retries included) call of state `state`, or `None` when
    /// the state is not mocked or its responses are exhausted (`TestCase::lookup` tells the two apart).
    pub fn response(&self, state: &str, invocation: u32) -> Option<TaskOutcome> {
        match self.lookup(state, invocation) {
            Lookup::Outcome(outcome) => Some(outcome),
            Lookup::Unmocked | Lookup::Exhausted(_) => None,
        }
    }

    /// What the mock config says about the `invocation`-th (0-based, retries included) call of state `state`.
    ///
    /// A call past the last entry is `Lookup::Exhausted`, never a repeat of the last entry: Step Functions Local
    /// requires a response for every invocation of a mocked Task and fails the execution otherwise (AWS docs,
    /// "Configuration file for mocked service integrations"). The caller decides how the invocation counter runs
    /// (SFN Local counts per state across Map iterations).
    pub fn lookup(&self, state: &str, invocation: u32) -> Lookup {
        let Some(response) = self.states.get(state) else {
            return Lookup::Unmocked;
        };
        match response
            .entries
            .iter()
            .find(|entry| entry.first <= invocation && invocation <= entry.last)
        {
            Some(entry) => Lookup::Outcome(entry.outcome.clone()),
            None => Lookup::Exhausted(Exhausted {
                state: state.to_owned(),
                mocked_response: response.name.clone(),
                invocation,
                covered: response.covered(),
            }),
        }
    }

    /// This test case with state `state` answered by `response`, in place of what it gave that state before.
    pub fn with(mut self, state: &str, response: MockedResponse) -> TestCase {
        self.states.insert(state.to_owned(), response);
        self
    }

    /// Whether this test case mocks state `state`.
    pub fn is_mocked(&self, state: &str) -> bool {
        self.states.contains_key(state)
    }

    /// The mocked states and the mocked response each one gets, sorted by state name.
    pub fn states(&self) -> impl Iterator<Item = (&str, &MockedResponse)> {
        self.states.iter().map(|(state, response)| (state.as_str(), response))
    }
}

impl MockedResponse {
    /// The name of this mocked response (its key in `MockedResponses`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A mocked response written inline, as `baton test` files write them: one outcome (`{"Return": …}` or
    /// `{"Throw": {"Error": …, "Cause": …}}`) answers every invocation; an array of outcomes answers successive
    /// invocations, and an invocation past its end is exhausted, as with a mock file's numbered entries. Every problem
    /// is reported, with a JSON Pointer under `at`.
    pub fn inline(name: &str, value: &Value, at: &str) -> Result<MockedResponse, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut entries = Vec::new();
        match value {
            Value::Array(outcomes) if outcomes.is_empty() => {
                problems.push(Problem::new(at, "expected at least one response, found an empty array"));
            }
            Value::Array(outcomes) => {
                for (index, outcome) in outcomes.iter().enumerate() {
                    let at = pointer_append(at, &index.to_string());
                    let n = u32::try_from(index).unwrap_or(u32::MAX);
                    if let Some(outcome) = check_outcome(outcome, &at, &mut problems) {
                        entries.push(Entry { key: index.to_string(), first: n, last: n, outcome });
                    }
                }
            }
            outcome => {
                if let Some(outcome) = check_outcome(outcome, at, &mut problems) {
                    entries.push(Entry { key: "0-".to_owned(), first: 0, last: u32::MAX, outcome });
                }
            }
        }
        if problems.is_empty() { Ok(MockedResponse { name: name.to_owned(), entries }) } else { Err(problems) }
    }

    /// How many invocations this mocked response covers: invocations `0..covered`.
    pub fn covered(&self) -> u32 {
        self.entries.last().map_or(0, |entry| entry.last.saturating_add(1))
    }
}

impl Exhausted {
    /// The failure of the task: `States.Runtime`, which no `Retry` or `Catch` handles, so the execution fails as
    /// Step Functions Local documents.
    pub fn task_error(&self) -> TaskError {
        TaskError::new(
            "States.Runtime",
            format!(
                "no mocked response for invocation {} of state '{}': mocked response '{}' covers invocations 0-{}",
                self.invocation,
                self.state,
                self.mocked_response,
                self.covered.saturating_sub(1)
            ),
        )
    }
}

impl Problem {
    fn new(pointer: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() { "/" } else { &self.pointer };
        write!(f, "{pointer}: {}", self.message)
    }
}

fn check_state_machines(
    value: &Value,
    responses: Option<&Value>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>> {
    let mut result = BTreeMap::new();
    let Some(machines) = expect_object(value, "/StateMachines", problems) else {
        return result;
    };
    for (machine, value) in machines {
        let at = pointer(&["StateMachines", machine]);
        let Some(fields) = expect_object(value, &at, problems) else {
            continue;
        };
        unknown_keys(fields, &["TestCases"], &at, problems);
        let Some(cases) = fields.get("TestCases") else {
            problems.push(Problem::new(at, "missing required field \"TestCases\""));
            continue;
        };
        let at = pointer(&["StateMachines", machine, "TestCases"]);
        let Some(cases) = expect_object(cases, &at, problems) else {
            continue;
        };
        let mut checked = BTreeMap::new();
        for (case, value) in cases {
            let at = pointer(&["StateMachines", machine, "TestCases", case]);
            let Some(states) = expect_object(value, &at, problems) else {
                continue;
            };
            let mut mapping = BTreeMap::new();
            for (state, value) in states {
                let at = pointer(&["StateMachines", machine, "TestCases", case, state]);
                let Some(name) = value.as_str() else {
                    let message = format!("expected the name of a mocked response, found {}", kind(value));
                    problems.push(Problem::new(at, message));
                    continue;
                };
                if !responses
                    .and_then(Value::as_object)
                    .is_some_and(|responses| responses.contains_key(name))
                {
                    let message = format!("state '{state}' uses mocked response '{name}', which MockedResponses lacks");
                    problems.push(Problem::new(at, message));
                    continue;
                }
                mapping.insert(state.clone(), name.to_owned());
            }
            checked.insert(case.clone(), mapping);
        }
        result.insert(machine.clone(), checked);
    }
    result
}

fn check_responses(value: &Value, problems: &mut Vec<Problem>) -> BTreeMap<String, MockedResponse> {
    let mut result = BTreeMap::new();
    let Some(responses) = expect_object(value, "/MockedResponses", problems) else {
        return result;
    };
    for (name, value) in responses {
        let at = pointer(&["MockedResponses", name]);
        let Some(entries) = expect_object(value, &at, problems) else {
            continue;
        };
        if entries.is_empty() {
            problems.push(Problem::new(
                at,
                format!("mocked response '{name}' has no entries; expected \"0\" at least"),
            ));
            continue;
        }
        let before = problems.len();
        let mut checked = Vec::new();
        for (key, value) in entries {
            let at = pointer(&["MockedResponses", name, key]);
            let range = parse_range(key).map_err(|message| problems.push(Problem::new(at.clone(), message)));
            let outcome = check_outcome(value, &at, problems);
            if let (Ok((first, last)), Some(outcome)) = (range, outcome) {
                checked.push(Entry {
                    key: key.clone(),
                    first,
                    last,
                    outcome,
                });
            }
        }
        checked.sort_by_key(|entry| entry.first);
        if problems.len() == before {
            // Gaps are only meaningful once every key parsed.
            check_coverage(name, &checked, &at, problems);
        }
        if problems.len() == before {
            result.insert(
                name.clone(),
                MockedResponse {
                    name: name.clone(),
                    entries: checked,
                },
            );
        }
    }
    result
}

/// Reports overlaps and gaps between the (sorted) entries of mocked response `name`.
fn check_coverage(name: &str, entries: &[Entry], at: &str, problems: &mut Vec<Problem>) {
    let mut next: u64 = 0;
    let mut reaching: Option<&Entry> = None; // The entry that covers invocation `next - 1`.
    for entry in entries {
        let first = u64::from(entry.first);
        if first < next {
            let other = reaching.map_or_else(String::new, |p| format!(" (overlaps \"{}\")", p.key));
            let message = format!(
                "mocked response '{name}': invocation {} is covered twice{other}",
                entry.first
            );
            problems.push(Problem::new(pointer_append(at, &entry.key), message));
        } else if first > next {
            let missing = if first - next == 1 {
                format!("{next}")
            } else {
                format!("{next}-{}", first - 1)
            };
            let message = format!("mocked response '{name}' has no entry for invocation(s) {missing}");
            problems.push(Problem::new(at, message));
        }
        if u64::from(entry.last) + 1 > next {
            next = u64::from(entry.last) + 1;
            reaching = Some(entry);
        }
    }
}

fn check_outcome(value: &Value, at: &str, problems: &mut Vec<Problem>) -> Option<TaskOutcome> {
    let fields = expect_object(value, at, problems)?;
    unknown_keys(fields, &["Return", "Throw"], at, problems);
    match (fields.get("Return"), fields.get("Throw")) {
        (Some(_), Some(_)) => {
            problems.push(Problem::new(
                at,
                "expected exactly one of \"Return\" and \"Throw\", found both",
            ));
            None
        }
        (None, None) => {
            problems.push(Problem::new(
                at,
                "expected exactly one of \"Return\" and \"Throw\", found neither",
            ));
            None
        }
        (Some(value), None) => Some(Ok(value.clone())),
        (None, Some(value)) => check_throw(value, &pointer_append(at, "Throw"), problems).map(Err),
    }
}

fn check_throw(value: &Value, at: &str, problems: &mut Vec<Problem>) -> Option<TaskError> {
    let fields = expect_object(value, at, problems)?;
    unknown_keys(fields, &["Error", "Cause"], at, problems);
    let error = match fields.get("Error") {
        Some(Value::String(error)) => Some(error.clone()),
        Some(other) => {
            let message = format!("\"Error\" must be a string, found {}", kind(other));
            problems.push(Problem::new(pointer_append(at, "Error"), message));
            None
        }
        None => {
            problems.push(Problem::new(at, "missing required field \"Error\""));
            None
        }
    };
    // AWS records a task failure without a cause (e.g. `States.Timeout`) as `"Cause": null`, so null is allowed.
    let cause = match fields.get("Cause") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(cause)) => Ok(Some(cause.clone())),
        Some(other) => {
            let message = format!("\"Cause\" must be a string or null, found {}", kind(other));
            problems.push(Problem::new(pointer_append(at, "Cause"), message));
            Err(())
        }
    };
    match (error, cause) {
        (Some(error), Ok(cause)) => Some(TaskError { error, cause }),
        _ => None,
    }
}

/// Parses `"3"` or `"1-3"` (inclusive) into `(first, last)`.
fn parse_range(key: &str) -> Result<(u32, u32), String> {
    let number = |text: &str| -> Result<u32, String> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "invalid invocation key \"{key}\": expected a number (\"0\") or an inclusive range (\"1-3\")"
            ));
        }
        text.parse()
            .map_err(|_| format!("invalid invocation key \"{key}\": {text} is too large"))
    };
    let (first, last) = match key.split_once('-') {
        None => {
            let n = number(key)?;
            (n, n)
        }
        Some((first, last)) => (number(first)?, number(last)?),
    };
    if first > last {
        return Err(format!(
            "invalid invocation key \"{key}\": the range ends before it starts"
        ));
    }
    Ok((first, last))
}

fn expect_object<'v>(value: &'v Value, at: &str, problems: &mut Vec<Problem>) -> Option<&'v Map<String, Value>> {
    let object = value.as_object();
    if object.is_none() {
        problems.push(Problem::new(at, format!("expected an object, found {}", kind(value))));
    }
    object
}

fn unknown_keys(fields: &Map<String, Value>, known: &[&str], at: &str, problems: &mut Vec<Problem>) {
    for key in fields.keys().filter(|key| !known.contains(&key.as_str())) {
        let expected: Vec<String> = known.iter().map(|k| format!("\"{k}\"")).collect();
        let message = format!("unknown field \"{key}\"; expected {}", expected.join(" or "));
        problems.push(Problem::new(pointer_append(at, key), message));
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON Pointer (RFC 6901) from unescaped reference tokens.
fn pointer(tokens: &[&str]) -> String {
    tokens
        .iter()
        .fold(String::new(), |at, token| pointer_append(&at, token))
}

fn pointer_append(at: &str, token: &str) -> String {
    format!("{at}/{}", token.replace('~', "~0").replace('/', "~1"))
}
