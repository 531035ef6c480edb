"""The made-up organisation whose history the query benchmark generates: services, tasks and models.

Six services run 24 tasks on eleven chat models (five providers, every tier, one model that no
price list knows, so unpriced calls exist) plus an embedding model. Each task has a usual model,
a pricier model it escalates to, an escalation rate, a typical size and how many calls a run
makes; some still start part of their runs on a pricier legacy route and some use tools. Those
numbers shape the data the dashboard's queries chew through, and give the downgrade-candidate
analysis both evidence-based and heuristic candidates to find.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Model:
    provider: str
    request: str  # the name a client asks for
    response: str  # the dated snapshot the provider reports
    reasoning: bool = False


@dataclass(frozen=True)
class Task:
    name: str
    service: str
    model: str  # key into MODELS: the usual model
    escalate_to: str | None  # key into MODELS: where failures cascade
    escalation_rate: float
    input_tokens: int  # typical prompt size
    output_tokens: int  # typical completion size
    cached_share: float  # share of the prompt usually served from the cache
    calls_per_run: tuple[int, ...]  # sampled uniformly: how many calls one run makes
    weight: float  # share of the organisation's runs
    legacy_model: str | None = None  # key into MODELS: a pricier route some runs still start on
    legacy_share: float = 0.0
    tools: bool = False  # calls end in tool calls (never "simple")


MODELS: dict[str, Model] = {
    "gpt-4o": Model("openai", "gpt-4o", "gpt-4o-2024-08-06"),
    "gpt-4o-mini": Model("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
    "gpt-4.1": Model("openai", "gpt-4.1", "gpt-4.1-2025-04-14"),
    "gpt-4.1-mini": Model("openai", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"),
    "o3": Model("openai", "o3", "o3-2025-04-16", reasoning=True),
    "claude-sonnet-4-5": Model("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
    "claude-haiku-4-5": Model("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001"),
    "gemini-2.5-pro": Model("gcp.gemini", "gemini-2.5-pro", "gemini-2.5-pro"),
    "gemini-2.5-flash": Model("gcp.gemini", "gemini-2.5-flash", "gemini-2.5-flash"),
    "claude-3-5-haiku": Model("aws.bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0",
                              "anthropic.claude-3-5-haiku-20241022-v1:0"),
    "acme-internal-7b": Model("acme", "acme-internal-7b", "acme-internal-7b"),  # priced by nobody
    "text-embedding-3-small": Model("openai", "text-embedding-3-small", "text-embedding-3-small"),
}
EMBEDDING_MODEL = "text-embedding-3-small"
EMBEDDING_SHARE = 0.05  # of all calls

SERVICES = ("support-api", "search", "docs-pipeline", "agent-runtime", "billing", "internal-tools")
ENVIRONMENTS = (("prod", 0.9), ("staging", 0.1))

TASKS: tuple[Task, ...] = (
    Task("classify-ticket", "support-api", "gpt-4o-mini", "gpt-4o", 0.06, 900, 30, 0.4, (1,), 9, "gpt-4o", 0.25),
    Task("summarize-thread", "support-api", "gpt-4o", "o3", 0.02, 4200, 350, 0.3, (1, 2), 6),
    Task("draft-reply", "support-api", "claude-haiku-4-5", "claude-sonnet-4-5", 0.12, 2600, 420, 0.5, (1, 2), 7,
         "claude-sonnet-4-5", 0.2),
    Task("detect-language", "support-api", "gpt-4o", None, 0.0, 300, 8, 0.0, (1,), 5),
    Task("rerank-results", "search", "gemini-2.5-flash", "gemini-2.5-pro", 0.04, 3000, 120, 0.2, (1,), 8,
         "gemini-2.5-pro", 0.3),
    Task("expand-query", "search", "gpt-4.1-mini", "gpt-4.1", 0.03, 250, 60, 0.0, (1,), 6),
    Task("answer-question", "search", "gpt-4.1", "o3", 0.05, 6000, 500, 0.6, (1, 2, 3), 7),
    Task("extract-invoice", "docs-pipeline", "claude-sonnet-4-5", None, 0.0, 8000, 600, 0.1, (1, 2), 4),
    Task("summarize-document", "docs-pipeline", "gemini-2.5-pro", None, 0.0, 12000, 800, 0.2, (1,), 3),
    Task("translate-document", "docs-pipeline", "gpt-4o-mini", "gpt-4o", 0.08, 2000, 2000, 0.0, (1, 2), 4),
    Task("tag-entities", "docs-pipeline", "claude-3-5-haiku", "claude-sonnet-4-5", 0.05, 1500, 200, 0.3, (1,), 4),
    Task("plan-steps", "agent-runtime", "o3", None, 0.0, 5000, 1500, 0.5, (1,), 3, tools=True),
    Task("call-tools", "agent-runtime", "gpt-4.1-mini", "gpt-4.1", 0.10, 3500, 250, 0.7, (2, 3, 4), 5, tools=True),
    Task("verify-answer", "agent-runtime", "gpt-4o-mini", "gpt-4o", 0.15, 2200, 40, 0.4, (1,), 4),
    Task("write-report", "agent-runtime", "claude-sonnet-4-5", None, 0.0, 9000, 2500, 0.3, (1, 2), 2),
    Task("categorize-charge", "billing", "gpt-4o-mini", "gpt-4o", 0.03, 600, 20, 0.0, (1,), 5, "gpt-4.1", 0.15),
    Task("explain-invoice", "billing", "claude-haiku-4-5", "claude-sonnet-4-5", 0.07, 1800, 300, 0.2, (1,), 3),
    Task("fraud-screen", "billing", "gpt-4o", None, 0.0, 1200, 60, 0.0, (1,), 3),
    Task("code-review", "internal-tools", "claude-sonnet-4-5", None, 0.0, 15000, 900, 0.5, (1, 2), 2),
    Task("sql-helper", "internal-tools", "gpt-4.1", None, 0.0, 2500, 300, 0.3, (1,), 2),
    Task("meeting-notes", "internal-tools", "gemini-2.5-flash", "gemini-2.5-pro", 0.02, 7000, 600, 0.0, (1,), 2),
    Task("chat-assistant", "internal-tools", "acme-internal-7b", "gpt-4o", 0.20, 1500, 250, 0.0, (1, 2), 2),
    Task("label-feedback", "support-api", "gpt-4o-mini", None, 0.0, 700, 15, 0.0, (1,), 3),
    Task("route-request", "search", "gemini-2.5-flash", None, 0.0, 400, 10, 0.0, (1,), 3),
)

ERROR_RATE = 0.015
ERROR_TYPES = ("RateLimitError", "APITimeoutError", "InternalServerError", "BadRequestError")
LENGTH_FINISH_RATE = 0.01  # a completion cut off at max tokens
TOOL_FINISH_RATE = 0.6  # of calls in tool-using tasks
