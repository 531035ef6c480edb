"""Recorded OTLP fixtures and their ground truth, shared by the test suites.

Each fixture directory under ``FIXTURES_DIR`` (``/work/shared/fixtures/otlp/<name>/``) holds the
OTLP/JSON export bodies an instrumented acceptance app sent (``traces-*.json``, one request per
file) and ``ground_truth_<name>.json``: what the app really did (every call, its served model and
token counts, per-model and per-task totals).

    from tests.otlp_fixtures import fixture_names, load_fixture
    fixture = load_fixture("openai-v2")
    for body in fixture.bodies: ...
    fixture.ground_truth["totals"]["calls"]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES_DIR = REPO_ROOT.parent / "shared" / "fixtures" / "otlp"


@dataclass(frozen=True)
class OtlpFixture:
    name: str
    trace_files: tuple[Path, ...]
    bodies: tuple[bytes, ...]  # raw OTLP/JSON request bodies, in file order
    ground_truth: dict[str, Any]

    @property
    def window_start(self) -> datetime:
        return _parse_time(self.ground_truth["window"]["since"])

    @property
    def window_end(self) -> datetime:
        return _parse_time(self.ground_truth["window"]["until"])

    @property
    def served_model_of_requested(self) -> dict[str, str]:
        """Requested model id → the served (response) model id the ground truth groups it under."""
        mapping: dict[str, str] = {}
        for model in self.ground_truth["models"]:
            for requested in model.get("requested_models", []):
                mapping[requested] = model["model"]
        return mapping

    @property
    def models(self) -> dict[str, dict[str, Any]]:
        """Ground-truth per-model totals keyed by the served model id."""
        return {model["model"]: model for model in self.ground_truth["models"]}

    @property
    def cached_tokens_visible(self) -> bool:
        """Whether the instrumentation exports cached-token counts at all."""
        return bool(self.ground_truth["exported_spans"]["cached_tokens_visible"])


def fixture_names() -> list[str]:
    """Names of the fixture directories that have both traces and a ground truth."""
    if not FIXTURES_DIR.is_dir():
        return []
    return sorted(
        path.name
        for path in FIXTURES_DIR.iterdir()
        if path.is_dir() and any(path.glob("traces-*.json")) and any(path.glob("ground_truth_*.json"))
    )


@cache
def load_fixture(name: str) -> OtlpFixture:
    directory = FIXTURES_DIR / name
    files = tuple(sorted(directory.glob("traces-*.json")))
    if not files:
        raise FileNotFoundError(f"no traces-*.json under {directory}")
    truth_path = directory / f"ground_truth_{name}.json"
    ground_truth = json.loads(truth_path.read_text(encoding="utf-8"))
    return OtlpFixture(name, files, tuple(path.read_bytes() for path in files), ground_truth)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
