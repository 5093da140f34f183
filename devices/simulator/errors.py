"""Errors raised by simulated devices, shaped like RouterOS' own error replies.

Every frontend (API `!trap`, SSH CLI text, REST JSON, ...) renders the same error, so the
error carries both the RouterOS wording and a coarse category the frontends can map to their
own status codes (e.g. REST 400/401/404).
"""

from __future__ import annotations

CATEGORIES = ("bad-path", "bad-arg", "no-perm", "not-found", "failure")

# RouterOS API `!trap =category=` numbers (0 missing item/command, 1 argument failure,
# 2 interrupted, 3 scripting failure, 4 general failure, 5 API failure).
API_CATEGORY = {"bad-path": "0", "bad-arg": "1", "no-perm": None, "not-found": "0", "failure": "4"}


class RouterOSError(Exception):
    """A command failed the way RouterOS would fail it."""

    def __init__(self, message: str, category: str = "failure") -> None:
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}")
        super().__init__(message)
        self.message = message
        self.category = category

    @property
    def api_category(self) -> str | None:
        """The `=category=` number RouterOS puts in an API `!trap`, or None."""
        return API_CATEGORY[self.category]


def no_such_command_prefix() -> RouterOSError:
    return RouterOSError("no such command prefix", "bad-path")


def no_such_command() -> RouterOSError:
    return RouterOSError("no such command", "bad-path")


def unknown_parameter(name: str = "") -> RouterOSError:
    err = RouterOSError("unknown parameter", "bad-arg")
    err.parameter = name  # type: ignore[attr-defined]
    return err


def no_permission() -> RouterOSError:
    return RouterOSError("not enough permissions (9)", "no-perm")


def no_such_item() -> RouterOSError:
    return RouterOSError("no such item", "not-found")
