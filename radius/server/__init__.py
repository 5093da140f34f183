"""The RADIUS server (`manage.py radius_server`): User Manager for every tenant over UDP.

Modules: directory (the per-tenant in-memory cache), invalidation (LISTEN/NOTIFY → reloads),
authorize (Access-Request decisions), accounting (sessions), store (batched writes), server (the
asyncio endpoints), runner (worker processes and signals).
"""
