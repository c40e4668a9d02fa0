//! Map Runs: DescribeMapRun, ListMapRuns and UpdateMapRun over the distributed Map runs the engine keeps.
//!
//! A Map Run ARN names its execution (`…:mapRun:<machine>/<label>:<executionName>-<n>`, see
//! `engine::map_run_execution`), so no index is kept: a running execution is asked through its actor
//! (`Message::Inspect`, answered after the messages before it are committed, with no step of its own), and a
//! finished one is rebuilt from its stored triggers. UpdateMapRun goes through the actor as a message, so it is
//! committed as a step (`Trigger::UpdateMapRun`) like any other and survives a restart.
//!
//! RedriveExecution redrives the Map Run of a distributed Map the execution stopped in (the engine folds it from the
//! `Redrive` trigger): the same ARN runs again, with its `redrive_count`, `redrive_date` and counters, and can be
//! updated again while it runs.
//!
//! Express executions keep no triggers in the store: their Map runs are readable only while they run. A Map Run's
//! child executions are execution records with its ARN (`map_run_arn`), which ListExecutions by `mapRunArn` pages
//! from the store (`list_map_run_executions`).

use tokio::sync::oneshot;

pub use engine::{MapRunCounts, MapRunInfo, MapRunStatus};
use store::Store;

use crate::service::actor::{Ack, Message, Read};
use crate::service::inbox::Delivery;
use crate::service::park::Handed;
use crate::service::{Error, Execution, Page, PageRequest, Service, Status, internal, lock, names, now};

/// One Map Run, with the execution that started it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapRun {
    pub execution_arn: String,
    /// The state machine the execution runs.
    pub state_machine_arn: String,
    pub info: MapRunInfo,
}

/// `UpdateMapRun`: what is `Some` changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateMapRun {
    pub map_run_arn: String,
    pub max_concurrency: Option<u64>,
    pub tolerated_failure_count: Option<u64>,
    pub tolerated_failure_percentage: Option<f64>,
}

/// The ARN of the execution that started the Map Run `map_run_arn` (a Map Run ARN names it, see the module
/// header); `None` if it is not a Map Run ARN Baton made. Reads nothing: the console links a child execution to its
/// parent with it, on every poll.
pub fn map_run_parent(map_run_arn: &str) -> Option<String> {
    engine::map_run_execution(map_run_arn)
}

impl Service {
    /// `DescribeMapRun`.
    pub async fn describe_map_run(&self, arn: &str) -> Result<MapRun, Error> {
        let execution_arn = map_run_execution(arn)?;
        let Some((record, runs)) = self.map_runs_of(&execution_arn).await? else { return Err(not_found(arn)) };
        let info = runs.into_iter().find(|run| run.arn == arn).ok_or_else(|| not_found(arn))?;
        Ok(MapRun { execution_arn, state_machine_arn: record.state_machine_arn, info })
    }

    /// `ListMapRuns`: the execution's Map Runs in the order they started.
    pub async fn list_map_runs(&self, execution_arn: &str, page: PageRequest) -> Result<Page<MapRun>, Error> {
        names::check_execution_arn(execution_arn)?;
        let Some((record, runs)) = self.map_runs_of(execution_arn).await? else {
            return Err(Error::ExecutionDoesNotExist(format!("Execution Does Not Exist: '{execution_arn}'")));
        };
        let runs = runs
            .into_iter()
            .map(|info| MapRun { execution_arn: record.arn.clone(), state_machine_arn: record.state_machine_arn.clone(), info })
            .collect();
        paged(runs, &page)
    }

    /// `ListExecutions(mapRunArn)`: the Map Run's child executions, newest first.
    pub async fn list_map_run_executions(
        &self,
        map_run_arn: &str,
        status: Option<Status>,
        redriven: Option<bool>,
        page: PageRequest,
    ) -> Result<Page<Execution>, Error> {
        let filter = store::ExecutionFilter { started_with: None, status: status.map(store::Status::from), redriven };
        let listed = self.inner.store.list_map_run_executions(map_run_arn, filter, page.into()).await.map_err(super::paging)?;
        // Children listed, the Map Run exists; only an empty page needs the Map Run itself (which rebuilds a finished
        // parent from its history) to tell an unknown Map Run from one with no such children.
        if listed.items.is_empty() {
            self.describe_map_run(map_run_arn).await?;
        }
        Ok(listed.into())
    }

    /// `UpdateMapRun`: new limits for a running Map Run, committed before this returns.
    pub async fn update_map_run(&self, request: UpdateMapRun) -> Result<(), Error> {
        self.update_map_run_at(request, None).await
    }

    /// `update_map_run`; `inbox` is the message it answers when another node asked. The Map Run of an execution
    /// another node holds is updated through the inbox.
    pub(crate) async fn update_map_run_at(&self, request: UpdateMapRun, inbox: Option<i64>) -> Result<(), Error> {
        let arn = request.map_run_arn.as_str();
        if request.tolerated_failure_percentage.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
            return Err(Error::ValidationException("toleratedFailurePercentage must be between 0 and 100".to_owned()));
        }
        let run = self.describe_map_run(arn).await?;
        if run.info.status != MapRunStatus::Running {
            return Err(completed(arn));
        }
        if request.max_concurrency.is_none() && request.tolerated_failure_count.is_none() && request.tolerated_failure_percentage.is_none() {
            return Ok(());
        }
        let live = lock(&self.inner.live).get(&run.execution_arn).cloned();
        if live.is_none() && inbox.is_none() && self.inner.store.shared() {
            let message = serde_json::json!({
                "kind": "update_map_run",
                "map_run_arn": request.map_run_arn,
                "max_concurrency": request.max_concurrency,
                "tolerated_failure_count": request.tolerated_failure_count,
                "tolerated_failure_percentage": request.tolerated_failure_percentage,
            });
            return match self.remote(&run.execution_arn, &message).await? {
                Delivery::Answered(result) => result,
                Delivery::Ended => Err(completed(arn)),
            };
        }
        let (ack, acked) = Ack::channel(inbox);
        let message = Message::UpdateMapRun {
            map_run_arn: request.map_run_arn.clone(),
            max_concurrency: request.max_concurrency,
            tolerated_failure_count: request.tolerated_failure_count,
            tolerated_failure_percentage: request.tolerated_failure_percentage,
            ack,
        };
        // A parked execution is woken for the change.
        if let Handed::NotHere = self.deliver(&run.execution_arn, message).await? {
            return Err(completed(arn));
        }
        match acked.await {
            Ok(result) => result?,
            Err(_) => return Err(completed(arn)),
        }
        // Committed; the read says whether the run is still there (from the store if the execution parked again).
        let Some((_, runs)) = self.map_runs_of(&run.execution_arn).await? else { return Err(completed(arn)) };
        match runs.iter().find(|run| run.arn == arn) {
            Some(_) => Ok(()),
            None => Err(Error::Internal(format!("map run {arn} vanished from its execution"))),
        }
    }

    /// The execution's record and its Map runs; `None` if there is no such execution.
    async fn map_runs_of(&self, execution_arn: &str) -> Result<Option<(store::Execution, Vec<MapRunInfo>)>, Error> {
        let live = lock(&self.inner.live).get(execution_arn).cloned();
        if let Some(live) = live {
            let (reader, answer) = oneshot::channel();
            if live.sender.send(Message::Inspect(Read::MapRuns(reader))).is_ok()
                && let Ok(runs) = answer.await
            {
                let record = self.record(execution_arn).await?;
                return Ok(Some((record, runs)));
            }
            // The execution ended meanwhile: its last step is committed, so the store has it.
        }
        if let Some(record) = self.inner.express.execution(execution_arn, now()) {
            return Ok(Some((record, Vec::new())));
        }
        let Some(recovered) = self.inner.store.recovered(execution_arn).await.map_err(internal)? else { return Ok(None) };
        // The state as of the last committed step: what a live execution would answer too.
        let record = recovered.execution;
        let rebuilt = self.rebuild_blocking(&record, recovered.triggers, false).await?;
        let runs = rebuilt.execution.map_runs().to_vec();
        Ok(Some((record, runs)))
    }
}

/// The execution ARN of a Map Run ARN.
fn map_run_execution(arn: &str) -> Result<String, Error> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "states", _, _, "mapRun", rest] if partition.starts_with("aws") && !rest.is_empty() => {
            engine::map_run_execution(arn).ok_or_else(|| not_found(arn))
        }
        ["arn", _, "states", _, _, kind, ..] if *kind != "mapRun" => {
            Err(Error::InvalidArn(format!("Invalid Arn: 'Resource type not valid in this context: {kind}'")))
        }
        _ => Err(Error::InvalidArn(format!("Invalid Arn: '{arn}'"))),
    }
}

fn not_found(arn: &str) -> Error {
    Error::ResourceNotFound(format!("Map Run Does Not Exist: '{arn}'"))
}

/// AWS's answer to updating a Map Run that ended (reason `CANNOT_UPDATE_COMPLETED_MAP_RUN`).
fn completed(arn: &str) -> Error {
    Error::ValidationException(format!("CANNOT_UPDATE_COMPLETED_MAP_RUN: Map Run '{arn}' has completed and cannot be updated"))
}

/// Pages a list with the service's token convention (the index of the next item).
fn paged<T: Clone>(items: Vec<T>, page: &PageRequest) -> Result<Page<T>, Error> {
    let start = match &page.token {
        Some(token) => token.parse::<usize>().map_err(|_| Error::InvalidToken(format!("Invalid Token: '{token}'")))?,
        None => 0,
    };
    let limit = if page.limit == 0 { 100 } else { page.limit.min(1000) };
    let end = start.saturating_add(limit).min(items.len());
    let next_token = (end < items.len()).then(|| end.to_string());
    Ok(Page { items: items.get(start..end).unwrap_or_default().to_vec(), next_token })
}

#[cfg(test)]
mod tests {
    use crate::service::Error;
    use crate::service::map_runs::map_run_execution;

    #[test]
    fn map_run_arns_name_their_execution() {
        let arn = "arn:aws:states:us-east-1:123456789012:mapRun:M/Each:run-1-2";
        assert_eq!(map_run_execution(arn).as_deref(), Ok("arn:aws:states:us-east-1:123456789012:execution:M:run-1"));
        assert!(matches!(map_run_execution("arn:aws:states:us-east-1:1:mapRun:M/Each:1"), Err(Error::ResourceNotFound(_))));
        assert!(matches!(map_run_execution("arn:aws:states:us-east-1:1:execution:M:e"), Err(Error::InvalidArn(_))));
        assert!(matches!(map_run_execution("nope"), Err(Error::InvalidArn(_))));
    }
}
