//! The router: `POST /` dispatched on `X-Amz-Target`, `GET /` the home page (a redirect to the console for a
//! browser), the console under `/console`, and `serve`.
//!
//! Which `Host` is answered is `guard::Hosts`: any, or on a loopback server without credentials only loopback's
//! names (SDKs send StartSyncExecution and TestState to `sync-<host>`, the model's host prefix, which counts as the
//! host). Every answer forbids framing (`guard::no_framing`).

use std::future::Future;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;

use runtime::service::Service;

use crate::actions::{execution, history, map_run, redrive, state_machine, tagging, task, test_state, validation, versions};
use crate::error::ApiError;
use crate::limits::BODY_LIMIT;
use crate::auth::{self, Access, Caller};
use crate::guard::{self, Hosts};
use crate::{console, home};

/// The API, the home page and the console over `service`, answering any `Host`, checking no signature.
pub fn router(service: Service) -> Router {
    router_with(service, Hosts::Any, None)
}

/// `router`, answering only the `Host` headers `hosts` allows; with `access`, every API call must be signed with one
/// of its keys, and acts in that key's account.
pub fn router_with(service: Service, hosts: Hosts, access: Option<Access>) -> Router {
    Router::new()
        .route("/", get(home::page).post(dispatch))
        .route("/baton/admin/reset", post(reset))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", match access.clone() {
            Some(access) => get(move |service, headers| metrics_with_keys(service, headers, access)),
            None => get(metrics),
        })
        .merge(console::routes(access.clone()))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(access, auth::signed))
        .layer(axum::middleware::from_fn_with_state(hosts, guard::hosts))
        .layer(axum::middleware::from_fn(guard::no_framing))
        .with_state(service)
}

/// `router` as served over TLS: each request carries `Tls`, so that the console's session cookie is `Secure`.
pub fn over_tls(router: Router) -> Router {
    router.layer(axum::Extension(crate::Tls))
}

/// Serves `router(service)` on `listener` until `shutdown` resolves, lets in-flight requests finish, then shuts the
/// service down (its in-flight commits finish and the store closes).
pub async fn serve(
    listener: TcpListener,
    service: Service,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The service shuts down first, when the signal comes: long polls and running evaluations end, so the server's
    // graceful shutdown does not wait for them.
    let stopping = service.clone();
    axum::serve(listener, router(service))
        .with_graceful_shutdown(async move {
            shutdown.await;
            stopping.shutdown().await;
        })
        .await
}

/// `GET /healthz`: the process serves HTTP (200), for a supervisor's liveness probe.
async fn healthz() -> Response {
    use axum::http::header;
    ([(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#).into_response()
}

/// `GET /metrics`: the service's Prometheus metrics, in the OpenMetrics text format.
async fn metrics(State(service): State<Service>) -> Response {
    use axum::http::header;
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], service.metrics_text().await).into_response()
}

/// `GET /metrics` on a server with `--credentials`: its labels name every account's state machines, so only for a key
/// marked `metrics` (the operator's scraper), given as HTTP Basic (`id:secret`) or Bearer (`id:secret`)
/// authorization, since a scraper cannot sign; 401 asking for it without one, 403 for any other.
async fn metrics_with_keys(State(service): State<Service>, headers: HeaderMap, access: Access) -> Response {
    use axum::http::{StatusCode, header};
    let Some(authorization) = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()) else {
        let message = serde_json::json!({"message": "the metrics need the authorization of a key marked metrics = true"});
        let challenge = [(header::WWW_AUTHENTICATE, "Basic realm=\"baton metrics\""), (header::CONTENT_TYPE, "application/json")];
        return (StatusCode::UNAUTHORIZED, challenge, message.to_string()).into_response();
    };
    if !access.keys.metrics_reader(authorization) {
        let message = "the metrics show every account's state machine names: only a key marked metrics = true in \
                       --credentials may read them, with its secret";
        return auth::denied("AccessDeniedException", message).into_response();
    }
    metrics(State(service)).await
}

/// `GET /readyz`: 200 when the service takes work (its store answers a read and it is not shutting down), else 503
/// with why, for a load balancer's readiness probe.
async fn readyz(State(service): State<Service>) -> Response {
    use axum::http::{StatusCode, header};
    let json = [(header::CONTENT_TYPE, "application/json")];
    match service.not_ready().await {
        None => (json, r#"{"status":"ready"}"#).into_response(),
        Some(why) => {
            let body = serde_json::json!({"status": "not ready", "why": why});
            (StatusCode::SERVICE_UNAVAILABLE, json, body.to_string()).into_response()
        }
    }
}

/// `POST /baton/admin/reset` (`baton serve --admin`): forgets everything, for test suites. Without `--admin`, 403;
/// from another site's page (a form needs no custom header to post here), 403 too; with `--credentials` it must be
/// signed, by a key that is not read-only.
async fn reset(State(service): State<Service>, caller: Option<axum::Extension<Caller>>, headers: HeaderMap) -> Response {
    use axum::http::{StatusCode, header};
    let json = [(header::CONTENT_TYPE, "application/json")];
    // With --credentials the call is signed (`auth::signed`); a read-only key resets nothing.
    if let Some(axum::Extension(caller)) = caller
        && caller.read_only
    {
        let message = format!("User: {} is not authorized to perform the admin reset: the key is read-only", caller.user_arn());
        return auth::denied("AccessDeniedException", &message).into_response();
    }
    if let Some(why) = guard::foreign(&headers, None) {
        let message = serde_json::json!({"message": format!("{why}: the admin calls come from test suites, not web pages")});
        return (StatusCode::FORBIDDEN, json, message.to_string()).into_response();
    }
    if !service.admin() {
        let message = serde_json::json!({"message": "the admin calls are off: start baton serve with --admin to reset it"});
        return (StatusCode::FORBIDDEN, json, message.to_string()).into_response();
    }
    match service.reset().await {
        Ok(()) => (json, "{}").into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// Calls the handler of the action `X-Amz-Target` names (for a signed request, acting in its key's account), and
/// counts and times the request by action and status for `/metrics`.
async fn dispatch(State(service): State<Service>, request: Request) -> Response {
    // The action's label is one of the API's names (a bounded set), whatever a client sends.
    let label = action(request.headers()).ok().and_then(|name| api::ACTIONS.iter().find(|known| **known == name).copied());
    let timer = service.time_request();
    let response = handle(service, request).await;
    timer.finish(label.unwrap_or("unknown"), response.status().as_u16());
    response
}

/// `dispatch`'s work: the handler of the action, as the caller's account.
async fn handle(service: Service, request: Request) -> Response {
    let action = match action(request.headers()) {
        Ok(action) => action,
        Err(error) => return refuse(request, error).await,
    };
    let (service, request) = match request.extensions().get::<Caller>().cloned() {
        None => (service, request),
        Some(caller) => match permitted(&caller, &action, request).await {
            Ok(request) => (service.for_account(&caller.account_id), request),
            Err(error) => return error.into_response(),
        },
    };
    match action.as_str() {
        "CreateStateMachine" => state_machine::create.call(request, service).await,
        "DescribeStateMachine" => state_machine::describe.call(request, service).await,
        "UpdateStateMachine" => state_machine::update.call(request, service).await,
        "DeleteStateMachine" => state_machine::delete.call(request, service).await,
        "ListStateMachines" => state_machine::list.call(request, service).await,
        "DescribeStateMachineForExecution" => state_machine::describe_for_execution.call(request, service).await,
        "StartExecution" => execution::start.call(request, service).await,
        "StartSyncExecution" => execution::start_sync.call(request, service).await,
        "StopExecution" => execution::stop.call(request, service).await,
        "DescribeExecution" => execution::describe.call(request, service).await,
        "ListExecutions" => execution::list.call(request, service).await,
        "GetExecutionHistory" => history::get.call(request, service).await,
        "TagResource" => tagging::tag.call(request, service).await,
        "UntagResource" => tagging::untag.call(request, service).await,
        "ListTagsForResource" => tagging::list.call(request, service).await,
        "ValidateStateMachineDefinition" => validation::validate.call(request, service).await,
        "TestState" => test_state::test_state.call(request, service).await,
        "SendTaskSuccess" => task::send_success.call(request, service).await,
        "SendTaskFailure" => task::send_failure.call(request, service).await,
        "SendTaskHeartbeat" => task::send_heartbeat.call(request, service).await,
        "CreateActivity" => task::create_activity.call(request, service).await,
        "DescribeActivity" => task::describe_activity.call(request, service).await,
        "DeleteActivity" => task::delete_activity.call(request, service).await,
        "ListActivities" => task::list_activities.call(request, service).await,
        "GetActivityTask" => task::get_activity_task.call(request, service).await,
        "PublishStateMachineVersion" => versions::publish.call(request, service).await,
        "ListStateMachineVersions" => versions::list_versions.call(request, service).await,
        "DeleteStateMachineVersion" => versions::delete_version.call(request, service).await,
        "CreateStateMachineAlias" => versions::create_alias.call(request, service).await,
        "DescribeStateMachineAlias" => versions::describe_alias.call(request, service).await,
        "UpdateStateMachineAlias" => versions::update_alias.call(request, service).await,
        "DeleteStateMachineAlias" => versions::delete_alias.call(request, service).await,
        "ListStateMachineAliases" => versions::list_aliases.call(request, service).await,
        "RedriveExecution" => redrive::redrive.call(request, service).await,
        "DescribeMapRun" => map_run::describe.call(request, service).await,
        "ListMapRuns" => map_run::list.call(request, service).await,
        "UpdateMapRun" => map_run::update.call(request, service).await,
        other if api::ACTIONS.contains(&other) => {
            refuse(request, ApiError::unknown_operation(format!("Baton does not implement {other} yet"))).await
        }
        other => refuse(request, ApiError::unknown_operation(format!("unknown operation: {other}"))).await,
    }
}

/// `request` if `caller` may make it: a read-only key only reads, and no key reaches another account's resources
/// (every `…Arn` member naming a Step Functions resource must name the caller's account).
async fn permitted(caller: &Caller, action: &str, request: Request) -> Result<Request, ApiError> {
    let not_authorized = |resource: Option<&str>, why: &str| {
        let on = resource.map(|arn| format!(" on resource: {arn}")).unwrap_or_default();
        auth::denied(
            "AccessDeniedException",
            &format!("User: {} is not authorized to perform: states:{action}{on} because {why}", caller.user_arn()),
        )
    };
    if caller.read_only && !auth::read_only_action(action) {
        return Err(not_authorized(None, &format!("the key {} is read-only", caller.access_key_id)));
    }
    // The body is whole in memory already (`auth::signed` read it to check its hash).
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| ApiError::TooLarge { limit: BODY_LIMIT })?;
    if let Ok(serde_json::Value::Object(members)) = serde_json::from_slice::<serde_json::Value>(&body) {
        let routes = members.get("routingConfiguration").and_then(serde_json::Value::as_array);
        let routed = routes.into_iter().flatten().filter_map(|route| route.get("stateMachineVersionArn"));
        let named = members.iter().filter(|(name, _)| name.ends_with("Arn")).map(|(_, value)| value);
        for arn in named.chain(routed).filter_map(serde_json::Value::as_str) {
            let mut parts = arn.split(':');
            let (service, account) = (parts.nth(2), parts.nth(1));
            if service == Some("states") && account.is_some_and(|account| account != caller.account_id) {
                return Err(not_authorized(Some(arn), "the resource belongs to another account"));
            }
        }
    }
    Ok(Request::from_parts(parts, axum::body::Body::from(body)))
}

/// Answers `error` to a request no handler takes, after reading its body: hyper closes a connection whose request
/// body was left unread, and SDKs send their next request on the same connection. A body over `BODY_LIMIT` is not
/// read to its end (that connection closes, as for any oversized request).
async fn refuse(request: Request, error: ApiError) -> Response {
    let _ = axum::body::to_bytes(request.into_body(), BODY_LIMIT).await;
    error.into_response()
}

/// The action of `X-Amz-Target: AWSStepFunctions.<Action>`.
fn action(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(target) = headers.get("x-amz-target") else {
        return Err(ApiError::unknown_operation(format!(
            "missing X-Amz-Target header: send {}.<Action>",
            api::TARGET_PREFIX
        )));
    };
    let target = String::from_utf8_lossy(target.as_bytes());
    match target.split_once('.') {
        Some((prefix, action)) if prefix == api::TARGET_PREFIX => Ok(action.to_owned()),
        _ => Err(ApiError::unknown_operation(format!(
            "unknown operation: '{target}' is not {}.<Action>",
            api::TARGET_PREFIX
        ))),
    }
}
