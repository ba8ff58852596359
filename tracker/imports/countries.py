"""Match the many spellings of a State's name to its ISO 3166 code.

The UN writes a State's name in several ways in each language: a short name
("Bolivia (Plurinational State of)", "Países Bajos (Reino de los)"), a formal
one ("Estado Plurinacional de Bolivia"), with or without an article ("la
República de Moldova", "l'Algérie"). Other sources invert them ("Korea,
Republic of"), star them ("State of Palestine*") or use ISO codes. The UN names
of the 193 Member States and two observer States are kept in
``tracker/seeds/un_states.csv``; ISO's names (pycountry, in English, Spanish and
French) and a few historic aliases fill in the rest. Every spelling folds to
one key, so a name is found with one dictionary look-up.
"""

from __future__ import annotations

import csv
import gettext
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycountry

from tracker.imports.records import fold

UN_STATES_FILE = Path(__file__).resolve().parent.parent / "seeds" / "un_states.csv"
LANGUAGES = ("en", "es", "fr")
# One short and one formal name per language, as the UN Terminology Database gives them.
NAME_COLUMNS = tuple(f"{form}_{lang}" for lang in LANGUAGES for form in ("name", "formal"))

# Names in real exports that neither the UN nor ISO spell (old or informal names).
ALIASES = {
    "dpr korea": "KP",
    "dprk": "KP",
    "north korea": "KP",
    "corea del norte": "KP",
    "south korea": "KR",
    "corea del sur": "KR",
    "laos": "LA",
    "macedonia fyr": "MK",
    "macedonia": "MK",
    "the former yugoslav republic of macedonia": "MK",
    "la ex republica yugoslava de macedonia": "MK",
    "l ex republique yougoslave de macedoine": "MK",
    "democratic republic of congo": "CD",
    "dr congo": "CD",
    "rd congo": "CD",
    "republic of congo": "CG",
    "swaziland": "SZ",
    "suazilandia": "SZ",
    "cape verde": "CV",
    "turkey": "TR",
    "turquia": "TR",
    "turquie": "TR",
    "syria": "SY",
    "siria": "SY",
    "syrie": "SY",
    "micronesia": "FM",
    "guinea bissau": "GW",
    "ivory coast": "CI",
    "costa de marfil": "CI",
    "burma": "MM",
    "birmania": "MM",
    "east timor": "TL",
    "timor oriental": "TL",
    "russia": "RU",
    "rusia": "RU",
    "russie": "RU",
    "vatican": "VA",
    "vaticano": "VA",
    "usa": "US",
    "united states": "US",
    "eeuu": "US",
    "uk": "GB",
    "great britain": "GB",
    "uae": "AE",
    "holanda": "NL",
    "nueva zelanda": "NZ",
    "kazajistan": "KZ",
    "belarus": "BY",
    "bielorrusia": "BY",
    "moldavia": "MD",
    "moldavie": "MD",
    "vietnam": "VN",
    "arabia saudi": "SA",
    "palestine": "PS",
    "palestina": "PS",
    "czech republic": "CZ",
    "republica checa": "CZ",
    "tanzania": "TZ",
}

# Articles may stand anywhere ("the Netherlands", "República de El Salvador", "Argentina
# (la)"): they are dropped from every key, the index's and the query's alike, so "El
# Salvador", "el Salvador" and "Salvador" meet on one key.
_ARTICLES = {"the", "el", "la", "los", "las", "le", "les", "l"}
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_CODE = re.compile(r"[A-Za-z]{2,3}")
_UNKNOWN = {"unknown", "desconocido", "inconnu", "na", "none", ""}


@dataclass(frozen=True)
class UNState:
    """One UN Member or observer State with its names in the UN's languages."""

    iso2: str
    iso3: str
    observer: bool
    names: tuple[tuple[str, str], ...]  # (column, name), column as in NAME_COLUMNS

    def name(self, column: str) -> str:
        return dict(self.names)[column]


@lru_cache(maxsize=1)
def un_states() -> tuple[UNState, ...]:
    """Return the UN Member and observer States of the shipped seed file."""
    with UN_STATES_FILE.open(newline="", encoding="utf-8") as fh:
        return tuple(
            UNState(row["iso2"], row["iso3"], row["un_status"] == "observer",
                    tuple((column, row[column]) for column in NAME_COLUMNS))
            for row in csv.DictReader(fh)
        )


def normalise(name: str) -> str:
    """Return the comparison key of a State's name: no case, accents, punctuation or articles."""
    # Some exports escape punctuation as HTML ("&#40;Unknown&#41;", "Bosnia &amp; ...").
    text = fold(_APOSTROPHES.sub(" ", html.unescape(name))).replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", text)
    return "".join(_ABBREVIATIONS.get(w, w) for w in words if w not in _ARTICLES)


def _rearranged(name: str) -> list[str]:
    """'Korea, Republic of' -> 'Republic of Korea', 'Korea'; 'Iran (…)' -> '… Iran', 'Iran'."""
    forms = []
    if "," in name:
        head, tail = name.split(",", 1)
        forms += [f"{tail} {head}", head]
    if "(" in name:
        head, inner = name.split("(", 1)
        forms += [f"{inner.split(')', 1)[0]} {head}", head]
    return forms


@lru_cache(maxsize=4)
def _translations(language: str) -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:  # pragma: no cover - pycountry ships Spanish and French
        return gettext.NullTranslations()


def _iso_names(country) -> list[str]:
    """Return ISO's names of a country in English and their Spanish and French translations."""
    english = [country.name]
    english += [getattr(country, a) for a in ("common_name", "official_name")
                if hasattr(country, a)]
    return english + [_translations(language).gettext(name)
                      for language in ("es", "fr") for name in english]


class _Index:
    """Keys to codes; a key two States would share identifies neither."""

    def __init__(self) -> None:
        self.keys: dict[str, str | None] = {}

    def add(self, name: str, code: str) -> None:
        key = normalise(name)
        if key in self.keys and self.keys[key] != code:
            self.keys[key] = None
        else:
            self.keys[key] = code

    def known(self) -> dict[str, str]:
        return {k: v for k, v in self.keys.items() if v}


@lru_cache(maxsize=1)
def _base_index() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Return (codes, names, partial names) to codes, built once per process."""
    codes: dict[str, str] = {}
    un, partial = _Index(), _Index()
    for state in un_states():
        codes[state.iso2], codes[state.iso3] = state.iso2, state.iso2
        for _column, name in state.names:
            un.add(name, state.iso2)
            if "(" in name:  # "Iran (Islamic Republic of)" is also "Islamic Republic of Iran"
                forms = _rearranged(name)
                un.add(forms[-2], state.iso2)
                partial.add(forms[-1], state.iso2)
    clashes = sorted(k for k, v in un.keys.items() if v is None)
    if clashes:
        raise ValueError(f"{UN_STATES_FILE.name}: names shared by two States: {clashes}")
    names = un.known()
    for alias, code in ALIASES.items():
        names.setdefault(normalise(alias), code)
    iso = _Index()
    for country in pycountry.countries:
        codes.setdefault(country.alpha_2, country.alpha_2)
        codes.setdefault(country.alpha_3, country.alpha_2)
        for name in _iso_names(country):
            iso.add(name, country.alpha_2)
            forms = _rearranged(name)  # pairs of (rearranged whole, head)
            for whole, head in zip(forms[::2], forms[1::2], strict=True):
                iso.add(whole, country.alpha_2)
                partial.add(head, country.alpha_2)
    for key, code in iso.known().items():
        names.setdefault(key, code)
    return codes, names, partial.known()


class CountryResolver:
    """Resolve State names to ISO 3166-1 alpha-2 codes; extra names may be added."""

    def __init__(self, extra: Iterable[tuple[str, str]] = ()) -> None:
        self._codes, names, self._partial = _base_index()
        self._names = dict(names)
        for name, code in extra:
            if name:
                self._names.setdefault(normalise(name), code)
        self._cache: dict[str, str | None] = {}

    def resolve(self, name: str) -> str | None:
        """Return the alpha-2 code of a State, or None when unknown."""
        if name not in self._cache:
            self._cache[name] = self._resolve(name)
        return self._cache[name]

    def _resolve(self, name: str) -> str | None:
        bare = name.replace("*", "").strip()
        if _CODE.fullmatch(bare) and bare.upper() in self._codes:
            return self._codes[bare.upper()]
        key = normalise(bare)
        if key in _UNKNOWN:
            return None
        found = self._names.get(key) or self._partial.get(key)
        if found:
            return found
        for form in _rearranged(bare):
            form_key = normalise(form)
            found = self._names.get(form_key) or self._partial.get(form_key)
            if found:
                return found
        return None

    def split_joined(self, names: Iterable[str]) -> list[str]:
        """Split 'Spain and Italy' in two, unless the whole is one State ('Trinidad and Tobago')."""
        out = []
        for name in names:
            if " and " in name and not self.resolve(name):
                out.extend(part.strip() for part in name.split(" and ") if part.strip())
            else:
                out.append(name)
        return out


@lru_cache(maxsize=1)
def default_resolver() -> CountryResolver:
    return CountryResolver()


def alpha3(code: str) -> str:
    """Return the alpha-3 code of an alpha-2 code."""
    country = pycountry.countries.get(alpha_2=code)
    return country.alpha_3 if country else code
