//! Routing: `X-Amz-Target`, hosts, content types, methods and paths.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::api;

const IMPLEMENTED: [&str; 37] = [
    "CreateStateMachine",
    "DescribeStateMachine",
    "UpdateStateMachine",
    "DeleteStateMachine",
    "ListStateMachines",
    "DescribeStateMachineForExecution",
    "StartExecution",
    "StartSyncExecution",
    "StopExecution",
    "DescribeExecution",
    "ListExecutions",
    "GetExecutionHistory",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "ValidateStateMachineDefinition",
    "SendTaskSuccess",
    "SendTaskFailure",
    "SendTaskHeartbeat",
    "CreateActivity",
    "DescribeActivity",
    "DeleteActivity",
    "ListActivities",
    "GetActivityTask",
    "RedriveExecution",
    "PublishStateMachineVersion",
    "ListStateMachineVersions",
    "DeleteStateMachineVersion",
    "CreateStateMachineAlias",
    "DescribeStateMachineAlias",
    "UpdateStateMachineAlias",
    "DeleteStateMachineAlias",
    "ListStateMachineAliases",
    "TestState",
    "DescribeMapRun",
    "ListMapRuns",
    "UpdateMapRun",
];

fn post(target: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::post("/").header(header::CONTENT_TYPE, "application/x-amz-json-1.0");
    if let Some(target) = target {
        request = request.header("x-amz-target", target);
    }
    request.body(Body::from(body.to_owned())).expect("a valid request")
}

#[tokio::test]
async fn home_page_names_baton_and_the_api() {
    let api = api().await;
    let request = Request::get("/")
        .header(header::HOST, "localhost:8083")
        .body(Body::empty())
        .unwrap();
    let reply = api.send(request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type, "text/plain; charset=utf-8");
    let text = reply.body.as_str().unwrap();
    assert!(text.starts_with("Baton"), "{text}");
    assert!(text.contains("X-Amz-Target: AWSStepFunctions.<Action>"), "{text}");
    assert!(text.contains("--endpoint-url http://localhost:8083"), "{text}");
}

#[tokio::test]
async fn missing_target_is_an_unknown_operation() {
    let reply = api().await.send(post(None, "{}")).await;
    reply.assert_error("UnknownOperationException");
    assert_eq!(
        reply.message(),
        "missing X-Amz-Target header: send AWSStepFunctions.<Action>"
    );
}

#[tokio::test]
async fn foreign_or_malformed_targets_are_unknown_operations() {
    let api = api().await;
    for target in [
        "DynamoDB_20120810.ListTables",
        "ListStateMachines",
        "awsstepfunctions.ListStateMachines",
        "",
        ".",
    ] {
        let reply = api.send(post(Some(target), "{}")).await;
        reply.assert_error("UnknownOperationException");
        assert_eq!(
            reply.message(),
            format!("unknown operation: '{target}' is not AWSStepFunctions.<Action>")
        );
    }
}

#[tokio::test]
async fn unknown_actions_are_unknown_operations() {
    let api = api().await;
    for action in ["Frobnicate", "listStateMachines", "", "ListStateMachines.Extra"] {
        let reply = api.call(action, "{}").await;
        reply.assert_error("UnknownOperationException");
        assert_eq!(reply.message(), format!("unknown operation: {action}"));
    }
}

#[tokio::test]
async fn aws_actions_baton_lacks_are_named() {
    let api = api().await;
    let missing: Vec<&str> = ::api::ACTIONS
        .into_iter()
        .filter(|action| !IMPLEMENTED.contains(action))
        .collect();
    assert_eq!(missing.len(), 0);
    for action in missing {
        let reply = api.call(action, "{}").await;
        reply.assert_error("UnknownOperationException");
        assert_eq!(reply.message(), format!("Baton does not implement {action} yet"));
    }
}

#[tokio::test]
async fn every_implemented_action_is_routed_to_its_handler() {
    // An empty object reaches each handler; those with required members reject it with the member's name, which
    // only the right handler knows.
    let api = api().await;
    let required = [
        ("CreateStateMachine", Some("name")),
        ("DescribeStateMachine", Some("stateMachineArn")),
        ("UpdateStateMachine", Some("stateMachineArn")),
        ("DeleteStateMachine", Some("stateMachineArn")),
        ("ListStateMachines", None),
        ("DescribeStateMachineForExecution", Some("executionArn")),
        ("StartExecution", Some("stateMachineArn")),
        ("StartSyncExecution", Some("stateMachineArn")),
        ("StopExecution", Some("executionArn")),
        ("DescribeExecution", Some("executionArn")),
        ("ListExecutions", None),
        ("GetExecutionHistory", Some("executionArn")),
        ("TagResource", Some("resourceArn")),
        ("UntagResource", Some("resourceArn")),
        ("ListTagsForResource", Some("resourceArn")),
        ("ValidateStateMachineDefinition", Some("definition")),
        ("SendTaskSuccess", Some("taskToken")),
        ("SendTaskFailure", Some("taskToken")),
        ("SendTaskHeartbeat", Some("taskToken")),
        ("CreateActivity", Some("name")),
        ("DescribeActivity", Some("activityArn")),
        ("DeleteActivity", Some("activityArn")),
        ("ListActivities", None),
        ("GetActivityTask", Some("activityArn")),
        ("RedriveExecution", Some("executionArn")),
        ("PublishStateMachineVersion", Some("stateMachineArn")),
        ("ListStateMachineVersions", Some("stateMachineArn")),
        ("DeleteStateMachineVersion", Some("stateMachineVersionArn")),
        ("CreateStateMachineAlias", Some("name")),
        ("DescribeStateMachineAlias", Some("stateMachineAliasArn")),
        ("UpdateStateMachineAlias", Some("stateMachineAliasArn")),
        ("DeleteStateMachineAlias", Some("stateMachineAliasArn")),
        ("ListStateMachineAliases", Some("stateMachineArn")),
        ("TestState", Some("definition")),
        ("DescribeMapRun", Some("mapRunArn")),
        ("ListMapRuns", Some("executionArn")),
        ("UpdateMapRun", Some("mapRunArn")),
    ];
    assert_eq!(required.map(|(action, _)| action), IMPLEMENTED);
    for (action, member) in required {
        let reply = api.call(action, "{}").await;
        match member {
            Some(member) => {
                reply.assert_error("ValidationException");
                assert!(
                    reply.message().contains(&format!("Value null at '{member}'")),
                    "{action}: {reply:?}"
                );
            }
            None if action == "ListStateMachines" || action == "ListActivities" => {
                assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
            }
            None => {
                reply.assert_error("ValidationException");
                assert_eq!(reply.message(), "Must specify either stateMachineArn or mapRunArn");
            }
        }
    }
}

#[tokio::test]
async fn any_host_is_accepted_including_the_sync_prefix() {
    let api = api().await;
    for host in [
        "sync-localhost:8083",
        "sync-127.0.0.1:8083",
        "states.us-east-1.amazonaws.com",
        "baton.internal",
    ] {
        let request = Request::post("/")
            .header(header::HOST, host)
            .header("x-amz-target", "AWSStepFunctions.StartSyncExecution")
            .header(header::CONTENT_TYPE, "application/x-amz-json-1.0")
            .body(Body::from(
                r#"{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:none"}"#,
            ))
            .unwrap();
        api.send(request).await.assert_error("StateMachineDoesNotExist");
    }
}

#[tokio::test]
async fn json_content_types_and_none_are_accepted() {
    let api = api().await;
    for content_type in [
        Some("application/x-amz-json-1.0"),
        Some("application/x-amz-json-1.1"),
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("Application/X-Amz-Json-1.0"),
        None,
    ] {
        let mut request = Request::post("/").header("x-amz-target", "AWSStepFunctions.ListStateMachines");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let reply = api.send(request.body(Body::from("{}")).unwrap()).await;
        assert_eq!(reply.status, StatusCode::OK, "{content_type:?}: {reply:?}");
        assert_eq!(reply.content_type, "application/x-amz-json-1.0");
    }
}

#[tokio::test]
async fn other_content_types_are_refused() {
    let api = api().await;
    for content_type in ["application/x-www-form-urlencoded", "text/plain", "application/xml"] {
        let request = Request::post("/")
            .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from("{}"))
            .unwrap();
        let reply = api.send(request).await;
        reply.assert_error("SerializationException");
        assert_eq!(
            reply.message(),
            format!("unsupported Content-Type '{content_type}': send application/x-amz-json-1.0 with a JSON body")
        );
    }
}

#[tokio::test]
async fn other_methods_and_paths_are_http_errors() {
    let api = api().await;
    let put = Request::put("/").body(Body::empty()).unwrap();
    assert_eq!(api.send(put).await.status, StatusCode::METHOD_NOT_ALLOWED);
    let elsewhere = Request::post("/v1/foo").header("x-amz-target", "AWSStepFunctions.ListStateMachines");
    assert_eq!(
        api.send(elsewhere.body(Body::empty()).unwrap()).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Over a real socket, a request for an unknown action (or with no `X-Amz-Target`, or another Content-Type) is
/// answered and the connection stays open for the next request, as SDKs reuse it: its body is read even though no
/// handler wants it.
#[tokio::test]
async fn an_unknown_action_keeps_the_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().expect("a temporary directory");
    let service = crate::service(&dir).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("an address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(listener, service, async move {
        let _ = stopped.await;
    }));
    let mut socket = tokio::net::TcpStream::connect(address).await.expect("a connection");
    let body = format!("{{\"padding\": \"{}\"}}", "x".repeat(100_000));
    let json = "application/x-amz-json-1.0";
    for (target, content_type) in [
        ("AWSStepFunctions.NoSuchAction", json),
        ("", json),
        ("AWSStepFunctions.ListStateMachines", "text/plain"),
        ("AWSStepFunctions.ListStateMachines", json),
    ] {
        let target = if target.is_empty() { String::new() } else { format!("X-Amz-Target: {target}\r\n") };
        let request = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n{target}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(request.as_bytes()).await.expect("the request is sent");
        let mut response = Vec::new();
        let mut buffer = [0u8; 4096];
        // Read the head, then as much body as Content-Length says.
        let length = loop {
            let n = tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut buffer))
                .await
                .expect("an answer in time")
                .expect("a read");
            assert_ne!(n, 0, "the server closed the connection after {} bytes: {:?}", response.len(), String::from_utf8_lossy(&response));
            response.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&response).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                    .unwrap_or(0);
                if response.len() >= end + 4 + length {
                    break end + 4 + length;
                }
            }
        };
        let text = String::from_utf8_lossy(&response[..length]).into_owned();
        assert!(!text.to_ascii_lowercase().contains("connection: close"), "{text}");
        if target.is_empty() || target.contains("NoSuchAction") {
            assert!(text.starts_with("HTTP/1.1 400"), "{text}");
            assert!(text.contains("UnknownOperationException"), "{text}");
        } else if content_type != json {
            assert!(text.starts_with("HTTP/1.1 400"), "{text}");
            assert!(text.contains("SerializationException"), "{text}");
        } else {
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        }
    }
    let _ = stop.send(());
    drop(socket);
    server.await.expect("the server task").expect("the server ends cleanly");
}

/// `GET /healthz` answers while the process serves; `GET /readyz` while the service takes work, and 503 with why
/// once it shuts down.
#[tokio::test]
async fn health_and_readiness_probes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let service = crate::service(&dir).await;
    let router = server::router(service.clone());
    let get = |path: &str| Request::get(path).body(Body::empty()).expect("a valid request");
    let probe = |response: axum::response::Response| async move {
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a body");
        (status, serde_json::from_slice::<serde_json::Value>(&bytes).expect("JSON"))
    };
    use tower::ServiceExt;
    let (status, body) = probe(router.clone().oneshot(get("/healthz")).await.expect("an answer")).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, body) = probe(router.clone().oneshot(get("/readyz")).await.expect("an answer")).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ready")));
    service.shutdown().await;
    let (status, body) = probe(router.clone().oneshot(get("/readyz")).await.expect("an answer")).await;
    assert_eq!((status, body["why"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("shutting down")));
    let (status, _) = probe(router.oneshot(get("/healthz")).await.expect("an answer")).await;
    assert_eq!(status, StatusCode::OK);
}

/// `POST /baton/admin/reset` (`--admin`) resets for a test suite, never for another site's page: a form could post
/// there without any custom header.
#[tokio::test]
async fn the_admin_reset_refuses_other_sites_pages() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut config = crate::config_in(&dir, "us-east-1");
    config.admin = true;
    let service = runtime::service::Service::open(config).await.expect("the service opens");
    let api = crate::Api { router: server::router(service), _dir: dir };
    let reset = |foreign: Option<(&'static str, &'static str)>| {
        let mut request = Request::post("/baton/admin/reset").header(header::HOST, "127.0.0.1:8083");
        if let Some((name, value)) = foreign {
            request = request.header(name, value);
        }
        api.send(request.body(Body::empty()).expect("a request"))
    };
    for foreign in [("sec-fetch-site", "cross-site"), ("origin", "http://attacker.example"), ("origin", "null")] {
        let reply = reset(Some(foreign)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{foreign:?}: {reply:?}");
    }
    assert_eq!(reset(None).await.status, StatusCode::OK, "a test suite's reset");
    assert_eq!(reset(Some(("origin", "http://127.0.0.1:8083"))).await.status, StatusCode::OK);
}
