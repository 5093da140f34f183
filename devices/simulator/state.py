"""Per-device mutable configuration: tables of rows plus settings menus.

Rows are plain dicts of RouterOS attribute strings ("yes"/"no" for booleans, as the CLI
shows them).  Keys starting with "_" are simulator bookkeeping and are never printed:
"_fx" points at the factory template of a factory row (export prints only differences from
it), "_dyn" marks dynamic rows (never exported).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from .errors import RouterOSError, no_such_item
from .menus import MENUS, Menu

Row = dict[str, Any]


_IDS = [f"*{n:X}" for n in range(4096)]


def format_id(number: int) -> str:
    """RouterOS internal ids look like *1, *A, *1F."""
    return _IDS[number] if number < 4096 else f"*{number:X}"


def bool_value(name: str, value: str) -> str:
    low = value.strip().lower()
    if low in ("yes", "true"):
        return "yes"
    if low in ("no", "false"):
        return "no"
    raise RouterOSError(f"invalid value for argument {name}", "bad-arg")


def network_of(address: str) -> str:
    try:
        return str(ipaddress.ip_interface(address).network.network_address)
    except ValueError as exc:
        raise RouterOSError("invalid value for argument address", "bad-arg") from exc


class DeviceState:
    """The configuration of one device (what export shows and persistence saves)."""

    __slots__ = ("tables", "singles", "next_ids")

    def __init__(self) -> None:
        self.tables: dict[str, list[Row]] = {}
        self.singles: dict[str, dict[str, str]] = {}
        self.next_ids: dict[str, int] = {}

    # ---- ids and lookup
    def new_id(self, menu: Menu) -> str:
        space = menu.id_space or menu.path
        number = self.next_ids.get(space, 1)
        self.next_ids[space] = number + 1
        return format_id(number)

    def rows(self, path: str) -> list[Row]:
        return self.tables.setdefault(path, [])

    def find_row(self, path: str, row_id: str) -> Row:
        for row in self.tables.get(path, ()):
            if row[".id"] == row_id:
                return row
        raise no_such_item()

    def interface_rows(self) -> list[tuple[Menu, Row]]:
        """Every interface row from the per-type menus, in .id order."""
        out = [
            (menu, row)
            for menu in MENUS.values()
            if menu.id_space == "interface"
            for row in self.tables.get(menu.path, ())
        ]
        out.sort(key=lambda item: int(item[1][".id"][1:], 16))
        return out

    def interface_names(self) -> set[str]:
        return {row.get("name", "") for _, row in self.interface_rows()}

    # ---- persistence
    def to_json(self) -> dict[str, Any]:
        tables = {}
        for path, rows in self.tables.items():
            out = []
            for row in rows:
                item = {k: v for k, v in row.items() if not k.startswith("_")}
                if "_fx" in row:
                    item["_fx"] = dict(row["_fx"])
                if row.get("_dyn"):
                    item["_dyn"] = True
                out.append(item)
            tables[path] = out
        return {"tables": tables, "singles": self.singles, "next_ids": self.next_ids}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeviceState:
        state = cls()
        state.tables = {path: [dict(r) for r in rows] for path, rows in data["tables"].items()}
        state.singles = {k: dict(v) for k, v in data["singles"].items()}
        state.next_ids = dict(data["next_ids"])
        return state
