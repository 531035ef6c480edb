"""A small, hand-specified two-week dataset for dashboard tests, stored with the analytics test factory.

Every number the tests expect is written out below next to the data that produces it (never read
back from the code under test). Models are real ones so the dashboard's own price book (genai-prices
defaults) can price the what-if and candidate moves.

This week (Mon 2026-11-02 .. Sun 2026-11-08), all in service ``support-bot`` (env prod) unless noted:

- ``classify-ticket``: 40 runs, one gpt-4o call each, 500 in / 50 out tokens, $0.0035 a call → $0.14.
- ``answer-question``: 30 runs starting on gpt-4o-mini (400 in / 100 out, $0.0002 a call → $0.006);
  6 of them escalate (explicit) to gpt-4o (800 in / 200 out, $0.005 a call → $0.03).
- ``summarize-thread`` (service ``batch-jobs``, env staging): 10 runs on claude-sonnet-4-5
  (3000 in / 200 out, $0.012 a call → $0.12).
- 2 calls on ``mystery-model`` (task ``classify-ticket``) that no price book knows: unpriced.

Totals: 40 + 30 + 6 + 10 + 2 = 88 LLM calls; known spend 0.14 + 0.006 + 0.03 + 0.12 = $0.296;
frontier calls (claude-sonnet-4-5) 10 of 88; 80 task runs, 6 escalated (7.5%).

Previous week: 20 classify-ticket runs on gpt-4o at $0.0035 (= $0.07) and 10 answer-question runs on
gpt-4o-mini at $0.0002 (= $0.002): 30 calls, $0.072, 30 runs, none escalated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from tests.analytics.factory import Seed

WEEK_START = datetime(2026, 11, 2, tzinfo=UTC)
WEEK_FIRST_DAY = date(2026, 11, 2)
WEEK_LAST_DAY = date(2026, 11, 8)
TIERS = {"gpt-4o": "mid", "gpt-4o-mini": "small", "claude-sonnet-4-5": "frontier", "claude-haiku-4-5": "small",
         "mystery-model": ""}

THIS_WEEK_CALLS = 88
THIS_WEEK_SPEND = "$0.30"  # $0.296 shown to the cent
PREVIOUS_WEEK_SPEND = 0.072
THIS_WEEK_RUNS = 80
ESCALATED_RUNS = 6
UNPRICED_CALLS = 2
# The model name each call reports as served (a dated snapshot, as providers answer).
SERVED = {"gpt-4o": "gpt-4o-2024-08-06", "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
          "claude-sonnet-4-5": "claude-sonnet-4-5-20250929", "mystery-model": "mystery-model"}


def _call(seed: Seed, *, model: str, **fields: Any) -> None:
    """Record a call that reports ``SERVED[model]`` as the model that answered."""
    row = seed.call(model=model, **fields)
    row["model"] = row["response_model"] = SERVED[model]


def seed_dataset(engine: Engine) -> None:
    seed = Seed(engine, tiers=dict(TIERS))
    trace_no = 0
    t = WEEK_START + timedelta(hours=9)
    for i in range(40):
        trace_no += 1
        at = t + timedelta(hours=3 * i)
        _call(seed, trace_no=trace_no, start=at, model="gpt-4o", task="classify-ticket",
              service="support-bot", input_tokens=500, output_tokens=50, cost="0.0035")
        seed.run(trace_no=trace_no, start=at, task="classify-ticket", service="support-bot", cost="0.0035",
                 first_model="gpt-4o")
    for i in range(30):
        trace_no += 1
        at = t + timedelta(hours=4 * i, minutes=10)
        _call(seed, trace_no=trace_no, start=at, model="gpt-4o-mini",
              task="answer-question", service="support-bot", input_tokens=400, output_tokens=100,
              cost="0.0002")
        escalated = i % 5 == 0  # runs 0, 5, 10, 15, 20, 25
        if escalated:
            _call(seed, trace_no=trace_no, start=at + timedelta(seconds=2), model="gpt-4o",
                  task="answer-question", service="support-bot", input_tokens=800, output_tokens=200,
                  cost="0.005", escalation="explicit", escalated_from="gpt-4o-mini")
        seed.run(trace_no=trace_no, start=at, task="answer-question", service="support-bot",
                 calls=2 if escalated else 1, cost="0.0052" if escalated else "0.0002",
                 first_model="gpt-4o-mini", final_model="gpt-4o" if escalated else "gpt-4o-mini",
                 escalation="explicit" if escalated else None,
                 escalated_from="gpt-4o-mini" if escalated else None,
                 escalated_to="gpt-4o" if escalated else None,
                 escalation_cost="0.0052" if escalated else None)
    for i in range(10):
        trace_no += 1
        at = t + timedelta(hours=12 * i, minutes=20)
        _call(seed, trace_no=trace_no, start=at, model="claude-sonnet-4-5",
              provider="anthropic", task="summarize-thread", service="batch-jobs", environment="staging",
              input_tokens=3000, output_tokens=200, cost="0.012", finish_reason="end_turn")
        seed.run(trace_no=trace_no, start=at, task="summarize-thread", service="batch-jobs",
                 environment="staging", cost="0.012", first_model="claude-sonnet-4-5")
    for i in range(2):
        trace_no += 1
        _call(seed, trace_no=trace_no, start=t + timedelta(days=2, minutes=i), model="mystery-model",
              provider="acme", task="classify-ticket", service="support-bot",
              input_tokens=100, output_tokens=10, cost=None)
    p = t - timedelta(days=7)
    for i in range(20):
        trace_no += 1
        at = p + timedelta(hours=6 * i)
        _call(seed, trace_no=trace_no, start=at, model="gpt-4o", task="classify-ticket",
                  service="support-bot", input_tokens=500, output_tokens=50, cost="0.0035")
        seed.run(trace_no=trace_no, start=at, task="classify-ticket", service="support-bot", cost="0.0035",
                 first_model="gpt-4o")
    for i in range(10):
        trace_no += 1
        at = p + timedelta(hours=10 * i, minutes=5)
        _call(seed, trace_no=trace_no, start=at, model="gpt-4o-mini",
              task="answer-question", service="support-bot", input_tokens=400, output_tokens=100,
              cost="0.0002")
        seed.run(trace_no=trace_no, start=at, task="answer-question", service="support-bot", cost="0.0002",
                 first_model="gpt-4o-mini")
    seed.commit()


def trace_hex(trace_no: int) -> str:
    """The hex trace id the factory gives trace number ``trace_no``."""
    return trace_no.to_bytes(16, "big").hex()


# answer-question run 25 (trace 40 + 26 = 66) escalated: a gpt-4o-mini call, then a gpt-4o retry.
ESCALATED_TRACE = trace_hex(66)
