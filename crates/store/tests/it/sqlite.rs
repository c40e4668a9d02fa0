//! SQLite-only checks: the file on disk, durability across reopen, schema versions, group commit.

use rusqlite::Connection;

use store::sqlite::{FILE_NAME, SCHEMA_VERSION, Sqlite};
use store::{Error, Status, Store};

use crate::fixtures::{JoinAll, execution, machine, page, step, succeeded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durable_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let m = machine("d");
    let (e, done) = (execution("d", "e"), execution("d", "done"));
    {
        let store = Sqlite::open(&data).unwrap();
        store.create_state_machine(m.clone()).await.unwrap();
        store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();
        store.append(vec![step(&e.arn, 3, 2)]).await.unwrap();
        store
            .create_execution(done.clone(), step(&done.arn, 1, 1))
            .await
            .unwrap();
        let mut last = step(&done.arn, 2, 1);
        last.ending = Some(succeeded(9));
        store.append(vec![last]).await.unwrap();
    }
    let raw = Connection::open(data.join(FILE_NAME)).unwrap();
    let mode: String = raw.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let version: u32 = raw.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    drop(raw);

    let store = Sqlite::open(&data).unwrap();
    assert_eq!(store.state_machine(&m.arn).await.unwrap(), Some(m));
    assert_eq!(store.execution(&e.arn).await.unwrap(), Some(e.clone()));
    let history = store.history(&e.arn, false, page(None, 0)).await.unwrap();
    assert_eq!(history.items.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2, 3, 4]);
    let running = store.running().await.unwrap();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].triggers, [r#"{"t":1}"#, r#"{"t":3}"#]);
    assert_eq!(
        store.execution(&done.arn).await.unwrap().unwrap().status,
        Status::Succeeded
    );
    // Reopened, it carries on where it was.
    store.append(vec![step(&e.arn, 5, 1)]).await.unwrap();
    let r = store.append(vec![step(&done.arn, 3, 1)]).await;
    assert!(matches!(r, Err(Error::Ended(_))), "{r:?}");
}

#[tokio::test]
async fn newer_schema_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Sqlite::open(dir.path()).unwrap());
    let raw = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(raw);

    let r = Sqlite::open(dir.path());
    let message = match r {
        Err(Error::Backend(e)) => e.to_string(),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("opened a database of schema version {}", SCHEMA_VERSION + 1),
    };
    let newer = format!(
        "has schema version {}, newer than this build supports ({SCHEMA_VERSION})",
        SCHEMA_VERSION + 1
    );
    assert!(message.contains(&newer), "{message}");
    assert!(message.contains(FILE_NAME), "{message}");
}

#[tokio::test]
async fn reopening_current_schema_keeps_version() {
    let dir = tempfile::tempdir().unwrap();
    drop(Sqlite::open(dir.path()).unwrap());
    drop(Sqlite::open(dir.path()).unwrap());
    let raw = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let version: u32 = raw.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[tokio::test]
async fn open_fails_on_unusable_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let r = Sqlite::open(&file.join("data"));
    let message = r.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("cannot create data directory") && message.contains("a-file"),
        "{message}"
    );
}

/// Appends queued while the writer waits for the database lock are committed together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_appends_share_a_commit() {
    const APPENDS: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let store = Sqlite::open(dir.path()).unwrap();
    store.create_state_machine(machine("g")).await.unwrap();
    let executions: Vec<_> = (0..APPENDS).map(|i| execution("g", &format!("e{i}"))).collect();
    for e in &executions {
        store.create_execution(e.clone(), step(&e.arn, 1, 2)).await.unwrap();
    }
    let before = store.stats();

    // Hold the write lock from outside, so the writer blocks in BEGIN while every append queues up.
    let raw = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    raw.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut appends = JoinAll::new(executions.iter().map(|e| store.append(vec![step(&e.arn, 3, 2)])));
    assert!(!appends.poll_once().await);
    raw.execute_batch("COMMIT").unwrap();
    let results = appends.finish().await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let after = store.stats();
    assert_eq!(after.requests - before.requests, APPENDS as u64);
    // The first append may have been taken alone before the lock was noticed; the rest share one commit.
    assert!(after.commits - before.commits <= 2, "{before:?} -> {after:?}");
    for e in &executions {
        assert_eq!(
            store.history(&e.arn, false, page(None, 0)).await.unwrap().items.len(),
            4
        );
    }
}

/// Reads run beside a writer that holds the write lock (WAL), and see only committed data.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_beside_a_held_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = Sqlite::open(dir.path()).unwrap();
    let m = machine("r");
    store.create_state_machine(m.clone()).await.unwrap();
    let raw = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    raw.execute_batch("BEGIN IMMEDIATE; DELETE FROM state_machines;")
        .unwrap();
    assert_eq!(store.state_machine(&m.arn).await.unwrap(), Some(m));
    raw.execute_batch("ROLLBACK").unwrap();
}

/// One process at a time owns a data directory: a second open is refused, naming the holder, until the first closes.
#[tokio::test]
async fn a_second_open_of_the_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = Sqlite::open(dir.path()).unwrap();
    let second = Sqlite::open(dir.path());
    let Err(Error::Locked(message)) = second else { panic!("a second open succeeded or failed otherwise") };
    assert!(message.contains("in use by another Baton") && message.contains(&std::process::id().to_string()), "{message}");
    drop(first);
    drop(Sqlite::open(dir.path()).unwrap());
}

/// A damaged database is refused with a clear message, not opened and half-read.
#[tokio::test]
async fn a_damaged_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Sqlite::open(dir.path()).unwrap();
        store.create_state_machine(machine("m")).await.unwrap();
        for i in 0..50 {
            let e = execution("m", &format!("e{i}"));
            store.create_execution(e.clone(), step(&e.arn, 1, 20)).await.unwrap();
        }
    }
    // Fold the WAL into the file, then overwrite a stretch of its pages (not the header).
    Connection::open(dir.path().join(FILE_NAME)).unwrap().execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    let path = dir.path().join(FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 5 * 4096, "{} bytes", bytes.len());
    for byte in bytes.iter_mut().skip(2 * 4096).take(2 * 4096) {
        *byte = 0x5a;
    }
    std::fs::write(&path, bytes).unwrap();
    let Err(Error::Damaged(message)) = Sqlite::open(dir.path()) else { panic!("a damaged database was opened") };
    assert!(message.contains("is damaged") && message.contains("baton backup"), "{message}");
}

/// `backup` copies the database with what its WAL still holds, while the store is open, and the copy opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_holds_every_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Sqlite::open(&dir.path().join("data")).unwrap();
    store.create_state_machine(machine("m")).await.unwrap();
    let e = execution("m", "e");
    store.create_execution(e.clone(), step(&e.arn, 1, 3)).await.unwrap();
    // Still in the WAL: a copy of the database file alone would not have it.
    let copy = Sqlite::backup(&dir.path().join("data"), &dir.path().join("copy")).unwrap();
    assert!(copy.ends_with(FILE_NAME));
    let again = Sqlite::backup(&dir.path().join("data"), &dir.path().join("copy"));
    assert!(again.err().is_some_and(|e| e.to_string().contains("exists already")));
    drop(store);
    let restored = Sqlite::open(&dir.path().join("copy")).unwrap();
    assert_eq!(restored.execution(&e.arn).await.unwrap().map(|e| e.status), Some(Status::Running));
    assert_eq!(restored.history(&e.arn, false, page(None, 0)).await.unwrap().items.len(), 3);
}

/// A directory that cannot be written is refused at open, not at the first write. Root writes anywhere, so there
/// the directory is a read-only mount; where neither works the test says so and passes.
#[tokio::test]
async fn an_unwritable_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs"])
        .arg(&data)
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).unwrap();
        if std::fs::write(data.join("probe"), "x").is_ok() {
            eprintln!("note: cannot make a directory unwritable here (root without mount); skipping");
            return;
        }
    }
    let opened = Sqlite::open(&data);
    if mounted {
        let _ = std::process::Command::new("umount").arg(&data).status();
    }
    let message = opened.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("cannot be written") && message.contains("data"), "{message}");
}
