//! A throwaway PostgreSQL cluster for the tests: `initdb` into a temporary directory, `pg_ctl start` on a free
//! loopback port with its unix socket in that directory, one fresh database per test.
//!
//! The cluster is started once per test process, by the first test that asks, and stopped and removed when the
//! process ends, however it ends: a small shell process waits for its standard input (held open by this process) to
//! close, then runs `pg_ctl stop` and deletes the directory. As root (CI), the server runs as the `postgres` user
//! (`initdb` refuses root) through `runuser`. Without PostgreSQL's binaries the tests print a note and pass.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tokio_postgres::NoTls;

/// A running cluster: its port, and the process that stops it when its pipe closes (never waited for: it outlives
/// this process).
struct Cluster {
    port: u16,
    _reaper: Mutex<(Child, ChildStdin)>,
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();

/// The URL of a new, empty database in the test cluster, or `None` (after a note) where PostgreSQL is not installed.
pub(crate) async fn database() -> Option<String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let cluster = CLUSTER.get_or_init(start).as_ref()?;
    let name = format!("test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let (client, connection) = tokio_postgres::connect(&url(cluster.port, "postgres"), NoTls).await.unwrap();
    let driver = tokio::spawn(connection);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    drop(client);
    let _ = driver.await;
    Some(url(cluster.port, &name))
}

fn url(port: u16, database: &str) -> String {
    format!("postgres://baton@127.0.0.1:{port}/{database}")
}

/// The directory of `initdb` and `pg_ctl`: on the `PATH`, or Debian's newest `/usr/lib/postgresql/<v>/bin`.
fn binaries() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path = std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    on_path.or_else(|| {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                let bin = entry.path().join("bin");
                bin.join("initdb").is_file().then_some((version, bin))
            })
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    })
}

fn start() -> Option<Cluster> {
    let Some(bin) = binaries() else {
        eprintln!("note: PostgreSQL's initdb and pg_ctl were not found; skipping the PostgreSQL store tests");
        return None;
    };
    let dir = tempfile::Builder::new().prefix("baton-pg-").tempdir().unwrap().keep();
    // initdb refuses to run as root: the cluster then belongs to the `postgres` user.
    let as_root = std::fs::metadata(&dir).unwrap().uid() == 0;
    if as_root {
        let owned = Command::new("chown").args(["-R", "postgres"]).arg(&dir).status().unwrap();
        assert!(owned.success(), "cannot give {} to the postgres user", dir.display());
    }
    let data = dir.join("data");
    let run = |program: &str| {
        let mut command = if as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(bin.join(program));
            command
        } else {
            Command::new(bin.join(program))
        };
        command.stdin(Stdio::null());
        command
    };
    let log = dir.join("initdb.log");
    let initdb = run("initdb")
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "baton", "--no-sync", "-E", "UTF8", "--locale=C"])
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::inherit())
        .status()
        .unwrap();
    assert!(initdb.success(), "initdb failed; see {}", log.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let options = format!(
        "-k {} -p {port} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c deadlock_timeout=100ms",
        dir.display()
    );
    let started = run("pg_ctl")
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(["-o", &options, "-w", "start"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(started.success(), "pg_ctl start failed; see {}", dir.join("server.log").display());
    Some(Cluster { port, _reaper: Mutex::new(reaper(&bin, &dir, &data, as_root)) })
}

/// Starts the process that stops the cluster and removes `dir` once its standard input closes (when this process
/// ends), with that input.
fn reaper(bin: &Path, dir: &Path, data: &Path, as_root: bool) -> (Child, ChildStdin) {
    let stop = format!("{} -D '{}' -m immediate -w stop", bin.join("pg_ctl").display(), data.display());
    let stop = if as_root { format!("runuser -u postgres -- {stop}") } else { stop };
    let script = format!("read _; {stop} >/dev/null 2>&1; rm -rf '{}'", dir.display());
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let input = child.stdin.take().unwrap();
    (child, input)
}
