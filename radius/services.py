"""The User Manager's verbs: every change made through the API, the UI (and later the RADIUS
server) goes through here — role check, validation, history with undo/redo, audit, secrets.

Writes need the operator role (admin and operator manage, viewers read) and a tenant-wide
membership: the User Manager is tenant-wide data, so a member limited to some sites may read it
but not change it. The pure rules (active profile, limitations in force, what remains) live in
radius.decisions; `user_usage()` feeds them from the database.
"""

from __future__ import annotations

import json
import secrets as random_secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone

from audit.services import record
from devices.keyring import Secret, decrypt_secret, encrypt_secret
from radius import decisions, snapshots
from radius.choices import HistoryAction, SessionStatus
from radius.models import (
    SECRET_PURPOSES,
    CustomAttribute,
    Customer,
    Group,
    History,
    Limitation,
    Profile,
    ProfileLimitation,
    RadiusUser,
    Router,
    Session,
    UserProfile,
    VoucherBatch,
)
from tenants.access import TenantAccess
from tenants.roles import Action

MANAGE = Action.OPERATE
# model → (audit noun, keeps history with undo/redo)
KINDS: dict[type, tuple[str, bool]] = {
    RadiusUser: ("user", True),
    Profile: ("profile", True),
    Limitation: ("limitation", True),
    Customer: ("customer", False),
    Group: ("group", False),
    CustomAttribute: ("attribute", False),
    ProfileLimitation: ("profile_limitation", False),
    UserProfile: ("user_profile", False),
    Router: ("router", False),
    VoucherBatch: ("voucher_batch", False),
}
HISTORY_MODELS = {noun: model for model, (noun, tracked) in KINDS.items() if tracked}
MAX_VOUCHERS = 1000
VOUCHER_NAME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
VOUCHER_PASSWORD_ALPHABET = VOUCHER_NAME_ALPHABET + "ABCDEFGHJKLMNPQRSTUVWXYZ"


def require_manage(access: TenantAccess) -> None:
    if not access.allows(MANAGE):
        raise PermissionDenied(f"Your role ({access.role}) may not change the User Manager.")
    if access.site_ids is not None:
        raise PermissionDenied("The User Manager is tenant-wide: members limited to some sites may only read it.")


# --- secrets ----------------------------------------------------------------------------------------
def seal(obj, field: str, plaintext: str | None) -> None:
    """Seal `plaintext` into `obj.field` with the tenant's key (None or "" clears it)."""
    if not plaintext:
        setattr(obj, field, None)
        return
    setattr(obj, field, encrypt_secret(obj.tenant_id, SECRET_PURPOSES[field], obj.pk, plaintext))


def open_secret(obj, field: str) -> Secret | None:
    """The plaintext of a sealed field (what the RADIUS server needs for CHAP/MS-CHAPv2)."""
    stored = getattr(obj, field)
    if stored is None:
        return None
    return decrypt_secret(obj.tenant_id, SECRET_PURPOSES[field], obj.pk, stored)


def _plain_secrets(obj) -> dict:
    out = {}
    for name in snapshots.secret_fields(type(obj)):
        value = open_secret(obj, name)
        out[name] = value.reveal() if value is not None else None
    return out


def _seal_history_secrets(entry: History, before: dict | None, after: dict | None) -> None:
    if before is None and after is None:
        return
    payload = json.dumps({"before": before, "after": after})
    entry.sealed_secrets = encrypt_secret(entry.tenant_id, SECRET_PURPOSES["snapshot"], entry.pk, payload)
    entry.save(update_fields=["sealed_secrets"])


def _history_secrets(entry: History, side: str) -> dict | None:
    if entry.sealed_secrets is None:
        return None
    payload = decrypt_secret(entry.tenant_id, SECRET_PURPOSES["snapshot"], entry.pk, entry.sealed_secrets)
    return json.loads(payload.reveal()).get(side)


# --- create / update / delete ----------------------------------------------------------------------
def _audit(access: TenantAccess, verb: str, obj, details: dict | None = None) -> None:
    noun = KINDS[type(obj)][0]
    record(f"radius.{noun}.{verb}", user=access.user, tenant=access.tenant, target=obj, details=details or {})


def _save(obj, secrets: dict | None = None) -> None:
    """Validate and save; unique clashes become field errors, never 500s."""
    for field, plaintext in (secrets or {}).items():
        seal(obj, field, plaintext)
    obj.full_clean(exclude=["tenant", *snapshots.secret_fields(type(obj))])
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        if "radius_router_unique_address" in str(exc):
            raise ValidationError(
                {
                    "address": "This address is already a RADIUS router (of this or another tenant): the server "
                    "tells tenants apart by source address, so each address may be registered once."
                }
            ) from None
        raise ValidationError(f"Could not save: {type(obj)._meta.verbose_name} conflicts with another.") from None
    # Read back what the database stored (Decimal places, normalised durations…): snapshots and
    # responses then show exactly the stored values.
    obj.refresh_from_db()


def _changes(before: dict, after: dict) -> dict:
    return {k: {"old": before.get(k), "new": v} for k, v in after.items() if before.get(k) != v}


def _record_history(access, action: str, obj, before, after, secrets_before=None, secrets_after=None) -> History:
    noun = KINDS[type(obj)][0]
    entry = History.objects.create(
        tenant=access.tenant,
        actor=access.user if getattr(access.user, "is_authenticated", False) else None,
        action=action,
        model=noun,
        object_id=obj.pk,
        object_name=str(obj)[:64],
        before=before,
        after=after,
    )
    _seal_history_secrets(entry, secrets_before, secrets_after)
    return entry


def create(access: TenantAccess, model: type, data: dict, *, secrets: dict | None = None):
    """Create a User Manager object from validated `data` and plaintext `secrets`."""
    require_manage(access)
    obj = model(tenant=access.tenant, **data)
    _save(obj, {k: v for k, v in (secrets or {}).items() if v})
    if KINDS[model][1]:
        secrets_after = _plain_secrets(obj) if snapshots.secret_fields(model) else None
        _record_history(access, HistoryAction.ADD, obj, None, snapshots.snapshot(obj), None, secrets_after)
    _audit(access, "added", obj, {"sealed_fields": sorted(k for k, v in (secrets or {}).items() if v)})
    return obj


def update(access: TenantAccess, obj, data: dict, *, secrets: dict | None = None):
    """Change fields and secrets ({field: plaintext, "" clears}); history + audit (no secrets)."""
    require_manage(access)
    tracked = KINDS[type(obj)][1]
    before = snapshots.snapshot(obj)
    secrets_before = _plain_secrets(obj) if tracked and snapshots.secret_fields(type(obj)) else None
    for field, value in data.items():
        setattr(obj, field, value)
    _save(obj, secrets)
    after = snapshots.snapshot(obj)
    if tracked and (snapshots.comparable(before) != snapshots.comparable(after) or secrets):
        secrets_after = _plain_secrets(obj) if secrets_before is not None else None
        _record_history(access, HistoryAction.SET, obj, before, after, secrets_before, secrets_after)
    details = {"changes": _changes(before, after), "sealed_fields": sorted(secrets or {})}
    _audit(access, "changed", obj, details)
    return obj


def delete(access: TenantAccess, obj) -> None:
    """Remove an object; refused (ValidationError) while others still use it."""
    require_manage(access)
    tracked = KINDS[type(obj)][1]
    before = snapshots.snapshot(obj)
    secrets_before = _plain_secrets(obj) if tracked and snapshots.secret_fields(type(obj)) else None
    pk = obj.pk
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        users = sorted({str(o) for o in exc.protected_objects})[:5]
        raise ValidationError(f"“{obj}” is still in use (by {', '.join(users)}); remove those first.") from None
    obj.pk = pk
    if tracked:
        _record_history(access, HistoryAction.REMOVE, obj, before, None, secrets_before, None)
    _audit(access, "removed", obj)


# --- undo / redo -----------------------------------------------------------------------------------
def _current(entry: History):
    model = HISTORY_MODELS[entry.model]
    return model.objects.filter(tenant_id=entry.tenant_id, pk=entry.object_id).first()


def _restore(entry: History, snap: dict | None, side: str) -> None:
    model = HISTORY_MODELS[entry.model]
    obj = _current(entry)
    if snap is None:
        if obj is not None:
            try:
                with transaction.atomic():
                    obj.delete()
            except ProtectedError:
                raise ValidationError(f"“{obj}” is in use now; it cannot be removed.") from None
        return
    if obj is None:
        obj = model(tenant_id=entry.tenant_id, pk=entry.object_id)
    snapshots.apply(obj, snap)
    secrets = _history_secrets(entry, side) or {}
    _save(obj, {k: (v or "") for k, v in secrets.items()})
    if "profiles" in snap and not obj.user_profiles.exists():
        known = set(
            Profile.objects.filter(pk__in=[p["profile_id"] for p in snap["profiles"]]).values_list("pk", flat=True)
        )
        for p in snap["profiles"]:
            up = UserProfile(tenant_id=entry.tenant_id, user=obj)
            snapshots.apply(up, p)
            if up.profile_id in known:
                up.save()


def _check_state(entry: History, expected: dict | None, verb: str) -> None:
    current = _current(entry)
    now = snapshots.comparable(snapshots.snapshot(current)) if current is not None else None
    if now != snapshots.comparable(expected):
        raise ValidationError(
            f"Cannot {verb}: {entry.model} “{entry.object_name}” has changed since; {verb} the later changes first."
        )


def undo(access: TenantAccess, entry: History) -> History:
    """Put the object back as it was before `entry` (add → removed, set → old values, remove →
    back with its password and queue). Refused if it changed since."""
    require_manage(access)
    if entry.undone:
        raise ValidationError("This change is already undone.")
    _check_state(entry, entry.after, "undo")
    _restore(entry, entry.before, "before")
    entry.undone, entry.undone_at = True, timezone.now()
    entry.save(update_fields=["undone", "undone_at"])
    record("radius.history.undone", user=access.user, tenant=access.tenant, target=entry)
    return entry


def redo(access: TenantAccess, entry: History) -> History:
    """Apply an undone change again. Refused if the object changed since the undo."""
    require_manage(access)
    if not entry.undone:
        raise ValidationError("Only an undone change can be redone.")
    _check_state(entry, entry.before, "redo")
    _restore(entry, entry.after, "after")
    entry.undone, entry.undone_at = False, None
    entry.save(update_fields=["undone", "undone_at"])
    record("radius.history.redone", user=access.user, tenant=access.tenant, target=entry)
    return entry


# --- profiles of a user ----------------------------------------------------------------------------
def _queued(up: UserProfile) -> decisions.QueuedProfile:
    return decisions.QueuedProfile(
        id=up.pk,
        profile_id=up.profile_id,
        position=up.position,
        assigned_at=up.assigned_at,
        starts_when=up.profile.starts_when,
        validity=up.profile.validity,
        state=up.state,
        started_at=up.started_at,
        ends_at=up.ends_at,
    )


def refresh_queue(user: RadiusUser, now=None, *, logging_on: bool = False) -> decisions.QueueView:
    """Bring the user's profile queue up to date at `now` and save what changed."""
    now = now or timezone.now()
    rows = {up.pk: up for up in user.user_profiles.select_related("profile")}
    view = decisions.profile_queue([_queued(up) for up in rows.values()], now, logging_on=logging_on)
    for entry in view.profiles:
        if entry.id in view.changed:
            up = rows[entry.id]
            up.state, up.started_at, up.ends_at = entry.state, entry.started_at, entry.ends_at
            up.save(update_fields=["state", "started_at", "ends_at"])
    return view


def assign_profile(access: TenantAccess, user: RadiusUser, profile: Profile, *, now=None) -> UserProfile:
    """Put `profile` at the end of the user's queue (validity starts now for "assigned")."""
    require_manage(access)
    now = now or timezone.now()
    last = user.user_profiles.aggregate(last=Max("position"))["last"]
    up = UserProfile(tenant=access.tenant, user=user, profile=profile, position=(last or 0) + 1, assigned_at=now)
    _save(up)
    refresh_queue(user, now)
    up.refresh_from_db()
    _audit(access, "added", up, {"user": user.name, "profile": profile.name})
    return up


# --- usage -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UserUsage:
    """What the usage bars and `/users/{id}/usage/` show."""

    active_profile: str
    expires_at: object
    reason: str
    transfer_used: int
    transfer_limit: int | None
    uptime_used_s: int
    uptime_limit_s: int | None
    download_used: int
    upload_used: int
    period_end: object

    @property
    def transfer_remaining(self) -> int | None:
        return None if self.transfer_limit is None else max(0, self.transfer_limit - self.transfer_used)

    @property
    def uptime_remaining_s(self) -> int | None:
        return None if self.uptime_limit_s is None else max(0, self.uptime_limit_s - self.uptime_used_s)

    def percent(self, used: int, limit: int | None) -> int:
        return 0 if not limit else min(100, round(100 * used / limit))

    @property
    def transfer_percent(self) -> int:
        return self.percent(self.transfer_used, self.transfer_limit)

    @property
    def uptime_percent(self) -> int:
        return self.percent(self.uptime_used_s, self.uptime_limit_s)


def user_entitlement(user: RadiusUser, now=None, *, logging_on: bool = False) -> decisions.Entitlement:
    """decisions.entitlement() fed from the database for one user (no writes)."""
    now = now or timezone.now()
    queue = [_queued(up) for up in user.user_profiles.select_related("profile")]
    profile_ids = {q.profile_id for q in queue}
    windows, zones, rule_ids = {}, {}, set()
    for pl in ProfileLimitation.objects.filter(profile_id__in=profile_ids).select_related("profile"):
        windows.setdefault(pl.profile_id, []).append(
            decisions.Window(pl.limitation_id, pl.from_time, pl.till_time, tuple(pl.weekdays))
        )
        zones[pl.profile_id] = pl.profile.time_zone
        rule_ids.add(pl.limitation_id)
    rules = {
        lim.pk: decisions.LimitationRule(
            lim.pk,
            lim.name,
            lim.download_limit,
            lim.upload_limit,
            lim.transfer_limit,
            lim.uptime_limit,
            lim.reset_counters_interval,
            lim.reset_counters_start,
        )
        for lim in Limitation.objects.filter(pk__in=rule_ids)
    }
    sessions = [
        decisions.SessionUsage(s.updated_at, s.download_bytes, s.upload_bytes, s.uptime_s)
        for s in Session.objects.filter(user=user).only("updated_at", "download_bytes", "upload_bytes", "uptime_s")
    ]
    return decisions.entitlement(
        user.name, queue, windows, rules, sessions, now, time_zones=zones, logging_on=logging_on
    )


def user_usage(user: RadiusUser, now=None) -> UserUsage:
    now = now or timezone.now()
    ent = user_entitlement(user, now)
    rem = ent.remaining
    used = rem.used
    active = ent.queue.active
    profile_name = ""
    if active is not None:
        profile_name = Profile.objects.filter(pk=active.profile_id).values_list("name", flat=True).first() or ""
    uptime_limit = None
    if rem.uptime_s is not None:
        uptime_limit = used.uptime_s + rem.uptime_s
    return UserUsage(
        active_profile=profile_name,
        expires_at=ent.queue.expires_at,
        reason=ent.reason,
        transfer_used=used.transfer,
        transfer_limit=None if rem.transfer is None else used.transfer + rem.transfer,
        uptime_used_s=used.uptime_s,
        uptime_limit_s=uptime_limit,
        download_used=used.download,
        upload_used=used.upload,
        period_end=rem.period_end,
    )


# --- vouchers --------------------------------------------------------------------------------------
def _random(alphabet: str, length: int) -> str:
    return "".join(random_secrets.choice(alphabet) for _ in range(length))


def generate_vouchers(
    access: TenantAccess,
    *,
    name: str,
    profile: Profile,
    count: int,
    prefix: str = "",
    password_length: int = 8,
    comment: str = "",
    now=None,
) -> tuple[VoucherBatch, list[tuple[str, str]]]:
    """Create `count` users with random names and passwords, each holding `profile`.

    Returns the batch and [(username, password)] — the only time the passwords are available in
    clear: print them or save the CSV now. One audit entry for the batch (without passwords)."""
    require_manage(access)
    if not 1 <= count <= MAX_VOUCHERS:
        raise ValidationError({"count": f"Between 1 and {MAX_VOUCHERS} vouchers per batch."})
    if not 6 <= password_length <= 32:
        raise ValidationError({"password_length": "Passwords of 6 to 32 characters."})
    now = now or timezone.now()
    batch = VoucherBatch(
        tenant=access.tenant,
        name=name,
        profile=profile,
        count=count,
        prefix=prefix,
        password_length=password_length,
        comment=comment,
        created_by=access.user if getattr(access.user, "is_authenticated", False) else None,
    )
    _save(batch)
    taken = set(RadiusUser.objects.filter(name__startswith=prefix).values_list("name", flat=True))
    cards = []
    while len(cards) < count:
        username = prefix + _random(VOUCHER_NAME_ALPHABET, 6)
        if username in taken:
            continue
        taken.add(username)
        password = _random(VOUCHER_PASSWORD_ALPHABET, password_length)
        user = RadiusUser(tenant=access.tenant, name=username, batch=batch, comment=f"voucher {name}")
        _save(user, {"password": password})
        UserProfile.objects.create(
            tenant=access.tenant,
            user=user,
            profile=profile,
            position=1,
            assigned_at=now,
            started_at=now if profile.starts_when == "assigned" else None,
            ends_at=(now + profile.validity) if profile.starts_when == "assigned" and profile.validity else None,
            state="running-active" if profile.starts_when == "assigned" else "waiting",
        )
        cards.append((username, password))
    _audit(access, "added", batch, {"count": count, "profile": profile.name})
    return batch, cards


# --- routers: the server's view ----------------------------------------------------------------------
def random_shared_secret() -> str:
    """A long random RADIUS secret (32 URL-safe characters, ~190 bits)."""
    return random_secrets.token_urlsafe(24)


# --- sessions ---------------------------------------------------------------------------------------
DISCONNECT_MESSAGES = {
    "ack": "The router ended the session (Disconnect-ACK).",
    "nak": "The router refused to end the session (Disconnect-NAK): it may not know it any more.",
    "timeout": "The router did not answer the Disconnect-Request on its CoA port {port} (is /radius incoming "
    "accept=yes set, and the port reachable?).",
}


def disconnect_session(access: TenantAccess, session: Session, *, timeout: float | None = None) -> str:
    """An operator's Disconnect: a Disconnect-Request (RFC 5176, with Message-Authenticator) to the
    session's NAS CoA port, from this process. Returns "ack", "nak" or "timeout", recorded on the
    session (the cause `admin-reset` on an ACK: the NAS's Accounting-Stop keeps it) and audited."""
    from types import SimpleNamespace

    from radius.server.enforcement import ADMIN_RESET, disconnect_now

    require_manage(access)
    if session.status != SessionStatus.ACTIVE:
        raise ValidationError("The session has already ended.")
    nas = session.nas
    secret = open_secret(nas, "shared_secret") if nas is not None else None
    if secret is None:
        raise ValidationError("The session's router (NAS) or its shared secret no longer exists.")
    target = SimpleNamespace(address=nas.address, coa_port=nas.coa_port, secret=secret.reveal().encode())
    state = SimpleNamespace(
        username=session.username, key=(nas.pk, session.acct_session_id), framed_ip=session.framed_ip
    )
    result = disconnect_now(target, state, timeout=timeout or settings.RADIUS_DISCONNECT_TIMEOUT_S)
    session.disconnect_result = result
    if result == "ack" and not session.terminate_cause:
        session.terminate_cause = ADMIN_RESET
    session.save(update_fields=["disconnect_result", "terminate_cause"])
    record(
        "radius.session.disconnected",
        user=access.user,
        tenant=access.tenant,
        target=session,
        details={"nas": nas.name, "cause": ADMIN_RESET, "result": result},
    )
    return result
