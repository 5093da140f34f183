"""Formatting of device measurements in templates (`{% load device_format %}`)."""

from __future__ import annotations

from django import template

register = template.Library()

_BIT_UNITS = ("bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s")


@register.filter
def bitrate(value) -> str:
    """1234567 → "1.2 Mbit/s" (decimal units, as routers count); None → "—"."""
    if value is None or value == "":
        return "—"
    rate, unit = abs(float(value)), 0
    while rate >= 1000 and unit < len(_BIT_UNITS) - 1:
        rate /= 1000
        unit += 1
    return f"{rate:.0f} {_BIT_UNITS[unit]}" if rate >= 100 or unit == 0 else f"{rate:.1f} {_BIT_UNITS[unit]}"
