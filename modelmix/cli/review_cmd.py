"""``modelmix review``: the weekly model-mix review, stored as a snapshot and optionally posted to a webhook.

``modelmix review --week 2026-W47`` prints the latest stored review of that week (saying so on
stderr) or, when there is none, generates one and stores it; ``--regenerate`` always builds a new
one. Without ``--week`` it reviews the last complete ISO week (what a Monday-morning cron wants).
``--post`` sends the summary to ``MODELMIX_WEBHOOK_URL`` after the snapshot is stored, so a failed
post never loses it. Exit codes: 0 done, 1 failed (database, output file or webhook), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import Engine

from modelmix.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError
from modelmix.review.snapshots import ReviewSnapshot, latest_snapshot, list_snapshots
from modelmix.review.weeks import last_complete_week, normalize_week
from modelmix.settings import Settings

FORMATS = ("markdown", "html")


def iso_week(raw: str) -> str:
    """argparse type for ``--week``: the canonical ISO week, or a usage error (exit 2)."""
    try:
        return normalize_week(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("review", help="the weekly model-mix review (stored; markdown or HTML)",
                            description="Print the model-mix review of an ISO week, compared with the week before.")
    parser.add_argument("--week", type=iso_week, metavar="YYYY-Www",
                        help="ISO week to review, e.g. 2026-W47 (default: the last complete week)")
    parser.add_argument("--format", choices=FORMATS, default="markdown", help="output format (default: markdown)")
    parser.add_argument("--out", metavar="FILE", help="write the review to FILE instead of stdout")
    parser.add_argument("--regenerate", action="store_true",
                        help="build a new review even if one is stored for the week (the old one is kept)")
    parser.add_argument("--post", action="store_true",
                        help="also post the summary to MODELMIX_WEBHOOK_URL as JSON {\"text\": ...}")
    parser.add_argument("--list", action="store_true", help="list stored reviews and exit")
    parser.add_argument("--no-assemble", action="store_true",
                        help="do not assemble pending traces before generating (read-only use)")
    parser.set_defaults(handler=handle)


def _generate(engine: Engine, assembly_engine: Engine, week: str, settings: Settings, assemble: bool
              ) -> ReviewSnapshot:
    from modelmix.pricing import PriceBook
    from modelmix.review.generate import generate_review
    from modelmix.tiers import TierMap

    if assemble:
        from modelmix.assembly import assemble_pending

        assemble_pending(assembly_engine, flush=True, settle_seconds=settings.settle_seconds)
    pricebook = PriceBook.load(engine)
    return generate_review(engine, week, pricebook, TierMap.load(engine, pricebook))


def _write(snapshot: ReviewSnapshot, fmt: str, out: str | None) -> None:
    text = snapshot.html if fmt == "html" else snapshot.markdown
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(out).expanduser().write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"review: cannot write {out}: {exc.strerror or exc} "
                           f"(the review is stored as snapshot {snapshot.id})") from None
    print(f"wrote the {fmt} review of {snapshot.week} to {out}", file=sys.stderr)


def _list(engine: Engine) -> int:
    snapshots = list_snapshots(engine)
    if not snapshots:
        print("no stored reviews yet; run `modelmix review` to generate one", file=sys.stderr)
    for info in snapshots:
        print(f"{info.id}\t{info.week}\t{info.generated_at.isoformat().replace('+00:00', 'Z')}")
    return EXIT_OK


def handle(args: argparse.Namespace, settings: Settings) -> int:
    if args.post and not settings.webhook_url:
        print("modelmix review: error: --post needs MODELMIX_WEBHOOK_URL to be set", file=sys.stderr)
        return EXIT_USAGE
    from sqlalchemy.exc import SQLAlchemyError

    from modelmix.db.engine import make_engine, open_database

    db = open_database(settings)
    engine = make_engine(db.url, statement_timeout_ms=settings.query_timeout_ms)
    try:
        if args.list:
            return _list(engine)
        week = args.week or last_complete_week()
        snapshot = None if args.regenerate else latest_snapshot(engine, week)
        if snapshot is not None:
            partial = "" if snapshot.data.get("complete", True) else ", before the week was over"
            print(f"showing the review of {week} stored at {snapshot.generated_at:%Y-%m-%d %H:%M:%S} UTC "
                  f"(snapshot {snapshot.id}{partial}); pass --regenerate to build a new one", file=sys.stderr)
        else:
            snapshot = _generate(engine, db.engine, week, settings, assemble=not args.no_assemble)
            print(f"generated and stored the review of {week} (snapshot {snapshot.id})", file=sys.stderr)
    except SQLAlchemyError as exc:
        raise CommandError(f"review: database error: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
        db.close()
    _write(snapshot, args.format, args.out)
    if args.post:
        return _post(snapshot, settings.webhook_url or "")
    return EXIT_OK


def _post(snapshot: ReviewSnapshot, url: str) -> int:
    from modelmix.review.markdown import summary_markdown
    from modelmix.review.webhook import WebhookError, post_text

    try:
        status = post_text(url, summary_markdown(snapshot.data))
    except WebhookError as exc:
        print(f"modelmix review: {exc}; the review is stored as snapshot {snapshot.id}", file=sys.stderr)
        return EXIT_FAILED
    print(f"posted the summary of {snapshot.week} to MODELMIX_WEBHOOK_URL (HTTP {status})", file=sys.stderr)
    return EXIT_OK
