//! `apigateway:invoke` (and `.waitForTaskToken`): a call of an API that API Gateway serves, made as the Step
//! Functions developer guide describes it (connect-api-gateway). It is no service model's action: the parameters name
//! the API's host (`ApiEndpoint`), `Method`, `Stage`, `Path`, `QueryParameters` and `Headers` (each a list of
//! values), `RequestBody` (JSON, sent without its nulls unless `AllowNullValues`, or text) and `AuthType`; the result
//! is `{ResponseBody, StatusCode, StatusText, Headers}`, and an answer with an error status fails the task with
//! `ApiGateway.<status>` and the answer's body as the cause.
//!
//! `IAM_ROLE` signs the request with SigV4 for `execute-api`, as the task's role (`Credentials.RoleArn`) or the
//! default chain's identity; the region is the one in the endpoint's name, else the configuration's. The guide does
//! not say how `RESOURCE_POLICY` authenticates: a resource policy can only grant an IAM principal a signed request,
//! so Baton signs it the same way. `NO_AUTH` sends it unsigned.
//!
//! Baton's addition for local stand-ins: an `ApiEndpoint` that starts with `http://` or `https://` is used as the
//! base URL as written (AWS takes a host name only, and calls it over HTTPS).

use serde_json::{Map, Value, json};

use super::{Answer, Aws, CallError, Signing, canonical_header, endpoint, sign};
use crate::{Caller, TaskError, TaskOutcome};

/// The service of `apigateway:invoke`'s `Target`: the signing name of the calls it makes.
pub(crate) const SERVICE: &str = "execute-api";

/// The error prefix of its failures (`ApiGateway.404`).
const PREFIX: &str = "ApiGateway";

/// The HTTP methods the guide lists for `Method`.
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// The methods whose requests may carry `RequestBody`.
const WITH_BODY: &[&str] = &["POST", "PUT", "PATCH"];

/// Headers the guide says Step Functions refuses in `Headers`, and the prefixes it refuses (lower case).
const RESERVED: &[&str] = &[
    "authorization",
    "connection",
    "content-md5",
    "expect",
    "host",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "te",
    "transfer-encoding",
    "trailer",
    "upgrade",
    "via",
    "www-authenticate",
];
const RESERVED_PREFIXES: &[&str] = &["x-forwarded", "x-amz", "x-amzn"];

/// The parameters the guide documents; any other is refused, as Step Functions refuses it in a definition.
const PARAMETERS: &[&str] = &["ApiEndpoint", "Method", "Headers", "Stage", "Path", "QueryParameters", "RequestBody", "AllowNullValues", "AuthType"];

/// How the request is authorized (`AuthType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `NO_AUTH` (the default): unsigned.
    None,
    /// `IAM_ROLE` or `RESOURCE_POLICY`: signed with SigV4 for `execute-api`.
    Signed,
}

/// The request a task's parameters describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invocation {
    pub(crate) method: String,
    /// `scheme://host[:port]`, without a trailing slash.
    pub(crate) base: String,
    /// Percent-encoded; starts with `/`.
    pub(crate) path_and_query: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) auth: Auth,
    /// The region in the endpoint's name (`<id>.execute-api.<region>.amazonaws.com`), if it has one.
    pub(crate) region: Option<String>,
}

impl Invocation {
    /// The request `parameters` describe; `Err` says which parameter is wrong, as Step Functions words it where the
    /// guide or its errors show how.
    pub(crate) fn of(parameters: &Value) -> Result<Invocation, String> {
        let Value::Object(fields) = parameters else {
            return Err("the parameters of apigateway:invoke must be an object".to_owned());
        };
        if let Some(unknown) = fields.keys().find(|key| !PARAMETERS.contains(&key.as_str())) {
            return Err(format!("The field '{unknown}' is not supported by Step Functions"));
        }
        let text = |name: &str| match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.as_str())),
            Some(_) => Err(format!("The value of the field '{name}' must be a string")),
        };
        let endpoint = text("ApiEndpoint")?.filter(|e| !e.trim().is_empty()).ok_or("The field 'ApiEndpoint' is required")?;
        let method = text("Method")?.ok_or("The field 'Method' is required")?;
        if !METHODS.contains(&method) {
            return Err(format!("The value of the field 'Method' must be one of {}", METHODS.join(", ")));
        }
        let auth = match text("AuthType")?.unwrap_or("NO_AUTH") {
            "NO_AUTH" => Auth::None,
            "IAM_ROLE" | "RESOURCE_POLICY" => Auth::Signed,
            other => return Err(format!("The value '{other}' of the field 'AuthType' must be NO_AUTH, IAM_ROLE or RESOURCE_POLICY")),
        };
        let (base, host) = match endpoint.split_once("://") {
            Some((scheme, rest)) if scheme == "http" || scheme == "https" => (endpoint.trim_end_matches('/').to_owned(), rest.split('/').next().unwrap_or_default()),
            _ if endpoint.contains('/') => return Err("The value of the field 'ApiEndpoint' must be a host name".to_owned()),
            _ => (format!("https://{endpoint}"), endpoint),
        };
        let labels: Vec<&str> = host.split(':').next().unwrap_or_default().split('.').collect();
        let region = match labels.as_slice() {
            [_, "execute-api", region, ..] => Some((*region).to_owned()),
            _ => None,
        };

        let mut path = String::new();
        for part in [text("Stage")?, text("Path")?].into_iter().flatten() {
            for segment in part.split('/').filter(|s| !s.is_empty()) {
                path.push('/');
                path.push_str(&encode(segment, true));
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        let query = lists(fields, "QueryParameters")?;
        if !query.is_empty() {
            let pairs: Vec<String> = query.iter().map(|(name, value)| format!("{}={}", encode(name, false), encode(value, false))).collect();
            path.push('?');
            path.push_str(&pairs.join("&"));
        }

        let headers = lists(fields, "Headers")?;
        let refused: Vec<String> = headers
            .iter()
            .map(|(name, _)| name.to_ascii_lowercase())
            .filter(|name| RESERVED.contains(&name.as_str()) || RESERVED_PREFIXES.iter().any(|p| name.starts_with(p)))
            .collect();
        if !refused.is_empty() {
            return Err(format!("The 'Headers' field contains unsupported values: [{}]", refused.join(", ")));
        }
        let mut headers = headers;
        let keep_nulls = match fields.get("AllowNullValues") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(allow)) => *allow,
            Some(_) => return Err("The value of the field 'AllowNullValues' must be a boolean".to_owned()),
        };
        let body = match fields.get("RequestBody") {
            None | Some(Value::Null) => Vec::new(),
            Some(_) if !WITH_BODY.contains(&method) => {
                return Err(format!("The field 'RequestBody' is supported only for the methods {}", WITH_BODY.join(", ")));
            }
            Some(Value::String(text)) => text.clone().into_bytes(),
            Some(json) => {
                if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
                    headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
                }
                let json = if keep_nulls { json.clone() } else { without_nulls(json) };
                json.to_string().into_bytes()
            }
        };
        Ok(Invocation { method: method.to_owned(), base, path_and_query: path, headers, body, auth, region })
    }

    /// The request as a service call's, for checks of definitions.
    pub(crate) fn into_request(self) -> sdk::protocol::Request {
        sdk::protocol::Request { method: self.method, path_and_query: self.path_and_query, host_prefix: None, headers: self.headers, body: self.body }
    }
}

/// The name–value pairs of a parameter that maps each name to a list of strings (`Headers`, `QueryParameters`).
fn lists(fields: &Map<String, Value>, name: &str) -> Result<Vec<(String, String)>, String> {
    let invalid = || format!("The value of the field '{name}' has an invalid format: each name takes a list of strings");
    let mut pairs = Vec::new();
    match fields.get(name) {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            for (key, values) in entries {
                for value in values.as_array().ok_or_else(invalid)? {
                    pairs.push((key.clone(), value.as_str().ok_or_else(invalid)?.to_owned()));
                }
            }
        }
        Some(_) => return Err(invalid()),
    }
    Ok(pairs)
}

/// `value` without the object members whose value is `null` (at any depth; array items are kept).
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(fields.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Percent-encodes `text` for a path segment (`segment`) or a query string: unreserved characters stay, and in a
/// segment also the sub-delimiters, `:` and `@`.
fn encode(text: &str, segment: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (segment && matches!(byte, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@'));
        if keep {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The task's outcome from the API's answer: `{ResponseBody, StatusCode, StatusText, Headers}` (the body parsed when
/// it is JSON, else as text; each header with the list of its values), or for a status of 400 and above
/// `ApiGateway.<status>` with the body as the cause. (The guide shows no 3xx answer; Baton returns it as a result.)
pub(crate) fn outcome(answer: &Answer) -> TaskOutcome {
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    if answer.status >= 400 {
        return Err(TaskError::new(format!("{PREFIX}.{}", answer.status), text));
    }
    let json = answer.headers.iter().any(|(name, value)| name.eq_ignore_ascii_case("content-type") && value.to_ascii_lowercase().contains("json"));
    let body = if json { serde_json::from_str(&text).unwrap_or(Value::String(text)) } else { Value::String(text) };
    let mut headers: Map<String, Value> = Map::new();
    for (name, value) in &answer.headers {
        if let Value::Array(values) = headers.entry(canonical_header(name)).or_insert_with(|| Value::Array(Vec::new())) {
            values.push(Value::String(value.clone()));
        }
    }
    let reason = reqwest::StatusCode::from_u16(answer.status).ok().and_then(|s| s.canonical_reason()).unwrap_or_default();
    Ok(json!({"ResponseBody": body, "StatusCode": answer.status, "StatusText": reason, "Headers": headers}))
}

impl Aws {
    /// Makes the `apigateway:invoke` call `parameters` describe.
    pub(super) async fn invoke_api(&self, parameters: &Value, caller: Caller<'_>) -> Result<Value, CallError> {
        let invocation = Invocation::of(parameters).map_err(CallError::Cannot)?;
        let url = format!("{}{}", invocation.base, invocation.path_and_query);
        let refused = |why: String| CallError::Failed(TaskError::new(format!("{PREFIX}.SdkClientException"), format!("Unable to execute HTTP request: {why}")));
        self.inner.permitted(&url).await.map_err(refused)?;
        let mut headers = invocation.headers;
        if let Some(trace) = caller.trace {
            trace.add_to(&mut headers, true);
        }
        if invocation.auth == Auth::Signed {
            let config = self.inner.config().await;
            let credentials = self.inner.identity(config, caller.role_arn).await.map_err(CallError::Cannot)?;
            let region = invocation.region.unwrap_or_else(|| config.region().map_or(endpoint::DEFAULT_REGION, |r| r.as_ref()).to_owned());
            let signing = Signing { name: SERVICE, region: &region, credentials: &credentials };
            let signed = sign(&signing, &invocation.method, &url, &headers, &invocation.body).map_err(CallError::Cannot)?;
            headers.extend(signed);
        }
        let answer = self
            .inner
            .transmit(&invocation.method, &url, &headers, invocation.body)
            .await
            .map_err(|why| CallError::Failed(TaskError::new(format!("{PREFIX}.SdkClientException"), format!("Unable to execute HTTP request: {why}"))))?;
        tracing::debug!(execution_arn = caller.execution_arn, state = caller.state, url, status = answer.status, "API Gateway call answered");
        outcome(&answer).map_err(CallError::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::{Answer, Auth, Invocation, outcome};
    use serde_json::json;

    #[test]
    fn parameters_make_the_request() {
        let invocation = Invocation::of(&json!({
            "ApiEndpoint": "abc123.execute-api.eu-west-1.amazonaws.com", "Method": "POST", "Stage": "prod", "Path": "/orders/o 1",
            "QueryParameters": {"q": ["a b", "c&d"]}, "Headers": {"TaskToken": ["t1"], "X-Custom": ["1", "2"]},
            "RequestBody": {"a": 1, "b": null, "c": [null]}, "AuthType": "IAM_ROLE"
        }))
        .expect("a request");
        assert_eq!(invocation.method, "POST");
        assert_eq!(invocation.base, "https://abc123.execute-api.eu-west-1.amazonaws.com");
        assert_eq!(invocation.path_and_query, "/prod/orders/o%201?q=a%20b&q=c%26d");
        assert_eq!(invocation.region.as_deref(), Some("eu-west-1"));
        assert_eq!(invocation.auth, Auth::Signed);
        let headers: Vec<(&str, &str)> = invocation.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(headers, [("TaskToken", "t1"), ("X-Custom", "1"), ("X-Custom", "2"), ("Content-Type", "application/json")]);
        assert_eq!(String::from_utf8_lossy(&invocation.body), r#"{"a":1,"c":[null]}"#, "nulls are dropped without AllowNullValues");

        let kept = Invocation::of(&json!({"ApiEndpoint": "http://127.0.0.1:9/", "Method": "PUT", "RequestBody": {"b": null}, "AllowNullValues": true}))
            .expect("a request");
        assert_eq!((kept.base.as_str(), kept.path_and_query.as_str(), kept.auth, kept.region), ("http://127.0.0.1:9", "/", Auth::None, None));
        assert_eq!(String::from_utf8_lossy(&kept.body), r#"{"b":null}"#);
        let text = Invocation::of(&json!({"ApiEndpoint": "h.example", "Method": "POST", "RequestBody": "plain"})).expect("a request");
        assert_eq!((text.body.as_slice(), text.headers.len()), (&b"plain"[..], 0));
    }

    #[test]
    fn wrong_parameters_are_refused() {
        for (parameters, why) in [
            (json!({"Method": "GET"}), "The field 'ApiEndpoint' is required"),
            (json!({"ApiEndpoint": "h", "Method": "TRACE"}), "The value of the field 'Method' must be one of"),
            (json!({"ApiEndpoint": "h", "Method": "GET", "Headers": {"Authorization": ["x"]}}), "The 'Headers' field contains unsupported values: [authorization]"),
            (json!({"ApiEndpoint": "h", "Method": "GET", "Headers": {"X-Amz-Date": ["x"]}}), "unsupported values: [x-amz-date]"),
            (json!({"ApiEndpoint": "h", "Method": "GET", "Headers": {"A": "x"}}), "The value of the field 'Headers' has an invalid format"),
            (json!({"ApiEndpoint": "h", "Method": "GET", "RequestBody": {}}), "The field 'RequestBody' is supported only for"),
            (json!({"ApiEndpoint": "h", "Method": "GET", "AuthType": "COGNITO"}), "The value 'COGNITO' of the field 'AuthType'"),
            (json!({"ApiEndpoint": "h", "Method": "GET", "Body": "x"}), "The field 'Body' is not supported"),
        ] {
            let error = Invocation::of(&parameters).expect_err("refused");
            assert!(error.contains(why), "{parameters}: {error}");
        }
    }

    #[test]
    fn answers_are_results_or_failures_named_by_status() {
        let headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("x-amzn-requestid".to_owned(), "r1".to_owned()),
            ("set-cookie".to_owned(), "a=1".to_owned()),
            ("set-cookie".to_owned(), "b=2".to_owned()),
        ];
        let answer = Answer { status: 201, headers: headers.clone(), body: br#"{"id":"o1"}"#.to_vec() };
        let result = outcome(&answer).expect("a result");
        assert_eq!(result["ResponseBody"], json!({"id": "o1"}));
        assert_eq!((result["StatusCode"].clone(), result["StatusText"].clone()), (json!(201), json!("Created")));
        assert_eq!(result["Headers"]["Set-Cookie"], json!(["a=1", "b=2"]));
        assert_eq!(result["Headers"]["x-amzn-RequestId"], json!(["r1"]));
        let text = Answer { status: 200, headers: vec![("content-type".to_owned(), "text/plain".to_owned())], body: b"{not json".to_vec() };
        assert_eq!(outcome(&text).expect("a result")["ResponseBody"], json!("{not json"));
        let denied = Answer { status: 403, headers, body: br#"{"message":"Missing Authentication Token"}"#.to_vec() };
        let error = outcome(&denied).expect_err("a failure");
        assert_eq!((error.error.as_str(), error.cause.as_deref()), ("ApiGateway.403", Some(r#"{"message":"Missing Authentication Token"}"#)));
    }
}
