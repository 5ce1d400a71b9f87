//! The recording's own rules: inert rows outside a recording, rows carried
//! across tasks and threads and their order, spans of steps and calls.

use super::*;

#[tokio::test(start_paused = true)]
async fn rows_outside_a_recording_record_nothing_and_name_nothing() {
    struct Named<'a>(&'a std::cell::Cell<bool>);
    impl fmt::Display for Named<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.set(true);
            f.write_str("unused")
        }
    }
    let named = std::cell::Cell::new(false);
    let row = Row::start(Named(&named));
    row.step_future(tokio::time::sleep(Duration::from_secs(1)))
        .await;
    assert!(!named.get());
}

#[tokio::test(start_paused = true)]
async fn a_row_moved_into_a_spawned_task_records_into_its_recording() {
    let ((), timeline) = record_future("spawned", async {
        let row = Row::start("child");
        let child = tokio::spawn(async move {
            row.step_future(tokio::time::sleep(Duration::from_secs(2)))
                .await;
        });
        child.await.expect("the child task finishes");
    })
    .await;
    let steps: Vec<_> = timeline.spans_of("child").collect();
    assert_eq!(steps.len(), 2, "one step and the call");
    assert_eq!(steps[0].kind, SpanKind::Step);
    assert_eq!(
        (steps[0].start, steps[0].end),
        (Duration::ZERO, Duration::from_secs(2))
    );
}

#[test]
fn a_carried_thread_records_into_the_recording() {
    let ((), timeline) = record("threads", || {
        std::thread::scope(|scope| {
            scope.spawn(carry_thread(|| Row::start("on a thread").step().end()));
        });
    });
    assert_eq!(timeline.tasks, [Arc::from("on a thread")]);
}

/// The first thread starts its row last, yet its row comes first: rows
/// of carried closures sort by where the closures were wrapped.
#[test]
fn carried_threads_keep_their_rows_in_the_order_they_were_wrapped() {
    let ((), timeline) = record("threads", || {
        let before = Row::start("before");
        std::thread::scope(|scope| {
            let (first_may_start, go) = std::sync::mpsc::channel::<()>();
            let first = carry_thread(move || {
                go.recv().expect("the second thread signals");
                drop(Row::start("first"));
            });
            let second = carry_thread(move || {
                drop(Row::start("second"));
                drop(Row::start("second, again"));
                first_may_start.send(()).expect("the first thread waits");
            });
            scope.spawn(first);
            scope.spawn(second);
        });
        drop(before);
        drop(Row::start("after"));
    });
    let tasks: Vec<&str> = timeline.tasks.iter().map(|task| &**task).collect();
    assert_eq!(
        tasks,
        ["before", "first", "second", "second, again", "after"]
    );
}

/// Tasks spawned in order keep their rows in that order, whichever is
/// polled first.
#[tokio::test(start_paused = true)]
async fn carried_tasks_record_in_the_order_they_were_wrapped() {
    let ((), timeline) = record_future("tasks", async {
        let late = carry(async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Row::start("wrapped first").step().end();
        });
        let early = carry(async { Row::start("wrapped second").step().end() });
        let late = tokio::spawn(late);
        let early = tokio::spawn(early);
        early.await.expect("the task finishes");
        late.await.expect("the task finishes");
    })
    .await;
    let tasks: Vec<&str> = timeline.tasks.iter().map(|task| &**task).collect();
    assert_eq!(tasks, ["wrapped first", "wrapped second"]);
}

#[test]
fn rows_of_the_same_name_are_one_row() {
    let ((), timeline) = record("twice", || {
        Row::start("call").step().end();
        Row::start("other");
        Row::start("call").step().end();
    });
    assert_eq!(timeline.tasks, [Arc::from("call"), Arc::from("other")]);
    let steps = timeline.spans_of("call");
    assert_eq!(steps.filter(|span| span.kind == SpanKind::Step).count(), 2);
}

#[test]
fn steps_record_when_ended_and_the_call_when_dropped() {
    let ((), timeline) = record("sync", || {
        let row = Row::start("work");
        row.step().end();
        let _dropped = row.step();
    });
    assert_eq!(timeline.tasks, [Arc::from("work")]);
    let kinds: Vec<_> = timeline.spans.iter().map(|span| span.kind).collect();
    assert_eq!(kinds, [SpanKind::Step, SpanKind::Call]);
}
