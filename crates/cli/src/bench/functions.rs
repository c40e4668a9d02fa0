//! `baton bench --functions FILE`: invocations per second of each local function in a functions file.
//!
//! Each function is called as a state machine calls it: an inline Map over numbers (`{"n": i}` each) whose processor
//! is one Task with the function's Lambda ARN, at most `--concurrency` invocations at once, run in process as
//! `baton run` runs it. A first Map of `--concurrency` items warms up (it starts a warm function's processes and is
//! not counted); then Maps of `8 × --concurrency` items run until `--seconds` have passed. The figure is invocations
//! per second over those, engine included (it costs microseconds per invocation; the function costs the rest).
//!
//! Every invocation's result is counted only if its execution succeeded: a function that fails stops its benchmark
//! with the error.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use asl::model::StateMachine;
use engine::{Limits, Status};
use integrations::functions::Functions;
use runtime::{Clock, Options, Resources};

/// What measuring one function found.
struct Measurement {
    invocations: usize,
    elapsed: Duration,
}

/// Measures every function of `file` (those whose name contains `only`) for about `seconds` each; prints a table or
/// JSON lines on `out`. Whether all of them ran.
pub(super) fn functions(
    file: &Path,
    only: Option<&str>,
    seconds: f64,
    concurrency: usize,
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    let functions = Functions::read(file).with_context(|| format!("in functions file {}", file.display()))?;
    let concurrency = concurrency.max(1);
    let resources = Arc::new(Resources { functions: functions.clone(), ..Resources::default() });
    if !json {
        writeln!(out, "{:<24} {:>12} {:>10} {:>14} {:>14}", "function", "invocations", "seconds", "invocations/s", "µs/invocation")?;
    }
    let mut all_ran = true;
    for name in functions.names().into_iter().filter(|name| only.is_none_or(|only| name.contains(only))) {
        let measured = measure(&name, &resources, concurrency, Duration::from_secs_f64(seconds));
        let measurement = match measured {
            Ok(measurement) => measurement,
            Err(err) => {
                all_ran = false;
                eprintln!("{name}: {err:#}");
                continue;
            }
        };
        let seconds = measurement.elapsed.as_secs_f64();
        let per_second = measurement.invocations as f64 / seconds;
        let micros = seconds * 1e6 / measurement.invocations as f64;
        if json {
            let line = json!({
                "function": name,
                "invocations": measurement.invocations,
                "seconds": seconds,
                "concurrency": concurrency,
                "invocations_per_second": per_second.round(),
                "microseconds_per_invocation": micros,
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{name:<24} {:>12} {seconds:>10.2} {per_second:>14.0} {micros:>14.0}", measurement.invocations)?;
        }
    }
    // The warm functions' processes stop here rather than when the process exits.
    functions.stop();
    Ok(all_ran)
}

/// Warms `name` up, then runs Maps of it until `budget` has passed.
fn measure(name: &str, resources: &Arc<Resources>, concurrency: usize, budget: Duration) -> anyhow::Result<Measurement> {
    run_map(name, resources, concurrency, concurrency).context("warming up")?;
    let batch = 8 * concurrency;
    let mut measurement = Measurement { invocations: 0, elapsed: Duration::ZERO };
    let started = Instant::now();
    while measurement.invocations == 0 || measurement.elapsed < budget {
        run_map(name, resources, batch, concurrency)?;
        measurement.invocations += batch;
        measurement.elapsed = started.elapsed();
    }
    Ok(measurement)
}

/// One execution: a Map of `items` invocations of `name`, `concurrency` at a time.
fn run_map(name: &str, resources: &Arc<Resources>, items: usize, concurrency: usize) -> anyhow::Result<()> {
    let machine = map_machine(name, concurrency)?;
    let input = json!({"items": (0..items).map(|n| json!({"n": n})).collect::<Vec<_>>()});
    let options = Options {
        clock: Clock::Real,
        limits: Limits { max_history_events: 0, ..Limits::default() },
        resources: resources.clone(),
        progress: None,
        keep_history: false,
        max_evaluation_ms: 0,
    };
    let execution = runtime::run(Arc::new(machine), super::info(&format!("invoke_{name}")), input, options);
    match execution.status() {
        Status::Succeeded { output } if output["count"] == json!(items) => Ok(()),
        other => bail!("the Map of {items} invocations did not succeed: {other:?}"),
    }
}

fn map_machine(name: &str, concurrency: usize) -> anyhow::Result<StateMachine> {
    let definition = json!({
        "StartAt": "Invoke",
        "States": {"Invoke": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": concurrency,
            "ResultSelector": {"count.$": "States.ArrayLength($)"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Call", "States": {"Call": {
                "Type": "Task", "Resource": format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"), "End": true}}},
            "End": true
        }}
    });
    asl::parse::parse_value(&definition).map_err(|d| anyhow::anyhow!("the benchmark's Map of {name}: {d:?}"))
}
