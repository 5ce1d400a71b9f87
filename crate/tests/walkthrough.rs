//! The post's workloads, driven through the public API with tokio's paused
//! clock: the printed lines and the reported times are checked exactly.

use async_walkthrough::notebook::{capture, capture_future, describe_future};
use async_walkthrough::prelude::*;
use async_walkthrough::timing::time_future;
use std::time::Duration;

/// What asyncio.gather prints for `find_users_async(n)` for each `n` in `ns`:
/// every task prints line `i` at second `i - 1` and its total at second `n`;
/// lines due at the same second come in the order the tasks were passed.
fn asyncio_order(ns: &[u32]) -> Vec<String> {
    let mut events = Vec::new();
    for (task, &n) in ns.iter().enumerate() {
        for i in 1..=n {
            let line = format!("{i}th user is being searched out of {n} people...");
            events.push((i - 1, task, line));
        }
        events.push((n, task, format!("Total {n} people have been searched!")));
    }
    events.sort_by_key(|(second, task, _)| (*second, *task));
    events.into_iter().map(|(_, _, line)| line).collect()
}

#[tokio::test(start_paused = true)]
async fn process_async_prints_the_posts_interleaving_in_three_seconds() {
    let (_, lines) = capture_future(process_async()).await;
    // CPython's output for the post's `await process_async()`, from the
    // reference notebook, with our corrected label and the paused clock's time.
    let expected = [
        "1th user is being searched out of 3 people...",
        "1th user is being searched out of 2 people...",
        "1th user is being searched out of 1 people...",
        "2th user is being searched out of 3 people...",
        "2th user is being searched out of 2 people...",
        "Total 1 people have been searched!",
        "3th user is being searched out of 3 people...",
        "Total 2 people have been searched!",
        "Total 3 people have been searched!",
        " >>> total time taken for async process: 3.0",
    ];
    assert_eq!(lines, expected);
}

#[tokio::test(start_paused = true)]
async fn gathered_searches_interleave_as_asyncio_for_any_sizes() {
    let cases: &[&[u32]] = &[
        &[3, 2, 1],
        &[1, 2, 3],
        &[2, 2],
        &[4],
        &[1, 5, 1, 3],
        &[0, 2],
    ];
    for ns in cases {
        let (_, lines) = capture_future(gather(ns.iter().map(|&n| find_users_async(n)))).await;
        assert_eq!(lines, asyncio_order(ns), "gathering {ns:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn find_users_async_takes_one_second_per_user() {
    let (((), took), lines) = capture_future(time_future(find_users_async(2))).await;
    assert_eq!(took, Duration::from_secs(2));
    assert_eq!(
        lines,
        [
            "1th user is being searched out of 2 people...",
            "2th user is being searched out of 2 people...",
            "Total 2 people have been searched!",
        ]
    );
}

#[test]
fn find_users_sync_prints_each_step_then_the_total() {
    let ((), lines) = capture(|| find_users_sync(1));
    assert_eq!(
        lines,
        [
            "1th user is being searched out of 1 people...",
            "Total 1 people have been searched!",
        ]
    );
}

/// Runs the real six blocking seconds; only the lines are checked here, the
/// time is measured by the notebook and the benchmark.
#[test]
fn process_sync_runs_the_searches_one_after_another() {
    let (_, lines) = capture(process_sync);
    let one_after_another = [3, 2, 1].iter().flat_map(|&n| asyncio_order(&[n]));
    assert_eq!(lines[..9], one_after_another.collect::<Vec<_>>());
    assert!(
        lines[9].starts_with(" >>> total time taken for sync process: 6."),
        "{}",
        lines[9]
    );
    assert_eq!(lines.len(), 10);
}

#[test]
fn a_future_does_nothing_until_awaited() {
    let ((), lines) = capture(|| {
        let never_awaited = process_async();
        describe_future(&never_awaited);
    });
    assert!(lines.is_empty());
}
