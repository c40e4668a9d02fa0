//! One column chunk of a row group read into its levels and values: its pages in order (a dictionary page, data
//! pages v1 and v2, index pages skipped), each decompressed, its levels and values decoded. `crate::assemble`
//! places them in rows.

use serde_json::Value;

use crate::compression::{Codec, decompress};
use crate::encoding::{self, Decoder, bit_width, hybrid};
use crate::metadata::{ColumnChunk, PageHeader, page_header};
use crate::schema::{Leaf, Physical, physical_name};

/// The largest page, compressed or not, this reader accepts: Step Functions refuses row groups over 256 MB.
pub(crate) const MAX_PAGE_BYTES: usize = 256 * 1024 * 1024;

/// What a column chunk's pages hold, before it is placed in rows: one entry per value or null (or empty list).
/// The levels are empty when the leaf's maximum level is 0; otherwise there is one of each per entry.
#[derive(Debug, Default)]
pub(crate) struct Levels {
    pub(crate) definitions: Vec<u16>,
    pub(crate) repetitions: Vec<u16>,
    /// The values present, in order.
    pub(crate) values: Vec<Value>,
    /// Level entries read so far.
    pub(crate) entries: usize,
}

/// Reads the chunk of `column` from `data` (the file before its footer), a row group of `rows` rows. `budget` is how
/// many more level entries this row group may decode; it shrinks by what this chunk decodes.
pub(crate) fn read(data: &[u8], column: &Leaf, chunk: &ColumnChunk, rows: usize, budget: &mut usize) -> Result<Levels, String> {
    if chunk.encrypted {
        return Err("encrypted columns are not supported".to_owned());
    }
    if let Some(path) = &chunk.file_path {
        return Err(format!("the column chunk is in another file ({path}), which is not supported"));
    }
    let meta = chunk.meta.as_ref().ok_or("the column chunk has no metadata")?;
    if meta.path != column.path {
        return Err(format!("the column chunk's path is {:?}, the schema's {:?}", meta.path.join("."), column.path.join(".")));
    }
    if meta.physical != physical_code(column.physical) {
        let names = ["BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"];
        let chunk = usize::try_from(meta.physical).ok().and_then(|i| names.get(i)).map_or_else(|| meta.physical.to_string(), |n| (*n).to_owned());
        return Err(format!("the column chunk's type is {chunk}, the schema's {}", physical_name(column.physical)));
    }
    let codec = Codec::new(meta.codec)?;
    let start = match meta.dictionary_page_offset {
        Some(offset) if offset > 0 && offset < meta.data_page_offset => offset,
        _ => meta.data_page_offset,
    };
    let start = usize::try_from(start).map_err(|_| format!("column chunk offset {start}"))?;
    let length = usize::try_from(meta.total_compressed_size).map_err(|_| format!("column chunk size {}", meta.total_compressed_size))?;
    let bytes = start
        .checked_add(length)
        .and_then(|end| data.get(start..end))
        .ok_or_else(|| format!("the column chunk (bytes {start}..{}) is not inside the file", start.saturating_add(length)))?;
    let expected_entries = usize::try_from(meta.num_values).map_err(|_| format!("column chunk of {} values", meta.num_values))?;

    let mut chunk = Chunk { column, codec, rows, dictionary: None, levels: Levels::default() };
    let mut pos = 0;
    while pos < bytes.len() && chunk.levels.entries < expected_entries {
        let rest = bytes.get(pos..).unwrap_or_default();
        let (header, header_len) = page_header(rest).map_err(|fault| format!("page header at byte {}: {}", start + pos, fault.0))?;
        pos += header_len;
        let compressed = size(header.compressed_size, "compressed page size")?;
        let page = bytes
            .get(pos..pos + compressed)
            .ok_or_else(|| format!("a page of {compressed} bytes runs past the column chunk"))?;
        pos += compressed;
        let uncompressed = size(header.uncompressed_size, "uncompressed page size")?;
        match header.kind {
            2 => chunk.dictionary_page(&header, page, uncompressed)?,
            0 => chunk.data_page_v1(&header, page, uncompressed, budget)?,
            3 => chunk.data_page_v2(&header, page, uncompressed, budget)?,
            1 => {}
            other => return Err(format!("unknown page type {other}")),
        }
    }
    let levels = chunk.levels;
    let complete = (column.max_definition == 0 || levels.definitions.len() == levels.entries)
        && (column.max_repetition == 0 || levels.repetitions.len() == levels.entries);
    if !complete {
        return Err("the levels do not match the values".to_owned());
    }
    Ok(levels)
}

/// A column chunk being read: what its pages are read with, and what they gave so far.
struct Chunk<'a> {
    column: &'a Leaf,
    codec: Codec,
    /// The row group's rows.
    rows: usize,
    dictionary: Option<Vec<Value>>,
    levels: Levels,
}

fn physical_code(physical: Physical) -> i32 {
    match physical {
        Physical::Boolean => 0,
        Physical::Int32 => 1,
        Physical::Int64 => 2,
        Physical::Int96 => 3,
        Physical::Float => 4,
        Physical::Double => 5,
        Physical::ByteArray => 6,
        Physical::Fixed(_) => 7,
    }
}

fn size(value: i32, what: &str) -> Result<usize, String> {
    match usize::try_from(value) {
        Ok(size) if size <= MAX_PAGE_BYTES => Ok(size),
        _ => Err(format!("{what} {value} (at most {MAX_PAGE_BYTES} bytes are read)")),
    }
}

impl Chunk<'_> {
    fn dictionary_page(&mut self, header: &PageHeader, page: &[u8], uncompressed: usize) -> Result<(), String> {
        if self.dictionary.is_some() {
            return Err("a second dictionary page".to_owned());
        }
        let info = header.dictionary.as_ref().ok_or("a dictionary page without its header")?;
        if info.encoding != encoding::PLAIN && info.encoding != encoding::PLAIN_DICTIONARY {
            return Err(format!("unsupported dictionary encoding {}", encoding::name(info.encoding)));
        }
        let count = usize::try_from(info.num_values).map_err(|_| format!("dictionary of {} values", info.num_values))?;
        let bytes = decompress(self.codec, page, uncompressed)?;
        let decoder = Decoder { physical: self.column.physical, kind: self.column.kind, dictionary: None };
        let values = decoder.decode(encoding::PLAIN, &bytes, count).map_err(|e| format!("dictionary page: {e}"))?;
        self.dictionary = Some(values);
        Ok(())
    }

    /// Takes `count` level entries from the row group's budget, and outside lists checks they fit in the rows.
    fn reserve(&self, count: usize, budget: &mut usize) -> Result<(), String> {
        if count > *budget {
            return Err(format!("a page of {count} values would pass the {} values this reader decodes per row group", crate::MAX_CELLS));
        }
        if self.column.max_repetition == 0 && self.levels.entries + count > self.rows {
            return Err(format!("pages hold more than the row group's {} rows", self.rows));
        }
        *budget -= count;
        Ok(())
    }

    fn data_page_v1(&mut self, header: &PageHeader, page: &[u8], uncompressed: usize, budget: &mut usize) -> Result<(), String> {
        let info = header.data.as_ref().ok_or("a data page without its header")?;
        let count = usize::try_from(info.num_values).map_err(|_| format!("a page of {} values", info.num_values))?;
        self.reserve(count, budget)?;
        let bytes = decompress(self.codec, page, uncompressed)?;
        let (column, levels) = (self.column, &mut self.levels);
        let mut pos = 0;
        if column.max_repetition > 0 {
            pos += v1_levels(&bytes, info.repetition_encoding, column.max_repetition, count, &mut levels.repetitions, "repetition")?;
        }
        if column.max_definition > 0 {
            let rest = bytes.get(pos..).unwrap_or_default();
            pos += v1_levels(rest, info.definition_encoding, column.max_definition, count, &mut levels.definitions, "definition")?;
        }
        self.values(info.encoding, bytes.get(pos..).unwrap_or_default(), count)
    }

    fn data_page_v2(&mut self, header: &PageHeader, page: &[u8], uncompressed: usize, budget: &mut usize) -> Result<(), String> {
        let info = header.data_v2.as_ref().ok_or("a data page v2 without its header")?;
        let count = usize::try_from(info.num_values).map_err(|_| format!("a page of {} values", info.num_values))?;
        if info.num_rows < 0 {
            return Err(format!("a page of {} rows", info.num_rows));
        }
        self.reserve(count, budget)?;
        let repetition = usize::try_from(info.repetition_length).map_err(|_| "negative repetition levels length")?;
        let definition = usize::try_from(info.definition_length).map_err(|_| "negative definition levels length")?;
        let levels_len = repetition.checked_add(definition).filter(|&n| n <= page.len()).ok_or("levels run past the page")?;
        let (level_bytes, rest) = page.split_at(levels_len);
        let (repetition_bytes, definition_bytes) = level_bytes.split_at(repetition);
        let (column, levels) = (self.column, &mut self.levels);
        if column.max_repetition > 0 {
            decode_levels(repetition_bytes, column.max_repetition, count, &mut levels.repetitions, "repetition")?;
        }
        if column.max_definition > 0 {
            decode_levels(definition_bytes, column.max_definition, count, &mut levels.definitions, "definition")?;
        }
        let values_size = uncompressed.checked_sub(levels_len).ok_or("levels longer than the uncompressed page")?;
        let values = if info.compressed { decompress(self.codec, rest, values_size)? } else { rest.to_vec() };
        self.values(info.encoding, &values, count)
    }

    /// Decodes the values of a page of `count` entries, whose levels are read: as many as the levels say are
    /// present.
    fn values(&mut self, encoding: i32, bytes: &[u8], count: usize) -> Result<(), String> {
        let column = self.column;
        let present = if column.max_definition == 0 {
            count
        } else {
            let page_levels = self.levels.definitions.get(self.levels.entries..).unwrap_or_default();
            page_levels.iter().filter(|&&level| level == column.max_definition).count()
        };
        let decoder = Decoder { physical: column.physical, kind: column.kind, dictionary: self.dictionary.as_deref() };
        let values = decoder.decode(encoding, bytes, present)?;
        if values.len() != present {
            return Err(format!("the page holds {} values, its levels say {present}", values.len()));
        }
        self.levels.values.extend(values);
        self.levels.entries += count;
        Ok(())
    }
}

/// The levels of a v1 page: length-prefixed RLE, or the deprecated BIT_PACKED of early writers; returns the bytes
/// they take.
fn v1_levels(bytes: &[u8], encoding_: i32, max: u16, count: usize, out: &mut Vec<u16>, what: &str) -> Result<usize, String> {
    if encoding_ == encoding::BIT_PACKED {
        return bit_packed_levels(bytes, max, count, out, what);
    }
    if encoding_ != encoding::RLE {
        return Err(format!("unsupported {what} level encoding {}", encoding::name(encoding_)));
    }
    let Some(&[a, b, c, d]) = bytes.get(..4) else { return Err(format!("truncated {what} levels")) };
    let len = u32::from_le_bytes([a, b, c, d]) as usize;
    let body = bytes.get(4..4usize.saturating_add(len)).ok_or_else(|| format!("{what} levels run past the page"))?;
    decode_levels(body, max, count, out, what)?;
    Ok(4 + len)
}

/// BIT_PACKED levels: `count` values of the levels' bit width, packed from each byte's most significant bit, with
/// no length before them.
pub(crate) fn bit_packed_levels(bytes: &[u8], max: u16, count: usize, out: &mut Vec<u16>, what: &str) -> Result<usize, String> {
    let width = bit_width(u32::from(max)) as usize;
    let len = count.checked_mul(width).map(|bits| bits.div_ceil(8)).ok_or("level count overflows")?;
    let body = bytes.get(..len).ok_or_else(|| format!("{what} levels run past the page"))?;
    for i in 0..count {
        let mut level = 0u16;
        for bit in i * width..(i + 1) * width {
            let byte = body.get(bit / 8).copied().unwrap_or(0);
            level = (level << 1) | u16::from((byte >> (7 - bit % 8)) & 1);
        }
        if level > max {
            return Err(format!("{what} level {level} above the column's maximum {max}"));
        }
        out.push(level);
    }
    Ok(len)
}

fn decode_levels(body: &[u8], max: u16, count: usize, out: &mut Vec<u16>, what: &str) -> Result<(), String> {
    let mut raw = Vec::new();
    hybrid(body, bit_width(u32::from(max)), count, &mut raw).map_err(|e| format!("{what} levels: {e}"))?;
    for level in raw {
        match u16::try_from(level) {
            Ok(level) if level <= max => out.push(level),
            _ => return Err(format!("{what} level {level} above the column's maximum {max}")),
        }
    }
    Ok(())
}
