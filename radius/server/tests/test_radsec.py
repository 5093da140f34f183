"""RadSec (RFC 6614) against real TLS sockets: mutual certificate authentication, the NAS found by
source address as over UDP, "radsec" as the secret, pipelining, and bad frames costing only their
own connection. Certificates are a throwaway CA made per test session."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import time
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.management import CommandError, call_command

from radius.management.commands.radius_server import Command
from radius.models import Router
from radius.protocol.client import access_request, check_reply
from radius.protocol.packet import Code, Packet
from radius.server.tests.conftest import NAS_A, SECRET_A, STRANGER, ServerThread, exchange
from radius.server.tests.test_accounting_and_limits import accounting_request
from radius.server.tests.test_metrics import radius_samples, wait_for
from tenants.context import tenant_context

RADSEC = b"radsec"


def _issue(name: str, issuer=None, *, ca: bool = False, ip: str | None = None):
    """(certificate, key): self-signed when `issuer` (cert, key) is None."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), False)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256()), key


def _write(directory, name: str, cert, key) -> SimpleNamespace:
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return SimpleNamespace(cert=str(cert_path), key=str(key_path))


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("radsec-pki")
    ca = _issue("mikman test CA", ca=True)
    other_ca = _issue("someone else's CA", ca=True)
    return SimpleNamespace(
        ca=_write(directory, "ca", *ca),
        server=_write(directory, "server", *_issue("radius.test", ca, ip="127.0.0.1")),
        nas=_write(directory, "nas", *_issue("acme-nas", ca)),
        stranger=_write(directory, "stranger", *_issue("acme-nas", other_ca)),
    )


@pytest.fixture
def radsec_server(um, pki):
    handle = ServerThread(radsec_port=0, radsec_cert=pki.server.cert, radsec_key=pki.server.key, radsec_ca=pki.ca.cert)
    with handle as server:
        yield SimpleNamespace(server=server, handle=handle, um=um, pki=pki)


def connect(running, source: str = NAS_A, client_cert=None, timeout: float = 2.0) -> ssl.SSLSocket:
    """A TLS connection from `source` that trusts only the test CA, presenting `client_cert`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(running.pki.ca.cert)
    if client_cert is not None:
        context.load_cert_chain(client_cert.cert, client_cert.key)
    raw = socket.create_connection(("127.0.0.1", running.server.radsec_port), timeout, source_address=(source, 0))
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def read_frame(sock: ssl.SSLSocket) -> bytes:
    """One RADIUS packet from the stream (b"" when the server closed the connection)."""
    data = b""
    while len(data) < 4 or len(data) < int.from_bytes(data[2:4], "big"):
        chunk = sock.recv(4096 - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def closed_by_server(sock: ssl.SSLSocket) -> bool:
    try:
        return sock.recv(4096) == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True


def test_access_request_over_radsec_gets_the_udp_reply(radsec_server):
    over_udp = exchange(access_request("alice", "alice-pw", SECRET_A.encode()), radsec_server.server.auth_port)
    with connect(radsec_server, client_cert=radsec_server.pki.nas) as sock:
        assert sock.version() in ("TLSv1.2", "TLSv1.3")
        request = access_request("alice", "alice-pw", RADSEC)
        sock.sendall(request.encode())
        reply = check_reply(read_frame(sock), request, require_message_authenticator=True)
    assert reply.code == over_udp.code == Code.ACCESS_ACCEPT
    assert reply.get("Mikrotik-Rate-Limit") == over_udp.get("Mikrotik-Rate-Limit") == "2000000/10000000"
    # the NAS's UDP secret is not the tunnel's: a packet signed with it is dropped, not answered
    with connect(radsec_server, client_cert=radsec_server.pki.nas) as sock:
        sock.sendall(access_request("alice", "alice-pw", SECRET_A.encode()).encode())
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(4096)


@pytest.mark.parametrize("cert", [None, "stranger"], ids=["no-client-certificate", "certificate-of-another-ca"])
def test_client_without_a_trusted_certificate_is_refused(radsec_server, cert):
    client_cert = getattr(radsec_server.pki, cert) if cert else None
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        # TLS 1.3 reports the server's refusal at the first read after the handshake
        with connect(radsec_server, client_cert=client_cert) as sock:
            sock.sendall(Packet(Code.STATUS_SERVER, secret=RADSEC).encode())
            if not read_frame(sock):
                raise ConnectionResetError("closed without an answer")
    assert not radsec_server.server.radsec_connections


def test_unknown_source_address_is_closed_and_counted(radsec_server):
    before = radsec_server.server.stats.unknown_nas
    with connect(radsec_server, source=STRANGER, client_cert=radsec_server.pki.nas) as sock:
        assert closed_by_server(sock)
    assert radsec_server.server.stats.unknown_nas == before + 1


def test_pipelined_requests_all_get_answers_and_are_counted_as_radsec(radsec_server, client):
    before = radius_samples(client, "radsec")["packets"]
    requests = [
        access_request("alice", "alice-pw", RADSEC),
        access_request("alice", "wrong-pw", RADSEC),
        Packet(Code.STATUS_SERVER, secret=RADSEC),
        accounting_request("Start", "radsec-1"),
    ]
    requests[3].secret = RADSEC
    for i, request in enumerate(requests):
        request.identifier = 10 + i
    with connect(radsec_server, client_cert=radsec_server.pki.nas) as sock:
        sock.sendall(b"".join(r.encode() for r in requests))  # one write: all in flight at once
        replies = {}
        while len(replies) < len(requests):
            frame = read_frame(sock)
            assert frame, f"connection closed after {len(replies)} replies"
            request = requests[frame[1] - 10]
            replies[request.identifier] = check_reply(frame, request, require_message_authenticator=True).code
    assert replies == {
        10: Code.ACCESS_ACCEPT,
        11: Code.ACCESS_REJECT,
        12: Code.ACCESS_ACCEPT,
        13: Code.ACCOUNTING_RESPONSE,
    }

    def delta(samples):
        return {k: samples["packets"].get(k, 0) - before.get(k, 0) for k in expected}

    expected = {
        ("access", "accept"): 1,
        ("access", "reject"): 1,
        ("status_server", "auth"): 1,
        ("accounting", "start"): 1,
    }
    assert delta(wait_for(client, lambda s: delta(s) == expected, transport="radsec")) == expected


@pytest.mark.parametrize("bad", [b"\x01\x07\x00\x05garbage", b"\x01\x07\x40\x00"], ids=["too-short", "too-long"])
def test_a_bad_frame_closes_only_its_connection(radsec_server, bad):
    with connect(radsec_server, client_cert=radsec_server.pki.nas) as good:
        with connect(radsec_server, client_cert=radsec_server.pki.nas) as broken:
            broken.sendall(bad)
            assert closed_by_server(broken)
        request = access_request("alice", "alice-pw", RADSEC)
        good.sendall(request.encode())
        assert check_reply(read_frame(good), request, require_message_authenticator=True).code == Code.ACCESS_ACCEPT


def test_a_truncated_frame_then_eof_is_counted_and_the_server_keeps_serving(radsec_server):
    before = radsec_server.server.stats.invalid
    with connect(radsec_server, client_cert=radsec_server.pki.nas) as sock:
        sock.sendall(access_request("alice", "alice-pw", RADSEC).encode()[:30])
        sock.unwrap()  # close_notify: the stream ends inside the packet
    deadline = time.monotonic() + 2
    while radsec_server.server.stats.invalid == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert radsec_server.server.stats.invalid == before + 1
    with connect(radsec_server, client_cert=radsec_server.pki.nas) as sock:
        request = access_request("alice", "alice-pw", RADSEC)
        sock.sendall(request.encode())
        assert check_reply(read_frame(sock), request, require_message_authenticator=True).code == Code.ACCESS_ACCEPT


@pytest.mark.parametrize(
    "args, message",
    [
        (["--radsec-port", "70000"], "must be a port number"),
        (["--radsec-port", "2083"], "RadSec needs --radsec-cert, --radsec-key, --radsec-ca"),
        (
            ["--radsec-port", "2083", "--radsec-cert", "/nonexistent.crt", "--radsec-key", "/x", "--radsec-ca", "/x"],
            "do not load",
        ),
    ],
)
def test_command_refuses_bad_radsec_options_with_a_message(args, message, monkeypatch):
    for name in ("PORT", "CERT", "KEY", "CA"):
        monkeypatch.delenv(f"MIKMAN_RADSEC_{name}", raising=False)
    with pytest.raises(CommandError, match=message):
        call_command("radius_server", *args)


def test_command_takes_radsec_files_from_the_environment(pki, monkeypatch):
    for name, value in {"PORT": "2083", "CERT": pki.server.cert, "KEY": pki.server.key, "CA": pki.ca.cert}.items():
        monkeypatch.setenv(f"MIKMAN_RADSEC_{name}", value)
    command = Command()
    options = vars(command.create_parser("manage.py", "radius_server").parse_args([]))
    assert command._radsec(options) == {
        "radsec_port": 2083,
        "radsec_cert": pki.server.cert,
        "radsec_key": pki.server.key,
        "radsec_ca": pki.ca.cert,
    }


def test_radsec_only_router_is_answered_over_tls_and_its_udp_dropped(radsec_server):
    before = radsec_server.server.notifications
    with tenant_context(radsec_server.um.acme.id):
        Router.objects.filter(address=NAS_A).update(radsec_only=True)
    radsec_server.handle.changed(before)
    dropped = radsec_server.server.stats.invalid
    assert (
        exchange(access_request("alice", "alice-pw", SECRET_A.encode()), radsec_server.server.auth_port, timeout=0.3)
        is None
    )
    assert radsec_server.server.stats.invalid == dropped + 1
    with connect(radsec_server, client_cert=radsec_server.pki.nas) as sock:
        request = access_request("alice", "alice-pw", RADSEC)
        sock.sendall(request.encode())
        assert check_reply(read_frame(sock), request, require_message_authenticator=True).code == Code.ACCESS_ACCEPT


def test_a_frame_left_incomplete_closes_its_connection(radsec_server):
    radsec_server.server.radsec_frame_timeout = 0.2
    before = radsec_server.server.stats.invalid
    with connect(radsec_server, client_cert=radsec_server.pki.nas) as sock:
        sock.sendall(access_request("alice", "alice-pw", RADSEC).encode()[:30])
        started = time.monotonic()
        assert closed_by_server(sock)
        assert time.monotonic() - started < 1.5
    assert radsec_server.server.stats.invalid == before + 1
