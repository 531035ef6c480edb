"""Attribute keys of the five conventions: which canonical field each feeds, and which are content.

``FIELD_KEYS`` lists, per canonical field, every alias in precedence order (first present and
usable wins), following the "Suggested extraction precedence" of
``docs/telemetry-conventions.md``. ``classify_key`` answers, for one attribute key, whether it feeds
a field (and with which rank), is content to scrub, or is an ordinary leftover attribute. It is
called once per attribute in the hot loop, so exact keys are one dict lookup and prefix rules are
one ``str.startswith(tuple)`` whose answer is cached per key.
"""

from __future__ import annotations

from typing import Final

# Canonical fields read from span attributes.
OPERATION = "operation"
LLM_REQUEST_TYPE = "llm_request_type"
OPENINFERENCE_KIND = "openinference_kind"
TRACELOOP_KIND = "traceloop_kind"
LANGFUSE_TYPE = "langfuse_type"
PROVIDER = "provider"
HOSTING_PROVIDER = "hosting_provider"
RESPONSE_MODEL = "response_model"
REQUEST_MODEL = "request_model"
EMBEDDING_MODEL = "embedding_model"
INVOCATION_PARAMETERS = "invocation_parameters"
INPUT_TOKENS = "input_tokens"
OUTPUT_TOKENS = "output_tokens"
CACHE_READ_TOKENS = "cache_read_tokens"
CACHE_WRITE_TOKENS = "cache_write_tokens"
REASONING_TOKENS = "reasoning_tokens"
REPORTED_COST = "reported_cost_usd"
COST_DETAILS = "cost_details"
USAGE_DETAILS = "usage_details"
FINISH_REASON = "finish_reason"
STREAMED = "streamed"
RESPONSE_ID = "response_id"
ERROR_TYPE = "error_type"
HTTP_STATUS = "http_status"
MODELMIX_TASK = "modelmix_task"
WORKFLOW_NAME = "workflow_name"
TRACE_NAME = "trace_name"
SESSION_ID = "session_id"
USER_ID = "user_id"
AGENT_NAME = "agent_name"
ENTITY_NAME = "entity_name"
ESCALATED_FROM = "escalated_from"
VERIFICATION = "verification"
SERVICE_NAME = "service_name"
ENVIRONMENT = "environment"
SDK_NAME = "sdk_name"
SERVER_ADDRESS = "server_address"
API_BASE = "api_base"

FIELD_KEYS: Final[dict[str, tuple[str, ...]]] = {
    OPERATION: ("gen_ai.operation.name",),
    LLM_REQUEST_TYPE: ("llm.request.type",),
    OPENINFERENCE_KIND: ("openinference.span.kind",),
    TRACELOOP_KIND: ("traceloop.span.kind",),
    LANGFUSE_TYPE: ("langfuse.observation.type",),
    PROVIDER: ("gen_ai.provider.name", "gen_ai.system"),
    HOSTING_PROVIDER: ("llm.provider", "llm.system"),
    RESPONSE_MODEL: ("gen_ai.response.model", "llm.response.model_name", "llm.model_name", "ai.model.id"),
    REQUEST_MODEL: ("gen_ai.request.model", "llm.request.model_name", "langfuse.observation.model.name"),
    EMBEDDING_MODEL: ("embedding.model_name",),
    INVOCATION_PARAMETERS: ("llm.invocation_parameters",),
    INPUT_TOKENS: ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"),
    OUTPUT_TOKENS: ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
                    "llm.token_count.completion"),
    CACHE_READ_TOKENS: ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
                        "llm.token_count.prompt_details.cache_read",
                        "gen_ai.usage.prompt_tokens_details.cached_tokens"),
    CACHE_WRITE_TOKENS: ("gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation.input_tokens",
                         "gen_ai.usage.cache_creation_input_tokens",
                         "llm.token_count.prompt_details.cache_write",
                         "gen_ai.usage.prompt_tokens_details.cache_creation_tokens"),
    REASONING_TOKENS: ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
                       "llm.usage.reasoning_tokens", "llm.token_count.completion_details.reasoning",
                       "gen_ai.usage.completion_tokens_details.reasoning_tokens"),
    REPORTED_COST: ("gen_ai.usage.cost", "llm.cost.total"),
    COST_DETAILS: ("langfuse.observation.cost_details",),
    USAGE_DETAILS: ("langfuse.observation.usage_details",),
    FINISH_REASON: ("gen_ai.response.finish_reasons", "gen_ai.response.finish_reason",
                    "gen_ai.response.stop_reason", "llm.response.finish_reason", "llm.response.stop_reason",
                    "gen_ai.completion.0.finish_reason"),
    STREAMED: ("gen_ai.request.stream", "gen_ai.is_streaming", "llm.is_streaming"),
    RESPONSE_ID: ("gen_ai.response.id",),
    ERROR_TYPE: ("error.type",),
    HTTP_STATUS: ("http.response.status_code", "http.status_code"),
    MODELMIX_TASK: ("modelmix.task",),
    WORKFLOW_NAME: ("gen_ai.workflow.name", "traceloop.workflow.name"),
    TRACE_NAME: ("langfuse.trace.name",),
    SESSION_ID: ("gen_ai.conversation.id", "session.id", "traceloop.association.properties.session_id",
                 "langfuse.session.id", "gen_ai.session.id"),
    USER_ID: ("user.id", "traceloop.association.properties.user_id", "langfuse.user.id", "gen_ai.user",
              "gen_ai.request.user", "llm.user", "gen_ai.user.id"),
    AGENT_NAME: ("gen_ai.agent.name", "agent.name"),
    ENTITY_NAME: ("traceloop.entity.name",),
    ESCALATED_FROM: ("modelmix.escalated_from",),
    VERIFICATION: ("modelmix.verification",),
    SERVICE_NAME: ("service.name", "gen_ai.application_name"),  # the latter: OpenLIT's legacy copy
    ENVIRONMENT: ("deployment.environment.name", "deployment.environment", "langfuse.environment",
                  "gen_ai.environment"),
    SDK_NAME: ("telemetry.sdk.name",),
    SERVER_ADDRESS: ("server.address",),
    API_BASE: ("gen_ai.openai.api_base", "gen_ai.endpoint"),
}

# Fields whose winning key still stays in a call's leftover attributes (they are context, not a
# typed column of the call).
KEPT_IN_ATTRIBUTES: Final = frozenset({
    LLM_REQUEST_TYPE, OPENINFERENCE_KIND, TRACELOOP_KIND, LANGFUSE_TYPE, HOSTING_PROVIDER,
    HTTP_STATUS, WORKFLOW_NAME, TRACE_NAME, ENTITY_NAME, SERVICE_NAME, SDK_NAME,
    SERVER_ADDRESS, API_BASE,
})

# Content: prompts, completions, tool arguments, raw headers, free-form metadata (all five
# conventions plus the extra keys Langfuse lifts as input/output).
CONTENT_KEYS: Final = frozenset({
    "gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages",
    "gen_ai.tool.definitions", "gen_ai.tool.call.arguments", "gen_ai.tool.call.result",
    "gen_ai.retrieval.query.text", "gen_ai.retrieval.documents", "gen_ai.memory.query.text",
    "gen_ai.memory.records", "gen_ai.prompt", "gen_ai.completion", "gen_ai.headers",
    "gen_ai.response.tool_calls", "gen_ai.tool.input", "gen_ai.tool.output", "gen_ai.tool.args",
    "gen_ai.workflow.input", "gen_ai.workflow.output", "gen_ai.retrieval.query",
    "gen_ai.evaluation.explanation",
    "traceloop.entity.input", "traceloop.entity.output", "traceloop.prompt.template",
    "traceloop.prompt.template_variables",
    "input.value", "input.mime_type", "output.value", "output.mime_type", "metadata", "tool.parameters",
    "langfuse.trace.input", "langfuse.trace.output", "langfuse.observation.input",
    "langfuse.observation.output", "langfuse.metadata",
    "gcp.vertex.agent.llm_request", "gcp.vertex.agent.llm_response", "pydantic_ai.all_messages",
    "mlflow.spanInputs", "mlflow.spanOutputs", "genkit:input", "genkit:output",
    "input", "output", "prompt", "completion", "messages", "ai.prompt", "ai.response.text",
})
CONTENT_PREFIXES: Final = (
    "gen_ai.prompt.", "gen_ai.completion.", "gen_ai.content.", "gen_ai.input.messages.",
    "gen_ai.output.messages.", "gen_ai.system_instructions.", "gen_ai.tool.definitions.",
    "gen_ai.tool.call.", "llm.input_messages.", "llm.output_messages.", "llm.prompts.",
    "llm.choices.", "llm.tools.", "llm.prompt_template.", "llm.request.functions.",
    "embedding.embeddings.", "retrieval.documents.", "reranker.", "message.", "tool_call.",
    "input.", "output.", "langfuse.trace.metadata.", "langfuse.observation.metadata.",
    "ai.telemetry.metadata.", "ai.prompt.", "ai.response.", "ai.result.", "lk.", "flue.",
    "http.request.header.", "http.response.header.", "traceloop.prompt.template",
)
LLM_PROMPTS_PREFIX: Final = "llm.prompts."  # OpenInference text-completion spans

# Span events whose attributes or body carry content.
CONTENT_EVENTS: Final = frozenset({
    "gen_ai.client.inference.operation.details", "gen_ai.choice", "gen_ai.system.message",
    "gen_ai.user.message", "gen_ai.assistant.message", "gen_ai.tool.message", "gen_ai.content.prompt",
    "gen_ai.content.completion",
})
CONTENT_EVENT_PREFIXES: Final = ("gen_ai.content.", "llm.content.")
EXCEPTION_EVENT: Final = "exception"
EVALUATION_EVENT: Final = "gen_ai.evaluation.result"


class _Kind:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


LEFTOVER: Final = _Kind("LEFTOVER")
CONTENT: Final = _Kind("CONTENT")
CONTENT_PROMPTS: Final = _Kind("CONTENT_PROMPTS")

KeyClass = tuple[str, int] | _Kind

_EXACT: Final[dict[str, KeyClass]] = {key: CONTENT for key in CONTENT_KEYS}
for _field, _keys in FIELD_KEYS.items():
    for _rank, _key in enumerate(_keys):
        _EXACT[_key] = (_field, _rank)  # a field key wins over a content prefix (finish_reason)

_CACHE_LIMIT: Final = 50_000
_cache: dict[str, KeyClass] = dict(_EXACT)
cached_key_class = _cache.get  # the hot loop's lookup; falls back to classify_key on None


def classify_key(key: str) -> KeyClass:
    """``(field, rank)`` for a mapped key, ``CONTENT`` / ``CONTENT_PROMPTS``, or ``LEFTOVER``."""
    found = _cache.get(key)
    if found is not None:
        return found
    if key.startswith(CONTENT_PREFIXES) or "message" in key and key.startswith("gen_ai."):
        found = CONTENT_PROMPTS if key.startswith(LLM_PROMPTS_PREFIX) else CONTENT
    else:
        found = LEFTOVER
    if len(_cache) < _CACHE_LIMIT:
        _cache[key] = found
    return found


def is_content_event(name: str) -> bool:
    """True for span events (and log records) that carry prompts or completions."""
    return (
        name in CONTENT_EVENTS
        or name.startswith(CONTENT_EVENT_PREFIXES)
        or (name.startswith("gen_ai.") and "message" in name)
    )
