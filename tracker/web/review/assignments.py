"""Routes of the office workspace (to be written)."""

from tracker.web.review import bp  # noqa: F401
