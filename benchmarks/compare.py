"""``python -m benchmarks.compare NEW.json [--baseline benchmarks/results/baseline.json]``.

Compares the headline metrics of a new benchmark run with a recorded one, metric by metric, as a
ratio (new / baseline), and flags every metric that moved in its bad direction by more than the
threshold (default 20%): throughput down, latency / CPU / bytes up. These machines are noisy, so a
single flagged metric is a prompt to re-run, not a verdict. Exit code 1 when anything is flagged
(so CI can use it), 2 when a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.tables import table

DEFAULT_BASELINE = Path(__file__).resolve().parent / "results" / "baseline.json"
DEFAULT_THRESHOLD = 0.20


class RunFileError(ValueError):
    """A run file that is missing, not JSON, or has no metrics."""


@dataclass(frozen=True)
class Change:
    metric: str
    unit: str
    better: str
    baseline: float | None
    new: float | None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.new is None or self.baseline == 0:
            return None
        return self.new / self.baseline

    def regressed(self, threshold: float) -> bool:
        ratio = self.ratio
        if ratio is None:
            return False
        if self.better == "higher":
            return ratio < 1.0 - threshold
        return ratio > 1.0 + threshold


def load_metrics(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise RunFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise RunFileError(f"{path} is not JSON: {exc}") from None
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict) or not metrics:
        raise RunFileError(f"{path} has no benchmark metrics (expected a run saved by python -m benchmarks)")
    return metrics


def _number(entry: Any) -> float | None:
    value = entry.get("value") if isinstance(entry, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def compare(baseline: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[Change]:
    """One ``Change`` per metric present in either run (a missing side is ``None``)."""
    changes = []
    for name in sorted(set(baseline) | set(new)):
        meta = new.get(name) or baseline.get(name) or {}
        better = meta.get("better") if meta.get("better") in ("higher", "lower") else "lower"
        changes.append(Change(name, str(meta.get("unit", "")), str(better), _number(baseline.get(name)),
                              _number(new.get(name))))
    return changes


def render(changes: list[Change], threshold: float) -> str:
    """The comparison table; metrics the new run lacks (a partial run) are counted, not listed."""
    rows = []
    missing = 0
    for c in changes:
        if c.new is None:
            missing += 1
            continue
        status = "REGRESSED" if c.regressed(threshold) else "new metric" if c.baseline is None else "ok"
        rows.append([c.metric, c.unit, c.better, c.baseline, c.new, c.ratio, status])
    text = table(["metric", "unit", "better", "baseline", "new", "new/baseline", "status"], rows)
    if missing:
        text += f"\n({missing} baseline metrics are not in the new run)"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("new", type=Path, help="a run saved by python -m benchmarks")
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help="flag changes beyond this fraction in the bad direction (default 0.20)")
    args = parser.parse_args(argv)
    if not 0 < args.threshold < 10:
        parser.error("--threshold must be a fraction such as 0.2")
    try:
        baseline, new = load_metrics(args.baseline), load_metrics(args.new)
    except RunFileError as exc:
        print(f"benchmarks.compare: {exc}", file=sys.stderr)
        return 2
    changes = compare(baseline, new)
    print(render(changes, args.threshold))
    flagged = [c for c in changes if c.regressed(args.threshold)]
    if flagged:
        print(f"\n{len(flagged)} metric(s) regressed by more than {args.threshold:.0%}: "
              + ", ".join(c.metric for c in flagged))
        return 1
    print(f"\nno metric regressed by more than {args.threshold:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
