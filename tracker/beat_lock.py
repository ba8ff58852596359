"""Celery beat that sends its schedule only while it holds a lock in Redis.

Started twice (two machines each running beat, or a restart that overlaps the old
process), every periodic task would otherwise be sent twice. The beat holding the lock
renews it on each tick, well within its time to live; another beat keeps trying to take
it and sends nothing meanwhile. If the holder dies without letting go, its lock expires
after BEAT_LOCK_SECONDS and a waiting beat takes over.
"""

from __future__ import annotations

import contextlib
import logging

import redis
from celery.beat import PersistentScheduler
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)
LOCK_NAME = "tracker:beat-lock"


class LockedScheduler(PersistentScheduler):
    """The default scheduler, sending nothing unless this beat holds the beat lock."""

    def __init__(self, *args, **kwargs):
        self._lock = None
        self._holding = False
        super().__init__(*args, **kwargs)

    @property
    def _lock_seconds(self) -> int:
        return int(self.app.conf.beat_lock_seconds)

    def _redis_lock(self):
        if self._lock is None:
            client = redis.Redis.from_url(self.app.conf.broker_url)
            self._lock = client.lock(LOCK_NAME, timeout=self._lock_seconds,
                                     thread_local=False)
        return self._lock

    def _hold(self) -> bool:
        """Take the lock, or renew it if this beat holds it; say whether it holds it now."""
        lock = self._redis_lock()
        try:
            if self._holding:
                lock.reacquire()
            elif lock.acquire(blocking=False):
                self._holding = True
                log.info("beat lock taken: this beat sends the schedule")
        except LockError:  # it expired and another beat took it
            self._holding = False
            log.warning("beat lock lost to another beat: this one waits")
        except RedisError as error:  # the broker is away: nothing could be sent anyway
            log.warning("beat lock unavailable: %s", error)
            self._holding = False
        return self._holding

    def tick(self, *args, **kwargs) -> float:
        # Renewed at least three times within the lock's lifetime, so a slow tick or two
        # never lets it lapse while this beat is alive.
        renew_every = self._lock_seconds / 3
        if not self._hold():
            return renew_every
        return min(super().tick(*args, **kwargs), renew_every)

    def close(self) -> None:
        super().close()
        if self._holding:
            # Expired or unreachable: then it lapses by itself.
            with contextlib.suppress(LockError, RedisError):
                self._lock.release()
            self._holding = False
