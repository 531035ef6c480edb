"""``modelmix collector`` as a real child process: start, find its ports, read its output, kill it.

``CollectorProcess(database_url, ...)`` runs ``python -m modelmix collector`` with
``MODELMIX_DATABASE_URL`` set and loopback ports (0 = free ports, or the ports of a previous run to
restart in place). Its stdout and stderr are read on threads and kept line by line, so tests can
assert what the process printed (and what it never printed, such as tokens).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import IO

import httpx
import psutil

STARTED = re.compile(r"OTLP/HTTP http://127\.0\.0\.1:(\d+)/v1/traces, OTLP/gRPC 127\.0\.0\.1:(\d+),")
START_TIMEOUT_SECONDS = 60.0


def child_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """The test's environment without any ``MODELMIX_*`` setting, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELMIX_")}
    env.update({"PYTHONUNBUFFERED": "1", **overrides})
    return env


class CollectorProcess:
    def __init__(self, database_url: str, *, http_port: int = 0, grpc_port: int = 0,
                 env: Mapping[str, str] | None = None) -> None:
        self.database_url = database_url
        self.requested_ports = (http_port, grpc_port)
        self.extra_env = dict(env or {})
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.http_port = 0
        self.grpc_port = 0
        self.process: subprocess.Popen[str] | None = None
        self._started = threading.Event()
        self._pumps: list[threading.Thread] = []
        self.ready_seconds = 0.0

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def traces_url(self) -> str:
        return self.http_base + "/v1/traces"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> CollectorProcess:
        http_port, grpc_port = self.requested_ports
        env = child_environment({
            "MODELMIX_DATABASE_URL": self.database_url, "MODELMIX_OTLP_HOST": "127.0.0.1",
            "MODELMIX_OTLP_HTTP_PORT": str(http_port), "MODELMIX_OTLP_GRPC_PORT": str(grpc_port),
            **self.extra_env,
        })
        began = time.monotonic()
        self.process = subprocess.Popen([sys.executable, "-m", "modelmix", "collector"], env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, errors="replace")
        assert self.process.stdout is not None and self.process.stderr is not None
        self._pumps = [threading.Thread(target=self._pump, args=(self.process.stdout, self.stdout), daemon=True),
                       threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr), daemon=True)]
        for pump in self._pumps:
            pump.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._started.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                for pump in self._pumps:  # the last lines (the reason) may still be in the pipes
                    pump.join(5)
                raise AssertionError(f"the collector did not start:\n{self.output}")
        self._wait_healthy(deadline)
        self.ready_seconds = time.monotonic() - began
        return self

    def _pump(self, stream: IO[str], lines: list[str]) -> None:
        for line in stream:
            lines.append(line)
            found = STARTED.search(line)
            if found:
                self.http_port, self.grpc_port = int(found.group(1)), int(found.group(2))
                self._started.set()

    def _wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.http_base + "/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the collector never reported healthy:\n{self.output}")

    def rss_bytes(self) -> int:
        return int(psutil.Process(self.pid).memory_info().rss)

    def kill(self) -> None:
        """``kill -9``: no flush, no goodbye."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)
        self._join_pumps()

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM and wait; the exit code."""
        assert self.process is not None
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the collector did not stop within {timeout:.0f}s:\n{self.output}") from None
        self._join_pumps()
        return code

    def _join_pumps(self) -> None:
        for pump in self._pumps:
            pump.join(10)

    def restarted(self) -> CollectorProcess:
        """A new process on the same ports and settings (start it yourself)."""
        return CollectorProcess(self.database_url, http_port=self.http_port, grpc_port=self.grpc_port,
                                env=self.extra_env)


def request_counts(http_base: str) -> dict[tuple[str, str], float]:
    """``(transport, status) → requests`` for trace exports, read from the collector's ``/metrics``."""
    from prometheus_client.parser import text_string_to_metric_families

    body = httpx.get(http_base + "/metrics", timeout=10).text
    counts: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(body):
        if family.name != "modelmix_collector_requests":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels.get("signal") == "traces":
                key = (sample.labels["transport"], sample.labels["status"])
                counts[key] = counts.get(key, 0.0) + sample.value
    return counts
