"""``python -m benchmarks.decode``: CPU per span of the collector's pure pipeline, stage by stage.

The ingest benchmark's request templates (the shared fixtures regrouped into ~512-span protobuf
requests with unique trace ids) go through the collector's own code in one process, with the
garbage collector tuned as the collector tunes it: protobuf parse → ``decode_traces`` →
``PriceBook.price`` (bundled genai-prices defaults, no overrides) → COPY row tuples → psycopg's
binary COPY encoding of those rows (JSON of the attributes included; nothing is sent). Each stage is
timed in process CPU time over the same requests; the figures are medians over ``--rounds`` rounds
(and over ``--alternate`` turns), in µs per span (of all spans, calls and skeletons). Far less
sensitive to a noisy machine than the end-to-end benchmark, so it is the one to compare code
changes with.

``--collector-source DIR`` also times another checkout's code (a ``git worktree``, e.g. the commit
before a change); the checkouts take turns, so a change in the machine's load hits them alike.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.payloads import FIXTURES_DIR

STAGES = ("parse", "decode", "price", "rows", "encode")


def _measure(rounds: int, requests: int, spans_per_request: int, database_url: str | None,
             fixtures: Path) -> dict[str, Any]:
    """Time every stage; runs in the process whose ``sys.path`` holds the code under test."""

    from benchmarks.payloads import build_templates
    from modelmix.db import writes
    from modelmix.pricing import PriceBook

    templates = build_templates(spans_per_request, requests, fixtures)
    bodies = [t.render(1, 1, i) for i, t in enumerate(templates)]
    spans = sum(t.spans for t in templates)
    book = PriceBook()
    encoder = _encoder(database_url, writes) if database_url else None
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)  # as collector.service.tune_garbage_collector
    try:
        return _timed(rounds, bodies, spans, book, writes, encoder)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _timed(rounds: int, bodies: list[bytes], spans: int, book: Any, writes: Any,
           encoder: Callable[[list[tuple[Any, ...]], list[tuple[Any, ...]]], None] | None) -> dict[str, Any]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from modelmix.conventions import decode_traces

    clock = time.process_time
    samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for _ in range(rounds):
        parse = decode = price = rows = encode = 0.0
        for body in bodies:
            t0 = clock()
            request = ExportTraceServiceRequest.FromString(body)
            t1 = clock()
            decoded = decode_traces(request)
            t2 = clock()
            priced = [book.price(c) for c in decoded.calls]
            t3 = clock()
            call_rows = [writes.call_row(c) for c in priced]
            skeleton_rows = [writes.skeleton_row(s) for s in decoded.skeletons]
            t4 = clock()
            if encoder is not None:
                encoder(call_rows, skeleton_rows)
            t5 = clock()
            parse += t1 - t0
            decode += t2 - t1
            price += t3 - t2
            rows += t4 - t3
            encode += t5 - t4
        for stage, total in zip(STAGES, (parse, decode, price, rows, encode), strict=True):
            samples[stage].append(total / spans * 1e6)
    medians = {stage: statistics.median(values) for stage, values in samples.items()}
    if encoder is None:
        medians.pop("encode")
    return {"spans_per_round": spans, "rounds": rounds, "us_per_span": medians,
            "total_us_per_span": statistics.median(
                [sum(samples[s][i] for s in medians) for i in range(rounds)])}


def _encoder(database_url: str, writes: Any) -> Callable[[list[tuple[Any, ...]], list[tuple[Any, ...]]], None]:
    """psycopg's binary COPY formatter for both tables, set up on a real connection (nothing is sent)."""
    import psycopg
    from psycopg._copy_base import BinaryFormatter
    from psycopg.adapt import Transformer
    from psycopg.types.json import set_json_dumps

    conn = psycopg.connect(database_url, autocommit=True)
    dumps = getattr(writes, "_dumps", None)
    if dumps is not None:
        set_json_dumps(dumps, conn)
    registry = conn.adapters.types

    def formatter(columns: Any) -> BinaryFormatter:
        transformer = Transformer(conn)
        transformer.set_dumper_types([registry.get_oid(t) for _, t in columns], psycopg.pq.Format.BINARY)
        return BinaryFormatter(transformer)

    calls_f, skeletons_f = formatter(writes.CALL_COLUMNS), formatter(writes.SKELETON_COLUMNS)

    def encode(call_rows: list[tuple[Any, ...]], skeleton_rows: list[tuple[Any, ...]]) -> None:
        for f, batch in ((calls_f, call_rows), (skeletons_f, skeleton_rows)):
            write_row = f.write_row
            for row in batch:
                write_row(row)
            f.end()

    return encode


def _print(label: str, result: dict[str, Any]) -> None:
    figures = result["us_per_span"]
    cells = "  ".join(f"{stage} {value:6.2f}" for stage, value in figures.items())
    print(f"{label:>8}: {cells}  | total {result['total_us_per_span']:6.2f} µs CPU/span "
          f"(median of {result['rounds']} rounds of {result['spans_per_round']} spans)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.decode", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=8, help="request templates per round")
    parser.add_argument("--spans-per-request", type=int, default=512)
    parser.add_argument("--database-url", default=os.environ.get("MODELMIX_TEST_DATABASE_URL"),
                        help="a PostgreSQL server for the COPY encoder's type registry (no rows are sent); "
                             "without one the encode stage is skipped")
    parser.add_argument("--collector-source", metavar="DIR", action="append", default=[],
                        help="also time the code of this checkout (repeatable)")
    parser.add_argument("--alternate", type=int, default=3,
                        help="times the checkouts take turns (medians over the turns are printed)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # child-process output
    parser.add_argument("--fixtures", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.json:
        result = _measure(args.rounds, args.requests, args.spans_per_request, args.database_url, args.fixtures)
        print(json.dumps(result))
        return 0
    here = Path(__file__).resolve().parents[1]
    sources = [("this", here), *((Path(s).name, Path(s).resolve()) for s in args.collector_source)]
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in sources}
    for _ in range(args.alternate):  # checkouts take turns, so a change in the machine's load hits all
        for label, source in sources:
            timed = _run_child(source, here, args)
            if timed is None:
                return 1
            results[label].append(timed)
    for label, runs in results.items():
        _print(label, _median_result(runs))
    return 0


def _run_child(source: Path, here: Path, args: argparse.Namespace) -> dict[str, Any] | None:
    """Time one checkout in a fresh interpreter whose import path starts with that checkout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), str(here)])}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--json", "--fixtures", str(FIXTURES_DIR),
           "--rounds", str(args.rounds), "--requests", str(args.requests),
           "--spans-per-request", str(args.spans_per_request)]
    if args.database_url:
        cmd += ["--database-url", args.database_url]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=source, env=env)
    if done.returncode != 0:
        print(f"{source}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _median_result(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Stage by stage, the median over the alternations (each already a median over its rounds)."""
    stages = runs[0]["us_per_span"]
    return {
        "spans_per_round": runs[0]["spans_per_round"],
        "rounds": sum(r["rounds"] for r in runs),
        "us_per_span": {s: statistics.median(r["us_per_span"][s] for r in runs) for s in stages},
        "total_us_per_span": statistics.median(r["total_us_per_span"] for r in runs),
    }

if __name__ == "__main__":
    raise SystemExit(main())
