"""One provider vocabulary: the OTel GenAI well-known ``gen_ai.provider.name`` values.

Conventions disagree (``az.ai.openai`` vs ``azure.ai.openai``, ``xai`` vs ``x_ai``, capitalised
legacy ``Anthropic`` / ``AWS``, OpenInference's hosting names ``azure`` / ``google`` / ``aws``,
OpenLIT's ``gemini`` / ``vertex_ai`` / ``ibm.watson.ai``). ``normalize_provider`` maps every alias
to the well-known value; values nobody standardised (``ollama``, ``openrouter`` ...) are kept,
lower-cased, with spaces and dashes turned into underscores. When no provider attribute is sent,
``provider_from_address`` recognises the public API hosts.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

WELL_KNOWN: Final = frozenset({
    "anthropic", "aws.bedrock", "azure.ai.inference", "azure.ai.openai", "cohere", "deepseek",
    "gcp.gemini", "gcp.gen_ai", "gcp.vertex_ai", "groq", "ibm.watsonx.ai", "mistral_ai",
    "moonshot_ai", "openai", "perplexity", "x_ai",
})

_ALIASES: Final = {
    # deprecated gen_ai.system values and OpenLLMetry's variants
    "az.ai.openai": "azure.ai.openai",
    "az.ai.inference": "azure.ai.inference",
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "azureopenai": "azure.ai.openai",
    "azure.openai": "azure.ai.openai",
    "azure_ai_inference": "azure.ai.inference",
    "vertex_ai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "vertex": "gcp.vertex_ai",
    "google_vertex": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "google_genai": "gcp.gen_ai",
    "google.genai": "gcp.gen_ai",
    "google": "gcp.gen_ai",
    "gcp": "gcp.gen_ai",
    "xai": "x_ai",
    "x.ai": "x_ai",
    "grok": "x_ai",
    "mistralai": "mistral_ai",
    "mistral": "mistral_ai",
    "aws": "aws.bedrock",
    "bedrock": "aws.bedrock",
    "aws_bedrock": "aws.bedrock",
    "amazon_bedrock": "aws.bedrock",
    "ibm.watson.ai": "ibm.watsonx.ai",
    "watsonx": "ibm.watsonx.ai",
    "ibm_watsonx": "ibm.watsonx.ai",
    "watson": "ibm.watsonx.ai",
    "ibm": "ibm.watsonx.ai",
    "cohere_ai": "cohere",
    "deepseek_ai": "deepseek",
    "moonshot": "moonshot_ai",
    "moonshotai": "moonshot_ai",
    "perplexity_ai": "perplexity",
    "perplexityai": "perplexity",
    "groq_cloud": "groq",
    "huggingface": "hugging_face",
    "together": "together_ai",
    "vllm": "vllm",
}

_HOST_SUFFIXES: Final = (
    ("api.openai.com", "openai"),
    (".openai.azure.com", "azure.ai.openai"),
    (".services.ai.azure.com", "azure.ai.inference"),
    (".inference.ai.azure.com", "azure.ai.inference"),
    ("api.anthropic.com", "anthropic"),
    ("generativelanguage.googleapis.com", "gcp.gemini"),
    ("aiplatform.googleapis.com", "gcp.vertex_ai"),
    (".amazonaws.com", "aws.bedrock"),
    ("api.mistral.ai", "mistral_ai"),
    ("api.x.ai", "x_ai"),
    ("api.groq.com", "groq"),
    ("api.deepseek.com", "deepseek"),
    ("api.cohere.com", "cohere"),
    ("api.cohere.ai", "cohere"),
    ("api.perplexity.ai", "perplexity"),
    ("api.moonshot.ai", "moonshot_ai"),
    ("api.moonshot.cn", "moonshot_ai"),
    ("cloud.ibm.com", "ibm.watsonx.ai"),
)

_CACHE: dict[str, str] = {}


def normalize_provider(raw: str) -> str:
    """The canonical provider name for any alias (cached; the vocabulary is small)."""
    cached = _CACHE.get(raw)
    if cached is not None:
        return cached
    key = raw.strip().lower().replace(" ", "_").replace("-", "_")
    canonical = key if key in WELL_KNOWN else _ALIASES.get(key, key)
    if len(_CACHE) < 4096:
        _CACHE[raw] = canonical
    return canonical


def provider_from_address(address: str) -> str | None:
    """Recognise a public API host (a bare host name or a URL such as an ``api_base``)."""
    text = address.strip().lower()
    if "://" in text:
        try:
            text = urlsplit(text).hostname or ""
        except ValueError:
            return None
    host = text.split("/", 1)[0].rsplit(":", 1)[0]
    if not host:
        return None
    if host.endswith(".amazonaws.com") and "bedrock" not in host:
        return None
    for suffix, provider in _HOST_SUFFIXES:
        if host == suffix.lstrip(".") or host.endswith(suffix):
            return provider
    return None
