//! What `GET /` answers: a browser is sent to the console, anything else (`curl`) gets a page naming the API.

use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};

/// A redirect to `/console` when the client asks for HTML (a browser), else a plain-text page naming Baton and its
/// API endpoint.
pub(crate) async fn page(headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        return Redirect::to("/console").into_response();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("127.0.0.1:8083");
    let text = format!(
        "Baton: AWS Step Functions, anywhere.\n\
         \n\
         This address serves the AWS Step Functions API (AWS JSON 1.0):\n\
         POST / with X-Amz-Target: AWSStepFunctions.<Action>. Point the AWS CLI or an SDK at it:\n\
         \n\
         \x20   aws stepfunctions list-state-machines --endpoint-url http://{host}\n\
         \n\
         Without --credentials any credentials and region are accepted; with it, sign with one of its keys\n\
         for the server's region. SDKs send StartSyncExecution to the host sync-<host>;\n\
         set AWS_DISABLE_HOST_PREFIX_INJECTION=true, or use a host name whose sync- sibling resolves.\n\
         \n\
         The web console is at http://{host}/console\n",
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}
