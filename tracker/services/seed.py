"""Load the reference lists shipped in ``tracker/seeds`` (mechanisms, vocabularies, ...).

Seeding only adds what is missing: a row an administrator has since renamed or
deactivated is left as it is, so running it again changes nothing. The one
correction it makes: a State's name still as an earlier seed wrote it (ISO's)
becomes the name the UN uses (tracker/seeds/un_states.csv).
"""

from __future__ import annotations

import csv
import gettext
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pycountry

from tracker.extensions import db
from tracker.models import (
    Country,
    Institution,
    InstitutionBranch,
    Mechanism,
    MechanismFamily,
    Term,
    TermAlias,
    Vocabulary,
)

log = logging.getLogger(__name__)
SEED_DIR = Path(__file__).resolve().parent.parent / "seeds"

# code, name_en, name_es, applies to recommendations, applies to office actions
VOCABULARIES = [
    ("themes", "Human rights themes", "Temas de derechos humanos", True, False),
    ("affected_persons", "Affected persons", "Personas afectadas", True, False),
    ("sdg", "Sustainable Development Goals", "Objetivos de Desarrollo Sostenible", True, True),
    ("pillar", "OHCHR thematic pillars", "Pilares temáticos del ACNUDH", False, True),
    ("shift", "OHCHR shifts", "Cambios estratégicos del ACNUDH", False, True),
    ("spotlight", "Spotlight populations", "Poblaciones prioritarias", False, True),
]


class SeedError(Exception):
    """A seed file is missing or a row cannot be read; names the file and row."""


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str, n: int = 1) -> None:
        self.created[kind] = self.created.get(kind, 0) + n


def slugify(value: str) -> str:
    """Return a lowercase ASCII code for a label ('Women's rights' -> 'women_s_rights')."""
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_.lower()).strip("_")[:120] or "term"


def read_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, row) of a CSV file, checking its header first."""
    if not path.is_file():
        raise SeedError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise SeedError(f"{path}: missing columns {', '.join(missing)}")
        for number, row in enumerate(reader, start=2):
            yield number, {k: (v or "").strip() for k, v in row.items() if k}


def _require(path: Path, number: int, row: dict[str, str], *names: str) -> None:
    for name in names:
        if not row.get(name):
            raise SeedError(f"{path.name}, row {number}: '{name}' is empty")


def seed_reference_data(seed_dir: Path = SEED_DIR) -> SeedReport:
    """Add every missing mechanism, vocabulary, term, institution and country; flush."""
    report = SeedReport()
    _seed_mechanisms(seed_dir / "mechanisms.csv", report)
    vocabularies = _seed_vocabularies(report)
    _seed_terms(seed_dir, vocabularies, report)
    _seed_aliases(seed_dir / "theme_aliases.csv", vocabularies, report)
    _seed_institutions(seed_dir / "institutions_honduras.csv", report)
    _seed_countries(seed_dir / "un_states.csv", report)
    db.session.flush()
    return report


def _seed_mechanisms(path: Path, report: SeedReport) -> None:
    existing = set(db.session.execute(db.select(Mechanism.code)).scalars())
    families = {f.value for f in MechanismFamily}
    for order, (number, row) in enumerate(
        read_rows(path, ("code", "family", "name_en", "name_es"))
    ):
        _require(path, number, row, "code", "family", "name_en", "name_es")
        if row["family"] not in families:
            raise SeedError(f"{path.name}, row {number}: unknown family '{row['family']}'")
        if row["code"] in existing:
            continue
        db.session.add(
            Mechanism(
                code=row["code"],
                family=MechanismFamily(row["family"]),
                name_en=row["name_en"],
                name_es=row["name_es"],
                acronym_en=row["code"],
                acronym_es=row.get("acronym_es") or row["code"],
                sort_order=order,
            )
        )
        existing.add(row["code"])
        report.add("mechanisms")


def _seed_vocabularies(report: SeedReport) -> dict[str, Vocabulary]:
    found = {v.code: v for v in db.session.execute(db.select(Vocabulary)).scalars()}
    for order, (code, name_en, name_es, for_recs, for_actions) in enumerate(VOCABULARIES):
        if code in found:
            continue
        vocab = Vocabulary(
            code=code,
            name_en=name_en,
            name_es=name_es,
            applies_to_recommendations=for_recs,
            applies_to_actions=for_actions,
            sort_order=order,
        )
        db.session.add(vocab)
        found[code] = vocab
        report.add("vocabularies")
    db.session.flush()
    return found


def _add_term(vocab: Vocabulary, code: str, name_en: str, name_es: str, order: int,
              existing: set[tuple[int, str]], report: SeedReport, **extra) -> None:
    if (vocab.id, code) in existing:
        return
    db.session.add(
        Term(vocabulary_id=vocab.id, code=code, name_en=name_en, name_es=name_es,
             sort_order=order, **extra)
    )
    existing.add((vocab.id, code))
    report.add("terms")


def _seed_terms(seed_dir: Path, vocabularies: dict[str, Vocabulary], report: SeedReport) -> None:
    existing = set(db.session.execute(db.select(Term.vocabulary_id, Term.code)).tuples())

    path = seed_dir / "ohchr_focus_areas.csv"
    for order, (number, row) in enumerate(
        read_rows(path, ("vocabulary", "code", "name_en", "name_es"))
    ):
        _require(path, number, row, "vocabulary", "code", "name_en", "name_es")
        vocab = vocabularies.get(row["vocabulary"])
        if vocab is None:
            raise SeedError(f"{path.name}, row {number}: unknown vocabulary '{row['vocabulary']}'")
        _add_term(vocab, row["code"], row["name_en"], row["name_es"], order, existing, report,
                  description_en=row.get("description_en") or None)

    path = seed_dir / "sdg_goals.csv"
    for number, row in read_rows(path, ("number", "name_en", "name_es")):
        _require(path, number, row, "number", "name_en", "name_es")
        if not row["number"].isdigit():
            raise SeedError(
                f"{path.name}, row {number}: goal number '{row['number']}' is not a number"
            )
        goal = int(row["number"])
        _add_term(vocabularies["sdg"], f"sdg_{goal}", f"{goal}. {row['name_en']}",
                  f"{goal}. {row['name_es']}", goal, existing, report)

    for vocab_code, filename in (("themes", "uhri_themes.csv"),
                                 ("affected_persons", "uhri_affected_persons.csv")):
        path = seed_dir / filename
        for order, (number, row) in enumerate(read_rows(path, ("name_en", "name_es"))):
            _require(path, number, row, "name_en", "name_es")
            _add_term(vocabularies[vocab_code], slugify(row["name_en"]), row["name_en"],
                      row["name_es"], order, existing, report)


def _seed_aliases(path: Path, vocabularies: dict[str, Vocabulary], report: SeedReport) -> None:
    """Teach imports the labels other sources give the seeded terms (UPR Info, compilations)."""
    from tracker.imports.lookups import label_key

    db.session.flush()
    existing = set(db.session.execute(db.select(TermAlias.vocabulary_id, TermAlias.key)).tuples())
    terms = {(vocab_id, code): term_id for term_id, vocab_id, code in db.session.execute(
        db.select(Term.id, Term.vocabulary_id, Term.code)).tuples()}
    for number, row in read_rows(path, ("vocabulary", "label", "term_vocabulary", "term_code")):
        _require(path, number, row, "vocabulary", "label")
        vocab = vocabularies.get(row["vocabulary"])
        if vocab is None:
            raise SeedError(f"{path.name}, row {number}: unknown vocabulary '{row['vocabulary']}'")
        term_id = None
        if row["term_code"]:  # no term: the label classifies nothing and is left out
            target = vocabularies.get(row["term_vocabulary"] or row["vocabulary"])
            term_id = terms.get((target.id, row["term_code"])) if target else None
            if term_id is None:
                raise SeedError(f"{path.name}, row {number}: no term "
                                f"'{row['term_vocabulary']}/{row['term_code']}'")
        key = label_key(row["label"])
        if (vocab.id, key) in existing:
            continue
        db.session.add(TermAlias(vocabulary_id=vocab.id, key=key, label=row["label"],
                                 term_id=term_id))
        existing.add((vocab.id, key))
        report.add("aliases")


def _seed_institutions(path: Path, report: SeedReport) -> None:
    by_acronym = {i.acronym: i for i in db.session.execute(db.select(Institution)).scalars()}
    branches = {b.value for b in InstitutionBranch}
    pending_parents: list[tuple[Institution, str, int]] = []
    for number, row in read_rows(path, ("acronym", "name_es", "name_en", "branch", "parent")):
        _require(path, number, row, "acronym", "name_es", "name_en", "branch")
        if row["branch"] not in branches:
            raise SeedError(f"{path.name}, row {number}: unknown branch '{row['branch']}'")
        if row["acronym"] in by_acronym:
            continue
        inst = Institution(acronym=row["acronym"], name_es=row["name_es"],
                           name_en=row["name_en"], branch=InstitutionBranch(row["branch"]))
        db.session.add(inst)
        by_acronym[inst.acronym] = inst
        report.add("institutions")
        if row["parent"]:
            pending_parents.append((inst, row["parent"], number))
    for inst, parent, number in pending_parents:
        if parent not in by_acronym:
            raise SeedError(f"{path.name}, row {number}: parent '{parent}' is not in the list")
        inst.parent = by_acronym[parent]


@lru_cache(maxsize=2)
def _iso_catalogue(language: str) -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:  # pragma: no cover - pycountry always ships Spanish
        return gettext.NullTranslations()


def country_names(country) -> tuple[str, str]:
    """Return the English and Spanish names ISO's catalogue gives a pycountry country."""
    name_en = getattr(country, "common_name", None) or country.name
    return name_en, _iso_catalogue("es").gettext(country.name)


def _read_un_names(path: Path) -> dict[str, tuple[str, str]]:
    """Return the UN short names (English, Spanish) of the States in un_states.csv, by ISO code."""
    names: dict[str, tuple[str, str]] = {}
    for number, row in read_rows(path, ("iso2", "iso3", "name_en", "name_es")):
        _require(path, number, row, "iso2", "iso3", "name_en", "name_es")
        country = pycountry.countries.get(alpha_2=row["iso2"])
        if country is None or country.alpha_3 != row["iso3"]:
            raise SeedError(f"{path.name}, row {number}: "
                            f"'{row['iso2']}/{row['iso3']}' is not an ISO 3166 code pair")
        names[row["iso2"]] = (row["name_en"], row["name_es"])
    return names


def _seed_countries(path: Path, report: SeedReport) -> None:
    un_names = _read_un_names(path)
    by_iso2 = {c.iso2: c for c in db.session.execute(db.select(Country)).scalars()}
    for country in pycountry.countries:
        iso_en, iso_es = country_names(country)
        name_en, name_es = un_names.get(country.alpha_2, (iso_en, iso_es))
        row = by_iso2.get(country.alpha_2)
        if row is None:
            db.session.add(Country(iso2=country.alpha_2, iso3=country.alpha_3,
                                   name_en=name_en, name_es=name_es))
            report.add("countries")
            continue
        # Earlier seeds stored ISO's names ("Algeria" in Spanish too); a name still
        # equal to them was never edited, so it takes the UN's, and an admin's edit stays.
        renamed = False
        if row.name_en == iso_en and name_en != iso_en:
            row.name_en, renamed = name_en, True
        if row.name_es == iso_es and name_es != iso_es:
            row.name_es, renamed = name_es, True
        if renamed:
            report.add("country names now as the UN writes them")
