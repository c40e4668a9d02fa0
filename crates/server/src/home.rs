//! The page a browser (or `curl`) gets at `GET /`: what this is and how to talk to it. The console comes later.

use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;

/// A plain-text page naming Baton and its API endpoint.
pub(crate) async fn page(headers: HeaderMap) -> impl IntoResponse {
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
         Any credentials and region are accepted. SDKs send StartSyncExecution to the host sync-<host>;\n\
         set AWS_DISABLE_HOST_PREFIX_INJECTION=true, or use a host name whose sync- sibling resolves.\n\
         \n\
         The web console is not here yet.\n",
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text)
}
