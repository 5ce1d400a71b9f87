"""The scale sweep behind `make bench`: every mode of the `scale` example and
the asyncio anchor, from 10 to 10 million searches, written to one JSON file.

Each point runs in a fresh process RUNS times; the file keeps every run's wall
time and reports the median run (by wall time) as the point's figures.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALE = ROOT / "target" / "release" / "examples" / "scale"
ASYNCIO = ROOT / "benches" / "asyncio_scale.py"

# Largest N per mode. Threads stop early anyway: the first point the machine
# refuses in full is recorded, and larger ones are skipped.
SWEEP = {
    "gather": 10_000_000,
    "spawn": 10_000_000,
    "current-thread": 1_000_000,
    "threads": 1_000_000,
    "python-asyncio": 1_000_000,
}


def command(mode, tasks):
    if mode == "python-asyncio":
        return [sys.executable, str(ASYNCIO), "--tasks", str(tasks)]
    return [str(SCALE), "--mode", mode, "--tasks", str(tasks)]


def measure(mode, tasks, runs):
    results = []
    for _ in range(runs):
        done = subprocess.run(command(mode, tasks), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"error: {' '.join(command(mode, tasks))} failed ({done.returncode}): {done.stderr.strip()}")
        results.append(json.loads(done.stdout))
    by_wall = sorted(results, key=lambda run: run["wall_s"])
    point = dict(by_wall[len(by_wall) // 2])
    point["wall_s_runs"] = [run["wall_s"] for run in results]
    return point


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per point (median reported)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-tasks", type=int, default=None,
                        help="stop every mode's sweep at this N (a quick check; default: the full sweep)")
    args = parser.parse_args()
    if not SCALE.exists():
        sys.exit(f"error: {SCALE} missing; build it with cargo build --release --example scale")
    points = []
    for mode, largest in SWEEP.items():
        if args.max_tasks is not None:
            largest = min(largest, args.max_tasks)
        tasks = 10
        while tasks <= largest:
            point = measure(mode, tasks, args.runs)
            points.append(point)
            extra = f", refused at {point['failed_at']}" if "failed_at" in point else ""
            print(f"{mode:>15} {tasks:>10}: {point['wall_s']:8.3f} s, "
                  f"{point['peak_rss_mb']:8.1f} MB peak{extra}", flush=True)
            if "failed_at" in point:
                break
            tasks *= 10
    results = {
        "date": datetime.date.today().isoformat(),
        "cores": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "runs_per_point": args.runs,
        "search_s": 1.0,
        "points": points,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
