"""Replaying recorded instrumentation output (openai-v2, openllmetry) over every transport.

The stored calls must match the recording's ground truth exactly, every transport and encoding must
store identical rows, a replay must store nothing twice, and with content capture off no prompt or
completion text may be anywhere in the database.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from sqlalchemy import Engine, text

from collector.app import Collector
from tests.collector.otlp_helpers import (
    FIXTURE_SETS,
    content_probes,
    fixture_files,
    fixture_request,
    ground_truth,
)


def replay(collector: Collector, name: str, transport: str) -> None:
    files = fixture_files(name)
    assert files, f"no fixture files for {name}"
    if transport == "grpc":
        with grpc.insecure_channel(collector.endpoints.grpc) as channel:
            stub = trace_service_pb2_grpc.TraceServiceStub(channel)
            for path in files:
                response = stub.Export(fixture_request(path), timeout=60)
                assert response.partial_success.rejected_spans == 0, response.partial_success.error_message
        return
    with httpx.Client(base_url=collector.endpoints.http, timeout=60) as client:
        for path in files:
            if transport == "json":
                body, media = path.read_bytes(), "application/json"
            else:
                body, media = fixture_request(path).SerializeToString(), "application/x-protobuf"
            response = client.post("/v1/traces", content=body, headers={"Content-Type": media})
            assert response.status_code == 200, response.text
            assert b"rejected" not in response.content.lower(), response.content


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table, order in (("llm_calls", "trace_id, span_id"), ("span_skeletons", "trace_id, span_id"),
                             ("trace_activity", "trace_id")):
            result = conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))  # noqa: S608
            keep = [i for i, column in enumerate(result.keys()) if column not in ("ingested_at", "last_seen_at")]
            tables[table] = [tuple(row[i] for i in keep) for row in result]
    return tables


def clear(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE llm_calls, span_skeletons, trace_activity"))


def assert_matches_ground_truth(engine: Engine, name: str) -> None:
    truth = ground_truth(name)
    served_for_requested = {req: m["model"] for m in truth["models"] for req in m["requested_models"]}
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT request_model, response_model, status, input_tokens, output_tokens, cache_read_tokens "
            "FROM llm_calls")).all()
        skeletons = conn.execute(text("SELECT count(*) FROM span_skeletons")).scalar_one()
    per_model: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cached_seen: list[int | None] = []
    for row in rows:
        model = row.response_model or served_for_requested[row.request_model]
        stats = per_model[model]
        stats["calls"] += 1
        stats["ok_calls" if row.status == "ok" else "errors"] += 1
        stats["input_tokens"] += row.input_tokens or 0
        stats["output_tokens"] += row.output_tokens or 0
        stats["cached_input_tokens"] += row.cache_read_tokens or 0
        cached_seen.append(row.cache_read_tokens)
    fields = ["calls", "ok_calls", "errors", "input_tokens", "output_tokens"]
    visible = truth["exported_spans"]["cached_tokens_visible"]
    if visible:
        fields.append("cached_input_tokens")
    else:
        assert all(value is None for value in cached_seen)  # not reported, so unknown — never 0
    expected = {m["model"]: {f: m[f] for f in fields} for m in truth["models"]}
    actual = {model: {f: stats[f] for f in fields} for model, stats in per_model.items()}
    assert actual == expected
    assert len(rows) == truth["totals"]["calls"]
    assert skeletons == truth["exported_spans"]["ok"] - truth["totals"]["calls"]


@pytest.mark.parametrize("name", FIXTURE_SETS)
def test_replay_matches_ground_truth_on_every_transport(collector: Collector, engine: Engine, name: str) -> None:
    snapshots = {}
    for transport in ("json", "protobuf", "grpc"):
        clear(engine)
        replay(collector, name, transport)
        assert_matches_ground_truth(engine, name)
        snapshots[transport] = snapshot(engine)
    assert snapshots["protobuf"] == snapshots["json"]
    assert snapshots["grpc"] == snapshots["json"]
    assert len(snapshots["json"]["trace_activity"]) == ground_truth(name)["totals"]["task_runs"]


@pytest.mark.parametrize("name", FIXTURE_SETS)
def test_replaying_twice_stores_nothing_twice(collector: Collector, engine: Engine, name: str) -> None:
    replay(collector, name, "protobuf")
    first = snapshot(engine)
    replay(collector, name, "json")
    replay(collector, name, "grpc")
    assert snapshot(engine) == first
    assert collector.stats.duplicates == 2 * ground_truth(name)["exported_spans"]["ok"]


def test_no_prompt_or_completion_text_is_stored(collector: Collector, engine: Engine) -> None:
    probes = content_probes(fixture_files("openllmetry"))
    assert len(probes) > 50  # the recording does carry content
    replay(collector, "openllmetry", "json")
    replay(collector, "openllmetry", "grpc")
    with engine.connect() as conn:
        columns = conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'json', 'character varying')"
        )).all()
        assert {(t, c) for t, c in columns} >= {("llm_calls", "attributes"), ("llm_calls", "span_name")}
        dump: list[str] = []
        for table, column in columns:
            dump.extend(v for v in conn.execute(text(
                f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL')).scalars())  # noqa: S608
    everything = "\n".join(dump)
    assert "gpt-4o" in everything  # the dump does hold the stored rows
    leaked = sorted(p for p in probes if p in everything)
    assert leaked == []
