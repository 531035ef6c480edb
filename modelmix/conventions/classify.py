"""Which spans are LLM calls: inference and embedding spans of every convention.

A span is an inference candidate when one convention says so, tried in this order:
``gen_ai.operation.name`` (chat, text_completion, generate_content), legacy ``llm.request.type``
(chat, completion), ``openinference.span.kind=LLM``, ``langfuse.observation.type=generation``,
and OpenLLMetry's provider span names ``<vendor>.<operation>`` (``openai.chat``,
``anthropic.completion``) when the span also names a model. Embeddings are recognised the same way
and counted apart. Agent, workflow, task and tool spans (``invoke_agent``, ``traceloop.span.kind``,
OpenInference ``AGENT``/``CHAIN``/``TOOL``) are never calls, whatever usage they carry: their
totals aggregate calls below them. An explicit inference marker (operation name,
``llm.request.type``, OpenInference ``LLM``) wins over a Traceloop span kind. Whether a candidate is a *leaf* is decided later,
over the whole request (``decode``).
"""

from __future__ import annotations

from typing import Any, Final

from modelmix.conventions import keys
from modelmix.conventions.reader import SpanView
from modelmix.conventions.values import read_str
from modelmix.records import CALL_KIND_EMBEDDING, CALL_KIND_LLM

Classified = tuple[str, str]  # (call_kind, operation)

_CHAT: Final = (CALL_KIND_LLM, "chat")
_TEXT: Final = (CALL_KIND_LLM, "text_completion")
_GENERATE: Final = (CALL_KIND_LLM, "generate_content")
_EMBED: Final = (CALL_KIND_EMBEDDING, "embeddings")

_OPERATIONS: Final[dict[str, Classified]] = {
    "chat": _CHAT, "text_completion": _TEXT, "completion": _TEXT, "generate_content": _GENERATE,
    "generate": _GENERATE, "embeddings": _EMBED, "embedding": _EMBED,
}
_LLM_REQUEST_TYPES: Final[dict[str, Classified]] = {
    "chat": _CHAT, "completion": _TEXT, "embedding": _EMBED, "embeddings": _EMBED,
}
_LANGFUSE_TYPES: Final[dict[str, Classified]] = {"generation": _CHAT, "embedding": _EMBED}
_SPAN_NAME_SUFFIXES: Final[dict[str, Classified]] = {
    "chat": _CHAT, "completion": _TEXT, "completions": _TEXT, "response": _CHAT, "responses": _CHAT,
    "generate_content": _GENERATE, "embeddings": _EMBED, "embedding": _EMBED,
}
_NOT_CALL_KINDS: Final = frozenset({"workflow", "task", "agent", "tool"})
_OPERATION_HINTS: Final = {
    "invoke_agent": "agent", "create_agent": "agent", "invoke_workflow": "workflow",
    "execute_tool": "tool", "retrieval": "retriever",
}
_MODEL_FIELDS: Final = (keys.REQUEST_MODEL, keys.RESPONSE_MODEL, keys.INVOCATION_PARAMETERS)


def first_str(view: SpanView, field: str) -> str | None:
    """The first usable string among a field's keys, in precedence order."""
    found = view.fields.get(field)
    if found is None:
        return None
    for _rank, _key, value in found:
        text = read_str(value)
        if text is not None:
            return text
    return None


def classify(view: SpanView, span_name: str) -> Classified | None:
    """``(call_kind, operation)`` for an inference or embedding span, else ``None``."""
    fields = view.fields
    if keys.OPERATION in fields:
        operation = (first_str(view, keys.OPERATION) or "").lower()
        if operation:
            return _OPERATIONS.get(operation)  # any other operation (invoke_agent ...) is no call
    if keys.LLM_REQUEST_TYPE in fields:
        found = _LLM_REQUEST_TYPES.get((first_str(view, keys.LLM_REQUEST_TYPE) or "").lower())
        if found is not None:
            return found
    if keys.TRACELOOP_KIND in fields and (first_str(view, keys.TRACELOOP_KIND) or "").lower() in _NOT_CALL_KINDS:
        return None
    if keys.OPENINFERENCE_KIND in fields:
        kind = (first_str(view, keys.OPENINFERENCE_KIND) or "").upper()
        if kind == "LLM":
            return _TEXT if view.has_llm_prompts else _CHAT
        if kind == "EMBEDDING":
            return _EMBED
        return None
    if keys.LANGFUSE_TYPE in fields:
        return _LANGFUSE_TYPES.get((first_str(view, keys.LANGFUSE_TYPE) or "").lower())
    return _from_span_name(span_name, fields)


def _from_span_name(span_name: str, fields: dict[str, Any]) -> Classified | None:
    vendor, dot, suffix = span_name.partition(".")
    if not dot or not vendor or " " in span_name or "." in suffix:
        return None
    found = _SPAN_NAME_SUFFIXES.get(suffix.lower())
    if found is None or not any(name in fields for name in _MODEL_FIELDS):
        return None
    return found


def span_kind_hint(view: SpanView) -> str | None:
    """agent | workflow | task | tool | chain | retriever ... from whichever convention says."""
    kind = first_str(view, keys.TRACELOOP_KIND)
    if kind:
        return kind.lower()
    kind = first_str(view, keys.OPENINFERENCE_KIND)
    if kind:
        return kind.lower()
    operation = first_str(view, keys.OPERATION)
    if operation:
        return _OPERATION_HINTS.get(operation.lower(), operation.lower())
    kind = first_str(view, keys.LANGFUSE_TYPE)
    return kind.lower() if kind else None
