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
from .feeds import FeedState, RouterOSRelease, Vulnerability
from .keys import TenantKey
from .metrics import (
    DeviceRollup1h,
    DeviceRollup5m,
    DeviceSample,
    InterfaceRollup1h,
    InterfaceRollup5m,
    InterfaceSample,
    WirelessRollup1h,
    WirelessRollup5m,
    WirelessSample,
)

__all__ = [
    "CheckState",
    "ConnectivityCheck",
    "CredentialProfile",
    "Device",
    "DeviceEvent",
    "DeviceRollup1h",
    "DeviceRollup5m",
    "DeviceSample",
    "DeviceStatus",
    "FeedState",
    "InterfaceRollup1h",
    "InterfaceRollup5m",
    "InterfaceSample",
    "Protocol",
    "RouterOSRelease",
    "SNMPVersion",
    "TLSMode",
    "TenantKey",
    "Vulnerability",
    "WirelessRollup1h",
    "WirelessRollup5m",
    "WirelessSample",
]
