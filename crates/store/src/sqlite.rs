//! The embedded SQLite store: one file in a data directory, one writer thread doing group commit, pooled readers.
//!
//! Writes go over a channel to the writer thread (`writer`). It drains everything queued (up to
//! `MAX_BATCH_STEPS` steps), checks and applies each request in one transaction, commits once, durably (WAL,
//! `synchronous=FULL`), and only then answers each caller. A refused request (a conflict, a duplicate) writes
//! nothing and the others in the batch still commit; if SQLite itself fails mid-batch, the batch rolls back and
//! every request in it gets `Error::Backend`.
//!
//! **Poisoning.** If a COMMIT fails, the writer cannot know what reached the disk, so, like fjall, it stops: that
//! batch and every later write fail with `Error::Backend`. Reads keep working. Reopen the store to recover.
//!
//! Reads run on `tokio::task::spawn_blocking` threads with connections from a small pool (`read`). WAL lets them
//! read beside the writer, and a read started after a write was acknowledged sees it.
//!
//! **Opening** checks what would otherwise fail later or silently: the directory must be writable, no other process
//! may hold it (a lock on `baton.lock`, released when the store is dropped or the process dies), and the database
//! must pass SQLite's `quick_check`.
//!
//! Not here: coordination between processes. One `baton serve` owns a data directory; PostgreSQL is for sharing.

mod limit;
mod machines;
mod read;
pub(crate) mod rows;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::Connection;

use crate::{
    Activity, Alias, Append, Error, Event, Execution, ExecutionFilter, Gauges, Outbound, Page, PageRequest, Parked,
    Publish, Recovered, Search, StateMachine, Store, Version,
};

pub use crate::Stats;
pub use limit::{Limit, commit_limit};
pub use schema::SCHEMA_VERSION;

/// The database file's name inside the data directory.
pub const FILE_NAME: &str = "baton.sqlite3";

/// The lock file's name inside the data directory: a process that holds it owns the directory.
pub const LOCK_NAME: &str = "baton.lock";

/// The most steps (appended steps, created executions, machine changes) one transaction commits.
pub const MAX_BATCH_STEPS: usize = 1000;

/// A SQLite store in a data directory (or in memory, for tests).
///
/// Dropping it stops the writer thread after the writes already queued, and waits for it.
pub struct Sqlite {
    writer: writer::Handle,
    readers: Arc<read::Pool>,
    /// State machine records, read on every start (`machines`).
    machines: Arc<machines::Machines>,
    /// Held for the store's lifetime (after the writer, which is dropped first).
    _lock: Option<std::fs::File>,
}

impl Sqlite {
    /// Opens (creating if missing) `dir/baton.sqlite3`, migrating its schema to `SCHEMA_VERSION`.
    ///
    /// Fails if the directory cannot be written, if another process holds it (`Error::Locked`), if the database fails
    /// its integrity check (`Error::Damaged`), or if it was written by a newer Baton (its schema version is above ours).
    pub fn open(dir: &Path) -> Result<Sqlite, Error> {
        std::fs::create_dir_all(dir)
            .map_err(|e| backend(format!("cannot create data directory {}: {e}", dir.display())))?;
        check_writable(dir)?;
        let lock = lock(dir)?;
        let mut store = Sqlite::start(Location::File(dir.join(FILE_NAME)))?;
        store._lock = Some(lock);
        Ok(store)
    }

    /// Writes a consistent copy of the database in `dir` (which must not hold one) to `to`, a directory created if
    /// missing, while a server may be using it; the copy is checked before this returns. A copy of the database file
    /// alone would miss what is still in its write-ahead log.
    pub fn backup(dir: &Path, to: &Path) -> Result<PathBuf, Error> {
        let source = dir.join(FILE_NAME);
        if !source.is_file() {
            return Err(backend(format!("no Baton database in {}: {} does not exist", dir.display(), source.display())));
        }
        std::fs::create_dir_all(to).map_err(|e| backend(format!("cannot create {}: {e}", to.display())))?;
        let target = to.join(FILE_NAME);
        if target.exists() {
            return Err(backend(format!("{} exists already; back up into an empty directory", target.display())));
        }
        let conn = Location::File(source).connect()?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(db)?;
        let target_text = target.to_str().ok_or_else(|| backend(format!("{} is not valid UTF-8", target.display())))?;
        // One read transaction: the copy is the database as of one commit, WAL included.
        conn.execute("VACUUM INTO ?1", [target_text])
            .map_err(|e| backend(format!("cannot write {}: {e}", target.display())))?;
        drop(conn);
        let copy = Location::File(target.clone()).connect()?;
        schema::check_integrity(&copy, &target.display().to_string())?;
        Ok(target)
    }

    /// Opens a fresh database that lives in memory until the store is dropped.
    ///
    /// Not in WAL mode (SQLite's in-memory databases cannot be), so readers and the writer take turns.
    pub fn open_in_memory() -> Result<Sqlite, Error> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Sqlite::start(Location::Memory(format!("/baton-{}-{n}", std::process::id())))
    }

    /// What the writer has done so far.
    pub fn stats(&self) -> Stats {
        self.writer.stats()
    }

    fn start(location: Location) -> Result<Sqlite, Error> {
        let mut conn = schema::open_writer(&location)?;
        schema::migrate(&mut conn, &location)?;
        let machines = Arc::new(machines::Machines::default());
        let writer = writer::Handle::spawn(conn, Arc::clone(&machines))?;
        Ok(Sqlite {
            writer,
            readers: Arc::new(read::Pool::new(location)),
            machines,
            _lock: None,
        })
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let pool = Arc::clone(&self.readers);
        tokio::task::spawn_blocking(move || pool.with(f))
            .await
            .map_err(|e| backend(format!("read task failed: {e}")))?
    }
}

impl Store for Sqlite {
    async fn create_state_machine(&self, machine: StateMachine) -> Result<(), Error> {
        self.writer.call(writer::Op::CreateStateMachine(machine)).await
    }

    async fn update_state_machine(&self, machine: StateMachine) -> Result<(), Error> {
        self.writer.call(writer::Op::UpdateStateMachine(machine)).await
    }

    async fn delete_state_machine(&self, arn: &str) -> Result<(), Error> {
        self.writer.call(writer::Op::DeleteStateMachine(arn.to_owned())).await
    }

    async fn set_state_machine_tags(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), Error> {
        self.writer
            .call(writer::Op::SetStateMachineTags(arn.to_owned(), tags))
            .await
    }

    async fn state_machine(&self, arn: &str) -> Result<Option<StateMachine>, Error> {
        let generation = match self.machines.get(arn) {
            Ok(kept) => return Ok(kept),
            Err(generation) => generation,
        };
        let owned = arn.to_owned();
        let machine = self.read(move |conn| read::state_machine(conn, &owned)).await?;
        self.machines.keep(arn, generation, &machine);
        Ok(machine)
    }

    async fn list_state_machines(&self, page: PageRequest) -> Result<Page<StateMachine>, Error> {
        self.read(move |conn| read::list_state_machines(conn, &page)).await
    }

    async fn create_execution(&self, execution: Execution, first: Append) -> Result<(), Error> {
        self.writer
            .call(writer::Op::CreateExecution(Box::new(execution), first))
            .await
    }

    async fn append(&self, steps: Vec<Append>) -> Result<(), Error> {
        self.writer.call(writer::Op::Append(steps)).await
    }

    async fn redrive_execution(&self, arn: &str, date: i64, first: Append) -> Result<(), Error> {
        self.writer.call(writer::Op::RedriveExecution(arn.to_owned(), date, first)).await
    }

    async fn execution(&self, arn: &str) -> Result<Option<Execution>, Error> {
        let arn = arn.to_owned();
        self.read(move |conn| read::execution(conn, &arn)).await
    }

    async fn list_executions(
        &self,
        state_machine_arn: &str,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>, Error> {
        let machine = state_machine_arn.to_owned();
        self.read(move |conn| read::list_executions(conn, &machine, &filter, &page)).await
    }

    async fn reset(&self) -> Result<(), Error> {
        self.writer.call(writer::Op::Reset).await
    }

    async fn list_map_run_executions(
        &self,
        map_run_arn: &str,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>, Error> {
        let map_run = map_run_arn.to_owned();
        self.read(move |conn| read::list_map_run_executions(conn, &map_run, &filter, &page)).await
    }

    async fn search_executions(&self, search: Search, page: PageRequest) -> Result<Page<Execution>, Error> {
        self.read(move |conn| read::search_executions(conn, &search, &page)).await
    }

    async fn history(&self, execution_arn: &str, reverse: bool, page: PageRequest) -> Result<Page<Event>, Error> {
        let arn = execution_arn.to_owned();
        self.read(move |conn| read::history(conn, &arn, reverse, &page)).await
    }

    async fn running(&self) -> Result<Vec<Recovered>, Error> {
        self.read(read::running).await
    }

    async fn running_arns(&self) -> Result<Vec<String>, Error> {
        self.read(read::running_arns).await
    }

    async fn park(&self, arn: &str, wake_at: i64) -> Result<(), Error> {
        self.writer.call(writer::Op::Park(arn.to_owned(), wake_at)).await
    }

    async fn due(&self, before: i64, after: Option<Parked>, limit: usize) -> Result<Vec<Parked>, Error> {
        self.read(move |conn| read::due(conn, before, after, limit)).await
    }

    async fn gauges(&self) -> Result<Gauges, Error> {
        self.read(read::gauges).await
    }

    async fn delete_closed(&self, before: i64, limit: usize) -> Result<u64, Error> {
        self.writer.count(writer::Op::DeleteClosed { before, limit }).await
    }

    async fn recovered(&self, arn: &str) -> Result<Option<Recovered>, Error> {
        let arn = arn.to_owned();
        self.read(move |conn| read::recovered(conn, &arn)).await
    }

    async fn publish_version(&self, publish: Publish) -> Result<Version, Error> {
        let (machine, revision) = (publish.state_machine_arn.clone(), publish.revision_id.clone());
        self.writer.call(writer::Op::PublishVersion(publish)).await?;
        // The version of that revision, new or old: reading after the commit finds it unless it was deleted meanwhile.
        let arn = machine.clone();
        self.read(move |conn| read::version_of_revision(conn, &machine, &revision))
            .await?
            .ok_or(Error::NotFound(arn))
    }

    async fn version(&self, state_machine_arn: &str, number: u64) -> Result<Option<Version>, Error> {
        let machine = state_machine_arn.to_owned();
        self.read(move |conn| read::version(conn, &machine, number)).await
    }

    async fn list_versions(&self, state_machine_arn: &str, page: PageRequest) -> Result<Page<Version>, Error> {
        let machine = state_machine_arn.to_owned();
        self.read(move |conn| read::list_versions(conn, &machine, &page)).await
    }

    async fn delete_version(&self, state_machine_arn: &str, number: u64) -> Result<(), Error> {
        self.writer
            .call(writer::Op::DeleteVersion(state_machine_arn.to_owned(), number))
            .await
    }

    async fn create_alias(&self, alias: Alias) -> Result<(), Error> {
        self.writer.call(writer::Op::CreateAlias(alias)).await
    }

    async fn update_alias(&self, alias: Alias) -> Result<(), Error> {
        self.writer.call(writer::Op::UpdateAlias(alias)).await
    }

    async fn delete_alias(&self, arn: &str) -> Result<(), Error> {
        self.writer.call(writer::Op::DeleteAlias(arn.to_owned())).await
    }

    async fn alias(&self, arn: &str) -> Result<Option<Alias>, Error> {
        let arn = arn.to_owned();
        self.read(move |conn| read::alias(conn, &arn)).await
    }

    async fn list_aliases(&self, state_machine_arn: &str, page: PageRequest) -> Result<Page<Alias>, Error> {
        let machine = state_machine_arn.to_owned();
        self.read(move |conn| read::list_aliases(conn, &machine, &page)).await
    }

    async fn create_activity(&self, activity: Activity) -> Result<(), Error> {
        self.writer.call(writer::Op::CreateActivity(activity)).await
    }

    async fn activity(&self, arn: &str) -> Result<Option<Activity>, Error> {
        let arn = arn.to_owned();
        self.read(move |conn| read::activity(conn, &arn)).await
    }

    async fn delete_activity(&self, arn: &str) -> Result<(), Error> {
        self.writer.call(writer::Op::DeleteActivity(arn.to_owned())).await
    }

    async fn list_activities(&self, page: PageRequest) -> Result<Page<Activity>, Error> {
        self.read(move |conn| read::list_activities(conn, &page)).await
    }

    async fn set_activity_tags(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), Error> {
        self.writer
            .call(writer::Op::SetActivityTags(arn.to_owned(), tags))
            .await
    }

    /// A read: one process owns the database, and its one delivery loop settles what it took before it asks again,
    /// so nothing is claimed (`until` is not used) and the hot path's writer is not asked.
    async fn outbox_due(&self, destinations: &[String], now: i64, until: i64, limit: usize) -> Result<Vec<Outbound>, Error> {
        let _ = until;
        let destinations = serde_json::to_string(destinations).map_err(backend)?;
        self.read(move |conn| read::outbox_due(conn, &destinations, now, limit)).await
    }

    async fn outbox_settle(&self, delivered: Vec<i64>, failed: Vec<(i64, i64)>) -> Result<(), Error> {
        if delivered.is_empty() && failed.is_empty() {
            return Ok(());
        }
        self.writer.call(writer::Op::SettleOutbox(delivered, failed)).await
    }
}

/// Where the database lives; readers open their own connections to it.
#[derive(Debug, Clone)]
enum Location {
    File(PathBuf),
    /// A `memdb` VFS name starting with `/`, which SQLite shares between the connections of this process.
    Memory(String),
}

impl Location {
    fn connect(&self) -> Result<Connection, Error> {
        let conn = match self {
            Location::File(path) => Connection::open(path),
            Location::Memory(name) => Connection::open(format!("file:{name}?vfs=memdb")),
        };
        conn.map_err(|e| backend(format!("cannot open database {self}: {e}")))
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Memory(name) => write!(f, "memory:{name}"),
        }
    }
}

/// Takes the data directory's lock, or says which process holds it.
fn lock(dir: &Path) -> Result<std::fs::File, Error> {
    use std::io::{Read, Seek, Write};
    let path = dir.join(LOCK_NAME);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| backend(format!("cannot open the lock file {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() { String::new() } else { format!(" (process {holder})") };
            return Err(Error::Locked(format!(
                "the data directory {} is in use by another Baton{who}; stop it first, or use another --data-dir",
                dir.display()
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(backend(format!("cannot lock {}: {e}", path.display())));
        }
    }
    // Who holds it, for the next one to be told; the lock is what counts, so a failed write changes nothing.
    let _ = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| write!(file, "{}", std::process::id()));
    Ok(file)
}

/// Fails unless a file can be created, written, synced and removed in `dir`.
fn check_writable(dir: &Path) -> Result<(), Error> {
    use std::io::Write;
    let probe = dir.join(format!(".baton-write-check-{}", std::process::id()));
    let written = std::fs::File::create(&probe).and_then(|mut file| {
        file.write_all(b"baton")?;
        file.sync_all()
    });
    let removed = std::fs::remove_file(&probe);
    written
        .and(removed)
        .map_err(|e| backend(format!("the data directory {} cannot be written: {e}", dir.display())))
}

fn backend(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Backend(error.into())
}

/// A SQLite error that is not one of the store's own outcomes.
fn db(error: rusqlite::Error) -> Error {
    Error::Backend(Box::new(error))
}

#[cfg(test)]
mod tests;
