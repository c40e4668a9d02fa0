//! The log: the library crates' `tracing` events as lines on stderr, filtered by `BATON_LOG`.
//!
//! `BATON_LOG` takes `tracing_subscriber`'s target directives: a level (`info`, the default, with `aws_config=error`), or a default level and
//! per-crate levels (`warn,integrations=debug`), or `off`. The library crates log what no caller sees otherwise: a
//! local function's stderr (`integrations`, at `info`, with the execution and state), a step that failed to commit
//! or panicked (`runtime`, at `error`), an internal failure behind an API error (`server`, at `error`). The CLI's
//! own messages (`baton run`'s progress and result, `baton serve`'s address) are not log events: they stay plain.

#[cfg(test)]
mod tests;

use anyhow::Context;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The environment variable that sets what is logged.
pub(crate) const VARIABLE: &str = "BATON_LOG";

/// What is logged when `BATON_LOG` is unset or empty: `info`, but only errors from `aws-config`, whose search for a
/// region and credentials warns about every source it tries (instance metadata on a laptop) before Baton's default.
pub(crate) const DEFAULT: &str = "info,aws_config=error";

/// Installs the subscriber, reading `BATON_LOG`. A value that does not parse is an error naming it.
pub(crate) fn init() -> anyhow::Result<()> {
    let spec = std::env::var(VARIABLE).ok().filter(|spec| !spec.trim().is_empty());
    let filter = filter(spec.as_deref().unwrap_or(DEFAULT))?;
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    tracing_subscriber::registry().with(lines).with(filter).try_init().context("cannot install the log")
}

/// Parses a `BATON_LOG` value.
pub(crate) fn filter(spec: &str) -> anyhow::Result<Targets> {
    spec.trim().parse().map_err(|err| anyhow::anyhow!("invalid {VARIABLE} `{spec}`: {err}"))
}
