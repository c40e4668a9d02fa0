//! The console's design mode in headless Chromium, driven as a person would: the mouse drags states from the palette
//! onto the canvas, onto arrows, states and branches; forms are filled by clicking into them and typing; selects are
//! changed with the keyboard. The page is only read (`eval`, `wait_for`), never acted on by script. Screenshots are
//! kept in `target/tmp`.
//!
//! - `a_person_builds_the_order_workflow_from_an_empty_canvas`: the issue's acceptance: a Task with Retry and Catch,
//!   a Choice, a Parallel with a Map inside, built from nothing, saved, started, and run to success.

use std::path::Path;

use serde_json::{Value, json};

use crate::cdp::Browser;
use crate::console::{PATIENCE, call};
use crate::serve::{Server, data_dir};

/// A local function that answers with its payload, so that the workflow's Task runs without AWS.
const ECHO_FUNCTIONS: &str = "[functions.charge]\ncommand = [\"cat\"]\n";

/// The selector of the state named `name` on the canvas.
fn node(name: &str) -> String {
    format!(".node[data-name={}]", json!(name))
}

/// The selector of the inspector's field `field` (its `data-field`).
fn field(field: &str) -> String {
    format!("#design-inspector [data-field={}]", json!(field))
}

/// Sets the inspector's select that `selector` matches to the option whose value is `wanted`, with the keyboard: a
/// click on its label gives it the focus, then the arrow keys move to the option and Tab leaves it.
#[track_caller]
fn choose(browser: &mut Browser, selector: &str, wanted: &str) {
    let sel = json!(selector);
    let (x, y) = browser.centre_of(&format!("document.querySelector({sel})?.closest('label').querySelector('.field-name')"));
    browser.mouse_click_at(x, y);
    let wanted_json = json!(wanted);
    for _ in 0..40 {
        let at = browser.eval(&format!(
            "(() => {{ const s = document.querySelector({sel}); \
             return [s.selectedIndex, [...s.options].findIndex((o) => o.value === {wanted_json})]; }})()"
        ));
        let (now, goal) = (at[0].as_i64().unwrap_or(-1), at[1].as_i64().unwrap_or(-1));
        assert!(goal >= 0, "{selector} has no option {wanted}");
        if now == goal {
            browser.press("Tab", 0);
            return;
        }
        browser.press(if now < goal { "ArrowDown" } else { "ArrowUp" }, 0);
    }
    panic!("{selector} did not reach {wanted}");
}

/// Types `text` over the inspector's field `name` and leaves it with Tab, which applies it.
#[track_caller]
fn set(browser: &mut Browser, name: &str, text: &str) {
    browser.fill(&field(name), text);
    browser.press("Tab", 0);
}

/// Renames the selected state to `name` in the inspector, and waits for the canvas to show it.
#[track_caller]
fn rename(browser: &mut Browser, name: &str) {
    set(browser, "Name", name);
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node(name))), PATIENCE);
}

/// Drags palette item `kind` onto what `target` matches and waits for a state named `new_name` to appear.
#[track_caller]
fn drop_onto(browser: &mut Browser, kind: &str, target: &str, new_name: &str) {
    settle(browser);
    browser.drag(&format!(".palette-item[data-kind={}]", json!(kind)), target);
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node(new_name))), PATIENCE);
}

/// Waits until the editor has checked what the last change wrote (the list of problems under it, whose length moves
/// the page, is drawn then).
#[track_caller]
fn settle(browser: &mut Browser) {
    browser.wait_for("!['Checking…', ''].includes(document.querySelector('#editor-status')?.textContent)", PATIENCE);
}

fn screenshot(browser: &mut Browser, name: &str) {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    browser.screenshot(&path);
    eprintln!("designer screenshot: {}", path.display());
}

/// The definition the editor holds now, as the server checked it.
fn editor_definition(browser: &mut Browser) -> Value {
    let text = browser.eval("document.querySelector('#editor-text').value");
    serde_json::from_str(text.as_str().unwrap_or_default()).expect("the code view holds JSON")
}

#[test]
fn a_person_builds_the_order_workflow_from_an_empty_canvas() {
    let Some(mut browser) = Browser::start() else { return };
    let dir = data_dir();
    let functions = dir.path().join("functions.toml");
    std::fs::write(&functions, ECHO_FUNCTIONS).expect("write the functions file");
    let server = Server::start_with(&dir.path().join("data"), &["--functions", functions.to_str().expect("a UTF-8 path")]);
    let addr = server.addr.as_str();

    browser.navigate(&format!("http://{addr}/console"));
    browser.mouse_click("#create");
    browser.wait_for("document.querySelector('#editor-status')?.textContent === 'Valid JSON definition'", PATIENCE);
    browser.fill("#create-name", "Orders");
    browser.mouse_click("#editor-design-tab");
    browser.wait_for("document.querySelector('#design-canvas .node') !== null", PATIENCE);
    browser.mouse_click("#design-clear");
    browser.wait_for("document.querySelector('#design-canvas .area-empty') !== null", PATIENCE);

    // The Task: dropped on the empty canvas, it is the start; named, given its function, a retrier and a catcher.
    settle(&mut browser);
    let (x, y) = browser.centre("#design-canvas .top-area");
    browser.drag_to(".palette-item[data-kind=\"lambda\"]", (x, y - 120.0));
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Lambda Invoke"))), PATIENCE);
    rename(&mut browser, "Charge");
    set(&mut browser, "Parameters", r#"{"FunctionName": "charge", "Payload.$": "$"}"#);
    set(&mut browser, "ResultSelector", r#"{"paid.$": "$.Payload.paid", "lines.$": "$.Payload.lines"}"#);
    browser.mouse_click("#add-retrier");
    browser.wait_for("document.querySelector('#design-inspector [data-retrier=\"0\"]') !== null", PATIENCE);

    // A Fail state beside it, where the errors go.
    settle(&mut browser);
    let (x, y) = browser.centre("#design-canvas .top-area");
    browser.drag_to(".palette-item[data-kind=\"Fail\"]", (x + 260.0, y + 60.0));
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Fail"))), PATIENCE);
    rename(&mut browser, "Declined");

    browser.mouse_click(&node("Charge"));
    browser.wait_for("document.querySelector('#field-name')?.value === 'Charge'", PATIENCE);
    browser.mouse_click("#add-catcher");
    browser.wait_for("document.querySelector('#design-inspector [data-catcher=\"0\"]') !== null", PATIENCE);
    choose(&mut browser, "#design-inspector [data-catch-field=\"next\"]", "Declined");

    // The Choice, dropped on the Task: it follows it.
    drop_onto(&mut browser, "Choice", &node("Charge"), "Choice");
    rename(&mut browser, "Paid?");
    set(&mut browser, "Rule", r#"{"Variable": "$.paid", "BooleanEquals": true}"#);
    choose(&mut browser, "#field-default", "Declined");

    // The Parallel, and the Choice's rule pointed at it.
    drop_onto(&mut browser, "Parallel", &node("Paid?"), "Parallel");
    rename(&mut browser, "Fulfil");
    browser.mouse_click(&node("Paid?"));
    browser.wait_for("document.querySelector('#field-name')?.value === 'Paid?'", PATIENCE);
    choose(&mut browser, "#design-inspector [data-rule-field=\"next\"]", "Fulfil");

    // A Map in the Parallel's first branch, a Pass in the Map, another in the second branch.
    let fulfil = node("Fulfil");
    drop_onto(&mut browser, "Map", &format!("{fulfil} > .areas > .area:nth-child(1)"), "Map");
    rename(&mut browser, "Pack lines");
    set(&mut browser, "ItemsPath", "$.lines");
    drop_onto(&mut browser, "Pass", &format!("{} > .areas > .area", node("Pack lines")), "Pass");
    rename(&mut browser, "Pack");
    drop_onto(&mut browser, "Pass", &format!("{fulfil} > .areas > .area:nth-child(2)"), "Pass");
    rename(&mut browser, "Notify");

    browser.wait_for("document.querySelector('#editor-status')?.textContent === 'Valid JSON definition'", PATIENCE);
    assert_eq!(browser.eval("document.querySelectorAll('#design-canvas .node.problem').length"), 0);
    screenshot(&mut browser, "designer-order-workflow.png");

    // The code view says the same.
    let built = editor_definition(&mut browser);
    assert_eq!(built["StartAt"], "Charge", "{built:#}");
    let charge = &built["States"]["Charge"];
    assert_eq!(charge["Resource"], "arn:aws:states:::lambda:invoke", "{built:#}");
    assert_eq!(charge["Parameters"], json!({"FunctionName": "charge", "Payload.$": "$"}), "{built:#}");
    assert_eq!(charge["Retry"][0]["ErrorEquals"], json!(["States.TaskFailed"]), "{built:#}");
    assert_eq!(charge["Catch"][0]["Next"], "Declined", "{built:#}");
    assert_eq!(charge["Next"], "Paid?", "{built:#}");
    let choice = &built["States"]["Paid?"];
    assert_eq!(choice["Choices"], json!([{"Variable": "$.paid", "BooleanEquals": true, "Next": "Fulfil"}]), "{built:#}");
    assert_eq!(choice["Default"], "Declined", "{built:#}");
    let branches = &built["States"]["Fulfil"]["Branches"];
    assert_eq!(branches[0]["StartAt"], "Pack lines", "{built:#}");
    assert_eq!(branches[0]["States"]["Pack lines"]["ItemProcessor"]["StartAt"], "Pack", "{built:#}");
    assert_eq!(branches[1]["StartAt"], "Notify", "{built:#}");

    // Saved, it validates; started from its page, it runs to success.
    browser.mouse_click("#editor-save");
    browser.wait_for("document.querySelector('h1')?.textContent === 'Orders'", PATIENCE);
    let machine = "arn:aws:states:us-east-1:123456789012:stateMachine:Orders";
    let described = call(addr, "DescribeStateMachine", &json!({"stateMachineArn": machine}));
    let saved: Value = serde_json::from_str(described["definition"].as_str().unwrap_or_default()).expect("a JSON definition");
    assert_eq!(saved, built);
    let validated = call(addr, "ValidateStateMachineDefinition", &json!({"definition": described["definition"]}));
    assert_eq!(validated["result"], "OK", "{validated}");

    browser.fill("#start-input", r#"{"paid": true, "lines": [{"sku": "pen"}, {"sku": "ink"}]}"#);
    browser.mouse_click("#start");
    browser.wait_for("document.querySelector('h1 .status')?.textContent === 'SUCCEEDED'", PATIENCE);
    screenshot(&mut browser, "designer-order-workflow-ran.png");
    let execution = browser.eval("decodeURIComponent(location.pathname.split('/').pop())");
    let output = call(addr, "DescribeExecution", &json!({"executionArn": execution}));
    let output: Value = serde_json::from_str(output["output"].as_str().unwrap_or_default()).expect("a JSON output");
    assert_eq!(output, json!([[{"sku": "pen"}, {"sku": "ink"}], {"paid": true, "lines": [{"sku": "pen"}, {"sku": "ink"}]}]));
}

/// The position of the state named `name` on the canvas: its box's `left` and `top` in its area.
fn position(browser: &mut Browser, name: &str) -> (i64, i64) {
    let at = browser.eval(&format!("(() => {{ const n = document.querySelector({}); return [n.offsetLeft, n.offsetTop]; }})()", json!(node(name))));
    (at[0].as_i64().unwrap_or(-1), at[1].as_i64().unwrap_or(-1))
}

/// The state machine's definition as the editor's code view holds it, once the editor has checked it.
fn settled_definition(browser: &mut Browser) -> Value {
    settle(browser);
    editor_definition(browser)
}

#[test]
fn every_design_action_works_with_the_mouse_and_the_keyboard() {
    let Some(mut browser) = Browser::start() else { return };
    let dir = data_dir();
    let server = Server::start(dir.path());
    let addr = server.addr.as_str();
    let definition = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": true}}});
    let machine = crate::console::create(addr, "Actions", &definition);
    browser.navigate(&format!("http://{addr}/console/state-machines/{}", crate::console::encode(&machine)));
    browser.mouse_click("#edit");
    browser.wait_for("document.querySelector('#editor-status')?.textContent === 'Valid JSON definition'", PATIENCE);
    browser.mouse_click("#editor-design-tab");
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("B"))), PATIENCE);

    // Dropped on the arrow from A to B, a Wait goes between them.
    settle(&mut browser);
    browser.drag(".palette-item[data-kind=\"Wait\"]", ".edge-drop[data-from=\"A\"][data-to=\"B\"]");
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Wait"))), PATIENCE);
    let built = settled_definition(&mut browser);
    assert_eq!((built["States"]["A"]["Next"].as_str(), built["States"]["Wait"]["Next"].as_str()), (Some("Wait"), Some("B")), "{built:#}");
    assert!(position(&mut browser, "B").1 > position(&mut browser, "Wait").1, "B moves down to make room");

    // Delete removes the selected state and joins its neighbours; Ctrl+Z brings it back, Ctrl+Shift+Z and Ctrl+Y redo.
    browser.mouse_click(&node("Wait"));
    browser.press("Delete", 0);
    browser.wait_for(&format!("document.querySelector({}) === null", json!(node("Wait"))), PATIENCE);
    assert_eq!(settled_definition(&mut browser)["States"]["A"]["Next"], "B");
    browser.press("z", 2);
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Wait"))), PATIENCE);
    assert_eq!(settled_definition(&mut browser)["States"]["A"]["Next"], "Wait");
    browser.press("z", 2 | 8);
    browser.wait_for(&format!("document.querySelector({}) === null", json!(node("Wait"))), PATIENCE);
    browser.press("z", 2);
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Wait"))), PATIENCE);
    browser.mouse_click("#design-redo");
    browser.wait_for(&format!("document.querySelector({}) === null", json!(node("Wait"))), PATIENCE);
    browser.mouse_click("#design-undo");
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Wait"))), PATIENCE);

    // Dragged, a state moves; the arrow keys move the selected one, 10 pixels a press (50 with Shift).
    let before = position(&mut browser, "B");
    let (x, y) = browser.centre(&node("B"));
    browser.drag_to(&node("B"), (x + 120.0, y + 30.0));
    let dragged = position(&mut browser, "B");
    assert_eq!((dragged.0 - before.0, dragged.1 - before.1), (120, 30), "dragged by (120, 30)");
    browser.press("ArrowRight", 0);
    browser.press("ArrowRight", 0);
    browser.press("ArrowDown", 8);
    browser.wait_for(&format!("(() => {{ const n = document.querySelector({}); return n.offsetLeft === {} && n.offsetTop === {}; }})()",
        json!(node("B")), dragged.0 + 20, dragged.1 + 50), PATIENCE);

    // A click on a palette item adds it after the selected state; Enter on the item adds another after that one.
    browser.mouse_click(&node("B"));
    browser.mouse_click(".palette-item[data-kind=\"Succeed\"]");
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Succeed"))), PATIENCE);
    browser.press("Enter", 0);
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Succeed 2"))), PATIENCE);
    let built = settled_definition(&mut browser);
    assert_eq!(built["States"]["B"]["Next"], "Succeed", "{built:#}");
    assert!(built["States"]["Succeed 2"].get("Next").is_none(), "a Succeed has no Next: {built:#}");
    browser.mouse_click(&node("Succeed 2"));
    browser.press("Delete", 0);
    browser.wait_for(&format!("document.querySelector({}) === null", json!(node("Succeed 2"))), PATIENCE);

    // The keyboard inserts on an arrow too: Enter on its circle chooses it, Enter on a palette item inserts there.
    settle(&mut browser);
    browser.mouse_click(".edge-drop[data-from=\"A\"][data-to=\"Wait\"]");
    browser.wait_for("document.activeElement?.classList.contains('edge-drop')", PATIENCE);
    browser.press("Enter", 0);
    browser.mouse_click(".palette-item[data-kind=\"Choice\"]");
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Choice"))), PATIENCE);
    let built = settled_definition(&mut browser);
    let choice = &built["States"]["Choice"];
    assert_eq!(built["States"]["A"]["Next"], "Choice", "{built:#}");
    assert_eq!((choice["Choices"][0]["Next"].as_str(), choice["Default"].as_str()), (Some("Wait"), Some("Wait")), "{built:#}");

    // A Choice's rules and default, connected with the form; a new rule by dragging its port onto a state.
    browser.mouse_click("#add-rule");
    browser.wait_for("document.querySelector('#design-inspector [data-rule=\"1\"]') !== null", PATIENCE);
    choose(&mut browser, "#design-inspector [data-rule=\"1\"] [data-rule-field=\"next\"]", "Succeed");
    choose(&mut browser, "#field-default", "B");
    settle(&mut browser);
    browser.drag(&format!("{} .port", node("Choice")), &node("Succeed"));
    browser.wait_for("document.querySelector('#design-inspector [data-rule=\"2\"]') !== null", PATIENCE);
    let built = settled_definition(&mut browser);
    let rules: Vec<&str> = built["States"]["Choice"]["Choices"].as_array().into_iter().flatten().filter_map(|r| r["Next"].as_str()).collect();
    assert_eq!(rules, ["Wait", "Succeed", "Succeed"], "{built:#}");
    assert_eq!(built["States"]["Choice"]["Default"], "B", "{built:#}");

    // A state's port dragged onto another sets its Next.
    settle(&mut browser);
    browser.drag(&format!("{} .port", node("Wait")), &node("Succeed"));
    browser.wait_for("document.querySelector('.edge-drop[data-from=\"Wait\"][data-to=\"Succeed\"]') !== null", PATIENCE);
    assert_eq!(settled_definition(&mut browser)["States"]["Wait"]["Next"], "Succeed");

    // Dropped on a state, a Parallel follows it; it gets a third branch, a state dropped into each, and a catcher.
    settle(&mut browser);
    browser.drag(".palette-item[data-kind=\"Parallel\"]", &node("B"));
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Parallel"))), PATIENCE);
    browser.mouse_click("#add-branch");
    browser.wait_for(&format!("document.querySelectorAll({}).length === 3", json!(format!("{} > .areas > .area", node("Parallel")))), PATIENCE);
    for (i, kind) in [(1, "Pass"), (2, "Wait")] {
        settle(&mut browser);
        browser.drag(&format!(".palette-item[data-kind={}]", json!(kind)), &format!("{} > .areas > .area:nth-child({i})", node("Parallel")));
        browser.wait_for(&format!("document.querySelector({}).querySelectorAll('.node').length === {i}", json!(node("Parallel"))), PATIENCE);
    }
    // An empty branch chosen with a click takes a palette item clicked (or entered) next.
    settle(&mut browser);
    browser.mouse_click(&format!("{} > .areas > .area:nth-child(3)", node("Parallel")));
    browser.wait_for(&format!("document.querySelector({})?.classList.contains('selected')", json!(format!("{} > .areas > .area:nth-child(3)", node("Parallel")))), PATIENCE);
    browser.mouse_click(".palette-item[data-kind=\"Succeed\"]");
    browser.wait_for(&format!("document.querySelector({}).querySelectorAll('.node').length === 3", json!(node("Parallel"))), PATIENCE);
    browser.mouse_click(&format!("{} > .node-name", node("Parallel")));
    browser.mouse_click("#add-catcher");
    browser.wait_for("document.querySelector('#design-inspector [data-catcher=\"0\"]') !== null", PATIENCE);
    set(&mut browser, "ErrorEquals", "States.Timeout, States.TaskFailed");
    settle(&mut browser);
    screenshot(&mut browser, "designer-actions.png");
    let built = settled_definition(&mut browser);
    assert_eq!(built["States"]["Parallel"]["Branches"].as_array().map(Vec::len), Some(3), "{built:#}");
    assert_eq!(built["States"]["Parallel"]["Catch"][0]["ErrorEquals"], json!(["States.Timeout", "States.TaskFailed"]), "{built:#}");
    assert_eq!(browser.eval("document.querySelector('#editor-status').textContent"), "Valid JSON definition");

    // A problem made in a form is drawn on its state and listed in the inspector.
    browser.mouse_click(&node("Wait 2"));
    set(&mut browser, "Seconds", "-5");
    browser.wait_for(&format!("document.querySelector({})?.classList.contains('problem')", json!(node("Wait 2"))), PATIENCE);
    browser.wait_for("document.querySelector('#state-problems')?.textContent.length > 0", PATIENCE);
    screenshot(&mut browser, "designer-problem.png");
    browser.mouse_click("#design-undo");
    browser.wait_for(&format!("!document.querySelector({})?.classList.contains('problem')", json!(node("Wait 2"))), PATIENCE);

    // Saved with "Publish a version": the machine is updated and version 1 published.
    settle(&mut browser);
    browser.mouse_click("#editor-publish");
    browser.fill("#editor-version-description", "from the designer");
    browser.mouse_click("#editor-save");
    browser.wait_for("document.querySelector('#flash')?.textContent.includes('Published version 1')", PATIENCE);
    let versions = call(addr, "ListStateMachineVersions", &json!({"stateMachineArn": machine}));
    assert_eq!(versions["stateMachineVersions"].as_array().map(Vec::len), Some(1), "{versions}");
    let version = call(addr, "DescribeStateMachine", &json!({"stateMachineArn": versions["stateMachineVersions"][0]["stateMachineVersionArn"]}));
    assert_eq!(version["description"], "from the designer", "{version}");
    let saved: Value = serde_json::from_str(version["definition"].as_str().unwrap_or_default()).expect("a JSON definition");
    assert_eq!(saved["States"]["Parallel"]["Branches"].as_array().map(Vec::len), Some(3), "{saved:#}");
}

/// A YAML definition with comments above keys, after values, at the top and inside a state.
const COMMENTED_YAML: &str = "# The order flow, kept in YAML\n\
Comment: Orders\n\
StartAt: Check # where it begins\n\
States:\n  \
  # first, look at the order\n  \
  Check:\n    \
    Type: Pass\n    \
    Next: Pause\n  \
  Pause:\n    \
    Type: Wait\n    \
    Seconds: 5 # a short pause\n    \
    End: true\n";

const COMMENTS: [&str; 4] = ["# The order flow, kept in YAML", "# where it begins", "# first, look at the order", "# a short pause"];

#[test]
fn the_code_and_design_views_follow_each_other_keeping_positions_and_yaml_comments() {
    let Some(mut browser) = Browser::start() else { return };
    let dir = data_dir();
    let server = Server::start(dir.path());
    let addr = server.addr.as_str();
    let definition = json!({"StartAt": "Check", "States": {"Check": {"Type": "Pass", "End": true}}});
    let machine = crate::console::create(addr, "Synced", &definition);
    browser.navigate(&format!("http://{addr}/console/state-machines/{}", crate::console::encode(&machine)));
    browser.mouse_click("#edit");
    browser.wait_for("document.querySelector('#editor-status')?.textContent === 'Valid JSON definition'", PATIENCE);
    browser.fill("#editor-text", COMMENTED_YAML);
    browser.wait_for("document.querySelector('#editor-status')?.textContent === 'Valid YAML definition'", PATIENCE);

    // The design view draws the YAML; a state dragged somewhere stays there.
    browser.mouse_click("#editor-design-tab");
    browser.wait_for(&format!("document.querySelector({}) !== null", json!(node("Pause"))), PATIENCE);
    let (x, y) = browser.centre(&node("Check"));
    browser.drag_to(&node("Check"), (x + 150.0, y + 20.0));
    let check_at = position(&mut browser, "Check");
    let pause_at = position(&mut browser, "Pause");

    // A field changed in the design view is written into the YAML, its comments kept.
    browser.mouse_click(&node("Pause"));
    set(&mut browser, "Seconds", "30");
    settle(&mut browser);
    let text = browser.eval("document.querySelector('#editor-text').value");
    let text = text.as_str().unwrap_or_default().to_owned();
    assert!(text.contains("Seconds: 30"), "{text}");
    for comment in COMMENTS {
        assert!(text.contains(comment), "the comment {comment:?} is kept:\n{text}");
    }
    assert!(text.lines().any(|line| line.trim_start().starts_with("Seconds: 30") && line.contains("# a short pause")), "{text}");
    assert_eq!(browser.eval("document.querySelector('#editor-status').textContent"), "Valid YAML definition");

    // A field edited in the code view shows in the design view; nothing on the canvas moved.
    browser.mouse_click("#editor-code-tab");
    browser.fill("#editor-text", &text.replace("Seconds: 30", "Seconds: 45").replace("Type: Pass", "Type: Pass\n    Comment: looked at"));
    browser.wait_for("document.querySelector('#editor-status')?.textContent === 'Valid YAML definition'", PATIENCE);
    browser.mouse_click("#editor-design-tab");
    browser.mouse_click(&node("Pause"));
    browser.wait_for(&format!("document.querySelector({})?.value === '45'", json!(field("Seconds"))), PATIENCE);
    assert_eq!((position(&mut browser, "Check"), position(&mut browser, "Pause")), (check_at, pause_at), "the states kept their places");
    browser.mouse_click(&format!("{} > .node-name", node("Check")));
    browser.wait_for(&format!("document.querySelector({})?.value === 'looked at'", json!(field("Comment"))), PATIENCE);

    // And back: a rename in the design view renames the YAML's key and what points at it, keeping the comments.
    rename(&mut browser, "Inspect");
    settle(&mut browser);
    let text = browser.eval("document.querySelector('#editor-text').value");
    let text = text.as_str().unwrap_or_default().to_owned();
    assert!(text.contains("StartAt: Inspect # where it begins"), "{text}");
    assert!(text.contains("  Inspect:\n"), "{text}");
    assert!(text.contains("Comment: looked at"), "{text}");
    for comment in [COMMENTS[0], COMMENTS[3]] {
        assert!(text.contains(comment), "the comment {comment:?} is kept:\n{text}");
    }
    assert_eq!(position(&mut browser, "Inspect"), check_at, "a renamed state keeps its place");
    screenshot(&mut browser, "designer-synced.png");
}
