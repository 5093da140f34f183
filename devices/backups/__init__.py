"""Config backups: versioned, de-duplicated, diffable RouterOS exports (see services.py).

Layout: `fetch.py` (SSH, no database), `normalise.py` (volatile lines, completeness checks),
`services.py` (the verbs), `tasks.py` (schedule, batches, retention), `gitmirror.py`,
`api/` and `views.py` (API and UI).
"""
