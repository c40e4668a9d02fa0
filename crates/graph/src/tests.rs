//! Unit tests of the graph, the layout and the renderers: graphs as text, layouts by their invariants.

use serde_json::{Value, json};

use asl::model::StateMachine;

use crate::{
    EdgeKind, Graph, Layout, NodeId, NodeKind, Notes, Rect, Status, Statuses, Tallies, Tally, build, layout, layout_with_notes, sketch,
    to_dot, to_mermaid, to_svg, to_svg_with,
};

fn machine(definition: &Value) -> StateMachine {
    asl::parse(&definition.to_string()).unwrap_or_else(|diagnostics| panic!("invalid test definition: {diagnostics:?}"))
}

fn name(graph: &Graph, id: NodeId) -> String {
    match graph.node(id).map(|node| &node.kind) {
        Some(NodeKind::Start) => "(start)".to_owned(),
        Some(NodeKind::End) => "(end)".to_owned(),
        Some(NodeKind::State { name, .. }) => name.clone(),
        Some(NodeKind::Branch { index }) => format!("(branch {index})"),
        None => "?".to_owned(),
    }
}

/// The graph as text: the node tree, then one line per edge.
fn render(graph: &Graph) -> String {
    let mut out = String::new();
    for id in graph.ids() {
        let indent = "  ".repeat(graph.depth(id));
        let kind = match graph.node(id).map(|node| &node.kind) {
            Some(NodeKind::State { kind, .. }) => format!(" {kind:?}"),
            _ => String::new(),
        };
        out.push_str(&format!("{indent}{}{kind}\n", name(graph, id)));
    }
    for edge in graph.edges() {
        let dash = if edge.kind == EdgeKind::Catch { "-.->" } else { "-->" };
        let label = edge.label.as_deref().map(|l| format!(" [{l}]")).unwrap_or_default();
        out.push_str(&format!("{} {dash} {}{label}\n", name(graph, edge.from), name(graph, edge.to)));
    }
    out
}

#[track_caller]
fn check_graph(definition: Value, expected: &str) {
    let graph = build(&machine(&definition));
    assert_eq!(render(&graph), expected);
}

fn small() -> Value {
    json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 3, "Next": "Work"},
            {"And": [{"Variable": "$.s", "StringEquals": "x"}, {"Not": {"Variable": "$.b", "IsNull": true}}], "Next": "Done"}
        ], "Default": "Oops"},
        "Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                 "Catch": [{"ErrorEquals": ["States.Timeout", "Custom"], "Next": "Oops"}], "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Oops": {"Type": "Fail", "Error": "E"}
    }})
}

fn compound() -> Value {
    json!({"StartAt": "Both", "States": {
        "Both": {"Type": "Parallel", "Branches": [
            {"StartAt": "A1", "States": {"A1": {"Type": "Pass", "Next": "A2"}, "A2": {"Type": "Pass", "End": true}}},
            {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Inner",
                "States": {"Inner": {"Type": "Wait", "Seconds": 1, "End": true}}}, "End": true}}}
        ], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "Next": "Finish"},
        "Finish": {"Type": "Pass", "End": true},
        "Failed": {"Type": "Fail"}
    }})
}

#[test]
fn edges_and_labels() {
    check_graph(
        small(),
        "(start)\nCheck Choice\nWork Task\nDone Succeed\nOops Fail\n(end)\n\
         Check --> Work [$.n > 3]\n\
         Check --> Done [$.s == \"x\" and (not $.b is null)]\n\
         Check --> Oops [Default]\n\
         Work --> Done\n\
         Work -.-> Oops [States.Timeout, Custom]\n\
         (start) --> Check\n\
         Done --> (end)\n\
         Oops --> (end)\n",
    );
}

#[test]
fn clusters_hold_branches_and_processors() {
    check_graph(
        compound(),
        "(start)\nBoth Parallel\n  (branch 0)\n    A1 Pass\n    A2 Pass\n  (branch 1)\n    Each Map\n      Inner Wait\n\
         Finish Pass\nFailed Fail\n(end)\n\
         A1 --> A2\n\
         Both --> Finish\n\
         Both -.-> Failed [States.ALL]\n\
         (start) --> Both\n\
         Finish --> (end)\n\
         Failed --> (end)\n",
    );
}

#[test]
fn jsonata_conditions_are_their_text() {
    check_graph(
        json!({"QueryLanguage": "JSONata", "StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "D"}], "Default": "D"},
            "D": {"Type": "Succeed"}}}),
        "(start)\nC Choice\nD Succeed\n(end)\nC --> D [$states.input.n > 1]\nC --> D [Default]\n(start) --> C\nD --> (end)\n",
    );
}

/// A machine of `n` states with Choices, Catches, a loop back, and a Parallel and a Map in the middle.
fn big(n: usize) -> Value {
    let mut states = serde_json::Map::new();
    let name = |i: usize| format!("State {i:02}");
    for i in 0..n {
        let next = if i + 1 < n { name(i + 1) } else { "Done".to_owned() };
        let state = match i % 7 {
            3 => json!({"Type": "Choice", "Choices": [
                    {"Variable": "$.x", "NumericLessThan": i, "Next": next},
                    {"Variable": "$.retry", "BooleanEquals": true, "Next": name(i.saturating_sub(2))}],
                "Default": if i + 3 < n { name(i + 3) } else { "Done".to_owned() }}),
            5 => json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "Next": next}),
            _ if i == n / 2 => json!({"Type": "Parallel", "Branches": [
                {"StartAt": "P1", "States": {"P1": {"Type": "Pass", "Next": "P2"}, "P2": {"Type": "Pass", "End": true}}},
                {"StartAt": "P3", "States": {"P3": {"Type": "Wait", "Seconds": 1, "End": true}}}], "Next": next}),
            _ if i == n / 3 => json!({"Type": "Map", "ItemProcessor": {"StartAt": "M1",
                "States": {"M1": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}, "Next": next}),
            _ => json!({"Type": "Pass", "Next": next}),
        };
        states.insert(name(i), state);
    }
    states.insert("Done".to_owned(), json!({"Type": "Succeed"}));
    states.insert("Failed".to_owned(), json!({"Type": "Fail"}));
    json!({"StartAt": name(0), "States": states})
}

fn overlap(a: Rect, b: Rect) -> bool {
    a.x < b.right() - 0.01 && b.x < a.right() - 0.01 && a.y < b.bottom() - 0.01 && b.y < a.bottom() - 0.01
}

fn inside(inner: Rect, outer: Rect) -> bool {
    inner.x >= outer.x - 0.01 && inner.y >= outer.y - 0.01 && inner.right() <= outer.right() + 0.01 && inner.bottom() <= outer.bottom() + 0.01
}

fn on_border(x: f64, y: f64, r: Rect) -> bool {
    let within = |v: f64, lo: f64, hi: f64| v >= lo - 0.01 && v <= hi + 0.01;
    within(x, r.x, r.right())
        && within(y, r.y, r.bottom())
        && [r.x, r.right()].iter().any(|e| (x - e).abs() < 0.01) | [r.y, r.bottom()].iter().any(|e| (y - e).abs() < 0.01)
}

/// The layout's invariants: siblings do not overlap, children sit inside their parent and the picture, every edge
/// runs from its source's border to its target's, forward edges go down the ranks, and the same graph lays out the same.
#[track_caller]
fn check_layout(graph: &Graph) -> Layout {
    check_layout_with(graph, &Notes::new())
}

/// `check_layout` of the layout with `notes`.
#[track_caller]
fn check_layout_with(graph: &Graph, notes: &Notes) -> Layout {
    let layout = layout_with_notes(graph, notes);
    assert_eq!(layout, layout_with_notes(graph, notes), "layout is deterministic");
    let picture = Rect { x: 0.0, y: 0.0, width: layout.width, height: layout.height };
    for a in graph.ids() {
        let ra = layout.rect(a).expect("every node has a box");
        assert!(ra.width > 0.0 && ra.height > 0.0, "{} has a size", name(graph, a));
        let parent = graph.node(a).and_then(|node| node.parent);
        let outer = parent.and_then(|p| layout.rect(p)).unwrap_or(picture);
        assert!(inside(ra, outer), "{} lies inside its parent", name(graph, a));
        for b in graph.ids().filter(|&b| b > a && graph.node(b).and_then(|node| node.parent) == parent) {
            let rb = layout.rect(b).expect("every node has a box");
            assert!(!overlap(ra, rb), "{} and {} overlap: {ra:?} {rb:?}", name(graph, a), name(graph, b));
        }
    }
    for (edge, path) in graph.edges().iter().zip(&layout.edges) {
        let what = format!("{} -> {}", name(graph, edge.from), name(graph, edge.to));
        let (first, last) = (path.points.first().expect("edge drawn"), path.points.last().expect("edge drawn"));
        assert!(on_border(first.x, first.y, layout.rect(edge.from).expect("box")), "{what} starts at its source");
        assert!(on_border(last.x, last.y, layout.rect(edge.to).expect("box")), "{what} ends at its target");
        let (from, to) = (layout.ranks[edge.from.0 as usize], layout.ranks[edge.to.0 as usize]);
        if edge.from != edge.to {
            if path.reversed {
                assert!(to < from, "{what} closes a loop upwards");
            } else {
                assert!(to > from, "{what} goes down the ranks");
            }
        }
        assert_eq!(path.label.is_some(), edge.label.is_some(), "{what} has its label placed");
    }
    layout
}

#[test]
fn layout_invariants_small_and_compound() {
    let graph = build(&machine(&small()));
    let layout = check_layout(&graph);
    assert!(layout.edges.iter().all(|path| !path.reversed), "an acyclic machine has no reversed edge");
    check_layout(&build(&machine(&compound())));
}

#[test]
fn loops_and_self_loops_lay_out() {
    let definition = json!({"StartAt": "Poll", "States": {
        "Poll": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Ready?"},
        "Ready?": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": true, "Next": "Done"},
            {"Variable": "$.spin", "IsPresent": true, "Next": "Spin"}], "Default": "Wait"},
        "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Poll"},
        "Spin": {"Type": "Pass", "Next": "Spin"},
        "Done": {"Type": "Succeed"}}});
    let graph = build(&machine(&definition));
    let layout = check_layout(&graph);
    assert_eq!(layout.edges.iter().filter(|path| path.reversed).count(), 1, "one edge closes the polling loop");
}

#[test]
fn sixty_states_lay_out_without_overlaps() {
    let graph = build(&machine(&big(60)));
    assert_eq!(graph.nodes().iter().filter(|node| matches!(node.kind, NodeKind::State { .. })).count(), 62 + 4);
    let layout = check_layout(&graph);
    assert!(layout.width < 3000.0, "stays readable: {} wide", layout.width);
}

#[test]
fn dot_snapshot() {
    let graph = build(&machine(&small()));
    assert_eq!(
        to_dot(&graph),
        r##"digraph "state machine" {
  graph [compound=true, rankdir=TB, nodesep=0.4, ranksep=0.45, fontname="Helvetica,Arial,sans-serif"];
  node [shape=box, style="rounded,filled", fontname="Helvetica,Arial,sans-serif", fontsize=11, fillcolor="#eaf2fd", color="#3b7dd8"];
  edge [fontname="Helvetica,Arial,sans-serif", fontsize=9, color="#7b8591"];
  n0 [label="Start", shape=oval, fillcolor="#3d4752", color="#3d4752", fontcolor=white];
  n1 [label="Check", shape=diamond, fillcolor="#fff6dd", color="#d29b0c"];
  n2 [label="Work", shape=box, fillcolor="#eaf2fd", color="#3b7dd8"];
  n3 [label="Done", shape=box, fillcolor="#e5f6eb", color="#2f9e5b"];
  n4 [label="Oops", shape=box, fillcolor="#fdeaea", color="#d44c4c"];
  n5 [label="End", shape=oval, fillcolor="#3d4752", color="#3d4752", fontcolor=white];
  n1 -> n2 [label="$.n > 3"];
  n1 -> n3 [label="$.s == \"x\" and (not $.b is null)"];
  n1 -> n4 [label="Default"];
  n2 -> n3;
  n2 -> n4 [label="States.Timeout, Custom", style=dashed, color="#d9772b", fontcolor="#b85c16"];
  n0 -> n1;
  n3 -> n5;
  n4 -> n5;
}
"##
    );
}

#[test]
fn dot_clusters_clip_edges() {
    let dot = to_dot(&build(&machine(&compound())));
    assert!(dot.contains("subgraph cluster_n1 {\n    label=\"Both (Parallel)\";"), "{dot}");
    assert!(dot.contains("subgraph cluster_n2 {"), "{dot}");
    assert!(dot.contains("n0 -> n3 [lhead=cluster_n1];"), "enters at the first branch's start: {dot}");
    assert!(dot.contains("[ltail=cluster_n1]"), "{dot}");
}

#[test]
fn mermaid_snapshot() {
    let definition = json!({"StartAt": "Say \"hi\" #1", "States": {
        "Say \"hi\" #1": {"Type": "Map", "ItemProcessor": {"StartAt": "A|B", "States": {"A|B": {"Type": "Pass", "End": true}}},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "No"}], "Next": "Yes?"},
        "Yes?": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "IsPresent": true, "Next": "No"}], "Default": "No"},
        "No": {"Type": "Fail"}}});
    assert_eq!(
        to_mermaid(&build(&machine(&definition))),
        r##"flowchart TD
  n0(["Start"]):::marker
  subgraph n1["Say #quot;hi#quot; #35;1 (Map)"]
    n2("A#124;B"):::pass
  end
  n3{"Yes?"}:::choice
  n4("No"):::fail
  n5(["End"]):::marker
  n1 --> n3
  n1 -.->|"States.ALL"| n4
  n3 -->|"$.ok is present"| n4
  n3 -->|"Default"| n4
  n0 --> n1
  n4 --> n5
  classDef marker fill:#3d4752,stroke:#3d4752,color:#ffffff
  classDef task fill:#eaf2fd,stroke:#3b7dd8
  classDef pass fill:#f3f4f6,stroke:#8a939d
  classDef choice fill:#fff6dd,stroke:#d29b0c
  classDef wait fill:#f2edfc,stroke:#8161d1
  classDef succeed fill:#e5f6eb,stroke:#2f9e5b
  classDef fail fill:#fdeaea,stroke:#d44c4c
"##
    );
}

/// A small XML well-formedness check: balanced tags, quoted unique attributes, escaped text. Returns every element
/// as (name, attributes).
fn parse_xml(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut elements = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('<') {
        check_text(&rest[..at]);
        let end = rest[at..].find('>').expect("tag is closed") + at;
        let tag = &rest[at + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "closing tag matches");
            continue;
        }
        let (tag, closed) = match tag.strip_suffix('/') {
            Some(tag) => (tag, true),
            None => (tag, false),
        };
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "tag name {name:?}");
        let mut attributes: Vec<(String, String)> = Vec::new();
        let mut attrs = tag[name_end..].trim();
        while !attrs.is_empty() {
            let eq = attrs.find("=\"").expect("attribute has a quoted value");
            let key = attrs[..eq].trim();
            let value_end = attrs[eq + 2..].find('"').expect("attribute value ends") + eq + 2;
            let value = &attrs[eq + 2..value_end];
            assert!(!value.contains('<'), "attribute {key} escapes <");
            check_text(value);
            assert!(attributes.iter().all(|(k, _)| k != key), "attribute {key} appears once");
            attributes.push((key.to_owned(), value.to_owned()));
            attrs = attrs[value_end + 1..].trim_start();
        }
        elements.push((name.to_owned(), attributes));
        if !closed {
            open.push(name.to_owned());
        }
    }
    check_text(rest);
    assert!(open.is_empty(), "every tag is closed: {open:?}");
    elements
}

fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#10;"].iter().any(|e| entity.starts_with(e)),
            "unescaped & in {text:?}"
        );
    }
}

#[test]
fn svg_is_well_formed_and_marks_every_state() {
    let definition = json!({"StartAt": "A <&> \"B\"", "States": {
        "A <&> \"B\"": {"Type": "Pass", "Next": "Fan"},
        "Fan": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}], "End": true}}});
    let graph = build(&machine(&definition));
    let statuses: Statuses = [("Fan".to_owned(), Status::Running), ("X".to_owned(), Status::Caught)].into();
    let svg = to_svg(&graph, &layout(&graph), &statuses);
    let elements = parse_xml(&svg);
    assert_eq!(elements.first().map(|(name, _)| name.as_str()), Some("svg"));
    let attr = |attrs: &[(String, String)], key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let states: Vec<(String, Option<String>)> = elements
        .iter()
        .filter_map(|(_, attrs)| Some((attr(attrs, "data-state")?, attr(attrs, "data-status"))))
        .collect();
    assert_eq!(
        states,
        [
            ("Fan".to_owned(), Some("running".to_owned())),
            ("A &lt;&amp;&gt; &quot;B&quot;".to_owned(), None),
            ("X".to_owned(), Some("caught".to_owned())),
        ],
        "compound states are drawn first, then the others"
    );
}

#[test]
fn svg_of_sixty_states_is_well_formed() {
    let graph = build(&machine(&big(60)));
    let svg = to_svg(&graph, &layout(&graph), &Statuses::new());
    let elements = parse_xml(&svg);
    let drawn = elements.iter().filter(|(_, attrs)| attrs.iter().any(|(k, _)| k == "data-state")).count();
    assert_eq!(drawn, 66);
    assert_eq!(svg, to_svg(&graph, &layout(&graph), &Statuses::new()), "the same bytes every time");
}

/// `big(14)` with a few statuses, as drawn before states could have notes: drawing with no notes has not changed a
/// byte. (A deliberate change to the drawing rewrites this file from the test's output.)
const BIG_WITHOUT_NOTES: &str = include_str!("../test_data/big_without_notes.svg");

#[test]
fn without_notes_the_svg_is_the_same_bytes_as_before_notes() {
    let graph = build(&machine(&big(14)));
    let statuses: Statuses = [
        ("State 04".to_owned(), Status::Failed),
        ("M1".to_owned(), Status::Running),
        ("State 07".to_owned(), Status::Succeeded),
        ("State 03".to_owned(), Status::Caught),
        ("P3".to_owned(), Status::NotRun),
    ]
    .into();
    let svg = to_svg(&graph, &layout(&graph), &statuses);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        // A deliberate change of the layout or the drawing: rewrite the snapshot (and look at it).
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/test_data/big_without_notes.svg");
        std::fs::write(path, &svg).expect("write the snapshot");
        return;
    }
    assert_eq!(svg, BIG_WITHOUT_NOTES);
    // Notes for states the machine does not have change nothing either.
    let stray: Notes = [("Nowhere".to_owned(), "3 items".to_owned())].into();
    assert_eq!(layout_with_notes(&graph, &stray), layout(&graph));
    assert!(!BIG_WITHOUT_NOTES.contains("note"), "no note is drawn");
}

/// A Parallel holding a Map, and a Task and a Choice, each with a note.
fn noted() -> (Graph, Notes) {
    let definition = json!({"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Branches": [
            {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Work",
                "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}, "End": true}}},
            {"StartAt": "Side", "States": {"Side": {"Type": "Pass", "End": true}}}], "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "More?"},
        "More?": {"Type": "Choice", "Choices": [{"Variable": "$.more", "BooleanEquals": true, "Next": "Fan"}], "Default": "Done"},
        "Done": {"Type": "Succeed"}}});
    let notes: Notes = [
        ("Each".to_owned(), "12 items · 10 succeeded · 1 failed · 1 running <&> \"x\"".to_owned()),
        ("Fan".to_owned(), "branches: 2".to_owned()),
        ("Call".to_owned(), "attempt 3 of a very long note that goes on and on\nand on past any sensible width".to_owned()),
        ("More?".to_owned(), "looped 4 times".to_owned()),
    ]
    .into();
    (build(&machine(&definition)), notes)
}

fn id_of(graph: &Graph, state: &str) -> NodeId {
    graph.ids().find(|&id| graph.state_name(id) == Some(state)).expect("the state is in the graph")
}

#[test]
fn notes_get_room_below_the_title_and_do_not_overlap_inner_states() {
    let (graph, notes) = noted();
    let layout = check_layout_with(&graph, &notes);
    let plain = crate::layout(&graph);
    for state in ["Fan", "Each"] {
        let id = id_of(&graph, state);
        let (r, note) = (layout.rect(id).expect("box"), layout.note(id).expect("a note"));
        let before = plain.rect(id).expect("box");
        assert!(note.at.y > r.y + 21.0 && note.at.y < r.y + 40.0, "{state}'s note is under its title: {note:?} {r:?}");
        assert!(note.at.x + crate::text::width(&note.text, 11.0) <= r.right() - 14.0 + 0.01, "{state}'s box is wide enough for its note");
        assert!(r.height >= before.height + 13.9, "{state}'s title bar grew a line: {r:?} {before:?}");
        let children = graph.ids().filter(|&child| graph.node(child).and_then(|node| node.parent) == Some(id));
        for child in children {
            let inner = layout.rect(child).expect("box");
            // The baseline plus the descent of an 11px font.
            assert!(inner.y >= note.at.y + 4.0, "{} starts below {state}'s note: {inner:?} {note:?}", name(&graph, child));
        }
    }
    for state in ["Call", "More?"] {
        let id = id_of(&graph, state);
        let (r, note) = (layout.rect(id).expect("box"), layout.note(id).expect("a note"));
        assert!((note.at.x - r.center_x()).abs() < 0.01 && note.at.y > r.center_y() && note.at.y < r.bottom(), "{state}: {note:?} {r:?}");
    }
    let call = layout.note(id_of(&graph, "Call")).expect("a note");
    assert!(call.text.chars().count() <= 64 && call.text.ends_with('…') && !call.text.contains('\n'), "{call:?}");
    assert_eq!(layout.note(id_of(&graph, "Done")), None);
    assert_eq!(layout.note(id_of(&graph, "Work")), None);
}

#[test]
fn notes_are_drawn_escaped_in_their_states_group() {
    let (graph, notes) = noted();
    let statuses: Statuses = [("Each".to_owned(), Status::Running)].into();
    let svg = to_svg(&graph, &layout_with_notes(&graph, &notes), &statuses);
    parse_xml(&svg);
    let group = |state: &str| -> &str {
        let open = format!(r#"<g data-state="{state}""#);
        svg.lines().find(|line| line.starts_with(&open)).unwrap_or_else(|| panic!("{state} is drawn: {svg}"))
    };
    let each = group("Each");
    assert!(
        each.contains(r#"class="note""#)
            && each.contains(">12 items · 10 succeeded · 1 failed · 1 running &lt;&amp;&gt; &quot;x&quot;</text></g>"),
        "{each}"
    );
    assert!(group("More?").contains(r#"class="note" "#) && group("More?").contains(r#"text-anchor="middle""#), "{svg}");
    assert!(!group("Done").contains("note") && !group("Work").contains("note"), "{svg}");
    assert_eq!(svg.matches(r#"class="note""#).count(), 4);
    assert_eq!(svg.matches("<text class=\"note\"").count(), 4);
}

/// A Task's box names what it calls: the function, the activity, the URL or the service action, from what the
/// definition gives plainly; the SVG draws it under the state's name (escaped), other states keep their type.
#[test]
fn a_task_box_names_what_it_calls() {
    let task = |resource: &str, parameters: Value, next: &str| json!({"Type": "Task", "Resource": resource, "Parameters": parameters, "Next": next});
    let http = json!({"ApiEndpoint": "https://x.example/?a=1&b=2", "Method": "POST",
                      "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/1"}});
    let definition = json!({"StartAt": "A", "States": {
        "A": task("arn:aws:states:::lambda:invoke", json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:charge:live"}), "B"),
        "B": task("arn:aws:states:::lambda:invoke", json!({"FunctionName.$": "$.fn"}), "C"),
        "C": task("arn:aws:states:::http:invoke", http, "D"),
        "D": task("arn:aws:states:us-east-1:123456789012:activity:approve", json!({}), "E"),
        "E": task("arn:aws:lambda:us-east-1:123456789012:function:legacy", json!({}), "F"),
        "F": task("arn:aws:states:::aws-sdk:s3:listBuckets", json!({}), "G"),
        "G": task("arn:aws:states:::sqs:sendMessage.waitForTaskToken", json!({"QueueUrl": "q", "MessageBody": {"t.$": "$$.Task.Token"}}), "H"),
        "H": task("arn:aws:states:::states:startExecution.sync:2", json!({"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child"}), "I"),
        "I": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
              "Arguments": {"FunctionName": "jsonata-fn", "Payload": "{% $states.input %}"}, "Next": "Next"},
        "Next": {"Type": "Pass", "End": true}
    }});
    let graph = build(&machine(&definition));
    let calls: Vec<(String, Option<String>)> = graph
        .ids()
        .filter_map(|id| match graph.node(id) {
            Some(node @ crate::Node { kind: NodeKind::State { name, .. }, .. }) => Some((name.clone(), node.calls.clone())),
            _ => None,
        })
        .collect();
    let expected = [
        ("A", Some("lambda:invoke charge:live")),
        ("B", Some("lambda:invoke")),
        ("C", Some("POST https://x.example/?a=1&b=2")),
        ("D", Some("activity approve")),
        ("E", Some("function legacy")),
        ("F", Some("s3:listBuckets")),
        ("G", Some("sqs:sendMessage.waitForTaskToken")),
        ("H", Some("states:startExecution.sync:2")),
        ("I", Some("lambda:invoke jsonata-fn")),
        ("Next", None),
    ];
    let expected: Vec<(String, Option<String>)> =
        expected.iter().map(|(name, calls)| ((*name).to_owned(), calls.map(|text| crate::text::truncate(text, 36)))).collect();
    assert_eq!(calls, expected);
    let svg = to_svg(&graph, &layout(&graph), &Statuses::new());
    assert!(svg.contains(">lambda:invoke charge:live</text>"), "{svg}");
    assert!(svg.contains(">POST https://x.example/?a=1&amp;b=2</text>"), "escaped: {svg}");
    assert!(svg.contains(">sqs:sendMessage.waitForTaskToken</text>"), "{svg}");
    assert!(svg.contains(">Pass</text>"), "{svg}");
}

#[test]
fn a_tally_counts_how_visits_ended() {
    let mut tally = Tally::default();
    assert_eq!((tally.total(), tally.mixed(), tally.note()), (0, false, String::new()));
    for status in [Status::Succeeded, Status::Succeeded, Status::NotRun, Status::Failed, Status::Succeeded] {
        tally.add(status);
    }
    assert_eq!(tally, Tally { succeeded: 3, failed: 1, ..Tally::default() });
    assert_eq!((tally.total(), tally.mixed(), tally.note().as_str()), (4, true, "3 succeeded · 1 failed"));
    assert_eq!(tally.parts(), [(Status::Succeeded, 3), (Status::Failed, 1)]);
    let same = Tally { caught: 5, ..Tally::default() };
    assert!(!same.mixed());
    assert_eq!(same.note(), "5 caught");
}

/// A state inside a Map whose iterations ended differently: its group counts them (`data-tally`, its title) and a
/// strip of one bar per outcome, as wide as its share, runs along the bottom of its box; a state visited once has
/// neither, and one visited many times the same way has the counts without a strip.
#[test]
fn a_state_whose_visits_ended_differently_is_drawn_in_shares() {
    let (graph, notes) = noted();
    let tallies: Tallies = [
        ("Work".to_owned(), Tally { succeeded: 3, failed: 1, ..Tally::default() }),
        ("Call".to_owned(), Tally { succeeded: 4, ..Tally::default() }),
        ("Done".to_owned(), Tally { succeeded: 1, ..Tally::default() }),
        ("More?".to_owned(), Tally { succeeded: 1, caught: 1, running: 2, ..Tally::default() }),
    ]
    .into();
    let statuses: Statuses = [("Work".to_owned(), Status::Failed)].into();
    let layout = layout_with_notes(&graph, &notes);
    let svg = to_svg_with(&graph, &layout, &statuses, &tallies);
    parse_xml(&svg);
    let group = |state: &str| -> &str {
        let open = format!(r#"<g data-state="{state}""#);
        svg.lines().find(|line| line.starts_with(&open)).unwrap_or_else(|| panic!("{state} is drawn: {svg}"))
    };
    let work = group("Work");
    let open = r#"<g data-state="Work" data-status="failed" data-tally="3 succeeded · 1 failed" class="state task">"#;
    assert!(work.starts_with(open), "{work}");
    assert!(work.contains("<title>Work&#10;4 visits: 3 succeeded · 1 failed</title>"), "{work}");
    let r = layout.rect(id_of(&graph, "Work")).expect("a box");
    let (x, w) = (r.x + 10.0, r.width - 20.0);
    let bar = |class: &str, from: f64, width: f64| {
        let num = |v: f64| crate::svg::num(v);
        format!(r#"<rect class="{class}" x="{}" y="{}" width="{}" height="3"/>"#, num(from), num(r.bottom() - 5.0), num(width))
    };
    let strip = format!(r#"<g class="tally">{}{}</g>"#, bar("succeeded", x, w * 0.75), bar("failed", x + w * 0.75, w * 0.25));
    assert!(work.contains(&strip), "{strip}\n{work}");
    let call = group("Call");
    assert!(call.contains(r#"data-tally="4 succeeded""#) && call.contains("<title>Call&#10;4 visits: 4 succeeded</title>"), "{call}");
    assert!(!call.contains("tally\">"), "no strip for visits that all ended alike: {call}");
    let done = group("Done");
    assert!(!done.contains("data-tally") && !done.contains("<title>"), "{done}");
    assert_eq!(group("More?").matches("<rect class=").count(), 3, "{}", group("More?"));
    // Without tallies, the same bytes as `to_svg`.
    assert_eq!(to_svg_with(&graph, &layout, &statuses, &Tallies::new()), to_svg(&graph, &layout, &statuses));
}

/// The nodes of a graph, and its edges with their kinds but not their labels: a sketch words Choice rules its own way.
fn shape(graph: &Graph) -> (Vec<crate::Node>, Vec<(NodeId, NodeId, EdgeKind)>) {
    (graph.nodes().to_vec(), graph.edges().iter().map(|edge| (edge.from, edge.to, edge.kind)).collect())
}

/// A sketch of a valid definition is the graph `build` makes of it: the same nodes, calls and edges in the same order.
#[test]
fn a_sketch_of_a_valid_definition_is_its_graph() {
    let legacy = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "Iterator": {"StartAt": "In",
        "States": {"In": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": true}}}, "End": true}}});
    for definition in [small(), compound(), big(20), legacy] {
        let graph = build(&machine(&definition));
        let drawn = sketch(&definition, &[]);
        assert_eq!(shape(&drawn), shape(&graph), "{definition}");
        let labels = |graph: &Graph| -> Vec<Option<String>> {
            graph.edges().iter().filter(|edge| edge.kind != EdgeKind::Choice).map(|edge| edge.label.clone()).collect()
        };
        assert_eq!(labels(&drawn), labels(&graph), "{definition}");
    }
}

/// A definition with problems is drawn as far as it can be read: a state of an unknown type as a Pass, a transition
/// to a missing state left out; each problem is on the innermost state its pointer is in (a root problem on none),
/// and the SVG outlines those states in red with their problems in their titles; DOT and Mermaid mark them too.
#[test]
fn a_sketch_draws_a_definition_with_problems_and_marks_them() {
    let definition = json!({"StartAt": "Nope", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Fan"}], "Default": "Gone"},
        "Fan": {"Type": "Parallel", "Branches": [
            {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "charge"}, "Retry": "often", "End": true}}},
            {"StartAt": "Odd", "States": {"Odd": {"Type": "Teleport", "Next": "Nowhere"}}}], "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    let text = definition.to_string();
    let diagnostics = asl::parse(&text).expect_err("the definition has problems");
    let graph = sketch(&definition, &diagnostics);
    assert_eq!(
        render(&graph),
        "(start)\nCheck Choice\nFan Parallel\n  (branch 0)\n    Work Task\n  (branch 1)\n    Odd Pass\nDone Succeed\n(end)\n\
         Check --> Fan [$.n NumericGreaterThan 1]\n\
         Fan --> Done\n\
         Done --> (end)\n"
    );
    let problems = |state: &str| graph.node(id_of(&graph, state)).map(|node| node.problems.clone()).unwrap_or_default();
    let pointers: Vec<&str> = diagnostics.iter().map(|d| d.pointer.as_str()).collect();
    assert!(pointers.contains(&"/StartAt"), "{pointers:?}");
    assert!(problems("Work").iter().any(|p| p.contains("Retry")), "{:?} {pointers:?}", problems("Work"));
    assert!(problems("Odd").iter().any(|p| p.contains("Teleport")), "{:?} {pointers:?}", problems("Odd"));
    assert!(problems("Check").iter().any(|p| p.contains("Gone")), "{:?} {pointers:?}", problems("Check"));
    assert!(problems("Fan").is_empty() && problems("Done").is_empty(), "problems of inner states stay there");
    let counted: usize = graph.nodes().iter().map(|node| node.problems.len()).sum();
    assert_eq!(counted, diagnostics.iter().filter(|d| d.pointer.starts_with("/States/")).count());
    let node = graph.node(id_of(&graph, "Work")).expect("Work");
    assert_eq!(node.calls.as_deref(), Some("lambda:invoke charge"));

    let svg = to_svg(&graph, &layout(&graph), &Statuses::new());
    parse_xml(&svg);
    let work = svg.lines().find(|line| line.starts_with(r#"<g data-state="Work""#)).expect("Work is drawn");
    assert!(work.contains(r#"class="state task problem">"#) && work.contains("<title>Work&#10;Retry: expected an array"), "{work}");
    assert!(svg.contains(".baton-graph .state.problem > .shape { stroke: #d42f2f;"), "the style outlines problems");
    assert_eq!(svg.matches(" problem\">").count(), 3, "{svg}");
    let dot = to_dot(&graph);
    assert_eq!(dot.matches("color=\"#d42f2f\", penwidth=2.5").count(), 3, "{dot}");
    let mermaid = to_mermaid(&graph);
    let work = id_of(&graph, "Work").0;
    assert!(mermaid.contains("classDef problem") && mermaid.contains(&format!("n{work}")), "{mermaid}");
}

/// Reading a hostile value never fails: anything that is not a workflow draws nothing, and nesting stops at 64.
#[test]
fn a_sketch_of_anything_is_a_graph() {
    for value in [json!(null), json!([1, 2]), json!({"States": []}), json!({"States": {"A": 3, "B": {"Type": 7, "Next": ["x"]}}})] {
        let graph = sketch(&value, &[]);
        assert!(graph.nodes().len() >= 2, "{value}");
        parse_xml(&to_svg(&graph, &layout(&graph), &Statuses::new()));
    }
    let mut deep = json!({"StartAt": "M", "States": {"M": {"Type": "Pass", "End": true}}});
    for _ in 0..100 {
        deep = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": deep, "End": true}}});
    }
    let graph = sketch(&deep, &[]);
    assert!(graph.nodes().len() < 80, "{}", graph.nodes().len());
}
