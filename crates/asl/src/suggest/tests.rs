//! Tests for `crate::suggest`: which candidate a name is taken for, if any.

use crate::suggest::{closest, edits};

#[track_caller]
fn check(name: &str, candidates: &[&str], expect: Option<&str>) {
    assert_eq!(closest(name, candidates.iter().copied()), expect, "name {name}");
}

#[test] fn typo() { check("Procss", &["Start", "Process", "Done"], Some("Process")) }
#[test] fn case_beats_edits() { check("next", &["Nest", "Next"], Some("Next")) }
#[test] fn swapped_letters() { check("Nxet", &["Next", "End"], Some("Next")) }
#[test] fn too_far() { check("Fetch", &["Process", "Done"], None) }
#[test] fn short_names_allow_one_edit() { check("Ed", &["End"], Some("End")) }
#[test] fn ties_go_to_the_first() { check("Bx", &["Ax", "Bxy", "Cx"], Some("Ax")) }
#[test] fn the_name_itself_is_no_suggestion() { check("A", &["A"], None) }
#[test] fn nothing_to_choose_from() { check("A", &[], None) }
#[test] fn characters_not_bytes() { check("Étape1", &["Étape 1", "Etape2"], Some("Étape 1")) }

#[test]
fn distances() {
    assert_eq!(edits("kitten", "sitting"), 3);
    assert_eq!(edits("", "abc"), 3);
    assert_eq!(edits("abc", ""), 3);
    assert_eq!(edits("ab", "ba"), 1);
    assert_eq!(edits("ca", "abc"), 3);
    assert_eq!(edits("ü", "u"), 1);
}
