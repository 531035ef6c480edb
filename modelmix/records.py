"""Normalized records that flow from the collector into storage.

``LlmCall`` is one leaf inference (or embedding) span after convention-specific attributes have been
mapped to canonical fields; ``SpanSkeleton`` is the shape of every other span, kept so the assembler
can resolve tasks and escalations later. Decoding is a pure function that returns new records;
pricing fills in the cost fields of the call it is given (``with_cost``). The classes are plain
slotted dataclasses rather than frozen ones because the collector builds and prices tens of
thousands of them per second, and a frozen dataclass pays for every field twice (its ``__init__``
goes through ``object.__setattr__``, and a priced copy through ``dataclasses.replace``).

Token semantics (OTel style): ``input_tokens`` includes cache reads and cache writes,
``output_tokens`` includes reasoning. ``None`` means unknown, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

CALL_KIND_LLM = "llm"
CALL_KIND_EMBEDDING = "embedding"
STATUS_OK = "ok"
STATUS_ERROR = "error"
TIERS = ("small", "mid", "frontier")


@dataclass(slots=True)
class LlmCall:
    trace_id: bytes  # 16 bytes
    span_id: bytes  # 8 bytes
    parent_span_id: bytes | None
    start_time: datetime  # timezone-aware UTC
    end_time: datetime | None
    service: str
    environment: str | None = None
    call_kind: str = CALL_KIND_LLM
    operation: str | None = None  # chat | text_completion | generate_content | embeddings
    provider: str | None = None  # normalized vocabulary (openai, anthropic, aws.bedrock, ...)
    request_model: str | None = None
    response_model: str | None = None
    input_tokens: int | None = None  # inclusive of cache reads and writes
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    output_tokens: int | None = None  # inclusive of reasoning
    reasoning_tokens: int | None = None
    reported_cost_usd: Decimal | None = None
    status: str = STATUS_OK
    error_type: str | None = None
    finish_reason: str | None = None
    streamed: bool | None = None
    response_id: str | None = None
    task: str | None = None  # modelmix.task / workflow name on the span itself, if any
    session_id: str | None = None
    user_id: str | None = None
    agent_name: str | None = None
    escalated_from: str | None = None  # modelmix.escalated_from on the span itself
    verification: str | None = None  # pass | fail on the span itself
    scope_name: str | None = None
    span_name: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)  # leftover non-content attributes
    # Filled in by pricing:
    canonical_model: str | None = None
    cost_usd: Decimal | None = None
    price_id: int | None = None  # model_prices row that priced it, if an override
    price_source: str | None = None  # e.g. "override:12" or "genai-prices 0.2.3"

    @property
    def model(self) -> str | None:
        """The served model: the response model when reported, else the request model."""
        return self.response_model or self.request_model

    @property
    def duration_ms(self) -> float | None:
        if self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds() * 1000.0

    def with_cost(self, **changes: Any) -> LlmCall:
        """Set the given (pricing) fields in place and return the call."""
        for name, value in changes.items():
            setattr(self, name, value)
        return self


@dataclass(slots=True)
class SpanSkeleton:
    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes | None
    name: str
    start_time: datetime
    end_time: datetime | None
    service: str
    environment: str | None = None
    kind: int = 0  # OTLP span kind
    status: str = STATUS_OK
    task: str | None = None  # modelmix.task
    workflow_name: str | None = None  # gen_ai.workflow.name / traceloop.workflow.name
    trace_name: str | None = None  # langfuse.trace.name
    agent_name: str | None = None
    escalated_from: str | None = None  # modelmix.escalated_from
    verification: str | None = None  # pass | fail (modelmix.verification or gen_ai.evaluation.result)
    span_kind_hint: str | None = None  # agent | workflow | tool | chain ... from the conventions
