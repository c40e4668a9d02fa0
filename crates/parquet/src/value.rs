//! A decoded physical value turned into the JSON value of a row's field, by what the column's values mean (`Kind`).
//! The crate documentation lists each mapping; this module also formats dates, times and timestamps (proleptic
//! Gregorian calendar, computed here: every `i64` is a valid input, years past 9999 are written with a sign).

use base64::Engine;
use serde_json::{Number, Value};

use crate::metadata::TimeUnit;
use crate::schema::Kind;

/// A value as an encoding yields it, before its meaning is applied.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Raw<'a> {
    Boolean(bool),
    Int32(i32),
    Int64(i64),
    Int96([u8; 12]),
    Float(f32),
    Double(f64),
    Bytes(&'a [u8]),
}

/// The Julian day of 1970-01-01, the epoch of INT96 timestamps' day count.
const JULIAN_UNIX_EPOCH: i64 = 2_440_588;

/// The JSON value of `raw` in a column of `kind`; `Err` says what is wrong with the value.
pub(crate) fn json(kind: Kind, raw: Raw<'_>) -> Result<Value, String> {
    let value = match (kind, raw) {
        (Kind::Null, _) => Value::Null,
        (Kind::Boolean, Raw::Boolean(b)) => Value::Bool(b),
        (Kind::Int32, Raw::Int32(v)) => Value::from(v),
        (Kind::UInt32, Raw::Int32(v)) => Value::from(u32::from_le_bytes(v.to_le_bytes())),
        (Kind::Int64, Raw::Int64(v)) => Value::from(v),
        (Kind::UInt64, Raw::Int64(v)) => Value::from(u64::from_le_bytes(v.to_le_bytes())),
        (Kind::Int96, Raw::Int96(bytes)) => Value::String(int96(bytes)),
        (Kind::Float, Raw::Float(v)) => float(v),
        (Kind::Double, Raw::Double(v)) => double(v),
        (Kind::Float16, Raw::Bytes(bytes)) => match bytes {
            [lo, hi] => float(half(u16::from_le_bytes([*lo, *hi]))),
            _ => return Err(format!("a FLOAT16 of {} bytes", bytes.len())),
        },
        (Kind::Date, Raw::Int32(days)) => Value::String(date(i64::from(days))),
        (Kind::Time(unit), Raw::Int32(v)) => Value::String(time(i64::from(v), unit)),
        (Kind::Time(unit), Raw::Int64(v)) => Value::String(time(v, unit)),
        (Kind::Timestamp { unit, utc }, Raw::Int64(v)) => Value::String(timestamp(v, unit, utc)),
        (Kind::Decimal { scale }, Raw::Int32(v)) => Value::String(decimal(v < 0, v.unsigned_abs().to_string(), scale)),
        (Kind::Decimal { scale }, Raw::Int64(v)) => Value::String(decimal(v < 0, v.unsigned_abs().to_string(), scale)),
        (Kind::Decimal { scale }, Raw::Bytes(bytes)) => {
            let (negative, digits) = big_endian(bytes)?;
            Value::String(decimal(negative, digits, scale))
        }
        (Kind::String, Raw::Bytes(bytes)) => Value::String(String::from_utf8_lossy(bytes).into_owned()),
        (Kind::Uuid, Raw::Bytes(bytes)) => Value::String(uuid(bytes)),
        (Kind::Binary, Raw::Bytes(bytes)) => Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        (kind, raw) => return Err(format!("a {raw:?} value in a column of {kind:?} values")),
    };
    Ok(value)
}

/// A float as the shortest decimal that reads back as the same `f32` (so `1.1f32` is `1.1`, not
/// `1.100000023841858`).
fn float(v: f32) -> Value {
    if v.is_finite() {
        let shortest: f64 = v.to_string().parse().unwrap_or(f64::from(v));
        double(shortest)
    } else {
        double(f64::from(v))
    }
}

/// A double; JSON has no NaN or infinities, so those become the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn double(v: f64) -> Value {
    match Number::from_f64(v) {
        Some(number) => Value::Number(number),
        None if v.is_nan() => Value::String("NaN".to_owned()),
        None if v > 0.0 => Value::String("Infinity".to_owned()),
        None => Value::String("-Infinity".to_owned()),
    }
}

/// IEEE 754 half precision to single.
fn half(bits: u16) -> f32 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f32::from(bits & 0x3ff);
    match exponent {
        0 => sign * mantissa * 2f32.powi(-24),
        31 if mantissa == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        _ => sign * (1.0 + mantissa / 1024.0) * 2f32.powi(exponent - 15),
    }
}

/// The widest unscaled decimal read, in bytes after sign extension: 154 digits, twice what any writer uses
/// (BigQuery's BIGNUMERIC, DECIMAL(76, 38), takes 32 bytes). It bounds the quadratic base conversion below.
const MAX_DECIMAL_BYTES: usize = 64;

/// A two's complement big-endian integer as its sign and decimal digits.
fn big_endian(bytes: &[u8]) -> Result<(bool, String), String> {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let sign = if negative { 0xff } else { 0x00 };
    // Sign-extension bytes carry no digits; keep one so the top bit still says the sign.
    let start = bytes.iter().take_while(|&&b| b == sign).count().saturating_sub(1);
    let bytes = bytes.get(start..).unwrap_or_default();
    if bytes.len() <= 16 {
        let mut buffer = [sign; 16];
        let offset = 16 - bytes.len();
        buffer.iter_mut().skip(offset).zip(bytes).for_each(|(slot, byte)| *slot = *byte);
        let value = i128::from_be_bytes(buffer);
        return Ok((value < 0, value.unsigned_abs().to_string()));
    }
    if bytes.len() > MAX_DECIMAL_BYTES {
        return Err(format!("a DECIMAL of {} bytes, more than the {MAX_DECIMAL_BYTES} this reader reads", bytes.len()));
    }
    // The magnitude (two's complement negated when negative), then repeated division by ten.
    let mut magnitude: Vec<u8> = bytes.iter().map(|b| if negative { !b } else { *b }).collect();
    if negative {
        for byte in magnitude.iter_mut().rev() {
            let (sum, carry) = byte.overflowing_add(1);
            *byte = sum;
            if !carry {
                break;
            }
        }
    }
    let mut digits = Vec::new();
    while magnitude.iter().any(|&b| b != 0) {
        let mut remainder = 0u32;
        for byte in magnitude.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 10) as u8;
            remainder = value % 10;
        }
        digits.push(b'0' + remainder as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    digits.reverse();
    Ok((negative, String::from_utf8_lossy(&digits).into_owned()))
}

/// An unscaled integer (its sign and digits) divided by 10^scale, written exactly: `12345` at scale 2 is
/// `"123.45"`.
fn decimal(negative: bool, digits: String, scale: u32) -> String {
    let sign = if negative { "-" } else { "" };
    let scale = scale as usize;
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = if digits.len() <= scale { format!("{}{digits}", "0".repeat(scale + 1 - digits.len())) } else { digits };
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// A UUID's 16 bytes in the 8-4-4-4-12 form.
fn uuid(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The civil date of a day count from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

/// `YYYY-MM-DD`; years outside 0000–9999 carry a sign (ISO 8601's expanded form).
fn date(days: i64) -> String {
    let (year, month, day) = civil(days);
    let year = match year {
        0..=9999 => format!("{year:04}"),
        10_000.. => format!("+{year}"),
        _ => format!("-{:04}", year.unsigned_abs()),
    };
    format!("{year}-{month:02}-{day:02}")
}

fn units_per_second(unit: TimeUnit) -> (i64, usize) {
    match unit {
        TimeUnit::Millis => (1_000, 3),
        TimeUnit::Micros => (1_000_000, 6),
        TimeUnit::Nanos => (1_000_000_000, 9),
    }
}

/// `HH:MM:SS.fff` (3, 6 or 9 fraction digits, by the unit) for a time of day since midnight.
fn time(value: i64, unit: TimeUnit) -> String {
    let (per_second, digits) = units_per_second(unit);
    let seconds = value.div_euclid(per_second);
    let fraction = value.rem_euclid(per_second);
    let (hour, minute, second) = (seconds.div_euclid(3600), seconds.rem_euclid(3600) / 60, seconds.rem_euclid(60));
    format!("{hour:02}:{minute:02}:{second:02}.{fraction:0digits$}")
}

/// An instant since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.fff`, with 3, 6 or 9 fraction digits by the unit, and
/// `Z` when the timestamp is adjusted to UTC (none for a local, "wall clock" timestamp).
fn timestamp(value: i64, unit: TimeUnit, utc: bool) -> String {
    let (per_second, digits) = units_per_second(unit);
    format_instant(value.div_euclid(per_second), value.rem_euclid(per_second), digits, utc)
}

fn format_instant(seconds: i64, fraction: i64, digits: usize, utc: bool) -> String {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (hour, minute, second) = (of_day / 3600, of_day % 3600 / 60, of_day % 60);
    let zone = if utc { "Z" } else { "" };
    format!("{}T{hour:02}:{minute:02}:{second:02}.{fraction:0digits$}{zone}", date(days))
}

/// An INT96 timestamp: 8 bytes of nanoseconds within the day and 4 bytes of Julian day, little-endian; written
/// like a timestamp in nanoseconds without `Z`, as writers (Impala, Hive, Athena) mean no time zone and pyarrow
/// reads it as one without a zone.
fn int96(bytes: [u8; 12]) -> String {
    let [n0, n1, n2, n3, n4, n5, n6, n7, d0, d1, d2, d3] = bytes;
    let nanos = i128::from(u64::from_le_bytes([n0, n1, n2, n3, n4, n5, n6, n7]));
    let day = i128::from(i32::from_le_bytes([d0, d1, d2, d3])) - i128::from(JULIAN_UNIX_EPOCH);
    let total = day * 86_400_000_000_000 + nanos;
    let seconds = total.div_euclid(1_000_000_000);
    let fraction = total.rem_euclid(1_000_000_000);
    // |day| < 2^32 and nanos < 2^64, so the seconds fit in an i64 with room to spare.
    format_instant(i64::try_from(seconds).unwrap_or(i64::MAX), i64::try_from(fraction).unwrap_or(0), 9, false)
}
