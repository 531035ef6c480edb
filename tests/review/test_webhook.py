"""Posting the review summary to a real HTTP endpoint on 127.0.0.1 (``http.server`` in a thread).

The URL holds a secret path, as a Slack incoming-webhook URL does; no output or log line may show it.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine

from modelmix.cli import main
from modelmix.review import WebhookError, list_snapshots, load_snapshot, post_text
from tests.review.conftest import Pricing

SECRET = "T0SECRET/B0SECRET/XXXXsecrettokenXXXX"


@dataclass
class Endpoint:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    state = Endpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                   "body": body})
            time.sleep(state.delay)
            self.send_response(state.status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if state.status == 200 else b"invalid_payload")

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/services/{SECRET}"
    yield state
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELMIX_DATABASE_URL", db_url)


def _assert_secret_hidden(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    captured = capsys.readouterr()
    for text in (captured.out, captured.err, caplog.text):
        assert SECRET not in text and "secrettoken" not in text
    return captured.err


def test_post_delivers_the_summary_as_json_text(
        engine: Engine, fortnight: Pricing, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("MODELMIX_WEBHOOK_URL", endpoint.url)
    assert main(["review", "--week", "2026-W47", "--post", "--no-assemble"]) == 0
    err = _assert_secret_hidden(capsys, caplog)
    assert "posted the summary of 2026-W47 to MODELMIX_WEBHOOK_URL (HTTP 200)" in err
    (request,) = endpoint.received
    assert request["path"] == f"/services/{SECRET}"
    assert request["content_type"].startswith("application/json")
    payload = json.loads(request["body"])
    assert list(payload) == ["text"]
    text = payload["text"]
    assert text.startswith("*Model-mix review 2026-W47 (2026-11-16 to 2026-11-22, UTC)*\n")
    assert "- Spend: $0.07072 (+2.9% vs 2026-W46)" in text
    assert "- Escalation rate: 11.1% (+5.4 pp vs 2026-W46)" in text
    assert "1. Route classify calls from gpt-4o to gpt-4o-mini" in text
    assert "3. Set a price for acme-llm (acme)" in text
    (info,) = list_snapshots(engine)
    assert load_snapshot(engine, info.id).data["next_steps"][0]["text"] in text


def test_endpoint_down_exits_1_and_the_snapshot_is_still_stored(
        engine: Engine, fortnight: Pricing, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("MODELMIX_WEBHOOK_URL", f"http://127.0.0.1:{_closed_port()}/services/{SECRET}")
    assert main(["review", "--week", "2026-W47", "--post", "--no-assemble"]) == 1
    err = _assert_secret_hidden(capsys, caplog)
    (info,) = list_snapshots(engine)
    assert "could not reach the webhook at MODELMIX_WEBHOOK_URL: Connection refused" in err
    assert f"the review is stored as snapshot {info.id}" in err
    assert "Model-mix review 2026-W47" in load_snapshot(engine, info.id).markdown


def test_endpoint_error_status_exits_1(
        engine: Engine, fortnight: Pricing, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint.status = 500
    monkeypatch.setenv("MODELMIX_WEBHOOK_URL", endpoint.url)
    assert main(["review", "--week", "2026-W47", "--post", "--no-assemble"]) == 1
    err = _assert_secret_hidden(capsys, caplog)
    assert "the webhook at MODELMIX_WEBHOOK_URL answered HTTP 500" in err
    assert len(endpoint.received) == 1 and len(list_snapshots(engine)) == 1


def test_a_slow_endpoint_times_out(endpoint: Endpoint) -> None:
    endpoint.delay = 2.0
    with pytest.raises(WebhookError, match="did not answer within 0.3 s|timed out") as caught:
        post_text(endpoint.url, "hello", timeout=0.3)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("url", [
    f"ftp://127.0.0.1/{SECRET}",
    f"http://127.0.0.1:notaport/{SECRET}",
    f"http://[::1/{SECRET}",
    f"file:///etc/{SECRET}",
])
def test_malformed_urls_fail_without_quoting_the_url(url: str) -> None:
    with pytest.raises(WebhookError) as caught:
        post_text(url, "hello", timeout=1)
    assert SECRET not in str(caught.value) and "MODELMIX_WEBHOOK_URL" in str(caught.value)


def test_post_text_returns_the_status(endpoint: Endpoint) -> None:
    assert post_text(endpoint.url, "héllo — ✓") == 200
    assert json.loads(endpoint.received[0]["body"]) == {"text": "héllo — ✓"}
