"""Garbage through the CLI (``modelmix.cli.main``): dates, filters, prices, tiers, price-import files.

Every invocation must end with a documented exit code (0, 1 or 2) and a message — never a
traceback — and a refused command must leave every table exactly as it was (row counts and the
table list are compared before and after). Commands that succeed may change only what they own,
and store what was typed literally.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from tests.reliability.cli_run import environment, run_cli, seed_calls
from tests.reliability.storage import table_snapshot

CLI = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INJECTIONS = ("'; DROP TABLE llm_calls; --", "\" OR 1=1 --", "x'); DELETE FROM model_prices; --",
              "$$; TRUNCATE llm_calls; $$", "%s%s%s", "{0}", "\\'", "--", "/*", "llm_calls; SELECT pg_sleep(5)")
argv_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)  # argv has no NUL
names = st.one_of(st.sampled_from(INJECTIONS), argv_text, st.just(""), st.just("x" * 5_000))
dates = st.one_of(
    st.dates().map(str), st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-00-00", "99999-01-01", "2026-11-02T25:00", "now",
                     "yesterday", "", "  ", "1e9", "-1", "2026-11-02T09:00:00+99:00", "9999-12-31T23:59:59",
                     "0001-01-01"]),
    names,
)
amounts = st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
                    st.sampled_from(["NaN", "-1", "1e400", "inf", "-0", "$3", "3,5", "0x10", "1e-30", "",
                                     "99999999999999999999", "0"]), names)


@pytest.fixture(scope="module")
def cli_db(module_db_url: str, module_engine: Engine) -> Iterator[Engine]:
    seed_calls(module_engine)
    with environment(MODELMIX_DATABASE_URL=module_db_url, MODELMIX_LOG_LEVEL="WARNING"):
        yield module_engine


def _refused_cleanly(code: int, out: str, err: str) -> None:
    assert code in (1, 2), (code, out, err)
    assert err.strip(), "a refused command must say why"
    assert "Traceback" not in err + out


@CLI
@given(since=dates, until=dates, service=names, task=names, fmt=st.sampled_from(["json", "markdown", "html", ""]))
def test_report_with_garbage_dates_and_filters(cli_db: Engine, since: str, until: str, service: str, task: str,
                                               fmt: str) -> None:
    before = table_snapshot(cli_db)
    code, out, err = run_cli(["report", "--format", fmt, "--since", since, "--until", until, "--service", service,
                              "--task", task])
    assert table_snapshot(cli_db) == before
    if code == 0:
        if fmt == "json":
            report = json.loads(out)
            assert set(report) >= {"window", "totals", "models", "tasks"}
            assert report["totals"]["calls"] == 0  # no seeded call belongs to such a service and task
        return
    _refused_cleanly(code, out, err)


@pytest.mark.parametrize(("since", "until"), [
    ("1000-01-01", "2000-01-01"), ("0001-01-01", "0001-01-02"), ("0001-01-01T00:00:00+01:00", "2026-01-01"),
    ("9999-12-31", "9999-12-31T23:59:59"), ("2026-01-01", "9999-12-31T23:59:59-01:00"), ("1969-12-31", "1970-01-02"),
])
def test_report_with_extreme_windows_is_refused_not_a_traceback(cli_db: Engine, since: str, until: str) -> None:
    code, out, err = run_cli(["report", "--format", "json", "--since", since, "--until", until])
    _refused_cleanly(code, out, err)


EXTREME_TIMES = ("0001-01-01T00:00:00+01:00", "0001-01-01", "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59")


@pytest.mark.parametrize("moment", EXTREME_TIMES)
@pytest.mark.parametrize("command", ["prices-set", "prices-list", "prices-check", "reprice"])
def test_time_arguments_at_the_ends_of_the_calendar_never_crash(cli_db: Engine, command: str, moment: str) -> None:
    argv = {
        "prices-set": ["prices", "set", "edge-model", "--input", "1", "--output", "2", "--from", moment],
        "prices-list": ["prices", "list", "--at", moment],
        "prices-check": ["prices", "check", "--since", moment, "--until", "9999-12-31"],
        "reprice": ["reprice", "--since", moment, "--until", "9999-12-31"],
    }[command]
    before = table_snapshot(cli_db)
    code, out, err = run_cli(argv)
    assert "Traceback" not in out + err
    assert code in (0, 1, 2), (code, out, err)
    if code:
        _refused_cleanly(code, out, err)
        assert table_snapshot(cli_db) == before


def _decimal(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.strip().removeprefix("$"))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@CLI
@given(model=names, price_in=amounts, price_out=amounts, valid_from=st.one_of(st.none(), dates),
       provider=st.one_of(st.none(), names), pattern=st.booleans())
def test_prices_set_with_garbage_stores_one_literal_row_or_nothing(
        cli_db: Engine, model: str, price_in: str, price_out: str, valid_from: str | None, provider: str | None,
        pattern: bool) -> None:
    before = table_snapshot(cli_db)
    argv = ["prices", "set", model, "--input", price_in, "--output", price_out]
    argv += ["--from", valid_from] if valid_from is not None else []
    argv += ["--provider", provider] if provider is not None else []
    argv += ["--pattern"] if pattern else []
    code, out, err = run_cli(argv)
    after = table_snapshot(cli_db)
    if code != 0:
        _refused_cleanly(code, out, err)
        assert after == before
        return
    assert {k: v for k, v in after.items() if k != "model_prices"} == {
        k: v for k, v in before.items() if k != "model_prices"}
    assert after["model_prices"] == before["model_prices"] + 1
    with cli_db.connect() as conn:
        row = conn.execute(text("SELECT model_pattern, input_per_mtok, output_per_mtok FROM model_prices "
                                "ORDER BY id DESC LIMIT 1")).one()
    assert row.model_pattern == model.strip().lower()  # names are stored lower-cased (documented)
    for stored, typed in ((row.input_per_mtok, price_in), (row.output_per_mtok, price_out)):
        expected = _decimal(typed)
        assert expected is not None and expected >= 0, f"{typed!r} was accepted as a price"
        assert stored == expected.quantize(Decimal("1e-8"))


json_cells = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), names, amounts,
                       st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
price_rows = st.dictionaries(st.sampled_from(["model", "provider", "match", "valid_from", "valid_until",
                                              "input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "note",
                                              "id", "unknown_column"]), json_cells, max_size=8)


@CLI
@given(rows=st.lists(price_rows, max_size=4), as_csv=st.booleans(), raw=st.one_of(st.none(), st.binary(max_size=200)))
def test_price_import_is_all_or_nothing(cli_db: Engine, rows: list[dict[str, Any]], as_csv: bool,
                                        raw: bytes | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("prices.csv" if as_csv else "prices.json")
        if raw is not None:
            path.write_bytes(raw)
        elif as_csv:
            columns = sorted({key for row in rows for key in row})
            lines = [",".join(columns)] + [",".join(json.dumps(row.get(c), default=str).replace(",", ";")
                                                    for c in columns) for row in rows]
            path.write_text("\n".join(lines), encoding="utf-8")
        else:
            path.write_text(json.dumps(rows, default=str), encoding="utf-8")
        before = table_snapshot(cli_db)
        code, out, err = run_cli(["prices", "import", str(path)])
    after = table_snapshot(cli_db)
    if code != 0:
        _refused_cleanly(code, out, err)
        assert after == before
        return
    assert "imported" in out
    inserted = int(out.split("imported ", 1)[1].split(" ", 1)[0])
    assert after["model_prices"] == before["model_prices"] + inserted
    with cli_db.connect() as conn:
        bad = conn.execute(text("SELECT count(*) FROM model_prices WHERE input_per_mtok < 0 OR output_per_mtok < 0 "
                                "OR input_per_mtok = 'NaN' OR output_per_mtok = 'NaN'")).scalar_one()
    assert bad == 0


@CLI
@given(command=st.sampled_from(["reprice", "check", "list", "tiers", "delete", "review", "tiers-list"]),
       first=dates, second=dates, number=names, model=names)
def test_other_commands_with_garbage_arguments(cli_db: Engine, command: str, first: str, second: str, number: str,
                                               model: str) -> None:
    argv = {
        "reprice": ["reprice", "--since", first, "--until", second],
        "check": ["prices", "check", "--since", first, "--until", second, "--tolerance", number, "--limit", number],
        "list": ["prices", "list", "--at", first, "--days", number, "--model", model],
        "tiers": ["tiers", "set", model, "--tier", number, "--sibling", second],
        "delete": ["prices", "delete", number],
        "review": ["review", "--week", first, "--no-assemble"],
        "tiers-list": ["tiers", "list", "--days", number, "--model", model],
    }[command]
    before = table_snapshot(cli_db)
    code, out, err = run_cli(argv)
    after = table_snapshot(cli_db)
    if code != 0:
        _refused_cleanly(code, out, err)
        assert after == before
        return
    changed = {k for k in after if after[k] != before.get(k)} | (set(before) - set(after))
    allowed = {"tiers": {"model_tiers"}, "delete": {"model_prices"}, "review": {"review_snapshots"}}.get(command, set())
    assert changed <= allowed, changed
