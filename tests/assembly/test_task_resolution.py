"""Task precedence, late roots and late spans, against a real PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine, text

from modelmix.assembly import assemble_pending
from tests.assembly.factory import RANKING, TraceBuilder, call_row, runs_of, store


def flush(engine: Engine) -> None:
    assemble_pending(engine, ranking=RANKING, flush=True)


def test_a_task_on_the_call_itself_wins_over_every_ancestor(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("handle", task="outer-task", workflow="wf", trace_name="tn")
    call = t.call(root, task="own-task")
    store(engine, t)
    flush(engine)
    row = call_row(engine, t, call)
    assert (row["task"], row["task_source"]) == ("own-task", "call_attribute")


def test_the_nearest_ancestor_with_modelmix_task_wins(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("handle", task="outer-task", trace_name="tn")
    step = t.span("step", root, task="inner-task", at=0.05)
    call = t.call(step)
    store(engine, t)
    flush(engine)
    row = call_row(engine, t, call)
    assert (row["task"], row["task_source"]) == ("inner-task", "ancestor_task")


def test_modelmix_task_on_a_far_ancestor_beats_a_nearer_workflow_name(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("handle", task="outer-task")
    step = t.span("step", root, workflow="wf", at=0.05)
    call = t.call(step)
    store(engine, t)
    flush(engine)
    row = call_row(engine, t, call)
    assert (row["task"], row["task_source"]) == ("outer-task", "ancestor_task")


def test_workflow_name_comes_before_langfuse_trace_name(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("handle", trace_name="tn")
    step = t.span("step", root, workflow="summarize-pipeline", at=0.05)
    call = t.call(step)
    store(engine, t)
    flush(engine)
    row = call_row(engine, t, call)
    assert (row["task"], row["task_source"]) == ("summarize-pipeline", "workflow_name")


def test_langfuse_trace_name_comes_before_the_root_span_name(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("handle", trace_name="support-answer")
    call = t.call(root)
    store(engine, t)
    flush(engine)
    row = call_row(engine, t, call)
    assert (row["task"], row["task_source"]) == ("support-answer", "trace_name")


def test_langfuse_trace_name_on_the_call_attributes_is_read(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("handle")
    call = t.call(root, attributes={"langfuse.trace.name": "lf-name"})
    store(engine, t)
    flush(engine)
    row = call_row(engine, t, call)
    assert (row["task"], row["task_source"]) == ("lf-name", "trace_name")


def test_the_root_span_name_is_the_task_when_nothing_names_it(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("classify-ticket")
    step = t.span("call-model", root, at=0.05)
    call = t.call(step)
    store(engine, t)
    flush(engine)
    row = call_row(engine, t, call)
    assert (row["task"], row["task_source"]) == ("classify-ticket", "root_span_name")


def test_the_service_name_is_the_last_resort(engine: Engine) -> None:
    t = TraceBuilder(service="billing-api")
    call = t.call(None)
    store(engine, t)
    flush(engine)
    row = call_row(engine, t, call)
    assert (row["task"], row["task_source"]) == ("billing-api", "service_name")


def test_blank_names_do_not_count_as_a_task(engine: Engine) -> None:
    t = TraceBuilder(service="svc-blank")
    root = t.span("   ", task="  ", workflow="")
    call = t.call(root, task=" ")
    store(engine, t)
    flush(engine)
    row = call_row(engine, t, call)
    assert (row["task"], row["task_source"]) == ("svc-blank", "service_name")


def test_a_root_span_arriving_after_its_children_re_keys_the_run(engine: Engine) -> None:
    t = TraceBuilder()
    root_id = (999).to_bytes(8, "big")
    step = t.span("call-model", root_id, at=0.05)
    call = t.call(step, cost=Decimal("0.002"))
    t.span("classify-ticket", None, span_id=root_id)
    store(engine, t, skip=[root_id])
    flush(engine)
    # Without the root, the topmost span that arrived names the task.
    assert call_row(engine, t, call)["task"] == "call-model"
    assert set(runs_of(engine, t)) == {"call-model"}

    store(engine, t)  # the root arrives late and re-opens the trace
    flush(engine)
    row = call_row(engine, t, call)
    assert (row["task"], row["task_source"]) == ("classify-ticket", "root_span_name")
    runs = runs_of(engine, t)
    assert set(runs) == {"classify-ticket"}
    assert runs["classify-ticket"]["calls"] == 1
    assert runs["classify-ticket"]["cost_usd"] == Decimal("0.002")
    with engine.connect() as conn:
        rollup = conn.execute(text("SELECT task, calls, cost_usd FROM call_rollups_hourly")).all()
    assert [(r.task, r.calls, r.cost_usd) for r in rollup] == [("classify-ticket", 1, Decimal("0.002"))]


def test_a_late_span_re_opens_the_run_and_recomputes_the_hours(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("summarize-thread", duration=7200)
    t.call(root, model="gpt-4o-mini", cost=Decimal("0.001"), input_tokens=100, output_tokens=10)
    store(engine, t)
    flush(engine)
    run = runs_of(engine, t)["summarize-thread"]
    assert (run["calls"], run["cost_usd"], run["escalated"]) == (1, Decimal("0.001"), False)

    # A late call, in the next hour, on a pricier model under the same parent.
    late = t.call(root, model="gpt-4o", at=3700, cost=Decimal("0.01"), input_tokens=200, output_tokens=20)
    store(engine, t)
    flush(engine)
    run = runs_of(engine, t)["summarize-thread"]
    assert run["calls"] == 2
    assert run["cost_usd"] == Decimal("0.011")
    assert run["input_tokens"] == 300
    assert (run["escalated"], run["escalation"]) == (True, "inferred")
    assert (run["escalated_from_model"], run["escalated_to_model"]) == ("gpt-4o-mini", "gpt-4o")
    assert run["end_time"] == t.start + timedelta(seconds=3700.5)
    assert call_row(engine, t, late)["escalation"] == "inferred"
    with engine.connect() as conn:
        hours = conn.execute(text(
            "SELECT hour, canonical_model, calls, escalated_calls, cost_usd FROM call_rollups_hourly "
            "ORDER BY hour"
        )).all()
    assert [(h.hour, h.canonical_model, h.calls, h.escalated_calls, h.cost_usd) for h in hours] == [
        (t.start, "gpt-4o-mini", 1, 0, Decimal("0.001")),
        (t.start + timedelta(hours=1), "gpt-4o", 1, 1, Decimal("0.01")),
    ]


def test_pending_traces_wait_for_the_settle_window(engine: Engine) -> None:
    t = TraceBuilder()
    t.call(t.span("quiet-task"))
    store(engine, t)
    waited = assemble_pending(engine, ranking=RANKING, settle_seconds=3600)
    assert waited.traces == 0
    assert runs_of(engine, t) == {}
    done = assemble_pending(engine, ranking=RANKING, settle_seconds=0)
    assert done.traces == 1
    assert set(runs_of(engine, t)) == {"quiet-task"}
