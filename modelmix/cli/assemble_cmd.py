"""``modelmix assemble [--flush | --loop | --rebuild-rollups]`` and ``modelmix retention [--dry-run]``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from modelmix.assembly import AssemblyStats, assemble_pending, recompute_hours
from modelmix.assembly.loop import run_loop
from modelmix.cli import CommandError
from modelmix.db import migrate
from modelmix.db.engine import open_database
from modelmix.retention import apply_retention
from modelmix.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    asm = sub.add_parser("assemble", help="build task runs, escalations and hourly rollups from stored calls")
    mode = asm.add_mutually_exclusive_group()
    mode.add_argument("--flush", action="store_true",
                      help="assemble every pending trace now, ignoring the settle window")
    mode.add_argument("--loop", action="store_true",
                      help="keep running: assemble settled traces every interval, retention hourly")
    mode.add_argument("--rebuild-rollups", action="store_true",
                      help="rebuild every hourly rollup from the stored, assembled calls and runs "
                           "(after an upgrade, or to re-tier history)")
    asm.add_argument("--batch-traces", type=_positive_int, default=2000, metavar="N",
                     help="traces per transaction (default 2000)")
    asm.set_defaults(handler=handle_assemble)
    ret = sub.add_parser("retention", help="drop calls and skeletons older than the retention settings")
    ret.add_argument("--dry-run", action="store_true", help="show what would be dropped, drop nothing")
    ret.set_defaults(handler=handle_retention)


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _summary(stats: AssemblyStats) -> str:
    if not stats.traces:
        return "nothing to assemble"
    return (f"assembled {stats.traces} traces: {stats.calls} calls, {stats.runs} task runs, "
            f"{stats.rollup_groups} rollup groups in {stats.seconds:.2f}s "
            f"({stats.calls_per_second:,.0f} calls/s)")


def handle_assemble(args: argparse.Namespace, settings: Settings) -> int:
    db = open_database(settings)
    try:
        migrate.upgrade(db.engine)
        if args.loop:
            stop = threading.Event()

            def _stop(_signum: int, _frame: Any) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            run_loop(db.engine, settings, stop)
            return 0
        if args.rebuild_rollups:
            print(_rebuild_all(db.engine))
            return 0
        stats = assemble_pending(db.engine, settle_seconds=settings.settle_seconds, flush=args.flush,
                                 batch_traces=args.batch_traces)
        print(_summary(stats))
        return 0
    except SQLAlchemyError as exc:
        raise CommandError(f"assembling failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc
    finally:
        db.close()


def _rebuild_all(engine: Engine) -> str:
    with engine.connect() as conn:
        first, last = conn.execute(text("SELECT min(start_time), max(start_time) FROM llm_calls")).one()
    if first is None:
        return "no stored calls: nothing to rebuild"
    written = recompute_hours(engine, first, last + timedelta(microseconds=1))
    return f"rebuilt the rollups of {first:%Y-%m-%d %H}:00 .. {last:%Y-%m-%d %H}:00 UTC ({written} call rollup rows)"


def handle_retention(args: argparse.Namespace, settings: Settings) -> int:
    db = open_database(settings)
    try:
        migrate.upgrade(db.engine)
        result = apply_retention(db.engine, retention_days=settings.retention_days,
                                 skeleton_retention_days=settings.skeleton_retention_days, dry_run=args.dry_run)
    except SQLAlchemyError as exc:
        raise CommandError(f"retention failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc
    finally:
        db.close()
    verb = "would drop" if result.dry_run else "dropped"
    print(f"calls before {result.calls_boundary:%Y-%m-%d} ({settings.retention_days} days): {verb} "
          f"{len(result.call_partitions)} partitions {result.call_partitions}, "
          f"{result.task_runs_deleted} task runs, {result.rollups_deleted} rollup rows")
    print(f"skeletons before {result.skeletons_boundary:%Y-%m-%d} ({settings.skeleton_retention_days} days): "
          f"{verb} {len(result.skeleton_partitions)} partitions {result.skeleton_partitions}")
    sys.stdout.flush()
    return 0
