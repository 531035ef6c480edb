"""Model tiers (small / mid / frontier) and each model's cheaper sibling, defaulted and overridable.

Default tier, from the model's blended list price (``PriceBook.reference_price``: base prices
blended 3 parts input to 1 part output, USD per million tokens):

* **small** — below $2.50 (gpt-4o-mini $0.26, claude-haiku-4-5 $2.00, gemini-2.5-flash $0.85)
* **mid** — $2.50 up to $4.00 (gpt-4.1 $3.50, o3 $3.50, gpt-5 $3.44, gemini-2.5-pro $3.44)
* **frontier** — $4.00 and above (gpt-4o $4.38, claude-sonnet-4-5 $6.00, claude-opus-4-5 $10.00, o1 $26.25)

A model without a known price has no default tier (``None``). The cheaper sibling comes from the
family map below, else from a family rule (opus → sonnet → haiku, gemini pro → flash → flash-lite,
gpt-N → gpt-N-mini → gpt-N-nano) when the sibling is a priced model that is actually cheaper.
Operators override either per canonical model in ``model_tiers``: ``tier`` NULL keeps the
price-derived tier; ``cheaper_sibling`` NULL keeps the default and ``''`` means "no sibling".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects.postgresql import insert

from modelmix.db.models import ModelTierRow
from modelmix.pricing import PriceBook
from modelmix.records import TIERS

SMALL_BELOW = Decimal("2.50")
FRONTIER_FROM = Decimal("4.00")
RESET = "default"  # set_tier(..., tier=RESET) / cheaper_sibling=RESET: back to the default
NO_SIBLING = "none"  # set_tier(..., cheaper_sibling=NO_SIBLING): this model has no cheaper sibling

DEFAULT_SIBLINGS: dict[str, str] = {
    "gpt-4o": "gpt-4o-mini",
    "chatgpt-4o-latest": "gpt-4o-mini",
    "gpt-4-turbo": "gpt-4o-mini",
    "gpt-4": "gpt-4o-mini",
    "gpt-4.1": "gpt-4.1-mini",
    "gpt-4.1-mini": "gpt-4.1-nano",
    "gpt-5": "gpt-5-mini",
    "gpt-5-mini": "gpt-5-nano",
    "gpt-5.1": "gpt-5-mini",
    "o1": "o3-mini",
    "o3": "o4-mini",
    "o3-pro": "o3",
    "claude-opus-4-0": "claude-sonnet-4-5",
    "claude-opus-4-1": "claude-sonnet-4-5",
    "claude-opus-4-5": "claude-sonnet-4-5",
    "claude-sonnet-4-0": "claude-haiku-4-5",
    "claude-sonnet-4-5": "claude-haiku-4-5",
    "claude-sonnet-4-6": "claude-haiku-4-5",
    "claude-opus-4-6": "claude-sonnet-4-6",
    "claude-3-7-sonnet-latest": "claude-3-5-haiku-latest",
    "claude-3-5-sonnet": "claude-3-5-haiku-latest",
    "claude-3-opus-latest": "claude-3-5-sonnet",
    "gemini-2.5-pro": "gemini-2.5-flash",
    "gemini-2.5-flash": "gemini-2.5-flash-lite",
    "gemini-2.0-flash": "gemini-2.0-flash-lite",
    "gemini-1.5-pro": "gemini-1.5-flash",
    "gemini-3-pro-preview": "gemini-3-flash-preview",
    "mistral-large": "mistral-small-latest",
    "mistral-medium-latest": "mistral-small-latest",
}

_FAMILY_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^claude-opus-(.+)$"), r"claude-sonnet-\1"),
    (re.compile(r"^claude-sonnet-(.+)$"), r"claude-haiku-\1"),
    (re.compile(r"^(gemini-[\d.]+)-pro(-preview)?$"), r"\1-flash\2"),
    (re.compile(r"^(gemini-[\d.]+)-flash$"), r"\1-flash-lite"),
    (re.compile(r"^(gpt-[\d.]+)$"), r"\1-mini"),
    (re.compile(r"^(gpt-[\d.]+)-mini$"), r"\1-nano"),
)


class TierError(ValueError):
    """A tier or sibling setting is not valid; the message names the field."""


@dataclass(frozen=True, slots=True)
class TierInfo:
    model: str
    tier: str | None
    tier_source: str | None  # "override" | "price" | None (unknown)
    cheaper_sibling: str | None
    sibling_source: str | None  # "override" | "family map" | "family rule" | None
    reference_price: Decimal | None


class TierMap:
    """Tier and cheaper sibling per canonical model: operator overrides, else the defaults."""

    def __init__(self, overrides: dict[str, tuple[str | None, str | None]], pricebook: PriceBook) -> None:
        self._overrides = overrides
        self._pricebook = pricebook
        self._now = datetime.now(UTC)
        self._info: dict[str, TierInfo] = {}

    @classmethod
    def load(cls, engine: Engine | None, pricebook: PriceBook) -> TierMap:
        overrides: dict[str, tuple[str | None, str | None]] = {}
        if engine is not None:
            with engine.connect() as conn:
                for row in conn.execute(select(ModelTierRow.__table__)):
                    overrides[row.canonical_model] = (row.tier, row.cheaper_sibling)
        return cls(overrides, pricebook)

    @property
    def overridden(self) -> list[str]:
        """Models with an operator override, sorted."""
        return sorted(self._overrides)

    def tier(self, canonical_model: str | None) -> str | None:
        return self.info(canonical_model).tier if canonical_model else None

    def cheaper_sibling(self, canonical_model: str | None) -> str | None:
        return self.info(canonical_model).cheaper_sibling if canonical_model else None

    def info(self, canonical_model: str) -> TierInfo:
        found = self._info.get(canonical_model)
        if found is None:
            found = self._info[canonical_model] = self._explain(canonical_model)
        return found

    def _explain(self, model: str) -> TierInfo:
        tier_override, sibling_override = self._overrides.get(model, (None, None))
        reference = self._pricebook.reference_price(model, self._now)
        tier = tier_override or tier_from_price(reference)
        tier_source: str | None = ("override" if tier_override else "price") if tier else None
        sibling: str | None
        sibling_source: str | None
        if sibling_override is not None:
            sibling, sibling_source = (sibling_override or None), "override"
        elif model in DEFAULT_SIBLINGS:
            sibling, sibling_source = DEFAULT_SIBLINGS[model], "family map"
        else:
            sibling = self._sibling_by_rule(model, reference)
            sibling_source = "family rule" if sibling else None
        return TierInfo(model, tier, tier_source, sibling, sibling_source, reference)

    def _sibling_by_rule(self, model: str, reference: Decimal | None) -> str | None:
        if reference is None:
            return None
        for pattern, replacement in _FAMILY_RULES:
            if pattern.match(model):
                candidate = pattern.sub(replacement, model)
                price = self._pricebook.reference_price(candidate, self._now)
                if price is not None and price < reference:
                    return candidate
        return None


def tier_from_price(blended_per_mtok: Decimal | None) -> str | None:
    if blended_per_mtok is None:
        return None
    if blended_per_mtok < SMALL_BELOW:
        return "small"
    return "mid" if blended_per_mtok < FRONTIER_FROM else "frontier"


def set_tier(engine: Engine, model: str, tier: str | None = None, cheaper_sibling: str | None = None) -> None:
    """Override a model's tier and/or sibling. ``None`` leaves a field as it is, ``RESET`` returns
    it to the default, ``NO_SIBLING`` records that the model has no cheaper sibling."""
    name = _model_name("model", model)
    if tier is None and cheaper_sibling is None:
        raise TierError("tier: give a tier or a cheaper sibling to set")
    if tier is not None and tier != RESET and tier not in TIERS:
        raise TierError(f"tier: must be one of {', '.join(TIERS)} or {RESET!r}, not {tier!r}")
    sibling: str | None = None
    if cheaper_sibling not in (None, RESET, NO_SIBLING):
        sibling = _model_name("cheaper_sibling", cheaper_sibling)
        if sibling == name:
            raise TierError(f"cheaper_sibling: {sibling!r} cannot be the model itself")
    with engine.begin() as conn:
        current = conn.execute(
            select(ModelTierRow.tier, ModelTierRow.cheaper_sibling)
            .where(ModelTierRow.canonical_model == name).with_for_update()
        ).first()
        new_tier, new_sibling = current if current is not None else (None, None)
        if tier is not None:
            new_tier = None if tier == RESET else tier
        if cheaper_sibling is not None:
            new_sibling = {RESET: None, NO_SIBLING: ""}.get(cheaper_sibling, sibling)
        if new_tier is None and new_sibling is None:
            conn.execute(delete(ModelTierRow).where(ModelTierRow.canonical_model == name))
            return
        values = {"canonical_model": name, "tier": new_tier, "cheaper_sibling": new_sibling,
                  "updated_at": datetime.now(UTC)}
        statement = insert(ModelTierRow).values(**values)
        conn.execute(statement.on_conflict_do_update(index_elements=["canonical_model"], set_=values))


def clear_tier(engine: Engine, model: str) -> bool:
    """Drop a model's overrides (back to defaults); False when it had none."""
    with engine.begin() as conn:
        result = conn.execute(delete(ModelTierRow).where(ModelTierRow.canonical_model == _model_name("model", model)))
    return bool(result.rowcount)


def list_tiers(tier_map: TierMap, models: list[str]) -> list[TierInfo]:
    """Tier and sibling of each model, with where each came from, sorted by reference price."""
    infos = [tier_map.info(m) for m in dict.fromkeys(models) if m]
    return sorted(infos, key=lambda i: (i.reference_price is None, i.reference_price or 0, i.model))


def _model_name(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TierError(f"{field}: must be a non-empty model name")
    name = value.strip().lower()
    if len(name) > 300:
        raise TierError(f"{field}: longer than 300 characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise TierError(f"{field}: contains control characters")
    return name
