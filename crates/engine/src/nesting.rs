//! How deeply JSON values may nest: one limit for execution inputs (checked by the API), task results and state
//! outputs (checked here).
//!
//! AWS documents no limit. Baton's comes from how it stores executions: `serde_json`, which parses every input and
//! every stored trigger, refuses values nested 128 levels deep, and a stored trigger wraps the execution input or a
//! task result in one more object. So a value may nest `MAX_NESTING_DEPTH` = 126 levels: every trigger stays
//! readable when an execution is recovered, and recursive serializing, cloning and dropping stay well inside a
//! thread's stack. A task result nested deeper fails its task with `States.Runtime` (stored as that failure, so the
//! trigger is readable and replays the same); a deeper state output fails its state.

use serde_json::Value;

use asl::{Failure, errors};

/// The most levels of arrays and objects a value may nest.
pub const MAX_NESTING_DEPTH: usize = 126;

/// How deeply arrays and objects nest in JSON text, without recursion and without parsing it.
pub fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Whether `value` nests arrays and objects deeper than `MAX_NESTING_DEPTH` levels, without recursion.
pub(crate) fn too_deep(value: &Value) -> bool {
    // Each entry is a value and the number of containers around it.
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((value, outside)) = stack.pop() {
        let level = outside + 1;
        match value {
            Value::Array(_) | Value::Object(_) if level > MAX_NESTING_DEPTH => return true,
            Value::Array(items) => stack.extend(items.iter().map(|item| (item, level))),
            Value::Object(members) => stack.extend(members.values().map(|member| (member, level))),
            _ => {}
        }
    }
    false
}

/// A task outcome as the engine takes it: a result nested deeper than the limit is the task's failure.
pub(crate) fn bounded(outcome: &Result<Value, Failure>) -> Option<Failure> {
    match outcome {
        Ok(result) if too_deep(result) => Some(Failure::new(
            errors::RUNTIME,
            format!("The task returned a result nested deeper than the maximum of {MAX_NESTING_DEPTH} levels."),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{MAX_NESTING_DEPTH, nesting_depth, too_deep};

    fn nested(levels: usize) -> Value {
        (0..levels).fold(json!(1), |inner, _| json!([inner]))
    }

    #[test]
    fn depths() {
        assert_eq!(nesting_depth("1"), 0);
        assert_eq!(nesting_depth(r#"{"a": [1, {"b": "[[["}]}"#), 3);
        assert_eq!(nesting_depth(r#""\"[""#), 0);
        assert_eq!(nesting_depth(&nested(MAX_NESTING_DEPTH).to_string()), MAX_NESTING_DEPTH);
        assert!(!too_deep(&nested(MAX_NESTING_DEPTH)));
        assert!(too_deep(&nested(MAX_NESTING_DEPTH + 1)));
        assert!(!too_deep(&json!({"a": [], "b": {"c": 1}})));
        // A value at the limit wrapped in a stored trigger still parses.
        let trigger = json!({"v": 1, "result": nested(MAX_NESTING_DEPTH)}).to_string();
        assert!(serde_json::from_str::<Value>(&trigger).is_ok());
    }
}
