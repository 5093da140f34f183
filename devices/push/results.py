"""What a push or restore changed, for the job page: each succeeded device's post-push backup
and the pre-push one to diff it against (the step log already names both; this links them)."""

from __future__ import annotations

from devices.models import BackupStatus, ConfigBackup, ConfigPush

PUSH_KINDS = ("push", "restore")


def diff_links(rows) -> dict:
    """{job row id: (post-push backup id, pre-push backup id)} for succeeded rows whose device
    was backed up after the push; call in the tenant context (a page's request)."""
    done = [r for r in rows if r.state == "succeeded"]
    if not done:
        return {}
    pushes = ConfigPush.objects.filter(job_device__in=[r.pk for r in done], pre_backup__isnull=False).select_related(
        "pre_backup"
    )
    out = {}
    for push in pushes:
        after = (
            ConfigBackup.objects.filter(
                device_id=push.device_id, status=BackupStatus.OK, taken_at__gt=push.pre_backup.taken_at
            )
            .order_by("taken_at")
            .values_list("pk", flat=True)
            .first()
        )
        if after is not None:
            out[push.job_device_id] = (after, push.pre_backup_id)
    return out
