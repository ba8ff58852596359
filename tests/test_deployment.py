"""docker-compose.yml and the Dockerfile describe a stack this code can actually run."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from tracker import create_app
from tracker.config import _OVERRIDABLE, ConfigurationError, load_config

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Resolve ${VAR}, ${VAR:-default} and ${VAR:?message} the way Compose does."""

    def replace(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in env and env[name] != "":
            return env[name]
        if op == ":?":
            raise KeyError(arg)
        return arg or ""

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", replace, str(value))


def test_compose_runs_database_broker_web_worker_and_beat():
    services = _compose()["services"]
    assert {"db", "redis", "mailpit", "migrate", "web", "worker", "beat"} <= set(services)
    assert services["db"]["image"].startswith("postgres")
    assert services["redis"]["image"].startswith("redis")
    assert "tracker.worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_every_tracker_variable_in_compose_is_a_setting_the_app_reads():
    env = _compose()["x-tracker-env"]
    unknown = [k for k in env if k.startswith("TRACKER_") and k[8:] not in _OVERRIDABLE]
    assert unknown == []


def test_compose_environment_gives_a_production_postgres_and_redis_config(tmp_path):
    raw = _compose()["x-tracker-env"]
    env = {k: _interpolate(v, {"TRACKER_SECRET_KEY": "s" * 40}) for k, v in raw.items()}
    cfg = load_config(str(tmp_path), env)
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://tracker:")
    assert cfg["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert cfg["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert cfg["SESSION_COOKIE_SECURE"] is True


def _settings(tmp_path, dotenv: dict[str, str], service: str = "worker") -> dict:
    """Return a process's settings in the stack, with ``dotenv`` as the .env file's values."""
    raw = _compose()["services"][service]["environment"]
    env = {k: _interpolate(v, {"TRACKER_SECRET_KEY": "s" * 40, **dotenv})
           for k, v in raw.items()}
    return load_config(str(tmp_path), env)


@pytest.mark.parametrize("process", ["web", "worker", "beat"])
def test_without_smtp_settings_every_process_mails_the_catcher(tmp_path, process):
    services = _compose()["services"]
    cfg = _settings(tmp_path, {}, process)
    assert services[cfg["MAIL_SERVER"]]["image"].startswith("axllent/mailpit")
    # Mailpit takes SMTP on 1025, in plain text and without a login.
    assert cfg["MAIL_PORT"] == 1025
    assert cfg["MAIL_USE_TLS"] is False and cfg["MAIL_USERNAME"] is None
    if process != "beat":  # beat only enqueues; the others send, so wait for the catcher
        assert cfg["MAIL_SERVER"] in services[process]["depends_on"]


def test_the_catchers_inbox_is_published_on_this_machine_only():
    ports = _compose()["services"]["mailpit"]["ports"]
    assert "127.0.0.1:8025:8025" in ports  # the web UI
    # It shows every reset and invitation link: nothing reaches it from another machine.
    assert all(str(p).startswith("127.0.0.1:") for p in ports)


def test_a_real_smtp_server_in_dotenv_replaces_the_catcher(tmp_path):
    cfg = _settings(tmp_path, {
        "TRACKER_MAIL_SERVER": "smtp.example.org", "TRACKER_MAIL_PORT": "587",
        "TRACKER_MAIL_USE_TLS": "true", "TRACKER_MAIL_USERNAME": "tracker",
        "TRACKER_MAIL_PASSWORD": "app-password"})
    assert cfg["MAIL_SERVER"] == "smtp.example.org"
    assert cfg["MAIL_PORT"] == 587 and cfg["MAIL_USE_TLS"] is True
    assert (cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"]) == ("tracker", "app-password")


def test_compose_refuses_to_start_without_a_secret_key():
    raw = _compose()["x-tracker-env"]["TRACKER_SECRET_KEY"]
    with pytest.raises(KeyError):
        _interpolate(raw, {})


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.setenv("TRACKER_ENV_NAME", "production")
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_processes_compose_starts_exist():
    web = _compose()["services"]["web"]["command"]
    module, _, factory = web[-1].partition(":")
    assert callable(getattr(importlib.import_module(module), factory.removesuffix("()")))
    importlib.import_module("gunicorn")
    assert importlib.util.find_spec("tracker.worker") is not None


def test_dockerfile_copies_only_paths_that_exist():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for src in line.split()[1:-1]:
                assert (ROOT / src).exists(), f"Dockerfile copies missing {src}"
