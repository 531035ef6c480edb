"""Canonical fields of a call or skeleton from a ``SpanView``, whichever convention wrote them.

Precedence follows ``docs/telemetry-conventions.md``. Token counts are normalised to the OTel
meaning (input includes cache reads and writes, output includes reasoning):

- exclusive input counts are made inclusive when the emitter is OpenLIT and the provider is
  Anthropic, or whenever cache reads + cache writes exceed the reported input;
- output is made inclusive when the reported reasoning exceeds the reported output (Gemini's
  candidates count leaves thoughts out).

A count that is present but unusable (negative, NaN, above 10^12, not a number) is unknown and is
listed under ``_invalid_values`` in the call's attributes; a missing count is unknown (``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from modelmix.conventions import keys
from modelmix.conventions.classify import first_str
from modelmix.conventions.providers import normalize_provider, provider_from_address
from modelmix.conventions.reader import SpanView, verification_of
from modelmix.conventions.values import (
    INVALID,
    json_object,
    money_from_text,
    read_bool,
    read_count,
    read_first_str,
    read_money,
    read_str,
)
from modelmix.records import CALL_KIND_EMBEDDING

_TOKEN_FIELDS = (keys.INPUT_TOKENS, keys.OUTPUT_TOKENS, keys.CACHE_READ_TOKENS, keys.CACHE_WRITE_TOKENS,
                 keys.REASONING_TOKENS)
_LANGFUSE_USAGE_KEYS = {
    keys.INPUT_TOKENS: ("input", "input_tokens", "prompt_tokens", "prompt"),
    keys.OUTPUT_TOKENS: ("output", "output_tokens", "completion_tokens", "completion"),
    keys.CACHE_READ_TOKENS: ("input_cached_tokens", "cache_read_input_tokens", "input_cache_read",
                             "cache_read_tokens"),
    keys.CACHE_WRITE_TOKENS: ("input_cache_creation", "cache_creation_input_tokens", "input_cache_write",
                              "cache_write_tokens"),
    keys.REASONING_TOKENS: ("output_reasoning_tokens", "output_reasoning", "reasoning_tokens"),
}


_OPTIONAL_TEXT = (
    ("finish_reason", keys.FINISH_REASON), ("response_id", keys.RESPONSE_ID),
    ("modelmix_task", keys.MODELMIX_TASK), ("workflow_task", keys.WORKFLOW_NAME),
    ("session_id", keys.SESSION_ID), ("user_id", keys.USER_ID), ("agent_name", keys.AGENT_NAME),
    ("escalated_from", keys.ESCALATED_FROM),
)


class Extraction:
    """Collects typed values and remembers which attribute entries were consumed.

    ``read_present`` reads, in one pass over the fields a span carries, every field a call always
    needs (``EAGER_READERS``); the other fields are read on demand (``text``, ``count`` ...), which
    also serve the eager ones from what was read.
    """

    __slots__ = ("view", "winners", "invalid", "values")

    def __init__(self, view: SpanView) -> None:
        self.view = view
        self.winners: dict[str, Any] = {}  # field -> the entry whose value was used
        self.invalid: list[str] = []
        self.values: dict[str, Any] = {}  # field -> its value (None: none usable), for fields read

    def read_present(self) -> dict[str, Any]:
        """Read every eager field the span carries; the answer maps field -> value (absent: not sent)."""
        values = self.values
        winners = self.winners
        for field, found in self.view.fields.items():
            read = EAGER_READERS.get(field)
            if read is None:
                continue
            result = None
            for entry in found:
                value = entry[2]
                if read is read_str and value.__class__ is str:  # the common case, without a call
                    value = value.strip() or None
                else:
                    value = read(value)
                if value is INVALID:
                    self.invalid.append(entry[1])
                elif value is not None:
                    winners[field] = entry
                    result = value
                    break
            values[field] = result
        return values

    def text(self, field: str) -> str | None:
        if field in self.values:
            text: str | None = self.values[field]
            return text
        found = self.view.fields.get(field)
        if found is None:
            return None
        read = read_first_str if field == keys.FINISH_REASON else read_str
        for entry in found:
            value = read(entry[2])
            if value is not None:
                self.winners[field] = entry
                return value
        return None

    def _first(self, field: str, read: Callable[[Any], Any]) -> Any:
        """The first value of ``field`` that ``read`` accepts; values it marks INVALID are noted."""
        if field in self.values:
            return self.values[field]
        found = self.view.fields.get(field)
        if found is None:
            return None
        for entry in found:
            value = read(entry[2])
            if value is INVALID:
                self.invalid.append(entry[1])
            elif value is not None:
                self.winners[field] = entry
                return value
        return None

    def count(self, field: str) -> int | None:
        value: int | None = self._first(field, read_count)
        return value

    def flag(self, field: str) -> bool | None:
        value: bool | None = self._first(field, read_bool)
        return value

    def money(self, field: str) -> Decimal | None:
        value: Decimal | None = self._first(field, read_money)
        return value


# Fields every call reads whatever else it carries, with their readers. Reading one records its
# winning entry, so only fields read unconditionally belong here (a conditional one, such as the
# embedding model, must stay in the call's attributes when it was not used).
EAGER_READERS: dict[str, Callable[[Any], Any]] = {
    keys.PROVIDER: read_str, keys.RESPONSE_MODEL: read_str, keys.REQUEST_MODEL: read_str,
    **{field: read_count for field in _TOKEN_FIELDS},
    keys.REPORTED_COST: read_money, keys.STREAMED: read_bool, keys.FINISH_REASON: read_first_str,
    **{field: read_str for _, field in _OPTIONAL_TEXT if field != keys.FINISH_REASON},
    keys.ERROR_TYPE: read_str, keys.ENVIRONMENT: read_str,
}


def call_fields(view: SpanView, call_kind: str, *, is_openlit: bool) -> tuple[dict[str, Any], Extraction]:
    """LlmCall keyword arguments (except ids, times, service, status) and the extraction state."""
    ex = Extraction(view)
    get = ex.read_present().get
    raw_provider = get(keys.PROVIDER) or ex.text(keys.HOSTING_PROVIDER)
    provider = normalize_provider(raw_provider) if raw_provider is not None else _provider_from_address(ex)
    response_model = get(keys.RESPONSE_MODEL)
    if response_model is None and call_kind == CALL_KIND_EMBEDDING:
        response_model = ex.text(keys.EMBEDDING_MODEL)
    tokens = {keys.INPUT_TOKENS: get(keys.INPUT_TOKENS), keys.OUTPUT_TOKENS: get(keys.OUTPUT_TOKENS),
              keys.CACHE_READ_TOKENS: get(keys.CACHE_READ_TOKENS),
              keys.CACHE_WRITE_TOKENS: get(keys.CACHE_WRITE_TOKENS),
              keys.REASONING_TOKENS: get(keys.REASONING_TOKENS)}
    if tokens[keys.INPUT_TOKENS] is None and tokens[keys.OUTPUT_TOKENS] is None:
        tokens = _langfuse_usage(ex) or tokens
    notes = _normalize_tokens(tokens, is_openlit and provider == "anthropic")
    out: dict[str, Any] = {
        "provider": provider,
        "response_model": response_model,
        "request_model": get(keys.REQUEST_MODEL) or _invocation_model(ex),
        **tokens,
        "reported_cost_usd": _reported_cost(ex, is_openlit),
        "streamed": get(keys.STREAMED),
        "finish_reason": get(keys.FINISH_REASON),
        "response_id": get(keys.RESPONSE_ID),
        "session_id": get(keys.SESSION_ID),
        "user_id": get(keys.USER_ID),
        "agent_name": get(keys.AGENT_NAME),
        "escalated_from": get(keys.ESCALATED_FROM),
        "task": get(keys.MODELMIX_TASK) or get(keys.WORKFLOW_NAME),
        "verification": _verification(ex) if keys.VERIFICATION in view.fields else view.evaluation,
    }
    if notes:
        out["_notes"] = notes
    return out, ex


def _provider_from_address(ex: Extraction) -> str | None:
    for field in (keys.SERVER_ADDRESS, keys.API_BASE):
        address = first_str(ex.view, field)
        if address:
            found = provider_from_address(address)
            if found:
                return found
    return None


def _invocation_model(ex: Extraction) -> str | None:
    """``model`` inside OpenInference's ``llm.invocation_parameters`` JSON (the rest is dropped)."""
    for _rank, _key, value in ex.view.candidates(keys.INVOCATION_PARAMETERS):
        parameters = json_object(read_str(value))
        model = parameters.get("model") if parameters else None
        if isinstance(model, str) and model.strip():
            return model.strip()
    return None


def _langfuse_usage(ex: Extraction) -> dict[str, int | None] | None:
    """Langfuse ``usage_details`` JSON: disjoint buckets, summed into inclusive counts."""
    parsed = json_object(first_str(ex.view, keys.USAGE_DETAILS))
    if not parsed:
        return None
    buckets: dict[str, int | None] = {}
    for field, names in _LANGFUSE_USAGE_KEYS.items():
        value = next((parsed[name] for name in names if name in parsed), None)
        buckets[field] = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
    if buckets[keys.INPUT_TOKENS] is None and buckets[keys.OUTPUT_TOKENS] is None:
        return None
    ex.winners[keys.USAGE_DETAILS] = ex.view.candidates(keys.USAGE_DETAILS)[0]
    extra_input = (buckets[keys.CACHE_READ_TOKENS] or 0) + (buckets[keys.CACHE_WRITE_TOKENS] or 0)
    if buckets[keys.INPUT_TOKENS] is not None:
        buckets[keys.INPUT_TOKENS] = buckets[keys.INPUT_TOKENS] + extra_input  # type: ignore[operator]
    if buckets[keys.OUTPUT_TOKENS] is not None:
        buckets[keys.OUTPUT_TOKENS] = buckets[keys.OUTPUT_TOKENS] + (buckets[keys.REASONING_TOKENS] or 0)  # type: ignore[operator]
    return buckets


def _normalize_tokens(tokens: dict[str, int | None], exclusive_input: bool) -> dict[str, str]:
    notes: dict[str, str] = {}
    input_tokens = tokens[keys.INPUT_TOKENS]
    cached = (tokens[keys.CACHE_READ_TOKENS] or 0) + (tokens[keys.CACHE_WRITE_TOKENS] or 0)
    if input_tokens is not None and cached and (exclusive_input or cached > input_tokens):
        tokens[keys.INPUT_TOKENS] = input_tokens + cached
        notes["_input_tokens_normalized"] = "exclusive input made inclusive of cache reads and writes"
    output_tokens = tokens[keys.OUTPUT_TOKENS]
    reasoning = tokens[keys.REASONING_TOKENS]
    if output_tokens is not None and reasoning is not None and reasoning > output_tokens:
        tokens[keys.OUTPUT_TOKENS] = output_tokens + reasoning
        notes["_output_tokens_normalized"] = "exclusive output made inclusive of reasoning"
    return notes


def _reported_cost(ex: Extraction, is_openlit: bool) -> Decimal | None:
    cost = ex.money(keys.REPORTED_COST)
    if cost is not None:
        if cost == 0 and is_openlit:
            return None  # OpenLIT writes 0 for models missing from its price table
        return cost
    details = json_object(first_str(ex.view, keys.COST_DETAILS))
    if not details:
        return None
    total = details.get("total")
    if total is None:
        parts = [v for v in details.values() if isinstance(v, int | float) and not isinstance(v, bool)]
        total = sum(parts) if parts else None
    if isinstance(total, bool) or not isinstance(total, int | float | str):
        return None
    amount = money_from_text(str(total))
    if amount is None or amount is INVALID:
        return None
    ex.winners[keys.COST_DETAILS] = ex.view.candidates(keys.COST_DETAILS)[0]
    return amount  # type: ignore[return-value]


def _verification(ex: Extraction) -> str | None:
    for entry in ex.view.candidates(keys.VERIFICATION):
        verdict = verification_of(entry[2])
        if verdict is not None:
            ex.winners[keys.VERIFICATION] = entry
            return verdict
        ex.invalid.append(entry[1])
    return ex.view.evaluation


SkeletonFields = tuple[str | None, str | None, str | None, str | None, str | None, str | None]


def skeleton_fields(view: SpanView) -> SkeletonFields:
    """SpanSkeleton fields that come from attributes, in ``SpanSkeleton`` order: task, workflow name,
    trace name, agent name, escalated from, verification."""
    fields = view.fields
    if not fields:
        return None, None, None, None, None, view.evaluation
    hint_kind = (first_str(view, keys.TRACELOOP_KIND) or "").lower() if keys.TRACELOOP_KIND in fields else ""
    entity = first_str(view, keys.ENTITY_NAME) if keys.ENTITY_NAME in fields else None
    workflow = first_str(view, keys.WORKFLOW_NAME) if keys.WORKFLOW_NAME in fields else None
    agent = first_str(view, keys.AGENT_NAME) if keys.AGENT_NAME in fields else None
    return (
        first_str(view, keys.MODELMIX_TASK),
        workflow or (entity if hint_kind == "workflow" else None),
        first_str(view, keys.TRACE_NAME) if keys.TRACE_NAME in fields else None,
        agent or (entity if hint_kind == "agent" else None),
        first_str(view, keys.ESCALATED_FROM) if keys.ESCALATED_FROM in fields else None,
        _verification(Extraction(view)) if keys.VERIFICATION in fields else view.evaluation,
    )


def error_type_of(ex: Extraction, status_message: str) -> str | None:
    """error.type → exception event type → HTTP status ≥ 400 → class named in the status message."""
    found = ex.text(keys.ERROR_TYPE) or ex.view.exception_type
    if found:
        return found
    for _rank, _key, value in ex.view.candidates(keys.HTTP_STATUS):
        status = read_count(value)
        if isinstance(status, int) and 400 <= status <= 599:
            return str(status)
    return status_message_class(status_message)


def normalize_error_type(raw: str) -> str:
    """``<class 'openai.RateLimitError'>`` and ``openai.RateLimitError`` → ``RateLimitError``.

    Values that are not a (dotted) class name, such as ``timeout`` or ``500``, are kept as sent.
    """
    text = raw.strip()
    if text.startswith("<class '") and text.endswith("'>"):
        text = text[8:-2]
    parts = text.split(".")
    if len(parts) > 1 and all(part.isidentifier() for part in parts):
        return parts[-1]
    return text


def status_message_class(message: str) -> str | None:
    """A low-cardinality class from a status message: ``RateLimitError: ...`` → ``RateLimitError``."""
    head = message.strip().split(":", 1)[0].strip()
    if not head or len(head) > 80 or " " in head:
        return None
    if head.replace(".", "").replace("_", "").isalnum() and head[0].isalpha():
        return head
    return None
