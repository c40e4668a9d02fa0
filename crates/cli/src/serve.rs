//! `baton serve`: the AWS-compatible API on durable embedded SQLite.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use integrations::connections::Connections;
use integrations::functions::Functions;
use integrations::mock::MockConfig;
use runtime::Resources;
use runtime::service::{Config, Service};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8083")]
    bind: SocketAddr,
    /// The data directory (created if missing); SQLite in WAL mode inside.
    #[arg(long, default_value = "./baton-data")]
    data_dir: PathBuf,
    /// A TOML file of local functions, as for `baton run`.
    #[arg(long)]
    functions: Option<PathBuf>,
    /// A TOML file of EventBridge connections for HTTP Tasks (`[connections.NAME]` with `basic`, `api_key`,
    /// `headers`, `query`, `body`); a connection not in it adds nothing to the request.
    #[arg(long)]
    connections: Option<PathBuf>,
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
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut resources = Resources::default();
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
    let config = Config {
        region: args.region,
        account_id: args.account_id,
        data_dir: args.data_dir.clone(),
        limits: engine::Limits {
            max_payload_bytes: args.max_payload_bytes,
            max_history_events: args.max_history_events,
            ..engine::Limits::default()
        },
        resources: Arc::new(resources),
        mock_config,
        express_retention_seconds: args.express_retention_seconds,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let service = Service::open(config).await.with_context(|| format!("cannot open the data directory {}", args.data_dir.display()))?;
        let listener = tokio::net::TcpListener::bind(args.bind).await.with_context(|| format!("cannot listen on {}", args.bind))?;
        eprintln!(
            "baton: serving the Step Functions API on http://{} (data in {}, {} executions resumed)",
            listener.local_addr().unwrap_or(args.bind),
            args.data_dir.display(),
            service.running_count()
        );
        // `serve` shuts the service down after the last request.
        server::serve(listener, service, shutdown_signal()).await.context("the server failed")?;
        eprintln!("baton: stopped");
        anyhow::Ok(ExitCode::SUCCESS)
    })
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
