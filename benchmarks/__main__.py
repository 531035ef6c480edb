"""``python -m benchmarks [ingest|queries|storage|all]``: run benchmarks, print tables, save a JSON run.

``make bench`` runs everything at full size (60 s of sustained ingest per transport with one
collector worker per core, 10 million calls for the query and storage benchmarks). Quick runs: ``--seconds 10`` for ingest,
``--scale 0.05`` for queries and storage (500,000 calls). Every run is written to
``benchmarks/results/run-<time>.json`` (or ``--out``) for ``python -m benchmarks.compare``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.environment import REPO_ROOT, default_server_url, machine
from benchmarks.ingest import IngestOptions, run_ingest
from benchmarks.ingest import metrics as ingest_metrics

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
PARTS = ("ingest", "queries", "storage")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", nargs="?", default="all", choices=(*PARTS, "all"))
    parser.add_argument("--server-url", default=default_server_url(),
                        help="PostgreSQL server to create the benchmark databases on "
                             "(default: $MODELMIX_TEST_DATABASE_URL or the local server)")
    parser.add_argument("--out", type=Path, help="where to write the JSON run (default: benchmarks/results/)")
    ingest = parser.add_argument_group("ingest")
    ingest.add_argument("--seconds", type=float, default=60.0, help="measured seconds per transport")
    ingest.add_argument("--warmup", type=float, default=8.0, help="seconds of load before measuring")
    ingest.add_argument("--transports", default="http,grpc", help="comma-separated: http, grpc")
    ingest.add_argument("--clients", type=int, default=4, help="client processes")
    ingest.add_argument("--connections", type=int, default=2, help="persistent connections per client")
    ingest.add_argument("--spans-per-request", type=int, default=512)
    ingest.add_argument("--copy-seconds", type=float, default=20.0, help="seconds of binary COPY for the limit")
    ingest.add_argument("--collector-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the collector process (default: MODELMIX_COLLECTOR_WORKERS "
                             "= the number of cores), e.g. MODELMIX_COLLECTOR_WORKERS=1")
    ingest.add_argument("--collector-source", metavar="DIR",
                        help="run the collector from another checkout (git worktree) to measure before/after")
    data = parser.add_argument_group("queries and storage")
    data.add_argument("--scale", type=float, default=1.0, help="fraction of 10 million calls to generate")
    data.add_argument("--days", type=int, default=90, help="days of history to spread the calls over")
    data.add_argument("--repeat", type=int, default=7, help="warm runs per query")
    data.add_argument("--cases", default="",
                      help="comma-separated query names to time (default: all; names as in the results table)")
    data.add_argument("--keep-database", action="store_true", help="do not drop the generated database")
    data.add_argument("--use-database", metavar="URL",
                      help="time the queries on a database generated before (with --keep-database)")
    return parser


def _ingest_options(args: argparse.Namespace) -> IngestOptions:
    transports = tuple(t.strip() for t in args.transports.split(",") if t.strip())
    unknown = set(transports) - {"http", "grpc"}
    if unknown or not transports:
        raise SystemExit(f"--transports: expected http and/or grpc, got {args.transports!r}")
    env: list[tuple[str, str]] = []
    for item in args.collector_env:
        name, sep, value = item.partition("=")
        if not sep or not name.startswith("MODELMIX_"):
            raise SystemExit(f"--collector-env: expected MODELMIX_NAME=VALUE, got {item!r}")
        env.append((name, value))
    if not any(name == "MODELMIX_COLLECTOR_WORKERS" for name, _ in env):
        env.append(("MODELMIX_COLLECTOR_WORKERS", str(os.cpu_count() or 1)))  # one worker per core
    if args.seconds <= 0 or args.clients < 1 or args.connections < 1:
        raise SystemExit("--seconds, --clients and --connections must be positive")
    return IngestOptions(seconds=args.seconds, warmup_seconds=args.warmup, transports=transports,
                         client_processes=args.clients, connections_per_client=args.connections,
                         spans_per_request=args.spans_per_request, copy_seconds=args.copy_seconds,
                         collector_env=tuple(env), collector_source=args.collector_source)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    parts = PARTS if args.part == "all" else (args.part,)
    run: dict[str, Any] = {"machine": machine(args.server_url), "parts": {}, "metrics": {}}
    print(report.machine_table(run["machine"]), flush=True)
    if "ingest" in parts:
        result = run_ingest(args.server_url, _ingest_options(args))
        run["parts"]["ingest"] = result
        run["metrics"].update(ingest_metrics(result))
        print("\n" + report.ingest_tables(result), flush=True)
    if "queries" in parts or "storage" in parts:
        from benchmarks.queries import run_queries_and_storage

        results, metrics = run_queries_and_storage(args, queries="queries" in parts, storage="storage" in parts)
        run["parts"].update(results)
        run["metrics"].update(metrics)
        for name in ("queries", "storage"):
            if name in results:
                print("\n" + report.part_tables(name, results[name]), flush=True)
    out = args.out or RESULTS_DIR / f"run-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(run, indent=2, default=str) + "\n")
    print(f"\nsaved {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
