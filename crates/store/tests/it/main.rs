//! The store's integration tests: the conformance suite every backend passes, and SQLite-only checks.
//!
//! `suite` holds each case once, as a function of `&impl Store`; `store_test!` instantiates it per backend: SQLite in
//! memory and on disk, and with the `postgres` feature PostgreSQL, each test in a fresh database of a throwaway
//! cluster (the `pgtest` crate) that the tests start themselves (skipped, with a note, where PostgreSQL is not installed).

// Test code may unwrap; `allow-unwrap-in-tests` does not reach `tests/` directories (rust-clippy#13981).
#![allow(clippy::unwrap_used)]

mod fixtures;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
mod suite;

/// Runs `suite::$name` against every backend, one `#[tokio::test]` each.
macro_rules! store_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_memory() {
                crate::suite::$name(&crate::fixtures::sqlite_memory()).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_disk() {
                let (_dir, store) = crate::fixtures::database_disk().await;
                crate::suite::$name(&store).await
            }

            #[cfg(feature = "postgres")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(store) = crate::fixtures::database_postgres().await else { return };
                crate::suite::$name(&store).await
            }
        }
    };
}

store_test!(state_machine_lifecycle);
store_test!(state_machine_tags);
store_test!(child_executions);
store_test!(reset_deletes_everything);
store_test!(duplicate_state_machine);
store_test!(state_machines_paging);
store_test!(bad_tokens);
store_test!(page_limits);
store_test!(executions_by_status_newest_first);
store_test!(duplicate_execution);
store_test!(ended_at_creation);
store_test!(history_order_and_paging);
store_test!(history_of_large_steps);
store_test!(append_conflicts);
store_test!(append_after_ending_refused);
store_test!(running_with_triggers);
store_test!(retention_deletes_closed_executions);
store_test!(concurrent_appends);
store_test!(versions_lifecycle);
store_test!(aliases_lifecycle);
store_test!(executions_remember_version_and_alias);
store_test!(redrive);
store_test!(activities_lifecycle);
store_test!(activities_paging);
store_test!(parked_executions);
store_test!(outbox);
store_test!(search_executions);
store_test!(gauges_measure_the_data);
