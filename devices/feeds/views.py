"""/t/<tenant>/cves/ — which of the tenant's devices (in the user's sites) run a RouterOS version
with known CVEs, how bad, and which version fixes them; plus the feeds' state."""

from __future__ import annotations

from django.views.generic import TemplateView

from devices.models import Device
from devices.models.feeds import FeedState, RouterOSRelease
from tenants.roles import Action
from tenants.views_base import TenantViewMixin

from . import services

SEVERITIES = ("critical", "high", "medium", "low", "none")
BAR_WIDTH = 600  # px of the SVG summary bar


class CveExposureView(TenantViewMixin, TemplateView):
    template_name = "devices/cves.html"
    title = "CVE exposure"
    section = "cves"
    view_action = Action.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        min_severity = self.request.GET.get("min_severity", "none")
        if min_severity not in services.SEVERITY_RANK:
            min_severity = "none"
        devices = Device.objects.restrict(self.access, Action.VIEW).select_related("site")
        exposed = services.exposure(devices, min_severity)
        counts = services.summary(exposed)
        total = devices.count()
        context.update(
            exposed=exposed,
            counts=[(name, counts[name]) for name in SEVERITIES],
            bar=self._bar(counts, total),
            bar_width=BAR_WIDTH,
            total=total,
            min_severity=min_severity,
            severities=SEVERITIES,
            feeds={state.name: state for state in FeedState.objects.all()},
            releases=RouterOSRelease.objects.all(),
        )
        return context

    @staticmethod
    def _bar(counts: dict[str, int], total: int) -> list[dict]:
        """Segments of a stacked bar (exposed by worst severity, then not exposed), in px."""
        segments, x = [], 0
        parts = [*((name, counts[name]) for name in SEVERITIES), ("clear", total - sum(counts.values()))]
        for name, count in parts:
            if count <= 0 or total <= 0:
                continue
            width = round(BAR_WIDTH * count / total)
            segments.append({"name": name, "count": count, "x": x, "width": width})
            x += width
        return segments
