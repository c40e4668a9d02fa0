//! Integration tests of the `baton` binary: the conformance corpus, and the CLI contract.

mod cli;
mod conformance;
mod fuzzy;
