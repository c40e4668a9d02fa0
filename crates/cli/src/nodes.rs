//! `baton nodes`: the servers sharing a PostgreSQL database, their leases and how many executions each holds.

use std::process::ExitCode;

use anyhow::Context;

use store::{Database, Location, Node};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The PostgreSQL database the servers share, as `baton serve --database-url` takes it.
    #[arg(long, env = "BATON_DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// Print JSON (one object per node) instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    let (nodes, unclaimed) = runtime.block_on(async {
        let store = Database::open(Location::Url(&args.database_url)).await.context("cannot open the database")?;
        let nodes = store.nodes().await.context("cannot read the nodes")?;
        let unclaimed = store.unclaimed().await.context("cannot count the executions nobody holds")?;
        anyhow::Ok((nodes, unclaimed))
    })?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    if args.json {
        for node in &nodes {
            println!("{}", json(node));
        }
    } else {
        print!("{}", table(&nodes, unclaimed, now));
    }
    Ok(ExitCode::SUCCESS)
}

fn json(node: &Node) -> serde_json::Value {
    serde_json::json!({
        "id": node.id,
        "address": node.address,
        "version": node.version,
        "engineVersion": node.engine_version,
        "started": node.started,
        "leaseUntil": node.lease_until,
        "alive": node.alive,
        "executions": node.executions,
    })
}

/// The nodes as a table, then how many running executions wait for a node to claim them. `now` (milliseconds since
/// the epoch) dates the leases.
fn table(nodes: &[Node], unclaimed: u64, now: i64) -> String {
    let mut rows = vec![["NODE", "ADDRESS", "VERSION", "LEASE", "EXECUTIONS"].map(str::to_owned)];
    for node in nodes {
        let seconds = (node.lease_until - now) as f64 / 1000.0;
        let lease =
            if node.alive { format!("alive, {seconds:.1} s left") } else { format!("lapsed {:.1} s ago", -seconds) };
        let version = format!("{} (replay {})", node.version, node.engine_version);
        rows.push([node.id.clone(), node.address.clone(), version, lease, node.executions.to_string()]);
    }
    let widths: Vec<usize> = (0..5).map(|c| rows.iter().map(|row| row[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if nodes.is_empty() {
        out.push_str("(no node has joined this database)\n");
    }
    out.push_str(&format!("{unclaimed} running executions wait for a node to claim them\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_each_nodes_lease_and_executions() {
        let node = |id: &str, lease_until: i64, alive: bool, executions: u64| Node {
            id: id.to_owned(),
            address: format!("http://{id}:8083"),
            version: "0.0.0".to_owned(),
            engine_version: 5,
            started: 0,
            lease_until,
            alive,
            executions,
        };
        let shown = table(&[node("a", 12_500, true, 40), node("b", 7_000, false, 3)], 3, 10_000);
        assert_eq!(
            shown,
            "NODE  ADDRESS        VERSION           LEASE              EXECUTIONS\n\
             a     http://a:8083  0.0.0 (replay 5)  alive, 2.5 s left  40\n\
             b     http://b:8083  0.0.0 (replay 5)  lapsed 3.0 s ago   3\n\
             3 running executions wait for a node to claim them\n"
        );
    }
}
