//! Step Functions' spelling of member names. Its parameters and its output spell every member in PascalCase, even
//! where the model's member is camelCase (API Gateway's `restApiId` is `RestApiId`), and write a member named
//! `Equals` as `EqualsValue` (AWS's guide: "API fields for equals will be referred to … as EqualsValue").

use crate::model::Shape;

/// How Step Functions writes `Equals`.
const EQUALS_VALUE: &str = "EqualsValue";

/// The member of the structure `shape` that the parameter `key` names: the member spelled exactly so, else the one
/// that differs only in its first letter's case, else `Equals` for `EqualsValue`.
pub(crate) fn member<'m>(shape: &'m Shape, key: &str) -> Option<&'m str> {
    let members = &shape.members;
    if let Some((name, _)) = members.0.iter().find(|(name, _)| name == key) {
        return Some(name);
    }
    if let Some((name, _)) = members.0.iter().find(|(name, _)| same_but_first_case(name, key)) {
        return Some(name);
    }
    if key == EQUALS_VALUE {
        return members.0.iter().find(|(name, _)| same_but_first_case(name, "Equals")).map(|(name, _)| name.as_str());
    }
    None
}

/// How Step Functions shows the member `name`: its first letter upper-cased, and `Equals` as `EqualsValue`.
pub(crate) fn shown(name: &str) -> String {
    let pascal = pascal(name);
    if pascal == "Equals" { EQUALS_VALUE.to_owned() } else { pascal }
}

/// `name` with its first letter upper-cased.
pub(crate) fn pascal(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether `a` and `b` are equal once their first letters' case is folded.
fn same_but_first_case(a: &str, b: &str) -> bool {
    let mut a_chars = a.chars();
    let mut b_chars = b.chars();
    match (a_chars.next(), b_chars.next()) {
        (Some(x), Some(y)) => x.to_lowercase().eq(y.to_lowercase()) && a_chars.as_str() == b_chars.as_str(),
        _ => false,
    }
}

/// The members of `shape` as Step Functions spells them, for an error message: `TableName, Item, …`.
pub(crate) fn listing(shape: &Shape) -> String {
    let names: Vec<String> = shape.members.iter().map(|(name, _)| shown(name)).collect();
    names.join(", ")
}
