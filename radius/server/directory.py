"""The RADIUS server's in-memory picture of every tenant's User Manager.

The hot path never queries the database: NAS, users (with their passwords opened, in this
process's memory only), groups, profiles, limitations and usage are loaded per tenant and kept
current by invalidation (radius.server.invalidation: a trigger NOTIFYs on every committed change,
the affected rows are re-read before that tenant's next request is decided).

Loading runs inside `tenant_context(tenant)` — the server is the app role under RLS like every
other component; the address → tenant map is assembled from each tenant's own routers.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from radius import decisions
from radius.choices import SessionStatus
from radius.protocol.dictionary import DEFAULT_DICTIONARY, AttributeDef, Dictionary

log = logging.getLogger("radius.server")

_VALUE_TYPES = {"string": "string", "integer": "integer", "ipaddr": "ipaddr", "hex": "octets"}


@dataclass(slots=True)
class Nas:
    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    address: str
    secret: bytes
    require_message_authenticator: bool
    coa_port: int
    radsec_only: bool = False


@dataclass(slots=True)
class Limit:
    """A Limitation: the counters (for decisions) and what it puts in the reply."""

    rule: decisions.LimitationRule
    rate_limit: str
    group_name: str
    address_list: str
    ip_pool: str
    on_limit_reached: str = "disconnect"
    throttle_rate_limit: str = ""  # Mikrotik-Rate-Limit sent by CoA when a byte limit is used up


@dataclass(slots=True)
class ProfileInfo:
    id: uuid.UUID
    name: str
    starts_when: str
    validity: dt.timedelta | None
    override_shared_users: int | None
    time_zone: str
    windows: list[decisions.Window] = field(default_factory=list)
    shared_users_overflow: str = "reject-new"  # or "disconnect-oldest"


@dataclass(slots=True)
class SessionState:
    """One accounting session as the server tracks it (totals with gigawords folded in)."""

    key: tuple  # (nas_id, acct_session_id)
    username: str
    user_id: uuid.UUID | None
    started_at: dt.datetime
    updated_at: dt.datetime
    download: int = 0
    upload: int = 0
    uptime_s: int = 0
    active: bool = True
    calling_station_id: str = ""
    framed_ip: str | None = None
    nas_port_id: str = ""
    terminate_cause: str = ""
    ended_at: dt.datetime | None = None
    disconnect_sent: bool = False
    throttled_rate_limit: str = ""  # the rate a CoA set (fair-usage throttling)
    coa_result: str = ""  # ack | nak | timeout
    coa_sent: str = ""  # the rate of a CoA in flight or acknowledged (not sent twice)


@dataclass(slots=True)
class UserEntry:
    id: uuid.UUID
    name: str
    password: str  # plaintext: process memory only, never logged
    otp_secret: bytes | None
    group_id: uuid.UUID | None
    shared_users: int
    caller_id: str
    bind_on_first_use: bool
    ip_address: str | None
    attributes: dict
    disabled: bool
    queue: list[decisions.QueuedProfile] = field(default_factory=list)
    sessions: dict = field(default_factory=dict)  # key → SessionState
    sealed: tuple = ()  # digests of the sealed password / otp secret the plaintexts came from
    view_cache: tuple | None = None  # (QueueView, valid until): see authorize.queue_view

    def usage(self) -> list[decisions.SessionUsage]:
        return [decisions.SessionUsage(s.updated_at, s.download, s.upload, s.uptime_s) for s in self.sessions.values()]

    def active_sessions(self) -> int:
        return sum(1 for s in self.sessions.values() if s.active)


@dataclass
class TenantDirectory:
    """Everything one tenant's requests are decided with."""

    tenant_id: uuid.UUID
    nas: dict[uuid.UUID, Nas] = field(default_factory=dict)
    users: dict[str, UserEntry] = field(default_factory=dict)
    user_names: dict[uuid.UUID, str] = field(default_factory=dict)
    groups: dict[uuid.UUID, tuple[list[str] | None, dict]] = field(default_factory=dict)
    profiles: dict[uuid.UUID, ProfileInfo] = field(default_factory=dict)
    limits: dict[uuid.UUID, Limit] = field(default_factory=dict)
    dictionary: Dictionary = DEFAULT_DICTIONARY
    # sessions whose user is unknown (accounting for a name the tenant does not have)
    orphan_sessions: dict = field(default_factory=dict)

    # derived from profiles/limits by index(): what every decision reads, built once per load
    windows: dict = field(default_factory=dict)
    time_zones: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)

    def index(self) -> None:
        self.windows = {p.id: p.windows for p in self.profiles.values()}
        self.time_zones = {p.id: p.time_zone for p in self.profiles.values()}
        self.rules = {i: lim.rule for i, lim in self.limits.items()}
        for user in self.users.values():
            user.view_cache = None

    def users_by_id(self) -> dict:
        return {uid: self.users[name] for uid, name in list(self.user_names.items()) if name in self.users}

    def put_user(self, entry: UserEntry | None, user_id: uuid.UUID) -> None:
        """Replace (or with None remove) one user, keeping its live sessions."""
        old_name = self.user_names.pop(user_id, None)
        old = self.users.pop(old_name, None) if old_name else None
        if entry is None:
            return
        if old is not None:
            # accounting state not yet flushed is newer than what the database returned
            for key, state in old.sessions.items():
                current = entry.sessions.get(key)
                if current is None or state.updated_at >= current.updated_at:
                    entry.sessions[key] = state
        self.users[entry.name] = entry
        self.user_names[user_id] = entry.name


# --- loading (database thread, inside tenant_context) ---------------------------------------------
def _otp_bytes(value: str | None) -> bytes | None:
    if not value:
        return None
    text = value.strip().replace(" ", "").upper()
    try:
        return base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        return text.encode()


def _digest(stored) -> str:
    if stored is None:
        return ""
    from devices.keyring.envelope import EncryptedSecret

    return EncryptedSecret.coerce(stored).payload_digest()


def _open(obj, field_name: str) -> str | None:
    from radius.services import open_secret

    try:
        secret = open_secret(obj, field_name)
    except Exception as exc:  # noqa: BLE001 - a secret that does not open is a user that cannot log in, not a crash
        log.warning("radius: %s %s: %s does not open (%s)", type(obj).__name__, obj.pk, field_name, type(exc).__name__)
        return None
    return secret.reveal() if secret is not None else None


def load_routers(tenant_id) -> dict[uuid.UUID, Nas]:
    from radius.models import Router

    out = {}
    for router in Router.objects.filter(tenant_id=tenant_id, disabled=False):
        secret = _open(router, "shared_secret")
        if not secret:
            continue  # a NAS without a secret cannot be verified: its packets are dropped
        out[router.pk] = Nas(
            router.pk,
            router.tenant_id,
            router.name,
            router.address,
            secret.encode(),
            router.require_message_authenticator,
            router.coa_port,
            router.radsec_only,
        )
    return out


def load_catalog(directory: TenantDirectory) -> None:
    """Groups, profiles (+ windows), limitations and custom attributes of the tenant."""
    from radius.models import CustomAttribute, Group, Limitation, Profile, ProfileLimitation

    tid = directory.tenant_id
    directory.groups = {
        g.pk: (list(g.outer_auths) if g.outer_auths else [], dict(g.attributes or {}))
        for g in Group.objects.filter(tenant_id=tid)
    }
    profiles = {
        p.pk: ProfileInfo(
            p.pk,
            p.name,
            p.starts_when,
            p.validity,
            p.override_shared_users,
            p.time_zone,
            shared_users_overflow=p.shared_users_overflow,
        )
        for p in Profile.objects.filter(tenant_id=tid)
    }
    for pl in ProfileLimitation.objects.filter(tenant_id=tid).order_by("limitation__name", "id"):
        if pl.profile_id in profiles:
            profiles[pl.profile_id].windows.append(
                decisions.Window(pl.limitation_id, pl.from_time, pl.till_time, tuple(pl.weekdays))
            )
    directory.profiles = profiles
    directory.limits = {
        lim.pk: Limit(
            decisions.LimitationRule(
                lim.pk,
                lim.name,
                lim.download_limit,
                lim.upload_limit,
                lim.transfer_limit,
                lim.uptime_limit,
                lim.reset_counters_interval,
                lim.reset_counters_start,
            ),
            decisions.rate_limit_string(lim),
            lim.group_name,
            lim.address_list,
            lim.ip_pool,
            lim.on_limit_reached,
            lim.throttle_rate_limit.strip(),
        )
        for lim in Limitation.objects.filter(tenant_id=tid)
    }
    extra, vendors = [], {}
    for attr in CustomAttribute.objects.filter(tenant_id=tid):
        if attr.vendor_id and attr.vendor_id not in DEFAULT_DICTIONARY.vendors:
            vendors[attr.vendor_id] = f"Vendor-{attr.vendor_id}"
        try:
            extra.append(AttributeDef(attr.name, attr.type_id, _VALUE_TYPES[attr.value_type], attr.vendor_id))
        except (KeyError, ValueError):
            log.warning("radius: custom attribute %s skipped (bad definition)", attr.name)
    directory.dictionary = DEFAULT_DICTIONARY.extend(extra, vendors) if extra else DEFAULT_DICTIONARY
    directory.index()


def _queued(up) -> decisions.QueuedProfile:
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


def _session_state(s) -> SessionState:
    return SessionState(
        key=(s.nas_id, s.acct_session_id),
        username=s.username,
        user_id=s.user_id,
        started_at=s.started_at,
        updated_at=s.updated_at,
        download=s.download_bytes,
        upload=s.upload_bytes,
        uptime_s=s.uptime_s,
        active=s.status == SessionStatus.ACTIVE,
        calling_station_id=s.calling_station_id,
        framed_ip=s.framed_ip,
        nas_port_id=s.nas_port_id,
        terminate_cause=s.terminate_cause,
        ended_at=s.ended_at,
        throttled_rate_limit=s.throttled_rate_limit,
        coa_result=s.coa_result,
        coa_sent=s.throttled_rate_limit if s.coa_result == "ack" else "",
    )


def load_users(tenant_id, user_ids=None, known: dict | None = None) -> dict[uuid.UUID, UserEntry | None]:
    """Users (all, or the given ids: missing ones map to None) with queue and sessions.

    `known` (user id → the cached UserEntry): a secret whose ciphertext has not changed is taken
    from there instead of being opened again — opening costs a key unwrap, and most reloads
    (a profile assigned, a binding) do not touch the password."""
    from radius.models import RadiusUser, Session, UserProfile

    users = RadiusUser.objects.filter(tenant_id=tenant_id)
    queues = UserProfile.objects.filter(tenant_id=tenant_id).select_related("profile")
    sessions = Session.objects.filter(tenant_id=tenant_id, user__isnull=False)
    if user_ids is not None:
        users = users.filter(pk__in=user_ids)
        queues = queues.filter(user_id__in=user_ids)
        sessions = sessions.filter(user_id__in=user_ids)
    out: dict[uuid.UUID, UserEntry | None] = dict.fromkeys(user_ids or [])
    for u in users:
        sealed = (_digest(u.password), _digest(u.otp_secret))
        previous = (known or {}).get(u.pk)
        if previous is not None and previous.sealed == sealed:
            password, otp = previous.password, previous.otp_secret
        else:
            password = _open(u, "password") or ""
            otp = _otp_bytes(_open(u, "otp_secret")) if u.otp_secret is not None else None
        out[u.pk] = UserEntry(
            u.pk,
            u.name,
            password,
            otp,
            u.group_id,
            u.shared_users,
            u.caller_id,
            u.bind_on_first_use,
            u.ip_address,
            dict(u.attributes or {}),
            u.disabled,
            sealed=sealed,
        )
    for up in queues:
        entry = out.get(up.user_id)
        if entry is not None:
            entry.queue.append(_queued(up))
    for s in sessions.only(
        "nas_id",
        "acct_session_id",
        "username",
        "user_id",
        "started_at",
        "updated_at",
        "download_bytes",
        "upload_bytes",
        "uptime_s",
        "status",
        "calling_station_id",
        "framed_ip",
        "nas_port_id",
        "terminate_cause",
        "ended_at",
    ):
        entry = out.get(s.user_id)
        if entry is not None:
            state = _session_state(s)
            entry.sessions[state.key] = state
    return out


def load_tenant(tenant_id, previous: TenantDirectory | None = None) -> TenantDirectory:
    """A tenant's whole directory (call inside tenant_context(tenant_id))."""
    directory = TenantDirectory(uuid.UUID(str(tenant_id)))
    directory.nas = load_routers(tenant_id)
    load_catalog(directory)
    for user_id, entry in load_users(tenant_id, known=previous.users_by_id() if previous else None).items():
        directory.put_user(entry, user_id)
    return directory
