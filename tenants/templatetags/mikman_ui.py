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
