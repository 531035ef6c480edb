"""``modelmix review`` end to end against the real database: generate, store, reprint, regenerate, bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select

from modelmix.cli import main
from modelmix.db.models import ReviewSnapshotRow
from modelmix.review import last_complete_week, list_snapshots, load_snapshot
from tests.review.conftest import Pricing

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELMIX_DATABASE_URL", db_url)
    monkeypatch.delenv("MODELMIX_WEBHOOK_URL", raising=False)


def _snapshot_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ReviewSnapshotRow.__table__)).scalar_one())


def test_first_run_generates_and_stores_later_runs_print_the_stored_review(
        engine: Engine, fortnight: Pricing, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--week", "2026-W47", "--no-assemble"]) == 0
    first = capsys.readouterr()
    assert first.out.startswith("# Model-mix review 2026-W47 (2026-11-16 to 2026-11-22, UTC)\n")
    assert "| Spend | $0.07072 | $0.0687 | +2.9% |" in first.out
    (info,) = list_snapshots(engine)
    assert f"generated and stored the review of 2026-W47 (snapshot {info.id})" in first.err
    assert load_snapshot(engine, info.id).markdown == first.out

    assert main(["review", "--week", "2026-w47", "--no-assemble"]) == 0
    second = capsys.readouterr()
    assert second.out == first.out
    assert "showing the review of 2026-W47 stored at" in second.err and f"(snapshot {info.id})" in second.err
    assert "--regenerate" in second.err
    assert _snapshot_count(engine) == 1

    assert main(["review", "--week", "2026-W47", "--regenerate", "--no-assemble"]) == 0
    third = capsys.readouterr()
    assert "generated and stored" in third.err and _snapshot_count(engine) == 2


def test_html_to_a_file(engine: Engine, fortnight: Pricing, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "review.html"
    assert main(["review", "--week", "2026-W47", "--format", "html", "--out", str(out), "--no-assemble"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"wrote the html review of 2026-W47 to {out}" in captured.err
    (info,) = list_snapshots(engine)
    assert out.read_text(encoding="utf-8") == load_snapshot(engine, info.id).html
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_an_unwritable_out_file_fails_with_exit_1_and_keeps_the_snapshot(
        engine: Engine, fortnight: Pricing, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "no-such-dir" / "review.md"
    assert main(["review", "--week", "2026-W47", "--out", str(out), "--no-assemble"]) == 1
    err = capsys.readouterr().err
    (info,) = list_snapshots(engine)
    assert f"cannot write {out}" in err and f"stored as snapshot {info.id}" in err


@pytest.mark.parametrize("week, message", [
    ("2026-W54", "2026 has weeks W01 to W53"),
    ("garbage", "'garbage' is not an ISO week; expected YYYY-Www, e.g. 2026-W47"),
    ("2026-W47'; DROP TABLE review_snapshots; --", "is not an ISO week; expected YYYY-Www"),
    ("2026-W47 OR 1=1", "is not an ISO week; expected YYYY-Www"),
    ("2026-W4%", "is not an ISO week; expected YYYY-Www"),
])
def test_bad_weeks_exit_2_with_a_clear_message_and_touch_nothing(
        engine: Engine, fortnight: Pricing, week: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["review", "--week", week, "--no-assemble"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --week" in err and message in err
    assert "review_snapshots" in inspect(engine).get_table_names() and _snapshot_count(engine) == 0


def test_a_bad_week_from_a_real_process(db_url: str) -> None:
    env = {**os.environ, "MODELMIX_DATABASE_URL": db_url}
    done = subprocess.run([sys.executable, "-m", "modelmix", "review", "--week", "2026-W54"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "modelmix review: error: argument --week: '2026-W54' is not an ISO week; 2026 has weeks W01 to W53" \
        in done.stderr
    assert done.stdout == ""


def test_post_without_a_webhook_url_is_a_usage_error(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--week", "2026-W47", "--post", "--no-assemble"]) == 2
    assert "--post needs MODELMIX_WEBHOOK_URL" in capsys.readouterr().err
    assert _snapshot_count(engine) == 0


def test_list_and_the_default_week(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--list"]) == 0
    assert "no stored reviews yet" in capsys.readouterr().err
    # Without --week: the last complete ISO week. Also runs the assembler first (nothing is pending here).
    assert main(["review"]) == 0
    expected = last_complete_week()
    assert f"generated and stored the review of {expected}" in capsys.readouterr().err
    assert main(["review", "--list"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    snapshot_id, week, generated = line.split("\t")
    assert int(snapshot_id) == list_snapshots(engine)[0].id and week == expected and generated.endswith("Z")
