"""Each convention's keys, on small hand-built spans, map to the same canonical call."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.unit.conventions.spans import SPAN_KIND_INTERNAL, decode, make_span, only_call

CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    (
        "otel-current",
        {"name": "chat gpt-4o"},
        {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 50,
            "gen_ai.usage.cache_read.input_tokens": 40, "gen_ai.usage.cache_write.input_tokens": 10,
            "gen_ai.usage.reasoning.output_tokens": 20, "gen_ai.response.finish_reasons": ["length", "stop"],
            "gen_ai.response.id": "chatcmpl-1", "gen_ai.request.stream": True,
            "gen_ai.conversation.id": "conv-1", "user.id": "u-1", "gen_ai.agent.name": "Helper",
            "gen_ai.request.temperature": 0.5,
        },
        {
            "call_kind": "llm", "operation": "chat", "provider": "openai", "request_model": "gpt-4o",
            "response_model": "gpt-4o-2024-08-06", "input_tokens": 100, "output_tokens": 50,
            "cache_read_tokens": 40, "cache_write_tokens": 10, "reasoning_tokens": 20,
            "finish_reason": "length", "response_id": "chatcmpl-1", "streamed": True,
            "session_id": "conv-1", "user_id": "u-1", "agent_name": "Helper", "status": "ok",
            "attributes": {"gen_ai.request.temperature": 0.5},
        },
    ),
    (
        "otel-deprecated-names",
        {"name": "chat my-deployment"},
        {
            "gen_ai.operation.name": "chat", "gen_ai.system": "az.ai.openai",
            "gen_ai.request.model": "my-deployment", "gen_ai.usage.prompt_tokens": 12,
            "gen_ai.usage.completion_tokens": 3, "gen_ai.usage.cache_creation.input_tokens": 2,
        },
        {"provider": "azure.ai.openai", "request_model": "my-deployment", "response_model": None,
         "input_tokens": 12, "output_tokens": 3, "cache_write_tokens": 2, "cache_read_tokens": None},
    ),
    (
        "otel-generate-content-vertex",
        {"name": "generate_content gemini-2.0-flash"},
        {"gen_ai.operation.name": "generate_content", "gen_ai.system": "vertex_ai",
         "gen_ai.request.model": "gemini-2.0-flash", "gen_ai.usage.input_tokens": 9,
         "gen_ai.usage.output_tokens": 4},
        {"operation": "generate_content", "provider": "gcp.vertex_ai", "input_tokens": 9, "output_tokens": 4},
    ),
    (
        "otel-text-completion",
        {"name": "text_completion gpt-3.5-turbo-instruct"},
        {"gen_ai.operation.name": "text_completion", "gen_ai.provider.name": "openai",
         "gen_ai.request.model": "gpt-3.5-turbo-instruct"},
        {"operation": "text_completion", "input_tokens": None, "output_tokens": None},
    ),
    (
        "openllmetry-legacy",
        {"name": "anthropic.chat"},
        {
            "llm.request.type": "chat", "gen_ai.system": "Anthropic",
            "gen_ai.request.model": "claude-3-5-sonnet-latest",
            "gen_ai.response.model": "claude-3-5-sonnet-20241022",
            "gen_ai.usage.prompt_tokens": 1200, "gen_ai.usage.completion_tokens": 80,
            "gen_ai.usage.cache_read_input_tokens": 1000, "gen_ai.usage.cache_creation_input_tokens": 150,
            "llm.usage.total_tokens": 1280, "llm.is_streaming": False,
            "traceloop.workflow.name": "joke_generation",
            "traceloop.association.properties.session_id": "s-9",
            "traceloop.association.properties.user_id": "u-9",
            "gen_ai.completion.0.finish_reason": "end_turn",
            "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "TOPSECRET prompt",
            "gen_ai.completion.0.content": "TOPSECRET answer",
        },
        {
            "operation": "chat", "provider": "anthropic", "request_model": "claude-3-5-sonnet-latest",
            "response_model": "claude-3-5-sonnet-20241022", "input_tokens": 1200, "output_tokens": 80,
            "cache_read_tokens": 1000, "cache_write_tokens": 150, "streamed": False,
            "task": "joke_generation", "session_id": "s-9", "user_id": "u-9", "finish_reason": "end_turn",
        },
    ),
    (
        "openllmetry-new",
        {"name": "openai.chat"},
        {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "o3-mini", "gen_ai.usage.input_tokens": 50,
            "gen_ai.usage.output_tokens": 300, "gen_ai.usage.reasoning_tokens": 256,
            "gen_ai.is_streaming": True, "gen_ai.response.stop_reason": "stop",
            "gen_ai.input.messages": '[{"role": "user", "parts": [{"content": "TOPSECRET"}]}]',
            "traceloop.entity.input": '{"TOPSECRET": 1}',
        },
        {"reasoning_tokens": 256, "output_tokens": 300, "streamed": True, "finish_reason": "stop"},
    ),
    (
        "openllmetry-span-name-only",
        {"name": "openai.completion"},
        {"gen_ai.request.model": "gpt-3.5-turbo-instruct", "gen_ai.usage.prompt_tokens": 5},
        {"operation": "text_completion", "request_model": "gpt-3.5-turbo-instruct", "input_tokens": 5},
    ),
    (
        "openinference-llm",
        {"name": "ChatCompletion", "kind": SPAN_KIND_INTERNAL},
        {
            "openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini-2024-07-18",
            "llm.invocation_parameters": '{"model": "gpt-4o-mini", "temperature": 0.2, "user": "TOPSECRET"}',
            "llm.token_count.prompt": 30, "llm.token_count.completion": 5,
            "llm.token_count.prompt_details.cache_read": 10, "llm.token_count.prompt_details.cache_write": 0,
            "llm.token_count.completion_details.reasoning": 2, "llm.token_count.total": 35,
            "llm.provider": "azure", "llm.system": "openai", "session.id": "sess", "user.id": "usr",
            "llm.cost.total": 0.0012, "input.value": "TOPSECRET", "input.mime_type": "text/plain",
            "llm.input_messages.0.message.content": "TOPSECRET", "llm.output_messages.0.message.role": "x",
            "metadata": '{"note": "TOPSECRET"}',
        },
        {
            "operation": "chat", "provider": "azure.ai.openai", "request_model": "gpt-4o-mini",
            "response_model": "gpt-4o-mini-2024-07-18", "input_tokens": 30, "output_tokens": 5,
            "cache_read_tokens": 10, "cache_write_tokens": 0, "reasoning_tokens": 2,
            "reported_cost_usd": Decimal("0.0012"), "session_id": "sess", "user_id": "usr",
        },
    ),
    (
        "openinference-request-model-name",
        {"name": "Response", "kind": SPAN_KIND_INTERNAL},
        {"openinference.span.kind": "LLM", "llm.request.model_name": "claude-opus-5",
         "llm.response.model_name": "claude-opus-5-20260801", "llm.system": "anthropic",
         "llm.prompts.0.prompt.text": "TOPSECRET"},
        {"operation": "text_completion", "provider": "anthropic", "request_model": "claude-opus-5",
         "response_model": "claude-opus-5-20260801"},
    ),
    (
        "openinference-embedding",
        {"name": "CreateEmbeddings", "kind": SPAN_KIND_INTERNAL},
        {"openinference.span.kind": "EMBEDDING", "embedding.model_name": "text-embedding-3-small",
         "llm.token_count.prompt": 8, "llm.system": "openai",
         "embedding.embeddings.0.embedding.text": "TOPSECRET"},
        {"call_kind": "embedding", "operation": "embeddings", "response_model": "text-embedding-3-small",
         "input_tokens": 8, "output_tokens": None},
    ),
    (
        "otel-embeddings",
        {"name": "embeddings text-embedding-3-large"},
        {"gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openai",
         "gen_ai.request.model": "text-embedding-3-large", "gen_ai.usage.input_tokens": 20},
        {"call_kind": "embedding", "operation": "embeddings", "input_tokens": 20},
    ),
    (
        "openllmetry-legacy-embedding",
        {"name": "openai.embeddings"},
        {"llm.request.type": "embedding", "gen_ai.system": "OpenAI",
         "gen_ai.request.model": "text-embedding-ada-002", "gen_ai.usage.prompt_tokens": 7},
        {"call_kind": "embedding", "provider": "openai", "input_tokens": 7},
    ),
    (
        "langfuse-keys",
        {"name": "llm-call", "kind": SPAN_KIND_INTERNAL},
        {
            "langfuse.observation.type": "generation", "langfuse.observation.model.name": "claude-3-haiku",
            "langfuse.session.id": "lf-sess", "langfuse.user.id": "lf-user",
            "langfuse.environment": "staging", "langfuse.trace.name": "ticket-triage",
            "langfuse.observation.usage_details": '{"input": 10, "output": 5, "input_cached_tokens": 4}',
            "langfuse.observation.cost_details": '{"total": 0.002}',
            "langfuse.observation.input": "TOPSECRET", "langfuse.observation.output": "TOPSECRET",
            "langfuse.observation.metadata.customer": "TOPSECRET",
        },
        {
            "request_model": "claude-3-haiku", "input_tokens": 14, "output_tokens": 5, "cache_read_tokens": 4,
            "reported_cost_usd": Decimal("0.002"), "session_id": "lf-sess", "user_id": "lf-user",
            "environment": "staging", "task": None,
        },
    ),
]


@pytest.mark.parametrize(("span_options", "attributes", "expected"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_convention_maps_to_canonical_call(span_options: dict[str, Any], attributes: dict[str, Any],
                                           expected: dict[str, Any]) -> None:
    batch = decode(make_span(attributes, **span_options))
    call = only_call(batch)
    for name, value in expected.items():
        if name == "attributes":
            for key, kept in value.items():
                assert call.attributes.get(key) == kept, key
        else:
            assert getattr(call, name) == value, name
    assert "TOPSECRET" not in repr(call)
    assert batch.skeletons == [] and batch.rejected == 0


def test_typed_values_are_not_repeated_in_attributes() -> None:
    call = only_call(decode(make_span(CASES[0][2])))
    for key in ("gen_ai.request.model", "gen_ai.response.model", "gen_ai.usage.input_tokens",
                "gen_ai.provider.name", "gen_ai.response.id", "gen_ai.operation.name"):
        assert key not in call.attributes


def test_losing_alias_with_a_different_value_stays_in_attributes() -> None:
    call = only_call(decode(make_span({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.system": "Anthropic",
        "gen_ai.request.model": "claude-haiku-4-5", "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.prompt_tokens": 12,
    })))
    assert call.input_tokens == 10
    assert call.attributes["gen_ai.usage.prompt_tokens"] == 12
    assert call.attributes["gen_ai.system"] == "Anthropic"


OPENLIT_ANTHROPIC = {
    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": "claude-sonnet-4-5", "gen_ai.usage.input_tokens": 100,
    "gen_ai.usage.cache_read.input_tokens": 30, "gen_ai.usage.cache_creation.input_tokens": 20,
    "gen_ai.usage.output_tokens": 7,
}


@pytest.mark.parametrize(("resource", "scope", "span_extra"), [
    ({"service.name": "svc", "telemetry.sdk.name": "openlit"}, "anything", {}),
    ({"service.name": "svc"}, "openlit.otel.tracing", {}),
    ({"service.name": "svc"}, "x", {"telemetry.sdk.name": "openlit"}),
], ids=["resource-sdk", "scope-name", "span-sdk"])
def test_openlit_anthropic_input_is_made_inclusive(resource: dict[str, Any], scope: str,
                                                   span_extra: dict[str, Any]) -> None:
    call = only_call(decode(make_span({**OPENLIT_ANTHROPIC, **span_extra}), resource=resource, scope=scope))
    assert call.input_tokens == 150
    assert call.cache_read_tokens == 30 and call.cache_write_tokens == 20
    assert "_input_tokens_normalized" in call.attributes


def test_inclusive_anthropic_input_is_left_alone_outside_openlit() -> None:
    call = only_call(decode(make_span(OPENLIT_ANTHROPIC), scope="opentelemetry.instrumentation.anthropic"))
    assert call.input_tokens == 100
    assert "_input_tokens_normalized" not in call.attributes


def test_cache_larger_than_input_means_exclusive_input() -> None:
    call = only_call(decode(make_span({**OPENLIT_ANTHROPIC, "gen_ai.usage.input_tokens": 5})))
    assert call.input_tokens == 55


def test_reasoning_larger_than_output_means_exclusive_output() -> None:
    call = only_call(decode(make_span({
        "gen_ai.operation.name": "generate_content", "gen_ai.provider.name": "gcp.gemini",
        "gen_ai.request.model": "gemini-2.5-pro", "gen_ai.usage.output_tokens": 10,
        "gen_ai.usage.reasoning.output_tokens": 30,
    })))
    assert call.output_tokens == 40 and call.reasoning_tokens == 30


@pytest.mark.parametrize(("cost", "scope", "expected"), [
    (0.0031, "openlit.otel.tracing", Decimal("0.0031")),
    (0.0, "openlit.otel.tracing", None),  # OpenLIT's 0 means "not in its price table"
    (0.0, "my.own.instrumentation", Decimal("0")),
    (-1.0, "x", None),
    (float("nan"), "x", None),
    ("0.25", "x", Decimal("0.25")),
])
def test_reported_cost(cost: Any, scope: str, expected: Decimal | None) -> None:
    call = only_call(decode(make_span({**OPENLIT_ANTHROPIC, "gen_ai.usage.cost": cost}), scope=scope))
    assert call.reported_cost_usd == expected
    assert call.cost_usd is None  # pricing is not the decoder's job


@pytest.mark.parametrize(("raw", "expected"), [
    ("openai", "openai"), ("xai", "x_ai"), ("x_ai", "x_ai"), ("az.ai.openai", "azure.ai.openai"),
    ("az.ai.inference", "azure.ai.inference"), ("Azure", "azure.ai.openai"), ("vertex_ai", "gcp.vertex_ai"),
    ("vertexai", "gcp.vertex_ai"), ("gemini", "gcp.gemini"), ("mistralai", "mistral_ai"),
    ("MistralAI", "mistral_ai"), ("Anthropic", "anthropic"), ("AWS", "aws.bedrock"),
    ("ibm.watson.ai", "ibm.watsonx.ai"), ("Google", "gcp.gen_ai"), ("ollama", "ollama"),
    ("Together", "together_ai"), ("groq", "groq"), ("perplexity", "perplexity"),
])
def test_provider_names_are_normalized(raw: str, expected: str) -> None:
    call = only_call(decode(make_span({"gen_ai.operation.name": "chat", "gen_ai.provider.name": raw,
                                       "gen_ai.request.model": "m"})))
    assert call.provider == expected


@pytest.mark.parametrize(("attributes", "expected"), [
    ({"server.address": "api.anthropic.com"}, "anthropic"),
    ({"server.address": "my-resource.openai.azure.com"}, "azure.ai.openai"),
    ({"gen_ai.openai.api_base": "https://api.x.ai/v1"}, "x_ai"),
    ({"server.address": "bedrock-runtime.us-east-1.amazonaws.com"}, "aws.bedrock"),
    ({"server.address": "localhost"}, None),
])
def test_provider_inferred_from_server_address(attributes: dict[str, Any], expected: str | None) -> None:
    call = only_call(decode(make_span({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
                                       **attributes})))
    assert call.provider == expected
    assert all(key in call.attributes for key in attributes)  # kept as context


def test_openlit_provider_xai_and_span_level_service() -> None:
    call = only_call(decode(make_span({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "xai", "gen_ai.request.model": "grok-3",
        "service.name": "from-span", "deployment.environment": "prod", "telemetry.sdk.name": "openlit",
    }), resource={}, scope="openlit.otel.tracing"))
    assert call.provider == "x_ai"
    assert call.service == "from-span"
    assert call.environment == "prod"


@pytest.mark.parametrize(("resource", "span_attributes", "service", "environment"), [
    ({"service.name": "res", "deployment.environment.name": "prod"}, {}, "res", "prod"),
    ({"service.name": "res", "deployment.environment": "old"}, {}, "res", "old"),
    ({"service.name": "res", "deployment.environment.name": "prod"},
     {"deployment.environment.name": "canary"}, "res", "canary"),
    ({"service.name": "res", "langfuse.environment": "lf"}, {}, "res", "lf"),
    ({"service.name": "res"}, {"service.name": "span-level"}, "res", None),
    ({}, {}, "unknown_service", None),
])
def test_service_and_environment(resource: dict[str, Any], span_attributes: dict[str, Any],
                                 service: str, environment: str | None) -> None:
    batch = decode([
        make_span({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", **span_attributes}),
        make_span(span_attributes, name="root", kind=SPAN_KIND_INTERNAL),
    ], resource=resource)
    assert (batch.calls[0].service, batch.calls[0].environment) == (service, environment)
    assert (batch.skeletons[0].service, batch.skeletons[0].environment) == (service, environment)


@pytest.mark.parametrize(("value", "expected", "noted"), [
    (5, 5, False), (5.0, 5, False), (5.6, 6, False), ("5", 5, False), (" 7 ", 7, False), ("5.0", 5, False),
    (-1, None, True), (float("nan"), None, True), (float("inf"), None, True), (1e13, None, True),
    (10**12 + 1, None, True), ("abc", None, True), ("", None, False), (True, None, True),
    ([1, 2], None, True), ("٣", None, True),
])
def test_token_counts_are_parsed_leniently(value: Any, expected: int | None, noted: bool) -> None:
    call = only_call(decode(make_span({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
                                       "gen_ai.usage.input_tokens": value})))
    assert call.input_tokens == expected
    assert ("gen_ai.usage.input_tokens" in call.attributes.get("_invalid_values", [])) is noted


def test_missing_counts_are_unknown_not_zero() -> None:
    call = only_call(decode(make_span({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"})))
    for name in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                 "reasoning_tokens", "reported_cost_usd", "finish_reason", "streamed"):
        assert getattr(call, name) is None, name


def test_invalid_preferred_key_falls_back_to_alias() -> None:
    call = only_call(decode(make_span({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
                                       "gen_ai.usage.input_tokens": -3, "gen_ai.usage.prompt_tokens": 9})))
    assert call.input_tokens == 9
    assert call.attributes["_invalid_values"] == ["gen_ai.usage.input_tokens"]


def test_openlit_legacy_application_name_and_environment() -> None:
    batch = decode(make_span({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m",
                              "gen_ai.application_name": "legacy-app", "gen_ai.environment": "qa"}), resource={})
    assert (batch.calls[0].service, batch.calls[0].environment) == ("legacy-app", "qa")
