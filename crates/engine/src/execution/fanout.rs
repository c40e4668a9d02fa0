//! Parallel and Map: starting child frames, collecting their results, and settling the state.

use std::sync::Arc;

use serde_json::{Value, json};

use asl::expr::Dynamic;
use asl::model::{Count, MapMode, Percentage, QueryLanguage, State, StateKind};
use asl::{Failure, errors};

use crate::execution::dataflow::{Conclusion, jsonata_type};
use crate::execution::children::ChildRun;
use crate::execution::redrive::Kept;
use crate::execution::items::{Items, MapItems, Packed};
use crate::execution::writer::Outcomes;
use crate::history::ErrorDetails;
use crate::execution::{Execution, Flow, Frame, MapRun, Parent, Phase, Slot, Spawn, details, display_plain, failure_of};
use crate::history::EventDetails;
use crate::map_run::{MapRunCounts, MapRunInfo, MapRunStatus, map_run_arn};
use crate::variables::Scope;

/// How many iterations a distributed Map starts before the ones it started run.
const START_AT_ONCE: usize = 16;

impl Execution {
    pub(super) fn parallel_settled(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame_mut(fid);
        let Phase::Parallel(mut fanout) = std::mem::replace(&mut frame.phase, Phase::Run) else { return Flow::Stop };
        let state = machine.workflow(frame.workflow).state(frame.state);
        let StateKind::Parallel(parallel) = &state.kind else { return Flow::Stop };
        if let Some(failure) = fanout.failure.take() {
            // Aborts the branches still running; what became of each goes with the failure, for a redrive.
            let kept = self.parallel_slots(*fanout);
            let failure = failure_of(failure);
            if !self.will_retry(fid, &failure) {
                self.emit(fid, EventDetails::ParallelStateFailed);
            }
            return self.fail_state_keeping(fid, failure, Some(kept));
        }
        let frame = self.frame(fid);
        let conclusion = Conclusion {
            result: Value::Array(fanout.results),
            has_result: true,
            selector: parallel.result_selector.as_ref(),
            result_path: Some(&parallel.result_path),
            assign: state.assign.as_ref(),
            output: state.output.as_ref(),
        };
        let concluded = self.conclude(frame, state, conclusion);
        self.finish_state(fid, concluded, parallel.transition)
    }

    /// The items a Map iterates: ItemsPath (JSONPath) or Items (JSONata), by default the effective input.
    fn map_items(&self, frame: &Frame, state: &State, map: &asl::model::Map, effective: &Value) -> Result<Vec<Value>, Failure> {
        let jsonata = state.query_language == QueryLanguage::Jsonata;
        let error = if jsonata { errors::QUERY_EVALUATION_ERROR } else { errors::RUNTIME };
        let items = match (&map.items_path, &map.items) {
            (Some(path), _) => self.with_env(frame, state, effective, None, |env| path.select(env)).map_err(|message| {
                self.prefixed(frame, state, Failure::runtime(format!("Invalid path '{}' : {message}", path.as_str())))
            })?,
            (None, Some(items)) => {
                let states = self.states(frame, state, None, None, None);
                let value = self.jsonata(frame, state, items, &states, "Items")?;
                if let (Dynamic::Expr(expr), false) = (items, value.is_array()) {
                    let message = format!(
                        "The JSONata expression '{}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {value}",
                        expr.as_str(),
                        jsonata_type(&value)
                    );
                    return Err(Failure::new(errors::QUERY_EVALUATION_ERROR, self.prefix_text(frame, state, &message)));
                }
                value
            }
            (None, None) => effective.clone(),
        };
        match items {
            Value::Array(items) => Ok(items),
            other => Err(Failure::new(error, self.prefix_text(frame, state, &format!("Map state input must be an array but was: {other}")))),
        }
    }

    pub(super) fn start_map(&mut self, fid: usize, state: &State, map: &asl::model::Map, effective: Value) -> Flow {
        let frame = self.frame(fid);
        // AWS accepts a ResultWriter on an inline Map, and what it does with it is not recorded: Baton fails the Map,
        // naming the field, rather than return its results as if nothing had been asked.
        if map.result_writer.is_some() && map.mode != MapMode::Distributed {
            let cause = "ResultWriter is for a distributed Map, and this Map is inline";
            return self.fail_unstarted_map(fid, Failure::new(errors::RESULT_WRITER_FAILED, self.prefix_text(frame, state, cause)));
        }
        if let Some(reader) = &map.item_reader {
            return self.read_items(fid, state, reader, effective, Packed::default(), None);
        }
        let items = match self.map_items(frame, state, map, &effective) {
            Ok(items) => items,
            Err(failure) => return self.fail_unstarted_map(fid, failure),
        };
        self.start_map_over(fid, state, map, effective, Items::Values(items))
    }

    /// Starts the Map over `items`: its input's, or its reader's.
    pub(super) fn start_map_over(&mut self, fid: usize, state: &State, map: &asl::model::Map, effective: Value, items: Items) -> Flow {
        let frame = self.frame(fid);
        let distributed = map.mode == MapMode::Distributed;
        // AWS resolves MaxConcurrency before the Map starts, and the tolerated failure thresholds after.
        let concurrency = match self.map_concurrency(frame, state, map, &effective) {
            Ok(concurrency) => concurrency,
            Err(failure) => return self.fail_unstarted_map(fid, failure),
        };
        self.emit(fid, EventDetails::MapStateStarted { length: items.len() });
        let frame = self.frame(fid);
        let (tolerated_count, tolerated_percentage) = match self.map_tolerance(frame, state, map, &effective) {
            Ok(tolerance) => tolerance,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let item_count = items.len() as u64;
        let items = match &map.item_batcher {
            Some(batcher) if distributed => match self.batch(frame, state, batcher, items, &effective) {
                Ok(items) => items,
                Err(failure) => return self.fail_state(fid, failure),
            },
            _ => MapItems::Each(items),
        };
        let count = items.len();
        // In a redrive, the iterations that succeeded before keep their outputs and do not run again, and a
        // distributed Map redrives the Map Run it stopped with instead of starting a new one.
        let (mut plan, redriven) = self.take_plan(fid, count).map(|kept| kept.into_parts()).unwrap_or_default();
        let (mut concurrency, mut tolerated_count, mut tolerated_percentage) =
            (concurrency, tolerated_count, tolerated_percentage);
        let mut record = None;
        if distributed {
            match redriven.and_then(|index| self.redrive_map_run(fid, index).map(|settings| (index, settings))) {
                // The Map Run keeps the limits UpdateMapRun last gave it. Its tolerated failures are the failures of
                // this attempt (every unsuccessful item runs again), out of all its items.
                Some((index, (max_concurrency, failures, percentage))) => {
                    record = Some(index);
                    concurrency = max_concurrency;
                    tolerated_count = Some(failures);
                    tolerated_percentage = Some(percentage);
                }
                None => {
                    let label = map.label.clone().unwrap_or_else(|| state.name.clone());
                    let arn =
                        map_run_arn(&self.info.execution_arn, &self.info.state_machine_arn, &label, self.map_runs.len() + 1);
                    record = Some(self.map_runs.len());
                    // A writer that writes the children's records needs what became of each.
                    let reports = map.result_writer.as_ref().is_some_and(|writer| {
                        writer.resource.is_some() || writer.transformation.as_deref() == Some("NONE")
                    });
                    self.child_runs.push(ChildRun::new(&arn, reports));
                    self.map_runs.push(MapRunInfo {
                        arn: arn.clone(),
                        state_name: state.name.clone(),
                        status: MapRunStatus::Running,
                        start: self.now,
                        stop: None,
                        max_concurrency: concurrency as u64,
                        tolerated_failure_count: tolerated_count.unwrap_or(0),
                        tolerated_failure_percentage: tolerated_percentage.unwrap_or(0.0),
                        items: MapRunCounts::new(item_count),
                        executions: MapRunCounts::new(count as u64),
                        redrive_count: 0,
                        redrive_date: None,
                    });
                    self.emit(fid, EventDetails::MapRunStarted { map_run_arn: arn });
                }
            }
        }
        let concurrency = self.effective_concurrency(distributed, concurrency);
        let mut results = vec![Value::Null; count];
        let mut done = 0;
        for (slot, result) in plan.iter_mut().zip(results.iter_mut()) {
            if let Slot::Succeeded(output) = slot {
                *result = std::mem::take(output);
                done += 1;
            }
        }
        self.frame_mut(fid).phase = Phase::Map(Box::new(MapRun {
            items,
            effective,
            next: 0,
            running: Vec::new(),
            results,
            done,
            failed: 0,
            concurrency,
            tolerated_count,
            tolerated_percentage,
            distributed,
            failure: None,
            record,
            burst: 0,
            stopped: Vec::new(),
            plan,
        }));
        Flow::Continue
    }

    /// How many iterations a Map runs at once for a MaxConcurrency of `configured` (0: the default for its mode).
    fn effective_concurrency(&self, distributed: bool, configured: usize) -> usize {
        match configured {
            0 if distributed => self.limits.distributed_map_concurrency,
            0 => self.limits.inline_map_concurrency,
            n => n,
        }
    }

    /// UpdateMapRun: new limits for the running Map run `arn`. More concurrency starts more iterations at once.
    pub(super) fn update_map_run(
        &mut self,
        arn: &str,
        max_concurrency: Option<u64>,
        tolerated_count: Option<u64>,
        tolerated_percentage: Option<f64>,
    ) {
        let Some(index) = self.map_runs.iter().position(|run| run.arn == arn && run.status == MapRunStatus::Running) else {
            return;
        };
        let found = self.frames.iter().position(|frame| {
            matches!(frame, Some(Frame { phase: Phase::Map(run), .. }) if run.record == Some(index))
        });
        let Some(fid) = found else { return };
        let concurrency = max_concurrency.map(|n| self.effective_concurrency(true, usize::try_from(n).unwrap_or(usize::MAX)));
        let Phase::Map(run) = &mut self.frame_mut(fid).phase else { return };
        if let Some(concurrency) = concurrency {
            run.concurrency = concurrency;
        }
        if tolerated_count.is_some() {
            run.tolerated_count = tolerated_count;
        }
        if tolerated_percentage.is_some() {
            run.tolerated_percentage = tolerated_percentage;
        }
        if let Some(record) = self.map_runs.get_mut(index) {
            record.max_concurrency = max_concurrency.unwrap_or(record.max_concurrency);
            record.tolerated_failure_count = tolerated_count.unwrap_or(record.tolerated_failure_count);
            record.tolerated_failure_percentage = tolerated_percentage.unwrap_or(record.tolerated_failure_percentage);
        }
        // The Map's frame waits for its iterations; running it now starts as many more as the new limit allows.
        self.queue.push_back(fid);
    }

    /// Starts iterations up to the concurrency limit (a distributed Map, `START_AT_ONCE` per step), and settles the
    /// Map when every item is done or it failed.
    pub(super) fn map_step(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let (workflow, state_id) = {
            let frame = self.frame(fid);
            (frame.workflow, frame.state)
        };
        let state = machine.workflow(workflow).state(state_id);
        let StateKind::Map(map) = &state.kind else { return Flow::Stop };
        let mut started = 0;
        loop {
            let (index, item, distributed, effective, map_run, weight) = {
                let Phase::Map(run) = &mut self.frame_mut(fid).phase else { return Flow::Stop };
                if run.failure.is_some() || run.done == run.items.len() {
                    return self.map_settled(fid);
                }
                if run.running.len() >= run.concurrency || run.next >= run.items.len() {
                    return Flow::Stop;
                }
                // A distributed Map starts its iterations a few at a time, letting the ones started run before it
                // starts more (`burst` counts those not run yet): their inputs, made from packed items, are not all
                // in memory at once when thousands may run together. Its history, which has no iteration events,
                // is the same. The Map runs again after the ones it started: it queues itself behind them.
                if run.distributed && run.burst >= START_AT_ONCE {
                    if started > 0 {
                        self.queue.push_back(fid);
                    }
                    return Flow::Stop;
                }
                started += 1;
                run.burst += 1;
                let index = run.next;
                run.next += 1;
                match run.plan.get_mut(index).map(|slot| std::mem::replace(slot, Slot::NotStarted)) {
                    // Kept from before the redrive: its output is in `results`, and it counts as done.
                    Some(Slot::Succeeded(_)) => continue,
                    Some(Slot::Stopped(stopped)) => {
                        self.resume_iteration(fid, state, map.processor, index, stopped);
                        continue;
                    }
                    Some(Slot::NotStarted) | None => {}
                }
                let item = run.items.take(index);
                (index, item, run.distributed, std::mem::take(&mut run.effective), run.record, run.items.weight(index))
            };
            let frame = self.frame(fid);
            let input = match &map.item_selector {
                Some(selector) => {
                    // `Source` is where the item came from: `STATE_DATA` for the state's input. An ItemReader's
                    // items (whose Source is the S3 URI they were read from) never get here: Baton has no S3, and a
                    // Map with an ItemReader fails before it starts an item.
                    let extra = json!({"Index": index, "Value": item, "Source": "STATE_DATA"});
                    self.arguments(frame, state, Some(selector), &effective, Some(extra), "ItemSelector")
                }
                None => Ok(item),
            };
            let Phase::Map(run) = &mut self.frame_mut(fid).phase else { return Flow::Stop };
            run.effective = effective;
            let input = match input {
                Ok(input) => input,
                Err(failure) => {
                    run.failure = Some(details(failure));
                    // The item never started: a redrive starts it.
                    run.next = index;
                    return self.map_settled(fid);
                }
            };
            // A distributed Map's iterations are child executions, with their own histories.
            let (record, started) = if distributed {
                self.start_child(map_run, index, &input, false)
            } else {
                let record = self.frame(fid).record.inherited();
                (record, self.emit(fid, EventDetails::MapIterationStarted { name: state.name.clone(), index }))
            };
            let start = machine.workflow(map.processor).start_at;
            // A distributed Map's iterations are child executions: they do not see the parent's variables.
            let vars = if distributed { Arc::new(Scope::default()) } else { Arc::new(Scope::inside(self.frame(fid).vars.clone())) };
            let parent = Parent::Iteration { frame: fid, index };
            let spawn = Spawn { workflow: map.processor, state: start, parent, input, last_event: started, record, vars };
            let child = self.spawn(spawn);
            self.queue.push_back(child);
            if let Some(map_run) = map_run.and_then(|i| self.map_runs.get_mut(i)) {
                map_run.iteration_started(weight, false);
            }
            if let Phase::Map(run) = &mut self.frame_mut(fid).phase {
                run.running.push(child);
            }
        }
    }

    pub(super) fn map_settled(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame_mut(fid);
        let Phase::Map(mut run) = std::mem::replace(&mut frame.phase, Phase::Run) else { return Flow::Stop };
        let state = machine.workflow(frame.workflow).state(frame.state);
        let StateKind::Map(map) = &state.kind else { return Flow::Stop };
        let now = self.now;
        if let Some(record) = run.record.and_then(|i| self.map_runs.get_mut(i)) {
            if run.failure.is_some() {
                record.ended(MapRunStatus::Failed, now);
            } else {
                record.ended(MapRunStatus::Succeeded, now);
                // The Map state goes on: no redrive runs the tolerated failures again.
                record.not_redrivable();
            }
        }
        let writer = map.result_writer.as_ref().filter(|_| run.distributed);
        let to_s3 = writer.filter(|writer| writer.resource.is_some());
        let outcomes = |run: &mut MapRun| Outcomes {
            map_run: run.record,
            results: std::mem::take(&mut run.results),
            items: std::mem::take(&mut run.items),
        };
        let distributed = run.distributed;
        if let Some(failure) = run.failure.take() {
            // The writer writes what became of every item, once the ones still running are aborted.
            let (outcomes, effective) = match to_s3 {
                // `map_slots` keeps the outputs for a redrive: the writer gets a copy.
                Some(_) => {
                    let outcomes = Outcomes { map_run: run.record, results: run.results.clone(), items: std::mem::take(&mut run.items) };
                    (Some(outcomes), std::mem::take(&mut run.effective))
                }
                None => (None, Value::Null),
            };
            // Aborts the iterations still running; what became of each goes with the failure, for a redrive.
            let kept = self.map_slots(*run);
            if let (Some(writer), Some(outcomes)) = (to_s3, outcomes) {
                return self.write_results(fid, state, writer, &effective, outcomes, Some((failure, kept)));
            }
            return self.map_failed(fid, distributed, failure, kept);
        }
        if let Some(writer) = to_s3 {
            let effective = std::mem::take(&mut run.effective);
            return self.write_results(fid, state, writer, &effective, outcomes(&mut run), None);
        }
        let result = self.transformed(writer, outcomes(&mut run));
        self.map_succeeded(fid, run.distributed, result)
    }

    /// A Map fails with its Map Run's (or its iteration's) failure; `kept` is what became of each item, for a redrive.
    pub(super) fn map_failed(&mut self, fid: usize, distributed: bool, failure: ErrorDetails, kept: Box<Kept>) -> Flow {
        if distributed {
            self.emit(fid, EventDetails::MapRunFailed(failure.clone()));
        }
        let failure = failure_of(failure);
        if !self.will_retry(fid, &failure) {
            self.emit(fid, EventDetails::MapStateFailed);
        }
        self.fail_state_keeping(fid, failure, Some(kept))
    }

    /// A Map succeeds with `result`.
    pub(super) fn map_succeeded(&mut self, fid: usize, distributed: bool, result: Value) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        let StateKind::Map(map) = &state.kind else { return Flow::Stop };
        if distributed {
            self.emit(fid, EventDetails::MapRunSucceeded);
        }
        self.emit(fid, EventDetails::MapStateSucceeded);
        let frame = self.frame(fid);
        let conclusion = Conclusion {
            result,
            has_result: true,
            selector: map.result_selector.as_ref(),
            result_path: Some(&map.result_path),
            assign: state.assign.as_ref(),
            output: state.output.as_ref(),
        };
        let concluded = self.conclude(frame, state, conclusion);
        self.finish_state(fid, concluded, map.transition)
    }

    /// MaxConcurrency, resolved against the effective input.
    pub(super) fn map_concurrency(&self, frame: &Frame, state: &State, map: &asl::model::Map, effective: &Value) -> Result<usize, Failure> {
        let concurrency = match &map.max_concurrency {
            Some(count) => self.map_count(frame, state, count, "MaxConcurrency", effective)?,
            None => 0,
        };
        Ok(usize::try_from(concurrency).unwrap_or(usize::MAX))
    }

    /// The tolerated failure count and percentage, resolved against the effective input.
    pub(super) fn map_tolerance(
        &self,
        frame: &Frame,
        state: &State,
        map: &asl::model::Map,
        effective: &Value,
    ) -> Result<(Option<u64>, Option<f64>), Failure> {
        let runtime = |message: String| Failure::runtime(self.prefix_text(frame, state, &message));
        let tolerated_count = match &map.tolerated_failure_count {
            Some(count) => Some(self.map_count(frame, state, count, "ToleratedFailureCount", effective)?),
            None => None,
        };
        let tolerated_percentage = match &map.tolerated_failure_percentage {
            Some(Percentage::Literal(p)) => Some(*p),
            Some(Percentage::Expr(expr)) => {
                let states = self.states(frame, state, None, None, None);
                let value = self.jsonata_expr(frame, state, expr, &states, "ToleratedFailurePercentage")?;
                match value.as_f64() {
                    Some(p) if (0.0..=100.0).contains(&p) => Some(p),
                    _ => return Err(runtime("ToleratedFailurePercentage must be between 0 and 100.".to_owned())),
                }
            }
            Some(Percentage::Path(path)) => {
                let value = self
                    .with_env(frame, state, effective, None, |env| path.select(env))
                    .map_err(|message| runtime(format!("Invalid path '{}' : {message}", path.as_str())))?;
                let number = value.as_f64().or_else(|| value.as_str().and_then(|s| s.trim().parse::<f64>().ok()));
                match number {
                    Some(p) if (0.0..=100.0).contains(&p) => Some(p),
                    Some(_) => return Err(runtime("ToleratedFailurePercentage must be between 0 and 100.".to_owned())),
                    None => {
                        return Err(runtime(format!(
                            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                            display_plain(&value),
                            path.as_str()
                        )));
                    }
                }
            }
            None => None,
        };
        Ok((tolerated_count, tolerated_percentage))
    }

    /// A Map's whole-number setting, literal or from a path, with AWS's error texts.
    pub(super) fn map_count(&self, frame: &Frame, state: &State, count: &Count, field: &str, effective: &Value) -> Result<u64, Failure> {
        let runtime = |message: String| Failure::runtime(self.prefix_text(frame, state, &message));
        match count {
            Count::Literal(n) => Ok(*n),
            Count::Expr(expr) => self.jsonata_count(frame, state, expr, field),
            Count::Path(path) => {
                let value = self
                    .with_env(frame, state, effective, None, |env| path.select(env))
                    .map_err(|message| runtime(format!("Invalid path '{}' : {message}", path.as_str())))?;
                // AWS reads the value as Java would parse it: a number, or a string holding one.
                let number = value.as_i64().or_else(|| value.as_str().and_then(|s| s.trim().parse::<i64>().ok()));
                match number {
                    Some(n) if n < 0 => Err(runtime(format!("{field} cannot be negative."))),
                    Some(n) => Ok(n.unsigned_abs()),
                    None => Err(runtime(format!(
                        "The {field}Path field refers to value \"{}\" which is not a valid integer: {}",
                        display_plain(&value),
                        path.as_str()
                    ))),
                }
            }
        }
    }

    /// Groups items into batches as ItemBatcher says: `{"Items": […], "BatchInput": …}`, each made when it starts.
    pub(super) fn batch(
        &self,
        frame: &Frame,
        state: &State,
        batcher: &asl::model::ItemBatcher,
        items: Items,
        effective: &Value,
    ) -> Result<MapItems, Failure> {
        let resolve = |count: &Option<Count>| -> Result<Option<u64>, Failure> {
            match count {
                None => Ok(None),
                Some(Count::Literal(n)) => Ok(Some(*n)),
                Some(Count::Expr(expr)) => Ok(Some(self.jsonata_count(frame, state, expr, "ItemBatcher")?)),
                Some(Count::Path(path)) => {
                    let value = self.with_env(frame, state, effective, None, |env| path.select(env)).map_err(|message| {
                        Failure::runtime(self.prefix_text(frame, state, &format!("Invalid path '{}' : {message}", path.as_str())))
                    })?;
                    Ok(value.as_u64())
                }
            }
        };
        let max_items = resolve(&batcher.max_items_per_batch)?.filter(|n| *n > 0).unwrap_or(u64::MAX);
        let max_bytes = resolve(&batcher.max_input_bytes_per_batch)?.filter(|n| *n > 0).unwrap_or(262_144);
        let batch_input = match &batcher.batch_input {
            Some(arguments) => Some(self.arguments(frame, state, Some(arguments), effective, None, "BatchInput")?),
            None => None,
        };
        let mut ends = Vec::new();
        let (mut count, mut bytes) = (0_u64, 0_u64);
        for index in 0..items.len() {
            let size = items.size(index) as u64;
            if count > 0 && (count >= max_items || bytes + size > max_bytes) {
                ends.push(index);
                (count, bytes) = (0, 0);
            }
            count += 1;
            bytes += size;
        }
        if count > 0 {
            ends.push(items.len());
        }
        Ok(MapItems::Batched { items, ends, batch_input })
    }

}
