//! The web console's routes: the pages are HTML shells naming their page and ARN, the assets are served, `GET /`
//! sends a browser to the console, and the JSON the pages fetch has its shape (a Map's item counts, a Map Run and its
//! child executions too), pages lists, and 404s unknown ARNs.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use runtime::service::{CreateStateMachine, StartExecution};

use crate::{Api, Reply, api, service};

const ROLE: &str = "arn:aws:iam::123456789012:role/baton";
const MISSING_MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:missing";
const MISSING_EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:missing:run";
const MISSING_MAP_RUN: &str = "arn:aws:states:us-east-1:123456789012:mapRun:missing/Each:run-1";

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
    for script in ["designer.js", "operate.js"] {
        let reply = api.get(&format!("/console/assets/{script}")).await;
        assert_eq!((reply.status, reply.content_type.as_str()), (StatusCode::OK, "text/javascript; charset=utf-8"), "{script}");
    }
    assert_eq!(api.get("/console/assets/nothing.js").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_arns_are_404_for_pages_and_json() {
    let api = api().await;
    for path in [
        format!("/console/state-machines/{}", encode(MISSING_MACHINE)),
        format!("/console/executions/{}", encode(MISSING_EXECUTION)),
        "/console/executions/not-an-arn".to_owned(),
        format!("/console/map-runs/{}", encode(MISSING_MAP_RUN)),
        "/console/map-runs/not-an-arn".to_owned(),
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
        format!("/console/api/map-runs/{}", encode(MISSING_MAP_RUN)),
        format!("/console/api/map-runs/{}/executions", encode(MISSING_MAP_RUN)),
    ] {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {reply:?}");
        assert_eq!(reply.content_type, "application/json");
        let error = reply.body["error"].as_str().unwrap();
        assert!(error.contains("DoesNotExist") || error.contains("Does Not Exist"), "{reply:?}");
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
    let listed = |status: &str| format!("/console/api/state-machines/{}/executions?status={status}", encode(&machine));
    assert_eq!(api.get(&listed("SUCCEEDED")).await.body["executions"][0]["arn"].as_str(), Some(execution.as_str()));
    assert_eq!(api.get(&listed("FAILED")).await.body["executions"], json!([]), "only the executions with that status");
    let express = json!({"name": "quick", "type": "EXPRESS", "definition": definition.to_string(), "roleArn": ROLE});
    let express = api.call("CreateStateMachine", &express.to_string()).await.body["stateMachineArn"].clone();
    let path = format!("/console/api/state-machines/{}/executions", encode(express.as_str().expect("an ARN")));
    let none = api.get(&path).await;
    let kept = json!({"executions": [], "next": null, "express": true, "retentionSeconds": 300});
    assert_eq!(none.body, kept, "an Express machine lists the executions kept in memory: none yet");
    let bogus = api.get(&listed("DONE")).await;
    assert_eq!(bogus.status, StatusCode::BAD_REQUEST, "{bogus:?}");
    assert!(bogus.body["error"].as_str().is_some_and(|e| e.contains("unknown status 'DONE'")), "{bogus:?}");

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

    // A poll that already has four events gets the rest only, with the whole count.
    let later = api.get(&format!("/console/api/executions/{}?since=4", encode(&execution))).await;
    let ids: Vec<u64> = later.body["events"].as_array().expect("events").iter().filter_map(|e| e["id"].as_u64()).collect();
    assert_eq!((ids, later.body["eventCount"].as_u64()), (vec![5, 6], Some(6)));
    assert_eq!(later.body["states"]["Go"]["status"], "succeeded", "statuses still cover the whole history");
}

#[tokio::test]
async fn a_maps_item_counts_are_in_its_json_and_on_its_box() {
    let api = api().await;
    let definition = json!({"StartAt": "Each & every", "States": {
        "Each & every": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": null,
            "ItemProcessor": {"StartAt": "Double", "States": {"Double": {"Type": "Pass", "End": true}}}, "Next": "Spread"},
        "Spread": {"Type": "Map", "ToleratedFailureCount": 1, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check",
            "States": {
                "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 3, "Next": "Bad"}], "Default": "Ok"},
                "Ok": {"Type": "Pass", "End": true},
                "Bad": {"Type": "Fail", "Error": "Unlucky"}
            }}, "ItemsPath": "$.four", "End": true}
    }});
    let machine = api.create("Items", &definition).await;
    let items: Vec<u32> = (1..=12).collect();
    let execution = api.run(&machine, &json!({"items": items, "four": [1, 2, 3, 4]})).await;

    let reply = api.get(&format!("/console/api/executions/{}", encode(&execution))).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let states = &reply.body["states"];
    assert_eq!(
        states["Each & every"]["items"],
        json!({"total": 12, "pending": 0, "running": 0, "succeeded": 12, "failed": 0, "aborted": 0, "mapRun": null})
    );
    assert_eq!(states["Double"]["items"], Value::Null, "only a Map has items");
    // A distributed Map's counts are not in the history: they are its Map Run's.
    let spread = &states["Spread"]["items"];
    assert_eq!((spread["total"].as_u64(), spread["succeeded"].as_u64(), spread["failed"].as_u64()), (Some(4), Some(3), Some(1)), "{spread}");
    assert_eq!(spread["mapRun"]["status"], "SUCCEEDED");
    assert!(spread["mapRun"]["arn"].as_str().is_some_and(|arn| arn.contains(":mapRun:Items/Spread:")), "{spread}");

    let svg = reply.body["svg"].as_str().expect("an SVG");
    let group = |state: &str| {
        let open = format!(r#"<g data-state="{state}""#);
        svg.lines().find(|line| line.starts_with(&open)).unwrap_or_else(|| panic!("{state} is drawn: {svg}")).to_owned()
    };
    let each = group("Each &amp; every");
    assert!(each.contains(r#"<text class="note""#) && each.contains(">12 items · 12 succeeded</text>"), "{each}");
    assert!(group("Spread").contains(">4 items · 3 succeeded · 1 failed</text>"), "{svg}");
    assert!(!group("Double").contains("note"), "{svg}");
    // The state machine's own page has no execution, so no notes.
    let described = api.get(&format!("/console/api/state-machines/{}", encode(&machine))).await;
    assert!(!described.body["svg"].as_str().expect("an SVG").contains(r#"class="note""#));
}

/// The tasks waiting for their tokens are in an execution's JSON: a callback whose request was made (a resource
/// Baton cannot call, whose token is the whole interface) at once, an activity task only once a worker took it (its
/// token is the one the worker got); none once answered. The timeline lists the visits as the graph reads them.
#[tokio::test]
async fn waiting_tasks_and_their_tokens_are_in_the_executions_json() {
    let api = api().await;
    let path = |arn: &str| format!("/console/api/executions/{}", encode(arn));
    let waiting_of = |reply: &Reply| reply.body["waiting"].as_array().cloned().unwrap_or_default();
    let until = |body: &Value, wanted: usize| body["waiting"].as_array().map_or(0, Vec::len) == wanted;

    let callback = json!({"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "arn:aws:states:::nosuch:ask.waitForTaskToken",
        "Parameters": {"Question": "ok?"}, "End": true}}});
    let machine = api.create("Callback", &callback).await;
    let started = api.call("StartExecution", &json!({"stateMachineArn": machine, "input": "{}"}).to_string()).await;
    let execution = started.body["executionArn"].as_str().expect("an execution ARN").to_owned();
    let mut reply = api.get(&path(&execution)).await;
    for _ in 0..200 {
        if until(&reply.body, 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        reply = api.get(&path(&execution)).await;
    }
    let waiting = waiting_of(&reply);
    assert_eq!(waiting.len(), 1, "{reply:?}");
    assert_eq!((waiting[0]["stateName"].as_str(), waiting[0]["activity"].as_bool()), (Some("Ask"), Some(false)), "{waiting:?}");
    assert_eq!(waiting[0]["resource"], "arn:aws:states:::nosuch:ask.waitForTaskToken");
    let scheduled = waiting[0]["scheduledEventId"].as_u64().expect("the scheduling event");
    let events = reply.body["events"].as_array().expect("events");
    assert!(events.iter().any(|e| e["id"] == scheduled && e["type"] == "TaskScheduled"), "{events:?}");
    let timeline = &reply.body["timeline"];
    assert_eq!((timeline["total"].as_u64(), &timeline["visits"][0]["name"]), (Some(1), &json!("Ask")), "{timeline}");
    assert_eq!((&timeline["visits"][0]["status"], &timeline["visits"][0]["end"]), (&json!("running"), &Value::Null), "{timeline}");
    assert_eq!(timeline["visits"][0]["start"].as_f64(), events[1]["timestamp"].as_f64(), "{timeline}");
    let token = waiting[0]["token"].as_str().expect("a token").to_owned();
    let sent = api.call("SendTaskSuccess", &json!({"taskToken": token, "output": "{\"yes\":1}"}).to_string()).await;
    assert_eq!(sent.status, StatusCode::OK, "{sent:?}");
    let reply = api.get(&path(&execution)).await;
    assert_eq!(waiting_of(&reply), Vec::<Value>::new(), "answered: nothing waits");

    let activity = api.call("CreateActivity", &json!({"name": "approve"}).to_string()).await;
    let activity = activity.body["activityArn"].as_str().expect("an activity ARN").to_owned();
    let definition = json!({"StartAt": "Approve", "States": {"Approve": {"Type": "Task", "Resource": activity, "End": true}}});
    let machine = api.create("Worked", &definition).await;
    let started = api.call("StartExecution", &json!({"stateMachineArn": machine, "input": "{}"}).to_string()).await;
    let execution = started.body["executionArn"].as_str().expect("an execution ARN").to_owned();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(waiting_of(&api.get(&path(&execution)).await), Vec::<Value>::new(), "no worker has the task yet");
    let task = api.call("GetActivityTask", &json!({"activityArn": activity, "workerName": "w"}).to_string()).await;
    let token = task.body["taskToken"].as_str().expect("a task").to_owned();
    let waiting = waiting_of(&api.get(&path(&execution)).await);
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!((waiting[0]["token"].as_str(), waiting[0]["activity"].as_bool()), (Some(token.as_str()), Some(true)));
    assert_eq!(waiting[0]["stateName"], "Approve");
}

/// A Map Run's JSON: its counts and settings, and its child executions a page at a time (`pageSize`), filtered by
/// status, each failed one with its error and cause; a child's own JSON names its Map Run and parent and draws the
/// Map's item processor.
#[tokio::test]
async fn a_map_runs_json_pages_its_children_and_links_them_to_their_parent() {
    let api = api().await;
    let definition = json!({"StartAt": "Spread", "States": {
        "Spread": {"Type": "Map", "ToleratedFailureCount": 5, "MaxConcurrency": 2, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check",
            "States": {
                "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": 4, "Next": "Bad"}], "Default": "Ok"},
                "Ok": {"Type": "Pass", "End": true},
                "Bad": {"Type": "Fail", "Error": "TooBig", "CausePath": "States.Format('item {} is too big', $)"}
            }}, "End": true}
    }});
    let machine = api.create("Runs", &definition).await;
    let execution = api.run(&machine, &json!([1, 2, 3, 4, 5, 6, 7])).await;
    let parent = api.get(&format!("/console/api/executions/{}", encode(&execution))).await;
    let map_run = parent.body["states"]["Spread"]["items"]["mapRun"]["arn"].as_str().expect("a Map Run ARN").to_owned();

    let page = api.get(&format!("/console/map-runs/{}", encode(&map_run))).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(page.body.as_str().unwrap().contains(&format!(r#"data-page="map-run" data-arn="{map_run}""#)), "{page:?}");

    let reply = api.get(&format!("/console/api/map-runs/{}", encode(&map_run))).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let run = &reply.body["mapRun"];
    assert_eq!((run["arn"].as_str(), run["executionArn"].as_str()), (Some(map_run.as_str()), Some(execution.as_str())));
    assert_eq!((run["stateName"].as_str(), run["status"].as_str()), (Some("Spread"), Some("SUCCEEDED")));
    assert_eq!((run["maxConcurrency"].as_u64(), run["toleratedFailureCount"].as_u64()), (Some(2), Some(5)));
    assert!(run["start"].is_i64() && run["stop"].is_i64(), "{run}");
    let counts = json!({"pending": 0, "running": 0, "succeeded": 4, "failed": 3, "aborted": 0, "total": 7,
        "pendingRedrive": 0, "failuresNotRedrivable": 3});
    assert_eq!((&run["itemCounts"], &run["executionCounts"]), (&counts, &counts));

    let listed = |query: &str| format!("/console/api/map-runs/{}/executions?{query}", encode(&map_run));
    let all = api.get(&listed("")).await;
    assert_eq!(all.body["executions"].as_array().map(Vec::len), Some(7), "{all:?}");
    // The failed ones two at a time, each with its error and cause.
    let mut causes = Vec::new();
    let mut query = "status=FAILED&pageSize=2".to_owned();
    loop {
        let page = api.get(&listed(&query)).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        let rows = page.body["executions"].as_array().expect("executions").clone();
        assert!(rows.len() <= 2, "{page:?}");
        for row in &rows {
            assert_eq!((row["status"].as_str(), row["error"].as_str()), (Some("FAILED"), Some("TooBig")), "{row}");
            causes.push(row["cause"].as_str().expect("a cause").to_owned());
        }
        match page.body["next"].as_str() {
            Some(next) => query = format!("status=FAILED&pageSize=2&next={}", encode(next)),
            None => break,
        }
    }
    assert_eq!(causes, ["item 7 is too big", "item 6 is too big", "item 5 is too big"], "newest first");
    let ok = api.get(&listed("status=SUCCEEDED&pageSize=0")).await;
    let ok = ok.body["executions"].as_array().expect("executions");
    assert_eq!(ok.len(), 4, "a page size that is not positive is the default: {ok:?}");
    assert!(ok.iter().all(|row| row["error"].is_null() && row["cause"].is_null()), "{ok:?}");
    assert_eq!(api.get(&listed("status=DONE")).await.status, StatusCode::BAD_REQUEST);

    // A child's page names its Map Run and parent, and draws the item processor it ran.
    let failed = api.get(&listed("status=FAILED&pageSize=1")).await;
    let child = failed.body["executions"][0]["arn"].as_str().expect("a child's ARN").to_owned();
    let reply = api.get(&format!("/console/api/executions/{}", encode(&child))).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let described = &reply.body["execution"];
    assert_eq!((described["mapRunArn"].as_str(), described["parentArn"].as_str()), (Some(map_run.as_str()), Some(execution.as_str())));
    assert_eq!((described["error"].as_str(), described["cause"].as_str()), (Some("TooBig"), Some("item 7 is too big")));
    assert_eq!(reply.body["states"]["Bad"]["status"], "failed");
    assert_eq!(reply.body["states"]["Ok"]["status"], "not-run");
    assert!(reply.body["svg"].as_str().is_some_and(|svg| svg.contains(r#"data-state="Check" data-status="succeeded""#)), "{reply:?}");
    // A parent is no child.
    assert_eq!((parent.body["execution"]["mapRunArn"].clone(), parent.body["execution"]["parentArn"].clone()), (Value::Null, Value::Null));
}

/// The editor's check answers YAML and JSON, valid or not, and what it approves `UpdateStateMachine` takes.
#[tokio::test]
async fn the_editor_checks_a_definition_and_its_json_saves() {
    let api = api().await;
    let check = |text: &'static str| {
        let body = json!({"definition": text}).to_string();
        let request = Request::post("/console/api/check")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("a valid request");
        api.send(request)
    };
    let bad = check("StartAt: One\nStates:\n  One:\n    Type: Pass\n    Next: Nowhere\n").await;
    assert_eq!(bad.status, StatusCode::OK, "{bad:?}");
    assert_eq!((bad.body["valid"].as_bool(), bad.body["format"].as_str()), (Some(false), Some("yaml")));
    assert_eq!(bad.body["diagnostics"][0]["line"], 5, "{:?}", bad.body);
    assert_eq!(bad.body["diagnostics"][0]["code"], "MISSING_TRANSITION_TARGET");
    // The design view draws what is there, invalid or not: the loaded value itself, not text.
    let loaded = json!({"StartAt": "One", "States": {"One": {"Type": "Pass", "Next": "Nowhere"}}});
    assert_eq!(bad.body["value"], loaded, "{:?}", bad.body);
    assert!(bad.body["json"].is_null() && bad.body["yaml"].is_null(), "{:?}", bad.body);
    let broken = check("StartAt: One\nStates: [\n").await;
    assert_eq!((broken.body["valid"].as_bool(), broken.body["value"].is_null()), (Some(false), true), "{:?}", broken.body);
    let half_built = check(r#"{"States": {"A": {"Type": "Task"}}}"#).await;
    assert_eq!(half_built.body["value"]["States"]["A"]["Type"], "Task", "{:?}", half_built.body);
    assert_eq!(half_built.body["format"], "json");

    let good = check("StartAt: One\nStates:\n  One:\n    Type: Pass\n    Result: {edited: true}\n    End: true\n").await;
    assert_eq!(good.body["valid"], true, "{:?}", good.body);
    assert_eq!(good.body["value"]["States"]["One"]["Result"], json!({"edited": true}), "{:?}", good.body);
    assert!(good.body["svg"].as_str().is_some_and(|svg| svg.contains(r#"data-state="One""#)));
    let machine = api.create("edited", &json!({"StartAt": "One", "States": {"One": {"Type": "Pass", "End": true}}})).await;
    let update = json!({"stateMachineArn": machine, "definition": good.body["json"]});
    let reply = api.call("UpdateStateMachine", &update.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let execution = api.run(&machine, &json!({})).await;
    let done = api.get(&format!("/console/api/executions/{}", encode(&execution))).await;
    assert_eq!(done.body["execution"]["output"], r#"{"edited":true}"#);
}

/// The design view's YAML writer: the definition it changed comes back as YAML with the old text's comments where
/// they were, and loads back as that definition; a body it cannot use is a 400.
#[tokio::test]
async fn the_editor_writes_a_changed_definition_as_yaml_keeping_its_comments() {
    let api = api().await;
    let post = |body: String| {
        let request = Request::post("/console/api/yaml")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("a valid request");
        api.send(request)
    };
    let old = "# Orders.\nStartAt: Check # first\nStates:\n  # Is it big?\n  Check:\n    Type: Choice\n    Choices:\n      - Variable: $.total\n        NumericGreaterThan: 100 # cents\n        Next: Big\n    Default: Big\n  Big:\n    Type: Pass\n    End: true\n";
    let mut definition = asl::source::load(old).expect("loads").0;
    definition["States"]["Check"]["Choices"][0]["NumericGreaterThan"] = json!(500);
    definition["States"]["Big"]["Comment"] = json!("yes: big");
    let reply = post(json!({"text": old, "definition": definition}).to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let text = reply.body["text"].as_str().expect("text");
    let expect = old.replace("100 # cents", "500 # cents").replace("    End: true\n", "    End: true\n    Comment: 'yes: big'\n");
    assert_eq!(text, expect);
    assert_eq!(asl::source::load(text).expect("the text loads").0, definition);

    // With no old text, or JSON for one, the plain YAML.
    let plain = post(json!({"definition": {"StartAt": "A"}}).to_string()).await;
    assert_eq!(plain.body["text"], "StartAt: A\n", "{plain:?}");
    let over_json = post(json!({"text": "{\"StartAt\": \"B\"}", "definition": {"StartAt": "A"}}).to_string()).await;
    assert_eq!(over_json.body["text"], "StartAt: A\n", "{over_json:?}");

    for bad in ["not json", "{}", r#"{"text": 1, "definition": {}}"#, r#"{"text": "a: 1"}"#] {
        let reply = post(bad.to_owned()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {reply:?}");
        assert!(reply.body["error"].as_str().is_some_and(|e| e.contains("definition")), "{bad}: {reply:?}");
    }
    let long = "#".repeat(1024 * 1024 + 1);
    let reply = post(json!({"text": long, "definition": {}}).to_string()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    let reply = post(json!({"definition": {"Comment": long}}).to_string()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
}

#[tokio::test]
async fn ten_thousand_executions_are_listed_one_page_at_a_time_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let service = service(&dir).await;
    let definition = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.to_owned();
    let create = CreateStateMachine { name: "Many".to_owned(), definition, role_arn: ROLE.to_owned(), ..CreateStateMachine::default() };
    let machine_arn = service.create_state_machine(create).await.unwrap().arn;
    // Through the service, one after the other: the last named is the newest.
    for n in 0..10_000 {
        let name = Some(format!("run-{n:05}"));
        let start = StartExecution { state_machine_arn: machine_arn.clone(), name, ..StartExecution::default() };
        service.start_execution(start).await.unwrap();
    }
    let machine_arn = machine_arn.as_str();
    let api = Api { router: server::router(service), _dir: dir };

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

impl Api {
    /// Starts an execution named `name` and waits for it to end; its DescribeExecution.
    async fn run_named(&self, machine: &str, name: &str) -> Value {
        let started = self.ok("StartExecution", json!({"stateMachineArn": machine, "name": name})).await;
        self.finished(&started["executionArn"]).await
    }

    /// The names of an executions list's page, and its next token.
    async fn names(&self, path: &str) -> (Vec<String>, Option<String>) {
        let reply = self.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {reply:?}");
        let names = reply.body["executions"].as_array().expect("a list").iter().map(|e| e["name"].as_str().expect("a name").to_owned()).collect();
        (names, reply.body["next"].as_str().map(str::to_owned))
    }
}

/// The executions page's search (`/console/api/executions`): every Standard execution of every machine, newest first
/// and paged, narrowed by a text the name contains, a status, a machine and a start time range, each alone and
/// together; a Map Run's children and Express executions are not in it; each malformed parameter is a 400 naming it.
#[tokio::test]
async fn the_search_finds_executions_across_machines_by_every_filter() {
    let api = api().await;
    let pass = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let fail = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope"}}});
    let orders = api.create("Orders", &pass).await;
    let billing = api.create("Billing", &fail).await;
    let quick = api.ok("CreateStateMachine", json!({"name": "Quick", "type": "EXPRESS", "definition": pass.to_string(), "roleArn": ROLE})).await;
    api.ok("StartSyncExecution", json!({"stateMachineArn": quick["stateMachineArn"], "name": "order-express"})).await;
    let mut starts = Vec::new();
    for (machine, name) in [(&orders, "order-1"), (&billing, "order-2"), (&orders, "Order-3"), (&billing, "bill-4"), (&orders, "bill-5")] {
        let described = api.run_named(machine, name).await;
        starts.push((described["startDate"].as_f64().expect("a start date") * 1000.0).round() as i64);
        // Start times a few milliseconds apart, so that a range can fall between two.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let search = |query: &str| format!("/console/api/executions?{query}");

    let (all, next) = api.names(&search("")).await;
    assert_eq!(all, ["bill-5", "bill-4", "Order-3", "order-2", "order-1"], "newest first, no Express execution");
    assert_eq!(next, None);
    let reply = api.get(&search("")).await;
    let first = &reply.body["executions"][0];
    assert_eq!((first["status"].as_str(), first["stateMachineArn"].as_str()), (Some("SUCCEEDED"), Some(orders.as_str())), "{first}");
    assert_eq!(reply.body["executions"][1]["error"], "Nope");
    assert_eq!(api.names(&search("name=rder")).await.0, ["Order-3", "order-2", "order-1"], "the names containing the text");
    assert_eq!(api.names(&search("name=order")).await.0, ["order-2", "order-1"], "case kept");
    assert_eq!(api.names(&search("name=&status=")).await.0.len(), 5, "an empty filter filters nothing");
    assert_eq!(api.names(&search("status=FAILED")).await.0, ["bill-4", "order-2"]);
    assert_eq!(api.names(&search(&format!("stateMachine={}", encode(&orders)))).await.0, ["bill-5", "Order-3", "order-1"]);
    let (from, to) = (starts[1], starts[3]);
    assert_eq!(api.names(&search(&format!("from={from}&to={to}"))).await.0, ["Order-3", "order-2"], "from inclusive, to exclusive");
    let together = format!("name=order&status=SUCCEEDED&stateMachine={}&from={}", encode(&orders), starts[0]);
    assert_eq!(api.names(&search(&together)).await.0, ["order-1"], "every filter at once");
    let missing = format!("stateMachine={}", encode(MISSING_MACHINE));
    assert_eq!(api.names(&search(&missing)).await.0, Vec::<String>::new(), "a machine that does not exist has none");

    // Two a page, each page's token going on with the same filters.
    let (page, next) = api.names(&search("pageSize=2")).await;
    assert_eq!(page, ["bill-5", "bill-4"]);
    let (page, next) = api.names(&search(&format!("pageSize=2&next={}", encode(&next.expect("a second page"))))).await;
    assert_eq!(page, ["Order-3", "order-2"]);
    let (page, next) = api.names(&search(&format!("pageSize=2&next={}", encode(&next.expect("a third page"))))).await;
    assert_eq!((page, next), (vec!["order-1".to_owned()], None));

    for (query, names) in [
        ("status=DONE", "status"),
        ("from=yesterday", "from"),
        ("to=1.5", "to"),
        ("pageSize=0", "pageSize"),
        ("pageSize=1001", "pageSize"),
        ("pageSize=many", "pageSize"),
        ("stateMachine=Orders", "stateMachine"),
        ("stateMachine=arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aactivity%3Ax", "stateMachine"),
        ("next=garbage", "Token"),
        ("next=ex.5", "Token"),
    ] {
        let reply = api.get(&search(query)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {reply:?}");
        let error = reply.body["error"].as_str().unwrap_or_default();
        assert!(error.contains(names), "{query}: the error names {names}: {error}");
    }

    let page = api.get("/console/executions").await;
    assert_eq!((page.status, page.content_type.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
    assert!(page.body.as_str().unwrap().contains(r#"data-page="executions" data-arn="""#), "{page:?}");
    let page = api.get("/console/activities").await;
    assert!(page.body.as_str().unwrap().contains(r#"data-page="activities""#), "{page:?}");
    assert!(page.body.as_str().unwrap().contains(r#"href="/console/executions""#), "the header links the pages: {page:?}");
}

/// The Activities route: an activity's task waiting (with its execution) until a worker takes it, and the workers
/// waiting in GetActivityTask now, by the names they gave, gone once their call ends (answered, or hung up).
#[tokio::test]
async fn activities_show_their_workers_polling_and_their_tasks_waiting() {
    let api = api().await;
    let activity = api.ok("CreateActivity", json!({"name": "approve"})).await["activityArn"].as_str().expect("an ARN").to_owned();
    api.ok("CreateActivity", json!({"name": "idle"})).await;
    let definition = json!({"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": activity, "End": true}}});
    let machine = api.create("Asks", &definition).await;
    let started = api.ok("StartExecution", json!({"stateMachineArn": machine, "name": "waiting-one"})).await;
    let execution = started["executionArn"].as_str().expect("an ARN").to_owned();

    let queues = || async {
        let reply = api.get("/console/api/activities").await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        reply.body
    };
    let mut body = queues().await;
    for _ in 0..200 {
        if body["activities"][0]["waiting"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        body = queues().await;
    }
    let approve = &body["activities"][0];
    assert_eq!((approve["name"].as_str(), approve["waiting"].as_u64()), (Some("approve"), Some(1)), "{body}");
    assert_eq!(approve["tasks"][0]["executionArn"], execution.as_str(), "{body}");
    assert!(approve["tasks"][0]["since"].as_i64().is_some_and(|since| since > 1_700_000_000_000), "{body}");
    assert_eq!(approve["pollers"], json!([]));
    assert_eq!(body["activities"][1]["name"], "idle");
    assert_eq!(body["activities"].as_array().map(Vec::len), Some(2));

    // A worker takes the task; the next one waits, named, until its call ends.
    let worker = |name: &str| {
        let router = api.router.clone();
        let body = json!({"activityArn": activity, "workerName": name}).to_string();
        tokio::spawn(async move {
            let request = Request::post("/")
                .header("x-amz-target", "AWSStepFunctions.GetActivityTask")
                .header(header::CONTENT_TYPE, "application/x-amz-json-1.0")
                .body(Body::from(body))
                .expect("a request");
            tower::ServiceExt::oneshot(router, request).await.expect("a response").status()
        })
    };
    assert_eq!(worker("first").await.expect("the call"), StatusCode::OK);
    let second = worker("second-worker");
    let mut body = queues().await;
    for _ in 0..200 {
        if body["activities"][0]["pollers"].as_array().is_some_and(|p| !p.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        body = queues().await;
    }
    let approve = &body["activities"][0];
    assert_eq!((approve["waiting"].as_u64(), approve["tasks"].clone()), (Some(0), json!([])), "{body}");
    assert_eq!(approve["pollers"][0]["worker"], "second-worker", "{body}");
    assert_eq!(body["activities"][1]["pollers"], json!([]), "only the activity it polls");
    second.abort();
    let _ = second.await;
    assert_eq!(queues().await["activities"][0]["pollers"], json!([]), "a worker that hung up no longer waits");
}

/// An Express machine's page lists the Express executions the server keeps, with how long it keeps them.
#[tokio::test]
async fn an_express_machines_executions_are_listed_with_their_retention() {
    let api = api().await;
    let pass = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let created = api.ok("CreateStateMachine", json!({"name": "Quick", "type": "EXPRESS", "definition": pass.to_string(), "roleArn": ROLE})).await;
    let machine = created["stateMachineArn"].as_str().expect("an ARN");
    for name in ["first", "second"] {
        api.ok("StartSyncExecution", json!({"stateMachineArn": machine, "name": name})).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let path = format!("/console/api/state-machines/{}/executions", encode(machine));
    let reply = api.get(&path).await;
    assert_eq!((reply.body["express"].as_bool(), reply.body["retentionSeconds"].as_u64()), (Some(true), Some(300)), "{reply:?}");
    assert_eq!(api.names(&path).await.0, ["second", "first"]);
    assert_eq!(reply.body["executions"][0]["status"], "SUCCEEDED");
    assert_eq!(api.names(&format!("{path}?status=FAILED")).await.0, Vec::<String>::new());
    let (page, next) = api.names(&format!("{path}?pageSize=1")).await;
    assert_eq!(page, ["second"]);
    assert_eq!(api.names(&format!("{path}?pageSize=1&next={}", next.expect("a token"))).await.0, ["first"]);
}
