//! The `.sync` pattern ("run a job"): after the call that starts a job, Step Functions polls the service's describe
//! call until the job ends; the task's result is the job's description, a job that ends badly fails the task with
//! `States.TaskFailed` and that description as the cause, and a task that is cancelled (its execution stopped, its
//! timeout passed) stops the job.
//!
//! One `Job` per start action, as the Step Functions developer guide documents it (connect-glue, connect-ecs,
//! connect-batch, connect-athena, connect-codebuild, connect-bedrock, connect-sagemaker, connect-emr,
//! connect-emr-eks, connect-emr-serverless, connect-databrew, connect-mediaconvert): Glue `startJobRun`, ECS
//! `runTask`, Batch `submitJob`, Athena `startQueryExecution`, CodeBuild `startBuild`, `startBuildBatch` and
//! `retryBuildBatch`, Bedrock `createModelCustomizationJob`, SageMaker's five job kinds, EMR `createCluster`,
//! `terminateCluster` and `addStep`, EMR on EKS `deleteVirtualCluster` and `startJobRun`, the six EMR Serverless
//! actions, DataBrew `startJobRun`, MediaConvert `createJob`, and EKS's cluster, node group and Fargate profile
//! creations and deletions (connect-eks). Where the guide shows no `.sync` result, the result
//! is the describe call's answer (or the part of it that describes the job), and a job is stopped where its service
//! has a stop call for it. Parameters and answers
//! are spelt as Step Functions spells them (PascalCase members).

use serde_json::{Value, json};

/// How one service's jobs are watched and stopped.
pub(crate) struct Job {
    /// The describe call: its action, and its parameters from the task's parameters and the start call's answer.
    pub(crate) describe: &'static str,
    pub(crate) describe_parameters: fn(&Value, &Value) -> Option<Value>,
    /// The job's description within the describe call's answer: the task's result when the job ends well.
    pub(crate) description: fn(Value) -> Option<Value>,
    /// Where the job is, from its description.
    pub(crate) progress: fn(&Value) -> Progress,
    /// For a job whose description can end in `Progress::Ended`: the one more call that says how it ended.
    pub(crate) check: Option<Check>,
    /// The task's result from the start call's answer and the description of the job that ended well, where it is
    /// not the description itself (EMR `createCluster.sync` gives the cluster's id, as its start call does).
    pub(crate) result: Option<fn(&Value, Value) -> Value>,
    /// The job is a deletion: a describe call answered `…ResourceNotFoundException` means it ended well (the
    /// result is the last description seen, else the start call's answer).
    pub(crate) gone: bool,
    /// The call that stops the job, and its parameters (`None`: the job is not stopped, as where the guide says
    /// Step Functions leaves it, or where it cannot be undone).
    pub(crate) stop: &'static str,
    pub(crate) stop_parameters: fn(&Value, &Value) -> Option<Value>,
}

/// A call made once, when a job has ended, to learn whether it ended well (an ECS task's definition says which of
/// its containers are essential).
pub(crate) struct Check {
    pub(crate) action: &'static str,
    /// Its parameters, from the job's description.
    pub(crate) parameters: fn(&Value) -> Option<Value>,
    /// Whether the job ended well, from its description and the call's answer (`None` when the call failed).
    pub(crate) succeeded: fn(&Value, Option<&Value>) -> bool,
}

/// Where a job is, from its description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    Running,
    Succeeded,
    Failed,
    /// Ended, and the job's `check` says how.
    Ended,
}

/// The reason Baton gives a service that records why a job was stopped (ECS `StopTask`, Batch `TerminateJob`).
pub(crate) const STOP_REASON: &str = "Stopped by Baton: the Step Functions task that started this job was cancelled";

/// The job of a `.sync` resource, by its AWS SDK service name and action, if Baton knows how to watch it.
pub(crate) fn of(service: &str, action: &str) -> Option<&'static Job> {
    match (service, action) {
        ("glue", "startJobRun") => Some(&GLUE),
        ("ecs", "runTask") => Some(&ECS),
        ("batch", "submitJob") => Some(&BATCH),
        ("athena", "startQueryExecution") => Some(&ATHENA),
        ("codebuild", "startBuild") => Some(&CODEBUILD),
        ("codebuild", "startBuildBatch" | "retryBuildBatch") => Some(&CODEBUILD_BATCH),
        ("bedrock", "createModelCustomizationJob") => Some(&BEDROCK_CUSTOMIZATION),
        ("sagemaker", "createTrainingJob") => Some(&SAGEMAKER_TRAINING),
        ("sagemaker", "createTransformJob") => Some(&SAGEMAKER_TRANSFORM),
        ("sagemaker", "createProcessingJob") => Some(&SAGEMAKER_PROCESSING),
        ("sagemaker", "createLabelingJob") => Some(&SAGEMAKER_LABELING),
        ("sagemaker", "createHyperParameterTuningJob") => Some(&SAGEMAKER_TUNING),
        ("emr", "createCluster") => Some(&EMR_CREATE_CLUSTER),
        ("emr", "terminateCluster") => Some(&EMR_TERMINATE_CLUSTER),
        ("emr", "addStep") => Some(&EMR_STEP),
        ("emrcontainers", "deleteVirtualCluster") => Some(&EMR_CONTAINERS_DELETE),
        ("emrcontainers", "startJobRun") => Some(&EMR_CONTAINERS_JOB),
        ("emrserverless", "createApplication") => Some(&EMR_SERVERLESS_CREATE),
        ("emrserverless", "startApplication") => Some(&EMR_SERVERLESS_START),
        ("emrserverless", "stopApplication") => Some(&EMR_SERVERLESS_STOP),
        ("emrserverless", "deleteApplication") => Some(&EMR_SERVERLESS_DELETE),
        ("emrserverless", "startJobRun") => Some(&EMR_SERVERLESS_JOB),
        ("emrserverless", "cancelJobRun") => Some(&EMR_SERVERLESS_CANCEL),
        ("databrew", "startJobRun") => Some(&DATABREW),
        ("mediaconvert", "createJob") => Some(&MEDIACONVERT),
        ("eks", "createCluster") => Some(&EKS_CREATE_CLUSTER),
        ("eks", "deleteCluster") => Some(&EKS_DELETE_CLUSTER),
        ("eks", "createNodegroup") => Some(&EKS_CREATE_NODEGROUP),
        ("eks", "deleteNodegroup") => Some(&EKS_DELETE_NODEGROUP),
        ("eks", "createFargateProfile") => Some(&EKS_CREATE_FARGATE_PROFILE),
        ("eks", "deleteFargateProfile") => Some(&EKS_DELETE_FARGATE_PROFILE),
        _ => None,
    }
}

/// The job's state at `path` in its description, mapped to its progress: `succeeded` and `failed` list the states in
/// which it has ended well and badly, any other state (or none) is still running.
fn by_state(description: &Value, path: &[&str], succeeded: &[&str], failed: &[&str]) -> Progress {
    let state = path.iter().try_fold(description, |value, key| value.get(key)).and_then(Value::as_str).unwrap_or_default();
    if succeeded.contains(&state) {
        Progress::Succeeded
    } else if failed.contains(&state) {
        Progress::Failed
    } else {
        Progress::Running
    }
}

/// The first element of the array `key` of `answer`.
fn first(answer: &Value, key: &str) -> Option<Value> {
    answer.get(key)?.get(0).cloned()
}

/// Glue `startJobRun.sync`: `GetJobRun` until the run ends; the result is the `JobRun`. `BatchStopJobRun` stops it.
static GLUE: Job = Job {
    describe: "getJobRun",
    describe_parameters: |parameters, started| {
        Some(json!({"JobName": parameters.get("JobName")?, "RunId": started.get("JobRunId")?}))
    },
    description: |answer| answer.get("JobRun").cloned(),
    progress: |run| by_state(run, &["JobRunState"], &["SUCCEEDED"], &["FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"]),
    check: None,
    result: None,
    gone: false,
    stop: "batchStopJobRun",
    stop_parameters: |parameters, started| {
        Some(json!({"JobName": parameters.get("JobName")?, "JobRunIds": [started.get("JobRunId")?]}))
    },
};

/// ECS `runTask.sync`: `DescribeTasks` until the task's `LastStatus` is `STOPPED`; the result is the `Task`. It ended
/// well when its essential containers stopped with exit code 0 (a container that never ran has none). Which
/// containers are essential is in the task definition, not in the task: when every container exited 0 the task
/// succeeded without asking; otherwise `DescribeTaskDefinition` says (once, at the end). `StopTask` stops it.
///
/// Only the first task is watched: the guide documents the result of one (`Count` above 1 is not described).
static ECS: Job = Job {
    describe: "describeTasks",
    describe_parameters: |_, started| {
        let task = first(started, "Tasks")?;
        Some(json!({"Cluster": task.get("ClusterArn")?, "Tasks": [task.get("TaskArn")?]}))
    },
    description: |answer| first(&answer, "Tasks"),
    progress: |task| match task.get("LastStatus").and_then(Value::as_str) {
        Some("STOPPED") if ecs_containers_exited_0(task, |_| true) => Progress::Succeeded,
        Some("STOPPED") => Progress::Ended,
        _ => Progress::Running,
    },
    check: Some(Check {
        action: "describeTaskDefinition",
        parameters: |task| Some(json!({"TaskDefinition": task.get("TaskDefinitionArn")?})),
        succeeded: |task, answer| {
            // Without the definition every container counts as essential: a task with one container (the usual
            // case) is judged exactly, and a failing sidecar errs towards failure.
            let definitions = answer.and_then(|a| a.get("TaskDefinition")?.get("ContainerDefinitions")?.as_array());
            let essential = |name: &str| match definitions {
                None => true,
                Some(definitions) => definitions.iter().any(|d| {
                    d.get("Name").and_then(Value::as_str) == Some(name) && d.get("Essential").and_then(Value::as_bool) != Some(false)
                }),
            };
            ecs_containers_exited_0(task, essential)
        },
    }),
    result: None,
    gone: false,
    stop: "stopTask",
    stop_parameters: |_, started| {
        let task = first(started, "Tasks")?;
        Some(json!({"Cluster": task.get("ClusterArn")?, "Task": task.get("TaskArn")?, "Reason": STOP_REASON}))
    },
};

/// Whether the stopped ECS task's containers that `essential` names (at least one) stopped with exit code 0.
fn ecs_containers_exited_0(task: &Value, essential: impl Fn(&str) -> bool) -> bool {
    let Some(containers) = task.get("Containers").and_then(Value::as_array) else { return false };
    let mut judged = containers.iter().filter(|c| essential(c.get("Name").and_then(Value::as_str).unwrap_or_default())).peekable();
    judged.peek().is_some()
        && judged.all(|c| c.get("LastStatus").and_then(Value::as_str) == Some("STOPPED") && c.get("ExitCode").and_then(Value::as_i64) == Some(0))
}

/// Batch `submitJob.sync`: `DescribeJobs` until the job is `SUCCEEDED` or `FAILED`; the result is the job's
/// `JobDetail`. `TerminateJob` (which requires a reason) stops it, whether it waits in its queue or runs.
static BATCH: Job = Job {
    describe: "describeJobs",
    describe_parameters: |_, started| Some(json!({"Jobs": [started.get("JobId")?]})),
    description: |answer| first(&answer, "Jobs"),
    progress: |job| by_state(job, &["Status"], &["SUCCEEDED"], &["FAILED"]),
    check: None,
    result: None,
    gone: false,
    stop: "terminateJob",
    stop_parameters: |_, started| Some(json!({"JobId": started.get("JobId")?, "Reason": STOP_REASON})),
};

/// Athena `startQueryExecution.sync`: `GetQueryExecution` until the query's `Status.State` is `SUCCEEDED`,
/// `FAILED` or `CANCELLED`; the result is the whole answer, `{"QueryExecution": …}`. `StopQueryExecution` stops it.
static ATHENA: Job = Job {
    describe: "getQueryExecution",
    describe_parameters: |_, started| Some(json!({"QueryExecutionId": started.get("QueryExecutionId")?})),
    description: |answer| answer.get("QueryExecution").is_some().then_some(answer),
    progress: |answer| by_state(answer, &["QueryExecution", "Status", "State"], &["SUCCEEDED"], &["FAILED", "CANCELLED"]),
    check: None,
    result: None,
    gone: false,
    stop: "stopQueryExecution",
    stop_parameters: |_, started| Some(json!({"QueryExecutionId": started.get("QueryExecutionId")?})),
};

/// The states in which a CodeBuild build or build batch has ended badly (`IN_PROGRESS` runs, `SUCCEEDED` ends well).
const CODEBUILD_FAILED: &[&str] = &["FAILED", "FAULT", "TIMED_OUT", "STOPPED"];

/// CodeBuild `startBuild.sync`: `BatchGetBuilds` until the build's `BuildStatus` leaves `IN_PROGRESS`; the result is
/// `{"Build": …}`, the shape of `StartBuild`'s answer. `StopBuild` stops it.
static CODEBUILD: Job = Job {
    describe: "batchGetBuilds",
    describe_parameters: |_, started| Some(json!({"Ids": [started.get("Build")?.get("Id")?]})),
    description: |answer| Some(json!({"Build": first(&answer, "Builds")?})),
    progress: |build| by_state(build, &["Build", "BuildStatus"], &["SUCCEEDED"], CODEBUILD_FAILED),
    check: None,
    result: None,
    gone: false,
    stop: "stopBuild",
    stop_parameters: |_, started| Some(json!({"Id": started.get("Build")?.get("Id")?})),
};

/// CodeBuild `startBuildBatch.sync` and `retryBuildBatch.sync`: `BatchGetBuildBatches` until the batch's
/// `BuildBatchStatus` leaves `IN_PROGRESS`; the result is `{"BuildBatch": …}`. `StopBuildBatch` stops it.
static CODEBUILD_BATCH: Job = Job {
    describe: "batchGetBuildBatches",
    describe_parameters: |_, started| Some(json!({"Ids": [started.get("BuildBatch")?.get("Id")?]})),
    description: |answer| Some(json!({"BuildBatch": first(&answer, "BuildBatches")?})),
    progress: |batch| by_state(batch, &["BuildBatch", "BuildBatchStatus"], &["SUCCEEDED"], CODEBUILD_FAILED),
    check: None,
    result: None,
    gone: false,
    stop: "stopBuildBatch",
    stop_parameters: |_, started| Some(json!({"Id": started.get("BuildBatch")?.get("Id")?})),
};

#[cfg(test)]
mod tests;

/// Bedrock `createModelCustomizationJob.sync`: `GetModelCustomizationJob` until the job's `Status` is `Completed`,
/// `Failed` or `Stopped`; the result is its whole answer. `StopModelCustomizationJob` stops it.
static BEDROCK_CUSTOMIZATION: Job = Job {
    describe: "getModelCustomizationJob",
    describe_parameters: |_, started| Some(json!({"JobIdentifier": started.get("JobArn")?})),
    description: |answer| answer.get("Status").is_some().then_some(answer),
    progress: |job| by_state(job, &["Status"], &["Completed"], &["Failed", "Stopped"]),
    check: None,
    result: None,
    gone: false,
    stop: "stopModelCustomizationJob",
    stop_parameters: |_, started| Some(json!({"JobIdentifier": started.get("JobArn")?})),
};

/// No stop call: the job is left to run (EMR clusters, as the guide says), or what it does cannot be undone.
fn no_stop(_: &Value, _: &Value) -> Option<Value> {
    None
}

/// A SageMaker `.sync` job named by the start call's parameter `$name`: `$describe` until `$status` is `Completed`,
/// `Failed` or `Stopped`; the result is the whole describe answer. `$stop` stops it.
macro_rules! sagemaker_job {
    ($job:ident, $name:literal, $describe:literal, $status:literal, $stop:literal) => {
        static $job: Job = Job {
            describe: $describe,
            describe_parameters: |parameters, _| Some(json!({$name: parameters.get($name)?})),
            description: |answer| answer.get($status).is_some().then_some(answer),
            progress: |job| by_state(job, &[$status], &["Completed"], &["Failed", "Stopped"]),
            check: None,
            result: None,
            gone: false,
            stop: $stop,
            stop_parameters: |parameters, _| Some(json!({$name: parameters.get($name)?})),
        };
    };
}

sagemaker_job!(SAGEMAKER_TRAINING, "TrainingJobName", "describeTrainingJob", "TrainingJobStatus", "stopTrainingJob");
sagemaker_job!(SAGEMAKER_TRANSFORM, "TransformJobName", "describeTransformJob", "TransformJobStatus", "stopTransformJob");
sagemaker_job!(SAGEMAKER_PROCESSING, "ProcessingJobName", "describeProcessingJob", "ProcessingJobStatus", "stopProcessingJob");
sagemaker_job!(SAGEMAKER_LABELING, "LabelingJobName", "describeLabelingJob", "LabelingJobStatus", "stopLabelingJob");
sagemaker_job!(
    SAGEMAKER_TUNING,
    "HyperParameterTuningJobName",
    "describeHyperParameterTuningJob",
    "HyperParameterTuningJobStatus",
    "stopHyperParameterTuningJob"
);

/// EMR `createCluster.sync`: `DescribeCluster` until the cluster is up (`RUNNING` or `WAITING`); one that
/// terminates first fails the task with the cluster as the cause. The result is the start call's answer
/// (`{ClusterId, ClusterArn}`): the guide's samples read `ClusterId` from it. The cluster is not terminated when the
/// task is cancelled (the guide: Step Functions does not terminate it).
static EMR_CREATE_CLUSTER: Job = Job {
    describe: "describeCluster",
    describe_parameters: |_, started| Some(json!({"ClusterId": started.get("ClusterId")?})),
    description: |answer| answer.get("Cluster").cloned(),
    progress: |cluster| by_state(cluster, &["Status", "State"], &["RUNNING", "WAITING"], &["TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"]),
    check: None,
    result: Some(|started, _| started.clone()),
    gone: false,
    stop: "",
    stop_parameters: no_stop,
};

/// EMR `terminateCluster.sync`: `DescribeCluster` until the cluster is `TERMINATED` (or `TERMINATED_WITH_ERRORS`,
/// terminated all the same); the result is the cluster.
static EMR_TERMINATE_CLUSTER: Job = Job {
    describe: "describeCluster",
    describe_parameters: |parameters, _| Some(json!({"ClusterId": parameters.get("ClusterId")?})),
    description: |answer| answer.get("Cluster").cloned(),
    progress: |cluster| by_state(cluster, &["Status", "State"], &["TERMINATED", "TERMINATED_WITH_ERRORS"], &[]),
    check: None,
    result: None,
    gone: false,
    stop: "",
    stop_parameters: no_stop,
};

/// EMR `addStep.sync`: `DescribeStep` until the step is `COMPLETED`, or `CANCELLED`, `FAILED` or `INTERRUPTED`;
/// the result is the step. `CancelSteps` stops it.
static EMR_STEP: Job = Job {
    describe: "describeStep",
    describe_parameters: |parameters, started| Some(json!({"ClusterId": parameters.get("ClusterId")?, "StepId": started.get("StepId")?})),
    description: |answer| answer.get("Step").cloned(),
    progress: |step| by_state(step, &["Status", "State"], &["COMPLETED"], &["CANCELLED", "FAILED", "INTERRUPTED"]),
    check: None,
    result: None,
    gone: false,
    stop: "cancelSteps",
    stop_parameters: |parameters, started| Some(json!({"ClusterId": parameters.get("ClusterId")?, "StepIds": [started.get("StepId")?]})),
};

/// EMR on EKS `deleteVirtualCluster.sync`: `DescribeVirtualCluster` until it is `TERMINATED` (`ARRESTED` fails);
/// the result is the describe answer.
static EMR_CONTAINERS_DELETE: Job = Job {
    describe: "describeVirtualCluster",
    describe_parameters: |parameters, _| Some(json!({"Id": parameters.get("Id")?})),
    description: |answer| answer.get("VirtualCluster").is_some().then_some(answer),
    progress: |answer| by_state(answer, &["VirtualCluster", "State"], &["TERMINATED"], &["ARRESTED"]),
    check: None,
    result: None,
    gone: false,
    stop: "",
    stop_parameters: no_stop,
};

/// EMR on EKS `startJobRun.sync`: `DescribeJobRun` until the run is `COMPLETED`, or `FAILED` or `CANCELLED`; the
/// result is the describe answer. `CancelJobRun` stops it.
static EMR_CONTAINERS_JOB: Job = Job {
    describe: "describeJobRun",
    describe_parameters: |parameters, started| Some(json!({"Id": started.get("Id")?, "VirtualClusterId": parameters.get("VirtualClusterId")?})),
    description: |answer| answer.get("JobRun").is_some().then_some(answer),
    progress: |answer| by_state(answer, &["JobRun", "State"], &["COMPLETED"], &["FAILED", "CANCELLED"]),
    check: None,
    result: None,
    gone: false,
    stop: "cancelJobRun",
    stop_parameters: |parameters, started| Some(json!({"Id": started.get("Id")?, "VirtualClusterId": parameters.get("VirtualClusterId")?})),
};

/// The application an EMR Serverless call names: in its parameters, or (`createApplication`) in its answer.
fn emr_serverless_application(parameters: &Value, started: &Value) -> Option<Value> {
    let id = parameters.get("ApplicationId").or_else(|| started.get("ApplicationId"))?;
    Some(json!({"ApplicationId": id}))
}

/// An EMR Serverless application action's `.sync`: `GetApplication` until the application's state is one of
/// `$succeeded` (`TERMINATED` fails the others); the result is the describe answer. Not stopped.
macro_rules! emr_serverless_application_job {
    ($job:ident, [$($succeeded:literal),*]) => {
        static $job: Job = Job {
            describe: "getApplication",
            describe_parameters: emr_serverless_application,
            description: |answer| answer.get("Application").is_some().then_some(answer),
            progress: |answer| {
                let succeeded: &[&str] = &[$($succeeded),*];
                let failed: &[&str] = if succeeded.contains(&"TERMINATED") { &[] } else { &["TERMINATED"] };
                by_state(answer, &["Application", "State"], succeeded, failed)
            },
            check: None,
            result: None,
            gone: false,
            stop: "",
            stop_parameters: no_stop,
        };
    };
}

emr_serverless_application_job!(EMR_SERVERLESS_CREATE, ["CREATED", "STARTING", "STARTED"]);
emr_serverless_application_job!(EMR_SERVERLESS_START, ["STARTED"]);
emr_serverless_application_job!(EMR_SERVERLESS_STOP, ["STOPPED"]);
emr_serverless_application_job!(EMR_SERVERLESS_DELETE, ["TERMINATED"]);

/// The job run an EMR Serverless call names: in its parameters (`cancelJobRun`), or in its answer (`startJobRun`).
fn emr_serverless_run(parameters: &Value, started: &Value) -> Option<Value> {
    let application = parameters.get("ApplicationId").or_else(|| started.get("ApplicationId"))?;
    let run = parameters.get("JobRunId").or_else(|| started.get("JobRunId"))?;
    Some(json!({"ApplicationId": application, "JobRunId": run}))
}

/// EMR Serverless `startJobRun.sync`: `GetJobRun` until the run is `SUCCESS`, or `FAILED` or `CANCELLED`; the
/// result is the describe answer. `CancelJobRun` stops it.
static EMR_SERVERLESS_JOB: Job = Job {
    describe: "getJobRun",
    describe_parameters: emr_serverless_run,
    description: |answer| answer.get("JobRun").is_some().then_some(answer),
    progress: |answer| by_state(answer, &["JobRun", "State"], &["SUCCESS"], &["FAILED", "CANCELLED"]),
    check: None,
    result: None,
    gone: false,
    stop: "cancelJobRun",
    stop_parameters: emr_serverless_run,
};

/// EMR Serverless `cancelJobRun.sync`: `GetJobRun` until the run is `CANCELLED` (one that ended otherwise fails).
static EMR_SERVERLESS_CANCEL: Job = Job {
    describe: "getJobRun",
    describe_parameters: emr_serverless_run,
    description: |answer| answer.get("JobRun").is_some().then_some(answer),
    progress: |answer| by_state(answer, &["JobRun", "State"], &["CANCELLED"], &["SUCCESS", "FAILED"]),
    check: None,
    result: None,
    gone: false,
    stop: "",
    stop_parameters: no_stop,
};

/// DataBrew `startJobRun.sync`: `DescribeJobRun` until the run is `SUCCEEDED`, or `FAILED`, `STOPPED` or
/// `TIMEOUT`; the result is the describe answer. `StopJobRun` stops it.
static DATABREW: Job = Job {
    describe: "describeJobRun",
    describe_parameters: |parameters, started| Some(json!({"Name": parameters.get("Name")?, "RunId": started.get("RunId")?})),
    description: |answer| answer.get("State").is_some().then_some(answer),
    progress: |run| by_state(run, &["State"], &["SUCCEEDED"], &["FAILED", "STOPPED", "TIMEOUT"]),
    check: None,
    result: None,
    gone: false,
    stop: "stopJobRun",
    stop_parameters: |parameters, started| Some(json!({"Name": parameters.get("Name")?, "RunId": started.get("RunId")?})),
};

/// MediaConvert `createJob.sync`: `GetJob` until the job is `COMPLETE`, or `CANCELED` or `ERROR`; the result is
/// `{"Job": …}`. `CancelJob` stops it.
static MEDIACONVERT: Job = Job {
    describe: "getJob",
    describe_parameters: |_, started| Some(json!({"Id": started.get("Job")?.get("Id")?})),
    description: |answer| answer.get("Job").is_some().then_some(answer),
    progress: |answer| by_state(answer, &["Job", "Status"], &["COMPLETE"], &["CANCELED", "ERROR"]),
    check: None,
    result: None,
    gone: false,
    stop: "cancelJob",
    stop_parameters: |_, started| Some(json!({"Id": started.get("Job")?.get("Id")?})),
};

/// An EKS resource's `.sync` (connect-eks): `$describe` with the resource's names from the task's parameters until
/// its `$status` in `$member` is one of `$succeeded` (one of `$failed` fails the task); a deletion (`gone`) ends when
/// the resource is no longer found. The result is the describe answer. Not stopped: a creation or deletion of
/// infrastructure is not undone.
macro_rules! eks_job {
    ($job:ident, $describe:literal, {$($key:literal: $parameter:literal),*}, $member:literal, [$($succeeded:literal),*], [$($failed:literal),*], $gone:literal) => {
        static $job: Job = Job {
            describe: $describe,
            describe_parameters: |parameters, _| Some(json!({$($key: parameters.get($parameter)?),*})),
            description: |answer| answer.get($member).is_some().then_some(answer),
            progress: |answer| by_state(answer, &[$member, "Status"], &[$($succeeded),*], &[$($failed),*]),
            check: None,
            result: None,
            gone: $gone,
            stop: "",
            stop_parameters: no_stop,
        };
    };
}

eks_job!(EKS_CREATE_CLUSTER, "describeCluster", {"Name": "Name"}, "Cluster", ["ACTIVE"], ["FAILED", "DELETING"], false);
eks_job!(EKS_DELETE_CLUSTER, "describeCluster", {"Name": "Name"}, "Cluster", [], ["FAILED"], true);
eks_job!(
    EKS_CREATE_NODEGROUP,
    "describeNodegroup",
    {"ClusterName": "ClusterName", "NodegroupName": "NodegroupName"},
    "Nodegroup",
    ["ACTIVE"],
    ["CREATE_FAILED", "DELETING", "DELETE_FAILED"],
    false
);
eks_job!(
    EKS_DELETE_NODEGROUP,
    "describeNodegroup",
    {"ClusterName": "ClusterName", "NodegroupName": "NodegroupName"},
    "Nodegroup",
    [],
    ["DELETE_FAILED"],
    true
);
eks_job!(
    EKS_CREATE_FARGATE_PROFILE,
    "describeFargateProfile",
    {"ClusterName": "ClusterName", "FargateProfileName": "FargateProfileName"},
    "FargateProfile",
    ["ACTIVE"],
    ["CREATE_FAILED", "DELETING", "DELETE_FAILED"],
    false
);
eks_job!(
    EKS_DELETE_FARGATE_PROFILE,
    "describeFargateProfile",
    {"ClusterName": "ClusterName", "FargateProfileName": "FargateProfileName"},
    "FargateProfile",
    [],
    ["DELETE_FAILED"],
    true
);
