//! `baton bench --api --duration S`: a load test. The service runs in this process as for `--api` (durable, fsync on);
//! `--clients` threads drive a steady mix through its HTTP API for `S` seconds, each taking the next operation of a
//! fixed cycle: start an execution of a 5-state Pass chain, describe an execution started earlier, read its history,
//! and answer a callback (start an execution that waits in an activity Task, take its task with GetActivityTask and
//! send SendTaskSuccess with its token). Every call's latency is kept; the report is each action's calls per second
//! and its 50th, 90th and 99th percentile and worst latency, so that a regression shows as a number.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use super::api::{Api, Nodes, Target};

/// How many recent executions the describe and history reads pick from.
const RECENT: usize = 1024;

/// Runs the mix from `clients` threads for `duration` and writes the report to `out`.
pub(crate) fn load(clients: usize, duration: Duration, target: &Target<'_>, out: &mut impl Write) -> anyhow::Result<()> {
    let nodes = Nodes::start(target, "load")?;
    let api = Api::new(&nodes.addrs[0]);
    let chain = json!({"StartAt": "S0", "States": (0..5).map(|i| {
        let state = if i == 4 { json!({"Type": "Pass", "End": true}) } else { json!({"Type": "Pass", "Next": format!("S{}", i + 1)}) };
        (format!("S{i}"), state)
    }).collect::<serde_json::Map<_, _>>()});
    let chain = api.create("load_chain", &chain)?;
    let activity = api.call("CreateActivity", &json!({"name": "load_approvals"}))?;
    let activity = activity["activityArn"].as_str().context("CreateActivity: no activityArn")?.to_owned();
    let callback = json!({"StartAt": "Approve", "States": {"Approve": {"Type": "Task", "Resource": activity, "End": true}}});
    let callback = api.create("load_callback", &callback)?;
    // A first execution, so that reads have something to read from the start.
    let first = api.call("StartExecution", &json!({"stateMachineArn": chain, "name": "first"}))?;
    let recent = Arc::new(Mutex::new(vec![first["executionArn"].as_str().context("no executionArn")?.to_owned()]));
    let counter = Arc::new(AtomicUsize::new(0));

    writeln!(out, "load test: {clients} HTTP clients for {:.0} s, durable on {}", duration.as_secs_f64(), nodes.describe(target))?;
    let begun = Instant::now();
    let deadline = begun + duration;
    let workers: Vec<_> = (0..clients.max(1))
        .map(|client| {
            let apis: Vec<Api> = nodes.addrs.iter().map(|addr| Api::new(addr)).collect();
            let (recent, counter, chain, callback, activity) = (recent.clone(), counter.clone(), chain.clone(), callback.clone(), activity.clone());
            std::thread::spawn(move || -> anyhow::Result<BTreeMap<&'static str, Vec<Duration>>> {
                let mut latencies: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
                let mut timed = |action: &'static str, call: &mut dyn FnMut() -> anyhow::Result<serde_json::Value>| {
                    let started = Instant::now();
                    let answer = call();
                    latencies.entry(action).or_default().push(started.elapsed());
                    answer
                };
                let mut step = client;
                while Instant::now() < deadline {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let api = &apis[n % apis.len()];
                    let pick = || {
                        let recent = recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        recent[n % recent.len()].clone()
                    };
                    match step % 4 {
                        0 => {
                            let body = json!({"stateMachineArn": chain, "name": format!("c{n}")});
                            let started = timed("StartExecution", &mut || api.call("StartExecution", &body))?;
                            let arn = started["executionArn"].as_str().context("no executionArn")?.to_owned();
                            let mut recent = recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                            if recent.len() < RECENT {
                                recent.push(arn);
                            } else {
                                recent[n % RECENT] = arn;
                            }
                        }
                        1 => {
                            let body = json!({"executionArn": pick()});
                            timed("DescribeExecution", &mut || api.call("DescribeExecution", &body))?;
                        }
                        2 => {
                            let body = json!({"executionArn": pick()});
                            timed("GetExecutionHistory", &mut || api.call("GetExecutionHistory", &body))?;
                        }
                        _ => {
                            // A callback: the execution waits in the activity Task until its token comes back.
                            let body = json!({"stateMachineArn": callback, "name": format!("a{n}")});
                            timed("StartExecution", &mut || api.call("StartExecution", &body))?;
                            let poll = json!({"activityArn": activity, "workerName": format!("worker-{client}")});
                            let task = timed("GetActivityTask", &mut || api.call("GetActivityTask", &poll))?;
                            // Another client's poll may have taken this execution's task; any task answers one.
                            if let Some(token) = task["taskToken"].as_str() {
                                let answer = json!({"taskToken": token, "output": "{\"approved\":true}"});
                                timed("SendTaskSuccess", &mut || api.call("SendTaskSuccess", &answer))?;
                            }
                        }
                    }
                    step += 1;
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut all: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    for worker in workers {
        let latencies = worker.join().map_err(|_| anyhow::anyhow!("a client panicked"))??;
        for (action, mut times) in latencies {
            all.entry(action).or_default().append(&mut times);
        }
    }
    let elapsed = begun.elapsed().as_secs_f64();
    if all.is_empty() {
        bail!("no call was made");
    }
    writeln!(out, "{:<22} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}", "action", "calls", "calls/s", "p50 ms", "p90 ms", "p99 ms", "max ms")?;
    let mut total = 0;
    for (action, mut times) in all {
        times.sort();
        total += times.len();
        let at = |p: f64| {
            let index = ((times.len() as f64 * p) as usize).min(times.len() - 1);
            times[index].as_secs_f64() * 1000.0
        };
        writeln!(
            out,
            "{:<22} {:>9} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            action,
            times.len(),
            times.len() as f64 / elapsed,
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        )?;
    }
    writeln!(out, "{:<22} {:>9} {:>10.0}", "all", total, total as f64 / elapsed)?;
    nodes.stop();
    Ok(())
}
