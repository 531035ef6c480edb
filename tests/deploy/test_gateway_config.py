"""deploy/otelcol-gateway.yaml: a well-formed OpenTelemetry Collector config whose pipeline
tail-samples GenAI traces and load-balances them by trace id over the modelmix replicas.

No collector binary runs here, so the structure is checked against the collector's config rules
(every component used is defined, extensions are enabled, a pipeline names receivers, processors
and exporters), and the sampling policies are evaluated by this test's own reading of the
``string_attribute`` policy on real instrumentation output and on the demo's spans.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import pytest
import yaml

from tests.conftest import FIXTURES_DIR, REPO_ROOT
from tests.demo.conftest import capture

CONFIG_FILE = REPO_ROOT / "deploy" / "otelcol-gateway.yaml"
SECTIONS = ("receivers", "processors", "exporters", "extensions")


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CONFIG_FILE.read_text())
    return data


def component_type(name: str) -> str:
    return name.split("/", 1)[0]


def test_every_component_in_a_pipeline_is_defined_and_every_extension_enabled(config: dict[str, Any]) -> None:
    assert set(config) == {*SECTIONS, "service"}
    service = config["service"]
    assert set(service["extensions"]) == set(config["extensions"])
    assert service["pipelines"], "at least one pipeline"
    for pipeline, parts in service["pipelines"].items():
        assert component_type(pipeline) in {"traces", "logs", "metrics"}
        assert parts["receivers"] and parts["exporters"]
        for section in ("receivers", "processors", "exporters"):
            for name in parts.get(section, []):
                assert name in config[section], f"{pipeline}: {section} {name} is not defined"


def test_the_traces_pipeline_limits_memory_samples_then_batches_then_balances(config: dict[str, Any]) -> None:
    traces = config["service"]["pipelines"]["traces"]
    assert traces["receivers"] == ["otlp"]
    assert traces["processors"] == ["memory_limiter", "tail_sampling", "batch"]
    assert traces["exporters"] == ["loadbalancing"]
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].endswith(":4317") and protocols["http"]["endpoint"].endswith(":4318")


def test_loadbalancing_routes_by_trace_id_to_the_replicas_with_a_persistent_queue(config: dict[str, Any]) -> None:
    lb = config["exporters"]["loadbalancing"]
    assert lb["routing_key"] == "traceID"
    assert lb["resolver"]["dns"]["hostname"] == "collector-replica"
    assert str(lb["resolver"]["dns"]["port"]) == "4317"  # modelmix's OTLP/gRPC port
    storage = lb["sending_queue"]["storage"]
    assert component_type(storage) == "file_storage" and storage in config["service"]["extensions"]
    assert lb["protocol"]["otlp"]["sending_queue"]["enabled"] is False
    assert "endpoint" not in lb["protocol"]["otlp"], "the resolver supplies the endpoints"
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    assert "collector-replica" in compose["services"]
    queue_dir = config["extensions"][storage]["directory"]
    assert any(v.endswith(":" + queue_dir) for v in compose["services"]["gateway"]["volumes"])


def test_tail_sampling_waits_less_than_the_settle_window(config: dict[str, Any]) -> None:
    from modelmix.settings import Settings

    wait = config["processors"]["tail_sampling"]["decision_wait"]
    seconds = float(re.fullmatch(r"(\d+)s", wait).group(1))  # type: ignore[union-attr]
    assert 0 < seconds <= Settings().settle_seconds


# --- the sampling policies, evaluated --------------------------------------------------------------

def policy_keeps(policy: dict[str, Any], attributes: dict[str, Any]) -> bool:
    """The string_attribute policy as documented: the attribute's value equals one of ``values``,
    or, with ``enabled_regex_matching``, one of them matches it as a regular expression."""
    assert policy["type"] == "string_attribute", "this test only knows string_attribute policies"
    rule = policy["string_attribute"]
    value = attributes.get(rule["key"])
    if not isinstance(value, str):
        return False
    if rule.get("enabled_regex_matching"):
        return any(re.search(pattern, value) for pattern in rule["values"])
    return value in rule["values"]


def trace_kept(policies: list[dict[str, Any]], spans: list[dict[str, Any]]) -> bool:
    return any(policy_keeps(policy, span) for policy in policies for span in spans)


def fixture_traces() -> dict[str, list[dict[str, Any]]]:
    """Span attributes per trace from the recorded instrumentation output (OTLP/JSON files)."""
    traces: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(FIXTURES_DIR.glob("*/traces-*.json")):
        document = json.loads(path.read_text())
        for resource_spans in document["resourceSpans"]:
            for scope_spans in resource_spans["scopeSpans"]:
                for span in scope_spans["spans"]:
                    attributes = {a["key"]: a["value"].get("stringValue") for a in span.get("attributes", [])}
                    traces[f"{path.parent.name}:{span['traceId']}"].append(attributes)
    return traces


def test_every_recorded_llm_trace_is_kept(config: dict[str, Any]) -> None:
    policies = config["processors"]["tail_sampling"]["policies"]
    traces = fixture_traces()
    assert len(traces) >= 10
    llm_traces = {tid: spans for tid, spans in traces.items()
                  if any(s.get("gen_ai.operation.name") in {"chat", "text_completion"} for s in spans)}
    assert llm_traces
    for trace_id, spans in llm_traces.items():
        assert trace_kept(policies, spans), trace_id


def test_every_demo_trace_is_kept(config: dict[str, Any]) -> None:
    policies = config["processors"]["tail_sampling"]["policies"]
    traces: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for span in capture(weeks=1, scale=0.05).spans:
        traces[span.context.trace_id].append(dict(span.attributes or {}))
    assert len(traces) > 500
    assert all(trace_kept(policies, spans) for spans in traces.values())


@pytest.mark.parametrize("spans", [
    [{"http.request.method": "GET", "http.route": "/health"}],
    [{"db.system.name": "postgresql", "db.operation.name": "SELECT"}, {"rpc.system": "grpc"}],
    [{"gen_ai.provider.name": ""}],  # an empty value is no GenAI span
    [{"openinference.span.kind": "CHAIN"}, {"llm.request.type": "rerank"}],
])
def test_traces_without_llm_spans_are_dropped(config: dict[str, Any], spans: list[dict[str, Any]]) -> None:
    assert not trace_kept(config["processors"]["tail_sampling"]["policies"], spans)


def test_openinference_and_legacy_openllmetry_llm_spans_are_kept(config: dict[str, Any]) -> None:
    policies = config["processors"]["tail_sampling"]["policies"]
    assert trace_kept(policies, [{"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o"}])
    assert trace_kept(policies, [{"llm.request.type": "chat"}])
    assert trace_kept(policies, [{"gen_ai.system": "Anthropic"}])
