"""What is stored and what is printed: no prompt or completion content by default (in any table,
derived ones included), SQL metacharacters kept as data from ingest to report, and no secret in
the CLI's output — nor a traceback when the database cannot be reached.
"""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
from sqlalchemy import Engine, text

from collector.app import create_collector
from modelmix.assembly import assemble_pending
from modelmix.db.engine import make_engine
from modelmix.pricing import PriceBook
from tests.collector.factories import collector_settings
from tests.collector.otlp_helpers import chat_span, content_probes, export_request, fixture_files
from tests.reliability.cli_run import environment, run_cli
from tests.reliability.conftest import CollectorPool, Record
from tests.reliability.load import PROTOBUF
from tests.reliability.processes import child_environment
from tests.reliability.storage import all_stored_text, table_snapshot

DB_PASSWORD = "pg-Pa55word-never-logged"
SECRETS = {"MODELMIX_INGEST_TOKENS": "tok-cli-secret-41d9e7", "MODELMIX_DASHBOARD_PASSWORD": "dash-pw-never-shown-55",
           "MODELMIX_WEBHOOK_URL": "https://hooks.example.invalid/services/T0/B0/hook-secret-path-77"}


def _replay_openllmetry(http_base: str) -> int:
    files = fixture_files("openllmetry")
    with httpx.Client(base_url=http_base, timeout=60) as client:
        for path in files:
            answer = client.post("/v1/traces", content=path.read_bytes(), headers={"Content-Type": "application/json"})
            assert answer.status_code == 200, answer.text
    return len(files)


def test_no_content_in_any_table_by_default_and_the_check_sees_it_when_captured(
        db_url: str, engine: Engine, module_db_url: str, module_engine: Engine, collectors: CollectorPool,
        figures: Record) -> None:
    probes = content_probes(fixture_files("openllmetry"))
    assert len(probes) > 50
    collector = collectors.start(db_url)
    _replay_openllmetry(collector.http_base)
    assert collector.stop() == 0
    assemble_pending(engine, flush=True, settle_seconds=0)  # task runs and rollups are derived from the rows
    with environment(MODELMIX_DATABASE_URL=db_url, MODELMIX_LOG_LEVEL="WARNING"):
        code, _, err = run_cli(["review", "--week", "2026-W48", "--no-assemble"])  # a stored review snapshot too
    assert code == 0, err
    stored = all_stored_text(engine)
    leaked = sorted(p for p in probes if p in stored)

    # Control: the same replay with MODELMIX_CAPTURE_CONTENT on does store the text, so the grep can see it.
    captured = create_collector(collector_settings(capture_content=True, attributes_max_bytes=1 << 20), module_engine)
    captured.start()
    try:
        _replay_openllmetry(captured.endpoints.http)
    finally:
        captured.stop()
    stored_when_captured = all_stored_text(module_engine)
    seen_when_captured = sum(p in stored_when_captured for p in probes)
    figures(probes=len(probes), leaked_by_default=len(leaked), found_when_capture_on=seen_when_captured,
            tables_checked=len(table_snapshot(engine)), stored_text_bytes=len(stored))
    assert "gpt-4o" in stored and "review" in " ".join(table_snapshot(engine))
    assert leaked == []
    assert seen_when_captured > len(probes) // 2


INJECTED = {"service": "svc'; DROP TABLE llm_calls; --", "model": "gpt-4o\"); DELETE FROM model_prices; --",
            "task": "task' OR '1'='1", "name": "chat $$; TRUNCATE span_skeletons; $$"}


def test_sql_metacharacters_are_data_from_ingest_to_report(db_url: str, engine: Engine, figures: Record) -> None:
    collector = create_collector(collector_settings(), engine, pricer=PriceBook.load(engine).price)
    collector.start()
    spans = [chat_span(model=INJECTED["model"], response_model=None, extra={"modelmix.task": INJECTED["task"]}) for _ in range(3)]
    for span in spans:
        span.name = INJECTED["name"]
    before = table_snapshot(engine)
    try:
        answer = httpx.post(collector.endpoints.http + "/v1/traces", headers=PROTOBUF, timeout=30,
                            content=export_request(*spans, service=INJECTED["service"]).SerializeToString())
    finally:
        collector.stop()
    assert answer.status_code == 200
    after = table_snapshot(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT service, request_model, task, span_name FROM llm_calls")).all()
    assert set(rows) == {(INJECTED["service"], INJECTED["model"], INJECTED["task"], INJECTED["name"])}
    assert len(rows) == 3
    assert set(after) >= set(before) and all(after[t] >= before[t] for t in before)  # nothing dropped or emptied
    with environment(MODELMIX_DATABASE_URL=db_url, MODELMIX_LOG_LEVEL="WARNING"):
        code, out, err = run_cli(["report", "--format", "json", "--service", INJECTED["service"],
                                  "--task", INJECTED["task"], "--since", "2020-01-01"])
    assert code == 0, err
    report = json.loads(out)
    figures(stored_literally=len(rows), report_calls=report["totals"]["calls"],
            tables_before=len(before), tables_after=len(after))
    assert report["totals"]["calls"] == 3
    assert [m["model"] for m in report["models"]] == [INJECTED["model"].lower()]  # canonical ids are lower-case


def _cli(database_url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = child_environment({"MODELMIX_DATABASE_URL": database_url, "MODELMIX_LOG_LEVEL": "DEBUG", **SECRETS})
    return subprocess.run([sys.executable, "-m", "modelmix", *argv], env=env, capture_output=True, text=True,
                          timeout=120)


def test_the_cli_never_prints_secrets_and_explains_an_unreachable_database(db_url: str, figures: Record) -> None:
    scheme, rest = db_url.split("://", 1)
    user, host = rest.split("@", 1)
    with_password = f"{scheme}://{user.split(':', 1)[0]}:{DB_PASSWORD}@{host}"  # trust auth ignores it
    runs = {argv[0] + (" " + argv[1] if argv[0] == "prices" else ""): _cli(with_password, *argv)
            for argv in (("report", "--format", "json"), ("prices", "list"))}
    unreachable = _cli(f"postgresql://modelmix:{DB_PASSWORD}@127.0.0.1:1/modelmix", "report", "--format", "json")
    figures(commands={name: run.returncode for name, run in runs.items()}, unreachable_exit=unreachable.returncode,
            unreachable_message=unreachable.stderr.strip().splitlines()[-1][:120] if unreachable.stderr else "")
    for name, run in {**runs, "unreachable": unreachable}.items():
        shown = run.stdout + run.stderr
        for secret in (DB_PASSWORD, *SECRETS.values()):
            assert secret not in shown, f"{name} printed a secret"
    for name, run in runs.items():
        assert run.returncode == 0, (name, run.stderr[-2000:])
    assert unreachable.returncode == 1
    assert "Traceback" not in unreachable.stderr, unreachable.stderr[-2000:]
    assert "database" in unreachable.stderr.lower() and "127.0.0.1" in unreachable.stderr


def test_a_wrong_database_name_is_explained_too(pg_server_url: str) -> None:
    missing = pg_server_url.rsplit("/", 1)[0] + "/no_such_modelmix_database"
    engine = make_engine(missing)
    engine.dispose()
    run = _cli(missing, "prices", "list")
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert "no_such_modelmix_database" in run.stderr
