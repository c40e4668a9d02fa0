//! The console on a server with keys: a page without a session is the sign-in form, signing in sets an `HttpOnly`,
//! `SameSite=Strict` cookie (`Secure` over TLS) that names the key but not its secret, and the session acts as its
//! key: it sees its account only, its writes carry the session's CSRF token (refused without), a read-only key stays
//! read-only, and the session ends when it expires, when its key signs out, is removed or gets a new secret. And on any
//! server: no cross-site request and no form-able (`text/plain`) POST reaches the console's JSON routes.

use std::cell::Cell;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use tower::ServiceExt;

use server::{Access, Hosts, Key, Keys};

use crate::{Api, Reply, api, service};

const ALICE: (&str, &str) = ("AKIAALICE", "alice's secret");
const BOB: (&str, &str) = ("AKIABOB", "bob's secret");
const READER: (&str, &str) = ("AKIAREADER", "reader's secret");
const START: i64 = 1_800_000_000;

thread_local! {
    /// The server's clock in each test (a `#[tokio::test]` runs the router on its own thread).
    static NOW: Cell<i64> = const { Cell::new(START) };
}

fn clock() -> i64 {
    NOW.with(Cell::get)
}

fn key((id, secret): (&str, &str), account: &str, read_only: bool) -> Key {
    Key { access_key_id: id.to_owned(), secret_access_key: secret.to_owned(), account_id: account.to_owned(), read_only, metrics: false }
}

fn all_keys() -> Vec<Key> {
    vec![key(ALICE, "111122223333", false), key(BOB, "444455556666", false), key(READER, "111122223333", true)]
}

/// A router with three keys (two of one account, one read-only, and another account's), and its keys.
async fn console() -> (Api, Keys) {
    NOW.with(|now| now.set(START));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let keys = Keys::new(all_keys()).expect("keys");
    let access = Access::new(keys.clone(), "us-east-1".to_owned(), clock, [9; 32]);
    let router = server::router_with(service(&dir).await, Hosts::Any, Some(access));
    (Api { router, _dir: dir }, keys)
}

/// A signed-in browser: its cookie (`name=value`) and its session's CSRF token.
#[derive(Debug, Clone)]
struct Browser {
    cookie: String,
    csrf: String,
}

fn sign_in_request((id, secret): (&str, &str), next: &str) -> Request<Body> {
    let encode = |text: &str| text.replace('%', "%25").replace(' ', "+").replace('\'', "%27").replace('/', "%2F").replace('&', "%26");
    let form = format!("access_key_id={}&secret_access_key={}&next={}", encode(id), encode(secret), encode(next));
    Request::post("/console/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "localhost:8083")
        .header(header::ORIGIN, "http://localhost:8083")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(form))
        .expect("a request")
}

async fn raw(api: &Api, request: Request<Body>) -> Response {
    api.router.clone().oneshot(request).await.expect("a response")
}

fn set_cookie(response: &Response) -> Option<String> {
    response.headers().get(header::SET_COOKIE).map(|value| value.to_str().expect("ASCII").to_owned())
}

fn text(reply: &Reply) -> &str {
    reply.body.as_str().unwrap_or_default()
}

/// The value of the `data-<name>` attribute of a page.
fn data(html: &str, name: &str) -> String {
    let start = format!("data-{name}=\"");
    html.split_once(&start).and_then(|(_, rest)| rest.split_once('"')).map(|(value, _)| value.to_owned()).unwrap_or_default()
}

impl Api {
    /// Signs in with `key` and reads the CSRF token off the list page.
    async fn sign_in(&self, key: (&str, &str)) -> Browser {
        let response = raw(self, sign_in_request(key, "/console")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{response:?}");
        let cookie = set_cookie(&response).expect("a session cookie");
        let cookie = cookie.split(';').next().expect("name=value").to_owned();
        let page = self.get_as(&cookie, "/console").await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        let csrf = data(text(&page), "csrf");
        assert!(!csrf.is_empty(), "{page:?}");
        Browser { cookie, csrf }
    }

    async fn get_as(&self, cookie: &str, path: &str) -> Reply {
        self.send(Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("a request")).await
    }

    /// `POST /` as the console's script sends it: the session cookie, no signature, and `csrf` if given.
    async fn call_as(&self, cookie: &str, csrf: Option<&str>, action: &str, body: &Value) -> Reply {
        let mut request = Request::post("/")
            .header("x-amz-target", format!("AWSStepFunctions.{action}"))
            .header(header::CONTENT_TYPE, "application/x-amz-json-1.0")
            .header(header::HOST, "localhost:8083")
            .header(header::ORIGIN, "http://localhost:8083")
            .header(header::COOKIE, cookie);
        if let Some(csrf) = csrf {
            request = request.header("x-baton-csrf", csrf);
        }
        self.send(request.body(Body::from(body.to_string())).expect("a request")).await
    }

    /// `call_as` with the browser's token, expecting 200.
    async fn ok_as(&self, browser: &Browser, action: &str, body: Value) -> Value {
        let reply = self.call_as(&browser.cookie, Some(&browser.csrf), action, &body).await;
        assert_eq!(reply.status, StatusCode::OK, "{action}: {reply:?}");
        reply.body
    }
}

fn machine(name: &str) -> Value {
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    json!({"name": name, "definition": definition.to_string(), "roleArn": "arn:aws:iam::111122223333:role/baton"})
}

fn encode(arn: &str) -> String {
    arn.replace(':', "%3A").replace('/', "%2F")
}

#[tokio::test]
async fn without_a_session_pages_are_the_sign_in_form_and_json_is_401() {
    let (api, _) = console().await;
    for path in ["/console", "/console/state-machines/arn%3Aaws%3Astates%3Aus-east-1%3A111122223333%3AstateMachine%3Ax"] {
        let page = api.send(Request::get(path).body(Body::empty()).expect("a request")).await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{page:?}");
        assert!(text(&page).contains(r#"data-page="sign-in""#), "{page:?}");
        assert_eq!(data(text(&page), "csrf"), "");
    }
    // A link followed from another site arrives without the SameSite=Strict cookie: the page loads itself again.
    let linked = Request::get("/console").header("sec-fetch-site", "cross-site").body(Body::empty()).expect("a request");
    assert!(text(&api.send(linked).await).contains(r#"data-page="reload""#));
    let json = api.send(Request::get("/console/api/state-machines").body(Body::empty()).expect("a request")).await;
    assert_eq!(json.status, StatusCode::UNAUTHORIZED, "{json:?}");
    assert!(json.body["error"].as_str().is_some_and(|error| error.contains("sign in")), "{json:?}");
    // The API itself wants a signature, as before.
    let unsigned = api.send(Request::post("/").header("x-amz-target", "AWSStepFunctions.ListStateMachines").body(Body::from("{}")).expect("a request")).await;
    assert_eq!((unsigned.status, unsigned.code()), (StatusCode::FORBIDDEN, "MissingAuthenticationTokenException"));
    // The assets are not secret.
    assert_eq!(api.send(Request::get("/console/assets/console.js").body(Body::empty()).expect("a request")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn signing_in_checks_the_secret_and_sets_a_strict_http_only_cookie() {
    let (api, _) = console().await;
    // A wrong secret and an unknown key get the form again with the same message, and no cookie.
    let mut messages = Vec::new();
    for wrong in [(ALICE.0, "not alice's secret"), ("AKIANOBODY", ALICE.1), (ALICE.0, "")] {
        let response = raw(&api, sign_in_request(wrong, "/console/state-machines/x")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert_eq!(set_cookie(&response), None, "{wrong:?}");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a body");
        let html = String::from_utf8_lossy(&body).into_owned();
        assert_eq!(data(&html, "page"), "sign-in");
        assert_eq!(data(&html, "next"), "/console/state-machines/x", "the form goes back to the page asked for");
        messages.push(data(&html, "message"));
    }
    assert_eq!(messages, ["Wrong access key id or secret access key."; 3], "no hint which part was wrong");

    let response = raw(&api, sign_in_request(ALICE, "/console/state-machines/x")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/console/state-machines/x");
    let cookie = set_cookie(&response).expect("a cookie");
    let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
    assert_eq!(attributes, ["Max-Age=43200", "Path=/", "HttpOnly", "SameSite=Strict"], "{cookie}");
    assert!(cookie.starts_with("baton-session="), "{cookie}");
    assert!(!cookie.contains("alice") && !cookie.contains("secret"), "the cookie holds no secret: {cookie}");
    // Elsewhere than a console page, signing in goes to the list.
    let response = raw(&api, sign_in_request(ALICE, "https://attacker.example/")).await;
    assert_eq!(response.headers()[header::LOCATION], "/console");
    // Over TLS, the cookie is Secure too.
    let mut over_tls = sign_in_request(ALICE, "/console");
    over_tls.extensions_mut().insert(server::Tls);
    let cookie = set_cookie(&raw(&api, over_tls).await).expect("a cookie");
    assert!(cookie.ends_with("; HttpOnly; SameSite=Strict; Secure"), "{cookie}");
    // Another site's page cannot sign a browser in (to an account of its choosing).
    let mut forged = sign_in_request(ALICE, "/console");
    forged.headers_mut().insert("sec-fetch-site", "cross-site".parse().expect("a value"));
    assert_eq!(raw(&api, forged).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_session_acts_as_its_key_in_its_account_only() {
    let (api, _) = console().await;
    let alice = api.sign_in(ALICE).await;
    let bob = api.sign_in(BOB).await;
    let page = api.get_as(&alice.cookie, "/console").await;
    assert_eq!((data(text(&page), "account"), data(text(&page), "key")), ("111122223333".to_owned(), ALICE.0.to_owned()));

    // The console's API calls act as the session's key, in its account.
    let mine = api.ok_as(&alice, "CreateStateMachine", machine("Mine")).await["stateMachineArn"].as_str().expect("an ARN").to_owned();
    assert!(mine.contains(":111122223333:stateMachine:Mine"), "{mine}");
    let theirs = api.ok_as(&bob, "CreateStateMachine", machine("Theirs")).await["stateMachineArn"].as_str().expect("an ARN").to_owned();
    assert!(theirs.contains(":444455556666:"), "{theirs}");
    let started = api.ok_as(&alice, "StartExecution", json!({"stateMachineArn": mine, "name": "run"})).await;
    let execution = started["executionArn"].as_str().expect("an ARN").to_owned();

    // Its lists hold its account's machines only, and another account's ARNs are not found, pages and JSON alike.
    let listed = api.get_as(&alice.cookie, "/console/api/state-machines").await;
    let names: Vec<&str> = listed.body["stateMachines"].as_array().expect("a list").iter().filter_map(|m| m["name"].as_str()).collect();
    assert_eq!(names, ["Mine"]);
    for path in [
        format!("/console/state-machines/{}", encode(&theirs)),
        format!("/console/api/state-machines/{}", encode(&theirs)),
        format!("/console/api/state-machines/{}/executions", encode(&theirs)),
    ] {
        assert_eq!(api.get_as(&alice.cookie, &path).await.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(api.get_as(&bob.cookie, &path).await.status, StatusCode::OK, "{path}");
    }
    for path in [format!("/console/executions/{}", encode(&execution)), format!("/console/api/executions/{}", encode(&execution))] {
        assert_eq!(api.get_as(&bob.cookie, &path).await.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(api.get_as(&alice.cookie, &path).await.status, StatusCode::OK, "{path}");
    }
    let refused = api.call_as(&alice.cookie, Some(&alice.csrf), "DescribeStateMachine", &json!({"stateMachineArn": theirs})).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "AccessDeniedException"), "{refused:?}");

    // A read-only key reads, and cannot start.
    let reader = api.sign_in(READER).await;
    api.ok_as(&reader, "DescribeStateMachine", json!({"stateMachineArn": mine})).await;
    let start = api.call_as(&reader.cookie, Some(&reader.csrf), "StartExecution", &json!({"stateMachineArn": mine})).await;
    assert_eq!((start.status, start.code()), (StatusCode::FORBIDDEN, "AccessDeniedException"), "{start:?}");
    assert!(start.message().contains("read-only"), "{start:?}");
}

#[tokio::test]
async fn writes_without_the_sessions_csrf_token_are_refused() {
    let (api, _) = console().await;
    let alice = api.sign_in(ALICE).await;
    let bob = api.sign_in(BOB).await;
    for csrf in [None, Some("00"), Some("not hex"), Some(bob.csrf.as_str())] {
        let reply = api.call_as(&alice.cookie, csrf, "CreateStateMachine", &machine("Forged")).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::FORBIDDEN, "AccessDeniedException"), "{csrf:?}: {reply:?}");
        let check = Request::post("/console/api/check")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, &alice.cookie);
        let check = match csrf {
            Some(csrf) => check.header("x-baton-csrf", csrf),
            None => check,
        };
        let reply = api.send(check.body(Body::from(r#"{"definition": "{}"}"#)).expect("a request")).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{csrf:?}: {reply:?}");
        let sign_out = Request::post("/console/sign-out").header(header::COOKIE, &alice.cookie).body(Body::empty()).expect("a request");
        assert_eq!(api.send(sign_out).await.status, StatusCode::FORBIDDEN);
    }
    let listed = api.ok_as(&alice, "ListStateMachines", json!({})).await;
    assert_eq!(listed["stateMachines"], json!([]), "nothing was created");
    // With the token, the editor's check answers.
    let check = Request::post("/console/api/check")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, &alice.cookie)
        .header("x-baton-csrf", &alice.csrf)
        .body(Body::from(json!({"definition": "StartAt: A\nStates:\n  A: {Type: Succeed}\n"}).to_string()))
        .expect("a request");
    let reply = api.send(check).await;
    assert_eq!((reply.status, reply.body["valid"].as_bool()), (StatusCode::OK, Some(true)), "{reply:?}");
    // From another site's page, even with the token, the API refuses a session's call.
    let cross = Request::post("/")
        .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
        .header(header::COOKIE, &alice.cookie)
        .header("x-baton-csrf", &alice.csrf)
        .header("sec-fetch-site", "cross-site")
        .body(Body::from("{}"))
        .expect("a request");
    let reply = api.send(cross).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::FORBIDDEN, "AccessDeniedException"), "{reply:?}");
}

#[tokio::test]
async fn a_session_ends_when_it_expires_signs_out_or_loses_its_key() {
    let (api, keys) = console().await;
    // Expired after 12 hours.
    let alice = api.sign_in(ALICE).await;
    NOW.with(|now| now.set(START + 12 * 3600 - 1));
    assert!(still(&api, &alice).await);
    NOW.with(|now| now.set(START + 12 * 3600));
    assert!(!still(&api, &alice).await, "expired");

    // A forged expiry breaks the MAC.
    let alice = api.sign_in(ALICE).await;
    let parts: Vec<&str> = alice.cookie.split('.').collect();
    let later = format!("{}.{}.{}.{}", parts[0], parts[1].parse::<i64>().expect("an expiry") + 3600, parts[2], parts[3]);
    assert!(!still(&api, &Browser { cookie: later, ..alice.clone() }).await, "a forged expiry");
    // Bob's key id in Alice's cookie breaks it too.
    let bobs = format!("baton-session={}", alice.cookie.trim_start_matches("baton-session=").replacen(&hex(ALICE.0), &hex(BOB.0), 1));
    assert!(!still(&api, &Browser { cookie: bobs, ..alice.clone() }).await, "another key's id");

    // Signing out ends the key's sessions; signing in again opens a new one.
    let other_browser = api.sign_in(ALICE).await;
    let sign_out = Request::post("/console/sign-out")
        .header(header::COOKIE, &alice.cookie)
        .header("x-baton-csrf", &alice.csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .expect("a request");
    let response = raw(&api, sign_out).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie(&response).is_some_and(|cookie| cookie.starts_with("baton-session=; Max-Age=0;")), "{response:?}");
    assert!(!still(&api, &alice).await, "signed out");
    assert!(!still(&api, &other_browser).await, "every session of the key");
    let alice = api.sign_in(ALICE).await;
    assert!(still(&api, &alice).await, "signed in again");

    // A key removed from the credentials file (SIGHUP) or given a new secret ends its sessions; others stay.
    let bob = api.sign_in(BOB).await;
    keys.replace(all_keys().into_iter().filter(|key| key.access_key_id != BOB.0).collect()).expect("keys");
    assert!(!still(&api, &bob).await, "a removed key");
    assert!(still(&api, &alice).await, "another key's session");
    keys.replace(vec![key((ALICE.0, "a new secret"), "111122223333", false)]).expect("keys");
    assert!(!still(&api, &alice).await, "a new secret");
}

/// Whether `browser`'s session still holds: for the console's JSON (else 401) and for the API (else 403).
async fn still(api: &Api, browser: &Browser) -> bool {
    let page = api.get_as(&browser.cookie, "/console/api/state-machines").await;
    let call = api.call_as(&browser.cookie, Some(&browser.csrf), "ListStateMachines", &json!({})).await;
    match (page.status, call.status) {
        (StatusCode::OK, StatusCode::OK) => true,
        (StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN) => false,
        other => panic!("{other:?}: {page:?} {call:?}"),
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// On any server, with keys or without: the console's JSON routes refuse another site's requests, and POSTs that an
/// HTML form could send.
#[tokio::test]
async fn the_console_refuses_cross_site_and_form_posts() {
    let open = api().await;
    let (signed, _) = console().await;
    let alice = signed.sign_in(ALICE).await;
    for (api, cookie, csrf) in [(&open, "", ""), (&signed, alice.cookie.as_str(), alice.csrf.as_str())] {
        let check = |content_type: &str, extra: Option<(&'static str, &'static str)>| {
            let mut request = Request::post("/console/api/check")
                .header(header::CONTENT_TYPE, content_type)
                .header(header::HOST, "127.0.0.1:8083")
                .header(header::COOKIE, cookie)
                .header("x-baton-csrf", csrf);
            if let Some((name, value)) = extra {
                request = request.header(name, value);
            }
            request.body(Body::from(r#"{"definition": "{}"}"#)).expect("a request")
        };
        for plain in ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data"] {
            let reply = api.send(check(plain, None)).await;
            assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{plain}: {reply:?}");
        }
        for foreign in [("sec-fetch-site", "cross-site"), ("sec-fetch-site", "same-site"), ("origin", "http://attacker.example"), ("origin", "null")] {
            let reply = api.send(check("application/json", Some(foreign))).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{foreign:?}: {reply:?}");
            let read = Request::get("/console/api/state-machines").header(header::COOKIE, cookie).header(foreign.0, foreign.1);
            let reply = api.send(read.body(Body::empty()).expect("a request")).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{foreign:?}: {reply:?}");
        }
        let same = check("application/json", Some(("origin", "http://127.0.0.1:8083")));
        assert_eq!(api.send(same).await.status, StatusCode::OK);
        // A page is a page wherever the link to it was.
        let linked = Request::get("/console").header(header::COOKIE, cookie).header("sec-fetch-site", "cross-site");
        assert_eq!(api.send(linked.body(Body::empty()).expect("a request")).await.status, StatusCode::OK);
    }
}

/// Console pages may run only the console's own script.
#[tokio::test]
async fn pages_allow_only_their_own_script() {
    let api = api().await;
    let response = raw(&api, Request::get("/console").body(Body::empty()).expect("a request")).await;
    let policy = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().expect("ASCII");
    assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-eval") && !policy.split(';').any(|part| part.contains("script-src") && part.contains("unsafe-inline")));
}

/// The executions page searches the session's account only: another account's executions are never found, searching
/// by another account's machine is a 404, and the Activities page lists the account's activities only.
#[tokio::test]
async fn the_search_and_the_activities_are_the_sessions_accounts() {
    let (api, _) = console().await;
    let alice = api.sign_in(ALICE).await;
    let bob = api.sign_in(BOB).await;
    let mine = api.ok_as(&alice, "CreateStateMachine", machine("Mine")).await["stateMachineArn"].as_str().expect("an ARN").to_owned();
    let theirs = api.ok_as(&bob, "CreateStateMachine", machine("Theirs")).await["stateMachineArn"].as_str().expect("an ARN").to_owned();
    api.ok_as(&alice, "StartExecution", json!({"stateMachineArn": mine, "name": "run-alice"})).await;
    api.ok_as(&bob, "StartExecution", json!({"stateMachineArn": theirs, "name": "run-bob"})).await;
    api.ok_as(&alice, "CreateActivity", json!({"name": "alices"})).await;
    api.ok_as(&bob, "CreateActivity", json!({"name": "bobs"})).await;

    let names = |reply: &Reply| -> Vec<String> {
        reply.body["executions"].as_array().expect("a list").iter().filter_map(|e| e["name"].as_str()).map(str::to_owned).collect()
    };
    for (browser, own) in [(&alice, "run-alice"), (&bob, "run-bob")] {
        let found = api.get_as(&browser.cookie, "/console/api/executions?name=run").await;
        assert_eq!(found.status, StatusCode::OK, "{found:?}");
        assert_eq!(names(&found), [own], "{found:?}");
    }
    let by_theirs = api.get_as(&alice.cookie, &format!("/console/api/executions?stateMachine={}", encode(&theirs))).await;
    assert_eq!(by_theirs.status, StatusCode::NOT_FOUND, "{by_theirs:?}");
    let by_mine = api.get_as(&alice.cookie, &format!("/console/api/executions?stateMachine={}", encode(&mine))).await;
    assert_eq!(names(&by_mine), ["run-alice"]);

    let activities = api.get_as(&alice.cookie, "/console/api/activities").await;
    let listed: Vec<&str> = activities.body["activities"].as_array().expect("a list").iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(listed, ["alices"], "{activities:?}");
    // Without a session, neither answers.
    for path in ["/console/api/executions", "/console/api/activities", "/console/executions"] {
        let reply = api.send(Request::get(path).body(Body::empty()).expect("a request")).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}
