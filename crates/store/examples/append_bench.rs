//! Append throughput of a store: many executions stepping concurrently, durable group commit.
//!
//! `cargo run --release -p store --example append_bench [DIR] [EXECUTIONS] [STEPS]` (defaults: a temporary
//! directory, 10,000 executions, 10 steps of 2 events of ~300 bytes each). With `--features postgres`, a `DIR` that
//! is a `postgres://` URL benchmarks the PostgreSQL store on that (empty) database instead. Each execution is one task that
//! creates the execution with its first step and appends the rest one at a time, awaiting each, as the runtime
//! does. Prints events/s and how many steps each commit carried on average. A fourth argument `park` parks each
//! execution with its last step (as a long Wait does), and then measures what start-up reads (`running`, which leaves
//! parked executions out) and how long paging through them all by wake time (`due`) takes.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use store::sqlite::Sqlite;
use store::{Append, Event, Execution, Kind, Stats, Status, Store};

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:bench";

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir_arg = args.next().filter(|a| a != "-");
    let executions: u64 = args.next().map_or(10_000, |a| a.parse().unwrap());
    let steps: u64 = args.next().map_or(10, |a| a.parse().unwrap());
    let park = args.next().is_some_and(|a| a == "park");
    let temp = tempfile::tempdir().unwrap();
    let dir = dir_arg.map_or_else(|| temp.path().to_path_buf(), PathBuf::from);

    #[cfg(feature = "postgres")]
    if let Some(url) = dir.to_str().filter(|d| d.starts_with("postgres")) {
        let store = Arc::new(store::postgres::Postgres::connect(url).await.unwrap());
        let stats = {
            let store = Arc::clone(&store);
            move || store.stats()
        };
        return bench(store, stats, executions, steps, park, url).await;
    }
    let store = Arc::new(Sqlite::open(&dir).unwrap());
    let stats = {
        let store = Arc::clone(&store);
        move || store.stats()
    };
    bench(store, stats, executions, steps, park, &dir.display().to_string()).await;
}

/// Runs the benchmark on `store`, whose writer's counters `stats` reads; `place` names where it writes.
async fn bench<S: Store>(store: Arc<S>, stats: impl Fn() -> Stats, executions: u64, steps: u64, park: bool, place: &str) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..executions)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let arn = format!("arn:aws:states:us-east-1:123456789012:execution:bench:e{i:06}");
                // The last step parks the execution until a time that depends on it.
                let parked = |s: u64| Append { park: (park && s + 1 == steps).then_some(2_000_000_000_000 + i as i64), ..step(&arn, s) };
                store.create_execution(execution(&arn, i), parked(0)).await.unwrap();
                for s in 1..steps {
                    store.append(vec![parked(s)]).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let stats = stats();
    let events = executions * steps * 2;
    println!(
        "{executions} executions x {steps} steps x 2 events = {events} events in {elapsed:.2} s: \
         {:.0} events/s, {:.0} steps/s, {} commits ({:.0} steps/commit) in {}",
        events as f64 / elapsed,
        (executions * steps) as f64 / elapsed,
        stats.commits,
        (executions * steps) as f64 / stats.commits.max(1) as f64,
        place,
    );
    let running = Instant::now();
    let recovered = store.running().await.unwrap();
    println!(
        "running(): {} executions in {:.0} ms",
        recovered.len(),
        running.elapsed().as_secs_f64() * 1e3
    );
    if park {
        let paging = Instant::now();
        let (mut after, mut due) = (None, 0);
        loop {
            let page = store.due(i64::MAX, after, 500).await.unwrap();
            due += page.len();
            after = page.last().cloned();
            if after.is_none() {
                break;
            }
        }
        println!("due(): {due} parked executions in pages of 500 in {:.0} ms", paging.elapsed().as_secs_f64() * 1e3);
    }
}

fn execution(arn: &str, i: u64) -> Execution {
    Execution {
        arn: arn.to_owned(),
        name: format!("e{i:06}"),
        state_machine_arn: MACHINE.to_owned(),
        definition: r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}"#.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/bench".to_owned(),
        kind: Kind::Standard,
        input: r#"{"order":12345,"items":["a","b","c"]}"#.to_owned(),
        trace_header: None,
        status: Status::Running,
        start: 1_700_000_000_000,
        stop: None,
        output: None,
        error: None,
        cause: None,
        version_arn: None,
        alias_arn: None,
        redrive_count: 0,
        redrive_date: None,
        engine_version: 0,
        map_run_arn: None,
    }
}

/// Step `s` (0-based) of an execution: events `2s+1` and `2s+2`, ~300 bytes each.
fn step(arn: &str, s: u64) -> Append {
    let events = (2 * s + 1..=2 * s + 2)
        .map(|id| Event {
            id,
            json: format!(
                r#"{{"id":{id},"previousEventId":{},"timestamp":1700000000.123,"type":"TaskStateEntered","stateEnteredEventDetails":{{"name":"A","input":"{{\"order\":12345,\"items\":[\"a\",\"b\",\"c\"],\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}","inputDetails":{{"truncated":false}}}}}}"#,
                id - 1
            ),
        })
        .collect();
    Append {
        execution_arn: arn.to_owned(),
        trigger: format!(r#"{{"TaskSucceeded":{{"step":{s}}}}}"#),
        events,
        ending: None,
        digest: s,
        children: Vec::new(),
        lease: None,
        routing: store::Routing::default(),
        park: None,
        outbox: Vec::new(),
    }
}
