"""Time only the re-pricing reads (downgrade candidates, avoidable spend, what-if, candidate calls)
on a database generated before (``python -m benchmarks queries --keep-database``); read-only.

    .venv/bin/python -m benchmarks.candidate_cases --use-database URL [--repeat 7] [--cases a,b]

Each case runs for the dashboard windows of the last 7, 30 and 90 days, exactly as the query
benchmark times it (first run, then ``repeat`` warm runs: median and p95).
"""

from __future__ import annotations

import argparse

from benchmarks.queries import WINDOWS_DAYS, find_probe, time_case
from benchmarks.query_suite import CASES
from modelmix.db.engine import make_engine, sqlalchemy_url

DEFAULT_CASES = ("downgrade_candidates", "avoidable_spend", "what_if", "candidate_calls")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{1000 * seconds:,.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--use-database", required=True, metavar="URL")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES))
    args = parser.parse_args()
    names = set(args.cases.split(","))
    engine = make_engine(sqlalchemy_url(args.use_database))
    probe = find_probe(args.use_database)
    print(f"{'query':24s} {'days':>4s} {'first ms':>10s} {'p50 ms':>10s} {'p95 ms':>10s}")
    for case in CASES:
        if case.name not in names:
            continue
        for days in WINDOWS_DAYS:
            r = time_case(engine, case, days, probe, args.repeat)
            print(f"{case.name:24s} {days:4d} {_ms(r['first_s']):>10s} {_ms(r['warm_median_s']):>10s} "
                  f"{_ms(r['warm_p95_s']):>10s} {r['error'] or ''}", flush=True)
    engine.dispose()


if __name__ == "__main__":
    main()
