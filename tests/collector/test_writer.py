"""The batching writer against a real PostgreSQL: when batches go out, idempotence, poison rows, acks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text

from collector.batcher import Batcher
from collector.errors import DatabaseUnavailable, QueueFull, ShuttingDown
from collector.writer import PostgresWriter
from modelmix.db.engine import libpq_url
from modelmix.records import LlmCall
from tests.collector.factories import count, make_call, make_skeleton, stored_span_ids

WAIT = 10.0


@pytest.fixture
def writer(engine: Engine) -> Iterator[PostgresWriter]:
    w = PostgresWriter(engine)
    yield w
    w.close()


def make_batcher(sink: PostgresWriter, *, max_batch: int = 1000, delay_s: float = 60.0,
                 max_queue: int = 100_000) -> Batcher:
    batcher = Batcher(sink, max_batch_spans=max_batch, max_delay_s=delay_s, max_queue_spans=max_queue)
    batcher.start()
    return batcher


def test_exported_when_batch_size_reached(writer: PostgresWriter, engine: Engine) -> None:
    batcher = make_batcher(writer, max_batch=3, delay_s=60.0)
    first = batcher.submit([make_call(), make_call()], [])
    time.sleep(0.2)
    assert not first.done()  # two of three spans: the batch waits (the delay is a minute)
    second = batcher.submit([make_call()], [])
    second.result(WAIT)
    first.result(WAIT)
    assert count(engine, "llm_calls") == 3
    assert batcher.stats.batches == 1
    batcher.shutdown(WAIT)


def test_exported_when_delay_elapsed(writer: PostgresWriter, engine: Engine) -> None:
    batcher = make_batcher(writer, max_batch=1000, delay_s=0.3)
    started = time.monotonic()
    future = batcher.submit([make_call()], [make_skeleton()])
    assert not future.done()
    future.result(WAIT)
    assert time.monotonic() - started >= 0.3
    assert (count(engine, "llm_calls"), count(engine, "span_skeletons")) == (1, 1)
    batcher.shutdown(WAIT)


def test_flushed_on_shutdown_and_refused_after(writer: PostgresWriter, engine: Engine) -> None:
    batcher = make_batcher(writer, max_batch=1000, delay_s=60.0)
    futures = [batcher.submit([make_call()], []) for _ in range(5)]
    assert batcher.shutdown(WAIT)
    assert all(f.done() and f.exception() is None for f in futures)
    assert count(engine, "llm_calls") == 5
    with pytest.raises(ShuttingDown):
        batcher.submit([make_call()], [])


def test_force_flush_flushes(writer: PostgresWriter, engine: Engine) -> None:
    batcher = make_batcher(writer, max_batch=1000, delay_s=60.0)
    future = batcher.submit([make_call(), make_call()], [make_skeleton()])
    assert batcher.force_flush(WAIT)
    assert future.done()
    assert (count(engine, "llm_calls"), count(engine, "span_skeletons")) == (2, 1)
    batcher.shutdown(WAIT)


def test_a_single_bad_span_is_skipped_and_counted(writer: PostgresWriter, engine: Engine) -> None:
    batcher = make_batcher(writer, max_batch=1000, delay_s=60.0)
    good = [make_call() for _ in range(6)]
    bad = make_call(status="exploded")  # violates the status check
    other_request_calls = [make_call()]
    other_request = batcher.submit(other_request_calls, [make_skeleton()])
    future = batcher.submit([*good[:3], bad, *good[3:]], [])
    assert batcher.force_flush(WAIT)
    outcome = future.result(0)
    assert outcome.rejected == 1
    assert any(bad.span_id.hex() in m for m in outcome.messages)
    assert other_request.result(0).rejected == 0
    other_call_id = other_request_calls[0].span_id
    assert sorted(stored_span_ids(engine)) == sorted([c.span_id for c in good] + [other_call_id])
    assert count(engine, "span_skeletons") == 1
    assert batcher.stats.rejected == 1
    batcher.shutdown(WAIT)


def test_several_kinds_of_poison_rows_are_all_isolated(writer: PostgresWriter, engine: Engine) -> None:
    good = [make_call() for _ in range(20)]
    poison = [
        make_call(status="exploded"),  # violates the status check
        make_call(input_tokens=2**70),  # does not fit BIGINT
        make_call(reported_cost_usd=Decimal("1e12")),  # overflows NUMERIC(20, 10)
    ]
    skeletons = [make_skeleton(), make_skeleton(kind=2**70)]  # does not fit an integer column
    result = writer.write([*good[:10], *poison, *good[10:]], skeletons)
    assert result.rejected == {(c.trace_id, c.span_id) for c in poison} | {
        (skeletons[1].trace_id, skeletons[1].span_id)}
    assert (result.calls_written, result.skeletons_written) == (20, 1)
    assert count(engine, "llm_calls") == 20


def test_ack_only_after_commit(writer: PostgresWriter, engine: Engine) -> None:
    """While another session blocks the write, the request stays unanswered and nothing is visible."""
    batcher = make_batcher(writer, max_batch=1, delay_s=0.01)
    writer.write([make_call()], [])  # partitions exist and the session is prepared
    blocker = psycopg.connect(libpq_url(engine.url.render_as_string(hide_password=False)))
    blocker.execute("LOCK TABLE trace_activity IN EXCLUSIVE MODE")  # held until rollback
    call = make_call()
    future = batcher.submit([call], [])
    time.sleep(0.5)
    assert not future.done()
    assert call.span_id not in stored_span_ids(engine)
    blocker.rollback()
    blocker.close()
    future.result(WAIT)
    assert call.span_id in stored_span_ids(engine)  # visible to others at the moment of the ack
    batcher.shutdown(WAIT)


def test_queue_full_refuses_new_work_until_drained(writer: PostgresWriter, engine: Engine) -> None:
    batcher = make_batcher(writer, max_batch=1000, delay_s=0.01, max_queue=100)
    writer.write([make_call()], [])
    blocker = psycopg.connect(libpq_url(engine.url.render_as_string(hide_password=False)))
    blocker.execute("LOCK TABLE trace_activity IN EXCLUSIVE MODE")
    held = batcher.submit([make_call() for _ in range(60)], [])
    time.sleep(0.2)
    with pytest.raises(QueueFull) as refused:
        batcher.submit([make_call() for _ in range(50)], [])
    assert refused.value.retry_after > 0
    assert batcher.depth == 60
    blocker.rollback()
    blocker.close()
    held.result(WAIT)
    batcher.submit([make_call() for _ in range(50)], []).result(WAIT)
    assert count(engine, "llm_calls") == 111
    batcher.shutdown(WAIT)


def test_resending_stores_nothing_twice(writer: PostgresWriter, engine: Engine) -> None:
    calls = [make_call() for _ in range(4)]
    skeletons = [make_skeleton(trace_id=calls[0].trace_id)]
    first = writer.write(calls, skeletons)
    again = writer.write(calls + [calls[1]], skeletons)
    assert (first.calls_written, first.skeletons_written, first.duplicates) == (4, 1, 0)
    assert (again.calls_written, again.skeletons_written, again.duplicates) == (0, 0, 6)
    assert count(engine, "llm_calls") == 4 and count(engine, "span_skeletons") == 1


def test_trace_activity_is_reopened_only_by_new_spans(writer: PostgresWriter, engine: Engine) -> None:
    early = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    first = make_call(start_time=early + timedelta(seconds=10))
    writer.write([first], [])
    with engine.begin() as conn:
        conn.execute(text("UPDATE trace_activity SET assembled_at = now()"))
    writer.write([first], [])  # a resend changes nothing
    with engine.connect() as conn:
        assert conn.execute(text("SELECT assembled_at IS NOT NULL FROM trace_activity")).scalar_one()
    late = make_skeleton(trace_id=first.trace_id, start_time=early)
    writer.write([], [late])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT trace_id, first_start_time, assembled_at FROM trace_activity")).all()
    assert rows == [(first.trace_id, early, None)]


def test_new_rows_record_each_traces_earliest_start_and_reopen_it(engine: Engine) -> None:
    early = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    call = make_call(start_time=early + timedelta(seconds=30))
    first = PostgresWriter(engine)
    try:
        assert first.write([call], []).calls_written == 1
    finally:
        first.close()
    with engine.begin() as conn:
        conn.execute(text("UPDATE trace_activity SET assembled_at = now()"))
    other = make_call(start_time=early + timedelta(seconds=50))
    batch = [make_call(trace_id=call.trace_id, start_time=early + timedelta(seconds=40)), other]
    skeletons = [make_skeleton(trace_id=call.trace_id, start_time=early + timedelta(seconds=5)),
                 make_skeleton(trace_id=other.trace_id, start_time=early + timedelta(seconds=45))]
    second = PostgresWriter(engine)  # a writer that has seen no duplicate: it copies the rows straight in
    try:
        result = second.write(batch, skeletons)
    finally:
        second.close()
    assert (result.calls_written, result.skeletons_written, result.duplicates) == (2, 2, 0)
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT trace_id, first_start_time, assembled_at FROM trace_activity")).all())
        expected = set(conn.execute(text(
            "SELECT trace_id, min(start_time), NULL::timestamptz FROM (SELECT trace_id, start_time FROM llm_calls"
            " UNION ALL SELECT trace_id, start_time FROM span_skeletons) AS s GROUP BY trace_id")).all())
    assert rows == expected
    assert rows == {(call.trace_id, early + timedelta(seconds=5), None), (other.trace_id, early + timedelta(seconds=45), None)}


def test_a_batch_mixing_stored_and_new_rows_stores_only_the_new_ones(writer: PostgresWriter, engine: Engine) -> None:
    stored = [make_call() for _ in range(3)]
    writer.write(stored, [])
    with engine.begin() as conn:
        conn.execute(text("UPDATE trace_activity SET assembled_at = now()"))
    fresh = [make_call() for _ in range(2)]
    fresh_skeleton = make_skeleton(trace_id=stored[0].trace_id)
    result = writer.write([stored[2], *fresh, stored[0]], [fresh_skeleton])
    assert (result.calls_written, result.skeletons_written, result.duplicates) == (2, 1, 2)
    assert sorted(stored_span_ids(engine)) == sorted(c.span_id for c in (*stored, *fresh))
    with engine.connect() as conn:
        reopened = {bytes(r[0]) for r in conn.execute(text("SELECT trace_id FROM trace_activity WHERE assembled_at IS NULL"))}
    assert reopened == {fresh[0].trace_id, fresh[1].trace_id, stored[0].trace_id}
    later = [make_call() for _ in range(2)]  # after a duplicate the writer keeps storing correctly
    assert writer.write(later, []).calls_written == 2
    assert count(engine, "llm_calls") == 7


def test_partitions_are_created_for_the_weeks_a_batch_touches(writer: PostgresWriter, engine: Engine) -> None:
    old = datetime(2025, 12, 3, 9, 0, tzinfo=UTC)  # a Wednesday; its partition starts Monday 1 Dec
    writer.write([make_call(start_time=old)], [make_skeleton(start_time=old)])
    with engine.connect() as conn:
        names = set(conn.execute(text("SELECT relname FROM pg_class WHERE relname LIKE '%_p20251201'")).scalars())
    assert names == {"llm_calls_p20251201", "span_skeletons_p20251201"}


def test_pricer_fills_cost_and_a_failing_pricer_leaves_the_call_unpriced(engine: Engine) -> None:
    def pricer(call: LlmCall) -> LlmCall:
        if call.request_model == "mystery":
            raise KeyError("no price")
        return call.with_cost(canonical_model="gpt-4o-mini", cost_usd=Decimal("0.0000375"),
                              price_source="test-book")

    errors: list[int] = []
    writer = PostgresWriter(engine, pricer=pricer, on_pricing_error=lambda: errors.append(1))
    priced, unknown = make_call(), make_call(request_model="mystery", response_model=None)
    writer.write([priced, unknown], [])
    writer.close()
    with engine.connect() as conn:
        rows: dict[str, Decimal | None] = {r[0]: r[1] for r in conn.execute(
            text("SELECT request_model, cost_usd FROM llm_calls"))}
        model = conn.execute(text("SELECT model, canonical_model, price_source FROM llm_calls "
                                  "WHERE request_model = 'gpt-4o-mini'")).one()
    assert rows == {"gpt-4o-mini": Decimal("0.0000375"), "mystery": None}
    assert tuple(model) == ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", "test-book")
    assert errors == [1]


def test_unknown_token_counts_stay_null(writer: PostgresWriter, engine: Engine) -> None:
    writer.write([make_call(input_tokens=None, output_tokens=None, cache_read_tokens=0)], [])
    with engine.connect() as conn:
        row = conn.execute(text("SELECT input_tokens, output_tokens, cache_read_tokens, cost_usd "
                                "FROM llm_calls")).one()
    assert tuple(row) == (None, None, 0, None)


def test_unreachable_database_fails_the_batch_and_opens_the_circuit() -> None:
    dead = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    writer = PostgresWriter(dead, connect_timeout_s=2)
    batcher = Batcher(writer, max_batch_spans=10, max_delay_s=0.01, max_queue_spans=1000, retry_after_s=30)
    batcher.start()
    future = batcher.submit([make_call()], [])
    with pytest.raises(DatabaseUnavailable):
        future.result(WAIT)
    with pytest.raises(DatabaseUnavailable) as refused:
        batcher.submit([make_call()], [])
    assert 0 < refused.value.retry_after <= 30
    assert batcher.stats.failed_batches == 1
    batcher.shutdown(WAIT)


def test_a_task_on_the_call_itself_is_stored_with_its_source(writer: PostgresWriter, engine: Engine) -> None:
    writer.write([make_call(task="classify-ticket", span_name="with-task"), make_call(span_name="no-task")], [])
    with engine.connect() as conn:
        rows: dict[str, tuple[str | None, str | None]] = {
            r[0]: (r[1], r[2]) for r in conn.execute(text("SELECT span_name, task, task_source FROM llm_calls"))}
    assert rows == {"with-task": ("classify-ticket", "span"), "no-task": (None, None)}


def test_a_connection_lost_while_idle_is_replaced_without_failing_the_batch(
        writer: PostgresWriter, engine: Engine) -> None:
    writer.write([make_call()], [])
    with engine.connect() as conn:  # what a server restart or an idle timeout does to the session
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'modelmix-collector' AND datname = current_database()")).scalar_one()
    assert killed == 1
    result = writer.write([make_call(), make_call()], [])
    assert result.calls_written == 2
    assert count(engine, "llm_calls") == 3
