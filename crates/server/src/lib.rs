//! The HTTP boundary of `baton serve`: the AWS Step Functions API (AWS JSON 1.0) over axum, the web console, and a home page.
//!
//! Every API call is `POST /` with `X-Amz-Target: AWSStepFunctions.<Action>`; `router` dispatches on that header to
//! one thin handler per action (`actions`), which extracts the request with `AwsJson`, calls
//! `runtime::service::Service`, and converts the result to `api` wire types (`convert`). Every failure is an
//! `ApiError`, rendered as AWS renders errors: HTTP 400 and `{"__type", "message"}`.
//!
//! The web console (`console`) is HTML, CSS and JavaScript embedded in the binary, over a few JSON routes that
//! call the same `Service`.
//!
//! This crate holds no business logic: what a request means is the `Service`'s business; here we only check that a
//! request has the shape the AWS model requires (`shape`) and translate.

mod actions;
mod auth;
mod console;
mod convert;
mod error;
mod extract;
mod guard;
mod home;
mod limits;
mod router;
mod shape;

pub use limits::BODY_LIMIT;
pub use auth::session::Tls;
pub use auth::{Access, Caller, Key, Keys};
pub use guard::Hosts;
pub use router::{over_tls, router, router_with, serve};
