"""``build_report`` against the report contract, markdown rendering, and the ``modelmix report`` CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from modelmix.analytics import Filters
from modelmix.cli import main
from modelmix.report import build_report, render, render_markdown
from tests.analytics.factory import Seed
from tests.analytics.pricing_fixtures import ExplicitTiers, price_book

DAY = datetime(2026, 11, 3, tzinfo=UTC)
WINDOW = Filters(DAY, DAY + timedelta(days=1))

CONTRACT = {
    "window": {"since": str, "until": str},
    "totals": {"calls": int, "input_tokens": int, "output_tokens": int, "cost_usd": float, "task_runs": int,
               "unpriced_calls": int},
    "models": {"model": str, "provider": str, "tier": str, "calls": int, "input_tokens": int,
               "output_tokens": int, "cached_input_tokens": int, "cost_usd": float, "share_calls": float,
               "share_cost": float},
    "tasks": {"task": str, "runs": int, "calls": int, "cost_usd": float, "cost_per_run": float,
              "escalated_runs": int, "escalation_rate": float},
    "downgrade_candidates": {"task": str, "model": str, "suggested_model": str, "calls": int,
                             "current_cost_usd": float, "projected_cost_usd": float, "savings_usd": float,
                             "confidence": str, "basis": str},
}


def _seed(seed: Seed) -> None:
    t = DAY + timedelta(hours=10)
    # summarize on claude-sonnet: 10 simple calls at $0.00135 (200 in / 50 out), one of them failed unpriced.
    for n in range(9):
        seed.call(trace_no=n, start=t + timedelta(seconds=n), model="claude-sonnet", provider="anthropic",
                  task="summarize", input_tokens=200, output_tokens=50, cache_read_tokens=100, cost="0.00135")
    seed.call(trace_no=9, start=t + timedelta(seconds=9), model="claude-sonnet", provider="anthropic",
              task="summarize", status="error", input_tokens=None, output_tokens=None, cache_read_tokens=None,
              cost=None)
    # classify on gpt-4o-mini: 2 calls at $0.000087 (500 in / 20 out), in one run that escalated.
    seed.call(trace_no=20, start=t, model="gpt-4o-mini", task="classify", input_tokens=500, output_tokens=20,
              cost="0.000087")
    seed.call(trace_no=21, start=t, model="gpt-4o-mini", task="classify", input_tokens=500, output_tokens=20,
              cost="0.000087")
    for n in range(9):
        seed.run(trace_no=n, start=t, task="summarize", cost="0.00135", first_model="claude-sonnet")
    seed.run(trace_no=9, start=t, task="summarize", cost=None, priced_cost=None, unpriced_calls=1, errors=1,
             first_model="claude-sonnet")
    seed.run(trace_no=20, start=t, task="classify", cost="0.000087", first_model="gpt-4o-mini")
    seed.run(trace_no=21, start=t, task="classify", cost="0.000087", first_model="gpt-4o-mini",
             escalation="inferred", escalated_from="gpt-4o-mini", escalated_to="gpt-4o")
    seed.commit()


def _check_shape(value: object, spec: dict[str, type]) -> None:
    assert isinstance(value, dict)
    for key, kind in spec.items():
        assert key in value, key
        assert isinstance(value[key], kind) and not isinstance(value[key], bool), (key, value[key])


def test_report_matches_the_contract(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    report = build_report(engine, WINDOW, price_book(), ExplicitTiers())
    assert list(report)[:1] == ["window"]
    for section in ("window", "totals"):
        _check_shape(report[section], CONTRACT[section])  # type: ignore[arg-type]
    for section in ("models", "tasks", "downgrade_candidates"):
        assert report[section], section
        for row in report[section]:
            _check_shape(row, CONTRACT[section])  # type: ignore[arg-type]
    json.dumps(report, allow_nan=False)  # plain JSON, no NaN


def test_report_numbers(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    report = build_report(engine, WINDOW, price_book(), ExplicitTiers())
    assert report["window"] == {"since": "2026-11-03T00:00:00Z", "until": "2026-11-04T00:00:00Z"}
    t = report["totals"]
    assert (t["calls"], t["errors"], t["unpriced_calls"], t["task_runs"], t["escalated_runs"]) == (12, 1, 1, 12, 1)
    assert (t["input_tokens"], t["output_tokens"], t["cached_input_tokens"]) == (9 * 200 + 1000, 9 * 50 + 40, 900)
    assert t["cost_usd"] == pytest.approx(9 * 0.00135 + 2 * 0.000087)
    sonnet, mini = report["models"]  # largest spend first
    assert (sonnet["model"], sonnet["provider"], sonnet["tier"]) == ("claude-sonnet", "anthropic", "frontier")
    assert (sonnet["calls"], sonnet["errors"], sonnet["unpriced_calls"]) == (10, 1, 1)
    assert sonnet["share_calls"] == pytest.approx(10 / 12)
    assert sonnet["share_cost"] == pytest.approx(0.01215 / (0.01215 + 0.000174))
    assert mini["cost_usd"] == pytest.approx(0.000174)
    summarize, classify = report["tasks"]
    assert (summarize["task"], summarize["runs"], summarize["calls"]) == ("summarize", 10, 10)
    assert summarize["cost_usd"] == pytest.approx(0.01215)
    assert summarize["cost_per_run"] == pytest.approx(0.00135)  # mean over the 9 fully priced runs
    assert classify["escalation_rate"] == pytest.approx(0.5)
    [candidate] = report["downgrade_candidates"]
    # 9 priced calls: 9 x 0.00135 = 0.01215 now; at haiku 9 x 0.00045 = 0.00405 + 10% x 0.01215.
    assert (candidate["task"], candidate["model"], candidate["suggested_model"]) == (
        "summarize", "claude-sonnet", "claude-haiku")
    assert candidate["calls"] == 10
    assert Decimal(str(candidate["current_cost_usd"])) == Decimal("0.01215")
    assert Decimal(str(candidate["projected_cost_usd"])) == Decimal("0.005265")
    assert Decimal(str(candidate["savings_usd"])) == Decimal("0.006885")
    assert candidate["confidence"] == "low"


def test_report_service_filter_and_unpriced_totals(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    none = build_report(engine, Filters(WINDOW.since, WINDOW.until, services=("elsewhere",)), price_book(),
                        ExplicitTiers())
    assert none["totals"]["calls"] == 0 and none["models"] == [] and none["tasks"] == []
    assert none["totals"]["cost_usd"] == 0.0


def test_markdown_renders_every_section(seed: Seed, engine: Engine) -> None:
    _seed(seed)
    text = render_markdown(build_report(engine, WINDOW, price_book(), ExplicitTiers()))
    for heading in ("# modelmix report", "## Totals", "## Model mix", "## Cost per task", "## Downgrade candidates"):
        assert heading in text
    assert "| claude-sonnet | anthropic | frontier | 10 | 1 |" in text
    assert "claude-haiku" in text and "heuristic" in text
    with pytest.raises(ValueError):
        render({}, "yaml")


def test_markdown_escapes_pipes_in_names(engine: Engine, seed: Seed) -> None:
    seed.call(trace_no=1, start=DAY + timedelta(hours=1), model="gpt-4o", task="a|b", cost="0.01")
    seed.run(trace_no=1, start=DAY + timedelta(hours=1), task="a|b", cost="0.01")
    seed.commit()
    text = render_markdown(build_report(engine, WINDOW, price_book(), ExplicitTiers()))
    assert "| a\\|b |" in text


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELMIX_DATABASE_URL", db_url)


def test_cli_report_json(seed: Seed, cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(seed)
    code = main(["report", "--format", "json", "--since", "2026-11-03", "--until", "2026-11-04T00:00:00Z",
                 "--task", "summarize"])
    out = capsys.readouterr().out
    assert code == 0
    report = json.loads(out)
    assert report["totals"]["calls"] == 10 and [t["task"] for t in report["tasks"]] == ["summarize"]


def test_cli_report_markdown(seed: Seed, cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(seed)
    assert main(["report", "--format", "markdown", "--since", "2026-11-03", "--until", "2026-11-04",
                 "--service", "svc"]) == 0
    assert "## Model mix" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["report", "--since", "yesterday"],
    ["report", "--since", "2026-13-45"],
    ["report", "--format", "yaml"],
    ["report", "--since", "2026-11-04", "--until", "2026-11-03"],
    ["report", "--since", "2026-11-03", "--until", "2026-11-03"],
])
def test_cli_report_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        code = main(argv)
        raise SystemExit(code)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err
