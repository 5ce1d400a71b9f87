//! Concurrency is not parallelism: CPU-bound work on one task and on many.
//!
//! A future only lets others run while it waits. A busy loop never waits, so
//! gathering several of them on one task runs them one after another: the
//! total is the sum of the parts, exactly as in the sync run. Spawned as
//! separate tasks onto the multi-thread runtime they can run on different
//! cores at the same time. Notebook 02's cells run [`busy_work`] both ways
//! and time them with [`fastest_of`](crate::timing::fastest_of).

use crate::mix::{splitmix64, splitmix64_next};
use std::hint::black_box;

/// A fixed, deterministic busy loop: `rounds` steps of the splitmix64 mixer,
/// seeded with `seed`. The result depends on every step, and `black_box`
/// keeps the optimiser from skipping any, so the time it takes is the work.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// let mixed = busy_work(7, 1_000);
/// assert_eq!(mixed, busy_work(7, 1_000), "the same work, the same result");
/// assert_ne!(mixed, busy_work(8, 1_000));
/// ```
pub fn busy_work(seed: u64, rounds: u64) -> u64 {
    let mut state = seed;
    let mut mixed = 0;
    for _ in 0..rounds {
        mixed ^= black_box(splitmix64(state));
        state = splitmix64_next(state);
    }
    mixed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_work_is_deterministic_and_depends_on_its_inputs() {
        assert_eq!(busy_work(1, 1000), busy_work(1, 1000));
        assert_ne!(busy_work(1, 1000), busy_work(2, 1000));
        assert_ne!(busy_work(1, 1000), busy_work(1, 1001));
        assert_eq!(busy_work(7, 0), 0);
    }
}
