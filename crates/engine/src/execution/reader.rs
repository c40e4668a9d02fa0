//! A Map's `ItemReader`: the items come from S3 instead of the input. The engine asks for the reader's S3 call as a
//! task of the Map's frame (no task events: AWS's history shows none), reads the answer per `ReaderConfig` (a JSON
//! array, JSON Lines, CSV with its headers, or the objects `listObjectsV2` lists, page after page), applies
//! `MaxItems`, then starts the Map over those items. A call that fails, or content that cannot be read, fails the Map
//! with `States.ItemReaderFailed`.

use serde_json::{Map as Object, Value, json};

use asl::model::{ItemReader, State};
use asl::{Failure, errors};

use crate::execution::{Command, Execution, Flow, Phase, TaskId, TaskRequest};

/// A read in progress: the frame's Map waits for its reader's call.
pub(super) struct Reading {
    pub(super) task: TaskId,
    /// The Map's effective input, which it starts with once the items are read.
    pub(super) effective: Value,
    /// The items of the pages read so far (`listObjectsV2`).
    pub(super) items: Vec<Value>,
}

impl Execution {
    /// Asks for the reader's call (the next page when `continuation` is set) and has the Map wait for it.
    pub(super) fn read_items(&mut self, fid: usize, state: &State, reader: &ItemReader, effective: Value, items: Vec<Value>, continuation: Option<Value>) -> Flow {
        let frame = self.frame(fid);
        let mut parameters = match self.arguments(frame, state, reader.arguments.as_ref(), &effective, None, "Arguments") {
            Ok(parameters) => parameters,
            Err(failure) => return self.fail_unstarted_map(fid, failure),
        };
        if let (Some(token), Value::Object(fields)) = (continuation, &mut parameters) {
            fields.insert("ContinuationToken".to_owned(), token);
        }
        let task = TaskId(self.handle());
        self.tasks.insert(task, fid);
        self.commands.push(Command::InvokeTask(TaskRequest {
            task,
            state_name: state.name.clone(),
            resource: reader.resource.clone(),
            parameters,
            timeout_seconds: None,
            heartbeat_seconds: None,
            token: None,
            role_arn: None,
        }));
        self.frame_mut(fid).phase = Phase::Reading(Box::new(Reading { task, effective, items }));
        Flow::Stop
    }

    /// The reader's call answered: reads its items, asks for the next page, or starts the Map.
    pub(super) fn items_read(&mut self, fid: usize, reading: Reading, outcome: Result<Value, Failure>) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        let asl::model::StateKind::Map(map) = &state.kind else { return Flow::Stop };
        let Some(reader) = &map.item_reader else { return Flow::Stop };
        let failed = |cause: String| Failure::new(errors::ITEM_READER_FAILED, cause);
        let answer = match outcome {
            Ok(answer) => answer,
            Err(failure) => {
                let cause = match failure.cause {
                    Some(cause) => format!("{}: {cause}", failure.error),
                    None => failure.error,
                };
                return self.fail_unstarted_map(fid, failed(self.prefix_text(frame, state, &cause)));
            }
        };
        let Reading { effective, mut items, .. } = reading;
        let page = match parse(reader, &answer) {
            Ok(page) => page,
            Err(cause) => return self.fail_unstarted_map(fid, failed(self.prefix_text(frame, state, &cause))),
        };
        items.extend(page.items);
        let max = match self.max_items(fid, state, reader, &effective) {
            Ok(max) => max,
            Err(failure) => return self.fail_unstarted_map(fid, failure),
        };
        if let Some(max) = max {
            items.truncate(max);
        }
        match page.continuation {
            Some(token) if max.is_none_or(|max| items.len() < max) => self.read_items(fid, state, reader, effective, items, Some(token)),
            _ => self.start_map_over(fid, state, map, effective, items),
        }
    }

    /// `MaxItems` (`MaxItemsPath`, JSONata): `None` for all of them (AWS's 0 means all too).
    fn max_items(&self, fid: usize, state: &State, reader: &ItemReader, effective: &Value) -> Result<Option<usize>, Failure> {
        let frame = self.frame(fid);
        let Some(count) = reader.max_items.as_ref() else { return Ok(None) };
        let max = self.map_count(frame, state, count, "MaxItems", effective)?;
        Ok((max > 0).then(|| usize::try_from(max).unwrap_or(usize::MAX)))
    }
}

/// One answer's items, and the token of the next page if there is one.
struct Page {
    items: Vec<Value>,
    continuation: Option<Value>,
}

/// The items of a reader's answer: a `listObjectsV2` page's objects, or an object's `Body` per `InputType`.
fn parse(reader: &ItemReader, answer: &Value) -> Result<Page, String> {
    if reader.resource.ends_with(":listObjectsV2") {
        let items = answer.get("Contents").and_then(Value::as_array).cloned().unwrap_or_default();
        let items = items.into_iter().map(listed).collect();
        let truncated = answer.get("IsTruncated").and_then(Value::as_bool).unwrap_or(false);
        let continuation = answer.get("NextContinuationToken").filter(|_| truncated).cloned();
        return Ok(Page { items, continuation });
    }
    let body = match answer.get("Body") {
        Some(Value::String(text)) => text.clone(),
        // A stand-in may answer with the content already parsed.
        Some(other) => other.to_string(),
        None => return Err("the S3 object has no content".to_owned()),
    };
    let items = match reader.input_type.as_deref() {
        Some("JSON") | None => json_items(&body)?,
        Some("JSONL") => json_lines(&body)?,
        Some("CSV") => csv_items(reader, &body)?,
        Some(other) => return Err(format!("Baton does not read InputType {other} yet")),
    };
    Ok(Page { items, continuation: None })
}

/// An object listed by `listObjectsV2`, as the Map's item: `Etag`, `Key`, `LastModified`, `Size`, `StorageClass`.
fn listed(object: Value) -> Value {
    let field = |key: &str| object.get(key).cloned().unwrap_or(Value::Null);
    json!({
        "Etag": field("ETag"),
        "Key": field("Key"),
        "LastModified": field("LastModified"),
        "Size": field("Size"),
        "StorageClass": field("StorageClass"),
    })
}

/// A JSON file: it must hold an array, whose elements are the items.
fn json_items(body: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str(body) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(_) => Err("the JSON content is not an array".to_owned()),
        Err(error) => Err(format!("the content is not valid JSON: {error}")),
    }
}

/// JSON Lines: one item per non-empty line.
fn json_lines(body: &str) -> Result<Vec<Value>, String> {
    body.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| serde_json::from_str(line).map_err(|error| format!("line {} is not valid JSON: {error}", n + 1)))
        .collect()
}

/// CSV: each row an object of its header's fields, the values strings; the header is the first row or `CSVHeaders`.
fn csv_items(reader: &ItemReader, body: &str) -> Result<Vec<Value>, String> {
    let mut rows = csv_rows(body, reader.csv_delimiter)?.into_iter();
    let headers = if reader.csv_headers_given {
        reader.csv_headers.clone()
    } else {
        rows.next().ok_or_else(|| "the CSV content has no header row".to_owned())?
    };
    let mut items = Vec::new();
    for (n, row) in rows.enumerate() {
        if row.len() != headers.len() {
            return Err(format!("CSV row {} has {} fields where the header has {}", n + 1, row.len(), headers.len()));
        }
        let item: Object<String, Value> = headers.iter().cloned().zip(row.into_iter().map(Value::String)).collect();
        items.push(Value::Object(item));
    }
    Ok(items)
}

/// RFC 4180 rows: fields split by `delimiter`, a field in double quotes may hold the delimiter, line breaks and `""`
/// for a quote. Empty lines are skipped.
fn csv_rows(body: &str, delimiter: char) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let (mut row, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, body.chars().peekable());
    let mut started = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                started = true;
            }
            c if c == delimiter => {
                row.push(std::mem::take(&mut field));
                started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if started || !field.is_empty() {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                started = false;
            }
            other => {
                field.push(other);
                started = true;
            }
        }
    }
    if quoted {
        return Err("the CSV content ends inside a quoted field".to_owned());
    }
    if started || !field.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::{csv_rows, json_lines, json_items};
    use serde_json::json;

    #[test]
    fn csv_rows_follow_rfc_4180() {
        let rows = csv_rows("a,b\r\n1,\"x, \"\"y\"\"\"\n\n2,\"multi\nline\"\n", ',').expect("valid CSV");
        assert_eq!(rows, vec![vec!["a", "b"], vec!["1", "x, \"y\""], vec!["2", "multi\nline"]]);
        assert_eq!(csv_rows("a|b\n1|2", '|').expect("valid"), vec![vec!["a", "b"], vec!["1", "2"]]);
        assert!(csv_rows("a,\"b", ',').is_err());
        assert_eq!(csv_rows("a,\n", ',').expect("valid"), vec![vec!["a", ""]]);
    }

    #[test]
    fn json_and_json_lines() {
        assert_eq!(json_items("[1, {\"a\": 2}]"), Ok(vec![json!(1), json!({"a": 2})]));
        assert!(json_items("{\"a\": 1}").is_err());
        assert_eq!(json_lines("{\"a\":1}\n\n{\"a\":2}\n"), Ok(vec![json!({"a": 1}), json!({"a": 2})]));
        assert!(json_lines("{\"a\":1}\nnope").is_err_and(|e| e.starts_with("line 2")));
    }
}
