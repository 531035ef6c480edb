"""The assembler: from stored calls and span skeletons to task runs, escalations and hourly rollups.

Public API:

- ``assemble_pending(engine, *, ranking=None, settle_seconds=30.0, flush=False, ...)`` — assemble
  every trace quiet for the settle window (or every pending trace with ``flush=True``);
- ``reassemble_traces(engine, trace_ids)`` — assemble given traces now;
- ``recompute_hours(engine, since, until)`` — rebuild the hourly rollups of a window (after a
  reprice or a tier change);
- ``ModelRanking`` / ``load_ranking(engine)`` — how models are compared (price rank) and tiered;
- ``modelmix.assembly.loop.run_loop(engine, settings, stop)`` — the ``modelmix assemble --loop``
  service (with hourly retention);
- ``modelmix.assembly.gauges`` — model-mix gauges from the rollups and a Prometheus collector.
"""

from modelmix.assembly.assembler import AssemblyStats, assemble_batch, assemble_pending, reassemble_traces
from modelmix.assembly.ranking import ModelRanking, load_ranking, ranking_from_tiers
from modelmix.assembly.resolve import TASK_SOURCES
from modelmix.assembly.rollups import recompute_hours

__all__ = [
    "TASK_SOURCES",
    "AssemblyStats",
    "ModelRanking",
    "assemble_batch",
    "assemble_pending",
    "load_ranking",
    "ranking_from_tiers",
    "reassemble_traces",
    "recompute_hours",
]
