"""``tracker doctor``: check a deployment's settings and services, and say what to do."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker import health
from tracker.config import DEFAULT_SECRET_KEY
from tracker.extensions import db

MIN_SECRET_LENGTH = 32
# What to do when a readiness check fails, by check.
READINESS_ADVICE = {
    "database": "start the database or correct TRACKER_DATABASE_URL",
    "migrations": "run `tracker db upgrade`",
    "broker": "start Redis or correct TRACKER_BROKER_URL",
    "worker": "start a worker (`celery -A tracker.worker worker`) and exactly one beat "
              "(`celery -A tracker.worker beat`), which sends the heartbeat",
}


def _production() -> bool:
    return current_app.config["ENV_NAME"] == "production"


def check_secret_key() -> tuple[bool, str]:
    key = current_app.config["SECRET_KEY"] or ""
    if not _production():
        return True, "secret key: development settings (not checked)"
    if key == DEFAULT_SECRET_KEY:
        return False, ("secret key: the development default; set TRACKER_SECRET_KEY to a "
                       "long random value (`python -c 'import secrets; "
                       "print(secrets.token_urlsafe(48))'`)")
    if len(key) < MIN_SECRET_LENGTH:
        return False, (f"secret key: only {len(key)} characters; set TRACKER_SECRET_KEY to "
                       f"at least {MIN_SECRET_LENGTH} random characters")
    return True, "secret key: set"


def check_mail() -> tuple[bool, str]:
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        if _production():
            return False, ("mail: no server; e-mails are only written to the log: set "
                           "TRACKER_MAIL_SERVER and TRACKER_MAIL_PORT")
        return True, "mail: not configured, e-mails are written to the log"
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"],
                          timeout=health.TIMEOUT_SECONDS) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return False, (f"mail: cannot connect to the SMTP server ({type(exc).__name__}); "
                       "check TRACKER_MAIL_SERVER and TRACKER_MAIL_PORT")
    return True, "mail: the SMTP server answers"


def check_storage() -> tuple[bool, str]:
    from tracker.models import StoredFile

    # Files are kept in the database: writing one (rolled back) proves the right to.
    try:
        savepoint = db.session.begin_nested()
        try:
            db.session.execute(StoredFile.__table__.insert().values(
                filename="doctor.txt", content_type="text/plain", size=0, sha256=""))
        finally:
            savepoint.rollback()
    except Exception as exc:  # noqa: BLE001
        return False, (f"storage: cannot write a stored file ({type(exc).__name__}); "
                       "the database user needs INSERT on stored_file")
    return True, "storage: files can be written"


def check_https_cookies() -> tuple[bool, str]:
    cfg = current_app.config
    https = cfg["BASE_URL"].startswith("https://")
    if _production() and not https:
        return False, ("cookies: production marks them Secure, which browsers send over "
                       "HTTPS only; serve the site over HTTPS and set TRACKER_BASE_URL "
                       "to its https:// address")
    if https and not cfg.get("PROXY_FIX_HOPS"):
        return False, ("cookies: the site is served over HTTPS but TRACKER_PROXY_FIX_HOPS is "
                       "0, so requests look like plain HTTP (no HSTS, wrong addresses in "
                       "the audit trail); set it to the number of proxies in front")
    return True, "cookies: settings fit the address"


def check_default_language() -> tuple[bool, str]:
    cfg = current_app.config
    locale = cfg["BABEL_DEFAULT_LOCALE"]
    if locale not in cfg["LANGUAGES"]:
        return False, (f"language: the default {locale!r} is not one of "
                       f"{', '.join(cfg['LANGUAGES'])}")
    catalogue = (Path(current_app.root_path) / "translations" / locale / "LC_MESSAGES"
                 / "messages.mo")
    if not catalogue.is_file():
        return False, (f"language: the {locale!r} catalogue is not compiled; run "
                       "`pybabel compile -d tracker/translations`")
    return True, f"language: default {locale!r} present"


SETTINGS_CHECKS: tuple[Callable[[], tuple[bool, str]], ...] = (
    check_secret_key, check_mail, check_storage, check_https_cookies, check_default_language)


def diagnose() -> Iterator[tuple[bool, str]]:
    """Yield (passed, sentence) for each check of the deployment."""
    for check in health.readiness():
        line = f"{check.name}: {check.reason}"
        yield check.ok, line if check.ok else f"{line}; {READINESS_ADVICE[check.name]}"
    for check in SETTINGS_CHECKS:
        yield check()


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the settings and services of this deployment; exit 1 when anything is wrong."""
    failed = 0
    for passed, line in diagnose():
        click.echo(f"{'✓' if passed else '✗'} {line}")
        failed += not passed
    if failed:
        click.echo(f"{failed} problem(s) found.", err=True)
        raise SystemExit(1)
    click.echo("Everything checked is in order.")
