//! Records to store, backends to store them in, and a `join_all` that polls many futures at once.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use store::sqlite::Sqlite;
use store::{Append, Ending, Event, Execution, Kind, Page, PageRequest, StateMachine, Status};

pub(crate) fn sqlite_memory() -> Sqlite {
    Sqlite::open_in_memory().unwrap()
}

/// SQLite in a temporary directory, opened as a server opens its store (`Database`), so the suite covers the
/// forwarding too.
pub(crate) async fn database_disk() -> (tempfile::TempDir, store::Database) {
    let dir = tempfile::tempdir().unwrap();
    let store = store::Database::open(store::Location::Directory(&dir.path().join("data"))).await.unwrap();
    (dir, store)
}

/// PostgreSQL on a fresh database, opened as a server opens its store (`Database`), or `None` where PostgreSQL is
/// not installed.
#[cfg(feature = "postgres")]
pub(crate) async fn database_postgres() -> Option<store::Database> {
    let url = pgtest::database()?;
    Some(store::Database::open(store::Location::Url(&url)).await.unwrap())
}

pub(crate) const ACCOUNT: &str = "arn:aws:states:us-east-1:123456789012";

pub(crate) fn machine(name: &str) -> StateMachine {
    StateMachine {
        arn: format!("{ACCOUNT}:stateMachine:{name}"),
        name: name.to_owned(),
        kind: Kind::Standard,
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        logging_configuration: Some(r#"{"level":"OFF"}"#.to_owned()),
        tracing_configuration: None,
        description: Some(format!("machine {name}")),
        revision_id: "r1".to_owned(),
        created: 1_700_000_000_000,
        updated: 1_700_000_000_000,
        tags: vec![("b".to_owned(), "2".to_owned()), ("a".to_owned(), "1".to_owned())],
        encryption_configuration: None,
    }
}

pub(crate) fn execution(machine: &str, name: &str) -> Execution {
    Execution {
        arn: format!("{ACCOUNT}:execution:{machine}:{name}"),
        name: name.to_owned(),
        state_machine_arn: format!("{ACCOUNT}:stateMachine:{machine}"),
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        kind: Kind::Standard,
        input: r#"{"n":1}"#.to_owned(),
        trace_header: None,
        status: Status::Running,
        start: 1_700_000_000_000,
        stop: None,
        output: None,
        error: None,
        cause: None,
        version_arn: None,
        alias_arn: None,
        redrive_count: 0,
        redrive_date: None,
        engine_version: 0,
        map_run_arn: None,
    }
}

/// A step of `arn` with `count` events numbered from `first`, and trigger `t<first>`.
pub(crate) fn step(arn: &str, first: u64, count: u64) -> Append {
    Append {
        execution_arn: arn.to_owned(),
        trigger: format!(r#"{{"t":{first}}}"#),
        events: (first..first + count)
            .map(|id| Event {
                id,
                json: format!(r#"{{"id":{id}}}"#),
            })
            .collect(),
        ending: None,
        digest: first * 1000 + count,
        children: Vec::new(),
        lease: None,
        routing: store::Routing::default(),
        park: None,
        outbox: Vec::new(),
    }
}

pub(crate) fn succeeded(stop: i64) -> Ending {
    Ending {
        status: Status::Succeeded,
        stop,
        output: Some(r#"{"ok":true}"#.to_owned()),
        error: None,
        cause: None,
    }
}

pub(crate) fn page(token: Option<String>, limit: usize) -> PageRequest {
    PageRequest { token, limit }
}

/// Follows tokens from the first page to the last, returning every page's items in order.
pub(crate) async fn all_pages<T, F, Fut>(limit: usize, mut fetch: F) -> Vec<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, store::Error>>,
{
    let mut pages = Vec::new();
    let mut token = None;
    loop {
        let Page { items, next_token } = fetch(page(token, limit)).await.unwrap();
        pages.push(items);
        match next_token {
            Some(next) => token = Some(next),
            None => return pages,
        }
    }
}

/// Futures polled together, so their requests reach the store at once.
pub(crate) struct JoinAll<F: Future> {
    futures: Vec<Pin<Box<F>>>,
    outputs: Vec<Option<F::Output>>,
}

impl<F: Future> JoinAll<F> {
    pub(crate) fn new(futures: impl IntoIterator<Item = F>) -> Self {
        let futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
        let outputs = futures.iter().map(|_| None).collect();
        JoinAll { futures, outputs }
    }

    /// Polls every unfinished future once; true when all are done.
    pub(crate) async fn poll_once(&mut self) -> bool {
        poll_fn(|cx| Poll::Ready(self.step(cx))).await
    }

    pub(crate) async fn finish(mut self) -> Vec<F::Output> {
        poll_fn(|cx| if self.step(cx) { Poll::Ready(()) } else { Poll::Pending }).await;
        self.outputs.into_iter().map(Option::unwrap).collect()
    }

    fn step(&mut self, cx: &mut std::task::Context<'_>) -> bool {
        let mut done = true;
        for (future, output) in self.futures.iter_mut().zip(self.outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => done = false,
                }
            }
        }
        done
    }
}

pub(crate) async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    JoinAll::new(futures).finish().await
}
