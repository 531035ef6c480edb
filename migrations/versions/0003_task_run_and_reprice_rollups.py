"""task-run hourly rollups, a daily run-cost histogram and size-banded call rollups for re-pricing.

Dashboard pages that aggregate task runs (cost per task with p50/p95, escalations, run counts,
downgrade evidence) and re-price calls at another model (downgrade candidates, what-if) read these
instead of millions of raw rows. The assembler keeps them equal to ``task_runs`` and ``llm_calls``;
``modelmix reprice`` and ``recompute_hours`` rebuild them. The migration rolls up the history
already stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(precision=20, scale=10)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=False)


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _money(name: str) -> sa.Column:
    return sa.Column(name, _MONEY, nullable=False)

# Existing runs, rolled up as the assembler does it (modelmix.assembly.run_rollups; written out here
# because migrations never import the package). Cost buckets: floor(16 * log2(cost)), -32768 for 0.
_RUN_SHAPE = """
    SELECT date_trunc('hour', t.start_time, 'UTC') AS hour, date_trunc('day', t.start_time, 'UTC') AS day,
        left(t.service, 200) AS service, left(coalesce(t.environment, ''), 200) AS environment,
        left(t.task, 200) AS task, left(coalesce(t.first_model, ''), 200) AS first_model,
        coalesce(t.escalation, '') AS escalation,
        left(coalesce(t.escalated_from_model, ''), 200) AS escalated_from_model,
        left(coalesce(t.escalated_to_model, ''), 200) AS escalated_to_model,
        coalesce(t.verification, '') AS verification,
        t.calls, t.errors, t.has_error, t.cost_usd, t.priced_cost_usd, t.unpriced_calls, t.escalation_cost_usd,
        CASE WHEN t.cost_usd <= 0 THEN -32768
             ELSE floor(ln(t.cost_usd::float8) / 0.6931471805599453 * 16)::int END AS cost_bucket
    FROM task_runs t
"""
_DIMS = ("service, environment, task, first_model, escalation, escalated_from_model, escalated_to_model, "
         "verification")
_FILL_RUN_ROLLUPS = f"""
    INSERT INTO task_run_rollups_hourly (hour, {_DIMS}, runs, calls, errors, error_runs, priced_runs, cost_usd,
        priced_cost_runs, priced_cost_usd, unpriced_calls, escalation_cost_runs, escalation_cost_usd)
    SELECT hour, {_DIMS}, count(*), sum(calls), sum(errors), count(*) FILTER (WHERE has_error),
        count(cost_usd), coalesce(sum(cost_usd), 0), count(priced_cost_usd), coalesce(sum(priced_cost_usd), 0),
        sum(unpriced_calls), count(escalation_cost_usd), coalesce(sum(escalation_cost_usd), 0)
    FROM ({_RUN_SHAPE}) x
    GROUP BY hour, {_DIMS}
"""
_FILL_RUN_COST_DAYS = f"""
    INSERT INTO task_run_cost_days (day, service, environment, task, cost_bucket, runs)
    SELECT day, service, environment, task, cost_bucket, count(*)
    FROM ({_RUN_SHAPE} WHERE t.cost_usd IS NOT NULL) x
    GROUP BY day, service, environment, task, cost_bucket
"""

# Existing assembled LLM calls, rolled up as modelmix.assembly.reprice_rollups does it (written out
# here because migrations never import the package). size_band = how many of the fixed prompt-size
# boundaries 32000, 100000, 128000, 199999, 200000, 256000, 272000, 512000, 524288 the input exceeds
# (0 when input tokens are unknown); priceable = cost, input and output tokens known.
_FILL_REPRICE_ROLLUPS = """
    INSERT INTO call_reprice_rollups_hourly (hour, service, environment, task, canonical_model, provider,
        first_attempt, size_band, calls, priceable_calls, priceable_cost_usd, input_tokens, cache_read_tokens,
        cache_write_tokens, output_tokens, reasoning_tokens, unpriced_calls, no_token_calls, no_token_cost_usd)
    SELECT date_trunc('hour', start_time, 'UTC'), left(service, 200), left(coalesce(environment, ''), 200),
        left(coalesce(task, ''), 200), left(coalesce(canonical_model, ''), 200), left(coalesce(provider, ''), 200),
        escalation IS NULL,
        coalesce(width_bucket(input_tokens, ARRAY[32001, 100001, 128001, 200000, 200001, 256001, 272001,
                                                  512001, 524289]::bigint[]), 0),
        count(*), count(*) FILTER (WHERE ok), coalesce(sum(cost_usd) FILTER (WHERE ok), 0),
        coalesce(sum(input_tokens) FILTER (WHERE ok), 0),
        coalesce(sum(coalesce(cache_read_tokens, 0)) FILTER (WHERE ok), 0),
        coalesce(sum(coalesce(cache_write_tokens, 0)) FILTER (WHERE ok), 0),
        coalesce(sum(output_tokens) FILTER (WHERE ok), 0),
        coalesce(sum(coalesce(reasoning_tokens, 0)) FILTER (WHERE ok), 0),
        count(*) FILTER (WHERE cost_usd IS NULL), count(*) FILTER (WHERE cost_usd IS NOT NULL AND NOT ok),
        coalesce(sum(cost_usd) FILTER (WHERE cost_usd IS NOT NULL AND NOT ok), 0)
    FROM (
        SELECT *, (cost_usd IS NOT NULL AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL) AS ok
        FROM llm_calls
        WHERE call_kind = 'llm' AND task_source IN ('call_attribute', 'ancestor_task', 'workflow_name',
                                                    'trace_name', 'root_span_name', 'service_name')
    ) c
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
"""


def upgrade() -> None:
    op.create_table(
        'task_run_rollups_hourly',
        sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
        *[_text(n) for n in ('service', 'environment', 'task', 'first_model', 'escalation',
                             'escalated_from_model', 'escalated_to_model', 'verification')],
        *[_count(n) for n in ('runs', 'calls', 'errors', 'error_runs', 'priced_runs')],
        _money('cost_usd'), _count('priced_cost_runs'), _money('priced_cost_usd'), _count('unpriced_calls'),
        _count('escalation_cost_runs'), _money('escalation_cost_usd'),
        sa.PrimaryKeyConstraint('hour', 'service', 'environment', 'task', 'first_model', 'escalation',
                                'escalated_from_model', 'escalated_to_model', 'verification',
                                name=op.f('pk_task_run_rollups_hourly')),
    )
    op.create_table(
        'task_run_cost_days',
        sa.Column('day', sa.DateTime(timezone=True), nullable=False),
        *[_text(n) for n in ('service', 'environment', 'task')],
        sa.Column('cost_bucket', sa.Integer(), nullable=False),
        _count('runs'),
        sa.PrimaryKeyConstraint('day', 'service', 'environment', 'task', 'cost_bucket',
                                name=op.f('pk_task_run_cost_days')),
    )
    op.create_table(
        'call_reprice_rollups_hourly',
        sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
        *[_text(n) for n in ('service', 'environment', 'task', 'canonical_model', 'provider')],
        sa.Column('first_attempt', sa.Boolean(), nullable=False),
        sa.Column('size_band', sa.Integer(), nullable=False),
        _count('calls'), _count('priceable_calls'), _money('priceable_cost_usd'),
        *[_count(n) for n in ('input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens',
                              'reasoning_tokens', 'unpriced_calls', 'no_token_calls')],
        _money('no_token_cost_usd'),
        sa.PrimaryKeyConstraint('hour', 'service', 'environment', 'task', 'canonical_model', 'provider',
                                'first_attempt', 'size_band', name=op.f('pk_call_reprice_rollups_hourly')),
    )
    op.execute(_FILL_RUN_ROLLUPS)
    op.execute(_FILL_RUN_COST_DAYS)
    op.execute(_FILL_REPRICE_ROLLUPS)


def downgrade() -> None:
    op.drop_table('call_reprice_rollups_hourly')
    op.drop_table('task_run_cost_days')
    op.drop_table('task_run_rollups_hourly')
