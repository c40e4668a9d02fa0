//! Raw Snappy decompression (the block format, without the framing format), as Parquet's SNAPPY codec stores pages.
//!
//! The stream is a varint of the uncompressed length, then elements: literals (bytes copied from the input) and
//! copies (bytes repeated from the output so far, at an offset of 1 to 2^32 − 1). The caller's `limit` bounds the
//! output; the announced length must match it and is never allocated before the bytes are there to fill it.

/// Decompresses `input`, which must expand to exactly `expected` bytes.
pub(crate) fn decompress(input: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let mut pos = 0;
    let announced = varint(input, &mut pos)?;
    if announced != expected as u64 {
        return Err(format!("snappy data announces {announced} bytes, the page header {expected}"));
    }
    // A Snappy element expands at most about 64 times, so more than that is not there to be read.
    let mut out = Vec::with_capacity(expected.min(input.len().saturating_mul(64)));
    while pos < input.len() {
        let tag = byte(input, &mut pos)?;
        let (len, offset) = match tag & 3 {
            0 => {
                let short = usize::from(tag >> 2);
                let len = if short < 60 {
                    short + 1
                } else {
                    let width = short - 59;
                    let mut len = 0usize;
                    for i in 0..width {
                        len |= usize::from(byte(input, &mut pos)?) << (8 * i);
                    }
                    len.checked_add(1).ok_or("snappy literal length overflows")?
                };
                let end = pos.checked_add(len).filter(|&end| end <= input.len()).ok_or("snappy literal runs past the input")?;
                if out.len() + len > expected {
                    return Err(format!("snappy data expands past the announced {expected} bytes"));
                }
                out.extend_from_slice(input.get(pos..end).ok_or("snappy literal runs past the input")?);
                pos = end;
                continue;
            }
            1 => {
                let len = 4 + usize::from((tag >> 2) & 7);
                let offset = (usize::from(tag >> 5) << 8) | usize::from(byte(input, &mut pos)?);
                (len, offset)
            }
            2 => {
                let len = 1 + usize::from(tag >> 2);
                let offset = usize::from(u16::from_le_bytes([byte(input, &mut pos)?, byte(input, &mut pos)?]));
                (len, offset)
            }
            _ => {
                let len = 1 + usize::from(tag >> 2);
                let bytes = [byte(input, &mut pos)?, byte(input, &mut pos)?, byte(input, &mut pos)?, byte(input, &mut pos)?];
                (len, u32::from_le_bytes(bytes) as usize)
            }
        };
        if offset == 0 || offset > out.len() {
            return Err(format!("snappy copy from offset {offset} with {} bytes written", out.len()));
        }
        if out.len() + len > expected {
            return Err(format!("snappy data expands past the announced {expected} bytes"));
        }
        copy_back(&mut out, offset, len);
    }
    if out.len() != expected {
        return Err(format!("snappy data expands to {} bytes, {expected} announced", out.len()));
    }
    Ok(out)
}

/// Appends `len` bytes copied from `offset` bytes back (`1 <= offset <= out.len()`). When the copy overlaps what it
/// writes, the pattern of `offset` bytes repeats: it is copied in growing chunks that never overlap.
pub(crate) fn copy_back(out: &mut Vec<u8>, offset: usize, len: usize) {
    let start = out.len() - offset;
    let mut left = len;
    while left > 0 {
        let chunk = left.min(out.len() - start);
        out.extend_from_within(start..start + chunk);
        left -= chunk;
    }
}

fn byte(input: &[u8], pos: &mut usize) -> Result<u8, String> {
    let byte = *input.get(*pos).ok_or("truncated snappy data")?;
    *pos += 1;
    Ok(byte)
}

fn varint(input: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..35).step_by(7) {
        let byte = byte(input, pos)?;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("snappy length varint longer than 5 bytes".to_owned())
}
