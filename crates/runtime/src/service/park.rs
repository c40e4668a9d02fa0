//! Parking: an execution that waits only for timers, the first further ahead than `Config::park_after_ms`, leaves
//! memory until it is nearly due, so that executions sleeping in long Waits and retry intervals cost disk, not memory.
//!
//! The store keeps the wake time (the first timer's due time) beside the execution's steps. The step after which the
//! execution waits carries it (`Append::park`, set by `mark_park` when the batch is folded, or by `start` for a first
//! step), so parking usually costs no write of its own; `Store::park` sets it otherwise. Once the actor is idle with
//! nothing but that timer ahead, it leaves the live set and ends (`Actor::park`): its engine state, timers and
//! channel are dropped. Parking adds no trigger and no event, so the history is the one an execution kept in memory
//! writes.
//!
//! An execution comes back by `Service::adopt`, the rebuild from its triggers that recovery uses, which arms its timers
//! again: `wake_loop` wakes the parked executions a little before they are due, and `Service::deliver` wakes one that
//! a message is for (StopExecution, UpdateMapRun) and then hands the message over. Its next step wakes it in the
//! store too. Start-up does not read parked executions at all; the loop finds them when they are due.
//!
//! Not parked: Express executions, executions on virtual time (their clock skips ahead instead), executions of a mock
//! test case (a rebuild would not know the test case), and anything with a task in flight or work left over.

use std::collections::HashMap;
use std::sync::Weak;
use std::time::Duration;

use tokio::sync::mpsc::error::SendError;
use tokio::task::JoinSet;

use engine::{Command, Status, TimerId};
use store::{Append, Parked, Store};

use crate::resources::Resources;
use crate::service::actor::{Actor, Live, Message};
use crate::service::{Config, Error, Inner, Service, internal, lock, now};

/// Parked executions read per page by the wake-up loop.
const DUE_PAGE: usize = 500;
/// Parked executions the wake-up loop rebuilds at once.
const WAKE_AT_ONCE: usize = 16;
/// How many times a message is sent again to an execution that parked or was woken while it was being sent.
const DELIVERY_ATTEMPTS: usize = 4;

/// What became of a message for an execution (`Service::deliver`).
pub(crate) enum Handed {
    /// Its actor has it: the handle of the live execution.
    Sent(Live),
    /// The execution does not run here (it ended, or this server leaves it alone): the message was dropped.
    NotHere,
}

/// What `revive` did with a message.
enum Revival {
    Sent(Live),
    /// Another path made the execution live meanwhile: send to that actor.
    Raced(Message),
    NotHere,
}

/// When an execution may sleep until, out of memory: the due time of its first timer (`first_timer`), if that is more
/// than `Config::park_after_ms` after `now` and nothing else is awaited (no task, no work left over).
pub(crate) fn wake_time(
    config: &Config,
    durable: bool,
    resources: &Resources,
    execution: &engine::Execution,
    first_timer: Option<i64>,
    now: i64,
) -> Option<i64> {
    if config.park_after_ms == 0 || config.virtual_time || !durable || resources.mocks.is_some() {
        return None;
    }
    if !matches!(execution.status(), Status::Running) || execution.has_work() || execution.pending_tasks().next().is_some()
    {
        return None;
    }
    let at = first_timer?;
    let after = i64::try_from(config.park_after_ms).unwrap_or(i64::MAX);
    (at.saturating_sub(now) > after).then_some(at)
}

/// The due time of the first timer armed once `commands` are performed, from the timers armed now.
pub(crate) fn first_timer<'a>(
    armed: impl IntoIterator<Item = (TimerId, i64)>,
    commands: impl IntoIterator<Item = &'a Command>,
) -> Option<i64> {
    let mut timers: HashMap<TimerId, i64> = armed.into_iter().collect();
    for command in commands {
        match command {
            Command::StartTimer { timer, at } => {
                timers.insert(*timer, *at);
            }
            Command::CancelTimer { timer } => {
                timers.remove(timer);
            }
            Command::InvokeTask(_) | Command::CancelTask { .. } => {}
        }
    }
    timers.into_values().min()
}

impl Actor {
    /// Marks the last step of a folded batch as parking the execution when, after the batch, it waits only for a timer
    /// far enough ahead: the commit then records the wake time, and `park` needs no write of its own.
    pub(crate) fn mark_park(&self, steps: &mut [(Append, Vec<Command>)]) {
        if self.broken {
            return;
        }
        let armed = self.timers.iter().map(|(timer, (_, at))| (*timer, *at));
        let first = first_timer(armed, steps.iter().flat_map(|(_, commands)| commands));
        let park = wake_time(&self.inner.config, self.durable, &self.resources, &self.execution, first, self.clock());
        if let Some((last, _)) = steps.last_mut() {
            last.park = park;
        }
    }

    /// Parks the execution if it waits only for a timer far enough ahead and no message is queued: makes sure the
    /// store holds the wake time, leaves the live set, and stops the timers. `true` when it did: the actor's task
    /// ends, and the execution is out of memory until it is woken. A message queued meanwhile is answered (a read)
    /// or handed to the execution woken again (a change).
    pub(crate) async fn park(&mut self) -> bool {
        if self.broken || !self.task_tokens.is_empty() || !self.jobs.is_empty() || !self.receiver.is_empty() {
            return false;
        }
        let first = self.timers.values().map(|(_, at)| *at).min();
        let Some(at) = wake_time(&self.inner.config, self.durable, &self.resources, &self.execution, first, self.clock())
        else {
            return false;
        };
        let arn = self.record.arn.clone();
        if self.parked != Some(at) {
            if let Err(error) = self.inner.store.park(&arn, at).await {
                tracing::warn!(execution_arn = %arn, %error, "cannot park an execution; it stays in memory");
                return false;
            }
            self.parked = Some(at);
        }
        let left = {
            let mut live = lock(&self.inner.live);
            // Not in the live set: the service shuts down or resets, and a `Shutdown` is on its way.
            if !live.get(&arn).is_some_and(|live| live.sender.same_channel(&self.sender)) {
                return false;
            }
            // Closed under the lock: a sender that finds the execution live from now on gets its message back, and
            // wakes the execution (`deliver`).
            self.receiver.close();
            let mut left = Vec::new();
            while let Ok(message) = self.receiver.try_recv() {
                left.push(message);
            }
            live.remove(&arn);
            left
        };
        lock(&self.inner.watched).remove(&arn);
        self.stop_timers();
        tracing::debug!(execution_arn = %arn, wake_at = at, "parked an execution until its timer is due");
        self.hand_over(left);
        true
    }

    /// The messages that reached a parking actor: reads are answered from the committed state, changes go to the
    /// execution woken again, and the rest is stale (no task runs; the timers come back with the execution).
    fn hand_over(&self, left: Vec<Message>) {
        let mut again = Vec::new();
        for message in left {
            match message {
                Message::Inspect(reader) => self.read(reader),
                Message::Stop { .. }
                | Message::UpdateMapRun { .. }
                | Message::Callback(..)
                | Message::Started(..)
                | Message::Heartbeat(..) => again.push(message),
                Message::Task(..) | Message::Submitted(..) | Message::Timer(_) | Message::Shutdown => {}
            }
        }
        if again.is_empty() {
            return;
        }
        let service = Service { inner: self.inner.clone(), account: None };
        let arn = self.record.arn.clone();
        tokio::spawn(async move {
            for message in again {
                match service.deliver(&arn, message).await {
                    Ok(Handed::Sent(_) | Handed::NotHere) => {}
                    Err(error) => tracing::warn!(execution_arn = %arn, %error, "cannot wake a parked execution for a message"),
                }
            }
        });
    }
}

impl Service {
    /// Sends `message` to the actor of the running execution `arn`, waking the execution first if it is parked (or has
    /// no actor here after a storage error). `NotHere` (the message dropped) when the execution does not run here: it
    /// ended, it does not exist, or this server leaves it alone (`quarantined`).
    pub(crate) async fn deliver(&self, arn: &str, mut message: Message) -> Result<Handed, Error> {
        for _ in 0..DELIVERY_ATTEMPTS {
            let live = lock(&self.inner.live).get(arn).cloned();
            if let Some(live) = live {
                match live.sender.send(message) {
                    Ok(()) => return Ok(Handed::Sent(live)),
                    // It ended or parked since: look again.
                    Err(SendError(back)) => {
                        message = back;
                        continue;
                    }
                }
            }
            if lock(&self.inner.quarantined).contains_key(arn) {
                return Ok(Handed::NotHere);
            }
            match self.revive(arn, message).await? {
                Revival::Sent(live) => return Ok(Handed::Sent(live)),
                Revival::Raced(back) => message = back,
                Revival::NotHere => return Ok(Handed::NotHere),
            }
        }
        Ok(Handed::NotHere)
    }

    /// Rebuilds a running execution that has no actor here and queues `message` for its actor before the actor starts,
    /// so that it cannot park again before the message is folded.
    async fn revive(&self, arn: &str, message: Message) -> Result<Revival, Error> {
        let Some(recovered) = self.inner.store.recovered(arn).await.map_err(internal)? else {
            return Ok(Revival::NotHere);
        };
        if recovered.execution.status != store::Status::Running || recovered.execution.map_run_arn.is_some() {
            return Ok(Revival::NotHere);
        }
        if self.inner.store.shared() && recovered.owner.as_deref() != Some(&*self.inner.node) {
            // Another node holds it: only that node may run it (calls reach it through the inbox).
            return Ok(Revival::NotHere);
        }
        if lock(&self.inner.live).contains_key(arn) {
            return Ok(Revival::Raced(message));
        }
        let Some(launch) = self.resume(recovered).await else {
            let raced = lock(&self.inner.live).contains_key(arn);
            return Ok(if raced { Revival::Raced(message) } else { Revival::NotHere });
        };
        let live = lock(&self.inner.live).get(arn).cloned();
        let revival = match live {
            Some(live) => match live.sender.send(message) {
                Ok(()) => Revival::Sent(live),
                Err(_) => Revival::NotHere,
            },
            // The service shut down meanwhile.
            None => Revival::NotHere,
        };
        launch.spawn();
        Ok(revival)
    }

    /// Wakes every parked execution due at `before`, a few at a time; each is rebuilt and arms its timers again.
    async fn wake_due(&self, before: i64) {
        let mut after: Option<Parked> = None;
        let mut waking = JoinSet::new();
        loop {
            let page = match self.inner.store.due(before, after.clone(), DUE_PAGE).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(%error, "cannot read the parked executions that are due; trying again shortly");
                    break;
                }
            };
            let full = page.len() == DUE_PAGE;
            after = page.last().cloned();
            for parked in page {
                let arn = parked.execution_arn;
                if lock(&self.inner.live).contains_key(&arn) || lock(&self.inner.quarantined).contains_key(&arn) {
                    continue;
                }
                while waking.len() >= WAKE_AT_ONCE {
                    waking.join_next().await;
                }
                let service = self.clone();
                waking.spawn(async move {
                    if let Err(error) = service.adopt(&arn).await {
                        tracing::warn!(execution_arn = %arn, %error, "cannot wake a parked execution; trying again shortly");
                    }
                });
            }
            if !full {
                break;
            }
        }
        while waking.join_next().await.is_some() {}
    }
}

/// Wakes parked executions shortly before they are due, every quarter of `Config::park_after_ms` (at most every
/// second), half of it ahead: an execution woken then is not parked again, its timer being too close. It runs whether
/// or not this server parks, for the executions an earlier one parked.
pub(crate) async fn wake_loop(inner: Weak<Inner>, park_after_ms: u64) {
    let after = if park_after_ms == 0 { crate::DEFAULT_PARK_AFTER_MS } else { park_after_ms };
    let tick = Duration::from_millis((after / 4).clamp(20, 1000));
    let ahead = i64::try_from(tick.as_millis() * 2).unwrap_or(0);
    loop {
        tokio::time::sleep(tick).await;
        let Some(inner) = inner.upgrade() else { return };
        if inner.shutting_down() {
            return;
        }
        Service { inner, account: None }.wake_due(now().saturating_add(ahead)).await;
    }
}
