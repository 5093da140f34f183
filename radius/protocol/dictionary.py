"""Attribute dictionary: which (vendor, type) pair has which name, data type and encryption.

A `Dictionary` is immutable once built; `extend()` returns a new one, so the server can layer a
tenant's custom attributes over the standard set without touching the shared default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Data types the codec understands (names follow FreeRADIUS' dictionaries).
TYPES = frozenset(
    {
        "string",  # UTF-8 text
        "octets",  # opaque bytes
        "integer",  # 32-bit unsigned
        "integer64",  # 64-bit unsigned
        "short",  # 16-bit unsigned
        "byte",  # 8-bit unsigned
        "ipaddr",  # IPv4 address
        "ipv6addr",  # IPv6 address
        "ipv6prefix",  # RFC 3162 reserved byte, prefix length, prefix
        "ifid",  # 8-byte interface id
        "date",  # 32-bit seconds since the epoch (UTC)
        "vsa",  # Vendor-Specific container (attribute 26)
    }
)

# Values of AttributeDef.encrypt.
ENCRYPT_NONE = 0
ENCRYPT_USER_PASSWORD = 1  # RFC 2865 5.2 (also RFC 2548 MS-CHAP-MPPE-Keys)
ENCRYPT_SALT = 2  # RFC 2868 3.5 / RFC 2548 2.4.2 (Tunnel-Password, MS-MPPE-Send/Recv-Key)

VENDOR_SPECIFIC = 26
MESSAGE_AUTHENTICATOR = 80
PROXY_STATE = 33


@dataclass(frozen=True, slots=True)
class AttributeDef:
    """One attribute. `vendor` is 0 for standard attributes, the IANA enterprise number otherwise."""

    name: str
    code: int
    type: str
    vendor: int = 0
    tag: bool = False
    encrypt: int = ENCRYPT_NONE
    concat: bool = False  # long values split over several attributes (EAP-Message)
    values: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown attribute type {self.type!r} for {self.name}")
        if not 0 < self.code < 256:
            raise ValueError(f"attribute code out of range for {self.name}")
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    @property
    def key(self) -> tuple[int, int]:
        return (self.vendor, self.code)

    def value_name(self, number: int) -> str | None:
        """The symbolic name of an enumerated integer value, if the dictionary has one."""
        for name, value in self.values.items():
            if value == number:
                return name
        return None


class Dictionary:
    """Lookup by name (case-insensitive) and by (vendor, code)."""

    def __init__(self, attributes: Iterable[AttributeDef], vendors: Mapping[int, str]) -> None:
        self.vendors: Mapping[int, str] = MappingProxyType(dict(vendors))
        self._by_key: dict[tuple[int, int], AttributeDef] = {}
        self._by_name: dict[str, AttributeDef] = {}
        for attr in attributes:
            if attr.vendor and attr.vendor not in self.vendors:
                raise ValueError(f"{attr.name}: vendor {attr.vendor} is not declared")
            self._by_key[attr.key] = attr
            self._by_name[attr.name.lower()] = attr

    def extend(self, attributes: Iterable[AttributeDef], vendors: Mapping[int, str] | None = None) -> Dictionary:
        """A new dictionary with `attributes` added (replacing same-named or same-keyed ones)."""
        merged_vendors = dict(self.vendors)
        merged_vendors.update(vendors or {})
        extra = list(attributes)
        replaced_keys = {a.key for a in extra}
        replaced_names = {a.name.lower() for a in extra}
        kept = [a for a in self._by_key.values() if a.key not in replaced_keys and a.name.lower() not in replaced_names]
        return Dictionary(kept + extra, merged_vendors)

    def __getitem__(self, name_or_key: str | tuple[int, int]) -> AttributeDef:
        """The definition for a name or (vendor, code); KeyError with the name when unknown."""
        if isinstance(name_or_key, str):
            try:
                return self._by_name[name_or_key.lower()]
            except KeyError:
                raise KeyError(f"unknown RADIUS attribute {name_or_key!r}") from None
        return self._by_key[name_or_key]

    def get(self, key: tuple[int, int]) -> AttributeDef | None:
        return self._by_key.get(key)

    def __contains__(self, name_or_key: object) -> bool:
        if isinstance(name_or_key, str):
            return name_or_key.lower() in self._by_name
        return name_or_key in self._by_key

    def __iter__(self):
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def name_for(self, key: tuple[int, int]) -> str:
        """Name for a key, or a stable placeholder (`Attr-99`, `Vendor-14988-Attr-99`) when unknown."""
        attr = self._by_key.get(key)
        if attr is not None:
            return attr.name
        vendor, code = key
        return f"Vendor-{vendor}-Attr-{code}" if vendor else f"Attr-{code}"


def _default() -> Dictionary:
    from radius.protocol.definitions import ATTRIBUTES, VENDORS

    return Dictionary(ATTRIBUTES, VENDORS)


DEFAULT_DICTIONARY = _default()
