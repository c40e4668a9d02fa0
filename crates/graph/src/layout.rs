//! A layered (Sugiyama-style) layout: where each node's box goes and which points each edge passes through.
//!
//! Each scope (the top level, a Branch, a Map's processor) is laid out on its own, innermost first, so a compound
//! node is just a bigger box to the scope around it. Within a scope: back edges found by a depth-first search are
//! reversed to break cycles; ranks are longest paths, with labelled edges two ranks long so that their label gets a
//! place of its own; long edges get a dummy node per rank; a few barycenter sweeps reduce crossings (the best order
//! seen wins); x coordinates come from sweeps that pull each node to the mean of its neighbours while keeping the
//! order and the gaps (a least-squares placement solved by pool-adjacent-violators). A state with a note gets one
//! more line: under the title of a compound state's box, under the type of another's. Not here: drawing (`svg`).

use std::collections::BTreeMap;

use crate::Notes;
use crate::build::{EdgeKind, Graph, NodeId, NodeKind, StateType};
use crate::text;

/// A point in pixels, y pointing down.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// A box in pixels: its top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Where an edge is drawn.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EdgePath {
    /// From the source's border to the target's border; empty if the edge could not be placed.
    pub points: Vec<Point>,
    /// The centre of the edge's label, if it has one.
    pub label: Option<Point>,
    /// Whether the edge goes against the flow (closes a loop): it leaves its source's top and enters its target's
    /// bottom.
    pub reversed: bool,
}

/// A line of text on a state, with the room the layout made for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Note {
    /// As drawn: one line, cut if long.
    pub text: String,
    /// Where its baseline starts in a compound state (under the title), where its baseline's middle is in another
    /// (under the type).
    pub at: Point,
}

/// Positions for every node and edge of a `Graph`, in absolute pixels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Layout {
    /// Indexed by `NodeId`.
    pub nodes: Vec<Rect>,
    /// Each node's rank (row) within its scope, indexed by `NodeId`.
    pub ranks: Vec<u32>,
    /// Indexed like `Graph::edges`.
    pub edges: Vec<EdgePath>,
    /// Each node's note, indexed by `NodeId`; `None` for a node without one.
    pub notes: Vec<Option<Note>>,
    pub width: f64,
    pub height: f64,
}

/// Blank space around the picture.
pub(crate) const MARGIN: f64 = 16.0;
/// Height of a state box.
pub(crate) const STATE_HEIGHT: f64 = 46.0;
/// Height of the Start and End markers.
pub(crate) const MARKER_HEIGHT: f64 = 28.0;
/// How far a Choice's pointed ends stick out from its flat top and bottom.
pub(crate) const CHOICE_TIP: f64 = 16.0;
/// Height of a compound node's title bar.
pub(crate) const HEADER: f64 = 32.0;
/// Font sizes, shared with the renderers.
pub(crate) const NAME_FONT: f64 = 13.0;
pub(crate) const TYPE_FONT: f64 = 10.5;
pub(crate) const LABEL_FONT: f64 = 11.0;
/// Height of an edge label's box.
pub(crate) const LABEL_HEIGHT: f64 = 17.0;
pub(crate) const NOTE_FONT: f64 = 11.0;
/// The height a note adds to its state's box (to a compound state's title bar).
pub(crate) const NOTE_LINE: f64 = 14.0;
/// Where a compound state's name starts, from its box's corner (its baseline).
pub(crate) const HEADER_TEXT: Point = Point { x: 14.0, y: 21.0 };
/// How far below the middle of a (noteless) state box its name's and type's baselines are.
pub(crate) const NAME_BASELINE: f64 = 0.5;
pub(crate) const TYPE_BASELINE: f64 = 14.5;
/// Notes longer than this many characters are cut.
const NOTE_MAX: usize = 64;

const NODE_GAP: f64 = 28.0;
const DUMMY_GAP: f64 = 14.0;
const RANK_GAP: f64 = 30.0;
const CLUSTER_PAD: f64 = 16.0;
const BRANCH_PAD: f64 = 12.0;
const BRANCH_GAP: f64 = 16.0;
const SWEEPS: usize = 12;
const PLACEMENT_SWEEPS: usize = 12;
/// How strongly a Catch edge pulls its ends together in placement, against 1 for any other edge.
const CATCH_PULL: f64 = 0.1;
const LOOP_WIDTH: f64 = 22.0;

/// Lays `graph` out.
pub fn layout(graph: &Graph) -> Layout {
    layout_with_notes(graph, &Notes::new())
}

/// Lays `graph` out with the note of each state that `notes` has one for (a state's box grows a line for it).
pub fn layout_with_notes(graph: &Graph, notes: &Notes) -> Layout {
    let count = graph.nodes().len();
    let mut children: Vec<Vec<NodeId>> = vec![Vec::new(); count];
    let mut top = Vec::new();
    for id in graph.ids() {
        match graph.node(id).and_then(|node| node.parent) {
            // Parents come before children, so this nesting is a tree.
            Some(parent) if parent < id => {
                if let Some(list) = children.get_mut(parent.0 as usize) {
                    list.push(id);
                }
            }
            Some(_) => {}
            None => top.push(id),
        }
    }
    let mut work = Work {
        graph,
        notes,
        children,
        local: vec![Rect::default(); count],
        ranks: vec![0; count],
        edges: vec![EdgePath::default(); graph.edges().len()],
        edge_scope: vec![None; graph.edges().len()],
    };
    let start = top.first().copied();
    let (width, height) = work.scope(&top, start, None);

    // Local boxes are relative to the parent's corner; parents come first, so one pass makes them absolute.
    let mut nodes = work.local.clone();
    for id in graph.ids() {
        let index = id.0 as usize;
        let origin = match graph.node(id).and_then(|node| node.parent) {
            Some(parent) if parent < id => nodes.get(parent.0 as usize).map(|r| Point { x: r.x, y: r.y }),
            _ => Some(Point { x: MARGIN, y: MARGIN }),
        };
        if let (Some(origin), Some(rect)) = (origin, nodes.get_mut(index)) {
            rect.x += origin.x;
            rect.y += origin.y;
        }
    }
    let mut edges = work.edges;
    for (path, scope) in edges.iter_mut().zip(&work.edge_scope) {
        let origin = match scope {
            Some(Some(owner)) => nodes.get(owner.0 as usize).map(|r| Point { x: r.x, y: r.y }),
            Some(None) => Some(Point { x: MARGIN, y: MARGIN }),
            None => None,
        };
        let Some(origin) = origin else { continue };
        for point in path.points.iter_mut().chain(path.label.iter_mut()) {
            point.x += origin.x;
            point.y += origin.y;
        }
    }
    let notes = graph
        .ids()
        .map(|id| {
            let node = graph.node(id)?;
            let NodeKind::State { name, .. } = &node.kind else { return None };
            let text = note_text(notes.get(name)?);
            let r = nodes.get(id.0 as usize)?;
            let at = if graph.is_compound(id) {
                Point { x: r.x + HEADER_TEXT.x, y: r.y + HEADER_TEXT.y + NOTE_LINE }
            } else {
                Point { x: r.center_x(), y: r.center_y() - NOTE_LINE / 2.0 + TYPE_BASELINE + NOTE_LINE }
            };
            Some(Note { text, at })
        })
        .collect();
    Layout { nodes, ranks: work.ranks, edges, notes, width: width + 2.0 * MARGIN, height: height + 2.0 * MARGIN }
}

impl Layout {
    /// The box of node `id`.
    pub fn rect(&self, id: NodeId) -> Option<Rect> {
        self.nodes.get(id.0 as usize).copied()
    }

    /// The note of node `id`, if it has one.
    pub fn note(&self, id: NodeId) -> Option<&Note> {
        self.notes.get(id.0 as usize).and_then(Option::as_ref)
    }
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.width
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.height
    }

    pub fn center_x(&self) -> f64 {
        self.x + self.width / 2.0
    }

    pub fn center_y(&self) -> f64 {
        self.y + self.height / 2.0
    }
}

/// The words under a state's name: its type.
pub(crate) fn type_label(kind: StateType) -> &'static str {
    match kind {
        StateType::Pass => "Pass",
        StateType::Task => "Task",
        StateType::Choice => "Choice",
        StateType::Wait => "Wait",
        StateType::Succeed => "Succeed",
        StateType::Fail => "Fail",
        StateType::Parallel => "Parallel",
        StateType::Map => "Map",
    }
}

/// The width of an edge label's box.
pub(crate) fn label_width(label: &str) -> f64 {
    text::width(label, LABEL_FONT) + 10.0
}

/// A note as it is drawn: on one line, cut if long.
fn note_text(note: &str) -> String {
    let line: String = note.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    text::truncate(line.trim(), NOTE_MAX)
}

struct Work<'a> {
    graph: &'a Graph,
    notes: &'a Notes,
    children: Vec<Vec<NodeId>>,
    /// Relative to the parent's corner (the picture's content corner at the top level).
    local: Vec<Rect>,
    ranks: Vec<u32>,
    /// Relative to the corner of the scope's owner.
    edges: Vec<EdgePath>,
    /// The scope each edge was laid out in: `Some(None)` the top level, `Some(Some(owner))` inside `owner`.
    edge_scope: Vec<Option<Option<NodeId>>>,
}

/// A node of a scope's layered graph: a real node or a dummy on a long edge.
struct Vertex {
    width: f64,
    height: f64,
    real: bool,
}

impl Work<'_> {
    /// The size of node `id`, laying out its insides first if it is compound.
    fn size(&mut self, id: NodeId) -> (f64, f64) {
        let Some(node) = self.graph.node(id) else { return (0.0, 0.0) };
        match &node.kind {
            NodeKind::Start | NodeKind::End => {
                let label = if node.kind == NodeKind::Start { "Start" } else { "End" };
                (text::width(label, 12.0) + 36.0, MARKER_HEIGHT)
            }
            NodeKind::State { name, kind } => {
                let title = text::width(name, NAME_FONT) * 1.06;
                let subtitle = text::width(node.calls.as_deref().unwrap_or(type_label(*kind)), TYPE_FONT);
                let note = self.notes.get(name).map(|note| text::width(&note_text(note), NOTE_FONT));
                // The widest line of a state box; the note is the only line of its own in a compound's title bar.
                let widest = note.map_or(title.max(subtitle), |note| title.max(subtitle).max(note));
                let header_width = |title: f64| note.map_or(title, |note| title.max(note + 2.0 * HEADER_TEXT.x));
                let (header, height) = match note {
                    Some(_) => (HEADER + NOTE_LINE, STATE_HEIGHT + NOTE_LINE),
                    None => (HEADER, STATE_HEIGHT),
                };
                match kind {
                    StateType::Parallel => self.parallel(id, header_width(title + subtitle + 3.0 * CLUSTER_PAD), header),
                    StateType::Map => self.map(id, header_width(title + subtitle + 3.0 * CLUSTER_PAD), header),
                    StateType::Choice => ((widest + 28.0 + 2.0 * CHOICE_TIP).max(120.0), height),
                    _ => ((widest + 30.0).max(110.0), height),
                }
            }
            NodeKind::Branch { .. } => {
                let members = self.children_of(id);
                let start = node.start;
                let (width, height) = self.scope(&members, start, Some(id));
                self.shift(id, &members, BRANCH_PAD, BRANCH_PAD);
                (width + 2.0 * BRANCH_PAD, height + 2.0 * BRANCH_PAD)
            }
        }
    }

    /// A Parallel: its branches side by side under a title bar `header` high, at least `title` wide.
    fn parallel(&mut self, id: NodeId, title: f64, header: f64) -> (f64, f64) {
        let branches = self.children_of(id);
        let mut x = CLUSTER_PAD;
        let mut height: f64 = 0.0;
        for &branch in &branches {
            let (w, h) = self.size(branch);
            self.set_local(branch, Rect { x, y: header, width: w, height: h });
            x += w + BRANCH_GAP;
            height = height.max(h);
        }
        let inner = (x - BRANCH_GAP - CLUSTER_PAD).max(0.0);
        let width = (inner + 2.0 * CLUSTER_PAD).max(title);
        let dx = (width - inner - 2.0 * CLUSTER_PAD) / 2.0;
        for &branch in &branches {
            if let Some(rect) = self.local.get_mut(branch.0 as usize) {
                rect.x += dx;
            }
        }
        (width, header + height + CLUSTER_PAD)
    }

    /// A Map: its processor's states under a title bar `header` high, at least `title` wide.
    fn map(&mut self, id: NodeId, title: f64, header: f64) -> (f64, f64) {
        let members = self.children_of(id);
        let start = self.graph.node(id).and_then(|node| node.start);
        let (inner, height) = self.scope(&members, start, Some(id));
        let width = (inner + 2.0 * CLUSTER_PAD).max(title);
        self.shift(id, &members, (width - inner) / 2.0, header);
        (width, header + height + CLUSTER_PAD)
    }

    fn children_of(&self, id: NodeId) -> Vec<NodeId> {
        self.children.get(id.0 as usize).cloned().unwrap_or_default()
    }

    fn set_local(&mut self, id: NodeId, rect: Rect) {
        if let Some(slot) = self.local.get_mut(id.0 as usize) {
            *slot = rect;
        }
    }

    /// Moves a laid-out scope (its members and its edges) by `dx`, `dy`.
    fn shift(&mut self, owner: NodeId, members: &[NodeId], dx: f64, dy: f64) {
        for member in members {
            if let Some(rect) = self.local.get_mut(member.0 as usize) {
                rect.x += dx;
                rect.y += dy;
            }
        }
        for (path, scope) in self.edges.iter_mut().zip(&self.edge_scope) {
            if *scope == Some(Some(owner)) {
                for point in path.points.iter_mut().chain(path.label.iter_mut()) {
                    point.x += dx;
                    point.y += dy;
                }
            }
        }
    }

    /// Lays out `members` (siblings) and the edges between them with their corner at (0, 0); returns their size.
    fn scope(&mut self, members: &[NodeId], start: Option<NodeId>, owner: Option<NodeId>) -> (f64, f64) {
        let n = members.len();
        let sizes: Vec<(f64, f64)> = members.iter().map(|&member| self.size(member)).collect();
        let index: BTreeMap<NodeId, usize> = members.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        // The scope's edges as (edge index, from, to) in member indexes.
        let edges: Vec<(usize, usize, usize)> = self
            .graph
            .edges()
            .iter()
            .enumerate()
            .filter_map(|(k, edge)| Some((k, *index.get(&edge.from)?, *index.get(&edge.to)?)))
            .collect();
        for &(k, _, _) in &edges {
            if let Some(scope) = self.edge_scope.get_mut(k) {
                *scope = Some(owner);
            }
        }
        let labels: Vec<Option<String>> =
            edges.iter().map(|&(k, _, _)| self.graph.edges().get(k).and_then(|edge| edge.label.clone())).collect();

        let start = start.and_then(|id| index.get(&id).copied());
        let (reversed, preorder) = break_cycles(n, &edges, start);
        let rank = longest_paths(n, &edges, &reversed, &labels);

        // The layered graph: real vertices first, then dummies; one chain of vertices per (non-loop) edge.
        let mut vertices: Vec<Vertex> =
            sizes.iter().map(|&(width, height)| Vertex { width, height, real: true }).collect();
        let mut vrank: Vec<usize> = rank.clone();
        let mut key: Vec<f64> = preorder.iter().map(|&p| p as f64).collect();
        let mut chains: Vec<Option<Vec<usize>>> = Vec::with_capacity(edges.len());
        let mut label_vertex: Vec<Option<usize>> = vec![None; edges.len()];
        for (e, &(_, from, to)) in edges.iter().enumerate() {
            if from == to {
                chains.push(None);
                continue;
            }
            let flipped = reversed.get(e).copied().unwrap_or(false);
            let (a, b) = if flipped { (to, from) } else { (from, to) };
            let (ra, rb) = (rank.get(a).copied().unwrap_or(0), rank.get(b).copied().unwrap_or(0));
            let label_rank = if flipped { rb.saturating_sub(1) } else { ra + 1 };
            let mut chain = vec![a];
            for r in ra + 1..rb {
                let labelled = labels.get(e).and_then(|l| l.as_deref()).filter(|_| r == label_rank);
                let (width, height) = match labelled {
                    Some(label) => (label_width(label), LABEL_HEIGHT),
                    None => (0.0, 0.0),
                };
                if labelled.is_some() {
                    label_vertex[e] = Some(vertices.len());
                }
                chain.push(vertices.len());
                vertices.push(Vertex { width, height, real: false });
                vrank.push(r);
                key.push(preorder.get(a).copied().unwrap_or(0) as f64 + 0.5);
            }
            chain.push(b);
            chains.push(Some(chain));
        }
        let v = vertices.len();
        let mut succs: Vec<Vec<usize>> = vec![Vec::new(); v];
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); v];
        // Placement pulls each vertex towards its neighbours; a Catch edge (a side exit) pulls only lightly, so that
        // a chain of states that each catch into a Fail keeps a straight spine.
        let mut weight: BTreeMap<(usize, usize), f64> = BTreeMap::new();
        for (e, chain) in chains.iter().enumerate() {
            let Some(chain) = chain else { continue };
            let side = edges
                .get(e)
                .and_then(|&(k, _, _)| self.graph.edges().get(k))
                .is_some_and(|edge| edge.kind == EdgeKind::Catch);
            for pair in chain.windows(2) {
                if let [a, b] = *pair {
                    succs[a].push(b);
                    preds[b].push(a);
                    if side {
                        weight.insert((a, b), CATCH_PULL);
                    }
                }
            }
        }

        // Ordering within ranks.
        let ranks_count = vrank.iter().copied().max().map_or(0, |r| r + 1);
        let mut layers: Vec<Vec<usize>> = vec![Vec::new(); ranks_count];
        for (vertex, &r) in vrank.iter().enumerate() {
            layers[r].push(vertex);
        }
        for layer in &mut layers {
            layer.sort_by(|&a, &b| key[a].total_cmp(&key[b]).then(a.cmp(&b)));
        }
        let layers = reduce_crossings(layers, &preds, &succs, v);

        // Coordinates: y by rank, x by placement sweeps.
        let heights: Vec<f64> = layers
            .iter()
            .map(|layer| layer.iter().map(|&x| vertices[x].height).fold(0.0, f64::max))
            .collect();
        let mut tops = Vec::with_capacity(ranks_count);
        let mut y = 0.0;
        for height in &heights {
            tops.push(y);
            y += height + RANK_GAP;
        }
        let total_height = (y - RANK_GAP).max(0.0);
        let mut x = place(&layers, &vertices, &preds, &succs, &weight, v);
        // Room on the right for self-loops.
        let loops: Vec<usize> = edges.iter().filter(|(_, from, to)| from == to).map(|&(_, from, _)| from).collect();
        let left = layers
            .iter()
            .flatten()
            .map(|&i| x[i] - vertices[i].width / 2.0)
            .fold(f64::INFINITY, f64::min);
        let left = if left.is_finite() { left } else { 0.0 };
        for value in &mut x {
            *value -= left;
        }
        let mut width: f64 = 0.0;
        for &i in layers.iter().flatten() {
            let extra = if loops.contains(&i) { LOOP_WIDTH + 4.0 } else { 0.0 };
            width = width.max(x[i] + vertices[i].width / 2.0 + extra);
        }

        for (i, &member) in members.iter().enumerate() {
            let (w, h) = sizes[i];
            let r = rank[i];
            self.set_local(member, Rect { x: x[i] - w / 2.0, y: tops[r] + (heights[r] - h) / 2.0, width: w, height: h });
            if let Some(slot) = self.ranks.get_mut(member.0 as usize) {
                *slot = r as u32;
            }
        }

        // Edge paths. Ports spread the edges leaving a box's bottom (and entering its top) in the order of their
        // other ends, so that they do not cross at the box.
        let mut out_ports: BTreeMap<usize, f64> = BTreeMap::new();
        let mut in_ports: BTreeMap<usize, f64> = BTreeMap::new();
        for i in 0..n {
            let kind = self.graph.node(members[i]).map(|node| &node.kind);
            let usable = match kind {
                Some(NodeKind::State { kind: StateType::Choice, .. }) => sizes[i].0 - 2.0 * CHOICE_TIP - 12.0,
                Some(NodeKind::Start | NodeKind::End) => 16.0,
                _ => sizes[i].0 - 24.0,
            };
            for (outgoing, ports) in [(true, &mut out_ports), (false, &mut in_ports)] {
                let mut ends: Vec<(f64, usize)> = chains
                    .iter()
                    .enumerate()
                    .filter_map(|(e, chain)| {
                        let chain = chain.as_ref()?;
                        let (here, next) = if outgoing {
                            (*chain.first()?, *chain.get(1)?)
                        } else {
                            (*chain.last()?, *chain.get(chain.len().checked_sub(2)?)?)
                        };
                        (here == i).then(|| (x[next], e))
                    })
                    .collect();
                ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let k = ends.len();
                let spacing = if k > 1 { (usable.max(0.0) / (k - 1) as f64).min(14.0) } else { 0.0 };
                for (j, &(_, e)) in ends.iter().enumerate() {
                    ports.insert(e, (j as f64 - (k as f64 - 1.0) / 2.0) * spacing);
                }
            }
        }
        for (e, &(k, from, _)) in edges.iter().enumerate() {
            let flipped = reversed.get(e).copied().unwrap_or(false);
            let mut path = EdgePath { points: Vec::new(), label: None, reversed: flipped };
            match &chains[e] {
                None => {
                    // A state that is its own Next: a small loop on its right.
                    let rect = Rect { x: x[from] - sizes[from].0 / 2.0, y: 0.0, width: sizes[from].0, height: 0.0 };
                    let cy = tops[rank[from]] + heights[rank[from]] / 2.0;
                    let (right, out) = (rect.right(), rect.right() + LOOP_WIDTH);
                    path.points = vec![
                        Point { x: right, y: cy - 8.0 },
                        Point { x: out, y: cy - 8.0 },
                        Point { x: out, y: cy + 8.0 },
                        Point { x: right, y: cy + 8.0 },
                    ];
                    if labels.get(e).is_some_and(Option::is_some) {
                        path.label = Some(Point { x: out, y: cy });
                    }
                }
                Some(chain) => {
                    for (j, &vertex) in chain.iter().enumerate() {
                        let r = vrank[vertex];
                        if j == 0 {
                            let port = out_ports.get(&e).copied().unwrap_or(0.0);
                            let bottom = tops[r] + (heights[r] + vertices[vertex].height) / 2.0;
                            path.points.push(Point { x: x[vertex] + port, y: bottom });
                        } else if j + 1 == chain.len() {
                            let port = in_ports.get(&e).copied().unwrap_or(0.0);
                            let top = tops[r] + (heights[r] - vertices[vertex].height) / 2.0;
                            path.points.push(Point { x: x[vertex] + port, y: top });
                        } else {
                            path.points.push(Point { x: x[vertex], y: tops[r] });
                            if heights[r] > 0.0 {
                                path.points.push(Point { x: x[vertex], y: tops[r] + heights[r] });
                            }
                        }
                    }
                    if let Some(vertex) = label_vertex[e] {
                        path.label = Some(Point { x: x[vertex], y: tops[vrank[vertex]] + heights[vrank[vertex]] / 2.0 });
                    }
                    if flipped {
                        path.points.reverse();
                    }
                }
            }
            if let Some(slot) = self.edges.get_mut(k) {
                *slot = path;
            }
        }
        (width, total_height)
    }
}

/// Finds the edges to reverse so that the scope has no cycle (the back edges of a depth-first search from the start,
/// then from every node without incoming edges, then from the rest, all in order); also returns each node's preorder
/// number, a good first guess at the left-to-right order.
fn break_cycles(n: usize, edges: &[(usize, usize, usize)], start: Option<usize>) -> (Vec<bool>, Vec<usize>) {
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for (e, &(_, from, to)) in edges.iter().enumerate() {
        if from != to {
            out[from].push((to, e));
            indegree[to] += 1;
        }
    }
    let mut reversed = vec![false; edges.len()];
    let mut preorder = vec![0usize; n];
    // 0: not seen, 1: on the stack, 2: done.
    let mut state = vec![0u8; n];
    let mut counter = 0;
    let roots = start.into_iter().chain((0..n).filter(|&i| indegree[i] == 0)).chain(0..n);
    for root in roots {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        preorder[root] = counter;
        counter += 1;
        let mut stack = vec![(root, 0usize)];
        while let Some((node, next)) = stack.pop() {
            if let Some(&(to, e)) = out[node].get(next) {
                stack.push((node, next + 1));
                match state[to] {
                    0 => {
                        state[to] = 1;
                        preorder[to] = counter;
                        counter += 1;
                        stack.push((to, 0));
                    }
                    1 => reversed[e] = true,
                    _ => {}
                }
            } else {
                state[node] = 2;
            }
        }
    }
    (reversed, preorder)
}

/// Each node's rank: the longest path to it over the acyclic edges, a labelled edge counting two.
fn longest_paths(n: usize, edges: &[(usize, usize, usize)], reversed: &[bool], labels: &[Option<String>]) -> Vec<usize> {
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for (e, &(_, from, to)) in edges.iter().enumerate() {
        if from == to {
            continue;
        }
        let (a, b) = if reversed.get(e).copied().unwrap_or(false) { (to, from) } else { (from, to) };
        let length = if labels.get(e).is_some_and(Option::is_some) { 2 } else { 1 };
        out[a].push((b, length));
        indegree[b] += 1;
    }
    let mut rank = vec![0usize; n];
    let mut queue: std::collections::VecDeque<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    while let Some(node) = queue.pop_front() {
        for &(to, length) in &out[node] {
            rank[to] = rank[to].max(rank[node] + length);
            indegree[to] -= 1;
            if indegree[to] == 0 {
                queue.push_back(to);
            }
        }
    }
    rank
}

/// Barycenter sweeps, down then up, keeping the order with the fewest crossings.
fn reduce_crossings(mut layers: Vec<Vec<usize>>, preds: &[Vec<usize>], succs: &[Vec<usize>], v: usize) -> Vec<Vec<usize>> {
    let mut position = vec![0usize; v];
    let index = |layers: &[Vec<usize>], position: &mut [usize]| {
        for layer in layers {
            for (p, &vertex) in layer.iter().enumerate() {
                position[vertex] = p;
            }
        }
    };
    index(&layers, &mut position);
    let mut best = layers.clone();
    let mut best_crossings = crossings(&layers, succs, &position);
    for sweep in 0..SWEEPS {
        let down = sweep % 2 == 0;
        let order: Vec<usize> = if down { (1..layers.len()).collect() } else { (0..layers.len().saturating_sub(1)).rev().collect() };
        for r in order {
            let neighbours = if down { preds } else { succs };
            let mut keyed: Vec<(f64, usize)> = layers[r]
                .iter()
                .map(|&vertex| {
                    let list = &neighbours[vertex];
                    let key = if list.is_empty() {
                        position[vertex] as f64
                    } else {
                        list.iter().map(|&other| position[other] as f64).sum::<f64>() / list.len() as f64
                    };
                    (key, vertex)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            layers[r] = keyed.into_iter().map(|(_, vertex)| vertex).collect();
            for (p, &vertex) in layers[r].iter().enumerate() {
                position[vertex] = p;
            }
        }
        let count = crossings(&layers, succs, &position);
        if count < best_crossings {
            best_crossings = count;
            best = layers.clone();
        }
    }
    best
}

/// How many pairs of segments between adjacent ranks cross.
fn crossings(layers: &[Vec<usize>], succs: &[Vec<usize>], position: &[usize]) -> usize {
    let mut total = 0;
    for layer in layers {
        let segments: Vec<(usize, usize)> = layer
            .iter()
            .flat_map(|&a| succs[a].iter().map(move |&b| (position[a], position[b])))
            .collect();
        for (i, s) in segments.iter().enumerate() {
            for t in &segments[i + 1..] {
                if (s.0 < t.0 && s.1 > t.1) || (s.0 > t.0 && s.1 < t.1) {
                    total += 1;
                }
            }
        }
    }
    total
}

/// Each vertex's x centre: sweeps pulling vertices towards the mean of their neighbours, keeping order and gaps.
fn place(
    layers: &[Vec<usize>],
    vertices: &[Vertex],
    preds: &[Vec<usize>],
    succs: &[Vec<usize>],
    weight: &BTreeMap<(usize, usize), f64>,
    v: usize,
) -> Vec<f64> {
    let gap = |a: usize, b: usize| {
        let space = if vertices[a].real && vertices[b].real { NODE_GAP } else { DUMMY_GAP };
        (vertices[a].width + vertices[b].width) / 2.0 + space
    };
    let mut x = vec![0.0; v];
    for layer in layers {
        let mut at = 0.0;
        for (p, &vertex) in layer.iter().enumerate() {
            if p > 0 {
                at += gap(layer[p - 1], vertex);
            }
            x[vertex] = at;
        }
    }
    for sweep in 0..PLACEMENT_SWEEPS {
        let last = sweep + 1 == PLACEMENT_SWEEPS;
        let down = sweep % 2 == 0;
        let order: Vec<usize> = if down { (0..layers.len()).collect() } else { (0..layers.len()).rev().collect() };
        for r in order {
            let layer = &layers[r];
            // Each vertex's desired x, with how strongly it is pulled there (the weight of its edges).
            let desired: Vec<(f64, f64)> = layer
                .iter()
                .map(|&vertex| {
                    let above = preds[vertex].iter().map(|&o| (o, weight.get(&(o, vertex)).copied().unwrap_or(1.0)));
                    let below = succs[vertex].iter().map(|&o| (o, weight.get(&(vertex, o)).copied().unwrap_or(1.0)));
                    let list: Vec<(usize, f64)> = if last {
                        above.chain(below).collect()
                    } else if down {
                        above.collect()
                    } else {
                        below.collect()
                    };
                    let total: f64 = list.iter().map(|&(_, w)| w).sum();
                    if total <= 0.0 {
                        (x[vertex], 1.0)
                    } else {
                        (list.iter().map(|&(o, w)| x[o] * w).sum::<f64>() / total, total)
                    }
                })
                .collect();
            let gaps: Vec<f64> = layer.windows(2).map(|pair| gap(pair[0], pair[1])).collect();
            for (&vertex, value) in layer.iter().zip(fit(&desired, &gaps)) {
                x[vertex] = value;
            }
        }
    }
    x
}

/// The positions closest (weighted least squares) to `desired` (each a target and its weight) with
/// `x[i + 1] - x[i] >= gaps[i]`: shifted by the cumulative gaps this is weighted isotonic regression, solved by
/// pooling adjacent violators.
fn fit(desired: &[(f64, f64)], gaps: &[f64]) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(desired.len());
    let mut total = 0.0;
    for i in 0..desired.len() {
        if i > 0 {
            total += gaps.get(i - 1).copied().unwrap_or(0.0);
        }
        offsets.push(total);
    }
    // Blocks of (weighted sum, weight, count), each block's mean not above the next one's.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for (&(d, w), o) in desired.iter().zip(&offsets) {
        blocks.push(((d - o) * w, w, 1));
        while let [.., (s1, w1, c1), (s2, w2, c2)] = blocks[..] {
            if s1 / w1 > s2 / w2 {
                blocks.pop();
                blocks.pop();
                blocks.push((s1 + s2, w1 + w2, c1 + c2));
            } else {
                break;
            }
        }
    }
    let mut out = Vec::with_capacity(desired.len());
    for (sum, weight, count) in blocks {
        let mean = sum / weight;
        for _ in 0..count {
            let offset = offsets.get(out.len()).copied().unwrap_or(0.0);
            out.push(mean + offset);
        }
    }
    out
}
