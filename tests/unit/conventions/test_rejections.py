"""Bad spans are rejected one by one, with a reason; the rest of the request still decodes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from modelmix.conventions import decode_traces, parse_json_traces
from tests.unit.conventions.spans import NOW, NOW_NS, decode, make_span

DAY = 86_400 * 10**9
CHAT = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 3}


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"trace_id": b"\x01" * 15}, "trace id"),
    ({"trace_id": bytes(16)}, "trace id"),
    ({"trace_id": b""}, "trace id"),
    ({"span_id": b"\x01" * 9}, "span id"),
    ({"span_id": bytes(8)}, "span id"),
    ({"parent_span_id": b"\x01" * 4}, "parent span id"),
    ({"start_ns": 0}, "start time is missing"),
    ({"start_ns": NOW_NS - 401 * DAY}, "400 days in the past"),
    ({"start_ns": NOW_NS + 2 * DAY}, "in the future"),
])
def test_bad_span_is_rejected_and_others_survive(overrides: dict[str, Any], reason: str) -> None:
    good_call = make_span(CHAT)
    good_other = make_span({}, name="root")
    bad = make_span(CHAT, **overrides)
    batch = decode([good_call, bad, good_other])
    assert batch.rejected == 1
    assert len(batch.messages) == 1 and reason in batch.messages[0]
    assert [call.span_id for call in batch.calls] == [good_call.span_id]
    assert [skeleton.span_id for skeleton in batch.skeletons] == [good_other.span_id]


def test_age_limit_follows_the_setting() -> None:
    span = make_span(CHAT, start_ns=NOW_NS - 20 * DAY)
    assert decode(span, max_span_age_days=30).rejected == 0
    assert decode(span, max_span_age_days=10).rejected == 1


def test_a_day_of_clock_skew_into_the_future_is_accepted() -> None:
    assert decode(make_span(CHAT, start_ns=NOW_NS + DAY // 2)).rejected == 0


def test_all_zero_parent_means_root() -> None:
    batch = decode(make_span(CHAT, parent_span_id=bytes(8)))
    assert batch.rejected == 0 and batch.calls[0].parent_span_id is None


def test_end_before_start_keeps_the_span_with_unknown_end() -> None:
    batch = decode([make_span(CHAT, end_ns=NOW_NS - 120 * 10**9), make_span({}, name="r", end_ns=1)])
    assert batch.rejected == 0
    call = batch.calls[0]
    assert call.end_time is None and call.duration_ms is None
    assert call.attributes["_end_before_start"] is True
    assert batch.skeletons[0].end_time is None


def test_missing_end_is_unknown() -> None:
    call = decode(make_span(CHAT, end_ns=0)).calls[0]
    assert call.end_time is None


def test_start_time_keeps_microseconds() -> None:
    call = decode(make_span(CHAT, start_ns=NOW_NS - 1_234_567_891)).calls[0]  # 11:59:58.765432109
    assert call.start_time == NOW.replace(hour=11, minute=59, second=58, microsecond=765_432)
    assert call.start_time - NOW == -timedelta(microseconds=1_234_568)


def test_rejection_messages_are_bounded() -> None:
    batch = decode([make_span(CHAT, trace_id=bytes(16)) for _ in range(50)] + [make_span(CHAT)])
    assert batch.rejected == 50 and len(batch.messages) == 10 and len(batch.calls) == 1
    assert all(len(message) < 200 for message in batch.messages)


def test_huge_garbage_id_gives_a_short_message() -> None:
    batch = decode(make_span(CHAT, trace_id=b"\x07" * 100_000))
    assert batch.rejected == 1 and len(batch.messages[0]) < 200


def test_bad_ids_and_times_in_json_reject_only_their_span() -> None:
    def span(**fields: Any) -> dict[str, Any]:
        base = {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "name": "chat",
                "startTimeUnixNano": str(NOW_NS - 10**9), "endTimeUnixNano": str(NOW_NS),
                "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                               {"key": "gen_ai.request.model", "value": {"stringValue": "m"}}]}
        base.update(fields)
        return base

    spans = [
        span(),
        span(spanId="b7ad6b716920333z"),  # not hex
        span(spanId="b7ad6b7169203332", traceId="0AF7651916CD43DD8448EB211C80319"),  # odd length
        span(spanId="b7ad6b7169203333", parentSpanId="nothex!!"),
        span(spanId="b7ad6b7169203334", startTimeUnixNano="yesterday"),
        span(spanId="b7ad6b7169203335", startTimeUnixNano="-5"),
        span(spanId="B7AD6B7169203336", traceId="0AF7651916CD43DD8448EB211C80319C"),  # upper case is fine
    ]
    body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()
    batch = decode_traces(parse_json_traces(body), now=NOW)
    assert batch.rejected == 5
    assert [call.span_id.hex() for call in batch.calls] == ["b7ad6b7169203331", "b7ad6b7169203336"]
    assert batch.calls[1].service == "unknown_service"


def test_naive_now_is_taken_as_utc() -> None:
    span = make_span(CHAT, start_ns=NOW_NS + DAY // 2)
    assert decode(span, now=NOW.replace(tzinfo=None)).rejected == 0
    assert decode(span, now=NOW.replace(tzinfo=None) - timedelta(days=1)).rejected == 1
