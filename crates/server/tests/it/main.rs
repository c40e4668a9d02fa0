//! Integration tests of `server`: the router driven with `tower::ServiceExt::oneshot`, no sockets.
//!
//! Each test opens a `runtime::service::Service` on a fresh temporary data directory and sends it HTTP requests as
//! an AWS SDK would. They test the wire layer: routing on `X-Amz-Target`, request extraction and validation, the
//! error shape, and the rendering of what the service returns. They use resources that do not exist, so their
//! expectations hold whatever the service stores.

mod actions;
mod console;
mod console_sign_in;
mod creating;
mod encryption;
mod executions;
mod fuzz;
mod map_runs;
mod partitions;
mod props;
mod requests;
mod routing;
mod tagging;
mod test_state;
mod validation;
mod versions;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

use runtime::service::{Config, Service};

/// An `Authorization` header as SDKs send it; Baton accepts any credentials.
const SIGNATURE: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/states/aws4_request, \
                         SignedHeaders=host;x-amz-date;x-amz-target, Signature=0";

/// A router over a service on its own data directory.
struct Api {
    router: Router,
    _dir: TempDir,
}

/// What came back: status, `Content-Type`, and the body as JSON (or as a JSON string when it is not JSON).
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    content_type: String,
    body: Value,
}

impl Reply {
    /// The `__type` of an error reply.
    fn code(&self) -> &str {
        self.body["__type"].as_str().unwrap_or("")
    }

    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }

    /// Asserts an AWS error reply: HTTP 400, AWS JSON, exactly `__type` and `message`.
    #[track_caller]
    fn assert_error(&self, code: &str) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{self:?}");
        assert_eq!(self.content_type, "application/x-amz-json-1.0");
        assert_eq!(self.code(), code, "{self:?}");
        let keys: Vec<&String> = self
            .body
            .as_object()
            .expect("an error body is an object")
            .keys()
            .collect();
        assert_eq!(keys, ["__type", "message"]);
    }
}

async fn service(dir: &TempDir) -> Service {
    service_in(dir, "us-east-1").await
}

async fn service_in(dir: &TempDir, region: &str) -> Service {
    Service::open(config_in(dir, region))
        .await
        .expect("the service opens on an empty directory")
}

/// The configuration of a service on `dir` whose ARNs name `region`.
fn config_in(dir: &TempDir, region: &str) -> Config {
    Config {
        region: region.to_owned(),
        account_id: "123456789012".to_owned(),
        data_dir: dir.path().to_owned(),
        database_url: None,
        lease_ms: 10_000,
        address: String::new(),
        limits: engine::Limits::default(),
        resources: Arc::new(runtime::Resources::default()),
        mock_config: None,
        express_retention_seconds: 300,
        max_evaluation_ms: runtime::DEFAULT_MAX_EVALUATION_MS,
        retention_ms: None,
        virtual_time: false,
        admin: false,
        park_after_ms: runtime::DEFAULT_PARK_AFTER_MS,
        execution_log: None,
        events: runtime::service::Events::default(),
        traces: None,
    }
}

async fn api() -> Api {
    api_in("us-east-1").await
}

/// A router over a service whose ARNs name `region`.
async fn api_in(region: &str) -> Api {
    let dir = tempfile::tempdir().expect("a temporary directory");
    Api {
        router: server::router(service_in(&dir, region).await),
        _dir: dir,
    }
}

impl Api {
    /// `POST /` with `X-Amz-Target: AWSStepFunctions.<action>` and `body`, as an SDK sends it.
    async fn call(&self, action: &str, body: &str) -> Reply {
        let request = Request::post("/")
            .header("x-amz-target", format!("AWSStepFunctions.{action}"))
            .header(header::CONTENT_TYPE, "application/x-amz-json-1.0")
            .header(header::AUTHORIZATION, SIGNATURE)
            .body(Body::from(body.to_owned()))
            .expect("a valid request");
        self.send(request).await
    }

    /// Calls `action` and expects HTTP 200; returns the body.
    async fn ok(&self, action: &str, body: Value) -> Value {
        let reply = self.call(action, &body.to_string()).await;
        assert_eq!(reply.status, StatusCode::OK, "{action}: {reply:?}");
        reply.body
    }

    /// Calls `action` and expects the AWS error `code`; returns its message.
    async fn error(&self, action: &str, body: Value, code: &str) -> String {
        let reply = self.call(action, &body.to_string()).await;
        reply.assert_error(code);
        reply.message().to_owned()
    }

    /// Waits for the execution `arn` to end; returns DescribeExecution.
    async fn finished(&self, arn: &Value) -> Value {
        for _ in 0..1000 {
            let described = self.ok("DescribeExecution", serde_json::json!({"executionArn": arn})).await;
            if described["status"] != "RUNNING" {
                return described;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{arn} did not finish");
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|value| value.to_str().expect("an ASCII Content-Type").to_owned())
            .unwrap_or_default();
        let bytes = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a buffered body");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Reply {
            status,
            content_type,
            body,
        }
    }
}
