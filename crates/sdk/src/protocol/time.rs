//! Timestamps: reading them from Step Functions' parameters and from the wire, writing them in the three wire
//! formats (ISO 8601, epoch seconds, RFC 822 / HTTP date) and in the ISO 8601 form Step Functions shows.

use jiff::Timestamp;
use jiff::fmt::rfc2822::{DateTimeParser, DateTimePrinter};
use jiff::tz::TimeZone;
use serde_json::{Number, Value};

use crate::model::TimestampFormat;

/// A timestamp given as a parameter: an ISO 8601 string with an offset (`2026-12-02T10:00:00Z`) or a number of
/// seconds since the epoch (a fraction allowed). `None` when it is neither.
pub(crate) fn from_input(value: &Value) -> Option<Timestamp> {
    match value {
        Value::String(text) => text.parse().ok(),
        Value::Number(number) => from_epoch(number.as_f64()?),
        _ => None,
    }
}

/// A timestamp as a service wrote it: epoch seconds (a JSON number or the digits of one), ISO 8601, or an HTTP date.
pub(crate) fn from_wire(value: &Value) -> Option<Timestamp> {
    match value {
        Value::Number(number) => from_epoch(number.as_f64()?),
        Value::String(text) => from_wire_text(text),
        _ => None,
    }
}

/// A timestamp in a text of the wire (an XML element, a header).
pub(crate) fn from_wire_text(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return from_epoch(seconds);
    }
    text.parse().ok().or_else(|| DateTimeParser::new().parse_timestamp(text).ok())
}

/// `seconds` since the epoch, to the millisecond (as the AWS SDK for Java reads epoch timestamps).
fn from_epoch(seconds: f64) -> Option<Timestamp> {
    if !seconds.is_finite() {
        return None;
    }
    // Far outside Timestamp's range the conversion saturates, and jiff refuses it.
    Timestamp::from_millisecond((seconds * 1000.0).round() as i64).ok()
}

/// `timestamp` in `format` as the wire carries it: epoch seconds are a JSON number (with milliseconds when not
/// whole), the other formats a string.
pub(crate) fn to_wire(timestamp: Timestamp, format: TimestampFormat) -> Value {
    match format {
        TimestampFormat::UnixTimestamp => epoch_number(timestamp),
        TimestampFormat::Iso8601 => Value::String(iso8601(timestamp)),
        TimestampFormat::Rfc822 => Value::String(http_date(timestamp)),
    }
}

/// `timestamp` in `format` as text (a header, a query value, an XML element).
pub(crate) fn to_wire_text(timestamp: Timestamp, format: TimestampFormat) -> String {
    match to_wire(timestamp, format) {
        Value::String(text) => text,
        other => other.to_string(),
    }
}

/// Seconds since the epoch as a JSON number: an integer when whole, else with its milliseconds.
fn epoch_number(timestamp: Timestamp) -> Value {
    let millis = timestamp.as_millisecond();
    if millis.rem_euclid(1000) == 0 {
        return Value::from(timestamp.as_second());
    }
    Number::from_f64(millis as f64 / 1000.0).map_or(Value::Null, Value::Number)
}

/// `2026-12-02T10:00:00Z`, with the fraction of a second in groups of three digits when there is one
/// (`…00.123Z`): the form Step Functions shows and the ISO 8601 the services read.
pub(crate) fn iso8601(timestamp: Timestamp) -> String {
    let civil = timestamp.to_zoned(TimeZone::UTC).datetime();
    let mut text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        civil.year(),
        civil.month(),
        civil.day(),
        civil.hour(),
        civil.minute(),
        civil.second()
    );
    let nanos = civil.subsec_nanosecond().unsigned_abs();
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        let keep = if nanos.is_multiple_of(1_000_000) {
            3
        } else if nanos.is_multiple_of(1000) {
            6
        } else {
            9
        };
        text.push('.');
        text.push_str(digits.get(..keep).unwrap_or(&digits));
    }
    text.push('Z');
    text
}

/// `Wed, 02 Dec 2026 10:00:00 GMT`: the HTTP date of headers.
pub(crate) fn http_date(timestamp: Timestamp) -> String {
    DateTimePrinter::new().timestamp_to_rfc9110_string(&timestamp).unwrap_or_else(|_| iso8601(timestamp))
}
