"""The second half of `make bench-serving`: the standalone serving layer
measured by oha, a load generator this project did not write.

Starts `--example mock_llm` (answering after --latency-ms) and `--example
serve` in front of it (HTTP/2 to the mock), each in its own process, and has
oha send --connections requests over as many connections at once twice:
first straight to the mock's `POST /v1/chat/completions`, the baseline of what
oha sees with no serving layer in between, then to the serving layer's `POST
/ask`. Prints one JSON line per run from oha's own summary: requests per
second, fastest, p50, p99 and slowest latency, answers by status and errors by
kind. Both servers are stopped (SIGTERM, then SIGKILL) also when something
fails.

Unlike serve_bench, oha opens each connection as part of its request, so its
latencies include the TCP handshakes of a 5,000-connection burst.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "target" / "release" / "examples"
STARTUP_TIMEOUT_S = 60


class Server:
    """One example binary in its own process; its first stdout line names
    its URL ("... at http://127.0.0.1:PORT/v1 ..." or "... POST http://...")."""

    def __init__(self, args):
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = []
        reader = threading.Thread(
            target=lambda: line.append(self.process.stdout.readline()), daemon=True
        )
        reader.start()
        reader.join(STARTUP_TIMEOUT_S)
        words = [word.rstrip(",") for word in (line[0] if line else "").split()
                 if word.startswith("http://")]
        if not words:
            self.stop()
            raise RuntimeError(f"{args[0]} did not start: {line!r}")
        self.url = words[0]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def raise_open_files(needed):
    """oha holds a descriptor per connection; children inherit the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard < needed:
            sys.exit(f"bench_oha: {needed} open files needed, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def summary(report, target, connections):
    """The figures of oha's JSON report that matter here, in serve_bench's
    units."""
    percentiles = report["latencyPercentiles"]
    statuses = report.get("statusCodeDistribution", {})
    return {
        "tool": "oha",
        "target": target,
        "connections": connections,
        "answered": sum(statuses.values()),
        "requests_per_s": round(report["summary"]["requestsPerSec"], 1),
        "total_s": round(report["summary"]["total"], 3),
        "fastest_ms": round(report["summary"]["fastest"] * 1000, 1),
        "p50_ms": round(percentiles["p50"] * 1000, 1),
        "p99_ms": round(percentiles["p99"] * 1000, 1),
        "slowest_ms": round(report["summary"]["slowest"] * 1000, 1),
        "statuses": statuses,
        "errors": report.get("errorDistribution", {}),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--latency-ms", type=int, required=True)
    parser.add_argument("--oha", required=True, help="the oha binary")
    parser.add_argument(
        "--oha-workers", type=int, default=max(1, (os.cpu_count() or 2) - 1),
        help="oha's tokio worker threads (default: every core but the one the "
             "serving layer's thread needs)",
    )
    args = parser.parse_args()
    if args.connections < 1:
        parser.error("--connections must be at least 1")
    raise_open_files(args.connections * 2 + 1024)

    servers = []
    try:
        mock = Server([str(EXAMPLES / "mock_llm"), "--port", "0",
                       "--latency-ms", str(args.latency_ms)])
        servers.append(mock)
        serve = Server([str(EXAMPLES / "serve"), "--port", "0",
                        "--llm", mock.url, "--http2"])
        servers.append(serve)
        chat = {"model": "mock-llm", "messages": [{"role": "user", "content": "Why async?"}]}
        for target, url, body in (
            ("mock_llm", mock.url + "/chat/completions", chat),
            ("serve", serve.url, {"question": "Why async?"}),
        ):
            oha = subprocess.run(
                [args.oha, "--no-tui", "--output-format", "json",
                 "--worker-threads", str(args.oha_workers),
                 "-n", str(args.connections), "-c", str(args.connections),
                 "-m", "POST", "-H", "content-type: application/json",
                 "-d", json.dumps(body), url],
                capture_output=True, text=True, check=False,
            )
            if oha.returncode != 0:
                sys.exit(f"bench_oha: oha failed ({oha.returncode}): {oha.stderr.strip()}")
            print(json.dumps(summary(json.loads(oha.stdout), target, args.connections)), flush=True)
    finally:
        for server in reversed(servers):
            server.stop()


if __name__ == "__main__":
    main()
