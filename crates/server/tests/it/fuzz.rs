//! Bounded fuzzers of bad input: mutated API requests through the real router (`requests`), and mutated definitions
//! through `asl::parse` and a short run of the engine (`definitions`).
//!
//! Both start from valid inputs and break them with a small seeded mutator (`mutate`): wrong types, huge and deeply
//! nested values, invalid UTF-8, odd names and ARNs, missing and unknown members, broken JSON inside JSON strings.
//! They run a fixed number of cases from a fixed seed, so `cargo test` stays fast and every failure reproduces;
//! `BATON_FUZZ_CASES=N` runs N cases of each instead (`BATON_FUZZ_CASES=20000 cargo test -p server --test it fuzz::`),
//! and `BATON_FUZZ_SEED=S` starts from another seed. A failure names its seed and case.

mod definitions;
mod mutate;
mod requests;
mod shapes;

/// How many cases to run and from which seed: `default_cases` and a fixed seed, unless the environment says.
pub(crate) struct Budget {
    pub(crate) cases: usize,
    pub(crate) seed: u64,
}

impl Budget {
    pub(crate) fn from_env(default_cases: usize) -> Budget {
        let var = |name: &str| std::env::var(name).ok().and_then(|text| text.trim().parse::<u64>().ok());
        let cases = var("BATON_FUZZ_CASES").and_then(|n| usize::try_from(n).ok()).unwrap_or(default_cases);
        Budget { cases, seed: var("BATON_FUZZ_SEED").unwrap_or(0xBA70_F022) }
    }
}

/// A small deterministic generator (SplitMix64): the fuzzers' only source of randomness.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { usize::try_from(self.next() % n as u64).unwrap_or(0) }
    }

    /// True once in `n` times.
    pub(crate) fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let index = self.below(items.len());
        &items[index]
    }
}
