"""Prices and cost: cache-aware, effective-dated, repriceable.

Defaults come from the installed ``genai-prices`` package (read offline); operators override
them with effective-dated rows in ``model_prices``. ``PriceBook`` prices each call in Decimal and
records which price produced the cost; ``reprice`` recomputes stored history after a change;
``cost_mismatches`` compares computed cost with the cost a span reported. See docs/pricing.md.
"""

from __future__ import annotations

from modelmix.pricing.book import PriceBook, PricedFields
from modelmix.pricing.crosscheck import CostCheck, CostMismatch, cost_mismatches
from modelmix.pricing.defaults import DEFAULT_SOURCE, GENAI_PRICES_VERSION
from modelmix.pricing.importer import ImportResult, export_prices, import_prices, parse_prices_file
from modelmix.pricing.listing import PriceListing, SeenModel, list_prices, models_seen
from modelmix.pricing.overrides import (
    MATCH_EXACT,
    MATCH_PATTERN,
    PriceError,
    PriceOverride,
    delete_price_override,
    load_overrides,
    set_price_override,
)
from modelmix.pricing.rates import Rate, TieredPrice, cost_of
from modelmix.pricing.reprice import RepriceProgress, RepriceResult, reprice

__all__ = [
    "DEFAULT_SOURCE",
    "GENAI_PRICES_VERSION",
    "MATCH_EXACT",
    "MATCH_PATTERN",
    "CostCheck",
    "CostMismatch",
    "ImportResult",
    "PriceBook",
    "PriceError",
    "PriceListing",
    "PriceOverride",
    "PricedFields",
    "Rate",
    "RepriceProgress",
    "RepriceResult",
    "SeenModel",
    "TieredPrice",
    "cost_mismatches",
    "cost_of",
    "delete_price_override",
    "export_prices",
    "import_prices",
    "list_prices",
    "load_overrides",
    "models_seen",
    "parse_prices_file",
    "reprice",
    "set_price_override",
]
