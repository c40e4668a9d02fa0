//! Integration tests of the `baton` binary: the conformance corpus, the CLI contract, `baton test`, `baton serve` end to
//! end, and its web console in headless Chromium.

mod access;
mod aws_cli;
mod aws_services;
mod baton_test;
mod bench_histories;
mod cdp;
mod cli;
mod conformance;
mod designer;
mod events;
mod console;
mod execution_log;
mod faults;
mod fuzzy;
mod metrics;
mod nodes;
mod received;
mod serve;
mod tls;
mod traces;
mod warm;
mod watch;
