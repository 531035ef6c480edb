"""Figures the reliability tests measure, printed as they are recorded and summed up after the run.

``FigureBook.record(test, **values)`` prints one ``FIGURES <test>: key=value ...`` line (visible with
``-s``) and keeps the row; the conftest prints every row in the terminal summary, and appends them as
JSON lines to the file named by ``MODELMIX_FIGURES_FILE`` when it is set (docs/reliability.md records
one such run).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FIGURES_FILE_VARIABLE = "MODELMIX_FIGURES_FILE"


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


@dataclass
class FigureBook:
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def record(self, test: str, **values: Any) -> str:
        line = f"FIGURES {test}: " + " ".join(f"{k}={_shown(v)}" for k, v in values.items())
        print(line, flush=True)
        self.rows.append((test, values))
        path = os.environ.get(FIGURES_FILE_VARIABLE)
        if path:
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps({"test": test, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                                      **values}, default=str) + "\n")
        return line

    def lines(self) -> list[str]:
        return [f"{test}: " + " ".join(f"{k}={_shown(v)}" for k, v in values.items())
                for test, values in self.rows]


BOOK = FigureBook()
