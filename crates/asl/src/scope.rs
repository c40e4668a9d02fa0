//! Variable scope validation: a JSONPath reference to a workflow variable that no state can have assigned.
//!
//! A workflow sees the variables assigned by its own states and by the states of the workflows around it (a
//! Parallel branch or an inline Map's processor sees its parent's); a distributed Map's processor runs as child
//! executions and sees none. A JSONPath field that reads `$name` where no visible state assigns `name` can never
//! work, and is reported. JSONata references are not checked here: AWS evaluates them at run time (an unassigned
//! variable is undefined there, which the engine reports), and a JSONata expression's own `$` bindings and
//! functions make a textual check unreliable.

use std::collections::BTreeSet;

use serde_json::{Map as Object, Value};

use crate::Diagnostic;
use crate::diagnostic::{SCHEMA, escape};

/// Reports every JSONPath reference to a variable out of scope in `definition`.
pub(crate) fn check(definition: &Value, diagnostics: &mut Vec<Diagnostic>) {
    let Some(root) = definition.as_object() else { return };
    let jsonata = root.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata");
    workflow(root, "", &BTreeSet::new(), jsonata, diagnostics);
}

fn workflow(object: &Object<String, Value>, pointer: &str, outer: &BTreeSet<String>, jsonata: bool, diagnostics: &mut Vec<Diagnostic>) {
    let Some(states) = object.get("States").and_then(Value::as_object) else { return };
    let mut visible = outer.clone();
    for state in states.values() {
        assigned_names(state, &mut visible);
    }
    for (name, state) in states {
        let Some(state) = state.as_object() else { continue };
        let state_pointer = format!("{pointer}/States/{}", escape(name));
        let state_jsonata = match state.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => true,
            Some("JSONPath") => false,
            _ => jsonata,
        };
        if !state_jsonata {
            references(state, &state_pointer, &visible, diagnostics);
        }
        for (i, branch) in state.get("Branches").and_then(Value::as_array).into_iter().flatten().enumerate() {
            if let Some(branch) = branch.as_object() {
                workflow(branch, &format!("{state_pointer}/Branches/{i}"), &visible, state_jsonata, diagnostics);
            }
        }
        for key in ["ItemProcessor", "Iterator"] {
            let Some(processor) = state.get(key).and_then(Value::as_object) else { continue };
            let distributed = processor.get("ProcessorConfig").and_then(|c| c.get("Mode")).and_then(Value::as_str) == Some("DISTRIBUTED");
            let none = BTreeSet::new();
            let inherited = if distributed { &none } else { &visible };
            workflow(processor, &format!("{state_pointer}/{key}"), inherited, state_jsonata, diagnostics);
        }
    }
}

/// The names a state assigns: its `Assign`, its Choice rules' and its catchers' `Assign`.
fn assigned_names(state: &Value, names: &mut BTreeSet<String>) {
    let mut add = |assign: Option<&Value>| {
        for key in assign.and_then(Value::as_object).into_iter().flat_map(|o| o.keys()) {
            names.insert(key.strip_suffix(".$").unwrap_or(key).to_owned());
        }
    };
    add(state.get("Assign"));
    for list in ["Choices", "Catch"] {
        for item in state.get(list).and_then(Value::as_array).into_iter().flatten() {
            add(item.get("Assign"));
        }
    }
}

/// Fields whose string value is a path (or intrinsic call) that can read a variable.
fn is_path_field(key: &str) -> bool {
    key.ends_with(".$") || key.ends_with("Path") || key == "Variable"
}

/// Checks the variable references of one JSONPath state, not descending into nested workflows.
fn references(state: &Object<String, Value>, pointer: &str, visible: &BTreeSet<String>, diagnostics: &mut Vec<Diagnostic>) {
    for (key, value) in state {
        if matches!(key.as_str(), "Branches" | "ItemProcessor" | "Iterator" | "Result") {
            continue;
        }
        walk(key, value, &format!("{pointer}/{}", escape(key)), visible, diagnostics);
    }
}

fn walk(key: &str, value: &Value, pointer: &str, visible: &BTreeSet<String>, diagnostics: &mut Vec<Diagnostic>) {
    match value {
        Value::String(text) if is_path_field(key) => {
            for name in variables_in(text) {
                if !visible.contains(&name) {
                    diagnostics.push(Diagnostic::new(
                        pointer,
                        SCHEMA,
                        format!("'${name}' is not a variable that any state of this workflow or an enclosing one assigns"),
                    ));
                }
            }
        }
        Value::Object(object) => {
            for (k, v) in object {
                walk(k, v, &format!("{pointer}/{}", escape(k)), visible, diagnostics);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(key, item, &format!("{pointer}/{i}"), visible, diagnostics);
            }
        }
        _ => {}
    }
}

/// The variables a JSONPath path or intrinsic call reads: `$name` outside quoted string literals, where `name` does
/// not start `$$` (the Context object) or `$.`/`$[` (the input).
fn variables_in(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        match c {
            '\'' if previous != '\\' => quoted = !quoted,
            '$' if !quoted && previous != '$' => {
                let mut name = String::new();
                while let Some(&d) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' {
                        name.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_') {
                    names.push(name);
                }
            }
            _ => {}
        }
        previous = c;
    }
    names
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{check, variables_in};

    #[track_caller]
    fn check_refs(definition: serde_json::Value, expected: &[&str]) {
        let mut diagnostics = Vec::new();
        check(&definition, &mut diagnostics);
        let pointers: Vec<&str> = diagnostics.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(pointers, expected);
    }

    #[test]
    fn finds_variables_outside_literals() {
        assert_eq!(variables_in("$a.b"), ["a"]);
        assert_eq!(variables_in("States.Format('{} $x', $y, $$.Execution.Id, $.z)"), ["y"]);
        assert_eq!(variables_in("$"), Vec::<String>::new());
    }

    #[test]
    fn unassigned_reference_is_reported() {
        check_refs(
            json!({"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
                "B": {"Type": "Pass", "Parameters": {"a.$": "$x", "b.$": "$nope"}, "OutputPath": "$gone", "End": true}
            }}),
            &["/States/B/Parameters/b.$", "/States/B/OutputPath"],
        );
    }

    #[test]
    fn inner_scopes_see_outer_variables_but_distributed_maps_do_not() {
        check_refs(
            json!({"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "M"},
                "M": {"Type": "Map", "ItemSelector": {"v.$": "$x"}, "End": true, "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"v.$": "$x"}, "End": true}}}}
            }}),
            &["/States/M/ItemProcessor/States/I/Parameters/v.$"],
        );
        check_refs(
            json!({"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
                "P": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"v.$": "$x"}, "End": true}}}]}
            }}),
            &[],
        );
    }
}
