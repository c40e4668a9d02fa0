//! The content of an S3 object from a `getObject` answer, as bytes: the `Body` as text, or decoded from base64 when
//! the answer says it is (`BatonBodyEncoding`, which `integrations::aws` adds for objects that are not UTF-8), then
//! decompressed when it is gzip (RFC 1952, recognised by its magic bytes, whatever the key's extension). The
//! developer guide lists GZIP and ZSTD as the compressions a reader's files may have; ZSTD is recognised and refused.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
use serde_json::Value;

/// The field of a `getObject` answer whose value `base64` says the `Body` is base64 (`integrations::aws`).
const BODY_ENCODING: &str = "BatonBodyEncoding";

/// The most one file may hold once decompressed: the developer guide's 10 GB for an S3 inventory's files, and for
/// any file a reader reads.
const MAX_FILE_BYTES: u64 = 10 * 1000 * 1000 * 1000;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The object's bytes as the answer gives them (base64 decoded), not decompressed. No `Body` is an empty object (S3
/// gives none).
pub(super) fn raw(answer: &Value) -> Result<Cow<'_, [u8]>, String> {
    Ok(match answer.get("Body") {
        None | Some(Value::Null) => Cow::Borrowed(&[]),
        Some(Value::String(body)) if answer.get(BODY_ENCODING).and_then(Value::as_str) == Some("base64") => {
            Cow::Owned(BASE64.decode(body).map_err(|e| format!("the object's content is not valid base64: {e}"))?)
        }
        Some(Value::String(text)) => Cow::Borrowed(text.as_bytes()),
        // A stand-in may answer with the content already parsed.
        Some(other) => Cow::Owned(other.to_string().into_bytes()),
    })
}

/// Whether bytes start as a compressed file (gzip or ZSTD) does.
pub(super) fn compressed(raw: &[u8]) -> bool {
    raw.starts_with(&GZIP_MAGIC) || raw.starts_with(&ZSTD_MAGIC)
}

/// The object's bytes, decompressed. No `Body` is an empty object (S3 gives none).
pub(super) fn bytes(answer: &Value) -> Result<Cow<'_, [u8]>, String> {
    let raw = raw(answer)?;
    if raw.starts_with(&GZIP_MAGIC) {
        let limit = usize::try_from(MAX_FILE_BYTES).unwrap_or(usize::MAX);
        return gunzip(&raw, limit).map(Cow::Owned);
    }
    if raw.starts_with(&ZSTD_MAGIC) {
        return Err("the object is compressed with ZSTD, which Baton does not decompress yet".to_owned());
    }
    Ok(raw)
}

/// `bytes` as UTF-8 text (a byte-order mark at the start is dropped).
pub(super) fn text(bytes: &[u8]) -> Result<&str, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| format!("the content is not UTF-8 text: {e}"))
}

/// A gzip file's content: its members inflated one after the other, each checked against its CRC-32 and length.
/// Bytes after the last member that do not start another are ignored, as `gzip -d` does. At most `limit` bytes.
pub(super) fn gunzip(data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut rest = data;
    while rest.starts_with(&GZIP_MAGIC) {
        let deflated = member_data(rest)?;
        let (inflated, used) = inflate(deflated, limit.saturating_sub(out.len()))?;
        let trailer = deflated.get(used..used.saturating_add(8)).ok_or_else(|| "the gzip data ends before its trailer".to_owned())?;
        let word = |at: usize| trailer.get(at..at + 4).and_then(|b| b.try_into().ok()).map_or(0, u32::from_le_bytes);
        if word(0) != crc32(&inflated) {
            return Err("the gzip data is damaged: its CRC-32 does not match".to_owned());
        }
        // ISIZE is the length modulo 2^32.
        if u64::from(word(4)) != (inflated.len() as u64 & 0xffff_ffff) {
            return Err("the gzip data is damaged: its length does not match".to_owned());
        }
        out.extend_from_slice(&inflated);
        rest = deflated.get(used + 8..).unwrap_or_default();
    }
    Ok(out)
}

/// The deflate data of the gzip member `member` starts with, after its header (RFC 1952 §2.3).
fn member_data(member: &[u8]) -> Result<&[u8], String> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let short = || "the gzip data ends inside a header".to_owned();
    let header = member.get(..10).ok_or_else(short)?;
    let (method, flags) = (header.get(2).copied().unwrap_or(0), header.get(3).copied().unwrap_or(0));
    if method != 8 {
        return Err(format!("the gzip data uses compression method {method}, not deflate (8)"));
    }
    if flags & 0xe0 != 0 {
        return Err(format!("the gzip header has reserved flags set ({flags:#04x})"));
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let length = member.get(at..at + 2).ok_or_else(short)?;
        at += 2 + usize::from(u16::from_le_bytes([length.first().copied().unwrap_or(0), length.get(1).copied().unwrap_or(0)]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = member.get(at..).and_then(|rest| rest.iter().position(|&b| b == 0)).ok_or_else(short)?;
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    member.get(at..).ok_or_else(short)
}

/// Raw deflate data inflated, with how many bytes of `input` it took; more than `limit` bytes out is an error.
fn inflate(input: &[u8], limit: usize) -> Result<(Vec<u8>, usize), String> {
    let too_large = || format!("the object holds more than {MAX_FILE_BYTES} bytes once decompressed, Step Functions' limit");
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let mut decompressor = Box::<DecompressorOxide>::default();
    let mut out = vec![0; input.len().saturating_mul(4).clamp(1, limit.max(1))];
    let (mut read, mut written) = (0, 0);
    loop {
        let (status, used, produced) = decompress(&mut decompressor, input.get(read..).unwrap_or_default(), &mut out, written, flags);
        read += used;
        written += produced;
        match status {
            TINFLStatus::Done if written <= limit => {
                out.truncate(written);
                return Ok((out, read));
            }
            TINFLStatus::Done => return Err(too_large()),
            TINFLStatus::HasMoreOutput if out.len() >= limit => return Err(too_large()),
            TINFLStatus::HasMoreOutput => {
                let grown = out.len().saturating_mul(2).min(limit);
                out.resize(grown, 0);
            }
            TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                return Err("the gzip data ends early".to_owned());
            }
            _ => return Err("the gzip data is damaged".to_owned()),
        }
    }
}

/// CRC-32 (ISO-HDLC, as gzip uses), a table at a time.
pub(super) fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0_u32, |crc, &byte| {
        let index = usize::from((crc as u8) ^ byte);
        CRC_TABLE.get(index).copied().unwrap_or(0) ^ (crc >> 8)
    })
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0_u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};
