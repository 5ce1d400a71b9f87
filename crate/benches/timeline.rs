//! What recording a span costs: `cargo bench -p async_walkthrough --bench timeline`.
//!
//! A step with no recording active should cost nothing measurable next to
//! the work it wraps; with a recording active, well under a microsecond.

use async_walkthrough::{record, row};
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
    let row = row(|| "unrecorded".into());
    bencher.bench_local(|| row.step(|| black_box(())));
}

/// A step recorded into an active recording.
#[divan::bench(sample_count = 1000, sample_size = 100)]
fn step_recording(bencher: divan::Bencher) {
    record("bench", || {
        let row = row(|| "recorded".into());
        bencher.bench_local(|| row.step(|| black_box(())));
    });
}
