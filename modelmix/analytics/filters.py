"""The window and dimension filters every analytics query takes.

``Filters`` is validated on construction: the window is half-open ``[since, until)``, ``since``
must be before ``until``, and naive datetimes are read as UTC (the dashboard's date pickers and
the CLI's ``--since 2026-11-01`` produce naive values). Dimension filters are tuples of exact
values; an empty tuple means "all". Values are only ever bound as SQL parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


class FilterError(ValueError):
    """A filter value that cannot describe a window (bad dates, wrong types)."""


# OTLP times count nanoseconds from the Unix epoch in 64 bits, so no call can lie outside these;
# windows beyond them are refused rather than overflowing date arithmetic (e.g. the previous window).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2262, 4, 11, tzinfo=UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if not isinstance(moment, datetime):
        raise FilterError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise FilterError(f"{moment.isoformat()} is out of range") from None


def _values(name: str, raw: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = (raw,)
    values = tuple(raw)
    for value in values:
        if not isinstance(value, str):
            raise FilterError(f"{name} must hold strings, got {type(value).__name__}")
    return tuple(dict.fromkeys(values))  # keep order, drop duplicates


@dataclass(frozen=True)
class Filters:
    """A half-open UTC window ``[since, until)`` plus optional service / environment / task lists.

    An environment filter value of ``""`` selects calls whose environment is unknown.
    """

    since: datetime
    until: datetime
    services: tuple[str, ...] = field(default=())
    environments: tuple[str, ...] = field(default=())
    tasks: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        since, until = as_utc(self.since), as_utc(self.until)
        if since >= until:
            raise FilterError(f"the window must start before it ends (since={since.isoformat()}, "
                              f"until={until.isoformat()})")
        if since < EARLIEST or until > LATEST:
            raise FilterError(f"the window must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} "
                              f"(since={since.isoformat()}, until={until.isoformat()})")
        object.__setattr__(self, "since", since)
        object.__setattr__(self, "until", until)
        object.__setattr__(self, "services", _values("services", self.services))
        object.__setattr__(self, "environments", _values("environments", self.environments))
        object.__setattr__(self, "tasks", _values("tasks", self.tasks))

    @property
    def length(self) -> timedelta:
        return self.until - self.since

    def previous(self) -> Filters:
        """The window of equal length that ends where this one starts (same dimension filters)."""
        return Filters(self.since - self.length, self.since, self.services, self.environments, self.tasks)

    def with_window(self, since: datetime, until: datetime) -> Filters:
        return Filters(since, until, self.services, self.environments, self.tasks)

    def with_tasks(self, *tasks: str) -> Filters:
        return Filters(self.since, self.until, self.services, self.environments, tasks)
