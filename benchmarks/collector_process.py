"""The collector under test as its own process (``python -m modelmix collector``), and what it costs.

``CollectorProcess`` starts the real command on free ports against the benchmark database, reads
the endpoints it prints, and stops it with SIGTERM (its clean shutdown writes what is queued).
``ResourceMonitor`` samples the process tree (the collector and any worker processes it starts)
for peak RSS while a measurement runs; ``cpu_seconds`` reads user + system CPU of a set of
processes, which is how the collector's own CPU and its PostgreSQL backends' CPU are reported.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable

import psutil
import psycopg

from modelmix.db.engine import libpq_url

_STARTED = re.compile(r"OTLP/HTTP (http://\S+)/v1/traces, OTLP/gRPC (\S+),")
WRITER_APPLICATION = "modelmix-collector"


class CollectorProcess:
    def __init__(self, database_url: str, *, extra_env: dict[str, str] | None = None,
                 source_dir: str | None = None) -> None:
        self.database_url = database_url
        self.extra_env = extra_env or {}
        self.source_dir = source_dir  # run the collector code of another checkout (a before/after run)
        self.process: subprocess.Popen[str] | None = None
        self.http_url = ""
        self.grpc_target = ""
        self.output: list[str] = []

    def __enter__(self) -> CollectorProcess:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def http_target(self) -> str:
        return self.http_url.removeprefix("http://")

    def start(self, timeout: float = 90.0) -> None:
        env = {**os.environ, "MODELMIX_DATABASE_URL": self.database_url, "MODELMIX_OTLP_HOST": "127.0.0.1",
               "MODELMIX_OTLP_HTTP_PORT": "0", "MODELMIX_OTLP_GRPC_PORT": "0", "PYTHONUNBUFFERED": "1",
               "MODELMIX_LOG_LEVEL": "WARNING", **self.extra_env}
        if self.source_dir:
            env["PYTHONPATH"] = self.source_dir
        self.process = subprocess.Popen([sys.executable, "-m", "modelmix", "collector"], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        cwd=self.source_dir)
        ready = threading.Event()

        def pump() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                if len(self.output) < 500:
                    self.output.append(line.rstrip())
                match = _STARTED.search(line)
                if match and not ready.is_set():
                    self.http_url, self.grpc_target = match.group(1), match.group(2)
                    ready.set()
            ready.set()

        threading.Thread(target=pump, name="collector-output", daemon=True).start()
        if not ready.wait(timeout) or not self.http_url:
            self.stop()
            raise RuntimeError("the collector did not start:\n" + "\n".join(self.output[-30:]))

    def stop(self, timeout: float = 60.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        code = self.process.returncode
        self.process = None
        return code

    def tree(self) -> list[psutil.Process]:
        """The collector process and its descendants (worker processes), as far as they still run."""
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def backend_pids(self) -> list[int]:
        """PostgreSQL server processes serving the collector's writer connections."""
        with psycopg.connect(libpq_url(self.database_url), autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                                "AND datname = current_database()", (WRITER_APPLICATION,)).fetchall()
        return [int(r[0]) for r in rows]


def cpu_seconds(processes: Iterable[psutil.Process | int]) -> float:
    """User + system CPU seconds used so far by these processes (gone ones count as 0)."""
    total = 0.0
    for item in processes:
        try:
            times = (item if isinstance(item, psutil.Process) else psutil.Process(item)).cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += times.user + times.system
    return total


class ResourceMonitor:
    """Samples the summed RSS of a collector's process tree in the background; keeps the peak."""

    def __init__(self, collector: CollectorProcess, interval_s: float = 0.2) -> None:
        self._collector = collector
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.peak_rss_bytes = 0

    def __enter__(self) -> ResourceMonitor:
        self._thread = threading.Thread(target=self._run, name="rss-monitor", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for process in self._collector.tree():
                try:
                    total += process.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            self.peak_rss_bytes = max(self.peak_rss_bytes, total)
            time.sleep(self._interval)
