"""The JSON written into ``attributes`` (jsonb) by the COPY path: compact, non-ASCII kept, U+0000 replaced."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import pytest

from modelmix.db.writes import _dumps


def _reference(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("value", [
    {},
    {"gen_ai.request.max_tokens": 64, "openai.response.service_tier": "default", "ratio": 0.1},
    {"nested": [1, 2.5, None, True, {"text": "ü € 😀"}], "empty": []},
    {"amount": Decimal("1.50"), "big": 10**30, "negative": -3},
])
def test_compact_json_matches_the_standard_library(value: dict[str, Any]) -> None:
    assert _dumps(value) == _reference(value)


def test_bytes_are_hex_and_non_finite_numbers_stay_readable() -> None:
    assert _dumps({"b": b"\x01\xff"}) == '{"b":"01ff"}'
    assert _dumps({"x": math.inf}) == '{"x":Infinity}'  # the decoder turns these into strings first


def test_nul_characters_are_replaced_in_keys_and_values() -> None:
    text = _dumps({"k\x00": ["v\x00", {"in\x00ner": "x"}]})
    assert "\\u0000" not in text
    assert json.loads(text) == {"k\ufffd": ["v\ufffd", {"in\ufffdner": "x"}]}
