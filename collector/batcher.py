"""The bounded write queue: requests go in whole, micro-batches come out, futures resolve on commit.

Each export request submits its decoded calls and skeletons and receives a ``Future`` that resolves
only after the batch holding them has been committed (or fails with a retryable error), so a
request is acknowledged only once its spans are stored. One writer thread takes batches of up to
``max_batch_spans`` spans, waiting at most ``max_delay_s`` after the oldest queued request arrived;
``force_flush`` and ``shutdown`` write whatever is queued at once. When ``max_queue_spans`` would be
exceeded, ``submit`` raises ``QueueFull``; after the database was found unreachable, ``submit``
raises ``DatabaseUnavailable`` for ``retry_after`` seconds instead of queueing more work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Protocol

from collector.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    DatabaseUnavailable,
    QueueFull,
    ShuttingDown,
    Unavailable,
)
from modelmix.records import LlmCall, SpanSkeleton

log = logging.getLogger(__name__)

SpanKey = tuple[bytes, bytes]  # (trace_id, span_id)


@dataclass(frozen=True)
class BatchResult:
    """What a sink did with one batch."""

    calls_written: int
    skeletons_written: int
    duplicates: int  # rows that were already stored
    rejected: frozenset[SpanKey] = frozenset()  # poison rows left out of the batch
    messages: tuple[str, ...] = ()


class Sink(Protocol):
    def write(self, calls: Sequence[LlmCall], skeletons: Sequence[SpanSkeleton]) -> BatchResult:
        """Store the rows in one commit, or raise (``DatabaseUnavailable`` when the store is down)."""
        ...


@dataclass(frozen=True)
class WriteOutcome:
    """What happened to one submitted request's spans."""

    rejected: int = 0
    messages: tuple[str, ...] = ()


@dataclass
class _Item:
    calls: Sequence[LlmCall]
    skeletons: Sequence[SpanSkeleton]
    spans: int
    seq: int
    enqueued_at: float
    future: Future[WriteOutcome] = field(default_factory=Future)


@dataclass
class BatcherStats:
    batches: int = 0
    spans_committed: int = 0
    calls_written: int = 0
    skeletons_written: int = 0
    duplicates: int = 0
    rejected: int = 0
    failed_batches: int = 0


def _settle(future: Future[WriteOutcome], outcome: WriteOutcome | None, error: BaseException | None) -> None:
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(outcome or WriteOutcome())
    except InvalidStateError:  # the caller gave up waiting (cancelled); the rows are written anyway
        pass


class Batcher:
    def __init__(self, sink: Sink, *, max_batch_spans: int, max_delay_s: float, max_queue_spans: int,
                 retry_after_s: float = DEFAULT_RETRY_AFTER_SECONDS,
                 on_batch: Callable[[int, float, BatchResult | None], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._sink = sink
        self._max_batch = max_batch_spans
        self._max_delay = max_delay_s
        self._max_queue = max_queue_spans
        self._retry_after = retry_after_s
        self._on_batch = on_batch
        self._clock = clock
        self._cond = threading.Condition()
        self._queue: deque[_Item] = deque()
        self._queued_spans = 0
        self._in_flight_spans = 0
        self._next_seq = 1
        self._done_seq = 0
        self._flush_upto = 0
        self._stopping = False
        self._unavailable_until = 0.0
        self._thread: threading.Thread | None = None
        self.stats = BatcherStats()

    @property
    def depth(self) -> int:
        """Spans accepted and not yet committed (queued plus the batch being written)."""
        return self._queued_spans + self._in_flight_spans

    @property
    def accepting(self) -> bool:
        """False while shutting down or while the database is known to be unreachable."""
        return not self._stopping and self._clock() >= self._unavailable_until

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="modelmix-writer", daemon=True)
            self._thread.start()

    def submit(self, calls: Sequence[LlmCall], skeletons: Sequence[SpanSkeleton]) -> Future[WriteOutcome]:
        spans = len(calls) + len(skeletons)
        with self._cond:
            if self._stopping:
                raise ShuttingDown("the collector is shutting down")
            now = self._clock()
            item = _Item(calls, skeletons, spans, self._next_seq, now)
            if spans == 0:
                item.future.set_result(WriteOutcome())
                return item.future
            self._refuse_if_full(spans, now)
            self._next_seq += 1
            self._queue.append(item)
            self._queued_spans += spans
            if self._queued_spans >= self._max_batch or len(self._queue) == 1:
                self._cond.notify_all()
            return item.future

    def check_room(self, spans: int) -> None:
        """Raise now what ``submit`` would raise for ``spans`` more spans, so a request that cannot
        be queued is refused before the work of decoding it."""
        if not spans:
            return
        with self._cond:
            if self._stopping:
                raise ShuttingDown("the collector is shutting down")
            self._refuse_if_full(spans, self._clock())

    def _refuse_if_full(self, spans: int, now: float) -> None:
        if now < self._unavailable_until:
            raise DatabaseUnavailable("the database is unreachable", self._unavailable_until - now)
        if self.depth and self.depth + spans > self._max_queue:
            raise QueueFull(f"the write queue is full ({self.depth} spans waiting)", self._retry_after)

    def force_flush(self, timeout: float | None = None) -> bool:
        """Write everything submitted so far; True when it has all been committed (or failed)."""
        with self._cond:
            target = self._next_seq - 1
            self._flush_upto = max(self._flush_upto, target)
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._done_seq >= target, timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Refuse new work, write what is queued, stop the writer thread; True when it finished."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is None:
            self._fail_queued(ShuttingDown("the collector stopped before writing"))
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _fail_queued(self, error: Unavailable) -> None:
        with self._cond:
            items = list(self._queue)
            self._queue.clear()
            self._queued_spans = 0
            if items:
                self._done_seq = max(self._done_seq, items[-1].seq)
            self._cond.notify_all()
        for item in items:
            _settle(item.future, None, error)

    def _ready(self) -> bool:
        head = self._queue[0]
        return (self._stopping or self._queued_spans >= self._max_batch or self._flush_upto >= head.seq
                or self._clock() >= head.enqueued_at + self._max_delay)

    def _take_batch(self) -> list[_Item] | None:
        with self._cond:
            while not self._queue or not self._ready():
                if not self._queue:
                    if self._stopping:
                        return None
                    self._cond.wait()
                else:
                    self._cond.wait(max(0.0, self._queue[0].enqueued_at + self._max_delay - self._clock()))
            batch: list[_Item] = []
            spans = 0
            while self._queue and (not batch or spans + self._queue[0].spans <= self._max_batch):
                item = self._queue.popleft()
                batch.append(item)
                spans += item.spans
            self._queued_spans -= spans
            self._in_flight_spans = spans
            return batch

    def _run(self) -> None:
        while (batch := self._take_batch()) is not None:
            self._write(batch)

    def _write(self, batch: list[_Item]) -> None:
        spans = sum(item.spans for item in batch)
        started = self._clock()
        result: BatchResult | None = None
        error: BaseException | None = None
        if started < self._unavailable_until:
            error = DatabaseUnavailable("the database is unreachable", self._unavailable_until - started)
        else:
            calls = [c for item in batch for c in item.calls]
            skeletons = [s for item in batch for s in item.skeletons]
            try:
                result = self._sink.write(calls, skeletons)
            except DatabaseUnavailable as exc:
                self._unavailable_until = self._clock() + exc.retry_after
                error = exc
            except Exception as exc:
                log.exception("writing a batch of %d spans failed; its requests are asked to retry", spans)
                error = DatabaseUnavailable(f"the write failed: {type(exc).__name__}", self._retry_after)
        elapsed = self._clock() - started
        self._account(spans, result)
        if self._on_batch is not None:
            self._on_batch(spans, elapsed, result)
        for item in batch:
            _settle(item.future, None if error else _outcome_for(item, result), error)
        with self._cond:
            self._in_flight_spans = 0
            self._done_seq = batch[-1].seq
            self._cond.notify_all()

    def _account(self, spans: int, result: BatchResult | None) -> None:
        s = self.stats
        s.batches += 1
        if result is None:
            s.failed_batches += 1
            return
        s.spans_committed += spans - len(result.rejected)
        s.calls_written += result.calls_written
        s.skeletons_written += result.skeletons_written
        s.duplicates += result.duplicates
        s.rejected += len(result.rejected)


def _outcome_for(item: _Item, result: BatchResult | None) -> WriteOutcome:
    if result is None or not result.rejected:
        return WriteOutcome()
    bad = result.rejected
    rejected = sum((c.trace_id, c.span_id) in bad for c in item.calls)
    rejected += sum((s.trace_id, s.span_id) in bad for s in item.skeletons)
    if not rejected:
        return WriteOutcome()
    return WriteOutcome(rejected=rejected, messages=result.messages)
