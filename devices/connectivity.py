"""The interactive connectivity check: log in with the device's credentials over its preferred
protocol, then its allowed fallbacks, read its facts and compare its user's group policies with
the recommended set.

`run_check(tenant_id, check_id)` is the body of the Celery task. It commits in short phases
(each in the tenant's context) so that the UI polling the ConnectivityCheck row sees progress:
queued → running ("Connecting via API-SSL…") → succeeded / failed with a specific message. The
network part runs outside any transaction. A device fault is a result, never an exception.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field

from django.utils import timezone

from devices import services
from devices.models import CheckState, ConnectivityCheck, Device, DeviceStatus, Protocol
from tenants.context import deactivate_tenant, tenant_context

log = logging.getLogger("devices.connectivity")

CONNECT_TIMEOUT_S = 10.0
SUPPORTED = (Protocol.API_SSL, Protocol.API, Protocol.REST, Protocol.SSH, Protocol.SNMP)
LOGIN_PROTOCOLS = (Protocol.API_SSL, Protocol.API, Protocol.REST, Protocol.SSH)
_UPTIME = re.compile(r"(\d+)([wdhms])")
_UNIT = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_uptime(text: str) -> int | None:
    """RouterOS durations ("2w1d03:04:05", "1d2h3m4s", "03:04:05") in seconds."""
    if not text:
        return None
    total, rest = 0, text.strip()
    clock = re.search(r"(\d+):(\d{2}):(\d{2})$", rest)
    if clock:
        total += int(clock[1]) * 3600 + int(clock[2]) * 60 + int(clock[3])
        rest = rest[: clock.start()]
    parts = _UPTIME.findall(rest)
    if not parts and not clock:
        return None
    return total + sum(int(n) * _UNIT[u] for n, u in parts)


def _major(version: str) -> int:
    match = re.match(r"(\d+)", version or "")
    return int(match[1]) if match else 7


def missing_policies(group_policy: str, version: str) -> list[str]:
    """Recommended policies the group lacks (rest-api only exists from RouterOS 7)."""
    have = {p for p in group_policy.split(",") if p and not p.startswith("!")}
    needed = [p for p in services.REQUIRED_POLICIES if not (p == "rest-api" and _major(version) < 7)]
    return [p for p in needed if p not in have]


@dataclass
class ProbeResult:
    facts: dict = field(default_factory=dict)
    group: str = ""
    group_policy: str | None = None
    policy_error: str = ""


# --- protocol probes (no database in here) --------------------------------------------------------


async def _probe_api(host: str, port: int, username: str, password, ssl_context, timeout: float) -> ProbeResult:
    from devices.protocols.routeros_api import TrapError, open_api

    api = await open_api(host, port, username, password.reveal(), ssl_context=ssl_context, timeout=timeout)
    try:

        async def first(cmd: str, *words: str) -> dict:
            try:
                rows = await api.call(cmd, *words)
            except TrapError:
                return {}
            return rows[0] if rows else {}

        resource = await first("/system/resource/print")
        identity = await first("/system/identity/print")
        board = await first("/system/routerboard/print")
        license_row = await first("/system/license/print")
        result = ProbeResult(facts=_facts(resource, identity, board, license_row))
        try:
            users = await api.call("/user/print", f"?name={username}")
            result.group = users[0].get("group", "") if users else ""
            groups = await api.call("/user/group/print", f"?name={result.group}") if result.group else []
            result.group_policy = groups[0].get("policy", "") if groups else None
        except TrapError as exc:
            result.policy_error = f"could not read the user's group: {exc.message}"
        return result
    finally:
        await api.close()


def _probe_rest(host: str, port: int, username: str, password, ssl_context, timeout: float) -> ProbeResult:
    import httpx

    base = f"https://{host}:{port}/rest"
    with httpx.Client(verify=ssl_context, timeout=timeout, auth=(username, password.reveal())) as client:

        def get(path: str, **params) -> list | dict:
            response = client.get(base + path, params=params or None)
            if response.status_code == 401:
                raise RestAuthError("RouterOS refused the login (HTTP 401).")
            if response.status_code >= 400:
                return {}
            return response.json()

        def one(path: str) -> dict:
            data = get(path)
            return (data[0] if data else {}) if isinstance(data, list) else data

        result = ProbeResult(
            facts=_facts(
                one("/system/resource"), one("/system/identity"), one("/system/routerboard"), one("/system/license")
            )
        )
        users = get("/user", name=username)
        result.group = users[0].get("group", "") if isinstance(users, list) and users else ""
        groups = get("/user/group", name=result.group) if result.group else []
        result.group_policy = groups[0].get("policy", "") if isinstance(groups, list) and groups else None
        return result


class RestAuthError(Exception):
    pass


SAFE_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


def _cli_rows(text: str) -> dict:
    """`key: value` lines of a RouterOS `print` (single-item menus) as a dict."""
    row = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and key and " " not in key:
            row[key] = value.strip()
    return row


def _probe_ssh(host: str, port: int, username: str, password, timeout: float) -> ProbeResult:
    import paramiko

    client = paramiko.SSHClient()
    # No host-key pinning yet: the check only proves the login works (the SSH key is not recorded).
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507
    client.connect(
        host,
        port=port,
        username=username,
        password=password.reveal(),
        timeout=timeout,
        banner_timeout=timeout,
        auth_timeout=timeout,
        look_for_keys=False,
        allow_agent=False,
    )
    try:

        def run(command: str) -> str:
            _in, out, _err = client.exec_command(command, timeout=timeout)
            return out.read().decode("utf-8", "replace")

        result = ProbeResult(
            facts=_facts(
                _cli_rows(run("/system resource print")),
                _cli_rows(run("/system identity print")),
                _cli_rows(run("/system routerboard print")),
                _cli_rows(run("/system license print")),
            )
        )
        if not SAFE_NAME.match(username):
            result.policy_error = "the user name cannot be looked up safely over SSH"
            return result
        result.group = run(f':put [/user get [find name="{username}"] group]').strip()
        if result.group and SAFE_NAME.match(result.group):
            policy = run(f':put [/user group get [find name="{result.group}"] policy]').strip()
            result.group_policy = policy if policy and "failure" not in policy and "no such" not in policy else None
        return result
    finally:
        client.close()


def _facts(resource: dict, identity: dict, board: dict, license_row: dict) -> dict:
    return {
        "identity": identity.get("name", ""),
        "model": board.get("model") or resource.get("board-name", ""),
        "serial": board.get("serial-number", ""),
        "architecture": resource.get("architecture-name", ""),
        "ros_version": (resource.get("version") or "").split(" ")[0],  # "7.14.3 (stable)" → "7.14.3"
        "firmware": board.get("current-firmware", ""),
        "license_level": license_row.get("level") or license_row.get("nlevel", ""),
        "uptime_s": parse_uptime(resource.get("uptime", "")),
    }


def _probe_snmp(host: str, port: int, auth, timeout: float) -> ProbeResult:
    """SNMP is read-only and has no users: the check proves the device answers with these
    credentials and reads its facts (the same objects the poller reads)."""
    from devices.polling.collect import DeviceMemory
    from devices.polling.collect_snmp import FACT_SCALARS, SCALARS, build_sample
    from devices.protocols.snmp import SnmpSession

    async def read() -> ProbeResult:
        session = await SnmpSession.open(host, port, auth, timeout=timeout)
        scalars = await session.get(SCALARS + FACT_SCALARS)
        sample, _ = build_sample(scalars, {}, DeviceMemory(), facts_due=True)
        return ProbeResult(facts={**sample.facts, "uptime_s": sample.uptime_s})

    return asyncio.run(read())


def probe(protocol: str, host: str, port: int, username: str, password, ssl_context, timeout: float) -> ProbeResult:
    if protocol in (Protocol.API, Protocol.API_SSL):
        context = ssl_context if protocol == Protocol.API_SSL else None
        return asyncio.run(_probe_api(host, port, username, password, context, timeout))
    if protocol == Protocol.REST:
        return _probe_rest(host, port, username, password, ssl_context, timeout)
    if protocol == Protocol.SSH:
        return _probe_ssh(host, port, username, password, timeout)
    raise NotImplementedError(protocol)


def _failure(exc: BaseException, port: int, timeout: float, protocol: str = "") -> services.Failure:
    from devices.protocols.errors import GarbledReply, LoginRejected

    if isinstance(exc, RestAuthError):
        return services.Failure(DeviceStatus.AUTH_FAILED, "auth_failed", str(exc))
    if isinstance(exc, LoginRejected):
        return services.Failure(DeviceStatus.AUTH_FAILED, "auth_failed", f"The device refused the credentials: {exc}")
    if isinstance(exc, GarbledReply):
        return services.Failure(DeviceStatus.DEGRADED, "protocol_error", f"Unexpected reply on port {port}: {exc}")
    if protocol == Protocol.SNMP and isinstance(exc, TimeoutError):
        return services.Failure(
            DeviceStatus.UNREACHABLE,
            "timeout",
            f"No SNMP answer on port {port} within {timeout:g} s "
            "(wrong community or v3 user, SNMP off, or device down).",
        )
    import paramiko

    if isinstance(exc, paramiko.AuthenticationException):
        return services.Failure(DeviceStatus.AUTH_FAILED, "auth_failed", "RouterOS refused the SSH login.")
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError) and exc.errors:
        inner = next(iter(exc.errors.values()))
        return services.classify_failure(inner, port=port, timeout=timeout)
    if isinstance(exc, paramiko.SSHException):
        return services.Failure(DeviceStatus.UNREACHABLE, "protocol_error", f"SSH failed on port {port}: {exc}")
    try:
        import httpx

        if isinstance(exc, httpx.ConnectError) and exc.__context__ is not None:
            return services.classify_failure(exc.__context__, port=port, timeout=timeout)
        if isinstance(exc, httpx.TimeoutException):
            return services.Failure(
                DeviceStatus.UNREACHABLE, "timeout", f"No answer on port {port} within {timeout:g} s."
            )
    except ImportError:  # pragma: no cover
        pass
    return services.classify_failure(exc, port=port, timeout=timeout)


# --- the check --------------------------------------------------------------------------------------


def _progress(tenant_id: str, check_id: str, text: str) -> None:
    with tenant_context(tenant_id):
        ConnectivityCheck.objects.filter(pk=check_id).update(progress=text[:200])


def run_check(tenant_id: str, check_id: str, *, timeout: float = CONNECT_TIMEOUT_S) -> str:
    """Run one queued check; returns its final state. Never raises for a device fault."""
    try:
        return _run(tenant_id, check_id, timeout)
    except Exception:
        log.exception("connectivity check %s failed unexpectedly", check_id)
        with tenant_context(tenant_id):
            ConnectivityCheck.objects.filter(pk=check_id).update(
                state=CheckState.FAILED,
                outcome="internal_error",
                message="The check failed unexpectedly; the error was logged.",
                finished=timezone.now(),
            )
        return CheckState.FAILED
    finally:
        deactivate_tenant()


def _run(tenant_id: str, check_id: str, timeout: float) -> str:
    # Phase 1: load, mark running, open the credentials (the keyring needs the tenant's context).
    with tenant_context(tenant_id):
        check = (
            ConnectivityCheck.objects.select_related("device", "device__credential_profile").filter(pk=check_id).first()
        )
        if check is None or check.done:
            return check.state if check else "missing"
        device = check.device
        check.state, check.started, check.progress = CheckState.RUNNING, timezone.now(), "Starting"
        check.save(update_fields=["state", "started", "progress"])
        protocols = device.protocols_to_try()
        username, password, no_login = "", None, ""
        try:
            try:
                username, password = services.device_credentials(device)
            except services.NoCredentials as exc:
                if Protocol.SNMP not in protocols:
                    raise
                no_login = str(exc)  # SNMP needs no login: check it alone
            contexts = {p: services.tls_context_for(device) for p in (Protocol.API_SSL, Protocol.REST)}
        except (services.DeviceError, services.KeyringError) as exc:
            return _finish_failed(device, check, services.classify_failure(exc), attempts=[])
        snmp, snmp_problem = None, ""
        if Protocol.SNMP in protocols:
            from devices.polling.targets import Unpollable, snmp_auth

            try:
                snmp = snmp_auth(device)
            except Unpollable as exc:
                snmp_problem = str(exc)
            except services.KeyringError:
                snmp_problem = "The stored SNMP credentials cannot be opened right now."
        host, plan = device.host, [(p, device.port_for(p)) for p in protocols]

    # Phase 2: the network, outside any transaction.
    attempts: list[dict] = []
    success: tuple[str, ProbeResult] | None = None
    last_failure: services.Failure | None = None
    for protocol, port in plan:
        skip = ""
        if protocol not in SUPPORTED:
            skip = f"{protocol} cannot be checked."
        elif protocol in LOGIN_PROTOCOLS and password is None:
            skip = no_login
        elif protocol == Protocol.SNMP and snmp is None:
            skip = snmp_problem
        if skip:
            attempts.append({"protocol": protocol, "port": port, "outcome": "skipped", "message": skip})
            continue
        _progress(tenant_id, check_id, f"Connecting via {protocol} to {host}:{port}…")
        try:
            if protocol == Protocol.SNMP:
                result = _probe_snmp(host, port, snmp, timeout)
            else:
                result = probe(protocol, host, port, username, password, contexts.get(protocol), timeout)
        except Exception as exc:  # noqa: BLE001 - every device fault becomes a recorded result
            failure = _failure(exc, port, timeout, protocol)
            attempts.append(
                {"protocol": protocol, "port": port, "outcome": failure.outcome, "message": failure.message}
            )
            last_failure = failure
            if failure.outcome in ("auth_failed", "tls_mismatch"):
                break  # wrong credentials or a changed certificate: do not try them elsewhere
            continue
        attempts.append({"protocol": protocol, "port": port, "outcome": "ok", "message": "Logged in."})
        success = (protocol, result)
        break
    del password

    # Phase 3: record what happened.
    with tenant_context(tenant_id):
        device = Device.objects.select_for_update().get(pk=device.pk)
        check = ConnectivityCheck.objects.get(pk=check_id)
        if success is None:
            skipped = "; ".join(a["message"] for a in attempts if a["outcome"] == "skipped" and a["message"])
            failure = last_failure or services.Failure(
                DeviceStatus.AUTH_FAILED if no_login or snmp_problem else DeviceStatus.UNKNOWN,
                "no_credentials" if no_login or snmp_problem else "no_protocol",
                skipped or "None of the device's protocols can be checked.",
            )
            return _finish_failed(device, check, failure, attempts)
        protocol, result = success
        services.apply_facts(device, result.facts)
        if protocol == Protocol.API_SSL or protocol == Protocol.REST:
            services.remember_tls_fingerprint(device, contexts[protocol])
        missing = (
            missing_policies(result.group_policy or "", device.ros_version) if result.group_policy is not None else []
        )
        fallback = f" (fell back from {device.protocol})" if protocol != device.protocol else ""
        if protocol == Protocol.SNMP:  # read-only, no user: nothing more to check
            outcome, state = "ok", CheckState.SUCCEEDED
            message = (
                f"Reached via snmp{fallback}: {device.identity or device.host}, RouterOS {device.ros_version} "
                "(SNMP is read-only: no user policies to check)."
            )
            services.record_status(
                device, DeviceStatus.ONLINE, "" if not fallback else f"Reached via {protocol}{fallback}."
            )
        elif result.policy_error or result.group_policy is None:
            outcome, state = "policy_unknown", CheckState.SUCCEEDED
            message = (
                f"Logged in via {protocol}{fallback}, but {result.policy_error or 'the user group was not found'}."
            )
            services.record_status(device, DeviceStatus.ONLINE, message)
        elif missing:
            outcome, state = "insufficient_policy", CheckState.FAILED
            message = (
                f"Logged in via {protocol}{fallback} as group “{result.group}”, which lacks the "
                f"policies: {', '.join(missing)}. Use the recommended group."
            )
            services.record_status(device, DeviceStatus.DEGRADED, message)
        else:
            outcome, state = "ok", CheckState.SUCCEEDED
            message = (
                f"Logged in via {protocol}{fallback}: {device.identity or device.host}, RouterOS {device.ros_version}."
            )
            services.record_status(
                device, DeviceStatus.ONLINE, "" if not fallback else f"Reached via {protocol}{fallback}."
            )
        Device.objects.filter(pk=device.pk).update(auth_blocked=False, consecutive_failures=0, backoff_until=None)
        _finish(check, state, outcome, message, attempts, protocol=protocol, missing=missing)
        return state


def _finish_failed(device: Device, check: ConnectivityCheck, failure: services.Failure, attempts: list) -> str:
    if failure.status != DeviceStatus.UNKNOWN:
        services.record_status(device, failure.status, failure.message)
    if failure.status == DeviceStatus.AUTH_FAILED:
        # no login floods: not polled again until the credentials change or a user retries
        Device.objects.filter(pk=device.pk).update(auth_blocked=True)
    _finish(check, CheckState.FAILED, failure.outcome, failure.message, attempts)
    return CheckState.FAILED


def _finish(check, state, outcome, message, attempts, *, protocol="", missing=()) -> None:
    check.state, check.outcome, check.message = state, outcome, message
    check.attempts, check.protocol, check.missing_policies = attempts, protocol, list(missing)
    check.finished, check.progress = timezone.now(), "Done"
    check.save()
    from audit.services import record

    record(
        "device.checked",
        user=check.requested_by,
        tenant=check.tenant_id,
        site=check.device.site_id,
        target=check.device,
        details={"check": str(check.pk), "state": state, "outcome": outcome, "protocol": protocol},
    )
