//! `baton serve`: the AWS-compatible API on durable embedded SQLite, or on a PostgreSQL database shared by several
//! servers (`--database-url`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::logging::say;

use integrations::connections::Connections;
use integrations::functions::Functions;
use integrations::mock::MockConfig;
use runtime::Resources;
use runtime::service::{Config, ExecutionLogSink, Service};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The address to listen on. Anything but loopback needs --credentials (or --allow-anonymous).
    #[arg(long, default_value = "127.0.0.1:8083")]
    bind: SocketAddr,
    /// A TOML file of keys (`[[keys]]` tables of access_key_id, secret_access_key, account_id and optionally
    /// read_only = true): every API call must then be signed with one of them (SigV4, as the AWS CLI and SDKs sign),
    /// and acts in that key's account; the web console asks to sign in with a key. SIGHUP reloads it.
    #[arg(long, value_name = "FILE")]
    credentials: Option<PathBuf>,
    /// Listen on a non-loopback address without --credentials although anyone who reaches it may start, stop and
    /// redefine every workflow.
    #[arg(long)]
    allow_anonymous: bool,
    /// On loopback, also answer requests addressed to this host name (repeatable); by default only localhost,
    /// 127.0.0.1 and [::1] (and their sync- forms), so that a web page cannot reach the server through DNS rebinding.
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_hosts: Vec<String>,
    /// How long a client may take to send a request's headers, in seconds; a slower one is disconnected.
    #[arg(long, default_value_t = 10)]
    header_timeout_seconds: u64,
    /// Most connections open at once; one more is closed at once.
    #[arg(long, default_value_t = 10_000)]
    max_connections: usize,
    /// Serve HTTPS with this certificate chain (PEM, the server's certificate first); needs --tls-key. SIGHUP reloads
    /// it and the key: new connections get the new pair, and a pair that does not load leaves the old one in use.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, RSA or EC).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The data directory (created if missing); SQLite in WAL mode inside.
    #[arg(long, default_value = "./baton-data")]
    data_dir: PathBuf,
    /// A PostgreSQL database to keep the state in instead (`postgres://user:password@host:port/database`), which
    /// several servers may share; `--data-dir` is then not used.
    #[arg(long, env = "BATON_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// With `--database-url`: how long this server's lease lasts without renewal, in seconds; once it ran out, the
    /// other servers on the database take its executions over.
    #[arg(long, default_value_t = 10.0)]
    lease_seconds: f64,
    /// A TOML file of local functions, as for `baton run`; SIGHUP reloads it.
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
    /// A Step Functions Local mock config; pick a test case with `<stateMachineArn>#<TestCase>`.
    #[arg(long)]
    mock_config: Option<PathBuf>,
    /// The region in ARNs.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// The account id in ARNs.
    #[arg(long, default_value = "123456789012")]
    account_id: String,
    /// How long finished Express executions stay readable, in seconds.
    #[arg(long, default_value_t = 3600)]
    express_retention_seconds: u64,
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
    /// How long closed Standard executions are kept, with their history, before they are deleted: a number and a
    /// unit (`90d`, `12h`, `30m`, `45s`), as AWS keeps them 90 days; `0` keeps them for ever.
    #[arg(long, default_value = "90d", value_parser = parse_retention)]
    retention: Retention,
    /// Run each execution on its own clock, which skips ahead to its next timer whenever the execution waits only on
    /// time (Wait states, retry intervals, timeouts), for test suites: history and context times move as if the time
    /// had passed.
    #[arg(long)]
    virtual_time: bool,
    /// Serve `POST /baton/admin/reset`, which deletes every state machine, activity and execution (running ones
    /// stop), for test suites that start each test from nothing. Off, the call is refused.
    #[arg(long)]
    admin: bool,
    /// An execution that waits only for timers (a Wait, a retry interval), the first due more than this many
    /// milliseconds ahead, is parked: it leaves memory, its wake time stays in the data directory, and it comes back
    /// shortly before the timer is due (or when StopExecution names it). 0 keeps every execution in memory.
    #[arg(long, default_value_t = runtime::DEFAULT_PARK_AFTER_MS)]
    park_after_ms: u64,
    /// Write the execution logs of state machines whose loggingConfiguration level is not OFF to this file (appended
    /// to), one JSON line per history event in the record shape CloudWatch Logs receives from Step Functions; `-` for
    /// stdout. Without it, no execution log is written.
    #[arg(long, value_name = "PATH")]
    execution_log: Option<PathBuf>,
    /// Do not send the execution log records to the CloudWatch Logs group a loggingConfiguration names. By default
    /// they are sent there, as Step Functions sends them, whenever a machine's configuration names a log group and
    /// AWS calls are made (not with --offline): logs:CreateLogStream, logs:PutLogEvents, with the AWS configuration
    /// Tasks use (credentials, region, AWS_ENDPOINT_URL).
    #[arg(long)]
    no_execution_log_to_cloudwatch: bool,
    /// Send each status change of a Standard execution (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, and RUNNING
    /// again when redriven) to this URL as EventBridge's "Step Functions Execution Status Change" event, POSTed as JSON
    /// (repeatable: each URL gets every event). Delivered at least once: kept in the store until the URL answers 2xx,
    /// tried again with backoff, across restarts; `--http-allow`/`--http-deny` do not apply to it.
    #[arg(long = "events-url", value_name = "URL", value_parser = parse_events_url)]
    events_urls: Vec<String>,
    /// Also put each of those events on this EventBridge event bus (a name or an ARN; repeatable) with
    /// events:PutEvents, through the AWS configuration Tasks use (credentials, region, AWS_ENDPOINT_URL), at least once
    /// as for --events-url. Not with --offline.
    #[arg(long = "events-bus", value_name = "BUS")]
    events_buses: Vec<String>,
    /// The Source of the events put on --events-bus: EventBridge keeps sources beginning with `aws.` for AWS's own
    /// services, so Baton's are `baton.states` unless this says otherwise (an emulator may take `aws.states`).
    #[arg(long, value_name = "SOURCE", default_value = runtime::service::DEFAULT_SOURCE)]
    events_source: String,
    /// The longest wait between two tries of an event that could not be delivered, in milliseconds (tries start a
    /// second apart and double).
    #[arg(long, default_value_t = runtime::service::DEFAULT_MAX_BACKOFF_MS)]
    events_max_backoff_ms: u64,
    /// Export OpenTelemetry traces (a span per execution, state and task call) over OTLP/HTTP to this collector: its
    /// base URL (`http://localhost:4318`, to which `/v1/traces` is added) or its traces URL. Without it, the standard
    /// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT turns traces on (see the README).
    #[arg(long, value_name = "URL")]
    otlp_endpoint: Option<String>,
}

/// The destinations of `--execution-log` (stdout for `-`, else the file, created if missing and appended to) and of
/// CloudWatch Logs when `cloudwatch` (AWS calls are made and `--no-execution-log-to-cloudwatch` is not given);
/// `None` with neither.
fn execution_log(path: Option<&std::path::Path>, cloudwatch: bool) -> anyhow::Result<Option<ExecutionLogSink>> {
    let sink = match path {
        None if !cloudwatch => return Ok(None),
        None => ExecutionLogSink::default(),
        Some(path) if path.as_os_str() == "-" => ExecutionLogSink::new(std::io::stdout()),
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open the execution log {}", path.display()))?;
            ExecutionLogSink::new(file)
        }
    };
    Ok(Some(if cloudwatch { sink.to_cloudwatch() } else { sink }))
}

/// `--retention` in milliseconds; `None` keeps executions for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Retention(Option<i64>);

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    raise_open_files(args.max_connections);
    // A server that checks who calls it does not let a definition reach what AWS's HTTP Task cannot: loopback,
    // link-local, the instance metadata address (HTTP Tasks, functions given as URLs, apigateway:invoke).
    let egress = if args.credentials.is_some() { args.http.restricted() } else { args.http.open() };
    if args.aws.offline && !args.events_buses.is_empty() {
        anyhow::bail!("--events-bus puts events on EventBridge, an AWS call, which --offline forbids");
    }
    let mut resources = Resources { aws: args.aws.client(egress.clone()), ..Resources::default() };
    resources.http.egress = egress;
    if let Some(file) = &args.functions {
        resources.functions = Functions::read(file).with_context(|| format!("in functions file {}", file.display()))?;
    }
    if let Some(file) = &args.connections {
        resources.http.connections = Connections::read(file)?;
    }
    let mock_config = match &args.mock_config {
        Some(file) => {
            let text = std::fs::read_to_string(file).with_context(|| format!("cannot read mock config {}", file.display()))?;
            Some(MockConfig::load_str(&text).with_context(|| format!("in {}", file.display()))?)
        }
        None => None,
    };
    // A handle on the functions every execution uses: a reload replaces them for all.
    let functions = resources.functions.clone();
    let hosts = hosts(&args)?;
    let keys = match &args.credentials {
        Some(file) => Some(server::Keys::new(crate::credentials::read(file)?).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let access = match keys.clone() {
        Some(keys) => Some(server::Access::new(keys, args.region.clone(), unix_seconds, session_secret()?)),
        None => None,
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(crate::tls::Tls::load(cert, key)?)),
        // clap requires each with the other.
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    if !(args.lease_seconds.is_finite() && args.lease_seconds >= 0.2) {
        anyhow::bail!("--lease-seconds must be at least 0.2, not {}", args.lease_seconds);
    }
    let mut config = Config {
        region: args.region,
        account_id: args.account_id,
        data_dir: args.data_dir.clone(),
        database_url: args.database_url.clone(),
        lease_ms: (args.lease_seconds * 1000.0).round() as i64,
        address: String::new(),
        limits: engine::Limits {
            max_payload_bytes: args.max_payload_bytes,
            max_history_events: args.max_history_events,
            ..engine::Limits::default()
        },
        resources: Arc::new(resources),
        mock_config,
        express_retention_seconds: args.express_retention_seconds,
        max_evaluation_ms: args.max_evaluation_ms,
        retention_ms: args.retention.0,
        virtual_time: args.virtual_time,
        admin: args.admin,
        park_after_ms: args.park_after_ms,
        execution_log: execution_log(args.execution_log.as_deref(), !args.no_execution_log_to_cloudwatch && !args.aws.offline)?,
        events: runtime::service::Events {
            urls: args.events_urls.clone(),
            buses: args.events_buses.clone(),
            source: args.events_source.clone(),
            max_backoff_ms: args.events_max_backoff_ms,
        },
        traces: crate::otel::otlp(args.otlp_endpoint.as_deref(), &|name| std::env::var(name).ok())?,
    };
    let tracing_to = config.traces.as_ref().map(|otlp| format!("{} ({})", otlp.endpoint, crate::otel::protocol_name(otlp.protocol)));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let reload = Reload {
        functions_file: args.functions.clone(),
        functions: functions.clone(),
        tls: tls.clone(),
        credentials: args.credentials.clone().zip(keys),
    };
    let served = runtime.block_on(async move {
        tokio::spawn(reload_on_hangup(reload));
        let place = match &args.database_url {
            Some(url) => format!("the PostgreSQL database {}", redacted(url)),
            None => format!("the data directory {}", args.data_dir.display()),
        };
        // Listening first, so that the node registers the address it serves on (requests wait until it serves).
        let listener = tokio::net::TcpListener::bind(args.bind).await.with_context(|| format!("cannot listen on {}", args.bind))?;
        let address = listener.local_addr().unwrap_or(args.bind);
        config.address = format!("{scheme}://{address}");
        let service = Service::open(config).await.with_context(|| format!("cannot open {place}"))?;
        say!(
            "serving the Step Functions API on {scheme}://{address} (data in {place}, {} executions resumed)",
            service.running_count()
        );
        let signing = if access.is_some() { " (sign in with a key of --credentials)" } else { "" };
        say!("the console is on {scheme}://{address}/console{signing}");
        if let Some(to) = tracing_to {
            say!("exporting traces to {to}");
        }
        // `serve` shuts the service down after the last request.
        let options = crate::listen::Options {
            hosts,
            access,
            header_timeout: std::time::Duration::from_secs(args.header_timeout_seconds.max(1)),
            max_connections: args.max_connections,
            tls,
        };
        crate::listen::serve(listener, service, options, shutdown_signal()).await.context("the server failed")?;
        say!("stopped");
        anyhow::Ok(ExitCode::SUCCESS)
    });
    // Local functions still running on blocking threads are not waited for: their steps are not committed, and a
    // restart invokes them again.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    // Warm functions' processes do not outlive the server.
    functions.stop();
    served
}

/// Which `Host` headers the server answers: any when API calls are signed (`--credentials`: a page reached through
/// DNS rebinding has no key); on loopback without credentials only loopback's names (and `--allow-host`); elsewhere
/// any, once `--allow-anonymous` says that an open server is meant. Refuses a non-loopback address without either.
fn hosts(args: &Args) -> anyhow::Result<server::Hosts> {
    if args.credentials.is_some() {
        return Ok(server::Hosts::Any);
    }
    if args.bind.ip().is_loopback() {
        return Ok(server::Hosts::Loopback(args.allow_hosts.clone()));
    }
    if !args.allow_anonymous {
        anyhow::bail!(
            "baton serve will not listen on {} without credentials: anyone who reaches it could start, stop and \
             redefine every workflow. Give --credentials FILE (keys that callers sign with, as for AWS), or listen on \
             loopback (--bind 127.0.0.1:8083, the default) behind a proxy that authenticates, or give \
             --allow-anonymous if an open server is what you want",
            args.bind
        );
    }
    Ok(server::Hosts::Any)
}

/// Raises the soft limit on open files towards the hard one, so that `--max-connections` connections (one
/// descriptor each, beside the store's and the functions') can be open: a default soft limit of 1,024 would refuse
/// connections long before. A limit that cannot be raised is reported, and the server serves within it.
fn raise_open_files(max_connections: usize) {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        let wanted = (max_connections as u64).saturating_add(1024);
        let current = limit.current.unwrap_or(u64::MAX);
        if current >= wanted {
            return;
        }
        let raised = limit.maximum.map_or(wanted, |maximum| wanted.min(maximum));
        if raised <= current {
            say!(
                "at most {current} files may be open (ulimit -n), fewer than --max-connections {max_connections} needs"
            );
            return;
        }
        let new = rustix::process::Rlimit { current: Some(raised), maximum: limit.maximum };
        if let Err(error) = setrlimit(Resource::Nofile, new) {
            say!("cannot raise the open-file limit from {current} to {raised}: {error}");
        }
    }
    #[cfg(not(unix))]
    let _ = max_connections;
}

/// The clock API signatures are judged by: seconds since the Unix epoch.
fn unix_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64)
}

/// The secret the console's session cookies are signed under: 32 bytes from the system's random source, new for each
/// process (a restart signs every browser out; the server crate reads no randomness itself).
fn session_secret() -> anyhow::Result<[u8; 32]> {
    use std::io::Read;
    let mut secret = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut secret))
        .context("cannot read /dev/urandom for the console's session secret")?;
    Ok(secret)
}

/// A database URL fit to print: its password, if any, replaced by `***`.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // The key=value form.
        let words = url.split_whitespace().map(|word| if word.starts_with("password=") { "password=***" } else { word });
        return words.collect::<Vec<_>>().join(" ");
    };
    let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    match path {
        Some(path) => format!("{scheme}://{authority}/{path}"),
        None => format!("{scheme}://{authority}"),
    }
}

/// What SIGHUP reloads: the functions file, and the TLS certificate and key.
struct Reload {
    functions_file: Option<PathBuf>,
    functions: Functions,
    tls: Option<Arc<crate::tls::Tls>>,
    /// The credentials file and the keys it fills.
    credentials: Option<(PathBuf, server::Keys)>,
}

/// Reloads, on each SIGHUP, the functions file, the TLS certificate and key, and the credentials file, each on its
/// own: what does not load is reported, and stays as it was.
///
/// The functions: changed and removed warm functions stop their processes, and every execution sees the new
/// functions from its next invocation. The certificate: new connections are presented the new one; open ones keep
/// theirs.
async fn reload_on_hangup(reload: Reload) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else { return };
        while hangups.recv().await.is_some() {
            if reload.functions_file.is_none() && reload.tls.is_none() && reload.credentials.is_none() {
                say!("SIGHUP: no --functions, --tls-cert or --credentials file to reload");
                continue;
            }
            if let Some(file) = &reload.functions_file {
                reload_functions(file.clone(), reload.functions.clone()).await;
            }
            if let Some(tls) = &reload.tls {
                reload_tls(Arc::clone(tls)).await;
            }
            if let Some((file, keys)) = &reload.credentials {
                crate::credentials::reload(file, keys);
            }
        }
    }
    #[cfg(not(unix))]
    drop(reload);
}

/// Reads the functions file `file` again into `functions`, or says why not.
async fn reload_functions(file: PathBuf, functions: Functions) {
    let shown = file.display().to_string();
    let reloaded = tokio::task::spawn_blocking(move || {
        let new = Functions::read(&file)?;
        let count = new.names().len();
        functions.replace(new);
        Ok::<_, integrations::Error>(count)
    })
    .await;
    match reloaded {
        Ok(Ok(count)) => say!("reloaded the functions file {shown} ({count} functions)"),
        Ok(Err(err)) => say!("cannot reload the functions file: {err}; the functions stay as they were"),
        Err(err) => say!("cannot reload the functions file {shown}: {err}"),
    }
}

/// Reads the TLS certificate and key again, or says why not.
async fn reload_tls(tls: Arc<crate::tls::Tls>) {
    let shown = tls.cert_file().display().to_string();
    match tokio::task::spawn_blocking(move || tls.reload()).await {
        Ok(Ok(())) => say!("reloaded the TLS certificate {shown} and its key"),
        Ok(Err(err)) => say!("cannot reload the TLS certificate: {err:#}; the certificate in use stays"),
        Err(err) => say!("cannot reload the TLS certificate {shown}: {err}"),
    }
}

/// `--retention`: `0` (for ever) or a number with a unit `s`, `m`, `h` or `d`; in milliseconds.
/// `--events-url`: an `http://` or `https://` URL with a host.
fn parse_events_url(text: &str) -> Result<String, String> {
    let rest = text.strip_prefix("http://").or_else(|| text.strip_prefix("https://"));
    match rest.map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default()) {
        Some(host) if !host.is_empty() => Ok(text.to_owned()),
        _ => Err(format!("'{text}' is not an http:// or https:// URL with a host")),
    }
}

fn parse_retention(text: &str) -> Result<Retention, String> {
    retention_ms(text).map(Retention)
}

fn retention_ms(text: &str) -> Result<Option<i64>, String> {
    if text.trim() == "0" {
        return Ok(None);
    }
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| format!("'{text}' is not a duration such as 90d, 12h, 30m or 45s"))?;
    let unit_ms: i64 = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("'{text}' has no unit: write 90d, 12h, 30m or 45s (or 0 to keep executions for ever)")),
    };
    match number.checked_mul(unit_ms) {
        Some(0) => Ok(None),
        Some(ms) => Ok(Some(ms)),
        None => Err(format!("'{text}' is too long")),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::{redacted, retention_ms};

    #[test]
    fn a_database_url_is_printed_without_its_password() {
        assert_eq!(redacted("postgres://baton:s3cret@db:5432/baton"), "postgres://baton:***@db:5432/baton");
        assert_eq!(redacted("postgres://baton@db/baton"), "postgres://baton@db/baton");
        assert_eq!(redacted("postgres://db"), "postgres://db");
        assert_eq!(redacted("host=db user=baton password=s3cret"), "host=db user=baton password=***");
    }

    #[test]
    fn retention_takes_a_number_and_a_unit() {
        assert_eq!(retention_ms("90d"), Ok(Some(90 * 86_400_000)));
        assert_eq!(retention_ms("45s"), Ok(Some(45_000)));
        assert_eq!(retention_ms("0"), Ok(None));
        assert!(retention_ms("90").is_err());
        assert!(retention_ms("d").is_err());
        assert!(retention_ms("1y").is_err());
    }
}
