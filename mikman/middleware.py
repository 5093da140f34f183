"""Clears the tenant ContextVar after every request so a thread never carries it to the next one."""

from tenants.context import deactivate_tenant


class TenantContextResetMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            deactivate_tenant()
