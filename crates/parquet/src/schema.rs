//! The file's schema as rows are built from it: each top-level `Field` is a tree of `Node`s (values, structs,
//! lists, maps) over the `Leaf` columns that hold its values, with the definition and repetition levels at which
//! each part of the tree is present. LIST and MAP annotations (and their legacy forms) become arrays and objects; a
//! repeated field without them is an array too. What values mean (`Kind`) comes from the logical or converted type.

use std::ops::Range;

use crate::Error;
use crate::metadata::{LogicalType, SchemaElement, TimeUnit};

/// How deep the schema tree may nest before it is refused (a hostile footer can claim any depth).
const MAX_DEPTH: usize = 64;

/// A leaf column of the schema: one column chunk per row group.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    /// Its path from the root, as `path_in_schema` names it.
    pub(crate) path: Vec<String>,
    pub(crate) physical: Physical,
    pub(crate) kind: Kind,
    /// The highest definition level; a value is present at this level.
    pub(crate) max_definition: u16,
    /// The highest repetition level: 0 outside lists.
    pub(crate) max_repetition: u16,
}

/// A top-level field: a key of each row.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) node: Node,
    /// Its leaves, a range of the schema's leaf columns.
    pub(crate) leaves: Range<usize>,
}

/// A part of a field's value. Each is present (not null) when an entry's definition level reaches its `def`.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A primitive value, from the one leaf column under this node.
    Value { def: u16 },
    /// An object of named fields, each with the range of leaves under it.
    Struct { def: u16, fields: Vec<(String, Node, Range<usize>)> },
    /// An array: empty below `element_def`; a new element starts at an entry of repetition level `rep`. A map is
    /// an array of key/value structs (`map`), made an object once its leaves are merged.
    List { def: u16, element_def: u16, rep: u16, element: Box<Node>, map: bool },
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

/// The fields and leaves of a schema whose first element is the root.
pub(crate) fn fields(elements: &[SchemaElement]) -> Result<(Vec<Field>, Vec<Leaf>), Error> {
    let mut pos = 0;
    let root = tree(elements, &mut pos, 0)?;
    if pos != elements.len() {
        return Err(Error::Footer(format!(
            "the schema has {} elements but its tree holds {pos}",
            elements.len()
        )));
    }
    let mut fields: Vec<Field> = Vec::with_capacity(root.children.len());
    let mut leaves = Vec::new();
    for child in &root.children {
        let name = child.element.name.clone();
        if fields.iter().any(|f| f.name == name) {
            return Err(Error::Schema { column: name, message: "two top-level fields have this name".to_owned() });
        }
        let start = leaves.len();
        let mut walk = Walk { field: &name, leaves: &mut leaves };
        let node = walk.node(child, 0, 0, vec![name.clone()])?;
        fields.push(Field { name, node, leaves: start..leaves.len() });
    }
    Ok((fields, leaves))
}

/// A schema element with its children.
struct SchemaNode<'a> {
    element: &'a SchemaElement,
    children: Vec<SchemaNode<'a>>,
}

impl SchemaNode<'_> {
    fn is_group(&self) -> bool {
        self.element.num_children.is_some_and(|n| n > 0) || self.element.physical.is_none()
    }

    fn repetition(&self) -> i32 {
        self.element.repetition.unwrap_or(0)
    }

    fn is_list(&self) -> bool {
        self.element.logical == Some(LogicalType::List) || self.element.converted == Some(CONVERTED_LIST)
    }

    fn is_map(&self) -> bool {
        self.element.logical == Some(LogicalType::Map)
            || matches!(self.element.converted, Some(CONVERTED_MAP | CONVERTED_MAP_KEY_VALUE))
    }

    fn name(&self) -> &str {
        &self.element.name
    }
}

const OPTIONAL: i32 = 1;
const REPEATED: i32 = 2;

const CONVERTED_MAP: i32 = 1;
const CONVERTED_MAP_KEY_VALUE: i32 = 2;
const CONVERTED_LIST: i32 = 3;

fn tree<'a>(elements: &'a [SchemaElement], pos: &mut usize, depth: usize) -> Result<SchemaNode<'a>, Error> {
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
    Ok(SchemaNode { element, children })
}

/// The walk of one top-level field, gathering its leaves.
struct Walk<'a> {
    field: &'a str,
    leaves: &'a mut Vec<Leaf>,
}

impl Walk<'_> {
    fn error(&self, message: String) -> Error {
        Error::Schema { column: self.field.to_owned(), message }
    }

    /// The node of schema node `n` under a parent present at definition level `parent_def` and inside `parent_rep`
    /// repeated ancestors.
    fn node(&mut self, n: &SchemaNode<'_>, parent_def: u16, parent_rep: u16, path: Vec<String>) -> Result<Node, Error> {
        let repetition = n.repetition();
        if !(0..=2).contains(&repetition) {
            return Err(self.error(format!("`{}` has unknown repetition {repetition}", n.name())));
        }
        if repetition == REPEATED {
            // A repeated field without a LIST or MAP around it: an array, never null, of its values.
            let (element_def, rep) = (parent_def + 1, parent_rep + 1);
            let element = self.element(n, element_def, rep, path)?;
            return Ok(Node::List { def: parent_def, element_def, rep, element: Box::new(element), map: false });
        }
        let def = parent_def + u16::from(repetition == OPTIONAL);
        if !n.is_group() {
            return self.leaf(n, def, parent_rep, path);
        }
        if n.is_list() {
            return self.list(n, def, parent_rep, path);
        }
        if n.is_map() {
            return self.map(n, def, parent_rep, path);
        }
        self.structure(n, def, parent_rep, path)
    }

    /// Schema node `n` as a value present at `def` (a repeated node's element, or a required field).
    fn element(&mut self, n: &SchemaNode<'_>, def: u16, rep: u16, path: Vec<String>) -> Result<Node, Error> {
        if n.is_group() { self.structure(n, def, rep, path) } else { self.leaf(n, def, rep, path) }
    }

    fn structure(&mut self, n: &SchemaNode<'_>, def: u16, rep: u16, path: Vec<String>) -> Result<Node, Error> {
        let mut fields = Vec::with_capacity(n.children.len());
        for child in &n.children {
            let start = self.leaves.len();
            let mut child_path = path.clone();
            child_path.push(child.name().to_owned());
            let node = self.node(child, def, rep, child_path)?;
            fields.push((child.name().to_owned(), node, start..self.leaves.len()));
        }
        if fields.is_empty() {
            return Err(self.error(format!("`{}` is a group without fields", n.name())));
        }
        Ok(Node::Struct { def, fields })
    }

    /// A LIST group: `<list> { repeated <element> }` (two levels) or `<list> { repeated group { <element> } }`.
    fn list(&mut self, n: &SchemaNode<'_>, def: u16, rep: u16, path: Vec<String>) -> Result<Node, Error> {
        let [repeated] = n.children.as_slice() else {
            return Err(self.error(format!("the LIST `{}` has {} children, not one", n.name(), n.children.len())));
        };
        if repeated.repetition() != REPEATED {
            return Err(self.error(format!("the LIST `{}` has a child that is not repeated", n.name())));
        }
        let (element_def, rep) = (def + 1, rep + 1);
        let mut repeated_path = path;
        repeated_path.push(repeated.name().to_owned());
        // The format's backward-compatibility rules: the repeated field is itself the element when it is a
        // primitive, a group of several fields, or a group named `array` or `<list>_tuple`.
        let legacy = !repeated.is_group()
            || repeated.children.len() != 1
            || repeated.name() == "array"
            || repeated.name() == format!("{}_tuple", n.name());
        let element = match repeated.children.as_slice() {
            [element] if !legacy => {
                let mut element_path = repeated_path;
                element_path.push(element.name().to_owned());
                self.node(element, element_def, rep, element_path)?
            }
            _ => self.element(repeated, element_def, rep, repeated_path)?,
        };
        Ok(Node::List { def, element_def, rep, element: Box::new(element), map: false })
    }

    /// A MAP group: `<map> { repeated group key_value { required <key>; optional <value> } }`.
    fn map(&mut self, n: &SchemaNode<'_>, def: u16, rep: u16, path: Vec<String>) -> Result<Node, Error> {
        let [entries] = n.children.as_slice() else {
            return Err(self.error(format!("the MAP `{}` has {} children, not one", n.name(), n.children.len())));
        };
        if entries.repetition() != REPEATED || entries.children.len() != 2 {
            return Err(self.error(format!("the MAP `{}` is not a repeated group of a key and a value", n.name())));
        }
        let (element_def, rep) = (def + 1, rep + 1);
        let mut entries_path = path;
        entries_path.push(entries.name().to_owned());
        let element = self.structure(entries, element_def, rep, entries_path)?;
        Ok(Node::List { def, element_def, rep, element: Box::new(element), map: true })
    }

    fn leaf(&mut self, n: &SchemaNode<'_>, def: u16, rep: u16, path: Vec<String>) -> Result<Node, Error> {
        let leaf = leaf(n.element, path, def, rep).map_err(|message| self.error(message))?;
        self.leaves.push(leaf);
        Ok(Node::Value { def })
    }
}

fn leaf(element: &SchemaElement, path: Vec<String>, max_definition: u16, max_repetition: u16) -> Result<Leaf, String> {
    let location = if path.len() > 1 { format!("`{}`: ", path.join(".")) } else { String::new() };
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
                _ => return Err(format!("{location}FIXED_LEN_BYTE_ARRAY of length {length}")),
            }
        }
        Some(other) => return Err(format!("{location}unknown physical type {other}")),
        None => return Err(format!("{location}a leaf without a physical type")),
    };
    let kind = kind(element, physical).map_err(|message| format!("{location}{message}"))?;
    Ok(Leaf { path, physical, kind, max_definition, max_repetition })
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
