"""The batch writer behind ``tracker.services.imports.import_records``.

Each batch is planned first (``planning.py``: where every record goes), then created
or updated, its language versions (``versions.py``) and links written, what the office
curated kept (``curated.py``).

Speed: the recommendations, their links and their audit trail are written set-based
(one statement per batch each), never one ORM object per row; the trail still holds
one event per created or changed recommendation, naming the file it came from.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, insert, update

from tracker.audit import event_rows, link_change, plain
from tracker.extensions import db
from tracker.imports.bulk import insert_rows, next_ids
from tracker.imports.curated import CuratedGuard
from tracker.imports.planning import Plan, Planner
from tracker.imports.records import RecommendationRecord, RowError, row_error
from tracker.imports.result import ImportResult, Outcome
from tracker.imports.versions import Stored, text_field
from tracker.models import (
    AuditEvent,
    Document,
    ImplementationStatus,
    Recommendation,
    RecommendationText,
    Term,
    utcnow,
)
from tracker.models.recommendation import (
    recommendation_concerned_state,
    recommendation_state,
    recommendation_term,
)
from tracker.models.reference import pending_label_link
from tracker.models.search import RecommendationSearch, search_row, write_search_documents

__all__ = ["WRITTEN_TABLES", "BatchWriter", "ImportResult", "Outcome"]

# What an import may change on an existing recommendation besides its texts; the
# original language, status, follow-up and assignments belong to the office.
UPDATED_FIELDS = ("paragraph", "type", "upr_position", "document_id", "mechanism_id")
RECOMMENDATION = Recommendation.__table__
# Every table an import fills, whose statistics it leaves current.
WRITTEN_TABLES = (RECOMMENDATION, RecommendationText.__table__, Document.__table__,
                  recommendation_term, recommendation_state, recommendation_concerned_state,
                  pending_label_link, AuditEvent.__table__, RecommendationSearch.__table__)
# The fields besides the texts ("text", "text_es") that a search document is made of.
SEARCHED_FIELDS = ("paragraph", "document_id")


class BatchWriter(Planner):
    """Write records batch by batch, deduplicating against what is stored."""

    def __init__(self, result: ImportResult, publish: bool, *, state: str | None = None,
                 keep_other_states: bool = False,
                 overwrite_curated: bool | Collection[int] = False) -> None:
        """``overwrite_curated``: the file's values replace what the office curated by hand
        (each reported as a conflict), everywhere or on these rows of the file only."""
        super().__init__(result, state=None if keep_other_states else state)
        self.publish = publish
        self.sources: set[str] = set()
        # Link rows to insert at the end of the batch, by kind ("terms", "states").
        self.link_changes: dict[str, list[dict]] = {}
        # How the trail names a linked term or State ("term:12 women", as the listener).
        self.term_codes = dict(db.session.execute(db.select(Term.id, Term.code)).tuples().all())
        self.country_codes = {cid: iso2 for iso2, cid in self.countries.by_iso2.items()}
        self.curated = CuratedGuard(result, overwrite_curated, self.term_codes,
                                    self.country_codes)
        self.events: list[tuple[str, str, object, dict]] = []
        self.changed_ids: set[int] = set()
        # Those whose searched fields changed (texts, paragraph, document), by batch.
        self.searched_ids: set[int] = set()

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
        texts = self.versions.stored(ids)
        new_plans = [plan for plan in plans if plan.rec_id is None]
        known_plans = [plan for plan in plans if plan.rec_id is not None]
        self._create(new_plans)
        for plan in known_plans:
            rec = existing[plan.rec_id]
            plan.translation = plan.record.language != rec.language
            self._update(plan, rec, texts, current_terms.get(rec.id, set()),
                         current_states.get(rec.id, set()),
                         current_concerned.get(rec.id, set()))
            waiting = current_waiting.get(rec.id, set())
            self._relink(rec.id, "waiting", pending_label_link, "pending_label_id", waiting,
                         (waiting | plan.pending_label_ids) if plan.joins
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
        self.versions.flush()
        # Searchable at once: the documents of the batch's new and changed recommendations
        # (the new ones from what the batch holds, without reading them back).
        write_search_documents(
            db.session.connection(), self.searched_ids, insert_rows=insert_rows,
            created=[search_row(plan.rec_id, plan.reference, plan.record.paragraph,
                                plan.record.document_symbol,
                                [(record.language, record.text) for record in plan.texts()])
                     for plan in new_plans])
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
                                             and obj.id in self.changed_ids) or (
                    isinstance(obj, RecommendationText)
                    and obj.recommendation_id in self.changed_ids):
                db.session.expire(obj)
        self.changed_ids.clear()
        self.searched_ids.clear()

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
            self.by_ref[plan.reference] = rec_id
            self.ledger.created(rec_id, plan.record.row, plan.reference)
            changes = {name: {"after": plain(value)} for name, value in row.items()
                       if value is not None and name not in ("id", "created_at", "updated_at",
                                                             "version")}
            for record in plan.texts():
                self.versions.add(rec_id, record, now)
                if record is not plan.record:
                    changes[text_field(record.language, "")] = {"after": record.text}
            changes.update(self._link_changes(plan.term_ids, set(), plan.country_ids, set()))
            if plan.concerned_ids:
                changes["states_concerned"] = link_change("country", self.country_codes,
                                                          plan.concerned_ids, set())
            self._event("create", rec_id, changes, plan.record)

    def _update(self, plan: Plan, rec, texts: dict[tuple[int, str], Stored],
                terms: set[int], states: set[int], concerned: set[int]) -> None:
        record = plan.record
        values, office = self._changed_values(plan, rec, texts)
        # Terms of other vocabularies (an action plan's axes) were added by the office.
        keep = terms if plan.joins else terms - self.terms.imported_ids
        links = {"terms": (terms, keep | plan.term_ids),
                 "recommending_states": (states, (states | plan.country_ids) if plan.joins
                                         else plan.country_ids)}
        if rec.curated_fields:
            wanted = self.curated.check(record.row, rec.curated_fields, values, office, links)
        else:
            wanted = {name: pair[1] for name, pair in links.items()}
        wanted_terms, wanted_states = wanted["terms"], wanted["recommending_states"]
        self._write_texts(plan, rec, texts, values)
        self._relink(rec.id, "terms", recommendation_term, "term_id", terms, wanted_terms)
        self._relink(rec.id, "states", recommendation_state, "country_id", states,
                     wanted_states)
        changes = {name: {"before": plain(office.get(name, getattr(rec, name, None))),
                          "after": plain(value)} for name, value in values.items()}
        changes.update(self._link_changes(wanted_terms - terms, terms - wanted_terms,
                                          wanted_states - states, states - wanted_states))
        # A file that names no State concerned leaves the stored ones as they are.
        wanted_concerned = ((concerned | plan.concerned_ids) if plan.joins
                            or not record.countries_concerned else plan.concerned_ids)
        if self._relink(rec.id, "concerned", recommendation_concerned_state, "country_id",
                        concerned, wanted_concerned):
            changes["states_concerned"] = link_change(
                "country", self.country_codes, wanted_concerned - concerned,
                concerned - wanted_concerned)
        fields = set(changes) - {"curated_fields"}
        if changes:
            columns = {name: value for name, value in values.items()
                       if name in RECOMMENDATION.c}
            # A new version, so that an edit form opened before the import notices.
            db.session.execute(update(RECOMMENDATION).where(RECOMMENDATION.c.id == rec.id)
                               .values(**columns, version=RECOMMENDATION.c.version + 1,
                                       updated_at=utcnow()))
            self.changed_ids.add(rec.id)
            if any(name in SEARCHED_FIELDS or name.startswith("text") for name in values):
                self.searched_ids.add(rec.id)
            self._event("update", rec.id, changes, record)
        self.ledger.written(rec.id, record.row, fields, rec.reference, merge=plan.merge,
                            replaces=plan.replaces)

    def _changed_values(self, plan: Plan, rec, texts: dict[tuple[int, str], Stored]
                        ) -> tuple[dict, dict]:
        """Return the fields the plan changes ({name: new value}) and the stored values.

        Texts are named as the import reports them: "text" for the original, "text_es"
        for another language version. A row merged into a recommendation of the run
        changes nothing of it but a language it had no text in; a translation changes its
        text only (the original's file owns the paragraph, type, position and document).
        """
        values: dict[str, object] = {}
        if not plan.joins:
            wanted = {"paragraph": plan.record.paragraph, "type": plan.record.type,
                      "upr_position": plan.record.upr_position,
                      "document_id": plan.document_id, "mechanism_id": plan.mechanism_id}
            values = {attr: wanted[attr] for attr in UPDATED_FIELDS
                      if getattr(rec, attr) != wanted[attr]}
        if self.publish and not rec.is_published and not plan.merge:
            values["is_published"] = True
        office = {name: getattr(rec, name) for name in values}
        for record in plan.texts():
            stored = texts.get((rec.id, record.language))
            if stored is not None and record.annotation_id and not stored.annotation_id:
                # A typed or older text is now known to UHRI: linked under its id.
                values["uhri_annotation"] = record.annotation_id
                office["uhri_annotation"] = None
            if stored is not None and (plan.merge or stored.text == record.text):
                continue
            name = text_field(record.language, rec.language)
            values[name] = record.text
            office[name] = stored.text if stored is not None else None
        return values, office

    def _write_texts(self, plan: Plan, rec, texts: dict[tuple[int, str], Stored],
                     values: dict) -> None:
        """Queue the language versions the update writes (those curation did not keep)."""
        now = utcnow()
        for record in plan.texts():
            stored = texts.get((rec.id, record.language))
            changed = text_field(record.language, rec.language) in values
            if stored is None:
                if changed:
                    self.versions.add(rec.id, record, now)
            elif changed or (record.annotation_id and not stored.annotation_id):
                # Same text, newly known annotation id: the version's source is now UHRI.
                self.versions.replace(rec.id, stored, record, now, text=changed)

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
