"""When the demo's traffic happens: the backdated window, daily volumes and times of day.

The window ends at the start of the current UTC hour and reaches back whole weeks; it is cut
into 24-hour slices counted back from its end, so every slice is full. A slice's volume follows
the weekday (weekends are quiet), a gentle growth over the window and some day-to-day noise;
start times follow a business-hours curve. Every random draw comes from generators seeded by the
demo seed, the window end and the slice, so a run is reproducible and two runs in the same hour
produce the same spans (the collector de-duplicates them).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

NS = 1_000_000_000
DAY_NS = 86_400 * NS
HOUR_NS = 3_600 * NS
MAX_WEEKS = 52  # the collector rejects spans older than MODELMIX_MAX_SPAN_AGE_DAYS (400 by default)

# Relative traffic per UTC hour (Europe and the Americas both working around 13-20 UTC).
HOURLY_WEIGHTS: tuple[float, ...] = (
    0.25, 0.2, 0.18, 0.18, 0.2, 0.3, 0.5, 0.8, 1.1, 1.3, 1.4, 1.45,
    1.5, 1.7, 1.9, 1.95, 1.9, 1.8, 1.6, 1.3, 1.0, 0.7, 0.5, 0.35,
)
WEEKEND_FACTOR = 0.45
GROWTH_START, GROWTH_END = 0.85, 1.15  # traffic grows ~35% across the window
_HOURS = range(24)


@dataclass(frozen=True)
class DemoWindow:
    start: datetime
    end: datetime
    weeks: int

    @property
    def days(self) -> int:
        return self.weeks * 7

    @property
    def start_ns(self) -> int:
        return int(self.start.timestamp()) * NS

    def slice_start_ns(self, day: int) -> int:
        return self.start_ns + day * DAY_NS

    def fraction(self, t_ns: int) -> float:
        """Position of a time in the window, 0.0 at the start and 1.0 at the end."""
        return (t_ns - self.start_ns) / (self.days * DAY_NS)


def demo_window(weeks: int, now: datetime | None = None) -> DemoWindow:
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be a whole number from 1 to {MAX_WEEKS}, got {weeks!r}")
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return DemoWindow(start=end - timedelta(weeks=weeks), end=end, weeks=weeks)


def slice_rng(seed: int, window: DemoWindow, day: int, stream: str) -> random.Random:
    """An independent generator for one slice and purpose (string seeds are hashed with SHA-512)."""
    return random.Random(f"modelmix-demo:{seed}:{window.end.isoformat()}:{day}:{stream}")


def day_factor(window: DemoWindow, day: int) -> float:
    """Weekday and growth factor of a slice (the noise is added per task)."""
    midpoint = window.start + timedelta(days=day, hours=12)
    weekday = WEEKEND_FACTOR if midpoint.weekday() >= 5 else 1.0
    growth = GROWTH_START + (GROWTH_END - GROWTH_START) * (day + 0.5) / window.days
    return weekday * growth


def stochastic_round(rng: random.Random, value: float) -> int:
    """Round so the expected result equals ``value``: rare tasks still appear at small scales."""
    whole = math.floor(value)
    return whole + (1 if rng.random() < value - whole else 0)


def runs_for_day(rng: random.Random, runs_per_weekday: float, factor: float, scale: float) -> int:
    return stochastic_round(rng, runs_per_weekday * factor * scale * rng.uniform(0.9, 1.1))


def hour_weights(slice_start_ns: int) -> list[float]:
    """Cumulative weights of the slice's 24 hours (the slice may start at any UTC hour)."""
    first_hour = (slice_start_ns // HOUR_NS) % 24
    return list(itertools.accumulate(HOURLY_WEIGHTS[first_hour:] + HOURLY_WEIGHTS[:first_hour]))


def sample_start_ns(rng: random.Random, slice_start_ns: int, cum_weights: list[float]) -> int:
    """A start time inside the 24-hour slice, following the hourly curve (UTC hours)."""
    hour = rng.choices(_HOURS, cum_weights=cum_weights)[0]
    # Leave ten minutes at the end of the slice so no trace runs past the window's end.
    within = rng.random() * (HOUR_NS - 600 * NS if hour == 23 else HOUR_NS)
    return slice_start_ns + hour * HOUR_NS + int(within)


def rollout_share(fraction: float, begin: float = 0.5, length: float = 1 / 8) -> float:
    """Share of traffic on the new model: 0 before ``begin``, rising linearly to 1 over ``length``."""
    if fraction <= begin:
        return 0.0
    return min(1.0, (fraction - begin) / length)
