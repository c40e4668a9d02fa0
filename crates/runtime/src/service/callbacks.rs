//! Task tokens: which execution's task each token completes, and what became of tokens that no longer do.

use std::collections::HashMap;
use std::sync::Mutex;

use engine::TaskId;

/// Why a token no longer completes its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    /// The task got its answer (`SendTaskSuccess`/`SendTaskFailure` or a mock).
    Completed,
    /// The task timed out or was cancelled.
    TimedOut,
    /// The execution ended.
    Ended,
}

/// Where a token stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Open { execution: String, task: TaskId },
    Closed(Closed),
}

/// The tokens of this server's executions. Closed tokens are remembered (until a restart) so that reusing one gets
/// AWS's error for it rather than "does not exist".
#[derive(Default)]
pub(crate) struct Callbacks {
    tokens: Mutex<HashMap<String, Token>>,
}

impl Callbacks {
    /// Forgets every token (`Service::reset`).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    pub(crate) fn open(&self, token: &str, execution: &str, task: TaskId) {
        self.lock().insert(token.to_owned(), Token::Open { execution: execution.to_owned(), task });
    }

    pub(crate) fn close(&self, token: &str, why: Closed) {
        if let Some(state) = self.lock().get_mut(token) {
            *state = Token::Closed(why);
        }
    }

    pub(crate) fn get(&self, token: &str) -> Option<Token> {
        self.lock().get(token).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Token>> {
        // The map stays consistent across a panic elsewhere; keep using it.
        self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
