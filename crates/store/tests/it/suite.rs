//! The conformance suite: what every `Store` backend must do, written once against `&impl Store`.

use store::{Activity, Alias, Ending, Error, Event, ExecutionFilter, PageRequest, Publish, Route, Search, Status, Store};

use crate::fixtures::{ACCOUNT, all_pages, execution, join_all, machine, page, step, succeeded};

pub(crate) async fn state_machine_lifecycle(store: &impl Store) {
    let m = machine("life");
    store.create_state_machine(m.clone()).await.unwrap();
    assert_eq!(store.state_machine(&m.arn).await.unwrap(), Some(m.clone()));

    let mut changed = m.clone();
    changed.definition = r#"{"StartAt":"Q","States":{"Q":{"Type":"Succeed"}}}"#.to_owned();
    changed.role_arn = "arn:aws:iam::123456789012:role/other".to_owned();
    changed.logging_configuration = None;
    changed.tracing_configuration = Some(r#"{"enabled":true}"#.to_owned());
    changed.encryption_configuration = Some(r#"{"type":"CUSTOMER_MANAGED_KMS_KEY","kmsKeyId":"k"}"#.to_owned());
    changed.description = None;
    changed.revision_id = "r2".to_owned();
    changed.updated = m.updated + 5;
    // Not updatable: name, kind, created, tags keep their stored values.
    let mut attempt = changed.clone();
    attempt.created = 1;
    attempt.tags = Vec::new();
    store.update_state_machine(attempt).await.unwrap();
    assert_eq!(store.state_machine(&m.arn).await.unwrap(), Some(changed));

    store.delete_state_machine(&m.arn).await.unwrap();
    assert_eq!(store.state_machine(&m.arn).await.unwrap(), None);
    let r = store.delete_state_machine(&m.arn).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == m.arn), "{r:?}");
    let r = store.update_state_machine(m.clone()).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == m.arn), "{r:?}");
    assert_eq!(store.state_machine("arn:nothing").await.unwrap(), None);
}

pub(crate) async fn state_machine_tags(store: &impl Store) {
    let m = machine("tagged");
    store.create_state_machine(m.clone()).await.unwrap();
    let tags = vec![
        ("z".to_owned(), String::new()),
        ("a".to_owned(), "1".to_owned()),
        ("ü ключ".to_owned(), "v\"'".to_owned()),
    ];
    store.set_state_machine_tags(&m.arn, tags.clone()).await.unwrap();
    // Only the tags change, in the order given.
    let mut expected = m.clone();
    expected.tags = tags;
    assert_eq!(store.state_machine(&m.arn).await.unwrap(), Some(expected));
    // An update keeps them.
    let mut changed = m.clone();
    changed.revision_id = "r2".to_owned();
    changed.tags = Vec::new();
    store.update_state_machine(changed).await.unwrap();
    assert_eq!(store.state_machine(&m.arn).await.unwrap().unwrap().tags.len(), 3);
    store.set_state_machine_tags(&m.arn, Vec::new()).await.unwrap();
    assert!(store.state_machine(&m.arn).await.unwrap().unwrap().tags.is_empty());

    let missing = machine("untagged");
    let r = store.set_state_machine_tags(&missing.arn, Vec::new()).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == missing.arn), "{r:?}");
    assert_eq!(store.state_machine(&missing.arn).await.unwrap(), None);
}

pub(crate) async fn duplicate_state_machine(store: &impl Store) {
    let m = machine("dup");
    store.create_state_machine(m.clone()).await.unwrap();
    let mut other = m.clone();
    other.definition = "{}".to_owned();
    let r = store.create_state_machine(other).await;
    assert!(matches!(&r, Err(Error::AlreadyExists(arn)) if *arn == m.arn), "{r:?}");
    assert_eq!(store.state_machine(&m.arn).await.unwrap(), Some(m));
}

pub(crate) async fn state_machines_paging(store: &impl Store) {
    // Names sort differently from creation order, which is the order of the list.
    let names: Vec<String> = (0..25).map(|i| format!("m{}", (i * 7) % 25)).collect();
    for name in &names {
        store.create_state_machine(machine(name)).await.unwrap();
    }
    // A deleted machine is skipped and a later one still appears exactly once.
    store.delete_state_machine(&machine("m7").arn).await.unwrap();
    store.create_state_machine(machine("late")).await.unwrap();
    let expected: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| *n != "m7")
        .chain(["late"])
        .collect();

    let pages = all_pages(10, |p| store.list_state_machines(p)).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 5]);
    let seen: Vec<String> = pages.into_iter().flatten().map(|m| m.name).collect();
    assert_eq!(seen, expected);

    let whole = store.list_state_machines(page(None, 0)).await.unwrap();
    assert_eq!(whole.items.len(), 25);
    assert_eq!(whole.next_token, None);
    // A page that ends exactly at the last item names no next page.
    let exact = store.list_state_machines(page(None, 25)).await.unwrap();
    assert_eq!((exact.items.len(), exact.next_token), (25, None));
}

pub(crate) async fn bad_tokens(store: &impl Store) {
    let m = machine("tok");
    store.create_state_machine(m.clone()).await.unwrap();
    let e = execution("tok", "e");
    store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();

    for bad in [
        "",
        "garbage",
        "sm.",
        "sm.x",
        "sm.-1",
        "sm.01",
        "sm.1.2",
        "ex.1",
        "hf.1",
        "SM.1",
        "sm.99999999999999999999",
    ] {
        let r = store.list_state_machines(page(Some(bad.to_owned()), 0)).await;
        assert!(matches!(&r, Err(Error::InvalidToken(t)) if t == bad), "{bad:?}: {r:?}");
    }
    let r = store
        .list_executions(&m.arn, ExecutionFilter::default(), page(Some("sm.1".to_owned()), 0))
        .await;
    assert!(matches!(r, Err(Error::InvalidToken(_))), "{r:?}");
    // A forward history token does not page a reverse history.
    let forward = store.history(&e.arn, false, page(None, 1)).await.unwrap();
    let token = forward.next_token.unwrap();
    let r = store.history(&e.arn, true, page(Some(token), 1)).await;
    assert!(matches!(r, Err(Error::InvalidToken(_))), "{r:?}");
}

pub(crate) async fn page_limits(store: &impl Store) {
    store.create_state_machine(machine("lim")).await.unwrap();
    let e = execution("lim", "big");
    store.create_execution(e.clone(), step(&e.arn, 1, 1050)).await.unwrap();

    let default = store.history(&e.arn, false, page(None, 0)).await.unwrap();
    assert_eq!(default.items.len(), 100);
    assert!(default.next_token.is_some());
    let capped = store.history(&e.arn, false, page(None, 5000)).await.unwrap();
    assert_eq!(capped.items.len(), 1000);
    let rest = store
        .history(&e.arn, false, page(capped.next_token, 5000))
        .await
        .unwrap();
    assert_eq!(ids(&rest.items), (1001..=1050).collect::<Vec<_>>());
    assert_eq!(rest.next_token, None);
}

pub(crate) async fn executions_by_status_newest_first(store: &impl Store) {
    let m = machine("ex");
    store.create_state_machine(m.clone()).await.unwrap();
    store.create_state_machine(machine("other")).await.unwrap();
    let names = ["a", "b", "c", "d", "e", "f"];
    for (i, name) in names.iter().enumerate() {
        let mut e = execution("ex", name);
        // c and e ran version 1, e through the alias `live`.
        if ["c", "e"].contains(name) {
            e.version_arn = Some(format!("{}:1", m.arn));
        }
        if *name == "e" {
            e.alias_arn = Some(format!("{}:live", m.arn));
        }
        store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();
        let o = execution("other", &format!("{name}{i}"));
        store.create_execution(o.clone(), step(&o.arn, 1, 2)).await.unwrap();
    }
    let end = |name: &str, status: Status| {
        let mut s = step(&execution("ex", name).arn, 3, 1);
        s.ending = Some(store::Ending {
            status,
            ..succeeded(1_700_000_000_500)
        });
        s
    };
    store
        .append(vec![end("b", Status::Succeeded), end("e", Status::Succeeded)])
        .await
        .unwrap();
    store.append(vec![end("c", Status::Failed)]).await.unwrap();

    let arn = m.arn.as_str();
    let list = |status: Option<Status>| async move {
        let filter = ExecutionFilter { status, ..ExecutionFilter::default() };
        let pages = all_pages(2, |p| store.list_executions(arn, filter.clone(), p)).await;
        pages
            .into_iter()
            .flatten()
            .map(|e| (e.name, e.status))
            .collect::<Vec<_>>()
    };
    use Status::*;
    assert_eq!(
        list(None).await,
        [
            ("f", Running),
            ("e", Succeeded),
            ("d", Running),
            ("c", Failed),
            ("b", Succeeded),
            ("a", Running)
        ]
        .map(|(n, s)| (n.to_owned(), s))
    );
    assert_eq!(
        list(Some(Running)).await,
        [("f", Running), ("d", Running), ("a", Running)].map(|(n, s)| (n.to_owned(), s))
    );
    assert_eq!(
        list(Some(Succeeded)).await,
        [("e", Succeeded), ("b", Succeeded)].map(|(n, s)| (n.to_owned(), s))
    );
    assert_eq!(list(Some(Failed)).await, [("c".to_owned(), Failed)]);
    assert_eq!(list(Some(Aborted)).await, []);

    let started_with = |qualified: String, status: Option<Status>| async move {
        let filter = ExecutionFilter { started_with: Some(qualified), status, redriven: None };
        let pages = all_pages(1, |p| store.list_executions(arn, filter.clone(), p)).await;
        pages.into_iter().flatten().map(|e| e.name).collect::<Vec<_>>()
    };
    assert_eq!(started_with(format!("{arn}:1"), None).await, ["e", "c"], "by version, paged one by one");
    assert_eq!(started_with(format!("{arn}:live"), None).await, ["e"], "by alias");
    assert_eq!(started_with(format!("{arn}:1"), Some(Failed)).await, ["c"], "by version and status");
    assert_eq!(started_with(format!("{arn}:1"), Some(Running)).await, Vec::<String>::new());
    assert_eq!(started_with(format!("{arn}:2"), None).await, Vec::<String>::new());

    let none = store
        .list_executions("arn:no-such-machine", ExecutionFilter::default(), page(None, 0))
        .await
        .unwrap();
    assert_eq!((none.items.len(), none.next_token), (0, None));

    let got = store.execution(&execution("ex", "b").arn).await.unwrap().unwrap();
    let mut expected = execution("ex", "b");
    expected.status = Succeeded;
    expected.stop = Some(1_700_000_000_500);
    expected.output = Some(r#"{"ok":true}"#.to_owned());
    assert_eq!(got, expected);
    assert_eq!(store.execution("arn:nothing").await.unwrap(), None);
}

pub(crate) async fn duplicate_execution(store: &impl Store) {
    store.create_state_machine(machine("dx")).await.unwrap();
    let e = execution("dx", "once");
    store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();
    let r = store.create_execution(e.clone(), step(&e.arn, 1, 2)).await;
    assert!(matches!(&r, Err(Error::AlreadyExists(arn)) if *arn == e.arn), "{r:?}");
    let history = store.history(&e.arn, false, page(None, 0)).await.unwrap();
    assert_eq!(ids(&history.items), [1, 2]);

    // The first step belongs to the same transaction: if it fails, the execution is not created either.
    let f = execution("dx", "bad-first");
    let r = store.create_execution(f.clone(), step(&f.arn, 2, 1)).await;
    assert!(
        matches!(
            r,
            Err(Error::Conflict {
                expected: 1,
                found: 2,
                ..
            })
        ),
        "{r:?}"
    );
    assert_eq!(store.execution(&f.arn).await.unwrap(), None);
}

/// An execution its first step ends, and a Map Run's child the step that starts it ends, are stored ended: described,
/// listed and searched by their final status, never running, deleted by retention, and a second start of the same
/// name is still refused.
pub(crate) async fn ended_at_creation(store: &impl Store) {
    use Status::{Running, Succeeded};
    store.create_state_machine(machine("quick")).await.unwrap();
    let e = execution("quick", "at-once");
    let mut first = step(&e.arn, 1, 3);
    first.ending = Some(succeeded(1_700_000_000_100));
    store.create_execution(e.clone(), first.clone()).await.unwrap();
    let mut expected = e.clone();
    expected.end(succeeded(1_700_000_000_100));
    assert_eq!(store.execution(&e.arn).await.unwrap(), Some(expected.clone()));
    assert_eq!(ids(&store.history(&e.arn, false, page(None, 0)).await.unwrap().items), [1, 2, 3]);
    let r = store.create_execution(e.clone(), first).await;
    assert!(matches!(&r, Err(Error::AlreadyExists(arn)) if *arn == e.arn), "{r:?}");
    assert_eq!(store.execution(&e.arn).await.unwrap(), Some(expected), "the refused start changed nothing");

    // A running one beside it, and a child that ends in the step that starts it.
    let live = execution("quick", "live");
    store.create_execution(live.clone(), step(&live.arn, 1, 1)).await.unwrap();
    let mut child = execution("quick/Each", "c");
    child.map_run_arn = Some(format!("{ACCOUNT}:mapRun:quick/Each:live-1"));
    let mut second = step(&live.arn, 2, 1);
    second.children = vec![store::ChildStep {
        execution_arn: child.arn.clone(),
        created: Some(child.clone()),
        events: step(&child.arn, 1, 2).events,
        ending: Some(succeeded(1_700_000_000_200)),
        redriven: None,
    }];
    store.append(vec![second]).await.unwrap();
    let stored = store.execution(&child.arn).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.stop), (Succeeded, Some(1_700_000_000_200)));

    for (status, names) in [(Succeeded, ["at-once"]), (Running, ["live"])] {
        let filter = ExecutionFilter { status: Some(status), ..ExecutionFilter::default() };
        let listed = store.list_executions(&e.state_machine_arn, filter, page(None, 10)).await.unwrap();
        assert_eq!(listed.items.into_iter().map(|e| e.name).collect::<Vec<_>>(), names, "{status:?}");
    }
    let search = store::Search { status: Some(Succeeded), ..store::Search::default() };
    let found = store.search_executions(search, page(None, 10)).await.unwrap();
    assert_eq!(found.items.into_iter().map(|e| e.name).collect::<Vec<_>>(), ["at-once"]);
    let running = store.running_arns().await.unwrap();
    assert!(running.contains(&live.arn) && !running.contains(&e.arn) && !running.contains(&child.arn), "{running:?}");

    // Retention finds both by their stop dates.
    assert_eq!(store.delete_closed(1_700_000_000_150, 10).await.unwrap(), 1);
    assert_eq!(store.execution(&e.arn).await.unwrap(), None);
    assert_eq!(store.delete_closed(1_700_000_000_250, 10).await.unwrap(), 1);
    assert_eq!(store.execution(&child.arn).await.unwrap(), None);
}

pub(crate) async fn history_order_and_paging(store: &impl Store) {
    store.create_state_machine(machine("h")).await.unwrap();
    let e = execution("h", "e");
    store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();
    store
        .append(vec![step(&e.arn, 3, 3), step(&e.arn, 6, 2)])
        .await
        .unwrap();

    let forward = all_pages(3, |p| store.history(&e.arn, false, p)).await;
    assert_eq!(
        forward.iter().map(|p| ids(p)).collect::<Vec<_>>(),
        [vec![1, 2, 3], vec![4, 5, 6], vec![7]]
    );
    let reverse = all_pages(3, |p| store.history(&e.arn, true, p)).await;
    assert_eq!(
        reverse.iter().map(|p| ids(p)).collect::<Vec<_>>(),
        [vec![7, 6, 5], vec![4, 3, 2], vec![1]]
    );
    let all = store.history(&e.arn, false, page(None, 0)).await.unwrap();
    assert_eq!(
        all.items[4],
        Event {
            id: 5,
            json: r#"{"id":5}"#.to_owned()
        }
    );

    let r = store.history("arn:nothing", false, page(None, 0)).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if arn == "arn:nothing"), "{r:?}");
}

/// A step of many events of every size (some bigger than a page of storage, one with a newline escaped in it)
/// reads back whole, forward and backward, in pages of every size, with events of other steps around it.
pub(crate) async fn history_of_large_steps(store: &impl Store) {
    store.create_state_machine(machine("hl")).await.unwrap();
    let e = execution("hl", "e");
    store.create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
    let text = |id: u64| match id {
        50 | 120 => format!(r#"{{"id":{id},"big":"{}"}}"#, "x".repeat(40_000)),
        id if id % 7 == 0 => format!(r#"{{"id":{id},"s":"line\nbreak","pad":"{}"}}"#, "y".repeat(id as usize * 20)),
        id => format!(r#"{{"id":{id}}}"#),
    };
    let mut big = step(&e.arn, 2, 200);
    big.events = (2..202).map(|id| Event { id, json: text(id) }).collect();
    store.append(vec![big, step(&e.arn, 202, 1)]).await.unwrap();
    let mut last = step(&e.arn, 203, 70);
    last.events = (203..273).map(|id| Event { id, json: text(id) }).collect();
    store.append(vec![last]).await.unwrap();

    let expected: Vec<Event> = (1..273)
        .map(|id| Event { id, json: if id == 1 || id == 202 { format!(r#"{{"id":{id}}}"#) } else { text(id) } })
        .collect();
    for size in [1, 7, 64, 65, 100, 1000] {
        let forward: Vec<Event> = all_pages(size, |p| store.history(&e.arn, false, p)).await.concat();
        assert!(forward == expected, "forward in pages of {size}: {:?}", ids(&forward));
        let mut reverse: Vec<Event> = all_pages(size, |p| store.history(&e.arn, true, p)).await.concat();
        reverse.reverse();
        assert!(reverse == expected, "reverse in pages of {size}: {:?}", ids(&reverse));
    }
    // A step after them still needs the next id.
    let r = store.append(vec![step(&e.arn, 272, 1)]).await;
    assert!(matches!(r, Err(Error::Conflict { expected: 273, found: 272, .. })), "{r:?}");
}

pub(crate) async fn append_conflicts(store: &impl Store) {
    store.create_state_machine(machine("c")).await.unwrap();
    let e = execution("c", "e");
    store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();

    // A gap, a stale step (ids already taken), and a step whose own ids skip.
    let gap = store.append(vec![step(&e.arn, 4, 1)]).await;
    assert!(
        matches!(&gap, Err(Error::Conflict { execution, expected: 3, found: 4 }) if *execution == e.arn),
        "{gap:?}"
    );
    let stale = store.append(vec![step(&e.arn, 2, 2)]).await;
    assert!(
        matches!(
            stale,
            Err(Error::Conflict {
                expected: 3,
                found: 2,
                ..
            })
        ),
        "{stale:?}"
    );
    let mut skipping = step(&e.arn, 3, 2);
    skipping.events[1].id = 5;
    let r = store.append(vec![skipping]).await;
    assert!(
        matches!(
            r,
            Err(Error::Conflict {
                expected: 4,
                found: 5,
                ..
            })
        ),
        "{r:?}"
    );

    // One call is all or nothing: the good first step does not land when the second conflicts.
    let r = store.append(vec![step(&e.arn, 3, 2), step(&e.arn, 9, 1)]).await;
    assert!(
        matches!(
            r,
            Err(Error::Conflict {
                expected: 5,
                found: 9,
                ..
            })
        ),
        "{r:?}"
    );
    let r = store.append(vec![step(&e.arn, 3, 1), step("arn:nothing", 1, 1)]).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if arn == "arn:nothing"), "{r:?}");
    let history = store.history(&e.arn, false, page(None, 0)).await.unwrap();
    assert_eq!(ids(&history.items), [1, 2]);
    let running = store.running().await.unwrap();
    assert_eq!(running[0].triggers, [r#"{"t":1}"#]);

    // A step with no events still records its trigger.
    store
        .append(vec![step(&e.arn, 3, 0), step(&e.arn, 3, 1)])
        .await
        .unwrap();
    let running = store.running().await.unwrap();
    assert_eq!(running[0].triggers, [r#"{"t":1}"#, r#"{"t":3}"#, r#"{"t":3}"#]);
    assert_eq!(
        ids(&store.history(&e.arn, false, page(None, 0)).await.unwrap().items),
        [1, 2, 3]
    );
}

pub(crate) async fn append_after_ending_refused(store: &impl Store) {
    store.create_state_machine(machine("end")).await.unwrap();
    let e = execution("end", "e");
    store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();
    let mut last = step(&e.arn, 3, 2);
    last.ending = Some(succeeded(1_700_000_009_000));
    store.append(vec![last]).await.unwrap();

    let stored = store.execution(&e.arn).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.stop),
        (Status::Succeeded, Some(1_700_000_009_000))
    );
    let r = store.append(vec![step(&e.arn, 5, 1)]).await;
    assert!(matches!(&r, Err(Error::Ended(arn)) if *arn == e.arn), "{r:?}");
    // Even a step that ends it again is refused, and the history stays as it was.
    let mut again = step(&e.arn, 5, 1);
    again.ending = Some(store::Ending {
        status: Status::Failed,
        ..succeeded(1)
    });
    let r = store.append(vec![again]).await;
    assert!(matches!(r, Err(Error::Ended(_))), "{r:?}");
    assert_eq!(
        store.execution(&e.arn).await.unwrap().unwrap().status,
        Status::Succeeded
    );
    assert_eq!(
        ids(&store.history(&e.arn, false, page(None, 0)).await.unwrap().items),
        [1, 2, 3, 4]
    );
    assert!(store.running().await.unwrap().is_empty());
}

pub(crate) async fn running_with_triggers(store: &impl Store) {
    assert!(store.running().await.unwrap().is_empty());
    store.create_state_machine(machine("run")).await.unwrap();
    let [a, b, c] = ["a", "b", "c"].map(|n| execution("run", n));
    for e in [&a, &b, &c] {
        store.create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
    }
    let mut end_b = step(&b.arn, 2, 1);
    end_b.ending = Some(succeeded(5));
    store
        .append(vec![step(&c.arn, 2, 2), end_b, step(&a.arn, 2, 1)])
        .await
        .unwrap();
    store.append(vec![step(&c.arn, 4, 1)]).await.unwrap();

    let running = store.running().await.unwrap();
    let summary: Vec<(&str, Vec<&str>)> = running
        .iter()
        .map(|r| {
            (
                r.execution.name.as_str(),
                r.triggers.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("a", vec![r#"{"t":1}"#, r#"{"t":2}"#]),
            ("c", vec![r#"{"t":1}"#, r#"{"t":2}"#, r#"{"t":4}"#])
        ]
    );
    assert_eq!(running[0].execution, a);
    // Each recovered execution knows its last event and the digest its last step recorded (`fixtures::step`).
    let ends: Vec<(u64, Option<u64>)> = running.iter().map(|r| (r.last_event, r.digest)).collect();
    assert_eq!(ends, [(2, Some(2001)), (4, Some(4001))]);
    let arns = store.running_arns().await.unwrap();
    assert_eq!(arns, [a.arn.clone(), c.arn.clone()]);
    let one = store.recovered(&c.arn).await.unwrap().unwrap();
    assert_eq!((one.last_event, one.digest, one.triggers.len()), (4, Some(4001), 3));
}

pub(crate) async fn retention_deletes_closed_executions(store: &impl Store) {
    store.create_state_machine(machine("old")).await.unwrap();
    let names = ["a", "b", "c", "d", "running"];
    for (stop, name) in (10..).zip(names) {
        let e = execution("old", name);
        store.create_execution(e.clone(), step(&e.arn, 1, 3)).await.unwrap();
        if name != "running" {
            let mut end = step(&e.arn, 4, 1);
            end.ending = Some(succeeded(stop));
            store.append(vec![end]).await.unwrap();
        }
    }
    // Ended before 13: a (10), b (11), c (12); at most two at a time, oldest first.
    assert_eq!(store.delete_closed(13, 2).await.unwrap(), 2);
    assert_eq!(store.delete_closed(13, 2).await.unwrap(), 1);
    assert_eq!(store.delete_closed(13, 2).await.unwrap(), 0);
    for name in names {
        let arn = execution("old", name).arn;
        let kept = store.execution(&arn).await.unwrap().is_some();
        assert_eq!(kept, matches!(name, "d" | "running"), "{name}");
        let history = store.history(&arn, false, PageRequest::default()).await;
        match history {
            Ok(page) => assert!(kept && !page.items.is_empty(), "{name}"),
            Err(error) => assert!(!kept && matches!(error, Error::NotFound(_)), "{name}: {error}"),
        }
        assert_eq!(store.recovered(&arn).await.unwrap().is_some(), kept, "{name}");
    }
    // A running execution is never deleted, however old.
    assert_eq!(store.delete_closed(i64::MAX, 10).await.unwrap(), 1);
    assert!(store.execution(&execution("old", "running").arn).await.unwrap().is_some());
}

pub(crate) async fn concurrent_appends(store: &impl Store) {
    const EXECUTIONS: u64 = 40;
    const STEPS: u64 = 10;
    store.create_state_machine(machine("many")).await.unwrap();
    let arns: Vec<String> = (0..EXECUTIONS)
        .map(|i| execution("many", &format!("e{i}")).arn)
        .collect();
    let created = join_all((0..EXECUTIONS).map(|i| {
        let e = execution("many", &format!("e{i}"));
        let first = step(&e.arn, 1, 2);
        store.create_execution(e, first)
    }))
    .await;
    assert!(created.iter().all(Result::is_ok), "{created:?}");

    // Each execution's steps run in order; different executions' steps race. Two writers also race for the
    // same ids of `contested`: exactly one wins each round.
    let contested = execution("many", "contested");
    store
        .create_execution(contested.clone(), step(&contested.arn, 1, 1))
        .await
        .unwrap();
    let per_execution = arns.iter().map(|arn| async move {
        for s in 1..STEPS {
            store.append(vec![step(arn, 1 + 2 * s, 2)]).await.unwrap();
        }
    });
    let contenders = (0..2).map(|_| async {
        let mut wins = 0;
        for round in 0..20 {
            match store.append(vec![step(&contested.arn, 2 + round, 1)]).await {
                Ok(()) => wins += 1,
                Err(Error::Conflict { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        wins
    });
    let (_, wins) = tokio::join!(join_all(per_execution), join_all(contenders));

    for arn in &arns {
        let history = store.history(arn, false, page(None, 0)).await.unwrap();
        assert_eq!(ids(&history.items), (1..=2 * STEPS).collect::<Vec<_>>(), "{arn}");
    }
    let history = store.history(&contested.arn, false, page(None, 0)).await.unwrap();
    assert_eq!(ids(&history.items), (1..=21).collect::<Vec<_>>());
    assert_eq!(wins.iter().sum::<i32>(), 20, "{wins:?}");
    let running = store.running().await.unwrap();
    assert_eq!(running.len() as u64, EXECUTIONS + 1);
    assert!(
        running
            .iter()
            .filter(|r| r.execution.arn != contested.arn)
            .all(|r| r.triggers.len() as u64 == STEPS)
    );
}

pub(crate) async fn versions_lifecycle(store: &impl Store) {
    let m = machine("versioned");
    store.create_state_machine(m.clone()).await.unwrap();
    let publish = |revision: &str, description: Option<&str>| Publish {
        state_machine_arn: m.arn.clone(),
        revision_id: revision.to_owned(),
        description: description.map(str::to_owned),
        created: 7,
    };
    let v1 = store.publish_version(publish("r1", Some("first"))).await.unwrap();
    assert_eq!((v1.number, v1.arn()), (1, format!("{}:1", m.arn)));
    assert_eq!((&v1.definition, &v1.role_arn, &v1.revision_id), (&m.definition, &m.role_arn, &m.revision_id));
    assert_eq!((v1.description.as_deref(), v1.created), (Some("first"), 7));
    // Publishing the same revision again returns its version.
    assert_eq!(store.publish_version(publish("r1", None)).await.unwrap(), v1);
    // A stale revision is refused and publishes nothing.
    let r = store.publish_version(publish("r0", None)).await;
    assert!(
        matches!(&r, Err(Error::RevisionChanged { expected, found, .. }) if expected == "r0" && found == "r1"),
        "{r:?}"
    );

    let mut changed = m.clone();
    changed.definition = r#"{"StartAt":"Q","States":{"Q":{"Type":"Succeed"}}}"#.to_owned();
    changed.revision_id = "r2".to_owned();
    store.update_state_machine(changed.clone()).await.unwrap();
    let v2 = store.publish_version(publish("r2", None)).await.unwrap();
    assert_eq!((v2.number, &v2.definition, v2.description.as_deref()), (2, &changed.definition, None));
    assert_eq!(store.version(&m.arn, 1).await.unwrap(), Some(v1.clone()));
    assert_eq!(store.version(&m.arn, 3).await.unwrap(), None);

    // Newest first, paged.
    let pages = all_pages(1, |p| store.list_versions(&m.arn, p)).await;
    let numbers: Vec<Vec<u64>> = pages.iter().map(|p| p.iter().map(|v| v.number).collect()).collect();
    assert_eq!(numbers, [vec![2], vec![1]]);
    let r = store.list_versions(&m.arn, page(Some("sm.1".to_owned()), 0)).await;
    assert!(matches!(r, Err(Error::InvalidToken(_))), "{r:?}");

    // Numbers are never reused, even after the newest is deleted.
    store.delete_version(&m.arn, 2).await.unwrap();
    let r = store.delete_version(&m.arn, 2).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == v2.arn()), "{r:?}");
    let mut again = changed.clone();
    again.revision_id = "r3".to_owned();
    store.update_state_machine(again).await.unwrap();
    assert_eq!(store.publish_version(publish("r3", None)).await.unwrap().number, 3);

    let missing = machine("unversioned");
    let r = store.publish_version(Publish { state_machine_arn: missing.arn.clone(), ..publish("r1", None) }).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == missing.arn), "{r:?}");
    assert!(store.list_versions(&missing.arn, page(None, 0)).await.unwrap().items.is_empty());

    // Deleting the machine deletes its versions.
    store.delete_state_machine(&m.arn).await.unwrap();
    assert_eq!(store.version(&m.arn, 1).await.unwrap(), None);
    store.create_state_machine(m.clone()).await.unwrap();
    assert_eq!(store.publish_version(publish("r1", None)).await.unwrap().number, 1);
}

fn alias(machine: &str, name: &str, routing: &[(String, u32)]) -> Alias {
    let machine = format!("{ACCOUNT}:stateMachine:{machine}");
    Alias {
        arn: format!("{machine}:{name}"),
        state_machine_arn: machine,
        name: name.to_owned(),
        description: Some(format!("alias {name}")),
        routing: routing
            .iter()
            .map(|(version_arn, weight)| Route { version_arn: version_arn.clone(), weight: *weight })
            .collect(),
        created: 10,
        updated: 10,
    }
}

pub(crate) async fn aliases_lifecycle(store: &impl Store) {
    let m = machine("aliased");
    store.create_state_machine(m.clone()).await.unwrap();
    let publish = |revision: &str| Publish {
        state_machine_arn: m.arn.clone(),
        revision_id: revision.to_owned(),
        description: None,
        created: 1,
    };
    let v1 = store.publish_version(publish("r1")).await.unwrap().arn();
    let mut changed = m.clone();
    changed.revision_id = "r2".to_owned();
    store.update_state_machine(changed).await.unwrap();
    let v2 = store.publish_version(publish("r2")).await.unwrap().arn();

    let live = alias("aliased", "live", &[(v1.clone(), 100)]);
    store.create_alias(live.clone()).await.unwrap();
    assert_eq!(store.alias(&live.arn).await.unwrap(), Some(live.clone()));
    let r = store.create_alias(live.clone()).await;
    assert!(matches!(&r, Err(Error::AlreadyExists(arn)) if *arn == live.arn), "{r:?}");
    // Routes must name existing versions of the alias's machine.
    let v9 = format!("{}:9", m.arn);
    let other = format!("{ACCOUNT}:stateMachine:other:1");
    for bad in [v9.clone(), other.clone(), m.arn.clone()] {
        let r = store.create_alias(alias("aliased", "bad", &[(v1.clone(), 50), (bad.clone(), 50)])).await;
        assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == bad), "{r:?}");
    }
    let canary = alias("aliased", "canary", &[(v1.clone(), 90), (v2.clone(), 10)]);
    store.create_alias(canary.clone()).await.unwrap();

    // A version an alias routes to cannot be deleted.
    let r = store.delete_version(&m.arn, 1).await;
    assert!(
        matches!(&r, Err(Error::VersionInUse { version, aliases }) if *version == v1 && *aliases == ["live", "canary"]),
        "{r:?}"
    );
    let mut updated = live.clone();
    updated.routing = vec![Route { version_arn: v2.clone(), weight: 100 }];
    updated.description = None;
    updated.updated = 20;
    // Name, machine and creation time do not change.
    let mut attempt = updated.clone();
    attempt.created = 99;
    store.update_alias(attempt).await.unwrap();
    assert_eq!(store.alias(&live.arn).await.unwrap(), Some(updated.clone()));
    let mut dangling = updated.clone();
    dangling.routing = vec![Route { version_arn: v9.clone(), weight: 100 }];
    let r = store.update_alias(dangling).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == v9), "{r:?}");
    let r = store.update_alias(alias("aliased", "none", &[(v1.clone(), 100)])).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if arn.ends_with(":none")), "{r:?}");

    // Creation order, paged.
    let pages = all_pages(1, |p| store.list_aliases(&m.arn, p)).await;
    let names: Vec<Vec<&str>> = pages.iter().map(|p| p.iter().map(|a| a.name.as_str()).collect()).collect();
    assert_eq!(names, [vec!["live"], vec!["canary"]]);
    let r = store.list_aliases(&m.arn, page(Some("sv.1".to_owned()), 0)).await;
    assert!(matches!(r, Err(Error::InvalidToken(_))), "{r:?}");

    store.delete_alias(&canary.arn).await.unwrap();
    let r = store.delete_alias(&canary.arn).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == canary.arn), "{r:?}");
    store.delete_version(&m.arn, 1).await.unwrap();
    assert_eq!(store.alias(&canary.arn).await.unwrap(), None);

    // Deleting the machine deletes its aliases.
    store.delete_state_machine(&m.arn).await.unwrap();
    assert_eq!(store.alias(&live.arn).await.unwrap(), None);
    assert!(store.list_aliases(&m.arn, page(None, 0)).await.unwrap().items.is_empty());
}

pub(crate) async fn executions_remember_version_and_alias(store: &impl Store) {
    let mut e = execution("m", "through-alias");
    e.version_arn = Some(format!("{ACCOUNT}:stateMachine:m:3"));
    e.alias_arn = Some(format!("{ACCOUNT}:stateMachine:m:live"));
    store.create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
    assert_eq!(store.execution(&e.arn).await.unwrap(), Some(e.clone()));
    let listed = store.list_executions(&e.state_machine_arn, ExecutionFilter::default(), page(None, 0)).await.unwrap();
    assert_eq!(listed.items, [e.clone()]);
    assert_eq!(store.running().await.unwrap()[0].execution, e);
}

pub(crate) async fn redrive(store: &impl Store) {
    let e = execution("m", "redriven");
    store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();
    let r = store.redrive_execution(&e.arn, 20, step(&e.arn, 3, 1)).await;
    assert!(matches!(&r, Err(Error::NotRedrivable(arn)) if *arn == e.arn), "{r:?}");
    let mut last = step(&e.arn, 3, 1);
    last.ending = Some(Ending {
        status: Status::Failed,
        stop: 9,
        output: None,
        error: Some("E".to_owned()),
        cause: Some("c".to_owned()),
    });
    store.append(vec![last]).await.unwrap();
    // A step that does not continue the history is refused, and leaves the execution as it was.
    let r = store.redrive_execution(&e.arn, 20, step(&e.arn, 7, 1)).await;
    assert!(matches!(&r, Err(Error::Conflict { expected: 4, found: 7, .. })), "{r:?}");
    assert_eq!(store.execution(&e.arn).await.unwrap().unwrap().status, Status::Failed);

    store.redrive_execution(&e.arn, 20, step(&e.arn, 4, 2)).await.unwrap();
    let redriven = store.execution(&e.arn).await.unwrap().unwrap();
    let expected = store::Execution { redrive_count: 1, redrive_date: Some(20), ..e.clone() };
    assert_eq!(redriven, expected, "running again, counted, with no stop, output, error or cause");
    let history = store.history(&e.arn, false, page(None, 0)).await.unwrap();
    assert_eq!(ids(&history.items), [1, 2, 3, 4, 5]);
    // ListExecutions' redriveFilter: redriven at least once, or never.
    let other = execution("m", "never");
    store.create_execution(other.clone(), step(&other.arn, 1, 1)).await.unwrap();
    let machine = e.state_machine_arn.as_str();
    let names = |redriven: Option<bool>| async move {
        let filter = ExecutionFilter { redriven, ..ExecutionFilter::default() };
        let listed = store.list_executions(machine, filter, page(None, 0)).await.unwrap();
        listed.items.into_iter().map(|e| e.name).collect::<Vec<_>>()
    };
    assert_eq!(names(Some(true)).await, ["redriven"]);
    assert_eq!(names(Some(false)).await, ["never"]);
    assert_eq!(names(None).await, ["never", "redriven"]);
    let running = store.running().await.unwrap();
    assert_eq!(running[0].triggers, [r#"{"t":1}"#, r#"{"t":3}"#, r#"{"t":4}"#]);
    store.append(vec![step(&e.arn, 6, 1)]).await.unwrap();

    let mut end = step(&e.arn, 7, 1);
    end.ending = Some(succeeded(12));
    store.append(vec![end]).await.unwrap();
    let r = store.redrive_execution(&e.arn, 20, step(&e.arn, 8, 1)).await;
    assert!(matches!(&r, Err(Error::NotRedrivable(_))), "{r:?}");
    let missing = execution("m", "missing");
    let r = store.redrive_execution(&missing.arn, 20, step(&missing.arn, 1, 1)).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == missing.arn), "{r:?}");
}

fn ids(events: &[Event]) -> Vec<u64> {
    events.iter().map(|e| e.id).collect()
}

fn activity(name: &str) -> Activity {
    Activity {
        arn: format!("{ACCOUNT}:activity:{name}"),
        name: name.to_owned(),
        created: 1_700_000_000_000,
        tags: vec![("team".to_owned(), "ops".to_owned())],
        encryption_configuration: Some(r#"{"type":"AWS_OWNED_KEY"}"#.to_owned()),
    }
}

pub(crate) async fn activities_lifecycle(store: &impl Store) {
    let a = activity("work");
    store.create_activity(a.clone()).await.unwrap();
    assert_eq!(store.activity(&a.arn).await.unwrap(), Some(a.clone()));
    // A second create of the same ARN is refused and changes nothing (the service answers with the first).
    let mut other = a.clone();
    other.created = 5;
    other.tags = Vec::new();
    other.encryption_configuration = None;
    let r = store.create_activity(other).await;
    assert!(matches!(&r, Err(Error::AlreadyExists(arn)) if *arn == a.arn), "{r:?}");
    assert_eq!(store.activity(&a.arn).await.unwrap(), Some(a.clone()));

    // Tags are replaced whole, in the order given; nothing else changes.
    let tags = vec![("z".to_owned(), String::new()), ("ü ключ".to_owned(), "v\"'".to_owned())];
    store.set_activity_tags(&a.arn, tags.clone()).await.unwrap();
    assert_eq!(store.activity(&a.arn).await.unwrap(), Some(Activity { tags, ..a.clone() }));
    store.set_activity_tags(&a.arn, Vec::new()).await.unwrap();
    assert!(store.activity(&a.arn).await.unwrap().unwrap().tags.is_empty());

    store.delete_activity(&a.arn).await.unwrap();
    assert_eq!(store.activity(&a.arn).await.unwrap(), None);
    let r = store.delete_activity(&a.arn).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == a.arn), "{r:?}");
    let r = store.set_activity_tags(&a.arn, Vec::new()).await;
    assert!(matches!(&r, Err(Error::NotFound(arn)) if *arn == a.arn), "{r:?}");
    // A deleted activity's name can be created again.
    store.create_activity(a.clone()).await.unwrap();
    assert_eq!(store.activity(&a.arn).await.unwrap(), Some(a));
    assert_eq!(store.activity("arn:nothing").await.unwrap(), None);
}

pub(crate) async fn activities_paging(store: &impl Store) {
    // Names sort differently from creation order, which is the order of the list.
    let names: Vec<String> = (0..12).map(|i| format!("a{}", (i * 5) % 12)).collect();
    for name in &names {
        store.create_activity(activity(name)).await.unwrap();
    }
    // A deleted activity is skipped; one deleted and created again after its page was handed out is a new activity,
    // listed again at the end.
    store.delete_activity(&activity("a5").arn).await.unwrap();
    let first = store.list_activities(page(None, 5)).await.unwrap();
    let last_of_first = first.items.last().unwrap().clone();
    store.delete_activity(&last_of_first.arn).await.unwrap();
    store.create_activity(last_of_first.clone()).await.unwrap();
    let mut seen: Vec<String> = first.items.into_iter().map(|a| a.name).collect();
    let mut token = first.next_token;
    let mut sizes = vec![seen.len()];
    while let Some(next) = token {
        let more = store.list_activities(page(Some(next), 5)).await.unwrap();
        sizes.push(more.items.len());
        seen.extend(more.items.into_iter().map(|a| a.name));
        token = more.next_token;
    }
    let expected: Vec<&str> = names.iter().map(String::as_str).filter(|n| *n != "a5").chain([last_of_first.name.as_str()]).collect();
    assert_eq!(seen, expected);
    assert_eq!(sizes, [5, 5, 2]);

    let whole = store.list_activities(page(None, 0)).await.unwrap();
    assert_eq!((whole.items.len(), whole.next_token), (11, None));
    for bad in ["garbage", "ac.", "ac.-1", "sm.1"] {
        let r = store.list_activities(page(Some(bad.to_owned()), 0)).await;
        assert!(matches!(&r, Err(Error::InvalidToken(t)) if t == bad), "{bad:?}: {r:?}");
    }
}

/// A distributed Map's child executions: written with their parent's steps, listed by Map Run (not by state
/// machine), never among the running executions recovery resumes; a redrive sets one running again.
pub(crate) async fn child_executions(store: &impl Store) {
    let parent = execution("mapper", "p");
    store.create_execution(parent.clone(), step(&parent.arn, 1, 1)).await.unwrap();
    let map_run = format!("{ACCOUNT}:mapRun:mapper/Each:p-1");
    let child = |n: u32| {
        let mut child = execution("mapper/Each", &format!("c{n}"));
        child.map_run_arn = Some(map_run.clone());
        child
    };
    let events = |first: u64, count: u64| -> Vec<Event> {
        (first..first + count).map(|id| Event { id, json: format!(r#"{{"child":{id}}}"#) }).collect()
    };
    let (a, b) = (child(1), child(2));
    let mut second = step(&parent.arn, 2, 1);
    second.children = vec![
        store::ChildStep { execution_arn: a.arn.clone(), created: Some(a.clone()), events: events(1, 3), ending: None, redriven: None },
        store::ChildStep { execution_arn: b.arn.clone(), created: Some(b.clone()), events: events(1, 2), ending: None, redriven: None },
    ];
    store.append(vec![second]).await.unwrap();
    let mut third = step(&parent.arn, 3, 1);
    let failed = Ending { status: Status::Failed, stop: 9, output: None, error: Some("E".to_owned()), cause: Some("c".to_owned()) };
    third.children = vec![
        store::ChildStep { execution_arn: a.arn.clone(), created: None, events: events(4, 1), ending: Some(succeeded(8)), redriven: None },
        store::ChildStep { execution_arn: b.arn.clone(), created: None, events: events(3, 1), ending: Some(failed), redriven: None },
    ];
    store.append(vec![third]).await.unwrap();

    let stored = store.execution(&b.arn).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.map_run_arn.as_deref(), stored.error.as_deref()), (Status::Failed, Some(map_run.as_str()), Some("E")));
    assert_eq!(ids(&store.history(&a.arn, false, page(None, 10)).await.unwrap().items), vec![1, 2, 3, 4]);
    let listed = store.list_map_run_executions(&map_run, ExecutionFilter::default(), page(None, 1)).await.unwrap();
    assert_eq!(listed.items.iter().map(|e| e.arn.clone()).collect::<Vec<_>>(), vec![b.arn.clone()], "newest first, paged");
    let rest = store.list_map_run_executions(&map_run, ExecutionFilter::default(), page(listed.next_token, 10)).await.unwrap();
    assert_eq!(rest.items.iter().map(|e| e.arn.clone()).collect::<Vec<_>>(), vec![a.arn.clone()]);
    let only_failed = ExecutionFilter { status: Some(Status::Failed), ..ExecutionFilter::default() };
    assert_eq!(store.list_map_run_executions(&map_run, only_failed, page(None, 10)).await.unwrap().items.len(), 1);
    let by_machine = store.list_executions(&parent.state_machine_arn, ExecutionFilter::default(), page(None, 10)).await.unwrap();
    assert_eq!(by_machine.items.iter().map(|e| e.arn.clone()).collect::<Vec<_>>(), vec![parent.arn.clone()]);

    // A child that ended takes no events, unless a redrive runs it again; ids must continue.
    let mut late = step(&parent.arn, 4, 1);
    late.children = vec![store::ChildStep { execution_arn: b.arn.clone(), created: None, events: events(4, 1), ending: None, redriven: None }];
    assert!(matches!(store.append(vec![late]).await, Err(Error::Ended(_))));
    let mut gap = step(&parent.arn, 4, 1);
    gap.children = vec![store::ChildStep { execution_arn: b.arn.clone(), created: None, events: events(9, 1), ending: None, redriven: Some(20) }];
    assert!(matches!(store.append(vec![gap]).await, Err(Error::Conflict { .. })));
    let mut twice = step(&parent.arn, 4, 1);
    twice.children = vec![store::ChildStep { execution_arn: a.arn.clone(), created: Some(a.clone()), events: events(1, 1), ending: None, redriven: None }];
    assert!(matches!(store.append(vec![twice]).await, Err(Error::AlreadyExists(_))));
    let mut redrive = step(&parent.arn, 4, 1);
    redrive.children = vec![store::ChildStep { execution_arn: b.arn.clone(), created: None, events: events(4, 1), ending: None, redriven: Some(20) }];
    store.append(vec![redrive]).await.unwrap();
    let stored = store.execution(&b.arn).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.redrive_count, stored.redrive_date, stored.error), (Status::Running, 1, Some(20), None));

    // Recovery resumes the parent, never a child on its own.
    let running: Vec<String> = store.running().await.unwrap().into_iter().map(|r| r.execution.arn).collect();
    assert!(running.contains(&parent.arn) && !running.contains(&b.arn), "{running:?}");
    assert!(!store.running_arns().await.unwrap().contains(&b.arn));
}

/// `reset` deletes everything, and the store takes new records after.
pub(crate) async fn reset_deletes_everything(store: &impl Store) {
    let m = machine("gone");
    store.create_state_machine(m.clone()).await.unwrap();
    let e = execution("gone", "e");
    store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();
    store.create_activity(activity("gone")).await.unwrap();
    store.reset().await.unwrap();
    assert_eq!(store.state_machine(&m.arn).await.unwrap(), None);
    assert_eq!(store.execution(&e.arn).await.unwrap(), None);
    assert!(matches!(store.history(&e.arn, false, page(None, 10)).await, Err(Error::NotFound(_))));
    assert!(store.list_activities(page(None, 10)).await.unwrap().items.is_empty());
    assert!(store.running().await.unwrap().is_empty());
    store.create_state_machine(m.clone()).await.unwrap();
    store.create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
    assert_eq!(ids(&store.history(&e.arn, false, page(None, 10)).await.unwrap().items), vec![1]);
}

/// The names of the executions `due` gives at `before`, read in pages of `limit`.
async fn due_names(store: &impl Store, before: i64, limit: usize) -> Vec<(String, i64)> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = store.due(before, after.clone(), limit).await.unwrap();
        assert!(page.len() <= limit, "{page:?}");
        let last = page.last().cloned();
        all.extend(page.into_iter().map(|p| (p.execution_arn.rsplit(':').next().unwrap().to_owned(), p.wake_at)));
        match last {
            Some(last) => after = Some(last),
            None => return all,
        }
    }
}

/// Names of the executions `running` and `running_arns` give (which must agree).
async fn awake(store: &impl Store) -> Vec<String> {
    let running: Vec<String> = store.running().await.unwrap().into_iter().map(|r| r.execution.name).collect();
    let arns: Vec<String> = store.running_arns().await.unwrap().iter().map(|a| a.rsplit(':').next().unwrap().to_owned()).collect();
    assert_eq!(running, arns);
    running
}

pub(crate) async fn parked_executions(store: &impl Store) {
    let parked_at = |at| move |mut append: store::Append| {
        append.park = Some(at);
        append
    };
    // Parked by its first step, by a later one, and not at all.
    let [a, b, c] = ["a", "b", "c"].map(|n| execution("p", n));
    store.create_execution(a.clone(), parked_at(500)(step(&a.arn, 1, 2))).await.unwrap();
    store.create_execution(b.clone(), step(&b.arn, 1, 1)).await.unwrap();
    store.create_execution(c.clone(), step(&c.arn, 1, 1)).await.unwrap();
    store.append(vec![parked_at(300)(step(&b.arn, 2, 1))]).await.unwrap();
    assert_eq!(awake(store).await, ["c"]);
    assert_eq!(store.recovered(&a.arn).await.unwrap().unwrap().parked, Some(500));
    assert_eq!(store.recovered(&c.arn).await.unwrap().unwrap().parked, None);
    // Parking changes nothing else: the status, the history, the triggers.
    assert_eq!(store.execution(&a.arn).await.unwrap().unwrap().status, Status::Running);
    assert_eq!(store.recovered(&b.arn).await.unwrap().unwrap().triggers, [r#"{"t":1}"#, r#"{"t":2}"#]);
    assert_eq!(ids(&store.history(&a.arn, false, page(None, 0)).await.unwrap().items), [1, 2]);

    // Due by wake time, up to `before`.
    assert!(due_names(store, 299, 10).await.is_empty());
    assert_eq!(due_names(store, 300, 10).await, [("b".to_owned(), 300)]);
    assert_eq!(due_names(store, i64::MAX, 1).await, [("b".to_owned(), 300), ("a".to_owned(), 500)]);

    // A step without a park time wakes the execution; one with another moves it.
    store.append(vec![step(&b.arn, 3, 1)]).await.unwrap();
    assert_eq!(awake(store).await, ["b", "c"]);
    assert_eq!(store.recovered(&b.arn).await.unwrap().unwrap().parked, None);
    store.append(vec![parked_at(700)(step(&a.arn, 3, 1))]).await.unwrap();
    assert_eq!(due_names(store, i64::MAX, 10).await, [("a".to_owned(), 700)]);

    // Steps of one request: the last one decides.
    store.append(vec![parked_at(100)(step(&c.arn, 2, 1)), step(&c.arn, 3, 1)]).await.unwrap();
    store.append(vec![step(&b.arn, 4, 1), parked_at(200)(step(&b.arn, 5, 1))]).await.unwrap();
    assert_eq!(awake(store).await, ["c"]);
    assert_eq!(due_names(store, i64::MAX, 10).await, [("b".to_owned(), 200), ("a".to_owned(), 700)]);

    // Parking without a step, and moving the wake time so.
    store.park(&c.arn, 900).await.unwrap();
    store.park(&a.arn, 800).await.unwrap();
    assert!(awake(store).await.is_empty());
    assert_eq!(
        due_names(store, i64::MAX, 2).await,
        [("b".to_owned(), 200), ("a".to_owned(), 800), ("c".to_owned(), 900)]
    );
    let missing = execution("p", "missing");
    assert!(matches!(store.park(&missing.arn, 1).await, Err(Error::NotFound(arn)) if arn == missing.arn));
    assert_eq!(store.recovered(&c.arn).await.unwrap().unwrap().triggers.len(), 3, "parking adds no step");

    // An ending wakes it for good, whatever the step says; an ended execution cannot be parked.
    let mut end = parked_at(1000)(step(&a.arn, 4, 1));
    end.ending = Some(succeeded(9));
    store.append(vec![end]).await.unwrap();
    assert_eq!(due_names(store, i64::MAX, 10).await, [("b".to_owned(), 200), ("c".to_owned(), 900)]);
    assert!(matches!(store.park(&a.arn, 1).await, Err(Error::Ended(arn)) if arn == a.arn));

    // Executions that wake at the same time page in a stable order.
    let same: Vec<_> = (0..5).map(|n| execution("p", &format!("s{n}"))).collect();
    for e in &same {
        store.create_execution(e.clone(), parked_at(950)(step(&e.arn, 1, 1))).await.unwrap();
    }
    let pages = due_names(store, 950, 2).await;
    let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["b", "c", "s0", "s1", "s2", "s3", "s4"]);

    // A redrive's first step may park the execution again.
    let mut fail = step(&a.arn, 5, 1);
    fail.ending = Some(Ending { status: Status::Failed, stop: 10, output: None, error: None, cause: None });
    let r = store.append(vec![fail]).await;
    assert!(matches!(r, Err(Error::Ended(_))), "{r:?}");
    let d = execution("p", "d");
    let mut fail = step(&d.arn, 1, 1);
    fail.ending = Some(Ending { status: Status::Failed, stop: 10, output: None, error: None, cause: None });
    store.create_execution(d.clone(), fail).await.unwrap();
    store.redrive_execution(&d.arn, 11, parked_at(960)(step(&d.arn, 2, 1))).await.unwrap();
    assert_eq!(store.recovered(&d.arn).await.unwrap().unwrap().parked, Some(960));
    assert!(awake(store).await.is_empty());

    store.reset().await.unwrap();
    assert!(due_names(store, i64::MAX, 10).await.is_empty());
}

/// A step's outbox message `body` for `destination`.
fn message(arn: &str, destination: &str, body: &str) -> store::Outgoing {
    store::Outgoing { destination: destination.to_owned(), execution_arn: arn.to_owned(), body: body.to_owned() }
}

/// `step`, writing `messages` to the outbox.
fn with_outbox(step: store::Append, messages: Vec<store::Outgoing>) -> store::Append {
    store::Append { outbox: messages, ..step }
}

/// The bodies `outbox_due` hands out at `now` for `destinations`.
async fn due_bodies(store: &impl Store, destinations: &[&str], now: i64) -> Vec<String> {
    let destinations: Vec<String> = destinations.iter().map(|d| (*d).to_owned()).collect();
    // Claimed (on a shared store) until `now` only, so asking again at `now` finds them again.
    let due = store.outbox_due(&destinations, now, now, 100).await.unwrap();
    due.into_iter().map(|m| m.body).collect()
}

/// The outbox: messages are written with the step that carries them (and not with a refused one), handed out per
/// destination, one at a time per execution and destination in the order written, again after a failed try once its
/// next try is due, and gone once delivered; a reset empties it.
pub(crate) async fn outbox(store: &impl Store) {
    let (a, b) = ("http://a/", "http://b/");
    let x = execution("m", "x");
    let y = execution("m", "y");
    let first = |e: &store::Execution, name: &str| {
        with_outbox(step(&e.arn, 1, 1), vec![message(&e.arn, a, &format!("{name}-running-a")), message(&e.arn, b, &format!("{name}-running-b"))])
    };
    store.create_execution(x.clone(), first(&x, "x")).await.unwrap();
    store.create_execution(y.clone(), first(&y, "y")).await.unwrap();
    let mut end = with_outbox(step(&x.arn, 2, 1), vec![message(&x.arn, a, "x-succeeded-a"), message(&x.arn, b, "x-succeeded-b")]);
    end.ending = Some(succeeded(5));
    store.append(vec![end]).await.unwrap();
    // A refused step writes none of its messages.
    let refused = with_outbox(step(&y.arn, 7, 1), vec![message(&y.arn, a, "refused")]);
    assert!(matches!(store.append(vec![refused]).await, Err(Error::Conflict { .. })));
    let refused = with_outbox(step(&x.arn, 3, 1), vec![message(&x.arn, a, "ended")]);
    assert!(matches!(store.append(vec![refused]).await, Err(Error::Ended(_))));

    // Only the first of each execution's messages to a destination, only for the destinations asked.
    assert_eq!(due_bodies(store, &[a], 10).await, ["x-running-a", "y-running-a"]);
    assert_eq!(due_bodies(store, &[a, b], 10).await, ["x-running-a", "x-running-b", "y-running-a", "y-running-b"]);
    assert!(due_bodies(store, &["http://c/"], 10).await.is_empty());
    let ids = |due: &[store::Outbound], body: &str| due.iter().find(|m| m.body == body).map(|m| m.id).unwrap();
    let due = store.outbox_due(&[a.to_owned()], 10, 11, 100).await.unwrap();
    assert!(due.iter().all(|m| m.attempts == 0 && m.destination == a), "{due:?}");
    assert_eq!(due.iter().find(|m| m.body == "x-running-a").map(|m| m.execution_arn.as_str()), Some(x.arn.as_str()));

    // x's first try fails, to be tried again at 100: nothing of x goes to `a` before then, its next message neither.
    store.outbox_settle(vec![ids(&due, "y-running-a")], vec![(ids(&due, "x-running-a"), 100)]).await.unwrap();
    assert!(due_bodies(store, &[a], 50).await.is_empty());
    let again = store.outbox_due(&[a.to_owned()], 100, 101, 100).await.unwrap();
    assert_eq!(again.iter().map(|m| (m.body.as_str(), m.attempts)).collect::<Vec<_>>(), [("x-running-a", 1)]);
    store.outbox_settle(vec![ids(&again, "x-running-a")], Vec::new()).await.unwrap();
    assert_eq!(due_bodies(store, &[a], 100).await, ["x-succeeded-a"]);
    // Settling ids that are gone changes nothing.
    store.outbox_settle(vec![ids(&again, "x-running-a")], vec![(ids(&due, "y-running-a"), 5)]).await.unwrap();
    assert_eq!(due_bodies(store, &[a], 100).await, ["x-succeeded-a"]);

    // A redrive's step writes its messages too.
    let mut failed = step(&y.arn, 2, 1);
    failed.ending = Some(Ending { status: Status::Failed, stop: 6, output: None, error: None, cause: None });
    store.append(vec![failed]).await.unwrap();
    let redrive = with_outbox(step(&y.arn, 3, 1), vec![message(&y.arn, a, "y-redriven-a")]);
    store.redrive_execution(&y.arn, 20, redrive).await.unwrap();
    assert_eq!(due_bodies(store, &[a], 100).await, ["x-succeeded-a", "y-redriven-a"]);

    store.reset().await.unwrap();
    assert!(due_bodies(store, &[a, b], i64::MAX).await.is_empty());
}

/// The search across state machines: by name (contained, case kept), status, state machine, account (the machines'
/// ARN prefix) and start time, each alone and together, newest first and paged; a Map Run's children are never found,
/// and a token of another list is refused.
pub(crate) async fn search_executions(store: &impl Store) {
    let other_account = "arn:aws:states:us-east-1:999999999999";
    // Nine executions, started a second apart in this order: three per machine (two machines here, one in another
    // account), in turn; every third fails.
    let mut made = Vec::new();
    for n in 0..9 {
        let machine = ["orders", "billing", "elsewhere"][n % 3];
        let name = format!("{}-{n}", ["Order", "order", "bill"][n / 3]);
        let mut e = execution(machine, &name);
        if machine == "elsewhere" {
            e.arn = format!("{other_account}:execution:elsewhere:{name}");
            e.state_machine_arn = format!("{other_account}:stateMachine:elsewhere");
        }
        e.start = 1_700_000_000_000 + 1000 * n as i64;
        store.create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
        if n % 3 == 2 {
            let mut end = step(&e.arn, 2, 1);
            end.ending = Some(Ending { status: Status::Failed, stop: e.start + 10, output: None, error: Some("E".to_owned()), cause: None });
            store.append(vec![end]).await.unwrap();
        }
        made.push(e);
    }
    // A Map Run's child, named to match every search below: never found.
    let parent = &made[0];
    let mut child = execution("orders/Each", "Order-child");
    child.map_run_arn = Some(format!("{ACCOUNT}:mapRun:orders/Each:Order-0"));
    let mut with_child = step(&parent.arn, 2, 1);
    with_child.children =
        vec![store::ChildStep { execution_arn: child.arn.clone(), created: Some(child), events: Vec::new(), ending: None, redriven: None }];
    store.append(vec![with_child]).await.unwrap();

    let search = |search: Search, limit: usize| async move {
        let pages = all_pages(limit, |p| store.search_executions(search.clone(), p)).await;
        pages.into_iter().flatten().map(|e| e.name).collect::<Vec<_>>()
    };
    let all = Search::default();
    assert_eq!(
        search(all.clone(), 0).await,
        ["bill-8", "bill-7", "bill-6", "order-5", "order-4", "order-3", "Order-2", "Order-1", "Order-0"],
        "every execution but the child, newest first"
    );
    assert_eq!(search(all.clone(), 2).await.len(), 9, "paged two at a time, the same nine");
    let mine = Search { machine_prefix: Some(format!("{ACCOUNT}:")), ..Search::default() };
    assert_eq!(search(mine.clone(), 1).await, ["bill-7", "bill-6", "order-4", "order-3", "Order-1", "Order-0"], "this account's");
    let named = |text: &str| Search { name_contains: Some(text.to_owned()), ..mine.clone() };
    assert_eq!(search(named("rder"), 0).await, ["order-4", "order-3", "Order-1", "Order-0"], "a name containing the text");
    assert_eq!(search(named("order"), 0).await, ["order-4", "order-3"], "case matters");
    assert_eq!(search(named("%"), 0).await, Vec::<String>::new(), "no wildcards");
    let failed = Search { status: Some(Status::Failed), ..Search::default() };
    assert_eq!(search(failed.clone(), 0).await, ["bill-8", "order-5", "Order-2"]);
    let failed_here = Search { status: Some(Status::Failed), ..mine.clone() };
    assert_eq!(search(failed_here, 0).await, Vec::<String>::new(), "this account's never fail");
    let running = Search { status: Some(Status::Running), ..mine.clone() };
    assert_eq!(search(running, 0).await.len(), 6);
    let billing = Search { state_machine_arn: Some(format!("{ACCOUNT}:stateMachine:billing")), ..Search::default() };
    assert_eq!(search(billing.clone(), 1).await, ["bill-7", "order-4", "Order-1"]);
    let window = Search { started_from: Some(1_700_000_002_000), started_before: Some(1_700_000_006_000), ..Search::default() };
    assert_eq!(search(window.clone(), 0).await, ["order-5", "order-4", "order-3", "Order-2"], "from inclusive, before exclusive");
    let together = Search { name_contains: Some("der".to_owned()), ..Search { state_machine_arn: billing.state_machine_arn.clone(), ..window } };
    assert_eq!(search(together, 0).await, ["order-4"], "every filter at once");

    let r = store.search_executions(all.clone(), page(Some("ex.5".to_owned()), 0)).await;
    assert!(matches!(&r, Err(Error::InvalidToken(t)) if t == "ex.5"), "a token of another list: {r:?}");
    let first = store.search_executions(all.clone(), page(None, 3)).await.unwrap();
    let token = first.next_token.unwrap();
    let r = store.list_executions(&parent.state_machine_arn, ExecutionFilter::default(), page(Some(token), 0)).await;
    assert!(matches!(r, Err(Error::InvalidToken(_))), "{r:?}");
}

/// `gauges().bytes` is the data's size: it grows by at least what is written (400 executions of ten 1 KB events).
pub(crate) async fn gauges_measure_the_data(store: &impl Store) {
    store.create_state_machine(machine("sized")).await.unwrap();
    let before = store.gauges().await.unwrap().bytes;
    assert!(before > 0, "an empty store still takes its schema's pages");
    // Letters that do not repeat (a linear congruential sequence), so that no backend's compression shrinks them.
    let mut seed: u64 = 7;
    let mut noise = || {
        (0..1000)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                char::from(b'a' + u8::try_from((seed >> 33) % 26).unwrap())
            })
            .collect::<String>()
    };
    for i in 0..400 {
        let e = execution("sized", &format!("e{i}"));
        let mut first = step(&e.arn, 1, 10);
        for event in &mut first.events {
            event.json = format!(r#"{{"id":{},"pad":"{}"}}"#, event.id, noise());
        }
        store.create_execution(e, first).await.unwrap();
    }
    let after = store.gauges().await.unwrap().bytes;
    assert!(after >= before + 400 * 10 * 1000, "{before} bytes before, {after} after writing 4 MB");
}
