"""Reading OTLP ``AnyValue``s: JSON-safe conversion and lenient typed readers.

Instrumentations disagree on value types (a token count arrives as ``intValue``, ``doubleValue``
or a numeric string), so every typed reader here is lenient and answers ``None`` for anything it
cannot use. Readers that reject a present-but-unusable value return ``INVALID`` instead, so the
caller can note the problem in the call's attributes rather than lose it silently.

Every reader takes either an ``AnyValue`` or its *plain* form (``plain``): the Python scalar of a
string, int, double or bool value, ``None`` when unset, and the ``AnyValue`` itself for arrays,
key-value lists and bytes. The span reader converts each attribute value once into its plain form,
so the readers' common case is a class check on a Python scalar rather than protobuf accessors.
"""

from __future__ import annotations

import base64
import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any, Final

MAX_TOKEN_COUNT: Final = 10**12  # anything larger is not a real count
MAX_MONEY_USD: Final = 10**9  # a reported cost above this is not a real cost (and overflows NUMERIC(20, 10))
MAX_NESTING: Final = 8  # nesting kept in JSON-safe attribute values
MAX_ELEMENTS: Final = 1000  # elements kept per array / kvlist in attribute values


class _Invalid:
    """Marker for a value that is present but unusable (negative, NaN, absurd, wrong type)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Final = _Invalid()
TOO_LARGE: Final = "[value too large]"
SCALARS: Final = frozenset({str, int, float, bool})


def plain(value: Any) -> Any:
    """The plain form of an ``AnyValue``: its Python scalar, ``None`` when unset, else the value itself."""
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return value.int_value
    if which == "double_value":
        return value.double_value
    if which == "bool_value":
        return value.bool_value
    if which is None:
        return None
    return value  # array, kvlist, bytes: read through the AnyValue when needed


def to_python(value: Any, depth: int = 0) -> Any:
    """An ``AnyValue`` (or its plain form) as a JSON-safe Python value (``None`` when unset).

    Non-finite doubles become strings (JSON and JSONB have no NaN), bytes become base64, and
    arrays / kvlists nested deeper than ``MAX_NESTING`` or longer than ``MAX_ELEMENTS`` are
    replaced by ``TOO_LARGE``.
    """
    kind = value.__class__
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else str(value)
    which = value.WhichOneof("value")
    if which == "string_value":
        return value.string_value
    if which == "int_value":
        return value.int_value
    if which == "bool_value":
        return value.bool_value
    if which == "double_value":
        number = value.double_value
        return number if math.isfinite(number) else str(number)
    if which == "array_value":
        items = value.array_value.values
        if depth >= MAX_NESTING or len(items) > MAX_ELEMENTS:
            return TOO_LARGE
        return [to_python(item, depth + 1) for item in items]
    if which == "kvlist_value":
        entries = value.kvlist_value.values
        if depth >= MAX_NESTING or len(entries) > MAX_ELEMENTS:
            return TOO_LARGE
        return {entry.key: to_python(entry.value, depth + 1) for entry in entries}
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None


def read_str(value: Any) -> str | None:
    """A non-empty string (numbers are accepted and written out); else ``None``."""
    kind = value.__class__
    if kind is str:
        return value.strip() or None
    if kind is int:
        return str(value)
    if kind is float:
        return repr(value) if math.isfinite(value) else None
    if kind is bool or value is None:
        return None
    which = value.WhichOneof("value")
    if which == "string_value":
        text = value.string_value.strip()
        return text or None
    if which == "int_value":
        return str(value.int_value)
    if which == "double_value" and math.isfinite(value.double_value):
        return repr(value.double_value)
    return None


def read_first_str(value: Any) -> str | None:
    """The first string of an array (or of a JSON-array string), or the string itself."""
    if value.__class__ in SCALARS or value is None:
        which = None
    else:
        which = value.WhichOneof("value")
    if which == "array_value":
        for item in value.array_value.values:
            string = item.string_value  # non-empty only for a string item: skips read_str's type checks
            text = (string.strip() or None) if string else read_str(item)
            if text is not None:
                return text
        return None
    text = read_str(value)
    if text is not None and text.startswith("["):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            return text
        if isinstance(parsed, list):
            first = next((item for item in parsed if isinstance(item, str) and item), None)
            return first
    return text


def read_count(value: Any) -> int | None | _Invalid:
    """A token count: int, integral double or numeric string, 0 ≤ n ≤ 10^12.

    ``None`` when the value is unset or empty; ``INVALID`` when present but unusable.
    """
    kind = value.__class__
    if kind is int:
        return value if 0 <= value <= MAX_TOKEN_COUNT else INVALID
    if kind is str:
        text = value.strip()
        return _count_from_text(text) if text else None
    if kind is float:
        return _checked_count(round(value)) if math.isfinite(value) else INVALID
    if value is None:
        return None
    if kind is bool:
        return INVALID
    which = value.WhichOneof("value")
    if which == "int_value":
        return _checked_count(value.int_value)
    if which == "double_value":
        number = value.double_value
        if not math.isfinite(number):
            return INVALID
        return _checked_count(round(number))
    if which == "string_value":
        text = value.string_value.strip()
        if not text:
            return None
        return _count_from_text(text)
    if which is None:
        return None
    return INVALID


def _count_from_text(text: str) -> int | _Invalid:
    if len(text) > 40 or not text.isascii():
        return INVALID
    try:
        return _checked_count(int(text))
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return INVALID
    return _checked_count(round(number)) if math.isfinite(number) else INVALID


def _checked_count(number: int) -> int | _Invalid:
    return number if 0 <= number <= MAX_TOKEN_COUNT else INVALID


def read_bool(value: Any) -> bool | None:
    """A boolean from ``boolValue``, "true"/"false"-like strings or 0/1 integers."""
    kind = value.__class__
    if kind is bool:
        return value
    if kind is str:
        return _BOOL_WORDS.get(value.strip().lower())
    if kind is int:
        return value == 1 if value in (0, 1) else None
    if kind is float or value is None:
        return None
    which = value.WhichOneof("value")
    if which == "bool_value":
        return bool(value.bool_value)
    if which == "string_value":
        return _BOOL_WORDS.get(value.string_value.strip().lower())
    if which == "int_value" and value.int_value in (0, 1):
        return bool(value.int_value == 1)
    return None


_BOOL_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def read_money(value: Any) -> Decimal | None | _Invalid:
    """A non-negative USD amount as ``Decimal`` (doubles go through their shortest repr)."""
    kind = value.__class__
    if kind is float:
        if not math.isfinite(value) or value < 0 or value > MAX_MONEY_USD:
            return INVALID
        return Decimal(repr(value))
    if kind is int:
        return Decimal(value) if 0 <= value <= MAX_MONEY_USD else INVALID
    if kind is str:
        return money_from_text(value)
    if value is None:
        return None
    if kind is bool:
        return INVALID
    which = value.WhichOneof("value")
    if which == "double_value":
        number = value.double_value
        if not math.isfinite(number) or number < 0 or number > MAX_MONEY_USD:
            return INVALID
        return Decimal(repr(number))
    if which == "int_value":
        return Decimal(value.int_value) if 0 <= value.int_value <= MAX_MONEY_USD else INVALID
    if which == "string_value":
        return money_from_text(value.string_value)
    if which is None:
        return None
    return INVALID


def money_from_text(text: str) -> Decimal | None | _Invalid:
    text = text.strip()
    if not text:
        return None
    if len(text) > 60:
        return INVALID
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return INVALID
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY_USD:
        return INVALID
    return amount


def json_object(text: str | None, limit: int = 1 << 16) -> dict[str, Any] | None:
    """Parse a JSON object held in a string attribute (``None`` when it is not one)."""
    if not text or len(text) > limit or not text.lstrip().startswith("{"):
        return None
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return parsed if isinstance(parsed, dict) else None
