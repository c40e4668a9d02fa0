//! Percent-encoding (RFC 3986) of URI path segments, query keys and values, and form bodies: every byte but the
//! unreserved ones (`A-Z a-z 0-9 - _ . ~`) becomes `%XX`, as SigV4 and AWS's SDKs encode.

/// `text` with every byte but the unreserved ones percent-encoded (a label, a query key or value, a form field).
pub(crate) fn encode(text: &str) -> String {
    encode_keeping(text, b"")
}

/// `text` percent-encoded but for `/`: a greedy URI label (`{Key+}`) keeps its path segments.
pub(crate) fn encode_path(text: &str) -> String {
    encode_keeping(text, b"/")
}

/// `text` percent-encoded, keeping the unreserved bytes and `keep`.
fn encode_keeping(text: &str, keep: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

/// `pairs` as a form body or query string: `k=v&k=v`, each side percent-encoded.
pub(crate) fn form(pairs: &[(String, String)]) -> String {
    let encoded: Vec<String> = pairs.iter().map(|(key, value)| format!("{}={}", encode(key), encode(value))).collect();
    encoded.join("&")
}
