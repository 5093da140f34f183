"""RouterOS commands as users type them → RouterOS API sentences, and which ones are dangerous.

Accepted forms (both mean the same):

    /system/identity/set name=edge-1
    /system identity set name="edge 1"
    /interface/print ?type=ether .proplist=name,running

Leading words without `=` form the menu path and the verb; `name=value` become API attributes,
`?…` queries and `.proplist=`/`.tag=`-style words pass through. CLI-only syntax (`[find …]`,
`:local`, `;`) is refused with a clear message: it has no API equivalent.

Dangerous commands (need the admin role and an explicit confirmation): see `DANGEROUS_PATHS`
and `DANGEROUS_MENUS`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from audit.redaction import redact_text

MAX_COMMAND_CHARS = 2000
READ_VERBS = {"print", "get", "getall", "export", "monitor", "listen"}
# verbs whose first bare argument names the item (`set ether1 …` → `=numbers=ether1`)
ITEM_VERBS = {"set", "remove", "enable", "disable", "unset", "comment", "move", "reset-counters", "monitor"}
# re-running these leaves the device as one run would (safe to re-queue after a worker died)
IDEMPOTENT_VERBS = READ_VERBS | {"set", "enable", "disable", "unset", "ping"}

DANGEROUS_PATHS = {
    "/system/reboot": "reboots the device",
    "/system/shutdown": "shuts the device down",
    "/system/reset-configuration": "erases the device's configuration",
    "/system/package/update/install": "installs another RouterOS version and reboots",
    "/system/package/update/download": "downloads a RouterOS upgrade for the next reboot",
    "/system/package/downgrade": "downgrades RouterOS",
    "/system/routerboard/upgrade": "replaces the RouterBOARD firmware",
    "/system/backup/load": "replaces the configuration with a backup",
    "/system/script/run": "runs a stored script (which may do anything)",
    "/import": "runs a script file (which may do anything)",
    "/file/remove": "deletes files (backups, certificates, packages)",
}
# any verb but a read (print, get, export, …) under these menus
DANGEROUS_MENUS = {
    "/user": "changes router users, groups or keys",
    "/ip/service": "changes the management services (may cut off access)",
    "/certificate": "changes certificates",
}


@dataclass(frozen=True)
class ApiCommand:
    path: str  # "/system/identity/set"
    words: tuple[str, ...]  # ("=name=edge-1",)

    @property
    def verb(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def text(self) -> str:
        """The command as a user writes it; `parse_command(text)` gives this command back."""
        parts = [self.path]
        for word in self.words:
            if word.startswith("="):
                name, _, value = word[1:].partition("=")
                parts.append(f"{name}={_quote(value)}")
            elif any(c.isspace() or c in "\"'" for c in word):
                parts.append(_quote(word))
            else:
                parts.append(word)
        return " ".join(parts)

    @property
    def cli_text(self) -> str:
        """The same command in terminal syntax (for SSH): `/system identity set name="x"`."""
        menu = self.path.strip("/").split("/")
        return " ".join(["/" + " ".join(menu), *self.text.split(" ", 1)[1:]])


def parse_command(text: str) -> ApiCommand:
    """Raises ValidationError with a message a user can act on."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("Enter a command, e.g. /system/identity/print.")
    if len(text) > MAX_COMMAND_CHARS:
        raise ValidationError(f"The command is longer than {MAX_COMMAND_CHARS} characters.")
    if "\n" in text or ";" in text:
        raise ValidationError("One command per job: no line breaks or `;`.")
    if not text.startswith("/"):
        raise ValidationError("A command starts with its menu path, e.g. /system/identity/print.")
    if redact_text(text) != text:
        raise ValidationError(
            "The command carries a secret (a password=, secret= or key= value). Jobs store their "
            "commands, so they never take secrets: change credentials through credential profiles."
        )
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise ValidationError(f"The command cannot be read: {exc}.") from None
    path_parts: list[str] = []
    words: list[str] = []
    for token in tokens:
        if token.startswith(("[", ":", "$")):
            raise ValidationError(
                f"`{token[:20]}`: CLI scripting ([find …], :local, $variables) has no API equivalent; "
                "use a query (?name=value) or an item id (numbers=*1)."
            )
        if words or "=" in token or token.startswith(("?", ".")):
            words.append(_api_word(token))
            continue
        if path_parts and path_parts[-1] in ITEM_VERBS:  # `/ip service set api …`: the item
            words.append(f"=numbers={token}")
            continue
        path_parts.extend(p for p in token.split("/") if p)
    if len(path_parts) < 2 and "/" + "/".join(path_parts) != "/import":
        raise ValidationError("Name the menu and the verb, e.g. /system/identity/print.")
    path = "/" + "/".join(path_parts)
    for word in words:
        if not word.startswith(("=", "?", ".")):
            raise ValidationError(f"`{word}`: arguments are name=value.")
    return ApiCommand(path, tuple(words))


def _api_word(token: str) -> str:
    if token.startswith(("?", ".", "=")):
        return token
    if "=" not in token:
        return token  # rejected by the caller with a clear message
    return "=" + token


def danger_of(command: ApiCommand) -> str:
    """Why the command is dangerous ("" when it is not)."""
    for prefix, why in DANGEROUS_PATHS.items():
        if command.path == prefix or command.path.startswith(prefix + "/"):
            return why
    for menu, why in DANGEROUS_MENUS.items():
        if (command.path.startswith(menu + "/")) and command.verb not in READ_VERBS:
            return why
    return ""


def is_idempotent(command: ApiCommand) -> bool:
    return command.verb in IDEMPOTENT_VERBS


def format_rows(rows: list[dict[str, str]], limit: int) -> tuple[str, bool]:
    """API reply rows as text, one `name=value …` line per row (internal `.`-attributes hidden
    but `.id`); secrets masked. Returns (text, truncated)."""
    lines = []
    for row in rows:
        parts = []
        for name, value in row.items():
            if name.startswith(".") and name != ".id":
                continue
            parts.append(f"{name}={_quote(value)}")
        lines.append(" ".join(parts))
    text = redact_text("\n".join(lines))
    if len(text) > limit:
        return text[:limit], True
    return text, False


def _quote(value: str) -> str:
    if value == "" or any(c.isspace() or c in "\"'\\" for c in value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value
