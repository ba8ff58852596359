"""A database that stops answering for a moment (a restart, a fail-over).

Pooled connections are tested before use (``pool_pre_ping``), so the first request after
the database is back gets a fresh connection. A read (GET, HEAD) whose connection broke
under it is run once more on a new connection; anything else that meets an unreachable
database is answered with a clean 503 page asking to try again, never a 500. Nothing half
done is kept: the request's transaction is rolled back with its connection.
"""

from __future__ import annotations

import logging

from flask import Flask, g, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import ServiceUnavailable

from tracker.extensions import db, login_manager

log = logging.getLogger(__name__)
SAFE_METHODS = ("GET", "HEAD")
# Seconds a browser or a script is asked to wait before trying again.
RETRY_AFTER_S = 5


def register_outage_handling(app: Flask, render_http_error) -> None:
    """Retry reads cut by a lost connection once; answer an unreachable database with 503."""
    dispatch = app.dispatch_request

    def dispatch_retrying_reads():
        try:
            return dispatch()
        except DBAPIError as exc:
            if request.method not in SAFE_METHODS or not exc.connection_invalidated:
                raise
            log.warning("database connection lost during %s %s; trying once more",
                        request.method, request.path)
            db.session.rollback()  # the rows already loaded reload on the new connection
            return dispatch()

    app.dispatch_request = dispatch_retrying_reads

    @app.teardown_appcontext
    def _end_reads_on_a_lost_connection(_exc):
        # Runs before Flask-SQLAlchemy's own clean-up, whose rollback would raise (and turn
        # an answer already made into a 500) when the database went away after the view.
        try:
            db.session.rollback()
        except DBAPIError as exc:
            log.warning("database connection lost before the end of its transaction: %s",
                        exc.orig)

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError):
        log.warning("database unavailable during %s %s: %s", request.method, request.path,
                    exc.orig)
        db.session.rollback()
        # The signed-in user's details are in the unreachable database: the page is drawn
        # as for a visitor.
        g._login_user = login_manager.anonymous_user()
        response = app.make_response(render_http_error(ServiceUnavailable()))
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
