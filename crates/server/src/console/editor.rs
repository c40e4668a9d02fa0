//! The definition editor's server side: its check as the user types, and the YAML writer of its design view. Both are
//! `POST`s with a JSON body (`Content-Type: application/json`, which `sign_in::gate` requires of every console
//! `POST`: no HTML form of another site can send it), and both are pure apart from the HTTP plumbing: nothing is stored.
//!
//! `POST /console/api/check` with `{"definition": text}` (the text JSON or YAML): whether the text is a valid
//! definition and, if not, every problem with its line and column; the loaded value whenever the text is JSON or
//! YAML at all (the design view draws a half-built definition too); if valid, the graph as SVG and the definition
//! as JSON (what saving sends to `UpdateStateMachine`) and as YAML (for the editor's format switch). Validation is
//! `asl::parse`, the same that `CreateStateMachine` and `ValidateStateMachineDefinition` run, so the editor can never
//! approve what saving rejects.
//!
//! `POST /console/api/yaml` with `{"text": old text, "definition": value}`: the value as YAML text, keeping the
//! comments of the old text (`asl::source::to_yaml_keeping`), for when the design view changed the definition of a
//! YAML code view. The browser has no YAML library; this is it.

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::json_body;

/// The longest definition AWS accepts (1 MiB of characters); longer text is answered without parsing it.
const MAX_DEFINITION: usize = 1024 * 1024;

/// `{"valid", "format": "json"|"yaml"|null, "diagnostics": [{line, column, path, code, message, severity}], "value",
/// "svg", "json", "yaml"}`. `value` is the loaded definition (a JSON value, not text) whenever the text is JSON or YAML,
/// valid or not, and null when it is neither (or too long); `json` and `yaml` (texts) are null unless the definition
/// is valid; `svg` is its graph, or for an invalid one that loads what can be drawn of it with its states with
/// problems marked (`graph::sketch`, as `baton graph` draws it), null when it does not load. `severity` is `"error"` or `"warning"`: a definition with warnings only is valid (AWS accepts
/// it), and the editor shows them beside its graph. A body that is not `{"definition": string}` is 400 `{"error"}`.
pub(super) async fn check(body: String) -> Response {
    let text = serde_json::from_str::<Value>(&body).ok().and_then(|value| value.get("definition")?.as_str().map(str::to_owned));
    match text {
        Some(text) => json_body(&answer(&text)).into_response(),
        None => bad_request("the body must be {\"definition\": \"<the definition's text>\"}"),
    }
}

fn answer(text: &str) -> Value {
    if text.chars().count() > MAX_DEFINITION {
        let message = format!("the definition is longer than {MAX_DEFINITION} characters");
        return invalid(None, None, vec![json!({"line": null, "column": null, "path": "", "code": "SCHEMA_VALIDATION_FAILED", "message": message})]);
    }
    let (value, format) = match asl::source::load(text) {
        Ok(loaded) => loaded,
        Err(diagnostic) => return invalid(None, None, diagnostics(vec![diagnostic])),
    };
    let format_name = match format {
        asl::source::Format::Json => "json",
        asl::source::Format::Yaml => "yaml",
    };
    let warnings = asl::parse::warnings_loaded(text, &value, format);
    match asl::parse::parse_loaded(text, &value, format) {
        Ok(model) => {
            let graph = graph::build(&model);
            let svg = graph::to_svg(&graph, &graph::layout(&graph), &graph::Statuses::new());
            let json_text = serde_json::to_string_pretty(&value).unwrap_or_default();
            json!({
                "valid": true,
                "format": format_name,
                "diagnostics": diagnostics(warnings),
                "value": value,
                "svg": svg,
                "json": json_text,
                "yaml": asl::source::to_yaml(&value),
            })
        }
        Err(found) => {
            let found: Vec<asl::Diagnostic> = found.into_iter().chain(warnings).collect();
            // What can be drawn of it, its states with problems marked (as `baton graph` draws it).
            let sketch = graph::sketch(&value, &found);
            let svg = graph::to_svg(&sketch, &graph::layout(&sketch), &graph::Statuses::new());
            let mut answer = invalid(Some(format_name), Some(value), diagnostics(found));
            answer["svg"] = json!(svg);
            answer
        }
    }
}

/// Diagnostics as the editor lists them, in the order of their lines (those without a position last).
fn diagnostics(mut found: Vec<asl::Diagnostic>) -> Vec<Value> {
    found.sort_by_key(|d| (d.position.is_none(), d.position));
    found
        .into_iter()
        .map(|d| {
            let (line, column) = d.position.unzip();
            let severity = match d.severity {
                asl::Severity::Error => "error",
                asl::Severity::Warning => "warning",
            };
            json!({"line": line, "column": column, "path": d.pointer, "code": d.code, "message": d.message, "severity": severity})
        })
        .collect()
}

fn invalid(format: Option<&str>, value: Option<Value>, diagnostics: Vec<Value>) -> Value {
    json!({"valid": false, "format": format, "diagnostics": diagnostics, "value": value, "svg": null, "json": null, "yaml": null})
}

/// `{"text"}`: `definition` written as YAML keeping the comments of `text` (the code view's text before the change;
/// JSON, invalid, empty or absent keeps nothing). A body that is not `{"text"?: string, "definition": value}`, or
/// either longer than a definition may be, is 400 `{"error"}`.
pub(super) async fn yaml(body: String) -> Response {
    let request = serde_json::from_str::<Value>(&body).ok();
    let definition = request.as_ref().and_then(|request| request.get("definition"));
    let text = request.as_ref().map(|request| request.get("text").unwrap_or(&Value::Null));
    let text = match text {
        Some(Value::String(text)) => Some(text.as_str()),
        Some(Value::Null) => Some(""),
        _ => None,
    };
    let (Some(text), Some(definition)) = (text, definition) else {
        return bad_request("the body must be {\"text\": \"<the old YAML text>\", \"definition\": <the definition as JSON>}");
    };
    if text.chars().count() > MAX_DEFINITION || definition.to_string().chars().count() > MAX_DEFINITION {
        return bad_request(&format!("the definition is longer than {MAX_DEFINITION} characters"));
    }
    json_body(&json!({"text": asl::source::to_yaml_keeping(text, definition)})).into_response()
}

fn bad_request(message: &str) -> Response {
    (axum::http::StatusCode::BAD_REQUEST, json_body(&json!({"error": message}))).into_response()
}

#[cfg(test)]
mod tests {
    use super::answer;

    #[test]
    fn a_valid_json_definition_has_its_graph_and_both_texts() {
        let text = r#"{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "End": true}}}"#;
        let found = answer(text);
        assert_eq!(found["valid"], true, "{found}");
        assert_eq!(found["format"], "json");
        assert!(found["svg"].as_str().unwrap_or_default().contains(r#"data-state="Hello""#), "{found}");
        let yaml = found["yaml"].as_str().expect("yaml");
        let (again, format) = asl::source::load(yaml).expect("the YAML loads");
        assert_eq!(format, asl::source::Format::Yaml);
        assert_eq!(again, serde_json::from_str::<serde_json::Value>(text).expect("json"));
        assert_eq!(found["value"], again);
    }

    #[test]
    fn every_problem_of_a_yaml_definition_has_its_line() {
        let text = "StartAt: One\nStates:\n  One:\n    Type: Pass\n    Next: Missing\n  Two:\n    Type: Wait\n    End: true\n";
        let found = answer(text);
        assert_eq!(found["valid"], false, "{found}");
        assert_eq!(found["format"], "yaml");
        assert!(found["json"].is_null(), "{found}");
        let svg = found["svg"].as_str().unwrap_or_default();
        assert!(svg.contains(r#"data-state="One""#) && svg.contains(r#"data-state="Two""#), "drawn all the same: {found}");
        assert!(svg.contains(r#"data-state="One" class="state pass problem""#), "the state with a problem is marked: {svg}");
        assert_eq!(found["value"]["States"]["One"]["Next"], "Missing", "the loaded value comes all the same: {found}");
        let diagnostics = found["diagnostics"].as_array().expect("diagnostics");
        let at = |path: &str| diagnostics.iter().find(|d| d["path"].as_str().unwrap_or_default().starts_with(path));
        let next = at("/States/One/Next").unwrap_or_else(|| panic!("a missing target in {found}"));
        assert_eq!((next["line"].as_u64(), next["code"].as_str()), (Some(5), Some("MISSING_TRANSITION_TARGET")));
        let wait = at("/States/Two").unwrap_or_else(|| panic!("a Wait without a duration in {found}"));
        assert!(wait["line"].as_u64().is_some_and(|line| line >= 6), "{wait}");
    }

    #[test]
    fn warnings_come_with_a_valid_definition() {
        let text = "QueryLanguage: JSONata\nStartAt: Say\nStates:\n  Say:\n    Type: Pass\n    Output: '{% $nowhere %}'\n    End: true\n";
        let found = answer(text);
        assert_eq!(found["valid"], true, "{found}");
        let warning = &found["diagnostics"][0];
        assert_eq!((warning["severity"].as_str(), warning["code"].as_str()), (Some("warning"), Some("UNASSIGNED_VARIABLE")), "{found}");
        assert_eq!(warning["line"].as_u64(), Some(6), "{found}");
        assert!(found["svg"].is_string());
    }

    #[test]
    fn a_syntax_error_says_where() {
        let found = answer("{\"StartAt\": \"A\",\n  \"States\": {\n}");
        assert_eq!(found["valid"], false);
        let diagnostic = &found["diagnostics"][0];
        assert_eq!(diagnostic["code"], "INVALID_JSON_DESCRIPTION", "{found}");
        assert!(found["value"].is_null(), "{found}");
        assert!(diagnostic["line"].as_u64().is_some(), "{found}");
        assert_eq!(answer("   ")["diagnostics"][0]["code"], "MISSING_DESCRIPTION");
    }
}
