"""Model and provider names as telemetry reports them, reduced to what a price table can match.

Instrumentations report the provider in OTel's vocabulary (``aws.bedrock``, ``gcp.vertex_ai``,
``azure.ai.openai`` …) and the model as the client sent it, often with a routing prefix:
OpenRouter/LiteLLM style ``openai/gpt-4o``, Bedrock inference profiles
``us.anthropic.claude-sonnet-4-5-20250929-v1:0``, Vertex ``claude-sonnet-4-5@20250929``, Gemini
``models/gemini-2.5-pro``. ``ModelName.parse`` keeps the raw reference and adds the bare model
id plus the vendor a prefix names, so lookups can try the most specific form first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# OTel gen_ai.provider.name (and deprecated gen_ai.system) values genai-prices does not resolve
# by itself, mapped to its provider ids. Everything else is passed through unchanged.
PROVIDER_ALIASES: dict[str, str] = {
    "azure.ai.inference": "azure",
    "az.ai.inference": "azure",
    "gcp.gen_ai": "google",
    "x_ai": "x-ai",
    "fireworks_ai": "fireworks",
    "moonshot_ai": "moonshotai",
    "mistral_ai": "mistral",
}

# Vendors a routing prefix may name (``openai/…``, ``us.anthropic.…``), mapped to provider ids.
VENDOR_PREFIXES: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "gemini": "google",
    "vertex_ai": "google",
    "meta": "meta",
    "meta-llama": "meta",
    "mistral": "mistral",
    "mistralai": "mistral",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "x-ai": "x-ai",
    "xai": "x-ai",
    "amazon": "aws",
    "moonshotai": "moonshotai",
}

_BEDROCK_ID = re.compile(
    r"^(?:(?:us|eu|apac|ap|ca|jp|au|us-gov|global)\.)?"
    r"(?P<vendor>anthropic|meta|amazon|mistral|cohere|ai21|deepseek|openai|qwen|writer)\."
    r"(?P<model>.+?)(?:-v\d+(?::\d+)?)?(?::\d+)?$"
)
_MAX_NAME = 300


@dataclass(frozen=True, slots=True)
class ModelName:
    raw: str  # as reported, trimmed and lower-cased
    bare: str  # routing prefixes and version suffixes removed
    vendor: str | None  # provider id a prefix named, if any

    @classmethod
    def parse(cls, model: str) -> ModelName:
        raw = model.strip().lower()[:_MAX_NAME]
        bare, vendor = raw, None
        if "/" in bare:
            head, _, tail = bare.rpartition("/")
            vendor = VENDOR_PREFIXES.get(head.rpartition("/")[2])
            bare = tail
        match = _BEDROCK_ID.match(bare)
        if match:
            vendor = vendor or VENDOR_PREFIXES.get(match["vendor"], match["vendor"])
            bare = match["model"]
        if "@" in bare:  # Vertex: claude-sonnet-4-5@20250929
            bare = bare.replace("@", "-")
        return cls(raw=raw, bare=bare or raw, vendor=vendor)


def provider_id(provider: str | None) -> str | None:
    """The genai-prices provider id for an OTel provider name (unknown names pass through)."""
    if provider is None:
        return None
    name = provider.strip().lower()
    if not name:
        return None
    return PROVIDER_ALIASES.get(name, name)
