//! Tests of `BATON_LOG` parsing.

use tracing_subscriber::filter::LevelFilter;

use crate::logging::{DEFAULT, filter};

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
    assert!(format!("{error:#}").starts_with("invalid BATON_LOG `integrations=loud`: "), "{error:#}");
}
