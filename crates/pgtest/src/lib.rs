//! A throwaway PostgreSQL cluster for tests: `initdb` into a temporary directory, `pg_ctl start` on a free loopback
//! port with its unix socket in that directory, and a fresh database (`createdb`) for each caller.
//!
//! The cluster is started once per test process, by the first test that asks, and stopped and removed when the
//! process ends, however it ends: a small shell process waits for its standard input (held open by this process) to
//! close, then runs `pg_ctl stop` and deletes the directory. As root (CI), the server runs as the `postgres` user
//! (`initdb` refuses root) through `runuser`. Without PostgreSQL's binaries `database` prints a note and gives
//! `None`, and the tests that asked return early.
//!
//! Test support only: a dev-dependency of the crates whose tests run against PostgreSQL. It speaks no SQL (the
//! database is made by `createdb`), so `store` stays the only crate with SQL.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// A running cluster: its port, its binaries, and the process that stops it when its pipe closes (never waited for:
/// it outlives this process).
struct Cluster {
    port: u16,
    bin: PathBuf,
    _reaper: Mutex<(Child, ChildStdin)>,
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();

/// The URL of a new, empty database in the test cluster, or `None` (after a note) where PostgreSQL is not installed.
///
/// # Panics
///
/// When the cluster cannot be set up although PostgreSQL is installed: a test that needs it must fail then.
pub fn database() -> Option<String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let cluster = CLUSTER.get_or_init(start).as_ref()?;
    let name = format!("test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let made = Command::new(cluster.bin.join("createdb"))
        .args(["-h", "127.0.0.1", "-p", &cluster.port.to_string(), "-U", "baton", &name])
        .stdin(Stdio::null())
        .status()
        .expect("cannot run createdb");
    assert!(made.success(), "createdb {name} failed");
    Some(url(cluster.port, &name))
}

fn url(port: u16, database: &str) -> String {
    format!("postgres://baton@127.0.0.1:{port}/{database}")
}

/// The directory of `initdb`, `pg_ctl` and `createdb`: where the `initdb` on the `PATH` links to, or Debian's newest
/// `/usr/lib/postgresql/<v>/bin`.
fn binaries() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path = std::env::split_paths(&path).find_map(|dir| {
        let initdb = std::fs::canonicalize(dir.join("initdb")).ok()?;
        let bin = initdb.parent()?;
        (bin.join("pg_ctl").is_file() && bin.join("createdb").is_file()).then(|| bin.to_owned())
    });
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
        eprintln!("note: PostgreSQL's initdb and pg_ctl were not found; skipping the tests against PostgreSQL");
        return None;
    };
    let dir = tempfile::Builder::new().prefix("baton-pg-").tempdir().expect("cannot make a temporary directory").keep();
    // initdb refuses to run as root: the cluster then belongs to the `postgres` user.
    let as_root = std::fs::metadata(&dir).expect("cannot read the temporary directory").uid() == 0;
    if as_root {
        let owned = Command::new("chown").args(["-R", "postgres"]).arg(&dir).status().expect("cannot run chown");
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
        .stdout(std::fs::File::create(&log).expect("cannot write initdb's log"))
        .stderr(Stdio::inherit())
        .status()
        .expect("cannot run initdb");
    assert!(initdb.success(), "initdb failed; see {}", log.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("no free port on loopback")
        .port();
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
        .expect("cannot run pg_ctl");
    assert!(started.success(), "pg_ctl start failed; see {}", dir.join("server.log").display());
    let reaper = reaper(&bin, &dir, &data, as_root);
    Some(Cluster { port, bin, _reaper: Mutex::new(reaper) })
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
        .expect("cannot start the cluster's reaper");
    let input = child.stdin.take().expect("the reaper's standard input is piped");
    (child, input)
}
