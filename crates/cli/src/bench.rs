//! `baton bench`: the benchmark workloads, run in process, in state transitions per second.
//!
//! Each workload (`NAME.asl.json`, `NAME.input.json`, `NAME.expected.json` in the workloads folder) runs on one
//! thread with the virtual clock and full history, repeatedly for about `--seconds`; its output is checked against
//! the expected one first. A built-in `pass_chain_100_jsonata` is `pass_chain_100` written in JSONata. A built-in
//! `map_100k` workload (an inline Map over `--map-items` items) shows that a large
//! Map runs in bounded memory: its figure is the process's peak resident memory. `--histories DIR` writes each
//! workload's history, so that a change meant to make the engine faster can be shown not to change what it records.
//!
//! `--api` and `--parked N` measure the durable server through its HTTP API instead (`api`), `--api --duration S` a
//! steady mix of calls from `--clients` for S seconds (`load`); `--aws` measures Tasks
//! calling an AWS service (`aws`); `--functions FILE` measures invocations per second of local functions
//! (`functions`); `--csv-rows N` a distributed Map reading a CSV through its ItemReader (`reader`).

mod api;
mod aws;
mod functions;
mod http;
mod load;
mod reader;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use asl::model::StateMachine;
use engine::{EventDetails, ExecutionInfo, HistoryEvent, Limits, Status};
use runtime::{Clock, Options, Resources};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The folder of workloads.
    #[arg(long, default_value = "../shared/bench/workloads")]
    workloads: PathBuf,
    /// Run only the workloads whose name contains this text.
    #[arg(long)]
    only: Option<String>,
    /// How long to repeat each workload, in seconds.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Items of the built-in large Map workload (0 to skip it).
    #[arg(long, default_value_t = 100_000)]
    map_items: usize,
    /// Print one JSON object per workload instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write each workload's history (of its first run) to `NAME.history.jsonl` in this folder, one event per
    /// line as the store keeps it, so the histories of two builds can be compared (timestamps aside: the virtual
    /// clock starts at the wall clock's time).
    #[arg(long)]
    histories: Option<PathBuf>,
    /// Measure durable state transitions per second through the HTTP API (service in process, fsync on) instead.
    #[arg(long)]
    api: bool,
    /// Executions per `--api` workload.
    #[arg(long, default_value_t = 1000)]
    api_executions: usize,
    /// With `--api`: a load test instead of the workloads: the clients drive a steady mix (starts, describes, history
    /// reads, callbacks answered) for this many seconds; calls per second and latency percentiles by action.
    #[arg(long)]
    duration: Option<f64>,
    /// Concurrent HTTP clients of `--api` and `--parked`.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Park this many executions in a one-day Wait in a `baton serve` child process: report its resident memory,
    /// then kill it with SIGKILL and report how long the restart takes to serve again.
    #[arg(long, num_args = 0..=1, default_missing_value = "10000")]
    parked: Option<usize>,
    /// Measure Tasks calling an AWS service (SQS sendMessage on a local stand-in) instead: calls per second and the
    /// overhead Baton adds per call.
    #[arg(long)]
    aws: bool,
    /// Measure a distributed Map reading a CSV of this many rows through its ItemReader (a local folder as the
    /// bucket), in batches of 1,000, instead: items per second and peak resident memory.
    #[arg(long)]
    csv_rows: Option<usize>,
    /// Calls per `--aws` run.
    #[arg(long, default_value_t = 2000)]
    aws_calls: usize,
    /// Where `--api` and `--parked` put their (temporary) data directories.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// `--api` and `--parked` on this PostgreSQL database instead of SQLite (it should be empty: the workloads create
    /// their state machines in it).
    #[arg(long, env = "BATON_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// `--api` with `--database-url`: how many servers share the database (in this process, each with its own HTTP
    /// listener); the clients start executions on each in turn.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Measure invocations per second of each function in this functions file instead (Maps of Lambda Tasks, for
    /// about `--seconds` each; `--only` picks functions).
    #[arg(long)]
    functions: Option<PathBuf>,
    /// How many invocations of a `--functions` function run at once (the Map's MaxConcurrency).
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

/// One workload: a machine, its input, and what it must produce.
struct Workload {
    name: String,
    machine: Arc<StateMachine>,
    input: Value,
    expected: Option<Value>,
}

/// What running a workload measured.
struct Measurement {
    runs: u64,
    transitions: u64,
    events: u64,
    elapsed: Duration,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.aws {
        aws::aws(args.aws_calls.max(1), &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(rows) = args.csv_rows {
        let root = args.data_dir.clone().unwrap_or_else(std::env::temp_dir);
        reader::csv_rows(rows, &root, &mut std::io::stdout().lock())?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(file) = &args.functions {
        let mut stdout = std::io::stdout().lock();
        let all_ran = functions::functions(file, args.only.as_deref(), args.seconds, args.concurrency, args.json, &mut stdout)?;
        return Ok(if all_ran { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    if args.api || args.parked.is_some() {
        let root = args.data_dir.clone().unwrap_or_else(std::env::temp_dir);
        let mut stdout = std::io::stdout().lock();
        let target = api::Target { root: &root, database_url: args.database_url.as_deref(), nodes: args.nodes };
        match (args.api, args.duration) {
            (true, Some(seconds)) if seconds.is_finite() && seconds > 0.0 => {
                load::load(args.clients, Duration::from_secs_f64(seconds), &target, &mut stdout)?;
            }
            (true, Some(seconds)) => anyhow::bail!("--duration must be a positive number of seconds, not {seconds}"),
            (true, None) => {
                api::api(args.api_executions, args.clients, args.only.as_deref(), &args.workloads, &target, &mut stdout)?;
            }
            (false, _) => {}
        }
        if let Some(count) = args.parked {
            api::parked(count, args.clients, &target, &mut stdout)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut workloads = Vec::new();
    if args.workloads.is_dir() {
        workloads = load_workloads(&args.workloads)?;
    } else {
        eprintln!("note: no workloads folder at {}; only built-in workloads run", args.workloads.display());
    }
    workloads.push(jsonata_pass_chain()?);
    if args.map_items > 0 {
        workloads.push(large_map(args.map_items)?);
    }
    if let Some(only) = &args.only {
        workloads.retain(|w| w.name.contains(only.as_str()));
    }
    let mut stdout = std::io::stdout().lock();
    if !args.json {
        writeln!(stdout, "{:<20} {:>8} {:>12} {:>14} {:>12} {:>10}", "workload", "runs", "transitions", "transitions/s", "µs/run", "peak MiB")?;
    }
    let mut failed = false;
    for workload in &workloads {
        let budget = if workload.name == "map_100k" { Duration::ZERO } else { Duration::from_secs_f64(args.seconds) };
        let measurement = match measure(workload, budget, args.histories.as_deref()) {
            Ok(measurement) => measurement,
            Err(err) => {
                failed = true;
                eprintln!("{}: {err:#}", workload.name);
                continue;
            }
        };
        let seconds = measurement.elapsed.as_secs_f64();
        let per_second = measurement.transitions as f64 / seconds;
        let per_run = seconds * 1e6 / measurement.runs as f64;
        let peak = peak_resident_mib();
        if args.json {
            let line = json!({
                "workload": workload.name,
                "runs": measurement.runs,
                "transitions": measurement.transitions,
                "events": measurement.events,
                "seconds": seconds,
                "transitions_per_second": per_second.round(),
                "microseconds_per_run": per_run,
                "peak_resident_mib": peak,
            });
            writeln!(stdout, "{line}")?;
        } else {
            let peak = peak.map_or_else(|| "-".to_owned(), |p| format!("{p:.0}"));
            writeln!(
                stdout,
                "{:<20} {:>8} {:>12} {:>14.0} {:>12.1} {:>10}",
                workload.name, measurement.runs, measurement.transitions, per_second, per_run, peak
            )?;
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Runs `workload` once, checks its result (and writes its history into `histories`), then repeats it until `budget`
/// has passed.
fn measure(workload: &Workload, budget: Duration, histories: Option<&Path>) -> anyhow::Result<Measurement> {
    let resources = Arc::new(Resources::default());
    let mut measurement = Measurement { runs: 0, transitions: 0, events: 0, elapsed: Duration::ZERO };
    let started = Instant::now();
    loop {
        // The large Map is far past AWS's 25,000-event history limit; the benchmark measures the engine, not the limit.
        let limits = Limits { max_history_events: 0, ..Limits::default() };
        let options = Options {
            clock: Clock::Virtual,
            limits,
            resources: resources.clone(),
            progress: None,
            keep_history: true,
            max_evaluation_ms: 0,
        };
        let execution = runtime::run(workload.machine.clone(), info(&workload.name), workload.input.clone(), options);
        if measurement.runs == 0 {
            check(workload, execution.status())?;
            if let Some(dir) = histories {
                write_history(&dir.join(format!("{}.history.jsonl", workload.name)), execution.history())?;
            }
        }
        measurement.runs += 1;
        measurement.events += execution.event_count();
        measurement.transitions +=
            execution.history().iter().filter(|e| matches!(e.details, EventDetails::StateEntered { .. })).count() as u64;
        measurement.elapsed = started.elapsed();
        if measurement.elapsed >= budget && (measurement.runs >= 3 || budget.is_zero()) {
            return Ok(measurement);
        }
    }
}

fn check(workload: &Workload, status: &Status) -> anyhow::Result<()> {
    let Some(expected) = &workload.expected else { return Ok(()) };
    match status {
        Status::Succeeded { output } if expected["status"] == "SUCCEEDED" => {
            if *output != expected["output"] {
                bail!("output differs from the expected one: {}", output);
            }
            Ok(())
        }
        other => bail!("expected {}, got {other:?}", expected["status"]),
    }
}

fn write_history(file: &Path, history: &[HistoryEvent]) -> anyhow::Result<()> {
    let mut text = String::new();
    for event in history {
        text.push_str(&event.to_json_text());
        text.push('\n');
    }
    std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))
}

fn info(name: &str) -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: format!("arn:aws:states:us-east-1:123456789012:execution:{name}:bench"),
        name: "bench".to_owned(),
        state_machine_arn: format!("arn:aws:states:us-east-1:123456789012:stateMachine:{name}"),
        state_machine_name: name.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/baton".to_owned(),
        region: "us-east-1".to_owned(),
        express: false,
        version_arn: None,
        alias_arn: None,
    }
}

fn load_workloads(dir: &Path) -> anyhow::Result<Vec<Workload>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .flatten()
        .filter_map(|entry| entry.file_name().to_str().and_then(|n| n.strip_suffix(".asl.json")).map(str::to_owned))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(format!("{name}.asl.json")))?;
            let machine = asl::parse(&text).map_err(|d| anyhow::anyhow!("{name}: invalid definition: {}", d.len()))?;
            let input = match std::fs::read_to_string(dir.join(format!("{name}.input.json"))) {
                Ok(text) => serde_json::from_str(&text)?,
                Err(_) => json!({}),
            };
            let expected = match std::fs::read_to_string(dir.join(format!("{name}.expected.json"))) {
                Ok(text) => Some(serde_json::from_str(&text)?),
                Err(_) => None,
            };
            Ok(Workload { name, machine: Arc::new(machine), input, expected })
        })
        .collect()
}

/// `pass_chain_100` in JSONata: 100 Pass states, each building the accumulator with one `Output` expression.
fn jsonata_pass_chain() -> anyhow::Result<Workload> {
    let mut states = serde_json::Map::new();
    for i in 0..100 {
        let mut state = json!({
            "Type": "Pass",
            "Output": format!(
                "{{% $merge([$states.input, {{'acc': {{'step': {i}, 'prev': $states.input.acc.step, 'name': $states.input.name}}}}]) %}}"
            ),
        });
        if i < 99 {
            state["Next"] = json!(format!("P{}", i + 1));
        } else {
            state["End"] = json!(true);
        }
        states.insert(format!("P{i}"), state);
    }
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "P0", "States": states});
    let machine = asl::parse::parse_value(&definition).map_err(|d| anyhow::anyhow!("built-in JSONata workload: {d:?}"))?;
    let expected = json!({"status": "SUCCEEDED", "output": {"name": "bench", "acc": {"step": 99, "prev": 98, "name": "bench"}}});
    Ok(Workload {
        name: "pass_chain_100_jsonata".to_owned(),
        machine: Arc::new(machine),
        input: json!({"name": "bench", "acc": {"step": -1}}),
        expected: Some(expected),
    })
}

/// An inline Map over `items` numbers with a one-state Pass processor.
fn large_map(items: usize) -> anyhow::Result<Workload> {
    let definition = json!({
        "StartAt": "M",
        "States": {"M": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0, "ResultSelector": {"count.$": "States.ArrayLength($)"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Parameters": {"n.$": "$"}, "End": true}}},
            "End": true
        }}
    });
    let machine = asl::parse::parse_value(&definition).map_err(|d| anyhow::anyhow!("built-in map workload: {d:?}"))?;
    let input = json!({"items": (0..items).collect::<Vec<_>>()});
    let expected = json!({"status": "SUCCEEDED", "output": {"count": items}});
    Ok(Workload { name: "map_100k".to_owned(), machine: Arc::new(machine), input, expected: Some(expected) })
}

/// The process's peak resident memory (VmHWM), on Linux.
fn peak_resident_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
