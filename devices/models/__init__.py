from .device import (
    CheckState,
    ConnectivityCheck,
    CredentialProfile,
    Device,
    DeviceEvent,
    DeviceStatus,
    Protocol,
    SNMPVersion,
    TLSMode,
)
from .keys import TenantKey

__all__ = [
    "CheckState",
    "ConnectivityCheck",
    "CredentialProfile",
    "Device",
    "DeviceEvent",
    "DeviceStatus",
    "Protocol",
    "SNMPVersion",
    "TLSMode",
    "TenantKey",
]
