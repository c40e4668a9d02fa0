//! The PostgreSQL store: one database shared by any number of processes, one writer task doing group commit per
//! process, pooled readers.
//!
//! Writes go over a channel to the writer task (`writer`), as in the SQLite store: it drains everything queued (up to
//! `MAX_BATCH_STEPS` steps), checks and applies each request in one transaction, commits once, and only then answers
//! each caller. A refused request (a conflict, a duplicate) writes nothing and the others in the batch still commit.
//! A batch locks the executions its requests name (`FOR UPDATE`, `steps`) before it checks them, so two processes
//! appending to one execution take turns and the second sees the first's events; their events and triggers are
//! inserted together, one statement each per batch. A batch that loses a race with another process
//! (a deadlock, or a row another process inserted after this one checked) rolls back and runs again, once checked
//! afresh; any other failure of PostgreSQL fails the batch with `Error::Backend`.
//!
//! Unlike the SQLite writer, a failed COMMIT does not poison this one: the server, not this process, makes commits
//! durable, and its callers (who got `Error::Backend`, the outcome unknown) read the database again before they go
//! on. The writer opens a new connection when its connection broke.
//!
//! Reads run on a small pool of connections (`read`); a read that runs several queries runs them in one read-only
//! `REPEATABLE READ` transaction, so it sees one snapshot.
//!
//! Schema versions and migrations are in `schema`: forward only, applied under an advisory lock, so processes that
//! start together migrate once. Connections are unencrypted (`NoTls`): TLS to the database is not supported yet.
//!
//! Several processes (nodes) share a database: `nodes` holds their leases and which node holds each running execution,
//! and a step written under a claim that is no longer the execution's is refused (`Error::Fenced`). Lists page by `seq`, an identity column: with several processes writing, a
//! row whose transaction commits after a page token past its `seq` was handed out is not on a later page.

mod inbox;
mod nodes;
mod outbox;
mod read;
mod rows;
mod schema;
mod steps;
mod writer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Semaphore;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, Statement};

use crate::{
    Activity, Alias, Append, Error, Event, Execution, ExecutionFilter, Gauges, Outbound, Page, PageRequest, Parked,
    Publish, Recovered, Search, StateMachine, Stats, Store, Version,
};

pub use inbox::{ACTIVITY_CHANNEL, ANSWER_CHANNEL, INBOX_CHANNEL, Listener, Notice, TakenTask};
pub use schema::SCHEMA_VERSION;

/// The most steps (appended steps, created executions, machine changes) one transaction commits.
pub const MAX_BATCH_STEPS: usize = 1000;

/// Most connections the readers of one store open at once.
const MAX_READERS: usize = 8;

/// A PostgreSQL store: a writer task and a pool of read connections to one database.
///
/// Dropping it stops the writer task after the writes already queued.
pub struct Postgres {
    writer: writer::Handle,
    readers: Arc<Pool>,
}

impl Postgres {
    /// Connects to the database `url` names (`postgres://user@host:port/db`, or the key=value form), migrating its
    /// schema to `SCHEMA_VERSION`. Must be called inside a tokio runtime, whose tasks then drive the connections.
    ///
    /// Fails if the database cannot be reached, or if it was written by a newer Baton (its schema version is above
    /// ours).
    pub async fn connect(url: &str) -> Result<Postgres, Error> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| backend(format!("invalid PostgreSQL URL: {e}")))?;
        let mut conn = Conn::open(&config).await?;
        schema::migrate(&mut conn).await?;
        Ok(Postgres {
            writer: writer::Handle::spawn(config.clone(), conn),
            readers: Arc::new(Pool {
                config,
                idle: Mutex::new(Vec::new()),
                permits: Semaphore::new(MAX_READERS),
            }),
        })
    }

    /// What the writer has done so far.
    pub fn stats(&self) -> Stats {
        self.writer.stats()
    }

    async fn reader(&self) -> Result<Lease<'_>, Error> {
        self.readers.get().await
    }
}

impl Store for Postgres {
    async fn create_state_machine(&self, machine: StateMachine) -> Result<(), Error> {
        self.writer.call(writer::Op::CreateStateMachine(machine)).await
    }

    async fn update_state_machine(&self, machine: StateMachine) -> Result<(), Error> {
        self.writer.call(writer::Op::UpdateStateMachine(machine)).await
    }

    async fn delete_state_machine(&self, arn: &str) -> Result<(), Error> {
        self.writer.call(writer::Op::DeleteStateMachine(arn.to_owned())).await
    }

    async fn state_machine(&self, arn: &str) -> Result<Option<StateMachine>, Error> {
        read::state_machine(&mut *self.reader().await?, arn).await
    }

    async fn list_state_machines(&self, page: PageRequest) -> Result<Page<StateMachine>, Error> {
        read::list_state_machines(&mut *self.reader().await?, &page).await
    }

    async fn set_state_machine_tags(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), Error> {
        self.writer.call(writer::Op::SetStateMachineTags(arn.to_owned(), tags)).await
    }

    async fn create_execution(&self, execution: Execution, first: Append) -> Result<(), Error> {
        self.writer.call(writer::Op::CreateExecution(Box::new(execution), first)).await
    }

    async fn append(&self, steps: Vec<Append>) -> Result<(), Error> {
        self.writer.call(writer::Op::Append(steps)).await
    }

    async fn execution(&self, arn: &str) -> Result<Option<Execution>, Error> {
        read::execution(&mut *self.reader().await?, arn).await
    }

    async fn reset(&self) -> Result<(), Error> {
        self.writer.call(writer::Op::Reset).await
    }

    async fn list_executions(
        &self,
        state_machine_arn: &str,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>, Error> {
        read::list_by(&mut *self.reader().await?, "state_machine_arn", state_machine_arn, &filter, &page).await
    }

    async fn list_map_run_executions(
        &self,
        map_run_arn: &str,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>, Error> {
        read::list_by(&mut *self.reader().await?, "map_run_arn", map_run_arn, &filter, &page).await
    }

    async fn search_executions(&self, search: Search, page: PageRequest) -> Result<Page<Execution>, Error> {
        read::search_executions(&mut *self.reader().await?, &search, &page).await
    }

    async fn history(&self, execution_arn: &str, reverse: bool, page: PageRequest) -> Result<Page<Event>, Error> {
        read::history(&mut *self.reader().await?, execution_arn, reverse, &page).await
    }

    async fn running(&self) -> Result<Vec<Recovered>, Error> {
        read::running(&mut *self.reader().await?).await
    }

    async fn running_arns(&self) -> Result<Vec<String>, Error> {
        read::running_arns(&mut *self.reader().await?).await
    }

    async fn park(&self, arn: &str, wake_at: i64) -> Result<(), Error> {
        self.writer.call(writer::Op::Park(arn.to_owned(), wake_at)).await
    }

    async fn due(&self, before: i64, after: Option<Parked>, limit: usize) -> Result<Vec<Parked>, Error> {
        read::due(&mut *self.reader().await?, before, after, limit).await
    }

    async fn gauges(&self) -> Result<Gauges, Error> {
        read::gauges(&mut *self.reader().await?).await
    }

    async fn delete_closed(&self, before: i64, limit: usize) -> Result<u64, Error> {
        self.writer.count(writer::Op::DeleteClosed { before, limit }).await
    }

    async fn redrive_execution(&self, arn: &str, date: i64, first: Append) -> Result<(), Error> {
        self.writer.call(writer::Op::RedriveExecution(arn.to_owned(), date, first)).await
    }

    async fn recovered(&self, arn: &str) -> Result<Option<Recovered>, Error> {
        read::recovered(&mut *self.reader().await?, arn).await
    }

    async fn publish_version(&self, publish: Publish) -> Result<Version, Error> {
        let (machine, revision) = (publish.state_machine_arn.clone(), publish.revision_id.clone());
        self.writer.call(writer::Op::PublishVersion(publish)).await?;
        // The version of that revision, new or old: reading after the commit finds it unless it was deleted meanwhile.
        read::version_of_revision(&mut *self.reader().await?, &machine, &revision)
            .await?
            .ok_or(Error::NotFound(machine))
    }

    async fn version(&self, state_machine_arn: &str, number: u64) -> Result<Option<Version>, Error> {
        read::version(&mut *self.reader().await?, state_machine_arn, number).await
    }

    async fn list_versions(&self, state_machine_arn: &str, page: PageRequest) -> Result<Page<Version>, Error> {
        read::list_versions(&mut *self.reader().await?, state_machine_arn, &page).await
    }

    async fn delete_version(&self, state_machine_arn: &str, number: u64) -> Result<(), Error> {
        self.writer.call(writer::Op::DeleteVersion(state_machine_arn.to_owned(), number)).await
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
        read::alias(&mut *self.reader().await?, arn).await
    }

    async fn list_aliases(&self, state_machine_arn: &str, page: PageRequest) -> Result<Page<Alias>, Error> {
        read::list_aliases(&mut *self.reader().await?, state_machine_arn, &page).await
    }

    async fn create_activity(&self, activity: Activity) -> Result<(), Error> {
        self.writer.call(writer::Op::CreateActivity(activity)).await
    }

    async fn activity(&self, arn: &str) -> Result<Option<Activity>, Error> {
        read::activity(&mut *self.reader().await?, arn).await
    }

    async fn delete_activity(&self, arn: &str) -> Result<(), Error> {
        self.writer.call(writer::Op::DeleteActivity(arn.to_owned())).await
    }

    async fn list_activities(&self, page: PageRequest) -> Result<Page<Activity>, Error> {
        read::list_activities(&mut *self.reader().await?, &page).await
    }

    async fn set_activity_tags(&self, arn: &str, tags: Vec<(String, String)>) -> Result<(), Error> {
        self.writer.call(writer::Op::SetActivityTags(arn.to_owned(), tags)).await
    }

    async fn outbox_due(&self, destinations: &[String], now: i64, until: i64, limit: usize) -> Result<Vec<Outbound>, Error> {
        self.claim_outbox(destinations, now, until, limit).await
    }

    async fn outbox_settle(&self, delivered: Vec<i64>, failed: Vec<(i64, i64)>) -> Result<(), Error> {
        if delivered.is_empty() && failed.is_empty() {
            return Ok(());
        }
        self.writer.call(writer::Op::SettleOutbox(delivered, failed)).await
    }
}

/// One connection and the statements prepared on it.
pub(crate) struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// Inside a transaction this connection began and has not ended: not to be reused as it is.
    in_transaction: bool,
}

impl Conn {
    /// Connects, and drives the connection on a task of the current tokio runtime until it closes.
    async fn open(config: &tokio_postgres::Config) -> Result<Conn, Error> {
        let (client, connection) = config
            .connect(NoTls)
            .await
            .map_err(|e| backend(format!("cannot connect to PostgreSQL: {e}")))?;
        // A connection that fails ends this task; the client then fails its calls and `is_closed` says so.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Conn {
            client,
            statements: HashMap::new(),
            in_transaction: false,
        })
    }

    /// The statement of `sql`, prepared once per connection.
    async fn prepare(&mut self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).await?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    pub(crate) async fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        self.client.query(&statement, params).await
    }

    pub(crate) async fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        self.client.query_opt(&statement, params).await
    }

    pub(crate) async fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        self.client.query_one(&statement, params).await
    }

    pub(crate) async fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, tokio_postgres::Error> {
        let statement = self.prepare(sql).await?;
        self.client.execute(&statement, params).await
    }

    /// Runs statements without parameters (DDL, several deletes).
    pub(crate) async fn batch(&mut self, sql: &str) -> Result<(), tokio_postgres::Error> {
        self.client.batch_execute(sql).await
    }

    /// Begins a transaction (`BEGIN` and its options); the connection counts as in one until `end` succeeds.
    pub(crate) async fn begin(&mut self, begin: &str) -> Result<(), tokio_postgres::Error> {
        self.in_transaction = true;
        self.client.batch_execute(begin).await
    }

    /// Commits the transaction `begin` began.
    pub(crate) async fn commit(&mut self) -> Result<(), tokio_postgres::Error> {
        self.client.batch_execute("COMMIT").await?;
        self.in_transaction = false;
        Ok(())
    }

    /// Rolls back the transaction `begin` began.
    pub(crate) async fn rollback(&mut self) -> Result<(), tokio_postgres::Error> {
        self.client.batch_execute("ROLLBACK").await?;
        self.in_transaction = false;
        Ok(())
    }

    fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// Idle read connections, and a bound on how many are open at once.
struct Pool {
    config: tokio_postgres::Config,
    idle: Mutex<Vec<Conn>>,
    permits: Semaphore,
}

impl Pool {
    async fn get(&self) -> Result<Lease<'_>, Error> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| backend(format!("reader pool closed: {e}")))?;
        let pooled = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match pooled {
            Some(conn) if !conn.is_closed() => conn,
            _ => Conn::open(&self.config).await?,
        };
        Ok(Lease {
            pool: self,
            conn: Some(conn),
            _permit: permit,
        })
    }
}

/// A connection taken from the pool; it goes back when dropped, unless it broke or was left in a transaction.
struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl std::ops::Deref for Lease<'_> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("invariant: a lease holds its connection until dropped")
    }
}

impl std::ops::DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("invariant: a lease holds its connection until dropped")
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take()
            && !conn.in_transaction
            && !conn.is_closed()
        {
            self.pool.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
        }
    }
}

/// Why a request did not apply.
pub(crate) enum Failure {
    /// The store's answer (conflict, duplicate, missing); the request wrote nothing.
    Refused(Error),
    /// PostgreSQL failed part-way: the transaction is aborted and the whole batch must roll back.
    Broken(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Failure {
        Failure::Broken(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Refused(e)
    }
}

pub(crate) fn backend(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Backend(error.into())
}

/// A PostgreSQL error that is not one of the store's own outcomes.
pub(crate) fn db(error: tokio_postgres::Error) -> Error {
    Error::Backend(Box::new(error))
}
