"""For operators and their machines: readiness, metrics, and each request's id and log line."""

from __future__ import annotations

import hmac
import logging
import time

from flask import Blueprint, Flask, abort, current_app, g, jsonify, request

from tracker import health, logs, metrics
from tracker.web.hooks import serves_static_file

bp = Blueprint("ops", __name__)
access_log = logging.getLogger("tracker.access")
# Asked every few seconds by probes and scrapers (and static files, by every page): their
# lines would drown the others.
QUIET_ENDPOINTS = {"public.healthz", "ops.readyz", "ops.metrics"}


@bp.get("/readyz")
def readyz():
    """Say whether this process can serve: database, migrations, broker, worker."""
    checks = health.readiness()
    ready = all(check.ok for check in checks)
    body = {"status": "ok" if ready else "fail",
            "checks": {check.name: check.as_json() for check in checks}}
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics_page():
    """Serve the metrics to a scraper holding TRACKER_METRICS_TOKEN; to anyone else, 404."""
    token = current_app.config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        abort(404)
    return metrics.scrape(), 200, {"Content-Type": metrics.CONTENT_TYPE,
                                   "Cache-Control": "no-store"}


def register_request_tracing(app: Flask) -> None:
    """Give each request an id, count it, and write its access line when it is answered."""

    def _start():
        g.started = time.perf_counter()
        logs.request_id.set(logs.request_id_from(request.headers.get(logs.REQUEST_ID_HEADER)))

    # Before the extensions' own hooks (CSRF, rate limits), whose refusals count too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    @app.after_request
    def _finish(response):
        rid = logs.request_id.get()
        if rid:
            response.headers[logs.REQUEST_ID_HEADER] = rid
        started = g.get("started")
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        metrics.observe_request(request.endpoint, request.method, response.status_code, elapsed)
        quiet = request.endpoint in QUIET_ENDPOINTS or serves_static_file()
        level = logging.DEBUG if quiet else logging.INFO
        access_log.log(level, "%s %s %s", request.method, request.path, response.status_code,
                       extra={"method": request.method, "path": request.path,
                              "status": response.status_code, "endpoint": request.endpoint,
                              "duration_ms": round(elapsed * 1000, 1)})
        return response

    @app.teardown_request
    def _forget(_exc):
        logs.request_id.set(None)
        logs.user_id.set(None)
