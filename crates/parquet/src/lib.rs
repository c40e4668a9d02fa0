//! Apache Parquet files read as rows of JSON values, for a distributed Map's `ItemReader` with
//! `ReaderConfig.InputType: PARQUET`: Step Functions reads the object and makes each row an item, an object whose keys
//! are the top-level fields in schema order.
//!
//! Pure: the caller hands over the file's bytes; no I/O, no clock, no environment. The decoder is this crate's own
//! (footer, Thrift compact protocol, encodings, Snappy, ZSTD); GZIP pages are inflated by `miniz_oxide`. These are
//! the codecs Step Functions documents for Parquet input (GZIP, ZSTD, Snappy), plus uncompressed pages. Hostile input
//! gives an `Error`, never a panic, and no size read from the file is allocated before it is checked against the
//! input that remains (or, for decompressed and run-length data, against the limits below).
//!
//! # Values
//!
//! | Parquet | JSON |
//! | --- | --- |
//! | null (an optional field's missing value) | `null` |
//! | BOOLEAN | `true` / `false` |
//! | INT32, INT64, INT(8/16/32/64, signed or unsigned) | a number (exact: unsigned 64-bit values above `i64::MAX` too) |
//! | FLOAT, DOUBLE, FLOAT16 | a number; a FLOAT is its shortest decimal (`1.1`, not `1.100000023841858`); NaN and infinities, which JSON lacks, are the strings `"NaN"`, `"Infinity"`, `"-Infinity"` |
//! | DECIMAL (on INT32, INT64, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY) | a string holding the exact decimal (`"-123.45"`): a JSON number would lose digits past 2^53 once read as a double |
//! | STRING / UTF8, ENUM, JSON | a string (the JSON text is not parsed; invalid UTF-8 is replaced with U+FFFD) |
//! | DATE | `"YYYY-MM-DD"` |
//! | TIME (millis, micros, nanos) | `"HH:MM:SS.fff"` with 3, 6 or 9 fraction digits |
//! | TIMESTAMP (millis, micros, nanos), TIMESTAMP_MILLIS/MICROS | `"YYYY-MM-DDTHH:MM:SS.fffZ"` with 3, 6 or 9 fraction digits; without the `Z` when not adjusted to UTC |
//! | INT96 (Impala, Hive, Athena timestamps) | like a timestamp in nanoseconds not adjusted to UTC (no `Z`) |
//! | UUID | `"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"` |
//! | BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY without a text meaning, BSON, INTERVAL | base64 (standard alphabet, padded) |
//! | UNKNOWN (the null logical type) | `null` |
//! | a group (struct) | an object of its fields, in schema order (`null` when the group is null) |
//! | a LIST (3-level, or the format's legacy forms), a repeated field | an array (`null` when the list is null) |
//! | a MAP | an object: a string key as it is, any other key as its JSON text (`1` → `"1"`); a repeated key keeps its last value |
//!
//! These nest: lists of structs, maps in lists, lists of lists. Years outside 0000–9999 are written with a sign, as
//! ISO 8601's expanded form.
//!
//! # Not supported (an `Error` names what and where)
//!
//! Encrypted files and columns; column chunks in other files; LZO, BROTLI, LZ4 and LZ4_RAW compression (Step
//! Functions documents GZIP, ZSTD and Snappy only); ZSTD dictionaries.
//!
//! # Limits
//!
//! As Step Functions documents for Parquet input: a footer of at most 5 MB and row groups of at most 256 MB
//! (`total_byte_size`, the uncompressed size); and at most `MAX_CELLS` decoded values per row group.

#[cfg(test)]
mod tests;

mod assemble;
mod column;
mod compression;
mod encoding;
mod metadata;
mod schema;
mod snappy;
mod thrift;
mod value;
mod zstd;

use serde_json::{Map, Value};

use crate::metadata::RowGroup;
use crate::schema::{Field, Leaf};

/// One row: the top-level fields by name, in schema order.
pub type Row = Map<String, Value>;

/// The largest footer Step Functions reads (5 MB).
pub const MAX_FOOTER_BYTES: usize = 5 * 1024 * 1024;

/// The largest row group Step Functions reads (256 MB, uncompressed).
pub const MAX_ROW_GROUP_BYTES: u64 = 256 * 1024 * 1024;

/// The most values (one per row and column, or per list element) this reader decodes for one row group: a 256 MB
/// row group of 4-byte values holds this many. It bounds the memory a small file of long runs can ask for.
pub const MAX_CELLS: usize = 64 * 1024 * 1024;

/// Why a file cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a Parquet file (too short, or no `PAR1` at either end).
    #[error("not a Parquet file: {0}")]
    NotParquet(String),
    /// The footer is larger than Step Functions reads.
    #[error("the footer is {size} bytes; Step Functions reads footers of at most {MAX_FOOTER_BYTES} bytes")]
    FooterTooLarge { size: usize },
    /// The footer (`FileMetaData`, the schema tree) is malformed.
    #[error("footer: {0}")]
    Footer(String),
    /// A top-level field this reader cannot turn into JSON.
    #[error("column `{column}`: {message}")]
    Schema { column: String, message: String },
    /// A row group as a whole is malformed or too large.
    #[error("row group {row_group}: {message}")]
    RowGroup { row_group: usize, message: String },
    /// A column chunk of a row group is malformed or uses what this reader does not support.
    #[error("column `{column}`, row group {row_group}: {message}")]
    Column { column: String, row_group: usize, message: String },
}

/// A problem found inside a structure, before the caller says where the structure is.
#[derive(Debug)]
pub(crate) struct Fault(pub(crate) String);

/// Every row of a Parquet file, in file order.
pub fn read(bytes: &[u8]) -> Result<Vec<Row>, Error> {
    let mut rows = Vec::new();
    for group in row_groups(bytes)? {
        rows.extend(group?);
    }
    Ok(rows)
}

/// The file's row groups one at a time, so that a caller holds the rows of one row group only. The footer and the
/// schema are checked here; each row group is decoded when the iterator reaches it. After an error the iterator
/// ends.
pub fn row_groups(bytes: &[u8]) -> Result<RowGroups<'_>, Error> {
    const MAGIC: &[u8] = b"PAR1";
    if bytes.len() < 12 {
        return Err(Error::NotParquet(format!("{} bytes are too few", bytes.len())));
    }
    let (head, _) = bytes.split_at(4);
    let (rest, tail) = bytes.split_at(bytes.len() - 8);
    let (length, magic) = tail.split_at(4);
    if magic == b"PARE" {
        return Err(Error::NotParquet("encrypted Parquet files (PARE) are not supported".to_owned()));
    }
    if head != MAGIC || magic != MAGIC {
        return Err(Error::NotParquet("no PAR1 magic at its start and end".to_owned()));
    }
    let length = u32::from_le_bytes(<[u8; 4]>::try_from(length).unwrap_or_default()) as usize;
    if length > MAX_FOOTER_BYTES {
        return Err(Error::FooterTooLarge { size: length });
    }
    let footer_start = rest
        .len()
        .checked_sub(length)
        .filter(|&start| start >= 4)
        .ok_or_else(|| Error::Footer(format!("a footer of {length} bytes does not fit in a file of {} bytes", bytes.len())))?;
    let (data, footer) = rest.split_at(footer_start);
    let metadata = metadata::file_metadata(footer).map_err(|fault| Error::Footer(fault.0))?;
    let (fields, leaves) = schema::fields(&metadata.schema)?;
    Ok(RowGroups {
        data,
        fields,
        leaves,
        num_rows: u64::try_from(metadata.num_rows).unwrap_or(0),
        groups: metadata.row_groups.into_iter(),
        index: 0,
        done: false,
    })
}

/// The row groups of a file, each decoded when reached (`row_groups`).
pub struct RowGroups<'a> {
    /// The file up to its footer.
    data: &'a [u8],
    fields: Vec<Field>,
    leaves: Vec<Leaf>,
    num_rows: u64,
    groups: std::vec::IntoIter<RowGroup>,
    index: usize,
    done: bool,
}

impl RowGroups<'_> {
    /// The number of rows the footer announces for the whole file.
    pub fn num_rows(&self) -> u64 {
        self.num_rows
    }

    fn decode(&self, index: usize, group: &RowGroup) -> Result<Vec<Row>, Error> {
        let group_error = |message: String| Error::RowGroup { row_group: index, message };
        let rows = usize::try_from(group.num_rows).map_err(|_| group_error(format!("{} rows", group.num_rows)))?;
        if u64::try_from(group.total_byte_size).is_ok_and(|size| size > MAX_ROW_GROUP_BYTES) {
            return Err(group_error(format!(
                "{} bytes; Step Functions reads row groups of at most {MAX_ROW_GROUP_BYTES} bytes",
                group.total_byte_size
            )));
        }
        if rows.saturating_mul(self.leaves.len().max(1)) > MAX_CELLS {
            return Err(group_error(format!(
                "{rows} rows of {} columns are more than the {MAX_CELLS} values this reader decodes per row group",
                self.leaves.len()
            )));
        }
        if group.columns.len() != self.leaves.len() {
            return Err(group_error(format!(
                "{} column chunks for the schema's {} columns",
                group.columns.len(),
                self.leaves.len()
            )));
        }
        let mut budget = MAX_CELLS;
        let mut fields = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            let mut levels = Vec::with_capacity(field.leaves.len());
            for (leaf, chunk) in self.leaves.iter().zip(&group.columns).skip(field.leaves.start).take(field.leaves.len()) {
                let column_error = |message| Error::Column { column: leaf.path.join("."), row_group: index, message };
                levels.push(column::read(self.data, leaf, chunk, rows, &mut budget).map_err(column_error)?);
            }
            let values = assemble::field(field, levels, rows).map_err(|message| Error::Column {
                column: field.name.clone(),
                row_group: index,
                message,
            })?;
            fields.push(values.into_iter());
        }
        let mut out = Vec::with_capacity(rows);
        for _ in 0..rows {
            let mut row = Map::with_capacity(self.fields.len());
            for (field, values) in self.fields.iter().zip(fields.iter_mut()) {
                row.insert(field.name.clone(), values.next().unwrap_or(Value::Null));
            }
            out.push(row);
        }
        Ok(out)
    }
}

impl Iterator for RowGroups<'_> {
    type Item = Result<Vec<Row>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let group = self.groups.next()?;
        let index = self.index;
        self.index += 1;
        let result = self.decode(index, &group);
        self.done = result.is_err();
        Some(result)
    }
}
