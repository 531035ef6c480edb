"""The ``modelmix`` command line: one sub-command per module, dispatched from here.

Exit codes: 0 success, 1 the command failed (message on stderr), 2 bad usage or a bad setting.
Every ``modelmix/cli/*_cmd.py`` module is discovered and exposes ``register(subparsers)`` which adds its parser and sets
``handler(args, settings) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

import psycopg
from sqlalchemy.exc import OperationalError

from modelmix.settings import Settings, SettingsError


def command_modules() -> list[str]:
    """Every ``modelmix/cli/*_cmd.py`` module, in name order."""
    package_dir = Path(__file__).parent
    return sorted(f"modelmix.cli.{info.name}" for info in pkgutil.iter_modules([str(package_dir)])
                  if info.name.endswith("_cmd"))

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(RuntimeError):
    """A command failed in a way the user can fix; the message is shown without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelmix",
        description="Model mix as a production metric: collector, dashboard, reports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in command_modules():
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"modelmix: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.log_level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return int(args.handler(args, settings) or 0)
    except CommandError as exc:
        print(f"modelmix: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (OperationalError, psycopg.OperationalError) as exc:  # unreachable, refused, timed out, ...
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        print(f"modelmix: the database cannot be used: {reason[0] if reason else type(exc).__name__} "
              "(check MODELMIX_DATABASE_URL)", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def entrypoint() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
