"""Time requests through the Flask test client, and print aligned tables."""

from __future__ import annotations

import math
import statistics
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import event


@dataclass
class Case:
    """One page to time: its label, URL and who asks (None, 'focal' or 'reviewer')."""

    label: str
    url: str
    who: str | None = None


@dataclass
class Timing:
    label: str
    detail: str
    times_ms: list[float] = field(default_factory=list)
    status: int | None = None
    queries: int | None = None
    size_kb: float | None = None
    error: str | None = None
    timed_out: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms) if self.times_ms else math.nan

    @property
    def p95(self) -> float:
        """The nearest-rank 95th percentile."""
        if not self.times_ms:
            return math.nan
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class StatementTimeout:
    """Stop any SQL statement running longer than ``seconds`` (the benchmark's, not the app's).

    A page that would take minutes is reported as stopped rather than holding the run up:
    PostgreSQL gets ``statement_timeout``; SQLite a progress handler that interrupts.
    Pooled connections are dropped on entry and exit so that only the timed requests see it.
    """

    def __init__(self, engine, seconds: float) -> None:
        self.engine = engine
        self.seconds = seconds
        self.deadline = math.inf
        self.tripped = False

    def _on_connect(self, dbapi_connection, _record) -> None:
        if self.engine.dialect.name == "sqlite":
            dbapi_connection.set_progress_handler(self._expired, 20_000)
        else:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(self.seconds * 1000)}")
            dbapi_connection.commit()

    def _expired(self) -> int:
        if time.perf_counter() > self.deadline:
            self.tripped = True
            return 1
        return 0

    def stopped(self, exc: BaseException) -> bool:
        """Whether an error is this timeout's; an SQLite interrupt it did not cause is ^C."""
        text = str(exc).lower()
        if "statement timeout" in text:
            return True
        if "interrupted" in text:
            if not self.tripped:
                raise KeyboardInterrupt from exc
            self.tripped = False
            return True
        return False

    def _on_execute(self, *_args) -> None:
        self.deadline = time.perf_counter() + self.seconds

    def __enter__(self) -> StatementTimeout:
        self.engine.dispose()
        event.listen(self.engine, "connect", self._on_connect)
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "connect", self._on_connect)
        event.remove(self.engine, "before_cursor_execute", self._on_execute)
        self.engine.dispose()


class QueryCounter:
    """Count the SQL statements an engine runs while it is attached."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.count = 0

    def _on_execute(self, *_args) -> None:
        self.count += 1

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


def time_page(client, timeout: StatementTimeout, case: Case, repeat: int, warmup: int,
              budget: float) -> Timing:
    """GET a URL ``warmup`` times (counting the queries of the first), then time it.

    A page so slow that its first request took over half the budget is not requested
    again: that one (cold) time is its only sample. Otherwise timing stops once the
    timed requests add up to ``budget`` seconds.
    """
    engine = timeout.engine
    timing = Timing(case.label, case.url)
    try:
        with QueryCounter(engine) as counter:
            start = time.perf_counter()
            response = client.get(case.url)
            body = response.get_data()
            first = time.perf_counter() - start
            response.close()
        timing.queries, timing.status = counter.count, response.status_code
        timing.size_kb = len(body) / 1024
        if response.status_code != 200:
            timing.error = f"HTTP {response.status_code}"
            return timing
        if first > budget / 2:
            timing.times_ms.append(first * 1000)
            return timing
        for _ in range(max(0, warmup - 1)):
            client.get(case.url).close()
        spent = 0.0
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(case.url)
            response.get_data()
            elapsed = time.perf_counter() - start
            response.close()
            timing.times_ms.append(elapsed * 1000)
            spent += elapsed
            if spent > budget:
                break
    except Exception as exc:  # a benchmark reports a broken page and goes on
        if timeout.stopped(exc):
            timing.timed_out = True
            timing.error = "stopped by the statement timeout"
        else:
            timing.error = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
    return timing


def time_call(func: Callable[[], object]) -> tuple[float, object]:
    """Run func once; return (seconds, its result)."""
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """Return rows as an aligned plain-text table (columns in ``right`` right-aligned)."""
    right = right or set()
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=True)]

    def line(cells) -> str:
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
