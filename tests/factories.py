"""Small factories for test data; each flushes and returns the new row."""

from __future__ import annotations

import itertools
from datetime import date

from tracker.extensions import db
from tracker.models import (
    Document,
    ImplementationStatus,
    Institution,
    InstitutionBranch,
    Mechanism,
    Recommendation,
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


def recommendation(doc: Document | None = None, **kw) -> Recommendation:
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
