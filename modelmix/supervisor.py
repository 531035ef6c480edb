"""Run modelmix's processes as one supervised group (used by ``modelmix up``).

Each part (collector, assembler, dashboard) is a child process started with the same settings and
the resolved database URL; if one exits unexpectedly the group is stopped, and Ctrl-C / SIGTERM
stops every child and then the embedded PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Part:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None


def modelmix_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "modelmix", *args]


def dashboard_argv(host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--client.toolbarMode", "minimal",
    ]


class Supervisor:
    def __init__(self, parts: list[Part], env: dict[str, str]) -> None:
        self.parts = parts
        self.env = env
        self._stopping = False

    def start(self) -> None:
        for part in self.parts:
            part.process = subprocess.Popen(part.argv, env=self.env, cwd=str(ROOT))

    def wait(self) -> int:
        """Block until a child exits or a signal arrives; return the exit code for the group."""
        def _stop(_signum: int, _frame: object) -> None:
            self._stopping = True

        old_int = signal.signal(signal.SIGINT, _stop)
        old_term = signal.signal(signal.SIGTERM, _stop)
        code = 0
        try:
            while not self._stopping:
                for part in self.parts:
                    assert part.process is not None
                    rc = part.process.poll()
                    if rc is not None:
                        print(f"modelmix: {part.name} exited with code {rc}; stopping", file=sys.stderr)
                        self._stopping = True
                        code = rc or 1
                        break
                time.sleep(0.2)
        finally:
            self.stop()
            signal.signal(signal.SIGINT, old_int)
            signal.signal(signal.SIGTERM, old_term)
        return code

    def stop(self, timeout: float = 10.0) -> None:
        for part in self.parts:
            if part.process and part.process.poll() is None:
                part.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for part in self.parts:
            if part.process is None:
                continue
            try:
                part.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                part.process.kill()
                part.process.wait()


def child_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["MODELMIX_DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    return env
