//! What this disk allows: how many small rows a second SQLite commits in batches, with the store's own settings
//! (`schema::open_writer`: WAL, `synchronous=FULL`, its cache and checkpoint sizes) into a table shaped like
//! `events`. `baton bench --api` compares the durable path with it.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::params;

use crate::Error;
use crate::sqlite::{Location, db, schema};

/// The figures of one measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// Rows committed per second.
    pub rows_per_second: f64,
    /// Transactions committed per second.
    pub commits_per_second: f64,
}

/// Commits batches of `batch` rows of `row_bytes` bytes each, one transaction per batch, for about `run` (at least
/// one batch), in a scratch database in `dir` (which must exist; the database is removed afterwards).
pub fn commit_limit(dir: &Path, batch: usize, row_bytes: usize, run: Duration) -> Result<Limit, Error> {
    let file = dir.join("commit-limit.sqlite3");
    let measured = measure(&file, batch.max(1), row_bytes, run);
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.clone().into_os_string();
        path.push(suffix);
        // A scratch file left behind costs only space in a directory the caller chose.
        let _ = std::fs::remove_file(path);
    }
    measured
}

fn measure(file: &Path, batch: usize, row_bytes: usize, run: Duration) -> Result<Limit, Error> {
    let conn = schema::open_writer(&Location::File(file.to_path_buf()))?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS rows (execution INTEGER NOT NULL, id INTEGER NOT NULL, json TEXT NOT NULL, \
         PRIMARY KEY (execution, id)) STRICT, WITHOUT ROWID;",
    )
    .map_err(db)?;
    let text = format!("{{\"type\":\"PassStateEntered\",\"details\":\"{}\"}}", "x".repeat(row_bytes.saturating_sub(40)));
    let begun = Instant::now();
    let mut commits: u64 = 0;
    while commits == 0 || begun.elapsed() < run {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(db)?;
        {
            let mut insert = conn.prepare_cached("INSERT INTO rows (execution, id, json) VALUES (?1, ?2, ?3)").map_err(db)?;
            for id in 0..batch {
                insert.execute(params![commits as i64, id as i64, text]).map_err(db)?;
            }
        }
        conn.execute_batch("COMMIT").map_err(db)?;
        commits += 1;
    }
    let seconds = begun.elapsed().as_secs_f64();
    Ok(Limit {
        rows_per_second: (commits * batch as u64) as f64 / seconds,
        commits_per_second: commits as f64 / seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_measured_and_the_scratch_database_removed() {
        let dir = tempfile::tempdir().unwrap();
        let limit = commit_limit(dir.path(), 100, 200, Duration::from_millis(50)).unwrap();
        assert!(limit.rows_per_second > 0.0 && limit.commits_per_second > 0.0);
        assert!((limit.rows_per_second / limit.commits_per_second - 100.0).abs() < 1e-6);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
