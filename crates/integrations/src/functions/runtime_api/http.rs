//! Just enough HTTP/1.1 for the Runtime API on 127.0.0.1: requests with a `Content-Length` or chunked body (and
//! `Expect: 100-continue`), kept alive unless the client closes; responses with a JSON body.
//!
//! Every limit is checked before memory is spent: the head is at most `max_head` bytes, a body over `max_body` is
//! reported (`Request::body` is `None`) without being read, and then the connection is closed.

use std::io::{self, BufRead, Read, Write};

/// One request.
#[derive(Debug)]
pub(super) struct Request {
    pub(super) method: String,
    /// The request target as sent (path and query).
    pub(super) path: String,
    headers: Vec<(String, String)>,
    /// `None` when the body is larger than allowed; it was not read.
    pub(super) body: Option<Vec<u8>>,
    /// The client asked to close the connection after this request (or speaks HTTP/1.0 without keep-alive).
    pub(super) close: bool,
}

/// Why no request was read.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ReadError {
    /// The client closed the connection (or it failed) between requests or within one.
    Closed,
    /// Not HTTP/1.x, or over a limit; answered with 400 and the connection closed.
    Malformed(String),
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// Reads one request from `reader`; `writer` (the same connection) receives `100 Continue` when the client expects it.
pub(super) fn read_request(
    reader: &mut impl BufRead,
    writer: &mut impl Write,
    max_head: usize,
    max_body: usize,
) -> Result<Request, ReadError> {
    let mut budget = max_head;
    // RFC 9112 §2.2: a server ignores at least one empty line before the request line.
    let mut line = read_line(reader, &mut budget)?;
    if line.is_empty() {
        line = read_line(reader, &mut budget)?;
    }
    let mut parts = line.split(' ').filter(|part| !part.is_empty());
    let (Some(method), Some(path), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(ReadError::Malformed(format!("not an HTTP request line: {:?}", truncated(&line))));
    };
    let keep_alive_default = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        other => return Err(ReadError::Malformed(format!("unsupported HTTP version {:?}", truncated(other)))),
    };
    let (method, path) = (method.to_owned(), path.to_owned());
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader, &mut budget)?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Malformed(format!("not a header line: {:?}", truncated(&line))));
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut request = Request { method, path, headers, body: None, close: !keep_alive_default };
    if let Some(connection) = request.header("Connection") {
        let has = |token: &str| connection.split(',').any(|t| t.trim().eq_ignore_ascii_case(token));
        if has("close") {
            request.close = true;
        } else if has("keep-alive") {
            request.close = false;
        }
    }
    let chunked = request
        .header("Transfer-Encoding")
        .is_some_and(|encoding| encoding.split(',').any(|t| t.trim().eq_ignore_ascii_case("chunked")));
    let length = match request.header("Content-Length") {
        None => None,
        Some(text) => Some(
            text.parse::<usize>()
                .map_err(|_| ReadError::Malformed(format!("invalid Content-Length {:?}", truncated(text))))?,
        ),
    };
    if length.is_some_and(|length| length > max_body) {
        return Ok(request);
    }
    let expects = request.header("Expect").is_some_and(|expect| expect.eq_ignore_ascii_case("100-continue"));
    if expects {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").and_then(|()| writer.flush()).map_err(|_| ReadError::Closed)?;
    }
    request.body = if chunked {
        read_chunked(reader, max_head, max_body)?
    } else {
        let mut body = vec![0; length.unwrap_or(0)];
        reader.read_exact(&mut body).map_err(|_| ReadError::Closed)?;
        Some(body)
    };
    Ok(request)
}

/// Writes a response with a JSON `body`; `close` adds `Connection: close`.
pub(super) fn write_response(
    writer: &mut impl Write,
    status: u16,
    headers: &[(&str, String)],
    body: &str,
    close: bool,
) -> io::Result<()> {
    let mut bytes = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    bytes.extend_from_slice(b"Content-Type: application/json\r\n");
    for (name, value) in headers {
        bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if close {
        bytes.extend_from_slice(b"Connection: close\r\n");
    }
    bytes.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    bytes.extend_from_slice(body.as_bytes());
    writer.write_all(&bytes)?;
    writer.flush()
}

/// A chunked body, or `None` when it grows past `max_body` (the rest is not read).
fn read_chunked(reader: &mut impl BufRead, max_head: usize, max_body: usize) -> Result<Option<Vec<u8>>, ReadError> {
    let mut body = Vec::new();
    let mut budget = max_head;
    loop {
        let line = read_line(reader, &mut budget)?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| ReadError::Malformed(format!("invalid chunk size {:?}", truncated(size))))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(reader, &mut budget)?.is_empty() {}
            return Ok(Some(body));
        }
        if size > max_body.saturating_sub(body.len()) {
            return Ok(None);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(body.get_mut(start..).unwrap_or_default()).map_err(|_| ReadError::Closed)?;
        if !read_line(reader, &mut budget)?.is_empty() {
            return Err(ReadError::Malformed("a chunk does not end with CRLF".to_owned()));
        }
    }
}

/// One line without its CRLF (or LF), as text; counts against `budget`.
fn read_line(reader: &mut impl BufRead, budget: &mut usize) -> Result<String, ReadError> {
    let mut line = Vec::new();
    let limit = u64::try_from(*budget).unwrap_or(u64::MAX).saturating_add(1);
    let read = reader.take(limit).read_until(b'\n', &mut line).map_err(|_| ReadError::Closed)?;
    if read == 0 {
        return Err(ReadError::Closed);
    }
    if read > *budget {
        return Err(ReadError::Malformed("the request head is too large".to_owned()));
    }
    *budget -= read;
    if line.last() != Some(&b'\n') {
        return Err(ReadError::Closed);
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// At most 80 characters of `text`, for an error message.
fn truncated(text: &str) -> String {
    text.chars().take(80).collect()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        _ => "Unknown",
    }
}
