//! Valid generated definitions run to their end without panicking, with well-formed histories.
//!
//! Two properties, because a generated machine may loop forever without waiting (`Choice` → `Pass` → `Choice`), in
//! which `runtime::run` would never return. Machines whose transitions only go forward (`Transitions::Forward`) end
//! after finitely many steps (retries are capped at three attempts, Map items at the input's and intrinsics' sizes,
//! waits cost nothing in virtual time), so they go through `runtime::run` with `Clock::Virtual` and mocked tasks,
//! as `baton run` would run them. Machines with any transitions, cycles included, go through the bounded engine
//! driver of `driver`, which also checks that replaying the recorded triggers gives the same history.

use std::sync::Arc;

use proptest::collection::vec;
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::sample::select;

use engine::Limits;
use integrations::mock::MockConfig;
use runtime::{Clock, Options, Resources};

use crate::arb;
use crate::definition::{self, Transitions};
use crate::driver::{self, Script};

/// Limits, with payloads of at most `max_payload_bytes`.
fn limits(max_payload_bytes: &'static [usize]) -> impl Strategy<Value = Limits> {
    (
        select(max_payload_bytes),
        select(&[40usize, 1, 2][..]),
        select(&[1000usize, 2][..]),
    )
        .prop_map(
            |(max_payload_bytes, inline_map_concurrency, distributed_map_concurrency)| Limits {
                max_payload_bytes,
                inline_map_concurrency,
                distributed_map_concurrency,
                ..Limits::default()
            },
        )
}

proptest! {
    #![proptest_config(crate::config(48))]

    /// Forward-only machines run through `runtime::run` with a virtual clock and mocked tasks until they end.
    #[test]
    fn forward_machines_end(
        machine in definition::machine(),
        input in arb::input(),
        mocks in vec(weighted(0.8, vec((0u8..3, definition::outcome()), 1..4)), 1..5),
        limits in limits(&[262_144, 300]),
        express in any::<bool>(),
    ) {
        let built = definition::build(&machine, Transitions::Forward);
        let Ok(parsed) = asl::parse::parse_value(&built.definition) else { return Ok(()) };
        let config_json = definition::mock_config("Fuzz", "Case", &built.tasks, &mocks);
        let config = MockConfig::from_value(&config_json).map_err(|e| TestCaseError::fail(format!("bad mock config: {e}")))?;
        let resources = Resources { mocks: config.test_case("Fuzz", "Case"), ..Resources::default() };
        let options = Options {
            clock: Clock::Virtual,
            limits,
            resources: Arc::new(resources),
            progress: None,
            keep_history: true,
            max_evaluation_ms: 0,
        };
        let case = || format!("definition {}\ninput {input}\nmock config {config_json}", built.definition);
        let execution = catch(case, || runtime::run(Arc::new(parsed), driver::info(express), input.clone(), options))?;
        driver::check_ended(&execution).map_err(|problem| TestCaseError::fail(format!("{problem}\n{}", case())))?;
    }

    /// Machines with any transitions, loops included, end under the bounded driver, and replay to the same history.
    #[test]
    fn any_machines_end_and_replay(
        machine in definition::machine(),
        input in arb::input(),
        outcomes in vec(definition::outcome(), 1..6),
        coins in vec(any::<bool>(), 1..12),
        slice in 1usize..200,
        limits in limits(&[262_144, 2_048, 300]),
    ) {
        let built = definition::build(&machine, Transitions::Any);
        let Ok(parsed) = asl::parse::parse_value(&built.definition) else { return Ok(()) };
        let parsed = Arc::new(parsed);
        let script = Script { limits: limits.clone(), slice, max_applies: 300, outcomes: &outcomes, coins: &coins };
        let case = || format!("definition {}\ninput {input}", built.definition);
        let driven = catch(case, || driver::drive(parsed.clone(), input.clone(), &script))?;
        prop_assert!(!driven.stuck, "the execution waits for nothing: {:?}\n{}", driven.execution.history().last(), case());
        driver::check_ended(&driven.execution).map_err(|problem| TestCaseError::fail(format!("{problem}\n{}", case())))?;
        let history = driven.execution.history();
        prop_assert!(history.windows(2).all(|w| w[0].timestamp <= w[1].timestamp), "time went backwards");
        let replayed = driver::replay(parsed, limits, slice, &driven.triggers);
        prop_assert_eq!(replayed.history(), history);
        prop_assert_eq!(replayed.status(), driven.execution.status());
    }
}

/// Runs `f`, turning a panic into a test failure that shows the case as JSON (`case()`), which is easier to read and
/// to turn into a regression test than the generator's raw values.
fn catch<T>(case: impl Fn() -> String, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        TestCaseError::fail(format!("panicked: {message}\n{}", case()))
    })
}
