"""The polling engine: status, facts and metrics of every enabled device, on schedule.

Pieces (each module says more):
- `tasks`: beat → `devices.poll_schedule` → per tenant `devices.poll_tenant` (claims due devices,
  `schedule`) → `devices.poll_batch` (locks, polls, stores); rollup and partition jobs.
- `engine`: one asyncio/uvloop loop per worker process in a background thread, a pool of open
  RouterOS API connections keyed by device, a semaphore (`POLL_CONCURRENCY`) on conversations in
  flight, pipelined (tagged) commands: one round trip per poll.
- `collect`: what a poll asks (`/system/resource`, `/system/health`, `/interface`, wireless/wifi
  registration tables; identity, routerboard and license every `POLL_FACTS_EVERY_S`) and parsing.
- `lock`: Redis `SET NX PX` per device; `writer`: samples and device state, batched; `rollup`,
  `partitions`: downsampling and partition upkeep; `stats`: lag and outcome counters in Redis.

Protocols, in the device's order (`protocol`, then `fallback_protocols`): RouterOS API-SSL (8729)
and API (8728), verified per the device's `tls_mode` (CA, pinned fingerprint — trust on first use —
or insecure); REST (HTTPS, same TLS modes, RouterOS 7.1+) and SSH (CLI `print`s, host key pinned on
first use) asked the same questions and parsed by the same code; SNMP v2c/v3 (`collect_snmp`:
MIB-II, HOST-RESOURCES, MIKROTIK-MIB; no architecture fact). A poll over a fallback says so in the
device's status reason.

Failures are statuses (offline: refused/reset; unreachable: no answer, TLS failure;
auth_failed: login refused or no credentials → `auth_blocked`, never retried until
`mark_credentials_changed` or `retry_device`; degraded: resource/interface menus failing).
After `POLL_BREAKER_FAILURES` consecutive failures a device backs off 30 s, doubling to 900 s.
"""
