//! Each job's describe and stop parameters from a start call's answer, and its progress from descriptions shaped as
//! AWS returns them (abridged from the services' API reference examples, and for ECS from an execution history
//! recorded on AWS: the `TaskSubmitted` output and the `TaskSucceeded` task of a `runTask.sync`).

use serde_json::{Value, json};

use super::{Job, Progress, STOP_REASON, of};

fn job(service: &str, action: &str) -> &'static Job {
    of(service, action).unwrap_or_else(|| panic!("{service}:{action} is a job"))
}

/// The job's progress from the describe call's `answer`.
#[track_caller]
fn progress(job: &Job, answer: Value) -> Progress {
    let description = (job.description)(answer).expect("the answer describes the job");
    (job.progress)(&description)
}

#[test]
fn glue_runs_are_watched_until_they_end() {
    let job = job("glue", "startJobRun");
    let parameters = json!({"JobName": "etl", "Arguments": {}});
    let started = json!({"JobRunId": "jr_1"});
    assert_eq!((job.describe_parameters)(&parameters, &started), Some(json!({"JobName": "etl", "RunId": "jr_1"})));
    assert_eq!((job.stop_parameters)(&parameters, &started), Some(json!({"JobName": "etl", "JobRunIds": ["jr_1"]})));
    assert_eq!(progress(job, json!({"JobRun": {"JobRunState": "RUNNING"}})), Progress::Running);
    let done = json!({"Id": "jr_1", "JobRunState": "SUCCEEDED"});
    assert_eq!((job.description)(json!({"JobRun": done.clone()})), Some(done.clone()));
    assert_eq!((job.progress)(&done), Progress::Succeeded);
    assert_eq!((job.progress)(&json!({"Id": "jr_1", "JobRunState": "FAILED", "ErrorMessage": "boom"})), Progress::Failed);
    assert!(of("glue", "getJobRun").is_none());
}

const CLUSTER: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/jobs";
const TASK: &str = "arn:aws:ecs:us-east-1:123456789012:task/jobs/0b69d5c0d8d9447c8a3e3a0d1e2f3a4b";
const DEFINITION: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/report:3";

/// A `RunTask` answer as the optimized integration returns it: the task just placed, with the Java SDK's metadata.
fn ecs_started() -> Value {
    json!({
        "Failures": [],
        "SdkHttpMetadata": {"HttpStatusCode": 200},
        "SdkResponseMetadata": {"RequestId": "8b2e1f0a-5c3d-4e6f-9a8b-7c6d5e4f3a2b"},
        "Tasks": [{
            "ClusterArn": CLUSTER, "TaskArn": TASK, "TaskDefinitionArn": DEFINITION,
            "Containers": [{"Name": "report", "LastStatus": "PENDING", "TaskArn": TASK}],
            "DesiredStatus": "RUNNING", "LastStatus": "PROVISIONING", "LaunchType": "FARGATE", "Version": 1
        }]
    })
}

/// A stopped task as `DescribeTasks` gives it, with `containers` (name, last status, exit code).
fn ecs_stopped(containers: &[(&str, &str, Option<i64>)], stop_code: &str, reason: &str) -> Value {
    let containers: Vec<Value> = containers
        .iter()
        .map(|(name, status, code)| {
            let mut container = json!({"Name": name, "LastStatus": status, "TaskArn": TASK});
            if let Some(code) = code {
                container["ExitCode"] = json!(code);
            }
            container
        })
        .collect();
    json!({"Tasks": [{
        "ClusterArn": CLUSTER, "TaskArn": TASK, "TaskDefinitionArn": DEFINITION, "Containers": containers,
        "DesiredStatus": "STOPPED", "LastStatus": "STOPPED", "StopCode": stop_code, "StoppedReason": reason, "Version": 5
    }], "Failures": []})
}

#[test]
fn ecs_tasks_are_watched_until_stopped_and_stopped_with_a_reason() {
    let job = job("ecs", "runTask");
    let parameters = json!({"Cluster": "jobs", "TaskDefinition": "report", "LaunchType": "FARGATE"});
    assert_eq!((job.describe_parameters)(&parameters, &ecs_started()), Some(json!({"Cluster": CLUSTER, "Tasks": [TASK]})));
    assert_eq!(
        (job.stop_parameters)(&parameters, &ecs_started()),
        Some(json!({"Cluster": CLUSTER, "Task": TASK, "Reason": STOP_REASON}))
    );
    assert_eq!((job.describe_parameters)(&parameters, &json!({"Tasks": [], "Failures": [{"Reason": "RESOURCE:MEMORY"}]})), None);
    for status in ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING"] {
        let mut answer = ecs_started();
        answer["Tasks"][0]["LastStatus"] = json!(status);
        assert_eq!(progress(job, answer), Progress::Running, "{status}");
    }
    // The result is the task itself, not DescribeTasks' answer.
    let answer = ecs_stopped(&[("report", "STOPPED", Some(0))], "EssentialContainerExited", "Essential container in task exited");
    let task = (job.description)(answer.clone()).expect("a task");
    assert_eq!(task["TaskArn"], json!(TASK));
    assert_eq!(progress(job, answer), Progress::Succeeded);
    assert_eq!((job.description)(json!({"Tasks": [], "Failures": [{"Arn": TASK, "Reason": "MISSING"}]})), None);
}

#[test]
fn an_ecs_task_succeeds_when_its_essential_containers_exit_0() {
    let job = job("ecs", "runTask");
    let check = job.check.as_ref().expect("ECS checks the task definition");
    let exited = |containers: &[(&str, &str, Option<i64>)], stop_code: &str| {
        (job.description)(ecs_stopped(containers, stop_code, "Essential container in task exited")).expect("a task")
    };
    // A container that failed, or never ran (no exit code): the task definition decides.
    let failed = exited(&[("report", "STOPPED", Some(1))], "EssentialContainerExited");
    assert_eq!((job.progress)(&failed), Progress::Ended);
    assert_eq!((check.parameters)(&failed), Some(json!({"TaskDefinition": DEFINITION})));
    let definition = |containers: Value| json!({"TaskDefinition": {"TaskDefinitionArn": DEFINITION, "ContainerDefinitions": containers}});
    let one = definition(json!([{"Name": "report", "Essential": true}]));
    assert!(!(check.succeeded)(&failed, Some(&one)));
    assert!(!(check.succeeded)(&failed, None));
    let never_ran = exited(&[("report", "STOPPED", None)], "TaskFailedToStart");
    assert_eq!((job.progress)(&never_ran), Progress::Ended);
    assert!(!(check.succeeded)(&never_ran, Some(&one)));
    // A sidecar killed when the essential container exited does not fail the task; essential is the default.
    let sidecar = exited(&[("report", "STOPPED", Some(0)), ("log-router", "STOPPED", Some(137))], "EssentialContainerExited");
    assert_eq!((job.progress)(&sidecar), Progress::Ended);
    let with_sidecar = definition(json!([{"Name": "report"}, {"Name": "log-router", "Essential": false}]));
    assert!((check.succeeded)(&sidecar, Some(&with_sidecar)));
    assert!(!(check.succeeded)(&sidecar, None), "without the definition every container counts");
    let both_essential = definition(json!([{"Name": "report"}, {"Name": "log-router"}]));
    assert!(!(check.succeeded)(&sidecar, Some(&both_essential)));
    // A task stopped with StopTask: its container was killed (SIGTERM, 143), or never left PENDING.
    let stopped = exited(&[("report", "STOPPED", Some(143))], "UserInitiated");
    assert!(!(check.succeeded)(&stopped, Some(&one)));
    let pending = exited(&[("report", "PENDING", Some(0))], "UserInitiated");
    assert_eq!((job.progress)(&pending), Progress::Ended);
    assert!(!(check.succeeded)(&pending, Some(&one)), "a container that never ran did not exit 0");
}

#[test]
fn batch_jobs_are_watched_until_they_end() {
    let job = job("batch", "submitJob");
    let parameters = json!({"JobName": "example", "JobQueue": "HighPriority", "JobDefinition": "sleep60"});
    let started = json!({"JobArn": "arn:aws:batch:us-east-1:123456789012:job/876da822-4198-45f2-a252-6cea32512ea8", "JobId": "876da822-4198-45f2-a252-6cea32512ea8", "JobName": "example"});
    assert_eq!((job.describe_parameters)(&parameters, &started), Some(json!({"Jobs": ["876da822-4198-45f2-a252-6cea32512ea8"]})));
    assert_eq!(
        (job.stop_parameters)(&parameters, &started),
        Some(json!({"JobId": "876da822-4198-45f2-a252-6cea32512ea8", "Reason": STOP_REASON}))
    );
    let described = |status: &str| {
        json!({"Jobs": [{
            "JobId": "876da822-4198-45f2-a252-6cea32512ea8", "JobName": "example", "JobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/HighPriority",
            "JobDefinition": "arn:aws:batch:us-east-1:123456789012:job-definition/sleep60:1", "Status": status,
            "Container": {"Command": ["sleep", "60"], "Image": "busybox", "Vcpus": 1, "Memory": 128}
        }]})
    };
    for status in ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"] {
        assert_eq!(progress(job, described(status)), Progress::Running, "{status}");
    }
    let done = (job.description)(described("SUCCEEDED")).expect("a job");
    assert_eq!(done["JobName"], json!("example"), "the result is the JobDetail");
    assert_eq!(progress(job, described("SUCCEEDED")), Progress::Succeeded);
    assert_eq!(progress(job, described("FAILED")), Progress::Failed);
}

#[test]
fn athena_queries_are_watched_until_they_end() {
    let job = job("athena", "startQueryExecution");
    let parameters = json!({"QueryString": "SELECT 1", "WorkGroup": "primary"});
    let started = json!({"QueryExecutionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"});
    assert_eq!((job.describe_parameters)(&parameters, &started), Some(json!({"QueryExecutionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"})));
    assert_eq!((job.stop_parameters)(&parameters, &started), Some(json!({"QueryExecutionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"})));
    let described = |state: &str| {
        json!({"QueryExecution": {
            "QueryExecutionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111", "Query": "SELECT 1",
            "StatementType": "DML", "WorkGroup": "primary",
            "ResultConfiguration": {"OutputLocation": "s3://amzn-s3-demo-bucket/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111.csv"},
            "Status": {"State": state, "SubmissionDateTime": "2021-04-23T21:22:06.271Z"}
        }})
    };
    assert_eq!(progress(job, described("QUEUED")), Progress::Running);
    assert_eq!(progress(job, described("RUNNING")), Progress::Running);
    // The result is GetQueryExecution's whole answer.
    assert_eq!((job.description)(described("SUCCEEDED")), Some(described("SUCCEEDED")));
    assert_eq!(progress(job, described("SUCCEEDED")), Progress::Succeeded);
    assert_eq!(progress(job, described("FAILED")), Progress::Failed);
    assert_eq!(progress(job, described("CANCELLED")), Progress::Failed);
    assert_eq!((job.description)(json!({})), None);
}

#[test]
fn codebuild_builds_and_build_batches_are_watched_until_they_end() {
    let job = job("codebuild", "startBuild");
    let parameters = json!({"ProjectName": "codebuild-demo-project"});
    let id = "codebuild-demo-project:9b0ac37f-d19e-4254-9079-f47e9a389eEX";
    let started = json!({"Build": {"Id": id, "Arn": format!("arn:aws:codebuild:us-east-1:123456789012:build/{id}"), "BuildStatus": "IN_PROGRESS"}});
    assert_eq!((job.describe_parameters)(&parameters, &started), Some(json!({"Ids": [id]})));
    assert_eq!((job.stop_parameters)(&parameters, &started), Some(json!({"Id": id})));
    let described = |status: &str| json!({"Builds": [{"Id": id, "BuildStatus": status, "CurrentPhase": "COMPLETED", "ProjectName": "codebuild-demo-project"}], "BuildsNotFound": []});
    assert_eq!(progress(job, described("IN_PROGRESS")), Progress::Running);
    let result = (job.description)(described("SUCCEEDED")).expect("a build");
    assert_eq!(result["Build"]["Id"], json!(id), "the result has StartBuild's shape");
    assert_eq!(progress(job, described("SUCCEEDED")), Progress::Succeeded);
    for status in ["FAILED", "FAULT", "TIMED_OUT", "STOPPED"] {
        assert_eq!(progress(job, described(status)), Progress::Failed, "{status}");
    }
    assert_eq!((job.description)(json!({"Builds": [], "BuildsNotFound": [id]})), None);

    for action in ["startBuildBatch", "retryBuildBatch"] {
        let job = self::job("codebuild", action);
        let started = json!({"BuildBatch": {"Id": "demo:1", "BuildBatchStatus": "IN_PROGRESS"}});
        assert_eq!((job.describe_parameters)(&parameters, &started), Some(json!({"Ids": ["demo:1"]})));
        assert_eq!((job.stop_parameters)(&parameters, &started), Some(json!({"Id": "demo:1"})));
        let described = |status: &str| json!({"BuildBatches": [{"Id": "demo:1", "BuildBatchStatus": status}]});
        assert_eq!(progress(job, described("IN_PROGRESS")), Progress::Running);
        assert_eq!(progress(job, described("SUCCEEDED")), Progress::Succeeded);
        assert_eq!(progress(job, described("STOPPED")), Progress::Failed);
        assert_eq!((job.description)(described("SUCCEEDED")), Some(json!({"BuildBatch": {"Id": "demo:1", "BuildBatchStatus": "SUCCEEDED"}})));
    }
    assert!(of("codebuild", "stopBuild").is_none());
}

/// The ECS job reads what `sdk` makes of ECS's wire answers (camelCase JSON 1.1 in, Step Functions' PascalCase out):
/// a stopped task whose sidecar was killed, and its task definition, which marks the sidecar not essential.
#[test]
fn ecs_wire_answers_parse_into_what_the_job_reads() {
    let ecs = sdk::load("ecs").expect("the ECS model");
    let parse = |action: &str, body: Value| {
        let operation = ecs.model.operation(action).expect("the action");
        let headers = vec![("content-type".to_owned(), "application/x-amz-json-1.1".to_owned())];
        let body = body.to_string().into_bytes();
        sdk::protocol::parse(&ecs, operation, &sdk::protocol::Response { status: 200, headers: &headers, body: &body }).expect("an answer")
    };
    let tasks = parse(
        "describeTasks",
        json!({"failures": [], "tasks": [{
            "clusterArn": CLUSTER, "taskArn": TASK, "taskDefinitionArn": DEFINITION, "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED", "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
            "containers": [
                {"name": "report", "lastStatus": "STOPPED", "exitCode": 0, "taskArn": TASK},
                {"name": "log-router", "lastStatus": "STOPPED", "exitCode": 137, "taskArn": TASK}
            ]
        }]}),
    );
    let job = job("ecs", "runTask");
    let task = (job.description)(tasks).expect("a task");
    assert_eq!((job.progress)(&task), Progress::Ended);
    let check = job.check.as_ref().expect("a check");
    assert_eq!((check.parameters)(&task), Some(json!({"TaskDefinition": DEFINITION})));
    let definition = parse(
        "describeTaskDefinition",
        json!({"taskDefinition": {"taskDefinitionArn": DEFINITION, "family": "report", "containerDefinitions": [
            {"name": "report", "image": "busybox", "essential": true},
            {"name": "log-router", "image": "fluent-bit", "essential": false}
        ]}}),
    );
    assert!((check.succeeded)(&task, Some(&definition)), "{definition}");
}

#[test]
fn bedrock_customization_jobs_are_watched_until_they_end() {
    let job = job("bedrock", "createModelCustomizationJob");
    let arn = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.titan-text-express-v1:0:8k/abc123";
    let started = json!({"JobArn": arn});
    assert_eq!((job.describe_parameters)(&json!({}), &started), Some(json!({"JobIdentifier": arn})));
    assert_eq!((job.stop_parameters)(&json!({}), &started), Some(json!({"JobIdentifier": arn})));
    assert_eq!(job.describe, "getModelCustomizationJob");
    assert_eq!(job.stop, "stopModelCustomizationJob");
    let described = |status: &str| json!({"JobArn": arn, "JobName": "job", "Status": status, "OutputModelName": "custom"});
    assert_eq!(progress(job, described("InProgress")), Progress::Running);
    assert_eq!(progress(job, described("Stopping")), Progress::Running);
    assert_eq!(progress(job, described("Completed")), Progress::Succeeded);
    assert_eq!(progress(job, described("Failed")), Progress::Failed);
    assert_eq!(progress(job, described("Stopped")), Progress::Failed);
    assert_eq!((job.description)(described("Completed")), Some(described("Completed")), "the result is the whole answer");
}

/// Each job's describe call from its task's parameters and start answer, its progress from describe answers with the
/// given state (running, succeeded, failed), and its stop call (`None` where the job is not stopped).
#[test]
fn the_other_jobs_are_described_judged_and_stopped() {
    #[allow(clippy::type_complexity)]
    let cases: &[(&str, &str, Value, Value, Value, fn(&str) -> Value, [&str; 3], Option<(&str, Value)>)] = &[
        (
            "sagemaker", "createTrainingJob", json!({"TrainingJobName": "t1"}), json!({"TrainingJobArn": "arn:t1"}),
            json!({"TrainingJobName": "t1"}), |s| json!({"TrainingJobName": "t1", "TrainingJobStatus": s}),
            ["InProgress", "Completed", "Failed"], Some(("stopTrainingJob", json!({"TrainingJobName": "t1"}))),
        ),
        (
            "sagemaker", "createTransformJob", json!({"TransformJobName": "x"}), json!({}), json!({"TransformJobName": "x"}),
            |s| json!({"TransformJobStatus": s}), ["Stopping", "Completed", "Stopped"], Some(("stopTransformJob", json!({"TransformJobName": "x"}))),
        ),
        (
            "sagemaker", "createProcessingJob", json!({"ProcessingJobName": "p"}), json!({}), json!({"ProcessingJobName": "p"}),
            |s| json!({"ProcessingJobStatus": s}), ["InProgress", "Completed", "Failed"], Some(("stopProcessingJob", json!({"ProcessingJobName": "p"}))),
        ),
        (
            "sagemaker", "createLabelingJob", json!({"LabelingJobName": "l"}), json!({}), json!({"LabelingJobName": "l"}),
            |s| json!({"LabelingJobStatus": s}), ["Initializing", "Completed", "Failed"], Some(("stopLabelingJob", json!({"LabelingJobName": "l"}))),
        ),
        (
            "sagemaker", "createHyperParameterTuningJob", json!({"HyperParameterTuningJobName": "h"}), json!({}),
            json!({"HyperParameterTuningJobName": "h"}), |s| json!({"HyperParameterTuningJobStatus": s}), ["InProgress", "Completed", "Stopped"],
            Some(("stopHyperParameterTuningJob", json!({"HyperParameterTuningJobName": "h"}))),
        ),
        (
            "emr", "createCluster", json!({"Name": "c"}), json!({"ClusterId": "j-1", "ClusterArn": "arn:j-1"}), json!({"ClusterId": "j-1"}),
            |s| json!({"Cluster": {"Id": "j-1", "Status": {"State": s}}}), ["BOOTSTRAPPING", "WAITING", "TERMINATED_WITH_ERRORS"], None,
        ),
        (
            "emr", "terminateCluster", json!({"ClusterId": "j-1"}), json!({}), json!({"ClusterId": "j-1"}),
            |s| json!({"Cluster": {"Status": {"State": s}}}), ["TERMINATING", "TERMINATED", "none"], None,
        ),
        (
            "emr", "addStep", json!({"ClusterId": "j-1", "Step": {}}), json!({"StepId": "s-1"}), json!({"ClusterId": "j-1", "StepId": "s-1"}),
            |s| json!({"Step": {"Status": {"State": s}}}), ["PENDING", "COMPLETED", "INTERRUPTED"],
            Some(("cancelSteps", json!({"ClusterId": "j-1", "StepIds": ["s-1"]}))),
        ),
        (
            "emrcontainers", "deleteVirtualCluster", json!({"Id": "vc"}), json!({"Id": "vc"}), json!({"Id": "vc"}),
            |s| json!({"VirtualCluster": {"State": s}}), ["TERMINATING", "TERMINATED", "ARRESTED"], None,
        ),
        (
            "emrcontainers", "startJobRun", json!({"VirtualClusterId": "vc"}), json!({"Id": "r1", "VirtualClusterId": "vc"}),
            json!({"Id": "r1", "VirtualClusterId": "vc"}), |s| json!({"JobRun": {"State": s}}), ["SUBMITTED", "COMPLETED", "CANCELLED"],
            Some(("cancelJobRun", json!({"Id": "r1", "VirtualClusterId": "vc"}))),
        ),
        (
            "emrserverless", "createApplication", json!({"Name": "a"}), json!({"ApplicationId": "app"}), json!({"ApplicationId": "app"}),
            |s| json!({"Application": {"State": s}}), ["CREATING", "CREATED", "TERMINATED"], None,
        ),
        (
            "emrserverless", "startApplication", json!({"ApplicationId": "app"}), json!({}), json!({"ApplicationId": "app"}),
            |s| json!({"Application": {"State": s}}), ["STARTING", "STARTED", "TERMINATED"], None,
        ),
        (
            "emrserverless", "stopApplication", json!({"ApplicationId": "app"}), json!({}), json!({"ApplicationId": "app"}),
            |s| json!({"Application": {"State": s}}), ["STOPPING", "STOPPED", "TERMINATED"], None,
        ),
        (
            "emrserverless", "deleteApplication", json!({"ApplicationId": "app"}), json!({}), json!({"ApplicationId": "app"}),
            |s| json!({"Application": {"State": s}}), ["STOPPED", "TERMINATED", "none"], None,
        ),
        (
            "emrserverless", "startJobRun", json!({"ApplicationId": "app"}), json!({"ApplicationId": "app", "JobRunId": "r"}),
            json!({"ApplicationId": "app", "JobRunId": "r"}), |s| json!({"JobRun": {"State": s}}), ["RUNNING", "SUCCESS", "FAILED"],
            Some(("cancelJobRun", json!({"ApplicationId": "app", "JobRunId": "r"}))),
        ),
        (
            "emrserverless", "cancelJobRun", json!({"ApplicationId": "app", "JobRunId": "r"}), json!({}),
            json!({"ApplicationId": "app", "JobRunId": "r"}), |s| json!({"JobRun": {"State": s}}), ["CANCELLING", "CANCELLED", "SUCCESS"], None,
        ),
        (
            "databrew", "startJobRun", json!({"Name": "j"}), json!({"RunId": "r"}), json!({"Name": "j", "RunId": "r"}),
            |s| json!({"Name": "j", "RunId": "r", "State": s}), ["STARTING", "SUCCEEDED", "TIMEOUT"], Some(("stopJobRun", json!({"Name": "j", "RunId": "r"}))),
        ),
        (
            "mediaconvert", "createJob", json!({"Role": "r"}), json!({"Job": {"Id": "1", "Status": "SUBMITTED"}}), json!({"Id": "1"}),
            |s| json!({"Job": {"Id": "1", "Status": s}}), ["PROGRESSING", "COMPLETE", "ERROR"], Some(("cancelJob", json!({"Id": "1"}))),
        ),
        (
            "eks", "createCluster", json!({"Name": "c"}), json!({"Cluster": {"Name": "c", "Status": "CREATING"}}), json!({"Name": "c"}),
            |s| json!({"Cluster": {"Name": "c", "Status": s}}), ["CREATING", "ACTIVE", "FAILED"], None,
        ),
        (
            "eks", "createNodegroup", json!({"ClusterName": "c", "NodegroupName": "n"}), json!({}), json!({"ClusterName": "c", "NodegroupName": "n"}),
            |s| json!({"Nodegroup": {"Status": s}}), ["CREATING", "ACTIVE", "CREATE_FAILED"], None,
        ),
        (
            "eks", "deleteFargateProfile", json!({"ClusterName": "c", "FargateProfileName": "f"}), json!({}),
            json!({"ClusterName": "c", "FargateProfileName": "f"}), |s| json!({"FargateProfile": {"Status": s}}), ["DELETING", "none", "DELETE_FAILED"], None,
        ),
    ];
    for (service, action, parameters, started, describe, answer, [running, succeeded, failed], stop) in cases {
        let job = job(service, action);
        assert_eq!((job.describe_parameters)(parameters, started).as_ref(), Some(describe), "{service}:{action}");
        assert_eq!(progress(job, answer(running)), Progress::Running, "{service}:{action} {running}");
        if *succeeded != "none" {
            assert_eq!(progress(job, answer(succeeded)), Progress::Succeeded, "{service}:{action} {succeeded}");
        }
        if *failed != "none" {
            assert_eq!(progress(job, answer(failed)), Progress::Failed, "{service}:{action} {failed}");
        }
        let stopped = (job.stop_parameters)(parameters, started).map(|p| (job.stop, p));
        assert_eq!(stopped, stop.clone(), "{service}:{action}");
    }
    let cluster = job("emr", "createCluster");
    let started = json!({"ClusterId": "j-1", "ClusterArn": "arn:j-1"});
    let result = cluster.result.map(|result| result(&started, json!({"Id": "j-1"})));
    assert_eq!(result, Some(started), "createCluster.sync gives the cluster's id, as its start does");
    let deletions: Vec<bool> = ["deleteCluster", "deleteNodegroup", "deleteFargateProfile", "createCluster"].iter().map(|a| job("eks", a).gone).collect();
    assert_eq!(deletions, [true, true, true, false], "an EKS deletion ends when its resource is gone");
    for (service, action) in [("sagemaker", "createModel"), ("sagemaker", "createEndpoint"), ("emr", "cancelStep"), ("emrcontainers", "createVirtualCluster")] {
        assert!(of(service, action).is_none(), "{service}:{action} is no job");
    }
}
