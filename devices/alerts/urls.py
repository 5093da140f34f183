"""Alerting pages, included under /t/<tenant>/ by tenants/urls.py."""

from django.urls import path

from devices.alerts import views

urlpatterns = [
    path("alerts/", views.AlertListView.as_view(), name="alert-list"),
    path("alerts/rules/", views.RuleListView.as_view(), name="alert-rules"),
    path("alerts/rules/add/", views.RuleFormView.as_view(), name="alert-rule-add"),
    path("alerts/rules/<uuid:rule_id>/edit/", views.RuleFormView.as_view(), name="alert-rule-edit"),
    path("alerts/rules/<uuid:rule_id>/delete/", views.RuleDeleteView.as_view(), name="alert-rule-delete"),
    path("alerts/channels/", views.ChannelListView.as_view(), name="alert-channels"),
    path("alerts/channels/add/", views.ChannelFormView.as_view(), name="alert-channel-add"),
    path("alerts/channels/<uuid:channel_id>/edit/", views.ChannelFormView.as_view(), name="alert-channel-edit"),
    path("alerts/channels/<uuid:channel_id>/delete/", views.ChannelDeleteView.as_view(), name="alert-channel-delete"),
    path("alerts/channels/<uuid:channel_id>/test/", views.ChannelTestView.as_view(), name="alert-channel-test"),
    path("alerts/windows/", views.WindowListView.as_view(), name="alert-windows"),
    path("alerts/windows/add/", views.WindowFormView.as_view(), name="alert-window-add"),
    path("alerts/windows/<uuid:window_id>/delete/", views.WindowDeleteView.as_view(), name="alert-window-delete"),
    path("alerts/receiver/", views.ReceiverView.as_view(), name="alert-receiver"),
    path("alerts/simulator/<uuid:device_id>/", views.SimulatorFaultView.as_view(), name="alert-simulator-fault"),
    path("alerts/<uuid:alert_id>/", views.AlertDetailView.as_view(), name="alert-detail"),
    path("alerts/<uuid:alert_id>/acknowledge/", views.AlertAcknowledgeView.as_view(), name="alert-acknowledge"),
]
