"""Where each record of an import goes: its document, reference, terms, States and the
recommendation it creates, updates or joins (``writer.py`` then writes the batch).

Dedupe: a record with a UHRI annotation id goes to the recommendation holding that id;
any other record goes to the recommendation with the same reference,
``"{symbol} ¶{paragraph}"`` (a paragraph repeated in one file and language gets an
ordinal, ``" (2)"``; a record without paragraph is keyed by a hash of its text). There
it is the text in its language: the original's, or another language version
(``versions.py``). Within one file the last copy of an annotation id wins; other rows
that reach a recommendation already met in the run (a co-sponsor's, the same text
again, the same paragraph in another language) merge into it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from tracker.extensions import db
from tracker.imports.lookups import CountryLookup, DocumentLookup, MechanismLookup, TermLookup
from tracker.imports.records import RecommendationRecord, RowError, fold
from tracker.imports.result import ImportResult, Ledger, Outcome
from tracker.imports.versions import TextVersions
from tracker.models import Recommendation

__all__ = ["Plan", "Planner", "base_reference", "text_hash"]


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
    # The same paragraph in other languages, met in this batch: its language versions.
    versions: dict[str, RecommendationRecord] = field(default_factory=dict)
    # A stored recommendation's text in another language than its original: a translation
    # brings its text, and adds to the links, but the original's file owns the rest.
    translation: bool = False

    @property
    def joins(self) -> bool:
        """Whether the record adds to a recommendation rather than restating it."""
        return self.merge or self.translation

    def texts(self) -> list[RecommendationRecord]:
        """The records whose texts this plan writes, its own first."""
        return [self.record, *self.versions.values()]


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


class Planner:
    """Resolve records against what is stored and what the run met before."""

    def __init__(self, result: ImportResult, *, state: str | None) -> None:
        self.result = result
        # The tracker's State (alpha-2); None keeps the records of every State.
        self.state = state
        self.mechanisms = MechanismLookup()
        self.countries = CountryLookup()
        self.terms = TermLookup()
        self.documents = DocumentLookup()
        self.versions = TextVersions()
        self.by_ref: dict[str, int] = dict(db.session.execute(
            db.select(Recommendation.reference, Recommendation.id)).tuples().all())
        # Paragraphs met in this run, by base reference and language: their ordinals.
        self.ordinals: Counter[tuple[str, str]] = Counter()
        self.ledger = Ledger(result)  # recommendations written in this run, by row
        self.claimed: set[str] = set()  # annotation ids met in this run

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
            self.ordinals[base, record.language] += 1
            if self.ordinals[base, record.language] > 1:
                reference = f"{base} ({self.ordinals[base, record.language]})"
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
            elif self.versions.has(plan.rec_id, record.language):
                plan.merge = True
            # else: the paragraph in another language, a version of what the run wrote
        if record.annotation_id:
            self.claimed.add(record.annotation_id)
        for key in (record.annotation_id, plan.reference,
                    f"#{plan.rec_id}" if plan.rec_id else None):
            if key:
                pending[key] = plan
        return plan

    def _merge_into(self, target: Plan, record: RecommendationRecord, countries: set[int],
                    terms: set[int], waiting: set[int], concerned: set[int]) -> None:
        """Give a recommendation planned in this batch another row's States and terms.

        A row in another language than the recommendation's texts so far gives its text too.
        """
        if record.language != target.record.language:
            target.versions.setdefault(record.language, record)
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
        """Return the stored recommendation a record goes to, settling its reference."""
        owner = self.versions.owner(record.annotation_id)
        if owner is not None:
            return owner
        base, reference, n = plan.reference, plan.reference, 1
        while (rec_id := self.by_ref.get(reference)) is not None:
            if not self.versions.belongs_elsewhere(rec_id, record):
                plan.reference = reference
                return rec_id
            # That paragraph's text in this language came from another annotation: the
            # same paragraph holds another recommendation, under the next ordinal.
            n += 1
            reference = f"{base} ({n})"
        plan.reference = reference
        return None

    def _warn(self, record: RecommendationRecord, message: str) -> None:
        self.result.warnings.append(RowError(record.source, record.row, message, "warning"))
