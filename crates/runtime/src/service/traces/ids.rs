//! Trace and span ids, and the trace headers that carry them.
//!
//! Every id is derived, never drawn: an execution's trace id is the one its `traceHeader` gave (a W3C `traceparent`,
//! or an X-Ray `Root=1-<8 hex>-<24 hex>`, whose 96+32 bits are the 128-bit trace id), else a hash of its ARN; a span id
//! is a hash of the ARN and what opened the span (the redrive count for an execution's span, the opening event's id
//! for the others). So an execution resumed after a restart, or on another node, continues the same trace with the
//! same span ids, and a task's request can name its span knowing only the event that scheduled it.

#[cfg(test)]
mod tests;

use sha2::{Digest, Sha256};

use integrations::Trace;

/// Where an execution's trace comes from: its id, the caller's span its execution span continues (`traceHeader`'s
/// parent), and whether it is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Context {
    pub(crate) trace_id: [u8; 16],
    pub(crate) remote_parent: Option<[u8; 8]>,
    pub(crate) sampled: bool,
}

impl Context {
    /// The trace of the execution `arn`, started with `trace_header`: the header's, when it is a `traceparent` or
    /// X-Ray header that names a trace, else one derived from the ARN (recorded).
    pub(crate) fn of(arn: &str, trace_header: Option<&str>) -> Context {
        trace_header.and_then(parse).unwrap_or_else(|| Context { trace_id: trace_id(arn), remote_parent: None, sampled: true })
    }
}

/// The trace id of an execution started without a trace header.
pub(crate) fn trace_id(arn: &str) -> [u8; 16] {
    nonzero(digest(&[b"baton trace", arn.as_bytes()]))
}

/// The span id of the execution's span: its first run (0) or the `redrive_count`-th redrive.
pub(crate) fn execution_span(arn: &str, redrive_count: u32) -> [u8; 8] {
    nonzero(digest(&[b"baton execution", arn.as_bytes(), &redrive_count.to_be_bytes()]))
}

/// The span id of the span that the event `event` of execution `arn` opens (a state, a Map iteration, a task).
pub(crate) fn event_span(arn: &str, event: u64) -> [u8; 8] {
    nonzero(digest(&[b"baton event", arn.as_bytes(), &event.to_be_bytes()]))
}

/// The position a task's request continues: the execution's trace, from the span of the event that scheduled the
/// task (or, for a task without one, the execution's span).
pub(crate) fn task_trace(context: &Context, arn: &str, redrive_count: u32, scheduled_event: Option<u64>) -> Trace {
    let span_id = match scheduled_event {
        Some(event) => event_span(arn, event),
        None => execution_span(arn, redrive_count),
    };
    Trace { trace_id: context.trace_id, span_id, sampled: context.sampled }
}

/// The first `N` bytes of SHA-256 over the parts, each ended by a zero byte (so that no two lists of parts collide).
fn digest<const N: usize>(parts: &[&[u8]]) -> [u8; N] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
        hasher.update([0]);
    }
    let hash = hasher.finalize();
    let mut id = [0; N];
    for (to, from) in id.iter_mut().zip(hash.iter()) {
        *to = *from;
    }
    id
}

/// An all-zero id is invalid in W3C Trace Context: the last bit is set instead (a 2^-64 chance, at worst).
fn nonzero<const N: usize>(mut id: [u8; N]) -> [u8; N] {
    if id.iter().all(|byte| *byte == 0)
        && let Some(last) = id.last_mut()
    {
        *last = 1;
    }
    id
}

/// The trace a `traceHeader` names: a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`) or an X-Ray trace header
/// (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`, in any order, `Root` required). `None` for anything
/// else, or for ids W3C calls invalid (all zero).
pub(crate) fn parse(header: &str) -> Option<Context> {
    let header = header.trim();
    traceparent(header).or_else(|| xray(header))
}

fn traceparent(header: &str) -> Option<Context> {
    let mut parts = header.split('-');
    let (version, trace, parent, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    // Version 00 has exactly four fields; a later version may add more after them, and `ff` is invalid.
    if version.len() != 2 || version == "ff" || (version == "00" && parts.next().is_some()) {
        return None;
    }
    let _: [u8; 1] = hex(version)?;
    let trace_id: [u8; 16] = hex(trace)?;
    let parent: [u8; 8] = hex(parent)?;
    let [flags]: [u8; 1] = hex(flags)?;
    if trace_id == [0; 16] || parent == [0; 8] {
        return None;
    }
    Some(Context { trace_id, remote_parent: Some(parent), sampled: flags & 1 == 1 })
}

fn xray(header: &str) -> Option<Context> {
    let mut trace_id = None;
    let mut remote_parent = None;
    let mut sampled = true;
    for field in header.split(';') {
        let Some((key, value)) = field.split_once('=') else { continue };
        let value = value.trim();
        match key.trim() {
            "Root" => {
                let mut parts = value.split('-');
                let (version, time, random) = (parts.next()?, parts.next()?, parts.next()?);
                if version != "1" || time.len() != 8 || random.len() != 24 || parts.next().is_some() {
                    return None;
                }
                trace_id = Some(hex::<16>(&format!("{time}{random}"))?);
            }
            "Parent" => remote_parent = hex::<8>(value).filter(|parent| *parent != [0; 8]),
            "Sampled" => sampled = value != "0",
            _ => {}
        }
    }
    let trace_id = trace_id.filter(|id| *id != [0; 16])?;
    Some(Context { trace_id, remote_parent, sampled })
}

/// Exactly `2 * N` hex digits (either case) as bytes.
fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let mut bytes = [0; N];
    for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(bytes)
}
