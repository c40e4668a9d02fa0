//! The web console: HTML pages under `/console` and the JSON they fetch under `/console/api`.
//!
//! The pages are static files embedded in the binary (`console/assets`: one HTML shell, one stylesheet, three
//! scripts: `console.js` the pages and what they share, `designer.js` the design mode of the definition editor,
//! `operate.js` the pages across state machines; no JavaScript toolchain). The shell names its page in `data-page` and, for a state machine or an execution, its
//! ARN in `data-arn`; the script fetches that page's JSON and renders it. Reading goes through the thin handlers
//! here, which call the `Service`; starting, stopping and redriving go from the page straight to the AWS API
//! (`POST /` with `X-Amz-Target`), which is already the tested way to do them, so the console adds no second one.
//!
//! Who may use it is `sign_in`: on a server with keys, a signed-in session, whose caller every page and JSON route
//! acts as (`Viewer`: the service scoped to the caller's account, another account's ARN a 404), and whose API calls
//! carry the session's CSRF token; on any server, no request from another site and no form-able `POST`. Every value
//! the script shows is set as text, never parsed as HTML; the graphs are SVG built here (`graph`, which escapes every
//! name), and the script still takes only SVG's drawing elements from them.
//!
//! Routes (ARNs percent-encoded as one path segment):
//! - `GET /console`, `/console/state-machines/{arn}`, `/console/executions/{arn}`, `/console/map-runs/{arn}`: the
//!   pages (404 for an unknown ARN);
//! - `GET /console/assets/{file}`: the stylesheet and script;
//! - `GET /console/api/state-machines?next=…`, `/console/api/state-machines/{arn}`,
//!   `/console/api/state-machines/{arn}/executions?next=…&status=…`, `/console/api/executions/{arn}?since=…`,
//!   `/console/api/map-runs/{arn}`, `/console/api/map-runs/{arn}/executions?next=…&status=…`: JSON; a list takes
//!   `pageSize=N` (1 to 1000; `PAGE_SIZE` without it), and its `next` token goes with the same `status`;
//! - `POST /console/api/check`: the definition editor's validation as you type, and `POST /console/api/yaml`: a
//!   definition changed in the design view as YAML keeping the comments of the code view's text (`editor`);
//! - the pages across state machines and their JSON (`operate`): `GET /console/executions` (every execution the viewer
//!   sees, searched), `/console/activities`, `/console/api/executions?…`, `/console/api/activities`;
//! - with keys, `POST /console/sign-in` and `POST /console/sign-out` (`sign_in`).
//!
//! Not here: what a state's status is (`statuses`, pure) and how the graph is drawn (`graph`).

mod editor;
mod operate;
mod sign_in;
mod statuses;

use axum::Router;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::auth::Access;
use crate::auth::session::Session;

use runtime::service::{Error, Execution, HistoryRequest, Kind, MapRun, MapRunCounts, PageRequest, Service, StateMachine, Status};

/// Items per page of the state machine and execution lists, unless the query asks for `pageSize`.
pub(crate) const PAGE_SIZE: usize = 25;
/// The most a `pageSize` may ask for (the store's largest page).
const MAX_PAGE_SIZE: usize = 1000;
/// Events fetched per store read when the execution page loads a whole history.
const HISTORY_PAGE: usize = 1000;
/// State visits an execution's timeline lists (the first ones).
const TIMELINE_ROWS: usize = 300;

const SHELL: &str = include_str!("console/assets/page.html");
const STYLE: &str = include_str!("console/assets/console.css");
const SCRIPT: &str = include_str!("console/assets/console.js");
const DESIGNER: &str = include_str!("console/assets/designer.js");
const OPERATE: &str = include_str!("console/assets/operate.js");

/// The console's routes, to be merged into the API router; with `access`, behind its sign-in (`sign_in::gate`).
pub(crate) fn routes(access: Option<Access>) -> Router<Service> {
    let mut router = Router::new()
        .route("/console", get(list_page))
        .route("/console/", get(list_page))
        .route("/console/state-machines/{arn}", get(state_machine_page))
        .route("/console/executions/{arn}", get(execution_page))
        .route("/console/map-runs/{arn}", get(map_run_page))
        .route("/console/executions", get(operate::executions_page))
        .route("/console/activities", get(operate::activities_page))
        .route("/console/assets/{file}", get(asset))
        .route("/console/api/state-machines", get(list_state_machines))
        .route("/console/api/state-machines/{arn}", get(state_machine))
        .route("/console/api/state-machines/{arn}/executions", get(list_executions))
        .route("/console/api/state-machines/{arn}/dashboard", get(dashboard))
        .route("/console/api/executions/{arn}", get(execution))
        .route("/console/api/map-runs/{arn}", get(map_run))
        .route("/console/api/map-runs/{arn}/executions", get(list_map_run_executions))
        .route("/console/api/executions", get(operate::search_executions))
        .route("/console/api/activities", get(operate::activities))
        .route("/console/api/check", post(editor::check))
        .route("/console/api/yaml", post(editor::yaml));
    if let Some(access) = access.clone() {
        let (signing_in, signing_out) = (access.clone(), access);
        router = router
            .route("/console/sign-in", get(signed_in).post(move |request| sign_in::sign_in(signing_in, request)))
            .route("/console/sign-out", post(move |request| sign_in::sign_out(signing_out, request)));
    }
    router.route_layer(axum::middleware::from_fn_with_state(access, sign_in::gate))
}

/// Who the console acts for: a signed-in session's caller, or, on a server without keys, no one in particular (the
/// server's own account, which sees everything).
#[derive(Debug, Clone, Default)]
struct Viewer(Option<Session>);

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Viewer, Self::Rejection> {
        Ok(Viewer(parts.extensions.get::<Session>().cloned()))
    }
}

impl Viewer {
    /// `service` acting for the viewer: scoped to the caller's account.
    fn service(&self, service: Service) -> Service {
        match &self.0 {
            Some(session) => service.for_account(&session.caller.account_id),
            None => service,
        }
    }

    /// `service` acting for the viewer, who must see `arn` (in the caller's account): otherwise a 404, as for a
    /// resource that does not exist (which it does not, for this caller), whether or not another account has it.
    fn service_for(&self, service: Service, arn: &str, html: bool) -> Result<Service, ConsoleError> {
        let service = self.service(service);
        if service.sees(arn) {
            return Ok(service);
        }
        let message = format!("ResourceNotFound: account {} has no resource '{arn}'", service.account_id());
        Err(ConsoleError { status: StatusCode::NOT_FOUND, message, html })
    }

    /// The shell of `page` (about `arn`) for this viewer: its account, its key and its session's CSRF token.
    fn shell<'a>(&'a self, service: &'a Service, page: &'a str, arn: &'a str) -> Shell<'a> {
        match &self.0 {
            Some(session) => Shell {
                page,
                arn,
                account: &session.caller.account_id,
                key: &session.caller.access_key_id,
                csrf: &session.csrf,
                ..Shell::default()
            },
            None => Shell { page, arn, account: service.account_id(), ..Shell::default() },
        }
    }
}

/// `GET /console/sign-in` when signed in (a reload of the sign-in form's answer): the list.
async fn signed_in() -> Response {
    axum::response::Redirect::to("/console").into_response()
}

/// A console failure: an HTML or JSON body with the HTTP status that fits (404 for an ARN that names nothing).
/// Not `ApiError`: that one speaks the AWS error shape (always 400) to SDKs; the console speaks to its own script.
struct ConsoleError {
    status: StatusCode,
    message: String,
    html: bool,
}

impl ConsoleError {
    fn from_service(error: Error, html: bool) -> ConsoleError {
        let status = match error {
            Error::StateMachineDoesNotExist(_)
            | Error::ExecutionDoesNotExist(_)
            | Error::ResourceNotFound(_)
            | Error::InvalidArn(_) => {
                StatusCode::NOT_FOUND
            }
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        let message = match &error {
            Error::Internal(_) => "internal error: see the server's log".to_owned(),
            other => format!("{}: {other}", other.code()),
        };
        ConsoleError { status, message, html }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if self.html {
            (self.status, html(Shell { page: "error", message: &self.message, ..Shell::default() }.render())).into_response()
        } else {
            (self.status, json_body(&json!({"error": self.message}))).into_response()
        }
    }
}

/// The list page; it names the viewer's account, whose role ARN the create form suggests.
async fn list_page(State(service): State<Service>, viewer: Viewer) -> Response {
    html(viewer.shell(&service, "list", "").render()).into_response()
}

async fn state_machine_page(State(service): State<Service>, viewer: Viewer, Path(arn): Path<String>) -> Result<Response, ConsoleError> {
    let scoped = viewer.service_for(service.clone(), &arn, true)?;
    let machine = scoped.describe_state_machine(&arn).await.map_err(|e| ConsoleError::from_service(e, true))?;
    Ok(html(viewer.shell(&service, "state-machine", &machine.arn).render()).into_response())
}

async fn execution_page(State(service): State<Service>, viewer: Viewer, Path(arn): Path<String>) -> Result<Response, ConsoleError> {
    let scoped = viewer.service_for(service.clone(), &arn, true)?;
    let execution = scoped.describe_execution(&arn).await.map_err(|e| ConsoleError::from_service(e, true))?;
    Ok(html(viewer.shell(&service, "execution", &execution.arn).render()).into_response())
}

async fn map_run_page(State(service): State<Service>, viewer: Viewer, Path(arn): Path<String>) -> Result<Response, ConsoleError> {
    let scoped = viewer.service_for(service.clone(), &arn, true)?;
    let run = scoped.describe_map_run(&arn).await.map_err(|e| ConsoleError::from_service(e, true))?;
    Ok(html(viewer.shell(&service, "map-run", &run.info.arn).render()).into_response())
}

async fn asset(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "console.css" => ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response(),
        "console.js" => ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response(),
        "designer.js" => ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], DESIGNER).into_response(),
        "operate.js" => ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], OPERATE).into_response(),
        _ => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// `{"stateMachines": [{arn, name, type, created}], "next": token | null}`.
async fn list_state_machines(State(service): State<Service>, viewer: Viewer, RawQuery(query): RawQuery) -> Result<Response, ConsoleError> {
    let service = viewer.service(service);
    let page = page_request(query.as_deref());
    let page = service.list_state_machines(page).await.map_err(|e| ConsoleError::from_service(e, false))?;
    let items: Vec<Value> = page.items.iter().map(state_machine_summary).collect();
    Ok(json_body(&json!({"stateMachines": items, "next": page.next_token})).into_response())
}

/// `{"stateMachine": {arn, name, type, created, updated, roleArn, definition}, "svg": text | null}`.
async fn state_machine(State(service): State<Service>, viewer: Viewer, Path(arn): Path<String>) -> Result<Response, ConsoleError> {
    let service = viewer.service_for(service, &arn, false)?;
    let machine = service.describe_state_machine(&arn).await.map_err(|e| ConsoleError::from_service(e, false))?;
    let svg = asl::parse(&machine.definition).ok().map(|model| {
        let graph = graph::build(&model);
        graph::to_svg(&graph, &graph::layout(&graph), &graph::Statuses::new())
    });
    let mut summary = state_machine_summary(&machine);
    if let Some(object) = summary.as_object_mut() {
        object.insert("updated".to_owned(), json!(machine.updated));
        object.insert("roleArn".to_owned(), json!(machine.role_arn));
        object.insert("definition".to_owned(), json!(machine.definition));
    }
    Ok(json_body(&json!({"stateMachine": summary, "svg": svg})).into_response())
}

/// `{"executions": [{arn, name, status, start, stop}], "next": token | null}`, newest first; one store page; only
/// those with `?status=` when it is given.
/// An Express machine's are those this server keeps in memory (AWS lists none), with `"express": true` and
/// `"retentionSeconds"`, how long they are kept after they end (`baton serve --express-retention-seconds`).
async fn list_executions(
    State(service): State<Service>,
    viewer: Viewer,
    Path(arn): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let service = viewer.service_for(service, &arn, false)?;
    let status = status_filter(query.as_deref())?;
    let page = page_request(query.as_deref());
    let page = match service.list_executions(&arn, status, None, page).await {
        Ok(page) => page,
        // ListExecutions lists no Express executions, as on AWS; the console shows those kept in memory.
        Err(Error::StateMachineTypeNotSupported(_)) => {
            let page = service.list_express_executions(&arn, status, page_request(query.as_deref())).await;
            let page = page.map_err(|e| ConsoleError::from_service(e, false))?;
            let items: Vec<Value> = page.items.iter().map(execution_summary).collect();
            let retention = service.express_retention_seconds();
            let body = json!({"executions": items, "next": page.next_token, "express": true, "retentionSeconds": retention});
            return Ok(json_body(&body).into_response());
        }
        Err(error) => return Err(ConsoleError::from_service(error, false)),
    };
    let items: Vec<Value> = page.items.iter().map(execution_summary).collect();
    Ok(json_body(&json!({"executions": items, "next": page.next_token})).into_response())
}

/// `{"windowMinutes", "stepMinutes", "bars": [{start, started, succeeded, failed, timedOut, aborted}], "totals":
/// {…}, "ended", "p50", "p90", "p99"}`: the machine's executions by status over the last `?window=` minutes (60, 360
/// or 1440; 60 otherwise) in bars of 1, 5 or 15 minutes, and the percentiles of their durations in seconds (null when
/// none ended), from what this server counted since it started (`runtime::service::Dashboard`).
async fn dashboard(
    State(service): State<Service>,
    viewer: Viewer,
    Path(arn): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let service = viewer.service_for(service, &arn, false)?;
    let (window, step) = match query_param(query.as_deref(), "window").as_deref() {
        Some("1440") => (1440, 15),
        Some("360") => (360, 5),
        _ => (60, 1),
    };
    let dashboard = service.dashboard(&arn, window, step).await.map_err(|e| ConsoleError::from_service(e, false))?;
    let counts = |counts: &runtime::service::Counts| {
        json!({"started": counts.started, "succeeded": counts.succeeded, "failed": counts.failed,
               "timedOut": counts.timed_out, "aborted": counts.aborted})
    };
    let bars: Vec<Value> = dashboard
        .bars
        .iter()
        .map(|bar| {
            let mut value = counts(&bar.counts);
            value["start"] = json!(bar.start);
            value
        })
        .collect();
    Ok(json_body(&json!({
        "windowMinutes": window,
        "stepMinutes": dashboard.step_minutes,
        "bars": bars,
        "totals": counts(&dashboard.totals),
        "ended": dashboard.ended,
        "p50": dashboard.p50,
        "p90": dashboard.p90,
        "p99": dashboard.p99,
    }))
    .into_response())
}

/// `{"mapRun": {arn, executionArn, stateMachineArn, stateName, status, start, stop, maxConcurrency,
/// toleratedFailureCount, toleratedFailurePercentage, itemCounts, executionCounts, redriveCount, redriveDate}}`, as
/// `DescribeMapRun` reads it (times in milliseconds, as the other routes give them).
async fn map_run(State(service): State<Service>, viewer: Viewer, Path(arn): Path<String>) -> Result<Response, ConsoleError> {
    let service = viewer.service_for(service, &arn, false)?;
    let run = service.describe_map_run(&arn).await.map_err(|e| ConsoleError::from_service(e, false))?;
    Ok(json_body(&json!({"mapRun": map_run_summary(&run)})).into_response())
}

/// `{"executions": [{arn, name, status, start, stop, error, cause}], "next": token | null}`: one page of the Map Run's
/// child executions, newest first, only those with `?status=` when it is given.
async fn list_map_run_executions(
    State(service): State<Service>,
    viewer: Viewer,
    Path(arn): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let service = viewer.service_for(service, &arn, false)?;
    let status = status_filter(query.as_deref())?;
    let page = page_request(query.as_deref());
    let page = service.list_map_run_executions(&arn, status, None, page).await.map_err(|e| ConsoleError::from_service(e, false))?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|execution| {
            let mut row = execution_summary(execution);
            if let Some(object) = row.as_object_mut() {
                object.insert("error".to_owned(), json!(execution.error));
                object.insert("cause".to_owned(), json!(execution.cause));
            }
            row
        })
        .collect();
    Ok(json_body(&json!({"executions": items, "next": page.next_token})).into_response())
}

/// `{"execution": {...}, "events": [wire events], "states": {name: {status, …, items, tally}}, "timeline": {"visits":
/// [{name, start, end, status}], "total": N}, "waiting": [{token, stateName, resource, scheduledEventId, activity}],
/// "svg": text | null}`; `items` is a Map state's item counts (`statuses::Items::to_json`), else null; `tally` counts
/// how the state's visits ended (`{succeeded, caught, failed, running}`); `timeline` lists the first
/// `TIMELINE_ROWS` visits of states as `statuses::fold` reads them, so the graph and the timeline agree.
///
/// `waiting` holds the tasks that wait for their tokens (`Service::waiting_tasks`: callbacks whose request was made,
/// activity tasks a worker took), for the page's Approve and Reject buttons, which send `SendTaskSuccess` and
/// `SendTaskFailure` through the AWS API. Only a running execution whose history has a `TaskSubmitted` or
/// `ActivityStarted` event can have one, so the service is asked only then.
///
/// With `?since=N`, `events` holds only the events after the N-th (the page polls with the count it has, so a long
/// history crosses the wire once); `eventCount` is the whole history's length either way.
///
/// A Map Run's child execution has `mapRunArn` and `parentArn` (the execution whose Map Run it is), and is drawn as
/// its Map's item processor (its record keeps no definition of its own).
async fn execution(
    State(service): State<Service>,
    viewer: Viewer,
    Path(arn): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let service = viewer.service_for(service, &arn, false)?;
    let since: u64 = query_param(query.as_deref(), "since").and_then(|n| n.parse().ok()).unwrap_or(0);
    let fail = |e| ConsoleError::from_service(e, false);
    let record = service.describe_execution(&arn).await.map_err(fail)?;
    let definition = match &record.map_run_arn {
        Some(_) => service.describe_state_machine_for_execution(&arn).await.map_err(fail)?.machine.definition,
        None => record.definition.clone(),
    };
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let request = HistoryRequest {
            execution_arn: arn.clone(),
            reverse: false,
            include_data: true,
            page: PageRequest { token, limit: HISTORY_PAGE },
        };
        let page = service.get_execution_history(request).await.map_err(fail)?;
        events.extend(page.items);
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    let (svg, states, timeline) = match asl::parse(&definition) {
        Ok(model) => {
            let graph = graph::build(&model);
            let folded = statuses::fold(&graph, &events, TIMELINE_ROWS);
            let mut runs = folded.states;
            // A distributed Map's item counts are its Map Run's: its iterations are not events of this history.
            for items in runs.values_mut().filter_map(|run| run.items.as_mut()) {
                if let Some(arn) = items.map_run_lacking_counts()
                    && let Ok(map_run) = service.describe_map_run(arn).await
                {
                    items.with_map_run(&map_run.info);
                }
            }
            let colours: graph::Statuses = runs.iter().map(|(name, run)| (name.clone(), run.status)).collect();
            let tallies: graph::Tallies = runs.iter().map(|(name, run)| (name.clone(), run.tally)).collect();
            // A Map's note is its items'; a state whose visits ended in more than one way says how many each.
            let notes: graph::Notes = runs
                .iter()
                .filter_map(|(name, run)| match &run.items {
                    Some(items) => Some((name.clone(), items.note())),
                    None => run.tally.mixed().then(|| (name.clone(), run.tally.note())),
                })
                .collect();
            let svg = graph::to_svg_with(&graph, &graph::layout_with_notes(&graph, &notes), &colours, &tallies);
            let visits: Vec<Value> = folded.visits.iter().map(statuses::Visit::to_json).collect();
            (Some(svg), runs, json!({"visits": visits, "total": folded.visit_count}))
        }
        Err(_) => (None, Default::default(), json!({"visits": [], "total": 0})),
    };
    let states: serde_json::Map<String, Value> = states
        .into_iter()
        .map(|(name, run)| {
            let value = json!({
                "status": run.status.as_str(),
                "entered": run.entered,
                "attempts": run.attempts,
                "input": run.input,
                "output": run.output,
                "assignedVariables": run.assigned_variables,
                "error": run.error,
                "cause": run.cause,
                "items": run.items.as_ref().map(statuses::Items::to_json),
                "tally": {"succeeded": run.tally.succeeded, "caught": run.tally.caught, "failed": run.tally.failed,
                          "running": run.tally.running},
            });
            (name, value)
        })
        .collect();
    let mut summary = execution_summary(&record);
    if let Some(object) = summary.as_object_mut() {
        object.insert("stateMachineArn".to_owned(), json!(record.state_machine_arn));
        object.insert("input".to_owned(), json!(record.input));
        object.insert("output".to_owned(), json!(record.output));
        object.insert("error".to_owned(), json!(record.error));
        object.insert("cause".to_owned(), json!(record.cause));
        object.insert("redriveCount".to_owned(), json!(record.redrive_count));
        object.insert("mapRunArn".to_owned(), json!(record.map_run_arn));
        object.insert("parentArn".to_owned(), json!(record.map_run_arn.as_deref().and_then(runtime::service::map_run_parent)));
    }
    let tokens_out = events.iter().any(|event| matches!(event["type"].as_str(), Some("TaskSubmitted" | "ActivityStarted")));
    let waiting = if record.status == Status::Running && tokens_out {
        service.waiting_tasks(&arn).await.map_err(fail)?
    } else {
        Vec::new()
    };
    let waiting: Vec<Value> = waiting
        .iter()
        .map(|task| {
            json!({"token": task.token, "stateName": task.state_name, "resource": task.resource,
                   "scheduledEventId": task.scheduled_event, "activity": task.activity})
        })
        .collect();
    let count = events.len();
    let events: Vec<&Value> = events.iter().filter(|event| event["id"].as_u64().is_none_or(|id| id > since)).collect();
    let body = json!({"execution": summary, "eventCount": count, "events": events, "states": states,
                      "timeline": timeline, "waiting": waiting, "svg": svg});
    Ok(json_body(&body).into_response())
}

fn state_machine_summary(machine: &StateMachine) -> Value {
    let kind = match machine.kind {
        Kind::Standard => "STANDARD",
        Kind::Express => "EXPRESS",
    };
    json!({"arn": machine.arn, "name": machine.name, "type": kind, "created": machine.created})
}

fn execution_summary(execution: &Execution) -> Value {
    let status = match execution.status {
        Status::Running => "RUNNING",
        Status::Succeeded => "SUCCEEDED",
        Status::Failed => "FAILED",
        Status::TimedOut => "TIMED_OUT",
        Status::Aborted => "ABORTED",
    };
    json!({
        "arn": execution.arn,
        "name": execution.name,
        "status": status,
        "start": execution.start,
        "stop": execution.stop,
    })
}

fn map_run_summary(run: &MapRun) -> Value {
    let info = &run.info;
    let status = match info.status {
        runtime::service::MapRunStatus::Running => "RUNNING",
        runtime::service::MapRunStatus::Succeeded => "SUCCEEDED",
        runtime::service::MapRunStatus::Failed => "FAILED",
        runtime::service::MapRunStatus::Aborted => "ABORTED",
    };
    json!({
        "arn": info.arn,
        "executionArn": run.execution_arn,
        "stateMachineArn": run.state_machine_arn,
        "stateName": info.state_name,
        "status": status,
        "start": info.start,
        "stop": info.stop,
        "maxConcurrency": info.max_concurrency,
        "toleratedFailureCount": info.tolerated_failure_count,
        "toleratedFailurePercentage": info.tolerated_failure_percentage,
        "itemCounts": map_run_counts(&info.items),
        "executionCounts": map_run_counts(&info.executions),
        "redriveCount": info.redrive_count,
        "redriveDate": info.redrive_date,
    })
}

fn map_run_counts(counts: &MapRunCounts) -> Value {
    json!({
        "pending": counts.pending,
        "running": counts.running,
        "succeeded": counts.succeeded,
        "failed": counts.failed,
        "aborted": counts.aborted,
        "total": counts.total,
        "pendingRedrive": counts.pending_redrive,
        "failuresNotRedrivable": counts.failures_not_redrivable,
    })
}

/// The execution status `?status=` asks for, if it asks for one.
fn status_filter(query: Option<&str>) -> Result<Option<Status>, ConsoleError> {
    match query_param(query, "status").filter(|name| !name.is_empty()) {
        None => Ok(None),
        Some(name) => crate::convert::status_named(&name).map(Some).ok_or_else(|| {
            let message = format!("unknown status '{name}': RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED");
            ConsoleError { status: StatusCode::BAD_REQUEST, message, html: false }
        }),
    }
}

/// One page after the `next` token of the query, if it has one: `pageSize` items (at most `MAX_PAGE_SIZE`), or
/// `PAGE_SIZE` when the query gives no size or one that is not a positive number.
fn page_request(query: Option<&str>) -> PageRequest {
    let token = query_param(query, "next").filter(|token| !token.is_empty());
    let limit = query_param(query, "pageSize").and_then(|n| n.parse::<usize>().ok()).filter(|n| *n > 0);
    PageRequest { token, limit: limit.map_or(PAGE_SIZE, |n| n.min(MAX_PAGE_SIZE)) }
}

/// The decoded value of `key` in a query string, if it is there.
fn query_param(query: Option<&str>, key: &str) -> Option<String> {
    query?.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == key).map(|(_, value)| percent_decode(value))
}

/// `%XX` escapes and `+` decoded; a malformed escape is kept as it is (the store then rejects the token).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        let hex = bytes.get(i + 1..i + 3).and_then(|pair| std::str::from_utf8(pair).ok());
        match (byte, hex.and_then(|hex| u8::from_str_radix(hex, 16).ok())) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The HTML shell of a page: which page, and what its script needs, in the data attributes of `<main>`.
#[derive(Debug, Default)]
struct Shell<'a> {
    /// `list`, `state-machine`, `execution`, `map-run`, `executions`, `activities`, `error`, `sign-in` or `reload`.
    page: &'a str,
    arn: &'a str,
    /// An error to show (the error page's, or the sign-in form's).
    message: &'a str,
    /// The account the console acts in.
    account: &'a str,
    /// The signed-in key, if any.
    key: &'a str,
    /// The session's CSRF token, sent with every request that changes something.
    csrf: &'a str,
    /// Where the sign-in form goes back to.
    next: &'a str,
}

impl Shell<'_> {
    fn render(&self) -> String {
        SHELL
            .replace("{{page}}", &escape(self.page))
            .replace("{{arn}}", &escape(self.arn))
            .replace("{{message}}", &escape(self.message))
            .replace("{{account}}", &escape(self.account))
            .replace("{{key}}", &escape(self.key))
            .replace("{{csrf}}", &escape(self.csrf))
            .replace("{{next}}", &escape(self.next))
    }
}

/// What a console page may load and run: its own script and stylesheet only (no inline script, so a value that
/// slipped into the page as markup could still not run), the inline styles of the SVG graphs, requests to this
/// server, forms posted to it; and it is never framed.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                           connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn html(body: String) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
        ],
        body,
    )
}

fn json_body(value: &Value) -> impl IntoResponse + use<> {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], value.to_string())
}

/// Text made safe inside an HTML attribute or element.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
