//! Helpers shared by the reliability tests: raw HTTP/1.1 over TCP (so a test
//! controls every byte and counts every task), the figures each test prints,
//! and child processes that never outlive their test.

#![allow(dead_code)] // each test binary uses its own share of these

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `GET /health` on a connection the server closes after answering.
pub const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

/// Prints one measured figure where `cargo test` shows it even for a passing
/// test: straight to the process's stderr, which the test harness does not
/// capture (it captures only the `print!` family of macros).
pub fn figure(case: &str, text: impl AsRef<str>) {
    let line = format!("[reliability] {case}: {}\n", text.as_ref());
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// How a server met one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It answered with this status.
    Status(u16),
    /// It closed the connection (or reset it) without an HTTP/1 answer.
    Closed,
}

/// Reads until one answer's head has arrived or the connection closes.
/// Bytes that are not HTTP/1 (an HTTP/2 GOAWAY frame, say) count as closed
/// once the server ends the connection.
pub async fn read_outcome(stream: &mut TcpStream) -> Outcome {
    let mut received = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(_)) = response.parse(&received) {
            return Outcome::Status(response.code.unwrap_or_default());
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Outcome::Closed,
            Ok(read) => received.extend_from_slice(&chunk[..read]),
        }
    }
}

/// Sends `request` on a fresh connection and reads what comes back, within
/// `limit`. Write errors are ignored: a server may close before reading all.
pub async fn send_raw(addr: SocketAddr, request: &[u8], limit: Duration) -> Option<Outcome> {
    tokio::time::timeout(limit, async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let _ = stream.write_all(request).await;
        Some(read_outcome(&mut stream).await)
    })
    .await
    .ok()
    .flatten()
}

/// The time `GET /health` takes on a fresh connection, connecting included;
/// `None` if it fails or takes longer than `limit`.
pub async fn health_latency(addr: SocketAddr, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    match send_raw(addr, HEALTH, limit).await? {
        Outcome::Status(200) => Some(start.elapsed()),
        _ => None,
    }
}

/// A `POST` with a JSON body, keeping the connection open.
pub fn post_json(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The value at quantile `q` (0 to 1) of sorted `values`.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    assert!(!sorted.is_empty(), "no values");
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index]
}

/// Milliseconds with two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// The median of `values`, which need not be sorted.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// What the machine was doing: the load averages, for reading noisy figures.
pub fn machine_state() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cores} cores, load average {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// The environment variable that turns a re-run of a test binary into the
/// server side of a test (see [`ServerChild`]).
pub const CHILD_ROLE: &str = "RELIABILITY_CHILD_ROLE";

/// A server in a child process: this test binary run again on one test, with
/// [`CHILD_ROLE`] set. The child prints `listening on ADDR` lines and serves
/// until its stdin closes, so it also ends if this process dies. Dropping
/// the handle closes stdin, then kills the child if it has not ended within
/// a few seconds; either way it is reaped.
pub struct ServerChild {
    child: Child,
    stdin: Option<ChildStdin>,
    /// The addresses the child announced, in order.
    pub addrs: Vec<SocketAddr>,
}

impl ServerChild {
    /// Starts `test` (a test function of this binary) in a child process with
    /// [`CHILD_ROLE`] set to `role`, and waits for `servers` addresses.
    pub fn start(test: &str, role: &str, servers: usize) -> Self {
        let exe = std::env::current_exe().expect("the test binary's path");
        let child = Command::new(exe)
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ROLE, role)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the child process starts");
        let mut server = Self {
            child,
            stdin: None,
            addrs: Vec::new(),
        };
        server.stdin = server.child.stdin.take();
        let stdout = server.child.stdout.take().expect("a piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        while server.addrs.len() < servers {
            let line = lines
                .next()
                .expect("the child announces its address before it ends")
                .expect("the child's stdout is readable");
            // The harness may have printed "test NAME ... " on the same line.
            if let Some((_, addr)) = line.split_once("listening on ") {
                server.addrs.push(addr.trim().parse().expect("an address"));
            }
        }
        // The rest of its output (the harness's lines) is drained so the
        // child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        server
    }

    /// The child's process id, for reading its `/proc` entries.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes its stdin and waits up to `limit` for it to end by itself;
    /// returns whether it ended with success.
    pub fn stop(&mut self, limit: Duration) -> bool {
        drop(self.stdin.take());
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        if !self.stop(Duration::from_secs(5)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The child's side: announces `addr` on stdout.
pub fn announce(addr: SocketAddr) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on {addr}");
    let _ = stdout.flush();
}

/// The child's side: returns once stdin closes (the parent is done or gone).
pub async fn until_stdin_closes() {
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    })
    .await
    .expect("reading stdin does not panic");
}

/// A process's CPU time so far (user plus system), from `/proc/PID/stat`.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the process's stat");
    // The command name may hold spaces; the fields after its ')' are fixed.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("a command name") + 2..]
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after ')'.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf only reads a system constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_secs_f64(ticks as f64 / per_second as f64)
}

/// A process's resident memory in bytes, from `/proc/PID/status`.
pub fn rss_bytes(pid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process's status");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("a VmRSS line");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// How many file descriptors a process has open.
pub fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// The child's side of a test that serves mock LLMs from a separate process:
/// starts one server per config on a multi-thread runtime (as a notebook's
/// would be), announces each address and serves until stdin closes.
#[cfg(feature = "llm")]
pub fn serve_mock_llms(configs: Vec<async_walkthrough::llm::MockLlm>) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let mut servers = Vec::new();
        for config in configs {
            let server = config.start().await.expect("the mock LLM starts");
            announce(server.addr());
            servers.push(server);
        }
        until_stdin_closes().await;
        for server in servers {
            server.shutdown().await;
        }
    });
}
