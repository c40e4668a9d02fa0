//! Bounds on JSONata evaluation that the runtime sets from outside, kept deterministic for replay.
//!
//! An expression can run for ever (`($f := function($n){ $f($n + 1) }; $f(0))`). The runtime, which may read
//! clocks, watches each evaluation through a shared [`Watch`] and cuts off one that runs too long; the evaluation
//! fails with `States.QueryEvaluationError`. Whether an evaluation was cut off depends on the machine, so it is
//! recorded: every evaluation an execution makes while folding one trigger has a sequence number (1, 2, …, in the
//! order the deterministic engine makes them), [`Guard::take_cut`] gives the numbers cut off, the runtime stores them
//! with the trigger, and a replay passes them to [`Guard::force`], which fails those evaluations at once without
//! running them. A replay is therefore exact and fast, and never cut off itself.
//!
//! A stop ([`Watch::stop`]: StopExecution, shutdown) cancels the running evaluation and fails every later one at
//! once; [`Watch::interrupted`] then tells the runtime that the fold's outcome is not the execution's and must be
//! thrown away.
//!
//! This module reads no clock: the watcher decides when an evaluation has run too long.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What a cut-off evaluation failed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The runtime's time limit.
    TimeLimit,
    /// A stop: the fold is thrown away.
    Stopped,
}

/// One execution's evaluation bookkeeping, owned by its engine (`Send`, not `Sync`).
#[derive(Debug, Default)]
pub struct Guard {
    watch: Arc<Watch>,
    /// Evaluations started since [`Guard::begin_fold`].
    seq: Cell<u64>,
    /// Sequence numbers to fail at once (a replay of cut-offs), ascending.
    forced: RefCell<Vec<u64>>,
    /// Sequence numbers the time limit cut off in this fold, ascending.
    cut: RefCell<Vec<u64>>,
}

/// The part of a [`Guard`] another thread sees: the evaluation running now, and the switches to stop it.
#[derive(Debug, Default)]
pub struct Watch {
    /// The generation of the evaluation running now; 0 when none runs. Generations are never reused.
    running: AtomicU64,
    next: AtomicU64,
    /// The token of the running evaluation; replaced once tripped.
    cancel: Mutex<jsonata::Cancel>,
    /// The generation the time limit cut off.
    expired: AtomicU64,
    stopped: AtomicBool,
    interrupted: AtomicBool,
}

/// A running evaluation, as [`Guard::enter`] hands it out.
#[derive(Debug)]
pub struct Entered {
    seq: u64,
    generation: u64,
    cancel: jsonata::Cancel,
}

impl Guard {
    /// The handle for watchers on other threads.
    pub fn watch(&self) -> Arc<Watch> {
        self.watch.clone()
    }

    /// Takes over `watch`, so that watchers holding it see this guard's evaluations (an execution rebuilt in place
    /// of another).
    pub fn adopt(&mut self, watch: Arc<Watch>) {
        self.watch = watch;
    }

    /// Starts numbering evaluations for a new fold, failing the ones numbered in `forced` (from a recorded fold).
    pub fn begin_fold(&self, forced: Vec<u64>) {
        self.seq.set(0);
        let mut forced = forced;
        forced.sort_unstable();
        *self.forced.borrow_mut() = forced;
        self.cut.borrow_mut().clear();
    }

    /// The sequence numbers the time limit cut off since [`Guard::begin_fold`], ascending.
    pub fn take_cut(&self) -> Vec<u64> {
        std::mem::take(&mut *self.cut.borrow_mut())
    }

    /// Starts an evaluation: `Err` if it must fail without running, else what to evaluate with.
    pub fn enter(&self) -> Result<Entered, Cut> {
        let seq = self.seq.get() + 1;
        self.seq.set(seq);
        if self.forced.borrow().binary_search(&seq).is_ok() {
            self.cut.borrow_mut().push(seq);
            return Err(Cut::TimeLimit);
        }
        if self.watch.stopped.load(Ordering::SeqCst) {
            self.watch.interrupted.store(true, Ordering::SeqCst);
            return Err(Cut::Stopped);
        }
        let generation = self.watch.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut cancel = lock(&self.watch.cancel);
        if cancel.is_cancelled() {
            *cancel = jsonata::Cancel::new();
        }
        self.watch.running.store(generation, Ordering::SeqCst);
        Ok(Entered { seq, generation, cancel: cancel.clone() })
    }

    /// Ends the evaluation `entered`; `cancelled` says whether it failed because its token was tripped. `Some` is why
    /// it was cut off (and its result is that failure); `None` keeps the result it had.
    pub fn leave(&self, entered: Entered, cancelled: bool) -> Option<Cut> {
        {
            let _cancel = lock(&self.watch.cancel);
            self.watch.running.store(0, Ordering::SeqCst);
        }
        if !cancelled {
            return None;
        }
        if self.watch.expired.load(Ordering::SeqCst) == entered.generation {
            self.cut.borrow_mut().push(entered.seq);
            return Some(Cut::TimeLimit);
        }
        self.watch.interrupted.store(true, Ordering::SeqCst);
        Some(Cut::Stopped)
    }
}

impl Entered {
    /// The token the evaluation must run with.
    pub fn cancel(&self) -> &jsonata::Cancel {
        &self.cancel
    }
}

impl Watch {
    /// The generation of the evaluation running now, if one is.
    pub fn running(&self) -> Option<u64> {
        match self.running.load(Ordering::SeqCst) {
            0 => None,
            generation => Some(generation),
        }
    }

    /// Cuts off the evaluation of `generation` for running too long, if it still runs.
    pub fn expire(&self, generation: u64) {
        let cancel = lock(&self.cancel);
        if self.running.load(Ordering::SeqCst) == generation {
            self.expired.store(generation, Ordering::SeqCst);
            cancel.cancel();
        }
    }

    /// Stops the running evaluation and fails every later one at once, until [`Watch::resume`].
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        lock(&self.cancel).cancel();
    }

    /// Whether [`Watch::stop`] was called (and not resumed).
    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Lets evaluations run again after a stop, and forgets that one was interrupted.
    pub fn resume(&self) {
        self.stopped.store(false, Ordering::SeqCst);
        self.interrupted.store(false, Ordering::SeqCst);
    }

    /// Forgets that an evaluation was interrupted (its fold was thrown away), leaving the stop in force.
    pub fn clear_interrupted(&self) {
        self.interrupted.store(false, Ordering::SeqCst);
    }

    /// Whether a stop made an evaluation fail since the last [`Watch::resume`]: the fold that made it is void.
    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The token stays usable across a panic elsewhere.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::{Cut, Guard};

    #[test]
    fn forced_numbers_fail_and_are_reported_again() {
        let guard = Guard::default();
        guard.begin_fold(vec![2]);
        let first = guard.enter().expect("runs");
        assert_eq!(guard.leave(first, false), None);
        assert_eq!(guard.enter().err(), Some(Cut::TimeLimit));
        assert!(guard.enter().is_ok());
        assert_eq!(guard.take_cut(), vec![2]);
    }

    #[test]
    fn an_expired_evaluation_is_cut_and_numbered() {
        let guard = Guard::default();
        guard.begin_fold(Vec::new());
        let entered = guard.enter().expect("runs");
        let watch = guard.watch();
        let generation = watch.running().expect("running");
        watch.expire(generation);
        assert!(entered.cancel().is_cancelled());
        assert_eq!(guard.leave(entered, true), Some(Cut::TimeLimit));
        assert_eq!(guard.take_cut(), vec![1]);
        // The next evaluation gets a fresh token.
        let next = guard.enter().expect("runs");
        assert!(!next.cancel().is_cancelled());
        // Expiring a generation that no longer runs does nothing.
        watch.expire(generation);
        assert!(!next.cancel().is_cancelled());
    }

    #[test]
    fn a_stop_interrupts_until_resumed() {
        let guard = Guard::default();
        guard.begin_fold(Vec::new());
        let entered = guard.enter().expect("runs");
        guard.watch().stop();
        assert_eq!(guard.leave(entered, true), Some(Cut::Stopped));
        assert_eq!(guard.enter().err(), Some(Cut::Stopped));
        assert!(guard.watch().interrupted());
        assert!(guard.take_cut().is_empty());
        guard.watch().resume();
        assert!(!guard.watch().interrupted());
        assert!(guard.enter().is_ok());
    }
}
