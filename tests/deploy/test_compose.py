"""docker-compose.yml and the Dockerfile: the compose file validates with ``docker-compose config``,
every modelmix service runs a real CLI command from one image, and every setting it passes exists."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmix.cli import build_parser
from modelmix.settings import SETTINGS
from tests.conftest import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKER_COMPOSE = shutil.which("docker-compose")
needs_docker_compose = pytest.mark.skipif(
    DOCKER_COMPOSE is None,
    reason="docker-compose is not installed (CI installs the Debian package: apt-get install docker-compose)",
)
MODELMIX_SERVICES = ("migrate", "collector", "assembler", "dashboard", "demo", "collector-replica")


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data


def run_config(compose_file: Path, *profiles: str) -> subprocess.CompletedProcess[str]:
    assert DOCKER_COMPOSE is not None
    argv = [DOCKER_COMPOSE, "-f", str(compose_file)]
    for profile in profiles:
        argv += ["--profile", profile]
    return subprocess.run([*argv, "config", "-q"], capture_output=True, text=True, timeout=60,
                          cwd=compose_file.parent)


@needs_docker_compose
@pytest.mark.parametrize("profiles", [(), ("demo",), ("gateway",), ("demo", "gateway")])
def test_docker_compose_config_validates(profiles: tuple[str, ...]) -> None:
    result = run_config(COMPOSE_FILE, *profiles)
    assert result.returncode == 0, result.stderr


@needs_docker_compose
def test_an_unchanged_copy_validates_in_the_same_place(tmp_path: Path) -> None:
    """The control for the broken copies below: only the breakage makes them fail."""
    copy = tmp_path / "docker-compose.yml"
    copy.write_text(COMPOSE_FILE.read_text())
    (tmp_path / "deploy").mkdir()
    result = run_config(copy, "demo", "gateway")
    assert result.returncode == 0, result.stderr


@needs_docker_compose
@pytest.mark.parametrize("breakage", [
    ("    stop_grace_period: 45s", "    stop_grace_periodd: 45s"),  # unknown key
    ("condition: service_healthy", "condition: when_it_feels_like_it"),
    ("  pgdata:\n", ""),  # a volume used but not declared
])
def test_a_broken_compose_file_fails_validation(tmp_path: Path, breakage: tuple[str, str]) -> None:
    old, new = breakage
    text = COMPOSE_FILE.read_text()
    assert old in text
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(text.replace(old, new, 1))
    (tmp_path / "deploy").mkdir()
    assert run_config(broken, "demo", "gateway").returncode != 0


def test_the_stack_has_its_services_health_checks_and_volumes() -> None:
    services = compose()["services"]
    assert {"postgres", "migrate", "collector", "assembler", "dashboard"} <= set(services)
    for name in ("postgres", "collector", "dashboard", "collector-replica"):
        assert services[name]["healthcheck"]["test"], name
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert set(compose()["volumes"]) == {"pgdata", "gateway-queue"}
    for name in ("collector", "assembler", "dashboard"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["demo"]["depends_on"]["collector"]["condition"] == "service_healthy"
    assert services["demo"]["profiles"] == ["demo"]
    assert services["gateway"]["profiles"] == services["collector-replica"]["profiles"] == ["gateway"]


def test_modelmix_services_share_one_image_and_run_real_cli_commands() -> None:
    services = compose()["services"]
    parser = build_parser()
    images = set()
    for name in MODELMIX_SERVICES:
        service = services[name]
        images.add((service["image"], service["build"]))
        args = parser.parse_args(service["command"])
        assert callable(args.handler), name
    assert images == {("modelmix:${MODELMIX_IMAGE_TAG:-latest}", ".")}
    assert services["collector"]["command"] == ["collector"]
    assert services["assembler"]["command"] == ["assemble", "--loop"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert parser.parse_args(services["demo"]["command"]).endpoint == "http://collector:4318"


def test_every_modelmix_variable_passed_is_a_real_setting() -> None:
    known = {spec.env_var for spec in SETTINGS}
    services = compose()["services"]
    for name in MODELMIX_SERVICES:
        for variable in services[name]["environment"]:
            if variable.startswith("MODELMIX_"):
                assert variable in known, f"{name}: {variable}"
    url = services["collector"]["environment"]["MODELMIX_DATABASE_URL"]
    assert url.startswith("postgresql://modelmix:") and url.endswith("@postgres:5432/modelmix")
    assert services["collector"]["environment"]["MODELMIX_CAPTURE_CONTENT"] == "${MODELMIX_CAPTURE_CONTENT:-false}"


def test_the_gateway_runs_the_documented_image_with_the_deploy_config() -> None:
    gateway = compose()["services"]["gateway"]
    config = REPO_ROOT / "deploy" / "otelcol-gateway.yaml"
    image = gateway["image"]
    assert image.startswith("otel/opentelemetry-collector-contrib:")
    assert image in config.read_text(), "the config names the image and version it is written for"
    assert f"./deploy/{config.name}:/etc/otelcol-contrib/gateway.yaml:ro" in gateway["volumes"]
    assert gateway["command"] == ["--config=/etc/otelcol-contrib/gateway.yaml"]


def test_the_dockerfile_installs_the_package_and_runs_modelmix() -> None:
    text = (REPO_ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert 'ENTRYPOINT ["modelmix"]' in lines
    assert any(line.startswith("RUN pip install .") for line in lines)
    for line in lines:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (REPO_ROOT / source).exists(), source
    # Everything the image needs at run time is copied: migrations, alembic.ini and the dashboard.
    for needed in ("alembic.ini", "migrations", "app", "collector", "modelmix", "pyproject.toml"):
        assert any(line.startswith("COPY ") and needed in line.split()[1:-1] for line in lines), needed
