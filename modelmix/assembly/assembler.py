"""Assemble settled traces: resolve calls, build task runs, fold calls into the hourly rollups.

One batch = one transaction: take the assembler lock, claim up to ``batch_traces`` pending traces
(quiet for the settle window, or all of them with ``flush``), stage their calls and spans, resolve
tasks and escalations, write the changed calls, upsert the runs, apply the rollup delta and mark the
traces assembled. A collector writing a late span re-opens its trace (``assembled_at = NULL``) and
the next batch re-assembles it; re-assembling an unchanged trace changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from modelmix.assembly.locks import start_assembly_transaction
from modelmix.assembly.model_names import apply_batch_to_model_names
from modelmix.assembly.ranking import ModelRanking, load_ranking
from modelmix.assembly.reprice_rollups import apply_batch_to_reprice_rollups
from modelmix.assembly.resolve import resolve_calls, write_calls
from modelmix.assembly.rollups import apply_batch_to_rollups
from modelmix.assembly.run_rollups import apply_run_delta, stage_old_runs
from modelmix.assembly.runs import build_task_runs
from modelmix.assembly.staging import claim_specific, claim_traces, create_working_tables, stage_batch

log = logging.getLogger(__name__)

DEFAULT_BATCH_TRACES = 2_000
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
_MAX_ATTEMPTS = 3

_MARK_ASSEMBLED = text(
    "UPDATE trace_activity t SET assembled_at = now() FROM asm_batch b WHERE t.trace_id = b.trace_id"
)


@dataclass
class AssemblyStats:
    """What a call to ``assemble_pending`` did."""

    batches: int = 0
    traces: int = 0
    calls: int = 0
    calls_updated: int = 0
    runs: int = 0
    rollup_groups: int = 0
    rollup_groups_recomputed: int = 0
    seconds: float = 0.0

    def add(self, other: AssemblyStats) -> None:
        self.batches += other.batches
        self.traces += other.traces
        self.calls += other.calls
        self.calls_updated += other.calls_updated
        self.runs += other.runs
        self.rollup_groups += other.rollup_groups
        self.rollup_groups_recomputed += other.rollup_groups_recomputed

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else 0.0


def _assemble_claimed(conn: Connection, ranking: ModelRanking, traces: int) -> AssemblyStats:
    calls = stage_batch(conn, ranking)
    stats = AssemblyStats(batches=1, traces=traces, calls=calls)
    if calls:
        resolve_calls(conn)
        stats.calls_updated = write_calls(conn)
        stage_old_runs(conn)
        stats.runs = build_task_runs(conn)
        apply_run_delta(conn)
        stats.rollup_groups, stats.rollup_groups_recomputed = apply_batch_to_rollups(conn)
        apply_batch_to_reprice_rollups(conn)
        apply_batch_to_model_names(conn)
    conn.execute(_MARK_ASSEMBLED)
    return stats


def assemble_batch(
    engine: Engine,
    ranking: ModelRanking,
    *,
    batch_traces: int = DEFAULT_BATCH_TRACES,
    settle_seconds: float = 30.0,
    flush: bool = False,
    trace_ids: Sequence[bytes] | None = None,
) -> AssemblyStats:
    """Assemble one batch in one transaction; ``stats.traces == 0`` means nothing was pending."""
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                start_assembly_transaction(conn)
                create_working_tables(conn)
                if trace_ids is not None:
                    claimed = claim_specific(conn, list(trace_ids))
                else:
                    claimed = claim_traces(conn, limit=batch_traces, settle_seconds=settle_seconds, flush=flush)
                if not claimed:
                    return AssemblyStats()
                return _assemble_claimed(conn, ranking, claimed)
        except DBAPIError as exc:
            sqlstate = getattr(exc.orig, "sqlstate", None)
            if sqlstate not in _RETRYABLE_SQLSTATES or attempt == _MAX_ATTEMPTS:
                raise
            log.warning("assembler batch hit %s (attempt %d); retrying", sqlstate, attempt)
    raise AssertionError("unreachable")


def assemble_pending(
    engine: Engine,
    *,
    ranking: ModelRanking | None = None,
    settle_seconds: float = 30.0,
    flush: bool = False,
    batch_traces: int = DEFAULT_BATCH_TRACES,
    max_batches: int | None = None,
    progress: Callable[[AssemblyStats], None] | None = None,
) -> AssemblyStats:
    """Assemble pending traces batch by batch until none is left (or ``max_batches`` ran).

    ``flush=True`` ignores the settle window and assembles every pending trace now (tests, batch
    use, and the CLI report call it so that a report right after ingest is complete).
    ``ranking`` defaults to the real price book and tier map (``load_ranking``).
    """
    if batch_traces < 1:
        raise ValueError("batch_traces must be at least 1")
    ranking = ranking or load_ranking(engine)
    total = AssemblyStats()
    started = time.perf_counter()
    while max_batches is None or total.batches < max_batches:
        stats = assemble_batch(
            engine, ranking, batch_traces=batch_traces, settle_seconds=settle_seconds, flush=flush
        )
        if not stats.traces:
            break
        total.add(stats)
        if progress is not None:
            progress(total)
    total.seconds = time.perf_counter() - started
    return total


def reassemble_traces(
    engine: Engine, trace_ids: Sequence[bytes], *, ranking: ModelRanking | None = None
) -> AssemblyStats:
    """Assemble the given traces now, whether or not they are pending."""
    ranking = ranking or load_ranking(engine)
    started = time.perf_counter()
    stats = assemble_batch(engine, ranking, trace_ids=trace_ids) if trace_ids else AssemblyStats()
    stats.seconds = time.perf_counter() - started
    return stats
