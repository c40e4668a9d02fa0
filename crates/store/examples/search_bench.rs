//! How fast the search across state machines answers (`Store::search_executions`, the console's executions page).
//!
//! `cargo run --release -p store --example search_bench [DIR] [EXECUTIONS] [MACHINES]` (defaults: a temporary
//! directory, 50,000 executions over 20 machines, each with a 2 KB definition and a small input, a fifth of them
//! running, the rest ended). With `--features postgres`, a `DIR` that is a `postgres://` URL benchmarks the PostgreSQL
//! store on that (empty) database instead. Fills the store in concurrent batches (group commit), then runs each search
//! the page makes (a page of 25, newest first) ten times and prints the slowest and the median in milliseconds.

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use store::sqlite::Sqlite;
use store::{Append, Ending, Event, Execution, Kind, PageRequest, Search, Status, Store};

const ACCOUNT: &str = "arn:aws:states:us-east-1:123456789012:";
/// Executions created at once, each its own task: the writer commits what queued up together.
const BATCH: usize = 2000;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let dir_arg = args.next().filter(|a| a != "-");
    let executions: usize = args.next().map_or(50_000, |a| a.parse().unwrap());
    let machines: usize = args.next().map_or(20, |a| a.parse().unwrap());
    let temp = tempfile::tempdir().unwrap();
    let dir = dir_arg.map_or_else(|| temp.path().to_path_buf(), PathBuf::from);

    #[cfg(feature = "postgres")]
    if let Some(url) = dir.to_str().filter(|d| d.starts_with("postgres")) {
        let store = Arc::new(store::postgres::Postgres::connect(url).await.unwrap());
        return bench(store, executions, machines, url).await;
    }
    let store = Arc::new(Sqlite::open(&dir).unwrap());
    bench(store, executions, machines, &dir.display().to_string()).await;
}

async fn bench<S: Store>(store: Arc<S>, executions: usize, machines: usize, place: &str) {
    let started = Instant::now();
    fill(&store, executions, machines).await;
    println!("{executions} executions over {machines} machines stored in {:.1} s in {place}", started.elapsed().as_secs_f64());
    let machine = |n: usize| format!("{ACCOUNT}stateMachine:machine-{n:02}");
    let start = |n: usize| 1_700_000_000_000 + 1000 * n as i64;
    let searches = [
        ("newest first, nothing filtered", Search::default()),
        ("the account's", Search { machine_prefix: Some(ACCOUNT.to_owned()), ..Search::default() }),
        ("name contains a word (a quarter match)", Search { name_contains: Some("gamma".to_owned()), ..Search::default() }),
        ("name contains a number (one matches)", Search { name_contains: Some(format!("{:06}", executions / 3)), ..Search::default() }),
        ("name contains what none does", Search { name_contains: Some("nothing".to_owned()), ..Search::default() }),
        ("status FAILED", Search { status: Some(Status::Failed), ..Search::default() }),
        ("one machine, status RUNNING", Search { state_machine_arn: Some(machine(5)), status: Some(Status::Running), ..Search::default() }),
        (
            "a ten-minute window long ago",
            Search { started_from: Some(start(executions / 10)), started_before: Some(start(executions / 10 + 600)), ..Search::default() },
        ),
        (
            "account, status, name and window together",
            Search {
                machine_prefix: Some(ACCOUNT.to_owned()),
                status: Some(Status::Succeeded),
                name_contains: Some("alpha".to_owned()),
                started_from: Some(start(executions / 2)),
                started_before: Some(start(executions)),
                ..Search::default()
            },
        ),
    ];
    println!("{:<45} {:>8} {:>8} {:>6}", "search (a page of 25)", "max ms", "p50 ms", "found");
    for (label, search) in searches {
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..10 {
            let asked = Instant::now();
            let page = store.search_executions(search.clone(), PageRequest { token: None, limit: 25 }).await.unwrap();
            times.push(asked.elapsed().as_secs_f64() * 1e3);
            found = page.items.len();
        }
        times.sort_by(f64::total_cmp);
        println!("{label:<45} {:>8.2} {:>8.2} {found:>6}", times[times.len() - 1], times[times.len() / 2]);
    }
}

/// Stores `executions` executions over `machines` machines, started a second apart: names `run-<n>-<word>` (four
/// words in turn), statuses in turn (running, succeeded, failed, timed out, aborted), each with its first event.
async fn fill<S: Store>(store: &Arc<S>, executions: usize, machines: usize) {
    let definition = Arc::new(format!(
        r#"{{"StartAt":"S0","States":{{{}}}}}"#,
        (0..40).map(|i| format!(r#""S{i}":{{"Type":"Pass","Result":{{"step":{i}}},"Next":"S{}"}}"#, i + 1)).collect::<Vec<_>>().join(",")
    ));
    for batch in (0..executions).collect::<Vec<_>>().chunks(BATCH) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|&n| {
                let store = Arc::clone(store);
                let definition = Arc::clone(&definition);
                tokio::spawn(async move {
                    let (execution, first) = record(n, machines, &definition);
                    store.create_execution(execution, first).await.unwrap();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    }
}

/// The `n`th execution and its first step (which ends it, unless it runs).
fn record(n: usize, machines: usize, definition: &str) -> (Execution, Append) {
    let machine = format!("machine-{:02}", n % machines);
    let name = format!("run-{n:06}-{}", ["alpha", "beta", "gamma", "delta"][n % 4]);
    let arn = format!("{ACCOUNT}execution:{machine}:{name}");
    let start = 1_700_000_000_000 + 1000 * n as i64;
    let status = [Status::Running, Status::Succeeded, Status::Failed, Status::TimedOut, Status::Aborted][n % 5];
    let execution = Execution {
        arn: arn.clone(),
        name,
        state_machine_arn: format!("{ACCOUNT}stateMachine:{machine}"),
        definition: definition.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/bench".to_owned(),
        kind: Kind::Standard,
        input: format!(r#"{{"order":{n},"items":["a","b","c"]}}"#),
        trace_header: None,
        status: Status::Running,
        start,
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
    };
    let ending = (status != Status::Running).then(|| Ending { status, stop: start + 500, output: None, error: None, cause: None });
    let first = Append {
        execution_arn: arn,
        trigger: r#"{"Start":{}}"#.to_owned(),
        events: vec![Event { id: 1, json: format!(r#"{{"id":1,"type":"ExecutionStarted","n":{n}}}"#) }],
        ending,
        digest: 1,
        children: Vec::new(),
        lease: None,
        routing: store::Routing::default(),
        park: None,
        outbox: Vec::new(),
    };
    (execution, first)
}
