"""Load generator: client processes that send pre-serialized trace requests over persistent connections.

Each client process holds ``connections`` persistent connections (one thread each: ``http.client``
for OTLP/HTTP, a gRPC channel with raw-bytes serializers for OTLP/gRPC) and sends requests back to
back until its deadline, every one with trace ids of its own. A 429/503 (or gRPC UNAVAILABLE /
RESOURCE_EXHAUSTED) answer is retried with the same body, as an OTLP exporter would. Every answered
request is recorded as (finished at, latency, spans, outcome) on the system-wide monotonic clock,
so the parent can cut a measurement window out of the warm-up.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from benchmarks.payloads import Template

TRACE_EXPORT_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
RETRY_PAUSE_S = 0.02
OK = "ok"
RETRIED = "retried"  # answered "come back later"; the same body is sent again
FAILED = "failed"


@dataclass
class ClientReport:
    """What one client process saw; ``samples`` are (finished_at, latency_s, spans) of acknowledged requests."""

    samples: list[tuple[float, float, int]] = field(default_factory=list)
    retries: int = 0
    failures: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0


class _Sender(Protocol):
    def send(self, body: bytes) -> str:
        """Send one request: OK, RETRIED, or "failed: <reason>"."""
        ...

    def close(self) -> None: ...


class _HttpSender:
    def __init__(self, host: str, port: int) -> None:
        self._conn = http.client.HTTPConnection(host, port, timeout=120)
        self._headers = {"Content-Type": "application/x-protobuf"}

    def send(self, body: bytes) -> str:
        try:
            self._conn.request("POST", "/v1/traces", body, self._headers)
            response = self._conn.getresponse()
            text = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._conn.close()  # reconnects on the next request
            return f"{FAILED}: {type(exc).__name__}: {exc}"
        if response.status == 200:
            return OK
        if response.status in (429, 503):
            return RETRIED
        return f"{FAILED}: HTTP {response.status}: {text[:200]!r}"

    def close(self) -> None:
        self._conn.close()


class _GrpcSender:
    def __init__(self, target: str) -> None:
        import grpc

        self._grpc = grpc
        self._channel = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 << 20)])
        self._export = self._channel.unary_unary(TRACE_EXPORT_METHOD, request_serializer=None,
                                                 response_deserializer=None)

    def send(self, body: bytes) -> str:
        grpc = self._grpc
        try:
            self._export(body, timeout=120)
        except grpc.RpcError as exc:
            call = cast(Any, exc)  # a failed unary call's RpcError is also its grpc.Call (code, details)
            code = call.code()
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
                return RETRIED
            return f"{FAILED}: gRPC {code.name}: {call.details()}"
        return OK

    def close(self) -> None:
        self._channel.close()


def _sender(transport: str, target: str) -> _Sender:
    if transport == "grpc":
        return _GrpcSender(target)
    host, _, port = target.rpartition(":")
    return _HttpSender(host.strip("[]"), int(port))


def _connection_loop(transport: str, target: str, templates: list[Template], run_tag: int, client: int,
                     deadline: float, report: ClientReport, lock: threading.Lock) -> None:
    sender = _sender(transport, target)
    sequence = 0
    try:
        while time.monotonic() < deadline:
            template = templates[sequence % len(templates)]
            body = template.render(run_tag, client, sequence)
            sequence += 1
            started = time.monotonic()
            while True:
                outcome = sender.send(body)
                if outcome != RETRIED:
                    break
                with lock:
                    report.retries += 1
                time.sleep(RETRY_PAUSE_S)
            finished = time.monotonic()
            with lock:
                if outcome == OK:
                    report.samples.append((finished, finished - started, template.spans))
                else:
                    report.failures.append(outcome)
            if outcome != OK:
                time.sleep(0.5)
    finally:
        sender.close()


def run_client(transport: str, target: str, templates: list[Template], run_tag: int, first_client: int,
               connections: int, deadline: float, results: Any) -> None:
    """Client process body: ``connections`` threads until ``deadline``; the report goes to ``results``."""
    report = ClientReport()
    lock = threading.Lock()
    threads = [threading.Thread(target=_connection_loop,
                                args=(transport, target, templates, run_tag, first_client + i, deadline,
                                      report, lock), daemon=True)
               for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    usage = time.process_time()
    report.cpu_seconds = usage
    results.put(report)


def start_clients(transport: str, target: str, templates: list[Template], *, run_tag: int, processes: int,
                  connections: int, deadline: float) -> tuple[list[Any], Any]:
    """Start the client processes (spawned, so nothing of the parent's state leaks into them)."""
    context = mp.get_context("spawn")
    results = context.Queue()
    started = []
    for index in range(processes):
        process = context.Process(target=run_client, name=f"bench-client-{index}",
                                  args=(transport, target, templates, run_tag, 1 + index * connections,
                                        connections, deadline, results), daemon=True)
        process.start()
        started.append(process)
    return started, results


def collect(processes: list[Any], results: Any, timeout: float) -> list[ClientReport]:
    """Wait for every client's report (a client that died counts as a failure, not a hang)."""
    reports: list[ClientReport] = []
    end = time.monotonic() + timeout
    while len(reports) < len(processes) and time.monotonic() < end:
        try:
            reports.append(results.get(timeout=1.0))
        except Exception:  # queue.Empty: check whether a client died
            if all(not p.is_alive() for p in processes) and results.empty():
                break
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.terminate()
    missing = len(processes) - len(reports)
    if missing:
        reports.append(ClientReport(failures=[f"{FAILED}: {missing} client process(es) sent no report"]))
    return reports
