"""Fixtures for review tests: the seeded fortnight, and the real price book and tier map read back from it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from modelmix.pricing import PriceBook
from modelmix.tiers import TierMap
from tests.review.fortnight import seed_fortnight


@dataclass
class Pricing:
    book: PriceBook
    tiers: TierMap


def load_pricing(engine: Engine) -> Pricing:
    book = PriceBook.load(engine)
    return Pricing(book, TierMap.load(engine, book))


@pytest.fixture
def fortnight(engine: Engine) -> Pricing:
    """W46 and W47 of 2026 seeded (see tests/review/fortnight.py); prices and tiers as stored."""
    seed_fortnight(engine)
    return load_pricing(engine)
