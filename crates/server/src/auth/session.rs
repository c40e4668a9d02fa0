//! The console's sessions, when the server has keys: a browser signs in with a key's id and secret once
//! (`console::sign_in`), and then holds a cookie that names the key, not its secret.
//!
//! The cookie is stateless: `<key id, hex>.<expiry>.<serial>.<MAC>`, the MAC an HMAC-SHA256 under the process's
//! `Access::session_secret` (random, given by the binary) over the key id, the expiry, the serial and a hash of the
//! key's secret. So a cookie cannot be made without the process secret, stops working when it expires (12 hours),
//! when its key is removed from the credentials file (SIGHUP) or its secret changes, when the server restarts (a new
//! process secret), and when its key signs out: `sign_out` records the serial the next session of that key will have,
//! and every older session of the key (in any browser) ends. The caller a session acts as is read from the keys on
//! each use, so a key made read-only is read-only at once.
//!
//! Every request of a session that changes something carries its CSRF token in `X-Baton-Csrf`: an HMAC of the cookie
//! under the process secret, which the console's page embeds (a page of another site can neither read the page nor
//! compute the token). The cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's request
//! carries it) and `Secure` when the request came over TLS (`Tls`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use axum::http::{HeaderMap, header};
use hmac::Mac;
use sha2::{Digest, Sha256};

use super::{Access, Caller, decode_hex, hex, hmac, same};

/// The session cookie's name.
pub(crate) const COOKIE: &str = "baton-session";

/// The header that carries a session's CSRF token on every request that changes something.
pub(crate) const CSRF_HEADER: &str = "x-baton-csrf";

/// How long a session lasts, in seconds: 12 hours.
pub(crate) const LIFETIME_SECONDS: i64 = 12 * 3600;

/// A request extension set by the listener on the requests it received over TLS: the session cookie is then
/// `Secure`, so the browser never sends it over plain HTTP.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tls;

/// What the process keeps about sessions: the serial of the next one, and per key the first serial still valid.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    next: AtomicU64,
    signed_out: Mutex<HashMap<String, u64>>,
}

/// A valid session: who it acts as, its cookie's value and its CSRF token.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) caller: Caller,
    pub(crate) csrf: String,
}

impl Session {
    /// Whether `headers` carry this session's CSRF token (compared in constant time).
    pub(crate) fn csrf_holds(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()) else { return false };
        let (Some(given), Some(expected)) = (decode_hex(given.trim()), decode_hex(&self.csrf)) else { return false };
        same(&given, &expected)
    }
}

impl Access {
    /// A new session for `caller` (just signed in): the cookie's value, or `None` if its key is gone meanwhile.
    pub(crate) fn open_session(&self, caller: &Caller) -> Option<String> {
        let key = self.keys.get(&caller.access_key_id)?;
        let expires = (self.clock)().saturating_add(LIFETIME_SECONDS);
        let serial = self.sessions.next.fetch_add(1, Ordering::Relaxed);
        let mac = self.session_mac(&key.access_key_id, expires, serial, &key.secret_access_key);
        Some(format!("{}.{expires}.{serial}.{}", hex(key.access_key_id.as_bytes()), hex(&mac)))
    }

    /// The session of the cookie value `cookie`, if it holds now: signed by this process, not expired, its key still
    /// there with the same secret, and not signed out.
    pub(crate) fn session(&self, cookie: &str) -> Option<Session> {
        let mut parts = cookie.split('.');
        let (Some(id), Some(expires), Some(serial), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let id = String::from_utf8(decode_hex(id)?).ok()?;
        let expires: i64 = expires.parse().ok()?;
        let serial: u64 = serial.parse().ok()?;
        let mac = decode_hex(mac)?;
        if expires <= (self.clock)() {
            return None;
        }
        let key = self.keys.get(&id)?;
        let expected = self.session_hmac(&key.access_key_id, expires, serial, &key.secret_access_key);
        expected.verify_slice(&mac).ok()?;
        let first_valid = self.sessions.signed_out.lock().unwrap_or_else(PoisonError::into_inner).get(&id).copied();
        if first_valid.is_some_and(|first| serial < first) {
            return None;
        }
        let mut csrf = hmac(&self.session_secret);
        csrf.update(b"baton console csrf\n");
        csrf.update(cookie.as_bytes());
        Some(Session { caller: self.keys.caller(&id)?, csrf: hex(&csrf.finalize().into_bytes()) })
    }

    /// Ends every session of `caller`'s key opened so far (in every browser); the next sign-in opens a new one.
    pub(crate) fn sign_out(&self, caller: &Caller) {
        let next = self.sessions.next.load(Ordering::Relaxed);
        let mut signed_out = self.sessions.signed_out.lock().unwrap_or_else(PoisonError::into_inner);
        signed_out.insert(caller.access_key_id.clone(), next);
    }

    fn session_mac(&self, id: &str, expires: i64, serial: u64, secret: &str) -> Vec<u8> {
        self.session_hmac(id, expires, serial, secret).finalize().into_bytes().to_vec()
    }

    /// The HMAC a session's cookie carries, ready for its last input: the key, the expiry, the serial and the hash
    /// of the key's secret (so that a new secret ends the key's sessions), under the process secret.
    fn session_hmac(&self, id: &str, expires: i64, serial: u64, secret: &str) -> hmac::Hmac<Sha256> {
        let mut mac = hmac(&self.session_secret);
        mac.update(b"baton console session\n");
        mac.update(id.as_bytes());
        mac.update(format!("\n{expires}\n{serial}\n").as_bytes());
        mac.update(&Sha256::digest(secret.as_bytes()));
        mac
    }
}

/// The values of every `baton-session` cookie `headers` carry (a browser may send more than one).
pub(crate) fn cookies(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"'))
}

/// Whether `headers` carry a session cookie at all (valid or not).
pub(crate) fn has_cookie(headers: &HeaderMap) -> bool {
    cookies(headers).next().is_some()
}

/// The session of the first of `headers`' session cookies that holds.
pub(crate) fn from_headers(access: &Access, headers: &HeaderMap) -> Option<Session> {
    cookies(headers).find_map(|value| access.session(value))
}

/// The `Set-Cookie` value that gives a browser the session `value`; `secure` over TLS.
pub(crate) fn set_cookie(value: &str, secure: bool) -> String {
    cookie(value, LIFETIME_SECONDS, secure)
}

/// The `Set-Cookie` value that makes a browser forget its session.
pub(crate) fn clear_cookie(secure: bool) -> String {
    cookie("", 0, secure)
}

fn cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Strict{secure}")
}
