"""Raw-call drill-down: one page of calls (never content), a CSV export, and price disagreements.

These are the only analytics reads of ``llm_calls`` beyond the rollup edges; every one is bounded
by the window (``start_time`` index) and by a row limit.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from modelmix.analytics.filters import Filters

CALL_COLUMNS = [
    "trace_id", "span_id", "start_time", "duration_ms", "service", "environment", "task", "call_kind",
    "operation", "provider", "request_model", "response_model", "canonical_model", "input_tokens",
    "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens", "cost_usd",
    "reported_cost_usd", "price_source", "status", "error_type", "finish_reason", "streamed",
    "escalation", "escalated_from", "verification", "span_name",
]
MAX_PAGE = 10_000
MAX_CSV_ROWS = 1_000_000


def calls_page(
    engine: Engine,
    filters: Filters,
    *,
    model: str | None = None,
    status: str | None = None,
    text_filter: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> pd.DataFrame:
    """Calls newest first, columns ``CALL_COLUMNS``. ``model`` matches the canonical, request or
    response model exactly; ``text_filter`` is a case-insensitive substring of model names, span
    name, task or error type (matched literally: ``%`` and ``_`` are not wildcards)."""
    raise NotImplementedError


def calls_csv(engine: Engine, filters: Filters, *, model: str | None = None, status: str | None = None,
              text_filter: str | None = None, max_rows: int = MAX_CSV_ROWS) -> str:
    """The same selection as ``calls_page`` as CSV text (header + up to ``max_rows`` rows)."""
    raise NotImplementedError


def price_disagreements(engine: Engine, filters: Filters, threshold: float = 0.05,
                        limit: int = 500) -> pd.DataFrame:
    """Calls whose reported cost differs from the computed cost by more than ``threshold`` (relative).

    Columns: ``CALL_COLUMNS`` subset plus ``difference_usd`` and ``relative_difference``."""
    raise NotImplementedError
