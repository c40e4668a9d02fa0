//! `baton watch EXECUTION_ARN`: an execution's history events printed as they happen, from `baton serve` (or any Step
//! Functions endpoint), until the execution ends; the exit code says how it ended.
//!
//! The calls go through the same AWS client Task states use (`integrations::aws`, the `sfn` model, SigV4 with the
//! standard AWS configuration's credentials, or any when none are configured, as a server without `--credentials`
//! takes).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};

use integrations::aws::target::Target;
use integrations::aws::{Aws, Options};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The execution to watch.
    execution_arn: String,
    /// The server to ask.
    #[arg(long, env = "BATON_ENDPOINT_URL", default_value = "http://127.0.0.1:8083")]
    endpoint_url: String,
    /// How often to ask for new events, in milliseconds.
    #[arg(long, default_value_t = 500)]
    interval_ms: u64,
}

/// The event types that end an execution.
const ENDINGS: [&str; 4] = ["ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"];

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    // Without credentials in the environment or the AWS files, any do for a server without --credentials.
    let configured = std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
        || std::env::var_os("AWS_PROFILE").is_some()
        || std::env::var_os("HOME").is_some_and(|home| std::path::Path::new(&home).join(".aws").exists());
    let aws = Aws::new(Options {
        endpoint_url: Some(args.endpoint_url.clone()),
        static_credentials: (!configured).then(|| ("baton".to_owned(), "baton".to_owned())),
        ..Options::default()
    });
    runtime.block_on(watch(&aws, &args))
}

/// Reads the history from its start each round and prints the events not printed yet, until the one that ends the
/// execution (a history has at most 25,000 events, so a round is a few pages at most).
async fn watch(aws: &Aws, args: &Args) -> anyhow::Result<ExitCode> {
    let mut printed = 0;
    loop {
        let mut token: Option<String> = None;
        loop {
            let mut parameters = json!({"ExecutionArn": args.execution_arn, "MaxResults": 1000});
            if let Some(token) = &token {
                parameters["NextToken"] = json!(token);
            }
            let page = call(aws, "getExecutionHistory", &parameters).await?;
            for event in page.get("Events").and_then(Value::as_array).into_iter().flatten() {
                let id = event.get("Id").and_then(Value::as_i64).unwrap_or_default();
                if id <= printed {
                    continue;
                }
                printed = id;
                println!("{}", line(event));
                let kind = event.get("Type").and_then(Value::as_str).unwrap_or_default();
                if ENDINGS.contains(&kind) {
                    return Ok(if kind == "ExecutionSucceeded" { ExitCode::SUCCESS } else { ExitCode::from(1) });
                }
            }
            match page.get("NextToken").and_then(Value::as_str) {
                Some(next) => token = Some(next.to_owned()),
                None => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(args.interval_ms.max(50))).await;
    }
}

/// One `sfn` action through the AWS client, as a Task state's `aws-sdk:sfn:` call.
async fn call(aws: &Aws, action: &str, parameters: &Value) -> anyhow::Result<Value> {
    let resource = format!("arn:aws:states:::aws-sdk:sfn:{action}");
    let target = Target::of(&resource).with_context(|| format!("no such action: {action}"))?;
    let caller = integrations::Caller { execution_arn: "", state: "watch", role_arn: None, trace: None };
    let answer = aws.call(&resource, &target, parameters, "", caller).await;
    answer.map_err(|error| anyhow::anyhow!("{}: {}", error.error, error.cause.unwrap_or_default()))
}

/// An event as one line: its id, time, type, the state it is about, and its error or cause when it has one.
fn line(event: &Value) -> String {
    let id = event.get("Id").and_then(Value::as_i64).unwrap_or_default();
    let kind = event.get("Type").and_then(Value::as_str).unwrap_or_default();
    let time = event.get("Timestamp").map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_owned)).unwrap_or_default();
    let details = event.as_object().and_then(|object| object.iter().find(|(name, _)| name.ends_with("EventDetails"))).map(|(_, d)| d);
    let field = |name: &str| details.and_then(|d| d.get(name)).and_then(Value::as_str);
    let mut text = format!("{id:>5}  {time}  {kind}");
    if let Some(state) = field("Name") {
        text.push_str(&format!("  {state}"));
    }
    if let Some(error) = field("Error") {
        text.push_str(&format!("  {error}"));
        if let Some(cause) = field("Cause") {
            text.push_str(&format!(": {cause}"));
        }
    }
    text
}
