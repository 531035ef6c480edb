"""SQLAlchemy 2 typed models: the one definition of modelmix's PostgreSQL schema.

Migrations write their columns out on their own (they never import this module); a test compares
these models with the migrated schema so the two cannot drift.

Conventions:
- ``llm_calls`` and ``span_skeletons`` are range-partitioned on ``start_time`` (weekly partitions,
  created on demand by ``modelmix.db.partitions``); their keys include ``trace_id`` (the
  distribution column when scaled out with Citus) and ``start_time`` (the partition key). The
  primary keys lead with ``trace_id``, so they also serve lookups by trace.
- Money is ``NUMERIC`` (Python ``Decimal``); an unknown price or token count is NULL, never 0.
- Rollup dimension columns are NOT NULL; an unknown dimension is stored as ``''``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(20, 10)
Rate = Numeric(20, 8)  # USD per million tokens
UtcDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LlmCallRow(Base):
    """One LLM (or embedding) call: an immutable, denormalized, priced row."""

    __tablename__ = "llm_calls"
    __table_args__ = (
        PrimaryKeyConstraint("trace_id", "span_id", "start_time"),
        CheckConstraint("status IN ('ok', 'error')", name="status"),
        CheckConstraint("call_kind IN ('llm', 'embedding')", name="call_kind"),
        CheckConstraint("verification IS NULL OR verification IN ('pass', 'fail')", name="verification"),
        CheckConstraint("escalation IS NULL OR escalation IN ('explicit', 'inferred')", name="escalation"),
        Index("ix_llm_calls_start_time", "start_time"),
        {"postgresql_partition_by": "RANGE (start_time)"},
    )

    trace_id: Mapped[bytes] = mapped_column(LargeBinary)
    span_id: Mapped[bytes] = mapped_column(LargeBinary)
    start_time: Mapped[datetime] = mapped_column(UtcDateTime)
    parent_span_id: Mapped[bytes | None] = mapped_column(LargeBinary)
    end_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    duration_ms: Mapped[float | None] = mapped_column(Double)
    service: Mapped[str] = mapped_column(Text)
    environment: Mapped[str | None] = mapped_column(Text)
    call_kind: Mapped[str] = mapped_column(Text)
    operation: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(Text)
    request_model: Mapped[str | None] = mapped_column(Text)
    response_model: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)  # served: response model, else request model
    canonical_model: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int | None] = mapped_column(BigInteger)  # includes cache reads + writes
    cache_read_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cache_write_tokens: Mapped[int | None] = mapped_column(BigInteger)
    output_tokens: Mapped[int | None] = mapped_column(BigInteger)  # includes reasoning
    reasoning_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cost_usd: Mapped[Decimal | None] = mapped_column(Money)
    price_id: Mapped[int | None] = mapped_column(BigInteger)
    price_source: Mapped[str | None] = mapped_column(Text)
    reported_cost_usd: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(Text)
    error_type: Mapped[str | None] = mapped_column(Text)
    finish_reason: Mapped[str | None] = mapped_column(Text)
    streamed: Mapped[bool | None] = mapped_column(Boolean)
    response_id: Mapped[str | None] = mapped_column(Text)
    task: Mapped[str | None] = mapped_column(Text)  # resolved task (collector sets direct, assembler final)
    task_source: Mapped[str | None] = mapped_column(Text)  # which rule resolved the task
    session_id: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(Text)
    agent_name: Mapped[str | None] = mapped_column(Text)
    escalated_from: Mapped[str | None] = mapped_column(Text)  # explicit marker on call or ancestor
    escalation: Mapped[str | None] = mapped_column(Text)  # explicit | inferred (set by the assembler)
    verification: Mapped[str | None] = mapped_column(Text)  # pass | fail
    scope_name: Mapped[str | None] = mapped_column(Text)
    span_name: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    ingested_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class SpanSkeletonRow(Base):
    """A non-LLM span's shape: enough to walk ancestors for task, escalation and verification."""

    __tablename__ = "span_skeletons"
    __table_args__ = (
        PrimaryKeyConstraint("trace_id", "span_id", "start_time"),
        {"postgresql_partition_by": "RANGE (start_time)"},
    )

    trace_id: Mapped[bytes] = mapped_column(LargeBinary)
    span_id: Mapped[bytes] = mapped_column(LargeBinary)
    start_time: Mapped[datetime] = mapped_column(UtcDateTime)
    parent_span_id: Mapped[bytes | None] = mapped_column(LargeBinary)
    end_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    name: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(Text)
    environment: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text)
    task: Mapped[str | None] = mapped_column(Text)
    workflow_name: Mapped[str | None] = mapped_column(Text)
    trace_name: Mapped[str | None] = mapped_column(Text)
    agent_name: Mapped[str | None] = mapped_column(Text)
    escalated_from: Mapped[str | None] = mapped_column(Text)
    verification: Mapped[str | None] = mapped_column(Text)
    span_kind_hint: Mapped[str | None] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class TraceActivityRow(Base):
    """Per-trace bookkeeping for the assembler: when a span last arrived, when it was assembled."""

    __tablename__ = "trace_activity"
    __table_args__ = (
        PrimaryKeyConstraint("trace_id"),
        Index("ix_trace_activity_pending", "last_seen_at", postgresql_where=text("assembled_at IS NULL")),
    )

    trace_id: Mapped[bytes] = mapped_column(LargeBinary)
    first_start_time: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    assembled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TaskRunRow(Base):
    """One run of one task: a (trace, task) pair with its totals and escalation outcome."""

    __tablename__ = "task_runs"
    __table_args__ = (
        PrimaryKeyConstraint("trace_id", "task"),
        CheckConstraint("escalation IS NULL OR escalation IN ('explicit', 'inferred')", name="escalation"),
        CheckConstraint("verification IS NULL OR verification IN ('pass', 'fail')", name="verification"),
        Index("ix_task_runs_start_time", "start_time"),
        Index("ix_task_runs_task_start_time", "task", "start_time"),
    )

    trace_id: Mapped[bytes] = mapped_column(LargeBinary)
    task: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(Text)
    environment: Mapped[str | None] = mapped_column(Text)
    start_time: Mapped[datetime] = mapped_column(UtcDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    calls: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    input_tokens: Mapped[int | None] = mapped_column(BigInteger)
    output_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cache_read_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cost_usd: Mapped[Decimal | None] = mapped_column(Money)  # NULL when any call is unpriced
    priced_cost_usd: Mapped[Decimal | None] = mapped_column(Money)  # sum over priced calls only
    unpriced_calls: Mapped[int] = mapped_column(Integer)
    first_model: Mapped[str | None] = mapped_column(Text)
    final_model: Mapped[str | None] = mapped_column(Text)
    escalated: Mapped[bool] = mapped_column(Boolean)
    escalation: Mapped[str | None] = mapped_column(Text)  # explicit | inferred
    escalated_from_model: Mapped[str | None] = mapped_column(Text)
    escalated_to_model: Mapped[str | None] = mapped_column(Text)
    escalation_cost_usd: Mapped[Decimal | None] = mapped_column(Money)  # failed cheap attempt + retry
    has_error: Mapped[bool] = mapped_column(Boolean)
    verification: Mapped[str | None] = mapped_column(Text)
    assembled_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class CallRollupRow(Base):
    """Hourly rollup of calls; dashboards and reports read these, raw rows serve drill-down."""

    __tablename__ = "call_rollups_hourly"
    __table_args__ = (
        PrimaryKeyConstraint(
            "hour", "service", "environment", "task", "call_kind", "canonical_model", "provider", "tier", "status"
        ),
    )

    hour: Mapped[datetime] = mapped_column(UtcDateTime)
    service: Mapped[str] = mapped_column(Text)
    environment: Mapped[str] = mapped_column(Text)
    task: Mapped[str] = mapped_column(Text)
    call_kind: Mapped[str] = mapped_column(Text)
    canonical_model: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    calls: Mapped[int] = mapped_column(BigInteger)
    input_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cache_read_tokens: Mapped[int | None] = mapped_column(BigInteger)
    cache_write_tokens: Mapped[int | None] = mapped_column(BigInteger)
    output_tokens: Mapped[int | None] = mapped_column(BigInteger)
    reasoning_tokens: Mapped[int | None] = mapped_column(BigInteger)
    calls_missing_tokens: Mapped[int] = mapped_column(BigInteger)
    cost_usd: Mapped[Decimal | None] = mapped_column(Money)  # sum over priced calls
    unpriced_calls: Mapped[int] = mapped_column(BigInteger)
    escalated_calls: Mapped[int] = mapped_column(BigInteger)
    duration_ms_sum: Mapped[float | None] = mapped_column(Double)


class TaskRunRollupRow(Base):
    """Hourly rollup of ``task_runs`` (by run start hour), kept equal to them by the assembler.

    Sums are NOT NULL and come with the count of runs that had a known value (``priced_runs`` for
    ``cost_usd``, ``priced_cost_runs`` for ``priced_cost_usd``, ``escalation_cost_runs`` for
    ``escalation_cost_usd``); a reader shows a sum whose count is 0 as unknown, never as $0.
    """

    __tablename__ = "task_run_rollups_hourly"
    __table_args__ = (
        PrimaryKeyConstraint(
            "hour", "service", "environment", "task", "first_model", "escalation", "escalated_from_model",
            "escalated_to_model", "verification",
        ),
    )

    hour: Mapped[datetime] = mapped_column(UtcDateTime)
    service: Mapped[str] = mapped_column(Text)
    environment: Mapped[str] = mapped_column(Text)
    task: Mapped[str] = mapped_column(Text)
    first_model: Mapped[str] = mapped_column(Text)
    escalation: Mapped[str] = mapped_column(Text)  # '' | explicit | inferred
    escalated_from_model: Mapped[str] = mapped_column(Text)
    escalated_to_model: Mapped[str] = mapped_column(Text)
    verification: Mapped[str] = mapped_column(Text)  # '' | pass | fail
    runs: Mapped[int] = mapped_column(BigInteger)
    calls: Mapped[int] = mapped_column(BigInteger)
    errors: Mapped[int] = mapped_column(BigInteger)
    error_runs: Mapped[int] = mapped_column(BigInteger)
    priced_runs: Mapped[int] = mapped_column(BigInteger)
    cost_usd: Mapped[Decimal] = mapped_column(Money)  # sum over priced runs
    priced_cost_runs: Mapped[int] = mapped_column(BigInteger)
    priced_cost_usd: Mapped[Decimal] = mapped_column(Money)  # sum of every run's priced calls
    unpriced_calls: Mapped[int] = mapped_column(BigInteger)
    escalation_cost_runs: Mapped[int] = mapped_column(BigInteger)
    escalation_cost_usd: Mapped[Decimal] = mapped_column(Money)


class TaskRunCostDayRow(Base):
    """Daily histogram of priced runs' cost (log buckets, see ``modelmix.run_cost_buckets``)."""

    __tablename__ = "task_run_cost_days"
    __table_args__ = (PrimaryKeyConstraint("day", "service", "environment", "task", "cost_bucket"),)

    day: Mapped[datetime] = mapped_column(UtcDateTime)
    service: Mapped[str] = mapped_column(Text)
    environment: Mapped[str] = mapped_column(Text)
    task: Mapped[str] = mapped_column(Text)
    cost_bucket: Mapped[int] = mapped_column(Integer)
    runs: Mapped[int] = mapped_column(BigInteger)


class CallRepriceRollupRow(Base):
    """Hourly token and cost sums of LLM calls by size band: what re-pricing at another model needs.

    ``first_attempt`` is true for calls that are not escalation retries; ``size_band`` counts the
    fixed prompt-size boundaries the call's input exceeds. Token sums and ``priceable_cost_usd``
    cover *priceable* calls (cost and input/output tokens known; missing cache/reasoning counts as 0).
    """

    __tablename__ = "call_reprice_rollups_hourly"
    __table_args__ = (
        PrimaryKeyConstraint(
            "hour", "service", "environment", "task", "canonical_model", "provider", "first_attempt", "size_band"
        ),
    )

    hour: Mapped[datetime] = mapped_column(UtcDateTime)
    service: Mapped[str] = mapped_column(Text)
    environment: Mapped[str] = mapped_column(Text)
    task: Mapped[str] = mapped_column(Text)
    canonical_model: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(Text)
    first_attempt: Mapped[bool] = mapped_column(Boolean)
    size_band: Mapped[int] = mapped_column(Integer)
    calls: Mapped[int] = mapped_column(BigInteger)
    priceable_calls: Mapped[int] = mapped_column(BigInteger)
    priceable_cost_usd: Mapped[Decimal] = mapped_column(Money)
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_read_tokens: Mapped[int] = mapped_column(BigInteger)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger)
    unpriced_calls: Mapped[int] = mapped_column(BigInteger)
    no_token_calls: Mapped[int] = mapped_column(BigInteger)  # cost known, input or output tokens not
    no_token_cost_usd: Mapped[Decimal] = mapped_column(Money)


class ModelPriceRow(Base):
    """An effective-dated price override (USD per million tokens) for a provider + model."""

    __tablename__ = "model_prices"
    __table_args__ = (
        PrimaryKeyConstraint("id"),
        CheckConstraint("match_kind IN ('exact', 'pattern')", name="match_kind"),
        CheckConstraint("valid_until IS NULL OR valid_until > valid_from", name="validity"),
        CheckConstraint(
            "input_per_mtok >= 0 AND output_per_mtok >= 0"
            " AND (cache_read_per_mtok IS NULL OR cache_read_per_mtok >= 0)"
            " AND (cache_write_per_mtok IS NULL OR cache_write_per_mtok >= 0)"
            " AND (reasoning_per_mtok IS NULL OR reasoning_per_mtok >= 0)",
            name="non_negative",
        ),
        Index("ix_model_prices_model_pattern", "model_pattern"),
    )

    id: Mapped[int] = mapped_column(BigInteger, autoincrement=True)
    provider: Mapped[str | None] = mapped_column(Text)  # NULL matches any provider
    model_pattern: Mapped[str] = mapped_column(Text)
    match_kind: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    input_per_mtok: Mapped[Decimal] = mapped_column(Rate)
    cache_read_per_mtok: Mapped[Decimal | None] = mapped_column(Rate)
    cache_write_per_mtok: Mapped[Decimal | None] = mapped_column(Rate)
    output_per_mtok: Mapped[Decimal] = mapped_column(Rate)
    reasoning_per_mtok: Mapped[Decimal | None] = mapped_column(Rate)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class ModelTierRow(Base):
    """Operator override of a canonical model's tier and/or cheaper sibling."""

    __tablename__ = "model_tiers"
    __table_args__ = (
        PrimaryKeyConstraint("canonical_model"),
        CheckConstraint("tier IS NULL OR tier IN ('small', 'mid', 'frontier')", name="tier"),
    )

    canonical_model: Mapped[str] = mapped_column(Text)
    tier: Mapped[str | None] = mapped_column(Text)
    cheaper_sibling: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class ReviewSnapshotRow(Base):
    """A generated weekly review, stored so a past week reads the same after repricing."""

    __tablename__ = "review_snapshots"
    __table_args__ = (
        PrimaryKeyConstraint("id"),
        Index("ix_review_snapshots_week", "week"),
    )

    id: Mapped[int] = mapped_column(BigInteger, autoincrement=True)
    week: Mapped[str] = mapped_column(Text)  # ISO week, e.g. 2026-W47
    generated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    markdown: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)


class CallModelNameRollupRow(Base):
    """Hourly count of calls by provider x served model x canonical model, kept by the assembler.

    Each call is counted once, when it is first assembled; the served model is
    ``coalesce(model, response_model, request_model)`` (calls with none are not counted). Unknown
    provider or canonical model is ``''``; names are cut to 200 characters like other rollup dimensions.
    """

    __tablename__ = "call_model_names_hourly"
    __table_args__ = (PrimaryKeyConstraint("hour", "provider", "model", "canonical_model"),)

    hour: Mapped[datetime] = mapped_column(UtcDateTime)
    provider: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(Text)
    canonical_model: Mapped[str] = mapped_column(Text)
    calls: Mapped[int] = mapped_column(BigInteger)


# Partial indexes on llm_calls (migration 0004): calls not assembled yet (leave the index once the
# assembler resolves them), and failed calls.
UNASSEMBLED_PREDICATE = (
    "task_source IS NULL OR task_source <> ALL (ARRAY['call_attribute', 'ancestor_task', "
    "'workflow_name', 'trace_name', 'root_span_name', 'service_name'])"
)
Index("ix_llm_calls_unassembled", LlmCallRow.__table__.c.start_time, postgresql_where=text(UNASSEMBLED_PREDICATE))
Index("ix_llm_calls_errors", LlmCallRow.__table__.c.start_time, postgresql_where=text("status = 'error'"))
