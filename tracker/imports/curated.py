"""What the office curated by hand survives an import, each difference reported.

A recommendation lists the fields staff changed on the web (``curated_fields``, named as
an import reports them: "text", "text_es", "terms", ...). An import leaves those alone
and records a conflict, "the file says X, the office has Y", unless the person importing
chose the file's value: everywhere, or on the rows they picked in the preview.
"""

from __future__ import annotations

from collections.abc import Collection

from tracker.audit import plain
from tracker.extensions import db
from tracker.imports.result import Conflict, ImportResult
from tracker.models import Document

# The file's links, as (stored, wanted) pairs under the names the import reports them by.
LINKS = ("terms", "recommending_states")


class CuratedGuard:
    """Keep the office's curated values out of an update, and report the conflicts."""

    def __init__(self, result: ImportResult, overwrite: bool | Collection[int],
                 term_codes: dict[int, str], country_codes: dict[int, str]) -> None:
        self.result = result
        self.overwrite = overwrite
        self.term_codes = term_codes
        self.country_codes = country_codes

    def overwrites(self, row: int) -> bool:
        """Whether the file's values replace the office's on this row."""
        if isinstance(self.overwrite, bool):
            return self.overwrite
        return row in self.overwrite

    def check(self, row: int, curated_fields: list[str], values: dict, office: dict,
              links: dict[str, tuple[set[int], set[int]]]) -> dict[str, set[int]]:
        """Drop the curated fields from ``values`` (unless overwritten); return links to keep.

        ``office`` holds the stored value of each field in ``values``; ``links`` the stored
        and the wanted ids of each link. Overwriting takes the fields off the curated list.
        """
        curated = set(curated_fields)
        overwrite = self.overwrites(row)
        found: list[Conflict] = []
        for name in [name for name in values if name in curated
                     or (name == "mechanism_id" and "document_id" in curated)]:
            if name != "mechanism_id":  # it follows the document, reported with it
                found.append(Conflict(name, self.shown(name, values[name]),
                                      self.shown(name, office[name]), overwrite))
            if not overwrite:
                del values[name]
        kept = {}
        for name, (current, wanted) in links.items():
            kept[name] = wanted
            if name in curated and wanted != current:
                found.append(Conflict(name, self.shown(name, wanted),
                                      self.shown(name, current), overwrite))
                if not overwrite:
                    kept[name] = current
        if found:
            self.result.conflicts[row] = found
            if overwrite:
                values["curated_fields"] = sorted(curated - {c.field for c in found})
        return kept

    def shown(self, name: str, value) -> object:
        """Return a value as a reviewer reads it in a conflict (a symbol, codes, text)."""
        if name == "document_id":
            document = db.session.get(Document, value)
            return document.symbol if document else value
        if name == "terms":
            return sorted(self.term_codes.get(term_id, str(term_id)) for term_id in value)
        if name == "recommending_states":
            return sorted(self.country_codes.get(country_id, str(country_id))
                          for country_id in value)
        return plain(value)
