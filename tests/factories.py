"""Small factories for test data; each flushes and returns the new row."""

from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import (
    Document,
    ImplementationStatus,
    Institution,
    InstitutionBranch,
    Mechanism,
    OfficeAction,
    OfficeActionKind,
    Recommendation,
    RecommendationText,
    RecommendationType,
    Role,
    Term,
    User,
    Vocabulary,
)
from tracker.security import hash_password

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = None


def mechanism(code: str = "CEDAW") -> Mechanism:
    return db.session.execute(db.select(Mechanism).filter_by(code=code)).scalar_one()


def term(vocabulary: str, code: str) -> Term:
    return db.session.execute(
        db.select(Term).join(Vocabulary).where(Vocabulary.code == vocabulary, Term.code == code)
    ).scalar_one()


def institution(acronym: str | None = None, **kw) -> Institution:
    if acronym:
        found = db.session.execute(
            db.select(Institution).filter_by(acronym=acronym)
        ).scalar_one_or_none()
        if found:
            return found
    n = next(_seq)
    inst = Institution(
        acronym=acronym or f"INST{n}",
        name_es=kw.pop("name_es", f"Institución {n}"),
        name_en=kw.pop("name_en", f"Institution {n}"),
        branch=kw.pop("branch", InstitutionBranch.EXECUTIVE),
        **kw,
    )
    db.session.add(inst)
    db.session.flush()
    return inst


def document(symbol: str | None = None, mechanism_code: str = "CEDAW", **kw) -> Document:
    n = next(_seq)
    doc = Document(
        symbol=symbol or f"CEDAW/C/TST/CO/{n}",
        mechanism=mechanism(mechanism_code),
        title=kw.pop("title", f"Concluding observations {n}"),
        date=kw.pop("date", date(2016, 11, 25)),
        **kw,
    )
    db.session.add(doc)
    db.session.flush()
    return doc


def recommendation(doc: Document | None = None, *, versions: dict[str, str] | None = None,
                   **kw) -> Recommendation:
    """A recommendation; ``versions`` gives its text in other languages ({"es": ...})."""
    doc = doc or document()
    n = next(_seq)
    paragraph = kw.pop("paragraph", str(n))
    rec = Recommendation(
        document=doc,
        mechanism_id=doc.mechanism_id,
        paragraph=paragraph,
        reference=kw.pop("reference", f"{doc.symbol} ¶{paragraph}"),
        text=kw.pop("text", f"The State party should adopt measure number {n}."),
        language=kw.pop("language", "en"),
        type=kw.pop("type", RecommendationType.RECOMMENDATION),
        is_published=kw.pop("is_published", True),
        status=kw.pop("status", ImplementationStatus.NO_INFORMATION),
        **kw,
    )
    for language, text in (versions or {}).items():
        rec.set_text(language, text)
    db.session.add(rec)
    db.session.flush()
    return rec


def user(role: Role = Role.REVIEWER, institution_obj: Institution | None = None, **kw) -> User:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(PASSWORD)
    n = next(_seq)
    if role == Role.FOCAL_POINT and institution_obj is None:
        institution_obj = institution()
    u = User(
        email=kw.pop("email", f"user{n}@example.org"),
        name=kw.pop("name", f"User {n}"),
        role=role,
        institution=institution_obj,
        password_hash=kw.pop("password_hash", _PASSWORD_HASH),
        **kw,
    )
    db.session.add(u)
    db.session.flush()
    return u


def country(iso2: str):
    from tracker.models import Country

    return db.session.execute(db.select(Country).filter_by(iso2=iso2)).scalar_one()


def assessment(rec: Recommendation, status: ImplementationStatus, **kw):
    from tracker.models import StatusAssessment, utcnow

    kw.setdefault("assessed_at", utcnow())
    a = StatusAssessment(recommendation=rec, status=status, **kw)
    db.session.add(a)
    rec.status = status
    rec.status_assessed_at = kw["assessed_at"]
    db.session.flush()
    return a


def evidence_link(report, url: str, is_public: bool = True, label: str = ""):
    from tracker.models import Evidence, EvidenceKind

    item = Evidence(
        report=report, kind=EvidenceKind.LINK, url=url, is_public=is_public, label=label
    )
    db.session.add(item)
    db.session.flush()
    return item


def evidence_file(report, filename: str = "acta.pdf", *, is_public: bool = True,
                  label: str = "", data: bytes = b"%PDF-1.4\n%%EOF\n"):
    """A stored PDF attached to the report as evidence."""
    import hashlib

    from tracker.models import Evidence, EvidenceKind, StoredFile

    stored = StoredFile(filename=filename, content_type="application/pdf", size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), data=data)
    item = Evidence(report=report, kind=EvidenceKind.FILE, stored_file=stored, label=label,
                    is_public=is_public)
    db.session.add(item)
    db.session.flush()
    return item


def vocabulary(code: str | None = None, **kw) -> Vocabulary:
    n = next(_seq)
    vocab = Vocabulary(
        code=code or f"vocab_{n}",
        name_es=kw.pop("name_es", f"Vocabulario {n}"),
        name_en=kw.pop("name_en", f"Vocabulary {n}"),
        **kw,
    )
    db.session.add(vocab)
    db.session.flush()
    return vocab


def make_term(vocab: Vocabulary, code: str | None = None, **kw) -> Term:
    n = next(_seq)
    t = Term(
        vocabulary=vocab,
        code=code or f"term_{n}",
        name_es=kw.pop("name_es", f"Término {n}"),
        name_en=kw.pop("name_en", f"Term {n}"),
        **kw,
    )
    db.session.add(t)
    db.session.flush()
    return t


def office_action(**kw) -> OfficeAction:
    n = next(_seq)
    action = OfficeAction(
        kind=kw.pop("kind", OfficeActionKind.TECHNICAL_ASSISTANCE),
        title=kw.pop("title", f"Workshop {n}"),
        start_date=kw.pop("start_date", date(2024, 5, 1)),
        **kw,
    )
    db.session.add(action)
    db.session.flush()
    return action


def sign_in(client, u: User):
    """Sign in through the real login form; return the response."""
    response = client.post("/login", data={"email": u.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def assignment(rec: Recommendation, inst: Institution, **kw):
    from tracker.models import Assignment, AssignmentRole

    found = Assignment(
        recommendation=rec,
        institution=inst,
        role=kw.pop("role", AssignmentRole.LEAD),
        rhythm_months=kw.pop("rhythm_months", 6),
        next_due=kw.pop("next_due", date(2030, 1, 1)),
        active=kw.pop("active", True),
        **kw,
    )
    db.session.add(found)
    db.session.flush()
    return found


def progress_report(author: User, recs: list[Recommendation], **kw):
    """A draft written through the service (so it has its first transition)."""
    from tracker.services import reports

    data = reports.ReportInput(
        title=kw.pop("title", "Training of judges on gender-based violence"),
        description=kw.pop("description", "We trained **120** judges."),
        period_start=kw.pop("period_start", date(2024, 1, 1)),
        period_end=kw.pop("period_end", date(2024, 6, 30)),
        measure_kind=kw.pop("measure_kind", "training"),
        recommendation_ids=[r.id for r in recs],
    )
    return reports.create_report(author, data)


def report_in_state(inst: Institution, recs: list[Recommendation], state=None, **kw):
    """A progress report of an institution, straight in the given state (default approved)."""
    from tracker.models import ProgressReport, ReportState, ReportVisibility, utcnow

    state = state or ReportState.APPROVED
    approved = state == ReportState.APPROVED
    report = ProgressReport(
        institution=inst,
        title=kw.pop("title", f"Progress report {next(_seq)}"),
        state=state,
        visibility=kw.pop("visibility", ReportVisibility.PUBLIC if approved else None),
        decided_at=kw.pop("decided_at", utcnow() if approved else None),
        **kw,
    )
    report.recommendations = list(recs)
    db.session.add(report)
    db.session.flush()
    return report


def notification(recipient: User, **kw):
    """A message row addressed to the user, as queue_notification leaves it (default pending)."""
    from tracker.models import Notification, NotificationKind

    n = next(_seq)
    note = Notification(
        recipient_id=recipient.id,
        recipient_email=kw.pop("recipient_email", recipient.email),
        kind=kw.pop("kind", NotificationKind.REVIEW_RESULT),
        dedupe_key=kw.pop("dedupe_key", f"test:{n}"),
        subject=kw.pop("subject", f"Message {n}"),
        body=kw.pop("body", f"Body of message {n}\n"),
        **kw,
    )
    db.session.add(note)
    db.session.flush()
    return note


def by_annotation(annotation_id: str) -> Recommendation | None:
    """The recommendation one of whose language versions has this UHRI annotation id."""
    return db.session.scalar(select(Recommendation).join(Recommendation.texts).where(
        RecommendationText.annotation_id == annotation_id))


def annotation_of(rec: Recommendation, language: str | None = None) -> str | None:
    """The UHRI annotation id of a recommendation's text in a language (the original's)."""
    version = rec.text_in(language or rec.language)
    return version.annotation_id if version else None


def curate(rec: Recommendation, actor: User | None = None, **changes) -> Recommendation:
    """Save a recommendation through the curation service, as the edit form does."""
    from tracker.services import curation

    values = {"document_symbol": rec.document.symbol, "paragraph": rec.paragraph,
              "reference": rec.reference, "text": rec.text, "language": rec.language,
              "versions": {v.language: v.text for v in rec.texts
                           if v.language != rec.language},
              "type": rec.type, "upr_position": rec.upr_position,
              "state_ids": [c.id for c in rec.recommending_states],
              "term_ids": [t.id for t in rec.terms]}
    values.update(changes)
    return curation.update_recommendation(actor or user(), rec.id,
                                          curation.RecommendationInput(**values), rec.version)


TRACKER_CSV = ("mechanism,document_symbol,paragraph,text,themes\n"
               "CEDAW,CEDAW/C/FACT/1,1,Adopt a comprehensive law on equality.,Women's rights\n")


def import_job(owner: User, data: bytes | None = None, filename: str = "import.csv", *,
               fmt=None, preview: bool = True, **kw):
    """A kept upload and its import job; its preview built by the worker's own code."""
    import io

    from tracker.models import ImportFormat, ImportJob
    from tracker.services.import_runs import run_import_job
    from tracker.services.storage import store_stream

    data = TRACKER_CSV.encode() if data is None else data
    stored = store_stream(io.BytesIO(data), filename, "text/csv", owner.id)
    job = ImportJob(source_format=fmt or ImportFormat.CSV, filename=filename,
                    stored_file_id=stored.id, requested_by_id=owner.id,
                    dry_run=kw.pop("dry_run", True), **kw)
    db.session.add(job)
    db.session.flush()
    if preview:
        run_import_job(job.id)
    return job
