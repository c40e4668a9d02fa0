//! Loading `--tls-cert`/`--tls-key`: the key forms a PEM file may hold, and the errors, each naming its file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;

use crate::tls::Tls;

/// A self-signed certificate for localhost and its key (PKCS#8) in PEM, made with `algorithm`.
fn self_signed(algorithm: &'static rcgen::SignatureAlgorithm) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(algorithm).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap().self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// `cert.pem` and `key.pem` in `dir`, holding `cert` and `key`.
fn files(dir: &Path, cert: &str, key: &str) -> (PathBuf, PathBuf) {
    let (cert_file, key_file) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_file, cert).unwrap();
    std::fs::write(&key_file, key).unwrap();
    (cert_file, key_file)
}

/// The error chain of loading `cert` and `key`, as `baton` prints it.
fn load_error(cert: &Path, key: &Path) -> String {
    format!("{:#}", Tls::load(cert, key).unwrap_err())
}

/// The key inside a PKCS#8 `PRIVATE KEY` PEM, in its algorithm's own form: the contents of the PKCS#8 structure's
/// privateKey OCTET STRING (PKCS#1 `RSAPrivateKey`, SEC1 `ECPrivateKey`) under `label`.
fn unwrapped(pkcs8_pem: &str, label: &str) -> String {
    let body: String = pkcs8_pem.lines().filter(|line| !line.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).unwrap();
    let (_, outer) = der_element(&der);
    // version INTEGER, privateKeyAlgorithm SEQUENCE, privateKey OCTET STRING.
    let mut rest = outer;
    let mut private_key = None;
    while !rest.is_empty() {
        let (tag, contents) = der_element(rest);
        if tag == 0x04 {
            private_key = Some(contents);
            break;
        }
        rest = &rest[der_length(rest)..];
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(private_key.unwrap());
    let lines: Vec<&str> = encoded.as_bytes().chunks(64).map(|line| std::str::from_utf8(line).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// The tag and contents of the DER element at the start of `bytes`.
fn der_element(bytes: &[u8]) -> (u8, &[u8]) {
    let (header, length) = der_header(bytes);
    (bytes[0], &bytes[header..header + length])
}

/// The whole length (header and contents) of the DER element at the start of `bytes`.
fn der_length(bytes: &[u8]) -> usize {
    let (header, length) = der_header(bytes);
    header + length
}

/// The header length and contents length of the DER element at the start of `bytes`.
fn der_header(bytes: &[u8]) -> (usize, usize) {
    match bytes[1] {
        short @ 0..0x80 => (2, usize::from(short)),
        long => {
            let count = usize::from(long & 0x7f);
            let length = bytes[2..2 + count].iter().fold(0, |length, byte| length << 8 | usize::from(*byte));
            (2 + count, length)
        }
    }
}

#[test]
fn keys_load_as_pkcs8_pkcs1_rsa_and_sec1_ec() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(&rcgen::PKCS_ECDSA_P256_SHA256);
    let (cert_file, key_file) = files(dir.path(), &cert, &key);
    Tls::load(&cert_file, &key_file).unwrap();
    let (cert_file, key_file) = files(dir.path(), &cert, &unwrapped(&key, "EC PRIVATE KEY"));
    Tls::load(&cert_file, &key_file).unwrap();

    let (cert, key) = self_signed(&rcgen::PKCS_RSA_SHA256);
    let (cert_file, key_file) = files(dir.path(), &cert, &key);
    Tls::load(&cert_file, &key_file).unwrap();
    let (cert_file, key_file) = files(dir.path(), &cert, &unwrapped(&key, "RSA PRIVATE KEY"));
    Tls::load(&cert_file, &key_file).unwrap();
}

#[test]
fn a_file_that_is_missing_or_holds_nothing_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(&rcgen::PKCS_ECDSA_P256_SHA256);
    let (cert_file, key_file) = files(dir.path(), &cert, &key);
    let missing = dir.path().join("missing.pem");
    let error = load_error(&cert_file, &missing);
    assert!(error.starts_with(&format!("cannot read the TLS key {}: ", missing.display())), "{error}");
    let error = load_error(&missing, &key_file);
    assert!(error.starts_with(&format!("cannot read the TLS certificate {}: ", missing.display())), "{error}");

    // Each file holding what the other should.
    let error = load_error(&key_file, &cert_file);
    assert!(error.starts_with(&format!("the TLS certificate {} holds no certificate", key_file.display())), "{error}");
    let error = load_error(&cert_file, &cert_file);
    assert!(error.starts_with(&format!("the TLS key {} holds no private key", cert_file.display())), "{error}");

    let (_, broken) = files(dir.path(), &cert, "-----BEGIN PRIVATE KEY-----\nMIGH\n");
    let error = load_error(&cert_file, &broken);
    assert!(error.starts_with(&format!("the TLS key {} is not valid PEM: ", broken.display())), "{error}");
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = self_signed(&rcgen::PKCS_ECDSA_P256_SHA256);
    let (_, other_key) = self_signed(&rcgen::PKCS_ECDSA_P256_SHA256);
    let (cert_file, key_file) = files(dir.path(), &cert, &other_key);
    let error = load_error(&cert_file, &key_file);
    assert_eq!(error, format!("the TLS key {} is not the key of the certificate {}", key_file.display(), cert_file.display()));

    // Not a certificate, nor a key, in good PEM.
    let (cert_file, key_file) = files(dir.path(), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", &other_key);
    let error = load_error(&cert_file, &key_file);
    assert!(error.starts_with(&format!("the TLS certificate {} cannot be used: ", cert_file.display())), "{error}");
    let (cert_file, key_file) = files(dir.path(), &cert, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    let error = load_error(&cert_file, &key_file);
    assert!(error.starts_with(&format!("the TLS key {} is not an RSA, ECDSA or Ed25519 key", key_file.display())), "{error}");
}

#[test]
fn a_reload_that_fails_keeps_the_pair_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(&rcgen::PKCS_ECDSA_P256_SHA256);
    let (cert_file, key_file) = files(dir.path(), &cert, &key);
    let tls = Tls::load(&cert_file, &key_file).unwrap();
    let first = Arc::clone(tls.acceptor().config());

    std::fs::write(&key_file, "not a key").unwrap();
    let error = format!("{:#}", tls.reload().unwrap_err());
    assert!(error.starts_with(&format!("the TLS key {} holds no private key", key_file.display())), "{error}");
    assert!(Arc::ptr_eq(tls.acceptor().config(), &first), "the old pair stays");

    let (cert, key) = self_signed(&rcgen::PKCS_ECDSA_P256_SHA256);
    files(dir.path(), &cert, &key);
    tls.reload().unwrap();
    assert!(!Arc::ptr_eq(tls.acceptor().config(), &first), "the new pair is in force");
}
