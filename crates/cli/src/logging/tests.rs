//! Tests of `BATON_LOG` parsing.

use tracing_subscriber::filter::LevelFilter;

use crate::logging::{DEFAULT, chosen, filter};

/// The most verbose level `spec` enables for events of `target`.
#[track_caller]
fn level(spec: &str, target: &str) -> LevelFilter {
    let targets = filter(spec).unwrap_or_else(|err| panic!("{err:#}"));
    [LevelFilter::TRACE, LevelFilter::DEBUG, LevelFilter::INFO, LevelFilter::WARN, LevelFilter::ERROR]
        .into_iter()
        .find(|level| level.into_level().is_some_and(|level| targets.would_enable(target, &level)))
        .unwrap_or(LevelFilter::OFF)
}

#[test]
fn levels_and_directives() {
    assert_eq!(level(DEFAULT, "integrations::functions"), LevelFilter::INFO);
    assert_eq!(level(" debug ", "runtime::service::actor"), LevelFilter::DEBUG);
    assert_eq!(level("off", "runtime::service::actor"), LevelFilter::OFF);
    assert_eq!(level("warn,integrations=debug", "integrations::functions"), LevelFilter::DEBUG);
    assert_eq!(level("warn,integrations=debug", "runtime::service::actor"), LevelFilter::WARN);
}

#[test]
fn a_bad_value_is_an_error_naming_it() {
    let error = filter("integrations=loud").expect_err("not a level");
    assert!(format!("{error:#}").starts_with("invalid log filter `integrations=loud`: "), "{error:#}");
}

#[test]
fn the_flag_wins_then_baton_log_then_rust_log() {
    let env = |baton: Option<&str>, rust: Option<&str>| {
        let (baton, rust) = (baton.map(str::to_owned), rust.map(str::to_owned));
        move |name: &str| if name == "BATON_LOG" { baton.clone() } else if name == "RUST_LOG" { rust.clone() } else { None }
    };
    assert_eq!(chosen(Some("debug"), env(Some("warn"), Some("error"))), ("--log-level", "debug".to_owned()));
    assert_eq!(chosen(None, env(Some("warn"), Some("error"))), ("BATON_LOG", "warn".to_owned()));
    assert_eq!(chosen(None, env(Some(" "), Some("error"))), ("RUST_LOG", "error".to_owned()));
    assert_eq!(chosen(None, env(None, None)), ("the default", DEFAULT.to_owned()));
}
