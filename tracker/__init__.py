"""Seguimiento: follow-up of the human-rights recommendations addressed to a country."""

from __future__ import annotations

import os

from flask import Flask

__all__ = ["create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, errors, CLI, Celery."""
    from dotenv import load_dotenv

    from tracker.config import check_config, load_config
    from tracker.database import configure_engine, engine_options
    from tracker.extensions import (
        babel,
        bootstrap,
        compress,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
    )
    from tracker.i18n import select_locale
    from tracker.logs import configure_logging, install_slow_query_log

    load_dotenv(override=False)
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(os.path.dirname(__file__), os.pardir, "templates"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    check_config(app.config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)

    db.init_app(app)
    migrations_dir = os.path.join(os.path.dirname(__file__), os.pardir, "migrations")
    migrate.init_app(app, db, directory=os.path.abspath(migrations_dir), render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    bootstrap.init_app(app)
    compress.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    with app.app_context():
        configure_engine(db.engine)
    configure_logging(app)
    install_slow_query_log(app)

    from flask_sqlalchemy.session import Session as FlaskSession

    from tracker import audit

    audit.install(FlaskSession)

    from tracker import auth_loader  # noqa: F401  (registers the user loader)
    from tracker.celery_app import celery_init_app
    from tracker.cli import register_cli
    from tracker.services import data_versions  # noqa: F401  (moves data counters at commit)
    from tracker.web import register_web
    from tracker.web.ops import register_request_tracing

    register_request_tracing(app)  # first: its clock and id cover the other hooks
    register_web(app)
    from tracker.web import auth
    from tracker.web.hooks import register_hooks

    app.register_blueprint(auth.bp)
    from tracker.web import admin, focal, review

    app.register_blueprint(admin.bp)
    app.register_blueprint(focal.bp)
    app.register_blueprint(review.bp)
    from tracker.web import files
    app.register_blueprint(files.bp)
    from tracker.web import messages
    app.register_blueprint(messages.bp)
    from tracker.web import open_data
    app.register_blueprint(open_data.bp)
    from tracker.web import ops
    app.register_blueprint(ops.bp)
    from tracker.web.api import register_api
    register_api(app)
    register_hooks(app)
    from tracker.web.assets import register_assets

    register_assets(app)  # after every blueprint: it serves their static folders too
    register_cli(app)
    celery_init_app(app)
    return app
