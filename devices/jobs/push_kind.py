"""The "push" job kind: a RouterOS script (raw, or a Jinja2 template rendered per device) applied
to every device of the job with an automatic rollback (devices/push/safe_apply.py).

Parameters: `script` (raw) or `template` (+ `variables`), `rollback_s` (the device restores
its pre-push configuration after this many seconds unless the push is confirmed; 3–3600,
default 120), `ping` (optional addresses the device must still reach after the change).

Pushing needs the `push_config` role action (admins, tenants/roles.py); a script with
dangerous lines (reboot, /user, /ip service …, the command rules) also needs `confirm: true`.
Scripts carrying secrets are refused: jobs store their parameters. (A platform service may
send one with the secret masked plus signed `secret_refs`, filled in by the worker only:
devices/push/services.py.)

The step is safe to re-queue after a worker died (`idempotent` is true): the persisted
ConfigPush tells the next run what the dead one did, and it reconciles instead of repeating.
"""

from __future__ import annotations

import concurrent.futures

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from devices.jobs.kinds import Emit, JobKind, Prepared, StepResult, register
from tenants.roles import Action

PUSH_THREADS = 32  # each mostly waits (on the device, on a rollback timer); SSH handshakes share the CPU
MIN_ROLLBACK_S, MAX_ROLLBACK_S, DEFAULT_ROLLBACK_S = 3, 3600, 120
MAX_PINGS = 5


def prepare(params: dict, access) -> Prepared:
    from devices.push.script import check_script, check_variables, danger_of_script, dry_render, sha256

    if access is not None and not access.allows(Action.PUSH_CONFIG):
        raise PermissionDenied(f"Your role ({access.role}) may not push configuration (admins only).")
    if not isinstance(params, dict):
        raise ValidationError({"params": "An object with a `script` or a `template`."})
    unknown = set(params) - {"script", "template", "variables", "rollback_s", "ping", "secret_refs"}
    if unknown:
        raise ValidationError({"params": f"Unknown parameters: {', '.join(sorted(unknown))}."})
    if bool(params.get("script")) == bool(params.get("template")):
        raise ValidationError({"params": "Give either a `script` or a `template`."})
    rollback_s = _rollback_s(params.get("rollback_s"))
    pings = _pings(params.get("ping"))
    out = {"rollback_s": rollback_s, "ping": pings}
    if params.get("script"):
        text = check_script(str(params["script"]))
        if params.get("variables"):
            raise ValidationError({"variables": "Variables are for templates; a raw script is sent as it is."})
        out["script"] = text
        label = "script"
        if params.get("secret_refs"):  # masked secrets a platform service adds (devices/push/services.py)
            from devices.push.services import checked_secret_refs

            out["secret_refs"] = checked_secret_refs(params["secret_refs"], text)
    else:
        if params.get("secret_refs"):
            raise ValidationError({"secret_refs": "Secret references go with a raw script only."})
        text = check_script(str(params["template"]), what="template")
        out["template"] = text
        out["variables"] = check_variables(params.get("variables"))
        dry_render(text, out["variables"])  # template errors now (400 with the line), not per device later
        label = "template"
    danger = danger_of_script(text)
    # every push is "dangerous" for the runner's retry rule (retrying re-pushes: admins only, like
    # pushing); the confirmation is asked for only when the content itself is dangerous
    out["dangerous"] = True
    out["dangerous_content"] = danger
    out["sha256"] = sha256(text)
    lines = len([line for line in text.split("\n") if line.strip()])
    return Prepared(
        params=out,
        summary=f"config push ({label}, {lines} lines, sha256 {out['sha256'][:12]}, rollback {rollback_s} s)",
        dangerous=bool(danger),
        dangerous_reason=danger,
    )


def _rollback_s(value) -> int:
    if value in (None, ""):
        return DEFAULT_ROLLBACK_S
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"rollback_s": "A number of seconds."}) from None
    if not MIN_ROLLBACK_S <= seconds <= MAX_ROLLBACK_S:
        raise ValidationError({"rollback_s": f"Between {MIN_ROLLBACK_S} and {MAX_ROLLBACK_S} seconds."})
    return seconds


def _pings(value) -> list[str]:
    import ipaddress

    if value in (None, "", []):
        return []
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    if not isinstance(value, list) or len(value) > MAX_PINGS:
        raise ValidationError({"ping": f"A list of at most {MAX_PINGS} IP addresses."})
    out = []
    for item in value:
        try:
            out.append(str(ipaddress.ip_address(str(item).strip())))
        except ValueError:
            raise ValidationError({"ping": f"{str(item)[:40]!r} is not an IP address."}) from None
    return out


def idempotent(params: dict) -> bool:
    return True  # re-queued rows reconcile from their persisted ConfigPush (see module docstring)


def script_for(params: dict, device) -> str:
    """The script this device gets (the template rendered with its facts); ValidationError when
    the template fails for it."""
    from devices.push.script import render

    if params.get("script"):
        return params["script"]
    return render(params["template"], device, params.get("variables") or {})


def start(job, rows: list, emit: Emit) -> concurrent.futures.Future:
    """Build each device's work here (tenant context: facts, credentials), then run the devices
    on a few threads, each its own safe apply."""
    from devices.push.safe_apply import run_push

    restore = None
    if job.kind == "restore":
        from devices.models import ConfigBackup

        try:
            restore = _restore_source(job)
        except ConfigBackup.DoesNotExist:
            for row in rows:
                emit(StepResult.failed(row.pk, "The backup version no longer exists (pruned by the retention policy)."))
            from devices.jobs.kinds import done_future

            return done_future()
    works = []
    for row in rows:
        if not row.device.enabled:
            emit(StepResult.skipped(row.pk, "The device is disabled."))
            continue
        if restore is not None and str(row.device_id) != restore[2]:
            emit(StepResult.failed(row.pk, "This backup version belongs to another device."))
            continue
        try:
            works.append(_work_for(job, row, restore))
        except ValidationError as exc:
            emit(StepResult.failed(row.pk, "; ".join(exc.messages)))
        except _NoAccess as exc:
            emit(StepResult.failed(row.pk, str(exc)))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(PUSH_THREADS, job.concurrency or 1)))
    futures = [pool.submit(_one, run_push, work, emit) for work in works]
    pool.shutdown(wait=False)
    from devices.jobs.command_kind import _all_done

    return _all_done(futures)


class _NoAccess(Exception):
    pass


def _work_for(job, row, restore=None):
    from devices.jobs.command_kind import _NoApi, api_target
    from devices.keyring import KeyringError
    from devices.protocols.ssh import SSHTarget
    from devices.push.device_ops import ApiEndpoint
    from devices.push.safe_apply import PushWork
    from devices.push.script import sha256
    from devices.services import NoCredentials, device_credentials

    device = row.device
    script = script_for(job.params, device) if restore is None else ""
    stored_sha256 = sha256(script)  # of the masked script: a hash of a secret is stored nowhere
    if script and job.params.get("secret_refs"):
        from devices.push.services import reveal_secrets

        script = reveal_secrets(job.params["secret_refs"], script)
    try:
        target = api_target(device)
        username, password = device_credentials(device)
    except _NoApi as exc:
        raise _NoAccess(f"{exc} (a push verifies access over the API)") from None
    except NoCredentials as exc:
        raise _NoAccess(str(exc)) from None
    except KeyringError:
        raise _NoAccess("The stored credentials cannot be opened right now.") from None
    return PushWork(
        tenant_id=str(job.tenant_id),
        row_id=str(row.pk),
        claim=row.idempotency_key,
        attempt=row.attempt,
        device=device,
        user=job.created_by,
        script=script,
        script_sha256=stored_sha256,
        rollback_s=int(job.params.get("rollback_s") or DEFAULT_ROLLBACK_S),
        pings=list(job.params.get("ping") or []),
        api=ApiEndpoint(target.host, target.endpoints, target.username, target.password),
        ssh=SSHTarget(
            host=device.host,
            port=device.ssh_port,
            username=username,
            password=password,
            host_key=device.ssh_host_key,
            connect_timeout=10.0,
            command_timeout=float(settings.JOBS_STEP_TIMEOUT_S),
        ),
        restore_text=restore[0] if restore else "",
        restore_sha256=restore[1] if restore else "",
    )


def _one(run_push, work, emit: Emit) -> None:
    from django.db import connection

    try:
        emit(run_push(work))
    except Exception as exc:  # noqa: BLE001 - one device's surprise never breaks the batch
        import logging

        logging.getLogger(__name__).exception("push of %s failed", work.device.pk)
        emit(StepResult.failed(work.row_id, f"internal error: {type(exc).__name__}", work.output))
    finally:
        connection.close()


# --- restore: a stored backup version, applied the same safe way --------------------------------------
def prepare_restore(params: dict, access) -> Prepared:
    import uuid

    from devices.models import BackupStatus, ConfigBackup

    if access is not None and not access.allows(Action.PUSH_CONFIG):
        raise PermissionDenied(f"Your role ({access.role}) may not restore configuration (admins only).")
    if not isinstance(params, dict):
        raise ValidationError({"params": "An object with the `backup` to restore."})
    unknown = set(params) - {"backup", "rollback_s", "ping"}
    if unknown:
        raise ValidationError({"params": f"Unknown parameters: {', '.join(sorted(unknown))}."})
    try:
        backup_id = uuid.UUID(str(params.get("backup", "")))
    except ValueError:
        raise ValidationError({"backup": "The id of a backup version to restore."}) from None
    backups = ConfigBackup.objects.restrict(access, Action.VIEW) if access is not None else ConfigBackup.objects
    backup = backups.filter(pk=backup_id, status=BackupStatus.OK).select_related("device").first()
    if backup is None:
        raise ValidationError({"backup": "Unknown backup version (or a failed run, or not in your sites)."})
    out = {
        "backup": str(backup.pk),
        "device": str(backup.device_id),
        "sha256": backup.sha256,
        "rollback_s": _rollback_s(params.get("rollback_s")),
        "ping": _pings(params.get("ping")),
        "dangerous": True,
    }
    return Prepared(
        params=out,
        summary=f"restore of {backup.device.name} to {backup.taken_at:%Y-%m-%d %H:%M} (sha256 {backup.sha256[:12]})",
        dangerous=True,
        dangerous_reason="replaces the device's configuration with a stored version",
    )


def _restore_source(job) -> tuple[str, str, str]:
    """(export text with secrets, its sha256, its device id) — read in the task's tenant context."""
    from devices.backups.services import backup_text
    from devices.models import ConfigBackup

    backup = ConfigBackup.objects.select_related("blob").get(pk=job.params["backup"])
    return without_rollback_timers(backup_text(backup, reveal_secrets=True)), backup.sha256, str(backup.device_id)


def without_rollback_timers(export: str) -> str:
    """A version backed up while a push was in flight holds that push's timer: restoring it
    would re-create a stale timer. Drop such statements (continuation lines included)."""
    out: list[str] = []
    statement: list[str] = []
    for line in export.split("\n"):
        statement.append(line)
        if line.endswith("\\"):
            continue
        if "mikman-rollback" not in "".join(statement):
            out.extend(statement)
        statement = []
    out.extend(statement)
    return "\n".join(out)


PUSH = register(JobKind(name="push", label="Config push", prepare=prepare, start=start, idempotent=idempotent))
RESTORE = register(
    JobKind(name="restore", label="Config restore", prepare=prepare_restore, start=start, idempotent=idempotent)
)
