"""Running ``modelmix.cli.main`` in-process with captured output, and a small seeded database.

``run_cli(argv)`` returns ``(exit code, stdout, stderr)``; argparse's usage errors (``SystemExit``)
become their exit code, anything else a command raises is left to fail the test. ``seed_calls``
stores a few calls through the collector's writer and assembles them, so the CLI and dashboard
tests have rows an injected statement could damage.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from collector.writer import PostgresWriter
from modelmix.assembly import assemble_pending
from modelmix.cli import main
from modelmix.pricing import PriceBook
from tests.collector.factories import make_call, make_skeleton

SEED_SERVICES = ("checkout", "support-bot")
SEED_TASKS = ("classify-ticket", "summarize-thread")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: bad usage
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def environment(**variables: str) -> Iterator[None]:
    """Set ``MODELMIX_*`` variables for the block, restoring what was there."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def seed_calls(engine: Engine, per_task: int = 6) -> int:
    """Store and assemble a few task runs (recent, priced); the number of calls stored."""
    book = PriceBook.load(engine)
    writer = PostgresWriter(engine, pricer=book.price)
    now = datetime.now(UTC).replace(microsecond=0)
    calls, skeletons = [], []
    for i in range(per_task * len(SEED_TASKS)):
        task = SEED_TASKS[i % len(SEED_TASKS)]
        root = make_skeleton(name=task, task=task, start_time=now - timedelta(hours=2, minutes=i))
        skeletons.append(root)
        for model, served in (("gpt-4o-mini", "gpt-4o-mini-2024-07-18"), ("gpt-4o", "gpt-4o-2024-08-06")):
            calls.append(make_call(trace_id=root.trace_id, parent_span_id=root.span_id, start_time=root.start_time,
                                   service=SEED_SERVICES[i % 2], request_model=model, response_model=served,
                                   task=task))
    try:
        writer.write(calls, skeletons)
    finally:
        writer.close()
    assemble_pending(engine, flush=True, settle_seconds=0)
    return len(calls)
