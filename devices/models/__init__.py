from .keys import TenantKey

__all__ = ["TenantKey"]
