//! Development tasks for the workspace, in Rust rather than shell: today the tidy checks.
//!
//! `tidy` checks the architecture invariants and the hygiene rules on the sources and manifests of every crate;
//! `cargo test -p xtask` runs it on this workspace (its test `tidy::tests::workspace_is_tidy`), and its other tests
//! plant a violation of each rule to show that the rule catches it. `lexer` is the small Rust lexer the rules read
//! tokens with. This crate reads files; it is never a dependency of the product.

pub mod lexer;
pub mod tidy;
