//! Reading one CSV or JSON Lines object a part at a time: the reader asks `getObject` for `Range: bytes=a-b` of
//! `PART_BYTES` each, reads the rows each part completes and keeps the bytes of the row it ends in (`carry`) for the
//! next, so the whole object is never held, only the items made of it (packed). The answer's `ContentRange`
//! (`bytes a-b/total`) says whether more follows; an answer without one (a stand-in, a mock) is the whole object.
//! `MaxItems` stops the reading at the part that reaches it. A compressed object (gzip, ZSTD: its first bytes say so)
//! cannot be read in parts: it is asked for whole, as before.

use serde_json::{Map as Object, Value};

use asl::model::ItemReader;

use crate::execution::items::Packed;
use crate::execution::reader::content;
use crate::execution::reader::formats::{self, Part};

/// How many bytes each part asks for.
pub(super) const PART_BYTES: u64 = 8 * 1024 * 1024;

/// An object read a part at a time.
pub(super) struct Ranged {
    /// The reader's `getObject` parameters, without `Range`.
    pub(super) parameters: Value,
    /// Where the next part starts.
    pub(super) offset: u64,
    /// The bytes of the row the last part ended in.
    carry: Vec<u8>,
    /// The line `carry` starts at.
    line: usize,
    /// A CSV file's header row once read (or the given headers).
    headers: Option<Vec<String>>,
}

/// What one part gave.
pub(super) enum Step {
    /// The items of the rows it completed; more follows unless `done`.
    Items { items: Packed, done: bool },
    /// The object is compressed: read it whole.
    Whole,
}

/// Whether the reader reads its object a part at a time: one CSV or JSON Lines object, no manifest, no listing.
pub(super) fn ranged(reader: &ItemReader) -> bool {
    let one_object = reader.resource.ends_with(":s3:getObject") && reader.manifest.is_none() && !reader.flatten;
    one_object && matches!(reader.input_type.as_deref(), Some("CSV" | "JSONL"))
}

impl Ranged {
    pub(super) fn new(reader: &ItemReader, parameters: Value) -> Ranged {
        let headers = reader.csv_headers_given.then(|| reader.csv_headers.clone());
        Ranged { parameters, offset: 0, carry: Vec::new(), line: 1, headers }
    }

    /// The parameters of the call for the next part.
    pub(super) fn call(&self) -> Value {
        let mut parameters = match &self.parameters {
            Value::Object(fields) => fields.clone(),
            _ => Object::new(),
        };
        let end = self.offset.saturating_add(PART_BYTES - 1);
        parameters.insert("Range".to_owned(), Value::String(format!("bytes={}-{end}", self.offset)));
        Value::Object(parameters)
    }

    /// Reads a part's answer.
    pub(super) fn read(&mut self, reader: &ItemReader, answer: &Value) -> Result<Step, String> {
        let raw = content::raw(answer)?;
        if self.offset == 0 && content::compressed(&raw) {
            return Ok(Step::Whole);
        }
        let received = raw.len() as u64;
        let total = answer.get("ContentRange").and_then(Value::as_str).and_then(total_of);
        let last = total.is_none_or(|total| self.offset.saturating_add(received) >= total) || received == 0;
        self.offset = self.offset.saturating_add(received);
        self.carry.extend_from_slice(&raw);
        drop(raw);
        let bytes = std::mem::take(&mut self.carry);
        // A byte-order mark opens the file only.
        let start = if self.line == 1 && bytes.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
        let body = bytes.get(start..).unwrap_or_default();
        // A part may end inside a character: the text is what is whole of it, the rest comes with the next part.
        let text = match std::str::from_utf8(body) {
            Ok(text) => text,
            Err(error) if !last && error.error_len().is_none() => std::str::from_utf8(body.get(..error.valid_up_to()).unwrap_or_default())
                .map_err(|e| format!("the content is not UTF-8 text: {e}"))?,
            Err(error) => return Err(format!("the content is not UTF-8 text: {error}")),
        };
        let part = Part { last, first_line: self.line };
        let mut items = Packed::default();
        let consumed = match reader.input_type.as_deref() {
            Some("CSV") => formats::csv_part(text, &mut self.headers, reader.csv_delimiter, part, &mut items)?,
            _ => formats::json_lines_part(text, part, &mut items)?,
        };
        let read = text.get(..consumed).unwrap_or_default();
        self.line += read.bytes().filter(|b| *b == b'\n').count();
        self.carry = body.get(consumed..).unwrap_or_default().to_vec();
        Ok(Step::Items { items, done: last })
    }
}

/// The total size in `bytes a-b/total`.
fn total_of(range: &str) -> Option<u64> {
    range.rsplit_once('/')?.1.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Ranged, Step};

    fn reader(input_type: &str) -> asl::model::ItemReader {
        let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": input_type},
                "Parameters": {"Bucket": "b", "Key": "k"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P",
                "States": {"P": {"Type": "Pass", "End": true}}}}}});
        let machine = asl::parse::parse_value(&definition).expect("a valid definition");
        machine.workflows.iter().flat_map(|w| &w.states).find_map(|state| match &state.kind {
            asl::model::StateKind::Map(map) => map.item_reader.clone(),
            _ => None,
        }).expect("a reader")
    }

    /// Reads `text` in parts of `size` bytes, as S3 would answer ranged calls.
    fn read_in_parts(input_type: &str, text: &str, size: usize) -> Result<Vec<Value>, String> {
        let reader = reader(input_type);
        let mut ranged = Ranged::new(&reader, json!({"Bucket": "b", "Key": "k"}));
        let mut values = Vec::new();
        let bytes = text.as_bytes();
        loop {
            let start = usize::try_from(ranged.offset).expect("small");
            let end = (start + size).min(bytes.len());
            let part = bytes.get(start..end).expect("in range");
            let body = match std::str::from_utf8(part) {
                Ok(text) => json!({"Body": text}),
                Err(_) => {
                    use base64::Engine as _;
                    json!({"Body": base64::engine::general_purpose::STANDARD.encode(part), "BatonBodyEncoding": "base64"})
                }
            };
            let mut answer = body;
            answer["ContentRange"] = json!(format!("bytes {start}-{}/{}", end.saturating_sub(1), bytes.len()));
            match ranged.read(&reader, &answer)? {
                Step::Items { items, done } => {
                    values.extend(items.values());
                    if done {
                        return Ok(values);
                    }
                }
                Step::Whole => return Err("whole".to_owned()),
            }
        }
    }

    #[test]
    fn rows_split_across_parts_are_read_whole() {
        let csv = "id,text\n1,\"multi\nline, with \"\"quotes\"\"\"\n2,é😀\n3,\\,x\n";
        let whole = read_in_parts("CSV", csv, csv.len()).expect("whole");
        assert_eq!(whole, vec![json!({"id": "1", "text": "multi\nline, with \"quotes\""}), json!({"id": "2", "text": "é😀"}), json!({"id": "3", "text": ",x"})]);
        for size in 1..csv.len() {
            assert_eq!(read_in_parts("CSV", csv, size).as_ref(), Ok(&whole), "parts of {size} bytes");
        }
        let lines = "{\"a\":1}\n\n{\"b\":\"é\"}\n{\"c\":3}";
        let whole = read_in_parts("JSONL", lines, lines.len()).expect("whole");
        assert_eq!(whole.len(), 3);
        for size in 1..lines.len() {
            assert_eq!(read_in_parts("JSONL", lines, size).as_ref(), Ok(&whole), "parts of {size} bytes");
        }
        let error = read_in_parts("JSONL", "{\"a\":1}\n{\"b\":2}\nnope\n", 5).expect_err("not JSON");
        assert!(error.starts_with("line 3"), "{error}");
    }

    #[test]
    fn an_answer_without_a_range_is_the_whole_object() {
        let reader = reader("CSV");
        let mut ranged = Ranged::new(&reader, json!({"Bucket": "b", "Key": "k"}));
        assert_eq!(ranged.call()["Range"], "bytes=0-8388607");
        let Ok(Step::Items { items, done: true }) = ranged.read(&reader, &json!({"Body": "a\n1\n2"})) else { panic!("one part") };
        assert_eq!(items.values(), vec![json!({"a": "1"}), json!({"a": "2"})]);
        let gzip = json!({"Body": "H4sIAA==", "BatonBodyEncoding": "base64", "ContentRange": "bytes 0-3/100"});
        assert!(matches!(Ranged::new(&reader, json!({})).read(&reader, &gzip), Ok(Step::Whole)));
    }
}
