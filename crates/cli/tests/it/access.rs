//! Who may reach `baton serve`: the real binary refuses to listen beyond loopback unless told an open server is meant,
//! answers on loopback only requests addressed to loopback's names (DNS rebinding), and forbids framing its pages.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

use crate::serve::{Server, data_dir};

/// Sends `request` (raw HTTP/1.1, `Connection: close`) to `addr` and returns the whole answer.
fn raw(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

fn list_state_machines(host: &str) -> String {
    let body = "{}";
    format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn a_server_beyond_loopback_needs_allow_anonymous() {
    let dir = data_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--bind", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run baton serve");
    assert_eq!(out.status.code(), Some(2), "refused");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("will not listen on 0.0.0.0:0 without credentials"), "{stderr}");
    assert!(stderr.contains("--allow-anonymous"), "says what to do: {stderr}");
}

#[test]
fn a_loopback_server_answers_only_loopback_names_and_forbids_framing() {
    let dir = data_dir();
    let server = Server::start_with(dir.path(), &["--allow-host", "baton.test"]);
    let port = server.addr.rsplit_once(':').map(|(_, port)| port.to_owned()).expect("a port");

    let refused = raw(&server.addr, &list_state_machines("attacker.example"));
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(refused.contains("AccessDeniedException") && refused.contains("attacker.example"), "{refused}");
    let rebinding = raw(&server.addr, &list_state_machines(&format!("attacker.example:{port}")));
    assert!(rebinding.starts_with("HTTP/1.1 403"), "{rebinding}");

    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("sync-127.0.0.1:{port}"), "baton.test".to_owned()] {
        let answered = raw(&server.addr, &list_state_machines(&host));
        assert!(answered.starts_with("HTTP/1.1 200"), "{host}: {answered}");
        assert!(answered.contains(r#""stateMachines":[]"#), "{answered}");
    }

    let page = raw(&server.addr, &format!("GET /console HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"));
    let head = page.split("\r\n\r\n").next().unwrap_or_default().to_ascii_lowercase();
    assert!(head.contains("x-frame-options: deny"), "{head}");
    assert!(head.contains("content-security-policy: frame-ancestors 'none'"), "{head}");
}

/// How many half-sent requests the test holds open at once.
const HALF_SENT: usize = 3000;

/// Raises this test process's soft limit on open files to what `HALF_SENT` connections need (the server raises its
/// own); a hard limit below that fails the test with what to change, rather than testing less.
fn enough_open_files() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let needed = HALF_SENT as u64 + 512;
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|current| current < needed) {
        let maximum = limit.maximum.unwrap_or(u64::MAX);
        assert!(maximum >= needed, "the hard open-file limit {maximum} is below the {needed} this test needs: raise ulimit -Hn");
        setrlimit(Resource::Nofile, Rlimit { current: Some(needed), maximum: limit.maximum }).expect("raise the open-file limit");
    }
}

/// Half-sent requests cannot exhaust the server: with 3,000 of them open a request still answers, each is cut off
/// once its headers are later than `--header-timeout-seconds`, and beyond `--max-connections` a new connection is
/// closed at once until they are.
#[test]
fn half_sent_requests_time_out_and_connections_are_bounded() {
    use std::time::{Duration, Instant};

    enough_open_files();
    let dir = data_dir();
    let limit = (HALF_SENT + 10).to_string();
    let server = Server::start_with(dir.path(), &["--header-timeout-seconds", "8", "--max-connections", &limit]);
    let port = server.addr.rsplit_once(':').map(|(_, port)| port.to_owned()).expect("a port");
    let half = format!("POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n");
    // Eight seconds: time enough to open them all before the first is cut off.
    let opened = Instant::now();
    let mut hanging: Vec<TcpStream> = (0..HALF_SENT)
        .map(|_| {
            let mut stream = TcpStream::connect(&server.addr).expect("connect");
            stream.write_all(half.as_bytes()).expect("send half");
            stream
        })
        .collect();
    let answered = raw(&server.addr, &list_state_machines(&format!("127.0.0.1:{port}")));
    assert!(answered.starts_with("HTTP/1.1 200"), "answered beside {HALF_SENT} half-sent requests: {answered}");

    // Over the limit (HALF_SENT hanging, ten more allowed): the eleventh of these is closed at once.
    let mut more: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(&server.addr).expect("connect")).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut closed = 0;
    for stream in &mut more {
        stream.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
        closed += usize::from(matches!(stream.read(&mut [0; 1]), Ok(0)));
    }
    assert!(opened.elapsed() < Duration::from_secs(8), "the half-sent requests took too long to open to test the limit");
    assert!(closed >= 10, "only {closed} of 20 connections over the limit were closed");
    drop(more);

    // The header timeout cuts every half-sent request off.
    let begun = Instant::now();
    for stream in &mut hanging {
        stream.set_read_timeout(Some(Duration::from_secs(15))).expect("timeout");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        assert!(begun.elapsed() < Duration::from_secs(15), "a half-sent request was kept");
    }
    let answered = raw(&server.addr, &list_state_machines(&format!("127.0.0.1:{port}")));
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
}
