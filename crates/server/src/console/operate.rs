//! The console's pages across state machines (their script is `operate.js`): the executions of every machine the
//! viewer sees, searched and acted on together, and the activities with their workers and waiting tasks.
//!
//! Routes:
//! - `GET /console/executions` and `GET /console/activities`: the pages;
//! - `GET /console/api/executions?name=&status=&stateMachine=&from=&to=&next=&pageSize=`: one page of the search,
//!   newest first (`Service::search_executions`, one store query served by an index): `name` a text the execution's
//!   name contains (case matters), `status` one of AWS's, `stateMachine` a machine's ARN, `from` and `to` start times in
//!   milliseconds since the epoch (`from` inclusive, `to` exclusive), `pageSize` 1 to 1000 (`PAGE_SIZE` without it);
//!   an empty parameter filters nothing, a malformed one is a 400 naming it, another account's machine a 404;
//! - `GET /console/api/activities`: every activity the viewer sees, its workers polling this server now and its tasks
//!   waiting (`Service::activity_queues`).
//!
//! Stopping and redriving the executions a person selects go from the page to the AWS API, one call each, as on an
//! execution's page.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use runtime::service::{ActivityQueue, Error, ExecutionSearch, PageRequest, Service};

use super::{ConsoleError, MAX_PAGE_SIZE, PAGE_SIZE, Viewer, execution_summary, html, json_body, query_param, status_filter};

/// `GET /console/executions`: the search page.
pub(super) async fn executions_page(State(service): State<Service>, viewer: Viewer) -> Response {
    html(viewer.shell(&service, "executions", "").render()).into_response()
}

/// `GET /console/activities`: the activities page.
pub(super) async fn activities_page(State(service): State<Service>, viewer: Viewer) -> Response {
    html(viewer.shell(&service, "activities", "").render()).into_response()
}

/// `{"executions": [{arn, name, status, start, stop, stateMachineArn, redriveCount, error}], "next": token | null}`.
pub(super) async fn search_executions(
    State(service): State<Service>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, ConsoleError> {
    let query = query.as_deref();
    let machine = given(query, "stateMachine");
    if let Some(arn) = machine.as_deref().filter(|arn| runtime::service::account_of(arn).is_none()) {
        return Err(bad_request(format!("stateMachine must be a state machine's ARN, not '{arn}'")));
    }
    let service = match &machine {
        Some(arn) => viewer.service_for(service, arn, false)?,
        None => viewer.service(service),
    };
    let search = ExecutionSearch {
        state_machine_arn: machine,
        name_contains: given(query, "name"),
        status: status_filter(query)?,
        started_from: millis(query, "from")?,
        started_before: millis(query, "to")?,
    };
    let page = PageRequest { token: given(query, "next"), limit: page_size(query)? };
    let page = service.search_executions(search, page).await.map_err(|error| match error {
        // A malformed machine ARN is a bad parameter here, not a page that does not exist.
        Error::InvalidArn(message) => bad_request(format!("stateMachine: {message}")),
        other => ConsoleError::from_service(other, false),
    })?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|execution| {
            let mut row = execution_summary(execution);
            if let Some(object) = row.as_object_mut() {
                object.insert("stateMachineArn".to_owned(), json!(execution.state_machine_arn));
                object.insert("redriveCount".to_owned(), json!(execution.redrive_count));
                object.insert("error".to_owned(), json!(execution.error));
            }
            row
        })
        .collect();
    Ok(json_body(&json!({"executions": items, "next": page.next_token})).into_response())
}

/// `{"activities": [{arn, name, created, waiting, tasks: [{executionArn, since}], pollers: [{worker, since}]}],
/// "shownTasks": N}`: `created` is null for an activity that does not exist but has tasks waiting; `tasks` lists at most
/// `shownTasks` of the `waiting`, and none on a shared store (whose queues are in the database); `pollers` are this
/// server's.
pub(super) async fn activities(State(service): State<Service>, viewer: Viewer) -> Result<Response, ConsoleError> {
    let queues = viewer.service(service).activity_queues().await.map_err(|e| ConsoleError::from_service(e, false))?;
    let items: Vec<Value> = queues.iter().map(activity_queue).collect();
    Ok(json_body(&json!({"activities": items, "shownTasks": runtime::service::SHOWN_TASKS})).into_response())
}

fn activity_queue(queue: &ActivityQueue) -> Value {
    let tasks: Vec<Value> = queue.tasks.iter().map(|task| json!({"executionArn": task.execution_arn, "since": task.since})).collect();
    let pollers: Vec<Value> = queue.pollers.iter().map(|poller| json!({"worker": poller.worker, "since": poller.since})).collect();
    json!({
        "arn": queue.arn,
        "name": queue.name,
        "created": queue.created,
        "waiting": queue.waiting,
        "tasks": tasks,
        "pollers": pollers,
    })
}

/// The value of `key` in the query, unless it is missing or empty.
fn given(query: Option<&str>, key: &str) -> Option<String> {
    query_param(query, key).filter(|value| !value.is_empty())
}

/// `key` as milliseconds since the epoch, if given; anything but a whole number is a 400.
fn millis(query: Option<&str>, key: &str) -> Result<Option<i64>, ConsoleError> {
    given(query, key)
        .map(|value| value.parse::<i64>().map_err(|_| bad_request(format!("{key} must be milliseconds since 1970, not '{value}'"))))
        .transpose()
}

/// `pageSize`: 1 to `MAX_PAGE_SIZE`, `PAGE_SIZE` when not given; anything else is a 400.
fn page_size(query: Option<&str>) -> Result<usize, ConsoleError> {
    match given(query, "pageSize") {
        None => Ok(PAGE_SIZE),
        Some(value) => value
            .parse::<usize>()
            .ok()
            .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
            .ok_or_else(|| bad_request(format!("pageSize must be from 1 to {MAX_PAGE_SIZE}, not '{value}'"))),
    }
}

fn bad_request(message: String) -> ConsoleError {
    ConsoleError { status: StatusCode::BAD_REQUEST, message, html: false }
}
