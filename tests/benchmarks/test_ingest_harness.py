"""The ingest benchmark end to end at a tiny scale: real collector process, real clients, real COPY.

Not a performance test: it checks the harness measures what it claims — every acknowledged span is
in the database afterwards, the measurement window holds requests, the COPY limit wrote rows.
"""

from __future__ import annotations

import pytest

from benchmarks.__main__ import _ingest_options, _parser
from benchmarks.ingest import IngestOptions, metrics, run_ingest


def test_a_tiny_ingest_run_stores_every_acknowledged_span(pg_server_url: str) -> None:
    options = IngestOptions(seconds=2.0, warmup_seconds=1.0, transports=("http", "grpc"), client_processes=1,
                            connections_per_client=2, spans_per_request=100, templates=2, copy_seconds=0.3)
    result = run_ingest(pg_server_url, options)
    for name in ("http", "grpc"):
        run = result["transports"][name]
        assert run["failures"] == 0, run["first_failure"]
        assert run["requests"] > 0 and run["spans"] > 0
        assert run["rows_stored"] == run["acked_spans_total"] >= run["spans"]
        assert 0 < run["latency_p50_ms"] <= run["latency_p99_ms"]
        assert run["collector_cpu_cores"] > 0 and run["collector_peak_rss_mib"] > 10
        assert run["ratio_to_copy"] == pytest.approx(run["spans_per_second"] / result["copy"]["rows_per_second"])
    copy = result["copy"]
    assert copy["rows"] > 0
    assert copy["rows_per_second"] == max(copy["rows_per_second_before"], copy["rows_per_second_after"])
    headline = metrics(result)
    assert headline["ingest.http.spans_per_s"]["better"] == "higher"
    assert headline["ingest.grpc.ack_p99_ms"]["better"] == "lower"


@pytest.mark.parametrize("argv", [["--transports", "ftp"], ["--transports", ""], ["--collector-env", "FOO=1"],
                                  ["--collector-env", "MODELMIX_X"], ["--seconds", "0"], ["--clients", "0"]])
def test_bad_ingest_options_are_refused(argv: list[str]) -> None:
    args = _parser().parse_args(["ingest", *argv])
    with pytest.raises(SystemExit):
        _ingest_options(args)


def test_the_collector_runs_one_worker_per_core_unless_told_otherwise() -> None:
    import os

    options = _ingest_options(_parser().parse_args(["ingest"]))
    assert options.collector_env == (("MODELMIX_COLLECTOR_WORKERS", str(os.cpu_count() or 1)),)


def test_good_ingest_options_are_passed_through() -> None:
    args = _parser().parse_args(["ingest", "--seconds", "5", "--transports", "grpc",
                                 "--collector-env", "MODELMIX_COLLECTOR_WORKERS=2"])
    options = _ingest_options(args)
    assert options.seconds == 5 and options.transports == ("grpc",)
    assert options.collector_env == (("MODELMIX_COLLECTOR_WORKERS", "2"),)
