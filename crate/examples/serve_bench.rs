//! Load benchmark of the serving layer: N concurrent requests, each held by
//! the one-thread serving layer while it awaits the mock LLM.
//!
//! ```sh
//! cargo run --release -p async_walkthrough --features llm --example serve_bench -- --connections 5000 --latency-ms 1000
//! ```
//!
//! Prints one JSON line: `{"connections", "wall_s", "p50_ms", "p99_ms", "errors"}`.
//!
//! Three parts, three runtimes: the serving layer on its current-thread
//! runtime and thread (`ServingLayer`); the mock LLM and the load generator
//! on a multi-thread runtime of their own, standing for the outside world.

mod support;

use async_walkthrough::llm::MockLlm;
use async_walkthrough::serving::{ServingLayer, load_test};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: serve_bench --connections N --latency-ms L";

/// File descriptors per connection: the client's end and the server's end.
const FDS_PER_CONNECTION: u64 = 2;

/// Descriptors beyond the connections: listeners, the LLM connection, the
/// runtimes' own, standard streams.
const FDS_SPARE: u64 = 256;

struct Args {
    connections: usize,
    latency: Duration,
}

/// Two flags need no argument-parsing library; this keeps the example's build
/// as light as the crate's.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut connections = None;
    let mut latency_ms = None;
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--connections" => &mut connections,
            "--latency-ms" => &mut latency_ms,
            other => return Err(format!("unknown argument {other:?}")),
        };
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag} takes a whole number, not {value:?}"))?;
        *slot = Some(number);
    }
    let connections = connections.ok_or("--connections is missing")?;
    let latency_ms = latency_ms.ok_or("--latency-ms is missing")?;
    if connections == 0 {
        return Err("--connections must be at least 1".into());
    }
    Ok(Args {
        connections: usize::try_from(connections).map_err(|_| "--connections is too large")?,
        latency: Duration::from_millis(latency_ms),
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("serve_bench: {problem}; {USAGE}");
            return ExitCode::from(2);
        }
    };
    let needed = args.connections as u64 * FDS_PER_CONNECTION + FDS_SPARE;
    if let Err(problem) = support::ensure_open_files(needed) {
        eprintln!("serve_bench: {problem}");
        return ExitCode::FAILURE;
    }
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("serve_bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Worker threads for the clients and the mock LLM: every core but the one the
/// serving layer's thread needs. On the 2-core project machine a second
/// outside worker made three busy threads share two cores, and the serving
/// layer, the part being measured, lost its core part of the time: wall times
/// were 1.38-1.44 s with two workers and 1.27-1.39 s with one.
fn outside_workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    cores.saturating_sub(1).max(1)
}

fn run(args: &Args) -> anyhow::Result<String> {
    let outside = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(outside_workers())
        .enable_all()
        .build()?;
    let report = outside.block_on(async {
        let llm = MockLlm {
            latency: args.latency,
            ..MockLlm::default()
        }
        .start()
        .await?;
        let serving = ServingLayer::start(llm.addr())?;
        let report = load_test(serving.addr(), args.connections).await;
        // Joins the serving layer's thread, which closes its connection to
        // the LLM; only then can the LLM's shutdown finish.
        drop(serving);
        llm.shutdown().await;
        anyhow::Ok(report)
    })?;
    Ok(serde_json::to_string(&report)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, String> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn reads_both_flags_in_any_order() {
        let args = parse("--latency-ms 250 --connections 40").unwrap();
        assert_eq!(args.connections, 40);
        assert_eq!(args.latency, Duration::from_millis(250));
    }

    #[test]
    fn names_what_is_wrong_with_bad_arguments() {
        let cases = [
            ("", "--connections is missing"),
            ("--connections 5", "--latency-ms is missing"),
            ("--connections", "--connections needs a value"),
            (
                "--connections x --latency-ms 5",
                "--connections takes a whole number, not \"x\"",
            ),
            (
                "--connections -3 --latency-ms 5",
                "--connections takes a whole number, not \"-3\"",
            ),
            (
                "--connections 0 --latency-ms 5",
                "--connections must be at least 1",
            ),
            ("--bogus 1", "unknown argument \"--bogus\""),
        ];
        for (line, problem) in cases {
            assert_eq!(parse(line).err().as_deref(), Some(problem), "{line:?}");
        }
    }
}
