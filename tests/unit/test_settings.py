"""Settings: every variable is documented, defaults load, bad values name the variable."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from modelmix.settings import SETTINGS, TEST_ONLY_VARIABLES, Settings, SettingsError

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    text = README.read_text()
    missing = [s.env_var for s in SETTINGS if f"`{s.env_var}`" not in text]
    missing += [name for name, _ in TEST_ONLY_VARIABLES if f"`{name}`" not in text]
    assert missing == [], f"settings missing from README.md: {missing}"


def test_readme_documents_no_setting_that_does_not_exist() -> None:
    documented = set(re.findall(r"`(MODELMIX_[A-Z_]+)`", README.read_text()))
    known = {s.env_var for s in SETTINGS} | {name for name, _ in TEST_ONLY_VARIABLES}
    assert documented - known == set()


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_url is None
    assert settings.otlp_http_port == 4318 and settings.otlp_grpc_port == 4317
    assert settings.dashboard_port == 8501
    assert settings.capture_content is False
    assert settings.max_request_bytes == 64 * 1024 * 1024
    assert settings.settle_seconds == 30.0


def test_values_are_parsed() -> None:
    settings = Settings.from_env({
        "MODELMIX_OTLP_HTTP_PORT": "14318",
        "MODELMIX_CAPTURE_CONTENT": "true",
        "MODELMIX_INGEST_TOKENS": "token-aaaa1, token-bbbb2",
        "MODELMIX_DATABASE_URL": "postgresql://u@h/db",
    })
    assert settings.otlp_http_port == 14318
    assert settings.capture_content is True
    assert settings.ingest_tokens == ("token-aaaa1", "token-bbbb2")
    assert settings.database_url == "postgresql://u@h/db"


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("MODELMIX_OTLP_HTTP_PORT", "http"),
        ("MODELMIX_OTLP_HTTP_PORT", "70000"),
        ("MODELMIX_DASHBOARD_PORT", "-1"),
        ("MODELMIX_CAPTURE_CONTENT", "maybe"),
        ("MODELMIX_SETTLE_SECONDS", "nan"),
        ("MODELMIX_DATABASE_URL", "mysql://root@localhost/x"),
        ("MODELMIX_INGEST_TOKENS", "short"),
        ("MODELMIX_LOG_LEVEL", "LOUD"),
        ("MODELMIX_MAX_REQUEST_BYTES", "12"),
        ("MODELMIX_WEBHOOK_URL", "ftp://example"),
        ("MODELMIX_RETENTION_DAYS", "'; DROP TABLE llm_calls; --"),
    ],
)
def test_bad_value_names_the_variable_and_what_is_allowed(var: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({var: value})
    message = str(info.value)
    assert var in message
    assert "expected" in message


def test_cli_refuses_to_start_on_a_bad_setting() -> None:
    env = {"MODELMIX_OTLP_GRPC_PORT": "grpc", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "modelmix", "db", "current"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "MODELMIX_OTLP_GRPC_PORT" in result.stderr and "expected" in result.stderr


def test_secrets_are_masked_in_describe() -> None:
    settings = Settings.from_env({
        "MODELMIX_DASHBOARD_PASSWORD": "hunter2-secret",
        "MODELMIX_INGEST_TOKENS": "tok-secret-123",
        "MODELMIX_DATABASE_URL": "postgresql://user:pw-secret@host/db",
    })
    shown = " ".join(settings.describe().values())
    assert "hunter2-secret" not in shown and "tok-secret-123" not in shown and "pw-secret" not in shown
