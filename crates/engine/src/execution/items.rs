//! A Map's items, and its iterations' inputs when an ItemBatcher groups them.
//!
//! Items from the state's input are the values the input holds (`Items::Values`). Items an ItemReader reads can be
//! millions, and a `serde_json::Value` object costs hundreds of bytes on the heap: they are kept packed instead, each
//! as its compact JSON text in one buffer (`Items::Packed`), about the size of the file they came from, and parsed
//! back when their iteration starts. A packed item's text is what `Value::to_string` gives, so its length is the size
//! `MaxInputBytesPerBatch` counts.
//!
//! `MapItems` are the iterations: one per item, or one per batch (`{"BatchInput": …, "Items": […]}`, made when the
//! batch starts).

use serde_json::{Map as Object, Value};

/// A Map's items.
pub(super) enum Items {
    Values(Vec<Value>),
    Packed(Packed),
}

/// Items as compact JSON texts, end to end in one buffer.
#[derive(Debug, Default)]
pub(super) struct Packed {
    text: String,
    /// Where each item's text ends in `text` (it starts where the one before ends).
    ends: Vec<usize>,
}

impl Packed {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Adds `value`.
    pub(super) fn push(&mut self, value: &Value) {
        use std::fmt::Write as _;
        let _ = write!(self.text, "{value}");
        self.ends.push(self.text.len());
    }

    /// Adds an object of string fields, without building it: `fields` pairs each name with its value.
    pub(super) fn push_strings<'a>(&mut self, fields: impl Iterator<Item = (&'a str, &'a str)>) {
        self.text.push('{');
        for (n, (name, value)) in fields.enumerate() {
            if n > 0 {
                self.text.push(',');
            }
            push_json_string(&mut self.text, name);
            self.text.push(':');
            push_json_string(&mut self.text, value);
        }
        self.text.push('}');
        self.ends.push(self.text.len());
    }

    /// Keeps the first `n` items.
    pub(super) fn truncate(&mut self, n: usize) {
        if n < self.ends.len() {
            self.ends.truncate(n);
            let end = self.ends.last().copied().unwrap_or(0);
            self.text.truncate(end);
        }
    }

    /// Adds all of `other`'s items after these.
    pub(super) fn append(&mut self, other: Packed) {
        let base = self.text.len();
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.into_iter().map(|end| end + base));
    }

    /// Item `index`'s JSON text.
    fn text(&self, index: usize) -> &str {
        let start = if index == 0 { 0 } else { self.ends.get(index - 1).copied().unwrap_or(0) };
        let end = self.ends.get(index).copied().unwrap_or(start);
        self.text.get(start..end).unwrap_or_default()
    }

    /// Item `index`, parsed back.
    fn value(&self, index: usize) -> Value {
        // The text was written from a value (or as JSON by `push_strings`), so it parses.
        serde_json::from_str(self.text(index)).unwrap_or(Value::Null)
    }

    /// Every item, parsed back (tests).
    #[cfg(test)]
    pub(super) fn values(&self) -> Vec<Value> {
        (0..self.len()).map(|index| self.value(index)).collect()
    }
}

impl Items {
    pub(super) fn len(&self) -> usize {
        match self {
            Items::Values(values) => values.len(),
            Items::Packed(packed) => packed.len(),
        }
    }

    /// Item `index`, handed over: a value is left `null` behind it.
    fn take(&mut self, index: usize) -> Value {
        match self {
            Items::Values(values) => values.get_mut(index).map(std::mem::take).unwrap_or_default(),
            Items::Packed(packed) => packed.value(index),
        }
    }

    /// Item `index`, as it is.
    fn get(&self, index: usize) -> Value {
        match self {
            Items::Values(values) => values.get(index).cloned().unwrap_or_default(),
            Items::Packed(packed) => packed.value(index),
        }
    }

    /// The size of item `index` as JSON text.
    pub(super) fn size(&self, index: usize) -> usize {
        match self {
            Items::Values(values) => values.get(index).map_or(0, |value| value.to_string().len()),
            Items::Packed(packed) => packed.text(index).len(),
        }
    }
}

/// A Map's iterations over its items.
pub(super) enum MapItems {
    /// One iteration per item.
    Each(Items),
    /// One iteration per batch: batch `n` holds the items from `ends[n - 1]` (0 for the first) to `ends[n]`.
    Batched { items: Items, ends: Vec<usize>, batch_input: Option<Value> },
}

impl Default for MapItems {
    fn default() -> MapItems {
        MapItems::Each(Items::Values(Vec::new()))
    }
}

impl MapItems {
    /// How many iterations.
    pub(super) fn len(&self) -> usize {
        match self {
            MapItems::Each(items) => items.len(),
            MapItems::Batched { ends, .. } => ends.len(),
        }
    }

    /// How many items iteration `index` processes.
    pub(super) fn weight(&self, index: usize) -> u64 {
        match self {
            MapItems::Each(_) => 1,
            MapItems::Batched { ends, .. } => {
                let range = batch_range(ends, index);
                (range.end - range.start) as u64
            }
        }
    }

    /// Iteration `index`'s input, handed over.
    pub(super) fn take(&mut self, index: usize) -> Value {
        match self {
            MapItems::Each(items) => items.take(index),
            MapItems::Batched { items, ends, batch_input } => {
                let batch = batch_range(ends, index).map(|item| items.take(item)).collect();
                batch_value(batch, batch_input.as_ref())
            }
        }
    }

    /// Iteration `index`'s input, left in place (an iteration that has not started).
    pub(super) fn get(&self, index: usize) -> Value {
        match self {
            MapItems::Each(items) => items.get(index),
            MapItems::Batched { items, ends, batch_input } => {
                let batch = batch_range(ends, index).map(|item| items.get(item)).collect();
                batch_value(batch, batch_input.as_ref())
            }
        }
    }
}

fn batch_range(ends: &[usize], index: usize) -> std::ops::Range<usize> {
    let start = if index == 0 { 0 } else { ends.get(index - 1).copied().unwrap_or(0) };
    start..ends.get(index).copied().unwrap_or(start)
}

/// `{"BatchInput": …, "Items": […]}`.
fn batch_value(items: Vec<Value>, batch_input: Option<&Value>) -> Value {
    let mut object = Object::new();
    if let Some(input) = batch_input {
        object.insert("BatchInput".into(), input.clone());
    }
    object.insert("Items".into(), Value::Array(items));
    Value::Object(object)
}

/// `text` as a JSON string, quoted and escaped as serde_json writes it.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Items, MapItems, Packed};

    #[test]
    fn packed_items_are_their_compact_json() {
        let mut packed = Packed::default();
        packed.push(&json!({"a": [1, 2.5, null], "b": "x"}));
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{07} é 😀";
        packed.push_strings([("id", "1"), ("text", tricky)].into_iter());
        packed.push(&json!("last"));
        let values = packed.values();
        assert_eq!(values, vec![json!({"a": [1, 2.5, null], "b": "x"}), json!({"id": "1", "text": tricky}), json!("last")]);
        for (index, value) in values.iter().enumerate() {
            assert_eq!(packed.text(index), value.to_string(), "the size MaxInputBytesPerBatch counts");
        }
        packed.truncate(2);
        assert_eq!(packed.len(), 2);
        let mut more = Packed::default();
        more.push(&json!(7));
        packed.append(more);
        assert_eq!(packed.values().last(), Some(&json!(7)));
    }

    #[test]
    fn batches_are_made_when_they_start() {
        let mut packed = Packed::default();
        for n in 0..5 {
            packed.push(&json!(n));
        }
        let mut batched = MapItems::Batched { items: Items::Packed(packed), ends: vec![2, 4, 5], batch_input: Some(json!({"k": 1})) };
        assert_eq!((batched.len(), batched.weight(0), batched.weight(2)), (3, 2, 1));
        assert_eq!(batched.get(1), json!({"BatchInput": {"k": 1}, "Items": [2, 3]}));
        assert_eq!(batched.take(2), json!({"BatchInput": {"k": 1}, "Items": [4]}));
        let mut each = MapItems::Each(Items::Values(vec![json!("a"), json!("b")]));
        assert_eq!(each.take(1), json!("b"));
        assert_eq!(each.get(1), Value::Null, "a value is handed over");
    }
}
