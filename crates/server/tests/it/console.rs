//! The web console's routes: the pages are HTML shells naming their page and ARN, the assets are served, `GET /`
//! sends a browser to the console, and the JSON the pages fetch has its shape, pages lists, and 404s unknown ARNs.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use store::{Append, Ending, Event, Execution, Kind, StateMachine, Status, Store};

use crate::{Api, Reply, api, service};

const ROLE: &str = "arn:aws:iam::123456789012:role/baton";
const MISSING_MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:missing";
const MISSING_EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:missing:run";

/// An ARN as one path segment, as the console's links write it (`encodeURIComponent`).
fn encode(arn: &str) -> String {
    arn.replace('%', "%25").replace(':', "%3A").replace('/', "%2F").replace('#', "%23")
}

impl Api {
    async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).expect("a valid request")).await
    }

    async fn create(&self, name: &str, definition: &Value) -> String {
        let body = json!({"name": name, "definition": definition.to_string(), "roleArn": ROLE});
        let reply = self.call("CreateStateMachine", &body.to_string()).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        reply.body["stateMachineArn"].as_str().expect("an ARN").to_owned()
    }

    /// Starts an execution and waits until it is no longer running.
    async fn run(&self, machine: &str, input: &Value) -> String {
        let body = json!({"stateMachineArn": machine, "input": input.to_string()});
        let reply = self.call("StartExecution", &body.to_string()).await;
        let arn = reply.body["executionArn"].as_str().expect("an execution ARN").to_owned();
        for _ in 0..500 {
            let reply = self.call("DescribeExecution", &json!({"executionArn": arn}).to_string()).await;
            if reply.body["status"] != "RUNNING" {
                return arn;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{arn} did not finish");
    }
}

#[tokio::test]
async fn a_browser_at_the_root_is_sent_to_the_console_and_curl_is_not() {
    let api = api().await;
    let request = Request::get("/")
        .header(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(api.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/console");

    let reply = api.send(Request::get("/").header(header::ACCEPT, "*/*").body(Body::empty()).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type, "text/plain; charset=utf-8");
    assert!(reply.body.as_str().unwrap().contains("/console"), "{reply:?}");
}

#[tokio::test]
async fn pages_are_html_shells_and_assets_are_served() {
    let api = api().await;
    let machine = api.create("Shell", &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}})).await;
    let execution = api.run(&machine, &json!({})).await;

    for (path, page, arn) in [
        ("/console".to_owned(), "list", ""),
        (format!("/console/state-machines/{}", encode(&machine)), "state-machine", machine.as_str()),
        (format!("/console/executions/{}", encode(&execution)), "execution", execution.as_str()),
    ] {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.content_type, "text/html; charset=utf-8", "{path}");
        let html = reply.body.as_str().unwrap();
        assert!(html.contains(&format!(r#"data-page="{page}" data-arn="{arn}""#)), "{html}");
        assert!(html.contains(r#"<script src="/console/assets/console.js">"#), "{html}");
    }

    let css = api.get("/console/assets/console.css").await;
    assert_eq!((css.status, css.content_type.as_str()), (StatusCode::OK, "text/css; charset=utf-8"));
    let js = api.get("/console/assets/console.js").await;
    assert_eq!((js.status, js.content_type.as_str()), (StatusCode::OK, "text/javascript; charset=utf-8"));
    assert!(js.body.as_str().unwrap().contains("X-Amz-Target"));
    assert_eq!(api.get("/console/assets/nothing.js").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_arns_are_404_for_pages_and_json() {
    let api = api().await;
    for path in [
        format!("/console/state-machines/{}", encode(MISSING_MACHINE)),
        format!("/console/executions/{}", encode(MISSING_EXECUTION)),
        "/console/executions/not-an-arn".to_owned(),
    ] {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {reply:?}");
        assert_eq!(reply.content_type, "text/html; charset=utf-8");
        assert!(reply.body.as_str().unwrap().contains(r#"data-page="error""#), "{reply:?}");
    }
    for path in [
        format!("/console/api/state-machines/{}", encode(MISSING_MACHINE)),
        format!("/console/api/state-machines/{}/executions", encode(MISSING_MACHINE)),
        format!("/console/api/executions/{}", encode(MISSING_EXECUTION)),
    ] {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {reply:?}");
        assert_eq!(reply.content_type, "application/json");
        assert!(reply.body["error"].as_str().unwrap().contains("DoesNotExist"), "{reply:?}");
    }
}

#[tokio::test]
async fn json_of_the_lists_the_machine_and_the_execution() {
    let api = api().await;
    let definition = json!({
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": true, "Next": "Go"}], "Default": "Skip"},
            "Skip": {"Type": "Pass", "End": true},
            "Go": {"Type": "Pass", "Assign": {"went": true}, "End": true}
        }
    });
    let machine = api.create("Json", &definition).await;

    let list = api.get("/console/api/state-machines").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.content_type, "application/json");
    assert_eq!(list.body["next"], Value::Null);
    let first = &list.body["stateMachines"][0];
    assert_eq!((first["arn"].as_str(), first["name"].as_str(), first["type"].as_str()), (Some(machine.as_str()), Some("Json"), Some("STANDARD")));
    assert!(first["created"].is_i64());

    let described = api.get(&format!("/console/api/state-machines/{}", encode(&machine))).await;
    assert_eq!(described.body["stateMachine"]["definition"].as_str(), Some(definition.to_string().as_str()));
    let svg = described.body["svg"].as_str().expect("an SVG");
    assert!(svg.starts_with("<svg") && svg.contains(r#"data-state="Check""#), "{svg}");
    assert!(!svg.contains(" data-status=\""), "a machine's graph has no statuses: {svg}");

    let execution = api.run(&machine, &json!({"go": true})).await;
    let executions = api.get(&format!("/console/api/state-machines/{}/executions", encode(&machine))).await;
    let row = &executions.body["executions"][0];
    assert_eq!((row["arn"].as_str(), row["status"].as_str()), (Some(execution.as_str()), Some("SUCCEEDED")));
    assert!(row["start"].is_i64() && row["stop"].is_i64(), "{row}");

    let reply = api.get(&format!("/console/api/executions/{}", encode(&execution))).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let body = &reply.body;
    assert_eq!(body["execution"]["status"], "SUCCEEDED");
    assert_eq!(body["execution"]["stateMachineArn"].as_str(), Some(machine.as_str()));
    assert_eq!(body["execution"]["input"], r#"{"go":true}"#);
    assert_eq!(body["events"][0]["type"], "ExecutionStarted");
    assert_eq!(body["events"].as_array().map(Vec::len), Some(6));
    assert_eq!(body["states"]["Check"]["status"], "succeeded");
    assert_eq!(body["states"]["Go"]["status"], "succeeded");
    assert_eq!(body["states"]["Go"]["assignedVariables"], json!({"went": "true"}));
    assert_eq!(body["states"]["Skip"]["status"], "not-run");
    assert_eq!(body["states"]["Skip"]["entered"], 0);
    let svg = body["svg"].as_str().expect("an SVG");
    assert!(svg.contains(r#"data-state="Go" data-status="succeeded""#), "{svg}");
    assert!(svg.contains(r#"data-state="Skip" data-status="not-run""#), "{svg}");
}

#[tokio::test]
async fn ten_thousand_executions_are_listed_one_page_at_a_time_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:Many";
    {
        let store = store::sqlite::Sqlite::open(dir.path()).unwrap();
        store.create_state_machine(stored_machine(machine_arn)).await.unwrap();
        for n in 0..10_000 {
            let execution = stored_execution(machine_arn, n);
            let first = Append {
                execution_arn: execution.arn.clone(),
                trigger: "{}".to_owned(),
                events: vec![Event { id: 1, json: r#"{"id":1,"previousEventId":0,"type":"ExecutionStarted"}"#.to_owned() }],
                ending: None,
            };
            let arn = execution.arn.clone();
            store.create_execution(execution, first).await.unwrap();
            let end = Ending { status: Status::Succeeded, stop: 1_700_000_001_000, output: Some("{}".to_owned()), error: None, cause: None };
            let last = Append {
                execution_arn: arn.clone(),
                trigger: "{}".to_owned(),
                events: vec![Event { id: 2, json: r#"{"id":2,"previousEventId":1,"type":"ExecutionSucceeded"}"#.to_owned() }],
                ending: Some(end),
            };
            store.append(vec![last]).await.unwrap();
        }
    }
    let api = Api { router: server::router(service(&dir).await), _dir: dir };

    let path = format!("/console/api/state-machines/{}/executions", encode(machine_arn));
    let first = api.get(&path).await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let names = |reply: &Reply| -> Vec<String> {
        reply.body["executions"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_owned()).collect()
    };
    let page = names(&first);
    assert_eq!(page.len(), 25);
    let next = first.body["next"].as_str().expect("a next token");
    let second = api.get(&format!("{path}?next={}", encode(next))).await;
    let second_page = names(&second);
    assert_eq!(second_page.len(), 25);
    assert!(page.iter().all(|name| !second_page.contains(name)), "pages overlap");
    // Newest first: each page's names are in descending creation order, the second after the first.
    let numbers: Vec<u32> = page.iter().chain(&second_page).map(|name| name.trim_start_matches("run-").parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|pair| pair[0] > pair[1]), "{numbers:?}");
    // A token the store did not write is an error, not a full scan.
    let bad = api.get(&format!("{path}?next=garbage")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{bad:?}");
}

fn stored_machine(arn: &str) -> StateMachine {
    StateMachine {
        arn: arn.to_owned(),
        name: "Many".to_owned(),
        kind: Kind::Standard,
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.to_owned(),
        role_arn: ROLE.to_owned(),
        logging_configuration: None,
        tracing_configuration: None,
        description: None,
        revision_id: "r1".to_owned(),
        created: 1_700_000_000_000,
        updated: 1_700_000_000_000,
        tags: Vec::new(),
    }
}

/// Execution `run-<n>`, running until the step that ends it is appended.
fn stored_execution(machine_arn: &str, n: u32) -> Execution {
    let name = format!("run-{n:05}");
    Execution {
        arn: format!("{}:{name}", machine_arn.replace(":stateMachine:", ":execution:")),
        name,
        state_machine_arn: machine_arn.to_owned(),
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.to_owned(),
        role_arn: ROLE.to_owned(),
        kind: Kind::Standard,
        input: "{}".to_owned(),
        trace_header: None,
        status: Status::Running,
        start: 1_700_000_000_000 + i64::from(n),
        stop: None,
        output: None,
        error: None,
        cause: None,
        version_arn: None,
        alias_arn: None,
        redrive_count: 0,
        redrive_date: None,
    }
}
