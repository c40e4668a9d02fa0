//! A distributed Map's Map Run through a redrive, step by step: the counters the snapshots show only at the end.

use std::sync::Arc;

use serde_json::json;

use engine::{Command, EventDetails, MapRunCounts, MapRunStatus, Status, Trigger};

use crate::driver::{self, EPOCH_MS};
use crate::snapshot;

/// Five items, three at a time: items 0 and 1 hang, item 2 fails, which fails the Map Run (ToleratedFailureCount 0)
/// and aborts items 0 and 1; items 3 and 4 never start. UpdateMapRun had lowered the run's concurrency to 1 before,
/// so the redrive restarts item 0 only: items 1 and 2 wait for their redrive (`pending_redrive`), 3 and 4 to start.
#[test]
fn a_redriven_map_run_counts_its_unsuccessful_items_as_pending_redrive() {
    let case = json!({
        "definition": {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "MaxConcurrency": 3, "ToleratedFailureCount": 0,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:w", "End": true}}},
            "End": true}}},
        "input": ["a", "b", "c", "d", "e"],
        "script": [
            {"state": "Work", "hang": true},
            {"state": "Work", "hang": true},
            {"state": "Work", "throw": {"error": "Flaky"}, "after": 2}
        ],
        "update_map_run": [{"after": 1, "mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:Machine/Each:exec-1-1", "maxConcurrency": 1}]
    });
    let machine = Arc::new(asl::parse::parse_value(&case["definition"]).expect("a valid definition"));
    let mut run = driver::drive(&machine, &snapshot::setup(&case), None);
    assert!(matches!(run.execution.status(), Status::Failed(_)), "{:?}", run.execution.status());
    let failed = run.execution.map_runs()[0].clone();
    assert_eq!(failed.status, MapRunStatus::Failed);
    assert_eq!(failed.max_concurrency, 1);
    let counts = MapRunCounts { pending: 2, running: 0, succeeded: 0, failed: 1, aborted: 2, total: 5, pending_redrive: 0, failures_not_redrivable: 0 };
    assert_eq!(failed.items, counts);
    assert_eq!((failed.redrive_count, failed.redrive_date), (0, None));

    let now = EPOCH_MS + 5_000;
    let commands = run.execution.apply(Trigger::Redrive { now });
    let invoked = commands.iter().filter(|command| matches!(command, Command::InvokeTask(_))).count();
    assert_eq!(invoked, 1, "the Map Run keeps the concurrency UpdateMapRun gave it: {commands:?}");
    let redriven = &run.execution.map_runs()[0];
    assert_eq!(run.execution.map_runs().len(), 1, "no new Map Run");
    assert_eq!(redriven.arn, failed.arn);
    assert_eq!((redriven.status, redriven.stop), (MapRunStatus::Running, None));
    assert_eq!((redriven.redrive_count, redriven.redrive_date), (1, Some(now)));
    let counts = MapRunCounts { pending: 4, running: 1, succeeded: 0, failed: 0, aborted: 0, total: 5, pending_redrive: 2, failures_not_redrivable: 0 };
    assert_eq!(redriven.items, counts);
    assert_eq!(redriven.executions, counts);
    let last = run.execution.history().last().map(|event| &event.details);
    let expected = EventDetails::MapRunRedriven { map_run_arn: failed.arn.clone(), redrive_count: 1 };
    assert_eq!(last, Some(&expected));
}
