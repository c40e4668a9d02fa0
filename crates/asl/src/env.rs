//! What an expression can see while it is evaluated: the input, the Context object, variables, and entropy.

use serde_json::Value;

/// The evaluation environment of paths, payload templates, intrinsic functions and Choice rules.
///
/// `$` is `input`, `$$` is `context`, `$name` is a workflow variable. `random` supplies entropy for `States.UUID`
/// and unseeded `States.MathRandom`; the engine makes it deterministic, so this crate never reads real randomness.
pub struct Env<'a> {
    pub input: &'a Value,
    pub context: &'a Value,
    pub vars: &'a dyn Variables,
    pub random: &'a dyn Fn() -> u64,
}

/// Workflow variables visible to a state (its own scope and the enclosing ones).
pub trait Variables {
    fn get(&self, name: &str) -> Option<&Value>;
}

/// No variables in scope.
pub struct NoVariables;

impl Variables for NoVariables {
    fn get(&self, _name: &str) -> Option<&Value> {
        None
    }
}

impl Variables for serde_json::Map<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        serde_json::Map::get(self, name)
    }
}
