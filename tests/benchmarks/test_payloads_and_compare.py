"""Benchmark building blocks without a database: request templates and the run comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from benchmarks.compare import Change, compare, load_metrics, main
from benchmarks.payloads import build_templates
from modelmix.conventions import decode_traces


def _trace_ids(body: bytes) -> list[bytes]:
    request = ExportTraceServiceRequest.FromString(body)
    return [span.trace_id for r in request.resource_spans for s in r.scope_spans for span in s.spans]


def test_templates_hold_about_the_requested_spans_and_every_span_is_accepted_now() -> None:
    templates = build_templates(spans_per_request=100, count=3)
    assert len(templates) == 3
    for template in templates:
        request = ExportTraceServiceRequest.FromString(template.render(1, 1, 0))
        spans = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        assert spans == template.spans >= 100
        decoded = decode_traces(request)
        assert decoded.rejected == 0 and decoded.calls  # timestamps moved to now, ids valid
        assert len(decoded.calls) + len(decoded.skeletons) == spans  # nothing deduplicated away


def test_render_gives_every_request_its_own_trace_ids_and_keeps_traces_together() -> None:
    template = build_templates(spans_per_request=200, count=1)[0]
    first, second, other_client = (template.render(7, 1, 0), template.render(7, 1, 1), template.render(7, 2, 0))
    ids = [set(_trace_ids(body)) for body in (first, second, other_client)]
    assert len(ids[0]) == len(template.slots)
    assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]
    assert len(first) == len(template.body)  # ids are overwritten in place, nothing else changes
    assert template.render(7, 1, 0) == first  # deterministic


def test_a_fixture_used_twice_in_one_request_still_gives_distinct_traces() -> None:
    template = build_templates(spans_per_request=2000, count=1)[0]  # more spans than the fixture files hold
    request = ExportTraceServiceRequest.FromString(template.render(3, 1, 0))
    keys = [(span.trace_id, span.span_id) for r in request.resource_spans for s in r.scope_spans for span in s.spans]
    assert len(keys) == len(set(keys)) == template.spans


@pytest.mark.parametrize(("spans", "count"), [(0, 1), (10, 0), (-5, 2)])
def test_nonsense_template_sizes_are_refused(spans: int, count: int) -> None:
    with pytest.raises(ValueError):
        build_templates(spans_per_request=spans, count=count)


def test_missing_fixtures_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="fixture"):
        build_templates(spans_per_request=10, count=1, fixtures_dir=tmp_path)


def _metric(value: float, better: str) -> dict[str, object]:
    return {"value": value, "unit": "x", "better": better}


def test_regressions_beyond_the_threshold_are_flagged_in_the_bad_direction_only() -> None:
    baseline = {"tput": _metric(100.0, "higher"), "lat": _metric(1.0, "lower"), "steady": _metric(50.0, "higher")}
    new = {"tput": _metric(79.0, "higher"), "lat": _metric(0.5, "lower"), "steady": _metric(41.0, "higher")}
    changes = {c.metric: c for c in compare(baseline, new)}
    assert changes["tput"].regressed(0.2)  # 21% less throughput
    assert not changes["lat"].regressed(0.2)  # faster is never a regression
    assert not changes["steady"].regressed(0.2)  # 18% down: within the noise allowance
    assert changes["tput"].ratio == pytest.approx(0.79)
    slower = Change("lat", "s", "lower", 1.0, 1.21)
    assert slower.regressed(0.2) and not Change("lat", "s", "lower", 1.0, 1.19).regressed(0.2)


def test_missing_or_non_numeric_values_are_shown_but_never_flagged() -> None:
    baseline = {"a": _metric(1.0, "higher"), "gone": _metric(3.0, "lower")}
    new = {"a": {"value": float("nan"), "better": "higher"}, "fresh": _metric(2.0, "higher")}
    changes = {c.metric: c for c in compare(baseline, new)}
    assert set(changes) == {"a", "gone", "fresh"}
    assert all(not c.regressed(0.2) for c in changes.values())
    assert changes["a"].new is None and changes["gone"].new is None and changes["fresh"].baseline is None


def _run_file(path: Path, metrics: dict[str, object]) -> Path:
    path.write_text(json.dumps({"machine": {}, "metrics": metrics}))
    return path


def test_the_command_exits_1_on_a_regression_and_0_otherwise(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                              ) -> None:
    base = _run_file(tmp_path / "base.json", {"ingest.http.spans_per_s": _metric(10_000.0, "higher")})
    worse = _run_file(tmp_path / "worse.json", {"ingest.http.spans_per_s": _metric(7_000.0, "higher")})
    same = _run_file(tmp_path / "same.json", {"ingest.http.spans_per_s": _metric(9_500.0, "higher")})
    assert main([str(worse), "--baseline", str(base)]) == 1
    assert "REGRESSED" in capsys.readouterr().out
    assert main([str(same), "--baseline", str(base)]) == 0


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", '{"metrics": {}}', '{"machine": {}}'])
def test_unreadable_run_files_exit_2_with_a_message(tmp_path: Path, content: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    good = _run_file(tmp_path / "good.json", {"m": _metric(1.0, "higher")})
    assert main([str(bad), "--baseline", str(good)]) == 2
    assert "benchmarks.compare:" in capsys.readouterr().err
    with pytest.raises(Exception, match="no benchmark metrics|not JSON"):
        load_metrics(bad)


def test_a_missing_run_file_exits_2(tmp_path: Path) -> None:
    good = _run_file(tmp_path / "good.json", {"m": _metric(1.0, "higher")})
    assert main([str(tmp_path / "nope.json"), "--baseline", str(good)]) == 2
