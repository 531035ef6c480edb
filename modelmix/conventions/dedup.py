"""One call, one row: drop the extra spans that stacked instrumentations make for the same call.

Two libraries can wrap the same request (OpenLLMetry + OpenInference, OpenLIT + the contrib
OpenAI instrumentation, a LangChain callback span around the SDK span). Within one OTLP request
and one trace, two call spans are the same call when

1. ``response_id``: they report the same ``gen_ai.response.id``; or else
2. ``overlap``: they name a common model (request or response), report equal, known input and
   output token counts, and one contains the other — it is its ancestor, or its time interval
   encloses the other's.

The survivor is the innermost span (the descendant, else the enclosed one, else a ``CLIENT``
span, else the first seen). It inherits any field it lacks from the spans dropped for it and
carries ``dedup_rule`` in its attributes; the dropped spans become skeletons so ancestor chains
stay whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

SPAN_KIND_CLIENT = 3
RULE_RESPONSE_ID = "response_id"
RULE_OVERLAP = "overlap"

# Call fields a survivor takes from a dropped duplicate when it has none of its own.
MERGEABLE = (
    "environment", "provider", "request_model", "response_model", "input_tokens", "cache_read_tokens",
    "cache_write_tokens", "output_tokens", "reasoning_tokens", "reported_cost_usd", "finish_reason",
    "streamed", "response_id", "task", "session_id", "user_id", "agent_name", "escalated_from",
    "verification",
)


@dataclass(slots=True)
class Candidate:
    """A call span on its way to becoming an ``LlmCall`` (fields are LlmCall keyword arguments)."""

    trace_id: bytes
    span_id: bytes
    parent_id: bytes | None
    start_ns: int
    end_ns: int | None
    kind: int
    fields: dict[str, Any]
    attributes: dict[str, Any]
    dropped_by: str | None = None


IsAncestor = Callable[[bytes, bytes, bytes], bool]  # (trace_id, ancestor_span_id, span_id)


def deduplicate(candidates: list[Candidate], is_ancestor: IsAncestor) -> dict[str, int]:
    """Mark duplicates (``dropped_by`` = rule) in place; return how often each rule fired."""
    fired = {RULE_RESPONSE_ID: 0, RULE_OVERLAP: 0}
    by_trace: dict[bytes, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_trace[candidate.trace_id].append(candidate)
    for group in by_trace.values():
        if len(group) < 2:
            continue
        by_response: dict[str, list[Candidate]] = defaultdict(list)
        for candidate in group:
            if candidate.fields.get("response_id"):
                by_response[candidate.fields["response_id"]].append(candidate)
        for same in by_response.values():
            if len(same) > 1:
                fired[RULE_RESPONSE_ID] += _collapse(same, RULE_RESPONSE_ID, is_ancestor)
        fired[RULE_OVERLAP] += _collapse_overlaps([c for c in group if c.dropped_by is None], is_ancestor)
    return fired


def _collapse_overlaps(group: list[Candidate], is_ancestor: IsAncestor) -> int:
    by_tokens: dict[tuple[int, int], list[Candidate]] = defaultdict(list)
    for candidate in group:
        fields = candidate.fields
        if fields.get("input_tokens") is not None and fields.get("output_tokens") is not None:
            by_tokens[(fields["input_tokens"], fields["output_tokens"])].append(candidate)
    dropped = 0
    for same_tokens in by_tokens.values():
        if len(same_tokens) < 2:
            continue
        for cluster in _clusters(same_tokens, is_ancestor):
            dropped += _collapse(cluster, RULE_OVERLAP, is_ancestor)
    return dropped


def _clusters(group: list[Candidate], is_ancestor: IsAncestor) -> Iterable[list[Candidate]]:
    """Connected groups under "same model and one contains the other" (union-find, n is small)."""
    parent = list(range(len(group)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i, first in enumerate(group):
        for j in range(i + 1, len(group)):
            second = group[j]
            if _models(first) & _models(second) and _contains_either(first, second, is_ancestor):
                parent[root(i)] = root(j)
    clusters: dict[int, list[Candidate]] = defaultdict(list)
    for index, candidate in enumerate(group):
        clusters[root(index)].append(candidate)
    return [cluster for cluster in clusters.values() if len(cluster) > 1]


def _models(candidate: Candidate) -> set[str]:
    fields = candidate.fields
    return {name.lower() for name in (fields.get("request_model"), fields.get("response_model")) if name}


def _contains_either(a: Candidate, b: Candidate, is_ancestor: IsAncestor) -> bool:
    return _encloses(a, b, is_ancestor) or _encloses(b, a, is_ancestor)


def _encloses(outer: Candidate, inner: Candidate, is_ancestor: IsAncestor) -> bool:
    if is_ancestor(outer.trace_id, outer.span_id, inner.span_id):
        return True
    if outer.end_ns is None or inner.end_ns is None:
        return False
    return outer.start_ns <= inner.start_ns and inner.end_ns <= outer.end_ns


def _collapse(same: list[Candidate], rule: str, is_ancestor: IsAncestor) -> int:
    """Keep the innermost of ``same``; mark the others dropped; merge their fields into it."""
    survivor = same[0]
    for other in same[1:]:
        if _is_inner(other, survivor, is_ancestor):
            survivor = other
    dropped = 0
    for other in same:
        if other is survivor or other.dropped_by is not None:
            continue
        other.dropped_by = rule
        dropped += 1
        for name in MERGEABLE:
            if survivor.fields.get(name) is None and other.fields.get(name) is not None:
                survivor.fields[name] = other.fields[name]
    survivor.attributes["dedup_rule"] = rule
    return dropped


def _is_inner(challenger: Candidate, current: Candidate, is_ancestor: IsAncestor) -> bool:
    if is_ancestor(challenger.trace_id, current.span_id, challenger.span_id):
        return True
    if is_ancestor(challenger.trace_id, challenger.span_id, current.span_id):
        return False
    if _encloses(current, challenger, is_ancestor) and not _encloses(challenger, current, is_ancestor):
        return True
    if _encloses(challenger, current, is_ancestor):
        return False
    return challenger.kind == SPAN_KIND_CLIENT and current.kind != SPAN_KIND_CLIENT
