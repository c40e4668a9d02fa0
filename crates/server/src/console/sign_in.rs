//! Who may use the console: what every console request passes (`gate`), and signing in and out when the server has
//! keys.
//!
//! Always, with keys or without: the JSON routes (`/console/api/…`) and every `POST` under `/console` refuse a
//! request from a page of another site (`guard::foreign`: `Sec-Fetch-Site`, `Origin`) with 403, and a `POST` to
//! `/console/api/…` must be `Content-Type: application/json`, which no HTML form can send (415 otherwise). Without
//! keys that is all: the console is open, as the API is.
//!
//! With keys (`Access`), every page and JSON route needs a session (`auth::session`): a page without one shows the
//! sign-in form (HTTP 401), a JSON route answers 401, and every `POST` must carry the session's CSRF token in
//! `X-Baton-Csrf` (403 without). The session's caller is set on the request (`Session`), and the console reads as
//! that caller (`Viewer`). `POST /console/sign-in` takes the form (`access_key_id`, `secret_access_key`, `next`):
//! right, it sets the session cookie and sends the browser back to the page it came from; wrong, the form again with
//! one message for any mistake. `POST /console/sign-out` ends the key's sessions and forgets the cookie.
//!
//! A page reached from another site's link arrives without the cookie (`SameSite=Strict`): it is answered with a page
//! that loads itself again (`reload`), a same-site request that carries the cookie, rather than the sign-in form.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::Access;
use crate::auth::session::{self, Session, Tls};
use crate::guard;

use super::{Shell, html, json_body, percent_decode};

/// The largest sign-in form read.
const FORM_LIMIT: usize = 16 * 1024;

/// What a request under `/console` passes before its handler: see the module's comment.
pub(super) async fn gate(State(access): State<Option<Access>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/console/assets/") {
        return next.run(request).await;
    }
    let api = path.starts_with("/console/api/");
    let post = request.method() == Method::POST;
    let signing_in = post && path == "/console/sign-in";
    let headers = request.headers();
    if (api || post)
        && let Some(why) = guard::foreign(headers, request.uri().authority().map(|a| a.as_str()))
    {
        return refused(StatusCode::FORBIDDEN, &format!("{why}: the console answers only its own pages"), api || !signing_in);
    }
    if api && post && !is_json(headers) {
        let message = "a console API request must be Content-Type: application/json";
        return refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, message, true);
    }
    let Some(access) = access else { return next.run(request).await };
    if signing_in {
        return next.run(request).await;
    }
    let Some(session) = session::from_headers(&access, headers) else {
        if api || post {
            return refused(StatusCode::UNAUTHORIZED, "not signed in, or the session has ended: sign in again", true);
        }
        return signed_out_page(&request);
    };
    if post && !session.csrf_holds(headers) {
        return refused(StatusCode::FORBIDDEN, "the request lacks the session's X-Baton-Csrf token", true);
    }
    request.extensions_mut().insert(session);
    next.run(request).await
}

/// `POST /console/sign-in`: the form's key and secret checked (`Keys::sign_in`); right, the session cookie and a
/// redirect to `next`; wrong, the form again, 401.
pub(super) async fn sign_in(access: Access, request: Request) -> Response {
    let secure = over_tls(&request);
    let Ok(body) = axum::body::to_bytes(request.into_body(), FORM_LIMIT).await else {
        return refused(StatusCode::PAYLOAD_TOO_LARGE, "the sign-in form is too large", false);
    };
    let form = String::from_utf8_lossy(&body);
    let field = |name: &str| {
        form.split('&').filter_map(|pair| pair.split_once('=')).find(|(key, _)| *key == name).map(|(_, value)| percent_decode(value))
    };
    let next = safe_next(field("next").as_deref());
    let id = field("access_key_id").unwrap_or_default();
    let secret = field("secret_access_key").unwrap_or_default();
    let opened = access.keys.sign_in(id.trim(), &secret).and_then(|caller| access.open_session(&caller));
    let Some(cookie) = opened else {
        // One message for an unknown key and a wrong secret alike.
        let shell = Shell { page: "sign-in", message: "Wrong access key id or secret access key.", next: &next, ..Shell::default() };
        return (StatusCode::UNAUTHORIZED, html(shell.render())).into_response();
    };
    let mut response = (StatusCode::SEE_OTHER, [(header::CACHE_CONTROL, "no-store")]).into_response();
    let headers = response.headers_mut();
    if let (Ok(location), Ok(cookie)) = (HeaderValue::from_str(&next), HeaderValue::from_str(&session::set_cookie(&cookie, secure))) {
        headers.insert(header::LOCATION, location);
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /console/sign-out` (a session and its CSRF token, through `gate`): ends the key's sessions, and the
/// browser forgets its cookie.
pub(super) async fn sign_out(access: Access, request: Request) -> Response {
    let secure = over_tls(&request);
    if let Some(session) = request.extensions().get::<Session>() {
        access.sign_out(&session.caller);
    }
    let mut response = json_body(&json!({})).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session::clear_cookie(secure)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// A page asked for without a session: the sign-in form (401), or, for a link followed from another site (which
/// sends no `SameSite=Strict` cookie), a page that loads itself again from this site.
fn signed_out_page(request: &Request) -> Response {
    let from_elsewhere = request
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    let page = if from_elsewhere && request.method() == Method::GET { "reload" } else { "sign-in" };
    (StatusCode::UNAUTHORIZED, html(Shell { page, ..Shell::default() }.render())).into_response()
}

/// Where to go after signing in: `next` if it is a console page of this server, else the list.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next)
            if next.strip_prefix("/console").is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
                && !next.contains("//")
                && !next.contains('\\')
                && HeaderValue::from_str(next).is_ok() =>
        {
            next.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

/// Whether the request came over TLS: the listener says so (`Tls`), or its URI does (HTTP/2's `:scheme`).
fn over_tls(request: &Request) -> bool {
    request.extensions().get::<Tls>().is_some() || request.uri().scheme_str() == Some("https")
}

/// Whether the body is declared JSON (`application/json`, with any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// A refusal: `{"error": message}` for the console's script, or a page saying it.
fn refused(status: StatusCode, message: &str, json: bool) -> Response {
    if json {
        (status, json_body(&json!({"error": message}))).into_response()
    } else {
        (status, html(Shell { page: "error", message, ..Shell::default() }.render())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn signing_in_goes_back_only_to_a_console_page() {
        for (next, to) in [
            (Some("/console/executions/arn%3Aaws?x=1#state=A"), "/console/executions/arn%3Aaws?x=1#state=A"),
            (Some("/console"), "/console"),
            (Some("/console?status=FAILED"), "/console?status=FAILED"),
            (Some("https://attacker.example/console"), "/console"),
            (Some("//attacker.example/console"), "/console"),
            (Some("/console//attacker.example"), "/console"),
            (Some("/consoleattacker"), "/console"),
            (Some("/console/\\attacker"), "/console"),
            (Some("/console/\nSet-Cookie: x"), "/console"),
            (None, "/console"),
        ] {
            assert_eq!(safe_next(next), to, "{next:?}");
        }
    }
}
