"""The batch writer behind ``tracker.services.imports.import_records``.

Dedupe: a record with a UHRI annotation id updates the recommendation holding
that id; any other record updates the recommendation with the same reference,
``"{symbol} ¶{paragraph}"`` (a repeated symbol and paragraph in one file gets an
ordinal, ``" (2)"``; a record without paragraph is keyed by a hash of its text).
Recommendations are written through the ORM (so the audit trail sees them); their
term and State links are written in bulk beside it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import delete, insert

from tracker.extensions import db
from tracker.imports.lookups import CountryLookup, DocumentLookup, MechanismLookup, TermLookup
from tracker.imports.records import RecommendationRecord, RowError, fold
from tracker.models import Recommendation, utcnow
from tracker.models.recommendation import recommendation_state, recommendation_term

# What an import may change on an existing recommendation; status, translation,
# follow-up and assignments belong to the office and are never touched.
UPDATED_FIELDS = ("text", "paragraph", "language", "type", "upr_position", "document_id",
                  "mechanism_id")


@dataclass
class ImportResult:
    """Counts of one import: every row is created, updated or skipped (errors are skipped)."""

    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    documents_created: int = 0
    terms_created: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    last_row: int = 0

    def summary(self) -> str:
        prefix = "dry run: would have " if self.dry_run else ""
        return (f"{prefix}created {self.created}, updated {self.updated}, skipped "
                f"{self.skipped} of {self.rows} rows; {len(self.errors)} errors, "
                f"{len(self.warnings)} warnings")


@dataclass
class Plan:
    record: RecommendationRecord
    reference: str
    document_id: int
    mechanism_id: int
    term_ids: set[int]
    country_ids: set[int]
    rec_id: int | None = None
    merge: bool = False  # the same recommendation met again in this run


def text_hash(text: str) -> str:
    """Return a short stable hash of a text, blind to case and spacing."""
    return hashlib.sha1(fold(text).encode(), usedforsecurity=False).hexdigest()[:10]


def base_reference(symbol: str, paragraph: str | None, text: str) -> str:
    """Return the human-readable reference of a recommendation before any ordinal."""
    if paragraph:
        return f"{symbol} ¶{paragraph}"
    return f"{symbol} #{text_hash(text)}"


# Column sizes a value must fit, or PostgreSQL refuses the whole batch.
LIMITS = (("document_symbol", 128), ("paragraph", 32), ("annotation_id", 64),
          ("upr_session", 32))


class BatchWriter:
    """Write records batch by batch, deduplicating against what is stored."""

    def __init__(self, result: ImportResult, publish: bool) -> None:
        self.result = result
        self.publish = publish
        self.mechanisms = MechanismLookup()
        self.countries = CountryLookup()
        self.terms = TermLookup()
        self.documents = DocumentLookup()
        self.by_ref: dict[str, tuple[int | None, str | None]] = {}
        self.by_annotation: dict[str, int] = {}
        for rec_id, ref, annotation in db.session.execute(
            db.select(Recommendation.id, Recommendation.reference,
                      Recommendation.uhri_annotation_id)
        ).tuples():
            self.by_ref[ref] = (rec_id, annotation)
            if annotation:
                self.by_annotation[annotation] = rec_id
        self.ordinals: Counter[str] = Counter()
        self.touched: set[int] = set()
        self.sources: set[str] = set()
        # Link rows to insert at the end of the batch, by kind ("terms", "states").
        self.link_changes: dict[str, list[dict]] = {}

    # -- planning: where each record goes ------------------------------------------

    def plan(self, record: RecommendationRecord, pending: dict[str, Plan]) -> Plan | None:
        """Resolve a record's document, reference, terms and States; None if it merged."""
        for attr, limit in LIMITS:
            value = getattr(record, attr)
            if value and len(value) > limit:
                raise ValueError(f"{attr} '{value[:40]}…' is longer than {limit} characters")
        mechanism_id = self.mechanisms.resolve(record.mechanism)
        if mechanism_id is None:
            raise ValueError(f"unknown mechanism '{record.mechanism}'")
        document_id, mechanism_id = self.documents.get(record, mechanism_id)
        base = base_reference(record.document_symbol.strip(), record.paragraph, record.text)
        reference = base
        if record.paragraph:
            self.ordinals[base] += 1
            if self.ordinals[base] > 1:
                reference = f"{base} ({self.ordinals[base]})"
        countries = set()
        for name in record.recommending_states:
            country_id = self.countries.resolve(name)
            if country_id is None:
                self._warn(record, f"recommending State '{name}' not recognised")
            else:
                countries.add(country_id)
        terms = (self.terms.ids("themes", record.themes)
                 | self.terms.ids("affected_persons", record.affected_persons)
                 | self.terms.ids("sdg", record.sdgs))
        for message in record.warnings:
            self._warn(record, message)
        keys = [k for k in (record.annotation_id, reference) if k]
        for key in keys:
            if key in pending:  # met twice in one batch: one recommendation, all its States
                pending[key].country_ids |= countries
                pending[key].term_ids |= terms
                return None
        plan = Plan(record, reference, document_id, mechanism_id, terms, countries)
        plan.rec_id = self._existing(record, plan)
        same = pending.get(f"#{plan.rec_id}") if plan.rec_id else None
        if same is not None:  # reached by annotation id and by reference: still one
            same.country_ids |= countries
            same.term_ids |= terms
            return None
        plan.merge = plan.rec_id in self.touched
        for key in (record.annotation_id, plan.reference,
                    f"#{plan.rec_id}" if plan.rec_id else None):
            if key:
                pending[key] = plan
        return plan

    def _existing(self, record: RecommendationRecord, plan: Plan) -> int | None:
        if record.annotation_id and record.annotation_id in self.by_annotation:
            return self.by_annotation[record.annotation_id]
        found = self.by_ref.get(plan.reference)
        if found is None:
            return None
        rec_id, annotation = found
        if record.annotation_id and annotation and annotation != record.annotation_id:
            # Another annotation of the same paragraph: a new recommendation, next ordinal.
            n = 2
            while f"{plan.reference} ({n})" in self.by_ref:
                n += 1
            plan.reference = f"{plan.reference} ({n})"
            return None
        return rec_id

    def _warn(self, record: RecommendationRecord, message: str) -> None:
        self.result.warnings.append(RowError(record.source, record.row, message, "warning"))

    # -- writing a batch ---------------------------------------------------------------

    def write(self, records: list[RecommendationRecord]) -> None:
        """Plan, create or update, flush, then write the batch's links in bulk."""
        pending: dict[str, Plan] = {}
        plans = []
        for record in records:
            try:
                plan = self.plan(record, pending)
            except ValueError as exc:
                self.result.errors.append(RowError(record.source, record.row, str(exc)))
                self.result.skipped += 1
                continue
            if plan is None:
                self.result.skipped += 1
            else:
                plans.append(plan)
        if not plans:
            return
        ids = [p.rec_id for p in plans if p.rec_id]
        existing = {
            rec.id: rec
            for rec in db.session.execute(
                db.select(Recommendation).where(Recommendation.id.in_(ids))
            ).scalars()
        } if ids else {}
        current_terms = self._links(recommendation_term, "term_id", ids)
        current_states = self._links(recommendation_state, "country_id", ids)
        touched_objects, new_plans = [], []
        for plan in plans:
            if plan.rec_id is None:
                rec = self._create(plan)
                new_plans.append((plan, rec))
            else:
                rec = existing[plan.rec_id]
                self._update(plan, rec, current_terms.get(rec.id, set()),
                             current_states.get(rec.id, set()))
            touched_objects.append(rec)
        db.session.flush()
        term_rows, state_rows = [], []
        for plan, rec in new_plans:
            self.by_ref[rec.reference] = (rec.id, rec.uhri_annotation_id)
            if rec.uhri_annotation_id:
                self.by_annotation[rec.uhri_annotation_id] = rec.id
            self.touched.add(rec.id)
            term_rows += [{"recommendation_id": rec.id, "term_id": t} for t in plan.term_ids]
            state_rows += [{"recommendation_id": rec.id, "country_id": c}
                           for c in plan.country_ids]
        term_rows += self.link_changes.pop("terms", [])
        state_rows += self.link_changes.pop("states", [])
        if term_rows:
            db.session.execute(insert(recommendation_term), term_rows)
        if state_rows:
            db.session.execute(insert(recommendation_state), state_rows)
        for rec in touched_objects:
            # The links were written beside the ORM: make it read them afresh.
            db.session.expire(rec, ["terms", "recommending_states"])

    @staticmethod
    def _links(table, column: str, ids: list[int]) -> dict[int, set[int]]:
        links: dict[int, set[int]] = {}
        if ids:
            for rec_id, other in db.session.execute(
                db.select(table.c.recommendation_id, table.c[column]).where(
                    table.c.recommendation_id.in_(ids))
            ).tuples():
                links.setdefault(rec_id, set()).add(other)
        return links

    def _create(self, plan: Plan) -> Recommendation:
        record = plan.record
        rec = Recommendation(
            document_id=plan.document_id,
            mechanism_id=plan.mechanism_id,
            paragraph=record.paragraph,
            reference=plan.reference,
            text=record.text,
            language=record.language,
            type=record.type,
            upr_position=record.upr_position,
            uhri_annotation_id=record.annotation_id,
            is_published=self.publish,
        )
        db.session.add(rec)
        self.by_ref[plan.reference] = (None, record.annotation_id)
        self.result.created += 1
        return rec

    def _update(self, plan: Plan, rec: Recommendation, terms: set[int],
                states: set[int]) -> None:
        record = plan.record
        changed = False
        if not plan.merge:
            wanted = {"text": record.text, "paragraph": record.paragraph,
                      "language": record.language, "type": record.type,
                      "upr_position": record.upr_position, "document_id": plan.document_id,
                      "mechanism_id": plan.mechanism_id}
            for attr in UPDATED_FIELDS:
                if getattr(rec, attr) != wanted[attr]:
                    setattr(rec, attr, wanted[attr])
                    changed = True
            if record.annotation_id and rec.uhri_annotation_id is None:
                rec.uhri_annotation_id = record.annotation_id
                self.by_annotation[record.annotation_id] = rec.id
                changed = True
            if self.publish and not rec.is_published:
                rec.is_published = True
                changed = True
        # Terms of other vocabularies (an action plan's axes) were added by the office.
        keep = terms if plan.merge else terms - self.terms.imported_ids
        links_changed = self._relink(rec.id, "terms", recommendation_term, "term_id", terms,
                                     keep | plan.term_ids)
        wanted_states = (states | plan.country_ids) if plan.merge else plan.country_ids
        links_changed |= self._relink(rec.id, "states", recommendation_state, "country_id",
                                      states, wanted_states)
        if links_changed and not changed:
            rec.updated_at = utcnow()  # a new version, so open edit forms notice
        if plan.merge or not (changed or links_changed):
            self.result.skipped += 1
        else:
            self.result.updated += 1
        self.touched.add(rec.id)

    def _relink(self, rec_id: int, kind: str, table, column: str, current: set[int],
                wanted: set[int]) -> bool:
        if current == wanted:
            return False
        removed = current - wanted
        if removed:
            db.session.execute(delete(table).where(table.c.recommendation_id == rec_id,
                                                   table.c[column].in_(removed)))
        self.link_changes.setdefault(kind, []).extend(
            {"recommendation_id": rec_id, column: other} for other in wanted - current)
        return True


