//! The one-thread serving layer as a standalone server, in front of any
//! OpenAI-compatible LLM: the mock (`--example mock_llm`), llama.cpp's
//! server, vLLM, Ollama.
//!
//! ```sh
//! cargo run --release -p async_walkthrough --example serve -- --port 8001 \
//!     --llm http://127.0.0.1:8000 [--http2] [--model mock-llm] [--api-key KEY] [--host 127.0.0.1]
//! ```
//!
//! `POST /ask` with `{"question": "..."}` answers `{"answer": "..."}`, asking
//! the LLM for a chat completion of the question. `--llm` is the server's URL,
//! with or without OpenAI's `/v1`. Over HTTP/1.1 by default, which every such
//! server speaks; `--http2` calls it over one HTTP/2 connection without TLS,
//! which the mock speaks, and which thousands of requests in flight need
//! (see `src/llm/channel.rs`). The API key may also come from `LLM_API_KEY`.
//!
//! It binds 127.0.0.1 unless `--host` says otherwise, prints one line with
//! its URL once it accepts connections, and serves until Ctrl-C or SIGTERM,
//! then lets the requests in progress finish. Bad flags: one line on stderr,
//! exit status 2.

mod support;

use async_walkthrough::llm::DEFAULT_MODEL;
use async_walkthrough::serving::{ServingLayer, Upstream};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

const USAGE: &str =
    "usage: serve --port N --llm URL [--http2] [--model NAME] [--api-key KEY] [--host IP]";

/// File descriptors the serving layer may need: one per client connection,
/// for the 5,000 of `make bench-serving` and some to spare.
const OPEN_FILES: u64 = 16_384;

#[derive(Debug)]
struct Args {
    addr: SocketAddr,
    upstream: Upstream,
}

fn parse_args(
    args: impl IntoIterator<Item = String>,
    env_api_key: Option<String>,
) -> Result<Args, String> {
    use lexopt::Arg::Long;
    let mut parser = lexopt::Parser::from_args(args);
    let mut host: IpAddr = support::DEFAULT_HOST;
    let mut port: Option<u16> = None;
    let mut llm: Option<String> = None;
    let mut model = DEFAULT_MODEL.to_owned();
    let mut api_key = env_api_key.filter(|key| !key.is_empty());
    let mut http2 = false;
    while let Some(arg) = parser.next().map_err(|error| error.to_string())? {
        let flag = match arg {
            Long(flag) => format!("--{flag}"),
            other => return Err(support::unexpected(other)),
        };
        let p = &mut parser;
        match flag.as_str() {
            "--port" => port = Some(support::value(p, &flag, "a port number")?),
            "--host" => host = support::value(p, &flag, "an IP address")?,
            "--llm" => llm = Some(support::value(p, &flag, "a URL")?),
            "--model" => model = support::value(p, &flag, "a model name")?,
            "--api-key" => api_key = Some(support::value(p, &flag, "a key")?),
            "--http2" => http2 = true,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let port = port.ok_or("--port is missing")?;
    let llm = llm.ok_or("--llm is missing")?;
    if !llm.starts_with("http://") {
        return Err(format!("--llm takes an http:// URL (no TLS), not {llm:?}"));
    }
    let root = llm.trim_end_matches('/');
    let api_base = if root.ends_with("/v1") {
        root.to_owned()
    } else {
        format!("{root}/v1")
    };
    let upstream = Upstream {
        api_base,
        api_key,
        model,
        http2,
    };
    upstream
        .host_and_port()
        .map_err(|error| format!("--llm: {error:#}"))?;
    Ok(Args {
        addr: SocketAddr::new(host, port),
        upstream,
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1), std::env::var("LLM_API_KEY").ok()) {
        Ok(args) => args,
        Err(problem) => {
            eprintln!("serve: {problem}; {USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(problem) = support::ensure_open_files(OPEN_FILES) {
        eprintln!("serve: {problem}");
        return ExitCode::FAILURE;
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("serve: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let upstream = args.upstream.clone();
    // The serving layer runs on its own thread and current-thread runtime;
    // this one only waits for the signal.
    let serving = ServingLayer::start_with(args.addr, args.upstream)?;
    println!(
        "serve: answering POST {}/ask, asking {} at {} over {} (Ctrl-C stops)",
        serving.url(),
        upstream.model,
        upstream.api_base,
        if upstream.http2 { "HTTP/2" } else { "HTTP/1.1" }
    );
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    signals.block_on(support::stop_signal())?;
    // Stops accepting, lets the requests in progress finish, joins the thread.
    drop(serving);
    eprintln!("serve: stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, String> {
        parse_args(line.split_whitespace().map(str::to_owned), None)
    }

    #[test]
    fn reads_every_flag_and_adds_v1() {
        let args = parse(
            "--port 8001 --llm http://127.0.0.1:8000/ --http2 --model m --api-key k --host 127.0.0.2",
        )
        .unwrap();
        assert_eq!(args.addr, "127.0.0.2:8001".parse().unwrap());
        assert_eq!(
            args.upstream,
            Upstream {
                api_base: "http://127.0.0.1:8000/v1".into(),
                api_key: Some("k".into()),
                model: "m".into(),
                http2: true,
            }
        );
    }

    #[test]
    fn keeps_a_v1_url_and_takes_the_key_from_the_environment() {
        let args = parse_args(
            ["--port", "0", "--llm", "http://localhost:8080/v1"].map(String::from),
            Some("from-env".into()),
        )
        .unwrap();
        assert_eq!(args.addr, "127.0.0.1:0".parse().unwrap());
        assert_eq!(args.upstream.api_base, "http://localhost:8080/v1");
        assert_eq!(args.upstream.api_key.as_deref(), Some("from-env"));
        assert!(!args.upstream.http2);
        assert_eq!(args.upstream.model, DEFAULT_MODEL);
    }

    #[test]
    fn names_what_is_wrong_with_bad_flags() {
        let cases = [
            ("--llm http://127.0.0.1:1", "--port is missing"),
            ("--port 1", "--llm is missing"),
            (
                "--port x --llm http://h",
                "--port takes a port number, not \"x\"",
            ),
            (
                "--port 1 --llm https://api.openai.com",
                "--llm takes an http:// URL (no TLS), not \"https://api.openai.com\"",
            ),
            ("--port 1 --llm http://h --h2", "unknown flag --h2"),
            ("--port 1 --llm", "--llm needs a value"),
        ];
        for (line, problem) in cases {
            assert_eq!(parse(line).err().as_deref(), Some(problem), "{line:?}");
        }
    }
}
