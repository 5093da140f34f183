"""The server-rendered web UI: auth, account, platform and tenant pages (tenants/urls.py maps them)."""
