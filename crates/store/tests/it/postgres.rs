//! PostgreSQL-only checks: migrations when several processes start at once, a newer schema refused, and two
//! processes appending to one execution.

use tokio_postgres::NoTls;

use store::postgres::{Postgres, SCHEMA_VERSION};
use store::{Error, Store};

use crate::fixtures::{execution, join_all, page, step};

async fn sql(url: &str, statements: &str) -> Vec<tokio_postgres::SimpleQueryMessage> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client.simple_query(statements).await.unwrap()
}

fn first_value(messages: &[tokio_postgres::SimpleQueryMessage]) -> Option<String> {
    messages.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
        _ => None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_migrate_once() {
    let Some(url) = crate::cluster::database().await else { return };
    let stores = join_all((0..6).map(|_| Postgres::connect(&url))).await;
    let stores: Vec<Postgres> = stores.into_iter().map(Result::unwrap).collect();
    let version = first_value(&sql(&url, "SELECT version FROM baton_schema").await);
    assert_eq!(version, Some(SCHEMA_VERSION.to_string()));
    let rows = first_value(&sql(&url, "SELECT count(*) FROM baton_schema").await);
    assert_eq!(rows.as_deref(), Some("1"));
    // Each works on the one schema.
    let e = execution("m", "shared");
    stores[0].create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
    assert_eq!(stores[5].execution(&e.arn).await.unwrap(), Some(e));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_schema_refused() {
    let Some(url) = crate::cluster::database().await else { return };
    drop(Postgres::connect(&url).await.unwrap());
    sql(&url, "UPDATE baton_schema SET version = 999").await;
    let r = Postgres::connect(&url).await;
    assert!(matches!(&r, Err(Error::Backend(e)) if e.to_string().contains("newer")), "{:?}", r.err());
}

/// Two stores on one database (as two processes): appends to one execution take turns, each checked against the
/// other's committed events; exactly one of two steps with the same ids lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_append_in_turn() {
    let Some(url) = crate::cluster::database().await else { return };
    let (a, b) = (Postgres::connect(&url).await.unwrap(), Postgres::connect(&url).await.unwrap());
    let e = execution("m", "contended");
    a.create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
    let r = b.create_execution(e.clone(), step(&e.arn, 1, 1)).await;
    assert!(matches!(r, Err(Error::AlreadyExists(_))), "{r:?}");
    let mut next = 2;
    for _ in 0..20 {
        let results = join_all([a.append(vec![step(&e.arn, next, 2)]), b.append(vec![step(&e.arn, next, 2)])]).await;
        let won = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "{results:?}");
        assert!(results.iter().any(|r| matches!(r, Err(Error::Conflict { .. }))), "{results:?}");
        next += 2;
    }
    let history = a.history(&e.arn, false, page(None, 1000)).await.unwrap();
    let ids: Vec<u64> = history.items.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..next).collect::<Vec<_>>());
    assert_eq!(b.recovered(&e.arn).await.unwrap().unwrap().triggers.len(), 21);
}
