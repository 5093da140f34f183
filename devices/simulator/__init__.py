"""RouterOS fleet simulator: many simulated MikroTik routers on loopback, over real protocols.

Importable without Django.  Start one with ``python -m devices.simulator --count N --seed S``
or embed it (``Fleet(...).serve()`` / ``testing.running_fleet(...)``).  Layout:

- ``catalog`` / ``hardware``: boards, versions and per-device hardware facts from the seed
- ``menus``: menu schemas; ``state``: a device's config tables; ``factory``: factory-fresh
  state and the seeded configuration; ``views``: computed menus (counters, resources, ...)
- ``device``: ``SimDevice``, the one state every frontend reads/writes (contract for frontends)
- ``cli``: RouterOS CLI interpreter; ``export``: ``/export`` rendering; ``query``: API queries
- ``api_protocol`` / ``api_server``: API and API-SSL; ``tls``: the per-fleet CA
- ``faults`` / ``latency``: fault injection and reply latency; ``scheduler``: /system scheduler
- ``fleet``: addressing, shared sockets, serving; ``control``: HTTP/JSON control endpoint
"""
