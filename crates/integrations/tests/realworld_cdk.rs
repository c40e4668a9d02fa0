//! The AWS CDK's definitions (`../shared/realworld-cdk`, 151 of them, all 48 task constructs): every Task resource
//! is one Baton can call (an AWS call, a Lambda function, an HTTP endpoint, an activity or a child execution) or is
//! in `NOT_YET`, and the literal parameters of every AWS call are ones its service's model takes (the parameters
//! real users send). Skipped with a note where `../shared` is absent.

use std::collections::BTreeSet;
use std::path::Path;

use integrations::aws::target::Target;
use serde_json::{Map, Value};

/// The optimized integrations the CDK uses that Baton does not call yet.
const NOT_YET: &[&str] = &[
    "arn:aws:states:::eks:call",
];

/// Every Task state of a workflow (its States), with nested branches and processors.
fn tasks<'a>(states: &'a Map<String, Value>, out: &mut Vec<(&'a str, &'a Value)>) {
    for (name, state) in states {
        if state.get("Type").and_then(Value::as_str) == Some("Task") {
            out.push((name, state));
        }
        for branch in state.get("Branches").and_then(Value::as_array).into_iter().flatten() {
            if let Some(states) = branch.get("States").and_then(Value::as_object) {
                tasks(states, out);
            }
        }
        for key in ["Iterator", "ItemProcessor"] {
            if let Some(states) = state.get(key).and_then(|p| p.get("States")).and_then(Value::as_object) {
                tasks(states, out);
            }
        }
    }
}

/// The parameters without what only a running execution knows (`.$` fields, `{% %}` values); `None` when the whole
/// argument is an expression.
fn literal(value: &Value) -> Option<Value> {
    match value {
        Value::String(text) if text.trim_start().starts_with("{%") => None,
        Value::Object(fields) => Some(Value::Object(
            fields
                .iter()
                .filter(|(key, _)| !key.ends_with(".$"))
                .filter_map(|(key, value)| literal(value).map(|value| (key.clone(), value)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(items.iter().filter_map(literal).collect())),
        other => Some(other.clone()),
    }
}

/// Whether Baton calls `resource` some other way than through a service model.
fn local(resource: &str) -> bool {
    integrations::lambda::is_lambda(resource)
        || integrations::http::is_http(resource)
        || resource.contains(":activity:")
        || resource.starts_with("arn:aws:states:::states:startExecution")
}

#[test]
fn the_cdk_task_constructs_resolve_and_their_parameters_fit_the_models() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/realworld-cdk/defs");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("note: {} is absent; the CDK corpus test is skipped", dir.display());
        return;
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().ends_with(".asl.json")).collect();
    files.sort();
    assert!(files.len() >= 150, "only {} definitions", files.len());
    let (mut unknown, mut missing, mut problems) = (BTreeSet::new(), BTreeSet::new(), Vec::new());
    let mut called = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a readable definition");
        let definition: Value = serde_json::from_str(&text).expect("JSON");
        let mut found = Vec::new();
        tasks(definition["States"].as_object().expect("States"), &mut found);
        for (state, task) in found {
            let resource = task["Resource"].as_str().unwrap_or_default();
            if local(resource) {
                continue;
            }
            let Some(target) = Target::of(resource) else {
                if !NOT_YET.contains(&resource) {
                    unknown.insert(resource.to_owned());
                }
                continue;
            };
            if NOT_YET.contains(&resource) {
                missing.insert(resource.to_owned());
            }
            called += 1;
            let arguments = task.get("Parameters").or_else(|| task.get("Arguments")).cloned().unwrap_or(Value::Object(Map::new()));
            let Some(parameters) = literal(&arguments) else { continue };
            match integrations::aws::request(&target, &parameters) {
                Ok(_) => {}
                // What a running execution fills in is absent here.
                Err(why) if why.ends_with("is required") => {}
                Err(why) => problems.push(format!("{}: {state} ({resource}): {why}", file.display())),
            }
        }
    }
    assert!(unknown.is_empty(), "resources Baton cannot call and NOT_YET does not list: {unknown:#?}");
    assert!(missing.is_empty(), "resources Baton calls now: take them out of NOT_YET: {missing:#?}");
    assert!(problems.is_empty(), "parameters the models refuse:\n{}", problems.join("\n"));
    assert!(called >= 20, "only {called} AWS calls");
}
