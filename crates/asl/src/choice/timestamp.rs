//! The timestamps Choice rules compare: ISO-8601 extended offset date-times, as Java's `ISO_OFFSET_DATE_TIME` reads
//! them.
//!
//! AWS names that format in its errors ("does not reference a valid ISO-8601 extended offset date-time format
//! string"). The recorded cases agree: `2016-03-05T21:29:29.243167252Z` is accepted; a missing offset
//! (`2016-12-05T21:29:29`), a space for `T`, a day-first date, month 13 and hour 25 are not. Accepted here:
//! `YYYY-MM-DDTHH:MM[:SS[.f{1,9}]]` then `Z` or `±HH:MM[:SS]`, upper-case `T` and `Z` only, calendar-checked.
//! Not accepted (Java accepts them, nobody writes them): years outside 0000..=9999 and signed years.
//! This module does not read the clock.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;

/// Parses `text` as an instant, or `None` when it is not an ISO-8601 extended offset date-time.
pub fn parse(text: &str) -> Option<Timestamp> {
    let mut cursor = Cursor { bytes: text.as_bytes(), pos: 0 };
    let year = cursor.digits(4)?;
    cursor.expect(b'-')?;
    let month = cursor.digits(2)?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2)?;
    cursor.expect(b'T')?;
    let hour = cursor.digits(2)?;
    cursor.expect(b':')?;
    let minute = cursor.digits(2)?;
    let mut second = 0;
    let mut nanos = 0;
    if cursor.eat(b':') {
        second = cursor.digits(2)?;
        if cursor.eat(b'.') {
            let start = cursor.pos;
            let mut scale = 100_000_000;
            while let Some(digit) = cursor.digit() {
                if cursor.pos - start > 9 {
                    return None;
                }
                nanos += digit * scale;
                scale /= 10;
            }
            if cursor.pos == start {
                return None;
            }
        }
    }
    let offset_seconds = match cursor.next()? {
        b'Z' => 0,
        sign @ (b'+' | b'-') => {
            let hours = cursor.digits(2)?;
            cursor.expect(b':')?;
            let minutes = cursor.digits(2)?;
            let seconds = if cursor.eat(b':') { cursor.digits(2)? } else { 0 };
            if hours > 18 || minutes > 59 || seconds > 59 {
                return None;
            }
            let total = hours * 3600 + minutes * 60 + seconds;
            if sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    if cursor.pos != cursor.bytes.len() {
        return None;
    }
    let datetime = DateTime::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        nanos,
    )
    .ok()?;
    let offset = Offset::from_seconds(offset_seconds).ok()?;
    offset.to_timestamp(datetime).ok()
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn next(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    fn digit(&mut self) -> Option<i32> {
        let byte = *self.bytes.get(self.pos)?;
        if byte.is_ascii_digit() {
            self.pos += 1;
            Some(i32::from(byte - b'0'))
        } else {
            None
        }
    }

    /// Exactly `count` ASCII digits as a number.
    fn digits(&mut self, count: usize) -> Option<i32> {
        let mut value = 0;
        for _ in 0..count {
            value = value * 10 + self.digit()?;
        }
        Some(value)
    }
}
