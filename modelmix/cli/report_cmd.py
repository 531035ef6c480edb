"""``modelmix report``: the window report (model mix, cost per task, escalations, downgrade candidates).

Assembles every pending trace first (so a report right after ingest is complete), then prints
``modelmix.report.build_report`` as JSON or markdown. Bad dates or an unknown format exit with 2.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from modelmix.analytics import FilterError, Filters
from modelmix.cli import EXIT_USAGE, CommandError
from modelmix.settings import Settings


def iso_datetime(raw: str) -> datetime:
    """An ISO 8601 date or date-time; naive values are UTC."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not an ISO 8601 date or date-time (e.g. 2026-11-02 or 2026-11-02T09:00:00Z)"
        ) from None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 lies before year 1 in UTC
        raise argparse.ArgumentTypeError(f"{raw!r} is out of range") from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("report", help="print the model-mix report for a window (JSON or markdown)")
    parser.add_argument("--format", choices=("json", "markdown"), default="markdown",
                        help="output format (default: markdown)")
    parser.add_argument("--since", type=iso_datetime, help="window start, inclusive (default: --until - 7 days)")
    parser.add_argument("--until", type=iso_datetime, help="window end, exclusive (default: now)")
    parser.add_argument("--service", action="append", default=[], metavar="NAME",
                        help="only this service (repeatable)")
    parser.add_argument("--task", action="append", default=[], metavar="NAME", help="only this task (repeatable)")
    parser.add_argument("--no-assemble", action="store_true",
                        help="do not assemble pending traces first (read-only use)")
    parser.set_defaults(handler=handle)


def _filters(args: argparse.Namespace) -> Filters:
    until = args.until or datetime.now(UTC)
    since = args.since or until - timedelta(days=7)
    return Filters(since, until, services=tuple(args.service), tasks=tuple(args.task))


def handle(args: argparse.Namespace, settings: Settings) -> int:
    try:
        filters = _filters(args)
    except FilterError as exc:
        print(f"modelmix report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from modelmix.db.engine import make_engine, open_database
    from modelmix.pricing import PriceBook
    from modelmix.report import build_report, render
    from modelmix.tiers import TierMap

    db = open_database(settings)
    engine = make_engine(db.url, statement_timeout_ms=settings.query_timeout_ms)
    try:
        if not args.no_assemble:
            from modelmix.assembly import assemble_pending

            assemble_pending(db.engine, flush=True, settle_seconds=settings.settle_seconds)
        pricebook = PriceBook.load(engine)
        report = build_report(engine, filters, pricebook, TierMap.load(engine, pricebook))
    except FilterError as exc:
        raise CommandError(str(exc)) from None
    finally:
        engine.dispose()
        db.close()
    sys.stdout.write(render(report, args.format))
    return 0
