"""``python -m benchmarks.profile``: where the collector's CPU goes under sustained load (py-spy).

Starts the collector process on a fresh database, drives it with the ingest benchmark's clients and
samples it (every worker process too) with ``py-spy record --format raw``, then prints the
functions with the most samples, inclusive and self. ``--out`` keeps the raw stacks for a flame
graph (speedscope, inferno, flamegraph.pl all read them).
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from benchmarks.collector_process import CollectorProcess
from benchmarks.environment import bench_database, default_server_url
from benchmarks.loadgen import collect, start_clients
from benchmarks.payloads import build_templates
from benchmarks.tables import table


def _frame_name(frame: str) -> str:
    """``func (path/to/module.py:12)`` → ``func (module.py)``: lines of one function are merged."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})" if where else name


def summarize(raw_lines: list[str], top: int = 30) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """(samples, inclusive counts, self counts) from py-spy's raw (collapsed stack) output."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw_lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(f) for f in stack.split(";")]
        total += count
        for name in set(frames):
            inclusive[name] += count
        own[frames[-1]] += count
    return total, inclusive.most_common(top), own.most_common(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--transport", choices=("http", "grpc"), default="http")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--collector-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--out", type=Path, help="keep the raw py-spy stacks here")
    parser.add_argument("--server-url", default=default_server_url())
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        parser.error("py-spy is not installed (pip install py-spy)")
    env = dict(item.split("=", 1) for item in args.collector_env if "=" in item)
    out = args.out or Path(f"/tmp/modelmix-profile-{secrets.token_hex(4)}.txt")
    templates = build_templates(512, 8)
    with bench_database(args.server_url, "profile") as url, CollectorProcess(url, extra_env=env) as collector:
        target = collector.grpc_target if args.transport == "grpc" else collector.http_target
        deadline = time.monotonic() + args.seconds + 6
        clients, results = start_clients(args.transport, target, templates, run_tag=secrets.randbelow(60000) + 1,
                                         processes=args.clients, connections=args.connections, deadline=deadline)
        time.sleep(4)
        done = subprocess.run([py_spy, "record", "--pid", str(collector.pid), "--subprocesses", "--duration",
                               str(args.seconds), "--rate", "200", "--format", "raw", "--nonblocking",
                               "--output", str(out)], capture_output=True, text=True)
        reports = collect(clients, results, timeout=120)
    if done.returncode != 0 or not out.exists():
        print(f"py-spy failed: {done.stderr.strip()[-1000:]}", file=sys.stderr)
        return 1
    total, inclusive, own = summarize(out.read_text().splitlines())
    acked = sum(s[2] for r in reports for s in r.samples)
    print(f"{total} samples over {args.seconds} s; {acked:,} spans acknowledged during the run; raw stacks: {out}")
    print(table(["function (inclusive)", "% of samples"], [[n, c / total * 100] for n, c in inclusive]))
    print()
    print(table(["function (self)", "% of samples"], [[n, c / total * 100] for n, c in own]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
