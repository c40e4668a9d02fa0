//! Parallel and Map: starting child frames, collecting their results, and settling the state.

use std::sync::Arc;

use serde_json::{Value, json};

use asl::expr::Dynamic;
use asl::model::{Count, MapMode, Percentage, QueryLanguage, State, StateKind};
use asl::{Failure, errors};

use crate::execution::dataflow::{Conclusion, jsonata_type};
use crate::execution::{Execution, Flow, Frame, MapRun, Parent, Phase, Spawn, batch_value, details, display_plain, failure_of};
use crate::history::EventDetails;
use crate::variables::Scope;

impl Execution {
    pub(super) fn parallel_settled(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame_mut(fid);
        let Phase::Parallel(fanout) = std::mem::replace(&mut frame.phase, Phase::Run) else { return Flow::Stop };
        let state = machine.workflow(frame.workflow).state(frame.state);
        let StateKind::Parallel(parallel) = &state.kind else { return Flow::Stop };
        if let Some(failure) = fanout.failure {
            for child in fanout.children.into_iter().flatten() {
                self.abort_frame(child);
            }
            let failure = failure_of(failure);
            if !self.will_retry(fid, &failure) {
                self.emit(fid, EventDetails::ParallelStateFailed);
            }
            return self.fail_state(fid, failure);
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
                let states = self.states_value(frame, state, None, None, None);
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
        let items = match self.map_items(frame, state, map, &effective) {
            Ok(items) => items,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let distributed = map.mode == MapMode::Distributed;
        // AWS resolves MaxConcurrency before the Map starts, and the tolerated failure thresholds after.
        let concurrency = match self.map_concurrency(frame, state, map, &effective) {
            Ok(concurrency) => concurrency,
            Err(failure) => return self.fail_state(fid, failure),
        };
        self.emit(fid, EventDetails::MapStateStarted { length: items.len() });
        let frame = self.frame(fid);
        let (tolerated_count, tolerated_percentage) = match self.map_tolerance(frame, state, map, &effective) {
            Ok(tolerance) => tolerance,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let items = match &map.item_batcher {
            Some(batcher) if distributed => match self.batch(frame, state, batcher, items, &effective) {
                Ok(items) => items,
                Err(failure) => return self.fail_state(fid, failure),
            },
            _ => items,
        };
        if distributed {
            if map.item_reader.is_some() {
                let failure = Failure::new(
                    errors::ITEM_READER_FAILED,
                    self.prefix_text(frame, state, "ItemReader needs S3, which Baton does not provide; pass the items in the input instead"),
                );
                return self.fail_state(fid, failure);
            }
            self.map_runs += 1;
            let label = map.label.clone().unwrap_or_else(|| state.name.clone());
            let map_run_arn = format!(
                "{}/{}:{}",
                self.info.state_machine_arn.replacen(":stateMachine:", ":mapRun:", 1),
                label,
                self.map_runs
            );
            self.emit(fid, EventDetails::MapRunStarted { map_run_arn });
        }
        let default = if distributed { self.limits.distributed_map_concurrency } else { self.limits.inline_map_concurrency };
        let concurrency = match concurrency {
            0 => default,
            n => n.min(default.max(n)),
        };
        let count = items.len();
        self.frame_mut(fid).phase = Phase::Map(Box::new(MapRun {
            items,
            effective,
            next: 0,
            running: Vec::new(),
            results: vec![Value::Null; count],
            done: 0,
            failed: 0,
            concurrency,
            tolerated_count,
            tolerated_percentage,
            distributed,
            failure: None,
        }));
        Flow::Continue
    }

    /// Starts iterations up to the concurrency limit, and settles the Map when every item is done or it failed.
    pub(super) fn map_step(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let (workflow, state_id) = {
            let frame = self.frame(fid);
            (frame.workflow, frame.state)
        };
        let state = machine.workflow(workflow).state(state_id);
        let StateKind::Map(map) = &state.kind else { return Flow::Stop };
        loop {
            let (index, item, distributed, effective) = {
                let Phase::Map(run) = &mut self.frame_mut(fid).phase else { return Flow::Stop };
                if run.failure.is_some() || run.done == run.items.len() {
                    return self.map_settled(fid);
                }
                if run.running.len() >= run.concurrency || run.next >= run.items.len() {
                    return Flow::Stop;
                }
                let index = run.next;
                run.next += 1;
                let item = std::mem::take(run.items.get_mut(index).expect("invariant: index below items.len()"));
                (index, item, run.distributed, std::mem::take(&mut run.effective))
            };
            let frame = self.frame(fid);
            let input = match &map.item_selector {
                Some(selector) => {
                    let extra = json!({"Index": index, "Value": item});
                    self.arguments(frame, state, Some(selector), &effective, Some(extra), "ItemSelector")
                }
                None => Ok(item),
            };
            let record = frame.record && !distributed;
            let Phase::Map(run) = &mut self.frame_mut(fid).phase else { return Flow::Stop };
            run.effective = effective;
            let input = match input {
                Ok(input) => input,
                Err(failure) => {
                    run.failure = Some(details(failure));
                    return self.map_settled(fid);
                }
            };
            let started = if record {
                self.emit(fid, EventDetails::MapIterationStarted { name: state.name.clone(), index })
            } else {
                self.frame(fid).last_event
            };
            let start = machine.workflow(map.processor).start_at;
            // A distributed Map's iterations are child executions: they do not see the parent's variables.
            let vars = if distributed { Arc::new(Scope::default()) } else { Arc::new(Scope::inside(self.frame(fid).vars.clone())) };
            let parent = Parent::Iteration { frame: fid, index };
            let spawn = Spawn { workflow: map.processor, state: start, parent, input, last_event: started, record, vars };
            let child = self.spawn(spawn);
            self.queue.push_back(child);
            if let Phase::Map(run) = &mut self.frame_mut(fid).phase {
                run.running.push(child);
            }
        }
    }

    pub(super) fn map_settled(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame_mut(fid);
        let Phase::Map(run) = std::mem::replace(&mut frame.phase, Phase::Run) else { return Flow::Stop };
        let state = machine.workflow(frame.workflow).state(frame.state);
        let StateKind::Map(map) = &state.kind else { return Flow::Stop };
        if let Some(failure) = run.failure {
            for child in run.running {
                self.abort_frame(child);
            }
            if run.distributed {
                self.emit(fid, EventDetails::MapRunFailed(failure.clone()));
            }
            let failure = failure_of(failure);
            if !self.will_retry(fid, &failure) {
                self.emit(fid, EventDetails::MapStateFailed);
            }
            return self.fail_state(fid, failure);
        }
        if run.distributed {
            self.emit(fid, EventDetails::MapRunSucceeded);
        }
        self.emit(fid, EventDetails::MapStateSucceeded);
        let frame = self.frame(fid);
        let conclusion = Conclusion {
            result: Value::Array(run.results),
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
                let states = self.states_value(frame, state, None, None, None);
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

    /// Groups items into batches as ItemBatcher says: `{"Items": […], "BatchInput": …}`.
    pub(super) fn batch(
        &self,
        frame: &Frame,
        state: &State,
        batcher: &asl::model::ItemBatcher,
        items: Vec<Value>,
        effective: &Value,
    ) -> Result<Vec<Value>, Failure> {
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
        let mut batches = Vec::new();
        let mut current: Vec<Value> = Vec::new();
        let mut bytes = 0_u64;
        for item in items {
            let size = item.to_string().len() as u64;
            if !current.is_empty() && (current.len() as u64 >= max_items || bytes + size > max_bytes) {
                batches.push(batch_value(std::mem::take(&mut current), batch_input.as_ref()));
                bytes = 0;
            }
            bytes += size;
            current.push(item);
        }
        if !current.is_empty() {
            batches.push(batch_value(current, batch_input.as_ref()));
        }
        Ok(batches)
    }

}
