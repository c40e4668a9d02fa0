//! `baton serve` driven by the AWS CLI (`aws stepfunctions … --endpoint-url`), as users first try it.
//!
//! It checks that the CLI's requests are understood and that its JSON output carries what users look for. Skipped
//! with a note when `aws --version` fails; CI installs the AWS CLI, so it runs there.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve::{Server, data_dir};

const ROLE: &str = "arn:aws:iam::123456789012:role/baton";

/// `aws stepfunctions <args> --endpoint-url http://<addr>` with fixed credentials and no user configuration.
struct Aws<'a> {
    addr: &'a str,
    home: &'a Path,
}

impl Aws<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("aws");
        command
            .arg("stepfunctions")
            .args(args)
            .args(["--output", "json", "--endpoint-url"])
            .arg(format!("http://{}", self.addr))
            .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
            .env("AWS_CONFIG_FILE", self.home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.home.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN");
        command
    }

    /// Runs the command, which must succeed; returns its JSON output (`null` when it prints nothing).
    #[track_caller]
    fn ok(&self, args: &[&str]) -> Value {
        let output = self.command(args).output().expect("run aws");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "aws {args:?} failed: {stderr}");
        if stdout.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("aws {args:?} printed no JSON ({e}): {stdout}"))
    }

    /// Runs the command, which must fail; returns what it printed on stderr.
    #[track_caller]
    fn fails(&self, args: &[&str]) -> String {
        let output = self.command(args).output().expect("run aws");
        assert!(!output.status.success(), "aws {args:?} succeeded");
        String::from_utf8_lossy(&output.stderr).into_owned()
    }
}

fn has_aws_cli() -> bool {
    Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn aws_cli_lifecycle_tags_and_validation() {
    if !has_aws_cli() {
        eprintln!("note: skipping the AWS CLI test: `aws --version` failed (pip install awscli==1.45.11)");
        return;
    }
    let dir = data_dir();
    let server = Server::start(&dir.path().join("data"));
    let aws = Aws {
        addr: &server.addr,
        home: dir.path(),
    };

    let definition = json!({
        "StartAt": "Greet",
        "States": {"Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "End": true}}
    })
    .to_string();
    let created = aws.ok(&[
        "create-state-machine",
        "--name",
        "hello",
        "--definition",
        &definition,
        "--role-arn",
        ROLE,
        "--tags",
        "key=team,value=a",
    ]);
    let machine = created["stateMachineArn"].as_str().expect("stateMachineArn").to_owned();
    assert_eq!(machine, "arn:aws:states:us-east-1:123456789012:stateMachine:hello");
    assert!(created.get("creationDate").is_some(), "{created}");

    let listed = aws.ok(&["list-state-machines"]);
    let machines = listed["stateMachines"].as_array().expect("stateMachines");
    assert_eq!(machines.len(), 1, "{listed}");
    assert_eq!(machines[0]["name"], json!("hello"));
    assert_eq!(machines[0]["type"], json!("STANDARD"));

    let started = aws.ok(&[
        "start-execution",
        "--state-machine-arn",
        &machine,
        "--name",
        "e1",
        "--input",
        r#"{"who": "cli"}"#,
    ]);
    let execution = started["executionArn"].as_str().expect("executionArn").to_owned();
    assert_eq!(execution, "arn:aws:states:us-east-1:123456789012:execution:hello:e1");

    let deadline = Instant::now() + Duration::from_secs(30);
    let described = loop {
        let described = aws.ok(&["describe-execution", "--execution-arn", &execution]);
        if described["status"] != json!("RUNNING") {
            break described;
        }
        assert!(Instant::now() < deadline, "{execution} still RUNNING: {described}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(described["status"], json!("SUCCEEDED"), "{described}");
    assert_eq!(described["stateMachineArn"], json!(machine));
    let output: Value = serde_json::from_str(described["output"].as_str().expect("output")).expect("JSON output");
    assert_eq!(output, json!({"greeting": "hello cli"}));

    assert_eq!(
        aws.ok(&[
            "tag-resource",
            "--resource-arn",
            &machine,
            "--tags",
            "key=env,value=dev",
            "key=team,value=b"
        ]),
        Value::Null
    );
    let tags = aws.ok(&["list-tags-for-resource", "--resource-arn", &machine]);
    assert_eq!(
        tags,
        json!({"tags": [{"key": "team", "value": "b"}, {"key": "env", "value": "dev"}]})
    );
    aws.ok(&["untag-resource", "--resource-arn", &machine, "--tag-keys", "team"]);
    let tags = aws.ok(&["list-tags-for-resource", "--resource-arn", &machine]);
    assert_eq!(tags, json!({"tags": [{"key": "env", "value": "dev"}]}));
    let missing = "arn:aws:states:us-east-1:123456789012:stateMachine:none";
    let stderr = aws.fails(&["list-tags-for-resource", "--resource-arn", missing]);
    assert!(stderr.contains("ResourceNotFound"), "{stderr}");

    let valid = aws.ok(&["validate-state-machine-definition", "--definition", &definition]);
    assert_eq!(valid["result"], json!("OK"), "{valid}");
    assert_eq!(valid["diagnostics"], json!([]));
    let dangling = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Nowhere"}}}"#;
    let invalid = aws.ok(&[
        "validate-state-machine-definition",
        "--definition",
        dangling,
        "--max-results",
        "1",
    ]);
    assert_eq!(invalid["result"], json!("FAIL"), "{invalid}");
    assert_eq!(invalid["diagnostics"][0]["severity"], json!("ERROR"));
    assert_eq!(invalid["diagnostics"][0]["code"], json!("MISSING_TRANSITION_TARGET"));
    assert_eq!(invalid["diagnostics"][0]["location"], json!("/States/P/Next"));
}
