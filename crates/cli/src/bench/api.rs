//! `baton bench --api` and `baton bench --parked N`: the durable server measured through its HTTP API.
//!
//! `--api` starts the service and the router in this process on `127.0.0.1:0` over a fresh data directory (SQLite in
//! WAL mode, `synchronous=FULL`: every acknowledged step is on disk), and drives it over HTTP from many client
//! threads: `--api-executions` executions of a 20-state Pass chain (each start is one commit of 20 transitions), then
//! of a 20-state `Wait 0` chain (every transition waits for a timer, so each is its own durable step), then the
//! `many_small` and `retry_catch` workloads of the workloads folder when it has them. Its figure is
//! state transitions per second, from the first start until every execution has ended. Meanwhile one more client
//! reads the history of a finished execution over and over; its latencies show that reads are not blocked by the load.
//!
//! `--parked N` runs `baton serve` as a child process (so the memory measured is the server's alone), starts `N`
//! executions of a one-day Wait from many clients (each is parked by its first step: out of memory, its wake time in
//! the store), reports the child's resident memory (VmRSS) and the data directory's size, then kills it with SIGKILL,
//! restarts it on the same data directory, and reports how long it took to serve again (a DescribeExecution of a
//! parked execution answered) with all of them still parked.
//!
//! Not here: the engine-only workloads (`bench.rs`), and correctness checks beyond a sample (the e2e tests do those).

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use runtime::service::{Config, Service};

use super::http;

const ROLE: &str = "arn:aws:iam::123456789012:role/baton";

/// A data directory removed when dropped.
pub(super) struct TempDir(PathBuf);

impl TempDir {
    /// A fresh folder `baton-bench-<pid>-<what>` under `root`.
    pub(super) fn new(root: &Path, what: &str) -> anyhow::Result<TempDir> {
        let dir = root.join(format!("baton-bench-{}-{what}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl TempDir {
    pub(super) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A blocking client of the AWS JSON 1.0 API on one kept-alive connection (`http`); a clone opens its own, so each
/// client thread holds one, as an SDK's pool does.
pub(super) struct Api {
    address: String,
    connection: RefCell<http::Connection>,
}

impl Clone for Api {
    fn clone(&self) -> Api {
        Api::new(&self.address)
    }
}

impl Api {
    pub(super) fn new(addr: &str) -> Api {
        Api { address: addr.to_owned(), connection: RefCell::new(http::Connection::new(addr)) }
    }

    /// Calls `action`; an answer other than HTTP 200 is an error with the body.
    pub(super) fn call(&self, action: &str, body: &Value) -> anyhow::Result<Value> {
        self.call_text(action, &body.to_string())
    }

    /// `call` with the request's body as JSON text.
    pub(super) fn call_text(&self, action: &str, body: &str) -> anyhow::Result<Value> {
        let headers = format!("Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.{action}\r\n");
        let (status, answer) =
            self.connection.borrow_mut().post(&headers, body.as_bytes()).with_context(|| format!("{action} failed"))?;
        let text = String::from_utf8(answer).with_context(|| format!("{action}: the answer is not UTF-8"))?;
        if status != 200 {
            bail!("{action}: HTTP {status}: {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("{action}: answer is not JSON: {text}"))
    }

    pub(super) fn create(&self, name: &str, definition: &Value) -> anyhow::Result<String> {
        let created = self.call("CreateStateMachine", &json!({"name": name, "definition": definition.to_string(), "roleArn": ROLE}))?;
        created["stateMachineArn"].as_str().map(str::to_owned).context("CreateStateMachine: no stateMachineArn")
    }

    /// How many executions of `machine` have `status`, counted over pages of 1000.
    fn count(&self, machine: &str, status: &str) -> anyhow::Result<usize> {
        let mut count = 0;
        let mut token = Value::Null;
        loop {
            let mut request = json!({"stateMachineArn": machine, "statusFilter": status, "maxResults": 1000});
            if !token.is_null() {
                request["nextToken"] = token;
            }
            let page = self.call("ListExecutions", &request)?;
            count += page["executions"].as_array().map_or(0, Vec::len);
            token = page["nextToken"].clone();
            if token.is_null() {
                return Ok(count);
            }
        }
    }

    /// The whole history of `arn`: checks ids 1..n and returns the event types.
    fn history_types(&self, arn: &str) -> anyhow::Result<Vec<String>> {
        let page = self.call("GetExecutionHistory", &json!({"executionArn": arn, "maxResults": 1000}))?;
        let events = page["events"].as_array().context("GetExecutionHistory: no events")?;
        for (i, event) in events.iter().enumerate() {
            if event["id"].as_u64() != Some(i as u64 + 1) {
                bail!("history of {arn}: event {} has id {}", i + 1, event["id"]);
            }
        }
        Ok(events.iter().map(|e| e["type"].as_str().unwrap_or_default().to_owned()).collect())
    }
}

/// One API workload: a machine and what each execution must do.
struct Workload {
    name: String,
    definition: Value,
    /// Every execution's input; `None`: `{"i": N}`, N counting the executions.
    input: Option<Value>,
}

/// The benchmark workloads (`bench.rs`) that also run through the API: many small executions, and Retry with Catch
/// (whose retries wait 1 s and 1.5 s on the wall clock: thousands of executions wait at once).
const SHARED_WORKLOADS: [&str; 2] = ["many_small", "retry_catch"];

/// The shared workloads found in `dir`.
fn shared_workloads(dir: &Path) -> anyhow::Result<Vec<Workload>> {
    let mut workloads = Vec::new();
    for name in SHARED_WORKLOADS {
        let definition = dir.join(format!("{name}.asl.json"));
        if !definition.is_file() {
            continue;
        }
        let read = |path: PathBuf| -> anyhow::Result<Value> {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
        };
        let input = read(dir.join(format!("{name}.input.json")))?;
        workloads.push(Workload { name: name.to_owned(), definition: read(definition)?, input: Some(input) });
    }
    Ok(workloads)
}

/// A chain of `n` states made by `state(i)`.
fn chain(n: usize, state: impl Fn(usize) -> Value) -> Value {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let mut s = state(i);
        if i + 1 < n {
            s["Next"] = json!(format!("S{}", i + 1));
        } else {
            s["End"] = json!(true);
        }
        states.insert(format!("S{i}"), s);
    }
    json!({"StartAt": "S0", "States": states})
}

/// Where `--api` keeps its state: SQLite in a fresh directory under `root`, or a PostgreSQL database shared by
/// `nodes` services (each with its own HTTP listener, as separate servers would be).
pub(crate) struct Target<'a> {
    pub(crate) root: &'a Path,
    pub(crate) database_url: Option<&'a str>,
    pub(crate) nodes: usize,
}

/// The services of a `--api` run, each behind its own HTTP listener on `127.0.0.1:0`, over one data directory or
/// database (more than one only with `--database-url`).
pub(super) struct Nodes {
    pub(super) runtime: tokio::runtime::Runtime,
    pub(super) services: Vec<Service>,
    pub(super) addrs: Vec<String>,
    stops: Vec<tokio::sync::oneshot::Sender<()>>,
    dir: TempDir,
}

impl Nodes {
    /// Opens the services on a fresh data directory named after `what` (or the target's database).
    pub(super) fn start(target: &Target<'_>, what: &str) -> anyhow::Result<Nodes> {
        let dir = TempDir::new(target.root, what)?;
        let nodes = if target.database_url.is_some() { target.nodes.max(1) } else { 1 };
        let config = Config {
            region: "us-east-1".to_owned(),
            account_id: "123456789012".to_owned(),
            data_dir: dir.0.clone(),
            database_url: target.database_url.map(str::to_owned),
            lease_ms: 10_000,
            address: String::new(),
            limits: engine::Limits::default(),
            resources: Arc::new(runtime::Resources::default()),
            mock_config: None,
            express_retention_seconds: 60,
            max_evaluation_ms: runtime::DEFAULT_MAX_EVALUATION_MS,
            retention_ms: None,
            virtual_time: false,
            admin: false,
            park_after_ms: runtime::DEFAULT_PARK_AFTER_MS,
            execution_log: None,
            events: runtime::service::Events::default(),
            traces: None,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
        let mut services = Vec::with_capacity(nodes);
        let mut addrs = Vec::with_capacity(nodes);
        let mut stops = Vec::with_capacity(nodes);
        for _ in 0..nodes {
            let (service, addr, stop) = runtime.block_on(async {
                let service = Service::open(config.clone()).await.context("cannot open the service")?;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("cannot listen")?;
                let addr: SocketAddr = listener.local_addr()?;
                let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
                tokio::spawn(server::serve(listener, service.clone(), async {
                    let _ = stopped.await;
                }));
                anyhow::Ok((service, addr, stop))
            })?;
            services.push(service);
            addrs.push(addr.to_string());
            stops.push(stop);
        }
        Ok(Nodes { runtime, services, addrs, stops, dir })
    }

    /// What the store is: "SQLite (…) in DIR" or "PostgreSQL, N nodes".
    pub(super) fn describe(&self, target: &Target<'_>) -> String {
        match target.database_url {
            Some(_) => format!("PostgreSQL, {} node{}", self.services.len(), if self.services.len() == 1 { "" } else { "s" }),
            None => format!("SQLite (WAL, synchronous=FULL) in {}", self.dir.path().display()),
        }
    }

    /// Stops the listeners and shuts the services down.
    pub(super) fn stop(self) {
        for stop in self.stops {
            let _ = stop.send(());
        }
        for service in &self.services {
            self.runtime.block_on(service.shutdown());
        }
    }
}

/// `--api`: durable transitions per second through HTTP, with the service (or services) in this process.
pub(crate) fn api(
    executions: usize,
    clients: usize,
    only: Option<&str>,
    workloads_dir: &Path,
    target: &Target<'_>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut workloads = vec![
        Workload {
            name: "api_pass_chain_20".to_owned(),
            definition: chain(20, |i| json!({"Type": "Pass", "Result": i, "ResultPath": "$.last"})),
            input: None,
        },
        Workload { name: "api_wait0_chain_20".to_owned(), definition: chain(20, |_| json!({"Type": "Wait", "Seconds": 0})), input: None },
    ];
    workloads.extend(shared_workloads(workloads_dir)?);
    let names: Vec<String> = workloads.iter().map(|w| w.name.clone()).collect();
    workloads.retain(|w| only.is_none_or(|only| w.name.contains(only)));
    if workloads.is_empty() {
        bail!(
            "no API workload's name contains {:?}: there are {} ({} and {} come from the workloads folder, {}, when it has them)",
            only.unwrap_or_default(),
            names.join(", "),
            SHARED_WORKLOADS[0],
            SHARED_WORKLOADS[1],
            workloads_dir.display()
        );
    }
    let nodes = Nodes::start(target, "api")?;
    let (runtime, services, addrs) = (&nodes.runtime, &nodes.services, &nodes.addrs);
    let running = || services.iter().map(Service::running_count).sum::<usize>();
    let api = Api::new(&addrs[0]);
    let apis: Vec<Api> = addrs.iter().map(|addr| Api::new(addr)).collect();
    let store = nodes.describe(target);
    writeln!(out, "API benchmark: {executions} executions per workload from {clients} HTTP clients, durable on {store}")?;
    // What the disk allows, measured beside the data directory with the store's own settings (SQLite only).
    let limit = match &target.database_url {
        Some(_) => None,
        None => {
            let limit = store::sqlite::commit_limit(nodes.dir.path(), LIMIT_BATCH, LIMIT_ROW_BYTES, Duration::from_secs(2))?;
            writeln!(
                out,
                "this disk's limit: {:.0} rows/s of {LIMIT_ROW_BYTES} bytes committed in batches of {LIMIT_BATCH} ({:.0} commits/s), \
                 SQLite WAL, synchronous=FULL",
                limit.rows_per_second, limit.commits_per_second
            )?;
            Some(limit)
        }
    };
    writeln!(
        out,
        "{:<22} {:>10} {:>12} {:>9} {:>14} {:>10} {:>10} {:>22} {:>8} {:>12} {:>14} {:>18} {:>9}",
        "workload", "executions", "transitions", "seconds", "transitions/s", "starts/s", "CPU ms/ex", "history read p50/p99/max ms",
        "B/event", "B/execution", "events/commit", "commit p50/p99 ms", "of limit"
    )?;
    for workload in &workloads {
        let machine = api.create(&workload.name, &workload.definition)?;
        // A finished execution whose history is read throughout the run.
        let input = workload.input.as_ref().map_or_else(|| "{}".to_owned(), Value::to_string);
        let first = api.call("StartExecution", &json!({"stateMachineArn": machine, "name": "reference", "input": input}))?;
        let reference = first["executionArn"].as_str().context("no executionArn")?.to_owned();
        let deadline = Instant::now() + Duration::from_secs(30);
        while running() > 0 {
            if Instant::now() > deadline {
                bail!("the reference execution did not end");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let reference_types = api.history_types(&reference)?;
        let per_execution = reference_types.iter().filter(|t| t.ends_with("StateEntered")).count();

        let reading = Arc::new(AtomicBool::new(true));
        let reader = {
            let (api, reading, reference, expected) = (api.clone(), reading.clone(), reference.clone(), reference_types.len());
            std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
                let mut latencies = Vec::new();
                while reading.load(Ordering::Relaxed) {
                    let begun = Instant::now();
                    let types = api.history_types(&reference)?;
                    latencies.push(begun.elapsed());
                    if types.len() != expected {
                        bail!("the finished history changed: {} events instead of {expected}", types.len());
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                Ok(latencies)
            })
        };

        // What the store takes before and after the run: its growth per event and per finished execution.
        let bytes_before = runtime.block_on(services[0].store_bytes())?;
        let commits_before: u64 = services.iter().map(|service| service.store_stats().commits).sum();
        let times_before = services[0].store_stats().commit_times;
        let cpu_before = cpu_seconds();
        let begun = Instant::now();
        let starting = start_round_robin(&apis, &machine, workload.input.as_ref(), executions, clients)?;
        let deadline = Instant::now() + Duration::from_secs(600);
        while running() > 0 {
            if Instant::now() > deadline {
                bail!("{}: executions still running after 10 minutes", workload.name);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let elapsed = begun.elapsed();
        let cpu = cpu_seconds() - cpu_before;
        let times = services[0].store_stats().commit_times.since(&times_before);
        let grown = runtime.block_on(services[0].store_bytes())?.saturating_sub(bytes_before) as f64;
        let commits = services.iter().map(|service| service.store_stats().commits).sum::<u64>().saturating_sub(commits_before);
        reading.store(false, Ordering::Relaxed);
        let mut latencies = reader.join().map_err(|_| anyhow::anyhow!("the reader panicked"))??;

        // Every execution succeeded, each with the reference's history shape (a sample is read in full).
        let succeeded = api.count(&machine, "SUCCEEDED")?;
        if succeeded != executions + 1 {
            bail!("{}: {succeeded} executions succeeded, expected {}", workload.name, executions + 1);
        }
        for i in (0..executions).step_by((executions / 20).max(1)) {
            let arn = machine.replace(":stateMachine:", ":execution:") + &format!(":e{i}");
            let types = api.history_types(&arn)?;
            if types != reference_types {
                bail!("{}: history of {arn} differs from the reference: {types:?}", workload.name);
            }
        }

        let transitions = executions * per_execution;
        latencies.sort();
        let percentile = |p: f64| {
            let index = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
            latencies.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let reads = format!("{:.1}/{:.1}/{:.1} ({})", percentile(0.5), percentile(0.99), percentile(1.0), latencies.len());
        let commit_ms = |p: f64| times.percentile(p).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        let events = executions * reference_types.len();
        let events_per_second = events as f64 / elapsed.as_secs_f64();
        let of_limit = limit.as_ref().map_or_else(|| "-".to_owned(), |limit| format!("{:.2}", events_per_second / limit.rows_per_second));
        writeln!(
            out,
            "{:<22} {:>10} {:>12} {:>9.2} {:>14.0} {:>10.0} {:>10.2} {:>22} {:>8.0} {:>12.0} {:>14.1} {:>18} {:>9}",
            workload.name,
            executions,
            transitions,
            elapsed.as_secs_f64(),
            transitions as f64 / elapsed.as_secs_f64(),
            executions as f64 / starting.as_secs_f64(),
            cpu * 1000.0 / executions as f64,
            reads,
            grown / events as f64,
            grown / executions as f64,
            events as f64 / commits.max(1) as f64,
            format!("{:.2}/{:.2}", commit_ms(0.5), commit_ms(0.99)),
            of_limit,
        )?;
    }
    nodes.stop();
    Ok(())
}

/// The disk's limit is measured with batches of this many rows (the size of the group commit the brief measured).
const LIMIT_BATCH: usize = 100;
/// And rows of this many bytes: a small history event's JSON.
const LIMIT_ROW_BYTES: usize = 200;

/// The CPU time this process has used so far (user and system, all threads), in seconds; 0 where `/proc` is absent.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th of them, in clock
    // ticks of 1/100 s (USER_HZ, which Linux fixes at 100 for /proc).
    let fields: Vec<&str> = stat.rsplit_once(')').map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i).and_then(|field| field.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Starts `count` executions named `e<i>` of `machine` from `clients` threads, each start through the next node's
/// API in turn; how long the starts took.
pub(super) fn start_round_robin(
    apis: &[Api],
    machine: &str,
    input: Option<&Value>,
    count: usize,
    clients: usize,
) -> anyhow::Result<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let begun = Instant::now();
    let threads: Vec<_> = (0..clients.max(1))
        .map(|_| {
            // The request's parts as JSON strings, made once: the machine's ARN and the input's text.
            let machine = Value::from(machine).to_string();
            let input = input.map(|input| Value::from(input.to_string()).to_string());
            let (apis, next) = (apis.to_vec(), next.clone());
            std::thread::spawn(move || -> anyhow::Result<()> {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        return Ok(());
                    }
                    let input = match &input {
                        Some(input) => Cow::Borrowed(input),
                        None => Cow::Owned(format!(r#""{{\"i\":{i}}}""#)),
                    };
                    let body = format!(r#"{{"stateMachineArn":{machine},"name":"e{i}","input":{input}}}"#);
                    apis[i % apis.len()].call_text("StartExecution", &body)?;
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
    }
    Ok(begun.elapsed())
}

/// A `baton serve` child process, killed (SIGKILL) when dropped.
pub(super) struct ServeProcess {
    child: Child,
    pub(super) addr: String,
    resumed: usize,
}

impl ServeProcess {
    /// Starts `baton serve` over `dir` with more arguments, and waits for its serving line.
    pub(super) fn start_with(dir: &Path, args: &[&str]) -> anyhow::Result<ServeProcess> {
        let exe = std::env::current_exe().context("cannot find the baton binary")?;
        let mut child = Command::new(exe)
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start baton serve")?;
        let stderr = child.stderr.take().context("no stderr")?;
        let mut server = ServeProcess { child, addr: String::new(), resumed: 0 };
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                match serving_line(&line) {
                    Some(serving) => {
                        let _ = sender.send(serving);
                    }
                    None => eprintln!("[baton serve] {line}"),
                }
            }
        });
        let (addr, resumed) = receiver.recv_timeout(Duration::from_secs(600)).context("baton serve did not start serving")?;
        server.addr = addr;
        server.resumed = resumed;
        Ok(server)
    }

    /// The child's resident memory (VmRSS) in MiB.
    fn resident_mib(&self) -> anyhow::Result<f64> {
        self.memory_mib("VmRSS:")
    }

    /// The child's peak resident memory (VmHWM) in MiB.
    pub(super) fn peak_mib(&self) -> anyhow::Result<f64> {
        self.memory_mib("VmHWM:")
    }

    fn memory_mib(&self, field: &str) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).context("cannot read /proc/PID/status")?;
        let line = status.lines().find(|l| l.starts_with(field)).with_context(|| format!("no {field}"))?;
        let kib: f64 = line.split_whitespace().nth(1).with_context(|| format!("no {field} value"))?.parse()?;
        Ok(kib / 1024.0)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `(address, resumed)` from `baton: serving … on http://ADDR (data in …, N executions resumed)`.
fn serving_line(line: &str) -> Option<(String, usize)> {
    let rest = line.strip_prefix("baton: serving")?;
    let addr = rest.split_once("http://")?.1.split_whitespace().next()?.to_owned();
    let resumed = rest.rsplit_once(", ")?.1.split_whitespace().next()?.parse().ok()?;
    Some((addr, resumed))
}

/// `--parked N`: the resident memory of `N` executions parked in a one-day Wait, and how long a restart takes to serve
/// again with all of them parked.
pub(crate) fn parked(count: usize, clients: usize, target: &Target<'_>, out: &mut impl Write) -> anyhow::Result<()> {
    let dir = TempDir::new(target.root, "parked")?;
    let args: Vec<&str> = match target.database_url {
        Some(url) => vec!["--database-url", url],
        None => Vec::new(),
    };
    let mut server = ServeProcess::start_with(&dir.0, &args)?;
    let api = Api::new(&server.addr);
    let machine = api.create("Parked", &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86_400, "End": true}}}))?;
    let idle = server.resident_mib()?;
    let starting = start_round_robin(std::slice::from_ref(&api), &machine, None, count, clients)?;
    std::thread::sleep(Duration::from_secs(1));
    let loaded = server.resident_mib()?;
    let peak = server.peak_mib()?;
    let running = api.count(&machine, "RUNNING")?;
    if running != count {
        bail!("{running} executions running, expected {count}");
    }
    let place = match target.database_url {
        Some(_) => "PostgreSQL".to_owned(),
        None => format!("{}", dir.0.display()),
    };
    writeln!(out, "parked benchmark: {count} executions in a one-day Wait, `baton serve` as a child process, data in {place}")?;
    writeln!(out, "  started in {:.2} s ({:.0} starts/s from {clients} clients)", starting.as_secs_f64(), count as f64 / starting.as_secs_f64())?;
    writeln!(
        out,
        "  resident memory (VmRSS): {loaded:.1} MiB with {count} parked ({idle:.1} MiB idle, {peak:.1} MiB peak while starting){}",
        if target.database_url.is_some() { String::new() } else { format!("; {:.1} MiB on disk", disk_mib(&dir.0)) }
    )?;
    // The same executions kept in memory (`--park-after-ms 0`) on a server of their own (SQLite only: another node on
    // the PostgreSQL database would take part in the restart measured next): what each running one costs.
    const MIB: f64 = 1024.0 * 1024.0;
    let per = |mib: f64| mib.max(0.0) * MIB / count as f64;
    if target.database_url.is_none() {
        let live_dir = TempDir::new(target.root, "live")?;
        let live_server = ServeProcess::start_with(&live_dir.0, &["--park-after-ms", "0"])?;
        let live_api = Api::new(&live_server.addr);
        let live_machine = live_api.create("Live", &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86_400, "End": true}}}))?;
        let live_idle = live_server.resident_mib()?;
        start_round_robin(std::slice::from_ref(&live_api), &live_machine, None, count, clients)?;
        std::thread::sleep(Duration::from_secs(1));
        let live = live_server.resident_mib()? - live_idle;
        writeln!(
            out,
            "  per execution: {:.0} bytes resident parked, {:.0} bytes resident running in memory (--park-after-ms 0), {:.0} bytes on disk",
            per(loaded - idle),
            per(live),
            per(disk_mib(&dir.0))
        )?;
    } else {
        writeln!(out, "  per execution: {:.0} bytes resident parked", per(loaded - idle))?;
    }

    server.kill();
    let begun = Instant::now();
    let restarted = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let server = ServeProcess::start_with(&dir.0, &args)?;
    let listening = begun.elapsed();
    let api = Api::new(&server.addr);
    let first = machine.replace(":stateMachine:", ":execution:") + ":e0";
    let described = api.call("DescribeExecution", &json!({"executionArn": first}))?;
    if described["status"] != "RUNNING" {
        bail!("after the restart {first} is {}", described["status"]);
    }
    api.call("ListStateMachines", &json!({}))?;
    let serving = begun.elapsed();
    let resumed_memory = server.resident_mib()?;
    let running = api.count(&machine, "RUNNING")?;
    writeln!(
        out,
        "  kill -9 and restart: serving again in {:.2} s (listening after {:.2} s), {} executions read at start-up, {running} RUNNING, VmRSS {resumed_memory:.1} MiB",
        serving.as_secs_f64(),
        listening.as_secs_f64(),
        server.resumed
    )?;
    if server.resumed != 0 || running != count {
        bail!("after the restart {} executions were read at start-up and {running} run, expected 0 and {count}", server.resumed);
    }
    if let Some(url) = target.database_url {
        // The killed server's lease runs out first; then the new one claims them all, parked as they are.
        let held = taken_over(url, count, restarted, Duration::from_secs(600))?;
        let memory = server.resident_mib()?;
        writeln!(
            out,
            "  the new server holds all {count} {:.1} s after the kill (the killed one's lease: 10 s), VmRSS {memory:.1} MiB",
            (held + listening).as_secs_f64()
        )?;
    }
    Ok(())
}

/// How long until the nodes on `url` that started at `since` (milliseconds since the epoch) or later hold `count`
/// executions between them.
fn taken_over(url: &str, count: usize, since: i64, within: Duration) -> anyhow::Result<Duration> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let store = store::Database::open(store::Location::Url(url)).await.context("cannot open the database")?;
        let begun = Instant::now();
        loop {
            let nodes = store.nodes().await.context("cannot read the nodes")?;
            let held: u64 = nodes.iter().filter(|node| node.started >= since).map(|node| node.executions).sum();
            if held >= count as u64 {
                return Ok(begun.elapsed());
            }
            if begun.elapsed() > within {
                bail!("only {held} of {count} executions held after {within:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

/// The size of the files in `dir`, in MiB.
fn disk_mib(dir: &Path) -> f64 {
    let bytes: u64 = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().filter_map(|entry| entry.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0);
    bytes as f64 / (1024.0 * 1024.0)
}
