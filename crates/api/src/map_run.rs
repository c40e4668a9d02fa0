//! Map Runs: DescribeMapRun, ListMapRuns, UpdateMapRun.

use serde::{Deserialize, Serialize};

/// `DescribeMapRunInput`. Required: `mapRunArn`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeMapRunInput {
    pub map_run_arn: String,
}

/// `MapRunStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MapRunStatus {
    Running,
    Succeeded,
    Failed,
    Aborted,
}

/// `MapRunItemCounts` and `MapRunExecutionCounts`, which have the same members.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunCounts {
    pub pending: i64,
    pub running: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub timed_out: i64,
    pub aborted: i64,
    pub total: i64,
    pub results_written: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures_not_redrivable: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_redrive: Option<i64>,
}

/// `DescribeMapRunOutput`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeMapRunOutput {
    pub map_run_arn: String,
    pub execution_arn: String,
    pub status: MapRunStatus,
    pub start_date: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_date: Option<f64>,
    pub max_concurrency: i64,
    pub tolerated_failure_percentage: f64,
    pub tolerated_failure_count: i64,
    pub item_counts: MapRunCounts,
    pub execution_counts: MapRunCounts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_date: Option<f64>,
}

/// `ListMapRunsInput`. Required: `executionArn`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMapRunsInput {
    pub execution_arn: String,
    /// 0..=1000; 0 or absent means the default page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `MapRunListItem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapRunListItem {
    pub execution_arn: String,
    pub map_run_arn: String,
    pub state_machine_arn: String,
    pub start_date: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_date: Option<f64>,
}

/// `ListMapRunsOutput`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListMapRunsOutput {
    pub map_runs: Vec<MapRunListItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `UpdateMapRunInput`. Required: `mapRunArn`. Its output is empty (`EmptyOutput`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMapRunInput {
    pub map_run_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerated_failure_percentage: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerated_failure_count: Option<i64>,
}
