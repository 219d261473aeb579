"""The ways to deploy agree: compose.yaml runs the Procfile's commands, which the CLI accepts.

The Procfile is what Heroku-style hosts run; compose.yaml is the same shape on one machine:
PostgreSQL, web processes that verify, record and acknowledge, and workers. Both name their
commands as text, so a renamed flag would only show at deploy time without these tests.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
PORT = "4123"  # any port: both files take it from the environment
PASSWORD = "compose-secret"


def procfile() -> dict[str, str]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


_VARIABLE = re.compile(r"\$(?:\$|(\w+)|\{(\w+)(?:(:?)([-?])([^}]*))?\})")


def expand(text: str, env: dict[str, str]) -> str:
    """`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` and `$$`, as
    compose interpolates its file and a shell expands a Procfile line."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(2)
        colon, kind, word = match.group(3), match.group(4), match.group(5)
        value = env.get(name)
        missing = value is None or (colon == ":" and value == "")
        if kind == "-" and missing:
            return word
        if kind == "?" and missing:
            raise KeyError(f"{name} must be set: {word}")
        return value or ""

    return _VARIABLE.sub(one, text)


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else shlex.join(command)


def environment(service: dict[str, Any], env: dict[str, str]) -> dict[str, str | None]:
    """A service's environment after interpolation; a bare name passes `env`'s value through."""
    raw = service.get("environment") or {}
    if isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        pairs = [(name, value if equals else None) for name, equals, value in map(_split, raw)]
    return {
        name: env.get(name) if value is None else expand(str(value), env) for name, value in pairs
    }


def _split(entry: str) -> tuple[str, str, str]:
    return entry.partition("=")


def replicas(service: dict[str, Any]) -> int:
    return int((service.get("deploy") or {}).get("replicas", 1))


def app_services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in config["services"].items()
        if command_text(service).startswith("coviu-slack")
    }


def postgres_services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in config["services"].items()
        if str(service.get("image", "")).split(":")[0] == "postgres"
    }


def parse(command: str) -> argparse.Namespace:
    words = shlex.split(command)
    assert words[0] == "coviu-slack", command
    try:
        return _parser().parse_args(words[1:])
    except SystemExit:
        pytest.fail(f"the coviu-slack CLI rejects {command!r}")


# PORT set (as Heroku and compose users set it) and unset (compose's default applies).
ENVIRONMENTS = [
    pytest.param({"PORT": PORT, "POSTGRES_PASSWORD": PASSWORD}, id="PORT-set"),
    pytest.param({"POSTGRES_PASSWORD": PASSWORD}, id="PORT-unset"),
]


def test_procfile_has_one_web_and_one_worker_process_type():
    assert procfile() == {
        "web": "coviu-slack serve --web-only --host 0.0.0.0 --port $PORT",
        "worker": "coviu-slack worker",
    }


@pytest.mark.parametrize("process", ["web", "worker"])
def test_compose_runs_the_procfiles_command_at_least_twice(process: str):
    env = {"PORT": PORT, "POSTGRES_PASSWORD": PASSWORD}
    expected = expand(procfile()[process], env)
    running = [
        service
        for service in app_services(compose()).values()
        if expand(command_text(service), env) == expected
    ]
    assert running, f"no compose service runs the Procfile's {process}: {expected!r}"
    assert sum(replicas(service) for service in running) >= 2


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_web_listens_on_the_port_its_environment_and_mapping_name(env: dict[str, str]):
    for name, service in app_services(compose()).items():
        command = expand(command_text(service), env)
        if shlex.split(command)[1] != "serve":
            continue
        args = parse(command)
        container_port = environment(service, env)["PORT"]
        assert container_port is not None, f"{name} gets no PORT"
        assert args.port == int(container_port), name
        published = [expand(str(mapping), env) for mapping in service.get("ports", [])]
        assert published, f"{name} publishes no port for a load balancer to reach"
        assert all(mapping.rsplit(":", 1)[1] == container_port for mapping in published)


def test_every_command_parses_with_the_real_cli():
    env = {"PORT": PORT, "POSTGRES_PASSWORD": PASSWORD}
    commands = {expand(command, env) for command in procfile().values()}
    commands |= {expand(command_text(s), env) for s in app_services(compose()).values()}
    parsed = {command: parse(command) for command in commands}

    web = parse(expand(procfile()["web"], env))
    assert (web.command, web.host, web.port) == ("serve", "0.0.0.0", int(PORT))
    assert getattr(web, "web_only", None) is True
    assert parse(expand(procfile()["worker"], env)).command == "worker"
    assert len(parsed) == 2, f"compose runs commands the Procfile doesn't: {sorted(parsed)}"


def test_compose_has_postgres_16_with_a_named_volume_and_a_healthcheck():
    config = compose()
    databases = postgres_services(config)
    assert len(databases) == 1
    (service,) = databases.values()
    assert service["image"] == "postgres:16"
    assert "test" in service["healthcheck"]
    named = [v.split(":")[0] for v in service.get("volumes", []) if not v.startswith((".", "/"))]
    assert named and all(volume in (config.get("volumes") or {}) for volume in named)


def test_every_app_service_gets_database_url_for_the_postgres_service():
    config = compose()
    env = {"PORT": PORT, "POSTGRES_PASSWORD": PASSWORD}
    (db_name, db_service), *_ = postgres_services(config).items()
    db_env = environment(db_service, env)
    services = app_services(config)
    assert services
    for name, service in services.items():
        url = environment(service, env).get("DATABASE_URL")
        assert url, f"{name} gets no DATABASE_URL, so it would use a SQLite file of its own"
        parts = urlsplit(url)
        assert parts.scheme in ("postgresql", "postgres"), name
        assert parts.hostname == db_name, name
        assert parts.username == db_env["POSTGRES_USER"], name
        assert parts.password == db_env["POSTGRES_PASSWORD"] == PASSWORD, name
        assert parts.path.lstrip("/") == db_env["POSTGRES_DB"], name
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name} should wait for {db_name} to be healthy"
        assert depends[db_name]["condition"] == "service_healthy", name


def test_compose_refuses_to_start_without_a_database_password():
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        for service in app_services(compose()).values():
            environment(service, {"PORT": PORT})


def test_expand_follows_compose_and_shell_rules():
    env = {"A": "1", "EMPTY": ""}
    assert expand("$A ${A} ${B:-2} ${B-3} ${EMPTY:-4} ${EMPTY-5} $$A", env) == "1 1 2 3 4  $A"
    with pytest.raises(KeyError, match="need B"):
        expand("${B:?need B}", env)
