"""Reference data: institutions, mechanisms, vocabularies and their terms.

Only administrators change it. Every row change reaches the audit trail through the
flush listener; a term merge, which moves links with set-based SQL, records its own event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, delete, exists, func, insert, literal, select

from tracker import audit, policy
from tracker.extensions import db
from tracker.models import (
    Institution,
    InstitutionBranch,
    Mechanism,
    MechanismFamily,
    OfficeAction,
    Recommendation,
    Term,
    Vocabulary,
)
from tracker.models.followup import office_action_term
from tracker.models.recommendation import recommendation_term
from tracker.services.errors import ServiceError, check_version, flush_or_conflict
from tracker.services.seed import slugify

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


# --- shared checks -------------------------------------------------------------------------

def _allow(actor) -> None:
    if not policy.can_edit_reference_data(actor):
        raise ServiceError(_l("Only administrators may change reference data."), status=403)


def _get(model, obj_id):
    obj = db.session.get(model, obj_id) if obj_id is not None else None
    if obj is None:
        raise ServiceError(_l("This record does not exist."), status=404)
    return obj


def _flush() -> None:
    flush_or_conflict(_l("This conflicts with a record saved meanwhile (a code or acronym "
                              "already in use). Check the values and try again."))


def _text(value: str | None, field: str, max_len: int, *, required: bool = True) -> str | None:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(_l("This field is required."), field=field)
    if len(value) > max_len:
        raise ServiceError(_l("Use at most %(n)d characters.", n=max_len), field=field)
    return value or None


def _code(value: str | None, fallback: str, field: str = "code", max_len: int = 64) -> str:
    code = (value or "").strip() or slugify(fallback)
    if len(code) > max_len or not CODE_PATTERN.match(code):
        raise ServiceError(_l("A code uses lowercase letters, digits, '_', '.' and '-' only "
                              "(at most %(n)d characters).", n=max_len), field=field)
    return code


def _enum(enum_cls, value, field: str):
    try:
        return enum_cls(value)
    except ValueError as exc:
        raise ServiceError(_l("Choose one of the options."), field=field) from exc


def _check_no_cycle(obj_id: int | None, parent, message) -> None:
    """Refuse a parent that is the row itself or sits below it."""
    seen: set[int] = set()
    node = parent
    while obj_id is not None and node is not None and node.id not in seen:
        if node.id == obj_id:
            raise ServiceError(message, field="parent_id")
        seen.add(node.id)
        node = node.parent


# --- institutions --------------------------------------------------------------------------

@dataclass
class InstitutionInput:
    acronym: str
    name_es: str
    name_en: str
    branch: InstitutionBranch | str
    parent_id: int | None = None


def _apply_institution(inst: Institution, data: InstitutionInput) -> None:
    acronym = _text(data.acronym, "acronym", 32)
    clash = select(Institution.id).where(func.lower(Institution.acronym) == acronym.lower())
    if inst.id is not None:
        clash = clash.where(Institution.id != inst.id)
    if db.session.execute(clash).first():
        raise ServiceError(_l("The acronym %(acronym)s is already used by another institution.",
                              acronym=acronym), status=409, field="acronym")
    parent = None
    if data.parent_id:
        parent = db.session.get(Institution, data.parent_id)
        if parent is None:
            raise ServiceError(_l("The parent institution does not exist."), field="parent_id")
        _check_no_cycle(inst.id, parent, _l("An institution cannot be its own parent or sit "
                                            "under one of its own units."))
    inst.acronym = acronym
    inst.name_es = _text(data.name_es, "name_es", 255)
    inst.name_en = _text(data.name_en, "name_en", 255)
    inst.branch = _enum(InstitutionBranch, data.branch, "branch")
    inst.parent_id = parent.id if parent else None


def create_institution(actor, data: InstitutionInput) -> Institution:
    """Add an institution with a unique acronym."""
    _allow(actor)
    inst = Institution()
    _apply_institution(inst, data)
    db.session.add(inst)
    _flush()
    return inst


def update_institution(actor, institution_id: int, data: InstitutionInput,
                       version: int | None) -> Institution:
    """Change an institution's acronym, names, branch or parent, unless changed meanwhile."""
    _allow(actor)
    inst = _get(Institution, institution_id)
    check_version(inst, version)
    _apply_institution(inst, data)
    _flush()
    return inst


def set_institution_active(actor, institution_id: int, active: bool) -> Institution:
    """Deactivate or reactivate an institution (history and accounts stay as they are)."""
    _allow(actor)
    inst = _get(Institution, institution_id)
    inst.active = active
    _flush()
    return inst


# --- mechanisms ----------------------------------------------------------------------------

@dataclass
class MechanismInput:
    family: MechanismFamily | str
    name_es: str
    name_en: str
    acronym_es: str | None = None
    acronym_en: str | None = None
    active: bool = True


def _apply_mechanism(mech: Mechanism, data: MechanismInput) -> None:
    mech.family = _enum(MechanismFamily, data.family, "family")
    mech.name_es = _text(data.name_es, "name_es", 255)
    mech.name_en = _text(data.name_en, "name_en", 255)
    mech.acronym_es = _text(data.acronym_es, "acronym_es", 32, required=False)
    mech.acronym_en = _text(data.acronym_en, "acronym_en", 32, required=False)
    mech.active = bool(data.active)


def create_mechanism(actor, code: str, data: MechanismInput) -> Mechanism:
    """Add a mechanism under a new, unique code."""
    _allow(actor)
    code = _text(code, "code", 32)
    if db.session.execute(select(Mechanism.id).where(
            func.lower(Mechanism.code) == code.lower())).first():
        raise ServiceError(_l("The code %(code)s is already used by another mechanism.",
                              code=code), status=409, field="code")
    mech = Mechanism(code=code)
    _apply_mechanism(mech, data)
    db.session.add(mech)
    _flush()
    return mech


def update_mechanism(actor, mechanism_id: int, data: MechanismInput,
                     version: int | None) -> Mechanism:
    """Change a mechanism's names, acronyms, family or active flag (its code stays)."""
    _allow(actor)
    mech = _get(Mechanism, mechanism_id)
    check_version(mech, version)
    _apply_mechanism(mech, data)
    _flush()
    return mech


# --- vocabularies --------------------------------------------------------------------------

@dataclass
class VocabularyInput:
    name_es: str
    name_en: str
    description_es: str | None = None
    description_en: str | None = None
    applies_to_recommendations: bool = True
    applies_to_actions: bool = False
    active: bool = True


def _apply_vocabulary(vocab: Vocabulary, data: VocabularyInput) -> None:
    vocab.name_es = _text(data.name_es, "name_es", 255)
    vocab.name_en = _text(data.name_en, "name_en", 255)
    vocab.description_es = _text(data.description_es, "description_es", 5000, required=False)
    vocab.description_en = _text(data.description_en, "description_en", 5000, required=False)
    vocab.applies_to_recommendations = bool(data.applies_to_recommendations)
    vocab.applies_to_actions = bool(data.applies_to_actions)
    vocab.active = bool(data.active)


def create_vocabulary(actor, code: str | None, data: VocabularyInput) -> Vocabulary:
    """Add a classification scheme; its code is made from the English name when empty."""
    _allow(actor)
    _text(data.name_en, "name_en", 255)
    code = _code(code, data.name_en)
    if db.session.execute(select(Vocabulary.id).where(Vocabulary.code == code)).first():
        raise ServiceError(_l("The code %(code)s is already used by another vocabulary.",
                              code=code), status=409, field="code")
    vocab = Vocabulary(code=code)
    _apply_vocabulary(vocab, data)
    vocab.sort_order = (db.session.execute(
        select(func.max(Vocabulary.sort_order))).scalar() or 0) + 1
    db.session.add(vocab)
    _flush()
    return vocab


def update_vocabulary(actor, vocabulary_id: int, data: VocabularyInput,
                      version: int | None) -> Vocabulary:
    """Rename or re-describe a vocabulary, unless changed meanwhile (its code stays)."""
    _allow(actor)
    vocab = _get(Vocabulary, vocabulary_id)
    check_version(vocab, version)
    _apply_vocabulary(vocab, data)
    _flush()
    return vocab


# --- terms ---------------------------------------------------------------------------------

@dataclass
class TermInput:
    name_es: str
    name_en: str
    parent_id: int | None = None
    description_es: str | None = None
    description_en: str | None = None


def _apply_term(term: Term, data: TermInput) -> None:
    parent = None
    if data.parent_id:
        parent = db.session.get(Term, data.parent_id)
        if parent is None or parent.vocabulary_id != term.vocabulary_id:
            raise ServiceError(_l("The parent term must belong to the same vocabulary."),
                               field="parent_id")
        _check_no_cycle(term.id, parent, _l("A term cannot be its own parent or sit under "
                                            "one of its own sub-terms."))
    term.name_es = _text(data.name_es, "name_es", 255)
    term.name_en = _text(data.name_en, "name_en", 255)
    term.description_es = _text(data.description_es, "description_es", 5000, required=False)
    term.description_en = _text(data.description_en, "description_en", 5000, required=False)
    term.parent_id = parent.id if parent else None


def create_term(actor, vocabulary_id: int, code: str | None, data: TermInput) -> Term:
    """Add a term to a vocabulary; its code is made from the English name when empty."""
    _allow(actor)
    vocab = _get(Vocabulary, vocabulary_id)
    _text(data.name_en, "name_en", 255)
    code = _code(code, data.name_en, max_len=128)
    if db.session.execute(select(Term.id).where(Term.vocabulary_id == vocab.id,
                                                Term.code == code)).first():
        raise ServiceError(_l("The code %(code)s is already used by another term of this "
                              "vocabulary.", code=code), status=409, field="code")
    term = Term(vocabulary_id=vocab.id, code=code)
    _apply_term(term, data)
    term.sort_order = (db.session.execute(select(func.max(Term.sort_order)).where(
        Term.vocabulary_id == vocab.id)).scalar() or 0) + 1
    db.session.add(term)
    _flush()
    return term


def update_term(actor, term_id: int, data: TermInput, version: int | None) -> Term:
    """Rename a term in both languages or move it under another parent (its code stays)."""
    _allow(actor)
    term = _get(Term, term_id)
    check_version(term, version)
    _apply_term(term, data)
    _flush()
    return term


def set_term_active(actor, term_id: int, active: bool) -> Term:
    """Deactivate or reactivate a term; a merged term stays inactive."""
    _allow(actor)
    term = _get(Term, term_id)
    if active and term.merged_into_id is not None:
        raise ServiceError(_l("This term was merged into another one and cannot be "
                              "reactivated."), status=409)
    term.active = active
    _flush()
    return term


@dataclass
class MergeResult:
    recommendations: int
    actions: int


def _move_links(table, owner: str, source_id: int, target_id: int) -> int:
    """Link the target to every owner of the source (skipping existing links); unlink the source."""
    other = table.alias("already")
    linked = exists().where(other.c[owner] == table.c[owner], other.c.term_id == target_id)
    db.session.execute(insert(table).from_select(
        [owner, "term_id"],
        select(table.c[owner], literal(target_id, Integer)).where(
            table.c.term_id == source_id, ~linked),
    ))
    return db.session.execute(delete(table).where(table.c.term_id == source_id)).rowcount


def merge_terms(actor, source_id: int, target_id: int) -> MergeResult:
    """Move every link of a duplicate term to another term of its vocabulary and retire it."""
    _allow(actor)
    source, target = _get(Term, source_id), _get(Term, target_id)
    if source.id == target.id:
        raise ServiceError(_l("A term cannot be merged into itself."), field="target_id")
    if source.vocabulary_id != target.vocabulary_id:
        raise ServiceError(_l("Terms can only be merged within the same vocabulary."),
                           field="target_id")
    if source.merged_into_id is not None:
        raise ServiceError(_l("This term has already been merged."), status=409)
    if not target.active:
        raise ServiceError(_l("Choose an active term to merge into."), field="target_id")
    db.session.flush()
    recommendations = _move_links(recommendation_term, "recommendation_id", source.id, target.id)
    actions = _move_links(office_action_term, "action_id", source.id, target.id)
    # The links changed under the ORM's feet: drop any loaded copy of them.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Recommendation | OfficeAction):
            db.session.expire(obj, ["terms"])
    ancestors, node = set(), target
    while node is not None and node.id not in ancestors:
        ancestors.add(node.id)
        node = node.parent
    if source.id not in ancestors:  # moving sub-terms under a descendant would make a loop
        for child in db.session.execute(select(Term).where(Term.parent_id == source.id)).scalars():
            child.parent_id = target.id
    for earlier in db.session.execute(select(Term).where(
            Term.merged_into_id == source.id)).scalars():
        earlier.merged_into_id = target.id
    source.active = False
    source.merged_into_id = target.id
    _flush()
    audit.record(db.session, "merge", "term", source.id,
                 {"into": target.id, "recommendations": recommendations, "actions": actions})
    return MergeResult(recommendations, actions)


def term_usage(vocabulary_id: int) -> dict[int, tuple[int, int]]:
    """Return, per term of a vocabulary, how many recommendations and office actions use it."""
    usage: dict[int, list[int]] = {}
    for position, table in enumerate((recommendation_term, office_action_term)):
        rows = db.session.execute(
            select(table.c.term_id, func.count())
            .join(Term, Term.id == table.c.term_id)
            .where(Term.vocabulary_id == vocabulary_id)
            .group_by(table.c.term_id)
        )
        for term_id, count in rows:
            usage.setdefault(term_id, [0, 0])[position] = count
    return {term_id: (counts[0], counts[1]) for term_id, counts in usage.items()}
