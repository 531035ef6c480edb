"""The tables ``python -m benchmarks`` prints for each part of a run."""

from __future__ import annotations

from typing import Any

from benchmarks.tables import table


def machine_table(info: dict[str, Any]) -> str:
    rows = [[key.replace("_", " "), "" if value is None else str(value)] for key, value in info.items()]
    return table(["machine", ""], rows, title="Machine")


def ingest_tables(result: dict[str, Any]) -> str:
    transports = result["transports"]
    rows = []
    for name, t in transports.items():
        rows.append([f"OTLP/{name.upper() if name == 'http' else 'gRPC'} protobuf", t["spans_per_second"],
                     t["ratio_to_copy"] * 100, t["latency_p50_ms"], t["latency_p99_ms"],
                     t["collector_cpu_cores"], t["collector_cpu_us_per_span"], t["collector_peak_rss_mib"],
                     t["postgres_cpu_us_per_span"], t["client_cpu_cores"], t["machine_busy_fraction"] * 100,
                     t["retries"], t["failures"]])
    copy = result["copy"]
    rows.append(["binary COPY (the limit)", copy["rows_per_second"], 100.0, None, None, None, None, None,
                 copy["backend_cpu_us_per_row"], None, None, None, None])
    headers = ["path", "spans/s", "% of COPY", "ack p50 ms", "ack p99 ms", "collector cores",
               "collector µs/span", "peak RSS MiB", "PG µs/span", "client cores", "machine busy %",
               "retries", "failures"]
    options = result["options"]
    title = (f"Ingest: {options['seconds']:.0f} s sustained per transport, {options['client_processes']} client "
             f"processes x {options['connections_per_client']} connections, "
             f"{result['spans_per_request']:.0f} spans ({result['request_bytes'] / 1024:.0f} KiB) per request")
    notes = [f"collector environment: {options['collector_env'] or 'defaults'}; "
             f"load average after the run: {result['load_average_after']}"]
    if "rows_per_second_before" in copy:
        notes.append(f"binary COPY measured before the collector runs: {copy['rows_per_second_before']:,.0f} rows/s, "
                     f"after: {copy['rows_per_second_after']:,.0f} rows/s; ratios use the higher")
    for name, t in transports.items():
        if "acked_spans_total" in t:
            same = "yes" if t["rows_stored"] == t["acked_spans_total"] else "NO"
            notes.append(f"{name}: {t['acked_spans_total']:,} spans acknowledged in the whole run, "
                         f"{t['rows_stored']:,} rows stored (equal: {same})")
        if t["first_failure"]:
            notes.append(f"{name}: first failure: {t['first_failure']}")
    return table(headers, rows, title=title) + "\n" + "\n".join(notes)


def part_tables(name: str, result: dict[str, Any]) -> str:
    if name == "queries":
        from benchmarks.query_report import query_tables

        return query_tables(result)
    from benchmarks.query_report import storage_tables

    return storage_tables(result)
