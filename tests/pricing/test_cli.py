"""``modelmix prices|tiers|reprice`` through ``modelmix.cli.main`` against the test database."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from modelmix.cli import main
from modelmix.db.models import CallRollupRow
from modelmix.pricing import DEFAULT_SOURCE, load_overrides

from .helpers import at, insert_row, stored_rows

M = Decimal(1_000_000)


@pytest.fixture(autouse=True)
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELMIX_DATABASE_URL", db_url)
    monkeypatch.setenv("MODELMIX_LOG_LEVEL", "WARNING")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_set_then_list_shows_where_each_price_comes_from(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prices", "set", "gpt-4o", "--input", "2", "--output", "8", "--cache-read", "1",
                       "--from", "2026-01-01", "--note", "negotiated")
    assert code == 0 and "stored price override 1 for gpt-4o" in out and "modelmix reprice" in out
    insert_row(engine, provider="openai", model="gpt-4o-mini-2024-07-18", start=at("2026-11-01T00:00"))
    code, out, _ = run(capsys, "prices", "list", "--at", "2026-11-02", "--model", "gpt-4o-2024-08-06",
                       "--model", "mystery-model")
    assert code == 0
    lines = out.splitlines()
    override_line = next(line for line in lines if line.strip().startswith("override:1"))
    assert "gpt-4o" in override_line and "2026-01-01T00:00:00Z" in override_line and "negotiated" in override_line
    assert "yes" in override_line.split()  # in force at --at
    snapshot = next(line for line in lines if "gpt-4o-2024-08-06" in line)
    assert "override:1" in snapshot
    seen = next(line for line in lines if "gpt-4o-mini-2024-07-18" in line)
    assert DEFAULT_SOURCE in seen and " 0.15 " in seen and " 1 " in seen  # list price, one call seen
    assert "UNPRICED" in next(line for line in lines if "mystery-model" in line)


def test_set_rejects_bad_values_with_exit_code_1(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in [
        (["--input", "-1", "--output", "2"], "input_per_mtok: must not be negative"),
        (["--input", "1", "--output", "2", "--from", "2026-02-01", "--until", "2026-01-01"], "valid_until"),
        (["--input", "abc", "--output", "2"], "input_per_mtok: not a number"),
        (["--input", "1", "--output", "2", "--from", "yesterday"], "valid_from"),
    ]:
        code, _, err = run(capsys, "prices", "set", "gpt-4o", *argv)
        assert code == 1, argv
        assert message in err
    assert load_overrides(engine) == []


def test_import_export_and_garbage_import(engine: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = tmp_path / "prices.csv"
    good.write_text("model,provider,input_per_mtok,output_per_mtok,valid_from\n"
                    "gpt-4o,openai,2,8,2026-01-01\nclaude-sonnet-4-5,,2.5,12,2026-01-01\n")
    code, out, _ = run(capsys, "prices", "import", str(good))
    assert code == 0 and "imported 2 price(s) (ids: 1, 2)" in out

    bad = tmp_path / "bad.csv"
    bad.write_text("model,input_per_mtok,output_per_mtok\nok-model,1,2\nbad-model,-3,2\n")
    code, _, err = run(capsys, "prices", "import", str(bad))
    assert code == 1 and "line 3: input_per_mtok: must not be negative" in err
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x00\x01garbage")
    code, _, err = run(capsys, "prices", "import", str(junk), "--format", "json")
    assert code == 1 and "not valid JSON" in err
    assert [o.model for o in load_overrides(engine)] == ["gpt-4o", "claude-sonnet-4-5"]

    code, out, _ = run(capsys, "prices", "export")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["provider"], r["model"], r["input_per_mtok"]) for r in rows] == [
        ("1", "openai", "gpt-4o", "2"), ("2", "", "claude-sonnet-4-5", "2.5")]
    target = tmp_path / "out.json"
    code, _, _ = run(capsys, "prices", "export", "--format", "json", "--output", str(target))
    assert code == 0 and [r["model"] for r in json.loads(target.read_text())] == ["gpt-4o", "claude-sonnet-4-5"]

    assert run(capsys, "prices", "delete", "1")[0] == 0
    code, _, err = run(capsys, "prices", "delete", "1")
    assert code == 1 and "no price override with id 1" in err


def test_reprice_command_updates_costs_and_reports_progress(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    start = at("2026-11-10T10:00")
    span = insert_row(engine, provider="openai", model="gpt-4o", start=start, input_tokens=1000, output_tokens=100,
                      cost=(1000 * Decimal("2.5") + 100 * Decimal(10)) / M, canonical="gpt-4o",
                      price_source=DEFAULT_SOURCE)
    assert run(capsys, "prices", "set", "gpt-4o", "--input", "4", "--output", "16", "--from", "2026-11-01")[0] == 0
    code, out, err = run(capsys, "reprice", "--since", "2026-11-09", "--until", "2026-11-12", "--no-rollups")
    assert code == 0
    assert "3/3 days" in err and "changed 1" in err
    assert "repriced 1 calls over 3 day(s): 1 changed, 0 unpriced" in out
    assert stored_rows(engine)[span]["cost_usd"] == (1000 * Decimal(4) + 100 * Decimal(16)) / M
    code, out, _ = run(capsys, "reprice", "--since", "2026-11-09", "--until", "2026-11-12")
    assert code == 0 and "0 changed" in out and "rollups unchanged" in out
    code, _, err = run(capsys, "reprice", "--since", "2026-11-12", "--until", "2026-11-09")
    assert code == 1 and "--until must be after --since" in err
    code, _, err = run(capsys, "reprice", "--since", "last week", "--until", "2026-11-09")
    assert code == 1 and "--since" in err


def test_check_lists_calls_whose_reported_cost_disagrees(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    start = at("2026-11-10T10:00")
    bad = insert_row(engine, provider="openai", model="gpt-4o", start=start, cost=Decimal("0.02"),
                     reported=Decimal("0.01"))
    insert_row(engine, provider="openai", model="gpt-4o", start=start + timedelta(minutes=1), cost=Decimal("0.0101"),
               reported=Decimal("0.01"))
    code, out, _ = run(capsys, "prices", "check", "--since", "2026-11-10", "--until", "2026-11-11")
    assert code == 0
    assert "1 of 2 calls with a reported cost disagree by more than 5%" in out
    assert bad.hex() in out


def test_tiers_set_and_list(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    insert_row(engine, provider="openai", model="gpt-4o-2024-08-06", start=at("2026-11-20T00:00"), canonical="gpt-4o")
    code, out, _ = run(capsys, "tiers", "set", "gpt-4o", "--tier", "frontier", "--sibling", "gpt-4.1-mini")
    assert code == 0
    line = next(line for line in out.splitlines() if line.strip().startswith("gpt-4o "))
    assert line.split()[:6] == ["gpt-4o", "frontier", "override", "gpt-4.1-mini", "override", "4.3750"]
    code, out, _ = run(capsys, "tiers", "list", "--days", "36500", "--model", "claude-sonnet-4-5")
    assert code == 0
    sonnet = next(line for line in out.splitlines() if line.strip().startswith("claude-sonnet-4-5"))
    assert sonnet.split()[:5] == ["claude-sonnet-4-5", "frontier", "price", "claude-haiku-4-5", "family"]
    code, _, err = run(capsys, "tiers", "set", "gpt-4o", "--tier", "gigantic")
    assert code == 1 and "tier: must be one of" in err


def test_tier_change_can_rebuild_stored_rollups(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    rollups = pytest.importorskip("modelmix.assembly.rollups")
    start = at("2026-11-20T09:15")
    insert_row(engine, provider="openai", model="gpt-4o", start=start, canonical="gpt-4o",
               cost=Decimal("0.0035"), task="summarize", task_source="call_attribute")
    rollups.recompute_hours(engine, at("2026-11-20T09:00"), at("2026-11-20T10:00"))
    assert rollup_tiers(engine) == ["frontier"]
    code, out, _ = run(capsys, "tiers", "set", "gpt-4o", "--tier", "mid")
    assert code == 0 and "keep the previous tier" in out
    assert rollup_tiers(engine) == ["frontier"]
    code, out, _ = run(capsys, "tiers", "set", "gpt-4o", "--tier", "mid", "--rollups-since", "2026-11-20")
    assert code == 0 and "hourly rollups since 2026-11-20T00:00:00Z: recomputed" in out
    assert rollup_tiers(engine) == ["mid"]


def rollup_tiers(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(CallRollupRow.tier)).scalars())


CLI_GARBAGE = [
    ("bad csv", "model,input_per_mtok,output_per_mtok\ngpt-4o,1,2,3\n", "line 2: more values than columns"),
    ("negative price", "model,input_per_mtok,output_per_mtok\ngpt-4o,1,-2\n", "line 2: output_per_mtok"),
    ("until before from", "model,input_per_mtok,output_per_mtok,valid_from,valid_until\n"
                          "gpt-4o,1,2,2026-03-01,2026-02-01\n", "line 2: valid_until"),
    ("unknown column", "model,input_per_mtok,output_per_mtok,currency\ngpt-4o,1,2,EUR\n",
     "line 2: unknown column 'currency'"),
    ("sql metacharacters in a price", "model,input_per_mtok,output_per_mtok\ngpt-4o,1,2'); DROP TABLE x; --\n",
     "line 2: output_per_mtok: not a number"),
]


@pytest.mark.parametrize(("content", "message"), [g[1:] for g in CLI_GARBAGE], ids=[g[0] for g in CLI_GARBAGE])
def test_garbage_imports_fail_with_the_line_and_store_nothing(engine: Engine, capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path, content: str, message: str) -> None:
    assert run(capsys, "prices", "set", "kept-model", "--input", "1", "--output", "1")[0] == 0
    path = tmp_path / "prices.csv"
    path.write_text(content)
    code, out, err = run(capsys, "prices", "import", str(path))
    assert code == 1 and out == ""
    assert message in err
    assert [o.model for o in load_overrides(engine)] == ["kept-model"]


def test_sql_metacharacters_in_model_names_through_the_cli(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    name = "x'); DELETE FROM model_prices; --"
    assert run(capsys, "prices", "set", name, "--input", "1", "--output", "2")[0] == 0
    assert run(capsys, "prices", "set", "safe", "--input", "1", "--output", "2")[0] == 0
    code, out, _ = run(capsys, "prices", "list", "--model", name)
    assert code == 0 and out.count("x'); delete from model_prices; --") == 2  # the override and its price in force
    assert [o.model for o in load_overrides(engine)] == [name.lower(), "safe"]
