"""RouterOS API query words (`?name=x`, `?<n=5`, `?#|!`) evaluated over printed rows."""

from __future__ import annotations

from collections.abc import Callable

from .errors import RouterOSError

Pred = Callable[[dict[str, str]], bool]
_BOOL = {"yes": "true", "no": "false", "true": "true", "false": "false"}


def _num(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _eq(row_value: str | None, value: str) -> bool:
    if row_value is None:
        return value == ""
    if row_value == value:
        return True
    return row_value in ("true", "false") and _BOOL.get(value) == row_value


def _compile(word: str) -> Pred | str:
    body = word[1:]
    if body.startswith("#"):
        return body[1:]  # operator string, interpreted by the stack machine
    if body.startswith("="):
        body = body[1:]
    if body.startswith("-"):
        name = body[1:]
        return lambda r: name not in r
    if body[:1] in ("<", ">"):
        op, rest = body[0], body[1:]
        name, _, value = rest.partition("=")

        def compare(r: dict[str, str]) -> bool:
            have = r.get(name)
            if have is None:
                return False
            a, b = _num(have), _num(value)
            if a is not None and b is not None:
                return a < b if op == "<" else a > b
            return have < value if op == "<" else have > value

        return compare
    if "=" not in body:
        name = body
        return lambda r: name in r
    name, _, value = body.partition("=")
    return lambda r: _eq(r.get(name), value)


def filter_rows(rows: list[dict[str, str]], words: list[str]) -> list[dict[str, str]]:
    """Keep the rows for which the query stack program leaves only true values."""
    program = [_compile(w) for w in words]
    out = []
    for row in rows:
        stack: list[bool] = []
        for item in program:
            if callable(item):
                stack.append(item(row))
                continue
            for op in item:
                try:
                    if op == "|":
                        b, a = stack.pop(), stack.pop()
                        stack.append(a or b)
                    elif op == "&":
                        b, a = stack.pop(), stack.pop()
                        stack.append(a and b)
                    elif op == "!":
                        stack.append(not stack.pop())
                    elif op == ".":
                        stack.append(stack[-1])
                    elif op.isdigit():
                        stack.append(stack[-1 - int(op)] if int(op) < len(stack) else True)
                except IndexError as exc:
                    raise RouterOSError("invalid query", "bad-arg") from exc
        if all(stack):
            out.append(row)
    return out
