//! Measuring runs: a [`Stopwatch`] for the post's `end - start`, the
//! recording of a run as a [`Timeline`] (which task did what, when), and the
//! drawing of that timeline as SVG and text.
//!
//! Recording and drawing are apart: [`timeline`](self) code records spans and
//! knows nothing of charts; `chart` reads a finished [`Timeline`].

pub(crate) mod calls;
pub(crate) mod chart;
pub(crate) mod stopwatch;
pub(crate) mod timeline;

pub use calls::timed_call;
pub use chart::RESOLUTION;
pub use stopwatch::{Stopwatch, fastest_of, python_seconds, time_future};
pub use timeline::{
    CarriedFuture, RecordedFuture, Row, Span, SpanKind, Step, Timeline, carry, record,
    record_future,
};
