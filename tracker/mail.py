"""Outgoing e-mail over SMTP; without TRACKER_MAIL_SERVER messages go to the log."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

log = logging.getLogger(__name__)


def send_message(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Send one message now; raise on an SMTP failure so the caller can retry."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    if not cfg.get("MAIL_SERVER"):
        log.info("E-mail (not sent: no TRACKER_MAIL_SERVER)\nTo: %s\nSubject: %s\n\n%s",
                 to, subject, text)
        return
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        smtp.send_message(msg)
