"""initial schema: calls, span skeletons, trace activity, task runs, rollups, prices, tiers, reviews.

Revision ID: 0001
Revises: 
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_rollups_hourly',
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('service', sa.Text(), nullable=False),
    sa.Column('environment', sa.Text(), nullable=False),
    sa.Column('task', sa.Text(), nullable=False),
    sa.Column('call_kind', sa.Text(), nullable=False),
    sa.Column('canonical_model', sa.Text(), nullable=False),
    sa.Column('provider', sa.Text(), nullable=False),
    sa.Column('tier', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('calls', sa.BigInteger(), nullable=False),
    sa.Column('input_tokens', sa.BigInteger(), nullable=True),
    sa.Column('cache_read_tokens', sa.BigInteger(), nullable=True),
    sa.Column('cache_write_tokens', sa.BigInteger(), nullable=True),
    sa.Column('output_tokens', sa.BigInteger(), nullable=True),
    sa.Column('reasoning_tokens', sa.BigInteger(), nullable=True),
    sa.Column('calls_missing_tokens', sa.BigInteger(), nullable=False),
    sa.Column('cost_usd', sa.Numeric(precision=20, scale=10), nullable=True),
    sa.Column('unpriced_calls', sa.BigInteger(), nullable=False),
    sa.Column('escalated_calls', sa.BigInteger(), nullable=False),
    sa.Column('duration_ms_sum', sa.Double(), nullable=True),
    sa.PrimaryKeyConstraint('hour', 'service', 'environment', 'task', 'call_kind', 'canonical_model', 'provider', 'tier', 'status', name=op.f('pk_call_rollups_hourly'))
    )
    op.create_table('llm_calls',
    sa.Column('trace_id', sa.LargeBinary(), nullable=False),
    sa.Column('span_id', sa.LargeBinary(), nullable=False),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('parent_span_id', sa.LargeBinary(), nullable=True),
    sa.Column('end_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Double(), nullable=True),
    sa.Column('service', sa.Text(), nullable=False),
    sa.Column('environment', sa.Text(), nullable=True),
    sa.Column('call_kind', sa.Text(), nullable=False),
    sa.Column('operation', sa.Text(), nullable=True),
    sa.Column('provider', sa.Text(), nullable=True),
    sa.Column('request_model', sa.Text(), nullable=True),
    sa.Column('response_model', sa.Text(), nullable=True),
    sa.Column('model', sa.Text(), nullable=True),
    sa.Column('canonical_model', sa.Text(), nullable=True),
    sa.Column('input_tokens', sa.BigInteger(), nullable=True),
    sa.Column('cache_read_tokens', sa.BigInteger(), nullable=True),
    sa.Column('cache_write_tokens', sa.BigInteger(), nullable=True),
    sa.Column('output_tokens', sa.BigInteger(), nullable=True),
    sa.Column('reasoning_tokens', sa.BigInteger(), nullable=True),
    sa.Column('cost_usd', sa.Numeric(precision=20, scale=10), nullable=True),
    sa.Column('price_id', sa.BigInteger(), nullable=True),
    sa.Column('price_source', sa.Text(), nullable=True),
    sa.Column('reported_cost_usd', sa.Numeric(precision=20, scale=10), nullable=True),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('error_type', sa.Text(), nullable=True),
    sa.Column('finish_reason', sa.Text(), nullable=True),
    sa.Column('streamed', sa.Boolean(), nullable=True),
    sa.Column('response_id', sa.Text(), nullable=True),
    sa.Column('task', sa.Text(), nullable=True),
    sa.Column('task_source', sa.Text(), nullable=True),
    sa.Column('session_id', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Text(), nullable=True),
    sa.Column('agent_name', sa.Text(), nullable=True),
    sa.Column('escalated_from', sa.Text(), nullable=True),
    sa.Column('escalation', sa.Text(), nullable=True),
    sa.Column('verification', sa.Text(), nullable=True),
    sa.Column('scope_name', sa.Text(), nullable=True),
    sa.Column('span_name', sa.Text(), nullable=True),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('ingested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("call_kind IN ('llm', 'embedding')", name=op.f('ck_llm_calls_call_kind')),
    sa.CheckConstraint("escalation IS NULL OR escalation IN ('explicit', 'inferred')", name=op.f('ck_llm_calls_escalation')),
    sa.CheckConstraint("status IN ('ok', 'error')", name=op.f('ck_llm_calls_status')),
    sa.CheckConstraint("verification IS NULL OR verification IN ('pass', 'fail')", name=op.f('ck_llm_calls_verification')),
    sa.PrimaryKeyConstraint('trace_id', 'span_id', 'start_time', name=op.f('pk_llm_calls')),
    postgresql_partition_by='RANGE (start_time)'
    )
    op.create_index('ix_llm_calls_start_time', 'llm_calls', ['start_time'], unique=False)
    op.create_index('ix_llm_calls_trace_id', 'llm_calls', ['trace_id'], unique=False)
    op.create_table('model_prices',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('provider', sa.Text(), nullable=True),
    sa.Column('model_pattern', sa.Text(), nullable=False),
    sa.Column('match_kind', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('input_per_mtok', sa.Numeric(precision=20, scale=8), nullable=False),
    sa.Column('cache_read_per_mtok', sa.Numeric(precision=20, scale=8), nullable=True),
    sa.Column('cache_write_per_mtok', sa.Numeric(precision=20, scale=8), nullable=True),
    sa.Column('output_per_mtok', sa.Numeric(precision=20, scale=8), nullable=False),
    sa.Column('reasoning_per_mtok', sa.Numeric(precision=20, scale=8), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("match_kind IN ('exact', 'pattern')", name=op.f('ck_model_prices_match_kind')),
    sa.CheckConstraint('input_per_mtok >= 0 AND output_per_mtok >= 0 AND (cache_read_per_mtok IS NULL OR cache_read_per_mtok >= 0) AND (cache_write_per_mtok IS NULL OR cache_write_per_mtok >= 0) AND (reasoning_per_mtok IS NULL OR reasoning_per_mtok >= 0)', name=op.f('ck_model_prices_non_negative')),
    sa.CheckConstraint('valid_until IS NULL OR valid_until > valid_from', name=op.f('ck_model_prices_validity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_prices'))
    )
    op.create_index('ix_model_prices_model_pattern', 'model_prices', ['model_pattern'], unique=False)
    op.create_table('model_tiers',
    sa.Column('canonical_model', sa.Text(), nullable=False),
    sa.Column('tier', sa.Text(), nullable=True),
    sa.Column('cheaper_sibling', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("tier IS NULL OR tier IN ('small', 'mid', 'frontier')", name=op.f('ck_model_tiers_tier')),
    sa.PrimaryKeyConstraint('canonical_model', name=op.f('pk_model_tiers'))
    )
    op.create_table('review_snapshots',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('week', sa.Text(), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_snapshots'))
    )
    op.create_index('ix_review_snapshots_week', 'review_snapshots', ['week'], unique=False)
    op.create_table('span_skeletons',
    sa.Column('trace_id', sa.LargeBinary(), nullable=False),
    sa.Column('span_id', sa.LargeBinary(), nullable=False),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('parent_span_id', sa.LargeBinary(), nullable=True),
    sa.Column('end_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('service', sa.Text(), nullable=False),
    sa.Column('environment', sa.Text(), nullable=True),
    sa.Column('kind', sa.Integer(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('task', sa.Text(), nullable=True),
    sa.Column('workflow_name', sa.Text(), nullable=True),
    sa.Column('trace_name', sa.Text(), nullable=True),
    sa.Column('agent_name', sa.Text(), nullable=True),
    sa.Column('escalated_from', sa.Text(), nullable=True),
    sa.Column('verification', sa.Text(), nullable=True),
    sa.Column('span_kind_hint', sa.Text(), nullable=True),
    sa.Column('ingested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('trace_id', 'span_id', 'start_time', name=op.f('pk_span_skeletons')),
    postgresql_partition_by='RANGE (start_time)'
    )
    op.create_index('ix_span_skeletons_trace_id', 'span_skeletons', ['trace_id'], unique=False)
    op.create_table('task_runs',
    sa.Column('trace_id', sa.LargeBinary(), nullable=False),
    sa.Column('task', sa.Text(), nullable=False),
    sa.Column('service', sa.Text(), nullable=False),
    sa.Column('environment', sa.Text(), nullable=True),
    sa.Column('start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('input_tokens', sa.BigInteger(), nullable=True),
    sa.Column('output_tokens', sa.BigInteger(), nullable=True),
    sa.Column('cache_read_tokens', sa.BigInteger(), nullable=True),
    sa.Column('cost_usd', sa.Numeric(precision=20, scale=10), nullable=True),
    sa.Column('priced_cost_usd', sa.Numeric(precision=20, scale=10), nullable=True),
    sa.Column('unpriced_calls', sa.Integer(), nullable=False),
    sa.Column('first_model', sa.Text(), nullable=True),
    sa.Column('final_model', sa.Text(), nullable=True),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('escalation', sa.Text(), nullable=True),
    sa.Column('escalated_from_model', sa.Text(), nullable=True),
    sa.Column('escalated_to_model', sa.Text(), nullable=True),
    sa.Column('escalation_cost_usd', sa.Numeric(precision=20, scale=10), nullable=True),
    sa.Column('has_error', sa.Boolean(), nullable=False),
    sa.Column('verification', sa.Text(), nullable=True),
    sa.Column('assembled_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("escalation IS NULL OR escalation IN ('explicit', 'inferred')", name=op.f('ck_task_runs_escalation')),
    sa.CheckConstraint("verification IS NULL OR verification IN ('pass', 'fail')", name=op.f('ck_task_runs_verification')),
    sa.PrimaryKeyConstraint('trace_id', 'task', name=op.f('pk_task_runs'))
    )
    op.create_index('ix_task_runs_start_time', 'task_runs', ['start_time'], unique=False)
    op.create_index('ix_task_runs_task_start_time', 'task_runs', ['task', 'start_time'], unique=False)
    op.create_table('trace_activity',
    sa.Column('trace_id', sa.LargeBinary(), nullable=False),
    sa.Column('first_start_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assembled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('trace_id', name=op.f('pk_trace_activity'))
    )
    op.create_index('ix_trace_activity_pending', 'trace_activity', ['last_seen_at'], unique=False, postgresql_where=sa.text('assembled_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_trace_activity_pending', table_name='trace_activity', postgresql_where=sa.text('assembled_at IS NULL'))
    op.drop_table('trace_activity')
    op.drop_index('ix_task_runs_task_start_time', table_name='task_runs')
    op.drop_index('ix_task_runs_start_time', table_name='task_runs')
    op.drop_table('task_runs')
    op.drop_index('ix_span_skeletons_trace_id', table_name='span_skeletons')
    op.drop_table('span_skeletons')
    op.drop_index('ix_review_snapshots_week', table_name='review_snapshots')
    op.drop_table('review_snapshots')
    op.drop_table('model_tiers')
    op.drop_index('ix_model_prices_model_pattern', table_name='model_prices')
    op.drop_table('model_prices')
    op.drop_index('ix_llm_calls_trace_id', table_name='llm_calls')
    op.drop_index('ix_llm_calls_start_time', table_name='llm_calls')
    op.drop_table('llm_calls')
    op.drop_table('call_rollups_hourly')
