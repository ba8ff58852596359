"""Celery bound to the Flask app: every task runs inside an application context."""

from __future__ import annotations

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask


def _redis_transport_options(visibility_timeout: int) -> dict:
    # Each worker looks for tasks whose worker died (unacknowledged past the timeout) every
    # few seconds, with one cheap Redis query: not kombu's default of every 100 s.
    return {"visibility_timeout": visibility_timeout,
            "unacked_restore_interval": min(10, max(1, visibility_timeout // 2)),
            "unacked_restore_throttle": 1}


def _beat_options(broker: str | None, lock_seconds: int) -> dict:
    # On Redis, beat sends the schedule only while it holds a lock there: however many
    # beats are started, one sends (tracker.beat_lock).
    if not broker or not broker.startswith(("redis://", "rediss://")):
        return {}
    return {"beat_scheduler": "tracker.beat_lock:LockedScheduler",
            "beat_lock_seconds": lock_seconds,
            "beat_max_loop_interval": max(1, lock_seconds // 3)}


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app; without a broker, tasks run in-process (eager)."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    broker = app.config.get("CELERY_BROKER_URL")
    celery = Celery(app.name, task_cls=FlaskTask)
    hour, minute = (int(x) for x in app.config["REMINDER_TIME"].split(":"))
    heartbeat = float(app.config["WORKER_HEARTBEAT_SECONDS"])
    celery.conf.update(
        broker_url=broker or "memory://",
        result_backend=app.config.get("CELERY_RESULT_BACKEND") or None,
        task_always_eager=not broker,
        task_eager_propagates=True,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options=_redis_transport_options(app.config["BROKER_VISIBILITY_TIMEOUT"]),
        # The app's own log handler (JSON or text, with request ids) stays in the worker,
        # writing to the real standard error rather than to a logger in its place.
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        timezone=app.config["BABEL_DEFAULT_TIMEZONE"],
        **_beat_options(broker, app.config["BEAT_LOCK_SECONDS"]),
        beat_schedule={
            # Taken by any worker: /readyz tells how long ago one last took work.
            "worker-heartbeat": {"task": "tracker.tasks.record_worker_heartbeat",
                                 "schedule": heartbeat, "options": {"expires": heartbeat}},
            "sweep-queued-jobs": {"task": "tracker.tasks.sweep_queued_jobs", "schedule": 300.0},
            "forget-old-submissions": {"task": "tracker.tasks.forget_old_submissions",
                                       "schedule": 3600.0},
            # Each reviewer gets at most one per hour; the pass decides who is due.
            "submission-digests": {"task": "tracker.tasks.send_submission_digests",
                                   "schedule": 300.0},
            # crontab reads the hour in `timezone`: the office's local time.
            "reminder-digests": {"task": "tracker.tasks.send_reminder_digests",
                                 "schedule": crontab(hour=hour, minute=minute)},
            "escalations": {"task": "tracker.tasks.send_escalations",
                            "schedule": crontab(hour=hour, minute=minute, day_of_week=1)},
            # Nothing to do unless the public data changed since the last build.
            "bulk-data": {"task": "tracker.tasks.rebuild_bulk_data",
                          "schedule": app.config["BULK_DATA_EVERY_MINUTES"] * 60.0},
            # Open data: the status as it stood at the start of each month.
            "public-snapshot": {"task": "tracker.tasks.build_public_snapshot",
                                "schedule": crontab(hour=hour, minute=minute, day_of_month=1)},
        },
    )
    celery.set_default()
    app.extensions["celery"] = celery
    import tracker.tasks  # noqa: F401  (registers the shared tasks)

    return celery
