//! What every request passes before a handler: on a server that only loopback may reach and that checks no
//! credentials, a `Host` that names loopback (so that a web page cannot reach it through DNS rebinding: the browser
//! then sends the attacker's name), and on every answer the headers that forbid framing the console.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
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

/// Why a request comes from a page of another site, if it does. The browser's word first: `Sec-Fetch-Site` is
/// `cross-site`, or `same-site` (a sibling host, which may be anyone's); `same-origin` and `none` (typed in the
/// address bar) pass, whatever the `Origin`, since a proxy in front may have rewritten the `Host`. A browser that
/// sends no `Sec-Fetch-Site` is judged by its `Origin`, which must be the host the request was sent to (`Host`, or
/// the URI's `authority` in HTTP/2). A request with neither header (curl, an SDK) is not a browser's and passes.
pub(crate) fn foreign(headers: &HeaderMap, authority: Option<&str>) -> Option<String> {
    let text = |name: header::HeaderName| headers.get(name).map(|value| String::from_utf8_lossy(value.as_bytes()).trim().to_ascii_lowercase());
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        if site == "same-origin" || site == "none" {
            return None;
        }
        return Some(format!("a request from another site (Sec-Fetch-Site: {site}) is refused"));
    }
    let origin = text(header::ORIGIN)?;
    let host = text(header::HOST).or_else(|| authority.map(str::to_ascii_lowercase)).unwrap_or_default();
    let origin_host = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    if origin_host.is_some_and(|origin_host| origin_host == host) {
        return None;
    }
    let shown: String = origin.chars().take(200).collect();
    Some(format!("a request from another origin (Origin: {shown}) is refused"))
}

/// Forbids framing any page (clickjacking of the console's buttons). A console page's own policy (which forbids it
/// too) is kept.
pub(crate) async fn no_framing(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    }
    // A page's data never sniffed into something else.
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::{Hosts, foreign};

    #[test]
    fn requests_of_other_sites_are_foreign() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, HeaderValue::from_static(value));
            }
            map
        };
        let host = ("host", "127.0.0.1:8083");
        assert_eq!(foreign(&headers(&[host]), None), None, "curl");
        assert_eq!(foreign(&headers(&[host, ("sec-fetch-site", "same-origin"), ("origin", "http://127.0.0.1:8083")]), None), None);
        assert_eq!(foreign(&headers(&[host, ("origin", "https://127.0.0.1:8083")]), None), None, "over TLS");
        assert_eq!(foreign(&headers(&[("origin", "http://baton.test")]), Some("baton.test")), None, "HTTP/2");
        assert_eq!(foreign(&headers(&[host, ("sec-fetch-site", "none")]), None), None, "typed in the address bar");
        let proxied = [("host", "127.0.0.1:8083"), ("sec-fetch-site", "same-origin"), ("origin", "https://baton.example")];
        assert_eq!(foreign(&headers(&proxied), None), None, "behind a proxy that rewrites the Host");
        for refused in [
            headers(&[host, ("sec-fetch-site", "cross-site")]),
            headers(&[host, ("sec-fetch-site", "same-site")]),
            headers(&[host, ("sec-fetch-site", "cross-site"), ("origin", "http://127.0.0.1:8083")]),
            headers(&[host, ("sec-fetch-site", "something new")]),
            headers(&[host, ("origin", "http://attacker.example")]),
            headers(&[host, ("origin", "http://127.0.0.1:9999")]),
            headers(&[host, ("origin", "null")]),
            headers(&[("origin", "http://127.0.0.1:8083")]),
        ] {
            assert!(foreign(&refused, None).is_some(), "{refused:?}");
        }
    }

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
