//! Calls to AWS services (or anything that speaks their APIs: LocalStack, moto, MinIO, DynamoDB Local, ElasticMQ):
//! the AWS SDK integrations and the optimized integrations Baton calls through a service model.
//!
//! The standard AWS configuration decides where calls go and as whom: `aws-config` reads credentials (environment,
//! shared files and profiles, SSO, web identity, container and instance metadata), the region and the endpoint
//! overrides as the AWS SDKs do (`endpoint`). `sdk` turns the parameters into the service's request and its answer
//! into the result or the error Step Functions names; `aws-sigv4` signs; one `reqwest` client with connection reuse
//! sends every call, awaited on the caller's async runtime.
//!
//! Two optimized integrations are more than a model's action: `apigateway:invoke` calls an API that API Gateway
//! serves (`apigateway`), and EMR's actions have Step Functions' own names and fields over EMR's API (`emr`).
//!
//! Failures that are not the service's answer: no credentials, no model, a bad parameter (`States.TaskFailed` with a
//! cause that says which); a connection that fails or a call with no answer in `Options::timeout`
//! (`<Service>.SdkClientException`, "Unable to execute HTTP request: …", as the AWS SDK for Java reports it).

mod apigateway;
mod bedrock;
mod emr;
mod endpoint;
mod folders;
mod job;
pub mod target;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use serde_json::{Map, Value, json};

use crate::{Caller, TaskError, TaskOutcome};
use target::{Optimized, Target};

const TASK_FAILED: &str = "States.TaskFailed";

/// The field an `s3:getObject` answer carries, set to `base64`, when its `Body` is the object's bytes in base64
/// because they are not UTF-8 text (a gzip-compressed file, Parquet). That resource is a Map's `ItemReader`'s (AWS
/// offers S3 to Tasks only as `aws-sdk:s3:getObject`, whose answer stays AWS's: base64 with no such field), and the
/// engine's reader decodes such a body back to the object's bytes. A UTF-8 body stays text, with no field.
pub const BODY_ENCODING: &str = "BatonBodyEncoding";

/// How AWS calls are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Refuse every call (`--offline`): a Task that would call AWS fails, naming the state and resource to mock.
    pub offline: bool,
    /// How long one HTTP exchange may take.
    pub timeout: Duration,
    /// The first and the longest pause between two polls of a `.sync` job (the pause doubles from one to the other).
    pub poll: (Duration, Duration),
    /// Send every call here, whatever the configuration says (benchmarks and tests; users set `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// Sign with this access key id and secret instead of the default chain's credentials (with `endpoint_url`).
    pub static_credentials: Option<(String, String)>,
    /// S3 buckets answered from local folders (`--bucket NAME=DIR`): a Map's ItemReader reads its items there.
    pub buckets: std::collections::BTreeMap<String, std::path::PathBuf>,
    /// Which hosts `apigateway:invoke` may reach (its `ApiEndpoint` is the definition's choice), as for HTTP Tasks.
    /// Unless it is open, no call follows a redirect.
    pub egress: crate::egress::Policy,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            offline: false,
            timeout: Duration::from_secs(60),
            poll: (Duration::from_millis(250), Duration::from_secs(5)),
            endpoint_url: None,
            static_credentials: None,
            buckets: std::collections::BTreeMap::new(),
            egress: crate::egress::Policy::default(),
        }
    }
}

/// The AWS client of a Baton process: shared by every execution (cheap to clone).
#[derive(Clone)]
pub struct Aws {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Aws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aws").field("offline", &self.inner.options.offline).finish_non_exhaustive()
    }
}

impl Default for Aws {
    fn default() -> Aws {
        Aws::new(Options::default())
    }
}

struct Inner {
    options: Options,
    /// The standard configuration, read at the first call (it may read files and ask metadata services).
    config: tokio::sync::OnceCell<SdkConfig>,
    /// Built at the first call: it loads the platform's root certificates.
    http: std::sync::OnceLock<Result<reqwest::Client, String>>,
    /// Models parsed so far, by service name.
    services: Mutex<HashMap<String, Arc<sdk::Service>>>,
    /// The last credentials the chain gave, kept until five minutes before they expire.
    credentials: tokio::sync::Mutex<Option<Credentials>>,
    /// Credentials of the roles tasks assumed (`Credentials.RoleArn`), by role, kept likewise.
    roles: tokio::sync::Mutex<HashMap<String, Credentials>>,
}

/// A service's answer, as received.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Aws {
    pub fn new(options: Options) -> Aws {
        Aws {
            inner: Arc::new(Inner {
                options,
                config: tokio::sync::OnceCell::new(),
                http: std::sync::OnceLock::new(),
                services: Mutex::new(HashMap::new()),
                credentials: tokio::sync::Mutex::new(None),
                roles: tokio::sync::Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Whether calls are refused.
    pub fn offline(&self) -> bool {
        self.inner.options.offline
    }

    /// POSTs `body` (JSON) to `url` with this one client, unsigned, and returns the answer's HTTP status, or why no
    /// answer came within `timeout`. For the operator's own destinations (status-change webhooks), which the egress
    /// policy of tasks does not restrict, and which AWS calls being off does not stop.
    pub async fn post_json(&self, url: &str, body: String, timeout: Duration) -> Result<u16, String> {
        let request = self.inner.http()?.post(url).header("Content-Type", "application/json").timeout(timeout).body(body);
        let response = request.send().await.map_err(|e| error_chain(&e))?;
        Ok(response.status().as_u16())
    }

    /// Makes the call `target` names with `parameters` (already evaluated) for `caller`, and shapes its answer as
    /// Step Functions does. `idempotency_token` fills the service's idempotency-token members that the parameters
    /// leave out, so a repeated submission of the same task is recognised by the service. For `.sync` this is the
    /// call that starts the job; `wait` watches it.
    pub async fn call(&self, resource: &str, target: &Target, parameters: &Value, idempotency_token: &str, caller: Caller<'_>) -> TaskOutcome {
        if target.service == "s3"
            && let Some(dir) = folders::folder(&self.inner.options.buckets, parameters)
        {
            return folders::answer(dir, &target.action, parameters, target.optimized.is_some());
        }
        if self.inner.options.offline {
            return Err(TaskError::new(
                TASK_FAILED,
                format!(
                    "Baton runs offline: state '{}' would call {resource}; give the state a mocked response \
                     (--mock-config with --test-case) or run without --offline",
                    caller.state
                ),
            ));
        }
        let cannot = |why: String| TaskError::new(TASK_FAILED, format!("Baton cannot call {resource} for state '{}': {why}", caller.state));
        if target.service == apigateway::SERVICE {
            return self.invoke_api(parameters, caller).await.map_err(|e| e.into_task_error(cannot));
        }
        if target.pattern == target::Pattern::Sync && job::of(&target.service, &target.action).is_none() {
            return Err(cannot("Baton does not know how to watch this job (.sync)".to_owned()));
        }
        if sdk::is_unsupported(&target.service, &target.action) {
            return Err(cannot("Step Functions does not support this action through AWS SDK integrations".to_owned()));
        }
        let parameters = prepare(target, parameters, idempotency_token);
        let (action, parameters) = if target.optimized.is_some() && target.service == emr::SERVICE {
            let resolved = self.resolve_by_name(target, &parameters, caller).await.map_err(|e| e.into_task_error(cannot))?;
            emr::operation(&target.action, &parameters, resolved.as_deref()).map_err(cannot)?
        } else {
            (target.action.clone(), parameters)
        };
        let bedrock = target.optimized.is_some() && target.service == "bedrockruntime";
        let (parameters, output_uri) = match bedrock {
            true => self.bedrock_input(parameters, caller).await.map_err(|e| e.into_task_error(cannot))?,
            false => (parameters, None),
        };
        let (mut output, answer) = self.exchange(target, &action, &parameters, idempotency_token, caller).await.map_err(|e| e.into_task_error(cannot))?;
        if let Some(uri) = output_uri {
            output = self.bedrock_output(&uri, output, caller).await.map_err(|e| e.into_task_error(cannot))?;
        }
        finish(target, output, &answer)
    }

    /// Watches the `.sync` job that `call` started (its answer is `started`) until it ends: the job's description
    /// when it ends well, `States.TaskFailed` with the description as cause when it does not. Each poll is one
    /// describe call, the pause between two doubling from `Options::poll`'s first to its longest.
    pub async fn wait(&self, resource: &str, target: &Target, parameters: &Value, started: &Value, caller: Caller<'_>) -> TaskOutcome {
        let cannot = |why: String| TaskError::new(TASK_FAILED, format!("Baton cannot watch {resource} for state '{}': {why}", caller.state));
        let Some(job) = job::of(&target.service, &target.action) else {
            return Err(cannot("Baton does not know how to watch this job".to_owned()));
        };
        let Some(describe) = (job.describe_parameters)(parameters, started) else {
            return Err(cannot(format!("the job's start answered {started}, which does not name the job")));
        };
        let (mut pause, longest) = self.inner.options.poll;
        let mut last = started.clone();
        loop {
            let answer = match self.exchange(target, job.describe, &describe, "", caller).await {
                Ok((answer, _)) => answer,
                Err(CallError::Failed(error)) if job.gone && error.error.ends_with(".ResourceNotFoundException") => return Ok(last),
                Err(error) => return Err(error.into_task_error(cannot)),
            };
            let Some(description) = (job.description)(answer.clone()) else {
                return Err(cannot(format!("{} answered {answer}, which does not describe the job", job.describe)));
            };
            last = description.clone();
            let succeeded = match (job.progress)(&description) {
                job::Progress::Running => None,
                job::Progress::Succeeded => Some(true),
                job::Progress::Failed => Some(false),
                job::Progress::Ended => Some(self.check(target, job, &description, caller).await),
            };
            match succeeded {
                Some(true) => return Ok(match job.result {
                    Some(result) => result(started, description),
                    None => description,
                }),
                Some(false) => return Err(TaskError::new(TASK_FAILED, description.to_string())),
                None => {}
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(longest);
        }
    }

    /// Whether a job that ended as `description` says ended well, by its `check` call (an ECS task's definition).
    async fn check(&self, target: &Target, job: &job::Job, description: &Value, caller: Caller<'_>) -> bool {
        let Some(check) = &job.check else { return false };
        let answer = match (check.parameters)(description) {
            Some(parameters) => match self.exchange(target, check.action, &parameters, "", caller).await {
                Ok((answer, _)) => Some(answer),
                Err(error) => {
                    tracing::warn!(
                        execution_arn = caller.execution_arn, state = caller.state, action = check.action,
                        error = ?error.into_task_error(|w| TaskError::new(TASK_FAILED, w)), "cannot check how the job ended"
                    );
                    None
                }
            },
            None => None,
        };
        (check.succeeded)(description, answer.as_ref())
    }

    /// Stops the `.sync` job that `call` started, because its task was cancelled. Best effort: a failure is logged.
    pub async fn stop(&self, target: &Target, parameters: &Value, started: &Value, caller: Caller<'_>) {
        let Some(job) = job::of(&target.service, &target.action) else { return };
        let Some(stop) = (job.stop_parameters)(parameters, started) else { return };
        match self.exchange(target, job.stop, &stop, "", caller).await {
            Ok(_) => tracing::info!(execution_arn = caller.execution_arn, state = caller.state, action = job.stop, "stopped the task's job"),
            Err(error) => tracing::warn!(
                execution_arn = caller.execution_arn, state = caller.state, action = job.stop, error = ?error.into_task_error(|w| TaskError::new(TASK_FAILED, w)),
                "cannot stop the task's job"
            ),
        }
    }

    /// One call of `action` on `target`'s service: its parsed output and the answer it came in.
    async fn exchange(&self, target: &Target, action: &str, parameters: &Value, idempotency_token: &str, caller: Caller<'_>) -> Result<(Value, Answer), CallError> {
        let service = self.inner.service(&target.service).map_err(CallError::Cannot)?;
        let Some(operation) = service.model.operation(action) else {
            return Err(CallError::Cannot(format!("the service '{}' has no action '{action}'", target.service)));
        };
        let mut request = sdk::protocol::build(&service, operation, parameters, idempotency_token).map_err(|e| CallError::Cannot(e.to_string()))?;
        if let Some(trace) = caller.trace {
            // Signed with the rest (SigV4 leaves `X-Amzn-Trace-Id` out of the signature, as AWS's SDKs do).
            trace.add_to(&mut request.headers, true);
        }
        let config = self.inner.config().await;
        let metadata = &service.model.metadata;
        let endpoint = match &self.inner.options.endpoint_url {
            Some(url) => endpoint::Endpoint {
                base: url.trim_end_matches('/').to_owned(),
                signing_region: config.region().map_or(endpoint::DEFAULT_REGION, |r| r.as_ref()).to_owned(),
                configured: true,
            },
            None => endpoint::resolve(config, &metadata.service_id, &metadata.endpoint_prefix, metadata.global_endpoint.as_deref()),
        };
        let credentials = self.inner.identity(config, caller.role_arn).await.map_err(CallError::Cannot)?;
        let answer = self
            .inner
            .send(&service, operation, &endpoint, request, &credentials)
            .await
            .map_err(|why| CallError::Failed(client_error(target, &service, &why)))?;
        tracing::debug!(
            execution_arn = caller.execution_arn, state = caller.state, service = service.name, action,
            status = answer.status, "AWS call answered"
        );
        let response = sdk::protocol::Response { status: answer.status, headers: &answer.headers, body: &answer.body };
        match sdk::protocol::parse(&service, operation, &response) {
            Ok(output) => Ok((output, answer)),
            Err(error) => Err(CallError::Failed(service_error(target, &service, &error))),
        }
    }
}

/// Builds the request a call of `target` with `parameters` would send, without sending it: `Err` says why the call
/// could not be made (no model, no such action, a parameter the model does not take). For checks of definitions.
pub fn request(target: &Target, parameters: &Value) -> Result<sdk::protocol::Request, String> {
    if target.service == apigateway::SERVICE {
        return apigateway::Invocation::of(parameters).map(apigateway::Invocation::into_request);
    }
    let service = sdk::load(&target.service).map_err(|e| e.to_string())?;
    let mut parameters = prepare(target, parameters, "token");
    if target.optimized.is_some()
        && target.service == "bedrockruntime"
        && let Value::Object(fields) = &mut parameters
    {
        // Read and written through S3 around the call (`bedrock`), not sent.
        fields.remove("Input");
        fields.remove("Output");
    }
    let (action, parameters) = if target.optimized.is_some() && target.service == emr::SERVICE {
        emr::operation(&target.action, &parameters, Some("id"))?
    } else {
        (target.action.clone(), parameters)
    };
    let Some(operation) = service.model.operation(&action) else {
        return Err(format!("the service '{}' has no action '{action}'", target.service));
    };
    sdk::protocol::build(&service, operation, &parameters, "token").map_err(|e| e.to_string())
}

/// Checks a mocked `result` of the Task `resource` against the output shape of the call it names (TestState's
/// `mock.fieldValidationMode`): `Err` says what is wrong, in AWS's words. Resources whose result has no model shape
/// pass: Lambda function ARNs, activities, HTTP Tasks, `apigateway:invoke`, `.sync` jobs (their result is the job's
/// description) and `.waitForTaskToken` callbacks (their result is what the callback sends).
pub fn check_mock(resource: &str, result: &Value, strictness: crate::Strictness) -> Result<(), String> {
    let target = match Target::of(resource) {
        Some(target) => target,
        None if resource.starts_with("arn:") && resource.split(':').nth(5) == Some("lambda") => {
            let pattern = if resource.ends_with(".waitForTaskToken") { target::Pattern::Callback } else { target::Pattern::RequestResponse };
            Target::lambda(None, pattern)
        }
        None => return Ok(()),
    };
    if target.pattern != target::Pattern::RequestResponse || target.service == apigateway::SERVICE {
        return Ok(());
    }
    let Ok(service) = sdk::load(&target.service) else { return Ok(()) };
    let Some(operation) = service.model.operation(&target.action) else { return Ok(()) };
    // An optimized integration shows a blob it decoded (Lambda's `Payload`) as JSON.
    let blobs = if target.optimized.is_some() { sdk::protocol::mock::Blobs::Decoded } else { sdk::protocol::mock::Blobs::Text };
    sdk::protocol::mock::check_output(&service.model, operation, result, strictness, blobs)
}

/// Why a call gave no result.
#[derive(Debug)]
enum CallError {
    /// Baton could not make it (no model, no credentials, a bad parameter): the cause says why.
    Cannot(String),
    /// It was made and failed, as Step Functions names the failure.
    Failed(TaskError),
}

impl CallError {
    fn into_task_error(self, cannot: impl Fn(String) -> TaskError) -> TaskError {
        match self {
            CallError::Cannot(why) => cannot(why),
            CallError::Failed(error) => error,
        }
    }
}

impl Inner {
    async fn config(&self) -> &SdkConfig {
        self.config
            .get_or_init(|| async {
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                if let Some((key, secret)) = &self.options.static_credentials {
                    // A fixed identity is for a stand-in, which takes any region: no need to ask the chain.
                    loader = loader
                        .credentials_provider(Credentials::new(key, secret, None, None, "baton"))
                        .region(aws_config::Region::new(endpoint::DEFAULT_REGION));
                }
                loader.load().await
            })
            .await
    }

    /// The model of `name`, parsed once.
    fn service(&self, name: &str) -> Result<Arc<sdk::Service>, String> {
        let mut services = self.services.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(service) = services.get(name) {
            return Ok(service.clone());
        }
        let service = Arc::new(sdk::load(name).map_err(|e| e.to_string())?);
        services.insert(name.to_owned(), service.clone());
        Ok(service)
    }

    /// The credentials a task's calls are signed with: its role's (`Credentials.RoleArn`) when it names one, else the
    /// default chain's. `Err` says why there are none.
    async fn identity(&self, config: &SdkConfig, role_arn: Option<&str>) -> Result<Credentials, String> {
        match role_arn {
            None => self.credentials(config).await.map_err(|e| format!("no AWS credentials: {e}")),
            Some(role) => self.assumed(config, role).await.map_err(|e| format!("cannot assume the role {role}: {e}")),
        }
    }

    /// Credentials from the default chain, reused until they are about to expire.
    async fn credentials(&self, config: &SdkConfig) -> Result<Credentials, String> {
        let mut cached = self.credentials.lock().await;
        if let Some(credentials) = cached.as_ref().filter(|c| fresh(c)) {
            return Ok(credentials.clone());
        }
        let provider = config.credentials_provider().ok_or_else(|| "the AWS configuration has no credentials provider".to_owned())?;
        let credentials = provider.provide_credentials().await.map_err(|e| error_chain(&e))?;
        *cached = Some(credentials.clone());
        Ok(credentials)
    }

    /// Credentials of `role`, from STS `AssumeRole` made with the default chain's credentials (through the STS
    /// endpoint the configuration names), as Step Functions assumes a Task's `Credentials.RoleArn`.
    async fn assumed(&self, config: &SdkConfig, role: &str) -> Result<Credentials, String> {
        let mut roles = self.roles.lock().await;
        if let Some(credentials) = roles.get(role).filter(|c| fresh(c)) {
            return Ok(credentials.clone());
        }
        let provider = aws_config::sts::AssumeRoleProvider::builder(role)
            .session_name("baton")
            .region(aws_config::Region::new(config.region().map_or(endpoint::DEFAULT_REGION, |r| r.as_ref()).to_owned()))
            .configure(config)
            .build()
            .await;
        let credentials = provider.provide_credentials().await.map_err(|e| error_chain(&e))?;
        roles.insert(role.to_owned(), credentials.clone());
        Ok(credentials)
    }

    /// Whether the egress policy lets a call reach `url`'s host, checked by its name and every address it resolves to
    /// now (the connection resolves it again: a name that changes its answer in between could slip past, which the
    /// HTTP Task's own check, made where it connects, does not allow; redirects are not followed under a policy).
    async fn permitted(&self, url: &str) -> Result<(), String> {
        let policy = &self.options.egress;
        if policy.is_open() {
            return Ok(());
        }
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
        let host = parsed.host_str().ok_or_else(|| format!("'{url}' names no host"))?.to_owned();
        let port = parsed.port_or_known_default().unwrap_or(443);
        let bare = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let addresses: Vec<std::net::IpAddr> = match tokio::net::lookup_host((bare.as_str(), port)).await {
            Ok(found) => found.map(|address| address.ip()).collect(),
            Err(error) => return Err(format!("cannot resolve {host}: {error}")),
        };
        policy.check(&host, &addresses).map_err(|refusal| format!("the request to '{url}' was refused: {refusal}"))
    }

    fn http(&self) -> Result<&reqwest::Client, String> {
        let timeout = self.options.timeout;
        // A redirect would reach a host the policy did not check.
        let redirects = if self.options.egress.is_open() { reqwest::redirect::Policy::default() } else { reqwest::redirect::Policy::none() };
        self.http
            .get_or_init(|| {
                reqwest::Client::builder()
                    .timeout(timeout)
                    .connect_timeout(Duration::from_secs(10))
                    .redirect(redirects)
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Signs and sends `request`; `Err` is why no answer came.
    async fn send(
        &self,
        service: &sdk::Service,
        operation: &sdk::model::Operation,
        endpoint: &endpoint::Endpoint,
        request: sdk::protocol::Request,
        credentials: &Credentials,
    ) -> Result<Answer, String> {
        let url = url(endpoint, &request);
        let mut headers = request.headers;
        if operation.http_checksum_required || operation.http_checksum.as_ref().is_some_and(|c| c.request_checksum_required) {
            headers.push(("Content-MD5".to_owned(), content_md5(&request.body)));
        }
        let signing = Signing { name: service.model.signing_name(), region: &endpoint.signing_region, credentials };
        let signed = sign(&signing, &request.method, &url, &headers, &request.body)?;
        headers.extend(signed);
        self.transmit(&request.method, &url, &headers, request.body).await
    }

    /// Sends a request as it is (signed already, if it is to be); `Err` is why no answer came.
    async fn transmit(&self, method: &str, url: &str, headers: &[(String, String)], body: Vec<u8>) -> Result<Answer, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut builder = self.http()?.request(method, url).body(body);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.map_err(|e| error_chain(&e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect();
        let body = response.bytes().await.map_err(|e| error_chain(&e))?.to_vec();
        Ok(Answer { status, headers, body })
    }
}

/// Whether credentials are good for five more minutes.
fn fresh(credentials: &Credentials) -> bool {
    credentials.expiry().is_none_or(|at| at > SystemTime::now() + Duration::from_secs(300))
}

/// The idempotency token of task `task` of execution `execution_arn`: the same after a restart replays the task's
/// submission, different for a retry (a new task). 32 hex digits of SHA-256, which every AWS token field accepts.
pub fn idempotency_token(execution_arn: &str, task: u64) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::new().chain_update(execution_arn.as_bytes()).chain_update(task.to_be_bytes()).finalize();
    digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

/// The request's full URL: the endpoint, the operation's host prefix unless the endpoint is configured (a local
/// stand-in at `127.0.0.1` has no `data-` subdomain), and the path.
fn url(endpoint: &endpoint::Endpoint, request: &sdk::protocol::Request) -> String {
    match request.host_prefix.as_deref().filter(|_| !endpoint.configured) {
        Some(prefix) => match endpoint.base.split_once("://") {
            Some((scheme, rest)) => format!("{scheme}://{prefix}{rest}{}", request.path_and_query),
            None => format!("{}{}", endpoint.base, request.path_and_query),
        },
        None => format!("{}{}", endpoint.base, request.path_and_query),
    }
}

/// Whom a request is signed as, and for which service and region.
struct Signing<'a> {
    /// The service's signing name (`dynamodb`, `s3`, `execute-api`).
    name: &'a str,
    region: &'a str,
    credentials: &'a Credentials,
}

/// The SigV4 headers for a request (`Authorization`, `X-Amz-Date`, the session token; S3 also signs its payload's
/// hash and does not normalise or double-encode its paths).
fn sign(signing: &Signing<'_>, method: &str, url: &str, headers: &[(String, String)], body: &[u8]) -> Result<Vec<(String, String)>, String> {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode, sign,
    };
    let mut settings = SigningSettings::default();
    if signing.name == "s3" {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let identity = signing.credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(signing.region)
        .name(signing.name)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().map(|(name, value)| (name.as_str(), value.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _signature) = sign(signable, &params).map_err(|e| e.to_string())?.into_parts();
    let (signed, _query) = instructions.into_parts();
    Ok(signed.into_iter().map(|header| (header.name().to_owned(), header.value().to_owned())).collect())
}

/// The base64 MD5 of a body, for operations that require `Content-MD5`.
fn content_md5(body: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body))
}

/// An error and its sources, joined: reqwest's and aws-config's top-level messages say little on their own.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let next = inner.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = inner.source();
    }
    text
}

/// Parameters as the service takes them: an optimized `events:putEvents` accepts each entry's `Detail` as JSON and
/// sends it as text; an optimized CodeBuild start gets `idempotency_token` as its `IdempotencyToken` unless given
/// (CodeBuild's model does not mark that member as a token, so `sdk` would not fill it; CodeBuild honours a token
/// for five minutes); a Lambda function ARN's parameters are its payload.
fn prepare(target: &Target, parameters: &Value, idempotency_token: &str) -> Value {
    if let Some(arn) = &target.function_arn {
        return json!({"FunctionName": arn, "Payload": parameters.to_string()});
    }
    let mut parameters = parameters.clone();
    if target.optimized.is_some()
        && target.service == "lambda"
        && let Value::Object(fields) = &mut parameters
    {
        // `lambda:invoke` takes any JSON as the payload and sends it as text; no payload is `{}`.
        let payload = match fields.remove("Payload") {
            None | Some(Value::Null) => "{}".to_owned(),
            Some(Value::String(text)) => text,
            Some(other) => other.to_string(),
        };
        fields.insert("Payload".to_owned(), Value::String(payload));
    }
    if target.optimized.is_some()
        && target.service == "bedrockruntime"
        && let Value::Object(fields) = &mut parameters
    {
        // `bedrock:invokeModel` takes the model's input as JSON and sends it as text, as JSON unless said otherwise.
        if let Some(body) = fields.get_mut("Body").filter(|body| !body.is_string() && !body.is_null()) {
            *body = Value::String(body.to_string());
            for member in ["ContentType", "Accept"] {
                fields.entry(member).or_insert_with(|| Value::String("application/json".to_owned()));
            }
        }
    }
    if target.optimized.is_some()
        && target.service == "eventbridge"
        && let Some(entries) = parameters.get_mut("Entries").and_then(Value::as_array_mut)
    {
        for entry in entries {
            if let Some(detail) = entry.get_mut("Detail").filter(|d| !d.is_string()) {
                *detail = Value::String(detail.to_string());
            }
        }
    }
    if target.optimized.is_some()
        && target.service == "codebuild"
        && matches!(target.action.as_str(), "startBuild" | "startBuildBatch" | "retryBuildBatch")
        && !idempotency_token.is_empty()
        && let Value::Object(fields) = &mut parameters
        && !fields.contains_key("IdempotencyToken")
        && !fields.contains_key("idempotencyToken")
    {
        fields.insert("IdempotencyToken".to_owned(), Value::String(idempotency_token.to_owned()));
    }
    parameters
}

/// The task's result from the service's output: an optimized integration adds the Java SDK's HTTP metadata,
/// `events:putEvents` fails when an entry failed, and `ecs:runTask` when it placed no task (`Failures`) and waits.
fn finish(target: &Target, mut output: Value, answer: &Answer) -> TaskOutcome {
    let Some(optimized) = target.optimized else { return Ok(output) };
    if target.service == emr::SERVICE {
        output = emr::result(&target.action, output);
    }
    if target.service == "lambda" {
        return lambda_result(target, output, answer);
    }
    if target.service == "eventbridge" && output.get("FailedEntryCount").and_then(Value::as_u64).is_some_and(|n| n > 0) {
        return Err(TaskError::new("EventBridge.FailedEntry", output.to_string()));
    }
    // The guide (connect-ecs): a `runTask` answered with a non-empty `Failures` is a result in request-response,
    // and fails the task with `AmazonECS.Unknown` in `.sync` and `.waitForTaskToken` (the cause is not documented:
    // Baton gives the answer).
    if target.service == "ecs"
        && target.action == "runTask"
        && matches!(target.pattern, target::Pattern::Sync | target::Pattern::Callback)
        && output.get("Failures").and_then(Value::as_array).is_some_and(|failures| !failures.is_empty())
    {
        return Err(TaskError::new("AmazonECS.Unknown", output.to_string()));
    }
    // `bedrock:invokeModel`'s result holds the model's answer parsed when it is JSON (the guide's example selects
    // `$.Body.generation`).
    let json_answer = output.get("ContentType").and_then(Value::as_str).is_none_or(|t| t.to_ascii_lowercase().contains("json"));
    if target.service == "bedrockruntime"
        && json_answer
        && let Some(body) = output.get_mut("Body")
        && let Some(parsed) = body.as_str().and_then(|text| serde_json::from_str::<Value>(text).ok())
    {
        *body = parsed;
    }
    if target.service == "s3"
        && target.action == "getObject"
        && std::str::from_utf8(&answer.body).is_err()
        && let Value::Object(fields) = &mut output
    {
        // `sdk` gave the body in base64 (`Body` of a blob payload that is not text): say so, for the reader.
        fields.insert(BODY_ENCODING.to_owned(), json!("base64"));
    }
    if optimized.http_metadata
        && let Value::Object(fields) = &mut output
    {
        fields.insert("SdkHttpMetadata".to_owned(), http_metadata(answer));
        fields.insert("SdkResponseMetadata".to_owned(), json!({"RequestId": request_id(&answer.headers).unwrap_or_default()}));
    }
    Ok(output)
}

/// A Lambda invocation's result: a function error (the `X-Amz-Function-Error` header) fails the task with the error's
/// `errorType` (`Lambda.Unknown` without one) and the error payload as cause; otherwise the payload, parsed when it is
/// JSON, is the result (`lambda:invoke` wraps it in the Invoke response, with the HTTP metadata).
fn lambda_result(target: &Target, mut output: Value, answer: &Answer) -> TaskOutcome {
    let text = output.get("Payload").and_then(Value::as_str).unwrap_or_default().to_owned();
    let payload: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    if answer.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("x-amz-function-error")) {
        let error = payload.get("errorType").and_then(Value::as_str).unwrap_or("Lambda.Unknown");
        return Err(TaskError::new(error, text));
    }
    if target.function_arn.is_some() {
        return Ok(payload);
    }
    if let Value::Object(fields) = &mut output {
        fields.insert("Payload".to_owned(), payload);
        fields.insert("SdkHttpMetadata".to_owned(), http_metadata(answer));
        fields.insert("SdkResponseMetadata".to_owned(), json!({"RequestId": request_id(&answer.headers).unwrap_or_default()}));
    }
    Ok(output)
}

/// `SdkHttpMetadata`: the answer's headers (all values, and the last of each) and its status.
fn http_metadata(answer: &Answer) -> Value {
    let mut all: Map<String, Value> = Map::new();
    let mut last = Map::new();
    for (name, value) in &answer.headers {
        let name = canonical_header(name);
        match all.entry(name.clone()).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(values) => values.push(Value::String(value.clone())),
            other => *other = json!([value]),
        }
        last.insert(name, Value::String(value.clone()));
    }
    json!({"AllHttpHeaders": all, "HttpHeaders": last, "HttpStatusCode": answer.status})
}

/// A header name as services write it (`Content-Type`), since HTTP/1.1 clients hand them over lower-cased; AWS's own
/// `x-amz…` headers keep their lower-case start.
fn canonical_header(name: &str) -> String {
    if name.starts_with("x-amz") {
        return match name {
            "x-amzn-requestid" => "x-amzn-RequestId".to_owned(),
            other => other.to_owned(),
        };
    }
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The request id a service returned in its headers.
fn request_id(headers: &[(String, String)]) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id"]
        .iter()
        .find_map(|wanted| headers.iter().find(|(name, _)| name.eq_ignore_ascii_case(wanted)))
        .map(|(_, value)| value.clone())
}

/// The task failure for a service's error answer.
fn service_error(target: &Target, service: &sdk::Service, error: &sdk::protocol::ServiceError) -> TaskError {
    match target.optimized {
        None => TaskError::new(error.error_name(service), error.cause(service)),
        Some(optimized) => optimized_error(optimized, error),
    }
}

/// An optimized integration's error, named and explained as the AWS SDK for Java v1 does.
fn optimized_error(optimized: Optimized, error: &sdk::protocol::ServiceError) -> TaskError {
    let code = &error.code;
    let name = if code.ends_with("Exception") { code.clone() } else { format!("{code}Exception") };
    let cause = format!(
        "{} (Service: {}; Status Code: {}; Error Code: {}; Request ID: {}; Proxy: null)",
        error.message.as_deref().unwrap_or_default(),
        optimized.cause_service,
        error.status,
        code,
        error.request_id.as_deref().unwrap_or_default()
    );
    TaskError::new(format!("{}.{name}", optimized.error_prefix), cause)
}

/// The failure of a call that got no answer.
fn client_error(target: &Target, service: &sdk::Service, why: &str) -> TaskError {
    let prefix = target.optimized.map_or(service.error_prefix, |o| o.error_prefix);
    TaskError::new(format!("{prefix}.SdkClientException"), format!("Unable to execute HTTP request: {why}"))
}

#[cfg(test)]
mod tests {
    use super::{Answer, BODY_ENCODING, canonical_header, finish, http_metadata, idempotency_token, prepare};
    use crate::aws::target::Target;
    use serde_json::json;

    fn target(resource: &str) -> Target {
        Target::of(resource).expect("an AWS call")
    }

    #[test]
    fn mocked_results_are_checked_against_the_call_they_stand_for() {
        use super::check_mock;
        use crate::Strictness::{Present, Required};
        let sqs = "arn:aws:states:::sqs:sendMessage";
        assert!(check_mock(sqs, &json!({"MessageId": 7}), Present).is_err());
        assert_eq!(check_mock(sqs, &json!({"MessageId": "m"}), Required), Ok(()));
        let lambda = "arn:aws:states:::lambda:invoke";
        assert_eq!(check_mock(lambda, &json!({"Payload": {"a": 1}, "StatusCode": 200}), Required), Ok(()));
        assert!(check_mock(lambda, &json!({"StatusCode": "200"}), Present).is_err());
        let sdk = "arn:aws:states:::aws-sdk:s3:getObject";
        assert!(check_mock(sdk, &json!({"ContentLength": "9000"}), Present).is_err());
        // No model shape: a callback's or a job's result, a function ARN, an HTTP Task.
        for resource in [
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "arn:aws:states:::ecs:runTask.sync",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "arn:aws:states:::http:invoke",
            "arn:aws:states:::apigateway:invoke",
        ] {
            assert_eq!(check_mock(resource, &json!({"MessageId": 7, "StatusCode": "x"}), Required), Ok(()), "{resource}");
        }
    }

    #[test]
    fn optimized_put_events_sends_detail_as_text_and_fails_on_failed_entries() {
        let events = target("arn:aws:states:::events:putEvents");
        let prepared = prepare(&events, &json!({"Entries": [{"Detail": {"a": 1}, "Source": "s"}, {"Detail": "x"}]}), "t");
        assert_eq!(prepared, json!({"Entries": [{"Detail": "{\"a\":1}", "Source": "s"}, {"Detail": "x"}]}));
        let answer = Answer { status: 200, headers: vec![], body: vec![] };
        let failed = json!({"Entries": [{"ErrorCode": "InvalidArgument"}], "FailedEntryCount": 1});
        let error = finish(&events, failed.clone(), &answer).expect_err("a failed entry");
        assert_eq!((error.error.as_str(), error.cause), ("EventBridge.FailedEntry", Some(failed.to_string())));
        let sdk = target("arn:aws:states:::aws-sdk:eventbridge:putEvents");
        assert_eq!(prepare(&sdk, &json!({"Entries": [{"Detail": {"a": 1}}]}), "t"), json!({"Entries": [{"Detail": {"a": 1}}]}));
    }

    #[test]
    fn optimized_dynamodb_results_carry_http_metadata() {
        let headers = vec![
            ("content-type".to_owned(), "application/x-amz-json-1.0".to_owned()),
            ("x-amzn-requestid".to_owned(), "R1".to_owned()),
        ];
        let answer = Answer { status: 200, headers, body: vec![] };
        let output = finish(&target("arn:aws:states:::dynamodb:putItem"), json!({}), &answer).expect("a result");
        assert_eq!(output["SdkResponseMetadata"], json!({"RequestId": "R1"}));
        assert_eq!(output["SdkHttpMetadata"]["HttpStatusCode"], json!(200));
        assert_eq!(output["SdkHttpMetadata"]["AllHttpHeaders"]["Content-Type"], json!(["application/x-amz-json-1.0"]));
        assert_eq!(http_metadata(&answer)["HttpHeaders"]["x-amzn-RequestId"], json!("R1"));
        let plain = finish(&target("arn:aws:states:::aws-sdk:dynamodb:putItem"), json!({}), &answer).expect("a result");
        assert_eq!(plain, json!({}));
    }

    /// An object that is not UTF-8 comes in base64 (as AWS shows it to `aws-sdk:s3:getObject`), and the ItemReader's
    /// `s3:getObject` says so, so that the reader gets the bytes back.
    #[test]
    fn a_binary_object_is_marked_base64_for_the_item_reader_only() {
        let service = sdk::load("s3").expect("the S3 model");
        let operation = service.model.operation("GetObject").expect("GetObject");
        let parsed = |body: &[u8]| {
            let headers = vec![("content-length".to_owned(), body.len().to_string())];
            let response = sdk::protocol::Response { status: 200, headers: &headers, body };
            let output = sdk::protocol::parse(&service, operation, &response).expect("an output");
            (output, Answer { status: 200, headers: headers.clone(), body: body.to_vec() })
        };
        let gzip = [0x1f, 0x8b, 0x08, 0x00, 0xff];
        let (output, answer) = parsed(&gzip);
        let read = finish(&target("arn:aws:states:::s3:getObject"), output.clone(), &answer).expect("a result");
        assert_eq!((&read["Body"], &read[BODY_ENCODING]), (&json!("H4sIAP8="), &json!("base64")));
        let sdk_call = finish(&target("arn:aws:states:::aws-sdk:s3:getObject"), output, &answer).expect("a result");
        assert_eq!((&sdk_call["Body"], sdk_call.get(BODY_ENCODING)), (&json!("H4sIAP8="), None));
        let (output, answer) = parsed(b"id,n\n1,2\n");
        let read = finish(&target("arn:aws:states:::s3:getObject"), output, &answer).expect("a result");
        assert_eq!((&read["Body"], read.get(BODY_ENCODING)), (&json!("id,n\n1,2\n"), None));
    }

    #[test]
    fn ecs_run_task_failures_fail_a_waiting_task_only() {
        let answer = Answer { status: 200, headers: vec![("x-amzn-requestid".to_owned(), "R2".to_owned())], body: vec![] };
        let failed = json!({"Failures": [{"Arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/c1", "Reason": "RESOURCE:MEMORY"}], "Tasks": []});
        for resource in ["arn:aws:states:::ecs:runTask.sync", "arn:aws:states:::ecs:runTask.waitForTaskToken"] {
            let error = finish(&target(resource), failed.clone(), &answer).expect_err("no task was placed");
            assert_eq!((error.error.as_str(), error.cause), ("AmazonECS.Unknown", Some(failed.to_string())), "{resource}");
        }
        let result = finish(&target("arn:aws:states:::ecs:runTask"), failed.clone(), &answer).expect("request-response returns it");
        assert_eq!(result["Failures"], failed["Failures"]);
        assert_eq!(result["SdkResponseMetadata"], json!({"RequestId": "R2"}), "ECS results carry the Java SDK's metadata");
        let placed = json!({"Failures": [], "Tasks": [{"TaskArn": "arn:aws:ecs:us-east-1:123456789012:task/jobs/1"}]});
        let started = finish(&target("arn:aws:states:::ecs:runTask.sync"), placed, &answer).expect("a task was placed");
        assert_eq!(started["SdkHttpMetadata"]["HttpStatusCode"], json!(200));
        let plain = finish(&target("arn:aws:states:::athena:getQueryExecution"), json!({"QueryExecution": {}}), &answer).expect("a result");
        assert_eq!(plain, json!({"QueryExecution": {}}), "Athena's results are unknown to carry metadata: none is added");
    }

    /// A start call made again after a restart (its answer was not committed) carries the token of the first: the
    /// task's number in its execution is replayed, so the service recognises the submission.
    #[test]
    fn a_resubmitted_start_carries_the_same_idempotency_token() {
        let ecs = sdk::load("ecs").expect("the ECS model");
        let run_task = ecs.model.operation("runTask").expect("RunTask");
        let parameters = json!({"Cluster": "jobs", "TaskDefinition": "report:3", "LaunchType": "FARGATE"});
        let execution = "arn:aws:states:us-east-1:123456789012:execution:nightly:tonight";
        let client_token = |task: u64| {
            let request = sdk::protocol::build(&ecs, run_task, &parameters, &idempotency_token(execution, task)).expect("a request");
            let body: serde_json::Value = serde_json::from_slice(&request.body).expect("a JSON body");
            body["clientToken"].as_str().map(str::to_owned)
        };
        let first = client_token(7).expect("RunTask's clientToken is filled");
        assert_eq!(first.len(), 32);
        assert_eq!(client_token(7).as_deref(), Some(first.as_str()), "the same task, after a restart");
        assert_ne!(client_token(8).as_deref(), Some(first.as_str()), "a retry is a new task");
        let given = json!({"Cluster": "jobs", "TaskDefinition": "report:3", "ClientToken": "mine"});
        let request = sdk::protocol::build(&ecs, run_task, &given, &idempotency_token(execution, 7)).expect("a request");
        let body: serde_json::Value = serde_json::from_slice(&request.body).expect("a JSON body");
        assert_eq!(body["clientToken"], json!("mine"), "a token the parameters give is kept");
        // The other start calls with a token member get it too (CodeBuild's through `prepare`); Batch's SubmitJob has
        // none.
        for (service, action, member, input) in [
            ("athena", "startQueryExecution", "ClientRequestToken", json!({"QueryString": "SELECT 1"})),
            ("codebuild", "startBuild", "idempotencyToken", json!({"ProjectName": "p"})),
            ("codebuild", "startBuildBatch", "idempotencyToken", json!({"ProjectName": "p"})),
            ("batch", "submitJob", "", json!({"JobName": "j", "JobQueue": "q", "JobDefinition": "d"})),
        ] {
            let model = sdk::load(service).expect("a model");
            let operation = model.model.operation(action).expect("the action");
            let token = idempotency_token(execution, 7);
            let input = prepare(&target(&format!("arn:aws:states:::{service}:{action}.sync")), &input, &token);
            let request = sdk::protocol::build(&model, operation, &input, &token).expect("a request");
            let body: serde_json::Value = serde_json::from_slice(&request.body).expect("a JSON body");
            let tokens: Vec<&str> = body.as_object().into_iter().flatten().filter(|(_, v)| v.as_str() == Some(first.as_str())).map(|(k, _)| k.as_str()).collect();
            let expected: Vec<&str> = if member.is_empty() { vec![] } else { vec![member] };
            assert_eq!(tokens, expected, "{service}:{action}");
        }
        // The jobs of the later optimized integrations whose start calls take a token (by the resource's name).
        for (resource, member, input) in [
            ("emr-serverless:startJobRun", "clientToken", json!({"ApplicationId": "a", "ExecutionRoleArn": "r"})),
            ("emr-serverless:createApplication", "clientToken", json!({"ReleaseLabel": "emr-6.15.0", "Type": "SPARK"})),
            ("emr-containers:startJobRun", "clientToken", json!({"VirtualClusterId": "v", "ExecutionRoleArn": "r", "ReleaseLabel": "l", "JobDriver": {}})),
            ("mediaconvert:createJob", "clientRequestToken", json!({"Role": "r", "Settings": {}})),
            (
                "bedrock:createModelCustomizationJob",
                "clientRequestToken",
                json!({
                    "JobName": "j", "CustomModelName": "c", "RoleArn": "r", "BaseModelIdentifier": "b",
                    "TrainingDataConfig": {"S3Uri": "s3://b/t"}, "OutputDataConfig": {"S3Uri": "s3://b/o"}
                }),
            ),
            ("databrew:startJobRun", "", json!({"Name": "j"})),
            (
                "sagemaker:createTrainingJob",
                "",
                json!({
                    "TrainingJobName": "t", "RoleArn": "r", "AlgorithmSpecification": {"TrainingInputMode": "File"},
                    "OutputDataConfig": {"S3OutputPath": "s3://b/o"}, "ResourceConfig": {"VolumeSizeInGB": 1}, "StoppingCondition": {}
                }),
            ),
        ] {
            let target = target(&format!("arn:aws:states:::{resource}.sync"));
            let token = idempotency_token(execution, 7);
            let model = sdk::load(&target.service).expect("a model");
            let operation = model.model.operation(&target.action).expect("the action");
            let request = sdk::protocol::build(&model, operation, &prepare(&target, &input, &token), &token).expect("a request");
            let body: serde_json::Value = if request.body.is_empty() { json!({}) } else { serde_json::from_slice(&request.body).expect("a JSON body") };
            let tokens: Vec<&str> = body.as_object().into_iter().flatten().filter(|(_, v)| v.as_str() == Some(token.as_str())).map(|(k, _)| k.as_str()).collect();
            let expected: Vec<&str> = if member.is_empty() { vec![] } else { vec![member] };
            assert_eq!(tokens, expected, "{resource}");
        }
    }

    #[test]
    fn bedrock_invoke_model_sends_json_as_text_and_parses_the_answer() {
        let invoke = target("arn:aws:states:::bedrock:invokeModel");
        assert_eq!((invoke.service.as_str(), invoke.optimized.map(|o| o.cause_service)), ("bedrockruntime", Some("AmazonBedrockRuntime")));
        let prepared = prepare(&invoke, &json!({"ModelId": "m", "Body": {"prompt": "hi"}}), "t");
        assert_eq!(prepared, json!({"ModelId": "m", "Body": "{\"prompt\":\"hi\"}", "ContentType": "application/json", "Accept": "application/json"}));
        let text = prepare(&invoke, &json!({"ModelId": "m", "Body": "raw", "ContentType": "text/plain"}), "t");
        assert_eq!(text, json!({"ModelId": "m", "Body": "raw", "ContentType": "text/plain"}));
        let request = super::request(&invoke, &prepared).expect("a request");
        assert_eq!((request.method.as_str(), request.path_and_query.as_str()), ("POST", "/model/m/invoke"));
        assert_eq!(request.body, br#"{"prompt":"hi"}"#);
        let answer = Answer { status: 200, headers: vec![], body: vec![] };
        let output = finish(&invoke, json!({"Body": "{\"generation\":\"hello\"}", "ContentType": "application/json"}), &answer).expect("a result");
        assert_eq!(output, json!({"Body": {"generation": "hello"}, "ContentType": "application/json"}));
        let plain = finish(&invoke, json!({"Body": "42", "ContentType": "text/plain"}), &answer).expect("a result");
        assert_eq!(plain["Body"], json!("42"));
        let customize = target("arn:aws:states:::bedrock:createModelCustomizationJob.sync");
        assert_eq!((customize.service.as_str(), customize.optimized.map(|o| o.error_prefix)), ("bedrock", Some("Bedrock")));
        assert_eq!(Target::of("arn:aws:states:::bedrock:invokeModel.sync"), None);
    }

    #[test]
    fn header_names_are_written_as_services_write_them() {
        assert_eq!(canonical_header("content-length"), "Content-Length");
        assert_eq!(canonical_header("x-amz-crc32"), "x-amz-crc32");
    }
}
