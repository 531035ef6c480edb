"""Helpers for instrumented services: name the task, mark an escalation, record a verification.

They depend on ``opentelemetry-api`` only and work with any GenAI instrumentation (the LLM call
spans those create become children of the spans opened here):

- ``task(name)`` opens a span named after the task carrying ``modelmix.task``;
- ``escalate(from_model, reason)`` wraps the retry on a bigger model in a span ``escalate``
  carrying ``modelmix.escalated_from`` and ``modelmix.escalation_reason``;
- ``verified(passed, detail)`` records a check outcome on the current span as
  ``modelmix.verification`` = ``pass`` | ``fail`` plus a ``gen_ai.evaluation.result`` event.

``task`` and ``escalate`` are context managers and decorators (sync and async functions).
Without a configured tracer provider they cost next to nothing and record nothing.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

__all__ = [
    "ATTR_ESCALATED_FROM",
    "ATTR_ESCALATION_REASON",
    "ATTR_TASK",
    "ATTR_VERIFICATION",
    "EVALUATION_EVENT",
    "escalate",
    "task",
    "use_tracer_provider",
    "verified",
]

ATTR_TASK = "modelmix.task"
ATTR_ESCALATED_FROM = "modelmix.escalated_from"
ATTR_ESCALATION_REASON = "modelmix.escalation_reason"
ATTR_VERIFICATION = "modelmix.verification"
EVALUATION_EVENT = "gen_ai.evaluation.result"
ESCALATE_SPAN_NAME = "escalate"
EVALUATION_NAME = "modelmix.verification"
_DETAIL_MAX_CHARS = 256

F = TypeVar("F", bound=Callable[..., Any])

_TRACER_NAME = "modelmix.instrument"
_provider: trace.TracerProvider | None = None


def use_tracer_provider(provider: trace.TracerProvider | None) -> None:
    """Open the helpers' spans with ``provider`` instead of the global one (``None``: the global one)."""
    global _provider
    _provider = provider


def _tracer() -> trace.Tracer:
    # Looked up on every use so that a tracer provider configured after import is honoured.
    return trace.get_tracer(_TRACER_NAME, tracer_provider=_provider)


class _SpanScope:
    """A span that is both a context manager and a decorator (for sync and async functions)."""

    def __init__(self, span_name: str, attributes: dict[str, AttributeValue]) -> None:
        self._span_name = span_name
        self._attributes = attributes
        # Open scopes per thread / asyncio task, so one instance may be entered concurrently.
        self._active: ContextVar[tuple[AbstractContextManager[trace.Span], ...]] = ContextVar(
            f"modelmix_scope_{id(self)}", default=()
        )

    def _open(self) -> AbstractContextManager[trace.Span]:
        return _tracer().start_as_current_span(self._span_name, attributes=self._attributes)

    def __enter__(self) -> trace.Span:
        scope = self._open()
        span = scope.__enter__()
        self._active.set((*self._active.get(), scope))
        return span

    def __exit__(self, *exc_info: Any) -> bool | None:
        *rest, scope = self._active.get()
        self._active.set(tuple(rest))
        return scope.__exit__(*exc_info)

    def __call__(self, func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self._open():
                    return await func(*args, **kwargs)

            return cast(F, async_wrapper)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._open():
                return func(*args, **kwargs)

        return cast(F, wrapper)


def _require_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value.strip()


def task(name: str) -> _SpanScope:
    """Open a span named ``name`` with ``modelmix.task=name``; LLM calls inside belong to that task.

    Use as ``with task("classify-ticket"):`` or as ``@task("classify-ticket")``.
    """
    clean = _require_text(name, "task name")
    return _SpanScope(clean, {ATTR_TASK: clean})


def escalate(from_model: str, reason: str | None = None) -> _SpanScope:
    """Wrap the retry on a bigger model: a span ``escalate`` naming the model that was not enough.

    Every LLM call inside counts as an explicit escalation from ``from_model``.
    """
    attributes: dict[str, AttributeValue] = {ATTR_ESCALATED_FROM: _require_text(from_model, "from_model")}
    if reason is not None:
        attributes[ATTR_ESCALATION_REASON] = str(reason)[:_DETAIL_MAX_CHARS]
    return _SpanScope(ESCALATE_SPAN_NAME, attributes)


def verified(passed: bool, detail: str | None = None) -> bool:
    """Record a check outcome on the current span and return ``passed`` (usable inline in an ``if``).

    Sets ``modelmix.verification`` to ``pass`` or ``fail`` and adds a ``gen_ai.evaluation.result``
    event (score 1.0 / 0.0, label pass / fail, ``detail`` as the explanation, cut to 256 characters —
    keep it free of prompt or completion text).
    """
    if not isinstance(passed, bool):
        raise TypeError(f"passed must be a bool, got {type(passed).__name__}")
    label = "pass" if passed else "fail"
    span = trace.get_current_span()
    span.set_attribute(ATTR_VERIFICATION, label)
    event: dict[str, AttributeValue] = {
        "gen_ai.evaluation.name": EVALUATION_NAME,
        "gen_ai.evaluation.score.value": 1.0 if passed else 0.0,
        "gen_ai.evaluation.score.label": label,
    }
    if detail:
        event["gen_ai.evaluation.explanation"] = str(detail)[:_DETAIL_MAX_CHARS]
    span.add_event(EVALUATION_EVENT, attributes=event)
    return passed
