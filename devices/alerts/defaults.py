"""The rules every new tenant starts with (its admins tune or disable them)."""

from __future__ import annotations

DEFAULT_RULES = [
    {
        "name": "Device offline",
        "kind": "offline",
        "threshold": None,
        "duration": 1,
        "clear_after": 1,
        "severity": "critical",
    },
    {
        "name": "CPU above 90 %",
        "kind": "cpu",
        "threshold": 90.0,
        "duration": 5,
        "clear_after": 2,
        "severity": "warning",
    },
    {
        "name": "Memory above 90 %",
        "kind": "memory",
        "threshold": 90.0,
        "duration": 3,
        "clear_after": 2,
        "severity": "warning",
    },
    {
        "name": "Disk above 90 %",
        "kind": "disk",
        "threshold": 90.0,
        "duration": 1,
        "clear_after": 1,
        "severity": "warning",
    },
    {
        "name": "Wireless client signal below -80 dBm",
        "kind": "wireless_signal",
        "threshold": -80.0,
        "duration": 3,
        "clear_after": 2,
        "severity": "info",
    },
]


def create_default_rules(tenant_id) -> int:
    """Create the missing default rules of a tenant (call inside its context). Returns how many."""
    from devices.models import AlertRule

    existing = set(AlertRule.objects.filter(tenant_id=tenant_id).values_list("name", flat=True))
    new = [
        AlertRule(tenant_id=tenant_id, is_default=True, **rule)
        for rule in DEFAULT_RULES
        if rule["name"] not in existing
    ]
    AlertRule.objects.bulk_create(new)
    return len(new)
