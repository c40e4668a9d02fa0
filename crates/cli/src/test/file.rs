//! Test files (`*.test.yaml`, `*.test.json`): reading and validating them, with every problem located.
//!
//! A file is loaded as JSON or YAML by `asl::source` (the same loader as definitions) and checked field by field, so
//! each problem has a JSON Pointer and a line and column; an unknown field is refused with the nearest known name.
//! The files a test file names (definition, local functions, mock config) are read here too, relative to it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use asl::model::{StateKind, StateMachine};
use asl::source::Format;
use integrations::aws::Aws;
use integrations::functions::Functions;
use integrations::mock::{MockConfig, MockedResponse, TestCase};
use runtime::Resources;

/// A test file, validated: the state machine it tests and its cases.
pub(crate) struct Suite {
    /// The file, as found (relative to where `baton test` was pointed).
    pub(crate) path: PathBuf,
    /// The file's text and syntax, for `--update`.
    pub(crate) text: String,
    pub(crate) format: Format,
    pub(crate) machine: Arc<StateMachine>,
    /// The definition's file (`stateMachine`, next to the test file): suites of one definition share its coverage.
    pub(crate) definition: PathBuf,
    /// The state machine's name in ARNs and in the mock config (`stateMachineName`, else the definition's stem).
    pub(crate) machine_name: String,
    pub(crate) cases: Vec<Case>,
}

/// One case of a test file.
pub(crate) struct Case {
    /// Its position in the file's `cases`.
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) input: Value,
    /// The mocks (the mock file's test case, then the case's own), local functions and AWS client it runs with.
    pub(crate) resources: Arc<Resources>,
    pub(crate) expect: Expect,
}

/// What a case expects of its execution. Everything left out is not checked, except `status` (see `Expect::status`).
#[derive(Default)]
pub(crate) struct Expect {
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`; when left out, `SUCCEEDED`, or `FAILED` if an error or cause
    /// is expected.
    pub(crate) status: String,
    pub(crate) error: Option<String>,
    pub(crate) cause: Option<Text>,
    pub(crate) output: Option<Match>,
    pub(crate) path: Option<Vec<String>>,
    /// State address (`Name`, `Parent/Child`, `Map/2/Child`) → what it expects of that state, in file order.
    pub(crate) states: Vec<(String, StateExpect)>,
}

/// An expected text: whole, or a part of it.
pub(crate) enum Text {
    Exact(String),
    Contains(String),
}

/// An expected JSON value: equal, or a subset (`…Contains`: objects may have more members).
pub(crate) enum Match {
    Exact(Value),
    Contains(Value),
}

/// What a case expects of one state.
#[derive(Default)]
pub(crate) struct StateExpect {
    pub(crate) entered: Option<u64>,
    pub(crate) retries: Option<u64>,
    pub(crate) output: Option<Match>,
    /// Each named variable's value after the state's last exit.
    pub(crate) variables: Option<Map<String, Value>>,
}

/// The execution statuses a case may expect.
pub(crate) const STATUSES: [&str; 4] = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

/// A problem in a test file (or a file it names): where and what.
struct Problem {
    pointer: String,
    message: String,
}

/// Reads and validates the test file `path`; the error is every problem, one line each (`file:line:col: /ptr: msg`).
pub(crate) fn load(path: &Path, aws: &Aws) -> Result<Suite, Vec<String>> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{display}: cannot read: {e}")])?;
    let (value, format) = asl::source::load(&text).map_err(|d| vec![format!("{display}:{d}")])?;
    let mut problems = Vec::new();
    let mut outside = Vec::new();
    let suite = check(path, &value, aws, &mut problems, &mut outside);
    if problems.is_empty()
        && outside.is_empty()
        && let Some((machine, machine_name, cases)) = suite
    {
        let named = value.get("stateMachine").and_then(Value::as_str).unwrap_or_default();
        let definition = path.parent().unwrap_or_else(|| Path::new("")).join(named);
        return Ok(Suite { path: path.to_owned(), text, format, machine, definition, machine_name, cases });
    }
    let mut lines: Vec<String> = problems
        .iter()
        .map(|p| {
            let pointer = if p.pointer.is_empty() { "/" } else { &p.pointer };
            match asl::source::locate(&text, format, &p.pointer) {
                Some((line, column)) => format!("{display}:{line}:{column}: {pointer}: {}", p.message),
                None => format!("{display}: {pointer}: {}", p.message),
            }
        })
        .collect();
    lines.extend(outside);
    Err(lines)
}

type Checked = (Arc<StateMachine>, String, Vec<Case>);

fn check(path: &Path, value: &Value, aws: &Aws, problems: &mut Vec<Problem>, outside: &mut Vec<String>) -> Option<Checked> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let root = object(value, "", problems)?;
    known(root, &["stateMachine", "stateMachineName", "functions", "mockConfig", "cases"], "", problems);
    let machine = match root.get("stateMachine") {
        None => {
            problems.push(problem("", "missing required field \"stateMachine\" (the definition, relative to this file)"));
            None
        }
        Some(file) => string(file, "/stateMachine", problems).and_then(|file| definition(&dir.join(file), problems, outside)),
    };
    let machine_name = match root.get("stateMachineName") {
        Some(name) => string(name, "/stateMachineName", problems).map(str::to_owned),
        None => root.get("stateMachine").and_then(Value::as_str).map(stem),
    };
    let mut base = Resources { aws: aws.clone(), ..Resources::default() };
    if let Some(file) = root.get("functions").and_then(|f| string(f, "/functions", problems)) {
        let file = dir.join(file);
        match Functions::read(&file) {
            Ok(functions) => base.functions = functions,
            Err(e) => problems.push(problem("/functions", format!("{}: {e}", file.display()))),
        }
    }
    let mock_config = root.get("mockConfig").and_then(|f| string(f, "/mockConfig", problems)).and_then(|file| {
        let file = dir.join(file);
        let loaded = std::fs::read_to_string(&file).map_err(|e| e.to_string()).and_then(|text| MockConfig::load_str(&text).map_err(|e| e.to_string()));
        loaded.map_err(|e| problems.push(problem("/mockConfig", format!("{}: {e}", file.display())))).ok()
    });
    let names = machine.as_ref().map(|m: &Arc<StateMachine>| state_names(m));
    let context = Context { machine_name: machine_name.as_deref().unwrap_or(""), mock_config: mock_config.as_ref(), names: names.as_ref(), base: &base };
    let cases = match root.get("cases") {
        None => {
            problems.push(problem("", "missing required field \"cases\""));
            Vec::new()
        }
        Some(Value::Array(cases)) if cases.is_empty() => {
            problems.push(problem("/cases", "expected at least one case, found an empty array"));
            Vec::new()
        }
        Some(Value::Array(cases)) => {
            let mut seen = BTreeSet::new();
            let mut checked = Vec::new();
            for (index, value) in cases.iter().enumerate() {
                if let Some(name) = value.get("name").and_then(Value::as_str)
                    && !seen.insert(name)
                {
                    problems.push(problem(format!("/cases/{index}/name"), format!("a second case named '{name}'")));
                }
                checked.extend(check_case(index, value, &context, problems));
            }
            checked
        }
        Some(other) => {
            problems.push(problem("/cases", format!("expected an array of cases, found {}", kind(other))));
            Vec::new()
        }
    };
    Some((machine?, machine_name?, cases))
}

/// What checking a case needs from its file.
struct Context<'a> {
    machine_name: &'a str,
    mock_config: Option<&'a MockConfig>,
    /// Every state name of the machine with whether it is a Task, when the definition is valid.
    names: Option<&'a Vec<(String, bool)>>,
    base: &'a Resources,
}

fn check_case(index: usize, value: &Value, context: &Context<'_>, problems: &mut Vec<Problem>) -> Option<Case> {
    let at = format!("/cases/{index}");
    let fields = object(value, &at, problems)?;
    known(fields, &["name", "input", "testCase", "mocks", "expect"], &at, problems);
    let before = problems.len();
    let name = match fields.get("name") {
        None => {
            problems.push(problem(&at, "missing required field \"name\""));
            None
        }
        Some(name) => string(name, &format!("{at}/name"), problems).map(str::to_owned),
    };
    let input = fields.get("input").cloned().unwrap_or_else(|| Value::Object(Map::new()));
    let mut mocks = TestCase::default();
    match (fields.get("testCase"), context.mock_config) {
        (None, _) => {}
        (Some(_), None) => problems.push(problem(format!("{at}/testCase"), "a test case needs a \"mockConfig\" file")),
        (Some(case), Some(config)) => {
            if let Some(case) = string(case, &format!("{at}/testCase"), problems) {
                match config.test_case(context.machine_name, case) {
                    Some(found) => mocks = found,
                    None => {
                        let cases: Vec<&str> = config.test_cases(context.machine_name).collect();
                        let message = format!(
                            "the mock config has no test case '{case}' for state machine '{}'{}",
                            context.machine_name,
                            hint(case, &cases)
                        );
                        problems.push(problem(format!("{at}/testCase"), message));
                    }
                }
            }
        }
    }
    if let Some(value) = fields.get("mocks") {
        let at = format!("{at}/mocks");
        if let Some(states) = object(value, &at, problems) {
            for (state, response) in states {
                let at = format!("{at}/{}", escape(state));
                if let Some(names) = context.names {
                    let tasks: Vec<&str> = names.iter().filter(|(_, task)| *task).map(|(n, _)| n.as_str()).collect();
                    if !tasks.contains(&state.as_str()) {
                        problems.push(problem(&at, format!("the state machine has no Task state '{state}'{}", hint(state, &tasks))));
                        continue;
                    }
                }
                match MockedResponse::inline(state, response, &at) {
                    Ok(response) => mocks = mocks.with(state, response),
                    Err(found) => problems.extend(found.into_iter().map(|p| problem(p.pointer, p.message))),
                }
            }
        }
    }
    let expect = match fields.get("expect") {
        None => Expect { status: "SUCCEEDED".to_owned(), ..Expect::default() },
        Some(value) => check_expect(value, &format!("{at}/expect"), context, problems),
    };
    if problems.len() > before {
        return None;
    }
    let mocked = fields.contains_key("testCase") || fields.contains_key("mocks");
    let resources = Resources { mocks: mocked.then_some(mocks), ..context.base.clone() };
    Some(Case { index, name: name?, input, resources: Arc::new(resources), expect })
}

fn check_expect(value: &Value, at: &str, context: &Context<'_>, problems: &mut Vec<Problem>) -> Expect {
    let mut expect = Expect::default();
    let Some(fields) = object(value, at, problems) else { return expect };
    known(fields, &["status", "error", "cause", "causeContains", "output", "outputContains", "path", "states"], at, problems);
    let status = fields.get("status").and_then(|s| string(s, &format!("{at}/status"), problems));
    if let Some(status) = status
        && !STATUSES.contains(&status)
    {
        problems.push(problem(format!("{at}/status"), format!("unknown status '{status}'; expected one of {}", STATUSES.join(", "))));
    }
    expect.error = fields.get("error").and_then(|e| string(e, &format!("{at}/error"), problems)).map(str::to_owned);
    expect.cause = match (fields.get("cause"), fields.get("causeContains")) {
        (Some(_), Some(_)) => {
            problems.push(problem(format!("{at}/causeContains"), "give \"cause\" or \"causeContains\", not both"));
            None
        }
        (Some(c), None) => string(c, &format!("{at}/cause"), problems).map(|c| Text::Exact(c.to_owned())),
        (None, Some(c)) => string(c, &format!("{at}/causeContains"), problems).map(|c| Text::Contains(c.to_owned())),
        (None, None) => None,
    };
    expect.output = json_match(fields, "output", "outputContains", at, problems);
    let failing = expect.error.is_some() || expect.cause.is_some();
    expect.status = status.map_or(if failing { "FAILED" } else { "SUCCEEDED" }, |s| s).to_owned();
    if let Some(path) = fields.get("path") {
        let at = format!("{at}/path");
        match path {
            Value::Array(names) => {
                let mut checked = Vec::new();
                for (i, name) in names.iter().enumerate() {
                    if let Some(name) = string(name, &format!("{at}/{i}"), problems) {
                        state_exists(name, &format!("{at}/{i}"), context, problems);
                        checked.push(name.to_owned());
                    }
                }
                expect.path = Some(checked);
            }
            other => problems.push(problem(at, format!("expected an array of state names, found {}", kind(other)))),
        }
    }
    if let Some(states) = fields.get("states") {
        let at = format!("{at}/states");
        if let Some(states) = object(states, &at, problems) {
            for (address, value) in states {
                let at = format!("{at}/{}", escape(address));
                for segment in address.split('/').filter(|s| s.parse::<usize>().is_err()) {
                    state_exists(segment, &at, context, problems);
                }
                let Some(fields) = object(value, &at, problems) else { continue };
                known(fields, &["entered", "retries", "output", "outputContains", "variables"], &at, problems);
                let count = |field: &str, problems: &mut Vec<Problem>| {
                    let value = fields.get(field)?;
                    let count = value.as_u64();
                    if count.is_none() {
                        problems.push(problem(format!("{at}/{field}"), format!("expected a count (0 or more), found {}", kind(value))));
                    }
                    count
                };
                let entered = count("entered", problems);
                let retries = count("retries", problems);
                let output = json_match(fields, "output", "outputContains", &at, problems);
                let variables = fields.get("variables").and_then(|v| object(v, &format!("{at}/variables"), problems)).cloned();
                expect.states.push((address.clone(), StateExpect { entered, retries, output, variables }));
            }
        }
    }
    expect
}

fn json_match(fields: &Map<String, Value>, exact: &str, subset: &str, at: &str, problems: &mut Vec<Problem>) -> Option<Match> {
    match (fields.get(exact), fields.get(subset)) {
        (Some(_), Some(_)) => {
            problems.push(problem(format!("{at}/{subset}"), format!("give \"{exact}\" or \"{subset}\", not both")));
            None
        }
        (Some(value), None) => Some(Match::Exact(value.clone())),
        (None, Some(value)) => Some(Match::Contains(value.clone())),
        (None, None) => None,
    }
}

/// Reports a state name the machine does not have (nothing when the definition did not load).
fn state_exists(name: &str, at: &str, context: &Context<'_>, problems: &mut Vec<Problem>) {
    if let Some(names) = context.names
        && !names.iter().any(|(n, _)| n == name)
    {
        let all: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        problems.push(problem(at, format!("the state machine has no state '{name}'{}", hint(name, &all))));
    }
}

/// Loads the definition `file`; its own problems are listed as `baton validate` lists them.
fn definition(file: &Path, problems: &mut Vec<Problem>, outside: &mut Vec<String>) -> Option<Arc<StateMachine>> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => {
            problems.push(problem("/stateMachine", format!("cannot read {}: {e}", file.display())));
            return None;
        }
    };
    match asl::parse(&text) {
        Ok(machine) => Some(Arc::new(machine)),
        Err(diagnostics) => {
            problems.push(problem("/stateMachine", format!("{} is not a valid definition ({} problems, below)", file.display(), diagnostics.len())));
            outside.extend(diagnostics.iter().map(|d| format!("{}:{d}", file.display())));
            None
        }
    }
}

/// Every state name of `machine`, nested ones included, with whether the state is a Task.
fn state_names(machine: &StateMachine) -> Vec<(String, bool)> {
    let states = machine.workflows.iter().flat_map(|w| w.states.iter());
    states.map(|s| (s.name.clone(), matches!(s.kind, StateKind::Task(_)))).collect()
}

fn object<'v>(value: &'v Value, at: &str, problems: &mut Vec<Problem>) -> Option<&'v Map<String, Value>> {
    let found = value.as_object();
    if found.is_none() {
        problems.push(problem(at, format!("expected an object, found {}", kind(value))));
    }
    found
}

fn string<'v>(value: &'v Value, at: &str, problems: &mut Vec<Problem>) -> Option<&'v str> {
    let found = value.as_str();
    if found.is_none() {
        problems.push(problem(at, format!("expected a string, found {}", kind(value))));
    }
    found
}

/// Refuses the fields not in `expected`, suggesting the nearest one.
fn known(fields: &Map<String, Value>, expected: &[&str], at: &str, problems: &mut Vec<Problem>) {
    for key in fields.keys().filter(|k| !expected.contains(&k.as_str())) {
        let message = match suggest(key, expected) {
            Some(near) => format!("unknown field \"{key}\"; did you mean \"{near}\"?"),
            None => format!("unknown field \"{key}\"; expected one of {}", expected.join(", ")),
        };
        problems.push(problem(format!("{at}/{}", escape(key)), message));
    }
}

/// `; did you mean 'X'?` when a name is near `word`, else nothing.
fn hint(word: &str, names: &[&str]) -> String {
    suggest(word, names).map(|near| format!("; did you mean '{near}'?")).unwrap_or_default()
}

/// The name nearest `word` by edit distance (case-insensitive), if it is near enough to be a misspelling.
fn suggest<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    let best = names.iter().map(|name| (distance(&word, &name.to_lowercase()), *name)).min_by_key(|(d, _)| *d)?;
    (best.0 <= (word.chars().count() / 3).max(1)).then_some(best.1)
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(0);
            let left = row.get(j).copied().unwrap_or(0);
            let cost = if ca == *cb { previous } else { previous + 1 };
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = cost.min(above + 1).min(left + 1);
            }
            previous = above;
        }
    }
    row.last().copied().unwrap_or(0)
}

fn problem(pointer: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem { pointer: pointer.into(), message: message.into() }
}

fn escape(key: &str) -> String {
    asl::diagnostic::escape(key)
}

fn kind(value: &Value) -> &'static str {
    asl::parse::kind(value)
}

/// A definition file's stem without `.asl`: `order.asl.json` → `order`.
fn stem(file: &str) -> String {
    let name = Path::new(file).file_name().and_then(|n| n.to_str()).unwrap_or(file);
    let name = [".json", ".yaml", ".yml"].iter().find_map(|ext| name.strip_suffix(ext)).unwrap_or(name);
    name.strip_suffix(".asl").unwrap_or(name).to_owned()
}
