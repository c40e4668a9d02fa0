//! Who calls the API: AWS Signature Version 4, checked on `POST /` when the server has keys (`baton serve
//! --credentials`), so that the AWS CLI, boto3 and the SDKs work unchanged with keys Baton issues.
//!
//! A signed request names its key in the `Authorization` header's credential scope
//! (`<key>/<yyyymmdd>/<region>/states/aws4_request`); the server rebuilds the canonical request from what it received
//! (method, path, query, the headers the client says it signed, the body's SHA-256), derives the signing key from the
//! key's secret, and compares signatures in constant time. What it answers when that fails is what AWS answers:
//! `MissingAuthenticationTokenException` (no signature), `IncompleteSignatureException` (a malformed one),
//! `UnrecognizedClientException` (an unknown key), `InvalidSignatureException` (a wrong signature, the wrong region
//! or service, or a timestamp more than 15 minutes from the server's clock: "Signature expired", which SDKs read as
//! clock skew), each HTTP 403.
//!
//! There is no maintained crate that verifies SigV4 (`aws-sigv4` signs), so the canonical form is built here over
//! `hmac` and `sha2`, and checked against the AWS SigV4 test suite's vectors and against `aws-sigv4`'s signatures.
//!
//! The server reads no clock: `Access::clock` is given by the binary.

pub(crate) mod session;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::limits::BODY_LIMIT;

/// The one algorithm SigV4 names.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The signing name of Step Functions.
const SERVICE: &str = "states";

/// How far a request's timestamp may be from the server's clock, either way (AWS's 15 minutes).
const SKEW: Duration = Duration::from_secs(15 * 60);

/// One key a server accepts: who signs with it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// The account the key acts in: what it creates carries this account in its ARN, and it sees nothing else.
    pub account_id: String,
    /// A read-only key may call only the actions that change nothing (`read_only_action`).
    pub read_only: bool,
    /// The key may read `GET /metrics` (with HTTP Basic or Bearer authorization: `metrics_reader`), whose labels name
    /// every account's state machines: the operator's scraper's key.
    pub metrics: bool,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret, in a log or a panic message.
        f.debug_struct("Key")
            .field("access_key_id", &self.access_key_id)
            .field("account_id", &self.account_id)
            .field("read_only", &self.read_only)
            .field("metrics", &self.metrics)
            .finish_non_exhaustive()
    }
}

/// Who signed a request (or signed in to the console): set on the request for the handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub access_key_id: String,
    pub account_id: String,
    pub read_only: bool,
}

impl Caller {
    fn of(key: &Key) -> Caller {
        Caller { access_key_id: key.access_key_id.clone(), account_id: key.account_id.clone(), read_only: key.read_only }
    }

    /// The IAM-style name AWS's access errors give the caller.
    pub(crate) fn user_arn(&self) -> String {
        format!("arn:aws:iam::{}:user/{}", self.account_id, self.access_key_id)
    }
}

/// The keys a server accepts, by access key id; `replace` swaps them all at once (SIGHUP), and every clone sees it.
#[derive(Clone, Default)]
pub struct Keys {
    keys: Arc<RwLock<Arc<HashMap<String, Key>>>>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").field("count", &self.current().len()).finish()
    }
}

impl Keys {
    /// The keys `keys`, which must have distinct access key ids.
    pub fn new(keys: Vec<Key>) -> Result<Keys, String> {
        let this = Keys::default();
        this.replace(keys)?;
        Ok(this)
    }

    /// Replaces the keys; refused (and the old ones kept) when two share an access key id or one is incomplete.
    pub fn replace(&self, keys: Vec<Key>) -> Result<(), String> {
        let mut map = HashMap::with_capacity(keys.len());
        for key in keys {
            check(&key)?;
            let id = key.access_key_id.clone();
            if map.insert(id.clone(), key).is_some() {
                return Err(format!("the access key id {id} is given twice"));
            }
        }
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(map);
        Ok(())
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.current().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.current().is_empty()
    }

    /// The caller whose key is `access_key_id` with the secret `secret` (the console's sign-in), compared in constant
    /// time; `None` for an unknown key or a wrong secret alike.
    pub fn sign_in(&self, access_key_id: &str, secret: &str) -> Option<Caller> {
        let key = self.get(access_key_id)?;
        same(secret.as_bytes(), key.secret_access_key.as_bytes()).then(|| Caller::of(&key))
    }

    /// Whether `authorization` (an `Authorization` header: `Basic base64(id:secret)`, as Prometheus's `basic_auth` and
    /// `curl -u` send it, or `Bearer id:secret`) names a key allowed to read `/metrics` with its secret, compared in
    /// constant time.
    pub fn metrics_reader(&self, authorization: &str) -> bool {
        use base64::Engine;
        let pair = if let Some(encoded) = authorization.strip_prefix("Basic ") {
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else { return false };
            let Ok(text) = String::from_utf8(decoded) else { return false };
            text
        } else if let Some(token) = authorization.strip_prefix("Bearer ") {
            token.trim().to_owned()
        } else {
            return false;
        };
        let Some((id, secret)) = pair.split_once(':') else { return false };
        self.get(id).is_some_and(|key| same(secret.as_bytes(), key.secret_access_key.as_bytes()) && key.metrics)
    }

    /// The caller of `access_key_id`, if the key is still there (a console session's key may have been removed).
    pub fn caller(&self, access_key_id: &str) -> Option<Caller> {
        self.get(access_key_id).map(|key| Caller::of(&key))
    }

    fn get(&self, access_key_id: &str) -> Option<Key> {
        self.current().get(access_key_id).cloned()
    }

    fn current(&self) -> Arc<HashMap<String, Key>> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Refuses a key with an empty field or an account id that is not twelve digits.
fn check(key: &Key) -> Result<(), String> {
    if key.access_key_id.is_empty() || key.access_key_id.contains(['/', ' ', ',', '=']) {
        return Err(format!("the access key id '{}' is empty or holds '/', ' ', ',' or '='", key.access_key_id));
    }
    if key.secret_access_key.is_empty() {
        return Err(format!("the key {} has no secret_access_key", key.access_key_id));
    }
    if key.account_id.len() != 12 || !key.account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "the key {} has account_id '{}': an account id is twelve digits, as AWS's",
            key.access_key_id, key.account_id
        ));
    }
    Ok(())
}

/// How the API checks its callers: the keys, the region requests must be signed for, and the clock to judge their
/// timestamps by (seconds since the Unix epoch); and the console's sessions (`session`), signed under a secret the
/// binary draws at random when it starts (the server reads no randomness).
#[derive(Clone)]
pub struct Access {
    pub keys: Keys,
    pub region: String,
    pub clock: fn() -> i64,
    session_secret: [u8; 32],
    sessions: Arc<session::Sessions>,
}

impl Access {
    /// Access by `keys` for `region`, judged by `clock`, its console sessions signed under `session_secret` (32 random
    /// bytes, new for each process: a restart signs every browser out).
    pub fn new(keys: Keys, region: String, clock: fn() -> i64, session_secret: [u8; 32]) -> Access {
        Access { keys, region, clock, session_secret, sessions: Arc::default() }
    }
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").field("keys", &self.keys).field("region", &self.region).finish_non_exhaustive()
    }
}

/// Checks the signature of every API call (`POST /`, and `POST /baton/admin/reset`) and sets its `Caller`; other routes pass (the console checks
/// its session itself). An unsigned call with a console session cookie acts as the session's caller when it carries
/// the session's CSRF token (`console_caller`). Without `Access`, every request passes with no caller.
pub(crate) async fn signed(State(access): State<Option<Access>>, request: Request, next: Next) -> Response {
    let Some(access) = access else { return next.run(request).await };
    // The API, and the admin reset (`--admin`), which would delete every account's work.
    if request.method() != Method::POST || !matches!(request.uri().path(), "/" | "/baton/admin/reset") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // The body is read whole before judging: its hash is signed, and a refusal with the body unread would close the
    // connection, which SDKs reuse.
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(body) => body,
        Err(_) => return ApiError::TooLarge { limit: BODY_LIMIT }.into_response(),
    };
    let received = Received {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        authority: parts.uri.authority().map(|a| a.as_str()),
        body: &body,
    };
    // The console calls the API for its signed-in browser with its session cookie and CSRF token, unsigned.
    let judged = if parts.headers.get(header::AUTHORIZATION).is_none() && session::has_cookie(&parts.headers) {
        console_caller(&access, &parts.headers, received.authority)
    } else {
        verify(&access, &received, (access.clock)())
    };
    match judged {
        Ok(caller) => {
            let mut request = Request::from_parts(parts, Body::from(body));
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

/// The caller of an API call the console makes for a signed-in browser: from the console's own origin, with a
/// session cookie that holds and that session's CSRF token. A read-only key stays read-only (`router::permitted`).
fn console_caller(access: &Access, headers: &HeaderMap, authority: Option<&str>) -> Result<Caller, ApiError> {
    if let Some(why) = crate::guard::foreign(headers, authority) {
        return Err(denied("AccessDeniedException", &why));
    }
    let Some(session) = session::from_headers(access, headers) else {
        return Err(denied(
            "AccessDeniedException",
            "The console session has expired or ended (or its key was removed): sign in again.",
        ));
    };
    if !session.csrf_holds(headers) {
        return Err(denied(
            "AccessDeniedException",
            "A request with the console's session cookie must carry the session's X-Baton-Csrf token.",
        ));
    }
    Ok(session.caller)
}

/// What the signature covers of a received request.
pub(crate) struct Received<'a> {
    pub(crate) method: &'a str,
    /// The path as sent (still percent-encoded).
    pub(crate) path: &'a str,
    /// The query as sent (still percent-encoded), without `?`.
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    /// The URI's authority (HTTP/2 sends the host there).
    pub(crate) authority: Option<&'a str>,
    pub(crate) body: &'a [u8],
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

/// The caller who signed `request`, or AWS's error for why not, judged at `now_seconds` (since the Unix epoch).
pub(crate) fn verify(access: &Access, request: &Received<'_>, now_seconds: i64) -> Result<Caller, ApiError> {
    let Some(value) = request.headers.get(header::AUTHORIZATION) else {
        return Err(denied("MissingAuthenticationTokenException", "Missing Authentication Token"));
    };
    let value = value.to_str().map_err(|_| incomplete("the Authorization header is not ASCII"))?;
    let authorization = parse_authorization(value)?;
    let Some(key) = access.keys.get(authorization.access_key_id) else {
        return Err(denied("UnrecognizedClientException", "The security token included in the request is invalid."));
    };
    let stamp = header_text(request.headers, "x-amz-date")
        .ok_or_else(|| incomplete(&format!("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={value}")))?;
    let Some(signed_at) = parse_amz_date(&stamp) else {
        return Err(incomplete(&format!("Date must be in ISO-8601 'basic format'. Got '{stamp}'. See http://en.wikipedia.org/wiki/ISO_8601")));
    };
    if !stamp.starts_with(authorization.date) || authorization.date.len() != 8 {
        return Err(invalid(&format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{stamp}'.",
            authorization.date,
            &stamp[..8.min(stamp.len())]
        )));
    }
    if authorization.service != SERVICE {
        return Err(invalid(&format!("Credential should be scoped to correct service: '{SERVICE}'. ")));
    }
    if authorization.region != access.region {
        return Err(invalid(&format!(
            "Credential should be scoped to a valid region, not '{}'. This server's region is '{}'. ",
            authorization.region, access.region
        )));
    }
    if authorization.terminator != "aws4_request" {
        return Err(invalid(&format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            authorization.terminator
        )));
    }
    if !authorization.signed_headers.contains(&"host") {
        return Err(invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."));
    }
    let skew = SKEW.as_secs() as i64;
    if signed_at < now_seconds - skew {
        return Err(invalid(&format!(
            "Signature expired: {stamp} is now earlier than {} ({} - 15 min.)",
            amz_date(now_seconds - skew),
            amz_date(now_seconds)
        )));
    }
    if signed_at > now_seconds + skew {
        return Err(invalid(&format!(
            "Signature not yet current: {stamp} is still later than {} ({} + 15 min.)",
            amz_date(now_seconds + skew),
            amz_date(now_seconds)
        )));
    }
    let Some(provided) = decode_hex(authorization.signature) else {
        return Err(signature_mismatch());
    };
    let canonical = canonical_request(request, &authorization.signed_headers);
    let scope = format!("{}/{}/{}/{}", authorization.date, authorization.region, authorization.service, authorization.terminator);
    let to_sign = string_to_sign(&stamp, &scope, &canonical);
    let signing_key = signing_key(&key.secret_access_key, authorization.date, authorization.region, authorization.service);
    let mut mac = hmac(&signing_key);
    mac.update(to_sign.as_bytes());
    mac.verify_slice(&provided).map_err(|_| signature_mismatch())?;
    Ok(Caller::of(&key))
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, ApiError> {
    let Some((algorithm, rest)) = value.trim().split_once(' ') else {
        return Err(incomplete(&format!("Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={value}")));
    };
    if algorithm != ALGORITHM {
        return Err(incomplete(&format!("Unsupported AWS 'algorithm': '{algorithm}'")));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let mut missing = String::new();
    for (name, part) in [("Credential", credential), ("Signature", signature), ("SignedHeaders", signed_headers)] {
        if part.is_none() {
            let _ = write!(missing, "Authorization header requires '{name}' parameter. ");
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
        return Err(incomplete(&format!("{missing}Authorization={value}")));
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts[..] else {
        return Err(incomplete(&format!(
            "Credential should have 5 parts, got {}: '{credential}' is not <key>/<date>/<region>/<service>/aws4_request",
            parts.len()
        )));
    };
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers: signed_headers.split(';').collect(),
        signature,
    })
}

/// The canonical request of SigV4: method, canonical path, canonical query, the signed headers with their values,
/// the list of signed headers, and the hex SHA-256 of the body.
pub(crate) fn canonical_request(request: &Received<'_>, signed_headers: &[&str]) -> String {
    let mut canonical = String::with_capacity(256);
    canonical.push_str(request.method);
    canonical.push('\n');
    canonical.push_str(&canonical_path(request.path));
    canonical.push('\n');
    canonical.push_str(&canonical_query(request.query));
    canonical.push('\n');
    for name in signed_headers {
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(&header_values(request, name));
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(&signed_headers.join(";"));
    canonical.push('\n');
    canonical.push_str(&hex(&Sha256::digest(request.body)));
    canonical
}

/// The string to sign: the algorithm, the timestamp, the scope and the hash of the canonical request.
pub(crate) fn string_to_sign(stamp: &str, scope: &str, canonical: &str) -> String {
    format!("{ALGORITHM}\n{stamp}\n{scope}\n{}", hex(&Sha256::digest(canonical.as_bytes())))
}

/// The signing key: HMACs of the date, region, service and terminator under `AWS4<secret>`.
pub(crate) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [date, region, service, "aws4_request"] {
        let mut mac = hmac(&key);
        mac.update(part.as_bytes());
        key = mac.finalize().into_bytes().to_vec();
    }
    key
}

/// Whether `a` and `b` are equal, in a time that does not tell where they differ: their HMACs under a fixed key are
/// compared (`verify_slice` compares in constant time), so not even their lengths show.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let digest = |bytes: &[u8]| {
        let mut mac = hmac(b"baton constant-time comparison");
        mac.update(bytes);
        mac
    };
    digest(a).verify_slice(&digest(b).finalize().into_bytes()).is_ok()
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
}

/// The path with each segment URI-encoded again (every service but S3 signs the path encoded twice), empty as `/`.
fn canonical_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    path.split('/').map(uri_encode).collect::<Vec<_>>().join("/")
}

/// The query's parameters decoded, encoded as SigV4 wants and sorted by name, then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (uri_encode(&percent_decode(name)), uri_encode(&percent_decode(value)))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("&")
}

/// Every value of header `name`, each trimmed with inner runs of spaces made one, joined by commas. `host` falls back
/// to the URI's authority.
fn header_values(request: &Received<'_>, name: &str) -> String {
    let values: Vec<String> = request
        .headers
        .get_all(name)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    if values.is_empty() && name == "host" {
        return request.authority.unwrap_or("").to_owned();
    }
    values.join(",")
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(|text| text.trim().to_owned())
}

/// SigV4's URI encoding: every byte but the unreserved ones (`A-Z a-z 0-9 - _ . ~`) as `%XX`, upper case.
fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let digit = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(digit), bytes.get(i + 2).copied().and_then(digit)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            (byte, ..) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}

/// Seconds since the epoch of `yyyymmddThhmmssZ`.
fn parse_amz_date(stamp: &str) -> Option<i64> {
    let bytes = stamp.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| stamp.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// `yyyymmddThhmmssZ` of seconds since the epoch.
fn amz_date(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// An access error: HTTP 403 with AWS's code.
pub(crate) fn denied(code: &'static str, message: &str) -> ApiError {
    ApiError::Denied { code, message: message.to_owned() }
}

fn incomplete(message: &str) -> ApiError {
    denied("IncompleteSignatureException", message)
}

fn invalid(message: &str) -> ApiError {
    denied("InvalidSignatureException", message)
}

fn signature_mismatch() -> ApiError {
    invalid(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access \
         Key and signing method. Consult the service documentation for details.",
    )
}

/// Whether a read-only key may call `action`: the ones that read (Describe, List, Get but GetActivityTask, which
/// takes a task) and ValidateStateMachineDefinition, which reads nothing either.
pub(crate) fn read_only_action(action: &str) -> bool {
    (action.starts_with("Describe") || action.starts_with("List") || action.starts_with("Get") || action == "ValidateStateMachineDefinition")
        && action != "GetActivityTask"
}
