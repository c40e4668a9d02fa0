//! The small parts: timestamps, checksums, percent-encoding, the choice of protocol, names.

use jiff::Timestamp;
use serde_json::json;

use crate::model::{Protocol, TimestampFormat};
use crate::protocol::checksum::Algorithm;
use crate::protocol::tests::service;
use crate::protocol::{choose, names, percent, time};

/// A timestamp from its RFC 3339 text.
fn at(text: &str) -> Timestamp {
    text.parse().expect("a valid timestamp")
}

#[test]
fn iso8601_shows_milliseconds_only_when_not_whole() {
    assert_eq!(time::iso8601(at("2026-12-02T10:00:00Z")), "2026-12-02T10:00:00Z");
    assert_eq!(time::iso8601(at("2026-12-02T10:00:00.5Z")), "2026-12-02T10:00:00.500Z");
    assert_eq!(time::iso8601(at("2026-12-02T10:00:00.000123Z")), "2026-12-02T10:00:00.000123Z");
    assert_eq!(time::iso8601(at("1969-12-31T23:59:59.5Z")), "1969-12-31T23:59:59.500Z");
}

#[test]
fn wire_timestamps_in_every_format() {
    let t = at("2026-12-02T10:00:00Z");
    assert_eq!(time::to_wire(t, TimestampFormat::UnixTimestamp), json!(1_796_205_600));
    assert_eq!(time::to_wire(at("2026-12-02T10:00:00.250Z"), TimestampFormat::UnixTimestamp), json!(1_796_205_600.25));
    assert_eq!(time::to_wire(t, TimestampFormat::Iso8601), json!("2026-12-02T10:00:00Z"));
    assert_eq!(time::to_wire(t, TimestampFormat::Rfc822), json!("Wed, 02 Dec 2026 10:00:00 GMT"));
    for text in ["1796205600", "2026-12-02T10:00:00Z", "2026-12-02T11:00:00+01:00", "Wed, 02 Dec 2026 10:00:00 GMT"] {
        assert_eq!(time::from_wire_text(text), Some(t), "{text}");
    }
    assert_eq!(time::from_wire(&json!(1_796_205_600.123)), Some(at("2026-12-02T10:00:00.123Z")));
    assert_eq!(time::from_wire(&json!(1e300)), None);
    assert_eq!(time::from_input(&json!("2026-12-02")), None);
}

#[test]
fn crc_checks_of_the_standard_check_string() {
    assert_eq!(Algorithm::Crc32.of(b"123456789"), "y/Q5Jg==");
    assert_eq!(Algorithm::Crc32c.of(b"123456789"), "4waSgw==");
    assert_eq!(Algorithm::named("crc32c"), Some(Algorithm::Crc32c));
    assert_eq!(Algorithm::named("SHA1"), None);
}

#[test]
fn percent_encoding_keeps_only_unreserved_bytes() {
    assert_eq!(percent::encode("a b/c~é+"), "a%20b%2Fc~%C3%A9%2B");
    assert_eq!(percent::encode_path("a b/c"), "a%20b/c");
    assert_eq!(percent::form(&[("k".to_owned(), "v=1&".to_owned())]), "k=v%3D1%26");
}

#[test]
fn protocol_prefers_json_where_offered() {
    assert_eq!(choose(&service("cloudwatch").model), Protocol::Json);
    assert_eq!(choose(&service("s3").model), Protocol::RestXml);
    assert_eq!(choose(&service("ec2").model), Protocol::Ec2);
    assert_eq!(choose(&service("translate").model), Protocol::Json, "CBOR is listed first, JSON is offered too");
}

#[test]
fn names_fold_only_the_first_letter() {
    let apigateway = service("apigateway");
    let shape = apigateway.model.shape("GetRestApiRequest").expect("shape");
    assert_eq!(names::member(shape, "RestApiId"), Some("restApiId"));
    assert_eq!(names::member(shape, "restApiId"), Some("restApiId"));
    assert_eq!(names::member(shape, "RESTAPIID"), None);
    assert_eq!(names::shown("restApiId"), "RestApiId");
    assert_eq!(names::shown("equals"), "EqualsValue");
}
