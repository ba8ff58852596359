"""Writing DOCX files in constant memory: plain paragraphs from Markdown, a streamed body.

python-docx keeps a whole document in memory. ``StreamedBody`` writes the body out batch by
batch instead: each batch of paragraphs is built with python-docx as usual, serialised into
``word/document.xml`` and taken out of the tree again, so only the skeleton (styles,
numbering, properties) stays in memory, whatever the length of the document.
"""

from __future__ import annotations

import functools
import re
import zipfile
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

from lxml import etree
from markdown_it import MarkdownIt

DOCUMENT_PART = "word/document.xml"
XML_DECLARATION = b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
# Where a serialised batch ends; user text cannot hold it, since "<" is always escaped.
_BATCH_END = "tracker-batch-end"
_BATCH_END_XML = f"<!--{_BATCH_END}-->"
# Characters XML 1.0 refuses (python-docx would raise on them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Run = tuple[str, bool, bool]  # text, bold, italic


def xml_text(text: str | None) -> str:
    """Return text without the characters a DOCX cannot hold, line ends as "\\n"."""
    return _NOT_XML.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))


# --- Markdown descriptions as plain paragraphs ---------------------------------------------

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable("table")


@dataclass(frozen=True)
class Block:
    """One paragraph of a converted description: its runs and its Word style."""

    runs: tuple[Run, ...]
    style: str | None = None


def _inline_runs(children) -> list[Run]:
    runs: list[Run] = []
    bold = italic = 0
    link_start, href = 0, None
    for child in children:
        kind = child.type
        if kind in ("strong_open", "strong_close"):
            bold += 1 if kind == "strong_open" else -1
            continue
        if kind in ("em_open", "em_close"):
            italic += 1 if kind == "em_open" else -1
            continue
        if kind == "link_open":
            link_start, href = len(runs), child.attrGet("href")
            continue
        if kind == "link_close":
            shown = "".join(run[0] for run in runs[link_start:])
            address = str(href or "").removeprefix("mailto:")
            if not address or address == shown:
                continue
            # A printed draft loses the link; keep the address readable after its text.
            piece = f" ({address})"
        elif kind in ("text", "code_inline", "html_inline", "image"):
            piece = child.content
        elif kind == "softbreak":
            piece = " "
        elif kind == "hardbreak":
            piece = "\n"
        else:
            continue
        runs.append((piece, bold > 0, italic > 0))
    return runs


# One progress report often covers many paragraphs of a document: parse it once.
@functools.lru_cache(maxsize=256)
def markdown_blocks(text: str | None) -> tuple[Block, ...]:
    """Turn a Markdown description into plain paragraphs, keeping list items as bullets."""
    blocks: list[Block] = []
    lists: list[list] = []  # [ordered, next number] of each open list, outermost first
    first_in_item = heading = False
    row: list[str] | None = None
    for token in _markdown.parse(text or ""):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append([kind == "ordered_list_open", int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            first_in_item = True
        elif kind in ("heading_open", "heading_close"):
            heading = kind == "heading_open"
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            blocks.append(Block(((" | ".join(row or []), False, False),)))
            row = None
        elif kind in ("fence", "code_block") and token.content.strip():
            blocks.append(Block(((token.content.rstrip("\n"), False, False),)))
        elif kind == "inline":
            runs = _inline_runs(token.children or [])
            if row is not None:
                row.append("".join(run[0] for run in runs).strip())
                continue
            if not "".join(run[0] for run in runs).strip():
                continue
            style = None
            if lists:
                depth = min(len(lists), 3)
                suffix = f" {depth}" if depth > 1 else ""
                ordered = lists[-1][0]
                style = ("List Bullet" if first_in_item and not ordered else "List Continue")
                style += suffix
                if first_in_item and ordered:
                    # Word's own numbering runs on through the whole file: number by hand.
                    runs.insert(0, (f"{lists[-1][1]}. ", False, False))
                    lists[-1][1] += 1
                first_in_item = False
            elif heading:
                runs = [(piece, True, italic) for piece, _bold, italic in runs]
            blocks.append(Block(tuple(runs), style))
    return tuple(blocks)


# --- the document body, written out batch by batch ----------------------------------------


class StreamedBody:
    """Write word/document.xml batch by batch so python-docx's tree never grows.

    Make it once the styles and core properties are set: every part but the body is
    written then. Add paragraphs to the document as usual, call ``flush()`` after each
    batch and ``close()`` at the end; ``out`` then holds the whole file.
    """

    def __init__(self, document, out: BinaryIO) -> None:
        self.document = document
        self.body = document.element.body
        self.zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
        skeleton = BytesIO()
        document.save(skeleton)
        with zipfile.ZipFile(skeleton) as parts:
            for info in parts.infolist():
                if info.filename != DOCUMENT_PART:
                    self.zip.writestr(info.filename, parts.read(info))
        self.part = None
        self.tail = ""

    def flush(self) -> None:
        """Write out what the body holds and take it out of the tree."""
        section = self.body.get_or_add_sectPr()
        section.addprevious(etree.Comment(_BATCH_END))
        xml = etree.tostring(self.document.element, encoding="unicode")
        for child in list(self.body):
            if child is not section:
                self.body.remove(child)
        start = xml.index("<w:body>") + len("<w:body>")
        end = xml.index(_BATCH_END_XML)
        if self.part is None:
            self.part = self.zip.open(DOCUMENT_PART, "w")
            self.part.write(XML_DECLARATION + xml[:start].encode())
            self.tail = xml[end + len(_BATCH_END_XML):]
        self.part.write(xml[start:end].encode())

    def close(self) -> None:
        self.flush()
        self.part.write(self.tail.encode())
        self.part.close()
        self.zip.close()


