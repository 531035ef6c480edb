"""The cast of the demo: the models it calls and the services that call them.

Each ``DemoModel`` says how its instrumentation reports a call — provider name, request model,
the dated snapshot the provider answers with, the instrumentation scope, the server address and
how the provider reports prompt caching and reasoning — so the generated spans look like what the
official OpenTelemetry GenAI instrumentations emit. ``SERVICES`` lists the demo's services with the
environments they run in.
"""

from __future__ import annotations

from dataclasses import dataclass

# How a provider reports prompt caching on its usage object.
CACHE_AUTOMATIC = "automatic"  # OpenAI: cached prefix reads, always reported (0 when none)
CACHE_EXPLICIT = "explicit"  # Anthropic / Bedrock: cache reads and cache writes, both reported
CACHE_IMPLICIT = "implicit"  # Gemini: cached reads reported only when there were some


@dataclass(frozen=True)
class DemoModel:
    key: str  # short name used by the task shapes
    provider: str  # gen_ai.provider.name
    request_model: str  # gen_ai.request.model
    response_model: str | None  # gen_ai.response.model (None: the instrumentation does not report it)
    operation: str  # gen_ai.operation.name
    scope: str  # instrumentation scope name
    scope_version: str
    server_address: str
    caching: str
    reasoning: bool  # reports gen_ai.usage.reasoning.output_tokens
    output_tokens_per_second: float
    error_types: tuple[str, ...]  # error.type values this provider's failures carry
    finish_stop: str  # the provider's normal finish reason


_OPENAI = ("opentelemetry.instrumentation.openai_v2", "2.1b0", "api.openai.com")
_ANTHROPIC = ("opentelemetry.instrumentation.anthropic", "0.40.7", "api.anthropic.com")
_GEMINI = ("opentelemetry.instrumentation.google_genai", "0.3b0", "generativelanguage.googleapis.com")
_BEDROCK = ("opentelemetry.instrumentation.botocore.bedrock-runtime", "0.55b0",
            "bedrock-runtime.us-east-1.amazonaws.com")
_OPENAI_ERRORS = ("RateLimitError", "APITimeoutError", "InternalServerError")
_ANTHROPIC_ERRORS = ("OverloadedError", "RateLimitError", "APITimeoutError")
_GEMINI_ERRORS = ("429", "503", "DEADLINE_EXCEEDED")
_BEDROCK_ERRORS = ("ThrottlingException", "ModelTimeoutException")


def _openai(key: str, request: str, response: str, tps: float, reasoning: bool = False) -> DemoModel:
    return DemoModel(key, "openai", request, response, "chat", *_OPENAI, CACHE_AUTOMATIC, reasoning, tps,
                     _OPENAI_ERRORS, "stop")


def _anthropic(key: str, request: str, response: str, tps: float) -> DemoModel:
    return DemoModel(key, "anthropic", request, response, "chat", *_ANTHROPIC, CACHE_EXPLICIT, False, tps,
                     _ANTHROPIC_ERRORS, "end_turn")


def _gemini(key: str, model: str, tps: float) -> DemoModel:
    return DemoModel(key, "gcp.gemini", model, model, "generate_content", *_GEMINI, CACHE_IMPLICIT, True, tps,
                     _GEMINI_ERRORS, "stop")


def _bedrock(key: str, model_id: str, tps: float) -> DemoModel:
    return DemoModel(key, "aws.bedrock", model_id, None, "chat", *_BEDROCK, CACHE_EXPLICIT, False, tps,
                     _BEDROCK_ERRORS, "end_turn")


MODELS: dict[str, DemoModel] = {m.key: m for m in (
    _openai("gpt-4o", "gpt-4o", "gpt-4o-2024-08-06", 90.0),
    _openai("gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 140.0),
    _openai("gpt-4.1", "gpt-4.1", "gpt-4.1-2025-04-14", 85.0),
    _openai("gpt-4.1-mini", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", 130.0),
    _openai("o4-mini", "o4-mini", "o4-mini-2025-04-16", 120.0, reasoning=True),
    _openai("o3", "o3", "o3-2025-04-16", 70.0, reasoning=True),
    # A fine-tuned model (priced by its base model's fine-tuned rate).
    _openai("ft-ticket-classifier", "ft:gpt-4o-mini-2024-07-18:acme:tickets:B2xQ7",
            "ft:gpt-4o-mini-2024-07-18:acme:tickets:B2xQ7", 140.0),
    # A self-hosted model behind an OpenAI-compatible server: no public price, so an honest collector
    # shows its calls as unpriced (never $0).
    DemoModel("acme-ticket-router", "openai", "acme-ticket-router-v3", "acme-ticket-router-v3", "chat",
              _OPENAI[0], _OPENAI[1], "llm.internal.acme.dev", CACHE_IMPLICIT, False, 220.0,
              ("APIConnectionError",), "stop"),
    _anthropic("claude-sonnet-4-5", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", 75.0),
    _anthropic("claude-haiku-4-5", "claude-haiku-4-5", "claude-haiku-4-5-20251001", 160.0),
    _gemini("gemini-2.5-pro", "gemini-2.5-pro", 80.0),
    _gemini("gemini-2.5-flash", "gemini-2.5-flash", 180.0),
    _bedrock("bedrock-claude-sonnet-4-5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 70.0),
    _bedrock("bedrock-claude-haiku-4-5", "us.anthropic.claude-haiku-4-5-20251001-v1:0", 150.0),
)}


@dataclass(frozen=True)
class DemoService:
    name: str  # service.name
    version: str  # service.version
    staging_share: float  # fraction of task runs that come from the staging deployment


SERVICES: dict[str, DemoService] = {s.name: s for s in (
    DemoService("support-bot", "3.14.2", 0.06),
    DemoService("code-assistant", "1.8.0", 0.05),
    DemoService("search-api", "2.2.7", 0.0),
    DemoService("travel-agent", "0.9.3", 0.10),
)}
