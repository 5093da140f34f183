"""Firmware upgrades: installed vs latest RouterOS per device and channel, and the upgrade job's
device steps (the `upgrade` job kind lives in devices/jobs/upgrade_kind.py)."""
