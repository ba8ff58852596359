"""What the UN office itself did: record, edit, delete and list its actions.

Who may read an action is decided by ``policy.office_actions_visible_to`` alone; every
row change reaches the audit trail through the flush listener.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from tracker import policy
from tracker.extensions import db
from tracker.ids import parse_id
from tracker.models import (
    Institution,
    OfficeAction,
    OfficeActionKind,
    Recommendation,
    Term,
    Vocabulary,
)
from tracker.models.followup import (
    office_action_institution,
    office_action_recommendation,
    office_action_term,
)
from tracker.services.catalogue import Page
from tracker.services.curation import term_options
from tracker.services.errors import ServiceError, check_version, flush_or_conflict

PILLAR_VOCABULARY = "pillar"
MAX_REFERENCES = 2000


@dataclass
class OfficeActionInput:
    kind: OfficeActionKind | str
    title: str
    description: str = ""
    start_date: date | None = None
    end_date: date | None = None
    is_public: bool = False
    term_ids: list[int] = field(default_factory=list)
    institution_ids: list[int] = field(default_factory=list)
    references: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ActionFilters:
    """What the list of office actions is filtered by; None means 'any'."""

    pillar_id: int | None = None
    institution_id: int | None = None
    kind: OfficeActionKind | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_args(self) -> dict[str, str]:
        """Return the filters as URL query arguments, leaving out the unset ones."""
        args = {"pillar": self.pillar_id, "institution": self.institution_id,
                "kind": self.kind.value if self.kind else None,
                "date_from": self.date_from.isoformat() if self.date_from else None,
                "date_to": self.date_to.isoformat() if self.date_to else None}
        return {k: str(v) for k, v in args.items() if v is not None}


def parse_references(text: str | None) -> list[str]:
    """Split the typed references, one a line, dropping blanks and repeats (order kept)."""
    seen: dict[str, None] = {}
    for line in (text or "").splitlines():
        ref = line.strip()
        if ref:
            seen.setdefault(ref, None)
    return list(seen)


# --- checks ----------------------------------------------------------------------------------


def _allow(actor) -> None:
    if not policy.can_manage_office_actions(actor):
        raise ServiceError(_l("Only office staff may record office actions."), status=403)


def _terms(action: OfficeAction, term_ids: list[int]) -> list[Term]:
    wanted = {int(i) for i in term_ids}
    linked = {t.id: t for t in action.terms} if action.id is not None else {}
    offered = {t.id: t for _v, terms in term_options(list(linked.values()), for_actions=True)
               for t in terms}
    if wanted - offered.keys():
        raise ServiceError(_l("One of the chosen terms cannot be used (it was removed or "
                              "deactivated meanwhile)."), field="term_ids")
    chosen = [offered[i] for i in sorted(wanted)]
    if not any(t.vocabulary.code == PILLAR_VOCABULARY for t in chosen):
        raise ServiceError(_l("Choose at least one thematic pillar."), field="term_ids")
    return chosen


def _institutions(institution_ids: list[int]) -> list[Institution]:
    wanted = {int(i) for i in institution_ids}
    if not wanted:
        return []
    found = db.session.scalars(select(Institution).where(Institution.id.in_(wanted))).all()
    if len(found) != len(wanted):
        raise ServiceError(_l("One of the chosen institutions does not exist."),
                           field="institution_ids")
    return list(found)


def _recommendations(references: list[str]) -> list[Recommendation]:
    if len(references) > MAX_REFERENCES:
        raise ServiceError(_l("Give at most %(n)d references.", n=MAX_REFERENCES),
                           field="references")
    found: dict[str, Recommendation] = {}
    for start in range(0, len(references), 500):
        chunk = references[start:start + 500]
        for rec in db.session.scalars(
                select(Recommendation).where(Recommendation.reference.in_(chunk))):
            found[rec.reference] = rec
    unknown = [ref for ref in references if ref not in found]
    if unknown:
        raise ServiceError(_l("No recommendation has the reference %(refs)s. Check the spelling "
                              "(one reference a line, as shown on the recommendation's page).",
                              refs="; ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")),
                           field="references")
    return [found[ref] for ref in references]


def _apply(action: OfficeAction, data: OfficeActionInput) -> None:
    try:
        action.kind = OfficeActionKind(data.kind)
    except ValueError as exc:
        raise ServiceError(_l("Choose the kind of action."), field="kind") from exc
    title = (data.title or "").strip()
    if not title:
        raise ServiceError(_l("This field is required."), field="title")
    if len(title) > 300:
        raise ServiceError(_l("Use at most %(n)d characters.", n=300), field="title")
    if data.start_date is None:
        raise ServiceError(_l("Give the date the action started."), field="start_date")
    if data.end_date is not None and data.end_date < data.start_date:
        raise ServiceError(_l("The end date cannot be before the start date."),
                           field="end_date")
    terms = _terms(action, data.term_ids)
    institutions = _institutions(data.institution_ids)
    recommendations = _recommendations(data.references)
    action.title = title
    action.description = (data.description or "").strip()
    action.start_date, action.end_date = data.start_date, data.end_date
    action.is_public = bool(data.is_public)
    action.terms, action.institutions = terms, institutions
    action.recommendations = recommendations


def _flush() -> None:
    flush_or_conflict()


# --- changes ---------------------------------------------------------------------------------


def create_office_action(actor, data: OfficeActionInput) -> OfficeAction:
    """Record an office action with its pillars, institutions and recommendations."""
    _allow(actor)
    action = OfficeAction(created_by_id=actor.id)
    with db.session.no_autoflush:
        _apply(action, data)
    db.session.add(action)
    _flush()
    return action


def update_office_action(actor, action_id: int, data: OfficeActionInput,
                         version: int | None) -> OfficeAction:
    """Change an office action, unless someone changed it meanwhile."""
    _allow(actor)
    action = get_office_action(actor, action_id)
    check_version(action, version)
    with db.session.no_autoflush:
        _apply(action, data)
    _flush()
    return action


def delete_office_action(actor, action_id: int, version: int | None) -> None:
    """Delete an office action, unless someone changed it since it was shown."""
    _allow(actor)
    action = get_office_action(actor, action_id)
    check_version(action, version)
    db.session.delete(action)
    _flush()


# --- reading ---------------------------------------------------------------------------------


def get_office_action(actor, action_id: int) -> OfficeAction:
    """Load an office action the user may read, or refuse with 404."""
    action = db.session.scalar(office_actions_query(actor).where(OfficeAction.id == action_id)
                               ) if parse_id(action_id) else None
    if action is None:
        raise ServiceError(_l("This office action does not exist."), status=404)
    return action


def office_actions_query(actor):
    """Return a SELECT of the office actions the user may read."""
    return policy.office_actions_visible_to(actor, select(OfficeAction))


def list_office_actions(actor, filters: ActionFilters, page: int, per_page: int) -> Page:
    """Return one page of the visible office actions matching the filters, latest first."""
    query = office_actions_query(actor)
    if filters.pillar_id is not None:
        query = query.where(OfficeAction.id.in_(
            select(office_action_term.c.action_id)
            .where(office_action_term.c.term_id == filters.pillar_id)))
    if filters.institution_id is not None:
        query = query.where(OfficeAction.id.in_(
            select(office_action_institution.c.action_id)
            .where(office_action_institution.c.institution_id == filters.institution_id)))
    if filters.kind is not None:
        query = query.where(OfficeAction.kind == filters.kind)
    # An action belongs to a period when the two overlap.
    if filters.date_to is not None:
        query = query.where(OfficeAction.start_date <= filters.date_to)
    if filters.date_from is not None:
        query = query.where(or_(OfficeAction.end_date >= filters.date_from,
                                OfficeAction.start_date >= filters.date_from))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = min(max(page, 1), max(1, -(-total // per_page)))
    items = db.session.scalars(
        query.options(selectinload(OfficeAction.terms).joinedload(Term.vocabulary),
                      selectinload(OfficeAction.institutions))
        .order_by(OfficeAction.start_date.desc(), OfficeAction.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all() if total else []
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def actions_supporting(actor, rec_id: int) -> list[OfficeAction]:
    """Return the office actions, visible to the user, that support a recommendation."""
    return list(db.session.scalars(
        office_actions_query(actor)
        .join(office_action_recommendation,
              office_action_recommendation.c.action_id == OfficeAction.id)
        .where(office_action_recommendation.c.recommendation_id == rec_id)
        .order_by(OfficeAction.start_date.desc(), OfficeAction.id.desc())))


def pillar_options() -> list[Term]:
    """Return the thematic pillars, for the list's filter."""
    return list(db.session.scalars(
        select(Term).join(Term.vocabulary).where(Vocabulary.code == PILLAR_VOCABULARY)
        .order_by(Term.sort_order, Term.name_en)))
