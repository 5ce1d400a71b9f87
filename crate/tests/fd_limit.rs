//! Case 3 of the reliability tests: more connections than file descriptors.
//!
//! The mock LLM runs in a child process (this binary run again) whose
//! open-file limit is lowered to [`LIMIT`], on a current-thread runtime, so
//! its CPU time is that of the one thread running the accept loop. This
//! process opens [`CONNECTIONS`] connections, more than the child can accept
//! (the kernel completes them into the listen backlog anyway), and checks
//! that while the child's accept fails it neither ends nor spins, and that
//! once the connections close it serves again.

mod common;

use async_walkthrough::llm::MockLlm;
use common::*;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// The child's open-file limit: well above what the test harness and the
/// runtime need (about ten), far below the connections opened.
const LIMIT: u64 = 256;
const CONNECTIONS: usize = 1_000;
/// Generous: the loop sleeps 1 ms between failed accepts, measured at about
/// 2% of a core in a release build; a spinning loop takes 100%.
const MAX_CPU_SHARE: f64 = 0.20;
const TEST: &str = "the_accept_loop_survives_running_out_of_file_descriptors";

fn lower_open_file_limit(limit: u64) {
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut current), 0);
        let lowered = libc::rlimit {
            rlim_cur: limit,
            rlim_max: current.rlim_max,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lowered), 0);
    }
}

/// The child's side: the mock LLM on one thread, under the lowered limit.
fn serve_with_few_descriptors() {
    lower_open_file_limit(LIMIT);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = MockLlm::default().start().await.unwrap();
        announce(server.addr());
        until_stdin_closes().await;
        server.shutdown().await;
    });
}

#[test]
fn the_accept_loop_survives_running_out_of_file_descriptors() {
    if std::env::var(CHILD_ROLE).is_ok() {
        return serve_with_few_descriptors();
    }
    let mut server = ServerChild::start(TEST, "fd-limit", 1);
    let (pid, addr) = (server.pid(), server.addrs[0]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        assert!(health_latency(addr, Duration::from_secs(5)).await.is_some());
        let files_before = open_files(pid);

        // The connections send nothing: the child holds each one it accepted
        // for up to its 10 s header-read timeout, longer than this takes.
        let mut connections = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            connections.push(
                TcpStream::connect(addr)
                    .await
                    .expect("the backlog takes it"),
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let files_saturated = open_files(pid);

        let mut shares = Vec::new();
        for _ in 0..3 {
            let (cpu, wall) = (cpu_time(pid), Instant::now());
            tokio::time::sleep(Duration::from_secs(1)).await;
            shares.push((cpu_time(pid) - cpu).as_secs_f64() / wall.elapsed().as_secs_f64());
        }
        let saturated_probe = health_latency(addr, Duration::from_secs(1)).await;

        let closed_at = Instant::now();
        drop(connections);
        let mut recovered = None;
        while closed_at.elapsed() < Duration::from_secs(10) {
            if health_latency(addr, Duration::from_millis(200))
                .await
                .is_some()
            {
                recovered = Some(closed_at.elapsed());
                break;
            }
        }
        let mut latencies = Vec::new();
        for _ in 0..20 {
            latencies.extend(health_latency(addr, Duration::from_secs(1)).await);
        }
        latencies.sort();
        let files_after = open_files(pid);
        figure(
            "3 file descriptors",
            format!(
                "limit {LIMIT}, {CONNECTIONS} connections: child's open files {files_before} \
                 -> {files_saturated} while saturated -> {files_after} after; accept loop CPU \
                 while saturated {} (median of 3 one-second windows, {} each); /health while \
                 saturated {}; served again {} after the connections closed, then median {} \
                 over {} probes; {}",
                percent(median(&shares)),
                shares
                    .iter()
                    .map(|s| percent(*s))
                    .collect::<Vec<_>>()
                    .join("/"),
                saturated_probe.map_or("timed out (1 s)".into(), ms),
                recovered.map_or("never (10 s)".into(), ms),
                if latencies.is_empty() {
                    "-".into()
                } else {
                    ms(quantile(&latencies, 0.5))
                },
                latencies.len(),
                machine_state(),
            ),
        );
        assert!(
            files_saturated as u64 + 5 >= LIMIT,
            "the child never ran out of descriptors ({files_saturated} open)"
        );
        assert!(
            saturated_probe.is_none(),
            "/health was served while the descriptors were all in use"
        );
        assert!(
            median(&shares) < MAX_CPU_SHARE,
            "the accept loop used {} of a core while saturated",
            percent(median(&shares))
        );
        assert!(recovered.is_some(), "the server did not serve again");
        assert_eq!(latencies.len(), 20, "a probe failed after recovery");
    });
    assert!(
        server.stop(Duration::from_secs(10)),
        "the child did not shut down cleanly"
    );
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}
