//! Handing out the outbox's messages on a database several nodes share: each round claims what it takes, in one
//! autocommit statement over rows picked `FOR UPDATE SKIP LOCKED`, so two nodes never take the same message at once.
//!
//! A claim moves a message's `next_try` to the claim's end: until then it is not due, so no node (this one included)
//! takes it again; after it, any node does, so a message whose claimant died before settling it is still delivered
//! (at least once). Settling (`Op::SettleOutbox`, through the writer) deletes a delivered message or sets the next try
//! of a failed one. A message is taken only while no older one of its execution to its destination is left, claimed
//! or not, so one execution's messages to one destination go out in the order they were written, across nodes too.

use crate::postgres::{Postgres, db};
use crate::{Error, Outbound};

/// Claims the due first messages of their chains (`$1` destinations, `$2` now, `$3` the claim's end, `$4` how many).
const CLAIM: &str = "UPDATE baton_outbox SET next_try = $3 WHERE id IN (\
     SELECT o.id FROM baton_outbox o WHERE o.next_try <= $2 AND o.destination = ANY($1) \
     AND NOT EXISTS (SELECT 1 FROM baton_outbox p WHERE p.destination = o.destination \
     AND p.execution_arn = o.execution_arn AND p.id < o.id) \
     ORDER BY o.next_try, o.id LIMIT $4 FOR UPDATE OF o SKIP LOCKED) \
     RETURNING id, destination, execution_arn, body, attempts";

impl Postgres {
    /// `Store::outbox_due`: claims what it returns until `until`.
    pub(crate) async fn claim_outbox(
        &self,
        destinations: &[String],
        now: i64,
        until: i64,
        limit: usize,
    ) -> Result<Vec<Outbound>, Error> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.reader().await?.query(CLAIM, &[&destinations, &now, &until, &limit]).await.map_err(db)?;
        let mut taken = rows
            .iter()
            .map(|row| {
                Ok(Outbound {
                    id: row.try_get(0).map_err(db)?,
                    destination: row.try_get(1).map_err(db)?,
                    execution_arn: row.try_get(2).map_err(db)?,
                    body: row.try_get(3).map_err(db)?,
                    attempts: u32::try_from(row.try_get::<_, i64>(4).map_err(db)?).unwrap_or(u32::MAX),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        // `RETURNING` keeps no order.
        taken.sort_by_key(|message| message.id);
        Ok(taken)
    }
}
