//! Unit tests of the SQLite backend's internals (behaviour is tested through `Store` in `tests/it`).

use rusqlite::{Connection, StatementStatus};

use crate::sqlite::writer::{self, HOT_STATEMENTS, Op};
use crate::sqlite::{Location, schema};
use crate::{Append, Ending, Event, Execution, Kind, PageRequest, StateMachine, Status};

fn database() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::File(dir.path().join("t.sqlite3"));
    let mut conn = schema::open_writer(&location).unwrap();
    schema::migrate(&mut conn, &location).unwrap();
    (dir, conn)
}

fn execution(arn: &str) -> Execution {
    Execution {
        arn: arn.to_owned(),
        name: arn.to_owned(),
        state_machine_arn: "m".to_owned(),
        definition: "{}".to_owned(),
        role_arn: "r".to_owned(),
        kind: Kind::Standard,
        input: "{}".to_owned(),
        trace_header: None,
        status: Status::Running,
        start: 0,
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

fn step(arn: &str, id: u64) -> Append {
    Append {
        execution_arn: arn.to_owned(),
        trigger: "{}".to_owned(),
        events: vec![Event {
            id,
            json: "{}".to_owned(),
        }],
        ending: None,
        digest: id,
        children: Vec::new(),
        lease: None,
        routing: crate::Routing::default(),
        park: None,
        outbox: Vec::new(),
    }
}

fn apply(conn: &Connection, op: Op) {
    assert!(writer::apply(conn, &op).is_ok());
}

/// A statement whose plan depends on bound values is re-prepared on every new binding; the write path must
/// have none (see `schema::stable_plans`).
#[test]
fn hot_statements_are_prepared_once() {
    let (_dir, conn) = database();
    for arn in ["a", "b", "c"] {
        apply(&conn, Op::CreateExecution(Box::new(execution(arn)), step(arn, 1)));
    }
    for id in 2..6 {
        // `c` parks and wakes by turns.
        let park = (id % 2 == 0).then_some(id as i64);
        apply(&conn, Op::Append(["a", "b", "c"].map(|arn| Append { park: park.filter(|_| arn == "c"), ..step(arn, id) }).to_vec()));
    }
    for arn in ["a", "b"] {
        let ending = Ending {
            status: Status::Succeeded,
            stop: 1,
            output: None,
            error: None,
            cause: None,
        };
        apply(
            &conn,
            Op::Append(vec![Append {
                ending: Some(ending),
                ..step(arn, 6)
            }]),
        );
    }
    for sql in HOT_STATEMENTS {
        let statement = conn.prepare_cached(sql).unwrap();
        assert_eq!(statement.get_status(StatementStatus::RePrepare), 0, "{sql}");
        assert!(statement.get_status(StatementStatus::Run) > 0, "never ran: {sql}");
    }
}

/// Recovery and the status filter use the indexes meant for them.
#[test]
fn query_plans_use_indexes() {
    let (_dir, conn) = database();
    let plan = |sql: &str| -> String {
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = statement.query_map([], |row| row.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
    };
    // Start-up reads the running executions that are not parked from the index and `parked` alone.
    let awake = "e.status = 'RUNNING' AND e.map_run_arn IS NULL AND NOT EXISTS (SELECT 1 FROM parked p WHERE p.execution = e.seq)";
    let running = plan(&format!("SELECT e.seq FROM executions e WHERE {awake} ORDER BY e.seq"));
    assert_eq!(
        running,
        "SEARCH e USING COVERING INDEX executions_running (status=? AND map_run_arn=?); \
         CORRELATED SCALAR SUBQUERY 1; SEARCH p USING INTEGER PRIMARY KEY (rowid=?)"
    );
    let triggers = plan(&format!(
        "SELECT t.execution, t.json FROM executions e JOIN triggers t ON t.execution = e.seq \
         WHERE {awake} ORDER BY e.seq, t.seq",
    ));
    assert!(
        triggers.contains("executions_running") && !triggers.contains("TEMP B-TREE"),
        "{triggers}"
    );
    // A history page reads its rows through the events index, in either direction.
    for history in [
        "SELECT id, json FROM events WHERE execution = 1 AND id > 5 ORDER BY id LIMIT 3",
        "SELECT id, json FROM events WHERE execution = 1 AND id < 5 ORDER BY id DESC LIMIT 3",
        "SELECT id, json FROM events WHERE execution = 1 AND id >= 5 ORDER BY id LIMIT 1",
    ] {
        let found = plan(history);
        assert!(found.contains("events_by_execution (execution=? AND id") && !found.contains("TEMP B-TREE"), "{found}");
    }
    let due = plan(
        "SELECT e.arn, p.wake_at, p.execution FROM parked p JOIN executions e ON e.seq = p.execution \
         WHERE p.wake_at <= 5 AND (p.wake_at, p.execution) > (1, 2) ORDER BY p.wake_at, p.execution LIMIT 10",
    );
    assert!(due.contains("parked_by_wake") && !due.contains("TEMP B-TREE"), "{due}");
    let by_status = plan(
        "SELECT seq FROM executions WHERE state_machine_arn = 'm' AND status = 'FAILED' AND seq < 9 \
         ORDER BY seq DESC LIMIT 3",
    );
    assert!(
        by_status.contains("executions_by_machine_status") && !by_status.contains("TEMP B-TREE"),
        "{by_status}"
    );
    let all = plan("SELECT seq FROM executions WHERE state_machine_arn = 'm' AND seq < 9 ORDER BY seq DESC LIMIT 3");
    assert!(
        all.contains("executions_by_machine") && !all.contains("TEMP B-TREE"),
        "{all}"
    );    let children = plan("SELECT seq FROM executions WHERE map_run_arn = 'r' AND seq < 9 ORDER BY seq DESC LIMIT 3");
    assert!(children.contains("executions_by_map_run") && !children.contains("TEMP B-TREE"), "{children}");
    let failed_children =
        plan("SELECT seq FROM executions WHERE map_run_arn = 'r' AND status = 'FAILED' AND seq < 9 ORDER BY seq DESC LIMIT 3");
    assert!(failed_children.contains("executions_by_map_run") && !failed_children.contains("TEMP B-TREE"), "{failed_children}");
    // A search across machines finds its page's rows from its narrow index alone, newest first, whatever it filters
    // on; only those rows are read from the table.
    for filters in [
        "",
        " AND instr(name, 'x') > 0",
        " AND status = 'FAILED' AND start >= 1 AND start < 9",
        " AND substr(state_machine_arn, 1, 3) = 'arn' AND instr(name, 'x') > 0",
    ] {
        let search = plan(&format!(
            "SELECT seq FROM executions WHERE map_run_arn IS NULL AND seq < 9{filters} ORDER BY seq DESC LIMIT 3"
        ));
        assert_eq!(search, "SEARCH executions USING COVERING INDEX executions_search (seq<?)", "{filters}");
    }
}

/// A database of schema version 1 (before versions and aliases) opens, migrates to the current schema, and keeps
/// its data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_1_database_migrates() {
    use crate::sqlite::{FILE_NAME, SCHEMA_VERSION, Sqlite};
    use crate::{Publish, Store};

    let dir = tempfile::tempdir().unwrap();
    let location = Location::File(dir.path().join(FILE_NAME));
    {
        let mut conn = schema::open_writer(&location).unwrap();
        schema::migrate_to(&mut conn, &location, 1).unwrap();
        let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, 1);
        conn.execute_batch(
            r#"INSERT INTO state_machines (arn, name, kind, role_arn, revision_id, created, updated, tags, definition)
               VALUES ('m', 'm', 'STANDARD', 'r', 'rev', 1, 2, '[["k","v"]]', '{}');
               INSERT INTO executions (arn, status, kind, start, name, state_machine_arn, role_arn, input, definition)
               VALUES ('e', 'RUNNING', 'STANDARD', 3, 'e', 'm', 'r', '{}', '{}');
               INSERT INTO events (execution, id, json) VALUES (1, 1, '{}');
               INSERT INTO triggers (execution, seq, json) VALUES (1, 1, '{"t":1}');"#,
        )
        .unwrap();
    }

    let store = Sqlite::open(dir.path()).unwrap();
    let machine = store.state_machine("m").await.unwrap().unwrap();
    assert_eq!((machine.revision_id.as_str(), machine.tags.clone()), ("rev", vec![("k".to_owned(), "v".to_owned())]));
    let mut expected = execution("e");
    expected.start = 3;
    assert_eq!(store.execution("e").await.unwrap(), Some(expected));
    let running = store.running().await.unwrap();
    assert_eq!(running.first().map(|r| r.triggers.clone()), Some(vec![r#"{"t":1}"#.to_owned()]));
    store.append(vec![step("e", 2)]).await.unwrap();
    // The new tables work on the migrated database.
    let publish = Publish { state_machine_arn: "m".to_owned(), revision_id: "rev".to_owned(), description: None, created: 4 };
    assert_eq!(store.publish_version(publish).await.unwrap().number, 1);
    drop(store);
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

/// A database of schema version 2 (before activities were stored) opens, migrates to the current schema, keeps its
/// machines, versions, aliases and running executions, and stores activities.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_2_database_migrates() {
    use crate::sqlite::{FILE_NAME, SCHEMA_VERSION, Sqlite};
    use crate::{Activity, PageRequest, Store};

    let dir = tempfile::tempdir().unwrap();
    let location = Location::File(dir.path().join(FILE_NAME));
    {
        let mut conn = schema::open_writer(&location).unwrap();
        schema::migrate_to(&mut conn, &location, 2).unwrap();
        let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, 2);
        let tables: u32 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'activities'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 0, "version 2 has no activities table");
        conn.execute_batch(
            r#"INSERT INTO state_machines (arn, name, kind, role_arn, revision_id, created, updated, tags, definition,
                   last_version)
               VALUES ('m', 'm', 'STANDARD', 'r', 'rev', 1, 2, '[["k","v"]]', '{}', 1);
               INSERT INTO versions (state_machine_arn, number, revision_id, role_arn, created, definition)
               VALUES ('m', 1, 'rev', 'r', 3, '{}');
               INSERT INTO aliases (arn, state_machine_arn, name, created, updated, routing)
               VALUES ('m:live', 'm', 'live', 4, 4, '[["m:1",100]]');
               INSERT INTO executions (arn, status, kind, start, name, state_machine_arn, role_arn, input, definition,
                   version_arn, alias_arn)
               VALUES ('e', 'RUNNING', 'STANDARD', 5, 'e', 'm', 'r', '{}', '{}', 'm:1', 'm:live');
               INSERT INTO events (execution, id, json) VALUES (1, 1, '{}');
               INSERT INTO triggers (execution, seq, json) VALUES (1, 1, '{"t":1}');"#,
        )
        .unwrap();
    }

    let store = Sqlite::open(dir.path()).unwrap();
    let machine = store.state_machine("m").await.unwrap().unwrap();
    assert_eq!(machine.tags, vec![("k".to_owned(), "v".to_owned())]);
    assert_eq!(store.version("m", 1).await.unwrap().map(|v| v.created), Some(3));
    let alias = store.alias("m:live").await.unwrap().unwrap();
    assert_eq!(alias.routing.first().map(|r| (r.version_arn.as_str(), r.weight)), Some(("m:1", 100)));
    let mut expected = execution("e");
    expected.start = 5;
    expected.version_arn = Some("m:1".to_owned());
    expected.alias_arn = Some("m:live".to_owned());
    assert_eq!(store.execution("e").await.unwrap(), Some(expected));
    let running = store.running().await.unwrap();
    assert_eq!(running.first().map(|r| r.triggers.clone()), Some(vec![r#"{"t":1}"#.to_owned()]));
    // A step stored before digests were kept: its last event comes from the events, without a digest.
    assert_eq!(running.first().map(|r| (r.last_event, r.digest)), Some((1, None)));
    store.append(vec![step("e", 2)]).await.unwrap();
    let recovered = store.recovered("e").await.unwrap().unwrap();
    assert_eq!((recovered.last_event, recovered.digest), (2, Some(2)));
    // The new table works on the migrated database.
    let activity =
        Activity { arn: "a".to_owned(), name: "a".to_owned(), created: 6, tags: Vec::new(), encryption_configuration: None };
    store.create_activity(activity.clone()).await.unwrap();
    let listed = store.list_activities(PageRequest::default()).await.unwrap();
    assert_eq!(listed.items, [activity]);
    drop(store);
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

/// A database of schema version 5 (before encryption configurations were stored) opens, migrates to the current
/// schema, keeps its machines and activities (with no encryption configuration), and stores one on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_5_database_migrates() {
    use crate::sqlite::{FILE_NAME, SCHEMA_VERSION, Sqlite};
    use crate::{Activity, Store};

    let dir = tempfile::tempdir().unwrap();
    let location = Location::File(dir.path().join(FILE_NAME));
    {
        let mut conn = schema::open_writer(&location).unwrap();
        schema::migrate_to(&mut conn, &location, 5).unwrap();
        conn.execute_batch(
            r#"INSERT INTO state_machines (arn, name, kind, role_arn, revision_id, created, updated, tags, definition)
               VALUES ('m', 'm', 'STANDARD', 'r', 'rev', 1, 2, '[]', '{}');
               INSERT INTO activities (arn, name, created, tags) VALUES ('a', 'a', 3, '[]');"#,
        )
        .unwrap();
    }

    let store = Sqlite::open(dir.path()).unwrap();
    let mut machine = store.state_machine("m").await.unwrap().unwrap();
    assert_eq!((machine.revision_id.as_str(), machine.encryption_configuration.clone()), ("rev", None));
    let activity = store.activity("a").await.unwrap().unwrap();
    assert_eq!(activity.encryption_configuration, None);
    machine.encryption_configuration = Some(r#"{"type":"AWS_OWNED_KEY"}"#.to_owned());
    store.update_state_machine(machine.clone()).await.unwrap();
    assert_eq!(store.state_machine("m").await.unwrap(), Some(machine));
    let encrypted = Activity {
        arn: "b".to_owned(),
        name: "b".to_owned(),
        created: 4,
        tags: Vec::new(),
        encryption_configuration: Some(r#"{"type":"CUSTOMER_MANAGED_KMS_KEY","kmsKeyId":"k"}"#.to_owned()),
    };
    store.create_activity(encrypted.clone()).await.unwrap();
    assert_eq!(store.activity("b").await.unwrap(), Some(encrypted));
    drop(store);
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 12);
}

/// A database of schema version 10 (events and triggers clustered by execution) migrates to rowid tables: its
/// histories and triggers read as before, in order, and its executions take further steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_10_database_keeps_its_histories() {
    use crate::sqlite::{FILE_NAME, Sqlite};
    use crate::Store;

    let dir = tempfile::tempdir().unwrap();
    let location = Location::File(dir.path().join(FILE_NAME));
    {
        let mut conn = schema::open_writer(&location).unwrap();
        schema::migrate_to(&mut conn, &location, 10).unwrap();
        for arn in ["a", "b"] {
            apply(&conn, Op::CreateExecution(Box::new(execution(arn)), step(arn, 1)));
        }
        // Interleaved, as a group commit writes them.
        for id in 2..=4 {
            apply(&conn, Op::Append(vec![step("b", id), step("a", id)]));
        }
    }
    let store = Sqlite::open(dir.path()).unwrap();
    store.append(vec![step("a", 5)]).await.unwrap();
    for (arn, last) in [("a", 5), ("b", 4)] {
        let page = store.history(arn, false, PageRequest { token: None, limit: 100 }).await.unwrap();
        assert_eq!(page.items.iter().map(|event| event.id).collect::<Vec<_>>(), (1..=last).collect::<Vec<_>>());
        let reversed = store.history(arn, true, PageRequest { token: None, limit: 2 }).await.unwrap();
        assert_eq!(reversed.items.iter().map(|event| event.id).collect::<Vec<_>>(), [last, last - 1]);
        let recovered = store.recovered(arn).await.unwrap().unwrap();
        assert_eq!((recovered.triggers.len() as u64, recovered.last_event), (last, last));
    }
    // A duplicate event id is still refused.
    assert!(store.append(vec![step("b", 4)]).await.is_err());
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, crate::sqlite::SCHEMA_VERSION);
}

/// A database of schema version 11 (a row per event) reads as before; the steps after it store their events
/// together, a row for a step's 42 events, and the history reads through both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_11_database_reads_its_rows_of_one_event() {
    use crate::sqlite::{FILE_NAME, Sqlite};
    use crate::Store;

    let dir = tempfile::tempdir().unwrap();
    let location = Location::File(dir.path().join(FILE_NAME));
    {
        let mut conn = schema::open_writer(&location).unwrap();
        schema::migrate_to(&mut conn, &location, 11).unwrap();
        conn.execute_batch(
            r#"INSERT INTO executions (arn, status, kind, start, name, state_machine_arn, role_arn, input, definition)
               VALUES ('e', 'RUNNING', 'STANDARD', 0, 'e', 'm', 'r', '{}', '{}');
               INSERT INTO events (execution, id, json) VALUES (1, 1, '{"id":1}'), (1, 2, '{"id":2}'), (1, 3, '{"id":3}');
               INSERT INTO triggers (execution, seq, json, last_event, digest) VALUES (1, 1, '{}', 3, 3);"#,
        )
        .unwrap();
    }
    let store = Sqlite::open(dir.path()).unwrap();
    let mut next = step("e", 4);
    next.events = (4..46).map(|id| Event { id, json: format!(r#"{{"id":{id}}}"#) }).collect();
    store.append(vec![next]).await.unwrap();
    let page = store.history("e", false, PageRequest { token: None, limit: 1000 }).await.unwrap();
    let expected: Vec<Event> = (1..46).map(|id| Event { id, json: format!(r#"{{"id":{id}}}"#) }).collect();
    assert_eq!(page.items, expected);
    let reversed = store.history("e", true, PageRequest { token: None, limit: 44 }).await.unwrap();
    assert_eq!(reversed.items.iter().map(|event| event.id).collect::<Vec<_>>(), (2..46).rev().collect::<Vec<_>>());
    drop(store);
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let rows: Vec<i64> = conn
        .prepare("SELECT id FROM events ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, [1, 2, 3, 45]);
}

/// A database of schema version 8 (before the outbox) migrates: its running execution takes a step that writes to
/// the outbox, which hands the message out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_8_database_gets_an_outbox() {
    use crate::sqlite::{FILE_NAME, Sqlite};
    use crate::{Outgoing, Store};

    let dir = tempfile::tempdir().unwrap();
    let location = Location::File(dir.path().join(FILE_NAME));
    {
        let mut conn = schema::open_writer(&location).unwrap();
        schema::migrate_to(&mut conn, &location, 8).unwrap();
        apply(&conn, Op::CreateExecution(Box::new(execution("e")), step("e", 1)));
    }
    let store = Sqlite::open(dir.path()).unwrap();
    let message = Outgoing { destination: "http://d/".to_owned(), execution_arn: "e".to_owned(), body: "{}".to_owned() };
    store.append(vec![Append { outbox: vec![message], ..step("e", 2) }]).await.unwrap();
    let due = store.outbox_due(&["http://d/".to_owned()], 0, 0, 10).await.unwrap();
    assert_eq!(due.iter().map(|m| (m.execution_arn.as_str(), m.body.as_str())).collect::<Vec<_>>(), [("e", "{}")]);
}

/// A database of schema version 7 (before parked executions) opens and migrates: its running executions (a Map Run's
/// child aside) are resumed as before, and can be parked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_7_database_migrates() {
    use crate::sqlite::{FILE_NAME, Sqlite};
    use crate::Store;

    let dir = tempfile::tempdir().unwrap();
    let location = Location::File(dir.path().join(FILE_NAME));
    {
        let mut conn = schema::open_writer(&location).unwrap();
        schema::migrate_to(&mut conn, &location, 7).unwrap();
        conn.execute_batch(
            r#"INSERT INTO executions (arn, status, kind, start, name, state_machine_arn, role_arn, input, definition)
               VALUES ('e', 'RUNNING', 'STANDARD', 5, 'e', 'm', 'r', '{}', '{}');
               INSERT INTO executions (arn, status, kind, start, name, state_machine_arn, role_arn, input, definition,
                   map_run_arn)
               VALUES ('child', 'RUNNING', 'STANDARD', 5, 'child', 'm', 'r', '{}', '{}', 'run');
               INSERT INTO events (execution, id, json) VALUES (1, 1, '{}');
               INSERT INTO triggers (execution, seq, json, last_event, digest) VALUES (1, 1, '{"t":1}', 1, 1);"#,
        )
        .unwrap();
    }

    let store = Sqlite::open(dir.path()).unwrap();
    let running = store.running().await.unwrap();
    assert_eq!(running.iter().map(|r| (r.execution.arn.as_str(), r.parked)).collect::<Vec<_>>(), [("e", None)]);
    store.park("e", 10).await.unwrap();
    assert!(store.running().await.unwrap().is_empty());
    assert_eq!(store.due(10, None, 5).await.unwrap().first().map(|p| p.execution_arn.as_str()), Some("e"));
    store.append(vec![step("e", 2)]).await.unwrap();
    assert_eq!(store.running_arns().await.unwrap(), ["e"]);
}

/// The writer keeps where running executions stand between batches (`writer::Known`): appends from it are checked as
/// strictly as from the table (a wrong id, an ended execution), a parked execution is read again, and a new writer
/// on the same file (nothing known) continues every sequence where the last one left it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_continues_what_it_knows_and_what_it_reads() {
    use crate::Error;

    let (dir, conn) = database();
    let location = Location::File(dir.path().join("t.sqlite3"));
    let ended = Ending { status: Status::Succeeded, stop: 5, output: None, error: None, cause: None };
    let handle = writer::Handle::spawn(conn, std::sync::Arc::default()).unwrap();
    handle.call(Op::CreateExecution(Box::new(execution("a")), step("a", 1))).await.unwrap();
    handle.call(Op::CreateExecution(Box::new(execution("p")), step("p", 1))).await.unwrap();
    handle.call(Op::Append(vec![step("a", 2), step("a", 3)])).await.unwrap();
    let wrong = handle.call(Op::Append(vec![step("a", 9)])).await;
    assert!(matches!(wrong, Err(Error::Conflict { expected: 4, found: 9, .. })), "{wrong:?}");
    // Parked, then woken: read from the table again.
    handle.call(Op::Append(vec![Append { park: Some(50), ..step("p", 2) }])).await.unwrap();
    handle.call(Op::Append(vec![step("p", 3)])).await.unwrap();
    let wrong = handle.call(Op::Append(vec![step("p", 3)])).await;
    assert!(matches!(wrong, Err(Error::Conflict { expected: 4, found: 3, .. })), "{wrong:?}");
    handle.call(Op::Append(vec![Append { ending: Some(ended.clone()), ..step("a", 4) }])).await.unwrap();
    let late = handle.call(Op::Append(vec![step("a", 5)])).await;
    assert!(matches!(late, Err(Error::Ended(_))), "{late:?}");
    drop(handle);

    let mut conn = schema::open_writer(&location).unwrap();
    schema::migrate(&mut conn, &location).unwrap();
    let handle = writer::Handle::spawn(conn, std::sync::Arc::default()).unwrap();
    let wrong = handle.call(Op::Append(vec![step("p", 5)])).await;
    assert!(matches!(wrong, Err(Error::Conflict { expected: 4, found: 5, .. })), "{wrong:?}");
    handle.call(Op::Append(vec![step("p", 4), step("p", 5)])).await.unwrap();
    handle.call(Op::Append(vec![Append { ending: Some(ended), ..step("p", 6) }])).await.unwrap();
    drop(handle);

    let read = Connection::open(dir.path().join("t.sqlite3")).unwrap();
    let column = |sql: &str| -> Vec<i64> {
        let mut statement = read.prepare(sql).unwrap();
        statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let p = "(SELECT seq FROM executions WHERE arn = 'p')";
    assert_eq!(column(&format!("SELECT seq FROM triggers WHERE execution = {p} ORDER BY rowid")), [1, 2, 3, 4, 5, 6]);
    assert_eq!(column(&format!("SELECT last_event FROM triggers WHERE execution = {p} ORDER BY rowid")), [1, 2, 3, 4, 5, 6]);
    assert_eq!(column("SELECT seq FROM triggers WHERE execution = (SELECT seq FROM executions WHERE arn = 'a') ORDER BY rowid"), [1, 2, 3, 4]);
    assert_eq!(column("SELECT count(*) FROM parked"), [0]);
}

/// A full database (here its page limit, as a full disk) refuses a batch without poisoning the writer: once room is
/// made, writes succeed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_database_recovers_once_there_is_room() {
    use crate::Error;

    let (_dir, conn) = database();
    let big = |arn: &str, first: u64| Append {
        execution_arn: arn.to_owned(),
        trigger: "{}".to_owned(),
        events: (first..first + 4).map(|id| Event { id, json: format!("\"{}\"", "x".repeat(8000 + id as usize)) }).collect(),
        ending: None,
        digest: first,
        children: Vec::new(),
        lease: None,
        routing: crate::Routing::default(),
        park: None,
        outbox: Vec::new(),
    };
    let handle = writer::Handle::spawn(conn, std::sync::Arc::default()).unwrap();
    let machine = StateMachine {
        arn: "m".to_owned(),
        name: "m".to_owned(),
        kind: Kind::Standard,
        definition: "{}".to_owned(),
        role_arn: "r".to_owned(),
        logging_configuration: None,
        tracing_configuration: None,
        description: None,
        revision_id: "r".to_owned(),
        created: 1,
        updated: 1,
        tags: Vec::new(),
        encryption_configuration: None,
    };
    handle.call(Op::CreateStateMachine(machine)).await.unwrap();
    // Ten executions that ended, holding about 320 KB, then a limit a little above what the file holds.
    for n in 0..10 {
        let arn = format!("done{n}");
        let mut first = big(&arn, 1);
        first.ending = Some(Ending { status: Status::Succeeded, stop: 5, output: None, error: None, cause: None });
        handle.call(Op::CreateExecution(Box::new(execution(&arn)), first)).await.unwrap();
    }
    handle.call(Op::LimitPages(20)).await.unwrap();
    handle.call(Op::CreateExecution(Box::new(execution("live")), big("live", 1))).await.unwrap();
    let mut next = 5;
    let full = loop {
        match handle.call(Op::Append(vec![big("live", next)])).await {
            Ok(()) => next += 4,
            Err(error) => break error,
        }
        assert!(next < 10_000, "the database never filled");
    };
    assert!(matches!(full, Error::Full(_)), "{full}");
    // Still full, still not poisoned.
    assert!(matches!(handle.call(Op::Append(vec![big("live", next)])).await, Err(Error::Full(_))));
    assert_eq!(handle.count(Op::DeleteClosed { before: 10, limit: 100 }).await.unwrap(), 10);
    handle.call(Op::Append(vec![big("live", next)])).await.unwrap();
}
