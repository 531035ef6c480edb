"""One pass over a span's attributes and events, sorting them for the extractors.

``read_span`` visits every attribute once: keys that feed a canonical field are kept per field
with their precedence rank and their value in plain form (``values.plain``: one protobuf read per
value, the readers then work on Python scalars); content keys are skipped without touching their
values unless content capture is on; everything else is a leftover attribute, converted to its
JSON-safe value right away. Events are reduced to what modelmix keeps: the
exception type, evaluation verdicts and, only with content capture, the content events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelmix.conventions import keys
from modelmix.conventions.values import SCALARS as _SCALARS
from modelmix.conventions.values import plain, read_str, to_python

_PASS_LABELS = frozenset({"pass", "passed", "true", "yes", "correct", "good", "ok", "success", "succeeded",
                          "relevant", "accept", "accepted", "valid"})
_FAIL_LABELS = frozenset({"fail", "failed", "false", "no", "incorrect", "bad", "failure", "error",
                          "irrelevant", "reject", "rejected", "invalid"})

_classify = keys.classify_key
_cached = keys.cached_key_class  # one dict lookup for keys seen before


Entry = tuple[int, str, Any]  # (precedence rank, key, plain value: see ``values.plain``)


@dataclass(slots=True)
class SpanView:
    """A span's attributes sorted by role, each value read once into its plain form."""

    fields: dict[str, tuple[Entry, ...]]  # field -> its entries, best rank first
    leftovers: dict[str, Any]  # key -> JSON-safe value
    content: list[tuple[str, Any]]  # (key, AnyValue), only with content capture (else a shared empty list)
    content_events: list[dict[str, Any]]  # only with content capture (else a shared empty list)
    has_llm_prompts: bool = False  # OpenInference llm.prompts.* seen (a text completion)
    exception_type: str | None = None
    evaluation: str | None = None  # pass | fail from gen_ai.evaluation.result events

    def candidates(self, name: str) -> tuple[Entry, ...]:
        """A field's entries, best rank first (empty when absent)."""
        return self.fields.get(name) or ()


_NOTHING_CAPTURED: tuple[()] = ()


def _rank(candidate: Entry) -> int:
    return candidate[0]


def read_span(span: Any, capture_content: bool) -> SpanView:
    fields: dict[str, tuple[Entry, ...]] = {}
    leftovers: dict[str, Any] = {}
    if capture_content:
        view = SpanView(fields, leftovers, [], [])
    else:  # nothing is ever added to these: no lists to allocate and free per span
        view = SpanView(fields, leftovers, _NOTHING_CAPTURED, _NOTHING_CAPTURED)  # type: ignore[arg-type]
    for entry in span.attributes:
        key = entry.key
        key_class = _cached(key) or _classify(key)
        if key_class.__class__ is tuple:
            value = entry.value
            text = value.string_value  # most values are non-empty strings: one accessor, no WhichOneof
            item = (key_class[1], key, text if text else plain(value))
            name = key_class[0]
            slot = fields.get(name)
            if slot is None:
                fields[name] = (item,)  # one-tuples come from a free list: cheaper than a list
            else:  # aliases together are rare; keep best rank first
                fields[name] = tuple(sorted((*slot, item), key=_rank))
        elif key_class is keys.LEFTOVER:
            value = entry.value
            text = value.string_value
            leftovers[key] = text if text else to_python(value)
        else:
            if key_class is keys.CONTENT_PROMPTS:
                view.has_llm_prompts = True
            if capture_content:
                view.content.append((key, entry.value))
    if span.events:
        _read_events(span.events, view, capture_content)
    return view


def _read_events(events: Any, view: SpanView, capture_content: bool) -> None:
    verdicts: list[str] = []
    for event in events:
        name = event.name
        if name == keys.EXCEPTION_EVENT:
            if view.exception_type is None:
                view.exception_type = _event_str(event, "exception.type")
        elif name == keys.EVALUATION_EVENT:
            verdict = evaluation_verdict(event.attributes)
            if verdict is not None:
                verdicts.append(verdict)
        elif capture_content and keys.is_content_event(name):
            view.content_events.append(
                {"name": name, "attributes": {kv.key: to_python(kv.value) for kv in event.attributes}}
            )
    if verdicts:
        view.evaluation = "fail" if "fail" in verdicts else "pass"


def _event_str(event: Any, key: str) -> str | None:
    for entry in event.attributes:
        if entry.key == key:
            return read_str(entry.value)
    return None


def evaluation_verdict(attributes: Any) -> str | None:
    """pass | fail from one ``gen_ai.evaluation.result`` event, else ``None``.

    The label decides when it is a recognised word (pass/passed/correct/... or
    fail/failed/incorrect/...); otherwise a score in [0, 1] decides (≥ 0.5 passes). Scores on
    other scales, and unknown labels, give no verdict.
    """
    label: str | None = None
    score: float | None = None
    for entry in attributes:
        if entry.key == "gen_ai.evaluation.score.label":
            label = (read_str(entry.value) or "").lower()
        elif entry.key == "gen_ai.evaluation.score.value":
            score = _score(entry.value)
    if label in _PASS_LABELS:
        return "pass"
    if label in _FAIL_LABELS:
        return "fail"
    if score is not None and 0.0 <= score <= 1.0:
        return "pass" if score >= 0.5 else "fail"
    return None


def _score(value: Any) -> float | None:
    which = value.WhichOneof("value")
    if which == "double_value":
        return float(value.double_value)
    if which == "int_value":
        return float(value.int_value)
    if which == "string_value":
        try:
            return float(value.string_value.strip())
        except ValueError:
            return None
    return None


def verification_of(value: Any) -> str | None:
    """``modelmix.verification``: pass | fail from a word or a boolean (an ``AnyValue`` or plain)."""
    if value.__class__ is bool:
        return "pass" if value else "fail"
    if value is not None and value.__class__ not in _SCALARS and value.WhichOneof("value") == "bool_value":
        return "pass" if value.bool_value else "fail"
    text = (read_str(value) or "").lower()
    if text in _PASS_LABELS:
        return "pass"
    if text in _FAIL_LABELS:
        return "fail"
    return None
