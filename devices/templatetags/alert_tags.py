"""`{% alert_counts as counts %}`: open alerts by state and severity for the page's user (the
dashboard card includes it without the dashboard view knowing about alerting)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def alert_counts(context) -> dict:
    from devices.alerts.services import alert_counts as counts

    access = context.get("access")
    if access is None:
        return {"open": 0}
    return counts(access)
