"""What the downgrade-candidate rule looks at: per (task, model) features of first-attempt calls.

``group_features`` describes each (task, canonical model) group of first-attempt LLM calls (not
escalation retries) of the window. Which groups exist, their busiest provider and their mean input
and output tokens (over calls with a known cost and token counts) come from the re-pricing rollup
(``call_reprice_rollups_hourly``) for the whole hours of the window, so a group active only early
in the window is still found. Size p90s, tool use and finish reasons need single calls: they come
from the most recent ``FEATURE_ROW_CAP`` first-attempt calls of ``llm_calls``; a group with no call
in that sample has them unknown (so it is never judged "simple"). Run evidence (how
often runs started on a model fail) lives in ``modelmix.analytics.run_evidence``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Connection, SmallInteger, and_, case, cast, func, select

from modelmix.analytics.facts import dimension_conditions, raw_conditions, raw_dimension, split_window
from modelmix.analytics.filters import Filters
from modelmix.analytics.tables import llm_calls, reprice_rollups

FEATURE_ROW_CAP = 50_000  # sample size: ~0.1 s at 10 million calls (200,000 took ~0.6 s)
TOOL_FINISH = ("tool_calls", "tool_use", "function_call")
NORMAL_FINISH = ("stop", "end_turn", "stop_sequence", "complete", "completed", "eos", "finish")
SIMPLE_MAX_INPUT_P90 = 1_000  # "short input": 90th percentile of input tokens
SIMPLE_MAX_OUTPUT_P90 = 250  # "short output": 90th percentile of output tokens
SIMPLE_MAX_TOOL_SHARE = 0.0  # "no tool use"
SIMPLE_MIN_NORMAL_FINISH = 0.95  # "normal finish": share among calls that report a finish reason
_UNKNOWN, _TOOL, _NORMAL, _OTHER = 0, 1, 2, 3  # finish reason classes of a sampled call


@dataclass(frozen=True)
class GroupFeatures:
    task: str
    model: str
    provider: str  # the provider serving most of the group's calls
    calls: int
    errors: int
    mean_input_tokens: float | None
    mean_output_tokens: float | None
    p90_input_tokens: float | None
    p90_output_tokens: float | None
    tool_calls: int  # calls that finished by calling a tool
    finish_known: int  # calls reporting a finish reason
    normal_finish: int  # of those, calls that finished normally

    @property
    def tool_share(self) -> float:
        return self.tool_calls / self.calls if self.calls else 0.0

    @property
    def normal_finish_share(self) -> float | None:
        return self.normal_finish / self.finish_known if self.finish_known else None

    def is_simple(self) -> bool:
        """Short input and output, no tool use, normal finish (see docs/metrics.md for the limits)."""
        if self.p90_input_tokens is None or self.p90_output_tokens is None:
            return False
        normal = self.normal_finish_share
        return (self.p90_input_tokens <= SIMPLE_MAX_INPUT_P90
                and self.p90_output_tokens <= SIMPLE_MAX_OUTPUT_P90
                and self.tool_share <= SIMPLE_MAX_TOOL_SHARE
                and (normal is None or normal >= SIMPLE_MIN_NORMAL_FINISH))


def _sampled_features(conn: Connection, filters: Filters, cap: int = FEATURE_ROW_CAP) -> list[GroupFeatures]:
    """Features of every (task, canonical model) group of first-attempt LLM calls in the window."""
    c = llm_calls.c
    finish = func.lower(c.finish_reason)
    # Each sampled row is kept narrow (flags instead of texts): 200,000 of them are sorted per group.
    finish_class = case((c.finish_reason.is_(None), _UNKNOWN), (finish.in_(TOOL_FINISH), _TOOL),
                        (finish.in_(NORMAL_FINISH), _NORMAL), else_=_OTHER)
    sample = (
        select(
            raw_dimension("task").label("task"), raw_dimension("canonical_model").label("model"),
            raw_dimension("provider").label("provider"), (c.status == "error").label("error"), c.input_tokens,
            c.output_tokens, cast(finish_class, SmallInteger).label("finish"),
        )
        .where(and_(*raw_conditions(filters, "llm"), c.escalation.is_(None)))
        .order_by(c.start_time.desc())
        .limit(cap)
        .subquery("sample")
    )
    s = sample.c
    stmt = (
        select(
            s.task, s.model, func.mode().within_group(s.provider).label("provider"),
            func.count().label("calls"),
            func.count().filter(s.error).label("errors"),
            func.avg(s.input_tokens).label("mean_input"), func.avg(s.output_tokens).label("mean_output"),
            func.percentile_cont(0.9).within_group(s.input_tokens).label("p90_input"),
            func.percentile_cont(0.9).within_group(s.output_tokens).label("p90_output"),
            func.count().filter(s.finish == _TOOL).label("tool_calls"),
            func.count().filter(s.finish != _UNKNOWN).label("finish_known"),
            func.count().filter(s.finish == _NORMAL).label("normal_finish"),
        )
        .where(s.model != "")
        .group_by(s.task, s.model)
        .order_by(s.task, s.model)
    )

    def num(value: object) -> float | None:
        return None if value is None else float(value)  # type: ignore[arg-type]

    return [
        GroupFeatures(
            task=row.task, model=row.model, provider=row.provider or "", calls=int(row.calls),
            errors=int(row.errors), mean_input_tokens=num(row.mean_input), mean_output_tokens=num(row.mean_output),
            p90_input_tokens=num(row.p90_input), p90_output_tokens=num(row.p90_output),
            tool_calls=int(row.tool_calls), finish_known=int(row.finish_known),
            normal_finish=int(row.normal_finish),
        )
        for row in conn.execute(stmt)
    ]


def _rollup_groups(conn: Connection, filters: Filters) -> dict[tuple[str, str], GroupFeatures]:
    """Groups of the window's whole hours with their busiest provider and mean token counts."""
    split = split_window(filters.since, filters.until)
    if split.rollup_range is None:
        return {}
    r = reprice_rollups.c
    conds = [r.hour >= split.rollup_range[0], r.hour < split.rollup_range[1], r.first_attempt,
             r.canonical_model != "", *dimension_conditions(filters, lambda name: r[name])]
    stmt = (select(r.task, r.canonical_model, r.provider, func.sum(r.calls).label("calls"),
                   func.sum(r.priceable_calls).label("priceable"), func.sum(r.input_tokens).label("input"),
                   func.sum(r.output_tokens).label("output"))
            .where(and_(*conds)).group_by(r.task, r.canonical_model, r.provider))
    totals: dict[tuple[str, str], list[int]] = {}
    busiest: dict[tuple[str, str], tuple[int, str]] = {}
    for row in conn.execute(stmt):
        key = (row.task, row.canonical_model)
        acc = totals.setdefault(key, [0, 0, 0, 0])
        for i, value in enumerate((row.calls, row.priceable, row.input, row.output)):
            acc[i] += int(value)
        if key not in busiest or (int(row.calls), row.provider) > busiest[key]:
            busiest[key] = (int(row.calls), row.provider)
    out = {}
    for (task, model), (calls, priceable, input_tokens, output_tokens) in totals.items():
        out[(task, model)] = GroupFeatures(
            task=task, model=model, provider=busiest[(task, model)][1], calls=calls, errors=0,
            mean_input_tokens=input_tokens / priceable if priceable else None,
            mean_output_tokens=output_tokens / priceable if priceable else None,
            p90_input_tokens=None, p90_output_tokens=None, tool_calls=0, finish_known=0, normal_finish=0)
    return out


def group_features(conn: Connection, filters: Filters, cap: int = FEATURE_ROW_CAP) -> list[GroupFeatures]:
    """Features of every (task, canonical model) group of first-attempt LLM calls in the window."""
    groups = _rollup_groups(conn, filters)
    for sampled in _sampled_features(conn, filters, cap):
        whole = groups.get((sampled.task, sampled.model))
        if whole is None or whole.mean_input_tokens is None:
            groups[(sampled.task, sampled.model)] = sampled
        else:  # window-wide group, provider and means; the sample's size and finish details
            groups[(sampled.task, sampled.model)] = replace(
                sampled, provider=whole.provider, calls=max(whole.calls, sampled.calls),
                mean_input_tokens=whole.mean_input_tokens, mean_output_tokens=whole.mean_output_tokens)
    return [groups[key] for key in sorted(groups)]
