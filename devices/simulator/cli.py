"""RouterOS CLI interpreter shared by SSH, `/import`, `/system script run` and the scheduler.

Supports the syntax configuration uses: menu paths in space or slash form (a bare path line
changes the current menu, as in exports), `add|set|remove|enable|disable|print|get|find|
export|import|unset` plus menu commands, `[find where ...]` / `[find name=...]` and other
`[...]` substitutions, quoted values with RouterOS escapes, `\\` line continuations, `#`
comments, `;` separators, and `:put`, `:delay`, `:log`, `:len`, `:local`/`:global` with `$var`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import RouterOSError
from .export import quote
from .faults import parse_duration
from .menus import MENUS, PATH_PREFIXES, canonical_path, menu_for

if TYPE_CHECKING:
    from .device import SimDevice, SimUser

UNESCAPE = {
    '"': '"',
    "\\": "\\",
    "$": "$",
    "?": "?",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "_": " ",
}
VAR_MARK = "\x00"
_VAR_RE = re.compile("\x00\\$([A-Za-z0-9_-]+)")
FLAG_WORDS = (
    "detail",
    "terse",
    "count-only",
    "without-paging",
    "brief",
    "value-list",
    "as-value",
    "follow",
    "once",
    "show-sensitive",
    "hide-sensitive",
    "compact",
    "verbose",
    "stats",
    "interval",
)


@dataclass
class Token:
    """One CLI word: optional `key=`, a value, or a `[...]` substitution; col for error messages."""

    key: str | None
    value: str
    sub: str | None = None
    quoted: bool = False
    col: int = 0
    block: str | None = None  # `{ ... }` (do=, else=)
    expr: str | None = None  # `( ... )`


@dataclass
class Statement:
    line: int
    tokens: list[Token] = field(default_factory=list)


@dataclass
class CliResult:
    """Terminal output of a CLI run; `error` is the first failure (the script stops there)."""

    output: str
    error: RouterOSError | None = None

    @property
    def text(self) -> str:
        if self.error is None:
            return self.output
        return self.output + self.error.message + "\n"

    @property
    def ok(self) -> bool:
        return self.error is None


def _read_quoted(s: str, i: int) -> tuple[str, int]:
    """Parse a quoted string starting after the opening quote; returns (value, index after)."""
    out: list[str] = []
    n = len(s)
    while i < n:
        c = s[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\" and i + 1 < n:
            nxt = s[i + 1]
            if nxt in "\r\n":  # continuation inside a string
                i += 2 if s[i + 1 : i + 3] != "\r\n" else 3
                while i < n and s[i] in " \t":
                    i += 1
                continue
            if nxt in UNESCAPE:
                out.append(UNESCAPE[nxt])
                i += 2
                continue
            hexpair = s[i + 1 : i + 3]
            if len(hexpair) == 2 and all(ch in "0123456789ABCDEFabcdef" for ch in hexpair):
                out.append(chr(int(hexpair, 16)))
                i += 3
                continue
            out.append(nxt)
            i += 2
            continue
        if c == "$" and i + 1 < n and (s[i + 1].isalnum() or s[i + 1] == "_"):
            out.append(VAR_MARK)  # expanded by Interpreter._value; escaped \$ stays literal
        out.append(c)
        i += 1
    raise RouterOSError("syntax error (unterminated string)", "bad-arg")


def _read_bracket(s: str, i: int, open_: str = "[", close: str = "]") -> tuple[str, int]:
    """Text inside balanced brackets (quote-aware), starting after the opening one."""
    depth, start, n = 1, i, len(s)
    while i < n:
        c = s[i]
        if c == '"':
            _, i = _read_quoted(s, i + 1)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return s[start:i], i + 1
        i += 1
    raise RouterOSError(f"syntax error (missing {close})", "bad-arg")


def tokenize(script: str) -> list[Statement]:
    statements: list[Statement] = []
    current = Statement(1)
    line, line_start, i, n = 1, 0, 0, len(script)
    while i < n:
        c = script[i]
        if c == "\\" and script[i + 1 : i + 2] in ("\n", "\r"):
            i += 2 if script[i + 1 : i + 3] != "\r\n" else 3
            line += 1
            line_start = i
            continue
        if c in " \t\r":
            i += 1
            continue
        if c in "\n;":
            if current.tokens:
                statements.append(current)
            if c == "\n":
                line += 1
                line_start = i + 1
            i += 1
            current = Statement(line)
            continue
        if c == "#" and not current.tokens:
            while i < n and script[i] != "\n":
                i += 1
            continue
        if c == "}":
            raise RouterOSError(f"syntax error (line {line} column {i - line_start + 1})", "bad-arg")
        col = i - line_start + 1
        key: str | None = None
        parts: list[str] = []
        sub: str | None = None
        block: str | None = None
        expr: str | None = None
        quoted = False
        while i < n:
            c = script[i]
            if c in " \t\r\n;":
                break
            if c == "\\" and script[i + 1 : i + 2] in ("\n", "\r"):
                break
            if c == '"':
                value, i = _read_quoted(script, i + 1)
                parts.append(value)
                quoted = True
                continue
            if c == "[":
                sub, i = _read_bracket(script, i + 1)
                continue
            if c == "{":
                start_line = script.count("\n", 0, i)
                block, i = _read_bracket(script, i + 1, "{", "}")
                line += script.count("\n", 0, i) - start_line
                continue
            if c == "(" and not parts and not quoted:
                expr, i = _read_bracket(script, i + 1, "(", ")")
                continue
            if c == "=" and key is None and not quoted and sub is None:
                key = "".join(parts)
                parts = []
                i += 1
                continue
            parts.append(c)
            i += 1
        if not current.tokens:
            current.line = line
        current.tokens.append(Token(key, "".join(parts), sub, quoted, col, block, expr))
    if current.tokens:
        statements.append(current)
    return statements


class Interpreter:
    """Runs CLI text against one device as one user, keeping the current menu between lines."""

    def __init__(self, device: SimDevice, user: SimUser | None = None, cwd: str = "/") -> None:
        self.device = device
        self.user = user
        self.cwd = cwd
        self.vars: dict[str, str] = {}
        self.line = 1
        self.menu_path: str | None = None  # menu of the command being run ([find] runs there)

    # ------------------------------------------------------------------ entry points
    def run(self, script: str) -> CliResult:
        out: list[str] = []
        try:
            statements = tokenize(script)
        except RouterOSError as exc:
            return CliResult("", exc)
        for st in statements:
            self.line = st.line
            try:
                text = self.statement(st.tokens)
            except RouterOSError as exc:
                return CliResult("".join(out), exc)
            if text:
                out.append(text if text.endswith("\n") else text + "\n")
        return CliResult("".join(out))

    def evaluate(self, text: str) -> str:
        """Value of a `[ ... ]` substitution (runs in the current menu)."""
        sub = Interpreter(self.device, self.user, self.menu_path or self.cwd)
        sub.vars = self.vars
        sub.line = self.line
        statements = tokenize(text)
        value = ""
        for st in statements:
            value = sub.statement(st.tokens, want_value=True)
        return value.rstrip("\n")

    # ------------------------------------------------------------------ statements
    def _value(self, tok: Token) -> str:
        if tok.sub is not None:
            return self.evaluate(tok.sub)
        if tok.expr is not None:
            return _Expression(self, tok.expr).value()
        if not tok.quoted and tok.value.startswith("$"):
            return self.vars.get(tok.value[1:], "")
        if VAR_MARK in tok.value:
            return _VAR_RE.sub(lambda m: self.vars.get(m.group(1), ""), tok.value).replace(VAR_MARK, "")
        return tok.value

    def _bad(self, word: str, col: int) -> RouterOSError:
        return RouterOSError(f"bad command name {word} (line {self.line} column {col})", "bad-path")

    def statement(self, tokens: list[Token], want_value: bool = False) -> str:
        first = tokens[0]
        if first.key is None and first.sub is None and first.value.startswith(":"):
            return self.builtin(first.value[1:], tokens[1:])
        path = self.cwd
        idx = 0
        command: str | None = None
        command_col = 0
        while idx < len(tokens):
            tok = tokens[idx]
            if tok.key is not None or tok.sub is not None or tok.quoted:
                break
            word = tok.value
            segments: list[str]
            if word.startswith("/"):
                path = "/"
                segments = [s for s in word.split("/") if s]
            elif idx == 0 or command is None:
                segments = [s for s in word.split("/") if s]
            else:
                break
            consumed_all = True
            for j, seg in enumerate(segments):
                if seg == "..":
                    path = "/" + "/".join(path.strip("/").split("/")[:-1]) if path != "/" else "/"
                    continue
                candidate = canonical_path(path + "/" + seg)
                if candidate in PATH_PREFIXES or candidate in MENUS:
                    path = candidate
                    continue
                if j != len(segments) - 1:
                    raise self._bad(seg, tok.col)
                command = seg
                command_col = tok.col
                consumed_all = False
            idx += 1
            if not consumed_all:
                break
        if command is None:
            if idx < len(tokens):
                tok = tokens[idx]
                raise self._bad(tok.key or tok.value, tok.col)
            self.cwd = path
            return ""
        return self.command(path, command, tokens[idx:], command_col, want_value)

    def builtin(self, name: str, args: list[Token]) -> str:
        dev = self.device
        if name == "put":
            return " ".join(self._value(t) if t.key is None else f"{t.key}={self._value(t)}" for t in args) + "\n"
        if name == "delay":
            seconds = parse_duration(self._value(args[0])) if args else 1.0
            if not dev.ctx.clock.sleep(seconds, dev.ctx.stopping):
                raise RouterOSError("interrupted", "failure")
            return ""
        if name == "log":
            level = args[0].value if args else "info"
            message = " ".join(self._value(t) for t in args[1:])
            dev.log(f"script,{level}", message)
            return ""
        if name in ("local", "global", "set"):
            if not args:
                raise RouterOSError(f"syntax error (line {self.line})", "bad-arg")
            self.vars[args[0].value] = self._value(args[1]) if len(args) > 1 else ""
            return ""
        if name == "len":  # an id list from [find] counts its items (RouterOS arrays), a string its characters
            value = self._value(args[0]) if args else ""
            items = [v for v in value.split(";") if v]
            return str(len(items) if items and all(v.startswith("*") for v in items) else len(value))
        if name == "return":
            return self._value(args[0]) if args else ""
        if name == "if":
            blocks = {t.key: t.block for t in args if t.key in ("do", "else")}
            if not args or args[0].expr is None or blocks.get("do") is None:
                raise RouterOSError(f"syntax error (line {self.line})", "bad-arg")
            branch = blocks["do"] if _truthy(self._value(args[0])) else blocks.get("else")
            return self.run_block(branch or "")
        if name == "foreach":
            items = next((t for t in args if t.key == "in"), None)
            body = next((t.block for t in args if t.key == "do"), None)
            if not args or items is None or body is None:
                raise RouterOSError(f"syntax error (line {self.line})", "bad-arg")
            out = []
            for item in (v for v in self._value(items).split(";") if v):
                self.vars[args[0].value] = item
                out.append(self.run_block(body))
            return "".join(out)
        raise self._bad(":" + name, 1)

    def run_block(self, text: str) -> str:
        """Run a `{ ... }` body in this interpreter (same variables and menu)."""
        out = []
        for st in tokenize(text):
            result = self.statement(st.tokens)
            if result:
                out.append(result if result.endswith("\n") else result + "\n")
        return "".join(out)

    # ------------------------------------------------------------------ menu commands
    def _split_args(self, args: list[Token]) -> tuple[list[Token], dict[str, str], list[str]]:
        positional: list[Token] = []
        attrs: dict[str, str] = {}
        flags: list[str] = []
        for tok in args:
            if tok.key is not None:
                attrs[tok.key] = self._value(tok)
            elif tok.sub is None and not tok.quoted and tok.value in FLAG_WORDS:
                flags.append(tok.value)
            else:
                positional.append(tok)
        return positional, attrs, flags

    def command(self, path: str, cmd: str, args: list[Token], col: int, want_value: bool) -> str:
        dev, user = self.device, self.user
        self.menu_path = path
        try:
            dev.resolve_command(f"{path}/{cmd}")
        except RouterOSError:
            if cmd not in ("find", "get", "export", "import", "print", "edit", "unset"):
                raise self._bad(cmd, col) from None
        if cmd == "print" or cmd == "find":
            return self.print_or_find(path, cmd, args, want_value)
        if cmd == "export":
            _, attrs, flags = self._split_args(args)
            show = True if "show-sensitive" in flags else False if "hide-sensitive" in flags else None
            text = dev.export(
                show_sensitive=show, terse="terse" in flags, path=path if path != "/" else None, user=user
            )
            if "file" in attrs:
                name = attrs["file"] if attrs["file"].endswith(".rsc") else attrs["file"] + ".rsc"
                self._write_file(name, text)
                return ""
            return text
        if cmd == "import" and path == "/":
            positional, attrs, _ = self._split_args(args)
            name = attrs.get("file-name") or (self._value(positional[0]) if positional else "")
            return dev.import_file(name, user)
        positional, attrs, flags = self._split_args(args)
        for key in attrs:
            menu = menu_for(path, dev.major)
            if (
                menu is not None
                and menu.kind != "view"
                and cmd in ("add", "set")
                and key not in menu.fmap
                and key not in (".id", "numbers")
            ):
                tok = next(t for t in args if t.key == key)
                raise RouterOSError(f"expected end of command (line {self.line} column {tok.col})", "bad-arg")
        item = self._value(positional[0]) if positional else attrs.pop("numbers", None)
        if cmd == "add":
            new_id = dev.add(path, attrs, user)
            return new_id if want_value else ""
        if cmd == "set":
            menu = menu_for(path, dev.major)
            if menu is not None and menu.kind == "single":
                dev.set(path, None, attrs, user)
            else:
                if item is None:
                    raise RouterOSError("no such item", "not-found")
                dev.set(path, item, attrs, user)
            return ""
        if cmd in ("remove", "enable", "disable"):
            if item is None:
                raise RouterOSError("no such item", "not-found")
            if item == "":
                return ""  # [find ...] matched nothing: RouterOS does nothing
            getattr(dev, cmd)(path, item, user)
            return ""
        if cmd == "get":
            return self.get(path, positional, attrs)
        if cmd == "unset":
            return self.unset(path, positional)
        if cmd == "run" and path == "/system/script":
            return dev.run_script(item or "", user)
        if cmd == "monitor-traffic" and item:
            attrs.setdefault("interface", item)
        if item is not None and "numbers" not in attrs and cmd not in ("monitor-traffic",):
            attrs["numbers"] = item
        rows = dev.execute(path, cmd, attrs, user)
        if want_value:
            return (rows[-1].get("ret") or rows[-1].get("received", "")) if rows else ""
        return "".join(_format_single(r) for r in rows)

    def _write_file(self, name: str, text: str) -> None:
        dev = self.device
        with dev._lock:
            existing = next((f for f in dev.state.rows("/file") if f.get("name") == name), None)
            if existing is not None:
                dev.set("/file", existing[".id"], {"contents": text}, self.user)
            else:
                dev.add("/file", {"name": name, "contents": text}, self.user)

    def get(self, path: str, positional: list[Token], attrs: dict[str, str]) -> str:
        dev = self.device
        menu = menu_for(path, dev.major)
        values = [self._value(t) for t in positional]
        if menu is not None and (menu.kind == "single" or (menu.kind == "view" and path != "/interface")):
            prop = values[-1] if values else attrs.get("value-name", "")
            return _cli_value(dev.get(path, None, prop, self.user))
        if len(values) < 2:
            raise RouterOSError(f"syntax error (line {self.line})", "bad-arg")
        return _cli_value(dev.get(path, values[0], values[1], self.user))

    def unset(self, path: str, positional: list[Token]) -> str:
        dev = self.device
        values = [self._value(t) for t in positional]
        menu = menu_for(path, dev.major)
        if menu is None or not values:
            raise RouterOSError("no such item", "not-found")
        with dev._lock:
            dev._check_writable(menu, self.user)
            if menu.kind == "single":
                for prop in values:
                    dev.state.singles.get(path, {}).pop(prop, None)
            else:
                for _, row in dev.resolve_items(menu, values[0]):
                    for prop in values[1:]:
                        row.pop(prop, None)
            dev._changed(menu)
        return ""

    # ------------------------------------------------------------------ print / find
    def print_or_find(self, path: str, cmd: str, args: list[Token], want_value: bool) -> str:
        dev = self.device
        flags: list[str] = []
        conditions: list[Token] = []
        proplist: list[str] | None = None
        where = False
        for tok in args:
            if not where and tok.key is None and tok.value == "where" and not tok.quoted:
                where = True
                continue
            if where:
                conditions.append(tok)
            elif tok.key == "proplist":
                proplist = self._value(tok).split(",")
            elif tok.key is None and tok.value in FLAG_WORDS:
                flags.append(tok.value)
            elif tok.key is not None and tok.key not in ("file", "interval"):
                conditions.append(tok)
        rows = [_cli_row(r) for r in dev.print(path, self.user)]
        if conditions:
            matcher = _Where(self, conditions)
            rows = [r for r in rows if matcher.match(r)]
        if cmd == "find":
            return ";".join(r[".id"] for r in rows if ".id" in r)
        if "count-only" in flags:
            return f"{len(rows)}\n"
        if proplist:
            rows = [{k: r[k] for k in [".id", *proplist] if k in r} for r in rows]
        menu = menu_for(path, dev.major)
        if menu is not None and (menu.kind == "single" or (menu.kind == "view" and rows and ".id" not in rows[0])):
            return "".join(_format_single(r) for r in rows)
        return _format_list(rows, "terse" in flags)


class _Where:
    """`where` / find conditions: k=v, k!=v, k~regex, k<v, k>v, bare booleans, and/or/not."""

    def __init__(self, interp: Interpreter, tokens: list[Token]) -> None:
        self.interp = interp
        self.tokens = tokens

    def match(self, row: dict[str, str]) -> bool:
        self.pos = 0
        return self._or(row)

    def _or(self, row: dict[str, str]) -> bool:
        result = self._and(row)
        while (
            self.pos < len(self.tokens)
            and self.tokens[self.pos].value in ("or", "||")
            and not self.tokens[self.pos].key
        ):
            self.pos += 1
            result = self._and(row) or result
        return result

    def _and(self, row: dict[str, str]) -> bool:
        result = self._not(row)
        while self.pos < len(self.tokens):
            tok = self.tokens[self.pos]
            if tok.key is None and tok.value in ("or", "||"):
                break
            if tok.key is None and tok.value in ("and", "&&"):
                self.pos += 1
            result = self._not(row) and result
        return result

    def _not(self, row: dict[str, str]) -> bool:
        tok = self.tokens[self.pos]
        if tok.key is None and tok.value in ("not", "!") and not tok.quoted:
            self.pos += 1
            return not self._not(row)
        self.pos += 1
        return self._cond(tok, row)

    def _cond(self, tok: Token, row: dict[str, str]) -> bool:
        if tok.key is not None:
            key, value = tok.key, self.interp._value(tok)
            if key.endswith("!"):
                return row.get(key[:-1], "") != value
            if key.endswith("<") or key.endswith(">"):
                return _compare(row.get(key[:-1]), value, key[-1] + "=")
            return _same(row.get(key), value)
        text = tok.value
        for op in ("~", "<", ">"):
            if op in text:
                key, _, value = text.partition(op)
                if op == "~":
                    return re.search(value, row.get(key, "")) is not None
                return _compare(row.get(key), value, op)
        if text.startswith("!"):
            return row.get(text[1:], "no") != "yes"
        return row.get(text, "no") == "yes"


def _truthy(value: str) -> bool:
    if value in ("true", "yes"):
        return True
    try:
        return float(value) != 0
    except ValueError:
        return False


class _Expression:
    """`( ... )` expressions: literals, $vars, [subs], = != < > <= >=, . (concat), ! && || and or not."""

    OPS = ("!=", "<=", ">=", "&&", "||", "=", "<", ">", "!", ".")

    def __init__(self, interp: Interpreter, text: str) -> None:
        self.interp = interp
        self.items = self._lex(text)
        self.pos = 0

    def _lex(self, text: str) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c.isspace():
                i += 1
            elif c == '"':
                value, i = _read_quoted(text, i + 1)
                items.append(("val", value))
            elif c == "[":
                inner, i = _read_bracket(text, i + 1)
                items.append(("val", self.interp.evaluate(inner)))
            elif c == "(":
                inner, i = _read_bracket(text, i + 1, "(", ")")
                items.append(("val", _Expression(self.interp, inner).value()))
            elif c == "$":
                j = i + 1
                while j < n and (text[j].isalnum() or text[j] in "_-"):
                    j += 1
                items.append(("val", self.interp.vars.get(text[i + 1 : j], "")))
                i = j
            else:
                op = next((o for o in self.OPS if text.startswith(o, i)), None)
                if op is not None and not (op == "." and i + 1 < n and text[i + 1].isdigit()):
                    items.append(("op", op))
                    i += len(op)
                    continue
                j = i
                while j < n and not text[j].isspace() and text[j] not in '"[]()$=<>!&|':
                    j += 1
                word = text[i:j] or text[i]
                i = j if j > i else i + 1
                items.append(
                    ("op", {"and": "&&", "or": "||", "not": "!"}[word])
                    if word in ("and", "or", "not")
                    else ("val", word)
                )
        return items

    def _peek(self) -> tuple[str, str] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def value(self) -> str:
        return self._or() if self.items else ""

    def _or(self) -> str:
        left = self._and()
        while self._peek() == ("op", "||"):
            self.pos += 1
            right = self._and()
            left = "true" if _truthy(left) or _truthy(right) else "false"
        return left

    def _and(self) -> str:
        left = self._not()
        while self._peek() == ("op", "&&"):
            self.pos += 1
            right = self._not()
            left = "true" if _truthy(left) and _truthy(right) else "false"
        return left

    def _not(self) -> str:
        if self._peek() == ("op", "!"):
            self.pos += 1
            return "false" if _truthy(self._not()) else "true"
        return self._compare()

    def _compare(self) -> str:
        left = self._concat()
        item = self._peek()
        if item is not None and item[0] == "op" and item[1] in ("=", "!=", "<", ">", "<=", ">="):
            self.pos += 1
            right = self._concat()
            if item[1] == "=":
                return "true" if left == right else "false"
            if item[1] == "!=":
                return "true" if left != right else "false"
            return "true" if _compare(left, right, item[1]) else "false"
        return left

    def _concat(self) -> str:
        left = self._atom()
        while self._peek() == ("op", "."):
            self.pos += 1
            left += self._atom()
        return left

    def _atom(self) -> str:
        item = self._peek()
        if item is None or item[0] != "val":
            raise RouterOSError("syntax error (bad expression)", "bad-arg")
        self.pos += 1
        return item[1]


def _same(have: str | None, want: str) -> bool:
    if have is None:
        return want == ""
    return have == want


def _compare(have: str | None, want: str, op: str) -> bool:
    if have is None:
        return False
    try:
        a, b = float(have), float(want)
    except ValueError:
        a, b = have, want  # type: ignore[assignment]
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]  # type: ignore[operator]


def _cli_value(value: str) -> str:
    return {"true": "yes", "false": "no"}.get(value, value)


def _cli_row(row: dict[str, Any]) -> dict[str, str]:
    return {k: _cli_value(v) for k, v in row.items()}


def _format_single(row: dict[str, str]) -> str:
    if not row:
        return ""
    width = max(len(k) for k in row)
    return "".join(f"{k.rjust(width)}: {v}\n" for k, v in row.items() if k != ".id")


def _format_list(rows: list[dict[str, str]], terse: bool) -> str:
    out = ["Flags: X - disabled, D - dynamic, R - running\n"] if not terse else []
    for n, row in enumerate(rows):
        flags = ("X" if row.get("disabled") == "yes" else " ") + ("D" if row.get("dynamic") == "yes" else " ")
        flags += "R" if row.get("running") == "yes" else " "
        attrs = " ".join(
            f"{k}={quote(v)}" for k, v in row.items() if k not in (".id", "disabled", "dynamic", "running")
        )
        out.append(f"{n:>2} {flags} {attrs}\n")
    return "".join(out)
