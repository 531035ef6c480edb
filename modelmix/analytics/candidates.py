"""Downgrade candidates: (task, model) groups a cheaper model is expected to serve, and the saving.

See docs/metrics.md for the full rule. In short, for each (task, model) group of first-attempt
calls (calls that are not themselves an escalation retry):

- *evidence*: a cheaper model already runs the same task — runs started on it fail (escalate,
  error or fail verification) at a low rate, on calls of similar size;
- *heuristic*: no such evidence, but the calls are simple (short input and output, no tool use,
  normal finish) and the tier map names a cheaper sibling.

Projected cost = the same calls' tokens at the cheaper model's price (per call size band, at the
price in force each hour) + expected escalation rate × current cost. Savings = current − projected.
Candidates with no saving are dropped; the rest are sorted by savings, largest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import pandas as pd
from sqlalchemy import Connection, Engine

from modelmix.analytics.calls import select_calls
from modelmix.analytics.features import (
    SIMPLE_MAX_INPUT_P90,
    SIMPLE_MAX_OUTPUT_P90,
    GroupFeatures,
    group_features,
)
from modelmix.analytics.filters import Filters
from modelmix.analytics.protocols import PriceLookup, TierLookup
from modelmix.analytics.reprice import Move, reprice
from modelmix.analytics.run_evidence import RunEvidence, run_evidence
from modelmix.analytics.stats import wilson_interval

Confidence = Literal["high", "medium", "low"]
BasisKind = Literal["evidence", "heuristic"]


@dataclass(frozen=True)
class Candidate:
    """One downgrade candidate with its money (exact Decimal) and the evidence behind it."""

    task: str
    model: str  # canonical model serving the calls today
    provider: str
    suggested_model: str
    kind: BasisKind
    calls: int  # first-attempt calls of the group in the window (priced or not)
    current_cost_usd: Decimal
    projected_cost_usd: Decimal
    savings_usd: Decimal
    expected_escalation_rate: float  # assumed share of calls that would cascade back up
    interval_low: float  # 95% Wilson interval on the cheaper model's failure rate (0..1 for heuristic)
    interval_high: float
    sample_runs: int  # runs observed on the cheaper model for this task (0 for heuristic)
    confidence: Confidence
    basis: str  # the reasoning in words
    unpriced_calls: int  # calls of the group left out because they cannot be priced
    mean_input_tokens: float | None
    mean_output_tokens: float | None


# Rule constants (documented in docs/metrics.md).
MIN_EVIDENCE_RUNS = 10  # runs a cheaper model needs on the task before it counts as evidence
MAX_EVIDENCE_FAILURE_RATE = 0.25  # "low" failure rate of the cheaper model on the task
SIZE_FACTOR = 2.0  # similar size: group's mean input <= SIZE_FACTOR x the cheaper model's mean input
HEURISTIC_ESCALATION_RATE = 0.10  # assumed share of heuristic candidates' calls that would cascade up
HIGH_MIN_RUNS, HIGH_MAX_UPPER = 100, 0.15
MEDIUM_MIN_RUNS, MEDIUM_MAX_UPPER = 30, 0.30


def confidence_of(kind: BasisKind, runs: int, upper: float) -> Confidence:
    """high: evidence from >= 100 runs whose 95% upper failure bound is <= 15%; medium: >= 30 runs
    and upper bound <= 30%; everything else, and every heuristic candidate, is low."""
    if kind == "evidence" and runs >= HIGH_MIN_RUNS and upper <= HIGH_MAX_UPPER:
        return "high"
    if kind == "evidence" and runs >= MEDIUM_MIN_RUNS and upper <= MEDIUM_MAX_UPPER:
        return "medium"
    return "low"


@dataclass(frozen=True)
class _Option:
    group: GroupFeatures
    to_model: str
    kind: BasisKind
    rate: float
    interval: tuple[float, float]
    runs: int
    basis: str


def _canonical(pricebook: PriceLookup, model: str | None) -> str:
    if not model:
        return ""
    canonical = getattr(pricebook, "canonical_model", None)
    return (canonical(None, model) or model) if callable(canonical) else model


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _refuted(ev: RunEvidence | None) -> bool:
    """Enough runs on the cheaper model, and too many of them failed: evidence *against* downgrading."""
    return ev is not None and ev.runs >= MIN_EVIDENCE_RUNS and ev.failures / ev.runs > MAX_EVIDENCE_FAILURE_RATE


def _evidence_options(group: GroupFeatures, peers: list[GroupFeatures], runs: dict[tuple[str, str], RunEvidence],
                      price: dict[str, Decimal | None]) -> list[_Option]:
    """Cheaper models that already serve this task with a low failure rate on calls of similar size."""
    options: list[_Option] = []
    mine = price.get(group.model)
    for peer in peers:
        theirs = price.get(peer.model)
        if peer.model == group.model or mine is None or theirs is None or theirs >= mine:
            continue
        ev = runs.get((group.task, peer.model))
        if ev is None or ev.runs < MIN_EVIDENCE_RUNS or _refuted(ev):
            continue
        rate = ev.failures / ev.runs
        low, high = wilson_interval(ev.failures, ev.runs)
        if (group.mean_input_tokens or 0) > SIZE_FACTOR * (peer.mean_input_tokens or 0):
            continue
        basis = (f"evidence: {peer.model} already runs {group.task} — {ev.failures} of {ev.runs} runs started on it "
                 f"escalated, errored or failed verification ({_pct(rate)}, 95% CI {_pct(low)}–{_pct(high)}); "
                 f"calls of similar size (mean input {group.mean_input_tokens or 0:.0f} tokens here vs "
                 f"{peer.mean_input_tokens or 0:.0f} on {peer.model})")
        options.append(_Option(group, peer.model, "evidence", rate, (low, high), ev.runs, basis))
    return options


def _heuristic_option(group: GroupFeatures, tiers: TierLookup, price: dict[str, Decimal | None],
                      runs: dict[tuple[str, str], RunEvidence]) -> _Option | None:
    sibling = tiers.cheaper_sibling(group.model)
    if not sibling or _refuted(runs.get((group.task, sibling))):
        return None
    mine, theirs = price.get(group.model), price.get(sibling)
    if mine is None or theirs is None or theirs >= mine:
        return None
    if not group.is_simple():
        return None
    basis = (f"heuristic: calls are simple (p90 input {group.p90_input_tokens:.0f} <= {SIMPLE_MAX_INPUT_P90}, "
             f"p90 output {group.p90_output_tokens:.0f} <= {SIMPLE_MAX_OUTPUT_P90} tokens, no tool use, "
             f"{_pct(group.normal_finish_share or 1.0)} normal finish) and {sibling} is the cheaper sibling of "
             f"{group.model}; no runs on {sibling} for this task yet, so {_pct(HEURISTIC_ESCALATION_RATE)} "
             f"of calls are assumed to escalate back")
    return _Option(group, sibling, "heuristic", HEURISTIC_ESCALATION_RATE, (0.0, 1.0), 0, basis)


def _evaluate(conn: Connection, filters: Filters, options: list[_Option], pricebook: PriceLookup) -> list[Candidate]:
    moves = [Move(o.group.task, o.group.model, o.to_model) for o in options]
    out: list[Candidate] = []
    for option, result in zip(options, reprice(conn, filters, moves, pricebook, first_attempts_only=True),
                              strict=True):
        priceable_actual = result.actual_cost_usd - result.unpriceable_cost_usd
        rate = Decimal(str(option.rate))
        projected = (result.at_target_usd + rate * priceable_actual).quantize(_CENT_MICRO)
        current = result.actual_cost_usd
        g = option.group
        out.append(Candidate(
            task=g.task, model=g.model, provider=g.provider, suggested_model=option.to_model, kind=option.kind,
            calls=result.calls + result.unpriced_calls, current_cost_usd=current, projected_cost_usd=projected, savings_usd=current - projected,
            expected_escalation_rate=option.rate, interval_low=option.interval[0], interval_high=option.interval[1],
            sample_runs=option.runs, confidence=confidence_of(option.kind, option.runs, option.interval[1]),
            basis=option.basis, unpriced_calls=result.unpriced_calls,
            mean_input_tokens=g.mean_input_tokens, mean_output_tokens=g.mean_output_tokens,
        ))
    return out


_CENT_MICRO = Decimal("1e-10")


def downgrade_candidates(
    engine: Engine, filters: Filters, pricebook: PriceLookup, tiers: TierLookup
) -> list[Candidate]:
    """Every candidate in the window with a positive saving, sorted by savings (largest first).

    Each (task, model) group yields at most one candidate: the evidence option with the largest
    saving, else the heuristic one."""
    with engine.connect() as conn:
        groups = group_features(conn, filters)
        runs = run_evidence(conn, filters, lambda m: _canonical(pricebook, m))
        models = {g.model for g in groups}
        models |= {sibling for g in groups if (sibling := tiers.cheaper_sibling(g.model))}
        price = {m: pricebook.reference_price(m) for m in models}
        by_task: dict[str, list[GroupFeatures]] = {}
        for g in groups:
            by_task.setdefault(g.task, []).append(g)
        layers: list[list[_Option]] = []
        for g in groups:
            options = _evidence_options(g, by_task[g.task], runs, price)
            if not options:
                heuristic = _heuristic_option(g, tiers, price, runs)
                options = [heuristic] if heuristic else []
            for depth, option in enumerate(options):
                if depth == len(layers):
                    layers.append([])
                layers[depth].append(option)
        evaluated = [c for layer in layers for c in _evaluate(conn, filters, layer, pricebook)]
    best: dict[tuple[str, str, str], Candidate] = {}
    for c in evaluated:
        key = (c.task, c.model, c.provider)
        if c.savings_usd > 0 and (key not in best or c.savings_usd > best[key].savings_usd):
            best[key] = c
    return sorted(best.values(), key=lambda c: (-c.savings_usd, c.task, c.model))


def avoidable_spend(engine: Engine, filters: Filters, pricebook: PriceLookup, tiers: TierLookup) -> Decimal:
    """Estimated avoidable spend: the sum of the candidates' savings."""
    return sum((c.savings_usd for c in downgrade_candidates(engine, filters, pricebook, tiers)), Decimal(0))


def candidates_frame(candidates: list[Candidate]) -> pd.DataFrame:
    """Candidates as a DataFrame (money as float) for tables and charts."""
    rows = [{**c.__dict__, "current_cost_usd": float(c.current_cost_usd),
             "projected_cost_usd": float(c.projected_cost_usd), "savings_usd": float(c.savings_usd)}
            for c in candidates]
    return pd.DataFrame(rows, columns=list(Candidate.__dataclass_fields__))


def candidate_calls(engine: Engine, filters: Filters, task: str, model: str, limit: int = 100) -> pd.DataFrame:
    """The first-attempt calls of one (task, canonical model) group, newest first (never content)."""
    return select_calls(engine, filters.with_tasks(task), model=model, first_attempts_only=True, limit=limit)
