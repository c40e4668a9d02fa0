//! What watches executions from outside: once a batch of an execution's steps is committed (durably, or into the
//! Express store), `committed` hands the history events it wrote to each observer, in order: the metrics (`metrics`)
//! and whatever else the server was configured with. Observers see only what is committed, so nothing they report
//! can be undone by a failed commit, and they run after the commit, off the transaction: they may not fail it.

use engine::HistoryEvent;

use super::Inner;

/// One committed batch of an execution's steps.
pub(crate) struct Committed<'a> {
    /// The execution as the batch left it: its status, stop date, output, error and cause are those of its end when
    /// the batch ended it.
    pub(crate) execution: &'a store::Execution,
    /// The events the batch wrote to the execution's history, in order (none of its distributed Maps' children).
    pub(crate) events: &'a [HistoryEvent],
}

/// Hands a committed batch to every observer.
pub(crate) fn committed(inner: &Inner, batch: &Committed<'_>) {
    if batch.events.is_empty() {
        return;
    }
    inner.metrics.observe(batch);
    if let Some(log) = &inner.execution_log {
        log.observe(batch);
    }
    if let Some(outbox) = &inner.outbox {
        outbox.committed(batch);
    }
    if let Some(traces) = &inner.traces {
        traces.observe(batch.execution, batch.events);
    }
}
