"""hourly served-model-name rollup, and two small partial indexes on llm_calls.

- ``call_model_names_hourly``: calls per hour x provider x served model x canonical model, kept by
  the assembler (each call counted once, when it is first assembled). The price and tier pages list
  the models seen since a moment from it instead of grouping millions of raw rows.
- ``ix_llm_calls_unassembled``: start times of calls the assembler has not resolved yet
  (``task_source`` not one of its rule names). Rows leave it once assembled, so it stays about as
  small as the assembler's backlog; readers of assembled rollups add these calls from raw rows.
- ``ix_llm_calls_errors``: start times of failed calls (about 1.6% of calls), so the calls page
  filtered to errors reads only errors, newest first.

The migration rolls up the calls already assembled.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The assembler's rule names (modelmix.assembly.resolve.TASK_SOURCES), written out because
# migrations never import the package; the predicate must match the one readers use verbatim.
_UNASSEMBLED = ("task_source IS NULL OR task_source <> ALL (ARRAY['call_attribute', 'ancestor_task', "
                "'workflow_name', 'trace_name', 'root_span_name', 'service_name'])")

# Assembled calls, rolled up as modelmix.assembly.model_names does it: served model =
# coalesce(model, response_model, request_model), calls without one are not listed; dimensions
# are cut to 200 characters, unknown provider / canonical model stored as ''.
_FILL = f"""
    INSERT INTO call_model_names_hourly (hour, provider, model, canonical_model, calls)
    SELECT date_trunc('hour', start_time, 'UTC'), left(coalesce(provider, ''), 200),
        left(coalesce(model, response_model, request_model), 200), left(coalesce(canonical_model, ''), 200),
        count(*)
    FROM llm_calls
    WHERE NOT ({_UNASSEMBLED}) AND coalesce(model, response_model, request_model) IS NOT NULL
    GROUP BY 1, 2, 3, 4
"""


def upgrade() -> None:
    op.create_table(
        'call_model_names_hourly',
        sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
        sa.Column('provider', sa.Text(), nullable=False),
        sa.Column('model', sa.Text(), nullable=False),
        sa.Column('canonical_model', sa.Text(), nullable=False),
        sa.Column('calls', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('hour', 'provider', 'model', 'canonical_model',
                                name=op.f('pk_call_model_names_hourly')),
    )
    op.create_index('ix_llm_calls_unassembled', 'llm_calls', ['start_time'], unique=False,
                    postgresql_where=sa.text(_UNASSEMBLED))
    op.create_index('ix_llm_calls_errors', 'llm_calls', ['start_time'], unique=False,
                    postgresql_where=sa.text("status = 'error'"))
    op.execute(_FILL)


def downgrade() -> None:
    op.drop_index('ix_llm_calls_errors', table_name='llm_calls')
    op.drop_index('ix_llm_calls_unassembled', table_name='llm_calls')
    op.drop_table('call_model_names_hourly')
