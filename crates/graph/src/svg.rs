//! The graph drawn as SVG, the picture the CLI writes and the console embeds.
//!
//! Every state is a `<g data-state="NAME" class="state TYPE">` (plus `data-status` when `Statuses` has one), so the
//! console can colour and link states with CSS and a query selector alone; a state's note (from the layout) is a
//! `<text class="note">` in its group. A state whose visits ended in more than one way (`Tallies`: some iterations
//! of its Map succeeded, others failed) has a strip along the bottom of its box, a `<g class="tally">` of one
//! `<rect class="STATUS">` per outcome as wide as its share, and a `<title>` that counts them (`data-tally` holds the
//! counts too). A state with problems (a `sketch` of a definition validation refused) is in class `problem`, drawn
//! with a red outline, its problems in its `<title>`. Styling is one embedded `<style>`, the same with notes or
//! without (a note's look is in its attributes); the console may override it. Not here: positions (`layout`).

use std::fmt::Write;

use crate::build::{EdgeKind, Graph, Node, NodeId, NodeKind, StateType};
use crate::layout::{
    CHOICE_TIP, HEADER_TEXT, LABEL_FONT, LABEL_HEIGHT, Layout, NAME_BASELINE, NOTE_FONT, NOTE_LINE, Point, Rect,
    TYPE_BASELINE, label_width, type_label,
};
use crate::text::xml;
use crate::{Status, Statuses, Tallies, Tally};

const STYLE: &str = r#"
.baton-graph text { font-family: "Inter", "Segoe UI", "Helvetica Neue", Helvetica, Arial, sans-serif; }
.baton-graph .shape { stroke-width: 1.5; }
.baton-graph .name { font-size: 13px; font-weight: 600; fill: #1f2933; }
.baton-graph .type { font-size: 10.5px; fill: #66707a; letter-spacing: 0.02em; }
.baton-graph .task > .shape { fill: #eaf2fd; stroke: #3b7dd8; }
.baton-graph .pass > .shape { fill: #f3f4f6; stroke: #8a939d; }
.baton-graph .choice > .shape { fill: #fff6dd; stroke: #d29b0c; }
.baton-graph .wait > .shape { fill: #f2edfc; stroke: #8161d1; }
.baton-graph .succeed > .shape { fill: #e5f6eb; stroke: #2f9e5b; }
.baton-graph .fail > .shape { fill: #fdeaea; stroke: #d44c4c; }
.baton-graph .parallel > .shape, .baton-graph .map > .shape { fill: #f8f9fb; stroke: #9aa4b0; }
.baton-graph .branch > .shape { fill: #ffffff; stroke: #c5ccd4; stroke-dasharray: 4 3; stroke-width: 1; }
.baton-graph .marker > .shape { fill: #3d4752; stroke: #3d4752; }
.baton-graph .marker > text { font-size: 12px; font-weight: 600; fill: #ffffff; }
.baton-graph .edge > .line { fill: none; stroke: #7b8591; stroke-width: 1.4; }
.baton-graph .edge.catch > .line { stroke: #d9772b; stroke-dasharray: 5 4; }
.baton-graph .label > rect { fill: #ffffff; fill-opacity: 0.92; stroke: none; }
.baton-graph .label > text { font-size: 11px; fill: #52606d; }
.baton-graph .edge.catch .label > text { fill: #b85c16; }
.baton-graph .edge.default .label > text { font-style: italic; }
.baton-graph [data-status="succeeded"] > .shape { fill: #d6f5e0; stroke: #1f9d55; stroke-width: 2.5; }
.baton-graph [data-status="failed"] > .shape { fill: #fddcdc; stroke: #d42f2f; stroke-width: 2.5; }
.baton-graph [data-status="caught"] > .shape { fill: #ffe9d2; stroke: #e07b16; stroke-width: 2.5; }
.baton-graph [data-status="running"] > .shape { fill: #dbe9ff; stroke: #2f6fe0; stroke-width: 2.5; stroke-dasharray: 6 3; }
.baton-graph [data-status="not-run"] > .shape { fill: #fafafa; stroke: #d0d5da; }
.baton-graph [data-status="not-run"] > text { fill-opacity: 0.55; }
.baton-graph .state.problem > .shape { stroke: #d42f2f; stroke-width: 3; }
.baton-graph .tally > rect { stroke: none; }
.baton-graph .tally > .succeeded { fill: #1f9d55; }
.baton-graph .tally > .caught { fill: #e07b16; }
.baton-graph .tally > .failed { fill: #d42f2f; }
.baton-graph .tally > .running { fill: #2f6fe0; }
"#;

/// `graph` drawn at the positions of `layout` with its notes, each state carrying its status from `statuses` if it has
/// one.
pub fn to_svg(graph: &Graph, layout: &Layout, statuses: &Statuses) -> String {
    to_svg_with(graph, layout, statuses, &Tallies::new())
}

/// `to_svg`, each state that `tallies` has also showing how its visits ended: their counts in its title and, when
/// they ended in more than one way, a strip of their shares along the bottom of its box.
pub fn to_svg_with(graph: &Graph, layout: &Layout, statuses: &Statuses, tallies: &Tallies) -> String {
    let marks = Marks { statuses, tallies };
    let mut out = String::new();
    let (width, height) = (num(layout.width), num(layout.height));
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="baton-graph" width="{width}" height="{height}" viewBox="0 0 {width} {height}">"#
    );
    let _ = writeln!(out, "<style>{STYLE}</style>");
    out.push_str(concat!(
        "<defs>",
        r##"<marker id="baton-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#7b8591"/></marker>"##,
        r##"<marker id="baton-arrow-catch" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#d9772b"/></marker>"##,
        "</defs>\n",
    ));
    let _ = writeln!(out, r##"<rect class="background" width="{width}" height="{height}" fill="#ffffff"/>"##);

    // Boxes first, outermost first, so that what they hold is drawn over them; then edges; then the states.
    let mut compounds: Vec<NodeId> = graph.ids().filter(|&id| graph.is_compound(id)).collect();
    compounds.sort_by_key(|&id| (graph.depth(id), id));
    for id in compounds {
        compound(&mut out, graph, layout, &marks, id);
    }
    for (edge, path) in graph.edges().iter().zip(&layout.edges) {
        if path.points.len() < 2 {
            continue;
        }
        let class = match edge.kind {
            EdgeKind::Next => "next",
            EdgeKind::Choice => "choice",
            EdgeKind::Default => "default",
            EdgeKind::Catch => "catch",
        };
        let marker = if edge.kind == EdgeKind::Catch { "baton-arrow-catch" } else { "baton-arrow" };
        let _ = write!(out, r#"<g class="edge {class}"{}{}>"#, end_attr("data-from", graph, edge.from), end_attr("data-to", graph, edge.to));
        let _ = write!(out, r#"<path class="line" d="{}" marker-end="url(#{marker})"/>"#, path_data(&path.points));
        if let (Some(label), Some(at)) = (&edge.label, path.label) {
            let w = label_width(label);
            let _ = write!(
                out,
                r#"<g class="label"><rect x="{}" y="{}" width="{}" height="{}" rx="3"/><text x="{}" y="{}" text-anchor="middle">{}</text></g>"#,
                num(at.x - w / 2.0),
                num(at.y - LABEL_HEIGHT / 2.0),
                num(w),
                num(LABEL_HEIGHT),
                num(at.x),
                num(at.y + LABEL_FONT * 0.36),
                xml(label)
            );
        }
        out.push_str("</g>\n");
    }
    for id in graph.ids().filter(|&id| !graph.is_compound(id)) {
        leaf(&mut out, graph, layout, &marks, id);
    }
    out.push_str("</svg>\n");
    out
}

/// What an execution adds to the drawing of each state.
struct Marks<'a> {
    statuses: &'a Statuses,
    tallies: &'a Tallies,
}

fn leaf(out: &mut String, graph: &Graph, layout: &Layout, marks: &Marks<'_>, id: NodeId) {
    let (Some(node), Some(r)) = (graph.node(id), layout.rect(id)) else { return };
    match &node.kind {
        NodeKind::Start | NodeKind::End => {
            let (class, label) = if node.kind == NodeKind::Start { ("start", "Start") } else { ("end", "End") };
            let _ = writeln!(
                out,
                r#"<g class="marker {class}"><rect class="shape" x="{}" y="{}" width="{}" height="{}" rx="{}"/><text x="{}" y="{}" text-anchor="middle">{label}</text></g>"#,
                num(r.x),
                num(r.y),
                num(r.width),
                num(r.height),
                num(r.height / 2.0),
                num(r.center_x()),
                num(r.center_y() + 4.3),
            );
        }
        NodeKind::State { name, kind } => {
            open_state(out, node, name, *kind, marks);
            if *kind == StateType::Choice {
                let _ = write!(out, r#"<polygon class="shape" points="{}"/>"#, hexagon(r));
            } else {
                let _ = write!(
                    out,
                    r#"<rect class="shape" x="{}" y="{}" width="{}" height="{}" rx="8"/>"#,
                    num(r.x),
                    num(r.y),
                    num(r.width),
                    num(r.height)
                );
            }
            // A box with room for a note has its name and type a half line up.
            let middle = if layout.note(id).is_some() { r.center_y() - NOTE_LINE / 2.0 } else { r.center_y() };
            let _ = write!(
                out,
                r#"<text class="name" x="{cx}" y="{}" text-anchor="middle">{}</text><text class="type" x="{cx}" y="{}" text-anchor="middle">{}</text>"#,
                num(middle + NAME_BASELINE),
                xml(name),
                num(middle + TYPE_BASELINE),
                node.calls.as_deref().map_or_else(|| type_label(*kind).to_owned(), xml),
                cx = num(r.center_x()),
            );
            note(out, layout, id, r#" text-anchor="middle""#);
            let inset = if *kind == StateType::Choice { CHOICE_TIP.min(r.width / 2.0).max(10.0) } else { 10.0 };
            strip(out, marks.tallies.get(name), r, inset);
            out.push_str("</g>\n");
        }
        NodeKind::Branch { .. } => {}
    }
}

fn compound(out: &mut String, graph: &Graph, layout: &Layout, marks: &Marks<'_>, id: NodeId) {
    let (Some(node), Some(r)) = (graph.node(id), layout.rect(id)) else { return };
    match &node.kind {
        NodeKind::State { name, kind } => {
            open_state(out, node, name, *kind, marks);
            let _ = write!(
                out,
                r#"<rect class="shape" x="{}" y="{}" width="{}" height="{}" rx="10"/><text class="name" x="{}" y="{}">{}</text><text class="type" x="{}" y="{}" text-anchor="end">{}</text>"#,
                num(r.x),
                num(r.y),
                num(r.width),
                num(r.height),
                num(r.x + HEADER_TEXT.x),
                num(r.y + HEADER_TEXT.y),
                xml(name),
                num(r.right() - HEADER_TEXT.x),
                num(r.y + HEADER_TEXT.y),
                type_label(*kind),
            );
            note(out, layout, id, "");
            strip(out, marks.tallies.get(name), r, 12.0);
            out.push_str("</g>\n");
        }
        NodeKind::Branch { index } => {
            let _ = writeln!(
                out,
                r#"<g class="branch" data-branch="{index}"><rect class="shape" x="{}" y="{}" width="{}" height="{}" rx="8"/></g>"#,
                num(r.x),
                num(r.y),
                num(r.width),
                num(r.height)
            );
        }
        NodeKind::Start | NodeKind::End => {}
    }
}

/// The note of node `id`, if it has one.
fn note(out: &mut String, layout: &Layout, id: NodeId, anchor: &str) {
    let Some(note) = layout.note(id) else { return };
    let _ = write!(
        out,
        r##"<text class="note" x="{}" y="{}"{anchor} font-size="{}" fill="#3d4752">{}</text>"##,
        num(note.at.x),
        num(note.at.y),
        num(NOTE_FONT),
        xml(&note.text),
    );
}

/// Opens a state's group: its name, status, class, tally, and its title when it has problems or was visited more
/// than once.
fn open_state(out: &mut String, node: &Node, name: &str, kind: StateType, marks: &Marks<'_>) {
    let class = type_label(kind).to_ascii_lowercase();
    let status = marks.statuses.get(name).map(|s: &Status| format!(r#" data-status="{}""#, s.as_str())).unwrap_or_default();
    let tally = marks.tallies.get(name).filter(|tally| tally.total() > 1);
    let counts = tally.map(|tally| format!(r#" data-tally="{}""#, xml(&tally.note()))).unwrap_or_default();
    let problem = if node.problems.is_empty() { "" } else { " problem" };
    let _ = write!(out, r#"<g data-state="{}"{status}{counts} class="state {class}{problem}">"#, xml(name));
    if tally.is_some() || !node.problems.is_empty() {
        let mut title = vec![name.to_owned()];
        title.extend(tally.map(|tally| format!("{} visits: {}", tally.total(), tally.note())));
        title.extend(node.problems.iter().cloned());
        // One line per fact, as a character reference: each state's group stays on one line of the file.
        let lines: Vec<String> = title.iter().map(|line| xml(line)).collect();
        let _ = write!(out, "<title>{}</title>", lines.join("&#10;"));
    }
}

/// The strip of a state whose visits ended in more than one way: one bar per outcome along the bottom of its box `r`
/// (`inset` from its sides), each as wide as its share of the visits.
fn strip(out: &mut String, tally: Option<&Tally>, r: Rect, inset: f64) {
    let Some(tally) = tally.filter(|tally| tally.mixed()) else { return };
    let total = tally.total() as f64;
    let width = (r.width - 2.0 * inset).max(0.0);
    let (y, height) = (r.bottom() - 5.0, 3.0);
    out.push_str(r#"<g class="tally">"#);
    let mut x = r.x + inset;
    for (status, count) in tally.parts() {
        let w = width * count as f64 / total;
        let _ = write!(
            out,
            r#"<rect class="{}" x="{}" y="{}" width="{}" height="{}"/>"#,
            status.as_str(),
            num(x),
            num(y),
            num(w),
            num(height)
        );
        x += w;
    }
    out.push_str("</g>");
}

fn end_attr(attr: &str, graph: &Graph, id: NodeId) -> String {
    match graph.state_name(id) {
        Some(name) => format!(r#" {attr}="{}""#, xml(name)),
        None => String::new(),
    }
}

fn hexagon(r: Rect) -> String {
    let tip = CHOICE_TIP.min(r.width / 2.0);
    [
        (r.x + tip, r.y),
        (r.right() - tip, r.y),
        (r.right(), r.center_y()),
        (r.right() - tip, r.bottom()),
        (r.x + tip, r.bottom()),
        (r.x, r.center_y()),
    ]
    .iter()
    .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
    .collect::<Vec<_>>()
    .join(" ")
}

/// Straight segments where the points line up, otherwise curves leaving and entering vertically.
fn path_data(points: &[Point]) -> String {
    let mut d = String::new();
    for (i, p) in points.iter().enumerate() {
        if i == 0 {
            let _ = write!(d, "M{},{}", num(p.x), num(p.y));
            continue;
        }
        let Some(a) = points.get(i - 1) else { continue };
        if (a.x - p.x).abs() < 0.5 || (a.y - p.y).abs() < 0.5 {
            let _ = write!(d, " L{},{}", num(p.x), num(p.y));
        } else {
            let mid = (a.y + p.y) / 2.0;
            let _ = write!(d, " C{},{} {},{} {},{}", num(a.x), num(mid), num(p.x), num(mid), num(p.x), num(p.y));
        }
    }
    d
}

/// A coordinate with at most one decimal, and none when it is whole.
pub(crate) fn num(value: f64) -> String {
    let value = if value.is_finite() { (value * 10.0).round() / 10.0 } else { 0.0 };
    let value = if value == 0.0 { 0.0 } else { value };
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.1}") }
}
