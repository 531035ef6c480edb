"""Size-banded hourly call rollups (``call_reprice_rollups_hourly``) for re-pricing at another model.

Not maintained yet: both entry points are no-ops until the rollup is built.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection


def apply_batch_to_reprice_rollups(conn: Connection) -> int:
    """Fold the staged batch (``asm_calls``) into the rollup; return the groups touched."""
    return 0


def rebuild_reprice_hours(conn: Connection, lo: datetime, hi: datetime) -> int:
    """Rebuild the rollup rows of the hours in ``[lo, hi)`` from assembled calls; return rows written."""
    return 0
