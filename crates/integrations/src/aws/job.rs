//! The `.sync` pattern ("run a job"): after the call that starts a job, Step Functions polls the service's describe
//! call until the job ends; the task's result is the job's description, a job that ends badly fails the task with
//! that description as the cause, and a task that is cancelled (its execution stopped, its timeout passed) stops
//! the job.

use serde_json::{Value, json};

/// How one service's jobs are watched and stopped.
pub(crate) struct Job {
    /// The describe call: its action, and its parameters from the task's parameters and the start call's answer.
    pub(crate) describe: &'static str,
    pub(crate) describe_parameters: fn(&Value, &Value) -> Option<Value>,
    /// The job's description within the describe call's answer.
    pub(crate) description: fn(Value) -> Option<Value>,
    /// The job's state within its description.
    pub(crate) state: &'static str,
    /// States in which the job has ended well, and ended badly.
    pub(crate) succeeded: &'static [&'static str],
    pub(crate) failed: &'static [&'static str],
    /// The call that stops the job, and its parameters.
    pub(crate) stop: &'static str,
    pub(crate) stop_parameters: fn(&Value, &Value) -> Option<Value>,
}

/// The job of a `.sync` resource (`glue:startJobRun`), if Baton knows how to watch it.
pub(crate) fn of(service: &str, action: &str) -> Option<&'static Job> {
    match (service, action) {
        ("glue", "startJobRun") => Some(&GLUE),
        _ => None,
    }
}

/// Glue `startJobRun.sync`: `GetJobRun` until the run ends; the result is the `JobRun`. `BatchStopJobRun` stops it.
static GLUE: Job = Job {
    describe: "getJobRun",
    describe_parameters: |parameters, started| {
        Some(json!({"JobName": parameters.get("JobName")?, "RunId": started.get("JobRunId")?}))
    },
    description: |answer| answer.get("JobRun").cloned(),
    state: "JobRunState",
    succeeded: &["SUCCEEDED"],
    failed: &["FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"],
    stop: "batchStopJobRun",
    stop_parameters: |parameters, started| {
        Some(json!({"JobName": parameters.get("JobName")?, "JobRunIds": [started.get("JobRunId")?]}))
    },
};

/// Where a job is, from its description.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Progress {
    Running,
    Succeeded(Value),
    Failed(Value),
}

impl Job {
    /// What `description` says of the job.
    pub(crate) fn progress(&self, description: Value) -> Progress {
        let state = description.get(self.state).and_then(Value::as_str).unwrap_or_default().to_owned();
        if self.succeeded.contains(&state.as_str()) {
            Progress::Succeeded(description)
        } else if self.failed.contains(&state.as_str()) {
            Progress::Failed(description)
        } else {
            Progress::Running
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Progress, of};
    use serde_json::json;

    #[test]
    fn glue_runs_are_watched_until_they_end() {
        let job = of("glue", "startJobRun").expect("a job");
        let parameters = json!({"JobName": "etl", "Arguments": {}});
        let started = json!({"JobRunId": "jr_1"});
        assert_eq!((job.describe_parameters)(&parameters, &started), Some(json!({"JobName": "etl", "RunId": "jr_1"})));
        assert_eq!((job.stop_parameters)(&parameters, &started), Some(json!({"JobName": "etl", "JobRunIds": ["jr_1"]})));
        let running = json!({"JobRunState": "RUNNING"});
        assert_eq!(job.progress(running), Progress::Running);
        let done = json!({"Id": "jr_1", "JobRunState": "SUCCEEDED"});
        assert_eq!(job.progress(done.clone()), Progress::Succeeded(done));
        let failed = json!({"Id": "jr_1", "JobRunState": "FAILED", "ErrorMessage": "boom"});
        assert_eq!(job.progress(failed.clone()), Progress::Failed(failed));
        assert!(of("glue", "getJobRun").is_none());
    }
}
