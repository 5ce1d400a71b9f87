//! The mock LLM as a standalone server speaking OpenAI's API, for any client:
//! the `openai` Python package, async-openai, curl, a load generator.
//!
//! ```sh
//! cargo run --release -p async_walkthrough --features llm --example mock_llm -- --port 8000 \
//!     [--latency-ms 500] [--token-delay-ms 100] [--fail-rate 0.1 --seed 7] \
//!     [--slow-rate 0.05 --slow-ms 3000] [--api-key KEY] [--model mock-llm] [--host 127.0.0.1]
//! ```
//!
//! It binds 127.0.0.1 unless `--host` says otherwise, prints one line with
//! its URL once it accepts connections, and serves until Ctrl-C or SIGTERM,
//! then lets the requests in progress finish. `--port 0` lets the system
//! pick a port (the printed line tells which). Bad flags: one line on stderr,
//! exit status 2.

mod support;

use async_walkthrough::llm::{Faults, MockLlm};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: mock_llm --port N [--host IP] [--latency-ms MS] [--token-delay-ms MS] \
                     [--fail-rate F --seed N] [--slow-rate F --slow-ms MS] [--api-key KEY] [--model NAME]";

/// Open files wanted, for many clients connected at once.
const OPEN_FILES: u64 = 16_384;

#[derive(Debug)]
struct Args {
    addr: SocketAddr,
    config: MockLlm,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    use lexopt::Arg::Long;
    let mut parser = lexopt::Parser::from_args(args);
    let mut host: IpAddr = support::DEFAULT_HOST;
    let mut port: Option<u16> = None;
    let mut config = MockLlm::default();
    let mut faults = Faults::NONE;
    let mut seed_given = false;
    while let Some(arg) = parser.next().map_err(|error| error.to_string())? {
        let flag = match arg {
            Long(flag) => format!("--{flag}"),
            other => return Err(support::unexpected(other)),
        };
        let p = &mut parser;
        match flag.as_str() {
            "--port" => port = Some(support::value(p, &flag, "a port number")?),
            "--host" => host = support::value(p, &flag, "an IP address")?,
            "--latency-ms" => {
                config.latency = Duration::from_millis(support::value(p, &flag, "milliseconds")?)
            }
            "--token-delay-ms" => {
                config.token_delay =
                    Duration::from_millis(support::value(p, &flag, "milliseconds")?)
            }
            "--fail-rate" => faults.error_share = share(p, &flag)?,
            "--slow-rate" => faults.slow_share = share(p, &flag)?,
            "--slow-ms" => {
                faults.slow_latency =
                    Duration::from_millis(support::value(p, &flag, "milliseconds")?)
            }
            "--seed" => {
                faults.seed = support::value(p, &flag, "a whole number")?;
                seed_given = true;
            }
            "--api-key" => config.api_key = Some(support::value(p, &flag, "a key")?),
            "--model" => config.model = support::value(p, &flag, "a model name")?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let port = port.ok_or("--port is missing")?;
    if faults.error_share + faults.slow_share > 1.0 {
        return Err("--fail-rate and --slow-rate add up to more than 1".into());
    }
    if (faults.error_share > 0.0 || faults.slow_share > 0.0) && !seed_given {
        return Err("--fail-rate and --slow-rate need a --seed".into());
    }
    config.faults = faults;
    Ok(Args {
        addr: SocketAddr::new(host, port),
        config,
    })
}

/// A share from 0 to 1.
fn share(parser: &mut lexopt::Parser, flag: &str) -> Result<f64, String> {
    let value: f64 = support::value(parser, flag, "a share from 0 to 1")?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!("{flag} takes a share from 0 to 1, not {value}"));
    }
    Ok(value)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("mock_llm: {problem}; {USAGE}");
            return ExitCode::from(2);
        }
    };
    // Many clients at once each hold a connection: allow as many open files
    // as the hard limit lets, but a lower limit is no reason not to serve.
    if let Err(problem) = support::ensure_open_files(OPEN_FILES) {
        eprintln!("mock_llm: warning: {problem}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mock_llm: starting the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mock_llm: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let model = args.config.model.clone();
    let llm = args.config.start_on(args.addr).await?;
    println!(
        "mock_llm: serving model {model} at {}/v1 (Ctrl-C stops)",
        llm.url()
    );
    support::stop_signal().await?;
    llm.shutdown().await;
    eprintln!("mock_llm: stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, String> {
        parse_args(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn reads_every_flag() {
        let args = parse(
            "--port 8000 --latency-ms 20 --token-delay-ms 3 --fail-rate 0.1 --seed 7 \
             --slow-rate 0.2 --slow-ms 900 --api-key k --model m --host 127.0.0.2",
        )
        .unwrap();
        assert_eq!(args.addr, "127.0.0.2:8000".parse().unwrap());
        let config = args.config;
        assert_eq!(config.latency, Duration::from_millis(20));
        assert_eq!(config.token_delay, Duration::from_millis(3));
        assert_eq!(config.faults.error_share, 0.1);
        assert_eq!(config.faults.slow_share, 0.2);
        assert_eq!(config.faults.slow_latency, Duration::from_millis(900));
        assert_eq!(config.faults.seed, 7);
        assert_eq!(config.api_key.as_deref(), Some("k"));
        assert_eq!(config.model, "m");
    }

    #[test]
    fn binds_loopback_with_the_defaults() {
        let args = parse("--port 0").unwrap();
        assert_eq!(args.addr, "127.0.0.1:0".parse().unwrap());
        assert_eq!(args.config, MockLlm::default());
    }

    #[test]
    fn names_what_is_wrong_with_bad_flags() {
        let cases = [
            ("", "--port is missing"),
            ("--port", "--port needs a value"),
            ("--port 99999", "--port takes a port number, not \"99999\""),
            (
                "--port 1 --latency-ms -5",
                "--latency-ms takes milliseconds, not \"-5\"",
            ),
            (
                "--port 1 --fail-rate 2 --seed 1",
                "--fail-rate takes a share from 0 to 1, not 2",
            ),
            (
                "--port 1 --fail-rate 0.5",
                "--fail-rate and --slow-rate need a --seed",
            ),
            (
                "--port 1 --fail-rate 0.6 --slow-rate 0.6 --seed 1",
                "--fail-rate and --slow-rate add up to more than 1",
            ),
            (
                "--port 1 --host localhost",
                "--host takes an IP address, not \"localhost\"",
            ),
            ("--port 1 --bogus", "unknown flag --bogus"),
            ("--port 1 extra", "unexpected argument \"extra\""),
        ];
        for (line, problem) in cases {
            assert_eq!(parse(line).err().as_deref(), Some(problem), "{line:?}");
        }
    }
}
