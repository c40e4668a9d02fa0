//! How records map to SQLite rows and back, and the page tokens.
//!
//! Enums are stored as their AWS names (`RUNNING`, `STANDARD`) so the database reads well in `sqlite3`; tags as a
//! JSON array of `[key, value]` pairs. A page token is `<list>.<last sort key>` (`sm.12`, `ex.40`, `es.40`, `hf.7`, `hr.7`, `ac.3`):
//! opaque to callers, checked strictly when it comes back.

use std::borrow::Cow;

use rusqlite::Row;
use rusqlite::types::Type;

use crate::{Activity, Alias, Error, Event, Execution, Kind, Page, PageRequest, Route, StateMachine, Status, Version};

/// The columns `machine` reads, after `seq`.
pub(crate) const MACHINE_COLUMNS: &str = "seq, arn, name, kind, definition, role_arn, logging_configuration, \
     tracing_configuration, description, revision_id, created, updated, tags, encryption_configuration";

/// The columns `execution` reads, after `seq`.
pub(crate) const EXECUTION_COLUMNS: &str = "seq, arn, name, state_machine_arn, definition, role_arn, kind, input, \
     trace_header, status, start, stop, output, error, cause, version_arn, alias_arn, redrive_count, redrive_date, \
     engine_version, map_run_arn";

/// The columns `version` reads, after `seq`.
pub(crate) const VERSION_COLUMNS: &str =
    "seq, state_machine_arn, number, definition, role_arn, revision_id, description, created";

/// The columns `alias` reads, after `seq`.
pub(crate) const ALIAS_COLUMNS: &str = "seq, arn, state_machine_arn, name, description, routing, created, updated";

/// The columns `activity` reads, after `seq`.
pub(crate) const ACTIVITY_COLUMNS: &str = "seq, arn, name, created, tags, encryption_configuration";

pub(crate) const DEFAULT_LIMIT: usize = 100;
pub(crate) const MAX_LIMIT: usize = 1000;

/// Which list a token belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum List {
    StateMachines,
    Executions,
    Search,
    HistoryForward,
    HistoryReverse,
    Versions,
    Aliases,
    Activities,
}

impl List {
    fn prefix(self) -> &'static str {
        match self {
            List::StateMachines => "sm",
            List::Executions => "ex",
            List::Search => "es",
            List::HistoryForward => "hf",
            List::HistoryReverse => "hr",
            List::Versions => "sv",
            List::Aliases => "sa",
            List::Activities => "ac",
        }
    }
}

pub(crate) fn encode_token(list: List, key: i64) -> String {
    format!("{}.{key}", list.prefix())
}

/// The sort key after which the page starts, or `None` for the first page.
pub(crate) fn decode_token(list: List, page: &PageRequest) -> Result<Option<i64>, Error> {
    let Some(token) = &page.token else { return Ok(None) };
    let key = token
        .strip_prefix(list.prefix())
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|key| key.parse::<i64>().ok())
        .filter(|key| *key >= 0 && encode_token(list, *key) == *token);
    match key {
        Some(key) => Ok(Some(key)),
        None => Err(Error::InvalidToken(token.clone())),
    }
}

/// The page size: 0 means the default, and no page is larger than `MAX_LIMIT`.
pub(crate) fn limit(page: &PageRequest) -> usize {
    match page.limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    }
}

pub(crate) fn kind_str(kind: Kind) -> &'static str {
    match kind {
        Kind::Standard => "STANDARD",
        Kind::Express => "EXPRESS",
    }
}

pub(crate) fn status_str(status: Status) -> &'static str {
    match status {
        Status::Running => "RUNNING",
        Status::Succeeded => "SUCCEEDED",
        Status::Failed => "FAILED",
        Status::TimedOut => "TIMED_OUT",
        Status::Aborted => "ABORTED",
    }
}

/// The workflow type `kind_str` wrote.
pub(crate) fn kind_of(text: &str) -> Option<Kind> {
    [Kind::Standard, Kind::Express].into_iter().find(|kind| kind_str(*kind) == text)
}

/// The status `status_str` wrote.
pub(crate) fn status_of(text: &str) -> Option<Status> {
    [Status::Running, Status::Succeeded, Status::Failed, Status::TimedOut, Status::Aborted]
        .into_iter()
        .find(|status| status_str(*status) == text)
}

pub(crate) fn tags_json(tags: &[(String, String)]) -> Result<String, Error> {
    serde_json::to_string(tags).map_err(|e| crate::sqlite::backend(format!("cannot encode tags: {e}")))
}

/// Reads `(seq, machine)` from a row selected with `MACHINE_COLUMNS`.
pub(crate) fn machine(row: &Row<'_>) -> rusqlite::Result<(i64, StateMachine)> {
    let tags: String = row.get(12)?;
    let tags = serde_json::from_str(&tags).map_err(|e| corrupt(12, format!("tags {tags:?}: {e}")))?;
    let machine = StateMachine {
        arn: row.get(1)?,
        name: row.get(2)?,
        kind: kind(row, 3)?,
        definition: row.get(4)?,
        role_arn: row.get(5)?,
        logging_configuration: row.get(6)?,
        tracing_configuration: row.get(7)?,
        description: row.get(8)?,
        revision_id: row.get(9)?,
        created: row.get(10)?,
        updated: row.get(11)?,
        tags,
        encryption_configuration: row.get(13)?,
    };
    Ok((row.get(0)?, machine))
}

/// Reads `(seq, execution)` from a row selected with `EXECUTION_COLUMNS`.
pub(crate) fn execution(row: &Row<'_>) -> rusqlite::Result<(i64, Execution)> {
    let execution = Execution {
        arn: row.get(1)?,
        name: row.get(2)?,
        state_machine_arn: row.get(3)?,
        definition: row.get(4)?,
        role_arn: row.get(5)?,
        kind: kind(row, 6)?,
        input: row.get(7)?,
        trace_header: row.get(8)?,
        status: status(row, 9)?,
        start: row.get(10)?,
        stop: row.get(11)?,
        output: row.get(12)?,
        error: row.get(13)?,
        cause: row.get(14)?,
        version_arn: row.get(15)?,
        alias_arn: row.get(16)?,
        redrive_count: row.get(17)?,
        redrive_date: row.get(18)?,
        engine_version: row.get(19)?,
        map_run_arn: row.get(20)?,
    };
    Ok((row.get(0)?, execution))
}

/// Reads `(seq, version)` from a row selected with `VERSION_COLUMNS`.
pub(crate) fn version(row: &Row<'_>) -> rusqlite::Result<(i64, Version)> {
    let number: i64 = row.get(2)?;
    let version = Version {
        state_machine_arn: row.get(1)?,
        number: u64::try_from(number).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(2, number))?,
        definition: row.get(3)?,
        role_arn: row.get(4)?,
        revision_id: row.get(5)?,
        description: row.get(6)?,
        created: row.get(7)?,
    };
    Ok((row.get(0)?, version))
}

/// Reads `(seq, alias)` from a row selected with `ALIAS_COLUMNS`.
pub(crate) fn alias(row: &Row<'_>) -> rusqlite::Result<(i64, Alias)> {
    let routing: String = row.get(5)?;
    let alias = Alias {
        arn: row.get(1)?,
        state_machine_arn: row.get(2)?,
        name: row.get(3)?,
        description: row.get(4)?,
        routing: routing_from_json(&routing).map_err(|e| corrupt(5, e))?,
        created: row.get(6)?,
        updated: row.get(7)?,
    };
    Ok((row.get(0)?, alias))
}

/// Reads `(seq, activity)` from a row selected with `ACTIVITY_COLUMNS`.
pub(crate) fn activity(row: &Row<'_>) -> rusqlite::Result<(i64, Activity)> {
    let tags: String = row.get(4)?;
    let tags = serde_json::from_str(&tags).map_err(|e| corrupt(4, format!("tags {tags:?}: {e}")))?;
    let activity = Activity {
        arn: row.get(1)?,
        name: row.get(2)?,
        created: row.get(3)?,
        tags,
        encryption_configuration: row.get(5)?,
    };
    Ok((row.get(0)?, activity))
}

/// Routes as stored: a JSON array of `[version ARN, weight]` pairs.
pub(crate) fn routing_json(routing: &[Route]) -> Result<String, Error> {
    let pairs: Vec<(&str, u32)> = routing.iter().map(|r| (r.version_arn.as_str(), r.weight)).collect();
    serde_json::to_string(&pairs).map_err(|e| crate::sqlite::backend(format!("cannot encode routing: {e}")))
}

pub(crate) fn routing_from_json(text: &str) -> Result<Vec<Route>, String> {
    let pairs: Vec<(String, u32)> = serde_json::from_str(text).map_err(|e| format!("routing {text:?}: {e}"))?;
    Ok(pairs.into_iter().map(|(version_arn, weight)| Route { version_arn, weight }).collect())
}

fn kind(row: &Row<'_>, index: usize) -> rusqlite::Result<Kind> {
    let text: String = row.get(index)?;
    kind_of(&text).ok_or_else(|| corrupt(index, format!("unknown workflow type {text:?}")))
}

fn status(row: &Row<'_>, index: usize) -> rusqlite::Result<Status> {
    let text: String = row.get(index)?;
    status_of(&text).ok_or_else(|| corrupt(index, format!("unknown execution status {text:?}")))
}

fn corrupt(index: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, Type::Text, message.into())
}

/// Converts an id to SQLite's integer; ids past `i64::MAX` cannot be stored.
pub(crate) fn sql_id(id: u64) -> Result<i64, Error> {
    i64::try_from(id).map_err(|_| crate::sqlite::backend(format!("event id out of range: {id}")))
}

/// How many rows a page of `limit` items fetches: one more, to know whether another page follows.
pub(crate) fn fetch(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1)
}

/// Keeps `limit` items of `items` (`limit + 1` were fetched) and names the next page if there is more.
pub(crate) fn paginate<T>(mut items: Vec<(i64, T)>, limit: usize, list: List) -> Page<T> {
    let more = items.len() > limit;
    items.truncate(limit);
    let next_token = match items.last() {
        Some((key, _)) if more => Some(encode_token(list, *key)),
        _ => None,
    };
    Page {
        items: items.into_iter().map(|(_, item)| item).collect(),
        next_token,
    }
}

/// At most this many events share an `events` row.
const EVENTS_PER_ROW: usize = 64;
/// Events share a row only while it stays under this many bytes, so reading a page of a history never reads much
/// more than the page (an event bigger than this has a row of its own).
const ROW_BYTES: usize = 32 << 10;
/// A row bigger than this does not fit in a 4 KiB page: SQLite moves its tail to overflow pages, which it fills.
const PAGE_ROW: usize = 4000;
/// A row smaller than a page is kept under this size, so that several share a page: a row of 2 to 4 KiB would leave
/// the rest of its page unused (measured: a 12-event execution of 2.7 KB took 4.1 KB stored as one row, 3.1 KB as
/// three, 3.1 KB as twelve).
const SMALL_ROW: usize = 1000;

/// The `events` rows of a step's events, each `(id of its last event, text)`: consecutive events share a row, their
/// texts separated by newlines (compact JSON has none), up to [`EVENTS_PER_ROW`] events, either more than a page
/// ([`PAGE_ROW`], up to [`ROW_BYTES`]) or at most [`SMALL_ROW`] bytes. A row of one event is that event's text, as
/// every row was before V12.
pub(crate) fn event_rows(events: &[Event]) -> Vec<(u64, Cow<'_, str>)> {
    let mut rows = Vec::new();
    let mut rest = events;
    while !rest.is_empty() {
        let (mut count, mut bytes) = leading(rest, ROW_BYTES);
        if bytes <= PAGE_ROW {
            (count, bytes) = leading(rest, SMALL_ROW);
        }
        let (row, tail) = rest.split_at(count);
        let text = match row {
            [one] => Cow::Borrowed(one.json.as_str()),
            many => {
                let mut text = String::with_capacity(bytes);
                for (i, event) in many.iter().enumerate() {
                    if i > 0 {
                        text.push('\n');
                    }
                    text.push_str(&event.json);
                }
                Cow::Owned(text)
            }
        };
        let last = row.last().map_or(0, |event| event.id);
        rows.push((last, text));
        rest = tail;
    }
    rows
}

/// How many of `events` (at least one) one row takes when it may hold `limit` bytes, and its length.
fn leading(events: &[Event], limit: usize) -> (usize, usize) {
    let mut count = 1;
    let mut bytes = events.first().map_or(0, |event| event.json.len());
    while let (Some(prev), Some(next)) = (events.get(count - 1), events.get(count)) {
        if count == EVENTS_PER_ROW || next.id != prev.id + 1 || bytes + 1 + next.json.len() > limit {
            break;
        }
        bytes += 1 + next.json.len();
        count += 1;
    }
    (count, bytes)
}

/// The events of an `events` row whose last event is `last`, first to last.
pub(crate) fn row_events(last: u64, text: String) -> Result<Vec<Event>, Error> {
    if !text.contains('\n') {
        return Ok(vec![Event { id: last, json: text }]);
    }
    let count = text.split('\n').count() as u64;
    let first = (last + 1).checked_sub(count).filter(|first| *first > 0);
    let first = first.ok_or_else(|| crate::sqlite::backend(format!("an events row ending at {last} holds {count} events")))?;
    Ok((first..).zip(text.split('\n')).map(|(id, json)| Event { id, json: json.to_owned() }).collect())
}
