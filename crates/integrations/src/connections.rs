//! Local stand-ins for EventBridge connections, which an HTTP Task names by `Authentication.ConnectionArn`.
//!
//! On AWS a connection holds an API's credentials (Basic, API key or OAuth) and extra header, query string and body
//! parameters, and Step Functions adds them to every request of an HTTP Task that names it. Baton has no
//! EventBridge, so a connection it does not know adds nothing: the request goes out with only what the definition
//! itself gives. A connections file supplies the ones a run needs:
//!
//! ```toml
//! [connections.shop]                       # the connection's name: arn:aws:events:REGION:ACCOUNT:connection/shop/…
//! basic = { username = "me", password = "secret" }   # Authorization: Basic …
//!
//! [connections."arn:aws:events:us-east-1:123456789012:connection/search/0b1c"]   # or its whole ARN
//! api_key = { name = "x-api-key", value = "secret" } # a header
//! headers = { X-Tenant = "t1" }                      # more headers, query string and body parameters
//! query = { api-version = "2" }
//! body = { client = "baton" }
//! ```
//!
//! A connection gives at most one of `basic` and `api_key`; OAuth's token exchange is not done here (a fixed
//! `headers = { Authorization = "Bearer …" }` stands in for it). The connection's parameters win over the task's of
//! the same name, as the connection's data does on AWS (a guess at AWS's rule for a clash); its headers may be ones
//! a definition may not set, such as `Authorization`. Body parameters are merged into a JSON object body (or make
//! one), and left out when the task sends a string body.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::Error;

/// The connections a user configured, by name or ARN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connections {
    connections: BTreeMap<String, Connection>,
}

/// What one connection adds to a request.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// Headers, the authorization one first; they replace the task's headers of the same names.
    pub(crate) headers: Vec<(String, String)>,
    /// Query string parameters; they replace the task's of the same names.
    pub(crate) query: Map<String, Value>,
    /// Body parameters, merged into a JSON object body.
    pub(crate) body: Map<String, Value>,
}

impl Connections {
    /// Parses the TOML text of a connections file.
    pub fn from_toml(text: &str) -> Result<Connections, Error> {
        let table: toml::Table =
            toml::from_str(text).map_err(|err| Error::Connections(err.to_string().trim().to_owned()))?;
        let mut problems = Vec::new();
        for key in table.keys().filter(|key| key.as_str() != "connections") {
            problems.push(format!("unknown top-level key `{key}`; expected `[connections.NAME]` tables"));
        }
        let mut connections = BTreeMap::new();
        match table.get("connections") {
            None => {}
            Some(toml::Value::Table(entries)) => {
                for (name, value) in entries {
                    if let Some(connection) = check_connection(name, value, &mut problems) {
                        connections.insert(name.clone(), connection);
                    }
                }
            }
            Some(other) => problems.push(format!("`connections` must be a table, found {}", other.type_str())),
        }
        if problems.is_empty() { Ok(Connections { connections }) } else { Err(Error::Connections(problems.join("; "))) }
    }

    /// Reads a connections file.
    pub fn read(path: &Path) -> Result<Connections, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| Error::Connections(format!("cannot read {}: {err}", path.display())))?;
        Connections::from_toml(&text).map_err(|err| match err {
            Error::Connections(message) => Error::Connections(format!("{}: {message}", path.display())),
            other => other,
        })
    }

    /// The connection `arn` names: configured under the whole ARN, or under its name (the part after
    /// `connection/`, up to the next `/`).
    pub fn get(&self, arn: &str) -> Option<&Connection> {
        self.connections.get(arn).or_else(|| {
            let (_, rest) = arn.split_once(":connection/")?;
            let name = rest.split('/').next()?;
            self.connections.get(name)
        })
    }

    /// The configured names and ARNs, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.connections.keys().map(String::as_str)
    }
}

/// Shows which parameters a connection sets, never their values: they are secrets.
impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Connection")
            .field("headers", &headers)
            .field("query", &self.query.keys().collect::<Vec<_>>())
            .field("body", &self.body.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn check_connection(name: &str, value: &toml::Value, problems: &mut Vec<String>) -> Option<Connection> {
    let at = format!("connections.{name}");
    let Some(fields) = value.as_table() else {
        problems.push(format!("`{at}` must be a table, found {}", value.type_str()));
        return None;
    };
    let before = problems.len();
    for key in fields.keys() {
        if !matches!(key.as_str(), "basic" | "api_key" | "headers" | "query" | "body") {
            problems.push(format!("`{at}`: unknown key `{key}`; expected basic, api_key, headers, query or body"));
        }
    }
    let mut connection = Connection::default();
    match (fields.get("basic"), fields.get("api_key")) {
        (Some(_), Some(_)) => problems.push(format!("`{at}` has both `basic` and `api_key`; give at most one")),
        (Some(basic), None) => {
            let at = format!("{at}.basic");
            if let Some(basic) = table_value(basic, &at, problems) {
                let username = string_field(basic, &at, "username", problems);
                let password = string_field(basic, &at, "password", problems);
                if let (Some(username), Some(password)) = (username, password) {
                    let credentials = base64(format!("{username}:{password}").as_bytes());
                    connection.headers.push(("Authorization".to_owned(), format!("Basic {credentials}")));
                }
            }
        }
        (None, Some(api_key)) => {
            let at = format!("{at}.api_key");
            if let Some(api_key) = table_value(api_key, &at, problems) {
                let name = string_field(api_key, &at, "name", problems);
                let value = string_field(api_key, &at, "value", problems);
                if let (Some(name), Some(value)) = (name, value) {
                    connection.headers.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        (None, None) => {}
    }
    if let Some(headers) = table(fields, &at, "headers", problems) {
        for (header, value) in headers {
            match value.as_str() {
                Some(text) => connection.headers.push((header.clone(), text.to_owned())),
                None => problems.push(format!("`{at}.headers.{header}` must be a string, found {}", value.type_str())),
            }
        }
    }
    if let Some(query) = table(fields, &at, "query", problems) {
        connection.query = query.iter().map(|(key, value)| (key.clone(), json(value))).collect();
    }
    if let Some(body) = table(fields, &at, "body", problems) {
        connection.body = body.iter().map(|(key, value)| (key.clone(), json(value))).collect();
    }
    (problems.len() == before).then_some(connection)
}

/// The table `key` of `fields`, if present and a table.
fn table<'a>(fields: &'a toml::Table, at: &str, key: &str, problems: &mut Vec<String>) -> Option<&'a toml::Table> {
    table_value(fields.get(key)?, &format!("{at}.{key}"), problems)
}

/// `value` (at `at`) as a table.
fn table_value<'a>(value: &'a toml::Value, at: &str, problems: &mut Vec<String>) -> Option<&'a toml::Table> {
    match value {
        toml::Value::Table(table) => Some(table),
        other => {
            problems.push(format!("`{at}` must be a table, found {}", other.type_str()));
            None
        }
    }
}

/// The string `key` of `table` (at `at`), which must be there.
fn string_field<'a>(table: &'a toml::Table, at: &str, key: &str, problems: &mut Vec<String>) -> Option<&'a str> {
    match table.get(key) {
        Some(toml::Value::String(text)) => Some(text),
        Some(other) => {
            problems.push(format!("`{at}.{key}` must be a string, found {}", other.type_str()));
            None
        }
        None => {
            problems.push(format!("`{at}` needs `{key}`"));
            None
        }
    }
}

/// A TOML value as JSON: dates become their text.
fn json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(text) => Value::String(text.clone()),
        toml::Value::Integer(n) => Value::from(*n),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(datetime) => Value::String(datetime.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(json).collect()),
        toml::Value::Table(table) => Value::Object(table.iter().map(|(key, value)| (key.clone(), json(value))).collect()),
    }
}

/// Standard base64 with padding (RFC 4648), for Basic credentials.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                let index = usize::try_from((n >> shift) & 63).unwrap_or(0);
                out.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}
