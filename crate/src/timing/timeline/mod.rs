//! Recording what each task did when, so a run can be drawn as a timeline.
//!
//! The post shows that three searches overlap with two numbers, 6 s and 3 s.
//! A timeline shows it at a glance: one row per task, one bar per step.
//!
//! Recording is opt-in. [`record`] (for sync code) and [`record_future`] (for a
//! future, followed across `.await`) start a recording; while it runs, work
//! instrumented with a [`Row`] adds spans to it. With no recording active,
//! [`Row::start`] returns an inert handle and every step costs one thread-local
//! read. A row captures its recording when created, so its spans land in the
//! right place from whatever thread or task they finish on: start the row
//! before spawning, and move it in, or spawn a task that starts rows itself
//! wrapped in [`carry`] (a spawned thread: `lessons::spawn_captured`). Rows of
//! carried work are listed where the work was wrapped, so tasks or threads
//! racing to start do not change the order of the rows.
//!
//! [`process_sync`](crate::post::process_sync) and
//! [`process_async`](crate::post::process_async) record themselves and return
//! their timeline, so a notebook cell can keep it
//! (`let sync_run: Timeline = process_sync();`) and the next cell can draw it.
//! (A static "last run" would not do: evcxr links a fresh copy of a dependency
//! into every cell, statics included.) Drawing lives apart, in `chart`.
//!
//! # Examples
//!
//! ```
//! use async_walkthrough::timing::{Row, record_future};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let (answer, timeline) = record_future("one call", async {
//!     let row = Row::start("lookup");
//!     row.step_future(tokio::time::sleep(Duration::from_secs(2))).await;
//!     42
//! })
//! .await;
//! assert_eq!(answer, 42);
//! assert_eq!(timeline.tasks.len(), 1);
//! assert_eq!(timeline.total, Duration::from_secs(2));
//! # }
//! ```

use crate::sync::lock;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

thread_local! {
    /// The recording that rows created on this thread join, if any.
    static CURRENT: RefCell<Option<Joined>> = const { RefCell::new(None) };
}

/// The recording that rows join when their thread has none: set by
/// [`RecordingEverywhere`], for the exercises' checks, which must see the
/// searches of a learner's code wherever it runs them (a spawned task, the
/// blocking pool) and cannot ask that code to [`carry`] anything.
static EVERYWHERE: Mutex<Option<Arc<Recorder>>> = Mutex::new(None);

/// Whether [`EVERYWHERE`] is set: one relaxed read per row outside any
/// recording, so a sweep of millions of searches never touches the mutex.
static RECORDING_EVERYWHERE: AtomicBool = AtomicBool::new(false);

/// Where rows started on a thread go: a recording and, inside [`carry`]d
/// work, the place that work was given in the order of rows.
#[derive(Clone)]
struct Joined {
    recorder: Arc<Recorder>,
    /// The carried work's place, and how many rows it has started.
    slot: Option<(u64, Arc<AtomicU64>)>,
}

impl Joined {
    /// Joining `recorder` directly, outside any carried work.
    fn directly(recorder: &Arc<Recorder>) -> Joined {
        Joined {
            recorder: Arc::clone(recorder),
            slot: None,
        }
    }

    /// The place of a row started now: rows sort by it.
    fn place_of_next_row(&self) -> Place {
        match &self.slot {
            Some((slot, rows)) => (*slot, rows.fetch_add(1, Ordering::Relaxed)),
            None => (self.recorder.next_place(), 0),
        }
    }
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
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use async_walkthrough::timing::SpanKind;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let searches = gather([find_users_async(2), find_users_async(1)]);
/// let (_, timeline) = record_future("two searches", searches).await;
/// assert_eq!(timeline.title, "two searches");
/// assert_eq!(timeline.total, Duration::from_secs(2));
/// let steps = |task| {
///     let spans = timeline.spans_of(task);
///     spans.filter(|span| span.kind == SpanKind::Step).count()
/// };
/// assert_eq!((steps("find_users(2)"), steps("find_users(1)")), (2, 1));
/// # }
/// ```
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
}

/// A row's place in the order of rows: the order it was started in, or for a
/// row of [`carry`]d work, where the work was wrapped and which of its rows
/// it is.
type Place = (u64, u64);

struct Recorder {
    started: Instant,
    /// Row names with their place in the order of rows.
    tasks: Mutex<Vec<(Place, Arc<str>)>>,
    spans: Mutex<Vec<Span>>,
    places: AtomicU64,
}

impl Recorder {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            started: Instant::now(),
            tasks: Mutex::new(Vec::new()),
            spans: Mutex::new(Vec::new()),
            places: AtomicU64::new(0),
        })
    }

    fn next_place(&self) -> u64 {
        self.places.fetch_add(1, Ordering::Relaxed)
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
        let mut tasks = lock(&self.tasks).clone();
        tasks.sort_by_key(|(place, _)| *place);
        Timeline {
            title,
            tasks: tasks.into_iter().map(|(_, task)| task).collect(),
            spans: lock(&self.spans).clone(),
            total: self.started.elapsed(),
        }
    }
}

/// Runs `work` with `recorder` as this thread's recording, restoring the
/// previous one afterwards.
fn with_recorder<R>(joined: Option<Joined>, work: impl FnOnce() -> R) -> R {
    let outer = CURRENT.replace(joined);
    let result = work();
    CURRENT.set(outer);
    result
}

/// Records the spans of `work` and returns its result with the timeline.
///
/// # Examples
///
/// ```
/// use async_walkthrough::timing::{Row, record};
///
/// let ((), timeline) = record("two steps", || {
///     let row = Row::start("work");
///     for _ in 0..2 {
///         let step = row.step();
///         std::thread::sleep(std::time::Duration::from_millis(10));
///         step.end();
///     }
/// });
/// assert_eq!(timeline.spans_of("work").count(), 3, "two steps and the call");
/// ```
pub fn record<R>(title: impl Into<String>, work: impl FnOnce() -> R) -> (R, Timeline) {
    let recorder = Recorder::new();
    let result = with_recorder(Some(Joined::directly(&recorder)), work);
    (result, recorder.finish(title.into()))
}

/// Records the spans of a future; resolves to its output and the timeline.
/// (See the module's example.)
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let ((), timeline) = record_future("one search", find_users_async(2)).await;
/// assert_eq!(timeline.total, Duration::from_secs(2));
/// # }
/// ```
pub fn record_future<F: Future>(title: impl Into<String>, future: F) -> RecordedFuture<F> {
    RecordedFuture {
        inner: Box::pin(future),
        recorder: Recorder::new(),
        title: Some(title.into()),
    }
}

/// The future returned by [`record_future`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RecordedFuture<F> {
    inner: Pin<Box<F>>,
    recorder: Arc<Recorder>,
    title: Option<String>,
}

impl<F: Future> Future for RecordedFuture<F> {
    type Output = (F::Output, Timeline);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let joined = Joined::directly(&this.recorder);
        match with_recorder(Some(joined), || this.inner.as_mut().poll(cx)) {
            Poll::Ready(output) => {
                let title = this.title.take().unwrap_or_default();
                Poll::Ready((output, this.recorder.finish(title)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Wraps a future so that it joins the recording active where it is
/// wrapped, wherever it is later polled: use it for `tokio::spawn`ed work
/// whose rows start inside the task. The rows it starts are listed in the
/// timeline where it was wrapped, so tasks spawned in a row keep that order in
/// the picture whichever is polled first.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let ((), timeline) = record_future("spawned", async {
///     // Unwrapped, the spawned search would record nowhere.
///     tokio::spawn(carry(find_users_async(1))).await.unwrap();
/// })
/// .await;
/// assert_eq!(timeline.tasks.len(), 1);
/// # }
/// ```
pub fn carry<F: Future>(future: F) -> CarriedFuture<F> {
    CarriedFuture {
        inner: Box::pin(future),
        joined: joined_here(),
    }
}

/// The future returned by [`carry`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct CarriedFuture<F> {
    inner: Pin<Box<F>>,
    joined: Option<Joined>,
}

impl<F: Future> Future for CarriedFuture<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        with_recorder(this.joined.clone(), || this.inner.as_mut().poll(cx))
    }
}

/// [`carry`] for a closure run on a spawned thread.
pub(crate) fn carry_thread<R>(work: impl FnOnce() -> R) -> impl FnOnce() -> R {
    let joined = joined_here();
    move || with_recorder(joined, work)
}

/// The recording active on this thread, with a place of its own in the order
/// of rows for what is carried away from here.
fn joined_here() -> Option<Joined> {
    CURRENT.with_borrow(|joined| {
        joined.as_ref().map(|joined| Joined {
            recorder: Arc::clone(&joined.recorder),
            slot: Some((joined.recorder.next_place(), Arc::new(AtomicU64::new(0)))),
        })
    })
}

/// The recording of [`RecordingEverywhere`], if one is going on.
fn joined_everywhere() -> Option<Joined> {
    if !RECORDING_EVERYWHERE.load(Ordering::Relaxed) {
        return None;
    }
    lock(&EVERYWHERE).as_ref().map(Joined::directly)
}

/// A recording that every row joins whose thread records nothing else, on
/// any thread, until it is finished or dropped. One at a time: starting a
/// second one replaces the first.
pub(crate) struct RecordingEverywhere {
    recorder: Arc<Recorder>,
}

impl RecordingEverywhere {
    /// Starts recording rows from every thread.
    pub(crate) fn start() -> Self {
        let recorder = Recorder::new();
        *lock(&EVERYWHERE) = Some(Arc::clone(&recorder));
        RECORDING_EVERYWHERE.store(true, Ordering::Relaxed);
        Self { recorder }
    }

    /// Stops recording and returns what was recorded, titled `title`.
    pub(crate) fn finish(self, title: &str) -> Timeline {
        self.recorder.finish(title.to_owned())
    }
}

impl Drop for RecordingEverywhere {
    fn drop(&mut self) {
        let mut everywhere = lock(&EVERYWHERE);
        if everywhere
            .as_ref()
            .is_some_and(|recorder| Arc::ptr_eq(recorder, &self.recorder))
        {
            *everywhere = None;
            RECORDING_EVERYWHERE.store(false, Ordering::Relaxed);
        }
    }
}

/// One task's row in a recording; inert when nothing is being recorded.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// let ((), timeline) = record("one row", || {
///     let row = Row::start("search");
///     row.step().end();
///     row.step().end();
/// });
/// assert_eq!(timeline.tasks, [std::sync::Arc::from("search")]);
/// // Two steps and the whole call.
/// assert_eq!(timeline.spans_of("search").count(), 3);
/// ```
pub struct Row {
    live: Option<LiveRow>,
}

struct LiveRow {
    recorder: Arc<Recorder>,
    task: Arc<str>,
    started: Instant,
}

impl Row {
    /// Starts a row of the active recording, named `name` (formatted only
    /// when a recording is active); a row named like an earlier one adds its
    /// spans to that row. The row's whole life becomes a
    /// [`SpanKind::Call`] span when it is dropped. Outside a recording the row
    /// is inert and every step costs one thread-local read.
    pub fn start(name: impl fmt::Display) -> Row {
        let joined = CURRENT.with_borrow(Clone::clone).or_else(joined_everywhere);
        Row {
            live: joined.map(|joined| {
                let task: Arc<str> = name.to_string().into();
                let mut tasks = lock(&joined.recorder.tasks);
                // Rows of the same name are one row of the picture.
                if !tasks.iter().any(|(_, named)| *named == task) {
                    let place = joined.place_of_next_row();
                    tasks.push((place, Arc::clone(&task)));
                }
                drop(tasks);
                LiveRow {
                    recorder: joined.recorder,
                    task,
                    started: Instant::now(),
                }
            }),
        }
    }

    /// Starts one step of this row; [`Step::end`] records it. A step that is
    /// dropped without ending (its future was cancelled mid-way) records
    /// nothing: it never finished. Outside a recording not even the clock is
    /// read.
    pub fn step(&self) -> Step<'_> {
        Step {
            live: self.live.as_ref().map(|live| (live, Instant::now())),
        }
    }

    /// Awaits `future` as one step of this row.
    pub async fn step_future<F: Future>(&self, future: F) -> F::Output {
        let step = self.step();
        let output = future.await;
        step.end();
        output
    }
}

/// One step of a [`Row`], from [`Row::step`] until [`Step::end`].
#[must_use = "a step records only when it is ended"]
pub struct Step<'row> {
    live: Option<(&'row LiveRow, Instant)>,
}

impl Step<'_> {
    /// Records the step as ending now.
    pub fn end(self) {
        if let Some((live, started)) = self.live {
            live.recorder.push(&live.task, SpanKind::Step, started);
        }
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
mod tests;
