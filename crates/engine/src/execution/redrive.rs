//! RedriveExecution: where each thread of a failed, timed-out or aborted execution stopped, and running it again
//! from there.
//!
//! When the execution stops, `Execution::stopped_at` records where its top-level workflow stopped. If that is a
//! Parallel or a Map, the record (`Kept`) says what became of each branch or iteration (a `Slot`): the ones that
//! succeeded keep their outputs, the ones that failed or were aborted (a sibling's failure, a stop, a timeout)
//! record where they stopped, recursively, and the Map items that never started are marked so; a distributed Map's
//! record also names its Map Run. All of it is derived while folding triggers (no clock, no hash order), so an
//! execution rebuilt from its stored triggers can be redriven exactly like the one that ran. Nothing is recorded while
//! states succeed: the records are made only from what a failing or aborted frame owned.
//!
//! A redrive, as AWS documents it, "reschedules and redrives only the iterations and branches that failed or
//! aborted", and "redrives all the unsuccessful states, including Distributed Map": the Map Run a distributed Map
//! stopped with is redriven (same ARN, `MapRunRedriven`), and only its unsuccessful child executions run again. AWS
//! publishes no history of a redriven Parallel or Map, so the shape Baton writes is a choice, the one closest to how
//! it already redrives a top-level state (entered again, as in `redrive_restarts_at_the_failed_state`):
//!
//! - `ExecutionRedriven`, then the state the top level stopped in is entered again: `ParallelStateEntered` and
//!   `ParallelStateStarted`, or `MapStateEntered` and `MapStateStarted` with the length of every item;
//! - a distributed Map then writes `MapRunRedriven` (`mapRunArn`, and the Map Run's own `redriveCount`) instead of
//!   `MapRunStarted`: the Map Run is running again with the limits UpdateMapRun last gave it, and its counters move
//!   the failed and aborted items back to pending (`pending_redrive` too) while the succeeded ones stay;
//! - a branch that runs again continues with its events from the state it stopped in (`…StateEntered` again), after
//!   `ParallelStateStarted`; an inline Map iteration that runs again writes `MapIterationStarted` with its original
//!   index, then the events of the state it stopped in, and `MapIterationSucceeded` or `MapIterationFailed`; a
//!   distributed Map's iteration runs again the same way, from the state it stopped in, but writes nothing here (its
//!   events belong to its child execution);
//! - the branches and iterations kept write nothing, and their Task states are not invoked again;
//! - the Parallel or Map then ends as it would have (`ParallelStateExited`, or `MapRunSucceeded` for a distributed
//!   one, `MapStateSucceeded` and `MapStateExited`), its result holding every output in branch or item order;
//! - the same holds at every depth: a branch that stopped in a Map enters that Map again, and so on.
//!
//! A redriven Map Run's tolerated failure thresholds count the failures of this attempt only, out of all its items:
//! every item that had failed runs again, so its failed count starts from zero. The AWS documentation found says
//! nothing more precise about thresholds in a Map Run redrive; this is Baton's reading.
//!
//! Re-entering the state re-evaluates its input processing (InputPath, Parameters or Arguments, ItemsPath or Items,
//! ItemBatcher, an inline Map's MaxConcurrency), which gives what it gave before unless it reads
//! `$$.Execution.RedriveCount` or the time; a Map whose items (or batches) then number differently runs every item
//! again, a distributed one in a new Map Run. A branch or iteration that runs again continues with the input and
//! variables it had (its ItemSelector is not evaluated again); a Map item that never started starts with its original
//! index as `$$.Map.Item.Index`. A retry of the Parallel or Map, in a redrive as anywhere, runs every branch or
//! iteration again (a distributed Map in a new Map Run). So does a redrive of a Parallel or Map whose branches all
//! succeeded but whose own output processing (ResultSelector, ResultPath, OutputPath, Output, Assign, a payload limit)
//! failed: the results went into that processing and are not kept. A Map Run whose record no redrive will follow (its
//! Map state was retried or caught, its items no longer fit, or the execution cannot be redriven) counts its failures
//! as `failures_not_redrivable`, and so does one that succeeded within its tolerated failures.

use std::sync::Arc;

use serde_json::Value;

use asl::model::{State, StateId, WorkflowId};

use crate::execution::children::Record;
use crate::execution::{
    Command, EventDetails, Execution, Fanout, Frame, MapRun, Parent, Phase, Spawn, Status, TimerPurpose, seconds_ms,
};
use crate::variables::Scope;

/// Where a thread of execution stopped: the state, its input and variables, and, for a Parallel or a Map that had
/// started its branches or iterations, what became of each.
pub(super) struct StoppedAt {
    state: StateId,
    input: Value,
    vars: Arc<Scope>,
    kept: Option<Box<Kept>>,
}

/// What a redrive does with the branches of a Parallel or the iterations of a Map that stopped.
pub(super) struct Kept {
    /// One per branch or iteration.
    slots: Box<[Slot]>,
    /// A distributed Map's Map Run (its index in `Execution::map_runs`), which the redrive redrives.
    map_run: Option<usize>,
}

/// What became of one branch of a Parallel or one iteration of a Map, so what a redrive does with it.
pub(super) enum Slot {
    /// It succeeded: its output is kept and it does not run again.
    Succeeded(Value),
    /// It failed or was aborted there: it continues from there.
    Stopped(StoppedAt),
    /// It never started (a Map item after the last one started): it starts from the beginning.
    NotStarted,
}

impl StoppedAt {
    pub(super) fn new(state: StateId, input: Value, vars: Arc<Scope>, kept: Option<Box<Kept>>) -> StoppedAt {
        StoppedAt { state, input, vars, kept }
    }

    /// Where a frame that is over stopped: its current state, input and variables, and the plan it holds.
    pub(super) fn of(frame: Frame) -> StoppedAt {
        StoppedAt { state: frame.state, input: frame.input, vars: frame.vars, kept: frame.redrive }
    }
}

impl Kept {
    pub(super) fn into_parts(self) -> (Vec<Slot>, Option<usize>) {
        (self.slots.into_vec(), self.map_run)
    }
}

impl Execution {
    /// Runs the execution again from where its top-level workflow stopped.
    pub(super) fn redrive(&mut self) {
        let Some(stopped) = self.stopped_at.take() else { return };
        self.redrive_count += 1;
        self.redrive_time = Some(self.now);
        self.status = Status::Running;
        self.emit_execution(EventDetails::ExecutionRedriven { redrive_count: self.redrive_count });
        if let Some(timeout) = self.machine.timeout_seconds {
            let timer = self.timer(TimerPurpose::Execution);
            self.commands.push(Command::StartTimer { timer, at: self.now.saturating_add(seconds_ms(timeout)) });
        }
        let last_event = self.event_count;
        let frame = self.respawn(WorkflowId(0), Parent::Root, stopped, last_event, Record::Parent);
        self.queue.push_back(frame);
    }

    /// A frame in `workflow` that continues where a thread stopped before the redrive, with the input and variables
    /// it had there; the state is entered again.
    pub(super) fn respawn(&mut self, workflow: WorkflowId, parent: Parent, stopped: StoppedAt, last_event: u64, record: Record) -> usize {
        let StoppedAt { state, input, vars, kept } = stopped;
        let fid = self.spawn(Spawn { workflow, state, parent, input, last_event, record, vars });
        self.frame_mut(fid).redrive = kept;
        fid
    }

    /// The plan a redrive gave frame `fid` for the `count` branches or items its Parallel or Map starts now; `None`
    /// when there is none, or when it does not fit (the Map has another number of items now: all run again, and a
    /// distributed Map in a new Map Run).
    pub(super) fn take_plan(&mut self, fid: usize, count: usize) -> Option<Box<Kept>> {
        let kept = self.frame_mut(fid).redrive.take()?;
        if kept.slots.len() == count {
            return Some(kept);
        }
        self.forsake(&kept);
        None
    }

    /// The execution stopped where no redrive can run it again (at the history limit): forgets where it stopped.
    pub(super) fn not_redrivable(&mut self) {
        if let Some(StoppedAt { kept: Some(kept), .. }) = self.stopped_at.take() {
            self.forsake(&kept);
        }
    }

    /// A plan that no redrive will follow (its state was retried or caught, or it no longer fits): the failures of
    /// the Map Runs in it, at any depth, are not redrivable.
    pub(super) fn forsake(&mut self, kept: &Kept) {
        if let Some(run) = kept.map_run.and_then(|index| self.map_runs.get_mut(index)) {
            run.not_redrivable();
        }
        for slot in &kept.slots {
            if let Slot::Stopped(StoppedAt { kept: Some(inner), .. }) = slot {
                self.forsake(inner);
            }
        }
    }

    /// Redrives, at `MapStateStarted` of frame `fid`, the Map Run `index` that a distributed Map stopped with: it
    /// keeps its ARN and runs again (`MapRunRedriven`). Returns its settings, as UpdateMapRun last left them: the
    /// MaxConcurrency (0: the default) and the tolerated failure count and percentage.
    pub(super) fn redrive_map_run(&mut self, fid: usize, index: usize) -> Option<(usize, u64, f64)> {
        let now = self.now;
        let run = self.map_runs.get_mut(index)?;
        run.redriven(now);
        let concurrency = usize::try_from(run.max_concurrency).unwrap_or(usize::MAX);
        let settings = (concurrency, run.tolerated_failure_count, run.tolerated_failure_percentage);
        let event = EventDetails::MapRunRedriven { map_run_arn: run.arn.clone(), redrive_count: run.redrive_count };
        self.emit(fid, event);
        Some(settings)
    }

    /// Starts again, in a redrive, iteration `index` of the Map of frame `fid`, from where it stopped.
    pub(super) fn resume_iteration(&mut self, fid: usize, state: &State, processor: WorkflowId, index: usize, stopped: StoppedAt) {
        let frame = self.frame(fid);
        let Phase::Map(run) = &frame.phase else { return };
        let (map_run, weight) = (run.record, run.weight(index));
        // A distributed Map's iterations are child executions, redriven with their own histories.
        let (record, started) = if run.distributed {
            self.start_child(map_run, index, &stopped.input, true)
        } else {
            let record = frame.record.inherited();
            (record, self.emit(fid, EventDetails::MapIterationStarted { name: state.name.clone(), index }))
        };
        let child = self.respawn(processor, Parent::Iteration { frame: fid, index }, stopped, started, record);
        self.queue.push_back(child);
        if let Some(run) = map_run.and_then(|i| self.map_runs.get_mut(i)) {
            run.iteration_started(weight, true);
        }
        if let Phase::Map(run) = &mut self.frame_mut(fid).phase {
            run.running.push(child);
        }
    }

    /// What became of each branch of a Parallel that stops: the branches still running are aborted (and stopped
    /// where they were), the failed ones stopped where they failed, the others succeeded.
    pub(super) fn parallel_slots(&mut self, fanout: Fanout) -> Box<Kept> {
        let Fanout { children, results, stopped, .. } = fanout;
        let mut slots: Vec<Slot> = results.into_iter().map(Slot::Succeeded).collect();
        for (index, child) in children.into_iter().enumerate() {
            let Some(child) = child else { continue };
            let aborted = self.abort_frame(child);
            if let (Some(slot), Some(aborted)) = (slots.get_mut(index), aborted) {
                *slot = Slot::Stopped(aborted);
            }
        }
        for (index, failed) in stopped {
            if let Some(slot) = slots.get_mut(index) {
                *slot = Slot::Stopped(failed);
            }
        }
        Box::new(Kept { slots: slots.into_boxed_slice(), map_run: None })
    }

    /// What became of each iteration of a Map that stops, as `parallel_slots` does; items after the last one
    /// started have not started (or keep what the redrive planned for them). A distributed Map's plan names its Map
    /// Run, which a redrive redrives.
    pub(super) fn map_slots(&mut self, run: MapRun) -> Box<Kept> {
        let MapRun { results, running, stopped, next, mut plan, distributed, record, .. } = run;
        let mut slots: Vec<Slot> = results
            .into_iter()
            .enumerate()
            .map(|(index, output)| {
                if index < next {
                    return Slot::Succeeded(output);
                }
                match plan.get_mut(index).map(|slot| std::mem::replace(slot, Slot::NotStarted)) {
                    // A kept output not yet reached: it is in `results`.
                    Some(Slot::Succeeded(_)) => Slot::Succeeded(output),
                    Some(other) => other,
                    None => Slot::NotStarted,
                }
            })
            .collect();
        for child in running {
            let index = match self.frames.get(child).and_then(Option::as_ref).map(|frame| &frame.parent) {
                Some(Parent::Iteration { index, .. }) => *index,
                _ => continue,
            };
            let aborted = self.abort_frame(child);
            if let (Some(slot), Some(aborted)) = (slots.get_mut(index), aborted) {
                *slot = Slot::Stopped(aborted);
            }
        }
        for (index, failed) in stopped {
            if let Some(slot) = slots.get_mut(index) {
                *slot = Slot::Stopped(failed);
            }
        }
        let map_run = if distributed { record } else { None };
        Box::new(Kept { slots: slots.into_boxed_slice(), map_run })
    }
}
