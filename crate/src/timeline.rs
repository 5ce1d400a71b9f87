//! Recording what each task did when, so a run can be drawn as a timeline.
//!
//! The post shows that three searches overlap with two numbers, 6 s and 3 s.
//! A timeline shows it at a glance: one row per task, one bar per step.
//!
//! Recording is opt-in. [`record`] (for sync code) and [`record_future`] (for a
//! future, followed across `.await` and threads) start a recording; while it
//! runs, work instrumented with a [`Row`] adds spans to it. With no recording
//! active, [`row`] returns an inert handle and every step costs one
//! thread-local read. A row captures its recording when created, so its spans
//! land in the right place from whatever thread they finish on; a spawned task
//! joins its parent's recording by being wrapped in [`carry`].
//!
//! [`process_sync`](crate::process_sync) and
//! [`process_async`](crate::process_async) record themselves and return their
//! timeline, so a notebook cell can keep it (`let sync_run: Timeline = process_sync();`)
//! and the next cell can draw it. (A static "last run" would not do: evcxr
//! links a fresh copy of a dependency into every cell, statics included.)

use crate::timeline_chart::{text_timeline, timeline_svg};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

thread_local! {
    /// The recording that rows created on this thread join, if any.
    static CURRENT: RefCell<Option<Arc<Recorder>>> = const { RefCell::new(None) };
}

/// What a span covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// A whole call, such as one `find_users_async(3)`, from start to end.
    Call,
    /// One unit of work inside a call, such as one user search.
    Step,
}

/// One recorded interval, relative to the start of the recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The row (task) it belongs to, such as `find_users(3)`.
    pub task: Arc<str>,
    /// Whether it covers a whole call or one step.
    pub kind: SpanKind,
    /// When it began, from the start of the recording.
    pub start: Duration,
    /// When it ended, from the start of the recording.
    pub end: Duration,
}

/// A finished recording: its spans, in the order their rows were created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// What was recorded, such as `process_async()`.
    pub title: String,
    /// Row names in the order the rows were created.
    pub tasks: Vec<Arc<str>>,
    /// Every span, in the order it finished.
    pub spans: Vec<Span>,
    /// From the start of the recording to its end.
    pub total: Duration,
}

impl Timeline {
    /// The spans of one row, in the order they finished.
    pub fn spans_of<'a>(&'a self, task: &'a str) -> impl Iterator<Item = &'a Span> + 'a {
        self.spans.iter().filter(move |span| &*span.task == task)
    }

    /// An SVG picture: one row per task, one bar per step, time in seconds.
    pub fn to_svg(&self) -> String {
        timeline_svg(self)
    }

    /// The same picture in text, for terminals and plain viewers.
    pub fn to_text(&self) -> String {
        text_timeline(self)
    }

    /// Shows the timeline as a picture, with the text form as a fallback.
    pub fn evcxr_display(&self) {
        crate::display::emit_to_notebook(&[
            ("image/svg+xml", &self.to_svg()),
            ("text/plain", &self.to_text()),
        ]);
    }
}

struct Recorder {
    started: Instant,
    tasks: Mutex<Vec<Arc<str>>>,
    spans: Mutex<Vec<Span>>,
}

impl Recorder {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            tasks: Mutex::new(Vec::new()),
            spans: Mutex::new(Vec::new()),
        })
    }

    fn push(&self, task: &Arc<str>, kind: SpanKind, start: Instant) {
        let span = Span {
            task: Arc::clone(task),
            kind,
            start: start - self.started,
            end: self.started.elapsed(),
        };
        lock(&self.spans).push(span);
    }

    fn finish(&self, title: String) -> Timeline {
        Timeline {
            title,
            tasks: lock(&self.tasks).clone(),
            spans: lock(&self.spans).clone(),
            total: self.started.elapsed(),
        }
    }
}

/// A lock that survives a panic in another holder: a span list cannot be left
/// half-written by one.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` with `recorder` as this thread's recording, restoring the
/// previous one afterwards.
fn with_recorder<R>(recorder: Option<Arc<Recorder>>, work: impl FnOnce() -> R) -> R {
    let outer = CURRENT.replace(recorder);
    let result = work();
    CURRENT.set(outer);
    result
}

/// Records the spans of `work` and returns its result with the timeline.
pub fn record<R>(title: impl Into<String>, work: impl FnOnce() -> R) -> (R, Timeline) {
    let recorder = Recorder::new();
    let result = with_recorder(Some(Arc::clone(&recorder)), work);
    (result, recorder.finish(title.into()))
}

/// Records the spans of a future; resolves to its output and the timeline.
pub fn record_future<F: Future>(title: impl Into<String>, future: F) -> RecordedFuture<F> {
    RecordedFuture {
        inner: Box::pin(future),
        recorder: Recorder::new(),
        title: Some(title.into()),
    }
}

/// The future returned by [`record_future`].
pub struct RecordedFuture<F> {
    inner: Pin<Box<F>>,
    recorder: Arc<Recorder>,
    title: Option<String>,
}

impl<F: Future> Future for RecordedFuture<F> {
    type Output = (F::Output, Timeline);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let recorder = Some(Arc::clone(&this.recorder));
        match with_recorder(recorder, || this.inner.as_mut().poll(cx)) {
            Poll::Ready(output) => {
                let title = this.title.take().unwrap_or_default();
                Poll::Ready((output, this.recorder.finish(title)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Wraps a future so that it joins the recording active where it was created,
/// wherever it is later polled: use it for `tokio::spawn`ed work.
pub fn carry<F: Future>(future: F) -> CarriedFuture<F> {
    CarriedFuture {
        inner: Box::pin(future),
        recorder: CURRENT.with_borrow(Clone::clone),
    }
}

/// The future returned by [`carry`].
pub struct CarriedFuture<F> {
    inner: Pin<Box<F>>,
    recorder: Option<Arc<Recorder>>,
}

impl<F: Future> Future for CarriedFuture<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        with_recorder(this.recorder.clone(), || this.inner.as_mut().poll(cx))
    }
}

/// Wraps a closure so that it joins the recording active where it was
/// created, on whatever thread it later runs: use it for spawned threads, as
/// [`carry`] is used for spawned tasks.
pub fn carry_fn<R>(work: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let recorder = CURRENT.with_borrow(Clone::clone);
    move || with_recorder(recorder, work)
}

/// Starts a row of the active recording, named by `name` (called only when a
/// recording is active). The row's whole life becomes a [`SpanKind::Call`]
/// span when it is dropped.
pub fn row(name: impl FnOnce() -> String) -> Row {
    let recorder = CURRENT.with_borrow(Clone::clone);
    Row {
        live: recorder.map(|recorder| {
            let task: Arc<str> = name().into();
            lock(&recorder.tasks).push(Arc::clone(&task));
            LiveRow {
                recorder,
                task,
                started: Instant::now(),
            }
        }),
    }
}

/// One task's row in a recording; inert when nothing is being recorded.
pub struct Row {
    live: Option<LiveRow>,
}

struct LiveRow {
    recorder: Arc<Recorder>,
    task: Arc<str>,
    started: Instant,
}

impl Row {
    /// Runs `work` as one step of this row. Outside a recording it only runs
    /// `work`: not even the clock is read.
    pub fn step<R>(&self, work: impl FnOnce() -> R) -> R {
        let Some(live) = &self.live else {
            return work();
        };
        let started = Instant::now();
        let result = work();
        live.recorder.push(&live.task, SpanKind::Step, started);
        result
    }

    /// Awaits `future` as one step of this row.
    pub async fn step_future<F: Future>(&self, future: F) -> F::Output {
        let Some(live) = &self.live else {
            return future.await;
        };
        let started = Instant::now();
        let output = future.await;
        live.recorder.push(&live.task, SpanKind::Step, started);
        output
    }
}

impl Drop for Row {
    fn drop(&mut self) {
        if let Some(live) = &self.live {
            live.recorder.push(&live.task, SpanKind::Call, live.started);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rows_outside_a_recording_record_nothing_and_name_nothing() {
        let named = std::cell::Cell::new(false);
        let row = row(|| {
            named.set(true);
            "unused".into()
        });
        row.step_future(tokio::time::sleep(Duration::from_secs(1)))
            .await;
        assert!(!named.get());
    }

    #[tokio::test(start_paused = true)]
    async fn a_carried_spawned_task_records_into_its_parents_recording() {
        let ((), timeline) = record_future("spawned", async {
            let child = tokio::spawn(carry(async {
                let row = row(|| "child".into());
                row.step_future(tokio::time::sleep(Duration::from_secs(2)))
                    .await;
            }));
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
    fn sync_work_records_steps_and_the_call() {
        let ((), timeline) = record("sync", || {
            let row = row(|| "work".into());
            row.step(|| ());
            row.step(|| ());
        });
        assert_eq!(timeline.tasks, [Arc::from("work")]);
        let kinds: Vec<_> = timeline.spans.iter().map(|span| span.kind).collect();
        assert_eq!(kinds, [SpanKind::Step, SpanKind::Step, SpanKind::Call]);
    }
}
