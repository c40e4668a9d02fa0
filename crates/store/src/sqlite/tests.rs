//! Unit tests of the SQLite backend's internals (behaviour is tested through `Store` in `tests/it`).

use rusqlite::{Connection, StatementStatus};

use crate::sqlite::writer::{self, HOT_STATEMENTS, Op};
use crate::sqlite::{Location, schema};
use crate::{Append, Ending, Event, Execution, Kind, Status};

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
        apply(&conn, Op::Append(["a", "b", "c"].map(|arn| step(arn, id)).to_vec()));
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
    let running = plan("SELECT seq FROM executions WHERE status = 'RUNNING' ORDER BY seq");
    assert_eq!(
        running,
        "SEARCH executions USING COVERING INDEX executions_running (status=?)"
    );
    let triggers = plan(
        "SELECT t.execution, t.json FROM executions e JOIN triggers t ON t.execution = e.seq \
         WHERE e.status = 'RUNNING' ORDER BY e.seq, t.seq",
    );
    assert!(
        triggers.contains("executions_running") && !triggers.contains("TEMP B-TREE"),
        "{triggers}"
    );
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
    );
}
