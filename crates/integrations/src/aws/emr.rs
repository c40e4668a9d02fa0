//! EMR's optimized actions (`arn:aws:states:::elasticmapreduce:…`, connect-emr): Step Functions' own names and
//! fields over EMR's API. `createCluster` is `RunJobFlow` and answers `ClusterId` for `JobFlowId`;
//! `terminateCluster` is `TerminateJobFlows` of one cluster; `addStep` is `AddJobFlowSteps` of one `Step` and
//! answers its `StepId`; `cancelStep` is `CancelSteps` of one step; `setClusterTerminationProtection` is
//! `SetTerminationProtection` of one cluster; `modifyInstanceFleetByName` and `modifyInstanceGroupByName` find the
//! fleet or group of that name in the cluster (`ListInstanceFleets`, `ListInstanceGroups`) and modify it by its id.

use serde_json::{Map, Value, json};

use super::target::Target;
use super::{Aws, CallError};
use crate::Caller;

/// EMR's AWS SDK service name.
pub(crate) const SERVICE: &str = "emr";

/// How many pages of instance fleets or groups a `…ByName` action reads at most to find the name.
const PAGES: usize = 50;

/// The model's action and its parameters for the optimized `action` with `parameters`; `resolved` is the id the
/// name of a `…ByName` action resolved to. `Err` says what is missing.
pub(crate) fn operation(action: &str, parameters: &Value, resolved: Option<&str>) -> Result<(String, Value), String> {
    let get = |key: &str| parameters.get(key).filter(|v| !v.is_null()).cloned();
    let object = |pairs: Vec<(&str, Option<Value>)>| Value::Object(pairs.into_iter().filter_map(|(k, v)| Some((k.to_owned(), v?))).collect::<Map<_, _>>());
    let one = |value: Option<Value>| value.map(|v| json!([v]));
    let with_id = |key: &str, member: &str| -> Result<Value, String> {
        let id = resolved.ok_or_else(|| format!("the {member} name was not resolved"))?;
        let mut fields = match get(key) {
            Some(Value::Object(fields)) => fields,
            None => Map::new(),
            Some(_) => return Err(format!("the field '{key}' must be an object")),
        };
        fields.insert(member.to_owned(), Value::String(id.to_owned()));
        Ok(Value::Object(fields))
    };
    let (operation, parameters) = match action {
        "createCluster" => ("runJobFlow", parameters.clone()),
        "terminateCluster" => ("terminateJobFlows", object(vec![("JobFlowIds", one(get("ClusterId")))])),
        "addStep" => (
            "addJobFlowSteps",
            object(vec![("JobFlowId", get("ClusterId")), ("Steps", one(get("Step"))), ("ExecutionRoleArn", get("ExecutionRoleArn"))]),
        ),
        "cancelStep" => (
            "cancelSteps",
            object(vec![("ClusterId", get("ClusterId")), ("StepIds", one(get("StepId"))), ("StepCancellationOption", get("StepCancellationOption"))]),
        ),
        "setClusterTerminationProtection" => (
            "setTerminationProtection",
            object(vec![("JobFlowIds", one(get("ClusterId"))), ("TerminationProtected", get("TerminationProtected"))]),
        ),
        "modifyInstanceFleetByName" => (
            "modifyInstanceFleet",
            object(vec![("ClusterId", get("ClusterId")), ("InstanceFleet", Some(with_id("InstanceFleet", "InstanceFleetId")?))]),
        ),
        "modifyInstanceGroupByName" => (
            "modifyInstanceGroups",
            object(vec![("ClusterId", get("ClusterId")), ("InstanceGroups", Some(json!([with_id("InstanceGroup", "InstanceGroupId")?])))]),
        ),
        other => return Err(format!("EMR has no optimized action '{other}'")),
    };
    Ok((operation.to_owned(), parameters))
}

/// The result of the optimized `action` from the model's `output`: `createCluster` answers `ClusterId` (for
/// `JobFlowId`) and `ClusterArn`, `addStep` its one `StepId`; the others answer as EMR does.
pub(crate) fn result(action: &str, mut output: Value) -> Value {
    match action {
        "createCluster" => {
            if let Value::Object(fields) = &mut output
                && let Some(id) = fields.remove("JobFlowId")
            {
                fields.insert("ClusterId".to_owned(), id);
            }
            output
        }
        "addStep" => match output.get("StepIds").and_then(|ids| ids.get(0)) {
            Some(id) => json!({"StepId": id}),
            None => output,
        },
        _ => output,
    }
}

/// For a `…ByName` action: the list call, the list's member, and the parameter that names the fleet or group.
fn by_name(action: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match action {
        "modifyInstanceFleetByName" => Some(("listInstanceFleets", "InstanceFleets", "InstanceFleetName")),
        "modifyInstanceGroupByName" => Some(("listInstanceGroups", "InstanceGroups", "InstanceGroupName")),
        _ => None,
    }
}

impl Aws {
    /// The id of the instance fleet or group a `…ByName` action of `target` names (`None` for other actions),
    /// found page by page in the cluster's list.
    pub(super) async fn resolve_by_name(&self, target: &Target, parameters: &Value, caller: Caller<'_>) -> Result<Option<String>, CallError> {
        let Some((list, member, key)) = by_name(&target.action) else { return Ok(None) };
        let Some(name) = parameters.get(key).and_then(Value::as_str) else {
            return Err(CallError::Cannot(format!("the field '{key}' is required")));
        };
        let cluster = parameters.get("ClusterId").cloned().unwrap_or(Value::Null);
        let mut marker: Option<Value> = None;
        for _ in 0..PAGES {
            let mut request = json!({"ClusterId": cluster});
            if let Some(marker) = marker.take() {
                request["Marker"] = marker;
            }
            let (answer, _) = self.exchange(target, list, &request, "", caller).await?;
            let items = answer.get(member).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            if let Some(id) = items.iter().find(|item| item.get("Name").and_then(Value::as_str) == Some(name)).and_then(|item| item.get("Id")?.as_str()) {
                return Ok(Some(id.to_owned()));
            }
            match answer.get("Marker").filter(|m| m.as_str().is_some_and(|m| !m.is_empty())) {
                Some(next) => marker = Some(next.clone()),
                None => break,
            }
        }
        Err(CallError::Cannot(format!("the cluster {cluster} has no {} named '{name}'", if member == "InstanceFleets" { "instance fleet" } else { "instance group" })))
    }
}

#[cfg(test)]
mod tests {
    use super::{operation, result};
    use serde_json::json;

    #[test]
    fn optimized_actions_are_emr_calls() {
        let call = |action: &str, parameters: serde_json::Value, resolved: Option<&str>| operation(action, &parameters, resolved).expect("a call");
        let step = json!({"Name": "step", "ActionOnFailure": "CONTINUE", "HadoopJarStep": {"Jar": "command-runner.jar"}});
        assert_eq!(call("addStep", json!({"ClusterId": "j-1", "Step": step}), None), ("addJobFlowSteps".to_owned(), json!({"JobFlowId": "j-1", "Steps": [step]})));
        assert_eq!(call("cancelStep", json!({"ClusterId": "j-1", "StepId": "s-1"}), None), ("cancelSteps".to_owned(), json!({"ClusterId": "j-1", "StepIds": ["s-1"]})));
        assert_eq!(call("terminateCluster", json!({"ClusterId": "j-1"}), None), ("terminateJobFlows".to_owned(), json!({"JobFlowIds": ["j-1"]})));
        assert_eq!(
            call("setClusterTerminationProtection", json!({"ClusterId": "j-1", "TerminationProtected": false}), None),
            ("setTerminationProtection".to_owned(), json!({"JobFlowIds": ["j-1"], "TerminationProtected": false}))
        );
        assert_eq!(
            call("modifyInstanceGroupByName", json!({"ClusterId": "j-1", "InstanceGroupName": "core", "InstanceGroup": {"InstanceCount": 2}}), Some("ig-9")),
            ("modifyInstanceGroups".to_owned(), json!({"ClusterId": "j-1", "InstanceGroups": [{"InstanceCount": 2, "InstanceGroupId": "ig-9"}]}))
        );
        assert_eq!(
            call("modifyInstanceFleetByName", json!({"ClusterId": "j-1", "InstanceFleetName": "core", "InstanceFleet": {"TargetSpotCapacity": 0}}), Some("if-9")),
            ("modifyInstanceFleet".to_owned(), json!({"ClusterId": "j-1", "InstanceFleet": {"TargetSpotCapacity": 0, "InstanceFleetId": "if-9"}}))
        );
        assert_eq!(call("createCluster", json!({"Name": "c"}), None), ("runJobFlow".to_owned(), json!({"Name": "c"})));
        assert!(operation("modifyInstanceGroupByName", &json!({"ClusterId": "j-1"}), None).is_err());

        assert_eq!(result("createCluster", json!({"JobFlowId": "j-1", "ClusterArn": "arn"})), json!({"ClusterId": "j-1", "ClusterArn": "arn"}));
        assert_eq!(result("addStep", json!({"StepIds": ["s-1"]})), json!({"StepId": "s-1"}));
        assert_eq!(result("cancelStep", json!({"CancelStepsInfoList": []})), json!({"CancelStepsInfoList": []}));
    }
}
