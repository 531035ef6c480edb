"""``modelmix prices …``, ``modelmix tiers …`` and ``modelmix reprice``: operator control of cost.

``prices list|set|import|export|delete|check`` manage effective-dated overrides and show where
each price in force comes from; ``tiers list|set`` show and override tiers and cheaper siblings;
``reprice --since --until`` recomputes stored costs after a price change (progress on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from modelmix.analytics.filters import EARLIEST, LATEST
from modelmix.cli import CommandError
from modelmix.db import migrate
from modelmix.db.engine import open_database
from modelmix.pricing import (
    PriceBook,
    PriceError,
    RepriceProgress,
    cost_mismatches,
    delete_price_override,
    export_prices,
    import_prices,
    list_prices,
    models_seen,
    reprice,
    set_price_override,
)
from modelmix.pricing.importer import override_from_fields, parse_time
from modelmix.pricing.rates import Rate, TieredPrice
from modelmix.pricing.reprice import rebuild_rollups
from modelmix.settings import Settings
from modelmix.tiers import TierError, TierMap, list_tiers, set_tier


def register(sub: argparse._SubParsersAction) -> None:
    prices = sub.add_parser("prices", help="price overrides and the prices in force")
    actions = prices.add_subparsers(dest="prices_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="overrides, and the price in force for each model seen")
    listing.add_argument("--at", help="list prices in force at this ISO time (default: now)")
    listing.add_argument("--days", type=int, default=30, help="models seen in this many days (default 30)")
    listing.add_argument("--model", action="append", default=[], help="also show this model (repeatable)")
    listing.add_argument("--provider", help="provider for --model")
    setter = actions.add_parser("set", help="add an effective-dated price override")
    setter.add_argument("model", help="model id, or a glob pattern with --pattern")
    setter.add_argument("--input", required=True, help="USD per million uncached input tokens")
    setter.add_argument("--output", required=True, help="USD per million output tokens")
    setter.add_argument("--cache-read", help="USD per million cache-read tokens (default: input price)")
    setter.add_argument("--cache-write", help="USD per million cache-write tokens (default: input price)")
    setter.add_argument("--reasoning", help="USD per million reasoning tokens (default: output price)")
    setter.add_argument("--provider", help="only for this provider (default: any)")
    setter.add_argument("--pattern", action="store_true", help="MODEL is a glob pattern (* ? [...])")
    setter.add_argument("--from", dest="valid_from", help="valid from this ISO time (default: now)")
    setter.add_argument("--until", dest="valid_until", help="valid until this ISO time (default: open)")
    setter.add_argument("--note", help="free text shown in listings")
    importer = actions.add_parser("import", help="import overrides from a CSV or JSON file (all or nothing)")
    importer.add_argument("file")
    importer.add_argument("--format", choices=("csv", "json"), help="default: from the file name")
    exporter = actions.add_parser("export", help="print every override as CSV or JSON")
    exporter.add_argument("--format", choices=("csv", "json"), default="csv")
    exporter.add_argument("--output", help="write to this file instead of stdout")
    deleter = actions.add_parser("delete", help="remove one override by id")
    deleter.add_argument("id", type=int)
    check = actions.add_parser("check", help="calls whose computed and reported costs disagree")
    check.add_argument("--since", required=True)
    check.add_argument("--until", required=True)
    check.add_argument("--tolerance", type=float, default=0.05, help="relative difference (default 0.05)")
    check.add_argument("--limit", type=int, default=20)
    prices.set_defaults(handler=handle_prices)

    tiers = sub.add_parser("tiers", help="model tiers and cheaper siblings")
    tier_actions = tiers.add_subparsers(dest="tiers_action", metavar="ACTION", required=True)
    tier_list = tier_actions.add_parser("list", help="tier and cheaper sibling of each model seen")
    tier_list.add_argument("--days", type=int, default=30, help="models seen in this many days (default 30)")
    tier_list.add_argument("--model", action="append", default=[], help="also show this model (repeatable)")
    tier_set = tier_actions.add_parser("set", help="override a model's tier and/or cheaper sibling")
    tier_set.add_argument("model", help="canonical model id")
    tier_set.add_argument("--tier", help="small, mid, frontier, or 'default' for the price-derived tier")
    tier_set.add_argument("--sibling", help="cheaper sibling model, 'none', or 'default'")
    tier_set.add_argument("--rollups-since", help="rebuild hourly rollups from this ISO time on, so "
                          "past hours show the new tier")
    tiers.set_defaults(handler=handle_tiers)

    again = sub.add_parser("reprice", help="recompute stored costs for a window after a price change")
    again.add_argument("--since", required=True, help="ISO date or time (inclusive)")
    again.add_argument("--until", required=True, help="ISO date or time (exclusive)")
    again.add_argument("--no-rollups", action="store_true", help="do not recompute hourly rollups")
    again.set_defaults(handler=handle_reprice)


@contextmanager
def _database(settings: Settings) -> Iterator[Engine]:
    db = open_database(settings)
    try:
        migrate.upgrade(db.engine)
        yield db.engine
    finally:
        db.close()


def handle_prices(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with _database(settings) as engine:
            action = args.prices_action
            if action == "list":
                _prices_list(engine, args)
            elif action == "set":
                _prices_set(engine, args)
            elif action == "import":
                result = import_prices(engine, args.file, args.format)
                ids = ", ".join(map(str, result.ids)) or "none"
                print(f"imported {result.inserted} price(s) (ids: {ids}); "
                      f"skipped {result.skipped} identical to stored ones")
            elif action == "export":
                text = export_prices(engine, args.format)
                if args.output:
                    Path(args.output).write_text(text, encoding="utf-8")
                else:
                    sys.stdout.write(text)
            elif action == "delete":
                if not delete_price_override(engine, args.id):
                    raise CommandError(f"no price override with id {args.id}")
                print(f"deleted price override {args.id}; run `modelmix reprice` to update stored costs")
            else:
                _prices_check(engine, args)
    except (PriceError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    return 0


def _prices_list(engine: Engine, args: argparse.Namespace) -> None:
    at = _time("--at", args.at) if args.at else datetime.now(UTC)
    since = at - timedelta(days=max(args.days, 0))
    book = PriceBook.load(engine)
    wanted: list[tuple[str | None, str, int | None]] = [(args.provider, m, None) for m in args.model]
    seen: list[tuple[str | None, str, int | None]] = [(s.provider, s.model, s.calls)
                                                      for s in models_seen(engine, since)]
    listings = list_prices(engine, book, at, wanted + seen)
    overrides = [x for x in listings if x.kind == "override"]
    in_force = [x for x in listings if x.kind != "override"]
    print(f"Price overrides ({len(overrides)}); prices are USD per million tokens:")
    _table(["SOURCE", "PROVIDER", "MODEL", "MATCH", *_RATE_HEADERS, "IN FORCE"],
           [[x.rate.source if x.rate else "", x.provider or "any", x.model, x.match_kind or "",
             *_rate_cells(x.rate), "yes" if x.in_force else "no"] for x in overrides])
    print(f"\nPrices in force at {_iso(at)} for models seen since {_iso(since)}"
          + (" and models asked for" if wanted else "") + f" ({len(in_force)}):")
    _table(["PROVIDER", "MODEL", "CANONICAL", "CALLS", "SOURCE", *_RATE_HEADERS],
           [[x.provider or "", x.model, book.canonical_model(x.provider, x.model) or "",
             "" if x.calls is None else str(x.calls), x.rate.source if x.rate else "UNPRICED",
             *_rate_cells(x.rate)] for x in in_force])


def _prices_set(engine: Engine, args: argparse.Namespace) -> None:
    override = override_from_fields({
        "model": args.model, "provider": args.provider, "match": "pattern" if args.pattern else "exact",
        "valid_from": args.valid_from, "valid_until": args.valid_until, "input_per_mtok": args.input,
        "output_per_mtok": args.output, "cache_read_per_mtok": args.cache_read,
        "cache_write_per_mtok": args.cache_write, "reasoning_per_mtok": args.reasoning, "note": args.note,
    }, default_from=datetime.now(UTC))
    new_id = set_price_override(engine, override)
    print(f"stored price override {new_id} for {override.model} ({override.provider or 'any provider'}), "
          f"valid from {_iso(override.valid_from)}"
          + (f" until {_iso(override.valid_until)}" if override.valid_until else ""))
    if override.valid_from < datetime.now(UTC):
        print(f"calls already stored keep their cost until you run: modelmix reprice "
              f"--since {_iso(override.valid_from)} --until {_iso(datetime.now(UTC) + timedelta(minutes=1))}")


def _prices_check(engine: Engine, args: argparse.Namespace) -> None:
    from decimal import Decimal

    if args.tolerance < 0 or args.limit < 0:
        raise CommandError("--tolerance and --limit must not be negative")
    result = cost_mismatches(engine, _time("--since", args.since), _time("--until", args.until),
                             tolerance=Decimal(str(args.tolerance)), limit=args.limit)
    print(f"{result.disagreeing} of {result.compared} calls with a reported cost disagree by more than "
          f"{args.tolerance:.0%}")
    _table(["START", "PROVIDER", "MODEL", "COST", "REPORTED", "PRICE SOURCE", "TRACE", "SPAN"],
           [[_iso(m.start_time), m.provider or "", m.model or "", str(m.cost_usd.normalize()),
             str(m.reported_cost_usd.normalize()), m.price_source or "", m.trace_id, m.span_id]
            for m in result.mismatches])


def handle_tiers(args: argparse.Namespace, settings: Settings) -> int:
    with _database(settings) as engine:
        try:
            if args.tiers_action == "set":
                rollups_since = _time("--rollups-since", args.rollups_since) if args.rollups_since else None
                set_tier(engine, args.model, tier=args.tier, cheaper_sibling=args.sibling)
                if rollups_since is not None:
                    now = datetime.now(UTC)
                    print(f"hourly rollups since {_iso(rollups_since)}: "
                          f"{rebuild_rollups(engine, rollups_since, max(now, rollups_since))}")
                elif args.tier is not None:
                    print("stored hourly rollups keep the previous tier; add --rollups-since DATE to rebuild them")
        except TierError as exc:
            raise CommandError(str(exc)) from None
        book = PriceBook.load(engine)
        tier_map = TierMap.load(engine, book)
        if args.tiers_action == "set":
            models = [args.model.strip().lower()]
        else:
            since = datetime.now(UTC) - timedelta(days=max(args.days, 0))
            seen = [s.canonical_model or book.canonical_model(s.provider, s.model) for s in models_seen(engine, since)]
            models = [*(m.strip().lower() for m in args.model), *tier_map.overridden, *(m for m in seen if m)]
        print("Tiers by blended list price (3 input : 1 output, USD per million tokens):")
        _table(["MODEL", "TIER", "FROM", "CHEAPER SIBLING", "FROM", "BLENDED $/MTOK"],
               [[i.model, i.tier or "unknown", i.tier_source or "", i.cheaper_sibling or "",
                 i.sibling_source or "", "" if i.reference_price is None else f"{i.reference_price:.4f}"]
                for i in list_tiers(tier_map, models)])
    return 0


def handle_reprice(args: argparse.Namespace, settings: Settings) -> int:
    since, until = _time("--since", args.since), _time("--until", args.until)
    if until <= since:
        raise CommandError("--until must be after --since")
    with _database(settings) as engine:
        result = reprice(engine, PriceBook.load(engine), since, until, progress=_progress,
                         recompute_rollups=not args.no_rollups)
    print(f"repriced {result.rows_seen} calls over {result.days} day(s): {result.rows_changed} changed, "
          f"{result.unpriced} unpriced; rollups {result.rollups}")
    return 0


def _progress(p: RepriceProgress) -> None:
    width = 30
    filled = width * p.days_done // max(p.days_total, 1)
    end = "\n" if p.days_done == p.days_total or not sys.stderr.isatty() else "\r"
    sys.stderr.write(f"reprice [{'#' * filled}{'.' * (width - filled)}] {p.days_done}/{p.days_total} days "
                     f"{p.day:%Y-%m-%d}  rows {p.rows_seen:,}  changed {p.rows_changed:,}{end}")
    sys.stderr.flush()


_RATE_HEADERS = ["INPUT", "CACHE READ", "CACHE WRITE", "OUTPUT", "REASONING", "VALID FROM", "VALID UNTIL",
                 "NOTE"]


def _rate_cells(rate: Rate | None) -> list[str]:
    if rate is None:
        return ["", "", "", "", "", "", "", ""]

    def price(value: TieredPrice | None, fallback: str) -> str:
        return fallback if value is None else str(value).removeprefix("$").replace("$", "")

    return [price(rate.input, ""), price(rate.cache_read, "=input"), price(rate.cache_write, "=input"),
            price(rate.output, ""), price(rate.reasoning, "=output"),
            _iso(rate.valid_from) if rate.valid_from else "always",
            _iso(rate.valid_until) if rate.valid_until else "open", rate.note or ""]


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if not rows:
        print("  (none)")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def _time(flag: str, value: str) -> datetime:
    try:
        moment = parse_time(flag, value)
    except PriceError as exc:
        raise CommandError(str(exc)) from None
    if moment is None:
        raise CommandError(f"{flag}: needs an ISO 8601 date or time")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise CommandError(f"{flag}: {value.strip()[:40]!r} is out of range") from None
    if not EARLIEST <= moment <= LATEST:  # beyond these, date arithmetic overflows (and no call exists)
        raise CommandError(f"{flag}: must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return moment


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
