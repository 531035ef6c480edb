"""``modelmix demo``: send weeks of realistic, backdated LLM traffic to a running collector.

The traffic goes over OTLP/HTTP like any instrumented service's; the demo never writes to the
database (``--with-price-change`` stores one price override through the pricing module, and only
when ``MODELMIX_DATABASE_URL`` is set).
"""

from __future__ import annotations

import argparse
import logging
import sys

from modelmix.cli import CommandError
from modelmix.demo import DemoError, run_demo
from modelmix.demo.price_change import apply_price_change, price_change_commands
from modelmix.demo.progress import ProgressBar
from modelmix.demo.schedule import MAX_WEEKS, demo_window
from modelmix.settings import Settings

_ANY_ADDRESS = {"0.0.0.0", "::", "[::]"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    demo = sub.add_parser(
        "demo", help="send weeks of realistic LLM traffic to the collector over OTLP",
        description="Generate backdated multi-service LLM traces with the OpenTelemetry SDK and send them "
                    "to a running modelmix collector over OTLP/HTTP.",
    )
    demo.add_argument("--weeks", type=int, default=8, help=f"weeks of history, 1-{MAX_WEEKS} (default 8)")
    demo.add_argument("--endpoint", help="OTLP/HTTP endpoint (default: http://MODELMIX_OTLP_HOST:"
                                         "MODELMIX_OTLP_HTTP_PORT, i.e. http://127.0.0.1:4318)")
    demo.add_argument("--seed", type=int, default=42, help="random seed; the same seed replays the same traffic")
    demo.add_argument("--scale", type=float, default=1.0,
                      help="volume multiplier; 1.0 is about 4,000 calls a day (default 1.0)")
    demo.add_argument("--token", help="ingest token to send (default: the first of MODELMIX_INGEST_TOKENS)")
    demo.add_argument("--workers", type=int, default=4, help="parallel OTLP requests (default 4)")
    demo.add_argument("--with-price-change", action="store_true",
                      help="also store a mid-period price override (needs MODELMIX_DATABASE_URL)")
    demo.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")
    demo.set_defaults(handler=handle_demo)


def default_endpoint(settings: Settings) -> str:
    host = "127.0.0.1" if settings.otlp_host in _ANY_ADDRESS else settings.otlp_host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.otlp_http_port}"


def handle_demo(args: argparse.Namespace, settings: Settings) -> int:
    if args.with_price_change and not settings.database_url:
        raise CommandError(
            "--with-price-change stores a price override and needs MODELMIX_DATABASE_URL; without it, run "
            "the demo plainly and then the `modelmix prices set` and `modelmix reprice` commands it prints."
        )
    token = args.token or (settings.ingest_tokens[0] if settings.ingest_tokens else None)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    endpoint = args.endpoint or default_endpoint(settings)
    progress = None if args.no_progress else ProgressBar(sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise here
    try:
        window = demo_window(args.weeks)
        summary = run_demo(endpoint, weeks=args.weeks, seed=args.seed, progress=progress, scale=args.scale,
                           headers=headers, workers=args.workers, now=window.end)
    except (ValueError, DemoError) as exc:
        raise CommandError(str(exc)) from None
    print(summary.describe())
    if args.with_price_change:
        assert settings.database_url is not None
        change = apply_price_change(settings.database_url, window)
        stored = "stored" if change.override_id is not None else "already stored"
        print(f"price change: gemini-2.5-pro discount from {change.valid_from:%Y-%m-%d} {stored}; "
              f"{change.rows_repriced:,} calls repriced")
    else:
        print("to add a mid-period price change (a Gemini 2.5 Pro discount) and reprice history, run:")
        for command in price_change_commands(window):
            print(f"  {command}")
    print(_next_steps(settings))
    return 0


def _next_steps(settings: Settings) -> str:
    host = "127.0.0.1" if settings.dashboard_host in _ANY_ADDRESS else settings.dashboard_host
    return (
        f"open the dashboard at http://{host}:{settings.dashboard_port}; task runs and escalations "
        f"appear once each trace has been quiet for MODELMIX_SETTLE_SECONDS ({settings.settle_seconds:g}s)."
    )
