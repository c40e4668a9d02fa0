//! How Lambda task resources map onto local functions: names from ARNs, the `lambda:invoke` request and result shapes.
//!
//! Two resource forms call a Lambda function, and AWS shapes their results differently:
//!
//! - `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` sends the state's effective parameters (or input) as
//!   the payload; the task result is the function's result as is.
//! - `arn:aws:states:::lambda:invoke` takes `FunctionName` (a name, `NAME:QUALIFIER`, a partial ARN
//!   `ACCOUNT:function:NAME` or a full ARN) and `Payload` (absent or null = `{}`, a string is sent as is and must
//!   hold JSON, anything else is serialized); the task result is the Invoke API response:
//!   `{"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"}`.
//!
//! Failures look the same for both forms: a function error fails the task with the function's `errorType`
//! (`Lambda.Unknown` without one) and the error payload JSON as cause; Lambda service errors are
//! `Lambda.<ErrorCode>` with the AWS SDK's cause text (e.g. `Lambda.ResourceNotFoundException`).
//! `arn:aws:states:::lambda:invoke.waitForTaskToken` is recognised here; waiting for the callback is not this
//! module's job.

#[cfg(test)]
mod tests;

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::egress::Policy;
use crate::functions::{Functions, Invocation};
use crate::{Caller, TaskError, TaskOutcome, ids};

/// Where functions live when an ARN does not say (the region and account of the emulated AWS), and which hosts a
/// function given as a URL may be called at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The partition, `aws` by default.
    pub partition: String,
    /// The region, `us-east-1` by default.
    pub region: String,
    /// The account id, `123456789012` by default.
    pub account: String,
    /// Which hosts a function given as a URL may be called at (a refused call fails with
    /// `Lambda.SdkClientException`, as an unreachable endpoint does); open by default.
    pub egress: Policy,
}

/// A reference to a Lambda function, as a resource ARN or a `FunctionName` parameter gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    /// The function's name.
    pub name: String,
    /// A version or alias, if given.
    pub qualifier: Option<String>,
    /// The partition, if the reference is a full ARN.
    pub partition: Option<String>,
    /// The region, if the reference is a full ARN.
    pub region: Option<String>,
    /// The account, if the reference is a full or partial ARN.
    pub account: Option<String>,
}

/// The parts of a `lambda:invoke` response that vary between invocations (the rest is fixed by AWS's shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMeta {
    /// Lambda's request id (`x-amzn-RequestId`, `SdkResponseMetadata.RequestId`).
    pub request_id: String,
    /// The length of the response body (`Content-Length`).
    pub content_length: usize,
    /// The HTTP `Date` header.
    pub date: String,
    /// The `X-Amzn-Trace-Id` header.
    pub trace_id: String,
}

/// Which Lambda resource form a Task uses.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resource {
    Function(FunctionRef),
    Invoke,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            partition: "aws".to_owned(),
            region: "us-east-1".to_owned(),
            account: "123456789012".to_owned(),
            egress: Policy::default(),
        }
    }
}

impl FunctionRef {
    /// Parses a `FunctionName` as Lambda accepts it: `NAME`, `NAME:QUALIFIER`, `ACCOUNT:function:NAME[:QUALIFIER]`
    /// or `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
    pub fn parse(text: &str) -> Option<FunctionRef> {
        let parts: Vec<&str> = text.split(':').collect();
        let (partition, region, account, name, qualifier) = match parts.as_slice() {
            [name] => (None, None, None, *name, None),
            [name, qualifier] => (None, None, None, *name, Some(*qualifier)),
            [account, "function", name] => (None, None, Some(*account), *name, None),
            [account, "function", name, qualifier] => (None, None, Some(*account), *name, Some(*qualifier)),
            ["arn", partition, "lambda", region, account, "function", name] => {
                (Some(*partition), Some(*region), Some(*account), *name, None)
            }
            ["arn", partition, "lambda", region, account, "function", name, qualifier] => {
                (Some(*partition), Some(*region), Some(*account), *name, Some(*qualifier))
            }
            _ => return None,
        };
        let all = [Some(name), partition, region, account, qualifier];
        if all.iter().flatten().any(|part| part.is_empty()) {
            return None;
        }
        Some(FunctionRef {
            name: name.to_owned(),
            qualifier: qualifier.map(str::to_owned),
            partition: partition.map(str::to_owned),
            region: region.map(str::to_owned),
            account: account.map(str::to_owned),
        })
    }

    /// The qualified ARN Lambda names the function by in its errors (`…:function:NAME:$LATEST` when unqualified).
    pub fn arn(&self, options: &Options) -> String {
        format!(
            "arn:{}:lambda:{}:{}:function:{}:{}",
            self.partition.as_deref().unwrap_or(&options.partition),
            self.region.as_deref().unwrap_or(&options.region),
            self.account.as_deref().unwrap_or(&options.account),
            self.name,
            self.qualifier.as_deref().unwrap_or("$LATEST"),
        )
    }
}

/// Whether `resource` is a Lambda resource: a function ARN or `arn:aws:states:::lambda:invoke` (with or without
/// `.waitForTaskToken`).
pub fn is_lambda(resource: &str) -> bool {
    parse_resource(resource).is_some()
}

/// Whether `resource` is `arn:aws:states:::lambda:invoke.waitForTaskToken`: the task ends by callback, not by the
/// function's result.
pub fn is_wait_for_task_token(resource: &str) -> bool {
    is_lambda(resource) && resource.ends_with(".waitForTaskToken")
}

/// The name of the function a Lambda task calls: from the resource ARN, or from `FunctionName` in the effective
/// parameters for `lambda:invoke`. `None` when `resource` is not Lambda or names no function.
pub fn function_name(resource: &str, parameters: &Value) -> Option<String> {
    function_ref(resource, parameters).map(|function| function.name)
}

/// The function a Lambda task calls, with whatever qualifier, region and account its reference gives (a
/// `Qualifier` parameter of `lambda:invoke` counts when `FunctionName` has none).
pub fn function_ref(resource: &str, parameters: &Value) -> Option<FunctionRef> {
    match parse_resource(resource)? {
        Resource::Function(function) => Some(function),
        Resource::Invoke => {
            let mut function = FunctionRef::parse(parameters.get("FunctionName")?.as_str()?)?;
            if function.qualifier.is_none() {
                function.qualifier = parameters.get("Qualifier").and_then(Value::as_str).map(str::to_owned);
            }
            Some(function)
        }
    }
}

/// Invokes a Lambda task resource with the state's effective parameters, through `functions`, in the default
/// region and account and under an open egress policy, for `caller`.
pub fn invoke(functions: &Functions, resource: &str, parameters: &Value, caller: Caller<'_>) -> TaskOutcome {
    invoke_with(functions, resource, parameters, &Options::default(), caller)
}

/// `invoke`, with the region and account that unqualified function references resolve to, and the egress policy.
pub fn invoke_with(
    functions: &Functions,
    resource: &str,
    parameters: &Value,
    options: &Options,
    caller: Caller<'_>,
) -> TaskOutcome {
    let Some(kind) = parse_resource(resource) else {
        return Err(TaskError::new(
            "States.Runtime",
            format!("'{resource}' is not a Lambda resource"),
        ));
    };
    match kind {
        Resource::Function(function) => {
            let invocation = functions.call_as(&function.name, &function.arn(options), &parameters.to_string(), &options.egress, caller)?;
            Ok(invocation.result)
        }
        Resource::Invoke => {
            let Some(fields) = parameters.as_object() else {
                let message = format!("The parameters of '{resource}' must be an object, found {parameters}");
                return Err(TaskError::new("States.Runtime", message));
            };
            let Some(function) = function_ref(resource, parameters) else {
                let message = match fields.get("FunctionName") {
                    None => "The field 'FunctionName' is required but was missing".to_owned(),
                    Some(name) => format!("The field 'FunctionName' is not a valid function name or ARN: {name}"),
                };
                return Err(TaskError::new("States.Runtime", message));
            };
            let body = match fields.get("Payload") {
                None | Some(Value::Null) => "{}".to_owned(),
                Some(Value::String(text)) => text.clone(),
                Some(payload) => payload.to_string(),
            };
            let invocation = functions.call_as(&function.name, &function.arn(options), &body, &options.egress, caller)?;
            Ok(invoke_response(invocation))
        }
    }
}

/// The `lambda:invoke` task result for a successful invocation, stamped with the current time.
pub fn invoke_response(invocation: Invocation) -> Value {
    let now = SystemTime::now();
    let meta = ResponseMeta {
        request_id: invocation.request_id,
        content_length: invocation.body_len,
        date: ids::http_date(now),
        trace_id: ids::trace_id(now),
    };
    service_result(invocation.result, &meta)
}

/// The `lambda:invoke` task result: AWS's Invoke response envelope around `payload`, keys in AWS's order.
pub fn service_result(payload: Value, meta: &ResponseMeta) -> Value {
    let length = meta.content_length.to_string();
    let mut all = Map::new();
    all.insert("X-Amz-Executed-Version".to_owned(), json!(["$LATEST"]));
    all.insert("x-amzn-Remapped-Content-Length".to_owned(), json!(["0"]));
    all.insert("Connection".to_owned(), json!(["keep-alive"]));
    all.insert("x-amzn-RequestId".to_owned(), json!([meta.request_id]));
    all.insert("Content-Length".to_owned(), json!([length]));
    all.insert("Date".to_owned(), json!([meta.date]));
    all.insert("X-Amzn-Trace-Id".to_owned(), json!([meta.trace_id]));
    all.insert("Content-Type".to_owned(), json!(["application/json"]));
    let mut headers = Map::new();
    headers.insert("Connection".to_owned(), json!("keep-alive"));
    headers.insert("Content-Length".to_owned(), json!(length));
    headers.insert("Content-Type".to_owned(), json!("application/json"));
    headers.insert("Date".to_owned(), json!(meta.date));
    headers.insert("X-Amz-Executed-Version".to_owned(), json!("$LATEST"));
    headers.insert("x-amzn-Remapped-Content-Length".to_owned(), json!("0"));
    headers.insert("x-amzn-RequestId".to_owned(), json!(meta.request_id));
    headers.insert("X-Amzn-Trace-Id".to_owned(), json!(meta.trace_id));
    let mut http = Map::new();
    http.insert("AllHttpHeaders".to_owned(), Value::Object(all));
    http.insert("HttpHeaders".to_owned(), Value::Object(headers));
    http.insert("HttpStatusCode".to_owned(), json!(200));
    let mut result = Map::new();
    result.insert("ExecutedVersion".to_owned(), json!("$LATEST"));
    result.insert("Payload".to_owned(), payload);
    result.insert("SdkHttpMetadata".to_owned(), Value::Object(http));
    result.insert(
        "SdkResponseMetadata".to_owned(),
        json!({ "RequestId": meta.request_id }),
    );
    result.insert("StatusCode".to_owned(), json!(200));
    Value::Object(result)
}

/// Parses a Lambda resource: `arn:P:lambda:R:A:function:NAME[:Q]` or `arn:P:states:::lambda:invoke[.waitForTaskToken]`.
fn parse_resource(resource: &str) -> Option<Resource> {
    if resource.starts_with("arn:") && resource.split(':').nth(2) == Some("lambda") {
        return FunctionRef::parse(resource).map(Resource::Function);
    }
    let mut parts = resource.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("states"), Some(""), Some(""), Some(rest)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let known = ["lambda:invoke", "lambda:invoke.waitForTaskToken"];
    (!partition.is_empty() && known.contains(&rest)).then_some(Resource::Invoke)
}
