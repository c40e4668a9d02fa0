//! Page decompression by the column chunk's codec: UNCOMPRESSED, SNAPPY (`crate::snappy`), GZIP (RFC 1952 members
//! around DEFLATE, inflated by `miniz_oxide`) and ZSTD (`crate::zstd`). LZO, BROTLI, LZ4 and LZ4_RAW are refused by
//! name. Every codec must produce exactly the page header's uncompressed size, which bounds the output.

use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// `CompressionCodec`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Uncompressed,
    Snappy,
    Gzip,
    Zstd,
}

impl Codec {
    /// The codec of a `CompressionCodec` number, or the name of an unsupported one.
    pub(crate) fn new(code: i32) -> Result<Codec, String> {
        match code {
            0 => Ok(Codec::Uncompressed),
            1 => Ok(Codec::Snappy),
            2 => Ok(Codec::Gzip),
            6 => Ok(Codec::Zstd),
            3 => Err("unsupported compression LZO".to_owned()),
            4 => Err("unsupported compression BROTLI".to_owned()),
            5 => Err("unsupported compression LZ4".to_owned()),
            7 => Err("unsupported compression LZ4_RAW".to_owned()),
            other => Err(format!("unknown compression codec {other}")),
        }
    }
}

/// Decompresses a page's bytes, which must expand to exactly `expected` bytes.
pub(crate) fn decompress(codec: Codec, input: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let out = match codec {
        Codec::Uncompressed => input.to_vec(),
        Codec::Snappy => crate::snappy::decompress(input, expected)?,
        Codec::Gzip => gzip(input, expected)?,
        Codec::Zstd => crate::zstd::decompress(input, expected)?,
    };
    if out.len() != expected {
        return Err(format!("the page decompresses to {} bytes, its header says {expected}", out.len()));
    }
    Ok(out)
}

/// Inflates one or more gzip members.
fn gzip(input: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut rest = input;
    loop {
        let body = gzip_header(rest)?;
        let consumed = inflate_raw(body, expected, &mut out)?;
        // CRC-32 and ISIZE follow the DEFLATE stream; the page header's size is checked instead.
        let end = consumed.checked_add(8).filter(|&end| end <= body.len()).ok_or("truncated gzip trailer")?;
        rest = body.get(end..).unwrap_or_default();
        if rest.is_empty() || out.len() >= expected {
            return Ok(out);
        }
    }
}

/// Checks a gzip member's header and returns what follows it.
fn gzip_header(input: &[u8]) -> Result<&[u8], String> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let [0x1f, 0x8b, 8, flags, _, _, _, _, _, _, ..] = input else {
        return Err("not a gzip stream (no gzip header with DEFLATE)".to_owned());
    };
    let mut pos = 10;
    if flags & FEXTRA != 0 {
        let Some(&[lo, hi]) = input.get(pos..pos + 2) else { return Err("truncated gzip header".to_owned()) };
        pos += 2 + usize::from(u16::from_le_bytes([lo, hi]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = input.get(pos..).and_then(|rest| rest.iter().position(|&b| b == 0)).ok_or("truncated gzip header")?;
            pos += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        pos += 2;
    }
    input.get(pos..).ok_or_else(|| "truncated gzip header".to_owned())
}

/// Inflates one raw DEFLATE stream onto `out`, never past `limit` bytes in all; returns the input bytes it used.
fn inflate_raw(input: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<usize, String> {
    let mut state = InflateState::new_boxed(DataFormat::Raw);
    let mut consumed = 0;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let rest = input.get(consumed..).unwrap_or_default();
        let result = inflate(&mut state, rest, &mut chunk, MZFlush::None);
        consumed += result.bytes_consumed;
        if out.len() + result.bytes_written > limit {
            return Err(format!("gzip data expands past the announced {limit} bytes"));
        }
        out.extend_from_slice(chunk.get(..result.bytes_written).unwrap_or_default());
        match result.status {
            Ok(MZStatus::StreamEnd) => return Ok(consumed),
            Ok(_) if result.bytes_consumed == 0 && result.bytes_written == 0 => {
                return Err("truncated gzip data".to_owned());
            }
            Ok(_) | Err(MZError::Buf) if result.bytes_consumed > 0 || result.bytes_written > 0 => {}
            Ok(_) | Err(MZError::Buf) => return Err("truncated gzip data".to_owned()),
            Err(error) => return Err(format!("damaged gzip data ({error:?})")),
        }
    }
}
