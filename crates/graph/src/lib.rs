//! The state machine as a picture: a graph of its states, a layered layout, and SVG, DOT and Mermaid renderers.
//!
//! `build` turns a validated `asl::model::StateMachine` into a `Graph` (states, synthetic Start and End markers,
//! labelled transitions, Parallel and Map as compound nodes holding their branches); `layout` places it
//! (a Sugiyama-style layering written here, clusters laid out recursively as boxes); `to_svg`, `to_dot` and
//! `to_mermaid` draw it. Everything is pure and deterministic: no I/O, and the same machine always gives the same
//! bytes. Knowing which states ran is the caller's business: it arrives as `Statuses` for `to_svg`, and as `Notes`
//! (a line of text per state, such as a Map's item counts) for `layout_with_notes`, since a note needs room in its box.

mod build;
mod dot;
mod layout;
mod mermaid;
mod svg;
mod text;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use build::{Edge, EdgeKind, Graph, Node, NodeId, NodeKind, StateType, build};
pub use dot::to_dot;
pub use layout::{EdgePath, Layout, Note, Point, Rect, layout, layout_with_notes};
pub use mermaid::to_mermaid;
pub use svg::to_svg;
pub use text::xml;

/// How far an execution got with a state, as the console colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Succeeded,
    Failed,
    /// The state failed and a `Catch` handled it.
    Caught,
    Running,
    NotRun,
}

/// The status of each state, by state name; a state missing from the map is drawn without one.
pub type Statuses = BTreeMap<String, Status>;

/// A line of text to draw on each state, by state name (such as "12 items · 10 succeeded"); a state missing from the
/// map has none.
pub type Notes = BTreeMap<String, String>;

impl Status {
    /// The value of the `data-status` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Caught => "caught",
            Status::Running => "running",
            Status::NotRun => "not-run",
        }
    }
}
