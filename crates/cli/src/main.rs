//! The `baton` binary: argument parsing and wiring; the work happens in the library crates.

mod backup;
mod bench;
mod coverage;
mod credentials;
mod graph;
mod listen;
mod logging;
mod nodes;
mod otel;
mod run;
mod serve;
mod test;
mod tls;
mod validate;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Baton runs AWS Step Functions state machines anywhere.
#[derive(Parser)]
#[command(name = "baton", version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// How log lines are written on stderr: `text` for people, `json` (one object per line) for log collectors.
    #[arg(long, global = true, value_enum, env = "BATON_LOG_FORMAT", default_value = "text")]
    log_format: logging::Format,
    /// What is logged: a level (`debug`) or directives (`warn,integrations=debug`); else BATON_LOG, else RUST_LOG,
    /// else `info`.
    #[arg(long, global = true, value_name = "SPEC")]
    log_level: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run one execution of a definition in process and print its result.
    Run(Box<run::Args>),
    /// Serve the AWS Step Functions API (AWS CLI, boto3 and the SDKs work with --endpoint-url) on durable SQLite, or
    /// on PostgreSQL shared with other servers.
    Serve(Box<serve::Args>),
    /// Run the cases of test files (*.test.yaml, *.test.json) on virtual time, offline, and report each one.
    Test(test::Args),
    /// Check definitions and print every problem with its location.
    Validate(validate::Args),
    /// Draw a definition as SVG, Graphviz DOT or a Mermaid flowchart.
    Graph(graph::Args),
    /// Run the benchmark workloads in process and print state transitions per second.
    Bench(bench::Args),
    /// Copy a data directory's database consistently, while a server may be using it.
    Backup(backup::Args),
    /// List the servers sharing a PostgreSQL database, their leases and the executions each holds.
    Nodes(nodes::Args),
    /// Print an execution's history events as they happen, from a server, until it ends (exit 0 if it succeeded).
    Watch(watch::Args),
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(err) = logging::init(args.log_format, args.log_level.as_deref()) {
        eprintln!("error: {err:#}");
        return ExitCode::from(2);
    }
    let result = match args.command {
        Command::Run(args) => run::run(*args),
        Command::Serve(args) => serve::run(*args),
        Command::Test(args) => test::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Backup(args) => backup::run(args),
        Command::Nodes(args) => nodes::run(args),
        Command::Watch(args) => watch::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            logging::failed(&err);
            ExitCode::from(2)
        }
    }
}

/// How `baton run` and `baton serve` make AWS calls.
#[derive(clap::Args)]
struct AwsArgs {
    /// Make no AWS call: a Task that would call an AWS service (AWS SDK or optimized integration) fails with
    /// States.TaskFailed, naming the state and resource to mock. Mocks, local functions and HTTP Tasks still work.
    #[arg(long)]
    offline: bool,
    /// Answer S3 bucket NAME from the local folder DIR (repeatable): a Map's ItemReader reads its items there, so the
    /// same definition runs without S3.
    #[arg(long = "bucket", value_name = "NAME=DIR", value_parser = parse_bucket)]
    buckets: Vec<(String, std::path::PathBuf)>,
}

impl AwsArgs {
    /// The AWS client these options ask for; `apigateway:invoke` reaches only what `egress` lets it.
    fn client(&self, egress: integrations::egress::Policy) -> integrations::aws::Aws {
        integrations::aws::Aws::new(integrations::aws::Options {
            offline: self.offline,
            buckets: self.buckets.iter().cloned().collect(),
            egress,
            ..Default::default()
        })
    }
}

/// Which hosts HTTP Tasks and functions given as URLs may reach, for `baton run` and `baton serve`
/// (`integrations::egress`).
#[derive(clap::Args)]
struct HttpArgs {
    /// Let HTTP Tasks and functions given as URLs reach only the hosts that this or another --http-allow entry
    /// matches (repeatable): a host name (api.example.com, or *.example.com for the names under it), an IP address or
    /// a CIDR network (10.0.0.0/8, fd00::/8). A host passes by its name, or if every address it resolves to is
    /// allowed. On a server that refuses loopback, link-local and metadata addresses, an allowed address or network
    /// within them reopens it (a host name does not).
    #[arg(long = "http-allow", value_name = "ENTRY", value_parser = parse_host_entry)]
    allow: Vec<integrations::egress::Entry>,
    /// Never let HTTP Tasks and functions given as URLs reach a host that this entry matches, by its name or by any
    /// address it resolves to (repeatable; entries as for --http-allow, over which it wins).
    #[arg(long = "http-deny", value_name = "ENTRY", value_parser = parse_host_entry)]
    deny: Vec<integrations::egress::Entry>,
}

impl HttpArgs {
    /// The open policy: every host but those --http-deny names, or only those --http-allow names; with neither
    /// flag, no check at all (a developer's machine, a server nobody else calls).
    fn open(&self) -> integrations::egress::Policy {
        integrations::egress::Policy::open(self.allow.clone(), self.deny.clone())
    }

    /// The restricted policy, for a server that checks who calls it: `open`, and also refusing loopback, link-local,
    /// unspecified and instance metadata addresses, which --http-allow can reopen by address or network.
    fn restricted(&self) -> integrations::egress::Policy {
        integrations::egress::Policy::restricted(self.allow.clone(), self.deny.clone())
    }
}

/// `--http-allow` and `--http-deny`: a host name, an IP address or a CIDR network.
fn parse_host_entry(text: &str) -> Result<integrations::egress::Entry, String> {
    integrations::egress::Entry::parse(text).map_err(|err| match err {
        integrations::Error::HostEntry { reason, .. } => reason,
        other => other.to_string(),
    })
}

/// `--bucket NAME=DIR`: an S3 bucket answered from a local folder.
fn parse_bucket(text: &str) -> Result<(String, std::path::PathBuf), String> {
    match text.split_once('=') {
        Some((name, dir)) if !name.is_empty() && !dir.is_empty() => Ok((name.to_owned(), std::path::PathBuf::from(dir))),
        _ => Err(format!("expected NAME=DIR (a bucket name and a folder), not '{text}'")),
    }
}
