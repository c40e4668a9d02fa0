//! The file's schema as the columns a row is made of: each top-level field becomes one `Column` with its physical
//! type, what its values mean (`Kind`, from the logical or converted type), and its shape (a single value, or a list
//! of values). Fields this reader cannot turn into JSON (structs, maps, lists of groups, nested lists) are refused
//! here, with the field's name, before any data is read.

use crate::Error;
use crate::metadata::{LogicalType, SchemaElement, TimeUnit};

/// How deep the schema tree may nest before it is refused (a hostile footer can claim any depth).
const MAX_DEPTH: usize = 64;

/// One top-level field and the one leaf column that holds its values.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// The field's name: the key of its value in each row.
    pub(crate) name: String,
    /// The leaf's path from the root, as `path_in_schema` names it.
    pub(crate) path: Vec<String>,
    pub(crate) physical: Physical,
    pub(crate) kind: Kind,
    /// The highest definition level; a value is present at this level.
    pub(crate) max_definition: u16,
    /// The highest repetition level: 0 for a single value, 1 for a list.
    pub(crate) max_repetition: u16,
    pub(crate) shape: Shape,
}

/// What a row holds for a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One value, null below the highest definition level.
    Single,
    /// A list: null below `defined`, empty below `nonempty`, and an element is null below the highest level.
    List { defined: u16, nonempty: u16 },
}

/// The physical type (`Type` in the format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Physical {
    Boolean,
    Int32,
    Int64,
    Int96,
    Float,
    Double,
    ByteArray,
    /// `FIXED_LEN_BYTE_ARRAY` of this many bytes.
    Fixed(usize),
}

/// What a value means, which decides its JSON form (see the crate documentation for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Boolean,
    Int32,
    /// An unsigned integer stored in an INT32 (its bits are read as `u32`).
    UInt32,
    Int64,
    /// An unsigned integer stored in an INT64 (its bits are read as `u64`).
    UInt64,
    /// Impala's timestamp: nanoseconds of the day and a Julian day.
    Int96,
    Float,
    Double,
    Float16,
    /// Days since 1970-01-01.
    Date,
    Time(TimeUnit),
    Timestamp { unit: TimeUnit, utc: bool },
    /// A two's complement unscaled integer, divided by 10^scale.
    Decimal { scale: u32 },
    String,
    Uuid,
    /// Bytes without a text meaning: base64.
    Binary,
    /// The `UNKNOWN` (null) logical type: every value is null.
    Null,
}

/// The columns of a schema whose first element is the root.
pub(crate) fn columns(elements: &[SchemaElement]) -> Result<Vec<Column>, Error> {
    let mut pos = 0;
    let root = tree(elements, &mut pos, 0)?;
    if pos != elements.len() {
        return Err(Error::Footer(format!(
            "the schema has {} elements but its tree holds {pos}",
            elements.len()
        )));
    }
    let mut columns: Vec<Column> = Vec::with_capacity(root.children.len());
    for field in &root.children {
        let column = column(field)?;
        if columns.iter().any(|c| c.name == column.name) {
            return Err(Error::Schema { column: column.name, message: "two top-level fields have this name".to_owned() });
        }
        columns.push(column);
    }
    Ok(columns)
}

/// A schema element with its children.
struct Node<'a> {
    element: &'a SchemaElement,
    children: Vec<Node<'a>>,
}

impl Node<'_> {
    fn is_group(&self) -> bool {
        self.element.num_children.is_some_and(|n| n > 0) || self.element.physical.is_none()
    }

    fn repetition(&self) -> i32 {
        self.element.repetition.unwrap_or(0)
    }

    fn is_list(&self) -> bool {
        self.element.logical == Some(LogicalType::List) || self.element.converted == Some(CONVERTED_LIST)
    }
}

const REQUIRED: i32 = 0;
const OPTIONAL: i32 = 1;
const REPEATED: i32 = 2;

const CONVERTED_LIST: i32 = 3;

fn tree<'a>(elements: &'a [SchemaElement], pos: &mut usize, depth: usize) -> Result<Node<'a>, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::Footer(format!("the schema nests deeper than {MAX_DEPTH} levels")));
    }
    let element = elements.get(*pos).ok_or_else(|| Error::Footer("the schema's tree needs more elements than it has".to_owned()))?;
    *pos += 1;
    let count = usize::try_from(element.num_children.unwrap_or(0).max(0)).unwrap_or(0);
    let remaining = elements.len().saturating_sub(*pos);
    if count > remaining {
        return Err(Error::Footer(format!(
            "schema element `{}` claims {count} children but only {remaining} elements follow",
            element.name
        )));
    }
    let mut children = Vec::with_capacity(count);
    for _ in 0..count {
        children.push(tree(elements, pos, depth + 1)?);
    }
    Ok(Node { element, children })
}

fn column(field: &Node<'_>) -> Result<Column, Error> {
    let name = field.element.name.clone();
    let unsupported = |message: &str| Error::Schema { column: name.clone(), message: message.to_owned() };
    let repetition = field.repetition();
    if !field.is_group() {
        return match repetition {
            REQUIRED | OPTIONAL => {
                let max_definition = u16::from(repetition == OPTIONAL);
                leaf(field, vec![name.clone()], max_definition, 0, Shape::Single)
            }
            // A repeated primitive at the top level is a list that is never null and whose elements are never null.
            REPEATED => leaf(field, vec![name.clone()], 1, 1, Shape::List { defined: 0, nonempty: 1 }),
            other => Err(unsupported(&format!("unknown repetition {other}"))),
        };
    }
    if repetition == REPEATED {
        return Err(unsupported("repeated groups are not supported (only lists of primitive values are)"));
    }
    if !field.is_list() {
        return Err(unsupported("nested groups (structs, maps) are not supported (only lists of primitive values are)"));
    }
    let defined = u16::from(repetition == OPTIONAL);
    let [repeated] = field.children.as_slice() else {
        return Err(unsupported("a LIST group must have exactly one child"));
    };
    if repeated.repetition() != REPEATED {
        return Err(unsupported("a LIST group's child must be repeated"));
    }
    let nonempty = defined + 1;
    if !repeated.is_group() {
        // Two-level list: the repeated field is the element.
        let path = vec![name.clone(), repeated.element.name.clone()];
        return leaf(repeated, path, nonempty, 1, Shape::List { defined, nonempty }).map(|c| Column { name, ..c });
    }
    // The format's backward-compatibility rule: a repeated group named `array` or `<list>_tuple` is itself the
    // element, a struct.
    let legacy = repeated.element.name == "array" || repeated.element.name == format!("{name}_tuple");
    let [element] = repeated.children.as_slice() else {
        return Err(unsupported("lists of structs are not supported (only lists of primitive values are)"));
    };
    if legacy {
        return Err(unsupported("lists of structs are not supported (only lists of primitive values are)"));
    }
    if element.is_group() || element.repetition() == REPEATED {
        return Err(unsupported("lists of groups or of lists are not supported (only lists of primitive values are)"));
    }
    let max_definition = nonempty + u16::from(element.repetition() == OPTIONAL);
    let path = vec![name.clone(), repeated.element.name.clone(), element.element.name.clone()];
    leaf(element, path, max_definition, 1, Shape::List { defined, nonempty }).map(|c| Column { name, ..c })
}

fn leaf(node: &Node<'_>, path: Vec<String>, max_definition: u16, max_repetition: u16, shape: Shape) -> Result<Column, Error> {
    let element = node.element;
    let name = path.first().cloned().unwrap_or_default();
    let schema_error = |message: String| Error::Schema { column: name.clone(), message };
    let physical = match element.physical {
        Some(0) => Physical::Boolean,
        Some(1) => Physical::Int32,
        Some(2) => Physical::Int64,
        Some(3) => Physical::Int96,
        Some(4) => Physical::Float,
        Some(5) => Physical::Double,
        Some(6) => Physical::ByteArray,
        Some(7) => {
            let length = element.type_length.unwrap_or(-1);
            match usize::try_from(length) {
                Ok(length) if length > 0 => Physical::Fixed(length),
                _ => return Err(schema_error(format!("FIXED_LEN_BYTE_ARRAY of length {length}"))),
            }
        }
        Some(other) => return Err(schema_error(format!("unknown physical type {other}"))),
        None => return Err(schema_error("a leaf without a physical type".to_owned())),
    };
    let kind = kind(element, physical).map_err(schema_error)?;
    Ok(Column { name: name.clone(), path, physical, kind, max_definition, max_repetition, shape })
}

/// What the values of a leaf mean: its logical type if it has one, else its converted type, else its physical
/// type's own meaning.
fn kind(element: &SchemaElement, physical: Physical) -> Result<Kind, String> {
    use Physical as P;
    let plain = match physical {
        P::Boolean => Kind::Boolean,
        P::Int32 => Kind::Int32,
        P::Int64 => Kind::Int64,
        P::Int96 => Kind::Int96,
        P::Float => Kind::Float,
        P::Double => Kind::Double,
        P::ByteArray | P::Fixed(_) => Kind::Binary,
    };
    let mismatch = |what: &str| Err(format!("{what} annotation on {}", physical_name(physical)));
    let decimal = |scale: i32, precision: i32| -> Result<Kind, String> {
        let fits = match physical {
            P::Int32 => (1..=9).contains(&precision),
            P::Int64 => (1..=18).contains(&precision),
            P::ByteArray | P::Fixed(_) => precision >= 1,
            _ => return Err(format!("DECIMAL annotation on {}", physical_name(physical))),
        };
        match u32::try_from(scale) {
            Ok(scale) if fits && scale <= 76 && i64::from(scale) <= i64::from(precision) => Ok(Kind::Decimal { scale }),
            _ => Err(format!("DECIMAL({precision}, {scale}) on {}", physical_name(physical))),
        }
    };
    if let Some(logical) = element.logical {
        return match logical {
            LogicalType::String | LogicalType::Enum | LogicalType::Json => match physical {
                P::ByteArray | P::Fixed(_) => Ok(Kind::String),
                _ => mismatch("STRING"),
            },
            LogicalType::Bson => Ok(Kind::Binary),
            LogicalType::Decimal { scale, precision } => decimal(scale, precision),
            LogicalType::Date => if physical == P::Int32 { Ok(Kind::Date) } else { mismatch("DATE") },
            LogicalType::Time { unit, .. } => match (unit, physical) {
                (TimeUnit::Millis, P::Int32) | (TimeUnit::Micros | TimeUnit::Nanos, P::Int64) => Ok(Kind::Time(unit)),
                _ => mismatch("TIME"),
            },
            LogicalType::Timestamp { unit, utc } => {
                if physical == P::Int64 { Ok(Kind::Timestamp { unit, utc }) } else { mismatch("TIMESTAMP") }
            }
            LogicalType::Integer { bits, signed } => match (physical, bits, signed) {
                (P::Int32, 8 | 16 | 32, true) => Ok(Kind::Int32),
                (P::Int32, 8 | 16 | 32, false) => Ok(Kind::UInt32),
                (P::Int64, 64, true) => Ok(Kind::Int64),
                (P::Int64, 64, false) => Ok(Kind::UInt64),
                _ => Err(format!("INTEGER({bits}, {}) on {}", if signed { "signed" } else { "unsigned" }, physical_name(physical))),
            },
            LogicalType::Null => Ok(Kind::Null),
            LogicalType::Uuid => if physical == P::Fixed(16) { Ok(Kind::Uuid) } else { mismatch("UUID") },
            LogicalType::Float16 => if physical == P::Fixed(2) { Ok(Kind::Float16) } else { mismatch("FLOAT16") },
            LogicalType::Map | LogicalType::List => mismatch("MAP or LIST"),
            LogicalType::Other(_) => Ok(plain),
        };
    }
    let Some(converted) = element.converted else { return Ok(plain) };
    match converted {
        // UTF8, ENUM, JSON
        0 | 4 | 19 => match physical {
            P::ByteArray | P::Fixed(_) => Ok(Kind::String),
            _ => mismatch("UTF8"),
        },
        5 => decimal(element.scale.unwrap_or(0), element.precision.unwrap_or(0)),
        6 => if physical == P::Int32 { Ok(Kind::Date) } else { mismatch("DATE") },
        7 => if physical == P::Int32 { Ok(Kind::Time(TimeUnit::Millis)) } else { mismatch("TIME_MILLIS") },
        8 => if physical == P::Int64 { Ok(Kind::Time(TimeUnit::Micros)) } else { mismatch("TIME_MICROS") },
        9 => if physical == P::Int64 { Ok(Kind::Timestamp { unit: TimeUnit::Millis, utc: true }) } else { mismatch("TIMESTAMP_MILLIS") },
        10 => if physical == P::Int64 { Ok(Kind::Timestamp { unit: TimeUnit::Micros, utc: true }) } else { mismatch("TIMESTAMP_MICROS") },
        // UINT_8, UINT_16, UINT_32
        11..=13 => if physical == P::Int32 { Ok(Kind::UInt32) } else { mismatch("UINT") },
        14 => if physical == P::Int64 { Ok(Kind::UInt64) } else { mismatch("UINT_64") },
        // INT_8, INT_16, INT_32
        15..=17 => if physical == P::Int32 { Ok(Kind::Int32) } else { mismatch("INT") },
        18 => if physical == P::Int64 { Ok(Kind::Int64) } else { mismatch("INT_64") },
        // BSON, INTERVAL
        20 | 21 => Ok(Kind::Binary),
        1..=3 => mismatch("MAP or LIST"),
        _ => Ok(plain),
    }
}

pub(crate) fn physical_name(physical: Physical) -> &'static str {
    match physical {
        Physical::Boolean => "BOOLEAN",
        Physical::Int32 => "INT32",
        Physical::Int64 => "INT64",
        Physical::Int96 => "INT96",
        Physical::Float => "FLOAT",
        Physical::Double => "DOUBLE",
        Physical::ByteArray => "BYTE_ARRAY",
        Physical::Fixed(_) => "FIXED_LEN_BYTE_ARRAY",
    }
}
