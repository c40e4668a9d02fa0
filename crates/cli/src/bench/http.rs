//! The benchmark's own HTTP/1.1: a client of one kept-alive connection, and the reading of a message's head that
//! both it and `aws`'s stand-in server use.
//!
//! The benchmark's clients share the machine with the server they measure, so what they cost is taken from the
//! server. A general client (ureq: middleware, header maps, a pool lookup and buffers per call) ran about 130,000
//! instructions a call under callgrind, as many as the server's whole StartExecution; this one writes a request with
//! one `write` and reads the answer through one buffer, as a load generator does. It speaks plain HTTP/1.1 to the
//! same listener any SDK uses: `Content-Length` or chunked answers, kept alive until the server closes.

use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, bail};

/// How long an answer may take before the call fails.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// What a message's head says about its body.
pub(super) struct Head {
    /// The request line or the status line, without its line end.
    pub(super) start: String,
    /// `Content-Length`, 0 when absent.
    pub(super) length: usize,
    pub(super) chunked: bool,
    /// `Connection: close`: the peer closes after this message.
    pub(super) close: bool,
}

/// Reads a request's or answer's head; `None` at the end of the connection, before any byte of it.
pub(super) fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut head = Head { start: String::new(), length: 0, chunked: false, close: false };
    if reader.read_line(&mut head.start)? == 0 {
        return Ok(None);
    }
    head.start.truncate(head.start.trim_end().len());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the connection closed inside a message's head"));
        }
        if line == "\r\n" || line == "\n" {
            return Ok(Some(head));
        }
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            head.length = value.parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("bad Content-Length {value:?}")))?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            head.close = value.eq_ignore_ascii_case("close");
        }
    }
}

/// Reads the body `head` announces into `body`.
fn read_body(reader: &mut impl BufRead, head: &Head, body: &mut Vec<u8>) -> io::Result<()> {
    if !head.chunked {
        body.resize(head.length, 0);
        return reader.read_exact(body);
    }
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size, 16).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("bad chunk size {line:?}")))?;
        if size == 0 {
            // Trailers, if any, up to the empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(());
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        line.clear();
        reader.read_line(&mut line)?;
    }
}

/// One kept-alive connection to `address`, opened on first use and again after the server closes it.
pub(super) struct Connection {
    address: String,
    stream: Option<(TcpStream, BufReader<TcpStream>)>,
    request: Vec<u8>,
}

/// Why an exchange failed: on a connection the server had closed while it was idle (nothing of the answer came;
/// the request is sent again on a new one), or otherwise.
enum Failure {
    Stale(io::Error),
    Other(anyhow::Error),
}

impl Connection {
    pub(super) fn new(address: &str) -> Connection {
        Connection { address: address.to_owned(), stream: None, request: Vec::new() }
    }

    /// POSTs `body` to `/` with `headers` (each `Name: value\r\n`); the answer's status and body.
    pub(super) fn post(&mut self, headers: &str, body: &[u8]) -> anyhow::Result<(u16, Vec<u8>)> {
        self.request.clear();
        write!(self.request, "POST / HTTP/1.1\r\nHost: {}\r\n{headers}Content-Length: {}\r\n\r\n", self.address, body.len())?;
        self.request.extend_from_slice(body);
        let reused = self.stream.is_some();
        match self.exchange() {
            Ok(answer) => Ok(answer),
            Err(Failure::Stale(_)) if reused => {
                self.stream = None;
                self.exchange().map_err(|failure| match failure {
                    Failure::Stale(error) => anyhow::Error::new(error).context(format!("{} closed the connection", self.address)),
                    Failure::Other(error) => error,
                })
            }
            Err(Failure::Stale(error)) => Err(anyhow::Error::new(error).context(format!("{} closed the connection", self.address))),
            Err(Failure::Other(error)) => Err(error),
        }
    }

    fn exchange(&mut self) -> Result<(u16, Vec<u8>), Failure> {
        if self.stream.is_none() {
            let connect = || -> io::Result<(TcpStream, BufReader<TcpStream>)> {
                let stream = TcpStream::connect(&self.address)?;
                stream.set_nodelay(true)?;
                // As long as a long poll (GetActivityTask) may wait, and then some.
                stream.set_read_timeout(Some(READ_TIMEOUT))?;
                let reader = BufReader::with_capacity(16 * 1024, stream.try_clone()?);
                Ok((stream, reader))
            };
            let connected = connect().with_context(|| format!("cannot connect to {}", self.address)).map_err(Failure::Other)?;
            self.stream = Some(connected);
        }
        let (writer, reader) = self.stream.as_mut().expect("invariant: connected just above");
        writer.write_all(&self.request).map_err(Failure::Stale)?;
        let head = match read_head(reader) {
            Ok(Some(head)) => head,
            Ok(None) => return Err(Failure::Stale(io::ErrorKind::UnexpectedEof.into())),
            Err(error) if error.kind() == io::ErrorKind::ConnectionReset => return Err(Failure::Stale(error)),
            Err(error) => return Err(Failure::Other(error.into())),
        };
        let answer = (|| -> anyhow::Result<(u16, Vec<u8>)> {
            let status = head.start.split(' ').nth(1).and_then(|code| code.parse().ok());
            let Some(status) = status.filter(|_| head.start.starts_with("HTTP/1.")) else {
                bail!("{} answered with {:?}, not an HTTP/1.1 status line", self.address, head.start);
            };
            let mut body = Vec::new();
            read_body(reader, &head, &mut body)?;
            Ok((status, body))
        })();
        if head.close || answer.is_err() {
            self.stream = None;
        }
        answer.map_err(Failure::Other)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read, Write};
    use std::net::TcpListener;

    use super::{Connection, read_head};

    /// A server that answers each connection's requests with the given answers in turn (one per request), then
    /// closes that connection; returns its address.
    fn server(connections: Vec<Vec<&'static str>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            for answers in connections {
                let (stream, _) = listener.accept().unwrap();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                for answer in answers {
                    let head = read_head(&mut reader).unwrap().unwrap();
                    assert!(head.start.starts_with("POST / HTTP/1.1"), "{}", head.start);
                    let mut body = vec![0; head.length];
                    reader.read_exact(&mut body).unwrap();
                    writer.write_all(answer.as_bytes()).unwrap();
                }
            }
        });
        address
    }

    /// Answers by length or in chunks arrive whole on one connection; after the server closes it (said or not), the
    /// next call opens another.
    #[test]
    fn answers_arrive_whole_and_closed_connections_are_opened_again() {
        let address = server(vec![
            vec![
                "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
                "HTTP/1.1 400 Bad Request\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"b\"\r\n3\r\n:2}\r\n0\r\n\r\n",
            ],
            vec!["HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"],
            vec!["HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnull"],
        ]);
        let mut connection = Connection::new(&address);
        let mut call = || {
            let (status, body) = connection.post("X-Test: 1\r\n", b"{}").unwrap();
            (status, String::from_utf8(body).unwrap())
        };
        assert_eq!(call(), (200, r#"{"a":1}"#.to_owned()));
        assert_eq!(call(), (400, r#"{"b":2}"#.to_owned()));
        // The server closed the first connection after two answers without saying so: sent again on a new one.
        assert_eq!(call(), (200, "{}".to_owned()));
        // That one said `Connection: close`.
        assert_eq!(call(), (200, "null".to_owned()));
    }

    /// Nothing listening, or an answer that is not HTTP, is an error that says so.
    #[test]
    fn failures_are_errors() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let closed = listener.local_addr().unwrap().to_string();
        drop(listener);
        let refused = Connection::new(&closed).post("", b"").unwrap_err();
        assert!(format!("{refused:#}").contains("cannot connect to"), "{refused:#}");
        let address = server(vec![vec!["SSH-2.0-OpenSSH\r\n\r\n"]]);
        let garbled = Connection::new(&address).post("", b"").unwrap_err();
        assert!(format!("{garbled:#}").contains("not an HTTP/1.1 status line"), "{garbled:#}");
    }
}
