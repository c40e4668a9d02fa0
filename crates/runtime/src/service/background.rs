//! What the service does on its own, beside the API: the watchdog that cuts off JSONata evaluations that run too
//! long, the adoption of executions whose actor stopped on a storage error, the waking of parked executions
//! (`park::wake_loop`), the retention of closed executions and of ended Express executions, and the delivery of
//! status-change events (`events::deliver`).
//!
//! Each is a tokio task holding only a weak reference to the service, so a dropped service ends them, and
//! `Service::shutdown` aborts them.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use store::Store;

use crate::overrun::{self, Seen};
use crate::service::{Inner, Service, events, lock, now, park};

/// How often the adoption of orphans is tried while there are some.
const ADOPT_EVERY: Duration = Duration::from_secs(2);
/// How often retention looks for closed executions to delete.
const RETAIN_EVERY: Duration = Duration::from_secs(3600);
/// Executions deleted per transaction, so that retention never holds the writer long.
const DELETE_BATCH: usize = 200;
/// How often the Express executions past their retention are dropped from memory.
const SWEEP_EXPRESS_EVERY: Duration = Duration::from_secs(60);

pub(crate) fn start(service: &Service) {
    let inner = Arc::downgrade(&service.inner);
    let mut tasks = Vec::new();
    if service.inner.config.max_evaluation_ms > 0 {
        tasks.push(tokio::spawn(watchdog(inner.clone(), service.inner.config.max_evaluation_ms)));
    }
    tasks.push(tokio::spawn(adoption(inner.clone())));
    tasks.push(tokio::spawn(express_retention(inner.clone())));
    tasks.push(tokio::spawn(park::wake_loop(inner.clone(), service.inner.config.park_after_ms)));
    if let Some(outbox) = &service.inner.outbox {
        tasks.push(tokio::spawn(events::deliver(inner.clone(), outbox.clone())));
    }
    if let Some(retention_ms) = service.inner.config.retention_ms {
        tasks.push(tokio::spawn(retention(inner, retention_ms)));
    }
    lock(&service.inner.background).extend(tasks);
}

/// Cuts off every JSONata evaluation that has run for `limit_ms`: it fails with `States.QueryEvaluationError`, and the
/// step records it, so a replay fails it the same way without running it.
async fn watchdog(inner: Weak<Inner>, limit_ms: u64) {
    let limit = Duration::from_millis(limit_ms);
    let mut seen: HashMap<String, Seen> = HashMap::new();
    loop {
        tokio::time::sleep(overrun::tick(limit)).await;
        let Some(inner) = inner.upgrade() else { return };
        let now = Instant::now();
        let watched: Vec<(String, Arc<asl::Watch>)> =
            lock(&inner.watched).iter().map(|(arn, watch)| (arn.clone(), watch.clone())).collect();
        drop(inner);
        let mut still = HashMap::with_capacity(seen.len());
        for (arn, watch) in watched {
            let mut one = seen.remove(&arn).unwrap_or_default();
            let running = watch.running().is_some();
            if one.check(&watch, now, limit) {
                still.insert(arn, one);
            } else if running {
                tracing::warn!(execution_arn = %arn, limit_ms, "a JSONata evaluation ran past its time limit and is cut off");
            }
        }
        seen = still;
    }
}

/// Takes up again the executions whose actor stopped because the store refused a step (a full disk), once there are
/// some, until none is left.
async fn adoption(inner: Weak<Inner>) {
    loop {
        tokio::time::sleep(ADOPT_EVERY).await;
        let Some(inner) = inner.upgrade() else { return };
        if inner.shutting_down() || !inner.orphans.swap(false, std::sync::atomic::Ordering::SeqCst) {
            continue;
        }
        let service = Service { inner, account: None };
        match service.adopt_orphans().await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "took up executions again after a storage error"),
            Err(error) => {
                tracing::warn!(%error, "cannot take up executions yet");
                service.inner.note_orphan();
            }
        }
    }
}

/// Drops the Express executions that ended longer than their retention ago, once a minute, so that memory holds no
/// more than the retention's worth even when no new one starts (reads already miss them).
async fn express_retention(inner: Weak<Inner>) {
    loop {
        tokio::time::sleep(SWEEP_EXPRESS_EVERY).await;
        let Some(inner) = inner.upgrade() else { return };
        let dropped = inner.express.sweep(now());
        if dropped > 0 {
            tracing::debug!(dropped, "dropped Express executions past their retention");
        }
    }
}

/// Deletes closed Standard executions older than `retention_ms` (by their stop date), with their history, at start-up
/// and then every hour. The database reuses the space.
async fn retention(inner: Weak<Inner>, retention_ms: i64) {
    loop {
        let Some(strong) = inner.upgrade() else { return };
        let before = now().saturating_sub(retention_ms);
        let mut deleted = 0;
        loop {
            match strong.store.delete_closed(before, DELETE_BATCH).await {
                Ok(count) => {
                    deleted += count;
                    if count < DELETE_BATCH as u64 {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot delete old executions now");
                    break;
                }
            }
            tokio::task::yield_now().await;
        }
        if deleted > 0 {
            tracing::info!(deleted, "deleted closed executions past their retention");
        }
        drop(strong);
        tokio::time::sleep(RETAIN_EVERY).await;
    }
}
