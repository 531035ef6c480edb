"""Tables for the query and storage parts of a benchmark run."""

from __future__ import annotations

from typing import Any

from benchmarks.tables import table


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def _short_error(error: str) -> str:
    return "timed out" if "QueryCanceled" in error or "statement timeout" in error else error[:24]


def query_tables(result: dict[str, Any]) -> str:
    data = result["data"]
    goals = result["goals_s"]
    windows = sorted({c["window_days"] for c in result["cases"] if c["window_days"]})
    by_name: dict[str, dict[Any, dict[str, Any]]] = {}
    for case in result["cases"]:
        by_name.setdefault(case["query"], {})[case["window_days"]] = case
    headers = ["query", "used by"]
    for days in windows:
        headers += [f"{days}d first ms", f"{days}d p50 ms", f"{days}d p95 ms"]
    headers.append("goal")
    rows = []
    for name, per_window in by_name.items():
        any_case = next(iter(per_window.values()))
        goal = goals["weekly_review"] if name == "weekly_review" else goals["report_week"] \
            if name == "report_week" else goals["query_p95"]
        row: list[Any] = [name, any_case["used_by"]]
        worst = 0.0
        for days in windows:
            case = per_window.get(days) or per_window.get(None)
            if case is None or case["error"]:
                row += [None, None, _short_error(case["error"]) if case else None]
                worst = float("inf")
                continue
            row += [_ms(case["first_s"]), _ms(case["warm_median_s"]), _ms(case["warm_p95_s"])]
            if name != "report_week" or days == 7:
                worst = max(worst, case["warm_p95_s"])
        row.append(f"{'met' if worst < goal else 'MISSED'} (<{goal:g} s)")
        rows.append(row)
    command = result["report_command"]
    title = (f"Queries: {data['calls']:,} calls, {data['task_runs']:,} task runs, {data['rollup_rows']:,} "
             f"rollup rows over {data['since'][:10]} .. {data['until'][:10]} "
             f"(generated in {data['copy_seconds']:.0f} s, rollups in {data['rollup_seconds']:.0f} s)")
    text = table(headers, rows, title=title)
    if command is None:
        text += "\nmodelmix report (process): not timed in this run (--cases)"
    elif command.get("error"):
        text += f"\nmodelmix report (process, 7 days): failed: {command['error']}"
    else:
        text += (f"\nmodelmix report (its own process, last 7 days): first {command['first_s']:.2f} s, "
                 f"median {command['warm_median_s']:.2f} s, p95 {command['warm_p95_s']:.2f} s "
                 f"(goal < {goals['report_week']:g} s)")
    return text


def storage_tables(result: dict[str, Any]) -> str:
    rows = []
    calls = result["calls"] or 1
    for name, t in result["tables"].items():
        rows.append([name, t["rows"], t["heap_bytes"] / 2**20, t["toast_bytes"] / 2**20, t["index_bytes"] / 2**20,
                     t["total_bytes"] / 2**20, t["total_bytes"] / calls])
    text = table(["table", "rows", "heap MiB", "toast MiB", "indexes MiB", "total MiB", "bytes per call"], rows,
                 title="Storage")
    index_rows = [[name, size / 2**20, size / calls] for name, size in result["tables"]["llm_calls"]["indexes"].items()]
    text += "\n\n" + table(["llm_calls index", "MiB", "bytes per call"], index_rows)
    text += (f"\nllm_calls: {result['bytes_per_call']:,.0f} bytes per call including indexes; "
             f"all tables: {result['bytes_per_call_all_tables']:,.0f} bytes per call")
    return text
