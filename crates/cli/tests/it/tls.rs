//! `baton serve --tls-cert --tls-key`: the real binary serves the API over HTTPS with a self-signed certificate made
//! in the test, presents a new certificate to new connections after SIGHUP (and keeps the old one when the new pair
//! does not load), cuts off clients that do not speak TLS or never finish the handshake, and refuses to start on a
//! missing or half-given pair.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::serve::{Server, data_dir};

/// A self-signed certificate for localhost with common name `name` and serial `serial`, and its key, in PEM.
struct Pair {
    der: CertificateDer<'static>,
    cert_pem: String,
    key_pem: String,
}

fn self_signed(name: &str, serial: u64) -> Pair {
    let key = rcgen::KeyPair::generate().expect("a key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    params.serial_number = Some(serial.into());
    let cert = params.self_signed(&key).expect("a certificate");
    Pair { der: cert.der().clone(), cert_pem: cert.pem(), key_pem: key.serialize_pem() }
}

/// `cert.pem` and `key.pem` in `dir`, (over)written with `pair`.
fn write(dir: &Path, pair: &Pair) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, &pair.cert_pem).expect("write the certificate");
    std::fs::write(&key, &pair.key_pem).expect("write the key");
    (cert, key)
}

/// A client that trusts each of `roots`, on the aws-lc-rs provider the server uses.
fn client(roots: &[&Pair]) -> Arc<ClientConfig> {
    let mut store = RootCertStore::empty();
    for pair in roots {
        store.add(pair.der.clone()).expect("a root");
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(store)
        .with_no_client_auth();
    Arc::new(config)
}

/// Sends ListStateMachines over a new HTTPS connection to `server` (as `localhost`); the whole answer, and the
/// certificate the server presented.
fn list_state_machines(server: &Server, client: &Arc<ClientConfig>) -> (String, CertificateDer<'static>) {
    let headers = "X-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Type: application/x-amz-json-1.0\r\n";
    https(server, client, "POST /", headers, "{}")
}

/// Sends `request_line` with `headers` (each ending in CRLF) and `body` over a new HTTPS connection to `server` (as
/// `localhost`); the whole answer, and the certificate the server presented.
fn https(server: &Server, client: &Arc<ClientConfig>, request_line: &str, headers: &str, body: &str) -> (String, CertificateDer<'static>) {
    let name = ServerName::try_from("localhost").expect("a server name");
    let connection = ClientConnection::new(client.clone(), name).expect("a TLS client");
    let stream = TcpStream::connect(&server.addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut tls = StreamOwned::new(connection, stream);
    let port = server.addr.rsplit_once(':').map(|(_, port)| port).expect("a port");
    let request = format!(
        "{request_line} HTTP/1.1\r\nHost: localhost:{port}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).expect("send over TLS");
    let mut answer = String::new();
    tls.read_to_string(&mut answer).expect("read over TLS");
    let presented = tls.conn.peer_certificates().and_then(|chain| chain.first()).expect("a certificate").clone();
    (answer, presented.into_owned())
}

fn hangup(server: &Server) {
    let status = Command::new("kill").args(["-HUP", &server.pid().to_string()]).status().expect("kill -HUP");
    assert!(status.success());
}

/// The API answers over HTTPS; after SIGHUP new connections are presented the certificate now in the files; a pair
/// that does not load is reported and the one in force stays.
#[test]
fn serves_https_and_sighup_presents_the_new_certificate() {
    let dir = data_dir();
    let first = self_signed("baton first", 1);
    let (cert, key) = write(dir.path(), &first);
    let server = Server::start_with(
        &dir.path().join("data"),
        &["--tls-cert", cert.to_str().expect("utf-8"), "--tls-key", key.to_str().expect("utf-8")],
    );
    assert!(server.logged("on https://127.0.0.1:", Duration::from_secs(5)).is_some(), "the serving line says https");

    let second = self_signed("baton second", 2);
    let trusting = client(&[&first, &second]);
    let (answer, presented) = list_state_machines(&server, &client(&[&first]));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(r#"{"stateMachines":[]}"#), "{answer}");
    assert_eq!(presented, first.der);

    write(dir.path(), &second);
    hangup(&server);
    assert!(server.logged("reloaded the TLS certificate", Duration::from_secs(10)).is_some(), "SIGHUP reloads");
    let (answer, presented) = list_state_machines(&server, &trusting);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(presented, second.der, "a new connection is presented the new certificate");

    // A key that is not the certificate's: reported, and the second pair stays.
    std::fs::write(&key, self_signed("baton third", 3).key_pem).expect("write a wrong key");
    hangup(&server);
    let reported = server.logged("cannot reload the TLS certificate", Duration::from_secs(10)).expect("reported");
    assert!(reported.contains(&format!("the TLS key {} is not the key of the certificate", key.display())), "{reported}");
    let (answer, presented) = list_state_machines(&server, &trusting);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(presented, second.der, "the pair in force stays");
}

/// Signing in to the console over HTTPS sets a `Secure` session cookie, which the browser never sends over plain HTTP.
#[test]
fn a_console_session_over_tls_is_secure() {
    let dir = data_dir();
    let pair = self_signed("baton", 1);
    let (cert, key) = write(dir.path(), &pair);
    let credentials = dir.path().join("credentials.toml");
    let keys = "[[keys]]\naccess_key_id = \"AKIAALICE\"\nsecret_access_key = \"alice\"\naccount_id = \"111122223333\"\n";
    std::fs::write(&credentials, keys).expect("write the credentials");
    let server = Server::start_with(
        &dir.path().join("data"),
        &[
            "--tls-cert", cert.to_str().expect("utf-8"), "--tls-key", key.to_str().expect("utf-8"),
            "--credentials", credentials.to_str().expect("utf-8"),
        ],
    );
    let port = server.addr.rsplit_once(':').map(|(_, port)| port).expect("a port");
    let headers = format!("Content-Type: application/x-www-form-urlencoded\r\nOrigin: https://localhost:{port}\r\n");
    let form = "access_key_id=AKIAALICE&secret_access_key=alice&next=%2Fconsole";
    let (answer, _) = https(&server, &client(&[&pair]), "POST /console/sign-in", &headers, form);
    let cookie = answer.lines().find(|line| line.to_ascii_lowercase().starts_with("set-cookie:")).expect("a session cookie");
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
}

/// Plain HTTP to the TLS port, and clients that connect and never finish a handshake, are cut off (the latter within
/// the header timeout) and count against the connection limit; other clients are answered meanwhile and after.
#[test]
fn clients_that_do_not_speak_tls_are_cut_off() {
    let dir = data_dir();
    let pair = self_signed("baton", 1);
    let (cert, key) = write(dir.path(), &pair);
    let cert_arg = cert.to_str().expect("utf-8");
    let key_arg = key.to_str().expect("utf-8");
    let server = Server::start_with(
        &dir.path().join("data"),
        &["--tls-cert", cert_arg, "--tls-key", key_arg, "--header-timeout-seconds", "2", "--max-connections", "4"],
    );
    let trusting = client(&[&pair]);

    let mut plain = TcpStream::connect(&server.addr).expect("connect");
    plain.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    plain.write_all(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}").expect("send");
    let begun = Instant::now();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(begun.elapsed() < Duration::from_secs(4), "a plain HTTP request on the TLS port was kept");
    assert!(!answer.starts_with(b"HTTP/"), "{}", String::from_utf8_lossy(&answer));
    assert!(list_state_machines(&server, &trusting).0.starts_with("HTTP/1.1 200"));

    // Three silent connections and one answered: the limit of four is full meanwhile, then the silent ones are cut
    // off by the header timeout.
    let mut silent: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(&server.addr).expect("connect")).collect();
    std::thread::sleep(Duration::from_millis(200));
    assert!(list_state_machines(&server, &trusting).0.starts_with("HTTP/1.1 200"), "answered beside them");
    let mut over: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(&server.addr).expect("connect")).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut closed = 0;
    for stream in &mut over {
        stream.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
        closed += usize::from(matches!(stream.read(&mut [0; 1]), Ok(0)));
    }
    assert!(closed >= 1, "a connection over the limit of four is closed at once");
    drop(over);
    let begun = Instant::now();
    for stream in &mut silent {
        stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        assert!(begun.elapsed() < Duration::from_millis(4500), "a connection that never began its handshake was kept");
    }
    assert!(list_state_machines(&server, &trusting).0.starts_with("HTTP/1.1 200"), "answered after them");
}

/// A missing key file, or one flag without the other, stops `baton serve` at start with a message that says which.
#[test]
fn a_missing_or_half_given_pair_is_refused_at_start() {
    let dir = data_dir();
    let (cert, _) = write(dir.path(), &self_signed("baton", 1));
    let missing = dir.path().join("missing-key.pem");
    let serve = |extra: &[&Path]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
        command.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"]).arg(dir.path().join("data"));
        for (flag, file) in ["--tls-cert", "--tls-key"].iter().zip(extra) {
            command.arg(flag).arg(file);
        }
        let out = command.output().expect("run baton serve");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };

    let (code, stderr) = serve(&[cert.as_path(), missing.as_path()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&format!("cannot read the TLS key {}", missing.display())), "{stderr}");

    let (code, stderr) = serve(&[cert.as_path()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--tls-key"), "{stderr}");
}
