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
    let Some(url) = pgtest::database() else { return };
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
    let Some(url) = pgtest::database() else { return };
    drop(Postgres::connect(&url).await.unwrap());
    sql(&url, "UPDATE baton_schema SET version = 999, compatible_from = 999").await;
    let r = Postgres::connect(&url).await;
    assert!(matches!(&r, Err(Error::Backend(e)) if e.to_string().contains("newer")), "{:?}", r.err());
}

/// A rolling upgrade: a newer build migrated the database one version on and said builds of this version may share
/// it (its migration was additive): this build runs on it, and migrates nothing back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_that_older_builds_may_share_is_used() {
    let Some(url) = pgtest::database() else { return };
    drop(Postgres::connect(&url).await.unwrap());
    let compatible = first_value(&sql(&url, "SELECT compatible_from FROM baton_schema").await);
    // Version 5 (the outbox) is additive: builds of version 4 may run beside it.
    assert_eq!(compatible, Some("4".to_owned()), "the last of this build's migrations that older builds cannot share");
    // The next release adds a table that this build ignores.
    let next = SCHEMA_VERSION + 1;
    sql(&url, &format!("CREATE TABLE next_feature (id BIGINT); UPDATE baton_schema SET version = {next}")).await;
    let store = Postgres::connect(&url).await.unwrap();
    let e = execution("m", "shared-with-the-next-release");
    store.create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
    assert_eq!(store.execution(&e.arn).await.unwrap(), Some(e));
    assert_eq!(first_value(&sql(&url, "SELECT version FROM baton_schema").await), Some(next.to_string()));
}

/// During a rolling upgrade a node claims only executions written in a replay format it reads: one started by a
/// newer node (a newer `engine_version`) waits for a newer node, while the newer node may claim every one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_claim_only_executions_they_can_replay() {
    let Some(url) = pgtest::database() else { return };
    let store = Postgres::connect(&url).await.unwrap();
    let old = store::Node { engine_version: 5, ..node("old") };
    let new = store::Node { engine_version: 6, ..node("new") };
    let older = store::Execution { engine_version: 5, ..execution("m", "older") };
    let newer = store::Execution { engine_version: 6, ..execution("m", "newer") };
    for e in [&older, &newer] {
        store.create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
    }
    store.join(&old, 60_000).await.unwrap();
    store.join(&new, 60_000).await.unwrap();
    let claimed = store.claim("old", 10).await.unwrap();
    assert_eq!(claimed.iter().map(|c| c.arn.as_str()).collect::<Vec<_>>(), [older.arn.as_str()]);
    let claimed = store.claim("new", 10).await.unwrap();
    assert_eq!(claimed.iter().map(|c| c.arn.as_str()).collect::<Vec<_>>(), [newer.arn.as_str()]);
}

/// Two stores on one database (as two processes): appends to one execution take turns, each checked against the
/// other's committed events; exactly one of two steps with the same ids lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_append_in_turn() {
    let Some(url) = pgtest::database() else { return };
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

/// Two stores creating one execution at once: one creates it, the other is told it exists, never a backend error.
/// Another session holds the table so that both check (and find no such execution) before either inserts: the second
/// insert then hits the unique key, and its batch runs again, whose check finds the row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_creates_one_wins() {
    let Some(url) = pgtest::database() else { return };
    let (a, b) = (Postgres::connect(&url).await.unwrap(), Postgres::connect(&url).await.unwrap());
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    for i in 0..5 {
        let e = execution("m", &format!("race{i}"));
        // SHARE blocks inserts, not the writers' `FOR UPDATE` checks.
        client.batch_execute("BEGIN; LOCK TABLE executions IN SHARE MODE").await.unwrap();
        let mut creates = crate::fixtures::JoinAll::new([
            a.create_execution(e.clone(), step(&e.arn, 1, 1)),
            b.create_execution(e.clone(), step(&e.arn, 1, 1)),
        ]);
        for _ in 0..10 {
            assert!(!creates.poll_once().await);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        client.batch_execute("COMMIT").await.unwrap();
        let results = creates.finish().await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        assert!(results.iter().any(|r| matches!(r, Err(Error::AlreadyExists(_)))), "{results:?}");
    }
}

/// Two stores appending to the same two executions in opposite orders: each batch locks the executions it names in
/// one order (and a deadlock victim would run again), so each request gets the store's answer (one lands, the other
/// conflicts), never a backend error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opposite_lock_orders_resolve() {
    let Some(url) = pgtest::database() else { return };
    let (a, b) = (Postgres::connect(&url).await.unwrap(), Postgres::connect(&url).await.unwrap());
    let (x, y) = (execution("m", "x"), execution("m", "y"));
    a.create_execution(x.clone(), step(&x.arn, 1, 1)).await.unwrap();
    a.create_execution(y.clone(), step(&y.arn, 1, 1)).await.unwrap();
    let mut next = 2;
    for _ in 0..10 {
        let results = join_all([
            a.append(vec![step(&x.arn, next, 1), step(&y.arn, next, 1)]),
            b.append(vec![step(&y.arn, next, 1), step(&x.arn, next, 1)]),
        ])
        .await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        assert!(results.iter().any(|r| matches!(r, Err(Error::Conflict { .. }))), "{results:?}");
        next += 1;
    }
    for e in [&x, &y] {
        let ids: Vec<u64> = a.history(&e.arn, false, page(None, 0)).await.unwrap().items.iter().map(|e| e.id).collect();
        assert_eq!(ids, (1..next).collect::<Vec<_>>());
    }
}

/// Appends queued while the writer waits on a lock share one transaction (group commit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_appends_share_a_commit() {
    const APPENDS: usize = 200;
    let Some(url) = pgtest::database() else { return };
    let store = Postgres::connect(&url).await.unwrap();
    let executions: Vec<_> = (0..APPENDS).map(|i| execution("g", &format!("e{i}"))).collect();
    for e in &executions {
        store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();
    }
    let before = store.stats();
    // Another session holds a lock that blocks the writer's first `FOR UPDATE` while every append queues up.
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute("BEGIN; LOCK TABLE executions IN EXCLUSIVE MODE").await.unwrap();
    let mut appends = crate::fixtures::JoinAll::new(executions.iter().map(|e| store.append(vec![step(&e.arn, 3, 2)])));
    for _ in 0..20 {
        assert!(!appends.poll_once().await);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    client.batch_execute("COMMIT").await.unwrap();
    let results = appends.finish().await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let after = store.stats();
    assert_eq!(after.requests - before.requests, APPENDS as u64);
    // The first append was taken alone before the lock held it; the rest share one commit.
    assert!(after.commits - before.commits <= 2, "{before:?} -> {after:?}");
    for e in &executions {
        assert_eq!(store.history(&e.arn, false, page(None, 0)).await.unwrap().items.len(), 4);
    }
}

/// A writer whose connection the server ended fails that batch and reconnects for the next; it is not poisoned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_reconnects_after_its_connection_ends() {
    let Some(url) = pgtest::database() else { return };
    let store = Postgres::connect(&url).await.unwrap();
    let e = execution("m", "reconnect");
    store.create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
    // Ends every other session on the database: the writer's and the readers'.
    sql(
        &url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .await;
    let first = store.append(vec![step(&e.arn, 2, 1)]).await;
    if first.is_err() {
        // The batch that found the connection gone failed and wrote nothing.
        assert!(matches!(&first, Err(Error::Backend(_))), "{first:?}");
        store.append(vec![step(&e.arn, 2, 1)]).await.unwrap();
    }
    store.append(vec![step(&e.arn, 3, 1)]).await.unwrap();
    let ids: Vec<u64> = store.history(&e.arn, false, page(None, 0)).await.unwrap().items.iter().map(|e| e.id).collect();
    assert_eq!(ids, [1, 2, 3]);
}

fn node(id: &str) -> store::Node {
    store::Node {
        id: id.to_owned(),
        address: format!("http://{id}"),
        version: "test".to_owned(),
        engine_version: 5,
        started: 1,
        lease_until: 0,
        alive: false,
        executions: 0,
    }
}

/// `step` written under `node`'s claim at `epoch`.
fn held(arn: &str, first: u64, node: &str, epoch: u64) -> store::Append {
    store::Append { lease: Some(store::Lease { node: node.into(), epoch }), ..step(arn, first, 1) }
}

/// A node holds what it creates; another claims it only once the holder's lease has run out, at the next epoch, and
/// the first can then write nothing more for it (fencing); a node that leaves lets go of what it holds at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_claim_executions_and_a_lost_claim_is_fenced() {
    let Some(url) = pgtest::database() else { return };
    let (a, b) = (Postgres::connect(&url).await.unwrap(), Postgres::connect(&url).await.unwrap());
    a.join(&node("a"), 60_000).await.unwrap();
    b.join(&node("b"), 60_000).await.unwrap();
    let e = execution("m", "held");
    a.create_execution(e.clone(), held(&e.arn, 1, "a", 1)).await.unwrap();
    a.append(vec![held(&e.arn, 2, "a", 1)]).await.unwrap();
    assert_eq!(b.claim("b", 10).await.unwrap(), [], "a's lease holds");
    assert_eq!(b.unclaimed().await.unwrap(), 0);
    let listed = b.nodes().await.unwrap();
    let counts: Vec<(&str, bool, u64)> = listed.iter().map(|n| (n.id.as_str(), n.alive, n.executions)).collect();
    assert_eq!(counts, [("a", true, 1), ("b", true, 0)]);

    // a's lease runs out (as if it paused): b takes the execution over at epoch 2.
    a.renew("a", -1).await.unwrap();
    assert_eq!(b.unclaimed().await.unwrap(), 1);
    assert_eq!(a.claim("a", 10).await.unwrap(), [], "a node whose lease ran out claims nothing");
    let claimed = b.claim("b", 10).await.unwrap();
    assert_eq!(claimed, [store::Claimed { arn: e.arn.clone(), epoch: 2, parked: false }]);
    assert_eq!(b.recovered(&e.arn).await.unwrap().unwrap().epoch, 2);
    let fenced = a.append(vec![held(&e.arn, 3, "a", 1)]).await;
    assert!(matches!(&fenced, Err(Error::Fenced(arn)) if *arn == e.arn), "{fenced:?}");
    b.append(vec![held(&e.arn, 3, "b", 2)]).await.unwrap();
    // a wakes: its renewal says the lease had run out, and it holds nothing now.
    assert!(a.renew("a", 60_000).await.unwrap());
    assert!(!a.renew("a", 60_000).await.unwrap());
    assert_eq!(a.owned("a").await.unwrap(), []);
    assert_eq!(b.owned("b").await.unwrap(), claimed);

    // b leaves: a claims at once, at epoch 3.
    b.leave("b").await.unwrap();
    assert!(matches!(b.renew("b", 1).await, Err(Error::NotFound(_))));
    assert_eq!(a.claim("a", 10).await.unwrap(), [store::Claimed { arn: e.arn.clone(), epoch: 3, parked: false }]);
    let ids: Vec<u64> = a.history(&e.arn, false, page(None, 0)).await.unwrap().items.iter().map(|e| e.id).collect();
    assert_eq!(ids, [1, 2, 3], "the fenced step wrote nothing");
}

/// Nodes claiming at once take different executions, each exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_claims_split_the_executions() {
    let Some(url) = pgtest::database() else { return };
    let stores: Vec<Postgres> = join_all((0..3).map(|_| Postgres::connect(&url))).await.into_iter().map(Result::unwrap).collect();
    let executions: Vec<_> = (0..60).map(|i| execution("m", &format!("e{i}"))).collect();
    for e in &executions {
        stores[0].create_execution(e.clone(), step(&e.arn, 1, 1)).await.unwrap();
    }
    for (i, store) in stores.iter().enumerate() {
        store.join(&node(&format!("n{i}")), 60_000).await.unwrap();
    }
    let claims = join_all(stores.iter().enumerate().map(|(i, store)| async move {
        let id = format!("n{i}");
        let mut mine = Vec::new();
        loop {
            let batch = store.claim(&id, 7).await.unwrap();
            if batch.is_empty() {
                return mine;
            }
            mine.extend(batch.into_iter().map(|c| c.arn));
        }
    }))
    .await;
    let mut all: Vec<String> = claims.concat();
    all.sort();
    let mut expected: Vec<String> = executions.iter().map(|e| e.arn.clone()).collect();
    expected.sort();
    assert_eq!(all, expected, "each execution claimed once");
}

/// What a step leaves for other nodes: its tokens and activity tasks are found from any process, a worker takes a
/// task once (and its execution's node gets the message that says so), a posted message reaches the node that holds
/// the execution and is answered with the step that commits it, and the step that ends the execution forgets its
/// tokens and tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_route_tokens_activity_tasks_and_inbox_messages() {
    let Some(url) = pgtest::database() else { return };
    let (a, b) = (Postgres::connect(&url).await.unwrap(), Postgres::connect(&url).await.unwrap());
    a.join(&node("a"), 60_000).await.unwrap();
    let mut listener = b.listen().await.unwrap();
    let e = execution("m", "routed");
    let activity = "arn:aws:states:us-east-1:123456789012:activity:work";
    let mut first = held(&e.arn, 1, "a", 1);
    first.routing.tokens.push(store::TokenRow { token: "tok".to_owned(), task: 7 });
    first.routing.activity_tasks.push(store::ActivityTaskRow {
        activity_arn: activity.to_owned(),
        token: "tok".to_owned(),
        input: r#"{"n":1}"#.to_owned(),
    });
    a.create_execution(e.clone(), first).await.unwrap();
    let notice = listener.notices.recv().await.unwrap();
    assert_eq!((notice.channel.as_str(), notice.payload.as_str()), (store::postgres::ACTIVITY_CHANNEL, activity));
    assert_eq!(b.token("tok").await.unwrap(), Some((e.arn.clone(), 7)));
    assert_eq!(b.token("other").await.unwrap(), None);

    let taken = b.take_activity_task(activity, 5, |token| format!(r#"{{"started":"{token}"}}"#)).await.unwrap().unwrap();
    assert_eq!((taken.token.as_str(), taken.input.as_str()), ("tok", r#"{"n":1}"#));
    assert_eq!(b.take_activity_task(activity, 5, |_| String::new()).await.unwrap(), None, "taken once");
    let notice = listener.notices.recv().await.unwrap();
    assert_eq!((notice.channel.as_str(), notice.payload.as_str()), (store::postgres::INBOX_CHANNEL, "a"));

    let posted = b.post(&e.arn, r#"{"stop":true}"#, 6).await.unwrap();
    let waiting = a.inbox("a").await.unwrap();
    let messages: Vec<(i64, &str)> = waiting.iter().map(|m| (m.id, m.message.as_str())).collect();
    assert_eq!(messages, [(taken.message, r#"{"started":"tok"}"#), (posted, r#"{"stop":true}"#)]);
    assert_eq!(b.inbox("b").await.unwrap(), [], "b holds nothing");
    assert_eq!(b.take_answer(posted).await.unwrap(), None, "not answered yet");

    let mut second = held(&e.arn, 2, "a", 1);
    second.routing.answered.push(taken.message);
    a.append(vec![second]).await.unwrap();
    a.answer(posted, r#"{"error":"X"}"#).await.unwrap();
    a.answer(posted, r#"{"error":"Y"}"#).await.unwrap();
    assert_eq!(b.take_answer(taken.message).await.unwrap().as_deref(), Some(r#"{"ok":true}"#));
    assert_eq!(b.take_answer(posted).await.unwrap().as_deref(), Some(r#"{"error":"X"}"#), "the first answer stays");
    assert_eq!(a.inbox("a").await.unwrap(), []);
    let withdrawn = b.post(&e.arn, "{}", 7).await.unwrap();
    assert!(b.withdraw(withdrawn).await.unwrap());

    let mut last = held(&e.arn, 3, "a", 1);
    last.ending = Some(crate::fixtures::succeeded(9));
    a.append(vec![last]).await.unwrap();
    assert_eq!(b.token("tok").await.unwrap(), None, "an ended execution's tokens are forgotten");
}

/// Pruning forgets answered messages and lapsed nodes that hold nothing, older than the given time, and nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_forgets_old_answers_and_gone_nodes() {
    let Some(url) = pgtest::database() else { return };
    let store = Postgres::connect(&url).await.unwrap();
    store.join(&node("gone"), -10_000).await.unwrap();
    store.join(&node("holding"), -10_000).await.unwrap();
    store.join(&node("alive"), 60_000).await.unwrap();
    let e = execution("m", "held-by-a-gone-node");
    store.create_execution(e.clone(), held(&e.arn, 1, "holding", 1)).await.unwrap();
    let answered = store.post(&e.arn, "{}", 1).await.unwrap();
    store.answer(answered, "{}").await.unwrap();
    let open = store.post(&e.arn, "{}", 1).await.unwrap();
    let recent = store.post(&e.arn, "{}", i64::MAX).await.unwrap();
    store.answer(recent, "{}").await.unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    assert_eq!(store.prune(now).await.unwrap(), 2, "the old answer and the node that holds nothing");
    let ids: Vec<&str> = vec!["alive", "holding"];
    let nodes = store.nodes().await.unwrap();
    let mut listed: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    listed.sort_unstable();
    assert_eq!(listed, ids);
    assert_eq!(store.take_answer(recent).await.unwrap().as_deref(), Some("{}"));
    assert!(store.withdraw(open).await.unwrap(), "an unanswered message stays");
}

/// Nodes delivering from one outbox at once: each message is handed out to one of them only, until its claim ends;
/// one a node took and never settled (the node died) is handed out again once its claim has ended, and an execution's
/// next message waits until the one before is settled, whichever node took it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_share_the_outbox_without_sending_a_message_twice() {
    let Some(url) = pgtest::database() else { return };
    let stores: Vec<Postgres> = join_all((0..3).map(|_| Postgres::connect(&url))).await.into_iter().map(Result::unwrap).collect();
    let destination = "http://receiver/".to_owned();
    let executions: Vec<_> = (0..60).map(|i| execution("m", &format!("e{i}"))).collect();
    for e in &executions {
        let messages = ["running", "succeeded"].map(|status| store::Outgoing {
            destination: destination.clone(),
            execution_arn: e.arn.clone(),
            body: format!("{}-{status}", e.name),
        });
        let first = store::Append { outbox: messages.to_vec(), ..step(&e.arn, 1, 1) };
        stores[0].create_execution(e.clone(), first).await.unwrap();
    }
    let destinations = std::slice::from_ref(&destination);
    let taken = join_all(stores.iter().map(|store| async move {
        let mut mine = Vec::new();
        loop {
            let batch = store.outbox_due(destinations, 1_000, 61_000, 7).await.unwrap();
            if batch.is_empty() {
                return mine;
            }
            mine.extend(batch);
        }
    }))
    .await;
    let mut bodies: Vec<String> = taken.iter().flatten().map(|m| m.body.clone()).collect();
    bodies.sort();
    let mut expected: Vec<String> = executions.iter().map(|e| format!("{}-running", e.name)).collect();
    expected.sort();
    assert_eq!(bodies, expected, "each execution's first message, each handed out once");
    // Node 0 delivers what it took; nodes 1 and 2 die without settling theirs.
    let delivered: Vec<i64> = taken[0].iter().map(|m| m.id).collect();
    stores[0].outbox_settle(delivered, Vec::new()).await.unwrap();
    let next = stores[0].outbox_due(destinations, 2_000, 62_000, 1000).await.unwrap();
    let mut next: Vec<String> = next.into_iter().map(|m| m.body).collect();
    next.sort();
    let mut expected: Vec<String> = taken[0].iter().map(|m| m.body.replace("-running", "-succeeded")).collect();
    expected.sort();
    assert_eq!(next, expected, "only the executions whose first message was settled move on");
    // Once the dead nodes' claims end, their messages are handed out again, and nothing else.
    assert!(stores[0].outbox_due(destinations, 60_999, 200_000, 1000).await.unwrap().is_empty());
    let again = stores[0].outbox_due(destinations, 61_000, 200_000, 1000).await.unwrap();
    let mut again: Vec<String> = again.into_iter().map(|m| m.body).collect();
    again.sort();
    let mut expected: Vec<String> = taken[1..].iter().flatten().map(|m| m.body.clone()).collect();
    expected.sort();
    assert_eq!(again, expected);
}
