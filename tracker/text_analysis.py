"""Words as full-text search reads them: the same on both databases, done here in Python.

A recommendation's search document is its reference, paragraph and document symbol as
they are written, then each language version's words stemmed in its language (Snowball),
all case-folded and without accents, joined by spaces. PostgreSQL indexes the document
with the ``simple`` configuration and SQLite with FTS5: neither changes a word further, so
both find the same recommendations for the same words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

# A longer "word" is no word (a pasted identifier): cut, alike in documents and queries.
MAX_WORD_LENGTH = 60
# The stemmers a query word goes through: the languages the tracker's texts come in.
QUERY_LANGUAGES = ("es", "en")

_STEMMER_NAMES = {"es": "spanish", "en": "english", "fr": "french", "pt": "portuguese"}
# Letters that Unicode does not decompose into a base letter and an accent.
_TRANSLITERATED = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d",
                                 "ð": "d", "þ": "th", "ı": "i"})
# Words are runs of ASCII letters and digits once folded: anything else separates them.
_WORD = re.compile(r"[a-z0-9]+")


class _Folded(dict):
    """Each character's folded form, worked out the first time the character is met."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        decomposed = unicodedata.normalize("NFKD", ch.casefold().translate(_TRANSLITERATED))
        folded = self[code] = "".join(c for c in decomposed if not unicodedata.combining(c))
        return folded


_FOLDED = _Folded()


def fold(text: str) -> str:
    """Case-fold text and drop its accents ("Niños" → "ninos", "ß" → "ss")."""
    # Character by character through a table (import speed): a combining accent folds
    # to nothing on its own, so this is what folding the whole text at once gives.
    return text.translate(_FOLDED)


def words(text: str) -> list[str]:
    """Return the folded words of text, in order."""
    return [word[:MAX_WORD_LENGTH] for word in _WORD.findall(fold(text))]


@lru_cache(maxsize=8)
def _stemmer(language: str):
    name = _STEMMER_NAMES.get(language)
    return snowballstemmer.stemmer(name) if name else None


# Stems already worked out, by language: words repeat, and a stem costs a call into
# Snowball (PyStemmer's C code behind snowballstemmer; pure Python without it, six times
# slower).
_STEMS: dict[str, dict[str, str]] = {}
_MAX_STEMS = 200_000


def stem(language: str, word: str) -> str:
    """Return a folded word's stem in a language (the word itself if none is known)."""
    known = _STEMS.setdefault(language, {})
    found = known.get(word)
    if found is None:
        stemmer = _stemmer(language)
        found = stemmer.stemWord(word) or word if stemmer and not word.isdigit() else word
        if len(known) >= _MAX_STEMS:
            known.clear()
        known[word] = found
    return found


def query_forms(word: str) -> tuple[str, ...]:
    """Return the forms a typed (folded) word is looked up under: itself and its stems."""
    forms = [word]
    for language in QUERY_LANGUAGES:
        stemmed = stem(language, word)
        if stemmed not in forms:
            forms.append(stemmed)
    return tuple(forms)


def search_document(reference: str | None, paragraph: str | None, symbol: str | None,
                    versions: Iterable[tuple[str, str]]) -> str:
    """Return the search document of a recommendation from its (language, text) versions."""
    tokens = words(" ".join(part for part in (reference, paragraph, symbol) if part))
    for language, text in versions:
        tokens.extend(map(_stemmer_of(language), words(text or "")))
    return " ".join(tokens)


def _stemmer_of(language: str):
    known = _STEMS.setdefault(language, {})

    def stemmed(word: str) -> str:
        found = known.get(word)
        return stem(language, word) if found is None else found

    return stemmed
