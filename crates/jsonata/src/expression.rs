//! `Expression`: a compiled JSONata expression, and its evaluation with bindings and a host.
//!
//! Each evaluation builds a fresh jsonata-core `Evaluator`, because jsonata-core has no way to change an
//! evaluator's variables after construction and its host functions must be `'static` (so they cannot borrow the
//! caller's `Host`). Construction is cheap (measured by `examples/timing.rs`), and only the Step Functions
//! functions the expression's text can reach are registered. Only the variables the text mentions are converted
//! for it, and of an object bound member by member ([`Bindings::insert_object`], Step Functions' `$states`) only
//! the members it reads; which those are is found once, when the expression is compiled (`Mentions`).
//!
//! Guardrails: evaluation nesting is limited to [`MAX_STACK_DEPTH`] and any sequence to [`MAX_SEQUENCE_LENGTH`]
//! items, both deterministic. jsonata-core's `timeout_ms` is not used: it reads the wall clock, which would make the
//! outcome of an evaluation depend on the machine. A non-terminating tail-recursive function is therefore bounded
//! only by [`Cancel`], which the caller (the runtime, which may read clocks) can trip from another thread.

use std::sync::Arc;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{CancelToken, Context, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::parser::ParserError;
use serde_json::Value;

use crate::Error;
use crate::host::Host;
use crate::limits::{MAX_SEQUENCE_LENGTH, MAX_STACK_DEPTH};
use crate::convert::{from_jvalue, to_jvalue, to_jvalue_object};
use crate::functions::{self, Uses};
use crate::mentions::Mentions;

/// A compiled JSONata expression. Cheap to clone, and `Send + Sync`: the parsed form is shared.
#[derive(Clone)]
pub struct Expression {
    source: Arc<str>,
    ast: Arc<AstNode>,
    uses: Uses,
    /// The variables the text can reach, and the members it reads of each, found once here rather than per
    /// evaluation.
    mentions: Arc<Mentions>,
}

/// The variables an evaluation sees, by name without the `$`: Step Functions binds `states` and each workflow
/// variable. Values are borrowed, so binding a large variable costs nothing until it is converted for evaluation,
/// and a variable the expression's text does not mention is never converted.
#[derive(Debug, Clone, Default)]
pub struct Bindings<'a> {
    entries: Vec<(&'a str, Bound<'a>)>,
}

/// What a variable is bound to.
#[derive(Debug, Clone)]
enum Bound<'a> {
    Value(&'a Value),
    /// An object of these members, in this order, built only for evaluation.
    Object(Vec<(&'a str, &'a Value)>),
}

/// Stops the evaluations it is passed to, from any thread: they fail with `U1003: Evaluation cancelled`.
#[derive(Debug, Clone, Default)]
pub struct Cancel(CancelToken);

impl Expression {
    /// Parses `text` (without the `{% %}` delimiters).
    pub fn compile(text: &str) -> Result<Expression, Error> {
        let ast = jsonata_core::parser::parse(text).map_err(|e| Error::Compile(parser_message(&e)))?;
        Ok(Expression {
            source: Arc::from(text),
            ast: Arc::new(ast),
            uses: Uses::of(text),
            mentions: Arc::new(Mentions::of(text)),
        })
    }

    /// The names (without the `$`) of the variables the text may mention: every variable an evaluation can read is
    /// among them, so binding only these changes nothing. Names inside string literals count too.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.mentions.names()
    }

    /// The text the expression was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates the expression with `input` as its context value `$`; `None` is JSONata's undefined.
    pub fn evaluate(&self, input: &Value, bindings: &Bindings, host: &Host) -> Result<Option<Value>, Error> {
        self.run(input, bindings, host, None)
    }

    /// [`Expression::evaluate`], stopped early if `cancel` is tripped.
    pub fn evaluate_cancellable(
        &self,
        input: &Value,
        bindings: &Bindings,
        host: &Host,
        cancel: &Cancel,
    ) -> Result<Option<Value>, Error> {
        self.run(input, bindings, host, Some(cancel))
    }

    fn run(
        &self,
        input: &Value,
        bindings: &Bindings,
        host: &Host,
        cancel: Option<&Cancel>,
    ) -> Result<Option<Value>, Error> {
        let mut context = Context::new();
        for (name, bound) in &bindings.entries {
            // A variable is reachable only through `$name` in the text; skip converting the others.
            let Some(mention) = self.mentions.get(name) else {
                continue;
            };
            let value = match bound {
                Bound::Value(value) => to_jvalue(value),
                // Members the text never reads are left out: no evaluation can tell.
                Bound::Object(members) => {
                    to_jvalue_object(members.iter().filter(|(key, _)| mention.reads(key)).copied())
                }
            };
            context.bind((*name).to_owned(), value);
        }
        let options = EvaluatorOptions {
            max_stack_depth: Some(MAX_STACK_DEPTH),
            max_sequence_length: Some(MAX_SEQUENCE_LENGTH),
            cancel: cancel.map(|c| c.0.clone()),
            timeout_ms: None,
        };
        functions::hide(&mut context, self.uses);
        let mut evaluator = Evaluator::with_options(context, options);
        functions::register(&mut evaluator, self.uses, host).map_err(evaluation_error)?;
        let result = evaluator
            .evaluate(&self.ast, &to_jvalue(input))
            .map_err(evaluation_error)?;
        from_jvalue(&result)
    }
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Expression").field(&self.source).finish()
    }
}

impl<'a> Bindings<'a> {
    /// No variables.
    pub fn new() -> Bindings<'a> {
        Bindings { entries: Vec::new() }
    }

    /// Binds `$name` to `value`, replacing an earlier binding of the same name.
    pub fn insert(&mut self, name: &'a str, value: &'a Value) -> &mut Bindings<'a> {
        self.bind(name, Bound::Value(value))
    }

    /// Binds `$name` to the object of `members` (keys and values, in order), replacing an earlier binding of the
    /// same name. The object is never built as a `Value`: an evaluation converts only the members its text can read.
    pub fn insert_object(&mut self, name: &'a str, members: Vec<(&'a str, &'a Value)>) -> &mut Bindings<'a> {
        self.bind(name, Bound::Object(members))
    }

    fn bind(&mut self, name: &'a str, bound: Bound<'a>) -> &mut Bindings<'a> {
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = bound,
            None => self.entries.push((name, bound)),
        }
        self
    }
}

impl Cancel {
    /// A token that has not been tripped.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Stops every evaluation holding this token (or a clone); it cannot be reset.
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// Whether [`Cancel::cancel`] was called on this token or a clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// jsonata-core's parse error in jsonata-js's words: tokens are named by their text (`Expected "]", got ","`), not by
/// jsonata-core's token names (`Expected RightBracket, got Comma`).
fn parser_message(error: &ParserError) -> String {
    match error {
        ParserError::Expected { expected, found } if found == "Eof" => {
            format!("S0203: Expected {} before end of expression", token_text(expected))
        }
        ParserError::Expected { expected, found } if expected != "parameter name" => {
            format!("S0202: Expected {}, got {}", token_text(expected), token_text(found))
        }
        ParserError::UnexpectedToken(token) if token.starts_with(char::is_alphabetic) && token != "Eof" => {
            format!(
                "S0211: The symbol {} cannot be used as a unary operator",
                token_text(token)
            )
        }
        other => crate::error::from_code(&other.to_string()).to_owned(),
    }
}

/// The text of a token, quoted, from the `Debug` name jsonata-core reports it by.
fn token_text(name: &str) -> String {
    let symbol = match name {
        "Plus" => "+",
        "Minus" => "-",
        "Star" => "*",
        "StarStar" => "**",
        "Slash" => "/",
        "Percent" => "%",
        "Equal" => "=",
        "NotEqual" => "!=",
        "LessThan" => "<",
        "LessThanOrEqual" => "<=",
        "GreaterThan" => ">",
        "GreaterThanOrEqual" => ">=",
        "And" => "and",
        "Or" => "or",
        "In" => "in",
        "Ampersand" => "&",
        "Dot" => ".",
        "DotDot" => "..",
        "Question" => "?",
        "QuestionQuestion" => "??",
        "QuestionColon" => "?:",
        "Colon" => ":",
        "ColonEqual" => ":=",
        "TildeArrow" => "~>",
        "LeftParen" => "(",
        "RightParen" => ")",
        "LeftBracket" => "[",
        "RightBracket" => "]",
        "LeftBrace" => "{",
        "RightBrace" => "}",
        "Comma" => ",",
        "Semicolon" => ";",
        "Caret" => "^",
        "Pipe" => "|",
        "Hash" => "#",
        "At" => "@",
        "True" => "true",
        "False" => "false",
        "Null" => "null",
        _ => {
            // `Identifier("a")`, `Variable("x")`, `String("s")`: the quoted payload; anything else as it is.
            let payload = |prefix: &str| name.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(')'));
            if let Some(inner) = payload("Identifier(").or_else(|| payload("String(")) {
                return inner.to_owned();
            }
            if let Some(inner) = payload("Variable(") {
                return format!("\"${}", inner.trim_start_matches('"'));
            }
            return name.to_owned();
        }
    };
    format!("\"{symbol}\"")
}

/// jsonata-core's error as ours. Its guardrail errors are renamed to what jsonata-js's own test harness (and, we
/// believe, AWS) reports for a runaway evaluation.
fn evaluation_error(error: EvaluatorError) -> Error {
    let message = crate::error::from_code(error.message());
    match crate::error::code_of(message) {
        Some("D1011") | Some("U1001") => Error::Evaluate(
            "U1001: Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive."
                .to_owned(),
        ),
        // jsonata-core names the callee (`…: $f`); jsonata-js and AWS do not.
        Some("T1006") => Error::Evaluate("T1006: Attempted to invoke a non-function".to_owned()),
        Some(_) => Error::Evaluate(message.to_owned()),
        // An uncoded message is jsonata-core's own wording; keep it, without its "Type error: " style prefix.
        None => Error::Evaluate(message.to_owned()),
    }
}
