//! Drawing a [`Timeline`]: an SVG chart with plotters, and a text fallback.
//!
//! Both pictures truncate every time to [`RESOLUTION`] before drawing. A
//! run's times differ from one execution to the next by how late its timers
//! fire, never early; truncated to a tenth of a second, a step of 0.2 s draws
//! as 0.2 s unless it ended a whole tenth late (rounding would turn it into
//! 0.3 s at 50 ms late, which a loaded machine reaches). So the picture of the
//! same run is the same file every time, and a notebook's committed chart can
//! be compared with a fresh one byte for byte. A tenth of a second is finer
//! than anything the notebooks show.

use crate::notebook::display::{NotebookDisplay, emit_to_notebook};
use crate::timing::timeline::{SpanKind, Timeline};
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use std::time::Duration;

/// The time step every drawn position is truncated to.
pub const RESOLUTION: Duration = Duration::from_millis(100);

const WIDTH: u32 = 760;
const ROW_HEIGHT: u32 = 36;
const TEXT_COLUMNS: f64 = 60.0;

/// Seconds truncated to [`RESOLUTION`], in whole steps (integer division:
/// 300 ms is exactly 3 steps, where `0.3 / 0.1` in floats is 2.999...).
fn truncated_secs(time: Duration) -> f64 {
    let steps = time.as_nanos() / RESOLUTION.as_nanos();
    steps as f64 * RESOLUTION.as_secs_f64()
}

/// The time axis runs to the next whole second after the run, at least 1 s.
fn axis_end_secs(timeline: &Timeline) -> f64 {
    truncated_secs(timeline.total).ceil().max(1.0)
}

fn caption(timeline: &Timeline) -> String {
    if timeline.spans.is_empty() {
        format!("{}: no spans recorded", timeline.title)
    } else {
        format!(
            "{}: {:.1} s",
            timeline.title,
            truncated_secs(timeline.total)
        )
    }
}

impl Timeline {
    /// An SVG picture: one row per task, one bar per step, time in seconds.
    pub fn to_svg(&self) -> String {
        timeline_svg(self)
    }

    /// The same picture in text, for terminals and plain viewers.
    pub fn to_text(&self) -> String {
        text_timeline(self)
    }
}

impl NotebookDisplay for Timeline {
    /// Shows the timeline as a picture, with the text form as a fallback.
    fn evcxr_display(&self) {
        emit_to_notebook(&[
            ("image/svg+xml", &self.to_svg()),
            ("text/plain", &self.to_text()),
        ]);
    }
}

/// Renders the timeline as an SVG document.
fn timeline_svg(timeline: &Timeline) -> String {
    let height = 80 + ROW_HEIGHT * bands(timeline);
    let mut svg = String::new();
    draw(timeline, &mut svg, (WIDTH, height))
        .expect("drawing into a String cannot fail for a well-formed timeline");
    svg
}

/// Horizontal bands of the chart: one per row, and at least two. plotters maps
/// a segmented axis over the one-point range 0..0 onto a single pixel, which
/// would draw a lone row's bars with no height; with two bands, a one-row
/// chart shows its row on top and an empty band below.
fn bands(timeline: &Timeline) -> u32 {
    timeline.tasks.len().max(2) as u32
}

fn draw<'a>(
    timeline: &Timeline,
    svg: &'a mut String,
    size: (u32, u32),
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    root.fill(&WHITE)?;
    let rows = bands(timeline);
    let mut chart = ChartBuilder::on(&root)
        .caption(caption(timeline), ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(110)
        // A segmented 0..n has n + 1 segments: one per row needs 0..rows - 1.
        .build_cartesian_2d(0.0..axis_end_secs(timeline), (0..rows - 1).into_segmented())?;
    // Row 0 is drawn at the top, so rows read in the order tasks started.
    let top_down = |row: u32| (rows - 1).saturating_sub(row);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("seconds")
        .x_labels(axis_end_secs(timeline) as usize + 1)
        .x_label_formatter(&|secs| format!("{secs:.0}"))
        .y_labels(rows as usize)
        .y_label_formatter(&|value| match value {
            SegmentValue::CenterOf(row) if *row < rows => timeline
                .tasks
                .get(top_down(*row) as usize)
                .map_or_else(String::new, |task| task.to_string()),
            _ => String::new(),
        })
        .draw()?;

    for kind in [SpanKind::Call, SpanKind::Step] {
        let bars = timeline.tasks.iter().enumerate().flat_map(|(row, task)| {
            let color = Palette99::pick(row);
            let y = top_down(row as u32);
            timeline
                .spans_of(task)
                .filter(move |span| span.kind == kind)
                .map(move |span| {
                    let corners = [
                        (truncated_secs(span.start), SegmentValue::Exact(y)),
                        (truncated_secs(span.end), SegmentValue::Exact(y + 1)),
                    ];
                    // A call is a pale band behind its steps; steps are solid bars
                    // with a pixel of gap between neighbours.
                    let (style, margin) = match kind {
                        SpanKind::Call => (color.mix(0.2).filled(), (3, 3, 0, 0)),
                        SpanKind::Step => (color.filled(), (8, 8, 1, 1)),
                    };
                    let mut bar = Rectangle::new(corners, style);
                    bar.set_margin(margin.0, margin.1, margin.2, margin.3);
                    bar
                })
        });
        chart.draw_series(bars)?;
    }
    root.present()?;
    Ok(())
}

/// Renders the timeline as text: a row of blocks per task, alternating shades
/// for consecutive steps, and a time axis.
fn text_timeline(timeline: &Timeline) -> String {
    let end = axis_end_secs(timeline);
    let column_secs = end / TEXT_COLUMNS;
    let column = |time: Duration| (truncated_secs(time) / column_secs).round() as usize;
    let name_width = timeline
        .tasks
        .iter()
        .map(|task| task.chars().count())
        .max()
        .unwrap_or(0);

    let mut lines = vec![caption(timeline)];
    for task in &timeline.tasks {
        let mut cells = vec![' '; TEXT_COLUMNS as usize];
        let steps = timeline
            .spans_of(task)
            .filter(|span| span.kind == SpanKind::Step);
        for (index, span) in steps.enumerate() {
            let shade = if index % 2 == 0 { '█' } else { '▒' };
            let last = column(span.end).min(cells.len());
            for cell in &mut cells[column(span.start).min(last)..last] {
                *cell = shade;
            }
        }
        let bar: String = cells.into_iter().collect();
        lines.push(format!("{task:>name_width$} |{}", bar.trim_end()));
    }
    // Room past the last column for the last second's label.
    let mut axis = vec![' '; TEXT_COLUMNS as usize + 4];
    for second in 0..=end as usize {
        let label = format!("{second}s");
        let at = ((second as f64) / column_secs).round() as usize;
        for (offset, ch) in label.chars().enumerate() {
            if let Some(cell) = axis.get_mut(at + offset) {
                *cell = ch;
            }
        }
    }
    let axis: String = axis.into_iter().collect();
    lines.push(format!("{:name_width$} |{}", "", axis.trim_end()));
    lines.join("\n")
}
