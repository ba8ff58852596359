"""Every string a user reads has a Spanish translation, and the catalogues are current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "tracker" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None,
            "_l": None, "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
METHODS = [
    ("tracker/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]


def _source_messages() -> set[tuple[str, str | None]]:
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        found.add((message[0] if isinstance(message, tuple) else message, context))
    return found


def _catalogue(lang: str):
    with (CATALOGUES / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def _translated(message) -> bool:
    if message is None or message.fuzzy:
        return False
    text = message.string
    return all(text) if isinstance(text, tuple) else bool(text)


def test_every_source_string_has_a_spanish_translation():
    catalogue = _catalogue("es")
    missing = sorted(
        (m, c or "") for m, c in _source_messages() if not _translated(catalogue.get(m, c))
    )
    assert missing == [], f"{len(missing)} strings lack Spanish (run `make extract-messages`)"


def test_english_catalogue_lists_every_source_string():
    catalogue = _catalogue("en")
    missing = sorted((m, c or "") for m, c in _source_messages() if catalogue.get(m, c) is None)
    assert missing == [], f"{len(missing)} strings missing from the English catalogue"


def test_spanish_translations_keep_their_placeholders():
    import re

    catalogue = _catalogue("es")
    pattern = re.compile(r"%\(\w+\)[sd]")
    for message in catalogue:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for index, text in enumerate(strings):
            english = set(pattern.findall(ids[min(index, len(ids) - 1)]))
            found = set(pattern.findall(text))
            # A singular form may spell the number out ("cada mes" for "every month").
            ok = found <= english if (len(ids) > 1 and index == 0) else found == english
            assert ok, message.id
