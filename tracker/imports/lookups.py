"""Database lookups an import needs, each loaded once per run into dictionaries.

An import of 40,000 rows must not ask the database once per row for a mechanism,
a term or a State; these classes read the tables once and answer from memory.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from tracker.audit import current_actor
from tracker.extensions import db
from tracker.imports.countries import CountryResolver
from tracker.imports.records import RecommendationRecord, fold
from tracker.models import (
    Country,
    Document,
    Mechanism,
    PendingLabel,
    Term,
    TermAlias,
    Vocabulary,
)

IMPORTED_VOCABULARIES = ("themes", "affected_persons", "sdg")

# UHRI names special procedures by mandate: "SR on torture", "WG on Arbitrary Detention".
_SPECIAL_PROCEDURE = re.compile(
    r"^(sr|wg|ie|special rapporteur|working group|independent expert|relator[a]? especial"
    r"|grupo de trabajo|expert[oa] independiente)\b"
)
_MECHANISM_ALIASES = {
    "opcat": "SPT",
    "cidh": "IACHR",
    "iachr": "IACHR",
    "corte idh": "IACtHR",
    "iacthr": "IACtHR",
    "iacourthr": "IACtHR",
    "human rights committee": "CCPR",
    "hr committee": "CCPR",
    "cmw": "CMW",
}


class MechanismLookup:
    """Map UHRI body names ('CCPR', 'SR on torture', 'CRC-OP-SC') to mechanism ids."""

    def __init__(self) -> None:
        self.by_key: dict[str, int] = {}
        self.by_code: dict[str, int] = {}
        for mech in db.session.execute(db.select(Mechanism)).scalars():
            self.by_code[mech.code] = mech.id
            for value in (mech.code, mech.acronym_en, mech.acronym_es, mech.name_en,
                          mech.name_es):
                if value:
                    self.by_key.setdefault(fold(value), mech.id)

    def resolve(self, body: str) -> int | None:
        """Return the mechanism id of a body name, or None when unknown."""
        key = fold(body)
        if key in self.by_key:
            return self.by_key[key]
        if key in _MECHANISM_ALIASES:
            return self.by_code.get(_MECHANISM_ALIASES[key])
        if _SPECIAL_PROCEDURE.match(key):
            return self.by_code.get("SP")
        # Optional protocols report under their committee: "CRC-OP-SC", "CRC-OPAC".
        head = re.split(r"[-/ ]op", key, maxsplit=1)[0]
        if head != key:
            return self.by_key.get(head)
        return None


class CountryLookup:
    """Map State names and codes to Country ids."""

    def __init__(self) -> None:
        rows = db.session.execute(
            db.select(Country.id, Country.iso2, Country.name_en, Country.name_es)
        ).all()
        self.by_iso2 = {row.iso2: row.id for row in rows}
        extra = [(name, row.iso2) for row in rows for name in (row.name_en, row.name_es)]
        self.resolver = CountryResolver(extra)

    def resolve(self, name: str) -> int | None:
        code = self.resolver.resolve(name)
        return self.by_iso2.get(code) if code else None


_SDG = re.compile(r"^(?:goal|sdg|ods|objetivo)?\s*(\d{1,2})(?:\.(\d{1,2}|[a-z]))?(?!\d)", re.I)
# What an alias without a term stands for: a label that classifies nothing.
IGNORED = -1
_APOSTROPHES = re.compile(r"['\u2019`\u00b4]")
_NOT_WORD = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=8192)  # a large file repeats the same few hundred labels
def label_key(value: str) -> str:
    """Return the key a label is matched by: no case, accents, apostrophes or punctuation."""
    # Accents go, letters stay: a label in Cyrillic or Arabic keeps a key of its own.
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", value)
                   if not unicodedata.combining(ch))
    folded = _APOSTROPHES.sub("", bare.casefold())
    return " ".join(_NOT_WORD.sub(" ", folded).split())[:255]


@dataclass
class LabelMatch:
    """What the labels of one record found: terms, and labels still waiting to be mapped."""

    term_ids: set[int] = field(default_factory=set)
    pending_ids: set[int] = field(default_factory=set)


class TermLookup:
    """Match labels to terms by either name, code or alias; queue the labels none matches.

    A label no term knows is not made into a term (it would be named in one language
    only): it joins the office's queue of labels to map, and the record waits for it.
    """

    def __init__(self) -> None:
        self.vocabularies = dict(
            db.session.execute(
                db.select(Vocabulary.code, Vocabulary.id).where(
                    Vocabulary.code.in_(IMPORTED_VOCABULARIES)
                )
            ).tuples().all()
        )
        missing = [code for code in IMPORTED_VOCABULARIES if code not in self.vocabularies]
        if missing:
            raise LookupError(
                f"vocabularies {', '.join(missing)} are missing: run `tracker seed` first"
            )
        vocab_ids = list(self.vocabularies.values())
        self.keys: dict[int, dict[str, int]] = {vid: {} for vid in vocab_ids}
        self.codes: dict[int, dict[str, int]] = {vid: {} for vid in vocab_ids}
        self.pending: dict[int, dict[str, int]] = {vid: {} for vid in vocab_ids}
        self.imported_ids: set[int] = set()
        # Labels this run added to the queue, as "vocabulary: label".
        self.queued: list[str] = []
        # Every label no term knows, queued now or before, with the rows that carry it:
        # (vocabulary, key) -> (the label as first written, rows).
        self.waiting: dict[tuple[str, str], tuple[str, list[int]]] = {}
        targets = dict(db.session.execute(
            db.select(Term.id, Term.merged_into_id).where(Term.merged_into_id.is_not(None))
        ).tuples().all())
        rows = db.session.execute(
            db.select(Term.id, Term.vocabulary_id, Term.code, Term.name_en, Term.name_es)
            .where(Term.vocabulary_id.in_(vocab_ids))
            .order_by(Term.id)
        ).all()
        for row in rows:
            target = targets.get(row.id) or row.id  # a merged term lives on in its target
            self.imported_ids.add(row.id)
            self.codes[row.vocabulary_id][row.code] = target
            for value in (row.code, row.name_en, row.name_es):
                self.keys[row.vocabulary_id].setdefault(label_key(value), target)
        # A reviewer's alias is a decision about that very spelling: it wins over a name.
        for vocab_id, key, term_id in db.session.execute(
            db.select(TermAlias.vocabulary_id, TermAlias.key, TermAlias.term_id)
            .where(TermAlias.vocabulary_id.in_(vocab_ids))
        ).tuples():
            self.keys[vocab_id][key] = (targets.get(term_id) or term_id) if term_id else IGNORED
        for vocab_id, key, label_id in db.session.execute(
            db.select(PendingLabel.vocabulary_id, PendingLabel.key, PendingLabel.id)
            .where(PendingLabel.vocabulary_id.in_(vocab_ids))
        ).tuples():
            self.pending[vocab_id][key] = label_id

    def match(self, vocabulary: str, labels: list[str], source: str | None = None,
              found: LabelMatch | None = None, row: int | None = None) -> LabelMatch:
        """Add to ``found`` the terms of the labels, queueing each label no term knows."""
        found = found if found is not None else LabelMatch()
        vocab_id = self.vocabularies[vocabulary]
        for label in labels:
            label = " ".join(label.split())[:255]
            key = label_key(label) if label else ""
            if not key:
                continue
            term_id = self.keys[vocab_id].get(key) or self._by_code(vocab_id, vocabulary, label)
            if term_id == IGNORED:
                continue
            if term_id is not None:
                found.term_ids.add(term_id)
            else:
                found.pending_ids.add(self._queue(vocab_id, vocabulary, key, label, source))
                rows = self.waiting.setdefault((vocabulary, key), (label, []))[1]
                if row is not None and (not rows or rows[-1] != row):
                    rows.append(row)
        return found

    def _by_code(self, vocab_id: int, vocabulary: str, label: str) -> int | None:
        # SDGs are written by number ("Goal 5", "ODS 5", "5.2"): the number is the code.
        if vocabulary == "sdg" and (match := _SDG.match(label)) and 1 <= int(match[1]) <= 17:
            code = f"sdg_{int(match[1])}"
            if match[2]:
                code = f"{code}_{match[2].lower()}"
            return self.codes[vocab_id].get(code)
        return None

    def _queue(self, vocab_id: int, vocabulary: str, key: str, label: str,
               source: str | None) -> int:
        label_id = self.pending[vocab_id].get(key)
        if label_id is None:
            pending = PendingLabel(vocabulary_id=vocab_id, label=label, key=key,
                                   first_source=(source or "")[:255] or None,
                                   first_seen_by_id=current_actor().user_id)
            try:
                with db.session.begin_nested():
                    db.session.add(pending)
                    db.session.flush()
                label_id = pending.id
                self.queued.append(f"{vocabulary}: {label}")
            except IntegrityError:
                # Another import running at the same time queued the same label first.
                label_id = db.session.execute(db.select(PendingLabel.id).where(
                    PendingLabel.vocabulary_id == vocab_id, PendingLabel.key == key)).scalar_one()
            self.pending[vocab_id][key] = label_id
        return label_id


class DocumentLookup:
    """Find or create the document of a record, filling in what it did not know yet."""

    def __init__(self) -> None:
        self.cache: dict[str, tuple[int, int]] = {}
        self.created = 0

    def get(self, record: RecommendationRecord, mechanism_id: int) -> tuple[int, int]:
        """Return (document id, mechanism id) for the record's symbol."""
        symbol = record.document_symbol.strip()
        if symbol in self.cache:
            return self.cache[symbol]
        doc = db.session.execute(
            db.select(Document).where(Document.symbol == symbol)
        ).scalar_one_or_none()
        if doc is None:
            doc = Document(symbol=symbol, mechanism_id=mechanism_id)
            db.session.add(doc)
            self.created += 1
        # Only empty fields are filled: an office's corrections to a document survive.
        title = record.document_title[:500] if record.document_title else None
        for attr, value in (("title", title), ("date", record.document_date),
                            ("session", record.upr_session), ("upr_cycle", record.upr_cycle)):
            if value is not None and getattr(doc, attr) is None:
                setattr(doc, attr, value)
        db.session.flush()
        self.cache[symbol] = (doc.id, doc.mechanism_id)
        return self.cache[symbol]
