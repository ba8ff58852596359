"""Password hashing (argon2id) and the strength rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
_stand_in: str | None = None


def hash_password(password: str) -> str:
    """Return an argon2id hash of the password."""
    return _hasher.hash(password)


def _stand_in_hash() -> str:
    global _stand_in
    if _stand_in is None:
        _stand_in = _hasher.hash("a password no account has")
    return _stand_in


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash (False for an account without one)."""
    # Without a hash (no such account, or no password chosen yet) do the very work of a
    # real check against a stand-in, so timing does not reveal whether the account exists.
    try:
        matches = _hasher.verify(password_hash or _stand_in_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matches = False
    return matches and bool(password_hash)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
