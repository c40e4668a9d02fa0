//! Workflow variables: a scope per thread of execution, reading outward through enclosing scopes.
//!
//! A Parallel branch or an inline Map iteration gets a new scope whose parent is the scope of the state that
//! started it: it reads the outer variables and assigns only its own. A distributed Map iteration, a child execution
//! in AWS, starts with no parent scope. Scopes are shared with `Arc`: the parent is blocked while its children run,
//! so it never writes a scope a child still reads.

use std::sync::Arc;

use serde_json::{Map as Object, Value};

/// One scope of variables.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    own: Object<String, Value>,
    parent: Option<Arc<Scope>>,
}

impl Scope {
    /// A scope inside `parent`.
    pub(crate) fn inside(parent: Arc<Scope>) -> Scope {
        Scope { own: Object::new(), parent: Some(parent) }
    }

    /// Sets variables of this scope.
    pub(crate) fn assign(&mut self, values: Object<String, Value>) {
        for (name, value) in values {
            self.own.insert(name, value);
        }
    }
}

impl asl::Variables for Scope {
    fn get(&self, name: &str) -> Option<&Value> {
        match self.own.get(name) {
            Some(value) => Some(value),
            None => self.parent.as_deref().and_then(|parent| parent.get(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use asl::Variables;

    use super::Scope;

    #[test]
    fn inner_scopes_read_outward_and_shadow() {
        let mut outer = Scope::default();
        outer.assign(json!({"a": 1, "b": 2}).as_object().cloned().unwrap_or_default());
        let mut inner = Scope::inside(Arc::new(outer));
        inner.assign(json!({"b": 3}).as_object().cloned().unwrap_or_default());
        assert_eq!(inner.get("a"), Some(&json!(1)));
        assert_eq!(inner.get("b"), Some(&json!(3)));
        assert_eq!(inner.get("c"), None);
    }
}
