//! Who may reach `baton serve`: the real binary refuses to listen beyond loopback unless told an open server is meant,
//! answers on loopback only requests addressed to loopback's names (DNS rebinding), and forbids framing its pages.
//! Its console refuses other sites' requests and form-able posts, and with `--credentials` wants a sign-in whose
//! session cookie is `HttpOnly` and `SameSite=Strict`, whose writes need the session's CSRF token, and which ends
//! when its key is removed from the credentials file (SIGHUP).

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
    let policy = head.lines().find_map(|line| line.strip_prefix("content-security-policy: ")).unwrap_or_default();
    assert!(policy.contains("frame-ancestors 'none'"), "{head}");
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
    let server = Server::start_with(dir.path(), &["--header-timeout-seconds", "20", "--max-connections", &limit]);
    let port = server.addr.rsplit_once(':').map(|(_, port)| port.to_owned()).expect("a port");
    let half = format!("POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n");
    // Twenty seconds: time enough to open them all and try the limit before the first is cut off, on a loaded CI
    // machine too (eight were not, once).
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
    assert!(opened.elapsed() < Duration::from_secs(20), "the half-sent requests took too long to open to test the limit");
    assert!(closed >= 10, "only {closed} of 20 connections over the limit were closed");
    drop(more);

    // The header timeout cuts every half-sent request off.
    let begun = Instant::now();
    for stream in &mut hanging {
        stream.set_read_timeout(Some(Duration::from_secs(40))).expect("timeout");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        assert!(begun.elapsed() < Duration::from_secs(40), "a half-sent request was kept");
    }
    let answered = raw(&server.addr, &list_state_machines(&format!("127.0.0.1:{port}")));
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
}

/// A request to `addr` (`Connection: close`) with `headers` (lines without their CRLF) and `body`: the answer.
fn request(addr: &str, line: &str, headers: &[&str], body: &str) -> String {
    let mut text = format!("{line} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    raw(addr, &text)
}

/// The status code of an answer.
fn status(answer: &str) -> u16 {
    answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_default()
}

/// The value of the header `name` in an answer, if it has one.
fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split("\r\n\r\n").next()?;
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// The value of `data-<name>` in a console page.
fn data(answer: &str, name: &str) -> String {
    let start = format!("data-{name}=\"");
    answer.split_once(&start).and_then(|(_, rest)| rest.split_once('"')).map(|(value, _)| value.to_owned()).unwrap_or_default()
}

const CHECK: &str = r#"{"definition": "StartAt: A\nStates:\n  A: {Type: Succeed}\n"}"#;

/// Without credentials the console is open, but its JSON routes take no request from another site's page and no POST
/// an HTML form could send.
#[test]
fn an_open_console_refuses_cross_site_requests_and_form_posts() {
    let dir = data_dir();
    let server = Server::start(dir.path());
    let addr = server.addr.as_str();
    let check = |headers: &[&str]| request(addr, "POST /console/api/check", headers, CHECK);

    let answer = check(&["Content-Type: application/json", &format!("Origin: http://{addr}"), "Sec-Fetch-Site: same-origin"]);
    assert_eq!(status(&answer), 200, "{answer}");
    assert!(answer.contains(r#""valid":true"#), "{answer}");
    for form in ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
        let answer = check(&[&format!("Content-Type: {form}")]);
        assert_eq!(status(&answer), 415, "{form}: {answer}");
    }
    for foreign in ["Sec-Fetch-Site: cross-site", "Origin: http://attacker.example", "Origin: null"] {
        let answer = check(&["Content-Type: application/json", foreign]);
        assert_eq!(status(&answer), 403, "{foreign}: {answer}");
        let answer = request(addr, "GET /console/api/state-machines", &[foreign], "");
        assert_eq!(status(&answer), 403, "{foreign}: {answer}");
    }
    // Pages are pages, wherever the link to them was; and the console needs no sign-in here.
    let page = request(addr, "GET /console", &["Sec-Fetch-Site: cross-site"], "");
    assert_eq!((status(&page), data(&page, "page")), (200, "list".to_owned()), "{page}");
    let policy = header(&page, "content-security-policy").unwrap_or_default();
    assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
}

/// Writes a credentials file of `keys` (`(id, secret, account)`) to `path`.
pub(crate) fn write_credentials(path: &std::path::Path, keys: &[(&str, &str, &str)]) {
    let text: String = keys
        .iter()
        .map(|(id, secret, account)| format!("[[keys]]\naccess_key_id = \"{id}\"\nsecret_access_key = \"{secret}\"\naccount_id = \"{account}\"\n\n"))
        .collect();
    std::fs::write(path, text).expect("write the credentials file");
}

/// With `--credentials`, the console wants a sign-in: a wrong secret is refused with no hint which part was wrong, the
/// right one sets an `HttpOnly`, `SameSite=Strict` cookie; the session's writes need its CSRF token and come from its
/// own pages only; and once its key is removed from the file (SIGHUP), the cookie opens nothing.
#[test]
fn the_console_signs_in_and_its_session_ends_with_its_key() {
    use std::time::{Duration, Instant};

    let dir = data_dir();
    let credentials = dir.path().join("credentials.toml");
    let keys = [("AKIAALICE", "alice secret", "111122223333"), ("AKIABOB", "bob secret", "444455556666")];
    write_credentials(&credentials, &keys);
    let mut server = Server::start_with(&dir.path().join("data"), &["--credentials", credentials.to_str().expect("a UTF-8 path")]);
    let addr = server.addr.clone();
    let addr = addr.as_str();
    let form = |secret: &str| format!("access_key_id=AKIAALICE&secret_access_key={}&next=%2Fconsole", secret.replace(' ', "+"));
    let sign_in = |secret: &str| {
        let headers = ["Content-Type: application/x-www-form-urlencoded", &format!("Origin: http://{addr}")];
        request(addr, "POST /console/sign-in", &headers, &form(secret))
    };

    let page = request(addr, "GET /console", &[], "");
    assert_eq!((status(&page), data(&page, "page")), (401, "sign-in".to_owned()), "{page}");
    let refused = request(addr, "GET /console/api/state-machines", &[], "");
    assert_eq!(status(&refused), 401, "{refused}");

    for wrong in ["bob secret", "alice secre", ""] {
        let answer = sign_in(wrong);
        assert_eq!(status(&answer), 401, "{answer}");
        assert_eq!(header(&answer, "set-cookie"), None, "{answer}");
        assert_eq!(data(&answer, "message"), "Wrong access key id or secret access key.");
    }
    let answer = sign_in("alice secret");
    assert_eq!((status(&answer), header(&answer, "location")), (303, Some("/console")), "{answer}");
    let set_cookie = header(&answer, "set-cookie").expect("a session cookie");
    let (cookie, attributes) = set_cookie.split_once("; ").expect("attributes");
    assert_eq!(attributes, "Max-Age=43200; Path=/; HttpOnly; SameSite=Strict", "{set_cookie}");
    assert!(cookie.starts_with("baton-session=") && !cookie.contains("secret"), "{cookie}");
    let cookie_header = format!("Cookie: {cookie}");

    let page = request(addr, "GET /console", &[&cookie_header], "");
    assert_eq!((status(&page), data(&page, "account"), data(&page, "key")), (200, "111122223333".to_owned(), "AKIAALICE".to_owned()));
    let csrf = data(&page, "csrf");
    let csrf_header = format!("X-Baton-Csrf: {csrf}");

    // The API, called as the console calls it: the cookie, no signature; with the token it acts as Alice.
    let api = |headers: &[&str]| {
        let mut all = vec!["X-Amz-Target: AWSStepFunctions.ListStateMachines", "Content-Type: application/x-amz-json-1.0", &cookie_header];
        all.extend_from_slice(headers);
        request(addr, "POST /", &all, "{}")
    };
    assert_eq!(status(&api(&[&csrf_header])), 200);
    let forged = api(&[]);
    assert_eq!(status(&forged), 403, "{forged}");
    assert!(forged.contains(r#""__type":"AccessDeniedException""#), "{forged}");
    assert_eq!(status(&api(&["X-Baton-Csrf: 0123456789abcdef"])), 403);
    assert_eq!(status(&api(&[&csrf_header, "Sec-Fetch-Site: cross-site"])), 403);
    let check = |headers: &[&str]| {
        let mut all = vec![cookie_header.as_str()];
        all.extend_from_slice(headers);
        request(addr, "POST /console/api/check", &all, CHECK)
    };
    assert_eq!(status(&check(&["Content-Type: application/json", &csrf_header])), 200);
    assert_eq!(status(&check(&["Content-Type: application/json"])), 403, "no token");
    assert_eq!(status(&check(&["Content-Type: text/plain", &csrf_header])), 415);
    assert_eq!(status(&check(&["Content-Type: application/json", &csrf_header, "Origin: http://attacker.example"])), 403);

    // Alice's key removed and the file reloaded: her cookie opens nothing; Bob still signs in.
    write_credentials(&credentials, &keys[1..]);
    let hung_up = Command::new("kill").args(["-HUP", &server.pid().to_string()]).status().expect("kill -HUP");
    assert!(hung_up.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while status(&request(addr, "GET /console/api/state-machines", &[&cookie_header], "")) != 401 {
        assert!(Instant::now() < deadline, "the session outlived its key");
        std::thread::sleep(Duration::from_millis(50));
    }
    let page = request(addr, "GET /console", &[&cookie_header], "");
    assert_eq!((status(&page), data(&page, "page")), (401, "sign-in".to_owned()));
    assert_eq!(status(&api(&[&csrf_header])), 403);
    let bob = request(
        addr,
        "POST /console/sign-in",
        &["Content-Type: application/x-www-form-urlencoded"],
        "access_key_id=AKIABOB&secret_access_key=bob+secret&next=%2Fconsole",
    );
    assert_eq!(status(&bob), 303, "{bob}");
    server.kill();
}
