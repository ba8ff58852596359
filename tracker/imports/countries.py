"""Match the many spellings of a State's name to its ISO 3166 code.

UHRI writes "Bolivia (Plurinational State of)", pycountry "Bolivia, Plurinational
State of", UPR Info "Bolivia" and a Spanish compilation "Bolivia, Estado
Plurinacional de"; exports also use two-letter codes and starred names
("State of Palestine*"). All of them normalise to the same keys here.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable
from functools import lru_cache

import pycountry

from tracker.imports.records import fold

# Names in real exports that no pycountry field spells (old or informal names).
ALIASES = {
    "dpr korea": "KP",
    "north korea": "KP",
    "south korea": "KR",
    "laos": "LA",
    "macedonia fyr": "MK",
    "macedonia": "MK",
    "the former yugoslav republic of macedonia": "MK",
    "democratic republic of congo": "CD",
    "democratic republic of the congo": "CD",
    "dr congo": "CD",
    "republic of congo": "CG",
    "swaziland": "SZ",
    "cape verde": "CV",
    "turkey": "TR",
    "turquia": "TR",
    "syria": "SY",
    "micronesia": "FM",
    "guinea bissau": "GW",
    "ivory coast": "CI",
    "burma": "MM",
    "east timor": "TL",
    "russia": "RU",
    "vatican": "VA",
    "usa": "US",
    "united states of america": "US",
    "uk": "GB",
    "great britain": "GB",
    "estados unidos de america": "US",
    "republica de corea": "KR",
    "republica popular democratica de corea": "KP",
    "republica checa": "CZ",
}

_UNKNOWN = {"unknown", "desconocido", "n a", "none", ""}


def normalise(name: str) -> str:
    """Return the comparison key of a country name or code."""
    text = fold(name).replace("&", " and ").replace("*", " ")
    text = re.sub(r"[\u2019'`]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"^the ", "", text)
    text = re.sub(r"^(st|ste) ", "saint ", text)
    return text


def _short_forms(name: str) -> list[str]:
    """'Korea, Republic of' -> 'Republic of Korea', 'Korea'; 'Holy See (...)' -> 'Holy See'."""
    forms = []
    if "," in name:
        head, tail = name.split(",", 1)
        forms.append(f"{tail.strip()} {head.strip()}")
        forms.append(head)
    if "(" in name:
        forms.append(name.split("(", 1)[0])
    return forms


@lru_cache(maxsize=1)
def _base_index() -> tuple[dict[str, str], dict[str, str]]:
    try:
        spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    except OSError:  # pragma: no cover - pycountry ships Spanish
        spanish = gettext.NullTranslations()
    primary: dict[str, str] = {}
    secondary: dict[str, str | None] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        names = [country.name]
        for attr in ("common_name", "official_name"):
            if getattr(country, attr, None):
                names.append(getattr(country, attr))
        names += [spanish.gettext(n) for n in list(names)]
        for key in [country.alpha_2, country.alpha_3, *names]:
            primary.setdefault(normalise(key), code)
        for name in names:
            for form in _short_forms(name):
                key = normalise(form)
                # A short form two States share ("Korea", "Congo") identifies neither.
                if key in secondary and secondary[key] != code:
                    secondary[key] = None
                else:
                    secondary[key] = code
    for alias, code in ALIASES.items():
        primary[normalise(alias)] = code
    return primary, {k: v for k, v in secondary.items() if v}


class CountryResolver:
    """Resolve State names to ISO 3166-1 alpha-2 codes; extra names may be added."""

    def __init__(self, extra: Iterable[tuple[str, str]] = ()) -> None:
        primary, secondary = _base_index()
        self._primary = dict(primary)
        self._secondary = secondary
        for name, code in extra:
            if name:
                self._primary.setdefault(normalise(name), code)
        self._cache: dict[str, str | None] = {}

    def resolve(self, name: str) -> str | None:
        """Return the alpha-2 code of a State, or None when unknown."""
        if name not in self._cache:
            self._cache[name] = self._resolve(name)
        return self._cache[name]

    def _resolve(self, name: str) -> str | None:
        key = normalise(name)
        if key in _UNKNOWN:
            return None
        found = self._primary.get(key) or self._secondary.get(key)
        if found:
            return found
        for form in _short_forms(name.replace("*", "")):
            form_key = normalise(form)
            found = self._primary.get(form_key) or self._secondary.get(form_key)
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
