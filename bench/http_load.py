"""Drive the tracker over HTTP as production runs it: gunicorn, and concurrent clients (wrk).

    .venv/bin/python bench/http_load.py --quick     # 45,000 recommendations, on SQLite
    createdb -h 127.0.0.1 -U postgres tracker_bench_http
    TRACKER_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench_http \\
        .venv/bin/python bench/http_load.py         # 270,000 recommendations, on PostgreSQL

It builds the data set of ``bench/run.py``, assigns every UPR recommendation to one
focal point's institution in bulk (as the office would), starts gunicorn with the
production command (``tracker:create_app()``, ``--workers 2`` on a two-core machine), and
then, page by page, lets ``wrk`` request it for a fixed time over a few connections: a
trivial page as the yardstick, the home page, the list, a mix of searches
(``bench/search_mix.txt``), recommendation pages, the focal point's "My institution",
the dashboard, an institution's, a document's and the pillars' pages, and the open-data
page. It prints the median, the p95 and the requests per second of each, the sizes of
the search pages and of the static files as sent, and how much a worker's memory grows
while it streams the open-data CSV of every published recommendation. It exits 0
whatever the figures are.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import dataset  # noqa: E402
import run  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
SEARCH_MIX = HERE / "search_mix.txt"
WRK_SCRIPT = HERE / "http_load.lua"
FOCAL_PASSWORD = "bench-focal-point-2024"  # noqa: S105 - a throw-away benchmark account
RECOMMENDATION_PAGES = 200
# Pages requested once each: more than a run requests, so none is served from what a
# worker keeps of the pages it rendered.
FIRST_VISIT_PAGES = 20_000
WARM_UP_SECONDS = 6
BROWSER_ENCODINGS = "gzip, deflate, br"
PLACEHOLDER = re.compile(r"\{(mechanism|theme|document):([^}]+)\}")
STATIC_LINK = re.compile(r'(?:href|src)="(/(?:bootstrap/)?static/[^"]+)"')


def log(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the tracker's pages over HTTP under gunicorn with concurrent "
                    "clients (wrk), on the data set of bench/run.py.")
    parser.add_argument("--size", type=int, default=None,
                        help=f"recommendations to build (default {run.FULL_SIZE:,})")
    parser.add_argument("--quick", action="store_true",
                        help=f"build {run.QUICK_SIZE:,} recommendations, measure 5 s a page")
    parser.add_argument("--duration", type=int, default=None,
                        help="seconds of requests per page (default 10, 5 with --quick)")
    parser.add_argument("--connections", type=int, default=4,
                        help="connections kept open by wrk (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn workers (default 2, one per core of a two-core machine)")
    parser.add_argument("--no-export", action="store_true",
                        help="skip downloading /recommendations.csv (every published "
                             "recommendation) while watching the workers' memory")
    parser.add_argument("--keep", action="store_true",
                        help="keep the SQLite file or the PostgreSQL schema afterwards")
    args = parser.parse_args(argv)
    args.size = args.size or (run.QUICK_SIZE if args.quick else run.FULL_SIZE)
    args.duration = args.duration or (5 if args.quick else 10)
    return args


# --- the data the pages need ------------------------------------------------------------------


@dataclass
class Prepared:
    """What the measurements request: resolved paths, the focal point, an export."""

    focal_email: str
    focal_institution: str
    bulk_assigned: int
    bulk_seconds: float
    searches: list[str]
    left_out: list[str]
    recommendation_paths: list[str]
    first_visit_paths: list[str]
    document_path: str
    institution_path: str
    export_path: str | None = None


def api_path(page_path: str) -> str:
    """The API's list with the same search and filters as a page of the public list.

    The API pages with a cursor rather than a page number; it counts the facets when
    asked, as the page always does.
    """
    parts = urllib.parse.urlsplit(page_path)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k not in ("page", "more")]
    return "/api/v1/recommendations?" + urllib.parse.urlencode([*query, ("facets", "true")])


def prepare(app, fx: dataset.Fixture, with_export: bool) -> Prepared:
    """Assign the UPR in bulk to a focal point's institution; resolve the paths to request."""
    from tracker.audit import acting_as
    from tracker.extensions import db
    from tracker.models import Recommendation, User
    from tracker.security import hash_password
    from tracker.services.assignments import AssignmentTerms, bulk_assign

    with app.app_context():
        reviewer = db.session.get(User, fx.reviewer_id)
        focal = db.session.get(User, fx.focal_id)
        focal.password_hash = hash_password(FOCAL_PASSWORD)
        db.session.commit()
        upr = fx.mechanism_ids["UPR"]
        started = time.perf_counter()
        with acting_as(reviewer.id, reviewer.email):
            result = bulk_assign(
                reviewer, select(Recommendation.id).where(Recommendation.mechanism_id == upr),
                [focal.institution_id], AssignmentTerms(rhythm_months=6),
                scope={"mechanism": upr, "benchmark": "http"})
            db.session.commit()
        seconds = time.perf_counter() - started
        searches, left_out = resolve_search_mix(SEARCH_MIX.read_text(encoding="utf-8"))
        published = db.session.scalars(select(Recommendation.id).where(
            Recommendation.is_published.is_(True)).order_by(Recommendation.id)).all()
        chosen = random.Random(2026).sample(published, min(RECOMMENDATION_PAGES, len(published)))
        unseen = sorted(set(published) - set(chosen))
        first_visits = random.Random(2027).sample(unseen, min(FIRST_VISIT_PAGES, len(unseen)))
        # The document with the most recommendations: the longest document page.
        document_id = db.session.scalar(
            select(Recommendation.document_id).group_by(Recommendation.document_id)
            .order_by(func.count().desc(), Recommendation.document_id).limit(1))
        prepared = Prepared(
            focal_email=focal.email, focal_institution=fx.focal_institution,
            bulk_assigned=result.created + result.updated, bulk_seconds=seconds,
            searches=searches, left_out=left_out,
            recommendation_paths=[f"/recommendations/{rec_id}" for rec_id in chosen],
            first_visit_paths=[f"/recommendations/{rec_id}" for rec_id in first_visits],
            document_path=f"/documents/{document_id}",
            institution_path=f"/institutions/{focal.institution_id}",
            # Every published recommendation, streamed by the worker that serves it.
            export_path="/recommendations.csv" if with_export else None)
        db.session.remove()
    return prepared


def resolve_search_mix(text: str) -> tuple[list[str], list[str]]:
    """Replace the placeholders of the search mix by ids; return the paths and those left out."""
    from tracker.extensions import db
    from tracker.models import Mechanism, Recommendation, Term, Vocabulary

    documents = db.session.scalars(
        select(Recommendation.document_id).group_by(Recommendation.document_id)
        .order_by(func.count().desc(), Recommendation.document_id).limit(100)).all()

    def lookup(kind: str, key: str) -> int | None:
        if kind == "mechanism":
            return db.session.scalar(select(Mechanism.id).where(Mechanism.code == key))
        if kind == "theme":
            return db.session.scalar(
                select(Term.id).join(Vocabulary, Vocabulary.id == Term.vocabulary_id)
                .where(Vocabulary.code == "themes", Term.name_en == key))
        rank = int(key) if key.isdigit() else 0
        return documents[rank - 1] if 0 < rank <= len(documents) else None

    paths, left_out = [], []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        missing = []

        def replace(match: re.Match, missing=missing) -> str:
            found = lookup(match[1], match[2])
            if found is None:
                missing.append(match[0])
                return match[0]
            return str(found)

        path = PLACEHOLDER.sub(replace, line)
        (left_out if missing else paths).append(line if missing else path)
    return paths, left_out


# --- gunicorn ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_database_url(database) -> str:
    """The URL the server processes use: on PostgreSQL, with the benchmark's schema."""
    url = make_url(database.url)
    if database.kind == "postgresql":
        url = url.update_query_dict({"options": f"-csearch_path={run.SCHEMA}"})
    return url.render_as_string(hide_password=False)


class Gunicorn:
    """The app under gunicorn, started with the production command and settings."""

    def __init__(self, database, workers: int, logfile: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logfile = logfile
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("TRACKER_") or k == "TRACKER_DATA_DIR"}
        env.update({
            "TRACKER_ENV_NAME": "production",
            "TRACKER_SECRET_KEY": secrets.token_hex(32),
            "TRACKER_DATABASE_URL": server_database_url(database),
            "TRACKER_RATELIMIT_STORAGE_URI": "memory://",
            # One address makes every request here: the API's per-address limit would turn
            # the measurement into one of 429 answers.
            "TRACKER_API_RATE_LIMIT": "100000000/minute",
        })
        gunicorn = Path(sys.executable).parent / "gunicorn"
        # The command of the Dockerfile and docker-compose.yml, on this machine's cores.
        self.command = [str(gunicorn), "--bind", f"127.0.0.1:{self.port}", "--workers",
                        str(workers), "--timeout", "600", "tracker:create_app()"]
        self.output = open(logfile, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(self.command, cwd=PROJECT, env=env,
                                        stdout=self.output, stderr=subprocess.STDOUT)

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ended with {self.process.returncode}: see "
                                   f"{self.logfile}")
            try:
                if fetch(self.base + "/healthz").status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s: see {self.logfile}")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()


# --- plain requests ---------------------------------------------------------------------------


@dataclass
class Fetched:
    status: int
    body: bytes
    headers: dict[str, str]
    cookies: list[str] = field(default_factory=list)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None
          ) -> Fetched:
    """GET (or POST ``data``) without following redirects; any status is returned."""
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        response = _opener.open(request, timeout=120)
    except urllib.error.HTTPError as exc:
        response = exc
    with response:
        body = response.read()
        return Fetched(response.status, body, dict(response.headers.items()),
                       response.headers.get_all("Set-Cookie") or [])


def sign_in(base: str, email: str, password: str) -> str:
    """Sign in through the login form; return the Cookie header of the signed-in session."""
    def cookie_header(set_cookies: list[str]) -> dict[str, str]:
        # Production cookies are Secure: sent here over plain HTTP by hand.
        return dict(c.split(";", 1)[0].split("=", 1) for c in set_cookies)

    form = fetch(base + "/login")
    cookies = cookie_header(form.cookies)
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', form.body) or \
        re.search(rb'name="csrf_token" value="([^"]+)"', form.body)
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    answer = fetch(base + "/login", headers={
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "Content-Type": "application/x-www-form-urlencoded"},
        data=urllib.parse.urlencode({"csrf_token": token[1].decode(), "email": email,
                                     "password": password}).encode())
    if answer.status != 302:
        raise RuntimeError(f"signing in answered {answer.status}")
    cookies.update(cookie_header(answer.cookies))
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


# --- wrk --------------------------------------------------------------------------------------


@dataclass
class Load:
    label: str
    paths: list[str]
    cookie: str | None = None
    # Paths of the warm-up when it must not request the measured ones (first visits).
    warm_up_paths: list[str] | None = None
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    requests_per_s: float = 0.0
    requests: int = 0
    failed: int = 0
    error: str = ""


RESULT_LINE = re.compile(r"RESULT (.*)")


def run_wrk(base: str, load: Load, args, workdir: Path) -> None:
    """Request the load's paths with wrk for the set duration; read its figures."""
    paths_file = workdir / f"paths-{abs(hash(load.label))}.txt"
    paths_file.write_text("\n".join(load.paths) + "\n", encoding="utf-8")
    warm_up_file = paths_file
    if load.warm_up_paths:
        warm_up_file = workdir / f"warm-up-{abs(hash(load.label))}.txt"
        warm_up_file.write_text("\n".join(load.warm_up_paths) + "\n", encoding="utf-8")
    headers = {"Accept-Encoding": BROWSER_ENCODINGS}
    if load.cookie:
        headers["Cookie"] = load.cookie
    def wrk(seconds: int, paths: Path = paths_file) -> subprocess.CompletedProcess:
        command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s",
                   "--timeout", "60s", "-s", str(WRK_SCRIPT)]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command += [base + load.paths[0], "--", str(paths)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    # Warm-up, not counted: every worker has built what it keeps between requests (the
    # facet index, the dashboard's figures), as on a site that has been up for a while.
    wrk(WARM_UP_SECONDS, warm_up_file)
    done = wrk(args.duration)
    found = RESULT_LINE.search(done.stdout)
    if done.returncode != 0 or found is None:
        load.error = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no result"]
        load.error = load.error[0]
        return
    figures = dict(item.split("=") for item in found[1].split())
    load.p50_ms = int(figures["p50"]) / 1000
    load.p95_ms = int(figures["p95"]) / 1000
    load.p99_ms = int(figures["p99"]) / 1000
    load.requests = int(figures["requests"])
    load.requests_per_s = load.requests / (int(figures["duration_us"]) / 1e6)
    load.failed = int(figures["non2xx"]) + int(figures["socket_errors"])


# --- sizes and memory -------------------------------------------------------------------------


def page_sizes(base: str, paths: list[str]) -> tuple[int, str, int]:
    """Return the largest HTML of the paths (bytes), which one, and its gzipped size."""
    largest, which, zipped = 0, "", 0
    for path in paths:
        body = fetch(base + path).body
        if len(body) > largest:
            largest, which = len(body), path
            zipped = len(fetch(base + path, {"Accept-Encoding": "gzip"}).body)
    return largest, which, zipped


def static_sizes(base: str) -> list[list[str]]:
    """Return, for each static file the home page links, its size plain, gzipped, brotli."""
    page = fetch(base + "/").body.decode()
    rows = []
    for link in dict.fromkeys(STATIC_LINK.findall(page)):
        sizes = []
        for encoding in ("identity", "gzip", "br"):
            answer = fetch(base + link, {"Accept-Encoding": encoding})
            sizes.append(len(answer.body))
            cache = answer.headers.get("Cache-Control", "")
        rows.append([link, *(f"{s / 1024:,.1f}" for s in sizes), cache])
    return rows


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def export_memory(server: Gunicorn, path: str) -> tuple[float, float, float]:
    """Download the export; return (seconds, MB received, largest worker RSS growth in MB)."""
    workers = server.workers()
    before = {pid: _rss_kb(pid) for pid in workers}
    peak = dict(before)
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            for pid in workers:
                peak[pid] = max(peak[pid], _rss_kb(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started, received = time.perf_counter(), 0
    with urllib.request.urlopen(server.base + path, timeout=600) as response:  # noqa: S310
        while chunk := response.read(1 << 16):
            received += len(chunk)
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    growth = max((peak[pid] - before[pid] for pid in workers), default=0)
    return seconds, received / 2**20, growth / 1024


# --- the report -------------------------------------------------------------------------------


def markdown(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(
        "---:" if i else "---" for i in range(len(headers))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(database, args, counts, prepared: Prepared, loads: list[Load], sizes, statics,
           exported) -> None:
    yardstick = loads[0].requests_per_s or float("nan")
    log("")
    log("=" * 100)
    log(f"Tracker over HTTP: {database.describe()}")
    log(f"{counts['recommendation']:,} recommendations; gunicorn --workers {args.workers} "
        f"(sync), wrk {args.threads} threads, {args.connections} connections, "
        f"{args.duration} s a page, Accept-Encoding: {BROWSER_ENCODINGS}; "
        f"{os.cpu_count()} CPUs shared by server, database and wrk")
    log(f"bulk assignment before the run: {prepared.bulk_assigned:,} rows to "
        f"{prepared.focal_institution} in {prepared.bulk_seconds:.1f} s")
    log("")
    rows = []
    for load in loads:
        if load.error:
            rows.append([load.label, "—", "—", "—", "—", f"error: {load.error}"])
            continue
        rows.append([load.label, f"{load.p50_ms:,.1f}", f"{load.p95_ms:,.1f}",
                     f"{load.requests_per_s:,.1f}",
                     f"{load.requests_per_s / yardstick:.3f}",
                     f"{load.requests:,}" + (f" ({load.failed:,} failed)" if load.failed else "")])
    log(markdown(["page", "median ms", "p95 ms", "req/s", "req/s ÷ /healthz", "requests"],
                 rows))
    largest, which, zipped = sizes
    log("")
    log(f"Search pages: largest HTML {largest / 1024:,.1f} KB ({which}), "
        f"{zipped / 1024:,.1f} KB gzipped")
    if prepared.left_out:
        log(f"left out of the search mix (no such id here): {'; '.join(prepared.left_out)}")
    log("")
    log("Static files linked by the home page, as sent (KB)")
    log(markdown(["file", "plain", "gzip", "brotli", "Cache-Control"], statics))
    log("")
    if exported is None:
        log("Open-data download: skipped (--no-export)")
    elif isinstance(exported, str):
        log(f"Open-data download of every published recommendation: FAILED, {exported}")
    else:
        seconds, received, growth = exported
        log(f"Open-data download of every published recommendation ({prepared.export_path}, "
            f"{received:,.1f} MB): {seconds:.1f} s; "
            f"largest growth of a worker's resident memory meanwhile: {growth:,.1f} MB")


@dataclass
class Served:
    """The data set built, served by gunicorn, and a focal point signed in to it."""

    app: object
    database: object
    counts: dict
    prepared: Prepared
    server: Gunicorn
    cookie: str
    workdir: Path


def missing_tools() -> str | None:
    """Say what this machine lacks to drive the server (wrk, the data file), or None."""
    if shutil.which("wrk") is None:
        return "wrk is not installed: apt-get install -y wrk (see bench/README.md)"
    upr_file = run.data_dir() / dataset.UPR_INFO_FILE
    if not upr_file.is_file():
        return f"{upr_file} not found: set TRACKER_DATA_DIR to the recommendation data folder."
    return None


@contextmanager
def served(args, with_export: bool):
    """Build the data set, serve it with gunicorn and sign the focal point in; clean up."""
    database = run.Database(os.environ.get("TRACKER_BENCH_DATABASE_URL"), args.keep)
    app, server = None, None
    workdir = Path(tempfile.mkdtemp(prefix="tracker-http-"))
    try:
        log(f"database: {database.describe()}; building {args.size:,} recommendations")
        app = run.make_app(database)
        _info, fx, counts = run.build(app, database, run.parse_args(["--size", str(args.size)]),
                                      run.data_dir() / dataset.UPR_INFO_FILE)
        prepared = prepare(app, fx, with_export)
        with app.app_context():
            from tracker.extensions import db

            db.engine.dispose()  # the server's processes have the database to themselves
        server = Gunicorn(database, args.workers, workdir / "gunicorn.log")
        log(f"gunicorn: {' '.join(server.command)}")
        server.wait_until_up()
        cookie = sign_in(server.base, prepared.focal_email, FOCAL_PASSWORD)
        yield Served(app, database, counts, prepared, server, cookie, workdir)
    finally:
        if server is not None:
            server.stop()
        run.release(app, database)
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if problem := missing_tools():
        log(problem)
        return 2
    with served(args, not args.no_export) as up:
        prepared, server, cookie, workdir = up.prepared, up.server, up.cookie, up.workdir
        loads = [
            Load("/healthz (yardstick)", ["/healthz"]),
            Load("home", ["/"]),
            Load("list, page 1", ["/recommendations"]),
            Load("list, page 500", ["/recommendations?page=500"]),
            Load(f"search mix ({len(prepared.searches)} searches)", prepared.searches),
            Load(f"recommendation pages ({len(prepared.recommendation_paths)} at random)",
                 prepared.recommendation_paths),
            Load(f"recommendation pages, first visits ({len(prepared.first_visit_paths):,} "
                 "at random, each requested once)", prepared.first_visit_paths,
                 warm_up_paths=prepared.recommendation_paths),
            Load(f"API search mix ({len(prepared.searches)} searches, facets counted)",
                 [api_path(path) for path in prepared.searches]),
            Load(f"API recommendation detail ({len(prepared.recommendation_paths)} at random)",
                 ["/api/v1" + path for path in prepared.recommendation_paths]),
            Load(f"My institution ({prepared.focal_institution}, signed in)",
                 ["/my-institution/"], cookie),
            Load("dashboard", ["/dashboard"]),
            Load(f"institution page ({prepared.focal_institution}, "
                 f"{prepared.bulk_assigned:,} assignments)", [prepared.institution_path]),
            Load("document page (the longest)", [prepared.document_path]),
            Load("OHCHR pillars", ["/pillars"]),
            Load("open data", ["/open-data"]),
        ]
        for load in loads:
            log(f"  {load.label} ...")
            run_wrk(server.base, load, args, workdir)
            log(f"    median {load.p50_ms:,.1f} ms, p95 {load.p95_ms:,.1f} ms, "
                f"{load.requests_per_s:,.1f} req/s" + (f" ERROR {load.error}" if load.error
                                                        else ""))
        log("  sizes of the search pages and the static files ...")
        sizes = page_sizes(server.base, prepared.searches)
        statics = static_sizes(server.base)
        exported = None
        if prepared.export_path:
            log(f"  downloading {prepared.export_path} ...")
            try:
                exported = export_memory(server, prepared.export_path)
            except (OSError, http.client.HTTPException) as error:
                exported = f"the download broke off: {error!r}"
        report(up.database, args, up.counts, prepared, loads, sizes, statics, exported)
    return 0


if __name__ == "__main__":
    sys.exit(main())
