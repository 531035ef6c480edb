"""Load generation with pre-serialized OTLP/protobuf requests, fast enough to overload the collector.

``RequestTemplate`` serializes one ``ExportTraceServiceRequest`` of ``spans`` chat spans once and
remembers where each trace and span id sits in the bytes; ``fresh()`` copies the bytes with new
random ids spliced in, so every request carries new spans at almost no cost to the sender.
``closed_loop`` measures the rate the collector sustains; ``open_loop`` offers a fixed rate no
matter how the collector answers, and records every status, Retry-After header and error.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from tests.collector.otlp_helpers import chat_span, export_request

PROTOBUF = {"Content-Type": "application/x-protobuf"}


class RequestTemplate:
    def __init__(self, spans: int) -> None:
        markers = [(bytes([0xA7, 0x5C]) + i.to_bytes(14, "big"), bytes([0x3E, 0xD1]) + i.to_bytes(6, "big"))
                   for i in range(spans)]
        request = export_request(*[chat_span(trace_id=t) for t, _ in markers], service="reliability-load")
        for span, (_, span_id) in zip(request.resource_spans[0].scope_spans[0].spans, markers, strict=True):
            span.span_id = span_id
        self.body = request.SerializeToString()
        self.spans = spans
        self.offsets: list[tuple[int, int]] = []
        for trace_id, span_id in markers:
            t, s = self.body.find(trace_id), self.body.find(span_id)
            assert t >= 0 and s >= 0 and self.body.count(trace_id) == 1 and self.body.count(span_id) == 1
            self.offsets.append((t, s))

    def fresh(self) -> tuple[bytes, list[bytes]]:
        """A copy of the request with new random ids, and its span ids."""
        body = bytearray(self.body)
        ids = os.urandom(24 * self.spans)
        span_ids = []
        for i, (t, s) in enumerate(self.offsets):
            body[t:t + 16] = ids[24 * i:24 * i + 16]
            body[s:s + 8] = ids[24 * i + 16:24 * i + 24]
            span_ids.append(bytes(ids[24 * i + 16:24 * i + 24]))
        return bytes(body), span_ids


@dataclass
class LoadResult:
    statuses: Counter[int | str] = field(default_factory=Counter)
    requests: int = 0
    spans_offered: int = 0
    acknowledged: set[bytes] = field(default_factory=set)
    missing_retry_after: int = 0
    seconds: float = 0.0
    latencies: dict[int | str, list[float]] = field(default_factory=dict)
    window: tuple[float, float] | None = None  # (start, end) of the schedule, monotonic seconds
    spans_started_in_window: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def offered_spans_per_s(self) -> float:
        """Spans in requests that started within the schedule's window, per second of that window."""
        if self.window is not None:
            return self.spans_started_in_window / (self.window[1] - self.window[0])
        return self.spans_offered / self.seconds if self.seconds else 0.0

    @property
    def acknowledged_spans_per_s(self) -> float:
        return len(self.acknowledged) / self.seconds if self.seconds else 0.0

    def latency_ms(self, status: int | str, quantile: float) -> float | None:
        """The ``quantile`` of the answer time of requests answered with ``status``, in milliseconds."""
        values = sorted(self.latencies.get(status, []))
        if not values:
            return None
        return round(1000 * values[min(len(values) - 1, int(quantile * len(values)))], 1)

    def note(self, status: int | str, span_ids: list[bytes], headers: httpx.Headers | None,
             began: float) -> None:
        with self.lock:
            self.requests += 1
            self.latencies.setdefault(status, []).append(time.monotonic() - began)
            if self.window is not None and self.window[0] <= began < self.window[1]:
                self.spans_started_in_window += len(span_ids)
            self.spans_offered += len(span_ids)
            self.statuses[status] += 1
            if status == 200:
                self.acknowledged.update(span_ids)
            elif status in (429, 503) and (headers is None or not headers.get("retry-after", "").isdigit()):
                self.missing_retry_after += 1


def _send(client: httpx.Client, url: str, template: RequestTemplate, result: LoadResult) -> None:
    body, span_ids = template.fresh()
    began = time.monotonic()
    try:
        response = client.post(url, content=body, headers=PROTOBUF)
    except httpx.HTTPError as exc:
        result.note(type(exc).__name__, span_ids, None, began)
        return
    result.note(response.status_code, span_ids, response.headers, began)


def closed_loop(url: str, template: RequestTemplate, *, threads: int, seconds: float) -> LoadResult:
    """Each thread sends its next request as soon as the previous one is answered."""
    result = LoadResult()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(timeout=30) as client:
            while time.monotonic() < stop_at:
                _send(client, url, template, result)

    began = time.monotonic()
    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 60)
    result.seconds = time.monotonic() - began
    return result


def open_loop(url: str, template: RequestTemplate, *, requests_per_s: float, threads: int,
              seconds: float) -> LoadResult:
    """Requests start on a fixed schedule spread over the threads, whatever the answers are."""
    result = LoadResult()
    began = time.monotonic()
    result.window = (began, began + seconds)
    interval = threads / requests_per_s

    def worker(offset: float) -> None:
        next_at = began + offset
        with httpx.Client(timeout=30) as client:
            while next_at < began + seconds:
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                _send(client, url, template, result)
                next_at += interval

    workers = [threading.Thread(target=worker, args=(i * interval / threads,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(seconds + 120)
    result.seconds = time.monotonic() - began
    return result


class RssSampler(threading.Thread):
    """Samples a process's resident memory every ``period_s`` seconds; keeps the peak."""

    def __init__(self, read_rss: object, period_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self._read = read_rss
        self._period = period_s
        self._halt = threading.Event()
        self.peak = 0
        self.samples = 0

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                rss = self._read()  # type: ignore[operator]
            except Exception:  # the process is gone; the test notices on its own
                return
            self.peak = max(self.peak, int(rss))
            self.samples += 1
            self._halt.wait(self._period)

    def finish(self) -> int:
        self._halt.set()
        self.join(10)
        return self.peak
