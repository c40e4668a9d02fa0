//! The tasks of a running execution that wait for their tokens, for the console to show them with their tokens and
//! buttons that send `SendTaskSuccess` or `SendTaskFailure`.
//!
//! A token is out once a callback's request was made (`TaskSubmitted`) or a worker took an activity task
//! (`TaskStarted`); before that it is not shown, since nobody outside could hold it yet. An execution live here is
//! asked through its actor (`Message::Inspect`, answered once the messages before it are committed), so the answer
//! is what the committed history says. One live on another node of a shared store is rebuilt from its stored
//! triggers, as recovery would (`Rebuilt::awaiting`). A running execution that is live nowhere waits on timers only
//! (it is parked: an actor with tokens out never parks) or is about to be adopted: it has none.

use tokio::sync::oneshot;

use store::Store;

use crate::service::actor::{Message, Read};
use crate::service::{Error, Service, WaitingTask, internal, lock, names};

impl Service {
    /// The tasks of execution `arn` whose tokens are out, oldest first; none once it has ended. Another account's
    /// execution does not exist for a service scoped to one.
    pub async fn waiting_tasks(&self, arn: &str) -> Result<Vec<WaitingTask>, Error> {
        names::check_execution_arn(arn)?;
        if !self.sees(arn) {
            return Err(Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'")));
        }
        let live = lock(&self.inner.live).get(arn).cloned();
        if let Some(live) = live {
            let (reader, answer) = oneshot::channel();
            if live.sender.send(Message::Inspect(Read::Waiting(reader))).is_ok()
                && let Ok(waiting) = answer.await
            {
                return Ok(waiting);
            }
            // It ended meanwhile: nothing waits any more.
            return Ok(Vec::new());
        }
        if !self.inner.store.shared() {
            return Ok(Vec::new());
        }
        let Some(recovered) = self.inner.store.recovered(arn).await.map_err(internal)? else {
            return Err(Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{arn}'")));
        };
        // A parked execution waits on timers only.
        if recovered.execution.status != store::Status::Running || recovered.parked.is_some() {
            return Ok(Vec::new());
        }
        let record = recovered.execution;
        let rebuilt = self.rebuild_blocking(&record, recovered.triggers, false).await?;
        let routes = crate::integration::Routes::of(rebuilt.execution.machine());
        let mut waiting: Vec<WaitingTask> = rebuilt
            .awaiting
            .into_iter()
            .filter_map(|awaiting| {
                let request = awaiting.request;
                let activity = routes.get(&request.resource).kind() == crate::integration::Kind::Activity;
                Some(WaitingTask {
                    token: request.token?,
                    state_name: request.state_name,
                    resource: request.resource,
                    scheduled_event: request.scheduled_event.map(u64::from),
                    activity,
                })
            })
            .collect();
        waiting.sort_by(|a, b| (a.scheduled_event, &a.token).cmp(&(b.scheduled_event, &b.token)));
        Ok(waiting)
    }
}
