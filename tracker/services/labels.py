"""The labels imports met that no term knows: the office maps each one once, for good.

Mapping a label records an alias (so every later import finds the term by itself) and
links the recommendations that were waiting for it; the label then leaves the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, exists, func, insert, literal, select, update
from sqlalchemy.orm import selectinload

from tracker import audit, policy
from tracker.extensions import db
from tracker.imports.lookups import IMPORTED_VOCABULARIES, label_key
from tracker.models import PendingLabel, Recommendation, Term, TermAlias, Vocabulary, utcnow
from tracker.models.recommendation import recommendation_term
from tracker.models.reference import pending_label_link
from tracker.services.errors import ServiceError, flush_or_conflict
from tracker.services.seed import slugify

NAME_MAX = 255


@dataclass
class WaitingLabel:
    """A label in the queue, with how many recommendations wait for it."""

    label: PendingLabel
    records: int


@dataclass
class LabelOutcome:
    """What mapping a label did: the term it now means (None: ignored) and the records linked."""

    label: str
    term: Term | None
    records: int


def _allow(actor) -> None:
    if not policy.can_curate(actor):
        raise ServiceError(_l("Only office staff may map labels."), status=403)


def _pending(label_id: int | None) -> PendingLabel:
    label = db.session.get(PendingLabel, label_id) if label_id is not None else None
    if label is None:
        raise ServiceError(_l("This label is no longer waiting: someone has mapped it "
                              "meanwhile."), status=404)
    return label


def waiting_labels() -> list[WaitingLabel]:
    """Return the labels waiting to be mapped, most used first."""
    count = (select(func.count()).where(pending_label_link.c.pending_label_id == PendingLabel.id)
             .correlate(PendingLabel).scalar_subquery())
    rows = db.session.execute(
        select(PendingLabel, count)
        .options(selectinload(PendingLabel.vocabulary))
        .order_by(count.desc(), PendingLabel.label, PendingLabel.id)
    ).all()
    return [WaitingLabel(label, records) for label, records in rows]


def count_waiting() -> int:
    """Return how many labels wait to be mapped."""
    return db.session.execute(select(func.count(PendingLabel.id))).scalar() or 0


def find_label(label_id: int) -> PendingLabel | None:
    """Return a waiting label, or None when it is not (or no longer) in the queue."""
    return db.session.get(PendingLabel, label_id)


def term_choices(vocabulary_id: int) -> list[tuple[Vocabulary, list[Term]]]:
    """Return the terms a label may be mapped to: its own vocabulary first, then the others.

    A theme label often names a group of persons ("Rights of the Child"), so the other
    imported vocabularies are offered too.
    """
    vocabularies = db.session.execute(
        select(Vocabulary).where(Vocabulary.code.in_(IMPORTED_VOCABULARIES))
    ).scalars().all()
    vocabularies.sort(key=lambda v: (v.id != vocabulary_id, v.sort_order, v.id))
    terms = db.session.execute(
        select(Term).where(Term.vocabulary_id.in_([v.id for v in vocabularies]),
                           Term.active.is_(True), Term.merged_into_id.is_(None))
    ).scalars().all()
    by_vocabulary: dict[int, list[Term]] = {}
    for term in terms:
        by_vocabulary.setdefault(term.vocabulary_id, []).append(term)
    for group in by_vocabulary.values():
        group.sort(key=lambda t: label_key(t.name))
    return [(v, by_vocabulary.get(v.id, [])) for v in vocabularies]


def map_label(actor, label_id: int, term_id: int | None) -> LabelOutcome:
    """Make a waiting label mean a term, now and in every later import; link its records."""
    _allow(actor)
    label = _pending(label_id)
    return _resolve(label, _mappable_term(term_id))


def _mappable_term(term_id: int | None) -> Term:
    term = db.session.get(Term, term_id) if term_id is not None else None
    if term is None or term.vocabulary.code not in IMPORTED_VOCABULARIES:
        raise ServiceError(_l("Choose a term from the list."), field="term_id")
    if term.merged_into_id is not None or not term.active:
        raise ServiceError(_l("This term is no longer in use; choose another one."),
                           field="term_id")
    return term


def ignore_label(actor, label_id: int) -> LabelOutcome:
    """Mark a waiting label as classifying nothing ("General", "Other"): imports skip it."""
    _allow(actor)
    return _resolve(_pending(label_id), None)


def create_term_for_label(actor, label_id: int, name_es: str | None,
                          name_en: str | None) -> LabelOutcome:
    """Add the term a waiting label names, in Spanish and English, and map the label to it."""
    _allow(actor)
    label = _pending(label_id)
    return _resolve(label, _new_term(label.vocabulary_id, name_es, name_en))


def _new_term(vocabulary_id: int, name_es: str | None, name_en: str | None) -> Term:
    """Add a term to a vocabulary with both its names; refuse a name the vocabulary has."""
    names = {}
    for field, value in (("name_es", name_es), ("name_en", name_en)):
        value = " ".join((value or "").split())
        if not value:
            raise ServiceError(_l("Give the term's name in Spanish and in English."),
                               field=field)
        if len(value) > NAME_MAX:
            raise ServiceError(_l("Use at most %(n)d characters.", n=NAME_MAX), field=field)
        names[field] = value
    for field, value in names.items():
        twin = _same_name(vocabulary_id, value)
        if twin is not None:
            raise ServiceError(_l("The term “%(name)s” already exists in this vocabulary: "
                                  "map the label to it instead.", name=twin.name),
                               status=409, field=field)
    code, n = slugify(names["name_en"]), 1
    taken = set(db.session.execute(select(Term.code).where(
        Term.vocabulary_id == vocabulary_id)).scalars())
    while code in taken:
        n += 1
        code = f"{slugify(names['name_en'])[:120]}_{n}"
    last = db.session.execute(select(func.max(Term.sort_order)).where(
        Term.vocabulary_id == vocabulary_id)).scalar() or 0
    term = Term(vocabulary_id=vocabulary_id, code=code, sort_order=last + 1, **names)
    db.session.add(term)
    flush_or_conflict(_l("A term with this code was saved meanwhile. Try again."))
    return term


# --- labels of a file being previewed: not in the queue, since the preview saved nothing ------

def _waiting_for(vocabulary_id: int, text: str) -> PendingLabel | None:
    return db.session.execute(select(PendingLabel).where(
        PendingLabel.vocabulary_id == vocabulary_id,
        PendingLabel.key == label_key(text))).scalar_one_or_none()


def map_file_label(actor, vocabulary_id: int, text: str, term_id: int | None) -> LabelOutcome:
    """Make a label met in a file mean a term, whether or not it waits in the queue."""
    _allow(actor)
    waiting = _waiting_for(vocabulary_id, text)
    if waiting is not None:
        return map_label(actor, waiting.id, term_id)
    term = _mappable_term(term_id)
    return _record_alias(vocabulary_id, text, term)


def create_term_for_file_label(actor, vocabulary_id: int, text: str, name_es: str | None,
                               name_en: str | None) -> LabelOutcome:
    """Add the term a label met in a file names, and map the label to it."""
    _allow(actor)
    waiting = _waiting_for(vocabulary_id, text)
    if waiting is not None:
        return create_term_for_label(actor, waiting.id, name_es, name_en)
    return _record_alias(vocabulary_id, text, _new_term(vocabulary_id, name_es, name_en))


def _same_name(vocabulary_id: int, name: str) -> Term | None:
    """Return the term of the vocabulary already called ``name`` in either language."""
    key = label_key(name)
    for term in db.session.execute(select(Term).where(
            Term.vocabulary_id == vocabulary_id, Term.merged_into_id.is_(None))).scalars():
        if key in (label_key(term.name_es), label_key(term.name_en)):
            return term
    return None


def _alias(vocabulary_id: int, key: str, text: str, term: Term | None) -> TermAlias:
    """Record that this spelling means the term (None: nothing), for every later import."""
    alias = db.session.execute(select(TermAlias).where(
        TermAlias.vocabulary_id == vocabulary_id, TermAlias.key == key)
    ).scalar_one_or_none()
    if alias is None:
        alias = TermAlias(vocabulary_id=vocabulary_id, key=key, label=text)
        db.session.add(alias)
    alias.term_id = term.id if term is not None else None
    flush_or_conflict(_l("Someone has mapped this label meanwhile."))
    return alias


def _record_alias(vocabulary_id: int, text: str, term: Term | None) -> LabelOutcome:
    """Map a label no record waits for yet (a file being previewed): the alias only."""
    text = " ".join(text.split())[:NAME_MAX]
    alias = _alias(vocabulary_id, label_key(text), text, term)
    audit.record(db.session, "map_label", "term_alias", alias.id, {
        "label": {"after": text},
        "term_id": {"after": term.id if term is not None else None},
        "recommendations": [], "recommendation_count": 0})
    return LabelOutcome(text, term, 0)


def _resolve(label: PendingLabel, term: Term | None) -> LabelOutcome:
    """Record the alias, link the waiting records to the term, and take the label off the queue."""
    alias = _alias(label.vocabulary_id, label.key, label.label, term)
    # A label of a large export waits for thousands of records: keep them in the database.
    waiting = select(pending_label_link.c.recommendation_id).where(
        pending_label_link.c.pending_label_id == label.id)
    references = list(db.session.execute(
        select(Recommendation.reference).where(Recommendation.id.in_(waiting))
        .order_by(Recommendation.reference)).scalars())
    if term is not None and references:
        linked = exists().where(recommendation_term.c.recommendation_id == Recommendation.id,
                                recommendation_term.c.term_id == term.id)
        db.session.execute(insert(recommendation_term).from_select(
            ["recommendation_id", "term_id"],
            select(Recommendation.id, literal(term.id, Integer)).where(
                Recommendation.id.in_(waiting), ~linked)))
        # A new version, so an edit form opened before the mapping notices the new term.
        db.session.execute(
            update(Recommendation).where(Recommendation.id.in_(waiting))
            .values(version=Recommendation.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Recommendation):
                db.session.expire(obj)
    text = label.label
    db.session.delete(label)
    flush_or_conflict(_l("Someone has mapped this label meanwhile."))
    # The links are written set-based: one event names every record the mapping touched.
    audit.record(db.session, "map_label", "term_alias", alias.id, {
        "label": {"after": text},
        "term_id": {"after": term.id if term is not None else None},
        "recommendations": references, "recommendation_count": len(references)})
    return LabelOutcome(text, term, len(references))


def waiting_records(label_id: int, limit: int = 20) -> tuple[list[Recommendation], int]:
    """Return the first recommendations waiting for a label, and how many wait in all."""
    waiting = select(pending_label_link.c.recommendation_id).where(
        pending_label_link.c.pending_label_id == label_id)
    total = db.session.execute(select(func.count()).select_from(waiting.subquery())).scalar()
    records = db.session.execute(
        select(Recommendation).where(Recommendation.id.in_(waiting))
        .order_by(Recommendation.reference).limit(limit)
    ).scalars().all()
    return list(records), total or 0
