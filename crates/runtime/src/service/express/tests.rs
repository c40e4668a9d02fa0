//! The Express executions' retention: an ended execution is found until its retention runs out, and then dropped.

use store::{Append, Ending, Execution, Kind, Status};

use crate::service::express::Express;

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:quick";

fn record(name: &str, start: i64) -> Execution {
    Execution {
        arn: format!("arn:aws:states:us-east-1:123456789012:express:quick:{name}:id"),
        name: name.to_owned(),
        state_machine_arn: MACHINE.to_owned(),
        kind: Kind::Express,
        start,
        ..crate::service::testing::execution()
    }
}

fn step(arn: &str, ending: Option<i64>) -> Append {
    Append {
        execution_arn: arn.to_owned(),
        trigger: String::new(),
        events: vec![store::Event { id: 1, json: "{}".to_owned() }],
        ending: ending.map(|stop| Ending { status: Status::Succeeded, stop, output: Some("{}".to_owned()), error: None, cause: None }),
        digest: 0,
        children: Vec::new(),
        lease: None,
        routing: store::Routing::default(),
        park: None,
        outbox: Vec::new(),
    }
}

fn names(express: &Express, now: i64) -> Vec<String> {
    express.of_machine(MACHINE, now).into_iter().map(|e| e.name).collect()
}

#[test]
fn an_ended_execution_is_kept_for_the_retention_and_then_dropped() {
    let express = Express::new(60);
    assert_eq!(express.retention_ms(), 60_000);
    let ended = record("ended", 1_000);
    express.insert(ended.clone(), step(&ended.arn, Some(2_000)));
    let running = record("running", 3_000);
    express.insert(running.clone(), step(&running.arn, None));

    assert_eq!(names(&express, 61_999), ["running", "ended"], "newest first, both kept a minute after the first ended");
    assert!(express.execution(&ended.arn, 61_999).is_some() && express.events(&ended.arn, 61_999).is_some());
    // A minute after it ended it is no longer found, before any sweep.
    assert_eq!(names(&express, 62_000), ["running"]);
    assert_eq!((express.execution(&ended.arn, 62_000), express.events(&ended.arn, 62_000)), (None, None));
    // A running one is kept however long it runs; the sweep drops only the ended one.
    assert_eq!(express.sweep(10_000_000), 1);
    assert_eq!(express.sweep(10_000_000), 0);
    assert_eq!(names(&express, 10_000_000), ["running"]);
    // A start sweeps too.
    express.record_steps(&running.arn, vec![step(&running.arn, Some(10_000_000))]);
    let later = record("later", 20_000_000);
    express.insert(later.clone(), step(&later.arn, None));
    assert_eq!(names(&express, 20_000_000), ["later"]);
}
