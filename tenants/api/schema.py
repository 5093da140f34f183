"""OpenAPI description of the bearer-token scheme (drf-spectacular extension, loaded in apps.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.api.authentication.BearerTokenAuthentication"
    name = "BearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (`mkm_…`) from POST /api/v1/auth/token/ or /api/v1/tokens/.",
        }


class TwoFactorSessionScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.api.authentication.TwoFactorSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
