"""What a push sends: a raw RouterOS script, or a Jinja2 template rendered per device.

Why a sandbox: templates are written by tenant admins and rendered inside the worker, next to
decrypted credentials. `jinja2.sandbox.SandboxedEnvironment` refuses access to internals
(`__class__`, `__globals__`, `mro()` …) and unsafe callables, so a template can read the facts
we hand it and nothing else. The facts are plain dicts and strings — never a model instance.

What callers may rely on:
- `check_script(text)` / `compile_template(text)` raise ValidationError with a message a user
  can act on (a template's syntax error names its line);
- `render(template, device, variables)` returns the device's script or raises ValidationError
  naming the device and the line;
- `danger_of_script(text)` says why a script is dangerous ("" when it is not), with the same
  rules as commands (devices/jobs/commands.py).
"""

from __future__ import annotations

import hashlib
import re

import jinja2
from django.core.exceptions import ValidationError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from audit.redaction import redact_text
from devices.jobs.commands import DANGEROUS_MENUS, DANGEROUS_PATHS, READ_VERBS

MAX_SCRIPT_CHARS = 64_000
MAX_VARIABLES = 100
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# names RouterOS itself uses for the rollback machinery: a script must not touch them
RESERVED = "mikman-rollback"

MAX_REPEAT = 10_000


class _Sandbox(SandboxedEnvironment):
    """The sandbox plus arithmetic limits: `9**9**9` or `"x" * 10**9` would burn a worker's CPU
    or memory; such templates are refused instead."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise SecurityError("the power operator (**) is not available in push templates")
        if operator == "*":
            sizes = [v for v in (left, right) if isinstance(v, int | float) and not isinstance(v, bool)]
            if any(isinstance(v, str | list | tuple) for v in (left, right)) and any(
                abs(v) > MAX_REPEAT for v in sizes
            ):
                raise SecurityError(f"repeating text more than {MAX_REPEAT} times is not allowed")
        return super().call_binop(context, operator, left, right)


_env = _Sandbox(
    undefined=jinja2.StrictUndefined,  # a typo in a variable name is an error, not an empty string
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check_script(text: str, *, what: str = "script") -> str:
    """A script as the user wrote it (line endings normalised), or ValidationError."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ValidationError({what: "Write the RouterOS script to push."})
    if len(text) > MAX_SCRIPT_CHARS:
        raise ValidationError({what: f"The {what} is longer than {MAX_SCRIPT_CHARS} characters."})
    if redact_text(text) != text:
        raise ValidationError(
            {
                what: "The script carries a secret (a password=, secret= or key= value). Jobs store their "
                "scripts, so they never take secrets: change credentials through credential profiles."
            }
        )
    if RESERVED in text:
        raise ValidationError({what: f"Names starting with {RESERVED!r} are reserved for the rollback timer."})
    return text


def check_variables(variables) -> dict[str, str]:
    if variables in (None, ""):
        return {}
    if not isinstance(variables, dict) or len(variables) > MAX_VARIABLES:
        raise ValidationError({"variables": f"An object of at most {MAX_VARIABLES} name: value pairs."})
    clean = {}
    for name, value in variables.items():
        if not VARIABLE_NAME.match(str(name)) or name in ("device", "vars"):
            raise ValidationError(
                {"variables": f"{str(name)[:40]!r} is not a variable name (letters, digits, _; not device or vars)."}
            )
        if not isinstance(value, str | int | float | bool):
            raise ValidationError({"variables": f"{name}: a string or a number."})
        clean[str(name)] = value
    return clean


def compile_template(text: str) -> jinja2.Template:
    try:
        return _env.from_string(text)
    except jinja2.TemplateSyntaxError as exc:
        raise ValidationError({"template": f"Template error on line {exc.lineno}: {exc.message}"}) from None


def device_facts(device) -> dict:
    """What a template may read about a device: plain values only."""
    site = device.site
    return {
        "name": device.name,
        "identity": device.identity,
        "model": device.model,
        "version": device.ros_version,
        "serial": device.serial,
        "site": site.name if site is not None else "",
        "tags": list(device.tags or []),
        "host": device.host,
    }


SAMPLE_FACTS = {
    "name": "device",
    "identity": "device",
    "model": "RB5009UG+S+",
    "version": "7.16.2",
    "serial": "HEX0000000",
    "site": "site",
    "tags": [],
    "host": "192.0.2.1",
}


def render(template_text: str, device, variables: dict) -> str:
    """The device's script from the template; ValidationError names the device and the line."""
    return render_facts(template_text, device_facts(device), variables, label=device.name)


def dry_render(template_text: str, variables: dict) -> None:
    """Render once with sample facts: undefined names, sandbox refusals and filter errors are
    400s when the job is created, not failures on every device later."""
    render_facts(template_text, SAMPLE_FACTS, variables, label="template")


def render_facts(template_text: str, facts: dict, variables: dict, *, label: str) -> str:
    template = compile_template(template_text)
    try:
        text = _bounded(template.generate(device=facts, vars=dict(variables), **dict(variables)))
    except jinja2.TemplateError as exc:  # undefined variables, sandbox refusals, filter errors
        line = _template_line(exc)
        where = f" on line {line}" if line else ""
        message = getattr(exc, "message", None) or str(exc)
        raise ValidationError({"template": f"{label}: template error{where}: {message}"}) from None
    except (ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise ValidationError({"template": f"{label}: template error: {exc}"}) from None
    return check_script(text, what="template")


def _bounded(chunks) -> str:
    """Join the output, stopping once it is longer than any script may be (a loop that prints
    for ever ends here instead of filling the worker's memory)."""
    out, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_SCRIPT_CHARS:
            raise ValidationError({"template": f"The rendered script is longer than {MAX_SCRIPT_CHARS} characters."})
        out.append(chunk)
    return "".join(out)


def _template_line(exc: BaseException) -> int | None:
    lineno = getattr(exc, "lineno", None)
    if lineno:
        return lineno
    tb = exc.__traceback__
    line = None
    while tb is not None:  # the rendered template's frame carries the template's line numbers
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# --- dangerous content (same rules as single commands) --------------------------------------------
_STOP = ("[", ":", "$", '"', "{", "}", "(")


def danger_of_script(text: str) -> str:
    """Why the script is dangerous ("" when it is not): any line whose menu path and verb the
    command rules call dangerous (reboot, reset-configuration, /user changes, /ip service …).
    A line without a leading `/` continues the menu of the last line that had one, as RouterOS
    scripts do. Conservative: `/user group print` counts as a change (the word after the menu is
    not a read verb); commands nested in `:if … do={…}` blocks are not inspected."""
    menu: list[str] = []
    for raw in text.split("\n"):
        tokens = raw.strip().split()
        if not tokens or tokens[0].startswith(("#", *_STOP)):
            continue
        words: list[str] = []
        for token in tokens:
            if "=" in token or token.startswith(_STOP):
                break
            words.extend(part for part in token.split("/") if part)
        full = words if tokens[0].startswith("/") else [*menu, *words]
        if tokens[0].startswith("/"):
            menu = full
        path = "/" + "/".join(full)
        for prefix, why in DANGEROUS_PATHS.items():
            if path == prefix or path.startswith(prefix + "/"):
                return why
        for danger_menu, why in DANGEROUS_MENUS.items():
            menu_words = danger_menu.strip("/").split("/")
            n = len(menu_words)
            if full[:n] == menu_words and len(full) > n and full[n] not in READ_VERBS:
                return why
    return ""
