"""Record ids and page numbers as they arrive from outside: digits within the columns' range."""

from __future__ import annotations

# Every id column is an INTEGER: 32 bits on PostgreSQL. A larger number names no record,
# and sent to the database it is an error (SQLite refuses anything beyond 64 bits).
MAX_ID = 2**31 - 1
# A page beyond this would ask the database for an offset past any table it holds.
MAX_PAGE = 2**31 - 1


def _digits(raw) -> str | None:
    # str.isdigit() also accepts "²" and other digits int() refuses: ASCII digits only.
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    return raw.lstrip("0") or "0" if raw.isascii() and raw.isdigit() else None


def parse_id(raw) -> int | None:
    """Return raw (text or int) as a record id, or None when it is malformed or out of range."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 < raw <= MAX_ID else None
    digits = _digits(raw)
    if digits is None or len(digits) > len(str(MAX_ID)):
        return None
    value = int(digits)
    return value if 0 < value <= MAX_ID else None


def parse_page(raw) -> int:
    """Return the page number asked for: 1 when it is not one, at most MAX_PAGE."""
    digits = _digits(raw)
    if digits is None:
        return 1
    if len(digits) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(digits), 1), MAX_PAGE)
