//! Amazon States Language: the model of a state machine definition and the pure functions that give it meaning.
//!
//! Parsing and validation (`parse`), JSONPath and reference paths (`path`), payload templates (`template`), intrinsic
//! functions (`intrinsics`), Choice rules (`choice`), error matching (`failure`), and loading JSON or YAML source
//! text with positions (`source`). This crate does no I/O and reads no clock, randomness or environment: whatever
//! varies (the current time, random numbers) arrives as data through `Env`.

mod env;
mod failure;
mod guard;
mod scope;
mod suggest;

pub mod choice;
pub mod diagnostic;
pub mod expr;
pub mod intrinsics;
pub mod model;
pub mod parse;
pub mod path;
pub mod source;
pub mod template;

pub use diagnostic::{Diagnostic, Severity};
pub use env::{Env, NoVariables, Variables};
pub use failure::{Failure, errors};
pub use guard::{Cut, Entered, Guard, Watch};
pub use parse::parse;
