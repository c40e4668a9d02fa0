//! The request checksums S3 asks for (`httpChecksum`): CRC32 and CRC32C of the body, sent big-endian in base64 as
//! `x-amz-checksum-crc32` / `x-amz-checksum-crc32c`. S3 takes one in place of `Content-MD5` where a checksum is
//! required (`DeleteObjects`, `PutBucketLifecycleConfiguration`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// The reflected polynomial of CRC32 (ISO-HDLC, zlib's).
const CRC32: u32 = 0xEDB8_8320;
/// The reflected polynomial of CRC32C (Castagnoli).
const CRC32C: u32 = 0x82F6_3B78;

/// The lookup tables, built at compile time.
static CRC32_TABLE: [u32; 256] = table(CRC32);
static CRC32C_TABLE: [u32; 256] = table(CRC32C);

/// A checksum algorithm Baton computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Crc32,
    Crc32c,
}

impl Algorithm {
    /// The algorithm S3 names `name` (`CRC32`, `CRC32C`), when Baton computes it.
    pub(crate) fn named(name: &str) -> Option<Algorithm> {
        match name.to_ascii_uppercase().as_str() {
            "CRC32" => Some(Algorithm::Crc32),
            "CRC32C" => Some(Algorithm::Crc32c),
            _ => None,
        }
    }

    /// The header that carries it.
    pub(crate) fn header(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "x-amz-checksum-crc32",
            Algorithm::Crc32c => "x-amz-checksum-crc32c",
        }
    }

    /// The checksum of `body`, as the header carries it.
    pub(crate) fn of(self, body: &[u8]) -> String {
        let table = match self {
            Algorithm::Crc32 => &CRC32_TABLE,
            Algorithm::Crc32c => &CRC32C_TABLE,
        };
        let crc = body.iter().fold(!0u32, |crc, &byte| {
            let index = usize::from((crc as u8) ^ byte);
            table.get(index).copied().unwrap_or_default() ^ (crc >> 8)
        });
        BASE64.encode((!crc).to_be_bytes())
    }
}

/// The byte-at-a-time table of the reflected polynomial `poly`.
const fn table(poly: u32) -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ poly } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}
