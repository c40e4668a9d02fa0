//! What the API shows of a distributed Map's run (DescribeMapRun, ListMapRuns): its ARN, limits and counters.
//!
//! The `Execution` keeps one `MapRunInfo` per distributed Map run it started, in start order, and updates it as
//! iterations start and end. It is not a history event and it is not persisted: re-folding the execution's triggers
//! derives it again. Inline Maps have no Map Run.
//!
//! A redrive of the execution that re-enters a distributed Map whose Map Run stopped redrives that Map Run (same ARN,
//! `MapRunRedriven`): it is running again, with its `redrive_count` and `redrive_date`; the items that succeeded stay
//! succeeded, and the failed and aborted ones go back to pending (counted in `pending_redrive` too) until they start
//! again.

/// Where a Map Run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapRunStatus {
    Running,
    Succeeded,
    Failed,
    Aborted,
}

/// Item or child-execution counters of a Map Run. Invariant: `pending + running + succeeded + failed + aborted ==
/// total`, `pending_redrive <= pending` and `failures_not_redrivable <= failed + aborted`, kept by the methods below.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapRunCounts {
    pub pending: u64,
    pub running: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub aborted: u64,
    pub total: u64,
    /// Of `pending`, those that failed or were aborted before the Map Run was redriven and have not started again.
    pub pending_redrive: u64,
    /// Of `failed` and `aborted`, those no redrive will run again: the Map state went on without them (the Map Run
    /// succeeded within its tolerated failures, or a Retry or Catch took its failure), or the execution cannot be
    /// redriven.
    pub failures_not_redrivable: u64,
    /// Those whose results a `ResultWriter` wrote (succeeded, failed or pending), once it wrote them all.
    pub results_written: u64,
}

/// One distributed Map run.
#[derive(Debug, Clone, PartialEq)]
pub struct MapRunInfo {
    /// `arn:aws:states:<region>:<account>:mapRun:<stateMachineName>/<label>:<executionName>-<n>`, the n-th run of
    /// the execution: the execution's ARN can be read back from it.
    pub arn: String,
    /// The Map state's name.
    pub state_name: String,
    pub status: MapRunStatus,
    /// Milliseconds since the epoch.
    pub start: i64,
    pub stop: Option<i64>,
    /// As configured (0 is no limit), or as UpdateMapRun last set it.
    pub max_concurrency: u64,
    pub tolerated_failure_count: u64,
    pub tolerated_failure_percentage: f64,
    /// Items; with an ItemBatcher one child execution processes several.
    pub items: MapRunCounts,
    /// Child executions: one per item, or per batch.
    pub executions: MapRunCounts,
    /// How many times a redrive of the execution redrove this Map Run, and when it last did (milliseconds since the
    /// epoch).
    pub redrive_count: u32,
    pub redrive_date: Option<i64>,
}

impl MapRunCounts {
    pub(crate) fn new(total: u64) -> MapRunCounts {
        MapRunCounts { pending: total, total, ..MapRunCounts::default() }
    }

    /// `n` start; `redriven` if they are ones a redrive runs again.
    pub(crate) fn start(&mut self, n: u64, redriven: bool) {
        let n = n.min(self.pending);
        self.pending -= n;
        self.running += n;
        if redriven {
            self.pending_redrive -= n.min(self.pending_redrive);
        }
    }

    pub(crate) fn end(&mut self, n: u64, succeeded: bool) {
        let n = n.min(self.running);
        self.running -= n;
        if succeeded {
            self.succeeded += n;
        } else {
            self.failed += n;
        }
    }

    /// Whatever was running when the run ended was aborted.
    pub(crate) fn abort_running(&mut self) {
        self.aborted += self.running;
        self.running = 0;
    }

    /// The run is redriven: what failed or was aborted waits to run again; what succeeded stays.
    fn redrive(&mut self) {
        let again = self.failed + self.aborted + self.running;
        self.pending += again;
        self.pending_redrive = again;
        self.running = 0;
        self.failed = 0;
        self.aborted = 0;
        self.failures_not_redrivable = 0;
        self.results_written = 0;
    }
}

impl MapRunInfo {
    /// Records an iteration of `items` items starting; `redriven` if it failed or was aborted before a redrive.
    pub(crate) fn iteration_started(&mut self, items: u64, redriven: bool) {
        self.items.start(items, redriven);
        self.executions.start(1, redriven);
    }

    /// Records an iteration of `items` items ending.
    pub(crate) fn iteration_ended(&mut self, items: u64, succeeded: bool) {
        self.items.end(items, succeeded);
        self.executions.end(1, succeeded);
    }

    /// The run ended at `now`; iterations still running are aborted.
    pub(crate) fn ended(&mut self, status: MapRunStatus, now: i64) {
        if self.status != MapRunStatus::Running {
            return;
        }
        self.status = status;
        self.stop = Some(now);
        self.items.abort_running();
        self.executions.abort_running();
    }

    /// A redrive of the execution redrives the run at `now`: it runs again, its unsuccessful items pending.
    pub(crate) fn redriven(&mut self, now: i64) {
        self.status = MapRunStatus::Running;
        self.stop = None;
        self.redrive_count = self.redrive_count.saturating_add(1);
        self.redrive_date = Some(now);
        self.items.redrive();
        self.executions.redrive();
    }

    /// No redrive will run the run's failed and aborted items again.
    pub(crate) fn not_redrivable(&mut self) {
        self.items.failures_not_redrivable = self.items.failed + self.items.aborted;
        self.executions.failures_not_redrivable = self.executions.failed + self.executions.aborted;
    }
}

/// The ARN of the `n`-th Map Run (from 1) of an execution, labelled `label`. A Standard execution ARN
/// (`…:execution:<machine>:<name>`) gives `…:mapRun:<machine>/<label>:<name>-<n>`; any other falls back to the state
/// machine's ARN and the number alone.
pub(crate) fn map_run_arn(execution_arn: &str, state_machine_arn: &str, label: &str, n: usize) -> String {
    let parts: Vec<&str> = execution_arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "states", region, account, "execution", machine, name] => {
            format!("arn:{partition}:states:{region}:{account}:mapRun:{machine}/{label}:{name}-{n}")
        }
        _ => format!("{}/{label}:{n}", state_machine_arn.replacen(":stateMachine:", ":mapRun:", 1)),
    }
}

/// The execution ARN a Map Run ARN made by `map_run_arn` belongs to; `None` if it is not one.
pub fn map_run_execution(map_run_arn: &str) -> Option<String> {
    let mut head = map_run_arn.splitn(7, ':');
    let (arn, partition, states, region, account, kind, rest) =
        (head.next()?, head.next()?, head.next()?, head.next()?, head.next()?, head.next()?, head.next()?);
    if arn != "arn" || states != "states" || kind != "mapRun" {
        return None;
    }
    let (machine, labelled) = rest.split_once('/')?;
    let (_, id) = labelled.rsplit_once(':')?;
    let (name, n) = id.rsplit_once('-')?;
    if machine.is_empty() || name.is_empty() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("arn:{partition}:states:{region}:{account}:execution:{machine}:{name}"))
}

#[cfg(test)]
mod tests {
    use crate::map_run::{map_run_arn, map_run_execution};

    #[test]
    fn the_execution_is_read_back_from_the_arn() {
        let execution = "arn:aws:states:us-east-1:123456789012:execution:Machine:run-2024";
        let arn = map_run_arn(execution, "arn:aws:states:us-east-1:123456789012:stateMachine:Machine", "My:Map/x", 3);
        assert_eq!(arn, "arn:aws:states:us-east-1:123456789012:mapRun:Machine/My:Map/x:run-2024-3");
        assert_eq!(map_run_execution(&arn).as_deref(), Some(execution));
    }

    #[test]
    fn other_arns_are_not_map_runs() {
        assert_eq!(map_run_execution("arn:aws:states:us-east-1:1:mapRun:Machine/Each:1"), None);
        assert_eq!(map_run_execution("arn:aws:states:us-east-1:1:execution:Machine:a-1"), None);
        assert_eq!(map_run_execution("nope"), None);
    }
}
