"""Per-fleet TLS: one self-signed CA (tests pin it) and server certs per /24 block of devices.

A single cert listing 10,000 IP SANs would be sent on every handshake, so devices are grouped
in blocks of 254 (one 127.A.B.0/24 each); a fleet of up to 254 devices has exactly one server
cert.  Keys are EC P-256 (fast to generate and to handshake).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _write(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


class FleetTLS:
    """Loads or creates the fleet CA in `directory` and hands out server SSL contexts."""

    def __init__(self, directory: str, name: str = "mikman simulator") -> None:
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.ca_pem_path = os.path.join(directory, "ca.pem")
        key_path = os.path.join(directory, "ca.key")
        self._lock = threading.Lock()
        self._contexts: dict[int, ssl.SSLContext] = {}
        if os.path.exists(self.ca_pem_path) and os.path.exists(key_path):
            with open(key_path, "rb") as fh:
                self._ca_key = serialization.load_pem_private_key(fh.read(), password=None)
            with open(self.ca_pem_path, "rb") as fh:
                self._ca_cert = x509.load_pem_x509_certificate(fh.read())
            return
        self._ca_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA")])
        now = dt.datetime.now(dt.UTC)
        self._ca_cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._ca_key.public_key()), critical=False)
            .sign(self._ca_key, hashes.SHA256())
        )
        _write(
            key_path,
            self._ca_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        _write(self.ca_pem_path, self._ca_cert.public_bytes(serialization.Encoding.PEM))

    def context(self, block: int, addresses: list[str]) -> ssl.SSLContext:
        """Server context whose certificate covers `addresses` (cached per block)."""
        with self._lock:
            ctx = self._contexts.get(block)
            if ctx is None:
                ctx = self._make_context(block, addresses)
                self._contexts[block] = ctx
            return ctx

    def _make_context(self, block: int, addresses: list[str]) -> ssl.SSLContext:
        cert_path = os.path.join(self.directory, f"server-{block}.pem")
        key_path = os.path.join(self.directory, f"server-{block}.key")
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        sans: list[x509.GeneralName] = [x509.DNSName("localhost")]
        sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in dict.fromkeys(addresses + ["127.0.0.1"])]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sim-block-{block}")]))
            .issuer_name(self._ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self._ca_key, hashes.SHA256())
        )
        _write(
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        _write(
            cert_path,
            cert.public_bytes(serialization.Encoding.PEM) + self._ca_cert.public_bytes(serialization.Encoding.PEM),
        )
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert_path, key_path)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A client context pinned to the fleet CA (for tests and the benchmark)."""
        return ssl.create_default_context(cafile=self.ca_pem_path)
