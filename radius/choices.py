"""Choice lists of the User Manager model (names follow RouterOS' own where it has them)."""

from __future__ import annotations

from django.db import models


class Permission(models.TextChoices):
    OWNER = "owner", "Owner"
    READ_WRITE = "read-write", "Read-write"
    READ_ONLY = "read-only", "Read-only"


class CustomerAccess(models.TextChoices):
    OWN_USERS = "own-users", "Own users"
    OWN_PROFILES = "own-profiles", "Own profiles"
    OWN_LIMITS = "own-limits", "Own limitations"
    OWN_ROUTERS = "own-routers", "Own routers"
    PARENT_USERS = "parent-users", "Parent's users"
    PARENT_PROFILES = "parent-profiles", "Parent's profiles"
    PARENT_LIMITS = "parent-limits", "Parent's limitations"
    PARENT_ROUTERS = "parent-routers", "Parent's routers"


class AuthMethod(models.TextChoices):
    PAP = "pap", "PAP"
    CHAP = "chap", "CHAP"
    MSCHAP1 = "mschap1", "MS-CHAPv1"
    MSCHAP2 = "mschap2", "MS-CHAPv2"
    EAP = "eap", "EAP"


def all_auth_methods() -> list[str]:
    return [m.value for m in AuthMethod]


class StartsWhen(models.TextChoices):
    ASSIGNED = "assigned", "When assigned"
    FIRST_AUTH = "first-auth", "At first authentication"


class ResetInterval(models.TextChoices):
    HOURLY = "hourly", "Hourly"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    DISABLED = "disabled", "Never (counters never reset)"


class Weekday(models.TextChoices):
    # Python's date.weekday() order: the index is the weekday number.
    MONDAY = "monday", "Monday"
    TUESDAY = "tuesday", "Tuesday"
    WEDNESDAY = "wednesday", "Wednesday"
    THURSDAY = "thursday", "Thursday"
    FRIDAY = "friday", "Friday"
    SATURDAY = "saturday", "Saturday"
    SUNDAY = "sunday", "Sunday"


def all_weekdays() -> list[str]:
    return [d.value for d in Weekday]


class UserProfileState(models.TextChoices):
    WAITING = "waiting", "Waiting"
    RUNNING_ACTIVE = "running-active", "Running (active)"
    RUNNING = "running", "Running"
    USED = "used", "Used"


class SessionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class AuthResult(models.TextChoices):
    ACCEPT = "accept", "Accept"
    REJECT = "reject", "Reject"


class HistoryAction(models.TextChoices):
    ADD = "add", "Added"
    SET = "set", "Changed"
    REMOVE = "remove", "Removed"


class AttributeType(models.TextChoices):
    STRING = "string", "String"
    INTEGER = "integer", "Integer"
    IPADDR = "ipaddr", "IPv4 address"
    HEX = "hex", "Hex string"


class OnLimitReached(models.TextChoices):
    """What happens to an online user whose download/upload/transfer limit is used up."""

    DISCONNECT = "disconnect", "Disconnect"
    THROTTLE = "throttle", "Throttle (CoA to a lower rate, the session continues)"


class SharedUsersOverflow(models.TextChoices):
    REJECT_NEW = "reject-new", "Reject the new login"
    DISCONNECT_OLDEST = "disconnect-oldest", "Disconnect the oldest session"
