"""Query filters of the User Manager lists (API; the UI pages use `q` the same way)."""

from __future__ import annotations

import django_filters

from audit.filtersets import UTCDateTimeFilter
from radius.choices import AuthResult, HistoryAction, SessionStatus, UserProfileState
from radius.models import AuthLog, History, RadiusUser, Session, UserProfile


class RadiusUserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    group = django_filters.UUIDFilter(field_name="group_id")
    customer = django_filters.UUIDFilter(field_name="customer_id")
    batch = django_filters.UUIDFilter(field_name="batch_id")

    class Meta:
        model = RadiusUser
        fields = ["q", "group", "customer", "batch", "disabled"]


class UserProfileFilterSet(django_filters.FilterSet):
    user = django_filters.UUIDFilter(field_name="user_id")
    profile = django_filters.UUIDFilter(field_name="profile_id")
    state = django_filters.MultipleChoiceFilter(choices=UserProfileState.choices)

    class Meta:
        model = UserProfile
        fields = ["user", "profile", "state"]


class SessionFilterSet(django_filters.FilterSet):
    user = django_filters.UUIDFilter(field_name="user_id")
    nas = django_filters.UUIDFilter(field_name="nas_id")
    status = django_filters.MultipleChoiceFilter(choices=SessionStatus.choices)
    username = django_filters.CharFilter(field_name="username")

    class Meta:
        model = Session
        fields = ["user", "nas", "status", "username"]


class AuthLogFilterSet(django_filters.FilterSet):
    result = django_filters.ChoiceFilter(choices=AuthResult.choices)
    username = django_filters.CharFilter(field_name="username")
    since = UTCDateTimeFilter(field_name="at", lookup_expr="gte")

    class Meta:
        model = AuthLog
        fields = ["result", "username", "since"]


class HistoryFilterSet(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=HistoryAction.choices)
    model = django_filters.ChoiceFilter(
        choices=[("user", "user"), ("profile", "profile"), ("limitation", "limitation")]
    )
    object_id = django_filters.UUIDFilter(field_name="object_id")

    class Meta:
        model = History
        fields = ["action", "model", "object_id", "undone"]
