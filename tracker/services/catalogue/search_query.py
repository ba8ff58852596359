"""The search box's syntax, read into a query each database's full-text index answers.

Words must all match (in any language version, the reference, paragraph or document
symbol); ``"two words"`` is a phrase; ``discrimin*`` a prefix; ``-word`` or ``-"a phrase"``
leaves out what holds it; ``OR`` between two words or phrases lets either match. Anything
else is read as plain words: punctuation separates them, a quote left open is dropped.
A word is looked up as typed and as its Spanish and English stems; a phrase in one of
these three forms throughout, so both databases compare the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.text_analysis import QUERY_LANGUAGES, stem, words

MAX_QUERY_LENGTH = 500
MAX_TERMS = 16
MAX_PHRASE_WORDS = 10
# A shorter prefix would stand for a good part of the index: read as a word instead.
MIN_PREFIX_LENGTH = 2

_PIECE = re.compile(r'(-?)"([^"]*)"|(\S+)')


@dataclass(frozen=True)
class Term:
    """A word, or a phrase of several, whose last word may be a prefix."""

    words: tuple[str, ...]
    prefix: bool = False

    def forms(self) -> list[tuple[str, ...]]:
        """Return the word sequences the term is looked up under: as typed, then stemmed.

        A prefix too: the index holds stems, and "violencia*" is to find "violencias",
        stored as "violenci".
        """
        forms = [self.words]
        for language in QUERY_LANGUAGES:
            stemmed = tuple(stem(language, word) for word in self.words)
            if stemmed not in forms:
                forms.append(stemmed)
        return forms


@dataclass(frozen=True)
class Query:
    """Groups that must all match (any term of a group), and terms that must not."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.groups)

    def words(self) -> list[str]:
        """Return the words the query looks for (not those it leaves out)."""
        return [word for group in self.groups for term in group for word in term.words]

    def tsquery(self) -> str:
        """Return the query in PostgreSQL's ``to_tsquery`` syntax."""

        def term(t: Term) -> str:
            sequences = [" <-> ".join(f"'{word}'" for word in form) for form in t.forms()]
            if t.prefix:
                sequences = [sequence + ":*" for sequence in sequences]
            return "(" + " | ".join(f"({sequence})" for sequence in sequences) + ")"

        wanted = " & ".join("(" + " | ".join(map(term, group)) + ")" for group in self.groups)
        return wanted + "".join(f" & !{term(t)}" for t in self.excluded)

    def fts5(self) -> str:
        """Return the query in SQLite FTS5's ``MATCH`` syntax."""

        def term(t: Term) -> str:
            star = "*" if t.prefix else ""
            return "(" + " OR ".join(f'"{" ".join(form)}"{star}' for form in t.forms()) + ")"

        wanted = " AND ".join("(" + " OR ".join(map(term, group)) + ")"
                              for group in self.groups)
        if not self.excluded:
            return wanted
        return f"({wanted}) NOT (" + " OR ".join(map(term, self.excluded)) + ")"


def clean(q: str) -> str:
    """Return q cut to length, with what cannot be written out (a lone surrogate) replaced."""
    return q[:MAX_QUERY_LENGTH].encode("utf-8", "replace").decode("utf-8")


def parse_query(q: str) -> Query:
    """Read the search box's text; never fails (see the module's docstring for the syntax)."""
    groups: list[tuple[Term, ...]] = []
    excluded: list[Term] = []
    either = False
    count = 0
    for found in _PIECE.finditer(clean(q or "")):
        negative, phrase, piece = found.groups()
        if piece == "OR":
            either = True
            continue
        if piece is not None:
            negative = "-" if piece.startswith("-") else ""
            phrase = piece[1:] if negative else piece
        term = _term(phrase)
        if term is None or count >= MAX_TERMS:
            continue
        count += 1
        if negative:
            excluded.append(term)
        elif either and groups:
            groups[-1] = (*groups[-1], term)
        else:
            groups.append((term,))
        either = False
    return Query(tuple(groups), tuple(excluded))


def _term(text: str) -> Term | None:
    found = words(text)[:MAX_PHRASE_WORDS]
    if not found:
        return None
    prefix = text.rstrip().endswith("*") and len(found[-1]) >= MIN_PREFIX_LENGTH
    return Term(tuple(found), prefix)
