"""Config push with automatic rollback (commit-confirm), and restore of a stored backup version.

`script` renders what is sent (raw or a sandboxed Jinja2 template), `device_ops` talks to the
router (the rollback timer, verification), `safe_apply` is one device's persisted step machine,
`preview` shows what a push would send. The job kinds live in devices/jobs/push_kind.py.
"""
