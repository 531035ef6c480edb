"""``PostgresWriter``: the sink that prices each call and stores a batch in PostgreSQL in one commit.

It owns one psycopg connection (binary COPY through ``modelmix.db.writes``) and makes sure the
weekly partitions a batch touches exist (in their own short transaction, before the batch). A batch
is first copied straight into the stored tables (``copy_new_rows``); when one of its rows is stored
already (a resent span) that transaction is rolled back and the batch, and the few after it, go
through the staging tables' ``ON CONFLICT DO NOTHING`` (``write_rows``), so a resent span is stored
once either way. Failures are sorted into two kinds:

* the database is unreachable (connection refused or lost, server shutting down, ...): the whole
  batch raises ``DatabaseUnavailable`` so every request in it is answered "retry";
* a data error (a value PostgreSQL refuses, a violated check): the batch is retried inside one
  transaction by bisection with a savepoint per part, so only the poison rows are left out; their
  span ids are logged, counted and reported back so the requests carrying them get a partial success.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import sqlalchemy.exc
from sqlalchemy import Engine

from collector.batcher import BatchResult, SpanKey
from collector.errors import DatabaseUnavailable
from modelmix.db.engine import libpq_url
from modelmix.db.partitions import PARTITIONED_TABLES, PartitionManager, week_start
from modelmix.db.writes import WriteCounts, call_row, copy_new_rows, prepare_session, skeleton_row, write_rows
from modelmix.records import LlmCall, SpanSkeleton

log = logging.getLogger(__name__)

Pricer = Callable[[LlmCall], LlmCall]

# Errors caused by the rows themselves: PostgreSQL refusing a value or a constraint, or the client
# failing to encode one. They never make the whole batch fail; the offending rows are isolated.
DATA_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.DataError, psycopg.IntegrityError, ValueError, TypeError, OverflowError,
)
UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError, psycopg.InterfaceError,
    sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
)
_CONTIGUOUS_WEEKS = 5  # spans of at most this many weeks get every partition in between
# After a batch held an already-stored row, this many batches skip the straight COPY (it would most
# likely fail too) and go through the staging tables' ON CONFLICT DO NOTHING directly.
STAGED_BATCHES_AFTER_DUPLICATE = 8


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@dataclass
class _Entry:
    key: SpanKey
    row: tuple[Any, ...]
    is_call: bool


@dataclass
class _Isolation:
    calls: int = 0
    skeletons: int = 0
    rejected: set[SpanKey] = field(default_factory=set)
    messages: list[str] = field(default_factory=list)


class PostgresWriter:
    def __init__(self, engine: Engine, *, pricer: Pricer | None = None, connect_timeout_s: int = 5,
                 on_pricing_error: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._url = libpq_url(engine.url.render_as_string(hide_password=False))
        self._pricer = pricer
        self._on_pricing_error = on_pricing_error
        self._connect_timeout = connect_timeout_s
        self._partitions = PartitionManager()
        self._ensured_weeks: set[date] = set()
        self._conn: psycopg.Connection[Any] | None = None
        self._staged_batches_left = 0

    def write(self, calls: Sequence[LlmCall], skeletons: Sequence[SpanSkeleton]) -> BatchResult:
        priced = self._price(calls)
        call_rows = [call_row(c) for c in priced]
        skeleton_rows = [skeleton_row(s) for s in skeletons]
        reused = self._conn is not None
        try:
            counts, rejected, messages = self._store(priced, skeletons, call_rows, skeleton_rows)
        except UNREACHABLE_ERRORS as exc:
            self._discard_connection()
            if not reused:
                raise DatabaseUnavailable(f"PostgreSQL is unreachable: {_first_line(exc)}") from exc
            # A kept connection may have died while idle (server restart, failover, idle timeout):
            # try once more on a new one. Safe even if the lost commit went through: writes are idempotent.
            log.info("the database connection was lost (%s); reconnecting", _first_line(exc))
            try:
                counts, rejected, messages = self._store(priced, skeletons, call_rows, skeleton_rows)
            except UNREACHABLE_ERRORS as again:
                self._discard_connection()
                raise DatabaseUnavailable(f"PostgreSQL is unreachable: {_first_line(again)}") from again
        duplicates = len(call_rows) + len(skeleton_rows) - len(rejected) - counts.calls - counts.skeletons
        return BatchResult(calls_written=counts.calls, skeletons_written=counts.skeletons,
                           duplicates=duplicates, rejected=rejected, messages=messages)

    def _store(self, calls: Sequence[LlmCall], skeletons: Sequence[SpanSkeleton],
               call_rows: list[tuple[Any, ...]], skeleton_rows: list[tuple[Any, ...]]
               ) -> tuple[WriteCounts, frozenset[SpanKey], tuple[str, ...]]:
        self._ensure_partitions(calls, skeletons)
        conn = self._connection()
        try:
            if self._staged_batches_left:
                self._staged_batches_left -= 1
            else:
                try:
                    with conn.transaction():
                        return copy_new_rows(conn, call_rows, skeleton_rows), frozenset(), ()
                except psycopg.errors.UniqueViolation:
                    # Some row is stored already (a resent span): nothing was written; store the
                    # batch the idempotent way, and the next few too, since resends come in runs.
                    self._staged_batches_left = STAGED_BATCHES_AFTER_DUPLICATE
            with conn.transaction():
                return write_rows(conn, call_rows, skeleton_rows), frozenset(), ()
        except DATA_ERRORS as exc:
            log.warning("a batch of %d rows hit a data error (%s); isolating the bad rows",
                        len(call_rows) + len(skeleton_rows), _first_line(exc))
            return self._write_isolating(conn, call_rows, skeleton_rows)

    def close(self) -> None:
        self._discard_connection()

    def _price(self, calls: Sequence[LlmCall]) -> Sequence[LlmCall]:
        if self._pricer is None:
            return calls
        priced: list[LlmCall] = []
        failures = 0
        for call in calls:
            try:
                priced.append(self._pricer(call))
            except Exception:
                if not failures:
                    log.exception("pricing a call failed; it is stored unpriced (cost NULL)")
                failures += 1
                priced.append(call)
                if self._on_pricing_error is not None:
                    self._on_pricing_error()
        return priced

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=self._connect_timeout,
                                   application_name="modelmix-collector")
            prepare_session(conn)
            self._conn = conn
        return self._conn

    def _discard_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # already broken; nothing more to release
                pass
            self._conn = None

    def _ensure_partitions(self, calls: Sequence[LlmCall], skeletons: Sequence[SpanSkeleton]) -> None:
        times = [c.start_time for c in calls]
        times.extend(s.start_time for s in skeletons)
        if not times:
            return
        first, last = week_start(min(times)), week_start(max(times))
        weeks = (last - first).days // 7
        if weeks < _CONTIGUOUS_WEEKS:
            mondays = {first + timedelta(weeks=i) for i in range(weeks + 1)}
        else:
            mondays = {week_start(t) for t in times}
        missing = mondays - self._ensured_weeks
        if not missing:
            return
        moments = [datetime(m.year, m.month, m.day, tzinfo=UTC) for m in sorted(missing)]
        try:
            with self._engine.begin() as conn:
                for table in PARTITIONED_TABLES:
                    self._partitions.ensure(conn, table, moments)
        except BaseException:
            self._partitions.forget()  # its memory may include partitions that were rolled back
            raise
        self._ensured_weeks |= missing

    def _write_isolating(self, conn: psycopg.Connection[Any], call_rows: list[tuple[Any, ...]],
                         skeleton_rows: list[tuple[Any, ...]]
                         ) -> tuple[WriteCounts, frozenset[SpanKey], tuple[str, ...]]:
        entries = [_Entry((r[0], r[1]), r, True) for r in call_rows]
        entries.extend(_Entry((r[0], r[1]), r, False) for r in skeleton_rows)
        result = _Isolation()
        with conn.transaction():
            self._bisect(conn, entries, result)
        for trace_id, span_id in sorted(result.rejected):
            log.warning("span %s of trace %s was rejected: PostgreSQL refused its row",
                        span_id.hex(), trace_id.hex())
        counts = WriteCounts(calls=result.calls, skeletons=result.skeletons, traces=0)
        return counts, frozenset(result.rejected), tuple(result.messages)

    def _bisect(self, conn: psycopg.Connection[Any], entries: list[_Entry], result: _Isolation) -> None:
        try:
            with conn.transaction():  # a savepoint: a failure undoes only this part
                counts = write_rows(conn, [e.row for e in entries if e.is_call],
                                    [e.row for e in entries if not e.is_call], clear_staging=True)
        except DATA_ERRORS as exc:
            if len(entries) == 1:
                trace_id, span_id = entries[0].key
                result.rejected.add(entries[0].key)
                result.messages.append(f"span {span_id.hex()} could not be stored: {_first_line(exc)}")
                return
            middle = len(entries) // 2
            self._bisect(conn, entries[:middle], result)
            self._bisect(conn, entries[middle:], result)
            return
        result.calls += counts.calls
        result.skeletons += counts.skeletons
