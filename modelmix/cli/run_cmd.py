"""``modelmix up`` (everything), ``modelmix collector`` and ``modelmix dashboard`` (one part alone)."""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from datetime import UTC, datetime

from modelmix.db import migrate
from modelmix.db.engine import Database, open_database
from modelmix.db.partitions import ensure_upcoming
from modelmix.settings import Settings
from modelmix.supervisor import Part, Supervisor, child_env, dashboard_argv, modelmix_argv


def register(sub: argparse._SubParsersAction) -> None:
    up = sub.add_parser("up", help="migrate, then run collector, assembler and dashboard together")
    up.add_argument("--no-dashboard", action="store_true", help="run without the dashboard")
    up.set_defaults(handler=handle_up)
    col = sub.add_parser("collector", help="run the OTLP collector alone")
    col.set_defaults(handler=handle_collector)
    dash = sub.add_parser("dashboard", help="run the dashboard alone")
    dash.set_defaults(handler=handle_dashboard)


def prepare_database(settings: Settings) -> Database:
    """Open the database (embedded when no URL), migrate to head and create coming partitions."""
    started = time.monotonic()
    db = open_database(settings)
    migrate.upgrade(db.engine)
    with db.engine.begin() as conn:
        ensure_upcoming(conn, datetime.now(UTC))
    kind = "embedded PostgreSQL" if db.embedded else "PostgreSQL"
    print(f"modelmix: {kind} ready and migrated in {time.monotonic() - started:.1f}s", flush=True)
    return db


def handle_up(args: argparse.Namespace, settings: Settings) -> int:
    db = prepare_database(settings)
    try:
        env = child_env(db.url)
        parts = [
            Part("collector", modelmix_argv("collector")),
            Part("assembler", modelmix_argv("assemble", "--loop")),
        ]
        if not args.no_dashboard:
            parts.append(Part("dashboard", dashboard_argv(settings.dashboard_host, settings.dashboard_port)))
        supervisor = Supervisor(parts, env)
        supervisor.start()
        host = settings.otlp_host
        print(
            "modelmix is up:\n"
            f"  OTLP/HTTP  http://{host}:{settings.otlp_http_port}/v1/traces\n"
            f"  OTLP/gRPC  {host}:{settings.otlp_grpc_port}\n"
            f"  metrics    http://{host}:{settings.otlp_http_port}/metrics\n"
            + ("" if args.no_dashboard else
               f"  dashboard  http://{settings.dashboard_host}:{settings.dashboard_port}\n")
            + "Press Ctrl-C to stop.",
            flush=True,
        )
        return supervisor.wait()
    finally:
        db.close()
        print("modelmix: stopped", flush=True)


def handle_collector(args: argparse.Namespace, settings: Settings) -> int:
    from collector.service import serve

    db = prepare_database(settings) if not settings.database_url else open_database(settings)
    try:
        serve(settings, db.url)
    finally:
        db.close()
    return 0


def handle_dashboard(args: argparse.Namespace, settings: Settings) -> int:
    db = prepare_database(settings) if not settings.database_url else open_database(settings)
    try:
        env = child_env(db.url)
        proc = subprocess.Popen(dashboard_argv(settings.dashboard_host, settings.dashboard_port), env=env)
        print(f"dashboard: http://{settings.dashboard_host}:{settings.dashboard_port}", flush=True)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            proc.wait()
            return 0
    finally:
        db.close()
        os.environ.pop("MODELMIX_DATABASE_URL", None)
