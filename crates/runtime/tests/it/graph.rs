//! `baton graph` and the console draw any valid definition: on generated machines (forward-only and with cycles),
//! `graph::build`, `layout`, `to_svg`, `to_dot` and `to_mermaid` never panic, the layout is finite, and every state
//! is drawn once with its `data-state`. The console's editor draws what the user is typing, so this is its input.

use proptest::prelude::*;

use crate::definition::{self, Transitions};

proptest! {
    #![proptest_config(crate::config(48))]

    #[test]
    fn every_valid_definition_is_drawn(machine in definition::machine(), any_transitions in any::<bool>()) {
        let transitions = if any_transitions { Transitions::Any } else { Transitions::Forward };
        let value = definition::build(&machine, transitions).definition;
        let Ok(model) = asl::parse::parse_value(&value) else { return Ok(()) };
        let graph = graph::build(&model);
        let layout = graph::layout(&graph);
        let finite = |r: &graph::Rect| [r.x, r.y, r.width, r.height].iter().all(|v| v.is_finite());
        prop_assert!(layout.width.is_finite() && layout.height.is_finite() && layout.nodes.iter().all(finite), "{:?}", layout);
        let svg = graph::to_svg(&graph, &layout, &graph::Statuses::new());
        let names: Vec<&str> = graph.ids().filter_map(|id| graph.state_name(id)).collect();
        for name in &names {
            let drawn = format!("data-state=\"{}\"", escape(name));
            prop_assert_eq!(svg.matches(drawn.as_str()).count(), 1, "{} drawn once in {}", name, svg);
        }
        let dot = graph::to_dot(&graph);
        prop_assert!(dot.starts_with("digraph"), "{}", dot);
        let mermaid = graph::to_mermaid(&graph);
        prop_assert!(mermaid.starts_with("flowchart"), "{}", mermaid);
    }
}

/// A state name as it appears in an XML attribute.
fn escape(name: &str) -> String {
    name.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
