//! Tests of `crate::http`: resource recognition, form encodings, request checks, and real requests against a tiny
//! HTTP server on 127.0.0.1 (methods, headers, query and body encodings, result shapes, failures, timeouts, and
//! calls the egress policy refuses).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::TaskError;
use crate::connections::Connections;
use crate::egress::{Entry, Policy};
use crate::http::{ArrayFormat, Options, form, invoke, is_http};

/// What the test server saw of one request.
#[derive(Debug)]
struct Seen {
    method: String,
    target: String,
    /// Header names lowercased, in the order sent.
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

/// Answers one connection per response in `responses` (a status line and headers, and a body), and returns what
/// it saw.
fn serve(responses: Vec<(&'static str, &'static str)>) -> (String, thread::JoinHandle<Vec<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let handle = thread::spawn(move || {
        let mut seen = Vec::new();
        for (head, body) in responses {
            let (mut stream, _) = listener.accept().expect("accept");
            seen.push(read_request(&mut stream));
            let response = format!(
                "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).expect("write");
        }
        seen
    });
    (url, handle)
}

fn read_request(stream: &mut std::net::TcpStream) -> Seen {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).expect("read");
        bytes.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let Some(end) = text.find("\r\n\r\n") else {
            assert!(n > 0, "connection closed before the request head ended");
            continue;
        };
        let mut lines = text[..end].split("\r\n");
        let request_line = lines.next().expect("request line");
        let mut parts = request_line.split(' ');
        let method = parts.next().expect("method").to_owned();
        let target = parts.next().expect("target").to_owned();
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').expect("header");
                (name.trim().to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        let length = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .map_or(0, |(_, value)| value.parse::<usize>().expect("length"));
        if bytes.len() >= end + 4 + length || n == 0 {
            let body = text[end + 4..].to_owned();
            return Seen { method, target, headers, body };
        }
    }
}

/// Calls the server with `parameters` (`ApiEndpoint` is the server's URL + `path`) and returns the outcome and what
/// the server saw.
fn call(response: (&'static str, &'static str), path: &str, mut parameters: Value) -> (Result<Value, TaskError>, Seen) {
    let (url, server) = serve(vec![response]);
    parameters["ApiEndpoint"] = json!(format!("{url}{path}"));
    let outcome = invoke(&parameters, &Options::default());
    let mut seen = server.join().expect("server");
    (outcome, seen.remove(0))
}

const OK_JSON: (&str, &str) = ("HTTP/1.1 200 OK\r\nContent-Type: application/json", r#"{"ok": true}"#);
const NO_CONTENT: (&str, &str) = ("HTTP/1.1 204 No Content", "");

#[test]
fn http_resources() {
    let cases = [
        ("arn:aws:states:::http:invoke", true),
        ("arn:aws:states:::http:invoke.waitForTaskToken", true),
        ("arn:aws-cn:states:::http:invoke", true),
        ("arn:aws:states:::http:invoke.sync", false),
        ("arn:aws:states:us-east-1::http:invoke", false),
        ("arn::states:::http:invoke", false),
        ("arn:aws:states:::lambda:invoke", false),
        ("http:invoke", false),
        ("", false),
    ];
    let actual: Vec<(&str, bool)> = cases.iter().map(|(resource, _)| (*resource, is_http(resource))).collect();
    assert_eq!(actual, cases);
}

#[test]
fn form_array_formats() {
    let fields = json!({"array": ["a", "b", "c"], "one": 1});
    let fields = fields.as_object().expect("object");
    let cases = [
        (ArrayFormat::Indices, "array%5B0%5D=a&array%5B1%5D=b&array%5B2%5D=c&one=1"),
        (ArrayFormat::Repeat, "array=a&array=b&array=c&one=1"),
        (ArrayFormat::Commas, "array=a,b,c&one=1"),
        (ArrayFormat::Brackets, "array%5B%5D=a&array%5B%5D=b&array%5B%5D=c&one=1"),
    ];
    let actual: Vec<(ArrayFormat, String)> = cases.iter().map(|(format, _)| (*format, form(fields, *format))).collect();
    let expected: Vec<(ArrayFormat, String)> = cases.iter().map(|(f, text)| (*f, (*text).to_owned())).collect();
    assert_eq!(actual, expected);
}

#[test]
fn form_scalars_nesting_and_escapes() {
    let fields = json!({
        "text": "a b&c=d/é",
        "flag": true,
        "none": null,
        "pi": 3.5,
        "customer": {"name": "Ann", "tags": ["x", "y"]},
        "empty": [],
        "rows": [{"id": 1}, {"id": 2}]
    });
    let fields = fields.as_object().expect("object");
    assert_eq!(
        form(fields, ArrayFormat::Indices),
        "text=a%20b%26c%3Dd%2F%C3%A9&flag=true&none=&pi=3.5&customer%5Bname%5D=Ann&customer%5Btags%5D%5B0%5D=x\
         &customer%5Btags%5D%5B1%5D=y&rows%5B0%5D%5Bid%5D=1&rows%5B1%5D%5Bid%5D=2"
    );
    // Objects inside an array cannot be joined with commas: they are indexed instead.
    assert_eq!(
        form(json!({"rows": [{"id": 1}]}).as_object().expect("object"), ArrayFormat::Commas),
        "rows%5B0%5D%5Bid%5D=1"
    );
}

#[test]
fn request_problems_fail_before_sending() {
    let runtime = |cause: &str| Err(TaskError::new("States.Runtime", cause));
    let options = Options::default();
    let cases = [
        (json!([]), runtime("The parameters of an HTTP Task must be an object, found []")),
        (json!({"Method": "GET"}), runtime("The field 'ApiEndpoint' is required but was missing")),
        (
            json!({"ApiEndpoint": "http://127.0.0.1:9"}),
            runtime("The field 'Method' is required but was missing"),
        ),
        (
            json!({"ApiEndpoint": 7, "Method": "GET"}),
            runtime("The field 'ApiEndpoint' must be a string, found 7"),
        ),
        (
            json!({"ApiEndpoint": "http://127.0.0.1:9", "Method": "get"}),
            runtime("The field 'Method' must be one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, found 'get'"),
        ),
        (
            json!({"ApiEndpoint": "ftp://example.com", "Method": "GET"}),
            runtime("The field 'ApiEndpoint' must be an http or https URL, found 'ftp://example.com'"),
        ),
        (
            json!({"ApiEndpoint": "https://", "Method": "GET"}),
            runtime("The field 'ApiEndpoint' must be an http or https URL, found 'https://'"),
        ),
        (
            json!({"ApiEndpoint": "http://127.0.0.1:9", "Method": "GET", "Headers": {"Host": "x"}}),
            runtime("The header 'Host' is not allowed in an HTTP Task"),
        ),
        (
            json!({"ApiEndpoint": "http://127.0.0.1:9", "Method": "GET", "Headers": {"X-Amz-Date": "x"}}),
            runtime("The header 'X-Amz-Date' is not allowed in an HTTP Task"),
        ),
        (
            json!({"ApiEndpoint": "http://127.0.0.1:9", "Method": "GET", "Headers": {"X-A": {"b": 1}}}),
            runtime(
                "The header 'X-A' must be a string, a number, a boolean or an array of them, found {\"b\":1}",
            ),
        ),
        (
            json!({"ApiEndpoint": "http://127.0.0.1:9", "Method": "GET", "QueryParameters": "a=1"}),
            runtime("The field 'QueryParameters' must be an object, found \"a=1\""),
        ),
        (
            json!({"ApiEndpoint": "http://127.0.0.1:9", "Method": "POST",
                   "Transform": {"RequestBodyEncoding": "GZIP"}}),
            runtime("The field 'Transform.RequestBodyEncoding' must be NONE or URL_ENCODED, found \"GZIP\""),
        ),
        (
            json!({"ApiEndpoint": "http://127.0.0.1:9", "Method": "POST",
                   "Transform": {"RequestEncodingOptions": {"ArrayFormat": "JSON"}}}),
            runtime(
                "The field 'Transform.RequestEncodingOptions.ArrayFormat' must be INDICES, REPEAT, COMMAS or \
                 BRACKETS, found \"JSON\"",
            ),
        ),
        (
            json!({"ApiEndpoint": "http://127.0.0.1:9", "Method": "POST", "RequestBody": [1],
                   "Transform": {"RequestBodyEncoding": "URL_ENCODED"}}),
            runtime("The field 'RequestBody' must be an object or a string to be URL-encoded, found [1]"),
        ),
    ];
    for (parameters, expected) in cases {
        assert_eq!(invoke(&parameters, &options), expected, "{parameters}");
    }
}

/// Calls the server as `call` does, with the connections of `connections_toml` configured.
fn call_connected(connections_toml: &str, path: &str, mut parameters: Value) -> Seen {
    let (url, server) = serve(vec![NO_CONTENT]);
    parameters["ApiEndpoint"] = json!(format!("{url}{path}"));
    let connections = Connections::from_toml(connections_toml).expect("valid connections");
    let options = Options { connections, ..Options::default() };
    assert!(invoke(&parameters, &options).is_ok());
    server.join().expect("server").remove(0)
}

const SHOP: &str = "[connections.shop]\nbasic = { username = \"me\", password = \"pw\" }\n\
                    headers = { X-Tenant = \"t1\" }\nquery = { v = \"2\" }\nbody = { client = \"baton\" }";

#[test]
fn a_known_connection_adds_its_credentials_and_parameters() {
    let parameters = json!({
        "Method": "POST",
        "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/shop/0b1c"},
        "Headers": {"X-Tenant": "mine", "X-Other": "kept"},
        "QueryParameters": {"v": "1", "q": "x"},
        "RequestBody": {"client": "mine", "order": 7}
    });
    let seen = call_connected(SHOP, "/orders", parameters);
    assert_eq!(seen.header("authorization"), ["Basic bWU6cHc="]);
    assert_eq!((seen.header("x-tenant"), seen.header("x-other")), (vec!["t1"], vec!["kept"]));
    assert_eq!(seen.target, "/orders?v=2&q=x");
    assert_eq!(serde_json::from_str::<Value>(&seen.body).expect("JSON body"), json!({"client": "baton", "order": 7}));
}

#[test]
fn a_connection_makes_a_body_and_leaves_a_string_body_alone() {
    let arn = "arn:aws:events:us-east-1:123456789012:connection/shop/0b1c";
    let seen = call_connected(SHOP, "/", json!({"Method": "POST", "InvocationConfig": {"ConnectionArn": arn}}));
    assert_eq!((seen.header("authorization"), seen.body.as_str()), (vec!["Basic bWU6cHc="], r#"{"client":"baton"}"#));
    let seen = call_connected(SHOP, "/", json!({"Method": "POST", "Authentication": {"ConnectionArn": arn}, "RequestBody": "raw"}));
    assert_eq!(seen.body, "raw");
}

#[test]
fn an_unknown_connection_adds_nothing() {
    let parameters = json!({
        "Method": "GET",
        "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/elsewhere/1"},
        "Headers": {"X-Tenant": "mine"}
    });
    let seen = call_connected(SHOP, "/", parameters);
    assert_eq!((seen.header("authorization"), seen.header("x-tenant"), seen.target.as_str()), (vec![], vec!["mine"], "/"));
}

#[test]
fn get_with_headers_and_query() {
    let parameters = json!({
        "Method": "GET",
        "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/1"},
        "Headers": {"X-Custom": "one", "X-Count": 2, "X-Many": ["a", "b"]},
        "QueryParameters": {"q": "hello world", "n": 3, "tag": ["blue", "green"]}
    });
    let (outcome, seen) = call(OK_JSON, "/items?fixed=1", parameters);
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.target, "/items?fixed=1&q=hello%20world&n=3&tag=blue&tag=green");
    assert_eq!(seen.header("x-custom"), ["one"]);
    assert_eq!(seen.header("x-count"), ["2"]);
    assert_eq!(seen.header("x-many"), ["a", "b"]);
    assert_eq!(seen.header("content-type"), Vec::<&str>::new(), "no body, no content type");
    assert_eq!(seen.body, "");
    assert_eq!(
        outcome,
        Ok(json!({
            "Headers": {
                "content-type": ["application/json"],
                "content-length": ["12"],
                "connection": ["close"]
            },
            "ResponseBody": {"ok": true},
            "StatusCode": 200,
            "StatusText": "OK"
        }))
    );
}

#[test]
fn query_array_formats() {
    let cases = [
        (None, "/?a=x&a=y"),
        (Some("REPEAT"), "/?a=x&a=y"),
        (Some("INDICES"), "/?a%5B0%5D=x&a%5B1%5D=y"),
        (Some("COMMAS"), "/?a=x,y"),
        (Some("BRACKETS"), "/?a%5B%5D=x&a%5B%5D=y"),
    ];
    for (format, expected) in cases {
        let mut parameters = json!({"Method": "GET", "QueryParameters": {"a": ["x", "y"]}});
        if let Some(format) = format {
            parameters["Transform"] = json!({"RequestEncodingOptions": {"ArrayFormat": format}});
        }
        let (outcome, seen) = call(NO_CONTENT, "/", parameters);
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(seen.target, expected, "{format:?}");
    }
}

#[test]
fn every_method() {
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"] {
        let (outcome, seen) = call(NO_CONTENT, "/m", json!({"Method": method, "RequestBody": {"a": 1}}));
        assert_eq!(seen.method, method);
        let body = if method == "HEAD" { "" } else { r#"{"a":1}"# };
        assert_eq!(seen.body, body, "{method}");
        let outcome = outcome.expect("success");
        assert_eq!((&outcome["StatusCode"], &outcome["StatusText"]), (&json!(204), &json!("No Content")));
        assert_eq!(outcome["ResponseBody"], json!(""));
    }
}

#[test]
fn json_request_bodies() {
    let body = json!({"customer": "c-1", "lines": [1, 2], "note": null});
    let (_, seen) = call(NO_CONTENT, "/", json!({"Method": "POST", "RequestBody": body}));
    assert_eq!(seen.header("content-type"), ["application/json"]);
    assert_eq!(serde_json::from_str::<Value>(&seen.body).expect("json body"), body);

    let parameters = json!({"Method": "PUT", "RequestBody": [1, "two"], "Headers": {"content-type": "application/x+json"}});
    let (_, seen) = call(NO_CONTENT, "/", parameters);
    assert_eq!(seen.header("content-type"), ["application/x+json"]);
    assert_eq!(seen.body, r#"[1,"two"]"#);

    let parameters = json!({"Method": "POST", "RequestBody": "plain text, sent as is"});
    let (_, seen) = call(NO_CONTENT, "/", parameters);
    assert_eq!(seen.body, "plain text, sent as is");
}

#[test]
fn url_encoded_bodies() {
    let cases = [
        (None, "name=Ann%20Lee&items%5B0%5D=a&items%5B1%5D=b"),
        (Some("INDICES"), "name=Ann%20Lee&items%5B0%5D=a&items%5B1%5D=b"),
        (Some("REPEAT"), "name=Ann%20Lee&items=a&items=b"),
        (Some("COMMAS"), "name=Ann%20Lee&items=a,b"),
        (Some("BRACKETS"), "name=Ann%20Lee&items%5B%5D=a&items%5B%5D=b"),
    ];
    for (format, expected) in cases {
        let mut transform = json!({"RequestBodyEncoding": "URL_ENCODED"});
        if let Some(format) = format {
            transform["RequestEncodingOptions"] = json!({"ArrayFormat": format});
        }
        let parameters = json!({
            "Method": "POST",
            "Headers": {"Content-Type": "application/x-www-form-urlencoded"},
            "RequestBody": {"name": "Ann Lee", "items": ["a", "b"]},
            "Transform": transform
        });
        let (outcome, seen) = call(NO_CONTENT, "/form", parameters);
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(seen.body, expected, "{format:?}");
        assert_eq!(seen.header("content-type"), ["application/x-www-form-urlencoded"]);
    }
    // Without a Content-Type header, Baton names the form's.
    let parameters = json!({"Method": "POST", "RequestBody": {"a": 1}, "Transform": {"RequestBodyEncoding": "URL_ENCODED"}});
    let (_, seen) = call(NO_CONTENT, "/form", parameters);
    assert_eq!((seen.body.as_str(), seen.header("content-type")), ("a=1", vec!["application/x-www-form-urlencoded"]));
}

#[test]
fn response_bodies_json_or_text() {
    let cases = [
        (("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8", r#"[1, {"a": 2}]"#), json!([1, {"a": 2}])),
        (("HTTP/1.1 200 OK\r\nContent-Type: application/problem+json", r#"{"title": "t"}"#), json!({"title": "t"})),
        (("HTTP/1.1 200 OK\r\nContent-Type: application/json", "not json"), json!("not json")),
        (("HTTP/1.1 200 OK\r\nContent-Type: text/plain", r#"{"a": 1}"#), json!(r#"{"a": 1}"#)),
        (("HTTP/1.1 201 Created", "hello"), json!("hello")),
    ];
    for (response, expected) in cases {
        let (outcome, _) = call(response, "/", json!({"Method": "GET"}));
        assert_eq!(outcome.expect("success")["ResponseBody"], expected, "{response:?}");
    }
}

#[test]
fn binary_responses_are_not_supported() {
    let response = ("HTTP/1.1 200 OK\r\nContent-Type: image/png", "PNG");
    let (outcome, _) = call(response, "/", json!({"Method": "GET"}));
    assert_eq!(
        outcome,
        Err(TaskError::new("States.Runtime", "The HTTP Task does not support responses of content type 'image/png'"))
    );
}

#[test]
fn non_2xx_is_a_status_code_error() {
    let response = ("HTTP/1.1 404 Not Found\r\nContent-Type: application/json", r#"{"message": "no such item"}"#);
    let (outcome, _) = call(response, "/items/9", json!({"Method": "GET"}));
    let error = outcome.expect_err("failure");
    assert_eq!(error.error, "States.Http.StatusCode.404");
    let cause: Value = serde_json::from_str(error.cause.as_deref().expect("cause")).expect("cause is JSON");
    assert_eq!(
        cause,
        json!({
            "Headers": {"content-type": ["application/json"], "content-length": ["27"], "connection": ["close"]},
            "ResponseBody": {"message": "no such item"},
            "StatusCode": 404,
            "StatusText": "Not Found"
        })
    );
}

#[test]
fn connection_refused_is_a_socket_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let parameters = json!({"ApiEndpoint": format!("http://127.0.0.1:{port}/x"), "Method": "GET"});
    let error = invoke(&parameters, &Options::default()).expect_err("failure");
    assert_eq!(error.error, "States.Http.Socket");
    let cause = error.cause.expect("cause");
    assert!(cause.starts_with(&format!("The HTTP request to 'http://127.0.0.1:{port}/x' failed: ")), "{cause}");
}

#[test]
fn no_answer_in_time_is_a_socket_error() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/slow", listener.local_addr().expect("address"));
    // Reads the request and never answers; the thread ends with the test binary.
    thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        read_request(&mut stream);
        thread::sleep(Duration::from_secs(30));
    });
    let started = Instant::now();
    let options = Options { timeout: Duration::from_millis(300), ..Options::default() };
    let error = invoke(&json!({"ApiEndpoint": url, "Method": "GET"}), &options).expect_err("failure");
    assert!(started.elapsed() < Duration::from_secs(10), "the timeout must cut the request short");
    assert_eq!(
        error,
        TaskError::new(
            "States.Http.Socket",
            format!("The HTTP request to '{url}' timed out: no complete answer within 300 milliseconds")
        )
    );
}

/// An `https://` endpoint gets a TLS handshake (the first bytes are a TLS handshake record); one that answers with
/// something else fails the task with `States.Http.Socket`, as any transport failure does.
#[test]
fn https_speaks_tls_and_a_failed_handshake_is_a_socket_error() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}/secure", listener.local_addr().expect("address"));
    let opening = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut first = [0u8; 3];
        std::io::Read::read_exact(&mut stream, &mut first).expect("the first bytes");
        let _ = std::io::Write::write_all(&mut stream, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        first
    });
    let error = invoke(&json!({"ApiEndpoint": url, "Method": "GET"}), &Options::default()).expect_err("failure");
    // 0x16 is a handshake record, 0x03 the major version every TLS record carries.
    assert_eq!(opening.join().expect("the endpoint")[..2], [0x16, 0x03], "a TLS ClientHello");
    assert_eq!(error.error, "States.Http.Socket", "{error:?}");
    let cause = error.cause.expect("cause");
    assert!(cause.starts_with(&format!("The HTTP request to '{url}' failed: ")), "{cause}");
}

fn restricted(allow: &[&str]) -> Options {
    let allow = allow.iter().map(|text| Entry::parse(text).expect("entry")).collect();
    Options { egress: Policy::restricted(allow, Vec::new()), ..Options::default() }
}

/// Whether anyone connected to `listener` (which is left non-blocking).
fn connected(listener: &TcpListener) -> bool {
    listener.set_nonblocking(true).expect("non-blocking");
    listener.accept().is_ok()
}

/// A policy with entries checks every call where it connects; one that lets loopback through reaches the server.
#[test]
fn a_policy_that_allows_the_endpoint_lets_the_call_through() {
    let deny = vec![Entry::parse("10.0.0.0/8").expect("entry")];
    for options in [Options { egress: Policy::open(Vec::new(), deny), ..Options::default() }, restricted(&["127.0.0.1"])] {
        let (url, server) = serve(vec![OK_JSON]);
        let outcome = invoke(&json!({"ApiEndpoint": format!("{url}/ok"), "Method": "GET"}), &options);
        assert_eq!(outcome.expect("success")["ResponseBody"], json!({"ok": true}));
        assert_eq!(server.join().expect("server")[0].target, "/ok");
    }
}

#[test]
fn the_restricted_policy_refuses_loopback_without_connecting() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/x", listener.local_addr().expect("address"));
    let error = invoke(&json!({"ApiEndpoint": url, "Method": "GET"}), &restricted(&[])).expect_err("refused");
    assert_eq!(
        error,
        TaskError::new(
            "States.Http.Socket",
            format!(
                "The HTTP request to '{url}' was refused: 127.0.0.1 is a loopback address, which this server does not \
                 call (--http-allow 127.0.0.1 opens it)"
            )
        )
    );
    assert!(!connected(&listener), "a refused call must not connect");
}

/// `localhost` is checked by the addresses it resolves to.
#[test]
fn the_restricted_policy_refuses_a_name_that_resolves_to_loopback() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let url = format!("http://localhost:{port}/x");
    let error = invoke(&json!({"ApiEndpoint": url, "Method": "GET"}), &restricted(&[])).expect_err("refused");
    assert_eq!(error.error, "States.Http.Socket");
    let cause = error.cause.expect("cause");
    let expected = format!("The HTTP request to '{url}' was refused: localhost resolves to ");
    assert!(cause.starts_with(&expected), "{cause}");
    assert!(cause.contains(", a loopback address, which this server does not call (--http-allow "), "{cause}");
    assert!(!connected(&listener), "a refused call must not connect");
}

#[test]
fn the_restricted_policy_refuses_the_metadata_address_in_any_spelling() {
    for (url, host) in [
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data", "::ffff:169.254.169.254 resolves to 169.254.169.254,"),
        ("http://[fd00:ec2::254]/latest/meta-data", "fd00:ec2::254"),
    ] {
        let error = invoke(&json!({"ApiEndpoint": url, "Method": "GET"}), &restricted(&[])).expect_err("refused");
        assert_eq!(error.error, "States.Http.Socket");
        let cause = error.cause.expect("cause");
        assert!(cause.starts_with(&format!("The HTTP request to '{url}' was refused: {host}")), "{cause}");
        assert!(cause.contains("the instance metadata address, which this server does not call"), "{cause}");
    }
}

/// A redirect's host is checked as the first host was, and the cause says the redirect was refused.
#[test]
fn a_redirect_to_a_refused_host_is_refused() {
    let redirect = ("HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data", "");
    let (url, server) = serve(vec![redirect]);
    let url = format!("{url}/go");
    let error = invoke(&json!({"ApiEndpoint": url, "Method": "GET"}), &restricted(&["127.0.0.1"])).expect_err("refused");
    assert_eq!(
        error,
        TaskError::new(
            "States.Http.Socket",
            format!(
                "The HTTP request to '{url}' was refused after a redirect: 169.254.169.254 is the instance metadata \
                 address, which this server does not call (--http-allow 169.254.169.254 opens it)"
            )
        )
    );
    assert_eq!(server.join().expect("server")[0].target, "/go");
}

/// With a trace, the request carries its `traceparent` (and no X-Ray header: HTTP Tasks call anything); a
/// `traceparent` the definition gives wins.
#[test]
fn a_traced_call_carries_the_traceparent_unless_the_definition_gives_one() {
    let trace = crate::Trace { trace_id: [0x4b; 16], span_id: [0x0f; 8], sampled: true };
    let traced = |headers: Value| {
        let (url, server) = serve(vec![OK_JSON]);
        let parameters = json!({"ApiEndpoint": format!("{url}/hook"), "Method": "GET", "Headers": headers});
        crate::http::invoke_traced(&parameters, &Options::default(), Some(trace)).expect("answered");
        server.join().expect("server").remove(0)
    };
    let seen = traced(json!({}));
    assert_eq!(seen.header("traceparent"), [trace.traceparent().as_str()]);
    assert_eq!(seen.header("traceparent"), ["00-4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b-0f0f0f0f0f0f0f0f-01"]);
    assert!(seen.header("x-amzn-trace-id").is_empty());
    let seen = traced(json!({"TraceParent": "00-11111111111111111111111111111111-2222222222222222-01"}));
    assert_eq!(seen.header("traceparent"), ["00-11111111111111111111111111111111-2222222222222222-01"]);
    let (_, untraced) = call(OK_JSON, "/", json!({"Method": "GET"}));
    assert!(untraced.header("traceparent").is_empty(), "no trace, no header");
}
