"""drop the trace_id indexes of llm_calls and span_skeletons: their primary keys start with trace_id.

Lookups by trace id are served by the primary keys (trace_id, span_id, start_time) just as well,
while every stored span paid for a second index entry: about 1 microsecond of PostgreSQL CPU per
row on ingest and 57 bytes per call on disk (measured by ``python -m benchmarks``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_llm_calls_trace_id', table_name='llm_calls')
    op.drop_index('ix_span_skeletons_trace_id', table_name='span_skeletons')


def downgrade() -> None:
    op.create_index('ix_span_skeletons_trace_id', 'span_skeletons', ['trace_id'], unique=False)
    op.create_index('ix_llm_calls_trace_id', 'llm_calls', ['trace_id'], unique=False)
