from .accounting import AuthLog, Session, octets_with_gigawords
from .customers import Customer
from .history import History, VoucherBatch
from .profiles import Limitation, Profile, ProfileLimitation, UserProfile
from .routers import Router
from .users import SECRET_PURPOSES, CustomAttribute, Group, RadiusUser

__all__ = [
    "SECRET_PURPOSES",
    "AuthLog",
    "CustomAttribute",
    "Customer",
    "Group",
    "History",
    "Limitation",
    "Profile",
    "ProfileLimitation",
    "RadiusUser",
    "Router",
    "Session",
    "UserProfile",
    "VoucherBatch",
    "octets_with_gigawords",
]
