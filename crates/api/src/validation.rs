//! ValidateStateMachineDefinition.

use serde::{Deserialize, Serialize};

/// `ValidateStateMachineDefinitionInput`. Required: `definition`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateStateMachineDefinitionInput {
    pub definition: String,
    /// `STANDARD` (the default) or `EXPRESS`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `ERROR` (the default) or `WARNING`: the least serious diagnostics to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// 0..=100; 0 or absent means 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
}

/// `ValidateStateMachineDefinitionResultCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidateStateMachineDefinitionResultCode {
    Ok,
    Fail,
}

/// `ValidateStateMachineDefinitionSeverity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidateStateMachineDefinitionSeverity {
    Error,
    Warning,
}

/// `ValidateStateMachineDefinitionOutput`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateStateMachineDefinitionOutput {
    pub result: ValidateStateMachineDefinitionResultCode,
    pub diagnostics: Vec<ValidateStateMachineDefinitionDiagnostic>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<bool>,
}

/// `ValidateStateMachineDefinitionDiagnostic`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateStateMachineDefinitionDiagnostic {
    pub severity: ValidateStateMachineDefinitionSeverity,
    pub code: String,
    pub message: String,
    /// Where in the definition, as `/States/<name>/<field>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}
