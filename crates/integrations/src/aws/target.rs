//! Which AWS call a Task's resource names: an AWS SDK integration (`arn:aws:states:::aws-sdk:SERVICE:ACTION`) or an
//! optimized integration (`arn:aws:states:::SERVICE:ACTION`), its pattern, and how Step Functions shapes its result
//! and names its errors.

/// How a Task waits for its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// The call's answer is the result.
    RequestResponse,
    /// `.sync`: the call starts a job; the result is the job's description when it ends.
    Sync,
    /// `.sync:2`: as `.sync`, with the result in its parsed form (Step Functions' `startExecution`).
    Sync2,
    /// `.waitForTaskToken`: the call is made; the result comes with `SendTaskSuccess`.
    Callback,
}

/// How Step Functions presents an optimized integration: its own error names and output additions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Optimized {
    /// The prefix of its error names: `DynamoDB.ConditionalCheckFailedException`, `SQS.…`.
    pub error_prefix: &'static str,
    /// The service name in its causes, as the AWS SDK for Java v1 writes it (`AmazonDynamoDBv2`).
    pub cause_service: &'static str,
    /// The output carries `SdkHttpMetadata` and `SdkResponseMetadata`, as the Java v1 SDK's results do.
    pub http_metadata: bool,
}

/// An AWS call named by a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The service's name among AWS SDK integrations (`dynamodb`, `s3`, `eventbridge`).
    pub service: String,
    /// The action as written (`putItem`).
    pub action: String,
    pub pattern: Pattern,
    /// `None` for an AWS SDK integration.
    pub optimized: Option<Optimized>,
    /// A Lambda function ARN used as the resource: the parameters are the payload, the result the function's.
    pub function_arn: Option<String>,
}

/// Lambda's optimized integration, `lambda:invoke`.
const LAMBDA: Optimized = Optimized { error_prefix: "Lambda", cause_service: "AWSLambda", http_metadata: true };

/// The optimized integrations Baton calls through the service's model, as the Step Functions developer guide lists
/// them: resource service, its AWS SDK service name, the actions, and how Step Functions presents them. Every action
/// is request-response and `.waitForTaskToken`; `.sync` where `job` knows the action's job (the guide's "Run a Job"
/// column: Glue `startJobRun`, ECS `runTask`, Batch `submitJob`, Athena `startQueryExecution`, CodeBuild
/// `startBuild`, `startBuildBatch` and `retryBuildBatch`). The guide lists `.waitForTaskToken` as not supported for
/// DynamoDB, Glue, Batch, Athena and CodeBuild; Baton does not refuse it there, and makes the call.
///
/// ECS `runTask` results carry `SdkHttpMetadata` (an execution history recorded on AWS shows it, in a
/// request-response result and in `.sync`'s `TaskSubmitted` output; the `.sync` result, the task, has none). The
/// guide shows no Batch, Athena or CodeBuild result with or without it: unknown, so Baton adds none.
///
/// `apigateway:invoke` is no model's action (its service name here is `execute-api`, what its calls are signed for):
/// `apigateway` makes it.
const OPTIMIZED: &[(&str, &str, &[&str], Optimized)] = &[
    (
        "apigateway",
        "execute-api",
        &["invoke"],
        Optimized { error_prefix: "ApiGateway", cause_service: "AmazonApiGateway", http_metadata: false },
    ),
    // The guide does not show a Bedrock failure; the cause services are the Java v1 SDK's client names for Bedrock
    // and Bedrock Runtime (AmazonBedrock, AmazonBedrockRuntime), unconfirmed by an execution recorded on AWS.
    (
        "bedrock",
        "bedrockruntime",
        &["invokeModel"],
        Optimized { error_prefix: "Bedrock", cause_service: "AmazonBedrockRuntime", http_metadata: false },
    ),
    (
        "bedrock",
        "bedrock",
        &["createModelCustomizationJob"],
        Optimized { error_prefix: "Bedrock", cause_service: "AmazonBedrock", http_metadata: false },
    ),
    // The guide shows none of these services' failures: the error prefixes follow the pattern of the others (the
    // resource's service, as AWS capitalises it), the cause services are the Java v1 SDK's client names. Neither is
    // confirmed by an execution recorded on AWS.
    (
        "sagemaker",
        "sagemaker",
        &[
            "createEndpoint",
            "createEndpointConfig",
            "createHyperParameterTuningJob",
            "createLabelingJob",
            "createModel",
            "createProcessingJob",
            "createTrainingJob",
            "createTransformJob",
            "updateEndpoint",
        ],
        Optimized { error_prefix: "SageMaker", cause_service: "AmazonSageMaker", http_metadata: false },
    ),
    (
        "elasticmapreduce",
        "emr",
        &[
            "addStep",
            "cancelStep",
            "createCluster",
            "modifyInstanceFleetByName",
            "modifyInstanceGroupByName",
            "setClusterTerminationProtection",
            "terminateCluster",
        ],
        Optimized { error_prefix: "EMR", cause_service: "AmazonElasticMapReduce", http_metadata: false },
    ),
    (
        "emr-containers",
        "emrcontainers",
        &["createVirtualCluster", "deleteVirtualCluster", "startJobRun"],
        Optimized { error_prefix: "EMRContainers", cause_service: "AmazonEMRContainers", http_metadata: false },
    ),
    (
        "emr-serverless",
        "emrserverless",
        &["createApplication", "startApplication", "stopApplication", "deleteApplication", "startJobRun", "cancelJobRun"],
        Optimized { error_prefix: "EMRServerless", cause_service: "AWSEMRServerless", http_metadata: false },
    ),
    ("databrew", "databrew", &["startJobRun"], Optimized { error_prefix: "DataBrew", cause_service: "AWSGlueDataBrew", http_metadata: false }),
    (
        "mediaconvert",
        "mediaconvert",
        &["createJob"],
        Optimized { error_prefix: "MediaConvert", cause_service: "AWSMediaConvert", http_metadata: false },
    ),
    (
        "eks",
        "eks",
        &["createCluster", "deleteCluster", "createNodegroup", "deleteNodegroup", "createFargateProfile", "deleteFargateProfile"],
        Optimized { error_prefix: "EKS", cause_service: "AmazonEKS", http_metadata: false },
    ),
    (
        "dynamodb",
        "dynamodb",
        &["getItem", "putItem", "updateItem", "deleteItem"],
        Optimized { error_prefix: "DynamoDB", cause_service: "AmazonDynamoDBv2", http_metadata: true },
    ),
    ("sqs", "sqs", &["sendMessage"], Optimized { error_prefix: "SQS", cause_service: "AmazonSQS", http_metadata: true }),
    ("sns", "sns", &["publish"], Optimized { error_prefix: "SNS", cause_service: "AmazonSNS", http_metadata: true }),
    (
        "events",
        "eventbridge",
        &["putEvents"],
        Optimized { error_prefix: "EventBridge", cause_service: "AmazonEventBridge", http_metadata: false },
    ),
    (
        "glue",
        "glue",
        &["startJobRun"],
        Optimized { error_prefix: "Glue", cause_service: "AWSGlue", http_metadata: false },
    ),
    // A Map's ItemReader reads its items with these S3 calls, and its ResultWriter writes its results with putObject.
    ("s3", "s3", &["getObject", "listObjectsV2", "putObject"], Optimized { error_prefix: "S3", cause_service: "AmazonS3", http_metadata: false }),
    ("ecs", "ecs", &["runTask"], Optimized { error_prefix: "ECS", cause_service: "AmazonECS", http_metadata: true }),
    ("batch", "batch", &["submitJob"], Optimized { error_prefix: "Batch", cause_service: "AWSBatch", http_metadata: false }),
    (
        "athena",
        "athena",
        &["startQueryExecution", "stopQueryExecution", "getQueryExecution", "getQueryResults"],
        Optimized { error_prefix: "Athena", cause_service: "AmazonAthena", http_metadata: false },
    ),
    (
        "codebuild",
        "codebuild",
        &[
            "startBuild",
            "stopBuild",
            "batchDeleteBuilds",
            "batchGetReports",
            "startBuildBatch",
            "stopBuildBatch",
            "retryBuildBatch",
            "deleteBuildBatch",
        ],
        Optimized { error_prefix: "CodeBuild", cause_service: "AWSCodeBuild", http_metadata: false },
    ),
];

impl Target {
    /// The AWS call `resource` names, or `None` when it names something else (a Lambda function ARN, an activity,
    /// an HTTP Task, a child execution, or an optimized integration Baton does not call).
    pub fn of(resource: &str) -> Option<Target> {
        let rest = resource.strip_prefix("arn:")?;
        let mut parts = rest.splitn(5, ':');
        let (_partition, states, _region, _account, rest) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if states != "states" {
            return None;
        }
        let (rest, pattern) = split_pattern(rest);
        if let Some(sdk) = rest.strip_prefix("aws-sdk:") {
            let (service, action) = sdk.split_once(':')?;
            if service.is_empty() || action.is_empty() || matches!(pattern, Pattern::Sync | Pattern::Sync2) {
                return None;
            }
            return Some(Target { service: service.to_owned(), action: action.to_owned(), pattern, optimized: None, function_arn: None });
        }
        let (service, action) = rest.split_once(':')?;
        let (_, sdk_name, _, optimized) = OPTIMIZED.iter().find(|(name, _, actions, _)| *name == service && actions.contains(&action))?;
        let allowed = match pattern {
            Pattern::RequestResponse | Pattern::Callback => true,
            Pattern::Sync => super::job::of(sdk_name, action).is_some(),
            Pattern::Sync2 => false,
        };
        allowed.then(|| Target {
            service: (*sdk_name).to_owned(),
            action: action.to_owned(),
            pattern,
            optimized: Some(*optimized),
            function_arn: None,
        })
    }

    /// The call of a Lambda resource Baton has no local function for: `lambda:invoke` (`function_arn` `None`, the
    /// parameters are Invoke's) or a function ARN as the resource (the parameters are the payload).
    pub fn lambda(function_arn: Option<&str>, pattern: Pattern) -> Target {
        Target {
            service: "lambda".to_owned(),
            action: "invoke".to_owned(),
            pattern,
            optimized: Some(LAMBDA),
            function_arn: function_arn.map(str::to_owned),
        }
    }
}

/// Splits `.sync`, `.sync:2` or `.waitForTaskToken` off the end of a resource's service part.
fn split_pattern(rest: &str) -> (&str, Pattern) {
    if let Some(base) = rest.strip_suffix(".waitForTaskToken") {
        (base, Pattern::Callback)
    } else if let Some(base) = rest.strip_suffix(".sync:2") {
        (base, Pattern::Sync2)
    } else if let Some(base) = rest.strip_suffix(".sync") {
        (base, Pattern::Sync)
    } else {
        (rest, Pattern::RequestResponse)
    }
}

#[cfg(test)]
mod tests {
    use super::{Pattern, Target};

    #[test]
    fn resources_name_their_calls() {
        let sdk = Target::of("arn:aws:states:::aws-sdk:s3:getObject").expect("an SDK call");
        assert_eq!((sdk.service.as_str(), sdk.action.as_str(), sdk.pattern, sdk.optimized), ("s3", "getObject", Pattern::RequestResponse, None));
        let callback = Target::of("arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken").expect("a callback");
        assert_eq!(callback.pattern, Pattern::Callback);
        let put = Target::of("arn:aws:states:::dynamodb:putItem").expect("optimized");
        assert_eq!(put.optimized.map(|o| o.error_prefix), Some("DynamoDB"));
        let events = Target::of("arn:aws:states:::events:putEvents").expect("optimized");
        assert_eq!(events.service, "eventbridge");
        let glue = Target::of("arn:aws:states:::glue:startJobRun.sync").expect("a job");
        assert_eq!(glue.pattern, Pattern::Sync);
        assert_eq!(Target::of("arn:aws-cn:states:::aws-sdk:s3:listBuckets").map(|t| t.service), Some("s3".to_owned()));
    }

    #[test]
    fn jobs_and_their_companions_are_optimized_integrations() {
        let optimized = |resource: &str| {
            let target = Target::of(resource).unwrap_or_else(|| panic!("{resource} is an optimized integration"));
            let names = target.optimized.map(|o| (o.error_prefix, o.cause_service));
            (target.service, target.action, target.pattern, names)
        };
        let ecs = Some(("ECS", "AmazonECS"));
        assert_eq!(optimized("arn:aws:states:::ecs:runTask"), ("ecs".into(), "runTask".into(), Pattern::RequestResponse, ecs));
        assert_eq!(optimized("arn:aws:states:::ecs:runTask.sync").2, Pattern::Sync);
        assert_eq!(optimized("arn:aws:states:::ecs:runTask.waitForTaskToken").2, Pattern::Callback);
        assert_eq!(optimized("arn:aws:states:::batch:submitJob.sync").3, Some(("Batch", "AWSBatch")));
        for action in ["startQueryExecution", "startQueryExecution.sync", "stopQueryExecution", "getQueryExecution", "getQueryResults"] {
            assert_eq!(optimized(&format!("arn:aws:states:::athena:{action}")).3, Some(("Athena", "AmazonAthena")), "{action}");
        }
        for action in [
            "startBuild", "startBuild.sync", "stopBuild", "batchDeleteBuilds", "batchGetReports", "startBuildBatch",
            "startBuildBatch.sync", "stopBuildBatch", "retryBuildBatch", "retryBuildBatch.sync", "deleteBuildBatch",
        ] {
            assert_eq!(optimized(&format!("arn:aws:states:::codebuild:{action}")).3, Some(("CodeBuild", "AWSCodeBuild")), "{action}");
        }
        let metadata = |resource: &str| Target::of(resource).and_then(|t| t.optimized).map(|o| o.http_metadata);
        assert_eq!(metadata("arn:aws:states:::ecs:runTask"), Some(true));
        assert_eq!(metadata("arn:aws:states:::athena:getQueryResults"), Some(false));
    }

    #[test]
    fn other_resources_are_not_aws_calls() {
        for resource in [
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "arn:aws:states:us-east-1:123456789012:activity:a",
            "arn:aws:states:::http:invoke",
            "arn:aws:states:::states:startExecution.sync",
            "arn:aws:states:::lambda:invoke",
            "arn:aws:states:::aws-sdk:s3:getObject.sync",
            "arn:aws:states:::aws-sdk:s3",
            "arn:aws:states:::dynamodb:scan",
            "arn:aws:states:::sqs:sendMessage.sync",
            "arn:aws:states:::ecs:runTask.sync:2",
            "arn:aws:states:::ecs:stopTask",
            "arn:aws:states:::batch:terminateJob",
            "arn:aws:states:::athena:getQueryResults.sync",
            "arn:aws:states:::athena:listQueryExecutions",
            "arn:aws:states:::codebuild:stopBuild.sync",
            "arn:aws:states:::codebuild:batchGetBuilds",
            "arn:aws:states:::sagemaker:createModel.sync",
            "arn:aws:states:::elasticmapreduce:cancelStep.sync",
            "arn:aws:states:::elasticmapreduce:runJobFlow",
            "arn:aws:states:::emr-containers:createVirtualCluster.sync",
            "arn:aws:states:::bedrock:invokeModel.sync",
            "arn:aws:states:::apigateway:invoke.sync",
            "arn:aws:states:::eks:call",
        ] {
            assert_eq!(Target::of(resource), None, "{resource}");
        }
    }
}
