//! Parquet's value and level encodings: PLAIN, the RLE/bit-packing hybrid (levels, dictionary indices, RLE
//! booleans), PLAIN_DICTIONARY/RLE_DICTIONARY, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
//! BYTE_STREAM_SPLIT. Each decoder is told how many values to produce and checks the input holds them before it
//! allocates for them; a value count is never trusted beyond the bytes that carry it.

use serde_json::Value;

use crate::schema::{Kind, Physical};
use crate::value::{Raw, json};

/// `Encoding` numbers.
pub(crate) const PLAIN: i32 = 0;
pub(crate) const PLAIN_DICTIONARY: i32 = 2;
pub(crate) const RLE: i32 = 3;
pub(crate) const BIT_PACKED: i32 = 4;
pub(crate) const DELTA_BINARY_PACKED: i32 = 5;
pub(crate) const DELTA_LENGTH_BYTE_ARRAY: i32 = 6;
pub(crate) const DELTA_BYTE_ARRAY: i32 = 7;
pub(crate) const RLE_DICTIONARY: i32 = 8;
pub(crate) const BYTE_STREAM_SPLIT: i32 = 9;

/// An encoding's name, for messages.
pub(crate) fn name(encoding: i32) -> String {
    match encoding {
        PLAIN => "PLAIN".to_owned(),
        PLAIN_DICTIONARY => "PLAIN_DICTIONARY".to_owned(),
        RLE => "RLE".to_owned(),
        BIT_PACKED => "BIT_PACKED".to_owned(),
        DELTA_BINARY_PACKED => "DELTA_BINARY_PACKED".to_owned(),
        DELTA_LENGTH_BYTE_ARRAY => "DELTA_LENGTH_BYTE_ARRAY".to_owned(),
        DELTA_BYTE_ARRAY => "DELTA_BYTE_ARRAY".to_owned(),
        RLE_DICTIONARY => "RLE_DICTIONARY".to_owned(),
        BYTE_STREAM_SPLIT => "BYTE_STREAM_SPLIT".to_owned(),
        other => format!("{other} (unknown)"),
    }
}

/// Reads bits least significant first, as Parquet packs them.
struct Bits<'a> {
    data: &'a [u8],
    bit: usize,
}

impl Bits<'_> {
    fn read(&mut self, width: u32) -> Option<u64> {
        let mut value = 0u64;
        let mut got = 0u32;
        while got < width {
            let byte = *self.data.get(self.bit / 8)?;
            let shift = (self.bit % 8) as u32;
            let take = (8 - shift).min(width - got);
            let bits = u64::from(byte >> shift) & ((1u64 << take) - 1);
            value |= bits << got;
            got += take;
            self.bit += take as usize;
        }
        Some(value)
    }
}

/// An unsigned LEB128 varint at `data[*pos..]`.
fn varint(data: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let byte = *data.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint longer than 10 bytes".to_owned())
}

fn zigzag(data: &[u8], pos: &mut usize) -> Result<i64, String> {
    let raw = varint(data, pos)?;
    Ok((raw >> 1) as i64 ^ -((raw & 1) as i64))
}

/// The number of bits that hold values up to `max`.
pub(crate) fn bit_width(max: u32) -> u32 {
    32 - max.leading_zeros()
}

/// Decodes `count` values of the RLE/bit-packing hybrid of `width` bits from `data` onto `out`; returns the bytes
/// read. A final bit-packed run may be cut short by the end of the data once it holds the values asked for.
pub(crate) fn hybrid(data: &[u8], width: u32, count: usize, out: &mut Vec<u32>) -> Result<usize, String> {
    if width > 32 {
        return Err(format!("bit width {width} is more than 32"));
    }
    let target = out.len() + count;
    let mut pos = 0;
    while out.len() < target {
        let header = varint(data, &mut pos)?;
        let needed = target - out.len();
        if header & 1 == 1 {
            let groups = usize::try_from(header >> 1).map_err(|_| "bit-packed run too long")?;
            let values = groups.saturating_mul(8);
            let bytes = groups.saturating_mul(width as usize);
            let rest = data.get(pos..).unwrap_or_default();
            let mut bits = Bits { data: rest, bit: 0 };
            for _ in 0..values.min(needed) {
                let value = bits.read(width).ok_or("bit-packed run runs past the data")?;
                out.push(u32::try_from(value).unwrap_or(u32::MAX));
            }
            pos += bytes.min(rest.len());
        } else {
            let run = usize::try_from(header >> 1).map_err(|_| "RLE run too long")?;
            let value_bytes = width.div_ceil(8) as usize;
            let mut value = 0u32;
            for i in 0..value_bytes {
                let byte = *data.get(pos + i).ok_or("truncated RLE run")?;
                value |= u32::from(byte) << (8 * i);
            }
            pos += value_bytes;
            out.extend(std::iter::repeat_n(value, run.min(needed)));
        }
    }
    Ok(pos)
}

/// Decodes `count` values of a DELTA_BINARY_PACKED stream; returns them (as wrapping 64-bit integers) and the
/// bytes read.
fn delta_binary_packed(data: &[u8], count: usize) -> Result<(Vec<i64>, usize), String> {
    let mut pos = 0;
    let block_size = varint(data, &mut pos)?;
    let miniblocks = varint(data, &mut pos)?;
    let total = varint(data, &mut pos)?;
    let first = zigzag(data, &mut pos)?;
    if block_size == 0 || block_size % 128 != 0 || block_size > 1 << 20 {
        return Err(format!("DELTA_BINARY_PACKED block size {block_size}"));
    }
    if miniblocks == 0 || block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0 {
        return Err(format!("DELTA_BINARY_PACKED with {miniblocks} miniblocks in blocks of {block_size}"));
    }
    if total < count as u64 {
        return Err(format!("DELTA_BINARY_PACKED holds {total} values, {count} expected"));
    }
    let per_miniblock = (block_size / miniblocks) as usize;
    let miniblocks = miniblocks as usize;
    // A block holds at most `block_size` values in at least a byte of minimum delta and a byte per miniblock's bit
    // width (a run of equal deltas packs in zero bits), so more values than that cannot be there.
    let most = (data.len() / (1 + miniblocks)).saturating_mul(block_size as usize).saturating_add(1);
    if count > most {
        return Err(format!("DELTA_BINARY_PACKED data too short for {count} values"));
    }
    let mut values = Vec::with_capacity(count);
    if count == 0 {
        return Ok((values, pos));
    }
    values.push(first);
    let mut last = first;
    // Blocks are read while values remain to be produced (a writer emits none after the last value).
    let mut remaining_in_stream = total.saturating_sub(1);
    while remaining_in_stream > 0 {
        let min_delta = zigzag(data, &mut pos)?;
        let widths = data.get(pos..pos + miniblocks).ok_or("truncated DELTA_BINARY_PACKED block")?;
        pos += miniblocks;
        for &width in widths {
            if remaining_in_stream == 0 {
                break;
            }
            if width > 64 {
                return Err(format!("DELTA_BINARY_PACKED bit width {width}"));
            }
            let bytes = per_miniblock * usize::from(width) / 8;
            let body = data.get(pos..).unwrap_or_default();
            let mut bits = Bits { data: body, bit: 0 };
            let in_this = (per_miniblock as u64).min(remaining_in_stream) as usize;
            for _ in 0..in_this {
                let delta = bits.read(u32::from(width)).ok_or("truncated DELTA_BINARY_PACKED miniblock")?;
                last = last.wrapping_add(min_delta).wrapping_add(delta as i64);
                if values.len() < count {
                    values.push(last);
                }
            }
            remaining_in_stream -= in_this as u64;
            if bytes > body.len() {
                return Err("truncated DELTA_BINARY_PACKED miniblock".to_owned());
            }
            pos += bytes;
        }
    }
    Ok((values, pos))
}

/// The values of one page (or a dictionary page) as JSON values.
pub(crate) struct Decoder<'a> {
    pub(crate) physical: Physical,
    pub(crate) kind: Kind,
    pub(crate) dictionary: Option<&'a [Value]>,
}

impl Decoder<'_> {
    /// Decodes `count` values encoded with `encoding` from `data`.
    pub(crate) fn decode(&self, encoding: i32, data: &[u8], count: usize) -> Result<Vec<Value>, String> {
        match encoding {
            PLAIN => self.plain(data, count),
            PLAIN_DICTIONARY | RLE_DICTIONARY => self.dictionary(data, count),
            RLE if self.physical == Physical::Boolean => {
                let [a, b, c, d, ..] = data else { return Err("truncated RLE boolean data".to_owned()) };
                let len = u32::from_le_bytes([*a, *b, *c, *d]) as usize;
                let body = data.get(4..4 + len).ok_or("RLE boolean data runs past the page")?;
                self.check_count(count, body.len().saturating_mul(64).saturating_add(64))?;
                let mut bits = Vec::new();
                hybrid(body, 1, count, &mut bits)?;
                bits.into_iter().map(|bit| self.json(Raw::Boolean(bit != 0))).collect()
            }
            DELTA_BINARY_PACKED => {
                let (values, _) = delta_binary_packed(data, count)?;
                match self.physical {
                    Physical::Int32 => values.into_iter().map(|v| self.json(Raw::Int32(v as i32))).collect(),
                    Physical::Int64 => values.into_iter().map(|v| self.json(Raw::Int64(v))).collect(),
                    other => Err(self.unsupported(encoding, other)),
                }
            }
            DELTA_LENGTH_BYTE_ARRAY if self.physical == Physical::ByteArray => {
                let (lengths, used) = delta_binary_packed(data, count)?;
                let mut pos = used;
                let mut out = Vec::with_capacity(count);
                for length in lengths {
                    let length = usize::try_from(length).map_err(|_| format!("negative byte array length {length}"))?;
                    let bytes = data.get(pos..pos.saturating_add(length)).ok_or("byte array runs past the page")?;
                    pos += length;
                    out.push(self.json(Raw::Bytes(bytes))?);
                }
                Ok(out)
            }
            DELTA_BYTE_ARRAY if matches!(self.physical, Physical::ByteArray | Physical::Fixed(_)) => {
                self.delta_byte_array(data, count)
            }
            BYTE_STREAM_SPLIT => self.byte_stream_split(data, count),
            other => Err(self.unsupported(other, self.physical)),
        }
    }

    fn unsupported(&self, encoding: i32, physical: Physical) -> String {
        format!("unsupported encoding {} for {}", name(encoding), crate::schema::physical_name(physical))
    }

    fn json(&self, raw: Raw<'_>) -> Result<Value, String> {
        json(self.kind, raw)
    }

    /// Refuses a count of values that `data` cannot hold.
    fn check_count(&self, count: usize, most: usize) -> Result<(), String> {
        if count > most {
            Err(format!("{count} values cannot be in {} bytes", most))
        } else {
            Ok(())
        }
    }

    fn plain(&self, data: &[u8], count: usize) -> Result<Vec<Value>, String> {
        let fixed = |width: usize| -> Result<std::slice::ChunksExact<'_, u8>, String> {
            let needed = count.checked_mul(width).ok_or("value count overflows")?;
            let bytes = data.get(..needed).ok_or_else(|| format!("{count} values of {width} bytes in {} bytes", data.len()))?;
            Ok(bytes.chunks_exact(width))
        };
        match self.physical {
            Physical::Boolean => {
                self.check_count(count, data.len().saturating_mul(8))?;
                let mut bits = Bits { data, bit: 0 };
                (0..count).map(|_| self.json(Raw::Boolean(bits.read(1).unwrap_or(0) != 0))).collect()
            }
            Physical::Int32 => fixed(4)?.map(|c| self.json(Raw::Int32(i32::from_le_bytes(array(c))))).collect(),
            Physical::Int64 => fixed(8)?.map(|c| self.json(Raw::Int64(i64::from_le_bytes(array(c))))).collect(),
            Physical::Int96 => fixed(12)?.map(|c| self.json(Raw::Int96(array(c)))).collect(),
            Physical::Float => fixed(4)?.map(|c| self.json(Raw::Float(f32::from_le_bytes(array(c))))).collect(),
            Physical::Double => fixed(8)?.map(|c| self.json(Raw::Double(f64::from_le_bytes(array(c))))).collect(),
            Physical::Fixed(width) => fixed(width)?.map(|c| self.json(Raw::Bytes(c))).collect(),
            Physical::ByteArray => {
                self.check_count(count, data.len() / 4)?;
                let mut out = Vec::with_capacity(count);
                let mut pos = 0usize;
                for _ in 0..count {
                    let Some(&[a, b, c, d]) = data.get(pos..pos + 4) else {
                        return Err("byte array length runs past the page".to_owned());
                    };
                    let len = u32::from_le_bytes([a, b, c, d]) as usize;
                    pos += 4;
                    let bytes = data.get(pos..pos.saturating_add(len)).ok_or("byte array runs past the page")?;
                    pos += len;
                    out.push(self.json(Raw::Bytes(bytes))?);
                }
                Ok(out)
            }
        }
    }

    fn dictionary(&self, data: &[u8], count: usize) -> Result<Vec<Value>, String> {
        let dictionary = self.dictionary.ok_or("a dictionary-encoded page without a dictionary page")?;
        let (&width, body) = data.split_first().ok_or("dictionary-encoded page without a bit width")?;
        let mut indices = Vec::new();
        // Bounded like any hybrid run: a run's length is capped at the values still needed.
        hybrid(body, u32::from(width), count, &mut indices)?;
        indices
            .into_iter()
            .map(|index| {
                dictionary.get(index as usize).cloned().ok_or_else(|| {
                    format!("dictionary index {index} out of range (the dictionary holds {} values)", dictionary.len())
                })
            })
            .collect()
    }

    fn delta_byte_array(&self, data: &[u8], count: usize) -> Result<Vec<Value>, String> {
        let (prefixes, used) = delta_binary_packed(data, count)?;
        let rest = data.get(used..).unwrap_or_default();
        let (suffixes, used) = delta_binary_packed(rest, count)?;
        let mut pos = used;
        let mut previous: Vec<u8> = Vec::new();
        let mut out = Vec::with_capacity(count);
        for (prefix, suffix) in prefixes.into_iter().zip(suffixes) {
            let prefix = usize::try_from(prefix).map_err(|_| format!("negative prefix length {prefix}"))?;
            let suffix = usize::try_from(suffix).map_err(|_| format!("negative suffix length {suffix}"))?;
            if prefix > previous.len() {
                return Err(format!("prefix of {prefix} bytes after a value of {}", previous.len()));
            }
            let bytes = rest.get(pos..pos.saturating_add(suffix)).ok_or("byte array runs past the page")?;
            pos += suffix;
            previous.truncate(prefix);
            previous.extend_from_slice(bytes);
            if let Physical::Fixed(width) = self.physical
                && previous.len() != width
            {
                return Err(format!("a value of {} bytes in a FIXED_LEN_BYTE_ARRAY({width})", previous.len()));
            }
            out.push(self.json(Raw::Bytes(&previous))?);
        }
        Ok(out)
    }

    fn byte_stream_split(&self, data: &[u8], count: usize) -> Result<Vec<Value>, String> {
        let width = match self.physical {
            Physical::Int32 | Physical::Float => 4,
            Physical::Int64 | Physical::Double => 8,
            Physical::Fixed(width) => width,
            other => return Err(self.unsupported(BYTE_STREAM_SPLIT, other)),
        };
        let needed = count.checked_mul(width).ok_or("value count overflows")?;
        if data.len() < needed {
            return Err(format!("{count} values of {width} bytes in {} bytes", data.len()));
        }
        // The streams are as long as the page holds values; `count` may be fewer (the nulls are not there).
        let stream = data.len() / width;
        let mut value = vec![0u8; width];
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            for (k, slot) in value.iter_mut().enumerate() {
                *slot = *data.get(k * stream + i).ok_or("BYTE_STREAM_SPLIT data too short")?;
            }
            let raw = match self.physical {
                Physical::Int32 => Raw::Int32(i32::from_le_bytes(array(&value))),
                Physical::Float => Raw::Float(f32::from_le_bytes(array(&value))),
                Physical::Int64 => Raw::Int64(i64::from_le_bytes(array(&value))),
                Physical::Double => Raw::Double(f64::from_le_bytes(array(&value))),
                _ => Raw::Bytes(&value),
            };
            out.push(self.json(raw)?);
        }
        Ok(out)
    }
}

/// The first `N` bytes of a chunk that has at least `N` (zeros past its end, which `chunks_exact` never leaves).
fn array<const N: usize>(chunk: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.iter_mut().zip(chunk).for_each(|(slot, byte)| *slot = *byte);
    out
}
