"""Template helpers for the web UI shell (the tenant switcher's choices, initials, active nav)."""

from django import template

from tenants.access import tenants_for

register = template.Library()


@register.simple_tag(takes_context=True)
def switchable_tenants(context):
    """Tenants the signed-in user can enter (super admins: all), for the header's switcher."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return list(tenants_for(user).only("id", "slug", "name").order_by("name"))


@register.filter
def initials(user) -> str:
    name = (getattr(user, "get_full_name", lambda: "")() or getattr(user, "username", "") or "?").strip()
    parts = [p for p in name.replace(".", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def details_summary(details, limit: int = 140) -> str:
    """An audit entry's details as `key=value, …` on one line (already redacted by the audit app)."""
    if not details:
        return ""
    if not isinstance(details, dict):
        text = str(details)
    else:
        text = ", ".join(f"{key}={value}" for key, value in details.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@register.filter
def allows(access, action: str) -> bool:
    """{% if tenant_access|allows:"view" %}: whether the role holds the action (cosmetic only)."""
    return bool(access is not None and access.allows(action))
