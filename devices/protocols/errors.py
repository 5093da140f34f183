"""Faults that the REST and SNMP clients report in one vocabulary (the API client uses
librouteros' own exceptions). Network faults are raised as the builtin exceptions a socket
would give (ConnectionRefusedError, ConnectionResetError, TimeoutError, ssl.SSLError), so a
caller classifies every protocol's failures with the same `except` clauses."""

from __future__ import annotations


class LoginRejected(Exception):
    """The device answered and refused the credentials (HTTP 401, SNMPv3 wrong key/user).
    Callers must not try the same credentials on another protocol: one failed login only."""


class GarbledReply(Exception):
    """The device answered, but not in the protocol (not HTTP, not JSON, not SNMP)."""


class PeerIdentityChanged(Exception):
    """The device presented another key or certificate than the one pinned for it."""
