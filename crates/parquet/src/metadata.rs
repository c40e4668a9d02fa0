//! The parts of Parquet's Thrift structures that a reader of rows needs: `FileMetaData` (schema, row groups, column
//! chunks) and `PageHeader`, decoded from the compact protocol. Field ids follow `parquet.thrift` of the format
//! specification; fields this crate does not use (statistics, indexes, bloom filters, encryption keys) are skipped.

use crate::Fault;
use crate::thrift::Reader;

/// `FileMetaData`.
#[derive(Debug)]
pub(crate) struct FileMetaData {
    pub(crate) schema: Vec<SchemaElement>,
    pub(crate) num_rows: i64,
    pub(crate) row_groups: Vec<RowGroup>,
}

/// `SchemaElement`: a node of the schema tree, flattened depth first.
#[derive(Debug, Clone)]
pub(crate) struct SchemaElement {
    /// The physical type (`Type`), for leaves.
    pub(crate) physical: Option<i32>,
    pub(crate) type_length: Option<i32>,
    /// `FieldRepetitionType`: 0 required, 1 optional, 2 repeated.
    pub(crate) repetition: Option<i32>,
    pub(crate) name: String,
    pub(crate) num_children: Option<i32>,
    pub(crate) converted: Option<i32>,
    pub(crate) scale: Option<i32>,
    pub(crate) precision: Option<i32>,
    pub(crate) logical: Option<LogicalType>,
}

/// `LogicalType`, the union.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogicalType {
    String,
    Map,
    List,
    Enum,
    Decimal { scale: i32, precision: i32 },
    Date,
    Time { utc: bool, unit: TimeUnit },
    Timestamp { utc: bool, unit: TimeUnit },
    Integer { bits: i8, signed: bool },
    Null,
    Json,
    Bson,
    Uuid,
    Float16,
    /// A logical type newer than this reader (variant, geometry, …), by its union field id.
    Other(i16),
}

/// `TimeUnit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeUnit {
    Millis,
    Micros,
    Nanos,
}

/// `RowGroup`.
#[derive(Debug)]
pub(crate) struct RowGroup {
    pub(crate) columns: Vec<ColumnChunk>,
    pub(crate) total_byte_size: i64,
    pub(crate) num_rows: i64,
}

/// `ColumnChunk` with its `ColumnMetaData`.
#[derive(Debug)]
pub(crate) struct ColumnChunk {
    /// Set when the chunk lives in another file.
    pub(crate) file_path: Option<String>,
    pub(crate) meta: Option<ColumnMetaData>,
    /// Set when the column's metadata is encrypted.
    pub(crate) encrypted: bool,
}

/// `ColumnMetaData`.
#[derive(Debug)]
pub(crate) struct ColumnMetaData {
    pub(crate) physical: i32,
    pub(crate) path: Vec<String>,
    pub(crate) codec: i32,
    pub(crate) num_values: i64,
    pub(crate) total_compressed_size: i64,
    pub(crate) data_page_offset: i64,
    pub(crate) dictionary_page_offset: Option<i64>,
}

/// `PageHeader` with the header of its kind.
#[derive(Debug)]
pub(crate) struct PageHeader {
    /// `PageType`: 0 data, 1 index, 2 dictionary, 3 data v2.
    pub(crate) kind: i32,
    pub(crate) uncompressed_size: i32,
    pub(crate) compressed_size: i32,
    pub(crate) data: Option<DataPage>,
    pub(crate) dictionary: Option<DictionaryPage>,
    pub(crate) data_v2: Option<DataPageV2>,
}

/// `DataPageHeader`.
#[derive(Debug)]
pub(crate) struct DataPage {
    pub(crate) num_values: i32,
    pub(crate) encoding: i32,
    pub(crate) definition_encoding: i32,
    pub(crate) repetition_encoding: i32,
}

/// `DictionaryPageHeader`.
#[derive(Debug)]
pub(crate) struct DictionaryPage {
    pub(crate) num_values: i32,
    pub(crate) encoding: i32,
}

/// `DataPageHeaderV2`.
#[derive(Debug)]
pub(crate) struct DataPageV2 {
    pub(crate) num_values: i32,
    pub(crate) num_rows: i32,
    pub(crate) encoding: i32,
    pub(crate) definition_length: i32,
    pub(crate) repetition_length: i32,
    pub(crate) compressed: bool,
}

/// Decodes the footer's `FileMetaData`.
pub(crate) fn file_metadata(bytes: &[u8]) -> Result<FileMetaData, Fault> {
    let mut r = Reader::new(bytes);
    let (mut schema, mut num_rows, mut row_groups) = (None, None, None);
    let mut encrypted = false;
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            2 => schema = Some(r.structs(kind, schema_element)?),
            3 => num_rows = Some(r.i64(kind)?),
            4 => row_groups = Some(r.structs(kind, row_group)?),
            8 | 9 => {
                encrypted = true;
                r.skip(kind)?;
            }
            _ => r.skip(kind)?,
        }
    }
    if encrypted {
        return Err(Fault("encrypted Parquet files are not supported".to_owned()));
    }
    Ok(FileMetaData {
        schema: schema.ok_or_else(|| missing("FileMetaData", "schema"))?,
        num_rows: num_rows.ok_or_else(|| missing("FileMetaData", "num_rows"))?,
        row_groups: row_groups.ok_or_else(|| missing("FileMetaData", "row_groups"))?,
    })
}

fn missing(structure: &str, field: &str) -> Fault {
    Fault(format!("{structure} has no {field}"))
}

fn schema_element(r: &mut Reader<'_>) -> Result<SchemaElement, Fault> {
    let mut element = SchemaElement {
        physical: None,
        type_length: None,
        repetition: None,
        name: String::new(),
        num_children: None,
        converted: None,
        scale: None,
        precision: None,
        logical: None,
    };
    let mut name = None;
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => element.physical = Some(r.i32(kind)?),
            2 => element.type_length = Some(r.i32(kind)?),
            3 => element.repetition = Some(r.i32(kind)?),
            4 => name = Some(r.string(kind)?),
            5 => element.num_children = Some(r.i32(kind)?),
            6 => element.converted = Some(r.i32(kind)?),
            7 => element.scale = Some(r.i32(kind)?),
            8 => element.precision = Some(r.i32(kind)?),
            10 => element.logical = Some(r.structure(kind, logical_type)?),
            _ => r.skip(kind)?,
        }
    }
    element.name = name.ok_or_else(|| missing("SchemaElement", "name"))?;
    Ok(element)
}

fn logical_type(r: &mut Reader<'_>) -> Result<LogicalType, Fault> {
    let mut found = None;
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        let logical = match id {
            1 => skip_as(r, kind, LogicalType::String)?,
            2 => skip_as(r, kind, LogicalType::Map)?,
            3 => skip_as(r, kind, LogicalType::List)?,
            4 => skip_as(r, kind, LogicalType::Enum)?,
            5 => r.structure(kind, decimal)?,
            6 => skip_as(r, kind, LogicalType::Date)?,
            7 => {
                let (utc, unit) = r.structure(kind, time)?;
                LogicalType::Time { utc, unit }
            }
            8 => {
                let (utc, unit) = r.structure(kind, time)?;
                LogicalType::Timestamp { utc, unit }
            }
            10 => r.structure(kind, integer)?,
            11 => skip_as(r, kind, LogicalType::Null)?,
            12 => skip_as(r, kind, LogicalType::Json)?,
            13 => skip_as(r, kind, LogicalType::Bson)?,
            14 => skip_as(r, kind, LogicalType::Uuid)?,
            15 => skip_as(r, kind, LogicalType::Float16)?,
            other => skip_as(r, kind, LogicalType::Other(other))?,
        };
        found = Some(logical);
    }
    found.ok_or_else(|| Fault("LogicalType names no type".to_owned()))
}

fn skip_as(r: &mut Reader<'_>, kind: u8, logical: LogicalType) -> Result<LogicalType, Fault> {
    r.skip(kind)?;
    Ok(logical)
}

fn decimal(r: &mut Reader<'_>) -> Result<LogicalType, Fault> {
    let (mut scale, mut precision) = (None, None);
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => scale = Some(r.i32(kind)?),
            2 => precision = Some(r.i32(kind)?),
            _ => r.skip(kind)?,
        }
    }
    Ok(LogicalType::Decimal {
        scale: scale.ok_or_else(|| missing("DecimalType", "scale"))?,
        precision: precision.ok_or_else(|| missing("DecimalType", "precision"))?,
    })
}

fn time(r: &mut Reader<'_>) -> Result<(bool, TimeUnit), Fault> {
    let (mut utc, mut unit) = (None, None);
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => utc = Some(r.bool(kind)?),
            2 => unit = Some(r.structure(kind, time_unit)?),
            _ => r.skip(kind)?,
        }
    }
    Ok((utc.ok_or_else(|| missing("TimestampType", "isAdjustedToUTC"))?, unit.ok_or_else(|| missing("TimestampType", "unit"))?))
}

fn time_unit(r: &mut Reader<'_>) -> Result<TimeUnit, Fault> {
    let mut unit = None;
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        unit = match id {
            1 => Some(TimeUnit::Millis),
            2 => Some(TimeUnit::Micros),
            3 => Some(TimeUnit::Nanos),
            other => return Err(Fault(format!("unknown time unit {other}"))),
        };
        r.skip(kind)?;
    }
    unit.ok_or_else(|| Fault("TimeUnit names no unit".to_owned()))
}

fn integer(r: &mut Reader<'_>) -> Result<LogicalType, Fault> {
    let (mut bits, mut signed) = (None, None);
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => bits = Some(r.i8(kind)?),
            2 => signed = Some(r.bool(kind)?),
            _ => r.skip(kind)?,
        }
    }
    Ok(LogicalType::Integer {
        bits: bits.ok_or_else(|| missing("IntType", "bitWidth"))?,
        signed: signed.ok_or_else(|| missing("IntType", "isSigned"))?,
    })
}

fn row_group(r: &mut Reader<'_>) -> Result<RowGroup, Fault> {
    let (mut columns, mut total_byte_size, mut num_rows) = (None, None, None);
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => columns = Some(r.structs(kind, column_chunk)?),
            2 => total_byte_size = Some(r.i64(kind)?),
            3 => num_rows = Some(r.i64(kind)?),
            _ => r.skip(kind)?,
        }
    }
    Ok(RowGroup {
        columns: columns.ok_or_else(|| missing("RowGroup", "columns"))?,
        total_byte_size: total_byte_size.ok_or_else(|| missing("RowGroup", "total_byte_size"))?,
        num_rows: num_rows.ok_or_else(|| missing("RowGroup", "num_rows"))?,
    })
}

fn column_chunk(r: &mut Reader<'_>) -> Result<ColumnChunk, Fault> {
    let mut chunk = ColumnChunk { file_path: None, meta: None, encrypted: false };
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => chunk.file_path = Some(r.string(kind)?),
            3 => chunk.meta = Some(r.structure(kind, column_metadata)?),
            8 | 9 => {
                chunk.encrypted = true;
                r.skip(kind)?;
            }
            _ => r.skip(kind)?,
        }
    }
    Ok(chunk)
}

fn column_metadata(r: &mut Reader<'_>) -> Result<ColumnMetaData, Fault> {
    let (mut physical, mut path, mut codec, mut num_values) = (None, None, None, None);
    let (mut total_compressed_size, mut data_page_offset, mut dictionary_page_offset) = (None, None, None);
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => physical = Some(r.i32(kind)?),
            3 => path = Some(r.strings(kind)?),
            4 => codec = Some(r.i32(kind)?),
            5 => num_values = Some(r.i64(kind)?),
            7 => total_compressed_size = Some(r.i64(kind)?),
            9 => data_page_offset = Some(r.i64(kind)?),
            11 => dictionary_page_offset = Some(r.i64(kind)?),
            _ => r.skip(kind)?,
        }
    }
    let name = "ColumnMetaData";
    Ok(ColumnMetaData {
        physical: physical.ok_or_else(|| missing(name, "type"))?,
        path: path.ok_or_else(|| missing(name, "path_in_schema"))?,
        codec: codec.ok_or_else(|| missing(name, "codec"))?,
        num_values: num_values.ok_or_else(|| missing(name, "num_values"))?,
        total_compressed_size: total_compressed_size.ok_or_else(|| missing(name, "total_compressed_size"))?,
        data_page_offset: data_page_offset.ok_or_else(|| missing(name, "data_page_offset"))?,
        dictionary_page_offset,
    })
}

/// Decodes a `PageHeader` at the start of `bytes`; returns it with the header's length in bytes.
pub(crate) fn page_header(bytes: &[u8]) -> Result<(PageHeader, usize), Fault> {
    let mut r = Reader::new(bytes);
    let (mut kind_, mut uncompressed, mut compressed) = (None, None, None);
    let (mut data, mut dictionary, mut data_v2) = (None, None, None);
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => kind_ = Some(r.i32(kind)?),
            2 => uncompressed = Some(r.i32(kind)?),
            3 => compressed = Some(r.i32(kind)?),
            5 => data = Some(r.structure(kind, data_page)?),
            7 => dictionary = Some(r.structure(kind, dictionary_page)?),
            8 => data_v2 = Some(r.structure(kind, data_page_v2)?),
            _ => r.skip(kind)?,
        }
    }
    let header = PageHeader {
        kind: kind_.ok_or_else(|| missing("PageHeader", "type"))?,
        uncompressed_size: uncompressed.ok_or_else(|| missing("PageHeader", "uncompressed_page_size"))?,
        compressed_size: compressed.ok_or_else(|| missing("PageHeader", "compressed_page_size"))?,
        data,
        dictionary,
        data_v2,
    };
    Ok((header, r.position()))
}

fn data_page(r: &mut Reader<'_>) -> Result<DataPage, Fault> {
    let (mut num_values, mut encoding, mut definition, mut repetition) = (None, None, None, None);
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => num_values = Some(r.i32(kind)?),
            2 => encoding = Some(r.i32(kind)?),
            3 => definition = Some(r.i32(kind)?),
            4 => repetition = Some(r.i32(kind)?),
            _ => r.skip(kind)?,
        }
    }
    let name = "DataPageHeader";
    Ok(DataPage {
        num_values: num_values.ok_or_else(|| missing(name, "num_values"))?,
        encoding: encoding.ok_or_else(|| missing(name, "encoding"))?,
        definition_encoding: definition.ok_or_else(|| missing(name, "definition_level_encoding"))?,
        repetition_encoding: repetition.ok_or_else(|| missing(name, "repetition_level_encoding"))?,
    })
}

fn dictionary_page(r: &mut Reader<'_>) -> Result<DictionaryPage, Fault> {
    let (mut num_values, mut encoding) = (None, None);
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => num_values = Some(r.i32(kind)?),
            2 => encoding = Some(r.i32(kind)?),
            _ => r.skip(kind)?,
        }
    }
    Ok(DictionaryPage {
        num_values: num_values.ok_or_else(|| missing("DictionaryPageHeader", "num_values"))?,
        encoding: encoding.ok_or_else(|| missing("DictionaryPageHeader", "encoding"))?,
    })
}

fn data_page_v2(r: &mut Reader<'_>) -> Result<DataPageV2, Fault> {
    let (mut num_values, mut num_rows, mut encoding) = (None, None, None);
    let (mut definition_length, mut repetition_length, mut compressed) = (None, None, true);
    let mut last = 0;
    while let Some((id, kind)) = r.field(&mut last)? {
        match id {
            1 => num_values = Some(r.i32(kind)?),
            3 => num_rows = Some(r.i32(kind)?),
            4 => encoding = Some(r.i32(kind)?),
            5 => definition_length = Some(r.i32(kind)?),
            6 => repetition_length = Some(r.i32(kind)?),
            7 => compressed = r.bool(kind)?,
            _ => r.skip(kind)?,
        }
    }
    let name = "DataPageHeaderV2";
    Ok(DataPageV2 {
        num_values: num_values.ok_or_else(|| missing(name, "num_values"))?,
        num_rows: num_rows.ok_or_else(|| missing(name, "num_rows"))?,
        encoding: encoding.ok_or_else(|| missing(name, "encoding"))?,
        definition_length: definition_length.ok_or_else(|| missing(name, "definition_levels_byte_length"))?,
        repetition_length: repetition_length.ok_or_else(|| missing(name, "repetition_levels_byte_length"))?,
        compressed,
    })
}
