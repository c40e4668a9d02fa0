//! The CLI contract: `baton run --json` results, exit codes, `baton validate` diagnostics, and `baton graph`.

use std::process::Command;

use serde_json::{Value, json};

fn baton(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_baton")).args(args).output().expect("run baton")
}

fn write(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write file");
    path
}

/// Reads an HTTP request's head (up to the blank line) from `stream`, byte by byte so nothing after it is taken.
fn request_head(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read");
        assert_eq!(n, 1, "connection closed before the request head ended");
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[track_caller]
fn run_json(definition: &str, input: &str, extra: &[&str]) -> Value {
    let file = write(&format!("def-{}.json", definition.len()), definition);
    let mut args = vec!["run", file.to_str().expect("utf-8 path"), "--json", "--virtual-time", "--input", input];
    args.extend_from_slice(extra);
    let output = baton(&args);
    assert!(output.status.success(), "baton failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("json on stdout")
}

#[test]
fn succeeded_result_contract() {
    let result = run_json(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"End":true}}}"#, "{}", &[]);
    assert_eq!(result, json!({"status": "SUCCEEDED", "output": {"x": 1}}));
}

#[test]
fn failed_result_contract() {
    let result = run_json(r#"{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}}"#, "{}", &[]);
    assert_eq!(result, json!({"status": "FAILED", "error": "E", "cause": "C"}));
}

#[test]
fn history_is_included_on_request() {
    let result = run_json(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#, "{}", &["--history"]);
    let types: Vec<&str> = result["history"].as_array().expect("history").iter().map(|e| e["type"].as_str().expect("type")).collect();
    assert_eq!(types, ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]);
    let ids: Vec<u64> = result["history"].as_array().expect("history").iter().map(|e| e["id"].as_u64().expect("id")).collect();
    assert_eq!(ids, [1, 2, 3, 4]);
}

#[test]
fn wait_is_skipped_with_virtual_time() {
    let started = std::time::Instant::now();
    let result = run_json(r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}"#, "{\"a\":1}", &[]);
    assert_eq!(result, json!({"status": "SUCCEEDED", "output": {"a": 1}}));
    assert!(started.elapsed().as_secs() < 60, "a one-hour wait must not really wait");
}

/// `baton run` cuts off a JSONata evaluation that never ends: the state fails within `--max-evaluation-ms`, and a
/// Catch of the Parallel around it runs.
#[test]
fn a_never_ending_evaluation_fails_within_the_limit() {
    let definition = r#"{"QueryLanguage": "JSONata", "StartAt": "Guarded", "States": {
        "Guarded": {"Type": "Parallel", "End": true,
            "Branches": [{"StartAt": "Spin", "States": {
                "Spin": {"Type": "Pass", "Output": "{% ($f := function($n){ $f($n + 1) }; $f(0)) %}", "End": true}}}],
            "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "Caught"}]},
        "Caught": {"Type": "Pass", "End": true}}}"#;
    let started = std::time::Instant::now();
    let result = run_json(definition, "{}", &["--max-evaluation-ms", "300"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(result["status"], "SUCCEEDED", "{result}");
    assert_eq!(result["output"]["Error"], "States.QueryEvaluationError", "{result}");
    assert!(result["output"]["Cause"].as_str().unwrap_or_default().contains("exceeded its time limit"), "{result}");
}

#[test]
fn invalid_definition_lists_every_problem() {
    let file = write("invalid.json", "{\n  \"StartAt\": \"Nope\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}\n  }\n}\n");
    let output = baton(&["validate", file.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("/StartAt"), "{stdout}");
    assert!(stdout.contains("/States/A/Next"), "{stdout}");
    let run = baton(&["run", file.to_str().expect("utf-8 path"), "--json"]);
    assert_eq!(run.status.code(), Some(2), "an invalid definition is Baton not being able to run");
}

/// Each problem with its line and column, AWS's code, and a suggestion for a near miss; a duplicate JSON key; a
/// JSONata read of a variable no state assigns is a warning, printed but not failing validation.
#[test]
fn validate_prints_locations_suggestions_and_warnings() {
    let misspelt = write(
        "misspelt.json",
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"Dnoe\"},\n    \"Done\": {\"Type\": \"Succeed\"}\n  }\n}\n",
    );
    let duplicate = write("duplicate.json", "{\"StartAt\": \"A\",\n \"States\": {\"A\": {\"Type\": \"Pass\", \"End\": true}},\n \"StartAt\": \"A\"}\n");
    let warned = write(
        "warned.yaml",
        "QueryLanguage: JSONata\nStartAt: A\nStates:\n  A:\n    Type: Pass\n    Output: '{% $missing %}'\n    End: true\n",
    );
    let path = |file: &std::path::Path| file.to_str().expect("utf-8 path").to_owned();
    let output = baton(&["validate", &path(&misspelt), &path(&duplicate), &path(&warned)]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{}:4:27: /States/A/Next: 'Dnoe' is not a state of this workflow; did you mean 'Done'? [MISSING_TRANSITION_TARGET]", path(&misspelt)),
            format!("{}:3:2: /StartAt: invalid JSON: duplicate key `StartAt` [INVALID_JSON_DESCRIPTION]", path(&duplicate)),
            format!(
                "{}:6:5: /States/A/Output: warning: '$missing' is not a variable that any state of this workflow or an \
                 enclosing one assigns; it is undefined here [UNASSIGNED_VARIABLE]",
                path(&warned)
            ),
        ]
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("{}: ok", path(&warned))) && stderr.contains("2 problems found"), "{stderr}");
}

#[test]
fn unreadable_definition_is_a_clear_error() {
    let output = baton(&["run", "/nonexistent/definition.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read definition"));
}

/// The README's example: a YAML workflow whose Map calls a local command function through `lambda:invoke`.
fn example(input: &str) -> Value {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/orders");
    let output = baton(&[
        "run",
        &format!("{root}/workflow.asl.yaml"),
        "--functions",
        &format!("{root}/functions.toml"),
        "--input",
        input,
        "--virtual-time",
        "--json",
    ]);
    assert!(output.status.success(), "baton failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("json on stdout")
}

#[test]
fn example_prices_an_order() {
    let result = example(r#"{"order": "A-1", "lines": [{"sku": "pen", "quantity": 3}, {"sku": "pad", "quantity": 1}]}"#);
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(result["output"]["message"], "Order A-1 has 2 priced lines");
    assert_eq!(result["output"]["priced"], json!([{"line": 0, "amount": 450}, {"line": 1, "amount": 325}]));
}

#[test]
fn example_rejects_an_unknown_sku_after_retries() {
    let result = example(r#"{"order": "B-7", "lines": [{"sku": "gold", "quantity": 1}]}"#);
    assert_eq!(result, json!({"status": "FAILED", "error": "Order.Rejected", "cause": "Order B-7 cannot be priced"}));
}

/// A local function's stderr: each line logged on Baton's stderr with the execution and state, and the last of it
/// in a failure's cause. `BATON_LOG=off` silences the log, and a value that does not parse stops the command;
/// `--log-format json` writes each line as a JSON object with the same fields, and `--log-level` wins over
/// `BATON_LOG`.
#[test]
fn function_stderr_goes_to_the_log_and_its_tail_to_the_cause() {
    let functions = write("noisy.toml", "[functions.noisy]\ncommand = [\"sh\", \"-c\", \"echo computing >&2; echo no disk >&2; exit 2\"]\n");
    let definition = write(
        "noisy.json",
        r#"{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:noisy","End":true}}}"#,
    );
    let run_with = |log: Option<&str>, flags: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
        command.args(["run", definition.to_str().expect("utf-8 path"), "--json", "--name", "jobs"]).args(flags);
        command.args(["--functions", functions.to_str().expect("utf-8 path")]);
        command.env_remove("BATON_LOG");
        if let Some(log) = log {
            command.env("BATON_LOG", log);
        }
        command.output().expect("run baton")
    };
    let run = |log: Option<&str>| run_with(log, &[]);
    let output = run(None);
    assert!(output.status.success(), "baton failed: {}", String::from_utf8_lossy(&output.stderr));
    let result: Value = serde_json::from_slice(&output.stdout).expect("json on stdout");
    assert_eq!(result["error"], "Runtime.ExitError");
    let cause: Value = serde_json::from_str(result["cause"].as_str().unwrap_or_default()).expect("JSON cause");
    assert_eq!(cause["stderr"], "computing\nno disk");
    let log = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = log.lines().filter(|line| line.contains(" INFO ")).collect();
    assert_eq!(lines.len(), 2, "{log}");
    for (line, message) in lines.iter().zip(["computing", "no disk"]) {
        assert!(line.contains(&format!(": {message} ")), "{line}");
        assert!(line.contains(" execution_arn=arn:aws:states:us-east-1:123456789012:execution:jobs:"), "{line}");
        assert!(line.contains(" state=Work function=noisy"), "{line}");
    }

    let quiet = run(Some("off"));
    assert!(quiet.status.success());
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");

    let bad = run(Some("integrations=loud"));
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr).into_owned();
    assert!(stderr.starts_with("error: in BATON_LOG: invalid log filter `integrations=loud`: "), "{stderr}");

    let json = run_with(Some("off"), &["--log-format", "json", "--log-level", "info"]);
    let log = String::from_utf8_lossy(&json.stderr);
    let lines: Vec<Value> = log.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))).collect();
    assert_eq!(lines.len(), 2, "{log}");
    for (line, message) in lines.iter().zip(["computing", "no disk"]) {
        assert_eq!(line["level"], "INFO", "{line}");
        assert_eq!(line["fields"]["message"], message, "{line}");
        assert_eq!(line["fields"]["state"], "Work", "{line}");
        let arn = line["fields"]["execution_arn"].as_str().unwrap_or_default();
        assert!(arn.starts_with("arn:aws:states:us-east-1:123456789012:execution:jobs:"), "{line}");
    }
}

/// The README's functions file, which lists every option, is a valid functions file.
#[test]
fn readme_functions_file_is_valid() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).expect("README.md");
    let toml = readme.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a toml block in the README");
    assert!(toml.contains("command =") && toml.contains("url =") && toml.contains("env =") && toml.contains("cwd ="));
    let functions = write("readme-functions.toml", toml);
    let definition = write("readme-pass.json", r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#);
    let output = baton(&["run", definition.to_str().expect("utf-8 path"), "--functions", functions.to_str().expect("utf-8 path")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// An HTTP Task against a server the test starts: the first call answers 503, the Retry on
/// `States.Http.StatusCode.503` calls again, and the second answer is the task's result.
#[test]
fn http_task_retries_a_503() {
    use std::io::Write;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/orders/7", listener.local_addr().expect("address"));
    let server = std::thread::spawn(move || {
        let answers = [
            ("503 Service Unavailable", "text/plain", "busy"),
            ("200 OK", "application/json", r#"{"order": 7, "status": "shipped"}"#),
        ];
        let mut targets = Vec::new();
        for (status, content_type, body) in answers {
            let (mut stream, _) = listener.accept().expect("accept");
            let head = request_head(&mut stream);
            targets.push(head.lines().next().unwrap_or_default().to_owned());
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).expect("write");
        }
        targets
    });
    let definition = json!({
        "StartAt": "Fetch",
        "States": {
            "Fetch": {
                "Type": "Task",
                "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {
                    "ApiEndpoint": url,
                    "Method": "GET",
                    "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/shop/1"},
                    "QueryParameters": {"fields.$": "$.fields"}
                },
                "Retry": [{"ErrorEquals": ["States.Http.StatusCode.503"], "IntervalSeconds": 5, "MaxAttempts": 2}],
                "ResultSelector": {"status.$": "$.StatusCode", "body.$": "$.ResponseBody"},
                "End": true
            }
        }
    });
    let file = write("http-task-retry.json", &definition.to_string());
    let output = baton(&[
        "run",
        file.to_str().expect("utf-8 path"),
        "--json",
        "--virtual-time",
        "--input",
        r#"{"fields": ["status", "order"]}"#,
    ]);
    assert!(output.status.success(), "baton failed: {}", String::from_utf8_lossy(&output.stderr));
    let result: Value = serde_json::from_slice(&output.stdout).expect("json on stdout");
    assert_eq!(
        result,
        json!({"status": "SUCCEEDED", "output": {"status": 200, "body": {"order": 7, "status": "shipped"}}})
    );
    let targets = server.join().expect("server");
    assert_eq!(targets, ["GET /orders/7?fields=status&fields=order HTTP/1.1"; 2]);
}

/// An HTTP Task's connection: without a connections file the request carries no credentials; with one that knows
/// the connection, its Basic credentials and header go with the request.
#[test]
fn http_task_uses_a_local_connection_when_one_is_given() {
    use std::io::Write;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/me", listener.local_addr().expect("address"));
    let server = std::thread::spawn(move || {
        let mut heads = Vec::new();
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().expect("accept");
            heads.push(request_head(&mut stream).to_ascii_lowercase());
            stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n").expect("write");
        }
        heads
    });
    let definition = json!({"StartAt": "Fetch", "States": {"Fetch": {
        "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
        "Parameters": {"ApiEndpoint": url, "Method": "GET",
            "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/shop/0b1c"}},
        "ResultSelector": {"status.$": "$.StatusCode"}, "End": true}}});
    let file = write("http-task-connection.json", &definition.to_string());
    let connections = write(
        "connections.toml",
        "[connections.shop]\nbasic = { username = \"me\", password = \"pw\" }\nheaders = { X-Tenant = \"t1\" }\n",
    );
    let path = file.to_str().expect("utf-8 path");
    let plain = baton(&["run", path, "--json"]);
    let connected = baton(&["run", path, "--json", "--connections", connections.to_str().expect("utf-8 path")]);
    for output in [&plain, &connected] {
        assert!(output.status.success(), "baton failed: {}", String::from_utf8_lossy(&output.stderr));
        let result: Value = serde_json::from_slice(&output.stdout).expect("json on stdout");
        assert_eq!(result, json!({"status": "SUCCEEDED", "output": {"status": 204}}));
    }
    let heads = server.join().expect("server");
    assert!(!heads[0].contains("authorization:") && !heads[0].contains("x-tenant:"), "{}", heads[0]);
    assert!(heads[1].contains("authorization: basic bwu6chc=\r\n") && heads[1].contains("x-tenant: t1\r\n"), "{}", heads[1]);
}

#[test]
fn a_bad_connections_file_is_a_clear_error() {
    let file = write("plain.json", r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#);
    let connections = write("bad-connections.toml", "[connections.shop]\nbasic = { username = \"me\" }\n");
    let output = baton(&["run", file.to_str().expect("utf-8 path"), "--connections", connections.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid connections file:") && stderr.contains("`connections.shop.basic` needs `password`"), "{stderr}");
}

#[test]
fn graph_draws_svg_dot_and_mermaid() {
    let file = write(
        "graph.json",
        r#"{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"A"}],"Default":"A"},"A":{"Type":"Pass","End":true}}}"#,
    );
    let path = file.to_str().expect("utf-8 path");
    let svg = baton(&["graph", path]);
    assert!(svg.status.success(), "{}", String::from_utf8_lossy(&svg.stderr));
    let svg = String::from_utf8_lossy(&svg.stdout);
    assert!(svg.starts_with("<svg ") && svg.contains(r#"data-state="C""#) && svg.contains(r#"data-state="A""#), "{svg}");
    let dot = baton(&["graph", path, "--format", "dot"]);
    assert!(String::from_utf8_lossy(&dot.stdout).starts_with("digraph "));
    let out = file.with_extension("mmd");
    let mermaid = baton(&["graph", path, "--format", "mermaid", "--output", out.to_str().expect("utf-8 path")]);
    assert!(mermaid.status.success() && mermaid.stdout.is_empty());
    let text = std::fs::read_to_string(&out).expect("mermaid written");
    assert!(text.starts_with("flowchart TD\n") && text.contains(r#"n1 -->|"$.n #gt; 1"| n2"#), "{text}");
}

/// A definition with problems is drawn all the same, its problem states outlined in red with their problems in
/// their titles; the problems are listed on stderr and the exit code is 2, as for any invalid definition. Text that is
/// not JSON or YAML draws nothing.
#[test]
fn graph_of_an_invalid_definition_draws_it_marks_its_problems_and_exits_2() {
    let file = write(
        "graph-invalid.yaml",
        "StartAt: Nope\nStates:\n  A:\n    Type: Pass\n    Next: B\n  B:\n    Type: Task\n\
         \x20   Resource: arn:aws:states:::lambda:invoke\n    Retry: often\n    End: true\n",
    );
    let path = file.to_str().expect("utf-8 path");
    let output = baton(&["graph", path]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/StartAt") && stderr.contains("/States/B/Retry") && stderr.contains("problems found"), "{stderr}");
    let svg = String::from_utf8_lossy(&output.stdout);
    assert!(svg.starts_with("<svg ") && svg.contains(r#"data-state="A" class="state pass">"#), "{svg}");
    let b = svg.lines().find(|line| line.starts_with(r#"<g data-state="B""#)).unwrap_or_else(|| panic!("B is drawn: {svg}"));
    assert!(b.contains(r#"class="state task problem"><title>B"#) && b.contains("Retry"), "{b}");
    assert!(svg.contains(r#"data-from="A" data-to="B""#), "A's transition to B is drawn: {svg}");

    let out = file.with_extension("dot");
    let dot = baton(&["graph", path, "--format", "dot", "--output", out.to_str().expect("utf-8 path")]);
    assert_eq!(dot.status.code(), Some(2));
    assert!(dot.stdout.is_empty());
    let text = std::fs::read_to_string(&out).expect("the DOT written");
    assert!(text.starts_with("digraph ") && text.contains("penwidth=2.5"), "{text}");

    let garbage = write("graph-garbage.json", "{ not json");
    let output = baton(&["graph", garbage.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("INVALID_JSON_DESCRIPTION"));
}

/// `--region` picks the partition of every ARN the Context object shows.
#[test]
fn arns_name_the_regions_partition() {
    let definition = r#"{"StartAt":"C","States":{"C":{"Type":"Pass","Parameters":{"id.$":"$$.Execution.Id","machine.$":"$$.StateMachine.Id","role.$":"$$.Execution.RoleArn"},"End":true}}}"#;
    let result = run_json(definition, "{}", &["--region", "us-gov-east-1", "--name", "M", "--execution-name", "e"]);
    assert_eq!(
        result["output"],
        json!({
            "id": "arn:aws-us-gov:states:us-gov-east-1:123456789012:execution:M:e",
            "machine": "arn:aws-us-gov:states:us-gov-east-1:123456789012:stateMachine:M",
            "role": "arn:aws-us-gov:iam::123456789012:role/baton",
        })
    );
}

/// An execution input over `--max-payload-bytes` is refused as the execution's input (exit 2, as an input AWS's
/// StartExecution refuses), not blamed on the first state that passes it on.
#[test]
fn an_oversized_input_is_refused_as_the_execution_input() {
    let file = write("oversized.json", r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}"#);
    let path = file.to_str().expect("utf-8 path");
    let input = r#"{"a":"xxxxxxxxxxxxxxxxxxxx"}"#;
    let output = baton(&["run", path, "--json", "--virtual-time", "--max-payload-bytes", "10", "--input", input]);
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stdout));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("execution input is 28 bytes, more than the maximum of 10"), "{stderr}");
    let input_file = write("oversized-input.json", input);
    let args = ["run", path, "--max-payload-bytes", "10", "--input-file", input_file.to_str().expect("utf-8 path")];
    assert_eq!(baton(&args).status.code(), Some(2));
    // Within the limit it runs.
    let result = run_json(r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}"#, input, &["--max-payload-bytes", "28"]);
    assert_eq!(result["status"], "SUCCEEDED");
}

/// An execution input nested deeper than the one nesting limit (126 levels) is refused as the execution's input.
#[test]
fn an_input_nested_too_deeply_is_refused() {
    let file = write("deep.json", r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#);
    let path = file.to_str().expect("utf-8 path");
    let deep = format!("{}{}", "[".repeat(127), "]".repeat(127));
    let output = baton(&["run", path, "--json", "--input", &deep]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nested 127 levels deep, more than the maximum of 126"), "{stderr}");
    let fine = format!("{}{}", "[".repeat(126), "]".repeat(126));
    assert_eq!(run_json(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#, &fine, &[])["status"], "SUCCEEDED");
}

/// An Express execution times out after AWS's five minutes, even with a longer `TimeoutSeconds`.
#[test]
fn an_express_run_times_out_after_five_minutes() {
    let definition = r#"{"TimeoutSeconds":7200,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":301,"End":true}}}"#;
    let result = run_json(definition, "{}", &["--type", "EXPRESS"]);
    assert_eq!(result, json!({"status": "TIMED_OUT", "error": "States.Timeout", "cause": null}));
    assert_eq!(run_json(definition, "{}", &[])["status"], "SUCCEEDED", "a Standard run waits as long as it asks");
}

/// A long run off a terminal prints a progress line now and then, naming the state it is in and that its task retries.
#[test]
fn progress_names_the_state_that_retries() {
    let functions = write("slow.toml", "[functions.slow]\ncommand = [\"sh\", \"-c\", \"sleep 1.2; exit 3\"]\n");
    let definition = write(
        "slow.json",
        r#"{"StartAt":"Charge","States":{"Charge":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:slow",
            "Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":1}],"End":true}}}"#,
    );
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", definition.to_str().expect("utf-8 path"), "--functions", functions.to_str().expect("utf-8 path")])
        .env("BATON_LOG", "off")
        .output()
        .expect("run baton");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let progress: Vec<&str> = stderr.lines().filter(|line| line.starts_with("running ")).collect();
    assert!(progress.iter().any(|line| line.contains(" in Charge, retrying (attempt 2),")), "{stderr}");
    assert_eq!(progress.len(), 1, "off a terminal, seldom: {stderr}");
}

/// `baton bench --api` runs its workloads through the HTTP API (its own keep-alive client) and reports a row for
/// each, every execution having succeeded with the reference's history (the command checks both before it reports).
#[test]
fn the_api_benchmark_reports_each_workload() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().to_str().expect("a UTF-8 path");
    let empty = dir.path().join("no-workloads");
    std::fs::create_dir(&empty).expect("a folder");
    let workloads = empty.to_str().expect("a UTF-8 path");
    let output = baton(&["bench", "--api", "--api-executions", "30", "--clients", "4", "--data-dir", root, "--workloads", workloads]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for workload in ["api_pass_chain_20", "api_wait0_chain_20"] {
        let line = stdout.lines().find(|line| line.split_whitespace().next() == Some(workload));
        let line = line.unwrap_or_else(|| panic!("no {workload} row in:\n{stdout}"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!((fields[1], fields[2]), ("30", "600"), "30 executions of 20 transitions: {line}");
    }
}

/// `baton bench --api --duration S` drives the mix for S seconds and reports every action with its calls per second
/// and latency percentiles; every callback started is answered (as many SendTaskSuccess as GetActivityTask), and a
/// duration that is not a positive number is refused.
#[test]
fn the_load_test_reports_each_action_of_its_mix() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = dir.path().to_str().expect("a UTF-8 path");
    let output = baton(&["bench", "--api", "--duration", "1", "--clients", "4", "--data-dir", root]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let calls = |action: &str| -> u64 {
        let line = stdout.lines().find(|line| line.split_whitespace().next() == Some(action));
        let line = line.unwrap_or_else(|| panic!("no {action} row in:\n{stdout}"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 7, "calls, calls/s and four latencies: {line}");
        fields[1].parse().expect("a count of calls")
    };
    for action in ["StartExecution", "DescribeExecution", "GetExecutionHistory", "GetActivityTask", "SendTaskSuccess"] {
        assert!(calls(action) > 0, "{action} was called:\n{stdout}");
    }
    assert_eq!(calls("GetActivityTask"), calls("SendTaskSuccess"), "every task taken is answered:\n{stdout}");
    let refused = baton(&["bench", "--api", "--duration", "0", "--data-dir", root]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--duration must be a positive number"), "{refused:?}");
}
