//! A problem found in a definition, with where it is: `Diagnostic`, the codes it carries, and `escape` for the JSON
//! Pointers it holds. A leaf module: validation (`parse`, `choice`, `scope`) and loading (`source`) all use it.

use std::fmt;

/// AWS's code for a definition that breaks the schema.
pub const SCHEMA: &str = "SCHEMA_VALIDATION_FAILED";
/// AWS's code for a transition to a state that does not exist.
pub const MISSING_TARGET: &str = "MISSING_TRANSITION_TARGET";
/// A state that no transition reaches.
pub const UNREACHABLE: &str = "UNREACHABLE_STATE";
/// A feature Baton recognises but does not run yet.
pub const UNSUPPORTED: &str = "UNSUPPORTED_FEATURE";
/// The text is not JSON or YAML.
pub const SYNTAX: &str = "INVALID_JSON_DESCRIPTION";
/// A warning: a JSONata expression reads a variable that no state in scope assigns (AWS has no code for this).
pub const UNASSIGNED: &str = "UNASSIGNED_VARIABLE";
/// A warning: a distributed Map's field in an inline Map (AWS has no code for this).
pub const INLINE_MAP_FIELD: &str = "INLINE_MAP_FIELD";
/// A warning: an `ItemReader` that AWS accepts but that likely reads the wrong items (AWS has no code for this).
pub const ITEM_READER_CONFIG: &str = "ITEM_READER_CONFIG";

/// One problem in a definition. Validation collects all of them; it never stops at the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// An error rejects the definition; a warning points at something that will likely go wrong when it runs.
    pub severity: Severity,
    /// JSON Pointer (RFC 6901) to the offending value, e.g. `/States/Fetch/Retry/0/ErrorEquals`; empty for the root.
    pub pointer: String,
    /// A stable code: AWS's diagnostic code where AWS has one (`SCHEMA_VALIDATION_FAILED`, …).
    pub code: &'static str,
    /// What is wrong, as a lowercase sentence fragment naming the offending value.
    pub message: String,
    /// 1-based line and column in the source text, when the source is known.
    pub position: Option<(usize, usize)>,
}

/// How bad a problem is, as AWS's ValidateStateMachineDefinition grades its diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The definition cannot be created or run.
    Error,
    /// The definition is accepted, as AWS accepts it, but something in it will likely fail when it runs.
    Warning,
}

impl Diagnostic {
    /// An error at `pointer` with no position yet.
    pub fn new(pointer: impl Into<String>, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, pointer: pointer.into(), code, message: message.into(), position: None }
    }

    /// A warning at `pointer` with no position yet.
    pub fn warning(pointer: impl Into<String>, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::new(pointer, code, message) }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() { "/" } else { &self.pointer };
        let grade = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        match self.position {
            Some((line, column)) => write!(f, "{line}:{column}: {pointer}: {grade}{} [{}]", self.message, self.code),
            None => write!(f, "{pointer}: {grade}{} [{}]", self.message, self.code),
        }
    }
}

/// Escapes a key for a JSON Pointer (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
