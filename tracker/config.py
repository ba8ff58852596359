"""Configuration: defaults, then ``TRACKER_*`` environment variables."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused outside development


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    ENV_NAME = "development"
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled in by load_config
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    DATABASE_CONNECT_TIMEOUT = 5  # seconds a new PostgreSQL connection may take to open
    SQLALCHEMY_RECORD_QUERIES = False

    BABEL_DEFAULT_LOCALE = "es"
    BABEL_DEFAULT_TIMEZONE = "America/Tegucigalpa"
    LANGUAGES = ("es", "en")

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None

    # Flask-Compress: pages and JSON in brotli or gzip, as the browser takes them. Its hook
    # is registered by tracker.web.assets, which leaves out the static files (compressed
    # once, in advance); streamed answers (downloads) are never compressed, so they stay
    # streamed.
    COMPRESS_REGISTER = False
    COMPRESS_STREAMS = False
    COMPRESS_ALGORITHM = ["br", "gzip"]

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
    # Largest file the import screen takes (the request as a whole stops at
    # MAX_CONTENT_LENGTH): a gzipped UPR Info export of all sessions is a few MB.
    IMPORT_MAX_BYTES = 20 * 1024 * 1024

    CELERY_BROKER_URL: str | None = None
    CELERY_RESULT_BACKEND: str | None = None
    # Seconds after which Redis hands a task that was taken but never acknowledged (its
    # worker was killed) to another worker. Longer than any build or import: a task still
    # running when it is handed on is found busy by the second worker, which leaves it.
    BROKER_VISIBILITY_TIMEOUT = 3600
    # Seconds a beat's lock in Redis outlives its last renewal: how long a second beat
    # waits to take over from one that died (tracker.beat_lock).
    BEAT_LOCK_SECONDS = 60
    RATELIMIT_STORAGE_URI = "memory://"
    # Failed sign-ins allowed per (account, address) and per address before a wait,
    # which then doubles with each further failure, up to the longest (seconds).
    LOGIN_FAILURES_PER_ACCOUNT = 5
    LOGIN_FAILURES_PER_ADDRESS = 30
    LOGIN_FIRST_WAIT = 60
    LOGIN_LONGEST_WAIT = 3600
    PROXY_FIX_HOPS = 0
    # Requests one address may make to the API (Flask-Limiter's notation).
    API_RATE_LIMIT = "600 per minute"

    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "seguimiento@localhost"

    REMINDER_TIME = "07:00"
    REMINDER_DUE_SOON_DAYS = 14
    ESCALATION_OVERDUE_DAYS = 30
    REVIEW_WAITING_DAYS = 7
    PAGE_SIZE = 25
    # How often the scheduler looks whether the API's bulk download needs rebuilding.
    BULK_DATA_EVERY_MINUTES = 15
    # A bulk write of at least this many rows (a bulk assignment, an import) refreshes
    # the planner's statistics of the tables it filled (tracker.database).
    STATISTICS_MIN_ROWS = 1000

    # The State this tracker follows up (ISO 3166 alpha-2): imports leave out records
    # addressed only to other States, and pages name the State only when it is another.
    STATE = "HN"

    # Operations: log lines as JSON (production's default) or text; statements slower
    # than SLOW_QUERY_MS logged (0: never); /readyz fails when no worker has taken work
    # for WORKER_HEARTBEAT_MAX_AGE seconds; /metrics answers only with METRICS_TOKEN.
    LOG_FORMAT = "text"
    SLOW_QUERY_MS = 500
    WORKER_HEARTBEAT_MAX_AGE = 120
    WORKER_HEARTBEAT_SECONDS = 30  # how often beat sends the heartbeat task
    METRICS_TOKEN: str | None = None

    DEMO_DATA_DIR: str | None = None  # None: the set shipped in tracker/demo_data
    BASE_URL = "http://127.0.0.1:5000"


# Each TRACKER_<NAME> variable overrides <NAME>; the type follows the default's.
_OVERRIDABLE = {
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "DATABASE_CONNECT_TIMEOUT": int,
    "ENV_NAME": str,
    "BROKER_URL": str,
    "RESULT_BACKEND": str,
    "BROKER_VISIBILITY_TIMEOUT": int,
    "BEAT_LOCK_SECONDS": int,
    "RATELIMIT_STORAGE_URI": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USE_TLS": _bool,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_DEFAULT_SENDER": str,
    "REMINDER_TIME": str,
    "REMINDER_DUE_SOON_DAYS": int,
    "ESCALATION_OVERDUE_DAYS": int,
    "REVIEW_WAITING_DAYS": int,
    "EVIDENCE_MAX_BYTES": int,
    "IMPORT_MAX_BYTES": int,
    "BABEL_DEFAULT_TIMEZONE": str,
    "BASE_URL": str,
    "PAGE_SIZE": int,
    "BULK_DATA_EVERY_MINUTES": int,
    "LOGIN_FAILURES_PER_ACCOUNT": int,
    "LOGIN_FAILURES_PER_ADDRESS": int,
    "LOGIN_FIRST_WAIT": int,
    "LOGIN_LONGEST_WAIT": int,
    "PROXY_FIX_HOPS": int,
    "API_RATE_LIMIT": str,
    "STATE": lambda value: value.strip().upper(),
    "LOG_FORMAT": lambda value: value.strip().lower(),
    "SLOW_QUERY_MS": int,
    "WORKER_HEARTBEAT_MAX_AGE": int,
    "WORKER_HEARTBEAT_SECONDS": int,
    "METRICS_TOKEN": str,
}
LOG_FORMATS = ("json", "text")


def load_config(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    """Return the settings: class defaults overlaid with TRACKER_* variables."""
    environ = os.environ if environ is None else environ
    cfg = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    for name, cast in _OVERRIDABLE.items():
        raw = environ.get(f"TRACKER_{name}")
        if raw is None or raw == "":
            continue
        value = cast(raw)
        if name == "DATABASE_URL":
            cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(value)
        elif name == "BROKER_URL":
            cfg["CELERY_BROKER_URL"] = value
        elif name == "RESULT_BACKEND":
            cfg["CELERY_RESULT_BACKEND"] = value
        else:
            cfg[name] = value
    if not cfg["SQLALCHEMY_DATABASE_URI"]:
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(instance_path) / "tracker.db")
    if cfg["ENV_NAME"] == "production":
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg["REMEMBER_COOKIE_SECURE"] = True
        if not environ.get("TRACKER_LOG_FORMAT"):
            cfg["LOG_FORMAT"] = "json"  # read by a log collector, not by a person
    return cfg


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class ConfigurationError(RuntimeError):
    """The settings cannot run safely."""


def check_config(cfg: dict) -> None:
    """Refuse settings that are unsafe outside development, or that name no State."""
    if not re.fullmatch(r"[A-Z]{2}", str(cfg.get("STATE") or "")):
        raise ConfigurationError(
            "TRACKER_STATE must be the ISO 3166 alpha-2 code of the tracker's State, e.g. HN."
        )
    if cfg.get("LOG_FORMAT") not in LOG_FORMATS:
        raise ConfigurationError("TRACKER_LOG_FORMAT must be json or text.")
    if cfg.get("ENV_NAME") == "production" and cfg.get("SECRET_KEY") == DEFAULT_SECRET_KEY:
        raise ConfigurationError(
            "TRACKER_SECRET_KEY must be set to a long random value in production."
        )
