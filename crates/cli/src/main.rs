//! The `baton` binary: argument parsing and wiring; the work happens in the library crates.

mod backup;
mod bench;
mod coverage;
mod credentials;
mod graph;
mod listen;
mod logging;
mod nodes;
mod run;
mod serve;
mod test;
mod tls;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Baton runs AWS Step Functions state machines anywhere.
#[derive(Parser)]
#[command(name = "baton", version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one execution of a definition in process and print its result.
    Run(Box<run::Args>),
    /// Serve the AWS Step Functions API (AWS CLI, boto3 and the SDKs work with --endpoint-url) on durable SQLite, or
    /// on PostgreSQL shared with other servers.
    Serve(serve::Args),
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
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(err) = logging::init() {
        eprintln!("error: {err:#}");
        return ExitCode::from(2);
    }
    let result = match args.command {
        Command::Run(args) => run::run(*args),
        Command::Serve(args) => serve::run(args),
        Command::Test(args) => test::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Backup(args) => backup::run(args),
        Command::Nodes(args) => nodes::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
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
    /// The AWS client these options ask for.
    fn client(&self) -> integrations::aws::Aws {
        integrations::aws::Aws::new(integrations::aws::Options {
            offline: self.offline,
            buckets: self.buckets.iter().cloned().collect(),
            ..Default::default()
        })
    }
}

/// `--bucket NAME=DIR`: an S3 bucket answered from a local folder.
fn parse_bucket(text: &str) -> Result<(String, std::path::PathBuf), String> {
    match text.split_once('=') {
        Some((name, dir)) if !name.is_empty() && !dir.is_empty() => Ok((name.to_owned(), std::path::PathBuf::from(dir))),
        _ => Err(format!("expected NAME=DIR (a bucket name and a folder), not '{text}'")),
    }
}
