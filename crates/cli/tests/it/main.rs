//! Integration tests of the `baton` binary: the conformance corpus, the CLI contract, and `baton serve` end to end.

mod aws_cli;
mod cli;
mod conformance;
mod fuzzy;
mod serve;
