"""Importing and exporting overrides: all or nothing, bad rows named by line, garbage rejected."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select

from modelmix.db.models import ModelPriceRow
from modelmix.pricing import (
    PriceBook,
    PriceError,
    PriceOverride,
    export_prices,
    import_prices,
    load_overrides,
    set_price_override,
)

from .helpers import at

HEADER = "provider,model,match,valid_from,valid_until,input_per_mtok,cache_read_per_mtok,output_per_mtok,note\n"
GOOD_CSV = HEADER + (
    "openai,gpt-4o,exact,2026-01-01,,2.00,1.00,8.00,negotiated\n"
    ",claude-*,pattern,2026-02-01T00:00:00Z,2026-03-01T00:00:00Z,1,,2,\n"
    "acme,Acme-Large,exact,2026-01-01T12:00:00+02:00,,$0.50,,1.5,\"with, comma\"\n"
)


def count_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ModelPriceRow)).scalar_one())


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_csv_import_stores_every_row_and_skips_them_on_reimport(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "prices.csv", GOOD_CSV)
    result = import_prices(engine, path)
    assert (result.inserted, result.skipped, len(result.ids)) == (3, 0, 3)
    stored = load_overrides(engine)
    assert [(o.provider, o.model, o.match_kind) for o in stored] == [
        ("openai", "gpt-4o", "exact"), (None, "claude-*", "pattern"), ("acme", "acme-large", "exact")]
    assert stored[0].valid_from == at("2026-01-01T00:00")
    assert stored[0].cache_read_per_mtok == Decimal("1.00") and stored[0].note == "negotiated"
    assert stored[1].valid_until == at("2026-03-01T00:00") and stored[1].cache_read_per_mtok is None
    assert stored[2].valid_from == at("2026-01-01T10:00")  # +02:00 stored as UTC
    assert stored[2].input_per_mtok == Decimal("0.5") and stored[2].note == "with, comma"
    again = import_prices(engine, path)
    assert (again.inserted, again.skipped) == (0, 3)
    assert count_rows(engine) == 3


def test_export_then_import_round_trips(engine: Engine, db_url: str, tmp_path: Path) -> None:
    import_prices(engine, write(tmp_path, "prices.csv", GOOD_CSV))
    set_price_override(engine, PriceOverride(model="o3", input_per_mtok=Decimal("2.12345678"),
                                             output_per_mtok=Decimal(8), reasoning_per_mtok=Decimal(9),
                                             cache_write_per_mtok=Decimal("0.1"), valid_from=at("2026-05-05T05:05")))
    before = load_overrides(engine)
    for fmt in ("csv", "json"):
        text = export_prices(engine, fmt)
        with engine.begin() as conn:
            conn.execute(delete(ModelPriceRow))
        result = import_prices(engine, write(tmp_path, f"export.{fmt}", text))
        assert result.inserted == len(before)
        after = load_overrides(engine)
        assert [a.same_price(b) and a.note == b.note for a, b in zip(after, before, strict=True)] == [True] * len(before)


def test_json_import_with_numbers_and_strings(engine: Engine, tmp_path: Path) -> None:
    content = json.dumps([
        {"model": "gpt-4o", "input_per_mtok": 2.5, "output_per_mtok": "10", "valid_from": "2026-01-01"},
        {"model": "gpt-4o-mini", "provider": "openai", "input_per_mtok": 0.15, "output_per_mtok": 0.6,
         "cache_read_per_mtok": None, "valid_from": "2026-01-01T00:00:00Z"},
    ])
    assert import_prices(engine, write(tmp_path, "p.json", content)).inserted == 2
    book = PriceBook.load(engine)
    rate = book.rate("openai", "gpt-4o-mini", at("2026-06-01T00:00"))
    assert rate is not None and rate.input.base == Decimal("0.15") and rate.output.base == Decimal("0.6")


def test_missing_valid_from_means_from_import_time(engine: Engine, tmp_path: Path) -> None:
    import_prices(engine, write(tmp_path, "p.csv", "model,input_per_mtok,output_per_mtok\nmy-model,1,2\n"))
    (stored,) = load_overrides(engine)
    assert stored.valid_from > at("2026-01-01T00:00")


GARBAGE = [
    ("more values than columns", "p.csv", HEADER + "openai,gpt-4o,exact,2026-01-01,,2,1,8,note,EXTRA\n", "line 2"),
    ("negative price", "p.csv", GOOD_CSV + "openai,gpt-5,exact,2026-01-01,,-2,,8,\n", "line 5: input_per_mtok"),
    ("until before from", "p.csv", GOOD_CSV + "openai,gpt-5,exact,2026-02-01,2026-01-01,2,,8,\n", "line 5: valid_until"),
    ("unknown column", "p.csv", "model,input_per_mtok,output_per_mtok,discount\ngpt-4o,1,2,0.1\n",
     "line 2: unknown column 'discount'"),
    ("not a number", "p.csv", HEADER + "openai,gpt-4o,exact,2026-01-01,,two,,8,\n", "line 2: input_per_mtok"),
    ("bad date", "p.csv", HEADER + "openai,gpt-4o,exact,01/02/2026,,2,,8,\n", "line 2: valid_from"),
    ("missing output price", "p.csv", "model,input_per_mtok\ngpt-4o,1\n", "line 2: output_per_mtok"),
    ("wildcard in exact match", "p.csv", "model,input_per_mtok,output_per_mtok\ngpt-*,1,2\n", "line 2: model"),
    ("bad match kind", "p.csv", "model,match,input_per_mtok,output_per_mtok\ngpt-4o,like,1,2\n", "line 2: match"),
    ("repeated header", "p.csv", "model,model,input_per_mtok,output_per_mtok\na,b,1,2\n", "line 1"),
    ("header only", "p.csv", HEADER, "no price rows"),
    ("empty file", "p.csv", "", "line 1: no header row"),
    ("not utf-8", "p.csv", b"model,input_per_mtok,output_per_mtok\n\xff\xfe\xfa,1,2\n", "not UTF-8"),
    ("binary junk", "p.csv", bytes(range(256)) * 4, "not UTF-8"),
    ("sql in a price", "p.csv", "model,input_per_mtok,output_per_mtok\ngpt-4o,1; DROP TABLE model_prices,2\n",
     "line 2: input_per_mtok"),
    ("invalid json", "p.json", '[{"model": "gpt-4o",\n "input_per_mtok": }]', "line 2: not valid JSON"),
    ("json object, not list", "p.json", '{"model": "gpt-4o"}', "must be a list"),
    ("json item not an object", "p.json", '[\n{"model": "a", "input_per_mtok": 1, "output_per_mtok": 2},\n 42\n]',
     "line 3: each item must be an object"),
    ("json bad value type", "p.json", '[\n {"model": ["gpt-4o"], "input_per_mtok": 1, "output_per_mtok": 2}\n]',
     "line 2: model"),
    ("json boolean price", "p.json", '[{"model": "m", "input_per_mtok": true, "output_per_mtok": 2}]',
     "line 1: input_per_mtok"),
]


@pytest.mark.parametrize(("name", "content", "message"), [g[1:] for g in GARBAGE], ids=[g[0] for g in GARBAGE])
def test_garbage_import_names_the_problem_and_stores_nothing(engine: Engine, tmp_path: Path, name: str,
                                                             content: str | bytes, message: str) -> None:
    existing = set_price_override(engine, PriceOverride(model="kept", input_per_mtok=Decimal(1),
                                                        output_per_mtok=Decimal(1), valid_from=at("2026-01-01T00:00")))
    with pytest.raises(PriceError) as error:
        import_prices(engine, write(tmp_path, name, content))
    assert message in str(error.value)
    assert [o.id for o in load_overrides(engine)] == [existing]  # nothing added, nothing lost


def test_sql_metacharacters_in_imported_names_are_stored_as_data(engine: Engine, tmp_path: Path) -> None:
    content = ("model,provider,input_per_mtok,output_per_mtok,note\n"
               "\"x'); DELETE FROM model_prices; --\",\"o'reilly\",1,2,\"'; DROP TABLE llm_calls; --\"\n"
               "100%_model,,1,2,\n")
    assert import_prices(engine, write(tmp_path, "p.csv", content)).inserted == 2
    stored = load_overrides(engine)
    assert [o.model for o in stored] == ["x'); delete from model_prices; --", "100%_model"]
    assert stored[0].provider == "o'reilly" and stored[0].note == "'; DROP TABLE llm_calls; --"
    book = PriceBook.load(engine)
    assert book.rate("o'reilly", "x'); DELETE FROM model_prices; --", at("2026-12-01T00:00")) is not None
    assert book.rate(None, "100xmodel", at("2026-12-01T00:00")) is None


def test_missing_file_and_bad_format_are_price_errors(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(PriceError, match="cannot read"):
        import_prices(engine, tmp_path / "absent.csv")
    with pytest.raises(PriceError, match="format"):
        import_prices(engine, write(tmp_path, "p.csv", GOOD_CSV), "xml")
    with pytest.raises(PriceError, match="format"):
        export_prices(engine, "xml")
