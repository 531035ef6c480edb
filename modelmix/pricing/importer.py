"""Import and export price overrides as CSV or JSON, all or nothing.

Both formats carry the same columns (see ``COLUMNS``); ``model``, ``input_per_mtok`` and
``output_per_mtok`` are required, an empty ``valid_from`` means "from the moment of import", an
empty ``provider`` means any provider, and ``id`` (written by export) is ignored on import. JSON
is a list of objects. Every row is parsed and validated before anything is written; the first bad
row raises ``PriceError`` naming its line and field, and then nothing is stored. Rows identical
to a stored override (or to an earlier row of the file) are skipped, so re-importing an export is
harmless.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from modelmix.pricing.overrides import (
    MATCH_EXACT,
    PriceError,
    PriceOverride,
    insert_override,
    read_overrides,
)

COLUMNS = ("id", "provider", "model", "match", "valid_from", "valid_until", "input_per_mtok",
           "cache_read_per_mtok", "cache_write_per_mtok", "output_per_mtok", "reasoning_per_mtok", "note")
_ALIASES = {"model_pattern": "model", "match_kind": "match"}
_PRICE_FIELDS = ("input_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok", "output_per_mtok",
                 "reasoning_per_mtok")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class ImportResult:
    inserted: int
    skipped: int  # rows identical to a stored override or an earlier row
    ids: tuple[int, ...]


def import_prices(engine: Engine, path: str | Path, file_format: str | None = None) -> ImportResult:
    """Validate every row of ``path`` (CSV or JSON), then store them in one transaction."""
    overrides = parse_prices_file(path, file_format)
    with engine.begin() as conn:
        conn.execute(text("LOCK TABLE model_prices IN SHARE ROW EXCLUSIVE MODE"))
        known = read_overrides(conn)
        ids: list[int] = []
        skipped = 0
        for override in overrides:
            if any(override.same_price(other) for other in known):
                skipped += 1
                continue
            ids.append(insert_override(conn, override))
            known.append(override)
    return ImportResult(inserted=len(ids), skipped=skipped, ids=tuple(ids))


def parse_prices_file(path: str | Path, file_format: str | None = None) -> list[PriceOverride]:
    """Every row of the file as a validated override; ``PriceError`` names the first bad line."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PriceError(f"{file}: {size} bytes is larger than the {MAX_FILE_BYTES} byte limit")
        raw = file.read_bytes()
    except OSError as exc:
        raise PriceError(f"{file}: cannot read ({exc.strerror or exc})") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PriceError(f"{file}: not UTF-8 text") from None
    kind = (file_format or _format_from_name(file, content)).lower()
    if kind not in ("csv", "json"):
        raise PriceError(f"format: must be csv or json, not {kind!r}")
    rows = _csv_rows(content) if kind == "csv" else _json_rows(content)
    if not rows:
        raise PriceError(f"{file}: no price rows")
    now = datetime.now(UTC)
    overrides = []
    for line, fields in rows:
        try:
            overrides.append(override_from_fields(fields, default_from=now))
        except PriceError as exc:
            raise PriceError(f"line {line}: {exc}") from None
    return overrides


def override_from_fields(fields: Mapping[str, Any], *, default_from: datetime) -> PriceOverride:
    """Build a validated override from text/number fields named as in ``COLUMNS``."""
    values = {_ALIASES.get(key, key): value for key, value in fields.items()}
    unknown = sorted(key for key in values if key not in COLUMNS)
    if unknown:
        raise PriceError(f"unknown column {unknown[0]!r} (known: {', '.join(COLUMNS)})")
    prices = {name: parse_price(name, values.get(name)) for name in _PRICE_FIELDS}
    return PriceOverride(
        provider=_text("provider", values.get("provider")),
        model=_text("model", values.get("model")) or "",
        match_kind=(_text("match", values.get("match")) or MATCH_EXACT).lower(),
        valid_from=parse_time("valid_from", values.get("valid_from")) or default_from,
        valid_until=parse_time("valid_until", values.get("valid_until")),
        note=_text("note", values.get("note")),
        input_per_mtok=prices["input_per_mtok"],  # type: ignore[arg-type]  # validated() rejects None
        output_per_mtok=prices["output_per_mtok"],  # type: ignore[arg-type]
        cache_read_per_mtok=prices["cache_read_per_mtok"],
        cache_write_per_mtok=prices["cache_write_per_mtok"],
        reasoning_per_mtok=prices["reasoning_per_mtok"],
    ).validated()


def export_prices(engine: Engine, file_format: str = "csv") -> str:
    """Every stored override as CSV or JSON text that ``import_prices`` reads back."""
    with engine.connect() as conn:
        overrides = read_overrides(conn)
    rows = [_export_row(o) for o in overrides]
    if file_format == "json":
        return json.dumps(rows, indent=2) + "\n"
    if file_format != "csv":
        raise PriceError(f"format: must be csv or json, not {file_format!r}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def parse_price(field: str, value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise PriceError(f"{field}: must be a number, not {value!r}")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if not isinstance(value, str):
        raise PriceError(f"{field}: must be a number, not {type(value).__name__}")
    try:
        return Decimal(value.strip().removeprefix("$"))
    except InvalidOperation:
        raise PriceError(f"{field}: not a number: {value.strip()[:40]!r}") from None


def parse_time(field: str, value: Any) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise PriceError(f"{field}: must be an ISO 8601 date or date-time, not {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise PriceError(f"{field}: not an ISO 8601 date or date-time: {value.strip()[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(field: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PriceError(f"{field}: must be text, not {type(value).__name__}")
    return value.strip() or None


def _format_from_name(file: Path, content: str) -> str:
    suffix = file.suffix.lower().lstrip(".")
    if suffix in ("csv", "json"):
        return suffix
    return "json" if content.lstrip().startswith("[") else "csv"


def _csv_rows(content: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(content, newline=""), restkey="\0extra")
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        header = reader.fieldnames
        if not header:
            raise PriceError("line 1: no header row")
        cleaned = [(name or "").strip().lower() for name in header]
        if len(set(cleaned)) != len(cleaned) or "" in cleaned:
            raise PriceError("line 1: header has empty or repeated column names")
        reader.fieldnames = cleaned
        for row in reader:
            if "\0extra" in row:
                raise PriceError(f"line {reader.line_num}: more values than columns")
            rows.append((reader.line_num, row))
            if len(rows) > MAX_ROWS:
                raise PriceError(f"more than {MAX_ROWS} rows")
    except csv.Error as exc:
        raise PriceError(f"line {reader.line_num}: not valid CSV ({exc})") from None
    return rows


def _json_rows(content: str) -> list[tuple[int, dict[str, Any]]]:
    """Items of a top-level JSON array, each with the line it starts on."""
    try:
        json.loads(content)
    except json.JSONDecodeError as exc:
        raise PriceError(f"line {exc.lineno}: not valid JSON ({exc.msg})") from None
    decoder = json.JSONDecoder(parse_float=Decimal)
    pos = _skip_space(content, 0)
    if not content.startswith("[", pos):
        raise PriceError("line 1: JSON must be a list of price objects")
    rows: list[tuple[int, dict[str, Any]]] = []
    pos = _skip_space(content, pos + 1)
    while not content.startswith("]", pos):
        line = content.count("\n", 0, pos) + 1
        item, pos = decoder.raw_decode(content, pos)
        if not isinstance(item, dict):
            raise PriceError(f"line {line}: each item must be an object, not {type(item).__name__}")
        rows.append((line, item))
        if len(rows) > MAX_ROWS:
            raise PriceError(f"more than {MAX_ROWS} rows")
        pos = _skip_space(content, pos)
        if content.startswith(",", pos):
            pos = _skip_space(content, pos + 1)
    return rows


def _skip_space(content: str, pos: int) -> int:
    while pos < len(content) and content[pos] in " \t\r\n":
        pos += 1
    return pos


def _export_row(override: PriceOverride) -> dict[str, Any]:
    def money(value: Decimal | None) -> str | None:
        return None if value is None else format(value.normalize(), "f")

    return {
        "id": override.id,
        "provider": override.provider,
        "model": override.model,
        "match": override.match_kind,
        "valid_from": override.valid_from.isoformat(),
        "valid_until": override.valid_until.isoformat() if override.valid_until else None,
        "input_per_mtok": money(override.input_per_mtok),
        "cache_read_per_mtok": money(override.cache_read_per_mtok),
        "cache_write_per_mtok": money(override.cache_write_per_mtok),
        "output_per_mtok": money(override.output_per_mtok),
        "reasoning_per_mtok": money(override.reasoning_per_mtok),
        "note": override.note,
    }
