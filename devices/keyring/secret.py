"""`Secret`: a decrypted credential that does not print, log, pickle or serialize itself."""

from __future__ import annotations

import hmac

MASK = "Secret('********')"


class Secret:
    """A plaintext credential held in memory for as long as a connection needs it.

    `repr()`, `str()`, f-strings and `%` formatting all give `Secret('********')`, so logging a
    Secret, putting it in an exception message or an audit detail shows nothing. `json` and
    `pickle` refuse it (a Celery argument or result, a cache entry cannot carry it by accident).
    The value is only available through an explicit `.reveal()` at the point of use.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret holds text (str)")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """The plaintext. Call it where the credential is used (the login call), nowhere earlier."""
        return self._value

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]  # unhashable: it must not become a dict key or set member

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Secret is immutable")

    def __reduce__(self):
        raise TypeError("a Secret cannot be pickled; pass the record id and decrypt where it is used")

    def __bool__(self) -> bool:
        return bool(self._value)
