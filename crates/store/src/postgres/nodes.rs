//! Nodes sharing one database, and which of them holds each running execution.
//!
//! A node joins with a lease (`baton_nodes.lease_until`, on the database's clock, so nodes' clocks need not agree)
//! and renews it while it lives. A running execution is held by one node (`executions.owner`) under a claim whose
//! number is its `epoch`: a node claims executions that nobody holds, or whose holder's lease has run out, taking the
//! next epoch, and steps written under an older epoch are refused (`steps.rs`), so a node that lost its executions
//! (paused, cut off) writes nothing for them. A node that leaves lets go of its executions at once.
//!
//! Each statement here is one autocommit statement on a pooled connection: a claim is one `UPDATE` over the rows it
//! picks with `FOR UPDATE SKIP LOCKED`, so nodes claiming at once take different executions, and a claim waits for
//! a batch that is writing a step of the same execution (the batch locks it) and the other way round.

use crate::postgres::{Postgres, db, rows::sql_id};
use crate::{Claimed, Error, Node};

/// Now, in milliseconds since the epoch, on the database's clock.
const NOW: &str = "(extract(epoch FROM clock_timestamp()) * 1000)::BIGINT";

/// An execution (`e`) whose holder's lease has run out (a node that is gone without leaving keeps its row, lapsed).
/// With `owner IS NULL` (nobody holds it), what a node may claim; both read the partial index `executions_by_owner`,
/// so a database of a million parked executions held by live nodes answers without reading them.
const LAPSED_OWNER: &str = "e.owner = ANY(ARRAY(SELECT n.id FROM baton_nodes n \
    WHERE n.lease_until < (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT))";

impl Postgres {
    /// Registers node `node` (its `id`, `address`, `version`, `engine_version`, `started`) with a lease of
    /// `lease_ms`; joining again with the same id renews it.
    pub async fn join(&self, node: &Node, lease_ms: i64) -> Result<(), Error> {
        let sql = format!(
            "INSERT INTO baton_nodes (id, address, version, engine_version, started, lease_until) \
             VALUES ($1, $2, $3, $4, $5, {NOW} + $6) \
             ON CONFLICT (id) DO UPDATE SET address = $2, lease_until = {NOW} + $6"
        );
        let engine_version = i64::from(node.engine_version);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
            [&node.id, &node.address, &node.version, &engine_version, &node.started, &lease_ms];
        self.reader().await?.execute(&sql, &params).await.map_err(db)?;
        Ok(())
    }

    /// Renews the lease of node `id` for `lease_ms` more. Returns whether it had run out before (others may have
    /// claimed some of its executions since: `owned` says which it still holds). `NotFound` when the node left or was
    /// never registered.
    pub async fn renew(&self, id: &str, lease_ms: i64) -> Result<bool, Error> {
        let sql = format!(
            "UPDATE baton_nodes n SET lease_until = {NOW} + $2 FROM (SELECT lease_until FROM baton_nodes WHERE id = $1) \
             AS old WHERE n.id = $1 RETURNING old.lease_until < {NOW}"
        );
        let row = self.reader().await?.query_opt(&sql, &[&id, &lease_ms]).await.map_err(db)?;
        match row {
            Some(row) => row.try_get::<_, bool>(0).map_err(db),
            None => Err(Error::NotFound(id.to_owned())),
        }
    }

    /// Node `id` leaves: it lets go of every execution it holds (others claim them at once) and is no longer listed.
    pub async fn leave(&self, id: &str) -> Result<(), Error> {
        let mut conn = self.reader().await?;
        conn.execute("UPDATE executions SET owner = NULL WHERE owner = $1 AND status = 'RUNNING'", &[&id])
            .await
            .map_err(db)?;
        conn.execute("DELETE FROM baton_nodes WHERE id = $1", &[&id]).await.map_err(db)?;
        Ok(())
    }

    /// Claims for node `id` at most `limit` running executions that nobody holds or whose holder's lease ran out,
    /// oldest first, each at its next epoch. Claims nothing while `id`'s own lease has run out (it must renew first),
    /// and only executions written in a replay format it reads (`engine_version` up to its own): during a rolling
    /// upgrade, executions a newer node started wait for a newer node.
    pub async fn claim(&self, id: &str, limit: usize) -> Result<Vec<Claimed>, Error> {
        // One statement per kind of free execution, each an ordered walk of the owner index that stops at `limit`
        // (one statement with both would gather and sort every free execution at each claim).
        let mut claimed = self.claim_where(id, "e.owner IS NULL", limit).await?;
        if claimed.len() < limit {
            claimed.extend(self.claim_where(id, LAPSED_OWNER, limit - claimed.len()).await?);
        }
        Ok(claimed)
    }

    /// `claim` of the running executions whose owner is as `owner` says.
    async fn claim_where(&self, id: &str, owner: &str, limit: usize) -> Result<Vec<Claimed>, Error> {
        let sql = format!(
            "WITH free AS (SELECT e.seq FROM executions e \
               WHERE e.status = 'RUNNING' AND e.map_run_arn IS NULL AND {owner} \
                 AND e.engine_version <= (SELECT me.engine_version FROM baton_nodes me \
                   WHERE me.id = $1 AND me.lease_until >= {NOW}) \
               ORDER BY e.owner, e.seq LIMIT $2 FOR UPDATE SKIP LOCKED) \
             UPDATE executions e SET owner = $1, epoch = e.epoch + 1 FROM free WHERE e.seq = free.seq \
             RETURNING e.arn, e.epoch, EXISTS (SELECT 1 FROM parked p WHERE p.execution = e.seq)"
        );
        let limit = sql_id(limit as u64)?;
        let rows = self.reader().await?.query(&sql, &[&id, &limit]).await.map_err(db)?;
        rows.iter().map(claimed).collect()
    }

    /// The running executions node `id` holds, with their epochs.
    pub async fn owned(&self, id: &str) -> Result<Vec<Claimed>, Error> {
        let sql = "SELECT e.arn, e.epoch, EXISTS (SELECT 1 FROM parked p WHERE p.execution = e.seq) FROM executions e \
                   WHERE e.owner = $1 AND e.status = 'RUNNING' AND e.map_run_arn IS NULL ORDER BY e.seq";
        let rows = self.reader().await?.query(sql, &[&id]).await.map_err(db)?;
        rows.iter().map(claimed).collect()
    }

    /// How many running executions nobody alive holds (waiting to be claimed).
    pub async fn unclaimed(&self) -> Result<u64, Error> {
        let sql = format!(
            "SELECT (SELECT count(*) FROM executions e WHERE e.status = 'RUNNING' AND e.map_run_arn IS NULL \
               AND e.owner IS NULL) + \
             (SELECT count(*) FROM executions e WHERE e.status = 'RUNNING' AND e.map_run_arn IS NULL AND {LAPSED_OWNER})"
        );
        let row = self.reader().await?.query_one(&sql, &[]).await.map_err(db)?;
        Ok(u64::try_from(row.try_get::<_, i64>(0).map_err(db)?).unwrap_or(0))
    }

    /// Forgets what nobody will read again: inbox messages answered before `before` (their senders are gone) and
    /// nodes whose lease ran out before `before` and that hold nothing. Returns how many rows it deleted.
    pub async fn prune(&self, before: i64) -> Result<u64, Error> {
        let mut conn = self.reader().await?;
        let messages = conn
            .execute("DELETE FROM baton_inbox WHERE created < $1 AND answer IS NOT NULL", &[&before])
            .await
            .map_err(db)?;
        let nodes = conn
            .execute(
                "DELETE FROM baton_nodes n WHERE n.lease_until < $1 AND NOT EXISTS (SELECT 1 FROM executions e \
                 WHERE e.owner = n.id AND e.status = 'RUNNING' AND e.map_run_arn IS NULL)",
                &[&before],
            )
            .await
            .map_err(db)?;
        Ok(messages + nodes)
    }

    /// Every node registered (alive or not, until it leaves), oldest first, with how many executions each holds.
    pub async fn nodes(&self) -> Result<Vec<Node>, Error> {
        let sql = format!(
            "SELECT n.id, n.address, n.version, n.engine_version, n.started, n.lease_until, n.lease_until >= {NOW}, \
             (SELECT count(*) FROM executions e WHERE e.owner = n.id AND e.status = 'RUNNING' \
              AND e.map_run_arn IS NULL) \
             FROM baton_nodes n ORDER BY n.started, n.id"
        );
        let rows = self.reader().await?.query(&sql, &[]).await.map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(Node {
                    id: row.try_get(0).map_err(db)?,
                    address: row.try_get(1).map_err(db)?,
                    version: row.try_get(2).map_err(db)?,
                    engine_version: u32::try_from(row.try_get::<_, i64>(3).map_err(db)?).unwrap_or(0),
                    started: row.try_get(4).map_err(db)?,
                    lease_until: row.try_get(5).map_err(db)?,
                    alive: row.try_get(6).map_err(db)?,
                    executions: u64::try_from(row.try_get::<_, i64>(7).map_err(db)?).unwrap_or(0),
                })
            })
            .collect()
    }
}

fn claimed(row: &tokio_postgres::Row) -> Result<Claimed, Error> {
    Ok(Claimed {
        arn: row.try_get(0).map_err(db)?,
        epoch: u64::try_from(row.try_get::<_, i64>(1).map_err(db)?).unwrap_or(0),
        parked: row.try_get(2).map_err(db)?,
    })
}
