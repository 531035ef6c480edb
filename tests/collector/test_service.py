"""``modelmix collector`` as a real process: serves OTLP, prices calls, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from decimal import Decimal

import httpx
from sqlalchemy import Engine, text

from tests.collector.otlp_helpers import chat_span, export_request

STARTED = re.compile(r"OTLP/HTTP (http://\S+)/v1/traces, OTLP/gRPC (\S+),")


def test_collector_process_serves_and_stops_cleanly_on_sigterm(db_url: str, engine: Engine) -> None:
    env = {**os.environ, "MODELMIX_DATABASE_URL": db_url, "MODELMIX_OTLP_HTTP_PORT": "0",
           "MODELMIX_OTLP_GRPC_PORT": "0", "MODELMIX_OTLP_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "modelmix", "collector"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    found = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if STARTED.search(line):
                found.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        assert found.wait(60), "".join(output)
        http_base = STARTED.search("".join(output)).group(1)  # type: ignore[union-attr]
        request = export_request(chat_span(model="gpt-4o-mini", response_model="gpt-4o-mini-2024-07-18",
                                           input_tokens=1_000_000, output_tokens=0))
        response = httpx.post(http_base + "/v1/traces", content=request.SerializeToString(),
                              headers={"Content-Type": "application/x-protobuf"}, timeout=30)
        assert response.status_code == 200
        assert httpx.get(http_base + "/health", timeout=10).json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
        reader.join(10)
    assert code == 0, "".join(output)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT canonical_model, cost_usd, price_source FROM llm_calls")).one()
    # Priced by the price book: one million input tokens of gpt-4o-mini at its list price.
    assert row.canonical_model == "gpt-4o-mini"
    assert row.cost_usd == Decimal("0.15") and row.price_source
