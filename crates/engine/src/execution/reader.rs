//! A Map's `ItemReader`: the items come from S3 instead of the input. The engine asks for the reader's S3 calls as
//! tasks of the Map's frame (no task events: AWS's history shows none), reads each answer, then starts the Map over
//! the items. What the calls read:
//!
//! - one object, per `ReaderConfig.InputType`: a JSON array, JSON Lines, CSV with its headers (`formats`);
//! - the objects `listObjectsV2` lists, page after page; with `Transformation: LOAD_AND_FLATTEN`, the content of
//!   each object listed, per `InputType`, after each page;
//! - a manifest (`manifest`), then each file it lists in turn: an S3 Inventory report's CSV files, whose rows are
//!   the items, or the files of an Athena `UNLOAD`, each read per `InputType`.
//!
//! Any object may be gzip-compressed (`content`). `MaxItems` stops the reading once there are enough items: no page
//! or file after that is asked for. A call that fails, or content that cannot be read (the cause names the object
//! and, where there is one, the line), fails the Map with `States.ItemReaderFailed`.

mod content;
mod formats;
mod manifest;
mod ranges;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use serde_json::{Value, json};

use asl::model::{ItemReader, Manifest, State, StateKind};
use asl::{Failure, errors};

use crate::execution::items::{Items, Packed};
use crate::execution::{Command, Execution, Flow, Phase, TaskId, TaskRequest};
use formats::Headers;
use manifest::S3Object;

/// A read in progress: the frame's Map waits for its reader's call.
pub(super) struct Reading {
    pub(super) task: TaskId,
    progress: Progress,
}

/// How far a read has come.
struct Progress {
    /// The Map's effective input, which it starts with once the items are read.
    effective: Value,
    /// The items read so far, packed (`items::Packed`): millions of them take about the room of their files.
    items: Packed,
    /// What the call in flight reads.
    call: Call,
}

/// What a reader's call reads.
enum Call {
    /// What the reader's parameters (these) name: the object or manifest, or a page of the objects listed.
    Source(Value),
    /// `file`, one of the files a manifest or a page of a listing named.
    File { file: S3Object, rest: Files },
    /// The next part of one CSV or JSON Lines object (`ranges`).
    Part(ranges::Ranged),
}

/// The files of a manifest (or of a page of a listing) still to read, and how to read them.
struct Files {
    files: VecDeque<S3Object>,
    /// The columns of an S3 inventory's rows (its `fileSchema`); empty for the others.
    columns: Vec<String>,
    /// The reader's `ExpectedBucketOwner`, which every file's call carries.
    owner: Option<Value>,
    /// The token of the listing's next page, read after these files.
    after: Option<Value>,
}

/// What one answer gave: its items, and what to read next.
struct Read {
    items: Packed,
    next: Next,
}

enum Next {
    Done,
    /// The page of `listObjectsV2` after this token.
    Page(Value),
    /// The files a manifest or a page of a listing named.
    Files(Files),
    /// The next part of the object read in parts.
    Part(ranges::Ranged),
    /// The object, whole (read with these parameters): it cannot be read in parts.
    Whole(Value),
}

impl Execution {
    /// Asks for the reader's call (the next page when `continuation` is set) and has the Map wait for it.
    pub(super) fn read_items(&mut self, fid: usize, state: &State, reader: &ItemReader, effective: Value, items: Packed, continuation: Option<Value>) -> Flow {
        let frame = self.frame(fid);
        let mut parameters = match self.arguments(frame, state, reader.arguments.as_ref(), &effective, None, "Arguments") {
            Ok(parameters) => parameters,
            Err(failure) => return self.fail_unstarted_map(fid, failure),
        };
        if let (Some(token), Value::Object(fields)) = (continuation, &mut parameters) {
            fields.insert("ContinuationToken".to_owned(), token);
        }
        if ranges::ranged(reader) {
            let ranged = ranges::Ranged::new(reader, parameters);
            let parameters = ranged.call();
            return self.ask(fid, state, reader.resource.clone(), parameters, Progress { effective, items, call: Call::Part(ranged) });
        }
        let call = Call::Source(parameters.clone());
        self.ask(fid, state, reader.resource.clone(), parameters, Progress { effective, items, call })
    }

    /// Asks for one call of the reader, of `resource` with `parameters`, and has the Map wait for it.
    fn ask(&mut self, fid: usize, state: &State, resource: String, parameters: Value, progress: Progress) -> Flow {
        let task = TaskId(self.handle());
        self.tasks.insert(task, fid);
        self.commands.push(Command::InvokeTask(TaskRequest {
            task,
            state_name: state.name.clone(),
            resource,
            parameters,
            timeout_seconds: None,
            heartbeat_seconds: None,
            token: None,
            role_arn: None,
            scheduled_event: None,
        }));
        self.frame_mut(fid).phase = Phase::Reading(Box::new(Reading { task, progress }));
        Flow::Stop
    }

    /// The reader's call answered: reads its items, then asks for the next page or file, or starts the Map.
    pub(super) fn items_read(&mut self, fid: usize, reading: Reading, outcome: Result<Value, Failure>) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        let StateKind::Map(map) = &state.kind else { return Flow::Stop };
        let Some(reader) = &map.item_reader else { return Flow::Stop };
        let Progress { effective, mut items, call } = reading.progress;
        let answer = match outcome {
            Ok(answer) => answer,
            // S3 answers a range of an empty object with 416 InvalidRange: the object has no content.
            Err(failure) if matches!(&call, Call::Part(ranged) if ranged.offset == 0) && failure.error.ends_with(".InvalidRangeException") => {
                Value::Object(serde_json::Map::new())
            }
            Err(failure) => {
                let error = match failure.cause {
                    Some(cause) => format!("{}: {cause}", failure.error),
                    None => failure.error,
                };
                let cause = match &call {
                    Call::Source(_) | Call::Part(_) => error,
                    Call::File { file, .. } => format!("{}: {error}", file.uri()),
                };
                return self.reader_failed(fid, state, &cause);
            }
        };
        let read = match call {
            Call::Source(parameters) => read_source(reader, &parameters, &answer),
            Call::File { file, rest } => read_file(reader, rest, &answer).map_err(|problem| format!("{}: {problem}", file.uri())),
            Call::Part(ranged) => read_part(reader, ranged, &answer),
        };
        let read = match read {
            Ok(read) => read,
            Err(cause) => return self.reader_failed(fid, state, &cause),
        };
        items.append(read.items);
        let max = match self.max_items(fid, state, reader, &effective) {
            Ok(max) => max,
            Err(failure) => return self.fail_unstarted_map(fid, failure),
        };
        if let Some(max) = max {
            items.truncate(max);
        }
        if max.is_some_and(|max| items.len() >= max) {
            return self.start_map_over(fid, state, map, effective, Items::Packed(items));
        }
        match read.next {
            Next::Page(token) => self.read_items(fid, state, reader, effective, items, Some(token)),
            Next::Files(mut rest) => match rest.files.pop_front() {
                Some(file) => {
                    let parameters = file.parameters(rest.owner.as_ref());
                    let progress = Progress { effective, items, call: Call::File { file, rest } };
                    self.ask(fid, state, get_object(&reader.resource), parameters, progress)
                }
                None => match rest.after {
                    Some(token) => self.read_items(fid, state, reader, effective, items, Some(token)),
                    None => self.start_map_over(fid, state, map, effective, Items::Packed(items)),
                },
            },
            Next::Done => self.start_map_over(fid, state, map, effective, Items::Packed(items)),
            Next::Part(ranged) => {
                let parameters = ranged.call();
                self.ask(fid, state, reader.resource.clone(), parameters, Progress { effective, items, call: Call::Part(ranged) })
            }
            Next::Whole(parameters) => {
                let call = Call::Source(parameters.clone());
                self.ask(fid, state, reader.resource.clone(), parameters, Progress { effective, items, call })
            }
        }
    }

    /// Fails the Map, which has not started its items, with `States.ItemReaderFailed` and `cause`.
    fn reader_failed(&mut self, fid: usize, state: &State, cause: &str) -> Flow {
        let text = self.prefix_text(self.frame(fid), state, cause);
        self.fail_unstarted_map(fid, Failure::new(errors::ITEM_READER_FAILED, text))
    }

    /// `MaxItems` (`MaxItemsPath`, JSONata): `None` for all of them (AWS's 0 means all too).
    fn max_items(&self, fid: usize, state: &State, reader: &ItemReader, effective: &Value) -> Result<Option<usize>, Failure> {
        let frame = self.frame(fid);
        let Some(count) = reader.max_items.as_ref() else { return Ok(None) };
        let max = self.map_count(frame, state, count, "MaxItems", effective)?;
        Ok((max > 0).then(|| usize::try_from(max).unwrap_or(usize::MAX)))
    }
}

/// The answer to the call the reader's `parameters` made: a `listObjectsV2` page's objects, an object's items per
/// `InputType`, or a manifest's files.
fn read_source(reader: &ItemReader, parameters: &Value, answer: &Value) -> Result<Read, String> {
    let owner = parameters.get("ExpectedBucketOwner").cloned();
    if reader.resource.ends_with(":listObjectsV2") {
        let objects = answer.get("Contents").and_then(Value::as_array).cloned().unwrap_or_default();
        let truncated = answer.get("IsTruncated").and_then(Value::as_bool).unwrap_or(false);
        let token = answer.get("NextContinuationToken").filter(|_| truncated).cloned();
        if reader.flatten {
            // A key ending in `/` is a folder the S3 console made, which holds nothing to read.
            let bucket = S3Object::named(parameters).bucket;
            let keys = objects.iter().filter_map(|object| object.get("Key")?.as_str()).filter(|key| !key.ends_with('/'));
            let files = keys.map(|key| S3Object { bucket: bucket.clone(), key: key.to_owned() }).collect();
            return Ok(Read { items: Packed::default(), next: Next::Files(Files { files, columns: Vec::new(), owner, after: token }) });
        }
        let mut items = Packed::default();
        for object in objects {
            items.push(&listed(object));
        }
        return Ok(Read { items, next: token.map_or(Next::Done, Next::Page) });
    }
    let object = S3Object::named(parameters);
    let within = |problem: String| format!("{}: {problem}", object.uri());
    let bytes = content::bytes(answer).map_err(within)?;
    let next = match reader.manifest {
        None => return Ok(Read { items: typed_items(reader, &bytes).map_err(within)?, next: Next::Done }),
        Some(Manifest::S3Inventory) => {
            let (files, columns) = manifest::inventory(content::text(&bytes).map_err(within)?, &object.bucket).map_err(within)?;
            Files { files: files.into(), columns, owner, after: None }
        }
        Some(Manifest::AthenaData) => {
            let files = manifest::athena(content::text(&bytes).map_err(within)?).map_err(within)?;
            Files { files: files.into(), columns: Vec::new(), owner, after: None }
        }
    };
    Ok(Read { items: Packed::default(), next: Next::Files(next) })
}

/// The answer for a part of an object read in parts: the items of the rows it completed, and the next part unless it
/// was the last.
fn read_part(reader: &ItemReader, mut ranged: ranges::Ranged, answer: &Value) -> Result<Read, String> {
    let object = S3Object::named(&ranged.parameters);
    match ranged.read(reader, answer).map_err(|problem| format!("{}: {problem}", object.uri()))? {
        ranges::Step::Whole => Ok(Read { items: Packed::default(), next: Next::Whole(ranged.parameters) }),
        ranges::Step::Items { items, done: true } => Ok(Read { items, next: Next::Done }),
        ranges::Step::Items { items, done: false } => Ok(Read { items, next: Next::Part(ranged) }),
    }
}

/// The answer for one of a manifest's (or a listing's) files: its items, and the `rest` of the files to read next.
fn read_file(reader: &ItemReader, rest: Files, answer: &Value) -> Result<Read, String> {
    let bytes = content::bytes(answer)?;
    let items = match reader.manifest {
        // An inventory file has no header row: its columns are the manifest's, unless the definition names them.
        Some(Manifest::S3Inventory) => {
            let headers = Headers::Given(if reader.csv_headers_given { &reader.csv_headers } else { &rest.columns });
            formats::csv_items(content::text(&bytes)?, headers, reader.csv_delimiter)?
        }
        Some(Manifest::AthenaData) | None => typed_items(reader, &bytes)?,
    };
    Ok(Read { items, next: Next::Files(rest) })
}

/// The items of one file per the reader's `InputType` (JSON when it names none).
fn typed_items(reader: &ItemReader, bytes: &[u8]) -> Result<Packed, String> {
    match reader.input_type.as_deref() {
        Some("JSON") | None => formats::json_items(content::text(bytes)?),
        Some("JSONL") => formats::json_lines(content::text(bytes)?),
        Some("CSV") => {
            let headers = if reader.csv_headers_given { Headers::Given(&reader.csv_headers) } else { Headers::FirstRow };
            formats::csv_items(content::text(bytes)?, headers, reader.csv_delimiter)
        }
        Some("PARQUET") => formats::parquet_items(bytes),
        Some(other) => Err(format!("Baton does not read InputType {other}")),
    }
}

/// The `s3:getObject` resource of the reader's partition, which reads the files of a manifest or a listing.
fn get_object(resource: &str) -> String {
    match resource.rsplit_once(':') {
        Some((service, _)) => format!("{service}:getObject"),
        None => resource.to_owned(),
    }
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
