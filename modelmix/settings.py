"""Typed settings for every modelmix process, read from ``MODELMIX_*`` environment variables.

Each setting is declared once in ``SETTINGS`` with its type, default, allowed range and a one-line
description; the README documents every one of them (a test enforces it). A bad value raises
``SettingsError`` naming the variable and what is allowed, and the CLI refuses to start.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A ``MODELMIX_*`` variable holds a value that is not allowed."""


@dataclass(frozen=True)
class SettingSpec:
    name: str  # attribute name on Settings; the variable is MODELMIX_<NAME upper>
    parse: Callable[[str], Any]
    default: Any
    description: str
    allowed: str

    @property
    def env_var(self) -> str:
        return "MODELMIX_" + self.name.upper()


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw.strip())
        if not lo <= value <= hi:
            raise ValueError
        return value

    return parse


def _float_in(lo: float, hi: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw.strip())
        if not lo <= value <= hi:  # also rejects NaN
            raise ValueError
        return value

    return parse


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError


def _optional_str(raw: str) -> str | None:
    return raw.strip() or None


def _database_url(raw: str) -> str | None:
    url = raw.strip()
    if not url:
        return None
    if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        raise ValueError
    return url


def _tokens(raw: str) -> tuple[str, ...]:
    tokens = tuple(t.strip() for t in raw.split(",") if t.strip())
    for token in tokens:
        if len(token) < 8 or any(ch.isspace() for ch in token):
            raise ValueError
    return tokens


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError
    return level


def _host(raw: str) -> str:
    host = raw.strip()
    if not host or any(ch.isspace() for ch in host):
        raise ValueError
    return host


def _path(raw: str) -> Path:
    if not raw.strip():
        raise ValueError
    return Path(raw.strip()).expanduser()


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "modelmix"


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("database_url", _database_url, None,
                "PostgreSQL URL. When unset, modelmix starts and manages its own embedded PostgreSQL.",
                "a postgresql:// or postgresql+psycopg:// URL, or empty"),
    SettingSpec("data_dir", _path, None,
                "Folder for the embedded PostgreSQL cluster and local state "
                "(default: $XDG_DATA_HOME/modelmix or ~/.local/share/modelmix).",
                "a directory path"),
    SettingSpec("otlp_host", _host, "127.0.0.1", "Address the OTLP receivers bind to.", "a host name or IP"),
    SettingSpec("otlp_http_port", _int_in(0, 65535), 4318, "OTLP/HTTP port (protobuf and JSON).",
                "an integer 0-65535 (0 picks a free port)"),
    SettingSpec("otlp_grpc_port", _int_in(0, 65535), 4317, "OTLP/gRPC port.",
                "an integer 0-65535 (0 picks a free port)"),
    SettingSpec("dashboard_host", _host, "127.0.0.1", "Address the dashboard binds to.", "a host name or IP"),
    SettingSpec("dashboard_port", _int_in(1, 65535), 8501, "Dashboard (Streamlit) port.", "an integer 1-65535"),
    SettingSpec("dashboard_password", _optional_str, None,
                "When set, the dashboard shows nothing before this password is entered.",
                "any non-empty string, or empty for no password"),
    SettingSpec("ingest_tokens", _tokens, (),
                "Comma-separated bearer tokens accepted on OTLP ingest (HTTP and gRPC); empty disables auth.",
                "comma-separated tokens of at least 8 characters without spaces"),
    SettingSpec("capture_content", _bool, False,
                "Keep prompt/completion content in stored attributes. Off by default: content is scrubbed.",
                "true or false"),
    SettingSpec("max_request_bytes", _int_in(1024, 1 << 31), 64 * 1024 * 1024,
                "Largest OTLP request body accepted after decompression (413 / RESOURCE_EXHAUSTED above it).",
                "an integer number of bytes, 1024 or more"),
    SettingSpec("collector_workers", _int_in(1, 64), 1,
                "Collector processes sharing the OTLP ports (SO_REUSEPORT); each decodes on its own core and "
                "has its own write queue and database connection.",
                "an integer 1-64"),
    SettingSpec("queue_max_spans", _int_in(100, 10_000_000), 200_000,
                "Spans the collector may hold in memory waiting to be written; above it ingest answers 503.",
                "an integer 100-10000000"),
    SettingSpec("batch_max_spans", _int_in(1, 1_000_000), 5_000,
                "Largest batch written in one COPY.", "an integer 1-1000000"),
    SettingSpec("batch_max_delay_ms", _int_in(1, 60_000), 50,
                "Longest time a span waits for its batch to fill before it is written.", "an integer 1-60000"),
    SettingSpec("attributes_max_bytes", _int_in(0, 1_048_576), 8_192,
                "Budget for the JSON of leftover (non-content) attributes kept per call.",
                "an integer 0-1048576"),
    SettingSpec("max_span_age_days", _int_in(1, 36_500), 400,
                "Spans that started longer ago than this (or more than a day in the future) are rejected.",
                "an integer 1-36500"),
    SettingSpec("settle_seconds", _float_in(0.0, 86_400.0), 30.0,
                "A trace quiet for this long is assembled into task runs.", "a number 0-86400"),
    SettingSpec("assemble_interval_seconds", _float_in(0.1, 3_600.0), 5.0,
                "How often the assembler looks for settled traces.", "a number 0.1-3600"),
    SettingSpec("retention_days", _int_in(1, 36_500), 400,
                "Calls older than this are dropped, a whole partition at a time.", "an integer 1-36500"),
    SettingSpec("skeleton_retention_days", _int_in(1, 36_500), 14,
                "Span skeletons (non-LLM spans kept for task resolution) expire after this many days.",
                "an integer 1-36500"),
    SettingSpec("query_timeout_ms", _int_in(100, 600_000), 15_000,
                "statement_timeout for dashboard and report queries.", "an integer 100-600000"),
    SettingSpec("webhook_url", _optional_str, None,
                "Optional incoming-webhook URL (e.g. Slack) the weekly review is posted to.",
                "an http(s) URL, or empty"),
    SettingSpec("log_level", _log_level, "INFO", "Log level of modelmix processes.",
                "DEBUG, INFO, WARNING or ERROR"),
)

TEST_ONLY_VARIABLES: tuple[tuple[str, str], ...] = (
    ("MODELMIX_TEST_DATABASE_URL",
     "Tests only: PostgreSQL server URL the test suite uses; when unset the suite starts an embedded server."),
)


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = field(default_factory=_default_data_dir)
    otlp_host: str = "127.0.0.1"
    otlp_http_port: int = 4318
    otlp_grpc_port: int = 4317
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = 8501
    dashboard_password: str | None = None
    ingest_tokens: tuple[str, ...] = ()
    capture_content: bool = False
    max_request_bytes: int = 64 * 1024 * 1024
    collector_workers: int = 1
    queue_max_spans: int = 200_000
    batch_max_spans: int = 5_000
    batch_max_delay_ms: int = 50
    attributes_max_bytes: int = 8_192
    max_span_age_days: int = 400
    settle_seconds: float = 30.0
    assemble_interval_seconds: float = 5.0
    retention_days: int = 400
    skeleton_retention_days: int = 14
    query_timeout_ms: int = 15_000
    webhook_url: str | None = None
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every ``MODELMIX_*`` variable; raise ``SettingsError`` on the first bad one."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in SETTINGS:
            raw = env.get(spec.env_var)
            if raw is None:
                continue
            try:
                parsed = spec.parse(raw)
            except (ValueError, TypeError):
                raise SettingsError(
                    f"{spec.env_var}={raw!r} is not valid: expected {spec.allowed}."
                ) from None
            if parsed is not None or spec.default is None:
                values[spec.name] = parsed
        if values.get("webhook_url") and not str(values["webhook_url"]).startswith(("http://", "https://")):
            raise SettingsError(
                f"MODELMIX_WEBHOOK_URL={values['webhook_url']!r} is not valid: expected an http(s) URL, or empty."
            )
        return cls(**values)

    def with_overrides(self, **changes: Any) -> Settings:
        from dataclasses import replace

        return replace(self, **changes)

    def describe(self) -> dict[str, str]:
        """Settings as strings for display, with secrets masked."""
        shown: dict[str, str] = {}
        for spec in SETTINGS:
            value = getattr(self, spec.name)
            if spec.name in {"dashboard_password", "ingest_tokens", "webhook_url"} and value:
                shown[spec.env_var] = "(set)"
            elif spec.name == "database_url" and value:
                shown[spec.env_var] = _mask_url(str(value))
            else:
                shown[spec.env_var] = "" if value is None else str(value)
        return shown


def _mask_url(url: str) -> str:
    """Hide a password in a database URL."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url
