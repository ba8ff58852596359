"""Database lookups an import needs, each loaded once per run into dictionaries.

An import of 40,000 rows must not ask the database once per row for a mechanism,
a term or a State; these classes read the tables once and answer from memory.
"""

from __future__ import annotations

import re

from tracker.extensions import db
from tracker.imports.countries import CountryResolver
from tracker.imports.records import RecommendationRecord, fold
from tracker.models import Country, Document, Mechanism, Term, Vocabulary

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


class TermLookup:
    """Match labels to terms of the imported vocabularies, adding the unknown ones."""

    def __init__(self) -> None:
        from tracker.services.seed import slugify

        self.slugify = slugify
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
        self.keys: dict[int, dict[str, int]] = {vid: {} for vid in self.vocabularies.values()}
        self.codes: dict[int, dict[str, int]] = {vid: {} for vid in self.vocabularies.values()}
        self.imported_ids: set[int] = set()
        self.created: list[str] = []
        rows = db.session.execute(
            db.select(Term.id, Term.vocabulary_id, Term.code, Term.name_en, Term.name_es,
                      Term.merged_into_id)
            .where(Term.vocabulary_id.in_(list(self.vocabularies.values())))
            .order_by(Term.id)
        ).all()
        for row in rows:
            target = row.merged_into_id or row.id  # a merged term lives on in its target
            self.imported_ids.add(row.id)
            self.codes[row.vocabulary_id][row.code] = target
            for value in (row.code, row.name_en, row.name_es):
                self.keys[row.vocabulary_id].setdefault(fold(value), target)

    def ids(self, vocabulary: str, labels: list[str]) -> set[int]:
        """Return the term ids for labels, creating a term for each unknown label."""
        vocab_id = self.vocabularies[vocabulary]
        found = set()
        for label in labels:
            label = label.strip()[:255]
            if label:
                found.add(self._one(vocab_id, vocabulary, label))
        return found

    def _one(self, vocab_id: int, vocabulary: str, label: str) -> int:
        key = fold(label)
        term_id = self.keys[vocab_id].get(key)
        if term_id:
            return term_id
        code, parent_code = self.slugify(label), None
        if vocabulary == "sdg" and (match := _SDG.match(label)) and 1 <= int(match[1]) <= 17:
            code = f"sdg_{int(match[1])}"
            if match[2]:
                parent_code, code = code, f"{code}_{match[2].lower()}"
        term_id = self.codes[vocab_id].get(code)
        if term_id is None:
            parent_id = self.codes[vocab_id].get(parent_code) if parent_code else None
            term = Term(vocabulary_id=vocab_id, code=code, name_en=label, name_es=label,
                        parent_id=parent_id, sort_order=1000)
            db.session.add(term)
            db.session.flush()
            term_id = term.id
            self.codes[vocab_id][code] = term_id
            self.imported_ids.add(term_id)
            self.created.append(f"{vocabulary}: {label}")
        self.keys[vocab_id][key] = term_id
        return term_id


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
