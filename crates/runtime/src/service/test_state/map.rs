//! What a tested Map state does with its input before its iterations run: its items (after `ItemsPath`, or as its
//! `ItemReader` reads `stateConfiguration.mapItemReaderData`), its iteration inputs (after `ItemSelector`), its
//! batches (after `ItemBatcher`), and its resolved `MaxConcurrency` and tolerated failure thresholds.
//!
//! The engine works them out: the Map runs in a machine of its own whose item processor is one `Pass` state, so
//! each iteration's output is its input and the Map's result is the list of them. It runs up to three times, with
//! its `ItemSelector` and `ItemBatcher` taken away, then only its `ItemBatcher`, then neither, so each stage's value
//! is the result of one run. Everything after the iterations (`ResultSelector`, `ResultPath`, `Output`, `Assign`,
//! `Retry`, `Catch`, `ResultWriter`) is taken away in these runs: the mock stands for the iterations' result.

use std::sync::Arc;

use serde_json::{Map as Object, Value, json};

use asl::Failure;
use asl::model::{Count, Map, MapMode, Percentage, QueryLanguage, State};

use crate::service::test_state::{Answerer, Setup, exited, failed, wrap};
use crate::service::{Error, Service, invalid_definition};

/// A tested Map's stages, each `None` when the Map has no such stage or its preview did not get there.
#[derive(Debug, Default)]
pub(super) struct Preview {
    pub(super) items: Option<Value>,
    pub(super) selected: Option<Value>,
    pub(super) batches: Option<Value>,
    pub(super) max_concurrency: Option<u64>,
    pub(super) tolerated_count: Option<u64>,
    pub(super) tolerated_percentage: Option<f64>,
    /// How many iterations the Map runs: its batches, else its items.
    pub(super) iterations: Option<usize>,
    /// The Map failed before its iterations (an `ItemsPath` that selects no array, an unreadable reader's data).
    pub(super) failure: Option<Failure>,
}

/// The tested Map as the request gave it: its name, its JSON and the machine's `QueryLanguage`.
pub(super) struct Source<'a> {
    pub(super) name: &'a str,
    pub(super) value: &'a Value,
    pub(super) language: Option<&'a str>,
}

/// Which stages a preview run keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Items,
    Selected,
    Batches,
}

impl Service {
    /// Works out a tested Map's stages. A Map whose `ItemReader` has no data to read (or reads a manifest, or
    /// flattens a listing) shows none of them.
    pub(super) async fn preview_map(
        &self,
        source: &Source<'_>,
        state: &State,
        map: &Map,
        setup: &Setup,
        reader_data: Option<&str>,
    ) -> Result<Preview, Error> {
        let mut preview = Preview::default();
        let (answerer, readable) = match (&map.item_reader, reader_data) {
            (None, _) => (Answerer::Fail(Failure::runtime("the Map has no ItemReader")), true),
            (Some(reader), Some(data)) => (Answerer::Reader(data), reader.manifest.is_none() && !reader.flatten),
            (Some(_), None) => (Answerer::Fail(Failure::runtime("no mapItemReaderData")), false),
        };
        if !readable {
            return Ok(preview);
        }
        let mut stages = vec![Stage::Items];
        if map.item_selector.is_some() {
            stages.push(Stage::Selected);
        }
        if map.item_batcher.is_some() {
            stages.push(Stage::Batches);
        }
        for stage in stages {
            let probed = wrap(source.name, &probe(source.value, stage), source.language);
            let machine = asl::parse::parse_value(&probed).map_err(invalid_definition)?;
            let run = self.run(Arc::new(machine), setup, &answerer).await;
            let Some(exit) = exited(&run.history, source.name) else {
                preview.failure = failed(&run.history);
                break;
            };
            let value: Value = serde_json::from_str(&exit.output).unwrap_or(Value::Null);
            preview.iterations = value.as_array().map(Vec::len);
            match stage {
                Stage::Items => preview.items = Some(value),
                Stage::Selected => preview.selected = Some(value),
                Stage::Batches => preview.batches = Some(value),
            }
            // A distributed Map's Map Run holds the limits the engine resolved.
            if let Some(run) = run.map_runs.first() {
                preview.max_concurrency = Some(run.max_concurrency);
                preview.tolerated_count = map.tolerated_failure_count.is_some().then_some(run.tolerated_failure_count);
                preview.tolerated_percentage = map.tolerated_failure_percentage.is_some().then_some(run.tolerated_failure_percentage);
            }
        }
        if map.mode == MapMode::Inline {
            let effective = effective_input(state, &setup.input);
            preview.max_concurrency = Some(match &map.max_concurrency {
                Some(count) => resolve_count(count, &effective, setup).unwrap_or(0),
                None => 0,
            });
            preview.tolerated_count = map.tolerated_failure_count.as_ref().and_then(|count| resolve_count(count, &effective, setup));
            preview.tolerated_percentage = match &map.tolerated_failure_percentage {
                Some(Percentage::Literal(p)) => Some(*p),
                _ => None,
            };
        }
        Ok(preview)
    }
}

/// Whether `failed` iterations out of `iterations` exceed the thresholds (none tolerates no failure), as the engine
/// decides for a Map Run.
pub(super) fn exceeds(failed: u32, iterations: usize, count: Option<u64>, percentage: Option<f64>) -> bool {
    let by_count = count.is_some_and(|c| u64::from(failed) <= c);
    let by_percentage = percentage.is_some_and(|p| iterations > 0 && f64::from(failed) * 100.0 / (iterations as f64) <= p);
    failed > 0 && !by_count && !by_percentage
}

/// The Map state `state` (its JSON) as a preview of `stage` runs it: its processor one `Pass` state, and the parts
/// that come after its iterations taken away.
fn probe(state: &Value, stage: Stage) -> Value {
    let mut state = state.clone();
    let Value::Object(fields) = &mut state else { return state };
    for key in ["ResultSelector", "ResultPath", "OutputPath", "Output", "Assign", "Retry", "Catch", "ResultWriter"] {
        fields.remove(key);
    }
    if stage == Stage::Items {
        fields.remove("ItemSelector");
        fields.remove("Parameters");
    }
    if stage != Stage::Batches {
        fields.remove("ItemBatcher");
    }
    for key in ["ItemProcessor", "Iterator"] {
        if let Some(Value::Object(processor)) = fields.get_mut(key) {
            processor.insert("StartAt".to_owned(), json!("Item"));
            processor.insert("States".to_owned(), json!({"Item": {"Type": "Pass", "End": true}}));
        }
    }
    state
}

/// The Map's effective input: its input after `InputPath` (JSONPath); JSONata has no InputPath.
fn effective_input(state: &State, input: &Value) -> Value {
    match (&state.query_language, &state.input_path) {
        (QueryLanguage::Jsonata, _) | (_, None) => input.clone(),
        (_, Some(asl::model::PathOrNull::Null)) => Value::Object(Object::new()),
        (_, Some(asl::model::PathOrNull::Path(path))) => {
            let (context, vars, random) = (Value::Null, Object::new(), || 0);
            path.select(&asl::Env { input, context: &context, vars: &vars, random: &random }).unwrap_or(Value::Null)
        }
    }
}

/// A literal count, or one a path selects from the effective input; `None` for a JSONata expression.
fn resolve_count(count: &Count, effective: &Value, setup: &Setup) -> Option<u64> {
    match count {
        Count::Literal(n) => Some(*n),
        Count::Path(path) => {
            let (context, random) = (Value::Null, || 0);
            let value = path.select(&asl::Env { input: effective, context: &context, vars: &setup.variables, random: &random }).ok()?;
            value.as_u64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
        }
        Count::Expr(_) => None,
    }
}
