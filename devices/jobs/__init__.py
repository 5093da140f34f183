"""Jobs: multi-device operations (commands, backups; later pushes and upgrades) with per-device
progress. Verbs in `runner`, kinds in `kinds` (registry), tasks in `tasks`, lease recovery in
`recovery`; models in devices/models/jobs.py."""
