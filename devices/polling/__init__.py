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

Protocols: RouterOS API-SSL (8729) and API (8728), in the device's order (`protocol`, then
`fallback_protocols`), API-SSL verified per the device's `tls_mode` (CA, pinned fingerprint —
trust on first use — or insecure). SSH, REST and SNMP polling are not implemented yet: a device
whose protocols include neither API variant is recorded as `degraded` with that reason.

Failures are statuses (offline: refused/reset; unreachable: no answer, TLS failure;
auth_failed: login refused or no credentials → `auth_blocked`, never retried until
`mark_credentials_changed` or `retry_device`; degraded: resource/interface menus failing).
After `POLL_BREAKER_FAILURES` consecutive failures a device backs off 30 s, doubling to 900 s.
"""
