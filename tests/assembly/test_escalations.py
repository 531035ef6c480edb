"""Explicit and inferred escalations, the two-step pipeline, run verification and escalation cost."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from modelmix.assembly import ModelRanking, assemble_pending
from tests.assembly.factory import RANKING, TraceBuilder, call_row, runs_of, store


def flush(engine: Engine, ranking: ModelRanking = RANKING) -> None:
    assemble_pending(engine, ranking=ranking, flush=True)


def test_an_escalate_span_marks_an_explicit_escalation(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("classify-ticket", task="classify-ticket", verification="pass")
    cheap = t.call(root, model="gpt-4o-mini", at=0.1, cost=Decimal("0.0001"))
    esc = t.span("escalate", root, at=0.7, escalated_from="gpt-4o-mini", verification="pass")
    big = t.call(esc, model="gpt-4o", at=0.8, cost=Decimal("0.0020"))
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, cheap)["escalation"] is None
    big_row = call_row(engine, t, big)
    assert (big_row["escalation"], big_row["escalated_from"]) == ("explicit", "gpt-4o-mini")
    run = runs_of(engine, t)["classify-ticket"]
    assert run["escalated"] is True
    assert run["escalation"] == "explicit"
    assert (run["escalated_from_model"], run["escalated_to_model"]) == ("gpt-4o-mini", "gpt-4o")
    assert run["escalation_cost_usd"] == Decimal("0.0021")
    assert (run["first_model"], run["final_model"]) == ("gpt-4o-mini", "gpt-4o")


def test_a_pricier_second_call_under_the_same_parent_is_an_inferred_escalation(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("classify-ticket")
    t.call(root, model="gpt-4o-mini", at=0.1, cost=Decimal("0.0001"))
    big = t.call(root, model="gpt-4o", at=0.8, cost=Decimal("0.0020"))
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, big)["escalation"] == "inferred"
    run = runs_of(engine, t)["classify-ticket"]
    assert (run["escalated"], run["escalation"]) == (True, "inferred")
    assert (run["escalated_from_model"], run["escalated_to_model"]) == ("gpt-4o-mini", "gpt-4o")
    assert run["escalation_cost_usd"] == Decimal("0.0021")


def test_a_two_step_pipeline_is_not_an_inferred_escalation(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("triage-and-answer")
    classify = t.span("classify", root, at=0.05)
    t.call(classify, model="gpt-4o-mini", at=0.1)
    write = t.span("write", root, at=0.6)
    big = t.call(write, model="gpt-4o", at=0.7)
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, big)["escalation"] is None
    run = runs_of(engine, t)["triage-and-answer"]
    assert (run["escalated"], run["escalation"], run["escalation_cost_usd"]) == (False, None, None)
    assert (run["first_model"], run["final_model"]) == ("gpt-4o-mini", "gpt-4o")


def test_a_cheaper_or_equal_later_call_is_not_an_escalation(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("draft-reply")
    t.call(root, model="gpt-4o", at=0.1)
    same = t.call(root, model="gpt-4o", at=0.5)
    cheaper = t.call(root, model="gpt-4o-mini", at=0.9)
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, same)["escalation"] is None
    assert call_row(engine, t, cheaper)["escalation"] is None
    assert runs_of(engine, t)["draft-reply"]["escalated"] is False


def test_an_unknown_price_never_infers_an_escalation(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("extract")
    t.call(root, model="gpt-4o-mini", at=0.1)
    unknown = t.call(root, model="house-model-x", at=0.5, cost=None)
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, unknown)["escalation"] is None
    run = runs_of(engine, t)["extract"]
    assert run["escalated"] is False
    assert run["cost_usd"] is None  # one unpriced call makes the run's cost unknown
    assert run["priced_cost_usd"] == Decimal("0.001")
    assert run["unpriced_calls"] == 1


def test_the_ranking_decides_what_is_more_expensive(engine: Engine) -> None:
    # With prices reversed, the same shape is no longer an escalation.
    reversed_prices = {"gpt-4o-mini": Decimal("10"), "gpt-4o": Decimal("1")}
    ranking = ModelRanking(price_rank=reversed_prices.get, tier_of=lambda m: None)
    t = TraceBuilder()
    root = t.span("classify-ticket")
    t.call(root, model="gpt-4o-mini", at=0.1)
    big = t.call(root, model="gpt-4o", at=0.8)
    store(engine, t)
    flush(engine, ranking)
    assert call_row(engine, t, big)["escalation"] is None


def test_explicit_wins_over_inferred_in_the_same_run(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("plan-trip")
    t.call(root, model="gpt-4o-mini", at=0.1, cost=Decimal("0.001"))
    inferred = t.call(root, model="gpt-4o", at=0.3, cost=Decimal("0.01"))
    esc = t.span("escalate", root, at=0.5, escalated_from="gpt-4o")
    explicit = t.call(esc, model="claude-sonnet-4-5", provider="anthropic", at=0.6, cost=Decimal("0.05"))
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, inferred)["escalation"] == "inferred"
    assert call_row(engine, t, explicit)["escalation"] == "explicit"
    run = runs_of(engine, t)["plan-trip"]
    assert run["escalation"] == "explicit"
    # from = the latest earlier non-escalated call (the mini one); to = the explicit target.
    assert (run["escalated_from_model"], run["escalated_to_model"]) == ("gpt-4o-mini", "claude-sonnet-4-5")
    # the cheap attempt + every escalated call of the run
    assert run["escalation_cost_usd"] == Decimal("0.061")


def test_an_escalation_marker_on_the_call_itself_is_explicit(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("code-review")
    big = t.call(root, model="gpt-4o", escalated_from="gpt-4o-mini")
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, big)["escalation"] == "explicit"
    run = runs_of(engine, t)["code-review"]
    # No cheap attempt was seen: "from" is the marker itself, the cost is the retry alone.
    assert (run["escalated_from_model"], run["escalation_cost_usd"]) == ("gpt-4o-mini", Decimal("0.001"))


def test_an_unpriced_escalated_call_leaves_the_escalation_cost_unknown(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("classify-ticket")
    t.call(root, model="gpt-4o-mini", at=0.1)
    esc = t.span("escalate", root, at=0.5, escalated_from="gpt-4o-mini")
    t.call(esc, model="gpt-4o", at=0.6, cost=None)
    store(engine, t)
    flush(engine)
    run = runs_of(engine, t)["classify-ticket"]
    assert (run["escalation"], run["escalation_cost_usd"]) == ("explicit", None)


def test_run_verification_is_the_outcome_of_its_latest_verified_call(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("classify-ticket", verification="fail")
    cheap = t.call(root, model="gpt-4o-mini", at=0.1)
    esc = t.span("escalate", root, at=0.5, escalated_from="gpt-4o-mini", verification="pass")
    big = t.call(esc, model="gpt-4o", at=0.6)
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, cheap)["verification"] == "fail"
    assert call_row(engine, t, big)["verification"] == "pass"
    assert runs_of(engine, t)["classify-ticket"]["verification"] == "pass"


def test_bad_verification_values_on_spans_are_ignored(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("classify-ticket", verification="maybe; DROP TABLE llm_calls")
    call = t.call(root)
    store(engine, t)
    flush(engine)
    assert call_row(engine, t, call)["verification"] is None
    assert runs_of(engine, t)["classify-ticket"]["verification"] is None


def test_errors_are_counted_in_the_run(engine: Engine) -> None:
    t = TraceBuilder()
    root = t.span("summarize-thread")
    t.call(root, model="gpt-4o", status="error", input_tokens=None, output_tokens=None, cost=None)
    store(engine, t)
    flush(engine)
    run = runs_of(engine, t)["summarize-thread"]
    assert (run["calls"], run["errors"], run["has_error"]) == (1, 1, True)
    assert (run["input_tokens"], run["output_tokens"], run["cost_usd"]) == (None, None, None)
