"""OTLP/gRPC edge: success, partial success, compression, auth, size limit, UNAVAILABLE with RetryInfo."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import grpc
import psycopg
import pytest
from google.rpc.error_details_pb2 import RetryInfo
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from sqlalchemy import Engine

from collector.app import Collector
from modelmix.db.engine import libpq_url
from tests.collector.conftest import StartCollector
from tests.collector.factories import collector_settings, count
from tests.collector.otlp_helpers import chat_span, export_request

TOKEN = "grpc-ingest-token"


ChannelTo = Callable[..., grpc.Channel]


@pytest.fixture
def channel_to() -> Iterator[ChannelTo]:
    channels: list[grpc.Channel] = []

    def open_channel(collector: Collector, compression: grpc.Compression | None = None) -> grpc.Channel:
        channel = grpc.insecure_channel(collector.endpoints.grpc, compression=compression)
        channels.append(channel)
        return channel

    yield open_channel
    for channel in channels:
        channel.close()


def test_export_is_stored_before_the_reply(collector: Collector, engine: Engine, channel_to: ChannelTo) -> None:
    stub = trace_service_pb2_grpc.TraceServiceStub(channel_to(collector))
    response = stub.Export(export_request(chat_span(), chat_span(model="gpt-4o")), timeout=30)
    assert not response.HasField("partial_success")
    assert count(engine, "llm_calls") == 2


def test_partial_success_and_gzip(collector: Collector, engine: Engine, channel_to: ChannelTo) -> None:
    stub = trace_service_pb2_grpc.TraceServiceStub(channel_to(collector, compression=grpc.Compression.Gzip))
    response = stub.Export(export_request(chat_span(), chat_span(start_ns=5)), timeout=30)
    assert response.partial_success.rejected_spans == 1
    assert response.partial_success.error_message
    assert count(engine, "llm_calls") == 1


def test_missing_or_wrong_token_is_unauthenticated(start_collector: StartCollector, engine: Engine,
                                                   channel_to: ChannelTo) -> None:
    collector = start_collector(collector_settings(ingest_tokens=(TOKEN,)))
    channel = channel_to(collector)
    traces = trace_service_pb2_grpc.TraceServiceStub(channel)
    request = export_request(chat_span())
    for metadata in ((), (("authorization", "Bearer nope-nope-nope"),), (("authorization", TOKEN),)):
        with pytest.raises(grpc.RpcError) as failure:
            traces.Export(request, metadata=metadata, timeout=30)
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert TOKEN not in (failure.value.details() or "")
    logs = logs_service_pb2_grpc.LogsServiceStub(channel)
    with pytest.raises(grpc.RpcError) as failure:
        logs.Export(logs_service_pb2.ExportLogsServiceRequest(), timeout=30)
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert count(engine, "llm_calls") == 0
    traces.Export(request, metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=30)
    assert count(engine, "llm_calls") == 1


def test_oversized_message_is_resource_exhausted(start_collector: StartCollector, engine: Engine,
                                                 channel_to: ChannelTo) -> None:
    collector = start_collector(collector_settings(max_request_bytes=64 * 1024))
    stub = trace_service_pb2_grpc.TraceServiceStub(channel_to(collector, compression=grpc.Compression.Gzip))
    big = export_request(*[chat_span(extra={"note": "n" * 2000}) for _ in range(40)])
    assert big.ByteSize() > 64 * 1024  # gzip makes it small on the wire; the limit is on the message
    with pytest.raises(grpc.RpcError) as failure:
        stub.Export(big, timeout=30)
    assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    stub.Export(export_request(chat_span()), timeout=30)
    assert count(engine, "llm_calls") == 1


def test_full_queue_is_unavailable_with_retry_info(start_collector: StartCollector, engine: Engine,
                                                   channel_to: ChannelTo) -> None:
    collector = start_collector(collector_settings(queue_max_spans=100))
    stub = trace_service_pb2_grpc.TraceServiceStub(channel_to(collector))
    stub.Export(export_request(chat_span()), timeout=30)
    blocker = psycopg.connect(libpq_url(engine.url.render_as_string(hide_password=False)))
    blocker.execute("LOCK TABLE trace_activity IN EXCLUSIVE MODE")
    held = threading.Thread(target=stub.Export, args=(export_request(*[chat_span() for _ in range(80)]),),
                            kwargs={"timeout": 30})
    held.start()
    deadline = time.monotonic() + 10
    while collector.batcher.depth < 80 and time.monotonic() < deadline:
        time.sleep(0.02)
    second = export_request(*[chat_span() for _ in range(30)])
    with pytest.raises(grpc.RpcError) as failure:
        stub.Export(second, timeout=30)
    error = failure.value
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    trailers = dict(error.trailing_metadata())
    status = Status.FromString(trailers["grpc-status-details-bin"])
    info = RetryInfo()
    assert status.code == grpc.StatusCode.UNAVAILABLE.value[0] and status.details[0].Unpack(info)
    assert RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"]).retry_delay.ToTimedelta().total_seconds() > 0
    blocker.rollback()
    blocker.close()
    held.join(30)
    stub.Export(second, timeout=30)
    assert count(engine, "llm_calls") == 111


def test_logs_and_metrics_services_answer_ok(collector: Collector, engine: Engine, channel_to: ChannelTo) -> None:
    channel = channel_to(collector)
    logs = logs_service_pb2_grpc.LogsServiceStub(channel)
    metrics = metrics_service_pb2_grpc.MetricsServiceStub(channel)
    assert logs.Export(logs_service_pb2.ExportLogsServiceRequest(), timeout=30) is not None
    assert metrics.Export(metrics_service_pb2.ExportMetricsServiceRequest(), timeout=30) is not None
    assert count(engine, "trace_activity") == 0
