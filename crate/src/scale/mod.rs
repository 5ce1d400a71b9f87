//! The post's searches at scale (notebook 03): N one-second searches run in
//! one of four [`Mode`]s, timed and measured ([`run_scale`], [`sweep`](fn@sweep)), and
//! `make bench`'s results drawn from their file ([`ScaleResults`]).

pub(crate) mod report;
pub(crate) mod sweep;

pub use report::{ScaleChart, ScalePoint, ScaleResults};
pub use sweep::{Mode, ScaleRun, Sweep, parse_args, run_scale, sweep};
