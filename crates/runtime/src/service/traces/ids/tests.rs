//! Trace headers parsed and written, and ids derived.

use integrations::Trace;

use super::{Context, event_span, execution_span, parse, task_trace, trace_id};

const ARN: &str = "arn:aws:states:us-east-1:123456789012:execution:orders:run-1";

fn bytes<const N: usize>(hex: &str) -> [u8; N] {
    super::hex(hex).expect("hex digits")
}

#[test]
fn a_traceparent_gives_its_trace_parent_and_flag() {
    let context = parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").expect("a traceparent");
    assert_eq!(context.trace_id, bytes::<16>("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(context.remote_parent, Some(bytes::<8>("00f067aa0ba902b7")));
    assert!(context.sampled);
    let unsampled = parse(" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00 ").expect("a traceparent");
    assert!(!unsampled.sampled);
    // A later version may add fields after the four it shares with version 00.
    assert!(parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes").is_some());
}

#[test]
fn malformed_traceparents_name_no_trace() {
    for header in [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
        "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-é1",
    ] {
        assert_eq!(parse(header), None, "{header:?}");
    }
}

#[test]
fn an_xray_header_maps_its_root_to_the_128_bit_trace_id() {
    let context = parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1").expect("an X-Ray header");
    assert_eq!(context.trace_id, bytes::<16>("5759e988bd862e3fe1be46a994272793"));
    assert_eq!(context.remote_parent, Some(bytes::<8>("53995c3f42cd8ad8")));
    assert!(context.sampled);
    // Any order, spaces around fields, other fields ignored; no parent is a trace without a caller's span.
    let context = parse(" Sampled=0; Lineage=1:ab:0 ;Root=1-5759e988-bd862e3fe1be46a994272793").expect("an X-Ray header");
    assert_eq!(context.trace_id, bytes::<16>("5759e988bd862e3fe1be46a994272793"));
    assert_eq!((context.remote_parent, context.sampled), (None, false));
    for header in [
        "Parent=53995c3f42cd8ad8;Sampled=1",
        "Root=2-5759e988-bd862e3fe1be46a994272793",
        "Root=1-5759e98-bd862e3fe1be46a994272793",
        "Root=1-5759e988-bd862e3fe1be46a99427279",
        "Root=1-5759e988-bd862e3fe1be46a994272793-00",
        "Root=1-00000000-000000000000000000000000",
        "Root=1-5759e98z-bd862e3fe1be46a994272793",
        "Root=1",
    ] {
        assert_eq!(parse(header), None, "{header:?}");
    }
}

#[test]
fn what_a_task_sends_reads_back_as_the_same_trace() {
    let trace = Trace { trace_id: bytes("5759e988bd862e3fe1be46a994272793"), span_id: bytes("53995c3f42cd8ad8"), sampled: true };
    assert_eq!(trace.traceparent(), "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01");
    assert_eq!(trace.xray(), "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
    let expected = Context { trace_id: trace.trace_id, remote_parent: Some(trace.span_id), sampled: true };
    assert_eq!(parse(&trace.traceparent()), Some(expected));
    assert_eq!(parse(&trace.xray()), Some(expected));
    let unsampled = Trace { sampled: false, ..trace };
    assert!(unsampled.traceparent().ends_with("-00"));
    assert!(unsampled.xray().ends_with(";Sampled=0"));
}

#[test]
fn without_a_header_the_trace_is_the_arns() {
    let context = Context::of(ARN, None);
    assert_eq!(context, Context { trace_id: trace_id(ARN), remote_parent: None, sampled: true });
    assert_eq!(Context::of(ARN, Some("not a trace header")), context);
    assert_ne!(trace_id(ARN), trace_id("arn:aws:states:us-east-1:123456789012:execution:orders:run-2"));
    let given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    assert_eq!(Context::of(ARN, Some(given)).trace_id, bytes::<16>("4bf92f3577b34da6a3ce929d0e0e4736"));
}

/// The ids are part of what nodes and Baton versions must agree on (a restart or another node continues a trace):
/// they are pinned here (the values are SHA-256 as `digest` documents it, checked with Python's hashlib), so that a
/// change to their derivation is a decision.
#[test]
fn ids_are_derived_and_pinned() {
    let hex = |bytes: &[u8]| bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>();
    assert_eq!(hex(&trace_id(ARN)), "5c87b93607fb8e4afe2af247e2e03d4c");
    assert_eq!(hex(&execution_span(ARN, 0)), "287c189eb2283a4a");
    assert_eq!(hex(&event_span(ARN, 2)), "c25d13555f461a81");
    let spans = [execution_span(ARN, 0), execution_span(ARN, 1), event_span(ARN, 0), event_span(ARN, 1), event_span(ARN, 2)];
    for (i, a) in spans.iter().enumerate() {
        for b in spans.iter().skip(i + 1) {
            assert_ne!(a, b);
        }
    }
    let context = Context::of(ARN, None);
    assert_eq!(task_trace(&context, ARN, 0, Some(2)).span_id, event_span(ARN, 2));
    assert_eq!(task_trace(&context, ARN, 1, None).span_id, execution_span(ARN, 1));
    assert_eq!(task_trace(&context, ARN, 1, None).trace_id, context.trace_id);
}
