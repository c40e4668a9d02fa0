//! Tests of `crate::connections`: reading a connections file, its problems, and finding a connection by ARN.

use serde_json::json;

use crate::Error;
use crate::connections::Connections;

/// Parses `text` and renders each connection (`name: headers query body`) or the error.
#[track_caller]
fn check(text: &str, expect: &str) {
    let actual = match Connections::from_toml(text) {
        Ok(connections) => connections
            .connections
            .iter()
            .map(|(name, c)| format!("{name}: {:?} {} {}", c.headers, json!(c.query), json!(c.body)))
            .collect::<Vec<_>>()
            .join(" | "),
        Err(Error::Connections(message)) => format!("error: {message}"),
        Err(other) => format!("other error: {other}"),
    };
    assert_eq!(actual, expect);
}

#[test]
fn basic_credentials() {
    check(
        "[connections.shop]\nbasic = { username = \"me\", password = \"s3cr:t\" }",
        r#"shop: [("Authorization", "Basic bWU6czNjcjp0")] {} {}"#,
    );
}

#[test]
fn api_key_and_parameters() {
    check(
        "[connections.\"arn:aws:events:us-east-1:123456789012:connection/search/0b1c\"]\n\
         api_key = { name = \"x-api-key\", value = \"k\" }\nheaders = { X-Tenant = \"t1\" }\n\
         query = { api-version = 2 }\nbody = { client = \"baton\", debug = true }",
        r#"arn:aws:events:us-east-1:123456789012:connection/search/0b1c: [("x-api-key", "k"), ("X-Tenant", "t1")] {"api-version":2} {"client":"baton","debug":true}"#,
    );
}

#[test]
fn base64_pads() {
    check("[connections.a]\nbasic = { username = \"a\", password = \"\" }", r#"a: [("Authorization", "Basic YTo=")] {} {}"#);
    check("[connections.a]\nbasic = { username = \"ab\", password = \"\" }", r#"a: [("Authorization", "Basic YWI6")] {} {}"#);
}

#[test]
fn every_problem_is_listed() {
    check(
        "x = 1\n[connections.a]\nbasic = { username = \"u\" }\napi_key = 3\n[connections.d]\napi_key = { name = \"n\" }\n[connections.b]\nheaders = { H = 1 }\noauth = {}\n[connections.c]\nbasic = \"u:p\"",
        "error: unknown top-level key `x`; expected `[connections.NAME]` tables; \
         `connections.a` has both `basic` and `api_key`; give at most one; \
         `connections.b`: unknown key `oauth`; expected basic, api_key, headers, query or body; \
         `connections.b.headers.H` must be a string, found integer; \
         `connections.c.basic` must be a table, found string; `connections.d.api_key` needs `value`",
    );
    check("[connections", "error: TOML parse error at line 1, column 13\n  |\n1 | [connections\n  |             ^\nunclosed table, expected `]`");
}

#[test]
fn found_by_arn_or_name() {
    let connections = Connections::from_toml(
        "[connections.shop]\nheaders = { A = \"1\" }\n[connections.\"arn:aws:events:eu-west-1:1:connection/shop/x\"]\nheaders = { B = \"2\" }",
    )
    .expect("valid connections");
    let header = |arn: &str| connections.get(arn).map(|c| c.headers.clone());
    assert_eq!(header("arn:aws:events:us-east-1:123456789012:connection/shop/0b1c"), Some(vec![("A".to_owned(), "1".to_owned())]));
    assert_eq!(header("arn:aws:events:eu-west-1:1:connection/shop/x"), Some(vec![("B".to_owned(), "2".to_owned())]));
    assert_eq!(header("shop"), Some(vec![("A".to_owned(), "1".to_owned())]));
    assert_eq!(header("arn:aws:events:us-east-1:123456789012:connection/other/1"), None);
    assert_eq!(connections.names().collect::<Vec<_>>(), ["arn:aws:events:eu-west-1:1:connection/shop/x", "shop"]);
}

#[test]
fn debug_hides_values() {
    let connections = Connections::from_toml("[connections.a]\nbasic = { username = \"u\", password = \"p\" }\nquery = { k = \"v\" }")
        .expect("valid connections");
    let shown = format!("{connections:?}");
    assert!(shown.contains("Authorization") && shown.contains("\"k\""), "{shown}");
    assert!(!shown.contains("Basic") && !shown.contains("\"v\""), "{shown}");
}
