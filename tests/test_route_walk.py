"""No input answers a server error: every rule of the URL map, as every kind of user.

Nothing here lists the parameters of a view. A first, ordinary request of each rule runs
with a request class whose query and form dictionaries note every key the view reads
(WTForms reads its fields through them too); the forms the pages themselves render give
the valid values to start from. Then every path parameter, every key read and every form
field gets, one at a time, values out of range or malformed, and any 5xx fails the test
with the request that caused it.
"""

from __future__ import annotations

import io
import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from flask import got_request_exception
from sqlalchemy import insert
from werkzeug.datastructures import ImmutableMultiDict

from tests import factories
from tracker.extensions import db
from tracker.models import (
    NotificationStatus,
    OfficeActionKind,
    PendingLabel,
    ReportState,
    Role,
    User,
)
from tracker.models.reference import pending_label_link
from tracker.services import api_tokens

ROLES = ("anonymous", "focal_point", "reviewer", "admin")

PATH_VALUES = (
    "9223372036854775808", "18446744073709551616", "2147483648", "-1", "0", "abc", "1e3",
    "%00", "\x00", "9" * 500, "²", "ñandú-😀",
)
FIELD_VALUES = (
    "9223372036854775808", "-9223372036854775809", "2147483648", "-1", "0", "", " ", "x",
    "1e3", "²", "9999-12-31", "0001-01-01", "2024-02-30", "http://[::1", "//[::1",
    "http://x:99999", "\x00", "9" * 500, "é" * 500,
)
# What the second and later roles send where an earlier one sent everything.
SHORT_PATH_VALUES = ("9223372036854775808", "abc")
SHORT_VALUES = ("9223372036854775808", "²", "\x00")
SLOW_REQUEST = 0.1  # seconds of this process's own work (a password hash, say)
DOMAIN = "tracker.test"  # the suite's SERVER_NAME
COOKIES = ("session", "remember_token")


# --- what a view reads ---------------------------------------------------------------------

@dataclass
class Reads:
    args: set[str] = field(default_factory=set)
    form: set[str] = field(default_factory=set)


READS = Reads()


class _Noting(ImmutableMultiDict):
    source = "form"

    def _note(self, key):
        if isinstance(key, str):
            getattr(READS, self.source).add(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - the MultiDict signature
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        self._note(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class _NotingArgs(_Noting):
    source = "args"


class NotingRequest:
    """Mixed into the app's request class: query and form note each key the app reads."""

    parameter_storage_class = _Noting

    @property
    def args(self):
        if "_noting_args" not in self.__dict__:
            self.__dict__["_noting_args"] = _NotingArgs(super().args)
        return self.__dict__["_noting_args"]


# --- the forms the pages render ------------------------------------------------------------

@dataclass
class PageForm:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


_DEFAULTS = {"email": "walk@example.org", "date": "2024-01-01", "number": "1",
             "url": "https://example.org/", "password": "Walk-password-2024-long!"}


class FormReader(HTMLParser):
    """Collect each <form> of a page with a valid value for every field."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: tuple[str, bool, list[str], list[str]] | None = None
        self._textarea: str | None = None
        self._text = ""
        self._radios: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = urlsplit(a.get("action") or self.page_url).path
            self._form = PageForm(action, (a.get("method") or "get").upper())
            self._radios = set()
            return
        form = self._form
        if form is None or "name" not in a and tag != "option":
            return
        if tag == "input":
            kind, name = (a.get("type") or "text").lower(), a["name"]
            if kind == "file":
                form.files.add(name)
            elif kind in ("checkbox", "radio"):
                if kind == "radio" and name in self._radios:
                    if "checked" in a:
                        form.fields[name] = [a.get("value", "on")]
                    return
                if kind == "radio":
                    self._radios.add(name)
                if "checked" in a or kind == "radio":
                    form.fields.setdefault(name, []).append(a.get("value", "on"))
            elif kind not in ("submit", "button", "reset", "image"):
                form.fields[name] = [a.get("value") or _DEFAULTS.get(kind, "x")]
            elif name not in form.fields:
                form.fields[name] = [a.get("value", "")]
        elif tag == "button" and a.get("name") and a["name"] not in form.fields:
            form.fields[a["name"]] = [a.get("value", "")]
        elif tag == "select":
            self._select = (a["name"], "multiple" in a, [], [])
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if value:
                self._select[2].append(value)
                if "selected" in a:
                    self._select[3].append(value)
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            name, _multiple, options, chosen = self._select
            if chosen or options:
                self._form.fields[name] = chosen or options[:1]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.fields[self._textarea] = [self._text.strip() or "x"]
            self._textarea = None
        elif tag == "form":
            self.forms.append(self._form)
            self._form = None


# --- a small world with something on every page --------------------------------------------

@dataclass
class World:
    users: dict[str, int | None]
    params: dict[str, object]


def _export_job(owner: User):
    """A finished export of the reviewer's, with its file."""
    from tracker.exports import CSV_TYPE
    from tracker.models import JobState, ReportFormat, ReportJob, ReportKind
    from tracker.services.storage import store_stream

    stored = store_stream(io.BytesIO(b"ref;status\r\n"), "matriz.csv", CSV_TYPE, owner.id)
    job = ReportJob(kind=ReportKind.STATUS_MATRIX, format=ReportFormat.CSV, filters={},
                    requested_by_id=owner.id, state=JobState.DONE, progress=100, rows=1,
                    stored_file_id=stored.id)
    db.session.add(job)
    db.session.flush()
    return job


def _world(session) -> World:
    inst_a = factories.institution("WALK-A")
    inst_b = factories.institution("WALK-B", parent=inst_a)
    focal = factories.user(Role.FOCAL_POINT, inst_a)
    reviewer = factories.user(Role.REVIEWER)
    admin = factories.user(Role.ADMIN)
    invitee = factories.user(Role.FOCAL_POINT, inst_b, password_hash=None)
    recs = [factories.recommendation(is_published=True) for _ in range(2)]
    factories.recommendation(recs[0].document, is_published=False)
    assignment = factories.assignment(recs[0], inst_a)
    factories.assignment(recs[1], inst_a, next_due=date(2020, 1, 1))
    draft = factories.progress_report(focal, recs)
    submitted = factories.report_in_state(inst_a, [recs[0]], ReportState.SUBMITTED)
    factories.report_in_state(inst_a, [recs[1]])
    evidence = factories.evidence_file(draft, label="Acta")
    factories.evidence_link(draft, "https://example.org/acta")
    action = factories.office_action(kind=OfficeActionKind.MONITORING, title="Visita",
                                     start_date=date(2024, 3, 1), is_public=True)
    term = factories.term("spotlight", "women")
    narrower = factories.make_term(term.vocabulary)
    failed_note = factories.notification(focal, status=NotificationStatus.FAILED)
    export = _export_job(reviewer)
    imported = factories.import_job(reviewer, filename="walk.csv")
    token, _secret = api_tokens.create(focal, "Walk", ["read"], 30)
    waiting = PendingLabel(vocabulary_id=term.vocabulary_id, label="Etiqueta", key="etiqueta")
    session.add(waiting)
    session.flush()
    session.execute(insert(pending_label_link), [
        {"pending_label_id": waiting.id, "recommendation_id": recs[1].id}])
    session.commit()
    return World(
        users={"anonymous": None, "focal_point": focal.id, "reviewer": reviewer.id,
               "admin": admin.id},
        params={
            "rec_id": recs[0].id, "evidence_id": evidence.id,
            # a draft for the institution's pages, a submitted one for the office's review
            "report_id": (draft.id, submitted.id),
            "assignment_id": assignment.id, "document_id": recs[0].document_id,
            "action_id": action.id, "institution_id": inst_b.id,
            "mechanism_id": recs[0].mechanism_id, "term_id": narrower.id,
            "vocabulary_id": term.vocabulary_id, "user_id": invitee.id,
            "token": "not-a-real-token", "code": "en", "note_id": failed_note.id,
            "job_id": export.id, "label_id": waiting.id, "import_id": imported.id,
            "token_id": token.id,
            "fmt": "csv",
            "pillar": ("accountability", str(factories.term("pillar", "accountability").id)),
            "chart": ("status", "overdue"),
            "vocabulary": (term.vocabulary.code, "no-such-vocabulary"),
        },
    )


# --- the walk ------------------------------------------------------------------------------

@dataclass
class Walk:
    client: object
    world: World
    role: str = "anonymous"
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # (method, rule, key) already given every value, by an earlier role
    fuzzed: set[tuple[str, str, str]] = field(default_factory=set)
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: int = 0

    def sign_in(self) -> None:
        """Present the current role's cookies, as saved when it signed in (none: anonymous)."""
        for name in COOKIES:
            self.client.delete_cookie(name, domain=DOMAIN)
        for name, value in self.cookies.get(self.role, {}).items():
            self.client.set_cookie(name, value, domain=DOMAIN)

    def sign_in_for_real(self, role: str) -> None:
        """Sign in through the sign-in form and keep the cookies it gives."""
        self.role = role
        user_id = self.world.users[role]
        if user_id is None:
            return
        user = db.session.get(User, user_id)
        for name in COOKIES:
            self.client.delete_cookie(name, domain=DOMAIN)
        self.client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        db.session.remove()
        kept = {name: self.client.get_cookie(name, domain=DOMAIN) for name in COOKIES}
        self.cookies[role] = {name: c.value for name, c in kept.items() if c is not None}
        assert self.cookies[role], f"{role} could not sign in"

    def values_for(self, target: tuple[str, str, str], every: tuple, short: tuple) -> tuple:
        """Every value the first time a role reaches this target, the short list after."""
        if target in self.fuzzed:
            return short
        self.fuzzed.add(target)
        return every

    def send(self, method, url, query=(), form=(), files=()) -> float:
        """Send one request as the current role, note it when it answers 5xx; return seconds."""
        self.sign_in()
        body = _multi(form)
        for name in files:
            body.setdefault(name, []).append((io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "walk.pdf"))
        del self.errors[:]
        self.requests += 1
        started = time.process_time()
        response = self.client.open(url, method=method, query_string=list(query),
                                    data=body or None)
        took = time.process_time() - started
        status = response.status_code
        response.close()
        # A server removes the session after each request; the test's app context would not.
        db.session.remove()
        if status >= 500:
            sent = f"{method} {url} query={list(query)!r} form={list(form)!r}"
            if len(sent) > 300:
                sent = sent[:200] + " … " + sent[-90:]
            cause = f" ({self.errors[0]})" if self.errors else ""
            self.failures.append(f"{self.role}: {sent} -> {status}{cause}")
        return took


def _multi(pairs) -> dict[str, list]:
    out: dict[str, list] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _path(rule, values: dict[str, object]) -> str:
    def fill(match):
        return quote(str(values[match.group(1)]), safe="/" if "path" in match.group(0) else "")
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, rule.rule)


def _samples(rule, world: World) -> list[dict[str, object]]:
    """Every combination of sample values for the rule's parameters."""
    options: dict[str, tuple] = {}
    for name in rule.arguments:
        if name == "filename":
            options[name] = ("css/bootstrap.min.css" if rule.endpoint == "bootstrap.static"
                             else "css/app.css",)
        else:
            assert name in world.params, f"no sample value for <{name}> of {rule.endpoint}"
            found = world.params[name]
            options[name] = found if isinstance(found, tuple) else (found,)
    return [dict(zip(options, combo, strict=True))
            for combo in itertools.product(*options.values())]


def _valid_values(rule, world: World, forms, method: str) -> dict[str, object]:
    """Sample values for the rule's parameters; of several, those whose page has the form."""
    choices = _samples(rule, world)
    return next((values for values in choices if (method, _path(rule, values)) in (forms or {})),
                choices[0])


def _forms_of_pages(walk: Walk, rules) -> dict[tuple[str, str], PageForm]:
    """Open every page as the current role; keep the forms they show, by (method, action)."""
    found: dict[tuple[str, str], PageForm] = {}
    for rule in rules:
        if "GET" not in rule.methods or rule.endpoint.endswith("static"):
            continue
        for values in _samples(rule, walk.world):
            url = _path(rule, values)
            walk.sign_in()
            response = walk.client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                reader = FormReader(url)
                reader.feed(response.get_data(as_text=True))
                for form in reader.forms:
                    found.setdefault((form.method, form.action), form)
            response.close()
    return found


def _pairs(fields: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(key, value) for key, values in fields.items() for value in values]


def _fuzz_rule(walk: Walk, rule, method: str, forms) -> None:
    valid = _valid_values(rule, walk.world, forms, method)
    url = _path(rule, valid)
    # A GET reads its filters from the query, which is fuzzed one key at a time below.
    page_form = None if method == "GET" else forms.get((method, url))
    baseline = dict(page_form.fields) if page_form else {}
    files = page_form.files if page_form else set()
    form = _pairs(baseline)

    for name in rule.arguments:
        for bad in walk.values_for((method, rule.rule, f"path:{name}"), PATH_VALUES,
                                   SHORT_PATH_VALUES):
            walk.send(method, _path(rule, {**valid, name: bad}), form=form, files=files)

    # The ordinary request tells which keys the view reads.
    READS.args.clear()
    READS.form.clear()
    slowest = walk.send(method, url, form=form, files=files)
    args = set(READS.args)
    fields = set() if method == "GET" else set(READS.form) | set(baseline)

    def values_for(where: str, key: str) -> tuple[str, ...]:
        # Routes slow by design (a password hash per request) get the short list.
        if slowest > SLOW_REQUEST:
            return SHORT_VALUES
        return walk.values_for((method, rule.rule, f"{where}:{key}"), FIELD_VALUES,
                               SHORT_VALUES)

    for key in sorted(args):
        values = values_for("args", key)
        for bad in values:
            took = walk.send(method, url, query=[(key, bad)], form=form, files=files)
            slowest = max(slowest, took)
        if values is FIELD_VALUES:  # the key given twice, and more
            walk.send(method, url, query=[(key, FIELD_VALUES[0]), (key, "x")], form=form,
                      files=files)
    for key in sorted(fields):
        values = values_for("form", key)
        for bad in values:
            took = walk.send(method, url, form=_pairs({**baseline, key: [bad]}), files=files)
            slowest = max(slowest, took)
        if values is FIELD_VALUES:
            walk.send(method, url, form=_pairs({**baseline, key: [FIELD_VALUES[0], "1", "x"]}),
                      files=files)


def _walk_rules(walk: Walk, rules, forms) -> bool:
    """Fuzz every rule as the current role; return False when the walk cannot go on."""
    connection = db.engines[None]
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # Each rule starts from the same world: what one changes, the next has again.
            # (The requests share the test's session; close it first, or rolling it back
            # would take this savepoint with it.)
            db.session.remove()
            savepoint = connection.begin_nested()
            try:
                _fuzz_rule(walk, rule, method, forms)
            finally:
                db.session.remove()
                try:
                    savepoint.rollback()
                except Exception as exc:  # noqa: BLE001 - reported with the 5xx found
                    walk.failures.append(f"walk stopped after {method} {rule.rule}: {exc}")
                    return False
    return True


def test_no_request_answers_a_server_error(app, client, session, monkeypatch):
    world = _world(session)
    monkeypatch.setattr(app, "request_class",
                        type("Noting", (NotingRequest, app.request_class), {}))
    # Let Flask answer unhandled errors with a 500 page, as in production, to count them.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    walk = Walk(client, world)

    def _note_error(sender, exception, **extra):
        walk.errors.append(f"{type(exception).__name__}: {str(exception)[:160]}")

    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))
    got_request_exception.connect(_note_error, app)
    try:
        for role in ROLES:
            walk.sign_in_for_real(role)
            if not _walk_rules(walk, rules, _forms_of_pages(walk, rules)):
                break
    finally:
        got_request_exception.disconnect(_note_error, app)
    shown = "\n".join(walk.failures[:60])
    assert not walk.failures, (
        f"{len(walk.failures)} of {walk.requests} requests answered a server error:\n{shown}"
    )
