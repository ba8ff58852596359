"""The batch writer behind ``tracker.services.imports.import_records``.

Dedupe: a record with a UHRI annotation id updates the recommendation holding
that id; any other record updates the recommendation with the same reference,
``"{symbol} ¶{paragraph}"`` (a repeated symbol and paragraph in one file gets an
ordinal, ``" (2)"``; a record without paragraph is keyed by a hash of its text).
Within one file the last copy of an annotation id wins; other rows that reach a
recommendation already written in the run (a co-sponsor's, the same text again) merge
their States and terms into it.

Speed: the recommendations, their links and their audit trail are written set-based
(one statement per batch each), never one ORM object per row; the trail still holds
one event per created or changed recommendation, naming the file it came from.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, update

from tracker.audit import event_rows, link_change, plain
from tracker.extensions import db
from tracker.imports.bulk import insert_rows, next_ids
from tracker.imports.lookups import CountryLookup, DocumentLookup, MechanismLookup, TermLookup
from tracker.imports.records import RecommendationRecord, RowError, fold, row_error
from tracker.imports.result import Conflict, ImportResult, Ledger, Outcome
from tracker.models import (
    AuditEvent,
    Document,
    ImplementationStatus,
    Recommendation,
    Term,
    utcnow,
)
from tracker.models.recommendation import (
    recommendation_concerned_state,
    recommendation_state,
    recommendation_term,
)
from tracker.models.reference import pending_label_link

__all__ = ["BatchWriter", "ImportResult", "Outcome", "base_reference", "text_hash"]

# What an import may change on an existing recommendation; status, translation,
# follow-up and assignments belong to the office and are never touched.
UPDATED_FIELDS = ("text", "paragraph", "language", "type", "upr_position", "document_id",
                  "mechanism_id")
RECOMMENDATION = Recommendation.__table__


@dataclass
class Plan:
    record: RecommendationRecord
    reference: str
    document_id: int
    mechanism_id: int
    term_ids: set[int]
    country_ids: set[int]
    rec_id: int | None = None
    # The States the recommendation concerns, when the file names them.
    concerned_ids: set[int] = field(default_factory=set)
    merge: bool = False  # the same recommendation met again in this run
    # Labels no term knows yet: the record waits for the office to map them.
    pending_label_ids: set[int] = field(default_factory=set)
    # The earlier row of this run with the same annotation id, which this one replaces.
    replaces: int | None = None
    dropped: bool = False  # replaced by a later row of the same batch


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

    def __init__(self, result: ImportResult, publish: bool, *, state: str | None = None,
                 keep_other_states: bool = False,
                 overwrite_curated: bool | Collection[int] = False) -> None:
        self.result = result
        self.publish = publish
        # The tracker's State (alpha-2); None keeps the records of every State.
        self.state = None if keep_other_states else state
        # Replace the values the office curated by hand (each reported as a conflict):
        # everywhere, or only on these rows of the file (chosen conflict by conflict).
        self.overwrite_curated = overwrite_curated
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
        self.ledger = Ledger(result)  # recommendations written in this run, by row
        self.claimed: set[str] = set()  # annotation ids met in this run
        self.sources: set[str] = set()
        # Link rows to insert at the end of the batch, by kind ("terms", "states").
        self.link_changes: dict[str, list[dict]] = {}
        # How the trail names a linked term or State ("term:12 women", as the listener).
        self.term_codes = dict(db.session.execute(db.select(Term.id, Term.code)).tuples().all())
        self.country_codes = {cid: iso2 for iso2, cid in self.countries.by_iso2.items()}
        self.events: list[tuple[str, str, object, dict]] = []
        self.changed_ids: set[int] = set()

    # -- planning: where each record goes ------------------------------------------

    def plan(self, record: RecommendationRecord, pending: dict[str, Plan]) -> Plan | None:
        """Resolve a record's document, reference, terms and States; None if it merged."""
        for attr, limit in LIMITS:
            value = getattr(record, attr)
            if value and len(value) > limit:
                raise ValueError(f"{attr} '{value[:40]}…' is longer than {limit} characters")
        concerned = self._states_concerned(record)
        if concerned is None:
            # Before the document and the labels: another State's record leaves no trace.
            for row in (record.row, *record.merged_rows):
                self.result.set(row, Outcome.NOT_FOR_STATE)
            return None
        mechanism_id = self.mechanisms.resolve(record.mechanism)
        if mechanism_id is None:
            raise ValueError(f"unknown mechanism '{record.mechanism}'")
        document_id, mechanism_id = self.documents.get(record, mechanism_id)
        countries = set()
        for name in record.recommending_states:
            country_id = self.countries.resolve(name)
            if country_id is None:
                self._warn(record, f"recommending State '{name}' not recognised")
            else:
                countries.add(country_id)
        labels = self.terms.match("themes", record.themes, record.source, row=record.row)
        self.terms.match("affected_persons", record.affected_persons, record.source, labels,
                         row=record.row)
        self.terms.match("sdg", record.sdgs, record.source, labels, row=record.row)
        terms, waiting = labels.term_ids, labels.pending_ids
        for message in record.warnings:
            self._warn(record, message)
        earlier = pending.get(record.annotation_id) if record.annotation_id else None
        if earlier is not None and earlier.record.annotation_id == record.annotation_id:
            # Last one wins: a later copy of an annotation (a corrected text) replaces it.
            earlier.dropped = True
            self.result.set(earlier.record.row, Outcome.REPLACED, into=record.row)
            plan = Plan(record, earlier.reference, document_id, mechanism_id, terms, countries,
                        rec_id=earlier.rec_id, pending_label_ids=waiting,
                        replaces=earlier.replaces, concerned_ids=concerned)
            for key, found in list(pending.items()):
                if found is earlier:
                    pending[key] = plan
            return plan
        base = base_reference(record.document_symbol.strip(), record.paragraph, record.text)
        reference = base
        if record.paragraph:
            self.ordinals[base] += 1
            if self.ordinals[base] > 1:
                reference = f"{base} ({self.ordinals[base]})"
        keys = [k for k in (record.annotation_id, reference) if k]
        for key in keys:
            if key in pending:  # met twice in one batch: one recommendation, all its States
                self._merge_into(pending[key], record, countries, terms, waiting, concerned)
                return None
        plan = Plan(record, reference, document_id, mechanism_id, terms, countries,
                    pending_label_ids=waiting, concerned_ids=concerned)
        plan.rec_id = self._existing(record, plan)
        same = pending.get(f"#{plan.rec_id}") if plan.rec_id else None
        if same is not None:  # reached by annotation id and by reference: still one
            self._merge_into(same, record, countries, terms, waiting, concerned)
            return None
        if plan.rec_id in self.ledger:  # written by an earlier batch of this run
            if record.annotation_id and record.annotation_id in self.claimed:
                plan.replaces = self.ledger.row_of(plan.rec_id)
            else:
                plan.merge = True
        if record.annotation_id:
            self.claimed.add(record.annotation_id)
        for key in (record.annotation_id, plan.reference,
                    f"#{plan.rec_id}" if plan.rec_id else None):
            if key:
                pending[key] = plan
        return plan

    def _merge_into(self, target: Plan, record: RecommendationRecord, countries: set[int],
                    terms: set[int], waiting: set[int], concerned: set[int]) -> None:
        """Give a recommendation planned in this batch another row's States and terms."""
        target.country_ids |= countries
        target.concerned_ids |= concerned
        target.term_ids |= terms
        target.pending_label_ids |= waiting
        self.result.set(record.row, Outcome.MERGED, into=target.record.row)

    def _states_concerned(self, record: RecommendationRecord) -> set[int] | None:
        """Return the ids of the States a record concerns; None if not for this State."""
        codes = set()
        for name in record.countries_concerned:
            code = self.countries.resolver.resolve(name)
            if code is None:
                self._warn(record, f"State concerned '{name}' not recognised")
            else:
                codes.add(code)
        # A record naming no State is taken as the tracker's own: nothing says otherwise
        # (a tracker CSV made before its column, a record built by code), and leaving it
        # out would drop the office's own typed recommendations without a word.
        if self.state and record.countries_concerned and self.state not in codes:
            return None
        return {self.countries.by_iso2[code] for code in codes if code in self.countries.by_iso2}

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
        """Plan, create or update, then write the batch's links and audit trail in bulk."""
        pending: dict[str, Plan] = {}
        plans = []
        for record in records:
            for row in record.merged_rows:
                self.result.set(row, Outcome.MERGED, into=record.row)
            try:
                plan = self.plan(record, pending)
            except ValueError as exc:
                self._refuse(record, exc)
                continue
            if plan is not None:
                plans.append(plan)
        plans = [plan for plan in plans if not plan.dropped]
        if not plans:
            return
        ids = [p.rec_id for p in plans if p.rec_id]
        existing = {
            row.id: row
            for row in db.session.execute(
                db.select(RECOMMENDATION).where(RECOMMENDATION.c.id.in_(ids))
            )
        } if ids else {}
        current_terms = self._links(recommendation_term, "term_id", ids)
        current_states = self._links(recommendation_state, "country_id", ids)
        current_concerned = self._links(recommendation_concerned_state, "country_id", ids)
        current_waiting = self._links(pending_label_link, "pending_label_id", ids)
        new_plans = [plan for plan in plans if plan.rec_id is None]
        known_plans = [plan for plan in plans if plan.rec_id is not None]
        self._create(new_plans)
        for plan in known_plans:
            rec = existing[plan.rec_id]
            self._update(plan, rec, current_terms.get(rec.id, set()),
                         current_states.get(rec.id, set()),
                         current_concerned.get(rec.id, set()))
            waiting = current_waiting.get(rec.id, set())
            self._relink(rec.id, "waiting", pending_label_link, "pending_label_id", waiting,
                         (waiting | plan.pending_label_ids) if plan.merge
                         else plan.pending_label_ids)
        term_rows, state_rows, waiting_rows, concerned_rows = [], [], [], []
        for plan in new_plans:
            concerned_rows += [{"recommendation_id": plan.rec_id, "country_id": c}
                               for c in plan.concerned_ids]
            term_rows += [{"recommendation_id": plan.rec_id, "term_id": t}
                          for t in plan.term_ids]
            state_rows += [{"recommendation_id": plan.rec_id, "country_id": c}
                           for c in plan.country_ids]
            waiting_rows += [{"recommendation_id": plan.rec_id, "pending_label_id": p}
                             for p in plan.pending_label_ids]
        insert_rows(recommendation_term, term_rows + self.link_changes.pop("terms", []))
        insert_rows(recommendation_state, state_rows + self.link_changes.pop("states", []))
        insert_rows(pending_label_link, waiting_rows + self.link_changes.pop("waiting", []))
        insert_rows(recommendation_concerned_state,
                    concerned_rows + self.link_changes.pop("concerned", []))
        insert_rows(AuditEvent.__table__, event_rows(self.events))
        self.events = []
        self._expire()

    def _refuse(self, record: RecommendationRecord, exc: ValueError) -> None:
        """Refuse a record's row, and the co-sponsors' rows that came with it."""
        self.result.refuse(row_error(record.source, record.row, exc))
        for row in record.merged_rows:
            self.result.refuse(RowError(record.source, row,
                                        f"refused with row {record.row}: {exc}"))

    def _expire(self) -> None:
        """Make the ORM read afresh what was written beside it (a caller may hold it)."""
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, Document) or (isinstance(obj, Recommendation)
                                             and obj.id in self.changed_ids):
                db.session.expire(obj)
        self.changed_ids.clear()

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

    def _create(self, plans: list[Plan]) -> None:
        if not plans:
            return
        now = utcnow()
        rows = [{
            "document_id": plan.document_id,
            "mechanism_id": plan.mechanism_id,
            "paragraph": plan.record.paragraph,
            "reference": plan.reference,
            "text": plan.record.text,
            "language": plan.record.language,
            "type": plan.record.type,
            "upr_position": plan.record.upr_position,
            "uhri_annotation_id": plan.record.annotation_id,
            "is_published": self.publish,
            "follow_up": False,
            "status": ImplementationStatus.NO_INFORMATION,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        } for plan in plans]
        ids = next_ids(RECOMMENDATION, len(rows))
        if ids is None:
            ids = list(db.session.execute(
                insert(RECOMMENDATION).returning(RECOMMENDATION.c.id,
                                                 sort_by_parameter_order=True),
                rows).scalars())
        else:
            for row, rec_id in zip(rows, ids, strict=True):
                row["id"] = rec_id
            insert_rows(RECOMMENDATION, rows)
        for plan, row, rec_id in zip(plans, rows, ids, strict=True):
            plan.rec_id = rec_id
            self.by_ref[plan.reference] = (rec_id, plan.record.annotation_id)
            if plan.record.annotation_id:
                self.by_annotation[plan.record.annotation_id] = rec_id
            self.ledger.created(rec_id, plan.record.row, plan.reference)
            changes = {name: {"after": plain(value)} for name, value in row.items()
                       if value is not None and name not in ("id", "created_at", "updated_at",
                                                             "version")}
            changes.update(self._link_changes(plan.term_ids, set(), plan.country_ids, set()))
            if plan.concerned_ids:
                changes["states_concerned"] = link_change("country", self.country_codes,
                                                          plan.concerned_ids, set())
            self._event("create", rec_id, changes, plan.record)

    def _update(self, plan: Plan, rec, terms: set[int], states: set[int],
                concerned: set[int]) -> None:
        record = plan.record
        values: dict[str, object] = {}
        if not plan.merge:
            wanted = {"text": record.text, "paragraph": record.paragraph,
                      "language": record.language, "type": record.type,
                      "upr_position": record.upr_position, "document_id": plan.document_id,
                      "mechanism_id": plan.mechanism_id}
            values = {attr: wanted[attr] for attr in UPDATED_FIELDS
                      if getattr(rec, attr) != wanted[attr]}
            if record.annotation_id and rec.uhri_annotation_id is None:
                values["uhri_annotation_id"] = record.annotation_id
                self.by_annotation[record.annotation_id] = rec.id
            if self.publish and not rec.is_published:
                values["is_published"] = True
        # Terms of other vocabularies (an action plan's axes) were added by the office.
        keep = terms if plan.merge else terms - self.terms.imported_ids
        wanted_terms = keep | plan.term_ids
        wanted_states = (states | plan.country_ids) if plan.merge else plan.country_ids
        if rec.curated_fields:
            wanted_terms, wanted_states = self._respect_curated(
                record.row, rec, values, (terms, wanted_terms), (states, wanted_states))
        self._relink(rec.id, "terms", recommendation_term, "term_id", terms, wanted_terms)
        self._relink(rec.id, "states", recommendation_state, "country_id", states,
                     wanted_states)
        changes = {name: {"before": plain(getattr(rec, name)), "after": plain(value)}
                   for name, value in values.items()}
        changes.update(self._link_changes(wanted_terms - terms, terms - wanted_terms,
                                          wanted_states - states, states - wanted_states))
        # A file that names no State concerned leaves the stored ones as they are.
        wanted_concerned = ((concerned | plan.concerned_ids) if plan.merge
                            or not record.countries_concerned else plan.concerned_ids)
        if self._relink(rec.id, "concerned", recommendation_concerned_state, "country_id",
                        concerned, wanted_concerned):
            changes["states_concerned"] = link_change(
                "country", self.country_codes, wanted_concerned - concerned,
                concerned - wanted_concerned)
        fields = set(changes) - {"curated_fields"}
        if changes:
            # A new version, so that an edit form opened before the import notices.
            db.session.execute(update(RECOMMENDATION).where(RECOMMENDATION.c.id == rec.id)
                               .values(**values, version=RECOMMENDATION.c.version + 1,
                                       updated_at=utcnow()))
            self.changed_ids.add(rec.id)
            self._event("update", rec.id, changes, record)
        self.ledger.written(rec.id, record.row, fields, rec.reference, merge=plan.merge,
                            replaces=plan.replaces)

    def _respect_curated(self, row: int, rec, values: dict, terms: tuple[set, set],
                         states: tuple[set, set]) -> tuple[set[int], set[int]]:
        """Keep what the office curated out of ``values`` and the links, and report it.

        Return the terms and recommending States to link; with ``overwrite_curated`` the
        file's values go through, and the fields lose their curated mark.
        """
        curated = set(rec.curated_fields)
        overwrite = (self.overwrite_curated if isinstance(self.overwrite_curated, bool)
                     else row in self.overwrite_curated)
        found: list[Conflict] = []
        for name in [name for name in values if name in curated
                     or (name == "mechanism_id" and "document_id" in curated)]:
            if name != "mechanism_id":  # it follows the document, reported with it
                found.append(Conflict(name, self._shown(name, values[name]),
                                      self._shown(name, getattr(rec, name)),
                                      overwrite))
            if not overwrite:
                del values[name]
        links = {"terms": terms, "recommending_states": states}
        for name, (current, wanted) in links.items():
            if name in curated and wanted != current:
                found.append(Conflict(name, self._shown(name, wanted),
                                      self._shown(name, current), overwrite))
                if not overwrite:
                    links[name] = (current, current)
        if found:
            self.result.conflicts[row] = found
            if overwrite:
                values["curated_fields"] = sorted(curated - {c.field for c in found})
        return links["terms"][1], links["recommending_states"][1]

    def _shown(self, name: str, value) -> object:
        """Return a value as a reviewer reads it in a conflict (a symbol, codes, text)."""
        if name == "document_id":
            document = db.session.get(Document, value)
            return document.symbol if document else value
        if name == "terms":
            return sorted(self.term_codes.get(term_id, str(term_id)) for term_id in value)
        if name == "recommending_states":
            return sorted(self.country_codes.get(country_id, str(country_id))
                          for country_id in value)
        return plain(value)

    def _link_changes(self, terms_added: set[int], terms_removed: set[int],
                      states_added: set[int], states_removed: set[int]) -> dict:
        changes = {}
        if terms_added or terms_removed:
            changes["terms"] = link_change("term", self.term_codes, terms_added, terms_removed)
        if states_added or states_removed:
            changes["recommending_states"] = link_change("country", self.country_codes,
                                                         states_added, states_removed)
        return changes

    def _event(self, action: str, rec_id: int, changes: dict,
               record: RecommendationRecord) -> None:
        # The file the change came from: the trail says which import made or changed it.
        changes["import"] = {"file": record.source, "row": record.row}
        self.events.append((action, "recommendation", rec_id, changes))

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
