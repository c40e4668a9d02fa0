//! `baton test`: the order workflow's suite (`baton_test/`: Retry, Catch, Map, Parallel, a mocked callback), a
//! failing case's diff and JUnit report, located errors in invalid test files, `--filter`, `--update`, `--json`, and
//! the README's example workflow's own test file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

const SUITE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/baton_test");

fn baton_test(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton")).arg("test").args(args).current_dir(dir).output().expect("run baton")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh folder holding the order workflow, its mock file, its suite and the `files` given (name, content).
fn workspace(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for file in ["order.asl.json", "mocks.json", "order.test.yaml"] {
        std::fs::copy(Path::new(SUITE).join(file), dir.join(file)).expect("copy suite file");
    }
    for (name, content) in files {
        std::fs::write(dir.join(name), content).expect("write file");
    }
    dir
}

#[test]
fn the_order_suite_passes() {
    let out = baton_test(&["order.test.yaml"], Path::new(SUITE));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("running 7 cases from 1 file"), "{stdout}");
    assert!(stdout.contains("test order.test.yaml: a declined card is caught ... ok"), "{stdout}");
    assert!(stdout.contains("test result: ok. 7 passed; 0 failed; 0 filtered out;"), "{stdout}");
}

const WRONG: &str = r#"
stateMachine: order.asl.json
mockConfig: mocks.json
cases:
  - name: two parcels
    input: {orderId: W1, lines: [{sku: pen}, {sku: ink}]}
    testCase: Happy
    expect:
      output: {orderId: W1, reservation: R-1, payment: charged, parcels: 2, approvedBy: ada}
  - name: three parcels, wrongly
    input: {orderId: W2, lines: [{sku: pen}, {sku: ink}]}
    testCase: Happy
    expect:
      output: {orderId: W2, reservation: R-1, payment: charged, parcels: 3, approvedBy: ada}
      path: [Reserve, Prepare, Approve, Ship]
"#;

#[test]
fn a_wrong_expectation_fails_with_a_diff_and_a_junit_failure() {
    let dir = workspace("wrong", &[("wrong.test.yaml", WRONG)]);
    let out = baton_test(&["--junit", "report.xml"], &dir);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("test wrong.test.yaml: two parcels ... ok"), "{stdout}");
    assert!(stdout.contains("test wrong.test.yaml: three parcels, wrongly ... FAILED"), "{stdout}");
    let diff = "---- wrong.test.yaml: three parcels, wrongly ----\n  expect.output at $.parcels\n    expected: 3\n    actual:   2\n";
    assert!(stdout.contains(diff), "{stdout}");
    assert!(stdout.contains("test result: FAILED. 8 passed; 1 failed; 0 filtered out;"), "{stdout}");
    let junit = std::fs::read_to_string(dir.join("report.xml")).expect("JUnit report");
    assert!(junit.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"baton test\" tests=\"9\" failures=\"1\""), "{junit}");
    assert!(junit.contains("<testsuite name=\"order.test.yaml\" tests=\"7\" failures=\"0\""), "{junit}");
    assert!(junit.contains("<testsuite name=\"wrong.test.yaml\" tests=\"2\" failures=\"1\""), "{junit}");
    assert_eq!(junit.matches("<failure ").count(), 1, "{junit}");
    assert!(junit.contains("<failure message=\"expect.output at $.parcels: expected 3, actual 2\""), "{junit}");
}

#[test]
fn invalid_test_files_give_located_errors() {
    let bad = r#"stateMachine: order.asl.json
mockConfg: mocks.json
cases:
  - name: one
    testCase: Happy
    mocks:
      Reserv: {Return: 1}
      Charge: [{Retrun: 1}]
    expect:
      status: DONE
      output: 1
      outputContains: 1
      path: [Reserve, Prepar]
      states:
        Prepare/PackLines/Pak: {entred: 1}
  - name: one
"#;
    let dir = workspace("invalid", &[("bad.test.yaml", bad), ("bad.test.json", r#"{"stateMachine": "missing.asl.json", "cases": []}"#)]);
    let out = baton_test(&[], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "no case runs: {}", text(&out.stdout));
    let expected = [
        "bad.test.json:1:2: /stateMachine: cannot read missing.asl.json: ",
        "bad.test.json:1:38: /cases: expected at least one case, found an empty array",
        "bad.test.yaml:2:1: /mockConfg: unknown field \"mockConfg\"; did you mean \"mockConfig\"?",
        "bad.test.yaml:5:5: /cases/0/testCase: a test case needs a \"mockConfig\" file",
        "bad.test.yaml:7:7: /cases/0/mocks/Reserv: the state machine has no Task state 'Reserv'; did you mean 'Reserve'?",
        "bad.test.yaml:8:17: /cases/0/mocks/Charge/0/Retrun: unknown field \"Retrun\"; expected \"Return\" or \"Throw\"",
        "bad.test.yaml:8:16: /cases/0/mocks/Charge/0: expected exactly one of \"Return\" and \"Throw\", found neither",
        "bad.test.yaml:10:7: /cases/0/expect/status: unknown status 'DONE'; expected one of SUCCEEDED, FAILED, TIMED_OUT, ABORTED",
        "bad.test.yaml:12:7: /cases/0/expect/outputContains: give \"output\" or \"outputContains\", not both",
        "bad.test.yaml:13:23: /cases/0/expect/path/1: the state machine has no state 'Prepar'; did you mean 'Prepare'?",
        "bad.test.yaml:15:9: /cases/0/expect/states/Prepare~1PackLines~1Pak: the state machine has no state 'Pak'; did you mean 'Pack'?",
        "bad.test.yaml:15:33: /cases/0/expect/states/Prepare~1PackLines~1Pak/entred: unknown field \"entred\"; did you mean \"entered\"?",
        "bad.test.yaml:16:5: /cases/1/name: a second case named 'one'",
        "error: 2 invalid test files; no case was run",
    ];
    for line in expected {
        assert!(stderr.contains(line), "missing {line:?} in:\n{stderr}");
    }
}

#[test]
fn filter_runs_only_the_matching_cases() {
    let out = baton_test(&["--filter", "declined", "order.test.yaml"], Path::new(SUITE));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("running 1 case from 1 file\ntest order.test.yaml: a declined card is caught ... ok\n"), "{stdout}");
    assert!(stdout.contains("test result: ok. 1 passed; 0 failed; 6 filtered out;"), "{stdout}");
}

#[test]
fn json_prints_every_result_as_one_object() {
    let dir = workspace("json", &[("wrong.test.yaml", WRONG)]);
    let out = baton_test(&["--json", "--filter", "wrong.test.yaml"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!((&report["result"], &report["passed"], &report["failed"], &report["filtered"]), (&json!("failed"), &json!(1), &json!(1), &json!(7)));
    let failed = &report["cases"][1];
    assert_eq!(failed["name"], "three parcels, wrongly");
    assert_eq!(failed["mismatches"], json!([{"field": "expect.output", "at": "$.parcels", "expected": "3", "actual": "2"}]));
    assert_eq!(failed["execution"]["status"], "SUCCEEDED");
}

#[test]
fn update_writes_actual_outputs_keeping_the_file_syntax() {
    let yaml = r#"# Snapshots of the order workflow's output.
stateMachine: order.asl.json
mockConfig: mocks.json
cases:
  - name: no expectation yet
    input: {orderId: U1, lines: [{sku: pen}]}
    testCase: Happy
  - name: an outdated output
    input: {orderId: U2, lines: []}
    testCase: Happy
    expect:
      status: SUCCEEDED   # a comment that stays
      output:
        orderId: U2
        parcels: 7
      path: [Reserve, Prepare, Approve, Ship]
  - name: a failure keeps its expectations
    input: {orderId: U3, lines: []}
    mocks:
      Reserve: {Throw: {Error: Stock.Gone}}
    expect:
      error: Order.OutOfStock
"#;
    let json_file = r#"{"stateMachine": "order.asl.json", "mockConfig": "mocks.json",
 "cases": [{"name": "json snapshot", "input": {"orderId": "J1", "lines": []}, "testCase": "Happy", "expect": {"status": "SUCCEEDED"}}]}"#;
    let dir = workspace("update", &[("snap.test.yaml", yaml), ("snap.test.json", json_file)]);
    let before = baton_test(&["--filter", "snap"], &dir);
    assert_eq!(before.status.code(), Some(1), "{}", text(&before.stdout));
    let out = baton_test(&["--update", "--filter", "snap"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("updated 2 expected outputs in snap.test.yaml"), "{stderr}");
    assert!(stderr.contains("updated 1 expected output in snap.test.json"), "{stderr}");
    let yaml_after = std::fs::read_to_string(dir.join("snap.test.yaml")).expect("updated YAML");
    let expected = r#"# Snapshots of the order workflow's output.
stateMachine: order.asl.json
mockConfig: mocks.json
cases:
  - name: no expectation yet
    expect:
      output: {"orderId":"U1","reservation":"R-1","payment":"charged","parcels":1,"approvedBy":"ada"}
    input: {orderId: U1, lines: [{sku: pen}]}
    testCase: Happy
  - name: an outdated output
    input: {orderId: U2, lines: []}
    testCase: Happy
    expect:
      status: SUCCEEDED   # a comment that stays
      output: {"orderId":"U2","reservation":"R-1","payment":"charged","parcels":0,"approvedBy":"ada"}
      path: [Reserve, Prepare, Approve, Ship]
  - name: a failure keeps its expectations
    input: {orderId: U3, lines: []}
    mocks:
      Reserve: {Throw: {Error: Stock.Gone}}
    expect:
      error: Order.OutOfStock
"#;
    assert_eq!(yaml_after, expected);
    let json_after: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("snap.test.json")).expect("updated JSON")).expect("JSON");
    assert_eq!(
        json_after["cases"][0]["expect"],
        json!({"status": "SUCCEEDED", "output": {"orderId": "J1", "reservation": "R-1", "payment": "charged", "parcels": 0, "approvedBy": "ada"}})
    );
    let again = baton_test(&["--filter", "snap"], &dir);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stdout));
}

/// The README's example workflow has its test file; its cases call the example's Python function.
#[test]
fn the_example_workflow_suite_passes() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    let out = baton_test(&["orders"], Path::new(examples));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("test result: ok."), "{stdout}");
}

/// `nested.test.yaml`: a Parallel retried as a whole, holding another Parallel. Its second case expects a branch's
/// variable after the Parallel, where it is out of scope, and so fails.
#[test]
fn nested_parallels_count_entries_and_retries_and_scope_variables() {
    let out = baton_test(&["nested.test.yaml"], Path::new(SUITE));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("test nested.test.yaml: a flaky branch retries the whole Parallel ... ok"), "{stdout}");
    let diff = "---- nested.test.yaml: the variables of a branch stay in it ----\n  expect.states.Last.variables at $.x\n    \
                expected: 1\n    actual:   (absent)\n";
    assert!(stdout.contains(diff), "{stdout}");
}

/// An `expect` in flow style cannot be edited line by line: the file stays as it was, and the exit is 2.
#[test]
fn update_refuses_a_flow_style_expect() {
    let yaml = "stateMachine: order.asl.json\nmockConfig: mocks.json\ncases:\n  - name: flow\n    input: {orderId: F1, lines: []}\n    testCase: Happy\n    expect: {status: SUCCEEDED, output: {}}\n";
    let dir = workspace("flow", &[("flow.test.yaml", yaml)]);
    let out = baton_test(&["--update", "flow.test.yaml"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error: cannot update flow.test.yaml: case 0: its expect cannot be edited in place: `output` is inside a flow mapping"), "{stderr}");
    assert_eq!(std::fs::read_to_string(dir.join("flow.test.yaml")).expect("file"), yaml);
}

/// A Step Functions Local user's suite (aws-samples/serverless-test-samples, in `baton_test/lambda_sqs/`): the
/// definition and mock file as they were, the pytest assertions as expectations (retries counted from the history).
#[test]
fn a_step_functions_local_suite_runs_with_its_mock_file_unchanged() {
    let out = baton_test(&["lambda_sqs"], Path::new(SUITE));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("test result: ok. 2 passed; 0 failed; 0 filtered out;"), "{stdout}");
}

const PARTIAL: &str = r#"
stateMachine: order.asl.json
mockConfig: mocks.json
cases:
  - name: happy path
    input: {orderId: C1, lines: [{sku: pen}, {sku: ink}]}
    testCase: Happy
  - name: a declined card is caught
    input: {orderId: C2, lines: [{sku: pen}]}
    testCase: Happy
    mocks:
      Charge: {Throw: {Error: Payment.Declined, Cause: insufficient funds}}
    expect:
      error: Order.Rejected
"#;

/// `--coverage` names what the cases never exercised: here the one state never entered (no case runs out of stock),
/// with the Catch that leads there and the retriers that never retried, and draws the machine with it marked.
#[test]
fn coverage_names_the_state_the_suite_never_entered() {
    let dir = workspace("coverage", &[("partial.test.yaml", PARTIAL)]);
    let out = baton_test(&["--coverage", "--coverage-svg", "coverage", "partial.test.yaml"], &dir);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("order.asl.json: 8/9 states, 1/2 Catch edges, 0/2 retriers, 3/3 branches and processors"), "{stdout}");
    let missing: Vec<&str> = stdout.lines().filter(|line| line.contains("state not entered")).collect();
    assert_eq!(missing, ["  state not entered: OutOfStock"], "{stdout}");
    assert!(stdout.contains("Catch not taken: Reserve catcher 1 -> OutOfStock"), "{stdout}");
    let svg = std::fs::read_to_string(dir.join("coverage/order.coverage.svg")).expect("the drawing");
    assert!(svg.contains("data-state=\"OutOfStock\"") && svg.contains("data-status=\"not-run\""), "the state never entered is marked");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A distributed Map's iterations are child executions, which record nothing in the parent's history: coverage reads
/// their own histories, so a Choice inside the processor shows the rule the items never took.
#[test]
fn coverage_sees_inside_a_distributed_maps_processor() {
    let definition = r#"{"StartAt": "Each", "States": {"Each": {"Type": "Map",
 "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Big?", "States": {
   "Big?": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": 10, "Next": "Big"}], "Default": "Small"},
   "Big": {"Type": "Pass", "End": true}, "Small": {"Type": "Pass", "End": true}}},
 "End": true}}}"#;
    let suite = "stateMachine: items.asl.json\ncases:\n  - name: small ones\n    input: [1, 2]\n    expect:\n      output: [1, 2]\n";
    let dir = workspace("distributed-coverage", &[("items.asl.json", definition), ("items.test.yaml", suite)]);
    let out = baton_test(&["--coverage", "items.test.yaml"], &dir);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("items.asl.json: 3/4 states, 1/2 Choice rules, 1/1 branches and processors"), "{stdout}");
    assert!(stdout.contains("Choice rule not taken: Big? rule 1 -> Big"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}
