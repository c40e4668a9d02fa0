//! What every request passes before a handler: on a server that only loopback may reach and that checks no
//! credentials, a `Host` that names loopback (so that a web page cannot reach it through DNS rebinding: the browser
//! then sends the attacker's name), and on every answer the headers that forbid framing the console.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The names a loopback server without credentials answers to (with any port, and in their `sync-` forms, the host
/// prefix SDKs add for StartSyncExecution and TestState).
const LOOPBACK_NAMES: [&str; 4] = ["localhost", "127.0.0.1", "[::1]", "::1"];

/// Which `Host` headers the server answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Hosts {
    /// Any (a server meant for the network, or one that checks credentials).
    #[default]
    Any,
    /// Loopback's names and these others (`--allow-host`), each with any port and in its `sync-` form.
    Loopback(Vec<String>),
}

impl Hosts {
    /// Whether a request whose `Host` header is `host` (None: no header) is answered.
    pub fn allows(&self, host: Option<&str>) -> bool {
        let Hosts::Loopback(extra) = self else { return true };
        let Some(host) = host else { return false };
        let name = without_port(host).to_ascii_lowercase();
        let name = name.strip_prefix("sync-").unwrap_or(&name);
        LOOPBACK_NAMES.contains(&name) || extra.iter().any(|allowed| allowed.eq_ignore_ascii_case(name))
    }
}

/// `host` without its `:port`, if it has one (`[::1]:8083` is `[::1]`).
fn without_port(host: &str) -> &str {
    if let Some(end) = host.find(']') {
        return &host[..=end];
    }
    match host.rsplit_once(':') {
        // One colon: a name and a port; more: a bare IPv6 address.
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Refuses a request whose `Host` is not allowed, with 403 and AWS's `AccessDeniedException` shape.
pub(crate) async fn hosts(State(hosts): State<Hosts>, request: Request, next: Next) -> Response {
    let host = request.headers().get(header::HOST).and_then(|value| value.to_str().ok());
    if hosts.allows(host) {
        return next.run(request).await;
    }
    let shown: String = host.unwrap_or("(none)").chars().take(200).collect();
    let message = format!(
        "this Baton listens on loopback without credentials and answers only requests addressed to localhost, \
         127.0.0.1 or [::1], not to Host '{shown}'; name another host with baton serve --allow-host"
    );
    let body = serde_json::json!({"__type": "AccessDeniedException", "message": message});
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/x-amz-json-1.0")], body.to_string()).into_response()
}

/// Forbids framing any page (clickjacking of the console's buttons).
pub(crate) async fn no_framing(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    response
}

#[cfg(test)]
mod tests {
    use super::Hosts;

    #[test]
    fn a_loopback_server_answers_loopback_names_only() {
        let hosts = Hosts::Loopback(vec!["baton.internal".to_owned()]);
        for host in ["localhost", "127.0.0.1:8083", "[::1]:8083", "[::1]", "sync-127.0.0.1:8083", "LOCALHOST:1", "baton.internal:80", "sync-baton.internal"] {
            assert!(hosts.allows(Some(host)), "{host}");
        }
        for host in ["attacker.example", "attacker.example:8083", "127.0.0.1.attacker.example", "localhost.evil", "", "sync-"] {
            assert!(!hosts.allows(Some(host)), "{host}");
        }
        assert!(!hosts.allows(None), "no Host header");
        assert!(Hosts::Any.allows(Some("attacker.example")));
        assert!(Hosts::Any.allows(None));
    }
}
