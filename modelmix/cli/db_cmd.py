"""``modelmix db upgrade|downgrade|current``: schema migrations."""

from __future__ import annotations

import argparse

from modelmix.db import migrate
from modelmix.db.engine import open_database
from modelmix.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("db", help="database schema migrations")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="migrate to a revision (default: head)")
    up.add_argument("revision", nargs="?", default="head")
    down = actions.add_parser("downgrade", help="migrate down to a revision (e.g. -1 or base)")
    down.add_argument("revision")
    actions.add_parser("current", help="print the current revision")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    db = open_database(settings)
    try:
        if args.db_action == "upgrade":
            migrate.upgrade(db.engine, args.revision)
            print(f"database at {migrate.current_revision(db.engine) or 'base'}")
        elif args.db_action == "downgrade":
            migrate.downgrade(db.engine, args.revision)
            print(f"database at {migrate.current_revision(db.engine) or 'base'}")
        else:
            current = migrate.current_revision(db.engine)
            head = migrate.head_revision()
            state = "up to date" if current == head else f"head is {head}"
            print(f"{current or 'base'} ({state})")
    finally:
        db.close()
    return 0
