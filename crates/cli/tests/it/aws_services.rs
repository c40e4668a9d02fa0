//! Tasks that call AWS services, against moto's server (PyPI `moto[server]`, which `.ci/run` installs) on a free
//! 127.0.0.1 port: one state machine writes and reads DynamoDB, catches `DynamoDB.ConditionalCheckFailedException`,
//! sends to SQS and receives the message, publishes to SNS, puts and gets an S3 object through `aws-sdk:s3`, catches
//! `S3.NoSuchKeyException`, runs a Glue job with `.sync` and puts an event on EventBridge, under `baton run` and
//! `baton serve`; the same definition with some states mocked calls only the rest; `--offline` calls nothing; and a
//! `.sync` job in flight survives `kill -9` of `baton serve` without being submitted twice. A Task's
//! `Credentials.RoleArn` is assumed through moto's STS and shown in `TaskScheduled`.
//!
//! The other jobs: an Athena query and a CodeBuild build with `.sync`, and Athena's and CodeBuild's request-response
//! actions; an ECS `runTask.sync` whose task is stopped from outside (with boto3's `StopTask`) fails as AWS reports
//! it, with the task as the cause; and `StopExecution` during an ECS `.sync` stops the task. Not run here: Batch
//! (moto runs a Batch job's container with Docker, after a compute environment and a queue come up; the job's
//! `DescribeJobs`/`TerminateJob` handling is covered by unit tests).
//!
//! The later optimized integrations: SageMaker, EMR, EMR Serverless and EMR on EKS on moto; `apigateway:invoke`,
//! Bedrock `invokeModel`, and DataBrew and MediaConvert jobs against small in-test stand-ins (`fake_http`), which
//! check the requests Baton sends as well as the results and failures it makes of the answers.
//!
//! Distributed Maps' ItemReaders over moto's S3 and over a local folder mapped as the bucket: one object per input
//! type, a listing (of metadata, or of the objects' content), an S3 Inventory report and Athena manifests with
//! gzip-compressed files.
//!
//! Skipped, with a note, where `moto_server` is not installed (and the ECS tests where Python has no boto3).

use std::path::Path;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sfn::types::StateMachineType;
use serde_json::{Value, json};

use crate::serve::{Server, create, data_dir, finished, history, start, types};

/// A moto server, killed when dropped.
pub(crate) struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    /// Starts `moto_server` on a free port, or `None` (with a note) where it is not installed.
    pub(crate) fn start() -> Option<Moto> {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            eprintln!("note: moto_server is not installed (pip install 'moto[server]'); the AWS service tests are skipped");
            return None;
        };
        let moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(&format!("{}/moto-api/", moto.url)).call().is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    /// The environment that sends Baton's AWS calls to this server.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
        ]
    }

    /// Makes Glue job runs advance one state every `times` GetJobRun calls, instead of ending at once.
    fn slow_glue_runs(&self, times: u32) {
        self.slow("glue::job_run", times);
    }

    /// Makes moto's `model` (`glue::job_run`, `ecs::task`) advance one state every `times` describe calls.
    fn slow(&self, model: &str, times: u32) {
        let body = json!({"model_name": model, "transition": {"progression": "manual", "times": times}});
        ureq::post(&format!("{}/moto-api/state-manager/set-transition", self.url))
            .send(body.to_string())
            .unwrap_or_else(|e| panic!("set the {model} transition: {e}"));
    }

    /// `baton serve` over a fresh data directory (returned with it, kept as long as the server), calling this server.
    pub(crate) fn serve(&self, extra: &[&str]) -> (Server, tempfile::TempDir) {
        let dir = data_dir();
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        (Server::start_env(dir.path(), extra, &env), dir)
    }

    /// Runs a boto3 `script` (Python, its clients made with `client(name)`) against this server; what it prints is
    /// JSON. `None` (with a note) where Python has no boto3.
    pub(crate) fn boto3(&self, script: &str) -> Option<Value> {
        let prelude = format!(
            "import boto3, json\n\
             def client(name):\n    return boto3.client(name, endpoint_url='{}', region_name='us-east-1', \
             aws_access_key_id='testing', aws_secret_access_key='testing')\n",
            self.url
        );
        let output = Command::new("python3").args(["-c", &format!("{prelude}{script}")]).output().expect("run python3");
        if String::from_utf8_lossy(&output.stderr).contains("No module named 'boto3'") {
            eprintln!("note: python3 has no boto3 (pip install boto3); this AWS service test is skipped");
            return None;
        }
        assert!(output.status.success(), "boto3: {}", String::from_utf8_lossy(&output.stderr));
        Some(serde_json::from_slice(&output.stdout).expect("the script prints JSON"))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The state machine of the acceptance list. `suffix` keeps the names of two runs on one moto apart.
fn definition(suffix: &str) -> Value {
    let table = format!("orders-{suffix}");
    let bucket = format!("baton-bucket-{suffix}");
    json!({
        "StartAt": "CreateTable",
        "States": {
            "CreateTable": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:createTable",
                "Parameters": {
                    "TableName": table, "BillingMode": "PAY_PER_REQUEST",
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]
                },
                "ResultSelector": {"status.$": "$.TableDescription.TableStatus"}, "ResultPath": "$.table", "Next": "PutItem"
            },
            "PutItem": {
                "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": table, "Item": {"id": {"S": "o1"}, "total": {"N": "42"}}},
                "Credentials": {"RoleArn.$": "States.Format('arn:aws:iam::123456789012:role/{}', 'writer')"},
                "ResultSelector": {"status.$": "$.SdkHttpMetadata.HttpStatusCode"}, "ResultPath": "$.put", "Next": "PutAgain"
            },
            "PutAgain": {
                "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": table, "Item": {"id": {"S": "o1"}}, "ConditionExpression": "attribute_not_exists(id)"},
                "Catch": [{"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": "$.conflict", "Next": "GetItem"}],
                "Next": "GetItem"
            },
            "GetItem": {
                "Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": table, "Key": {"id": {"S": "o1"}}},
                "ResultSelector": {"item.$": "$.Item"}, "ResultPath": "$.get", "Next": "CreateQueue"
            },
            "CreateQueue": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:createQueue",
                "Parameters": {"QueueName": format!("queue-{suffix}")}, "ResultPath": "$.queue", "Next": "Send"
            },
            "Send": {
                "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl.$": "$.queue.QueueUrl", "MessageBody": "order o1"},
                "ResultSelector": {"id.$": "$.MessageId"}, "ResultPath": "$.sent", "Next": "Receive"
            },
            "Receive": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:receiveMessage",
                "Parameters": {"QueueUrl.$": "$.queue.QueueUrl", "MaxNumberOfMessages": 1},
                "ResultSelector": {"body.$": "$.Messages[0].Body", "id.$": "$.Messages[0].MessageId"}, "ResultPath": "$.received", "Next": "CreateTopic"
            },
            "CreateTopic": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sns:createTopic",
                "Parameters": {"Name": format!("topic-{suffix}")}, "ResultPath": "$.topic", "Next": "Publish"
            },
            "Publish": {
                "Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                "Parameters": {"TopicArn.$": "$.topic.TopicArn", "Message": "order o1 placed"},
                "ResultSelector": {"published.$": "States.ArrayLength(States.Array($.MessageId))"}, "ResultPath": "$.publish", "Next": "CreateBucket"
            },
            "CreateBucket": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:createBucket",
                "Parameters": {"Bucket": bucket}, "ResultPath": null, "Next": "PutObject"
            },
            "PutObject": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Parameters": {"Bucket": bucket, "Key": "orders/o1.json", "Body": "{\"total\": 42}", "ContentType": "application/json"},
                "ResultPath": null, "Next": "GetObject"
            },
            "GetObject": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                "Parameters": {"Bucket": bucket, "Key": "orders/o1.json"},
                "ResultSelector": {"body.$": "States.StringToJson($.Body)", "type.$": "$.ContentType"}, "ResultPath": "$.object", "Next": "GetMissing"
            },
            "GetMissing": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                "Parameters": {"Bucket": bucket, "Key": "orders/none.json"},
                "Catch": [{"ErrorEquals": ["S3.NoSuchKeyException"], "ResultPath": "$.missing", "Next": "CreateJob"}],
                "Next": "CreateJob"
            },
            "CreateJob": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:createJob",
                "Parameters": {"Name": format!("etl-{suffix}"), "Role": "arn:aws:iam::123456789012:role/glue", "Command": {"Name": "glueetl", "ScriptLocation": "s3://scripts/etl.py"}},
                "ResultPath": null, "Next": "RunJob"
            },
            "RunJob": {
                "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
                "Parameters": {"JobName": format!("etl-{suffix}")},
                "ResultSelector": {"state.$": "$.JobRunState", "job.$": "$.JobName"}, "ResultPath": "$.job", "Next": "PutEvent"
            },
            "PutEvent": {
                "Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
                "Parameters": {"Entries": [{"Source": "baton.orders", "DetailType": "OrderPlaced", "Detail": {"id": "o1"}}]},
                "ResultSelector": {"failed.$": "$.FailedEntryCount"}, "ResultPath": "$.event", "End": true
            }
        }
    })
}

/// Checks the output of `definition(suffix)`.
#[track_caller]
fn check_output(output: &Value, suffix: &str) {
    assert_eq!(output["table"], json!({"status": "ACTIVE"}), "{output:#}");
    assert_eq!(output["put"], json!({"status": 200}));
    assert_eq!(output["conflict"]["Error"], json!("DynamoDB.ConditionalCheckFailedException"));
    let cause = output["conflict"]["Cause"].as_str().unwrap_or_default();
    assert!(cause.contains("(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException"), "{cause}");
    assert_eq!(output["get"]["item"], json!({"id": {"S": "o1"}, "total": {"N": "42"}}));
    assert_eq!(output["received"]["body"], json!("order o1"));
    assert_eq!(output["received"]["id"], output["sent"]["id"], "the message sent arrived");
    assert_eq!(output["publish"], json!({"published": 1}));
    assert_eq!(output["object"], json!({"body": {"total": 42}, "type": "application/json"}));
    assert_eq!(output["missing"]["Error"], json!("S3.NoSuchKeyException"));
    let cause = output["missing"]["Cause"].as_str().unwrap_or_default();
    assert!(cause.starts_with("The specified key does not exist. (Service: S3, Status Code: 404, Request ID: "), "{cause}");
    assert_eq!(output["job"], json!({"state": "SUCCEEDED", "job": format!("etl-{suffix}")}));
    assert_eq!(output["event"], json!({"failed": 0}));
}

/// `baton run` with `args`, under moto's environment: (exit code, stdout, stderr).
fn run(moto: &Moto, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("run")
        .args(args)
        .envs(moto.env())
        .output()
        .expect("run baton");
    (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn write(dir: &tempfile::TempDir, name: &str, value: &Value) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, value.to_string()).expect("write a file");
    path.display().to_string()
}

#[test]
fn baton_run_calls_services_on_moto_mixes_mocks_and_goes_offline() {
    let Some(moto) = Moto::start() else { return };
    let dir = data_dir();
    let file = write(&dir, "orders.json", &definition("run"));
    let (code, stdout, stderr) = run(&moto, &[&file]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    check_output(&output, "run");

    // Mocked states are answered by the mock file and call nothing: Publish names a topic that does not exist, and
    // CreateTable a table that does (either would fail if called).
    let mocks = json!({
        "StateMachines": {"orders": {"TestCases": {"Mixed": {"CreateTable": "Table", "Publish": "Published"}}}},
        "MockedResponses": {
            "Table": {"0": {"Return": {"TableDescription": {"TableStatus": "ACTIVE"}}}},
            "Published": {"0": {"Return": {"MessageId": "mocked"}}}
        }
    });
    let mut mixed = definition("run");
    mixed["States"]["Publish"]["Parameters"]["TopicArn.$"] = json!("States.Format('{}-gone', $.topic.TopicArn)");
    mixed["States"]["CreateJob"]["Parameters"]["Name"] = json!("etl-mixed");
    mixed["States"]["RunJob"]["Parameters"]["JobName"] = json!("etl-mixed");
    let file = write(&dir, "orders-mixed.json", &mixed);
    let mock_file = write(&dir, "mocks.json", &mocks);
    let (code, stdout, stderr) = run(&moto, &[&file, "--name", "orders", "--mock-config", &mock_file, "--test-case", "Mixed"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert_eq!(output["publish"], json!({"published": 1}));
    assert_eq!(output["get"]["item"]["id"], json!({"S": "o1"}));

    // Offline, the first state that would call AWS fails, naming itself and its resource; mocked states still run.
    let (code, stdout, stderr) = run(&moto, &[&file, "--name", "orders", "--mock-config", &mock_file, "--test-case", "Mixed", "--offline"]);
    assert_ne!(code, Some(0), "{stdout}\n{stderr}");
    let shown = format!("{stdout}{stderr}");
    assert!(shown.contains("error: States.TaskFailed"), "{shown}");
    assert!(shown.contains("state 'PutItem' would call arn:aws:states:::dynamodb:putItem"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baton_serve_calls_services_and_records_the_sync_job() {
    let Some(moto) = Moto::start() else { return };
    let (server, _dir) = moto.serve(&[]);
    let client = server.client();
    let machine = create(&client, "orders", &definition("serve"), StateMachineType::Standard).await;
    let arn = start(&client, &machine, "first", &json!({})).await;
    let described = finished(&client, &arn, Duration::from_secs(60)).await;
    let output: Value = serde_json::from_str(described.output().unwrap_or("null")).expect("the output is JSON");
    assert_eq!(described.status.as_str(), "SUCCEEDED", "{:?}", described.cause());
    check_output(&output, "serve");
    let events = history(&client, &arn, 1000).await;
    let kinds = types(&arn, &events);
    // The .sync task submitted its job, then succeeded with the job's description.
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    assert!(kinds.windows(4).any(|w| w == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]), "{kinds:?}");
    let submitted = events.iter().find_map(|e| e.task_submitted_event_details()).expect("a TaskSubmitted event");
    assert_eq!((submitted.resource_type(), submitted.resource()), ("glue", "startJobRun.sync"));
    assert!(submitted.output().unwrap_or_default().contains("JobRunId"), "{submitted:?}");
    let scheduled = events.iter().filter_map(|e| e.task_scheduled_event_details()).find(|d| d.resource_type() == "aws-sdk:s3");
    assert!(scheduled.is_some(), "TaskScheduled names the AWS SDK resource type");
    // PutItem ran as the role its Credentials name, assumed through (moto's) STS.
    let put = events.iter().filter_map(|e| e.task_scheduled_event_details()).find(|d| d.resource() == "putItem").expect("PutItem scheduled");
    let role = put.task_credentials().and_then(|c| c.role_arn());
    assert_eq!(role, Some("arn:aws:iam::123456789012:role/writer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_job_in_flight_survives_kill_9_and_is_not_submitted_twice() {
    let Some(moto) = Moto::start() else { return };
    let dir = data_dir();
    let env = moto.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let definition = json!({
        "StartAt": "CreateJob",
        "States": {
            "CreateJob": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:createJob",
                "Parameters": {"Name": "nightly", "Role": "arn:aws:iam::123456789012:role/glue", "Command": {"Name": "glueetl", "ScriptLocation": "s3://scripts/etl.py"}},
                "ResultPath": null, "Next": "RunJob"
            },
            "RunJob": {
                "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
                "Parameters": {"JobName": "nightly"}, "ResultSelector": {"state.$": "$.JobRunState", "id.$": "$.Id"}, "Next": "Runs"
            },
            "Runs": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:getJobRuns",
                "Parameters": {"JobName": "nightly"}, "ResultSelector": {"count.$": "States.ArrayLength($.JobRuns)"}, "ResultPath": "$.runs", "End": true
            }
        }
    });
    // Each run stays STARTING, then RUNNING, for two polls each: long enough to kill Baton in between.
    moto.slow_glue_runs(2);
    let mut server = Server::start_env(dir.path(), &[], &env);
    let client = server.client();
    let machine = create(&client, "nightly", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "tonight", &json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let kinds = types(&arn, &history(&client, &arn, 1000).await);
        if kinds.iter().any(|t| t == "TaskSubmitted") {
            break;
        }
        assert!(Instant::now() < deadline, "the job was never submitted: {kinds:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let server = Server::start_env(dir.path(), &[], &env);
    assert_eq!(server.resumed, 1, "the execution is resumed");
    let client = server.client();
    let described = finished(&client, &arn, Duration::from_secs(60)).await;
    assert_eq!(described.status.as_str(), "SUCCEEDED", "{:?}", described.cause());
    let output: Value = serde_json::from_str(described.output().unwrap_or("null")).expect("the output is JSON");
    assert_eq!(output["state"], json!("SUCCEEDED"));
    assert_eq!(output["runs"], json!({"count": 1}), "the job was submitted once");
    let kinds = types(&arn, &history(&client, &arn, 1000).await);
    assert_eq!(kinds.iter().filter(|t| *t == "TaskSubmitted").count(), 1, "{kinds:?}");
}

/// A stand-in for AWS Lambda's Invoke API on a free port: `echo` returns `{"echo": <payload>}`, `fails` answers a
/// function error. Serves `calls` requests, then stops.
fn fake_lambda(calls: usize) -> String {
    let (url, _received) = fake_http(calls, |request| {
        let headers = "Content-Type: application/json\r\nX-Amz-Executed-Version: $LATEST\r\nx-amzn-RequestId: req-1\r\n";
        if request.line.contains("/functions/fails/") {
            ("200 OK", "Content-Type: application/json\r\nX-Amz-Function-Error: Unhandled\r\n", json!({"errorType": "ValueError", "errorMessage": "bad order"}).to_string())
        } else {
            let payload: Value = serde_json::from_str(&request.body).unwrap_or(Value::Null);
            ("200 OK", headers, json!({"echo": payload}).to_string())
        }
    });
    url
}

#[test]
fn lambda_tasks_without_a_local_function_call_aws_lambda() {
    let url = fake_lambda(3);
    let dir = data_dir();
    let definition = json!({
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "echo", "Payload": {"order.$": "$.order"}},
                "ResultSelector": {"payload.$": "$.Payload", "status.$": "$.StatusCode", "http.$": "$.SdkHttpMetadata.HttpStatusCode"},
                "ResultPath": "$.invoked", "Next": "Direct"
            },
            "Direct": {
                "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo",
                "Parameters": {"n": 1}, "ResultPath": "$.direct", "Next": "Fails"
            },
            "Fails": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "fails"},
                "Catch": [{"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Done"}], "End": true
            },
            "Done": {"Type": "Succeed"}
        }
    });
    let file = write(&dir, "lambda.json", &definition);
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", &file, "--input", "{\"order\": \"o1\"}"])
        .envs([
            ("AWS_ENDPOINT_URL_LAMBDA", url.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ])
        .output()
        .expect("run baton");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert_eq!(output["invoked"], json!({"payload": {"echo": {"order": "o1"}}, "status": 200, "http": 200}));
    assert_eq!(output["direct"], json!({"echo": {"n": 1}}));
    assert_eq!(output["error"]["Error"], json!("ValueError"));
    let cause: Value = serde_json::from_str(output["error"]["Cause"].as_str().unwrap_or_default()).expect("a JSON cause");
    assert_eq!(cause["errorMessage"], json!("bad order"));
}

/// Athena and CodeBuild jobs with `.sync` under `baton run`, beside their request-response actions: the results have
/// the shapes the guide shows (`{"QueryExecution": …}`, `{"Build": …}`).
#[test]
fn athena_and_codebuild_jobs_run_to_their_end() {
    let Some(moto) = Moto::start() else { return };
    let dir = data_dir();
    let definition = json!({
        "StartAt": "Query",
        "States": {
            "Query": {
                "Type": "Task", "Resource": "arn:aws:states:::athena:startQueryExecution.sync",
                "Parameters": {"QueryString": "SELECT 1", "WorkGroup": "primary", "ResultConfiguration": {"OutputLocation": "s3://results/"}},
                "ResultSelector": {"state.$": "$.QueryExecution.Status.State", "id.$": "$.QueryExecution.QueryExecutionId", "query.$": "$.QueryExecution.Query"},
                "ResultPath": "$.query", "Next": "GetQuery"
            },
            "GetQuery": {
                "Type": "Task", "Resource": "arn:aws:states:::athena:getQueryExecution",
                "Parameters": {"QueryExecutionId.$": "$.query.id"},
                "ResultSelector": {"state.$": "$.QueryExecution.Status.State", "keys.$": "States.ArrayLength(States.Array($.QueryExecution))"},
                "ResultPath": "$.got", "Next": "Results"
            },
            "Results": {
                "Type": "Task", "Resource": "arn:aws:states:::athena:getQueryResults",
                "Parameters": {"QueryExecutionId.$": "$.query.id"},
                "ResultSelector": {"rows.$": "States.ArrayLength($.ResultSet.Rows)"}, "ResultPath": "$.results", "Next": "CreateProject"
            },
            "CreateProject": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:codebuild:createProject",
                "Parameters": {
                    "Name": "app", "Source": {"Type": "S3", "Location": "sources/app.zip"}, "Artifacts": {"Type": "NO_ARTIFACTS"},
                    "Environment": {"Type": "LINUX_CONTAINER", "Image": "aws/codebuild/standard:7.0", "ComputeType": "BUILD_GENERAL1_SMALL"},
                    "ServiceRole": "arn:aws:iam::123456789012:role/codebuild"
                },
                "ResultPath": null, "Next": "Build"
            },
            "Build": {
                "Type": "Task", "Resource": "arn:aws:states:::codebuild:startBuild.sync",
                "Parameters": {"ProjectName": "app"},
                "ResultSelector": {"status.$": "$.Build.BuildStatus", "project.$": "$.Build.ProjectName", "id.$": "$.Build.Id"},
                "ResultPath": "$.build", "Next": "StopBuild"
            },
            "StopBuild": {
                "Type": "Task", "Resource": "arn:aws:states:::codebuild:stopBuild",
                "Parameters": {"Id.$": "$.build.id"}, "ResultSelector": {"status.$": "$.Build.BuildStatus"}, "ResultPath": "$.stopped", "End": true
            }
        }
    });
    let file = write(&dir, "jobs.json", &definition);
    let (code, stdout, stderr) = run(&moto, &[&file]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert_eq!(output["query"]["state"], json!("SUCCEEDED"), "{output:#}");
    assert_eq!(output["query"]["query"], json!("SELECT 1"));
    assert_eq!(output["got"], json!({"state": "SUCCEEDED", "keys": 1}), "no SdkHttpMetadata beside QueryExecution");
    assert_eq!(output["results"], json!({"rows": 0}));
    assert_eq!(output["build"]["status"], json!("SUCCEEDED"));
    assert_eq!(output["build"]["project"], json!("app"));
    assert_eq!(output["stopped"], json!({"status": "STOPPED"}));
}

/// An ECS cluster and Fargate task definition, then `runTask.sync` on it in the default VPC: the state machine of the
/// ECS tests.
fn ecs_definition(cluster: &str) -> Value {
    json!({
        "StartAt": "CreateCluster",
        "States": {
            "CreateCluster": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ecs:createCluster",
                "Parameters": {"ClusterName": cluster}, "ResultPath": null, "Next": "Register"
            },
            "Register": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ecs:registerTaskDefinition",
                "Parameters": {
                    "Family": "report", "RequiresCompatibilities": ["FARGATE"], "NetworkMode": "awsvpc", "Cpu": "256", "Memory": "512",
                    "ContainerDefinitions": [{"Name": "report", "Image": "busybox", "Essential": true, "Memory": 128, "Command": ["sleep", "600"]}]
                },
                "ResultPath": null, "Next": "Subnet"
            },
            "Subnet": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ec2:describeSubnets", "Parameters": {},
                "ResultSelector": {"id.$": "$.Subnets[0].SubnetId"}, "ResultPath": "$.subnet", "Next": "SecurityGroup"
            },
            "SecurityGroup": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ec2:describeSecurityGroups", "Parameters": {},
                "ResultSelector": {"id.$": "$.SecurityGroups[0].GroupId"}, "ResultPath": "$.group", "Next": "Run"
            },
            "Run": {
                "Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                "Parameters": {
                    "Cluster": cluster, "TaskDefinition": "report", "LaunchType": "FARGATE",
                    "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets.$": "States.Array($.subnet.id)", "SecurityGroups.$": "States.Array($.group.id)"}}
                },
                "End": true
            }
        }
    })
}

/// Waits for the execution's `TaskSubmitted` event; returns its output (the `RunTask` answer).
async fn submitted(client: &aws_sdk_sfn::Client, arn: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let events = history(client, arn, 1000).await;
        if let Some(details) = events.iter().find_map(|e| e.task_submitted_event_details()) {
            return serde_json::from_str(details.output().unwrap_or("null")).expect("the output is JSON");
        }
        assert!(Instant::now() < deadline, "the task was never submitted: {:?}", types(arn, &events));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A `runTask.sync` execution (`name`) in cluster `cluster` on `baton serve` over moto, its task kept RUNNING until it
/// is stopped, once its task is submitted; `None` where moto or boto3 is missing.
struct EcsRun {
    moto: Moto,
    _server: Server,
    _dir: tempfile::TempDir,
    client: aws_sdk_sfn::Client,
    arn: String,
    /// The `TaskSubmitted` output: `runTask`'s answer.
    started: Value,
}

async fn ecs_run(cluster: &str, name: &str) -> Option<EcsRun> {
    let moto = Moto::start()?;
    moto.boto3("print(json.dumps(1))")?;
    moto.slow("ecs::task", 1_000_000);
    let (server, dir) = moto.serve(&[]);
    let client = server.client();
    let machine = create(&client, "report", &ecs_definition(cluster), StateMachineType::Standard).await;
    let arn = start(&client, &machine, name, &json!({})).await;
    let started = submitted(&client, &arn).await;
    Some(EcsRun { moto, _server: server, _dir: dir, client, arn, started })
}

/// A task stopped from outside (ECS `StopTask`) while `runTask.sync` watches it: its execution fails with
/// `States.TaskFailed` and the stopped task as the cause, as AWS reports a task whose essential container did not
/// exit 0 (here moto's container never ran: it stays `PENDING`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ecs_task_stopped_from_outside_fails_its_sync_task() {
    let Some(EcsRun { moto, _server, _dir, client, arn, started }) = ecs_run("jobs", "outside").await else { return };
    assert!(started["SdkHttpMetadata"]["HttpStatusCode"] == json!(200), "ECS results carry SdkHttpMetadata: {started:#}");
    let task = started["Tasks"][0]["TaskArn"].as_str().expect("a task ARN").to_owned();
    let stopped = moto.boto3(&format!(
        "t = client('ecs').stop_task(cluster='jobs', task='{task}', reason='stopped by the test')['task']\n\
         print(json.dumps(t['lastStatus']))"
    ));
    assert_eq!(stopped, Some(json!("STOPPED")));
    let described = finished(&client, &arn, Duration::from_secs(60)).await;
    assert_eq!(described.status.as_str(), "FAILED");
    assert_eq!(described.error(), Some("States.TaskFailed"));
    let cause: Value = serde_json::from_str(described.cause().unwrap_or("null")).expect("the cause is the task as JSON");
    assert_eq!(cause["TaskArn"], json!(task));
    assert_eq!(cause["LastStatus"], json!("STOPPED"));
    assert_eq!(cause["StoppedReason"], json!("stopped by the test"));
    let kinds = types(&arn, &history(&client, &arn, 1000).await);
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    assert!(kinds.windows(2).any(|w| w == ["TaskSubmitted", "TaskFailed"]), "{kinds:?}");
}

/// `StopExecution` while `runTask.sync` watches a task stops the task (`StopTask`, with Baton's reason).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_an_execution_stops_its_ecs_task() {
    let Some(EcsRun { moto, _server, _dir, client, arn, started }) = ecs_run("nightly", "stopped").await else { return };
    let task = started["Tasks"][0]["TaskArn"].as_str().expect("a task ARN").to_owned();
    client.stop_execution().execution_arn(&arn).send().await.expect("stop_execution");
    assert_eq!(finished(&client, &arn, Duration::from_secs(30)).await.status.as_str(), "ABORTED");
    let deadline = Instant::now() + Duration::from_secs(30);
    let task = loop {
        let described = moto
            .boto3(&format!(
                "t = client('ecs').describe_tasks(cluster='nightly', tasks=['{task}'])['tasks'][0]\n\
                 print(json.dumps({{'status': t['lastStatus'], 'reason': t.get('stoppedReason')}}))"
            ))
            .expect("boto3");
        if described["status"] == json!("STOPPED") {
            break described;
        }
        assert!(Instant::now() < deadline, "the task was not stopped: {described}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let reason = task["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("Stopped by Baton"), "{task}");
}

/// A child execution whose state machine lives on another server (its ARN names another region) is started there,
/// through `AWS_ENDPOINT_URL_SFN`, and `.sync:2` waits for it and returns it as a child here would be returned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_on_another_server_is_started_and_awaited_there() {
    let (far_dir, near_dir) = (data_dir(), data_dir());
    let far = Server::start_with(far_dir.path(), &["--region", "eu-west-1"]);
    let far_client = far.client();
    let child = json!({"StartAt": "Double", "States": {"Double": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "End": true}}});
    let child_arn = create(&far_client, "doubler", &child, StateMachineType::Standard).await;
    assert!(child_arn.contains(":eu-west-1:"), "{child_arn}");
    let endpoint = format!("http://{}", far.addr);
    let env = [
        ("AWS_ENDPOINT_URL_SFN", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ];
    let near = Server::start_env(near_dir.path(), &[], &env);
    let client = near.client();
    let parent = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                 "Parameters": {"StateMachineArn": child_arn, "Input": {"n.$": "$.n"}},
                 "ResultSelector": {"status.$": "$.Status", "output.$": "$.Output", "arn.$": "$.ExecutionArn"}, "End": true}
    }});
    let machine = create(&client, "caller", &parent, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "one", &json!({"n": 21})).await;
    let described = finished(&client, &arn, Duration::from_secs(60)).await;
    assert_eq!(described.status.as_str(), "SUCCEEDED", "{:?}", described.cause());
    let output: Value = serde_json::from_str(described.output().unwrap_or("null")).expect("JSON");
    assert_eq!(output["status"], json!("SUCCEEDED"));
    assert_eq!(output["output"], json!({"n": 42}));
    let child_execution = output["arn"].as_str().unwrap_or_default();
    let listed = far_client.describe_execution().execution_arn(child_execution).send().await.expect("the child is on the far server");
    assert_eq!(listed.status.as_str(), "SUCCEEDED");
}

/// The callback pattern on a real queue: `sqs:sendMessage.waitForTaskToken` sends the token in the message; a worker
/// (boto3 here) receives it and answers `SendTaskSuccess`, which ends the task with its output. Offline, `baton serve`
/// sends nothing and the task fails naming its state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_through_sqs_is_answered_by_its_worker() {
    let Some(moto) = Moto::start() else { return };
    let Some(queue) = moto.boto3("print(json.dumps(client('sqs').create_queue(QueueName='work')['QueueUrl']))") else { return };
    let queue = queue.as_str().expect("a queue URL").to_owned();
    let (server, _dir) = moto.serve(&[]);
    let client = server.client();
    let definition = json!({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
        "TimeoutSeconds": 60, "End": true
    }}});
    let machine = create(&client, "approval", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "o1", &json!({"order": "o1"})).await;
    let received = moto
        .boto3(&format!(
            "import time\nsqs = client('sqs')\nfor _ in range(100):\n    m = sqs.receive_message(QueueUrl={queue:?}).get('Messages')\n    \
             if m:\n        print(m[0]['Body'])\n        break\n    time.sleep(0.1)\nelse:\n    print('null')"
        ))
        .expect("boto3 ran before");
    assert_eq!(received["order"], json!("o1"), "{received}");
    let token = received["token"].as_str().expect("the token is in the message");
    client.send_task_success().task_token(token).output(r#"{"approved": true}"#).send().await.expect("SendTaskSuccess");
    let described = finished(&client, &arn, Duration::from_secs(30)).await;
    assert_eq!(described.status.as_str(), "SUCCEEDED", "{:?}", described.cause());
    assert_eq!(described.output(), Some(r#"{"approved":true}"#));
    let kinds = types(&arn, &history(&client, &arn, 1000).await);
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    assert!(kinds.windows(4).any(|w| w == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]), "{kinds:?}");
    drop(server);

    let (offline, _offline_dir) = moto.serve(&["--offline"]);
    let client = offline.client();
    let machine = create(&client, "approval", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "o2", &json!({"order": "o2"})).await;
    let described = finished(&client, &arn, Duration::from_secs(30)).await;
    assert_eq!(described.status.as_str(), "FAILED");
    assert_eq!(described.error(), Some("States.TaskFailed"));
    assert!(described.cause().unwrap_or_default().contains("state 'Ask' would call arn:aws:states:::sqs:sendMessage.waitForTaskToken"));
}

/// A request a stand-in server received: its request line, headers (names lower-cased) and body.
#[derive(Debug)]
struct Received {
    line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A stand-in HTTP server on a free port: each of `calls` requests is answered by `answer` (status line, extra header
/// lines, body) and sent on the channel. Returns its base URL.
fn fake_http(calls: usize, answer: fn(&Received) -> (&'static str, &'static str, String)) -> (String, std::sync::mpsc::Receiver<Received>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(calls) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("a stream"));
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let mut headers = Vec::new();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
                }
            }
            let length = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let received = Received { line: line.trim_end().to_owned(), headers, body: String::from_utf8_lossy(&body).into_owned() };
            let (status, extra, body) = answer(&received);
            let response = format!("HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            let _ = stream.write_all(response.as_bytes());
            let _ = sender.send(received);
        }
    });
    (url, receiver)
}

/// `apigateway:invoke` against a stand-in API: a signed POST (`IAM_ROLE`) with its stage, path, query, headers and a
/// JSON body without its nulls gives `{ResponseBody, StatusCode, StatusText, Headers}`; an unsigned GET (`NO_AUTH`)
/// answered 404 fails with `ApiGateway.404` and the body as cause.
#[test]
fn api_gateway_invoke_calls_the_api_and_names_failures_by_status() {
    let (url, received) = fake_http(2, |request| {
        if request.line.starts_with("POST ") {
            ("201 Created", "Content-Type: application/json\r\nx-amzn-RequestId: api-1\r\n", json!({"id": "o1", "got": request.body}).to_string())
        } else {
            ("404 Not Found", "Content-Type: application/json\r\n", "{\"message\":\"Not Found\"}".to_owned())
        }
    });
    let dir = data_dir();
    let definition = json!({
        "StartAt": "Create",
        "States": {
            "Create": {
                "Type": "Task", "Resource": "arn:aws:states:::apigateway:invoke",
                "Parameters": {
                    "ApiEndpoint": url, "Method": "POST", "Stage": "prod", "Path": "/orders",
                    "QueryParameters": {"q": ["a b"]}, "Headers": {"X-Order": ["o1"]},
                    "RequestBody": {"total": 42, "note": null}, "AuthType": "IAM_ROLE"
                },
                "ResultSelector": {"body.$": "$.ResponseBody", "status.$": "$.StatusCode", "text.$": "$.StatusText", "type.$": "$.Headers.Content-Type"},
                "ResultPath": "$.created", "Next": "Missing"
            },
            "Missing": {
                "Type": "Task", "Resource": "arn:aws:states:::apigateway:invoke",
                "Parameters": {"ApiEndpoint": url, "Method": "GET", "Stage": "prod", "Path": "missing"},
                "Catch": [{"ErrorEquals": ["ApiGateway.404"], "ResultPath": "$.missing", "Next": "Done"}], "End": true
            },
            "Done": {"Type": "Succeed"}
        }
    });
    let file = write(&dir, "api.json", &definition);
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", &file])
        .envs([
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ])
        .output()
        .expect("run baton");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert_eq!(
        output["created"],
        json!({"body": {"id": "o1", "got": "{\"total\":42}"}, "status": 201, "text": "Created", "type": ["application/json"]})
    );
    assert_eq!(output["missing"], json!({"Error": "ApiGateway.404", "Cause": "{\"message\":\"Not Found\"}"}));

    let post = received.recv_timeout(Duration::from_secs(5)).expect("the POST");
    assert_eq!(post.line, "POST /prod/orders?q=a%20b HTTP/1.1");
    assert_eq!(post.header("x-order"), Some("o1"));
    assert_eq!(post.header("content-type"), Some("application/json"));
    let authorization = post.header("authorization").unwrap_or_default();
    assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=testing/"), "{authorization}");
    assert!(authorization.contains("/eu-west-1/execute-api/aws4_request"), "signed for execute-api in the region: {authorization}");
    let get = received.recv_timeout(Duration::from_secs(5)).expect("the GET");
    assert_eq!(get.line, "GET /prod/missing HTTP/1.1");
    assert_eq!((get.header("authorization"), get.body.as_str()), (None, ""), "NO_AUTH is unsigned, a GET has no body");
}

/// `bedrock:invokeModel` against a stand-in Bedrock Runtime: the model's input is sent as JSON text, its answer is
/// parsed into `Body`, and a `ValidationException` fails as `Bedrock.ValidationException` with the Java SDK's cause.
/// Then `bedrock:createModelCustomizationJob` against moto (whose jobs never end, so not `.sync`: its job is covered by
/// unit tests), and `invokeModel` with its `Input` and `Output` in moto's S3.
#[test]
fn bedrock_invokes_models_and_creates_customization_jobs() {
    let (url, received) = fake_http(2, |request| {
        if request.body.contains("bad") {
            ("400 Bad Request", "Content-Type: application/json\r\nx-amzn-ErrorType: ValidationException\r\nx-amzn-RequestId: br-2\r\n", "{\"message\":\"bad input\"}".to_owned())
        } else {
            ("200 OK", "Content-Type: application/json\r\nx-amzn-RequestId: br-1\r\n", "{\"completion\":\" hello\",\"stop_reason\":\"stop_sequence\"}".to_owned())
        }
    });
    let dir = data_dir();
    let invoke = |prompt: &str| json!({
        "Type": "Task", "Resource": "arn:aws:states:::bedrock:invokeModel",
        "Parameters": {"ModelId": "anthropic.claude-v2", "Body": {"prompt": prompt, "max_tokens_to_sample": 100}}
    });
    let mut good = invoke("Human: hi\n\nAssistant:");
    good["ResultSelector"] = json!({"completion.$": "$.Body.completion", "type.$": "$.ContentType"});
    good["ResultPath"] = json!("$.invoked");
    good["Next"] = json!("Bad");
    let mut bad = invoke("bad");
    bad["Catch"] = json!([{"ErrorEquals": ["Bedrock.ValidationException"], "ResultPath": "$.error", "Next": "Done"}]);
    bad["End"] = json!(true);
    let definition = json!({"StartAt": "Invoke", "States": {"Invoke": good, "Bad": bad, "Done": {"Type": "Succeed"}}});
    let file = write(&dir, "bedrock.json", &definition);
    let env = [
        ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ];
    let output = Command::new(env!("CARGO_BIN_EXE_baton")).args(["run", &file]).envs(env).output().expect("run baton");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert_eq!(output["invoked"], json!({"completion": " hello", "type": "application/json"}));
    assert_eq!(output["error"]["Error"], json!("Bedrock.ValidationException"));
    let cause = output["error"]["Cause"].as_str().unwrap_or_default();
    assert!(cause.starts_with("bad input (Service: AmazonBedrockRuntime; Status Code: 400; Error Code: ValidationException; Request ID: br-2"), "{cause}");
    let request = received.recv_timeout(Duration::from_secs(5)).expect("the InvokeModel request");
    assert_eq!(request.line, "POST /model/anthropic.claude-v2/invoke HTTP/1.1");
    assert_eq!((request.header("content-type"), request.header("accept")), (Some("application/json"), Some("application/json")));
    let body: Value = serde_json::from_str(&request.body).expect("a JSON body");
    assert_eq!(body, json!({"prompt": "Human: hi\n\nAssistant:", "max_tokens_to_sample": 100}));

    let Some(moto) = Moto::start() else { return };
    let definition = json!({
        "StartAt": "Customize",
        "States": {
            "Customize": {
                "Type": "Task", "Resource": "arn:aws:states:::bedrock:createModelCustomizationJob",
                "Parameters": {
                    "BaseModelIdentifier": "amazon.titan-text-express-v1", "CustomModelName": "custom", "JobName": "tune",
                    "HyperParameters": {"epochCount": "1"}, "RoleArn": "arn:aws:iam::123456789012:role/bedrock",
                    "OutputDataConfig": {"S3Uri": "s3://bucket/out/"}, "TrainingDataConfig": {"S3Uri": "s3://bucket/train.jsonl"}
                },
                "ResultPath": "$.created", "Next": "Get"
            },
            "Get": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:bedrock:getModelCustomizationJob",
                "Parameters": {"JobIdentifier.$": "$.created.JobArn"}, "ResultSelector": {"status.$": "$.Status", "name.$": "$.JobName"}, "End": true
            }
        }
    });
    let file = write(&dir, "customize.json", &definition);
    let (code, stdout, stderr) = run(&moto, &[&file]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert_eq!(output, json!({"status": "InProgress", "name": "tune"}));

    // `Input` and `Output` in S3 (moto's), the model on the stand-in.
    let (url, received) = fake_http(1, |request| {
        ("200 OK", "Content-Type: application/json\r\n", json!({"completion": "from s3", "asked": request.body}).to_string())
    });
    let definition = json!({
        "StartAt": "Bucket",
        "States": {
            "Bucket": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:createBucket", "Parameters": {"Bucket": "prompts"}, "ResultPath": null, "Next": "Prompt"},
            "Prompt": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Parameters": {"Bucket": "prompts", "Key": "in.json", "Body": "{\"prompt\":\"hi\"}"}, "ResultPath": null, "Next": "Invoke"
            },
            "Invoke": {
                "Type": "Task", "Resource": "arn:aws:states:::bedrock:invokeModel",
                "Parameters": {"ModelId": "m", "Input": {"S3Uri": "s3://prompts/in.json"}, "Output": {"S3Uri": "s3://prompts/out.json"}},
                "ResultPath": "$.invoked", "Next": "Answer"
            },
            "Answer": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "Parameters": {"Bucket": "prompts", "Key": "out.json"},
                "ResultSelector": {"body.$": "States.StringToJson($.Body)"}, "ResultPath": "$.answer", "End": true
            }
        }
    });
    let file = write(&dir, "s3-model.json", &definition);
    let mut env = moto.env();
    env.push(("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url));
    let output = Command::new(env!("CARGO_BIN_EXE_baton")).args(["run", &file]).envs(env).output().expect("run baton");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert_eq!(output["invoked"]["Body"], json!({"S3Uri": "s3://prompts/out.json"}), "the result refers to the answer: {output:#}");
    assert_eq!(output["answer"]["body"], json!({"completion": "from s3", "asked": "{\"prompt\":\"hi\"}"}), "the answer was written to S3");
    let request = received.recv_timeout(Duration::from_secs(5)).expect("the InvokeModel request");
    assert_eq!(request.body, "{\"prompt\":\"hi\"}", "the input came from S3");
}

/// SageMaker, EMR, EMR Serverless and EMR on EKS on moto, under `baton run`: a SageMaker model, endpoint config and
/// endpoint, and a training job with `.sync`; an EMR cluster created with `.sync` (the result has its `ClusterId`),
/// an instance group resized by name, a step added, termination protection set, and the cluster
/// terminated with `.sync`; an EMR Serverless application created, a job run, the application stopped and deleted,
/// each with `.sync`; an EMR on EKS virtual cluster created and deleted with `.sync`. Not here: DataBrew job runs and
/// MediaConvert (moto has none), EMR `cancelStep` (moto has no `CancelSteps`) and the jobs moto never ends (EMR steps,
/// EMR on EKS job runs): unit tests.
#[test]
fn sagemaker_and_emr_jobs_run_on_moto() {
    let Some(moto) = Moto::start() else { return };
    let dir = data_dir();
    let role = "arn:aws:iam::123456789012:role/jobs";
    let task = |resource: &str, parameters: Value, selector: Value, path: &str, next: &str| {
        let mut state = json!({"Type": "Task", "Resource": format!("arn:aws:states:::{resource}"), "Parameters": parameters, "ResultPath": path});
        if !selector.is_null() {
            state["ResultSelector"] = selector;
        }
        if next.is_empty() {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(next);
        }
        state
    };
    let group = |name: &str, role: &str| json!({"Name": name, "InstanceRole": role, "InstanceType": "m5.xlarge", "InstanceCount": 1, "Market": "ON_DEMAND"});
    let definition = json!({
        "StartAt": "Model",
        "States": {
            "Model": task("sagemaker:createModel", json!({
                "ModelName": "m", "ExecutionRoleArn": role, "PrimaryContainer": {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}
            }), json!({"arn.$": "$.ModelArn"}), "$.model", "Config"),
            "Config": task("sagemaker:createEndpointConfig", json!({
                "EndpointConfigName": "c", "ProductionVariants": [{"VariantName": "v", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]
            }), Value::Null, "$.config", "Endpoint"),
            "Endpoint": task("sagemaker:createEndpoint", json!({"EndpointName": "e", "EndpointConfigName": "c"}), json!({"arn.$": "$.EndpointArn"}), "$.endpoint", "Train"),
            "Train": task("sagemaker:createTrainingJob.sync", json!({
                "TrainingJobName": "train", "RoleArn": role,
                "AlgorithmSpecification": {"TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/t:1", "TrainingInputMode": "File"},
                "OutputDataConfig": {"S3OutputPath": "s3://out/"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600}
            }), json!({"status.$": "$.TrainingJobStatus", "name.$": "$.TrainingJobName"}), "$.training", "Cluster"),
            "Cluster": task("elasticmapreduce:createCluster.sync", json!({
                "Name": "cluster", "ReleaseLabel": "emr-6.15.0", "ServiceRole": "emr", "JobFlowRole": "emr-ec2",
                "Instances": {"KeepJobFlowAliveWhenNoSteps": true, "InstanceGroups": [group("main", "MASTER"), group("workers", "CORE")]}
            }), Value::Null, "$.cluster", "Resize"),
            "Resize": task("elasticmapreduce:modifyInstanceGroupByName", json!({
                "ClusterId.$": "$.cluster.ClusterId", "InstanceGroupName": "workers", "InstanceGroup": {"InstanceCount": 3}
            }), Value::Null, "$.resized", "Groups"),
            "Groups": task("aws-sdk:emr:listInstanceGroups", json!({"ClusterId.$": "$.cluster.ClusterId"}),
                json!({"names.$": "$.InstanceGroups[*].Name", "counts.$": "$.InstanceGroups[*].RequestedInstanceCount"}), "$.groups", "AddStep"),
            "AddStep": task("elasticmapreduce:addStep", json!({
                "ClusterId.$": "$.cluster.ClusterId",
                "Step": {"Name": "step", "ActionOnFailure": "CONTINUE", "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["true"]}}
            }), Value::Null, "$.step", "Protect"),
            "Protect": task("elasticmapreduce:setClusterTerminationProtection", json!({"ClusterId.$": "$.cluster.ClusterId", "TerminationProtected": false}),
                Value::Null, "$.protect", "Terminate"),
            "Terminate": task("elasticmapreduce:terminateCluster.sync", json!({"ClusterId.$": "$.cluster.ClusterId"}),
                json!({"state.$": "$.Status.State"}), "$.terminated", "Application"),
            "Application": task("emr-serverless:createApplication.sync", json!({"Name": "app", "ReleaseLabel": "emr-6.15.0", "Type": "SPARK"}),
                json!({"id.$": "$.Application.ApplicationId", "state.$": "$.Application.State"}), "$.application", "Run"),
            "Run": task("emr-serverless:startJobRun.sync", json!({
                "ApplicationId.$": "$.application.id", "ExecutionRoleArn": role, "JobDriver": {"SparkSubmit": {"EntryPoint": "s3://b/app.py"}}
            }), json!({"state.$": "$.JobRun.State"}), "$.run", "StopApplication"),
            "StopApplication": task("emr-serverless:stopApplication.sync", json!({"ApplicationId.$": "$.application.id"}),
                json!({"state.$": "$.Application.State"}), "$.stopped", "DeleteApplication"),
            "DeleteApplication": task("emr-serverless:deleteApplication.sync", json!({"ApplicationId.$": "$.application.id"}),
                json!({"state.$": "$.Application.State"}), "$.deleted", "VirtualCluster"),
            "VirtualCluster": task("emr-containers:createVirtualCluster", json!({
                "Name": "vc", "ContainerProvider": {"Id": "eks", "Type": "EKS", "Info": {"EksInfo": {"Namespace": "spark"}}}
            }), json!({"id.$": "$.Id"}), "$.vc", "DeleteVirtualCluster"),
            "DeleteVirtualCluster": task("emr-containers:deleteVirtualCluster.sync", json!({"Id.$": "$.vc.id"}),
                json!({"state.$": "$.VirtualCluster.State"}), "$.vcDeleted", "")
        }
    });
    let file = write(&dir, "jobs.json", &definition);
    let (code, stdout, stderr) = run(&moto, &[&file]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert!(output["model"]["arn"].as_str().is_some_and(|arn| arn.ends_with(":model/m")), "{output:#}");
    assert!(output["endpoint"]["arn"].as_str().is_some_and(|arn| arn.ends_with(":endpoint/e")), "{output:#}");
    assert_eq!(output["training"], json!({"status": "Completed", "name": "train"}));
    let cluster = output["cluster"]["ClusterId"].as_str().unwrap_or_default();
    assert!(cluster.starts_with("j-") && output["cluster"]["ClusterArn"].is_string(), "createCluster.sync answers ClusterId: {output:#}");
    let groups = &output["groups"];
    let mut sizes: Vec<(&Value, &Value)> = groups["names"].as_array().into_iter().flatten().zip(groups["counts"].as_array().into_iter().flatten()).collect();
    sizes.sort_by_key(|(name, _)| name.as_str());
    assert_eq!(sizes, [(&json!("main"), &json!(1)), (&json!("workers"), &json!(3))], "the group named workers was resized");
    assert!(output["step"]["StepId"].as_str().is_some_and(|id| id.starts_with("s-")), "{output:#}");
    assert_eq!(output["terminated"], json!({"state": "TERMINATED"}));
    assert_eq!(output["run"], json!({"state": "SUCCESS"}));
    assert_eq!(output["stopped"], json!({"state": "STOPPED"}));
    assert_eq!(output["deleted"], json!({"state": "TERMINATED"}));
    assert_eq!(output["vcDeleted"], json!({"state": "TERMINATED"}));
}

/// DataBrew `startJobRun.sync` and MediaConvert `createJob.sync` against a stand-in speaking both services' REST
/// APIs (moto has neither): each job is described once running, then once ended, and the result is its description.
#[test]
fn databrew_and_mediaconvert_jobs_are_watched_on_a_stand_in() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static DESCRIBED: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let (url, received) = fake_http(6, |request| {
        let json = "Content-Type: application/json\r\n";
        let answer = if request.line.starts_with("POST /jobs/clean/startJobRun ") {
            json!({"RunId": "db_1"})
        } else if request.line.starts_with("GET /jobs/clean/jobRun/db_1 ") {
            let state = if DESCRIBED[0].fetch_add(1, Ordering::SeqCst) == 0 { "RUNNING" } else { "SUCCEEDED" };
            json!({"JobName": "clean", "RunId": "db_1", "State": state})
        } else if request.line.starts_with("POST /2017-08-29/jobs ") {
            json!({"job": {"id": "mc-1", "status": "SUBMITTED", "role": "arn:aws:iam::123456789012:role/mc"}})
        } else if request.line.starts_with("GET /2017-08-29/jobs/mc-1 ") {
            let status = if DESCRIBED[1].fetch_add(1, Ordering::SeqCst) == 0 { "PROGRESSING" } else { "COMPLETE" };
            json!({"job": {"id": "mc-1", "status": status}})
        } else {
            return ("404 Not Found", json, "{}".to_owned());
        };
        ("200 OK", json, answer.to_string())
    });
    let dir = data_dir();
    let definition = json!({
        "StartAt": "Clean",
        "States": {
            "Clean": {
                "Type": "Task", "Resource": "arn:aws:states:::databrew:startJobRun.sync", "Parameters": {"Name": "clean"},
                "ResultSelector": {"state.$": "$.State", "run.$": "$.RunId"}, "ResultPath": "$.clean", "Next": "Transcode"
            },
            "Transcode": {
                "Type": "Task", "Resource": "arn:aws:states:::mediaconvert:createJob.sync",
                "Parameters": {"Role": "arn:aws:iam::123456789012:role/mc", "Settings": {}},
                "ResultSelector": {"status.$": "$.Job.Status", "id.$": "$.Job.Id"}, "ResultPath": "$.transcode", "End": true
            }
        }
    });
    let file = write(&dir, "media.json", &definition);
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", &file])
        .envs([
            ("AWS_ENDPOINT_URL_DATABREW", url.as_str()),
            ("AWS_ENDPOINT_URL_MEDIACONVERT", url.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ])
        .output()
        .expect("run baton");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert_eq!(output["clean"], json!({"state": "SUCCEEDED", "run": "db_1"}));
    assert_eq!(output["transcode"], json!({"status": "COMPLETE", "id": "mc-1"}));
    let lines: Vec<String> = (0..6).filter_map(|_| received.recv_timeout(Duration::from_secs(5)).ok()).map(|r| r.line).collect();
    assert_eq!(lines.len(), 6, "a start and two describes for each job: {lines:#?}");
    assert!(received.recv_timeout(Duration::from_millis(200)).is_err(), "no more calls");
}

/// EKS's cluster, node group and Fargate profile creations and deletions with `.sync` on moto: a creation ends when
/// the resource is `ACTIVE` (the result is its description), a deletion when it is no longer found.
#[test]
fn eks_resources_are_created_and_deleted_with_sync() {
    let Some(moto) = Moto::start() else { return };
    let dir = data_dir();
    let role = "arn:aws:iam::123456789012:role/eks";
    let state = |resource: &str, parameters: Value, selector: Value, path: &str, next: &str| {
        let mut state = json!({"Type": "Task", "Resource": format!("arn:aws:states:::eks:{resource}.sync"), "Parameters": parameters, "ResultPath": path});
        if !selector.is_null() {
            state["ResultSelector"] = selector;
        }
        if next.is_empty() { state["End"] = json!(true) } else { state["Next"] = json!(next) }
        state
    };
    let definition = json!({
        "StartAt": "Cluster",
        "States": {
            "Cluster": state("createCluster", json!({"Name": "k", "RoleArn": role, "ResourcesVpcConfig": {"SubnetIds": ["subnet-1"]}}),
                json!({"status.$": "$.Cluster.Status"}), "$.cluster", "Nodegroup"),
            "Nodegroup": state("createNodegroup", json!({"ClusterName": "k", "NodegroupName": "n", "NodeRole": role, "Subnets": ["subnet-1"]}),
                json!({"status.$": "$.Nodegroup.Status"}), "$.nodegroup", "Profile"),
            "Profile": state("createFargateProfile", json!({"ClusterName": "k", "FargateProfileName": "f", "PodExecutionRoleArn": role, "Selectors": [{"Namespace": "default"}]}),
                json!({"status.$": "$.FargateProfile.Status"}), "$.profile", "DeleteProfile"),
            "DeleteProfile": state("deleteFargateProfile", json!({"ClusterName": "k", "FargateProfileName": "f"}), Value::Null, "$.deletedProfile", "DeleteNodegroup"),
            "DeleteNodegroup": state("deleteNodegroup", json!({"ClusterName": "k", "NodegroupName": "n"}), Value::Null, "$.deletedNodegroup", "DeleteCluster"),
            "DeleteCluster": state("deleteCluster", json!({"Name": "k"}), Value::Null, "$.deletedCluster", "Clusters"),
            "Clusters": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:eks:listClusters", "Parameters": {},
                "ResultSelector": {"n.$": "States.ArrayLength($.Clusters)"}, "ResultPath": "$.left", "End": true
            }
        }
    });
    let file = write(&dir, "eks.json", &definition);
    let (code, stdout, stderr) = run(&moto, &[&file]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let output: Value = serde_json::from_str(&stdout).expect("the output is JSON");
    assert_eq!(output["cluster"], json!({"status": "ACTIVE"}), "{output:#}");
    assert_eq!(output["nodegroup"], json!({"status": "ACTIVE"}));
    assert_eq!(output["profile"], json!({"status": "ACTIVE"}));
    assert_eq!(output["deletedCluster"]["Cluster"]["Name"], json!("k"), "a deletion's result is the last description seen, else the deletion's answer: {output:#}");
    assert_eq!(output["left"], json!({"n": 0}));
}

/// A distributed Map whose ItemReader reads S3: a CSV with its header row, a JSON array, JSON Lines, a CSV with
/// given headers, and the objects under a prefix; under `baton run` against moto's S3, then the same definition over a
/// local folder mapped as the bucket (`--bucket`), with no S3 at all.
#[test]
fn item_readers_read_s3_and_a_local_folder_mapped_as_the_bucket() {
    let dir = data_dir();
    let folder = dir.path().join("bucket");
    std::fs::create_dir_all(folder.join("in")).expect("a folder");
    let files = [
        ("in/orders.csv", "id,total\n1,10\n2,\"2,5\"\n3,7\n"),
        ("in/orders.json", "[{\"id\": 1}, {\"id\": 2}]"),
        ("in/orders.jsonl", "{\"id\": 1}\n{\"id\": 2}\n{\"id\": 3}\n"),
        ("in/orders.psv", "1|ada\n2|bob\n"),
    ];
    for (key, text) in files {
        std::fs::write(folder.join(key), text).expect("a file");
    }
    let processor = json!({"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Work",
        "States": {"Work": {"Type": "Pass", "End": true}}});
    let reader = |key: &str, config: Value| json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
        "Parameters": {"Bucket": "orders-in", "Key": key}});
    let definition = json!({"StartAt": "Csv", "States": {
        "Csv": {"Type": "Map", "ItemReader": reader("in/orders.csv", json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 2})),
                "ItemProcessor": processor, "ResultPath": "$.csv", "Next": "Json"},
        "Json": {"Type": "Map", "ItemReader": reader("in/orders.json", json!({"InputType": "JSON"})), "ItemProcessor": processor,
                 "ResultPath": "$.json", "Next": "Lines"},
        "Lines": {"Type": "Map", "ItemReader": reader("in/orders.jsonl", json!({"InputType": "JSONL"})), "ItemProcessor": processor,
                  "ResultSelector": {"count.$": "States.ArrayLength($)"}, "ResultPath": "$.lines", "Next": "Given"},
        "Given": {"Type": "Map", "ItemReader": reader("in/orders.psv", json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN",
                  "CSVHeaders": ["id", "name"], "CSVDelimiter": "PIPE"})), "ItemProcessor": processor, "ResultPath": "$.given", "Next": "Listed"},
        "Listed": {"Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "orders-in", "Prefix": "in/orders."}},
                   "ItemSelector": {"key.$": "$$.Map.Item.Value.Key"}, "ItemProcessor": processor, "ResultPath": "$.listed", "End": true}
    }});
    let file = write(&dir, "reader.json", &definition);
    let expected = json!({
        "csv": [{"id": "1", "total": "10"}, {"id": "2", "total": "2,5"}],
        "json": [{"id": 1}, {"id": 2}],
        "lines": {"count": 3},
        "given": [{"id": "1", "name": "ada"}, {"id": "2", "name": "bob"}],
        "listed": [{"key": "in/orders.csv"}, {"key": "in/orders.json"}, {"key": "in/orders.jsonl"}, {"key": "in/orders.psv"}]
    });

    // A local folder mapped as the bucket: no S3, no network (offline).
    let mapping = format!("orders-in={}", folder.display());
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", &file, "--offline", "--bucket", &mapping])
        .output()
        .expect("run baton");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).expect("JSON"), expected);

    // The same definition against moto's S3.
    let Some(moto) = Moto::start() else { return };
    let mut script = String::from("s3 = client('s3')\ns3.create_bucket(Bucket='orders-in')\n");
    for (key, text) in files {
        script.push_str(&format!("s3.put_object(Bucket='orders-in', Key={key:?}, Body={text:?})\n"));
    }
    script.push_str("print(json.dumps(True))");
    if moto.boto3(&script).is_none() {
        return;
    }
    let (code, stdout, stderr) = run(&moto, &[&file]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).expect("JSON"), expected);
}

/// `text` gzip-compressed by the `gzip` command, as S3 Inventory and Athena write their files.
fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = Command::new("gzip").args(["-c", "-n"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("run gzip");
    child.stdin.take().expect("gzip's stdin").write_all(text.as_bytes()).expect("write to gzip");
    let output = child.wait_with_output().expect("gzip ends");
    assert!(output.status.success());
    output.stdout
}

/// A distributed Map reading an S3 Inventory report (its manifest.json, then its gzip-compressed CSV files; with
/// `InputType: MANIFEST`, and with `ManifestType: S3_INVENTORY` and `MaxItems`) and Athena UNLOAD manifests (JSON
/// Lines files, one gzip-compressed, and CSV files with given headers), the same JSON Lines files listed and read
/// with `Transformation: LOAD_AND_FLATTEN`; a Task's own `aws-sdk:s3:getObject` of a
/// gzip file keeps AWS's answer (base64, unmarked). Over a local folder mapped as the bucket, then against moto's S3.
#[test]
fn item_readers_read_inventory_and_athena_manifests_and_their_gzip_files() {
    let dir = data_dir();
    let folder = dir.path().join("reports");
    let manifest = json!({
        "sourceBucket": "photos", "destinationBucket": "arn:aws:s3:::reports", "version": "2016-11-30",
        "creationTimestamp": "1704067200000", "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size, LastModifiedDate",
        "files": [
            {"key": "inventory/photos/all/data/one.csv.gz", "size": 80, "MD5checksum": "a"},
            {"key": "inventory/photos/all/data/two.csv.gz", "size": 80, "MD5checksum": "b"}
        ]
    });
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("inventory/photos/all/2024-01-01T00-00Z/manifest.json", manifest.to_string().into_bytes()),
        (
            "inventory/photos/all/data/one.csv.gz",
            gzip("\"photos\",\"2024/a.jpg\",\"1024\",\"2024-01-01T00:00:00.000Z\"\n\"photos\",\"2024/b.jpg\",\"2048\",\"2024-01-01T00:00:01.000Z\"\n"),
        ),
        ("inventory/photos/all/data/two.csv.gz", gzip("\"photos\",\"2024/c.jpg\",\"4096\",\"2024-01-01T00:00:02.000Z\"\n")),
        ("athena/q1-manifest.csv", b"s3://reports/athena/q1/part_0.gz\ns3://reports/athena/q1/part_1\n".to_vec()),
        ("athena/q1/part_0.gz", gzip("{\"id\": 1, \"total\": 10}\n{\"id\": 2, \"total\": 20}\n")),
        ("athena/q1/part_1", b"{\"id\": 3, \"total\": 30}\n".to_vec()),
        ("athena/q2-manifest.csv", b"s3://reports/athena/q2/part_0.gz\n".to_vec()),
        ("athena/q2/part_0.gz", gzip("1,ada\n2,\"bob, jr\"\n")),
    ];
    for (key, bytes) in &files {
        let path = folder.join(key);
        std::fs::create_dir_all(path.parent().expect("a parent folder")).expect("a folder");
        std::fs::write(path, bytes).expect("a file");
    }
    let processor = json!({"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Work",
        "States": {"Work": {"Type": "Pass", "End": true}}});
    let reader = |key: &str, config: Value| json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
        "Parameters": {"Bucket": "reports", "Key": key}});
    let inventory = "inventory/photos/all/2024-01-01T00-00Z/manifest.json";
    let definition = json!({"StartAt": "Inventory", "States": {
        "Inventory": {"Type": "Map", "ItemReader": reader(inventory, json!({"InputType": "MANIFEST"})),
            "ItemSelector": {"key.$": "$$.Map.Item.Value.Key", "size.$": "$$.Map.Item.Value.Size"},
            "ItemProcessor": processor, "ResultPath": "$.inventory", "Next": "Limited"},
        "Limited": {"Type": "Map", "ItemReader": reader(inventory, json!({"ManifestType": "S3_INVENTORY", "MaxItems": 1})),
            "ItemProcessor": processor, "ResultPath": "$.limited", "Next": "Athena"},
        "Athena": {"Type": "Map", "ItemReader": reader("athena/q1-manifest.csv", json!({"ManifestType": "ATHENA_DATA", "InputType": "JSONL"})),
            "ItemProcessor": processor, "ResultPath": "$.athena", "Next": "Flattened"},
        "Flattened": {"Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                "ReaderConfig": {"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"}, "Parameters": {"Bucket": "reports", "Prefix": "athena/q1/"}},
            "ItemProcessor": processor, "ResultPath": "$.flattened", "Next": "AthenaCsv"},
        "AthenaCsv": {"Type": "Map", "ItemReader": reader("athena/q2-manifest.csv", json!({"ManifestType": "ATHENA_DATA", "InputType": "CSV",
                "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id", "name"]})),
            "ItemProcessor": processor, "ResultPath": "$.athenaCsv", "Next": "Sdk"},
        "Sdk": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Arguments": {"Bucket": "reports", "Key": "athena/q2/part_0.gz"},
            "Output": "{% $merge([$states.input, {'sdk': {'body': $states.result.Body, 'marked': $exists($states.result.BatonBodyEncoding)}}]) %}",
            "End": true}
    }});
    let file = write(&dir, "manifests.json", &definition);
    let sdk_body = {
        use base64::Engine as _;
        let (_, bytes) = files.iter().find(|(key, _)| *key == "athena/q2/part_0.gz").expect("the file");
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    let expected = json!({
        "inventory": [{"key": "2024/a.jpg", "size": "1024"}, {"key": "2024/b.jpg", "size": "2048"}, {"key": "2024/c.jpg", "size": "4096"}],
        "limited": [{"Bucket": "photos", "Key": "2024/a.jpg", "Size": "1024", "LastModifiedDate": "2024-01-01T00:00:00.000Z"}],
        "athena": [{"id": 1, "total": 10}, {"id": 2, "total": 20}, {"id": 3, "total": 30}],
        "flattened": [{"id": 1, "total": 10}, {"id": 2, "total": 20}, {"id": 3, "total": 30}],
        "athenaCsv": [{"id": "1", "name": "ada"}, {"id": "2", "name": "bob, jr"}],
        "sdk": {"body": sdk_body, "marked": false}
    });

    // A local folder mapped as the bucket: no S3, no network (offline).
    let mapping = format!("reports={}", folder.display());
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", &file, "--offline", "--bucket", &mapping])
        .output()
        .expect("run baton");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).expect("JSON"), expected);

    // The same definition against moto's S3.
    let Some(moto) = Moto::start() else { return };
    let mut script = String::from("s3 = client('s3')\ns3.create_bucket(Bucket='reports')\n");
    for (key, _) in &files {
        let path = folder.join(key);
        script.push_str(&format!("s3.put_object(Bucket='reports', Key={key:?}, Body=open({:?}, 'rb').read())\n", path.display().to_string()));
    }
    script.push_str("print(json.dumps(True))");
    if moto.boto3(&script).is_none() {
        return;
    }
    let (code, stdout, stderr) = run(&moto, &[&file]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).expect("JSON"), expected);
}

/// A distributed Map's ResultWriter writes its children's records to S3 as AWS lays them out: under
/// `<Prefix>/<Map Run id>/`, `SUCCEEDED_0.json` and `FAILED_0.json` then `manifest.json`, which lists them; the Map's
/// result names the manifest. Into a local folder mapped as the bucket, then into moto's S3.
#[test]
fn a_result_writer_writes_the_results_to_s3_and_to_a_mapped_folder() {
    let dir = data_dir();
    let folder = dir.path().join("bucket");
    std::fs::create_dir_all(&folder).expect("a folder");
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "Label": "Rows", "ToleratedFailureCount": 1,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Odd?", "States": {
                "Odd?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 3, "Next": "Refuse"}], "Default": "Keep"},
                "Refuse": {"Type": "Fail", "Error": "Three", "Cause": "no threes"},
                "Keep": {"Type": "Pass", "Parameters": {"kept.$": "$.n"}, "End": true}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "results-out", "Prefix": "runs"}},
        "End": true}}});
    let file = write(&dir, "writer.json", &definition);
    let input = r#"[{"n": 1}, {"n": 2}, {"n": 3}]"#;
    let check = |output: &Value, read: &dyn Fn(&str) -> Value| {
        let key = output["ResultWriterDetails"]["Key"].as_str().expect("the manifest's key").to_owned();
        assert_eq!(output["ResultWriterDetails"]["Bucket"], "results-out");
        let map_run = output["MapRunArn"].as_str().expect("MapRunArn");
        let id = map_run.rsplit_once(':').map(|(_, id)| id).expect("an id");
        assert_eq!(key, format!("runs/{id}/manifest.json"));
        let manifest = read(&key);
        assert_eq!(manifest["MapRunArn"], map_run);
        assert_eq!(manifest["DestinationBucket"], "results-out");
        let succeeded_key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"].as_str().expect("a SUCCEEDED file").to_owned();
        assert_eq!(succeeded_key, format!("runs/{id}/SUCCEEDED_0.json"));
        let succeeded = read(&succeeded_key);
        let outputs: Vec<&str> = succeeded.as_array().expect("records").iter().filter_map(|r| r["Output"].as_str()).collect();
        assert_eq!(outputs, [r#"{"kept":1}"#, r#"{"kept":2}"#]);
        assert_eq!(succeeded[0]["Input"], r#"{"n":1}"#);
        assert_eq!(succeeded[0]["Status"], "SUCCEEDED");
        let failed = read(manifest["ResultFiles"]["FAILED"][0]["Key"].as_str().expect("a FAILED file"));
        assert_eq!((failed[0]["Error"].as_str(), failed[0]["Status"].as_str()), (Some("Three"), Some("FAILED")));
        assert_eq!(manifest["ResultFiles"]["PENDING"], json!([]));
    };

    let mapping = format!("results-out={}", folder.display());
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", &file, "--input", input, "--offline", "--bucket", &mapping])
        .output()
        .expect("run baton");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let from_folder = |key: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(folder.join(key)).expect("a written file")).expect("JSON")
    };
    check(&serde_json::from_str(&stdout).expect("JSON"), &from_folder);

    let Some(moto) = Moto::start() else { return };
    if moto.boto3("client('s3').create_bucket(Bucket='results-out')\nprint(json.dumps(True))").is_none() {
        return;
    }
    let (code, stdout, stderr) = run(&moto, &[&file, "--input", input]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let from_s3 = |key: &str| -> Value {
        let script = format!("print(client('s3').get_object(Bucket='results-out', Key={key:?})['Body'].read().decode())");
        moto.boto3(&script).expect("boto3")
    };
    check(&serde_json::from_str(&stdout).expect("JSON"), &from_s3);
}

/// A distributed Map reads a Parquet file (Snappy pages, dictionary encoded, every type the `parquet` crate's
/// fixtures cover) as its items: each row an object, as the crate's expected JSON says. From a local folder mapped as
/// the bucket, then from moto's S3.
#[test]
fn a_parquet_file_is_read_from_s3_and_a_mapped_folder() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../parquet/tests/data");
    let parquet = std::fs::read(data.join("types_snappy_dict_v1.parquet")).expect("the fixture");
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(data.join("types_snappy_dict_v1.json")).expect("its rows"))
        .expect("JSON");
    let dir = data_dir();
    let folder = dir.path().join("bucket");
    std::fs::create_dir_all(folder.join("tables")).expect("a folder");
    std::fs::write(folder.join("tables/types.parquet"), &parquet).expect("the file");
    let definition = json!({"StartAt": "Rows", "States": {"Rows": {"Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "PARQUET"},
            "Parameters": {"Bucket": "tables-in", "Key": "tables/types.parquet"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Work",
            "States": {"Work": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let file = write(&dir, "parquet.json", &definition);
    let mapping = format!("tables-in={}", folder.display());
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", &file, "--offline", "--bucket", &mapping])
        .output()
        .expect("run baton");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).expect("JSON"), expected);

    let Some(moto) = Moto::start() else { return };
    let path = folder.join("tables/types.parquet");
    let script = format!(
        "s3 = client('s3')\ns3.create_bucket(Bucket='tables-in')\ns3.put_object(Bucket='tables-in', Key='tables/types.parquet', Body=open({:?}, 'rb').read())\nprint(json.dumps(True))",
        path.display().to_string()
    );
    if moto.boto3(&script).is_none() {
        return;
    }
    let (code, stdout, stderr) = run(&moto, &[&file]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(serde_json::from_str::<Value>(&stdout).expect("JSON"), expected);
}
