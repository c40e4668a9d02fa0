//! `Database`: the store a server was started with, chosen at start-up (SQLite in a data directory, or PostgreSQL at
//! a URL), behind the one `Store` contract.
//!
//! An enum rather than a boxed trait object: `Store`'s methods return `impl Future`, which a trait object cannot,
//! and a match per call costs nothing beside a commit.

use std::path::Path;

#[cfg(feature = "postgres")]
use crate::postgres::Postgres;
use crate::sqlite::Sqlite;
use crate::{
    Activity, Alias, Append, Claimed, Error, Event, Execution, ExecutionFilter, Gauges, InboxMessage, Node, Outbound,
    Page, PageRequest, Parked, Publish, Recovered, Search, StateMachine, Stats, Store, Version,
};

/// Where a server keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location<'a> {
    /// Embedded SQLite in this directory (created if missing), owned by one process.
    Directory(&'a Path),
    /// A PostgreSQL database (`postgres://user@host:port/db`), shared by any number of processes.
    Url(&'a str),
}

/// One of the stores.
pub enum Database {
    Sqlite(Sqlite),
    #[cfg(feature = "postgres")]
    Postgres(Postgres),
}

impl Database {
    /// Opens the store at `location`. A URL needs the `postgres` feature; without it, it is refused with a message
    /// that says so. Must be called inside a tokio runtime.
    pub async fn open(location: Location<'_>) -> Result<Database, Error> {
        match location {
            Location::Directory(dir) => Ok(Database::Sqlite(Sqlite::open(dir)?)),
            #[cfg(feature = "postgres")]
            Location::Url(url) => Ok(Database::Postgres(Postgres::connect(url).await?)),
            #[cfg(not(feature = "postgres"))]
            Location::Url(_) => Err(Error::Backend("this Baton was built without PostgreSQL (cargo feature `postgres`)".into())),
        }
    }

    /// What the writer has done so far.
    pub fn stats(&self) -> Stats {
        match self {
            Database::Sqlite(store) => store.stats(),
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.stats(),
        }
    }

    /// Whether several servers may share this store (PostgreSQL): they then hold executions under leases (`join`,
    /// `claim`, …). One process owns a SQLite store, so it holds every execution, and the lease calls do nothing.
    pub fn shared(&self) -> bool {
        !matches!(self, Database::Sqlite(_))
    }

    /// `Postgres::join`; nothing on SQLite.
    pub async fn join(&self, node: &Node, lease_ms: i64) -> Result<(), Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = (node, lease_ms);
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.join(node, lease_ms).await,
        }
    }

    /// `Postgres::renew`; on SQLite the lease never runs out (`false`).
    pub async fn renew(&self, id: &str, lease_ms: i64) -> Result<bool, Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = (id, lease_ms);
                Ok(false)
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.renew(id, lease_ms).await,
        }
    }

    /// `Postgres::leave`; nothing on SQLite.
    pub async fn leave(&self, id: &str) -> Result<(), Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = id;
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.leave(id).await,
        }
    }

    /// `Postgres::claim`; nothing on SQLite, whose process holds every execution already.
    pub async fn claim(&self, id: &str, limit: usize) -> Result<Vec<Claimed>, Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = (id, limit);
                Ok(Vec::new())
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.claim(id, limit).await,
        }
    }

    /// `Postgres::owned`; nothing on SQLite.
    pub async fn owned(&self, id: &str) -> Result<Vec<Claimed>, Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = id;
                Ok(Vec::new())
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.owned(id).await,
        }
    }

    /// `Postgres::unclaimed`; none on SQLite.
    pub async fn unclaimed(&self) -> Result<u64, Error> {
        match self {
            Database::Sqlite(_) => Ok(0),
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.unclaimed().await,
        }
    }

    /// `Postgres::prune`; nothing on SQLite.
    pub async fn prune(&self, before: i64) -> Result<u64, Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = before;
                Ok(0)
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.prune(before).await,
        }
    }

    /// `Postgres::nodes`; none on SQLite.
    pub async fn nodes(&self) -> Result<Vec<Node>, Error> {
        match self {
            Database::Sqlite(_) => Ok(Vec::new()),
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.nodes().await,
        }
    }

    /// `Postgres::token`; none on SQLite.
    pub async fn token(&self, token: &str) -> Result<Option<(String, u64)>, Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = token;
                Ok(None)
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.token(token).await,
        }
    }

    /// `Postgres::post`; refused on SQLite, where one process runs every execution.
    pub async fn post(&self, arn: &str, message: &str, created: i64) -> Result<i64, Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = (arn, message, created);
                Err(not_shared())
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.post(arn, message, created).await,
        }
    }

    /// `Postgres::inbox`; empty on SQLite.
    pub async fn inbox(&self, id: &str) -> Result<Vec<InboxMessage>, Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = id;
                Ok(Vec::new())
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.inbox(id).await,
        }
    }

    /// `Postgres::answer`; nothing on SQLite.
    pub async fn answer(&self, id: i64, answer: &str) -> Result<(), Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = (id, answer);
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.answer(id, answer).await,
        }
    }

    /// `Postgres::take_answer`; none on SQLite.
    pub async fn take_answer(&self, id: i64) -> Result<Option<String>, Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = id;
                Ok(None)
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.take_answer(id).await,
        }
    }

    /// `Postgres::withdraw`; nothing on SQLite.
    pub async fn withdraw(&self, id: i64) -> Result<bool, Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = id;
                Ok(false)
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => store.withdraw(id).await,
        }
    }

    /// `Postgres::take_activity_task`: the token, execution ARN, input and inbox message of the task taken. None on
    /// SQLite, whose activity tasks wait in the server's memory.
    pub async fn take_activity_task(
        &self,
        activity_arn: &str,
        created: i64,
        started: impl Fn(&str) -> String,
    ) -> Result<Option<(String, String, String, i64)>, Error> {
        match self {
            Database::Sqlite(_) => {
                let _ = (activity_arn, created, started);
                Ok(None)
            }
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => Ok(store
                .take_activity_task(activity_arn, created, started)
                .await?
                .map(|task| (task.token, task.execution_arn, task.input, task.message))),
        }
    }

    /// Notifications of the inbox, answer and activity channels (`Postgres::listen`), as (channel, payload); refused
    /// on SQLite. Dropping the receiver's `Listening` ends the session.
    pub async fn listen(&self) -> Result<Listening, Error> {
        match self {
            Database::Sqlite(_) => Err(not_shared()),
            #[cfg(feature = "postgres")]
            Database::Postgres(store) => Ok(Listening { listener: store.listen().await? }),
        }
    }

    /// Which store this is, for messages: `SQLite` or `PostgreSQL`.
    pub fn name(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "SQLite",
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => "PostgreSQL",
        }
    }
}

/// A connection listening for notifications (`Database::listen`).
pub struct Listening {
    #[cfg(feature = "postgres")]
    listener: crate::postgres::Listener,
}

impl Listening {
    /// The next notification as (channel, payload); `None` once the connection ended.
    pub async fn next(&mut self) -> Option<(String, String)> {
        #[cfg(feature = "postgres")]
        {
            self.listener.notices.recv().await.map(|notice| (notice.channel, notice.payload))
        }
        #[cfg(not(feature = "postgres"))]
        {
            None
        }
    }
}

fn not_shared() -> Error {
    Error::Backend("this store is not shared by several servers".into())
}

/// Forwards each `Store` method to the store inside.
macro_rules! forward {
    ($( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $out:ty; )*) => {
        impl Store for Database {
            $(
                async fn $name(&self $(, $arg: $ty)*) -> Result<$out, Error> {
                    match self {
                        Database::Sqlite(store) => store.$name($($arg),*).await,
                        #[cfg(feature = "postgres")]
                        Database::Postgres(store) => store.$name($($arg),*).await,
                    }
                }
            )*
        }
    };
}

forward! {
    fn create_state_machine(&self, machine: StateMachine) -> ();
    fn update_state_machine(&self, machine: StateMachine) -> ();
    fn delete_state_machine(&self, arn: &str) -> ();
    fn state_machine(&self, arn: &str) -> Option<StateMachine>;
    fn list_state_machines(&self, page: PageRequest) -> Page<StateMachine>;
    fn set_state_machine_tags(&self, arn: &str, tags: Vec<(String, String)>) -> ();
    fn create_execution(&self, execution: Execution, first: Append) -> ();
    fn append(&self, steps: Vec<Append>) -> ();
    fn execution(&self, arn: &str) -> Option<Execution>;
    fn reset(&self) -> ();
    fn list_executions(&self, state_machine_arn: &str, filter: ExecutionFilter, page: PageRequest) -> Page<Execution>;
    fn list_map_run_executions(&self, map_run_arn: &str, filter: ExecutionFilter, page: PageRequest) -> Page<Execution>;
    fn search_executions(&self, search: Search, page: PageRequest) -> Page<Execution>;
    fn history(&self, execution_arn: &str, reverse: bool, page: PageRequest) -> Page<Event>;
    fn running(&self) -> Vec<Recovered>;
    fn running_arns(&self) -> Vec<String>;
    fn park(&self, arn: &str, wake_at: i64) -> ();
    fn due(&self, before: i64, after: Option<Parked>, limit: usize) -> Vec<Parked>;
    fn gauges(&self) -> Gauges;
    fn delete_closed(&self, before: i64, limit: usize) -> u64;
    fn redrive_execution(&self, arn: &str, date: i64, first: Append) -> ();
    fn recovered(&self, arn: &str) -> Option<Recovered>;
    fn publish_version(&self, publish: Publish) -> Version;
    fn version(&self, state_machine_arn: &str, number: u64) -> Option<Version>;
    fn list_versions(&self, state_machine_arn: &str, page: PageRequest) -> Page<Version>;
    fn delete_version(&self, state_machine_arn: &str, number: u64) -> ();
    fn create_alias(&self, alias: Alias) -> ();
    fn update_alias(&self, alias: Alias) -> ();
    fn delete_alias(&self, arn: &str) -> ();
    fn alias(&self, arn: &str) -> Option<Alias>;
    fn list_aliases(&self, state_machine_arn: &str, page: PageRequest) -> Page<Alias>;
    fn create_activity(&self, activity: Activity) -> ();
    fn activity(&self, arn: &str) -> Option<Activity>;
    fn delete_activity(&self, arn: &str) -> ();
    fn list_activities(&self, page: PageRequest) -> Page<Activity>;
    fn set_activity_tags(&self, arn: &str, tags: Vec<(String, String)>) -> ();
    fn outbox_due(&self, destinations: &[String], now: i64, until: i64, limit: usize) -> Vec<Outbound>;
    fn outbox_settle(&self, delivered: Vec<i64>, failed: Vec<(i64, i64)>) -> ();
}
