//! What recording a span costs: `cargo bench -p async_walkthrough --bench timeline`.
//!
//! A step with no recording active should cost nothing measurable next to
//! the work it wraps; with a recording active, well under a microsecond.

use async_walkthrough::timing::{Row, record};
use std::hint::black_box;

fn main() {
    divan::main();
}

/// The bare work, for comparison.
#[divan::bench]
fn step_work_alone() {
    black_box(());
}

/// A step on a row created outside any recording.
#[divan::bench]
fn step_not_recording(bencher: divan::Bencher) {
    let row = Row::start("unrecorded");
    bencher.bench_local(|| {
        let step = row.step();
        black_box(());
        step.end();
    });
}

/// A step recorded into an active recording.
#[divan::bench(sample_count = 1000, sample_size = 100)]
fn step_recording(bencher: divan::Bencher) {
    record("bench", || {
        let row = Row::start("recorded");
        bencher.bench_local(|| {
            let step = row.step();
            black_box(());
            step.end();
        });
    });
}
