//! The one error type of this crate.
//!
//! Messages are jsonata-js's, code first (`T1006: Attempted to invoke a non-function`), because Step Functions
//! quotes them verbatim in a `States.QueryEvaluationError` cause. That is why they do not follow the crate-wide
//! "lowercase, no trailing period" rule: they are data we reproduce, not prose we write.

/// A JSONata failure: the expression does not parse, its evaluation threw, or it returned something that is not JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not a JSONata expression, e.g. `S0202: Expected "]", got ","`.
    #[error("{0}")]
    Compile(String),
    /// Evaluation threw, e.g. `T1006: Attempted to invoke a non-function`.
    #[error("{0}")]
    Evaluate(String),
    /// The result is a function or a regular expression, which has no JSON form. AWS reports it as "returned an
    /// unsupported result type".
    #[error("the expression returned an unsupported result type")]
    UnsupportedResult,
}

impl Error {
    /// The JSONata error code (`S0202`, `T1006`, `D3137`, …), when the message carries one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Compile(message) | Error::Evaluate(message) => code_of(message),
            Error::UnsupportedResult => None,
        }
    }

    /// Whether evaluation stopped because its [`crate::Cancel`] was tripped (`U1003`).
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Evaluate(_)) && self.code() == Some("U1003")
    }

    /// Whether this is [`Error::UnsupportedResult`].
    pub fn is_unsupported_result(&self) -> bool {
        matches!(self, Error::UnsupportedResult)
    }
}

/// The leading `X0000` of `message` when it is followed by `:`, as jsonata-js codes are written.
pub(crate) fn code_of(message: &str) -> Option<&str> {
    let code = message.get(..5)?;
    let mut bytes = code.bytes();
    let letter = bytes.next().is_some_and(|b| b.is_ascii_uppercase());
    let colon = message.get(5..).is_some_and(|rest| rest.starts_with(':'));
    (letter && bytes.all(|b| b.is_ascii_digit()) && colon).then_some(code)
}

/// `message` from its first JSONata code on: jsonata-core puts some codes after a prefix of its own
/// (`Invalid syntax: S0209: …`); messages without a code are returned whole.
pub(crate) fn from_code(message: &str) -> &str {
    let starts = std::iter::once(0).chain(message.match_indices(' ').map(|(i, _)| i + 1));
    starts
        .filter_map(|i| message.get(i..))
        .find(|rest| code_of(rest).is_some())
        .unwrap_or(message)
}
