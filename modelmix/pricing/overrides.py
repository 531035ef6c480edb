"""Operator price overrides: effective-dated rows in ``model_prices``, validated before storage.

An override names a provider (or any provider), a model (an exact id, or a glob pattern with
``*``/``?``/``[…]``, matched in Python so SQL metacharacters are only data), a validity window
``[valid_from, valid_until)`` and prices in USD per million tokens. Rows are never edited: a
new price is a new row, and among overlapping rows the most specific, then the latest-starting,
wins (see ``PriceBook``). ``PriceError`` names the field that is wrong.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Connection, Engine, delete, insert, select

from modelmix.db.models import ModelPriceRow
from modelmix.pricing.rates import Rate, TieredPrice

MATCH_EXACT = "exact"
MATCH_PATTERN = "pattern"
MAX_PRICE_PER_MTOK = Decimal(100_000)
PRICE_DECIMALS = 8  # model_prices rate columns are NUMERIC(20, 8)
_WILDCARDS = set("*?[")


class PriceError(ValueError):
    """A price override (or a file of them) is not valid; the message names the field."""


@dataclass(frozen=True, slots=True)
class PriceOverride:
    model: str  # exact model id, or a glob pattern when match_kind == "pattern"
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    valid_from: datetime
    provider: str | None = None  # None: any provider
    match_kind: str = MATCH_EXACT
    valid_until: datetime | None = None  # None: until further notice
    cache_read_per_mtok: Decimal | None = None  # None: cache reads billed at the input price
    cache_write_per_mtok: Decimal | None = None  # None: cache writes billed at the input price
    reasoning_per_mtok: Decimal | None = None  # None: reasoning billed at the output price
    note: str | None = None
    id: int | None = None  # model_prices.id once stored

    @property
    def source(self) -> str:
        return f"override:{self.id}"

    def validated(self) -> PriceOverride:
        """A normalized copy (lower-cased names, UTC times), or ``PriceError`` naming the field."""
        model = _name("model", self.model, 300)
        if model is None:
            raise PriceError("model: must not be empty")
        if self.match_kind not in (MATCH_EXACT, MATCH_PATTERN):
            raise PriceError(f"match: must be 'exact' or 'pattern', not {self.match_kind!r}")
        if self.match_kind == MATCH_EXACT and _WILDCARDS & set(model):
            raise PriceError(f"model: {model!r} contains a wildcard; use match 'pattern' for patterns")
        valid_from = _utc("valid_from", self.valid_from)
        valid_until = None if self.valid_until is None else _utc("valid_until", self.valid_until)
        if valid_until is not None and valid_until <= valid_from:
            raise PriceError(f"valid_until: {valid_until.isoformat()} must be after valid_from "
                             f"{valid_from.isoformat()}")
        note = self.note.strip() if isinstance(self.note, str) and self.note.strip() else None
        if note is not None and len(note) > 1000:
            raise PriceError("note: longer than 1000 characters")
        return replace(
            self,
            model=model,
            provider=_name("provider", self.provider, 100),
            valid_from=valid_from,
            valid_until=valid_until,
            input_per_mtok=_required_price("input_per_mtok", self.input_per_mtok),
            output_per_mtok=_required_price("output_per_mtok", self.output_per_mtok),
            cache_read_per_mtok=_price("cache_read_per_mtok", self.cache_read_per_mtok),
            cache_write_per_mtok=_price("cache_write_per_mtok", self.cache_write_per_mtok),
            reasoning_per_mtok=_price("reasoning_per_mtok", self.reasoning_per_mtok),
            note=note,
        )

    def to_rate(self, canonical_model: str | None) -> Rate:
        def flat(value: Decimal | None) -> TieredPrice | None:
            return None if value is None else TieredPrice(value)

        return Rate(
            input=TieredPrice(self.input_per_mtok),
            output=TieredPrice(self.output_per_mtok),
            cache_read=flat(self.cache_read_per_mtok),
            cache_write=flat(self.cache_write_per_mtok),
            reasoning=flat(self.reasoning_per_mtok),
            source=self.source,
            price_id=self.id,
            canonical_model=canonical_model,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            note=self.note,
        )

    def same_price(self, other: PriceOverride) -> bool:
        """Equal in everything but id and note (used to skip duplicates on import)."""
        skip = {"id", "note"}
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(self) if f.name not in skip)


def insert_override(conn: Connection, override: PriceOverride) -> int:
    """Insert a validated override in the caller's transaction; return its id."""
    row = conn.execute(
        insert(ModelPriceRow)
        .values(
            provider=override.provider,
            model_pattern=override.model,
            match_kind=override.match_kind,
            valid_from=override.valid_from,
            valid_until=override.valid_until,
            input_per_mtok=override.input_per_mtok,
            cache_read_per_mtok=override.cache_read_per_mtok,
            cache_write_per_mtok=override.cache_write_per_mtok,
            output_per_mtok=override.output_per_mtok,
            reasoning_per_mtok=override.reasoning_per_mtok,
            note=override.note,
        )
        .returning(ModelPriceRow.id)
    )
    return int(row.scalar_one())


def set_price_override(engine: Engine, override: PriceOverride) -> int:
    """Validate and store one override; return its id. Existing rows are left as they are."""
    valid = override.validated()
    with engine.begin() as conn:
        return insert_override(conn, valid)


def delete_price_override(engine: Engine, override_id: int) -> bool:
    """Remove one override; False when no row has that id."""
    with engine.begin() as conn:
        result = conn.execute(delete(ModelPriceRow).where(ModelPriceRow.id == override_id))
    return bool(result.rowcount)


def read_overrides(conn: Connection) -> list[PriceOverride]:
    """Every stored override, oldest id first."""
    rows = conn.execute(select(ModelPriceRow.__table__).order_by(ModelPriceRow.id))
    return [
        PriceOverride(
            id=row.id,
            provider=row.provider,
            model=row.model_pattern,
            match_kind=row.match_kind,
            valid_from=row.valid_from.astimezone(UTC),
            valid_until=None if row.valid_until is None else row.valid_until.astimezone(UTC),
            input_per_mtok=row.input_per_mtok,
            cache_read_per_mtok=row.cache_read_per_mtok,
            cache_write_per_mtok=row.cache_write_per_mtok,
            output_per_mtok=row.output_per_mtok,
            reasoning_per_mtok=row.reasoning_per_mtok,
            note=row.note,
        )
        for row in rows
    ]


def load_overrides(engine: Engine) -> list[PriceOverride]:
    with engine.connect() as conn:
        return read_overrides(conn)


def _name(field: str, value: object, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PriceError(f"{field}: must be text, not {type(value).__name__}")
    text = value.strip().lower()
    if not text:
        return None
    if len(text) > limit:
        raise PriceError(f"{field}: longer than {limit} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise PriceError(f"{field}: contains control characters")
    return text


def _utc(field: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise PriceError(f"{field}: must be a date-time, not {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 lies before year 1 in UTC
        raise PriceError(f"{field}: {value.isoformat()} is out of range") from None


def _required_price(field: str, value: object) -> Decimal:
    price = _price(field, value)
    if price is None:
        raise PriceError(f"{field}: is required")
    return price


def _price(field: str, value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise PriceError(f"{field}: must be a decimal number, not {type(value).__name__}")
    price = Decimal(value)
    if not price.is_finite():
        raise PriceError(f"{field}: must be a finite number, not {price}")
    if price < 0:
        raise PriceError(f"{field}: must not be negative ({price})")
    if price > MAX_PRICE_PER_MTOK:
        raise PriceError(f"{field}: {price} USD per million tokens is above the {MAX_PRICE_PER_MTOK} limit")
    exponent = price.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PRICE_DECIMALS:
        raise PriceError(f"{field}: at most {PRICE_DECIMALS} decimal places ({price})")
    return price
