//! How PostgreSQL rows map back to records. Enums, tags, routing and page tokens are written as in the SQLite store
//! (`sqlite::rows`, shared), so the two databases read alike.

use tokio_postgres::Row;

use crate::postgres::{backend, db};
use crate::sqlite::rows::routing_from_json;
use crate::{Activity, Alias, Error, Execution, Kind, StateMachine, Status, Version};

pub(crate) use crate::sqlite::rows::{
    ACTIVITY_COLUMNS, ALIAS_COLUMNS, EXECUTION_COLUMNS, List, MACHINE_COLUMNS, VERSION_COLUMNS, decode_token,
    fetch, kind_of, kind_str, limit, paginate, status_of, routing_json, sql_id, status_str, tags_json,
};

/// Reads `(seq, machine)` from a row selected with `MACHINE_COLUMNS`.
pub(crate) fn machine(row: &Row) -> Result<(i64, StateMachine), Error> {
    let tags: String = row.try_get(12).map_err(db)?;
    let tags = serde_json::from_str(&tags).map_err(|e| backend(format!("stored tags {tags:?}: {e}")))?;
    let machine = StateMachine {
        arn: row.try_get(1).map_err(db)?,
        name: row.try_get(2).map_err(db)?,
        kind: kind(row, 3)?,
        definition: row.try_get(4).map_err(db)?,
        role_arn: row.try_get(5).map_err(db)?,
        logging_configuration: row.try_get(6).map_err(db)?,
        tracing_configuration: row.try_get(7).map_err(db)?,
        description: row.try_get(8).map_err(db)?,
        revision_id: row.try_get(9).map_err(db)?,
        created: row.try_get(10).map_err(db)?,
        updated: row.try_get(11).map_err(db)?,
        tags,
        encryption_configuration: row.try_get(13).map_err(db)?,
    };
    Ok((row.try_get(0).map_err(db)?, machine))
}

/// Reads `(seq, execution)` from a row selected with `EXECUTION_COLUMNS`.
pub(crate) fn execution(row: &Row) -> Result<(i64, Execution), Error> {
    let execution = Execution {
        arn: row.try_get(1).map_err(db)?,
        name: row.try_get(2).map_err(db)?,
        state_machine_arn: row.try_get(3).map_err(db)?,
        definition: row.try_get(4).map_err(db)?,
        role_arn: row.try_get(5).map_err(db)?,
        kind: kind(row, 6)?,
        input: row.try_get(7).map_err(db)?,
        trace_header: row.try_get(8).map_err(db)?,
        status: status(row, 9)?,
        start: row.try_get(10).map_err(db)?,
        stop: row.try_get(11).map_err(db)?,
        output: row.try_get(12).map_err(db)?,
        error: row.try_get(13).map_err(db)?,
        cause: row.try_get(14).map_err(db)?,
        version_arn: row.try_get(15).map_err(db)?,
        alias_arn: row.try_get(16).map_err(db)?,
        redrive_count: small(row, 17)?,
        redrive_date: row.try_get(18).map_err(db)?,
        engine_version: small(row, 19)?,
        map_run_arn: row.try_get(20).map_err(db)?,
    };
    Ok((row.try_get(0).map_err(db)?, execution))
}

/// Reads `(seq, version)` from a row selected with `VERSION_COLUMNS`.
pub(crate) fn version(row: &Row) -> Result<(i64, Version), Error> {
    let version = Version {
        state_machine_arn: row.try_get(1).map_err(db)?,
        number: unsigned(row, 2)?,
        definition: row.try_get(3).map_err(db)?,
        role_arn: row.try_get(4).map_err(db)?,
        revision_id: row.try_get(5).map_err(db)?,
        description: row.try_get(6).map_err(db)?,
        created: row.try_get(7).map_err(db)?,
    };
    Ok((row.try_get(0).map_err(db)?, version))
}

/// Reads `(seq, alias)` from a row selected with `ALIAS_COLUMNS`.
pub(crate) fn alias(row: &Row) -> Result<(i64, Alias), Error> {
    let routing: String = row.try_get(5).map_err(db)?;
    let alias = Alias {
        arn: row.try_get(1).map_err(db)?,
        state_machine_arn: row.try_get(2).map_err(db)?,
        name: row.try_get(3).map_err(db)?,
        description: row.try_get(4).map_err(db)?,
        routing: routing_from_json(&routing).map_err(backend)?,
        created: row.try_get(6).map_err(db)?,
        updated: row.try_get(7).map_err(db)?,
    };
    Ok((row.try_get(0).map_err(db)?, alias))
}

/// Reads `(seq, activity)` from a row selected with `ACTIVITY_COLUMNS`.
pub(crate) fn activity(row: &Row) -> Result<(i64, Activity), Error> {
    let tags: String = row.try_get(4).map_err(db)?;
    let tags = serde_json::from_str(&tags).map_err(|e| backend(format!("stored tags {tags:?}: {e}")))?;
    let activity = Activity {
        arn: row.try_get(1).map_err(db)?,
        name: row.try_get(2).map_err(db)?,
        created: row.try_get(3).map_err(db)?,
        tags,
        encryption_configuration: row.try_get(5).map_err(db)?,
    };
    Ok((row.try_get(0).map_err(db)?, activity))
}

/// A non-negative `BIGINT` column as `u64` (event ids, version numbers).
pub(crate) fn unsigned(row: &Row, index: usize) -> Result<u64, Error> {
    let value: i64 = row.try_get(index).map_err(db)?;
    u64::try_from(value).map_err(|_| backend(format!("stored value out of range: {value}")))
}

fn small(row: &Row, index: usize) -> Result<u32, Error> {
    let value: i64 = row.try_get(index).map_err(db)?;
    u32::try_from(value).map_err(|_| backend(format!("stored value out of range: {value}")))
}

fn kind(row: &Row, index: usize) -> Result<Kind, Error> {
    let text: String = row.try_get(index).map_err(db)?;
    kind_of(&text).ok_or_else(|| backend(format!("unknown workflow type {text:?}")))
}

fn status(row: &Row, index: usize) -> Result<Status, Error> {
    let text: String = row.try_get(index).map_err(db)?;
    status_of(&text).ok_or_else(|| backend(format!("unknown execution status {text:?}")))
}
