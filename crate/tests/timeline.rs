//! Recorded runs and their pictures, driven through the public API with
//! tokio's paused clock, so every span lands on an exact second.

use async_walkthrough::notebook::{capture, capture_future};
use async_walkthrough::prelude::*;
use async_walkthrough::timing::{SpanKind, record, record_future};
use std::time::Duration;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Gathers `find_users_async(n)` for each `n` under a recording titled
/// `title`, with the printed lines captured, and returns the timeline.
async fn recorded_searches(title: &str, ns: &[u32]) -> Timeline {
    let searches = gather(ns.iter().map(|&n| find_users_async(n)));
    let (_, timeline) = record_future(title, capture_future(searches)).await;
    timeline
}

/// `(start, end)` of each step of `task`, in seconds.
fn steps(timeline: &Timeline, task: &str) -> Vec<(Duration, Duration)> {
    timeline
        .spans_of(task)
        .filter(|span| span.kind == SpanKind::Step)
        .map(|span| (span.start, span.end))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_recorded_async_run_has_its_steps_at_whole_seconds() {
    let (timeline, _lines) = capture_future(process_async()).await;
    assert_eq!(timeline.title, "process_async()");
    assert_eq!(timeline.total, secs(3));
    assert_eq!(timeline.tasks.len(), 3);
    assert_eq!(
        steps(&timeline, "find_users(3)"),
        [(secs(0), secs(1)), (secs(1), secs(2)), (secs(2), secs(3))]
    );
    assert_eq!(
        steps(&timeline, "find_users(2)"),
        [(secs(0), secs(1)), (secs(1), secs(2))]
    );
    assert_eq!(steps(&timeline, "find_users(1)"), [(secs(0), secs(1))]);
    let calls: Vec<_> = timeline
        .spans
        .iter()
        .filter(|s| s.kind == SpanKind::Call)
        .map(|s| (&*s.task, s.end))
        .collect();
    assert_eq!(
        calls,
        [
            ("find_users(1)", secs(1)),
            ("find_users(2)", secs(2)),
            ("find_users(3)", secs(3))
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn gathered_searches_record_one_row_each_in_input_order() {
    let timeline = recorded_searches("gather", &[1, 2]).await;
    assert_eq!(
        timeline.tasks.iter().map(|t| &**t).collect::<Vec<_>>(),
        ["find_users(1)", "find_users(2)"]
    );
    assert_eq!(timeline.total, secs(2));
}

#[test]
fn a_recorded_sync_run_puts_steps_end_to_end() {
    let (_, timeline) = record("sync", || capture(|| find_users_sync(2)));
    let steps = steps(&timeline, "find_users(2)");
    assert_eq!(steps.len(), 2);
    assert!(
        steps[0].1 <= steps[1].0,
        "the second step starts after the first ends: {steps:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_svg_has_one_row_per_task_and_one_bar_per_step() {
    let timeline = recorded_searches("process", &[3, 2, 1]).await;
    let svg = timeline.to_svg();
    assert!(svg.starts_with("<svg"), "{svg}");
    for task in ["find_users(3)", "find_users(2)", "find_users(1)"] {
        assert_eq!(
            svg.matches(&format!(">\n{task}\n</text>")).count(),
            1,
            "one label for {task}"
        );
    }
    // Below the white background, steps are solid bars and calls pale bands.
    let bars = |opacity: &str| {
        svg.lines()
            .filter(|line| line.starts_with("<rect") && !line.starts_with(r#"<rect x="0" y="0""#))
            .filter(|line| line.contains(&format!(r#"opacity="{opacity}""#)))
            .count()
    };
    assert_eq!(bars("1"), 6, "one solid bar per step (3 + 2 + 1)");
    assert_eq!(bars("0.2"), 3, "one pale band per call");
    assert!(svg.contains("process: 3.0 s"));
}

#[tokio::test(start_paused = true)]
async fn the_text_timeline_shows_overlap() {
    let timeline = recorded_searches("process", &[2, 1]).await;
    assert_eq!(
        timeline.to_text(),
        [
            "process: 2.0 s",
            "find_users(2) |██████████████████████████████▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒",
            "find_users(1) |██████████████████████████████",
            "              |0s                            1s                            2s",
        ]
        .join("\n")
    );
}

/// A loaded machine wakes a timer late, never early: a step of 0.2 s that
/// ends 60 ms late still draws as 0.2 s.
#[tokio::test(start_paused = true)]
async fn a_step_that_ends_late_but_within_a_tenth_draws_as_its_own_length() {
    let ((), timeline) = record_future("late", async {
        let row = Row::start("b");
        row.step_future(tokio::time::sleep(Duration::from_millis(260)))
            .await;
    })
    .await;
    let text = timeline.to_text();
    assert_eq!(text.lines().next(), Some("late: 0.2 s"), "{text}");
    assert!(timeline.to_svg().contains("late: 0.2 s"));
}

#[test]
fn an_empty_recording_renders_a_labelled_empty_chart() {
    let ((), timeline) = record("nothing", || ());
    assert!(timeline.spans.is_empty());
    let svg = timeline.to_svg();
    assert!(svg.contains("nothing: no spans recorded"), "{svg}");
    assert_eq!(
        timeline.to_text().lines().next(),
        Some("nothing: no spans recorded")
    );
}

/// A chart with a single row draws its bars with a positive height.
#[tokio::test(start_paused = true)]
async fn a_one_row_chart_draws_its_bars() {
    let timeline = recorded_searches("one search", &[2]).await;
    let svg = timeline.to_svg();
    let heights: Vec<f64> = svg
        .split("<rect")
        .skip(2) // before the first rect, and the background
        .filter_map(|rect| {
            let after = rect.split("height=\"").nth(1)?;
            after.split('"').next()?.parse().ok()
        })
        .collect();
    assert_eq!(heights.len(), 3, "one call band and two steps: {svg}");
    assert!(heights.iter().all(|&height| height > 0.0), "{heights:?}");
    assert!(svg.contains("find_users(2)"), "the row is labelled");
}
