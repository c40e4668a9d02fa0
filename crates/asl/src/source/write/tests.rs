//! The YAML writer as data: `check` writes a value over an old text and compares the answer with the text expected,
//! which must load back as the value; the corpus tests write every definition there is.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::source::{Format, load, to_yaml, to_yaml_keeping};

/// Writes `value` over `old`, expects `expect`, and checks that it loads back as `value`.
#[track_caller]
fn check(old: &str, value: Value, expect: &str) {
    let text = to_yaml_keeping(old, &value);
    assert_eq!(text, expect, "\n  old: {old:?}\n  value: {value}\n  got:\n{text}");
    round_trips(&text, &value);
}

#[track_caller]
fn round_trips(text: &str, value: &Value) {
    match load(text) {
        Ok((loaded, Format::Yaml)) => assert_eq!(&loaded, value, "\n{text}"),
        Ok((loaded, Format::Json)) if text == "{}\n" => assert_eq!(&loaded, value), // JSON and YAML alike
        other => panic!("{other:?} from\n{text}"),
    }
}

/// One string as a value of `k`: how it is written, and that it reads back.
#[track_caller]
fn string(s: &str, expect: &str) {
    check("", json!({"k": s}), &format!("k: {expect}\n"));
    check("", json!({s: 1}), &format!("{}: 1\n", expect.strip_prefix("|-\n  ").map_or(expect.to_owned(), |_| format!("{s:?}"))));
}

const MACHINE: &str = "\
# The order workflow.
StartAt: Check # the first state
States:
  # Is the order valid?
  Check:
    Type: Choice
    Choices:
      # big orders
      - Variable: $.total # in cents
        NumericGreaterThan: 100
        Next: Big
      - Variable: $.total
        NumericLessThan: 0
        Next: Fail
    Default: Done

  Big:
    Type: Pass
    End: true
    # Big is the end.
  # the states end
  Done:
    Type: Succeed
# the end
";

fn machine() -> Value {
    load(MACHINE).expect("the machine loads").0
}

// Plain writing.

#[test] fn a_definition() { check("", json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"x": [1, 2.5, null, true]}, "End": true}}}), "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result:\n      x:\n        - 1\n        - 2.5\n        - null\n        - true\n    End: true\n") }
#[test] fn keys_in_the_values_order() { check("", json!({"b": 1, "a": 2, "c": 3}), "b: 1\na: 2\nc: 3\n") }
#[test] fn empty_collections() { check("", json!({"a": {}, "b": [], "c": [{}, []]}), "a: {}\nb: []\nc:\n  - {}\n  - []\n") }
#[test] fn maps_in_lists() { check("", json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}, {"x": {"z": 1}}]}), "Catch:\n  - ErrorEquals:\n      - States.ALL\n    Next: B\n  - x:\n      z: 1\n") }
#[test] fn lists_in_lists() { check("", json!({"a": [[1, [2, 3]], [{"b": 4}]]}), "a:\n  - - 1\n    - - 2\n      - 3\n  - - b: 4\n") }
#[test] fn a_root_that_is_no_map() { check("", json!([1, {"a": "b"}]), "- 1\n- a: b\n"); check("", json!({}), "{}\n"); check("a: 1\n# end\n", json!({}), "# end\n{}\n") }
#[test] fn numbers_as_they_are() { check("", json!({"a": 1.0, "b": -0.5, "c": 1e20, "d": 18446744073709551615u64, "e": -9223372036854775808i64, "f": 1.5e-7}), "a: 1.0\nb: -0.5\nc: 1e+20\nd: 18446744073709551615\ne: -9223372036854775808\nf: 1.5e-7\n") }
#[test] fn to_yaml_keeps_nothing() { assert_eq!(to_yaml(&json!({"a": 1})), "a: 1\n") }

// Strings: plain when YAML reads them back, quoted when not.

#[test] fn plain_strings() { string("Hello world", "Hello world"); string("$.total", "$.total"); string("States.ALL", "States.ALL"); string("arn:aws:states:::lambda:invoke", "arn:aws:states:::lambda:invoke"); string("a-b_c", "a-b_c"); string("héllo 日本", "héllo 日本"); string("a#b", "a#b"); string("a:b", "a:b"); string("Item found?", "Item found?") }
#[test] fn spaces_at_the_ends() { string(" a", "' a'"); string("a ", "'a '"); string(" ", "' '") }
#[test] fn indicators() { string("a: b", "'a: b'"); string("a #b", "'a #b'"); string("a:", "'a:'"); string("#a", "'#a'"); string("-a", "'-a'"); string("- a", "'- a'"); string("? a", "'? a'"); string(":a", "':a'"); string("[a]", "'[a]'"); string("&a", "'&a'"); string("*a", "'*a'"); string("!a", "'!a'"); string("|", "'|'"); string(">", "'>'"); string("%a", "'%a'"); string("@a", "'@a'"); string("`a", "'`a'"); string("'a'", "\"'a'\""); string("\"a\"", "'\"a\"'"); string("---", "'---'"); string("...", "'...'"); string("<<", "'<<'") }
#[test] fn words_of_other_types() { for word in ["yes", "no", "on", "off", "Yes", "NO", "true", "False", "TRUE", "null", "Null", "~", ".inf", "-.inf", ".NaN"] { string(word, &format!("'{word}'")) } }
#[test] fn numbers_as_strings() { for number in ["1", "1.0", "0x1", "0o7", "-1", "+1", "1e3", ".5", "1_000", "0123", "12:30", "2024-01-01"] { string(number, &format!("'{number}'")) } }
#[test] fn the_empty_string() { string("", "''") }
#[test] fn jsonata() { string("{% $states.input.total > 100 %}", "'{% $states.input.total > 100 %}'"); string("{% 'a' & \"b\" %}", "'{% ''a'' & \"b\" %}'"); string("{% $x = 'a' %}", "\"{% $x = 'a' %}\""); string("{% 'a\\b' %}", "'{% ''a\\b'' %}'") }
#[test] fn what_must_be_escaped() { string("a\tb", "\"a\\tb\""); string("a\rb", "\"a\\rb\""); string("\u{7}", "\"\\u0007\""); string("\u{85}", "\"\\u0085\""); string("\u{2028}", "\"\\u2028\""); string("\u{feff}a", "\"\\ufeffa\""); string("a\\b\"", "a\\b\"") }
#[test] fn multi_line_blocks() { string("a\nb", "|-\n  a\n  b"); check("", json!({"k": "a\n\n# b\n"}), "k: |\n  a\n\n  # b\n"); check("", json!({"k": ["x\ny"]}), "k:\n  - |-\n    x\n    y\n"); check("", json!(["x\ny"]), "- |-\n  x\n  y\n") }
#[test] fn multi_line_that_a_block_would_change() { string("a\n\n", "\"a\\n\\n\""); string(" a\nb", "\" a\\nb\""); string("a \nb", "\"a \\nb\""); string("a\n \nb", "\"a\\n \\nb\""); string("a\tb\nc", "\"a\\tb\\nc\""); string("\n", "\"\\n\"") }
#[test] fn a_root_string() { check("", json!("a\nb"), "\"a\\nb\"\n"); check("", json!("{a}"), "'{a}'\n") }

// Comments.

#[test] fn nothing_changed_nothing_lost() { check(MACHINE, machine(), MACHINE) }

#[test]
fn a_changed_value_keeps_the_comments() {
    let mut value = machine();
    value["States"]["Check"]["Choices"][0]["NumericGreaterThan"] = json!(500);
    value["StartAt"] = json!("Big");
    check(MACHINE, value, &MACHINE.replace("100", "500").replace("StartAt: Check", "StartAt: Big"));
}

#[test]
fn a_deleted_key_takes_its_comments() {
    let mut value = machine();
    let states = value["States"].as_object_mut().expect("states");
    states.shift_remove("Big");
    value["States"]["Check"]["Choices"][0].as_object_mut().expect("choice").shift_remove("Variable");
    let expect = MACHINE
        .replace("\n  Big:\n    Type: Pass\n    End: true\n    # Big is the end.\n", "")
        .replace("      - Variable: $.total # in cents\n        NumericGreaterThan", "      - NumericGreaterThan");
    check(MACHINE, value, &expect);
}

#[test]
fn an_added_key_has_none() {
    let mut value = machine();
    value["States"]["Done"]["Comment"] = json!("done");
    value["TimeoutSeconds"] = json!(60);
    let expect = MACHINE.replace("    Type: Succeed\n", "    Type: Succeed\n    Comment: done\n").replace("# the end\n", "TimeoutSeconds: 60\n# the end\n");
    check(MACHINE, value, &expect);
}

#[test]
fn a_renamed_state_loses_its_comments() {
    let mut value = machine();
    let done = value["States"].as_object_mut().and_then(|states| states.shift_remove("Done")).expect("Done");
    value["States"]["Finished"] = done;
    check(MACHINE, value, &MACHINE.replace("  # the states end\n  Done:", "  Finished:"));
}

#[test] fn list_items_by_index() { check("a:\n  # one\n  - 1 # first\n  # two\n  - 2\n", json!({"a": [3, 4, 5]}), "a:\n  # one\n  - 3 # first\n  # two\n  - 4\n  - 5\n") }
#[test] fn a_removed_item_takes_its_comments() { check("a:\n  - 1\n  # two\n  - 2 # second\n", json!({"a": [1]}), "a:\n  - 1\n") }
#[test] fn items_of_a_list_at_its_keys_column() { check("a:\n# one\n- 1\n", json!({"a": [1]}), "a:\n  # one\n  - 1\n") }
#[test] fn comments_of_a_map_in_a_list() { check("- # item\n  a: 1 # a\n  # b\n  b: 2\n", json!([{"a": 1, "b": 2}]), "# item\n- a: 1 # a\n  # b\n  b: 2\n") }
#[test] fn comments_above_the_first_key_of_an_item() { check("l:\n  # item\n  - a: 1\n", json!({"l": [{"a": 2}]}), "l:\n  # item\n  - a: 2\n") }
#[test] fn a_comment_after_a_block_scalar_header() { check("k: | # text\n  a\n  b\nn: 1\n", json!({"k": "c\nd\n", "n": 1}), "k: | # text\n  c\n  d\nn: 1\n") }
#[test] fn flow_collections_become_blocks_with_their_comments() { check("e: [a, b] # errors\nm: {x: 1, # one\n    y: 2}\n", json!({"e": ["a", "b"], "m": {"x": 1, "y": 2}}), "e: # errors\n  - a\n  - b\nm: # one\n  x: 1\n  y: 2\n") }
#[test] fn a_comment_between_key_and_value() { check("k:\n  # what\n  v\n", json!({"k": "w"}), "# what\nk: w\n") }
#[test] fn a_comment_closing_a_map() { check("a:\n  b:\n    c: 1\n  # after b\nd: 2\n", json!({"a": {"b": {"c": 1}}, "d": 2}), "a:\n  b:\n    c: 1\n  # after b\nd: 2\n") }
#[test] fn a_closing_comment_whose_key_is_gone() { check("a:\n  b:\n    c: 1\n    # after c\nd: 2\n", json!({"a": {"b": {}}, "d": 2}), "a:\n  b: {}\nd: 2\n") }
#[test] fn a_comment_indented_at_the_end() { check("a:\n  b: 1\n  # last\n", json!({"a": {"b": 1, "c": 2}}), "a:\n  b: 1\n  # last\n  c: 2\n") }
#[test] fn header_and_footer_stay() { check("# top\n\nStartAt: A\n# bottom\n", json!({"Comment": "new", "StartAt": "B"}), "# top\n\nComment: new\nStartAt: B\n# bottom\n") }
#[test] fn header_and_footer_of_an_empty_document() { check("# only a comment\n", json!({"a": 1}), "# only a comment\na: 1\n") }
#[test] fn the_document_start_marker() { check("# before\n--- # on it\n# after\na: 1\n", json!({"a": 2}), "# before\n---\n# on it\n# after\na: 2\n"); check("---\na: 1\n", json!({"a": 2}), "---\na: 2\n") }
#[test] fn blank_lines_kept_not_doubled() { check("\n\na: 1\n\n\n# b\n\nb: 2\n", json!({"a": 1, "b": 2}), "a: 1\n\n# b\n\nb: 2\n") }
#[test] fn crlf_lines() { check("# top\r\na: 1 # one\r\n\r\nb: 2\r\n", json!({"a": 1, "b": 3}), "# top\na: 1 # one\n\nb: 3\n") }
#[test] fn a_byte_order_mark() { check("\u{feff}# top\na: 1\n", json!({"a": 2}), "# top\na: 2\n") }
#[test] fn anchors_aliases_and_tags() { check("a: &x 1 # one\nb: *x # two\nc: !Ref y # three\n", json!({"a": 1, "b": 1, "c": "y"}), "a: 1 # one\nb: 1 # two\nc: y # three\n") }
#[test] fn a_complex_key_keeps_nothing_inside() { check("? [a] # k\n: 1\nb: 2 # two\n", json!({"b": 2}), "b: 2 # two\n") }
#[test] fn only_the_first_document() { check("a: 1 # one\n---\nb: 2 # two\n", json!({"a": 1, "b": 2}), "a: 1 # one\nb: 2\n") }
#[test] fn old_json_keeps_nothing() { check("{\"a\": 1}", json!({"a": 2}), "a: 2\n") }
#[test] fn old_invalid_keeps_nothing() { check("# c\na: [1\n", json!({"a": 2}), "a: 2\n"); check("# c\na: 1\n  b: 2\n", json!({"a": 2}), "a: 2\n") }
#[test] fn a_comment_like_string_is_no_comment() { check("a: 'x #y' # z\n", json!({"a": "x #y"}), "a: 'x #y' # z\n") }

// Properties.

/// Writing the same value over its own text changes nothing, and every comment of `old` is still there.
#[track_caller]
fn keeps_everything(old: &str, name: &str) {
    let Ok((value, Format::Yaml)) = load(old) else { return };
    let text = to_yaml_keeping(old, &value);
    round_trips(&text, &value);
    assert_eq!(text, super::write(&super::gather(old).unwrap_or_default(), &value), "{name}: the safety net caught it");
    assert_eq!(to_yaml_keeping(&text, &value), text, "{name}: writing it twice changes it");
    let comments = |text: &str| {
        serde_saphyr::granit_parser::Parser::new_from_str(text)
            .filter_map(Result::ok)
            .filter_map(|(event, _)| match event {
                serde_saphyr::granit_parser::Event::Comment(comment, _) => Some(comment.trim_end().to_owned()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(comments(&text), comments(old), "{name}:\n{text}");
}

#[test]
fn the_realworld_yaml_definitions_keep_their_comments() {
    let dir = shared("realworld/defs");
    let files = files(&dir, "yaml");
    if files.is_empty() {
        eprintln!("note: no YAML definitions in {}; skipped", dir.display());
        return;
    }
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        keeps_everything(&text, &file.display().to_string());
    }
}

#[test]
fn every_definition_of_the_conformance_corpus_round_trips() {
    let dir = shared("conformance/cases");
    let mut files = Vec::new();
    for category in std::fs::read_dir(&dir).into_iter().flatten().filter_map(Result::ok) {
        files.extend(self::files(&category.path(), "json"));
    }
    if files.is_empty() {
        eprintln!("note: {} is absent; the corpus round trip is skipped", dir.display());
        return;
    }
    for file in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).expect("readable")).expect("JSON");
        let text = to_yaml(&case["definition"]);
        round_trips(&text, &case["definition"]);
        // Written over itself, nothing changes.
        keeps_everything(&text, &file.display().to_string());
    }
    assert!(files.len() > 1000, "{} cases", files.len());
}

/// `shared/<dir>` in the nearest folder above the crate that has it (the checkout's parent, or the worktrees' one).
fn shared(dir: &str) -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = crate_dir.ancestors().map(|folder| folder.join("shared").join(dir)).find(|path| path.is_dir());
    found.unwrap_or_else(|| crate_dir.join("../../../shared").join(dir))
}

/// The files ending in `.{extension}` in `dir`, sorted; none when it is absent.
fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    found.sort();
    found
}

fn arb_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
        "[ a-z0-9:#'\"{}%$.\\n\\t-]{0,10}".prop_map(Value::from),
        prop::sample::select(vec!["yes", "No", "~", "null", "1.0", "0x1", "-", "- a", "{% x %}", "a\nb\n", "\n", " a\n"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::vec(("[a-zA-Z0-9 :#.'\"\\n-]{0,6}", inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// What the writer makes of `value` over `old` before the safety net of `to_yaml_keeping`, loaded back.
fn unguarded(old: &str, value: &Value) -> Result<(), proptest::test_runner::TestCaseError> {
    let text = super::write(&super::gather(old).unwrap_or_default(), value);
    match load(&text) {
        Ok((loaded, format)) => {
            proptest::prop_assert!(format == Format::Yaml || text == "{}\n", "{}", text);
            proptest::prop_assert_eq!(&loaded, value, "{}", text);
            Ok(())
        }
        Err(d) => Err(proptest::test_runner::TestCaseError::fail(format!("{d:?}\n{text}"))),
    }
}

proptest::proptest! {
    #[test]
    fn any_value_round_trips(value in arb_value(), old in arb_value()) {
        unguarded("", &value)?;
        unguarded(&to_yaml(&old), &value)?;
    }

    #[test]
    fn any_old_text_is_fine(old in "[a-z:#\\- \n\t'\"{}\\[\\]&*!|>]{0,60}", value in arb_value()) {
        unguarded(&old, &value)?;
    }
}
