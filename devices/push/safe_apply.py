"""One device's safe apply (commit-confirm), with its state persisted before every step.

    pre-push backup ─▶ arm the rollback timer ─▶ apply the script (SSH) ─▶ verify (fresh API
    login + optional pings) ─▶ remove the timer ─▶ post-push backup ─▶ succeeded

If the device cannot be reached after the script (or the timer fired before we removed it), we
wait past the timer's due time, reconnect, and compare the device's export with the pre-push
backup: equal → "rolled back by the device" (a failure with that reason); different → a failure
that says so. A script error or a failed health check restores the pre-push backup at once.

Crash safety: `ConfigPush.step` is saved *before* the step it names touches the device. A
worker that dies leaves the row `running`; after its lease the jobs recovery queues it again
(the push kind says it may), and `run_push` first reconciles what the dead attempt left:
arming/armed (nothing applied) → remove the timer and start over; applying (maybe applied) →
let the device decide and compare after the timer's time; verified → remove the timer. So an
orphan timer is never left behind, and success is reported only after this code saw the
verification pass and removed the timer itself.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from audit.redaction import redact_text
from devices.jobs.kinds import StepResult
from devices.models import BackupTrigger, ConfigPush, JobDevice, PushStep
from devices.protocols.ssh import SSHError, SSHSession, SSHTarget
from tenants.context import tenant_context

from . import device_ops
from .device_ops import RouterOSRefused, Unreachable

log = logging.getLogger(__name__)

# RouterOS answers a bad CLI line with text (exit status 0): lines starting like these are errors
ERROR_PREFIXES = (
    "bad command name",
    "syntax error",
    "failure:",
    "expected ",
    "no such item",
    "input does not match",
    "invalid value",
    "ambiguous value",
    "not enough permissions",
    "script error",
)


TIMER_SLACK_S = 30  # a timer seen this long after its due time did not fire: restore ourselves


def reboot_grace_s() -> float:
    """How long after the timer's due time a device may take to restore, reboot and answer."""
    return float(getattr(settings, "PUSH_REBOOT_GRACE_S", 180))


@dataclass
class PushWork:
    """Everything a device's push needs, read in the tenant's context before the threads start."""

    tenant_id: str
    row_id: str
    claim: str  # the row's idempotency_key: we extend our own lease only
    attempt: int
    device: object  # devices.models.Device (with credential profile loaded)
    user: object
    script: str
    script_sha256: str
    rollback_s: int
    pings: list[str]
    api: device_ops.ApiEndpoint
    ssh: SSHTarget
    restore_text: str = ""  # a restore: this export replaces the configuration (no script is run)
    restore_sha256: str = ""
    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(f"{timezone.now():%H:%M:%S} {text}")

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


# --- persistence ----------------------------------------------------------------------------------
def _save(work: PushWork, push: ConfigPush, step: str, **fields) -> ConfigPush:
    push.step = step
    for name, value in fields.items():
        setattr(push, name, value)
    push.log = work.output
    with tenant_context(work.tenant_id):
        push.save()
    return push


def _load_or_create(work: PushWork) -> ConfigPush:
    with tenant_context(work.tenant_id):
        push, _ = ConfigPush.objects.get_or_create(
            job_device_id=work.row_id,
            defaults={"tenant_id": work.tenant_id, "device_id": work.device.pk, "attempt": work.attempt},
        )
    return push


def _extend_lease(work: PushWork, until) -> bool:
    """A rollback wait can outlast JOBS_LEASE_S: keep our claim alive (only while we hold it).
    False when the claim is no longer ours (the recovery gave the row to another run)."""
    with tenant_context(work.tenant_id):
        rows = JobDevice.objects.filter(pk=work.row_id, state="running", idempotency_key=work.claim)
        return bool(rows.update(lease_until=until))


def _backup(work: PushWork, trigger: str):
    from devices.backups.services import take_backup

    with tenant_context(work.tenant_id):
        return take_backup(work.device, trigger=trigger, user=work.user)


# --- the step machine -----------------------------------------------------------------------------
def run_push(work: PushWork) -> StepResult:
    # a row may wait in the thread pool behind slow rollbacks: if its lease ran out meanwhile and
    # the recovery handed it to another run, this run must not touch the device at all
    if not _extend_lease(work, timezone.now() + timedelta(seconds=settings.JOBS_LEASE_S)):
        return _failed(work, "this run lost its claim on the device (another run took it over)")
    push = _load_or_create(work)
    if push.step in (PushStep.ARMING, PushStep.ARMED, PushStep.APPLYING, PushStep.VERIFIED):
        result = _reconcile(work, push)
        if result is not None:
            return result
    push = _reset(work, push)
    return _fresh(work, push)


def _reset(work: PushWork, push: ConfigPush) -> ConfigPush:
    return _save(
        work,
        push,
        PushStep.STARTED,
        attempt=work.attempt,
        script_sha256=work.script_sha256,
        rollback_name=f"mikman-rollback-{str(push.pk)[:8]}-{work.attempt}",
        rollback_due=None,
        pre_backup=None,
        pre_sha256="",
    )


def _fresh(work: PushWork, push: ConfigPush) -> StepResult:
    # (a) a fresh backup: what "rolled back" is compared with
    backup = _backup(work, BackupTrigger.PRE_PUSH)
    if not backup.ok:
        work.note(f"pre-push backup failed: {backup.reason or backup.outcome}")
        _save(work, push, PushStep.FAILED)
        return _failed(work, f"pre-push backup failed ({backup.reason or backup.outcome}); nothing was changed")
    work.note(f"pre-push backup taken (sha256 {backup.sha256[:12]})")
    push = _save(work, push, PushStep.BACKED_UP, pre_backup=backup, pre_sha256=backup.sha256)

    # (b) the rollback timer on the device
    # the due time is saved before the timer exists (an upper bound: the device's own is set a
    # moment later), so a run that dies while arming knows how long to wait
    push = _save(work, push, PushStep.ARMING, rollback_due=timezone.now() + timedelta(seconds=work.rollback_s + 5))
    try:
        device_due, start_date, start_time = device_ops.arm(work.api, push.rollback_name, work.rollback_s)
    except (Unreachable, RouterOSRefused) as exc:
        work.note(f"installing the rollback timer failed: {exc}")
        cleaned = _try_remove_leftovers(work, push)
        _save(work, push, PushStep.FAILED)
        extra = "" if cleaned else " (a leftover timer, if any, restores the same configuration)"
        return _failed(work, f"could not install the rollback timer ({exc}); nothing was changed{extra}")
    due = timezone.now() + timedelta(seconds=work.rollback_s)
    wait_until = due + timedelta(seconds=reboot_grace_s() + TIMER_SLACK_S + 120)
    _extend_lease(work, max(wait_until, timezone.now() + timedelta(seconds=settings.JOBS_LEASE_S)))
    work.note(f"rollback timer {push.rollback_name} armed: the device restores at {device_due:%H:%M:%S} (its clock)")
    push = _save(work, push, PushStep.ARMED, rollback_due=due)

    # (c) apply
    push = _save(work, push, PushStep.APPLYING)
    if work.restore_text:
        return _restore(work, push, device_ops.timer_line(push.rollback_name, start_date, start_time))
    outcome, detail = _apply(work)
    if outcome == "not-sent":
        work.note(f"the script was not sent: {detail}")
        return _undo_unsent(work, push, detail)
    if outcome == "error":
        work.note(f"the script failed: {detail}; restoring the pre-push configuration now")
        _restore_now(work, push)
        return _await_rollback(work, push, f"the script failed ({detail})", restored=True)
    if outcome == "lost":
        work.note(f"the connection was lost while applying: {detail}")
        return _await_rollback(work, push, f"the connection was lost while applying ({detail})")
    work.note("script applied")

    # (d) verify
    return _verify_and_confirm(work, push)


def _verify_and_confirm(work: PushWork, push: ConfigPush) -> StepResult:
    try:
        problem = device_ops.verify(work.api, work.pings)
    except (Unreachable, RouterOSRefused) as exc:
        work.note(f"verification failed: the platform cannot log in any more ({exc})")
        return _await_rollback(work, push, f"the platform lost access after the change ({exc})")
    if problem:
        work.note(f"{problem}; restoring the pre-push configuration now")
        _restore_now(work, push)
        return _await_rollback(work, push, problem, restored=True)
    work.note(
        "verified: a fresh API login works" + (f", pings to {', '.join(work.pings)} answered" if work.pings else "")
    )
    push = _save(work, push, PushStep.VERIFIED)

    # (e) confirm: remove the timer
    try:
        was_there = device_ops.disarm(work.api, push.rollback_name)
    except (Unreachable, RouterOSRefused) as exc:
        work.note(f"removing the rollback timer failed: {exc}")
        return _await_rollback(work, push, f"the rollback timer could not be removed ({exc})")
    if not was_there:
        work.note("the rollback timer had already fired")
        return _await_rollback(work, push, "the rollback timer fired before the push was confirmed")
    work.note("rollback timer removed")
    _save(work, push, PushStep.SUCCEEDED)
    after = _backup(work, BackupTrigger.JOB)
    if after.ok:
        work.note(f"post-push backup: {'new version' if after.changed else 'unchanged'} (sha256 {after.sha256[:12]})")
        if work.restore_sha256:
            same = after.sha256 == work.restore_sha256
            work.note(
                "the configuration equals the restored version"
                if same
                else "note: the configuration "
                "differs from the restored version (RouterOS adds defaults or hides secrets on import)"
            )
    else:
        work.note(f"post-push backup failed: {after.reason or after.outcome}")
    return StepResult.ok(work.row_id, work.output)


def _restore(work: PushWork, push: ConfigPush, rearm: str) -> StepResult:
    """Reset the device to the stored version. The reset wipes the scheduler, so the restore
    file ends by re-creating the same rollback timer (same due time): a version that cuts the
    platform off is still undone by the device."""
    file_name = f"{push.rollback_name.replace('rollback', 'restore')}.rsc"
    text = work.restore_text.rstrip("\n") + "\n" + rearm + "\n"
    try:
        device_ops.restore_config(work.api, file_name, text)
    except RouterOSRefused as exc:
        work.note(f"the device refused the restore: {exc}")
        return _undo_unsent(work, push, str(exc))
    except Unreachable as exc:
        work.note(f"the connection was lost while restoring: {exc}")
        return _await_rollback(work, push, f"the connection was lost while restoring ({exc})")
    work.note("configuration reset to the stored version; waiting for the device to come back")
    while True:  # it reboots: wait for it, but not past the timer
        time.sleep(1.0)
        try:
            device_ops.timer_present(work.api, push.rollback_name)
            break
        except (Unreachable, RouterOSRefused) as exc:
            if push.rollback_due is not None and timezone.now() >= push.rollback_due:
                work.note(f"not back before the rollback time ({exc})")
                return _await_rollback(work, push, f"the device did not come back after the restore ({exc})")
    try:
        device_ops.remove_file(work.api, file_name)
    except (Unreachable, RouterOSRefused):
        pass  # verification below says what matters
    return _verify_and_confirm(work, push)


def _apply(work: PushWork) -> tuple[str, str]:
    """("ok" | "error" | "lost" | "not-sent", detail). "not-sent": the SSH session never got to
    the command (refused, login rejected, host key changed)."""
    session = SSHSession(work.ssh)
    try:
        session.open()
    except SSHError as exc:
        return "not-sent", str(exc)
    try:
        if session.host_key and not work.ssh.host_key:
            _pin_host_key(work, session.host_key)
        try:
            result = session.run(work.script)
        except SSHError as exc:
            return "lost", str(exc)
        if not result.complete:
            return "lost", "the SSH channel closed before the script finished"
        for line in result.output.replace("\r", "").split("\n"):
            text = line.strip()
            if text.lower().startswith(ERROR_PREFIXES):
                return "error", redact_text(text)[:300]  # a secret the script set never reaches the log
        return "ok", ""
    finally:
        session.close()


def _pin_host_key(work: PushWork, host_key: str) -> None:
    from devices.models import Device

    with tenant_context(work.tenant_id):
        Device.objects.filter(pk=work.device.pk, ssh_host_key="").update(ssh_host_key=host_key)


def _undo_unsent(work: PushWork, push: ConfigPush, detail: str) -> StepResult:
    try:
        device_ops.disarm(work.api, push.rollback_name)
    except (Unreachable, RouterOSRefused):
        return _await_rollback(work, push, f"the script could not be sent ({detail})")
    work.note("rollback timer removed")
    _save(work, push, PushStep.FAILED)
    return _failed(work, f"the script could not be sent ({detail}); nothing was changed")


def _restore_now(work: PushWork, push: ConfigPush) -> None:
    device_ops.restore_now(work.api, push.rollback_name)
    _save(work, push, PushStep.APPLYING, rollback_due=timezone.now())


def _try_remove_leftovers(work: PushWork, push: ConfigPush) -> bool:
    try:
        device_ops.remove_leftovers(work.api, push.rollback_name)
        return True
    except (Unreachable, RouterOSRefused):
        return False


def _await_rollback(work: PushWork, push: ConfigPush, why: str, *, restored: bool = False) -> StepResult:
    """Wait past the timer's due time, reconnect, and report what the device did — never a
    success (the push was not confirmed). `restored`: we already told the device to load the
    pre-push backup (it reboots), so only wait for that."""
    due = push.rollback_due or timezone.now()
    give_up = due + timedelta(seconds=reboot_grace_s())
    wait = (due - timezone.now()).total_seconds() + 1.0
    if wait > 0:
        work.note(f"waiting {wait:.0f} s for the device's rollback timer")
        time.sleep(wait)
    last = ""
    while True:
        try:
            present = device_ops.timer_present(work.api, push.rollback_name)
        except (Unreachable, RouterOSRefused) as exc:
            last = str(exc)
            if timezone.now() >= give_up:
                work.note(f"still unreachable ({last})")
                _save(work, push, PushStep.FAILED)
                return _failed(
                    work,
                    f"{why}; the device is still unreachable {reboot_grace_s():.0f} s after its rollback time "
                    f"({last}): it should have restored the pre-push configuration, but the platform cannot confirm it",
                )
            time.sleep(1.0)
            continue
        if present and timezone.now() < give_up:
            # reachable with the timer still there: it is about to fire (or the restore we asked
            # for has not rebooted yet); past a slack, the device's clock is off: restore ourselves
            if not restored and timezone.now() >= due + timedelta(seconds=TIMER_SLACK_S):
                work.note("the rollback timer has not fired; restoring the pre-push configuration now")
                device_ops.restore_now(work.api, push.rollback_name)
                restored = True
            time.sleep(1.0)
            continue
        break
    if present:  # past the grace with the timer still there: never leave it behind
        try:
            device_ops.disarm(work.api, push.rollback_name)
            removed = "removed"
        except (Unreachable, RouterOSRefused) as exc:
            removed = f"could not be removed ({exc})"
        work.note(f"the rollback timer never fired; it was {removed}")
        _save(work, push, PushStep.FAILED)
        return _failed(
            work,
            f"{why}; the rollback timer did not fire and was {removed}: the change may be in place, check the device",
        )
    work.note("the device answers again")
    after = _backup(work, BackupTrigger.JOB)
    if after.ok and after.sha256 == push.pre_sha256:
        _try_remove_leftovers(work, push)
        work.note("its configuration equals the pre-push backup")
        _save(work, push, PushStep.ROLLED_BACK)
        return _failed(work, f"rolled back{'' if restored else ' by the device'}: {why}")
    _save(work, push, PushStep.FAILED)
    if not after.ok:
        return _failed(
            work, f"{why}; the device answers again but its configuration could not be read ({after.reason})"
        )
    return _failed(
        work, f"{why}; the device answers again but its configuration differs from the pre-push backup: check it"
    )


def _failed(work: PushWork, reason: str) -> StepResult:
    return StepResult.failed(work.row_id, reason, work.output)


# --- reconciling a dead attempt -------------------------------------------------------------------
def _reconcile(work: PushWork, push: ConfigPush) -> StepResult | None:
    """What a previous (dead) run left: None = nothing was applied and the timer is gone (start
    over), else the result of this row."""
    work.note(f"resuming after an interrupted run (it stopped at: {push.get_step_display().lower()})")
    if push.step in (PushStep.ARMING, PushStep.ARMED):
        try:
            device_ops.disarm(work.api, push.rollback_name)
        except (Unreachable, RouterOSRefused):
            return _await_rollback(work, push, "the run was interrupted before the script was sent")
        work.note("the interrupted run's rollback timer was removed; starting again")
        return None
    if push.step == PushStep.VERIFIED:
        return _verify_and_confirm(work, push)
    return _await_rollback(work, push, "the run was interrupted while applying the script")
