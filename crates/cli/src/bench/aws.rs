//! `baton bench --aws`: Tasks calling an AWS service, SQS `sendMessage`, answered by a small stand-in on
//! 127.0.0.1 (keep-alive HTTP/1.1, a fixed awsJson answer), so the figure is Baton's cost, not a network's.
//!
//! Two runs of an inline Map of `calls` iterations, each one `arn:aws:states:::sqs:sendMessage` Task, in process:
//! one iteration at a time (`MaxConcurrency: 1`: the time per call, from the engine's request to its result) and all
//! at once (calls per second). The overhead Baton adds per call is the sequential time per call minus the round trip
//! of the same request sent by a bare keep-alive client (no signing, no model, no engine).

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use engine::{Limits, Status};
use integrations::aws::{Aws, Options as AwsOptions};
use runtime::{Clock, Options, Resources};

/// The stand-in's answer to every request: what SQS answers a `SendMessage`.
const ANSWER: &str = r#"{"MD5OfMessageBody":"49f68a5c8493ec2c0bf489821c21fc3b","MessageId":"5fea7756-0ea4-451a-a703-a558b933e274"}"#;

pub(crate) fn aws(calls: usize, out: &mut impl Write) -> anyhow::Result<()> {
    let endpoint = stand_in()?;
    let resources = Arc::new(Resources {
        aws: Aws::new(AwsOptions {
            endpoint_url: Some(endpoint.clone()),
            static_credentials: Some(("AKIDBENCH".to_owned(), "bench-secret".to_owned())),
            ..AwsOptions::default()
        }),
        ..Resources::default()
    });
    let raw = raw_round_trip(&endpoint, calls.min(2000))?;
    writeln!(out, "{:<28} {:>8} {:>12} {:>12}", "aws (sqs:sendMessage)", "calls", "calls/s", "µs/call")?;
    writeln!(out, "{:<28} {:>8} {:>12.0} {:>12.1}", "bare HTTP round trip", calls.min(2000), 1e6 / raw, raw)?;
    let mut sequential = 0.0;
    for (label, concurrency) in [("baton, one at a time", 1), ("baton, all at once", 0)] {
        let elapsed = run_map(&resources, calls, concurrency)?;
        let per_call = elapsed.as_secs_f64() * 1e6 / calls as f64;
        if concurrency == 1 {
            sequential = per_call;
        }
        writeln!(out, "{:<28} {:>8} {:>12.0} {:>12.1}", label, calls, calls as f64 / elapsed.as_secs_f64(), per_call)?;
    }
    writeln!(out, "overhead Baton adds per call: {:.1} µs", sequential - raw)?;
    Ok(())
}

/// Runs the Map of `calls` sendMessage Tasks once (after a warm-up run) and returns how long it took.
fn run_map(resources: &Arc<Resources>, calls: usize, concurrency: u64) -> anyhow::Result<Duration> {
    let definition = json!({
        "StartAt": "Send",
        "States": {"Send": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": concurrency, "ResultPath": null, "End": true,
            "ItemProcessor": {"StartAt": "Call", "States": {"Call": {
                "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/bench", "MessageBody.$": "States.Format('item {}', $)"},
                "End": true
            }}}
        }}
    });
    let machine = Arc::new(asl::parse::parse_value(&definition).map_err(|d| anyhow::anyhow!("the AWS workload: {d:?}"))?);
    let mut elapsed = Duration::ZERO;
    for items in [calls.min(50), calls] {
        let input = json!({"items": (0..items).collect::<Vec<_>>()});
        let options = Options {
            clock: Clock::Virtual,
            limits: Limits { max_history_events: 0, ..Limits::default() },
            resources: resources.clone(),
            progress: None,
            keep_history: false,
            max_evaluation_ms: 0,
        };
        let started = Instant::now();
        let execution = runtime::run(machine.clone(), super::info("aws_calls"), input, options);
        elapsed = started.elapsed();
        if !matches!(execution.status(), Status::Succeeded { .. }) {
            bail!("the AWS workload did not succeed: {:?}", execution.status());
        }
    }
    Ok(elapsed)
}

/// Starts the stand-in; returns its URL.
fn stand_in() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot listen on 127.0.0.1")?;
    let url = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    Ok(url)
}

/// Answers every request on one keep-alive connection until the client closes it.
fn serve(stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: bench\r\nContent-Length: {}\r\n\r\n{ANSWER}",
        ANSWER.len()
    );
    while let Ok(Some(head)) = super::http::read_head(&mut reader) {
        let length = head.length;
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() || writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// The mean round trip, in µs, of `count` SendMessage requests sent one after another on one keep-alive connection.
fn raw_round_trip(endpoint: &str, count: usize) -> anyhow::Result<f64> {
    let address = endpoint.trim_start_matches("http://");
    let stream = TcpStream::connect(address)?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let body = r#"{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/bench","MessageBody":"item 1"}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.SendMessage\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let started = Instant::now();
    for _ in 0..count.max(1) {
        writer.write_all(request.as_bytes())?;
        let length = super::http::read_head(&mut reader)?.context("the stand-in closed the connection")?.length;
        let mut answer = vec![0; length];
        reader.read_exact(&mut answer)?;
    }
    Ok(started.elapsed().as_secs_f64() * 1e6 / count.max(1) as f64)
}
