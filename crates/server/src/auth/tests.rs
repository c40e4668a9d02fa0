//! SigV4 verification against the AWS SigV4 test suite's vectors (credentials `AKIDEXAMPLE`, 2015-08-30 12:36:00 UTC,
//! us-east-1, service `service`), and the errors AWS answers for what does not hold.

use axum::http::{HeaderMap, HeaderValue};

use super::{Access, Key, Keys, Received, amz_date, canonical_request, parse_amz_date, signing_key, string_to_sign, verify};
use crate::error::ApiError;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const STAMP: &str = "20150830T123600Z";

/// The suite's signature of a request with these method, query, extra headers and body (signing `host`,
/// `x-amz-date` and the extra headers).
fn suite_signature(method: &str, query: &str, extra: &[(&'static str, &str)], body: &str) -> String {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
    headers.insert("x-amz-date", HeaderValue::from_static(STAMP));
    for (name, value) in extra {
        headers.append(*name, HeaderValue::from_str(value).expect("a header value"));
    }
    let mut signed: Vec<&str> = vec!["host", "x-amz-date"];
    signed.extend(extra.iter().map(|(name, _)| *name));
    signed.sort_unstable();
    signed.dedup();
    let received = Received { method, path: "/", query, headers: &headers, authority: None, body: body.as_bytes() };
    let canonical = canonical_request(&received, &signed);
    let to_sign = string_to_sign(STAMP, "20150830/us-east-1/service/aws4_request", &canonical);
    let key = signing_key(SECRET, "20150830", "us-east-1", "service");
    let mut mac = super::hmac(&key);
    hmac::Mac::update(&mut mac, to_sign.as_bytes());
    super::hex(&hmac::Mac::finalize(mac).into_bytes())
}

#[test]
fn the_aws_sigv4_test_suite_vectors_hold() {
    // get-vanilla, post-vanilla, get-vanilla-query-order-key-case, post-vanilla-query, get-header-value-trim.
    assert_eq!(suite_signature("GET", "", &[], ""), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    assert_eq!(suite_signature("POST", "", &[], ""), "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    assert_eq!(
        suite_signature("GET", "Param2=value2&Param1=value1", &[], ""),
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
    );
    assert_eq!(
        suite_signature("POST", "Param1=value1", &[], ""),
        "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"
    );
}

#[test]
fn the_canonical_request_is_the_suites() {
    // post-vanilla's canonical request, as the suite gives it.
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("example.amazonaws.com"));
    headers.insert("x-amz-date", HeaderValue::from_static(STAMP));
    let received = Received { method: "POST", path: "/", query: "", headers: &headers, authority: None, body: b"" };
    assert_eq!(
        canonical_request(&received, &["host", "x-amz-date"]),
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    // Header values are trimmed and their runs of spaces made one; repeated headers join with commas.
    headers.insert("my-header1", HeaderValue::from_static("  value1   with  spaces "));
    headers.append("my-header2", HeaderValue::from_static("a"));
    headers.append("my-header2", HeaderValue::from_static("b"));
    let received = Received { method: "GET", path: "/", query: "", headers: &headers, authority: None, body: b"" };
    let canonical = canonical_request(&received, &["host", "my-header1", "my-header2"]);
    assert!(canonical.contains("my-header1:value1 with spaces\nmy-header2:a,b\n"), "{canonical}");
}

#[test]
fn timestamps_read_and_write_both_ways() {
    assert_eq!(parse_amz_date(STAMP), Some(1_440_938_160));
    assert_eq!(amz_date(1_440_938_160), STAMP);
    assert_eq!(amz_date(0), "19700101T000000Z");
    assert_eq!(parse_amz_date("20240229T235959Z").map(amz_date).as_deref(), Some("20240229T235959Z"));
    for bad in ["", "2015-08-30T12:36:00Z", "20151330T123600Z", "20150830T123600", "2015083XT123600Z"] {
        assert_eq!(parse_amz_date(bad), None, "{bad}");
    }
}

fn access() -> Access {
    let keys = Keys::new(vec![Key {
        access_key_id: "AKIDEXAMPLE".to_owned(),
        secret_access_key: SECRET.to_owned(),
        account_id: "111122223333".to_owned(),
        read_only: false,
        metrics: false,
    }])
    .expect("one key");
    Access::new(keys, "us-east-1".to_owned(), || 0, [7; 32])
}

/// A StartExecution-like request signed with `secret` for `key` at `stamp`, as an SDK signs it.
fn signed(key: &str, secret: &str, stamp: &str, region: &str) -> HeaderMap {
    let body = br#"{"stateMachineArn":"arn:aws:states:us-east-1:111122223333:stateMachine:m"}"#;
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("localhost:8083"));
    headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.0"));
    headers.insert("x-amz-target", HeaderValue::from_static("AWSStepFunctions.StartExecution"));
    headers.insert("x-amz-date", HeaderValue::from_str(stamp).expect("a stamp"));
    let names = ["content-type", "host", "x-amz-date", "x-amz-target"];
    let received = Received { method: "POST", path: "/", query: "", headers: &headers, authority: None, body };
    let canonical = canonical_request(&received, &names);
    let scope = format!("{}/{region}/states/aws4_request", &stamp[..8]);
    let to_sign = string_to_sign(stamp, &scope, &canonical);
    let signing = signing_key(secret, &stamp[..8], region, "states");
    let mut mac = super::hmac(&signing);
    hmac::Mac::update(&mut mac, to_sign.as_bytes());
    let signature = super::hex(&hmac::Mac::finalize(mac).into_bytes());
    let authorization =
        format!("AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={}, Signature={signature}", names.join(";"));
    headers.insert("authorization", HeaderValue::from_str(&authorization).expect("an authorization"));
    headers
}

fn check(headers: &HeaderMap, now: i64) -> Result<String, (&'static str, String)> {
    let body = br#"{"stateMachineArn":"arn:aws:states:us-east-1:111122223333:stateMachine:m"}"#;
    let received = Received { method: "POST", path: "/", query: "", headers, authority: None, body };
    match verify(&access(), &received, now) {
        Ok(caller) => Ok(caller.account_id),
        Err(ApiError::Denied { code, message }) => Err((code, message)),
        Err(other) => panic!("not an access error: {other}"),
    }
}

fn at(stamp: &str) -> i64 {
    parse_amz_date(stamp).expect("a stamp")
}

#[test]
fn a_good_signature_names_its_keys_account() {
    let headers = signed("AKIDEXAMPLE", SECRET, STAMP, "us-east-1");
    assert_eq!(check(&headers, at(STAMP)), Ok("111122223333".to_owned()));
    // Within 15 minutes either way.
    assert!(check(&headers, at("20150830T125000Z")).is_ok());
    assert!(check(&headers, at("20150830T122200Z")).is_ok());
}

#[test]
fn what_does_not_hold_gets_awss_error() {
    let now = at(STAMP);
    let code = |headers: &HeaderMap, now| check(headers, now).err().map(|(code, _)| code);
    assert_eq!(code(&HeaderMap::new(), now), Some("MissingAuthenticationTokenException"));
    assert_eq!(code(&signed("AKIDUNKNOWN", SECRET, STAMP, "us-east-1"), now), Some("UnrecognizedClientException"));
    assert_eq!(code(&signed("AKIDEXAMPLE", "not the secret", STAMP, "us-east-1"), now), Some("InvalidSignatureException"));
    assert_eq!(code(&signed("AKIDEXAMPLE", SECRET, STAMP, "eu-west-1"), now), Some("InvalidSignatureException"));
    let stale = check(&signed("AKIDEXAMPLE", SECRET, STAMP, "us-east-1"), at("20150830T130100Z")).unwrap_err();
    assert_eq!(stale.0, "InvalidSignatureException");
    assert_eq!(stale.1, "Signature expired: 20150830T123600Z is now earlier than 20150830T124600Z (20150830T130100Z - 15 min.)");
    let early = check(&signed("AKIDEXAMPLE", SECRET, STAMP, "us-east-1"), at("20150830T120000Z")).unwrap_err();
    assert!(early.1.starts_with("Signature not yet current: 20150830T123600Z is still later than"), "{}", early.1);
    // A body changed after signing.
    let headers = signed("AKIDEXAMPLE", SECRET, STAMP, "us-east-1");
    let received = Received { method: "POST", path: "/", query: "", headers: &headers, authority: None, body: b"{}" };
    assert!(matches!(verify(&access(), &received, now), Err(ApiError::Denied { code: "InvalidSignatureException", .. })));
    // A header the signature names, changed.
    let mut headers = signed("AKIDEXAMPLE", SECRET, STAMP, "us-east-1");
    headers.insert("x-amz-target", HeaderValue::from_static("AWSStepFunctions.DeleteStateMachine"));
    assert_eq!(code(&headers, now), Some("InvalidSignatureException"));
    // Malformed authorizations.
    for bad in ["AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/states/aws4_request", "Bearer xyz"] {
        let mut headers = signed("AKIDEXAMPLE", SECRET, STAMP, "us-east-1");
        headers.insert("authorization", HeaderValue::from_static(bad));
        assert_eq!(code(&headers, now), Some("IncompleteSignatureException"), "{bad}");
    }
}

#[test]
fn keys_refuse_duplicates_and_bad_accounts_and_sign_in_checks_the_secret() {
    let key = |id: &str, account: &str| Key {
        access_key_id: id.to_owned(),
        secret_access_key: "s".to_owned(),
        account_id: account.to_owned(),
        read_only: false,
        metrics: false,
    };
    assert!(Keys::new(vec![key("A", "111122223333"), key("A", "111122223333")]).is_err());
    assert!(Keys::new(vec![key("A", "1234")]).is_err());
    assert!(Keys::new(vec![key("", "111122223333")]).is_err());
    let keys = Keys::new(vec![key("A", "111122223333")]).expect("keys");
    assert_eq!(keys.sign_in("A", "s").map(|caller| caller.account_id).as_deref(), Some("111122223333"));
    assert_eq!(keys.sign_in("A", "t"), None);
    assert_eq!(keys.sign_in("B", "s"), None);
    // A refused replacement keeps the keys there were.
    assert!(keys.replace(vec![key("B", "x")]).is_err());
    assert_eq!(keys.len(), 1);
    assert!(format!("{:?}", keys.caller("A")).contains("111122223333"));
    assert!(!format!("{:?}", key("A", "111122223333")).contains("secret_access_key: \"s\""));
}

#[test]
fn read_only_keys_read() {
    for action in ["DescribeExecution", "ListStateMachines", "GetExecutionHistory", "ValidateStateMachineDefinition"] {
        assert!(super::read_only_action(action), "{action}");
    }
    for action in ["StartExecution", "StartSyncExecution", "GetActivityTask", "SendTaskSuccess", "TestState", "CreateStateMachine"] {
        assert!(!super::read_only_action(action), "{action}");
    }
}
