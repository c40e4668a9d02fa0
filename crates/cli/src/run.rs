//! `baton run`: one execution in process; prints the output, or the `--json` result contract.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use engine::{ExecutionInfo, Limits, Status};
use integrations::connections::Connections;
use integrations::functions::Functions;
use integrations::mock::MockConfig;
use runtime::{Clock, Options, Progress, Resources};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The definition file (JSON or YAML).
    definition: PathBuf,
    /// The execution input, as JSON text.
    #[arg(long, conflicts_with = "input_file")]
    input: Option<String>,
    /// A file holding the execution input.
    #[arg(long)]
    input_file: Option<PathBuf>,
    /// The state machine's name (default: the file's stem); also picks the mock config's state machine.
    #[arg(long)]
    name: Option<String>,
    /// The execution's name (default: a generated one).
    #[arg(long)]
    execution_name: Option<String>,
    /// A Step Functions Local mock config file.
    #[arg(long, requires = "test_case")]
    mock_config: Option<PathBuf>,
    /// The mock config's test case to use.
    #[arg(long, requires = "mock_config")]
    test_case: Option<String>,
    /// A TOML file of local functions (`[functions.NAME]` with `command` or `url`).
    #[arg(long)]
    functions: Option<PathBuf>,
    /// A TOML file of EventBridge connections for HTTP Tasks (`[connections.NAME]` with `basic`, `api_key`,
    /// `headers`, `query`, `body`); a connection not in it adds nothing to the request.
    #[arg(long)]
    connections: Option<PathBuf>,
    #[command(flatten)]
    aws: crate::AwsArgs,
    #[command(flatten)]
    http: crate::HttpArgs,
    /// Skip waits: Wait states, retry intervals and timeouts advance a virtual clock.
    #[arg(long)]
    virtual_time: bool,
    /// Print one JSON object: status, output or error and cause (and history with --history).
    #[arg(long)]
    json: bool,
    /// Include the execution history.
    #[arg(long)]
    history: bool,
    /// The workflow type: STANDARD or EXPRESS.
    #[arg(long = "type", default_value = "STANDARD", value_parser = ["STANDARD", "EXPRESS"])]
    workflow_type: String,
    /// The region in ARNs.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// The account id in ARNs.
    #[arg(long, default_value = "123456789012")]
    account_id: String,
    /// Largest payload (state input, output, task result) in bytes.
    #[arg(long, default_value_t = 262_144)]
    max_payload_bytes: usize,
    /// Most history events an execution may have before it fails, as AWS's 25,000; 0 for no limit.
    #[arg(long, default_value_t = 25_000)]
    max_history_events: usize,
    /// How long one JSONata evaluation may run before it fails with States.QueryEvaluationError, in milliseconds;
    /// 0 for no limit.
    #[arg(long, default_value_t = runtime::DEFAULT_MAX_EVALUATION_MS)]
    max_evaluation_ms: u64,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.definition)
        .with_context(|| format!("cannot read definition {}", args.definition.display()))?;
    let machine = match asl::parse(&text) {
        Ok(machine) => Arc::new(machine),
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                eprintln!("{}:{diagnostic}", args.definition.display());
            }
            bail!("invalid definition {} ({} problems)", args.definition.display(), diagnostics.len());
        }
    };
    let input: Value = match (&args.input, &args.input_file) {
        (Some(text), _) => {
            check_input_size(text, args.max_payload_bytes)?;
            serde_json::from_str(text).context("--input is not valid JSON")?
        }
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file).with_context(|| format!("cannot read input {}", file.display()))?;
            check_input_size(&text, args.max_payload_bytes)?;
            serde_json::from_str(&text).with_context(|| format!("input file {} is not valid JSON", file.display()))?
        }
        (None, None) => json!({}),
    };
    let name = args.name.clone().unwrap_or_else(|| stem(&args.definition));
    let mut resources = Resources { aws: args.aws.client(args.http.open()), ..Resources::default() };
    if let (Some(file), Some(case)) = (&args.mock_config, &args.test_case) {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read mock config {}", file.display()))?;
        let config = MockConfig::load_str(&text).with_context(|| format!("in {}", file.display()))?;
        let Some(test_case) = config.test_case(&name, case) else {
            bail!("mock config {} has no test case '{case}' for state machine '{name}'", file.display());
        };
        resources.mocks = Some(test_case);
    }
    if let Some(file) = &args.functions {
        // Relative commands and working directories are relative to the functions file.
        resources.functions = Functions::read(file).with_context(|| format!("in functions file {}", file.display()))?;
    }
    if let Some(file) = &args.connections {
        resources.http.connections = Connections::read(file)?;
    }
    resources.http.egress = args.http.open();
    let execution_name = args.execution_name.clone().unwrap_or_else(generated_name);
    let express = args.workflow_type == "EXPRESS";
    // Express executions have their own ARN form: `…:express:<machine>:<name>:<id>`.
    // ARNs name the region's partition (`aws-cn` for `cn-*`, …).
    let partition = runtime::partition(&args.region);
    let states = format!("arn:{partition}:states:{}:{}", args.region, args.account_id);
    let execution_arn = if express {
        format!("{states}:express:{name}:{execution_name}:{}", generated_name())
    } else {
        format!("{states}:execution:{name}:{execution_name}")
    };
    let info = ExecutionInfo {
        execution_arn,
        state_machine_arn: format!("{states}:stateMachine:{name}"),
        state_machine_name: name,
        name: execution_name,
        role_arn: format!("arn:{partition}:iam::{}:role/baton", args.account_id),
        region: args.region.clone(),
        express,
        version_arn: None,
        alias_arn: None,
    };
    let limits = Limits {
        max_payload_bytes: args.max_payload_bytes,
        max_history_events: args.max_history_events,
        ..Limits::default()
    };
    let started = Instant::now();
    let mut reporter = Reporter { started, shown: false, last: started, tty: std::io::stderr().is_terminal() };
    let mut report = |progress: &Progress| reporter.report(progress);
    let options = Options {
        clock: if args.virtual_time { Clock::Virtual } else { Clock::Real },
        limits,
        resources: Arc::new(resources),
        progress: Some(&mut report),
        keep_history: args.history,
        max_evaluation_ms: args.max_evaluation_ms,
    };
    let execution = runtime::run(machine, info, input, options);
    reporter.finish();
    let status = execution.status();
    let mut stdout = std::io::stdout().lock();
    if args.json {
        let mut result = match status {
            Status::Succeeded { output } => json!({"status": "SUCCEEDED", "output": output}),
            Status::Failed(e) => json!({"status": "FAILED", "error": e.error, "cause": e.cause}),
            Status::TimedOut(e) => json!({"status": "TIMED_OUT", "error": e.error, "cause": e.cause}),
            Status::Aborted(e) => json!({"status": "ABORTED", "error": e.error, "cause": e.cause}),
            Status::Running | Status::NotStarted => json!({"status": "RUNNING"}),
        };
        if args.history {
            let history: Vec<Value> = execution.history().iter().map(engine::HistoryEvent::to_json).collect();
            result["history"] = Value::Array(history);
        }
        writeln!(stdout, "{result}")?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.history {
        for event in execution.history() {
            writeln!(stdout, "{}", event.to_json())?;
        }
    }
    match status {
        Status::Succeeded { output } => {
            writeln!(stdout, "{}", serde_json::to_string_pretty(output)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Status::Failed(e) | Status::TimedOut(e) | Status::Aborted(e) => {
            let label = match status {
                Status::TimedOut(_) => "TIMED_OUT",
                Status::Aborted(_) => "ABORTED",
                _ => "FAILED",
            };
            eprintln!("{label}");
            eprintln!("error: {}", e.error.as_deref().unwrap_or("(none)"));
            eprintln!("cause: {}", e.cause.as_deref().unwrap_or("(none)"));
            Ok(ExitCode::from(1))
        }
        Status::Running | Status::NotStarted => bail!("the execution did not finish"),
    }
}

/// Shows progress on stderr once a run has taken more than a moment: on a terminal one line, rewritten twice a
/// second; elsewhere (a log, CI) a line every ten seconds.
struct Reporter {
    started: Instant,
    last: Instant,
    shown: bool,
    tty: bool,
}

impl Reporter {
    fn report(&mut self, progress: &Progress) {
        let now = Instant::now();
        let every = if self.tty { Duration::from_millis(500) } else { Duration::from_secs(10) };
        if now.duration_since(self.started) < Duration::from_secs(1) || (self.shown && now.duration_since(self.last) < every) {
            return;
        }
        self.last = now;
        self.shown = true;
        let line = progress_line(now.duration_since(self.started), progress);
        if self.tty {
            eprint!("\r{line}\x1b[K");
        } else {
            eprintln!("{line}");
        }
    }

    fn finish(&self) {
        if self.shown && self.tty {
            eprintln!();
        }
    }
}

/// What a progress line says: the time, the state running (and whether it retries), and the counts.
fn progress_line(elapsed: Duration, progress: &Progress) -> String {
    let state = match (&progress.state, progress.failures) {
        (Some(state), 0) => format!(" in {state},"),
        (Some(state), failures) => format!(" in {state}, retrying (attempt {}),", failures + 1),
        (None, _) => String::new(),
    };
    format!(
        "running {:.1}s:{state} {} states entered, {} map iterations done, {} events",
        elapsed.as_secs_f64(),
        progress.states_entered,
        progress.map_iterations_done,
        progress.events
    )
}

/// An execution input over the payload limit is refused before the execution starts, as AWS's StartExecution refuses
/// it (`InvalidExecutionInput`), instead of failing the first state that passes it on.
fn check_input_size(text: &str, limit: usize) -> anyhow::Result<()> {
    let bytes = text.len();
    if bytes > limit {
        bail!("the execution input is {bytes} bytes, more than the maximum of {limit} (--max-payload-bytes)");
    }
    let depth = engine::nesting_depth(text);
    if depth > engine::MAX_NESTING_DEPTH {
        bail!("the execution input is nested {depth} levels deep, more than the maximum of {}", engine::MAX_NESTING_DEPTH);
    }
    Ok(())
}

fn stem(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("StateMachine");
    let name = name.strip_suffix(".json").or_else(|| name.strip_suffix(".yaml")).or_else(|| name.strip_suffix(".yml")).unwrap_or(name);
    let name = name.strip_suffix(".asl").unwrap_or(name);
    name.to_owned()
}

/// A fresh execution name, unique enough for one machine: time and process id.
fn generated_name() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{:08x}-{:04x}-{:04x}", (nanos >> 32) as u32, (nanos >> 16) as u16, std::process::id() as u16)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use runtime::local::Progress;

    use super::progress_line;

    #[test]
    fn a_progress_line_names_the_state_and_whether_it_retries() {
        let mut progress = Progress { states_entered: 3, map_iterations_done: 0, events: 9, state: Some("Charge".to_owned()), failures: 0 };
        let line = progress_line(Duration::from_millis(1500), &progress);
        assert_eq!(line, "running 1.5s: in Charge, 3 states entered, 0 map iterations done, 9 events");
        progress.failures = 2;
        let line = progress_line(Duration::from_millis(1500), &progress);
        assert!(line.contains(" in Charge, retrying (attempt 3),"), "{line}");
    }
}
