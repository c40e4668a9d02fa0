//! `baton bench --csv-rows N`: a distributed Map whose ItemReader reads a CSV of N rows (from a local folder mapped
//! as the bucket, so S3's speed is not measured), in batches of 1,000 items with a Pass processor: in process, then
//! under a `baton serve` child process (durable, each batch a child execution with its history). Reports items per
//! second and each process's peak resident memory.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::json;

use engine::{Limits, Status};
use integrations::aws::{Aws, Options as AwsOptions};
use runtime::{Clock, Options, Resources};

pub(crate) fn csv_rows(rows: usize, root: &std::path::Path, out: &mut impl Write) -> anyhow::Result<()> {
    let folder = super::api::TempDir::new(root, "csv")?;
    let mut csv = String::with_capacity(rows * 32);
    csv.push_str("id,name,amount\n");
    for i in 0..rows {
        csv.push_str(&format!("{i},customer {},{}.{:02}\n", i % 977, i % 1000, i % 100));
    }
    std::fs::write(folder.path().join("rows.csv"), &csv).context("cannot write the CSV")?;
    let bytes = csv.len();
    drop(csv);
    let definition = json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                           "Parameters": {"Bucket": "bench", "Key": "rows.csv"}},
            "ItemBatcher": {"MaxItemsPerBatch": 1000},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Work",
                              "States": {"Work": {"Type": "Pass", "Result": "ok", "End": true}}},
            "ResultSelector": {"batches.$": "States.ArrayLength($)"},
            "End": true
        }}
    });
    let served = serve(&definition, rows, root, folder.path())?;
    let machine = Arc::new(asl::parse::parse_value(&definition).map_err(|d| anyhow::anyhow!("the CSV workload: {d:?}"))?);
    let resources = Arc::new(Resources {
        aws: Aws::new(AwsOptions {
            offline: true,
            buckets: [("bench".to_owned(), folder.path().to_owned())].into_iter().collect(),
            ..AwsOptions::default()
        }),
        ..Resources::default()
    });
    let options = Options {
        clock: Clock::Virtual,
        limits: Limits { max_history_events: 0, ..Limits::default() },
        resources,
        progress: None,
        keep_history: false,
        max_evaluation_ms: 0,
    };
    let started = Instant::now();
    let execution = runtime::run(machine, super::info("csv_rows"), json!({}), options);
    let elapsed = started.elapsed().as_secs_f64();
    let expected = json!({"batches": rows.div_ceil(1000)});
    match execution.status() {
        Status::Succeeded { output } if *output == expected => {}
        other => bail!("the CSV workload ended {other:?}, expected output {expected}"),
    }
    let peak = super::peak_resident_mib().map_or_else(|| "-".to_owned(), |p| format!("{p:.0}"));
    writeln!(out, "{:<28} {:>10} {:>12} {:>10} {:>10}", "workload", "rows", "items/s", "seconds", "peak MiB")?;
    writeln!(out, "{:<28} {:>10} {:>12.0} {:>10.2} {:>10}", format!("csv_rows ({} MB)", bytes / 1_000_000), rows, rows as f64 / elapsed, elapsed, peak)?;
    let (elapsed, peak) = served;
    writeln!(out, "{:<28} {:>10} {:>12.0} {:>10.2} {:>10.0}", "csv_rows under baton serve", rows, rows as f64 / elapsed, elapsed, peak)?;
    Ok(())
}

/// Runs `definition` in a `baton serve` child process with the folder mapped as the bucket: seconds from
/// StartExecution to its end, and the server's peak resident memory in MiB.
fn serve(definition: &serde_json::Value, rows: usize, root: &std::path::Path, folder: &std::path::Path) -> anyhow::Result<(f64, f64)> {
    let data = super::api::TempDir::new(root, "csv-serve")?;
    let mapping = format!("bench={}", folder.display());
    let server = super::api::ServeProcess::start_with(data.path(), &["--offline", "--bucket", &mapping])?;
    let api = super::api::Api::new(&server.addr);
    let machine = api.create("csv-rows", definition)?;
    let started = Instant::now();
    let execution = api.call("StartExecution", &json!({"stateMachineArn": machine, "name": "rows", "input": "{}"}))?;
    let arn = execution["executionArn"].as_str().context("StartExecution: no executionArn")?.to_owned();
    let described = loop {
        let described = api.call("DescribeExecution", &json!({"executionArn": arn}))?;
        if described["status"] != "RUNNING" {
            break described;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let elapsed = started.elapsed().as_secs_f64();
    let expected = json!({"batches": rows.div_ceil(1000)}).to_string();
    if described["status"] != "SUCCEEDED" || described["output"].as_str() != Some(expected.as_str()) {
        bail!("the CSV workload under baton serve ended {described}, expected output {expected}");
    }
    Ok((elapsed, server.peak_mib()?))
}
