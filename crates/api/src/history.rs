//! GetExecutionHistory. Events stay `serde_json::Value`: the engine's `HistoryEvent` already renders them in wire
//! form, and this crate does not duplicate its 62 event types.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GetExecutionHistoryInput`. Required: `executionArn`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetExecutionHistoryInput {
    pub execution_arn: String,
    /// 0..=1000; 0 or absent means the default page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reverse_order: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// `false` leaves inputs and outputs out of the events; absent means `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_execution_data: Option<bool>,
}

/// `GetExecutionHistoryOutput`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetExecutionHistoryOutput {
    pub events: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}
