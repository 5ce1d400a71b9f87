"""N concurrent one-second searches with asyncio.gather: the Python anchor for
the `scale` example. Prints one JSON line in the same shape.

    python3 benches/asyncio_scale.py --tasks 100000
"""

import argparse
import asyncio
import json
import resource
import sys
import time

SEARCH_TIME = 1.0


async def simulated_search():
    await asyncio.sleep(SEARCH_TIME)


async def gather_searches(count):
    started = time.perf_counter()
    await asyncio.gather(*(simulated_search() for _ in range(count)))
    return time.perf_counter() - started


def rss_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} line in /proc/self/status")


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=positive_int, required=True)
    args = parser.parse_args()  # exits with status 2 and one line on bad input
    rss_before = rss_kib("VmRSS")
    wall = asyncio.run(gather_searches(args.tasks))
    peak = rss_kib("VmHWM")
    print(json.dumps({
        "mode": "python-asyncio",
        "tasks": args.tasks,
        "wall_s": round(wall, 6),
        "peak_rss_mb": round(peak / 1024, 1),
        "bytes_per_task": round((peak - rss_before) * 1024 / args.tasks),
    }))


if __name__ == "__main__":
    sys.exit(main())
