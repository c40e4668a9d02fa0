//! The state machine as a picture: a graph of its states, a layered layout, and SVG, DOT and Mermaid renderers.
//!
//! `build` turns a validated `asl::model::StateMachine` into a `Graph` (states, synthetic Start and End markers,
//! labelled transitions, Parallel and Map as compound nodes holding their branches); `sketch` does the same from the
//! JSON value of a definition that validation refuses, as far as it can be read, each state carrying its problems
//! (drawn with a red outline, the problems in its title); `layout` places it
//! (a Sugiyama-style layering written here, clusters laid out recursively as boxes); `to_svg`, `to_dot` and
//! `to_mermaid` draw it. Everything is pure and deterministic: no I/O, and the same machine always gives the same
//! bytes. Knowing which states ran is the caller's business: it arrives as `Statuses` for `to_svg` (and `Tallies`,
//! how each state's visits ended, for `to_svg_with`), and as `Notes` (a line of text per state, such as a Map's item
//! counts) for `layout_with_notes`, since a note needs room in its box.

mod build;
mod dot;
mod layout;
mod mermaid;
mod sketch;
mod svg;
mod text;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use build::{Edge, EdgeKind, Graph, Node, NodeId, NodeKind, StateType, build};
pub use dot::to_dot;
pub use layout::{EdgePath, Layout, Note, Point, Rect, layout, layout_with_notes};
pub use mermaid::to_mermaid;
pub use sketch::sketch;
pub use svg::{to_svg, to_svg_with};
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

/// How the visits of each state ended, by state name: a state inside a Map is visited once per iteration that
/// reaches it, a state in a loop once per turn.
pub type Tallies = BTreeMap<String, Tally>;

/// How many visits of one state ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tally {
    pub succeeded: u64,
    pub caught: u64,
    pub failed: u64,
    pub running: u64,
}

impl Tally {
    /// Counts one more visit that ended as `status` (`NotRun` counts nothing).
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Succeeded => self.succeeded += 1,
            Status::Caught => self.caught += 1,
            Status::Failed => self.failed += 1,
            Status::Running => self.running += 1,
            Status::NotRun => {}
        }
    }

    /// Every visit counted.
    pub fn total(&self) -> u64 {
        self.succeeded + self.caught + self.failed + self.running
    }

    /// The outcomes that are not zero, in the order the drawing shows them, with their counts.
    pub fn parts(&self) -> Vec<(Status, u64)> {
        [(Status::Succeeded, self.succeeded), (Status::Caught, self.caught), (Status::Failed, self.failed), (Status::Running, self.running)]
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Whether the visits ended in more than one way (some iterations succeeded and others failed, say).
    pub fn mixed(&self) -> bool {
        self.parts().len() > 1
    }

    /// "3 succeeded · 1 failed": the outcomes that are not zero.
    pub fn note(&self) -> String {
        let parts: Vec<String> = self.parts().iter().map(|(status, n)| format!("{n} {}", status.as_str())).collect();
        parts.join(" · ")
    }
}

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
