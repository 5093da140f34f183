"""Config backups: versioned, de-duplicated, diffable RouterOS exports (see services.py).

Layout: `fetch.py` (SSH, no database), `normalise.py` (volatile lines, completeness checks),
`services.py` (the verbs: take and store; the entry point other code imports from), with
`binary.py` (`.backup` artefacts), `reading.py` (text, masking, diffs) and `schedule.py` (policy,
claiming due devices, retention) behind it; `tasks.py` (schedule, batches, retention),
`gitmirror.py`, `api/` and `views.py` (API and UI).
"""
