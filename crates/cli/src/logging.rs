//! The log: the library crates' `tracing` events as lines on stderr (`--log-format text`, or `json`: one object per
//! line, with the event's fields and its spans'), filtered by `--log-level`, else `BATON_LOG`, else `RUST_LOG`.
//!
//! Each takes `tracing_subscriber`'s target directives: a level (`info`, the default, with `aws_config=error`), or a default level and
//! per-crate levels (`warn,integrations=debug`), or `off`. The library crates log what no caller sees otherwise: a
//! local function's stderr (`integrations`, at `info`, with the execution and state), a step that failed to commit
//! or panicked (`runtime`, at `error`), an internal failure behind an API error (`server`, at `error`). The CLI's
//! own messages (`baton run`'s progress and result) are not log events: they stay plain. `baton serve`'s notices (where
//! it listens, what it reloaded: `say!`) are plain `baton: …` lines, or info events with `--log-format json`, so that
//! every line a server writes is JSON then.

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

/// The format `init` installed.
static FORMAT: std::sync::OnceLock<Format> = std::sync::OnceLock::new();

/// Writes one of the CLI's notices: `baton: <message>` on stderr, or with `--log-format json` an info event of target
/// `baton` whose message is the same text.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::logging::notice(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// `say!`'s work.
pub(crate) fn notice(message: std::fmt::Arguments<'_>) {
    if FORMAT.get() == Some(&Format::Json) {
        tracing::info!(target: "baton", "{message}");
    } else {
        eprintln!("baton: {message}");
    }
}

/// Writes the error a command ended with: `error: …` on stderr, or with `--log-format json` an error event of target
/// `baton`.
pub(crate) fn failed(error: &anyhow::Error) {
    if FORMAT.get() == Some(&Format::Json) {
        tracing::error!(target: "baton", "{error:#}");
    } else {
        eprintln!("error: {error:#}");
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One line per event for people: time, level, target, message and fields.
    Text,
    /// One JSON object per event: `timestamp`, `level`, `target`, `fields` (the message among them) and `spans`.
    Json,
}

/// Installs the subscriber: `level` (`--log-level`), else `BATON_LOG`, else `RUST_LOG`, else `DEFAULT`. A value that
/// does not parse is an error naming where it came from.
pub(crate) fn init(format: Format, level: Option<&str>) -> anyhow::Result<()> {
    let (source, spec) = chosen(level, |name| std::env::var(name).ok());
    let filter = filter(&spec).with_context(|| format!("in {source}"))?;
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match format {
        Format::Text => registry.with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr)).try_init(),
        Format::Json => registry
            .with(tracing_subscriber::fmt::layer().json().with_current_span(true).with_span_list(true).with_writer(std::io::stderr))
            .try_init(),
    };
    installed.context("cannot install the log")?;
    let _ = FORMAT.set(format);
    Ok(())
}

/// Where the filter comes from and what it says: the flag, else the first of `BATON_LOG` and `RUST_LOG` that is set
/// and not empty (read through `var`), else `DEFAULT`.
pub(crate) fn chosen(level: Option<&str>, var: impl Fn(&str) -> Option<String>) -> (&'static str, String) {
    if let Some(level) = level {
        return ("--log-level", level.to_owned());
    }
    for name in [VARIABLE, "RUST_LOG"] {
        if let Some(spec) = var(name).filter(|spec| !spec.trim().is_empty()) {
            return (if name == VARIABLE { VARIABLE } else { "RUST_LOG" }, spec);
        }
    }
    ("the default", DEFAULT.to_owned())
}

/// Parses a `BATON_LOG` value.
pub(crate) fn filter(spec: &str) -> anyhow::Result<Targets> {
    spec.trim().parse().map_err(|err| anyhow::anyhow!("invalid log filter `{spec}`: {err}"))
}
