//! Several servers on one shared store (PostgreSQL): this node's lease, the executions it claims, and letting them
//! go when it stops.
//!
//! A node joins with a lease of `Config::lease_ms` and renews it every quarter of that. A running execution is held by
//! one node under a claim (`store::Lease`, its epoch one more at each claim), and every step is written under it, so a
//! node whose lease ran out (paused, cut off) and whose executions were claimed meanwhile writes nothing for them: its
//! actors end at their next step, and the renewal that finds the lease had run out ends at once those of the
//! executions it no longer holds. Each round, a node claims its share of the executions nobody alive holds (those of
//! a dead node once its lease runs out, those a node that stopped let go of): the unclaimed count divided among the
//! nodes alive, so survivors split a dead node's work. A claim is committed before the execution is rebuilt, so no
//! effect happens before it. On SQLite, which one process owns, none of this runs.

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use store::{Lease, Node, Store};

use crate::service::actor::{Live, Message};
use crate::service::{Error, Inner, Launch, Service, inbox, internal, lock, now};

/// Most executions one claim takes, so that a node taking over many starts on the first soon.
const CLAIM_BATCH: usize = 1000;

impl Service {
    /// The lease a step of this node is written under at `epoch`, on a shared store; `None` on SQLite.
    pub(crate) fn lease(&self, epoch: u64) -> Option<Lease> {
        self.inner.store.shared().then(|| Lease { node: self.inner.node.clone(), epoch })
    }

    /// At start-up on a shared store: joins the nodes, claims this node's share of the executions nobody alive holds
    /// and resumes them (all live before any acts), and starts the round that renews the lease and claims more.
    pub(crate) async fn join_cluster(&self) -> Result<(), Error> {
        self.join().await?;
        let launches = self.claim_share().await?;
        for launch in launches {
            launch.spawn();
        }
        let inner = Arc::downgrade(&self.inner);
        let tasks = [
            tokio::spawn(rounds(inner.clone(), self.inner.config.lease_ms)),
            tokio::spawn(inbox::listen(inner.clone())),
            tokio::spawn(inbox::serve(inner)),
        ];
        lock(&self.inner.background).extend(tasks);
        Ok(())
    }

    /// Claims this node's share of the unclaimed executions, `CLAIM_BATCH` at a time, and makes live those that are
    /// not parked (the parked ones come back when due, `park`); returns their actors to spawn.
    async fn claim_share(&self) -> Result<Vec<Launch>, Error> {
        let store = &self.inner.store;
        let unclaimed = store.unclaimed().await.map_err(internal)?;
        if unclaimed == 0 {
            return Ok(Vec::new());
        }
        let alive = store.nodes().await.map_err(internal)?.iter().filter(|node| node.alive).count().max(1) as u64;
        let mut share = usize::try_from(unclaimed.div_ceil(alive)).unwrap_or(usize::MAX);
        let mut launches = Vec::new();
        while share > 0 {
            let batch = share.min(CLAIM_BATCH);
            let claimed = store.claim(&self.inner.node, batch).await.map_err(internal)?;
            share = if claimed.len() < batch { 0 } else { share - batch };
            // A parked execution is only claimed: it wakes here when due.
            for claim in claimed.into_iter().filter(|claim| !claim.parked) {
                let Some(recovered) = store.recovered(&claim.arn).await.map_err(internal)? else { continue };
                if recovered.epoch != claim.epoch {
                    // Claimed again by another node already.
                    continue;
                }
                if let Some(stale) = lock(&self.inner.live).remove(&claim.arn) {
                    // An actor of an older claim of this node (its lease ran out, the execution came back): it ends.
                    stop(&stale);
                }
                launches.extend(self.resume(recovered).await);
            }
        }
        if !launches.is_empty() {
            tracing::info!(count = launches.len(), node = %self.inner.node, "claimed executions");
        }
        Ok(launches)
    }

    /// One round: renews the lease (ending the actors of executions others took if it had run out), then claims.
    async fn round(&self) -> Result<(), Error> {
        let lapsed = match self.inner.store.renew(&self.inner.node, self.inner.config.lease_ms).await {
            Ok(lapsed) => lapsed,
            Err(store::Error::NotFound(_)) => {
                // Removed from the nodes (by an operator): join again, holding nothing.
                self.join().await?;
                true
            }
            Err(error) => return Err(internal(error)),
        };
        if lapsed {
            self.drop_lost().await?;
        }
        for launch in self.claim_share().await? {
            launch.spawn();
        }
        Ok(())
    }

    /// Registers this node (again) with a fresh lease.
    async fn join(&self) -> Result<(), Error> {
        let node = Node {
            id: self.inner.node.to_string(),
            address: self.inner.config.address.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            engine_version: engine::REPLAY_VERSION,
            started: now(),
            lease_until: 0,
            alive: true,
            executions: 0,
        };
        self.inner.store.join(&node, self.inner.config.lease_ms).await.map_err(internal)
    }

    /// After the lease ran out: ends the actors of the executions this node no longer holds.
    async fn drop_lost(&self) -> Result<(), Error> {
        let owned = self.inner.store.owned(&self.inner.node).await.map_err(internal)?;
        let held: HashSet<(String, u64)> = owned.into_iter().map(|claim| (claim.arn, claim.epoch)).collect();
        let lost: Vec<(String, Live)> = {
            let mut live = lock(&self.inner.live);
            let gone: Vec<String> = live
                .iter()
                .filter(|(arn, live)| !live.lease_epoch.is_some_and(|epoch| held.contains(&((*arn).clone(), epoch))))
                .map(|(arn, _)| arn.clone())
                .collect();
            gone.into_iter().filter_map(|arn| live.remove(&arn).map(|l| (arn, l))).collect()
        };
        for (arn, live) in &lost {
            lock(&self.inner.watched).remove(arn);
            stop(live);
        }
        if !lost.is_empty() {
            tracing::warn!(count = lost.len(), node = %self.inner.node, "this node's lease ran out; executions other nodes took over end here");
        }
        Ok(())
    }

    /// At shutdown, once the actors were told to stop: lets go of every execution, so the other nodes claim them at
    /// once rather than after the lease. Waits a little (two seconds in all) for the actors to commit what they folded
    /// first.
    pub(crate) async fn leave_cluster(&self, stopped: &[Live]) {
        if !self.inner.store.shared() {
            return;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        for live in stopped {
            let _ = tokio::time::timeout_at(deadline, live.sender.closed()).await;
        }
        if let Err(error) = self.inner.store.leave(&self.inner.node).await {
            tracing::warn!(%error, "cannot hand the executions over; other nodes take them once the lease runs out");
        }
    }
}

/// Ends an actor without another step: it commits what it folded (under its claim, refused if that is lost) and ends.
fn stop(live: &Live) {
    live.watch.stop();
    let _ = live.sender.send(Message::Shutdown);
}

/// Renews the lease and claims, every quarter of the lease, while the service lives; every `PRUNE_EVERY`, forgets
/// old answered inbox messages and nodes long gone.
async fn rounds(inner: Weak<Inner>, lease_ms: i64) {
    let every = Duration::from_millis(u64::try_from(lease_ms / 4).unwrap_or(1).max(50));
    let mut pruned = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else { return };
        if inner.shutting_down() {
            return;
        }
        let service = Service { inner, account: None };
        if let Err(error) = service.round().await {
            tracing::warn!(%error, "cannot renew this node's lease or claim executions now");
        }
        if pruned.elapsed() >= PRUNE_EVERY {
            pruned = tokio::time::Instant::now();
            let before = now().saturating_sub(KEEP_MS);
            if let Err(error) = service.inner.store.prune(before).await {
                tracing::warn!(%error, "cannot prune old inbox messages and nodes now");
            }
        }
    }
}

/// How often a node prunes the inbox and the nodes, and how old what it prunes must be (an hour).
const PRUNE_EVERY: Duration = Duration::from_secs(600);
const KEEP_MS: i64 = 3_600_000;
