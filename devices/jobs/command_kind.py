"""The "command" job kind: one RouterOS command on every device of the job, over the API (the
default: API-SSL then plain API, as the device's protocol settings allow) or over SSH
(`via: ssh`: the same command in its terminal form, the terminal's output).

API commands run on the process's asyncio engine (devices.polling.engine: one uvloop thread per worker
process): each device gets its own short connection — connect, log in, one command, close — at
most the job's `concurrency` at once, so one task thread drives a whole batch without a thread
per device. Device faults become failed rows with the reason (refused, no answer, login
rejected, the router's own error message), never exceptions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import re
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from audit.redaction import redact_text
from devices.jobs.commands import danger_of, format_rows, is_idempotent, parse_command
from devices.jobs.kinds import Emit, JobKind, Prepared, StepResult, register
from devices.protocols.routeros_api import ConnectionClosed, FatalError, TrapError, open_api

VIAS = ("api", "ssh")
SSH_THREADS = 4  # paramiko's key exchange is CPU-bound pure Python: a few threads, not hundreds
# RouterOS answers a bad CLI command with text (and exit status 0): these first lines are errors
CLI_ERROR = re.compile(
    r"^(bad command name|syntax error|failure:|expected |no such item|input does not match|invalid value"
    r"|ambiguous value|value of .* out of range|not enough permissions)",
    re.IGNORECASE,
)


def prepare(params: dict, access) -> Prepared:
    params = params or {}
    if not isinstance(params, dict):
        raise ValidationError({"params": "An object with a `command`."})
    unknown = set(params) - {"command", "via"}
    if unknown:
        raise ValidationError({"params": f"Unknown parameters: {', '.join(sorted(unknown))}."})
    via = params.get("via") or "api"
    if via not in VIAS:
        raise ValidationError({"params": f"`via` is one of: {', '.join(VIAS)}."})
    command = parse_command(str(params.get("command", "")))
    if via == "ssh" and any(w.startswith(("?", ".")) for w in command.words):
        raise ValidationError("Queries (?…) and .proplist are API syntax: run this command via the API.")
    danger = danger_of(command)
    return Prepared(
        params={"command": command.text, "via": via, "dangerous": bool(danger)},
        summary=command.text if via == "api" else f"{command.cli_text} (ssh)",
        dangerous=bool(danger),
        dangerous_reason=danger,
    )


def idempotent(params: dict) -> bool:
    try:
        return is_idempotent(parse_command(params.get("command", "")))
    except ValidationError:
        return False


def start(job, rows: list, emit: Emit) -> concurrent.futures.Future:
    """Build each device's connection target here (tenant context: credentials are decrypted
    now), then hand the conversations to the engine's event loop."""
    from devices.polling.engine import engine

    command = parse_command(job.params.get("command", ""))
    if job.params.get("via") == "ssh":
        return start_ssh(job, rows, emit, command)
    work = []
    for row in rows:
        device = row.device
        if not device.enabled:
            emit(StepResult.skipped(row.pk, "The device is disabled."))
            continue
        try:
            target = api_target(device)
        except _NoApi as exc:
            emit(StepResult.failed(row.pk, str(exc)))
            continue
        work.append((str(row.pk), target))
    limit = max(1, job.concurrency or settings.JOBS_DEVICE_CONCURRENCY)
    return engine().submit(_run_all(work, command, emit, limit))


async def _run_all(work, command, emit: Emit, limit: int) -> None:
    semaphore = asyncio.Semaphore(limit)
    timeout = float(settings.JOBS_STEP_TIMEOUT_S)
    max_chars = settings.JOBS_OUTPUT_MAX_CHARS

    async def one(row_id, target):
        async with semaphore:
            emit(await _run_one(row_id, target, command, timeout, max_chars))

    await asyncio.gather(*(one(row_id, target) for row_id, target in work))


class _LoginRejected(Exception):
    pass


class _NoApi(Exception):
    """The device cannot be reached over the API as configured (the message says why)."""


@dataclass(slots=True)
class ApiTarget:
    host: str
    endpoints: list[tuple[int, ssl.SSLContext | None]]  # (port, TLS context or None), in order
    username: str
    password: object  # devices.keyring.Secret: revealed only when logging in


def api_target(device) -> ApiTarget:
    """API-SSL then plain API, as far as the device's protocol settings allow them (in the
    tenant's context: the credentials are decrypted here)."""
    from devices.keyring import KeyringError
    from devices.services import DeviceError, NoCredentials, device_credentials, tls_context_for

    endpoints: list[tuple[int, ssl.SSLContext | None]] = []
    try:
        for proto in device.protocols_to_try():
            if proto == "api-ssl":
                endpoints.append((device.api_ssl_port, tls_context_for(device)))
            elif proto == "api":
                endpoints.append((device.api_port, None))
        if not endpoints:
            raise _NoApi(f"The device allows no API access (it is managed over {device.protocol}): run it via SSH.")
        username, password = device_credentials(device)
    except (DeviceError, NoCredentials) as exc:
        raise _NoApi(str(exc)) from None
    except KeyringError:
        raise _NoApi("The stored credentials cannot be opened right now.") from None
    return ApiTarget(device.host, endpoints, username, password)


async def _connect(target):
    last: BaseException | None = None
    for port, ssl_context in target.endpoints:
        try:
            return await open_api(
                target.host, port, target.username, target.password.reveal(), ssl_context=ssl_context, timeout=10.0
            )
        except TrapError as exc:  # the router refused the login: never try the next port with it
            raise _LoginRejected(f"login rejected: {exc.message}") from None
        except (TimeoutError, OSError, ConnectionClosed, FatalError, ssl.SSLError) as exc:
            last = exc
        except RuntimeError:  # uvloop: the peer reset the transport under us
            last = ConnectionResetError("connection reset")
    assert last is not None
    raise last


async def _run_one(row_id: str, target, command, timeout: float, max_chars: int) -> StepResult:
    api = None
    try:
        async with asyncio.timeout(timeout):
            api = await _connect(target)
            try:
                rows = await api.call(command.path, *command.words)
            except TrapError as exc:
                return StepResult.failed(row_id, f"RouterOS: {exc.message or 'command failed'}")
        output, truncated = format_rows(rows, max_chars)
        result = StepResult.ok(row_id, output)
        result.truncated = truncated
        return result
    except _LoginRejected as exc:
        return StepResult.failed(row_id, str(exc))
    except TimeoutError:
        return StepResult.failed(row_id, f"no answer within {timeout:g} s")
    except ConnectionRefusedError:
        return StepResult.failed(row_id, "connection refused")
    except ConnectionResetError:
        return StepResult.failed(row_id, "connection reset")
    except ssl.SSLError as exc:
        return StepResult.failed(row_id, f"TLS: {exc.reason or type(exc).__name__}")
    except (ConnectionClosed, FatalError, OSError, RuntimeError) as exc:
        return StepResult.failed(row_id, (str(exc) or type(exc).__name__)[:200])
    except Exception as exc:  # noqa: BLE001 - one device's surprise never breaks the batch
        return StepResult.failed(row_id, f"internal error: {type(exc).__name__}")
    finally:
        if api is not None:
            with contextlib.suppress(Exception):  # the connection is gone either way
                await api.close()


def start_ssh(job, rows: list, emit: Emit, command) -> concurrent.futures.Future:
    """The CLI form of the command over SSH, a few devices at a time (each its own session)."""
    from devices.protocols.ssh import SSHTarget
    from devices.services import NoCredentials, device_credentials

    work = []
    for row in rows:
        device = row.device
        if not device.enabled:
            emit(StepResult.skipped(row.pk, "The device is disabled."))
            continue
        try:
            username, password = device_credentials(device)
        except NoCredentials as exc:
            emit(StepResult.failed(row.pk, str(exc)))
            continue
        except Exception:  # noqa: BLE001 - the key backend: a clear reason, no secret
            emit(StepResult.failed(row.pk, "The stored credentials cannot be opened right now."))
            continue
        target = SSHTarget(
            host=device.host,
            port=device.ssh_port,
            username=username,
            password=password,
            host_key=device.ssh_host_key,
            connect_timeout=10.0,
            command_timeout=float(settings.JOBS_STEP_TIMEOUT_S),
        )
        work.append((row, target))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(SSH_THREADS, job.concurrency or 1)))
    futures = [pool.submit(_ssh_one, str(job.tenant_id), row, target, command.cli_text, emit) for row, target in work]
    pool.shutdown(wait=False)
    return _all_done(futures)


def _ssh_one(tenant_id: str, row, target, cli_text: str, emit: Emit) -> None:
    from devices.protocols.ssh import SSHError, run_commands

    limit = settings.JOBS_OUTPUT_MAX_CHARS
    try:
        results, host_key = run_commands(target, [cli_text])
    except SSHError as exc:
        emit(StepResult.failed(row.pk, str(exc)))
        return
    except Exception as exc:  # noqa: BLE001 - one device's surprise never breaks the batch
        emit(StepResult.failed(row.pk, f"internal error: {type(exc).__name__}"))
        return
    if host_key and not target.host_key:
        _pin_host_key(tenant_id, row.device_id, host_key)
    result = results[0]
    output = redact_text(result.output)
    first = output.strip().splitlines()[0] if output.strip() else ""
    if not result.complete:
        emit(StepResult.failed(row.pk, "the connection ended before the command finished", output[:limit]))
    elif CLI_ERROR.match(first):
        emit(StepResult.failed(row.pk, f"RouterOS: {first[:300]}", output[:limit]))
    else:
        step = StepResult.ok(row.pk, output[:limit])
        step.truncated = len(output) > limit
        emit(step)


def _pin_host_key(tenant_id: str, device_id, host_key: str) -> None:
    """Trust on first use, as backups do: pin the key the device presented if none is pinned."""
    from django.db import connection

    from devices.models import Device
    from tenants.context import tenant_context

    try:
        with tenant_context(tenant_id):
            Device.objects.filter(pk=device_id, ssh_host_key="").update(ssh_host_key=host_key)
    finally:
        connection.close()


def _all_done(futures: list[concurrent.futures.Future]) -> concurrent.futures.Future:
    done: concurrent.futures.Future = concurrent.futures.Future()

    def check(_=None) -> None:
        if all(f.done() for f in futures) and not done.done():
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                done.set_result(None)

    for f in futures:
        f.add_done_callback(check)
    check()
    return done


COMMAND = register(JobKind(name="command", label="Command", prepare=prepare, start=start, idempotent=idempotent))
