//! The fuzzers' oracle for successful answers: an HTTP 200 body must have its action's output shape as botocore's
//! model declares it (`botocore_outputs.json`, the output shapes of the 2016-11-23 model compacted): every required
//! member, no member the shape lacks, each value of its member's type, each enum value one of the enum's.

use std::sync::OnceLock;

use serde_json::Value;

/// The compacted model.
fn model() -> &'static Value {
    static MODEL: OnceLock<Value> = OnceLock::new();
    MODEL.get_or_init(|| serde_json::from_str(include_str!("botocore_outputs.json")).expect("the model parses"))
}

/// Every way `body` departs from `action`'s output shape (none for an action the model does not have).
pub(crate) fn problems(action: &str, body: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(shape) = model()["outputs"][action].as_str() {
        check(body, shape, action, &mut problems);
    }
    problems
}

fn check(value: &Value, shape_name: &str, at: &str, problems: &mut Vec<String>) {
    let shape = &model()["shapes"][shape_name];
    let kind = shape["type"].as_str().unwrap_or_default();
    let fits = match kind {
        "structure" => {
            let Some(object) = value.as_object() else {
                problems.push(format!("{at}: {shape_name} must be an object, not {value}"));
                return;
            };
            for required in shape["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !object.contains_key(required) {
                    problems.push(format!("{at}: {shape_name} lacks its required member {required}"));
                }
            }
            for (member, member_value) in object {
                match shape["members"][member].as_str() {
                    Some(member_shape) => check(member_value, member_shape, &format!("{at}.{member}"), problems),
                    None => problems.push(format!("{at}: {shape_name} has no member {member}")),
                }
            }
            true
        }
        "list" => {
            let Some(items) = value.as_array() else {
                problems.push(format!("{at}: {shape_name} must be an array, not {value}"));
                return;
            };
            let member = shape["member"].as_str().unwrap_or_default();
            for (index, item) in items.iter().enumerate() {
                check(item, member, &format!("{at}[{index}]"), problems);
            }
            true
        }
        "map" => {
            let Some(object) = value.as_object() else {
                problems.push(format!("{at}: {shape_name} must be an object, not {value}"));
                return;
            };
            let member = shape["value"].as_str().unwrap_or_default();
            for (key, item) in object {
                check(item, member, &format!("{at}.{key}"), problems);
            }
            true
        }
        "string" => {
            let enum_values = shape["enum"].as_array();
            match value.as_str() {
                Some(text) => enum_values.is_none_or(|values| values.iter().any(|v| v == text)),
                None => false,
            }
        }
        "integer" | "long" => value.is_i64() || value.is_u64(),
        "float" | "double" | "timestamp" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    };
    if !fits {
        problems.push(format!("{at}: {value} is not a {shape_name} ({kind})"));
    }
}

/// The oracle is not vacuous: it finds what departs from the model, such as the `included` member Baton once put in
/// history events' `inputDetails`.
#[test]
fn the_oracle_finds_departures_from_the_model() {
    use serde_json::json;

    let event = |details: Value| {
        json!({"events": [{"timestamp": 1.5, "type": "PassStateEntered", "id": 2, "previousEventId": 1,
            "stateEnteredEventDetails": details}]})
    };
    assert_eq!(problems("GetExecutionHistory", &event(json!({"name": "P", "inputDetails": {"truncated": false}}))), Vec::<String>::new());
    let found = problems("GetExecutionHistory", &event(json!({"name": "P", "inputDetails": {"included": false}})));
    assert_eq!(found, ["GetExecutionHistory.events[0].stateEnteredEventDetails.inputDetails: HistoryEventExecutionDataDetails has no member included"]);
    let found = problems("DescribeExecution", &json!({"executionArn": "a", "status": "SLEEPING", "startDate": "today"}));
    assert_eq!(found.len(), 3, "{found:?}");
}
