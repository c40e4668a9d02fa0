//! The graph as a Mermaid `flowchart TD`: Parallel, Map and branches become subgraphs.
//!
//! Node ids are generated (`n0`, `n1`, …) and every label is quoted with Mermaid's entity codes for the characters
//! that would end it, so any state name is safe. States with problems (`sketch`) are in class `problem`, outlined in
//! red. Mermaid does its own layout: nothing here uses `layout`.

use std::fmt::Write;

use crate::build::{EdgeKind, Graph, NodeId, NodeKind, StateType};

/// `graph` as Mermaid flowchart text.
pub fn to_mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart TD\n");
    nodes(&mut out, graph, None, 1);
    for edge in graph.edges() {
        let arrow = if edge.kind == EdgeKind::Catch { "-.->" } else { "-->" };
        let label = edge.label.as_deref().map(|label| format!("|{}|", quote(label))).unwrap_or_default();
        let _ = writeln!(out, "  n{} {arrow}{label} n{}", edge.from.0, edge.to.0);
    }
    out.push_str("  classDef marker fill:#3d4752,stroke:#3d4752,color:#ffffff\n");
    for (class, fill, stroke) in [
        ("task", "#eaf2fd", "#3b7dd8"),
        ("pass", "#f3f4f6", "#8a939d"),
        ("choice", "#fff6dd", "#d29b0c"),
        ("wait", "#f2edfc", "#8161d1"),
        ("succeed", "#e5f6eb", "#2f9e5b"),
        ("fail", "#fdeaea", "#d44c4c"),
    ] {
        let _ = writeln!(out, "  classDef {class} fill:{fill},stroke:{stroke}");
    }
    let problems: Vec<String> =
        graph.ids().filter(|&id| graph.node(id).is_some_and(|node| !node.problems.is_empty())).map(|id| format!("n{}", id.0)).collect();
    if !problems.is_empty() {
        out.push_str("  classDef problem stroke:#d42f2f,stroke-width:3px\n");
        let _ = writeln!(out, "  class {} problem", problems.join(","));
    }
    out
}

fn nodes(out: &mut String, graph: &Graph, parent: Option<NodeId>, depth: usize) {
    let indent = "  ".repeat(depth);
    for id in graph.children(parent) {
        let Some(node) = graph.node(id) else { continue };
        if graph.is_compound(id) {
            let title = match &node.kind {
                NodeKind::State { name, kind } => format!("{name} ({kind:?})"),
                NodeKind::Branch { index } => format!("Branch {}", index + 1),
                _ => String::new(),
            };
            let _ = writeln!(out, "{indent}subgraph n{}[{}]", id.0, quote(&title));
            nodes(out, graph, Some(id), depth + 1);
            let _ = writeln!(out, "{indent}end");
            continue;
        }
        let line = match &node.kind {
            NodeKind::Start => format!("n{}([\"Start\"]):::marker", id.0),
            NodeKind::End => format!("n{}([\"End\"]):::marker", id.0),
            NodeKind::State { name, kind } => {
                let class = format!("{kind:?}").to_ascii_lowercase();
                match kind {
                    StateType::Choice => format!("n{}{{{}}}:::{class}", id.0, quote(name)),
                    _ => format!("n{}({}):::{class}", id.0, quote(name)),
                }
            }
            NodeKind::Branch { .. } => continue,
        };
        let _ = writeln!(out, "{indent}{line}");
    }
}

/// A Mermaid quoted label: `"` and the characters Mermaid reads inside labels become entity codes.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
