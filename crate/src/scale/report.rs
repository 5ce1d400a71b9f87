//! The results of `make bench` (`notebooks/data/scale.json`), as a table and
//! as two log-log charts drawn with plotters: wall time against the number of
//! concurrent searches, and memory per search against it.
//!
//! The charts are drawn from the committed file only, so a notebook shows the
//! same pictures on every run; the numbers in them were measured once, each
//! point in its own process, by the `scale` example and
//! `benches/asyncio_scale.py`.

use anyhow::Context;
use plotters::prelude::*;
use serde::Deserialize;
use std::fmt::Write as _;
use std::path::Path;

/// The whole results file.
///
/// # Examples
///
/// ```
/// use async_walkthrough::prelude::*;
///
/// let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../notebooks/data/scale.json");
/// let results = ScaleResults::load(file).unwrap();
/// assert!(results.modes().contains(&"gather"));
/// assert_eq!(results.point("gather", 10).unwrap().tasks, 10);
/// ```
#[derive(Debug, Clone, Deserialize)]
pub struct ScaleResults {
    /// The day `make bench` ran.
    pub date: String,
    /// The machine it ran on: system, architecture and cores.
    pub machine: String,
    /// How many cores that machine has.
    pub cores: u32,
    /// The Python version of the `python-asyncio` points.
    pub python: String,
    /// How many runs each point is the median of.
    pub runs_per_point: u32,
    /// Every mode at every N.
    pub points: Vec<ScalePoint>,
}

/// One mode at one N: the median of its runs.
#[derive(Debug, Clone, Deserialize)]
pub struct ScalePoint {
    /// A [`crate::scale::sweep::Mode`] name, or `python-asyncio`.
    pub mode: String,
    /// Searches asked for.
    pub tasks: u64,
    /// The median wall time, in seconds.
    pub wall_s: f64,
    /// The median peak resident memory, in MiB.
    pub peak_rss_mb: f64,
    /// The median memory per search that ran, in bytes.
    pub bytes_per_task: f64,
    /// Set when the machine refused more threads: how many ran.
    pub failed_at: Option<u64>,
    /// Every run's wall time, the median's included.
    pub wall_s_runs: Vec<f64>,
}

impl ScalePoint {
    /// The searches that actually ran.
    pub fn ran(&self) -> u64 {
        self.failed_at.unwrap_or(self.tasks)
    }
}

impl ScaleResults {
    /// Reads a results file written by `make bench`.
    pub fn load(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading {} (written by `make bench`)", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// The modes in the order they were measured.
    pub fn modes(&self) -> Vec<&str> {
        let mut modes: Vec<&str> = Vec::new();
        for point in &self.points {
            if !modes.contains(&point.mode.as_str()) {
                modes.push(&point.mode);
            }
        }
        modes
    }

    /// The point of `mode` at `tasks`, if it was measured.
    pub fn point(&self, mode: &str, tasks: u64) -> Option<&ScalePoint> {
        self.points
            .iter()
            .find(|point| point.mode == mode && point.tasks == tasks)
    }

    /// Every point as an aligned text table.
    pub fn table(&self) -> String {
        let mut table = format!(
            "{} on {}, median of {} runs per point\n{:>15} {:>10} {:>9} {:>12} {:>10}\n",
            self.date,
            self.machine,
            self.runs_per_point,
            "mode",
            "searches",
            "wall s",
            "peak MB",
            "B/search"
        );
        for point in &self.points {
            let refused = match point.failed_at {
                Some(ran) => format!("  (machine refused more than {ran})"),
                None => String::new(),
            };
            writeln!(
                table,
                "{:>15} {:>10} {:>9.2} {:>12.1} {:>10.0}{refused}",
                point.mode, point.tasks, point.wall_s, point.peak_rss_mb, point.bytes_per_task
            )
            .expect("writing to a String cannot fail");
        }
        table
    }

    /// Two modes side by side at `tasks` searches: times and memory, and how
    /// many times more `other` took.
    pub fn versus(&self, mode: &str, other: &str, tasks: u64) -> anyhow::Result<String> {
        let find = |name: &str| {
            self.point(name, tasks)
                .with_context(|| format!("no {name} point at {tasks} searches"))
        };
        let (ours, theirs) = (find(mode)?, find(other)?);
        let describe = |point: &ScalePoint| {
            format!(
                "{:>15}: {:6.2} s, {:7.1} MB peak, {:5.0} bytes per search",
                point.mode, point.wall_s, point.peak_rss_mb, point.bytes_per_task
            )
        };
        Ok(format!(
            "{tasks} concurrent searches\n{}\n{}\n{other} took {:.1}x the wall time and {:.1}x the memory per search",
            describe(ours),
            describe(theirs),
            theirs.wall_s / ours.wall_s,
            theirs.bytes_per_task / ours.bytes_per_task
        ))
    }

    /// The performance goals set for [`gather`](fn@crate::post::gather), each with what the
    /// results file shows.
    pub fn goals(&self) -> String {
        let check = |met: bool| if met { "met" } else { "NOT met" };
        let mut lines = Vec::new();
        for (tasks, wall_limit, memory_limit_mb) in
            [(1_000_000, 1.25, 256.0), (10_000_000, 5.0, 4096.0)]
        {
            match self.point("gather", tasks) {
                Some(point) => lines.push(format!(
                    "gather {tasks}: {:.2} s (goal <= {wall_limit} s) and {:.0} MB (goal <= {memory_limit_mb} MB): {}",
                    point.wall_s,
                    point.peak_rss_mb,
                    check(point.wall_s <= wall_limit && point.peak_rss_mb <= memory_limit_mb)
                )),
                None => lines.push(format!("gather {tasks}: not measured")),
            }
        }
        match (
            self.point("gather", 1_000_000),
            self.point("python-asyncio", 1_000_000),
        ) {
            (Some(gather), Some(python)) => {
                let speedup = python.wall_s / gather.wall_s;
                lines.push(format!(
                    "gather vs asyncio at 1000000: {speedup:.1}x faster (goal >= 15x): {}",
                    check(speedup >= 15.0)
                ));
            }
            _ => lines.push("gather vs asyncio at 1000000: not measured".to_string()),
        }
        lines.join("\n")
    }

    /// Wall time against searches, both on log axes.
    pub fn wall_chart(&self) -> ScaleChart {
        ScaleChart {
            svg: self.chart(
                "wall time of N concurrent 1-s searches",
                "wall time (s)",
                |point| point.wall_s,
            ),
        }
    }

    /// Memory per search against searches, both on log axes.
    pub fn memory_chart(&self) -> ScaleChart {
        ScaleChart {
            svg: self.chart("peak memory per search", "bytes per search", |point| {
                point.bytes_per_task.max(1.0)
            }),
        }
    }

    fn chart(&self, title: &str, y_desc: &str, value: impl Fn(&ScalePoint) -> f64) -> String {
        let mut svg = String::new();
        self.draw(&mut svg, title, y_desc, &value)
            .expect("drawing into a String cannot fail for well-formed results");
        svg
    }

    fn draw<'a>(
        &self,
        svg: &'a mut String,
        title: &str,
        y_desc: &str,
        value: &dyn Fn(&ScalePoint) -> f64,
    ) -> Result<(), Box<dyn std::error::Error + 'a>> {
        let (mut low, mut high) = (f64::MAX, f64::MIN);
        let mut most_tasks = 10;
        for point in &self.points {
            low = low.min(value(point));
            high = high.max(value(point));
            most_tasks = most_tasks.max(point.ran());
        }
        // Whole decades on both axes, so the grid reads at a glance.
        let decade_below = |x: f64| 10f64.powf(x.log10().floor());
        let decade_above = |x: f64| 10f64.powf(x.log10().ceil());
        let root = SVGBackend::with_string(svg, (760, 460)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{title} ({})", self.date), ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(
                (10.0..decade_above(most_tasks as f64)).log_scale(),
                (decade_below(low)..decade_above(high * 1.01)).log_scale(),
            )?;
        chart
            .configure_mesh()
            .x_desc("concurrent searches (N)")
            .y_desc(y_desc)
            .x_label_formatter(&|n| format_count(*n))
            .y_label_formatter(&|y| format_number(*y))
            .draw()?;
        for (index, mode) in self.modes().into_iter().enumerate() {
            let color = Palette99::pick(index).stroke_width(2);
            let points: Vec<(f64, f64)> = self
                .points
                .iter()
                .filter(|point| point.mode == mode)
                .map(|point| (point.ran() as f64, value(point)))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color))?
                .label(mode)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
            chart.draw_series(
                points
                    .into_iter()
                    .map(|point| Circle::new(point, 3, color.filled())),
            )?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
        Ok(())
    }

    /// Evcxr display: the table.
    pub fn evcxr_display(&self) {
        crate::notebook::display::emit_to_notebook(&[("text/plain", &self.table())]);
    }
}

/// `10`, `1k`, `10M`: axis labels for counts.
fn format_count(n: f64) -> String {
    match n {
        n if n >= 1e6 => format!("{}M", n / 1e6),
        n if n >= 1e3 => format!("{}k", n / 1e3),
        n => format!("{n}"),
    }
}

fn format_number(y: f64) -> String {
    if y >= 1.0 {
        format_count(y)
    } else {
        format!("{y}")
    }
}

/// A chart of [`ScaleResults`], shown as SVG in a notebook.
pub struct ScaleChart {
    svg: String,
}

impl ScaleChart {
    /// Evcxr display: the SVG, with a short text stand-in.
    pub fn evcxr_display(&self) {
        crate::notebook::display::emit_to_notebook(&[
            ("image/svg+xml", &self.svg),
            ("text/plain", "[chart: see the SVG output]"),
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESULTS: &str = r#"{
        "date": "2026-11-27", "cores": 2, "machine": "Linux x86_64, 2 cores",
        "python": "3.11.7", "runs_per_point": 1, "search_s": 1.0,
        "points": [
            {"mode": "gather", "tasks": 10, "wall_s": 1.001, "peak_rss_mb": 3.0, "bytes_per_task": 400.0, "wall_s_runs": [1.001]},
            {"mode": "gather", "tasks": 1000000, "wall_s": 1.15, "peak_rss_mb": 160.0, "bytes_per_task": 160.0, "wall_s_runs": [1.15]},
            {"mode": "threads", "tasks": 100000, "wall_s": 4.5, "peak_rss_mb": 106.0, "bytes_per_task": 6500.0, "failed_at": 16117, "wall_s_runs": [4.5]}
        ]
    }"#;

    fn results() -> ScaleResults {
        serde_json::from_str(RESULTS).unwrap()
    }

    #[test]
    fn modes_keep_their_measured_order() {
        assert_eq!(results().modes(), ["gather", "threads"]);
    }

    #[test]
    fn the_table_marks_refused_threads() {
        let table = results().table();
        assert!(
            table.starts_with("2026-11-27 on Linux x86_64, 2 cores, median of 1 runs per point\n")
        );
        assert!(
            table.contains("  (machine refused more than 16117)"),
            "{table}"
        );
        assert_eq!(table.lines().count(), 5);
    }

    #[test]
    fn charts_mark_every_point_and_name_every_mode() {
        let results = results();
        for svg in [results.wall_chart().svg, results.memory_chart().svg] {
            assert!(svg.starts_with("<svg"));
            assert_eq!(svg.matches("<circle").count(), 3, "one mark per point");
            assert!(svg.contains("gather") && svg.contains("threads"), "legend");
        }
    }

    #[test]
    fn goals_are_checked_against_the_file() {
        let goals = results().goals();
        assert_eq!(
            goals,
            "gather 1000000: 1.15 s (goal <= 1.25 s) and 160 MB (goal <= 256 MB): met\n\
             gather 10000000: not measured\n\
             gather vs asyncio at 1000000: not measured"
        );
    }

    #[test]
    fn versus_compares_two_modes_at_one_count() {
        let text = results().versus("gather", "threads", 1_000_000);
        assert_eq!(
            text.unwrap_err().to_string(),
            "no threads point at 1000000 searches"
        );
    }

    #[test]
    fn a_missing_file_names_the_path_and_the_command() {
        let error = ScaleResults::load("no/such/scale.json").unwrap_err();
        assert!(
            format!("{error:#}")
                .starts_with("reading no/such/scale.json (written by `make bench`): ")
        );
    }
}
