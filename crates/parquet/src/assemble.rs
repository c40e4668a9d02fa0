//! A field's rows from its leaf columns' levels and values (record assembly). Each leaf is placed in each row alone,
//! as the part of the field's tree on its path (`{"point": {"x": 1}}`), split into list elements by its repetition
//! levels and cut short by its definition level (a null struct, a null or empty list, a null value); then the
//! leaves' parts of a row are merged (`{"point": {"x": 1, "y": 2}}`), and maps, assembled as lists of key/value
//! entries, become objects. A top-level primitive, the common case, skips all of that.

use serde_json::{Map, Value};

use crate::column::Levels;
use crate::schema::{Field, Node};

/// The value of `field` in each of `rows` rows, from the levels of its leaves (in the order of `field.leaves`).
pub(crate) fn field(field: &Field, leaves: Vec<Levels>, rows: usize) -> Result<Vec<Value>, String> {
    if let Node::Value { def, .. } = field.node
        && let [levels] = leaves.as_slice()
        && levels.repetitions.is_empty()
    {
        let Some(levels) = leaves.into_iter().next() else { return Err("a field without its column".to_owned()) };
        return primitive(levels, def, rows);
    }
    let mut out: Vec<Value> = Vec::new();
    for (leaf, levels) in field.leaves.clone().zip(leaves) {
        let Levels { definitions, repetitions, values, entries } = levels;
        let definitions = if definitions.is_empty() { vec![0; entries] } else { definitions };
        let repetitions = if repetitions.is_empty() { vec![0; entries] } else { repetitions };
        let starts: Vec<usize> = repetitions.iter().enumerate().filter(|(_, rep)| **rep == 0).map(|(i, _)| i).collect();
        if starts.len() != rows {
            return Err(format!("`{}` holds {} rows for the row group's {rows}", field.name, starts.len()));
        }
        let mut values = values.into_iter();
        for (row, &start) in starts.iter().enumerate() {
            let end = starts.get(row + 1).copied().unwrap_or(entries);
            let definitions = definitions.get(start..end).unwrap_or_default();
            let repetitions = repetitions.get(start..end).unwrap_or_default();
            let part = build(&field.node, leaf, definitions, repetitions, &mut values)?;
            match out.get_mut(row) {
                Some(value) => merge(value, part).map_err(|e| format!("`{}`: {e}", field.name))?,
                None => out.push(part),
            }
        }
        if values.next().is_some() {
            return Err(format!("`{}` has more values than its levels place", field.name));
        }
    }
    if out.len() != rows {
        return Err(format!("`{}` holds {} rows for the row group's {rows}", field.name, out.len()));
    }
    for value in &mut out {
        finish(&field.node, value);
    }
    Ok(out)
}

/// A top-level primitive: a value per entry, null below the definition level `def`.
fn primitive(levels: Levels, def: u16, rows: usize) -> Result<Vec<Value>, String> {
    let Levels { definitions, values, entries, .. } = levels;
    if entries != rows {
        return Err(format!("the column holds {entries} values for the row group's {rows} rows"));
    }
    if definitions.is_empty() {
        return if values.len() == rows { Ok(values) } else { Err("fewer values than rows".to_owned()) };
    }
    let mut values = values.into_iter();
    definitions
        .iter()
        .map(|&level| if level >= def { values.next().ok_or_else(|| "fewer values than the levels say".to_owned()) } else { Ok(Value::Null) })
        .collect()
}

/// The part of `node` that leaf `leaf` holds in one row (or list element), from its entries' levels.
fn build(
    node: &Node,
    leaf: usize,
    definitions: &[u16],
    repetitions: &[u16],
    values: &mut std::vec::IntoIter<Value>,
) -> Result<Value, String> {
    let Some(&level) = definitions.first() else { return Err("a row without levels".to_owned()) };
    match node {
        Node::Value { def, .. } => {
            if definitions.len() != 1 {
                return Err("several entries where the schema has one value".to_owned());
            }
            if level >= *def { values.next().ok_or_else(|| "fewer values than the levels say".to_owned()) } else { Ok(Value::Null) }
        }
        Node::Struct { def, fields } => {
            if level < *def {
                return Ok(Value::Null);
            }
            let (name, child, _) = fields.iter().find(|(_, _, leaves)| leaves.contains(&leaf)).ok_or("a leaf outside its struct")?;
            let mut object = Map::new();
            object.insert(name.clone(), build(child, leaf, definitions, repetitions, values)?);
            Ok(Value::Object(object))
        }
        Node::List { def, element_def, rep, element, .. } => {
            if level < *def {
                return Ok(Value::Null);
            }
            if level < *element_def {
                return Ok(Value::Array(Vec::new()));
            }
            let mut items = Vec::new();
            let mut start = 0;
            for end in 1..=definitions.len() {
                if end == definitions.len() || repetitions.get(end).is_some_and(|r| r <= rep) {
                    let element_definitions = definitions.get(start..end).unwrap_or_default();
                    let element_repetitions = repetitions.get(start..end).unwrap_or_default();
                    items.push(build(element, leaf, element_definitions, element_repetitions, values)?);
                    start = end;
                }
            }
            Ok(Value::Array(items))
        }
    }
}

/// Merges another leaf's part of a row into the row's value.
fn merge(into: &mut Value, from: Value) -> Result<(), String> {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                match a.get_mut(&key) {
                    Some(existing) => merge(existing, value)?,
                    None => {
                        a.insert(key, value);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (x, y) in a.iter_mut().zip(b) {
                merge(x, y)?;
            }
        }
        (Value::Null, Value::Null) => {}
        _ => return Err("its columns disagree on where its values are".to_owned()),
    }
    Ok(())
}

/// Turns the maps of a row's value, assembled as lists of key/value objects, into objects keyed by the keys'
/// text (a string key as it is, another as its JSON).
fn finish(node: &Node, value: &mut Value) {
    match (node, value) {
        (Node::Struct { fields, .. }, Value::Object(object)) => {
            for (name, child, _) in fields {
                if let Some(value) = object.get_mut(name) {
                    finish(child, value);
                }
            }
        }
        (Node::List { element, map, .. }, value @ Value::Array(_)) => {
            let Value::Array(items) = value else { return };
            for item in items.iter_mut() {
                finish(element, item);
            }
            if !*map {
                return;
            }
            let Node::Struct { fields, .. } = element.as_ref() else { return };
            let (Some((key_name, ..)), Some((value_name, ..))) = (fields.first(), fields.get(1)) else { return };
            let mut object = Map::new();
            for item in std::mem::take(items) {
                let Value::Object(mut entry) = item else { continue };
                let key = match entry.remove(key_name) {
                    Some(Value::String(text)) => text,
                    Some(other) => other.to_string(),
                    None => "null".to_owned(),
                };
                object.insert(key, entry.remove(value_name).unwrap_or(Value::Null));
            }
            *value = Value::Object(object);
        }
        _ => {}
    }
}
