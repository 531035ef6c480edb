"""``modelmix assemble`` / ``modelmix retention`` through the real CLI, and the assemble loop."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from modelmix.assembly.loop import run_loop
from modelmix.cli import main
from modelmix.settings import Settings
from tests.assembly.factory import RANKING, TraceBuilder, runs_of, store


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELMIX_DATABASE_URL", db_url)
    monkeypatch.setenv("MODELMIX_SETTLE_SECONDS", "3600")


def test_assemble_waits_for_the_settle_window_and_flush_does_not(
        engine: Engine, cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    t = TraceBuilder(start=datetime.now(UTC) - timedelta(minutes=5))
    t.call(t.span("classify-ticket"), model="gpt-4o-mini")
    store(engine, t)
    assert main(["assemble"]) == 0
    assert "nothing to assemble" in capsys.readouterr().out
    assert runs_of(engine, t) == {}
    assert main(["assemble", "--flush"]) == 0
    assert "assembled 1 traces: 1 calls, 1 task runs" in capsys.readouterr().out
    assert set(runs_of(engine, t)) == {"classify-ticket"}


def test_flush_and_loop_are_exclusive(cli_env: None) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["assemble", "--flush", "--loop"])
    assert exc.value.code == 2


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_bad_batch_size_is_a_usage_error(cli_env: None, value: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["assemble", "--batch-traces", value])
    assert exc.value.code == 2


def test_retention_dry_run_through_the_cli(engine: Engine, cli_env: None, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    old = TraceBuilder(start=datetime.now(UTC) - timedelta(days=60))
    old.call(old.span("old-task"))
    store(engine, old)
    monkeypatch.setenv("MODELMIX_RETENTION_DAYS", "30")
    assert main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would drop 1 partitions" in out
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM llm_calls")).scalar_one() == 1
    assert main(["retention"]) == 0
    assert "dropped 1 partitions" in capsys.readouterr().out
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM llm_calls")).scalar_one() == 0


def test_a_bad_retention_setting_is_refused(cli_env: None, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MODELMIX_RETENTION_DAYS", "0")
    assert main(["retention"]) == 2
    assert "MODELMIX_RETENTION_DAYS" in capsys.readouterr().err


def test_an_unreachable_database_is_a_clear_failure(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MODELMIX_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert main(["assemble", "--flush"]) == 1
    assert "failed" in capsys.readouterr().err


def test_the_loop_assembles_settled_traces_and_survives_database_errors(engine: Engine) -> None:
    settings = Settings(settle_seconds=0.0, assemble_interval_seconds=0.1)
    calls = {"n": 0}

    def flaky_ranking(_engine: Engine):  # the first load fails like a lost connection would
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("SELECT 1", {}, Exception("connection lost"))
        return RANKING

    stop = threading.Event()
    worker = threading.Thread(target=run_loop, args=(engine, settings, stop),
                              kwargs={"ranking_factory": flaky_ranking}, daemon=True)
    worker.start()
    try:
        t = TraceBuilder(start=datetime.now(UTC) - timedelta(minutes=1))
        t.call(t.span("loop-task"))
        store(engine, t)
        deadline = time.monotonic() + 20
        while not runs_of(engine, t) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert set(runs_of(engine, t)) == {"loop-task"}
        assert calls["n"] >= 2
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()


def test_the_loop_process_assembles_and_stops_cleanly_on_sigterm(engine: Engine, db_url: str) -> None:
    import os
    import signal
    import subprocess
    import sys

    t = TraceBuilder(start=datetime.now(UTC) - timedelta(minutes=1))
    t.call(t.span("service-task"))
    store(engine, t)
    env = dict(os.environ, MODELMIX_DATABASE_URL=db_url, MODELMIX_SETTLE_SECONDS="0",
               MODELMIX_ASSEMBLE_INTERVAL_SECONDS="0.2")
    proc = subprocess.Popen([sys.executable, "-m", "modelmix", "assemble", "--loop"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not runs_of(engine, t) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert set(runs_of(engine, t)) == {"service-task"}
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_rebuild_rollups_restores_every_rollup_from_the_stored_rows(
        engine: Engine, cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assemble", "--rebuild-rollups"]) == 0
    assert "nothing to rebuild" in capsys.readouterr().out
    traces = []
    for hours_ago in (30, 5):
        t = TraceBuilder(start=datetime.now(UTC) - timedelta(hours=hours_ago))
        t.call(t.span("classify-ticket"), model="gpt-4o-mini")
        traces.append(t)
    store(engine, *traces)
    assert main(["assemble", "--flush"]) == 0
    tables = ("call_rollups_hourly", "task_run_rollups_hourly", "task_run_cost_days", "call_reprice_rollups_hourly",
              "call_model_names_hourly")
    reads = {name: text("SELECT * FROM %s ORDER BY 1, 2, 3, 4" % name) for name in tables}  # noqa: S608, UP031
    with engine.begin() as conn:
        before = {name: conn.execute(read).all() for name, read in reads.items()}
        conn.execute(text("TRUNCATE " + ", ".join(tables)))
    assert all(before.values())
    assert main(["assemble", "--rebuild-rollups"]) == 0
    assert "rebuilt the rollups" in capsys.readouterr().out
    with engine.connect() as conn:
        after = {name: conn.execute(read).all() for name, read in reads.items()}
    assert after == before


def test_rebuild_rollups_excludes_the_other_modes(cli_env: None) -> None:
    with pytest.raises(SystemExit):
        main(["assemble", "--rebuild-rollups", "--loop"])
