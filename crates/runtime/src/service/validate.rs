//! ValidateStateMachineDefinition: every problem `asl::parse` finds in a definition, as AWS reports them.
//!
//! The result is `FAIL` when any problem is an error (CreateStateMachine would refuse the definition), else `OK`.
//! Each problem keeps its code (AWS's where AWS has one: `SCHEMA_VALIDATION_FAILED`, `MISSING_TRANSITION_TARGET`,
//! `INVALID_JSON_DESCRIPTION`, `MISSING_DESCRIPTION`; Baton's own otherwise, such as `UNREACHABLE_STATE` and
//! `UNSUPPORTED_FEATURE`) and its JSON Pointer as the location (`/States/Fetch/Next`; `/` for the root). A
//! definition that is not JSON or YAML has no location; its message says where the syntax breaks.
//!
//! Warnings (`asl::parse::warnings`: a JSONata expression reading a variable no state in scope assigns, a distributed
//! Map's field in an inline Map) follow the errors, and are reported only when the request's `severity` is WARNING,
//! as AWS does (ERROR is the default). Not checked: what only an Express state machine refuses (`type`).

use crate::service::{Kind, Service};

/// The most diagnostics one answer carries, and the count when the request gives 0 or none.
pub const MAX_DIAGNOSTICS: usize = 100;

/// How serious a diagnostic is; as a filter, the least serious to report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    /// The definition cannot be created.
    #[default]
    Error,
}

/// `ValidateStateMachineDefinition`.
#[derive(Debug, Clone, Default)]
pub struct ValidateDefinition {
    /// JSON or YAML text.
    pub definition: String,
    /// `None` is STANDARD.
    pub kind: Option<Kind>,
    /// Report diagnostics at least this serious.
    pub severity: Severity,
    /// Report at most this many; 0 is `MAX_DIAGNOSTICS`.
    pub max_results: usize,
}

/// What validation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// No error (warnings allowed): the definition can be created.
    pub ok: bool,
    /// The diagnostics reported, in the order found.
    pub diagnostics: Vec<ValidationDiagnostic>,
    /// More diagnostics were found than reported.
    pub truncated: bool,
}

/// One problem, as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationDiagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// A JSON Pointer into the definition; `None` when the text does not parse.
    pub location: Option<String>,
}

impl Service {
    /// Validates a definition without creating anything.
    pub fn validate_state_machine_definition(&self, request: &ValidateDefinition) -> Validation {
        validate(request)
    }
}

fn validate(request: &ValidateDefinition) -> Validation {
    let text = &request.definition;
    let mut found: Vec<ValidationDiagnostic> = match asl::source::load(text) {
        Err(syntax) => vec![diagnostic(syntax)],
        Ok((value, format)) => {
            let errors = asl::parse::parse_loaded(text, &value, format).err().unwrap_or_default();
            let warnings = asl::parse::warnings_loaded(text, &value, format);
            errors.into_iter().chain(warnings).map(diagnostic).collect()
        }
    };
    // Errors first, then warnings, each in the order found.
    found.sort_by_key(|d| std::cmp::Reverse(d.severity));
    let ok = !found.iter().any(|d| d.severity == Severity::Error);
    let limit = match request.max_results {
        0 => MAX_DIAGNOSTICS,
        n => n.min(MAX_DIAGNOSTICS),
    };
    let mut reported: Vec<ValidationDiagnostic> =
        found.into_iter().filter(|d| d.severity >= request.severity).collect();
    let truncated = reported.len() > limit;
    reported.truncate(limit);
    Validation {
        ok,
        diagnostics: reported,
        truncated,
    }
}

fn diagnostic(d: asl::Diagnostic) -> ValidationDiagnostic {
    let syntax = d.code == asl::diagnostic::SYNTAX || d.code == asl::source::EMPTY;
    let location = match (syntax, d.pointer.is_empty()) {
        (true, _) => None,
        (false, true) => Some("/".to_owned()),
        (false, false) => Some(d.pointer),
    };
    let message = match (syntax, d.position) {
        (true, Some((line, column))) => format!("{} at line {line}, column {column}", d.message),
        _ => d.message,
    };
    let severity = match d.severity {
        asl::Severity::Error => Severity::Error,
        asl::Severity::Warning => Severity::Warning,
    };
    ValidationDiagnostic {
        severity,
        code: d.code,
        message,
        location,
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_DIAGNOSTICS, Severity, ValidateDefinition, validate};

    fn request(definition: &str, max_results: usize) -> ValidateDefinition {
        ValidateDefinition {
            definition: definition.to_owned(),
            max_results,
            ..ValidateDefinition::default()
        }
    }

    #[test]
    fn a_valid_definition_is_ok_with_no_diagnostics() {
        let v = validate(&request(
            r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
            0,
        ));
        assert!(v.ok);
        assert!(v.diagnostics.is_empty());
        assert!(!v.truncated);
        let yaml = "StartAt: P\nStates:\n  P:\n    Type: Pass\n    End: true\n";
        assert!(validate(&request(yaml, 0)).ok);
    }

    #[test]
    fn a_missing_target_is_located() {
        let v = validate(&request(
            r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Nowhere"}}}"#,
            0,
        ));
        assert!(!v.ok);
        let d = v.diagnostics.first().expect("one diagnostic");
        assert_eq!((d.severity, d.code), (Severity::Error, "MISSING_TRANSITION_TARGET"));
        assert_eq!(d.location.as_deref(), Some("/States/P/Next"));
    }

    #[test]
    fn syntax_errors_have_no_location_but_a_position() {
        let v = validate(&request("{\n  \"StartAt\": ", 0));
        assert!(!v.ok);
        let d = v.diagnostics.first().expect("one diagnostic");
        assert_eq!(d.code, "INVALID_JSON_DESCRIPTION");
        assert_eq!(d.location, None);
        assert!(d.message.contains("at line 2"), "{}", d.message);
        let v = validate(&request("  ", 0));
        assert_eq!(v.diagnostics.first().map(|d| d.code), Some("MISSING_DESCRIPTION"));
    }

    #[test]
    fn warnings_follow_the_errors_when_asked_for() {
        let definition = r#"{"QueryLanguage": "JSONata", "StartAt": "P", "States": {
            "P": {"Type": "Pass", "Output": "{% $nowhere %}", "Next": "Q"},
            "Q": {"Type": "Map", "Label": "Each", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}}}"#;
        let errors_only = validate(&request(definition, 0));
        assert!(errors_only.ok && errors_only.diagnostics.is_empty(), "{errors_only:?}");
        let all = validate(&ValidateDefinition { severity: Severity::Warning, ..request(definition, 0) });
        assert!(all.ok, "warnings do not fail a definition");
        let found: Vec<(Severity, &str, Option<&str>)> =
            all.diagnostics.iter().map(|d| (d.severity, d.code, d.location.as_deref())).collect();
        assert_eq!(
            found,
            [
                (Severity::Warning, "UNASSIGNED_VARIABLE", Some("/States/P/Output")),
                (Severity::Warning, "INLINE_MAP_FIELD", Some("/States/Q/Label")),
            ]
        );
        // With an error too, the error comes first.
        let broken = definition.replace(r#""Next": "Q""#, r#""Next": "Nowhere""#);
        let all = validate(&ValidateDefinition { severity: Severity::Warning, ..request(&broken, 0) });
        assert!(!all.ok);
        assert_eq!(all.diagnostics.first().map(|d| (d.severity, d.code)), Some((Severity::Error, "MISSING_TRANSITION_TARGET")));
    }

    #[test]
    fn root_problems_are_at_the_root() {
        let v = validate(&request(r#"{"States": {}}"#, 0));
        assert!(!v.ok);
        assert!(
            v.diagnostics.iter().any(|d| d.location.as_deref() == Some("/")),
            "{v:?}"
        );
    }

    #[test]
    fn max_results_truncates() {
        let states: Vec<String> = (0..120)
            .map(|i| format!(r#""S{i}": {{"Type": "Pass", "Next": "X{i}"}}"#))
            .collect();
        let definition = format!(r#"{{"StartAt": "S0", "States": {{{}}}}}"#, states.join(","));
        let all = validate(&request(&definition, 0));
        assert_eq!(all.diagnostics.len(), MAX_DIAGNOSTICS);
        assert!(all.truncated);
        let two = validate(&request(&definition, 2));
        assert_eq!(two.diagnostics.len(), 2);
        assert!(two.truncated && !two.ok);
        let one = validate(&request(
            r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Q"}}}"#,
            1,
        ));
        assert_eq!(one.diagnostics.len(), 1);
        assert!(!one.truncated);
    }

    #[test]
    fn warning_severity_reports_errors_too() {
        let mut r = request(r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Q"}}}"#, 0);
        r.severity = Severity::Warning;
        assert_eq!(validate(&r).diagnostics.len(), 1);
    }
}
