"""Entry point for ``celery -A tracker.worker worker`` and ``beat``."""

from tracker import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
