"""Template context: the tenants the user can switch to and the active one."""


def tenancy(request):
    return {
        "active_tenant": getattr(request, "tenant", None),
        "tenant_access": getattr(request, "tenant_access", None),
    }
