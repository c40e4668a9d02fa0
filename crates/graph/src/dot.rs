//! The graph as Graphviz DOT: Parallel, Map and branches become clusters.
//!
//! DOT cannot join an edge to a cluster, so an edge into a compound node goes to the state where its flow starts
//! (clipped at the cluster's border with `lhead`), and an edge out of one leaves from its last state that ends (with
//! `ltail`). A state with problems (`sketch`) has a thick red outline and its problems as its tooltip. Graphviz does
//! its own layout: nothing here uses `layout`.

use std::fmt::Write;

use crate::build::{EdgeKind, Graph, NodeId, NodeKind, StateType};

const FONT: &str = "Helvetica,Arial,sans-serif";
/// The outline of a state with problems.
const PROBLEM: &str = "#d42f2f";

/// `graph` as a DOT `digraph`.
pub fn to_dot(graph: &Graph) -> String {
    let mut out = String::new();
    out.push_str("digraph \"state machine\" {\n");
    let _ = writeln!(out, "  graph [compound=true, rankdir=TB, nodesep=0.4, ranksep=0.45, fontname=\"{FONT}\"];");
    let _ = writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"{FONT}\", fontsize=11, fillcolor=\"#eaf2fd\", color=\"#3b7dd8\"];"
    );
    let _ = writeln!(out, "  edge [fontname=\"{FONT}\", fontsize=9, color=\"#7b8591\"];");
    nodes(&mut out, graph, None, 1);
    for edge in graph.edges() {
        let (from, tail) = endpoint(graph, edge.from, false);
        let (to, head) = endpoint(graph, edge.to, true);
        let mut attrs = Vec::new();
        if let Some(label) = &edge.label {
            attrs.push(format!("label={}", quote(label)));
        }
        if edge.kind == EdgeKind::Catch {
            attrs.push("style=dashed, color=\"#d9772b\", fontcolor=\"#b85c16\"".to_owned());
        }
        if let Some(cluster) = tail {
            attrs.push(format!("ltail=cluster_n{}", cluster.0));
        }
        if let Some(cluster) = head {
            attrs.push(format!("lhead=cluster_n{}", cluster.0));
        }
        let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
        let _ = writeln!(out, "  n{} -> n{}{attrs};", from.0, to.0);
    }
    out.push_str("}\n");
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
            let style = if matches!(node.kind, NodeKind::Branch { .. }) { "dashed" } else { "rounded,filled" };
            let _ = writeln!(out, "{indent}subgraph cluster_n{} {{", id.0);
            let line = if node.problems.is_empty() {
                "color=\"#9aa4b0\"".to_owned()
            } else {
                format!("color=\"{PROBLEM}\"; penwidth=2.5; tooltip={}", quote(&node.problems.join("; ")))
            };
            let _ = writeln!(out, "{indent}  label={}; style=\"{style}\"; fillcolor=\"#f8f9fb\"; {line};", quote(&title));
            if graph.children(Some(id)).is_empty() {
                // DOT drops an empty cluster; a point keeps the box and gives edges something to join.
                let _ = writeln!(out, "{indent}  n{} [label=\"\", shape=point, style=invis];", id.0);
            }
            nodes(out, graph, Some(id), depth + 1);
            let _ = writeln!(out, "{indent}}}");
            continue;
        }
        let attrs = match &node.kind {
            NodeKind::Start => "label=\"Start\", shape=oval, fillcolor=\"#3d4752\", color=\"#3d4752\", fontcolor=white".to_owned(),
            NodeKind::End => "label=\"End\", shape=oval, fillcolor=\"#3d4752\", color=\"#3d4752\", fontcolor=white".to_owned(),
            NodeKind::State { name, kind } => {
                let (shape, fill, line) = match kind {
                    StateType::Choice => ("diamond", "#fff6dd", "#d29b0c"),
                    StateType::Pass => ("box", "#f3f4f6", "#8a939d"),
                    StateType::Wait => ("box", "#f2edfc", "#8161d1"),
                    StateType::Succeed => ("box", "#e5f6eb", "#2f9e5b"),
                    StateType::Fail => ("box", "#fdeaea", "#d44c4c"),
                    _ => ("box", "#eaf2fd", "#3b7dd8"),
                };
                if node.problems.is_empty() {
                    format!("label={}, shape={shape}, fillcolor=\"{fill}\", color=\"{line}\"", quote(name))
                } else {
                    let tooltip = quote(&node.problems.join("; "));
                    let label = quote(name);
                    format!("label={label}, shape={shape}, fillcolor=\"{fill}\", color=\"{PROBLEM}\", penwidth=2.5, tooltip={tooltip}")
                }
            }
            NodeKind::Branch { .. } => continue,
        };
        let _ = writeln!(out, "{indent}n{} [{attrs}];", id.0);
    }
}

/// The node an edge really joins for `id`, and the cluster to clip it at when `id` is compound.
fn endpoint(graph: &Graph, id: NodeId, entering: bool) -> (NodeId, Option<NodeId>) {
    if !graph.is_compound(id) {
        return (id, None);
    }
    let mut current = id;
    // Nesting is finite (children come after parents); the bound keeps the walk finite for any graph.
    for _ in 0..=graph.nodes().len() {
        if !graph.is_compound(current) {
            return (current, Some(id));
        }
        let children = graph.children(Some(current));
        let next = if entering {
            graph.node(current).and_then(|node| node.start).or_else(|| children.first().copied())
        } else {
            let ends = |child: &NodeId| !graph.edges().iter().any(|edge| edge.from == *child);
            let last_branch = children.last().copied();
            match graph.node(current).map(|node| &node.kind) {
                Some(NodeKind::State { kind: StateType::Parallel, .. }) => last_branch,
                _ => children.iter().rev().find(|child| ends(child)).copied().or(last_branch),
            }
        };
        match next {
            Some(next) => current = next,
            // An empty cluster holds its own invisible point, named after it.
            None => return (current, Some(id)),
        }
    }
    (current, Some(id))
}

/// A DOT double-quoted string.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
