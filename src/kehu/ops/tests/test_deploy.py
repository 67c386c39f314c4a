"""deploy/: the Compose file and systemd units agree with the settings Kehu reads, and
``kehu check --deploy`` reports every production setting left unset. (Docker is not run here:
the Compose file is read as YAML.)"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import override_settings

import kehu
from kehu.cli import app
from kehu.ops.checks import deploy_settings

ROOT = Path(kehu.__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS_SOURCE = (Path(kehu.__file__).parent / "settings.py").read_text(encoding="utf-8")
KEHU_ROLES = {"migrate", "web", "worker", "scheduler", "lmtp"}


def _names_read_by_settings() -> tuple[set[str], set[str]]:
    """(every variable settings.py reads, those that may also be given as NAME_FILE)."""
    with_file = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z0-9_]+)"', SETTINGS_SOURCE))
    plain = set(re.findall(r'os\.environ(?:\.get)?[(\[]"([A-Z0-9_]+)"', SETTINGS_SOURCE))
    plain |= set(re.findall(r'_networks\("([A-Z0-9_]+)"', SETTINGS_SOURCE))
    return with_file | plain | {f"{name}_FILE" for name in with_file}, with_file


def _commands() -> set[str]:
    return {command.name or command.callback.__name__ for command in app.registered_commands}


def _substitute(value: str) -> str:
    """Compose's ${NAME:-default} with the default (what an empty .env gives)."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", str(value))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_has_the_production_layout(compose):
    services = compose["services"]
    assert set(services) == {"db", "redis", *KEHU_ROLES}
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    commands = {name: services[name]["command"] for name in KEHU_ROLES}
    for name, command in commands.items():
        assert command[0] == "kehu" and command[1] in _commands(), name
    assert commands["web"][1:3] == ["serve", "--no-with-worker"]
    assert commands["worker"][1] == "worker"
    assert commands["scheduler"][1] == "scheduler"
    assert services["scheduler"]["deploy"]["replicas"] == 1
    # N web and M task workers, chosen at deployment.
    assert "KEHU_WEB_REPLICAS" in str(services["web"]["deploy"]["replicas"])
    assert "KEHU_WORKER_REPLICAS" in str(services["worker"]["deploy"]["replicas"])
    for name in KEHU_ROLES - {"migrate"}:
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


def test_every_kehu_container_shares_settings_and_attachments(compose):
    services = compose["services"]
    environments = [services[name]["environment"] for name in KEHU_ROLES]
    assert all(env == environments[0] for env in environments)
    env = {key: _substitute(value) for key, value in environments[0].items()}
    known, _with_file = _names_read_by_settings()
    assert set(env) - known == set(), "variables Kehu does not read"
    assert env["DATABASE_URL"].startswith("postgres://") and "@db:" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert env["KEHU_TASK_BACKEND"] == "redis"
    root = env["KEHU_ATTACHMENT_ROOT"]
    for name in KEHU_ROLES:
        assert f"attachments:{root}" in services[name]["volumes"], name
    assert "attachments" in compose["volumes"]


def _check_deploy(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "PYTHONPATH", "SYSTEMROOT")
    }
    return subprocess.run(
        [sys.executable, "-m", "kehu.cli", "check", "--deploy"],
        env={**base, "KEHU_DATA_DIR": str(tmp_path / "data"), **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )


def _with_secret_files(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    ready = {}
    for key, value in env.items():
        if key.endswith("_FILE"):
            secret = tmp_path / key.lower()
            secret.write_text("x" * 60, encoding="utf-8")
            value = str(secret)
        ready[key] = value
    return ready


def test_the_compose_settings_pass_the_deploy_check(compose, tmp_path):
    env = {k: _substitute(v) for k, v in compose["services"]["web"]["environment"].items()}
    done = _check_deploy(_with_secret_files(env, tmp_path), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kehu." not in done.stdout + done.stderr


def test_the_example_environment_file_passes_the_deploy_check(tmp_path):
    env = {}
    for line in (DEPLOY / "kehu.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    known, _with_file = _names_read_by_settings()
    assert set(env) - known == set()
    done = _check_deploy(_with_secret_files(env, tmp_path), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kehu." not in done.stdout + done.stderr


def test_an_unconfigured_installation_reports_every_missing_setting(tmp_path):
    done = _check_deploy({}, tmp_path)
    assert done.returncode == 1
    found = set(re.findall(r"kehu\.[EW]\d{3}", done.stdout + done.stderr))
    assert found == {
        "kehu.E001",  # secret key
        "kehu.E002",  # allowed hosts
        "kehu.W003",  # database
        "kehu.W004",  # Redis cache
        "kehu.W005",  # Redis task backend
        "kehu.W006",  # attachment storage
        "kehu.E007",  # base URL
        "kehu.E008",  # email server
        "kehu.E009",  # sender address
    }


def test_insecure_cookies_and_unreachable_metrics_are_reported(settings):
    settings.HTTPS = False
    settings.KEHU_METRICS = True
    settings.KEHU_METRICS_TOKEN = ""
    settings.KEHU_METRICS_ALLOWED_NETWORKS = []
    ids = {message.id for message in deploy_settings()}
    assert {"kehu.E010", "kehu.E011"} <= ids
    with override_settings(KEHU_METRICS_TOKEN="t", HTTPS=True):
        ids = {message.id for message in deploy_settings()}
    assert not {"kehu.E010", "kehu.E011"} & ids


@pytest.mark.parametrize(
    "unit",
    sorted(p.name for p in (DEPLOY / "systemd").glob("*.service")),
)
def test_systemd_units_run_kehu_commands_with_the_shared_settings(unit):
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(DEPLOY / "systemd" / unit, encoding="utf-8")
    service = parser["Service"]
    assert service["EnvironmentFile"] == "/etc/kehu/kehu.env"
    assert service["User"] == "kehu"
    command = shlex.split(service["ExecStart"])
    assert command[0].endswith("/kehu") and command[1] in _commands()


def test_the_backup_timer_keeps_a_bounded_number_of_archives():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(DEPLOY / "systemd" / "kehu-backup.timer", encoding="utf-8")
    assert parser["Timer"]["OnCalendar"]
    service = configparser.ConfigParser(interpolation=None)
    service.read(DEPLOY / "systemd" / "kehu-backup.service", encoding="utf-8")
    command = shlex.split(service["Service"]["ExecStart"])
    assert command[1] == "backup" and "--keep" in command
