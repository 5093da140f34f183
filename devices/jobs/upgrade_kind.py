"""The "upgrade" job kind: RouterOS upgrades of a fleet in waves (devices/firmware).

Parameters (all optional): `canary` (devices in the first wave, 0–100, default 1), `batch_size`
(devices per following wave, 1–1000, default 10), `failure_threshold` (failed devices in a wave
that pause the job, 1–1000, default 1), `only_in_window` (a device outside its maintenance
windows is held until its next one opens), `routerboard` (then upgrade the RouterBOARD firmware
too), `channel` (set the devices' update channel first: stable, long-term, testing,
development), `start_at` (ISO 8601, future: nothing starts before then).

An upgrade reboots routers, so it is "dangerous": admins only, and `confirm: true`.

Waves: devices in name order; the canary wave first, then `batch_size` at a time. The runner
enqueues only the first wave (`first_devices`); when a wave has no queued or running row left,
`after_batch` either sends the next wave or — failures in that wave ≥ threshold — pauses the
job: later rows stay queued with the reason "paused: failure threshold reached" and nothing
touches their devices until an admin resumes (`resume_upgrade`) or cancels the job.

Holding (`ready`, asked by the runner before every claim): before `start_at` every row stays
queued ("scheduled: starts at …"); with `only_in_window` a device outside its windows stays
queued ("waiting for maintenance window (opens …)"), or is skipped when no window is ahead. A
re-check (`devices.upgrade_recheck`, a Celery task with an eta at the earliest such time, one per
job and time) re-sends the current wave's queued rows; the claim makes a duplicate harmless. A
held row keeps its wave unfinished, so the next wave waits too.

Per device (devices/firmware/device_steps.py): login and read → optional
channel → check-for-updates → backup (take_backup, trigger pre-upgrade) → download + install →
wait for the reboot (gone, then back, UPGRADE_REBOOT_TIMEOUT_S) → verify the new version and
health → optional RouterBOARD upgrade + reboot + verify → outcome. Progress lines are written to
the row while it runs (live in the UI and API), and they are the step's persisted state: a run
that takes over a row after a worker died reads "upgrading A → B" there and, when the device
already runs B, records it as done instead of starting again (`idempotent` is true for that).
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from devices.jobs.kinds import Emit, JobKind, Prepared, StepResult, register
from tenants.roles import Action

log = logging.getLogger(__name__)

# each device's step mostly waits for a reboot (minutes): enough threads that claimed rows do not
# queue behind others long enough for their lease to run out (the job's concurrency bounds it)
UPGRADE_THREADS = 100
ADMIN_ONLY = "An upgrade reboots routers: only a tenant admin may"
PAUSED = "paused: failure threshold reached"
WAITING = "waiting for maintenance window"
SCHEDULED = "scheduled: starts at"
NO_WINDOW = "not started: no maintenance window ahead"
START_AT_MAX = timedelta(days=366)
_UPGRADING = re.compile(r"upgrading ([^\s:]+) → ([^\s:)]+)")
LIMITS = {"canary": (0, 100, 1), "batch_size": (1, 1000, 10), "failure_threshold": (1, 1000, 1)}
USER_PARAMS = (*LIMITS, "only_in_window", "routerboard", "channel", "start_at")


# --- parameters -----------------------------------------------------------------------------------
def prepare(params: dict, access) -> Prepared:
    from devices.firmware.services import CHANNELS

    if access is not None and not access.allows(Action.DANGEROUS):
        raise PermissionDenied(f"{ADMIN_ONLY} start one (your role: {access.role}).")
    if not isinstance(params, dict):
        raise ValidationError({"params": "An object with the wave settings (or empty for the defaults)."})
    unknown = set(params) - set(USER_PARAMS)
    if unknown:
        raise ValidationError({"params": f"Unknown parameters: {', '.join(sorted(unknown))}."})
    out: dict = {}
    for name, (low, high, default) in LIMITS.items():
        value = params.get(name, default)
        if value in (None, ""):
            value = default
        if isinstance(value, bool):
            raise ValidationError({name: f"A whole number between {low} and {high}."})
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError({name: f"A whole number between {low} and {high}."}) from None
        if not low <= number <= high:
            raise ValidationError({name: f"Between {low} and {high}."})
        out[name] = number
    for name in ("only_in_window", "routerboard"):
        value = params.get(name, False)
        if value not in (True, False, "true", "false", "on", "", None, 0, 1):
            raise ValidationError({name: "true or false."})
        out[name] = value in (True, "true", "on", 1)
    channel = params.get("channel") or ""
    if channel and channel not in CHANNELS:
        raise ValidationError({"channel": f"One of: {', '.join(CHANNELS)}."})
    out["channel"] = channel
    start_at = _start_at(params.get("start_at"))
    out["start_at"] = start_at.isoformat() if start_at else None
    out["dangerous"] = True  # retry re-installs: admins only, like starting
    out.update(wave=0, paused=False, paused_wave=None)
    summary = (
        f"RouterOS upgrade{' to ' + channel if channel else ''} in waves (canary {out['canary']}, "
        f"then {out['batch_size']} at a time, pause at {out['failure_threshold']} failed"
        f"{', only inside maintenance windows' if out['only_in_window'] else ''}"
        f"{', from ' + _utc(start_at) if start_at else ''}"
        f"{', + RouterBOARD firmware' if out['routerboard'] else ''})"
    )
    return Prepared(params=out, summary=summary, dangerous=True, dangerous_reason="reboots the routers")


def _start_at(value):
    """`start_at`: ISO 8601 (no zone: UTC), in the future, at most a year ahead; None when empty."""
    from datetime import UTC, datetime

    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        raise ValidationError({"start_at": "A date and time in ISO 8601, e.g. 2026-01-31T22:00:00Z (UTC)."})
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    now = timezone.now()
    if parsed <= now:
        raise ValidationError({"start_at": f"Must be in the future (now is {_utc(now)})."})
    if parsed > now + START_AT_MAX:
        raise ValidationError({"start_at": "At most a year ahead."})
    return parsed


def _utc(at) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC"


def prepare_check(params: dict, access) -> Prepared:
    """ "Check for updates": the devices check their channel, nothing is installed (operators)."""
    if params:
        raise ValidationError({"params": "A check for updates takes no parameters."})
    return Prepared(params={"check_only": True}, summary="check for RouterOS updates")


def idempotent(params: dict) -> bool:
    return True  # a taken-over row reconciles from its progress lines (see the module docstring)


# --- waves ------------------------------------------------------------------------------------------
def wave_sizes(params: dict, total: int) -> list[int]:
    from devices.firmware.services import plan_waves

    return [len(w) for w in plan_waves(range(total), int(params.get("canary", 1)), int(params.get("batch_size", 10)))]


def wave_device_ids(job, index: int) -> list[str]:
    """The device ids of wave `index` (rows in name order, sliced by the wave sizes)."""
    from devices.models import JobDevice

    sizes = wave_sizes(job.params, job.total)
    if index >= len(sizes):
        return []
    start = sum(sizes[:index])
    ids = JobDevice.objects.filter(job=job).order_by("device_name", "device_id").values_list("device_id", flat=True)
    return [str(i) for i in ids[start : start + sizes[index]]]


def first_devices(job, chosen: list) -> list[str]:
    if job.params.get("check_only"):
        return [str(d.pk) for d in chosen]
    return wave_device_ids(job, 0)


def after_batch(tenant_id: str, job_id: str) -> None:
    """Called after each batch of the job (tenant context): advance to the next wave or pause,
    exactly once per wave (under the job row's lock)."""
    from devices.jobs.runner import _audit_system, enqueue
    from devices.models import Job, JobDevice, JobDeviceState

    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.cancel_requested or job.params.get("paused") or job.params.get("check_only"):
            return
        index = int(job.params.get("wave", 0))
        ids = wave_device_ids(job, index)
        rows = JobDevice.objects.filter(job=job, device_id__in=ids)
        if rows.filter(state__in=(JobDeviceState.QUEUED, JobDeviceState.RUNNING)).exists():
            return
        following = wave_device_ids(job, index + 1)
        if not following:
            return
        failed = rows.filter(state=JobDeviceState.FAILED).count()
        if failed >= int(job.params.get("failure_threshold", 1)):
            job.params = {**job.params, "paused": True, "paused_wave": index + 1}
            job.save(update_fields=["params"])
            why = f"{PAUSED} ({failed} of {len(ids)} devices of wave {index + 1} failed); an admin may resume or cancel"
            JobDevice.objects.filter(job=job, state=JobDeviceState.QUEUED).update(reason=why)
            _audit_system("job.paused", job, {"kind": job.kind, "wave": index + 1, "failed": failed})
            return
        job.params = {**job.params, "wave": index + 1}
        job.save(update_fields=["params"])
        transaction.on_commit(lambda: enqueue(tenant_id, job_id, following))


def resume_upgrade(access, job):
    """Send the wave the job paused before (admins only); its rows lose the pause reason."""
    from devices.jobs.runner import _audit, enqueue, refresh
    from devices.models import Job, JobDevice, JobDeviceState

    if not access.allows(Action.DANGEROUS):
        raise PermissionDenied(f"{ADMIN_ONLY} resume one (your role: {access.role}).")
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.kind != "upgrade" or not job.params.get("paused"):
        raise ValidationError("This job is not a paused upgrade: nothing to resume.")
    if job.cancel_requested or job.is_finished:
        raise ValidationError("The job was cancelled or has finished: start a new upgrade instead.")
    index = int(job.params.get("paused_wave") or 0)
    job.params = {**job.params, "paused": False, "paused_wave": None, "wave": index}
    job.save(update_fields=["params"])
    JobDevice.objects.filter(job=job, state=JobDeviceState.QUEUED).update(reason="")
    ids = wave_device_ids(job, index)
    _audit("job.resumed", access, job, {"kind": job.kind, "wave": index + 1, "device_count": len(ids)})
    tenant_id, job_id = str(job.tenant_id), str(job.pk)
    transaction.on_commit(lambda: enqueue(tenant_id, job_id, ids))
    return refresh(job.pk, locked=True)


# --- holding devices until their start time or window ---------------------------------------------
def ready(job, device_ids: list[str]) -> list[str]:
    """Of these device ids, those that may start now (tenant context, before the claim). The
    others stay queued with the reason why (or are skipped: no window ahead), and a re-check is
    scheduled at the earliest time one of them may start."""
    from datetime import datetime

    from devices.firmware.services import in_maintenance_window, next_window_opening
    from devices.models import Device, JobDevice, JobDeviceState, MaintenanceWindow

    params = job.params
    if params.get("check_only") or not (params.get("start_at") or params.get("only_in_window")):
        return device_ids
    queued = JobDevice.objects.filter(job=job, device_id__in=device_ids, state=JobDeviceState.QUEUED)
    now = timezone.now()
    start_at = datetime.fromisoformat(params["start_at"]) if params.get("start_at") else None
    if start_at and now < start_at:
        queued.update(reason=f"{SCHEDULED} {_utc(start_at)}")
        _schedule_recheck(job, start_at)
        return []
    if start_at:
        queued.filter(reason__startswith=SCHEDULED).update(reason="")
    if not params.get("only_in_window"):
        return device_ids
    windows = list(MaintenanceWindow.objects.filter(tenant_id=job.tenant_id))
    devices = Device.objects.filter(pk__in=queued.values("device_id")).only("id", "tenant_id", "site_id")
    go, later, none_ahead = [], {}, []
    # a row an interrupted run left mid-install finishes whatever the time (its router may be rebooting)
    resumed = set(queued.filter(output__contains="upgrading ").values_list("device_id", flat=True))
    for device in devices:
        if device.pk in resumed or in_maintenance_window(device, now, windows):
            go.append(str(device.pk))
        elif (opens := next_window_opening(device, now, windows)) is not None:
            later.setdefault(opens, []).append(device.pk)
        else:
            none_ahead.append(device.pk)
    if none_ahead:
        queued.filter(device_id__in=none_ahead).update(
            state=JobDeviceState.SKIPPED, reason=NO_WINDOW, finished=now, lease_until=None
        )
    for opens, ids in later.items():
        queued.filter(device_id__in=ids).update(reason=f"{WAITING} (opens {_utc(opens)})")
    if go:  # a device held before loses its waiting reason once it may start
        queued.filter(device_id__in=go, reason__startswith=WAITING).update(reason="")
    if later:
        _schedule_recheck(job, min(later))
    return go


def hold_state(job) -> str:
    """What the job page and API show for an upgrade held back: "scheduled" (its start_at is
    ahead), "waiting" (devices wait for their maintenance window), else ""."""
    from datetime import datetime

    from devices.models import JobDevice, JobDeviceState

    if job.kind != "upgrade" or job.is_finished or job.cancel_requested:
        return ""
    start_at = job.params.get("start_at")
    if start_at and datetime.fromisoformat(start_at) > timezone.now():
        return "scheduled"
    rows = JobDevice.objects.filter(job=job, state=JobDeviceState.QUEUED, reason__startswith=WAITING)
    return "waiting" if job.params.get("only_in_window") and rows.exists() else ""


def hold_text(job) -> str:
    """`hold_state` in words for the job page."""
    from datetime import datetime

    state = hold_state(job)
    if state == "scheduled":
        return f"{SCHEDULED} {_utc(datetime.fromisoformat(job.params['start_at']))}"
    return "waiting for maintenance windows" if state == "waiting" else ""


def _schedule_recheck(job, at) -> None:
    """One `devices.upgrade_recheck` per job, time and hop (a Redis NX key; without Redis, send
    anyway: a duplicate re-check only re-sends rows the claim lets start once).

    A time further ahead than UPGRADE_RECHECK_HOP_S (30 min) is reached in hops: the Redis broker
    re-delivers a message whose eta lies beyond its visibility timeout (1 h), so one long eta would
    multiply; each hop's re-check finds the rows still held and schedules the next hop."""
    import math

    import redis

    from devices.jobs.tasks import upgrade_recheck
    from devices.polling.lock import client

    hop = float(getattr(settings, "UPGRADE_RECHECK_HOP_S", 1800))
    delay = max(0.0, (at - timezone.now()).total_seconds())
    hops_left = math.ceil(delay / hop) if delay > 0 else 0
    countdown = min(delay, hop)
    key = f"mikman:upgrade-recheck:{job.pk}:{at.timestamp():.3f}:{hops_left}"
    try:
        first = client().set(key, 1, nx=True, ex=int(countdown) + 300)
    except (redis.RedisError, OSError):
        first = True
    if first:
        tenant_id, job_id = str(job.tenant_id), str(job.pk)
        transaction.on_commit(lambda: upgrade_recheck.apply_async((tenant_id, job_id), countdown=countdown + 0.2))


def recheck(tenant_id: str, job_id: str) -> int:
    """Re-send the current wave's queued rows (tenant context); `ready` decides again. Returns
    how many rows were sent; nothing for a finished, cancelled or paused job."""
    from devices.jobs.runner import enqueue
    from devices.models import Job, JobDevice, JobDeviceState

    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.is_finished or job.cancel_requested or job.params.get("paused"):
        return 0
    wave = wave_device_ids(job, int(job.params.get("wave", 0)))
    ids = [
        str(i)
        for i in JobDevice.objects.filter(job=job, device_id__in=wave, state=JobDeviceState.QUEUED).values_list(
            "device_id", flat=True
        )
    ]
    if ids:
        transaction.on_commit(lambda: enqueue(tenant_id, job_id, ids))
    return len(ids)


# --- the device step --------------------------------------------------------------------------------
@dataclass
class UpgradeWork:
    tenant_id: str
    row_id: str
    claim: str
    device: object
    user: object
    params: dict
    api: object  # devices.push.device_ops.ApiEndpoint
    previous: tuple[str, str] | None  # (from, to) of an interrupted run of this row
    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(f"{timezone.now():%H:%M:%S} {text}")
        self.save_progress()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def save_progress(self, lease_s: float | None = None) -> bool:
        """Write the progress lines to the row (live progress; the persisted step state) while
        our claim holds it; optionally extend the lease. False: the claim is not ours any more."""
        from devices.models import JobDevice
        from tenants.context import tenant_context

        # no lines yet: keep what an interrupted run wrote (it is this run's starting point)
        fields: dict = {"output": self.output[: settings.JOBS_OUTPUT_MAX_CHARS]} if self.lines else {}
        if lease_s is not None:
            fields["lease_until"] = timezone.now() + timedelta(seconds=lease_s)
        with tenant_context(self.tenant_id):
            rows = JobDevice.objects.filter(pk=self.row_id, state="running", idempotency_key=self.claim)
            return bool(rows.update(**fields)) if fields else rows.exists()


def start(job, rows: list, emit: Emit) -> concurrent.futures.Future:
    from devices.jobs.command_kind import _all_done, _NoApi, api_target
    from devices.push.device_ops import ApiEndpoint

    works = []
    for row in rows:
        if not row.device.enabled:
            emit(StepResult.skipped(row.pk, "The device is disabled."))
            continue
        try:
            target = api_target(row.device)
        except _NoApi as exc:
            emit(StepResult.failed(row.pk, f"{exc} (an upgrade runs over the API)"))
            continue
        found = _UPGRADING.search(row.output or "")
        works.append(
            UpgradeWork(
                tenant_id=str(job.tenant_id),
                row_id=str(row.pk),
                claim=row.idempotency_key,
                device=row.device,
                user=job.created_by,
                params=dict(job.params),
                api=ApiEndpoint(target.host, target.endpoints, target.username, target.password),
                previous=(found.group(1), found.group(2)) if found else None,
            )
        )
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(UPGRADE_THREADS, job.concurrency or 1)))
    futures = [pool.submit(_one, work, emit) for work in works]
    pool.shutdown(wait=False)
    return _all_done(futures)


def _one(work: UpgradeWork, emit: Emit) -> None:
    try:
        emit(run_upgrade(work))
    except Exception as exc:  # noqa: BLE001 - one device's surprise never breaks the batch
        log.exception("upgrade of %s failed", work.device.pk)
        emit(StepResult.failed(work.row_id, f"internal error: {type(exc).__name__}", work.output))
    finally:
        connection.close()


def run_upgrade(work: UpgradeWork) -> StepResult:
    from devices.feeds.versions import parse
    from devices.firmware import device_steps as steps
    from devices.firmware.services import record_check
    from devices.models.backups import BackupTrigger
    from devices.push.device_ops import RouterOSRefused, Unreachable
    from tenants.context import tenant_context

    timeout = float(settings.UPGRADE_REBOOT_TIMEOUT_S)
    device = work.device
    if not work.save_progress(lease_s=settings.JOBS_LEASE_S):
        return _failed(work, "this run lost its claim on the device (another run took it over)")
    if work.previous:  # a dead run got as far as installing: the device may still be rebooting
        work.note(f"taking over an interrupted run (upgrading {work.previous[0]} → {work.previous[1]}); waiting for it")
        _, state, last = steps.wait_back(work.api, timeout, gone_within_s=0)
        if state is None:
            return _failed(work, f"unreachable after an interrupted upgrade: {last}")
    try:
        state = steps.health(work.api)
        work.note(f"reachable; RouterOS {state.version}")
        if work.params.get("channel"):
            steps.set_channel(work.api, work.params["channel"])
            work.note(f"update channel set to {work.params['channel']}")
        check = steps.check_for_updates(work.api)
    except (Unreachable, RouterOSRefused) as exc:
        return _failed(work, f"before the upgrade: {exc}")
    with tenant_context(work.tenant_id):
        record_check(device, check.channel, check.latest, check.installed or state.version)
    installed, latest = parse(check.installed or state.version), parse(check.latest)
    work.note(f"channel {check.channel}: installed {check.installed or state.version}, latest {check.latest or '?'}")
    if work.params.get("check_only"):
        newer = latest is not None and installed is not None and latest > installed
        return StepResult.ok(work.row_id, f"{work.output}\n{'update available' if newer else 'up to date'}")
    if work.previous and installed is not None and installed == parse(work.previous[1]):
        work.note("the interrupted run's upgrade took")
        return _succeeded(work, work.previous[0], work.previous[1], state, recovered=True)
    if latest is None:
        return _failed(work, f"the device could not tell the latest version ({check.status or 'no status'})")
    if installed is not None and latest <= installed:
        if work.params.get("routerboard") and state.firmware and state.firmware != state.upgrade_firmware:
            return _routerboard(work, state, from_to=None)
        return StepResult.skipped(work.row_id, f"already latest ({check.installed} on {check.channel})")
    from_version, to_version = check.installed or state.version, check.latest

    with tenant_context(work.tenant_id):
        from devices.backups.services import take_backup

        backup = take_backup(device, trigger=BackupTrigger.PRE_UPGRADE, user=work.user)
    if not backup.ok:
        return _failed(work, f"the backup before the upgrade failed ({backup.reason or backup.outcome}): not upgraded")
    work.note(f"backup before the upgrade: sha256 {backup.sha256[:12]}")

    work.note(f"upgrading {from_version} → {to_version}: download and install (the device reboots)")
    work.save_progress(lease_s=settings.JOBS_LEASE_S + 2 * timeout)
    try:
        steps.install(work.api)
    except (Unreachable, RouterOSRefused) as exc:
        return _failed(work, f"install refused: {exc}")
    seen_gone, back, last = steps.wait_back(work.api, timeout)
    if back is None:
        return _failed(work, f"did not come back within {timeout:g} s after installing {to_version} ({last})")
    work.note(f"{'rebooted and ' if seen_gone else ''}back; RouterOS {back.version}, uptime {back.uptime}")
    with tenant_context(work.tenant_id):
        record_check(device, check.channel, check.latest, back.version)
    if parse(back.version) != parse(to_version):
        return _failed(work, f"came back on {back.version}, not {to_version}: the upgrade did not take")
    if work.params.get("routerboard") and back.firmware and back.firmware != back.upgrade_firmware:
        return _routerboard(work, back, from_to=(from_version, to_version))
    return _succeeded(work, from_version, to_version, back)


def _routerboard(work: UpgradeWork, state, from_to: tuple[str, str] | None) -> StepResult:
    """The optional second step: RouterBOARD firmware upgrade, reboot, verify."""
    from devices.firmware import device_steps as steps
    from devices.models import Device
    from devices.push.device_ops import RouterOSRefused, Unreachable
    from tenants.context import tenant_context

    timeout = float(settings.UPGRADE_REBOOT_TIMEOUT_S)
    old, new = state.firmware, state.upgrade_firmware
    work.note(f"RouterBOARD firmware {old} → {new}: upgrade and reboot")
    try:
        steps.upgrade_routerboard(work.api)
        steps.reboot(work.api)
    except (Unreachable, RouterOSRefused) as exc:
        return _failed(work, f"RouterBOARD firmware upgrade refused: {exc}")
    _, back, last = steps.wait_back(work.api, timeout)
    if back is None:
        return _failed(work, f"did not come back within {timeout:g} s after the RouterBOARD upgrade ({last})")
    with tenant_context(work.tenant_id):
        Device.objects.filter(pk=work.device.pk).update(firmware=back.firmware[:50])
    if back.firmware != new:
        return _failed(work, f"RouterBOARD firmware is {back.firmware} after the reboot, not {new}")
    work.note(f"RouterBOARD firmware now {back.firmware}")
    if from_to is None:
        return _finish(work, "succeeded", f"RouterBOARD firmware {old} → {new} (RouterOS already latest)")
    return _succeeded(work, *from_to, back, firmware=(old, new))


def _succeeded(work, from_version, to_version, state, *, recovered=False, firmware=None) -> StepResult:
    line = f"upgraded {from_version} → {to_version}; healthy (login and resource read)"
    if firmware:
        line += f"; RouterBOARD firmware {firmware[0]} → {firmware[1]}"
    if recovered:
        line += " (confirmed after an interrupted run)"
    return _finish(work, "succeeded", line, from_version=from_version, to_version=to_version)


def _failed(work: UpgradeWork, reason: str) -> StepResult:
    return _finish(work, "failed", reason)


def _finish(work: UpgradeWork, outcome: str, line: str, **details) -> StepResult:
    """The device's outcome: the last output line, and one audit entry per device."""
    from audit.services import record
    from tenants.context import tenant_context

    work.note(line)
    with tenant_context(work.tenant_id):
        record(
            f"device.upgrade_{outcome}",
            user=work.user,
            tenant=work.tenant_id,
            site=work.device.site_id,
            target_type="devices.device",
            target_id=str(work.device.pk),
            target_name=work.device.name,
            details={"outcome": line, **details},
        )
    if outcome == "succeeded":
        return StepResult.ok(work.row_id, work.output)
    return StepResult.failed(work.row_id, line, work.output)


UPGRADE = register(
    JobKind(
        name="upgrade",
        label="Firmware upgrade",
        prepare=prepare,
        start=start,
        idempotent=idempotent,
        first_devices=first_devices,
        after_batch=after_batch,
        ready=ready,
    )
)
UPDATE_CHECK = register(
    JobKind(
        name="update_check",
        label="Check for updates",
        prepare=prepare_check,
        start=start,
        idempotent=idempotent,
        first_devices=first_devices,
    )
)
