//! Rebuilding executions from their stored triggers: at start-up (`recover`), for a redrive or a read of Map Runs
//! (`rebuild`), after an interrupted fold, and when an execution whose actor stopped on a storage error, or a parked
//! one that is due or has a message, is taken up again (`adopt`, `resume`). Start-up leaves parked executions alone.
//!
//! Recovery is isolated and checked. Each execution is rebuilt on its own, under the panic guard; its replay must
//! give the events the store holds (the same last event id and, for steps that recorded one, the same digest of
//! their wire JSON). One that cannot be rebuilt (an unreadable trigger, a definition this Baton rejects, a panic, a
//! replay that does not give its history) fails with `States.Runtime` and a cause that says why, numbered after its
//! last stored event, and the others go on; one written by a newer engine is left alone for that Baton
//! (`Service::quarantined`). Every execution is live before any of them acts, so a parent finds its `.sync` child
//! running here rather than reading it from the store as it was. A task whose token is out (its `TaskSubmitted`, or
//! an activity's `TaskStarted`, is committed) is not invoked again: it goes on waiting for its token.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use engine::{Command, ExecutionInfo, TaskId, TaskRequest, TimerId, Trigger};
use store::{Event, Execution, Kind, Recovered, Status, Store};

use crate::service::actor::{self, Awaiting, advance_digest};
use crate::service::{Error, Launch, Service, internal, lock, names, now, observe};

/// An execution rebuilt from its triggers (or just started): the engine as after its last step, the commands still
/// outstanding then (timers to arm, tasks to invoke), the tasks that wait for their token, the invocation counts per
/// state for mocks, the digest of its events, and the wake time the store holds if it is parked.
pub(crate) struct Rebuilt {
    pub(crate) execution: engine::Execution,
    pub(crate) commands: Vec<Command>,
    pub(crate) awaiting: Vec<Awaiting>,
    pub(crate) invocations: HashMap<String, u32>,
    pub(crate) digest: u64,
    pub(crate) parked: Option<i64>,
}

impl Service {
    /// Re-folds an execution's stored triggers through a fresh engine, each exactly as it went the first time. With
    /// `prime`, the replayed events also rebuild the execution's open trace spans (`traces::Traces::prime`), for an
    /// execution that is to run here again.
    pub(crate) fn rebuild(&self, record: &Execution, triggers: &[String], prime: bool) -> Result<Rebuilt, Error> {
        let traces = self.inner.traces.as_ref().filter(|_| prime);
        if let Some(traces) = traces {
            traces.forget(&record.arn);
        }
        let machine = self.machine(&record.definition)?;
        let machine_name = names::state_machine_name(&record.state_machine_arn).unwrap_or_default().to_owned();
        let info = ExecutionInfo {
            execution_arn: record.arn.clone(),
            name: record.name.clone(),
            state_machine_arn: record.state_machine_arn.clone(),
            state_machine_name: machine_name,
            role_arn: record.role_arn.clone(),
            region: self.region().to_owned(),
            express: record.kind == Kind::Express,
            version_arn: record.version_arn.clone(),
            alias_arn: record.alias_arn.clone(),
        };
        let mut execution = self.engine(machine, info, record.engine_version);
        let mut tasks: BTreeMap<TaskId, TaskRequest> = BTreeMap::new();
        let mut timers: BTreeMap<TimerId, i64> = BTreeMap::new();
        let mut token_out: HashSet<TaskId> = HashSet::new();
        let mut submitted: HashMap<TaskId, Value> = HashMap::new();
        let mut invocations: HashMap<String, u32> = HashMap::new();
        let mut digest = 0;
        for (n, text) in (1..).zip(triggers) {
            let stored: Option<Value> = serde_json::from_str(text).ok();
            let Some((stored, trigger)) = stored.and_then(|value| Trigger::from_json(&value).map(|t| (value, t))) else {
                let shown: String = text.chars().take(200).collect();
                return Err(Error::Internal(format!("its stored step {n} is unreadable: {shown}")));
            };
            match &trigger {
                Trigger::TimerFired { timer, .. } => {
                    timers.remove(timer);
                }
                Trigger::TaskSubmitted { task, output, .. } => {
                    token_out.insert(*task);
                    submitted.insert(*task, output.clone());
                }
                Trigger::TaskStarted { task, .. } => {
                    token_out.insert(*task);
                }
                _ => {}
            }
            let replayed =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| actor::replay(&mut execution, &stored, trigger)));
            let commands = replayed.map_err(|panic| {
                Error::Internal(format!("replaying its step {n} panicked: {}", actor::panic_message(&panic)))
            })?;
            for command in commands {
                match command {
                    Command::InvokeTask(request) => {
                        *invocations.entry(request.state_name.clone()).or_insert(0) += 1;
                        tasks.insert(request.task, request);
                    }
                    Command::StartTimer { timer, at } => {
                        timers.insert(timer, at);
                    }
                    Command::CancelTimer { timer } => {
                        timers.remove(&timer);
                    }
                    Command::CancelTask { task } => {
                        tasks.remove(&task);
                    }
                }
            }
            let replayed = execution.take_events();
            if let Some(traces) = traces {
                traces.prime(record, &replayed);
            }
            let events: Vec<Event> = replayed.iter().map(|event| Event { id: event.id, json: event.to_json_text() }).collect();
            // The children's events of the steps replayed are stored already.
            drop(execution.take_child_events());
            digest = advance_digest(digest, &events);
        }
        let waiting: HashSet<TaskId> = execution.pending_tasks().collect();
        let mut commands: Vec<Command> = timers.into_iter().map(|(timer, at)| Command::StartTimer { timer, at }).collect();
        let mut awaiting = Vec::new();
        for request in tasks.into_values().filter(|request| waiting.contains(&request.task)) {
            if token_out.contains(&request.task) && request.token.is_some() {
                awaiting.push(Awaiting { request, submitted: None });
                continue;
            }
            if let Some(output) = submitted.remove(&request.task) {
                awaiting.push(Awaiting { request, submitted: Some(output) });
                continue;
            }
            // The task is invoked again, so its invocation counts once more for mocks.
            if let Some(count) = invocations.get_mut(&request.state_name) {
                *count = count.saturating_sub(1);
            }
            commands.push(Command::InvokeTask(request));
        }
        Ok(Rebuilt { execution, commands, awaiting, invocations, digest, parked: None })
    }

    /// `rebuild` on a blocking thread: a replay evaluates again the JSONata its steps evaluated.
    pub(crate) async fn rebuild_blocking(&self, record: &Execution, triggers: Vec<String>, prime: bool) -> Result<Rebuilt, Error> {
        let (service, record) = (self.clone(), record.clone());
        tokio::task::spawn_blocking(move || service.rebuild(&record, &triggers, prime))
            .await
            .map_err(|error| Error::Internal(format!("rebuilding an execution failed: {error}")))?
    }

    /// Rebuilds every running execution that is not parked and resumes it, each on its own; every one is live before
    /// any acts. Parked executions come back when they are due (`park`). On a shared store, joins the nodes and claims
    /// its share of the executions nobody alive holds instead (`cluster`).
    pub(crate) async fn recover(&self) -> Result<(), Error> {
        if self.inner.store.shared() {
            return self.join_cluster().await;
        }
        let running = self.inner.store.running().await.map_err(internal)?;
        let mut launches = Vec::with_capacity(running.len());
        for recovered in running {
            launches.extend(self.resume(recovered).await);
        }
        for launch in launches {
            launch.spawn();
        }
        Ok(())
    }

    /// Takes up again a running execution that has no actor here (its actor stopped on a storage error, or it is
    /// parked and due).
    pub(crate) async fn adopt(&self, arn: &str) -> Result<(), Error> {
        let Some(recovered) = self.inner.store.recovered(arn).await.map_err(internal)? else { return Ok(()) };
        if recovered.execution.status != Status::Running || lock(&self.inner.live).contains_key(arn) {
            return Ok(());
        }
        if self.inner.store.shared() && recovered.owner.as_deref() != Some(&*self.inner.node) {
            // Another node holds it (or will claim it): only that node may run it.
            return Ok(());
        }
        if let Some(launch) = self.resume(recovered).await {
            launch.spawn();
        }
        Ok(())
    }

    /// Adopts every running execution that has no actor here; returns how many it tried.
    pub(crate) async fn adopt_orphans(&self) -> Result<usize, Error> {
        let arns = if self.inner.store.shared() {
            let owned = self.inner.store.owned(&self.inner.node).await.map_err(internal)?;
            owned.into_iter().map(|claimed| claimed.arn).collect()
        } else {
            self.inner.store.running_arns().await.map_err(internal)?
        };
        let orphans: Vec<String> = {
            let live = lock(&self.inner.live);
            let quarantined = lock(&self.inner.quarantined);
            arns.into_iter().filter(|arn| !live.contains_key(arn) && !quarantined.contains_key(arn)).collect()
        };
        for arn in &orphans {
            self.adopt(arn).await?;
        }
        Ok(orphans.len())
    }

    /// Rebuilds one running execution, checks the replay against the store, and makes it live; or fails it (or leaves
    /// it alone) and says why. `None` when it is not to run here.
    pub(crate) async fn resume(&self, recovered: Recovered) -> Option<Launch> {
        let Recovered { execution: record, triggers, last_event, digest, epoch, parked, .. } = recovered;
        let lease = self.lease(epoch);
        let arn = record.arn.clone();
        if record.engine_version > engine::REPLAY_VERSION {
            let why = format!(
                "it was written by a newer Baton (replay format {}, this one reads up to {})",
                record.engine_version,
                engine::REPLAY_VERSION
            );
            tracing::warn!(execution_arn = %arn, "not resuming an execution: {why}");
            lock(&self.inner.quarantined).insert(arn, why);
            return None;
        }
        let steps = triggers.len();
        let checked = self.rebuild_blocking(&record, triggers, true).await.and_then(|rebuilt| {
            let (events, replayed) = (rebuilt.execution.event_count(), rebuilt.digest);
            let running = matches!(rebuilt.execution.status(), engine::Status::Running);
            if events == last_event && digest.is_none_or(|stored| stored == replayed) && running {
                return Ok(rebuilt);
            }
            Err(Error::Internal(format!(
                "replaying its {} stored steps gave {events} events{} where {last_event} are stored{}; it was written \
                 with replay format {} and this Baton has {}",
                steps,
                if running { "" } else { " and ended it" },
                if digest.is_some_and(|stored| stored != replayed) { " with other contents" } else { "" },
                record.engine_version,
                engine::REPLAY_VERSION,
            )))
        });
        let mut rebuilt = match checked {
            Ok(rebuilt) => rebuilt,
            Err(error) => {
                let cause = format!("Baton cannot resume this execution: {error}");
                tracing::error!(execution_arn = %arn, "{cause}");
                let (mut fail, event) = actor::fail_step(&arn, last_event, now(), &cause, &mut digest.unwrap_or(0));
                fail.lease = lease;
                if let Some(outbox) = &self.inner.outbox {
                    outbox.stage(&record, &mut fail, false);
                }
                let ending = fail.ending.clone();
                if let Err(error) = self.inner.store.append(vec![fail]).await {
                    tracing::error!(execution_arn = %arn, %error, "cannot record that the execution failed; trying again later");
                    self.inner.note_orphan();
                } else if let Some(ending) = ending {
                    let mut record = record.clone();
                    record.end(ending);
                    observe::committed(&self.inner, &observe::Committed { execution: &record, events: &[event] });
                }
                return None;
            }
        };
        let machine_name = names::state_machine_name(&record.state_machine_arn).unwrap_or_default().to_owned();
        let resources = match self.resources(&machine_name, None) {
            Ok(resources) => resources,
            Err(error) => {
                tracing::error!(execution_arn = %arn, %error, "cannot resume an execution");
                return None;
            }
        };
        rebuilt.parked = parked;
        self.prepare(rebuilt, record, true, resources, lease).map(|(launch, _)| launch)
    }
}
